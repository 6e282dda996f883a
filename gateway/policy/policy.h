/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The policy engine: for one message, who gets it, or why nobody does.
 *
 * The router (gateway/relay/router.c) has already worked out who sent the message, on which
 * relay number, in which team's context, and whom the sender addressed. The engine runs
 * the district's rules over that request, each rule its own unit (gateway/policy_*.c)
 * with the id used in the design's rules table and in docs/policy-map.md, and returns a
 * verdict:
 *
 *   deliver — to whom (each recipient with why they get it and the exact body they get),
 *   hold    — nothing goes out until an administrator releases it (or, for quiet hours,
 *             until the time given); the deliveries it would make are in the verdict,
 *   block   — nothing goes out; the sender is told why and what to do instead.
 *
 * Every verdict carries the ids of the rules that shaped it and a readable reason; the
 * router records it before anything is sent. The engine is pure: no I/O, no clock of its
 * own, no state but what the request and the directory hold. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <osmocom/core/utils.h> /* struct value_string */

#include "storage/model/directory.h"

enum policy_oversight {
	POLICY_OVERSIGHT_COPY,	 /* each coach message is copied to the team's overseers */
	POLICY_OVERSIGHT_DIGEST, /* overseers get a daily digest (router/digest) */
	POLICY_OVERSIGHT_OFF,
};

/* What districts set differently (chaperoned's `policy` config node). */
struct policy_config {
	const char *district;		    /* "Sharon Public Schools", named in notices */
	bool guardians_on_team_messages;    /* copy guardians on whole-team messages too */
	bool quiet_hours;		    /* hold non-urgent staff→student messages at night */
	int quiet_start_min, quiet_end_min; /* local minutes since midnight, e.g. 21:00, 07:00 */
	enum policy_oversight oversight;
	bool contact_screen;	 /* hold staff↔student bodies carrying contact details */
	bool notice;		 /* one-time recording notice to each new recipient */
	const char *notice_text; /* NULL: "Messages through this number are recorded by …" */
};
void policy_config_defaults(struct policy_config *cfg);

/* Whom the sender addressed, as the router resolved it. */
enum policy_addr {
	POLICY_TO_TEAM,	    /* staff: the whole team (#soccer) */
	POLICY_TO_SUBGROUP, /* staff: a defined subgroup (#soccer.injured) */
	POLICY_TO_PEOPLE,   /* staff: named students and/or guardians (@a @b) */
	POLICY_TO_STAFF,    /* student or guardian: the team's staff */
};

struct policy_request {
	const struct dir_person *sender;
	const struct dir_relay *relay;
	const struct dir_team *team; /* context: label, staff, overseers */
	enum policy_addr addr;
	const struct dir_subgroup *subgroup; /* POLICY_TO_SUBGROUP */
	/* POLICY_TO_PEOPLE: the addressees. POLICY_TO_STAFF: the staff member a reply
	 * answers (a counselor on a building's number), or none for all the team's staff. */
	const struct dir_person *const *people;
	unsigned n_people;
	const char *body; /* UTF-8, without the addressing words */
	bool urgent;	  /* "!urgent": time-sensitive, not held by quiet hours */
	bool crisis;	  /* "!crisis": staff answering a student in crisis */
	time_t now;	  /* UTC */
	struct tm local;  /* now in the district's time zone (quiet hours) */
};

enum policy_action {
	POLICY_DELIVER,
	POLICY_HOLD,
	POLICY_BLOCK,
};
extern const struct value_string policy_action_names[];
const char *policy_action_name(enum policy_action a); /* "deliver", "hold", "block" */

/* Why a recipient gets a message. */
enum policy_why {
	POLICY_WHY_ADDRESSED,	  /* the sender named them (or their team/subgroup) */
	POLICY_WHY_TEAM_STAFF,	  /* a co-coach / advisor of the team, kept in the loop */
	POLICY_WHY_GUARDIAN_COPY, /* guardian of a student recipient (or of the student sender) */
	POLICY_WHY_OVERSIGHT,	  /* athletic director / principal kept apprised */
	POLICY_WHY_CRISIS_ALERT,  /* administrator alerted of a crisis exchange */
};
extern const struct value_string policy_why_names[];
const char *policy_why_name(enum policy_why w); /* "addressed", "guardian-copy", ... */

struct policy_delivery {
	const struct dir_person *to;
	enum policy_why why;
	/* The full text this recipient gets: attribution, the notice when it is their first
	 * message from this relay number, masking applied. Allocated under the verdict. */
	char *body;
	bool notice; /* body carries the one-time recording notice */
};

/* Rule ids, as in the design's rules table. */
#define POLICY_RULE_WHOLE_TEAM	   "whole-team"
#define POLICY_RULE_GUARDIAN_COPY  "guardian-copy"
#define POLICY_RULE_MASKING	   "masking"
#define POLICY_RULE_CONTACT_SCREEN "contact-screen"
#define POLICY_RULE_ATTRIBUTION	   "attribution"
#define POLICY_RULE_OVERSIGHT	   "oversight"
#define POLICY_RULE_QUIET_HOURS	   "quiet-hours"
#define POLICY_RULE_EXCEPTION	   "exception"
#define POLICY_RULE_CRISIS	   "crisis"
#define POLICY_RULE_NOTICE	   "notice"
#define POLICY_RULE_OPT_OUT	   "opt-out"

#define POLICY_MAX_RULES 16

enum policy_hold_release {
	POLICY_RELEASE_ADMIN, /* an administrator must release or reject it */
	POLICY_RELEASE_TIME,  /* released automatically at hold_until (quiet hours) */
};

struct policy_verdict {
	enum policy_action action;
	/* Rules that applied (shaped recipients or bodies, or decided the action), in the
	 * order they ran; the deciding rule of a hold or block is first. */
	const char *rules[POLICY_MAX_RULES];
	unsigned n_rules;
	char *reason; /* readable, for the records and `chaperone held list` */
	char *reply;  /* to the sender (block, hold, or a delivery some guardian missed) */
	enum policy_hold_release release;
	time_t hold_until;    /* POLICY_RELEASE_TIME: UTC time of release */
	bool flagged;	      /* crisis: the record is flagged for administrator review */
	bool digest;	      /* oversight by digest: include this message in the digest */
	int64_t exception_id; /* the exception that allowed it, or 0 */
	struct policy_delivery *deliveries; /* who gets it (also for hold: who would) */
	unsigned n_deliveries;
	/* Addressed recipients not sent to because they opted out (STOP) or have no phone. */
	const struct dir_person **skipped;
	unsigned n_skipped;
	/* Guardians a staff message would have copied but cannot reach (opted out of this
	 * number, or no phone on file), each with the student it was for: recorded, and the
	 * sender is told (reply). */
	const struct dir_person **skipped_guardians, **skipped_for;
	unsigned n_skipped_guardians;
};

/* Evaluate. The verdict's strings and arrays are allocated under `ctx`. Returns 0, or
 * -1 when the request itself is malformed (no sender, TO_SUBGROUP without subgroup...). */
int policy_evaluate(void *ctx, const struct directory *d, const struct policy_config *cfg,
		    const struct policy_request *req, struct policy_verdict *out);

/* The rules in the order they run, for `show policy` and docs. */
struct policy_rule_info {
	const char *id;
	const char *summary;
};
const struct policy_rule_info *policy_rules(unsigned *n);

/* Does the verdict list this rule? */
bool policy_verdict_has_rule(const struct policy_verdict *v, const char *rule);
