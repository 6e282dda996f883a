/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The policy engine for calls: for one call request, whom the relay dials and in what
 * order, or why it refuses; and, at every join and leave while the call runs, whether the
 * parties bridged together are allowed to hear each other.
 *
 * The rules are the texts' rules made for voice (docs/policy-map.md):
 *   guardian-copy  a staff member and a student are bridged only with a guardian of that
 *                  student bridged too: a coach's call to a player dials a guardian first
 *                  (in roster order, one who answers is enough) and the player only once
 *                  the guardian is on; a player's call to a coach waits for a guardian
 *                  before the coach is dialled; no guardian reachable: refused;
 *   exception      an administrator-approved exception between that staff member and that
 *                  student (family, safety) waives the guardian; guardian_permission still
 *                  dials one but does not need one;
 *   crisis         a staff member answering a student in crisis calls one-to-one, the
 *                  building's administrators are alerted at once, the call is flagged;
 *   quiet-hours    non-urgent staff calls to students and families are refused during quiet
 *                  hours (a call cannot wait until morning the way a text can);
 *   masking        everyone is dialled from the relay number they know (the router's job;
 *                  the plan names the relay), never shown another's number;
 *   oversight      after every call a coach makes or takes, the team's overseers get a
 *                  summary;
 *   notice         every party hears that the call is recorded before hearing anyone.
 *
 * Pure, like policy_evaluate(): no I/O, no clock but the request's. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "gateway/policy/policy.h"

#define POLICY_RULE_CALL	   "call" /* who may call whom at all */
#define POLICY_RULE_UNKNOWN_CALLER "unknown-caller"

struct policy_call_request {
	const struct dir_person *caller; /* NULL: a number the directory does not know */
	const struct dir_relay *relay;	 /* the relay number called, or that the caller texted */
	const struct dir_team *team;	 /* context: the team the relay number serves */
	const struct dir_person *callee; /* whom the caller asked for */
	bool urgent;			 /* "!urgent": not refused in quiet hours */
	bool crisis;			 /* "!crisis": staff calling a student in crisis */
	time_t now;			 /* UTC */
	struct tm local;		 /* now in the district's zone (quiet hours) */
};

enum policy_call_role {
	POLICY_LEG_CALLER,
	POLICY_LEG_CALLEE,
	POLICY_LEG_GUARDIAN, /* a guardian of the student, dialled so that the call may go on */
};
const char *policy_call_role_name(enum policy_call_role r); /* "caller", "callee", "guardian" */

struct policy_call_plan {
	enum policy_action action; /* DELIVER (connect) or BLOCK; calls are never held */
	const char *rules[POLICY_MAX_RULES];
	unsigned n_rules;
	char *reason; /* readable, for the records */
	char *reply;  /* to the caller when refused (said, and texted) */
	/* The student on the call, if any, and whether a guardian of theirs must be bridged
	 * before they are bridged with staff. */
	const struct dir_person *student;
	bool guardian_required;
	bool guardian_dialled; /* guardians are dialled (required, or permission) */
	/* Guardians to dial, in roster order, until one answers (reachable ones only). */
	const struct dir_person **guardians;
	unsigned n_guardians;
	bool flagged;			  /* crisis: flagged for administrator review */
	int64_t exception_id;		  /* the exception that waived or eased the guardian rule */
	const struct dir_person **alerts; /* crisis: administrators alerted at once */
	unsigned n_alerts;
	const struct dir_person **overseers; /* summary after the call (oversight) */
	unsigned n_overseers;
};

/* Evaluate. Strings and arrays under `ctx`. Returns 0, or -1 for a malformed request
 * (no relay, a known caller without a callee). */
int policy_call_evaluate(void *ctx, const struct directory *d, const struct policy_config *cfg,
			 const struct policy_call_request *req, struct policy_call_plan *out);

/* The bridge rule. May the people in `set` (n of them) all hear each other under this
 * plan? False when a student and a staff member would be bridged without a guardian of
 * that student while the plan requires one. The call flow asks it before every join and
 * after every leave (a guardian who leaves takes the student out of the bridge). */
bool policy_call_bridge_ok(const struct policy_call_plan *plan, const struct dir_person *const *set,
			   unsigned n);

/* The same rule on what each party is to the plan, for a call flow that outlives the
 * directory it was planned on (a roster import reloads it mid-call). */
enum policy_call_side {
	POLICY_SIDE_OTHER,    /* a family member who is not the student's guardian */
	POLICY_SIDE_STAFF,    /* staff, or anyone writing as staff */
	POLICY_SIDE_STUDENT,  /* the plan's student */
	POLICY_SIDE_GUARDIAN, /* a guardian of the plan's student */
};
const char *policy_call_side_name(enum policy_call_side s);
enum policy_call_side policy_call_side_of(const struct policy_call_plan *plan,
					  const struct dir_person *p);
bool policy_call_bridge_ok_sides(bool guardian_required, const enum policy_call_side *sides,
				 unsigned n);

bool policy_call_plan_has_rule(const struct policy_call_plan *p, const char *rule);
