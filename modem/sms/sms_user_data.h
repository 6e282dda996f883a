/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* TP-UDL + TP-UD with its user data header (TS 23.040 §9.2.3.16, §9.2.3.24).
 *
 * The building block the PDU codecs share: the header's information elements (the
 * concatenation IE decoded, the others kept raw), 7-bit fill bits so that the text
 * starts on a septet boundary, TP-UDL in septets (header included) for GSM 7-bit and in
 * octets otherwise. Every length is checked against the bytes that are really there. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "modem/sms/sms_tpdu.h"

/* Decode TP-UDL and TP-UD from buf[0..len) (buf[0] is TP-UDL) in `alphabet`; the whole
 * struct is overwritten, so the caller sets has_class/msg_class afterwards. Returns the octets used
 * (1 + UD octets): SMS_ERR_TRUNCATED when there is no TP-UDL octet, SMS_ERR_LENGTH when TP-UDL is
 * over 160 septets / 140 octets or more than what follows, SMS_ERR_UDH when the header or one of
 * its IEs overruns. Bytes after the user data are the caller's to judge. */
int sms_ud_decode(struct sms_user_data *ud, const uint8_t *buf, size_t len, bool udhi,
		  enum sms_alphabet alphabet);

/* Encode TP-UDL and TP-UD. Returns octets written and sets *udhi when a header was
 * written: SMS_ERR_TOO_LONG when it does not fit 160 septets / 140 octets or `cap`,
 * SMS_ERR_CONCAT / SMS_ERR_UDH for an inconsistent concatenation IE or raw header,
 * SMS_ERR_GSM7 for a septet value above 127. */
int sms_ud_encode(uint8_t *out, size_t cap, const struct sms_user_data *ud, bool *udhi);

/* Octets of the user data header (the length octet included) that `ud` needs; 0 when
 * no header is needed. */
size_t sms_udh_octets(const struct sms_user_data *ud);

/* Fill ud->concat and ud->udh from information elements ies[0..len) (the header
 * without its length octet). The last concatenation IE wins (TS 23.040 §9.2.3.24).
 * SMS_ERR_UDH when an IE overruns or a concatenation IE has the wrong length. */
int sms_udh_parse(struct sms_user_data *ud, const uint8_t *ies, size_t len);

/* (Re)compute ud->text from ud->payload: GSM 7-bit and UCS-2 (lenient) to UTF-8,
 * empty for 8-bit data. Returns text_len or a negative error. */
int sms_ud_make_text(struct sms_user_data *ud);
