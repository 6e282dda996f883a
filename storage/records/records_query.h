/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The records officer's query: which messages of the archive match a person, a team, a
 * date range, a direction, a verdict or rule, and words of their text — the one query
 * that `chaperone records search`, `records export`, holds and (later) the records
 * portal all use, so a request answered on screen and the bundle handed over select
 * the same records.
 *
 * The unit is the message: what someone texted to a relay number, with the verdict the
 * policy gave it and every delivery the relay made of it (the copies to the team, the
 * guardians, the overseers, the reply to the sender). A person "took part" in a message
 * when they sent it or were one of its recipients.
 *
 * Threads: a message belongs to the conversation
 *   (relay number, team, staff member, student)
 * where the student is the one student the message was from, to, or about (a guardian's
 * message is about their student), or "the team" when it went to more than one student.
 * `--thread` widens the results to every message of each matched conversation (within
 * the query's dates, if any) and orders them conversation by conversation.
 *
 * Promises:
 * - every filter narrows (AND); a person or team that is not in the directory is an
 *   error naming it, not an empty result; a person given by a name that several persons
 *   share is an error listing them (give the handle);
 * - a number that is not in the directory still matches messages from or to it (unknown
 *   senders are records too);
 * - the text filter is an SQLite FTS5 query over what people wrote ("bus AND late",
 *   "practice*", "\"field trip\""); a malformed one is an error, not a crash;
 * - disposed messages are returned only with include_disposed, marked as such, without
 *   content;
 * - results are sorted by time (then id), or by conversation then time with thread;
 *   everything returned is allocated under the result.
 *
 * Calls (records_calls.h) are records beside the messages, selected by the filters that
 * mean something for a call: the person (the initiator, the callee, or the person of
 * any leg; a number not in the directory: the initiator's or a leg's number), the
 * direction (sent: calls the person initiated; received: the others), the team (the
 * call's team, or a party on it), the relay, the dates (the call's time) and flagged.
 * A filter only messages have (verdict, rule, held, text) matches no call. Calls are
 * sorted by time (then id), limited by the same limit, and never widened by thread;
 * disposed calls only with include_disposed, without the persons and numbers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/archive/store.h"

enum rq_direction {
	RQ_ANY = 0,
	RQ_SENT,     /* messages the person sent */
	RQ_RECEIVED, /* messages the person was a recipient of */
};

struct rq_query {
	const char *person;	     /* handle ("@rileyc"), full name, or phone number */
	enum rq_direction direction; /* relative to person; RQ_ANY without one */
	const char *team;	     /* tag ("#soccer") or name */
	const char *relay;	     /* relay number, any spelling */
	int64_t since, until;	     /* ms UTC, [since, until); 0 = open */
	const char *verdict;	     /* "deliver", "hold", "block", "reply", "ignore" */
	const char *rule;	     /* a rule id the verdict cites: "guardian-copy", ... */
	bool flagged;		     /* only messages flagged for review (crisis) */
	bool held;		     /* only messages that were held for review */
	const char *text;	     /* FTS5 query */
	bool thread;		     /* widen to whole conversations */
	bool include_disposed;
	unsigned limit; /* 0 = no limit (applied before thread widening); the result's
			 * total says how many matched in all */
};

#define RQ_TOTAL_CAP 10000

struct rq_person {
	int64_t id; /* 0 when the number is not in the directory */
	const char *name, *handle, *role, *number;
};

struct rq_delivery {
	int64_t id, at;
	struct rq_person to;
	const char *why;    /* "addressed", "guardian-copy", "oversight", "reply", ... */
	const char *status; /* the latest: "delivered", "sent", "failed", "held", ... */
	int64_t sent_at;    /* when it (its first part) was sent; 0: never was */
	bool notice;	    /* the body starts with the recording notice (its first line) */
	const char *body;   /* what the recipient's phone received */
};

struct rq_message {
	int64_t id, at;
	const char *relay;
	struct rq_person from;
	int64_t team_id; /* 0 if none */
	const char *team_tag, *team_name;
	const char *text;
	/* The verdict (the latest one about this message). */
	int64_t verdict_id;
	const char *action, *rules, *reason;
	bool flagged, held, disposed;
	/* A held message's decision: "released" or "rejected" (NULL while still held, or
	 * never held), when, by whom, and the note the administrator wrote. */
	const char *hold_decision, *hold_by, *hold_note;
	int64_t hold_at;
	/* "RELAY|team id|staff id|student id or 'team'" — equal for one conversation. */
	const char *thread_key;
	struct rq_delivery *deliveries;
	size_t n_deliveries;
};

/* A call's leg: a phone the relay dialled, or the caller's own. */
struct rq_call_leg {
	int64_t id, at;
	struct rq_person who;
	const char *role; /* "caller", "callee", "guardian", "overseer" */
	unsigned channel; /* its channel in the recording */
	bool answered;	  /* the leg has an "answer" event */
};

struct rq_call_event {
	int64_t id, at;
	int64_t leg_id;	    /* 0: the call's own (the end) */
	const char *kind;   /* "dial", "answer", ..., "end" */
	const char *detail; /* may be NULL */
};

struct rq_call {
	int64_t id, at;
	const char *relay;
	struct rq_person initiator, callee; /* callee.number NULL (and id 0) when none */
	int64_t team_id;		    /* 0 if none */
	const char *team_tag, *team_name;
	bool incoming;			     /* the initiator called the relay number */
	const char *action, *rules, *reason; /* "connect" or "refuse" */
	bool flagged, disposed;
	const char *end; /* the end's cause ("" when it gave none); NULL: no end recorded */
	struct rq_call_leg *legs;
	size_t n_legs;
	struct rq_call_event *events;
	size_t n_events;
	/* The recording (NULL sha256 when the call has none). rec_disposed: its file was
	 * deleted by a disposal (the row keeps the hash it had). */
	const char *rec_sha256, *rec_format;
	int64_t rec_bytes, rec_duration_ms;
	unsigned rec_channels;
	bool rec_recovered, rec_disposed;
};

struct rq_result {
	struct rq_message *messages;
	size_t n;
	/* The calls that match, by time; calls_total as total is for messages. */
	struct rq_call *calls;
	size_t n_calls;
	int64_t calls_total;
	/* How many messages match in all: n, or more when the limit cut the list (the
	 * first page of a search and the size of the whole answer, without loading it);
	 * counted up to RQ_TOTAL_CAP, beyond which it is RQ_TOTAL_CAP + 1 ("more than"). */
	int64_t total;
	/* Distinct directory persons among senders and recipients (and the calls'
	 * initiators, callees and legs), for the access log. */
	int64_t *person_ids;
	size_t n_persons;
	/* The query as JSON (canonical: only the filters given), for the access log and
	 * export manifests. */
	const char *query_json;
};

/* Run the query. NULL on error, with a message in err. */
struct rq_result *rq_run(struct store *s, void *ctx, const struct rq_query *q, char *err,
			 size_t errlen);

/* Parse a date for --since/--until: "2026-09-01" (local midnight) or
 * "2026-09-01T14:30" (local) or ms; until_end rounds a bare date up to the end of that
 * day. Times as the CLI prints them are taken back: "2026-09-01T12:00:00.250Z" (UTC,
 * milliseconds) and "2026-09-01 08:00 EDT" (the box's zone, or UTC/GMT). 0 or -1. */
int rq_parse_date(const char *s, bool until_end, int64_t *ms);
