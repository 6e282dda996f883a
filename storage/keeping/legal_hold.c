/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Legal holds: adding, releasing, listing, and what a hold covers (legal_hold.h). */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <talloc.h>

#include "storage/archive/access_log.h"
#include "storage/keeping/legal_hold.h"

/* ---- What a hold covers, as SQL over the hold `h` ----
 *
 * Written once here and used by the marking for disposal and by the counts of
 * `hold list`, so that what the officer is shown as held is what disposal keeps. */

#define ACTIVE_HOLDS                                                                               \
	" (SELECT * FROM legal_holds WHERE id NOT IN (SELECT hold_id FROM legal_hold_releases)) h"

#define COVERS_TIME(at)                                                                            \
	"((h.since IS NULL OR " at " >= h.since) AND (h.until IS NULL OR " at " < h.until))"

/* The message row aliased m: sent or received by the hold's person... */
#define COVERS_PERSON(m)                                                                           \
	"(h.person_id IS NULL OR " m ".sender_id = h.person_id OR EXISTS (SELECT 1"                \
	" FROM deliveries hd WHERE hd.message_id = " m ".id AND hd.recipient_id = h.person_id))"

/* ...for the hold's team, or from or to one of its members... */
#define COVERS_TEAM(m)                                                                             \
	"(h.team_id IS NULL"                                                                       \
	" OR EXISTS (SELECT 1 FROM verdicts hv WHERE hv.message_id = " m ".id"                     \
	" AND hv.team_id = h.team_id)"                                                             \
	" OR EXISTS (SELECT 1 FROM team_members ht WHERE ht.team_id = h.team_id"                   \
	" AND ht.person_id = " m ".sender_id)"                                                     \
	" OR EXISTS (SELECT 1 FROM deliveries hd JOIN team_members ht"                             \
	" ON ht.person_id = hd.recipient_id WHERE hd.message_id = " m ".id"                        \
	" AND ht.team_id = h.team_id))"

/* ...within its dates. */
#define COVERS_MESSAGE(m)                                                                          \
	"(" COVERS_PERSON(m) " AND " COVERS_TEAM(m) " AND " COVERS_TIME(m ".at") ")"

#define MARK "INSERT INTO temp.held(class, ref_id, hold_id) "

static const char mark_messages[] =
    MARK "SELECT 'message', m.id, h.id FROM messages m JOIN" ACTIVE_HOLDS
	 " ON " COVERS_MESSAGE("m") " WHERE m.at < ?1";

/* A PDU goes with the message it is part of (a duplicate, with its original's); one that
 * is part of none (status reports, undecodable) cannot be attributed: dates only. */
static const char mark_rx_pdus[] =
    MARK "SELECT 'rx-pdu', p.id, h.id FROM rx_pdus p JOIN" ACTIVE_HOLDS " ON"
	 " (EXISTS (SELECT 1 FROM message_parts mp JOIN messages m ON m.id = mp.message_id"
	 " WHERE mp.rx_pdu_id IN (p.id, p.duplicate_of) AND " COVERS_MESSAGE(
	     "m") ")"
		  " OR (NOT EXISTS (SELECT 1 FROM message_parts mp"
		  " WHERE mp.rx_pdu_id IN (p.id, p.duplicate_of)) AND " COVERS_TIME(
		      "p.at") "))"
			      " WHERE p.at < ?1";

static const char mark_questions[] =
    MARK "SELECT 'question', q.id, h.id FROM questions q JOIN messages m ON m.id = q.message_id"
	 " JOIN" ACTIVE_HOLDS " ON " COVERS_MESSAGE("m") " WHERE q.at < ?1";

static const char mark_unknown_senders[] =
    MARK "SELECT 'unknown-sender', u.id, h.id FROM unknown_senders u"
	 " LEFT JOIN messages m ON m.id = u.message_id JOIN" ACTIVE_HOLDS " ON"
	 " ((m.id IS NOT NULL AND " COVERS_MESSAGE("m") ")"
							" OR (m.id IS NULL AND " COVERS_TIME(
							    "u.at") "))"
								    " WHERE u.at < ?1";

static const char mark_deliveries[] = MARK
    "SELECT 'delivery', d.id, h.id FROM deliveries d"
    " LEFT JOIN messages m ON m.id = d.message_id JOIN" ACTIVE_HOLDS " ON"
    " ((m.id IS NOT NULL AND " COVERS_MESSAGE(
	"m") ")"
	     " OR (m.id IS NULL AND " COVERS_TIME(
		 "d.at") " AND (h.person_id IS NULL OR d.recipient_id = h.person_id)"
			 " AND (h.team_id IS NULL"
			 " OR EXISTS (SELECT 1 FROM verdicts hv WHERE hv.id = d.verdict_id"
			 " AND hv.team_id = h.team_id)"
			 " OR EXISTS (SELECT 1 FROM team_members ht WHERE ht.team_id = h.team_id"
			 " AND ht.person_id = d.recipient_id))))"
			 " WHERE d.at < ?1";

static const char mark_verdicts[] = MARK
    "SELECT 'verdict', v.id, h.id FROM verdicts v"
    " LEFT JOIN messages m ON m.id = v.message_id JOIN" ACTIVE_HOLDS " ON"
    " ((m.id IS NOT NULL AND " COVERS_MESSAGE(
	"m") ")"
	     " OR (m.id IS NULL AND " COVERS_TIME(
		 "v.at") " AND (h.person_id IS NULL OR v.sender_id = h.person_id"
			 " OR EXISTS (SELECT 1 FROM deliveries hd WHERE hd.verdict_id = v.id"
			 " AND hd.recipient_id = h.person_id))"
			 " AND (h.team_id IS NULL OR v.team_id = h.team_id"
			 " OR EXISTS (SELECT 1 FROM team_members ht WHERE ht.team_id = h.team_id"
			 " AND (ht.person_id = v.sender_id OR ht.person_id IN"
			 " (SELECT hd.recipient_id FROM deliveries hd WHERE hd.verdict_id = "
			 "v.id))))))"
			 " WHERE v.at < ?1";

/* A call, aliased c: the hold's person asked for it, was called or dialled into it; the
 * hold's team is the call's or one of those persons is on it; within the dates. */
#define COVERS_CALL(c)                                                                             \
	"((h.person_id IS NULL OR h.person_id IN (" c ".initiator_id, " c ".callee_id)"            \
	" OR EXISTS (SELECT 1 FROM call_legs hl WHERE hl.call_id = " c ".id"                       \
	" AND hl.person_id = h.person_id))"                                                        \
	" AND (h.team_id IS NULL OR " c ".team_id = h.team_id"                                     \
	" OR EXISTS (SELECT 1 FROM team_members ht WHERE ht.team_id = h.team_id"                   \
	" AND (ht.person_id IN (" c ".initiator_id, " c ".callee_id) OR ht.person_id IN"           \
	" (SELECT hl.person_id FROM call_legs hl WHERE hl.call_id = " c ".id))))"                  \
	" AND " COVERS_TIME(c ".at") ")"

static const char mark_calls[] = MARK "SELECT 'call', c.id, h.id FROM calls c JOIN" ACTIVE_HOLDS
				      " ON " COVERS_CALL("c") " WHERE c.at < ?1";

#define MARK_CALL_PART(table, cls)                                                                 \
	MARK "SELECT '" cls "', t.id, h.id FROM " table " t JOIN calls c ON c.id = t.call_id"      \
	     " JOIN" ACTIVE_HOLDS " ON " COVERS_CALL("c") " WHERE c.at < ?1"

static const char mark_call_legs[] = MARK_CALL_PART("call_legs", "call-leg");
static const char mark_call_events[] = MARK_CALL_PART("call_events", "call-event");
static const char mark_call_recordings[] = MARK_CALL_PART("call_recordings", "call-recording");

static const char count_messages[] =
    "SELECT count(*) FROM messages m, legal_holds h WHERE h.id = ?1 AND " COVERS_MESSAGE(
	"m") " AND NOT EXISTS (SELECT 1 FROM tombstones x WHERE x.class = 'message'"
	     " AND x.ref_id = m.id)";

static int mark_one(struct store *s, const char *sql, int64_t cutoff)
{
	sqlite3_stmt *st;
	int rc;

	if (!cutoff)
		return 0;
	st = store_stmt(s, sql);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, cutoff);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int legal_hold_mark(struct store *s, const struct legal_hold_cutoffs *c)
{
	if (store_exec(s, "CREATE TEMP TABLE IF NOT EXISTS held (class TEXT NOT NULL,"
			  " ref_id INTEGER NOT NULL, hold_id INTEGER NOT NULL);"
			  "CREATE INDEX IF NOT EXISTS temp.held_ref ON held(class, ref_id);"
			  "DELETE FROM temp.held;") < 0)
		return -1;
	if (mark_one(s, mark_messages, c->messages) < 0 ||
	    mark_one(s, mark_rx_pdus, c->messages) < 0 ||
	    mark_one(s, mark_questions, c->messages) < 0 ||
	    mark_one(s, mark_unknown_senders, c->messages) < 0 ||
	    mark_one(s, mark_deliveries, c->deliveries) < 0 ||
	    mark_one(s, mark_verdicts, c->verdicts) < 0 || mark_one(s, mark_calls, c->calls) < 0 ||
	    mark_one(s, mark_call_legs, c->calls) < 0 ||
	    mark_one(s, mark_call_events, c->calls) < 0 ||
	    mark_one(s, mark_call_recordings, c->calls) < 0)
		return -1;
	return 0;
}

static int64_t covered_messages(struct store *s, int64_t hold_id)
{
	sqlite3_stmt *st = store_stmt(s, count_messages);
	int64_t n = -1;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, hold_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

/* ---- Adding and releasing ---- */

static bool blank(const char *s)
{
	if (!s)
		return true;
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* 1 and the id when a hold of that name exists, 0 when not, -1 on error. */
static int hold_by_name(struct store *s, const char *name, int64_t *id)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT id FROM legal_holds WHERE name = ?1");
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static void add_id(json_object *o, const char *key, int64_t v)
{
	if (v)
		json_object_object_add(o, key, json_object_new_int64(v));
}

static char *spec_json(void *ctx, const struct legal_hold_spec *h)
{
	json_object *o = json_object_new_object();
	char *r;

	if (!o)
		return NULL;
	json_object_object_add(o, "name", json_object_new_string(h->name));
	add_id(o, "person_id", h->person_id);
	add_id(o, "team_id", h->team_id);
	add_id(o, "since", h->since);
	add_id(o, "until", h->until);
	r = talloc_strdup(ctx, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return r;
}

int64_t legal_hold_add(struct store *s, const struct legal_hold_spec *h, char *err, size_t errlen)
{
	void *tmp;
	sqlite3_stmt *st;
	int64_t id, existing, covered;
	struct access_entry a = {0};
	int rc;

	if (blank(h->name)) {
		snprintf(err, errlen, "a hold needs a name");
		return -1;
	}
	if (all_digits(h->name)) {
		snprintf(err, errlen, "a hold's name cannot be a number (numbers are hold ids)");
		return -1;
	}
	if (blank(h->reason)) {
		snprintf(err, errlen, "a hold needs a reason (--reason)");
		return -1;
	}
	if (!h->person_id && !h->team_id && !h->since && !h->until) {
		snprintf(err, errlen,
			 "a hold must name a person, a team or dates (it would hold everything)");
		return -1;
	}
	if (h->since && h->until && h->since >= h->until) {
		snprintf(err, errlen,
			 "the hold's start (--since) must be before its end (--until)");
		return -1;
	}
	if (store_begin(s) < 0)
		goto db_fail;
	rc = hold_by_name(s, h->name, &existing);
	if (rc < 0)
		goto db_fail_tx;
	if (rc > 0) {
		store_rollback(s);
		snprintf(err, errlen, "there is already a hold named '%s' (id %" PRId64 ")",
			 h->name, existing);
		return -1;
	}
	st = store_stmt(s,
			"INSERT INTO legal_holds(at, name, reason, person_id, team_id, since,"
			" until, created_by, os_user) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
	if (!st)
		goto db_fail_tx;
	sqlite3_bind_int64(st, 1, store_now_ms());
	store_bind_text(st, 2, h->name);
	store_bind_text(st, 3, h->reason);
	store_bind_id(st, 4, h->person_id);
	store_bind_id(st, 5, h->team_id);
	if (h->since)
		sqlite3_bind_int64(st, 6, h->since);
	if (h->until)
		sqlite3_bind_int64(st, 7, h->until);
	store_bind_text(st, 8, h->created_by ? h->created_by : access_os_user());
	store_bind_text(st, 9, h->os_user ? h->os_user : access_os_user());
	if (sqlite3_step(st) != SQLITE_DONE)
		goto db_fail_tx;
	id = sqlite3_last_insert_rowid(store_db(s));
	covered = covered_messages(s, id);
	if (covered < 0)
		goto db_fail_tx;
	tmp = talloc_new(NULL);
	a.operator= h->created_by;
	a.os_user = h->os_user;
	a.action = "hold-add";
	a.query_json = spec_json(tmp, h);
	a.results = covered;
	a.detail = talloc_asprintf(tmp, "hold %" PRId64 " '%s': %s", id, h->name, h->reason);
	rc = access_log_add(s, &a) < 0 ? -1 : 0;
	talloc_free(tmp);
	if (rc < 0 || store_commit(s) < 0)
		goto db_fail_tx;
	return id;
db_fail_tx:
	snprintf(err, errlen, "database: %s", store_errmsg(s));
	store_rollback(s);
	return -1;
db_fail:
	snprintf(err, errlen, "database: %s", store_errmsg(s));
	return -1;
}

int64_t legal_hold_release(struct store *s, const char *name_or_id, const char *released_by,
			   const char *os_user, const char *note, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t id = 0;
	int rc;
	char name[256] = "";
	struct access_entry a = {0};
	void *tmp;

	if (blank(name_or_id)) {
		snprintf(err, errlen, "which hold? give its name or id");
		return -1;
	}
	if (store_begin(s) < 0)
		goto db_fail;
	rc = hold_by_name(s, name_or_id, &id);
	if (rc < 0)
		goto db_fail_tx;
	if (rc == 0 && all_digits(name_or_id))
		id = strtoll(name_or_id, NULL, 10);
	st = store_stmt(s, "SELECT h.name, r.at FROM legal_holds h"
			   " LEFT JOIN legal_hold_releases r ON r.hold_id = h.id WHERE h.id = ?1");
	if (!st)
		goto db_fail_tx;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(name, sizeof(name), "%s", (const char *)sqlite3_column_text(st, 0));
		if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
			char at[32];
			store_format_time(at, sizeof(at), sqlite3_column_int64(st, 1));
			sqlite3_reset(st);
			store_rollback(s);
			snprintf(err, errlen, "hold '%s' was already released (%s)", name, at);
			return -1;
		}
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE) {
		store_rollback(s);
		snprintf(err, errlen, "no hold named '%s' (see 'chaperone records hold list')",
			 name_or_id);
		return -1;
	}
	if (rc != SQLITE_ROW)
		goto db_fail_tx;
	st = store_stmt(s, "INSERT INTO legal_hold_releases(hold_id, at, released_by, os_user,"
			   " note) VALUES (?1, ?2, ?3, ?4, ?5)");
	if (!st)
		goto db_fail_tx;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, store_now_ms());
	store_bind_text(st, 3, released_by ? released_by : access_os_user());
	store_bind_text(st, 4, os_user ? os_user : access_os_user());
	store_bind_text(st, 5, note && *note ? note : NULL);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto db_fail_tx;
	tmp = talloc_new(NULL);
	a.operator= released_by;
	a.os_user = os_user;
	a.action = "hold-release";
	a.results = -1;
	a.query_json = talloc_asprintf(tmp, "{\"hold_id\":%" PRId64 "}", id);
	a.detail = talloc_asprintf(tmp, "hold %" PRId64 " '%s' released%s%s", id, name,
				   note && *note ? ": " : "", note && *note ? note : "");
	rc = access_log_add(s, &a) < 0 ? -1 : 0;
	talloc_free(tmp);
	if (rc < 0 || store_commit(s) < 0)
		goto db_fail_tx;
	return id;
db_fail_tx:
	snprintf(err, errlen, "database: %s", store_errmsg(s));
	store_rollback(s);
	return -1;
db_fail:
	snprintf(err, errlen, "database: %s", store_errmsg(s));
	return -1;
}

/* ---- Listing ---- */

static const char *col_str(void *ctx, sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? talloc_strdup(ctx, (const char *)t) : NULL;
}

int legal_hold_list(struct store *s, void *ctx, bool all, struct legal_hold **out, size_t *n)
{
	sqlite3_stmt *st;
	struct legal_hold *v = NULL;
	size_t cnt = 0;
	int rc;

	*out = NULL;
	*n = 0;
	/* Its own statement: the counts below use the statement cache. */
	if (sqlite3_prepare_v2(store_db(s),
			       "SELECT h.id, h.at, h.name, h.reason, h.created_by, h.os_user,"
			       " h.person_id, h.team_id, h.since, h.until, p.handle,"
			       " p.given || ' ' || p.family, t.tag, t.name, r.at, r.released_by,"
			       " r.note FROM legal_holds h"
			       " LEFT JOIN persons p ON p.id = h.person_id"
			       " LEFT JOIN teams t ON t.id = h.team_id"
			       " LEFT JOIN legal_hold_releases r ON r.hold_id = h.id"
			       " WHERE ?1 OR r.id IS NULL ORDER BY h.id",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int(st, 1, all);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct legal_hold *h;
		v = talloc_realloc(ctx, v, struct legal_hold, cnt + 1);
		if (!v) {
			sqlite3_finalize(st);
			return -1;
		}
		h = &v[cnt++];
		memset(h, 0, sizeof(*h));
		h->id = sqlite3_column_int64(st, 0);
		h->at = sqlite3_column_int64(st, 1);
		h->name = col_str(v, st, 2);
		h->reason = col_str(v, st, 3);
		h->created_by = col_str(v, st, 4);
		h->os_user = col_str(v, st, 5);
		h->person_id = sqlite3_column_int64(st, 6);
		h->team_id = sqlite3_column_int64(st, 7);
		h->since = sqlite3_column_int64(st, 8);
		h->until = sqlite3_column_int64(st, 9);
		h->person_handle = col_str(v, st, 10);
		h->person_name = col_str(v, st, 11);
		h->team_tag = col_str(v, st, 12);
		h->team_name = col_str(v, st, 13);
		h->released = sqlite3_column_type(st, 14) != SQLITE_NULL;
		h->released_at = sqlite3_column_int64(st, 14);
		h->released_by = col_str(v, st, 15);
		h->release_note = col_str(v, st, 16);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		talloc_free(v);
		return -1;
	}
	for (size_t i = 0; i < cnt; i++) {
		if (v[i].released)
			continue;
		v[i].messages = covered_messages(s, v[i].id);
		if (v[i].messages < 0) {
			talloc_free(v);
			return -1;
		}
	}
	*out = v;
	*n = cnt;
	return 0;
}
