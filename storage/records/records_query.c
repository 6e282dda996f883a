/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The records officer's query (records_query.h): resolving what the officer typed,
 * choosing the index that drives the search, loading the matched messages with their
 * verdicts and deliveries, and widening to whole conversations.
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
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <talloc.h>

#include "storage/model/phone_number.h"
#include "storage/records/records_query.h"

#define TXT(st, i) ((const char *)sqlite3_column_text(st, i))
#define STR(x)	   #x
#define TOSTR(x)   STR(x)
/* A driver whose candidates are counted at most this far: beyond it, any index is as
 * bad as the next and the cheapest to walk wins. */
#define COUNT_CAP 20000
/* Fewer text matches than this are not worth bounding by the dates' ids. */
#define TEXT_RANGE_MIN 500

/* ---- A small map from ids to pointers (open addressing, ids are never 0) ---- */

struct idmap {
	int64_t *keys;
	void **vals;
	size_t cap, n;
};

static size_t id_hash(int64_t id, size_t cap)
{
	uint64_t x = (uint64_t)id * 0x9E3779B97F4A7C15ull;

	return (size_t)(x >> 17) & (cap - 1);
}

static void **idmap_slot(void *ctx, struct idmap *m, int64_t id, bool insert)
{
	size_t i;

	if (insert && (m->n + 1) * 2 > m->cap) {
		struct idmap g = {0};
		g.cap = m->cap ? m->cap * 2 : 64;
		g.keys = talloc_zero_array(ctx, int64_t, g.cap);
		g.vals = talloc_zero_array(ctx, void *, g.cap);
		if (!g.keys || !g.vals)
			return NULL;
		for (size_t k = 0; k < m->cap; k++) {
			if (!m->keys[k])
				continue;
			for (i = id_hash(m->keys[k], g.cap); g.keys[i]; i = (i + 1) & (g.cap - 1))
				;
			g.keys[i] = m->keys[k];
			g.vals[i] = m->vals[k];
		}
		g.n = m->n;
		talloc_free(m->keys);
		talloc_free(m->vals);
		*m = g;
	}
	if (!m->cap)
		return NULL;
	for (i = id_hash(id, m->cap); m->keys[i]; i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == id)
			return &m->vals[i];
	if (!insert)
		return NULL;
	m->keys[i] = id;
	m->vals[i] = NULL;
	m->n++;
	return &m->vals[i];
}

static void *idmap_get(struct idmap *m, int64_t id)
{
	void **v = idmap_slot(NULL, m, id, false);

	return v ? *v : NULL;
}

/* ---- One run ---- */

struct pinfo {
	int64_t id;
	const char *name, *handle, *role, *phone;
	bool staff_side;
	bool wards_loaded;
	int64_t *wards; /* a guardian's students, by id */
	size_t n_wards;
	int64_t last_team, last_student; /* guardian_student()'s last answer */
};

struct tinfo {
	const char *tag, *name;
};

/* A loaded message, with what the thread key needs. */
struct lmsg {
	struct rq_message m; /* its strings and deliveries are allocated under this */
	size_t cap;	     /* of m.deliveries */
	bool found, kept;
};

struct run {
	struct store *s;
	sqlite3 *db;
	const struct rq_query *q;
	void *tmp;
	struct rq_result *res;
	char *err;
	size_t errlen;

	int64_t since, until;
	int64_t person_id;
	const char *number; /* E.164 of a person given by a number not in the directory */
	int64_t team_id;
	const char *relay;
	bool tomb_messages, tomb_deliveries;
	/* The ids of the messages within the dates, when the text query is bounded by
	 * them (FTS5 seeks to a rowid range; it knows nothing of times). */
	bool id_range;
	int64_t lo_id, hi_id;
	bool no_limit; /* counting the matches (count_all) */

	struct idmap persons, teams, loaded;
	const char *words[128]; /* intern(): a small hash set */
	size_t n_words;
	sqlite3_stmt *st_msg, *st_verdicts, *st_dels, *st_person, *st_wards, *st_member, *st_team;
	sqlite3_stmt *st_collect[3], *st_guardians; /* widening, prepared when first needed */
};

static void fail(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->err || !r->errlen || r->err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(r->err, r->errlen, fmt, ap);
	va_end(ap);
}

static void fail_db(struct run *r)
{
	fail(r, "database: %s", sqlite3_errmsg(r->db));
}

static sqlite3_stmt *prepare(struct run *r, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) {
		fail_db(r);
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
static sqlite3_stmt *prepare_tmp(struct run *r, const char *sql)
{
	sqlite3_stmt **holder = talloc(r->tmp, sqlite3_stmt *);

	if (!holder)
		return NULL;
	*holder = prepare(r, sql);
	if (!*holder) {
		talloc_free(holder);
		return NULL;
	}
	talloc_set_destructor(holder, st_destructor);
	return *holder;
}

static void bind_named_int(sqlite3_stmt *st, const char *name, int64_t v)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		sqlite3_bind_int64(st, i, v);
}

static void bind_named_text(sqlite3_stmt *st, const char *name, const char *v)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		store_bind_text(st, i, v);
}

/* Everything the query's filters name, bound by name wherever a statement uses it. */
static void bind_query(struct run *r, sqlite3_stmt *st)
{
	bind_named_int(st, ":since", r->since);
	bind_named_int(st, ":until", r->until);
	if (r->person_id)
		bind_named_int(st, ":person", r->person_id);
	bind_named_text(st, ":number", r->number);
	if (r->team_id)
		bind_named_int(st, ":team", r->team_id);
	bind_named_text(st, ":relay", r->relay);
	bind_named_text(st, ":verdict", r->q->verdict);
	bind_named_text(st, ":rule", r->q->rule);
	bind_named_text(st, ":text", r->q->text);
	bind_named_int(st, ":cap", COUNT_CAP);
	bind_named_int(st, ":lo", r->lo_id);
	bind_named_int(st, ":hi", r->hi_id);
	bind_named_int(st, ":limit", r->q->limit ? (int64_t)r->q->limit : -1);
	bind_named_int(st, ":total_cap", RQ_TOTAL_CAP + 1);
}

/* ---- Directory: persons, teams, guardianships (cached for this call) ---- */

static struct pinfo *person(struct run *r, int64_t id)
{
	struct pinfo *p;
	void **slot;
	sqlite3_stmt *st = r->st_person;

	if (!id)
		return NULL;
	p = idmap_get(&r->persons, id);
	if (p)
		return p;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		fail(r, "database: person %" PRId64 " is missing", id);
		return NULL;
	}
	p = talloc_zero(r->res, struct pinfo);
	if (!p)
		return NULL;
	p->id = id;
	p->role = talloc_strdup(p, TXT(st, 0));
	p->name = talloc_asprintf(p, "%s %s", TXT(st, 1), TXT(st, 2));
	p->handle = talloc_strdup(p, TXT(st, 3));
	p->phone = talloc_strdup(p, TXT(st, 4) ? TXT(st, 4) : "");
	p->staff_side = !strcmp(p->role, "staff") || !strcmp(p->role, "administrator");
	sqlite3_reset(st);
	slot = idmap_slot(r->tmp, &r->persons, id, true);
	if (!slot)
		return NULL;
	*slot = p;
	return p;
}

static int load_wards(struct run *r, struct pinfo *p)
{
	sqlite3_stmt *st = r->st_wards;
	int rc;

	if (p->wards_loaded)
		return 0;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, p->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		p->wards = talloc_realloc(p, p->wards, int64_t, p->n_wards + 1);
		if (!p->wards)
			return -1;
		p->wards[p->n_wards++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		fail_db(r);
		return -1;
	}
	p->wards_loaded = true;
	return 0;
}

static bool on_team(struct run *r, int64_t team_id, int64_t person_id)
{
	sqlite3_stmt *st = r->st_member;
	bool yes;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, team_id);
	sqlite3_bind_int64(st, 2, person_id);
	yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return yes;
}

/* The student a guardian's message is about: their student on the message's team (the
 * first by id if several are), else their first student; 0 if they have none. */
static int64_t guardian_student(struct run *r, struct pinfo *g, int64_t team_id)
{
	int64_t student = 0;

	if (g->last_student && g->last_team == team_id)
		return g->last_student;
	if (load_wards(r, g) < 0 || !g->n_wards)
		return 0;
	for (size_t i = 0; team_id && i < g->n_wards && !student; i++)
		if (on_team(r, team_id, g->wards[i]))
			student = g->wards[i];
	g->last_team = team_id;
	g->last_student = student ? student : g->wards[0];
	return g->last_student;
}

static struct tinfo *team(struct run *r, int64_t id)
{
	struct tinfo *t = idmap_get(&r->teams, id);
	sqlite3_stmt *st = r->st_team;
	void **slot;

	if (t)
		return t;
	t = talloc_zero(r->res, struct tinfo);
	if (!t)
		return NULL;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		t->tag = talloc_strdup(t, TXT(st, 0));
		t->name = talloc_strdup(t, TXT(st, 1));
	} else {
		t->tag = talloc_asprintf(t, "team %" PRId64, id);
		t->name = t->tag;
	}
	sqlite3_reset(st);
	slot = idmap_slot(r->tmp, &r->teams, id, true);
	if (!slot)
		return NULL;
	*slot = t;
	return t;
}

/* ---- Resolving what the officer typed ---- */

static bool looks_like_number(const char *s)
{
	unsigned digits = 0;

	for (const char *c = s; *c; c++) {
		if (isdigit((unsigned char)*c))
			digits++;
		else if (!strchr("+-.() /", *c))
			return false;
	}
	return digits >= 7;
}

/* "Riley Chen (@rileyc, student), Riley Chen (@rileyc2, guardian)" */
static char *list_persons(struct run *r, sqlite3_stmt *st)
{
	char *out = talloc_strdup(r->tmp, "");

	while (out && sqlite3_step(st) == SQLITE_ROW)
		out = talloc_asprintf_append(out, "%s%s %s (@%s, %s)", *out ? ", " : "", TXT(st, 2),
					     TXT(st, 3), TXT(st, 1), TXT(st, 4));
	return out;
}

static int resolve_person(struct run *r, const char *in)
{
	static const char by_handle[] = "SELECT id, handle, given, family, role FROM persons"
					" WHERE handle = ?1 COLLATE NOCASE";
	static const char by_name[] =
	    "SELECT id, handle, given, family, role FROM persons"
	    " WHERE (given || ' ' || family) = ?1 COLLATE NOCASE ORDER BY id";
	static const char by_phone[] = "SELECT id, handle, given, family, role FROM persons"
				       " WHERE phone = ?1 ORDER BY id";
	char norm[32], *name;
	const char *why = "invalid";
	sqlite3_stmt *st;
	int n = 0;
	size_t len;

	while (isspace((unsigned char)*in))
		in++;
	len = strlen(in);
	while (len && isspace((unsigned char)in[len - 1]))
		len--;
	name = talloc_strndup(r->tmp, in, len);
	if (!name)
		return -1;
	/* "Jamie  Rivera" is Jamie Rivera. */
	for (char *w = name, *c = name;; c++) {
		if (isspace((unsigned char)*c) && (w == name || w[-1] == ' '))
			continue;
		*w++ = isspace((unsigned char)*c) ? ' ' : *c;
		if (!*c)
			break;
	}
	if (!*name) {
		fail(r, "no person given");
		return -1;
	}
	if (name[0] != '@' && looks_like_number(name)) {
		if (phone_normalize(norm, sizeof(norm), name, "1", &why) < 0) {
			fail(r, "'%s' is not a phone number: %s", name, why);
			return -1;
		}
		st = prepare_tmp(r, by_phone);
		if (!st)
			return -1;
		store_bind_text(st, 1, norm);
		while (sqlite3_step(st) == SQLITE_ROW) {
			r->person_id = sqlite3_column_int64(st, 0);
			n++;
		}
		if (n > 1) {
			sqlite3_reset(st);
			fail(r, "%s is the number of several persons: %s (give the handle)", norm,
			     list_persons(r, st));
			return -1;
		}
		/* Not in the directory: the number's own messages are records too. */
		if (!n)
			r->number = talloc_strdup(r->res, norm);
		return 0;
	}
	st = prepare_tmp(r, by_handle);
	if (!st)
		return -1;
	store_bind_text(st, 1, name[0] == '@' ? name + 1 : name);
	if (sqlite3_step(st) == SQLITE_ROW) {
		r->person_id = sqlite3_column_int64(st, 0);
		return 0;
	}
	if (name[0] == '@') {
		fail(r, "no person with handle '%s' in the directory", name);
		return -1;
	}
	st = prepare_tmp(r, by_name);
	if (!st)
		return -1;
	store_bind_text(st, 1, name);
	while (sqlite3_step(st) == SQLITE_ROW) {
		r->person_id = sqlite3_column_int64(st, 0);
		n++;
	}
	if (n > 1) {
		sqlite3_reset(st);
		fail(r, "several persons are called '%s': %s (give the handle)", name,
		     list_persons(r, st));
		return -1;
	}
	if (!n) {
		fail(r, "no person '%s' in the directory (give a handle, a full name or a number)",
		     name);
		return -1;
	}
	return 0;
}

static int resolve_team(struct run *r, const char *in)
{
	const char *tag = in[0] == '#' ? in + 1 : in;
	sqlite3_stmt *st;
	char *list;
	int n = 0;

	st = prepare_tmp(r, "SELECT id FROM teams WHERE tag = ?1 COLLATE NOCASE");
	if (!st)
		return -1;
	store_bind_text(st, 1, tag);
	if (sqlite3_step(st) == SQLITE_ROW) {
		r->team_id = sqlite3_column_int64(st, 0);
		return 0;
	}
	st = prepare_tmp(r, "SELECT id, tag FROM teams WHERE name = ?1 COLLATE NOCASE ORDER BY id");
	if (!st)
		return -1;
	store_bind_text(st, 1, tag);
	list = talloc_strdup(r->tmp, "");
	while (list && sqlite3_step(st) == SQLITE_ROW) {
		r->team_id = sqlite3_column_int64(st, 0);
		list = talloc_asprintf_append(list, "%s#%s", n++ ? ", " : "", TXT(st, 1));
	}
	if (n > 1) {
		fail(r, "several teams are called '%s': %s (give the tag)", in, list);
		return -1;
	}
	if (!n) {
		fail(r, "no team '%s' in the directory", in);
		return -1;
	}
	return 0;
}

/* A relay number in any spelling: the directory's relay it denotes, else the number as
 * E.164 (a modem the directory does not know still has records). */
static int resolve_relay(struct run *r, const char *in)
{
	char digits[16] = "", norm[32];
	const char *why = "invalid";
	size_t n = 0;
	sqlite3_stmt *st;

	for (const char *c = in; *c; c++) {
		if (isdigit((unsigned char)*c)) {
			if (n + 1 >= sizeof(digits)) {
				fail(r, "'%s' is not a relay number", in);
				return -1;
			}
			digits[n++] = *c;
		} else if (!strchr("+-.() /", *c)) {
			fail(r, "'%s' is not a relay number", in);
			return -1;
		}
	}
	digits[n] = 0;
	if (n < 7) {
		fail(r, "'%s' is not a relay number", in);
		return -1;
	}
	st = prepare_tmp(r, "SELECT number FROM relays ORDER BY id");
	if (!st)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *num = TXT(st, 0);
		if (!strcmp(num + (num[0] == '+'), digits) || phone_digits_match(digits, num)) {
			r->relay = talloc_strdup(r->res, num);
			return 0;
		}
	}
	if (phone_normalize(norm, sizeof(norm), in, "1", &why) == 0)
		r->relay = talloc_strdup(r->res, norm);
	else
		r->relay = talloc_asprintf(r->res, "+%s", digits);
	return r->relay ? 0 : -1;
}

static int check_text(struct run *r)
{
	sqlite3_stmt *st;
	int rc;
	const char *t = r->q->text;

	while (*t && isspace((unsigned char)*t))
		t++;
	if (!*t) {
		fail(r, "the text query is empty");
		return -1;
	}
	st = prepare_tmp(r, "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?1 LIMIT 1");
	if (!st)
		return -1;
	store_bind_text(st, 1, r->q->text);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		fail(r, "bad text query '%s': %s", r->q->text, sqlite3_errmsg(r->db));
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

static bool valid_verdict(const char *v)
{
	static const char *const ok[] = {"deliver", "hold", "block", "reply", "ignore"};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(v, ok[i]))
			return true;
	return false;
}

static int exists(struct run *r, const char *sql)
{
	sqlite3_stmt *st = prepare_tmp(r, sql);
	int rc;

	if (!st)
		return -1;
	rc = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return rc;
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
		struct pinfo *p = person(r, r->person_id);
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
		struct tinfo *t = team(r, r->team_id);
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
	st = sql ? prepare(r, sql) : NULL;
	if (!st)
		return -1;
	bind_query(r, st);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		fail_db(r);
	sqlite3_finalize(st);
	talloc_free(own);
	return n;
}

/* The smallest and largest message id within the dates: an index-only walk of the
 * range, done only when it is short. */
static int id_range(struct run *r)
{
	sqlite3_stmt *st = prepare(r, "SELECT min(id), max(id) FROM messages"
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
		fail_db(r);
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

#define LATEST(col)                                                                                \
	"(SELECT v." col " FROM verdicts v WHERE v.message_id = m.id ORDER BY v.id DESC LIMIT 1)"

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
		fail_db(r);
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
	edge = prepare_tmp(r, "SELECT at FROM messages WHERE at >= :since AND at < :until"
			      " ORDER BY at LIMIT 1 OFFSET " TOSTR(WINDOW));
	sql = match_sql(r, DRIVE_DATES, count);
	st = sql ? prepare_tmp(r, sql) : NULL;
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
static int64_t *match(struct run *r, size_t *n_out)
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
	st = sql ? prepare_tmp(r, sql) : NULL;
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
static int64_t count_all(struct run *r)
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
	st = csql ? prepare_tmp(r, csql) : NULL;
	if (!st)
		return -1;
	bind_query(r, st);
	if (sqlite3_step(st) == SQLITE_ROW)
		total = sqlite3_column_int64(st, 0);
	else
		fail_db(r);
	sqlite3_reset(st);
	return total;
}

/* ---- Loading a message ---- */

static void person_fill(struct rq_person *out, const struct pinfo *p, const char *number)
{
	out->number = number;
	if (p) {
		out->id = p->id;
		out->name = p->name;
		out->handle = p->handle;
		out->role = p->role;
	} else {
		/* A number not in the directory: named by itself, so no field is NULL. */
		out->id = 0;
		out->name = number;
		out->handle = "";
		out->role = "unknown";
	}
}

/* The few words that repeat in every record (why, status, action, relay, rules) are
 * kept once per result rather than once per delivery. */
static const char *intern(struct run *r, void *owner, const char *s)
{
	const size_t cap = sizeof(r->words) / sizeof(r->words[0]);
	uint32_t h = 2166136261u;
	size_t len = 0, i;
	char *w;

	if (!s)
		return "";
	for (const unsigned char *c = (const unsigned char *)s; *c && len <= 64; c++, len++)
		h = (h ^ *c) * 16777619u;
	if (len > 64 || r->n_words >= cap / 2)
		return talloc_strdup(owner, s);
	for (i = h & (cap - 1); r->words[i]; i = (i + 1) & (cap - 1))
		if (!strcmp(r->words[i], s))
			return r->words[i];
	w = talloc_strdup(r->res, s);
	if (w) {
		r->words[i] = w;
		r->n_words++;
	}
	return w;
}

static bool is_tombstoned(struct run *r, const char *cls, int64_t id)
{
	sqlite3_stmt *st = store_stmt(r->s, "SELECT 1 FROM tombstones WHERE class = ?1"
					    " AND ref_id = ?2");
	bool yes;

	if (!st)
		return false;
	sqlite3_bind_text(st, 1, cls, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return yes;
}

/* "RELAY|team|staff|student" (records_query.h). A staff member's message is about the
 * students it addressed (a guardian addressed stands for their student): one, or "team"
 * when several. A family's message is about its student (a guardian's: their student on
 * the message's team); its staff member is the one it addressed, or the first by id when
 * it went to the team's staff. A number not in the directory is its own conversation:
 * "RELAY|team|0|NUMBER". */
static const char *thread_key(struct run *r, struct lmsg *L)
{
	struct rq_message *m = &L->m;
	struct pinfo *sender;
	int64_t staff = 0, student = 0;
	bool several = false;

	if (!m->from.id)
		return talloc_asprintf(L, "%s|%" PRId64 "|0|%s", m->relay, m->team_id,
				       m->from.number);
	sender = person(r, m->from.id);
	if (!sender)
		return NULL;
	if (sender->staff_side) {
		staff = sender->id;
		for (size_t i = 0; i < m->n_deliveries; i++) {
			const struct rq_delivery *d = &m->deliveries[i];
			struct pinfo *p;
			int64_t sid = 0;
			if (!d->to.id || strcmp(d->why, "addressed"))
				continue;
			p = person(r, d->to.id);
			if (!p)
				return NULL;
			if (!strcmp(p->role, "student"))
				sid = p->id;
			else if (!strcmp(p->role, "guardian"))
				sid = guardian_student(r, p, m->team_id);
			if (!sid)
				continue;
			if (!student)
				student = sid;
			else if (sid != student)
				several = true;
		}
	} else {
		if (!strcmp(sender->role, "student"))
			student = sender->id;
		else
			student = guardian_student(r, sender, m->team_id);
		for (size_t i = 0; i < m->n_deliveries; i++) {
			const struct rq_delivery *d = &m->deliveries[i];
			struct pinfo *p;
			if (!d->to.id || strcmp(d->why, "addressed"))
				continue;
			p = person(r, d->to.id);
			if (!p)
				return NULL;
			if (p->staff_side && (!staff || p->id < staff))
				staff = p->id;
		}
	}
	if (several)
		return talloc_asprintf(L, "%s|%" PRId64 "|%" PRId64 "|team", m->relay, m->team_id,
				       staff);
	return talloc_asprintf(L, "%s|%" PRId64 "|%" PRId64 "|%" PRId64, m->relay, m->team_id,
			       staff, student);
}

/* The ids as a JSON array, for json_each(): one statement loads a whole batch. */
static char *json_ids(void *ctx, struct lmsg *const *L, size_t n)
{
	char *out = talloc_array(ctx, char, n * 21 + 3);
	size_t len = 0;

	if (!out)
		return NULL;
	out[len++] = '[';
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(out + len, "%s%" PRId64, i ? "," : "", L[i]->m.id);
	out[len++] = ']';
	out[len] = 0;
	return out;
}

static struct lmsg *batch_get(struct run *r, sqlite3_stmt *st)
{
	struct lmsg *L = idmap_get(&r->loaded, sqlite3_column_int64(st, 0));

	if (!L)
		fail(r, "database: a record changed during the query");
	return L;
}

static int batch_messages(struct run *r, sqlite3_stmt *st)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct lmsg *L = batch_get(r, st);
		struct rq_message *m;
		int64_t sender_id = sqlite3_column_int64(st, 4);
		if (!L)
			return -1;
		m = &L->m;
		m->at = sqlite3_column_int64(st, 1);
		m->relay = intern(r, L, TXT(st, 2));
		m->text = talloc_strdup(L, TXT(st, 5) ? TXT(st, 5) : "");
		person_fill(&m->from, NULL, talloc_strdup(L, TXT(st, 3)));
		if (sender_id) {
			struct pinfo *p = person(r, sender_id);
			if (!p)
				return -1;
			person_fill(&m->from, p,
				    !strcmp(m->from.number, p->phone) ? p->phone : m->from.number);
		}
		L->found = true;
	}
	if (rc != SQLITE_DONE) {
		fail_db(r);
		return -1;
	}
	return 0;
}

/* The latest verdict speaks for the message; flagged and held if any verdict was. */
static int batch_verdicts(struct run *r, sqlite3_stmt *st)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct lmsg *L = batch_get(r, st);
		struct rq_message *m;
		int64_t vid = sqlite3_column_int64(st, 1);
		const char *action = TXT(st, 3);
		if (!L)
			return -1;
		m = &L->m;
		m->flagged |= sqlite3_column_int(st, 6) != 0;
		m->held |= action && !strcmp(action, "hold");
		if (vid < m->verdict_id)
			continue;
		m->verdict_id = vid;
		m->team_id = sqlite3_column_int64(st, 2);
		m->action = intern(r, L, action);
		m->rules = intern(r, L, TXT(st, 4));
		m->reason = talloc_strdup(L, TXT(st, 5) ? TXT(st, 5) : "");
	}
	if (rc != SQLITE_DONE) {
		fail_db(r);
		return -1;
	}
	return 0;
}

static int batch_deliveries(struct run *r, sqlite3_stmt *st)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct lmsg *L = batch_get(r, st);
		struct rq_message *m;
		struct rq_delivery *d;
		int64_t to = sqlite3_column_int64(st, 3);
		struct pinfo *p = NULL;
		const char *num = TXT(st, 4), *body = TXT(st, 6);
		if (!L)
			return -1;
		m = &L->m;
		if (m->n_deliveries == L->cap) {
			L->cap = L->cap ? L->cap * 2 : 4;
			m->deliveries =
			    talloc_realloc(L, m->deliveries, struct rq_delivery, L->cap);
			if (!m->deliveries)
				return -1;
		}
		if (to && !(p = person(r, to)))
			return -1;
		d = &m->deliveries[m->n_deliveries++];
		memset(d, 0, sizeof(*d));
		d->id = sqlite3_column_int64(st, 1);
		d->at = sqlite3_column_int64(st, 2);
		/* A broadcast's copies share one body; a person's number is theirs. */
		if (!body)
			body = "";
		if (!strcmp(body, m->text))
			d->body = m->text;
		else if (d > m->deliveries && !strcmp(body, d[-1].body))
			d->body = d[-1].body;
		else
			d->body = talloc_strdup(L, body);
		person_fill(&d->to, p,
			    p && num && !strcmp(num, p->phone) ? p->phone : talloc_strdup(L, num));
		d->why = intern(r, L, TXT(st, 5));
		d->status = intern(r, L, TXT(st, 7));
	}
	if (rc != SQLITE_DONE) {
		fail_db(r);
		return -1;
	}
	return 0;
}

static int cmp_delivery(const void *a, const void *b)
{
	const struct rq_delivery *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* What a loaded message needs once its rows are in: disposal, team, order, thread. */
static int finish(struct run *r, struct lmsg *L)
{
	struct rq_message *m = &L->m;

	if (!L->found) {
		fail(r, "database: message %" PRId64 " is missing", m->id);
		return -1;
	}
	for (size_t i = 1; i < m->n_deliveries; i++)
		if (m->deliveries[i - 1].id > m->deliveries[i].id) {
			qsort(m->deliveries, m->n_deliveries, sizeof(*m->deliveries), cmp_delivery);
			break;
		}
	m->disposed = r->tomb_messages && is_tombstoned(r, "message", m->id);
	if (m->disposed)
		m->text = "";
	for (size_t i = 0; i < m->n_deliveries; i++)
		if (m->disposed ||
		    (r->tomb_deliveries && is_tombstoned(r, "delivery", m->deliveries[i].id)))
			m->deliveries[i].body = "";
	if (m->team_id) {
		struct tinfo *t = team(r, m->team_id);
		if (!t)
			return -1;
		m->team_tag = t->tag;
		m->team_name = t->name;
	}
	m->thread_key = thread_key(r, L);
	return m->thread_key ? 0 : -1;
}

#define BATCH 512

/* Load these messages (those not loaded yet), a batch per statement. */
static int load(struct run *r, const int64_t *ids, size_t n)
{
	struct lmsg **batch = talloc_array(r->tmp, struct lmsg *, BATCH);
	size_t i = 0;

	if (!batch)
		return -1;
	while (i < n) {
		size_t k = 0;
		char *json;
		for (; i < n && k < BATCH; i++) {
			struct lmsg *L;
			void **slot;
			if (idmap_get(&r->loaded, ids[i]))
				continue;
			L = talloc_zero(r->res, struct lmsg);
			slot = idmap_slot(r->tmp, &r->loaded, ids[i], true);
			if (!L || !slot)
				return -1;
			L->m.id = ids[i];
			L->m.action = L->m.rules = L->m.reason = "";
			L->m.team_tag = L->m.team_name = "";
			*slot = L;
			batch[k++] = L;
		}
		if (!k)
			break;
		json = json_ids(r->tmp, batch, k);
		if (!json)
			return -1;
		sqlite3_reset(r->st_msg);
		sqlite3_reset(r->st_verdicts);
		sqlite3_reset(r->st_dels);
		sqlite3_bind_text(r->st_msg, 1, json, -1, SQLITE_STATIC);
		sqlite3_bind_text(r->st_verdicts, 1, json, -1, SQLITE_STATIC);
		sqlite3_bind_text(r->st_dels, 1, json, -1, SQLITE_STATIC);
		if (batch_messages(r, r->st_msg) < 0 || batch_verdicts(r, r->st_verdicts) < 0 ||
		    batch_deliveries(r, r->st_dels) < 0)
			return -1;
		sqlite3_reset(r->st_msg);
		sqlite3_reset(r->st_verdicts);
		sqlite3_reset(r->st_dels);
		talloc_free(json);
		for (size_t j = 0; j < k; j++)
			if (finish(r, batch[j]) < 0)
				return -1;
	}
	talloc_free(batch);
	return 0;
}

/* ---- Threads ---- */

static int cmp_int64(const void *a, const void *b)
{
	const int64_t *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool key_wanted(const char **keys, size_t n, const char *key)
{
	return bsearch(&key, keys, n, sizeof(*keys), cmp_str) != NULL;
}

#define KEY_FILTER                                                                                 \
	" AND m.relay = :krelay AND m.at >= :since AND m.at < :until"                              \
	" AND COALESCE(" LATEST("team_id") ", 0) = :kteam"

/* How widening finds a conversation's candidates: by sender, by a sender not in the
 * directory, and a staff member's messages addressed to someone. */
enum collect_by { SENT_BY, SENT_BY_NUMBER, ADDRESSED_BY };

static const char *const collect_sql[] = {
    [SENT_BY] = "SELECT m.id FROM messages m WHERE m.sender_id = :who",
    [SENT_BY_NUMBER] = "SELECT m.id FROM messages m WHERE m.sender_id IS NULL"
		       " AND m.sender_number = :number",
    [ADDRESSED_BY] = "SELECT m.id FROM deliveries d CROSS JOIN messages m ON m.id = d.message_id"
		     " WHERE d.recipient_id = :who AND d.at >= :since AND d.at < :until"
		     " AND d.why = 'addressed' AND m.sender_id = :staff",
};

static int collect(struct run *r, enum collect_by by, const char *relay, int64_t team_id,
		   int64_t who, int64_t staff, const char *number, struct idmap *cands)
{
	sqlite3_stmt *st = r->st_collect[by];
	int rc;

	if (!st) {
		char *sql = talloc_asprintf(
		    r->tmp, "%s%s%s", collect_sql[by], KEY_FILTER,
		    !r->q->include_disposed && r->tomb_messages
			? " AND NOT EXISTS (SELECT 1 FROM tombstones t WHERE t.class = 'message'"
			  " AND t.ref_id = m.id)"
			: "");
		st = r->st_collect[by] = sql ? prepare_tmp(r, sql) : NULL;
		if (!st)
			return -1;
	}
	sqlite3_reset(st);
	bind_named_int(st, ":since", r->since);
	bind_named_int(st, ":until", r->until);
	bind_named_text(st, ":krelay", relay);
	bind_named_int(st, ":kteam", team_id);
	bind_named_int(st, ":who", who);
	bind_named_int(st, ":staff", staff);
	bind_named_text(st, ":number", number);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		void **slot;
		if (idmap_get(&r->loaded, id))
			continue;
		slot = idmap_slot(r->tmp, cands, id, true);
		if (!slot) {
			rc = SQLITE_NOMEM;
			break;
		}
		*slot = (void *)1;
	}
	if (rc != SQLITE_DONE)
		fail_db(r);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The messages that may belong to one conversation, found through the indexes of its
 * participants: the student's and their guardians' messages, and the staff member's
 * messages to them (or, for a conversation with the whole team, all of theirs). */
static int candidates(struct run *r, const char *key, struct lmsg **seeds, size_t n_seeds,
		      struct idmap *cands)
{
	char *relay = talloc_strdup(r->tmp, key), *p, *rest;
	int64_t team_id, staff;
	sqlite3_stmt *st;
	int rc = 0;

	if (!relay)
		return -1;
	p = strchr(relay, '|');
	if (!p)
		return 0;
	*p++ = 0;
	team_id = strtoll(p, &p, 10);
	staff = strtoll(p + 1, &p, 10);
	rest = p + 1;
	if (!strcmp(rest, "team"))
		return staff ? collect(r, SENT_BY, relay, team_id, staff, 0, NULL, cands) : 0;
	if (rest[0] == '+' || !isdigit((unsigned char)rest[0]) || !strcmp(rest, "0")) {
		/* An unknown number, or no student: the senders' own messages. */
		if (staff && collect(r, SENT_BY, relay, team_id, staff, 0, NULL, cands) < 0)
			return -1;
		for (size_t i = 0; i < n_seeds; i++) {
			const struct rq_person *f = &seeds[i]->m.from;
			if (strcmp(seeds[i]->m.thread_key, key))
				continue;
			if (f->id ? collect(r, SENT_BY, relay, team_id, f->id, 0, NULL, cands)
				  : collect(r, SENT_BY_NUMBER, relay, team_id, 0, 0, f->number,
					    cands))
				return -1;
		}
		return 0;
	}
	int64_t student = strtoll(rest, NULL, 10);
	int64_t *who = talloc_array(r->tmp, int64_t, 1);
	size_t n_who = 1;

	if (!who)
		return -1;
	who[0] = student;
	if (!r->st_guardians)
		r->st_guardians = prepare_tmp(r, "SELECT guardian_id FROM guardianships"
						 " WHERE student_id = ?1 ORDER BY 1");
	st = r->st_guardians;
	if (!st)
		return -1;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, student);
	while (sqlite3_step(st) == SQLITE_ROW) {
		who = talloc_realloc(r->tmp, who, int64_t, n_who + 1);
		if (!who)
			break;
		who[n_who++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	if (!who)
		return -1;
	for (size_t i = 0; i < n_who && rc == 0; i++) {
		rc = collect(r, SENT_BY, relay, team_id, who[i], 0, NULL, cands);
		if (rc == 0 && staff)
			rc = collect(r, ADDRESSED_BY, relay, team_id, who[i], staff, NULL, cands);
	}
	return rc;
}

struct ordered {
	struct rq_message *m;
	int64_t first_at, first_id; /* the conversation's first message */
};

static int cmp_ordered(const void *a, const void *b)
{
	const struct ordered *x = a, *y = b;
	int c;

	if (x->first_at != y->first_at)
		return x->first_at < y->first_at ? -1 : 1;
	if (x->first_id != y->first_id)
		return x->first_id < y->first_id ? -1 : 1;
	c = strcmp(x->m->thread_key, y->m->thread_key);
	if (c)
		return c;
	if (x->m->at != y->m->at)
		return x->m->at < y->m->at ? -1 : 1;
	return x->m->id < y->m->id ? -1 : x->m->id > y->m->id;
}

/* By conversation, then time. */
static int cmp_key_time(const void *a, const void *b)
{
	const struct ordered *x = a, *y = b;
	int c = strcmp(x->m->thread_key, y->m->thread_key);

	if (c)
		return c;
	if (x->m->at != y->m->at)
		return x->m->at < y->m->at ? -1 : 1;
	return x->m->id < y->m->id ? -1 : x->m->id > y->m->id;
}

static int cmp_time(const void *a, const void *b)
{
	const struct lmsg *const *x = a, *const *y = b;

	if ((*x)->m.at != (*y)->m.at)
		return (*x)->m.at < (*y)->m.at ? -1 : 1;
	return (*x)->m.id < (*y)->m.id ? -1 : (*x)->m.id > (*y)->m.id;
}

/* Widen the matched messages to their whole conversations. */
static struct lmsg **widen(struct run *r, struct lmsg **kept, size_t *n_kept)
{
	size_t n = *n_kept, n_keys = 0;
	const char **keys = talloc_array(r->tmp, const char *, n ? n : 1);
	struct idmap cands = {0};

	if (!keys)
		return NULL;
	for (size_t i = 0; i < n; i++)
		keys[n_keys++] = kept[i]->m.thread_key;
	qsort(keys, n_keys, sizeof(*keys), cmp_str);
	{
		size_t j = 0;
		for (size_t i = 0; i < n_keys; i++)
			if (!j || strcmp(keys[j - 1], keys[i]))
				keys[j++] = keys[i];
		n_keys = j;
	}
	for (size_t i = 0; i < n_keys; i++)
		if (candidates(r, keys[i], kept, n, &cands) < 0)
			return NULL;
	{
		/* The candidates, loaded together, kept if they are of these conversations. */
		int64_t *ids = talloc_array(r->tmp, int64_t, cands.n ? cands.n : 1);
		size_t n_ids = 0;
		if (!ids)
			return NULL;
		for (size_t i = 0; i < cands.cap; i++)
			if (cands.keys[i])
				ids[n_ids++] = cands.keys[i];
		/* In id order: the archive's pages are read in order, not at random. */
		qsort(ids, n_ids, sizeof(*ids), cmp_int64);
		if (load(r, ids, n_ids) < 0)
			return NULL;
		kept = talloc_realloc(r->tmp, kept, struct lmsg *, n + n_ids + 1);
		if (!kept)
			return NULL;
		for (size_t i = 0; i < n_ids; i++) {
			struct lmsg *L = idmap_get(&r->loaded, ids[i]);
			if (L->kept || !key_wanted(keys, n_keys, L->m.thread_key))
				continue;
			L->kept = true;
			kept[n++] = L;
		}
	}
	*n_kept = n;
	return kept;
}

/* ---- The result ---- */

static int assemble(struct run *r, struct lmsg **kept, size_t n)
{
	struct rq_result *res = r->res;
	struct ordered *o = talloc_array(r->tmp, struct ordered, n ? n : 1);
	struct idmap seen = {0};

	if (!o)
		return -1;
	qsort(kept, n, sizeof(*kept), cmp_time);
	for (size_t i = 0; i < n; i++) {
		o[i].m = &kept[i]->m;
		o[i].first_at = o[i].first_id = 0;
	}
	if (r->q->thread && n) {
		/* Conversations in the order of their first message: group by key (time
		 * order within), note each group's first, then order the groups. */
		qsort(o, n, sizeof(*o), cmp_key_time);
		for (size_t i = 0; i < n; i++) {
			bool head = !i || strcmp(o[i - 1].m->thread_key, o[i].m->thread_key);
			o[i].first_at = head ? o[i].m->at : o[i - 1].first_at;
			o[i].first_id = head ? o[i].m->id : o[i - 1].first_id;
		}
		qsort(o, n, sizeof(*o), cmp_ordered);
	}
	res->messages = talloc_array(res, struct rq_message, n ? n : 1);
	if (!res->messages)
		return -1;
	for (size_t i = 0; i < n; i++)
		res->messages[i] = *o[i].m;
	res->n = n;

	/* The persons whose records these are. */
	res->person_ids = talloc_array(res, int64_t, 16);
	for (size_t i = 0; i < n && res->person_ids; i++) {
		const struct rq_message *m = &res->messages[i];
		for (size_t j = 0; j <= m->n_deliveries; j++) {
			int64_t id = j == m->n_deliveries ? m->from.id : m->deliveries[j].to.id;
			void **slot;
			if (!id || idmap_get(&seen, id))
				continue;
			slot = idmap_slot(r->tmp, &seen, id, true);
			if (!slot)
				return -1;
			*slot = (void *)1;
			if (res->n_persons == talloc_array_length(res->person_ids))
				res->person_ids = talloc_realloc(res, res->person_ids, int64_t,
								 res->n_persons * 2);
			if (!res->person_ids)
				return -1;
			res->person_ids[res->n_persons++] = id;
		}
	}
	if (!res->person_ids)
		return -1;
	qsort(res->person_ids, res->n_persons, sizeof(int64_t), cmp_int64);
	return 0;
}

/* ---- rq_run ---- */

static int validate(struct run *r)
{
	const struct rq_query *q = r->q;

	if (q->direction != RQ_ANY && !q->person) {
		fail(r, "a direction (sent, received) needs a person");
		return -1;
	}
	if (q->direction != RQ_ANY && q->direction != RQ_SENT && q->direction != RQ_RECEIVED) {
		fail(r, "unknown direction");
		return -1;
	}
	if (q->verdict && !valid_verdict(q->verdict)) {
		fail(r, "'%s' is not a verdict (deliver, hold, block, reply or ignore)",
		     q->verdict);
		return -1;
	}
	if (q->rule && !*q->rule) {
		fail(r, "the rule is empty");
		return -1;
	}
	if (q->team && !*q->team) {
		fail(r, "the team is empty");
		return -1;
	}
	if (q->since < 0 || q->until < 0) {
		fail(r, "a date before 1970");
		return -1;
	}
	if (q->since && q->until && q->since >= q->until) {
		fail(r, "the date range is empty (since is not before until)");
		return -1;
	}
	return 0;
}

static int prepare_loaders(struct run *r)
{
	/* A batch of ids at a time (load()), each statement driven by the list. */
	r->st_msg = prepare_tmp(r, "SELECT m.id, m.at, m.relay, m.sender_number, m.sender_id,"
				   " m.text FROM json_each(?1) j CROSS JOIN messages m"
				   " ON m.id = j.value");
	r->st_verdicts = prepare_tmp(r, "SELECT v.message_id, v.id, v.team_id, v.action, v.rules,"
					" v.reason, v.flagged FROM json_each(?1) j"
					" CROSS JOIN verdicts v ON v.message_id = j.value");
	r->st_dels = prepare_tmp(r, "SELECT d.message_id, d.id, d.at, d.recipient_id,"
				    " d.recipient_number, d.why, d.body, ds.status"
				    " FROM json_each(?1) j CROSS JOIN deliveries d"
				    " ON d.message_id = j.value"
				    " LEFT JOIN delivery_state ds ON ds.delivery_id = d.id");
	r->st_person = prepare_tmp(r, "SELECT role, given, family, handle, phone FROM persons"
				      " WHERE id = ?1");
	r->st_wards = prepare_tmp(r, "SELECT student_id FROM guardianships WHERE guardian_id = ?1"
				     " ORDER BY student_id");
	r->st_member = prepare_tmp(r, "SELECT 1 FROM team_members WHERE team_id = ?1"
				      " AND person_id = ?2");
	r->st_team = prepare_tmp(r, "SELECT tag, name FROM teams WHERE id = ?1");
	return r->st_msg && r->st_verdicts && r->st_dels && r->st_person && r->st_wards &&
		       r->st_member && r->st_team
		   ? 0
		   : -1;
}

static int run_query(struct run *r)
{
	const struct rq_query *q = r->q;
	int64_t *ids;
	size_t n_ids = 0, n_kept = 0;
	struct lmsg **kept;
	int t;

	if (q->person && resolve_person(r, q->person) < 0)
		return -1;
	if (q->team && resolve_team(r, q->team) < 0)
		return -1;
	if (q->relay && resolve_relay(r, q->relay) < 0)
		return -1;
	if (q->text && check_text(r) < 0)
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
	if (prepare_loaders(r) < 0)
		return -1;
	r->res->query_json = query_json(r);
	if (!r->res->query_json)
		return -1;

	ids = match(r, &n_ids);
	if (!ids)
		return -1;
	r->res->total = (int64_t)n_ids;
	if (r->q->limit && n_ids >= r->q->limit) {
		r->res->total = count_all(r);
		if (r->res->total < 0)
			return -1;
	}
	kept = talloc_array(r->tmp, struct lmsg *, n_ids ? n_ids : 1);
	if (!kept)
		return -1;
	if (load(r, ids, n_ids) < 0)
		return -1;
	for (size_t i = 0; i < n_ids; i++) {
		struct lmsg *L = idmap_get(&r->loaded, ids[i]);
		if (L->kept)
			continue;
		L->kept = true;
		kept[n_kept++] = L;
	}
	if (q->thread) {
		kept = widen(r, kept, &n_kept);
		if (!kept)
			return -1;
	}
	return assemble(r, kept, n_kept);
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
		fail(&r, "out of memory");
		goto out;
	}
	if (validate(&r) < 0)
		goto out;
	/* One read transaction (nested in the caller's, if any): every statement sees the
	 * same archive, and takes the read lock once. */
	if (sqlite3_exec(r.db, "SAVEPOINT records_query", NULL, NULL, NULL) != SQLITE_OK) {
		fail_db(&r);
		goto out;
	}
	rc = run_query(&r);
	if (rc < 0 && (!err || !errlen || !err[0]))
		fail(&r, "out of memory");
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
	int y, mo, d, h = 0, mi = 0, sec = 0;
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
		}
		if (*p == 'Z') {
			p++;
			utc = true;
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
	*ms = (int64_t)t * 1000;
	return 0;
}
