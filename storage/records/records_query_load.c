/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Loading the messages the records officer's query matched: a batch of ids per
 * statement (json_each), their verdicts and deliveries by message id, persons and teams
 * from the run's directory cache; then each message finished (disposal, delivery order,
 * team, thread key). The words every record repeats are kept once per result. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "storage/records/records_query_internal.h"

int rq_prepare_loaders(struct run *r)
{
	/* A batch of ids at a time (rq_load()), each statement driven by the list. */
	r->st_msg = rq_prepare_tmp(r, "SELECT m.id, m.at, m.relay, m.sender_number, m.sender_id,"
				      " m.text FROM json_each(?1) j CROSS JOIN messages m"
				      " ON m.id = j.value");
	r->st_verdicts =
	    rq_prepare_tmp(r, "SELECT v.message_id, v.id, v.team_id, v.action, v.rules,"
			      " v.reason, v.flagged, h.decision, h.at, h.decided_by, h.note"
			      " FROM json_each(?1) j"
			      " CROSS JOIN verdicts v ON v.message_id = j.value"
			      " LEFT JOIN hold_decisions h ON h.verdict_id = v.id");
	r->st_dels =
	    rq_prepare_tmp(r, "SELECT d.message_id, d.id, d.at, d.recipient_id,"
			      " d.recipient_number, d.why, d.body, ds.status,"
			      " (SELECT min(e.at) FROM delivery_events e"
			      "  WHERE e.delivery_id = d.id AND e.status = 'sent'), d.notice"
			      " FROM json_each(?1) j CROSS JOIN deliveries d"
			      " ON d.message_id = j.value"
			      " LEFT JOIN delivery_state ds ON ds.delivery_id = d.id");
	return r->st_msg && r->st_verdicts && r->st_dels ? 0 : -1;
}

static void person_fill(struct rq_person *out, const struct pinfo *p, const char *number)
{
	out->number = number;
	if (p) {
		out->id = p->id;
		out->name = p->name;
		out->handle = p->handle;
		out->role = p->role;
	} else {
		/* A number not in the directory: named by itself, so no field is NULL. */
		out->id = 0;
		out->name = number;
		out->handle = "";
		out->role = "unknown";
	}
}

/* The few words that repeat in every record (why, status, action, relay, rules) are
 * kept once per result rather than once per delivery. */
static const char *intern(struct run *r, void *owner, const char *s)
{
	const size_t cap = ARRAY_SIZE(r->words);
	uint32_t h = 2166136261u;
	size_t len = 0, i;
	char *w;

	if (!s)
		return "";
	for (const unsigned char *c = (const unsigned char *)s; *c && len <= 64; c++, len++)
		h = (h ^ *c) * 16777619u;
	if (len > 64 || r->n_words >= cap / 2)
		return talloc_strdup(owner, s);
	for (i = h & (cap - 1); r->words[i]; i = (i + 1) & (cap - 1))
		if (!strcmp(r->words[i], s))
			return r->words[i];
	w = talloc_strdup(r->res, s);
	if (w) {
		r->words[i] = w;
		r->n_words++;
	}
	return w;
}

static bool is_tombstoned(struct run *r, const char *cls, int64_t id)
{
	sqlite3_stmt *st = store_stmt(r->s, "SELECT 1 FROM tombstones WHERE class = ?1"
					    " AND ref_id = ?2");
	bool yes;

	if (!st)
		return false;
	sqlite3_bind_text(st, 1, cls, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return yes;
}

/* The ids as a JSON array, for json_each(): one statement loads a whole batch. */
static char *json_ids(void *ctx, struct lmsg *const *L, size_t n)
{
	char *out = talloc_array(ctx, char, n * 21 + 3);
	size_t len = 0;

	if (!out)
		return NULL;
	out[len++] = '[';
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(out + len, "%s%" PRId64, i ? "," : "", L[i]->m.id);
	out[len++] = ']';
	out[len] = 0;
	return out;
}

static struct lmsg *batch_get(struct run *r, sqlite3_stmt *st)
{
	struct lmsg *L = rq_idmap_get(&r->loaded, sqlite3_column_int64(st, 0));

	if (!L)
		rq_fail(r, "database: a record changed during the query");
	return L;
}

static int batch_messages(struct run *r, sqlite3_stmt *st)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct lmsg *L = batch_get(r, st);
		struct rq_message *m;
		int64_t sender_id = sqlite3_column_int64(st, 4);
		if (!L)
			return -1;
		m = &L->m;
		m->at = sqlite3_column_int64(st, 1);
		m->relay = intern(r, L, TXT(st, 2));
		m->text = talloc_strdup(L, TXT(st, 5) ? TXT(st, 5) : "");
		person_fill(&m->from, NULL, talloc_strdup(L, TXT(st, 3)));
		if (sender_id) {
			struct pinfo *p = rq_dir_person(r, sender_id);
			if (!p)
				return -1;
			person_fill(&m->from, p,
				    !strcmp(m->from.number, p->phone) ? p->phone : m->from.number);
		}
		L->found = true;
	}
	if (rc != SQLITE_DONE) {
		rq_fail_db(r);
		return -1;
	}
	return 0;
}

/* The latest verdict speaks for the message; flagged and held if any verdict was. */
static int batch_verdicts(struct run *r, sqlite3_stmt *st)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct lmsg *L = batch_get(r, st);
		struct rq_message *m;
		int64_t vid = sqlite3_column_int64(st, 1);
		const char *action = TXT(st, 3);
		if (!L)
			return -1;
		m = &L->m;
		m->flagged |= sqlite3_column_int(st, 6) != 0;
		m->held |= action && !strcmp(action, "hold");
		if (TXT(st, 7)) {
			m->hold_decision = intern(r, L, TXT(st, 7));
			m->hold_at = sqlite3_column_int64(st, 8);
			m->hold_by = talloc_strdup(L, TXT(st, 9) ? TXT(st, 9) : "");
			m->hold_note = TXT(st, 10) ? talloc_strdup(L, TXT(st, 10)) : NULL;
		}
		if (vid < m->verdict_id)
			continue;
		m->verdict_id = vid;
		m->team_id = sqlite3_column_int64(st, 2);
		m->action = intern(r, L, action);
		m->rules = intern(r, L, TXT(st, 4));
		m->reason = talloc_strdup(L, TXT(st, 5) ? TXT(st, 5) : "");
	}
	if (rc != SQLITE_DONE) {
		rq_fail_db(r);
		return -1;
	}
	return 0;
}

static int batch_deliveries(struct run *r, sqlite3_stmt *st)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct lmsg *L = batch_get(r, st);
		struct rq_message *m;
		struct rq_delivery *d;
		int64_t to = sqlite3_column_int64(st, 3);
		struct pinfo *p = NULL;
		const char *num = TXT(st, 4), *body = TXT(st, 6);
		if (!L)
			return -1;
		m = &L->m;
		if (m->n_deliveries == L->cap) {
			L->cap = L->cap ? L->cap * 2 : 4;
			m->deliveries =
			    talloc_realloc(L, m->deliveries, struct rq_delivery, L->cap);
			if (!m->deliveries)
				return -1;
		}
		if (to && !(p = rq_dir_person(r, to)))
			return -1;
		d = &m->deliveries[m->n_deliveries++];
		memset(d, 0, sizeof(*d));
		d->id = sqlite3_column_int64(st, 1);
		d->at = sqlite3_column_int64(st, 2);
		/* A broadcast's copies share one body; a person's number is theirs. */
		if (!body)
			body = "";
		if (!strcmp(body, m->text))
			d->body = m->text;
		else if (d > m->deliveries && !strcmp(body, d[-1].body))
			d->body = d[-1].body;
		else
			d->body = talloc_strdup(L, body);
		person_fill(&d->to, p,
			    p && num && !strcmp(num, p->phone) ? p->phone : talloc_strdup(L, num));
		d->why = intern(r, L, TXT(st, 5));
		d->status = intern(r, L, TXT(st, 7));
		d->sent_at = sqlite3_column_int64(st, 8);
		d->notice = sqlite3_column_int(st, 9) != 0;
	}
	if (rc != SQLITE_DONE) {
		rq_fail_db(r);
		return -1;
	}
	return 0;
}

static int cmp_delivery(const void *a, const void *b)
{
	const struct rq_delivery *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* What a loaded message needs once its rows are in: disposal, team, order, thread. */
static int finish(struct run *r, struct lmsg *L)
{
	struct rq_message *m = &L->m;

	if (!L->found) {
		rq_fail(r, "database: message %" PRId64 " is missing", m->id);
		return -1;
	}
	for (size_t i = 1; i < m->n_deliveries; i++)
		if (m->deliveries[i - 1].id > m->deliveries[i].id) {
			qsort(m->deliveries, m->n_deliveries, sizeof(*m->deliveries), cmp_delivery);
			break;
		}
	m->disposed = r->tomb_messages && is_tombstoned(r, "message", m->id);
	if (m->disposed)
		m->text = "";
	for (size_t i = 0; i < m->n_deliveries; i++)
		if (m->disposed ||
		    (r->tomb_deliveries && is_tombstoned(r, "delivery", m->deliveries[i].id)))
			m->deliveries[i].body = "";
	if (m->team_id) {
		struct tinfo *t = rq_dir_team(r, m->team_id);
		if (!t)
			return -1;
		m->team_tag = t->tag;
		m->team_name = t->name;
	}
	m->thread_key = rq_thread_key(r, L);
	return m->thread_key ? 0 : -1;
}

#define BATCH 512

/* Load these messages (those not loaded yet), a batch per statement. */
int rq_load(struct run *r, const int64_t *ids, size_t n)
{
	struct lmsg **batch = talloc_array(r->tmp, struct lmsg *, BATCH);
	size_t i = 0;

	if (!batch)
		return -1;
	while (i < n) {
		size_t k = 0;
		char *json;
		for (; i < n && k < BATCH; i++) {
			struct lmsg *L;
			void **slot;
			if (rq_idmap_get(&r->loaded, ids[i]))
				continue;
			L = talloc_zero(r->res, struct lmsg);
			slot = rq_idmap_slot(r->tmp, &r->loaded, ids[i], true);
			if (!L || !slot)
				return -1;
			L->m.id = ids[i];
			L->m.action = L->m.rules = L->m.reason = "";
			L->m.team_tag = L->m.team_name = "";
			*slot = L;
			batch[k++] = L;
		}
		if (!k)
			break;
		json = json_ids(r->tmp, batch, k);
		if (!json)
			return -1;
		sqlite3_reset(r->st_msg);
		sqlite3_reset(r->st_verdicts);
		sqlite3_reset(r->st_dels);
		sqlite3_bind_text(r->st_msg, 1, json, -1, SQLITE_STATIC);
		sqlite3_bind_text(r->st_verdicts, 1, json, -1, SQLITE_STATIC);
		sqlite3_bind_text(r->st_dels, 1, json, -1, SQLITE_STATIC);
		if (batch_messages(r, r->st_msg) < 0 || batch_verdicts(r, r->st_verdicts) < 0 ||
		    batch_deliveries(r, r->st_dels) < 0)
			return -1;
		sqlite3_reset(r->st_msg);
		sqlite3_reset(r->st_verdicts);
		sqlite3_reset(r->st_dels);
		talloc_free(json);
		for (size_t j = 0; j < k; j++)
			if (finish(r, batch[j]) < 0)
				return -1;
	}
	talloc_free(batch);
	return 0;
}
