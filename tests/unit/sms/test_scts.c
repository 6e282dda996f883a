/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* TP-SCTS: swapped BCD, signed time zones in quarter hours, validation, UTC, ISO 8601. */
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "tests/unit/sms/test_util.h"

#include "modem/sms/sms_scts.h"

struct scts_vector {
	const char *hex;
	unsigned y, mo, d, h, mi, s;
	int tz;
	const char *iso;
};

static const struct scts_vector vectors[] = {
    /* [dreamfabric] tz octet 08: sign bit set, zero quarters → UTC */
    {"20806291731408", 2002, 8, 26, 19, 37, 41, 0, "2002-08-26T19:37:41+00:00"},
    /* [devhome] 23 → 32 quarters = +08:00 */
    {"70402132522423", 2007, 4, 12, 23, 25, 42, 480, "2007-04-12T23:25:42+08:00"},
    /* [pygsm] 2B → sign, 32 quarters = -08:00 */
    {"7040213252242B", 2007, 4, 12, 23, 25, 42, -480, "2007-04-12T23:25:42-08:00"},
    /* [pygsm] 80 → +02:00 */
    {"51117200000080", 2015, 11, 27, 0, 0, 0, 120, "2015-11-27T00:00:00+02:00"},
    /* [gammu 42] 22 → 22 quarters = +05:30 */
    {"91805080905322", 2019, 8, 5, 8, 9, 35, 330, "2019-08-05T08:09:35+05:30"},
    /* [gammu 34] 04 → 40 quarters = +10:00 */
    {"01907101100004", 2010, 9, 17, 10, 1, 0, 600, "2010-09-17T10:01:00+10:00"},
    /* -05:00 (US Eastern): 20 quarters, sign → 0A */
    {"6211129003000A", 2026, 11, 21, 9, 30, 0, -300, "2026-11-21T09:30:00-05:00"},
    /* -03:30 (Newfoundland): 14 quarters, sign → 49 */
    {"42105180000049", 2024, 1, 15, 8, 0, 0, -210, "2024-01-15T08:00:00-03:30"},
    /* leap day, largest zone +19:45 (79 quarters) */
    {"42209232959597", 2024, 2, 29, 23, 59, 59, 1185, "2024-02-29T23:59:59+19:45"},
};

static void test_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(vectors); i++) {
		const struct scts_vector *v = &vectors[i];
		struct sms_time t;
		uint8_t buf[8], out[8];
		char iso[40];
		size_t n = unhex(buf, sizeof(buf), v->hex);

		assert_int_equal(sms_scts_decode(&t, buf, n), SMS_SCTS_LEN);
		assert_time(&t, v->y, v->mo, v->d, v->h, v->mi, v->s, v->tz);
		assert_int_equal(sms_time_format(iso, sizeof(iso), &t), (int)strlen(v->iso));
		assert_string_equal(iso, v->iso);
		assert_int_equal(sms_scts_encode(out, sizeof(out), &t), SMS_SCTS_LEN);
		/* The dreamfabric octet 08 is a "negative zero"; it encodes as 00. */
		if (i == 0)
			assert_string_equal(tohex(out, 7), "20806291731400");
		else
			assert_string_equal(tohex(out, 7), v->hex);
	}
}

static void test_to_and_from_utc(void **state)
{
	struct sms_time t;
	uint8_t buf[8];

	(void)state;
	unhex(buf, sizeof(buf), "6211129003000A"); /* 09:30 at -05:00 */
	assert_int_equal(sms_scts_decode(&t, buf, 7), 7);
	assert_int_equal(sms_time_to_utc(&t), 1795271400); /* 2026-11-21T14:30:00Z */
	unhex(buf, sizeof(buf), "42105180000049");	   /* 08:00 at -03:30 */
	assert_int_equal(sms_scts_decode(&t, buf, 7), 7);
	assert_int_equal(sms_time_to_utc(&t), 1705318200); /* 2024-01-15T11:30:00Z */
	unhex(buf, sizeof(buf), "70402132522423");	   /* 23:25:42 at +08:00 */
	assert_int_equal(sms_scts_decode(&t, buf, 7), 7);
	assert_int_equal(sms_time_to_utc(&t), 1176391542); /* 15:25:42Z */

	/* 2023-11-14T22:13:20Z shown at -05:00 and at +05:30 (crossing midnight). */
	sms_time_from_utc(&t, 1700000000, -300);
	assert_time(&t, 2023, 11, 14, 17, 13, 20, -300);
	assert_int_equal(sms_time_to_utc(&t), 1700000000);
	sms_time_from_utc(&t, 1700000000, 330);
	assert_time(&t, 2023, 11, 15, 3, 43, 20, 330);
	assert_int_equal(sms_time_to_utc(&t), 1700000000);
}

static void test_every_zone_round_trips(void **state)
{
	(void)state;
	for (int q = -79; q <= 79; q++) {
		struct sms_time t, back;
		uint8_t buf[7];

		sms_time_from_utc(&t, 1700000000, q * 15);
		assert_int_equal(sms_scts_encode(buf, sizeof(buf), &t), 7);
		/* Bit 3 of the last octet is the sign. */
		assert_int_equal(!!(buf[6] & 0x08), q < 0);
		assert_int_equal(sms_scts_decode(&back, buf, sizeof(buf)), 7);
		assert_time(&back, t.year, t.month, t.day, t.hour, t.minute, t.second,
			    t.tz_minutes);
		assert_int_equal(sms_time_to_utc(&back), 1700000000);
	}
}

static void test_invalid(void **state)
{
	static const char *const bad[] = {
	    "2A806291731408", /* non-BCD year */
	    "20A06291731408", /* non-BCD month */
	    "20316291731408", /* month 13 */
	    "20006291731408", /* month 0 */
	    "20802391731408", /* day 32 */
	    "20800091731408", /* day 0 */
	    "32209230000000", /* 2023-02-29 */
	    "20806242731408", /* hour 24 */
	    "20806291061408", /* minute 60 */
	    "20806291730608", /* second 60 */
	    "208062917314A0", /* time zone units digit A */
	    "208062917314F8", /* time zone units digit F */
	};
	struct sms_time t;
	uint8_t buf[8];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		unhex(buf, sizeof(buf), bad[i]);
		assert_int_equal(sms_scts_decode(&t, buf, 7), SMS_ERR_SCTS);
	}
	unhex(buf, sizeof(buf), "20806291731408");
	assert_int_equal(sms_scts_decode(&t, buf, 6), SMS_ERR_TRUNCATED);
	assert_int_equal(sms_scts_decode(&t, buf, 0), SMS_ERR_TRUNCATED);
}

static void test_encode_invalid(void **state)
{
	struct sms_time t;
	uint8_t buf[8];
	char iso[8];

	(void)state;
	sms_time_from_utc(&t, 1700000000, 60);
	t.tz_minutes = 7; /* not a quarter hour */
	assert_int_equal(sms_scts_encode(buf, sizeof(buf), &t), SMS_ERR_SCTS);
	t.tz_minutes = 80 * 15; /* beyond two digits */
	assert_int_equal(sms_scts_encode(buf, sizeof(buf), &t), SMS_ERR_SCTS);
	t.tz_minutes = -80 * 15;
	assert_int_equal(sms_scts_encode(buf, sizeof(buf), &t), SMS_ERR_SCTS);
	t.tz_minutes = 0;
	t.year = 1999;
	assert_int_equal(sms_scts_encode(buf, sizeof(buf), &t), SMS_ERR_SCTS);
	t.year = 2023;
	t.day = 31;
	t.month = 4; /* 31 April */
	assert_int_equal(sms_scts_encode(buf, sizeof(buf), &t), SMS_ERR_SCTS);
	t.day = 30;
	assert_int_equal(sms_scts_encode(buf, 6, &t), SMS_ERR_TOO_LONG);
	assert_int_equal(sms_time_format(iso, sizeof(iso), &t), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),
	    cmocka_unit_test(test_to_and_from_utc),
	    cmocka_unit_test(test_every_zone_round_trips),
	    cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_encode_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
