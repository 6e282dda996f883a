/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Calls in the archive (records_calls.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <talloc.h>

#include "storage/recordings/recording.h"

#include "storage/records/records_calls.h"

static bool one_of(const char *s, const char *const *words)
{
	for (; s && *words; words++)
		if (!strcmp(s, *words))
			return true;
	return false;
}

static bool is_sha256(const char *h)
{
	return h && strlen(h) == 64 && strspn(h, "0123456789abcdef") == 64;
}

/* Bind, step once, reset: the new row's id, or -1. */
static int64_t step_insert(struct store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_set_error(s, "%s", sqlite3_errmsg(store_db(s)));
		return -1;
	}
	return sqlite3_last_insert_rowid(store_db(s));
}

int64_t rec_call_add(struct store *s, const struct rec_call *c)
{
	sqlite3_stmt *st;

	if (!c || !c->relay || !c->initiator_number || !c->rules || !c->reason ||
	    (c->notice_sha256 && !is_sha256(c->notice_sha256)))
		return -EINVAL;
	st = store_stmt(s, "INSERT INTO calls(at, relay, initiator_id, initiator_number, callee_id,"
			   " team_id, direction, action, rules, reason, flagged, exception_id,"
			   " notice_sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
			   " ?12, ?13)");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, c->at);
	store_bind_text(st, 2, c->relay);
	store_bind_id(st, 3, c->initiator_id);
	store_bind_text(st, 4, c->initiator_number);
	store_bind_id(st, 5, c->callee_id);
	store_bind_id(st, 6, c->team_id);
	store_bind_text(st, 7, c->incoming ? "in" : "out");
	store_bind_text(st, 8, c->connect ? "connect" : "refuse");
	store_bind_text(st, 9, c->rules);
	store_bind_text(st, 10, c->reason);
	sqlite3_bind_int(st, 11, c->flagged);
	store_bind_id(st, 12, c->exception_id);
	store_bind_text(st, 13, c->notice_sha256);
	return step_insert(s, st);
}

int64_t rec_call_leg_add(struct store *s, int64_t call_id, int64_t at, int64_t person_id,
			 const char *number, const char *role, const char *modem, unsigned channel)
{
	static const char *const roles[] = {"caller", "callee", "guardian", "overseer", NULL};
	sqlite3_stmt *st;

	if (call_id <= 0 || !number || !*number || !modem || !one_of(role, roles) || channel < 1 ||
	    channel > 7)
		return -EINVAL;
	st = store_stmt(s, "INSERT INTO call_legs(call_id, at, person_id, number, role, modem,"
			   " channel) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, call_id);
	sqlite3_bind_int64(st, 2, at);
	store_bind_id(st, 3, person_id);
	store_bind_text(st, 4, number);
	store_bind_text(st, 5, role);
	store_bind_text(st, 6, modem);
	sqlite3_bind_int(st, 7, (int)channel);
	return step_insert(s, st);
}

int64_t rec_call_event(struct store *s, int64_t call_id, int64_t leg_id, int64_t at,
		       const char *kind, const char *detail)
{
	static const char *const kinds[] = {"dial",	 "alert", "answer", "notice", "bridged",
					    "unbridged", "left",  "dtmf",   "menu",   "prompt",
					    "fault",	 "end",	  NULL};
	sqlite3_stmt *st;

	if (call_id <= 0 || leg_id < 0 || !one_of(kind, kinds) || (!strcmp(kind, "end") && leg_id))
		return -EINVAL;
	st = store_stmt(s, "INSERT INTO call_events(call_id, leg_id, at, kind, detail)"
			   " VALUES (?1, ?2, ?3, ?4, ?5)");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, call_id);
	store_bind_id(st, 2, leg_id);
	sqlite3_bind_int64(st, 3, at);
	store_bind_text(st, 4, kind);
	store_bind_text(st, 5, detail);
	return step_insert(s, st);
}

int64_t rec_call_recording_add(struct store *s, int64_t call_id, const struct rec_call_recording *r)
{
	static const char *const formats[] = {"flac", "opus", "wav", NULL};
	sqlite3_stmt *st;

	if (call_id <= 0 || !r || !is_sha256(r->sha256) || !one_of(r->format, formats) ||
	    r->bytes < 0 || r->duration_ms < 0 || r->channels < 1 || r->channels > 8)
		return -EINVAL;
	st = store_stmt(s, "INSERT INTO call_recordings(call_id, at, sha256, format, bytes,"
			   " duration_ms, channels, recovered) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
			   " ?8)");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, call_id);
	sqlite3_bind_int64(st, 2, r->at);
	store_bind_text(st, 3, r->sha256);
	store_bind_text(st, 4, r->format);
	sqlite3_bind_int64(st, 5, r->bytes);
	sqlite3_bind_int64(st, 6, r->duration_ms);
	sqlite3_bind_int(st, 7, (int)r->channels);
	sqlite3_bind_int(st, 8, r->recovered);
	return step_insert(s, st);
}

int rec_calls_unended(struct store *s, void (*cb)(int64_t call_id, void *data), void *data)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT c.id FROM calls c WHERE EXISTS (SELECT 1 FROM"
					 " call_legs l WHERE l.call_id = c.id) AND NOT EXISTS"
					 " (SELECT 1 FROM call_events e WHERE e.call_id = c.id AND"
					 " e.kind = 'end') ORDER BY c.id");
	int64_t *ids = NULL;
	size_t n = 0;
	int rc;

	if (!st)
		return -1;
	/* Read them all first: the callback records their ends. */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t *more = realloc(ids, (n + 1) * sizeof(*ids));

		if (!more) {
			rc = SQLITE_NOMEM;
			break;
		}
		ids = more;
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		for (size_t i = 0; i < n; i++)
			cb(ids[i], data);
	free(ids);
	return rc == SQLITE_DONE ? 0 : -1;
}

int rec_call_unknown_answered_since(struct store *s, const char *relay, const char *number,
				    int64_t since)
{
	sqlite3_stmt *st =
	    store_stmt(s, "SELECT 1 FROM calls c JOIN call_events e ON"
			  " e.call_id = c.id AND e.kind = 'answer' WHERE c.relay = ?1"
			  " AND c.initiator_number = ?2 AND c.initiator_id IS NULL"
			  " AND c.at >= ?3 LIMIT 1");
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, relay);
	store_bind_text(st, 2, number);
	sqlite3_bind_int64(st, 3, since);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

char *rec_call_recordings_dir(void *ctx, const char *db_path)
{
	const char *slash = db_path ? strrchr(db_path, '/') : NULL;

	if (!slash)
		return talloc_strdup(ctx, "recordings");
	return talloc_asprintf(ctx, "%.*s/recordings", (int)(slash - db_path), db_path);
}

long rec_call_recordings_verify(struct store *s, const char *dir,
				void (*cb)(int64_t call_id, const char *path, int err, void *data),
				void *data)
{
	/* A recording disposed of (its tombstone) has no file any more. */
	sqlite3_stmt *st = store_stmt(s, "SELECT r.call_id, r.sha256, r.format FROM"
					 " call_recordings r WHERE length(r.sha256) = 64 AND NOT"
					 " EXISTS (SELECT 1 FROM tombstones x WHERE x.class ="
					 " 'call-recording' AND x.ref_id = r.id) ORDER BY r.id");
	long n = 0;
	int rc;

	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *sha = (const char *)sqlite3_column_text(st, 1);
		const char *fmt = (const char *)sqlite3_column_text(st, 2);
		char path[RECORDING_PATH_MAX];
		int err;

		snprintf(path, sizeof(path), "%s/%s.%s", dir, sha, fmt);
		err = recording_verify(path, sha);
		n++;
		if (err)
			cb(sqlite3_column_int64(st, 0), path, err, data);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? n : -1;
}
