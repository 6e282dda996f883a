/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The directory in the archive: persons, guardianships, relays, teams, subgroups,
 * overseers and exceptions as SQLite rows (storage/archive/schema_directory.c), and loading them
 * into the in-memory directory (storage/model/directory.h) the router and policy engine use.
 *
 * Every function that changes something also appends a row to directory_changes with the
 * actor who made the change (an OS user name, "--as" on the command line), in the same
 * transaction; the highest row id is the directory's version. Each change function is
 * atomic on its own; callers that make several changes (a roster import, a CLI command
 * with several handles) wrap them in store_begin()/store_commit() to make them one.
 *
 * Conventions: 0 on success and -1 on an SQLite error (message via store_errmsg());
 * lookups return 1 when found, 0 when not, -1 on error. Strings returned are allocated
 * under the `ctx` given. Ids are the rows' INTEGER PRIMARY KEYs; 0 means none. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/model/directory.h"
#include "storage/archive/store.h"

/* Which roster file brought a row (persons.origin, teams.origin, links' origin). NULL: it
 * was added by hand through the CLI, and roster imports leave it alone. */
#define STORE_ORIGIN_ONEROSTER "oneroster" /* users.csv, classes.csv, enrollments.csv */
#define STORE_ORIGIN_GUARDIANS "guardians" /* guardians.csv */
#define STORE_ORIGIN_TEAMS     "teams"	   /* teams.csv */

/* The words stored in the role, title and kind columns (stable: the database outlives
 * display names). title: NULL for DIR_T_NONE. NULL for a value no enum has (the insert
 * then fails on the column's constraint rather than store a guess); the _from_word
 * functions return -1 for a word they do not know, and a row read with one is an error. */
const char *store_role_word(enum dir_role r);
int store_role_from_word(const char *s, enum dir_role *out);
const char *store_title_word(enum dir_title t);
int store_title_from_word(const char *s, enum dir_title *out); /* NULL or "" → DIR_T_NONE */
const char *store_exception_kind_word(enum dir_exception_kind k);

struct store_person {
	int64_t id;
	const char *source_id; /* SIS sourcedId or guardians.csv id; NULL: added by hand */
	const char *origin;    /* STORE_ORIGIN_*, NULL: added by hand */
	enum dir_role role;
	enum dir_title title;
	const char *given, *family, *handle;
	const char *phone; /* E.164 or NULL */
	bool active;
	bool manual_inactive; /* deactivated by hand: an import does not reactivate them */
	int64_t created_at, updated_at;
};

struct store_relay {
	int64_t id;
	const char *number; /* E.164 */
	const char *label;
};

struct store_team {
	int64_t id;
	const char *source_id; /* class sourcedId, "teams.csv:TAG", or NULL (by hand) */
	const char *origin;
	const char *tag, *name, *kind;
	int64_t relay_id;	  /* 0: none */
	const char *relay_number; /* filled in by the getters; ignored when writing */
	bool active;
	bool manual_inactive;
	int64_t created_at, updated_at;
};

struct store_subgroup {
	int64_t id, team_id;
	const char *name;
	const char *origin;
};

/* The many-to-many links, one table each. */
enum store_link_kind {
	STORE_LINK_GUARDIAN, /* a: student, b: guardian, note: relationship ("mother") */
	STORE_LINK_MEMBER,   /* a: team, b: person (staff, administrator or student) */
	STORE_LINK_OVERSEER, /* a: team, b: administrator */
	STORE_LINK_SUBGROUP, /* a: subgroup, b: student */
};

struct store_link {
	int64_t a, b;
	const char *note; /* guardianships: relationship; else NULL */
	const char *origin;
};

struct store_exception {
	int64_t id;
	int64_t staff_id, student_id, approved_by;
	enum dir_exception_kind kind;
	const char *reason;
	int64_t created_at, expires_at; /* ms since the epoch, UTC */
	int64_t revoked_at;		/* 0: not revoked */
	int64_t revoked_by;
};

struct store_change {
	int64_t id, at;
	const char *actor, *action, *entity, *detail;
};

/* --- Loading ------------------------------------------------------------------------- */

/* The directory as the router uses it: active persons and teams, all relays, the links
 * between active rows, and the exceptions neither revoked nor expired. Links that do not
 * fit the persons' roles (a guardian as a team member, say) are left out. The opted_out
 * and noticed state bits are left clear: they come from the records. NULL on error. */
struct directory *store_directory_load(struct store *s, void *ctx);

/* The highest directory_changes id: changes whenever the directory does. 0 when empty,
 * -1 on error. */
int64_t store_directory_version(struct store *s);

/* --- Relays ---------------------------------------------------------------------------- */

/* The relay with this number, created if need be (label updated when given and
 * different). The daemon calls it for each configured modem. */
int store_relay_ensure(struct store *s, const char *number, const char *label, int64_t *id);
/* The same, recording `actor` in the change log (store_relay_ensure: "chaperoned"). */
int store_relay_ensure_as(struct store *s, const char *actor, const char *number, const char *label,
			  int64_t *id);
int store_relays_list(struct store *s, void *ctx, struct store_relay **out, size_t *n);
int store_relay_by_id(struct store *s, void *ctx, int64_t id, struct store_relay *out);

/* --- Persons --------------------------------------------------------------------------- */

/* Every person, active or not, by id. */
int store_persons_list(struct store *s, void *ctx, struct store_person **out, size_t *n);
int store_person_by_id(struct store *s, void *ctx, int64_t id, struct store_person *out);
int store_person_by_handle(struct store *s, void *ctx, const char *handle,
			   struct store_person *out);
int store_person_by_source(struct store *s, void *ctx, const char *source_id,
			   struct store_person *out);
/* The active person with this phone other than `except_id` (0: any). */
int store_person_by_phone(struct store *s, void *ctx, const char *phone, int64_t except_id,
			  struct store_person *out);
/* Is the handle used by anyone, active or not (handles are never reused)? */
int store_handle_taken(struct store *s, const char *handle);

/* Insert; sets p->id and the timestamps. active and manual_inactive are taken from p. */
int store_person_add(struct store *s, const char *actor, struct store_person *p);
/* Write p over `old` (same id): only what differs is written and logged ("person.update",
 * or "person.deactivate" / "person.activate" when only that changed). Returns 1 when
 * something changed, 0 when nothing did, -1 on error. */
int store_person_update(struct store *s, const char *actor, const struct store_person *old,
			const struct store_person *p);

/* --- Teams ----------------------------------------------------------------------------- */

int store_teams_list(struct store *s, void *ctx, struct store_team **out, size_t *n);
int store_team_by_tag(struct store *s, void *ctx, const char *tag, struct store_team *out);
int store_team_by_id(struct store *s, void *ctx, int64_t id, struct store_team *out);
int store_tag_taken(struct store *s, const char *tag);
int store_team_add(struct store *s, const char *actor, struct store_team *t);
/* As store_person_update(): 1 changed, 0 unchanged, -1 error. */
int store_team_update(struct store *s, const char *actor, const struct store_team *old,
		      const struct store_team *t);

/* --- Links ----------------------------------------------------------------------------- */

/* The links of one kind, all of them (a == 0) or those of one student / team /
 * subgroup, ordered by a then b. */
int store_links_list(struct store *s, void *ctx, enum store_link_kind k, int64_t a,
		     struct store_link **out, size_t *n);
/* Links of a person (b), e.g. the teams someone belongs to, or the wards of a guardian. */
int store_links_of(struct store *s, void *ctx, enum store_link_kind k, int64_t b,
		   struct store_link **out, size_t *n);
int store_link_exists(struct store *s, enum store_link_kind k, int64_t a, int64_t b);
/* Add (1), or 0 when it was already there (nothing written). */
int store_link_add(struct store *s, const char *actor, enum store_link_kind k, int64_t a, int64_t b,
		   const char *note, const char *origin);
/* Remove (1), or 0 when it was not there. */
int store_link_remove(struct store *s, const char *actor, enum store_link_kind k, int64_t a,
		      int64_t b);
/* Guardianships: change the relationship. 1 changed, 0 same or absent. */
int store_link_set_note(struct store *s, const char *actor, enum store_link_kind k, int64_t a,
			int64_t b, const char *note);

/* --- Subgroups ------------------------------------------------------------------------- */

/* A team's subgroups (team_id 0: all), by team then name. */
int store_subgroups_list(struct store *s, void *ctx, int64_t team_id, struct store_subgroup **out,
			 size_t *n);
int store_subgroup_by_name(struct store *s, void *ctx, int64_t team_id, const char *name,
			   struct store_subgroup *out);
int store_subgroup_add(struct store *s, const char *actor, int64_t team_id, const char *name,
		       const char *origin, int64_t *id);
/* Remove a subgroup and its memberships (subgroups are only a way of addressing). */
int store_subgroup_remove(struct store *s, const char *actor, int64_t id);

/* --- Exceptions ------------------------------------------------------------------------ */

/* In force at now_ms (not revoked, not expired), or all of them when `all`. By id. */
int store_exceptions_list(struct store *s, void *ctx, bool all, int64_t now_ms,
			  struct store_exception **out, size_t *n);
int store_exception_by_id(struct store *s, void *ctx, int64_t id, struct store_exception *out);
/* Insert; sets e->id and e->created_at. */
int store_exception_add(struct store *s, const char *actor, struct store_exception *e);
/* Returns 1 revoked, 0 when it does not exist or was already revoked. */
int store_exception_revoke(struct store *s, const char *actor, int64_t id, int64_t by_id);

/* --- The change log -------------------------------------------------------------------- */

/* Append a change (the functions above do it for their own changes). */
int store_directory_change(struct store *s, const char *actor, const char *action,
			   const char *entity, const char *detail);
/* Changes with id > since_id, oldest first, at most `limit` (0: no limit). */
int store_directory_changes(struct store *s, void *ctx, int64_t since_id, size_t limit,
			    struct store_change **out, size_t *n);
