/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Putting concatenated SMS back together.
 *
 * Parts may arrive in any order, repeated, or never. The reassembler keys parts by
 * (originator, reference, total), keeps exact duplicates out, hands over the message
 * as soon as every part is in, and hands over what it has — marked incomplete — once a
 * message has waited longer than its timeout. Nothing given to it is dropped: a part it
 * cannot place (bad concat IE, more parts than it accepts) is handed over on its own,
 * marked incomplete, with the reason.
 *
 * Time is passed in by the caller (monotonic milliseconds), so it runs under any event
 * loop and tests can drive it without sleeping. Allocation is talloc under `ctx`. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "modem/sms/sms_tpdu.h"

struct sms_reassembler;

/* A reassembled (or given-up) message. Valid only during the callback.
 * A part handed over on its own (single-part message, or one that could not be placed)
 * comes with total = received = 1 and parts[0] being that part. */
struct sms_reassembled {
	const char *originator; /* as in the parts' TP-OA */
	uint16_t ref;
	uint8_t total;	  /* parts announced (1 for a single-part message) */
	uint8_t received; /* parts present */
	bool complete;
	int reason;	  /* 0, or the enum sms_err why a part stood alone */
	const char *text; /* UTF-8 of the parts present, in order; a missing part
			     is shown as "[…]" so a reader sees the gap */
	size_t text_len;
	/* The parts present, in sequence order; parts[i] is NULL where part i+1 is missing. */
	const struct sms_deliver *const *parts;
	/* Opaque per-part tokens given to sms_reassembler_add(), same indexing as parts:
	 * the caller's handles (archive row ids, modem slots) to acknowledge. */
	void *const *tokens;
};

typedef void (*sms_reassembled_cb)(const struct sms_reassembled *msg, void *data);

struct sms_reassembler_config {
	uint32_t timeout_ms;  /* how long an incomplete message waits for its missing parts,
				 counted from its first part */
	uint8_t max_parts;    /* parts above this are handed over alone (SMS_ERR_CONCAT_LIMIT);
				 0 means SMS_MAX_PARTS */
	unsigned max_pending; /* messages waiting at once; the oldest is handed over when full;
				 0 means 64 */
};

struct sms_reassembler *sms_reassembler_alloc(void *ctx, const struct sms_reassembler_config *cfg,
					      sms_reassembled_cb cb, void *cb_data);
/* Frees without handing anything over: call sms_reassembler_flush() first to keep it. */
void sms_reassembler_free(struct sms_reassembler *r);

/* Add one decoded part, received at `now_ms`. The callback may run from inside this call
 * (message complete, part stands alone, or pending table full). The part is copied.
 * Returns 0, 1 when the part was an exact duplicate of one already held (same user data;
 * dropped, its token is not kept, so the caller acknowledges it at once), or
 * SMS_ERR_ARG. A part with the same key and sequence but other content means the sender
 * reused the reference: the waiting message is handed over incomplete first. */
int sms_reassembler_add(struct sms_reassembler *r, const struct sms_deliver *part, void *token,
			uint64_t now_ms);

/* Hand over every message older than its timeout. Returns how many were handed over. */
unsigned sms_reassembler_expire(struct sms_reassembler *r, uint64_t now_ms);
/* Earliest time a pending message expires, or UINT64_MAX when nothing waits. */
uint64_t sms_reassembler_next_deadline(const struct sms_reassembler *r);
/* Hand over everything pending now, incomplete (shutdown). */
unsigned sms_reassembler_flush(struct sms_reassembler *r);
unsigned sms_reassembler_pending(const struct sms_reassembler *r);
