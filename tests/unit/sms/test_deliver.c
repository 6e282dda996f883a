/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* SMS-DELIVER: published examples and real traces decoded field by field, then encoded
 * back to the same bytes. */
#include "tests/unit/sms/test_util.h"

#include "tests/unit/sms/pdu_samples.h"
#include "modem/sms/sms_split.h"

static struct sms_deliver d;

static void decode(const char *hex, bool with_smsc)
{
	uint8_t pdu[SMS_PDU_MAX];
	size_t n = unhex(pdu, sizeof(pdu), hex);

	assert_int_equal(sms_pdu_mti(pdu, n, with_smsc), SMS_MTI_DELIVER);
	assert_int_equal(sms_deliver_decode(&d, pdu, n, with_smsc), SMS_OK);
}

/* Encoding what was decoded gives the PDU back. */
static void assert_reencodes(const char *hex, bool with_smsc)
{
	uint8_t out[SMS_PDU_MAX];
	int n = sms_deliver_encode(out, sizeof(out), &d, with_smsc);

	assert_true(n > 0);
	assert_string_equal(tohex(out, (size_t)n), hex);
}

static void test_dreamfabric(void **state)
{
	(void)state;
	decode(PDU_DREAMFABRIC_DELIVER, true);
	assert_string_equal(d.smsc.text, "+31624000000");
	assert_int_equal(d.smsc.ton, SMS_TON_INTERNATIONAL);
	assert_string_equal(d.originator.text, "+31641600986");
	assert_int_equal(d.originator.ton, SMS_TON_INTERNATIONAL);
	assert_int_equal(d.originator.npi, 1);
	assert_false(d.more_messages); /* TP-MMS set: no more messages */
	assert_false(d.status_report_ind);
	assert_false(d.reply_path);
	assert_int_equal(d.pid, 0);
	assert_int_equal(d.dcs, 0);
	assert_time(&d.scts, 2002, 8, 26, 19, 37, 41, 0);
	assert_int_equal(d.ud.alphabet, SMS_ALPHABET_GSM7);
	assert_false(d.ud.concat.present);
	assert_int_equal(d.ud.payload_len, 12);
	assert_string_equal(d.ud.text, "How are you?");
	assert_int_equal(d.ud.text_len, 12);
	/* The "negative zero" time zone 08 comes back as 00. */
	assert_reencodes(
	    "07911326040000F0040B911346610089F60000208062917314000CC8F71D14969741F977FD07", true);
}

static void test_published_7bit(void **state)
{
	(void)state;
	decode(PDU_DEVHOME_DELIVER, true);
	assert_string_equal(d.smsc.text, "+85290000000");
	assert_string_equal(d.originator.text, "+85291234567");
	assert_time(&d.scts, 2007, 4, 12, 23, 25, 42, 480);
	assert_string_equal(d.ud.text, TEXT_DEVHOME);
	assert_reencodes(PDU_DEVHOME_DELIVER, true);

	decode(PDU_PYGSM_DELIVER_TEST2, true);
	assert_string_equal(d.smsc.text, "+2782913593");
	assert_string_equal(d.originator.text, "+27821234567");
	assert_time(&d.scts, 2013, 3, 8, 15, 2, 16, 120);
	assert_string_equal(d.ud.text, "Test2");
	assert_reencodes(PDU_PYGSM_DELIVER_TEST2, true);

	/* Escape pairs and a Latin letter from the default table. */
	decode(PDU_PYGSM_DELIVER_ESC, true);
	assert_int_equal(d.ud.payload_len, 10);
	assert_string_equal(d.ud.text, "@{tést}!");
	assert_reencodes(PDU_PYGSM_DELIVER_ESC, true);

	/* Subscriber number with national numbering plan; two-digit year 99. */
	decode(PDU_DREAMFABRIC_DELIVER_C8, true);
	assert_string_equal(d.smsc.text, "+27381000015");
	assert_string_equal(d.originator.text, "27838890001");
	assert_int_equal(d.originator.ton, SMS_TON_SUBSCRIBER);
	assert_int_equal(d.originator.npi, 8);
	assert_time(&d.scts, 2099, 3, 29, 15, 16, 59, 120);
	assert_string_equal(d.ud.text, "hellohello");
	assert_reencodes(PDU_DREAMFABRIC_DELIVER_C8, true);
}

static void test_real_concatenated(void **state)
{
	(void)state;
	decode(PDU_PYGSM_DELIVER_CONCAT11, true);
	assert_string_equal(d.smsc.text, "+2781191");
	assert_string_equal(d.originator.text, "2781188");
	assert_int_equal(d.originator.ton, SMS_TON_UNKNOWN);
	assert_time(&d.scts, 2013, 6, 25, 16, 40, 48, 120);
	assert_true(d.ud.concat.present);
	assert_false(d.ud.concat.ref16);
	assert_int_equal(d.ud.concat.ref, 0xC3);
	assert_int_equal(d.ud.concat.total, 1);
	assert_int_equal(d.ud.concat.seq, 1);
	assert_int_equal(d.ud.udh_len, 0);
	assert_string_equal(d.ud.text, TEXT_PYGSM_CONCAT11);
	/* The sending network set its fill bit (91 after the header); TS 23.040 says
	 * zero, which is what the encoder writes (90). The decoder ignores it. */
	assert_reencodes("0591721891F1400781721881F800003160526104848059050003C30101906536FB1DCABE"
			 "EB2074D85E064941B19CAB060319A5C522289C96D3D3ED32286C0FA7D96131BBEC02"
			 "4941B19CAB0603DDD36C36A88C87A7E565D0DB0D82C55EB0DB4B068BCD5C20",
			 true);

	/* 160 septets: 7 for the header (1 fill bit), 153 of text. */
	decode(PDU_GAMMU22_CONCAT, true);
	assert_string_equal(d.originator.text, "+420724797276");
	assert_time(&d.scts, 2007, 1, 7, 13, 1, 47, 60);
	assert_int_equal(d.ud.concat.ref, 1);
	assert_int_equal(d.ud.concat.total, 2);
	assert_int_equal(d.ud.concat.seq, 1);
	assert_int_equal(d.ud.payload_len, 153);
	assert_memory_equal(d.ud.text, TEXT_GAMMU22_START, strlen(TEXT_GAMMU22_START));
	assert_reencodes(PDU_GAMMU22_CONCAT, true);
}

static void test_real_ucs2(void **state)
{
	(void)state;
	decode(PDU_NOKIA_UCS2_DELIVER, true);
	assert_string_equal(d.smsc.text, "+20105996500");
	assert_string_equal(d.originator.text, "+20101014063");
	assert_time(&d.scts, 2002, 12, 19, 3, 25, 51, 120);
	assert_int_equal(d.ud.alphabet, SMS_ALPHABET_UCS2);
	assert_int_equal(d.ud.payload_len, 4);
	assert_string_equal(d.ud.text, "\xD8\xA8\xD8\xAA"); /* U+0628 U+062A */
	assert_reencodes(PDU_NOKIA_UCS2_DELIVER, true);

	decode(PDU_CSDN_UCS2_DELIVER, true);
	assert_string_equal(d.smsc.text, "+8613800220500");
	assert_string_equal(d.originator.text, "+8613752141860");
	assert_true(d.status_report_ind);
	assert_false(d.more_messages);
	assert_time(&d.scts, 2006, 8, 30, 13, 22, 0, 0);
	assert_string_equal(d.ud.text, "你好");
	assert_reencodes(PDU_CSDN_UCS2_DELIVER, true);
}

static void test_real_alphanumeric(void **state)
{
	(void)state;
	decode(PDU_GAMMU04_ALNUM, true);
	assert_string_equal(d.smsc.text, "+447802000332");
	assert_int_equal(d.originator.ton, SMS_TON_ALPHANUMERIC);
	/* 6 semi-octets hold 3 septets: 'O', '2' and septet 0x11 '_'. */
	assert_string_equal(d.originator.text, "O2_");
	assert_time(&d.scts, 2006, 11, 19, 8, 26, 34, 0);
	assert_int_equal(d.ud.payload_len, 159);
	assert_memory_equal(d.ud.text, "O2: You now have your Text Anytime 300 UK texts",
			    strlen("O2: You now have your Text Anytime 300 UK texts"));
	assert_reencodes(PDU_GAMMU04_ALNUM, true);
}

static void test_real_8bit_with_port_header(void **state)
{
	(void)state;
	decode(PDU_GAMMU33_WAP, true);
	assert_string_equal(d.originator.text, "33707520030");
	assert_int_equal(d.originator.ton, SMS_TON_NATIONAL);
	assert_int_equal(d.dcs, 0x06);
	assert_int_equal(d.ud.alphabet, SMS_ALPHABET_8BIT);
	assert_false(d.ud.has_class);
	assert_time(&d.scts, 2010, 7, 1, 9, 40, 21, 120);
	assert_false(d.ud.concat.present);
	assert_string_equal(tohex(d.ud.udh, d.ud.udh_len), "05040B8423F0");
	assert_int_equal(d.ud.payload_len, 99);
	assert_memory_equal(d.ud.payload, "\x04\x06\x03\xBE\xAF\x84", 6);
	assert_string_equal(d.ud.text, "");
	assert_reencodes(PDU_GAMMU33_WAP, true);
}

static void test_real_edge_cases(void **state)
{
	(void)state;
	/* Empty user data. */
	decode(PDU_GAMMU23_EMPTY, true);
	assert_string_equal(d.originator.text, "+447970011182");
	assert_int_equal(d.ud.payload_len, 0);
	assert_string_equal(d.ud.text, "");
	assert_reencodes(PDU_GAMMU23_EMPTY, true);

	/* +05:30, DCS FB with the reserved bit: kept as sent on encode. */
	decode(PDU_GAMMU42_TZ0530, true);
	assert_string_equal(d.originator.text, "+94774705017");
	assert_true(d.more_messages); /* first octet 20: TP-MMS clear */
	assert_true(d.status_report_ind);
	assert_time(&d.scts, 2019, 8, 5, 8, 9, 35, 330);
	assert_true(d.ud.has_class);
	assert_int_equal(d.ud.msg_class, 3);
	assert_string_equal(d.ud.text, "1917812300     22:30   RATTHI");
	assert_reencodes(PDU_GAMMU42_TZ0530, true);
}

static void fill_deliver(const char *from, const char *text)
{
	uint8_t scts[7];

	memset(&d, 0, sizeof(d));
	assert_int_equal(sms_address_from_text(&d.originator, from), 0);
	unhex(scts, sizeof(scts), "6211129003000A"); /* 2026-11-21 09:30 -05:00 */
	assert_int_equal(sms_scts_decode(&d.scts, scts, sizeof(scts)), 7);
	assert_int_equal(sms_ud_from_utf8(&d.ud, text, strlen(text)), 0);
}

static void test_encode_emoji(void **state)
{
	/* Built by hand: FO 04, OA +15551234567, DCS 08, SCTS -05:00, UDL 10,
	 * "Hi " then U+1F600 as the surrogate pair D83D DE00. */
	static const char want[] = "00040B915155214365F700086211129003000A0A004800690020D83DDE00";

	(void)state;
	fill_deliver("+15551234567", "Hi 😀");
	assert_int_equal(d.ud.alphabet, SMS_ALPHABET_UCS2);
	assert_reencodes(want, true);
	decode(want, true);
	assert_string_equal(d.ud.text, "Hi 😀");
	assert_int_equal(sms_time_to_utc(&d.scts), 1795271400);
}

static void test_encode_16bit_reference(void **state)
{
	/* Header 06 08 04 BEEF 02 02: 7 octets = 8 septets, no fill bits; TP-UDL 16. */
	static const char want[] = "00440B915155214365F700006211129003000A100608"
				   "04BEEF0202F0B09C0EA2DFDF";

	(void)state;
	fill_deliver("+15551234567", "part two");
	d.ud.concat = (struct sms_concat){
	    .present = true, .ref16 = true, .ref = 0xBEEF, .total = 2, .seq = 2};
	assert_reencodes(want, true);
	decode(want, true);
	assert_true(d.ud.concat.ref16);
	assert_int_equal(d.ud.concat.ref, 0xBEEF);
	assert_int_equal(d.ud.concat.total, 2);
	assert_int_equal(d.ud.concat.seq, 2);
	assert_string_equal(d.ud.text, "part two");
}

static void test_message_waiting_dcs(void **state)
{
	/* DCS C8: message waiting group "discard", voicemail indication set, 7-bit. */
	static const char want[] = "00040B915155214365F700C86211129003000A0F"
				   "3190BB7C07D9DFE971B91D4EB301";
	struct sms_dcs_mwi mwi;

	(void)state;
	decode(want, true);
	assert_int_equal(d.dcs, 0xC8);
	assert_string_equal(d.ud.text, "1 new voicemail");
	assert_int_equal(sms_dcs_mwi(d.dcs, &mwi), 1);
	assert_true(mwi.active);
	assert_reencodes(want, true);
	/* A DCS that contradicts the user data is replaced by the derived one. */
	d.dcs = 0x08;
	assert_reencodes("00040B915155214365F700006211129003000A0F"
			 "3190BB7C07D9DFE971B91D4EB301",
			 true);
}

static void test_first_octet_flags(void **state)
{
	uint8_t out[SMS_PDU_MAX];
	int n;

	(void)state;
	fill_deliver("+15551234567", "x");
	d.more_messages = true;
	d.status_report_ind = true;
	d.reply_path = true;
	n = sms_deliver_encode(out, sizeof(out), &d, false);
	assert_true(n > 0);
	assert_int_equal(out[0], 0xA0); /* RP | SRI, TP-MMS clear, MTI 00 */
	assert_int_equal(sms_deliver_decode(&d, out, (size_t)n, false), 0);
	assert_true(d.more_messages);
	assert_true(d.status_report_ind);
	assert_true(d.reply_path);
	/* With an SMSC, and the TPDU length +CMT would announce. */
	assert_int_equal(sms_address_from_text(&d.smsc, "+31624000000"), 0);
	n = sms_deliver_encode(out, sizeof(out), &d, true);
	assert_int_equal(sms_tpdu_len(out, (size_t)n), n - 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dreamfabric),
	    cmocka_unit_test(test_published_7bit),
	    cmocka_unit_test(test_real_concatenated),
	    cmocka_unit_test(test_real_ucs2),
	    cmocka_unit_test(test_real_alphanumeric),
	    cmocka_unit_test(test_real_8bit_with_port_header),
	    cmocka_unit_test(test_real_edge_cases),
	    cmocka_unit_test(test_encode_emoji),
	    cmocka_unit_test(test_encode_16bit_reference),
	    cmocka_unit_test(test_message_waiting_dcs),
	    cmocka_unit_test(test_first_octet_flags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
