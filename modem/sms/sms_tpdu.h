/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* SMS transfer-layer PDUs (3GPP TS 23.040 §9.2) as a modem shows them in PDU mode.
 *
 * Decodes SMS-DELIVER, SMS-SUBMIT and SMS-STATUS-REPORT; encodes the same three.
 * A PDU "as the modem shows it" starts with the SMSC address (one length octet,
 * possibly 00); the *_decode() functions take `with_smsc` to say whether it is there,
 * and the *_encode() functions write it when `with_smsc` is set.
 *
 * Pure functions: no I/O, no allocation, no global state. Every function returns a
 * negative enum sms_err on bad input and never reads past `len` or writes past `cap`. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "modem/sms/sms_address.h"
#include "modem/sms/sms_error.h"
#include "modem/sms/sms_scts.h"

/* Largest TPDU (164 octets for a SUBMIT with a 7-octet enhanced VP) plus a 12-octet SMSC. */
#define SMS_PDU_MAX 180
/* User data: at most 140 octets / 160 septets. */
#define SMS_UD_OCTETS  140
#define SMS_UD_SEPTETS 160
/* UTF-8 of one part: 160 septets of up to 3 bytes (€ is E2 82 AC), plus NUL. */
#define SMS_TEXT_MAX (SMS_UD_SEPTETS * 3 + 1)

/* TP-MTI, the two low bits of the first octet. The meaning depends on direction:
 * 0 is DELIVER towards the phone, 1 SUBMIT from it, 2 STATUS-REPORT towards it. */
enum sms_mti {
	SMS_MTI_DELIVER = 0,
	SMS_MTI_SUBMIT = 1,
	SMS_MTI_STATUS_REPORT = 2,
	SMS_MTI_RESERVED = 3,
};

/* The character set the user data is in, from the DCS (TS 23.038 §4). */
enum sms_alphabet {
	SMS_ALPHABET_GSM7 = 0,
	SMS_ALPHABET_8BIT = 1,
	SMS_ALPHABET_UCS2 = 2,
};

/* Concatenation information element (IEI 00: 8-bit reference, IEI 08: 16-bit). */
struct sms_concat {
	bool present;
	bool ref16;    /* the reference was 16-bit (IEI 08) */
	uint16_t ref;  /* message reference, the same in every part */
	uint8_t total; /* number of parts, 1..255 */
	uint8_t seq;   /* this part, 1..total */
};

/* TP-UD with its header, in both decoded and wire-ready form.
 *
 * On decode, everything is filled: alphabet, concat (from the header), the other
 * header IEs raw in `udh`, the payload (unpacked septets one per byte for GSM7,
 * octets otherwise) and, for GSM7 and UCS2, the text as UTF-8.
 *
 * On encode, `alphabet`, `concat`, `udh` (IEs other than concatenation, may be empty)
 * and `payload` are used; `text` is ignored. sms_ud_from_utf8() and sms_split_utf8()
 * (sms_split.h) fill a struct from text. */
struct sms_user_data {
	enum sms_alphabet alphabet;
	uint8_t msg_class; /* 0..3 when has_class, from the DCS */
	bool has_class;
	struct sms_concat concat;
	uint8_t udh[SMS_UD_OCTETS]; /* information elements other than concatenation, raw */
	uint8_t udh_len;
	uint8_t payload[SMS_UD_SEPTETS]; /* GSM7: septet values 0..127; else octets */
	uint16_t payload_len;		 /* septets for GSM7, octets otherwise */
	char text[SMS_TEXT_MAX];	 /* UTF-8, NUL-terminated; empty for 8-bit data */
	uint16_t text_len;
};

/* TP-VP: absent, relative (one octet) or absolute (an SCTS). Enhanced is decoded raw. */
enum sms_vpf { SMS_VPF_NONE = 0, SMS_VPF_ENHANCED = 1, SMS_VPF_RELATIVE = 2, SMS_VPF_ABSOLUTE = 3 };

struct sms_deliver {
	struct sms_address smsc; /* empty (digits "") when the prefix was 00 or absent */
	bool more_messages;	 /* TP-MMS inverted: true when the SC has more to send */
	bool status_report_ind;	 /* TP-SRI */
	bool reply_path;	 /* TP-RP */
	struct sms_address originator;
	uint8_t pid;
	uint8_t dcs; /* raw, as on the wire; on encode kept when it agrees with
			ud.alphabet/class (sms_dcs_parse), else derived from them */
	struct sms_time scts;
	struct sms_user_data ud;
};

struct sms_submit {
	struct sms_address smsc;
	bool reject_duplicates;	    /* TP-RD */
	bool status_report_request; /* TP-SRR */
	bool reply_path;	    /* TP-RP */
	uint8_t mr;		    /* TP-MR; modems overwrite it, 0 is usual */
	enum sms_vpf vpf;
	uint8_t vp_relative;	     /* when vpf == RELATIVE (TS 23.040 §9.2.3.12.1) */
	struct sms_time vp_absolute; /* when vpf == ABSOLUTE */
	uint8_t vp_enhanced[7];	     /* when vpf == ENHANCED, raw */
	struct sms_address destination;
	uint8_t pid;
	uint8_t dcs; /* as in struct sms_deliver */
	struct sms_user_data ud;
};

struct sms_status_report {
	struct sms_address smsc;
	bool more_messages;
	bool srq;   /* TP-SRQ: report of an SMS-COMMAND */
	uint8_t mr; /* matches the TP-MR the modem returned in +CMGS */
	struct sms_address recipient;
	struct sms_time scts;	   /* when the SC received the submit */
	struct sms_time discharge; /* when it was delivered, or the failure time */
	uint8_t status;		   /* TP-ST, see sms_status_*() */
	/* Optional tail (TP-PI and what it announces). */
	bool has_pid, has_dcs, has_ud;
	uint8_t pid, dcs;
	struct sms_user_data ud;
};

/* Hex as modems print it (either case, no separators) to bytes.
 * Returns the number of bytes, or SMS_ERR_HEX / SMS_ERR_TOO_LONG. */
int sms_hex_decode(uint8_t *out, size_t cap, const char *hex, size_t hex_len);
/* Bytes to upper-case hex, NUL-terminated. `cap` must be at least 2*len+1.
 * Returns the number of characters written, or SMS_ERR_TOO_LONG. */
int sms_hex_encode(char *out, size_t cap, const uint8_t *pdu, size_t len);

/* The TP-MTI of a PDU (skipping the SMSC prefix when with_smsc), or a negative error. */
int sms_pdu_mti(const uint8_t *pdu, size_t len, bool with_smsc);

int sms_deliver_decode(struct sms_deliver *out, const uint8_t *pdu, size_t len, bool with_smsc);
int sms_submit_decode(struct sms_submit *out, const uint8_t *pdu, size_t len, bool with_smsc);
int sms_status_report_decode(struct sms_status_report *out, const uint8_t *pdu, size_t len,
			     bool with_smsc);

/* Encoders return the number of bytes written to `out`, or a negative error.
 * The TPDU length that +CMGS and +CMT announce is the total minus the SMSC part:
 * sms_tpdu_len() gives it. */
int sms_deliver_encode(uint8_t *out, size_t cap, const struct sms_deliver *in, bool with_smsc);
int sms_submit_encode(uint8_t *out, size_t cap, const struct sms_submit *in, bool with_smsc);
int sms_status_report_encode(uint8_t *out, size_t cap, const struct sms_status_report *in,
			     bool with_smsc);

/* Length of the TPDU in a PDU that starts with an SMSC prefix, or a negative error. */
int sms_tpdu_len(const uint8_t *pdu, size_t len);

/* The DCS octet for an alphabet and optional message class (general data coding group). */
uint8_t sms_dcs_for(enum sms_alphabet alphabet, bool has_class, uint8_t msg_class);
/* Alphabet and class of a DCS; SMS_ERR_DCS for compressed or reserved codings. */
int sms_dcs_parse(uint8_t dcs, enum sms_alphabet *alphabet, bool *has_class, uint8_t *msg_class);

/* Message waiting indication carried by DCS groups 1100/1101/1110 (TS 23.038 §4). */
struct sms_dcs_mwi {
	bool store;   /* false for group 1100 "discard message" */
	bool active;  /* indication sense: set or cleared */
	uint8_t type; /* 0 voicemail, 1 fax, 2 e-mail, 3 other */
};
/* 1 and `*mwi` filled (may be NULL) when the DCS is a message waiting group, else 0. */
int sms_dcs_mwi(uint8_t dcs, struct sms_dcs_mwi *mwi);

/* Readable name of an alphabet ("GSM 7-bit", "8-bit data", "UCS-2"). */
const char *sms_alphabet_name(enum sms_alphabet alphabet);

/* 0 when a concatenation IE is absent or consistent, SMS_ERR_CONCAT when it announces
 * 0 parts, sequence 0 or a sequence past the total, SMS_ERR_ARG for an 8-bit reference
 * above 255. Decoders keep such an IE as received (present, values as sent) so that the
 * text is not lost; the reassembler and the encoders check it with this. */
int sms_concat_check(const struct sms_concat *c);

/* TP-VP relative format (TS 23.040 §9.2.3.12.1): the octet ↔ minutes. The encoder
 * rounds up to the next representable period and saturates at 63 weeks. */
uint32_t sms_vp_relative_minutes(uint8_t vp);
uint8_t sms_vp_relative_from_minutes(uint32_t minutes);

/* TP-ST classes (TS 23.040 §9.2.3.15). */
static inline bool sms_status_is_delivered(uint8_t st)
{
	return st <= 0x1f; /* 0x00..0x1F: transaction completed */
}
static inline bool sms_status_is_temporary(uint8_t st)
{
	return (st >= 0x20 && st <= 0x3f); /* SC still trying */
}
static inline bool sms_status_is_failed(uint8_t st)
{
	return st >= 0x40; /* permanent error, or temporary error with the SC no longer trying */
}
/* Readable name of a TP-ST value ("delivered", "validity period expired", ...). */
const char *sms_status_name(uint8_t st);
