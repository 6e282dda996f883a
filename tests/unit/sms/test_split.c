/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Splitting text into parts: alphabet choice, single/multi-part limits, escape pairs and
 * surrogate pairs kept whole, part limits. */
#include "tests/unit/sms/test_util.h"

#include <stdlib.h>

#include "modem/sms/gsm7.h"
#include "modem/sms/sms_split.h"
#include "modem/sms/sms_user_data.h"

static struct sms_user_data parts[SMS_MAX_PARTS];

static char *repeat(char *dst, char c, size_t n)
{
	memset(dst, c, n);
	dst[n] = '\0';
	return dst + n;
}

static void assert_parts_join(int n, const char *text)
{
	static char joined[SMS_MAX_PARTS * SMS_TEXT_MAX];
	size_t len = 0;

	for (int i = 0; i < n; i++) {
		memcpy(joined + len, parts[i].text, parts[i].text_len);
		len += parts[i].text_len;
		if (n > 1) {
			assert_true(parts[i].concat.present);
			assert_int_equal(parts[i].concat.total, n);
			assert_int_equal(parts[i].concat.seq, i + 1);
		} else {
			assert_false(parts[i].concat.present);
		}
	}
	joined[len] = '\0';
	assert_string_equal(joined, text);
}

static void test_single_part_limits(void **state)
{
	char text[400];
	struct sms_split_info info;
	int n;

	(void)state;
	repeat(text, 'a', 160);
	assert_int_equal(sms_split_utf8(parts, 10, text, 160, 1), 1);
	assert_int_equal(parts[0].alphabet, SMS_ALPHABET_GSM7);
	assert_int_equal(parts[0].payload_len, 160);
	assert_false(parts[0].concat.present);

	repeat(text, 'a', 161);
	n = sms_split_utf8(parts, 10, text, 161, 77);
	assert_int_equal(n, 2);
	assert_int_equal(parts[0].payload_len, 153);
	assert_int_equal(parts[1].payload_len, 8);
	assert_int_equal(parts[0].concat.ref, 77);
	assert_false(parts[0].concat.ref16);
	assert_parts_join(n, text);

	/* 70 UCS-2 units in one part, 71 in two (67 + 4). */
	strcpy(repeat(text, 'a', 69), "ç");
	assert_int_equal(sms_split_measure(&info, text, strlen(text)), 0);
	assert_int_equal(info.alphabet, SMS_ALPHABET_UCS2);
	assert_int_equal(info.units, 70);
	assert_int_equal(info.parts, 1);
	assert_int_equal(sms_split_utf8(parts, 10, text, strlen(text), 1), 1);
	assert_int_equal(parts[0].payload_len, 140);
	strcpy(repeat(text, 'a', 70), "ç");
	n = sms_split_utf8(parts, 10, text, strlen(text), 1);
	assert_int_equal(n, 2);
	assert_int_equal(parts[0].payload_len, 134);
	assert_int_equal(parts[1].payload_len, 8);
	assert_parts_join(n, text);
}

static void test_alphabet_choice(void **state)
{
	struct sms_split_info info;

	(void)state;
	/* Extension characters keep 7-bit (and count two septets). */
	assert_int_equal(sms_split_measure(&info, "5€ {ok}", strlen("5€ {ok}")), 0);
	assert_int_equal(info.alphabet, SMS_ALPHABET_GSM7);
	assert_int_equal(info.units, 10);
	assert_int_equal(sms_split_measure(&info, "ΔΦΓ ÄÖÑÜ§¿", strlen("ΔΦΓ ÄÖÑÜ§¿")), 0);
	assert_int_equal(info.alphabet, SMS_ALPHABET_GSM7);
	/* One character outside GSM switches the whole text to UCS-2. */
	assert_int_equal(sms_split_measure(&info, "Garçon", strlen("Garçon")), 0);
	assert_int_equal(info.alphabet, SMS_ALPHABET_UCS2);
	assert_int_equal(info.units, 6);
	assert_int_equal(sms_split_measure(&info, "ok 👍", strlen("ok 👍")), 0);
	assert_int_equal(info.alphabet, SMS_ALPHABET_UCS2);
	assert_int_equal(info.units, 5); /* the emoji is a surrogate pair */
	/* Empty text is one empty part. */
	assert_int_equal(sms_split_utf8(parts, 1, "", 0, 0), 1);
	assert_int_equal(parts[0].payload_len, 0);
}

static void test_escape_pair_not_split(void **state)
{
	char text[400], *p;
	int n;

	(void)state;
	/* 152 septets, then € (ESC 65) would make 154: it moves to part 2 whole. */
	p = repeat(text, 'a', 152);
	strcpy(p, "€");
	repeat(p + strlen("€"), 'b', 10);
	n = sms_split_utf8(parts, 10, text, strlen(text), 9);
	assert_int_equal(n, 2);
	assert_int_equal(parts[0].payload_len, 152);
	assert_int_not_equal(parts[0].payload[151], GSM7_ESC);
	assert_int_equal(parts[1].payload[0], GSM7_ESC);
	assert_int_equal(parts[1].payload[1], 0x65);
	assert_int_equal(parts[1].payload_len, 12);
	assert_parts_join(n, text);

	/* 151 septets and € end exactly at 153. */
	p = repeat(text, 'a', 151);
	strcpy(p, "€");
	repeat(p + strlen("€"), 'b', 10);
	n = sms_split_utf8(parts, 10, text, strlen(text), 9);
	assert_int_equal(n, 2);
	assert_int_equal(parts[0].payload_len, 153);
	assert_int_equal(parts[0].payload[151], GSM7_ESC);
	assert_int_equal(parts[1].payload_len, 10);
	assert_parts_join(n, text);
}

static void test_surrogate_pair_not_split(void **state)
{
	char text[400], *p;
	int n;

	(void)state;
	/* 66 units, then 😀 (2 units) would make 68 > 67: it starts part 2. */
	p = repeat(text, 'a', 66);
	strcpy(p, "😀");
	repeat(p + strlen("😀"), 'b', 10);
	n = sms_split_utf8(parts, 10, text, strlen(text), 3);
	assert_int_equal(n, 2);
	assert_int_equal(parts[0].alphabet, SMS_ALPHABET_UCS2);
	assert_int_equal(parts[0].payload_len, 132);
	assert_memory_equal(parts[1].payload, "\xD8\x3D\xDE\x00", 4);
	assert_int_equal(parts[1].payload_len, 24);
	assert_parts_join(n, text);

	/* A run of emoji: every part holds 33 whole pairs (66 units). */
	p = text;
	for (int i = 0; i < 40; i++) {
		strcpy(p, "🎉");
		p += strlen("🎉");
	}
	n = sms_split_utf8(parts, 10, text, strlen(text), 3);
	assert_int_equal(n, 2);
	assert_int_equal(parts[0].payload_len, 132);
	assert_int_equal(parts[1].payload_len, 28);
	assert_int_equal(parts[0].payload[130] & 0xFC, 0xDC); /* ends on a low surrogate */
	assert_parts_join(n, text);
}

static void test_part_limits(void **state)
{
	size_t len = 153 * 255 + 1;
	char *text = malloc(len + 1);
	struct sms_split_info info;

	(void)state;
	assert_non_null(text);
	repeat(text, 'x', 153 * 255);
	assert_int_equal(sms_split_utf8(parts, SMS_MAX_PARTS, text, 153 * 255, 200), 255);
	assert_int_equal(parts[254].concat.seq, 255);
	assert_int_equal(parts[254].concat.total, 255);
	assert_int_equal(parts[254].payload_len, 153);
	/* One more character needs a 256th part. */
	repeat(text, 'x', len);
	assert_int_equal(sms_split_measure(&info, text, len), 0);
	assert_int_equal(info.parts, 256);
	assert_int_equal(sms_split_utf8(parts, SMS_MAX_PARTS, text, len, 0), SMS_ERR_CONCAT_LIMIT);
	assert_int_equal(sms_split_utf8(parts, 1000, text, len, 0), SMS_ERR_CONCAT_LIMIT);
	/* A smaller limit: 4 parts needed, 3 allowed. */
	assert_int_equal(sms_split_utf8(parts, 3, text, 153 * 3 + 1, 0), SMS_ERR_CONCAT_LIMIT);
	assert_int_equal(sms_split_utf8(parts, 4, text, 153 * 3 + 1, 0), 4);
	assert_int_equal(sms_split_utf8(parts, 0, text, 10, 0), SMS_ERR_ARG);
	free(text);
}

/* A 16-bit reference: the header is an octet longer (IEI 0x08), so a GSM part holds 152
 * septets and a UCS-2 part 66 units; every part carries the whole reference and decodes
 * back to it. An 8-bit split refuses a reference it cannot carry. */
static void test_ref16(void **state)
{
	char text[800];
	struct sms_split_info info;
	uint8_t wire[1 + SMS_UD_OCTETS];
	struct sms_user_data back;
	bool udhi;
	int n, len;

	(void)state;
	repeat(text, 'a', 152 * 3 + 1);
	assert_int_equal(sms_split_measure_ref(&info, text, 152 * 3, true), 0);
	assert_int_equal(info.parts, 3);
	assert_int_equal(sms_split_measure(&info, text, 152 * 3), 0);
	assert_int_equal(info.parts, 3);
	n = sms_split_utf8_ref(parts, 10, text, 152 * 3 + 1, 0xBEEF, true);
	assert_int_equal(n, 4);
	for (int i = 0; i < n; i++) {
		assert_true(parts[i].concat.ref16);
		assert_int_equal(parts[i].concat.ref, 0xBEEF);
		assert_int_equal(parts[i].concat.seq, i + 1);
		len = sms_ud_encode(wire, sizeof(wire), &parts[i], &udhi);
		assert_true(len > 0);
		assert_true(udhi);
		assert_int_equal(sms_ud_decode(&back, wire, (size_t)len, udhi, SMS_ALPHABET_GSM7),
				 len);
		assert_true(back.concat.present && back.concat.ref16);
		assert_int_equal(back.concat.ref, 0xBEEF);
		assert_int_equal(back.concat.total, 4);
	}
	assert_int_equal(parts[0].payload_len, 152);
	assert_parts_join(n, text);
	/* UCS-2: 66 units a part. */
	strcpy(text, "Ж");
	repeat(text + strlen("Ж"), 'b', 131);
	n = sms_split_utf8_ref(parts, 10, text, strlen(text), 7, true);
	assert_int_equal(n, 2);
	assert_int_equal(parts[0].payload_len, 132);
	assert_int_equal(parts[1].payload_len, 132);
	/* The 8-bit form cannot carry 0x100. */
	assert_int_equal(sms_split_utf8_ref(parts, 10, text, strlen(text), 0x100, false),
			 SMS_ERR_ARG);
}

static void test_single_part_api(void **state)
{
	struct sms_user_data ud;
	char text[200];

	(void)state;
	repeat(text, 'a', 161);
	assert_int_equal(sms_ud_from_utf8(&ud, text, 161), SMS_ERR_TOO_LONG);
	assert_int_equal(sms_ud_from_utf8(&ud, text, 160), 0);
	assert_int_equal(sms_ud_from_utf8(&ud, "a\xFF", 2), SMS_ERR_UTF8);
	assert_int_equal(sms_split_utf8(parts, 3, "\xE2\x82", 2, 0), SMS_ERR_UTF8);
	assert_int_equal(sms_split_measure(NULL, "a", 1), SMS_ERR_ARG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_single_part_limits),
	    cmocka_unit_test(test_alphabet_choice),
	    cmocka_unit_test(test_escape_pair_not_split),
	    cmocka_unit_test(test_surrogate_pair_not_split),
	    cmocka_unit_test(test_part_limits),
	    cmocka_unit_test(test_ref16),
	    cmocka_unit_test(test_single_part_api),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
