/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Saving the console's configuration into the operator's own file (config_keep.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "gateway/daemon/config_keep.h"

/* A line of a configuration text. */
struct line {
	const char *raw; /* as written, without its line end */
	size_t raw_len;
	const char *text; /* without indentation and trailing blanks */
	size_t text_len;
	size_t indent; /* bytes of leading blanks */
	bool comment;  /* '!' or '#' first, or blank */
};

/* A setting or a section: its line, the comments above it, the lines it holds. */
struct node {
	const struct line *line; /* NULL: the top of the file */
	const struct line **comments;
	unsigned n_comments;
	struct node **kids;
	unsigned n_kids;
	struct node *match; /* its counterpart in the other text */
	unsigned words;
};

struct text {
	struct line *lines;
	unsigned n_lines;
	struct node root;
	const struct line **trailer; /* comments after the last setting */
	unsigned n_trailer;
};

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static unsigned count_words(const char *s, size_t len)
{
	unsigned n = 0;
	for (size_t i = 0; i < len; i++)
		if (!blank(s[i]) && (i == 0 || blank(s[i - 1])))
			n++;
	return n;
}

static int split(void *ctx, const char *s, struct text *t)
{
	size_t len = strlen(s), cap = 16;

	if (len > CONFIG_KEEP_MAX_BYTES)
		return -EINVAL;
	t->lines = talloc_array(ctx, struct line, cap);
	if (!t->lines)
		return -ENOMEM;
	for (const char *p = s; *p;) {
		const char *end = strchr(p, '\n');
		struct line *l;
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (t->n_lines == cap) {
			cap *= 2;
			t->lines = talloc_realloc(ctx, t->lines, struct line, cap);
			if (!t->lines)
				return -ENOMEM;
		}
		l = &t->lines[t->n_lines++];
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)p[i] < 0x20 && p[i] != '\t' && p[i] != '\r')
				return -EINVAL;
		l->raw = p;
		l->raw_len = n;
		while (n && blank(p[n - 1]))
			n--;
		l->indent = 0;
		while (l->indent < n && blank(p[l->indent]))
			l->indent++;
		l->text = p + l->indent;
		l->text_len = n - l->indent;
		l->comment = !l->text_len || l->text[0] == '!' || l->text[0] == '#';
		if (!end)
			break;
		p = end + 1;
	}
	return 0;
}

static int add_kid(void *ctx, struct node *parent, struct node *kid)
{
	struct node **k = talloc_realloc(ctx, parent->kids, struct node *, parent->n_kids + 1);
	if (!k)
		return -ENOMEM;
	parent->kids = k;
	k[parent->n_kids++] = kid;
	return 0;
}

/* The sections, from indentation: a setting belongs to the nearest line above it that is
 * indented less. Comments belong to the setting below them. */
static int build(void *ctx, struct text *t)
{
	struct node *stack[CONFIG_KEEP_MAX_DEPTH + 1] = {&t->root};
	unsigned depth = 0, first_comment = 0, n_comments = 0;

	for (unsigned i = 0; i < t->n_lines; i++) {
		const struct line *l = &t->lines[i];
		struct node *n;

		if (l->comment) {
			if (!n_comments++)
				first_comment = i;
			continue;
		}
		while (depth && stack[depth]->line->indent >= l->indent)
			depth--;
		if (depth == CONFIG_KEEP_MAX_DEPTH)
			return -EINVAL;
		n = talloc_zero(ctx, struct node);
		if (!n)
			return -ENOMEM;
		n->line = l;
		n->words = count_words(l->text, l->text_len);
		n->comments = talloc_array(n, const struct line *, n_comments ? n_comments : 1);
		if (!n->comments)
			return -ENOMEM;
		for (unsigned c = 0; c < n_comments; c++)
			n->comments[c] = &t->lines[first_comment + c];
		n->n_comments = n_comments;
		n_comments = 0;
		if (add_kid(ctx, stack[depth], n) < 0)
			return -ENOMEM;
		stack[++depth] = n;
	}
	t->trailer = talloc_array(ctx, const struct line *, n_comments ? n_comments : 1);
	if (!t->trailer)
		return -ENOMEM;
	for (unsigned c = 0; c < n_comments; c++)
		t->trailer[c] = &t->lines[first_comment + c];
	t->n_trailer = n_comments;
	return 0;
}

static bool same_text(const struct node *a, const struct node *b)
{
	return a->line->text_len == b->line->text_len &&
	       !memcmp(a->line->text, b->line->text, a->line->text_len);
}

/* Words the two lines start with in common. */
static unsigned common_words(const struct node *a, const struct node *b)
{
	const char *p = a->line->text, *q = b->line->text;
	const char *pe = p + a->line->text_len, *qe = q + b->line->text_len;
	unsigned n = 0;

	for (;;) {
		const char *ps = p, *qs = q;
		while (p < pe && !blank(*p))
			p++;
		while (q < qe && !blank(*q))
			q++;
		if (p - ps != q - qs || p == ps || memcmp(ps, qs, (size_t)(p - ps)))
			return n;
		n++;
		while (p < pe && blank(*p))
			p++;
		while (q < qe && blank(*q))
			q++;
	}
}

/* The same setting with another value: not a section heading, and at most the last two
 * words differ ("retention messages 7 years", "alert modem-down 600"). */
static unsigned likeness(const struct node *a, const struct node *b)
{
	unsigned n, most = a->words > b->words ? a->words : b->words;

	if (a->n_kids || b->n_kids)
		return 0;
	n = common_words(a, b);
	return n >= 1 && n + 2 >= most ? n : 0;
}

/* Pairs the file's lines of one section with the running configuration's: identical
 * lines first, then the likest remaining pairs. */
static void pair(struct node *file, struct node *run)
{
	for (unsigned i = 0; i < file->n_kids; i++)
		for (unsigned j = 0; j < run->n_kids; j++)
			if (!run->kids[j]->match && same_text(file->kids[i], run->kids[j])) {
				file->kids[i]->match = run->kids[j];
				run->kids[j]->match = file->kids[i];
				break;
			}
	for (;;) {
		unsigned best = 0, bi = 0, bj = 0;
		for (unsigned i = 0; i < file->n_kids; i++) {
			if (file->kids[i]->match)
				continue;
			for (unsigned j = 0; j < run->n_kids; j++) {
				unsigned n;
				if (run->kids[j]->match)
					continue;
				n = likeness(file->kids[i], run->kids[j]);
				if (n > best) {
					best = n;
					bi = i;
					bj = j;
				}
			}
		}
		if (!best)
			break;
		file->kids[bi]->match = run->kids[bj];
		run->kids[bj]->match = file->kids[bi];
	}
	for (unsigned i = 0; i < file->n_kids; i++)
		if (file->kids[i]->match)
			pair(file->kids[i], file->kids[i]->match);
}

struct out {
	void *ctx;
	char *buf;
	size_t len;
	bool failed;
	bool last_comment;
	struct config_keep_report *rep;
	config_keep_omit_fn omit;
	void *omit_data;
};

static void put(struct out *o, const char *indent, size_t indent_len, const char *s, size_t n)
{
	char *b;

	if (o->failed)
		return;
	b = talloc_realloc_size(o->ctx, o->buf, o->len + indent_len + n + 2);
	if (!b) {
		o->failed = true;
		return;
	}
	o->buf = b;
	memcpy(b + o->len, indent, indent_len);
	memcpy(b + o->len + indent_len, s, n);
	o->len += indent_len + n;
	b[o->len++] = '\n';
	b[o->len] = '\0';
}

static void put_line(struct out *o, const struct line *l)
{
	put(o, "", 0, l->raw, l->raw_len);
	o->last_comment = l->comment;
}

static void put_comments(struct out *o, const struct node *n)
{
	for (unsigned c = 0; c < n->n_comments; c++)
		put_line(o, n->comments[c]);
}

static void removed(struct out *o, const struct node *n)
{
	struct config_keep_report *rep = o->rep;
	const char **r;

	put_comments(o, n);
	rep->removed++;
	r = talloc_realloc(o->ctx, rep->removed_lines, const char *, rep->removed);
	if (!r) {
		o->failed = true;
		return;
	}
	rep->removed_lines = r;
	r[rep->removed - 1] = talloc_strndup(o->ctx, n->line->text, n->line->text_len);
	/* A removed section's own settings go with it; their comments stay. */
	for (unsigned i = 0; i < n->n_kids; i++)
		removed(o, n->kids[i]);
}

/* A running line (and its section) the file does not have, at `indent`. */
static void added(struct out *o, const struct node *run_parent, const struct node *n,
		  const char *indent, size_t indent_len)
{
	char *sect, *text, *deeper;
	bool omit;

	sect = run_parent->line
		   ? talloc_strndup(o->ctx, run_parent->line->text, run_parent->line->text_len)
		   : NULL;
	text = talloc_strndup(o->ctx, n->line->text, n->line->text_len);
	if (!text || (run_parent->line && !sect)) {
		o->failed = true;
		return;
	}
	omit = o->omit && o->omit(sect, text, o->omit_data);
	talloc_free(sect);
	talloc_free(text);
	if (omit)
		return;
	/* A new section at the top stands apart, as the console writes them. */
	if (!indent_len && n->n_kids && !o->last_comment)
		put(o, "", 0, "!", 1);
	put(o, indent, indent_len, n->line->text, n->line->text_len);
	o->last_comment = false;
	o->rep->added++;
	deeper = talloc_asprintf(o->ctx, "%.*s ", (int)indent_len, indent);
	if (!deeper) {
		o->failed = true;
		return;
	}
	for (unsigned i = 0; i < n->n_kids; i++)
		added(o, n, n->kids[i], deeper, indent_len + 1);
	talloc_free(deeper);
}

/* The running lines the file lacks that come right after the running line `after` (NULL:
 * the section's start), up to the next one the file has. */
static void added_after(struct out *o, const struct node *run, const struct node *after,
			const char *indent, size_t indent_len)
{
	unsigned j = 0;

	if (after) {
		while (j < run->n_kids && run->kids[j] != after)
			j++;
		j++;
	}
	for (; j < run->n_kids && !run->kids[j]->match; j++)
		added(o, run, run->kids[j], indent, indent_len);
}

static void merge(struct out *o, const struct node *file, const struct node *run,
		  const char *indent, size_t indent_len)
{
	const struct node *after = NULL; /* the last running line placed */
	bool placed_start = false;

	/* Settings of this section: as the operator indented them. */
	if (file->n_kids) {
		indent = file->kids[0]->line->raw;
		indent_len = file->kids[0]->line->indent;
	}
	for (unsigned i = 0; i < file->n_kids && !o->failed; i++) {
		const struct node *f = file->kids[i];
		char *deeper;

		if (!f->match) {
			removed(o, f);
			continue;
		}
		/* The running lines before this one that the file lacks: after the last line
		 * placed, past the removed lines there. At the start of a section they go
		 * after the comments above the first line up to their last bare "!" (a file's
		 * header): the comments after it are that line's. */
		if (!placed_start) {
			unsigned head = 0;
			for (unsigned c = 0; c < f->n_comments; c++)
				if (f->comments[c]->text_len <= 1)
					head = c + 1;
			for (unsigned c = 0; c < head; c++)
				put_line(o, f->comments[c]);
			added_after(o, run, NULL, indent, indent_len);
			for (unsigned c = head; c < f->n_comments; c++)
				put_line(o, f->comments[c]);
			placed_start = true;
		} else {
			added_after(o, run, after, indent, indent_len);
			put_comments(o, f);
		}
		if (same_text(f, f->match)) {
			put_line(o, f->line);
		} else {
			put(o, f->line->raw, f->line->indent, f->match->line->text,
			    f->match->line->text_len);
			o->last_comment = false;
			o->rep->changed++;
		}
		/* Its own settings, if the file has none yet: one deeper than it. */
		deeper = talloc_asprintf(o->ctx, "%.*s ", (int)f->line->indent, f->line->raw);
		if (!deeper) {
			o->failed = true;
			return;
		}
		merge(o, f, f->match, deeper, f->line->indent + 1);
		talloc_free(deeper);
		after = f->match;
	}
	added_after(o, run, after, indent, indent_len);
}

int config_keep_merge(void *ctx, const char *saved, const char *running, config_keep_omit_fn omit,
		      void *omit_data, char **out, struct config_keep_report *rep)
{
	struct config_keep_report dummy;
	void *tmp = talloc_new(ctx);
	struct text file = {0}, run = {0};
	struct out o = {.ctx = ctx, .omit = omit, .omit_data = omit_data};
	int rc;

	if (!rep)
		rep = &dummy;
	memset(rep, 0, sizeof(*rep));
	o.rep = rep;
	*out = NULL;
	if (!tmp)
		return -ENOMEM;
	if ((rc = split(tmp, saved, &file)) < 0 || (rc = split(tmp, running, &run)) < 0 ||
	    (rc = build(tmp, &file)) < 0 || (rc = build(tmp, &run)) < 0) {
		talloc_free(tmp);
		return rc;
	}
	pair(&file.root, &run.root);
	o.buf = talloc_strdup(ctx, "");
	o.failed = !o.buf;
	o.last_comment = true;
	merge(&o, &file.root, &run.root, "", 0);
	for (unsigned c = 0; c < file.n_trailer; c++)
		put_line(&o, file.trailer[c]);
	talloc_free(tmp);
	if (o.failed) {
		talloc_free(o.buf);
		talloc_free(rep->removed_lines);
		memset(rep, 0, sizeof(*rep));
		return -ENOMEM;
	}
	*out = o.buf;
	return 0;
}
