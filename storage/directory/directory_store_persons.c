/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The persons in the directory's store: read by id, handle, roster source id or phone,
 * listed, added and updated — each change logged with what it changed. */
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include <talloc.h>

#include "storage/directory/directory_store_internal.h"

#define PERSON_COLS                                                                                \
	"id, source_id, origin, role, title, given, family, handle, phone, active, "               \
	"inactive_reason, created_at, updated_at"

/* One row. -1 (the store's error says why) when its role or title is a word this version
 * does not know: never guessed, a person read as someone else could be texted as them. */
static int read_person(struct store *s, void *ctx, sqlite3_stmt *st, struct store_person *p)
{
	const char *role = (const char *)sqlite3_column_text(st, 3);
	const char *title = (const char *)sqlite3_column_text(st, 4);
	const char *why = (const char *)sqlite3_column_text(st, 10);

	memset(p, 0, sizeof(*p));
	p->id = sqlite3_column_int64(st, 0);
	p->source_id = col_text(ctx, st, 1);
	p->origin = col_text(ctx, st, 2);
	if (store_role_from_word(role, &p->role) < 0 ||
	    store_title_from_word(title, &p->title) < 0) {
		store_set_error(
		    s, "person %" PRId64 ": role '%s' or title '%s' is not one this version knows",
		    p->id, role ? role : "", title ? title : "");
		return -1;
	}
	p->given = col_text(ctx, st, 5);
	p->family = col_text(ctx, st, 6);
	p->handle = col_text(ctx, st, 7);
	p->phone = col_text(ctx, st, 8);
	p->active = sqlite3_column_int(st, 9) != 0;
	p->manual_inactive = why && !strcmp(why, "manual");
	p->created_at = sqlite3_column_int64(st, 11);
	p->updated_at = sqlite3_column_int64(st, 12);
	return 0;
}

int store_persons_list(struct store *s, void *ctx, struct store_person **out, size_t *n)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT " PERSON_COLS " FROM persons ORDER BY id");
	int rc;

	*out = NULL;
	*n = 0;
	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_person *p = APPEND(ctx, out, *n, struct store_person);
		if (!p)
			break;
		if (read_person(s, *out, st, p) < 0) {
			sqlite3_reset(st);
			return -1;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int person_one(struct store *s, sqlite3_stmt *st, void *ctx, struct store_person *out)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW && read_person(s, ctx, st, out) < 0)
		rc = SQLITE_ERROR;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int store_person_by_id(struct store *s, void *ctx, int64_t id, struct store_person *out)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT " PERSON_COLS " FROM persons WHERE id = ?1");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return person_one(s, st, ctx, out);
}

int store_person_by_handle(struct store *s, void *ctx, const char *handle, struct store_person *out)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT " PERSON_COLS " FROM persons WHERE handle = ?1");

	if (!st)
		return -1;
	store_bind_text(st, 1, handle);
	return person_one(s, st, ctx, out);
}

int store_person_by_source(struct store *s, void *ctx, const char *source_id,
			   struct store_person *out)
{
	sqlite3_stmt *st =
	    store_stmt(s, "SELECT " PERSON_COLS " FROM persons WHERE source_id = ?1");

	if (!st)
		return -1;
	store_bind_text(st, 1, source_id);
	return person_one(s, st, ctx, out);
}

int store_person_by_phone(struct store *s, void *ctx, const char *phone, int64_t except_id,
			  struct store_person *out)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT " PERSON_COLS " FROM persons WHERE phone = ?1 "
					 "AND active = 1 AND id != ?2 ORDER BY id LIMIT 1");

	if (!st)
		return -1;
	store_bind_text(st, 1, phone);
	sqlite3_bind_int64(st, 2, except_id);
	return person_one(s, st, ctx, out);
}

int store_handle_taken(struct store *s, const char *handle)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT 1 FROM persons WHERE handle = ?1");
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, handle);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int store_person_add(struct store *s, const char *actor, struct store_person *p)
{
	sqlite3_stmt *st;
	void *tmp;
	int rc;
	int64_t now = store_now_ms();

	if (begin(s) < 0)
		return -1;
	st = store_stmt(s, "INSERT INTO persons(source_id, origin, role, title, given, family, "
			   "handle, phone, active, inactive_reason, created_at, updated_at) "
			   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)");
	if (!st)
		return finish(s, -1);
	store_bind_text(st, 1, p->source_id);
	store_bind_text(st, 2, p->origin);
	store_bind_text(st, 3, store_role_word(p->role));
	store_bind_text(st, 4, store_title_word(p->title));
	store_bind_text(st, 5, p->given);
	store_bind_text(st, 6, p->family);
	store_bind_text(st, 7, p->handle);
	store_bind_text(st, 8, p->phone);
	sqlite3_bind_int(st, 9, p->active ? 1 : 0);
	store_bind_text(st, 10, dstore_inactive_word(p->active, p->manual_inactive));
	sqlite3_bind_int64(st, 11, now);
	if (step_done(st) < 0)
		return finish(s, -1);
	p->id = sqlite3_last_insert_rowid(store_db(s));
	p->created_at = p->updated_at = now;
	tmp = talloc_new(NULL);
	rc = store_directory_change(
	    s, actor, "person.add", talloc_asprintf(tmp, "person:%s", p->handle),
	    talloc_asprintf(tmp, "id %" PRId64 ", %s%s%s, %s %s, phone %s%s%s%s%s%s%s", p->id,
			    store_role_word(p->role), p->title ? " " : "",
			    p->title ? store_title_word(p->title) : "", p->given, p->family,
			    or_none(p->phone), p->source_id ? ", source " : "",
			    p->source_id ? p->source_id : "", p->origin ? " (" : "",
			    p->origin ? p->origin : "", p->origin ? ")" : "",
			    p->active ? "" : ", inactive"));
	talloc_free(tmp);
	return finish(s, rc);
}

int store_person_update(struct store *s, const char *actor, const struct store_person *old,
			const struct store_person *p)
{
	void *tmp = talloc_new(NULL);
	char *detail = talloc_strdup(tmp, "");
	bool active_changed =
	    old->active != p->active || old->manual_inactive != p->manual_inactive;
	const char *action;
	sqlite3_stmt *st;
	int rc;

	dstore_diff_field(&detail, "role", store_role_word(old->role), store_role_word(p->role));
	dstore_diff_field(&detail, "title", store_title_word(old->title),
			  store_title_word(p->title));
	dstore_diff_field(&detail, "given", old->given, p->given);
	dstore_diff_field(&detail, "family", old->family, p->family);
	dstore_diff_field(&detail, "handle", old->handle, p->handle);
	dstore_diff_field(&detail, "phone", old->phone, p->phone);
	dstore_diff_field(&detail, "source", old->source_id, p->source_id);
	dstore_diff_field(&detail, "origin", old->origin, p->origin);
	if (!*detail && !active_changed) {
		talloc_free(tmp);
		return 0;
	}
	if (!*detail)
		action = p->active ? "person.activate" : "person.deactivate";
	else
		action = "person.update";
	if (active_changed)
		detail =
		    talloc_asprintf_append(detail, "%sactive %s -> %s%s", *detail ? "; " : "",
					   old->active ? "yes" : "no", p->active ? "yes" : "no",
					   p->active		? ""
					   : p->manual_inactive ? " (by hand)"
								: " (gone from the roster)");

	if (begin(s) < 0) {
		talloc_free(tmp);
		return -1;
	}
	st = store_stmt(s, "UPDATE persons SET source_id = ?2, origin = ?3, role = ?4, title = ?5, "
			   "given = ?6, family = ?7, handle = ?8, phone = ?9, active = ?10, "
			   "inactive_reason = ?11, updated_at = ?12 WHERE id = ?1");
	if (!st) {
		talloc_free(tmp);
		return finish(s, -1);
	}
	sqlite3_bind_int64(st, 1, old->id);
	store_bind_text(st, 2, p->source_id);
	store_bind_text(st, 3, p->origin);
	store_bind_text(st, 4, store_role_word(p->role));
	store_bind_text(st, 5, store_title_word(p->title));
	store_bind_text(st, 6, p->given);
	store_bind_text(st, 7, p->family);
	store_bind_text(st, 8, p->handle);
	store_bind_text(st, 9, p->phone);
	sqlite3_bind_int(st, 10, p->active ? 1 : 0);
	store_bind_text(st, 11, dstore_inactive_word(p->active, p->manual_inactive));
	sqlite3_bind_int64(st, 12, store_now_ms());
	rc = step_done(st);
	if (rc == 0)
		rc = store_directory_change(s, actor, action,
					    talloc_asprintf(tmp, "person:%s", p->handle), detail);
	talloc_free(tmp);
	rc = finish(s, rc);
	return rc < 0 ? -1 : 1;
}
