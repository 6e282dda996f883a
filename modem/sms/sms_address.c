/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* TP addresses and the SMSC address: BCD digits through libosmocore, alphanumeric
 * originators through the GSM 7-bit code in gsm7.c.
 *
 * libosmocore maps nibbles A..F to the letters 'A'..'F'; TS 24.008 §10.5.4.7 gives
 * A..E the meanings '*', '#', 'a', 'b', 'c' and F the filler, so the two are translated
 * around osmo_bcd2str()/osmo_str2bcd(). */
#include "modem/sms/sms_address.h"
#include "modem/sms/gsm7.h"
#include "modem/sms/sms_error.h"

#include <string.h>

#include <osmocom/core/utils.h>

#define ADDR_MAX_DIGITS	  20 /* TS 23.040 §9.1.2.5: 2..12 octets, 10 of them digits */
#define ADDR_MAX_OCTETS	  10
#define ALNUM_MAX_SEPTETS 11 /* 10 octets hold 11 septets */

static int is_digit_char(char c)
{
	return (c >= '0' && c <= '9') || c == '*' || c == '#' || c == 'a' || c == 'b' || c == 'c';
}

/* '*', '#', 'a'..'c' → the letters osmo_str2bcd() turns into nibbles A..E. */
static int digits_to_osmo(char *dst, const char *src)
{
	size_t i;

	for (i = 0; src[i]; i++) {
		char c = src[i];

		if (c >= '0' && c <= '9')
			dst[i] = c;
		else if (c == '*')
			dst[i] = 'A';
		else if (c == '#')
			dst[i] = 'B';
		else if (c >= 'a' && c <= 'c')
			dst[i] = 'C' + (c - 'a');
		else
			return SMS_ERR_ADDRESS;
	}
	dst[i] = '\0';
	return (int)i;
}

/* osmo_bcd2str()'s letters back to TS 24.008 digits; F inside the number is no digit. */
static int digits_from_osmo(char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case 'A':
			*s = '*';
			break;
		case 'B':
			*s = '#';
			break;
		case 'C':
		case 'D':
		case 'E':
			*s = 'a' + (*s - 'C');
			break;
		case 'F':
			return SMS_ERR_ADDRESS;
		default:
			break;
		}
	}
	return 0;
}

/* Decode `ndigits` BCD digits into addr->text (after an optional '+'). */
static int bcd_decode(struct sms_address *addr, const uint8_t *bcd, unsigned ndigits)
{
	char *dst = addr->text;
	size_t room = sizeof(addr->text);

	if (addr->ton == SMS_TON_INTERNATIONAL && ndigits > 0) {
		*dst++ = '+';
		room--;
	}
	if (osmo_bcd2str(dst, room, bcd, 0, (int)ndigits, true) < 0)
		return SMS_ERR_ADDRESS;
	/* Some senders count the filler of an odd number as a digit: a final F is
	 * dropped rather than refusing the message. */
	if (ndigits > 0 && dst[ndigits - 1] == 'F')
		dst[ndigits - 1] = '\0';
	return digits_from_osmo(dst);
}

static const char *digits_of(const struct sms_address *addr)
{
	const char *d = addr->text;

	if (d[0] == '+')
		d++;
	return d;
}

int sms_address_from_text(struct sms_address *addr, const char *text)
{
	size_t len, i;
	int has_number_char = 0;

	if (!addr || !text)
		return SMS_ERR_ARG;
	len = strlen(text);
	if (len >= sizeof(addr->text))
		return SMS_ERR_ADDRESS;
	memset(addr, 0, sizeof(*addr));

	if (text[0] == '+') {
		/* A '+' promises a number: never send it on as alphanumeric text. */
		if (len == 1 || len - 1 > ADDR_MAX_DIGITS)
			return SMS_ERR_ADDRESS;
		for (i = 1; i < len; i++) {
			if (!is_digit_char(text[i]))
				return SMS_ERR_ADDRESS;
		}
		addr->ton = SMS_TON_INTERNATIONAL;
		addr->npi = 1;
		memcpy(addr->text, text, len + 1);
		return 0;
	}

	for (i = 0; i < len; i++) {
		if (!is_digit_char(text[i]))
			break;
		if (text[i] < 'a')
			has_number_char = 1;
	}
	/* Only digit characters, and at least one that is not a letter: "abc" is a name. */
	if (i == len && (has_number_char || len == 0)) {
		if (len > ADDR_MAX_DIGITS)
			return SMS_ERR_ADDRESS;
		addr->ton = SMS_TON_UNKNOWN;
		addr->npi = 1;
		memcpy(addr->text, text, len + 1);
		return 0;
	}

	/* Alphanumeric: must fit 11 septets of the GSM alphabet. */
	{
		uint8_t septets[ALNUM_MAX_SEPTETS];
		int n = gsm7_from_utf8(septets, sizeof(septets), text, len);

		if (n == SMS_ERR_TOO_LONG)
			return SMS_ERR_ADDRESS;
		if (n < 0)
			return n;
	}
	addr->ton = SMS_TON_ALPHANUMERIC;
	addr->npi = 0;
	memcpy(addr->text, text, len + 1);
	return 0;
}

int sms_address_decode(struct sms_address *addr, const uint8_t *buf, size_t len)
{
	unsigned ndigits, noctets;

	if (!addr || (!buf && len))
		return SMS_ERR_ARG;
	memset(addr, 0, sizeof(*addr));
	if (len < 2)
		return SMS_ERR_TRUNCATED;
	ndigits = buf[0];
	if (ndigits > ADDR_MAX_DIGITS)
		return SMS_ERR_ADDRESS;
	noctets = (ndigits + 1) / 2;
	if (len < 2 + noctets)
		return SMS_ERR_TRUNCATED;
	addr->ton = (buf[1] >> 4) & 0x07;
	addr->npi = buf[1] & 0x0f;

	if (addr->ton == SMS_TON_ALPHANUMERIC) {
		/* The length counts the semi-octets the packed septets occupy. */
		uint8_t septets[ALNUM_MAX_SEPTETS];
		int n = gsm7_unpack(septets, sizeof(septets), buf + 2, noctets, ndigits * 4 / 7, 0);

		if (n < 0)
			return n;
		n = gsm7_to_utf8(addr->text, sizeof(addr->text), septets, (size_t)n);
		if (n < 0)
			return n;
	} else {
		int rc = bcd_decode(addr, buf + 2, ndigits);

		if (rc < 0)
			return rc;
	}
	return (int)(2 + noctets);
}

int sms_address_encode(uint8_t *buf, size_t cap, const struct sms_address *addr)
{
	if (!buf || !addr)
		return SMS_ERR_ARG;
	if (!memchr(addr->text, '\0', sizeof(addr->text)))
		return SMS_ERR_ARG;

	if (addr->ton == SMS_TON_ALPHANUMERIC) {
		uint8_t septets[ALNUM_MAX_SEPTETS];
		int n = gsm7_from_utf8(septets, sizeof(septets), addr->text, strlen(addr->text));
		int octets;

		if (n == SMS_ERR_TOO_LONG)
			return SMS_ERR_ADDRESS;
		if (n < 0)
			return n;
		octets = (int)gsm7_packed_len((size_t)n, 0);
		if (cap < (size_t)(2 + octets))
			return SMS_ERR_TOO_LONG;
		buf[0] = (uint8_t)((n * 7 + 3) / 4); /* useful semi-octets */
		buf[1] = 0x80 | (SMS_TON_ALPHANUMERIC << 4) | (addr->npi & 0x0f);
		octets = gsm7_pack(buf + 2, cap - 2, septets, (size_t)n, 0);
		if (octets < 0)
			return octets;
		return 2 + octets;
	} else {
		char osmo[ADDR_MAX_DIGITS + 1];
		const char *digits = digits_of(addr);
		size_t nd = strlen(digits);
		int octets;

		if (nd > ADDR_MAX_DIGITS)
			return SMS_ERR_ADDRESS;
		if (digits_to_osmo(osmo, digits) < 0)
			return SMS_ERR_ADDRESS;
		if (cap < 2 + (nd + 1) / 2)
			return SMS_ERR_TOO_LONG;
		buf[0] = (uint8_t)nd;
		buf[1] = 0x80 | ((addr->ton & 0x07) << 4) | (addr->npi & 0x0f);
		if (nd == 0)
			return 2;
		octets = osmo_str2bcd(buf + 2, cap - 2, osmo, 0, -1, true);
		if (octets < 0)
			return SMS_ERR_ADDRESS;
		return 2 + octets;
	}
}

int sms_smsc_decode(struct sms_address *addr, const uint8_t *buf, size_t len)
{
	unsigned noctets, ndigits;
	int rc;

	if (!addr || (!buf && len))
		return SMS_ERR_ARG;
	memset(addr, 0, sizeof(*addr));
	if (len < 1)
		return SMS_ERR_TRUNCATED;
	noctets = buf[0];
	if (noctets == 0)
		return 1;
	if (noctets > 1 + ADDR_MAX_OCTETS)
		return SMS_ERR_ADDRESS;
	if (len < 1 + noctets)
		return SMS_ERR_TRUNCATED;
	addr->ton = (buf[1] >> 4) & 0x07;
	addr->npi = buf[1] & 0x0f;
	/* The length counts octets, so an odd number shows as an F in the last one. */
	ndigits = (noctets - 1) * 2;
	if (ndigits && (buf[noctets] & 0xf0) == 0xf0)
		ndigits--;
	rc = bcd_decode(addr, buf + 2, ndigits);
	if (rc < 0)
		return rc;
	return (int)(1 + noctets);
}

int sms_smsc_encode(uint8_t *buf, size_t cap, const struct sms_address *addr)
{
	int rc;

	if (!buf || !addr)
		return SMS_ERR_ARG;
	if (!memchr(addr->text, '\0', sizeof(addr->text)))
		return SMS_ERR_ARG;
	if (addr->text[0] == '\0') {
		if (cap < 1)
			return SMS_ERR_TOO_LONG;
		buf[0] = 0; /* use the SMSC stored in the modem */
		return 1;
	}
	if (addr->ton == SMS_TON_ALPHANUMERIC)
		return SMS_ERR_ADDRESS;
	/* Same layout as a TP address after its length octet. */
	rc = sms_address_encode(buf, cap, addr);
	if (rc < 0)
		return rc;
	buf[0] = (uint8_t)(rc - 1);
	return rc;
}
