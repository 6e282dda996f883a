/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The router: inbound message → sender, meaning, verdict → records → deliveries. */
#include <ctype.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <talloc.h>

#include "storage/model/directory.h"
#include "storage/directory/directory_store.h"
#include "gateway/relay/grammar.h"
#include "storage/records/records.h"
#include "gateway/relay/router.h"

struct id_set {
	int64_t *v;
	size_t n, cap;
};

struct router {
	struct store *store;
	struct router_config cfg;
	struct router_transport tp;
	void *tp_data;
	struct directory *dir;
	int64_t dir_version;
	struct id_set in_flight; /* deliveries handed to a modem by this process */
	struct router_stats stats;
	int64_t last_poll;
};

/* ---- A small set of delivery ids (open addressing; ids are positive). ---- */

static bool id_set_has(const struct id_set *s, int64_t id)
{
	if (!s->cap)
		return false;
	for (size_t i = (size_t)id & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (s->v[i] == id)
			return true;
		if (s->v[i] == 0)
			return false;
	}
}

static void id_set_put(void *ctx, struct id_set *s, int64_t id);

static void id_set_grow(void *ctx, struct id_set *s)
{
	struct id_set n = {.cap = s->cap ? s->cap * 2 : 1024};

	n.v = talloc_zero_array(ctx, int64_t, n.cap);
	for (size_t i = 0; i < s->cap; i++)
		if (s->v[i] > 0)
			id_set_put(ctx, &n, s->v[i]);
	talloc_free(s->v);
	*s = n;
}

static void id_set_put(void *ctx, struct id_set *s, int64_t id)
{
	if ((s->n + 1) * 2 > s->cap)
		id_set_grow(ctx, s);
	for (size_t i = (size_t)id & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (s->v[i] == id)
			return;
		if (s->v[i] <= 0) {
			s->v[i] = id;
			s->n++;
			return;
		}
	}
}

/* ---- Configuration ---- */

void router_config_defaults(struct router_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	policy_config_defaults(&cfg->policy);
	cfg->district = "the school district";
	cfg->policy.district = cfg->district;
	cfg->default_cc = "1";
	cfg->thread_window_s = 24 * 3600;
	cfg->question_window_s = 3600;
	cfg->unknown_reply_s = 24 * 3600;
	cfg->digest_hour = 17;
}

struct router *router_alloc(void *ctx, struct store *s, const struct router_config *cfg,
			    const struct router_transport *tp, void *tp_data)
{
	struct router *r = talloc_zero(ctx, struct router);

	r->store = s;
	router_set_config(r, cfg);
	if (tp)
		r->tp = *tp;
	r->tp_data = tp_data;
	return r;
}

void router_set_config(struct router *r, const struct router_config *cfg)
{
	/* The strings are copied first: cfg may point into the router's own. */
	char *district = talloc_strdup(r, cfg->district ? cfg->district : "the school district");
	char *cc = talloc_strdup(r, cfg->default_cc ? cfg->default_cc : "1");
	char *notice = cfg->policy.notice_text ? talloc_strdup(r, cfg->policy.notice_text) : NULL;
	char *old_district = (char *)r->cfg.district, *old_cc = (char *)r->cfg.default_cc;
	char *old_notice = (char *)r->cfg.policy.notice_text;

	r->cfg = *cfg;
	r->cfg.district = district;
	r->cfg.policy.district = district;
	r->cfg.default_cc = cc;
	r->cfg.policy.notice_text = notice;
	talloc_free(old_district);
	talloc_free(old_cc);
	talloc_free(old_notice);
}

void router_free(struct router *r)
{
	talloc_free(r);
}

const struct directory *router_directory(const struct router *r)
{
	return r->dir;
}

void router_stats(const struct router *r, struct router_stats *st)
{
	*st = r->stats;
}

/* ---- Loading ---- */

static void apply_optout(const char *relay, const char *number, int64_t person_id, void *data)
{
	struct router *r = data;
	struct dir_relay *rl = dir_relay_by_number(r->dir, relay);
	struct dir_person *p = dir_person_by_phone(r->dir, number);

	(void)person_id;
	if (rl && p)
		p->opted_out |= 1u << rl->index;
}

static void apply_notice(const char *relay, int64_t person_id, void *data)
{
	struct router *r = data;
	struct dir_relay *rl = dir_relay_by_number(r->dir, relay);
	struct dir_person *p = dir_person_by_id(r->dir, person_id);

	if (rl && p)
		p->noticed |= 1u << rl->index;
}

int router_load(struct router *r)
{
	struct directory *d = store_directory_load(r->store, r);

	if (!d)
		return -1;
	talloc_free(r->dir);
	r->dir = d;
	r->dir_version = store_directory_version(r->store);
	if (rec_optouts_each(r->store, apply_optout, r) < 0 ||
	    rec_notices_each(r->store, apply_notice, r) < 0)
		return -1;
	/* Loading built the directory next to the store's row lists and the old directory,
	 * all freed by now; malloc keeps those pages unless asked: 40 MiB of chaperoned's
	 * 105 MiB with 50,000 persons (docs/performance.md). */
	malloc_trim(0);
	return 0;
}

/* ---- Building what goes out ---- */

/* Everything one inbound message causes, collected before the transaction commits and
 * dispatched after. */
struct work {
	struct router *r;
	void *tmp; /* talloc context for this message */
	const struct router_inbound *in;
	int64_t message_id;
	struct dir_relay *relay;
	struct dir_person *sender;
	int64_t *queued; /* deliveries to dispatch after commit */
	unsigned n_queued;
};

static char *vfmt(void *ctx, const char *fmt, va_list ap)
{
	return talloc_vasprintf(ctx, fmt, ap);
}

/* A message from the gateway itself to whoever wrote: block reasons, questions, help. */
static int reply(struct work *w, int64_t verdict_id, const char *fmt, ...)
{
	va_list ap;
	char *text;
	int64_t id;
	struct rec_delivery d = {0};

	va_start(ap, fmt);
	text = vfmt(w->tmp, fmt, ap);
	va_end(ap);
	d.at = w->in->at;
	d.verdict_id = verdict_id;
	d.message_id = w->message_id;
	d.relay = w->in->relay;
	d.recipient_id = w->sender ? w->sender->id : 0;
	d.recipient_number = w->in->sender;
	d.why = "reply";
	d.body = talloc_asprintf(w->tmp, "%s relay: %s", w->r->cfg.district, text);
	d.status = "queued";
	id = rec_delivery_add(w->r->store, &d);
	if (id <= 0)
		return -1;
	w->queued = talloc_realloc(w->tmp, w->queued, int64_t, w->n_queued + 1);
	w->queued[w->n_queued++] = id;
	return 0;
}

static int64_t verdict(struct work *w, const char *kind, const char *action, const char *rules,
		       const struct dir_team *team, const char *body, const char *fmt, ...)
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
	return rec_verdict_add(w->r->store, &v);
}

static const char *rules_csv(void *ctx, const struct policy_verdict *pv)
{
	char *s = talloc_strdup(ctx, "");

	for (unsigned i = 0; i < pv->n_rules; i++)
		s = talloc_asprintf_append(s, "%s%s", i ? "," : "", pv->rules[i]);
	return s;
}

static int record_policy(struct work *w, const struct policy_request *req,
			 const struct policy_verdict *pv, int64_t *verdict_id)
{
	struct router *r = w->r;
	struct rec_verdict v = {0};
	int64_t vid;
	const char *status;

	v.at = w->in->at;
	v.message_id = w->message_id;
	v.relay = w->in->relay;
	v.sender_id = req->sender->id;
	v.team_id = req->team ? req->team->id : 0;
	v.exception_id = pv->exception_id;
	v.kind = "relay";
	v.action = policy_action_name(pv->action);
	v.rules = rules_csv(w->tmp, pv);
	v.reason = pv->reason ? pv->reason : "";
	v.body = req->body;
	v.flagged = pv->flagged;
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
		return pv->reply ? reply(w, vid, "%s", pv->reply) : 0;
	}
	if (pv->action == POLICY_HOLD)
		r->stats.held++;
	status = pv->action == POLICY_DELIVER ? "queued" : "held";
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
	/* Recipients skipped (opted out, no phone) are part of the record too. */
	for (unsigned i = 0; i < pv->n_skipped; i++) {
		const struct dir_person *p = pv->skipped[i];
		struct rec_delivery d = {0};

		d.at = w->in->at;
		d.verdict_id = vid;
		d.message_id = w->message_id;
		d.relay = w->in->relay;
		d.recipient_id = p->id;
		d.recipient_number = p->phone ? p->phone : "";
		d.why = "addressed";
		d.body = "";
		d.status = "skipped";
		d.detail = p->phone ? "opted out (STOP)" : "no phone number on file";
		if (rec_delivery_add(r->store, &d) <= 0)
			return -1;
	}
	if (pv->action == POLICY_HOLD && pv->reply)
		return reply(w, vid, "%s", pv->reply);
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
		if (rec_thread_add(r->store, w->in->at, w->in->relay, req->sender->id, team_id, 0,
				   w->message_id) < 0)
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
	/* Staff wrote to people: their next message belongs to this team. */
	for (unsigned i = 0; i < req->n_people; i++)
		if (!dir_is_staff_side(req->people[i]) &&
		    rec_thread_add(r->store, w->in->at, w->in->relay, req->people[i]->id, team_id,
				   0, w->message_id) < 0)
			return -1;
	return 0;
}

static void local_time(int64_t ms, struct tm *out)
{
	time_t t = (time_t)(ms / 1000);

	localtime_r(&t, out);
}

static int evaluate_and_record(struct work *w, struct policy_request *req)
{
	struct policy_verdict pv;
	int64_t vid;

	req->sender = w->sender;
	req->relay = w->relay;
	req->now = (time_t)(w->in->at / 1000);
	local_time(w->in->at, &req->local);
	if (policy_evaluate(w->tmp, w->r->dir, &w->r->cfg.policy, req, &pv) < 0) {
		vid = verdict(w, "relay", "block", "", req->team, req->body,
			      "the message could not be evaluated");
		return vid > 0 ? reply(w, vid, "Not sent: the message could not be understood.")
			       : -1;
	}
	if (record_policy(w, req, &pv, &vid) < 0)
		return -1;
	return record_threads(w, req, &pv);
}

/* ---- What the sender means ---- */

static const char *body_of(struct work *w, const struct grammar_parse *g)
{
	return talloc_strndup(w->tmp, w->in->text + g->body_off, g->body_len);
}

static int ask(struct work *w, const char *kind, const char *body, bool urgent, bool crisis,
	       const char *reason, const char *question)
{
	struct rec_question q = {0};
	int64_t vid;

	w->r->stats.questions++;
	vid = verdict(w, "question", "hold", "", NULL, body, "%s", reason);
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
	return reply(w, vid, "%s", question);
}

static int block(struct work *w, const struct dir_team *team, const char *body, const char *why,
		 const char *what)
{
	int64_t vid = verdict(w, "relay", "block", "", team, body, "%s", why);

	w->r->stats.blocked++;
	return vid > 0 ? reply(w, vid, "Not sent: %s %s", why, what) : -1;
}

static unsigned staff_teams(struct work *w, struct dir_team **out, unsigned cap)
{
	return dir_teams_on_relay(w->sender, w->relay, out, cap);
}

static char *team_list(void *ctx, struct dir_team *const *t, unsigned n, const char *sep)
{
	char *s = talloc_strdup(ctx, "");

	for (unsigned i = 0; i < n; i++)
		s = talloc_asprintf_append(s, "%s#%s", i ? sep : "", t[i]->tag);
	return s;
}

/* Resolve a '#' address among the sender's teams on this relay. */
static int resolve_tag(struct work *w, const struct grammar_addr *a, struct policy_request *req,
		       const char *body)
{
	struct dir_team *mine[32];
	unsigned n = staff_teams(w, mine, 32);
	struct dir_team *t = dir_team_by_tag(w->r->dir, a->word);
	struct dir_subgroup *hit = NULL;
	unsigned hits = 0;

	if (t) {
		if (t->relay != w->relay) {
			char *alt =
			    t->relay
				? talloc_asprintf(w->tmp, "Text %s from %s instead.",
						  t->relay->number, "your phone")
				: talloc_strdup(w->tmp, "Ask the district to assign it a number.");
			return block(
			    w, t, body,
			    talloc_asprintf(w->tmp, "#%s is not served by this number.", a->word),
			    alt);
		}
		req->team = t;
		if (!a->sub[0]) {
			req->addr = POLICY_TO_TEAM;
			return 1;
		}
		req->subgroup = dir_subgroup_by_name(t, a->sub);
		if (!req->subgroup)
			return block(
			    w, t, body,
			    talloc_asprintf(w->tmp, "%s has no group called \"%s\".", t->name,
					    a->sub),
			    talloc_asprintf(w->tmp, "Reply WHO #%s to see its groups.", t->tag));
		req->addr = POLICY_TO_SUBGROUP;
		return 1;
	}
	/* A subgroup named on its own: fine when exactly one of the sender's teams has it. */
	for (unsigned i = 0; i < n; i++) {
		struct dir_subgroup *g = dir_subgroup_by_name(mine[i], a->word);
		if (g) {
			hit = g;
			hits++;
		}
	}
	if (hits == 1 && !a->sub[0]) {
		req->team = hit->team;
		req->subgroup = hit;
		req->addr = POLICY_TO_SUBGROUP;
		return 1;
	}
	if (hits > 1) {
		char *opts = talloc_strdup(w->tmp, "");
		for (unsigned i = 0; i < n; i++)
			if (dir_subgroup_by_name(mine[i], a->word))
				opts = talloc_asprintf_append(opts, "%s#%s.%s", *opts ? " or " : "",
							      mine[i]->tag, a->word);
		return ask(w, "address", body, false, false,
			   talloc_asprintf(w->tmp, "#%s names a group on several teams", a->word),
			   talloc_asprintf(w->tmp,
					   "More than one team has a group \"%s\". Reply %s to "
					   "send it, or DISCARD to drop it.",
					   a->word, opts)) < 0
			   ? -1
			   : 0;
	}
	return block(w, NULL, body, talloc_asprintf(w->tmp, "nobody is called #%s.", a->word),
		     talloc_asprintf(w->tmp, "Your teams on this number: %s. Reply WHO for more.",
				     n ? team_list(w->tmp, mine, n, ", ") : "none")) < 0
		   ? -1
		   : 0;
}

/* Resolve '@' addresses; the team context is the one team on this relay the sender and
 * every addressee share, the recent thread's team when several, else a question. */
static int resolve_handles(struct work *w, const struct grammar_parse *g,
			   struct policy_request *req, const char *body, int64_t thread_team)
{
	const struct dir_person **people =
	    talloc_array(w->tmp, const struct dir_person *, g->n_addrs);
	struct dir_team *mine[32], *shared[32];
	unsigned n_mine = staff_teams(w, mine, 32), n_shared = 0;

	for (unsigned i = 0; i < g->n_addrs; i++) {
		const struct grammar_addr *a = &g->addrs[i];
		struct dir_person *p;
		if (a->kind != GRAMMAR_ADDR_HANDLE)
			return block(w, NULL, body,
				     "a message goes to one team (#tag) or to people (@name), not "
				     "both.",
				     "Send two messages.") < 0
				   ? -1
				   : 0;
		p = dir_person_by_handle(w->r->dir, a->word);
		if (!p)
			return block(w, NULL, body,
				     talloc_asprintf(w->tmp, "nobody is called @%s.", a->word),
				     "Reply WHO #team for the names on a team.") < 0
				   ? -1
				   : 0;
		people[i] = p;
	}
	if (!n_mine)
		return block(w, NULL, body,
			     "you are not on the staff of a team this number serves.",
			     "Use the number of your team.") < 0
			   ? -1
			   : 0;
	for (unsigned t = 0; t < n_mine; t++) {
		bool all = true;
		for (unsigned i = 0; i < g->n_addrs && all; i++) {
			struct dir_team *theirs[32];
			unsigned k = dir_teams_on_relay(people[i], w->relay, theirs, 32);
			bool in =
			    dir_is_staff_side(people[i]) && dir_team_has_member(mine[t], people[i]);
			for (unsigned j = 0; j < k; j++)
				if (theirs[j] == mine[t])
					in = true;
			all = in;
		}
		if (all)
			shared[n_shared++] = mine[t];
	}
	req->addr = POLICY_TO_PEOPLE;
	req->people = people;
	req->n_people = g->n_addrs;
	if (n_shared == 1) {
		req->team = shared[0];
		return 1;
	}
	if (n_shared == 0) {
		/* Let the engine say who is not on the sender's teams. */
		req->team = mine[0];
		return 1;
	}
	for (unsigned t = 0; t < n_shared; t++) {
		if (shared[t]->id == thread_team) {
			req->team = shared[t];
			return 1;
		}
	}
	/* A crisis answer does not wait for "which team?": the team only labels it and
	 * chooses the overseers alerted, and every principal and counselor is alerted
	 * whatever the team. */
	if (g->crisis) {
		req->team = shared[0];
		return 1;
	}
	/* The question keeps the @ words with the text: the answer names the team, and the
	 * message must still go to these people, not to the team (staff_message). */
	char *asked = talloc_strdup(w->tmp, "");
	for (unsigned i = 0; i < g->n_addrs; i++)
		asked = talloc_asprintf_append(asked, "@%s ", g->addrs[i].word);
	asked = talloc_asprintf_append(asked, "%s", body);
	return ask(w, "address", asked, g->urgent, g->crisis,
		   "addressees share several of the sender's teams",
		   talloc_asprintf(w->tmp,
				   "Which team is this about? Reply %s to send it, or DISCARD to "
				   "drop it.",
				   team_list(w->tmp, shared, n_shared, " or "))) < 0
		   ? -1
		   : 0;
}

struct open_q {
	bool found;
	struct rec_question q;
	char *body, *kind;
};

static void got_question(const struct rec_question *q, void *data)
{
	struct open_q *o = data;

	o->found = true;
	o->q = *q;
	o->body = talloc_strdup(o, q->body);
	o->kind = talloc_strdup(o, q->kind);
	o->q.body = o->body;
	o->q.kind = o->kind;
	o->q.relay = NULL;
}

static struct open_q *open_question(struct work *w)
{
	struct open_q *o = talloc_zero(w->tmp, struct open_q);
	int64_t since = w->in->at - (int64_t)w->r->cfg.question_window_s * 1000;

	if (!w->sender ||
	    rec_question_open(w->r->store, w->in->relay, w->sender->id, since, got_question, o) < 0)
		o->found = false;
	return o;
}

static int staff_message(struct work *w, const struct grammar_parse *g)
{
	struct policy_request req = {0};
	const char *body = body_of(w, g);
	struct open_q *oq = open_question(w);
	struct grammar_parse merged;
	int64_t thread_team = 0, counterpart = 0, answer_team = 0;
	int rc;
	bool answering = false;

	if (g->bad_addr[0])
		return block(w, NULL, body,
			     talloc_asprintf(w->tmp, "\"%s\" is not an address.", g->bad_addr),
			     "Use #team or @name; reply HELP for examples.");
	if (g->bad_flag[0])
		return block(w, NULL, body,
			     talloc_asprintf(w->tmp, "\"!%s\" is not a flag I know.", g->bad_flag),
			     "Use !urgent or !crisis; reply HELP for examples.");
	/* An address on its own answers the question the gateway asked. */
	if (g->n_addrs && !g->body_len && oq->found) {
		merged = *g;
		merged.urgent = g->urgent || oq->q.urgent;
		merged.crisis = g->crisis || oq->q.crisis;
		g = &merged;
		body = oq->body;
		answering = true;
		/* "Which team is this about?" was asked about a message to people (its body
		 * keeps their @ words): "#track" names the team of the conversation, and the
		 * message goes to those people in Track's context, not to all of Track. */
		if (g->n_addrs == 1 && g->addrs[0].kind == GRAMMAR_ADDR_TAG &&
		    !g->addrs[0].sub[0]) {
			struct grammar_parse asked;
			struct dir_team *t = dir_team_by_tag(w->r->dir, g->addrs[0].word);

			grammar_parse(oq->body, strlen(oq->body), &asked);
			if (asked.n_addrs && asked.addrs[0].kind == GRAMMAR_ADDR_HANDLE) {
				asked.urgent = merged.urgent;
				asked.crisis = merged.crisis;
				merged = asked;
				body = talloc_strndup(w->tmp, oq->body + asked.body_off,
						      asked.body_len);
				answer_team = t ? t->id : -1;
			}
		}
	}
	if (g->n_addrs && !*body)
		return block(w, NULL, body, "the message has an address but no text.",
			     "Write the text after the address, e.g. #team Practice at 5.");
	req.body = body;
	req.urgent = g->urgent;
	req.crisis = g->crisis;
	rec_thread_last(w->r->store, w->in->relay, w->sender->id,
			w->in->at - (int64_t)w->r->cfg.thread_window_s * 1000, &thread_team,
			&counterpart);
	if (!g->n_addrs) {
		/* Unaddressed: the reply to the latest conversation, or a question. */
		struct dir_person *cp =
		    counterpart ? dir_person_by_id(w->r->dir, counterpart) : NULL;
		struct dir_team *tt = NULL;
		for (unsigned i = 0; cp && i < w->r->dir->n_teams; i++)
			if (w->r->dir->teams[i]->id == thread_team)
				tt = w->r->dir->teams[i];
		if (!cp || !tt) {
			struct dir_team *mine[32];
			unsigned n = staff_teams(w, mine, 32);
			return ask(w, "address", body, g->urgent, g->crisis,
				   "no address and no recent conversation to reply to",
				   talloc_asprintf(w->tmp,
						   "Who is this for? Reply %s%s or @name to send "
						   "it, or DISCARD to drop it.",
						   n ? team_list(w->tmp, mine, n, ", ") : "#team",
						   n ? " (whole team)" : ""));
		}
		const struct dir_person **people =
		    talloc_array(w->tmp, const struct dir_person *, 1);
		people[0] = cp;
		req.addr = POLICY_TO_PEOPLE;
		req.people = people;
		req.n_people = 1;
		req.team = tt;
	} else if (g->addrs[0].kind == GRAMMAR_ADDR_TAG) {
		if (g->n_addrs > 1)
			return block(w, NULL, body,
				     "a message goes to one team or group at a time.",
				     "Send one message per team.");
		rc = resolve_tag(w, &g->addrs[0], &req, body);
		if (rc <= 0)
			return rc;
	} else {
		rc = resolve_handles(w, g, &req, body, answer_team ? answer_team : thread_team);
		if (rc <= 0)
			return rc;
	}
	if (answering &&
	    rec_question_close(w->r->store, oq->q.id, w->in->at, "answered", w->message_id) < 0)
		return -1;
	return evaluate_and_record(w, &req);
}

static int family_message(struct work *w, const struct grammar_parse *g)
{
	struct policy_request req = {0};
	struct dir_team *teams[32];
	unsigned n = dir_teams_on_relay(w->sender, w->relay, teams, 32);
	struct open_q *oq = open_question(w);
	const char *body = w->in->text;
	int64_t thread_team = 0, cp = 0;

	if (!n)
		return block(w, NULL, body, "this number serves teams you are not on.",
			     "Contact the school office.");
	/* '#' and '@' words address teams, groups and people, which only staff do. A
	 * family's message goes to the team's staff, so forwarding "#soccer hi team" would
	 * mislead the sender about who reads it (on a number serving two teams, possibly
	 * the other team's coaches): refuse and say how to write instead, as the policy's
	 * own replies do. "#track" alone may answer "which team?" and is handled below. */
	if (g->n_addrs && !(oq->found && !strcmp(oq->kind, "team") && !g->body_len))
		return block(w, NULL, body,
			     "students and families cannot message a team, a group or a person by "
			     "# or @.",
			     "To reach your team's coaches or advisors, send your message without "
			     "# or @ words.");
	if (n == 1) {
		req.team = teams[0];
	} else {
		/* The answer to "which team?" is the team's tag or name, alone. */
		char word[64];
		size_t len = strlen(body);
		while (len &&
		       (body[len - 1] == ' ' || body[len - 1] == '.' || body[len - 1] == '!'))
			len--;
		snprintf(word, sizeof(word), "%.*s", (int)len, body[0] == '#' ? body + 1 : body);
		if (oq->found && !strcmp(oq->kind, "team")) {
			for (unsigned i = 0; i < n; i++)
				if (!strcasecmp(word, teams[i]->tag) ||
				    !strcasecmp(word, teams[i]->name))
					req.team = teams[i];
			if (req.team) {
				body = oq->body;
				if (rec_question_close(w->r->store, oq->q.id, w->in->at, "answered",
						       w->message_id) < 0)
					return -1;
			}
		}
		if (!req.team &&
		    rec_thread_last(w->r->store, w->in->relay, w->sender->id,
				    w->in->at - (int64_t)w->r->cfg.thread_window_s * 1000,
				    &thread_team, &cp) == 0)
			for (unsigned i = 0; i < n; i++)
				if (teams[i]->id == thread_team)
					req.team = teams[i];
		if (!req.team) {
			char *names = talloc_strdup(w->tmp, "");
			for (unsigned i = 0; i < n; i++) {
				char *up = talloc_strdup(w->tmp, teams[i]->tag);
				for (char *c = up; *c; c++)
					*c = (char)toupper((unsigned char)*c);
				names = talloc_asprintf_append(names, "%s%s", i ? " or " : "", up);
			}
			return ask(w, "team", body, false, false,
				   "sender is on several teams served by this number",
				   talloc_asprintf(w->tmp,
						   "Which team is this for? Reply %s and your "
						   "message goes to that team's coaches.",
						   names));
		}
	}
	req.addr = POLICY_TO_STAFF;
	req.body = body;
	return evaluate_and_record(w, &req);
}

static char *who_text(struct work *w, const struct grammar_parse *g)
{
	struct dir_team *teams[32];
	unsigned n = dir_teams_on_relay(w->sender, w->relay, teams, 32);
	char *s = talloc_strdup(w->tmp, "");
	const char *arg = w->in->text + g->body_off;

	if (!dir_is_staff_side(w->sender)) {
		for (unsigned i = 0; i < n; i++) {
			s = talloc_asprintf_append(s, "%s%s:", i ? "\n" : "", teams[i]->name);
			for (unsigned j = 0; j < teams[i]->n_staff; j++)
				s = talloc_asprintf_append(s, "%s%s", j ? ", " : " ",
							   teams[i]->staff[j]->display);
		}
		return *s ? s : talloc_strdup(w->tmp, "You are not on a team this number serves.");
	}
	if (g->body_len && arg[0] == '#') {
		struct dir_team *t =
		    dir_team_by_tag(w->r->dir, g->n_addrs ? g->addrs[0].word : arg + 1);
		if (!t || t->relay != w->relay)
			return talloc_strdup(w->tmp, "No such team on this number.");
		s = talloc_asprintf(w->tmp, "%s (#%s):", t->name, t->tag);
		for (unsigned j = 0; j < t->n_students; j++)
			s = talloc_asprintf_append(s, " %s @%s%s", t->students[j]->display,
						   t->students[j]->handle,
						   j + 1 < t->n_students ? "," : "");
		for (unsigned j = 0; j < t->n_subgroups; j++)
			s = talloc_asprintf_append(s, "%s#%s.%s", j ? " " : "\nGroups: ", t->tag,
						   t->subgroups[j]->name);
		return s;
	}
	s = talloc_strdup(w->tmp, "Your teams on this number:");
	for (unsigned i = 0; i < n; i++)
		s = talloc_asprintf_append(s, " #%s (%s, %u)%s", teams[i]->tag, teams[i]->name,
					   teams[i]->n_students, i + 1 < n ? "," : "");
	if (!n)
		s = talloc_strdup(w->tmp, "You are not on the staff of a team this number serves.");
	else
		s = talloc_asprintf_append(s, ". Reply WHO #team for names.");
	return s;
}

static int command(struct work *w, const struct grammar_parse *g)
{
	struct router *r = w->r;
	int64_t vid;
	bool staff = w->sender && dir_is_staff_side(w->sender);

	r->stats.commands++;
	switch (g->kind) {
	case GRAMMAR_STOP:
	case GRAMMAR_START: {
		bool stop = g->kind == GRAMMAR_STOP;
		if (rec_optout_add(r->store, w->in->at, w->in->relay, w->in->sender,
				   w->sender ? w->sender->id : 0, stop, w->message_id) < 0)
			return -1;
		vid = verdict(w, "command", "reply", POLICY_RULE_OPT_OUT, NULL, NULL, "%s from %s",
			      stop ? "STOP" : "START", w->in->sender);
		if (vid <= 0)
			return -1;
		if (w->sender) {
			if (stop)
				w->sender->opted_out |= 1u << w->relay->index;
			else
				w->sender->opted_out &= ~(1u << w->relay->index);
		}
		/* The confirmation is the one message an opted-out number still gets. */
		return reply(w, vid, "%s",
			     stop ? "You will get no more messages from this number. Reply START "
				    "to receive them again."
				  : "You will receive messages from this number again. Reply STOP "
				    "to opt out, HELP for help.");
	}
	case GRAMMAR_HELP:
		vid = verdict(w, "command", "reply", "", NULL, NULL, "HELP");
		return vid > 0 ? reply(w, vid, "%s",
				       staff ? grammar_help_staff() : grammar_help_family())
			       : -1;
	case GRAMMAR_WHO:
		vid = verdict(w, "command", "reply", "", NULL, NULL, "WHO");
		return vid > 0 ? reply(w, vid, "%s", who_text(w, g)) : -1;
	case GRAMMAR_DISCARD: {
		struct open_q *oq = open_question(w);
		vid = verdict(w, "command", "reply", "", NULL, NULL, "DISCARD");
		if (vid <= 0)
			return -1;
		if (!oq->found)
			return reply(w, vid, "There is no message waiting for an answer.");
		if (rec_question_close(r->store, oq->q.id, w->in->at, "discarded", w->message_id) <
		    0)
			return -1;
		return reply(w, vid, "Dropped; it was not sent.");
	}
	default:
		return 0;
	}
}

static int unknown_sender(struct work *w)
{
	struct router *r = w->r;
	int64_t last = rec_unknown_last_reply(r->store, w->in->relay, w->in->sender);
	bool answer = !last || w->in->at - last >= (int64_t)r->cfg.unknown_reply_s * 1000;
	int64_t vid;

	/* No reply to what cannot take one (alphanumeric senders) or has opted out. */
	if (!w->in->sender[0] || w->in->sender[0] != '+' ||
	    rec_optout_active(r->store, w->in->relay, w->in->sender))
		answer = false;
	r->stats.unknown++;
	if (rec_unknown_sender_add(r->store, w->in->at, w->in->relay, w->in->sender, w->message_id,
				   answer) < 0)
		return -1;
	vid = verdict(w, "unknown-sender", answer ? "reply" : "ignore", "", NULL, w->in->text,
		      "%s is not in the directory; not forwarded", w->in->sender);
	if (vid <= 0)
		return -1;
	if (!answer)
		return 0;
	return reply(w, vid,
		     "This number relays messages between %s staff, students and families. "
		     "Your number is not registered, so your message was not delivered. Please "
		     "contact the school office.",
		     r->cfg.district);
}

/* ---- Dispatch ---- */

struct send_ctx {
	struct router *r;
	int64_t now;
	unsigned sent;
};

static void dispatch_row(const struct rec_delivery_row *row, void *data)
{
	struct send_ctx *sc = data;
	struct router *r = sc->r;
	struct router_send o = {row->id, row->relay, row->recipient_number, row->body};
	const char *why = NULL;
	enum router_send_result res;

	if (id_set_has(&r->in_flight, row->id))
		return;
	/* A released hold's notice is given now: later messages need not repeat it. */
	if (row->notice && row->recipient_id) {
		struct dir_person *p = dir_person_by_id(r->dir, row->recipient_id);
		struct dir_relay *rl = dir_relay_by_number(r->dir, row->relay);
		if (p && rl)
			p->noticed |= 1u << rl->index;
	}
	if (!r->tp.send) {
		id_set_put(r, &r->in_flight, row->id);
		return;
	}
	res = r->tp.send(&o, &why, r->tp_data);
	id_set_put(r, &r->in_flight, row->id);
	if (res == ROUTER_SEND_WAITING && strcmp(row->status, "waiting"))
		rec_delivery_event(r->store, row->id, sc->now, "waiting", NULL, -1, -1,
				   why ? why : "modem not ready");
	else if (res == ROUTER_SEND_FAILED) {
		rec_delivery_event(r->store, row->id, sc->now, "failed", NULL, -1, -1,
				   why ? why : "cannot be sent");
		r->stats.failed++;
	}
	if (res != ROUTER_SEND_FAILED) {
		r->stats.out++;
		sc->sent++;
	}
}

static void dispatch_ids(struct router *r, const int64_t *ids, unsigned n, int64_t now)
{
	struct send_ctx sc = {r, now, 0};
	/* One transaction for the lot: outside one, every read takes and drops SQLite's
	 * read lock (a fifth of routing a team message), and every "waiting" or "failed"
	 * event is a commit of its own, one fsync per recipient while a modem is down. A
	 * transaction that wrote nothing commits without touching the disk. */
	bool txn = n > 1 && store_begin(r->store) == 0;

	for (unsigned i = 0; i < n; i++)
		rec_delivery_get(r->store, ids[i], dispatch_row, &sc);
	if (txn && store_commit(r->store) < 0)
		store_rollback(r->store);
}

int64_t router_inbound(struct router *r, const struct router_inbound *in)
{
	struct work w = {.r = r, .in = in};
	struct rec_message m = {0};
	struct grammar_parse g;
	int rc;

	if (!r->dir && router_load(r) < 0)
		return -1;
	w.tmp = talloc_new(r);
	w.relay = dir_relay_by_number(r->dir, in->relay);
	w.sender = dir_person_by_phone(r->dir, in->sender);
	r->stats.in++;
	if (store_begin(r->store) < 0)
		goto fail;
	m.at = in->at;
	m.sent_at = in->sent_at;
	m.relay = in->relay;
	m.modem = in->modem;
	m.sender_number = in->sender;
	m.sender_id = w.sender ? w.sender->id : 0;
	m.text = in->text;
	m.parts = in->parts;
	m.complete = in->complete;
	m.rx_pdu_ids = in->rx_pdu_ids;
	m.n_rx_pdu_ids = in->n_rx_pdu_ids;
	w.message_id = rec_message_add(r->store, &m);
	if (w.message_id <= 0)
		goto fail;
	grammar_parse(in->text, strlen(in->text), &g);
	if (!w.relay) {
		/* A modem whose number the directory does not know: record, do nothing. */
		rc = verdict(&w, "system", "ignore", "", NULL, in->text,
			     "relay number %s is not in the directory", in->relay) > 0
			 ? 0
			 : -1;
	} else if (g.kind == GRAMMAR_STOP || g.kind == GRAMMAR_START) {
		rc = command(&w, &g);
	} else if (!w.sender) {
		rc = unknown_sender(&w);
	} else if (g.kind != GRAMMAR_MESSAGE) {
		rc = command(&w, &g);
	} else if (dir_is_staff_side(w.sender)) {
		rc = staff_message(&w, &g);
	} else {
		rc = family_message(&w, &g);
	}
	if (rc < 0 || store_commit(r->store) < 0)
		goto fail;
	dispatch_ids(r, w.queued, w.n_queued, in->at);
	talloc_free(w.tmp);
	return w.message_id;
fail:
	store_rollback(r->store);
	talloc_free(w.tmp);
	/* The directory's state bits may have moved ahead of the records: reload them. */
	router_load(r);
	return -1;
}

/* ---- Over time ---- */

static void release_due(const struct rec_held *h, void *data)
{
	struct send_ctx *sc = data;

	rec_hold_decide(sc->r->store, h->verdict_id, sc->now, true, "quiet-hours",
			"released at the end of quiet hours");
}

unsigned router_poll(struct router *r, int64_t now)
{
	struct send_ctx sc = {r, now, 0};

	if (!r->dir || store_directory_version(r->store) != r->dir_version)
		router_load(r);
	rec_held_due(r->store, now, release_due, &sc);
	rec_deliveries_in_status(r->store, "queued", 0, dispatch_row, &sc);
	rec_deliveries_in_status(r->store, "waiting", 0, dispatch_row, &sc);
	r->last_poll = now;
	return sc.sent;
}

void router_part_sent(struct router *r, int64_t delivery_id, const char *modem, unsigned part,
		      bool ok, int mr, int cms_error)
{
	char detail[64];

	if (ok) {
		rec_delivery_event(r->store, delivery_id, store_now_ms(), "sent", modem, (int)part,
				   mr, NULL);
		return;
	}
	snprintf(detail, sizeof(detail), "+CMS ERROR: %d", cms_error);
	rec_delivery_event(r->store, delivery_id, store_now_ms(), "failed", modem, (int)part, -1,
			   detail);
	r->stats.failed++;
}

void router_part_status(struct router *r, int64_t delivery_id, const char *modem, unsigned part,
			uint8_t st)
{
	char detail[32];
	bool ok = st < 0x20; /* TS 23.040 §9.2.3.15: 0x00-0x1F completed */

	if (st >= 0x20 && st < 0x40)
		return; /* temporary: the SMSC is still trying */
	snprintf(detail, sizeof(detail), "TP-ST 0x%02x", st);
	rec_delivery_event(r->store, delivery_id, store_now_ms(), ok ? "delivered" : "failed",
			   modem, (int)part, -1, detail);
}

/* ---- Oversight digest ---- */

struct digest_ctx {
	struct router *r;
	char *text;
	unsigned n;
};

static void digest_item(const struct rec_digest_item *it, void *data)
{
	struct digest_ctx *dc = data;
	const struct dir_person *p = dir_person_by_id(dc->r->dir, it->sender_id);
	char when[32];

	store_format_time(when, sizeof(when), it->at);
	dc->text = talloc_asprintf_append(dc->text, "\n%.16s %s (%s): %s", when,
					  p ? p->display : "?", it->action, it->body);
	dc->n++;
}

unsigned router_send_digests(struct router *r, int64_t now)
{
	unsigned sent = 0;
	int64_t queued[256];
	unsigned nq = 0;

	if (!r->dir && router_load(r) < 0)
		return 0;
	for (unsigned i = 0; i < r->dir->n_persons; i++) {
		struct dir_person *a = r->dir->persons[i];
		int64_t last;
		if (a->role != DIR_ADMIN || !a->phone)
			continue;
		last = rec_last_digest(r->store, a->id);
		if (last && now - last < 20 * 3600 * 1000LL)
			continue;
		for (unsigned t = 0; t < r->dir->n_teams; t++) {
			struct dir_team *team = r->dir->teams[t];
			struct digest_ctx dc = {r, NULL, 0};
			struct rec_delivery d = {0};
			bool oversees = false;
			int64_t id;
			for (unsigned k = 0; k < team->n_overseers; k++)
				oversees |= team->overseers[k] == a;
			if (!oversees || !team->relay ||
			    (a->opted_out & (1u << team->relay->index)))
				continue;
			dc.text = talloc_asprintf(r, "%s relay: daily digest of %s staff messages:",
						  r->cfg.district, team->name);
			rec_digest_items(r->store, team->id, last ? last : now - 24 * 3600 * 1000LL,
					 now, digest_item, &dc);
			if (!dc.n) {
				talloc_free(dc.text);
				continue;
			}
			d.at = now;
			d.relay = team->relay->number;
			d.recipient_id = a->id;
			d.recipient_number = a->phone;
			d.why = "digest";
			d.body = dc.text;
			d.status = "queued";
			id = rec_delivery_add(r->store, &d);
			talloc_free(dc.text);
			if (id > 0 && nq < 256)
				queued[nq++] = id;
			sent++;
		}
	}
	dispatch_ids(r, queued, nq, now);
	return sent;
}
