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
 * describes the team. A building (kind building: a school's counselors, nurses and
 * administrators) lists its students as one row, person "*" as student: every active
 * student, kept in step by each import.
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

/* teams.csv's columns. */
struct team_cols {
	int tag, name, kind, relay, person, as, groups;
};

/* One row of teams.csv, as read and then as checked. */
struct team_row {
	const struct rcsv *c;
	const struct rcsv_row *r;
	char *tag, *kind, *as_s, *groups; /* lower case */
	const char *name, *pref, *relay_s;
	const char *relay; /* relay_s in E.164, once checked; NULL when the row has none */
	struct rteam *t;   /* the team of that tag so far, NULL if none yet */
	struct rperson *p; /* the person the row names, once checked */
	bool all_students; /* person "*": every active student */
	enum as as;
};

static void team_row_read(struct rimport *im, const struct rcsv *c, const struct rcsv_row *r,
			  const struct team_cols *col, struct team_row *tr)
{
	memset(tr, 0, sizeof(*tr));
	tr->c = c;
	tr->r = r;
	tr->tag = rim_lower(im->ctx, rcsv_get(r, col->tag), '#');
	tr->name = rcsv_get(r, col->name);
	tr->pref = rcsv_get(r, col->person);
	tr->kind = rim_lower(im->ctx, rcsv_get(r, col->kind), 0);
	tr->as_s = rim_lower(im->ctx, rcsv_get(r, col->as), 0);
	tr->groups = rim_lower(im->ctx, rcsv_get(r, col->groups), 0);
	tr->relay_s = rcsv_get(r, col->relay);
	tr->t = *tr->tag ? rmap_get(im->team_by_tag, tr->tag) : NULL;
	/* A team renamed by hand (team set --tag) keeps the tag teams.csv knows it by. */
	if (!tr->t && *tr->tag) {
		char *key = talloc_asprintf(im->ctx, "teams.csv:%s", tr->tag);
		tr->t = rmap_get(im->team_by_source, key);
	}
	tr->as = AS_ROLE;
}

/* A row that gives a class (from classes.csv) its relay number: the tag, the relay and
 * nothing else. Classes get their numbers in bulk this way; their members stay the SIS's.
 * True when the row was such a row (applied, or reported). */
static bool class_relay_row(struct rimport *im, struct team_row *tr)
{
	const char *why = "";

	if (!tr->t || !tr->t->want.origin || strcmp(tr->t->want.origin, STORE_ORIGIN_ONEROSTER) ||
	    !*tr->relay_s || *tr->name || *tr->kind || *tr->pref || *tr->as_s || *tr->groups)
		return false;
	if (!(tr->relay = relay_number(im, tr->relay_s, &why))) {
		rim_problem(im, tr->c->path, tr->r->line, "invalid relay '%s': %s", tr->relay_s,
			    why);
		return true;
	}
	if (tr->t->relay_set && strcmp(tr->relay, tr->t->relay)) {
		rim_problem(im, tr->c->path, tr->r->line, "relay %s differs from %s above",
			    tr->relay, tr->t->relay);
		return true;
	}
	tr->t->relay = talloc_strdup(tr->t, tr->relay);
	tr->t->relay_set = true;
	return true;
}

/* A tag teams.csv may define: present, a word, not a class's. */
static bool team_tag_usable(struct rimport *im, const struct team_row *tr)
{
	const char *path = tr->c->path;
	unsigned line = tr->r->line;

	if (!*tr->tag) {
		rim_problem(im, path, line, "missing tag");
		return false;
	}
	if (!roster_word_valid(tr->tag)) {
		rim_problem(im, path, line,
			    "tag '%s' is not a word (a-z, 0-9, _ and -, starting with a letter, "
			    "at most 32)",
			    tr->tag);
		return false;
	}
	if (tr->t && tr->t->want.origin && strcmp(tr->t->want.origin, STORE_ORIGIN_TEAMS)) {
		rim_problem(im, path, line, "tag '%s' is taken by class '%s' (from classes.csv)",
			    tr->tag, tr->t->want.name);
		return false;
	}
	return true;
}

/* team_name: a name, the same as on the team's rows above. */
static bool team_name_valid(struct rimport *im, const struct team_row *tr)
{
	if (!*tr->name)
		return true;
	if (!roster_name_valid(tr->name)) {
		rim_problem(im, tr->c->path, tr->r->line, "team_name is not a name");
		return false;
	}
	if (tr->t && tr->t->name_set && strcmp(tr->name, tr->t->want.name)) {
		rim_problem(im, tr->c->path, tr->r->line, "team_name '%s' differs from '%s' above",
			    tr->name, tr->t->want.name);
		return false;
	}
	return true;
}

/* kind: sports, club, class or building, the same as above. */
static bool team_kind_valid(struct rimport *im, const struct team_row *tr)
{
	const char *kind = tr->kind;
	enum dir_team_kind k;

	if (!*kind)
		return true;
	if (dir_team_kind_from_word(kind, &k) < 0) {
		rim_problem(im, tr->c->path, tr->r->line,
			    "kind '%s' is not sports, club, class or building", kind);
		return false;
	}
	if (tr->t && tr->t->kind_set && strcmp(kind, tr->t->want.kind)) {
		rim_problem(im, tr->c->path, tr->r->line, "kind '%s' differs from '%s' above", kind,
			    tr->t->want.kind);
		return false;
	}
	return true;
}

/* relay: a phone number, the same as above. */
static bool team_relay_valid(struct rimport *im, struct team_row *tr)
{
	const char *why = "";

	if (!*tr->relay_s)
		return true;
	if (!(tr->relay = relay_number(im, tr->relay_s, &why))) {
		rim_problem(im, tr->c->path, tr->r->line, "invalid relay '%s': %s", tr->relay_s,
			    why);
		return false;
	}
	if (tr->t && tr->t->relay_set && strcmp(tr->relay, tr->t->relay)) {
		rim_problem(im, tr->c->path, tr->r->line, "relay %s differs from %s above",
			    tr->relay, tr->t->relay);
		return false;
	}
	return true;
}

/* as: staff, student or overseer; empty goes by the person's role. */
static bool team_as_valid(struct rimport *im, struct team_row *tr)
{
	if (!*tr->as_s)
		return true;
	if (!strcmp(tr->as_s, "staff"))
		tr->as = AS_STAFF;
	else if (!strcmp(tr->as_s, "student"))
		tr->as = AS_STUDENT;
	else if (!strcmp(tr->as_s, "overseer"))
		tr->as = AS_OVERSEER;
	else {
		rim_problem(im, tr->c->path, tr->r->line,
			    "as '%s' is not staff, student or overseer", tr->as_s);
		return false;
	}
	return true;
}

/* person: someone the import knows, who can be what `as` says. A row without a person
 * only describes the team. */
static bool team_person_valid(struct rimport *im, struct team_row *tr)
{
	const char *path = tr->c->path, *pref = tr->pref;
	unsigned line = tr->r->line;
	enum as as = tr->as;
	struct rperson *p;

	if (!*pref) {
		if (*tr->as_s || *tr->groups) {
			rim_problem(im, path, line, "as or subgroups without a person");
			return false;
		}
		return true;
	}
	/* "*": every student of the district, for a building's team. */
	if (!strcmp(pref, "*")) {
		if (as != AS_STUDENT || *tr->groups) {
			rim_problem(im, path, line,
				    "person '*' (every student) is for as 'student', without "
				    "subgroups");
			return false;
		}
		tr->all_students = true;
		return true;
	}
	p = tr->p = rim_person_ref(im, pref);
	if (!p) {
		if (!rim_was_rejected(im, pref))
			rim_problem(im, path, line,
				    "unknown person '%s' (neither a sourcedId nor a handle)", pref);
		rim_keep_team(im, tr->t);
		return false;
	}
	if (p->want.role == DIR_GUARDIAN) {
		rim_problem(im, path, line,
			    "'%s' is a guardian: guardians are reached through their students, "
			    "not as team members",
			    pref);
		return false;
	}
	if ((as == AS_STAFF && p->want.role == DIR_STUDENT) ||
	    (as == AS_STUDENT && p->want.role != DIR_STUDENT) ||
	    (as == AS_OVERSEER && p->want.role != DIR_ADMIN)) {
		rim_problem(im, path, line, "'%s' is a %s, not %s", pref, role_noun(p->want.role),
			    as == AS_STAFF     ? "staff"
			    : as == AS_STUDENT ? "a student"
					       : "an administrator (overseer)");
		return false;
	}
	return true;
}

/* subgroups: words, for a student only. */
static bool team_subgroups_valid(struct rimport *im, const struct team_row *tr)
{
	char *copy, *save = NULL, *w;

	if (!*tr->groups)
		return true;
	if (tr->p->want.role != DIR_STUDENT || tr->as == AS_OVERSEER) {
		rim_problem(im, tr->c->path, tr->r->line, "only students belong to subgroups");
		return false;
	}
	copy = talloc_strdup(im->ctx, tr->groups);
	for (w = strtok_r(copy, ";, ", &save); w; w = strtok_r(NULL, ";, ", &save)) {
		if (!roster_word_valid(w)) {
			rim_problem(im, tr->c->path, tr->r->line,
				    "subgroup '%s' is not a word (a-z, 0-9, _ and -, starting with "
				    "a letter)",
				    w);
			return false;
		}
	}
	return true;
}

/* A person is listed once per team as a member, once as an overseer. `rows` maps what
 * was listed to its line. */
static bool team_row_first(struct rimport *im, struct rmap *rows, const struct team_row *tr)
{
	char *key;
	uintptr_t first;

	if (!tr->p && !tr->all_students)
		return true;
	key = tr->all_students ? talloc_asprintf(im->ctx, "%s/*", tr->tag)
			       : talloc_asprintf(im->ctx, "%s/%p/%d", tr->tag, (void *)tr->p,
						 tr->as == AS_OVERSEER);
	if ((first = (uintptr_t)rmap_get(rows, key))) {
		rim_problem(im, tr->c->path, tr->r->line, "'%s' is listed for %s already (line %u)",
			    tr->pref, tr->tag, (unsigned)first);
		return false;
	}
	rmap_put(rows, key, (void *)(uintptr_t)tr->r->line);
	return true;
}

/* The team of a checked row, new or adopted (a team added by hand with the same tag) on
 * its first row. NULL when out of memory. */
static struct rteam *team_of_row(struct rimport *im, const struct team_row *tr)
{
	struct rteam *t = tr->t;

	if (!t) {
		if (!(t = rim_team_new(im)))
			return NULL;
		t->want.tag = talloc_strdup(t, tr->tag);
		t->want.source_id = talloc_asprintf(t, "teams.csv:%s", tr->tag);
		rmap_put(im->team_by_tag, tr->tag, t);
		rmap_put(im->team_by_source, t->want.source_id, t);
	}
	if (!t->seen) {
		t->seen = true;
		t->owns_links = true;
		t->path = tr->c->path;
		t->line = tr->r->line;
		t->want.origin = STORE_ORIGIN_TEAMS;
		if (t->cur.id && !t->cur.active && t->cur.manual_inactive) {
			t->want.active = false;
			t->want.manual_inactive = true;
		} else {
			t->want.active = true;
			t->want.manual_inactive = false;
		}
	}
	return t;
}

/* What a checked row says of its team: name, kind, relay, and a member (with their
 * subgroups) or an overseer. */
static void team_row_apply(struct rimport *im, struct team_row *tr)
{
	struct rteam *t = team_of_row(im, tr);
	struct rperson *p = tr->p;
	char *save = NULL, *w;

	if (!t)
		return;
	if (*tr->name) {
		t->want.name = talloc_strdup(t, tr->name);
		t->name_set = true;
	}
	if (*tr->kind) {
		t->want.kind = talloc_strdup(t, tr->kind);
		t->kind_set = true;
	}
	if (tr->relay) {
		t->relay = talloc_strdup(t, tr->relay);
		t->relay_set = true;
	}
	if (tr->all_students) {
		for (unsigned i = 0; i < im->n_persons; i++) {
			struct rperson *q = im->persons[i];
			if (q->want.role == DIR_STUDENT && q->want.active && !q->keep)
				rim_team_add(t, &t->members, &t->n_members, q);
		}
		return;
	}
	if (!p)
		return;
	if (tr->as == AS_OVERSEER) {
		rim_team_add(t, &t->overseers, &t->n_overseers, p);
		return;
	}
	rim_team_add(t, &t->members, &t->n_members, p);
	for (w = strtok_r(tr->groups, ";, ", &save); w; w = strtok_r(NULL, ";, ", &save)) {
		struct rsubgroup *g = subgroup(t, w);
		if (g)
			rim_team_add(t, &g->members, &g->n_members, p);
	}
}

/* A new team needs a name and a kind somewhere among its rows. */
static void teams_drop_undescribed(struct rimport *im, const struct rcsv *c)
{
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
}

void roster_read_teams(struct rimport *im)
{
	struct rcsv *c = im->files[RF_TEAMS];
	const struct team_cols col = {
	    .tag = rcsv_col(c, "tag"),
	    .name = rcsv_col(c, "team_name"),
	    .kind = rcsv_col(c, "kind"),
	    .relay = rcsv_col(c, "relay"),
	    .person = rcsv_col(c, "person"),
	    .as = rcsv_col(c, "as"),
	    .groups = rcsv_col(c, "subgroups"),
	};
	struct rmap *rows = rmap_new(im->ctx);

	for (unsigned i = 0; i < c->n_rows; i++) {
		struct team_row tr;

		team_row_read(im, c, &c->rows[i], &col, &tr);
		if (c->rows[i].bad) {
			rim_keep_team(im, tr.t);
			continue;
		}
		if (class_relay_row(im, &tr))
			continue;
		if (!team_tag_usable(im, &tr))
			continue;
		/* Validate the whole row before any of it counts; the first fault is reported. */
		if (!team_name_valid(im, &tr) || !team_kind_valid(im, &tr) ||
		    !team_relay_valid(im, &tr) || !team_as_valid(im, &tr) ||
		    !team_person_valid(im, &tr) || !team_subgroups_valid(im, &tr) ||
		    !team_row_first(im, rows, &tr))
			continue;
		team_row_apply(im, &tr);
	}
	teams_drop_undescribed(im, c);
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
				    "athletic_director, principal, assistant_principal, counselor, "
				    "nurse, or none)",
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
			/* SIS exports often list athletic directors as teachers: a title only
			 * an administrator has (athletic director, principal, assistant
			 * principal) says what they are. A counselor's or nurse's does not:
			 * they stay staff, and only administrators approve exceptions. */
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
