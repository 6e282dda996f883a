/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* SMS-DELIVER, SMS-SUBMIT and SMS-STATUS-REPORT (TS 23.040 §9.2.2) to and from bytes.
 *
 * Each decoder walks the PDU front to back with `pos`, checking every fixed field
 * against `len` before reading it (SMS_ERR_TRUNCATED) and leaving the variable ones to
 * the address and user-data decoders, which check their own length fields. Whatever is
 * left after the last field is an error (SMS_ERR_LENGTH): a PDU that says less than it
 * carries was mangled somewhere. */
#include "modem/sms/sms_tpdu.h"
#include "modem/sms/sms_user_data.h"

#include <string.h>

#define FO_MTI_MASK    0x03
#define FO_MMS_RD      0x04 /* DELIVER/STATUS-REPORT: TP-MMS (no more messages); SUBMIT: TP-RD */
#define FO_VPF_SHIFT   3
#define FO_SRI_SRR_SRQ 0x20
#define FO_UDHI	       0x40
#define FO_RP	       0x80

#define SMSC_MAX_OCTETS 11 /* type octet plus 10 octets of digits */

#define PI_PID	    0x01
#define PI_DCS	    0x02
#define PI_UDL	    0x04
#define PI_RESERVED 0x78
#define PI_EXT	    0x80

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int sms_hex_decode(uint8_t *out, size_t cap, const char *hex, size_t hex_len)
{
	if (!out || (!hex && hex_len))
		return SMS_ERR_ARG;
	if (hex_len % 2)
		return SMS_ERR_HEX;
	if (hex_len / 2 > cap)
		return SMS_ERR_TOO_LONG;
	for (size_t i = 0; i < hex_len; i += 2) {
		int hi = hex_nibble(hex[i]), lo = hex_nibble(hex[i + 1]);

		if (hi < 0 || lo < 0)
			return SMS_ERR_HEX;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(hex_len / 2);
}

int sms_hex_encode(char *out, size_t cap, const uint8_t *pdu, size_t len)
{
	static const char digits[] = "0123456789ABCDEF";

	if (!out || (!pdu && len))
		return SMS_ERR_ARG;
	if (cap < 2 * len + 1)
		return SMS_ERR_TOO_LONG;
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[pdu[i] >> 4];
		out[2 * i + 1] = digits[pdu[i] & 0x0f];
	}
	out[2 * len] = '\0';
	return (int)(2 * len);
}

/* Octets the SMSC prefix takes, or a negative error. */
static int smsc_prefix_len(const uint8_t *pdu, size_t len)
{
	if (len < 1)
		return SMS_ERR_TRUNCATED;
	if (pdu[0] > SMSC_MAX_OCTETS)
		return SMS_ERR_ADDRESS;
	if (len < 1 + (size_t)pdu[0])
		return SMS_ERR_TRUNCATED;
	return 1 + pdu[0];
}

int sms_pdu_mti(const uint8_t *pdu, size_t len, bool with_smsc)
{
	size_t pos = 0;

	if (!pdu && len)
		return SMS_ERR_ARG;
	if (with_smsc) {
		int rc = smsc_prefix_len(pdu, len);

		if (rc < 0)
			return rc;
		pos = (size_t)rc;
	}
	if (pos >= len)
		return SMS_ERR_TRUNCATED;
	return pdu[pos] & FO_MTI_MASK;
}

int sms_tpdu_len(const uint8_t *pdu, size_t len)
{
	int rc;

	if (!pdu && len)
		return SMS_ERR_ARG;
	rc = smsc_prefix_len(pdu, len);
	if (rc < 0)
		return rc;
	if ((size_t)rc >= len)
		return SMS_ERR_TRUNCATED;
	return (int)(len - (size_t)rc);
}

/* The DCS to send: the caller's when it says what the user data is, else derived. */
static uint8_t dcs_to_send(uint8_t raw, const struct sms_user_data *ud)
{
	enum sms_alphabet a;
	bool hc;
	uint8_t cls;

	if (sms_dcs_parse(raw, &a, &hc, &cls) == 0 && a == ud->alphabet && hc == ud->has_class &&
	    (!hc || cls == ud->msg_class))
		return raw;
	return sms_dcs_for(ud->alphabet, ud->has_class, ud->msg_class);
}

/* SMSC prefix when asked for, and the first octet; returns the position after them. */
static int decode_head(struct sms_address *smsc, uint8_t *fo, const uint8_t *pdu, size_t len,
		       bool with_smsc, enum sms_mti want)
{
	size_t pos = 0;

	if (with_smsc) {
		int rc = sms_smsc_decode(smsc, pdu, len);

		if (rc < 0)
			return rc;
		pos = (size_t)rc;
	}
	if (pos >= len)
		return SMS_ERR_TRUNCATED;
	*fo = pdu[pos++];
	if ((*fo & FO_MTI_MASK) != want)
		return SMS_ERR_MTI;
	return (int)pos;
}

/* DCS, then the user data to the end of the PDU. */
static int decode_ud_tail(struct sms_user_data *ud, uint8_t dcs, const uint8_t *pdu, size_t len,
			  size_t pos, bool udhi)
{
	enum sms_alphabet alphabet;
	bool has_class;
	uint8_t msg_class;
	int rc = sms_dcs_parse(dcs, &alphabet, &has_class, &msg_class);

	if (rc < 0)
		return rc;
	rc = sms_ud_decode(ud, pdu + pos, len - pos, udhi, alphabet);
	if (rc < 0)
		return rc;
	ud->has_class = has_class;
	ud->msg_class = msg_class;
	return (int)(pos + (size_t)rc);
}

int sms_deliver_decode(struct sms_deliver *out, const uint8_t *pdu, size_t len, bool with_smsc)
{
	uint8_t fo;
	size_t pos;
	int rc;

	if (!out || (!pdu && len))
		return SMS_ERR_ARG;
	memset(out, 0, sizeof(*out));
	rc = decode_head(&out->smsc, &fo, pdu, len, with_smsc, SMS_MTI_DELIVER);
	if (rc < 0)
		return rc;
	pos = (size_t)rc;
	out->more_messages = !(fo & FO_MMS_RD);
	out->status_report_ind = fo & FO_SRI_SRR_SRQ;
	out->reply_path = fo & FO_RP;

	rc = sms_address_decode(&out->originator, pdu + pos, len - pos);
	if (rc < 0)
		return rc;
	pos += (size_t)rc;
	if (len - pos < 2)
		return SMS_ERR_TRUNCATED;
	out->pid = pdu[pos++];
	out->dcs = pdu[pos++];
	rc = sms_scts_decode(&out->scts, pdu + pos, len - pos);
	if (rc < 0)
		return rc;
	pos += (size_t)rc;
	rc = decode_ud_tail(&out->ud, out->dcs, pdu, len, pos, fo & FO_UDHI);
	if (rc < 0)
		return rc;
	if ((size_t)rc != len)
		return SMS_ERR_LENGTH;
	return SMS_OK;
}

int sms_submit_decode(struct sms_submit *out, const uint8_t *pdu, size_t len, bool with_smsc)
{
	uint8_t fo;
	size_t pos;
	int rc;

	if (!out || (!pdu && len))
		return SMS_ERR_ARG;
	memset(out, 0, sizeof(*out));
	rc = decode_head(&out->smsc, &fo, pdu, len, with_smsc, SMS_MTI_SUBMIT);
	if (rc < 0)
		return rc;
	pos = (size_t)rc;
	out->reject_duplicates = fo & FO_MMS_RD;
	out->vpf = (enum sms_vpf)((fo >> FO_VPF_SHIFT) & 0x03);
	out->status_report_request = fo & FO_SRI_SRR_SRQ;
	out->reply_path = fo & FO_RP;

	if (pos >= len)
		return SMS_ERR_TRUNCATED;
	out->mr = pdu[pos++];
	rc = sms_address_decode(&out->destination, pdu + pos, len - pos);
	if (rc < 0)
		return rc;
	pos += (size_t)rc;
	if (len - pos < 2)
		return SMS_ERR_TRUNCATED;
	out->pid = pdu[pos++];
	out->dcs = pdu[pos++];

	switch (out->vpf) {
	case SMS_VPF_NONE:
		break;
	case SMS_VPF_RELATIVE:
		if (pos >= len)
			return SMS_ERR_TRUNCATED;
		out->vp_relative = pdu[pos++];
		break;
	case SMS_VPF_ABSOLUTE:
		rc = sms_scts_decode(&out->vp_absolute, pdu + pos, len - pos);
		if (rc < 0)
			return rc;
		pos += (size_t)rc;
		break;
	case SMS_VPF_ENHANCED:
		/* Kept raw (TS 23.040 §9.2.3.12.3): only carried, never interpreted. */
		if (len - pos < sizeof(out->vp_enhanced))
			return SMS_ERR_TRUNCATED;
		memcpy(out->vp_enhanced, pdu + pos, sizeof(out->vp_enhanced));
		pos += sizeof(out->vp_enhanced);
		break;
	}
	rc = decode_ud_tail(&out->ud, out->dcs, pdu, len, pos, fo & FO_UDHI);
	if (rc < 0)
		return rc;
	if ((size_t)rc != len)
		return SMS_ERR_LENGTH;
	return SMS_OK;
}

int sms_status_report_decode(struct sms_status_report *out, const uint8_t *pdu, size_t len,
			     bool with_smsc)
{
	uint8_t fo, pi, last;
	size_t pos;
	int rc;

	if (!out || (!pdu && len))
		return SMS_ERR_ARG;
	memset(out, 0, sizeof(*out));
	rc = decode_head(&out->smsc, &fo, pdu, len, with_smsc, SMS_MTI_STATUS_REPORT);
	if (rc < 0)
		return rc;
	pos = (size_t)rc;
	out->more_messages = !(fo & FO_MMS_RD);
	out->srq = fo & FO_SRI_SRR_SRQ;

	if (pos >= len)
		return SMS_ERR_TRUNCATED;
	out->mr = pdu[pos++];
	rc = sms_address_decode(&out->recipient, pdu + pos, len - pos);
	if (rc < 0)
		return rc;
	pos += (size_t)rc;
	rc = sms_scts_decode(&out->scts, pdu + pos, len - pos);
	if (rc < 0)
		return rc;
	pos += (size_t)rc;
	rc = sms_scts_decode(&out->discharge, pdu + pos, len - pos);
	if (rc < 0)
		return rc;
	pos += (size_t)rc;
	if (pos >= len)
		return SMS_ERR_TRUNCATED;
	out->status = pdu[pos++];
	if (pos == len)
		return SMS_OK;

	/* Optional TP-PI (TS 23.040 §9.2.3.27). Extension octets carry nothing we know. */
	pi = last = pdu[pos++];
	while ((last & PI_EXT) && pos < len)
		last = pdu[pos++];
	if (pi & PI_RESERVED) {
		/* The specification says not to interpret a TP-PI with reserved bits set;
		 * stored reports come padded with FF this way. Nothing more is read. */
		return SMS_OK;
	}
	if (pi & PI_PID) {
		if (pos >= len)
			return SMS_ERR_TRUNCATED;
		out->has_pid = true;
		out->pid = pdu[pos++];
	}
	if (pi & PI_DCS) {
		if (pos >= len)
			return SMS_ERR_TRUNCATED;
		out->has_dcs = true;
		out->dcs = pdu[pos++];
	}
	if (pi & PI_UDL) {
		out->has_ud = true;
		/* Without TP-DCS the default alphabet applies. */
		rc = decode_ud_tail(&out->ud, out->has_dcs ? out->dcs : 0x00, pdu, len, pos,
				    fo & FO_UDHI);
		if (rc < 0)
			return rc;
		pos = (size_t)rc;
	}
	if (pos != len)
		return SMS_ERR_LENGTH;
	return SMS_OK;
}

/* SMSC prefix when asked for; returns octets written. */
static int encode_smsc(uint8_t *out, size_t cap, const struct sms_address *smsc, bool with_smsc)
{
	if (!with_smsc)
		return 0;
	return sms_smsc_encode(out, cap, smsc);
}

/* An octet at out[*pos], checked against cap. */
static int put(uint8_t *out, size_t cap, size_t *pos, uint8_t v)
{
	if (*pos >= cap)
		return SMS_ERR_TOO_LONG;
	out[(*pos)++] = v;
	return 0;
}

int sms_deliver_encode(uint8_t *out, size_t cap, const struct sms_deliver *in, bool with_smsc)
{
	size_t pos;
	uint8_t fo = SMS_MTI_DELIVER;
	int rc;

	if (!out || !in)
		return SMS_ERR_ARG;
	rc = encode_smsc(out, cap, &in->smsc, with_smsc);
	if (rc < 0)
		return rc;
	pos = (size_t)rc;
	if (!in->more_messages)
		fo |= FO_MMS_RD;
	if (in->status_report_ind)
		fo |= FO_SRI_SRR_SRQ;
	if (sms_udh_octets(&in->ud))
		fo |= FO_UDHI;
	if (in->reply_path)
		fo |= FO_RP;
	if ((rc = put(out, cap, &pos, fo)) < 0)
		return rc;
	rc = sms_address_encode(out + pos, cap - pos, &in->originator);
	if (rc < 0)
		return rc;
	pos += (size_t)rc;
	if ((rc = put(out, cap, &pos, in->pid)) < 0)
		return rc;
	if ((rc = put(out, cap, &pos, dcs_to_send(in->dcs, &in->ud))) < 0)
		return rc;
	rc = sms_scts_encode(out + pos, cap - pos, &in->scts);
	if (rc < 0)
		return rc;
	pos += (size_t)rc;
	rc = sms_ud_encode(out + pos, cap - pos, &in->ud, NULL);
	if (rc < 0)
		return rc;
	return (int)(pos + (size_t)rc);
}

int sms_submit_encode(uint8_t *out, size_t cap, const struct sms_submit *in, bool with_smsc)
{
	size_t pos;
	uint8_t fo = SMS_MTI_SUBMIT;
	int rc;

	if (!out || !in)
		return SMS_ERR_ARG;
	if ((unsigned)in->vpf > SMS_VPF_ABSOLUTE)
		return SMS_ERR_VP;
	rc = encode_smsc(out, cap, &in->smsc, with_smsc);
	if (rc < 0)
		return rc;
	pos = (size_t)rc;
	if (in->reject_duplicates)
		fo |= FO_MMS_RD;
	fo |= (uint8_t)(in->vpf << FO_VPF_SHIFT);
	if (in->status_report_request)
		fo |= FO_SRI_SRR_SRQ;
	if (sms_udh_octets(&in->ud))
		fo |= FO_UDHI;
	if (in->reply_path)
		fo |= FO_RP;
	if ((rc = put(out, cap, &pos, fo)) < 0)
		return rc;
	if ((rc = put(out, cap, &pos, in->mr)) < 0)
		return rc;
	rc = sms_address_encode(out + pos, cap - pos, &in->destination);
	if (rc < 0)
		return rc;
	pos += (size_t)rc;
	if ((rc = put(out, cap, &pos, in->pid)) < 0)
		return rc;
	if ((rc = put(out, cap, &pos, dcs_to_send(in->dcs, &in->ud))) < 0)
		return rc;
	switch (in->vpf) {
	case SMS_VPF_NONE:
		break;
	case SMS_VPF_RELATIVE:
		if ((rc = put(out, cap, &pos, in->vp_relative)) < 0)
			return rc;
		break;
	case SMS_VPF_ABSOLUTE:
		rc = sms_scts_encode(out + pos, cap - pos, &in->vp_absolute);
		if (rc < 0)
			return rc;
		pos += (size_t)rc;
		break;
	case SMS_VPF_ENHANCED:
		if (cap - pos < sizeof(in->vp_enhanced))
			return SMS_ERR_TOO_LONG;
		memcpy(out + pos, in->vp_enhanced, sizeof(in->vp_enhanced));
		pos += sizeof(in->vp_enhanced);
		break;
	}
	rc = sms_ud_encode(out + pos, cap - pos, &in->ud, NULL);
	if (rc < 0)
		return rc;
	return (int)(pos + (size_t)rc);
}

int sms_status_report_encode(uint8_t *out, size_t cap, const struct sms_status_report *in,
			     bool with_smsc)
{
	size_t pos;
	uint8_t fo = SMS_MTI_STATUS_REPORT, pi = 0, dcs = 0;
	int rc;

	if (!out || !in)
		return SMS_ERR_ARG;
	rc = encode_smsc(out, cap, &in->smsc, with_smsc);
	if (rc < 0)
		return rc;
	pos = (size_t)rc;
	if (in->has_ud) {
		dcs = dcs_to_send(in->has_dcs ? in->dcs : 0x00, &in->ud);
		if (sms_udh_octets(&in->ud))
			fo |= FO_UDHI;
	}
	if (in->has_pid)
		pi |= PI_PID;
	/* A DCS other than the default must be sent for the user data to be readable. */
	if (in->has_dcs || (in->has_ud && dcs != 0x00))
		pi |= PI_DCS;
	if (in->has_ud)
		pi |= PI_UDL;
	if (!in->has_ud && in->has_dcs)
		dcs = in->dcs;
	if (!in->more_messages)
		fo |= FO_MMS_RD;
	if (in->srq)
		fo |= FO_SRI_SRR_SRQ;
	if ((rc = put(out, cap, &pos, fo)) < 0)
		return rc;
	if ((rc = put(out, cap, &pos, in->mr)) < 0)
		return rc;
	rc = sms_address_encode(out + pos, cap - pos, &in->recipient);
	if (rc < 0)
		return rc;
	pos += (size_t)rc;
	rc = sms_scts_encode(out + pos, cap - pos, &in->scts);
	if (rc < 0)
		return rc;
	pos += (size_t)rc;
	rc = sms_scts_encode(out + pos, cap - pos, &in->discharge);
	if (rc < 0)
		return rc;
	pos += (size_t)rc;
	if ((rc = put(out, cap, &pos, in->status)) < 0)
		return rc;
	if (!pi)
		return (int)pos;
	if ((rc = put(out, cap, &pos, pi)) < 0)
		return rc;
	if ((pi & PI_PID) && (rc = put(out, cap, &pos, in->pid)) < 0)
		return rc;
	if ((pi & PI_DCS) && (rc = put(out, cap, &pos, dcs)) < 0)
		return rc;
	if (pi & PI_UDL) {
		rc = sms_ud_encode(out + pos, cap - pos, &in->ud, NULL);
		if (rc < 0)
			return rc;
		pos += (size_t)rc;
	}
	return (int)pos;
}

uint32_t sms_vp_relative_minutes(uint8_t vp)
{
	if (vp <= 143)
		return ((uint32_t)vp + 1) * 5;
	if (vp <= 167)
		return 12 * 60 + ((uint32_t)vp - 143) * 30;
	if (vp <= 196)
		return ((uint32_t)vp - 166) * 24 * 60;
	return ((uint32_t)vp - 192) * 7 * 24 * 60;
}

uint8_t sms_vp_relative_from_minutes(uint32_t minutes)
{
	const uint32_t day = 24 * 60, week = 7 * day;

	if (minutes <= 5)
		return 0;
	if (minutes <= 12 * 60)
		return (uint8_t)((minutes + 4) / 5 - 1);
	if (minutes <= day)
		return (uint8_t)(143 + (minutes - 12 * 60 + 29) / 30);
	if (minutes <= 30 * day)
		return (uint8_t)(166 + (minutes + day - 1) / day);
	if (minutes >= 63 * week)
		return 255;
	return (uint8_t)(192 + (minutes + week - 1) / week);
}

const char *sms_status_name(uint8_t st)
{
	switch (st) {
	/* Short message transaction completed */
	case 0x00:
		return "delivered";
	case 0x01:
		return "forwarded, delivery unconfirmed";
	case 0x02:
		return "replaced by the service centre";
	/* Temporary error, the service centre still trying */
	case 0x20:
		return "congestion, still trying";
	case 0x21:
		return "recipient busy, still trying";
	case 0x22:
		return "no response from recipient, still trying";
	case 0x23:
		return "service rejected, still trying";
	case 0x24:
		return "quality of service not available, still trying";
	case 0x25:
		return "error in recipient, still trying";
	/* Permanent error, the service centre is not making more attempts */
	case 0x40:
		return "remote procedure error";
	case 0x41:
		return "incompatible destination";
	case 0x42:
		return "connection rejected by recipient";
	case 0x43:
		return "not obtainable";
	case 0x44:
		return "quality of service not available";
	case 0x45:
		return "no interworking available";
	case 0x46:
		return "validity period expired";
	case 0x47:
		return "deleted by the sender";
	case 0x48:
		return "deleted by service centre administration";
	case 0x49:
		return "message does not exist";
	/* Temporary error, the service centre is not making more attempts */
	case 0x60:
		return "congestion, given up";
	case 0x61:
		return "recipient busy, given up";
	case 0x62:
		return "no response from recipient, given up";
	case 0x63:
		return "service rejected, given up";
	case 0x64:
		return "quality of service not available, given up";
	case 0x65:
		return "error in recipient, given up";
	default:
		break;
	}
	if (st >= 0x10 && st <= 0x1f)
		return "delivered (service centre specific)";
	if (st <= 0x1f)
		return "delivered (reserved status)";
	if (st >= 0x30 && st <= 0x3f)
		return "temporary error (service centre specific), still trying";
	if (st <= 0x3f)
		return "temporary error (reserved status), still trying";
	if (st >= 0x50 && st <= 0x5f)
		return "permanent error (service centre specific)";
	if (st >= 0x70 && st <= 0x7f)
		return "temporary error (service centre specific), given up";
	return "failed (reserved status)";
}
