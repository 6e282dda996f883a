/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Roster import and the directory in storage, against temporary SQLite files: the sample
 * district, re-imports, a changed export, each kind of bad row, broken quoting, bad
 * manifests, missing files, partial imports, hand-made changes an import must respect,
 * the brakes on an import that would take too much away, and what store_directory_load()
 * builds. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <talloc.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "storage/archive/store.h"
#include "storage/directory/directory_store.h"
#include "gateway/roster/roster.h"

#ifndef FIXTURES
#error "FIXTURES must name tests/fixtures"
#endif

#define DISTRICT   FIXTURES "/district"
#define HOUSEHOLDS FIXTURES "/households"
#define ROSTER(d)  FIXTURES "/roster/" d

struct env {
	void *ctx;
	char dir[64];
	char path[96];
	struct store *s;
};

static int setup(void **state)
{
	struct env *e = talloc_zero(NULL, struct env);
	char err[256];

	e->ctx = e;
	snprintf(e->dir, sizeof(e->dir), "/tmp/test_roster-XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(e->path, sizeof(e->path), "%s/chaperone.db", e->dir);
	e->s = store_open(e, e->path, err, sizeof(err));
	if (!e->s)
		fail_msg("store_open: %s", err);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char cmd[128];

	store_close(e->s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", e->dir);
	talloc_free(e);
	return 0;
}

static struct roster_report *import(struct env *e, const char *dir, enum roster_status want)
{
	struct roster_options opt = {.country_code = "1", .actor = "test"};
	struct roster_report *r;
	enum roster_status st = roster_import(e->ctx, e->s, dir, &opt, &r);

	if (st != want) {
		for (unsigned i = 0; i < r->n_problems; i++)
			fprintf(stderr, "  %s\n", r->problems[i]);
		fail_msg("import of %s: status %d, want %d", dir, st, want);
	}
	return r;
}

/* Is there a problem ending with "FILE:LINE: reason-prefix"? */
static bool has_problem(const struct roster_report *r, const char *file_line, const char *reason)
{
	for (unsigned i = 0; i < r->n_problems; i++) {
		const char *p = strstr(r->problems[i], file_line);
		if (p && p[strlen(file_line)] == ':' && strstr(p, reason))
			return true;
	}
	return false;
}

static void assert_problem(const struct roster_report *r, const char *file_line, const char *reason)
{
	if (!has_problem(r, file_line, reason)) {
		for (unsigned i = 0; i < r->n_problems; i++)
			fprintf(stderr, "  %s\n", r->problems[i]);
		fail_msg("no problem %s: %s", file_line, reason);
	}
}

static struct dir_person *person(const struct directory *d, const char *handle)
{
	struct dir_person *p = dir_person_by_handle(d, handle);

	if (!p)
		fail_msg("no active person %s", handle);
	return p;
}

static bool in(struct dir_person **arr, unsigned n, const struct dir_person *p)
{
	for (unsigned i = 0; i < n; i++)
		if (arr[i] == p)
			return true;
	return false;
}

static struct directory *load(struct env *e)
{
	struct directory *d = store_directory_load(e->s, e->ctx);

	assert_non_null(d);
	assert_true(d->finished);
	return d;
}

/* --- The sample district ------------------------------------------------------------ */

static void test_district(void **state)
{
	struct env *e = *state;
	struct roster_report *r = import(e, DISTRICT, ROSTER_OK);
	struct directory *d;
	struct dir_team *soccer, *robotics, *bio;
	struct dir_person *samo, *rileyc, *patm, *rosad, *helenp, *danal;
	struct dir_subgroup *injured, *officers;
	struct stat st;

	assert_int_equal(r->n_problems, 0);
	assert_int_equal(r->counts[ROSTER_PERSONS_ADDED], 35);
	assert_int_equal(r->counts[ROSTER_TEAMS_ADDED], 4);
	assert_int_equal(r->counts[ROSTER_GUARDIANSHIPS_ADDED], 16);
	assert_int_equal(r->counts[ROSTER_MEMBERS_ADDED], 24);
	assert_int_equal(r->counts[ROSTER_SUBGROUPS_ADDED], 2);
	assert_int_equal(r->counts[ROSTER_SUBGROUP_MEMBERS_ADDED], 4);
	assert_int_equal(r->counts[ROSTER_OVERSEERS_ADDED], 1);
	assert_int_equal(r->counts[ROSTER_RELAYS_ADDED], 2);
	assert_string_equal(r->district, "Lakeview Public Schools");
	assert_int_equal(r->n_files, 8);

	/* The database is the owner's alone. */
	assert_int_equal(stat(e->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	d = load(e);
	assert_int_equal(d->n_persons, 35);
	assert_int_equal(d->n_teams, 4);
	assert_int_equal(d->n_relays, 2);

	soccer = dir_team_by_tag(d, "soccer");
	robotics = dir_team_by_tag(d, "robotics");
	bio = dir_team_by_tag(d, "bio101");
	assert_non_null(soccer);
	assert_non_null(robotics);
	assert_non_null(bio);
	assert_non_null(dir_team_by_tag(d, "eng201"));
	assert_string_equal(soccer->name, "Soccer");
	assert_int_equal(soccer->kind, DIR_TEAM_SPORTS);
	assert_int_equal(robotics->kind, DIR_TEAM_CLUB);
	assert_int_equal(bio->kind, DIR_TEAM_CLASS);
	assert_non_null(soccer->relay);
	assert_string_equal(soccer->relay->number, "+15550100");
	assert_string_equal(robotics->relay->number, "+15550101");
	assert_null(bio->relay);
	assert_ptr_equal(dir_relay_by_number(d, "+15550100"), soccer->relay);
	assert_int_equal(soccer->n_staff, 2);
	assert_int_equal(soccer->n_students, 8);
	assert_int_equal(robotics->n_staff, 1);
	assert_int_equal(robotics->n_students, 5);
	assert_int_equal(bio->n_staff, 1);
	assert_int_equal(bio->n_students, 3);

	danal = person(d, "danal");
	assert_int_equal(danal->role, DIR_STAFF);
	assert_int_equal(danal->title, DIR_T_COACH);
	assert_string_equal(danal->display, "Coach Dana Lee");
	assert_string_equal(danal->phone, "+16175550101");
	assert_ptr_equal(dir_person_by_phone(d, "+16175550101"), danal);
	assert_true(in(soccer->staff, soccer->n_staff, danal));
	assert_string_equal(person(d, "priyas")->phone, "+16175550103"); /* "+1 617 555 0103" */
	assert_string_equal(person(d, "alant")->phone, "+16175550104");	 /* phone, no sms */

	/* Administrators, by OneRoster role and titles.csv. */
	rosad = person(d, "rosad");
	helenp = person(d, "helenp");
	assert_int_equal(rosad->role, DIR_ADMIN);
	assert_int_equal(rosad->title, DIR_T_ATHLETIC_DIRECTOR);
	assert_int_equal(helenp->title, DIR_T_PRINCIPAL);
	assert_int_equal(person(d, "omarh")->title, DIR_T_COUNSELOR);
	/* Soccer's overseer is explicit; robotics gets the principal by default. */
	assert_int_equal(soccer->n_overseers, 1);
	assert_ptr_equal(soccer->overseers[0], rosad);
	assert_int_equal(robotics->n_overseers, 1);
	assert_ptr_equal(robotics->overseers[0], helenp);

	/* Guardianships: agentSourcedIds and guardians.csv. */
	assert_int_equal(person(d, "jamier")->n_guardians, 2);
	assert_true(dir_is_guardian_of(person(d, "mariar"), person(d, "jamier")));
	assert_true(dir_is_guardian_of(person(d, "luisr"), person(d, "jamier")));
	samo = person(d, "samo");
	assert_int_equal(samo->n_guardians, 1);
	assert_null(samo->guardians[0]->phone);
	assert_false(dir_reachable(samo->guardians[0], soccer->relay));
	/* Pat Morgan: no phone in users.csv, guardians.csv supplies it. */
	patm = person(d, "patm");
	assert_string_equal(patm->phone, "+16175550408");
	assert_true(dir_is_guardian_of(patm, person(d, "caseym")));
	rileyc = person(d, "rileyc");
	assert_int_equal(rileyc->n_guardians, 2);
	assert_int_equal(rileyc->n_teams, 3); /* soccer, robotics, eng201 */
	assert_true(dir_team_has_member(soccer, rileyc));
	assert_true(dir_team_has_member(robotics, rileyc));
	assert_int_equal(person(d, "weic")->role, DIR_GUARDIAN);

	injured = dir_subgroup_by_name(soccer, "injured");
	officers = dir_subgroup_by_name(robotics, "officers");
	assert_non_null(injured);
	assert_non_null(officers);
	assert_int_equal(injured->n_members, 2);
	assert_true(in(injured->members, 2, person(d, "alexk")));
	assert_true(in(injured->members, 2, person(d, "caseym")));
	assert_int_equal(officers->n_members, 2);
	assert_true(in(officers->members, 2, person(d, "averyj")));
	assert_null(dir_subgroup_by_name(soccer, "officers"));

	/* Every phone on file is unique and E.164. */
	for (unsigned i = 0; i < d->n_persons; i++) {
		const struct dir_person *p = d->persons[i];
		if (!p->phone)
			continue;
		assert_true(strncmp(p->phone, "+1617555", 8) == 0);
		assert_ptr_equal(dir_person_by_phone(d, p->phone), p);
	}
}

static void test_reimport_changes_nothing(void **state)
{
	struct env *e = *state;
	struct roster_report *r;
	int64_t v;

	import(e, DISTRICT, ROSTER_OK);
	v = store_directory_version(e->s);
	assert_true(v > 0);
	r = import(e, DISTRICT, ROSTER_OK);
	assert_int_equal(roster_changed(r), 0);
	assert_int_equal(r->n_changes, 0);
	assert_int_equal(store_directory_version(e->s), v);
}

static void test_change_log(void **state)
{
	struct env *e = *state;
	struct store_change *c;
	size_t n;

	import(e, DISTRICT, ROSTER_OK);
	assert_int_equal(store_directory_changes(e->s, e->ctx, 0, 0, &c, &n), 0);
	assert_true(n > 35);
	assert_int_equal((int64_t)c[n - 1].id, store_directory_version(e->s));
	assert_string_equal(c[n - 1].action, "roster.import");
	for (size_t i = 0; i < n; i++)
		assert_string_equal(c[i].actor, "test");
	assert_string_equal(c[0].action, "person.add");
	/* The log is append-only, and persons are never deleted. */
	assert_int_equal(store_exec(e->s, "DELETE FROM directory_changes"), -1);
	assert_int_equal(store_exec(e->s, "UPDATE directory_changes SET actor = 'x'"), -1);
	assert_int_equal(store_exec(e->s, "DELETE FROM persons WHERE handle = 'jamier'"), -1);
}

static void test_changed_export(void **state)
{
	struct env *e = *state;
	struct roster_report *r;
	struct directory *d;
	struct dir_team *soccer;
	struct store_person p;

	import(e, DISTRICT, ROSTER_OK);
	r = import(e, ROSTER("changed"), ROSTER_OK);
	assert_int_equal(r->counts[ROSTER_PERSONS_ADDED], 2);
	assert_int_equal(r->counts[ROSTER_PERSONS_UPDATED], 1);
	assert_int_equal(r->counts[ROSTER_PERSONS_DEACTIVATED], 3);
	assert_int_equal(r->counts[ROSTER_PERSONS_REACTIVATED], 0);
	assert_int_equal(r->counts[ROSTER_TEAMS_DEACTIVATED], 1);
	assert_int_equal(r->counts[ROSTER_MEMBERS_ADDED], 1);
	assert_int_equal(r->counts[ROSTER_GUARDIANSHIPS_ADDED], 1);
	assert_int_equal(r->counts[ROSTER_SUBGROUP_MEMBERS_REMOVED], 1);
	assert_int_equal(roster_changed(r), 10);

	d = load(e);
	assert_int_equal(d->n_persons, 34);
	assert_null(dir_person_by_handle(d, "morganp")); /* gone from users.csv */
	assert_null(dir_person_by_handle(d, "taylorn")); /* status tobedeleted */
	assert_null(dir_person_by_handle(d, "anitap"));	 /* gone from guardians.csv */
	assert_null(dir_team_by_tag(d, "eng201"));	 /* class tobedeleted */
	assert_string_equal(person(d, "mariar")->phone, "+16175550499");
	soccer = dir_team_by_tag(d, "soccer");
	assert_true(dir_team_has_member(soccer, person(d, "noahr")));
	assert_true(dir_is_guardian_of(person(d, "oliviar"), person(d, "noahr")));
	assert_int_equal(dir_subgroup_by_name(soccer, "injured")->n_members, 1);
	assert_int_equal(soccer->n_students, 7); /* 8 - morganp - taylorn + noahr */

	/* Deactivated, not deleted: the row stays, with its handle. */
	assert_int_equal(store_person_by_handle(e->s, e->ctx, "morganp", &p), 1);
	assert_false(p.active);
	assert_false(p.manual_inactive);

	/* Back to the first export: they come back, with their teams and families. */
	r = import(e, DISTRICT, ROSTER_OK);
	assert_int_equal(r->counts[ROSTER_PERSONS_REACTIVATED], 3);
	assert_int_equal(r->counts[ROSTER_PERSONS_DEACTIVATED], 2); /* noahr, oliviar */
	assert_int_equal(r->counts[ROSTER_TEAMS_REACTIVATED], 1);
	d = load(e);
	assert_true(dir_team_has_member(dir_team_by_tag(d, "soccer"), person(d, "morganp")));
	assert_true(dir_is_guardian_of(person(d, "anitap"), person(d, "morganp")));
	assert_int_equal(dir_team_by_tag(d, "eng201")->n_students, 3);
}

/* --- Bad input ----------------------------------------------------------------------- */

static void test_bad_rows(void **state)
{
	struct env *e = *state;
	struct roster_report *r = import(e, ROSTER("bad-rows"), ROSTER_REJECTED);
	struct directory *d;
	struct dir_team *soccer;

	assert_problem(r, "users.csv:5", "missing sourcedId");
	assert_problem(r, "users.csv:6", "unknown role 'wizard'");
	assert_problem(r, "users.csv:7", "invalid phone '555-0302'");
	assert_problem(r, "users.csv:8", "duplicate sourcedId 'u-2' (first on line 3)");
	assert_problem(r, "users.csv:9", "broken quoting");
	assert_problem(r, "users.csv:11", "enabledUser 'maybe'");
	assert_problem(r, "users.csv:12", "missing givenName");
	assert_problem(r, "users.csv:13", "phone +16175550301 is already Jamie Rivera");
	assert_problem(r, "users.csv:14", "10 fields where the header has 9");
	assert_problem(r, "users.csv:3", "unknown agentSourcedIds entry 'g-404'");
	assert_problem(r, "guardians.csv:3", "unknown student 'u-404'");
	assert_problem(r, "guardians.csv:4", "missing guardian_given");
	assert_problem(r, "guardians.csv:5", "'u-1' is a staff member, not a student");
	assert_problem(r, "guardians.csv:6", "duplicate row");
	assert_problem(r, "teams.csv:4", "unknown person 'u-404'");
	assert_problem(r, "teams.csv:5", "kind 'boardgames'");
	assert_problem(r, "teams.csv:6", "guardian");
	assert_problem(r, "teams.csv:7", "not an administrator");
	assert_problem(r, "teams.csv:8", "team_name 'Football' differs");
	assert_problem(r, "teams.csv:9", "is not a word");
	assert_problem(r, "teams.csv:10", "invalid relay 'not-a-number'");
	assert_problem(r, "titles.csv:3", "only staff have titles");
	assert_problem(r, "titles.csv:4", "listed already (line 2)");
	assert_problem(r, "titles.csv:5", "unknown person 'u-404'");
	assert_problem(r, "titles.csv:6", "unknown title 'wizard'");
	assert_problem(r, "classes.csv:3", "missing title");
	assert_problem(r, "enrollments.csv:3", "unknown classSourcedId 'c-404'");
	assert_problem(r, "enrollments.csv:4", "unknown userSourcedId 'u-404'");
	assert_problem(r, "enrollments.csv:5", "guardians are not class members");
	assert_problem(r, "enrollments.csv:6", "duplicate sourcedId 'e-1'");
	assert_int_equal(r->n_problems, 30);
	/* Sorted by file, then line. */
	assert_non_null(strstr(r->problems[0], "classes.csv:3:"));
	assert_non_null(strstr(r->problems[r->n_problems - 1], "users.csv:14:"));

	/* The good rows are in, whole. */
	d = load(e);
	assert_int_equal(d->n_persons, 8);	 /* u-1 u-2 g-1 u-4 u-6 u-9 u-11 g-2 */
	assert_null(person(d, "alexk")->phone);	 /* invalid phone: imported without */
	assert_null(person(d, "rileyc")->phone); /* duplicate phone: the first keeps it */
	assert_string_equal(person(d, "jamier")->phone, "+16175550301");
	assert_string_equal(person(d, "caseym")->given, "Casey"); /* the row after the break */
	assert_int_equal(person(d, "danal")->title, DIR_T_COACH);
	assert_true(dir_is_guardian_of(person(d, "mariar"), person(d, "jamier")));
	assert_true(dir_is_guardian_of(person(d, "patm"), person(d, "caseym")));
	soccer = dir_team_by_tag(d, "soccer");
	assert_non_null(soccer);
	assert_string_equal(soccer->name, "Soccer");
	assert_string_equal(soccer->relay->number, "+15550100");
	assert_int_equal(soccer->n_staff, 1);
	assert_int_equal(soccer->n_students, 1);
	assert_null(dir_team_by_tag(d, "chess"));
	assert_int_equal(d->n_teams, 2); /* soccer and bio101 */
	assert_int_equal(dir_team_by_tag(d, "bio101")->n_students, 1);
}

static void test_bad_quoting(void **state)
{
	struct env *e = *state;
	struct roster_report *r = import(e, ROSTER("bad-quoting"), ROSTER_REJECTED);
	struct directory *d;

	/* An unterminated quote on line 3 does not swallow the rows after it. */
	assert_problem(r, "users.csv:3", "broken quoting");
	assert_problem(r, "users.csv:6", "givenName is not a name"); /* a line break in it */
	assert_problem(r, "users.csv:9", "broken quoting");	     /* Ja"ne */
	assert_problem(r, "users.csv:11", "broken quoting");	     /* never closed */
	assert_int_equal(r->n_problems, 4);
	d = load(e);
	assert_int_equal(d->n_persons, 5);
	person(d, "jamier");
	person(d, "samo");
	person(d, "dreww");
	person(d, "emmag");
	assert_string_equal(person(d, "caseycjm")->given, "Casey \"CJ\"");
}

static void test_bad_rows_leave_persons_alone(void **state)
{
	struct env *e = *state;
	char dir[96], path[128];
	FILE *f;
	struct directory *d;
	struct roster_report *r;

	/* First a good import, then one where Jamie's row is broken: Jamie stays as is,
	 * where a missing row would have deactivated them. */
	snprintf(dir, sizeof(dir), "%s/roster", e->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/users.csv", dir);
	f = fopen(path, "w");
	fputs("sourcedId,role,givenName,familyName,sms\n"
	      "u-1,student,Jamie,Rivera,617-555-0301\n"
	      "u-2,student,Alex,Kim,617-555-0302\n",
	      f);
	fclose(f);
	import(e, dir, ROSTER_OK);
	f = fopen(path, "w");
	fputs("sourcedId,role,givenName,familyName,sms\n"
	      "u-1,student,\"Jamie,Rivera,617-555-0399\n"
	      "u-2,student,Alex,Kim,617-555-0302\n",
	      f);
	fclose(f);
	r = import(e, dir, ROSTER_REJECTED);
	assert_int_equal(roster_changed(r), 0);
	d = load(e);
	assert_string_equal(person(d, "jamier")->phone, "+16175550301");
	person(d, "alexk");
}

static void test_bad_manifest(void **state)
{
	struct env *e = *state;
	struct roster_report *r = import(e, ROSTER("bad-manifest"), ROSTER_FAILED);

	assert_problem(r, "manifest.csv:3", "OneRoster version 1.0 is not supported");
	assert_int_equal(roster_changed(r), 0);
	assert_int_equal(store_directory_version(e->s), 0);

	r = import(e, ROSTER("delta"), ROSTER_FAILED);
	assert_problem(r, "manifest.csv:4", "delta export");
	assert_int_equal(store_directory_version(e->s), 0);
}

static void test_missing_column(void **state)
{
	struct env *e = *state;
	struct roster_report *r = import(e, ROSTER("missing-column"), ROSTER_FAILED);

	assert_problem(r, "users.csv:1", "missing column role");
	assert_problem(r, "guardians.csv:1", "missing column guardian_id");
	assert_int_equal(store_directory_version(e->s), 0);
}

static void test_missing_files(void **state)
{
	struct env *e = *state;
	char dir[96];
	struct roster_report *r;

	r = import(e, "/nonexistent/roster", ROSTER_FAILED);
	assert_int_equal(r->n_problems, 1);
	assert_non_null(strstr(r->problems[0], "No such file or directory"));

	snprintf(dir, sizeof(dir), "%s/empty", e->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	r = import(e, dir, ROSTER_FAILED);
	assert_non_null(strstr(r->problems[0], "no roster files"));

	r = import(e, DISTRICT "/users.csv", ROSTER_FAILED);
	assert_non_null(strstr(r->problems[0], "not a directory"));
	assert_int_equal(store_directory_version(e->s), 0);
}

static void test_empty_file(void **state)
{
	struct env *e = *state;
	char dir[96], path[128];
	FILE *f;
	struct roster_report *r;

	snprintf(dir, sizeof(dir), "%s/r", e->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/users.csv", dir);
	f = fopen(path, "w");
	fclose(f);
	r = import(e, dir, ROSTER_FAILED);
	assert_problem(r, "users.csv:1", "empty file");

	/* A BOM, CRLF line ends, a blank line and a row of empty cells: all fine. */
	f = fopen(path, "w");
	fputs("\xEF\xBB\xBFsourcedId,role,givenName,familyName\r\n"
	      "u-1,student,Jamie,Rivera\r\n\r\n,,,\r\n"
	      "u-2,student,Zoë,Ødegård\r\n",
	      f);
	fclose(f);
	r = import(e, dir, ROSTER_OK);
	assert_int_equal(r->counts[ROSTER_PERSONS_ADDED], 2);
	assert_int_equal(store_person_by_handle(e->s, e->ctx, "zoeo", &(struct store_person){0}),
			 1);

	/* Binary junk and invalid UTF-8 are rejected rows, not crashes. */
	f = fopen(path, "w");
	fputs("sourcedId,role,givenName,familyName\n"
	      "u-1,student,Jamie,Rivera\n"
	      "u-3,student,\xC3\x28,Bad\n",
	      f);
	fputc(0, f);
	fputs(",x\n", f);
	fclose(f);
	/* Zoë is gone from this file: one of two persons, past the brakes. */
	{
		struct roster_options opt = {.country_code = "1", .actor = "test", .force = true};

		assert_int_equal(roster_import(e->ctx, e->s, dir, &opt, &r), ROSTER_REJECTED);
	}
	assert_problem(r, "users.csv:3", "not valid UTF-8");
}

/* --- Partial imports and hand-made changes -------------------------------------------- */

static void test_titles_only(void **state)
{
	struct env *e = *state;
	struct roster_report *r;
	struct directory *d;

	import(e, DISTRICT, ROSTER_OK);
	/* A file absent leaves what it brought alone: only titles.csv here. */
	r = import(e, ROSTER("titles-only"), ROSTER_OK);
	assert_int_equal(roster_changed(r), 1);
	assert_int_equal(r->counts[ROSTER_PERSONS_UPDATED], 1);
	d = load(e);
	assert_int_equal(d->n_persons, 35);
	assert_int_equal(person(d, "marcusb")->title, DIR_T_VOLUNTEER);
	assert_int_equal(d->n_teams, 4);
	/* The next full import brings its own titles.csv back: coach again. */
	r = import(e, DISTRICT, ROSTER_OK);
	assert_int_equal(roster_changed(r), 1);
}

static void test_hand_made_changes(void **state)
{
	struct env *e = *state;
	struct store_person p = {.role = DIR_STAFF,
				 .title = DIR_T_VOLUNTEER,
				 .given = "Vic",
				 .family = "Volunteer",
				 .handle = "vicv",
				 .phone = "+16175550999",
				 .active = true};
	struct store_person jamie, j2;
	struct store_team soccer;
	struct roster_report *r;
	struct directory *d;

	import(e, DISTRICT, ROSTER_OK);
	/* Added by hand: a volunteer coach, on soccer. */
	assert_int_equal(store_person_add(e->s, "it", &p), 0);
	assert_int_equal(store_team_by_tag(e->s, e->ctx, "soccer", &soccer), 1);
	assert_int_equal(store_link_add(e->s, "it", STORE_LINK_MEMBER, soccer.id, p.id, NULL, NULL),
			 1);
	/* Deactivated by hand: the import must not bring Jamie back. */
	assert_int_equal(store_person_by_handle(e->s, e->ctx, "jamier", &jamie), 1);
	j2 = jamie;
	j2.active = false;
	j2.manual_inactive = true;
	assert_int_equal(store_person_update(e->s, "it", &jamie, &j2), 1);

	r = import(e, DISTRICT, ROSTER_OK);
	assert_int_equal(roster_changed(r), 0);
	d = load(e);
	assert_null(dir_person_by_handle(d, "jamier"));
	assert_true(dir_team_has_member(dir_team_by_tag(d, "soccer"), person(d, "vicv")));
	assert_int_equal(person(d, "vicv")->title, DIR_T_VOLUNTEER);
}

static void test_dry_run(void **state)
{
	struct env *e = *state;
	struct roster_options opt = {.actor = "test", .dry_run = true};
	struct roster_report *r;

	assert_int_equal(roster_import(e->ctx, e->s, DISTRICT, &opt, &r), ROSTER_OK);
	assert_int_equal(r->counts[ROSTER_PERSONS_ADDED], 35);
	assert_int_equal(store_directory_version(e->s), 0);
	assert_int_equal(load(e)->n_persons, 0);
}

/* --- Storage ------------------------------------------------------------------------ */

static void test_relays_and_exceptions(void **state)
{
	struct env *e = *state;
	struct store_person danal, jamier, rosad;
	struct store_exception x = {0}, *list;
	struct directory *d;
	int64_t id1, id2, now = store_now_ms();
	size_t n;

	import(e, DISTRICT, ROSTER_OK);
	assert_int_equal(store_relay_ensure(e->s, "+15550100", "modem0", &id1), 0);
	assert_int_equal(store_relay_ensure(e->s, "+15550100", NULL, &id2), 0);
	assert_true(id1 == id2);
	assert_int_equal(store_relay_ensure(e->s, "+15550102", "modem2", &id2), 0);
	assert_true(id2 != id1);
	d = load(e);
	assert_int_equal(d->n_relays, 3);
	assert_string_equal(dir_relay_by_number(d, "+15550100")->label, "modem0");

	assert_int_equal(store_person_by_handle(e->s, e->ctx, "danal", &danal), 1);
	assert_int_equal(store_person_by_handle(e->s, e->ctx, "jamier", &jamier), 1);
	assert_int_equal(store_person_by_handle(e->s, e->ctx, "rosad", &rosad), 1);
	x.staff_id = danal.id;
	x.student_id = jamier.id;
	x.approved_by = rosad.id;
	x.kind = DIR_EXC_FAMILY;
	x.reason = "Dana is Jamie's aunt";
	x.expires_at = now + 86400000;
	assert_int_equal(store_exception_add(e->s, "it", &x), 0);
	assert_true(x.id > 0);
	d = load(e);
	assert_int_equal(d->n_exceptions, 1);
	assert_non_null(dir_exception_find(d, person(d, "danal"), person(d, "jamier"), -1,
					   (time_t)(now / 1000)));
	assert_ptr_equal(d->exceptions[0]->approved_by, person(d, "rosad"));

	assert_int_equal(store_exception_revoke(e->s, "it", x.id, rosad.id), 1);
	assert_int_equal(store_exception_revoke(e->s, "it", x.id, rosad.id), 0);
	assert_int_equal(load(e)->n_exceptions, 0);
	assert_int_equal(store_exceptions_list(e->s, e->ctx, false, now, &list, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_exceptions_list(e->s, e->ctx, true, now, &list, &n), 0);
	assert_int_equal(n, 1);
	assert_true(list[0].revoked_at > 0);
	assert_true(list[0].revoked_by == rosad.id);
}

/* --- Corrupted files ------------------------------------------------------------------- */

static char *slurp(void *ctx, const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = talloc_size(ctx, 1 << 16);

	assert_non_null(f);
	*len = fread(buf, 1, (1 << 16) - 1, f);
	fclose(f);
	return buf;
}

/* The district's files with bytes flipped, quotes and separators inserted, lines cut:
 * whatever comes of it, the import must not crash, read out of bounds (ASan) or leave a
 * directory that does not load. */
/* A role the archive holds that this version does not know (a newer version's, or a
 * hand edit past the CHECK constraint) is an error naming the row, never read as a
 * student; so is an unknown exception kind (never read as "family"). */
static void test_unknown_words_refused(void **state)
{
	struct env *e = *state;
	struct store_person p;
	struct store_person *all;
	size_t n;
	sqlite3 *db = store_db(e->s);

	import(e, DISTRICT, ROSTER_OK);
	assert_int_equal(store_person_by_handle(e->s, e->ctx, "jamier", &p), 1);
	assert_int_equal(sqlite3_exec(db,
				      "PRAGMA ignore_check_constraints = 1;"
				      " UPDATE persons SET role = 'mentor' WHERE handle = 'jamier';"
				      " PRAGMA ignore_check_constraints = 0;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(store_person_by_handle(e->s, e->ctx, "jamier", &p), -1);
	assert_non_null(strstr(store_errmsg(e->s), "role 'mentor'"));
	assert_int_equal(store_persons_list(e->s, e->ctx, &all, &n), -1);
	assert_null(store_directory_load(e->s, e->ctx));
}

/* More relay numbers than a box serves: the directory is refused with the reason, where
 * it used to load with the extra numbers silently serving no team. */
static void test_too_many_relays_refused(void **state)
{
	struct env *e = *state;
	int64_t id;

	import(e, DISTRICT, ROSTER_OK);
	for (int i = 0; i <= DIR_MAX_RELAYS; i++) {
		char number[16];
		snprintf(number, sizeof(number), "+1555020%04d", i);
		assert_int_equal(store_relay_ensure(e->s, number, NULL, &id), 0);
	}
	assert_null(store_directory_load(e->s, e->ctx));
	assert_non_null(strstr(store_errmsg(e->s), "a box serves at most 32"));
}

/* A OneRoster relative is not a guardian unless the district counts the role
 * (--guardian-roles): not imported by default, imported and linked when counted, and
 * deactivated when no longer counted. */
static void test_relatives_are_not_guardians(void **state)
{
	struct env *e = *state;
	struct roster_options with = {
	    .country_code = "1", .actor = "test", .guardian_roles = "parent,guardian,relative"};
	struct roster_report *r;
	struct store_person jamie, carmen;

	r = import(e, HOUSEHOLDS, ROSTER_OK);
	assert_int_equal(r->not_guardians, 1);
	assert_int_equal(store_person_by_source(e->s, e->ctx, "r-4901", &carmen), 0);
	assert_int_equal(store_person_by_handle(e->s, e->ctx, "jamier", &jamie), 1);
	assert_int_equal(dir_person_by_id(load(e), jamie.id)->n_guardians, 2);

	assert_int_equal(roster_import(e->ctx, e->s, HOUSEHOLDS, &with, &r), ROSTER_OK);
	assert_int_equal(r->not_guardians, 0);
	assert_int_equal(store_person_by_source(e->s, e->ctx, "r-4901", &carmen), 1);
	assert_int_equal(carmen.role, DIR_GUARDIAN);
	assert_int_equal(store_link_exists(e->s, STORE_LINK_GUARDIAN, jamie.id, carmen.id), 1);
	assert_int_equal(dir_person_by_id(load(e), jamie.id)->n_guardians, 3);

	/* No longer counted: deactivated, so the relay no longer knows her as Jamie's
	 * guardian (the link of an inactive person is kept, as for anyone who leaves). */
	r = import(e, HOUSEHOLDS, ROSTER_OK);
	assert_int_equal(r->not_guardians, 1);
	assert_int_equal(store_person_by_source(e->s, e->ctx, "r-4901", &carmen), 1);
	assert_false(carmen.active);
	assert_int_equal(dir_person_by_id(load(e), jamie.id)->n_guardians, 2);
}

/* A teacher who is also a parent is listed twice (a teacher row and a parent row with the
 * same phone, written differently, and another e-mail): one person, staff of their team and
 * guardian of their son, with their phone; a second import changes nothing. Before, the
 * parent row was imported on its own without a phone and Noah's copies lost his father. */
static void test_staff_parent_is_one_person(void **state)
{
	struct env *e = *state;
	struct roster_report *r = import(e, HOUSEHOLDS, ROSTER_OK);
	struct store_person marcus, noah, parent_row;
	struct directory *d;
	struct dir_person *m, *n;
	bool noted = false;

	assert_int_equal(r->merged, 1);
	for (unsigned i = 0; i < r->n_notes; i++)
		noted |= strstr(r->notes[i], "'g-4017' (parent) is 't-1002' (staff") != NULL;
	assert_true(noted);
	assert_int_equal(store_person_by_source(e->s, e->ctx, "t-1002", &marcus), 1);
	assert_int_equal(store_person_by_source(e->s, e->ctx, "g-4017", &parent_row), 0);
	assert_int_equal(store_person_by_source(e->s, e->ctx, "s-3013", &noah), 1);
	assert_string_equal(marcus.phone, "+16175550102");
	assert_int_equal(marcus.role, DIR_STAFF);
	assert_int_equal(store_link_exists(e->s, STORE_LINK_GUARDIAN, noah.id, marcus.id), 1);

	d = load(e);
	m = dir_person_by_id(d, marcus.id);
	n = dir_person_by_id(d, noah.id);
	assert_int_equal(n->n_guardians, 2);
	assert_true(in(n->guardians, n->n_guardians, m));
	assert_int_equal(m->n_wards, 1);
	assert_int_equal(m->n_teams, 1); /* coaches Soccer; a parent is no team member */
	assert_ptr_equal(dir_person_by_phone(d, "+16175550102"), m);

	r = import(e, HOUSEHOLDS, ROSTER_OK);
	assert_int_equal(roster_changed(r), 0);
	assert_int_equal(r->merged, 1);
}

/* A parent row imported before the district's export put the teacher's phone on it (so
 * the two were two persons): the next import merges them, the parent row is deactivated
 * as "the same person as", and the son's guardianship moves to the teacher. */
static void test_staff_parent_merged_later(void **state)
{
	struct env *e = *state;
	char dir[96], cmd[320];
	struct store_person parent_row, marcus, noah;
	struct roster_report *r;
	bool said = false;

	snprintf(dir, sizeof(dir), "%s/before", e->dir);
	snprintf(cmd, sizeof(cmd),
		 "cp -r %s %s && sed -i 's/^\\(g-4017,.*\\),617.555.0102,/\\1,,/' %s/users.csv",
		 HOUSEHOLDS, dir, dir);
	assert_int_equal(system(cmd), 0);
	r = import(e, dir, ROSTER_OK);
	assert_int_equal(r->merged, 0);
	assert_int_equal(store_person_by_source(e->s, e->ctx, "g-4017", &parent_row), 1);
	assert_true(parent_row.active);
	assert_null(parent_row.phone);

	r = import(e, HOUSEHOLDS, ROSTER_OK);
	assert_int_equal(r->merged, 1);
	for (unsigned i = 0; i < r->n_changes; i++)
		said |= strstr(r->changes[i], "the same person as marcusb") != NULL;
	assert_true(said);
	assert_int_equal(store_person_by_source(e->s, e->ctx, "g-4017", &parent_row), 1);
	assert_false(parent_row.active);
	assert_int_equal(store_person_by_source(e->s, e->ctx, "t-1002", &marcus), 1);
	assert_int_equal(store_person_by_source(e->s, e->ctx, "s-3013", &noah), 1);
	assert_int_equal(store_link_exists(e->s, STORE_LINK_GUARDIAN, noah.id, marcus.id), 1);
	assert_int_equal(store_link_exists(e->s, STORE_LINK_GUARDIAN, noah.id, parent_row.id), 0);
}

/* guardians.csv may name a staff member as a student's guardian, by sourcedId or by
 * handle: one person, staff and guardian. A student named as a guardian is refused. */
static void test_guardians_csv_staff_guardian(void **state)
{
	struct env *e = *state;
	char dir[96], cmd[512];
	struct store_person sam, morgan, alan, priya;
	struct roster_report *r;

	import(e, DISTRICT, ROSTER_OK);
	snprintf(dir, sizeof(dir), "%s/staffparents", e->dir);
	snprintf(cmd, sizeof(cmd),
		 "cp -r %s %s && printf 's-3003,t-1004,,,,father\\ns-3008,@priyas,,,,mother\\n"
		 "s-3009,s-3001,,,,\\n' >> %s/guardians.csv",
		 DISTRICT, dir, dir);
	assert_int_equal(system(cmd), 0);
	r = import(e, dir, ROSTER_REJECTED);
	assert_int_equal(r->n_problems, 1);
	assert_problem(r, "guardians.csv:13", "'s-3001' is a student in users.csv, not a guardian");
	assert_int_equal(store_person_by_handle(e->s, e->ctx, "samo", &sam), 1);
	assert_int_equal(store_person_by_handle(e->s, e->ctx, "morganp", &morgan), 1);
	assert_int_equal(store_person_by_handle(e->s, e->ctx, "alant", &alan), 1);
	assert_int_equal(store_person_by_handle(e->s, e->ctx, "priyas", &priya), 1);
	assert_int_equal(alan.role, DIR_STAFF);
	assert_int_equal(store_link_exists(e->s, STORE_LINK_GUARDIAN, sam.id, alan.id), 1);
	assert_int_equal(store_link_exists(e->s, STORE_LINK_GUARDIAN, morgan.id, priya.id), 1);
	assert_int_equal(dir_person_by_id(load(e), sam.id)->n_guardians, 2);
}

/* A building (teams.csv kind building) lists its staff, and its students as "*": every
 * active student, kept in step by the next import. */
static void test_building_team(void **state)
{
	struct env *e = *state;
	struct directory *d;
	struct dir_team *b;
	unsigned students = 0;

	import(e, HOUSEHOLDS, ROSTER_OK);
	d = load(e);
	b = dir_team_by_tag(d, "lakeview");
	assert_non_null(b);
	assert_int_equal(b->kind, DIR_TEAM_BUILDING);
	assert_string_equal(b->relay->number, "+15550102");
	assert_int_equal(b->n_staff, 3);
	for (unsigned i = 0; i < d->n_persons; i++)
		students += d->persons[i]->role == DIR_STUDENT;
	assert_int_equal(b->n_students, students);
	assert_int_equal(students, 14);
	/* Overseen by the principal, as clubs and classes are. */
	assert_int_equal(b->n_overseers, 1);
	assert_string_equal(b->overseers[0]->handle, "helenp");
	assert_int_equal(roster_changed(import(e, HOUSEHOLDS, ROSTER_OK)), 0);
}

/* An archive written before building teams existed: the teams table is rebuilt to take
 * the new kind, with its rows, ids and the links that name them. */
static void test_building_migration(void **state)
{
	struct env *e = *state;
	char err[256];
	int64_t soccer;

	import(e, DISTRICT, ROSTER_OK);
	soccer = dir_team_by_tag(load(e), "soccer")->id;
	assert_int_equal(store_exec(e->s, "PRAGMA foreign_keys=OFF"), 0);
	assert_int_equal(
	    store_exec(e->s,
		       "BEGIN;"
		       "CREATE TABLE t_old AS SELECT * FROM teams;"
		       "DROP TABLE teams;"
		       "CREATE TABLE teams (id INTEGER PRIMARY KEY, source_id TEXT UNIQUE,"
		       " origin TEXT, tag TEXT NOT NULL UNIQUE, name TEXT NOT NULL,"
		       " kind TEXT NOT NULL CHECK (kind IN ('sports', 'club', 'class')),"
		       " relay_id INTEGER REFERENCES relays(id),"
		       " active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),"
		       " inactive_reason TEXT CHECK (inactive_reason IN ('source', 'manual')),"
		       " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
		       "INSERT INTO teams SELECT * FROM t_old; DROP TABLE t_old;"
		       "DELETE FROM schema_migrations WHERE name = 'directory-2';"
		       "COMMIT;"),
	    0);
	assert_int_not_equal(store_exec(e->s, "UPDATE teams SET kind = 'building' WHERE id = 1"),
			     0);
	store_close(e->s);
	e->s = store_open(e, e->path, err, sizeof(err));
	if (!e->s)
		fail_msg("store_open: %s", err);
	assert_int_equal(
	    store_exec(e->s, "UPDATE teams SET kind = 'building' WHERE tag = 'robotics'"), 0);
	assert_int_equal(store_exec(e->s, "DELETE FROM teams WHERE tag = 'soccer'") < 0, 1);
	assert_int_equal(dir_team_by_tag(load(e), "soccer")->id, soccer);
	assert_int_equal(dir_team_by_tag(load(e), "soccer")->n_students, 8);
	assert_int_equal(dir_team_by_tag(load(e), "robotics")->kind, DIR_TEAM_BUILDING);
}

/* Two new people who would share a short handle (Sam Ortiz and Sam O’Neil: samo) both get
 * given and family name; a later Sam O. does too, and nobody's handle changes on a
 * re-import. Before, the first imported got samo and the other samo2. */
static void test_colliding_handles(void **state)
{
	struct env *e = *state;
	struct store_person ortiz, oneil, p;

	import(e, HOUSEHOLDS, ROSTER_OK);
	assert_int_equal(store_person_by_source(e->s, e->ctx, "s-3003", &ortiz), 1);
	assert_int_equal(store_person_by_source(e->s, e->ctx, "s-3014", &oneil), 1);
	assert_string_equal(ortiz.handle, "samortiz");
	assert_string_equal(oneil.handle, "samoneil");
	assert_int_equal(store_person_by_handle(e->s, e->ctx, "samo", &p), 0);
	assert_int_equal(roster_changed(import(e, HOUSEHOLDS, ROSTER_OK)), 0);
}

/* Titles from users.csv (the OneRoster extension column metadata.title) and titles.csv. A
 * counselor's or nurse's title keeps a teacher staff — alerted of crises, but no
 * approver of exceptions; an administrator-only title (assistant principal) makes them
 * an administrator. Before, titles.csv's "counselor" made a teacher an administrator. */
static void test_titles_are_not_permissions(void **state)
{
	struct env *e = *state;
	char dir[96], cmd[640];
	struct store_person alan, marcus, dana;

	snprintf(dir, sizeof(dir), "%s/titled", e->dir);
	snprintf(cmd, sizeof(cmd),
		 "cp -r %s %s && sed -i -e '1s/$/,metadata.title/' -e '2,$s/$/,/' "
		 "-e 's/^\\(t-1004,.*\\),$/\\1,counselor/' "
		 "-e 's/^\\(t-1001,.*\\),$/\\1,assistant principal/' %s/users.csv && "
		 "sed -i -e '/^t-1001,/d' -e '/^t-1004,/d' -e 's/^t-1002,coach$/t-1002,nurse/' "
		 "%s/titles.csv",
		 DISTRICT, dir, dir, dir);
	assert_int_equal(system(cmd), 0);
	import(e, dir, ROSTER_OK);
	assert_int_equal(store_person_by_source(e->s, e->ctx, "t-1004", &alan), 1);
	assert_int_equal(alan.role, DIR_STAFF);
	assert_int_equal(alan.title, DIR_T_COUNSELOR);
	assert_int_equal(store_person_by_source(e->s, e->ctx, "t-1002", &marcus), 1);
	assert_int_equal(marcus.role, DIR_STAFF);
	assert_int_equal(marcus.title, DIR_T_NURSE);
	assert_int_equal(store_person_by_source(e->s, e->ctx, "t-1001", &dana), 1);
	assert_int_equal(dana.role, DIR_ADMIN);
	assert_int_equal(dana.title, DIR_T_ASSISTANT_PRINCIPAL);
	assert_int_equal(roster_changed(import(e, dir, ROSTER_OK)), 0);
}

/* A first import of an export that still lists users and classes on their way out:
 * links to them are left out and the report says why ("being deleted"), not that they
 * are unknown, and the import is not rejected. */
static void test_leaving_is_not_unknown(void **state)
{
	struct env *e = *state;
	struct roster_report *r = import(e, ROSTER("changed"), ROSTER_OK);
	bool agent = false, class = false;

	assert_int_equal(r->n_problems, 0);
	for (unsigned i = 0; i < r->n_notes; i++) {
		agent |=
		    strstr(r->notes[i], "users.csv:25: agent 's-3004' is being deleted") != NULL;
		class |= strstr(r->notes[i], "class 'c-5002' is being deleted") != NULL;
	}
	assert_true(agent);
	assert_true(class);
}

static void test_corrupted_files(void **state)
{
	struct env *e = *state;
	static const char *const names[] = {"users.csv",    "guardians.csv", "teams.csv",
					    "titles.csv",   "classes.csv",   "enrollments.csv",
					    "manifest.csv", "orgs.csv"};
	static const char junk[] = {'"', ',', '\n', '\r', '\0', '\xff', '\xc3', '#', '@', ' '};
	char dir[96], path[160];
	/* Fixed by default; ROSTER_FUZZ_SEED and ROSTER_FUZZ_ROUNDS explore further. */
	unsigned seed =
	    getenv("ROSTER_FUZZ_SEED") ? (unsigned)atoi(getenv("ROSTER_FUZZ_SEED")) : 20261122;
	unsigned rounds =
	    getenv("ROSTER_FUZZ_ROUNDS") ? (unsigned)atoi(getenv("ROSTER_FUZZ_ROUNDS")) : 200;

	snprintf(dir, sizeof(dir), "%s/fuzz", e->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	for (unsigned round = 0; round < rounds; round++) {
		struct roster_report *r;
		enum roster_status st;
		/* Every other round past the brakes, so that damaged files are written too. */
		struct roster_options opt = {.actor = "fuzz", .force = round % 2};

		for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
			size_t len, edits;
			char *buf;
			FILE *f;

			size_t body;

			snprintf(path, sizeof(path), "%s/%s", DISTRICT, names[i]);
			buf = slurp(e->ctx, path, &len);
			/* Mostly the rows: a broken header or manifest fails the whole import,
			 * which every fifth round tries. */
			body = round % 5 ? (size_t)(strchr(buf, '\n') - buf) + 1 : 0;
			edits = (size_t)(rand_r(&seed) % 6);
			if (round % 5 && !strcmp(names[i], "manifest.csv"))
				edits = 0;
			for (size_t k = 0; k < edits && len > body; k++) {
				size_t at = body + (size_t)rand_r(&seed) % (len - body);
				switch (rand_r(&seed) % 3) {
				case 0: /* overwrite */
					buf[at] = junk[rand_r(&seed) % sizeof(junk)];
					break;
				case 1: /* cut */
					len = at;
					break;
				default: /* flip */
					buf[at] = (char)(buf[at] ^ (1 << (rand_r(&seed) % 8)));
				}
			}
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			f = fopen(path, "wb");
			assert_non_null(f);
			fwrite(buf, 1, len, f);
			fclose(f);
			talloc_free(buf);
		}
		st = roster_import(e->ctx, e->s, dir, &opt, &r);
		assert_true(st == ROSTER_OK || st == ROSTER_REJECTED || st == ROSTER_FAILED ||
			    st == ROSTER_STOPPED);
		assert_true(st != ROSTER_OK || r->n_problems == 0);
		assert_true((st == ROSTER_STOPPED) == r->stopped);
		assert_true(!r->stopped || !opt.force);
		talloc_free(r);
		talloc_free(load(e));
	}
}

/* --- The brakes ----------------------------------------------------------------------- */

static void test_brake_arithmetic(void **state)
{
	unsigned pct = 77;

	(void)state;
	/* An archive with no one in it is never braked: a first import. */
	assert_false(roster_brake_over(0, 0, 0));
	assert_false(roster_brake_over(35, 0, 10));
	/* "More than": exactly the share passes, one more does not. */
	assert_false(roster_brake_over(2, 20, 10));
	assert_true(roster_brake_over(3, 20, 10));
	/* No rounding: 10.5 % is over a 10 % brake, 9.97 % is not. */
	assert_true(roster_brake_over(21, 200, 10));
	assert_false(roster_brake_over(299, 3000, 10));
	assert_true(roster_brake_over(1, 1000, 0));
	assert_false(roster_brake_over(0, 1000, 0));
	assert_false(roster_brake_over(1000, 1000, 100));
	/* No overflow at the extremes. */
	assert_false(roster_brake_over(UINT_MAX, UINT_MAX, 100));
	assert_true(roster_brake_over(UINT_MAX, UINT_MAX, 99));

	assert_int_equal(roster_parse_share("25%", &pct), 0);
	assert_int_equal(pct, 25);
	assert_int_equal(roster_parse_share("0", &pct), 0);
	assert_int_equal(pct, 0);
	assert_int_equal(roster_parse_share("100%", &pct), 0);
	assert_int_equal(pct, 100);
	static const char *const bad[] = {"",
					  "%",
					  "101%",
					  "25%%",
					  "-5",
					  "2.5%",
					  " 25",
					  "25 %",
					  "ten",
					  "1e2",
					  "99999999999999999999"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		pct = 77;
		assert_int_equal(roster_parse_share(bad[i], &pct), -EINVAL);
		assert_int_equal(pct, 77);
	}
	assert_int_equal(roster_parse_share(NULL, &pct), -EINVAL);
}

/* A small school as its SIS exports it: a teacher listed twice (teacher and parent, the
 * same phone), families with Greek, Chinese, Arabic and Cyrillic names. `drop` leaves out
 * the users whose sourcedId it lists; `sms` false leaves out the sms column; `agents`
 * false the students' guardians. */
static void write_school(const char *dir, const char *drop, bool sms, bool agents)
{
	static const char *const rows[][6] = {
	    {"t-1", "teacher", "Dana", "Lee", "617-555-0101", ""},
	    {"t-2", "teacher", "Marcus", "Bell", "617-555-0102", ""},
	    {"g-2", "parent", "Marcus", "Bell", "(617) 555-0102", ""},
	    {"s-1", "student", "Jamie", "Rivera", "617-555-0301", "g-1"},
	    {"s-2", "student", "Noah", "Bell", "617-555-0302", "g-2"},
	    {"s-3", "student", "Ελένη", "Παπαδοπούλου", "617-555-0303", "g-3"},
	    {"s-4", "student", "伟", "张", "617-555-0304", "g-4"},
	    {"s-5", "student", "محمد", "علي", "617-555-0305", "g-5"},
	    {"s-6", "student", "Юлия", "Смирнова", "617-555-0306", "g-6"},
	    {"s-7", "student", "Zoë", "Ødegård", "617-555-0307", "g-1"},
	    {"s-8", "student", "Sam", "Ortiz", "617-555-0308", "g-3"},
	    {"g-1", "parent", "Maria", "Rivera", "617-555-0401", ""},
	    {"g-3", "parent", "Γιώργος", "Παπαδόπουλος", "617-555-0403", ""},
	    {"g-4", "parent", "芳", "王", "617-555-0404", ""},
	    {"g-5", "parent", "فاطمة", "علي", "617-555-0405", ""},
	    {"g-6", "parent", "Ольга", "Смирнова", "617-555-0406", ""},
	};
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/users.csv", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "sourcedId,role,givenName,familyName%s,agentSourcedIds\n", sms ? ",sms" : "");
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		char key[8];

		snprintf(key, sizeof(key), "%s,", rows[i][0]);
		if (drop && strstr(drop, key))
			continue;
		fprintf(f, "%s,%s,%s,%s%s%s,%s\n", rows[i][0], rows[i][1], rows[i][2], rows[i][3],
			sms ? "," : "", sms ? rows[i][4] : "", agents ? rows[i][5] : "");
	}
	fclose(f);
}

static bool brake_names(const struct roster_brake *b, const char *name)
{
	for (unsigned i = 0; i < b->n_names; i++)
		if (!strcmp(b->names[i], name))
			return true;
	return false;
}

static struct roster_report *import_brakes(struct env *e, const char *dir, unsigned max_deact,
					   unsigned max_cleared, bool force,
					   enum roster_status want)
{
	struct roster_brakes b = {max_deact, max_cleared};
	struct roster_options opt = {
	    .country_code = "1", .actor = "it-admin", .brakes = &b, .force = force};
	struct roster_report *r;
	enum roster_status st = roster_import(e->ctx, e->s, dir, &opt, &r);

	if (st != want) {
		for (unsigned i = 0; i < r->n_problems; i++)
			fprintf(stderr, "  %s\n", r->problems[i]);
		fail_msg("import of %s: status %d, want %d", dir, st, want);
	}
	return r;
}

static int64_t last_change(struct env *e, struct store_change *out)
{
	struct store_change *c;
	size_t n;

	assert_int_equal(store_directory_changes(e->s, e->ctx, 0, 0, &c, &n), 0);
	assert_true(n > 0);
	*out = c[n - 1];
	return (int64_t)n;
}

static void test_brakes(void **state)
{
	struct env *e = *state;
	struct roster_report *r;
	struct store_person p;
	struct store_change c, c2;
	const struct roster_brake *b;
	char dir[96];
	int64_t n_log;

	snprintf(dir, sizeof(dir), "%s/school", e->dir);
	assert_int_equal(mkdir(dir, 0700), 0);

	/* A first import is never braked, even with brakes at 0 %. */
	write_school(dir, NULL, true, true);
	r = import_brakes(e, dir, 0, 0, false, ROSTER_OK);
	assert_false(r->stopped);
	assert_false(r->forced);
	/* Marcus Bell is listed twice and imported once: 15 persons, not 16. */
	assert_int_equal(r->merged, 1);
	assert_int_equal(r->counts[ROSTER_PERSONS_ADDED], 15);
	assert_int_equal(store_person_by_handle(e->s, e->ctx, "marcusb", &p), 1);
	assert_string_equal(p.phone, "+16175550102");
	n_log = last_change(e, &c);

	/* Three of the 15 leave (Greek, Chinese, Arabic names): 20 % is over 10 %; nothing
	 * is written. */
	write_school(dir, "s-3,s-4,s-5,", true, true);
	r = import_brakes(e, dir, 10, 10, false, ROSTER_STOPPED);
	b = &r->brakes[ROSTER_BRAKE_DEACTIVATED];
	assert_true(r->stopped);
	assert_true(b->over);
	assert_int_equal(b->n, 3);
	assert_int_equal(b->of, 15);
	assert_int_equal(b->max, 10);
	assert_int_equal(b->n_names, 3);
	/* Names without Latin letters get the role word as handle; the list shows them as
	 * written. */
	assert_true(brake_names(b, "student (Ελένη Παπαδοπούλου)"));
	assert_true(brake_names(b, "student2 (伟 张)"));
	assert_true(brake_names(b, "student3 (محمد علي)"));
	/* Their guardianships stay (a student who comes back, comes back with their family):
	 * not counted. */
	assert_int_equal(r->brakes[ROSTER_BRAKE_GUARDIANSHIPS].n, 0);
	assert_false(r->brakes[ROSTER_BRAKE_PHONES].over);
	assert_int_equal(r->counts[ROSTER_PERSONS_DEACTIVATED], 3);
	assert_int_equal(last_change(e, &c2), n_log);
	assert_int_equal(c2.id, c.id);
	/* Exactly 20 % passes a 20 % brake. */
	r = import_brakes(e, dir, 20, 10, false, ROSTER_OK);
	assert_false(r->stopped);
	assert_int_equal(r->counts[ROSTER_PERSONS_DEACTIVATED], 3);

	/* The parent row of Marcus Bell gone from the export: the same person, still there,
	 * so no deactivation; back to all three students. */
	write_school(dir, NULL, true, true);
	r = import_brakes(e, dir, 10, 10, false, ROSTER_OK);
	assert_int_equal(r->counts[ROSTER_PERSONS_REACTIVATED], 3);
	write_school(dir, "g-2,", true, true);
	/* (Noah's agentSourcedIds still names g-2: that link is skipped and reported.) */
	r = import_brakes(e, dir, 0, 100, false, ROSTER_REJECTED);
	assert_int_equal(r->brakes[ROSTER_BRAKE_DEACTIVATED].n, 0);
	assert_int_equal(r->brakes[ROSTER_BRAKE_DEACTIVATED].of, 15);
	write_school(dir, NULL, true, true);
	import_brakes(e, dir, 10, 10, false, ROSTER_OK);

	/* The export without its sms column: every phone, Marcus's once. */
	n_log = last_change(e, &c);
	write_school(dir, NULL, false, true);
	r = import_brakes(e, dir, 10, 10, false, ROSTER_STOPPED);
	b = &r->brakes[ROSTER_BRAKE_PHONES];
	assert_true(b->over);
	assert_int_equal(b->n, 15);
	assert_int_equal(b->of, 15);
	assert_int_equal(b->n_names, ROSTER_BRAKE_NAMES);
	assert_true(brake_names(b, "danal (Dana Lee)"));
	assert_true(brake_names(b, "marcusb (Marcus Bell)"));
	assert_false(r->brakes[ROSTER_BRAKE_DEACTIVATED].over);
	assert_int_equal(last_change(e, &c2), n_log);
	assert_int_equal(store_person_by_handle(e->s, e->ctx, "danal", &p), 1);
	assert_string_equal(p.phone, "+16175550101");

	/* Without the students' guardians: all 8 guardianships removed. */
	write_school(dir, NULL, true, false);
	r = import_brakes(e, dir, 10, 10, false, ROSTER_STOPPED);
	b = &r->brakes[ROSTER_BRAKE_GUARDIANSHIPS];
	assert_true(b->over);
	assert_int_equal(b->of, 8);
	assert_int_equal(b->n, 8);
	assert_true(brake_names(b, "jamier/mariar"));
	/* Marcus Bell's guardianship is his staff person's, listed twice or not. */
	assert_true(brake_names(b, "noahb/marcusb"));
	assert_int_equal(last_change(e, &c2), n_log);
	/* --max-cleared 100 % lets it through. */
	import_brakes(e, dir, 10, 100, false, ROSTER_OK);
	write_school(dir, NULL, true, true);
	import_brakes(e, dir, 10, 10, false, ROSTER_OK);

	/* Forced: written, and the change log says who forced it and the counts. */
	write_school(dir, NULL, false, true);
	r = import_brakes(e, dir, 10, 10, true, ROSTER_OK);
	assert_true(r->forced);
	assert_false(r->stopped);
	assert_int_equal(r->counts[ROSTER_PERSONS_UPDATED], 15);
	assert_int_equal(store_person_by_handle(e->s, e->ctx, "danal", &p), 1);
	assert_null(p.phone);
	last_change(e, &c);
	assert_string_equal(c.action, "roster.import");
	{
		struct store_change *all;
		size_t n;
		bool found = false;

		assert_int_equal(store_directory_changes(e->s, e->ctx, 0, 0, &all, &n), 0);
		for (size_t i = 0; i < n; i++) {
			if (strcmp(all[i].action, "roster.forced"))
				continue;
			found = true;
			assert_string_equal(all[i].actor, "it-admin");
			assert_non_null(
			    strstr(all[i].detail, "forced past the brakes by it-admin"));
			assert_non_null(
			    strstr(all[i].detail, "phones cleared 15 of 15 (brake 10%), over"));
			assert_non_null(
			    strstr(all[i].detail, "persons deactivated 0 of 15 (brake 10%)"));
		}
		assert_true(found);
	}
}

/* Replace every `from` in dir/users.csv by `to` (same length). */
static void rewrite_users(const char *dir, const char *from, const char *to)
{
	char path[160], buf[8192], *p;
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/users.csv", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	for (p = buf; (p = strstr(p, from)); p += strlen(to))
		memcpy(p, to, strlen(to));
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

/* Phones changed wholesale (another column mapped as sms) stop an import as clearing
 * them does; one family's new number does not. */
static void test_brakes_phone_changes(void **state)
{
	struct env *e = *state;
	struct roster_report *r;
	struct store_person p;
	const struct roster_brake *b;
	char dir[96];

	snprintf(dir, sizeof(dir), "%s/school", e->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	write_school(dir, NULL, true, true);
	import_brakes(e, dir, 10, 10, false, ROSTER_OK);

	/* One family's new number is an ordinary change: 1 of 15 is under 10 %. */
	rewrite_users(dir, "617-555-0401", "617-555-0491");
	r = import_brakes(e, dir, 10, 10, false, ROSTER_OK);
	assert_int_equal(r->brakes[ROSTER_BRAKE_PHONES_CHANGED].n, 1);
	assert_false(r->brakes[ROSTER_BRAKE_PHONES_CHANGED].over);

	/* Every student's number changed (the eight of them): stopped, nothing written. */
	rewrite_users(dir, "617-555-03", "617-555-09");
	r = import_brakes(e, dir, 10, 10, false, ROSTER_STOPPED);
	b = &r->brakes[ROSTER_BRAKE_PHONES_CHANGED];
	assert_true(b->over);
	assert_int_equal(b->n, 8);
	assert_int_equal(b->of, 15);
	assert_true(brake_names(b, "jamier (Jamie Rivera)"));
	assert_false(r->brakes[ROSTER_BRAKE_PHONES].over);
	assert_int_equal(store_person_by_handle(e->s, e->ctx, "jamier", &p), 1);
	assert_string_equal(p.phone, "+16175550301");
	/* --max-cleared covers changed phones too. */
	r = import_brakes(e, dir, 10, 60, false, ROSTER_OK);
	assert_int_equal(store_person_by_handle(e->s, e->ctx, "jamier", &p), 1);
	assert_string_equal(p.phone, "+16175550901");
}

/* --- Names ---------------------------------------------------------------------------- */

static int taken_set(void *arg, const char *name)
{
	const char *const *set = arg;

	for (; *set; set++)
		if (!strcmp(*set, name))
			return 1;
	return 0;
}

static void test_names(void **state)
{
	char out[64];
	const char *taken[] = {"jamier", "jamier2", "bio101", NULL};

	(void)state;
	roster_handle_base(out, sizeof(out), "Jamie", "Rivera");
	assert_string_equal(out, "jamier");
	roster_handle_base(out, sizeof(out), "José", "Núñez");
	assert_string_equal(out, "josen");
	roster_handle_base(out, sizeof(out), "Mary-Kate", "O'Brien");
	assert_string_equal(out, "marykateo");
	roster_handle_base(out, sizeof(out), "Łukasz", "Żółć");
	assert_string_equal(out, "lukaszz");
	roster_handle_base(out, sizeof(out), "明", "王");
	assert_string_equal(out, "");
	roster_handle_base(out, 4, "Jamie", "Rivera");
	assert_string_equal(out, "jam");

	assert_int_equal(roster_unique_name(out, sizeof(out), "jamier", "x", taken_set, taken), 0);
	assert_string_equal(out, "jamier3");
	assert_int_equal(roster_unique_name(out, sizeof(out), "bio101", "x", taken_set, taken), 0);
	assert_string_equal(out, "bio101-2");
	assert_int_equal(roster_unique_name(out, sizeof(out), "", "student", taken_set, taken), 0);
	assert_string_equal(out, "student");

	assert_true(roster_handle_valid("jamier"));
	assert_true(roster_handle_valid("2pac"));
	assert_false(roster_handle_valid("Jamie"));
	assert_false(roster_handle_valid("a.b"));
	assert_false(roster_handle_valid(""));
	assert_true(roster_word_valid("soccer"));
	assert_false(roster_word_valid("101bio"));
	assert_false(roster_word_valid("this-is-a-very-long-tag-of-33-chr"));
	assert_true(roster_name_valid("Zoë"));
	assert_false(roster_name_valid("Riley\nAnn"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_district, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reimport_changes_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_change_log, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_changed_export, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_rows, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_quoting, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_rows_leave_persons_alone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_manifest, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_column, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_empty_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_titles_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hand_made_changes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_relays_and_exceptions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupted_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_words_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_too_many_relays_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_relatives_are_not_guardians, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_staff_parent_is_one_person, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_staff_parent_merged_later, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_guardians_csv_staff_guardian, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_building_team, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_colliding_handles, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_titles_are_not_permissions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_building_migration, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_leaving_is_not_unknown, setup, teardown),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_brake_arithmetic),
	    cmocka_unit_test_setup_teardown(test_brakes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_brakes_phone_changes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
