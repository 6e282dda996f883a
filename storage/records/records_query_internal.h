/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* What the files of the records officer's query share: private to storage/records/
 * (records_query.h is the query's API; nothing outside this folder includes this).
 *
 * rq_run() (records_query.c) keeps one struct run for a call and takes its steps in
 * order, each in a file of its own:
 *   records_query_resolve.c    the person, team and relay the officer typed; the text
 *   records_query_match.c      the index that drives the search, and the matched ids
 *   records_query_load.c       the matched messages, a batch of ids per statement
 *   records_query_threads.c    thread keys, widening to conversations, the result
 *   records_query_calls.c      the calls beside the messages
 * on what they all use:
 *   records_query.c            the run's errors and statements (rq_fail, rq_prepare)
 *   records_query_directory.c  persons, teams and guardianships, cached for the call
 *   records_query_idmap.c      a small map from ids to pointers
 *
 * A step returns 0 (or a pointer), or -1 (or NULL) with the reason given to rq_fail()
 * unless memory ran out (rq_run() says so then). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/records/records_query.h"

/* A column as text (NULL when it is NULL). */
#define TXT(st, i) ((const char *)sqlite3_column_text(st, i))

/* The column col of the latest verdict about the candidate message m. */
#define LATEST(col)                                                                                \
	"(SELECT v." col " FROM verdicts v WHERE v.message_id = m.id ORDER BY v.id DESC LIMIT 1)"

/* ---- A small map from ids to pointers (records_query_idmap.c) ---- */

/* Open addressing; ids are never 0 (0 marks a free slot). */
struct idmap {
	int64_t *keys;
	void **vals;
	size_t cap, n;
};

/* id's slot, NULL if it has none; with insert, one is added (its value NULL), the map
 * growing under ctx, and NULL means out of memory. */
void **rq_idmap_slot(void *ctx, struct idmap *m, int64_t id, bool insert);

/* id's value, NULL if it has none. */
void *rq_idmap_get(struct idmap *m, int64_t id);

/* ---- One run ---- */

/* A person of the directory, as the run has needed them (records_query_directory.c). */
struct pinfo {
	int64_t id;
	const char *name, *handle, *role, *phone;
	bool staff_side;
	bool wards_loaded;
	int64_t *wards; /* a guardian's students, by id */
	size_t n_wards;
	int64_t last_team, last_student; /* rq_guardian_student()'s last answer */
};

/* A team of the directory (records_query_directory.c). */
struct tinfo {
	const char *tag, *name;
};

/* A loaded message, with what the thread key needs. */
struct lmsg {
	struct rq_message m; /* its strings and deliveries are allocated under this */
	size_t cap;	     /* of m.deliveries */
	bool found, kept;
};

/* One call of rq_run(). */
struct run {
	struct store *s;
	sqlite3 *db;
	const struct rq_query *q;
	void *tmp; /* freed when the call returns: statements, maps, SQL text */
	struct rq_result *res;
	char *err;
	size_t errlen;

	/* The query's filters as the statements bind them: open dates as INT64_MIN and
	 * INT64_MAX, the person, team and relay as rq_resolve() found them. */
	int64_t since, until;
	int64_t person_id;
	const char *number; /* E.164 of a person given by a number not in the directory */
	int64_t team_id;
	const char *relay;
	bool tomb_messages, tomb_deliveries; /* whether any message, any delivery is disposed of */
	/* The ids of the messages within the dates, when the text query is bounded by
	 * them (FTS5 seeks to a rowid range; it knows nothing of times). */
	bool id_range;
	int64_t lo_id, hi_id;
	bool no_limit; /* counting the matches (rq_count_all) */

	struct idmap persons, teams; /* the directory's cache: pinfo, tinfo */
	struct idmap loaded;	     /* every message loaded: lmsg */
	const char *words[128];	     /* records_query_load.c's intern(): a small hash set */
	size_t n_words;
	sqlite3_stmt *st_msg, *st_verdicts, *st_dels;		  /* rq_load()'s */
	sqlite3_stmt *st_person, *st_wards, *st_member, *st_team; /* the directory's */
	sqlite3_stmt *st_collect[3], *st_guardians; /* widening, prepared when first needed */
};

/* ---- The run's errors and statements (records_query.c) ---- */

/* Record the run's first error (later ones are dropped). */
void rq_fail(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Record the database's error. */
void rq_fail_db(struct run *r);

/* A statement for the caller to finalize; NULL (recorded) on error. */
sqlite3_stmt *rq_prepare(struct run *r, const char *sql);

/* A statement finalized with the run's temporary context; NULL (recorded) on error. */
sqlite3_stmt *rq_prepare_tmp(struct run *r, const char *sql);

/* Bind a named parameter (":since"), if the statement has it. */
void rq_bind_named_int(sqlite3_stmt *st, const char *name, int64_t v);
void rq_bind_named_text(sqlite3_stmt *st, const char *name, const char *v);
/* Bind the filters messages and calls share (:since, :until, :person, :number, :team,
 * :relay) wherever the statement names them. */
void rq_bind_filters(struct run *r, sqlite3_stmt *st);

/* ---- The directory, cached for the run (records_query_directory.c) ---- */

/* The statements the cache reads with. */
int rq_prepare_directory(struct run *r);

/* A person by id; NULL for id 0, or when they are missing (an error). */
struct pinfo *rq_dir_person(struct run *r, int64_t id);

/* A team by id; one not in the directory is named "team ID". */
struct tinfo *rq_dir_team(struct run *r, int64_t id);

/* The student a guardian's message on a team is about: their student on that team (the
 * first by id if several are), else their first student; 0 if they have none; -1 (the run
 * failed, r->err says why) when the archive could not be read. */
int64_t rq_guardian_student(struct run *r, struct pinfo *g, int64_t team_id);

/* ---- The steps of a run ---- */

/* Resolve the person, team and relay the query names against the directory, and check
 * its text query (records_query_resolve.c). */
int rq_resolve(struct run *r);

/* The matched ids, in time order, at most the query's limit; *n_out of them
 * (records_query_match.c). */
int64_t *rq_match(struct run *r, size_t *n_out);

/* How many messages match in all, up to RQ_TOTAL_CAP + 1 (records_query_match.c). */
int64_t rq_count_all(struct run *r);

/* The statements rq_load() reads with (records_query_load.c). */
int rq_prepare_loaders(struct run *r);

/* Load these messages (those not loaded yet) into r->loaded, with their verdicts,
 * deliveries, team and thread key (records_query_load.c). */
int rq_load(struct run *r, const int64_t *ids, size_t n);

/* A loaded message's conversation, "RELAY|team|staff|student" (records_query_threads.c). */
const char *rq_thread_key(struct run *r, struct lmsg *L);

/* Widen the kept messages to their whole conversations: kept grown (or NULL), and
 * *n_kept with it (records_query_threads.c). */
struct lmsg **rq_widen(struct run *r, struct lmsg **kept, size_t *n_kept);

/* The calls that match the query, loaded into r->res (records_query_calls.c): after
 * rq_assemble(), whose person_ids it extends. */
int rq_calls(struct run *r);

/* The result: the kept messages in order (time, or conversation then time), and the
 * persons whose records they are (records_query_threads.c). */
int rq_assemble(struct run *r, struct lmsg **kept, size_t n);
