/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The links in the directory's store, one table per kind (enum store_link_kind):
 * guardianships, team members, overseers and subgroup members — listed either way,
 * checked, added, removed, and a guardianship's relationship changed; each change
 * logged with the names of both ends. */
#include <stddef.h>

#include <talloc.h>

#include "storage/directory/directory_store_internal.h"

/* One literal per statement and kind: store_stmt() caches by the literal's address. */
static const char *const sql_links_list[] = {
    [STORE_LINK_GUARDIAN] = "SELECT student_id, guardian_id, relationship, origin FROM "
			    "guardianships WHERE ?1 = 0 OR student_id = ?1 "
			    "ORDER BY student_id, guardian_id",
    [STORE_LINK_MEMBER] = "SELECT team_id, person_id, NULL, origin FROM team_members "
			  "WHERE ?1 = 0 OR team_id = ?1 ORDER BY team_id, person_id",
    [STORE_LINK_OVERSEER] = "SELECT team_id, person_id, NULL, origin FROM team_overseers "
			    "WHERE ?1 = 0 OR team_id = ?1 ORDER BY team_id, person_id",
    [STORE_LINK_SUBGROUP] = "SELECT subgroup_id, person_id, NULL, origin FROM subgroup_members "
			    "WHERE ?1 = 0 OR subgroup_id = ?1 ORDER BY subgroup_id, person_id",
};

static const char *const sql_links_of[] = {
    [STORE_LINK_GUARDIAN] = "SELECT student_id, guardian_id, relationship, origin FROM "
			    "guardianships WHERE guardian_id = ?1 ORDER BY student_id",
    [STORE_LINK_MEMBER] = "SELECT team_id, person_id, NULL, origin FROM team_members "
			  "WHERE person_id = ?1 ORDER BY team_id",
    [STORE_LINK_OVERSEER] = "SELECT team_id, person_id, NULL, origin FROM team_overseers "
			    "WHERE person_id = ?1 ORDER BY team_id",
    [STORE_LINK_SUBGROUP] = "SELECT subgroup_id, person_id, NULL, origin FROM subgroup_members "
			    "WHERE person_id = ?1 ORDER BY subgroup_id",
};

static const char *const sql_link_exists[] = {
    [STORE_LINK_GUARDIAN] = "SELECT 1 FROM guardianships WHERE student_id = ?1 AND "
			    "guardian_id = ?2",
    [STORE_LINK_MEMBER] = "SELECT 1 FROM team_members WHERE team_id = ?1 AND person_id = ?2",
    [STORE_LINK_OVERSEER] = "SELECT 1 FROM team_overseers WHERE team_id = ?1 AND person_id = ?2",
    [STORE_LINK_SUBGROUP] = "SELECT 1 FROM subgroup_members WHERE subgroup_id = ?1 AND "
			    "person_id = ?2",
};

static const char *const sql_link_add[] = {
    [STORE_LINK_GUARDIAN] = "INSERT OR IGNORE INTO guardianships(student_id, guardian_id, "
			    "relationship, origin) VALUES (?1, ?2, ?3, ?4)",
    [STORE_LINK_MEMBER] = "INSERT OR IGNORE INTO team_members(team_id, person_id, origin) "
			  "VALUES (?1, ?2, ?4)",
    [STORE_LINK_OVERSEER] = "INSERT OR IGNORE INTO team_overseers(team_id, person_id, origin) "
			    "VALUES (?1, ?2, ?4)",
    [STORE_LINK_SUBGROUP] = "INSERT OR IGNORE INTO subgroup_members(subgroup_id, person_id, "
			    "origin) VALUES (?1, ?2, ?4)",
};

static const char *const sql_link_remove[] = {
    [STORE_LINK_GUARDIAN] = "DELETE FROM guardianships WHERE student_id = ?1 AND "
			    "guardian_id = ?2",
    [STORE_LINK_MEMBER] = "DELETE FROM team_members WHERE team_id = ?1 AND person_id = ?2",
    [STORE_LINK_OVERSEER] = "DELETE FROM team_overseers WHERE team_id = ?1 AND person_id = ?2",
    [STORE_LINK_SUBGROUP] = "DELETE FROM subgroup_members WHERE subgroup_id = ?1 AND "
			    "person_id = ?2",
};

static const char *const link_action[][2] = {
    [STORE_LINK_GUARDIAN] = {"guardianship.add", "guardianship.remove"},
    [STORE_LINK_MEMBER] = {"member.add", "member.remove"},
    [STORE_LINK_OVERSEER] = {"overseer.add", "overseer.remove"},
    [STORE_LINK_SUBGROUP] = {"subgroup_member.add", "subgroup_member.remove"},
};

static bool kind_ok(enum store_link_kind k)
{
	return (unsigned)k <= STORE_LINK_SUBGROUP;
}

static char *link_entity(struct store *s, void *ctx, enum store_link_kind k, int64_t a, int64_t b)
{
	switch (k) {
	case STORE_LINK_GUARDIAN:
		return talloc_asprintf(ctx, "student:%s/guardian:%s", dstore_person_name(s, ctx, a),
				       dstore_person_name(s, ctx, b));
	case STORE_LINK_MEMBER:
		return talloc_asprintf(ctx, "team:%s/member:%s", dstore_team_name(s, ctx, a),
				       dstore_person_name(s, ctx, b));
	case STORE_LINK_OVERSEER:
		return talloc_asprintf(ctx, "team:%s/overseer:%s", dstore_team_name(s, ctx, a),
				       dstore_person_name(s, ctx, b));
	case STORE_LINK_SUBGROUP:
	default:
		return talloc_asprintf(ctx, "team:%s/member:%s", dstore_subgroup_name(s, ctx, a),
				       dstore_person_name(s, ctx, b));
	}
}

static int links_query(sqlite3_stmt *st, void *ctx, int64_t key, struct store_link **out, size_t *n)
{
	int rc;

	*out = NULL;
	*n = 0;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, key);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_link *l = APPEND(ctx, out, *n, struct store_link);
		if (!l)
			break;
		l->a = sqlite3_column_int64(st, 0);
		l->b = sqlite3_column_int64(st, 1);
		l->note = col_text(*out, st, 2);
		l->origin = col_text(*out, st, 3);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_links_list(struct store *s, void *ctx, enum store_link_kind k, int64_t a,
		     struct store_link **out, size_t *n)
{
	if (!kind_ok(k))
		return -1;
	return links_query(store_stmt(s, sql_links_list[k]), ctx, a, out, n);
}

int store_links_of(struct store *s, void *ctx, enum store_link_kind k, int64_t b,
		   struct store_link **out, size_t *n)
{
	if (!kind_ok(k))
		return -1;
	return links_query(store_stmt(s, sql_links_of[k]), ctx, b, out, n);
}

int store_link_exists(struct store *s, enum store_link_kind k, int64_t a, int64_t b)
{
	sqlite3_stmt *st;
	int rc;

	if (!kind_ok(k) || !(st = store_stmt(s, sql_link_exists[k])))
		return -1;
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int store_link_add(struct store *s, const char *actor, enum store_link_kind k, int64_t a, int64_t b,
		   const char *note, const char *origin)
{
	sqlite3_stmt *st;
	void *tmp;
	int rc;

	if (!kind_ok(k) || begin(s) < 0)
		return -1;
	if (!(st = store_stmt(s, sql_link_add[k])))
		return finish(s, -1);
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	store_bind_text(st, 3, note && *note ? note : NULL);
	store_bind_text(st, 4, origin);
	if (step_done(st) < 0)
		return finish(s, -1);
	if (sqlite3_changes(store_db(s)) == 0)
		return finish(s, 0);
	tmp = talloc_new(NULL);
	rc = store_directory_change(s, actor, link_action[k][0], link_entity(s, tmp, k, a, b),
				    note && *note ? talloc_asprintf(tmp, "relationship %s", note)
						  : NULL);
	talloc_free(tmp);
	rc = finish(s, rc);
	return rc < 0 ? -1 : 1;
}

int store_link_remove(struct store *s, const char *actor, enum store_link_kind k, int64_t a,
		      int64_t b)
{
	sqlite3_stmt *st;
	void *tmp;
	int rc;

	if (!kind_ok(k) || begin(s) < 0)
		return -1;
	if (!(st = store_stmt(s, sql_link_remove[k])))
		return finish(s, -1);
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	if (step_done(st) < 0)
		return finish(s, -1);
	if (sqlite3_changes(store_db(s)) == 0)
		return finish(s, 0);
	tmp = talloc_new(NULL);
	rc =
	    store_directory_change(s, actor, link_action[k][1], link_entity(s, tmp, k, a, b), NULL);
	talloc_free(tmp);
	rc = finish(s, rc);
	return rc < 0 ? -1 : 1;
}

int store_link_set_note(struct store *s, const char *actor, enum store_link_kind k, int64_t a,
			int64_t b, const char *note)
{
	sqlite3_stmt *st;
	char *old = NULL;
	void *tmp;
	int rc, found;

	if (k != STORE_LINK_GUARDIAN)
		return 0;
	if (note && !*note)
		note = NULL;
	tmp = talloc_new(NULL);
	st = store_stmt(s, "SELECT relationship FROM guardianships WHERE student_id = ?1 AND "
			   "guardian_id = ?2");
	if (!st) {
		talloc_free(tmp);
		return -1;
	}
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	rc = sqlite3_step(st);
	found = rc == SQLITE_ROW;
	if (found)
		old = (char *)col_text(tmp, st, 0);
	sqlite3_reset(st);
	if (!found || str_eq(old, note)) {
		talloc_free(tmp);
		return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
	}
	if (begin(s) < 0) {
		talloc_free(tmp);
		return -1;
	}
	st = store_stmt(s, "UPDATE guardianships SET relationship = ?3 WHERE student_id = ?1 AND "
			   "guardian_id = ?2");
	if (!st) {
		talloc_free(tmp);
		return finish(s, -1);
	}
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	store_bind_text(st, 3, note);
	rc = step_done(st);
	if (rc == 0)
		rc = store_directory_change(
		    s, actor, "guardianship.update", link_entity(s, tmp, k, a, b),
		    talloc_asprintf(tmp, "relationship %s -> %s", or_none(old), or_none(note)));
	talloc_free(tmp);
	rc = finish(s, rc);
	return rc < 0 ? -1 : 1;
}
