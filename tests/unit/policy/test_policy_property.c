/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Property test of the policy engine: random districts, random requests, and the
 * invariants that must hold on every verdict whatever the rules decided.
 *
 *   test_policy_property [SEED [REQUESTS]]
 *
 * The seed is printed so that a failure can be replayed. The directory is rebuilt every
 * DIR_EVERY requests; bodies carry directory numbers in the forms people type them. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <talloc.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "storage/model/directory.h"
#include "storage/model/phone_number.h"
#include "gateway/policy/policy.h"
#include "tests/unit/policy/random_district.h"

#define DIR_EVERY 500

static uint64_t seed;
static unsigned long n_req;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "test_policy_property: FAIL (seed %" PRIu64 ", request %lu): ", seed,
		n_req);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ---- random bodies ---- */

/* A directory number written the way people write numbers. */
static char *typed_phone(void *ctx, const char *e164)
{
	const char *d = e164 + 1;
	size_t n = strlen(d);

	if (d[0] == '1' && n == 11) {
		const char *a = d + 1;
		switch (below(9)) {
		case 0:
			return talloc_strdup(ctx, e164);
		case 1:
			return talloc_asprintf(ctx, "(%.3s) %.3s-%.4s", a, a + 3, a + 6);
		case 2:
			return talloc_asprintf(ctx, "%.3s.%.3s.%.4s", a, a + 3, a + 6);
		case 3:
			return talloc_asprintf(ctx, "%.3s-%.3s-%.4s", a, a + 3, a + 6);
		case 4:
			return talloc_asprintf(ctx, "1-%.3s-%.3s-%.4s", a, a + 3, a + 6);
		case 5:
			return talloc_asprintf(ctx, "+1 %.3s %.3s %.4s", a, a + 3, a + 6);
		case 6:
			return talloc_asprintf(ctx, "%.3s-%.4s", a + 3, a + 6);
		case 7:
			return talloc_asprintf(ctx, "%.10s", a);
		default:
			return talloc_asprintf(ctx, "%.3s %.3s %.4s", a, a + 3, a + 6);
		}
	}
	switch (below(3)) {
	case 0:
		return talloc_strdup(ctx, e164);
	case 1:
		return talloc_asprintf(ctx, "0%s", d + 2); /* national, trunk 0 */
	default:
		return talloc_asprintf(ctx, "+%.2s %.4s %s", d, d + 2, d + 6);
	}
}

static char *random_body(void *ctx, struct world *w)
{
	static const char *const words[] = {
	    "practice",	   "at",    "5",  "on",	  "the", "court", "bus", "leaves",
	    "now",	   "game",  "12", "Elm",  "St",	 "call",  "me",	 "\xf0\x9f\x98\x80",
	    "caf\xc3\xa9", "#1",    "@",  "team", "!",	 "4:30",  "3-2", "Ave",
	    "1600",	   "Drive", "x",  "555",  "123", "0001",  "(",	 ")",
	};
	char *b = talloc_strdup(ctx, "");
	unsigned n = below(12);

	for (unsigned i = 0; i < n; i++) {
		const char *sep = i ? (chance(80) ? " " : chance(50) ? ", " : "") : "";
		unsigned what = below(10);

		if (what < 2 && w->n_everyone) {
			const struct dir_person *p = w->everyone[below(w->n_everyone)];
			b = talloc_asprintf_append(b, "%s%s", sep,
						   p->phone ? typed_phone(b, p->phone) : "none");
		} else if (what == 2) {
			b = talloc_asprintf_append(b, "%s%03u-%03u-%04u", sep, below(1000),
						   below(1000), below(10000));
		} else if (what == 3 && chance(30)) {
			b = talloc_asprintf_append(b, "%sme%u@example.org", sep, below(100));
		} else {
			b = talloc_asprintf_append(b, "%s%s", sep, words[below(ARRAY_SIZE(words))]);
		}
	}
	return b;
}

/* ---- the invariants ---- */

static const struct policy_delivery *delivery_to(const struct policy_verdict *v,
						 const struct dir_person *p)
{
	for (unsigned i = 0; i < v->n_deliveries; i++)
		if (v->deliveries[i].to == p)
			return &v->deliveries[i];
	return NULL;
}

static bool opted_out(const struct dir_person *p, const struct dir_relay *r)
{
	return (p->opted_out >> r->index) & 1u;
}

/* Does `digits` (a run in text) denote the phone of someone other than `to`? Fast path
 * by the last six digits (every matching form ends in them); `full` also checks all. */
static const struct dir_person *other_number(const struct world *w, const char *digits,
					     const struct dir_person *to, bool full)
{
	size_t n = strlen(digits);

	if (full) {
		for (unsigned i = 0; i < w->n_everyone; i++) {
			const struct dir_person *p = w->everyone[i];
			if (p != to && p->phone && phone_digits_match(digits, p->phone))
				return p;
		}
		return NULL;
	}
	if (n < 6)
		return NULL;
	{
		uint32_t k = last6_of(digits, n);
		size_t lo = 0, hi = w->n_keys;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (w->keys[mid].last6 < k)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < w->n_keys && w->keys[lo].last6 == k; lo++)
			if (w->keys[lo].p != to && phone_digits_match(digits, w->keys[lo].p->phone))
				return w->keys[lo].p;
	}
	return NULL;
}

static bool is_team_student(const struct dir_team *t, const struct dir_person *p)
{
	for (unsigned i = 0; i < t->n_students; i++)
		if (t->students[i] == p)
			return true;
	return false;
}

static void check(const struct world *w, const struct policy_request *req,
		  const struct policy_verdict *v, bool full)
{
	const struct dir_person *sender = req->sender;
	bool student_recipient = false;

	/* (5) readable reasons; a block says why and what to do. */
	if (!v->reason || !*v->reason)
		fail("no reason");
	if (v->action == POLICY_BLOCK && (!v->reply || !*v->reply))
		fail("block without reply: %s", v->reason);
	/* (6) a hold or block names the rule that decided it. */
	if (v->action != POLICY_DELIVER && v->n_rules < 1)
		fail("%s without rule", policy_action_name(v->action));
	if (v->action == POLICY_DELIVER && !v->n_deliveries)
		fail("deliver to nobody: %s", v->reason);
	if (v->action == POLICY_HOLD && v->release == POLICY_RELEASE_TIME &&
	    (v->hold_until <= req->now || v->hold_until > req->now + 86400))
		fail("hold_until out of range");

	for (unsigned i = 0; i < v->n_deliveries; i++) {
		const struct policy_delivery *d = &v->deliveries[i];
		size_t from = 0, a, b;
		char digits[16];

		/* (4) never to the sender, nobody twice. */
		if (d->to == sender)
			fail("delivery to the sender");
		for (unsigned j = 0; j < i; j++)
			if (v->deliveries[j].to == d->to)
				fail("%s twice", d->to->display);
		/* Nobody without a phone or opted out of this relay. */
		if (!d->to->phone || opted_out(d->to, req->relay))
			fail("delivery to %s who cannot receive", d->to->display);
		/* (3) the sender is named. */
		if (!d->body || !strstr(d->body, sender->display))
			fail("body does not name %s: %s", sender->display, d->body);
		/* (2) no number of anyone but the recipient. */
		while (phone_find_in_text(d->body, from, &a, &b, digits)) {
			const struct dir_person *o = other_number(w, digits, d->to, full);
			if (o)
				fail("body to %s carries %s's number %s: %s", d->to->display,
				     o->display, o->phone, d->body);
			from = b;
		}
		if (d->to->role == DIR_STUDENT)
			student_recipient = true;
	}

	/* (8) a relative is never copied: nothing reaches one unless the sender named them. */
	for (unsigned i = 0; i < v->n_deliveries; i++)
		for (unsigned r = 0; r < w->n_relatives; r++) {
			bool named = false;

			if (v->deliveries[i].to != w->relatives[r])
				continue;
			for (unsigned k = 0; req->addr == POLICY_TO_PEOPLE && k < req->n_people;
			     k++)
				named |= req->people[k] == w->relatives[r];
			if (!named || v->deliveries[i].why == POLICY_WHY_GUARDIAN_COPY)
				fail("relative %s reached (%s)", w->relatives[r]->display,
				     policy_why_name(v->deliveries[i].why));
		}

	/* (7) a student's message in a crisis conversation reaches its staff member and the
	 * administrators a crisis alerts: never a guardian, never another coach. */
	if (sender->role == DIR_STUDENT && req->crisis && req->addr == POLICY_TO_STAFF &&
	    req->n_people == 1) {
		if (!v->flagged)
			fail("crisis conversation message not flagged");
		for (unsigned i = 0; i < v->n_deliveries; i++) {
			const struct policy_delivery *d = &v->deliveries[i];
			bool alerted =
			    d->why == POLICY_WHY_CRISIS_ALERT && d->to->role == DIR_ADMIN;
			if (d->to != req->people[0] && !alerted)
				fail("crisis conversation of %s reached %s (%s)", sender->display,
				     d->to->display, dir_role_name(d->to->role));
		}
		return;
	}

	/* (1) staff to students: the whole team, or every reachable guardian copied. */
	if (v->action != POLICY_DELIVER || !dir_is_staff_side(sender) || !student_recipient)
		return;
	if (v->flagged || v->exception_id)
		return;
	if (req->addr == POLICY_TO_TEAM) {
		for (unsigned i = 0; i < req->team->n_students; i++) {
			const struct dir_person *s = req->team->students[i];
			if (s->phone && !opted_out(s, req->relay) && s != sender &&
			    !delivery_to(v, s))
				fail("team message missed %s", s->display);
		}
		for (unsigned i = 0; i < v->n_deliveries; i++)
			if (v->deliveries[i].to->role == DIR_STUDENT &&
			    !is_team_student(req->team, v->deliveries[i].to))
				fail("team message to a student not on the team");
		return;
	}
	for (unsigned i = 0; i < v->n_deliveries; i++) {
		const struct dir_person *s = v->deliveries[i].to;
		unsigned reachable = 0;

		if (s->role != DIR_STUDENT)
			continue;
		for (unsigned g = 0; g < s->n_guardians; g++) {
			const struct dir_person *gp = s->guardians[g];
			/* A staff member writing to their own child is the guardian included. */
			if (gp == sender) {
				reachable++;
				continue;
			}
			if (!dir_reachable(gp, req->relay))
				continue;
			reachable++;
			if (gp != sender && !delivery_to(v, gp))
				fail("%s's guardian %s not copied", s->display, gp->display);
		}
		if (!reachable)
			fail("%s reached with no guardian reachable", s->display);
	}
}

/* ---- random requests ---- */

static void random_request(void *ctx, struct world *w, struct policy_request *req,
			   struct policy_config *cfg)
{
	const struct directory *d = w->d;
	const struct dir_person **people;
	const struct dir_person *s;
	unsigned pick = below(10);

	memset(req, 0, sizeof(*req));
	if (pick < 5)
		s = w->staff[below(w->n_staff)];
	else if (pick < 8)
		s = w->students[below(w->n_students)];
	else
		s = w->everyone[below(w->n_everyone)];
	req->sender = s;

	/* Mostly a team of the sender (or of a ward), sometimes any. */
	if (s->n_teams && chance(80))
		req->team = s->teams[below(s->n_teams)];
	else if (s->n_wards && s->wards[0]->n_teams && chance(80))
		req->team = s->wards[0]->teams[below(s->wards[0]->n_teams)];
	else
		req->team = d->teams[below(d->n_teams)];
	req->relay =
	    req->team->relay && chance(90) ? req->team->relay : d->relays[below(d->n_relays)];

	/* Mostly what each role may do, often enough what it may not. */
	if (chance(15))
		req->addr = (enum policy_addr)below(4);
	else if (dir_is_staff_side(s))
		req->addr = (enum policy_addr)below(3);
	else
		req->addr = POLICY_TO_STAFF;
	if (req->addr == POLICY_TO_SUBGROUP) {
		if (req->team->n_subgroups)
			req->subgroup = req->team->subgroups[below(req->team->n_subgroups)];
		else
			req->addr = POLICY_TO_TEAM;
	}
	if (req->addr == POLICY_TO_PEOPLE) {
		unsigned n = 1 + below(4);
		people = talloc_array(ctx, const struct dir_person *, n);
		for (unsigned i = 0; i < n; i++) {
			unsigned k = below(20);
			const struct dir_person *st =
			    req->team->n_students
				? req->team->students[below(req->team->n_students)]
				: NULL;
			if (k < 14 && st)
				people[i] = st;
			else if (k < 16 && st && st->n_guardians)
				people[i] = st->guardians[below(st->n_guardians)];
			else if (k < 17)
				people[i] = s;
			else
				people[i] = w->everyone[below(w->n_everyone)];
		}
		/* Crisis and exceptions are about exactly one student. */
		if (chance(40))
			n = 1;
		req->people = people;
		req->n_people = n;
	}
	req->body = random_body(ctx, w);
	req->urgent = chance(20);
	req->crisis = chance(15);
	/* What the router asks for a student's message in an open crisis conversation (to its
	 * staff member, crisis set), or on a building's number (to the counselor of the
	 * conversation). */
	if (req->addr == POLICY_TO_STAFF && s->role == DIR_STUDENT && chance(40)) {
		people = talloc_array(ctx, const struct dir_person *, 1);
		people[0] = w->staff[below(w->n_staff)];
		req->people = people;
		req->n_people = 1;
		req->crisis = chance(60);
	}
	req->now = NOW + (time_t)below(3600) - 1800;
	req->local.tm_hour = (int)below(24);
	req->local.tm_min = (int)below(60);
	req->local.tm_sec = (int)below(60);

	policy_config_defaults(cfg);
	cfg->district = "Test District";
	cfg->guardians_on_team_messages = chance(50);
	cfg->quiet_hours = chance(70);
	cfg->quiet_start_min = (int)below(1440);
	cfg->quiet_end_min = (int)below(1440);
	cfg->oversight = (enum policy_oversight)below(3);
	cfg->contact_screen = chance(60);
	cfg->notice = chance(70);
}

static struct {
	const char *rule;
	unsigned long n;
} deciders[POLICY_MAX_RULES];

static void count_decider(const char *rule)
{
	unsigned i;

	for (i = 0; i < POLICY_MAX_RULES && deciders[i].rule; i++)
		if (!strcmp(deciders[i].rule, rule))
			break;
	if (i == POLICY_MAX_RULES)
		return;
	deciders[i].rule = rule;
	deciders[i].n++;
}

int main(int argc, char **argv)
{
	unsigned long total = 100000, counts[3] = {0}, deliveries = 0, flagged = 0, excepted = 0;
	void *root = talloc_new(NULL);
	struct world *w = NULL;
	struct timespec t0, t1;

	seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 0x5eed2024ULL;
	if (argc > 2)
		total = strtoul(argv[2], NULL, 0);
	rng_state = seed;
	printf("test_policy_property: seed %" PRIu64 ", %lu requests\n", seed, total);
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);

	for (n_req = 0; n_req < total; n_req++) {
		struct policy_request req;
		struct policy_config cfg;
		struct policy_verdict v;
		void *ctx;
		int rc;

		if (n_req % DIR_EVERY == 0) {
			talloc_free(w);
			w = build_world(root);
		}
		ctx = talloc_new(root);
		random_request(ctx, w, &req, &cfg);
		rc = policy_evaluate(ctx, w->d, &cfg, &req, &v);
		if (rc != 0)
			fail("well-formed request refused");
		/* Every 64th verdict's bodies are checked against every person, not the index. */
		check(w, &req, &v, n_req % 64 == 0);
		counts[v.action]++;
		if (v.action != POLICY_DELIVER)
			count_decider(v.rules[0]);
		deliveries += v.n_deliveries;
		flagged += v.flagged;
		excepted += v.exception_id != 0;
		talloc_free(ctx);

		/* Malformed requests are refused, not evaluated. */
		if (n_req % 1000 == 0) {
			req.sender = NULL;
			if (policy_evaluate(root, w->d, &cfg, &req, &v) != -1)
				fail("request without sender accepted");
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("test_policy_property: %lu requests in %.2f s: %lu delivered, %lu held, %lu "
	       "blocked, %lu deliveries\n",
	       total, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       counts[POLICY_DELIVER], counts[POLICY_HOLD], counts[POLICY_BLOCK], deliveries);
	printf("  crisis-flagged %lu, allowed by an exception %lu\n", flagged, excepted);
	for (unsigned i = 0; i < POLICY_MAX_RULES && deciders[i].rule; i++)
		printf("  held or blocked by %s: %lu\n", deciders[i].rule, deciders[i].n);
	talloc_free(root);
	return 0;
}
