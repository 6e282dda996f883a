/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The router: inbound message → sender, meaning, verdict → records → deliveries.
 * This file holds its life (allocation, configuration, loading the directory), the
 * handling of one inbound message in one transaction, the dispatch of what it recorded,
 * and the work over time (releases, restart recovery, the modem's reports). The steps
 * in between are in router_record.c, router_address.c, router_commands.c and
 * router_digest.c (router_internal.h). */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include <talloc.h>

#include "storage/directory/directory_store.h"
#include "storage/records/records_journal.h"
#include "gateway/relay/router_internal.h"

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
	cfg->crisis_window_s = 72 * 3600;
	cfg->question_window_s = 3600;
	cfg->unknown_reply_s = 24 * 3600;
	cfg->digest_hour = 17;
	cfg->max_parts = 255;
}

struct router *router_alloc(void *ctx, struct store *s, const struct router_config *cfg,
			    const struct router_transport *tp, void *tp_data)
{
	struct router *r = talloc_zero(ctx, struct router);

	r->store = s;
	hash_init(r->refs);
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
	struct directory *d = data;
	struct dir_relay *rl = dir_relay_by_number(d, relay);
	struct dir_person *p = dir_person_by_phone(d, number);

	(void)person_id;
	if (rl && p)
		p->opted_out |= 1u << rl->index;
}

static void apply_notice(const char *relay, int64_t person_id, void *data)
{
	struct directory *d = data;
	struct dir_relay *rl = dir_relay_by_number(d, relay);
	struct dir_person *p = dir_person_by_id(d, person_id);

	if (rl && p)
		p->noticed |= 1u << rl->index;
}

int router_load(struct router *r)
{
	int64_t version = store_directory_version(r->store);
	struct directory *d = store_directory_load(r->store, r);

	/* The new directory is put in force only whole, opt-outs and notices applied: one
	 * without them would text people who replied STOP. On failure the one in force
	 * stays, marked stale, and the next poll tries again. */
	if (!d || rec_optouts_each(r->store, apply_optout, d) < 0 ||
	    rec_notices_each(r->store, apply_notice, d) < 0) {
		talloc_free(d);
		r->dir_version = -1;
		return -1;
	}
	talloc_free(r->dir);
	r->dir = d;
	r->dir_version = version;
	/* Loading built the directory next to the store's row lists and the old directory,
	 * all freed by now; malloc keeps those pages unless asked: 40 MiB of chaperoned's
	 * 105 MiB with 50,000 persons (docs/performance.md). */
	malloc_trim(0);
	return 0;
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
	struct router_send o = {row->id, row->relay, row->recipient_number,    row->body,
				-1,	 NULL,	     ROUTER_LANE_CONVERSATION, 0};
	struct rec_parts parts;
	const char *why = NULL;
	enum router_send_result res;

	if (id_set_has(&r->in_flight, row->id))
		return;
	/* A call's notice goes ahead of everything: the phone rings in a moment. */
	if (row->flagged ||
	    (row->why && (!strcmp(row->why, "alert") || !strcmp(row->why, "call-notice")))) {
		o.lane = ROUTER_LANE_URGENT;
	} else if (row->team_message || (row->why && !strcmp(row->why, "digest"))) {
		o.lane = ROUTER_LANE_BULK;
		o.group = row->team_id ? row->team_id : -row->verdict_id;
	}
	/* Parts of it may have gone before a restart: the rest go with the same reference. */
	if (rec_delivery_parts(r->store, row->id, &parts) < 0) {
		r->stats.store_errors++;
		return; /* the next poll tries again */
	}
	if (parts.parts) {
		if (parts.n_done >= parts.parts)
			return;
		o.ref = parts.ref;
		o.done = parts.n_done ? parts.done : NULL;
		r->stats.parts_resumed += parts.n_done ? 1 : 0;
	}
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
	/* The transport has it now: a status the archive refuses is counted, and the
	 * delivery stays "queued" in the records (in_flight keeps it from going twice). */
	if (res == ROUTER_SEND_WAITING && row->status != REC_ST_WAITING) {
		if (rec_delivery_event(r->store, row->id, sc->now, REC_ST_WAITING, NULL, -1, -1,
				       why ? why : "modem not ready") < 0)
			r->stats.store_errors++;
	} else if (res == ROUTER_SEND_FAILED) {
		if (rec_delivery_event(r->store, row->id, sc->now, REC_ST_FAILED, NULL, -1, -1,
				       why ? why : "cannot be sent") < 0)
			r->stats.store_errors++;
		r->stats.failed++;
	}
	if (res != ROUTER_SEND_FAILED) {
		r->stats.out++;
		sc->sent++;
	}
}

void router_dispatch_ids(struct router *r, const int64_t *ids, unsigned n, int64_t now)
{
	struct send_ctx sc = {r, now, 0};
	/* One transaction for the lot: outside one, every read takes and drops SQLite's
	 * read lock (a fifth of routing a team message), and every "waiting" or "failed"
	 * event is a commit of its own, one fsync per recipient while a modem is down. A
	 * transaction that wrote nothing commits without touching the disk. */
	bool txn = n > 1 && store_begin(r->store) == 0;

	for (unsigned i = 0; i < n; i++)
		rec_delivery_get(r->store, ids[i], dispatch_row, &sc);
	if (txn && store_commit(r->store) < 0) {
		store_rollback(r->store);
		r->stats.store_errors++;
	}
}

/* ---- One inbound message ---- */

int64_t router_inbound(struct router *r, const struct router_inbound *in)
{
	struct work w = {.r = r, .in = in};
	struct rec_message m = {0};
	struct grammar_parse g;
	struct grammar_decision decision;
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
	w.crisis = g.crisis;
	if (!w.relay) {
		/* A modem whose number the directory does not know: record, do nothing. */
		rc = router_verdict(&w, REC_V_SYSTEM, REC_IGNORE, "", NULL, in->text,
				    "relay number %s is not in the directory", in->relay) > 0
			 ? 0
			 : -1;
	} else if (g.kind == GRAMMAR_STOP || g.kind == GRAMMAR_START) {
		rc = router_command(&w, &g);
	} else if (!w.sender) {
		rc = router_unknown_sender(&w);
	} else if (w.sender->role == DIR_ADMIN &&
		   grammar_parse_decision(in->text, strlen(in->text), &decision) &&
		   (rc = router_is_decision(&w, &decision)) != 0) {
		rc = rc < 0 ? -1 : router_decision(&w, &decision);
	} else if (g.kind != GRAMMAR_MESSAGE) {
		rc = router_command(&w, &g);
	} else if (dir_writes_as_staff(w.sender, w.relay)) {
		rc = router_staff_message(&w, &g);
	} else {
		rc = router_family_message(&w, &g);
	}
	if (rc < 0 || store_commit(r->store) < 0)
		goto fail;
	router_dispatch_ids(r, w.queued, w.n_queued, in->at);
	if (w.call && r->tp.place_call)
		r->tp.place_call(w.call, r->tp_data);
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

	/* Not decided, its deliveries stay held (none goes out): the next poll tries again.
	 * Not counted as an archive error: an administrator may have decided it meanwhile. */
	if (rec_hold_decide(sc->r->store, h->verdict_id, sc->now, true, "quiet-hours",
			    "released at the end of quiet hours") < 0)
		return;
}

static void resume_one(int64_t delivery_id, void *data)
{
	struct send_ctx *sc = data;

	rec_delivery_get(sc->r->store, delivery_id, dispatch_row, sc);
}

unsigned router_poll(struct router *r, int64_t now)
{
	struct send_ctx sc = {r, now, 0};

	if (!r->dir || store_directory_version(r->store) != r->dir_version)
		router_load(r);
	rec_held_due(r->store, now, release_due, &sc);
	/* Once per process: deliveries a crash left part-way (their latest status is sent
	 * or delivered, so the polls below would not find them). */
	if (!r->resumed && rec_deliveries_incomplete(r->store, resume_one, &sc) == 0)
		r->resumed = true;
	rec_deliveries_in_status(r->store, REC_ST_QUEUED, 0, dispatch_row, &sc);
	rec_deliveries_in_status(r->store, REC_ST_WAITING, 0, dispatch_row, &sc);
	r->last_poll = now;
	return sc.sent;
}

void router_part_sent(struct router *r, int64_t delivery_id, const char *modem, unsigned part,
		      bool ok, int mr, int cms_error)
{
	char detail[64];

	if (ok) {
		if (rec_delivery_event(r->store, delivery_id, store_now_ms(), REC_ST_SENT, modem,
				       (int)part, mr, NULL) < 0)
			r->stats.store_errors++;
		return;
	}
	snprintf(detail, sizeof(detail), "+CMS ERROR: %d", cms_error);
	if (rec_delivery_event(r->store, delivery_id, store_now_ms(), REC_ST_FAILED, modem,
			       (int)part, -1, detail) < 0)
		r->stats.store_errors++;
	r->stats.failed++;
}

/* ---- The send journal ---- */

static uint32_t number_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

int router_concat_ref(struct router *r, const char *number)
{
	uint32_t key = number_hash(number);
	struct concat_ref *c;
	int last;

	hash_for_each_possible (r->refs, c, node, key)
		if (!strcmp(c->number, number))
			return c->ref = (c->ref + 1) & 0xffff;
	/* First long message to this number in this process: after the archive's newest. A
	 * reference the archive cannot tell is drawn at random, so that a phone is unlikely
	 * to hold parts with it. */
	last = rec_last_ref(r->store, number);
	if (last < 0)
		last = (int)(key & 0xffff);
	c = talloc_size(r, sizeof(*c) + strlen(number) + 1);
	if (!c)
		return (last + 1) & 0xffff;
	strcpy(c->number, number);
	c->ref = (last + 1) & 0xffff;
	hash_add(r->refs, &c->node, key);
	return c->ref;
}

int router_part_submit(struct router *r, int64_t delivery_id, const char *modem, unsigned part,
		       unsigned parts, int ref)
{
	bool resend = false;

	if (rec_part_submit(r->store, delivery_id, store_now_ms(), modem, part, parts, ref,
			    &resend) < 0) {
		r->stats.store_errors++;
		return -1;
	}
	if (resend)
		r->stats.parts_resent++;
	return resend ? 1 : 0;
}

void router_part_retry(struct router *r, int64_t delivery_id, const char *modem, unsigned part,
		       int cms_error)
{
	char detail[64];

	snprintf(detail, sizeof(detail), "+CMS ERROR: %d; trying again", cms_error);
	router_part_unsent(r, delivery_id, modem, part, detail);
}

void router_part_unsent(struct router *r, int64_t delivery_id, const char *modem, unsigned part,
			const char *why)
{
	if (rec_delivery_event(r->store, delivery_id, store_now_ms(), REC_ST_WAITING, modem,
			       (int)part, -1, why) < 0)
		r->stats.store_errors++;
}

/* How long the network may report on a submit: the validity period chaperoned asks for
 * (3 days), and a day for reports that wait in the SMSC. */
#define REPORT_WINDOW_MS (4LL * 24 * 3600 * 1000)

int router_status_report(struct router *r, int64_t rx_pdu_id, const char *modem, int mr,
			 const char *recipient, uint8_t st, int64_t now)
{
	struct rec_report_match m;
	char detail[48];
	bool temporary = st >= 0x20 && st < 0x40; /* TS 23.040 §9.2.3.15: still trying */
	bool ok = st < 0x20;			  /* completed */
	int rc = rec_report_match(r->store, modem, mr, recipient, now - REPORT_WINDOW_MS, &m);

	if (rc == -1)
		goto fail;
	if (rc == -ENOENT) {
		r->stats.reports_unmatched++;
		if (rec_report_add(r->store, now, rx_pdu_id, 0, 0, st, NULL) < 0)
			goto fail;
		return 0;
	}
	if (!strcmp(m.matched_by, "mr"))
		r->stats.reports_matched++;
	else
		r->stats.reports_unknown_fate++;
	if (rec_report_add(r->store, now, rx_pdu_id, m.delivery_id, m.part, st, m.matched_by) < 0)
		goto fail;
	/* A temporary status is followed by the final one; a second final one is a copy. */
	if (temporary || m.already_final)
		return 0;
	snprintf(detail, sizeof(detail), "status report: TP-ST 0x%02x", st);
	if (rec_delivery_event(r->store, m.delivery_id, now, ok ? REC_ST_DELIVERED : REC_ST_FAILED,
			       modem, (int)m.part, -1, detail) < 0)
		goto fail;
	return 0;
fail:
	r->stats.store_errors++;
	return -1;
}
