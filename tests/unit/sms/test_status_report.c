/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* SMS-STATUS-REPORT: real +CDS/+CMGR traces, the optional TP-PI tail, SIM padding,
 * encoding, and the TP-ST classes. */
#include "tests/unit/sms/test_util.h"

#include "tests/unit/sms/pdu_samples.h"
#include "modem/sms/sms_split.h"

static struct sms_status_report r;

static void decode(const char *hex, bool with_smsc)
{
	uint8_t pdu[SMS_PDU_MAX];
	size_t n = unhex(pdu, sizeof(pdu), hex);

	assert_int_equal(sms_pdu_mti(pdu, n, with_smsc), SMS_MTI_STATUS_REPORT);
	assert_int_equal(sms_status_report_decode(&r, pdu, n, with_smsc), SMS_OK);
}

static const char *encode(bool with_smsc)
{
	uint8_t out[SMS_PDU_MAX];
	int n = sms_status_report_encode(out, sizeof(out), &r, with_smsc);

	assert_true(n > 0);
	return tohex(out, (size_t)n);
}

static void test_diafaan(void **state)
{
	(void)state;
	decode(PDU_DIAFAAN_STATUS_REPORT, true);
	assert_string_equal(r.smsc.text, "");
	assert_int_equal(r.mr, 214);
	assert_false(r.more_messages);
	assert_false(r.srq);
	assert_string_equal(r.recipient.text, "+31628870634");
	assert_time(&r.scts, 2011, 1, 11, 17, 59, 15, 60);
	assert_time(&r.discharge, 2011, 1, 11, 17, 59, 17, 60);
	assert_int_equal(r.status, 0x00);
	assert_true(sms_status_is_delivered(r.status));
	assert_false(r.has_pid || r.has_dcs || r.has_ud);
	assert_string_equal(encode(true), PDU_DIAFAAN_STATUS_REPORT);
}

static void test_without_smsc_prefix(void **state)
{
	uint8_t pdu[64];
	size_t n;

	(void)state;
	/* +CDS as [amro]'s modem printed it: no SMSC octet. */
	decode(PDU_AMRO_STATUS_REPORT, false);
	assert_int_equal(r.mr, 0);
	assert_string_equal(r.recipient.text, "+20121875612");
	assert_time(&r.scts, 2007, 9, 12, 15, 10, 12, 120);
	assert_time(&r.discharge, 2007, 9, 12, 15, 10, 17, 120);
	assert_int_equal(r.status, 0);
	assert_string_equal(encode(false), PDU_AMRO_STATUS_REPORT);
	/* Read as if it had a prefix, it is not a status report. */
	n = unhex(pdu, sizeof(pdu), PDU_AMRO_STATUS_REPORT);
	assert_true(sms_status_report_decode(&r, pdu, n, true) < 0);
}

static void test_real_traces(void **state)
{
	(void)state;
	decode(PDU_GAMMU30_STATUS_REPORT, true);
	assert_string_equal(r.smsc.text, "+420603052000");
	assert_int_equal(r.mr, 0xE8);
	assert_string_equal(r.recipient.text, "+666666666666");
	assert_time(&r.scts, 2009, 9, 7, 16, 48, 22, 120);
	assert_time(&r.discharge, 2009, 9, 7, 16, 48, 26, 120);
	assert_string_equal(encode(true), PDU_GAMMU30_STATUS_REPORT);

	decode(PDU_GAMMU38_STATUS_REPORT, true);
	assert_int_equal(r.mr, 0xB4);
	assert_string_equal(r.recipient.text, "602396602");
	assert_int_equal(r.recipient.ton, SMS_TON_UNKNOWN);
	assert_time(&r.discharge, 2012, 2, 14, 10, 55, 50, 60);
	assert_string_equal(encode(true), PDU_GAMMU38_STATUS_REPORT);
}

static void test_parameter_indicator(void **state)
{
	(void)state;
	/* TP-PI 06: a DCS and an empty user data follow. */
	decode(PDU_GAMMU34_STATUS_REPORT_PI, true);
	assert_string_equal(r.recipient.text, "+61439012244");
	assert_time(&r.scts, 2010, 9, 17, 10, 1, 0, 600);
	assert_time(&r.discharge, 2010, 9, 17, 10, 1, 54, 600);
	assert_false(r.has_pid);
	assert_true(r.has_dcs);
	assert_true(r.has_ud);
	assert_int_equal(r.dcs, 0);
	assert_int_equal(r.ud.payload_len, 0);
	assert_string_equal(encode(true), PDU_GAMMU34_STATUS_REPORT_PI);

	/* TP-PI 00: nothing follows; encoded without the octet. */
	decode(PDU_GAMMU36_STATUS_REPORT_PI0, true);
	assert_string_equal(r.recipient.text, "+6285717373455");
	assert_time(&r.scts, 2010, 10, 10, 16, 7, 35, 420);
	assert_false(r.has_pid || r.has_dcs || r.has_ud);
	assert_string_equal(encode(true),
			    "07912658050000F006010D91265817373754F5010101617053820101016170838200");

	/* Read from SIM storage, padded with FF: the TP-PI has reserved bits set and is
	 * not interpreted (TS 23.040 §9.2.3.27). */
	decode(PDU_GAMMU32_STATUS_REPORT_FF, true);
	assert_int_equal(r.mr, 0xAB);
	assert_true(r.more_messages);
	assert_string_equal(r.recipient.text, "604865888");
	assert_time(&r.discharge, 2009, 7, 8, 15, 38, 10, 120);
	assert_false(r.has_pid || r.has_dcs || r.has_ud);
}

static void test_encode_with_user_data(void **state)
{
	uint8_t out[SMS_PDU_MAX];
	int n;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.mr = 42;
	assert_int_equal(sms_address_from_text(&r.recipient, "+15551234567"), 0);
	sms_time_from_utc(&r.scts, 1700000000, -300);
	sms_time_from_utc(&r.discharge, 1700086400, -300);
	r.status = 0x46;
	r.srq = true;
	r.has_pid = true;
	r.has_ud = true;
	assert_int_equal(sms_ud_from_utf8(&r.ud, "expired", 7), 0);
	n = sms_status_report_encode(out, sizeof(out), &r, false);
	assert_true(n > 0);
	assert_int_equal(out[0], 0x26); /* SRQ | no more messages | STATUS-REPORT */
	/* TP-ST, then TP-PI 05 (PID and UDL; the default alphabet needs no DCS). */
	assert_string_equal(tohex(out + 1 + 1 + 8 + 14, 3), "460500");
	assert_int_equal(sms_status_report_decode(&r, out, (size_t)n, false), 0);
	assert_true(r.srq);
	assert_true(r.has_pid && r.has_ud);
	assert_false(r.has_dcs);
	assert_string_equal(r.ud.text, "expired");
	assert_time(&r.discharge, 2023, 11, 15, 17, 13, 20, -300);
	assert_true(sms_status_is_failed(r.status));

	/* UCS-2 user data needs the DCS. */
	assert_int_equal(sms_ud_from_utf8(&r.ud, "échec ✗", strlen("échec ✗")), 0);
	n = sms_status_report_encode(out, sizeof(out), &r, false);
	assert_string_equal(tohex(out + 1 + 1 + 8 + 14, 4), "46070008");
	assert_int_equal(sms_status_report_decode(&r, out, (size_t)n, false), 0);
	assert_true(r.has_dcs);
	assert_string_equal(r.ud.text, "échec ✗");
}

static void test_status_classes(void **state)
{
	(void)state;
	assert_true(sms_status_is_delivered(0x00));
	assert_true(sms_status_is_delivered(0x1F));
	assert_true(sms_status_is_temporary(0x20));
	assert_true(sms_status_is_temporary(0x3F));
	assert_true(sms_status_is_failed(0x40));
	assert_true(sms_status_is_failed(0x60));
	assert_false(sms_status_is_failed(0x3F));
	assert_string_equal(sms_status_name(0x00), "delivered");
	assert_string_equal(sms_status_name(0x01), "forwarded, delivery unconfirmed");
	assert_string_equal(sms_status_name(0x21), "recipient busy, still trying");
	assert_string_equal(sms_status_name(0x46), "validity period expired");
	assert_string_equal(sms_status_name(0x61), "recipient busy, given up");
	assert_string_equal(sms_status_name(0x15), "delivered (service centre specific)");
	assert_string_equal(sms_status_name(0x8F), "failed (reserved status)");
	for (int st = 0; st < 256; st++)
		assert_non_null(sms_status_name((uint8_t)st));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_diafaan),
	    cmocka_unit_test(test_without_smsc_prefix),
	    cmocka_unit_test(test_real_traces),
	    cmocka_unit_test(test_parameter_indicator),
	    cmocka_unit_test(test_encode_with_user_data),
	    cmocka_unit_test(test_status_classes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
