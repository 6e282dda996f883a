/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Reading a roster CSV file with libcsv (RFC 4180), keeping each row's line number and
 * recovering from broken quoting.
 *
 * The parser is strict (a quote inside an unquoted field, or text after a closing quote,
 * is an error) because a lenient one silently shifts columns, and shifted columns put a
 * phone number in a name. When a row breaks, the parse restarts at the line after the
 * row's first line: an unterminated quote would otherwise swallow the rest of the file,
 * and every person after it would look gone from the roster. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csv.h>
#include <talloc.h>

#include "gateway/roster/roster_internal.h"

/* A roster of a large district is a few megabytes; anything far bigger is a mistake. */
#define MAX_FILE_SIZE (256u * 1024 * 1024)

struct parse {
	struct rimport *im;
	struct rcsv *c;
	bool header_done;
	char **f; /* the row being built */
	unsigned n;
	bool nul; /* a field held a NUL byte */
	unsigned rows_done;
	unsigned row_line;
};

static void on_field(void *s, size_t len, void *data)
{
	struct parse *p = data;
	char **f = talloc_realloc(p->c, p->f, char *, p->n + 1);

	if (!f)
		return;
	p->f = f;
	if (s && memchr(s, 0, len))
		p->nul = true;
	f[p->n++] = talloc_strndup(p->c, s ? (const char *)s : "", len);
}

static bool utf8_valid(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	while (*u) {
		unsigned n, cp;
		if (*u < 0x80) {
			u++;
			continue;
		}
		if ((*u & 0xE0) == 0xC0) {
			n = 1;
			cp = *u & 0x1F;
		} else if ((*u & 0xF0) == 0xE0) {
			n = 2;
			cp = *u & 0x0F;
		} else if ((*u & 0xF8) == 0xF0) {
			n = 3;
			cp = *u & 0x07;
		} else {
			return false;
		}
		for (unsigned i = 1; i <= n; i++) {
			if ((u[i] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (u[i] & 0x3F);
		}
		/* Overlong forms, surrogates and beyond U+10FFFF. */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
			return false;
		u += n + 1;
	}
	return true;
}

static void add_row(struct parse *p, bool bad)
{
	struct rcsv *c = p->c;
	struct rcsv_row *rows = talloc_realloc(c, c->rows, struct rcsv_row, c->n_rows + 1);

	if (!rows)
		return;
	c->rows = rows;
	rows[c->n_rows++] =
	    (struct rcsv_row){.line = p->row_line, .f = p->f, .n = p->n, .bad = bad};
}

static void on_row(int term, void *data)
{
	struct parse *p = data;
	struct rcsv *c = p->c;
	bool empty = true, bad = false;

	(void)term;
	p->rows_done++;
	for (unsigned i = 0; i < p->n; i++)
		if (p->f[i][0])
			empty = false;
	if (!p->header_done) {
		p->header_done = true;
		c->cols = p->f;
		c->n_cols = p->n;
		goto next;
	}
	/* Spreadsheets leave rows of empty cells at the end of a sheet. */
	if (empty)
		goto next;
	if (p->nul) {
		rim_problem(p->im, c->path, p->row_line,
			    "a NUL byte in the row (is this a text file?)");
		bad = true;
	} else if (p->n != c->n_cols) {
		rim_problem(p->im, c->path, p->row_line, "%u fields where the header has %u", p->n,
			    c->n_cols);
		bad = true;
	} else {
		for (unsigned i = 0; i < p->n; i++) {
			if (!utf8_valid(p->f[i])) {
				rim_problem(p->im, c->path, p->row_line,
					    "column %s is not valid UTF-8 (save the file as UTF-8)",
					    c->cols[i]);
				bad = true;
				break;
			}
		}
	}
	add_row(p, bad);
next:
	p->f = NULL;
	p->n = 0;
	p->nul = false;
}

/* Where the line after `off`'s line starts (past "\n", "\r\n" or a lone "\r"). */
static size_t next_line(const char *buf, size_t len, size_t off)
{
	while (off < len && buf[off] != '\n' && buf[off] != '\r')
		off++;
	if (off < len && buf[off] == '\r') {
		off++;
		if (off < len && buf[off] == '\n')
			off++;
	} else if (off < len && buf[off] == '\n') {
		off++;
	}
	return off;
}

static void parse_buffer(struct parse *p, const char *buf, size_t len)
{
	struct csv_parser csv;
	const unsigned char opts = CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL;
	size_t pos = 0, row_pos;
	unsigned line = 1;

	/* Excel writes a byte-order mark at the start of "CSV UTF-8" files. */
	if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3))
		pos = 3;
	row_pos = pos;
	p->row_line = 1;
	csv_init(&csv, opts);
	for (;;) {
		size_t end, got;
		unsigned before = p->rows_done;
		bool broken = false;

		if (pos < len) {
			end = next_line(buf, len, pos);
			got = csv_parse(&csv, buf + pos, end - pos, on_field, on_row, p);
			broken = got != end - pos;
		} else {
			end = pos;
			broken = csv_fini(&csv, on_field, on_row, p) != 0;
		}
		if (broken) {
			/* Keep what was read of the row, for its id; then start over after its
			 * first line. */
			if (!p->header_done) {
				rim_fatal(p->im, p->c->path, p->row_line,
					  "cannot read the header: broken quoting");
				break;
			}
			rim_problem(
			    p->im, p->c->path, p->row_line,
			    "broken quoting (a quote inside an unquoted field, text after a "
			    "closing quote, or a quote never closed)");
			add_row(p, true);
			p->f = NULL;
			p->n = 0;
			p->nul = false;
			csv_free(&csv);
			csv_init(&csv, opts);
			pos = next_line(buf, len, row_pos);
			line = p->row_line + 1;
			row_pos = pos;
			p->row_line = line;
			continue;
		}
		if (pos >= len)
			break;
		pos = end;
		line++;
		if (p->rows_done != before) {
			row_pos = pos;
			p->row_line = line;
		}
	}
	csv_free(&csv);
}

int rcsv_read(struct rimport *im, const char *name, struct rcsv **out)
{
	struct rcsv *c;
	struct parse p = {.im = im};
	struct stat stt;
	char *buf;
	size_t len = 0;
	bool failed_before;
	int fd;

	*out = NULL;
	c = talloc_zero(im->ctx, struct rcsv);
	c->name = talloc_strdup(c, name);
	c->path =
	    talloc_asprintf(c, "%s%s%s", im->dir,
			    im->dir[0] && im->dir[strlen(im->dir) - 1] == '/' ? "" : "/", name);
	fd = open(c->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			talloc_free(c);
			return 0;
		}
		rim_fatal(im, c->path, 0, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &stt) < 0 || !S_ISREG(stt.st_mode)) {
		rim_fatal(im, c->path, 0, "not a regular file");
		close(fd);
		return -1;
	}
	if ((unsigned long long)stt.st_size > MAX_FILE_SIZE) {
		rim_fatal(im, c->path, 0, "too large (%lld bytes)", (long long)stt.st_size);
		close(fd);
		return -1;
	}
	buf = talloc_size(c, (size_t)stt.st_size + 1);
	while (buf && len < (size_t)stt.st_size) {
		ssize_t r = read(fd, buf + len, (size_t)stt.st_size - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (!buf || len != (size_t)stt.st_size) {
		rim_fatal(im, c->path, 0, "cannot read the file");
		return -1;
	}
	buf[len] = '\0';

	p.c = c;
	/* An earlier file's failure must not pass for this one's. */
	failed_before = im->failed;
	im->failed = false;
	parse_buffer(&p, buf, len);
	talloc_free(buf);
	if (im->failed)
		return -1;
	im->failed = failed_before;
	if (!p.header_done) {
		rim_fatal(im, c->path, 1, "empty file: a header line is required");
		return -1;
	}
	for (unsigned i = 0; i < c->n_cols; i++) {
		for (unsigned j = 0; j < i; j++) {
			if (!strcasecmp(c->cols[i], c->cols[j])) {
				rim_fatal(im, c->path, 1, "column %s appears twice", c->cols[i]);
				return -1;
			}
		}
	}
	im->rep->rows += c->n_rows;
	*out = c;
	return 1;
}

int rcsv_col(const struct rcsv *c, const char *name)
{
	for (unsigned i = 0; i < c->n_cols; i++)
		if (!strcasecmp(c->cols[i], name))
			return (int)i;
	return -1;
}

const char *rcsv_get(const struct rcsv_row *r, int col)
{
	if (col < 0 || (unsigned)col >= r->n)
		return "";
	return r->f[col];
}

bool rcsv_require(struct rimport *im, const struct rcsv *c, const char *const *cols)
{
	bool ok = true;

	for (; *cols; cols++) {
		if (rcsv_col(c, *cols) < 0) {
			rim_fatal(im, c->path, 1, "missing column %s", *cols);
			ok = false;
		}
	}
	return ok;
}
