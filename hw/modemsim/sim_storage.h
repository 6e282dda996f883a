/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Message storages of a modem: "SM" (the SIM) and "ME" (the modem's own flash).
 *
 * A storage is a fixed number of slots numbered from 1, each holding one PDU as the
 * modem shows it (SMSC prefix + TPDU) and its 27.005 <stat>. Slots fill; a full
 * storage refuses new messages, which the network then keeps until space is freed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "modem/sms/sms_tpdu.h"

/* 27.005 <stat> in PDU mode. */
enum sms_stat {
	SMS_STAT_REC_UNREAD = 0,
	SMS_STAT_REC_READ = 1,
	SMS_STAT_STO_UNSENT = 2,
	SMS_STAT_STO_SENT = 3,
	SMS_STAT_ALL = 4, /* only as a +CMGL filter */
};

struct sms_slot {
	bool used;
	uint8_t stat; /* enum sms_stat */
	uint8_t pdu[SMS_PDU_MAX];
	uint8_t len;
};

struct sms_store {
	const char *name; /* "SM", "ME" */
	unsigned total;
	struct sms_slot *slots; /* slots[0] is index 1 */
};

struct sms_store *sms_store_alloc(void *ctx, const char *name, unsigned total);
unsigned sms_store_used(const struct sms_store *st);
/* Put a PDU in the first free slot; returns its index (1..total) or -1 when full. */
int sms_store_put(struct sms_store *st, uint8_t stat, const uint8_t *pdu, size_t len);
/* The slot at `index`, or NULL when out of range or empty. */
struct sms_slot *sms_store_get(struct sms_store *st, unsigned index);
/* Empty one slot; returns true when it held a message. */
bool sms_store_delete(struct sms_store *st, unsigned index);
/* +CMGD <delflag> 1..4: delete by status; returns how many were deleted. */
unsigned sms_store_delete_flag(struct sms_store *st, unsigned delflag);
/* "REC UNREAD", ... */
const char *sms_stat_name(uint8_t stat);
