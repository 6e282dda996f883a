/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Helpers shared by the codec's unit tests (CMocka). */
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "modem/sms/sms_tpdu.h"

/* Hex → bytes; the hex is test data, so failing to parse it fails the test. */
static inline size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
	int n = sms_hex_decode(out, cap, hex, strlen(hex));

	assert_true(n >= 0);
	return (size_t)n;
}

/* Bytes → upper-case hex in a static buffer (one use per expression). */
static inline const char *tohex(const uint8_t *data, size_t len)
{
	static char buf[2 * 4096 + 1];

	assert_true(sms_hex_encode(buf, sizeof(buf), data, len) >= 0);
	return buf;
}

static inline void assert_time(const struct sms_time *t, unsigned y, unsigned mo, unsigned d,
			       unsigned h, unsigned mi, unsigned s, int tz)
{
	assert_int_equal(t->year, y);
	assert_int_equal(t->month, mo);
	assert_int_equal(t->day, d);
	assert_int_equal(t->hour, h);
	assert_int_equal(t->minute, mi);
	assert_int_equal(t->second, s);
	assert_int_equal(t->tz_minutes, tz);
}
