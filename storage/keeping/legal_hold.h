/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Legal holds: records that must be kept whatever the retention schedule says, because
 * of litigation, an investigation or a pending public-records request.
 *
 * A hold names at least one of a person, a team and a date range, with a name (unique,
 * what the officer calls it: "smith-v-district") and a reason. While it is active it
 * covers a message when
 *   - the message's time is in [since, until) (either end open when not given), and
 *   - it names no person, or the person sent the message or was one of the recipients
 *     of its deliveries, and
 *   - it names no team, or the message's verdict was for that team, or its sender or
 *     one of its recipients is a member of the team.
 * What a message brings with it is covered with it: its verdicts, its deliveries, its
 * questions, its unknown-sender record and the PDUs it was assembled from. A delivery
 * or verdict with no message is covered by its own time, recipient or sender, and team.
 * A PDU or unknown-sender record that belongs to no message cannot be attributed to a
 * person: any active hold whose dates include its time keeps it.
 * A call is covered when its time is in the hold's dates, the hold's person asked for
 * it, was called, or was dialled into it (any leg), and the hold's team is the call's
 * or one of those persons is on it; its legs, events and recording go with it.
 *
 * Promises:
 * - holds and their releases are records (chained, never edited); a release ends a hold
 *   for good (a new hold is added to hold again), and a released hold covers nothing;
 * - adding or releasing a hold records an access ("hold-add", "hold-release") in the
 *   same transaction;
 * - bad input (no scope, an empty name or reason, a name in use, since not before until,
 *   an unknown or already released hold) is refused with a message; nothing changes;
 * - legal_hold_mark() is the one place that decides what a hold covers: disposal never
 *   clears a record it marked. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/archive/store.h"

struct legal_hold_spec {
	const char *name, *reason;
	int64_t person_id, team_id; /* 0 = any */
	int64_t since, until;	    /* ms UTC, [since, until); 0 = open */
	const char *created_by;	    /* the operator (--as) */
	const char *os_user;
};

/* The hold's id, or -1 with a message in err. */
int64_t legal_hold_add(struct store *s, const struct legal_hold_spec *h, char *err, size_t errlen);

/* Release the hold named `name_or_id` (its name, else its number). The hold's id, or -1
 * with a message in err. */
int64_t legal_hold_release(struct store *s, const char *name_or_id, const char *released_by,
			   const char *os_user, const char *note, char *err, size_t errlen);

struct legal_hold {
	int64_t id, at;
	const char *name, *reason, *created_by, *os_user;
	int64_t person_id, team_id, since, until;
	const char *person_handle, *person_name; /* NULL without a person */
	const char *team_tag, *team_name;	 /* NULL without a team */
	bool released;
	int64_t released_at;
	const char *released_by, *release_note;
	int64_t messages; /* messages it covers now (not yet disposed); released: 0 */
};

/* Holds, oldest first; active ones only unless `all`. Allocated under ctx. 0 or -1. */
int legal_hold_list(struct store *s, void *ctx, bool all, struct legal_hold **out, size_t *n);

/* For disposal: fill the connection's temporary table `held(class, ref_id, hold_id)` with
 * one row per (record, active hold covering it), for the records of the disposable
 * classes (chain class names: "message", "rx-pdu", "question", "unknown-sender",
 * "delivery", "verdict", "call", "call-leg", "call-event", "call-recording") whose own time is
 * before the cutoff of their retention class (ms; 0 = none of that class). Joins the caller's
 * transaction. 0 or -1. */
struct legal_hold_cutoffs {
	int64_t messages, deliveries, verdicts, calls;
};
int legal_hold_mark(struct store *s, const struct legal_hold_cutoffs *c);
