/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Redaction: pseudonyms (HMAC-SHA256, libsodium) and taking redacted persons' names,
 * handles and phone numbers out of free text, compared folded (text_fold.h). See
 * redact.h for what it promises. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <talloc.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "storage/export/redact.h"
#include "storage/export/common_words.h"
#include "storage/export/text_fold.h"

#define CODE_MIN  4
#define CODE_MAX  52 /* of the 59 consonants 256 bits of HMAC give */
#define TOKEN_MAX 128

/* Consonants only: a code never spells a word or a digit. */
static const char code_alphabet[] = "BCDFGHJKLMNPQRSTVWXZ";

struct rd_person {
	int64_t id;
	enum dir_role role;
	bool redacted; /* else staff or an administrator: known only to keep their names */
	char code[CODE_MAX + 1];
	const char *pseudonym;
};

/* Someone a pattern names: a full name or handle ("strong") names them wherever it
 * stands; a single name word only within a conversation they are a party of. */
struct rd_owner {
	int who; /* index in persons */
	bool strong;
};

/* A name or handle to find in folded text, and whom it names. */
struct rd_pattern {
	const char *text; /* folded; ' ' stands for any run of white space */
	size_t len;
	size_t key_len; /* its first word: text[0..key_len), what it is looked up by */
	struct rd_owner *own;
	size_t n_own;
};

/* A spelling of a phone number, as the digits of a run in text. */
struct rd_number {
	char digits[16];
	size_t len;
	bool trunk; /* a national form outside +1: a trunk 0 may precede it */
	int who;
};

struct redactor {
	struct rd_person *p; /* by id: the redacted, and staff */
	size_t n, n_redacted;
	struct rd_pattern *pat; /* by first word, then longer first */
	size_t n_pat;
	struct rd_number *num; /* by length, then digits */
	size_t n_num;
};

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

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

/* ---- Pseudonyms ---------------------------------------------------------------------- */

/* The MAC as digits of base 20 (most significant first), by long division. */
static void code_of(const uint8_t mac[32], char *out)
{
	uint8_t n[32];
	size_t o = 0;

	memcpy(n, mac, sizeof(n));
	while (o < CODE_MAX) {
		unsigned rem = 0;
		for (size_t i = 0; i < sizeof(n); i++) {
			unsigned cur = rem * 256 + n[i];
			n[i] = (uint8_t)(cur / 20);
			rem = cur % 20;
		}
		out[o++] = code_alphabet[rem];
	}
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
	code_of(mac, p->code);
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
 * name in the bundle: such a prefix is lengthened. */
static bool forbidden(char *const *words, size_t n, const char *code, size_t len)
{
	char low[CODE_MAX + 1];

	for (size_t i = 0; i < len; i++)
		low[i] = (char)(code[i] - 'A' + 'a');
	low[len] = '\0';
	const char *k = low;
	return n && bsearch(&k, words, n, sizeof(*words), cmp_str);
}

/* ---- Patterns ------------------------------------------------------------------------ */

struct entry {
	const char *text;
	size_t len, key_len;
	struct rd_owner own;
};

struct builder {
	void *ctx;  /* scratch, freed when built */
	void *keep; /* what the redactor keeps (pattern texts) */
	struct entry *e;
	size_t n, cap;
	char **words; /* every folded name word and handle: codes must not be one */
	size_t n_words, cap_words;
};

static int add_word(struct builder *b, const char *w)
{
	if (grow(b->ctx, (void **)&b->words, &b->cap_words, b->n_words, sizeof(char *)) < 0)
		return -1;
	b->words[b->n_words++] = (char *)w;
	return 0;
}

static int add_pattern(struct builder *b, const char *text, int who, bool strong, bool redacted)
{
	char *t;
	size_t k;

	if (!text)
		return 0;
	t = text_fold_squeezed(b->keep, text);
	if (!t)
		return -1;
	/* One letter is not a name worth finding ("J."), and a pattern must start with a
	 * word character to be found at the start of a word. Characters of scripts written
	 * without spaces are words of their own: one is enough ("王"). */
	k = fold_word_len(t, 0);
	if (!k || (strlen(t) < 2) || k >= TOKEN_MAX)
		return 0;
	if (grow(b->ctx, (void **)&b->e, &b->cap, b->n, sizeof(*b->e)) < 0)
		return -1;
	b->e[b->n++] = (struct entry){
	    .text = t, .len = strlen(t), .key_len = k, .own = {.who = who, .strong = strong}};
	if (redacted && k == strlen(t))
		return add_word(b, t);
	return 0;
}

/* Each part of a name of several words ("Mary Ann", "Garcia-Lopez"). */
static int add_parts(struct builder *b, const char *name, int who, bool redacted)
{
	char *copy = text_fold_squeezed(b->ctx, name ? name : ""), *save = NULL;

	if (!copy)
		return -1;
	for (char *tok = strtok_r(copy, " -", &save); tok; tok = strtok_r(NULL, " -", &save))
		if (add_pattern(b, tok, who, false, redacted) < 0)
			return -1;
	return 0;
}

static int add_person_patterns(struct builder *b, const struct store_person *sp, int who,
			       bool redacted)
{
	const char *given = sp->given ? sp->given : "", *family = sp->family ? sp->family : "";
	size_t n = 1;

	if (*given && *family) {
		while (family[n] && ((unsigned char)family[n] & 0xC0) == 0x80)
			n++;
		/* "Riley Chen", "Chen, Riley", and how the relay names students and
		 * guardians: "Riley C.". Names written without spaces: "王小明". */
		const char *forms[] = {
		    talloc_asprintf(b->ctx, "%s %s", given, family),
		    talloc_asprintf(b->ctx, "%s, %s", family, given),
		    talloc_asprintf(b->ctx, "%s %.*s.", given, (int)n, family),
		    talloc_asprintf(b->ctx, "%s%s", family, given),
		    talloc_asprintf(b->ctx, "%s%s", given, family),
		};
		for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
			if (!forms[i])
				return -1;
			/* Run together, only in scripts that are written so. */
			if (i >= 3 && !fold_word_len(forms[i], 0))
				continue;
			if (i >= 3) {
				char *f = text_fold_squeezed(b->ctx, forms[i]);
				if (!f)
					return -1;
				if (fold_word_len(f, 0) == strlen(f) && strlen(f) > 4)
					continue; /* one word of a spaced script */
			}
			if (add_pattern(b, forms[i], who, true, redacted) < 0)
				return -1;
		}
	}
	if (add_pattern(b, given, who, false, redacted) < 0 ||
	    add_pattern(b, family, who, false, redacted) < 0 ||
	    add_parts(b, given, who, redacted) < 0 || add_parts(b, family, who, redacted) < 0 ||
	    add_pattern(b, sp->handle, who, true, redacted) < 0)
		return -1;
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
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
	if (x->own.who != y->own.who)
		return x->own.who < y->own.who ? -1 : 1;
	return (int)y->own.strong - (int)x->own.strong;
}

/* Sort, and make one pattern of the entries with the same text. */
static int finish_patterns(struct redactor *r, struct builder *b)
{
	size_t o = 0;

	if (b->n)
		qsort(b->e, b->n, sizeof(*b->e), cmp_entry);
	r->pat = talloc_zero_array(r, struct rd_pattern, b->n + 1);
	if (!r->pat)
		return -1;
	for (size_t i = 0; i < b->n; i++) {
		size_t j = i;
		while (j + 1 < b->n && !strcmp(b->e[j + 1].text, b->e[i].text))
			j++;
		struct rd_pattern *p = &r->pat[o++];
		p->text = b->e[i].text;
		p->len = b->e[i].len;
		p->key_len = b->e[i].key_len;
		p->own = talloc_array(r->pat, struct rd_owner, j - i + 1);
		if (!p->own)
			return -1;
		for (size_t k = i; k <= j; k++) {
			/* The same person twice (given name equal to a part): strong wins,
			 * and it sorted first. */
			if (p->n_own && p->own[p->n_own - 1].who == b->e[k].own.who)
				continue;
			p->own[p->n_own++] = b->e[k].own;
		}
		i = j;
	}
	r->n_pat = o;
	return 0;
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

static int add_number(struct redactor *r, size_t *cap, const char *digits, size_t len, bool trunk,
		      int who)
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
	if (add_number(r, cap, d, n, false, who) < 0)
		return -1;
	if (d[0] == '1' && n == 11) {
		if (add_number(r, cap, d + 1, 10, false, who) < 0)
			return -1;
	} else {
		for (size_t cc = 1; cc <= 3 && n > cc; cc++)
			if (add_number(r, cap, d + cc, n - cc, true, who) < 0)
				return -1;
	}
	if (n > 7 && add_number(r, cap, d + n - 7, 7, false, who) < 0)
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

static bool staff_role(enum dir_role role)
{
	return role == DIR_STAFF || role == DIR_ADMIN;
}

static int make_pseudonyms(struct redactor *r, struct builder *b, const uint8_t *archive_id,
			   const char *request)
{
	size_t keylen = REDACT_KEY_ID_LEN + strlen(request), k = 0;
	uint8_t *key = talloc_size(b->ctx, keylen);
	struct rd_person **order = talloc_array(b->ctx, struct rd_person *, r->n + 1);

	if (!key || !order)
		return -1;
	memcpy(key, archive_id, REDACT_KEY_ID_LEN);
	memcpy(key + REDACT_KEY_ID_LEN, request, strlen(request));
	for (size_t i = 0; i < r->n; i++) {
		if (!r->p[i].redacted)
			continue;
		person_code(&r->p[i], key, keylen);
		order[k++] = &r->p[i];
	}
	sodium_memzero(key, keylen);
	if (k)
		qsort(order, k, sizeof(*order), cmp_code);
	if (b->n_words)
		qsort(b->words, b->n_words, sizeof(*b->words), cmp_str);
	for (size_t i = 0; i < k; i++) {
		/* Unique: one character more than the longest prefix shared with a
		 * neighbour in sorted order. */
		size_t len = CODE_MIN, l;
		if (i > 0 && (l = lcp(order[i - 1]->code, order[i]->code) + 1) > len)
			len = l;
		if (i + 1 < k && (l = lcp(order[i]->code, order[i + 1]->code) + 1) > len)
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
	if (!(roles & (REDACT_STUDENTS | REDACT_GUARDIANS | REDACT_STAFF_NUMBERS)))
		n = 0; /* changes nothing */
	for (size_t i = 0; i < n; i++) {
		bool red = redacted_role(roles, persons[i].role);
		if (!red && !staff_role(persons[i].role))
			continue;
		r->p[k].id = persons[i].id;
		r->p[k].role = persons[i].role;
		r->p[k].redacted = red;
		r->n_redacted += red;
		k++;
	}
	r->n = k;
	if (r->n)
		qsort(r->p, r->n, sizeof(*r->p), cmp_person_id);
	for (size_t i = 0; i < n; i++) {
		struct rd_person key = {.id = persons[i].id}, *p;
		p = r->n ? bsearch(&key, r->p, r->n, sizeof(*r->p), cmp_person_id) : NULL;
		if (!p)
			continue;
		int who = (int)(p - r->p);
		if (add_person_patterns(&b, &persons[i], who, p->redacted) < 0)
			goto fail;
		if ((p->redacted || (roles & REDACT_STAFF_NUMBERS)) &&
		    add_numbers(r, &cap_num, persons[i].phone, who) < 0)
			goto fail;
	}
	if (make_pseudonyms(r, &b, archive_id, request ? request : "") < 0)
		goto fail;
	if (finish_patterns(r, &b) < 0)
		goto fail;
	if (r->n_num)
		qsort(r->num, r->n_num, sizeof(*r->num), cmp_number);
	/* Without anyone redacted, names need not be looked for. */
	if (!r->n_redacted)
		r->n_pat = 0;
	talloc_free(b.ctx);
	return r;
fail:
	talloc_free(r);
	return NULL;
}

size_t redact_count(const struct redactor *r)
{
	return r ? r->n_redacted : 0;
}

static const struct rd_person *person_of(const struct redactor *r, int64_t id)
{
	struct rd_person key = {.id = id};

	if (!r || !r->n || id <= 0)
		return NULL;
	return bsearch(&key, r->p, r->n, sizeof(*r->p), cmp_person_id);
}

const char *redact_pseudonym(const struct redactor *r, int64_t person_id)
{
	const struct rd_person *p = person_of(r, person_id);

	return p && p->redacted ? p->pseudonym : NULL;
}

const char *redact_rule_name(enum redact_rule rule)
{
	switch (rule) {
	case REDACT_RULE_NUMBER:
		return "number";
	case REDACT_RULE_STAFF_NUMBER:
		return "staff number";
	case REDACT_RULE_NAME:
		return "name";
	case REDACT_RULE_PARTY:
		return "name of a party";
	case REDACT_RULE_KEPT_STAFF:
		return "kept: a staff party's name too";
	case REDACT_RULE_KEPT_NOT_PARTY:
		return "kept: no party has it";
	case REDACT_RULE_KEPT_WORD:
		return "kept: a word in lower case";
	}
	return "?";
}

/* ---- Finding ------------------------------------------------------------------------- */

#define ROLE_STAFF (1u << 8) /* in a span's roles: a staff member's number */

struct span {
	size_t start, end; /* folded, then original */
	int who;	   /* index in persons, or -1 when several */
	unsigned roles;	   /* 1 << role of everyone it names, ROLE_STAFF */
	enum redact_rule rule;
	bool replace;
};

struct spans {
	void *ctx;
	struct span *s;
	size_t n, cap;
};

static int add_span(struct spans *sp, size_t start, size_t end, int who, unsigned roles,
		    enum redact_rule rule, bool replace)
{
	if (grow(sp->ctx, (void **)&sp->s, &sp->cap, sp->n, sizeof(*sp->s)) < 0)
		return -1;
	sp->s[sp->n++] = (struct span){start, end, who, roles, rule, replace};
	return 0;
}

static unsigned role_bit(const struct redactor *r, int who)
{
	return r->p[who].redacted ? 1u << r->p[who].role : ROLE_STAFF;
}

static const char *label(const struct redactor *r, int who, unsigned roles)
{
	if (who >= 0 && r->p[who].redacted)
		return r->p[who].pseudonym;
	if (roles & ROLE_STAFF)
		return roles == ROLE_STAFF ? "[staff number]" : "[withheld]";
	if (roles == 1u << DIR_STUDENT)
		return "[student]";
	if (roles == 1u << DIR_GUARDIAN)
		return "[guardian]";
	return "[student or guardian]";
}

/* Separators people write numbers with: anything but letters and digits (a number
 * wrapped onto the next line is still the number). */
static bool is_sep(unsigned char c)
{
	return c < 0x80 && (!fold_is_word(c) || c == '_');
}

/* The runs of digits (with up to three separators between digits, a run of white space
 * counting as one) that hold a number of the table, at any place in the run. */
static int find_numbers(const struct redactor *r, const char *s, struct spans *sp)
{
	size_t len = strlen(s), i = 0;
	char *dig = talloc_array(sp->ctx, char, len + 1);
	size_t *pos = talloc_array(sp->ctx, size_t, len + 1);

	if (!dig || !pos)
		return -1;
	while (i < len) {
		size_t j, nd = 0, nsep = 0, last = i;
		if (!is_digit((unsigned char)s[i])) {
			i++;
			continue;
		}
		for (j = i; j < len; j++) {
			unsigned char c = (unsigned char)s[j];
			if (is_digit(c)) {
				pos[nd] = j;
				dig[nd++] = (char)c;
				nsep = 0;
				last = j;
			} else if (is_space(c) && j > i && is_space((unsigned char)s[j - 1])) {
				continue; /* a run of white space is one separator */
			} else if (!is_sep(c) || ++nsep > 3) {
				break;
			}
		}
		dig[nd] = '\0';
		i = last + 1;
		if (nd < 7)
			continue;
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
					size_t st = pos[k], e = pos[k + l - 1] + 1;
					bool staff = !r->p[m->who].redacted;
					if (m->trunk && k > 0 && dig[k - 1] == '0')
						st = pos[k - 1];
					/* "+1 ...", "(617) ...": the sign and bracket go too. */
					while (st > 0 && (s[st - 1] == '+' || s[st - 1] == '('))
						st--;
					if (add_span(sp, st, e, m->who, role_bit(r, m->who),
						     staff ? REDACT_RULE_STAFF_NUMBER
							   : REDACT_RULE_NUMBER,
						     true) < 0)
						return -1;
				}
			}
		}
	}
	return 0;
}

static size_t match_at(const char *t, size_t i0, const struct rd_pattern *p)
{
	size_t i = i0;

	for (size_t j = 0; j < p->len; j++) {
		if (p->text[j] == ' ') {
			if (!is_space((unsigned char)t[i]))
				return 0;
			while (is_space((unsigned char)t[i]))
				i++;
			continue;
		}
		if (t[i] != p->text[j])
			return 0;
		i++;
	}
	if (fold_is_word((unsigned char)p->text[p->len - 1]) && !fold_word_end(t, i))
		return 0;
	return i - i0;
}

static bool in_scope(const struct redactor *r, int who, const int64_t *parties, size_t n)
{
	int64_t id = r->p[who].id;
	size_t lo = 0, hi = n;

	if (!parties)
		return true;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (parties[mid] == id)
			return true;
		if (parties[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Whom a set of owners names, as a span's who and roles. */
struct named {
	int who;
	unsigned roles;
	size_t n;
};

static void name_add(struct named *nm, const struct redactor *r, int who)
{
	if (!nm->n)
		nm->who = who;
	else if (nm->who != who)
		nm->who = -1;
	nm->roles |= role_bit(r, who);
	nm->n++;
}

/* What a match of pattern p means here: adds a span to replace or to report, or nothing
 * (a staff member's name, kept). */
/* A word written in lower case that the dictionary has in lower case ("drew", "will",
 * "park"): a word, not a name, even where a party is called so. */
static bool lower_case_word(const struct rd_pattern *p, const struct folded *f, const char *orig,
			    size_t s, size_t e)
{
	if (p->key_len != p->len || !common_word(p->text))
		return false;
	for (size_t i = f->from[s]; i < f->to[e - 1]; i++)
		if (orig[i] >= 'A' && orig[i] <= 'Z')
			return false;
	return true;
}

static int decide(const struct redactor *r, const struct rd_pattern *p, size_t s, size_t e,
		  const int64_t *parties, size_t n_parties, bool lower_word, struct spans *sp)
{
	struct named strong = {0}, party = {0}, staff = {0}, other = {0};
	bool staff_strong = false, staff_strong_party = false, strong_party = false;

	for (size_t i = 0; i < p->n_own; i++) {
		int who = p->own[i].who;
		bool red = r->p[who].redacted;
		if (p->own[i].strong) {
			bool in = in_scope(r, who, parties, n_parties);
			if (red) {
				name_add(&strong, r, who);
				strong_party |= in;
			} else {
				staff_strong = true;
				staff_strong_party |= in;
			}
			continue;
		}
		if (!in_scope(r, who, parties, n_parties)) {
			if (red)
				name_add(&other, r, who);
			continue;
		}
		name_add(red ? &party : &staff, r, who);
	}
	/* A full name a staff member and a redacted person share names the staff member
	 * where only they are a party ("[Cheer] Coach Heather Hall:", the relay's own
	 * attribution, when a guardian elsewhere is Heather Hall too); else it goes. */
	if (strong.n && staff_strong_party && !strong_party)
		return add_span(sp, s, e, strong.who, strong.roles, REDACT_RULE_KEPT_STAFF, false);
	if (strong.n)
		return add_span(sp, s, e, strong.who, strong.roles, REDACT_RULE_NAME, true);
	if (staff_strong)
		return 0;
	if (party.n && lower_word)
		return add_span(sp, s, e, party.who, party.roles, REDACT_RULE_KEPT_WORD, false);
	if (party.n && !staff.n)
		return add_span(sp, s, e, party.who, party.roles, REDACT_RULE_PARTY, true);
	if (party.n)
		return add_span(sp, s, e, party.who, party.roles, REDACT_RULE_KEPT_STAFF, false);
	if (other.n)
		return add_span(sp, s, e, other.who, other.roles, REDACT_RULE_KEPT_NOT_PARTY,
				false);
	return 0;
}

static int find_names(const struct redactor *r, const struct folded *f, const char *orig,
		      const int64_t *parties, size_t n_parties, struct spans *sp)
{
	const char *s = f->s;
	size_t i = 0, last_end = 0;

	while (s[i]) {
		size_t k, lo = 0, hi = r->n_pat, m = 0;
		if (!fold_word_start(s, i)) {
			i++;
			continue;
		}
		k = fold_word_len(s, i);
		if (k >= TOKEN_MAX) {
			i += k;
			continue;
		}
		/* The first pattern whose first word is >= the token. */
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			const struct rd_pattern *p = &r->pat[mid];
			size_t n = p->key_len < k ? p->key_len : k;
			int c = memcmp(p->text, s + i, n);
			if (!c)
				c = p->key_len < k ? -1 : p->key_len > k;
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (;
		     lo < r->n_pat && r->pat[lo].key_len == k && !memcmp(r->pat[lo].text, s + i, k);
		     lo++) {
			m = match_at(s, i, &r->pat[lo]);
			if (m)
				break;
		}
		if (!m) {
			i += k;
			continue;
		}
		/* "@rileyc": the at sign goes with the handle. */
		size_t st = i > last_end && s[i - 1] == '@' ? i - 1 : i;
		if (decide(r, &r->pat[lo], st, i + m, parties, n_parties,
			   lower_case_word(&r->pat[lo], f, orig, i, i + m), sp) < 0)
			return -1;
		i += m;
		last_end = i;
	}
	return 0;
}

/* ---- Replacing ----------------------------------------------------------------------- */

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->replace != y->replace)
		return x->replace ? -1 : 1;
	return x->end > y->end ? -1 : x->end < y->end;
}

/* Text with the spans (in its bytes) to replace replaced by their labels, merged where
 * they overlap; kept spans inside a replaced one are dropped. */
static char *apply_spans(void *ctx, const struct redactor *r, const char *text, struct spans *sp,
			 struct redact_hit **hits, size_t *n_hits)
{
	char *out;
	size_t from = 0, o = 0, nh = 0;
	struct redact_hit *h = NULL;

	if (sp->n)
		qsort(sp->s, sp->n, sizeof(*sp->s), cmp_span);
	for (size_t i = 0; i < sp->n; i++) {
		if (o && sp->s[i].start < sp->s[o - 1].end) {
			struct span *m = &sp->s[o - 1];
			if (!sp->s[i].replace)
				continue;
			if (!m->replace) { /* a kept span is overruled */
				*m = sp->s[i];
				continue;
			}
			if (sp->s[i].end > m->end)
				m->end = sp->s[i].end;
			if (m->who != sp->s[i].who)
				m->who = -1;
			m->roles |= sp->s[i].roles;
			continue;
		}
		sp->s[o++] = sp->s[i];
	}
	sp->n = o;
	if (hits) {
		h = talloc_zero_array(ctx, struct redact_hit, o + 1);
		if (!h)
			return NULL;
	}
	out = talloc_strdup(ctx, "");
	for (size_t i = 0; out && i < o; i++) {
		const struct span *s = &sp->s[i];
		const char *lab = label(r, s->who, s->roles);
		out = talloc_strndup_append_buffer(out, text + from, s->start - from);
		if (!out)
			break;
		size_t at = talloc_get_size(out) - 1;
		if (s->replace) {
			out = talloc_strdup_append_buffer(out, lab);
			from = s->end;
		} else {
			out = talloc_strndup_append_buffer(out, text + s->start, s->end - s->start);
			from = s->end;
		}
		if (h && out)
			h[nh++] = (struct redact_hit){.start = at,
						      .end = talloc_get_size(out) - 1,
						      .rule = s->rule,
						      .label = lab};
	}
	if (out)
		out = talloc_strdup_append_buffer(out, text + from);
	if (hits) {
		*hits = h;
		*n_hits = nh;
	}
	return out;
}

/* From the folded text's bytes back to the text's. */
static void unfold_spans(struct spans *sp, size_t from_n, const struct folded *f)
{
	for (size_t i = from_n; i < sp->n; i++) {
		size_t a = sp->s[i].start, b = sp->s[i].end;
		sp->s[i].start = f->from[a];
		sp->s[i].end = b > a ? f->to[b - 1] : f->from[a];
	}
}

/* Whether [s, e) overlaps one of the labels the numbers' pass wrote. */
static bool over_label(const struct redact_hit *h, size_t n, size_t s, size_t e)
{
	for (size_t i = 0; i < n; i++)
		if (s < h[i].end && h[i].start < e)
			return true;
	return false;
}

static int cmp_hit(const void *a, const void *b)
{
	const struct redact_hit *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Numbers first, then names in what is left: a number glued to a handle
 * ("xiaomingw5550101") must not leave the handle standing as a word once the number is
 * a label, and the labels themselves are never looked into. */
char *redact_text_in(void *ctx, const struct redactor *r, const char *text, const int64_t *parties,
		     size_t n_parties, struct redact_hit **hits, size_t *n_hits)
{
	struct spans sp = {0};
	struct folded f;
	struct redact_hit *h1 = NULL, *h2 = NULL;
	size_t n1 = 0, n2 = 0;
	char *tmp, *out = NULL;

	if (hits) {
		*hits = NULL;
		*n_hits = 0;
	}
	if (!text)
		return NULL;
	if (!r || (!r->n_pat && !r->n_num))
		return talloc_strdup(ctx, text);
	sp.ctx = talloc_new(ctx);
	if (!sp.ctx)
		return NULL;
	if (text_fold(sp.ctx, text, &f) < 0 || find_numbers(r, f.s, &sp) < 0)
		goto done;
	unfold_spans(&sp, 0, &f);
	tmp = apply_spans(sp.ctx, r, text, &sp, &h1, &n1);
	if (!tmp)
		goto done;
	sp.n = 0;
	if (text_fold(sp.ctx, tmp, &f) < 0 || find_names(r, &f, tmp, parties, n_parties, &sp) < 0)
		goto done;
	unfold_spans(&sp, 0, &f);
	size_t o = 0;
	for (size_t i = 0; i < sp.n; i++)
		if (!over_label(h1, n1, sp.s[i].start, sp.s[i].end))
			sp.s[o++] = sp.s[i];
	sp.n = o;
	out = apply_spans(ctx, r, tmp, &sp, &h2, &n2);
	if (!out || !hits)
		goto done;
	/* The numbers' labels, moved by what the names' pass changed before them. */
	struct redact_hit *all = talloc_array(ctx, struct redact_hit, n1 + n2 + 1);
	if (!all) {
		out = NULL;
		goto done;
	}
	for (size_t i = 0; i < n1; i++) {
		ptrdiff_t shift = 0;
		for (size_t k = 0; k < sp.n && sp.s[k].start < h1[i].start; k++)
			if (sp.s[k].replace)
				shift += (ptrdiff_t)strlen(label(r, sp.s[k].who, sp.s[k].roles)) -
					 (ptrdiff_t)(sp.s[k].end - sp.s[k].start);
		all[i] = h1[i];
		all[i].start = (size_t)((ptrdiff_t)h1[i].start + shift);
		all[i].end = (size_t)((ptrdiff_t)h1[i].end + shift);
	}
	memcpy(all + n1, h2, n2 * sizeof(*h2));
	if (n1 + n2)
		qsort(all, n1 + n2, sizeof(*all), cmp_hit);
	*hits = all;
	*n_hits = n1 + n2;
done:
	talloc_free(sp.ctx);
	return out;
}

char *redact_text(void *ctx, const struct redactor *r, const char *text)
{
	return redact_text_in(ctx, r, text, NULL, 0, NULL, NULL);
}
