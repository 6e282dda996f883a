/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* TP-DCS (TS 23.038 §4): which alphabet the user data is in and its message class.
 * Compressed and reserved codings are refused so that nobody shows compressed bytes
 * as text; the caller still holds the raw PDU. */
#include "modem/sms/sms_tpdu.h"

uint8_t sms_dcs_for(enum sms_alphabet alphabet, bool has_class, uint8_t msg_class)
{
	/* General data coding group 00xx, uncompressed. */
	uint8_t dcs = (uint8_t)((alphabet & 0x03) << 2);

	if (has_class)
		dcs |= 0x10 | (msg_class & 0x03);
	return dcs;
}

int sms_dcs_parse(uint8_t dcs, enum sms_alphabet *alphabet, bool *has_class, uint8_t *msg_class)
{
	enum sms_alphabet a;
	bool hc = false;
	uint8_t cls = 0;

	switch (dcs >> 4) {
	case 0x0: /* 00xx: general data coding */
	case 0x1:
	case 0x2:
	case 0x3:
	case 0x4: /* 01xx: the same, marked for automatic deletion */
	case 0x5:
	case 0x6:
	case 0x7:
		if (dcs & 0x20)
			return SMS_ERR_DCS; /* compressed (TS 23.042) */
		switch ((dcs >> 2) & 0x03) {
		case 0:
			a = SMS_ALPHABET_GSM7;
			break;
		case 1:
			a = SMS_ALPHABET_8BIT;
			break;
		case 2:
			a = SMS_ALPHABET_UCS2;
			break;
		default:
			return SMS_ERR_DCS; /* reserved alphabet */
		}
		if (dcs & 0x10) {
			hc = true;
			cls = dcs & 0x03;
		}
		break;
	case 0xC: /* message waiting, discard message */
	case 0xD: /* message waiting, store message */
		a = SMS_ALPHABET_GSM7;
		break;
	case 0xE: /* message waiting, store message, UCS2 */
		a = SMS_ALPHABET_UCS2;
		break;
	case 0xF: /* data coding / message class; bit 3 is reserved and ignored */
		a = (dcs & 0x04) ? SMS_ALPHABET_8BIT : SMS_ALPHABET_GSM7;
		hc = true;
		cls = dcs & 0x03;
		break;
	default: /* 1000..1011: reserved coding groups */
		return SMS_ERR_DCS;
	}
	if (alphabet)
		*alphabet = a;
	if (has_class)
		*has_class = hc;
	if (msg_class)
		*msg_class = cls;
	return 0;
}

int sms_dcs_mwi(uint8_t dcs, struct sms_dcs_mwi *mwi)
{
	uint8_t group = dcs >> 4;

	if (group < 0xC || group > 0xE)
		return 0;
	if (mwi) {
		mwi->store = group != 0xC;
		mwi->active = (dcs & 0x08) != 0;
		mwi->type = dcs & 0x03;
	}
	return 1;
}
