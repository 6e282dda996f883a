/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* From UTF-8 text to the user data of one or more SMS parts (TS 23.040 §9.2.3.24.1).
 *
 * The alphabet is GSM 7-bit when every character is in the default alphabet or its
 * extension table, UCS-2 otherwise. Text that fits one part goes out without a header
 * (160 septets / 70 UCS-2 units); longer text is split into parts carrying an 8-bit
 * reference concatenation IE, 153 septets / 67 UCS-2 units each, never splitting an
 * escape pair (ESC + extension character) or a UTF-16 surrogate pair. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "modem/sms/sms_tpdu.h"

/* Most parts a message may have on the wire. */
#define SMS_MAX_PARTS 255

/* What sms_split_utf8() would produce, without producing it. */
struct sms_split_info {
	enum sms_alphabet alphabet;
	unsigned parts;
	unsigned units; /* septets (escapes count two) or UTF-16 units in total */
};
int sms_split_measure(struct sms_split_info *info, const char *utf8, size_t len);

/* The same with a 16-bit reference (ref16): one septet (GSM) or unit (UCS-2) less per
 * part, 152 or 66. */
int sms_split_measure_ref(struct sms_split_info *info, const char *utf8, size_t len, bool ref16);

/* Fill parts[0..n) with the user data of each part and return n, or a negative error:
 * SMS_ERR_UTF8 for invalid input, SMS_ERR_CONCAT_LIMIT when more than max_parts would
 * be needed (max_parts is capped at SMS_MAX_PARTS). `ref` is the concatenation reference. */
int sms_split_utf8(struct sms_user_data *parts, unsigned max_parts, const char *utf8, size_t len,
		   uint8_t ref);
/* The same with a 16-bit reference IE (IEI 0x08) when ref16, else ref must be < 256
 * (SMS_ERR_ARG). A reference only has to differ between messages to one phone; 16 bits
 * let a relay write 65,536 long messages to a phone before one comes round again. */
int sms_split_utf8_ref(struct sms_user_data *parts, unsigned max_parts, const char *utf8,
		       size_t len, uint16_t ref, bool ref16);

/* One part's user data from text that must fit a single part without a header. */
int sms_ud_from_utf8(struct sms_user_data *ud, const char *utf8, size_t len);
