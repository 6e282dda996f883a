/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The calls the records officer's query matches, beside its messages (records_query.h
 * says which filters a call answers to): one statement selects the calls, then each
 * call's legs, events and recording are read by call id. Persons and teams come from the
 * run's directory cache, like the messages'. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "storage/records/records_query_internal.h"

/* A person of the call (initiator, callee, a leg) by id, or the number. */
#define CALL_PERSON(who)                                                                           \
	"(c.initiator_id = " who " OR c.callee_id = " who " OR EXISTS (SELECT 1 FROM call_legs l"  \
	" WHERE l.call_id = c.id AND l.person_id = " who "))"
#define CALL_NUMBER                                                                                \
	"((c.initiator_id IS NULL AND c.initiator_number = :number) OR EXISTS (SELECT 1"           \
	" FROM call_legs l WHERE l.call_id = c.id AND l.person_id IS NULL AND l.number = "         \
	":number))"
#define CALL_TEAM                                                                                  \
	"(c.team_id = :team OR EXISTS (SELECT 1 FROM team_members tm WHERE tm.team_id = :team"     \
	" AND (tm.person_id IN (c.initiator_id, c.callee_id) OR tm.person_id IN (SELECT"           \
	" l.person_id FROM call_legs l WHERE l.call_id = c.id))))"
#define CALL_DISPOSED                                                                              \
	"EXISTS (SELECT 1 FROM tombstones x WHERE x.class = 'call' AND x.ref_id = c.id)"

/* The WHERE clause of the query's calls, under ctx. */
static char *where(struct run *r)
{
	const struct rq_query *q = r->q;
	char *w = talloc_strdup(r->tmp, "c.at >= :since AND c.at < :until");

	if (r->person_id || r->number) {
		const char *any = r->person_id ? CALL_PERSON(":person") : CALL_NUMBER;
		const char *sent = r->person_id ? "c.initiator_id = :person"
						: "(c.initiator_id IS NULL AND"
						  " c.initiator_number = :number)";
		if (q->direction == RQ_SENT)
			w = talloc_asprintf_append(w, " AND %s", sent);
		else if (q->direction == RQ_RECEIVED)
			w = talloc_asprintf_append(w, " AND %s AND NOT %s", any, sent);
		else
			w = talloc_asprintf_append(w, " AND %s", any);
	}
	if (r->team_id)
		w = talloc_asprintf_append(w, " AND %s", CALL_TEAM);
	if (r->relay)
		w = talloc_asprintf_append(w, " AND c.relay = :relay");
	if (q->flagged)
		w = talloc_asprintf_append(w, " AND c.flagged = 1");
	if (!q->include_disposed)
		w = talloc_asprintf_append(w, " AND NOT " CALL_DISPOSED);
	return w;
}

static const char *col_dup(void *ctx, sqlite3_stmt *st, int i)
{
	return TXT(st, i) ? talloc_strdup(ctx, TXT(st, i)) : NULL;
}

/* A person of the call as the query shows them: from the directory, or the number. */
static int person_of(struct run *r, void *ctx, int64_t id, const char *number,
		     struct rq_person *out)
{
	struct pinfo *p = id ? rq_dir_person(r, id) : NULL;

	if (id && !p)
		return -1;
	/* A callee has no number of their own in the call: the directory's. */
	if (!number)
		number = p && p->phone ? p->phone : "";
	out->number = talloc_strdup(ctx, number);
	if (p) {
		out->id = p->id;
		out->name = p->name;
		out->handle = p->handle;
		out->role = p->role;
	} else {
		out->id = 0;
		out->name = out->number;
		out->handle = "";
		out->role = "unknown";
	}
	return out->number ? 0 : -1;
}

static int load_legs(struct run *r, struct rq_call *c, sqlite3_stmt *st)
{
	int rc;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, c->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct rq_call_leg *l;
		c->legs = talloc_realloc(r->res, c->legs, struct rq_call_leg, c->n_legs + 1);
		if (!c->legs)
			return -1;
		l = &c->legs[c->n_legs++];
		memset(l, 0, sizeof(*l));
		l->id = sqlite3_column_int64(st, 0);
		l->at = sqlite3_column_int64(st, 1);
		if (person_of(r, c->legs, sqlite3_column_int64(st, 2), TXT(st, 3), &l->who) < 0)
			return -1;
		l->role = col_dup(c->legs, st, 4);
		l->channel = (unsigned)sqlite3_column_int(st, 5);
		l->answered = sqlite3_column_int(st, 6) != 0;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		rq_fail_db(r);
		return -1;
	}
	return 0;
}

static int load_events(struct run *r, struct rq_call *c, sqlite3_stmt *st)
{
	int rc;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, c->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct rq_call_event *e;
		c->events =
		    talloc_realloc(r->res, c->events, struct rq_call_event, c->n_events + 1);
		if (!c->events)
			return -1;
		e = &c->events[c->n_events++];
		e->id = sqlite3_column_int64(st, 0);
		e->leg_id = sqlite3_column_int64(st, 1);
		e->at = sqlite3_column_int64(st, 2);
		e->kind = col_dup(c->events, st, 3);
		e->detail = col_dup(c->events, st, 4);
		if (!strcmp(e->kind, "end"))
			c->end = e->detail ? e->detail : "";
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		rq_fail_db(r);
		return -1;
	}
	return 0;
}

static int load_recording(struct run *r, struct rq_call *c, sqlite3_stmt *st)
{
	int rc;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, c->id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		c->rec_sha256 = col_dup(r->res, st, 0);
		c->rec_format = col_dup(r->res, st, 1);
		c->rec_bytes = sqlite3_column_int64(st, 2);
		c->rec_duration_ms = sqlite3_column_int64(st, 3);
		c->rec_channels = (unsigned)sqlite3_column_int(st, 4);
		c->rec_recovered = sqlite3_column_int(st, 5) != 0;
		c->rec_disposed = sqlite3_column_int(st, 6) != 0;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		rq_fail_db(r);
		return -1;
	}
	return 0;
}

/* One call row of the main statement into c. */
static int load_call(struct run *r, sqlite3_stmt *st, struct rq_call *c)
{
	int64_t team = sqlite3_column_int64(st, 6);

	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(st, 0);
	c->at = sqlite3_column_int64(st, 1);
	c->relay = col_dup(r->res, st, 2);
	if (person_of(r, r->res, sqlite3_column_int64(st, 3), TXT(st, 4), &c->initiator) < 0)
		return -1;
	if (sqlite3_column_int64(st, 5)) {
		if (person_of(r, r->res, sqlite3_column_int64(st, 5), NULL, &c->callee) < 0)
			return -1;
	} else {
		c->callee = (struct rq_person){.role = "none", .name = "", .handle = ""};
	}
	if (team) {
		struct tinfo *t = rq_dir_team(r, team);
		if (!t)
			return -1;
		c->team_id = team;
		c->team_tag = t->tag;
		c->team_name = t->name;
	}
	c->incoming = !strcmp(TXT(st, 7), "in");
	c->action = col_dup(r->res, st, 8);
	c->rules = col_dup(r->res, st, 9);
	c->reason = col_dup(r->res, st, 10);
	c->flagged = sqlite3_column_int(st, 11) != 0;
	c->disposed = sqlite3_column_int(st, 12) != 0;
	return c->relay && c->action && c->rules && c->reason ? 0 : -1;
}

/* Add the call's persons to the result's (kept sorted, each once). */
static int add_persons(struct rq_result *res, const struct rq_call *c)
{
	for (size_t j = 0; j < c->n_legs + 2; j++) {
		int64_t id = j == c->n_legs  ? c->initiator.id
			     : j > c->n_legs ? c->callee.id
					     : c->legs[j].who.id;
		size_t lo = 0, hi = res->n_persons;
		if (!id)
			continue;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (res->person_ids[mid] < id)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < res->n_persons && res->person_ids[lo] == id)
			continue;
		res->person_ids = talloc_realloc(res, res->person_ids, int64_t, res->n_persons + 1);
		if (!res->person_ids)
			return -1;
		memmove(&res->person_ids[lo + 1], &res->person_ids[lo],
			(res->n_persons - lo) * sizeof(int64_t));
		res->person_ids[lo] = id;
		res->n_persons++;
	}
	return 0;
}

int rq_calls(struct run *r)
{
	const struct rq_query *q = r->q;
	struct rq_result *res = r->res;
	sqlite3_stmt *st, *st_legs, *st_events, *st_rec, *st_count;
	char *w;
	int rc;

	res->calls = talloc_array(res, struct rq_call, 1);
	if (!res->calls)
		return -1;
	/* Only messages have verdicts, rules, holds and texts. */
	if (q->verdict || q->rule || q->held || q->text)
		return 0;
	w = where(r);
	if (!w)
		return -1;
	st = rq_prepare_tmp(
	    r, talloc_asprintf(r->tmp,
			       "SELECT c.id, c.at, c.relay, c.initiator_id, c.initiator_number,"
			       " c.callee_id, c.team_id, c.direction, c.action, c.rules, c.reason,"
			       " c.flagged, " CALL_DISPOSED " FROM calls c WHERE %s"
			       " ORDER BY c.at, c.id",
			       w));
	st_count =
	    rq_prepare_tmp(r, talloc_asprintf(r->tmp, "SELECT count(*) FROM calls c WHERE %s", w));
	st_legs = rq_prepare_tmp(r, "SELECT l.id, l.at, l.person_id, l.number, l.role, l.channel,"
				    " EXISTS (SELECT 1 FROM call_events e WHERE e.leg_id = l.id"
				    " AND e.kind = 'answer') FROM call_legs l WHERE l.call_id = ?1"
				    " ORDER BY l.id");
	st_events = rq_prepare_tmp(r, "SELECT id, leg_id, at, kind, detail FROM call_events"
				      " WHERE call_id = ?1 ORDER BY id");
	st_rec = rq_prepare_tmp(r, "SELECT r.sha256, r.format, r.bytes, r.duration_ms,"
				   " r.channels, r.recovered, EXISTS (SELECT 1 FROM tombstones x"
				   " WHERE x.class = 'call-recording' AND x.ref_id = r.id)"
				   " FROM call_recordings r WHERE r.call_id = ?1 ORDER BY r.id"
				   " LIMIT 1");
	if (!st || !st_count || !st_legs || !st_events || !st_rec)
		return -1;
	rq_bind_filters(r, st);
	rq_bind_filters(r, st_count);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct rq_call *c;
		if (q->limit && res->n_calls == q->limit)
			break;
		res->calls = talloc_realloc(res, res->calls, struct rq_call, res->n_calls + 1);
		if (!res->calls)
			return -1;
		c = &res->calls[res->n_calls++];
		if (load_call(r, st, c) < 0 || load_legs(r, c, st_legs) < 0 ||
		    load_events(r, c, st_events) < 0 || load_recording(r, c, st_rec) < 0 ||
		    add_persons(res, c) < 0)
			return -1;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		rq_fail_db(r);
		return -1;
	}
	res->calls_total = (int64_t)res->n_calls;
	if (rc == SQLITE_ROW) {
		if (sqlite3_step(st_count) != SQLITE_ROW) {
			rq_fail_db(r);
			return -1;
		}
		res->calls_total = sqlite3_column_int64(st_count, 0);
	}
	return 0;
}
