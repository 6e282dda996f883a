/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Roster import: the district's directory from its Student Information System.
 *
 * A roster directory holds whichever of these the district has (docs/roster-formats.md):
 *   OneRoster 1.1 CSV   manifest.csv, orgs.csv, users.csv, classes.csv, enrollments.csv
 *   guardians.csv       guardian links and phones the SIS export lacks
 *   teams.csv           sports teams and clubs: members, subgroups, overseers, relay
 *   titles.csv          staff titles (coach, athletic_director, principal, ...)
 *
 * An import is a reconciliation, not an append: each file present is the whole truth for
 * what it brings (a person gone from users.csv is deactivated, a membership gone from
 * teams.csv is removed), a file absent leaves what it once brought alone, and what was
 * added by hand through the CLI is never touched. Importing the same files twice changes
 * nothing the second time. Everything is applied in one transaction; a bad row is
 * reported as "FILE:LINE: reason", skipped, and leaves the person it names as they were. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "storage/archive/progress.h"

struct store;

enum roster_status {
	ROSTER_OK = 0,	     /* every row imported */
	ROSTER_REJECTED = 1, /* some rows rejected, the rest imported */
	ROSTER_FAILED = 2,   /* nothing imported: unreadable directory or file, bad manifest */
	ROSTER_STOPPED = 3,  /* nothing imported: it would take too much away (the brakes) */
};

/* The brakes: a users.csv exported without its sms column, with a column mapped wrong, or
 * cut short, must not clear or change the district's phones or deactivate most of it. An
 * import that would deactivate more than max_deactivate percent of the active persons,
 * or clear or change more than max_cleared percent of the phone numbers, or remove more
 * than max_cleared percent of the guardianships on file, writes nothing and stops
 * (ROSTER_STOPPED), unless forced. Teams are not braked: classes end every semester and
 * teams every season. Persons and links added by hand, which an import never takes away,
 * count in what is on file; a parent row merged into its staff member (the same person)
 * is not a deactivation. An archive with no one in it is never braked. */
#define ROSTER_BRAKE_DEFAULT 10 /* percent */
struct roster_brakes {
	unsigned max_deactivate; /* percent, 0-100 */
	unsigned max_cleared;	 /* percent, 0-100: phones cleared or changed, guardianships */
};

struct roster_options {
	const char *country_code; /* for numbers written without one; NULL: "1" */
	const char *actor;	  /* recorded with every change */
	bool dry_run;		  /* work everything out and report it, change nothing */
	/* The OneRoster roles that count as guardians, comma-separated (FERPA gives rights
	 * to parents and guardians): a user of another guardian-like role (relative) is not
	 * imported, and a student's agents of that role are not linked. NULL: the default,
	 * ROSTER_GUARDIAN_ROLES. */
	const char *guardian_roles;
	const struct store_progress *progress; /* NULL: none */
	const struct roster_brakes *brakes;    /* NULL: ROSTER_BRAKE_DEFAULT for each */
	/* Go past the brakes; the change log records it ("roster.forced", with the actor
	 * and the counts). */
	bool force;
};
#define ROSTER_GUARDIAN_ROLES "parent,guardian"

enum roster_count {
	ROSTER_PERSONS_ADDED,
	ROSTER_PERSONS_UPDATED,
	ROSTER_PERSONS_DEACTIVATED,
	ROSTER_PERSONS_REACTIVATED,
	ROSTER_TEAMS_ADDED,
	ROSTER_TEAMS_UPDATED,
	ROSTER_TEAMS_DEACTIVATED,
	ROSTER_TEAMS_REACTIVATED,
	ROSTER_MEMBERS_ADDED,
	ROSTER_MEMBERS_REMOVED,
	ROSTER_OVERSEERS_ADDED,
	ROSTER_OVERSEERS_REMOVED,
	ROSTER_SUBGROUPS_ADDED,
	ROSTER_SUBGROUPS_REMOVED,
	ROSTER_SUBGROUP_MEMBERS_ADDED,
	ROSTER_SUBGROUP_MEMBERS_REMOVED,
	ROSTER_GUARDIANSHIPS_ADDED,
	ROSTER_GUARDIANSHIPS_UPDATED,
	ROSTER_GUARDIANSHIPS_REMOVED,
	ROSTER_RELAYS_ADDED,
	ROSTER_N_COUNTS,
};

/* What the brakes looked at. */
enum roster_brake_kind {
	ROSTER_BRAKE_DEACTIVATED,    /* active persons deactivated */
	ROSTER_BRAKE_PHONES,	     /* phones cleared from persons who stay active */
	ROSTER_BRAKE_GUARDIANSHIPS,  /* guardianships removed */
	ROSTER_BRAKE_PHONES_CHANGED, /* phones replaced by another, persons who stay active */
	ROSTER_N_BRAKES,
};
#define ROSTER_BRAKE_NAMES 5 /* the first few affected, by name */

struct roster_brake {
	unsigned n;   /* would take away n ... */
	unsigned of;  /* ... of the `of` on file before the import */
	unsigned max; /* percent allowed */
	bool over;    /* n is more than max percent of `of` */
	/* "danal (Dana Lee)", "jamier/mariar": the first few affected. */
	const char *names[ROSTER_BRAKE_NAMES];
	unsigned n_names;
};

struct roster_report {
	enum roster_status status;
	/* Rejected rows and file-level errors, "PATH:LINE: reason", in the order found. */
	char **problems;
	unsigned n_problems;
	/* Each change made (or that would be, in a dry run), readable. */
	char **changes;
	unsigned n_changes;
	unsigned counts[ROSTER_N_COUNTS];
	/* The files read, by name ("users.csv"), and the district's name from orgs.csv. */
	const char **files;
	unsigned n_files;
	const char *district;
	unsigned rows; /* data rows read, all files */
	/* users.csv rows of a guardian-like role the district does not count as guardians
	 * (roster_options.guardian_roles): not imported, never copied. */
	unsigned not_guardians;
	/* Staff or administrators listed again as a parent or guardian (same given name, and
	 * the same phone or e-mail): imported as one person with both roles. */
	unsigned merged;
	/* Rows and links left out on purpose, and why ("PATH:LINE: reason"): not problems
	 * (they do not make the import rejected), but worth knowing. */
	char **notes;
	unsigned n_notes;
	/* The brakes, each import: stopped (nothing written) when one is over and the import
	 * was not forced; forced when one was over and --force took it past. */
	struct roster_brake brakes[ROSTER_N_BRAKES];
	bool stopped, forced;
};

/* Whether `dir` can be imported from, found before anything is opened or created: it
 * exists, is a directory, and holds at least one roster file, each readable. 0, or -1
 * with "DIR: reason" (or "DIR/FILE: reason") in err, as roster_import() reports it. */
int roster_check_dir(const char *dir, char *err, size_t errlen);

/* Import the roster directory `dir` into the store. The report is allocated under ctx
 * (always, also on failure). Returns the report's status. */
enum roster_status roster_import(void *ctx, struct store *s, const char *dir,
				 const struct roster_options *opt, struct roster_report **report);

/* Total number of changes in the report. */
unsigned roster_changed(const struct roster_report *r);
/* The summary (counts; each change too when verbose) as `chaperone roster import`
 * prints it. Problems are not printed: they go to stderr as they are. */
void roster_print_summary(FILE *f, const struct roster_report *r, const char *dir, bool verbose,
			  bool dry_run);

/* Whether taking away n of `of` is more than max_pct percent of them: never when there
 * were none (a first import). */
bool roster_brake_over(unsigned n, unsigned of, unsigned max_pct);
/* "25%", "25", "0%", "100%": a share for the brakes, 0-100 percent. -EINVAL when not. */
int roster_parse_share(const char *s, unsigned *pct);
/* What stopped the import (or what --force went past): for each brake over, the count,
 * the share and the first names affected. Nothing when no brake is over. */
void roster_print_brakes(FILE *f, const struct roster_report *r);

/* Names, as imports generate them and the CLI checks them. */

/* The handle a person would get: given name and family initial, lower-case ASCII letters
 * and digits ("Jamie", "Rivera" → "jamier"; "José", "Núñez" → "josen"). Empty when the
 * names have no Latin letters. */
void roster_handle_base(char *out, size_t cap, const char *given, const char *family);
/* The handle for someone whose short handle another person has or would have: given name
 * and family name ("Sam", "O'Neil" → "samoneil"), so that neither of two Sam O.s gets a
 * bare "samo" that reaches one of them by import order. */
void roster_handle_long(char *out, size_t cap, const char *given, const char *family);
/* Make `base` unique with the `taken` predicate: base, base2, base3, ... (base-2 when base
 * ends in a digit). `fallback` is used when base is empty. -1 when taken() fails. */
int roster_unique_name(char *out, size_t cap, const char *base, const char *fallback,
		       int (*taken)(void *arg, const char *name), void *arg);
/* Handles: 1-32 of [a-z0-9_-], starting with a letter or digit. */
bool roster_handle_valid(const char *h);
/* Team tags and subgroup names: 1-32 of [a-z0-9_-], starting with a letter. */
bool roster_word_valid(const char *w);
/* A name as people type it: valid UTF-8, no control characters, 1-100 bytes. */
bool roster_name_valid(const char *s);
