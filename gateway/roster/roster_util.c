/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Roster import helpers: a string map, problem reports, names and handles. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "storage/model/phone_number.h"
#include "gateway/roster/roster_internal.h"

const char *const rfile_names[RF_N] = {
    [RF_MANIFEST] = "manifest.csv",
    [RF_ORGS] = "orgs.csv",
    [RF_USERS] = "users.csv",
    [RF_CLASSES] = "classes.csv",
    [RF_ENROLLMENTS] = "enrollments.csv",
    [RF_GUARDIANS] = "guardians.csv",
    [RF_TEAMS] = "teams.csv",
    [RF_TITLES] = "titles.csv",
};

/* --- String map: open addressing, FNV-1a ------------------------------------------------ */

struct rmap_slot {
	char *key;
	void *val;
};

struct rmap {
	struct rmap_slot *slots;
	size_t cap, n;
};

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

struct rmap *rmap_new(void *ctx)
{
	struct rmap *m = talloc_zero(ctx, struct rmap);

	if (!m)
		return NULL;
	m->cap = 64;
	m->slots = talloc_zero_array(m, struct rmap_slot, m->cap);
	return m;
}

static struct rmap_slot *find(const struct rmap *m, const char *key)
{
	size_t i = hash(key) & (m->cap - 1);

	while (m->slots[i].key && strcmp(m->slots[i].key, key))
		i = (i + 1) & (m->cap - 1);
	return &m->slots[i];
}

void *rmap_get(const struct rmap *m, const char *key)
{
	if (!m || !key)
		return NULL;
	return find(m, key)->val;
}

void rmap_put(struct rmap *m, const char *key, void *val)
{
	struct rmap_slot *slot;

	if (!m || !key)
		return;
	if ((m->n + 1) * 2 > m->cap) {
		struct rmap_slot *old = m->slots;
		size_t old_cap = m->cap;
		struct rmap_slot *slots = talloc_zero_array(m, struct rmap_slot, old_cap * 2);

		if (!slots)
			return;
		m->slots = slots;
		m->cap = old_cap * 2;
		for (size_t i = 0; i < old_cap; i++)
			if (old[i].key)
				*find(m, old[i].key) = old[i];
		talloc_free(old);
	}
	slot = find(m, key);
	if (!slot->key) {
		slot->key = talloc_strdup(m, key);
		m->n++;
	}
	slot->val = val;
}

/* --- Problems -------------------------------------------------------------------------- */

static void add_problem(struct rimport *im, const char *path, unsigned line, char *msg)
{
	struct rproblem *p =
	    talloc_realloc(im->ctx, im->problems, struct rproblem, im->n_problems + 1);

	if (!p)
		return;
	im->problems = p;
	p[im->n_problems] = (struct rproblem){
	    .path = talloc_strdup(im->ctx, path),
	    .line = line,
	    .seq = im->n_problems,
	    .msg = msg,
	};
	im->n_problems++;
}

static int cmp_problem(const void *a, const void *b)
{
	const struct rproblem *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void rim_sort_problems(struct rimport *im)
{
	struct roster_report *r = im->rep;

	if (im->n_problems)
		qsort(im->problems, im->n_problems, sizeof(im->problems[0]), cmp_problem);
	r->problems = talloc_array(r, char *, im->n_problems + 1);
	if (!r->problems)
		return;
	for (unsigned i = 0; i < im->n_problems; i++)
		r->problems[i] = talloc_steal(r, im->problems[i].msg);
	r->n_problems = im->n_problems;
}

void rim_problem(struct rimport *im, const char *path, unsigned line, const char *fmt, ...)
{
	va_list ap;
	char *why;

	va_start(ap, fmt);
	why = talloc_vasprintf(im->ctx, fmt, ap);
	va_end(ap);
	add_problem(im, path, line, talloc_asprintf(im->ctx, "%s:%u: %s", path, line, why));
	talloc_free(why);
}

void rim_note(struct rimport *im, const char *path, unsigned line, const char *fmt, ...)
{
	struct roster_report *r = im->rep;
	char **grown = talloc_realloc(r, r->notes, char *, r->n_notes + 1);
	va_list ap;
	char *why;

	if (!grown)
		return;
	r->notes = grown;
	va_start(ap, fmt);
	why = talloc_vasprintf(im->ctx, fmt, ap);
	va_end(ap);
	grown[r->n_notes++] = talloc_asprintf(r, "%s:%u: %s", path, line, why ? why : "");
	talloc_free(why);
}

void rim_fatal(struct rimport *im, const char *path, unsigned line, const char *fmt, ...)
{
	va_list ap;
	char *why;

	va_start(ap, fmt);
	why = talloc_vasprintf(im->ctx, fmt, ap);
	va_end(ap);
	if (line)
		add_problem(im, path, line, talloc_asprintf(im->ctx, "%s:%u: %s", path, line, why));
	else
		add_problem(im, path, line, talloc_asprintf(im->ctx, "%s: %s", path, why));
	talloc_free(why);
	im->failed = true;
}

/* --- Persons and teams ----------------------------------------------------------------- */

struct rperson *rim_person_by_source(struct rimport *im, const char *source_id)
{
	return source_id && *source_id ? rmap_get(im->by_source, source_id) : NULL;
}

struct rperson *rim_person_ref(struct rimport *im, const char *ref)
{
	struct rperson *p = rim_person_by_source(im, ref);
	char *h;

	if (p || !ref || !*ref)
		return p;
	h = rim_lower(im->ctx, ref, '@');
	p = rmap_get(im->by_handle, h);
	talloc_free(h);
	return p;
}

struct rperson *rim_person_new(struct rimport *im, const char *source_id)
{
	struct rperson *p = talloc_zero(im->ctx, struct rperson);
	struct rperson **arr =
	    talloc_realloc(im->ctx, im->persons, struct rperson *, im->n_persons + 1);

	if (!p || !arr)
		return NULL;
	im->persons = arr;
	arr[im->n_persons++] = p;
	p->seen_in = RF_N;
	p->want.source_id = talloc_strdup(p, source_id);
	p->want.active = true;
	if (source_id)
		rmap_put(im->by_source, source_id, p);
	return p;
}

struct rteam *rim_team_new(struct rimport *im)
{
	struct rteam *t = talloc_zero(im->ctx, struct rteam);
	struct rteam **arr = talloc_realloc(im->ctx, im->teams, struct rteam *, im->n_teams + 1);

	if (!t || !arr)
		return NULL;
	im->teams = arr;
	arr[im->n_teams++] = t;
	t->want.active = true;
	return t;
}

void rim_keep(struct rimport *im, const char *source_id)
{
	struct rperson *p = rim_person_by_source(im, source_id);

	if (!source_id || !*source_id)
		return;
	rmap_put(im->rejected, source_id, im);
	/* Only persons already in the database: a new one simply is not added. */
	if (p && p->cur.id)
		p->keep = true;
}

bool rim_was_rejected(struct rimport *im, const char *source_id)
{
	return rmap_get(im->rejected, source_id) != NULL;
}

void rim_keep_team(struct rimport *im, struct rteam *t)
{
	(void)im;
	if (t && t->cur.id)
		t->keep = true;
}

bool rim_origin_present(const struct rimport *im, const char *origin, bool teams)
{
	if (!origin)
		return false;
	if (!strcmp(origin, STORE_ORIGIN_ONEROSTER))
		return im->files[teams ? RF_CLASSES : RF_USERS] != NULL;
	if (!strcmp(origin, STORE_ORIGIN_GUARDIANS))
		return im->files[RF_GUARDIANS] != NULL;
	if (!strcmp(origin, STORE_ORIGIN_TEAMS))
		return im->files[RF_TEAMS] != NULL;
	return false;
}

void rim_guardianship(struct rimport *im, struct rperson *student, struct rperson *guardian,
		      const char *relationship, const char *origin)
{
	char key[64];
	struct rguardianship *g;
	uintptr_t idx;

	snprintf(key, sizeof(key), "%p/%p", (void *)student, (void *)guardian);
	idx = (uintptr_t)rmap_get(im->guardianship_keys, key);
	if (idx) {
		g = &im->guardianships[idx - 1];
		/* guardians.csv says what the relationship is; a OneRoster role ("parent")
		 * only fills in when nothing more precise is known. */
		if (relationship && *relationship &&
		    (!g->relationship || !strcmp(origin, STORE_ORIGIN_GUARDIANS)))
			g->relationship = relationship;
		return;
	}
	g = talloc_realloc(im->ctx, im->guardianships, struct rguardianship,
			   im->n_guardianships + 1);
	if (!g)
		return;
	im->guardianships = g;
	g[im->n_guardianships++] = (struct rguardianship){
	    .student = student,
	    .guardian = guardian,
	    .relationship = relationship && *relationship ? relationship : NULL,
	    .origin = origin,
	};
	rmap_put(im->guardianship_keys, key, (void *)(uintptr_t)im->n_guardianships);
}

bool rim_team_has(struct rperson **arr, unsigned n, const struct rperson *p)
{
	for (unsigned i = 0; i < n; i++)
		if (arr[i] == p)
			return true;
	return false;
}

void rim_team_add(struct rteam *t, struct rperson ***arr, unsigned *n, struct rperson *p)
{
	struct rperson **a;

	if (rim_team_has(*arr, *n, p))
		return;
	a = talloc_realloc(t, *arr, struct rperson *, *n + 1);
	if (!a)
		return;
	*arr = a;
	a[(*n)++] = p;
}

const char *rim_phone(struct rimport *im, const char *path, unsigned line, const char *what,
		      const char *in)
{
	char out[32];
	const char *why = "invalid";

	if (!in || !*in)
		return NULL;
	if (phone_normalize(out, sizeof(out), in,
			    im->opt->country_code ? im->opt->country_code : "1", &why) < 0) {
		rim_problem(im, path, line, "invalid %s '%s': %s; imported without it", what, in,
			    why);
		return NULL;
	}
	return talloc_strdup(im->ctx, out);
}

char *rim_trim(void *ctx, const char *s)
{
	char *r;
	size_t len;

	while (*s == ' ' || *s == '\t')
		s++;
	r = talloc_strdup(ctx, s);
	len = strlen(r);
	while (len && (r[len - 1] == ' ' || r[len - 1] == '\t'))
		r[--len] = '\0';
	return r;
}

char *rim_lower(void *ctx, const char *s, char sigil)
{
	char *r;

	while (*s == ' ' || *s == '\t')
		s++;
	if (sigil && *s == sigil)
		s++;
	r = rim_trim(ctx, s);
	for (char *q = r; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	return r;
}

/* --- Names ----------------------------------------------------------------------------- */

/* Latin-1 Supplement U+00C0..U+00FF and Latin Extended-A U+0100..U+017F to one ASCII letter
 * each ('\0': none), so "José Núñez" gets the handle "josen". */
static const char latin1[] = "aaaaaaaceeeeiiiidnooooo\0ouuuuytsaaaaaaaceeeeiiiidnooooo\0ouuuuyty";
_Static_assert(sizeof(latin1) == 0x40 + 1, "one letter per code point U+00C0..U+00FF");
static const char latin_ext_a[] = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkk"
				  "llllllllllnnnnnnnnnoooooooorrrrrrsssssssstttttt"
				  "uuuuuuuuuuuuwwyyyzzzzzzs";
_Static_assert(sizeof(latin_ext_a) == 0x80 + 1, "one letter per code point U+0100..U+017F");

/* The next character of s as one lower-case ASCII letter or digit, '\0' when it has no
 * such equivalent; advances *s past it. */
static char next_ascii(const char **s)
{
	const unsigned char *u = (const unsigned char *)*s;
	unsigned cp;

	if (*u < 0x80) {
		*s += 1;
		return isalnum(*u) ? (char)tolower(*u) : '\0';
	}
	if ((*u & 0xE0) == 0xC0 && (u[1] & 0xC0) == 0x80) {
		*s += 2;
		cp = ((unsigned)(*u & 0x1F) << 6) | (u[1] & 0x3F);
		if (cp >= 0xC0 && cp <= 0xFF)
			return latin1[cp - 0xC0];
		if (cp >= 0x100 && cp <= 0x17F)
			return latin_ext_a[cp - 0x100];
		return '\0';
	}
	/* Anything else: skip the whole sequence. */
	u++;
	while ((*u & 0xC0) == 0x80)
		u++;
	*s = (const char *)u;
	return '\0';
}

/* Given name (up to 20 letters) and the first `family_letters` letters of the family
 * name, lower-case ASCII. */
static void handle_from(char *out, size_t cap, const char *given, const char *family,
			size_t family_letters)
{
	size_t n = 0, f = 0;
	const size_t max_given = 20;
	char c;

	if (!cap)
		return;
	out[0] = '\0';
	while (given && *given && n < max_given && n + 1 < cap) {
		c = next_ascii(&given);
		if (c)
			out[n++] = c;
	}
	while (family && *family && f < family_letters && n + 1 < cap) {
		c = next_ascii(&family);
		if (c) {
			out[n++] = c;
			f++;
		}
	}
	out[n] = '\0';
}

void roster_handle_base(char *out, size_t cap, const char *given, const char *family)
{
	handle_from(out, cap, given, family, 1);
}

void roster_handle_long(char *out, size_t cap, const char *given, const char *family)
{
	handle_from(out, cap, given, family, 12);
}

int roster_unique_name(char *out, size_t cap, const char *base, const char *fallback,
		       int (*taken)(void *arg, const char *name), void *arg)
{
	const char *b = base && *base ? base : fallback;
	size_t len = strlen(b);
	bool digit_end = len && isdigit((unsigned char)b[len - 1]);

	for (unsigned i = 1; i < 100000; i++) {
		int t;
		if (i == 1)
			snprintf(out, cap, "%s", b);
		else
			snprintf(out, cap, "%s%s%u", b, digit_end ? "-" : "", i);
		t = taken(arg, out);
		if (t < 0)
			return -1;
		if (!t)
			return 0;
	}
	return -1;
}

static bool word_chars(const char *w)
{
	size_t n = 0;

	for (; w[n]; n++) {
		char c = w[n];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return n >= 1 && n <= 32;
}

bool roster_handle_valid(const char *h)
{
	return h && word_chars(h) && isalnum((unsigned char)h[0]);
}

bool roster_word_valid(const char *w)
{
	return w && word_chars(w) && w[0] >= 'a' && w[0] <= 'z';
}

bool roster_name_valid(const char *s)
{
	size_t n;

	if (!s || !*s)
		return false;
	n = strlen(s);
	if (n > 100)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
			return false;
	return true;
}

size_t roster_space_len(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	if (u[0] == ' ' || u[0] == '\t')
		return 1;
	if (u[0] == 0xc2 && u[1] == 0xa0) /* U+00A0 no-break space */
		return 2;
	if (u[0] == 0xe2 && u[1] == 0x80 &&
	    ((u[2] >= 0x80 && u[2] <= 0x8a) || u[2] == 0xaf)) /* U+2000..200A, U+202F */
		return 3;
	if (u[0] == 0xe2 && u[1] == 0x81 && u[2] == 0x9f) /* U+205F */
		return 3;
	if (u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80) /* U+3000 ideographic space */
		return 3;
	return 0;
}
