/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Fuzz-ish robustness: random bytes, every truncation and single-octet mutations of the
 * sample PDUs go through every decoder. Each input sits in a heap block of exactly its
 * size, so AddressSanitizer reports any read past the end. Every call must return
 * success or an error code of sms_error.h, and successful results must be consistent. */
#include "tests/unit/sms/test_util.h"

#include <stdlib.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "modem/sms/gsm7.h"
#include "tests/unit/sms/pdu_samples.h"
#include "modem/sms/sms_reassembly.h"
#include "modem/sms/sms_split.h"
#include "modem/sms/ucs2.h"

static const char *const samples[] = {
    PDU_DREAMFABRIC_DELIVER,
    PDU_DREAMFABRIC_DELIVER_C8,
    PDU_DEVHOME_DELIVER,
    PDU_PYGSM_DELIVER_TEST2,
    PDU_PYGSM_DELIVER_ESC,
    PDU_PYGSM_DELIVER_CONCAT11,
    PDU_GAMMU22_CONCAT,
    PDU_NOKIA_UCS2_DELIVER,
    PDU_CSDN_UCS2_DELIVER,
    PDU_GAMMU04_ALNUM,
    PDU_GAMMU33_WAP,
    PDU_GAMMU23_EMPTY,
    PDU_GAMMU42_TZ0530,
    PDU_DREAMFABRIC_SUBMIT,
    PDU_DIAFAAN_SUBMIT,
    PDU_PYGSM_SUBMIT_ABSOLUTE,
    PDU_PYGSM_SUBMIT_UCS2,
    PDU_PYGSM_SUBMIT_8BIT,
    PDU_PYGSM_SUBMIT_UDL_TOO_LONG,
    PDU_PYGSM_LOREM_1,
    PDU_GAMMU19_UDHL0,
    PDU_GAMMU31_EMPTY_DA,
    PDU_GAMMU24_SMSC_TOA_ONLY,
    PDU_DIAFAAN_STATUS_REPORT,
    PDU_AMRO_STATUS_REPORT,
    PDU_GAMMU30_STATUS_REPORT,
    PDU_GAMMU34_STATUS_REPORT_PI,
    PDU_GAMMU32_STATUS_REPORT_FF,
};

static unsigned long calls, successes;

static void check_rc(int rc)
{
	assert_true(rc == 0 || (rc <= SMS_ERR_ARG && rc >= SMS_ERR_VP));
}

static void check_ud(const struct sms_user_data *ud)
{
	assert_true(ud->payload_len <= sizeof(ud->payload));
	assert_true(ud->udh_len <= sizeof(ud->udh));
	assert_true(ud->text_len < sizeof(ud->text));
	assert_int_equal(strlen(ud->text), ud->text_len);
	if (ud->alphabet == SMS_ALPHABET_GSM7) {
		for (unsigned i = 0; i < ud->payload_len; i++)
			assert_true(ud->payload[i] < 0x80);
	}
}

static void check_address(const struct sms_address *a)
{
	assert_non_null(memchr(a->text, '\0', sizeof(a->text)));
}

/* Every decoder on one input, then an encoder on whatever decoded. */
static void run_decoders(const uint8_t *data, size_t len)
{
	static struct sms_deliver d;
	static struct sms_submit s;
	static struct sms_status_report r;
	uint8_t *copy = malloc(len ? len : 1);
	uint8_t out[SMS_PDU_MAX];

	assert_non_null(copy);
	memcpy(copy, data, len);
	for (int with_smsc = 0; with_smsc <= 1; with_smsc++) {
		int rc;

		rc = sms_pdu_mti(copy, len, with_smsc);
		assert_true(rc <= SMS_MTI_RESERVED && rc >= SMS_ERR_VP);
		rc = sms_tpdu_len(copy, len);
		assert_true(rc >= 0 ? (size_t)rc <= len : rc >= SMS_ERR_VP);

		rc = sms_deliver_decode(&d, copy, len, with_smsc);
		check_rc(rc);
		calls++;
		if (rc == 0) {
			successes++;
			check_ud(&d.ud);
			check_address(&d.originator);
			check_address(&d.smsc);
			rc = sms_deliver_encode(out, sizeof(out), &d, with_smsc);
			assert_true(rc > 0 || rc >= SMS_ERR_VP);
		}
		rc = sms_submit_decode(&s, copy, len, with_smsc);
		check_rc(rc);
		calls++;
		if (rc == 0) {
			successes++;
			check_ud(&s.ud);
			check_address(&s.destination);
			rc = sms_submit_encode(out, sizeof(out), &s, with_smsc);
			assert_true(rc > 0 || rc >= SMS_ERR_VP);
		}
		rc = sms_status_report_decode(&r, copy, len, with_smsc);
		check_rc(rc);
		calls++;
		if (rc == 0) {
			successes++;
			check_address(&r.recipient);
			if (r.has_ud)
				check_ud(&r.ud);
			rc = sms_status_report_encode(out, sizeof(out), &r, with_smsc);
			assert_true(rc > 0 || rc >= SMS_ERR_VP);
		}
	}
	free(copy);
}

static void test_truncations(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(samples); i++) {
		uint8_t pdu[SMS_PDU_MAX];
		size_t n = unhex(pdu, sizeof(pdu), samples[i]);

		for (size_t len = 0; len <= n; len++)
			run_decoders(pdu, len);
	}
}

static void test_mutations(void **state)
{
	static const uint8_t values[] = {0x00, 0x01, 0x07, 0x0B, 0x0C, 0x14, 0x15, 0x40,
					 0x44, 0x7F, 0x80, 0x8C, 0x8D, 0xA0, 0xA1, 0xFF};

	(void)state;
	srand(20261121);
	for (size_t i = 0; i < ARRAY_SIZE(samples); i++) {
		uint8_t pdu[SMS_PDU_MAX], m[SMS_PDU_MAX];
		size_t n = unhex(pdu, sizeof(pdu), samples[i]);

		for (size_t pos = 0; pos < n; pos++) {
			memcpy(m, pdu, n);
			for (size_t v = 0; v < sizeof(values); v++) {
				m[pos] = values[v];
				run_decoders(m, n);
			}
			for (int bit = 0; bit < 8; bit++) {
				m[pos] = pdu[pos] ^ (uint8_t)(1u << bit);
				run_decoders(m, n);
			}
			/* And a random second octet changed with it. */
			m[rand() % n] = (uint8_t)rand();
			run_decoders(m, n);
		}
	}
}

static void test_random_bytes(void **state)
{
	uint8_t buf[SMS_PDU_MAX];

	(void)state;
	srand(42);
	for (int iter = 0; iter < 100000; iter++) {
		size_t len = (size_t)rand() % sizeof(buf);

		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rand();
		/* Half of them with a plausible start, to get past the first fields. */
		if (iter & 1 && len > 2) {
			buf[0] = 0x00;
			buf[1] &= 0x47;
		}
		run_decoders(buf, len);
	}
	/* Some random inputs decode; all of them returned in range without a report. */
	assert_true(calls > 0);
	print_message("%lu decoder calls, %lu successful\n", calls, successes);
}

static void test_random_text_paths(void **state)
{
	static struct sms_user_data parts[8];
	uint8_t raw[300];
	char out[SMS_TEXT_MAX * 2];

	(void)state;
	srand(7);
	for (int iter = 0; iter < 20000; iter++) {
		size_t len = (size_t)rand() % sizeof(raw);
		int rc;

		for (size_t i = 0; i < len; i++)
			raw[i] = (uint8_t)rand();
		rc = sms_split_utf8(parts, 8, (const char *)raw, len, 1);
		assert_true(rc > 0 || rc == SMS_ERR_UTF8 || rc == SMS_ERR_CONCAT_LIMIT);
		rc = ucs2_to_utf8(out, sizeof(out), raw, len, NULL);
		assert_true(rc >= 0);
		assert_int_equal(strlen(out), (size_t)rc);
		for (size_t i = 0; i < len; i++)
			raw[i] &= 0x7f;
		rc = gsm7_to_utf8(out, sizeof(out), raw, len);
		assert_true(rc >= 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_truncations),
	    cmocka_unit_test(test_mutations),
	    cmocka_unit_test(test_random_bytes),
	    cmocka_unit_test(test_random_text_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
