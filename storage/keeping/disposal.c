/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Disposal: what is past retention and not held, and clearing it under tombstones
 * (disposal.h). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <talloc.h>

#include "storage/archive/access_log.h"
#include "storage/archive/chain.h"
#include "storage/keeping/disposal.h"
#include "storage/keeping/legal_hold.h"

/* Rows of `table` past the cutoff (?1), not disposed yet, not held (temp.held, filled by
 * legal_hold_mark() just before). */
#define CANDIDATES(table, cls)                                                                     \
	"SELECT t.id, t.at FROM " table " t WHERE t.at < ?1 AND NOT EXISTS"                        \
	" (SELECT 1 FROM tombstones x WHERE x.class = '" cls "' AND x.ref_id = t.id)"              \
	" AND NOT EXISTS (SELECT 1 FROM temp.held k WHERE k.class = '" cls "'"                     \
	" AND k.ref_id = t.id) ORDER BY t.id"

/* A part of a call (leg, event, recording) goes with its call: past retention by the
 * call's time. */
#define CALL_PART_CANDIDATES(table, cls)                                                           \
	"SELECT t.id, t.at FROM " table " t JOIN calls c ON c.id = t.call_id WHERE c.at < ?1"      \
	" AND NOT EXISTS (SELECT 1 FROM tombstones x WHERE x.class = '" cls "'"                    \
	" AND x.ref_id = t.id) AND NOT EXISTS (SELECT 1 FROM temp.held k"                          \
	" WHERE k.class = '" cls "' AND k.ref_id = t.id) ORDER BY t.id"

struct table_def {
	enum retention_class rclass;
	const char *table, *cls;
	const char *candidates;
	const char *clear; /* ?1 = id; allowed by the guard once the tombstone exists; NULL:
			    * nothing in the row to clear */
};

static const struct table_def defs[DISPOSAL_N_TABLES] = {
    {RET_MESSAGES, "messages", "message", CANDIDATES("messages", "message"),
     "UPDATE messages SET sender_number = '', sender_id = NULL, text = '' WHERE id = ?1"},
    {RET_MESSAGES, "rx_pdus", "rx-pdu", CANDIDATES("rx_pdus", "rx-pdu"),
     "UPDATE rx_pdus SET pdu = '' WHERE id = ?1"},
    {RET_MESSAGES, "questions", "question", CANDIDATES("questions", "question"),
     "UPDATE questions SET body = '' WHERE id = ?1"},
    {RET_MESSAGES, "unknown_senders", "unknown-sender",
     CANDIDATES("unknown_senders", "unknown-sender"),
     "UPDATE unknown_senders SET number = '' WHERE id = ?1"},
    {RET_DELIVERIES, "deliveries", "delivery", CANDIDATES("deliveries", "delivery"),
     "UPDATE deliveries SET recipient_id = NULL, recipient_number = '', body = ''"
     " WHERE id = ?1"},
    {RET_VERDICTS, "verdicts", "verdict", CANDIDATES("verdicts", "verdict"),
     "UPDATE verdicts SET sender_id = NULL, reason = '', body = NULL WHERE id = ?1"},
    {RET_CALLS, "calls", "call", CANDIDATES("calls", "call"),
     "UPDATE calls SET initiator_id = NULL, initiator_number = '', callee_id = NULL,"
     " reason = '' WHERE id = ?1"},
    {RET_CALLS, "call_legs", "call-leg", CALL_PART_CANDIDATES("call_legs", "call-leg"),
     "UPDATE call_legs SET person_id = NULL, number = '' WHERE id = ?1"},
    {RET_CALLS, "call_events", "call-event", CALL_PART_CANDIDATES("call_events", "call-event"),
     "UPDATE call_events SET detail = NULL WHERE id = ?1"},
    /* The row keeps the file's SHA-256 (its name; no one's words): the file itself is
     * deleted once the disposal is committed. */
    {RET_CALLS, "call_recordings", "call-recording",
     CALL_PART_CANDIDATES("call_recordings", "call-recording"), NULL},
};

static bool blank(const char *s)
{
	if (!s)
		return true;
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

static int collect(struct store *s, struct disposal_plan *p, const struct table_def *d,
		   struct disposal_table *t, bool items)
{
	sqlite3_stmt *st;
	int rc;

	t->rclass = d->rclass;
	t->table = d->table;
	t->cls = d->cls;
	if (!p->cutoff[d->rclass])
		return 0;
	/* Its own statement: it is stepped while the plan grows. */
	if (sqlite3_prepare_v2(store_db(s), d->candidates, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, p->cutoff[d->rclass]);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0), at = sqlite3_column_int64(st, 1);
		if (!t->count || at < t->oldest)
			t->oldest = at;
		if (!t->count || at > t->newest)
			t->newest = at;
		t->count++;
		if (items) {
			struct disposal_item *v =
			    talloc_realloc(p, p->items, struct disposal_item, p->n_items + 1);
			if (!v) {
				sqlite3_finalize(st);
				return -1;
			}
			p->items = v;
			v[p->n_items++] = (struct disposal_item){.cls = d->cls, .id = id, .at = at};
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int kept_back(struct store *s, struct disposal_plan *p)
{
	sqlite3_stmt *st;
	int rc;

	st = store_stmt(s, "SELECT count(*) FROM (SELECT DISTINCT class, ref_id FROM temp.held k"
			   " WHERE NOT EXISTS (SELECT 1 FROM tombstones x WHERE x.class = k.class"
			   " AND x.ref_id = k.ref_id))");
	if (!st)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		p->kept = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return -1;
	if (sqlite3_prepare_v2(
		store_db(s),
		"SELECT k.hold_id, h.name, count(*), sum(k.class = 'message')"
		" FROM temp.held k JOIN legal_holds h ON h.id = k.hold_id"
		" WHERE NOT EXISTS (SELECT 1 FROM tombstones x WHERE x.class = k.class"
		" AND x.ref_id = k.ref_id) GROUP BY k.hold_id ORDER BY k.hold_id",
		-1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct disposal_hold *v =
		    talloc_realloc(p, p->holds, struct disposal_hold, p->n_holds + 1);
		if (!v) {
			sqlite3_finalize(st);
			return -1;
		}
		p->holds = v;
		v[p->n_holds++] = (struct disposal_hold){
		    .id = sqlite3_column_int64(st, 0),
		    .name = talloc_strdup(v, (const char *)sqlite3_column_text(st, 1)),
		    .records = sqlite3_column_int64(st, 2),
		    .messages = sqlite3_column_int64(st, 3),
		};
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Inside the caller's transaction: the schedule, the cutoffs, the holds' marks and the
 * candidates. */
static struct disposal_plan *plan(struct store *s, void *ctx, int64_t now, bool items)
{
	struct disposal_plan *p = talloc_zero(ctx, struct disposal_plan);
	struct legal_hold_cutoffs hc;

	if (!p)
		return NULL;
	p->now = now;
	if (retention_current(s, p, &p->schedule) < 0)
		goto fail;
	p->schedule_json = retention_to_json(p, &p->schedule.schedule);
	if (!p->schedule_json)
		goto fail;
	for (unsigned c = 0; c < RET_N_CLASSES; c++) {
		/* On the calendar of the district's zone; a period reaching before the epoch
		 * leaves nothing past it. */
		p->cutoff[c] = retention_cutoff(&p->schedule.schedule.period[c], now);
	}
	hc.messages = p->cutoff[RET_MESSAGES];
	hc.deliveries = p->cutoff[RET_DELIVERIES];
	hc.verdicts = p->cutoff[RET_VERDICTS];
	hc.calls = p->cutoff[RET_CALLS];
	if (legal_hold_mark(s, &hc) < 0)
		goto fail;
	for (unsigned i = 0; i < DISPOSAL_N_TABLES; i++) {
		struct disposal_table *t = &p->tables[i];
		if (collect(s, p, &defs[i], t, items) < 0)
			goto fail;
		p->class_total[t->rclass] += t->count;
		if (t->count && (!p->total || t->oldest < p->oldest))
			p->oldest = t->oldest;
		if (t->count && (!p->total || t->newest > p->newest))
			p->newest = t->newest;
		p->total += t->count;
	}
	if (kept_back(s, p) < 0)
		goto fail;
	return p;
fail:
	talloc_free(p);
	return NULL;
}

static int record_access(struct store *s, const struct disposal_who *who, const char *action,
			 const struct disposal_plan *p, const char *detail)
{
	struct access_entry a = {.at = p->now,
				 .operator= who
				 ? who->operator: NULL,
				 .os_user = who ? who->os_user : NULL,
				 .action = action,
				 .query_json = p->schedule_json,
				 .results = p->total,
				 .detail = detail, };

	return access_log_add(s, &a) < 0 ? -1 : 0;
}

int disposal_dry_run(struct store *s, void *ctx, int64_t now, const struct disposal_who *who,
		     bool list, struct disposal_plan **out, char *err, size_t errlen)
{
	struct disposal_plan *p;
	char detail[160];

	*out = NULL;
	/* One transaction: the plan is a consistent snapshot, and its access record with it. */
	if (store_begin(s) < 0)
		goto fail;
	p = plan(s, ctx, now, list);
	if (!p)
		goto fail_tx;
	snprintf(detail, sizeof(detail),
		 "%" PRId64 " records past retention, %" PRId64 " kept back by legal holds",
		 p->total, p->kept);
	if (record_access(s, who, "dispose-dry-run", p, detail) < 0 || store_commit(s) < 0) {
		talloc_free(p);
		goto fail_tx;
	}
	*out = p;
	return 0;
fail_tx:
	snprintf(err, errlen, "database: %s", store_errmsg(s));
	store_rollback(s);
	return -1;
fail:
	snprintf(err, errlen, "database: %s", store_errmsg(s));
	return -1;
}

static int dispose_one(struct store *s, int64_t disposal_id, const struct table_def *d,
		       const struct disposal_item *it, char *err, size_t errlen)
{
	uint8_t content[CHAIN_HASH_LEN];
	sqlite3_stmt *st;

	if (chain_content_of(s, d->cls, it->id, content) < 0) {
		snprintf(err, errlen,
			 "%s %" PRId64 " is not in the hash chain: run "
			 "'chaperone records verify' (nothing was disposed)",
			 d->cls, it->id);
		return -1;
	}
	st = store_stmt(s, "INSERT INTO tombstones(disposal_id, class, ref_id, record_at, content)"
			   " VALUES (?1, ?2, ?3, ?4, ?5)");
	if (!st)
		goto db;
	sqlite3_bind_int64(st, 1, disposal_id);
	store_bind_text(st, 2, d->cls);
	sqlite3_bind_int64(st, 3, it->id);
	sqlite3_bind_int64(st, 4, it->at);
	sqlite3_bind_blob(st, 5, content, sizeof(content), SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto db;
	if (!d->clear)
		return 0;
	st = store_stmt(s, d->clear);
	if (!st)
		goto db;
	sqlite3_bind_int64(st, 1, it->id);
	if (sqlite3_step(st) != SQLITE_DONE || sqlite3_changes(store_db(s)) != 1)
		goto db;
	return 0;
db:
	snprintf(err, errlen, "disposing of %s %" PRId64 ": %s (nothing was disposed)", d->cls,
		 it->id, store_errmsg(s));
	return -1;
}

static bool is_sha256(const char *h)
{
	return h && strlen(h) == 64 && strspn(h, "0123456789abcdef") == 64;
}

/* The files of the call recordings this disposal tombstoned, which no recording still
 * kept shares (two calls with the same audio have one file): into p->files. */
static int recording_files(struct store *s, struct disposal_plan *p)
{
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT r.sha256, r.format FROM tombstones x JOIN call_recordings r ON"
	       " r.id = x.ref_id WHERE x.disposal_id = ?1 AND x.class = 'call-recording'"
	       " AND NOT EXISTS (SELECT 1 FROM call_recordings o WHERE o.sha256 = r.sha256"
	       " AND NOT EXISTS (SELECT 1 FROM tombstones y WHERE y.class = 'call-recording'"
	       " AND y.ref_id = o.id)) GROUP BY r.sha256, r.format ORDER BY min(r.id)");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, p->disposal_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *sha = (const char *)sqlite3_column_text(st, 0);
		const char *fmt = (const char *)sqlite3_column_text(st, 1);
		struct disposal_file *v;
		/* Only names a recording can have: nothing outside the directory. */
		if (!is_sha256(sha) || strspn(fmt, "abcdefghijklmnopqrstuvwxyz") != strlen(fmt) ||
		    !*fmt || strlen(fmt) > 8)
			continue;
		v = talloc_realloc(p, p->files, struct disposal_file, p->n_files + 1);
		if (!v) {
			sqlite3_reset(st);
			return -1;
		}
		p->files = v;
		v[p->n_files++] = (struct disposal_file){
		    .name = talloc_asprintf(v, "%s.%s", sha, fmt),
		    .sha256 = talloc_strdup(v, sha),
		};
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* After the commit: delete the disposed recordings' files (a missing one is already
 * gone); what cannot be deleted is counted and named, the disposal stands. */
static void delete_files(struct disposal_plan *p, const char *dir)
{
	int dfd = -1, open_err = -EINVAL;

	if (dir) {
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		open_err = dfd < 0 ? -errno : 0;
	}
	for (size_t i = 0; i < p->n_files; i++) {
		struct disposal_file *f = &p->files[i];
		int err = open_err == -ENOENT ? 0 : open_err; /* no directory: no file */

		if (dfd >= 0 && unlinkat(dfd, f->name, 0) < 0 && errno != ENOENT)
			err = -errno;
		f->deleted = !err;
		f->err = err;
		p->files_left += err != 0;
	}
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
}

static const struct table_def *def_of(const char *cls)
{
	for (unsigned i = 0; i < DISPOSAL_N_TABLES; i++)
		if (defs[i].cls == cls)
			return &defs[i];
	return NULL;
}

int disposal_run(struct store *s, void *ctx, int64_t now, const struct disposal_who *who,
		 const char *authorization, struct disposal_plan **out, char *err, size_t errlen)
{
	struct disposal_plan *p = NULL;
	sqlite3_stmt *st;
	char detail[512];

	*out = NULL;
	if (blank(authorization)) {
		snprintf(err, errlen,
			 "a disposal needs its authorization (--authorization TEXT: "
			 "the approval it rests on)");
		return -1;
	}
	if (store_begin(s) < 0)
		goto db_fail;
	store_progress_say(who ? who->progress : NULL, "finding what is past retention", 0, 0);
	p = plan(s, ctx, now, true);
	if (!p)
		goto db_fail_tx;
	p->at = now;
	if (p->total) {
		st = store_stmt(s, "INSERT INTO disposals(at, operator, os_user, authorization,"
				   " schedule, records, oldest, newest)"
				   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
		if (!st)
			goto db_fail_tx;
		sqlite3_bind_int64(st, 1, now);
		store_bind_text(st, 2,
				who && who->operator ? who->operator : access_os_user());
		store_bind_text(st, 3, who && who->os_user ? who->os_user : access_os_user());
		store_bind_text(st, 4, authorization);
		store_bind_text(st, 5, p->schedule_json);
		sqlite3_bind_int64(st, 6, p->total);
		sqlite3_bind_int64(st, 7, p->oldest);
		sqlite3_bind_int64(st, 8, p->newest);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto db_fail_tx;
		p->disposal_id = sqlite3_last_insert_rowid(store_db(s));
		for (size_t i = 0; i < p->n_items; i++) {
			if (i % 256 == 0)
				store_progress_say(who ? who->progress : NULL, "disposing", i,
						   p->n_items);
			if (dispose_one(s, p->disposal_id, def_of(p->items[i].cls), &p->items[i],
					err, errlen) < 0)
				goto fail_tx;
		}
		if (recording_files(s, p) < 0)
			goto db_fail_tx;
		snprintf(detail, sizeof(detail),
			 "disposal %" PRId64 ": %" PRId64 " records, %zu recording files; %s",
			 p->disposal_id, p->total, p->n_files, authorization);
	} else {
		snprintf(detail, sizeof(detail), "nothing past retention to dispose of; %s",
			 authorization);
	}
	if (record_access(s, who, "dispose", p, detail) < 0)
		goto db_fail_tx;
	if (store_commit(s) < 0)
		goto db_fail_tx;
	delete_files(p, who ? who->recordings_dir : NULL);
	*out = p;
	return 0;
db_fail_tx:
	snprintf(err, errlen, "database: %s (nothing was disposed)", store_errmsg(s));
fail_tx:
	store_rollback(s);
	talloc_free(p);
	return -1;
db_fail:
	snprintf(err, errlen, "database: %s", store_errmsg(s));
	return -1;
}
