/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* UTF-8 ↔ UTF-16BE: BMP text, surrogate pairs, and lenient decoding of bad data. */
#include "tests/unit/sms/test_util.h"

#include "modem/sms/sms_error.h"
#include "modem/sms/ucs2.h"

static void test_bmp_both_ways(void **state)
{
	/* [pygsm] TestUcs2: "あ叶葉" = 3042 53F6 8449, "はい" = 306F 3044. */
	static const uint8_t a[] = {0x30, 0x42, 0x53, 0xF6, 0x84, 0x49};
	static const uint8_t hai[] = {0x30, 0x6F, 0x30, 0x44};
	uint8_t out[16];
	char text[32];
	unsigned bad = 99;

	(void)state;
	assert_int_equal(ucs2_from_utf8(out, sizeof(out), "あ叶葉", strlen("あ叶葉")), sizeof(a));
	assert_memory_equal(out, a, sizeof(a));
	assert_int_equal(ucs2_to_utf8(text, sizeof(text), a, sizeof(a), &bad), strlen("あ叶葉"));
	assert_string_equal(text, "あ叶葉");
	assert_int_equal(bad, 0);
	assert_int_equal(ucs2_from_utf8(out, sizeof(out), "はい", strlen("はい")), sizeof(hai));
	assert_memory_equal(out, hai, sizeof(hai));
	assert_int_equal(ucs2_validate(a, sizeof(a)), 0);
}

static void test_surrogate_pairs(void **state)
{
	/* U+1F600 😀 = D83D DE00, U+1F44D 👍 = D83D DC4D. */
	static const uint8_t be[] = {0xD8, 0x3D, 0xDE, 0x00, 0x00, 0x41, 0xD8, 0x3D, 0xDC, 0x4D};
	uint8_t out[16];
	char text[32];

	(void)state;
	assert_int_equal(ucs2_from_utf8(out, sizeof(out), "😀A👍", strlen("😀A👍")), sizeof(be));
	assert_memory_equal(out, be, sizeof(be));
	assert_int_equal(ucs2_to_utf8(text, sizeof(text), be, sizeof(be), NULL), strlen("😀A👍"));
	assert_string_equal(text, "😀A👍");
	assert_int_equal(ucs2_validate(be, sizeof(be)), 0);
	assert_int_equal(ucs2_units_for(0x1F600), 2);
	assert_int_equal(ucs2_units_for(0xFFFD), 1);
}

static void test_lenient_decoding(void **state)
{
	/* Received data is never rejected: each unpaired surrogate and a trailing odd
	 * octet become U+FFFD, the rest decodes. */
	static const uint8_t lone_high[] = {0x00, 0x41, 0xD8, 0x3D, 0x00, 0x42};
	static const uint8_t lone_low[] = {0xDE, 0x00, 0x00, 0x41};
	static const uint8_t high_at_end[] = {0x00, 0x41, 0xD8, 0x3D};
	static const uint8_t two_highs[] = {0xD8, 0x3D, 0xD8, 0x3D, 0xDE, 0x00};
	static const uint8_t odd[] = {0x00, 0x41, 0x00};
	static const uint8_t nul[] = {0x00, 0x41, 0x00, 0x00, 0x00, 0x42, 0x00, 0x43, 0x00, 0x44};
	char text[32];
	unsigned bad;

	(void)state;
	assert_true(ucs2_to_utf8(text, sizeof(text), lone_high, sizeof(lone_high), &bad) > 0);
	assert_string_equal(text, "A\xEF\xBF\xBD"
				  "B");
	assert_int_equal(bad, 1);
	ucs2_to_utf8(text, sizeof(text), lone_low, sizeof(lone_low), &bad);
	assert_string_equal(text, "\xEF\xBF\xBD"
				  "A");
	ucs2_to_utf8(text, sizeof(text), high_at_end, sizeof(high_at_end), &bad);
	assert_string_equal(text, "A\xEF\xBF\xBD");
	ucs2_to_utf8(text, sizeof(text), two_highs, sizeof(two_highs), &bad);
	assert_string_equal(text, "\xEF\xBF\xBD😀");
	assert_int_equal(bad, 1);
	ucs2_to_utf8(text, sizeof(text), odd, sizeof(odd), &bad);
	assert_string_equal(text, "A\xEF\xBF\xBD");
	assert_int_equal(bad, 1);
	/* U+0000 would end the C string early and hide the rest from a reader. */
	assert_int_equal(ucs2_to_utf8(text, sizeof(text), nul, sizeof(nul), &bad), 7);
	assert_string_equal(text, "A\xEF\xBF\xBD"
				  "BCD");
	assert_int_equal(bad, 1);
	assert_int_equal(ucs2_validate(nul, sizeof(nul)), 0);

	/* What was papered over is still detectable. */
	assert_int_equal(ucs2_validate(lone_high, sizeof(lone_high)), SMS_ERR_UCS2);
	assert_int_equal(ucs2_validate(lone_low, sizeof(lone_low)), SMS_ERR_UCS2);
	assert_int_equal(ucs2_validate(high_at_end, sizeof(high_at_end)), SMS_ERR_UCS2);
	assert_int_equal(ucs2_validate(odd, sizeof(odd)), SMS_ERR_UCS2);
}

static void test_errors_and_bounds(void **state)
{
	static const uint8_t be[] = {0x4F, 0x60, 0x59, 0x7D}; /* 你好: 6 bytes of UTF-8 */
	uint8_t out[4];
	char text[8];

	(void)state;
	assert_int_equal(ucs2_from_utf8(out, sizeof(out), "a\xED\xA0\x80", 4), SMS_ERR_UTF8);
	assert_int_equal(ucs2_from_utf8(out, sizeof(out), "\xFF", 1), SMS_ERR_UTF8);
	assert_int_equal(ucs2_from_utf8(out, 3, "ab", 2), SMS_ERR_TOO_LONG);
	assert_int_equal(ucs2_from_utf8(out, 2, "😀", 4), SMS_ERR_TOO_LONG);
	assert_int_equal(ucs2_from_utf8(out, 0, "", 0), 0);
	assert_int_equal(ucs2_to_utf8(text, 6, be, sizeof(be), NULL), SMS_ERR_TOO_LONG);
	assert_int_equal(ucs2_to_utf8(text, 7, be, sizeof(be), NULL), 6);
	assert_int_equal(ucs2_to_utf8(text, sizeof(text), be, 0, NULL), 0);
	assert_string_equal(text, "");
	assert_int_equal(ucs2_to_utf8(text, 0, be, 2, NULL), SMS_ERR_ARG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bmp_both_ways),
	    cmocka_unit_test(test_surrogate_pairs),
	    cmocka_unit_test(test_lenient_decoding),
	    cmocka_unit_test(test_errors_and_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
