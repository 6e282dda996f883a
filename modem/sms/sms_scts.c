/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* TP-SCTS / absolute TP-VP: swapped BCD, low nibble the tens digit. The time zone
 * octet carries its sign in bit 3 (the top bit of the tens nibble), TS 23.040 §9.2.3.11. */
#include "modem/sms/sms_scts.h"
#include "modem/sms/sms_error.h"

#include <stdio.h>
#include <string.h>

#define TZ_MAX_QUARTERS 79 /* two BCD digits with the top bit taken by the sign */

/* One swapped-BCD octet → 0..99, or -1 when a nibble is not a decimal digit. */
static int swapped_bcd(uint8_t octet)
{
	unsigned tens = octet & 0x0f, units = octet >> 4;

	if (tens > 9 || units > 9)
		return -1;
	return (int)(tens * 10 + units);
}

static uint8_t to_swapped_bcd(unsigned v)
{
	return (uint8_t)((v / 10) | (v % 10) << 4);
}

static int is_leap(unsigned year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static unsigned days_in_month(unsigned year, unsigned month)
{
	static const uint8_t days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (month == 2 && is_leap(year))
		return 29;
	return days[month - 1];
}

static int time_valid(const struct sms_time *t)
{
	if (t->year < 2000 || t->year > 2099)
		return 0;
	if (t->month < 1 || t->month > 12)
		return 0;
	if (t->day < 1 || t->day > days_in_month(t->year, t->month))
		return 0;
	if (t->hour > 23 || t->minute > 59 || t->second > 59)
		return 0;
	if (t->tz_minutes % 15 != 0)
		return 0;
	if (t->tz_minutes > TZ_MAX_QUARTERS * 15 || t->tz_minutes < -TZ_MAX_QUARTERS * 15)
		return 0;
	return 1;
}

int sms_scts_decode(struct sms_time *t, const uint8_t *buf, size_t len)
{
	int v[6];
	unsigned tz_tens, tz_units, quarters;

	if (!t || (!buf && len))
		return SMS_ERR_ARG;
	if (len < SMS_SCTS_LEN)
		return SMS_ERR_TRUNCATED;
	for (int i = 0; i < 6; i++) {
		v[i] = swapped_bcd(buf[i]);
		if (v[i] < 0)
			return SMS_ERR_SCTS;
	}
	tz_tens = buf[6] & 0x07;
	tz_units = buf[6] >> 4;
	if (tz_units > 9)
		return SMS_ERR_SCTS;
	quarters = tz_tens * 10 + tz_units;

	memset(t, 0, sizeof(*t));
	t->year = (uint16_t)(2000 + v[0]);
	t->month = (uint8_t)v[1];
	t->day = (uint8_t)v[2];
	t->hour = (uint8_t)v[3];
	t->minute = (uint8_t)v[4];
	t->second = (uint8_t)v[5];
	t->tz_minutes = (int16_t)(quarters * 15);
	if (buf[6] & 0x08)
		t->tz_minutes = (int16_t)-t->tz_minutes;
	if (!time_valid(t))
		return SMS_ERR_SCTS;
	return SMS_SCTS_LEN;
}

int sms_scts_encode(uint8_t *buf, size_t cap, const struct sms_time *t)
{
	unsigned quarters;

	if (!buf || !t)
		return SMS_ERR_ARG;
	if (!time_valid(t))
		return SMS_ERR_SCTS;
	if (cap < SMS_SCTS_LEN)
		return SMS_ERR_TOO_LONG;
	buf[0] = to_swapped_bcd(t->year - 2000);
	buf[1] = to_swapped_bcd(t->month);
	buf[2] = to_swapped_bcd(t->day);
	buf[3] = to_swapped_bcd(t->hour);
	buf[4] = to_swapped_bcd(t->minute);
	buf[5] = to_swapped_bcd(t->second);
	quarters = (unsigned)(t->tz_minutes < 0 ? -t->tz_minutes : t->tz_minutes) / 15;
	buf[6] = to_swapped_bcd(quarters);
	if (t->tz_minutes < 0)
		buf[6] |= 0x08;
	return SMS_SCTS_LEN;
}

time_t sms_time_to_utc(const struct sms_time *t)
{
	struct tm tm = {0};

	if (!t)
		return (time_t)-1;
	tm.tm_year = t->year - 1900;
	tm.tm_mon = t->month - 1;
	tm.tm_mday = t->day;
	tm.tm_hour = t->hour;
	tm.tm_min = t->minute;
	tm.tm_sec = t->second;
	/* The fields are local time at tz_minutes east of UTC. */
	return timegm(&tm) - (time_t)t->tz_minutes * 60;
}

void sms_time_from_utc(struct sms_time *t, time_t utc, int tz_minutes)
{
	struct tm tm;
	time_t local = utc + (time_t)tz_minutes * 60;

	if (!t)
		return;
	memset(t, 0, sizeof(*t));
	if (!gmtime_r(&local, &tm))
		return;
	t->year = (uint16_t)(tm.tm_year + 1900);
	t->month = (uint8_t)(tm.tm_mon + 1);
	t->day = (uint8_t)tm.tm_mday;
	t->hour = (uint8_t)tm.tm_hour;
	t->minute = (uint8_t)tm.tm_min;
	t->second = (uint8_t)(tm.tm_sec > 59 ? 59 : tm.tm_sec);
	t->tz_minutes = (int16_t)tz_minutes;
}

int sms_time_format(char *out, size_t cap, const struct sms_time *t)
{
	int tz, n;

	if (!out || !t)
		return -1;
	tz = t->tz_minutes < 0 ? -t->tz_minutes : t->tz_minutes;
	n = snprintf(out, cap, "%04u-%02u-%02uT%02u:%02u:%02u%c%02d:%02d", t->year, t->month,
		     t->day, t->hour, t->minute, t->second, t->tz_minutes < 0 ? '-' : '+', tz / 60,
		     tz % 60);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	return n;
}
