/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Public-records export: the bundle a records officer hands to a requester, and its
 * later verification.
 *
 * A bundle is a directory holding
 *   transcript.html  a readable, self-contained (no external resources), printable
 *                    transcript grouped by conversation (records_query.h threads);
 *   records.csv      one row per message, and deliveries.csv one row per delivery;
 *   records.jsonl    one JSON object per message, with its deliveries;
 *   calls.csv, call-legs.csv, call-events.csv, calls.jsonl
 *                    the calls the query selects (records_query.h), with their legs,
 *                    events and what became of their recordings, numbered within the
 *                    bundle (the transcripts tell each call in words too);
 *   call-NNNN.flac   the recording of call NNNN, copied and re-hashed as it was copied;
 *   README.txt       what the bundle is and how to check it;
 *   manifest.json    the request (id, requester, purpose), the operator, the query, the
 *                    redaction, the archive's chain head it was taken from (an anchor
 *                    line, chain.h), and the SHA-256 and size of every other file.
 *
 * Promises:
 * - the directory is created 0700 and its files 0600 (or 0750/0640 with a group);
 *   an existing non-empty directory is refused; a failed export removes what it wrote;
 * - the export is recorded in the archive (exports row, chained) with the manifest's
 *   SHA-256, and when students' records leave the district, one disclosure row per
 *   student (FERPA's record of disclosure), and an access-log entry;
 * - redaction (EXPORT_REDACT_STUDENTS / _GUARDIANS) replaces every such person of the
 *   directory (not only those in the results) — names, handles and phone numbers, in
 *   the fields and inside message bodies, in any spelling of the number — with a stable
 *   pseudonym ("Student KTQF"): the same person gets the same pseudonym for the same
 *   request with the same redaction key, and no one can reverse it without the key
 *   (kept outside the archive; its id is in the manifest);
 *   the query in the manifest is redacted too;
 * - calls are redacted as messages are (their persons by who they are, the reason, the
 *   end and every event's detail as text among the call's parties). A recording cannot
 *   be pseudonymised: one of a call that has a redacted party (who asked for it, whom it
 *   was for, anyone dialled — their voice, or the relay saying their name) is withheld,
 *   and so is one whose call's spoken prompts named a redacted person; the manifest,
 *   README and transcripts say for each call whether its recording is in the bundle,
 *   withheld and why, or not copied because the archive's file is missing, altered or
 *   unreadable (never copied as if it were fine). Calls are numbered within the bundle:
 *   the archive's call ids are not disclosed (a requester's number for "call 3" could
 *   otherwise tie pseudonyms of different requests to one call);
 * - export_verify() recomputes every file's hash against the manifest, reports files
 *   added, missing or changed, and (with a store) that the manifest is the one the
 *   archive recorded. */
#pragma once

#include <stdio.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/records/records_query.h"
#include "storage/archive/progress.h"
#include "storage/archive/store.h"

enum export_redact {
	EXPORT_REDACT_STUDENTS = 1 << 0,
	EXPORT_REDACT_GUARDIANS = 1 << 1,
};

struct export_request {
	const char *request;   /* the request's id, e.g. "PRR-2026-041" */
	const char *requester; /* who asked */
	const char *purpose;
	const char *operator, * os_user; /* who exported (NULL: the OS user) */
	const char *out_dir;
	const char *group; /* NULL, or a group to give read access */
	unsigned redact;   /* enum export_redact */
	/* With redact 0: why the district discloses names (recorded with the export, in the
	 * manifest and the README); NULL when it gave none. */
	const char *no_redact_reason;
	/* Staff members' personal numbers: withheld (false, the default: left out of the
	 * fields, "[staff number]" in texts) or shown. */
	bool staff_numbers_shown;
	/* The redaction key (redaction_key.h, REDACTION_KEY_LEN bytes): required when
	 * anyone is redacted; NULL otherwise. */
	const uint8_t *redaction_key;
	const struct rq_query *query;
	const struct store_progress *progress; /* NULL: none */
	/* Where the archive's call recordings are; NULL: beside the archive
	 * (rec_call_recordings_dir()). */
	const char *recordings_dir;
	/* More conversations than this: transcript.html is an index, and each conversation
	 * is a file of its own (conversation-0001.html, ...). 0: 50. */
	size_t split_over;
};

struct export_summary {
	int64_t export_id;
	size_t messages, deliveries, disclosures;
	size_t calls, rec_copied, rec_withheld;
	/* Recordings not copied because the archive's file is missing, altered or
	 * unreadable, and one line per such recording for the officer (the archive's call
	 * id and the file's path), allocated under the export's ctx; NULL when none. */
	size_t rec_faults;
	const char *rec_fault_lines;
	size_t replaced, kept; /* the redaction review's entries */
	char manifest_sha256[65];
};

/* Run the query and write the bundle. 0, or -1 with a message in err (nothing left
 * behind, nothing recorded). */
int export_write(struct store *s, void *ctx, const struct export_request *r,
		 struct export_summary *out, char *err, size_t errlen);

/* Check a bundle. s may be NULL (files against the manifest only). Returns 0 if it
 * holds, 1 if not (each problem is one line in report), -1 if the directory is not a
 * bundle (message in report). */
int export_verify(const char *dir, struct store *s, char *report, size_t cap);
/* The same, telling `progress` (may be NULL) file by file. */
int export_verify_progress(const char *dir, struct store *s, char *report, size_t cap,
			   const struct store_progress *progress);

/* One CSV field (RFC 4180 quoting by libcsv) and then "," or `eol`: a field a spreadsheet
 * would run as a formula (starting with = + - @, a tab or a carriage return, other than
 * a phone number) is prefixed with an apostrophe, so opening the file cannot run what a
 * message said. The export's CSV files and `records search --format csv` both use it.
 * 0, or -1 when out of memory or the stream failed. */
int export_csv_cell(FILE *f, const char *s, const char *eol);
