/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* guardians.csv: guardian links and phones, for SIS exports that lack them.
 *
 *   student_id,guardian_id,guardian_given,guardian_family,guardian_phone,relationship
 *
 * One row per student and guardian. A guardian with several students has several rows
 * (the same guardian_id). A guardian_id that is a guardian in users.csv links that person,
 * and their phone fills in a phone users.csv lacks: the SIS stays the source of truth
 * for what it has. A guardian_id naming a staff member or administrator (by sourcedId,
 * or by handle as "@marcusb") makes them the student's guardian too: one person, several
 * roles. */
#include <string.h>

#include <talloc.h>

#include "gateway/roster/roster_internal.h"

static const char *role_noun(enum dir_role r)
{
	static const char *const n[] = {"student", "guardian", "staff member", "administrator"};

	return (unsigned)r < 4 ? n[r] : "person";
}

/* guardians.csv's columns. */
struct guardian_cols {
	int student, guardian, given, family, phone, rel;
};

/* One row of guardians.csv. */
struct guardian_row {
	const char *path;
	unsigned line;
	const char *sref, *gid, *given, *family, *phone_s;
	char *rel; /* lower case; emptied when not usable */
};

static void guardian_row_read(struct rimport *im, const struct rcsv *c, const struct rcsv_row *r,
			      const struct guardian_cols *col, struct guardian_row *gr)
{
	gr->path = c->path;
	gr->line = r->line;
	gr->sref = rcsv_get(r, col->student);
	gr->gid = rcsv_get(r, col->guardian);
	gr->given = rcsv_get(r, col->given);
	gr->family = rcsv_get(r, col->family);
	gr->phone_s = rcsv_get(r, col->phone);
	gr->rel = rim_lower(im->ctx, rcsv_get(r, col->rel), 0);
}

/* The student a row names. NULL when the row is rejected (reported; the guardian it
 * names is then left as they are). */
static struct rperson *row_student(struct rimport *im, const struct guardian_row *gr)
{
	struct rperson *student;

	if (!*gr->sref || !*gr->gid) {
		rim_problem(im, gr->path, gr->line, "missing %s",
			    !*gr->sref ? "student_id" : "guardian_id");
		rim_keep(im, gr->gid);
		return NULL;
	}
	student = rim_person_ref(im, gr->sref);
	if (!student) {
		rim_problem(im, gr->path, gr->line, "unknown student '%s'%s", gr->sref,
			    rim_was_rejected(im, gr->sref) ? " (its row was rejected)" : "");
		rim_keep(im, gr->gid);
		return NULL;
	}
	if (student->want.role != DIR_STUDENT) {
		rim_problem(im, gr->path, gr->line, "'%s' is a %s, not a student", gr->sref,
			    role_noun(student->want.role));
		rim_keep(im, gr->gid);
		return NULL;
	}
	return student;
}

/* One row per student and guardian. `pairs` maps the pairs seen to their line. */
static bool row_first_for_pair(struct rimport *im, struct rmap *pairs,
			       const struct guardian_row *gr, const struct rperson *student)
{
	char *key = talloc_asprintf(im->ctx, "%p/%s", (void *)student, gr->gid);
	uintptr_t first;

	if ((first = (uintptr_t)rmap_get(pairs, key))) {
		rim_problem(im, gr->path, gr->line,
			    "duplicate row for student '%s' and guardian '%s' (first on line %u)",
			    gr->sref, gr->gid, (unsigned)first);
		return false;
	}
	rmap_put(pairs, key, (void *)(uintptr_t)gr->line);
	return true;
}

/* A relationship that is not a short word is left out; the row still counts. */
static void row_relationship(struct rimport *im, struct guardian_row *gr)
{
	if (*gr->rel && (!roster_name_valid(gr->rel) || strlen(gr->rel) > 32)) {
		rim_problem(im, gr->path, gr->line,
			    "relationship is not a word of at most 32 characters; left out");
		gr->rel[0] = '\0';
	}
}

static bool is_adult_staff(const struct rperson *p)
{
	return p->want.role == DIR_STAFF || p->want.role == DIR_ADMIN;
}

/* A guardian users.csv defines: the row links them, and its phone fills in one
 * users.csv lacks. A staff member may be a student's parent too. */
static bool guardian_from_users(struct rimport *im, const struct guardian_row *gr,
				struct rperson *g)
{
	if (g->want.role == DIR_STUDENT) {
		rim_problem(im, gr->path, gr->line,
			    "'%s' is a student in users.csv, not a guardian", gr->gid);
		return false;
	}
	if (!g->want.phone && *gr->phone_s)
		g->want.phone = rim_phone(im, gr->path, gr->line, "guardian_phone", gr->phone_s);
	return true;
}

/* The same guardian on another row: it must say the same. */
static bool guardian_again(struct rimport *im, const struct guardian_row *gr, struct rperson *g)
{
	const char *phone = NULL;

	if ((*gr->given && strcmp(gr->given, g->want.given)) ||
	    (*gr->family && strcmp(gr->family, g->want.family))) {
		rim_problem(im, gr->path, gr->line,
			    "guardian '%s' is named %s %s on line %u; row skipped", gr->gid,
			    g->want.given, g->want.family, g->line);
		return false;
	}
	if (*gr->phone_s &&
	    !(phone = rim_phone(im, gr->path, gr->line, "guardian_phone", gr->phone_s)))
		return false;
	if (phone && g->want.phone && strcmp(phone, g->want.phone)) {
		rim_problem(im, gr->path, gr->line,
			    "guardian '%s' has phone %s on line %u; row skipped", gr->gid,
			    g->want.phone, g->line);
		return false;
	}
	if (phone)
		g->want.phone = phone;
	return true;
}

/* A guardian this file defines (g: the person of that id in the database, or NULL).
 * NULL when the row is rejected. */
static struct rperson *guardian_define(struct rimport *im, const struct guardian_row *gr,
				       struct rperson *g)
{
	if (g && g->want.role != DIR_GUARDIAN) {
		rim_problem(im, gr->path, gr->line, "'%s' is a %s, not a guardian", gr->gid,
			    role_noun(g->want.role));
		return NULL;
	}
	if (!*gr->given || !*gr->family) {
		rim_problem(im, gr->path, gr->line, "missing %s",
			    !*gr->given ? "guardian_given" : "guardian_family");
		rim_keep(im, gr->gid);
		return NULL;
	}
	if (!roster_name_valid(gr->given) || !roster_name_valid(gr->family)) {
		rim_problem(im, gr->path, gr->line,
			    "%s is not a name (control characters, or over 100 bytes)",
			    !roster_name_valid(gr->given) ? "guardian_given" : "guardian_family");
		rim_keep(im, gr->gid);
		return NULL;
	}
	if (!g && !(g = rim_person_new(im, gr->gid)))
		return NULL;
	g->seen_in = RF_GUARDIANS;
	g->path = gr->path;
	g->line = gr->line;
	g->order = im->next_order++;
	g->want.origin = STORE_ORIGIN_GUARDIANS;
	g->want.role = DIR_GUARDIAN;
	g->want.given = talloc_strdup(g, gr->given);
	g->want.family = talloc_strdup(g, gr->family);
	g->want.phone = rim_phone(im, gr->path, gr->line, "guardian_phone", gr->phone_s);
	g->default_title = DIR_T_NONE;
	if (g->cur.id && !g->cur.active && g->cur.manual_inactive) {
		g->want.active = false;
		g->want.manual_inactive = true;
	} else {
		g->want.active = true;
		g->want.manual_inactive = false;
	}
	return g;
}

/* The guardian a row names, defined by users.csv, by an earlier row or by this one.
 * NULL when the row is rejected (reported). */
static struct rperson *row_guardian(struct rimport *im, const struct guardian_row *gr)
{
	struct rperson *g = rim_person_by_source(im, gr->gid);

	/* A staff member named by handle ("@marcusb"), or one already in the directory:
	 * linked as they are, the row's names and phone are theirs already. */
	if (!g && gr->gid[0] == '@')
		g = rim_person_ref(im, gr->gid);
	if (g && is_adult_staff(g) && g->seen_in != RF_GUARDIANS) {
		if (g->seen_in == RF_N && !g->cur.active) {
			rim_problem(im, gr->path, gr->line, "'%s' is not active", gr->gid);
			return NULL;
		}
		return guardian_from_users(im, gr, g) ? g : NULL;
	}
	if (!g && gr->gid[0] == '@') {
		rim_problem(im, gr->path, gr->line, "nobody has the handle '%s'", gr->gid + 1);
		return NULL;
	}
	if (g && g->seen_in == RF_USERS)
		return guardian_from_users(im, gr, g) ? g : NULL;
	if (g && g->seen_in == RF_GUARDIANS)
		return guardian_again(im, gr, g) ? g : NULL;
	return guardian_define(im, gr, g);
}

void roster_read_guardians(struct rimport *im)
{
	struct rcsv *c = im->files[RF_GUARDIANS];
	const struct guardian_cols col = {
	    .student = rcsv_col(c, "student_id"),
	    .guardian = rcsv_col(c, "guardian_id"),
	    .given = rcsv_col(c, "guardian_given"),
	    .family = rcsv_col(c, "guardian_family"),
	    .phone = rcsv_col(c, "guardian_phone"),
	    .rel = rcsv_col(c, "relationship"),
	};
	struct rmap *pairs = rmap_new(im->ctx);

	for (unsigned i = 0; i < c->n_rows; i++) {
		struct guardian_row gr;
		struct rperson *student, *g;

		guardian_row_read(im, c, &c->rows[i], &col, &gr);
		if (c->rows[i].bad) {
			rim_keep(im, gr.gid);
			continue;
		}
		if (!(student = row_student(im, &gr)) ||
		    !row_first_for_pair(im, pairs, &gr, student))
			continue;
		row_relationship(im, &gr);
		if (!(g = row_guardian(im, &gr)))
			continue;
		rim_guardianship(im, student, g, *gr.rel ? gr.rel : NULL, STORE_ORIGIN_GUARDIANS);
	}
	talloc_free(pairs);
}
