/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The router against a real SQLite file and the sample district, with a transport that
 * only counts: what the end-to-end tests cannot reach quickly — restarts, the clock
 * (quiet-hours release, once-a-day replies, question expiry), a failing archive, and
 * directory edits made by another process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <talloc.h>

#include "storage/directory/directory_store.h"
#include "storage/records/records.h"
#include "storage/records/records_journal.h"
#include "gateway/roster/roster.h"
#include "gateway/relay/router.h"

static const char *fixture_dir;

/* 2026-11-23 (a Monday) 15:00:00 UTC */
#define T0   (1795446000LL * 1000)
#define HOUR (3600LL * 1000)

#define COACH	     "+16175550101"
#define JAMIE	     "+16175550301"
#define ROSA	     "+16175550201" /* the athletic director, who oversees Soccer */
#define SOCCER_RELAY "+15550100"

struct sent {
	int64_t id;
	char to[32];
	char body[1024];
	int ref;
	uint8_t done[32];
};

struct env {
	void *ctx;
	char path[64];
	struct store *store;
	struct router *router;
	struct router_config cfg;
	struct sent sent[512];
	unsigned n_sent;
	enum router_send_result result;
};

static enum router_send_result count_send(const struct router_send *o, const char **why, void *data)
{
	struct env *e = data;

	(void)why;
	if (e->n_sent < 512) {
		e->sent[e->n_sent].id = o->delivery_id;
		snprintf(e->sent[e->n_sent].to, sizeof(e->sent[0].to), "%s", o->to);
		snprintf(e->sent[e->n_sent].body, sizeof(e->sent[0].body), "%s", o->body);
		e->sent[e->n_sent].ref = o->ref;
		memset(e->sent[e->n_sent].done, 0, sizeof(e->sent[0].done));
		if (o->done)
			memcpy(e->sent[e->n_sent].done, o->done, sizeof(e->sent[0].done));
	}
	e->n_sent++;
	return e->result;
}

static const struct router_transport transport = {.send = count_send};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct roster_report *rep;
	char err[256];
	int fd;

	e->ctx = talloc_new(NULL);
	snprintf(e->path, sizeof(e->path), "/tmp/chaperone-router-XXXXXX");
	fd = mkstemp(e->path);
	assert_true(fd >= 0);
	close(fd);
	e->store = store_open(e->ctx, e->path, err, sizeof(err));
	assert_non_null(e->store);
	assert_int_equal(roster_import(e->ctx, e->store, fixture_dir, NULL, &rep), ROSTER_OK);
	router_config_defaults(&e->cfg);
	e->cfg.district = "Lakeview Public Schools";
	e->cfg.policy.district = e->cfg.district;
	e->router = router_alloc(e->ctx, e->store, &e->cfg, &transport, e);
	assert_int_equal(router_load(e->router), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char side[96];

	talloc_free(e->ctx);
	unlink(e->path);
	snprintf(side, sizeof(side), "%s-wal", e->path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", e->path);
	unlink(side);
	free(e);
	return 0;
}

static int64_t text_at(struct env *e, const char *from, const char *relay, const char *text,
		       int64_t at)
{
	struct router_inbound in = {.at = at,
				    .relay = relay,
				    .modem = "modem0",
				    .sender = from,
				    .text = text,
				    .parts = 1,
				    .complete = true};

	return router_inbound(e->router, &in);
}

static int64_t count(struct env *e, const char *sql)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	assert_int_equal(sqlite3_prepare_v2(store_db(e->store), sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static bool sent_to(struct env *e, const char *to, const char *needle)
{
	for (unsigned i = 0; i < e->n_sent && i < 512; i++)
		if (!strcmp(e->sent[i].to, to) && (!needle || strstr(e->sent[i].body, needle)))
			return true;
	return false;
}

/* Everything sent was recorded first: every transport call names a delivery row whose
 * recipient and body are the ones handed over. */
static void assert_all_recorded(struct env *e)
{
	for (unsigned i = 0; i < e->n_sent && i < 512; i++) {
		sqlite3_stmt *st;
		assert_int_equal(sqlite3_prepare_v2(store_db(e->store),
						    "SELECT recipient_number, body FROM deliveries"
						    " WHERE id = ?1",
						    -1, &st, NULL),
				 SQLITE_OK);
		sqlite3_bind_int64(st, 1, e->sent[i].id);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(st, 0), e->sent[i].to);
		assert_string_equal((const char *)sqlite3_column_text(st, 1), e->sent[i].body);
		sqlite3_finalize(st);
	}
}

static void test_broadcast_recorded_then_sent(void **state)
{
	struct env *e = *state;
	int64_t id = text_at(e, COACH, SOCCER_RELAY, "#soccer Practice at 5", T0);

	assert_true(id > 0);
	/* 8 students, the assistant coach, the athletic director. */
	assert_int_equal(e->n_sent, 10);
	assert_true(sent_to(e, JAMIE, "[Soccer] Coach Dana Lee: Practice at 5"));
	assert_true(sent_to(e, "+16175550201", "to the Soccer team"));
	assert_int_equal(count(e, "SELECT count(*) FROM verdicts WHERE action = 'deliver'"), 1);
	assert_int_equal(count(e, "SELECT count(*) FROM deliveries"), 10);
	assert_int_equal(count(e, "SELECT count(*) FROM notices"), 10);
	assert_all_recorded(e);
}

static void count_status(enum rec_status status, int64_t n, void *data)
{
	int64_t *counts = data;

	counts[status] += n;
}

/* Statuses are an enum with one name table (rec_status_names); a status word the archive
 * holds that no enum has is an error, not a status guessed at. */
static void test_delivery_status_words(void **state)
{
	struct env *e = *state;
	int64_t counts[REC_ST_REJECTED + 1] = {0};

	text_at(e, COACH, SOCCER_RELAY, "#soccer Practice at 5", T0);
	assert_int_equal(rec_delivery_counts(e->store, count_status, counts), 0);
	assert_int_equal(counts[REC_ST_QUEUED], 10);
	assert_string_equal(get_value_string(rec_status_names, REC_ST_DELIVERED), "delivered");
	assert_int_equal(
	    sqlite3_exec(store_db(e->store),
			 "UPDATE delivery_state SET status = 'misplaced'"
			 " WHERE delivery_id = (SELECT min(delivery_id) FROM delivery_state)",
			 NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(rec_delivery_counts(e->store, count_status, counts), -1);
	assert_non_null(strstr(store_errmsg(e->store), "'misplaced'"));
}

static void test_restart_resends_queued_only(void **state)
{
	struct env *e = *state;
	sqlite3_stmt *st;

	text_at(e, COACH, SOCCER_RELAY, "#soccer Bus at 7", T0);
	assert_int_equal(e->n_sent, 10);
	/* One delivery went out before the "crash"; the others were still queued. */
	assert_int_equal(
	    rec_delivery_event(e->store, e->sent[0].id, T0 + 1, REC_ST_SENT, "modem0", 1, 7, NULL),
	    0);
	router_free(e->router);
	e->n_sent = 0;
	e->router = router_alloc(e->ctx, e->store, &e->cfg, &transport, e);
	assert_int_equal(router_load(e->router), 0);
	assert_int_equal(router_poll(e->router, T0 + 2), 9);
	assert_int_equal(e->n_sent, 9);
	/* Polling again sends nothing twice. */
	assert_int_equal(router_poll(e->router, T0 + 3), 0);
	assert_int_equal(e->n_sent, 9);
	assert_int_equal(
	    sqlite3_prepare_v2(store_db(e->store),
			       "SELECT status FROM delivery_state WHERE delivery_id = ?1", -1, &st,
			       NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(st, 1, e->sent[0].id);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "queued");
	sqlite3_finalize(st);
}

static void test_waiting_recorded(void **state)
{
	struct env *e = *state;

	e->result = ROUTER_SEND_WAITING;
	text_at(e, COACH, SOCCER_RELAY, "#soccer Field closed", T0);
	assert_int_equal(count(e, "SELECT count(*) FROM delivery_state WHERE status = 'waiting'"),
			 10);
	/* The modem's queue holds them; a poll does not hand them over twice. */
	assert_int_equal(router_poll(e->router, T0 + 1000), 0);
}

static void test_quiet_hours_release_at_end(void **state)
{
	struct env *e = *state;

	setenv("TZ", "UTC", 1);
	tzset();
	e->cfg.policy.quiet_hours = true;
	e->cfg.policy.quiet_start_min = 14 * 60; /* 14:00-16:00 UTC covers T0 (15:00) */
	e->cfg.policy.quiet_end_min = 16 * 60;
	router_free(e->router);
	e->router = router_alloc(e->ctx, e->store, &e->cfg, &transport, e);
	assert_int_equal(router_load(e->router), 0);

	text_at(e, COACH, SOCCER_RELAY, "#soccer Remember your cleats", T0);
	/* Only the coach hears back: the message waits for 16:00. */
	assert_int_equal(e->n_sent, 1);
	assert_true(sent_to(e, COACH, "16:00"));
	assert_int_equal(count(e, "SELECT count(*) FROM verdicts WHERE release = 'time'"), 1);
	assert_int_equal(router_poll(e->router, T0 + HOUR - 1000), 0);
	assert_int_equal(router_poll(e->router, T0 + HOUR), 10);
	assert_true(sent_to(e, JAMIE, "Remember your cleats"));
	assert_int_equal(count(e, "SELECT count(*) FROM hold_decisions WHERE decided_by ="
				  " 'quiet-hours' AND decision = 'released'"),
			 1);
	/* !urgent is not held. */
	e->n_sent = 0;
	text_at(e, COACH, SOCCER_RELAY, "!urgent #soccer Game cancelled", T0 + 60 * 1000);
	assert_int_equal(e->n_sent, 10);
}

/* router_set_config puts a change in force at once: quiet hours turned on hold the next
 * message, turned off let the one after through; the config's strings are the router's
 * own copies (the caller's may be freed). */
static void test_config_change_in_force(void **state)
{
	struct env *e = *state;
	char *district = talloc_strdup(e->ctx, "Lakeview Public Schools District");

	setenv("TZ", "UTC", 1);
	tzset();
	e->cfg.policy.quiet_hours = true;
	e->cfg.policy.quiet_start_min = 14 * 60; /* covers T0 (15:00 UTC) */
	e->cfg.policy.quiet_end_min = 16 * 60;
	e->cfg.district = district;
	router_set_config(e->router, &e->cfg);
	talloc_free(district);
	e->cfg.district = NULL;

	text_at(e, COACH, SOCCER_RELAY, "#soccer Remember your cleats", T0);
	assert_int_equal(e->n_sent, 1);
	assert_true(sent_to(e, COACH, "16:00"));
	assert_int_equal(count(e, "SELECT count(*) FROM verdicts WHERE release = 'time'"), 1);

	e->cfg.policy.quiet_hours = false;
	router_set_config(e->router, &e->cfg);
	e->n_sent = 0;
	text_at(e, COACH, SOCCER_RELAY, "#soccer Bring water", T0 + 1000);
	assert_int_equal(e->n_sent, 10);
	assert_true(sent_to(e, JAMIE, "Bring water"));
	assert_int_equal(count(e, "SELECT count(*) FROM verdicts WHERE release = 'time'"), 1);
}

static void test_unknown_sender_once_a_day(void **state)
{
	struct env *e = *state;
	const char *stranger = "+19785550000";

	text_at(e, stranger, SOCCER_RELAY, "hello?", T0);
	text_at(e, stranger, SOCCER_RELAY, "hello??", T0 + HOUR);
	assert_int_equal(e->n_sent, 1);
	text_at(e, stranger, SOCCER_RELAY, "anyone?", T0 + 25 * HOUR);
	assert_int_equal(e->n_sent, 2);
	assert_int_equal(count(e, "SELECT count(*) FROM unknown_senders"), 3);
	assert_int_equal(count(e, "SELECT count(*) FROM unknown_senders WHERE replied = 1"), 2);
	/* Never forwarded to anyone. */
	assert_int_equal(count(e, "SELECT count(*) FROM deliveries WHERE why <> 'reply'"), 0);
}

/* When the archive cannot say whether an unknown number opted out, it gets no reply (and
 * the archive error is counted): an opt-out is never assumed away. */
static void test_unknown_sender_fails_closed(void **state)
{
	struct env *e = *state;
	struct router_stats st;

	assert_int_equal(sqlite3_exec(store_db(e->store), "DROP TABLE optouts", NULL, NULL, NULL),
			 SQLITE_OK);
	text_at(e, "+19785550000", SOCCER_RELAY, "hello?", T0);
	assert_int_equal(e->n_sent, 0);
	router_stats(e->router, &st);
	assert_true(st.store_errors >= 1);
	assert_int_equal(count(e, "SELECT count(*) FROM unknown_senders WHERE replied = 0"), 1);
}

static void test_question_answered_then_expired(void **state)
{
	struct env *e = *state;

	text_at(e, COACH, SOCCER_RELAY, "Great game today", T0);
	assert_int_equal(e->n_sent, 1);
	assert_true(sent_to(e, COACH, "Who is this for?"));
	text_at(e, COACH, SOCCER_RELAY, "#soccer", T0 + 60 * 1000);
	assert_true(sent_to(e, JAMIE, "[Soccer] Coach Dana Lee: Great game today"));
	assert_int_equal(count(e, "SELECT count(*) FROM question_answers WHERE outcome ="
				  " 'answered'"),
			 1);

	/* A question older than the window cannot be answered any more. */
	e->n_sent = 0;
	text_at(e, COACH, SOCCER_RELAY, "See you Monday", T0 + 2 * HOUR);
	text_at(e, COACH, SOCCER_RELAY, "#soccer", T0 + 4 * HOUR);
	assert_false(sent_to(e, JAMIE, "See you Monday"));
	assert_true(sent_to(e, COACH, "no text"));
}

static void test_archive_failure_sends_nothing(void **state)
{
	struct env *e = *state;

	assert_int_equal(store_exec(e->store, "PRAGMA query_only = 1"), 0);
	assert_int_equal(text_at(e, COACH, SOCCER_RELAY, "#soccer Practice at 5", T0), -1);
	assert_int_equal(e->n_sent, 0);
	assert_int_equal(store_exec(e->store, "PRAGMA query_only = 0"), 0);
	assert_true(text_at(e, COACH, SOCCER_RELAY, "#soccer Practice at 5", T0 + 1) > 0);
	assert_int_equal(e->n_sent, 10);
}

/* The end of quiet hours while the archive refuses writes: the hold stays undecided and
 * nothing goes out; the next poll after the archive recovers releases it. */
static void test_release_archive_failure_sends_nothing(void **state)
{
	struct env *e = *state;

	setenv("TZ", "UTC", 1);
	tzset();
	e->cfg.policy.quiet_hours = true;
	e->cfg.policy.quiet_start_min = 14 * 60; /* covers T0 (15:00 UTC) */
	e->cfg.policy.quiet_end_min = 16 * 60;
	router_set_config(e->router, &e->cfg);
	assert_true(text_at(e, COACH, SOCCER_RELAY, "#soccer Remember your cleats", T0) > 0);
	assert_int_equal(e->n_sent, 1); /* the coach hears it waits for 16:00 */

	assert_int_equal(store_exec(e->store, "PRAGMA query_only = 1"), 0);
	assert_int_equal(router_poll(e->router, T0 + HOUR), 0);
	assert_int_equal(e->n_sent, 1);
	assert_int_equal(store_exec(e->store, "PRAGMA query_only = 0"), 0);
	assert_int_equal(count(e, "SELECT count(*) FROM hold_decisions"), 0);
	assert_int_equal(router_poll(e->router, T0 + HOUR + 1000), 10);
	assert_true(sent_to(e, JAMIE, "Remember your cleats"));
	assert_all_recorded(e);
}

/* A digest the archive refuses is not sent and not counted as queued (it was, though
 * nothing had been recorded); it goes out once the archive takes it. */
static void test_digest_archive_failure_sends_nothing(void **state)
{
	struct env *e = *state;
	struct router_stats st;

	e->cfg.policy.oversight = POLICY_OVERSIGHT_DIGEST;
	router_set_config(e->router, &e->cfg);
	assert_true(text_at(e, COACH, SOCCER_RELAY, "#soccer Bus leaves at 7", T0) > 0);
	assert_false(sent_to(e, ROSA, NULL));
	e->n_sent = 0;

	assert_int_equal(store_exec(e->store, "PRAGMA query_only = 1"), 0);
	assert_int_equal(router_send_digests(e->router, T0 + HOUR), 0);
	assert_int_equal(e->n_sent, 0);
	router_stats(e->router, &st);
	assert_int_equal(st.store_errors, 1);
	assert_int_equal(store_exec(e->store, "PRAGMA query_only = 0"), 0);
	assert_int_equal(count(e, "SELECT count(*) FROM deliveries WHERE why = 'digest'"), 0);

	assert_int_equal(router_send_digests(e->router, T0 + HOUR + 1000), 1);
	assert_int_equal(e->n_sent, 1);
	assert_true(sent_to(e, ROSA, "Bus leaves at 7"));
	assert_all_recorded(e);
}

/* A modem's report the archive refuses is counted; the delivery is not handed over
 * again by this process. */
static void test_status_archive_failure_counted(void **state)
{
	struct env *e = *state;
	struct router_stats st;

	assert_true(text_at(e, COACH, SOCCER_RELAY, "#soccer Practice at 5", T0) > 0);
	assert_int_equal(e->n_sent, 10);
	assert_int_equal(store_exec(e->store, "PRAGMA query_only = 1"), 0);
	router_part_sent(e->router, e->sent[0].id, "modem0", 1, true, 7, 0);
	assert_int_equal(router_status_report(e->router, 1, "modem0", 7, "+16175550301", 0x00, T0),
			 -1);
	router_stats(e->router, &st);
	assert_int_equal(st.store_errors, 2);
	assert_int_equal(store_exec(e->store, "PRAGMA query_only = 0"), 0);
	assert_int_equal(router_poll(e->router, T0 + 1000), 0);
	assert_int_equal(e->n_sent, 10);
}

static void test_directory_edit_seen(void **state)
{
	struct env *e = *state;
	struct store_person p = {.role = DIR_GUARDIAN,
				 .given = "Nora",
				 .family = "Rivera",
				 .handle = "norar",
				 .phone = "+16175550499",
				 .active = true};
	struct store_person jamie;
	int64_t id;

	/* Not yet in the directory: an unknown sender. */
	text_at(e, "+16175550499", SOCCER_RELAY, "Hi coach", T0);
	assert_int_equal(count(e, "SELECT count(*) FROM unknown_senders"), 1);
	/* Another process adds her as Jamie's guardian. */
	assert_int_equal(store_person_add(e->store, "test", &p), 0);
	assert_int_equal(store_person_by_handle(e->store, e->ctx, "jamier", &jamie), 1);
	id = p.id;
	assert_true(store_link_add(e->store, "test", STORE_LINK_GUARDIAN, jamie.id, id, "mother",
				   NULL) >= 0);
	router_poll(e->router, T0 + 1000);
	e->n_sent = 0;
	text_at(e, "+16175550499", SOCCER_RELAY, "Hi coach", T0 + 2000);
	assert_true(sent_to(e, COACH, "Nora R., guardian of Jamie R."));
}

/* ---- The send journal ---- */

static const char *find_sent(struct env *e, const char *to, int64_t *id)
{
	for (unsigned i = 0; i < e->n_sent && i < 512; i++)
		if (!strcmp(e->sent[i].to, to)) {
			*id = e->sent[i].id;
			return e->sent[i].body;
		}
	return NULL;
}

/* A message whose relayed form needs more parts than max_parts is refused whole, and its
 * sender told why; one that fits goes. */
static void test_too_long_refused(void **state)
{
	struct env *e = *state;
	char text[600] = "#soccer ";
	struct router_stats st;

	e->cfg.max_parts = 2;
	router_set_config(e->router, &e->cfg);
	while (strlen(text) < 330)
		strcat(text, "Bring water. ");
	assert_true(text_at(e, COACH, SOCCER_RELAY, text, T0) > 0);
	assert_int_equal(e->n_sent, 1);
	assert_true(sent_to(e, COACH, "too long to forward"));
	/* 330 characters with the attribution, and the recording notice of a first message. */
	assert_true(sent_to(e, COACH, "it would take 4 texts, and the most is 2"));
	assert_int_equal(count(e, "SELECT count(*) FROM verdicts WHERE action = 'block'"
				  " AND rules = 'length'"),
			 1);
	router_stats(e->router, &st);
	assert_int_equal(st.blocked, 1);
	assert_true(text_at(e, COACH, SOCCER_RELAY, "#soccer Bring water.", T0 + 1000) > 0);
	assert_true(sent_to(e, JAMIE, "Bring water."));
}

/* A crash after part 1 of a three-part delivery was sent and part 2 handed to the modem:
 * the next process sends parts 2 and 3 only, with the same reference; part 2 is a resend
 * of unknown fate (possibly duplicated), part 3 is not. Deliveries never submitted go
 * whole, with a reference still to take. */
static void test_resume_part_way(void **state)
{
	struct env *e = *state;
	char text[600] = "#soccer ";
	int64_t d1 = 0;
	struct router *next;

	while (strlen(text) < 400)
		strcat(text, "Field trip forms due Friday. ");
	assert_true(text_at(e, COACH, SOCCER_RELAY, text, T0) > 0);
	assert_non_null(find_sent(e, JAMIE, &d1));
	assert_int_equal(router_part_submit(e->router, d1, "modem0", 1, 3, 4242), 0);
	router_part_sent(e->router, d1, "modem0", 1, true, 17, 0);
	assert_int_equal(router_part_submit(e->router, d1, "modem0", 2, 3, 4242), 0);

	/* The next process. */
	e->n_sent = 0;
	next = router_alloc(e->ctx, e->store, &e->cfg, &transport, e);
	assert_int_equal(router_load(next), 0);
	router_poll(next, T0 + 5000);
	assert_int_equal(e->n_sent, 10); /* the other nine were still queued */
	for (unsigned i = 0; i < e->n_sent; i++) {
		if (e->sent[i].id == d1) {
			assert_int_equal(e->sent[i].ref, 4242);
			assert_int_equal(e->sent[i].done[0], 0x01);
		} else {
			assert_int_equal(e->sent[i].ref, -1);
			assert_int_equal(e->sent[i].done[0], 0);
		}
	}
	assert_int_equal(router_part_submit(next, d1, "modem0", 2, 3, 4242), 1);
	assert_int_equal(router_part_submit(next, d1, "modem0", 3, 3, 4242), 0);
	assert_int_equal(count(e, "SELECT count(*) FROM delivery_submits WHERE resend = 1"), 1);
	/* Parts 2 and 3 sent: the delivery is complete, and a later poll leaves it. */
	router_part_sent(next, d1, "modem0", 2, true, 18, 0);
	router_part_sent(next, d1, "modem0", 3, true, 19, 0);
	e->n_sent = 0;
	next = router_alloc(e->ctx, e->store, &e->cfg, &transport, e);
	router_poll(next, T0 + 9000);
	for (unsigned i = 0; i < e->n_sent; i++) {
		assert_true(e->sent[i].id != d1);
		assert_int_equal(e->sent[i].ref, -1);
	}
}

/* Reports are matched in the archive: by modem and TP-MR; when the submit's result was
 * never recorded, to the part of unknown fate towards that number; else recorded as
 * matching nothing. A second final report on one part is a copy. */
static void test_reports_matched_in_archive(void **state)
{
	struct env *e = *state;
	int64_t d1 = 0, pdu[4];

	assert_true(text_at(e, COACH, SOCCER_RELAY, "@jamier Report test", T0) > 0);
	assert_non_null(find_sent(e, JAMIE, &d1));
	for (int i = 0; i < 4; i++) {
		char hex[16];

		snprintf(hex, sizeof(hex), "00%02X", i);
		pdu[i] =
		    rec_rx_pdu_add(e->store, T0, "modem0", SOCCER_RELAY, true, hex, 0, 0, NULL);
		assert_true(pdu[i] > 0);
	}
	assert_int_equal(router_part_submit(e->router, d1, "modem0", 1, 1, -1), 0);
	router_part_sent(e->router, d1, "modem0", 1, true, 33, 0);
	assert_int_equal(router_status_report(e->router, pdu[0], "modem0", 33, JAMIE, 0, T0), 0);
	assert_int_equal(count(e, "SELECT count(*) FROM delivery_reports WHERE matched_by = 'mr'"),
			 1);
	assert_int_equal(router_status_report(e->router, pdu[1], "modem0", 33, JAMIE, 0, T0), 0);
	assert_int_equal(count(e, "SELECT parts_delivered FROM delivery_state WHERE delivery_id ="
				  " (SELECT max(delivery_id) FROM delivery_reports)"),
			 1);
	/* Submitted again with no result (a crash): a report with an MR nobody recorded. */
	assert_int_equal(router_part_submit(e->router, d1, "modem0", 1, 1, -1), 0);
	assert_int_equal(router_status_report(e->router, pdu[2], "modem0", 90, JAMIE, 0, T0), 0);
	assert_int_equal(
	    count(e, "SELECT count(*) FROM delivery_reports WHERE matched_by = 'unknown-fate'"), 1);
	assert_int_equal(router_status_report(e->router, pdu[3], "modem0", 91, JAMIE, 0, T0), 0);
	assert_int_equal(
	    count(e, "SELECT count(*) FROM delivery_reports WHERE delivery_id IS NULL"), 1);
}

/* References towards one number follow each other, in a process and across one. */
static void test_concat_refs_per_number(void **state)
{
	struct env *e = *state;
	int64_t d1 = 0;
	int a, b;
	struct router *next;

	a = router_concat_ref(e->router, JAMIE);
	b = router_concat_ref(e->router, JAMIE);
	assert_int_equal(b, (a + 1) & 0xffff);
	assert_true(text_at(e, COACH, SOCCER_RELAY, "@jamier Ref test", T0) > 0);
	assert_non_null(find_sent(e, JAMIE, &d1));
	assert_int_equal(router_part_submit(e->router, d1, "modem0", 1, 2, 65535), 0);
	next = router_alloc(e->ctx, e->store, &e->cfg, &transport, e);
	assert_int_equal(router_concat_ref(next, JAMIE), 0);
	assert_int_equal(router_concat_ref(next, ROSA) >= 0, 1);
}

struct crises_seen {
	struct rec_crisis c[4];
	char relay[4][32];
	unsigned n;
};

static void crisis_seen(const struct rec_crisis *c, void *data)
{
	struct crises_seen *l = data;

	if (l->n < 4) {
		l->c[l->n] = *c;
		snprintf(l->relay[l->n], sizeof(l->relay[0]), "%s", c->relay);
	}
	l->n++;
}

static struct crises_seen crises_at(struct env *e, int64_t now)
{
	struct crises_seen l = {0};
	int64_t window = (int64_t)e->cfg.crisis_window_s * 1000;

	assert_int_equal(rec_crises_open(e->store, now - window, window, crisis_seen, &l), 0);
	return l;
}

static void alerted_number(int64_t person_id, const char *number, void *data)
{
	char *all = data;

	(void)person_id;
	strcat(all, number);
	strcat(all, " ");
}

/* What chaperoned's crisis alert reads: the open crisis conversations, when and by which
 * message each opened, whether an administrator acknowledged it (ACK @name, a coach may
 * not) and whether an alert about it was recorded; a CLOSE ends it, a new !crisis opens
 * another, the window closes it. */
static void test_crises_open_from_records(void **state)
{
	struct env *e = *state;
	const int64_t MIN = 60 * 1000;
	struct crises_seen l;
	int64_t a, b;
	char alerted[256] = "";

	a = text_at(e, COACH, SOCCER_RELAY, "!crisis @jamier I am here", T0);
	assert_true(a > 0);
	l = crises_at(e, T0 + MIN);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.relay[0], SOCCER_RELAY);
	assert_int_equal(l.c[0].message_id, a);
	assert_int_equal(l.c[0].opened_at, T0);
	assert_false(l.c[0].acknowledged);
	assert_false(l.c[0].alerted);
	assert_int_equal(count(e, "SELECT id FROM persons WHERE handle = 'jamier'"),
			 l.c[0].student_id);
	assert_int_equal(count(e, "SELECT id FROM persons WHERE phone = '" COACH "'"),
			 l.c[0].staff_id);
	assert_int_equal(rec_crisis_alerted(e->store, l.c[0].verdict_id, alerted_number, alerted),
			 0);
	assert_string_equal(alerted, "+16175550201 +16175550202 +16175550203 ");
	/* The student's answer continues it; a coach's ACK is refused. */
	assert_true(text_at(e, JAMIE, SOCCER_RELAY, "ok", T0 + MIN) > 0);
	assert_true(text_at(e, COACH, SOCCER_RELAY, "ACK @jamier", T0 + 2 * MIN) > 0);
	assert_true(sent_to(e, COACH, "Only an administrator can acknowledge a crisis"));
	l = crises_at(e, T0 + 2 * MIN);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.c[0].opened_at, T0);
	assert_int_equal(l.c[0].last_at, T0 + MIN);
	assert_false(l.c[0].acknowledged);
	/* The athletic director acknowledges it; an alert about it is recorded. */
	assert_true(text_at(e, ROSA, SOCCER_RELAY, "ACK @jamier", T0 + 3 * MIN) > 0);
	assert_true(sent_to(e, ROSA, "Acknowledged: the crisis conversation of Jamie R."));
	assert_true(sent_to(e, COACH, "Athletic Director Rosa Delgado has acknowledged"));
	assert_true(
	    router_alert(e->router, SOCCER_RELAY, "+16175550999", "a crisis", a, T0 + 4 * MIN) > 0);
	l = crises_at(e, T0 + 4 * MIN);
	assert_int_equal(l.n, 1);
	assert_true(l.c[0].acknowledged);
	assert_true(l.c[0].alerted);
	/* Closed, then a new one: not acknowledged, not alerted. */
	assert_true(text_at(e, ROSA, SOCCER_RELAY, "CLOSE @jamier", T0 + 5 * MIN) > 0);
	assert_int_equal(crises_at(e, T0 + 5 * MIN).n, 0);
	b = text_at(e, COACH, SOCCER_RELAY, "!crisis @jamier Call me", T0 + 6 * MIN);
	l = crises_at(e, T0 + 6 * MIN);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.c[0].message_id, b);
	assert_false(l.c[0].acknowledged);
	assert_false(l.c[0].alerted);
	/* ACK with no open crisis says so; past the window nothing is open. */
	assert_true(text_at(e, ROSA, SOCCER_RELAY, "ACK @alexk", T0 + 7 * MIN) > 0);
	assert_true(sent_to(e, ROSA, "No open crisis conversation with @alexk on this number."));
	assert_int_equal(
	    crises_at(e, T0 + 6 * MIN + (int64_t)e->cfg.crisis_window_s * 1000 + MIN).n, 0);
	assert_all_recorded(e);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_broadcast_recorded_then_sent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restart_resends_queued_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delivery_status_words, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_waiting_recorded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_quiet_hours_release_at_end, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config_change_in_force, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_sender_once_a_day, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_sender_fails_closed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_question_answered_then_expired, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_archive_failure_sends_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_release_archive_failure_sends_nothing, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_digest_archive_failure_sends_nothing, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_status_archive_failure_counted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_too_long_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_resume_part_way, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reports_matched_in_archive, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concat_refs_per_number, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_directory_edit_seen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crises_open_from_records, setup, teardown),
	};

	fixture_dir = argc > 1 ? argv[1] : "tests/fixtures/district";
	return cmocka_run_group_tests(tests, NULL, NULL);
}
