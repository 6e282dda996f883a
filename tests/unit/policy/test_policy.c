/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The policy engine, rule by rule: who gets a message and why, what they read, and when
 * it is held or blocked instead. One small district (see setup()) serves all tests. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <talloc.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "storage/model/directory.h"
#include "storage/model/phone_number.h"
#include "gateway/policy/policy.h"
#include "gateway/policy/policy_call.h"

#define NOW ((time_t)1750000000)

struct fx {
	void *ctx;
	struct directory *d;
	struct dir_relay *r0, *r1;
	struct dir_person *ad, *principal, *counselor;
	struct dir_person *dana, *max, *eve, *tom;
	struct dir_person *jamie, *alex, *sam, *taylor, *riley, *blake, *casey;
	struct dir_person *pat, *chris, *jordan, *morgan, *drew, *fran, *quinn;
	struct dir_team *soccer, *robotics, *chess;
	struct dir_subgroup *injured, *bench, *captains, *officers;
	struct dir_exception *e_family_sam, *e_perm_sam, *e_expired_blake, *e_sharing_jamie,
	    *e_safety_blake, *e_perm_jamie, *e_ends_now_alex;

	struct policy_config cfg;
	struct policy_request req;
	const struct dir_person *people[8];
	void *vctx;
	struct policy_verdict v;
};

static struct fx *F;

static int64_t next_id = 1;

static struct dir_person *person(enum dir_role role, enum dir_title title, const char *given,
				 const char *family, const char *handle, const char *phone)
{
	struct dir_person_spec s = {
	    .id = next_id++,
	    .role = role,
	    .title = title,
	    .given = given,
	    .family = family,
	    .handle = handle,
	    .phone = phone,
	};
	return dir_add_person(F->d, &s);
}

static int setup(void **state)
{
	struct directory *d;

	F = talloc_zero(NULL, struct fx);
	F->ctx = F;
	d = F->d = dir_new(F);
	F->r0 = dir_add_relay(d, 1, "+15550000001", "athletics");
	F->r1 = dir_add_relay(d, 2, "+15550000002", "classes");

	F->ad = person(DIR_ADMIN, DIR_T_ATHLETIC_DIRECTOR, "Sam", "Park", "spark", "+15557000001");
	F->principal = person(DIR_ADMIN, DIR_T_PRINCIPAL, "Ana", "Ortiz", "aortiz", "+15557000002");
	F->counselor = person(DIR_ADMIN, DIR_T_COUNSELOR, "Lee", "Kim", "lkim", "+15557000003");
	F->dana = person(DIR_STAFF, DIR_T_COACH, "Dana", "Lee", "danal", "+15551230001");
	F->max = person(DIR_STAFF, DIR_T_COACH, "Max", "Ray", "maxr", "+15551230002");
	F->eve = person(DIR_STAFF, DIR_T_ADVISOR, "Eve", "Stone", "eves", "+15551230003");
	F->tom = person(DIR_STAFF, DIR_T_TEACHER, "Tom", "Hill", "tomh", "+15551230004");

	F->jamie = person(DIR_STUDENT, DIR_T_NONE, "Jamie", "Rivera", "jamier", "+15552220001");
	F->alex = person(DIR_STUDENT, DIR_T_NONE, "Alex", "Kim", "alexk", "+15552220002");
	F->sam = person(DIR_STUDENT, DIR_T_NONE, "Sam", "Noor", "samn", "+15552220003");
	F->taylor = person(DIR_STUDENT, DIR_T_NONE, "Taylor", "Wu", "taylorw", "+15552220004");
	F->riley = person(DIR_STUDENT, DIR_T_NONE, "Riley", "Fox", "rileyf", NULL);
	F->blake = person(DIR_STUDENT, DIR_T_NONE, "Blake", "Shaw", "blakes", "+15552220006");
	F->casey = person(DIR_STUDENT, DIR_T_NONE, "Casey", "Lin", "caseyl", "+15552220007");

	F->pat = person(DIR_GUARDIAN, DIR_T_NONE, "Pat", "Rivera", "patr", "+15553330001");
	F->chris = person(DIR_GUARDIAN, DIR_T_NONE, "Chris", "Rivera", "chrisr", NULL);
	F->jordan = person(DIR_GUARDIAN, DIR_T_NONE, "Jordan", "Kim", "jordank", "+15553330002");
	F->morgan = person(DIR_GUARDIAN, DIR_T_NONE, "Morgan", "Wu", "morganw", "+15553330004");
	F->drew = person(DIR_GUARDIAN, DIR_T_NONE, "Drew", "Fox", "drewf", "+15553330005");
	F->fran = person(DIR_GUARDIAN, DIR_T_NONE, "Fran", "Shaw", "frans", "+15553330006");
	F->quinn = person(DIR_GUARDIAN, DIR_T_NONE, "Quinn", "Lin", "quinnl", "+15553330007");

	dir_add_guardianship(F->jamie, F->pat);
	dir_add_guardianship(F->jamie, F->chris);
	dir_add_guardianship(F->alex, F->jordan);
	dir_add_guardianship(F->alex, F->max); /* a coach who is also a parent */
	dir_add_guardianship(F->taylor, F->morgan);
	dir_add_guardianship(F->riley, F->drew);
	dir_add_guardianship(F->blake, F->fran);
	dir_add_guardianship(F->casey, F->quinn);

	F->soccer = dir_add_team(d, 1, NULL, "soccer", "Soccer", DIR_TEAM_SPORTS);
	dir_team_set_relay(F->soccer, F->r0);
	dir_team_add_member(F->soccer, F->dana);
	dir_team_add_member(F->soccer, F->max);
	dir_team_add_member(F->soccer, F->jamie);
	dir_team_add_member(F->soccer, F->alex);
	dir_team_add_member(F->soccer, F->sam);
	dir_team_add_member(F->soccer, F->taylor);
	dir_team_add_member(F->soccer, F->riley);
	dir_team_add_member(F->soccer, F->blake);
	F->injured = dir_team_add_subgroup(F->soccer, 1, "injured");
	dir_subgroup_add(F->injured, F->jamie);
	dir_subgroup_add(F->injured, F->alex);
	F->bench = dir_team_add_subgroup(F->soccer, 2, "bench");
	dir_subgroup_add(F->bench, F->sam);
	dir_subgroup_add(F->bench, F->jamie);
	F->captains = dir_team_add_subgroup(F->soccer, 3, "captains");

	F->robotics = dir_add_team(d, 2, NULL, "robotics", "Robotics", DIR_TEAM_CLUB);
	dir_team_set_relay(F->robotics, F->r0);
	dir_team_add_member(F->robotics, F->eve);
	dir_team_add_member(F->robotics, F->principal); /* an overseer who is also staff */
	dir_team_add_member(F->robotics, F->casey);
	F->officers = dir_team_add_subgroup(F->robotics, 4, "officers");
	dir_subgroup_add(F->officers, F->casey);

	F->chess = dir_add_team(d, 3, NULL, "chess", "Chess", DIR_TEAM_CLASS);
	dir_team_set_relay(F->chess, F->r1);
	dir_team_add_member(F->chess, F->tom);
	dir_team_add_member(F->chess, F->jamie);

	F->e_family_sam = dir_add_exception(d, 101, F->dana, F->sam, DIR_EXC_FAMILY, "aunt",
					    F->principal, NOW - 100, NOW + 86400);
	F->e_perm_sam = dir_add_exception(d, 102, F->max, F->sam, DIR_EXC_GUARDIAN_PERMISSION,
					  "letter", F->principal, NOW - 100, NOW + 86400);
	F->e_expired_blake = dir_add_exception(d, 103, F->dana, F->blake, DIR_EXC_FAMILY, "uncle",
					       F->principal, NOW - 1000, NOW - 1);
	F->e_sharing_jamie = dir_add_exception(d, 104, F->dana, F->jamie, DIR_EXC_CONTACT_SHARING,
					       "carpool", F->principal, NOW - 100, NOW + 86400);
	F->e_safety_blake = dir_add_exception(d, 105, F->max, F->blake, DIR_EXC_SAFETY, "safety",
					      F->principal, NOW - 100, NOW + 86400);
	F->e_perm_jamie = dir_add_exception(d, 106, F->max, F->jamie, DIR_EXC_GUARDIAN_PERMISSION,
					    "letter", F->principal, NOW - 100, NOW + 86400);
	F->e_ends_now_alex = dir_add_exception(d, 107, F->dana, F->alex, DIR_EXC_FAMILY, "cousin",
					       F->principal, NOW - 100, NOW);
	dir_finish(d);

	/* Everyone has had the recording notice, except where a test says otherwise. */
	for (unsigned i = 0; i < d->n_persons; i++)
		d->persons[i]->noticed = 0x3;
	F->taylor->opted_out = 1u << F->r0->index;
	F->fran->opted_out = 1u << F->r0->index;

	policy_config_defaults(&F->cfg);
	F->cfg.district = "Sharon Public Schools";

	F->req.sender = F->dana;
	F->req.relay = F->r0;
	F->req.team = F->soccer;
	F->req.addr = POLICY_TO_TEAM;
	F->req.people = F->people;
	F->req.body = "Practice moved to 5pm";
	F->req.now = NOW;
	F->req.local.tm_hour = 15;
	F->req.local.tm_min = 0;
	*state = F;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	talloc_free(F);
	F = NULL;
	return 0;
}

/* ---- helpers ---- */

static void to_people(int n, ...)
{
	va_list ap;

	va_start(ap, n);
	for (int i = 0; i < n; i++)
		F->people[i] = va_arg(ap, const struct dir_person *);
	va_end(ap);
	F->req.addr = POLICY_TO_PEOPLE;
	F->req.n_people = (unsigned)n;
}

static void at(int hour, int min, int sec)
{
	F->req.local.tm_hour = hour;
	F->req.local.tm_min = min;
	F->req.local.tm_sec = sec;
}

/* What every verdict must satisfy, whatever the rules decided. */
static void check_sane(const struct policy_verdict *v)
{
	assert_non_null(v->reason);
	assert_true(strlen(v->reason) > 0);
	if (v->action == POLICY_BLOCK) {
		assert_non_null(v->reply);
		assert_true(strlen(v->reply) > 0);
		assert_int_equal(v->n_deliveries, 0);
	}
	if (v->action != POLICY_DELIVER)
		assert_true(v->n_rules >= 1);
	for (unsigned i = 0; i < v->n_deliveries; i++) {
		const struct policy_delivery *d = &v->deliveries[i];
		assert_ptr_not_equal(d->to, F->req.sender);
		assert_non_null(d->body);
		assert_non_null(strstr(d->body, F->req.sender->display));
		if (F->req.sender->phone) {
			char digits[16];
			size_t a, b, from = 0;
			while (phone_find_in_text(d->body, from, &a, &b, digits)) {
				assert_false(phone_digits_match(digits, F->req.sender->phone));
				from = b;
			}
		}
		for (unsigned j = 0; j < i; j++)
			assert_ptr_not_equal(v->deliveries[j].to, d->to);
	}
}

static struct policy_verdict *run(void)
{
	talloc_free(F->vctx);
	F->vctx = talloc_new(F);
	assert_int_equal(policy_evaluate(F->vctx, F->d, &F->cfg, &F->req, &F->v), 0);
	check_sane(&F->v);
	return &F->v;
}

static const struct policy_delivery *find(const struct dir_person *p)
{
	for (unsigned i = 0; i < F->v.n_deliveries; i++)
		if (F->v.deliveries[i].to == p)
			return &F->v.deliveries[i];
	return NULL;
}

static const char *gets(const struct dir_person *p, enum policy_why why)
{
	const struct policy_delivery *d = find(p);

	if (!d)
		fail_msg("%s gets nothing", p->display);
	assert_int_equal(d->why, why);
	return d->body;
}

static void not_gets(const struct dir_person *p)
{
	if (find(p))
		fail_msg("%s should get nothing", p->display);
}

static bool skipped(const struct dir_person *p)
{
	for (unsigned i = 0; i < F->v.n_skipped; i++)
		if (F->v.skipped[i] == p)
			return true;
	return false;
}

static void assert_rule_first(const char *rule)
{
	assert_true(F->v.n_rules >= 1);
	assert_string_equal(F->v.rules[0], rule);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!hay || !strstr(hay, needle))
		fail_msg("\"%s\" does not contain \"%s\"", hay ? hay : "(null)", needle);
}

/* ---- the engine's contract ---- */

static void test_rules_table(void **state)
{
	static const char *const order[] = {
	    POLICY_RULE_CRISIS,	       POLICY_RULE_EXCEPTION,	   POLICY_RULE_WHOLE_TEAM,
	    POLICY_RULE_GUARDIAN_COPY, POLICY_RULE_CONTACT_SCREEN, POLICY_RULE_QUIET_HOURS,
	    POLICY_RULE_OVERSIGHT,     POLICY_RULE_OPT_OUT,	   POLICY_RULE_ATTRIBUTION,
	    POLICY_RULE_MASKING,       POLICY_RULE_NOTICE,
	};
	unsigned n;
	const struct policy_rule_info *r = policy_rules(&n);

	(void)state;
	assert_int_equal(n, ARRAY_SIZE(order));
	for (unsigned i = 0; i < n; i++) {
		assert_string_equal(r[i].id, order[i]);
		assert_true(strlen(r[i].summary) > 10);
	}
	assert_string_equal(policy_action_name(POLICY_DELIVER), "deliver");
	assert_string_equal(policy_action_name(POLICY_HOLD), "hold");
	assert_string_equal(policy_action_name(POLICY_BLOCK), "block");
	assert_string_equal(policy_why_name(POLICY_WHY_ADDRESSED), "addressed");
	assert_string_equal(policy_why_name(POLICY_WHY_TEAM_STAFF), "team-staff");
	assert_string_equal(policy_why_name(POLICY_WHY_GUARDIAN_COPY), "guardian-copy");
	assert_string_equal(policy_why_name(POLICY_WHY_OVERSIGHT), "oversight");
	assert_string_equal(policy_why_name(POLICY_WHY_CRISIS_ALERT), "crisis-alert");
	assert_false(policy_verdict_has_rule(NULL, "masking"));
}

static void test_config_defaults(void **state)
{
	struct policy_config c;

	(void)state;
	memset(&c, 0xff, sizeof(c));
	policy_config_defaults(&c);
	assert_false(c.guardians_on_team_messages);
	assert_true(c.quiet_hours);
	assert_int_equal(c.quiet_start_min, 21 * 60);
	assert_int_equal(c.quiet_end_min, 7 * 60);
	assert_int_equal(c.oversight, POLICY_OVERSIGHT_COPY);
	assert_true(c.contact_screen);
	assert_true(c.notice);
	assert_null(c.notice_text);
	assert_non_null(c.district);
}

static void test_malformed_requests(void **state)
{
	struct policy_verdict v;
	struct policy_request r;

	(void)state;
	r = F->req;
	r.sender = NULL;
	assert_int_equal(policy_evaluate(F, F->d, &F->cfg, &r, &v), -1);
	r = F->req;
	r.relay = NULL;
	assert_int_equal(policy_evaluate(F, F->d, &F->cfg, &r, &v), -1);
	r = F->req;
	r.team = NULL;
	assert_int_equal(policy_evaluate(F, F->d, &F->cfg, &r, &v), -1);
	r = F->req;
	r.addr = POLICY_TO_SUBGROUP;
	r.subgroup = NULL;
	assert_int_equal(policy_evaluate(F, F->d, &F->cfg, &r, &v), -1);
	r.subgroup = F->officers; /* another team's subgroup */
	assert_int_equal(policy_evaluate(F, F->d, &F->cfg, &r, &v), -1);
	r = F->req;
	r.addr = POLICY_TO_PEOPLE;
	r.n_people = 0;
	assert_int_equal(policy_evaluate(F, F->d, &F->cfg, &r, &v), -1);
	r.n_people = 1;
	F->people[0] = NULL;
	assert_int_equal(policy_evaluate(F, F->d, &F->cfg, &r, &v), -1);
	assert_int_equal(policy_evaluate(F, F->d, &F->cfg, &F->req, NULL), -1);
	/* A NULL config means the defaults; a NULL body is empty text. */
	F->req.body = NULL;
	assert_int_equal(policy_evaluate(F, F->d, NULL, &F->req, &v), 0);
	assert_int_equal(v.action, POLICY_DELIVER);
}

/* ---- whole-team ---- */

static void test_whole_team(void **state)
{
	struct policy_verdict *v;

	(void)state;
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	assert_string_equal(gets(F->jamie, POLICY_WHY_ADDRESSED),
			    "[Soccer] Coach Dana Lee: Practice moved to 5pm");
	gets(F->alex, POLICY_WHY_ADDRESSED);
	gets(F->sam, POLICY_WHY_ADDRESSED);
	gets(F->blake, POLICY_WHY_ADDRESSED);
	assert_string_equal(gets(F->max, POLICY_WHY_TEAM_STAFF),
			    "[Soccer] Coach Dana Lee: Practice moved to 5pm");
	assert_string_equal(gets(F->ad, POLICY_WHY_OVERSIGHT),
			    "[Soccer] Coach Dana Lee to the Soccer team: Practice moved to 5pm");
	/* Opted out, no phone: skipped, listed. Guardians are not copied by default. */
	not_gets(F->taylor);
	not_gets(F->riley);
	assert_true(skipped(F->taylor));
	assert_true(skipped(F->riley));
	assert_int_equal(v->n_skipped, 2);
	not_gets(F->pat);
	not_gets(F->dana);
	not_gets(F->principal);
	assert_int_equal(v->n_deliveries, 6);
	assert_true(policy_verdict_has_rule(v, POLICY_RULE_WHOLE_TEAM));
	assert_true(policy_verdict_has_rule(v, POLICY_RULE_OVERSIGHT));
	assert_true(policy_verdict_has_rule(v, POLICY_RULE_OPT_OUT));
	assert_true(policy_verdict_has_rule(v, POLICY_RULE_ATTRIBUTION));
	assert_false(policy_verdict_has_rule(v, POLICY_RULE_GUARDIAN_COPY));
	assert_false(policy_verdict_has_rule(v, POLICY_RULE_MASKING));
	assert_false(policy_verdict_has_rule(v, POLICY_RULE_NOTICE));
	assert_contains(v->reason, "whole team Soccer (6 students)");
	assert_contains(v->reason, "athletic director copied");
	assert_null(v->reply);
	assert_false(v->flagged);
	assert_int_equal(v->exception_id, 0);
	/* Deliveries come in rank order: addressed first. */
	assert_int_equal(v->deliveries[0].why, POLICY_WHY_ADDRESSED);
	assert_int_equal(v->deliveries[v->n_deliveries - 1].why, POLICY_WHY_OVERSIGHT);
}

static void test_whole_team_guardians(void **state)
{
	struct policy_verdict *v;

	(void)state;
	F->cfg.guardians_on_team_messages = true;
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	assert_string_equal(gets(F->pat, POLICY_WHY_GUARDIAN_COPY),
			    "[Soccer] Coach Dana Lee to the Soccer team: Practice moved to 5pm");
	gets(F->jordan, POLICY_WHY_GUARDIAN_COPY);
	gets(F->morgan, POLICY_WHY_GUARDIAN_COPY); /* their student opted out, they did not */
	gets(F->drew, POLICY_WHY_GUARDIAN_COPY);
	not_gets(F->chris); /* no phone */
	not_gets(F->fran);  /* opted out */
	/* Max is a coach of the team and a guardian: once, as staff. */
	gets(F->max, POLICY_WHY_TEAM_STAFF);
	assert_contains(v->reason, "4 guardians copied");
}

static void test_whole_team_refused(void **state)
{
	struct policy_verdict *v;

	(void)state;
	/* A student cannot address the team. */
	F->req.sender = F->jamie;
	v = run();
	assert_int_equal(v->action, POLICY_BLOCK);
	assert_rule_first(POLICY_RULE_WHOLE_TEAM);
	assert_contains(v->reply, "only staff");
	assert_contains(v->reply, "without # or @");

	/* Nor a guardian. */
	F->req.sender = F->pat;
	v = run();
	assert_int_equal(v->action, POLICY_BLOCK);
	assert_rule_first(POLICY_RULE_WHOLE_TEAM);

	/* Staff of another team. */
	F->req.sender = F->eve;
	v = run();
	assert_int_equal(v->action, POLICY_BLOCK);
	assert_rule_first(POLICY_RULE_WHOLE_TEAM);
	assert_contains(v->reply, "you are not on the staff of Soccer");
	assert_contains(v->reason, "Advisor Eve Stone is not on the staff of Soccer");

	/* An administrator who does not oversee the team. */
	F->req.sender = F->counselor;
	v = run();
	assert_int_equal(v->action, POLICY_BLOCK);
}

static void test_whole_team_by_overseer(void **state)
{
	struct policy_verdict *v;

	(void)state;
	F->req.sender = F->ad;
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	assert_string_equal(gets(F->dana, POLICY_WHY_TEAM_STAFF),
			    "[Soccer] Athletic Director Sam Park: Practice moved to 5pm");
	gets(F->jamie, POLICY_WHY_ADDRESSED);
	/* Administrators' messages are not copied to overseers (they are the overseers). */
	assert_false(policy_verdict_has_rule(v, POLICY_RULE_OVERSIGHT));
	not_gets(F->ad);
}

static void test_whole_team_empty(void **state)
{
	struct policy_verdict *v;
	struct dir_team *t;

	(void)state;
	t = dir_add_team(F->d, 9, NULL, "golf", "Golf", DIR_TEAM_SPORTS);
	dir_team_set_relay(t, F->r0);
	dir_team_add_member(t, F->dana);
	dir_finish(F->d);
	F->req.team = t;
	v = run();
	assert_int_equal(v->action, POLICY_BLOCK);
	assert_contains(v->reply, "Golf has no students");
}

/* ---- guardian-copy ---- */

static void test_one_student_guardians_copied(void **state)
{
	struct policy_verdict *v;

	(void)state;
	to_people(1, F->jamie);
	F->req.body = "Can you stay after?";
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	assert_string_equal(gets(F->jamie, POLICY_WHY_ADDRESSED),
			    "[Soccer] Coach Dana Lee: Can you stay after?");
	assert_string_equal(gets(F->pat, POLICY_WHY_GUARDIAN_COPY),
			    "[Soccer] Coach Dana Lee to Jamie R.: Can you stay after?");
	not_gets(F->chris); /* no phone */
	assert_string_equal(gets(F->ad, POLICY_WHY_OVERSIGHT),
			    "[Soccer] Coach Dana Lee to Jamie R.: Can you stay after?");
	not_gets(F->max); /* co-coaches are not copied on one-to-one messages */
	assert_int_equal(v->n_deliveries, 3);
	assert_true(policy_verdict_has_rule(v, POLICY_RULE_GUARDIAN_COPY));
	assert_false(policy_verdict_has_rule(v, POLICY_RULE_EXCEPTION));
	/* A contact_sharing exception does not allow one-to-one contact. */
	assert_int_equal(v->exception_id, 0);
	assert_contains(v->reason, "to Jamie R.");
	assert_contains(v->reason, "1 guardian copied");
}

static void test_several_students(void **state)
{
	struct policy_verdict *v;

	(void)state;
	to_people(2, F->jamie, F->alex);
	F->req.body = "Bring the cones";
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	gets(F->jamie, POLICY_WHY_ADDRESSED);
	gets(F->alex, POLICY_WHY_ADDRESSED);
	assert_string_equal(gets(F->pat, POLICY_WHY_GUARDIAN_COPY),
			    "[Soccer] Coach Dana Lee to Jamie R., Alex K.: Bring the cones");
	gets(F->jordan, POLICY_WHY_GUARDIAN_COPY);
	gets(F->max, POLICY_WHY_GUARDIAN_COPY); /* Alex's guardian, not on as staff here */
	gets(F->ad, POLICY_WHY_OVERSIGHT);
	assert_int_equal(v->n_deliveries, 6);
}

static void test_no_guardian_blocks(void **state)
{
	struct policy_verdict *v;

	(void)state;
	/* Blake's only guardian opted out; Dana's family exception with Blake expired. */
	to_people(1, F->blake);
	v = run();
	assert_int_equal(v->action, POLICY_BLOCK);
	assert_rule_first(POLICY_RULE_GUARDIAN_COPY);
	assert_contains(v->reply, "Blake S.");
	assert_contains(v->reply, "#soccer");
	assert_contains(v->reply, "exception");
	assert_contains(v->reason, "Blake S.");
	assert_int_equal(v->n_deliveries, 0);
	assert_int_equal(v->exception_id, 0);

	/* One unreachable among several blocks the whole message, naming only them. */
	to_people(2, F->jamie, F->blake);
	v = run();
	assert_int_equal(v->action, POLICY_BLOCK);
	assert_contains(v->reply, "Blake S.");
	assert_null(strstr(v->reply, "Jamie"));

	/* No guardian on file at all: the administrator has no exception for Sam. */
	F->req.sender = F->ad;
	to_people(1, F->sam);
	v = run();
	assert_int_equal(v->action, POLICY_BLOCK);
	assert_contains(v->reply, "Sam N.");
}

static void test_subgroup(void **state)
{
	struct policy_verdict *v;

	(void)state;
	F->req.addr = POLICY_TO_SUBGROUP;
	F->req.subgroup = F->injured;
	F->req.body = "Trainer at 3";
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	assert_string_equal(gets(F->jamie, POLICY_WHY_ADDRESSED),
			    "[Soccer] Coach Dana Lee: Trainer at 3");
	gets(F->alex, POLICY_WHY_ADDRESSED);
	assert_string_equal(gets(F->pat, POLICY_WHY_GUARDIAN_COPY),
			    "[Soccer] Coach Dana Lee to Soccer injured (Jamie R., Alex K.): "
			    "Trainer at 3");
	gets(F->jordan, POLICY_WHY_GUARDIAN_COPY);
	assert_string_equal(gets(F->ad, POLICY_WHY_OVERSIGHT),
			    "[Soccer] Coach Dana Lee to Soccer injured (Jamie R., Alex K.): "
			    "Trainer at 3");
	not_gets(F->sam);
	assert_true(policy_verdict_has_rule(v, POLICY_RULE_GUARDIAN_COPY));
	assert_contains(v->reason, "subgroup Soccer injured (2 students)");
}

static void test_subgroup_refused(void **state)
{
	struct policy_verdict *v;

	(void)state;
	F->req.addr = POLICY_TO_SUBGROUP;
	/* Sam has no guardian: the subgroup message is blocked. */
	F->req.subgroup = F->bench;
	v = run();
	assert_int_equal(v->action, POLICY_BLOCK);
	assert_rule_first(POLICY_RULE_GUARDIAN_COPY);
	assert_contains(v->reply, "Sam N.");
	assert_null(strstr(v->reply, "Jamie"));
	/* An empty subgroup. */
	F->req.subgroup = F->captains;
	v = run();
	assert_int_equal(v->action, POLICY_BLOCK);
	assert_contains(v->reply, "no members");
	/* A student cannot address a subgroup. */
	F->req.subgroup = F->injured;
	F->req.sender = F->alex;
	v = run();
	assert_int_equal(v->action, POLICY_BLOCK);
	assert_contains(v->reply, "students and families cannot");
	/* Staff of another team cannot. */
	F->req.sender = F->eve;
	v = run();
	assert_int_equal(v->action, POLICY_BLOCK);
	assert_contains(v->reply, "not on the staff of Soccer");
}

static void test_guardian_addressed(void **state)
{
	struct policy_verdict *v;

	(void)state;
	to_people(1, F->pat);
	F->req.body = "Jamie did great today";
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	assert_string_equal(gets(F->pat, POLICY_WHY_ADDRESSED),
			    "[Soccer] Coach Dana Lee: Jamie did great today");
	assert_string_equal(gets(F->ad, POLICY_WHY_OVERSIGHT),
			    "[Soccer] Coach Dana Lee to Pat R.: Jamie did great today");
	assert_int_equal(v->n_deliveries, 2);
	assert_false(policy_verdict_has_rule(v, POLICY_RULE_GUARDIAN_COPY));

	/* Addressed and also a guardian of an addressed student: addressed wins. */
	to_people(2, F->jamie, F->pat);
	v = run();
	gets(F->pat, POLICY_WHY_ADDRESSED);
	gets(F->jamie, POLICY_WHY_ADDRESSED);
}

static void test_staff_addressed(void **state)
{
	struct policy_verdict *v;

	(void)state;
	to_people(1, F->max);
	F->req.body = "Can you run warmups?";
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	assert_string_equal(gets(F->max, POLICY_WHY_ADDRESSED),
			    "[Soccer] Coach Dana Lee: Can you run warmups?");
	assert_int_equal(v->n_deliveries, 1);
	assert_false(policy_verdict_has_rule(v, POLICY_RULE_OVERSIGHT));
	/* Even in quiet hours: no student is involved. */
	at(23, 0, 0);
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
}

static void test_people_not_on_senders_teams(void **state)
{
	struct policy_verdict *v;

	(void)state;
	/* Eve advises Robotics, not Soccer. */
	F->req.sender = F->eve;
	to_people(1, F->jamie);
	v = run();
	assert_int_equal(v->action, POLICY_BLOCK);
	assert_contains(v->reply, "Jamie R. is not on a team you are staff of");

	/* Dana coaches Soccer (relay 0), not Casey's Robotics, nor anyone via relay 1. */
	F->req.sender = F->dana;
	to_people(2, F->casey, F->quinn);
	v = run();
	assert_int_equal(v->action, POLICY_BLOCK);
	assert_contains(v->reply, "Casey L., Quinn L. are not on a team");
	F->req.relay = F->r1;
	F->req.team = F->chess;
	to_people(1, F->jamie);
	v = run();
	assert_int_equal(v->action, POLICY_BLOCK);
}

static void test_only_self(void **state)
{
	struct policy_verdict *v;

	(void)state;
	to_people(1, F->dana);
	v = run();
	assert_int_equal(v->action, POLICY_BLOCK);
	assert_contains(v->reply, "only yourself");

	/* Self among others: everyone else gets it, the sender does not. */
	to_people(2, F->dana, F->jamie);
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	not_gets(F->dana);
	gets(F->jamie, POLICY_WHY_ADDRESSED);
	assert_string_equal(gets(F->pat, POLICY_WHY_GUARDIAN_COPY),
			    "[Soccer] Coach Dana Lee to Jamie R.: Practice moved to 5pm");
}

static void test_duplicates_once(void **state)
{
	struct policy_verdict *v;

	(void)state;
	to_people(3, F->jamie, F->jamie, F->pat);
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	gets(F->jamie, POLICY_WHY_ADDRESSED);
	gets(F->pat, POLICY_WHY_ADDRESSED);
	assert_string_equal(gets(F->ad, POLICY_WHY_OVERSIGHT),
			    "[Soccer] Coach Dana Lee to Jamie R., Pat R.: Practice moved to 5pm");
	assert_int_equal(v->n_deliveries, 3);
}

static void test_student_to_staff(void **state)
{
	struct policy_verdict *v;

	(void)state;
	F->req.sender = F->jamie;
	F->req.addr = POLICY_TO_STAFF;
	F->req.body = "Running late";
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	assert_string_equal(gets(F->dana, POLICY_WHY_ADDRESSED),
			    "[Soccer] Jamie R. (@jamier): Running late");
	gets(F->max, POLICY_WHY_ADDRESSED);
	assert_string_equal(gets(F->pat, POLICY_WHY_GUARDIAN_COPY),
			    "[Soccer] Jamie R. (@jamier) to the Soccer coaches: Running late");
	not_gets(F->ad); /* oversight is of staff messages */
	assert_int_equal(v->n_deliveries, 3);
	assert_true(policy_verdict_has_rule(v, POLICY_RULE_GUARDIAN_COPY));
	assert_false(policy_verdict_has_rule(v, POLICY_RULE_OVERSIGHT));

	/* A student with no guardian reachable still reaches the coaches. */
	F->req.sender = F->sam;
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	gets(F->dana, POLICY_WHY_ADDRESSED);
	assert_int_equal(v->n_deliveries, 2);
	assert_contains(v->reason, "no guardian of Sam N. can be reached");

	/* Club staff are advisors. */
	F->req.sender = F->casey;
	F->req.team = F->robotics;
	v = run();
	assert_string_equal(gets(F->quinn, POLICY_WHY_GUARDIAN_COPY),
			    "[Robotics] Casey L. (@caseyl) to the Robotics advisors: Running late");
}

static void test_guardian_to_staff(void **state)
{
	struct policy_verdict *v;

	(void)state;
	F->req.sender = F->pat;
	F->req.addr = POLICY_TO_STAFF;
	F->req.body = "Jamie has a fever";
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	assert_string_equal(gets(F->dana, POLICY_WHY_ADDRESSED),
			    "[Soccer] Pat R., guardian of Jamie R. (@patr): Jamie has a fever");
	gets(F->max, POLICY_WHY_ADDRESSED);
	assert_int_equal(v->n_deliveries, 2);

	/* A guardian with no child on the team. */
	F->req.sender = F->quinn;
	v = run();
	assert_int_equal(v->action, POLICY_BLOCK);
	assert_contains(v->reply, "none of your children");
}

static void test_family_cannot_address(void **state)
{
	struct policy_verdict *v;

	(void)state;
	F->req.sender = F->jamie;
	to_people(1, F->alex);
	v = run();
	assert_int_equal(v->action, POLICY_BLOCK);
	assert_contains(v->reply, "students and families cannot");
	assert_contains(v->reply, "Soccer coaches");

	/* A student not on the team writing to its staff. */
	F->req.sender = F->casey;
	F->req.addr = POLICY_TO_STAFF;
	v = run();
	assert_int_equal(v->action, POLICY_BLOCK);
	assert_contains(v->reply, "not on Soccer's roster");
}

/* ---- crisis ---- */

static void test_crisis(void **state)
{
	struct policy_verdict *v;
	const char *alert =
	    "CRISIS [Soccer] Coach Dana Lee answered Blake S. one-to-one: I'm here. Call 988 — "
	    "please review";

	(void)state;
	to_people(1, F->blake); /* no reachable guardian: would be blocked */
	F->req.crisis = true;
	F->req.body = "I'm here. Call 988";
	at(23, 30, 0); /* and it is quiet hours */
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	assert_true(v->flagged);
	assert_rule_first(POLICY_RULE_CRISIS);
	assert_false(policy_verdict_has_rule(v, POLICY_RULE_QUIET_HOURS));
	assert_string_equal(gets(F->blake, POLICY_WHY_ADDRESSED),
			    "[Soccer] Coach Dana Lee: I'm here. Call 988");
	/* The team's overseer, and every principal and counselor. */
	assert_string_equal(gets(F->ad, POLICY_WHY_CRISIS_ALERT), alert);
	assert_string_equal(gets(F->principal, POLICY_WHY_CRISIS_ALERT), alert);
	assert_string_equal(gets(F->counselor, POLICY_WHY_CRISIS_ALERT), alert);
	not_gets(F->fran);
	assert_int_equal(v->n_deliveries, 4);
	assert_contains(v->reason, "3 administrators alerted");

	/* A counselor who is staff (a title, not an administrator's role) is alerted too. */
	F->counselor->role = DIR_STAFF;
	v = run();
	assert_string_equal(gets(F->counselor, POLICY_WHY_CRISIS_ALERT), alert);
	F->counselor->role = DIR_ADMIN;

	/* Crisis answers are not held by the contact screen either. */
	F->req.body = "Call the hotline at 800-273-8255 now";
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	assert_false(policy_verdict_has_rule(v, POLICY_RULE_CONTACT_SCREEN));

	/* Any staff member may answer a crisis (Eve advises Robotics, not Soccer), on a
	 * number the student knows. */
	F->req.sender = F->eve;
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	assert_true(v->flagged);
	gets(F->blake, POLICY_WHY_ADDRESSED);

	/* Not a licence to reach a student from a number they do not know (Blake is on no
	 * team of Chess's number). The attempt stays flagged for review, but nothing (no
	 * alert either) goes out. */
	F->req.sender = F->tom;
	F->req.relay = F->r1;
	v = run();
	assert_int_equal(v->action, POLICY_BLOCK);
	assert_rule_first(POLICY_RULE_GUARDIAN_COPY);
	assert_true(v->flagged);
	assert_int_equal(v->n_deliveries, 0);
}

/* The sender learns what the copy missed: a refusal names an exception that ran out, a
 * delivery names the guardian it could not reach. */
static void test_sender_told_what_was_missed(void **state)
{
	struct policy_verdict *v;

	(void)state;
	to_people(1, F->blake); /* Fran opted out; Dana's family exception #103 expired */
	v = run();
	assert_int_equal(v->action, POLICY_BLOCK);
	assert_contains(v->reply, "Your exception #103 (family) for Blake S. expired on");

	/* Jamie: Pat copied, Chris has no phone. */
	to_people(1, F->jamie);
	F->req.body = "Practice is at 5";
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	gets(F->pat, POLICY_WHY_GUARDIAN_COPY);
	assert_int_equal(v->n_skipped_guardians, 1);
	assert_ptr_equal(v->skipped_guardians[0], F->chris);
	assert_ptr_equal(v->skipped_for[0], F->jamie);
	assert_string_equal(v->reply,
			    "Sent, but not to Chris R., guardian of Jamie R. (no phone on file).");
	assert_contains(v->reason, "guardian copy missed Chris R.");
}

static void test_parent_coach(void **state)
{
	struct policy_verdict *v;

	(void)state;
	/* Max coaches Soccer and is Alex's guardian: the other guardian is copied, Max is
	 * not sent his own message, and he counts as the adult included. */
	F->req.sender = F->max;
	to_people(1, F->alex);
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	gets(F->alex, POLICY_WHY_ADDRESSED);
	gets(F->jordan, POLICY_WHY_GUARDIAN_COPY);
	not_gets(F->max);
	F->jordan->opted_out = 1u << F->r0->index;
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	gets(F->alex, POLICY_WHY_ADDRESSED);
}

static void test_crisis_ignored(void **state)
{
	struct policy_verdict *v;

	(void)state;
	F->req.crisis = true;
	/* On a team message: normal rules, no flag, no alerts. */
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	assert_false(v->flagged);
	assert_false(policy_verdict_has_rule(v, POLICY_RULE_CRISIS));
	gets(F->ad, POLICY_WHY_OVERSIGHT);
	not_gets(F->counselor);

	/* To two students: the guardian copy still applies, and blocks. */
	to_people(2, F->jamie, F->blake);
	v = run();
	assert_int_equal(v->action, POLICY_BLOCK);
	assert_false(v->flagged);

	/* From a student. */
	F->req.sender = F->jamie;
	F->req.addr = POLICY_TO_STAFF;
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	assert_false(v->flagged);
	gets(F->pat, POLICY_WHY_GUARDIAN_COPY);
	not_gets(F->counselor);

	/* To a guardian. */
	F->req.sender = F->dana;
	to_people(1, F->pat);
	v = run();
	assert_false(v->flagged);
}

/* ---- exception ---- */

static void test_exception_family(void **state)
{
	struct policy_verdict *v;

	(void)state;
	to_people(1, F->sam);
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	assert_int_equal(v->exception_id, 101);
	assert_true(policy_verdict_has_rule(v, POLICY_RULE_EXCEPTION));
	gets(F->sam, POLICY_WHY_ADDRESSED);
	gets(F->ad, POLICY_WHY_OVERSIGHT);
	assert_int_equal(v->n_deliveries, 2);
	assert_contains(v->reason, "exception #101 (family)");
}

static void test_exception_guardian_permission(void **state)
{
	struct policy_verdict *v;

	(void)state;
	/* Guardian permission: the guardian is included. */
	F->req.sender = F->max;
	to_people(1, F->jamie);
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	assert_int_equal(v->exception_id, 106);
	gets(F->pat, POLICY_WHY_GUARDIAN_COPY);

	/* ...but none reachable does not block. */
	to_people(1, F->sam);
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	assert_int_equal(v->exception_id, 102);
}

static void test_exception_safety_and_expiry(void **state)
{
	struct policy_verdict *v;

	(void)state;
	F->req.sender = F->max;
	to_people(1, F->blake);
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	assert_int_equal(v->exception_id, 105);
	not_gets(F->fran);

	/* Dana's family exception with Blake has expired. */
	F->req.sender = F->dana;
	v = run();
	assert_int_equal(v->action, POLICY_BLOCK);
	assert_int_equal(v->exception_id, 0);

	/* An exception is not in force at the second it expires. */
	to_people(1, F->alex);
	v = run();
	assert_int_equal(v->exception_id, 0);
	gets(F->jordan, POLICY_WHY_GUARDIAN_COPY);
	F->req.now = NOW - 1;
	v = run();
	assert_int_equal(v->exception_id, 107);
	not_gets(F->jordan);

	/* Exceptions are one-to-one: not for several students. */
	F->req.now = NOW;
	F->req.sender = F->max;
	to_people(2, F->blake, F->jamie);
	v = run();
	assert_int_equal(v->action, POLICY_BLOCK);
	assert_int_equal(v->exception_id, 0);
}

/* ---- contact-screen ---- */

static void test_contact_screen_holds(void **state)
{
	static const char *const bodies[] = {
	    "My cell is (555) 987-6543",	  "text me 555.987.6543",
	    "email me at dana.lee@gmail.com.",	  "Come by 12 Elm St after practice",
	    "I live at 1600 Pennsylvania Avenue", "221B Baker Street, London",
	    "it's 44 old mill pond rd.",
	};
	struct policy_verdict *v;

	(void)state;
	to_people(1, F->alex);
	for (size_t i = 0; i < ARRAY_SIZE(bodies); i++) {
		F->req.body = bodies[i];
		v = run();
		if (v->action != POLICY_HOLD)
			fail_msg("not held: %s", bodies[i]);
		assert_int_equal(v->release, POLICY_RELEASE_ADMIN);
		assert_rule_first(POLICY_RULE_CONTACT_SCREEN);
		assert_contains(v->reply, "contact information");
		assert_contains(v->reason, "held for review");
		/* Who would get it, if released. */
		gets(F->alex, POLICY_WHY_ADDRESSED);
		gets(F->jordan, POLICY_WHY_GUARDIAN_COPY);
	}
	F->req.body = "a@b.co and 12 Elm St";
	v = run();
	assert_contains(v->reason, "an e-mail address and a street address");
}

static void test_contact_screen_passes(void **state)
{
	static const char *const bodies[] = {
	    "Practice at 5 on the court",
	    "We won 3-2, great game",
	    "See you @ 5",
	    "Meet at court 3 by 4:30",
	    "Need 3 more players, no way around it",
	    "Score was 12 to 14 at half",
	    "handle is @jamier",
	    "size 10 jerseys",
	};
	struct policy_verdict *v;

	(void)state;
	to_people(1, F->alex);
	for (size_t i = 0; i < ARRAY_SIZE(bodies); i++) {
		F->req.body = bodies[i];
		v = run();
		if (v->action != POLICY_DELIVER)
			fail_msg("held: %s (%s)", bodies[i], v->reason);
	}
}

static void test_contact_screen_scope(void **state)
{
	struct policy_verdict *v;

	(void)state;
	F->req.body = "call me at 555-987-6543";
	/* A contact_sharing exception between Dana and Jamie lets it through... */
	to_people(1, F->jamie);
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	gets(F->jamie, POLICY_WHY_ADDRESSED);
	/* ...but only if in force for every student of the exchange. */
	to_people(2, F->jamie, F->alex);
	v = run();
	assert_int_equal(v->action, POLICY_HOLD);
	/* Staff to a guardian: not screened. */
	to_people(1, F->pat);
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	/* A team message is staff to students. */
	F->req.addr = POLICY_TO_TEAM;
	v = run();
	assert_int_equal(v->action, POLICY_HOLD);
	/* A student to staff is screened; a guardian to staff is not. */
	F->req.addr = POLICY_TO_STAFF;
	F->req.sender = F->alex;
	F->req.body = "my email is alex@example.org";
	v = run();
	assert_int_equal(v->action, POLICY_HOLD);
	F->req.sender = F->pat;
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	/* Switched off. */
	F->req.sender = F->alex;
	F->cfg.contact_screen = false;
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	assert_false(policy_verdict_has_rule(v, POLICY_RULE_CONTACT_SCREEN));
}

/* ---- quiet-hours ---- */

static void test_quiet_hours(void **state)
{
	struct policy_verdict *v;

	(void)state;
	at(22, 30, 15);
	v = run();
	assert_int_equal(v->action, POLICY_HOLD);
	assert_int_equal(v->release, POLICY_RELEASE_TIME);
	assert_rule_first(POLICY_RULE_QUIET_HOURS);
	/* 22:30:15 to 07:00:00 is 8 h 29 min 45 s. */
	assert_int_equal(v->hold_until, NOW + 8 * 3600 + 30 * 60 - 15);
	assert_contains(v->reply, "07:00");
	assert_contains(v->reply, "!urgent");
	assert_contains(v->reason, "held until 07:00");
	gets(F->jamie, POLICY_WHY_ADDRESSED); /* who would get it */

	/* After midnight. */
	at(3, 0, 0);
	v = run();
	assert_int_equal(v->action, POLICY_HOLD);
	assert_int_equal(v->hold_until, NOW + 4 * 3600);
	/* The window's edges: start is inside, end is outside. */
	at(21, 0, 0);
	assert_int_equal(run()->action, POLICY_HOLD);
	at(20, 59, 59);
	assert_int_equal(run()->action, POLICY_DELIVER);
	at(7, 0, 0);
	assert_int_equal(run()->action, POLICY_DELIVER);
	at(6, 59, 59);
	v = run();
	assert_int_equal(v->action, POLICY_HOLD);
	assert_int_equal(v->hold_until, NOW + 1);

	/* !urgent goes now. */
	at(23, 0, 0);
	F->req.urgent = true;
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	assert_false(policy_verdict_has_rule(v, POLICY_RULE_QUIET_HOURS));
}

static void test_quiet_hours_scope(void **state)
{
	struct policy_verdict *v;

	(void)state;
	at(23, 0, 0);
	/* Students writing to staff at night are not held. */
	F->req.sender = F->jamie;
	F->req.addr = POLICY_TO_STAFF;
	assert_int_equal(run()->action, POLICY_DELIVER);
	/* Staff to a guardian only: not held. */
	F->req.sender = F->dana;
	to_people(1, F->pat);
	assert_int_equal(run()->action, POLICY_DELIVER);
	/* A window that does not wrap midnight. */
	F->req.addr = POLICY_TO_TEAM;
	F->cfg.quiet_start_min = 13 * 60;
	F->cfg.quiet_end_min = 14 * 60;
	at(13, 59, 30);
	v = run();
	assert_int_equal(v->action, POLICY_HOLD);
	assert_int_equal(v->hold_until, NOW + 30);
	assert_contains(v->reply, "14:00");
	at(23, 0, 0);
	assert_int_equal(run()->action, POLICY_DELIVER);
	/* An empty window, or switched off. */
	F->cfg.quiet_end_min = 13 * 60;
	at(13, 0, 0);
	assert_int_equal(run()->action, POLICY_DELIVER);
	F->cfg.quiet_hours = false;
	F->cfg.quiet_end_min = 14 * 60;
	assert_int_equal(run()->action, POLICY_DELIVER);
}

static void test_contact_hold_before_quiet_hold(void **state)
{
	struct policy_verdict *v;

	(void)state;
	at(23, 0, 0);
	F->req.body = "my cell 555-987-6543";
	v = run();
	assert_int_equal(v->action, POLICY_HOLD);
	assert_rule_first(POLICY_RULE_CONTACT_SCREEN);
	assert_true(policy_verdict_has_rule(v, POLICY_RULE_QUIET_HOURS));
	assert_int_equal(v->release, POLICY_RELEASE_ADMIN);
	assert_int_equal(v->hold_until, NOW + 8 * 3600);
	assert_contains(v->reply, "contact information");
	assert_contains(v->reply, "quiet hours");
	assert_contains(v->reason, "quiet hours");
}

/* ---- oversight ---- */

static void test_oversight_modes(void **state)
{
	struct policy_verdict *v;

	(void)state;
	F->cfg.oversight = POLICY_OVERSIGHT_DIGEST;
	v = run();
	assert_true(v->digest);
	not_gets(F->ad);
	assert_true(policy_verdict_has_rule(v, POLICY_RULE_OVERSIGHT));
	assert_contains(v->reason, "digest");

	F->cfg.oversight = POLICY_OVERSIGHT_OFF;
	v = run();
	assert_false(v->digest);
	not_gets(F->ad);
	assert_false(policy_verdict_has_rule(v, POLICY_RULE_OVERSIGHT));

	/* An opted-out overseer is not sent to (and not a "skipped" addressee). */
	F->cfg.oversight = POLICY_OVERSIGHT_COPY;
	F->ad->opted_out = 1u << F->r0->index;
	v = run();
	not_gets(F->ad);
	assert_false(skipped(F->ad));
}

static void test_oversight_overseer_already_recipient(void **state)
{
	struct policy_verdict *v;

	(void)state;
	/* The principal oversees Robotics and is on its staff: one copy, as staff. */
	F->req.sender = F->eve;
	F->req.team = F->robotics;
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	assert_string_equal(gets(F->principal, POLICY_WHY_TEAM_STAFF),
			    "[Robotics] Advisor Eve Stone: Practice moved to 5pm");
	gets(F->casey, POLICY_WHY_ADDRESSED);
	assert_int_equal(v->n_deliveries, 2);
	assert_false(policy_verdict_has_rule(v, POLICY_RULE_OVERSIGHT));

	/* An administrator's own message is not copied to the overseers. */
	F->req.sender = F->principal;
	v = run();
	gets(F->eve, POLICY_WHY_TEAM_STAFF);
	not_gets(F->principal);
	assert_false(policy_verdict_has_rule(v, POLICY_RULE_OVERSIGHT));
}

/* ---- opt-out ---- */

static void test_opt_out(void **state)
{
	struct policy_verdict *v;

	(void)state;
	to_people(1, F->taylor);
	v = run();
	assert_int_equal(v->action, POLICY_BLOCK);
	assert_rule_first(POLICY_RULE_OPT_OUT);
	assert_true(skipped(F->taylor));
	assert_contains(v->reply, "Taylor W. has opted out");
	assert_contains(v->reply, "school office");

	to_people(1, F->riley);
	v = run();
	assert_int_equal(v->action, POLICY_BLOCK);
	assert_contains(v->reply, "Riley F. has no phone on file");

	/* Some left: delivered to them, the others listed. */
	to_people(2, F->jamie, F->taylor);
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	gets(F->jamie, POLICY_WHY_ADDRESSED);
	not_gets(F->taylor);
	assert_int_equal(v->n_skipped, 1);
	assert_true(skipped(F->taylor));
	assert_contains(v->reason, "not sent to Taylor W.");

	/* Opting out of another relay number does not matter here. */
	F->taylor->opted_out = 1u << F->r1->index;
	to_people(1, F->taylor);
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	gets(F->taylor, POLICY_WHY_ADDRESSED);
}

static void test_opt_out_staff_unreachable(void **state)
{
	struct policy_verdict *v;

	(void)state;
	F->dana->opted_out = 1u << F->r0->index;
	F->max->opted_out = 1u << F->r0->index;
	F->req.sender = F->jamie;
	F->req.addr = POLICY_TO_STAFF;
	v = run();
	assert_int_equal(v->action, POLICY_BLOCK);
	assert_rule_first(POLICY_RULE_OPT_OUT);
	assert_contains(v->reply, "none of the Soccer coaches");
}

/* ---- masking ---- */

static void test_masking(void **state)
{
	struct policy_verdict *v;

	(void)state;
	F->cfg.contact_screen = false; /* as if an administrator released it */
	F->cfg.guardians_on_team_messages = true;
	F->req.body = "Call Pat at (555) 333-0001 or me at +1 555 123 0001, office 555-999-8888";
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	assert_true(policy_verdict_has_rule(v, POLICY_RULE_MASKING));
	assert_string_equal(gets(F->jamie, POLICY_WHY_ADDRESSED),
			    "[Soccer] Coach Dana Lee: Call Pat at [number withheld] or me at "
			    "[number withheld], office 555-999-8888");
	/* Pat's own number is not withheld from Pat; the sender's is. */
	assert_string_equal(
	    gets(F->pat, POLICY_WHY_GUARDIAN_COPY),
	    "[Soccer] Coach Dana Lee to the Soccer team: Call Pat at (555) 333-0001 "
	    "or me at [number withheld], office 555-999-8888");
	assert_contains(v->reason, "withheld");
}

static void test_masking_forms(void **state)
{
	static const char *const bodies[] = {
	    "5553330001",
	    "555 333 0001",
	    "555.333.0001",
	    "+15553330001",
	    "1-555-333-0001",
	    "333-0001",
	    "555-333-0001 555-222-0002",
	    "555-333-0001555-222-0002",
	    "(555)333-0001",
	    "5_5_5_3_3_3_0_0_0_1",
	};
	struct policy_verdict *v;

	(void)state;
	F->cfg.contact_screen = false;
	to_people(1, F->max);
	for (size_t i = 0; i < ARRAY_SIZE(bodies); i++) {
		const char *b;

		F->req.body = bodies[i];
		v = run();
		b = gets(F->max, POLICY_WHY_ADDRESSED);
		assert_contains(b, "[number withheld]");
		assert_null(strstr(b, "3330001"));
		assert_null(strstr(b, "333-0001"));
		assert_null(strstr(b, "0001"));
		(void)v;
	}
	/* Numbers of nobody in the directory, and short numbers, stay. */
	F->req.body = "Call 911 or 555-999-8888, room 1234567";
	v = run();
	assert_string_equal(gets(F->max, POLICY_WHY_ADDRESSED),
			    "[Soccer] Coach Dana Lee: Call 911 or 555-999-8888, room 1234567");
	assert_false(policy_verdict_has_rule(v, POLICY_RULE_MASKING));
}

/* ---- notice ---- */

static void test_notice(void **state)
{
	struct policy_verdict *v;
	const struct policy_delivery *d;

	(void)state;
	F->jamie->noticed = 1u << F->r1->index; /* noticed on the other number only */
	v = run();
	d = find(F->jamie);
	assert_non_null(d);
	assert_true(d->notice);
	assert_string_equal(d->body,
			    "Messages through this number are recorded by Sharon Public Schools. "
			    "Reply STOP to opt out, HELP for help.\n"
			    "[Soccer] Coach Dana Lee: Practice moved to 5pm");
	assert_false(find(F->alex)->notice);
	assert_true(policy_verdict_has_rule(v, POLICY_RULE_NOTICE));
	assert_contains(v->reason, "recording notice to 1 new recipient");
	/* Pure: the engine does not mark the notice as given. */
	assert_int_equal(F->jamie->noticed, 1u << F->r1->index);

	F->cfg.notice_text = "Recorded by the district.";
	run();
	assert_string_equal(
	    find(F->jamie)->body,
	    "Recorded by the district.\n[Soccer] Coach Dana Lee: Practice moved to 5pm");

	F->cfg.notice = false;
	v = run();
	assert_false(find(F->jamie)->notice);
	assert_false(policy_verdict_has_rule(v, POLICY_RULE_NOTICE));
}

/* ---- precedence and bookkeeping ---- */

static void test_block_beats_hold(void **state)
{
	struct policy_verdict *v;

	(void)state;
	at(23, 0, 0);
	F->req.body = "my cell 555-987-6543";
	to_people(1, F->blake);
	v = run();
	assert_int_equal(v->action, POLICY_BLOCK);
	assert_rule_first(POLICY_RULE_GUARDIAN_COPY);
	assert_null(strstr(v->reply, "Held"));

	/* A later block (opt-out) still beats an earlier hold (contact-screen). */
	to_people(1, F->taylor);
	v = run();
	assert_int_equal(v->action, POLICY_BLOCK);
	assert_rule_first(POLICY_RULE_OPT_OUT);
	assert_true(policy_verdict_has_rule(v, POLICY_RULE_CONTACT_SCREEN));
	assert_true(policy_verdict_has_rule(v, POLICY_RULE_GUARDIAN_COPY));
	assert_int_equal(v->n_deliveries, 0);
}

static void test_empty_body(void **state)
{
	struct policy_verdict *v;

	(void)state;
	F->req.body = "";
	v = run();
	assert_int_equal(v->action, POLICY_DELIVER);
	assert_string_equal(gets(F->jamie, POLICY_WHY_ADDRESSED), "[Soccer] Coach Dana Lee:");
}

static void test_verdict_under_ctx(void **state)
{
	void *ctx = talloc_new(NULL);
	struct policy_verdict v;

	(void)state;
	F->cfg.guardians_on_team_messages = true;
	assert_int_equal(policy_evaluate(ctx, F->d, &F->cfg, &F->req, &v), 0);
	assert_true(talloc_is_parent(v.deliveries, ctx));
	assert_true(talloc_is_parent(v.deliveries[0].body, ctx));
	assert_true(talloc_is_parent(v.reason, ctx));
	assert_true(talloc_is_parent(v.skipped, ctx));
	/* Nothing of the working state is left behind. */
	{
		size_t before = talloc_total_blocks(ctx);
		struct policy_verdict v2;
		void *c2 = talloc_new(ctx);
		assert_int_equal(policy_evaluate(c2, F->d, &F->cfg, &F->req, &v2), 0);
		talloc_free(c2);
		assert_int_equal(talloc_total_blocks(ctx), before);
	}
	talloc_free(ctx);
}

/* A staff member on many teams of one relay (an athletic director who coaches, a
 * district-wide advisor): every team is found, not the first 32 that fitted an array. */
static void test_teams_on_relay_all_of_them(void **state)
{
	struct dir_team **teams;
	int n;
	(void)state;

	for (int i = 0; i < 40; i++) {
		char tag[16];
		struct dir_team *t;
		snprintf(tag, sizeof(tag), "extra%d", i);
		t = dir_add_team(F->d, 1000 + i, NULL, tag, tag, DIR_TEAM_CLUB);
		dir_team_set_relay(t, F->r0);
		dir_team_add_member(t, F->dana);
	}
	dir_finish(F->d);
	n = dir_teams_on_relay(F, F->dana, F->r0, &teams);
	assert_int_equal(n, 41);					     /* soccer and the 40 */
	assert_int_equal(dir_teams_on_relay(F, F->chris, F->r1, &teams), 1); /* Jamie's chess */
	assert_ptr_equal(teams[0], F->chess);
}

/* ---- calls (policy_call.h) ---- */

static struct policy_call_plan plan;

static int call(const struct dir_person *caller, const struct dir_person *callee,
		const struct dir_team *team, const struct dir_relay *relay)
{
	struct policy_call_request r = {.caller = caller,
					.callee = callee,
					.team = team,
					.relay = relay,
					.now = NOW,
					.local = F->req.local};

	return policy_call_evaluate(F->vctx ? F->vctx : F, F->d, &F->cfg, &r, &plan);
}

static void assert_refused(const char *rule)
{
	assert_int_equal(plan.action, POLICY_BLOCK);
	assert_string_equal(plan.rules[0], rule);
	assert_non_null(plan.reply);
	assert_non_null(plan.reason);
}

/* A coach calls a player: a guardian with a phone is dialled first and needed. */
static void test_call_coach_to_player(void **state)
{
	(void)state;
	assert_int_equal(call(F->dana, F->jamie, F->soccer, F->r0), 0);
	assert_int_equal(plan.action, POLICY_DELIVER);
	assert_ptr_equal(plan.student, F->jamie);
	assert_true(plan.guardian_required);
	assert_int_equal(plan.n_guardians, 1); /* Chris has no phone */
	assert_ptr_equal(plan.guardians[0], F->pat);
	assert_true(policy_call_plan_has_rule(&plan, POLICY_RULE_GUARDIAN_COPY));
	assert_true(policy_call_plan_has_rule(&plan, POLICY_RULE_NOTICE));
	assert_true(policy_call_plan_has_rule(&plan, POLICY_RULE_OVERSIGHT));
	assert_int_equal(plan.n_overseers, 1);
	assert_ptr_equal(plan.overseers[0], F->ad);
	assert_false(plan.flagged);
	/* A player calling the coach needs the same. */
	assert_int_equal(call(F->jamie, F->dana, F->soccer, F->r0), 0);
	assert_int_equal(plan.action, POLICY_DELIVER);
	assert_true(plan.guardian_required);
	assert_ptr_equal(plan.guardians[0], F->pat);
}

/* The bridge rule: student and staff only with a guardian of that student; a coach who
 * is the student's parent counts as the guardian. */
static void test_call_bridge_rule(void **state)
{
	const struct dir_person *s1[] = {F->dana, F->alex};
	const struct dir_person *s2[] = {F->dana, F->alex, F->jordan};
	const struct dir_person *s3[] = {F->alex, F->max};
	const struct dir_person *s4[] = {F->dana, F->jordan};
	const struct dir_person *s5[] = {F->dana, F->alex, F->pat}; /* Jamie's guardian */

	(void)state;
	/* The family exception between Dana and Alex ends now: not in force. */
	assert_int_equal(call(F->dana, F->alex, F->soccer, F->r0), 0);
	assert_true(plan.guardian_required);
	assert_int_equal(plan.n_guardians, 2);
	assert_false(policy_call_bridge_ok(&plan, s1, 2));
	assert_true(policy_call_bridge_ok(&plan, s2, 3));
	assert_true(policy_call_bridge_ok(&plan, s3, 2));
	assert_true(policy_call_bridge_ok(&plan, s4, 2));
	assert_false(policy_call_bridge_ok(&plan, s5, 3));
}

/* Exceptions: family and safety waive the guardian; guardian_permission dials one but
 * does not need one; an expired one does nothing. */
static void test_call_exceptions(void **state)
{
	(void)state;
	assert_int_equal(call(F->dana, F->sam, F->soccer, F->r0), 0);
	assert_int_equal(plan.action, POLICY_DELIVER);
	assert_false(plan.guardian_required);
	assert_int_equal(plan.exception_id, 101);
	assert_int_equal(call(F->max, F->blake, F->soccer, F->r0), 0);
	assert_false(plan.guardian_required);
	assert_int_equal(plan.exception_id, 105);
	assert_int_equal(call(F->max, F->jamie, F->soccer, F->r0), 0);
	assert_true(plan.guardian_dialled);
	assert_false(plan.guardian_required);
	assert_int_equal(plan.exception_id, 106);
	/* Dana's family exception with Blake expired, and Fran (his guardian) opted out of
	 * this number: nobody can join, so the call is refused. */
	assert_int_equal(call(F->dana, F->blake, F->soccer, F->r0), 0);
	assert_refused(POLICY_RULE_GUARDIAN_COPY);
	assert_non_null(strstr(plan.reply, "Blake S."));
}

/* A crisis call is one-to-one, flagged, and administrators are alerted. */
static void test_call_crisis(void **state)
{
	struct policy_call_request r = {.caller = F->eve,
					.callee = F->jamie,
					.team = F->robotics,
					.relay = F->r0,
					.crisis = true,
					.now = NOW};
	bool principal = false, counselor = false;

	(void)state;
	assert_int_equal(policy_call_evaluate(F, F->d, &F->cfg, &r, &plan), 0);
	assert_int_equal(plan.action, POLICY_DELIVER);
	assert_true(plan.flagged);
	assert_false(plan.guardian_required);
	for (unsigned i = 0; i < plan.n_alerts; i++) {
		principal |= plan.alerts[i] == F->principal;
		counselor |= plan.alerts[i] == F->counselor;
	}
	assert_true(principal && counselor);
	/* "!crisis" from the student does not waive anything. */
	r.caller = F->jamie;
	r.callee = F->eve;
	assert_int_equal(policy_call_evaluate(F, F->d, &F->cfg, &r, &plan), 0);
	assert_false(plan.flagged);
}

/* Quiet hours refuse a coach's non-urgent call to a family; urgent goes through. */
static void test_call_quiet_hours(void **state)
{
	struct policy_call_request r = {
	    .caller = F->dana, .callee = F->pat, .team = F->soccer, .relay = F->r0, .now = NOW};

	(void)state;
	F->cfg.quiet_hours = true;
	F->cfg.quiet_start_min = 21 * 60;
	F->cfg.quiet_end_min = 7 * 60;
	r.local.tm_hour = 22;
	assert_int_equal(policy_call_evaluate(F, F->d, &F->cfg, &r, &plan), 0);
	assert_refused(POLICY_RULE_QUIET_HOURS);
	assert_non_null(strstr(plan.reply, "07:00"));
	r.urgent = true;
	assert_int_equal(policy_call_evaluate(F, F->d, &F->cfg, &r, &plan), 0);
	assert_int_equal(plan.action, POLICY_DELIVER);
	/* A parent calling the coach at night is not refused. */
	r.urgent = false;
	r.caller = F->pat;
	r.callee = F->dana;
	assert_int_equal(policy_call_evaluate(F, F->d, &F->cfg, &r, &plan), 0);
	assert_int_equal(plan.action, POLICY_DELIVER);
}

/* Calls the relay does not carry, or cannot make. */
static void test_call_refused(void **state)
{
	(void)state;
	assert_int_equal(call(NULL, NULL, F->soccer, F->r0), 0);
	assert_refused(POLICY_RULE_UNKNOWN_CALLER);
	assert_int_equal(call(F->jamie, F->alex, F->soccer, F->r0), 0); /* student to student */
	assert_refused(POLICY_RULE_CALL);
	assert_int_equal(call(F->dana, F->taylor, F->soccer, F->r0), 0); /* opted out */
	assert_refused(POLICY_RULE_CALL);
	assert_int_equal(call(F->dana, F->riley, F->soccer, F->r0), 0); /* no phone */
	assert_refused(POLICY_RULE_CALL);
	assert_int_equal(call(F->tom, F->alex, F->soccer, F->r0), 0); /* not his team */
	assert_refused(POLICY_RULE_CALL);
	assert_int_equal(call(F->dana, F->dana, F->soccer, F->r0), 0);
	assert_refused(POLICY_RULE_CALL);
	/* Staff to staff and a parent to the coach: connected, no guardian involved. */
	assert_int_equal(call(F->dana, F->max, F->soccer, F->r0), 0);
	assert_int_equal(plan.action, POLICY_DELIVER);
	assert_null(plan.student);
	assert_int_equal(call(F->pat, F->dana, F->soccer, F->r0), 0);
	assert_int_equal(plan.action, POLICY_DELIVER);
	assert_false(plan.guardian_required);
	/* Malformed. */
	assert_int_equal(call(F->dana, NULL, F->soccer, F->r0), -1);
	assert_int_equal(call(F->dana, F->jamie, F->soccer, NULL), -1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_call_coach_to_player),
	    T(test_call_bridge_rule),
	    T(test_call_exceptions),
	    T(test_call_crisis),
	    T(test_call_quiet_hours),
	    T(test_call_refused),
	    T(test_rules_table),
	    T(test_config_defaults),
	    T(test_malformed_requests),
	    T(test_whole_team),
	    T(test_whole_team_guardians),
	    T(test_whole_team_refused),
	    T(test_whole_team_by_overseer),
	    T(test_whole_team_empty),
	    T(test_one_student_guardians_copied),
	    T(test_several_students),
	    T(test_no_guardian_blocks),
	    T(test_subgroup),
	    T(test_subgroup_refused),
	    T(test_guardian_addressed),
	    T(test_staff_addressed),
	    T(test_people_not_on_senders_teams),
	    T(test_only_self),
	    T(test_duplicates_once),
	    T(test_student_to_staff),
	    T(test_guardian_to_staff),
	    T(test_family_cannot_address),
	    T(test_crisis),
	    T(test_crisis_ignored),
	    T(test_sender_told_what_was_missed),
	    T(test_parent_coach),
	    T(test_exception_family),
	    T(test_exception_guardian_permission),
	    T(test_exception_safety_and_expiry),
	    T(test_contact_screen_holds),
	    T(test_contact_screen_passes),
	    T(test_contact_screen_scope),
	    T(test_quiet_hours),
	    T(test_quiet_hours_scope),
	    T(test_contact_hold_before_quiet_hold),
	    T(test_oversight_modes),
	    T(test_oversight_overseer_already_recipient),
	    T(test_opt_out),
	    T(test_opt_out_staff_unreachable),
	    T(test_masking),
	    T(test_masking_forms),
	    T(test_notice),
	    T(test_block_beats_hold),
	    T(test_empty_body),
	    T(test_verdict_under_ctx),
	    T(test_teams_on_relay_all_of_them),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
