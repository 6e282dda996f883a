/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The archive's hash chain (storage/archive/chain.c, schema_archive.c) against a real SQLite
 * file: every record is chained; verify finds an altered, deleted, inserted or moved
 * record with its id; anchors catch a rebuilt chain and a truncated one; the guards
 * refuse edits through Chaperone's own connection; an archive written before the chain
 * existed is chained by the migration. Tampering is done the way an intruder with the
 * file would do it: a plain sqlite3 connection, dropping the guards first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <talloc.h>

#include "storage/archive/chain.h"
#include "storage/archive/chain_classes.h"
#include "storage/archive/migrations.h"
#include "storage/records/records.h"
#include "storage/archive/store.h"
#include "tests/unit/support/test_archive.h"

struct env {
	char dir[TEST_ARCHIVE_DIR], path[TEST_ARCHIVE_PATH];
	void *ctx;
	struct store *s;
};

static int64_t add_message(struct store *s, int i)
{
	int64_t dup, pdu, msg, verdict, del;
	char text[64], number[16];
	struct rec_message m = {0};
	struct rec_verdict v = {0};
	struct rec_delivery d = {0};
	int64_t at = 1700000000000LL + i * 60000LL;

	snprintf(number, sizeof(number), "+1617555%04d", i);
	snprintf(text, sizeof(text), "Practice moved to 4pm, message %d", i);
	pdu = rec_rx_pdu_add(s, at, "m1", "+15550100", false, "0011AABB", 0, 0, &dup);
	assert_true(pdu > 0);
	m = (struct rec_message){.at = at,
				 .relay = "+15550100",
				 .modem = "m1",
				 .sender_number = number,
				 .text = text,
				 .parts = 1,
				 .complete = true,
				 .rx_pdu_ids = &pdu,
				 .n_rx_pdu_ids = 1};
	msg = rec_message_add(s, &m);
	assert_true(msg > 0);
	v = (struct rec_verdict){.at = at,
				 .message_id = msg,
				 .relay = "+15550100",
				 .kind = REC_V_RELAY,
				 .action = REC_DELIVER,
				 .rules = "whole-team",
				 .reason = "to the whole team",
				 .body = text};
	verdict = rec_verdict_add(s, &v);
	assert_true(verdict > 0);
	d = (struct rec_delivery){.at = at,
				  .verdict_id = verdict,
				  .message_id = msg,
				  .relay = "+15550100",
				  .recipient_number = "+16175550999",
				  .why = "addressed",
				  .body = text,
				  .status = REC_ST_QUEUED};
	del = rec_delivery_add(s, &d);
	assert_true(del > 0);
	assert_int_equal(rec_delivery_event(s, del, at + 1000, REC_ST_SENT, "m1", 1, 7, NULL), 0);
	return msg;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	e->ctx = talloc_named_const(NULL, 0, "test_chain");
	e->s = test_archive_open(e->ctx, "chaperone-chain", e->dir, e->path);
	for (int i = 1; i <= 10; i++)
		add_message(e->s, i);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	test_archive_remove(e->s, e->dir);
	talloc_free(e->ctx);
	free(e);
	return 0;
}

/* What an intruder with write access to the file does, on a connection of their own. */
static void tamper(struct env *e, bool with_functions, const char *fmt, ...)
{
	sqlite3 *db;
	char *sql, *msg = NULL;
	va_list ap;

	store_close(e->s);
	e->s = NULL;
	assert_int_equal(sqlite3_open(e->path, &db), SQLITE_OK);
	if (with_functions)
		assert_int_equal(chain_register_functions(db), 0);
	va_start(ap, fmt);
	sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("tampering failed: %s\n%s", msg, sql);
	sqlite3_free(sql);
	sqlite3_close(db);
}

static void reopen(struct env *e)
{
	char err[256];

	e->s = store_open(e->ctx, e->path, err, sizeof(err));
	assert_non_null(e->s);
}

static int verify(struct env *e, const struct chain_head *anchor, struct chain_report *r)
{
	char err[256];
	int rc;

	if (!e->s)
		reopen(e);
	rc = chain_verify(e->s, anchor, r, err, sizeof(err));
	assert_int_not_equal(rc, -1);
	return rc;
}

static int64_t one_int(struct env *e, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (!e->s)
		reopen(e);
	assert_int_equal(sqlite3_prepare_v2(store_db(e->s), sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void test_clean_archive_verifies(void **state)
{
	struct env *e = *state;
	struct chain_report r;
	int64_t rows = one_int(e, "SELECT count(*) FROM chain");

	assert_int_equal(verify(e, NULL, &r), 0);
	assert_int_equal(r.fault, CHAIN_OK);
	assert_int_equal(r.records, rows);
	/* archive + 10 × (pdu, message, part, verdict, delivery, 2 events) */
	assert_int_equal(rows, 1 + 10 * 7);
	assert_int_equal(r.head.seq, rows);
	assert_int_equal(one_int(e, "SELECT class = 'archive' FROM chain WHERE seq = 1"), 1);
}

static void test_altered_record_is_named(void **state)
{
	struct env *e = *state;
	struct chain_report r;

	tamper(e, false,
	       "DROP TRIGGER guard_update_messages;"
	       "UPDATE messages SET text = 'Practice is cancelled' WHERE id = 7;");
	assert_int_equal(verify(e, NULL, &r), 1);
	assert_int_equal(r.fault, CHAIN_ALTERED);
	assert_string_equal(r.cls, "message");
	assert_int_equal(r.ref_id, 7);
	assert_int_equal(r.faults, 1);
}

static void test_altered_status_change_is_named(void **state)
{
	struct env *e = *state;
	struct chain_report r;

	tamper(e, false,
	       "DROP TRIGGER guard_update_delivery_events;"
	       "UPDATE delivery_events SET status = 'failed' WHERE id = 12;");
	assert_int_equal(verify(e, NULL, &r), 1);
	assert_int_equal(r.fault, CHAIN_ALTERED);
	assert_string_equal(r.cls, "delivery-event");
	assert_int_equal(r.ref_id, 12);
}

static void test_deleted_record_is_named(void **state)
{
	struct env *e = *state;
	struct chain_report r;

	tamper(e, false,
	       "PRAGMA foreign_keys = OFF; DROP TRIGGER guard_delete_deliveries;"
	       "DELETE FROM deliveries WHERE id = 4;");
	assert_int_equal(verify(e, NULL, &r), 1);
	assert_int_equal(r.fault, CHAIN_REMOVED);
	assert_string_equal(r.cls, "delivery");
	assert_int_equal(r.ref_id, 4);
}

static void test_inserted_record_is_named(void **state)
{
	struct env *e = *state;
	struct chain_report r;

	/* Without Chaperone's functions the insert cannot even chain itself... */
	tamper(e, false,
	       "DROP TRIGGER chain_messages;"
	       "INSERT INTO messages(id, at, relay, sender_number, text, parts, complete)"
	       " VALUES (11, 1700000900000, '+15550100', '+16175550000', 'forged', 1, 1);");
	assert_int_equal(verify(e, NULL, &r), 1);
	assert_int_equal(r.fault, CHAIN_INSERTED);
	assert_string_equal(r.cls, "message");
	assert_int_equal(r.ref_id, 11);
	assert_int_equal(r.seq, 0);
}

static void test_reordered_records_are_named(void **state)
{
	struct env *e = *state;
	struct chain_report r;

	/* Two messages' texts swapped: the earlier one is reported first. */
	tamper(e, false,
	       "DROP TRIGGER guard_update_messages;"
	       "CREATE TEMP TABLE old AS SELECT id, text FROM messages WHERE id IN (3, 4);"
	       "UPDATE messages SET text = (SELECT text FROM old WHERE old.id = 7 - messages.id)"
	       " WHERE id IN (3, 4);");
	assert_int_equal(verify(e, NULL, &r), 1);
	assert_int_equal(r.fault, CHAIN_ALTERED);
	assert_string_equal(r.cls, "message");
	assert_int_equal(r.ref_id, 3);
	assert_int_equal(r.faults, 2);
}

static void test_reordered_chain_rows_are_found(void **state)
{
	struct env *e = *state;
	struct chain_report r;

	/* Two chain rows exchange their positions. */
	tamper(e, false,
	       "DROP TRIGGER chain_append_only_u;"
	       "UPDATE chain SET seq = -1 WHERE seq = 20;"
	       "UPDATE chain SET seq = 20 WHERE seq = 21;"
	       "UPDATE chain SET seq = 21 WHERE seq = -1;");
	assert_int_equal(verify(e, NULL, &r), 1);
	assert_int_equal(r.fault, CHAIN_BROKEN);
	assert_int_equal(r.seq, 20);
}

static void test_removed_chain_row_is_found(void **state)
{
	struct env *e = *state;
	struct chain_report r;
	int64_t ref = one_int(e, "SELECT ref_id FROM chain WHERE seq = 30");
	char cls[32];
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(store_db(e->s),
					    "SELECT class FROM chain WHERE seq = 30", -1, &st,
					    NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(cls, sizeof(cls), "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);

	tamper(e, false, "DROP TRIGGER chain_append_only_d; DELETE FROM chain WHERE seq = 30;");
	assert_int_equal(verify(e, NULL, &r), 1);
	assert_int_equal(r.fault, CHAIN_REMOVED);
	assert_int_equal(r.seq, 30);
	(void)ref;
	(void)cls;
	/* The record itself is now outside the chain, too. */
	assert_true(r.faults >= 2);
}

/* An intruder who knows the scheme edits a message and rebuilds the chain from there:
 * verify alone cannot tell, an anchor taken before can. */
static void test_anchor_catches_a_rebuilt_chain(void **state)
{
	struct env *e = *state;
	struct chain_report r;
	struct chain_head anchor, parsed;
	char line[CHAIN_ANCHOR_LEN], text[300];
	sqlite3 *db;
	sqlite3_stmt *st, *up;
	uint8_t prev[CHAIN_HASH_LEN], link[CHAIN_HASH_LEN];
	int64_t from;

	assert_int_equal(chain_head(e->s, &anchor), 0);
	chain_anchor_format(&anchor, line, sizeof(line));
	snprintf(text, sizeof(text), "Dear clerk, please file: %s\nThanks", line);
	assert_int_equal(chain_anchor_parse(text, &parsed), 0);
	assert_int_equal(parsed.seq, anchor.seq);
	assert_memory_equal(parsed.hash, anchor.hash, CHAIN_HASH_LEN);
	assert_int_equal(chain_anchor_parse("chaperone-anchor:v1:zz", &parsed), -1);

	add_message(e->s, 11); /* the archive grows after the anchor: still extends it */
	assert_int_equal(verify(e, &anchor, &r), 0);

	store_close(e->s);
	e->s = NULL;
	assert_int_equal(sqlite3_open(e->path, &db), SQLITE_OK);
	assert_int_equal(chain_register_functions(db), 0);
	assert_int_equal(sqlite3_exec(db,
				      "DROP TRIGGER guard_update_messages;"
				      "DROP TRIGGER chain_append_only_u;"
				      "UPDATE messages SET text = 'rewritten' WHERE id = 2;"
				      "UPDATE chain SET content = (SELECT rec_hash(" COLS_MESSAGES(
					  "t.") ") FROM messages t WHERE t.id = 2)"
						" WHERE class = 'message' AND ref_id = 2;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	from = 0;
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT seq FROM chain WHERE class = 'message' AND"
					    " ref_id = 2",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	from = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT seq, class, ref_id, content, hash FROM chain"
					    " WHERE seq >= ?1 - 1 ORDER BY seq",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "UPDATE chain SET hash = ?2 WHERE seq = ?1", -1, &up, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(st, 1, from);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	memcpy(prev, sqlite3_column_blob(st, 4), CHAIN_HASH_LEN);
	while (sqlite3_step(st) == SQLITE_ROW) {
		chain_link_hash(link, sqlite3_column_int64(st, 0),
				(const char *)sqlite3_column_text(st, 1),
				sqlite3_column_int64(st, 2), sqlite3_column_blob(st, 3), prev);
		sqlite3_bind_int64(up, 1, sqlite3_column_int64(st, 0));
		sqlite3_bind_blob(up, 2, link, CHAIN_HASH_LEN, SQLITE_TRANSIENT);
		assert_int_equal(sqlite3_step(up), SQLITE_DONE);
		sqlite3_reset(up);
		memcpy(prev, link, CHAIN_HASH_LEN);
	}
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	sqlite3_close(db);

	assert_int_equal(verify(e, NULL, &r), 0);    /* a consistent forgery... */
	assert_int_equal(verify(e, &anchor, &r), 1); /* ...that the anchor exposes */
	assert_int_equal(r.fault, CHAIN_ANCHOR);
	assert_int_equal(r.seq, anchor.seq);
}

static void test_anchor_catches_truncation(void **state)
{
	struct env *e = *state;
	struct chain_report r;
	struct chain_head anchor;

	assert_int_equal(chain_head(e->s, &anchor), 0);
	tamper(e, false,
	       "PRAGMA foreign_keys = OFF; DROP TRIGGER chain_append_only_d;"
	       "DROP TRIGGER guard_delete_delivery_events;"
	       "DELETE FROM delivery_events WHERE id = (SELECT max(id) FROM delivery_events);"
	       "DELETE FROM chain WHERE seq = (SELECT max(seq) FROM chain);");
	assert_int_equal(verify(e, NULL, &r), 0);    /* the end of a chain can be cut... */
	assert_int_equal(verify(e, &anchor, &r), 1); /* ...unless it was anchored */
	assert_int_equal(r.fault, CHAIN_ANCHOR);

	anchor.archive_id[0] ^= 1;
	assert_int_equal(verify(e, &anchor, &r), 1);
	assert_int_equal(r.fault, CHAIN_ANCHOR);
}

static void test_guards_refuse_edits(void **state)
{
	struct env *e = *state;
	struct chain_report r;

	assert_int_equal(store_exec(e->s, "UPDATE messages SET text = 'x' WHERE id = 1"), -1);
	assert_non_null(strstr(store_errmsg(e->s), "append-only"));
	assert_int_equal(store_exec(e->s, "DELETE FROM verdicts WHERE id = 1"), -1);
	assert_int_equal(store_exec(e->s, "UPDATE chain SET ref_id = 5 WHERE seq = 3"), -1);
	assert_int_equal(store_exec(e->s, "DELETE FROM chain WHERE seq = 3"), -1);
	assert_int_equal(verify(e, NULL, &r), 0);
}

/* A plain connection without Chaperone's functions cannot add a record at all. */
static void test_foreign_writer_cannot_add(void **state)
{
	struct env *e = *state;
	sqlite3 *db;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(e->path, &db), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db,
					  "INSERT INTO messages(at, relay, sender_number, text,"
					  " parts, complete) VALUES (1, 'r', 'n', 't', 1, 1)",
					  NULL, NULL, &msg),
			     SQLITE_OK);
	assert_non_null(strstr(msg, "rec_hash"));
	sqlite3_free(msg);
	sqlite3_close(db);
}

/* An archive written before the chain existed (directory and records migrations only)
 * is chained by archive-1, and verifies. */
static void test_migration_chains_existing_records(void **state)
{
	char dir[64] = "/tmp/chaperone-chain-old-XXXXXX", path[96], cmd[120], err[256];
	const struct store_migration *lists[] = {store_migrations_directory,
						 store_migrations_records};
	struct chain_report r;
	struct store *s;
	sqlite3 *db;
	void *ctx = talloc_named_const(NULL, 0, "old");

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/old.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "CREATE TABLE schema_migrations (name TEXT PRIMARY KEY,"
				      " applied_at INTEGER NOT NULL)",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	for (size_t l = 0; l < 2; l++)
		for (const struct store_migration *m = lists[l]; m->name; m++) {
			char *ins = sqlite3_mprintf("INSERT INTO schema_migrations VALUES (%Q, 1)",
						    m->name);
			assert_int_equal(sqlite3_exec(db, m->sql, NULL, NULL, NULL), SQLITE_OK);
			assert_int_equal(sqlite3_exec(db, ins, NULL, NULL, NULL), SQLITE_OK);
			sqlite3_free(ins);
		}
	assert_int_equal(
	    sqlite3_exec(db,
			 "INSERT INTO messages(at, relay, sender_number, text, parts, complete)"
			 " VALUES (1, '+15550100', '+16175550101', 'old one', 1, 1),"
			 " (2, '+15550100', '+16175550101', 'old two', 1, 1);"
			 "INSERT INTO directory_changes(at, actor, action, entity)"
			 " VALUES (1, 'it', 'import', 'roster');",
			 NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);

	s = store_open(ctx, path, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(chain_verify(s, NULL, &r, err, sizeof(err)), 0);
	assert_int_equal(r.records, 4); /* archive, two messages, one directory change */
	assert_int_equal(add_message(s, 1) > 0, 1);
	assert_int_equal(chain_verify(s, NULL, &r, err, sizeof(err)), 0);
	assert_int_equal(r.records, 4 + 7);
	/* The FTS index holds the old texts too. */
	{
		sqlite3_stmt *st;
		assert_int_equal(sqlite3_prepare_v2(store_db(s),
						    "SELECT count(*) FROM messages_fts WHERE"
						    " messages_fts MATCH 'old'",
						    -1, &st, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(st, 0), 2);
		sqlite3_finalize(st);
	}
	talloc_free(ctx);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* The canonical encoding tells apart values that a naive concatenation would not. */
static void test_canonical_encoding_is_unambiguous(void **state)
{
	struct env *e = *state;

	assert_int_equal(one_int(e, "SELECT rec_hash('ab', 'c') = rec_hash('a', 'bc')"), 0);
	assert_int_equal(one_int(e, "SELECT rec_hash(NULL) = rec_hash('')"), 0);
	assert_int_equal(one_int(e, "SELECT rec_hash(1) = rec_hash('1')"), 0);
	assert_int_equal(one_int(e, "SELECT rec_hash(x'00') = rec_hash('')"), 0);
	assert_int_equal(one_int(e, "SELECT rec_hash('a', 1) = rec_hash('a', 1)"), 1);
	assert_int_equal(one_int(e, "SELECT length(rec_hash('a'))"), 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_clean_archive_verifies, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_altered_record_is_named, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_altered_status_change_is_named, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deleted_record_is_named, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_inserted_record_is_named, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reordered_records_are_named, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reordered_chain_rows_are_found, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_removed_chain_row_is_found, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_anchor_catches_a_rebuilt_chain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_anchor_catches_truncation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_guards_refuse_edits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_foreign_writer_cannot_add, setup, teardown),
	    cmocka_unit_test(test_migration_chains_existing_records),
	    cmocka_unit_test_setup_teardown(test_canonical_encoding_is_unambiguous, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
