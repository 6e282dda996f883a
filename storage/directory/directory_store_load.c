/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* store_directory_load() (directory_store.h): the in-memory directory the router uses,
 * built from the store one table at a time — relays, the active persons and teams, the
 * links between them, subgroups, and the exceptions in force (or recently expired). Each link's
 * ends are found by id in a map of what the directory made of the table it points into; a link
 * whose end is inactive, missing, or of the wrong role is left out. */
#include <stdlib.h>
#include <time.h>

#include <talloc.h>

#include "storage/directory/directory_store_internal.h"

/* A row's id, and what the directory made of the row. */
struct id_ptr {
	int64_t id;
	void *ptr;
};

/* One table's rows, sorted by id (find_id()). */
struct id_map {
	struct id_ptr *of;
	size_t n;
};

/* One load: the directory being built, and the maps from the tables' ids into it. */
struct load {
	struct store *s;
	void *tmp; /* the rows read and the maps, freed when the load is done */
	struct directory *d;
	struct id_map relays, persons, teams, subgroups;
};

static int cmp_id_ptr(const void *a, const void *b)
{
	const struct id_ptr *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void *find_id(const struct id_map *m, int64_t id)
{
	struct id_ptr key = {.id = id};
	const struct id_ptr *hit =
	    m->of ? bsearch(&key, m->of, m->n, sizeof(*m->of), cmp_id_ptr) : NULL;

	return hit ? hit->ptr : NULL;
}

/* Room for up to n rows of a table. */
static int map_alloc(struct load *L, struct id_map *m, size_t n)
{
	m->of = talloc_array(L->tmp, struct id_ptr, n + 1);
	m->n = 0;
	return m->of ? 0 : -1;
}

static void map_add(struct id_map *m, int64_t id, void *ptr)
{
	m->of[m->n++] = (struct id_ptr){id, ptr};
}

/* ---- The rows: relays, persons, teams ---- */

/* Every relay. The lists come ordered by id, so the maps are sorted as they are filled. */
static int load_relays(struct load *L)
{
	struct store_relay *relays;
	size_t n;

	if (store_relays_list(L->s, L->tmp, &relays, &n) < 0 || map_alloc(L, &L->relays, n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct dir_relay *r =
		    dir_add_relay(L->d, relays[i].id, relays[i].number, relays[i].label);
		/* More relay numbers than a box serves: refused, never some of them dropped. */
		if (!r) {
			store_set_error(
			    L->s, "the archive has %zu relay numbers; a box serves at most %d", n,
			    DIR_MAX_RELAYS);
			return -1;
		}
		map_add(&L->relays, relays[i].id, r);
	}
	return 0;
}

/* The active persons. */
static int load_persons(struct load *L)
{
	struct store_person *persons;
	size_t n;

	if (store_persons_list(L->s, L->tmp, &persons, &n) < 0 || map_alloc(L, &L->persons, n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct store_person *p = &persons[i];
		struct dir_person_spec spec = {
		    .id = p->id,
		    .source_id = p->source_id,
		    .role = p->role,
		    .title = p->title,
		    .given = p->given,
		    .family = p->family,
		    .handle = p->handle,
		    .phone = p->phone,
		};
		struct dir_person *dp;

		if (!p->active)
			continue;
		if (!(dp = dir_add_person(L->d, &spec)))
			return -1;
		map_add(&L->persons, p->id, dp);
	}
	return 0;
}

/* The active teams, each with its relay if it has one the directory serves. */
static int load_teams(struct load *L)
{
	struct store_team *teams;
	size_t n;

	if (store_teams_list(L->s, L->tmp, &teams, &n) < 0 || map_alloc(L, &L->teams, n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct store_team *t = &teams[i];
		struct dir_team *dt;
		struct dir_relay *r;
		enum dir_team_kind kind;

		if (!t->active)
			continue;
		if (dir_team_kind_from_word(t->kind, &kind) < 0) {
			store_set_error(L->s, "team %s: kind '%s' is not one this version knows",
					t->tag, t->kind ? t->kind : "");
			return -1;
		}
		dt = dir_add_team(L->d, t->id, t->source_id, t->tag, t->name, kind);
		if (!dt)
			return -1;
		if (t->relay_id && (r = find_id(&L->relays, t->relay_id)))
			dir_team_set_relay(dt, r);
		map_add(&L->teams, t->id, dt);
	}
	return 0;
}

/* ---- The links between them ---- */

/* Guardianships of a student by a guardian, or by staff who are also a parent. */
static int load_guardianships(struct load *L)
{
	struct store_link *links;
	size_t n;

	if (store_links_list(L->s, L->tmp, STORE_LINK_GUARDIAN, 0, &links, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct dir_person *st = find_id(&L->persons, links[i].a);
		struct dir_person *g = find_id(&L->persons, links[i].b);

		if (st && g && st->role == DIR_STUDENT && g->role != DIR_STUDENT)
			dir_add_guardianship(st, g);
	}
	return 0;
}

/* Team members: anyone but a guardian. */
static int load_members(struct load *L)
{
	struct store_link *links;
	size_t n;

	if (store_links_list(L->s, L->tmp, STORE_LINK_MEMBER, 0, &links, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct dir_team *t = find_id(&L->teams, links[i].a);
		struct dir_person *p = find_id(&L->persons, links[i].b);

		if (t && p && p->role != DIR_GUARDIAN)
			dir_team_add_member(t, p);
	}
	return 0;
}

/* Overseers of a team: administrators. */
static int load_overseers(struct load *L)
{
	struct store_link *links;
	size_t n;

	if (store_links_list(L->s, L->tmp, STORE_LINK_OVERSEER, 0, &links, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct dir_team *t = find_id(&L->teams, links[i].a);
		struct dir_person *p = find_id(&L->persons, links[i].b);

		if (t && p && p->role == DIR_ADMIN)
			dir_team_add_overseer(t, p);
	}
	return 0;
}

/* The subgroups of the active teams. */
static int load_subgroups(struct load *L)
{
	struct store_subgroup *groups;
	size_t n;

	if (store_subgroups_list(L->s, L->tmp, 0, &groups, &n) < 0 ||
	    map_alloc(L, &L->subgroups, n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct dir_team *t = find_id(&L->teams, groups[i].team_id);
		struct dir_subgroup *g;

		if (!t)
			continue;
		if (!(g = dir_team_add_subgroup(t, groups[i].id, groups[i].name)))
			return -1;
		map_add(&L->subgroups, groups[i].id, g);
	}
	/* Subgroups come by team then name; the map needs them by id. */
	qsort(L->subgroups.of, L->subgroups.n, sizeof(*L->subgroups.of), cmp_id_ptr);
	return 0;
}

/* Subgroup members: students. */
static int load_subgroup_members(struct load *L)
{
	struct store_link *links;
	size_t n;

	if (store_links_list(L->s, L->tmp, STORE_LINK_SUBGROUP, 0, &links, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct dir_subgroup *g = find_id(&L->subgroups, links[i].a);
		struct dir_person *p = find_id(&L->persons, links[i].b);

		if (g && p && p->role == DIR_STUDENT)
			dir_subgroup_add(g, p);
	}
	return 0;
}

/* ---- Exceptions ---- */

/* Expired exceptions are kept this long, so that a refusal can say "your exception
 * expired" rather than only "no guardian can be reached". */
#define EXPIRED_KEPT_MS (30LL * 86400 * 1000)

/* The exceptions in force now, or expired in the last 30 days (dir_exception_find tells
 * them apart), between a staff member and a student both active. Revoked ones are not
 * loaded. */
static int load_exceptions(struct load *L)
{
	struct store_exception *excs;
	size_t n;
	int64_t now = store_now_ms();

	if (store_exceptions_list(L->s, L->tmp, true, now, &excs, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct store_exception *e = &excs[i];

		if (e->revoked_at || e->expires_at <= now - EXPIRED_KEPT_MS)
			continue;
		struct dir_person *staff = find_id(&L->persons, e->staff_id);
		struct dir_person *student = find_id(&L->persons, e->student_id);
		struct dir_person *admin = find_id(&L->persons, e->approved_by);

		/* An approver who has since left does not void what they approved. */
		if (!staff || !student)
			continue;
		if (!dir_add_exception(L->d, e->id, staff, student, e->kind, e->reason, admin,
				       (time_t)(e->created_at / 1000),
				       (time_t)(e->expires_at / 1000)))
			return -1;
	}
	return 0;
}

struct directory *store_directory_load(struct store *s, void *ctx)
{
	struct load L = {
	    .s = s,
	    .tmp = talloc_new(NULL),
	    .d = dir_new(ctx),
	};

	/* Rows before the links that point at them. */
	if (!L.d || !L.tmp || load_relays(&L) < 0 || load_persons(&L) < 0 || load_teams(&L) < 0 ||
	    load_guardianships(&L) < 0 || load_members(&L) < 0 || load_overseers(&L) < 0 ||
	    load_subgroups(&L) < 0 || load_subgroup_members(&L) < 0 || load_exceptions(&L) < 0) {
		talloc_free(L.tmp);
		talloc_free(L.d);
		return NULL;
	}
	dir_finish(L.d);
	talloc_free(L.tmp);
	return L.d;
}
