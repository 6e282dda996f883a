/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The exceptions in the directory's store (a staff member allowed to text a student
 * directly, for a reason, until a date): listed (those in force, or all), read by id,
 * added and revoked — each change logged. */
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include <talloc.h>

#include "storage/directory/directory_store_internal.h"

#define EXC_COLS                                                                                   \
	"id, staff_id, student_id, kind, reason, approved_by, created_at, expires_at, "            \
	"revoked_at, revoked_by"

/* One row. -1 (the store's error says why) when its kind is a word this version does not
 * know: an exception is never widened or narrowed by a guess. */
static int read_exception(struct store *s, void *ctx, sqlite3_stmt *st, struct store_exception *e)
{
	memset(e, 0, sizeof(*e));
	e->id = sqlite3_column_int64(st, 0);
	e->staff_id = sqlite3_column_int64(st, 1);
	e->student_id = sqlite3_column_int64(st, 2);
	if (dstore_exception_kind_from_word((const char *)sqlite3_column_text(st, 3), &e->kind) <
	    0) {
		const char *kind = (const char *)sqlite3_column_text(st, 3);
		store_set_error(s, "exception %" PRId64 ": kind '%s' is not one this version knows",
				e->id, kind ? kind : "");
		return -1;
	}
	e->reason = col_text(ctx, st, 4);
	e->approved_by = sqlite3_column_int64(st, 5);
	e->created_at = sqlite3_column_int64(st, 6);
	e->expires_at = sqlite3_column_int64(st, 7);
	e->revoked_at = sqlite3_column_int64(st, 8);
	e->revoked_by = sqlite3_column_int64(st, 9);
	return 0;
}

int store_exceptions_list(struct store *s, void *ctx, bool all, int64_t now_ms,
			  struct store_exception **out, size_t *n)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT " EXC_COLS " FROM exceptions WHERE ?1 OR "
					 "(revoked_at IS NULL AND expires_at > ?2) ORDER BY id");
	int rc;

	*out = NULL;
	*n = 0;
	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, all ? 1 : 0);
	sqlite3_bind_int64(st, 2, now_ms);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_exception *e = APPEND(ctx, out, *n, struct store_exception);
		if (!e)
			break;
		if (read_exception(s, *out, st, e) < 0) {
			sqlite3_reset(st);
			return -1;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_exception_by_id(struct store *s, void *ctx, int64_t id, struct store_exception *out)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT " EXC_COLS " FROM exceptions WHERE id = ?1");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && read_exception(s, ctx, st, out) < 0)
		rc = SQLITE_ERROR;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int store_exception_add(struct store *s, const char *actor, struct store_exception *e)
{
	sqlite3_stmt *st;
	void *tmp;
	char expires[32];
	int rc;

	if (begin(s) < 0)
		return -1;
	e->created_at = store_now_ms();
	st =
	    store_stmt(s, "INSERT INTO exceptions(staff_id, student_id, kind, reason, approved_by, "
			  "created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	if (!st)
		return finish(s, -1);
	sqlite3_bind_int64(st, 1, e->staff_id);
	sqlite3_bind_int64(st, 2, e->student_id);
	store_bind_text(st, 3, store_exception_kind_word(e->kind));
	store_bind_text(st, 4, e->reason);
	sqlite3_bind_int64(st, 5, e->approved_by);
	sqlite3_bind_int64(st, 6, e->created_at);
	sqlite3_bind_int64(st, 7, e->expires_at);
	if (step_done(st) < 0)
		return finish(s, -1);
	e->id = sqlite3_last_insert_rowid(store_db(s));
	tmp = talloc_new(NULL);
	store_format_time(expires, sizeof(expires), e->expires_at);
	rc = store_directory_change(
	    s, actor, "exception.add", talloc_asprintf(tmp, "exception:%" PRId64, e->id),
	    talloc_asprintf(tmp, "%s: staff %s, student %s, approved by %s, expires %s: %s",
			    store_exception_kind_word(e->kind),
			    dstore_person_name(s, tmp, e->staff_id),
			    dstore_person_name(s, tmp, e->student_id),
			    dstore_person_name(s, tmp, e->approved_by), expires, e->reason));
	talloc_free(tmp);
	return finish(s, rc);
}

int store_exception_revoke(struct store *s, const char *actor, int64_t id, int64_t by_id)
{
	sqlite3_stmt *st;
	void *tmp;
	int rc;

	if (begin(s) < 0)
		return -1;
	st = store_stmt(s, "UPDATE exceptions SET revoked_at = ?2, revoked_by = ?3 "
			   "WHERE id = ?1 AND revoked_at IS NULL");
	if (!st)
		return finish(s, -1);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, store_now_ms());
	sqlite3_bind_int64(st, 3, by_id);
	if (step_done(st) < 0)
		return finish(s, -1);
	if (sqlite3_changes(store_db(s)) == 0)
		return finish(s, 0);
	tmp = talloc_new(NULL);
	rc = store_directory_change(
	    s, actor, "exception.revoke", talloc_asprintf(tmp, "exception:%" PRId64, id),
	    talloc_asprintf(tmp, "revoked by %s", dstore_person_name(s, tmp, by_id)));
	talloc_free(tmp);
	rc = finish(s, rc);
	return rc < 0 ? -1 : 1;
}
