/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* What the relay does as time passes, on the real daemon under a moved wall clock
 * (libfaketime; the harness's relay_clock()): an exception that runs out, a crisis
 * conversation that stays open for its window and then ends, quiet hours that hold a
 * message at night and release it in the morning, and the oversight digest at its hour.
 * Unit tests cover the arithmetic; these check that the daemon's clock is the one used.
 *
 *   test_relay_clock BUILD_DIR SOURCE_DIR */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <setjmp.h>
#include <cmocka.h>

#include "tests/e2e/relay_harness.h"

#define DISTRICT "tests/fixtures/district"
/* chaperoned looks for directory edits and releases every 500 ms. */
#define DAEMON_POLL_MS 500

static struct relay_env *env;
static struct relay_policy policy;

static int group_start(void **state)
{
	(void)state;
	env = relay_group_begin(DISTRICT, &policy);
	return 0;
}

static int64_t last_verdict(void)
{
	return relay_sql_int(env, "SELECT max(id) FROM verdicts WHERE kind = 'relay'");
}

/* ======== days pass ======== */

/* An exception through tomorrow lets Coach Lee write to Sam (no guardian to copy); three
 * days later, by the daemon's clock, it has run out and the refusal says so. */
static void test_exception_runs_out(void **state)
{
	char date[16], *out = NULL, *reply;
	time_t t = time(NULL) + 86400;
	struct tm tm;
	(void)state;

	localtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	RELAY_CHECK(env,
		    relay_cli(env, &out, "exception", "add", "--staff", "danal", "--student",
			      "samo", "--kind", "family", "--reason", "Coach Lee is Sam's aunt",
			      "--approved-by", "helenp", "--expires", date, NULL) == 0);
	free(out);
	sleep_ms(3 * DAEMON_POLL_MS);
	relay_text(env, DANA, RELAY_SOCCER, "@samo Dinner Sunday?");
	free(relay_expect(env, SAM, "Dinner Sunday?", RELAY_WAIT_MS));
	relay_settle(env);

	relay_clear(env);
	relay_clock(env, "+3d");
	relay_text(env, DANA, RELAY_SOCCER, "@samo Are you coming Sunday?");
	reply = relay_expect(env, DANA, "Not sent", RELAY_WAIT_MS);
	RELAY_HAS(env, reply, "(family) for Sam O. expired on");
	free(reply);
	relay_settle(env);
	relay_assert_only(env, DANA);
}

/* A crisis conversation stays open crisis-window hours (72) after its last message:
 * two days on, Jamie's message still goes to Coach Lee and the administrators alone;
 * four days after that, it goes to the coaches with the parents copied, as before. */
static void test_crisis_window(void **state)
{
	(void)state;

	relay_text(env, DANA, RELAY_SOCCER, "!crisis @jamier I'm here. Are you safe?");
	free(relay_expect(env, JAMIE, "Are you safe?", RELAY_WAIT_MS));
	relay_settle(env);

	relay_clear(env);
	relay_clock(env, "+5d");
	relay_text(env, JAMIE, RELAY_SOCCER, "Still here, a bit better");
	free(relay_expect(env, DANA, "Still here, a bit better", RELAY_WAIT_MS));
	relay_expect_all(env, "CRISIS [Soccer] Jamie R. (@jamier) to Coach Dana Lee", ROSA, HELEN,
			 OMAR);
	relay_settle(env);
	relay_assert_only(env, DANA, ROSA, HELEN, OMAR);

	relay_clear(env);
	relay_clock(env, "+9d");
	relay_text(env, JAMIE, RELAY_SOCCER, "See you at practice");
	relay_expect_all(env, "[Soccer] Jamie R. (@jamier): See you at practice", DANA, MARCUS);
	relay_expect_all(env, "to the Soccer coaches: See you at practice", MARIA, LUIS);
	relay_settle(env);
	RELAY_CHECK(env, relay_sql_int(env, "SELECT flagged FROM verdicts WHERE id = %lld",
				       (long long)last_verdict()) == 0);
}

/* ======== a night and a day ======== */

/* Quiet hours 21:00-06:00 (UTC): at 22:00 a coach's team message is held, and the
 * coach told until when; at 06:01 the daemon releases it to the team. */
static void test_quiet_hours_night(void **state)
{
	char *reply;
	(void)state;

	relay_clock(env, "@2026-12-07 22:00:00");
	relay_text(env, DANA, RELAY_SOCCER, "#soccer Practice is cancelled tomorrow");
	reply = relay_expect(env, DANA, "Quiet hours", RELAY_WAIT_MS);
	RELAY_HAS(env, reply, "06:00");
	free(reply);
	relay_settle(env);
	relay_assert_only(env, DANA);
	relay_assert_nothing(env, JAMIE, 3 * DAEMON_POLL_MS);

	relay_clear(env);
	relay_clock(env, "@2026-12-08 06:01:00");
	relay_expect_all(env, "[Soccer] Coach Dana Lee: Practice is cancelled tomorrow", JAMIE,
			 ALEX, SAM, TAYLOR, JORDAN, CASEY, RILEY, MORGAN);
	relay_settle(env);
}

/* Oversight by digest at 17:00 (UTC): nothing at 16:59; the athletic director's digest,
 * with the day's message, just after 17:00. */
static void test_digest_at_its_hour(void **state)
{
	char *got;
	(void)state;

	relay_clock(env, "@2026-12-08 16:58:00");
	relay_text(env, DANA, RELAY_SOCCER, "@jamier Bring your cleats");
	free(relay_expect(env, JAMIE, "Bring your cleats", RELAY_WAIT_MS));
	relay_settle(env);
	relay_assert_nothing(env, ROSA, 3000);

	relay_clock(env, "@2026-12-08 17:00:30");
	got = relay_expect(env, ROSA, "Bring your cleats", RELAY_WAIT_MS);
	RELAY_HAS(env, got, "Coach Dana Lee");
	free(got);
	relay_settle(env);
}

#define T(f) cmocka_unit_test_setup_teardown(f, relay_test_setup, relay_test_teardown)

int main(int argc, char **argv)
{
	const struct CMUnitTest days[] = {
	    T(test_exception_runs_out),
	    T(test_crisis_window),
	};
	const struct CMUnitTest night[] = {
	    T(test_quiet_hours_night),
	    T(test_digest_at_its_hour),
	};
	int failed = 0;

	relay_harness_init(argc, argv);

	relay_policy_defaults(&policy);
	policy.fake_clock = true;
	failed += cmocka_run_group_tests_name("relay clock: days pass", days, group_start,
					      relay_group_end);

	relay_policy_defaults(&policy);
	policy.fake_clock = true;
	policy.quiet_hours = "21:00 06:00";
	policy.oversight = "digest";
	/* The digest's hour is checked every second, not every minute. */
	policy.extra_config = "timer relay X3 1\n";
	failed += cmocka_run_group_tests_name("relay clock: a night and a day", night, group_start,
					      relay_group_end);
	return failed ? 1 : 0;
}
