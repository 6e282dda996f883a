/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Property test of the call rules: random districts, random call requests, and random
 * runs of each call the relay connects — guardians that answer or not, parties joining
 * in any order the flow might try, guardians and others leaving — with the invariant
 * checked after every step by an oracle written apart from the engine:
 *
 *   no student is bridged with a staff member unless a guardian of that student is
 *   bridged too, or an exception between them is in force, or the staff member called
 *   the student in crisis.
 *
 * The call flow's contract is what the test plays: a party joins only when
 * policy_call_bridge_ok() says the bridge with it would be fine, and after a leave the
 * student goes out of the bridge when it says the rest is not (the daemon's flow does
 * the same). The test also checks the plans: refused calls say why; a plan that needs a
 * guardian lists only reachable ones, in roster order; crisis calls are flagged.
 *
 *   test_call_property [SEED [REQUESTS]]   (default: time-based seed, 100,000) */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <talloc.h>

#include "gateway/policy/policy_call.h"
#include "tests/unit/policy/random_district.h"

#define DIR_EVERY 500
#define MAX_SET	  8

static uint64_t seed;
static unsigned long n_req;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "test_call_property: FAIL (seed %" PRIu64 ", request %lu): ", seed, n_req);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ---- the oracle ---- */

static bool exception_in_force(const struct directory *d, const struct dir_person *staff,
			       const struct dir_person *student)
{
	for (unsigned i = 0; i < d->n_exceptions; i++) {
		const struct dir_exception *e = d->exceptions[i];

		if (e->staff == staff && e->student == student && NOW < e->expires &&
		    (e->kind == DIR_EXC_FAMILY || e->kind == DIR_EXC_SAFETY ||
		     e->kind == DIR_EXC_GUARDIAN_PERMISSION))
			return true;
	}
	return false;
}

static bool guardian_of(const struct dir_person *g, const struct dir_person *s)
{
	for (unsigned i = 0; i < s->n_guardians; i++)
		if (s->guardians[i] == g)
			return true;
	return false;
}

/* The invariant over one bridged set. */
static void oracle(const struct directory *d, const struct policy_call_request *req,
		   const struct dir_person *const *set, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		const struct dir_person *s = set[i];
		bool guardian = false;

		if (s->role != DIR_STUDENT)
			continue;
		for (unsigned j = 0; j < n; j++)
			if (guardian_of(set[j], s))
				guardian = true;
		if (guardian)
			continue;
		for (unsigned j = 0; j < n; j++) {
			const struct dir_person *t = set[j];

			if (j == i || !(t->role == DIR_STAFF || t->role == DIR_ADMIN))
				continue;
			if (exception_in_force(d, t, s))
				continue;
			if (req->crisis && req->caller == t && req->callee == s)
				continue;
			fail("student %s (#%" PRId64 ") bridged with staff %s (#%" PRId64
			     ") and no guardian of theirs (%u bridged)",
			     s->display, s->id, t->display, t->id, n);
		}
	}
}

/* ---- a call's run ---- */

struct run {
	const struct dir_person *set[MAX_SET];
	unsigned n;
};

static bool in(const struct run *r, const struct dir_person *p)
{
	for (unsigned i = 0; i < r->n; i++)
		if (r->set[i] == p)
			return true;
	return false;
}

/* The rule on persons, and the rule on sides that the daemon's call flow asks (it keeps
 * what each party is, not the directory): they agree on every set. */
static bool bridge_ok(const struct policy_call_plan *plan, const struct dir_person *const *set,
		      unsigned n)
{
	enum policy_call_side sides[MAX_SET + 1];
	bool ok = policy_call_bridge_ok(plan, set, n);

	for (unsigned i = 0; i < n; i++)
		sides[i] = policy_call_side_of(plan, set[i]);
	if (policy_call_bridge_ok_sides(plan->guardian_required && plan->student, sides, n) != ok)
		fail("the rule on sides disagrees with the rule on persons");
	return ok;
}

/* The flow's join: only when the bridge with `p` would be fine. */
static bool join(struct run *r, const struct policy_call_plan *plan, const struct dir_person *p)
{
	const struct dir_person *with[MAX_SET + 1];

	if (in(r, p) || r->n == MAX_SET)
		return false;
	memcpy(with, r->set, r->n * sizeof(with[0]));
	with[r->n] = p;
	if (!bridge_ok(plan, with, r->n + 1))
		return false;
	r->set[r->n++] = p;
	return true;
}

/* The flow's leave: p goes; if what remains is not fine, the student goes too. */
static void leave(struct run *r, const struct policy_call_plan *plan, const struct dir_person *p)
{
	for (unsigned i = 0; i < r->n; i++) {
		if (r->set[i] == p) {
			r->set[i] = r->set[--r->n];
			break;
		}
	}
	if (!bridge_ok(plan, r->set, r->n)) {
		for (unsigned i = 0; i < r->n; i++)
			if (r->set[i] == plan->student)
				r->set[i] = r->set[--r->n];
		if (!bridge_ok(plan, r->set, r->n))
			fail("the bridge is still not fine without the student");
	}
}

static void run_call(const struct world *w, const struct policy_call_request *req,
		     const struct policy_call_plan *plan)
{
	const struct dir_person *cand[MAX_SET];
	unsigned n_cand = 0;
	struct run r = {.n = 0};

	cand[n_cand++] = req->caller;
	cand[n_cand++] = req->callee;
	for (unsigned i = 0; i < plan->n_guardians && n_cand < MAX_SET; i++)
		if (chance(60)) /* some guardians do not answer */
			cand[n_cand++] = plan->guardians[i];
	for (unsigned step = 0, steps = 3 + below(12); step < steps; step++) {
		const struct dir_person *p = cand[below(n_cand)];

		if (in(&r, p) && chance(30))
			leave(&r, plan, p);
		else
			join(&r, plan, p);
		oracle(w->d, req, r.set, r.n);
	}
}

/* ---- the plans ---- */

static void check_plan(const struct world *w, const struct policy_call_request *req,
		       const struct policy_call_plan *plan)
{
	if (plan->action != POLICY_DELIVER && plan->action != POLICY_BLOCK)
		fail("a call plan is neither connect nor refuse");
	if (!plan->n_rules || !plan->reason || !*plan->reason)
		fail("a plan without its rules or reason");
	/* The records list each rule once (a refusal puts its rule first, not twice). */
	for (unsigned i = 0; i < plan->n_rules; i++)
		for (unsigned k = i + 1; k < plan->n_rules; k++)
			if (!strcmp(plan->rules[i], plan->rules[k]))
				fail("rule %s listed twice", plan->rules[i]);
	if (plan->action == POLICY_BLOCK) {
		if (!plan->reply || !*plan->reply)
			fail("a refused call without a reply to the caller");
		return;
	}
	if (plan->guardian_required && !plan->n_guardians)
		fail("a guardian required but none to dial");
	for (unsigned i = 0; i < plan->n_guardians; i++) {
		const struct dir_person *g = plan->guardians[i];

		if (!plan->student || !guardian_of(g, plan->student))
			fail("%s dialled as a guardian of someone else", g->display);
		if (!g->phone || (g->opted_out & (1u << req->relay->index)))
			fail("%s dialled with no phone, or opted out", g->display);
		if (i && plan->guardians[i - 1] == g)
			fail("a guardian twice");
	}
	if (plan->flagged != (req->crisis && plan->student && req->callee == plan->student &&
			      policy_call_plan_has_rule(plan, POLICY_RULE_CRISIS)))
		fail("the crisis flag does not match the crisis call");
	(void)w;
}

static void random_request(struct world *w, struct policy_call_request *req)
{
	struct dir_person *const *pool = w->everyone;
	unsigned n = w->n_everyone;

	memset(req, 0, sizeof(*req));
	req->relay = w->d->relays[below(w->d->n_relays)];
	req->team = w->d->n_teams ? w->d->teams[below(w->d->n_teams)] : NULL;
	req->caller = chance(3) ? NULL : pool[below(n)];
	/* Mostly the calls the relay is for: staff and students of one team. */
	if (req->team && req->team->n_staff && req->team->n_students && chance(60)) {
		struct dir_person *st = req->team->staff[below(req->team->n_staff)];
		struct dir_person *su = req->team->students[below(req->team->n_students)];

		req->caller = chance(60) ? st : su;
		req->callee = req->caller == st ? su : st;
	} else {
		req->callee = pool[below(n)];
	}
	req->urgent = chance(10);
	req->crisis = chance(10);
	req->now = NOW;
	req->local.tm_hour = (int)below(24);
	req->local.tm_min = (int)below(60);
}

int main(int argc, char **argv)
{
	unsigned long total = argc > 2 ? strtoul(argv[2], NULL, 10) : 100000;
	struct policy_config cfg;
	void *ctx = talloc_named_const(NULL, 0, "test_call_property");
	struct world *w = NULL;
	unsigned long connected = 0, refused = 0, with_guardian = 0, crisis = 0, waived = 0;

	seed = argc > 1 ? strtoull(argv[1], NULL, 10) : (uint64_t)time(NULL);
	rng_state = seed;
	printf("test_call_property: seed %" PRIu64 ", %lu requests\n", seed, total);
	policy_config_defaults(&cfg);
	cfg.district = "Lakeview Public Schools";
	for (n_req = 0; n_req < total; n_req++) {
		struct policy_call_request req;
		struct policy_call_plan plan;
		void *tmp;

		if (n_req % DIR_EVERY == 0) {
			talloc_free(w);
			w = build_world(ctx);
			cfg.quiet_hours = chance(50);
			cfg.quiet_start_min = 21 * 60;
			cfg.quiet_end_min = 7 * 60;
		}
		random_request(w, &req);
		if (!req.caller && chance(50))
			continue;
		tmp = talloc_new(ctx);
		if (policy_call_evaluate(tmp, w->d, &cfg, &req, &plan) < 0)
			fail("a well-formed request rejected as malformed");
		check_plan(w, &req, &plan);
		if (plan.action == POLICY_DELIVER) {
			connected++;
			with_guardian += plan.guardian_required;
			crisis += plan.flagged;
			waived += plan.exception_id != 0;
			run_call(w, &req, &plan);
		} else {
			refused++;
		}
		talloc_free(tmp);
	}
	printf("test_call_property: %lu connected (%lu needing a guardian, %lu crisis, %lu with "
	       "an exception), %lu refused; the invariant held after every step\n",
	       connected, with_guardian, crisis, waived, refused);
	if (!with_guardian || !refused || !crisis || !waived)
		fail("the requests did not reach every kind of plan");
	talloc_free(ctx);
	return 0;
}
