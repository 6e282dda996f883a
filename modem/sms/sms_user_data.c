/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* TP-UD with its header: IE parsing, fill bits, length checks. */
#include "modem/sms/sms_user_data.h"
#include "modem/sms/gsm7.h"
#include "modem/sms/ucs2.h"

#include <string.h>

#define IEI_CONCAT8  0x00
#define IEI_CONCAT16 0x08

const char *sms_alphabet_name(enum sms_alphabet alphabet)
{
	switch (alphabet) {
	case SMS_ALPHABET_GSM7:
		return "GSM 7-bit";
	case SMS_ALPHABET_8BIT:
		return "8-bit data";
	case SMS_ALPHABET_UCS2:
		return "UCS-2";
	default:
		return "unknown";
	}
}

int sms_concat_check(const struct sms_concat *c)
{
	if (!c)
		return SMS_ERR_ARG;
	if (!c->present)
		return 0;
	if (!c->ref16 && c->ref > 0xff)
		return SMS_ERR_ARG;
	if (c->total == 0 || c->seq == 0 || c->seq > c->total)
		return SMS_ERR_CONCAT;
	return 0;
}

int sms_udh_parse(struct sms_user_data *ud, const uint8_t *ies, size_t len)
{
	size_t pos = 0;

	if (!ud || (!ies && len))
		return SMS_ERR_ARG;
	memset(&ud->concat, 0, sizeof(ud->concat));
	ud->udh_len = 0;
	while (pos < len) {
		uint8_t iei, iel;
		const uint8_t *d;

		if (len - pos < 2)
			return SMS_ERR_UDH;
		iei = ies[pos];
		iel = ies[pos + 1];
		if (iel > len - pos - 2)
			return SMS_ERR_UDH;
		d = ies + pos + 2;
		if (iei == IEI_CONCAT8) {
			if (iel != 3)
				return SMS_ERR_UDH;
			ud->concat = (struct sms_concat){.present = true,
							 .ref16 = false,
							 .ref = d[0],
							 .total = d[1],
							 .seq = d[2]};
		} else if (iei == IEI_CONCAT16) {
			if (iel != 4)
				return SMS_ERR_UDH;
			ud->concat = (struct sms_concat){.present = true,
							 .ref16 = true,
							 .ref = (uint16_t)(d[0] << 8 | d[1]),
							 .total = d[2],
							 .seq = d[3]};
		} else {
			/* Kept raw; the header is at most 140 octets, so is this. */
			if ((size_t)ud->udh_len + 2 + iel > sizeof(ud->udh))
				return SMS_ERR_UDH;
			memcpy(ud->udh + ud->udh_len, ies + pos, 2 + (size_t)iel);
			ud->udh_len += 2 + iel;
		}
		pos += 2 + (size_t)iel;
	}
	return 0;
}

int sms_ud_make_text(struct sms_user_data *ud)
{
	int rc;

	if (!ud)
		return SMS_ERR_ARG;
	ud->text[0] = '\0';
	ud->text_len = 0;
	switch (ud->alphabet) {
	case SMS_ALPHABET_GSM7:
		rc = gsm7_to_utf8(ud->text, sizeof(ud->text), ud->payload, ud->payload_len);
		break;
	case SMS_ALPHABET_UCS2:
		rc = ucs2_to_utf8(ud->text, sizeof(ud->text), ud->payload, ud->payload_len, NULL);
		break;
	default:
		return 0; /* 8-bit data is not text */
	}
	if (rc < 0)
		return rc;
	ud->text_len = (uint16_t)rc;
	return rc;
}

int sms_ud_decode(struct sms_user_data *ud, const uint8_t *buf, size_t len, bool udhi,
		  enum sms_alphabet alphabet)
{
	const uint8_t *data;
	size_t udl, octets, hdr_octets = 0, hdr_septets = 0;
	int rc;

	if (!ud || (!buf && len))
		return SMS_ERR_ARG;
	memset(ud, 0, sizeof(*ud));
	ud->alphabet = alphabet;

	if (len < 1)
		return SMS_ERR_TRUNCATED;
	udl = buf[0];
	if (alphabet == SMS_ALPHABET_GSM7) {
		if (udl > SMS_UD_SEPTETS)
			return SMS_ERR_LENGTH;
		octets = gsm7_packed_len(udl, 0);
	} else {
		if (udl > SMS_UD_OCTETS)
			return SMS_ERR_LENGTH;
		octets = udl;
	}
	if (octets > len - 1)
		return SMS_ERR_LENGTH;
	data = buf + 1;

	if (udhi) {
		if (octets < 1)
			return SMS_ERR_UDH;
		hdr_octets = (size_t)data[0] + 1;
		if (hdr_octets > octets)
			return SMS_ERR_UDH;
		if (alphabet == SMS_ALPHABET_GSM7) {
			hdr_septets = (hdr_octets * 8 + 6) / 7;
			if (hdr_septets > udl)
				return SMS_ERR_UDH;
		}
		rc = sms_udh_parse(ud, data + 1, hdr_octets - 1);
		if (rc < 0)
			return rc;
	}

	if (alphabet == SMS_ALPHABET_GSM7) {
		/* Fill bits pad the header to a septet boundary (TS 23.040 §9.2.3.24). */
		unsigned fill = (unsigned)(hdr_septets * 7 - hdr_octets * 8);

		rc = gsm7_unpack(ud->payload, sizeof(ud->payload), data + hdr_octets,
				 octets - hdr_octets, udl - hdr_septets, fill);
		if (rc < 0)
			return rc == SMS_ERR_TRUNCATED ? SMS_ERR_LENGTH : rc;
		ud->payload_len = (uint16_t)rc;
	} else {
		ud->payload_len = (uint16_t)(octets - hdr_octets);
		memcpy(ud->payload, data + hdr_octets, ud->payload_len);
	}
	rc = sms_ud_make_text(ud);
	if (rc < 0)
		return rc;
	return (int)(1 + octets);
}

static size_t concat_ie_len(const struct sms_concat *c)
{
	if (!c->present)
		return 0;
	return c->ref16 ? 6 : 5;
}

size_t sms_udh_octets(const struct sms_user_data *ud)
{
	size_t ies;

	if (!ud)
		return 0;
	ies = concat_ie_len(&ud->concat) + ud->udh_len;
	return ies ? ies + 1 : 0;
}

int sms_ud_encode(uint8_t *out, size_t cap, const struct sms_user_data *ud, bool *udhi)
{
	size_t hdr_octets, hdr_septets = 0, udl, octets, pos;
	unsigned fill = 0;
	int rc;

	if (!out || !ud)
		return SMS_ERR_ARG;
	rc = sms_concat_check(&ud->concat);
	if (rc < 0)
		return rc;
	if (ud->udh_len > sizeof(ud->udh) || ud->payload_len > sizeof(ud->payload))
		return SMS_ERR_ARG;
	if (ud->udh_len) {
		/* The raw IEs must be well formed, and must not smuggle in a second
		 * concatenation IE that would contradict ud->concat. */
		struct sms_user_data scratch;

		rc = sms_udh_parse(&scratch, ud->udh, ud->udh_len);
		if (rc < 0)
			return rc;
		if (scratch.concat.present)
			return SMS_ERR_UDH;
	}

	hdr_octets = sms_udh_octets(ud);
	switch (ud->alphabet) {
	case SMS_ALPHABET_GSM7:
		hdr_septets = (hdr_octets * 8 + 6) / 7;
		fill = (unsigned)(hdr_septets * 7 - hdr_octets * 8);
		udl = hdr_septets + ud->payload_len;
		if (udl > SMS_UD_SEPTETS)
			return SMS_ERR_TOO_LONG;
		for (size_t i = 0; i < ud->payload_len; i++) {
			if (ud->payload[i] > 0x7f)
				return SMS_ERR_GSM7;
		}
		octets = gsm7_packed_len(udl, 0);
		break;
	case SMS_ALPHABET_8BIT:
	case SMS_ALPHABET_UCS2:
		udl = hdr_octets + ud->payload_len;
		if (udl > SMS_UD_OCTETS)
			return SMS_ERR_TOO_LONG;
		octets = udl;
		break;
	default:
		return SMS_ERR_DCS;
	}
	if (cap < 1 + octets)
		return SMS_ERR_TOO_LONG;

	out[0] = (uint8_t)udl;
	pos = 1;
	if (hdr_octets) {
		const struct sms_concat *c = &ud->concat;

		out[pos++] = (uint8_t)(hdr_octets - 1);
		if (c->present && c->ref16) {
			out[pos++] = IEI_CONCAT16;
			out[pos++] = 4;
			out[pos++] = (uint8_t)(c->ref >> 8);
			out[pos++] = (uint8_t)c->ref;
			out[pos++] = c->total;
			out[pos++] = c->seq;
		} else if (c->present) {
			out[pos++] = IEI_CONCAT8;
			out[pos++] = 3;
			out[pos++] = (uint8_t)c->ref;
			out[pos++] = c->total;
			out[pos++] = c->seq;
		}
		memcpy(out + pos, ud->udh, ud->udh_len);
		pos += ud->udh_len;
	}
	if (ud->alphabet == SMS_ALPHABET_GSM7) {
		rc = gsm7_pack(out + pos, cap - pos, ud->payload, ud->payload_len, fill);
		if (rc < 0)
			return rc;
		pos += rc;
	} else {
		memcpy(out + pos, ud->payload, ud->payload_len);
		pos += ud->payload_len;
	}
	if (udhi)
		*udhi = hdr_octets != 0;
	return (int)pos;
}
