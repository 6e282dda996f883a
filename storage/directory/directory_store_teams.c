/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The teams in the directory's store and their subgroups: teams read by tag or id,
 * listed, added and updated; subgroups listed, found by name, added and removed (with
 * their memberships) — each change logged. */
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include <talloc.h>

#include "storage/directory/directory_store_internal.h"

/* --- Teams ----------------------------------------------------------------------------- */

#define TEAM_COLS                                                                                  \
	"t.id, t.source_id, t.origin, t.tag, t.name, t.kind, t.relay_id, r.number, t.active, "     \
	"t.inactive_reason, t.created_at, t.updated_at"
#define TEAM_FROM " FROM teams t LEFT JOIN relays r ON r.id = t.relay_id"

static void read_team(void *ctx, sqlite3_stmt *st, struct store_team *t)
{
	const char *why = (const char *)sqlite3_column_text(st, 9);

	memset(t, 0, sizeof(*t));
	t->id = sqlite3_column_int64(st, 0);
	t->source_id = col_text(ctx, st, 1);
	t->origin = col_text(ctx, st, 2);
	t->tag = col_text(ctx, st, 3);
	t->name = col_text(ctx, st, 4);
	t->kind = col_text(ctx, st, 5);
	t->relay_id = sqlite3_column_int64(st, 6);
	t->relay_number = col_text(ctx, st, 7);
	t->active = sqlite3_column_int(st, 8) != 0;
	t->manual_inactive = why && !strcmp(why, "manual");
	t->created_at = sqlite3_column_int64(st, 10);
	t->updated_at = sqlite3_column_int64(st, 11);
}

int store_teams_list(struct store *s, void *ctx, struct store_team **out, size_t *n)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT " TEAM_COLS TEAM_FROM " ORDER BY t.id");
	int rc;

	*out = NULL;
	*n = 0;
	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_team *t = APPEND(ctx, out, *n, struct store_team);
		if (!t)
			break;
		read_team(*out, st, t);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int team_one(sqlite3_stmt *st, void *ctx, struct store_team *out)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		read_team(ctx, st, out);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int store_team_by_tag(struct store *s, void *ctx, const char *tag, struct store_team *out)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT " TEAM_COLS TEAM_FROM " WHERE t.tag = ?1");

	if (!st)
		return -1;
	store_bind_text(st, 1, tag);
	return team_one(st, ctx, out);
}

int store_team_by_id(struct store *s, void *ctx, int64_t id, struct store_team *out)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT " TEAM_COLS TEAM_FROM " WHERE t.id = ?1");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return team_one(st, ctx, out);
}

int store_tag_taken(struct store *s, const char *tag)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT 1 FROM teams WHERE tag = ?1");
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, tag);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static char *relay_number(struct store *s, void *ctx, int64_t id)
{
	struct store_relay r;

	if (!id)
		return NULL;
	if (store_relay_by_id(s, ctx, id, &r) == 1)
		return (char *)r.number;
	return talloc_asprintf(ctx, "#%" PRId64, id);
}

int store_team_add(struct store *s, const char *actor, struct store_team *t)
{
	sqlite3_stmt *st;
	void *tmp;
	int rc;
	int64_t now = store_now_ms();

	if (begin(s) < 0)
		return -1;
	st =
	    store_stmt(s, "INSERT INTO teams(source_id, origin, tag, name, kind, relay_id, active, "
			  "inactive_reason, created_at, updated_at) "
			  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)");
	if (!st)
		return finish(s, -1);
	store_bind_text(st, 1, t->source_id);
	store_bind_text(st, 2, t->origin);
	store_bind_text(st, 3, t->tag);
	store_bind_text(st, 4, t->name);
	store_bind_text(st, 5, t->kind);
	store_bind_id(st, 6, t->relay_id);
	sqlite3_bind_int(st, 7, t->active ? 1 : 0);
	store_bind_text(st, 8, dstore_inactive_word(t->active, t->manual_inactive));
	sqlite3_bind_int64(st, 9, now);
	if (step_done(st) < 0)
		return finish(s, -1);
	t->id = sqlite3_last_insert_rowid(store_db(s));
	t->created_at = t->updated_at = now;
	tmp = talloc_new(NULL);
	rc = store_directory_change(
	    s, actor, "team.add", talloc_asprintf(tmp, "team:%s", t->tag),
	    talloc_asprintf(tmp, "id %" PRId64 ", %s \"%s\", relay %s%s%s%s", t->id, t->kind,
			    t->name, or_none(relay_number(s, tmp, t->relay_id)),
			    t->source_id ? ", source " : "", t->source_id ? t->source_id : "",
			    t->active ? "" : ", inactive"));
	talloc_free(tmp);
	return finish(s, rc);
}

int store_team_update(struct store *s, const char *actor, const struct store_team *old,
		      const struct store_team *t)
{
	void *tmp = talloc_new(NULL);
	char *detail = talloc_strdup(tmp, "");
	bool active_changed =
	    old->active != t->active || old->manual_inactive != t->manual_inactive;
	const char *action;
	sqlite3_stmt *st;
	int rc;

	dstore_diff_field(&detail, "tag", old->tag, t->tag);
	dstore_diff_field(&detail, "name", old->name, t->name);
	dstore_diff_field(&detail, "kind", old->kind, t->kind);
	if (old->relay_id != t->relay_id)
		dstore_diff_field(&detail, "relay", relay_number(s, tmp, old->relay_id),
				  relay_number(s, tmp, t->relay_id));
	dstore_diff_field(&detail, "source", old->source_id, t->source_id);
	dstore_diff_field(&detail, "origin", old->origin, t->origin);
	if (!*detail && !active_changed) {
		talloc_free(tmp);
		return 0;
	}
	if (!*detail)
		action = t->active ? "team.activate" : "team.deactivate";
	else
		action = "team.update";
	if (active_changed)
		detail =
		    talloc_asprintf_append(detail, "%sactive %s -> %s%s", *detail ? "; " : "",
					   old->active ? "yes" : "no", t->active ? "yes" : "no",
					   t->active		? ""
					   : t->manual_inactive ? " (by hand)"
								: " (gone from the roster)");
	if (begin(s) < 0) {
		talloc_free(tmp);
		return -1;
	}
	st = store_stmt(s, "UPDATE teams SET source_id = ?2, origin = ?3, tag = ?4, name = ?5, "
			   "kind = ?6, relay_id = ?7, active = ?8, inactive_reason = ?9, "
			   "updated_at = ?10 WHERE id = ?1");
	if (!st) {
		talloc_free(tmp);
		return finish(s, -1);
	}
	sqlite3_bind_int64(st, 1, old->id);
	store_bind_text(st, 2, t->source_id);
	store_bind_text(st, 3, t->origin);
	store_bind_text(st, 4, t->tag);
	store_bind_text(st, 5, t->name);
	store_bind_text(st, 6, t->kind);
	store_bind_id(st, 7, t->relay_id);
	sqlite3_bind_int(st, 8, t->active ? 1 : 0);
	store_bind_text(st, 9, dstore_inactive_word(t->active, t->manual_inactive));
	sqlite3_bind_int64(st, 10, store_now_ms());
	rc = step_done(st);
	if (rc == 0)
		rc = store_directory_change(s, actor, action,
					    talloc_asprintf(tmp, "team:%s", t->tag), detail);
	talloc_free(tmp);
	rc = finish(s, rc);
	return rc < 0 ? -1 : 1;
}

/* --- Subgroups ------------------------------------------------------------------------- */

static void read_subgroup(void *ctx, sqlite3_stmt *st, struct store_subgroup *g)
{
	g->id = sqlite3_column_int64(st, 0);
	g->team_id = sqlite3_column_int64(st, 1);
	g->name = col_text(ctx, st, 2);
	g->origin = col_text(ctx, st, 3);
}

int store_subgroups_list(struct store *s, void *ctx, int64_t team_id, struct store_subgroup **out,
			 size_t *n)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT id, team_id, name, origin FROM subgroups "
					 "WHERE ?1 = 0 OR team_id = ?1 ORDER BY team_id, name");
	int rc;

	*out = NULL;
	*n = 0;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, team_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_subgroup *g = APPEND(ctx, out, *n, struct store_subgroup);
		if (!g)
			break;
		read_subgroup(*out, st, g);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_subgroup_by_name(struct store *s, void *ctx, int64_t team_id, const char *name,
			   struct store_subgroup *out)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT id, team_id, name, origin FROM subgroups "
					 "WHERE team_id = ?1 AND name = ?2");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, team_id);
	store_bind_text(st, 2, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_subgroup(ctx, st, out);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int store_subgroup_add(struct store *s, const char *actor, int64_t team_id, const char *name,
		       const char *origin, int64_t *id)
{
	sqlite3_stmt *st;
	void *tmp;
	int rc;

	if (begin(s) < 0)
		return -1;
	st = store_stmt(s, "INSERT INTO subgroups(team_id, name, origin) VALUES (?1, ?2, ?3)");
	if (!st)
		return finish(s, -1);
	sqlite3_bind_int64(st, 1, team_id);
	store_bind_text(st, 2, name);
	store_bind_text(st, 3, origin);
	if (step_done(st) < 0)
		return finish(s, -1);
	if (id)
		*id = sqlite3_last_insert_rowid(store_db(s));
	tmp = talloc_new(NULL);
	rc = store_directory_change(
	    s, actor, "subgroup.add",
	    talloc_asprintf(tmp, "team:%s.%s", dstore_team_name(s, tmp, team_id), name), NULL);
	talloc_free(tmp);
	return finish(s, rc);
}

int store_subgroup_remove(struct store *s, const char *actor, int64_t id)
{
	sqlite3_stmt *st;
	void *tmp = talloc_new(NULL);
	char *entity = talloc_asprintf(tmp, "team:%s", dstore_subgroup_name(s, tmp, id));
	int rc;

	if (begin(s) < 0) {
		talloc_free(tmp);
		return -1;
	}
	st = store_stmt(s, "DELETE FROM subgroup_members WHERE subgroup_id = ?1");
	if (st) {
		sqlite3_bind_int64(st, 1, id);
		rc = step_done(st);
	} else {
		rc = -1;
	}
	if (rc == 0) {
		st = store_stmt(s, "DELETE FROM subgroups WHERE id = ?1");
		if (st) {
			sqlite3_bind_int64(st, 1, id);
			rc = step_done(st);
		} else {
			rc = -1;
		}
	}
	if (rc == 0)
		rc = store_directory_change(s, actor, "subgroup.remove", entity, NULL);
	talloc_free(tmp);
	return finish(s, rc);
}
