/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* TP addresses and SMSC addresses: BCD numbers, fillers, special digits, alphanumeric. */
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "tests/unit/sms/test_util.h"

#include "tests/unit/sms/pdu_samples.h"
#include "modem/sms/sms_address.h"

struct addr_vector {
	const char *hex;
	int consumed;
	const char *text;
	uint8_t ton, npi;
	bool round_trip; /* encoding the text gives the hex back */
};

static const struct addr_vector addr_vectors[] = {
    /* [dreamfabric] odd number of digits, F filler */
    {"0B911346610089F6", 8, "+31641600986", 1, 1, true},
    {"0B916407281553F8", 8, "+46708251358", 1, 1, true},
    /* [pygsm] even digits; reading stops at the field's end */
    {"0A918967452301", 7, "+9876543210", 1, 1, true},
    {"0A918967452301000000", 7, "+9876543210", 1, 1, false},
    {"099189674523F1", 7, "+987654321", 1, 1, true},
    {"0B917228195339F4", 8, "+27829135934", 1, 1, true},
    /* [pygsm] national (TOA A1) */
    {"0AA11092997856", 7, "0129998765", 2, 1, false},
    /* [dreamfabric] subscriber number, national numbering plan (TOA C8) */
    {"0BC87238880900F1", 8, "27838890001", 4, 8, false},
    /* [gammu 38] unknown type (TOA 81) */
    {"098106326906F2", 7, "602396602", 0, 1, true},
    /* [usenet] alphanumeric, 20 semi-octets = 11 septets */
    {ADDR_USENET_ALNUM, 12, "20124079901", 5, 0, false},
    /* [pygsm] alphanumeric originators, TOA D0 */
    {"06D061F118", 5, "abc", 5, 0, true},
    {"06D061F118D3F1FF0032", 5, "abc", 5, 0, false},
    {"0ED04669D0397C26A7", 9, "FRANCOIS", 5, 0, true},
    {"14D0E10D6FE3DBA036A94D19", 12, "a[]{}€", 5, 0, true},
    /* empty address [gammu 31] */
    {"0081", 2, "", 0, 1, true},
};

static void test_address_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(addr_vectors); i++) {
		const struct addr_vector *v = &addr_vectors[i];
		struct sms_address a, b;
		uint8_t buf[32], out[32];
		size_t len = unhex(buf, sizeof(buf), v->hex);
		int n;

		assert_int_equal(sms_address_decode(&a, buf, len), v->consumed);
		assert_string_equal(a.text, v->text);
		assert_int_equal(a.ton, v->ton);
		assert_int_equal(a.npi, v->npi);

		/* Encoding the decoded struct gives the field back. */
		n = sms_address_encode(out, sizeof(out), &a);
		assert_int_equal(n, v->consumed);
		assert_memory_equal(out, buf, (size_t)n);

		if (v->round_trip) {
			assert_int_equal(sms_address_from_text(&b, v->text), 0);
			n = sms_address_encode(out, sizeof(out), &b);
			assert_int_equal(n, v->consumed);
			assert_string_equal(tohex(out, (size_t)n), v->hex);
		}
	}
}

static void test_special_digits(void **state)
{
	struct sms_address a;
	uint8_t buf[16];
	int n;

	(void)state;
	/* '*' and '#' are nibbles A and B, 'a'..'c' are C..E (TS 24.008 §10.5.4.7). */
	assert_int_equal(sms_address_from_text(&a, "*100#"), 0);
	assert_int_equal(a.ton, SMS_TON_UNKNOWN);
	n = sms_address_encode(buf, sizeof(buf), &a);
	assert_string_equal(tohex(buf, (size_t)n), "05811A00FB");
	assert_int_equal(sms_address_decode(&a, buf, (size_t)n), n);
	assert_string_equal(a.text, "*100#");

	assert_int_equal(sms_address_from_text(&a, "12abc"), 0);
	assert_int_equal(a.ton, SMS_TON_UNKNOWN);
	n = sms_address_encode(buf, sizeof(buf), &a);
	assert_string_equal(tohex(buf, (size_t)n), "058121DCFE");
	assert_int_equal(sms_address_decode(&a, buf, (size_t)n), n);
	assert_string_equal(a.text, "12abc");

	/* [pygsm] a real PDU counting the filler as a twelfth digit: it is dropped. */
	n = (int)unhex(buf, sizeof(buf), "0C910661345542F6");
	assert_int_equal(sms_address_decode(&a, buf, (size_t)n), 8);
	assert_string_equal(a.text, "+60164355246");

	/* A filler inside the number is not a digit. */
	n = (int)unhex(buf, sizeof(buf), "0481F243");
	assert_int_equal(sms_address_decode(&a, buf, (size_t)n), SMS_ERR_ADDRESS);
}

static void test_from_text(void **state)
{
	struct sms_address a;

	(void)state;
	assert_int_equal(sms_address_from_text(&a, "+15551234567"), 0);
	assert_int_equal(a.ton, SMS_TON_INTERNATIONAL);
	assert_int_equal(a.npi, 1);
	assert_int_equal(sms_address_from_text(&a, "5551234"), 0);
	assert_int_equal(a.ton, SMS_TON_UNKNOWN);
	assert_int_equal(a.npi, 1);
	assert_int_equal(sms_address_from_text(&a, "Chaperone"), 0);
	assert_int_equal(a.ton, SMS_TON_ALPHANUMERIC);
	assert_int_equal(sms_address_from_text(&a, "abc"), 0); /* a name, not digits a b c */
	assert_int_equal(a.ton, SMS_TON_ALPHANUMERIC);
	assert_int_equal(sms_address_from_text(&a, "School 42"), 0);
	assert_int_equal(a.ton, SMS_TON_ALPHANUMERIC);
	assert_int_equal(sms_address_from_text(&a, ""), 0);
	assert_string_equal(a.text, "");
	/* A '+' promises a number. */
	assert_int_equal(sms_address_from_text(&a, "+"), SMS_ERR_ADDRESS);
	assert_int_equal(sms_address_from_text(&a, "+1 555 1234"), SMS_ERR_ADDRESS);
	/* 20 digits fit, 21 do not. */
	assert_int_equal(sms_address_from_text(&a, "+12345678901234567890"), 0);
	assert_int_equal(sms_address_from_text(&a, "+123456789012345678901"), SMS_ERR_ADDRESS);
	assert_int_equal(sms_address_from_text(&a, "123456789012345678901"), SMS_ERR_ADDRESS);
	/* 11 GSM characters fit, 12 do not; emoji have no GSM form. */
	assert_int_equal(sms_address_from_text(&a, "ABCDEFGHIJK"), 0);
	assert_int_equal(sms_address_from_text(&a, "ABCDEFGHIJKL"), SMS_ERR_ADDRESS);
	assert_int_equal(sms_address_from_text(&a, "Hi😀"), SMS_ERR_GSM7);
	assert_int_equal(sms_address_from_text(NULL, "1"), SMS_ERR_ARG);
}

static void test_address_errors(void **state)
{
	struct sms_address a;
	uint8_t buf[32];
	size_t n;

	(void)state;
	/* Length over 20 digits. */
	n = unhex(buf, sizeof(buf), "15911326040000F01326040000F01326040000");
	assert_int_equal(sms_address_decode(&a, buf, n), SMS_ERR_ADDRESS);
	/* Announced digits not there. */
	n = unhex(buf, sizeof(buf), "0B91134661");
	assert_int_equal(sms_address_decode(&a, buf, n), SMS_ERR_TRUNCATED);
	assert_int_equal(sms_address_decode(&a, buf, 1), SMS_ERR_TRUNCATED);
	assert_int_equal(sms_address_decode(&a, buf, 0), SMS_ERR_TRUNCATED);
	/* Encoding a struct with 21 digits, or into a small buffer. */
	memset(&a, 0, sizeof(a));
	a.ton = SMS_TON_INTERNATIONAL;
	a.npi = 1;
	strcpy(a.text, "+123456789012345678901");
	assert_int_equal(sms_address_encode(buf, sizeof(buf), &a), SMS_ERR_ADDRESS);
	strcpy(a.text, "+31641600986");
	assert_int_equal(sms_address_encode(buf, 7, &a), SMS_ERR_TOO_LONG);
	strcpy(a.text, "+3164x");
	assert_int_equal(sms_address_encode(buf, sizeof(buf), &a), SMS_ERR_ADDRESS);
}

static void test_smsc(void **state)
{
	struct sms_address a;
	uint8_t buf[32];
	size_t n;
	int rc;

	(void)state;
	n = unhex(buf, sizeof(buf), "07911326040000F0040B");
	assert_int_equal(sms_smsc_decode(&a, buf, n), 8);
	assert_string_equal(a.text, "+31624000000");
	rc = sms_smsc_encode(buf, sizeof(buf), &a);
	assert_string_equal(tohex(buf, (size_t)rc), "07911326040000F0");

	/* [pygsm] SMSC fields */
	n = unhex(buf, sizeof(buf), "06918967452301");
	assert_int_equal(sms_smsc_decode(&a, buf, n), 7);
	assert_string_equal(a.text, "+9876543210");
	n = unhex(buf, sizeof(buf), "069189674523F1000000");
	assert_int_equal(sms_smsc_decode(&a, buf, n), 7);
	assert_string_equal(a.text, "+987654321");
	assert_int_equal(sms_address_from_text(&a, "+2782913593"), 0);
	rc = sms_smsc_encode(buf, sizeof(buf), &a);
	assert_string_equal(tohex(buf, (size_t)rc), "06917228195339");

	/* 00: no SMSC, the modem's own; 01 81 [gammu 24]: a type and no digits. */
	n = unhex(buf, sizeof(buf), "00");
	assert_int_equal(sms_smsc_decode(&a, buf, n), 1);
	assert_string_equal(a.text, "");
	rc = sms_smsc_encode(buf, sizeof(buf), &a);
	assert_string_equal(tohex(buf, (size_t)rc), "00");
	n = unhex(buf, sizeof(buf), "0181");
	assert_int_equal(sms_smsc_decode(&a, buf, n), 2);
	assert_string_equal(a.text, "");

	/* Over 11 octets, and cut short. */
	n = unhex(buf, sizeof(buf), "0C911326040000F01326040000F0");
	assert_int_equal(sms_smsc_decode(&a, buf, n), SMS_ERR_ADDRESS);
	n = unhex(buf, sizeof(buf), "0791132604");
	assert_int_equal(sms_smsc_decode(&a, buf, n), SMS_ERR_TRUNCATED);
	assert_int_equal(sms_smsc_decode(&a, buf, 0), SMS_ERR_TRUNCATED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_address_vectors),
	    cmocka_unit_test(test_special_digits),
	    cmocka_unit_test(test_from_text),
	    cmocka_unit_test(test_address_errors),
	    cmocka_unit_test(test_smsc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
