/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Keeping records: the retention schedule, legal holds and disposal (storage/keeping/retention.c,
 * legal_hold.c, disposal.c, file_access.c) against real SQLite files holding the sample
 * district and message records written with the rec_* API at old times (years ago) and
 * recent ones.
 *
 * What must hold: a record covered by an active hold (by person, team or dates) is never
 * disposed, and a released hold keeps nothing; disposal clears the content, leaves a
 * tombstone with the chain's content hash, and the chain still verifies; the guards
 * still refuse an update of a record that was not disposed and any delete; a dry run
 * changes nothing but its access record; bad input changes nothing.
 *
 *   test_records_keeping            run the tests
 *   test_records_keeping seed DB    write the sample district and old and recent records
 *                                   into DB (for tests/e2e/records_keeping_test.sh) */
#include <grp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <talloc.h>

#include "storage/archive/access_log.h"
#include "storage/archive/chain.h"
#include "storage/directory/directory_store.h"
#include "storage/keeping/disposal.h"
#include "storage/archive/file_access.h"
#include "storage/keeping/legal_hold.h"
#include "storage/records/records.h"
#include "storage/keeping/retention.h"
#include "gateway/roster/roster.h"
#include "storage/archive/store.h"
#include "tests/unit/support/test_archive.h"

#define DAY_MS	(86400 * (int64_t)1000)
#define YEAR_MS (365 * DAY_MS)
#define RELAY	"+15550100"

struct env {
	void *ctx;
	char dir[TEST_ARCHIVE_DIR], path[TEST_ARCHIVE_PATH];
	struct store *s;
	int64_t now;
};

/* ---- Building records ---- */

static int64_t person(struct store *s, const char *handle)
{
	struct store_person p;
	void *tmp = talloc_new(NULL);

	if (store_person_by_handle(s, tmp, handle, &p) != 1)
		fail_msg("no person %s in the sample district", handle);
	talloc_free(tmp);
	return p.id;
}

static int64_t team(struct store *s, const char *tag)
{
	struct store_team t;
	void *tmp = talloc_new(NULL);

	if (store_team_by_tag(s, tmp, tag, &t) != 1)
		fail_msg("no team %s in the sample district", tag);
	talloc_free(tmp);
	return t.id;
}

/* One message as the relay records it: its PDU, the message, the verdict, a delivery
 * per recipient, and a question about it. */
struct exchange {
	int64_t pdu, msg, verdict, question, deliveries[4];
	unsigned n_deliveries;
};

static struct exchange exchange(struct store *s, int64_t at, const char *from, const char *tag,
				const char *const *to, const char *text)
{
	struct exchange x = {0};
	int64_t dup, sender = from ? person(s, from) : 0;
	struct rec_message m = {0};
	struct rec_verdict v = {0};
	struct rec_question q = {0};

	x.pdu = rec_rx_pdu_add(s, at, "m1", RELAY, false, "0011AABBCC", 0, 0, &dup);
	assert_true(x.pdu > 0);
	m = (struct rec_message){.at = at,
				 .relay = RELAY,
				 .modem = "m1",
				 .sender_number = from ? "+16175550100" : "+16175559999",
				 .sender_id = sender,
				 .text = text,
				 .parts = 1,
				 .complete = true,
				 .rx_pdu_ids = &x.pdu,
				 .n_rx_pdu_ids = 1};
	x.msg = rec_message_add(s, &m);
	assert_true(x.msg > 0);
	v = (struct rec_verdict){.at = at,
				 .message_id = x.msg,
				 .sender_id = sender,
				 .team_id = tag ? team(s, tag) : 0,
				 .relay = RELAY,
				 .kind = REC_V_RELAY,
				 .action = REC_DELIVER,
				 .rules = "",
				 .reason = "addressed",
				 .body = text};
	x.verdict = rec_verdict_add(s, &v);
	assert_true(x.verdict > 0);
	for (unsigned i = 0; to && to[i]; i++) {
		struct rec_delivery d = {.at = at + 1000,
					 .verdict_id = x.verdict,
					 .message_id = x.msg,
					 .relay = RELAY,
					 .recipient_id = person(s, to[i]),
					 .recipient_number = "+16175550200",
					 .why = "addressed",
					 .body = text,
					 .status = REC_ST_QUEUED};
		x.deliveries[x.n_deliveries] = rec_delivery_add(s, &d);
		assert_true(x.deliveries[x.n_deliveries] > 0);
		x.n_deliveries++;
	}
	if (sender) {
		q = (struct rec_question){.at = at + 2000,
					  .relay = RELAY,
					  .person_id = sender,
					  .message_id = x.msg,
					  .kind = "team",
					  .body = text};
		x.question = rec_question_add(s, &q);
		assert_true(x.question > 0);
	}
	return x;
}

static int setup(void **state)
{
	struct env *e = talloc_zero(NULL, struct env);

	e->ctx = e;
	e->s = test_archive_open(e, "test_keeping", e->dir, e->path);
	test_archive_import_district(e, e->s);
	e->now = store_now_ms();
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	test_archive_remove(e->s, e->dir);
	talloc_free(e);
	return 0;
}

/* ---- Looking ---- */

static int64_t one_int(struct env *e, const char *fmt, ...)
{
	sqlite3_stmt *st;
	int64_t v = -1;
	va_list ap;
	char *sql;

	va_start(ap, fmt);
	sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	if (sqlite3_prepare_v2(store_db(e->s), sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(store_db(e->s)));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_free(sql);
	return v;
}

static bool tombstoned(struct env *e, const char *cls, int64_t id)
{
	return one_int(e, "SELECT count(*) FROM tombstones WHERE class = %Q AND ref_id = %lld", cls,
		       (long long)id) == 1;
}

static bool message_cleared(struct env *e, int64_t id)
{
	return one_int(e,
		       "SELECT count(*) FROM messages WHERE id = %lld AND text = ''"
		       " AND sender_number = '' AND sender_id IS NULL",
		       (long long)id) == 1;
}

/* Every part of an exchange disposed (true) or every part intact (false). */
static void assert_exchange(struct env *e, const struct exchange *x, bool disposed)
{
	const char *what = disposed ? "disposed" : "kept";

	if (tombstoned(e, "message", x->msg) != disposed || message_cleared(e, x->msg) != disposed)
		fail_msg("message %lld should be %s", (long long)x->msg, what);
	if (tombstoned(e, "rx-pdu", x->pdu) != disposed ||
	    (one_int(e, "SELECT pdu = '' FROM rx_pdus WHERE id = %lld", (long long)x->pdu) == 1) !=
		disposed)
		fail_msg("rx-pdu %lld should be %s", (long long)x->pdu, what);
	if (tombstoned(e, "verdict", x->verdict) != disposed ||
	    (one_int(e,
		     "SELECT reason = '' AND body IS NULL AND sender_id IS NULL FROM verdicts"
		     " WHERE id = %lld",
		     (long long)x->verdict) == 1) != disposed)
		fail_msg("verdict %lld should be %s", (long long)x->verdict, what);
	for (unsigned i = 0; i < x->n_deliveries; i++)
		if (tombstoned(e, "delivery", x->deliveries[i]) != disposed ||
		    (one_int(e,
			     "SELECT body = '' AND recipient_number = '' AND recipient_id IS NULL"
			     " FROM deliveries WHERE id = %lld",
			     (long long)x->deliveries[i]) == 1) != disposed)
			fail_msg("delivery %lld should be %s", (long long)x->deliveries[i], what);
	if (x->question && (tombstoned(e, "question", x->question) != disposed ||
			    (one_int(e, "SELECT body = '' FROM questions WHERE id = %lld",
				     (long long)x->question) == 1) != disposed))
		fail_msg("question %lld should be %s", (long long)x->question, what);
}

static void assert_verifies(struct env *e, int64_t disposed)
{
	struct chain_report r;
	char err[256];
	int rc = chain_verify(e->s, NULL, &r, err, sizeof(err));

	if (rc != 0)
		fail_msg("chain_verify: %d %s %s %lld: %s (%s)", rc, chain_fault_name(r.fault),
			 r.cls, (long long)r.ref_id, r.detail, err);
	assert_int_equal(r.disposed, disposed);
}

static struct disposal_plan *dispose(struct env *e, int64_t now)
{
	struct disposal_who who = {.operator= "Records Officer", .os_user = "tester"};
	struct disposal_plan *p;
	char err[256];

	if (disposal_run(e->s, e->ctx, now, &who, "RMB-1 form approved 2026-11-20", &p, err,
			 sizeof(err)) < 0)
		fail_msg("disposal_run: %s", err);
	return p;
}

static int64_t hold(struct env *e, const char *name, const char *who, const char *tag,
		    int64_t since, int64_t until)
{
	struct legal_hold_spec h = {.name = name,
				    .reason = "litigation",
				    .person_id = who ? person(e->s, who) : 0,
				    .team_id = tag ? team(e->s, tag) : 0,
				    .since = since,
				    .until = until,
				    .created_by = "Records Officer",
				    .os_user = "tester"};
	char err[256];
	int64_t id = legal_hold_add(e->s, &h, err, sizeof(err));

	if (id <= 0)
		fail_msg("legal_hold_add %s: %s", name, err);
	return id;
}

static const char *const TO_COACH[] = {"danal", NULL};
static const char *const TO_RILEY[] = {"rileyc", NULL};
static const char *const TO_PRIYA[] = {"priyas", NULL};

/* ---- The schedule ---- */

static void test_retention_periods(void **state)
{
	struct retention_schedule a, b;
	struct retention_period p;
	char buf[32];
	void *ctx = talloc_new(NULL);
	char *json;

	(void)state;
	assert_int_equal(retention_period_parse(7, "years", &p), 0);
	assert_true(p.n == 7 && p.unit == RETENTION_YEARS);
	assert_int_equal(retention_period_parse(1, "month", &p), 0);
	assert_true(p.n == 1 && p.unit == RETENTION_MONTHS);
	assert_int_equal(retention_period_parse(0, "days", &p), -1);
	assert_int_equal(retention_period_parse(101, "years", &p), -1);
	assert_int_equal(retention_period_parse(3, "weeks", &p), -1);
	p = (struct retention_period){18, RETENTION_MONTHS};
	retention_period_format(&p, buf, sizeof(buf));
	assert_string_equal(buf, "18 months");
	p = (struct retention_period){1, RETENTION_YEARS};
	retention_period_format(&p, buf, sizeof(buf));
	assert_string_equal(buf, "1 year");
	p = (struct retention_period){RETENTION_FOREVER, RETENTION_DAYS};
	retention_period_format(&p, buf, sizeof(buf));
	assert_string_equal(buf, "forever");

	retention_defaults(&a);
	for (unsigned c = 0; c < RET_N_CLASSES; c++)
		assert_true(a.period[c].n == 7 && a.period[c].unit == RETENTION_YEARS);
	a.period[RET_VERDICTS].n = RETENTION_FOREVER;
	a.period[RET_DELIVERIES] = (struct retention_period){18, RETENTION_MONTHS};
	json = retention_to_json(ctx, &a);
	assert_string_equal(json, "{\"messages\":\"7 years\",\"deliveries\":\"18 months\","
				  "\"verdicts\":null,\"calls\":\"7 years\"}");
	assert_int_equal(retention_from_json(json, &b), 0);
	assert_true(retention_equal(&a, &b));
	/* A schedule recorded before periods were calendar ones: days. */
	assert_int_equal(retention_from_json("{\"messages\":2555,\"deliveries\":540,"
					     "\"verdicts\":null,\"calls\":2555}",
					     &b),
			 0);
	assert_true(b.period[RET_MESSAGES].n == 2555 &&
		    b.period[RET_MESSAGES].unit == RETENTION_DAYS);
	assert_int_equal(retention_from_json("{\"messages\":1}", &b), -1);
	assert_int_equal(retention_from_json("{\"messages\":0,\"deliveries\":1,\"verdicts\":1,"
					     "\"calls\":1}",
					     &b),
			 -1);
	assert_int_equal(retention_from_json("{\"messages\":\"7 fortnights\",\"deliveries\":1,"
					     "\"verdicts\":1,\"calls\":1}",
					     &b),
			 -1);
	assert_int_equal(retention_from_json("not json", &b), -1);
	assert_int_equal(retention_from_json(NULL, &b), -1);
	talloc_free(ctx);
}

/* Years are calendar years: "7 years" before 1 March 2033 is 1 March 2026 (2,557 days,
 * two leap days), not 2,555 days back (3 March); a year before 29 February 2028 is 28
 * February 2027; a month before 31 March is the last day of February. Before, every
 * year was 365 days. */
static void test_retention_calendar(void **state)
{
	struct retention_period seven = {7, RETENTION_YEARS}, year = {1, RETENTION_YEARS},
				month = {1, RETENTION_MONTHS}, days = {90, RETENTION_DAYS};
	char *tz = getenv("TZ") ? strdup(getenv("TZ")) : NULL;

	(void)state;
	setenv("TZ", "America/New_York", 1);
	tzset();
	/* 2033-03-01 12:00 EST = 17:00Z */
	int64_t now = 1993309200000LL;
	/* 2026-03-01 12:00 EST */
	assert_int_equal(retention_cutoff(&seven, now), 1772384400000LL);
	/* 2028-02-29 12:00 EST -> 2027-02-28 12:00 EST */
	assert_int_equal(retention_cutoff(&year, 1835456400000LL), 1803834000000LL);
	/* 2027-03-31 12:00 EDT (16:00Z) -> 2027-02-28 12:00 EST (17:00Z) */
	assert_int_equal(retention_cutoff(&month, 1806508800000LL), 1803834000000LL);
	assert_int_equal(retention_cutoff(&days, now), now - 90 * RETENTION_MS_PER_DAY);
	assert_int_equal(
	    retention_cutoff(&(struct retention_period){RETENTION_FOREVER, RETENTION_DAYS}, now),
	    0);
	if (tz)
		setenv("TZ", tz, 1);
	else
		unsetenv("TZ");
	tzset();
	free(tz);
}

static void test_retention_recorded(void **state)
{
	struct env *e = *state;
	struct retention_in_force f;
	struct retention_schedule sc;
	bool recorded;
	int64_t rows;

	assert_int_equal(retention_current(e->s, e->ctx, &f), 0);
	assert_string_equal(f.source, "default");
	assert_int_equal(f.id, 0);
	assert_int_equal(f.schedule.period[RET_MESSAGES].n, 7);

	retention_defaults(&sc);
	sc.period[RET_MESSAGES].n = 2;
	assert_int_equal(
	    retention_record(e->s, &sc, "config /etc/chaperone/chaperoned.cfg", &recorded), 0);
	assert_true(recorded);
	/* The same schedule again (a restart): nothing new. */
	assert_int_equal(
	    retention_record(e->s, &sc, "config /etc/chaperone/chaperoned.cfg", &recorded), 0);
	assert_false(recorded);
	rows = one_int(e, "SELECT count(*) FROM retention_schedules");
	assert_int_equal(rows, 1);
	assert_int_equal(retention_current(e->s, e->ctx, &f), 0);
	assert_string_equal(f.source, "config /etc/chaperone/chaperoned.cfg");
	assert_true(f.id > 0 && f.at > 0);
	assert_int_equal(f.schedule.period[RET_MESSAGES].n, 2);

	sc.period[RET_CALLS].n = RETENTION_FOREVER;
	assert_int_equal(retention_record(e->s, &sc, "config x", &recorded), 0);
	assert_true(recorded);
	assert_int_equal(retention_current(e->s, e->ctx, &f), 0);
	assert_int_equal(f.schedule.period[RET_CALLS].n, RETENTION_FOREVER);
	assert_int_equal(one_int(e, "SELECT count(*) FROM retention_schedules"), 2);
	/* The schedule rows are chained records like any other. */
	assert_int_equal(
	    one_int(e, "SELECT count(*) FROM chain WHERE class = 'retention-schedule'"), 2);
	assert_verifies(e, 0);
}

/* ---- Disposal ---- */

static void test_dispose_clears_and_verifies(void **state)
{
	struct env *e = *state;
	struct exchange old, recent;
	struct disposal_plan *p;
	int64_t orphan_pdu, dup, unknown, tombs;
	char err[256];

	old = exchange(e->s, e->now - 10 * YEAR_MS, "jamier", "soccer", TO_COACH,
		       "Old practice note about the bus");
	recent = exchange(e->s, e->now - 30 * DAY_MS, "jamier", "soccer", TO_COACH,
			  "Recent practice note");
	orphan_pdu =
	    rec_rx_pdu_add(e->s, e->now - 9 * YEAR_MS, "m1", RELAY, true, "0600AABB", 0, 0, &dup);
	assert_int_equal(rec_unknown_sender_add(e->s, e->now - 9 * YEAR_MS, RELAY, "+16175557777",
						old.msg, false),
			 0);
	unknown = sqlite3_last_insert_rowid(store_db(e->s));
	assert_true(orphan_pdu > 0 && unknown > 0);
	assert_int_equal(one_int(e, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH"
				    " 'bus'"),
			 1);

	p = dispose(e, e->now);
	/* message, pdu, question, unknown sender; delivery; verdict; the status report */
	assert_int_equal(p->total, 7);
	assert_int_equal(p->class_total[RET_MESSAGES], 5);
	assert_int_equal(p->class_total[RET_DELIVERIES], 1);
	assert_int_equal(p->class_total[RET_VERDICTS], 1);
	assert_int_equal(p->class_total[RET_CALLS], 0);
	assert_true(p->disposal_id > 0);
	assert_int_equal(p->oldest, e->now - 10 * YEAR_MS);
	assert_exchange(e, &old, true);
	assert_exchange(e, &recent, false);
	assert_true(tombstoned(e, "rx-pdu", orphan_pdu));
	assert_true(tombstoned(e, "unknown-sender", unknown));
	assert_int_equal(one_int(e, "SELECT count(*) FROM unknown_senders WHERE number = ''"), 1);
	/* The disposal's record: who, under what, how many, which dates. */
	assert_int_equal(
	    one_int(e,
		    "SELECT count(*) FROM disposals WHERE id = %lld AND records = 7"
		    " AND operator = 'Records Officer' AND os_user = 'tester'"
		    " AND authorization = 'RMB-1 form approved 2026-11-20'"
		    " AND schedule = '{\"messages\":\"7 years\",\"deliveries\":\"7 years\","
		    "\"verdicts\":\"7 years\",\"calls\":\"7 years\"}'",
		    (long long)p->disposal_id),
	    1);
	/* Each tombstone holds the chain's content hash of its record. */
	tombs = one_int(e,
			"SELECT count(*) FROM tombstones x JOIN chain c ON c.class = x.class"
			" AND c.ref_id = x.ref_id AND c.content = x.content"
			" WHERE x.disposal_id = %lld",
			(long long)p->disposal_id);
	assert_int_equal(tombs, 7);
	/* The text is gone from the full-text index too. */
	assert_int_equal(one_int(e, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH"
				    " 'bus'"),
			 0);
	assert_int_equal(one_int(e, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH"
				    " 'recent'"),
			 1);
	/* What is never disposed is untouched: the delivery's events, the directory. */
	assert_int_equal(one_int(e, "SELECT count(*) FROM delivery_events WHERE delivery_id = %lld",
				 (long long)old.deliveries[0]),
			 1);
	assert_int_equal(one_int(e, "SELECT count(*) FROM access_log WHERE action = 'dispose'"), 1);
	assert_verifies(e, 7);

	/* The guards still refuse editing what was not disposed, and deleting anything. */
	assert_int_equal(store_exec(e->s, "UPDATE messages SET text = 'edited' WHERE id = (SELECT"
					  " max(id) FROM messages)"),
			 -1);
	assert_non_null(strstr(store_errmsg(e->s), "append-only"));
	assert_int_equal(store_exec(e->s, "UPDATE deliveries SET body = '' WHERE id = (SELECT"
					  " max(id) FROM deliveries)"),
			 -1);
	assert_int_equal(store_exec(e->s, "DELETE FROM messages WHERE text = ''"), -1);
	assert_non_null(strstr(store_errmsg(e->s), "never deleted"));
	assert_int_equal(store_exec(e->s, "DELETE FROM tombstones"), -1);
	assert_int_equal(store_exec(e->s, "DELETE FROM disposals"), -1);
	assert_int_equal(one_int(e, "SELECT count(*) FROM messages"), 2);

	/* Nothing more to dispose of: no second disposals row, the access recorded. */
	p = dispose(e, e->now + 1000);
	assert_int_equal(p->total, 0);
	assert_int_equal(p->disposal_id, 0);
	assert_int_equal(one_int(e, "SELECT count(*) FROM disposals"), 1);
	assert_int_equal(one_int(e, "SELECT count(*) FROM access_log WHERE action = 'dispose'"), 2);
	/* Ten years on, the recent exchange goes too; still verifies. */
	p = dispose(e, e->now + 10 * YEAR_MS);
	assert_int_equal(p->total, 5);
	assert_exchange(e, &recent, true);
	assert_verifies(e, 12);
	(void)err;
}

static void test_dispose_needs_authorization(void **state)
{
	struct env *e = *state;
	struct disposal_who who = {.operator= "x", .os_user = "y"};
	struct disposal_plan *p;
	struct chain_head before, after;
	char err[256];

	exchange(e->s, e->now - 10 * YEAR_MS, "jamier", "soccer", TO_COACH, "Old");
	assert_int_equal(chain_head(e->s, &before), 0);
	assert_int_equal(disposal_run(e->s, e->ctx, e->now, &who, "", &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "authorization"));
	assert_int_equal(disposal_run(e->s, e->ctx, e->now, &who, "  \t", &p, err, sizeof(err)),
			 -1);
	assert_int_equal(disposal_run(e->s, e->ctx, e->now, &who, NULL, &p, err, sizeof(err)), -1);
	assert_null(p);
	assert_int_equal(chain_head(e->s, &after), 0);
	assert_int_equal(after.seq, before.seq);
	assert_int_equal(one_int(e, "SELECT count(*) FROM tombstones"), 0);
}

static void test_dry_run_changes_nothing(void **state)
{
	struct env *e = *state;
	struct disposal_who who = {.operator= "Records Officer", .os_user = "tester"};
	struct disposal_plan *p;
	struct chain_head before, after;
	struct exchange old;
	char err[256];
	uint8_t at_before[CHAIN_HASH_LEN];
	sqlite3_stmt *st;

	old = exchange(e->s, e->now - 10 * YEAR_MS, "jamier", "soccer", TO_COACH, "Old");
	exchange(e->s, e->now - 10 * YEAR_MS, "averyj", "robotics", TO_PRIYA, "Old robotics");
	hold(e, "robotics-case", NULL, "robotics", 0, 0);
	assert_int_equal(chain_head(e->s, &before), 0);
	memcpy(at_before, before.hash, CHAIN_HASH_LEN);

	assert_int_equal(disposal_dry_run(e->s, e->ctx, e->now, &who, true, &p, err, sizeof(err)),
			 0);
	assert_int_equal(p->total, 5); /* message, pdu, question, delivery, verdict */
	assert_int_equal(p->n_items, 5);
	assert_int_equal(p->kept, 5);
	assert_int_equal(p->n_holds, 1);
	assert_string_equal(p->holds[0].name, "robotics-case");
	assert_int_equal(p->holds[0].records, 5);
	assert_int_equal(p->holds[0].messages, 1);
	assert_int_equal(p->disposal_id, 0);

	/* One record more, the access, appended after the unchanged head. */
	assert_int_equal(chain_head(e->s, &after), 0);
	assert_int_equal(after.seq, before.seq + 1);
	assert_int_equal(sqlite3_prepare_v2(store_db(e->s), "SELECT hash FROM chain WHERE seq = ?1",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(st, 1, before.seq);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_memory_equal(sqlite3_column_blob(st, 0), at_before, CHAIN_HASH_LEN);
	sqlite3_finalize(st);
	assert_int_equal(one_int(e,
				 "SELECT count(*) FROM chain WHERE seq = %lld AND class ="
				 " 'access'",
				 (long long)after.seq),
			 1);
	assert_int_equal(one_int(e, "SELECT count(*) FROM access_log WHERE action ="
				    " 'dispose-dry-run' AND results = 5 AND operator ="
				    " 'Records Officer'"),
			 1);
	assert_int_equal(one_int(e, "SELECT count(*) FROM tombstones"), 0);
	assert_int_equal(one_int(e, "SELECT count(*) FROM disposals"), 0);
	assert_exchange(e, &old, false);
	assert_verifies(e, 0);
}

/* What chaperoned counts `alert anchor-overdue` from: the newest recorded anchor or
 * disposal (whose certificate carries the head), never a dry run or another access; with
 * neither, the archive's beginning, its first message when that is older than the file. */
static void test_last_anchor(void **state)
{
	struct env *e = *state;
	struct disposal_who who = {.operator= "Records Officer", .os_user = "tester"};
	struct access_entry a = {.operator= "Clerk", .results = -1, .detail = "a line"};
	struct disposal_plan *p;
	char err[256];
	int64_t at = 0;

	assert_int_equal(access_last_anchor(e->s, &at), 0);
	exchange(e->s, e->now - 10 * YEAR_MS, "jamier", "soccer", TO_COACH, "Old");
	assert_int_equal(access_archive_began(e->s, &at), 1);
	assert_int_equal(at, e->now - 10 * YEAR_MS);
	a.action = "anchor";
	a.at = e->now - 60 * DAY_MS;
	assert_true(access_log_add(e->s, &a) > 0);
	a.at = e->now - 40 * DAY_MS;
	assert_true(access_log_add(e->s, &a) > 0);
	a.action = "verify";
	a.at = e->now - 30 * DAY_MS;
	assert_true(access_log_add(e->s, &a) > 0);
	assert_int_equal(access_last_anchor(e->s, &at), 1);
	assert_int_equal(at, e->now - 40 * DAY_MS);
	assert_int_equal(
	    disposal_dry_run(e->s, e->ctx, e->now - 20 * DAY_MS, &who, false, &p, err, sizeof(err)),
	    0);
	assert_int_equal(access_last_anchor(e->s, &at), 1);
	assert_int_equal(at, e->now - 40 * DAY_MS);
	p = dispose(e, e->now - 10 * DAY_MS);
	assert_true(p->total > 0);
	assert_int_equal(access_last_anchor(e->s, &at), 1);
	assert_int_equal(at, e->now - 10 * DAY_MS);
}

/* ---- Holds ---- */

static void test_hold_by_person(void **state)
{
	struct env *e = *state;
	int64_t t = e->now - 10 * YEAR_MS;
	struct exchange from_jamie, to_riley, from_riley, robotics, recent;
	struct disposal_plan *p;

	from_jamie = exchange(e->s, t, "jamier", "soccer", TO_COACH, "From Jamie");
	to_riley = exchange(e->s, t + 1000, "danal", "soccer", TO_RILEY, "To Riley");
	from_riley = exchange(e->s, t + 2000, "rileyc", "robotics", TO_PRIYA, "From Riley");
	robotics = exchange(e->s, t + 3000, "averyj", "robotics", TO_PRIYA, "From Avery");
	recent = exchange(e->s, e->now - DAY_MS, "rileyc", "soccer", TO_COACH, "Recent Riley");
	hold(e, "riley", "rileyc", NULL, 0, 0);

	p = dispose(e, e->now);
	assert_int_equal(p->kept, 10); /* two exchanges of five records */
	assert_exchange(e, &from_jamie, true);
	assert_exchange(e, &to_riley, false);	/* Riley received it */
	assert_exchange(e, &from_riley, false); /* Riley sent it */
	assert_exchange(e, &robotics, true);
	assert_exchange(e, &recent, false);
	assert_verifies(e, 10);
}

static void test_hold_by_team(void **state)
{
	struct env *e = *state;
	int64_t t = e->now - 10 * YEAR_MS;
	struct exchange soccer, member_no_team, to_member, robotics;
	static const char *const to_avery[] = {"averyj", NULL};

	/* The verdict says soccer. */
	soccer = exchange(e->s, t, "danal", "soccer", TO_RILEY, "Soccer practice");
	/* No team on the verdict, but the sender plays soccer. */
	member_no_team = exchange(e->s, t + 1000, "jamier", NULL, TO_PRIYA, "Jamie to Priya");
	/* No team, but the recipient is the soccer coach. */
	to_member = exchange(e->s, t + 2000, "averyj", NULL, TO_COACH, "Avery to the coach");
	/* Robotics, between people who are not on the soccer team. */
	robotics = exchange(e->s, t + 3000, "priyas", "robotics", to_avery, "Robotics meeting");
	hold(e, "soccer-season", NULL, "soccer", 0, 0);

	dispose(e, e->now);
	assert_exchange(e, &soccer, false);
	assert_exchange(e, &member_no_team, false);
	assert_exchange(e, &to_member, false);
	assert_exchange(e, &robotics, true);
	assert_verifies(e, 5);
}

static void test_hold_by_dates(void **state)
{
	struct env *e = *state;
	int64_t t = e->now - 10 * YEAR_MS;
	struct exchange before, inside, at_until, after;
	int64_t dup, pdu_in, pdu_out, digest;
	struct rec_delivery d = {0};

	before = exchange(e->s, t - DAY_MS, "jamier", "soccer", TO_COACH, "Before");
	inside = exchange(e->s, t, "jamier", "soccer", TO_COACH, "Inside");
	at_until = exchange(e->s, t + 30 * DAY_MS, "jamier", "soccer", TO_COACH, "At the end");
	after = exchange(e->s, t + 40 * DAY_MS, "jamier", "soccer", TO_COACH, "After");
	/* Records of no message: kept by their own time. */
	pdu_in = rec_rx_pdu_add(e->s, t + DAY_MS, "m1", RELAY, true, "0600AA", 0, 0, &dup);
	pdu_out = rec_rx_pdu_add(e->s, t + 35 * DAY_MS, "m1", RELAY, true, "0600BB", 0, 0, &dup);
	d = (struct rec_delivery){.at = t + 2 * DAY_MS,
				  .relay = RELAY,
				  .recipient_id = person(e->s, "rosad"),
				  .recipient_number = "+16175550201",
				  .why = "digest",
				  .body = "Daily digest",
				  .status = REC_ST_QUEUED};
	digest = rec_delivery_add(e->s, &d);
	assert_true(digest > 0);
	/* [since, until): the message at `until` is outside. */
	hold(e, "spring", NULL, NULL, t, t + 30 * DAY_MS);

	dispose(e, e->now);
	assert_exchange(e, &before, true);
	assert_exchange(e, &inside, false);
	assert_exchange(e, &at_until, true);
	assert_exchange(e, &after, true);
	assert_false(tombstoned(e, "rx-pdu", pdu_in));
	assert_true(tombstoned(e, "rx-pdu", pdu_out));
	assert_false(tombstoned(e, "delivery", digest));
	assert_verifies(e, 16);
}

static void test_released_hold(void **state)
{
	struct env *e = *state;
	struct exchange old;
	struct legal_hold *v;
	size_t n;
	char err[256], num[24];
	int64_t id;
	struct disposal_plan *p;

	old = exchange(e->s, e->now - 10 * YEAR_MS, "jamier", "soccer", TO_COACH, "Old");
	id = hold(e, "jamie", "jamier", NULL, 0, 0);
	assert_int_equal(legal_hold_list(e->s, e->ctx, false, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].messages, 1);
	assert_string_equal(v[0].person_handle, "jamier");
	assert_false(v[0].released);

	p = dispose(e, e->now);
	assert_int_equal(p->total, 0);
	assert_exchange(e, &old, false);

	/* Release by name; again, by name or id, is refused. */
	assert_int_equal(legal_hold_release(e->s, "jamie", "Records Officer", "tester",
					    "case settled", err, sizeof(err)),
			 id);
	assert_int_equal(legal_hold_release(e->s, "jamie", "x", "y", NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "already released"));
	assert_int_equal(legal_hold_release(e->s, "1", "x", "y", NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "already released"));
	assert_int_equal(legal_hold_release(e->s, "no-such-hold", "x", "y", NULL, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "no hold named"));
	assert_int_equal(legal_hold_release(e->s, "99", "x", "y", NULL, err, sizeof(err)), -1);
	assert_int_equal(one_int(e, "SELECT count(*) FROM legal_hold_releases"), 1);
	assert_int_equal(one_int(e, "SELECT count(*) FROM access_log WHERE action ="
				    " 'hold-release' AND detail LIKE '%%case settled'"),
			 1);

	assert_int_equal(legal_hold_list(e->s, e->ctx, false, &v, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(legal_hold_list(e->s, e->ctx, true, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_true(v[0].released);
	assert_string_equal(v[0].release_note, "case settled");

	p = dispose(e, e->now);
	assert_int_equal(p->total, 5);
	assert_int_equal(p->kept, 0);
	assert_exchange(e, &old, true);
	assert_verifies(e, 5);

	/* A second hold, released by its id. */
	id = hold(e, "second", NULL, "robotics", 0, 0);
	snprintf(num, sizeof(num), "%lld", (long long)id);
	assert_int_equal(legal_hold_release(e->s, num, "x", "y", NULL, err, sizeof(err)), id);
}

static void test_hold_bad_input(void **state)
{
	struct env *e = *state;
	struct legal_hold_spec h = {.name = "case",
				    .reason = "litigation",
				    .person_id = person(e->s, "jamier"),
				    .created_by = "x",
				    .os_user = "y"};
	struct chain_head before, after;
	char err[256];

	assert_true(legal_hold_add(e->s, &h, err, sizeof(err)) > 0);
	assert_int_equal(one_int(e, "SELECT count(*) FROM access_log WHERE action = 'hold-add'"),
			 1);
	assert_int_equal(chain_head(e->s, &before), 0);

	/* The same name again. */
	assert_int_equal(legal_hold_add(e->s, &h, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "already a hold named 'case'"));
	/* No scope. */
	h.name = "everything";
	h.person_id = 0;
	assert_int_equal(legal_hold_add(e->s, &h, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "must name a person, a team or dates"));
	/* Dates the wrong way round. */
	h.since = e->now;
	h.until = e->now - DAY_MS;
	assert_int_equal(legal_hold_add(e->s, &h, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "before"));
	h.until = 0;
	/* No name, a number for a name, no reason. */
	h.name = " ";
	assert_int_equal(legal_hold_add(e->s, &h, err, sizeof(err)), -1);
	h.name = "42";
	assert_int_equal(legal_hold_add(e->s, &h, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "number"));
	h.name = "ok";
	h.reason = "";
	assert_int_equal(legal_hold_add(e->s, &h, err, sizeof(err)), -1);
	h.reason = NULL;
	assert_int_equal(legal_hold_add(e->s, &h, err, sizeof(err)), -1);
	/* A person who does not exist: the database refuses it, nothing is left behind. */
	h.reason = "r";
	h.person_id = 999999;
	assert_int_equal(legal_hold_add(e->s, &h, err, sizeof(err)), -1);

	assert_int_equal(chain_head(e->s, &after), 0);
	assert_int_equal(after.seq, before.seq);
	assert_int_equal(one_int(e, "SELECT count(*) FROM legal_holds"), 1);
	/* The store is still usable after the refusals. */
	h.person_id = 0;
	assert_true(legal_hold_add(e->s, &h, err, sizeof(err)) > 0);
}

/* Deliveries kept shorter than messages; verdicts forever. */
static void test_schedule_per_class(void **state)
{
	struct env *e = *state;
	struct retention_schedule sc;
	struct exchange five, ten;
	struct disposal_plan *p;
	bool recorded;

	retention_defaults(&sc);
	sc.period[RET_DELIVERIES].n = 1;
	sc.period[RET_VERDICTS].n = RETENTION_FOREVER;
	assert_int_equal(retention_record(e->s, &sc, "config test", &recorded), 0);
	five = exchange(e->s, e->now - 5 * YEAR_MS, "jamier", "soccer", TO_COACH, "Five");
	ten = exchange(e->s, e->now - 10 * YEAR_MS, "jamier", "soccer", TO_COACH, "Ten");

	p = dispose(e, e->now);
	assert_int_equal(p->class_total[RET_DELIVERIES], 2);
	assert_int_equal(p->class_total[RET_MESSAGES], 3); /* ten's message, pdu, question */
	assert_int_equal(p->class_total[RET_VERDICTS], 0);
	assert_int_equal(p->cutoff[RET_VERDICTS], 0);
	assert_true(tombstoned(e, "delivery", five.deliveries[0]));
	assert_false(tombstoned(e, "message", five.msg));
	assert_true(tombstoned(e, "message", ten.msg));
	assert_false(tombstoned(e, "verdict", ten.verdict));
	assert_int_equal(one_int(e, "SELECT count(*) FROM disposals WHERE schedule ="
				    " '{\"messages\":\"7 years\",\"deliveries\":\"1 year\","
				    "\"verdicts\":null,\"calls\":\"7 years\"}'"),
			 1);
	assert_verifies(e, 5);
}

/* ---- The file ---- */

static void test_file_access(void **state)
{
	struct env *e = *state;
	char path[128], err[256];
	struct stat st;
	struct group *g = getgrgid(getegid());
	FILE *f;

	snprintf(path, sizeof(path), "%s/x.db", e->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	chmod(path, 0644);
	assert_int_equal(file_access_apply(path, NULL, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	if (g) {
		assert_int_equal(file_access_apply(path, g->gr_name, err, sizeof(err)), 0);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0640);
		assert_int_equal(st.st_gid, getegid());
	}
	assert_int_equal(file_access_apply(path, "no-such-group-chaperone", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no-such-group-chaperone"));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, g ? 0640 : 0600);
	snprintf(path, sizeof(path), "%s/missing.db", e->dir);
	assert_int_equal(file_access_apply(path, NULL, err, sizeof(err)), -1);
}

/* ---- Seeding a database for the end-to-end test ---- */

static int seed(const char *path)
{
	void *ctx = talloc_new(NULL);
	char err[256];
	struct store *s = store_open(ctx, path, err, sizeof(err));
	int64_t now = store_now_ms(), t = now - 10 * YEAR_MS;

	if (!s) {
		fprintf(stderr, "%s: %s\n", path, err);
		return 1;
	}
	test_archive_import_district(ctx, s);
	/* Old: Jamie's and Riley's soccer messages, a robotics one; recent: one of each. */
	exchange(s, t, "jamier", "soccer", TO_COACH, "Old soccer note from Jamie");
	exchange(s, t + 1000, "danal", "soccer", TO_RILEY, "Old soccer note to Riley");
	exchange(s, t + 2000, "averyj", "robotics", TO_PRIYA, "Old robotics note");
	exchange(s, now - 30 * DAY_MS, "jamier", "soccer", TO_COACH, "Recent soccer note");
	exchange(s, now - 30 * DAY_MS, "averyj", "robotics", TO_PRIYA, "Recent robotics note");
	store_close(s);
	talloc_free(ctx);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_retention_periods),
	    cmocka_unit_test(test_retention_calendar),
	    cmocka_unit_test_setup_teardown(test_retention_recorded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dispose_clears_and_verifies, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dispose_needs_authorization, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dry_run_changes_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_last_anchor, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hold_by_person, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hold_by_team, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hold_by_dates, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_released_hold, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hold_bad_input, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_schedule_per_class, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_file_access, setup, teardown),
	};

	if (argc == 3 && !strcmp(argv[1], "seed"))
		return seed(argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
