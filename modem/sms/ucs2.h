/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* UTF-8 ↔ UCS-2 user data (TS 23.038 §6.2.3), read as UTF-16 big-endian so that
 * characters outside the BMP (emoji) travel as surrogate pairs, as phones send them.
 *
 * Conversion goes through glibc's iconv(3). Encoding is strict (invalid UTF-8 is an
 * error); decoding is lenient, because a received message must never be lost: an
 * unpaired surrogate, or a lone trailing byte, becomes U+FFFD. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* UTF-16 code units one code point takes (2 above U+FFFF). */
static inline unsigned ucs2_units_for(uint32_t cp)
{
	return cp > 0xFFFF ? 2 : 1;
}

/* UTF-8 → UTF-16BE octets. Returns octets written, SMS_ERR_UTF8 for invalid input or
 * SMS_ERR_TOO_LONG when `cap` is exceeded. */
int ucs2_from_utf8(uint8_t *out, size_t cap, const char *utf8, size_t len);

/* UTF-16BE → UTF-8, NUL-terminated, never failing on content: unpaired surrogates, U+0000
 * (which would cut the C string short) and a trailing odd octet each become U+FFFD. Returns bytes
 * written (without the NUL) or SMS_ERR_TOO_LONG; `*replaced` (may be NULL) counts the U+FFFD
 * substitutions. Worst case output: 3 bytes per 2 input octets, 3 for a trailing octet, plus the
 * NUL. */
int ucs2_to_utf8(char *out, size_t cap, const uint8_t *be, size_t len, unsigned *replaced);

/* 0 when `be[0..len)` is well-formed UTF-16BE, else SMS_ERR_UCS2 (odd length or an
 * unpaired surrogate). For callers that want to know what ucs2_to_utf8() papered over. */
int ucs2_validate(const uint8_t *be, size_t len);
