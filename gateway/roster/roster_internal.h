/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Roster import internals, shared by roster_*.c only.
 *
 * The import works in three steps: read every file present into rows (roster_csv.c);
 * build the directory the district wants, starting from what the database holds and
 * applying each file's rows over it (roster_oneroster.c, roster_guardians.c,
 * roster_teams.c), reporting bad rows as it goes; then compare and write the differences
 * in one transaction (roster_apply.c). */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/directory/directory_store.h"
#include "gateway/roster/roster.h"

/* --- CSV ------------------------------------------------------------------------------- */

struct rcsv_row {
	unsigned line; /* physical line the row starts on (the header is line 1) */
	char **f;      /* fields, NUL-terminated */
	unsigned n;
	bool bad; /* broken: reported already; only its id field may be looked at */
};

struct rcsv {
	const char *name; /* "users.csv" */
	const char *path; /* as reported: DIR/users.csv */
	char **cols;	  /* header */
	unsigned n_cols;
	struct rcsv_row *rows;
	unsigned n_rows;
};

struct rimport;

/* Read DIR/name. Returns 1 when read (rows may be bad, reported), 0 when the file does
 * not exist, -1 when it exists but cannot be used (reported as a file-level error). */
int rcsv_read(struct rimport *im, const char *name, struct rcsv **out);
/* Column index by name, case-insensitive; -1 when absent. */
int rcsv_col(const struct rcsv *c, const char *name);
/* Field of a row by column index; "" when the column is absent or the row short. */
const char *rcsv_get(const struct rcsv_row *r, int col);
/* Fail the import (file-level) unless every listed column is present. */
bool rcsv_require(struct rimport *im, const struct rcsv *c, const char *const *cols);

/* --- A string map ---------------------------------------------------------------------- */

struct rmap;
struct rmap *rmap_new(void *ctx);
void *rmap_get(const struct rmap *m, const char *key);
/* Insert or replace. The key is copied. */
void rmap_put(struct rmap *m, const char *key, void *val);

/* --- The wanted directory -------------------------------------------------------------- */

enum rfile {
	RF_MANIFEST,
	RF_ORGS,
	RF_USERS,
	RF_CLASSES,
	RF_ENROLLMENTS,
	RF_GUARDIANS,
	RF_TEAMS,
	RF_TITLES,
	RF_N,
};

struct rperson {
	struct store_person cur;  /* as in the database; cur.id == 0 for a new person */
	struct store_person want; /* as this import leaves them */
	enum rfile seen_in;	  /* RF_USERS or RF_GUARDIANS when defined now; RF_N if not */
	bool keep;		  /* a rejected row names them: leave them as they are */
	bool title_listed;	  /* titles.csv gives their title */
	bool title_from_users;	  /* users.csv's title column gives it (default_title) */
	enum dir_title default_title;
	const char *path; /* where defined, for problems found later */
	unsigned line;
	unsigned order;		    /* definition order: handles and phone conflicts */
	const char *agents;	    /* users.csv agentSourcedIds, resolved once all are read */
	const char *oneroster_role; /* for a guardian: "parent", "guardian", "relative" */
	const char *email;	    /* users.csv email, lower case; NULL when none */
	/* Staff listed a second time as a parent (same person): also a guardian. */
	bool guardian_too;
	struct rperson *merged_into; /* this parent row is that staff member's */
};

struct rsubgroup {
	const char *name;
	struct rperson **members;
	unsigned n_members;
};

struct rteam {
	struct store_team cur, want; /* cur.id == 0 for a new team */
	bool seen;		     /* defined by a file now */
	bool keep;
	bool owns_links; /* this import's files are the truth for its members */
	const char *path;
	unsigned line;
	const char *tag_base; /* new class teams: what the tag is made from */
	const char *relay;    /* relay number wanted, NULL: leave as is */
	bool name_set, kind_set, relay_set;
	bool drop; /* a new team the file did not describe fully: not added */
	struct rperson **members;
	unsigned n_members;
	struct rperson **overseers;
	unsigned n_overseers;
	struct rsubgroup *subgroups;
	unsigned n_subgroups;
};

struct rguardianship {
	struct rperson *student, *guardian;
	const char *relationship;
	const char *origin;
};

struct rimport {
	void *ctx;
	struct store *s;
	const struct roster_options *opt;
	struct roster_report *rep;
	const char *dir;
	bool failed; /* a file-level error: nothing will be imported */

	struct rcsv *files[RF_N]; /* NULL when absent */

	struct rperson **persons;
	unsigned n_persons;
	struct rmap *by_source, *by_handle;
	unsigned next_order;

	struct rteam **teams;
	unsigned n_teams;
	struct rmap *team_by_source, *team_by_tag;

	struct rguardianship *guardianships;
	unsigned n_guardianships;
	struct rmap *guardianship_keys;
	struct rmap *org_ids;	    /* orgs.csv sourcedIds */
	struct rmap *rejected;	    /* source ids named by rejected rows */
	struct rmap *not_guardians; /* users of a guardian-like role not counted as guardians */
	struct rmap *leaving;	    /* users tobedeleted or disabled in this export */

	/* Problems, as found; sorted by file and line into the report at the end. */
	struct rproblem {
		const char *path;
		unsigned line, seq;
		char *msg;
	} * problems;
	unsigned n_problems;
};

extern const char *const rfile_names[RF_N];

/* Put the problems into the report, ordered by file and line. */
void rim_sort_problems(struct rimport *im);
/* Note what was left out on purpose, and why (roster_report.notes). */
void rim_note(struct rimport *im, const char *path, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Report a rejected row (or a partly imported one). */
void rim_problem(struct rimport *im, const char *path, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Report a file-level error: the import will change nothing. */
void rim_fatal(struct rimport *im, const char *path, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Persons and teams by their keys. */
struct rperson *rim_person_by_source(struct rimport *im, const char *source_id);
/* A reference in a hand-written file: a source id, else a handle ("@" allowed). */
struct rperson *rim_person_ref(struct rimport *im, const char *ref);
struct rperson *rim_person_new(struct rimport *im, const char *source_id);
struct rteam *rim_team_new(struct rimport *im);
/* A rejected row names this source id: leave that person as they are, and do not report
 * references to them again. */
void rim_keep(struct rimport *im, const char *source_id);
bool rim_was_rejected(struct rimport *im, const char *source_id);
/* A rejected row names this team: leave it and its members as they are. */
void rim_keep_team(struct rimport *im, struct rteam *t);
/* Add a wanted guardianship (no duplicates; a later relationship overrides when set). */
void rim_guardianship(struct rimport *im, struct rperson *student, struct rperson *guardian,
		      const char *relationship, const char *origin);
bool rim_team_has(struct rperson **arr, unsigned n, const struct rperson *p);
void rim_team_add(struct rteam *t, struct rperson ***arr, unsigned *n, struct rperson *p);

/* A phone number as written, to E.164: NULL and a problem reported when invalid. */
const char *rim_phone(struct rimport *im, const char *path, unsigned line, const char *what,
		      const char *in);
/* The origin file of a row is read by this import: what it brought is reconciled. */
bool rim_origin_present(const struct rimport *im, const char *origin, bool teams);
/* The length of the space character at s (ASCII space or tab, no-break, thin, narrow,
 * ideographic, ...), 0 when s does not start with one. */
size_t roster_space_len(const char *s);
/* Copy without surrounding spaces and tabs. */
char *rim_trim(void *ctx, const char *s);
/* Lower-case copy, trimmed, without a leading sigil ('#' or '@'). */
char *rim_lower(void *ctx, const char *s, char sigil);

/* Each file's rows into the wanted directory. */
bool roster_read_manifest(struct rimport *im); /* false: unsupported, import fails */
void roster_read_orgs(struct rimport *im);
void roster_read_users(struct rimport *im);
void roster_resolve_agents(struct rimport *im);
void roster_read_classes(struct rimport *im);
void roster_read_enrollments(struct rimport *im);
void roster_read_guardians(struct rimport *im);
void roster_read_teams(struct rimport *im);
void roster_read_titles(struct rimport *im);
