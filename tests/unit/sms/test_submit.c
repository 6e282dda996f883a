/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* SMS-SUBMIT: published PDUs decoded, the encoder checked byte for byte against other
 * implementations' output, validity period formats, TP-SRR, concatenation. */
#include "tests/unit/sms/test_util.h"

#include "tests/unit/sms/pdu_samples.h"
#include "modem/sms/sms_split.h"

static struct sms_submit s;

static void decode(const char *hex, bool with_smsc)
{
	uint8_t pdu[SMS_PDU_MAX];
	size_t n = unhex(pdu, sizeof(pdu), hex);

	assert_int_equal(sms_pdu_mti(pdu, n, with_smsc), SMS_MTI_SUBMIT);
	assert_int_equal(sms_submit_decode(&s, pdu, n, with_smsc), SMS_OK);
}

static const char *encode(bool with_smsc)
{
	uint8_t out[SMS_PDU_MAX];
	int n = sms_submit_encode(out, sizeof(out), &s, with_smsc);

	assert_true(n > 0);
	return tohex(out, (size_t)n);
}

/* A SUBMIT from scratch, as the gateway builds one. */
static void build(const char *smsc, const char *to, const char *text)
{
	memset(&s, 0, sizeof(s));
	if (smsc)
		assert_int_equal(sms_address_from_text(&s.smsc, smsc), 0);
	assert_int_equal(sms_address_from_text(&s.destination, to), 0);
	assert_int_equal(sms_ud_from_utf8(&s.ud, text, strlen(text)), 0);
}

static void test_dreamfabric(void **state)
{
	(void)state;
	decode(PDU_DREAMFABRIC_SUBMIT, true);
	assert_string_equal(s.smsc.text, "");
	assert_int_equal(s.mr, 0);
	assert_false(s.status_report_request);
	assert_false(s.reject_duplicates);
	assert_int_equal(s.vpf, SMS_VPF_RELATIVE);
	assert_int_equal(s.vp_relative, 0xAA);
	assert_int_equal(sms_vp_relative_minutes(s.vp_relative), 4 * 24 * 60);
	assert_string_equal(s.destination.text, "+46708251358");
	assert_string_equal(s.ud.text, "hellohello");
	assert_string_equal(encode(true), PDU_DREAMFABRIC_SUBMIT);

	/* The same from scratch. */
	build(NULL, "+46708251358", "hellohello");
	s.vpf = SMS_VPF_RELATIVE;
	s.vp_relative = sms_vp_relative_from_minutes(4 * 24 * 60);
	assert_string_equal(encode(true), PDU_DREAMFABRIC_SUBMIT);
}

static void test_status_report_request(void **state)
{
	(void)state;
	decode(PDU_DIAFAAN_SUBMIT, true);
	assert_string_equal(s.smsc.text, "+31624000000");
	assert_true(s.status_report_request);
	assert_int_equal(s.mr, 0x0D);
	assert_string_equal(s.destination.text, "+31628870634");
	assert_int_equal(s.vpf, SMS_VPF_RELATIVE);
	assert_int_equal(sms_vp_relative_minutes(s.vp_relative), 3 * 24 * 60);
	assert_string_equal(s.ud.text, "www.diafaan.com");
	assert_string_equal(encode(true), PDU_DIAFAAN_SUBMIT);

	build("+31624000000", "+31628870634", "www.diafaan.com");
	s.status_report_request = true;
	s.mr = 0x0D;
	s.vpf = SMS_VPF_RELATIVE;
	s.vp_relative = sms_vp_relative_from_minutes(3 * 24 * 60);
	assert_string_equal(encode(true), PDU_DIAFAAN_SUBMIT);
}

static void test_absolute_validity(void **state)
{
	(void)state;
	decode(PDU_PYGSM_SUBMIT_ABSOLUTE, true);
	assert_int_equal(s.vpf, SMS_VPF_ABSOLUTE);
	assert_time(&s.vp_absolute, 2013, 7, 10, 13, 39, 0, 120);
	assert_string_equal(s.destination.text, "+27820001111");
	assert_string_equal(s.ud.text, "Timestamp validity test");
	assert_string_equal(encode(true), PDU_PYGSM_SUBMIT_ABSOLUTE);

	build(NULL, "+27820001111", "Timestamp validity test");
	s.vpf = SMS_VPF_ABSOLUTE;
	sms_time_from_utc(&s.vp_absolute, 1373456340, 120); /* 2013-07-10T11:39:00Z */
	assert_string_equal(encode(true), PDU_PYGSM_SUBMIT_ABSOLUTE);
}

static void test_no_validity(void **state)
{
	(void)state;
	build(NULL, "+27820001111", "Hello World!");
	assert_string_equal(encode(true), PDU_PYGSM_SUBMIT_HELLO);
	decode(PDU_PYGSM_SUBMIT_HELLO, true);
	assert_int_equal(s.vpf, SMS_VPF_NONE);
	assert_string_equal(s.ud.text, "Hello World!");
}

static void test_ucs2(void **state)
{
	(void)state;
	decode(PDU_PYGSM_SUBMIT_UCS2, true);
	assert_string_equal(s.smsc.text, "+34646456456");
	assert_string_equal(s.destination.text, "+34616585119");
	assert_int_equal(s.ud.alphabet, SMS_ALPHABET_UCS2);
	assert_string_equal(s.ud.text, "あ叶葉");
	assert_string_equal(encode(true), PDU_PYGSM_SUBMIT_UCS2);

	build("+44000000000", "+123456789", "世界您好！");
	assert_int_equal(s.ud.alphabet, SMS_ALPHABET_UCS2);
	s.vpf = SMS_VPF_RELATIVE;
	s.vp_relative = 0xF4;
	assert_string_equal(encode(true), PDU_PYGSM_SUBMIT_UCS2_VP);

	decode(PDU_GAMMU16_UCS2, true);
	assert_string_equal(s.destination.text, "1234");
	assert_int_equal(s.destination.ton, SMS_TON_UNKNOWN);
	assert_string_equal(s.ud.text, "123456");
	assert_string_equal(encode(true), PDU_GAMMU16_UCS2);
}

static void test_8bit(void **state)
{
	(void)state;
	decode(PDU_PYGSM_SUBMIT_8BIT, true);
	assert_string_equal(s.smsc.text, "+2781191");
	assert_int_equal(s.ud.alphabet, SMS_ALPHABET_8BIT);
	assert_int_equal(s.ud.payload_len, 12);
	assert_memory_equal(s.ud.payload, "Hello world!", 12);
	assert_string_equal(s.ud.text, "");
	assert_string_equal(encode(true), PDU_PYGSM_SUBMIT_8BIT);
}

static void test_real_oddities(void **state)
{
	(void)state;
	/* UDHI with an empty header: 6 fill bits before the text. */
	decode(PDU_GAMMU19_UDHL0, true);
	assert_string_equal(s.smsc.text, "+436640501");
	assert_string_equal(s.destination.text, "066460353302");
	assert_int_equal(s.vp_relative, 0);
	assert_int_equal(sms_vp_relative_minutes(0), 5);
	assert_true(s.ud.has_class);
	assert_int_equal(s.ud.msg_class, 1);
	assert_int_equal(s.ud.payload_len, 20);
	assert_string_equal(s.ud.text, "Sample Gammu message");

	/* Empty destination. */
	decode(PDU_GAMMU31_EMPTY_DA, true);
	assert_string_equal(s.destination.text, "");
	assert_int_equal(s.destination.npi, 1);
	assert_string_equal(encode(true), PDU_GAMMU31_EMPTY_DA);

	/* SMSC prefix that is only a type octet. */
	decode(PDU_GAMMU24_SMSC_TOA_ONLY, true);
	assert_string_equal(s.smsc.text, "");
	assert_string_equal(s.destination.text, "3381449402");
	assert_int_equal(s.ud.payload_len, 30);
}

static void test_lorem_three_parts(void **state)
{
	/* [pygsm] encodes this text as three parts with reference 0 and TP-RD set; the
	 * splitter and encoder must give the same bytes. */
	static const char *const want[] = {PDU_PYGSM_LOREM_1, PDU_PYGSM_LOREM_2, PDU_PYGSM_LOREM_3};
	static struct sms_user_data parts[4];
	char joined[1024] = "";
	int n;

	(void)state;
	n = sms_split_utf8(parts, 4, TEXT_LOREM, strlen(TEXT_LOREM), 0);
	assert_int_equal(n, 3);
	for (int i = 0; i < n; i++) {
		memset(&s, 0, sizeof(s));
		assert_int_equal(sms_address_from_text(&s.destination, "+15125551234"), 0);
		s.reject_duplicates = true;
		s.ud = parts[i];
		assert_string_equal(encode(true), want[i]);

		decode(want[i], true);
		assert_true(s.reject_duplicates);
		assert_int_equal(s.ud.concat.ref, 0);
		assert_int_equal(s.ud.concat.total, 3);
		assert_int_equal(s.ud.concat.seq, i + 1);
		strcat(joined, s.ud.text);
	}
	assert_string_equal(joined, TEXT_LOREM);
}

static void test_first_octet_and_vp_formats(void **state)
{
	static const uint8_t enhanced[7] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
	uint8_t out[SMS_PDU_MAX];
	int n;

	(void)state;
	build(NULL, "+15551234567", "x");
	s.status_report_request = true;
	s.reply_path = true;
	n = sms_submit_encode(out, sizeof(out), &s, false);
	assert_int_equal(out[0], 0xA1); /* RP | SRR | SUBMIT, no VP */
	assert_int_equal(n, 1 + 1 + 8 + 2 + 2);

	s.vpf = SMS_VPF_ENHANCED;
	memcpy(s.vp_enhanced, enhanced, sizeof(enhanced));
	n = sms_submit_encode(out, sizeof(out), &s, false);
	assert_int_equal(out[0], 0xA9);
	assert_int_equal(n, 1 + 1 + 8 + 2 + 7 + 2);
	assert_int_equal(sms_submit_decode(&s, out, (size_t)n, false), 0);
	assert_int_equal(s.vpf, SMS_VPF_ENHANCED);
	assert_memory_equal(s.vp_enhanced, enhanced, 7);

	s.vpf = SMS_VPF_ABSOLUTE;
	sms_time_from_utc(&s.vp_absolute, 1700000000, -300);
	n = sms_submit_encode(out, sizeof(out), &s, false);
	assert_int_equal(out[0] & 0x18, 0x18);
	assert_int_equal(sms_submit_decode(&s, out, (size_t)n, false), 0);
	assert_time(&s.vp_absolute, 2023, 11, 14, 17, 13, 20, -300);

	s.vpf = (enum sms_vpf)4;
	assert_int_equal(sms_submit_encode(out, sizeof(out), &s, false), SMS_ERR_VP);
}

static void test_relative_vp_table(void **state)
{
	(void)state;
	/* [pygsm] TestRelativeValidityPeriod */
	assert_int_equal(sms_vp_relative_from_minutes(30), 5);
	assert_int_equal(sms_vp_relative_from_minutes(16 * 60), 151);
	assert_int_equal(sms_vp_relative_from_minutes(3 * 24 * 60), 169);
	assert_int_equal(sms_vp_relative_from_minutes(5 * 7 * 24 * 60), 197);
	/* TS 23.040 §9.2.3.12.1 boundaries, and rounding up between them. */
	for (unsigned vp = 0; vp <= 255; vp++)
		assert_int_equal(sms_vp_relative_from_minutes(sms_vp_relative_minutes((uint8_t)vp)),
				 vp);
	assert_int_equal(sms_vp_relative_minutes(143), 12 * 60);
	assert_int_equal(sms_vp_relative_minutes(167), 24 * 60);
	assert_int_equal(sms_vp_relative_minutes(168), 2 * 24 * 60);
	assert_int_equal(sms_vp_relative_minutes(196), 30 * 24 * 60);
	assert_int_equal(sms_vp_relative_minutes(255), 63 * 7 * 24 * 60);
	assert_int_equal(sms_vp_relative_from_minutes(0), 0);
	assert_int_equal(sms_vp_relative_from_minutes(6), 1);
	assert_int_equal(sms_vp_relative_from_minutes(12 * 60 + 1), 144);
	assert_int_equal(sms_vp_relative_from_minutes(100u * 7 * 24 * 60), 255);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dreamfabric),
	    cmocka_unit_test(test_status_report_request),
	    cmocka_unit_test(test_absolute_validity),
	    cmocka_unit_test(test_no_validity),
	    cmocka_unit_test(test_ucs2),
	    cmocka_unit_test(test_8bit),
	    cmocka_unit_test(test_real_oddities),
	    cmocka_unit_test(test_lorem_three_parts),
	    cmocka_unit_test(test_first_octet_and_vp_formats),
	    cmocka_unit_test(test_relative_vp_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
