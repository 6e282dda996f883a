/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* TP addresses (TS 23.040 §9.1.2.5) and the SMSC address (TS 24.011 §8.2.5.1).
 *
 * Numbers are kept as text: "+15551234567" for international (TON 1), plain digits
 * for national and unknown, and UTF-8 for alphanumeric originators (TON 5, GSM 7-bit
 * packed on the wire, up to 11 characters). Digits may include '*', '#', 'a', 'b', 'c'
 * as TS 24.008 allows. BCD work goes through libosmocore's osmo_str2bcd/osmo_bcd2str. */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum sms_ton {
	SMS_TON_UNKNOWN = 0,
	SMS_TON_INTERNATIONAL = 1,
	SMS_TON_NATIONAL = 2,
	SMS_TON_NETWORK = 3,
	SMS_TON_SUBSCRIBER = 4,
	SMS_TON_ALPHANUMERIC = 5,
	SMS_TON_ABBREVIATED = 6,
};

/* Up to 20 digits and '+', or 11 GSM characters of up to 3 UTF-8 bytes each. */
#define SMS_ADDR_TEXT_MAX 40

struct sms_address {
	uint8_t ton; /* enum sms_ton */
	uint8_t npi; /* numbering plan, 1 = E.164 */
	char text[SMS_ADDR_TEXT_MAX];
};

/* Fill an address from text: "+digits" → international/E.164, digits → unknown/E.164,
 * anything else → alphanumeric. Returns 0 or a negative enum sms_err. */
int sms_address_from_text(struct sms_address *addr, const char *text);

/* TP address (TP-OA, TP-DA, TP-RA): length in digits (semi-octets), type, BCD.
 * Decode returns the number of bytes consumed; encode the number written. */
int sms_address_decode(struct sms_address *addr, const uint8_t *buf, size_t len);
int sms_address_encode(uint8_t *buf, size_t cap, const struct sms_address *addr);

/* SMSC address as in the PDU prefix: length in octets (including type), 0 for none. */
int sms_smsc_decode(struct sms_address *addr, const uint8_t *buf, size_t len);
int sms_smsc_encode(uint8_t *buf, size_t cap, const struct sms_address *addr);
