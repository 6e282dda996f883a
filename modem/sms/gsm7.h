/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* UTF-8 ↔ GSM 03.38 default alphabet and its extension table (TS 23.038 §6.2.1).
 *
 * Septets here are unpacked, one value 0..127 per byte; packing into octets is
 * libosmogsm's gsm_septet_pack(). An extension character (€ [ ] { } \ ~ ^ | and form
 * feed) takes two septets: ESC (0x1B) then its code. Written here because libosmogsm's
 * helpers work on Latin-1 and lack €. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define GSM7_ESC 0x1b

/* Septets needed for one Unicode code point: 1, 2 (extension table) or 0 (not in GSM). */
int gsm7_septets_for(uint32_t cp);

/* Encode a code point; returns septets written (1 or 2), 0 when it has no GSM form,
 * or SMS_ERR_TOO_LONG when `cap` is too small. */
int gsm7_encode_cp(uint8_t *out, size_t cap, uint32_t cp);

/* UTF-8 → septets. Returns septets written, SMS_ERR_GSM7 for a character without a GSM
 * form, SMS_ERR_UTF8 for invalid input, SMS_ERR_TOO_LONG when `cap` is exceeded. */
int gsm7_from_utf8(uint8_t *septets, size_t cap, const char *utf8, size_t len);

/* Septets → UTF-8, NUL-terminated. An ESC followed by a code with no extension meaning
 * decodes as that code's default character (TS 23.038); a trailing ESC as a space.
 * Returns bytes written (without NUL) or SMS_ERR_TOO_LONG. */
int gsm7_to_utf8(char *out, size_t cap, const uint8_t *septets, size_t n);

/* Decode one UTF-8 code point at s[0..len): returns its length in bytes and sets *cp,
 * or SMS_ERR_UTF8 (overlong, surrogate, > U+10FFFF, truncated). */
int utf8_decode_cp(const char *s, size_t len, uint32_t *cp);
/* Encode one code point; returns bytes written or SMS_ERR_TOO_LONG (SMS_ERR_UTF8 above
 * U+10FFFF). */
int utf8_encode_cp(char *out, size_t cap, uint32_t cp);

/* Octets that `n` septets take when packed after `fill_bits` (0..6) zero bits. */
static inline size_t gsm7_packed_len(size_t n, unsigned fill_bits)
{
	return (n * 7 + fill_bits + 7) / 8;
}

/* Pack septets into octets (TS 23.038 §6.1.2.1.1) behind `fill_bits` zero bits, as the
 * user data after a header needs. Returns octets written, SMS_ERR_ARG for fill_bits > 6,
 * or SMS_ERR_TOO_LONG when `cap` is too small. Wraps libosmogsm's gsm_septet_pack(). */
int gsm7_pack(uint8_t *out, size_t cap, const uint8_t *septets, size_t n, unsigned fill_bits);

/* Unpack `n` septets from `in[0..in_len)`, skipping `fill_bits` leading bits. Returns n,
 * SMS_ERR_TRUNCATED when `in_len` octets cannot hold them, SMS_ERR_TOO_LONG for `cap`. */
int gsm7_unpack(uint8_t *septets, size_t cap, const uint8_t *in, size_t in_len, size_t n,
		unsigned fill_bits);
