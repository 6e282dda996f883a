/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* TP-SCTS and absolute TP-VP (TS 23.040 §9.2.3.11): seven swapped-BCD octets,
 * the last one a signed offset from UTC in quarter hours (bit 3 of it the sign).
 *
 * Parsed here rather than with libosmogsm's gsm340_scts(), which gets negative
 * zones wrong and reads past the field. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SMS_SCTS_LEN 7

struct sms_time {
	uint16_t year;	    /* 2000..2099 as sent; two-digit years are taken as 20yy */
	uint8_t month;	    /* 1..12 */
	uint8_t day;	    /* 1..31 */
	uint8_t hour;	    /* 0..23 */
	uint8_t minute;	    /* 0..59 */
	uint8_t second;	    /* 0..59 */
	int16_t tz_minutes; /* local time minus UTC, a multiple of 15, -79*15..79*15 */
};

/* Decode 7 octets; SMS_ERR_TRUNCATED if fewer, SMS_ERR_SCTS for non-BCD or out-of-range. */
int sms_scts_decode(struct sms_time *t, const uint8_t *buf, size_t len);
/* Encode 7 octets. */
int sms_scts_encode(uint8_t *buf, size_t cap, const struct sms_time *t);
/* Seconds since the epoch, UTC. */
time_t sms_time_to_utc(const struct sms_time *t);
/* The struct for a UTC instant shown in a zone `tz_minutes` from UTC. */
void sms_time_from_utc(struct sms_time *t, time_t utc, int tz_minutes);
/* ISO 8601 with offset, "2026-11-21T09:30:00-05:00"; returns chars written or -1. */
int sms_time_format(char *out, size_t cap, const struct sms_time *t);
