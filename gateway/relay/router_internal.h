/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The router's insides, private to gateway/relay (users of the router have router.h):
 * its state, the work one inbound message causes, and the steps shared by its files:
 *   router.c          allocation, configuration, loading, router_inbound, dispatch,
 *                     router_poll and the modem's reports;
 *   router_record.c   recording: verdicts, deliveries, replies, questions, threads;
 *   router_address.c  what a staff or family message means: who it is for (#tags,
 *                     @handles, the thread it answers, the answer to a question);
 *   router_commands.c the SMS commands (HELP, WHO, STOP, START, DISCARD) and unknown
 *                     senders;
 *   router_digest.c   the oversight digest.
 * Every step that records returns 0 (or a row id > 0) or -1 when the archive refused a
 * write; router_inbound then rolls the whole message back and sends nothing. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/hashtable.h>

#include "storage/model/directory.h"
#include "storage/records/records.h"
#include "gateway/relay/grammar.h"
#include "gateway/relay/router.h"

/* A small set of delivery ids (open addressing; ids are positive). */
struct id_set {
	int64_t *v;
	size_t n, cap;
};

/* The last concatenation reference taken towards a number, in this process. */
struct concat_ref {
	struct hlist_node node;
	int ref;
	char number[];
};

struct router {
	struct store *store;
	struct router_config cfg;
	struct router_transport tp;
	void *tp_data;
	struct directory *dir;
	int64_t dir_version;
	struct id_set in_flight;     /* deliveries handed to a modem by this process */
	DECLARE_HASHTABLE(refs, 10); /* struct concat_ref by number */
	bool resumed;		     /* deliveries left part-way by a crash were resumed */
	struct router_stats stats;
	int64_t last_poll;
};

/* Everything one inbound message causes, collected before the transaction commits and
 * dispatched after. */
struct work {
	struct router *r;
	void *tmp; /* talloc context for this message */
	const struct router_inbound *in;
	int64_t message_id;
	struct dir_relay *relay;
	struct dir_person *sender;
	bool crisis;	 /* the message says !crisis: whatever is decided is flagged */
	int64_t *queued; /* deliveries to dispatch after commit */
	unsigned n_queued;
	struct router_call_order *call; /* a call to place after commit (CALL @name) */
	bool failed; /* a step could not record (for steps that return a decision) */
};

/* ---- router_record.c: building what goes out ---- */

/* `ms` (UTC) in the district's time zone (the process's TZ). */
void router_local_time(int64_t ms, struct tm *out);
/* router_call.c: CALL @name. */
int router_call_request(struct work *w, const struct grammar_parse *g);

/* A message from the gateway itself to whoever wrote: block reasons, questions, help.
 * Recorded as a delivery of verdict_id and queued for dispatch. */
int router_reply(struct work *w, int64_t verdict_id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Record a verdict the router reached without the policy engine (commands, blocks,
 * questions, unknown senders). Returns its id, or <= 0 on failure. */
int64_t router_verdict(struct work *w, enum rec_verdict_kind kind, enum rec_action action,
		       const char *rules, const struct dir_team *team, const char *body,
		       const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* A message from the gateway to someone other than the sender (the staff member of a
 * crisis conversation an administrator closed, the sender of a held message decided by
 * SMS), from `relay`, recorded as a delivery of verdict_id. Nothing when they cannot
 * receive (no phone, opted out of that number). */
int router_tell(struct work *w, int64_t verdict_id, const char *relay, const struct dir_person *to,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Block the message and tell the sender "Not sent: <why> <what>". */
int router_block(struct work *w, const struct dir_team *team, const char *body, const char *why,
		 const char *what);
/* Hold the message and ask its sender `question`: the answer (an address, or DISCARD)
 * comes as their next message. */
int router_ask(struct work *w, const char *kind, const char *body, bool urgent, bool crisis,
	       const char *reason, const char *question);
/* Ask the policy engine about req and record its verdict, deliveries and threads. */
int router_evaluate_and_record(struct work *w, struct policy_request *req);

/* ---- router_address.c: what the sender means ---- */

/* The sender's open question on this relay, if any (found false otherwise). */
struct open_q {
	bool found;
	struct rec_question q;
	char *body, *kind;
};
struct open_q *router_open_question(struct work *w);

int router_staff_message(struct work *w, const struct grammar_parse *g);
int router_family_message(struct work *w, const struct grammar_parse *g);

/* ---- router_commands.c ---- */

int router_command(struct work *w, const struct grammar_parse *g);
int router_unknown_sender(struct work *w);

/* ---- router.c: dispatch ---- */

/* Hand recorded deliveries to the transport (those not already in flight). */
void router_dispatch_ids(struct router *r, const int64_t *ids, unsigned n, int64_t now);

/* ---- router_crisis.c: crisis conversations ---- */

/* A staff message to one student with whom the sender has an open crisis conversation
 * is a crisis answer (req->crisis set): 1 when so, 0 when not, -1 on archive failure. */
int router_crisis_staff(struct work *w, struct policy_request *req);
/* A student's message in an open crisis conversation: req set to go to its staff member
 * as a crisis message. 1 when so, 0 when not, -1 on failure. */
int router_crisis_family(struct work *w, struct policy_request *req);
/* CLOSE @name from an administrator. */
int router_crisis_close(struct work *w, const struct grammar_parse *g);
/* ACK @name from an administrator: the crisis conversation is seen to (chaperoned's
 * `alert crisis-unacknowledged` counts until one). */
int router_crisis_ack(struct work *w, const struct grammar_parse *g);

/* ---- router_decide.c: administrators' decisions by SMS ---- */

/* Is an administrator's OK n / NO n about a held message (1), or an ordinary message that
 * happens to start so (0)? -1 on failure. */
int router_is_decision(struct work *w, const struct grammar_decision *d);
/* HELD, OK n, NO n reason from an administrator. */
int router_decision(struct work *w, const struct grammar_decision *d);

/* ---- router_exception.c: exceptions asked for and approved by SMS ---- */

/* ASK from staff after a refused one-to-one. */
int router_ask_exception(struct work *w);
/* ALLOW n / DENY n from an administrator (a request n exists). */
int router_exception_decision(struct work *w, const struct grammar_decision *d);
