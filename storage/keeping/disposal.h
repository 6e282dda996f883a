/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Disposal: removing the content of records past their retention period, leaving a
 * tombstone in the archive so that the hash chain still verifies.
 *
 * What is disposable: for each retention class (retention.h) with a period, the records
 * of its tables whose own time is before now - period, that no active legal hold covers
 * (legal_hold.h) and that have not been disposed already. The schedule applied is the
 * one in force (retention_current()).
 *
 *   class       tables (chain class)                       what is cleared
 *   messages    messages (message)                         sender_number, sender_id, text
 *               rx_pdus (rx-pdu)                           pdu
 *               questions (question)                       body
 *               unknown_senders (unknown-sender)           number
 *   deliveries  deliveries (delivery)                      recipient_id, recipient_number, body
 *   verdicts    verdicts (verdict)                         sender_id, reason, body
 *   calls       calls (call)                               initiator_id, initiator_number,
 *                                                          callee_id, reason
 *               call_legs (call-leg)                       person_id, number
 *               call_events (call-event)                   detail
 *               call_recordings (call-recording)           nothing: the row keeps the
 *                                                          file's SHA-256; the file is deleted
 * A call's legs, events and recording are past retention with their call (by the call's
 * time), and held with it.
 *
 * Never disposed here: opt-outs, notices, threads, hold decisions, delivery events,
 * directory changes, exports, disclosures, the access log, legal holds, disposals.
 * Times, ids, relay numbers and the links between records stay: the archive still
 * shows that a record existed, when, and that it was disposed, by whom, under what.
 *
 * Promises:
 * - disposal_dry_run() changes no record: it only appends its access record
 *   ("dispose-dry-run");
 * - disposal_run() is one transaction: the disposals row (operator, OS user,
 *   authorization, schedule, counts, date range), then per record a tombstone (class,
 *   id, record time, the chain's content hash of the record) and the update that clears
 *   its content, then the access record ("dispose"). Anything failing rolls all of it
 *   back. chain_verify() passes afterwards;
 * - a record covered by an active hold is never disposed;
 * - the recording files of the call recordings disposed of are deleted from
 *   who->recordings_dir after the commit (a file another recording still kept shares is
 *   not): the database never says a recording is disposed while its file is
 *   the only trace, and a file that cannot be deleted is named in the plan
 *   (files_left), the disposal standing; only names <64 hex digits>.<format> are
 *   ever deleted, in that directory;
 * - an empty authorization is refused (nothing changes). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/keeping/retention.h"
#include "storage/archive/progress.h"
#include "storage/archive/store.h"

/* One table of one class. */
struct disposal_table {
	enum retention_class rclass;
	const char *table; /* "messages" */
	const char *cls;   /* chain class: "message" */
	int64_t count, oldest, newest;
};

#define DISPOSAL_N_TABLES 10

struct disposal_hold {
	int64_t id;
	const char *name;
	int64_t records; /* disposable-by-age records it keeps back (all classes) */
	int64_t messages;
};

struct disposal_item {
	const char *cls;
	int64_t id, at;
};

/* A recording file a disposal deleted (or could not). */
struct disposal_file {
	const char *name; /* "<sha256>.flac" */
	const char *sha256;
	bool deleted;
	int err; /* when not deleted: -errno (-EINVAL: no directory given) */
};

struct disposal_plan {
	int64_t now;
	struct retention_in_force schedule;
	const char *schedule_json;
	int64_t cutoff[RET_N_CLASSES]; /* ms; 0 for classes kept forever */
	struct disposal_table tables[DISPOSAL_N_TABLES];
	int64_t total, oldest, newest; /* over all tables; oldest/newest 0 when total is 0 */
	int64_t class_total[RET_N_CLASSES];
	int64_t kept;		     /* distinct records past retention that holds keep back */
	struct disposal_hold *holds; /* active holds keeping something back */
	size_t n_holds;
	struct disposal_item *items; /* with list: every record, by class then id */
	size_t n_items;
	/* disposal_run only */
	int64_t disposal_id;
	int64_t at;
	struct disposal_file *files; /* the recordings' files, deleted after the commit */
	size_t n_files, files_left;
};

struct disposal_who {
	const char *operator; /* --as */
	const char *os_user;
	const struct store_progress *progress; /* NULL: none */
	/* Where the archive's call recordings are (rec_call_recordings_dir()); NULL: the
	 * files of disposed recordings are left, each named in files_left. */
	const char *recordings_dir;
};

/* What a disposal now would remove, and what holds keep back; records the access.
 * list: fill items. Allocated under ctx. 0, or -1 with a message in err. */
int disposal_dry_run(struct store *s, void *ctx, int64_t now, const struct disposal_who *who,
		     bool list, struct disposal_plan **out, char *err, size_t errlen);

/* Dispose of it. With nothing to dispose, no disposals row is written (disposal_id 0)
 * but the access is recorded. 0, or -1 with a message in err (nothing changed). */
int disposal_run(struct store *s, void *ctx, int64_t now, const struct disposal_who *who,
		 const char *authorization, struct disposal_plan **out, char *err, size_t errlen);
