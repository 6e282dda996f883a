/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Phone numbers: roster spellings to E.164, rejections with reasons, numbers in text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "storage/model/phone_number.h"

static void assert_norm(const char *in, const char *cc, const char *want)
{
	char out[32];
	const char *why = NULL;

	if (phone_normalize(out, sizeof(out), in, cc, &why) != 0)
		fail_msg("'%s' rejected: %s", in, why);
	assert_string_equal(out, want);
}

static void assert_rejected(const char *in, const char *cc)
{
	char out[32];
	const char *why = NULL;

	assert_int_equal(phone_normalize(out, sizeof(out), in, cc, &why), -1);
	assert_non_null(why);
	assert_true(strlen(why) > 0);
}

static void test_nanp_spellings(void **state)
{
	(void)state;
	assert_norm("(617) 555-0101", "1", "+16175550101");
	assert_norm("617.555.0101", "1", "+16175550101");
	assert_norm("617-555-0101", "1", "+16175550101");
	assert_norm("6175550101", "1", "+16175550101");
	assert_norm("1-617-555-0101", "1", "+16175550101");
	assert_norm(" +1 617 555 0101", "1", "+16175550101");
	assert_norm("+16175550101", "1", "+16175550101");
}

static void test_international(void **state)
{
	(void)state;
	assert_norm("+44 20 7946 0000", "1", "+442079460000");
	assert_norm("00 44 20 7946 0000", "1", "+442079460000");
	assert_norm("020 7946 0000", "44", "+442079460000");
}

static void test_rejections(void **state)
{
	(void)state;
	assert_rejected("", "1");
	assert_rejected("   ", "1");
	assert_rejected("555-0101", "1");	   /* 7 digits: no area code */
	assert_rejected("617-555-0101 x12", "1");  /* extension */
	assert_rejected("call me", "1");	   /* letters */
	assert_rejected("(017) 555-0101", "1");	   /* area code starts with 0 */
	assert_rejected("617-155-0101", "1");	   /* exchange starts with 1 */
	assert_rejected("+1234", "1");		   /* too short */
	assert_rejected("+1234567890123456", "1"); /* too long */
	assert_rejected("+0 617 555 0101", "1");   /* country code 0 */
	assert_rejected("6175550101", "");	   /* national, no country */
	assert_rejected("617555010", "1");	   /* 9 digits */
	assert_rejected("61755501011", "1");	   /* 11 digits, not starting with 1 */
}

static void test_is_e164(void **state)
{
	(void)state;
	assert_true(phone_is_e164("+16175550101"));
	assert_false(phone_is_e164("16175550101"));
	assert_false(phone_is_e164("+0175550101"));
	assert_false(phone_is_e164("+1617555010a"));
	assert_false(phone_is_e164("+1234567"));
	assert_false(phone_is_e164(NULL));
}

static void test_find_in_text(void **state)
{
	size_t s, e;
	char d[16];
	const char *t = "call me at (617) 555-0101 tonight, or 555.0199";

	(void)state;
	assert_true(phone_find_in_text(t, 0, &s, &e, d));
	assert_string_equal(d, "6175550101");
	assert_int_equal(s, strlen("call me at "));
	assert_int_equal(e, strlen("call me at (617) 555-0101"));
	assert_true(phone_find_in_text(t, e, &s, &e, d));
	assert_string_equal(d, "5550199");
	assert_false(phone_find_in_text(t, e, &s, &e, d));

	/* Times, scores and dates are not phone numbers. */
	assert_false(phone_find_in_text("Practice 3:30-5:00, we won 3-1 on 11/22", 0, &s, &e, d));
	assert_false(phone_find_in_text("Game on 2026-11-22 or 11/22/2026", 0, &s, &e, d));
	assert_false(phone_find_in_text("Bus 12 34 56 78", 0, &s, &e, d));
	assert_true(phone_find_in_text("text 6175550101 now", 0, &s, &e, d));
	assert_string_equal(d, "6175550101");
	assert_true(phone_find_in_text("+1.617.555.0101", 0, &s, &e, d));
	assert_string_equal(d, "16175550101");
	/* Very long digit runs keep at most 15 digits and do not overflow. */
	assert_true(phone_find_in_text("1234567890123456789012345", 0, &s, &e, d));
	assert_int_equal(strlen(d), 15);
}

static void test_digits_match(void **state)
{
	(void)state;
	assert_true(phone_digits_match("16175550101", "+16175550101"));
	assert_true(phone_digits_match("6175550101", "+16175550101"));
	assert_true(phone_digits_match("5550101", "+16175550101"));
	assert_false(phone_digits_match("5550102", "+16175550101"));
	assert_false(phone_digits_match("617555010", "+16175550101"));
	assert_true(phone_digits_match("02079460000", "+442079460000"));
	assert_true(phone_digits_match("2079460000", "+442079460000"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nanp_spellings), cmocka_unit_test(test_international),
	    cmocka_unit_test(test_rejections),	   cmocka_unit_test(test_is_e164),
	    cmocka_unit_test(test_find_in_text),   cmocka_unit_test(test_digits_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
