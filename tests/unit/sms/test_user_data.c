/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* TP-UD with a user data header: fill bits, TP-UDL in septets, IEs, length checks. */
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "tests/unit/sms/test_util.h"

#include "modem/sms/gsm7.h"
#include "modem/sms/sms_user_data.h"

static struct sms_user_data ud_text(const char *septets_ascii)
{
	struct sms_user_data ud;

	memset(&ud, 0, sizeof(ud));
	ud.alphabet = SMS_ALPHABET_GSM7;
	ud.payload_len = (uint16_t)strlen(septets_ascii);
	memcpy(ud.payload, septets_ascii, ud.payload_len); /* ASCII letters are GSM septets */
	return ud;
}

static void test_fill_bits_known(void **state)
{
	struct sms_user_data ud = ud_text("A"), back;
	uint8_t out[32];
	bool udhi = false;
	int n;

	(void)state;
	/* 6-octet header (8-bit reference): 48 bits, 1 fill bit, 7 septets; 'A' = 41
	 * shifted over the fill bit = 82, as in [gammu 22] whose text starts "Ahoj". */
	ud.concat = (struct sms_concat){.present = true, .ref = 0x12, .total = 2, .seq = 1};
	n = sms_ud_encode(out, sizeof(out), &ud, &udhi);
	assert_true(udhi);
	assert_string_equal(tohex(out, (size_t)n), "0805000312020182");
	assert_int_equal(sms_ud_decode(&back, out, (size_t)n, true, SMS_ALPHABET_GSM7), n);
	assert_int_equal(back.payload_len, 1);
	assert_string_equal(back.text, "A");
	assert_true(back.concat.present);
	assert_false(back.concat.ref16);
	assert_int_equal(back.concat.ref, 0x12);

	/* 7-octet header (16-bit reference): 56 bits, no fill, 8 septets. */
	ud.concat = (struct sms_concat){
	    .present = true, .ref16 = true, .ref = 0x0123, .total = 2, .seq = 1};
	n = sms_ud_encode(out, sizeof(out), &ud, &udhi);
	assert_string_equal(tohex(out, (size_t)n), "090608040123020141");
	assert_int_equal(sms_ud_decode(&back, out, (size_t)n, true, SMS_ALPHABET_GSM7), n);
	assert_true(back.concat.ref16);
	assert_int_equal(back.concat.ref, 0x0123);
	assert_string_equal(back.text, "A");
}

static void test_fill_bits_every_header_size(void **state)
{
	(void)state;
	/* Header of 1..20 octets built from one raw IE (IEI 0x70, data of h-3 octets). */
	for (unsigned h = 3; h <= 20; h++) {
		struct sms_user_data ud = ud_text("Hello"), back;
		uint8_t out[200];
		unsigned hdr_septets = (h * 8 + 6) / 7;
		int n;

		ud.udh[0] = 0x70;
		ud.udh[1] = (uint8_t)(h - 3);
		memset(ud.udh + 2, 0xEE, h - 3);
		ud.udh_len = (uint8_t)(h - 1);
		n = sms_ud_encode(out, sizeof(out), &ud, NULL);
		assert_true(n > 0);
		assert_int_equal(out[0], hdr_septets + 5); /* TP-UDL counts the header */
		assert_int_equal(n, 1 + gsm7_packed_len(hdr_septets + 5, 0));
		assert_int_equal(sms_ud_decode(&back, out, (size_t)n, true, SMS_ALPHABET_GSM7), n);
		assert_string_equal(back.text, "Hello");
		assert_int_equal(back.udh_len, h - 1);
		assert_memory_equal(back.udh, ud.udh, h - 1);
		assert_false(back.concat.present);
	}
}

static void test_other_ies_kept(void **state)
{
	/* Concatenation and a 16-bit port IE (as in [gammu 33]) in one header. */
	uint8_t buf[64];
	struct sms_user_data ud, again;
	size_t n = unhex(buf, sizeof(buf), "0E0B0003AA030205040B8423F0CAFE");
	int rc;

	(void)state;
	rc = sms_ud_decode(&ud, buf, n, true, SMS_ALPHABET_8BIT);
	assert_int_equal(rc, (int)n);
	assert_true(ud.concat.present);
	assert_int_equal(ud.concat.ref, 0xAA);
	assert_int_equal(ud.concat.total, 3);
	assert_int_equal(ud.concat.seq, 2);
	assert_string_equal(tohex(ud.udh, ud.udh_len), "05040B8423F0");
	assert_string_equal(tohex(ud.payload, ud.payload_len), "CAFE");
	assert_string_equal(ud.text, "");
	/* Encoding puts the concatenation IE first, then the others: the same bytes. */
	rc = sms_ud_encode(buf + 32, 32, &ud, NULL);
	assert_string_equal(tohex(buf + 32, (size_t)rc), "0E0B0003AA030205040B8423F0CAFE");
	/* The last of two concatenation IEs wins (TS 23.040 §9.2.3.24). */
	n = unhex(buf, sizeof(buf), "0D0A000301020100030204050041");
	assert_int_equal(sms_ud_decode(&again, buf, n, true, SMS_ALPHABET_8BIT), (int)n);
	assert_int_equal(again.concat.ref, 2);
	assert_int_equal(again.concat.total, 4);
	assert_int_equal(again.concat.seq, 5);
	assert_int_equal(again.udh_len, 0);
}

static void test_header_errors(void **state)
{
	static const struct {
		const char *hex;
		enum sms_alphabet alphabet;
		int rc;
	} cases[] = {
	    /* UDHL 10 but 5 octets of user data */
	    {"050A000301020141", SMS_ALPHABET_8BIT, SMS_ERR_UDH},
	    /* an IE announcing 9 octets in a 5-octet header */
	    {"0605000901020141", SMS_ALPHABET_8BIT, SMS_ERR_UDH},
	    /* one octet left where an IE header needs two */
	    {"050370007141", SMS_ALPHABET_8BIT, SMS_ERR_UDH},
	    /* 8-bit reference concatenation IE with length 4 */
	    {"070600040102030441", SMS_ALPHABET_8BIT, SMS_ERR_UDH},
	    /* 16-bit reference concatenation IE with length 3 */
	    {"0605080301020341", SMS_ALPHABET_8BIT, SMS_ERR_UDH},
	    /* UDHI but no user data at all */
	    {"00", SMS_ALPHABET_8BIT, SMS_ERR_UDH},
	    /* GSM: a 6-octet header is 7 septets, more than TP-UDL 6 */
	    {"0605000301020100", SMS_ALPHABET_GSM7, SMS_ERR_UDH},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sms_user_data ud;
		uint8_t buf[32];
		size_t n = unhex(buf, sizeof(buf), cases[i].hex);

		assert_int_equal(sms_ud_decode(&ud, buf, n, true, cases[i].alphabet), cases[i].rc);
	}
}

static void test_length_errors(void **state)
{
	struct sms_user_data ud;
	uint8_t buf[200];
	size_t n;

	(void)state;
	memset(buf, 0x41, sizeof(buf));
	assert_int_equal(sms_ud_decode(&ud, buf, 0, false, SMS_ALPHABET_GSM7), SMS_ERR_TRUNCATED);
	buf[0] = 161; /* over 160 septets */
	assert_int_equal(sms_ud_decode(&ud, buf, sizeof(buf), false, SMS_ALPHABET_GSM7),
			 SMS_ERR_LENGTH);
	buf[0] = 141; /* over 140 octets */
	assert_int_equal(sms_ud_decode(&ud, buf, sizeof(buf), false, SMS_ALPHABET_UCS2),
			 SMS_ERR_LENGTH);
	buf[0] = 160; /* 140 octets needed, 139 there */
	assert_int_equal(sms_ud_decode(&ud, buf, 140, false, SMS_ALPHABET_GSM7), SMS_ERR_LENGTH);
	assert_int_equal(sms_ud_decode(&ud, buf, 141, false, SMS_ALPHABET_GSM7), 141);
	assert_int_equal(ud.payload_len, 160);
	/* Bytes after the user data are not its business: it reports what it used. */
	n = unhex(buf, sizeof(buf), "0AE8329BFD4697D9EC37FFFF");
	assert_int_equal(sms_ud_decode(&ud, buf, n, false, SMS_ALPHABET_GSM7), 10);
	assert_string_equal(ud.text, "hellohello");
}

static void test_encode_limits(void **state)
{
	struct sms_user_data ud;
	uint8_t out[200];

	(void)state;
	memset(&ud, 0, sizeof(ud));
	ud.alphabet = SMS_ALPHABET_GSM7;
	memset(ud.payload, 'x', sizeof(ud.payload));
	ud.payload_len = 160;
	assert_int_equal(sms_ud_encode(out, sizeof(out), &ud, NULL), 141);
	ud.concat = (struct sms_concat){.present = true, .ref = 1, .total = 2, .seq = 1};
	assert_int_equal(sms_ud_encode(out, sizeof(out), &ud, NULL), SMS_ERR_TOO_LONG);
	ud.payload_len = 153;
	assert_int_equal(sms_ud_encode(out, sizeof(out), &ud, NULL), 141);
	assert_int_equal(out[0], 160);
	ud.payload_len = 154;
	assert_int_equal(sms_ud_encode(out, sizeof(out), &ud, NULL), SMS_ERR_TOO_LONG);
	ud.payload_len = 10;
	ud.payload[3] = 0x80;
	assert_int_equal(sms_ud_encode(out, sizeof(out), &ud, NULL), SMS_ERR_GSM7);
	ud.payload[3] = 'x';
	assert_int_equal(sms_ud_encode(out, 10, &ud, NULL), SMS_ERR_TOO_LONG);

	ud.alphabet = SMS_ALPHABET_UCS2;
	ud.payload_len = 134;
	assert_int_equal(sms_ud_encode(out, sizeof(out), &ud, NULL), 141);
	ud.payload_len = 135;
	assert_int_equal(sms_ud_encode(out, sizeof(out), &ud, NULL), SMS_ERR_TOO_LONG);
	ud.concat.present = false;
	ud.payload_len = 140;
	assert_int_equal(sms_ud_encode(out, sizeof(out), &ud, NULL), 141);
	ud.payload_len = 141;
	assert_int_equal(sms_ud_encode(out, sizeof(out), &ud, NULL), SMS_ERR_TOO_LONG);

	/* Inconsistent concatenation, or raw IEs that are broken or hide a second one. */
	ud.payload_len = 4;
	ud.concat = (struct sms_concat){.present = true, .ref = 1, .total = 0, .seq = 1};
	assert_int_equal(sms_ud_encode(out, sizeof(out), &ud, NULL), SMS_ERR_CONCAT);
	ud.concat.present = false;
	memcpy(ud.udh, "\x00\x03\x01\x02\x01", 5);
	ud.udh_len = 5;
	assert_int_equal(sms_ud_encode(out, sizeof(out), &ud, NULL), SMS_ERR_UDH);
	memcpy(ud.udh, "\x05\x09\x01", 3);
	ud.udh_len = 3;
	assert_int_equal(sms_ud_encode(out, sizeof(out), &ud, NULL), SMS_ERR_UDH);
}

static void test_concat_check(void **state)
{
	struct sms_concat c = {0};

	(void)state;
	assert_int_equal(sms_concat_check(&c), 0); /* absent */
	c = (struct sms_concat){.present = true, .ref = 7, .total = 3, .seq = 3};
	assert_int_equal(sms_concat_check(&c), 0);
	c.total = 0;
	c.seq = 0;
	assert_int_equal(sms_concat_check(&c), SMS_ERR_CONCAT); /* 0 parts */
	c.total = 3;
	assert_int_equal(sms_concat_check(&c), SMS_ERR_CONCAT); /* sequence 0 */
	c.seq = 4;
	assert_int_equal(sms_concat_check(&c), SMS_ERR_CONCAT); /* past the total */
	c = (struct sms_concat){.present = true, .ref = 300, .total = 2, .seq = 1};
	assert_int_equal(sms_concat_check(&c), SMS_ERR_ARG);
	c.ref16 = true;
	assert_int_equal(sms_concat_check(&c), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fill_bits_known),
	    cmocka_unit_test(test_fill_bits_every_header_size),
	    cmocka_unit_test(test_other_ies_kept),
	    cmocka_unit_test(test_header_errors),
	    cmocka_unit_test(test_length_errors),
	    cmocka_unit_test(test_encode_limits),
	    cmocka_unit_test(test_concat_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
