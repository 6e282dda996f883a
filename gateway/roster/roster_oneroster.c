/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* OneRoster 1.1 CSV: manifest.csv, orgs.csv, users.csv, classes.csv, enrollments.csv.
 *
 * Only what the directory needs is read; other files of the export (academicSessions,
 * courses, demographics, ...) and other columns are ignored. Only bulk exports are
 * supported: a delta export lists changes, and applying it as a whole roster would
 * deactivate everyone it does not mention. */
#include <string.h>
#include <strings.h>

#include <talloc.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "gateway/roster/roster_internal.h"

/* users.csv roles (OneRoster 1.1 RoleEnum) to the directory's. */
static const struct {
	const char *word;
	enum dir_role role;
} oneroster_roles[] = {
    {"student", DIR_STUDENT}, {"teacher", DIR_STAFF},	    {"aide", DIR_STAFF},
    {"proctor", DIR_STAFF},   {"administrator", DIR_ADMIN}, {"guardian", DIR_GUARDIAN},
    {"parent", DIR_GUARDIAN}, {"relative", DIR_GUARDIAN},
};

static const char *role_noun(enum dir_role r)
{
	switch (r) {
	case DIR_STUDENT:
		return "student";
	case DIR_GUARDIAN:
		return "guardian";
	case DIR_STAFF:
		return "staff member";
	case DIR_ADMIN:
	default:
		return "administrator";
	}
}

/* OneRoster status: "active" (or empty) and "tobedeleted" (1.1), "inactive" (1.0).
 * Returns 0 active, 1 deleted, -1 unknown. */
static int parse_status(const char *s)
{
	if (!*s || !strcasecmp(s, "active"))
		return 0;
	if (!strcasecmp(s, "tobedeleted") || !strcasecmp(s, "inactive"))
		return 1;
	return -1;
}

bool roster_read_manifest(struct rimport *im)
{
	struct rcsv *c = im->files[RF_MANIFEST];
	int c_name = rcsv_col(c, "propertyName"), c_value = rcsv_col(c, "value");
	static const struct {
		const char *prop;
		enum rfile file;
	} declared[] = {
	    {"file.orgs", RF_ORGS},
	    {"file.users", RF_USERS},
	    {"file.classes", RF_CLASSES},
	    {"file.enrollments", RF_ENROLLMENTS},
	};
	bool version_seen = false;

	for (unsigned i = 0; i < c->n_rows; i++) {
		const struct rcsv_row *r = &c->rows[i];
		const char *name = rcsv_get(r, c_name), *value = rcsv_get(r, c_value);

		if (r->bad) {
			rim_fatal(im, c->path, r->line, "unreadable manifest row");
			continue;
		}
		if (!strcasecmp(name, "oneroster.version")) {
			version_seen = true;
			if (strcmp(value, "1.1"))
				rim_fatal(im, c->path, r->line,
					  "OneRoster version %s is not supported (only 1.1)",
					  value);
			continue;
		}
		for (unsigned j = 0; j < ARRAY_SIZE(declared); j++) {
			bool present = im->files[declared[j].file] != NULL;
			const char *fname = rfile_names[declared[j].file];

			if (strcasecmp(name, declared[j].prop))
				continue;
			if (!strcasecmp(value, "delta"))
				rim_fatal(im, c->path, r->line,
					  "%s is a delta export: only bulk exports are supported",
					  fname);
			else if (!strcasecmp(value, "bulk") && !present)
				rim_fatal(im, c->path, r->line,
					  "%s is declared bulk but is missing", fname);
			else if (!strcasecmp(value, "absent") && present)
				rim_fatal(im, c->path, r->line,
					  "%s is declared absent but is present", fname);
			else if (strcasecmp(value, "bulk") && strcasecmp(value, "absent"))
				rim_fatal(im, c->path, r->line, "%s: unknown value '%s'", name,
					  value);
		}
	}
	if (!version_seen)
		rim_fatal(im, c->path, 0, "no oneroster.version property (expected 1.1)");
	return !im->failed;
}

void roster_read_orgs(struct rimport *im)
{
	struct rcsv *c = im->files[RF_ORGS];
	int c_id = rcsv_col(c, "sourcedId"), c_name = rcsv_col(c, "name"),
	    c_type = rcsv_col(c, "type"), c_status = rcsv_col(c, "status");

	for (unsigned i = 0; i < c->n_rows; i++) {
		const struct rcsv_row *r = &c->rows[i];
		const char *id = rcsv_get(r, c_id);

		/* An org is only a reference target: even a rejected one still exists. */
		if (*id)
			rmap_put(im->org_ids, id, im);
		if (r->bad)
			continue;
		if (!*id) {
			rim_problem(im, c->path, r->line, "missing sourcedId");
			continue;
		}
		if (parse_status(rcsv_get(r, c_status)) < 0) {
			rim_problem(im, c->path, r->line, "unknown status '%s'",
				    rcsv_get(r, c_status));
			continue;
		}
		if (!strcasecmp(rcsv_get(r, c_type), "district") && !im->rep->district)
			im->rep->district = talloc_strdup(im->rep, rcsv_get(r, c_name));
	}
}

/* Whether a person defined now stays inactive because someone deactivated them by hand. */
static void set_active(struct rperson *p)
{
	if (p->cur.id && !p->cur.active && p->cur.manual_inactive) {
		p->want.active = false;
		p->want.manual_inactive = true;
	} else {
		p->want.active = true;
		p->want.manual_inactive = false;
	}
}

/* users.csv's columns. */
struct user_cols {
	int id, status, enabled, role, given, family, sms, phone, agents, email, title;
};

/* One row of users.csv. */
struct user_row {
	const char *path;
	unsigned line;
	const char *sid, *status, *enabled, *role_s, *given, *family, *agents, *email, *title;
	const char *phone_s; /* sms, the number that takes texts; else phone (maybe a landline) */
};

static void user_row_read(const struct rcsv *c, const struct rcsv_row *r,
			  const struct user_cols *col, struct user_row *u)
{
	u->path = c->path;
	u->line = r->line;
	u->sid = rcsv_get(r, col->id);
	u->status = rcsv_get(r, col->status);
	u->enabled = rcsv_get(r, col->enabled);
	u->role_s = rcsv_get(r, col->role);
	u->given = rcsv_get(r, col->given);
	u->family = rcsv_get(r, col->family);
	u->agents = rcsv_get(r, col->agents);
	u->email = rcsv_get(r, col->email);
	u->title = rcsv_get(r, col->title);
	u->phone_s = rcsv_get(r, col->sms);
	if (!*u->phone_s)
		u->phone_s = rcsv_get(r, col->phone);
}

/* A sourcedId, given once. `lines` maps those seen to their line. */
static bool user_id_first(struct rimport *im, struct rmap *lines, const struct user_row *u)
{
	uintptr_t first;

	if (!*u->sid) {
		rim_problem(im, u->path, u->line, "missing sourcedId");
		return false;
	}
	if ((first = (uintptr_t)rmap_get(lines, u->sid))) {
		rim_problem(im, u->path, u->line, "duplicate sourcedId '%s' (first on line %u)",
			    u->sid, (unsigned)first);
		return false;
	}
	rmap_put(lines, u->sid, (void *)(uintptr_t)u->line);
	return true;
}

/* Is the user on their way out (status tobedeleted or inactive, enabledUser false)?
 * 1 yes, 0 no, -1 when status or enabledUser cannot be read (reported). */
static int user_deleting(struct rimport *im, const struct user_row *u)
{
	int status = parse_status(u->status);

	if (status < 0) {
		rim_problem(im, u->path, u->line, "unknown status '%s' (active or tobedeleted)",
			    u->status);
		return -1;
	}
	if (!strcasecmp(u->enabled, "false") || !strcmp(u->enabled, "0"))
		return 1;
	if (*u->enabled && strcasecmp(u->enabled, "true") && strcmp(u->enabled, "1")) {
		rim_problem(im, u->path, u->line, "enabledUser '%s' is neither true nor false",
			    u->enabled);
		return -1;
	}
	return status == 1;
}

/* The directory's role for the user's OneRoster role; false when unknown (reported). */
static bool user_role(struct rimport *im, const struct user_row *u, enum dir_role *role)
{
	bool found = false;

	for (unsigned j = 0; j < ARRAY_SIZE(oneroster_roles); j++) {
		if (!strcasecmp(u->role_s, oneroster_roles[j].word)) {
			*role = oneroster_roles[j].role;
			found = true;
		}
	}
	if (!found)
		rim_problem(im, u->path, u->line, "%s role '%s'",
			    *u->role_s ? "unknown" : "missing", u->role_s);
	return found;
}

/* Does the district count this OneRoster role as a guardian's? The roles are a
 * comma-separated list (roster_options.guardian_roles), compared without case. */
static bool counts_as_guardian(const struct rimport *im, const char *role)
{
	const char *list =
	    im->opt && im->opt->guardian_roles ? im->opt->guardian_roles : ROSTER_GUARDIAN_ROLES;
	size_t n = strlen(role);

	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && !strncasecmp(p, role, n))
			return true;
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

/* A user on their way out is deactivated (unless never imported: nothing to do). */
static void user_deactivate(struct rperson *p, const struct user_row *u)
{
	p->seen_in = RF_USERS;
	p->path = u->path;
	p->line = u->line;
	p->want.origin = STORE_ORIGIN_ONEROSTER;
	p->want.manual_inactive = p->cur.id && !p->cur.active && p->cur.manual_inactive;
	p->want.active = false;
}

/* givenName and familyName: present, and names. */
static bool user_names_valid(struct rimport *im, const struct user_row *u)
{
	if (!*u->given || !*u->family) {
		rim_problem(im, u->path, u->line, "missing %s",
			    !*u->given ? "givenName" : "familyName");
		return false;
	}
	if (!roster_name_valid(u->given) || !roster_name_valid(u->family)) {
		rim_problem(im, u->path, u->line,
			    "%s is not a name (control characters, or over 100 bytes)",
			    !roster_name_valid(u->given) ? "givenName" : "familyName");
		return false;
	}
	return true;
}

/* The person as users.csv defines them. */
static void user_define(struct rimport *im, const struct user_row *u, struct rperson *p,
			enum dir_role role)
{
	p->seen_in = RF_USERS;
	p->path = u->path;
	p->line = u->line;
	p->order = im->next_order++;
	p->want.origin = STORE_ORIGIN_ONEROSTER;
	p->want.role = role;
	p->want.given = talloc_strdup(p, u->given);
	p->want.family = talloc_strdup(p, u->family);
	p->want.phone = rim_phone(im, u->path, u->line, "phone", u->phone_s);
	set_active(p);
	p->default_title = !strcasecmp(u->role_s, "teacher") ? DIR_T_TEACHER : DIR_T_NONE;
	p->title_from_users = false;
	if (*u->title) {
		enum dir_title t;

		if (dir_title_parse(u->title, &t) < 0)
			rim_problem(im, u->path, u->line,
				    "unknown title '%s' (teacher, coach, advisor, volunteer, "
				    "athletic_director, principal, assistant_principal, counselor, "
				    "nurse, or none); title left as it is",
				    u->title);
		else if (t != DIR_T_NONE && (role == DIR_STUDENT || role == DIR_GUARDIAN))
			rim_problem(im, u->path, u->line, "a %s has no title; title '%s' left out",
				    role == DIR_STUDENT ? "student" : "guardian", u->title);
		else {
			p->default_title = t;
			p->title_from_users = true;
		}
	}
	if (*u->agents)
		p->agents = talloc_strdup(p, u->agents);
	if (role == DIR_GUARDIAN)
		p->oneroster_role = rim_lower(p, u->role_s, 0);
	p->email = *u->email ? rim_lower(p, u->email, 0) : NULL;
}

/* Given names compared as people read them: letters without case (ASCII), and any run of
 * spaces — no-break, thin, ideographic — as one space. */
static bool same_given(const char *a, const char *b)
{
	while (*a || *b) {
		size_t sa = roster_space_len(a), sb = roster_space_len(b);

		if (sa || sb) {
			if (!sa || !sb)
				return false;
			while ((sa = roster_space_len(a)))
				a += sa;
			while ((sb = roster_space_len(b)))
				b += sb;
			continue;
		}
		if (!*a || !*b)
			return false;
		if ((*a >= 'A' && *a <= 'Z' ? *a + 32 : *a) !=
		    (*b >= 'A' && *b <= 'Z' ? *b + 32 : *b))
			return false;
		a++;
		b++;
	}
	return true;
}

/* The same adult twice: a staff member (or administrator) and a parent or guardian with
 * the same given name and the same phone or e-mail. */
static bool same_adult(const struct rperson *staff, const struct rperson *g)
{
	bool phone =
	    staff->want.phone && g->want.phone && !strcmp(staff->want.phone, g->want.phone);
	bool email = staff->email && g->email && !strcmp(staff->email, g->email);

	return (phone || email) && same_given(staff->want.given, g->want.given);
}

/* Append a users.csv agentSourcedIds list to another. */
static void add_agents(struct rperson *to, const char *more)
{
	if (!more || !*more)
		return;
	to->agents =
	    to->agents ? talloc_asprintf(to, "%s,%s", to->agents, more) : talloc_strdup(to, more);
}

/* OneRoster lists a teacher who is also a parent twice, a teacher row and a parent row.
 * They are one person with one phone: the staff row stays, takes the parent row's
 * children, and the parent row's sourcedId names the staff member from here on. A parent
 * row imported before the merge is deactivated. */
static void merge_roles(struct rimport *im)
{
	for (unsigned i = 0; i < im->n_persons; i++) {
		struct rperson *g = im->persons[i];

		if (g->seen_in != RF_USERS || g->want.role != DIR_GUARDIAN || !g->want.active)
			continue;
		for (unsigned j = 0; j < im->n_persons; j++) {
			struct rperson *st = im->persons[j];

			if (st->seen_in != RF_USERS ||
			    (st->want.role != DIR_STAFF && st->want.role != DIR_ADMIN) ||
			    !st->want.active || st->merged_into || !same_adult(st, g))
				continue;
			st->guardian_too = true;
			if (!st->oneroster_role)
				st->oneroster_role = g->oneroster_role;
			add_agents(st, g->agents);
			g->merged_into = st;
			g->want.active = false;
			g->want.manual_inactive = false;
			rmap_put(im->by_source, g->want.source_id, st);
			im->rep->merged++;
			rim_note(im, g->path, g->line,
				 "'%s' (%s) is '%s' (%s, line %u), the same person: imported once, "
				 "as staff and guardian",
				 g->want.source_id, g->oneroster_role, st->want.source_id,
				 store_role_word(st->want.role), st->line);
			break;
		}
	}
}

void roster_read_users(struct rimport *im)
{
	struct rcsv *c = im->files[RF_USERS];
	const struct user_cols col = {
	    .id = rcsv_col(c, "sourcedId"),
	    .status = rcsv_col(c, "status"),
	    .enabled = rcsv_col(c, "enabledUser"),
	    .role = rcsv_col(c, "role"),
	    .given = rcsv_col(c, "givenName"),
	    .family = rcsv_col(c, "familyName"),
	    .sms = rcsv_col(c, "sms"),
	    .phone = rcsv_col(c, "phone"),
	    .agents = rcsv_col(c, "agentSourcedIds"),
	    .email = rcsv_col(c, "email"),
	    /* OneRoster extension column (metadata.*), or the plain name some SIS use. */
	    .title = rcsv_col(c, "metadata.title") >= 0 ? rcsv_col(c, "metadata.title")
							: rcsv_col(c, "title"),
	};
	struct rmap *lines = rmap_new(im->ctx);

	for (unsigned i = 0; i < c->n_rows; i++) {
		struct user_row u;
		enum dir_role role = DIR_STUDENT;
		struct rperson *p;
		int deleting;

		user_row_read(c, &c->rows[i], &col, &u);
		if (c->rows[i].bad) {
			rim_keep(im, u.sid);
			continue;
		}
		if (!user_id_first(im, lines, &u))
			continue;
		/* A row rejected from here on leaves its person as they are. */
		if ((deleting = user_deleting(im, &u)) < 0 || !user_role(im, &u, &role)) {
			rim_keep(im, u.sid);
			continue;
		}
		p = rim_person_by_source(im, u.sid);
		/* A relative is not a guardian unless the district says so: not imported (one
		 * imported before is deactivated), and never linked to a student below. */
		if (role == DIR_GUARDIAN && !counts_as_guardian(im, u.role_s)) {
			rmap_put(im->not_guardians, u.sid, (void *)1);
			im->rep->not_guardians++;
			rim_note(im, u.path, u.line,
				 "'%s' (%s) is not counted as a guardian; not imported", u.sid,
				 u.role_s);
			deleting = 1;
		} else if (deleting) {
			rmap_put(im->leaving, u.sid, (void *)1);
		}
		if (deleting) {
			if (p)
				user_deactivate(p, &u);
			continue;
		}
		if (!user_names_valid(im, &u)) {
			rim_keep(im, u.sid);
			continue;
		}
		if (!p && !(p = rim_person_new(im, u.sid)))
			continue;
		user_define(im, &u, p, role);
	}
	talloc_free(lines);
	merge_roles(im);
}

void roster_resolve_agents(struct rimport *im)
{
	struct rcsv *c = im->files[RF_USERS];

	for (unsigned i = 0; c && i < im->n_persons; i++) {
		struct rperson *p = im->persons[i];
		char *list, *save = NULL, *a;

		if (!p->agents || p->seen_in != RF_USERS || p->merged_into)
			continue;
		list = talloc_strdup(im->ctx, p->agents);
		/* A multi-valued OneRoster field: ids separated by commas inside one field. */
		for (a = strtok_r(list, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
			char *id = rim_trim(list, a); /* ids are case-sensitive: trim only */
			struct rperson *q;

			if (!*id || rmap_get(im->not_guardians, id))
				continue;
			q = rim_person_by_source(im, id);
			if (!q) {
				if (rmap_get(im->leaving, id))
					rim_note(im, c->path, p->line,
						 "agent '%s' is being deleted (tobedeleted or "
						 "disabled); link skipped",
						 id);
				else if (!rim_was_rejected(im, id))
					rim_problem(
					    im, c->path, p->line,
					    "unknown agentSourcedIds entry '%s'; link skipped", id);
				continue;
			}
			if (p->want.role == DIR_STUDENT &&
			    (q->want.role == DIR_GUARDIAN || q->guardian_too))
				rim_guardianship(im, p, q, q->oneroster_role,
						 STORE_ORIGIN_ONEROSTER);
			else if ((p->want.role == DIR_GUARDIAN || p->guardian_too) &&
				 q->want.role == DIR_STUDENT)
				rim_guardianship(im, q, p, p->oneroster_role,
						 STORE_ORIGIN_ONEROSTER);
			else
				rim_problem(
				    im, c->path, p->line,
				    "agent '%s' is a %s: a %s's agents must be %s; link skipped",
				    id, role_noun(q->want.role), role_noun(p->want.role),
				    p->want.role == DIR_STUDENT ? "guardians" : "students");
		}
		talloc_free(list);
	}
}

void roster_read_classes(struct rimport *im)
{
	struct rcsv *c = im->files[RF_CLASSES];
	int c_id = rcsv_col(c, "sourcedId"), c_status = rcsv_col(c, "status"),
	    c_title = rcsv_col(c, "title"), c_code = rcsv_col(c, "classCode"),
	    c_school = rcsv_col(c, "schoolSourcedId");
	struct rmap *lines = rmap_new(im->ctx);

	for (unsigned i = 0; i < c->n_rows; i++) {
		const struct rcsv_row *r = &c->rows[i];
		const char *sid = rcsv_get(r, c_id), *title = rcsv_get(r, c_title),
			   *school = rcsv_get(r, c_school);
		struct rteam *t = *sid ? rmap_get(im->team_by_source, sid) : NULL;
		uintptr_t first;
		int status;

		if (r->bad) {
			rim_keep_team(im, t);
			continue;
		}
		if (!*sid) {
			rim_problem(im, c->path, r->line, "missing sourcedId");
			continue;
		}
		if ((first = (uintptr_t)rmap_get(lines, sid))) {
			rim_problem(im, c->path, r->line,
				    "duplicate sourcedId '%s' (first on line %u)", sid,
				    (unsigned)first);
			continue;
		}
		rmap_put(lines, sid, (void *)(uintptr_t)r->line);
		if (t && t->want.origin && strcmp(t->want.origin, STORE_ORIGIN_ONEROSTER)) {
			rim_problem(im, c->path, r->line,
				    "sourcedId '%s' is team %s's, not a class", sid, t->want.tag);
			continue;
		}
		status = parse_status(rcsv_get(r, c_status));
		if (status < 0) {
			rim_problem(im, c->path, r->line,
				    "unknown status '%s' (active or tobedeleted)",
				    rcsv_get(r, c_status));
			rim_keep_team(im, t);
			continue;
		}
		if (*school && im->files[RF_ORGS] && !rmap_get(im->org_ids, school)) {
			rim_problem(im, c->path, r->line, "unknown schoolSourcedId '%s'", school);
			rim_keep_team(im, t);
			continue;
		}
		if (status == 1) {
			rmap_put(im->leaving, sid, (void *)1);
			if (t) {
				t->seen = true;
				t->path = c->path;
				t->line = r->line;
				t->want.manual_inactive =
				    t->cur.id && !t->cur.active && t->cur.manual_inactive;
				t->want.active = false;
			}
			continue;
		}
		if (!*title || !roster_name_valid(title)) {
			rim_problem(im, c->path, r->line, "%s title",
				    *title ? "invalid" : "missing");
			rim_keep_team(im, t);
			continue;
		}
		if (!t) {
			if (!(t = rim_team_new(im)))
				continue;
			t->want.source_id = talloc_strdup(t, sid);
			t->tag_base =
			    talloc_strdup(t, *rcsv_get(r, c_code) ? rcsv_get(r, c_code) : title);
			rmap_put(im->team_by_source, sid, t);
		}
		t->seen = true;
		t->path = c->path;
		t->line = r->line;
		t->want.origin = STORE_ORIGIN_ONEROSTER;
		t->want.name = talloc_strdup(t, title);
		/* A class is a class, unless the district made it something else by hand. */
		t->want.kind = t->cur.id && t->cur.kind ? t->cur.kind : "class";
		if (t->cur.id && !t->cur.active && t->cur.manual_inactive) {
			t->want.active = false;
			t->want.manual_inactive = true;
		} else {
			t->want.active = true;
			t->want.manual_inactive = false;
		}
	}
	talloc_free(lines);
}

void roster_read_enrollments(struct rimport *im)
{
	struct rcsv *c = im->files[RF_ENROLLMENTS];
	int c_id = rcsv_col(c, "sourcedId"), c_status = rcsv_col(c, "status"),
	    c_class = rcsv_col(c, "classSourcedId"), c_user = rcsv_col(c, "userSourcedId");
	struct rmap *lines = rmap_new(im->ctx);

	for (unsigned i = 0; i < c->n_rows; i++) {
		const struct rcsv_row *r = &c->rows[i];
		const char *sid = rcsv_get(r, c_id), *class_id = rcsv_get(r, c_class),
			   *user_id = rcsv_get(r, c_user);
		struct rteam *t = *class_id ? rmap_get(im->team_by_source, class_id) : NULL;
		struct rperson *p;
		uintptr_t first;
		int status;

		if (r->bad) {
			/* Whatever the row said, the class's membership is not known in full. */
			rim_keep_team(im, t);
			continue;
		}
		if (*sid) {
			if ((first = (uintptr_t)rmap_get(lines, sid))) {
				rim_problem(im, c->path, r->line,
					    "duplicate sourcedId '%s' (first on line %u)", sid,
					    (unsigned)first);
				continue;
			}
			rmap_put(lines, sid, (void *)(uintptr_t)r->line);
		}
		status = parse_status(rcsv_get(r, c_status));
		if (status < 0) {
			rim_problem(im, c->path, r->line,
				    "unknown status '%s' (active or tobedeleted)",
				    rcsv_get(r, c_status));
			rim_keep_team(im, t);
			continue;
		}
		if (status == 1)
			continue;
		if (!*class_id || !*user_id) {
			rim_problem(im, c->path, r->line, "missing %s",
				    !*class_id ? "classSourcedId" : "userSourcedId");
			continue;
		}
		if (!t || !t->want.origin || strcmp(t->want.origin, STORE_ORIGIN_ONEROSTER)) {
			if (rmap_get(im->leaving, class_id))
				rim_note(im, c->path, r->line,
					 "class '%s' is being deleted (tobedeleted); enrollment "
					 "skipped",
					 class_id);
			else
				rim_problem(im, c->path, r->line, "unknown classSourcedId '%s'",
					    class_id);
			continue;
		}
		p = rim_person_by_source(im, user_id);
		if (!p) {
			if (rmap_get(im->leaving, user_id))
				rim_note(im, c->path, r->line,
					 "user '%s' is being deleted (tobedeleted or disabled); "
					 "enrollment skipped",
					 user_id);
			else if (rmap_get(im->not_guardians, user_id))
				rim_note(im, c->path, r->line,
					 "'%s' is not counted as a guardian; enrollment skipped",
					 user_id);
			else if (!rim_was_rejected(im, user_id))
				rim_problem(im, c->path, r->line, "unknown userSourcedId '%s'",
					    user_id);
			continue;
		}
		if (p->want.role == DIR_GUARDIAN) {
			rim_problem(im, c->path, r->line,
				    "'%s' is a guardian: guardians are not class members", user_id);
			continue;
		}
		/* Enrollments of people who left are expected in an export; skip quietly. */
		if (!p->want.active || !t->want.active)
			continue;
		rim_team_add(t, &t->members, &t->n_members, p);
	}
	talloc_free(lines);
}
