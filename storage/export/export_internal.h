/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* What the export's writers share (storage/export/records_export.c and export_*.c only).
 *
 * The writers are handed the records exactly as they will leave the district: the
 * redaction (redact.h) has already been applied to every string, and redacted persons
 * carry their pseudonym as their name, no handle, no number and no id. A writer only
 * formats; it decides nothing about what may be disclosed. */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "storage/archive/chain.h"
#include "storage/records/records_query.h"

/* One line of the redaction review: something the redactor replaced, or a name word of
 * a redacted person it left alone, with the (redacted) text around it. */
struct export_review_row {
	size_t msg;	     /* index in msgs, or (size_t)-1 outside any message (the query) */
	size_t call;	     /* the call's number in the bundle (1..), or 0 */
	const char *field;   /* "text", "body", "reason", "team", "name", "query" */
	int64_t delivery_id; /* for a body, else 0 */
	const char *rule;    /* redact_rule_name() */
	const char *label;   /* the pseudonym, or whom a kept word could name */
	const char *context; /* up to ~40 bytes either side, the hit between ⟦ and ⟧ */
};

/* What became of a call's recording in the bundle. */
enum export_rec {
	EXPORT_REC_NONE,       /* the call was not recorded */
	EXPORT_REC_COPIED,     /* copied, re-hashed as it was: the bundle's file */
	EXPORT_REC_WITHHELD,   /* a redacted person is in it: not copied (why says who) */
	EXPORT_REC_DISPOSED,   /* deleted under the retention schedule */
	EXPORT_REC_MISSING,    /* the archive's file is not there: not copied */
	EXPORT_REC_ALTERED,    /* the archive's file does not match its SHA-256: not copied */
	EXPORT_REC_UNREADABLE, /* the archive's file could not be read: not copied */
};

/* "none", "copied", "withheld", "disposed", "missing", "altered", "unreadable". */
const char *export_rec_name(enum export_rec r);

/* A call as it leaves the district: struct rq_call redacted like a message (its persons
 * disclosed by who they are; team, reason, end and each event's detail looked into as
 * text among the call's parties; a spoken prompt's audio hash dropped when its text
 * named a redacted person, since hashing candidate names would confirm one), and what
 * became of its recording. The archive's ids (call, legs, events) are kept here only to
 * tie events to legs; the writers number calls, legs and events within the bundle. */
struct export_call {
	struct rq_call c;
	size_t number; /* 1..n_calls, in time order */
	enum export_rec rec;
	const char *rec_file; /* EXPORT_REC_COPIED: the file's name in the bundle */
	char rec_sha256[65];  /* EXPORT_REC_COPIED: the copy's SHA-256 (the archive's) */
	const char *rec_why;  /* why it was withheld or not copied; NULL otherwise */
};

/* The number (1..n_legs) of the call's leg with this archive id; 0 for the call's own
 * events (leg_id 0) or a leg it does not have. */
size_t export_call_leg(const struct rq_call *c, int64_t leg_id);

/* A readable account of a call, as lines of plain text (the transcripts escape and lay
 * them out): when, the relay and team, who called whom, the decision and why, each leg
 * (answered or not), how it ended, the recording (copied, withheld and why, or not
 * copied and why), then each step. Allocated under ctx; NULL when out of memory. */
const char **export_call_account(void *ctx, const struct export_call *x, size_t *n);

struct export_doc {
	/* The cover, as printed. */
	const char *request, *requester, *purpose;
	const char *operator, * os_user;
	const char *created;	/* "2026-11-22T14:03:07.250Z" */
	const char *query_json; /* the (redacted) query, a JSON object */
	const char *redaction;	/* "none", "students", "guardians", "students,guardians" */
	int64_t head_seq;
	char head_hash[2 * CHAIN_HASH_LEN + 1];
	char anchor[CHAIN_ANCHOR_LEN];
	/* The records, in the query's order (time, or conversation with --thread). */
	const struct rq_message *msgs;
	size_t n, n_deliveries;
	/* Conversations, numbered 1..n_conv in order of their first message; conv[i] is
	 * message i's, conv_title[c] conversation c's heading. */
	const size_t *conv;
	const char *const *conv_title;
	size_t n_conv;
	/* Message indexes conversation by conversation (time order within each). */
	const size_t *by_conv;
	/* The calls, in time order, as disclosed. */
	const struct export_call *calls;
	size_t n_calls;
	size_t rec_copied, rec_withheld, rec_faults; /* recordings copied, withheld, not copied
						      * for a fault of the archive's file */
	/* What the redaction did, in the order it was done (message by message). */
	const struct export_review_row *review;
	size_t n_review;
	const char *staff_numbers;    /* "withheld" or "shown" */
	const char *redaction_key_id; /* "" when no key was used */
	const char *zone;	      /* the district's time zone, or NULL: the machine's */
	/* The recording notice the relay put before each person's first message (the first
	 * line of such a body), shown once on the cover of the transcripts; NULL if none. */
	const char *notice;
	/* Split: transcript.html is an index of conversation files; only_conv (1..n_conv)
	 * makes export_html() write that conversation's file; 0 the whole transcript. */
	bool split;
	size_t only_conv;
};

/* A body as the transcripts show it: without the recording notice's line when the
 * delivery carried it (d->notice, the cover, says it once). */
const char *export_body_shown(const struct export_doc *d, const struct rq_delivery *dl);

/* Each returns 0, or -1 when the stream failed. */
int export_html(FILE *f, const struct export_doc *d);		 /* export_html.c */
int export_csv_records(FILE *f, const struct export_doc *d);	 /* export_csv.c */
int export_csv_deliveries(FILE *f, const struct export_doc *d);	 /* export_csv.c */
int export_jsonl(FILE *f, const struct export_doc *d);		 /* export_jsonl.c */
int export_csv_review(FILE *f, const struct export_doc *d);	 /* export_csv.c */
int export_pdf(FILE *f, const struct export_doc *d);		 /* export_pdf.c */
int export_csv_calls(FILE *f, const struct export_doc *d);	 /* export_csv.c */
int export_csv_call_legs(FILE *f, const struct export_doc *d);	 /* export_csv.c */
int export_csv_call_events(FILE *f, const struct export_doc *d); /* export_csv.c */
int export_jsonl_calls(FILE *f, const struct export_doc *d);	 /* export_jsonl.c */

/* The bundle's files in the manifest's order (manifest.json itself is not listed). */
#define EXPORT_MANIFEST "manifest.json"
#define EXPORT_FILES                                                                               \
	X("transcript.html")                                                                       \
	X("transcript.pdf")                                                                        \
	X("records.csv")                                                                           \
	X("deliveries.csv")                                                                        \
	X("records.jsonl")                                                                         \
	X("calls.csv")                                                                             \
	X("call-legs.csv")                                                                         \
	X("call-events.csv")                                                                       \
	X("calls.jsonl")                                                                           \
	X("redaction-review.csv")                                                                  \
	X("README."                                                                                \
	  "txt")

/* The errno of a bundle's name that is not a regular file (a FIFO, a device, a
 * directory): strerror() says "Wrong medium type"; callers say it in words. */
#define EFTYPE_NOT_REGULAR EMEDIUMTYPE

/* A file of a bundle opened for reading: a regular file only, never following a link,
 * never waiting. fd, or -1 with errno (EFTYPE_NOT_REGULAR when it is not a regular
 * file). */
int export_open_file(int dfd, const char *name);

/* SHA-256 (hex) and size of a file of a bundle, read from the disk: 0, or -1 with errno
 * (records_export.c). */
int export_hash_file(int dfd, const char *name, char hex[65], int64_t *size);

/* A bidirectional control character at s (LRM, RLM, ALM, the embeddings, overrides
 * and isolates): its length in bytes, and *cp its code point; 0 if s is not one. The
 * transcripts show them as "[U+202E]" rather than obey them, so that an override cannot
 * make "gnp.exe" read "exe.png". */
size_t export_bidi_control(const unsigned char *s, unsigned *cp);

/* A time as the transcripts show it: in the district's zone (the process's local zone;
 * the CLI takes it from the archive), "2026-09-13 07:46:40 EDT", and the UTC instant
 * "2026-09-13T11:46:40.000Z". */
void export_time_local(char local[48], char utc[32], int64_t ms);

/* The message into err (vsnprintf), and -1: how the export's files report failures. */
int export_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A call's recording copied into the bundle: the call's number, the format's extension. */
#define EXPORT_RECORDING_FILE "call-%04zu.%s"

/* A conversation's file of a split request. */
#define EXPORT_CONVERSATION_FILE "conversation-%04zu.html"

/* The manifest's format name, checked by export_verify(). */
#define EXPORT_FORMAT "chaperone-export/1"
