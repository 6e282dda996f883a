/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The message records: SQL for what the router and `chaperone held` write and read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <talloc.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "storage/records/records.h"

#define TXT(st, i) ((const char *)sqlite3_column_text(st, i))

static int64_t insert_done(struct store *s, sqlite3_stmt *st)
{
	int rc;

	if (!st)
		return -1;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	return sqlite3_last_insert_rowid(store_db(s));
}

static int exec_done(sqlite3_stmt *st)
{
	int rc;

	if (!st)
		return -1;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* ---- Inbound ---- */

int64_t rec_rx_pdu_add(struct store *s, int64_t at, const char *modem, const char *relay,
		       bool status_report, const char *pdu_hex, int decode_error,
		       int64_t dup_window_ms, int64_t *dup_of)
{
	sqlite3_stmt *st;
	int64_t dup = 0;

	if (!status_report && dup_window_ms > 0) {
		st = store_stmt(s, "SELECT id FROM rx_pdus WHERE relay = ?1 AND pdu = ?2 AND"
				   " at >= ?3 AND duplicate_of IS NULL ORDER BY id DESC LIMIT 1");
		if (!st)
			return -1;
		store_bind_text(st, 1, relay);
		store_bind_text(st, 2, pdu_hex);
		sqlite3_bind_int64(st, 3, at - dup_window_ms);
		if (sqlite3_step(st) == SQLITE_ROW)
			dup = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	if (dup_of)
		*dup_of = dup;
	st = store_stmt(s, "INSERT INTO rx_pdus(at, modem, relay, kind, pdu, decode_error,"
			   " duplicate_of) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, at);
	store_bind_text(st, 2, modem);
	store_bind_text(st, 3, relay);
	store_bind_text(st, 4, status_report ? "status-report" : "sms");
	store_bind_text(st, 5, pdu_hex);
	sqlite3_bind_int(st, 6, decode_error);
	store_bind_id(st, 7, dup);
	return insert_done(s, st);
}

int rec_rx_pdus_unassembled(struct store *s,
			    void (*cb)(int64_t id, int64_t at, const char *modem, const char *relay,
				       const char *pdu_hex, void *data),
			    void *data)
{
	sqlite3_stmt *st;
	int rc;

	/* Not a cached statement: callbacks may write records while we iterate. */
	if (sqlite3_prepare_v2(store_db(s),
			       "SELECT p.id, p.at, p.modem, p.relay, p.pdu FROM rx_pdus p"
			       " WHERE p.kind = 'sms' AND p.duplicate_of IS NULL AND NOT EXISTS"
			       " (SELECT 1 FROM message_parts m WHERE m.rx_pdu_id = p.id)"
			       " ORDER BY p.id",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cb(sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), TXT(st, 2), TXT(st, 3),
		   TXT(st, 4), data);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int64_t rec_message_add(struct store *s, const struct rec_message *m)
{
	sqlite3_stmt *st;
	int64_t id;

	if (store_begin(s) < 0)
		return -1;
	st =
	    store_stmt(s, "INSERT INTO messages(at, relay, modem, sender_number, sender_id, text,"
			  " parts, complete, sent_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
	if (!st)
		goto fail;
	sqlite3_bind_int64(st, 1, m->at);
	store_bind_text(st, 2, m->relay);
	store_bind_text(st, 3, m->modem);
	store_bind_text(st, 4, m->sender_number);
	store_bind_id(st, 5, m->sender_id);
	store_bind_text(st, 6, m->text ? m->text : "");
	sqlite3_bind_int(st, 7, (int)m->parts);
	sqlite3_bind_int(st, 8, m->complete);
	if (m->sent_at)
		sqlite3_bind_int64(st, 9, m->sent_at);
	id = insert_done(s, st);
	if (id <= 0)
		goto fail;
	for (unsigned i = 0; i < m->n_rx_pdu_ids; i++) {
		if (!m->rx_pdu_ids[i])
			continue;
		st = store_stmt(s, "INSERT INTO message_parts(message_id, rx_pdu_id, part)"
				   " VALUES (?1, ?2, ?3)");
		if (!st)
			goto fail;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, m->rx_pdu_ids[i]);
		sqlite3_bind_int(st, 3, (int)i + 1);
		if (exec_done(st) < 0)
			goto fail;
	}
	if (store_commit(s) < 0)
		return -1;
	return id;
fail:
	store_rollback(s);
	return -1;
}

/* ---- Verdicts ---- */

int64_t rec_verdict_add(struct store *s, const struct rec_verdict *v)
{
	sqlite3_stmt *st = store_stmt(
	    s,
	    "INSERT INTO verdicts(at, message_id, relay, sender_id, team_id, kind, action, rules,"
	    " reason, flagged, digest, exception_id, release, hold_until, body) VALUES"
	    " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, v->at);
	store_bind_id(st, 2, v->message_id);
	store_bind_text(st, 3, v->relay);
	store_bind_id(st, 4, v->sender_id);
	store_bind_id(st, 5, v->team_id);
	/* NULL for a value no enum has: refused by the column, never stored as a guess. */
	store_bind_text(st, 6, get_value_string_or_null(rec_verdict_kind_names, v->kind));
	store_bind_text(st, 7, get_value_string_or_null(rec_action_names, v->action));
	store_bind_text(st, 8, v->rules ? v->rules : "");
	store_bind_text(st, 9, v->reason ? v->reason : "");
	sqlite3_bind_int(st, 10, v->flagged);
	sqlite3_bind_int(st, 11, v->digest);
	store_bind_id(st, 12, v->exception_id);
	store_bind_text(st, 13, v->release);
	if (v->hold_until)
		sqlite3_bind_int64(st, 14, v->hold_until);
	store_bind_text(st, 15, v->body);
	return insert_done(s, st);
}

/* ---- Deliveries ---- */

int64_t rec_delivery_add(struct store *s, const struct rec_delivery *d)
{
	sqlite3_stmt *st;
	int64_t id;

	if (store_begin(s) < 0)
		return -1;
	st = store_stmt(s, "INSERT INTO deliveries(at, verdict_id, message_id, relay, recipient_id,"
			   " recipient_number, why, body, notice) VALUES"
			   " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
	if (!st)
		goto fail;
	sqlite3_bind_int64(st, 1, d->at);
	store_bind_id(st, 2, d->verdict_id);
	store_bind_id(st, 3, d->message_id);
	store_bind_text(st, 4, d->relay);
	store_bind_id(st, 5, d->recipient_id);
	store_bind_text(st, 6, d->recipient_number);
	store_bind_text(st, 7, d->why);
	store_bind_text(st, 8, d->body);
	sqlite3_bind_int(st, 9, d->notice);
	id = insert_done(s, st);
	if (id <= 0)
		goto fail;
	if (rec_delivery_event(s, id, d->at, d->status, NULL, -1, -1, d->detail) < 0)
		goto fail;
	if (store_commit(s) < 0)
		return -1;
	return id;
fail:
	store_rollback(s);
	return -1;
}

const struct value_string rec_verdict_kind_names[] = {
    {REC_V_RELAY, "relay"},
    {REC_V_COMMAND, "command"},
    {REC_V_UNKNOWN_SENDER, "unknown-sender"},
    {REC_V_QUESTION, "question"},
    {REC_V_ANSWER, "answer"},
    {REC_V_SYSTEM, "system"},
    {0, NULL},
};

const struct value_string rec_action_names[] = {
    {REC_DELIVER, "deliver"}, {REC_HOLD, "hold"},     {REC_BLOCK, "block"},
    {REC_REPLY, "reply"},     {REC_IGNORE, "ignore"}, {0, NULL},
};

const struct value_string rec_status_names[] = {
    {REC_ST_QUEUED, "queued"},	 {REC_ST_HELD, "held"},		{REC_ST_SKIPPED, "skipped"},
    {REC_ST_WAITING, "waiting"}, {REC_ST_SENT, "sent"},		{REC_ST_DELIVERED, "delivered"},
    {REC_ST_FAILED, "failed"},	 {REC_ST_REJECTED, "rejected"}, {0, NULL},
};

/* The status a column holds; -1 (the store's error says which) for a word no enum has. */
static int status_of(struct store *s, const char *word, enum rec_status *out)
{
	int v = word ? get_string_value(rec_status_names, word) : -EINVAL;

	if (v < 0) {
		store_set_error(s, "delivery status '%s' is not one this version knows",
				word ? word : "");
		return -1;
	}
	*out = (enum rec_status)v;
	return 0;
}

int rec_delivery_event(struct store *s, int64_t delivery_id, int64_t at, enum rec_status status,
		       const char *modem, int part, int mr, const char *detail)
{
	const char *word = get_value_string_or_null(rec_status_names, status);

	sqlite3_stmt *st =
	    store_stmt(s, "INSERT INTO delivery_events(delivery_id, at, status,"
			  " modem, part, mr, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, delivery_id);
	sqlite3_bind_int64(st, 2, at);
	store_bind_text(st, 3, word); /* NULL for no status: refused by the column */
	store_bind_text(st, 4, modem);
	if (part >= 0)
		sqlite3_bind_int(st, 5, part);
	if (mr >= 0)
		sqlite3_bind_int(st, 6, mr);
	store_bind_text(st, 7, detail);
	return exec_done(st);
}

#define DELIVERY_COLS                                                                              \
	"d.id, d.verdict_id, d.recipient_id, d.relay, d.recipient_number, d.body, s.status,"       \
	" d.why, d.at, s.parts_sent, s.parts_delivered, d.notice, v.flagged,"                      \
	" v.rules LIKE '%whole-team%', v.team_id"
/* The verdict each delivery came from: how urgent it is, whether it is a team's. */
#define DELIVERY_FROM                                                                              \
	" FROM delivery_state s JOIN deliveries d ON d.id = s.delivery_id"                         \
	" LEFT JOIN verdicts v ON v.id = d.verdict_id"

static int delivery_row(struct store *s, sqlite3_stmt *st, struct rec_delivery_row *r)
{
	r->id = sqlite3_column_int64(st, 0);
	r->verdict_id = sqlite3_column_int64(st, 1);
	r->recipient_id = sqlite3_column_int64(st, 2);
	r->relay = TXT(st, 3);
	r->recipient_number = TXT(st, 4);
	r->body = TXT(st, 5);
	r->why = TXT(st, 7);
	r->at = sqlite3_column_int64(st, 8);
	r->parts_sent = (unsigned)sqlite3_column_int(st, 9);
	r->parts_delivered = (unsigned)sqlite3_column_int(st, 10);
	r->notice = sqlite3_column_int(st, 11);
	r->flagged = sqlite3_column_int(st, 12);
	r->team_message = sqlite3_column_int(st, 13);
	r->team_id = sqlite3_column_int64(st, 14);
	return status_of(s, TXT(st, 6), &r->status);
}

/* Iterations use their own statement so that callbacks may write records meanwhile. */
static int each_delivery(struct store *s, const char *sql, const char *text, int64_t num,
			 void (*cb)(const struct rec_delivery_row *row, void *data), void *data)
{
	sqlite3_stmt *st;
	struct rec_delivery_row r;
	int rc;

	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (text)
		store_bind_text(st, 1, text);
	sqlite3_bind_int64(st, text ? 2 : 1, num);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (delivery_row(s, st, &r) < 0) {
			sqlite3_finalize(st);
			return -1;
		}
		cb(&r, data);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int rec_deliveries_in_status(struct store *s, enum rec_status status, unsigned limit,
			     void (*cb)(const struct rec_delivery_row *row, void *data), void *data)
{
	const char *word = get_value_string_or_null(rec_status_names, status);

	if (!word)
		return -1;
	return each_delivery(
	    s, "SELECT " DELIVERY_COLS DELIVERY_FROM " WHERE s.status = ?1 ORDER BY d.id LIMIT ?2",
	    word, limit ? (int64_t)limit : -1, cb, data);
}

/* Copy the strings *str[0..n) point to (column text of a cached statement) into one
 * allocation and point them at the copies, so that the statement can be reset before a
 * callback that may use the store. Returns the allocation (free it), or NULL. */
static char *copy_texts(const char **const *str, unsigned n)
{
	size_t size = 1;
	char *buf, *p;

	for (unsigned i = 0; i < n; i++)
		size += *str[i] ? strlen(*str[i]) + 1 : 0;
	if (!(buf = p = malloc(size)))
		return NULL;
	for (unsigned i = 0; i < n; i++) {
		size_t len;

		if (!*str[i])
			continue;
		len = strlen(*str[i]) + 1;
		memcpy(p, *str[i], len);
		*str[i] = p;
		p += len;
	}
	return buf;
}

/* The router calls this once per delivery it dispatches (122 times for a team message with
 * guardians): a cached statement, since preparing it on every call was over half the cost
 * of routing such a message (docs/performance.md). The row's strings are copied and the
 * statement reset before the callback, which may write records or come back here. */
int rec_delivery_get(struct store *s, int64_t id,
		     void (*cb)(const struct rec_delivery_row *row, void *data), void *data)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT " DELIVERY_COLS DELIVERY_FROM " WHERE d.id = ?1");
	struct rec_delivery_row r;
	const char **const str[] = {&r.relay, &r.recipient_number, &r.body, &r.why};
	char *buf;
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? 0 : -1;
	}
	if (delivery_row(s, st, &r) < 0) {
		sqlite3_reset(st);
		return -1;
	}
	buf = copy_texts(str, ARRAY_SIZE(str));
	sqlite3_reset(st);
	if (!buf)
		return -1;
	cb(&r, data);
	free(buf);
	return 0;
}

int rec_delivery_counts(struct store *s, void (*cb)(enum rec_status status, int64_t n, void *data),
			void *data)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(store_db(s),
			       "SELECT status, count(*) FROM delivery_state GROUP BY status"
			       " ORDER BY status",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		enum rec_status status;
		if (status_of(s, TXT(st, 0), &status) < 0) {
			sqlite3_finalize(st);
			return -1;
		}
		cb(status, sqlite3_column_int64(st, 1), data);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* ---- Holds ---- */

/* Holds an administrator decides: not the questions the relay asked a sender ("who is this
 * for?"), which are answered or discarded by the sender and would otherwise stay listed
 * as held after the message went out. */
#define HELD_SELECT                                                                                \
	"SELECT v.id, v.message_id, v.sender_id, v.at, coalesce(v.hold_until, 0), v.relay,"        \
	" v.rules, v.reason, v.release, coalesce(v.body, ''), coalesce(m.sender_number, ''),"      \
	" (SELECT count(*) FROM deliveries d WHERE d.verdict_id = v.id)"                           \
	" FROM verdicts v LEFT JOIN messages m ON m.id = v.message_id"                             \
	" WHERE v.action = 'hold' AND v.kind <> 'question' AND NOT EXISTS"                         \
	" (SELECT 1 FROM hold_decisions h WHERE h.verdict_id = v.id)"

static int each_held(struct store *s, const char *sql, int64_t now,
		     void (*cb)(const struct rec_held *h, void *data), void *data)
{
	sqlite3_stmt *st;
	struct rec_held h;
	int rc;

	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (now)
		sqlite3_bind_int64(st, 1, now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		h.verdict_id = sqlite3_column_int64(st, 0);
		h.message_id = sqlite3_column_int64(st, 1);
		h.sender_id = sqlite3_column_int64(st, 2);
		h.at = sqlite3_column_int64(st, 3);
		h.hold_until = sqlite3_column_int64(st, 4);
		h.relay = TXT(st, 5);
		h.rules = TXT(st, 6);
		h.reason = TXT(st, 7);
		h.release = TXT(st, 8);
		h.body = TXT(st, 9);
		h.sender_number = TXT(st, 10);
		h.n_deliveries = (unsigned)sqlite3_column_int(st, 11);
		cb(&h, data);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int rec_held_list(struct store *s, void (*cb)(const struct rec_held *h, void *data), void *data)
{
	return each_held(s, HELD_SELECT " ORDER BY v.id", 0, cb, data);
}

int rec_held_due(struct store *s, int64_t now, void (*cb)(const struct rec_held *h, void *data),
		 void *data)
{
	return each_held(s,
			 HELD_SELECT " AND v.release = 'time' AND v.hold_until <= ?1 ORDER BY v.id",
			 now, cb, data);
}

int rec_hold_state(struct store *s, void *ctx, int64_t verdict_id, const char **by)
{
	sqlite3_stmt *st =
	    store_stmt(s, "SELECT coalesce(v.release, ''), h.decided_by FROM verdicts v"
			  " LEFT JOIN hold_decisions h ON h.verdict_id = v.id"
			  " WHERE v.id = ?1 AND v.action = 'hold' AND v.kind <> 'question'");
	int rc;

	*by = NULL;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, verdict_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *release = (const char *)sqlite3_column_text(st, 0);
		const char *who = (const char *)sqlite3_column_text(st, 1);

		if (who) {
			*by = talloc_strdup(ctx, who);
			rc = REC_HOLD_DECIDED;
		} else {
			rc = release && !strcmp(release, "time") ? REC_HOLD_FOR_TIME
								 : REC_HOLD_FOR_ADMIN;
		}
	} else {
		rc = rc == SQLITE_DONE ? REC_HOLD_NONE : -1;
	}
	sqlite3_reset(st);
	return rc;
}

int rec_hold_decide(struct store *s, int64_t verdict_id, int64_t at, bool release, const char *by,
		    const char *note)
{
	sqlite3_stmt *st, *q;
	int found = 0;
	int64_t *ids = NULL;
	size_t n_ids = 0;

	if (store_begin(s) < 0)
		return -1;
	/* A question the relay asked (kind 'question') waits for its sender's answer, not
	 * for an administrator: releasing one would send nothing, yet tell the sender it was
	 * sent. */
	st = store_stmt(s, "SELECT 1 FROM verdicts v WHERE v.id = ?1 AND v.action = 'hold' AND"
			   " v.kind <> 'question' AND NOT EXISTS"
			   " (SELECT 1 FROM hold_decisions h WHERE h.verdict_id = v.id)");
	if (!st)
		goto fail;
	sqlite3_bind_int64(st, 1, verdict_id);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	if (!found)
		goto fail;
	st = store_stmt(s, "INSERT INTO hold_decisions(verdict_id, at, decision, decided_by, note)"
			   " VALUES (?1, ?2, ?3, ?4, ?5)");
	if (!st)
		goto fail;
	sqlite3_bind_int64(st, 1, verdict_id);
	sqlite3_bind_int64(st, 2, at);
	store_bind_text(st, 3, release ? "released" : "rejected");
	store_bind_text(st, 4, by ? by : "unknown");
	store_bind_text(st, 5, note);
	if (exec_done(st) < 0)
		goto fail;
	/* Move the held deliveries on; the daemon picks queued ones up and sends them. The
	 * ids are collected first: inserting events changes the rows the query reads. */
	if (sqlite3_prepare_v2(store_db(s),
			       "SELECT d.id FROM deliveries d JOIN delivery_state s ON"
			       " s.delivery_id = d.id WHERE d.verdict_id = ?1 AND s.status = 'held'"
			       " ORDER BY d.id",
			       -1, &q, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(q, 1, verdict_id);
	while (sqlite3_step(q) == SQLITE_ROW) {
		int64_t *grown = realloc(ids, (n_ids + 1) * sizeof(*ids));
		if (!grown) {
			sqlite3_finalize(q);
			goto fail;
		}
		ids = grown;
		ids[n_ids++] = sqlite3_column_int64(q, 0);
	}
	sqlite3_finalize(q);
	for (size_t i = 0; i < n_ids; i++)
		if (rec_delivery_event(s, ids[i], at, release ? REC_ST_QUEUED : REC_ST_REJECTED,
				       NULL, -1, -1, note) < 0)
			goto fail;
	free(ids);
	ids = NULL;
	/* Released deliveries that carry the recording notice give it now. */
	if (release) {
		st =
		    store_stmt(s, "INSERT OR IGNORE INTO notices(at, relay, person_id, delivery_id)"
				  " SELECT ?2, relay, recipient_id, id FROM deliveries WHERE"
				  " verdict_id = ?1 AND notice = 1 AND recipient_id IS NOT NULL");
		if (!st)
			goto fail;
		sqlite3_bind_int64(st, 1, verdict_id);
		sqlite3_bind_int64(st, 2, at);
		if (exec_done(st) < 0)
			goto fail;
	}
	return store_commit(s);
fail:
	free(ids);
	store_rollback(s);
	return -1;
}

/* ---- Notices, opt-outs, unknown senders ---- */

int rec_notice_add(struct store *s, int64_t at, const char *relay, int64_t person_id,
		   int64_t delivery_id)
{
	sqlite3_stmt *st = store_stmt(s, "INSERT OR IGNORE INTO notices(at, relay, person_id,"
					 " delivery_id) VALUES (?1, ?2, ?3, ?4)");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, at);
	store_bind_text(st, 2, relay);
	sqlite3_bind_int64(st, 3, person_id);
	store_bind_id(st, 4, delivery_id);
	return exec_done(st);
}

int rec_notices_each(struct store *s, void (*cb)(const char *relay, int64_t person_id, void *data),
		     void *data)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(store_db(s), "SELECT relay, person_id FROM notices", -1, &st,
			       NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cb(TXT(st, 0), sqlite3_column_int64(st, 1), data);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int rec_optout_add(struct store *s, int64_t at, const char *relay, const char *number,
		   int64_t person_id, bool stop, int64_t message_id)
{
	sqlite3_stmt *st = store_stmt(s, "INSERT INTO optouts(at, relay, number, person_id, action,"
					 " message_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, at);
	store_bind_text(st, 2, relay);
	store_bind_text(st, 3, number);
	store_bind_id(st, 4, person_id);
	store_bind_text(st, 5, stop ? "stop" : "start");
	store_bind_id(st, 6, message_id);
	return exec_done(st);
}

int rec_optouts_each(struct store *s,
		     void (*cb)(const char *relay, const char *number, int64_t person_id,
				void *data),
		     void *data)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(
		store_db(s),
		"SELECT o.relay, o.number, coalesce(o.person_id, 0) FROM optouts o"
		" WHERE o.id = (SELECT max(id) FROM optouts p WHERE p.relay = o.relay"
		" AND p.number = o.number) AND o.action = 'stop'",
		-1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cb(TXT(st, 0), TXT(st, 1), sqlite3_column_int64(st, 2), data);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int rec_optout_active(struct store *s, const char *relay, const char *number)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT action FROM optouts WHERE relay = ?1 AND"
					 " number = ?2 ORDER BY id DESC LIMIT 1");
	int rc, stop = 0;

	if (!st)
		return -1;
	store_bind_text(st, 1, relay);
	store_bind_text(st, 2, number);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		stop = !strcmp(TXT(st, 0), "stop");
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? stop : -1;
}

int rec_unknown_sender_add(struct store *s, int64_t at, const char *relay, const char *number,
			   int64_t message_id, bool replied)
{
	sqlite3_stmt *st = store_stmt(s, "INSERT INTO unknown_senders(at, relay, number,"
					 " message_id, replied) VALUES (?1, ?2, ?3, ?4, ?5)");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, at);
	store_bind_text(st, 2, relay);
	store_bind_text(st, 3, number);
	store_bind_id(st, 4, message_id);
	sqlite3_bind_int(st, 5, replied);
	return exec_done(st);
}

int64_t rec_unknown_last_reply(struct store *s, const char *relay, const char *number)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT max(at) FROM unknown_senders WHERE relay = ?1 AND"
					 " number = ?2 AND replied = 1");
	int64_t at = 0;
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, relay);
	store_bind_text(st, 2, number);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		at = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? at : -1;
}

/* ---- Threads and questions ---- */

int rec_thread_add(struct store *s, int64_t at, const char *relay, int64_t person_id,
		   int64_t team_id, int64_t counterpart_id, int64_t message_id)
{
	sqlite3_stmt *st = store_stmt(s, "INSERT INTO threads(at, relay, person_id, team_id,"
					 " counterpart_id, message_id) VALUES"
					 " (?1, ?2, ?3, ?4, ?5, ?6)");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, at);
	store_bind_text(st, 2, relay);
	sqlite3_bind_int64(st, 3, person_id);
	store_bind_id(st, 4, team_id);
	store_bind_id(st, 5, counterpart_id);
	store_bind_id(st, 6, message_id);
	return exec_done(st);
}

int rec_thread_last(struct store *s, const char *relay, int64_t person_id, int64_t since,
		    int64_t *team_id, int64_t *counterpart_id)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT coalesce(team_id, 0), coalesce(counterpart_id, 0)"
					 " FROM threads WHERE person_id = ?1 AND relay = ?2 AND"
					 " at >= ?3 ORDER BY id DESC LIMIT 1");
	int rc = -1;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, person_id);
	store_bind_text(st, 2, relay);
	sqlite3_bind_int64(st, 3, since);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*team_id = sqlite3_column_int64(st, 0);
		*counterpart_id = sqlite3_column_int64(st, 1);
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

int rec_crisis_open(struct store *s, const char *relay, int64_t student_id, int64_t since,
		    int64_t *staff_id, int64_t *team_id)
{
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT coalesce(t.counterpart_id, 0), coalesce(t.team_id, 0), v.rules"
	       " FROM threads t JOIN verdicts v ON v.message_id = t.message_id"
	       " WHERE t.person_id = ?1 AND t.relay = ?2 AND t.at >= ?3 AND v.flagged = 1"
	       " AND v.action IN ('deliver', 'reply')"
	       " AND (v.rules = '" REC_RULE_CRISIS_CLOSE "'"
	       "  OR ',' || v.rules || ',' LIKE '%,crisis,%')"
	       " ORDER BY t.id DESC LIMIT 1");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, student_id);
	store_bind_text(st, 2, relay);
	sqlite3_bind_int64(st, 3, since);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *rules = (const char *)sqlite3_column_text(st, 2);

		*staff_id = sqlite3_column_int64(st, 0);
		*team_id = sqlite3_column_int64(st, 1);
		rc = rules && strcmp(rules, REC_RULE_CRISIS_CLOSE) && *staff_id ? 1 : 0;
	} else {
		rc = rc == SQLITE_DONE ? 0 : -1;
	}
	sqlite3_reset(st);
	return rc;
}

/* Students with a crisis message on a relay at or after since: the sender of a student's
 * crisis message, the addressed student of a staff member's. Flagged verdicts are few
 * (a partial index), so this never walks the threads. */
#define CRISIS_RULE_SQL "',' || v.rules || ',' LIKE '%,crisis,%'"
static const char crisis_students_sql[] =
    "SELECT v.relay, v.sender_id FROM verdicts v JOIN persons p ON p.id = v.sender_id"
    " WHERE v.flagged = 1 AND v.at >= ?1 AND p.role = 'student' AND " CRISIS_RULE_SQL
    " UNION SELECT v.relay, d.recipient_id FROM verdicts v"
    " JOIN deliveries d ON d.verdict_id = v.id JOIN persons p ON p.id = d.recipient_id"
    " WHERE v.flagged = 1 AND v.at >= ?1 AND d.why = 'addressed' AND p.role = 'student'"
    " AND " CRISIS_RULE_SQL;

/* One student's crisis rows on a relay, in order (threads_person): messages, closes,
 * acknowledgements. */
static const char crisis_rows_sql[] =
    "SELECT t.at, coalesce(t.counterpart_id, 0), coalesce(t.team_id, 0), t.message_id, v.id,"
    " v.rules FROM threads t JOIN verdicts v ON v.message_id = t.message_id"
    " WHERE t.person_id = ?1 AND t.relay = ?2 AND v.flagged = 1"
    " AND v.action IN ('deliver', 'reply')"
    " AND (v.rules IN ('" REC_RULE_CRISIS_CLOSE "', '" REC_RULE_CRISIS_ACK "') OR " CRISIS_RULE_SQL
    ") ORDER BY t.id";

static int crisis_walk(struct store *s, const char *relay, int64_t student, int64_t window_ms,
		       struct rec_crisis *c)
{
	sqlite3_stmt *st = store_stmt(s, crisis_rows_sql);
	bool open = false;
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, student);
	store_bind_text(st, 2, relay);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *rules = (const char *)sqlite3_column_text(st, 5);
		int64_t at = sqlite3_column_int64(st, 0);

		if (!rules)
			continue;
		if (!strcmp(rules, REC_RULE_CRISIS_CLOSE)) {
			open = false;
			continue;
		}
		if (!strcmp(rules, REC_RULE_CRISIS_ACK)) {
			if (open)
				c->acknowledged = true;
			continue;
		}
		if (open && at - c->last_at > window_ms)
			open = false; /* it ran out: this one opens another */
		if (!open) {
			open = true;
			c->staff_id = sqlite3_column_int64(st, 1);
			c->team_id = sqlite3_column_int64(st, 2);
			c->message_id = sqlite3_column_int64(st, 3);
			c->verdict_id = sqlite3_column_int64(st, 4);
			c->opened_at = at;
			c->acknowledged = false;
		}
		c->last_at = at;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	if (!open)
		return 0;
	st = store_stmt(s, "SELECT 1 FROM deliveries WHERE message_id = ?1 AND why = 'alert'"
			   " LIMIT 1");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, c->message_id);
	rc = sqlite3_step(st);
	c->alerted = rc == SQLITE_ROW;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 1 : -1;
}

int rec_crises_open(struct store *s, int64_t since, int64_t window_ms,
		    void (*cb)(const struct rec_crisis *c, void *data), void *data)
{
	sqlite3_stmt *st = store_stmt(s, crisis_students_sql);
	struct pair {
		char relay[32];
		int64_t student;
	} *pairs = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (!st)
		return -1;
	/* Collected first: the walk of each uses statements of its own. */
	sqlite3_bind_int64(st, 1, since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *relay = (const char *)sqlite3_column_text(st, 0);

		if (n == cap) {
			struct pair *p = realloc(pairs, (cap = cap ? 2 * cap : 8) * sizeof(*p));
			if (!p) {
				rc = SQLITE_NOMEM;
				break;
			}
			pairs = p;
		}
		snprintf(pairs[n].relay, sizeof(pairs[n].relay), "%s", relay ? relay : "");
		pairs[n++].student = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(pairs);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct rec_crisis c = {.relay = pairs[i].relay, .student_id = pairs[i].student};

		rc = crisis_walk(s, pairs[i].relay, pairs[i].student, window_ms, &c);
		if (rc < 0) {
			free(pairs);
			return -1;
		}
		if (rc && c.last_at >= since)
			cb(&c, data);
	}
	free(pairs);
	return 0;
}

int rec_crisis_alerted(struct store *s, int64_t verdict_id,
		       void (*cb)(int64_t person_id, const char *number, void *data), void *data)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT coalesce(min(recipient_id), 0), recipient_number"
					 " FROM deliveries WHERE verdict_id = ?1"
					 " AND why = 'crisis-alert' GROUP BY recipient_number"
					 " ORDER BY min(id)");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, verdict_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cb(sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1), data);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int rec_last_guardian_block(struct store *s, void *ctx, const char *relay, int64_t sender_id,
			    int64_t since, int64_t *verdict_id, int64_t *message_id,
			    int64_t *team_id, char **text)
{
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT v.id, v.message_id, coalesce(v.team_id, 0), m.text FROM verdicts v"
	       " JOIN messages m ON m.id = v.message_id"
	       " WHERE v.relay = ?1 AND v.sender_id = ?2 AND v.at >= ?3 AND v.kind = 'relay'"
	       " AND v.action = 'block' AND (v.rules = 'guardian-copy' OR v.rules LIKE"
	       " 'guardian-copy,%') ORDER BY v.id DESC LIMIT 1");
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, relay);
	sqlite3_bind_int64(st, 2, sender_id);
	sqlite3_bind_int64(st, 3, since);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*verdict_id = sqlite3_column_int64(st, 0);
		*message_id = sqlite3_column_int64(st, 1);
		*team_id = sqlite3_column_int64(st, 2);
		*text = talloc_strdup(ctx, (const char *)sqlite3_column_text(st, 3));
		rc = 1;
	} else {
		rc = rc == SQLITE_DONE ? 0 : -1;
	}
	sqlite3_reset(st);
	return rc;
}

int64_t rec_exception_request_add(struct store *s, const struct rec_exception_request *r)
{
	sqlite3_stmt *st = store_stmt(s, "INSERT INTO exception_requests(at, relay, staff_id,"
					 " student_id, team_id, message_id, blocked_verdict_id)"
					 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, r->at);
	store_bind_text(st, 2, r->relay);
	sqlite3_bind_int64(st, 3, r->staff_id);
	sqlite3_bind_int64(st, 4, r->student_id);
	store_bind_id(st, 5, r->team_id);
	store_bind_id(st, 6, r->message_id);
	store_bind_id(st, 7, r->blocked_verdict_id);
	if (exec_done(st) < 0)
		return -1;
	return sqlite3_last_insert_rowid(store_db(s));
}

int rec_exception_request_get(struct store *s, void *ctx, int64_t id,
			      struct rec_exception_request *out)
{
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT r.id, r.at, r.relay, r.staff_id, r.student_id, coalesce(r.team_id, 0),"
	       " coalesce(r.message_id, 0), coalesce(r.blocked_verdict_id, 0),"
	       " d.id IS NOT NULL, coalesce(d.decision = 'allowed', 0), coalesce(d.at, 0),"
	       " coalesce(d.decided_by, 0), coalesce(d.exception_id, 0)"
	       " FROM exception_requests r"
	       " LEFT JOIN exception_request_decisions d ON d.request_id = r.id WHERE r.id = ?1");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		out->id = sqlite3_column_int64(st, 0);
		out->at = sqlite3_column_int64(st, 1);
		out->relay = talloc_strdup(ctx, (const char *)sqlite3_column_text(st, 2));
		out->staff_id = sqlite3_column_int64(st, 3);
		out->student_id = sqlite3_column_int64(st, 4);
		out->team_id = sqlite3_column_int64(st, 5);
		out->message_id = sqlite3_column_int64(st, 6);
		out->blocked_verdict_id = sqlite3_column_int64(st, 7);
		out->decided = sqlite3_column_int(st, 8);
		out->allowed = sqlite3_column_int(st, 9);
		out->decided_at = sqlite3_column_int64(st, 10);
		out->decided_by = sqlite3_column_int64(st, 11);
		out->exception_id = sqlite3_column_int64(st, 12);
		rc = 1;
	} else {
		rc = rc == SQLITE_DONE ? 0 : -1;
	}
	sqlite3_reset(st);
	return rc;
}

int rec_exception_request_decide(struct store *s, int64_t id, int64_t at, bool allowed,
				 int64_t decided_by, int64_t exception_id, int64_t message_id)
{
	sqlite3_stmt *st = store_stmt(s, "INSERT INTO exception_request_decisions(request_id, at,"
					 " decision, decided_by, exception_id, message_id)"
					 " SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS"
					 " (SELECT 1 FROM exception_requests WHERE id = ?1)");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, at);
	store_bind_text(st, 3, allowed ? "allowed" : "denied");
	sqlite3_bind_int64(st, 4, decided_by);
	store_bind_id(st, 5, exception_id);
	store_bind_id(st, 6, message_id);
	if (exec_done(st) < 0 || sqlite3_changes(store_db(s)) != 1)
		return -1;
	return 0;
}

int64_t rec_question_add(struct store *s, const struct rec_question *q)
{
	sqlite3_stmt *st = store_stmt(s, "INSERT INTO questions(at, relay, person_id, message_id,"
					 " kind, body, urgent, crisis) VALUES"
					 " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, q->at);
	store_bind_text(st, 2, q->relay);
	sqlite3_bind_int64(st, 3, q->person_id);
	sqlite3_bind_int64(st, 4, q->message_id);
	store_bind_text(st, 5, q->kind);
	store_bind_text(st, 6, q->body ? q->body : "");
	sqlite3_bind_int(st, 7, q->urgent);
	sqlite3_bind_int(st, 8, q->crisis);
	return insert_done(s, st);
}

/* The router asks this for every message from someone in the directory: a cached
 * statement, since preparing it each time was a sixth of routing a message that fans out
 * to a few people (docs/performance.md). */
int rec_question_open(struct store *s, const char *relay, int64_t person_id, int64_t since,
		      void (*cb)(const struct rec_question *q, void *data), void *data)
{
	sqlite3_stmt *st =
	    store_stmt(s, "SELECT q.id, q.at, q.person_id, q.message_id, q.relay, q.kind, q.body,"
			  " q.urgent, q.crisis FROM questions q WHERE q.person_id = ?1 AND"
			  " q.relay = ?2 AND q.at >= ?3 AND NOT EXISTS (SELECT 1 FROM"
			  " question_answers a WHERE a.question_id = q.id)"
			  " ORDER BY q.id DESC LIMIT 1");
	struct rec_question q;
	const char **const str[] = {&q.relay, &q.kind, &q.body};
	char *buf;
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, person_id);
	store_bind_text(st, 2, relay);
	sqlite3_bind_int64(st, 3, since);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return -1; /* none open, or an error: either way no question to answer */
	}
	q.id = sqlite3_column_int64(st, 0);
	q.at = sqlite3_column_int64(st, 1);
	q.person_id = sqlite3_column_int64(st, 2);
	q.message_id = sqlite3_column_int64(st, 3);
	q.relay = TXT(st, 4);
	q.kind = TXT(st, 5);
	q.body = TXT(st, 6);
	q.urgent = sqlite3_column_int(st, 7);
	q.crisis = sqlite3_column_int(st, 8);
	buf = copy_texts(str, ARRAY_SIZE(str));
	sqlite3_reset(st);
	if (!buf)
		return -1;
	cb(&q, data);
	free(buf);
	return 0;
}

int rec_question_close(struct store *s, int64_t question_id, int64_t at, const char *outcome,
		       int64_t message_id)
{
	sqlite3_stmt *st = store_stmt(s, "INSERT OR IGNORE INTO question_answers(question_id, at,"
					 " outcome, message_id) VALUES (?1, ?2, ?3, ?4)");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, question_id);
	sqlite3_bind_int64(st, 2, at);
	store_bind_text(st, 3, outcome);
	store_bind_id(st, 4, message_id);
	return exec_done(st);
}

/* ---- Oversight digest ---- */

int rec_digest_items(struct store *s, int64_t team_id, int64_t from, int64_t to,
		     void (*cb)(const struct rec_digest_item *it, void *data), void *data)
{
	sqlite3_stmt *st;
	struct rec_digest_item it;
	int rc;

	if (sqlite3_prepare_v2(
		store_db(s),
		"SELECT id, at, coalesce(sender_id, 0), coalesce(team_id, 0), action,"
		" coalesce(body, ''), reason FROM verdicts WHERE digest = 1 AND"
		" team_id = ?1 AND at >= ?2 AND at < ?3 ORDER BY id",
		-1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, team_id);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		it.verdict_id = sqlite3_column_int64(st, 0);
		it.at = sqlite3_column_int64(st, 1);
		it.sender_id = sqlite3_column_int64(st, 2);
		it.team_id = sqlite3_column_int64(st, 3);
		it.action = TXT(st, 4);
		it.body = TXT(st, 5);
		it.reason = TXT(st, 6);
		cb(&it, data);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int64_t rec_last_digest(struct store *s, int64_t person_id)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT coalesce(max(at), 0) FROM deliveries WHERE"
					 " recipient_id = ?1 AND why = 'digest'");
	int64_t at = 0;

	if (!st)
		return 0;
	sqlite3_bind_int64(st, 1, person_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		at = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return at;
}

/* ---- Counts ---- */

static int64_t count_of(struct store *s, const char *sql)
{
	sqlite3_stmt *st = store_stmt(s, sql);
	int64_t n = 0;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	if (st)
		sqlite3_reset(st);
	return n;
}

int rec_counts(struct store *s, struct rec_counts *c)
{
	c->messages_in = count_of(s, "SELECT count(*) FROM messages");
	c->deliveries = count_of(s, "SELECT count(*) FROM deliveries");
	c->blocked = count_of(s, "SELECT count(*) FROM verdicts WHERE action = 'block'");
	c->held = count_of(s, "SELECT count(*) FROM verdicts WHERE action = 'hold'");
	c->unknown = count_of(s, "SELECT count(*) FROM unknown_senders");
	c->optouts = count_of(s, "SELECT count(*) FROM optouts WHERE action = 'stop'");
	return 0;
}
