/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* CALL @name: a staff member (or a family) asks the relay for a call. The call rules
 * (gateway/policy/policy_call.h) decide, the decision is recorded as a call and as the
 * message's verdict, and the sender is told: why it is refused, or that the relay is
 * calling. An allowed call is handed to the transport (the daemon's call flow) once the
 * message's transaction has committed; a relay with no free line that carries calls
 * refuses it with that reason rather than queue it where nobody sees. */
#include <string.h>

#include <talloc.h>

#include "gateway/policy/policy_call.h"
#include "gateway/relay/router_internal.h"
#include "storage/records/records_calls.h"

static char *rules_text(void *ctx, const struct policy_call_plan *p)
{
	char *s = talloc_strdup(ctx, "");

	for (unsigned i = 0; i < p->n_rules; i++)
		s = talloc_asprintf_append(s, "%s%s", i ? "," : "", p->rules[i]);
	return s;
}

/* The team of this relay number that the caller and the callee share, else the caller's
 * first here (NULL when none). */
static const struct dir_team *call_team(struct work *w, const struct dir_person *callee)
{
	struct dir_team **teams;
	int n = dir_teams_on_relay(w->tmp, w->sender, w->relay, &teams);

	for (int i = 0; i < n; i++)
		if (dir_team_has_member(teams[i], callee))
			return teams[i];
	return n > 0 ? teams[0] : NULL;
}

static int usage(struct work *w, const char *why)
{
	int64_t vid = router_verdict(w, REC_V_COMMAND, REC_REPLY, POLICY_RULE_CALL, NULL, NULL,
				     "CALL not understood: %s", why);

	return vid > 0 ? router_reply(w, vid,
				      "To call someone through this number: CALL @name (for a "
				      "student, a parent or guardian is called first).")
		       : -1;
}

static void party(const struct policy_call_plan *plan, const struct dir_person *p,
		  enum policy_call_role role, struct router_call_party *out)
{
	*out = (struct router_call_party){.person_id = p->id,
					  .number = p->phone,
					  .name = p->display,
					  .role = role,
					  .side = policy_call_side_of(plan, p)};
}

/* The order the transport places: built under w->tmp, placed after commit. */
static struct router_call_order *order(struct work *w, const struct policy_call_request *req,
				       const struct policy_call_plan *plan, int64_t call_id)
{
	struct router_call_order *o = talloc_zero(w->tmp, struct router_call_order);
	struct router_call_party *g, *ov;

	g = talloc_zero_array(w->tmp, struct router_call_party, plan->n_guardians + 1);
	ov = talloc_zero_array(w->tmp, struct router_call_party, plan->n_overseers + 1);
	if (!o || !g || !ov)
		return NULL;
	o->call_id = call_id;
	o->at = w->in->at;
	o->relay = w->relay->number;
	o->team = req->team ? req->team->name : NULL;
	o->guardian_required = plan->guardian_required;
	o->crisis = plan->flagged;
	party(plan, req->caller, POLICY_LEG_CALLER, &o->caller);
	party(plan, req->callee, POLICY_LEG_CALLEE, &o->callee);
	for (unsigned i = 0; i < plan->n_guardians; i++)
		party(plan, plan->guardians[i], POLICY_LEG_GUARDIAN, &g[i]);
	o->guardians = g;
	o->n_guardians = plan->guardian_dialled ? plan->n_guardians : 0;
	for (unsigned i = 0; i < plan->n_overseers; i++)
		party(plan, plan->overseers[i], POLICY_LEG_GUARDIAN, &ov[i]);
	o->overseers = ov;
	o->n_overseers = plan->n_overseers;
	return o;
}

/* Lines the call needs at once: the guardian (dialled first, one at a time), the
 * callee, the caller. */
static unsigned lines_needed(const struct policy_call_plan *plan)
{
	return 2 + (plan->guardian_dialled && plan->n_guardians ? 1 : 0);
}

int router_call_request(struct work *w, const struct grammar_parse *g)
{
	struct router *r = w->r;
	struct policy_call_request req = {.caller = w->sender, .relay = w->relay};
	struct policy_call_plan plan;
	struct rec_call rc;
	const char *rules;
	int64_t vid, call_id;
	unsigned total = 0, free_lines = 0, need;
	bool placed = false;

	if (g->bad_addr[0] || g->n_addrs != 1 || g->addrs[0].kind != GRAMMAR_ADDR_HANDLE)
		return usage(w, "one @name is needed");
	req.callee = dir_person_by_handle(r->dir, g->addrs[0].word);
	if (!req.callee) {
		vid = router_verdict(w, REC_V_COMMAND, REC_REPLY, POLICY_RULE_CALL, NULL, NULL,
				     "CALL: nobody is called @%s", g->addrs[0].word);
		return vid > 0 ? router_reply(w, vid,
					      "Nobody is called @%s. Reply WHO #team for the names "
					      "on a team.",
					      g->addrs[0].word)
			       : -1;
	}
	req.team = call_team(w, req.callee);
	req.urgent = g->urgent;
	req.crisis = g->crisis;
	req.now = (time_t)(w->in->at / 1000);
	router_local_time(w->in->at, &req.local);
	if (policy_call_evaluate(w->tmp, r->dir, &r->cfg.policy, &req, &plan) < 0)
		return usage(w, "the request could not be evaluated");
	rules = rules_text(w->tmp, &plan);
	need = lines_needed(&plan);
	if (plan.action == POLICY_DELIVER) {
		free_lines =
		    r->tp.call_lines && r->tp.place_call ? r->tp.call_lines(&total, r->tp_data) : 0;
		placed = free_lines >= need;
		if (!total)
			plan.reason = talloc_asprintf(
			    w->tmp, "%s; not placed: no modem of the relay carries calls",
			    plan.reason);
		else if (!placed)
			plan.reason = talloc_asprintf(w->tmp,
						      "%s; not placed: %u of the relay's %u lines "
						      "that carry calls are free, %u needed",
						      plan.reason, free_lines, total, need);
	}
	rc = (struct rec_call){.at = w->in->at,
			       .relay = w->relay->number,
			       .initiator_id = w->sender->id,
			       .initiator_number = w->in->sender,
			       .callee_id = req.callee->id,
			       .team_id = req.team ? req.team->id : 0,
			       .connect = placed,
			       .rules = rules,
			       .reason = plan.reason,
			       .flagged = plan.flagged,
			       .exception_id = plan.exception_id};
	call_id = rec_call_add(r->store, &rc);
	if (call_id <= 0)
		return -1;
	vid = router_verdict(w, REC_V_COMMAND, REC_REPLY, rules, req.team, NULL, "call #%lld: %s",
			     (long long)call_id, plan.reason);
	if (vid <= 0)
		return -1;
	if (plan.action == POLICY_BLOCK)
		return router_reply(w, vid, "Call not placed: %s", plan.reply);
	if (!total)
		return router_reply(w, vid,
				    "Calls are not available on this number. Text %s instead; "
				    "the same rules apply.",
				    req.callee->display);
	if (!placed)
		return router_reply(w, vid,
				    "Call not placed: the relay's lines for calls are busy "
				    "(%u of %u free, this call needs %u). Text %s, or try again in "
				    "a few minutes.",
				    free_lines, total, need, req.callee->display);
	/* Crisis: the building's administrators hear of it now, not after. */
	for (unsigned i = 0; i < plan.n_alerts; i++)
		if (router_tell(w, vid, w->relay->number, plan.alerts[i],
				"Crisis call #%lld: %s is calling %s one-to-one now. The call is "
				"recorded and flagged for review.",
				(long long)call_id, w->sender->display, req.callee->display) < 0)
			return -1;
	w->call = order(w, &req, &plan, call_id);
	if (!w->call)
		return -1;
	if (lines_needed(&plan) == 3)
		return router_reply(w, vid,
				    "Call #%lld: calling a parent or guardian of %s first, then "
				    "%s, then you. Everyone hears that the call is recorded.",
				    (long long)call_id, req.callee->display, req.callee->display);
	return router_reply(w, vid,
			    "Call #%lld: calling %s, then you. Everyone hears that the call is "
			    "recorded.",
			    (long long)call_id, req.callee->display);
}
