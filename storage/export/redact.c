/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Redaction: pseudonyms (HMAC-SHA256, libsodium) and taking redacted persons' names,
 * handles and phone numbers out of free text. See redact.h for what it promises. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <talloc.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "storage/export/redact.h"

#define CODE_MIN  4
#define CODE_MAX  52 /* 256 bits of HMAC in base32 */
#define TOKEN_MAX 128

struct rd_person {
	int64_t id;
	enum dir_role role;
	const char *phone; /* E.164 or NULL */
	char code[CODE_MAX + 1];
	const char *pseudonym;
};

/* A staff member's name: never replaced. Their full names are kept wherever they stand,
 * and a single word that is a staff member's given or family name is left alone even when
 * a redacted person has it too (a guardian called Dana must not turn Coach Dana Lee into
 * "Guardian YCTR Lee"); a redacted person's full name that happens to equal a staff
 * member's is still replaced. */
#define RD_KEEP (1u << 8)

/* A name or handle to find in text, and whom it names. */
struct rd_pattern {
	const char *text; /* ASCII lower case; ' ' stands for any run of white space */
	size_t len;
	size_t key_len; /* its first word: text[0..key_len), what it is looked up by */
	int who;	/* index in persons, or -1 when it names several */
	unsigned roles; /* 1 << role of everyone it names */
};

/* A spelling of a phone number, as the digits of a run in text. */
struct rd_number {
	char digits[16];
	size_t len;
	bool local; /* the last 7 digits: only a run of exactly 7 digits */
	bool trunk; /* a national form outside +1: a trunk 0 may precede it */
	int who;
};

struct redactor {
	struct rd_person *p; /* by id */
	size_t n;
	struct rd_pattern *pat; /* by first word, then longer first */
	size_t n_pat;
	struct rd_number *num; /* by length, then digits */
	size_t n_num;
};

/* Word characters as grep -w sees them (bytes of UTF-8 letters count as letters). */
static bool is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c >= 0x80;
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : (char)c;
}

/* The byte at s[i], case-folded: ASCII, and the Latin-1 capitals of UTF-8 ("\xC3\x89"
 * É to é), so that "ÉLODIE" is found as "Élodie" is. s[i - 1] must exist when i > 0. */
static char fold_at(const char *s, size_t i)
{
	unsigned char c = (unsigned char)s[i];

	if (i > 0 && (unsigned char)s[i - 1] == 0xC3 && c >= 0x80 && c <= 0x9E && c != 0x97)
		return (char)(c + 0x20);
	return lower(c);
}

/* ---- Pseudonyms ---------------------------------------------------------------------- */

static void base32(const uint8_t *in, size_t n, char *out)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	uint32_t buf = 0;
	int bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		buf = (buf << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = alphabet[(buf >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(buf << (5 - bits)) & 31];
	out[o] = '\0';
}

static void person_code(struct rd_person *p, const uint8_t *key, size_t keylen)
{
	crypto_auth_hmacsha256_state st;
	uint8_t mac[crypto_auth_hmacsha256_BYTES], id[8];
	uint64_t v = (uint64_t)p->id;

	for (int i = 7; i >= 0; i--, v >>= 8)
		id[i] = (uint8_t)(v & 0xff);
	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, id, sizeof(id));
	crypto_auth_hmacsha256_final(&st, mac);
	base32(mac, sizeof(mac), p->code);
}

static int cmp_code(const void *a, const void *b)
{
	const struct rd_person *const *x = a, *const *y = b;

	return strcmp((*x)->code, (*y)->code);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static size_t lcp(const char *a, const char *b)
{
	size_t n = 0;

	while (a[n] && a[n] == b[n])
		n++;
	return n;
}

/* A code prefix that reads as one of the redacted names would defeat a search for that
 * name in the bundle ("Student EMMA"): such a prefix is lengthened. */
static bool forbidden(char *const *words, size_t n, const char *code, size_t len)
{
	char low[CODE_MAX + 1];

	for (size_t i = 0; i < len; i++)
		low[i] = lower((unsigned char)code[i]);
	low[len] = '\0';
	const char *k = low;
	return n && bsearch(&k, words, n, sizeof(*words), cmp_str);
}

/* ---- Patterns ------------------------------------------------------------------------ */

struct builder {
	void *ctx;  /* scratch, freed when built */
	void *keep; /* what the redactor keeps (pattern texts) */
	struct rd_pattern *pat;
	size_t n, cap;
	char **words; /* every lower-case name part and handle: codes must not be one */
	size_t n_words, cap_words;
};

static int grow(void *ctx, void **arr, size_t *cap, size_t n, size_t size)
{
	void *p;

	if (n < *cap)
		return 0;
	*cap = *cap ? 2 * *cap : 64;
	p = talloc_realloc_size(ctx, *arr, *cap * size);
	if (!p)
		return -1;
	*arr = p;
	return 0;
}

/* Lower case, white space collapsed and trimmed. NULL only when out of memory. */
static char *normalise(void *ctx, const char *s)
{
	char *out = talloc_array(ctx, char, strlen(s) + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; s[i]; i++) {
		if (is_space((unsigned char)s[i])) {
			if (o && out[o - 1] != ' ')
				out[o++] = ' ';
			continue;
		}
		out[o++] = fold_at(s, i);
	}
	while (o && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return out;
}

static int add_word(struct builder *b, const char *w)
{
	if (grow(b->ctx, (void **)&b->words, &b->cap_words, b->n_words, sizeof(char *)) < 0)
		return -1;
	b->words[b->n_words++] = (char *)w;
	return 0;
}

static int add_pattern_roles(struct builder *b, const char *text, int who, unsigned roles);

static int add_pattern(struct builder *b, const char *text, int who, enum dir_role role)
{
	return add_pattern_roles(b, text, who, 1u << role);
}

static int add_pattern_roles(struct builder *b, const char *text, int who, unsigned roles)
{
	char *t;
	size_t k = 0;

	if (!text)
		return 0;
	t = normalise(b->keep, text);
	if (!t)
		return -1;
	/* One letter is not a name worth finding ("J."), and a pattern must start with a
	 * word character to be found at the start of a word. */
	if (strlen(t) < 2 || !is_word((unsigned char)t[0]))
		return 0;
	while (is_word((unsigned char)t[k]))
		k++;
	if (k >= TOKEN_MAX)
		return 0;
	if (grow(b->ctx, (void **)&b->pat, &b->cap, b->n, sizeof(*b->pat)) < 0)
		return -1;
	b->pat[b->n++] = (struct rd_pattern){
	    .text = t, .len = strlen(t), .key_len = k, .who = who, .roles = roles};
	if (k == strlen(t) && !(roles & RD_KEEP))
		return add_word(b, t);
	return 0;
}

/* Each part of a name of several words ("Mary Ann", "Garcia-Lopez"). */
static int add_parts(struct builder *b, const char *name, int who, enum dir_role role)
{
	char *copy = talloc_strdup(b->ctx, name ? name : ""), *save = NULL;

	if (!copy)
		return -1;
	for (char *tok = strtok_r(copy, " \t-", &save); tok; tok = strtok_r(NULL, " \t-", &save))
		if (add_pattern(b, tok, who, role) < 0)
			return -1;
	return 0;
}

static int add_person_patterns(struct builder *b, const struct store_person *sp, int who)
{
	const char *given = sp->given ? sp->given : "", *family = sp->family ? sp->family : "";
	size_t n = 1;

	if (*given && *family) {
		while (family[n] && ((unsigned char)family[n] & 0xC0) == 0x80)
			n++;
		/* "Riley Chen", "Chen, Riley", and how the relay names students and
		 * guardians: "Riley C." */
		const char *forms[] = {
		    talloc_asprintf(b->ctx, "%s %s", given, family),
		    talloc_asprintf(b->ctx, "%s, %s", family, given),
		    talloc_asprintf(b->ctx, "%s %.*s.", given, (int)n, family),
		};
		for (size_t i = 0; i < ARRAY_SIZE(forms); i++)
			if (!forms[i] || add_pattern(b, forms[i], who, sp->role) < 0)
				return -1;
	}
	if (add_pattern(b, given, who, sp->role) < 0 || add_pattern(b, family, who, sp->role) < 0 ||
	    add_parts(b, given, who, sp->role) < 0 || add_parts(b, family, who, sp->role) < 0 ||
	    add_pattern(b, sp->handle, who, sp->role) < 0)
		return -1;
	return 0;
}

/* A staff member's or administrator's names, to keep. */
static int add_keep_patterns(struct builder *b, const struct store_person *sp)
{
	const char *given = sp->given ? sp->given : "", *family = sp->family ? sp->family : "";
	char *copy, *save = NULL;

	if (*given && *family &&
	    (add_pattern_roles(b, talloc_asprintf(b->ctx, "%s %s", given, family), -1, RD_KEEP) <
		 0 ||
	     add_pattern_roles(b, talloc_asprintf(b->ctx, "%s, %s", family, given), -1, RD_KEEP) <
		 0))
		return -1;
	for (int part = 0; part < 2; part++) {
		copy = talloc_strdup(b->ctx, part ? family : given);
		if (!copy)
			return -1;
		if (add_pattern_roles(b, copy, -1, RD_KEEP) < 0)
			return -1;
		for (char *tok = strtok_r(copy, " \t-", &save); tok;
		     tok = strtok_r(NULL, " \t-", &save))
			if (add_pattern_roles(b, tok, -1, RD_KEEP) < 0)
				return -1;
	}
	return 0;
}

static int cmp_pattern(const void *a, const void *b)
{
	const struct rd_pattern *x = a, *y = b;
	size_t k = x->key_len < y->key_len ? x->key_len : y->key_len;
	int c = memcmp(x->text, y->text, k);

	if (c)
		return c;
	if (x->key_len != y->key_len)
		return x->key_len < y->key_len ? -1 : 1;
	if (x->len != y->len)
		return x->len > y->len ? -1 : 1; /* longer first */
	c = strcmp(x->text, y->text);
	if (c)
		return c;
	return x->who < y->who ? -1 : x->who > y->who;
}

/* Sort, and make one pattern of those with the same text (several persons). */
static void finish_patterns(struct redactor *r, struct builder *b)
{
	size_t o = 0;

	if (b->n)
		qsort(b->pat, b->n, sizeof(*b->pat), cmp_pattern);
	for (size_t i = 0; i < b->n; i++) {
		if (o && !strcmp(b->pat[o - 1].text, b->pat[i].text)) {
			if (b->pat[o - 1].who != b->pat[i].who)
				b->pat[o - 1].who = -1;
			b->pat[o - 1].roles |= b->pat[i].roles;
			continue;
		}
		b->pat[o++] = b->pat[i];
	}
	/* A single word a staff member has is kept; a full name stays a redacted person's
	 * when one has it. Patterns only staff have are kept. */
	for (size_t i = 0; i < o; i++) {
		struct rd_pattern *p = &b->pat[i];
		if (!(p->roles & RD_KEEP) || p->roles == RD_KEEP)
			continue;
		if (p->key_len == p->len)
			p->roles = RD_KEEP;
		else
			p->roles &= ~RD_KEEP;
	}
	r->pat = b->pat;
	r->n_pat = o;
}

/* ---- Numbers ------------------------------------------------------------------------- */

static int cmp_number(const void *a, const void *b)
{
	const struct rd_number *x = a, *y = b;
	int c;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	c = memcmp(x->digits, y->digits, x->len);
	if (c)
		return c;
	return x->who < y->who ? -1 : x->who > y->who;
}

static int add_number(struct redactor *r, size_t *cap, const char *digits, size_t len, bool local,
		      bool trunk, int who)
{
	struct rd_number *n;

	if (len < 7 || len > 15)
		return 0;
	if (grow(r, (void **)&r->num, cap, r->n_num, sizeof(*r->num)) < 0)
		return -1;
	n = &r->num[r->n_num++];
	memset(n, 0, sizeof(*n));
	memcpy(n->digits, digits, len);
	n->len = len;
	n->local = local;
	n->trunk = trunk;
	n->who = who;
	return 0;
}

/* The spellings of a person's number a text may hold, as digits: the whole E.164
 * number, the national number (10 digits for +1; after a 1-3 digit country code
 * elsewhere, maybe after a trunk 0), and the local 7. */
static int add_numbers(struct redactor *r, size_t *cap, const char *e164, int who)
{
	const char *d;
	size_t n;

	if (!e164 || e164[0] != '+')
		return 0;
	d = e164 + 1;
	n = strlen(d);
	for (size_t i = 0; i < n; i++)
		if (!is_digit((unsigned char)d[i]))
			return 0;
	if (add_number(r, cap, d, n, false, false, who) < 0)
		return -1;
	if (d[0] == '1' && n == 11) {
		if (add_number(r, cap, d + 1, 10, false, false, who) < 0)
			return -1;
	} else {
		for (size_t cc = 1; cc <= 3 && n > cc; cc++)
			if (add_number(r, cap, d + cc, n - cc, false, true, who) < 0)
				return -1;
	}
	if (n > 7 && add_number(r, cap, d + n - 7, 7, true, false, who) < 0)
		return -1;
	return 0;
}

/* ---- Building ------------------------------------------------------------------------ */

static int cmp_person_id(const void *a, const void *b)
{
	const struct rd_person *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static bool redacted_role(unsigned roles, enum dir_role role)
{
	return (role == DIR_STUDENT && (roles & REDACT_STUDENTS)) ||
	       (role == DIR_GUARDIAN && (roles & REDACT_GUARDIANS));
}

static int make_pseudonyms(struct redactor *r, struct builder *b, const uint8_t *archive_id,
			   const char *request)
{
	size_t keylen = REDACT_KEY_ID_LEN + strlen(request);
	uint8_t *key = talloc_size(b->ctx, keylen);
	struct rd_person **order = talloc_array(b->ctx, struct rd_person *, r->n + 1);

	if (!key || !order)
		return -1;
	memcpy(key, archive_id, REDACT_KEY_ID_LEN);
	memcpy(key + REDACT_KEY_ID_LEN, request, strlen(request));
	for (size_t i = 0; i < r->n; i++) {
		person_code(&r->p[i], key, keylen);
		order[i] = &r->p[i];
	}
	sodium_memzero(key, keylen);
	if (r->n)
		qsort(order, r->n, sizeof(*order), cmp_code);
	if (b->n_words)
		qsort(b->words, b->n_words, sizeof(*b->words), cmp_str);
	for (size_t i = 0; i < r->n; i++) {
		/* Unique: one character more than the longest prefix shared with a
		 * neighbour in sorted order. */
		size_t len = CODE_MIN, l;
		if (i > 0 && (l = lcp(order[i - 1]->code, order[i]->code) + 1) > len)
			len = l;
		if (i + 1 < r->n && (l = lcp(order[i]->code, order[i + 1]->code) + 1) > len)
			len = l;
		if (len > CODE_MAX)
			len = CODE_MAX;
		while (len < CODE_MAX && forbidden(b->words, b->n_words, order[i]->code, len))
			len++;
		order[i]->pseudonym = talloc_asprintf(
		    r, "%s %.*s", order[i]->role == DIR_STUDENT ? "Student" : "Guardian", (int)len,
		    order[i]->code);
		if (!order[i]->pseudonym)
			return -1;
	}
	return 0;
}

struct redactor *redact_new(void *ctx, const struct store_person *persons, size_t n,
			    const uint8_t archive_id[REDACT_KEY_ID_LEN], const char *request,
			    unsigned roles)
{
	struct redactor *r = talloc_zero(ctx, struct redactor);
	struct builder b = {0};
	size_t cap_num = 0, k = 0;

	if (!r || sodium_init() < 0)
		goto fail;
	b.ctx = talloc_new(r);
	b.keep = r;
	r->p = talloc_zero_array(r, struct rd_person, n + 1);
	if (!b.ctx || !r->p)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		if (!redacted_role(roles, persons[i].role))
			continue;
		r->p[k].id = persons[i].id;
		r->p[k].role = persons[i].role;
		k++;
	}
	r->n = k;
	if (r->n)
		qsort(r->p, r->n, sizeof(*r->p), cmp_person_id);
	for (size_t i = 0; i < n; i++) {
		struct rd_person key = {.id = persons[i].id}, *p;
		if (roles && (persons[i].role == DIR_STAFF || persons[i].role == DIR_ADMIN)) {
			if (add_keep_patterns(&b, &persons[i]) < 0)
				goto fail;
			continue;
		}
		if (!redacted_role(roles, persons[i].role))
			continue;
		p = bsearch(&key, r->p, r->n, sizeof(*r->p), cmp_person_id);
		if (!p)
			continue;
		int who = (int)(p - r->p);
		if (persons[i].phone && !(p->phone = talloc_strdup(r, persons[i].phone)))
			goto fail;
		if (add_person_patterns(&b, &persons[i], who) < 0 ||
		    add_numbers(r, &cap_num, persons[i].phone, who) < 0)
			goto fail;
	}
	if (make_pseudonyms(r, &b, archive_id, request ? request : "") < 0)
		goto fail;
	/* The patterns live on; the word list does not. */
	talloc_steal(r, b.pat);
	finish_patterns(r, &b);
	if (r->n_num)
		qsort(r->num, r->n_num, sizeof(*r->num), cmp_number);
	talloc_free(b.ctx);
	return r;
fail:
	talloc_free(r);
	return NULL;
}

size_t redact_count(const struct redactor *r)
{
	return r ? r->n : 0;
}

const char *redact_pseudonym(const struct redactor *r, int64_t person_id)
{
	struct rd_person key = {.id = person_id}, *p;

	if (!r || !r->n || person_id <= 0)
		return NULL;
	p = bsearch(&key, r->p, r->n, sizeof(*r->p), cmp_person_id);
	return p ? p->pseudonym : NULL;
}

/* ---- Replacing ----------------------------------------------------------------------- */

static const char *label(const struct redactor *r, int who, unsigned roles)
{
	if (who >= 0)
		return r->p[who].pseudonym;
	if (roles == 1u << DIR_STUDENT)
		return "[student]";
	if (roles == 1u << DIR_GUARDIAN)
		return "[guardian]";
	return "[student or guardian]";
}

struct span {
	size_t start, end;
	int who;
	unsigned roles;
};

struct spans {
	void *ctx;
	struct span *s;
	size_t n, cap;
};

static int add_span(struct spans *sp, size_t start, size_t end, int who, unsigned roles)
{
	if (grow(sp->ctx, (void **)&sp->s, &sp->cap, sp->n, sizeof(*sp->s)) < 0)
		return -1;
	sp->s[sp->n++] = (struct span){start, end, who, roles};
	return 0;
}

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end > y->end ? -1 : x->end < y->end;
}

/* Text with the (sorted, merged) spans replaced by their labels. */
static char *apply_spans(void *ctx, const struct redactor *r, const char *text, struct spans *sp)
{
	char *out;
	size_t from = 0, o = 0;

	if (sp->n)
		qsort(sp->s, sp->n, sizeof(*sp->s), cmp_span);
	for (size_t i = 0; i < sp->n; i++) {
		if (o && sp->s[i].start < sp->s[o - 1].end) {
			struct span *m = &sp->s[o - 1];
			if (sp->s[i].end > m->end)
				m->end = sp->s[i].end;
			if (m->who != sp->s[i].who)
				m->who = -1;
			m->roles |= sp->s[i].roles;
			continue;
		}
		sp->s[o++] = sp->s[i];
	}
	out = talloc_strdup(ctx, "");
	for (size_t i = 0; out && i < o; i++) {
		out = talloc_strndup_append_buffer(out, text + from, sp->s[i].start - from);
		if (out)
			out = talloc_strdup_append_buffer(out,
							  label(r, sp->s[i].who, sp->s[i].roles));
		from = sp->s[i].end;
	}
	if (out)
		out = talloc_strdup_append_buffer(out, text + from);
	return out;
}

static bool is_sep(unsigned char c)
{
	return c == ' ' || c == '.' || c == '-' || c == '/' || c == '(' || c == ')' || c == '+' ||
	       c == '\t';
}

/* The runs of digits (with the separators people write numbers with) that hold a
 * redacted person's number. */
static int find_numbers(const struct redactor *r, const char *text, struct spans *sp)
{
	size_t len = strlen(text), i = 0;
	char *dig = talloc_array(sp->ctx, char, len + 1);
	size_t *pos = talloc_array(sp->ctx, size_t, len + 1);

	if (!dig || !pos)
		return -1;
	while (i < len) {
		size_t j, nd = 0, nsep = 0;
		if (!is_digit((unsigned char)text[i])) {
			i++;
			continue;
		}
		for (j = i; j < len; j++) {
			unsigned char c = (unsigned char)text[j];
			if (is_digit(c)) {
				pos[nd] = j;
				dig[nd++] = (char)c;
				nsep = 0;
			} else if (!is_sep(c) || ++nsep > 3) {
				break;
			}
		}
		dig[nd] = '\0';
		i = j;
		if (nd < 7)
			continue;
		/* Every substring of the run's digits that is a spelling of a number. */
		for (size_t k = 0; k < nd; k++) {
			for (size_t l = 7; l <= 15 && k + l <= nd; l++) {
				struct rd_number key = {.len = l, .who = -1};
				size_t lo = 0, hi = r->n_num;
				memcpy(key.digits, dig + k, l);
				while (lo < hi) { /* the first spelling >= key */
					size_t mid = (lo + hi) / 2;
					if (cmp_number(&r->num[mid], &key) < 0)
						lo = mid + 1;
					else
						hi = mid;
				}
				for (; lo < r->n_num && r->num[lo].len == l &&
				       !memcmp(r->num[lo].digits, key.digits, l);
				     lo++) {
					const struct rd_number *m = &r->num[lo];
					size_t s = pos[k], e = pos[k + l - 1] + 1;
					if (m->local && nd != 7)
						continue;
					if (m->trunk && k > 0 && dig[k - 1] == '0')
						s = pos[k - 1];
					/* "+1 ...", "(617) ...": the sign and bracket go too. */
					while (s > 0 && (text[s - 1] == '+' || text[s - 1] == '('))
						s--;
					if (add_span(sp, s, e, m->who, 1u << r->p[m->who].role) < 0)
						return -1;
				}
			}
		}
	}
	return 0;
}

static size_t match_at(const char *t, const struct rd_pattern *p)
{
	size_t i = 0;

	for (size_t j = 0; j < p->len; j++) {
		if (p->text[j] == ' ') {
			if (!is_space((unsigned char)t[i]))
				return 0;
			while (is_space((unsigned char)t[i]))
				i++;
			continue;
		}
		if (!t[i] || fold_at(t, i) != p->text[j])
			return 0;
		i++;
	}
	if (is_word((unsigned char)p->text[p->len - 1]) && is_word((unsigned char)t[i]))
		return 0;
	return i;
}

static int find_names(const struct redactor *r, const char *text, struct spans *sp)
{
	size_t i = 0, last_end = 0;
	char tok[TOKEN_MAX];

	while (text[i]) {
		size_t e = i, k, lo = 0, hi = r->n_pat, m = 0;
		if (!is_word((unsigned char)text[i]) ||
		    (i > 0 && is_word((unsigned char)text[i - 1]))) {
			i++;
			continue;
		}
		while (is_word((unsigned char)text[e]))
			e++;
		k = e - i;
		if (k >= TOKEN_MAX) {
			i = e;
			continue;
		}
		for (size_t j = 0; j < k; j++)
			tok[j] = fold_at(text, i + j);
		/* The first pattern whose first word is >= the token. */
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			const struct rd_pattern *p = &r->pat[mid];
			size_t n = p->key_len < k ? p->key_len : k;
			int c = memcmp(p->text, tok, n);
			if (!c)
				c = p->key_len < k ? -1 : p->key_len > k;
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < r->n_pat && r->pat[lo].key_len == k && !memcmp(r->pat[lo].text, tok, k);
		     lo++) {
			m = match_at(text + i, &r->pat[lo]);
			if (m)
				break;
		}
		if (!m) {
			i = e;
			continue;
		}
		/* A staff member's name: kept, and not looked into further. */
		if (r->pat[lo].roles == RD_KEEP) {
			i += m;
			last_end = i;
			continue;
		}
		/* "@rileyc": the at sign goes with the handle. */
		size_t s = i > last_end && text[i - 1] == '@' ? i - 1 : i;
		if (add_span(sp, s, i + m, r->pat[lo].who, r->pat[lo].roles) < 0)
			return -1;
		i += m;
		last_end = i;
	}
	return 0;
}

char *redact_text(void *ctx, const struct redactor *r, const char *text)
{
	struct spans sp = {0};
	char *tmp, *out = NULL;

	if (!text)
		return NULL;
	if (!r || (!r->n_pat && !r->n_num))
		return talloc_strdup(ctx, text);
	sp.ctx = talloc_new(ctx);
	if (!sp.ctx)
		return NULL;
	/* Numbers first: a name pattern never holds a digit run, and pseudonyms hold no
	 * run of 7 digits, so the two passes cannot undo each other. */
	if (find_numbers(r, text, &sp) < 0)
		goto done;
	tmp = apply_spans(sp.ctx, r, text, &sp);
	if (!tmp)
		goto done;
	sp.n = 0;
	if (find_names(r, tmp, &sp) < 0)
		goto done;
	out = apply_spans(ctx, r, tmp, &sp);
done:
	talloc_free(sp.ctx);
	return out;
}
