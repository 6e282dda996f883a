/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The send path end to end, on the real daemon and modemsim: what a modem left in a bad
 * state, a line shared with something else, and a message too long to forward do to
 * what phones receive and to the records.
 *
 * - A modem left in PDU entry (a process died after the "> " prompt) is brought back by
 *   the probe's ESC; before, every AT was taken for PDU characters and the modem stayed
 *   "hung" for minutes.
 * - Stray OK, "> " and +CMS ERROR lines on the serial line (another program on the port)
 *   make no false "sent" record and fail no delivery: every phone gets its message whole,
 *   and any part sent twice is one the archive recorded as possibly duplicated.
 * - A legal 255-part message, with the attribution added, needs more than 255 parts: it
 *   is refused and its sender told, instead of failing silently for every recipient.
 * - A stop (SIGTERM) during a broadcast waits for the part the modem is submitting, not for
 *   the whole broadcast; the next start sends the rest, nothing twice.
 * - A relay number's daily cap (carriers block SIMs that send in bulk): the IT contact is
 *   told at 80 % and at the cap, deliveries past it wait (recorded so) and go when the
 *   cap is raised at the console; none is lost.
 *
 *   test_relay_send BUILD_DIR SOURCE_DIR */
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <setjmp.h>
#include <cmocka.h>

#include "tests/e2e/relay_harness.h"

#define DISTRICT "tests/fixtures/district"

static struct relay_policy policy;

/* Every Soccer student got exactly one complete message containing `needle`, and a
 * repeated part on any phone belongs to a part the archive marked as resent. */
static void team_got_it_once(struct relay_env *e, const char *needle)
{
	static const char *const students[] = {SOCCER_STUDENTS};
	int64_t resent = relay_sql_int(e, "SELECT count(*) FROM delivery_submits WHERE resend = 1");

	for (size_t i = 0; i < sizeof(students) / sizeof(*students); i++) {
		struct relay_inbox in = {0};
		unsigned have = 0;

		relay_inbox(e, students[i], &in);
		for (unsigned k = 0; k < in.n; k++)
			have += strstr(in.text[k], needle) != NULL;
		if (have > 1 && resent == 0)
			RELAY_FAIL(e, "%s got \"%s\" %u times, none recorded as resent",
				   students[i], needle, have);
		if (have == 0)
			RELAY_FAIL(e, "%s did not get \"%s\"", students[i], needle);
		relay_inbox_free(&in);
	}
}

/* A process died after AT+CMGS=n and its "> " prompt: the modem waits for PDU
 * characters. chaperoned must still bring it up and send through it. */
static void test_modem_left_in_pdu_entry(void **state)
{
	struct relay_env *e = relay_prepare(DISTRICT, &policy);
	struct port *p = port_open(sim_modem_path(e->sim, 0));
	char *out;

	(void)state;
	assert_non_null(p);
	out = port_cmd(p, "AT+CMGS=20", 2000);
	RELAY_HAS(e, out, "> ");
	free(out);
	port_close(p);
	relay_launch(e); /* fails the test unless both modems come up */
	relay_text(e, DANA, RELAY_SOCCER, "#soccer Wedge test: bus at 7");
	free(relay_expect(e, JAMIE, "Wedge test: bus at 7", RELAY_WAIT_MS));
	relay_settle(e);
	team_got_it_once(e, "Wedge test: bus at 7");
	/* The probe's ESC ended the PDU entry: nothing was submitted from it. */
	RELAY_CHECK(e, relay_sql_int(e, "SELECT count(*) FROM delivery_events"
					" WHERE status = 'failed'") == 0);
	relay_test_finish(e);
	relay_stop(e);
}

/* Lines nobody asked for arrive while a team message goes out: each could complete the
 * command in flight. None may become a "sent" record for a part the network never took,
 * or a failure of a delivery that could go. */
static void test_stray_lines(void **state)
{
	static const char *const stray[] = {
	    "0d0a4f4b0d0a",			    /* \r\nOK\r\n */
	    "0d0a3e20",				    /* \r\n> */
	    "0d0a2b434d53204552524f523a2039360d0a", /* \r\n+CMS ERROR: 96\r\n */
	};
	struct relay_env *e = relay_start(DISTRICT, &policy);
	char text[800];

	(void)state;
	/* Four parts to each of 8 students, Rosa and Marcus. */
	snprintf(text, sizeof(text), "#soccer Stray test: %s%s",
		 "the tournament schedule for Saturday is posted on the board by the gym; "
		 "bring water, shin guards, both jerseys and a snack for between games; "
		 "parents who can drive please tell Coach Lee by Thursday night so that we "
		 "can plan the carpool, and remember the bus leaves at 7:15 sharp. ",
		 "If it rains the games move to the field house on Elm Street and start an "
		 "hour later; check your texts Saturday morning before you leave home.");
	relay_text(e, DANA, RELAY_SOCCER, text);
	/* From the first part the network took until the broadcast is done. */
	for (int i = 0; i < 500 && relay_sql_int(e, "SELECT count(*) FROM delivery_events WHERE"
						    " status = 'sent'") == 0;
	     i++)
		sleep_ms(10);
	for (int round = 0; round < 300; round++) {
		struct json_object *r =
		    sim_ctl(e->sim,
			    "{\"cmd\":\"fault\",\"modem\":\"modem0\",\"kind\":\"garbage\","
			    "\"hex\":\"%s\"}",
			    stray[round % 3]);
		json_object_put(r);
		sleep_ms(round % 7 * 5);
		if (round > 30 && relay_sql_int(e, "SELECT count(*) FROM delivery_state WHERE"
						   " status IN ('queued', 'waiting')") == 0)
			break;
	}
	relay_settle(e);
	sleep_ms(1000); /* a resynchronised modem resends what it was sending */
	relay_settle(e);
	team_got_it_once(e, "Stray test: the tournament schedule");
	/* No delivery failed: a lone +CMS ERROR: 96 is not believed. */
	RELAY_CHECK(e, relay_sql_int(e, "SELECT count(*) FROM delivery_state"
					" WHERE status = 'failed'") == 0);
	/* Every part recorded sent reached its phone: a part the phone lacks would show as
	 * an incomplete message, which relay_inbox() leaves out and team_got_it_once()
	 * fails on. */
	relay_test_finish(e);
	relay_stop(e);
}

/* The longest message a phone can send: 255 parts of 153 characters. With "[Soccer] Coach
 * Dana Lee: " in front it needs more than 255 parts. */
static void test_message_too_long(void **state)
{
	struct relay_env *e = relay_start(DISTRICT, &policy);
	size_t len = 255 * 153;
	char *text = malloc(len + 1), *reply;
	const char *fill = "Season plan, week by week. ";
	int64_t v;

	(void)state;
	assert_non_null(text);
	strcpy(text, "#soccer ");
	for (size_t n = strlen(text); n < len; n++)
		text[n] = fill[n % strlen(fill)];
	text[len] = '\0';
	relay_text(e, DANA, RELAY_SOCCER, text);
	reply = relay_expect(e, DANA, "too long to forward", 3 * RELAY_WAIT_MS);
	RELAY_HAS(e, reply, "the most is 255");
	free(reply);
	relay_settle(e);
	relay_assert_only(e, DANA);
	v = relay_sql_int(e, "SELECT max(id) FROM verdicts WHERE kind = 'relay'");
	RELAY_CHECK(e, relay_sql_int(e,
				     "SELECT count(*) FROM verdicts WHERE id = %lld AND action ="
				     " 'block' AND rules = 'length'",
				     (long long)v) == 1);
	RELAY_CHECK(e, relay_sql_int(e, "SELECT count(*) FROM messages WHERE parts = 255") == 1);
	RELAY_CHECK(e, relay_sql_int(e, "SELECT count(*) FROM delivery_events"
					" WHERE status = 'failed'") == 0);
	free(text);
	relay_test_finish(e);
	relay_stop(e);
}

static unsigned got(struct relay_env *e, const char *phone, const char *needle)
{
	struct relay_inbox in = {0};
	unsigned n = 0;

	relay_inbox(e, phone, &in);
	for (unsigned k = 0; k < in.n; k++)
		n += strstr(in.text[k], needle) != NULL;
	relay_inbox_free(&in);
	return n;
}

static void test_daily_cap(void **state)
{
	static const char *const students[] = {SOCCER_STUDENTS};
	struct relay_policy p = policy;
	struct relay_env *e;
	char *out, *alert;
	int64_t before, waiting;
	unsigned n_got = 0;

	(void)state;
	p.extra_config = "chaperone\n it-contact " ALAN "\nmodem modem0\n daily-cap 12\n";
	e = relay_start(DISTRICT, &p);
	relay_text(e, DANA, RELAY_SOCCER, "#soccer Cap test one");
	relay_settle(e);
	before = relay_sql_int(e, "SELECT count(*) FROM delivery_submits WHERE modem = 'modem0'");
	RELAY_CHECK(e, before >= 10 && before < 12);
	/* 80 %: the IT contact hears it, from the other relay number. */
	alert = relay_expect(e, ALAN, "of its daily cap of 12 texts", RELAY_WAIT_MS);
	free(alert);
	relay_text(e, DANA, RELAY_SOCCER, "#soccer Cap test two");
	alert = relay_expect(e, ALAN, "has sent its daily cap of 12", RELAY_WAIT_MS);
	RELAY_HAS(e, alert, "none is lost");
	free(alert);
	sleep_ms(1000);
	/* The rest wait, recorded so; nothing failed. */
	waiting = relay_sql_int(e, "SELECT count(*) FROM delivery_state s JOIN delivery_events e"
				   " ON e.delivery_id = s.delivery_id WHERE s.status = 'waiting'"
				   " AND e.detail LIKE 'pacing:%%'");
	RELAY_CHECK(e, waiting > 0);
	RELAY_CHECK(e, relay_sql_int(e, "SELECT count(*) FROM delivery_submits WHERE modem ="
					" 'modem0'") == 12);
	out = relay_vty(e, "show modems");
	RELAY_HAS(e, out, "12 of its daily cap of 12 in 24 h (100%): waiting");
	free(out);
	out = relay_vty(e, "configure terminal\nmodem modem0\ndaily-cap 100\nend\nshow modems");
	RELAY_HAS(e, out, "of its daily cap of 100 in 24 h");
	free(out);
	relay_settle(e);
	for (size_t i = 0; i < sizeof(students) / sizeof(*students); i++)
		n_got += got(e, students[i], "Cap test two");
	RELAY_CHECK(e, n_got == sizeof(students) / sizeof(*students));
	RELAY_CHECK(e, relay_sql_int(e, "SELECT count(*) FROM delivery_state WHERE status ="
					" 'failed'") == 0);
	relay_test_finish(e);
	relay_stop(e);
}

static void test_stop_during_broadcast(void **state)
{
	static const char *const students[] = {SOCCER_STUDENTS};
	struct relay_policy p = policy;
	struct relay_env *e;
	long long t0, stopped;
	int status;

	(void)state;
	p.submit_ms = 500; /* the team message keeps modem0 busy for about 5 s */
	e = relay_start(DISTRICT, &p);
	relay_text(e, DANA, RELAY_SOCCER, "#soccer Stop test: bus at 6");
	relay_wait_sql_int(e, 1, RELAY_WAIT_MS,
			   "SELECT count(*) >= 1 FROM delivery_events WHERE status = 'sent'");
	t0 = now_ms();
	status = relay_kill(e, SIGTERM);
	stopped = now_ms() - t0;
	RELAY_CHECK(e, WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* One part in flight (500 ms) and the bookkeeping; not the 4 s of the rest. */
	RELAY_CHECK(e, stopped < 2500);
	RELAY_CHECK(e, relay_sql_int(e, "SELECT count(*) FROM delivery_state WHERE status ="
					" 'queued'") > 0);
	relay_launch(e);
	relay_settle(e);
	for (size_t i = 0; i < sizeof(students) / sizeof(*students); i++)
		RELAY_CHECK(e, got(e, students[i], "Stop test: bus at 6") == 1);
	/* A clean stop leaves no part of unknown fate. */
	RELAY_CHECK(e, relay_sql_int(e, "SELECT count(*) FROM delivery_submits WHERE resend = 1") ==
			   0);
	relay_test_finish(e);
	relay_stop(e);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_modem_left_in_pdu_entry), cmocka_unit_test(test_stray_lines),
	    cmocka_unit_test(test_message_too_long),	    cmocka_unit_test(test_daily_cap),
	    cmocka_unit_test(test_stop_during_broadcast),
	};

	relay_harness_init(argc, argv);
	relay_policy_defaults(&policy);
	return cmocka_run_group_tests_name("relay send path", tests, NULL, NULL);
}
