/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The directory: who is who, in memory, for the policy engine and the router.
 *
 * A directory is a read-mostly snapshot of the people, guardianships, teams, subgroups,
 * relay numbers and exceptions the district imported (see storage/directory/directory_store.h for
 * how it is persisted and loaded). It is built with the dir_add_*() calls and then
 * dir_finish(), which sorts the lookup indexes; after that, lookups are O(log n) and the
 * structure is only changed through the two per-person state sets (notice given, opted
 * out), which the router keeps in step with the records.
 *
 * Everything is allocated under one talloc context (the struct directory itself): free
 * the directory and everything goes. Strings are copied in. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <osmocom/core/utils.h> /* struct value_string */

/* A box serves at most this many relay numbers (modems); per-person state is a bit set. */
#define DIR_MAX_RELAYS 32

enum dir_role {
	DIR_STUDENT,
	DIR_GUARDIAN,
	DIR_STAFF,
	DIR_ADMIN, /* athletic director, principal, counselor, superintendent's designee */
};

enum dir_title {
	DIR_T_NONE,
	DIR_T_TEACHER,
	DIR_T_COACH,
	DIR_T_ADVISOR,
	DIR_T_VOLUNTEER,
	DIR_T_ATHLETIC_DIRECTOR,
	DIR_T_PRINCIPAL,
	DIR_T_COUNSELOR,	   /* staff or administrator: alerted of every crisis */
	DIR_T_NURSE,		   /* staff or administrator */
	DIR_T_ASSISTANT_PRINCIPAL, /* administrator */
};

const char *dir_role_name(enum dir_role r);   /* "student", "guardian", "staff", "administrator" */
const char *dir_title_name(enum dir_title t); /* "coach", "athletic director", ... ("" for none) */
/* Parse a role or title as written in CSVs and on the command line (case-insensitive;
 * "athletic_director", "athletic-director" and "athletic director" all work).
 * Return 0, or -1 when the word is not one. */
int dir_role_parse(const char *s, enum dir_role *out);
int dir_title_parse(const char *s, enum dir_title *out);
/* Titles that belong to each role (coach is staff, principal is admin, a counselor or a
 * nurse either). A title never grants a permission by itself: approving exceptions and
 * deciding held messages is for administrators (the role). */
bool dir_title_fits_role(enum dir_title t, enum dir_role r);

struct dir_team;
struct dir_relay;

struct dir_person {
	int64_t id;	       /* storage row id (or any unique id in tests) */
	const char *source_id; /* OneRoster sourcedId or CSV key; NULL if none */
	enum dir_role role;
	enum dir_title title;
	const char *given, *family;
	/* How relayed messages name this person: staff and administrators by title and full
	 * name ("Coach Dana Lee", "Principal Ana Ortiz"), students and guardians by given name
	 * and family initial ("Jamie R."). Computed by dir_add_person(). */
	const char *display;
	const char *handle; /* unique, lower case, [a-z0-9_.-], e.g. "jamier" */
	const char *phone;  /* E.164 ("+15551230001"), or NULL when none on file */

	/* Students: their guardians. Guardians, and staff or administrators who are also a
	 * student's parent or guardian (one person, several roles): their wards. */
	struct dir_person **guardians;
	unsigned n_guardians;
	struct dir_person **wards;
	unsigned n_wards;
	/* Teams the person belongs to, as staff or as student. */
	struct dir_team **teams;
	unsigned n_teams;

	/* Runtime state, one bit per relay index (see struct dir_relay). */
	uint32_t opted_out; /* sent STOP to that relay number (and not START since) */
	uint32_t noticed;   /* has had the recording notice from that relay number */
};

struct dir_subgroup {
	int64_t id;
	struct dir_team *team;
	const char *name; /* lower case word, e.g. "injured", "officers" */
	struct dir_person **members;
	unsigned n_members;
};

/* What a team is; dir_team_kind_names holds the words rosters and the archive use. */
enum dir_team_kind {
	DIR_TEAM_SPORTS, /* overseen by the athletic director; its staff are coaches */
	DIR_TEAM_CLUB,	 /* overseen by the principal; advisors */
	DIR_TEAM_CLASS,	 /* overseen by the principal; teachers */
	/* A school: its building staff (counselors, nurses, principals, the athletic
	 * director) and its students, on the building's relay number. Overseen by the
	 * principal; messages go to students one at a time, never to the whole school. */
	DIR_TEAM_BUILDING,
};
extern const struct value_string dir_team_kind_names[];
/* The kind a stored or rostered word names, exactly as the table writes it ("sports", not
 * "Sports"): 0, or -1 when it names none. */
int dir_team_kind_from_word(const char *word, enum dir_team_kind *out);

struct dir_team {
	int64_t id;
	const char *source_id;
	const char *tag;  /* lower case word staff type after '#', e.g. "soccer" */
	const char *name; /* label in relayed messages, e.g. "Soccer" */
	enum dir_team_kind kind;
	struct dir_relay *relay; /* the relay number that serves it, or NULL */
	struct dir_person **staff;
	unsigned n_staff;
	struct dir_person **students;
	unsigned n_students;
	struct dir_subgroup **subgroups;
	unsigned n_subgroups;
	/* Administrators kept apprised of this team's staff messages. Set explicitly, or by
	 * dir_finish(): every athletic director for sports teams, every principal otherwise. */
	struct dir_person **overseers;
	unsigned n_overseers;
};

struct dir_relay {
	int64_t id;
	unsigned index;	    /* 0..DIR_MAX_RELAYS-1, the bit in the per-person state sets */
	const char *number; /* E.164 */
	const char *label;
	struct dir_team **teams;
	unsigned n_teams;
};

enum dir_exception_kind {
	DIR_EXC_FAMILY,		     /* staff and student are family / established relationship */
	DIR_EXC_GUARDIAN_PERMISSION, /* guardian permitted one-to-one contact */
	DIR_EXC_SAFETY,		     /* administrator judged it improves student safety */
	DIR_EXC_CONTACT_SHARING,     /* may exchange personal contact information */
};
const char *dir_exception_kind_name(enum dir_exception_kind k); /* "family", ... */
int dir_exception_kind_parse(const char *s, enum dir_exception_kind *out);

/* An administrator-approved exception to the rules for one staff member and one student. */
struct dir_exception {
	int64_t id;
	struct dir_person *staff, *student;
	enum dir_exception_kind kind;
	const char *reason;
	struct dir_person *approved_by; /* an administrator */
	time_t created, expires;	/* expires: UTC; the exception holds while now < expires */
};

struct directory {
	struct dir_person **persons;
	unsigned n_persons;
	struct dir_team **teams;
	unsigned n_teams;
	struct dir_relay **relays;
	unsigned n_relays;
	struct dir_exception **exceptions;
	unsigned n_exceptions;
	/* Sorted indexes, built by dir_finish(). */
	struct dir_person **by_phone, **by_handle, **by_id;
	unsigned n_by_phone;
	struct dir_team **teams_by_tag;
	bool finished;
};

struct directory *dir_new(void *ctx);

/* What dir_add_person() copies in; display is computed from title and names. */
struct dir_person_spec {
	int64_t id;
	const char *source_id;
	enum dir_role role;
	enum dir_title title;
	const char *given, *family, *handle, *phone;
};
struct dir_person *dir_add_person(struct directory *d, const struct dir_person_spec *spec);
struct dir_team *dir_add_team(struct directory *d, int64_t id, const char *source_id,
			      const char *tag, const char *name, enum dir_team_kind kind);
struct dir_relay *dir_add_relay(struct directory *d, int64_t id, const char *number,
				const char *label); /* NULL when DIR_MAX_RELAYS are taken */
void dir_team_set_relay(struct dir_team *t, struct dir_relay *r);
/* Membership: staff (staff and administrators) or student, by the person's role. */
void dir_team_add_member(struct dir_team *t, struct dir_person *p);
void dir_team_add_overseer(struct dir_team *t, struct dir_person *admin);
struct dir_subgroup *dir_team_add_subgroup(struct dir_team *t, int64_t id, const char *name);
void dir_subgroup_add(struct dir_subgroup *g, struct dir_person *student);
void dir_add_guardianship(struct dir_person *student, struct dir_person *guardian);
struct dir_exception *dir_add_exception(struct directory *d, int64_t id, struct dir_person *staff,
					struct dir_person *student, enum dir_exception_kind kind,
					const char *reason, struct dir_person *approved_by,
					time_t created, time_t expires);
/* Build the indexes and the default overseers. Call once, after the last dir_add_*(). */
void dir_finish(struct directory *d);

/* Lookups (after dir_finish). NULL when not found. */
struct dir_person *dir_person_by_phone(const struct directory *d, const char *e164);
struct dir_person *dir_person_by_handle(const struct directory *d, const char *handle);
struct dir_person *dir_person_by_id(const struct directory *d, int64_t id);
struct dir_team *dir_team_by_tag(const struct directory *d, const char *tag);
struct dir_relay *dir_relay_by_number(const struct directory *d, const char *e164);
struct dir_subgroup *dir_subgroup_by_name(const struct dir_team *t, const char *name);

bool dir_team_has_member(const struct dir_team *t, const struct dir_person *p);
bool dir_is_guardian_of(const struct dir_person *guardian, const struct dir_person *student);
/* Teams served by `relay` that `p` belongs to (as staff or student), or, for a guardian,
 * that one of their wards belongs to, each once: *out a talloc array on ctx (NULL when
 * none), all of them however many. Returns the count, or -1 when memory ran out. */
int dir_teams_on_relay(void *ctx, const struct dir_person *p, const struct dir_relay *relay,
		       struct dir_team ***out);
/* The exception between staff and student that ended last before `now` (the directory
 * keeps those expired in the last 30 days), or NULL. */
struct dir_exception *dir_exception_expired(const struct directory *d,
					    const struct dir_person *staff,
					    const struct dir_person *student, time_t now);
/* The exception in force between staff and student at `now` (not expired), or NULL:
 * with kind >= 0 only one of that kind, with kind < 0 any. Revoked exceptions are not
 * in the directory at all. */
struct dir_exception *dir_exception_find(const struct directory *d, const struct dir_person *staff,
					 const struct dir_person *student, int kind, time_t now);

/* Guardians that can be copied: a phone on file and not opted out of this relay. */
bool dir_reachable(const struct dir_person *p, const struct dir_relay *relay);
static inline bool dir_is_staff_side(const struct dir_person *p)
{
	return p->role == DIR_STAFF || p->role == DIR_ADMIN;
}
/* Does p write as staff on this relay? Staff and administrators do, except a staff member
 * who is also a parent, writing to a number that serves their child's team and none they
 * work with: there they write as the child's guardian. */
bool dir_writes_as_staff(const struct dir_person *p, const struct dir_relay *relay);
