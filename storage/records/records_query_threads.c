/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Conversations in the records officer's query (records_query.h, "Threads"): the
 * thread key of a loaded message, widening the matched messages to their whole
 * conversations through the indexes of each conversation's participants, and the
 * result in order — by time, or conversation by conversation in the order of their
 * first message — with the persons whose records it holds. */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "storage/records/records_query_internal.h"

/* ---- The thread key ---- */

/* "RELAY|team|staff|student" (records_query.h). A staff member's message is about the
 * students it addressed (a guardian addressed stands for their student): one, or "team"
 * when several. A family's message is about its student (a guardian's: their student on
 * the message's team); its staff member is the one it addressed, or the first by id when
 * it went to the team's staff. A number not in the directory is its own conversation:
 * "RELAY|team|0|NUMBER". */
const char *rq_thread_key(struct run *r, struct lmsg *L)
{
	struct rq_message *m = &L->m;
	struct pinfo *sender;
	int64_t staff = 0, student = 0;
	bool several = false;

	if (!m->from.id)
		return talloc_asprintf(L, "%s|%" PRId64 "|0|%s", m->relay, m->team_id,
				       m->from.number);
	sender = rq_dir_person(r, m->from.id);
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
			p = rq_dir_person(r, d->to.id);
			if (!p)
				return NULL;
			if (!strcmp(p->role, "student"))
				sid = p->id;
			else if (!strcmp(p->role, "guardian"))
				sid = rq_guardian_student(r, p, m->team_id);
			if (sid < 0)
				return NULL;
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
			student = rq_guardian_student(r, sender, m->team_id);
		if (student < 0)
			return NULL;
		for (size_t i = 0; i < m->n_deliveries; i++) {
			const struct rq_delivery *d = &m->deliveries[i];
			struct pinfo *p;
			if (!d->to.id || strcmp(d->why, "addressed"))
				continue;
			p = rq_dir_person(r, d->to.id);
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

/* ---- Widening to whole conversations ---- */

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
		st = r->st_collect[by] = sql ? rq_prepare_tmp(r, sql) : NULL;
		if (!st)
			return -1;
	}
	sqlite3_reset(st);
	rq_bind_named_int(st, ":since", r->since);
	rq_bind_named_int(st, ":until", r->until);
	rq_bind_named_text(st, ":krelay", relay);
	rq_bind_named_int(st, ":kteam", team_id);
	rq_bind_named_int(st, ":who", who);
	rq_bind_named_int(st, ":staff", staff);
	rq_bind_named_text(st, ":number", number);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		void **slot;
		if (rq_idmap_get(&r->loaded, id))
			continue;
		slot = rq_idmap_slot(r->tmp, cands, id, true);
		if (!slot) {
			rc = SQLITE_NOMEM;
			break;
		}
		*slot = (void *)1;
	}
	if (rc != SQLITE_DONE)
		rq_fail_db(r);
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
		r->st_guardians = rq_prepare_tmp(r, "SELECT guardian_id FROM guardianships"
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

/* Widen the matched messages to their whole conversations. */
struct lmsg **rq_widen(struct run *r, struct lmsg **kept, size_t *n_kept)
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
		if (rq_load(r, ids, n_ids) < 0)
			return NULL;
		kept = talloc_realloc(r->tmp, kept, struct lmsg *, n + n_ids + 1);
		if (!kept)
			return NULL;
		for (size_t i = 0; i < n_ids; i++) {
			struct lmsg *L = rq_idmap_get(&r->loaded, ids[i]);
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

int rq_assemble(struct run *r, struct lmsg **kept, size_t n)
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
			if (!id || rq_idmap_get(&seen, id))
				continue;
			slot = rq_idmap_slot(r->tmp, &seen, id, true);
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
