/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The policy engine for calls (policy_call.h): who is dialled, in what order, or why the
 * relay refuses; and the bridge rule the call flow asks at every join and leave. */
#include <stdarg.h>
#include <string.h>

#include <talloc.h>

#include "gateway/policy/policy_call.h"
#include "gateway/policy/policy_internal.h"

static const struct value_string role_names[] = {{POLICY_LEG_CALLER, "caller"},
						 {POLICY_LEG_CALLEE, "callee"},
						 {POLICY_LEG_GUARDIAN, "guardian"},
						 {0, NULL}};

const char *policy_call_role_name(enum policy_call_role r)
{
	return get_value_string(role_names, r);
}

struct call_state {
	void *ctx;
	const struct directory *d;
	const struct policy_config *cfg;
	const struct policy_call_request *req;
	struct policy_call_plan *p;
	const struct dir_person *staff; /* the staff member of a staff-student call */
};

static void applied(struct call_state *st, const char *rule)
{
	struct policy_call_plan *p = st->p;

	if (policy_call_plan_has_rule(p, rule) || p->n_rules == POLICY_MAX_RULES)
		return;
	p->rules[p->n_rules++] = rule;
}

static void note(struct call_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct call_state *st, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = talloc_vasprintf(st->ctx, fmt, ap);
	va_end(ap);
	st->p->reason = st->p->reason ? talloc_asprintf_append(st->p->reason, "; %s", s) : s;
}

/* Refuse: the deciding rule goes first in the plan's list. */
static void refuse(struct call_state *st, const char *rule, char *reason, char *reply)
{
	struct policy_call_plan *p = st->p;

	p->action = POLICY_BLOCK;
	/* Once: an applied rule that refuses moves to the front. */
	for (unsigned i = 0; i < p->n_rules; i++)
		if (!strcmp(p->rules[i], rule)) {
			memmove(&p->rules[i], &p->rules[i + 1],
				sizeof(p->rules[0]) * (p->n_rules - i - 1));
			p->n_rules--;
			break;
		}
	memmove(&p->rules[1], &p->rules[0], sizeof(p->rules[0]) * (POLICY_MAX_RULES - 1));
	p->rules[0] = rule;
	if (p->n_rules < POLICY_MAX_RULES)
		p->n_rules++;
	p->reason = reason;
	p->reply = reply;
}

static void add_person(void *ctx, const struct dir_person ***arr, unsigned *n,
		       const struct dir_person *who)
{
	for (unsigned i = 0; i < *n; i++)
		if ((*arr)[i] == who)
			return;
	*arr = talloc_realloc(ctx, *arr, const struct dir_person *, *n + 1);
	(*arr)[(*n)++] = who;
}

static bool is_guardian_of(const struct dir_person *g, const struct dir_person *student)
{
	return student && dir_is_guardian_of(g, student);
}

/* Which kind of call this is; refuses the ones the relay does not carry. */
static bool who_is_who(struct call_state *st)
{
	const struct policy_call_request *req = st->req;
	const struct dir_person *a = req->caller, *b = req->callee;
	bool a_staff = dir_writes_as_staff(a, req->relay), b_staff = dir_is_staff_side(b);

	if (a == b) {
		refuse(st, POLICY_RULE_CALL, talloc_strdup(st->ctx, "a call to oneself"),
		       talloc_strdup(st->ctx, "You cannot call yourself through this number."));
		return false;
	}
	if (!a_staff && !b_staff) {
		refuse(st, POLICY_RULE_CALL,
		       talloc_asprintf(st->ctx,
				       "%s (%s) asked for %s (%s): the relay connects "
				       "families with staff",
				       a->display, dir_role_name(a->role), b->display,
				       dir_role_name(b->role)),
		       talloc_asprintf(st->ctx,
				       "Calls through this number go to %s staff. Ask for a coach "
				       "or advisor.",
				       st->cfg->district ? st->cfg->district : "school"));
		return false;
	}
	if (!dir_reachable(b, req->relay)) {
		refuse(st, POLICY_RULE_CALL,
		       talloc_asprintf(st->ctx,
				       "%s has no phone on file for this number, or opted out",
				       b->display),
		       talloc_asprintf(st->ctx,
				       "%s cannot be reached by phone through this number.",
				       b->display));
		return false;
	}
	if (a->role == DIR_STUDENT && b_staff) {
		st->p->student = a;
		st->staff = b;
	} else if (b->role == DIR_STUDENT && a_staff) {
		st->p->student = b;
		st->staff = a;
	}
	applied(st, POLICY_RULE_CALL);
	return true;
}

/* A staff-student call outside a crisis: the staff member must be the student's, on this
 * number (an administrator or counselor may reach any student of the building). */
static bool same_team(struct call_state *st)
{
	const struct dir_team *t = st->req->team;

	if (st->staff->role == DIR_ADMIN || st->staff->title == DIR_T_COUNSELOR)
		return true;
	if (t && pol_is_team_staff(t, st->staff) && dir_team_has_member(t, st->p->student))
		return true;
	refuse(st, POLICY_RULE_CALL,
	       talloc_asprintf(st->ctx, "%s is not staff of a team of %s on this number",
			       st->staff->display, st->p->student->display),
	       talloc_asprintf(st->ctx, "%s is not on your team on this number.",
			       st->req->caller == st->staff ? st->p->student->display
							    : st->staff->display));
	return false;
}

static void crisis_alerts(struct call_state *st)
{
	const struct dir_team *t = st->req->team;
	const struct directory *d = st->d;
	struct policy_call_plan *p = st->p;

	for (unsigned i = 0; t && i < t->n_overseers; i++)
		add_person(st->ctx, &p->alerts, &p->n_alerts, t->overseers[i]);
	for (unsigned i = 0; i < d->n_persons; i++) {
		const struct dir_person *q = d->persons[i];

		if ((q->role == DIR_ADMIN && q->title == DIR_T_PRINCIPAL) ||
		    (dir_is_staff_side(q) && q->title == DIR_T_COUNSELOR))
			add_person(st->ctx, &p->alerts, &p->n_alerts, q);
	}
}

/* The exception in force between the staff member and the student, if any; the kinds in
 * the order the text rule uses (guardian_permission first: it keeps the guardian on). */
static const struct dir_exception *exception(struct call_state *st)
{
	static const enum dir_exception_kind kinds[] = {
	    DIR_EXC_GUARDIAN_PERMISSION,
	    DIR_EXC_FAMILY,
	    DIR_EXC_SAFETY,
	};
	const struct policy_call_request *req = st->req;

	for (unsigned i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const struct dir_exception *e =
		    dir_exception_find(st->d, st->staff, st->p->student, (int)kinds[i], req->now);

		if (e && e->kind == kinds[i] && e->staff == st->staff &&
		    e->student == st->p->student && req->now < e->expires)
			return e;
	}
	return NULL;
}

/* guardian-copy, exception and crisis for a staff-student call. */
static void guardian_rule(struct call_state *st)
{
	const struct policy_call_request *req = st->req;
	struct policy_call_plan *p = st->p;
	const struct dir_person *s = p->student;
	const struct dir_exception *e;

	if (req->crisis && req->caller == st->staff) {
		p->flagged = true;
		applied(st, POLICY_RULE_CRISIS);
		crisis_alerts(st);
		note(st,
		     "crisis call by %s to %s one-to-one, without a guardian; flagged for review",
		     st->staff->display, s->display);
		return;
	}
	if (!same_team(st))
		return;
	e = exception(st);
	if (e) {
		p->exception_id = e->id;
		applied(st, POLICY_RULE_EXCEPTION);
		note(st, "exception #%lld (%s) between %s and %s", (long long)e->id,
		     dir_exception_kind_name(e->kind), st->staff->display, s->display);
		if (e->kind != DIR_EXC_GUARDIAN_PERMISSION)
			return;
	}
	for (unsigned i = 0; i < s->n_guardians; i++)
		if (dir_reachable(s->guardians[i], req->relay))
			add_person(st->ctx, &p->guardians, &p->n_guardians, s->guardians[i]);
	applied(st, POLICY_RULE_GUARDIAN_COPY);
	if (p->n_guardians) {
		p->guardian_dialled = true;
		p->guardian_required = !e;
		note(st, "%s is bridged with %s only with a guardian on the call (%u to try)",
		     s->display, st->staff->display, p->n_guardians);
		return;
	}
	if (e) {
		note(st, "no guardian reachable; the exception allows the call without one");
		return;
	}
	refuse(
	    st, POLICY_RULE_GUARDIAN_COPY,
	    talloc_asprintf(st->ctx, "no guardian of %s is reachable on this number", s->display),
	    talloc_asprintf(st->ctx,
			    "%s cannot be called: no parent or guardian of theirs can be reached "
			    "to join the call. Ask the office to update their contacts.",
			    s->display));
}

/* quiet-hours: a staff member's non-urgent call to a student or a family. */
static void quiet_rule(struct call_state *st)
{
	const struct policy_call_request *req = st->req;
	const struct dir_person *callee = req->callee;
	int end;
	char to[6];

	if (!dir_writes_as_staff(req->caller, req->relay) || req->urgent || req->crisis ||
	    dir_is_staff_side(callee))
		return;
	if (!policy_quiet_now(st->cfg, &req->local, &end))
		return;
	pol_hhmm(to, end);
	refuse(st, POLICY_RULE_QUIET_HOURS,
	       talloc_asprintf(st->ctx, "quiet hours: a call to %s before %s", callee->display, to),
	       talloc_asprintf(st->ctx,
			       "Quiet hours: calls to students and families wait until %s. For "
			       "something that cannot wait, text CALL again with !urgent.",
			       to));
}

static void oversight_rule(struct call_state *st)
{
	const struct policy_call_request *req = st->req;
	const struct dir_team *t = req->team;
	const struct dir_person *coach = dir_writes_as_staff(req->caller, req->relay) ? req->caller
					 : dir_is_staff_side(req->callee)	      ? req->callee
										      : NULL;

	if (!coach || !t || coach->role == DIR_ADMIN ||
	    st->cfg->oversight == POLICY_OVERSIGHT_OFF || !pol_is_team_staff(t, coach))
		return;
	for (unsigned i = 0; i < t->n_overseers; i++)
		if (t->overseers[i] != coach)
			add_person(st->ctx, &st->p->overseers, &st->p->n_overseers,
				   t->overseers[i]);
	if (st->p->n_overseers)
		applied(st, POLICY_RULE_OVERSIGHT);
}

static void unknown_caller(struct call_state *st)
{
	const char *district = st->cfg->district ? st->cfg->district : "the school district";

	refuse(st, POLICY_RULE_UNKNOWN_CALLER,
	       talloc_asprintf(st->ctx, "a number the directory does not know called %s",
			       st->req->relay->number),
	       talloc_asprintf(st->ctx,
			       "This number relays calls for %s teams. Text this number, or call "
			       "the school office.",
			       district));
}

int policy_call_evaluate(void *ctx, const struct directory *d, const struct policy_config *cfg,
			 const struct policy_call_request *req, struct policy_call_plan *out)
{
	struct call_state st = {.ctx = ctx, .d = d, .cfg = cfg, .req = req, .p = out};

	memset(out, 0, sizeof(*out));
	out->action = POLICY_DELIVER;
	if (!d || !cfg || !req || !req->relay)
		return -1;
	if (!req->caller) {
		unknown_caller(&st);
		return 0;
	}
	if (!req->callee)
		return -1;
	/* Every party hears the recording notice first; nobody's number is shown. */
	applied(&st, POLICY_RULE_NOTICE);
	applied(&st, POLICY_RULE_MASKING);
	applied(&st, POLICY_RULE_ATTRIBUTION);
	if (!who_is_who(&st))
		return 0;
	quiet_rule(&st);
	if (out->action == POLICY_BLOCK)
		return 0;
	if (out->student)
		guardian_rule(&st);
	if (out->action == POLICY_BLOCK)
		return 0;
	oversight_rule(&st);
	if (!out->reason)
		note(&st, "%s calls %s", req->caller->display, req->callee->display);
	return 0;
}

static const struct value_string side_names[] = {{POLICY_SIDE_OTHER, "other"},
						 {POLICY_SIDE_STAFF, "staff"},
						 {POLICY_SIDE_STUDENT, "student"},
						 {POLICY_SIDE_GUARDIAN, "guardian"},
						 {0, NULL}};

const char *policy_call_side_name(enum policy_call_side s)
{
	return get_value_string(side_names, s);
}

enum policy_call_side policy_call_side_of(const struct policy_call_plan *plan,
					  const struct dir_person *p)
{
	if (plan->student && p == plan->student)
		return POLICY_SIDE_STUDENT;
	if (is_guardian_of(p, plan->student))
		return POLICY_SIDE_GUARDIAN;
	return dir_is_staff_side(p) ? POLICY_SIDE_STAFF : POLICY_SIDE_OTHER;
}

bool policy_call_bridge_ok_sides(bool guardian_required, const enum policy_call_side *sides,
				 unsigned n)
{
	bool student = false, staff = false;

	if (!guardian_required)
		return true;
	for (unsigned i = 0; i < n; i++) {
		if (sides[i] == POLICY_SIDE_GUARDIAN)
			return true; /* a guardian of the student is on: anyone may be */
		student |= sides[i] == POLICY_SIDE_STUDENT;
		staff |= sides[i] == POLICY_SIDE_STAFF;
	}
	return !(student && staff);
}

bool policy_call_bridge_ok(const struct policy_call_plan *plan, const struct dir_person *const *set,
			   unsigned n)
{
	bool student = false, staff = false;

	if (!plan->guardian_required || !plan->student)
		return true;
	for (unsigned i = 0; i < n; i++) {
		enum policy_call_side side = policy_call_side_of(plan, set[i]);

		if (side == POLICY_SIDE_GUARDIAN)
			return true;
		student |= side == POLICY_SIDE_STUDENT;
		staff |= side == POLICY_SIDE_STAFF;
	}
	return !(student && staff);
}

bool policy_call_plan_has_rule(const struct policy_call_plan *p, const char *rule)
{
	for (unsigned i = 0; i < p->n_rules; i++)
		if (!strcmp(p->rules[i], rule))
			return true;
	return false;
}
