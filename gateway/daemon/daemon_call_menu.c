/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* A known person calling a relay number (daemon_call_flow.h): after the recording
 * notice they hear whom they may call through it ("Press 1 for Coach Dana Lee."), press
 * a key, and the call rules decide on their choice exactly as on a CALL @name text:
 *   - a student or a guardian hears the staff of their (or their ward's) teams on this
 *     relay number; a student's call to staff dials a guardian first, and the student
 *     hears staff only once a guardian is on;
 *   - a staff member hears the students of their teams on this number when there are at
 *     most nine, and otherwise is told to text CALL @name;
 *   - nobody to offer: the caller is told the call is not allowed, and it ends.
 * The digit and the decision (the choice, the rules, the reason) are recorded as the
 * call's "dtmf" and "menu" events; a refusal is said to the caller and the call ends.
 * Names are spoken at run time (voice_speak()); nine entries at most, one digit each. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <talloc.h>

#include "gateway/daemon/daemon_call_flow.h"
#include "gateway/policy/policy_call.h"
#include "gateway/voice/prompts/prompts.h"
#include "storage/archive/store.h"

#define MENU_MAX 9

static void copy_person(struct relay_call *rc, struct flow_party *to, const struct dir_person *p,
			enum policy_call_role role, enum policy_call_side side)
{
	to->person_id = p->id;
	to->number = talloc_strdup(rc, p->phone ? p->phone : "");
	to->name = talloc_strdup(rc, p->display);
	to->role = role;
	to->side = side;
}

static void offer(struct relay_call *rc, const struct dir_person *p)
{
	if (!p->phone || !p->phone[0] || p->id == rc->caller.person_id || rc->n_menu >= MENU_MAX)
		return;
	for (unsigned i = 0; i < rc->n_menu; i++)
		if (rc->menu[i].person_id == p->id)
			return;
	copy_person(rc, &rc->menu[rc->n_menu++], p, POLICY_LEG_CALLEE, POLICY_SIDE_OTHER);
}

int flow_menu_build(struct relay_call *rc, const struct dir_person *caller,
		    const struct dir_relay *relay)
{
	struct dir_team **teams;
	int n = dir_teams_on_relay(rc, caller, relay, &teams);
	unsigned students = 0;

	rc->menu = talloc_zero_array(rc, struct flow_party, MENU_MAX);
	rc->n_menu = 0;
	rc->caller.side = dir_is_staff_side(caller) ? POLICY_SIDE_STAFF : POLICY_SIDE_OTHER;
	if (!rc->menu || n < 0)
		return -1;
	if (dir_is_staff_side(caller)) {
		for (int i = 0; i < n; i++)
			students += teams[i]->n_students;
		for (int i = 0; i < n && students <= MENU_MAX; i++)
			for (unsigned k = 0; k < teams[i]->n_students; k++)
				offer(rc, teams[i]->students[k]);
	} else {
		for (int i = 0; i < n; i++)
			for (unsigned k = 0; k < teams[i]->n_staff; k++)
				offer(rc, teams[i]->staff[k]);
	}
	talloc_free(teams);
	return (int)rc->n_menu;
}

int flow_menu_say(struct relay_call *rc)
{
	char text[VOICE_SPEAK_MAX_BYTES + 1] = "";
	size_t len = 0;

	if (!rc->n_menu) {
		/* Nobody to offer: said, and the call ends once it has played. */
		int id = rc->caller.side == POLICY_SIDE_STAFF
			     ? flow_say(rc, rc->caller_leg,
					"To call someone through this number, text CALL and "
					"their name to it.")
			     : flow_prompt(rc, rc->caller_leg, "not_allowed");

		flow_evf(rc, rc->caller_leg, "menu", "nobody %s may call through %s is offered",
			 rc->caller.name, rc->relay);
		flow_end(rc, "nobody the caller may call through this number is offered");
		return id;
	}
	for (unsigned i = 0; i < rc->n_menu; i++) {
		int k = snprintf(text + len, sizeof(text) - len, "%sPress %u for %s.", i ? " " : "",
				 i + 1, rc->menu[i].name);

		if (k < 0 || (size_t)k >= sizeof(text) - len) {
			text[len] = '\0'; /* the entries that fit */
			break;
		}
		len += (size_t)k;
	}
	return flow_say(rc, rc->caller_leg, text);
}

/* The team of the relay number that caller and callee share (NULL: none). */
static const struct dir_team *shared_team(void *ctx, const struct dir_person *caller,
					  const struct dir_person *callee,
					  const struct dir_relay *relay)
{
	struct dir_team **teams;
	int n = dir_teams_on_relay(ctx, caller, relay, &teams);
	const struct dir_team *t = n > 0 ? teams[0] : NULL;

	for (int i = 0; i < n; i++)
		if (dir_team_has_member(teams[i], callee)) {
			t = teams[i];
			break;
		}
	return t;
}

static char *rules_text(void *ctx, const struct policy_call_plan *p)
{
	char *s = talloc_strdup(ctx, "");

	for (unsigned i = 0; i < p->n_rules; i++)
		s = talloc_asprintf_append(s, "%s%s", i ? "," : "", p->rules[i]);
	return s;
}

void flow_menu_digit(struct relay_call *rc, char digit)
{
	const struct directory *dir = router_directory(rc->d->router);
	struct flow_leg *me = rc->caller_leg;
	const struct dir_person *caller, *callee;
	const struct dir_relay *relay;
	struct policy_call_request req = {0};
	struct policy_call_plan plan;
	void *tmp = talloc_new(rc);
	unsigned k = (unsigned)(digit - '0'), n_g;
	time_t now = (time_t)(store_now_ms() / 1000);

	flow_evf(rc, me, "dtmf", "%c", digit);
	if (digit < '1' || k > rc->n_menu) {
		flow_say(rc, me, "That key is not on the menu.");
		flow_menu_say(rc);
		talloc_free(tmp);
		return;
	}
	caller = dir_person_by_id(dir, rc->caller.person_id);
	callee = dir_person_by_id(dir, rc->menu[k - 1].person_id);
	relay = dir_relay_by_number(dir, rc->relay);
	if (!caller || !callee || !relay) {
		flow_evf(rc, me, "menu", "%c: %s is no longer in the directory", digit,
			 rc->menu[k - 1].name);
		flow_prompt(rc, me, "not_allowed");
		flow_end(rc, "the directory changed during the call");
		talloc_free(tmp);
		return;
	}
	req.caller = caller;
	req.callee = callee;
	req.relay = relay;
	req.team = shared_team(tmp, caller, callee, relay);
	req.now = now;
	localtime_r(&now, &req.local);
	if (policy_call_evaluate(tmp, dir, &rc->d->rcfg.policy, &req, &plan) < 0) {
		flow_end(rc, "the call could not be evaluated");
		talloc_free(tmp);
		return;
	}
	flow_evf(rc, me, "menu", "%c: %s; %s: %s", digit, callee->display, rules_text(tmp, &plan),
		 plan.reason);
	if (plan.action != POLICY_DELIVER) {
		flow_say(rc, me, plan.reply);
		flow_end(rc, plan.reason);
		talloc_free(tmp);
		return;
	}
	rc->caller.side = policy_call_side_of(&plan, caller);
	copy_person(rc, &rc->callee, callee, POLICY_LEG_CALLEE, policy_call_side_of(&plan, callee));
	rc->guardian_required = plan.guardian_required;
	rc->team = req.team ? talloc_strdup(rc, req.team->name) : NULL;
	n_g = plan.guardian_dialled ? plan.n_guardians : 0;
	if (n_g > FLOW_LEGS_MAX - 2)
		n_g = FLOW_LEGS_MAX - 2;
	rc->guardians = talloc_zero_array(rc, struct flow_party, n_g + 1);
	for (unsigned i = 0; i < n_g; i++)
		copy_person(rc, &rc->guardians[i], plan.guardians[i], POLICY_LEG_GUARDIAN,
			    POLICY_SIDE_GUARDIAN);
	rc->n_guardians = n_g;
	rc->overseers = talloc_zero_array(rc, struct flow_party, plan.n_overseers + 1);
	for (unsigned i = 0; i < plan.n_overseers; i++)
		copy_person(rc, &rc->overseers[i], plan.overseers[i], POLICY_LEG_GUARDIAN,
			    POLICY_SIDE_OTHER);
	rc->n_overseers = plan.n_overseers;
	talloc_free(tmp);

	rc->line[1] = flow_take_line(rc, rc->relay);
	if (n_g)
		rc->line[0] = flow_take_line(rc, rc->relay);
	if (!rc->line[1] || (n_g && !rc->line[0])) {
		rc->line[0] = rc->line[1] = NULL;
		flow_say(rc, me,
			 "All the lines for calls are busy. Please text instead, or call again "
			 "in a few minutes.");
		flow_end(rc, "not placed: the relay's lines for calls are busy");
		return;
	}
	/* The caller waits on the bridge alone: nobody is heard until their notice. */
	flow_bridge(rc, me);
	flow_prompt(rc, me, n_g ? "please_hold" : "connecting");
	flow_state_chg(rc->fi, n_g ? FLOW_ST_GUARDIAN : FLOW_ST_CALLEE);
}
