/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The router: from a message that arrived on a relay number to the records and the
 * deliveries it causes.
 *
 * For each inbound message (already reassembled; its PDUs already recorded) the router
 *   1. records the message;
 *   2. works out who sent it (directory, by number) and what they mean: a command (HELP,
 *      WHO, STOP, START, DISCARD), an addressed message (grammar.h), an unaddressed reply
 *      (the last student or guardian message forwarded to this staff member within the
 *      thread window), or the answer to a question the gateway asked;
 *   3. asks the policy engine for a verdict, or — when it cannot tell what the sender
 *      means — holds the message and asks (it never guesses);
 *   4. records the verdict and one delivery per recipient (and the reply to the sender),
 *      all in the same transaction as the message;
 *   5. only then hands the queued deliveries to the transport (the modems).
 * Unknown numbers are recorded, never forwarded, and get one polite reply a day.
 *
 * router_poll() does the rest of the work over time: deliveries released by an
 * administrator (`chaperone held release`, another process), quiet-hours holds that are
 * due, deliveries left queued by a crash, directory edits.
 *
 * The router does no I/O of its own but through the store and the transport, and takes
 * the time from its callers, so that tests and benchmarks drive it directly. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "gateway/policy/policy.h"
#include "gateway/policy/policy_call.h"
#include "storage/archive/store.h"

struct router;

struct router_config {
	struct policy_config policy;
	const char *district;	    /* "Lakeview Public Schools" */
	const char *default_cc;	    /* country code for national numbers, "1" */
	unsigned thread_window_s;   /* unaddressed replies go to a thread this recent (24 h) */
	unsigned crisis_window_s;   /* a crisis conversation stays open this long after its
				     * last message, unless closed (72 h) */
	unsigned question_window_s; /* an open question can be answered this long (1 h) */
	unsigned unknown_reply_s;   /* at most one reply per unknown number per (24 h) */
	unsigned digest_hour;	    /* local hour of the daily oversight digest (17) */
	unsigned max_parts;	    /* most SMS parts a relayed message may take (255) */
};
void router_config_defaults(struct router_config *cfg);

enum router_lane { ROUTER_LANE_URGENT, ROUTER_LANE_CONVERSATION, ROUTER_LANE_BULK };

/* One recorded delivery to hand to a modem. */
struct router_send {
	int64_t delivery_id;
	const char *relay; /* send from this relay number */
	const char *to;	   /* E.164 */
	const char *body;
	/* A delivery that went part of the way before a restart: the concatenation
	 * reference its parts carry (-1: none yet, take router_concat_ref() when the body
	 * needs parts) and the parts not to send again (NULL: none; bit p-1 for part p). */
	int ref;
	const uint8_t *done;
	/* How soon: urgent (crisis), conversation (person to person, replies), bulk (team
	 * messages, digests); bulk messages of one team (group) take turns with other
	 * teams'. */
	enum router_lane lane;
	int64_t group;
};

enum router_send_result {
	ROUTER_SEND_QUEUED = 0,	 /* on a ready modem's queue */
	ROUTER_SEND_WAITING = 1, /* on the queue of a modem that is down: recorded as waiting */
	ROUTER_SEND_FAILED = -1, /* cannot be sent at all (no modem for that relay, bad text) */
};

/* One person of a relayed call, as the call flow needs them after the directory that
 * planned the call may have been reloaded. */
struct router_call_party {
	int64_t person_id;
	const char *number; /* E.164 */
	const char *name;   /* as the directory shows them: "Coach Dana Lee" */
	enum policy_call_role role;
	enum policy_call_side side;
};

/* A call the rules allow, recorded (calls row call_id), for the transport to place. The
 * strings and arrays live until place_call returns. */
struct router_call_order {
	int64_t call_id;
	int64_t at;	   /* ms UTC, when it was asked for */
	const char *relay; /* the relay number the caller used: the one the parties know */
	const char *team;  /* the team's name, or NULL */
	bool guardian_required, crisis;
	struct router_call_party caller, callee;
	const struct router_call_party *guardians; /* in roster order, until one answers */
	unsigned n_guardians;
	const struct router_call_party *overseers; /* a summary after the call */
	unsigned n_overseers;
};

struct router_transport {
	enum router_send_result (*send)(const struct router_send *o, const char **why, void *data);
	/* Lines free to place a call on now (modems that carry calls, ready, with no call),
	 * and in *total how many there are at all. NULL: the relay places no calls. */
	unsigned (*call_lines)(unsigned *total, void *data);
	/* Place a call the router recorded as allowed. From here the call is the
	 * transport's: it records the legs, the events and the end. NULL: calls are only
	 * decided. */
	void (*place_call)(const struct router_call_order *o, void *data);
};

struct router *router_alloc(void *ctx, struct store *s, const struct router_config *cfg,
			    const struct router_transport *tp, void *tp_data);
/* Put cfg in force from the next message on (the console's `policy` and `chaperone`
 * settings apply live). Strings are copied; cfg may be changed or freed afterwards. */
void router_set_config(struct router *r, const struct router_config *cfg);
void router_free(struct router *r);

/* (Re)load the directory and the opt-out and notice state from the store. */
int router_load(struct router *r);
const struct directory *router_directory(const struct router *r);

struct router_inbound {
	int64_t at;	 /* ms UTC, when the (first part of the) message arrived */
	int64_t sent_at; /* SMSC time stamp, ms UTC, or 0 */
	const char *relay, *modem;
	const char *sender; /* E.164 (or whatever the network gave: alphanumeric senders) */
	const char *text;
	unsigned parts;
	bool complete; /* false when reassembly gave up on missing parts */
	const int64_t *rx_pdu_ids;
	unsigned n_rx_pdu_ids;
};
/* Handle one message. Returns the message's record id, or -1 when it could not be
 * recorded (then nothing was sent and the caller must not acknowledge its PDUs). */
int64_t router_inbound(struct router *r, const struct router_inbound *in);

/* Periodic work (see above); `now` in ms UTC. Returns the number of deliveries sent. */
unsigned router_poll(struct router *r, int64_t now);

/* The next concatenation reference towards a number (16 bits; the one after the last
 * this process took for it, or after the newest the archive has). */
int router_concat_ref(struct router *r, const char *number);

/* What the modem reported about a delivery's part (parts count from 1). */
/* A part is about to go to `modem`: recorded and committed (records_journal.h) before
 * it does. Returns 0, 1 when it is a resend of a part whose fate is unknown (possibly
 * duplicated), -1 when the archive refused (the part must wait). */
int router_part_submit(struct router *r, int64_t delivery_id, const char *modem, unsigned part,
		       unsigned parts, int ref);
/* The modem refused the part for now and tries again. */
void router_part_retry(struct router *r, int64_t delivery_id, const char *modem, unsigned part,
		       int cms_error);
/* A part recorded as about to go did not (the relay is stopping): it waits for the next
 * start, and its submit is no longer of unknown fate. */
void router_part_unsent(struct router *r, int64_t delivery_id, const char *modem, unsigned part,
			const char *why);
void router_part_sent(struct router *r, int64_t delivery_id, const char *modem, unsigned part,
		      bool ok, int mr, int cms_error);
/* A status report (its PDU recorded as rx_pdu_id) from `modem`: matched in the archive
 * to the part it reports on, recorded either way. Call inside the transaction that
 * recorded the PDU. Returns 0, -1 on archive failure. */
int router_status_report(struct router *r, int64_t rx_pdu_id, const char *modem, int mr,
			 const char *recipient, uint8_t st, int64_t now);

/* Text the district's IT or administrator contacts about the relay itself (a SIM near its
 * daily cap), from `relay`: recorded as a delivery ("alert") and sent in the urgent lane.
 * message_id (0: none) is the message the alert is about (the one that opened a crisis
 * conversation), so that the records say which alerts it had. Returns the delivery id,
 * or -1 when it could not be recorded. */
int64_t router_alert(struct router *r, const char *relay, const char *number, const char *text,
		     int64_t message_id, int64_t now);

/* A text from the relay itself ("<district> relay: " and text) to `number` (person_id 0:
 * not in the directory), from `relay`, recorded as a delivery with `why` and sent:
 * "alert" and "call-notice" (who is calling, as the phone rings) in the urgent lane,
 * others ("call-summary") in the conversation lane. Returns the delivery id, or -1 when
 * it could not be recorded. */
int64_t router_notify(struct router *r, const char *relay, int64_t person_id, const char *number,
		      const char *why, const char *text, int64_t now);

/* Send the oversight digest now to every overseer who has not had one in 20 hours.
 * Returns the number of digests queued. chaperoned calls it at digest_hour. */
unsigned router_send_digests(struct router *r, int64_t now);

struct router_stats {
	uint64_t in, out, blocked, held, unknown, commands, questions, failed;
	/* Archive writes that failed where no caller hears of it: the status of a delivery
	 * already handed to the transport, a digest not recorded (and so not sent). A
	 * message router_inbound could not record is its caller's to count (it returns -1). */
	uint64_t store_errors;
	/* The send journal: parts sent again after a restart or a silent modem, of which
	 * those whose first submit's fate was unknown (possibly duplicated); status reports
	 * matched by TP-MR, by a part of unknown fate, or not at all. */
	uint64_t parts_resumed, parts_resent, reports_matched, reports_unknown_fate,
	    reports_unmatched;
};
void router_stats(const struct router *r, struct router_stats *st);
