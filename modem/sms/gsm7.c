/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* UTF-8 ↔ GSM 03.38 default alphabet and extension table (TS 23.038 §6.2.1), septet
 * packing through libosmogsm and a bounded unpacking loop.
 *
 * The tables are written from the specification rather than taken from libosmogsm,
 * whose helpers map Latin-1 and have no €. Decoding uses the 128-entry table; encoding
 * uses the switch in gsm7_lookup(), which the unit tests check against the table. */
#include "modem/sms/gsm7.h"
#include "modem/sms/sms_error.h"

#include <osmocom/gsm/gsm_utils.h>

/* Default alphabet, septet → Unicode. ESC (0x1B) is handled by the caller. */
static const uint16_t gsm7_default[128] = {
    0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, /* @ £ $ ¥ è é ù ì */
    0x00F2, 0x00C7, 0x000A, 0x00D8, 0x00F8, 0x000D, 0x00C5, 0x00E5, /* ò Ç LF Ø ø CR Å å */
    0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8, /* Δ _ Φ Γ Λ Ω Π Ψ */
    0x03A3, 0x0398, 0x039E, 0x00A0, 0x00C6, 0x00E6, 0x00DF, 0x00C9, /* Σ Θ Ξ ESC Æ æ ß É */
    0x0020, 0x0021, 0x0022, 0x0023, 0x00A4, 0x0025, 0x0026, 0x0027, /* SP ! " # ¤ % & ' */
    0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F, /* ( ) * + , - . / */
    0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037, /* 0-7 */
    0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F, /* 8 9 : ; < = > ? */
    0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047, /* ¡ A-G */
    0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F, /* H-O */
    0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057, /* P-W */
    0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7, /* X Y Z Ä Ö Ñ Ü § */
    0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067, /* ¿ a-g */
    0x0068, 0x0069, 0x006A, 0x006B, 0x006C, 0x006D, 0x006E, 0x006F, /* h-o */
    0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077, /* p-w */
    0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0, /* x y z ä ö ñ ü à */
};

/* Extension table: the code after ESC → Unicode; 0 where the code has no meaning. */
static uint16_t gsm7_extension(uint8_t code)
{
	switch (code) {
	case 0x0A:
		return 0x000C; /* form feed (page break) */
	case 0x14:
		return '^';
	case 0x28:
		return '{';
	case 0x29:
		return '}';
	case 0x2F:
		return '\\';
	case 0x3C:
		return '[';
	case 0x3D:
		return '~';
	case 0x3E:
		return ']';
	case 0x40:
		return '|';
	case 0x65:
		return 0x20AC; /* € */
	default:
		return 0;
	}
}

#define GSM7_EXT 0x100 /* marks an extension-table code in gsm7_lookup()'s result */

/* Unicode → septet code, GSM7_EXT|code for the extension table, or -1. */
static int gsm7_lookup(uint32_t cp)
{
	/* Most text is in the ranges the two tables share with ASCII. */
	if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '?') ||
	    (cp >= ' ' && cp <= '#') || (cp >= '%' && cp <= '/') || cp == '\n' || cp == '\r')
		return (int)cp;

	switch (cp) {
	case '@':
		return 0x00;
	case 0x00A3: /* £ */
		return 0x01;
	case '$':
		return 0x02;
	case 0x00A5: /* ¥ */
		return 0x03;
	case 0x00E8: /* è */
		return 0x04;
	case 0x00E9: /* é */
		return 0x05;
	case 0x00F9: /* ù */
		return 0x06;
	case 0x00EC: /* ì */
		return 0x07;
	case 0x00F2: /* ò */
		return 0x08;
	case 0x00C7: /* Ç */
		return 0x09;
	case 0x00D8: /* Ø */
		return 0x0B;
	case 0x00F8: /* ø */
		return 0x0C;
	case 0x00C5: /* Å */
		return 0x0E;
	case 0x00E5: /* å */
		return 0x0F;
	case 0x0394: /* Δ */
		return 0x10;
	case '_':
		return 0x11;
	case 0x03A6: /* Φ */
		return 0x12;
	case 0x0393: /* Γ */
		return 0x13;
	case 0x039B: /* Λ */
		return 0x14;
	case 0x03A9: /* Ω */
		return 0x15;
	case 0x03A0: /* Π */
		return 0x16;
	case 0x03A8: /* Ψ */
		return 0x17;
	case 0x03A3: /* Σ */
		return 0x18;
	case 0x0398: /* Θ */
		return 0x19;
	case 0x039E: /* Ξ */
		return 0x1A;
	case 0x00C6: /* Æ */
		return 0x1C;
	case 0x00E6: /* æ */
		return 0x1D;
	case 0x00DF: /* ß */
		return 0x1E;
	case 0x00C9: /* É */
		return 0x1F;
	case 0x00A4: /* ¤ */
		return 0x24;
	case 0x00A1: /* ¡ */
		return 0x40;
	case 0x00C4: /* Ä */
		return 0x5B;
	case 0x00D6: /* Ö */
		return 0x5C;
	case 0x00D1: /* Ñ */
		return 0x5D;
	case 0x00DC: /* Ü */
		return 0x5E;
	case 0x00A7: /* § */
		return 0x5F;
	case 0x00BF: /* ¿ */
		return 0x60;
	case 0x00E4: /* ä */
		return 0x7B;
	case 0x00F6: /* ö */
		return 0x7C;
	case 0x00F1: /* ñ */
		return 0x7D;
	case 0x00FC: /* ü */
		return 0x7E;
	case 0x00E0: /* à */
		return 0x7F;
	case 0x000C: /* form feed */
		return GSM7_EXT | 0x0A;
	case '^':
		return GSM7_EXT | 0x14;
	case '{':
		return GSM7_EXT | 0x28;
	case '}':
		return GSM7_EXT | 0x29;
	case '\\':
		return GSM7_EXT | 0x2F;
	case '[':
		return GSM7_EXT | 0x3C;
	case '~':
		return GSM7_EXT | 0x3D;
	case ']':
		return GSM7_EXT | 0x3E;
	case '|':
		return GSM7_EXT | 0x40;
	case 0x20AC: /* € */
		return GSM7_EXT | 0x65;
	default:
		return -1;
	}
}

int gsm7_septets_for(uint32_t cp)
{
	int code = gsm7_lookup(cp);

	if (code < 0)
		return 0;
	return (code & GSM7_EXT) ? 2 : 1;
}

int gsm7_encode_cp(uint8_t *out, size_t cap, uint32_t cp)
{
	int code = gsm7_lookup(cp);

	if (code < 0)
		return 0;
	if (code & GSM7_EXT) {
		if (cap < 2)
			return SMS_ERR_TOO_LONG;
		out[0] = GSM7_ESC;
		out[1] = code & 0x7f;
		return 2;
	}
	if (cap < 1)
		return SMS_ERR_TOO_LONG;
	out[0] = (uint8_t)code;
	return 1;
}

int gsm7_from_utf8(uint8_t *septets, size_t cap, const char *utf8, size_t len)
{
	size_t pos = 0, n = 0;

	if (!septets || (!utf8 && len))
		return SMS_ERR_ARG;
	while (pos < len) {
		uint32_t cp;
		int rc = utf8_decode_cp(utf8 + pos, len - pos, &cp);

		if (rc < 0)
			return rc;
		pos += rc;
		rc = gsm7_encode_cp(septets + n, cap - n, cp);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return SMS_ERR_GSM7;
		n += rc;
	}
	return (int)n;
}

int gsm7_to_utf8(char *out, size_t cap, const uint8_t *septets, size_t n)
{
	size_t w = 0;

	if (!out || cap == 0 || (!septets && n))
		return SMS_ERR_ARG;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = septets[i] & 0x7f;
		uint32_t cp;
		int rc;

		if (c == GSM7_ESC) {
			if (i + 1 == n) {
				cp = ' '; /* a lone ESC at the end shows as a space */
			} else {
				uint8_t next = septets[++i] & 0x7f;
				uint16_t ext = gsm7_extension(next);

				/* ESC ESC is reserved for a further table: shown as a space.
				 * Any other code without an extension meaning falls back to
				 * the default alphabet (TS 23.038 §6.2.1.1). */
				if (ext)
					cp = ext;
				else if (next == GSM7_ESC)
					cp = ' ';
				else
					cp = gsm7_default[next];
			}
		} else {
			cp = gsm7_default[c];
		}
		rc = utf8_encode_cp(out + w, cap - 1 - w, cp);
		if (rc < 0) {
			out[w] = '\0';
			return rc;
		}
		w += rc;
	}
	out[w] = '\0';
	return (int)w;
}

int utf8_decode_cp(const char *str, size_t len, uint32_t *cp)
{
	const uint8_t *s = (const uint8_t *)str;
	uint32_t c;
	size_t need;
	uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the second byte */

	if (!s || !cp || len == 0)
		return SMS_ERR_UTF8;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		need = 2;
		c = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		need = 3;
		c = s[0] & 0x0F;
		if (s[0] == 0xE0)
			lo = 0xA0; /* overlong */
		else if (s[0] == 0xED)
			hi = 0x9F; /* UTF-16 surrogates */
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		need = 4;
		c = s[0] & 0x07;
		if (s[0] == 0xF0)
			lo = 0x90; /* overlong */
		else if (s[0] == 0xF4)
			hi = 0x8F; /* above U+10FFFF */
	} else {
		return SMS_ERR_UTF8; /* continuation byte, C0/C1 overlong, or F5..FF */
	}
	if (len < need)
		return SMS_ERR_UTF8;
	if (s[1] < lo || s[1] > hi)
		return SMS_ERR_UTF8;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return SMS_ERR_UTF8;
		c = (c << 6) | (s[i] & 0x3F);
	}
	*cp = c;
	return (int)need;
}

int utf8_encode_cp(char *out, size_t cap, uint32_t cp)
{
	uint8_t *o = (uint8_t *)out;

	if (cp < 0x80) {
		if (cap < 1)
			return SMS_ERR_TOO_LONG;
		o[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		if (cap < 2)
			return SMS_ERR_TOO_LONG;
		o[0] = 0xC0 | (cp >> 6);
		o[1] = 0x80 | (cp & 0x3F);
		return 2;
	}
	if (cp < 0x10000) {
		if (cap < 3)
			return SMS_ERR_TOO_LONG;
		o[0] = 0xE0 | (cp >> 12);
		o[1] = 0x80 | ((cp >> 6) & 0x3F);
		o[2] = 0x80 | (cp & 0x3F);
		return 3;
	}
	if (cp > 0x10FFFF)
		return SMS_ERR_UTF8;
	if (cap < 4)
		return SMS_ERR_TOO_LONG;
	o[0] = 0xF0 | (cp >> 18);
	o[1] = 0x80 | ((cp >> 12) & 0x3F);
	o[2] = 0x80 | ((cp >> 6) & 0x3F);
	o[3] = 0x80 | (cp & 0x3F);
	return 4;
}

int gsm7_pack(uint8_t *out, size_t cap, const uint8_t *septets, size_t n, unsigned fill_bits)
{
	if (!out || (!septets && n) || fill_bits > 6)
		return SMS_ERR_ARG;
	if (n == 0 && fill_bits == 0)
		return 0;
	/* gsm_septet_pack() writes exactly this many octets (checked by the unit tests). */
	if (gsm7_packed_len(n, fill_bits) > cap)
		return SMS_ERR_TOO_LONG;
	return gsm_septet_pack(out, septets, n, fill_bits);
}

int gsm7_unpack(uint8_t *septets, size_t cap, const uint8_t *in, size_t in_len, size_t n,
		unsigned fill_bits)
{
	if (!septets || (!in && in_len) || fill_bits > 6)
		return SMS_ERR_ARG;
	if (n > cap)
		return SMS_ERR_TOO_LONG;
	if (gsm7_packed_len(n, fill_bits) > in_len)
		return SMS_ERR_TRUNCATED;
	for (size_t i = 0; i < n; i++) {
		size_t bit = fill_bits + 7 * i;
		size_t byte = bit / 8;
		unsigned shift = bit % 8;
		unsigned v = in[byte] >> shift;

		/* A septet straddles two octets when it starts above bit 1; the length
		 * check above guarantees the second octet is there. */
		if (shift > 1)
			v |= (unsigned)in[byte + 1] << (8 - shift);
		septets[i] = v & 0x7f;
	}
	return (int)n;
}
