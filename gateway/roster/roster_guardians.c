/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* guardians.csv: guardian links and phones, for SIS exports that lack them.
 *
 *   student_id,guardian_id,guardian_given,guardian_family,guardian_phone,relationship
 *
 * One row per student and guardian. A guardian with several students has several rows
 * (the same guardian_id). A guardian_id that is a guardian in users.csv links that person,
 * and their phone fills in a phone users.csv lacks: the SIS stays the source of truth
 * for what it has. */
#include <string.h>

#include <talloc.h>

#include "gateway/roster/roster_internal.h"

static const char *role_noun(enum dir_role r)
{
	static const char *const n[] = {"student", "guardian", "staff member", "administrator"};

	return (unsigned)r < 4 ? n[r] : "person";
}

void roster_read_guardians(struct rimport *im)
{
	struct rcsv *c = im->files[RF_GUARDIANS];
	int c_student = rcsv_col(c, "student_id"), c_guardian = rcsv_col(c, "guardian_id"),
	    c_given = rcsv_col(c, "guardian_given"), c_family = rcsv_col(c, "guardian_family"),
	    c_phone = rcsv_col(c, "guardian_phone"), c_rel = rcsv_col(c, "relationship");
	struct rmap *pairs = rmap_new(im->ctx);

	for (unsigned i = 0; i < c->n_rows; i++) {
		const struct rcsv_row *r = &c->rows[i];
		const char *sref = rcsv_get(r, c_student), *gid = rcsv_get(r, c_guardian);
		const char *given = rcsv_get(r, c_given), *family = rcsv_get(r, c_family);
		const char *phone_s = rcsv_get(r, c_phone);
		char *rel = rim_lower(im->ctx, rcsv_get(r, c_rel), 0);
		struct rperson *student, *g;
		char *key;
		uintptr_t first;

		if (r->bad) {
			rim_keep(im, gid);
			continue;
		}
		if (!*sref || !*gid) {
			rim_problem(im, c->path, r->line, "missing %s",
				    !*sref ? "student_id" : "guardian_id");
			rim_keep(im, gid);
			continue;
		}
		student = rim_person_ref(im, sref);
		if (!student) {
			rim_problem(im, c->path, r->line, "unknown student '%s'%s", sref,
				    rim_was_rejected(im, sref) ? " (its row was rejected)" : "");
			rim_keep(im, gid);
			continue;
		}
		if (student->want.role != DIR_STUDENT) {
			rim_problem(im, c->path, r->line, "'%s' is a %s, not a student", sref,
				    role_noun(student->want.role));
			rim_keep(im, gid);
			continue;
		}
		key = talloc_asprintf(im->ctx, "%p/%s", (void *)student, gid);
		if ((first = (uintptr_t)rmap_get(pairs, key))) {
			rim_problem(
			    im, c->path, r->line,
			    "duplicate row for student '%s' and guardian '%s' (first on line %u)",
			    sref, gid, (unsigned)first);
			continue;
		}
		rmap_put(pairs, key, (void *)(uintptr_t)r->line);
		if (*rel && (!roster_name_valid(rel) || strlen(rel) > 32)) {
			rim_problem(
			    im, c->path, r->line,
			    "relationship is not a word of at most 32 characters; left out");
			rel[0] = '\0';
		}

		g = rim_person_by_source(im, gid);
		if (g && g->seen_in == RF_USERS) {
			if (g->want.role != DIR_GUARDIAN) {
				rim_problem(im, c->path, r->line,
					    "'%s' is a %s in users.csv, not a guardian", gid,
					    role_noun(g->want.role));
				continue;
			}
			if (!g->want.phone && *phone_s)
				g->want.phone =
				    rim_phone(im, c->path, r->line, "guardian_phone", phone_s);
		} else if (g && g->seen_in == RF_GUARDIANS) {
			/* The same guardian on another row: it must say the same. */
			const char *phone = NULL;

			if ((*given && strcmp(given, g->want.given)) ||
			    (*family && strcmp(family, g->want.family))) {
				rim_problem(im, c->path, r->line,
					    "guardian '%s' is named %s %s on line %u; row skipped",
					    gid, g->want.given, g->want.family, g->line);
				continue;
			}
			if (*phone_s &&
			    !(phone = rim_phone(im, c->path, r->line, "guardian_phone", phone_s)))
				continue;
			if (phone && g->want.phone && strcmp(phone, g->want.phone)) {
				rim_problem(im, c->path, r->line,
					    "guardian '%s' has phone %s on line %u; row skipped",
					    gid, g->want.phone, g->line);
				continue;
			}
			if (phone)
				g->want.phone = phone;
		} else {
			if (g && g->want.role != DIR_GUARDIAN) {
				rim_problem(im, c->path, r->line, "'%s' is a %s, not a guardian",
					    gid, role_noun(g->want.role));
				continue;
			}
			if (!*given || !*family) {
				rim_problem(im, c->path, r->line, "missing %s",
					    !*given ? "guardian_given" : "guardian_family");
				rim_keep(im, gid);
				continue;
			}
			if (!roster_name_valid(given) || !roster_name_valid(family)) {
				rim_problem(
				    im, c->path, r->line,
				    "%s is not a name (control characters, or over 100 bytes)",
				    !roster_name_valid(given) ? "guardian_given"
							      : "guardian_family");
				rim_keep(im, gid);
				continue;
			}
			if (!g && !(g = rim_person_new(im, gid)))
				continue;
			g->seen_in = RF_GUARDIANS;
			g->path = c->path;
			g->line = r->line;
			g->order = im->next_order++;
			g->want.origin = STORE_ORIGIN_GUARDIANS;
			g->want.role = DIR_GUARDIAN;
			g->want.given = talloc_strdup(g, given);
			g->want.family = talloc_strdup(g, family);
			g->want.phone = rim_phone(im, c->path, r->line, "guardian_phone", phone_s);
			g->default_title = DIR_T_NONE;
			if (g->cur.id && !g->cur.active && g->cur.manual_inactive) {
				g->want.active = false;
				g->want.manual_inactive = true;
			} else {
				g->want.active = true;
				g->want.manual_inactive = false;
			}
		}
		rim_guardianship(im, student, g, *rel ? rel : NULL, STORE_ORIGIN_GUARDIANS);
	}
	talloc_free(pairs);
}
