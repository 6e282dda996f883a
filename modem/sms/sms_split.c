/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Text → the user data of one or more parts (TS 23.040 §9.2.3.24.1).
 *
 * Splitting is done on code points: a part ends before a character whose septets (2 for
 * an escape pair) or UTF-16 units (2 for a surrogate pair) would not fit, so neither is
 * ever cut in two. A part therefore may carry one septet or unit less than the maximum. */
#include "modem/sms/sms_split.h"
#include "modem/sms/gsm7.h"
#include "modem/sms/sms_user_data.h"
#include "modem/sms/ucs2.h"

#include <string.h>

#define GSM7_SINGLE  160
#define GSM7_MULTI   153 /* 160 minus the 7 septets of a 6-octet header (8-bit reference) */
#define GSM7_MULTI16 152 /* 160 minus the 8 septets of a 7-octet header (16-bit reference) */
#define UCS2_SINGLE  70
#define UCS2_MULTI   67 /* (140 - 6) / 2 */
#define UCS2_MULTI16 66 /* (140 - 7) / 2 */

/* Width of a code point in the alphabet's units. */
static unsigned cp_units(enum sms_alphabet alphabet, uint32_t cp)
{
	if (alphabet == SMS_ALPHABET_GSM7)
		return (unsigned)gsm7_septets_for(cp);
	return ucs2_units_for(cp);
}

/* One pass over the text: validates it, and reports whether all of it is GSM. */
static int scan(const char *utf8, size_t len, bool *all_gsm)
{
	size_t pos = 0;

	*all_gsm = true;
	while (pos < len) {
		uint32_t cp;
		int rc = utf8_decode_cp(utf8 + pos, len - pos, &cp);

		if (rc < 0)
			return rc;
		if (!gsm7_septets_for(cp))
			*all_gsm = false;
		pos += (size_t)rc;
	}
	return 0;
}

/* Walk the parts greedily. With `ends`, records the byte offset where each part ends
 * (up to max_ends entries). Returns the number of parts and the units in total. */
static unsigned walk(const char *utf8, size_t len, enum sms_alphabet alphabet, bool ref16,
		     unsigned *units, size_t *ends, unsigned max_ends)
{
	unsigned single = alphabet == SMS_ALPHABET_GSM7 ? GSM7_SINGLE : UCS2_SINGLE;
	unsigned multi = alphabet == SMS_ALPHABET_GSM7 ? (ref16 ? GSM7_MULTI16 : GSM7_MULTI)
						       : (ref16 ? UCS2_MULTI16 : UCS2_MULTI);
	unsigned total = 0, parts = 1, cur = 0;
	size_t pos = 0;

	/* First the total: it decides between the single and the multi-part limit. */
	while (pos < len) {
		uint32_t cp;
		int rc = utf8_decode_cp(utf8 + pos, len - pos, &cp);

		total += cp_units(alphabet, cp);
		pos += (size_t)rc;
	}
	*units = total;
	if (total <= single) {
		if (ends && max_ends)
			ends[0] = len;
		return 1;
	}
	pos = 0;
	while (pos < len) {
		uint32_t cp;
		int rc = utf8_decode_cp(utf8 + pos, len - pos, &cp);
		unsigned w = cp_units(alphabet, cp);

		if (cur + w > multi) {
			if (ends && parts <= max_ends)
				ends[parts - 1] = pos;
			parts++;
			cur = 0;
		}
		cur += w;
		pos += (size_t)rc;
	}
	if (ends && parts <= max_ends)
		ends[parts - 1] = len;
	return parts;
}

int sms_split_measure(struct sms_split_info *info, const char *utf8, size_t len)
{
	return sms_split_measure_ref(info, utf8, len, false);
}

int sms_split_measure_ref(struct sms_split_info *info, const char *utf8, size_t len, bool ref16)
{
	bool all_gsm;
	int rc;

	if (!info || (!utf8 && len))
		return SMS_ERR_ARG;
	rc = scan(utf8, len, &all_gsm);
	if (rc < 0)
		return rc;
	info->alphabet = all_gsm ? SMS_ALPHABET_GSM7 : SMS_ALPHABET_UCS2;
	info->parts = walk(utf8, len, info->alphabet, ref16, &info->units, NULL, 0);
	return 0;
}

/* One part's user data from utf8[0..len), known to fit. */
static int fill_part(struct sms_user_data *ud, enum sms_alphabet alphabet, const char *utf8,
		     size_t len)
{
	int rc;

	memset(ud, 0, sizeof(*ud));
	ud->alphabet = alphabet;
	if (alphabet == SMS_ALPHABET_GSM7)
		rc = gsm7_from_utf8(ud->payload, sizeof(ud->payload), utf8, len);
	else
		rc = ucs2_from_utf8(ud->payload, SMS_UD_OCTETS, utf8, len);
	if (rc < 0)
		return rc;
	ud->payload_len = (uint16_t)rc;
	/* The part's own text, for logs and the archive. */
	if (len >= sizeof(ud->text))
		return SMS_ERR_TOO_LONG;
	memcpy(ud->text, utf8, len);
	ud->text[len] = '\0';
	ud->text_len = (uint16_t)len;
	return 0;
}

int sms_split_utf8(struct sms_user_data *parts, unsigned max_parts, const char *utf8, size_t len,
		   uint8_t ref)
{
	return sms_split_utf8_ref(parts, max_parts, utf8, len, ref, false);
}

int sms_split_utf8_ref(struct sms_user_data *parts, unsigned max_parts, const char *utf8,
		       size_t len, uint16_t ref, bool ref16)
{
	struct sms_split_info info;
	size_t ends[SMS_MAX_PARTS];
	size_t start = 0;
	int rc;

	if (!parts || (!utf8 && len) || max_parts == 0)
		return SMS_ERR_ARG;
	if (max_parts > SMS_MAX_PARTS)
		max_parts = SMS_MAX_PARTS;
	if (!ref16 && ref > 0xff)
		return SMS_ERR_ARG;
	rc = sms_split_measure_ref(&info, utf8, len, ref16);
	if (rc < 0)
		return rc;
	if (info.parts > max_parts)
		return SMS_ERR_CONCAT_LIMIT;
	walk(utf8, len, info.alphabet, ref16, &info.units, ends, info.parts);

	for (unsigned i = 0; i < info.parts; i++) {
		rc = fill_part(&parts[i], info.alphabet, utf8 + start, ends[i] - start);
		if (rc < 0)
			return rc;
		if (info.parts > 1) {
			parts[i].concat = (struct sms_concat){.present = true,
							      .ref16 = ref16,
							      .ref = ref,
							      .total = (uint8_t)info.parts,
							      .seq = (uint8_t)(i + 1)};
		}
		start = ends[i];
	}
	return (int)info.parts;
}

int sms_ud_from_utf8(struct sms_user_data *ud, const char *utf8, size_t len)
{
	struct sms_split_info info;
	int rc;

	if (!ud || (!utf8 && len))
		return SMS_ERR_ARG;
	rc = sms_split_measure(&info, utf8, len);
	if (rc < 0)
		return rc;
	if (info.parts > 1)
		return SMS_ERR_TOO_LONG;
	return fill_part(ud, info.alphabet, utf8, len);
}
