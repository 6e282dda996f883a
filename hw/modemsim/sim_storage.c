/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* SIM / ME message slots, see sim_storage.h. */
#include <string.h>

#include <talloc.h>

#include "hw/modemsim/sim_storage.h"

struct sms_store *sms_store_alloc(void *ctx, const char *name, unsigned total)
{
	struct sms_store *st = talloc_zero(ctx, struct sms_store);

	if (!st)
		return NULL;
	st->name = name;
	st->total = total;
	st->slots = talloc_zero_array(st, struct sms_slot, total ? total : 1);
	if (!st->slots) {
		talloc_free(st);
		return NULL;
	}
	return st;
}

unsigned sms_store_used(const struct sms_store *st)
{
	unsigned n = 0;

	for (unsigned i = 0; i < st->total; i++)
		n += st->slots[i].used;
	return n;
}

int sms_store_put(struct sms_store *st, uint8_t stat, const uint8_t *pdu, size_t len)
{
	if (len > SMS_PDU_MAX)
		return -1;
	for (unsigned i = 0; i < st->total; i++) {
		struct sms_slot *s = &st->slots[i];

		if (s->used)
			continue;
		s->used = true;
		s->stat = stat;
		memcpy(s->pdu, pdu, len);
		s->len = (uint8_t)len;
		return (int)i + 1;
	}
	return -1;
}

struct sms_slot *sms_store_get(struct sms_store *st, unsigned index)
{
	if (index < 1 || index > st->total || !st->slots[index - 1].used)
		return NULL;
	return &st->slots[index - 1];
}

bool sms_store_delete(struct sms_store *st, unsigned index)
{
	struct sms_slot *s = sms_store_get(st, index);

	if (!s)
		return false;
	memset(s, 0, sizeof(*s));
	return true;
}

/* 27.005 §3.5.4: 1 read, 2 read and sent, 3 read, sent and unsent, 4 all. */
static bool delflag_matches(unsigned delflag, uint8_t stat)
{
	switch (delflag) {
	case 1:
		return stat == SMS_STAT_REC_READ;
	case 2:
		return stat == SMS_STAT_REC_READ || stat == SMS_STAT_STO_SENT;
	case 3:
		return stat != SMS_STAT_REC_UNREAD;
	case 4:
		return true;
	default:
		return false;
	}
}

unsigned sms_store_delete_flag(struct sms_store *st, unsigned delflag)
{
	unsigned n = 0;

	for (unsigned i = 0; i < st->total; i++) {
		struct sms_slot *s = &st->slots[i];

		if (s->used && delflag_matches(delflag, s->stat)) {
			memset(s, 0, sizeof(*s));
			n++;
		}
	}
	return n;
}

const char *sms_stat_name(uint8_t stat)
{
	switch (stat) {
	case SMS_STAT_REC_UNREAD:
		return "REC UNREAD";
	case SMS_STAT_REC_READ:
		return "REC READ";
	case SMS_STAT_STO_UNSENT:
		return "STO UNSENT";
	case SMS_STAT_STO_SENT:
		return "STO SENT";
	default:
		return "ALL";
	}
}
