/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The message records: what arrived, what was decided, what was sent and what became of
 * it. The daemon's router writes them; `chaperone held` and (later) the records officer's
 * commands read them.
 *
 * Promises:
 * - records are appended, never edited (status changes and hold decisions are rows of
 *   their own); times are ms since the epoch, UTC;
 * - every function that writes joins the caller's transaction if one is open
 *   (store_begin), else commits on its own before returning — so a caller that wants
 *   "message + verdict + deliveries, or nothing" wraps them in store_begin/commit;
 * - ids returned are the rows' ids; 0 or -1 means failure (message via store_errmsg);
 *   the functions that write are CHAPERONE_MUST_CHECK: a caller must not go on (least
 *   of all send) as if a write it depends on had been made. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/utils.h> /* struct value_string */

#include "storage/archive/store.h"

/* A delivery's status, as its events record it. rec_status_names holds the words the
 * archive stores; a word it does not know is an error where it is read. */
enum rec_status {
	REC_ST_QUEUED,	  /* recorded, to be handed to a modem */
	REC_ST_HELD,	  /* waiting for an administrator or for the end of quiet hours */
	REC_ST_SKIPPED,	  /* not sent: opted out, or no phone on file */
	REC_ST_WAITING,	  /* on the queue of a modem that is down */
	REC_ST_SENT,	  /* a part accepted by the network */
	REC_ST_DELIVERED, /* a part confirmed delivered to the phone */
	REC_ST_FAILED,	  /* failed for good */
	REC_ST_REJECTED,  /* an administrator rejected the hold */
};
extern const struct value_string rec_status_names[];

/* ---- Inbound ---- */

/* Record a PDU as the modem handed it up. *dup_of is set to the id of an earlier
 * identical PDU on the same relay number within `dup_window_ms` (the network delivers
 * again when an acknowledgement was lost), else 0; a duplicate is recorded too. */
CHAPERONE_MUST_CHECK int64_t rec_rx_pdu_add(struct store *s, int64_t at, const char *modem,
					    const char *relay, bool status_report,
					    const char *pdu_hex, int decode_error,
					    int64_t dup_window_ms, int64_t *dup_of);

/* PDUs recorded but not yet part of a message (and not duplicates, not status reports):
 * what a restart must feed to reassembly again. Calls cb for each, oldest first. */
int rec_rx_pdus_unassembled(struct store *s,
			    void (*cb)(int64_t id, int64_t at, const char *modem, const char *relay,
				       const char *pdu_hex, void *data),
			    void *data);

struct rec_message {
	int64_t at, sent_at;
	const char *relay, *modem, *sender_number;
	int64_t sender_id; /* 0 when the number is not in the directory */
	const char *text;
	unsigned parts;
	bool complete;
	const int64_t *rx_pdu_ids; /* the parts, in order; n = parts */
	unsigned n_rx_pdu_ids;
};
CHAPERONE_MUST_CHECK int64_t rec_message_add(struct store *s, const struct rec_message *m);

/* ---- Verdicts ---- */

/* What a verdict decided about, and what it decided; rec_verdict_kind_names and
 * rec_action_names hold the words the archive stores. */
enum rec_verdict_kind {
	REC_V_RELAY,	      /* a message to relay (the policy engine's verdict) */
	REC_V_COMMAND,	      /* STOP, START, HELP, WHO, DISCARD */
	REC_V_UNKNOWN_SENDER, /* a number not in the directory */
	REC_V_QUESTION,	      /* the relay asked the sender whom or which team they meant */
	REC_V_ANSWER,	      /* the sender's answer to such a question */
	REC_V_SYSTEM,	      /* what the relay cannot relay at all (an empty message, ...) */
};
extern const struct value_string rec_verdict_kind_names[];

enum rec_action {
	REC_DELIVER,
	REC_HOLD,
	REC_BLOCK,
	REC_REPLY,  /* the relay answered the sender only */
	REC_IGNORE, /* nothing sent */
};
extern const struct value_string rec_action_names[];

struct rec_verdict {
	int64_t at, message_id, sender_id, team_id, exception_id;
	const char *relay;
	enum rec_verdict_kind kind;
	enum rec_action action;
	const char *rules; /* comma-separated rule ids, "" if none */
	const char *reason;
	const char *body;
	bool flagged, digest;
	const char *release; /* "admin", "time" or NULL */
	int64_t hold_until;
};
CHAPERONE_MUST_CHECK int64_t rec_verdict_add(struct store *s, const struct rec_verdict *v);

/* ---- Deliveries ---- */

struct rec_delivery {
	int64_t at, verdict_id, message_id, recipient_id;
	const char *relay, *recipient_number;
	const char *why; /* "addressed", "guardian-copy", "oversight", "reply", "digest", ... */
	const char *body;
	bool notice;
	enum rec_status status; /* first status: REC_ST_QUEUED (0), _HELD or _SKIPPED */
	const char *detail;	/* for the first event, may be NULL */
};
CHAPERONE_MUST_CHECK int64_t rec_delivery_add(struct store *s, const struct rec_delivery *d);

/* A status change: queued, waiting, sent (part, mr), delivered (part), failed (detail),
 * rejected, skipped. */
CHAPERONE_MUST_CHECK int rec_delivery_event(struct store *s, int64_t delivery_id, int64_t at,
					    enum rec_status status, const char *modem, int part,
					    int mr, const char *detail);

/* What a delivery is: for sending it again after a restart or a release. */
struct rec_delivery_row {
	int64_t id, verdict_id, recipient_id;
	const char *relay, *recipient_number, *body, *why;
	enum rec_status status;
	int64_t at;
	unsigned parts_sent, parts_delivered;
	bool notice; /* the body carries the recording notice */
	/* From its verdict: a crisis (flagged), a team message, and the team. */
	bool flagged, team_message;
	int64_t team_id;
};
/* Deliveries whose latest status is `status`, oldest first; limit 0 = all. A row whose
 * status is a word no enum has ends the walk with -1. */
int rec_deliveries_in_status(struct store *s, enum rec_status status, unsigned limit,
			     void (*cb)(const struct rec_delivery_row *row, void *data),
			     void *data);
int rec_delivery_get(struct store *s, int64_t id,
		     void (*cb)(const struct rec_delivery_row *row, void *data), void *data);
/* Count of deliveries per latest status, for `show queues` / `show stats`. */
int rec_delivery_counts(struct store *s, void (*cb)(enum rec_status status, int64_t n, void *data),
			void *data);

/* ---- Holds ---- */

struct rec_held {
	int64_t verdict_id, message_id, sender_id, at, hold_until;
	const char *relay, *rules, *reason, *release, *body, *sender_number;
	unsigned n_deliveries;
};
/* Verdicts that held a message and have no decision yet, oldest first. */
int rec_held_list(struct store *s, void (*cb)(const struct rec_held *h, void *data), void *data);
/* What a verdict is as a hold, for a decision by SMS. */
enum rec_hold_state {
	REC_HOLD_NONE,	    /* no such verdict, or not a hold */
	REC_HOLD_FOR_ADMIN, /* waiting for an administrator */
	REC_HOLD_FOR_TIME,  /* waiting for the end of quiet hours */
	REC_HOLD_DECIDED,   /* decided already (*by: who, allocated under ctx) */
};
/* The state, or -1 when the archive could not be read. */
int rec_hold_state(struct store *s, void *ctx, int64_t verdict_id, const char **by);
/* Time-released holds whose hold_until <= now. */
int rec_held_due(struct store *s, int64_t now, void (*cb)(const struct rec_held *h, void *data),
		 void *data);
/* Decide a hold: "released" moves its held deliveries to queued (and records the notice
 * of those that carry it as given), "rejected" to rejected, in one transaction with the
 * decision row. -1 if the verdict is not an undecided hold
 * (unknown id, not a hold, or already decided). */
CHAPERONE_MUST_CHECK int rec_hold_decide(struct store *s, int64_t verdict_id, int64_t at,
					 bool release, const char *by, const char *note);

/* ---- Notices, opt-outs, unknown senders ---- */

CHAPERONE_MUST_CHECK int rec_notice_add(struct store *s, int64_t at, const char *relay,
					int64_t person_id, int64_t delivery_id);
/* Every (relay, person) that has had the notice. */
int rec_notices_each(struct store *s, void (*cb)(const char *relay, int64_t person_id, void *data),
		     void *data);
CHAPERONE_MUST_CHECK int rec_optout_add(struct store *s, int64_t at, const char *relay,
					const char *number, int64_t person_id, bool stop,
					int64_t message_id);
/* The current opt-out state: cb for each (relay, number, person) whose latest action is stop. */
int rec_optouts_each(struct store *s,
		     void (*cb)(const char *relay, const char *number, int64_t person_id,
				void *data),
		     void *data);
/* Has this number been opted out of this relay (latest action stop)? 1 yes, 0 no, -1 the
 * archive could not be read (a caller treats that as yes: nobody is texted on a guess). */
CHAPERONE_MUST_CHECK int rec_optout_active(struct store *s, const char *relay, const char *number);
CHAPERONE_MUST_CHECK int rec_unknown_sender_add(struct store *s, int64_t at, const char *relay,
						const char *number, int64_t message_id,
						bool replied);
/* When did we last reply to this unknown number on this relay (ms), 0 if never, -1 when the
 * archive could not be read. */
CHAPERONE_MUST_CHECK int64_t rec_unknown_last_reply(struct store *s, const char *relay,
						    const char *number);

/* ---- Threads and questions ---- */

CHAPERONE_MUST_CHECK int rec_thread_add(struct store *s, int64_t at, const char *relay,
					int64_t person_id, int64_t team_id, int64_t counterpart_id,
					int64_t message_id);
/* The latest thread of person on relay at or after `since`: 0 and ids set, or -1. */
int rec_thread_last(struct store *s, const char *relay, int64_t person_id, int64_t since,
		    int64_t *team_id, int64_t *counterpart_id);

/* A crisis conversation of a student on relay, active at or after `since`: opened by a
 * staff member's !crisis answer, continued by every flagged crisis message in it, ended by
 * an administrator's CLOSE (a thread row whose verdict's rules are "crisis-close").
 * 1 and *staff_id, *team_id set when open; 0 when none; -1 when the archive could not be
 * read. */
int rec_crisis_open(struct store *s, const char *relay, int64_t student_id, int64_t since,
		    int64_t *staff_id, int64_t *team_id);
#define REC_RULE_CRISIS_CLOSE "crisis-close"
/* An administrator's ACK @name: a thread row of the student (with its staff member) whose
 * verdict's rules are "crisis-ack"; rec_crisis_open does not count it as a message. */
#define REC_RULE_CRISIS_ACK "crisis-ack"

/* A crisis conversation as the records tell it (rec_crises_open). */
struct rec_crisis {
	const char *relay;
	int64_t student_id, staff_id, team_id;
	/* The message that opened it (a staff member's !crisis answer), its verdict and
	 * time; its last crisis message's time. */
	int64_t message_id, verdict_id, opened_at, last_at;
	bool acknowledged; /* an administrator's ACK since it opened */
	bool alerted;	   /* an alert (delivery "alert") about its opening message exists */
};
/* Every crisis conversation open now: a crisis message at or after `since` (now less the
 * crisis window), not closed since it opened; cb for each, oldest first. It opened with
 * the first crisis message after the last close, or after a gap of more than the window
 * (window_ms). c and its relay are valid during the call only. 0, or -1 when the archive
 * could not be read. */
int rec_crises_open(struct store *s, int64_t since, int64_t window_ms,
		    void (*cb)(const struct rec_crisis *c, void *data), void *data);
/* The people a crisis verdict alerted (deliveries "crisis-alert"): cb for each number
 * once. 0 or -1. */
int rec_crisis_alerted(struct store *s, int64_t verdict_id,
		       void (*cb)(int64_t person_id, const char *number, void *data), void *data);

/* A request for an exception, made by SMS (ASK) after a message to one student was
 * refused, and its answer (ALLOW, DENY). */
struct rec_exception_request {
	int64_t id, at, staff_id, student_id, team_id, message_id, blocked_verdict_id;
	const char *relay;
	/* Decided: */
	bool decided, allowed;
	int64_t decided_at, decided_by, exception_id;
};
/* The sender's latest message on relay since `since` that guardian-copy refused: 1 and
 * the verdict, message, team and the message's text (under ctx); 0 when none; -1. */
int rec_last_guardian_block(struct store *s, void *ctx, const char *relay, int64_t sender_id,
			    int64_t since, int64_t *verdict_id, int64_t *message_id,
			    int64_t *team_id, char **text);
/* Record a request; its id, or -1. */
CHAPERONE_MUST_CHECK int64_t rec_exception_request_add(struct store *s,
						       const struct rec_exception_request *r);
/* Read one (relay copied under ctx): 1, 0 when there is none of that id, -1 on failure. */
int rec_exception_request_get(struct store *s, void *ctx, int64_t id,
			      struct rec_exception_request *out);
/* Decide an undecided request: 0, or -1 (decided already, unknown, or failure). */
CHAPERONE_MUST_CHECK int rec_exception_request_decide(struct store *s, int64_t id, int64_t at,
						      bool allowed, int64_t decided_by,
						      int64_t exception_id, int64_t message_id);

struct rec_question {
	int64_t id, at, person_id, message_id;
	const char *relay, *kind, *body;
	bool urgent, crisis;
};
CHAPERONE_MUST_CHECK int64_t rec_question_add(struct store *s, const struct rec_question *q);
/* The open (unanswered) question of person on relay asked at or after `since`. */
int rec_question_open(struct store *s, const char *relay, int64_t person_id, int64_t since,
		      void (*cb)(const struct rec_question *q, void *data), void *data);
CHAPERONE_MUST_CHECK int rec_question_close(struct store *s, int64_t question_id, int64_t at,
					    const char *outcome, int64_t message_id);

/* ---- Oversight digest ---- */

struct rec_digest_item {
	int64_t verdict_id, at, sender_id, team_id;
	const char *action, *body, *reason;
};
/* Verdicts marked for the digest with at in [from, to), for the given team. */
int rec_digest_items(struct store *s, int64_t team_id, int64_t from, int64_t to,
		     void (*cb)(const struct rec_digest_item *it, void *data), void *data);
/* Time of the last digest delivery to this person (0 if none). */
int64_t rec_last_digest(struct store *s, int64_t person_id);

/* ---- Counts for `show stats` ---- */
struct rec_counts {
	int64_t messages_in, deliveries, blocked, held, unknown, optouts;
};
int rec_counts(struct store *s, struct rec_counts *c);
