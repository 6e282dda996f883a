/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The redactor (storage/export/redact.h) on a small district shaped like a real one:
 * names and numbers typed with Unicode spaces, dashes and digits; numbers glued to
 * other numbers; given names that are words ("Drew", "Sam's Club") and only count where
 * their person is a party; a guardian who shares a coach's given name; a Chinese name
 * written without spaces; staff numbers withheld on request; the hits the review file
 * lists. Every output is also checked by the oracle the fuzz target uses. */
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
#include "storage/export/text_fold.h"
#include "tests/fuzz/redact_oracle.h"

enum { JAMIE = 1, MORGAN, SAM, DREW, EMMA, DANA_FOX, DANA_LEE, XIAOMING, ELODIE };

static const struct store_person district[] = {
    {.id = JAMIE,
     .role = DIR_STUDENT,
     .given = "Jamie",
     .family = "Rivera",
     .handle = "jamier",
     .phone = "+16175550301"},
    {.id = MORGAN,
     .role = DIR_STUDENT,
     .given = "Morgan",
     .family = "Patel",
     .handle = "morganp",
     .phone = "+16175550302"},
    {.id = SAM,
     .role = DIR_STUDENT,
     .given = "Sam",
     .family = "Ortiz",
     .handle = "samo",
     .phone = "+16175550303"},
    {.id = DREW,
     .role = DIR_STUDENT,
     .given = "Drew",
     .family = "Kim",
     .handle = "drewk",
     .phone = "+16175550304"},
    {.id = EMMA, .role = DIR_STUDENT, .given = "Emma", .family = "Stone", .handle = "emmas"},
    {.id = DANA_FOX,
     .role = DIR_GUARDIAN,
     .given = "Dana",
     .family = "Fox",
     .handle = "danaf",
     .phone = "+16175550499"},
    {.id = DANA_LEE,
     .role = DIR_STAFF,
     .given = "Dana",
     .family = "Lee",
     .handle = "danal",
     .phone = "+16175550101"},
    {.id = XIAOMING,
     .role = DIR_STUDENT,
     .given = "小明",
     .family = "王",
     .handle = "xiaomingw",
     .phone = "+8613812345678"},
    {.id = ELODIE,
     .role = DIR_STUDENT,
     .given = "Élodie",
     .family = "Dupré-García",
     .handle = "elodied",
     .phone = "+33698765432"},
};

#define ROLES	     (REDACT_STUDENTS | REDACT_GUARDIANS)
#define ORACLE_ROLES ((1u << DIR_STUDENT) | (1u << DIR_GUARDIAN))

static const uint8_t key[REDACT_KEY_ID_LEN] = {42};

static struct redactor *make(void *ctx, unsigned roles)
{
	struct redactor *r = redact_new(ctx, district, ARRAY_SIZE(district), key, "PRR-7", roles);

	assert_non_null(r);
	return r;
}

static void clean(void *ctx, const char *in, const char *out)
{
	const char *bad = redact_oracle(ctx, district, ARRAY_SIZE(district), ORACLE_ROLES, out);

	if (bad)
		fail_msg("'%s' became '%s': %s survived", in, out, bad);
}

/* Each form, between other words, becomes the person's pseudonym alone. */
static void test_unicode_spellings(void **state __attribute__((unused)))
{
	void *ctx = talloc_new(NULL);
	struct redactor *r = make(ctx, ROLES);
	const char *jamie = redact_pseudonym(r, JAMIE);
	static const char *const forms[] = {
	    "Jamie\u00a0Rivera",		     /* no-break space */
	    "Jamie\u2009Rivera",		     /* thin space */
	    "Jamie\u3000Rivera",		     /* ideographic space */
	    "\uff2a\uff41\uff4d\uff49\uff45 Rivera", /* full-width letters */
	    "Ja\u200bmie Rivera",		     /* a zero-width space inside */
	    "Jam\u00adie Rivera",		     /* a soft hyphen: shows nothing */
	    "Rivera,\u00a0Jamie",
	    "@jamier",
	    "617\u2013555\u20130301",	/* en dashes */
	    "617\u2011555\u20110301",	/* non-breaking hyphens */
	    "617\u2009555\u20090301",	/* thin spaces */
	    "(617)\u00a0555\u22120301", /* minus sign */
	    "\uff16\uff11\uff17\uff15\uff15\uff15\uff10\uff13\uff10\uff11",   /* full-width */
	    "\u0666\u0661\u0667\u0665\u0665\u0665\u0660\u0663\u0660\u0661",   /* Arabic-Indic */
	    "\u06f6\u06f1\u06f7-\u06f5\u06f5\u06f5-\u06f0\u06f3\u06f0\u06f1", /* Persian */
	    "617_555_0301",
	    "617 - 555 - 0301",
	};

	assert_non_null(jamie);
	for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
		char *in = talloc_asprintf(ctx, "before %s after", forms[i]);
		char *out = redact_text(ctx, r, in);
		char *want = talloc_asprintf(ctx, "before %s after", jamie);
		if (strcmp(out, want))
			fail_msg("'%s' became '%s', want '%s'", in, out, want);
		clean(ctx, in, out);
	}
	/* A curly apostrophe ends the name as a straight one does. */
	assert_string_equal(redact_text(ctx, r, "Jamie Rivera\u2019s bag"),
			    talloc_asprintf(ctx, "%s\u2019s bag", jamie));
	/* Accents in any composition. */
	assert_string_equal(redact_text(ctx, r, "E\u0301LODIE DUPRE\u0301-GARCI\u0301A"),
			    redact_pseudonym(r, ELODIE));
	talloc_free(ctx);
}

/* A number glued to another; and pseudonyms never lend a digit to the digits around
 * them (they used to hold 2-7, so "…030" + "Student 7QF2" + "175550301" could spell
 * someone's number). */
static void test_glued_numbers(void **state __attribute__((unused)))
{
	void *ctx = talloc_new(NULL);
	struct redactor *r = make(ctx, ROLES);
	static const char *const texts[] = {
	    "6175550302175550301",     "16175550302161755503011",
	    "55503015550302",	       "ref 99916175550301 ok",
	    "617555030\u200b1",	       "617 555\r\n0301", /* wrapped onto the next line */
	    "617-555\t\t\t\t\t\t0301", /* a run of white space is one separator */
	};

	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		char *out = redact_text(ctx, r, texts[i]);
		clean(ctx, texts[i], out);
	}
	for (size_t i = 1; i <= ARRAY_SIZE(district); i++) {
		const char *p = redact_pseudonym(r, (int64_t)i);
		for (size_t k = 0; p && p[k]; k++)
			if (p[k] >= '0' && p[k] <= '9')
				fail_msg("pseudonym %s holds a digit", p);
	}
	talloc_free(ctx);
}

/* Fragments of names and numbers in many spellings, shuffled together: nothing of a
 * redacted person survives (a small, repeatable cousin of the fuzz target). */
static void test_random_mixtures(void **state __attribute__((unused)))
{
	void *ctx = talloc_new(NULL);
	struct redactor *r = make(ctx, ROLES);
	static const char *const bits[] = {
	    "617",
	    "555",
	    "0301",
	    "0302",
	    "1",
	    "+1",
	    "(617)",
	    "-",
	    " ",
	    "\u2013",
	    "\u00a0",
	    "\u200b",
	    "Jamie",
	    "Rivera",
	    "Jamie Rivera",
	    "Rivera, Jamie",
	    "@jamier",
	    "Dana",
	    "Dana Fox",
	    "Dana Lee",
	    "\u0663",
	    "\uff10",
	    "x",
	    "Student ",
	    "03",
	    "55",
	    "0",
	    "王",
	    "小明",
	    "的",
	    "Sam",
	    "'s",
	    ".",
	    "\n",
	    "Morgan Patel",
	    "5550304",
	    "6175550303",
	};
	uint32_t seed = 12345;

	for (int t = 0; t < 4000; t++) {
		char *in = talloc_strdup(ctx, "");
		int n = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 12;
		for (int k = 0; k < n; k++) {
			seed = seed * 1103515245u + 12345u;
			in = talloc_strdup_append(in, bits[(seed >> 16) % ARRAY_SIZE(bits)]);
		}
		char *out = redact_text(ctx, r, in);
		assert_non_null(out);
		clean(ctx, in, out);
		talloc_free(in);
		talloc_free(out);
	}
	talloc_free(ctx);
}

static void assert_hit(const char *out, const struct redact_hit *h, enum redact_rule rule,
		       const char *text)
{
	if (h->rule != rule)
		fail_msg("'%.*s' by %s, want %s", (int)(h->end - h->start), out + h->start,
			 redact_rule_name(h->rule), redact_rule_name(rule));
	if (strlen(text) != h->end - h->start || memcmp(out + h->start, text, strlen(text)))
		fail_msg("hit '%.*s', want '%s'", (int)(h->end - h->start), out + h->start, text);
}

/* A bare given name is a name only in a conversation its person is a party of; a staff
 * party with the same given name keeps it. Everything left alone is reported. */
static void test_parties(void **state __attribute__((unused)))
{
	void *ctx = talloc_new(NULL);
	struct redactor *r = make(ctx, ROLES);
	const char *in = "Emma drew the chassis plan at Sam's Club";
	const int64_t coach_jamie[] = {JAMIE, DANA_LEE}, with_sam[] = {SAM, DANA_LEE},
		      danas[] = {DANA_FOX, DANA_LEE}, fox[] = {DANA_FOX};
	struct redact_hit *h;
	size_t n;
	char *out;

	out = redact_text_in(ctx, r, in, coach_jamie, 2, &h, &n);
	assert_string_equal(out, in);
	assert_int_equal(n, 3);
	assert_hit(out, &h[0], REDACT_RULE_KEPT_NOT_PARTY, "Emma");
	assert_string_equal(h[0].label, redact_pseudonym(r, EMMA));
	assert_hit(out, &h[1], REDACT_RULE_KEPT_NOT_PARTY, "drew");
	assert_hit(out, &h[2], REDACT_RULE_KEPT_NOT_PARTY, "Sam");

	/* Where Sam is a party, Sam goes; a full name goes everywhere. */
	out = redact_text_in(ctx, r, "Sam's Club with Drew Kim", with_sam, 2, &h, &n);
	assert_string_equal(out, talloc_asprintf(ctx, "%s's Club with %s", redact_pseudonym(r, SAM),
						 redact_pseudonym(r, DREW)));
	assert_int_equal(n, 2);
	assert_hit(out, &h[0], REDACT_RULE_PARTY, redact_pseudonym(r, SAM));
	assert_hit(out, &h[1], REDACT_RULE_NAME, redact_pseudonym(r, DREW));

	/* Coach Dana Lee and guardian Dana Fox in one conversation: "Dana" stays. */
	out = redact_text_in(ctx, r, "Thanks Dana!", danas, 2, &h, &n);
	assert_string_equal(out, "Thanks Dana!");
	assert_int_equal(n, 1);
	assert_hit(out, &h[0], REDACT_RULE_KEPT_STAFF, "Dana");
	out = redact_text_in(ctx, r, "Thanks Dana!", fox, 1, &h, &n);
	assert_string_equal(out, talloc_asprintf(ctx, "Thanks %s!", redact_pseudonym(r, DANA_FOX)));
	/* The coach's name in the relay's attribution is never touched. */
	out = redact_text_in(ctx, r, "[Soccer] Coach Dana Lee: Dana Fox, see you", fox, 1, &h, &n);
	assert_string_equal(out, talloc_asprintf(ctx, "[Soccer] Coach Dana Lee: %s, see you",
						 redact_pseudonym(r, DANA_FOX)));
	talloc_free(ctx);
}

/* A Chinese name, written without spaces, is found inside a sentence. */
static void test_unspaced_script(void **state __attribute__((unused)))
{
	void *ctx = talloc_new(NULL);
	struct redactor *r = make(ctx, ROLES);
	const char *x = redact_pseudonym(r, XIAOMING);
	const int64_t parties[] = {XIAOMING};

	assert_string_equal(redact_text_in(ctx, r, "王小明的电话", NULL, 0, NULL, NULL),
			    talloc_asprintf(ctx, "%s的电话", x));
	assert_string_equal(redact_text_in(ctx, r, "小明在吗", parties, 1, NULL, NULL),
			    talloc_asprintf(ctx, "%s在吗", x));
	assert_string_equal(redact_text(ctx, r, "+86 138 1234 5678"), x);
	talloc_free(ctx);
}

/* Staff numbers: kept unless asked; withheld everywhere when asked; names never. */
static void test_staff_numbers(void **state __attribute__((unused)))
{
	void *ctx = talloc_new(NULL);
	struct redactor *keep = make(ctx, ROLES);
	struct redactor *hide = make(ctx, ROLES | REDACT_STAFF_NUMBERS);
	const char *in = "Coach Dana Lee (617) 555-0101";
	struct redact_hit *h;
	size_t n;

	assert_string_equal(redact_text(ctx, keep, in), in);
	assert_string_equal(redact_text_in(ctx, hide, in, NULL, 0, &h, &n),
			    "Coach Dana Lee [staff number]");
	assert_int_equal(n, 1);
	assert_int_equal(h[0].rule, REDACT_RULE_STAFF_NUMBER);
	assert_null(redact_pseudonym(hide, DANA_LEE));
	assert_int_equal(redact_count(hide), 8);
	/* A handle glued to a withheld number: the number's label must not leave the
	 * handle standing as a word (found by the fuzz target). */
	const char *glued = "xiaomingw6175550101am";
	clean(ctx, glued, redact_text(ctx, hide, glued));
	talloc_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unicode_spellings), cmocka_unit_test(test_glued_numbers),
	    cmocka_unit_test(test_random_mixtures),   cmocka_unit_test(test_parties),
	    cmocka_unit_test(test_unspaced_script),   cmocka_unit_test(test_staff_numbers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
