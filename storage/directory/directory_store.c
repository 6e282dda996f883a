/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The directory's store (directory_store.h): the words its role, title, kind and
 * inactive_reason columns hold, and the change log every change appends to — with how
 * a change names the persons, teams and subgroups it touches and the fields it
 * changed. The rows themselves are in directory_store_*.c (directory_store_internal.h
 * lists them). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <talloc.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "storage/directory/directory_store_internal.h"

/* --- Words stored in the database ------------------------------------------------------ */

static const char *const role_words[] = {
    [DIR_STUDENT] = "student",
    [DIR_GUARDIAN] = "guardian",
    [DIR_STAFF] = "staff",
    [DIR_ADMIN] = "administrator",
};

static const char *const title_words[] = {
    [DIR_T_NONE] = NULL,
    [DIR_T_TEACHER] = "teacher",
    [DIR_T_COACH] = "coach",
    [DIR_T_ADVISOR] = "advisor",
    [DIR_T_VOLUNTEER] = "volunteer",
    [DIR_T_ATHLETIC_DIRECTOR] = "athletic_director",
    [DIR_T_PRINCIPAL] = "principal",
    [DIR_T_COUNSELOR] = "counselor",
    [DIR_T_NURSE] = "nurse",
    [DIR_T_ASSISTANT_PRINCIPAL] = "assistant_principal",
};

static const char *const exception_words[] = {
    [DIR_EXC_FAMILY] = "family",
    [DIR_EXC_GUARDIAN_PERMISSION] = "guardian_permission",
    [DIR_EXC_SAFETY] = "safety",
    [DIR_EXC_CONTACT_SHARING] = "contact_sharing",
};

const char *store_role_word(enum dir_role r)
{
	return (unsigned)r < ARRAY_SIZE(role_words) ? role_words[r] : NULL;
}

int store_role_from_word(const char *s, enum dir_role *out)
{
	for (unsigned i = 0; s && i < ARRAY_SIZE(role_words); i++) {
		if (!strcmp(s, role_words[i])) {
			*out = (enum dir_role)i;
			return 0;
		}
	}
	return -1;
}

const char *store_title_word(enum dir_title t)
{
	return (unsigned)t < ARRAY_SIZE(title_words) ? title_words[t] : NULL;
}

int store_title_from_word(const char *s, enum dir_title *out)
{
	if (!s || !*s) {
		*out = DIR_T_NONE;
		return 0;
	}
	for (unsigned i = 1; i < ARRAY_SIZE(title_words); i++) {
		if (!strcmp(s, title_words[i])) {
			*out = (enum dir_title)i;
			return 0;
		}
	}
	return -1;
}

const char *store_exception_kind_word(enum dir_exception_kind k)
{
	return (unsigned)k < ARRAY_SIZE(exception_words) ? exception_words[k] : NULL;
}

int dstore_exception_kind_from_word(const char *s, enum dir_exception_kind *out)
{
	for (unsigned i = 0; s && i < ARRAY_SIZE(exception_words); i++) {
		if (!strcmp(s, exception_words[i])) {
			*out = (enum dir_exception_kind)i;
			return 0;
		}
	}
	return -1;
}

const char *dstore_inactive_word(bool active, bool manual)
{
	return active ? NULL : manual ? "manual" : "source";
}

/* --- The change log ------------------------------------------------------------------- */

int store_directory_change(struct store *s, const char *actor, const char *action,
			   const char *entity, const char *detail)
{
	sqlite3_stmt *st = store_stmt(s, "INSERT INTO directory_changes(at, actor, action, entity, "
					 "detail) VALUES (?1, ?2, ?3, ?4, ?5)");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, store_now_ms());
	store_bind_text(st, 2, actor && *actor ? actor : "unknown");
	store_bind_text(st, 3, action);
	store_bind_text(st, 4, entity);
	store_bind_text(st, 5, detail);
	return step_done(st);
}

int64_t store_directory_version(struct store *s)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT coalesce(max(id), 0) FROM directory_changes");
	int64_t v = -1;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	if (st)
		sqlite3_reset(st);
	return v;
}

int store_directory_changes(struct store *s, void *ctx, int64_t since_id, size_t limit,
			    struct store_change **out, size_t *n)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT id, at, actor, action, entity, detail FROM "
					 "directory_changes WHERE id > ?1 ORDER BY id LIMIT ?2");
	int rc;

	*out = NULL;
	*n = 0;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, since_id);
	sqlite3_bind_int64(st, 2, limit ? (int64_t)limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_change *c = APPEND(ctx, out, *n, struct store_change);
		if (!c)
			break;
		c->id = sqlite3_column_int64(st, 0);
		c->at = sqlite3_column_int64(st, 1);
		c->actor = col_text(*out, st, 2);
		c->action = col_text(*out, st, 3);
		c->entity = col_text(*out, st, 4);
		c->detail = col_text(*out, st, 5);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* --- Names of things, for the change log ---------------------------------------------- */

char *dstore_person_name(struct store *s, void *ctx, int64_t id)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT handle FROM persons WHERE id = ?1");
	char *r = NULL;

	if (st) {
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) == SQLITE_ROW)
			r = talloc_strdup(ctx, (const char *)sqlite3_column_text(st, 0));
		sqlite3_reset(st);
	}
	return r ? r : talloc_asprintf(ctx, "#%" PRId64, id);
}

char *dstore_team_name(struct store *s, void *ctx, int64_t id)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT tag FROM teams WHERE id = ?1");
	char *r = NULL;

	if (st) {
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) == SQLITE_ROW)
			r = talloc_strdup(ctx, (const char *)sqlite3_column_text(st, 0));
		sqlite3_reset(st);
	}
	return r ? r : talloc_asprintf(ctx, "#%" PRId64, id);
}

char *dstore_subgroup_name(struct store *s, void *ctx, int64_t id)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT t.tag || '.' || g.name FROM subgroups g "
					 "JOIN teams t ON t.id = g.team_id WHERE g.id = ?1");
	char *r = NULL;

	if (st) {
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) == SQLITE_ROW)
			r = talloc_strdup(ctx, (const char *)sqlite3_column_text(st, 0));
		sqlite3_reset(st);
	}
	return r ? r : talloc_asprintf(ctx, "#%" PRId64, id);
}

/* Append "what: old -> new" to a change's detail. */
void dstore_diff_field(char **detail, const char *what, const char *a, const char *b)
{
	if (str_eq(a, b))
		return;
	*detail = talloc_asprintf_append(*detail, "%s%s %s -> %s", **detail ? "; " : "", what,
					 or_none(a), or_none(b));
}
