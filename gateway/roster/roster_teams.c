/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* teams.csv (sports teams and clubs, which SIS exports rarely carry) and titles.csv.
 *
 *   tag,team_name,kind,relay,person,as,subgroups
 *   soccer,Soccer,sports,+15550100,t-1001,staff,
 *   soccer,,,,s-2001,,injured
 *   soccer,,,,a-3001,overseer,
 *
 * One row per team member (or overseer); team_name, kind and relay may be given on any
 * of a team's rows, and must agree where repeated. A row with an empty person only
 * describes the team.
 *
 *   person,title
 *   t-1001,coach */
#include <string.h>
#include <strings.h>

#include <talloc.h>

#include "storage/model/phone_number.h"
#include "gateway/roster/roster_internal.h"

static const char *role_noun(enum dir_role r)
{
	static const char *const n[] = {"student", "guardian", "staff member", "administrator"};

	return (unsigned)r < 4 ? n[r] : "person";
}

enum as {
	AS_ROLE, /* staff or student, by the person's role */
	AS_STAFF,
	AS_STUDENT,
	AS_OVERSEER,
};

static struct rsubgroup *subgroup(struct rteam *t, const char *name)
{
	struct rsubgroup *g;

	for (unsigned i = 0; i < t->n_subgroups; i++)
		if (!strcmp(t->subgroups[i].name, name))
			return &t->subgroups[i];
	g = talloc_realloc(t, t->subgroups, struct rsubgroup, t->n_subgroups + 1);
	if (!g)
		return NULL;
	t->subgroups = g;
	g = &g[t->n_subgroups++];
	memset(g, 0, sizeof(*g));
	g->name = talloc_strdup(t, name);
	return g;
}

/* A relay number: as E.164, or as a number the district writes. */
static const char *relay_number(struct rimport *im, const char *in, const char **why)
{
	char out[32];

	if (phone_is_e164(in))
		return talloc_strdup(im->ctx, in);
	if (phone_normalize(out, sizeof(out), in,
			    im->opt->country_code ? im->opt->country_code : "1", why) < 0)
		return NULL;
	return talloc_strdup(im->ctx, out);
}

void roster_read_teams(struct rimport *im)
{
	struct rcsv *c = im->files[RF_TEAMS];
	int c_tag = rcsv_col(c, "tag"), c_name = rcsv_col(c, "team_name"),
	    c_kind = rcsv_col(c, "kind"), c_relay = rcsv_col(c, "relay"),
	    c_person = rcsv_col(c, "person"), c_as = rcsv_col(c, "as"),
	    c_groups = rcsv_col(c, "subgroups");
	struct rmap *rows = rmap_new(im->ctx);

	for (unsigned i = 0; i < c->n_rows; i++) {
		const struct rcsv_row *r = &c->rows[i];
		char *tag = rim_lower(im->ctx, rcsv_get(r, c_tag), '#');
		const char *name = rcsv_get(r, c_name), *pref = rcsv_get(r, c_person);
		char *kind = rim_lower(im->ctx, rcsv_get(r, c_kind), 0);
		char *as_s = rim_lower(im->ctx, rcsv_get(r, c_as), 0);
		char *groups = rim_lower(im->ctx, rcsv_get(r, c_groups), 0);
		const char *relay_s = rcsv_get(r, c_relay), *relay = NULL, *why = "";
		struct rteam *t = *tag ? rmap_get(im->team_by_tag, tag) : NULL;
		struct rperson *p = NULL;
		enum as as = AS_ROLE;
		char *save = NULL, *w, *key;
		uintptr_t first;
		bool ok = true;

		if (r->bad) {
			rim_keep_team(im, t);
			continue;
		}
		if (!*tag) {
			rim_problem(im, c->path, r->line, "missing tag");
			continue;
		}
		if (!roster_word_valid(tag)) {
			rim_problem(
			    im, c->path, r->line,
			    "tag '%s' is not a word (a-z, 0-9, _ and -, starting with a letter, "
			    "at most 32)",
			    tag);
			continue;
		}
		if (t && t->want.origin && strcmp(t->want.origin, STORE_ORIGIN_TEAMS)) {
			rim_problem(im, c->path, r->line,
				    "tag '%s' is taken by class '%s' (from classes.csv)", tag,
				    t->want.name);
			continue;
		}
		/* Validate the whole row before any of it counts. */
		if (*name && !roster_name_valid(name)) {
			rim_problem(im, c->path, r->line, "team_name is not a name");
			ok = false;
		} else if (*name && t && t->name_set && strcmp(name, t->want.name)) {
			rim_problem(im, c->path, r->line, "team_name '%s' differs from '%s' above",
				    name, t->want.name);
			ok = false;
		}
		if (ok && *kind && strcmp(kind, "sports") && strcmp(kind, "club") &&
		    strcmp(kind, "class")) {
			rim_problem(im, c->path, r->line, "kind '%s' is not sports, club or class",
				    kind);
			ok = false;
		} else if (ok && *kind && t && t->kind_set && strcmp(kind, t->want.kind)) {
			rim_problem(im, c->path, r->line, "kind '%s' differs from '%s' above", kind,
				    t->want.kind);
			ok = false;
		}
		if (ok && *relay_s) {
			if (!(relay = relay_number(im, relay_s, &why))) {
				rim_problem(im, c->path, r->line, "invalid relay '%s': %s", relay_s,
					    why);
				ok = false;
			} else if (t && t->relay_set && strcmp(relay, t->relay)) {
				rim_problem(im, c->path, r->line, "relay %s differs from %s above",
					    relay, t->relay);
				ok = false;
			}
		}
		if (ok && *as_s) {
			if (!strcmp(as_s, "staff"))
				as = AS_STAFF;
			else if (!strcmp(as_s, "student"))
				as = AS_STUDENT;
			else if (!strcmp(as_s, "overseer"))
				as = AS_OVERSEER;
			else {
				rim_problem(im, c->path, r->line,
					    "as '%s' is not staff, student or overseer", as_s);
				ok = false;
			}
		}
		if (ok && *pref) {
			p = rim_person_ref(im, pref);
			if (!p) {
				if (!rim_was_rejected(im, pref))
					rim_problem(
					    im, c->path, r->line,
					    "unknown person '%s' (neither a sourcedId nor a "
					    "handle)",
					    pref);
				rim_keep_team(im, t);
				ok = false;
			} else if (p->want.role == DIR_GUARDIAN) {
				rim_problem(
				    im, c->path, r->line,
				    "'%s' is a guardian: guardians are reached through their "
				    "students, not as team members",
				    pref);
				ok = false;
			} else if ((as == AS_STAFF && p->want.role == DIR_STUDENT) ||
				   (as == AS_STUDENT && p->want.role != DIR_STUDENT) ||
				   (as == AS_OVERSEER && p->want.role != DIR_ADMIN)) {
				rim_problem(im, c->path, r->line, "'%s' is a %s, not %s", pref,
					    role_noun(p->want.role),
					    as == AS_STAFF     ? "staff"
					    : as == AS_STUDENT ? "a student"
							       : "an administrator (overseer)");
				ok = false;
			}
		} else if (ok && (*as_s || *groups)) {
			rim_problem(im, c->path, r->line, "as or subgroups without a person");
			ok = false;
		}
		if (ok && *groups) {
			char *copy = talloc_strdup(im->ctx, groups);

			if (p->want.role != DIR_STUDENT || as == AS_OVERSEER) {
				rim_problem(im, c->path, r->line,
					    "only students belong to subgroups");
				ok = false;
			}
			for (w = strtok_r(copy, ";, ", &save); ok && w;
			     w = strtok_r(NULL, ";, ", &save)) {
				if (!roster_word_valid(w)) {
					rim_problem(
					    im, c->path, r->line,
					    "subgroup '%s' is not a word (a-z, 0-9, _ and -, "
					    "starting with a letter)",
					    w);
					ok = false;
				}
			}
		}
		if (ok && p) {
			key =
			    talloc_asprintf(im->ctx, "%s/%p/%d", tag, (void *)p, as == AS_OVERSEER);
			if ((first = (uintptr_t)rmap_get(rows, key))) {
				rim_problem(im, c->path, r->line,
					    "'%s' is listed for %s already (line %u)", pref, tag,
					    (unsigned)first);
				ok = false;
			} else {
				rmap_put(rows, key, (void *)(uintptr_t)r->line);
			}
		}
		if (!ok)
			continue;

		if (!t) {
			if (!(t = rim_team_new(im)))
				continue;
			t->want.tag = talloc_strdup(t, tag);
			rmap_put(im->team_by_tag, tag, t);
		}
		if (!t->seen) {
			/* Adopts a team added by hand with the same tag. */
			t->seen = true;
			t->owns_links = true;
			t->path = c->path;
			t->line = r->line;
			t->want.origin = STORE_ORIGIN_TEAMS;
			if (t->cur.id && !t->cur.active && t->cur.manual_inactive) {
				t->want.active = false;
				t->want.manual_inactive = true;
			} else {
				t->want.active = true;
				t->want.manual_inactive = false;
			}
		}
		if (*name) {
			t->want.name = talloc_strdup(t, name);
			t->name_set = true;
		}
		if (*kind) {
			t->want.kind = talloc_strdup(t, kind);
			t->kind_set = true;
		}
		if (relay) {
			t->relay = talloc_strdup(t, relay);
			t->relay_set = true;
		}
		if (!p)
			continue;
		if (as == AS_OVERSEER) {
			rim_team_add(t, &t->overseers, &t->n_overseers, p);
			continue;
		}
		rim_team_add(t, &t->members, &t->n_members, p);
		save = NULL;
		for (w = strtok_r(groups, ";, ", &save); w; w = strtok_r(NULL, ";, ", &save)) {
			struct rsubgroup *g = subgroup(t, w);
			if (g)
				rim_team_add(t, &g->members, &g->n_members, p);
		}
	}
	/* A new team needs a name and a kind somewhere among its rows. */
	for (unsigned i = 0; i < im->n_teams; i++) {
		struct rteam *t = im->teams[i];

		if (!t->seen || t->cur.id || !t->want.origin ||
		    strcmp(t->want.origin, STORE_ORIGIN_TEAMS))
			continue;
		if (!t->name_set || !t->kind_set) {
			rim_problem(im, c->path, t->line,
				    "team '%s' has no %s on any row; team not imported",
				    t->want.tag, !t->name_set ? "team_name" : "kind");
			t->drop = true;
		}
	}
	talloc_free(rows);
}

void roster_read_titles(struct rimport *im)
{
	struct rcsv *c = im->files[RF_TITLES];
	int c_person = rcsv_col(c, "person"), c_title = rcsv_col(c, "title");
	struct rmap *lines = rmap_new(im->ctx);

	for (unsigned i = 0; i < c->n_rows; i++) {
		const struct rcsv_row *r = &c->rows[i];
		const char *pref = rcsv_get(r, c_person), *title_s = rcsv_get(r, c_title);
		struct rperson *p;
		enum dir_title title;
		char key[32];
		uintptr_t first;

		if (r->bad)
			continue;
		if (!*pref) {
			rim_problem(im, c->path, r->line, "missing person");
			continue;
		}
		if (!(p = rim_person_ref(im, pref))) {
			if (!rim_was_rejected(im, pref))
				rim_problem(
				    im, c->path, r->line,
				    "unknown person '%s' (neither a sourcedId nor a handle)", pref);
			continue;
		}
		snprintf(key, sizeof(key), "%p", (void *)p);
		if ((first = (uintptr_t)rmap_get(lines, key))) {
			rim_problem(im, c->path, r->line, "'%s' is listed already (line %u)", pref,
				    (unsigned)first);
			continue;
		}
		rmap_put(lines, key, (void *)(uintptr_t)r->line);
		if (dir_title_parse(title_s, &title) < 0) {
			rim_problem(im, c->path, r->line,
				    "unknown title '%s' (teacher, coach, advisor, volunteer, "
				    "athletic_director, principal, counselor, or none)",
				    title_s);
			continue;
		}
		if (title != DIR_T_NONE &&
		    (p->want.role == DIR_STUDENT || p->want.role == DIR_GUARDIAN)) {
			rim_problem(im, c->path, r->line, "'%s' is a %s: only staff have titles",
				    pref, role_noun(p->want.role));
			continue;
		}
		if (!dir_title_fits_role(title, p->want.role)) {
			/* SIS exports often list athletic directors as teachers: the title says
			 * what they are, and administrators approve exceptions. */
			if (p->want.role == DIR_STAFF && dir_title_fits_role(title, DIR_ADMIN)) {
				p->want.role = DIR_ADMIN;
			} else {
				rim_problem(im, c->path, r->line, "title %s does not fit %s '%s'",
					    dir_title_name(title),
					    p->want.role == DIR_ADMIN ? "an administrator" : "a",
					    pref);
				continue;
			}
		}
		p->want.title = title;
		p->title_listed = true;
	}
	talloc_free(lines);
}
