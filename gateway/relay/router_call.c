/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* CALL @name: a staff member (or a family) asks the relay for a call. The call rules
 * (gateway/policy/policy_call.h) decide, the decision is recorded as a call and as the
 * message's verdict, and the sender is told: why it is refused, or that the relay places
 * it. Placing calls needs a modem on this relay number that carries them; until the
 * daemon has one, the call is recorded as not placed and the sender told so. */
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

int router_call_request(struct work *w, const struct grammar_parse *g)
{
	struct router *r = w->r;
	struct policy_call_request req = {.caller = w->sender, .relay = w->relay};
	struct policy_call_plan plan;
	struct rec_call rc;
	const char *rules;
	int64_t vid, call_id;

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
	if (plan.action == POLICY_DELIVER)
		plan.reason =
		    talloc_asprintf(w->tmp, "%s; not placed: no modem on %s carries calls",
				    plan.reason, w->relay->number);
	rc = (struct rec_call){.at = w->in->at,
			       .relay = w->relay->number,
			       .initiator_id = w->sender->id,
			       .initiator_number = w->in->sender,
			       .callee_id = req.callee->id,
			       .team_id = req.team ? req.team->id : 0,
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
	return router_reply(w, vid,
			    "Calls are not available on this number yet. Text %s instead; "
			    "the same rules apply.",
			    req.callee->display);
}
