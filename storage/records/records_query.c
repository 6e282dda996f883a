/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The records officer's query (records_query.h): the run itself — validating the query,
 * recording it as JSON, taking its steps in one read transaction — and parsing the dates
 * of --since and --until. Each step is in a file of its own, listed in
 * records_query_internal.h.
 *
 * How a query runs, and why it stays fast on a million messages:
 * 1. The person, team and relay are resolved against the directory once.
 * 2. Each filter that has an index is a possible driver: the person (messages_sender and
 *    deliveries_recipient), the team (verdicts_team), flagged or non-deliver verdicts
 *    (verdicts_flagged, verdicts_action), the text (messages_fts) and the dates
 *    (messages_at). Their candidate counts are measured with a cap (a bounded index
 *    walk), and the smallest drives; every other filter is a check on the candidate's
 *    own rows (point lookups by message id). Nothing scans a whole table unless the
 *    query has no filter an index serves (only --relay, --rule, --verdict deliver).
 *    A text query within dates is bounded by the ids of the messages in those dates
 *    (FTS5 seeks a rowid range; it knows nothing of times), and the first N matches of
 *    a common word are found by walking the archive in time order a window at a time.
 * 3. Only the matched messages are loaded, a batch of ids per statement: their
 *    verdicts and deliveries by message id, persons and teams from a cache kept for
 *    this call (never across calls: the directory changes).
 *
 * Times: a message's verdicts and deliveries are written with it, at its time (later
 * rows about it — a hold decision's reply — go to its sender), so the date range can
 * bound the verdict and delivery indexes too; the message's own time is checked as
 * well. */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <talloc.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "storage/records/records_query_internal.h"

/* ---- The run's errors and statements ---- */

void rq_fail(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->err || !r->errlen || r->err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(r->err, r->errlen, fmt, ap);
	va_end(ap);
}

void rq_fail_db(struct run *r)
{
	rq_fail(r, "database: %s", sqlite3_errmsg(r->db));
}

sqlite3_stmt *rq_prepare(struct run *r, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) {
		rq_fail_db(r);
		return NULL;
	}
	return st;
}

static int st_destructor(sqlite3_stmt **st)
{
	sqlite3_finalize(*st);
	return 0;
}

/* A statement finalized with the run's temporary context. */
sqlite3_stmt *rq_prepare_tmp(struct run *r, const char *sql)
{
	sqlite3_stmt **holder = talloc(r->tmp, sqlite3_stmt *);

	if (!holder)
		return NULL;
	*holder = rq_prepare(r, sql);
	if (!*holder) {
		talloc_free(holder);
		return NULL;
	}
	talloc_set_destructor(holder, st_destructor);
	return *holder;
}

void rq_bind_named_int(sqlite3_stmt *st, const char *name, int64_t v)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		sqlite3_bind_int64(st, i, v);
}

void rq_bind_named_text(sqlite3_stmt *st, const char *name, const char *v)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		store_bind_text(st, i, v);
}

void rq_bind_filters(struct run *r, sqlite3_stmt *st)
{
	rq_bind_named_int(st, ":since", r->since);
	rq_bind_named_int(st, ":until", r->until);
	if (r->person_id)
		rq_bind_named_int(st, ":person", r->person_id);
	rq_bind_named_text(st, ":number", r->number);
	if (r->team_id)
		rq_bind_named_int(st, ":team", r->team_id);
	rq_bind_named_text(st, ":relay", r->relay);
}

/* ---- Validating the query ---- */

static bool valid_verdict(const char *v)
{
	static const char *const ok[] = {"deliver", "hold", "block", "reply", "ignore"};

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		if (!strcmp(v, ok[i]))
			return true;
	return false;
}

static int validate(struct run *r)
{
	const struct rq_query *q = r->q;

	if (q->direction != RQ_ANY && !q->person) {
		rq_fail(r, "a direction (sent, received) needs a person");
		return -1;
	}
	if (q->direction != RQ_ANY && q->direction != RQ_SENT && q->direction != RQ_RECEIVED) {
		rq_fail(r, "unknown direction");
		return -1;
	}
	if (q->verdict && !valid_verdict(q->verdict)) {
		rq_fail(r, "'%s' is not a verdict (deliver, hold, block, reply or ignore)",
			q->verdict);
		return -1;
	}
	if (q->rule && !*q->rule) {
		rq_fail(r, "the rule is empty");
		return -1;
	}
	if (q->team && !*q->team) {
		rq_fail(r, "the team is empty");
		return -1;
	}
	if (q->since < 0 || q->until < 0) {
		rq_fail(r, "a date before 1970");
		return -1;
	}
	if (q->since && q->until && q->since >= q->until) {
		rq_fail(r, "the date range is empty (since is not before until)");
		return -1;
	}
	return 0;
}

/* ---- The query as JSON ---- */

static void json_time(struct json_object *o, const char *key, int64_t ms)
{
	char buf[40];

	store_format_time(buf, sizeof(buf), ms);
	json_object_object_add(o, key, json_object_new_string(buf));
}

static const char *query_json(struct run *r)
{
	const struct rq_query *q = r->q;
	struct json_object *o = json_object_new_object();
	const char *s;

	if (!o)
		return NULL;
	if (r->person_id) {
		struct pinfo *p = rq_dir_person(r, r->person_id);
		if (!p) {
			json_object_put(o);
			return NULL;
		}
		json_object_object_add(
		    o, "person", json_object_new_string(talloc_asprintf(r->tmp, "@%s", p->handle)));
	} else if (r->number) {
		json_object_object_add(o, "person", json_object_new_string(r->number));
	}
	if (q->direction != RQ_ANY)
		json_object_object_add(
		    o, "direction",
		    json_object_new_string(q->direction == RQ_SENT ? "sent" : "received"));
	if (r->team_id) {
		struct tinfo *t = rq_dir_team(r, r->team_id);
		json_object_object_add(
		    o, "team",
		    json_object_new_string(talloc_asprintf(r->tmp, "#%s", t ? t->tag : "?")));
	}
	if (r->relay)
		json_object_object_add(o, "relay", json_object_new_string(r->relay));
	if (q->since)
		json_time(o, "since", q->since);
	if (q->until)
		json_time(o, "until", q->until);
	if (q->verdict)
		json_object_object_add(o, "verdict", json_object_new_string(q->verdict));
	if (q->rule)
		json_object_object_add(o, "rule", json_object_new_string(q->rule));
	if (q->flagged)
		json_object_object_add(o, "flagged", json_object_new_boolean(1));
	if (q->held)
		json_object_object_add(o, "held", json_object_new_boolean(1));
	if (q->text)
		json_object_object_add(o, "text", json_object_new_string(q->text));
	if (q->thread)
		json_object_object_add(o, "thread", json_object_new_boolean(1));
	if (q->include_disposed)
		json_object_object_add(o, "include_disposed", json_object_new_boolean(1));
	if (q->limit)
		json_object_object_add(o, "limit", json_object_new_int64(q->limit));
	s = talloc_strdup(r->res, json_object_to_json_string_ext(
				      o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

/* ---- rq_run ---- */

static int exists(struct run *r, const char *sql)
{
	sqlite3_stmt *st = rq_prepare_tmp(r, sql);
	int rc;

	if (!st)
		return -1;
	rc = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return rc;
}

static int run_query(struct run *r)
{
	const struct rq_query *q = r->q;
	int64_t *ids;
	size_t n_ids = 0, n_kept = 0;
	struct lmsg **kept;
	int t;

	if (rq_resolve(r) < 0)
		return -1;
	/* Disposal is rare: without tombstones, no check per record. */
	t = exists(r, "SELECT EXISTS (SELECT 1 FROM tombstones WHERE class = 'message')");
	if (t < 0)
		return -1;
	r->tomb_messages = t;
	t = exists(r, "SELECT EXISTS (SELECT 1 FROM tombstones WHERE class = 'delivery')");
	if (t < 0)
		return -1;
	r->tomb_deliveries = t;
	if (rq_prepare_loaders(r) < 0 || rq_prepare_directory(r) < 0)
		return -1;
	r->res->query_json = query_json(r);
	if (!r->res->query_json)
		return -1;

	ids = rq_match(r, &n_ids);
	if (!ids)
		return -1;
	r->res->total = (int64_t)n_ids;
	if (r->q->limit && n_ids >= r->q->limit) {
		r->res->total = rq_count_all(r);
		if (r->res->total < 0)
			return -1;
	}
	kept = talloc_array(r->tmp, struct lmsg *, n_ids ? n_ids : 1);
	if (!kept)
		return -1;
	if (rq_load(r, ids, n_ids) < 0)
		return -1;
	for (size_t i = 0; i < n_ids; i++) {
		struct lmsg *L = rq_idmap_get(&r->loaded, ids[i]);
		if (L->kept)
			continue;
		L->kept = true;
		kept[n_kept++] = L;
	}
	if (q->thread) {
		kept = rq_widen(r, kept, &n_kept);
		if (!kept)
			return -1;
	}
	if (rq_assemble(r, kept, n_kept) < 0)
		return -1;
	return rq_calls(r);
}

struct rq_result *rq_run(struct store *s, void *ctx, const struct rq_query *q, char *err,
			 size_t errlen)
{
	struct run r = {
	    .s = s,
	    .db = store_db(s),
	    .q = q,
	    .err = err,
	    .errlen = errlen,
	};
	int rc = -1;

	if (err && errlen)
		err[0] = 0;
	r.since = q->since ? q->since : INT64_MIN;
	r.until = q->until ? q->until : INT64_MAX;
	r.tmp = talloc_new(NULL);
	r.res = talloc_zero(ctx, struct rq_result);
	if (!r.tmp || !r.res) {
		rq_fail(&r, "out of memory");
		goto out;
	}
	if (validate(&r) < 0)
		goto out;
	/* One read transaction (nested in the caller's, if any): every statement sees the
	 * same archive, and takes the read lock once. */
	if (sqlite3_exec(r.db, "SAVEPOINT records_query", NULL, NULL, NULL) != SQLITE_OK) {
		rq_fail_db(&r);
		goto out;
	}
	rc = run_query(&r);
	if (rc < 0 && (!err || !errlen || !err[0]))
		rq_fail(&r, "out of memory");
	/* Messages loaded while widening that did not belong: freed with their strings. */
	for (size_t i = 0; i < r.loaded.cap; i++) {
		struct lmsg *L = r.loaded.keys[i] ? r.loaded.vals[i] : NULL;
		if (L && (!L->kept || rc < 0))
			talloc_free(L);
	}
	talloc_free(r.tmp); /* finalizes the statements */
	r.tmp = NULL;
	sqlite3_exec(r.db, "RELEASE records_query", NULL, NULL, NULL);
out:
	talloc_free(r.tmp);
	if (rc < 0) {
		talloc_free(r.res);
		return NULL;
	}
	return r.res;
}

/* ---- Dates ---- */

static bool take_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static int days_in_month(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : d[m - 1];
}

int rq_parse_date(const char *s, bool until_end, int64_t *ms)
{
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0;
	bool has_time = false, utc = false;
	struct tm tm = {0};
	time_t t;

	if (!s || !*s)
		return -1;
	if (strspn(s, "0123456789") == strlen(s)) {
		/* Milliseconds since the epoch, as the archive stores times. */
		if (strlen(s) > 15)
			return -1;
		*ms = strtoll(s, NULL, 10);
		return 0;
	}
	if (!take_digits(&p, 4, &y) || *p++ != '-' || !take_digits(&p, 2, &mo) || *p++ != '-' ||
	    !take_digits(&p, 2, &d))
		return -1;
	if (*p == 'T' || *p == ' ') {
		p++;
		has_time = true;
		if (!take_digits(&p, 2, &h) || *p++ != ':' || !take_digits(&p, 2, &mi))
			return -1;
		if (*p == ':') {
			p++;
			if (!take_digits(&p, 2, &sec))
				return -1;
			/* Milliseconds, as the CLI prints times: "12:00:00.250Z". */
			if (*p == '.') {
				p++;
				if (!take_digits(&p, 3, &frac))
					return -1;
			}
		}
		if (*p == 'Z') {
			p++;
			utc = true;
		} else if (*p == ' ' && p[1]) {
			/* A zone abbreviation, as local times are printed: "17:05 EST" (the
			 * box's zone), or UTC/GMT. */
			tzset();
			p++;
			if (!strcmp(p, "UTC") || !strcmp(p, "GMT"))
				utc = true;
			else if (strcmp(p, tzname[0]) && strcmp(p, tzname[1]))
				return -1;
			p += strlen(p);
		}
	}
	if (*p || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || sec > 59)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d + (until_end && !has_time); /* the end of a bare date: next midnight */
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	t = utc ? timegm(&tm) : mktime(&tm);
	if (t == (time_t)-1)
		return -1;
	*ms = (int64_t)t * 1000 + frac;
	return 0;
}
