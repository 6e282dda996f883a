/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The records officer's query (storage/records/records_query.h) against a temporary archive: the
 * sample district (tests/fixtures/district) and a dozen messages written with the rec_*
 * API at chosen times. Each filter on its own and combined, persons by handle, name and
 * number (and a number not in the directory), the text query and a malformed one, whole
 * conversations and their order, the limit, disposed messages, the query's JSON, the
 * dates, and that a failed query changes nothing.
 *
 *   test_records_query            run the tests
 *   test_records_query --fill DB  write the same archive to DB (for the shell e2e test) */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <talloc.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "storage/directory/directory_store.h"
#include "storage/records/records.h"
#include "storage/records/records_query.h"
#include "gateway/roster/roster.h"
#include "tests/unit/support/test_archive.h"

#define SOCCER	 "+15550100"
#define ROBOTICS "+15550101"
#define DAY	 (24 * 3600 * 1000LL)
/* 2026-09-01T12:00:00Z */
#define T0 1788264000000LL

enum { M1 = 1, M2, M3, M4, M5, M6, M7, M8, M9, M10, M11, M12, M13, N_MSG };

struct env {
	void *ctx;
	char dir[TEST_ARCHIVE_DIR], path[TEST_ARCHIVE_PATH];
	struct store *s;
	int64_t m[N_MSG]; /* message ids by scenario number */
};

struct rcpt {
	const char *who; /* handle, or a number not in the directory */
	const char *why;
	const char *status; /* NULL: queued then delivered */
};

static int64_t pid(struct env *e, const char *handle)
{
	struct store_person p;

	if (store_person_by_handle(e->s, e->ctx, handle, &p) != 1)
		fail_msg("no person %s", handle);
	return p.id;
}

static const char *phone_of(struct env *e, const char *handle)
{
	struct store_person p;

	if (store_person_by_handle(e->s, e->ctx, handle, &p) != 1)
		fail_msg("no person %s", handle);
	return p.phone ? p.phone : "";
}

static int64_t tid(struct env *e, const char *tag)
{
	struct store_team t;

	if (store_team_by_tag(e->s, e->ctx, tag, &t) != 1)
		fail_msg("no team %s", tag);
	return t.id;
}

/* One message as the router records it: the message, its verdict and its deliveries. */
static int64_t msg(struct env *e, int64_t at, const char *relay, const char *from, const char *team,
		   const char *action, const char *rules, bool flagged, const char *text,
		   const struct rcpt *to)
{
	struct rec_message m = {0};
	struct rec_verdict v = {0};
	bool known = from[0] != '+';
	int64_t id, vid;

	m.at = at;
	m.relay = relay;
	m.modem = "m1";
	m.sender_number = known ? phone_of(e, from) : from;
	m.sender_id = known ? pid(e, from) : 0;
	m.text = text;
	m.parts = 1;
	m.complete = true;
	assert_true(store_begin(e->s) == 0);
	id = rec_message_add(e->s, &m);
	assert_true(id > 0);
	v.at = at;
	v.message_id = id;
	v.relay = relay;
	v.sender_id = m.sender_id;
	v.team_id = team ? tid(e, team) : 0;
	v.kind = known ? REC_V_RELAY : REC_V_UNKNOWN_SENDER;
	v.action = (enum rec_action)get_string_value(rec_action_names, action);
	v.rules = rules;
	v.reason = "test";
	v.body = text;
	v.flagged = flagged;
	if (!strcmp(action, "hold"))
		v.release = "admin";
	vid = rec_verdict_add(e->s, &v);
	assert_true(vid > 0);
	for (const struct rcpt *r = to; r && r->who; r++) {
		struct rec_delivery d = {0};
		bool dir = r->who[0] != '+';
		int64_t did;
		d.at = at;
		d.verdict_id = vid;
		d.message_id = id;
		d.relay = relay;
		d.recipient_id = dir ? pid(e, r->who) : 0;
		d.recipient_number = dir ? phone_of(e, r->who) : r->who;
		d.why = r->why;
		d.body = text;
		d.status = r->status
			       ? (enum rec_status)get_string_value(rec_status_names, r->status)
			       : REC_ST_QUEUED;
		did = rec_delivery_add(e->s, &d);
		assert_true(did > 0);
		if (!r->status)
			assert_int_equal(rec_delivery_event(e->s, did, at + 1000, REC_ST_DELIVERED,
							    "m1", 1, -1, NULL),
					 0);
	}
	assert_true(store_commit(e->s) == 0);
	return id;
}

#define SOCCER_STUDENTS                                                                            \
	{"jamier", "addressed", NULL}, {"alexk", "addressed", NULL}, {"samo", "addressed", NULL},  \
	    {"taylorn", "addressed", NULL}, {"jordanb", "addressed", NULL},                        \
	    {"caseym", "addressed", NULL}, {"rileyc", "addressed", NULL},                          \
	    {"morganp", "addressed", NULL}, {"marcusb", "team-staff", NULL},                       \
	    {"mariar", "guardian-copy", NULL}, {"luisr", "guardian-copy", NULL},                   \
	{                                                                                          \
		"rosad", "oversight", NULL                                                         \
	}

/* The scenario (times from T0 = 2026-09-01T12:00Z):
 *  1 +1d  Dana → #soccer        "Practice moved to 5pm, the bus leaves at 4"
 *  2 +2d  Jamie → soccer staff  "Coach my bus is late today"
 *  3 +3d  Dana → @jamier        "No problem Jamie, see you at the field trip"
 *  4 +4d  Maria → soccer staff  "Jamie has a dentist appointment"
 *  5 +5d  Priya → #robotics     "Robotics meeting moved to Thursday"
 *  6 +6d  Dana → @taylorn       flagged (crisis)
 *  7 +6d  Marcus → @samo        held (contact-screen)
 *  8 +6d  +16175550999 → soccer number, not in the directory; replied to
 *  9 +6d  Dana → #soccer        blocked (quiet-hours), a reply to Dana only
 * 10 +20d Dana → @jamier        "Great game, the field trip form is due"
 * 11 +8d  Riley → robotics staff
 * 12 +7d  Dana → #soccer        "Game on Saturday"
 * 13 +30d +16175550888 → soccer number, with terminal escape sequences; ignored */
static void fill(struct env *e)
{
	const struct rcpt team1[] = {SOCCER_STUDENTS, {NULL, NULL, NULL}};
	const struct rcpt team12[] = {SOCCER_STUDENTS, {NULL, NULL, NULL}};
	const struct rcpt to_staff[] = {{"danal", "addressed", NULL},
					{"marcusb", "addressed", NULL},
					{"mariar", "guardian-copy", NULL},
					{"luisr", "guardian-copy", NULL},
					{NULL, NULL, NULL}};
	const struct rcpt to_jamie[] = {{"jamier", "addressed", NULL},
					{"mariar", "guardian-copy", NULL},
					{"luisr", "guardian-copy", "failed"},
					{NULL, NULL, NULL}};
	const struct rcpt maria[] = {
	    {"danal", "addressed", NULL}, {"marcusb", "addressed", NULL}, {NULL, NULL, NULL}};
	const struct rcpt robotics[] = {
	    {"rileyc", "addressed", NULL}, {"averyj", "addressed", NULL},
	    {"quinnf", "addressed", NULL}, {"dreww", "addressed", NULL},
	    {"emmag", "addressed", NULL},  {NULL, NULL, NULL}};
	const struct rcpt taylor[] = {{"taylorn", "addressed", NULL},
				      {"hoan", "guardian-copy", NULL},
				      {"rosad", "crisis-alert", NULL},
				      {NULL, NULL, NULL}};
	const struct rcpt sam[] = {{"samo", "addressed", "held"}, {NULL, NULL, NULL}};
	const struct rcpt unknown[] = {{"+16175550999", "reply", NULL}, {NULL, NULL, NULL}};
	const struct rcpt blocked[] = {{"danal", "reply", NULL}, {NULL, NULL, NULL}};
	const struct rcpt riley[] = {{"priyas", "addressed", NULL},
				     {"weic", "guardian-copy", NULL},
				     {"linc", "guardian-copy", NULL},
				     {NULL, NULL, NULL}};

	test_archive_import_district(e->ctx, e->s);
	e->m[M1] =
	    msg(e, T0 + 1 * DAY, SOCCER, "danal", "soccer", "deliver", "guardian-copy,oversight",
		false, "Practice moved to 5pm, the bus leaves at 4", team1);
	e->m[M2] = msg(e, T0 + 2 * DAY, SOCCER, "jamier", "soccer", "deliver", "guardian-copy",
		       false, "Coach my bus is late today", to_staff);
	e->m[M3] = msg(e, T0 + 3 * DAY, SOCCER, "danal", "soccer", "deliver", "guardian-copy",
		       false, "No problem Jamie, see you at the field trip", to_jamie);
	e->m[M4] = msg(e, T0 + 4 * DAY, SOCCER, "mariar", "soccer", "deliver", "", false,
		       "Jamie has a dentist appointment", maria);
	e->m[M5] = msg(e, T0 + 5 * DAY, ROBOTICS, "priyas", "robotics", "deliver", "", false,
		       "Robotics meeting moved to Thursday", robotics);
	e->m[M6] = msg(e, T0 + 6 * DAY, SOCCER, "danal", "soccer", "deliver", "crisis", true,
		       "Are you safe? Call the counselor tonight", taylor);
	e->m[M7] = msg(e, T0 + 6 * DAY + 1000, SOCCER, "marcusb", "soccer", "hold",
		       "contact-screen", false, "Text me at 617-555-9999", sam);
	e->m[M8] = msg(e, T0 + 6 * DAY + 2000, SOCCER, "+16175550999", NULL, "reply", "", false,
		       "=HYPERLINK(\"http://evil.example\",\"who is this\")", unknown);
	e->m[M9] = msg(e, T0 + 6 * DAY + 3000, SOCCER, "danal", "soccer", "block", "quiet-hours",
		       false, "late night note to the team", blocked);
	e->m[M10] = msg(e, T0 + 20 * DAY, SOCCER, "danal", "soccer", "deliver", "guardian-copy",
			false, "Great game, the field trip form is due", to_jamie);
	e->m[M11] = msg(e, T0 + 8 * DAY, ROBOTICS, "rileyc", "robotics", "deliver", "guardian-copy",
			false, "Can I bring the robot home", riley);
	e->m[M12] = msg(e, T0 + 7 * DAY, SOCCER, "danal", "soccer", "deliver",
			"guardian-copy,oversight", false, "Game on Saturday", team12);
	e->m[M13] = msg(e, T0 + 30 * DAY, SOCCER, "+16175550888", NULL, "ignore", "", false,
			"\x1b[2J\x1b]0;owned\x07 \xc2\x9b"
			"31m hello",
			NULL);
}

static int setup(void **state)
{
	struct env *e = talloc_zero(NULL, struct env);

	e->ctx = e;
	e->s = test_archive_open(e, "test_records_query", e->dir, e->path);
	fill(e);
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

static struct rq_result *run(struct env *e, const struct rq_query *q)
{
	char err[512];
	struct rq_result *r = rq_run(e->s, e->ctx, q, err, sizeof(err));

	if (!r)
		fail_msg("rq_run: %s", err);
	return r;
}

/* The query fails with a message containing `want`. */
static void run_fails(struct env *e, const struct rq_query *q, const char *want)
{
	char err[512] = "";
	struct rq_result *r = rq_run(e->s, e->ctx, q, err, sizeof(err));

	if (r)
		fail_msg("the query should fail (%s), it returned %zu messages", want, r->n);
	if (!strstr(err, want))
		fail_msg("error '%s' does not say '%s'", err, want);
}

/* The result is exactly these scenario messages, in this order (0-terminated). */
static void expect(struct env *e, const struct rq_result *r, ...)
{
	va_list ap;
	size_t i = 0;
	int k;
	char got[256] = "", want[256] = "";

	for (size_t j = 0; j < r->n; j++) {
		int n = 0;
		for (int s = 1; s < N_MSG; s++)
			if (e->m[s] == r->messages[j].id)
				n = s;
		snprintf(got + strlen(got), sizeof(got) - strlen(got), " %d", n);
	}
	va_start(ap, r);
	while ((k = va_arg(ap, int)) != 0) {
		snprintf(want + strlen(want), sizeof(want) - strlen(want), " %d", k);
		i++;
	}
	va_end(ap);
	if (strcmp(got, want))
		fail_msg("messages:%s, want:%s", got, want);
	assert_int_equal(r->n, i);
}

static const struct rq_message *find(struct env *e, const struct rq_result *r, int which)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->messages[i].id == e->m[which])
			return &r->messages[i];
	fail_msg("message %d not in the result", which);
	return NULL;
}

static int64_t count(struct env *e, const char *sql)
{
	sqlite3_stmt *st;
	int64_t n;

	assert_int_equal(sqlite3_prepare_v2(store_db(e->s), sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* ---- Persons ---- */

static void test_person(void **state)
{
	struct env *e = *state;
	struct rq_query q = {.person = "@jamier"};
	struct rq_result *r = run(e, &q);
	const struct rq_message *m;

	/* Sent (2) or received (1, 3, 12, 10); not Maria's message (4), which went to staff. */
	expect(e, r, M1, M2, M3, M12, M10, 0);
	m = find(e, r, M2);
	assert_string_equal(m->from.handle, "jamier");
	assert_string_equal(m->from.name, "Jamie Rivera");
	assert_string_equal(m->from.role, "student");
	assert_string_equal(m->from.number, "+16175550301");
	assert_string_equal(m->team_tag, "soccer");
	assert_string_equal(m->action, "deliver");
	assert_string_equal(m->rules, "guardian-copy");
	assert_int_equal(m->n_deliveries, 4);
	assert_string_equal(m->deliveries[0].to.handle, "danal");
	assert_string_equal(m->deliveries[0].why, "addressed");
	assert_string_equal(m->deliveries[0].status, "delivered");
	assert_string_equal(m->deliveries[0].body, "Coach my bus is late today");
	m = find(e, r, M3);
	assert_string_equal(m->deliveries[2].status, "failed");

	/* The same person by full name (any case) and by number (any spelling). */
	q.person = "jamie rivera";
	expect(e, run(e, &q), M1, M2, M3, M12, M10, 0);
	q.person = "Jamie Rivera";
	expect(e, run(e, &q), M1, M2, M3, M12, M10, 0);
	q.person = "(617) 555-0301";
	expect(e, run(e, &q), M1, M2, M3, M12, M10, 0);
	q.person = "jamier";
	expect(e, run(e, &q), M1, M2, M3, M12, M10, 0);
	/* A guardian: what she sent and the copies she received. */
	q.person = "@mariar";
	expect(e, run(e, &q), M1, M2, M3, M4, M12, M10, 0);
}

static void test_direction(void **state)
{
	struct env *e = *state;
	struct rq_query q = {.person = "@jamier", .direction = RQ_SENT};

	expect(e, run(e, &q), M2, 0);
	q.direction = RQ_RECEIVED;
	expect(e, run(e, &q), M1, M3, M12, M10, 0);
	q.person = "@danal";
	q.direction = RQ_SENT;
	expect(e, run(e, &q), M1, M3, M6, M9, M12, M10, 0);
	q.direction = RQ_RECEIVED;
	/* Jamie's and Maria's messages to the staff, and the reply to the blocked one. */
	expect(e, run(e, &q), M2, M4, M9, 0);
	q.person = NULL;
	run_fails(e, &q, "needs a person");
}

static void test_unknown_number(void **state)
{
	struct env *e = *state;
	struct rq_query q = {.person = "617.555.0999"};
	struct rq_result *r = run(e, &q);
	const struct rq_message *m;

	expect(e, r, M8, 0);
	m = &r->messages[0];
	assert_int_equal(m->from.id, 0);
	assert_string_equal(m->from.number, "+16175550999");
	assert_string_equal(m->from.role, "unknown");
	assert_int_equal(m->team_id, 0);
	assert_string_equal(m->action, "reply");
	assert_int_equal(m->n_deliveries, 1);
	assert_int_equal(m->deliveries[0].to.id, 0);
	assert_string_equal(m->deliveries[0].why, "reply");
	assert_int_equal(r->n_persons, 0);
	assert_string_equal(r->query_json, "{\"person\":\"+16175550999\"}");
	q.direction = RQ_RECEIVED; /* the reply went to it: a delivery of its own message */
	expect(e, run(e, &q), M8, 0);
	/* A number nobody used is not an error: there are simply no records. */
	q.person = "+1 617 555 0998";
	q.direction = RQ_ANY;
	expect(e, run(e, &q), 0);
}

static void test_person_errors(void **state)
{
	struct env *e = *state;
	struct rq_query q = {.person = "@nobody"};
	struct store_person p = {.role = DIR_STUDENT,
				 .given = "Jamie",
				 .family = "Rivera",
				 .handle = "jamier2",
				 .active = true};
	char err[512];

	run_fails(e, &q, "nobody");
	q.person = "Nobody Atall";
	run_fails(e, &q, "no person 'Nobody Atall'");
	q.person = "12-34";
	run_fails(e, &q, "no person");
	q.person = "555-0123-999999999999";
	run_fails(e, &q, "not a phone number");
	/* A second Jamie Rivera: the name no longer says who; the handles do. */
	assert_int_equal(store_person_add(e->s, "test", &p), 0);
	q.person = "Jamie Rivera";
	run_fails(e, &q, "several persons are called 'Jamie Rivera'");
	assert_null(rq_run(e->s, e->ctx, &q, err, sizeof(err)));
	assert_non_null(strstr(err, "@jamier,"));
	assert_non_null(strstr(err, "@jamier2"));
	q.person = "@jamier2";
	expect(e, run(e, &q), 0);
}

/* ---- Teams, relays, dates ---- */

static void test_team(void **state)
{
	struct env *e = *state;
	struct rq_query q = {.team = "#soccer"};

	expect(e, run(e, &q), M1, M2, M3, M4, M6, M7, M9, M12, M10, 0);
	q.team = "Soccer";
	expect(e, run(e, &q), M1, M2, M3, M4, M6, M7, M9, M12, M10, 0);
	q.team = "robotics";
	expect(e, run(e, &q), M5, M11, 0);
	q.person = "@rileyc"; /* on both teams: the filters narrow together */
	expect(e, run(e, &q), M5, M11, 0);
	q.team = "#soccer";
	expect(e, run(e, &q), M1, M12, 0);
	q.person = NULL;
	q.team = "#chess";
	run_fails(e, &q, "no team '#chess'");
}

static void test_relay(void **state)
{
	struct env *e = *state;
	struct rq_query q = {.relay = "+15550101"};

	expect(e, run(e, &q), M5, M11, 0);
	q.relay = "555-0101";
	expect(e, run(e, &q), M5, M11, 0);
	q.relay = "+1 (555) 0100";
	q.person = "@rileyc";
	expect(e, run(e, &q), M1, M12, 0);
	q.relay = "not a number";
	run_fails(e, &q, "not a relay number");
}

static void test_dates(void **state)
{
	struct env *e = *state;
	struct rq_query q = {.since = T0 + 2 * DAY, .until = T0 + 4 * DAY};

	/* [since, until): message 4, at until, is out. */
	expect(e, run(e, &q), M2, M3, 0);
	q.team = "soccer";
	q.until = T0 + 6 * DAY + 1;
	expect(e, run(e, &q), M2, M3, M4, M6, 0);
	q.team = NULL;
	q.person = "@jamier";
	q.since = T0 + 3 * DAY;
	q.until = 0;
	expect(e, run(e, &q), M3, M12, M10, 0);
	q.since = 0;
	q.until = T0 + 3 * DAY;
	expect(e, run(e, &q), M1, M2, 0);
	q.since = T0 + 3 * DAY;
	run_fails(e, &q, "empty");
}

/* ---- Verdicts and rules ---- */

static void test_verdicts(void **state)
{
	struct env *e = *state;
	struct rq_query q = {.verdict = "block"};
	struct rq_result *r;

	r = run(e, &q);
	expect(e, r, M9, 0);
	assert_int_equal(r->messages[0].n_deliveries, 1);
	q.verdict = "hold";
	r = run(e, &q);
	expect(e, r, M7, 0);
	assert_true(r->messages[0].held);
	assert_string_equal(r->messages[0].deliveries[0].status, "held");
	q.verdict = "deliver";
	q.team = "robotics";
	expect(e, run(e, &q), M5, M11, 0);
	q.verdict = "reply";
	q.team = NULL;
	expect(e, run(e, &q), M8, 0);
	q.verdict = "deliver";
	q.person = "@marcusb";
	expect(e, run(e, &q), M1, M2, M4, M12, 0);
	q.verdict = "refuse";
	run_fails(e, &q, "not a verdict");
}

static void test_flagged_held_rule(void **state)
{
	struct env *e = *state;
	struct rq_query q = {.flagged = true};
	struct rq_result *r = run(e, &q);

	expect(e, r, M6, 0);
	assert_true(r->messages[0].flagged);
	assert_false(find(e, run(e, &(struct rq_query){.team = "soccer"}), M1)->flagged);
	q.flagged = false;
	q.held = true;
	expect(e, run(e, &q), M7, 0);
	q.held = false;
	q.rule = "contact-screen";
	expect(e, run(e, &q), M7, 0);
	q.rule = "guardian-copy";
	expect(e, run(e, &q), M1, M2, M3, M12, M11, M10, 0);
	q.rule = "oversight"; /* the second of two rules */
	expect(e, run(e, &q), M1, M12, 0);
	q.rule = "guardian"; /* a rule id is matched whole */
	expect(e, run(e, &q), 0);
	q.rule = "crisis";
	q.flagged = true;
	q.person = "taylor nguyen";
	expect(e, run(e, &q), M6, 0);
	q.rule = "";
	run_fails(e, &q, "rule is empty");
}

/* ---- Text ---- */

static void test_text(void **state)
{
	struct env *e = *state;
	struct rq_query q = {.text = "bus"};

	expect(e, run(e, &q), M1, M2, 0);
	q.text = "\"field trip\"";
	expect(e, run(e, &q), M3, M10, 0);
	q.text = "pract*";
	expect(e, run(e, &q), M1, 0);
	q.text = "bus AND late";
	expect(e, run(e, &q), M2, 0);
	q.text = "moved NOT robotics";
	expect(e, run(e, &q), M1, 0);
	q.text = "BUS"; /* case does not matter */
	q.person = "@jamier";
	q.direction = RQ_SENT;
	expect(e, run(e, &q), M2, 0);
	q.direction = RQ_ANY;
	q.since = T0 + 2 * DAY;
	expect(e, run(e, &q), M2, 0);
	q.person = NULL;
	q.since = 0;
	q.text = "\"unbalanced";
	run_fails(e, &q, "bad text query");
	q.text = "bus AND";
	run_fails(e, &q, "bad text query");
	q.text = "nosuchcolumn:bus";
	run_fails(e, &q, "bad text query");
	q.text = "   ";
	run_fails(e, &q, "empty");
}

/* ---- Threads ---- */

static void test_thread(void **state)
{
	struct env *e = *state;
	struct rq_query q = {.text = "dentist", .thread = true};
	struct rq_result *r = run(e, &q);
	char key[64];

	/* Maria's message is about Jamie: the conversation of Jamie, her guardians and
	 * the coach, without the team-wide messages. */
	expect(e, r, M2, M3, M4, M10, 0);
	snprintf(key, sizeof(key), "%s|%" PRId64 "|%" PRId64 "|%" PRId64, SOCCER, tid(e, "soccer"),
		 pid(e, "danal"), pid(e, "jamier"));
	for (size_t i = 0; i < r->n; i++)
		assert_string_equal(r->messages[i].thread_key, key);

	/* Two conversations, each whole, in the order of their first message: the
	 * soccer broadcast (1, and 12 after the robotics message) before robotics (5). */
	q.text = "moved";
	r = run(e, &q);
	expect(e, r, M1, M12, M5, 0);
	snprintf(key, sizeof(key), "%s|%" PRId64 "|%" PRId64 "|team", SOCCER, tid(e, "soccer"),
		 pid(e, "danal"));
	assert_string_equal(r->messages[0].thread_key, key);
	assert_string_equal(r->messages[1].thread_key, key);
	/* Within the query's dates. */
	q.until = T0 + 6 * DAY;
	expect(e, run(e, &q), M1, M5, 0);
	q.until = 0;
	/* The limit applies before the widening. */
	q.limit = 1;
	expect(e, run(e, &q), M1, M12, 0);
	q.limit = 0;

	/* A number not in the directory is a conversation of its own. */
	q.text = NULL;
	q.person = "+16175550999";
	r = run(e, &q);
	expect(e, r, M8, 0);
	assert_string_equal(r->messages[0].thread_key, SOCCER "|0|0|+16175550999");
	/* A student's message to the team's staff, and the staff member's message to them. */
	q.person = "@rileyc";
	q.team = "robotics";
	q.direction = RQ_SENT;
	expect(e, run(e, &q), M11, 0);
	q.person = "@taylorn";
	q.team = NULL;
	q.direction = RQ_ANY;
	q.since = T0 + 6 * DAY;
	/* Taylor's crisis message, then the team broadcast they also received. */
	expect(e, run(e, &q), M6, M12, 0);
}

/* ---- The first matches of a common word ---- */

#define N_DRILLS 9000
#define DRILL0	 (T0 + 40 * DAY)

/* Message i is at minute (i * 7919) mod N_DRILLS after DRILL0: ids and times in
 * different orders, as when a long message is assembled after later ones arrived. */
static int64_t drill_at(unsigned i)
{
	return DRILL0 + (int64_t)((i * 7919u) % N_DRILLS) * 60000;
}

static void expect_n(const struct rq_result *r, size_t n)
{
	assert_int_equal(r->n, n);
}

static void test_first_matches(void **state)
{
	struct env *e = *state;
	struct rec_message m = {.relay = SOCCER, .modem = "m1", .parts = 1, .complete = true};
	struct rq_query q = {.text = "drill", .limit = 20};
	struct rq_result *r;
	char text[64];

	m.sender_number = phone_of(e, "danal");
	m.sender_id = pid(e, "danal");
	assert_int_equal(store_begin(e->s), 0);
	for (unsigned i = 0; i < N_DRILLS; i++) {
		m.at = drill_at(i);
		snprintf(text, sizeof(text), "fire drill number %u", i);
		m.text = text;
		m.relay = i % 1000 ? SOCCER : ROBOTICS; /* 9 of them, spread over the windows */
		assert_true(rec_message_add(e->s, &m) > 0);
	}
	assert_int_equal(store_commit(e->s), 0);

	/* The 20 earliest of 9000 matches, in time order (several windows of the archive
	 * when the range starts late: 9000 messages are more than one window). */
	r = run(e, &q);
	assert_int_equal(r->n, 20);
	assert_int_equal(r->total, N_DRILLS); /* and how many match in all */
	for (size_t i = 0; i < r->n; i++)
		assert_int_equal(r->messages[i].at, DRILL0 + (int64_t)i * 60000);
	q.since = DRILL0 + 5000 * 60000LL;
	q.limit = 30;
	r = run(e, &q);
	assert_int_equal(r->n, 30);
	assert_int_equal(r->total, N_DRILLS - 5000);
	for (size_t i = 0; i < r->n; i++)
		assert_int_equal(r->messages[i].at, q.since + (int64_t)i * 60000);
	/* Sparse matches: every one of them, across all the windows. */
	q.since = 0;
	q.text = "drill AND (7 OR 8999 OR 4500)"; /* minutes 1433, 1081 and 4500 */
	q.limit = 2;
	r = run(e, &q);
	assert_int_equal(r->n, 2);
	assert_int_equal(r->messages[0].at, drill_at(8999));
	assert_int_equal(r->messages[1].at, drill_at(7));
	assert_int_equal(r->total, 3);
	q.limit = 20;
	r = run(e, &q);
	expect_n(r, 3);
	assert_int_equal(r->total, 3);
	/* The first of the 9 on the robotics number: far apart, window after window. */
	{
		int64_t want[9], t;
		for (unsigned i = 0; i < 9; i++)
			want[i] = drill_at(i * 1000);
		for (unsigned i = 0; i < 9; i++)
			for (unsigned j = i + 1; j < 9; j++)
				if (want[j] < want[i])
					t = want[i], want[i] = want[j], want[j] = t;
		q.text = "drill";
		q.relay = ROBOTICS;
		q.limit = 5;
		r = run(e, &q);
		assert_int_equal(r->n, 5);
		for (size_t i = 0; i < 5; i++)
			assert_int_equal(r->messages[i].at, want[i]);
		q.limit = 9;
		r = run(e, &q);
		assert_int_equal(r->n, 9);
		for (size_t i = 0; i < 9; i++)
			assert_int_equal(r->messages[i].at, want[i]);
		q.limit = 1;
		q.since = want[7];
		r = run(e, &q);
		assert_int_equal(r->n, 1);
		assert_int_equal(r->messages[0].at, want[7]);
		q.since = want[8] + 1;
		expect_n(run(e, &q), 0);
		q.relay = NULL;
		q.since = 0;
	}
	q.text = "drill";
	q.limit = 4000;
	q.since = DRILL0 + 4000 * 60000LL;
	q.until = DRILL0 + 7000 * 60000LL;
	r = run(e, &q);
	assert_int_equal(r->n, 3000);
	for (size_t i = 1; i < r->n; i++)
		assert_true(r->messages[i - 1].at < r->messages[i].at);
	q.limit = 10;
	q.until = q.since + 5 * 60000;
	r = run(e, &q);
	assert_int_equal(r->n, 5);
}

/* ---- The limit, persons, JSON, disposal, errors ---- */

static void test_limit(void **state)
{
	struct env *e = *state;
	struct rq_query q = {.team = "soccer", .limit = 2};

	expect(e, run(e, &q), M1, M2, 0);
	q.limit = 100;
	expect(e, run(e, &q), M1, M2, M3, M4, M6, M7, M9, M12, M10, 0);
	q.team = NULL;
	q.limit = 3;
	expect(e, run(e, &q), M1, M2, M3, 0);
}

static bool has_id(const struct rq_result *r, int64_t id)
{
	for (size_t i = 0; i < r->n_persons; i++)
		if (r->person_ids[i] == id)
			return true;
	return false;
}

static void test_persons_and_json(void **state)
{
	struct env *e = *state;
	struct rq_query q = {.person = "Jamie Rivera",
			     .direction = RQ_SENT,
			     .since = T0,
			     .until = T0 + 30 * DAY,
			     .text = "bus"};
	struct rq_result *r = run(e, &q);

	expect(e, r, M2, 0);
	/* The sender and every recipient, once each, in id order. */
	assert_int_equal(r->n_persons, 5);
	assert_true(has_id(r, pid(e, "jamier")));
	assert_true(has_id(r, pid(e, "danal")));
	assert_true(has_id(r, pid(e, "marcusb")));
	assert_true(has_id(r, pid(e, "mariar")));
	assert_true(has_id(r, pid(e, "luisr")));
	for (size_t i = 1; i < r->n_persons; i++)
		assert_true(r->person_ids[i - 1] < r->person_ids[i]);
	/* Canonical: the person as their handle, only the filters given. */
	assert_string_equal(r->query_json,
			    "{\"person\":\"@jamier\",\"direction\":\"sent\","
			    "\"since\":\"2026-09-01T12:00:00.000Z\","
			    "\"until\":\"2026-10-01T12:00:00.000Z\",\"text\":\"bus\"}");
	q = (struct rq_query){.team = "Robotics",
			      .relay = "555-0101",
			      .verdict = "deliver",
			      .rule = "guardian-copy",
			      .flagged = true,
			      .held = true,
			      .thread = true,
			      .include_disposed = true,
			      .limit = 5};
	r = run(e, &q);
	expect(e, r, 0);
	assert_string_equal(
	    r->query_json,
	    "{\"team\":\"#robotics\",\"relay\":\"+15550101\",\"verdict\":\"deliver\","
	    "\"rule\":\"guardian-copy\",\"flagged\":true,\"held\":true,"
	    "\"thread\":true,\"include_disposed\":true,\"limit\":5}");
	r = run(e, &(struct rq_query){0});
	assert_string_equal(r->query_json, "{}");
	assert_int_equal(r->n, N_MSG - 1);
}

/* Dispose of message 3 as records_keeping does: a tombstone, then the content cleared. */
static void test_disposed(void **state)
{
	struct env *e = *state;
	struct rq_query q = {.person = "@danal", .direction = RQ_SENT, .until = T0 + 4 * DAY};
	struct rq_result *r;
	char sql[512];

	snprintf(sql, sizeof(sql),
		 "INSERT INTO disposals(at, operator, os_user, authorization, schedule, records)"
		 " VALUES (1, 'test', 'test', 'test', '{}', 1);"
		 "INSERT INTO tombstones(disposal_id, class, ref_id, record_at, content)"
		 " SELECT 1, 'message', %" PRId64
		 ", at, zeroblob(32) FROM messages WHERE id = %" PRId64 ";"
		 "UPDATE messages SET text = '', sender_number = '', sender_id = NULL WHERE id = "
		 "%" PRId64 ";",
		 e->m[M3], e->m[M3], e->m[M3]);
	assert_int_equal(store_exec(e->s, sql), 0);
	expect(e, run(e, &q), M1, 0);
	q.person = NULL;
	q.direction = RQ_ANY;
	expect(e, run(e, &q), M1, M2, 0);
	q.include_disposed = true;
	r = run(e, &q);
	expect(e, r, M1, M2, M3, 0);
	assert_true(r->messages[2].disposed);
	assert_string_equal(r->messages[2].text, "");
	for (size_t i = 0; i < r->messages[2].n_deliveries; i++)
		assert_string_equal(r->messages[2].deliveries[i].body, "");
	assert_false(r->messages[1].disposed);
	/* Not found by its words any more, and not in a conversation without the flag. */
	q = (struct rq_query){.text = "\"field trip\""};
	expect(e, run(e, &q), M10, 0);
	q.thread = true;
	expect(e, run(e, &q), M2, M4, M10, 0);
}

static void test_errors_change_nothing(void **state)
{
	struct env *e = *state;
	int64_t chain = count(e, "SELECT count(*) FROM chain");
	int64_t access = count(e, "SELECT count(*) FROM access_log");
	const struct rq_query bad[] = {
	    {.person = "@nobody"}, {.team = "nope"},	   {.text = "\"open"},
	    {.verdict = "maybe"},  {.direction = RQ_SENT}, {.since = 5, .until = 5},
	    {.relay = "x"},
	};
	char err[256];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = 0;
		assert_null(rq_run(e->s, e->ctx, &bad[i], err, sizeof(err)));
		assert_true(err[0] != 0);
	}
	/* A good query reads, and writes nothing either. */
	run(e, &(struct rq_query){.person = "@jamier", .thread = true});
	assert_int_equal(count(e, "SELECT count(*) FROM chain"), chain);
	assert_int_equal(count(e, "SELECT count(*) FROM access_log"), access);
	/* Inside a caller's transaction, the query joins it and leaves it open. */
	assert_int_equal(store_begin(e->s), 0);
	run(e, &(struct rq_query){.team = "soccer"});
	assert_null(rq_run(e->s, e->ctx, &bad[0], err, sizeof(err)));
	assert_int_equal(store_commit(e->s), 0);
}

/* ---- Dates as the officer types them ---- */

static int64_t local_ms(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {.tm_year = y - 1900,
			.tm_mon = mo - 1,
			.tm_mday = d,
			.tm_hour = h,
			.tm_min = mi,
			.tm_isdst = -1};

	return (int64_t)mktime(&tm) * 1000;
}

static void test_parse_date(void **state)
{
	int64_t ms;

	(void)state;
	assert_int_equal(rq_parse_date("2026-09-01", false, &ms), 0);
	assert_int_equal(ms, local_ms(2026, 9, 1, 0, 0));
	assert_int_equal(rq_parse_date("2026-09-01", true, &ms), 0);
	assert_int_equal(ms, local_ms(2026, 9, 2, 0, 0));
	assert_int_equal(rq_parse_date("2026-12-31", true, &ms), 0);
	assert_int_equal(ms, local_ms(2027, 1, 1, 0, 0));
	assert_int_equal(rq_parse_date("2026-09-01T14:30", true, &ms), 0);
	assert_int_equal(ms, local_ms(2026, 9, 1, 14, 30));
	assert_int_equal(rq_parse_date("2026-09-01 14:30:15", false, &ms), 0);
	assert_int_equal(ms, local_ms(2026, 9, 1, 14, 30) + 15000);
	assert_int_equal(rq_parse_date("2026-09-01T12:00:00Z", false, &ms), 0);
	assert_int_equal(ms, T0);
	/* Times as the CLI prints them are accepted back. */
	assert_int_equal(rq_parse_date("2026-09-01T12:00:00.250Z", false, &ms), 0);
	assert_int_equal(ms, 1788264000250LL);
	assert_int_equal(rq_parse_date("2026-09-01 12:00 UTC", false, &ms), 0);
	assert_int_equal(ms, 1788264000000LL);
	assert_int_not_equal(rq_parse_date("2026-09-01 12:00 XYZT", false, &ms), 0);
	assert_int_not_equal(rq_parse_date("2026-09-01T12:00:00.25Z", false, &ms), 0);
	assert_int_equal(rq_parse_date("1788264000000", false, &ms), 0);
	assert_int_equal(ms, T0);
	assert_int_equal(rq_parse_date("2028-02-29", false, &ms), 0);
	const char *bad[] = {"",
			     "2026-02-30",
			     "2026-13-01",
			     "2026-9-1",
			     "2026-09-01T25:00",
			     "2026-09-01T12",
			     "2026-09-01x",
			     "yesterday",
			     "-5",
			     "2027-02-29",
			     "12345678901234567890",
			     "2026-09-01T12:60"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (rq_parse_date(bad[i], false, &ms) == 0)
			fail_msg("'%s' parsed as a date", bad[i]);
}

static int fill_to(const char *path)
{
	struct env *e = talloc_zero(NULL, struct env);
	char err[256];

	e->ctx = e;
	e->s = store_open(e, path, err, sizeof(err));
	if (!e->s) {
		fprintf(stderr, "store_open: %s\n", err);
		return 1;
	}
	fill(e);
	for (int i = 1; i < N_MSG; i++)
		printf("m%d=%" PRId64 "\n", i, e->m[i]);
	store_close(e->s);
	talloc_free(e);
	return 0;
}

int main(int argc, char **argv)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_person),
	    T(test_direction),
	    T(test_unknown_number),
	    T(test_person_errors),
	    T(test_team),
	    T(test_relay),
	    T(test_dates),
	    T(test_verdicts),
	    T(test_flagged_held_rule),
	    T(test_text),
	    T(test_thread),
	    T(test_limit),
	    T(test_first_matches),
	    T(test_persons_and_json),
	    T(test_disposed),
	    T(test_errors_change_nothing),
	    cmocka_unit_test(test_parse_date),
	};

	if (argc == 3 && !strcmp(argv[1], "--fill"))
		return fill_to(argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
