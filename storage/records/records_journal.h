/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The send journal: the parts of each delivery on their way to a phone, in the archive, so
 * that nothing sent is lost or silently doubled by a crash at any instant.
 *
 * Promises:
 * - a part's submit is a record (delivery_submits) written and committed by the caller
 *   before the part's PDU reaches the modem; its result is the delivery event that
 *   follows (sent with the TP-MR, failed, or waiting when the modem refused it for now);
 * - a submit with no result is a part whose fate is unknown (the daemon died, or the
 *   modem went silent after taking the PDU). The next submit of that part is recorded
 *   with resend = 1, "possibly duplicated": the only way the relay may send a part twice;
 * - every part of a long message carries the concatenation reference of its first
 *   submit, so that parts sent again after a restart complete the message on the phone;
 *   a new message to a phone takes the next reference after the last one used towards
 *   that number;
 * - a status report is matched in the archive, by the modem and TP-MR of the newest
 *   submit to the same number, or — when the submit's result was never recorded — to a
 *   part of unknown fate towards that number; delivery_reports says which, or that none
 *   matched. So reports that arrive after a restart still find their delivery.
 *
 * Functions return 0 (or a row id > 0) on success, -1 when the archive failed (the store's
 * error says why), -ENOENT where nothing matched. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "storage/archive/store.h"

/* Record the submit of `part` (1..parts) of a delivery to `modem`, with concatenation
 * reference `ref` (-1 for a message of one part). *resend (may be NULL) tells whether an
 * earlier submit of that part has no result. Returns the row id or -1. */
CHAPERONE_MUST_CHECK int64_t rec_part_submit(struct store *s, int64_t delivery_id, int64_t at,
					     const char *modem, unsigned part, unsigned parts,
					     int ref, bool *resend);

/* What the journal knows of a delivery's parts. */
struct rec_parts {
	unsigned parts;	  /* 0: never submitted */
	int ref;	  /* the reference of its first submit, -1 when none */
	uint8_t done[32]; /* bit p-1 set: part p was sent or failed for good */
	unsigned n_done;
	unsigned resends; /* submits recorded as possibly duplicated */
};
int rec_delivery_parts(struct store *s, int64_t delivery_id, struct rec_parts *out);
static inline bool rec_part_done(const struct rec_parts *p, unsigned part)
{
	return part >= 1 && part <= 255 && (p->done[(part - 1) / 8] >> ((part - 1) % 8) & 1);
}

/* The reference of the newest submit towards `number` (E.164), -ENOENT when none. */
int rec_last_ref(struct store *s, const char *number);

/* Deliveries that went part of the way: a part submitted, and a part neither sent nor
 * failed, while the delivery's latest status is sent or delivered (a report on part 1
 * can come before part 2 goes out; queued and waiting ones are sent again by the
 * ordinary poll). Oldest first. */
int rec_deliveries_incomplete(struct store *s, void (*cb)(int64_t delivery_id, void *data),
			      void *data);

/* A status report from `modem` about TP-MR `mr` to `recipient` (E.164), for a submit
 * made at or after `since` (ms): the delivery and part it reports on, how it was matched
 * ("mr" or "unknown-fate"), and whether that part already had a final report (a copy).
 * -ENOENT when nothing matches. */
struct rec_report_match {
	int64_t delivery_id;
	unsigned part;
	const char *matched_by;
	bool already_final;
};
int rec_report_match(struct store *s, const char *modem, int mr, const char *recipient,
		     int64_t since, struct rec_report_match *out);
/* Record what a report PDU (rx_pdus row) matched: delivery_id 0 for nothing. */
CHAPERONE_MUST_CHECK int64_t rec_report_add(struct store *s, int64_t at, int64_t rx_pdu_id,
					    int64_t delivery_id, unsigned part, unsigned status,
					    const char *matched_by);

/* Submits recorded on `modem` in each of the 24 hours before `now` (ms): hours[h] for h
 * hours ago, h = 0..23 — the carrier pacing's count across a restart. */
int rec_submits_by_hour(struct store *s, const char *modem, int64_t now, unsigned hours[24]);
