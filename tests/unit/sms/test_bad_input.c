/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Bad input, one test per error class of sms_error.h: each returns its own code. */
#include "tests/unit/sms/test_util.h"

#include <stdlib.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "modem/sms/gsm7.h"
#include "tests/unit/sms/pdu_samples.h"
#include "modem/sms/sms_reassembly.h"
#include "modem/sms/sms_split.h"
#include "modem/sms/ucs2.h"

/* The [dreamfabric] SMS-DELIVER without its SMSC prefix, field by field. */
#define FO	"04"
#define OA	"0B911346610089F6"
#define PID_DCS "0000"
#define SCTS	"20806291731408"
#define UD	"0CC8F71D14969741F977FD07"

static struct sms_deliver d;
static struct sms_submit s;
static struct sms_status_report r;

static int deliver_hex(const char *hex, bool with_smsc)
{
	uint8_t pdu[256];
	size_t n = unhex(pdu, sizeof(pdu), hex);

	return sms_deliver_decode(&d, pdu, n, with_smsc);
}

static int submit_hex(const char *hex, bool with_smsc)
{
	uint8_t pdu[256];
	size_t n = unhex(pdu, sizeof(pdu), hex);

	return sms_submit_decode(&s, pdu, n, with_smsc);
}

static int status_hex(const char *hex, bool with_smsc)
{
	uint8_t pdu[256];
	size_t n = unhex(pdu, sizeof(pdu), hex);

	return sms_status_report_decode(&r, pdu, n, with_smsc);
}

static void test_hex(void **state)
{
	uint8_t out[4];

	(void)state;
	assert_int_equal(sms_hex_decode(out, sizeof(out), "0A1", 3), SMS_ERR_HEX);
	assert_int_equal(sms_hex_decode(out, sizeof(out), "0G", 2), SMS_ERR_HEX);
	assert_int_equal(sms_hex_decode(out, sizeof(out), "0A 1", 4), SMS_ERR_HEX);
	assert_int_equal(sms_hex_decode(out, sizeof(out), "0a0B", 4), 2); /* either case */
	assert_int_equal(out[0], 0x0A);
	assert_int_equal(out[1], 0x0B);
	assert_int_equal(sms_hex_decode(out, 2, "0A0B0C", 6), SMS_ERR_TOO_LONG);
}

static void test_truncated_every_prefix(void **state)
{
	uint8_t pdu[SMS_PDU_MAX];
	size_t n = unhex(pdu, sizeof(pdu), PDU_DREAMFABRIC_DELIVER);

	(void)state;
	assert_int_equal(n, 38);
	/* SMSC 0..7, FO 8, OA 9..16, PID/DCS 17..18, SCTS 19..25, TP-UDL 26, UD 27..37.
	 * A PDU that ends before TP-UDL is truncated; one whose TP-UDL promises more
	 * than follows has a wrong length. */
	for (size_t len = 0; len < n; len++) {
		int rc = sms_deliver_decode(&d, pdu, len, true);

		assert_int_equal(rc, len < 27 ? SMS_ERR_TRUNCATED : SMS_ERR_LENGTH);
	}
	assert_int_equal(sms_deliver_decode(&d, pdu, n, true), 0);

	/* The fields only SUBMIT and STATUS-REPORT have. */
	assert_int_equal(submit_hex("0011", true), SMS_ERR_TRUNCATED); /* TP-MR */
	assert_int_equal(submit_hex("0011000B916407281553F80000", true),
			 SMS_ERR_TRUNCATED); /* VP */
	assert_int_equal(submit_hex("0019000B917228001011F10000317001", true), SMS_ERR_TRUNCATED);
	assert_int_equal(submit_hex("0009000B917228001011F10000010203", true), SMS_ERR_TRUNCATED);
	assert_int_equal(status_hex("0006D60B911326880736F4"
				    "11101171955140"
				    "11101171957140",
				    true),
			 SMS_ERR_TRUNCATED); /* TP-ST */
	assert_int_equal(status_hex(PDU_DIAFAAN_STATUS_REPORT "01", true), SMS_ERR_TRUNCATED);
	assert_int_equal(status_hex(PDU_DIAFAAN_STATUS_REPORT "0200", true), 0);
	assert_int_equal(status_hex(PDU_DIAFAAN_STATUS_REPORT "04", true), SMS_ERR_TRUNCATED);
}

static void test_length(void **state)
{
	(void)state;
	/* [pygsm] a real PDU whose TP-UDL (A0) is longer than its data. */
	assert_int_equal(submit_hex(PDU_PYGSM_SUBMIT_UDL_TOO_LONG, true), SMS_ERR_LENGTH);
	/* 13 septets announced, 12 sent. */
	assert_int_equal(deliver_hex(FO OA PID_DCS SCTS "0DC8F71D14969741F977FD07", false),
			 SMS_ERR_LENGTH);
	/* Over 160 septets / 140 octets. */
	assert_int_equal(deliver_hex(FO OA "0000" SCTS "A1", false), SMS_ERR_LENGTH);
	assert_int_equal(deliver_hex(FO OA "0008" SCTS "8D", false), SMS_ERR_LENGTH);
	/* Trailing garbage after the user data, or after a status report's TP-PI. */
	assert_int_equal(deliver_hex(FO OA PID_DCS SCTS UD "00", false), SMS_ERR_LENGTH);
	assert_int_equal(deliver_hex(PDU_DREAMFABRIC_DELIVER "FF", true), SMS_ERR_LENGTH);
	assert_int_equal(status_hex(PDU_GAMMU36_STATUS_REPORT_PI0 "AB", true), SMS_ERR_LENGTH);
	assert_int_equal(deliver_hex(FO OA PID_DCS SCTS UD, false), 0);
}

static void test_mti(void **state)
{
	uint8_t pdu[4] = {0x00, 0x03, 0x00, 0x00};

	(void)state;
	assert_int_equal(deliver_hex(PDU_DREAMFABRIC_SUBMIT, true), SMS_ERR_MTI);
	assert_int_equal(submit_hex(PDU_DREAMFABRIC_DELIVER, true), SMS_ERR_MTI);
	assert_int_equal(status_hex(PDU_DREAMFABRIC_DELIVER, true), SMS_ERR_MTI);
	assert_int_equal(deliver_hex(PDU_DIAFAAN_STATUS_REPORT, true), SMS_ERR_MTI);
	assert_int_equal(sms_pdu_mti(pdu, sizeof(pdu), true), SMS_MTI_RESERVED);
	assert_int_equal(sms_deliver_decode(&d, pdu, sizeof(pdu), true), SMS_ERR_MTI);
	assert_int_equal(sms_pdu_mti(pdu, 1, true), SMS_ERR_TRUNCATED);
}

static void test_address(void **state)
{
	uint8_t pdu[4] = {0x0C, 0x91, 0x00, 0x00};

	(void)state;
	/* Originator of 21 digits. */
	assert_int_equal(
	    deliver_hex(FO "1591134661008916134661008916134661F9" PID_DCS SCTS UD, false),
	    SMS_ERR_ADDRESS);
	/* SMSC of 12 octets (only 11 fit). */
	assert_int_equal(deliver_hex("0C91"
				     "1326040000F01326040000F0" FO OA PID_DCS SCTS UD,
				     true),
			 SMS_ERR_ADDRESS);
	assert_int_equal(sms_pdu_mti(pdu, sizeof(pdu), true), SMS_ERR_ADDRESS);
	assert_int_equal(sms_tpdu_len(pdu, sizeof(pdu)), SMS_ERR_ADDRESS);
	/* A filler digit in the middle. */
	assert_int_equal(deliver_hex(FO "0491F243" PID_DCS SCTS UD, false), SMS_ERR_ADDRESS);
}

static void test_scts(void **state)
{
	(void)state;
	assert_int_equal(deliver_hex(FO OA PID_DCS "20316291731408" UD, false), SMS_ERR_SCTS);
	assert_int_equal(deliver_hex(FO OA PID_DCS "2080629173F408" UD, false), SMS_ERR_SCTS);
	assert_int_equal(status_hex("0006D60B911326880736F411101171955140"
				    "11101171957F4000",
				    true),
			 SMS_ERR_SCTS);
}

static void test_udh(void **state)
{
	(void)state;
	/* UDHI; a 33-octet header in 11 octets of user data. */
	assert_int_equal(deliver_hex("44" OA PID_DCS SCTS "0C20F71D14969741F977FD07", false),
			 SMS_ERR_UDH);
	/* An IE that runs past the header. */
	assert_int_equal(deliver_hex("44" OA "0004" SCTS "080500090102014142", false), SMS_ERR_UDH);
	/* A concatenation IE of the wrong size. */
	assert_int_equal(deliver_hex("44" OA "0004" SCTS "0704000201024142", false), SMS_ERR_UDH);
}

static void test_concat(void **state)
{
	static const char *const bad[] = {
	    "44" OA "0004" SCTS "08050003070000"
	    "4142", /* 0 parts */
	    "44" OA "0004" SCTS "08050003070300"
	    "4142", /* sequence 0 */
	    "44" OA "0004" SCTS "08050003070304"
	    "4142", /* sequence 4 of 3 */
	};
	uint8_t out[SMS_PDU_MAX];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		/* The decoder keeps the message and the IE as sent (text is never lost)... */
		assert_int_equal(deliver_hex(bad[i], false), 0);
		assert_true(d.ud.concat.present);
		assert_memory_equal(d.ud.payload, "AB", 2);
		/* ...the check names the problem, and nothing sends such an IE. */
		assert_int_equal(sms_concat_check(&d.ud.concat), SMS_ERR_CONCAT);
		assert_int_equal(sms_deliver_encode(out, sizeof(out), &d, false), SMS_ERR_CONCAT);
	}
}

static void on_message(const struct sms_reassembled *m, void *data)
{
	*(int *)data = m->reason;
}

static void test_concat_limit(void **state)
{
	struct sms_user_data *parts = calloc(SMS_MAX_PARTS, sizeof(*parts));
	struct sms_reassembler_config cfg = {.timeout_ms = 1000, .max_parts = 16};
	struct sms_reassembler *ra;
	char text[153 * 3 + 2];
	int reason = 0;

	(void)state;
	assert_non_null(parts);
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	assert_int_equal(sms_split_utf8(parts, 3, text, strlen(text), 1), SMS_ERR_CONCAT_LIMIT);
	free(parts);

	/* A part of a 255-part message against a reassembler that takes 16. */
	ra = sms_reassembler_alloc(NULL, &cfg, on_message, &reason);
	assert_int_equal(deliver_hex("44" OA "0004" SCTS "08050003"
				     "07FF01"
				     "4142",
				     false),
			 0);
	assert_int_equal(sms_reassembler_add(ra, &d, NULL, 0), 0);
	assert_int_equal(reason, SMS_ERR_CONCAT_LIMIT);
	sms_reassembler_free(ra);
}

static void test_dcs(void **state)
{
	(void)state;
	assert_int_equal(deliver_hex(FO OA "0020" SCTS UD, false), SMS_ERR_DCS); /* compressed */
	assert_int_equal(deliver_hex(FO OA "000C" SCTS UD, false), SMS_ERR_DCS); /* reserved */
	assert_int_equal(deliver_hex(FO OA "0080" SCTS UD, false), SMS_ERR_DCS); /* reserved */
	assert_int_equal(submit_hex("0011000B916407281553F80024AA0AE8329BFD4697D9EC37", true),
			 SMS_ERR_DCS);
}

static void test_text_errors(void **state)
{
	uint8_t buf[16];
	struct sms_user_data ud;

	(void)state;
	assert_int_equal(sms_ud_from_utf8(&ud, "caf\xC3", 4), SMS_ERR_UTF8);
	assert_int_equal(ucs2_from_utf8(buf, sizeof(buf), "\xED\xB0\x80", 3), SMS_ERR_UTF8);
	assert_int_equal(gsm7_from_utf8(buf, sizeof(buf), "🙂", strlen("🙂")), SMS_ERR_GSM7);
	assert_int_equal(ucs2_validate((const uint8_t *)"\xDC\x00", 2), SMS_ERR_UCS2);
	/* A received unpaired surrogate still decodes, as U+FFFD. */
	assert_int_equal(deliver_hex(FO OA "0008" SCTS "04D83D0041", false), 0);
	assert_string_equal(d.ud.text, "\xEF\xBF\xBD"
				       "A");
}

static void test_too_long_and_vp(void **state)
{
	uint8_t out[SMS_PDU_MAX];
	char hex[8];
	int n;

	(void)state;
	assert_int_equal(deliver_hex(PDU_DREAMFABRIC_DELIVER, true), 0);
	n = sms_deliver_encode(out, sizeof(out), &d, true);
	assert_int_equal(n, 38);
	for (int cap = 0; cap < n; cap++)
		assert_int_equal(sms_deliver_encode(out, (size_t)cap, &d, true), SMS_ERR_TOO_LONG);
	assert_int_equal(sms_hex_encode(hex, sizeof(hex), out, 4), SMS_ERR_TOO_LONG);

	assert_int_equal(submit_hex(PDU_DREAMFABRIC_SUBMIT, true), 0);
	n = sms_submit_encode(out, sizeof(out), &s, true);
	for (int cap = 0; cap < n; cap++)
		assert_int_equal(sms_submit_encode(out, (size_t)cap, &s, true), SMS_ERR_TOO_LONG);
	s.vpf = (enum sms_vpf)7;
	assert_int_equal(sms_submit_encode(out, sizeof(out), &s, true), SMS_ERR_VP);

	assert_int_equal(status_hex(PDU_GAMMU34_STATUS_REPORT_PI, true), 0);
	n = sms_status_report_encode(out, sizeof(out), &r, true);
	for (int cap = 0; cap < n; cap++)
		assert_int_equal(sms_status_report_encode(out, (size_t)cap, &r, true),
				 SMS_ERR_TOO_LONG);
}

static void test_null_arguments(void **state)
{
	uint8_t buf[8] = {0};

	(void)state;
	assert_int_equal(sms_deliver_decode(NULL, buf, 1, true), SMS_ERR_ARG);
	assert_int_equal(sms_submit_decode(&s, NULL, 1, true), SMS_ERR_ARG);
	assert_int_equal(sms_status_report_decode(NULL, buf, 1, true), SMS_ERR_ARG);
	assert_int_equal(sms_deliver_encode(NULL, 8, &d, true), SMS_ERR_ARG);
	assert_int_equal(sms_submit_encode(buf, 8, NULL, true), SMS_ERR_ARG);
	assert_int_equal(sms_status_report_encode(buf, 8, NULL, true), SMS_ERR_ARG);
	assert_int_equal(sms_hex_decode(NULL, 8, "00", 2), SMS_ERR_ARG);
	assert_int_equal(sms_pdu_mti(NULL, 3, true), SMS_ERR_ARG);
	assert_int_equal(sms_tpdu_len(NULL, 3), SMS_ERR_ARG);
	assert_int_equal(sms_split_utf8(NULL, 3, "a", 1, 0), SMS_ERR_ARG);
}

static void test_error_texts(void **state)
{
	(void)state;
	for (int e = SMS_OK; e >= SMS_ERR_VP; e--) {
		assert_string_not_equal(sms_strerror(e), "unknown error");
		assert_string_not_equal(sms_errname(e), "unknown");
		for (int f = e - 1; f >= SMS_ERR_VP; f--) {
			assert_string_not_equal(sms_errname(e), sms_errname(f));
			assert_string_not_equal(sms_strerror(e), sms_strerror(f));
		}
	}
	assert_string_equal(sms_strerror(SMS_ERR_TRUNCATED), "truncated PDU");
	assert_string_equal(sms_errname(SMS_ERR_TRUNCATED), "truncated");
	assert_string_equal(sms_errname(-99), "unknown");
	assert_string_equal(sms_strerror(5), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hex),
	    cmocka_unit_test(test_truncated_every_prefix),
	    cmocka_unit_test(test_length),
	    cmocka_unit_test(test_mti),
	    cmocka_unit_test(test_address),
	    cmocka_unit_test(test_scts),
	    cmocka_unit_test(test_udh),
	    cmocka_unit_test(test_concat),
	    cmocka_unit_test(test_concat_limit),
	    cmocka_unit_test(test_dcs),
	    cmocka_unit_test(test_text_errors),
	    cmocka_unit_test(test_too_long_and_vp),
	    cmocka_unit_test(test_null_arguments),
	    cmocka_unit_test(test_error_texts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
