/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The access log: who searched, exported, held, disposed, verified or audited the
 * archive, when, with what query, and how many records it returned — and whose records
 * (students and guardians) an access returned, so that "who has looked at this
 * student's records" is one query (FERPA's record of access and disclosure).
 *
 * Access rows are records like any other: chained, never edited. The operator is the
 * name given with --as (a label the officer chooses), os_user the account that ran the
 * command (what the operating system vouches for); both are kept. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/archive/store.h"

struct access_entry {
	int64_t at;
	const char *operator, * os_user;
	const char *action;	 /* "search", "export", "hold-add", "hold-release", "dispose",
				  * "verify", "anchor", "audit", "verify-export" */
	const char *query_json;	 /* the query as JSON, may be NULL */
	int64_t results;	 /* -1 when not applicable */
	const char *detail;	 /* may be NULL */
	const int64_t *subjects; /* person ids whose records were returned */
	size_t n_subjects;
};
/* Joins the caller's transaction if one is open. Returns the access id, or -1. */
int64_t access_log_add(struct store *s, const struct access_entry *a);

struct access_filter {
	const char *operator; /* NULL = anyone */
	const char *action;   /* NULL = any */
	int64_t person_id;    /* 0 = any: accesses that returned this person's records */
	int64_t since, until; /* ms, 0 = open */
	unsigned limit;	      /* 0 = all */
};
struct access_row {
	int64_t id, at, results;
	const char *operator, * os_user, *action, *query_json, *detail;
	unsigned n_subjects;
};
/* Oldest first. */
int access_log_list(struct store *s, const struct access_filter *f,
		    void (*cb)(const struct access_row *row, void *data), void *data);

/* When the archive's head was last taken to keep outside the machine: the newest
 * `records anchor` (an access row, action "anchor") or disposal (its certificate carries
 * the head after it). 1 and *at (ms), 0 when never, -1 when the archive cannot be read. */
int access_last_anchor(struct store *s, int64_t *at);
/* When the archive began: its first message, or when it was made if that is earlier.
 * 1 and *at, 0 when it cannot say (no archive row, no message), -1. */
int access_archive_began(struct store *s, int64_t *at);

/* The OS user running this process ("uid N" if it has no name). */
const char *access_os_user(void);

/* FERPA's record of disclosure: each export that took a student's records out of the
 * district, per student. */
struct disclosure_row {
	int64_t id, at, export_id, student_id;
	const char *student_handle, *student_name;
	const char *request, *requester, *purpose, *operator;
	bool redacted;
};
/* student_id 0 = every student; oldest first. */
int access_disclosures_list(struct store *s, int64_t student_id,
			    void (*cb)(const struct disclosure_row *row, void *data), void *data);
