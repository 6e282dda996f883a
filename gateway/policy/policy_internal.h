/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The policy engine's working state, shared by gateway/policy/policy.c and the rule units
 * (gateway/policy_*.c). Not for use outside the engine.
 *
 * Each rule unit is one function that looks at the request and at what the rules before
 * it decided, and may add or remove recipients, rewrite bodies, or decide to hold or
 * block. The units run in the fixed order of policy_rules(); policy.c stops running them
 * once one blocks, because nothing of a blocked message goes out and the rules after it
 * would only describe a message nobody gets. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "gateway/policy/policy.h"

/* One recipient being worked on. */
struct pol_rcpt {
	const struct dir_person *to;
	enum policy_why why;
	char *body; /* set by attribution, rewritten by masking and notice */
	bool notice;
	unsigned seq; /* insertion order, to keep the final order stable */
};

/* A hold or block decision and how the sender and the records are told about it. */
struct pol_decision {
	const char *rule; /* NULL: no decision of this kind */
	char *reason;
	char *reply;
};

/* A person's phone number reduced to a key for the masking index: the last six digits
 * are in every form phone_digits_match() accepts, so they find the candidates. */
struct pol_phone_key {
	uint32_t last6;
	const struct dir_person *p;
	const char *digits; /* the E.164 number without '+' */
};

struct pol_state {
	void *tmp; /* scratch, freed when the evaluation ends */
	void *out; /* the caller's context: the verdict's strings and arrays */
	const struct directory *d;
	const struct policy_config *cfg;
	const struct policy_request *req;
	struct policy_verdict *v;
	const char *body; /* req->body, "" when NULL */
	uint32_t relay_bit;

	/* Recipients. `slots` maps a person to its index + 1 (open addressing). */
	struct pol_rcpt *r;
	unsigned n_r, cap_r, seq;
	unsigned *slots;
	unsigned n_slots;

	const struct dir_person **skipped;
	unsigned n_skipped;
	const struct dir_person **skipped_guardians, **skipped_for;
	unsigned n_skipped_guardians;

	/* What the rules before decided. */
	bool crisis;			 /* crisis answer: one-to-one, no guardian copy */
	const struct dir_exception *exc; /* exception allowing one-to-one contact */
	bool exc_copies;		 /* guardian_permission: copy reachable guardians */
	struct pol_decision block;
	struct pol_decision hold; /* the first hold (contact-screen before quiet-hours) */
	enum policy_hold_release release;
	bool quiet;	    /* quiet-hours applies */
	time_t quiet_until; /* ...and releases at this UTC time */

	char *notes; /* readable fragments of what the rules did, "; "-separated */

	/* Masking index, built on first need. */
	struct pol_phone_key *keys;
	unsigned n_keys;
	bool keys_built;
	unsigned n_masked;
};

/* Bookkeeping (policy.c). */
void pol_applied(struct pol_state *st, const char *rule);
void pol_note(struct pol_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pol_block(struct pol_state *st, const char *rule, char *reason, char *reply);
void pol_hold(struct pol_state *st, const char *rule, enum policy_hold_release release,
	      char *reason, char *reply);

/* Add `p` with `why`, or raise an existing entry to `why` if that ranks higher (a lower
 * enum value). The sender is never added. Returns the index, or -1 for the sender. */
int pol_add(struct pol_state *st, const struct dir_person *p, enum policy_why why);
int pol_find(const struct pol_state *st, const struct dir_person *p);
/* Drop the recipients whose `drop` flag is set (array of n_r bools). */
void pol_compact(struct pol_state *st, const bool *drop);

/* Helpers. */
bool pol_is_team_staff(const struct dir_team *t, const struct dir_person *p);
/* Can the (staff-side) sender reach `p` (a student, or a guardian through a ward) through
 * a team served by the request's relay that the sender is on the staff of? */
bool pol_sender_reaches(const struct pol_state *st, const struct dir_person *p);
bool pol_opted_out(const struct pol_state *st, const struct dir_person *p);
unsigned pol_count_why(const struct pol_state *st, enum policy_why why);
bool pol_has_role_recipient(const struct pol_state *st, enum dir_role role);
/* The people of a TO_PEOPLE request, each once, without the sender, into `out` (room for
 * n_people). Returns how many. */
unsigned pol_people_unique(const struct pol_state *st, const struct dir_person **out);
/* "Jamie R., Alex K." */
char *pol_names(void *ctx, const struct dir_person *const *p, unsigned n);
/* How the team's staff are called, by the team's kind: "coaches", "advisors", ... */
const char *pol_staff_word(const struct dir_team *t);
/* "HH:MM" of minutes since midnight, into a caller's buffer of at least 6 bytes. */
void pol_hhmm(char *buf, int minutes);
/* Is it quiet hours at `local` (the district's time)? *end_min: when they end (minutes
 * since midnight). Used by quiet-hours for texts and for calls. */
bool policy_quiet_now(const struct policy_config *cfg, const struct tm *local, int *end_min);

/* The rule units, in the order they run. */
void policy_rule_crisis(struct pol_state *st);
void policy_rule_exception(struct pol_state *st);
void policy_rule_whole_team(struct pol_state *st);
void policy_rule_guardian_copy(struct pol_state *st);
void policy_rule_contact_screen(struct pol_state *st);
void policy_rule_quiet_hours(struct pol_state *st);
void policy_rule_oversight(struct pol_state *st);
void policy_rule_opt_out(struct pol_state *st);
void policy_rule_attribution(struct pol_state *st);
void policy_rule_masking(struct pol_state *st);
void policy_rule_notice(struct pol_state *st);
