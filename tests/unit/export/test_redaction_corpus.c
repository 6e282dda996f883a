/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The redactor measured against a labelled corpus (tests/fixtures/redaction/corpus.txt):
 * every marked mention of a student, guardian or staff member, and words that look like
 * names but name nobody, in three spellings (as written; no-break spaces, non-breaking
 * hyphens and full-width digits; Arabic-Indic digits and a zero-width space inside
 * names). Prints, per class, how many mentions were redacted (the table in
 * docs/records.md), and fails unless every full name, handle and number of a redacted
 * person is redacted (recall 1.00), every withheld staff number too, and no staff
 * member's name ever is.
 *
 * Each mention is fenced by two private-use characters of its own (U+E000 + 2i, + 2i + 1)
 * before redaction: after it, the mention was redacted when its fence is gone or what
 * is inside changed. Labels outside every fence are replacements of unmarked text. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <talloc.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "storage/export/redact.h"

static const struct store_person district[] = {
    {.id = 1,
     .role = DIR_STUDENT,
     .given = "Jamie",
     .family = "Rivera",
     .handle = "jamier",
     .phone = "+16175550301"},
    {.id = 2,
     .role = DIR_STUDENT,
     .given = "Sam",
     .family = "Ortiz",
     .handle = "samo",
     .phone = "+16175550302"},
    {.id = 3,
     .role = DIR_STUDENT,
     .given = "Drew",
     .family = "Kim",
     .handle = "drewk",
     .phone = "+16175550303"},
    {.id = 4,
     .role = DIR_STUDENT,
     .given = "Grace",
     .family = "Park",
     .handle = "gracep",
     .phone = "+16175550304"},
    {.id = 5,
     .role = DIR_STUDENT,
     .given = "Will",
     .family = "Chen",
     .handle = "willc",
     .phone = "+16175550305"},
    {.id = 6,
     .role = DIR_STUDENT,
     .given = "Hope",
     .family = "Martin",
     .handle = "hopem",
     .phone = "+16175550306"},
    {.id = 7, .role = DIR_STUDENT, .given = "Summer", .family = "Nguyen", .handle = "summern"},
    {.id = 8,
     .role = DIR_STUDENT,
     .given = "Mary Ann",
     .family = "Dupré-García",
     .handle = "maryd",
     .phone = "+33612345678"},
    {.id = 9,
     .role = DIR_STUDENT,
     .given = "小明",
     .family = "王",
     .handle = "xiaomingw",
     .phone = "+8613812349999"},
    {.id = 10, .role = DIR_STUDENT, .given = "Chase", .family = "Brown", .handle = "chaseb"},
    {.id = 11, .role = DIR_STUDENT, .given = "Jordan", .family = "Lee", .handle = "jordanl"},
    {.id = 12, .role = DIR_STUDENT, .given = "Mark", .family = "Rossi", .handle = "markr"},
    {.id = 20,
     .role = DIR_GUARDIAN,
     .given = "Dana",
     .family = "Fox",
     .handle = "danaf",
     .phone = "+16175550499"},
    {.id = 21,
     .role = DIR_GUARDIAN,
     .given = "Robin",
     .family = "Ortiz",
     .handle = "robino",
     .phone = "+16175550498"},
    {.id = 22, .role = DIR_GUARDIAN, .given = "Grace", .family = "Kim", .handle = "gracek"},
    {.id = 23,
     .role = DIR_GUARDIAN,
     .given = "Ahmed",
     .family = "Haddad",
     .handle = "ahmedh",
     .phone = "+16175550497"},
    {.id = 24, .role = DIR_GUARDIAN, .given = "丽", .family = "王", .handle = "wangl"},
    {.id = 30,
     .role = DIR_STAFF,
     .given = "Dana",
     .family = "Lee",
     .handle = "danal",
     .phone = "+16175550101"},
    {.id = 31,
     .role = DIR_STAFF,
     .given = "Mark",
     .family = "Evans",
     .handle = "marke",
     .phone = "+16175550102"},
    {.id = 32, .role = DIR_STAFF, .given = "Alan", .family = "Turner", .handle = "alant"},
    {.id = 33, .role = DIR_ADMIN, .given = "Omar", .family = "Haddad", .handle = "omarh"},
    {.id = 34, .role = DIR_STAFF, .given = "Ana", .family = "Silva", .handle = "anas"},
};

/* The classes of the corpus, in the table's order; `must` 1: must be redacted, 0: must
 * stay, -1: measured only (a name word alone: redacted only where it names a party). */
static const struct {
	const char *code, *what;
	int must;
} classes[] = {
    {"SF", "student: full name", 1},
    {"SH", "student: handle", 1},
    {"SN", "student: number", 1},
    {"SB", "student: name word alone", -1},
    {"GF", "guardian: full name", 1},
    {"GH", "guardian: handle", 1},
    {"GN", "guardian: number", 1},
    {"GB", "guardian: name word alone", -1},
    {"TN", "staff: number (withheld)", 1},
    {"T", "staff: name", 0},
    {"W", "look-alike word, names nobody", 0},
};
#define N_CLASSES ARRAY_SIZE(classes)

struct tally {
	size_t mentions, redacted;
};

struct mention {
	int cls;
	char *surface;
};

static int class_of(const char *code)
{
	for (size_t i = 0; i < N_CLASSES; i++)
		if (!strcmp(classes[i].code, code))
			return (int)i;
	return -1;
}

static int64_t id_of(const char *handle)
{
	for (size_t i = 0; i < ARRAY_SIZE(district); i++)
		if (!strcmp(district[i].handle, handle))
			return district[i].id;
	fail_msg("no person %s in the corpus's district", handle);
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* A UTF-8 code point. */
static char *append_cp(char *s, unsigned cp)
{
	char b[5] = {0};

	if (cp < 0x80)
		b[0] = (char)cp;
	else if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3F));
	} else {
		b[0] = (char)(0xE0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
	}
	return talloc_strdup_append(s, b);
}

/* A mention's surface as variant v spells it. */
static char *respell(void *ctx, const char *s, int v)
{
	char *o = talloc_strdup(ctx, "");
	bool zw = false;

	for (size_t i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (v == 1 && c == ' ')
			o = append_cp(o, 0x00A0); /* no-break space */
		else if (v == 1 && c == '-')
			o = append_cp(o, 0x2011); /* non-breaking hyphen */
		else if (v == 1 && c >= '0' && c <= '9')
			o = append_cp(o, 0xFF10 + (c - '0')); /* full-width */
		else if (v == 2 && c >= '0' && c <= '9')
			o = append_cp(o, 0x0660 + (c - '0')); /* Arabic-Indic */
		else {
			char b[2] = {(char)c, 0};
			o = talloc_strdup_append(o, b);
			/* A zero-width space after the first letter of a name. */
			if (v == 2 && !zw && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
				o = append_cp(o, 0x200B);
				zw = true;
			}
		}
	}
	return o;
}

static const char *const labels[] = {"Student ",   "Guardian ",	     "[student",
				     "[guardian]", "[staff number]", "[withheld]"};

/* One line: parse its marks, redact, judge each mention. */
static void run_line(void *ctx, const struct redactor *r, char *line, int v, struct tally *t,
		     size_t *unmarked)
{
	char *tab = strchr(line, '\t'), *text, *p;
	int64_t parties[32];
	size_t n_parties = 0, n = 0;
	struct mention m[64];
	bool everyone;

	assert_non_null(tab);
	*tab = '\0';
	everyone = !strcmp(line, "*");
	for (char *save = NULL, *h = everyone ? NULL : strtok_r(line, ",", &save); h;
	     h = strtok_r(NULL, ",", &save))
		parties[n_parties++] = id_of(h);
	qsort(parties, n_parties, sizeof(*parties), cmp_i64);
	text = talloc_strdup(ctx, "");
	for (p = tab + 1; *p;) {
		char *open = strstr(p, "[["), *close, *bar, *colon;
		if (!open) {
			text = talloc_strdup_append(text, p);
			break;
		}
		text = talloc_strndup_append(text, p, (size_t)(open - p));
		close = strstr(open, "]]");
		bar = strchr(open, '|');
		assert_non_null(close);
		assert_non_null(bar);
		*bar = '\0';
		*close = '\0';
		colon = strchr(open + 2, ':');
		if (colon)
			*colon = '\0';
		m[n].cls = class_of(open + 2);
		if (m[n].cls < 0)
			fail_msg("unknown class %s", open + 2);
		m[n].surface = respell(ctx, bar + 1, classes[m[n].cls].must == 0 ? 0 : v);
		text = append_cp(text, 0xE000 + 2 * (unsigned)n);
		text = talloc_strdup_append(text, m[n].surface);
		text = append_cp(text, 0xE001 + 2 * (unsigned)n);
		n++;
		p = close + 2;
	}
	char *out = redact_text_in(ctx, r, text, everyone ? NULL : parties, n_parties, NULL, NULL);
	assert_non_null(out);
	char *rest = talloc_strdup(ctx, out);
	for (size_t i = 0; i < n; i++) {
		char a[4] = {0}, b[4] = {0};
		char *x = append_cp(talloc_strdup(ctx, ""), 0xE000 + 2 * (unsigned)i);
		char *y = append_cp(talloc_strdup(ctx, ""), 0xE001 + 2 * (unsigned)i);
		memcpy(a, x, strlen(x));
		memcpy(b, y, strlen(y));
		char *s = strstr(out, a), *e = strstr(out, b);
		bool kept = s && e && e > s &&
			    (size_t)(e - s - strlen(a)) == strlen(m[i].surface) &&
			    !memcmp(s + strlen(a), m[i].surface, strlen(m[i].surface));
		t[m[i].cls].mentions++;
		t[m[i].cls].redacted += !kept;
		if (kept != (classes[m[i].cls].must != 1) && classes[m[i].cls].must >= 0)
			printf("  %s %s: '%s' in '%s'\n", classes[m[i].cls].code,
			       kept ? "kept" : "redacted", m[i].surface, out);
		/* Blank what lies inside this fence, to count labels outside all fences. */
		char *rs = strstr(rest, a), *re = strstr(rest, b);
		if (rs && re && re > rs)
			memset(rs, ' ', (size_t)(re - rs));
	}
	for (size_t k = 0; k < ARRAY_SIZE(labels); k++)
		for (char *q = strstr(rest, labels[k]); q; q = strstr(q + 1, labels[k])) {
			printf("  unmarked replacement in '%s'\n", out);
			(*unmarked)++;
		}
}

static void test_corpus(void **state __attribute__((unused)))
{
	void *ctx = talloc_new(NULL);
	static const uint8_t key[REDACT_KEY_ID_LEN] = {0xc0};
	struct redactor *r = redact_new(ctx, district, ARRAY_SIZE(district), key, "PRR-CORPUS",
					REDACT_STUDENTS | REDACT_GUARDIANS | REDACT_STAFF_NUMBERS);
	struct tally t[N_CLASSES] = {{0}};
	size_t unmarked = 0, lines = 0;
	FILE *f = fopen(CORPUS, "r");
	char buf[4096];

	assert_non_null(r);
	assert_non_null(f);
	for (int v = 0; v < 3; v++) {
		rewind(f);
		while (fgets(buf, sizeof(buf), f)) {
			buf[strcspn(buf, "\n")] = '\0';
			if (!buf[0] || buf[0] == '#')
				continue;
			run_line(ctx, r, buf, v, t, &unmarked);
			lines++;
		}
	}
	fclose(f);

	size_t tp = 0, fp = unmarked, mentions = 0;
	for (size_t i = 0; i < N_CLASSES; i++)
		mentions += t[i].mentions;
	printf("\n%zu messages, each in 3 spellings: %zu mentions\n\n", lines / 3, mentions);
	printf("| class | must be | mentions | redacted | rate |\n|---|---|---:|---:|---:|\n");
	for (size_t i = 0; i < N_CLASSES; i++) {
		printf("| %s | %s | %zu | %zu | %.2f |\n", classes[i].what,
		       classes[i].must == 1   ? "redacted"
		       : classes[i].must == 0 ? "kept"
					      : "redacted where its person is a party",
		       t[i].mentions, t[i].redacted,
		       t[i].mentions ? (double)t[i].redacted / (double)t[i].mentions : 0.0);
		if (classes[i].must != 0)
			tp += t[i].redacted;
		else
			fp += t[i].redacted;
	}
	printf("\nPrecision (redacted mentions that had to be, of all replacements): %.2f "
	       "(%zu of %zu; %zu replacements of unmarked text)\n",
	       tp + fp ? (double)tp / (double)(tp + fp) : 1.0, tp, tp + fp, unmarked);
	for (size_t i = 0; i < N_CLASSES; i++) {
		if (classes[i].must == 1 && t[i].redacted != t[i].mentions)
			fail_msg("%s: recall %zu of %zu", classes[i].what, t[i].redacted,
				 t[i].mentions);
		if (!strcmp(classes[i].code, "T") && t[i].redacted)
			fail_msg("a staff name was redacted (%zu)", t[i].redacted);
		assert_true(t[i].mentions > 0);
	}
	talloc_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
