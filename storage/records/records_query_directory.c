/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The directory as the records officer's query reads it: persons, teams and a
 * guardian's students by id, each read once per call and cached for it (never across
 * calls: the directory changes). What a loaded message and its thread key need. */
#include <inttypes.h>
#include <string.h>

#include <talloc.h>

#include "storage/records/records_query_internal.h"

int rq_prepare_directory(struct run *r)
{
	r->st_person = rq_prepare_tmp(r, "SELECT role, given, family, handle, phone FROM persons"
					 " WHERE id = ?1");
	r->st_wards =
	    rq_prepare_tmp(r, "SELECT student_id FROM guardianships WHERE guardian_id = ?1"
			      " ORDER BY student_id");
	r->st_member = rq_prepare_tmp(r, "SELECT 1 FROM team_members WHERE team_id = ?1"
					 " AND person_id = ?2");
	r->st_team = rq_prepare_tmp(r, "SELECT tag, name FROM teams WHERE id = ?1");
	return r->st_person && r->st_wards && r->st_member && r->st_team ? 0 : -1;
}

struct pinfo *rq_dir_person(struct run *r, int64_t id)
{
	struct pinfo *p;
	void **slot;
	sqlite3_stmt *st = r->st_person;

	if (!id)
		return NULL;
	p = rq_idmap_get(&r->persons, id);
	if (p)
		return p;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rq_fail(r, "database: person %" PRId64 " is missing", id);
		return NULL;
	}
	p = talloc_zero(r->res, struct pinfo);
	if (!p)
		return NULL;
	p->id = id;
	p->role = talloc_strdup(p, TXT(st, 0));
	p->name = talloc_asprintf(p, "%s %s", TXT(st, 1), TXT(st, 2));
	p->handle = talloc_strdup(p, TXT(st, 3));
	p->phone = talloc_strdup(p, TXT(st, 4) ? TXT(st, 4) : "");
	p->staff_side = !strcmp(p->role, "staff") || !strcmp(p->role, "administrator");
	sqlite3_reset(st);
	slot = rq_idmap_slot(r->tmp, &r->persons, id, true);
	if (!slot)
		return NULL;
	*slot = p;
	return p;
}

static int load_wards(struct run *r, struct pinfo *p)
{
	sqlite3_stmt *st = r->st_wards;
	int rc;

	if (p->wards_loaded)
		return 0;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, p->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		p->wards = talloc_realloc(p, p->wards, int64_t, p->n_wards + 1);
		if (!p->wards)
			return -1;
		p->wards[p->n_wards++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		rq_fail_db(r);
		return -1;
	}
	p->wards_loaded = true;
	return 0;
}

/* 1 when person_id is on the team, 0 when not, -1 (the run failed) when it cannot tell. */
static int on_team(struct run *r, int64_t team_id, int64_t person_id)
{
	sqlite3_stmt *st = r->st_member;
	int rc;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, team_id);
	sqlite3_bind_int64(st, 2, person_id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		rq_fail_db(r);
		return -1;
	}
	return rc == SQLITE_ROW;
}

int64_t rq_guardian_student(struct run *r, struct pinfo *g, int64_t team_id)
{
	int64_t student = 0;

	if (g->last_student && g->last_team == team_id)
		return g->last_student;
	if (load_wards(r, g) < 0)
		return -1;
	if (!g->n_wards)
		return 0;
	for (size_t i = 0; team_id && i < g->n_wards && !student; i++) {
		int yes = on_team(r, team_id, g->wards[i]);
		if (yes < 0)
			return -1;
		if (yes)
			student = g->wards[i];
	}
	g->last_team = team_id;
	g->last_student = student ? student : g->wards[0];
	return g->last_student;
}

struct tinfo *rq_dir_team(struct run *r, int64_t id)
{
	struct tinfo *t = rq_idmap_get(&r->teams, id);
	sqlite3_stmt *st = r->st_team;
	void **slot;

	if (t)
		return t;
	t = talloc_zero(r->res, struct tinfo);
	if (!t)
		return NULL;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		t->tag = talloc_strdup(t, TXT(st, 0));
		t->name = talloc_strdup(t, TXT(st, 1));
	} else {
		t->tag = talloc_asprintf(t, "team %" PRId64, id);
		t->name = t->tag;
	}
	sqlite3_reset(st);
	slot = rq_idmap_slot(r->tmp, &r->teams, id, true);
	if (!slot)
		return NULL;
	*slot = t;
	return t;
}
