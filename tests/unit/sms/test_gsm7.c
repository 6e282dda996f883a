/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* GSM 03.38 default alphabet and extension table, septet packing, UTF-8 helpers. */
#include "tests/unit/sms/test_util.h"

#include <stdlib.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "modem/sms/gsm7.h"
#include "modem/sms/sms_error.h"

/* The default alphabet in septet order 0x00..0x7F without ESC (0x1B), as printed in
 * TS 23.038 §6.2.1. */
static const char default_alphabet[] = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ"
				       "ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
				       "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
				       "¿abcdefghijklmnopqrstuvwxyzäöñüà";

static void test_default_table_both_ways(void **state)
{
	uint8_t septets[200];
	char back[400];
	int n, i, expect = 0;

	(void)state;
	n = gsm7_from_utf8(septets, sizeof(septets), default_alphabet, strlen(default_alphabet));
	assert_int_equal(n, 127);
	for (i = 0; i < n; i++, expect++) {
		if (expect == GSM7_ESC)
			expect++;
		assert_int_equal(septets[i], expect);
	}
	assert_int_equal(gsm7_to_utf8(back, sizeof(back), septets, (size_t)n),
			 (int)strlen(default_alphabet));
	assert_string_equal(back, default_alphabet);
}

static void test_every_septet_round_trips(void **state)
{
	(void)state;
	/* Decoding each septet and encoding the result gives the septet back: the
	 * encoder's switch and the decoder's table agree. */
	for (int s = 0; s < 128; s++) {
		uint8_t in = (uint8_t)s, out[2];
		char utf8[8];
		uint32_t cp;
		int n;

		if (s == GSM7_ESC)
			continue;
		n = gsm7_to_utf8(utf8, sizeof(utf8), &in, 1);
		assert_true(n > 0);
		assert_int_equal(utf8_decode_cp(utf8, (size_t)n, &cp), n);
		assert_int_equal(gsm7_encode_cp(out, sizeof(out), cp), 1);
		assert_int_equal(out[0], s);
	}
}

static void test_extension_table_both_ways(void **state)
{
	static const char text[] = "€[]{}\\~^|\f";
	static const uint8_t want[] = {0x1B, 0x65, 0x1B, 0x3C, 0x1B, 0x3E, 0x1B, 0x28, 0x1B, 0x29,
				       0x1B, 0x2F, 0x1B, 0x3D, 0x1B, 0x14, 0x1B, 0x40, 0x1B, 0x0A};
	uint8_t septets[32];
	char back[64];
	int n;

	(void)state;
	n = gsm7_from_utf8(septets, sizeof(septets), text, strlen(text));
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(septets, want, sizeof(want));
	assert_int_equal(gsm7_to_utf8(back, sizeof(back), septets, (size_t)n), strlen(text));
	assert_string_equal(back, text);
}

static void test_septets_for(void **state)
{
	(void)state;
	assert_int_equal(gsm7_septets_for('A'), 1);
	assert_int_equal(gsm7_septets_for('@'), 1);
	assert_int_equal(gsm7_septets_for(0x0394), 1); /* Δ */
	assert_int_equal(gsm7_septets_for(0x20AC), 2); /* € */
	assert_int_equal(gsm7_septets_for('{'), 2);
	assert_int_equal(gsm7_septets_for('`'), 0);
	assert_int_equal(gsm7_septets_for(0x00E7), 0); /* ç: only Ç is in the table */
	assert_int_equal(gsm7_septets_for(0x0391), 0); /* Greek capital Alpha */
	assert_int_equal(gsm7_septets_for(0x1F600), 0);
	assert_int_equal(gsm7_septets_for('\t'), 0);
}

static void test_escape_fallbacks(void **state)
{
	/* ESC + a code without an extension meaning: the default character; ESC ESC:
	 * a space; a lone ESC at the end: a space (TS 23.038 §6.2.1.1). */
	static const uint8_t unknown[] = {0x1B, 0x41};
	static const uint8_t double_esc[] = {0x1B, 0x1B, 0x41};
	static const uint8_t trailing[] = {0x41, 0x1B};
	char out[16];

	(void)state;
	assert_int_equal(gsm7_to_utf8(out, sizeof(out), unknown, sizeof(unknown)), 1);
	assert_string_equal(out, "A");
	gsm7_to_utf8(out, sizeof(out), double_esc, sizeof(double_esc));
	assert_string_equal(out, " A");
	gsm7_to_utf8(out, sizeof(out), trailing, sizeof(trailing));
	assert_string_equal(out, "A ");
}

struct pack_vector {
	const char *text;
	const char *packed_hex;
	unsigned septets;
};

/* [pygsm] test_pdu.py TestGsm7: text, packed octets. */
static const struct pack_vector pack_vectors[] = {
    {"123", "31D90C", 3},
    {"Hello World!", "C8329BFD065DDF72363904", 12},
    {"[{abc}]~", "1BDE0615168F37A98D6FD303", 13},
    {"{åΦΓΛΩΠΨΣΘ€}", "1BD44332A1542C174C6653DEA400", 15},
    {"a[]{}€", "E10D6FE3DBA036A94D19", 11},
};

static void test_pack_vectors(void **state)
{
	(void)state;
	for (size_t v = 0; v < ARRAY_SIZE(pack_vectors); v++) {
		const struct pack_vector *pv = &pack_vectors[v];
		uint8_t septets[64], packed[64], unpacked[64], want[64];
		size_t wlen = unhex(want, sizeof(want), pv->packed_hex);
		char text[128];
		int n, o;

		n = gsm7_from_utf8(septets, sizeof(septets), pv->text, strlen(pv->text));
		assert_int_equal(n, pv->septets);
		o = gsm7_pack(packed, sizeof(packed), septets, (size_t)n, 0);
		assert_int_equal(o, wlen);
		assert_memory_equal(packed, want, wlen);
		assert_int_equal(
		    gsm7_unpack(unpacked, sizeof(unpacked), want, wlen, pv->septets, 0),
		    pv->septets);
		assert_memory_equal(unpacked, septets, pv->septets);
		gsm7_to_utf8(text, sizeof(text), unpacked, pv->septets);
		assert_string_equal(text, pv->text);
	}
}

static void test_pack_fill_bits_and_bounds(void **state)
{
	uint8_t septets[160], packed[160], back[160];

	(void)state;
	srand(7);
	for (unsigned i = 0; i < 160; i++)
		septets[i] = (uint8_t)(rand() & 0x7f);
	for (unsigned fill = 0; fill <= 6; fill++) {
		for (unsigned n = 0; n <= 160; n++) {
			size_t want = gsm7_packed_len(n, fill);
			int o;

			memset(packed, 0xA5, sizeof(packed));
			o = gsm7_pack(packed, want, septets, n, fill);
			if (n == 0 && fill == 0) {
				assert_int_equal(o, 0);
				continue;
			}
			assert_int_equal(o, want);
			/* Nothing written past the octets it reports. */
			for (size_t k = want; k < sizeof(packed); k++)
				assert_int_equal(packed[k], 0xA5);
			/* The fill bits are zero. */
			assert_int_equal(packed[0] & ((1u << fill) - 1), 0);
			assert_int_equal(gsm7_unpack(back, sizeof(back), packed, want, n, fill), n);
			assert_memory_equal(back, septets, n);
			if (want > 0) {
				assert_int_equal(gsm7_pack(packed, want - 1, septets, n, fill),
						 SMS_ERR_TOO_LONG);
				assert_int_equal(
				    gsm7_unpack(back, sizeof(back), packed, want - 1, n, fill),
				    SMS_ERR_TRUNCATED);
			}
		}
	}
	assert_int_equal(gsm7_pack(packed, sizeof(packed), septets, 1, 7), SMS_ERR_ARG);
	assert_int_equal(gsm7_unpack(back, 3, packed, sizeof(packed), 4, 0), SMS_ERR_TOO_LONG);
}

static void test_utf8_decode(void **state)
{
	struct {
		const char *s;
		int len;
		uint32_t cp;
	} good[] = {
	    {"A", 1, 'A'},
	    {"\xC2\xA3", 2, 0xA3},
	    {"\xE2\x82\xAC", 3, 0x20AC},
	    {"\xEF\xBF\xBD", 3, 0xFFFD},
	    {"\xF0\x9F\x98\x80", 4, 0x1F600},
	    {"\xF4\x8F\xBF\xBF", 4, 0x10FFFF},
	};
	const char *bad[] = {
	    "\x80",		/* lone continuation */
	    "\xC0\x80",		/* overlong NUL */
	    "\xC1\xBF",		/* overlong */
	    "\xE0\x80\x80",	/* overlong */
	    "\xED\xA0\x80",	/* surrogate D800 */
	    "\xF0\x80\x80\x80", /* overlong */
	    "\xF4\x90\x80\x80", /* above U+10FFFF */
	    "\xF5\x80\x80\x80", /* invalid lead */
	    "\xE2\x82",		/* truncated */
	    "\xE2\x28\xA1",	/* bad continuation */
	};
	uint32_t cp;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		char enc[4];

		assert_int_equal(utf8_decode_cp(good[i].s, strlen(good[i].s), &cp), good[i].len);
		assert_int_equal(cp, good[i].cp);
		assert_int_equal(utf8_encode_cp(enc, sizeof(enc), cp), good[i].len);
		assert_memory_equal(enc, good[i].s, good[i].len);
		assert_int_equal(utf8_encode_cp(enc, (size_t)good[i].len - 1, cp),
				 SMS_ERR_TOO_LONG);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(utf8_decode_cp(bad[i], strlen(bad[i]), &cp), SMS_ERR_UTF8);
	assert_int_equal(utf8_decode_cp("", 0, &cp), SMS_ERR_UTF8);
}

static void test_conversion_errors(void **state)
{
	uint8_t septets[8];
	char out[4];
	static const uint8_t abc[] = {0x61, 0x62, 0x63, 0x64};

	(void)state;
	assert_int_equal(gsm7_from_utf8(septets, sizeof(septets), "a😀", strlen("a😀")),
			 SMS_ERR_GSM7);
	assert_int_equal(gsm7_from_utf8(septets, sizeof(septets), "a\xC0\x80", 3), SMS_ERR_UTF8);
	assert_int_equal(gsm7_from_utf8(septets, 3, "abcd", 4), SMS_ERR_TOO_LONG);
	assert_int_equal(gsm7_from_utf8(septets, 2, "a€", strlen("a€")), SMS_ERR_TOO_LONG);
	assert_int_equal(gsm7_encode_cp(septets, 1, 0x20AC), SMS_ERR_TOO_LONG);
	assert_int_equal(gsm7_encode_cp(septets, 1, 0x1F600), 0);
	/* Output that does not fit: error, but still a terminated string. */
	assert_int_equal(gsm7_to_utf8(out, sizeof(out), abc, sizeof(abc)), SMS_ERR_TOO_LONG);
	assert_int_equal(strlen(out), 3);
	assert_int_equal(gsm7_to_utf8(out, 0, abc, 1), SMS_ERR_ARG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_table_both_ways),
	    cmocka_unit_test(test_every_septet_round_trips),
	    cmocka_unit_test(test_extension_table_both_ways),
	    cmocka_unit_test(test_septets_for),
	    cmocka_unit_test(test_escape_fallbacks),
	    cmocka_unit_test(test_pack_vectors),
	    cmocka_unit_test(test_pack_fill_bits_and_bounds),
	    cmocka_unit_test(test_utf8_decode),
	    cmocka_unit_test(test_conversion_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
