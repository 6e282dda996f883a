/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Calls in the archive, on a real SQLite file: a call with its legs, events and recording
 * is written and chained; arguments no record may hold are refused and write nothing;
 * rows cannot be changed afterwards; a call whose end was not recorded is found; and the
 * chain verifies with every call record in it, and fails when one is tampered with. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <talloc.h>

#include "storage/archive/chain.h"
#include "storage/archive/store.h"
#include "storage/records/records_calls.h"

#define SHA "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

struct env {
	void *ctx;
	char dir[64], path[96];
	struct store *s;
};

static int setup(void **state)
{
	struct env *e = talloc_zero(NULL, struct env);
	char err[256];

	e->ctx = e;
	snprintf(e->dir, sizeof(e->dir), "/tmp/chaperone-calls-XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(e->path, sizeof(e->path), "%s/relay.db", e->dir);
	e->s = store_open(e, e->path, err, sizeof(err));
	if (!e->s)
		fail_msg("store_open: %s", err);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char cmd[128];

	store_close(e->s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
	assert_int_equal(system(cmd), 0);
	talloc_free(e);
	return 0;
}

static int64_t count(struct env *e, const char *table)
{
	char sql[96];
	sqlite3_stmt *st;
	int64_t n;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	assert_int_equal(sqlite3_prepare_v2(store_db(e->s), sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static const struct rec_call coach_call = {
    .at = 1750000000000,
    .relay = "+15550000001",
    .initiator_id = 4,
    .initiator_number = "+15551230001",
    .callee_id = 8,
    .team_id = 1,
    .connect = true,
    .rules = "notice,masking,attribution,call,guardian-copy,oversight",
    .reason = "Jamie R. is bridged with Coach Dana Lee only with a guardian on the call",
    .notice_sha256 = SHA,
};

static int64_t a_call(struct env *e)
{
	int64_t id = rec_call_add(e->s, &coach_call);

	assert_true(id > 0);
	return id;
}

static void unended(int64_t id, void *data)
{
	int64_t *ids = data;

	ids[ids[0] + 1] = id;
	ids[0]++;
}

/* A coach's call to a player with a guardian: recorded step by step, and chained. */
static void test_call_recorded_and_chained(void **state)
{
	struct env *e = *state;
	struct rec_call_recording rec = {.at = 1750000090000,
					 .sha256 = SHA,
					 .format = "flac",
					 .bytes = 123456,
					 .duration_ms = 90000,
					 .channels = 4};
	struct chain_report r;
	char err[256];
	int64_t call = a_call(e), coach, guardian, student;

	coach =
	    rec_call_leg_add(e->s, call, 1750000000100, 4, "+15551230001", "caller", "modem0", 1);
	guardian =
	    rec_call_leg_add(e->s, call, 1750000000200, 9, "+15553330001", "guardian", "modem1", 2);
	student =
	    rec_call_leg_add(e->s, call, 1750000010000, 8, "+15552220001", "callee", "modem2", 3);
	assert_true(coach > 0 && guardian > 0 && student > 0);
	assert_true(rec_call_event(e->s, call, guardian, 1750000005000, "answer", NULL) > 0);
	assert_true(rec_call_event(e->s, call, guardian, 1750000009000, "notice", "notice " SHA) >
		    0);
	assert_true(rec_call_event(e->s, call, guardian, 1750000009001, "bridged", NULL) > 0);
	assert_true(rec_call_event(e->s, call, student, 1750000011000, "dtmf", "1") > 0);
	assert_true(rec_call_event(e->s, call, 0, 1750000090000, "end", "hung-up") > 0);
	assert_true(rec_call_recording_add(e->s, call, &rec) > 0);
	assert_int_equal(count(e, "call_legs"), 3);
	assert_int_equal(count(e, "call_events"), 5);
	assert_int_equal(chain_verify(e->s, NULL, &r, err, sizeof(err)), 0);
	assert_int_equal(r.faults, 0);
	assert_true(r.records >= 1 + 1 + 3 + 5 + 1);
}

/* What no record may hold is refused, and nothing is written. */
static void test_bad_arguments(void **state)
{
	struct env *e = *state;
	struct rec_call bad = coach_call;
	struct rec_call_recording rec = {.sha256 = "abc", .format = "flac", .channels = 2};
	int64_t call = a_call(e);

	bad.notice_sha256 = "not a hash";
	assert_int_equal(rec_call_add(e->s, &bad), -EINVAL);
	bad = coach_call;
	bad.relay = NULL;
	assert_int_equal(rec_call_add(e->s, &bad), -EINVAL);
	assert_int_equal(rec_call_leg_add(e->s, call, 1, 0, "+1555", "spy", "modem0", 1), -EINVAL);
	/* Channel 8 would be a ninth channel: no at-rest format holds it. */
	assert_int_equal(rec_call_leg_add(e->s, call, 1, 0, "+1555", "callee", "modem0", 8),
			 -EINVAL);
	assert_int_equal(rec_call_leg_add(e->s, call, 1, 0, "", "callee", "modem0", 1), -EINVAL);
	assert_int_equal(rec_call_event(e->s, call, 0, 1, "teleport", NULL), -EINVAL);
	assert_int_equal(rec_call_event(e->s, call, 3, 1, "end", NULL), -EINVAL);
	assert_int_equal(rec_call_event(e->s, 0, 0, 1, "dial", NULL), -EINVAL);
	assert_int_equal(rec_call_recording_add(e->s, call, &rec), -EINVAL);
	rec.sha256 = SHA;
	rec.format = "mp3";
	assert_int_equal(rec_call_recording_add(e->s, call, &rec), -EINVAL);
	rec.format = "flac";
	rec.channels = 9;
	assert_int_equal(rec_call_recording_add(e->s, call, &rec), -EINVAL);
	assert_int_equal(count(e, "calls"), 1);
	assert_int_equal(count(e, "call_legs"), 0);
	assert_int_equal(count(e, "call_events"), 0);
	assert_int_equal(count(e, "call_recordings"), 0);
}

/* Records are not changed after the fact, and tampering shows. */
static void test_append_only(void **state)
{
	struct env *e = *state;
	struct chain_report r;
	char err[256];
	int64_t call = a_call(e);

	assert_true(rec_call_event(e->s, call, 0, 2, "end", "remote") > 0);
	assert_int_not_equal(
	    sqlite3_exec(store_db(e->s), "UPDATE calls SET reason = 'nothing'", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_not_equal(
	    sqlite3_exec(store_db(e->s), "DELETE FROM call_events", NULL, NULL, NULL), SQLITE_OK);
	/* Behind the guards' back, on a connection of one's own: the chain notices. */
	{
		sqlite3 *db;
		char *msg = NULL;

		store_close(e->s);
		assert_int_equal(sqlite3_open(e->path, &db), SQLITE_OK);
		if (sqlite3_exec(db,
				 "DROP TRIGGER guard_update_call_events;"
				 "UPDATE call_events SET detail = 'local' WHERE kind = 'end';",
				 NULL, NULL, &msg) != SQLITE_OK)
			fail_msg("tampering failed: %s", msg);
		sqlite3_close(db);
		e->s = store_open(e, e->path, err, sizeof(err));
		assert_non_null(e->s);
	}
	assert_int_equal(chain_verify(e->s, NULL, &r, err, sizeof(err)), 1);
	assert_string_equal(r.cls, "call-event");
}

/* A call whose phone rang and that has no end is found; one only decided (no leg) or
 * ended is not. */
static void test_unended(void **state)
{
	struct env *e = *state;
	struct rec_call refused = coach_call;
	int64_t ids[8] = {0};
	int64_t open1 = a_call(e), ended = a_call(e), open2;

	refused.connect = false;
	assert_true(rec_call_add(e->s, &refused) > 0);
	open2 = a_call(e);
	assert_true(rec_call_leg_add(e->s, open1, 1, 0, "+15553330001", "caller", "modem0", 1) > 0);
	assert_true(rec_call_leg_add(e->s, ended, 1, 0, "+15553330002", "caller", "modem0", 1) > 0);
	assert_true(rec_call_leg_add(e->s, open2, 1, 0, "+15553330003", "caller", "modem1", 1) > 0);
	assert_true(rec_call_event(e->s, ended, 0, 5, "end", "hung-up") > 0);
	assert_int_equal(rec_calls_unended(e->s, unended, ids), 0);
	assert_int_equal(ids[0], 2);
	assert_int_equal(ids[1], open1);
	assert_int_equal(ids[2], open2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_call_recorded_and_chained, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_append_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unended, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
