/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* UTF-8 ↔ UTF-16BE through iconv(3), lenient on the receiving side.
 *
 * iconv stops at the first ill-formed unit, so decoding walks the input itself, hands
 * the well-formed runs to iconv and writes U+FFFD for what is left over. A descriptor
 * is opened per call: glibc's UTF-8/UTF-16 converters are built in, which keeps that
 * cheap (well under a microsecond), and it leaves the codec without global state. */
#include "modem/sms/ucs2.h"
#include "modem/sms/gsm7.h"
#include "modem/sms/sms_error.h"

#include <errno.h>
#include <iconv.h>
#include <string.h>

static const char utf8_replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

static int iconv_run(iconv_t cd, const uint8_t *in, size_t in_len, uint8_t *out, size_t cap)
{
	char *ip = (char *)in; /* iconv's prototype is not const-correct */
	char *op = (char *)out;
	size_t il = in_len, ol = cap;

	if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1)
		return errno == E2BIG ? SMS_ERR_TOO_LONG : SMS_ERR_UCS2;
	return (int)(cap - ol);
}

int ucs2_from_utf8(uint8_t *out, size_t cap, const char *utf8, size_t len)
{
	size_t pos = 0, need = 0;
	iconv_t cd;
	int rc;

	if (!out || (!utf8 && len))
		return SMS_ERR_ARG;
	/* Validate first: iconv's notion of valid UTF-8 is not documented to match ours
	 * (surrogates, overlongs), and this gives the exact size before converting. */
	while (pos < len) {
		uint32_t cp;

		rc = utf8_decode_cp(utf8 + pos, len - pos, &cp);
		if (rc < 0)
			return rc;
		pos += rc;
		need += 2 * ucs2_units_for(cp);
	}
	if (need > cap)
		return SMS_ERR_TOO_LONG;
	if (len == 0)
		return 0;
	cd = iconv_open("UTF-16BE", "UTF-8");
	if (cd == (iconv_t)-1)
		return SMS_ERR_UCS2;
	rc = iconv_run(cd, (const uint8_t *)utf8, len, out, cap);
	iconv_close(cd);
	if (rc == SMS_ERR_UCS2)
		return SMS_ERR_UTF8;
	return rc;
}

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline int is_high(uint16_t u)
{
	return u >= 0xD800 && u <= 0xDBFF;
}

static inline int is_low(uint16_t u)
{
	return u >= 0xDC00 && u <= 0xDFFF;
}

int ucs2_to_utf8(char *out, size_t cap, const uint8_t *be, size_t len, unsigned *replaced)
{
	iconv_t cd = (iconv_t)-1;
	size_t i = 0, start = 0, w = 0, even = len & ~(size_t)1;
	unsigned bad = 0;
	int rc = 0;

	if (!out || cap == 0 || (!be && len))
		return SMS_ERR_ARG;

	for (;;) {
		int flush = 0, ill = 0;

		if (i >= even) {
			flush = 1;
		} else {
			uint16_t u = be16(be + i);

			if (is_high(u) && i + 4 <= even && is_low(be16(be + i + 2))) {
				i += 4;
			} else if (is_high(u) || is_low(u) || u == 0) {
				/* U+0000 too: the text must stay a C string, or a
				 * sender could hide what follows it from a reader. */
				flush = 1;
				ill = 1;
			} else {
				i += 2;
			}
		}
		if (!flush)
			continue;
		if (i > start) {
			if (cd == (iconv_t)-1) {
				cd = iconv_open("UTF-8", "UTF-16BE");
				if (cd == (iconv_t)-1) {
					rc = SMS_ERR_UCS2;
					break;
				}
			}
			rc = iconv_run(cd, be + start, i - start, (uint8_t *)out + w, cap - 1 - w);
			if (rc < 0)
				break;
			w += rc;
		}
		if (!ill)
			break;
		if (cap - 1 - w < 3) {
			rc = SMS_ERR_TOO_LONG;
			break;
		}
		memcpy(out + w, utf8_replacement, 3);
		w += 3;
		bad++;
		i += 2;
		start = i;
	}
	if (cd != (iconv_t)-1)
		iconv_close(cd);
	if (rc >= 0 && (len & 1)) {
		/* A lone trailing octet cannot be a character. */
		if (cap - 1 - w < 3) {
			rc = SMS_ERR_TOO_LONG;
		} else {
			memcpy(out + w, utf8_replacement, 3);
			w += 3;
			bad++;
		}
	}
	out[w] = '\0';
	if (rc < 0)
		return rc;
	if (replaced)
		*replaced = bad;
	return (int)w;
}

int ucs2_validate(const uint8_t *be, size_t len)
{
	if (!be && len)
		return SMS_ERR_ARG;
	if (len & 1)
		return SMS_ERR_UCS2;
	for (size_t i = 0; i < len; i += 2) {
		uint16_t u = be16(be + i);

		if (is_high(u)) {
			if (i + 4 > len || !is_low(be16(be + i + 2)))
				return SMS_ERR_UCS2;
			i += 2;
		} else if (is_low(u)) {
			return SMS_ERR_UCS2;
		}
	}
	return 0;
}
