/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Which messages match the records officer's query, as ids in time order: each filter
 * an index serves is a possible driver, the one with the fewest candidates (counted
 * with a cap) drives, and every other filter is a check on the candidate's own rows
 * (records_query.c says why this stays fast). Also the total behind a limit, counted
 * inside SQLite, and the first matches of a common word found a window at a time. */
#include <stdbool.h>
#include <string.h>

#include <talloc.h>

#include "storage/records/records_query_internal.h"

#define STR(x)	 #x
#define TOSTR(x) STR(x)
/* A driver whose candidates are counted at most this far: beyond it, any index is as
 * bad as the next and the cheapest to walk wins. */
#define COUNT_CAP 20000
/* Fewer text matches than this are not worth bounding by the dates' ids. */
#define TEXT_RANGE_MIN 500

/* Everything the query's filters name, bound by name wherever a statement uses it. */
static void bind_query(struct run *r, sqlite3_stmt *st)
{
	rq_bind_filters(r, st);
	rq_bind_named_text(st, ":verdict", r->q->verdict);
	rq_bind_named_text(st, ":rule", r->q->rule);
	rq_bind_named_text(st, ":text", r->q->text);
	rq_bind_named_int(st, ":cap", COUNT_CAP);
	rq_bind_named_int(st, ":lo", r->lo_id);
	rq_bind_named_int(st, ":hi", r->hi_id);
	rq_bind_named_int(st, ":limit", r->q->limit ? (int64_t)r->q->limit : -1);
	rq_bind_named_int(st, ":total_cap", RQ_TOTAL_CAP + 1);
}

/* ---- Choosing the driver ---- */

enum driver {
	DRIVE_PERSON,
	DRIVE_TEAM,
	DRIVE_FLAGGED,
	DRIVE_ACTION,
	DRIVE_TEXT,
	DRIVE_DATES,
	N_DRIVERS
};

/* The candidate ids each driver yields (dates bound the index where it has them). */
static char *driver_sql(struct run *r, enum driver d)
{
	const struct rq_query *q = r->q;
	const char *sent, *recv;

	switch (d) {
	case DRIVE_PERSON:
		if (r->person_id) {
			sent = "SELECT id FROM messages WHERE sender_id = :person"
			       " AND at >= :since AND at < :until";
			recv = "SELECT message_id FROM deliveries WHERE recipient_id = :person"
			       " AND at >= :since AND at < :until AND message_id IS NOT NULL";
		} else {
			/* Partial indexes: only records of numbers not in the directory. */
			sent = "SELECT id FROM messages WHERE sender_id IS NULL"
			       " AND sender_number = :number AND at >= :since AND at < :until";
			recv = "SELECT message_id FROM deliveries WHERE recipient_id IS NULL"
			       " AND recipient_number = :number AND at >= :since AND at < :until"
			       " AND message_id IS NOT NULL";
		}
		if (q->direction == RQ_SENT)
			return talloc_strdup(r->tmp, sent);
		if (q->direction == RQ_RECEIVED)
			return talloc_asprintf(r->tmp, "SELECT DISTINCT * FROM (%s)", recv);
		return talloc_asprintf(r->tmp, "%s UNION %s", sent, recv);
	case DRIVE_TEAM:
		return talloc_strdup(r->tmp,
				     "SELECT DISTINCT message_id FROM verdicts"
				     " WHERE team_id = :team AND at >= :since AND at < :until"
				     " AND message_id IS NOT NULL");
	case DRIVE_FLAGGED:
		return talloc_strdup(r->tmp, "SELECT DISTINCT message_id FROM verdicts"
					     " WHERE flagged = 1 AND at >= :since AND at < :until"
					     " AND message_id IS NOT NULL");
	case DRIVE_ACTION:
		/* --held, or a --verdict other than deliver (the common case has no index). */
		return talloc_asprintf(
		    r->tmp,
		    "SELECT DISTINCT message_id FROM verdicts"
		    " WHERE action = %s AND action <> 'deliver'"
		    " AND at >= :since AND at < :until AND message_id IS NOT NULL",
		    q->held ? "'hold'" : ":verdict");
	case DRIVE_TEXT:
		return talloc_asprintf(
		    r->tmp, "SELECT rowid FROM messages_fts WHERE messages_fts MATCH :text%s",
		    r->id_range ? " AND rowid >= :lo AND rowid <= :hi" : "");
	case DRIVE_DATES:
		return talloc_strdup(r->tmp,
				     "SELECT id FROM messages WHERE at >= :since AND at < :until");
	case N_DRIVERS:
		break;
	}
	return NULL;
}

/* How many candidates a driver has, at most COUNT_CAP, from its index alone (no row is
 * read: a message with several verdicts or deliveries counts more than once, which is
 * close enough for choosing). */
static int64_t count_driver(struct run *r, enum driver d)
{
	const struct rq_query *q = r->q;
	const char *sql = NULL;
	char *own = NULL;
	sqlite3_stmt *st;
	int64_t n = -1;

#define CAPPED(x) "(SELECT count(*) FROM (SELECT 1 FROM " x " LIMIT :cap))"
#define DATES	  " AND at >= :since AND at < :until"
	switch (d) {
	case DRIVE_PERSON: {
		const char *sent = r->person_id ? CAPPED("messages WHERE sender_id = :person" DATES)
						: CAPPED("messages WHERE sender_id IS NULL"
							 " AND sender_number = :number" DATES);
		const char *recv = r->person_id
				       ? CAPPED("deliveries WHERE recipient_id = :person" DATES)
				       : CAPPED("deliveries WHERE recipient_id IS NULL"
						" AND recipient_number = :number" DATES);
		sql = own = talloc_asprintf(r->tmp, "SELECT %s + %s",
					    q->direction == RQ_RECEIVED ? "0" : sent,
					    q->direction == RQ_SENT ? "0" : recv);
		break;
	}
	case DRIVE_TEAM:
		sql = "SELECT " CAPPED("verdicts WHERE team_id = :team" DATES);
		break;
	case DRIVE_FLAGGED:
		sql = "SELECT " CAPPED("verdicts WHERE flagged = 1" DATES);
		break;
	case DRIVE_ACTION:
		sql = q->held ? "SELECT " CAPPED("verdicts WHERE action = 'hold'"
						 " AND action <> 'deliver'" DATES)
			      : "SELECT " CAPPED("verdicts WHERE action = :verdict"
						 " AND action <> 'deliver'" DATES);
		break;
	case DRIVE_TEXT:
		sql = own = talloc_asprintf(r->tmp, "SELECT count(*) FROM (%s LIMIT :cap)",
					    driver_sql(r, d));
		break;
	case DRIVE_DATES:
		sql = "SELECT " CAPPED("messages WHERE 1" DATES);
		break;
	case N_DRIVERS:
		break;
	}
#undef CAPPED
#undef DATES
	st = sql ? rq_prepare(r, sql) : NULL;
	if (!st)
		return -1;
	bind_query(r, st);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		rq_fail_db(r);
	sqlite3_finalize(st);
	talloc_free(own);
	return n;
}

/* The smallest and largest message id within the dates: an index-only walk of the
 * range, done only when it is short. */
static int id_range(struct run *r)
{
	sqlite3_stmt *st = rq_prepare(r, "SELECT min(id), max(id) FROM messages"
					 " WHERE at >= :since AND at < :until");
	int rc = -1;

	if (!st)
		return -1;
	bind_query(r, st);
	if (sqlite3_step(st) == SQLITE_ROW) {
		r->lo_id = sqlite3_column_int64(st, 0);
		r->hi_id = sqlite3_column_int64(st, 1);
		r->id_range = true;
		rc = 0;
	} else {
		rq_fail_db(r);
	}
	sqlite3_finalize(st);
	return rc;
}

/* Count the candidates of every possible driver (each count is a bounded index walk)
 * and take the smallest. */
static int choose_driver(struct run *r, enum driver *out, int64_t count[N_DRIVERS])
{
	const struct rq_query *q = r->q;
	bool have[N_DRIVERS] = {
	    [DRIVE_PERSON] = r->person_id || r->number,
	    [DRIVE_TEAM] = r->team_id != 0,
	    [DRIVE_FLAGGED] = q->flagged,
	    [DRIVE_ACTION] = q->held || (q->verdict && strcmp(q->verdict, "deliver")),
	    [DRIVE_TEXT] = q->text != NULL,
	    [DRIVE_DATES] = true,
	};
	int64_t best = -1;

	for (int d = 0; d < N_DRIVERS; d++) {
		count[d] = -1;
		if (have[d] && (count[d] = count_driver(r, d)) < 0)
			return -1;
	}
	/* A common word within a few weeks: bound the text index by the dates' ids. */
	if (q->text && (q->since || q->until) && count[DRIVE_TEXT] >= TEXT_RANGE_MIN &&
	    count[DRIVE_DATES] < COUNT_CAP) {
		if (id_range(r) < 0 || (count[DRIVE_TEXT] = count_driver(r, DRIVE_TEXT)) < 0)
			return -1;
	}
	*out = DRIVE_DATES;
	for (int d = 0; d < N_DRIVERS; d++) {
		/* Without a date range, the dates drive only when nothing else can. */
		if (d == DRIVE_DATES && !q->since && !q->until && best >= 0)
			break;
		if (count[d] >= 0 && (best < 0 || count[d] < best)) {
			best = count[d];
			*out = d;
		}
	}
	return 0;
}

/* ---- Matching ---- */

/* Every filter but the driver's, as checks on one candidate message m. */
static char *checks_sql(struct run *r, enum driver d, const int64_t count[N_DRIVERS])
{
	const struct rq_query *q = r->q;
	char *w = talloc_strdup(r->tmp, "m.at >= :since AND m.at < :until");

	if (r->relay)
		w = talloc_asprintf_append(w, " AND m.relay = :relay");
	if (!q->include_disposed && r->tomb_messages)
		w = talloc_asprintf_append(w, " AND NOT EXISTS (SELECT 1 FROM tombstones t"
					      " WHERE t.class = 'message' AND t.ref_id = m.id)");
	if ((r->person_id || r->number) && d != DRIVE_PERSON) {
		const char *sent = r->person_id
				       ? "m.sender_id = :person"
				       : "(m.sender_id IS NULL AND m.sender_number = :number)";
		const char *recv =
		    r->person_id ? "EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id"
				   " AND d.recipient_id = :person)"
				 : "EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id"
				   " AND d.recipient_id IS NULL AND d.recipient_number = :number)";
		if (q->direction == RQ_SENT)
			w = talloc_asprintf_append(w, " AND %s", sent);
		else if (q->direction == RQ_RECEIVED)
			w = talloc_asprintf_append(w, " AND %s", recv);
		else
			w = talloc_asprintf_append(w, " AND (%s OR %s)", sent, recv);
	}
	if (r->team_id)
		w = talloc_asprintf_append(w, " AND " LATEST("team_id") " = :team");
	if (q->verdict)
		w = talloc_asprintf_append(w, " AND " LATEST("action") " = :verdict");
	if (q->rule)
		w = talloc_asprintf_append(
		    w, " AND instr(',' || " LATEST("rules") " || ',',"
							    " ',' || :rule || ',') > 0");
	if (q->flagged && d != DRIVE_FLAGGED)
		w = talloc_asprintf_append(w, " AND EXISTS (SELECT 1 FROM verdicts v"
					      " WHERE v.message_id = m.id AND v.flagged = 1)");
	if (q->held)
		w = talloc_asprintf_append(w, " AND EXISTS (SELECT 1 FROM verdicts v"
					      " WHERE v.message_id = m.id AND v.action = 'hold')");
	if (q->text && d != DRIVE_TEXT) {
		/* A probe of the text index costs about as much as collecting 80 of its
		 * matches: probe for a few candidates, else build the match set once. */
		if (count[d] * 80 < count[DRIVE_TEXT])
			w = talloc_asprintf_append(
			    w, " AND EXISTS (SELECT 1 FROM messages_fts"
			       " WHERE messages_fts MATCH :text AND rowid = m.id)");
		else
			w = talloc_asprintf_append(w, " AND m.id IN (%s)",
						   driver_sql(r, DRIVE_TEXT));
	}
	return w;
}

/* Append the ids a statement yields. */
static int collect_ids(struct run *r, sqlite3_stmt *st, int64_t **ids, size_t *n)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == talloc_array_length(*ids)) {
			*ids = talloc_realloc(r->tmp, *ids, int64_t, *n * 2);
			if (!*ids)
				return -1;
		}
		(*ids)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_DONE) {
		rq_fail_db(r);
		return -1;
	}
	return 0;
}

static char *match_sql(struct run *r, enum driver d, const int64_t count[N_DRIVERS])
{
	char *checks = checks_sql(r, d, count);

	if (!checks)
		return NULL;
	/* Counting: no order, and no further than the cap. */
	const char *tail = r->no_limit ? " LIMIT :total_cap" : " ORDER BY m.at, m.id LIMIT :limit";

	if (d == DRIVE_DATES)
		return talloc_asprintf(r->tmp, "SELECT m.id FROM messages m WHERE %s%s", checks,
				       tail);
	/* CROSS JOIN: the driver is the outer loop, whatever the planner guesses. */
	return talloc_asprintf(r->tmp,
			       "WITH c(id) AS (%s) SELECT m.id FROM c CROSS JOIN messages m"
			       " ON m.id = c.id WHERE %s%s",
			       driver_sql(r, d), checks, tail);
}

#define WINDOW 4096

/* The first matches of a common word (a limit, and far more matches than it): walk the
 * archive in time order a window of messages at a time, each window's text matches
 * found within its own ids, and stop at the limit — rather than collect and sort every
 * match of the word. */
static int match_windows(struct run *r, int64_t **ids, size_t *n)
{
	const int64_t since = r->since, until = r->until;
	const int64_t count[N_DRIVERS] = {0}; /* the text check: the window's match set */
	sqlite3_stmt *edge, *st;
	char *sql;
	int rc = 0;

	r->id_range = true; /* the text check bound by :lo and :hi, set per window */
	edge = rq_prepare_tmp(r, "SELECT at FROM messages WHERE at >= :since AND at < :until"
				 " ORDER BY at LIMIT 1 OFFSET " TOSTR(WINDOW));
	sql = match_sql(r, DRIVE_DATES, count);
	st = sql ? rq_prepare_tmp(r, sql) : NULL;
	if (!edge || !st)
		return -1;
	while (rc == 0 && *n < r->q->limit && r->since < until) {
		/* This window: [since, the time of the WINDOW-th message after it). */
		int64_t end = until;
		r->until = until;
		sqlite3_reset(edge);
		bind_query(r, edge);
		if (sqlite3_step(edge) == SQLITE_ROW)
			end = sqlite3_column_int64(edge, 0);
		sqlite3_reset(edge);
		if (end <= r->since)
			end = r->since + 1; /* a window of messages all at one instant */
		r->until = end;
		rc = id_range(r);
		if (rc == 0) {
			sqlite3_reset(st);
			bind_query(r, st);
			rc = collect_ids(r, st, ids, n);
			sqlite3_reset(st);
		}
		r->since = end;
	}
	r->since = since;
	r->until = until;
	r->id_range = false;
	if (*n > r->q->limit)
		*n = r->q->limit;
	return rc;
}

/* The matched ids, in time order, at most limit. */
int64_t *rq_match(struct run *r, size_t *n_out)
{
	enum driver d;
	int64_t count[N_DRIVERS];
	char *sql;
	sqlite3_stmt *st;
	int64_t *ids = talloc_array(r->tmp, int64_t, 256);
	size_t n = 0;

	if (!ids || choose_driver(r, &d, count) < 0)
		return NULL;
	if (r->q->limit && r->q->text && (d == DRIVE_TEXT || d == DRIVE_DATES) &&
	    count[DRIVE_TEXT] >= 10 * (int64_t)r->q->limit) {
		if (match_windows(r, &ids, &n) < 0)
			return NULL;
		*n_out = n;
		return ids;
	}
	sql = match_sql(r, d, count);
	st = sql ? rq_prepare_tmp(r, sql) : NULL;
	if (!st)
		return NULL;
	bind_query(r, st);
	if (collect_ids(r, st, &ids, &n) < 0)
		return NULL;
	*n_out = n;
	return ids;
}

/* How many messages match in all, when the limit cut the list: the same match with
 * no order, counted inside SQLite (ids only, nothing loaded), up to RQ_TOTAL_CAP + 1. */
int64_t rq_count_all(struct run *r)
{
	enum driver d;
	int64_t count[N_DRIVERS], total = -1;
	char *sql, *csql;
	sqlite3_stmt *st;

	if (choose_driver(r, &d, count) < 0)
		return -1;
	r->no_limit = true;
	sql = match_sql(r, d, count);
	r->no_limit = false;
	csql = sql ? talloc_asprintf(r->tmp, "SELECT count(*) FROM (%s)", sql) : NULL;
	st = csql ? rq_prepare_tmp(r, csql) : NULL;
	if (!st)
		return -1;
	bind_query(r, st);
	if (sqlite3_step(st) == SQLITE_ROW)
		total = sqlite3_column_int64(st, 0);
	else
		rq_fail_db(r);
	sqlite3_reset(st);
	return total;
}
