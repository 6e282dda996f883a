/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The router's records of one inbound message: the verdict (the policy engine's, or the
 * router's own for blocks, questions and commands), one delivery per recipient, the
 * replies to the sender, the questions it asks and the conversations (threads) that later
 * unaddressed messages continue. All of it joins router_inbound's transaction; what is
 * to go out now is collected in work->queued and dispatched only after the commit. */
#include <stdarg.h>
#include <time.h>

#include <talloc.h>

#include "modem/sms/sms_split.h"
#include "gateway/relay/router_internal.h"

/* ---- The sender's replies and the router's own verdicts ---- */

static char *vfmt(void *ctx, const char *fmt, va_list ap)
{
	return talloc_vasprintf(ctx, fmt, ap);
}

/* Record a message from the gateway itself and queue it. */
static int gateway_message(struct work *w, int64_t verdict_id, const char *relay, int64_t to_id,
			   const char *number, const char *why, const char *text)
{
	int64_t id;
	struct rec_delivery d = {0};

	d.at = w->in->at;
	d.verdict_id = verdict_id;
	d.message_id = w->message_id;
	d.relay = relay;
	d.recipient_id = to_id;
	d.recipient_number = number;
	d.why = why;
	d.body = talloc_asprintf(w->tmp, "%s relay: %s", w->r->cfg.district, text);
	d.status = REC_ST_QUEUED;
	id = rec_delivery_add(w->r->store, &d);
	if (id <= 0)
		return -1;
	w->queued = talloc_realloc(w->tmp, w->queued, int64_t, w->n_queued + 1);
	w->queued[w->n_queued++] = id;
	return 0;
}

/* A message from the gateway itself to whoever wrote: block reasons, questions, help. */
int router_reply(struct work *w, int64_t verdict_id, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = vfmt(w->tmp, fmt, ap);
	va_end(ap);
	return gateway_message(w, verdict_id, w->in->relay, w->sender ? w->sender->id : 0,
			       w->in->sender, "reply", text);
}

int router_tell(struct work *w, int64_t verdict_id, const char *relay, const struct dir_person *to,
		const char *fmt, ...)
{
	va_list ap;
	char *text;

	if (!dir_reachable(to, dir_relay_by_number(w->r->dir, relay)))
		return 0;
	va_start(ap, fmt);
	text = vfmt(w->tmp, fmt, ap);
	va_end(ap);
	return gateway_message(w, verdict_id, relay, to->id, to->phone, "notice", text);
}

int64_t router_verdict(struct work *w, enum rec_verdict_kind kind, enum rec_action action,
		       const char *rules, const struct dir_team *team, const char *body,
		       const char *fmt, ...)
{
	va_list ap;
	struct rec_verdict v = {0};

	va_start(ap, fmt);
	v.reason = vfmt(w->tmp, fmt, ap);
	va_end(ap);
	v.at = w->in->at;
	v.message_id = w->message_id;
	v.relay = w->in->relay;
	v.sender_id = w->sender ? w->sender->id : 0;
	v.team_id = team ? team->id : 0;
	v.kind = kind;
	v.action = action;
	v.rules = rules;
	v.body = body;
	/* Every crisis is reviewed, refused ones too (operator guide: "Crisis"). */
	v.flagged = w->crisis;
	return rec_verdict_add(w->r->store, &v);
}

int router_block(struct work *w, const struct dir_team *team, const char *body, const char *why,
		 const char *what)
{
	int64_t vid = router_verdict(w, REC_V_RELAY, REC_BLOCK, "", team, body, "%s", why);

	w->r->stats.blocked++;
	return vid > 0 ? router_reply(w, vid, "Not sent: %s %s", why, what) : -1;
}

int router_ask(struct work *w, const char *kind, const char *body, bool urgent, bool crisis,
	       const char *reason, const char *question)
{
	struct rec_question q = {0};
	int64_t vid;

	w->r->stats.questions++;
	vid = router_verdict(w, REC_V_QUESTION, REC_HOLD, "", NULL, body, "%s", reason);
	if (vid <= 0)
		return -1;
	q.at = w->in->at;
	q.relay = w->in->relay;
	q.person_id = w->sender->id;
	q.message_id = w->message_id;
	q.kind = kind;
	q.body = body;
	q.urgent = urgent;
	q.crisis = crisis;
	if (rec_question_add(w->r->store, &q) <= 0)
		return -1;
	return router_reply(w, vid, "%s", question);
}

/* ---- What the policy engine decided ---- */

static const char *rules_csv(void *ctx, const struct policy_verdict *pv)
{
	char *s = talloc_strdup(ctx, "");

	for (unsigned i = 0; i < pv->n_rules; i++)
		s = talloc_asprintf_append(s, "%s%s", i ? "," : "", pv->rules[i]);
	return s;
}

/* A recipient the message did not go to: a delivery row in status skipped, and why. */
static int record_skipped(struct work *w, int64_t vid, const struct dir_person *p,
			  enum policy_why why)
{
	struct rec_delivery d = {0};

	d.at = w->in->at;
	d.verdict_id = vid;
	d.message_id = w->message_id;
	d.relay = w->in->relay;
	d.recipient_id = p->id;
	d.recipient_number = p->phone ? p->phone : "";
	d.why = policy_why_name(why);
	d.body = "";
	d.status = REC_ST_SKIPPED;
	d.detail = p->phone ? "opted out (STOP)" : "no phone number on file";
	return rec_delivery_add(w->r->store, &d) <= 0 ? -1 : 0;
}

static int record_policy(struct work *w, const struct policy_request *req,
			 const struct policy_verdict *pv, int64_t *verdict_id)
{
	struct router *r = w->r;
	struct rec_verdict v = {0};
	int64_t vid;
	enum rec_status status;

	v.at = w->in->at;
	v.message_id = w->message_id;
	v.relay = w->in->relay;
	v.sender_id = req->sender->id;
	v.team_id = req->team ? req->team->id : 0;
	v.exception_id = pv->exception_id;
	v.kind = REC_V_RELAY;
	v.action = pv->action == POLICY_DELIVER ? REC_DELIVER
		   : pv->action == POLICY_HOLD	? REC_HOLD
						: REC_BLOCK;
	v.rules = rules_csv(w->tmp, pv);
	v.reason = pv->reason ? pv->reason : "";
	v.body = req->body;
	v.flagged = pv->flagged || w->crisis;
	v.digest = pv->digest;
	if (pv->action == POLICY_HOLD) {
		v.release = pv->release == POLICY_RELEASE_TIME ? "time" : "admin";
		v.hold_until =
		    pv->release == POLICY_RELEASE_TIME ? (int64_t)pv->hold_until * 1000 : 0;
	}
	vid = rec_verdict_add(r->store, &v);
	if (vid <= 0)
		return -1;
	*verdict_id = vid;
	if (pv->action == POLICY_BLOCK) {
		r->stats.blocked++;
		return pv->reply ? router_reply(w, vid, "%s", pv->reply) : 0;
	}
	if (pv->action == POLICY_HOLD)
		r->stats.held++;
	status = pv->action == POLICY_DELIVER ? REC_ST_QUEUED : REC_ST_HELD;
	for (unsigned i = 0; i < pv->n_deliveries; i++) {
		const struct policy_delivery *pd = &pv->deliveries[i];
		struct rec_delivery d = {0};
		int64_t id;

		d.at = w->in->at;
		d.verdict_id = vid;
		d.message_id = w->message_id;
		d.relay = w->in->relay;
		d.recipient_id = pd->to->id;
		d.recipient_number = pd->to->phone;
		d.why = policy_why_name(pd->why);
		d.body = pd->body;
		d.notice = pd->notice;
		d.status = status;
		id = rec_delivery_add(r->store, &d);
		if (id <= 0)
			return -1;
		/* A held delivery carries the notice too, but only one that goes out now
		 * counts as given: a rejected hold must not use up the recipient's notice. */
		if (pd->notice && pv->action == POLICY_DELIVER) {
			if (rec_notice_add(r->store, w->in->at, w->in->relay, pd->to->id, id) < 0)
				return -1;
			((struct dir_person *)pd->to)->noticed |= 1u << w->relay->index;
		}
		if (pv->action == POLICY_DELIVER) {
			w->queued = talloc_realloc(w->tmp, w->queued, int64_t, w->n_queued + 1);
			w->queued[w->n_queued++] = id;
		}
	}
	/* Recipients skipped (opted out, no phone), and guardians the copy missed, are part of
	 * the record too. */
	for (unsigned i = 0; i < pv->n_skipped; i++)
		if (record_skipped(w, vid, pv->skipped[i], POLICY_WHY_ADDRESSED) < 0)
			return -1;
	for (unsigned i = 0; i < pv->n_skipped_guardians; i++)
		if (record_skipped(w, vid, pv->skipped_guardians[i], POLICY_WHY_GUARDIAN_COPY) < 0)
			return -1;
	if (pv->action != POLICY_BLOCK && pv->reply)
		return router_reply(w, vid, "%s", pv->reply);
	return 0;
}

/* Conversations: which staff an unaddressed reply goes back to, which team a family's
 * next message belongs to. */
static int record_threads(struct work *w, const struct policy_request *req,
			  const struct policy_verdict *pv)
{
	struct router *r = w->r;
	int64_t team_id = req->team ? req->team->id : 0;

	if (pv->action == POLICY_BLOCK)
		return 0;
	if (req->addr == POLICY_TO_STAFF) {
		/* A family's conversation with one staff member (a counselor on a building's
		 * number) stays with them. */
		int64_t with = req->n_people == 1 ? req->people[0]->id : 0;

		if (rec_thread_add(r->store, w->in->at, w->in->relay, req->sender->id, team_id,
				   with, w->message_id) < 0)
			return -1;
		for (unsigned i = 0; i < pv->n_deliveries; i++) {
			const struct dir_person *to = pv->deliveries[i].to;
			if (pv->deliveries[i].why != POLICY_WHY_ADDRESSED || !dir_is_staff_side(to))
				continue;
			if (rec_thread_add(r->store, w->in->at, w->in->relay, to->id, team_id,
					   req->sender->id, w->message_id) < 0)
				return -1;
		}
		return 0;
	}
	/* Staff wrote to people: their next message belongs to this team, and answers the
	 * staff member who wrote. */
	for (unsigned i = 0; i < req->n_people; i++)
		if (!dir_is_staff_side(req->people[i]) &&
		    rec_thread_add(r->store, w->in->at, w->in->relay, req->people[i]->id, team_id,
				   req->sender->id, w->message_id) < 0)
			return -1;
	return 0;
}

void router_local_time(int64_t ms, struct tm *out)
{
	time_t t = (time_t)(ms / 1000);

	localtime_r(&t, out);
}

/* A message whose longest delivery (attribution and notice included) needs more SMS parts
 * than max_parts is refused whole, and its sender told: part of a message is not the
 * message, and several messages would each need their own attribution and order. Returns
 * true when it was refused (w->failed set when the refusal could not be recorded). */
static bool too_long(struct work *w, struct policy_request *req, const struct policy_verdict *pv)
{
	unsigned most = 0, limit = w->r->cfg.max_parts ? w->r->cfg.max_parts : 255;
	struct sms_split_info info;
	int64_t vid;

	for (unsigned i = 0; i < pv->n_deliveries; i++) {
		const char *b = pv->deliveries[i].body;

		/* As the transport splits it: 16-bit references. */
		if (b && sms_split_measure_ref(&info, b, strlen(b), true) == 0 && info.parts > most)
			most = info.parts;
	}
	if (most <= limit)
		return false;
	vid = router_verdict(w, REC_V_RELAY, REC_BLOCK, "length", req->team, req->body,
			     "the message needs %u texts with the sender's name added; at most "
			     "%u are sent",
			     most, limit);
	if (vid <= 0 || router_reply(w, vid,
				     "Not sent: your message is too long to forward. With your "
				     "name added it would take %u texts, and the most is %u. "
				     "Please send it in shorter messages.",
				     most, limit) < 0)
		w->failed = true;
	else
		w->r->stats.blocked++;
	return true;
}

int router_evaluate_and_record(struct work *w, struct policy_request *req)
{
	struct policy_verdict pv;
	int64_t vid;

	req->sender = w->sender;
	req->relay = w->relay;
	req->now = (time_t)(w->in->at / 1000);
	router_local_time(w->in->at, &req->local);
	if (policy_evaluate(w->tmp, w->r->dir, &w->r->cfg.policy, req, &pv) < 0) {
		vid = router_verdict(w, REC_V_RELAY, REC_BLOCK, "", req->team, req->body,
				     "the message could not be evaluated");
		return vid > 0
			   ? router_reply(w, vid, "Not sent: the message could not be understood.")
			   : -1;
	}
	if (pv.action != POLICY_BLOCK && too_long(w, req, &pv))
		return w->failed ? -1 : 0;
	if (record_policy(w, req, &pv, &vid) < 0)
		return -1;
	return record_threads(w, req, &pv);
}
