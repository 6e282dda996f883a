/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The district's rules end to end: phones text the relay numbers through modemsim,
 * chaperoned (a real process, its config written per group) applies the policy, and the
 * phones' inboxes and the archive show what it did — for each rule, what it allows and
 * what it refuses.
 *
 * Each group of tests shares one installation (database, modemsim, chaperoned) started
 * from the sample district with the group's policy settings; tests within a group run
 * in order and some rely on what earlier ones did (the recording notice is given once).
 * Before each test every inbox is emptied; after it the relay is left to settle and
 * every inbox is checked for personal numbers (masking holds for every test).
 *
 *   test_relay_rules BUILD_DIR SOURCE_DIR */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "tests/e2e/relay_harness.h"

#define DISTRICT "tests/fixtures/district"
/* chaperoned looks for directory edits (and released holds) every 500 ms. */
#define DAEMON_POLL_MS 500

static struct relay_env *env;
static struct relay_policy policy;

static int group_start(void **state)
{
	(void)state;
	env = relay_group_begin(DISTRICT, &policy);
	return 0;
}

/* The latest verdict about a relayed message (not a command or question). */
static int64_t last_verdict(void)
{
	return relay_sql_int(env, "SELECT max(id) FROM verdicts WHERE kind = 'relay'");
}

static char *verdict_field(int64_t id, const char *field)
{
	return relay_sql_str(env, "SELECT %s FROM verdicts WHERE id = %lld", field, (long long)id);
}

static void check_verdict(int64_t id, const char *action, const char *rule)
{
	char *a = verdict_field(id, "action"), *rules = verdict_field(id, "rules");

	RELAY_CHECK(env, a && !strcmp(a, action));
	RELAY_HAS(env, rules, rule);
	free(a);
	free(rules);
}

/* ======== whole-team ======== */

/* A coach's team message reaches every student and the co-coach; guardians are not
 * copied (the district setting is off); the first message from a relay number carries
 * the recording notice, per relay number (Riley had it from Robotics already). */
static void test_whole_team_reaches_every_student(void **state)
{
	const char *students[] = {SOCCER_STUDENTS};
	(void)state;

	relay_text(env, DANA, RELAY_SOCCER, "#soccer Practice moved to 5pm");
	relay_expect_all(env, "[Soccer] Coach Dana Lee: Practice moved to 5pm", SOCCER_STUDENTS,
			 MARCUS);
	free(relay_expect(env, ROSA, "[Soccer] Coach Dana Lee to the Soccer team: Practice",
			  RELAY_WAIT_MS));
	relay_settle(env);
	for (size_t i = 0; i < ARRAY_SIZE(students); i++) {
		struct relay_inbox in = {0};
		relay_assert_count(env, students[i], 1);
		relay_inbox(env, students[i], &in);
		RELAY_CHECK(env, relay_body_starts(in.text[0], "[Soccer] Coach Dana Lee: "));
		RELAY_CHECK(env, !strncmp(in.text[0], NOTICE, strlen(NOTICE)));
		relay_inbox_free(&in);
	}
	relay_assert_only(env, SOCCER_STUDENTS, MARCUS, ROSA);
	check_verdict(last_verdict(), "deliver", "whole-team");
}

/* Guardians are copied on team messages where the district enables it (group
 * "guardians on team messages"). */
static void test_whole_team_copies_guardians_when_enabled(void **state)
{
	(void)state;

	relay_text(env, DANA, RELAY_SOCCER, "#soccer Team photo Saturday 9am");
	relay_expect_all(env, "[Soccer] Coach Dana Lee: Team photo Saturday 9am", SOCCER_STUDENTS,
			 MARCUS);
	relay_expect_all(env, "[Soccer] Coach Dana Lee to the Soccer team: Team photo",
			 SOCCER_GUARDIANS, ROSA);
	relay_settle(env);
	relay_assert_only(env, SOCCER_STUDENTS, SOCCER_GUARDIANS, MARCUS, ROSA);
	check_verdict(last_verdict(), "deliver", "whole-team");
	RELAY_CHECK(env,
		    relay_sql_int(env,
				  "SELECT count(*) FROM deliveries WHERE verdict_id = %lld AND "
				  "why = 'guardian-copy'",
				  (long long)last_verdict()) == 10);
}

/* Only a team's staff message the whole team: an advisor of another team is refused. */
static void test_whole_team_refused_to_other_staff(void **state)
{
	char *reply;
	(void)state;

	/* Alan Turner teaches a class without a relay number; he is staff of no Soccer team. */
	relay_text(env, ALAN, RELAY_SOCCER, "#soccer Biology quiz moved");
	reply = relay_expect(env, ALAN, "Not sent", RELAY_WAIT_MS);
	RELAY_HAS(env, reply, "not on the staff of Soccer");
	free(reply);
	relay_settle(env);
	relay_assert_only(env, ALAN);
}

/* ======== guardian-copy ======== */

static void test_guardian_copy_one_to_one(void **state)
{
	(void)state;

	relay_text(env, DANA, RELAY_SOCCER, "@jamier Can you stay after practice?");
	free(relay_expect(env, JAMIE, "[Soccer] Coach Dana Lee: Can you stay after practice?",
			  RELAY_WAIT_MS));
	relay_expect_all(env, "[Soccer] Coach Dana Lee to Jamie R.: Can you stay after practice?",
			 MARIA, LUIS, ROSA);
	relay_settle(env);
	relay_assert_only(env, JAMIE, MARIA, LUIS, ROSA);
	relay_assert_count(env, JAMIE, 1);
	check_verdict(last_verdict(), "deliver", "guardian-copy");
}

/* Sam Ortiz's only guardian has no phone: a one-to-one cannot copy her, so it is not
 * sent, and the coach is told why and what to do instead. */
static void test_guardian_copy_blocked_without_reachable_guardian(void **state)
{
	char *reply;
	(void)state;

	relay_text(env, DANA, RELAY_SOCCER, "@samo See me after practice");
	reply = relay_expect(env, DANA, "Not sent", RELAY_WAIT_MS);
	RELAY_CHECK(env, !strncmp(reply, RELAY_REPLY, strlen(RELAY_REPLY)));
	RELAY_HAS(env, reply, "no guardian of Sam O. can be reached");
	RELAY_HAS(env, reply, "Message the whole team instead (#soccer ...)");
	RELAY_HAS(env, reply, "ask an administrator for an exception");
	free(reply);
	relay_settle(env);
	relay_assert_only(env, DANA);
	check_verdict(last_verdict(), "block", "guardian-copy");

	/* With another student: the whole message is refused, nobody gets part of it. */
	relay_clear(env);
	relay_text(env, DANA, RELAY_SOCCER, "@jamier @samo Bring the cones");
	free(relay_expect(env, DANA, "no guardian of Sam O. can be reached", RELAY_WAIT_MS));
	relay_settle(env);
	relay_assert_only(env, DANA);
}

/* A defined subgroup, by team and name or by name alone, reaches its members with their
 * guardians copied. */
static void test_guardian_copy_subgroup(void **state)
{
	(void)state;

	relay_text(env, DANA, RELAY_SOCCER, "#soccer.injured Trainer at 3");
	relay_expect_all(env, "[Soccer] Coach Dana Lee: Trainer at 3", ALEX, CASEY);
	relay_expect_all(env,
			 "[Soccer] Coach Dana Lee to Soccer injured (Alex K., Casey M.): "
			 "Trainer at 3",
			 GRACE, PAT, ROSA);
	relay_settle(env);
	relay_assert_only(env, ALEX, CASEY, GRACE, PAT, ROSA);
	check_verdict(last_verdict(), "deliver", "guardian-copy");

	relay_clear(env);
	relay_text(env, DANA, RELAY_SOCCER, "#injured Ice after practice");
	relay_expect_all(env, "[Soccer] Coach Dana Lee: Ice after practice", ALEX, CASEY);
	relay_expect_all(env, "to Soccer injured (Alex K., Casey M.): Ice after practice", GRACE,
			 PAT, ROSA);
	relay_settle(env);
	relay_assert_only(env, ALEX, CASEY, GRACE, PAT, ROSA);
}

/* A student always reaches the coaches, guardians copied where they can be; Sam, whose
 * guardian cannot be copied, is not cut off from his coaches. */
static void test_guardian_copy_student_to_coaches(void **state)
{
	(void)state;

	relay_text(env, JAMIE, RELAY_SOCCER, "Coach, I will be late today");
	relay_expect_all(env, "[Soccer] Jamie R. (@jamier): Coach, I will be late today", DANA,
			 MARCUS);
	relay_expect_all(env, "[Soccer] Jamie R. (@jamier) to the Soccer coaches: Coach, I will",
			 MARIA, LUIS);
	relay_settle(env);
	relay_assert_only(env, DANA, MARCUS, MARIA, LUIS);

	relay_clear(env);
	relay_text(env, SAM, RELAY_SOCCER, "Coach I am sick today");
	relay_expect_all(env, "[Soccer] Sam O. (@samo): Coach I am sick today", DANA, MARCUS);
	relay_settle(env);
	relay_assert_only(env, DANA, MARCUS);
	check_verdict(last_verdict(), "deliver", "");
}

/* ======== attribution ======== */

/* Every relayed body starts with "[Team] <sender>": staff by title and name, students by
 * name and handle, guardians with whose guardian they are; copies say to whom. */
static void test_attribution_names_team_and_sender(void **state)
{
	struct relay_inbox in = {0};
	(void)state;

	relay_text(env, MARIA, RELAY_SOCCER, "Jamie has a dentist appointment Friday");
	relay_expect_all(env,
			 "[Soccer] Maria R., guardian of Jamie R. (@mariar): Jamie has a dentist",
			 DANA, MARCUS);
	relay_settle(env);
	relay_assert_only(env, DANA, MARCUS);

	relay_clear(env);
	relay_text(env, PRIYA, RELAY_ROBOTICS, "@averyj Great demo today");
	free(relay_expect(env, AVERY, "[Robotics] Advisor Priya Shah: Great demo today",
			  RELAY_WAIT_MS));
	relay_expect_all(env, "[Robotics] Advisor Priya Shah to Avery J.: Great demo today", DENISE,
			 HELEN);
	relay_settle(env);
	relay_assert_only(env, AVERY, DENISE, HELEN);

	/* Every message of the step, whatever its recipient, is attributed. */
	const char *all[] = {AVERY, DENISE, HELEN};
	for (size_t i = 0; i < 3; i++) {
		relay_inbox(env, all[i], &in);
		for (unsigned k = 0; k < in.n; k++)
			RELAY_CHECK(env,
				    relay_body_starts(in.text[k], "[Robotics] Advisor Priya Shah"));
		relay_inbox_free(&in);
	}
	check_verdict(last_verdict(), "deliver", "attribution");
}

/* ======== notice ======== */

/* The first message a person gets from a relay number carries the recording notice; the
 * second does not. Runs first in its group: nobody has had a Robotics message yet. */
static void test_notice_first_message_only(void **state)
{
	struct relay_inbox in = {0};
	const char *robotics[] = {ROBOTICS_STUDENTS};
	(void)state;

	relay_text(env, PRIYA, RELAY_ROBOTICS, "#robotics Meeting Thursday at 3");
	relay_expect_all(env, "[Robotics] Advisor Priya Shah: Meeting Thursday at 3",
			 ROBOTICS_STUDENTS);
	free(relay_expect(env, HELEN, "to the Robotics team: Meeting Thursday", RELAY_WAIT_MS));
	relay_settle(env);
	for (size_t i = 0; i < 5; i++) {
		relay_inbox(env, robotics[i], &in);
		RELAY_CHECK(env, in.n == 1);
		RELAY_CHECK(env, !strncmp(in.text[0], NOTICE, strlen(NOTICE)));
		RELAY_HAS(env, in.text[0], "Reply STOP to opt out, HELP for help.\n[Robotics]");
		relay_inbox_free(&in);
	}
	RELAY_CHECK(env,
		    relay_sql_int(env, "SELECT count(*) FROM notices WHERE relay = '" RELAY_ROBOTICS
				       "'") == 6);
	check_verdict(last_verdict(), "deliver", "notice");

	relay_clear(env);
	relay_text(env, PRIYA, RELAY_ROBOTICS, "#robotics Bring laptops");
	relay_expect_all(env, "Bring laptops", ROBOTICS_STUDENTS, HELEN);
	relay_settle(env);
	for (size_t i = 0; i < 5; i++) {
		relay_inbox(env, robotics[i], &in);
		RELAY_CHECK(env, in.n == 1);
		RELAY_CHECK(env,
			    !strcmp(in.text[0], "[Robotics] Advisor Priya Shah: Bring laptops"));
		relay_inbox_free(&in);
	}
	RELAY_CHECK(env, relay_sql_int(env,
				       "SELECT count(*) FROM deliveries WHERE verdict_id = "
				       "%lld AND notice = 1",
				       (long long)last_verdict()) == 0);
}

/* ======== contact-screen (and masking of what is released) ======== */

static int64_t last_hold(void)
{
	return relay_sql_int(env, "SELECT max(id) FROM verdicts WHERE kind = 'relay' AND "
				  "action = 'hold'");
}

/* A student's message carrying a phone number is held and the student told; released
 * by an administrator it goes out, with directory numbers withheld, and the student is
 * told. */
static void test_contact_screen_hold_then_release(void **state)
{
	char *reply, *out = NULL, id[32];
	int64_t v;
	(void)state;

	relay_text(env, JAMIE, RELAY_SOCCER, "Coach my mom's cell is 617-555-0401, text her");
	reply = relay_expect(env, JAMIE, "Held for review", RELAY_WAIT_MS);
	RELAY_HAS(env, reply, "a phone number");
	RELAY_HAS(env, reply, "an administrator will release or reject it");
	free(reply);
	relay_settle(env);
	relay_assert_only(env, JAMIE);
	v = last_hold();
	check_verdict(v, "hold", "contact-screen");
	RELAY_CHECK(env, relay_cli(env, &out, "held", "list", "--db", env->db, NULL) == 0);
	snprintf(id, sizeof(id), "%lld", (long long)v);
	RELAY_HAS(env, out, "[contact-screen");
	/* Who sent it, by name, not only by number. */
	RELAY_HAS(env, out, "from Jamie Rivera (@jamier) on +15550100");
	RELAY_HAS(env, out, "text: Coach my mom's cell is 617-555-0401, text her");
	free(out);

	/* Only an administrator of the directory decides: not a student, not a name made up,
	 * not nobody; each refusal leaves the message held. */
	RELAY_CHECK(env, relay_cli(env, &out, "held", "release", id, "--by", "jamier", "--db",
				   env->db, NULL) == 1);
	RELAY_HAS(env, out, "jamier is a student, not an administrator");
	free(out);
	RELAY_CHECK(env, relay_cli(env, &out, "held", "release", id, "--by", "Mickey Mouse", "--db",
				   env->db, NULL) == 1);
	RELAY_HAS(env, out, "no person with handle 'Mickey Mouse'");
	free(out);
	RELAY_CHECK(env, relay_cli(env, &out, "held", "release", id, "--db", env->db, NULL) == 2);
	RELAY_HAS(env, out, "say which administrator decides");
	free(out);
	RELAY_CHECK(env,
		    relay_sql_int(env, "SELECT count(*) FROM hold_decisions WHERE verdict_id = %s",
				  id) == 0);

	relay_clear(env);
	RELAY_CHECK(env, relay_cli(env, &out, "held", "release", id, "--by", "rosad", "--db",
				   env->db, NULL) == 0);
	RELAY_HAS(env, out, "released by rosad");
	free(out);
	relay_expect_all(env,
			 "[Soccer] Jamie R. (@jamier): Coach my mom's cell is [number withheld], "
			 "text her",
			 DANA, MARCUS);
	/* Luis gets the copy without Maria's number; Maria's own number is hers to see. */
	free(relay_expect(env, LUIS,
			  "to the Soccer coaches: Coach my mom's cell is [number "
			  "withheld]",
			  RELAY_WAIT_MS));
	free(relay_expect(env, MARIA, "to the Soccer coaches: Coach my mom's cell is",
			  RELAY_WAIT_MS));
	free(relay_expect(env, JAMIE,
			  "Your held message was released and sent by an administrator (Athletic "
			  "Director Rosa Delgado).",
			  RELAY_WAIT_MS));
	relay_settle(env);
	relay_assert_only(env, DANA, MARCUS, MARIA, LUIS, JAMIE);
	RELAY_CHECK(env, relay_sql_int(env,
				       "SELECT count(*) FROM hold_decisions WHERE verdict_id "
				       "= %lld AND decision = 'released' AND decided_by = "
				       "'rosad'",
				       (long long)v) == 1);
}

/* A coach's message with a personal e-mail, rejected: nothing goes out, the coach is
 * told. */
static void test_contact_screen_hold_then_reject(void **state)
{
	char *reply, *out = NULL, id[32];
	int64_t v;
	(void)state;

	relay_text(env, DANA, RELAY_SOCCER, "@jamier email me at dana.lee@gmail.com");
	reply = relay_expect(env, DANA, "Held for review", RELAY_WAIT_MS);
	RELAY_HAS(env, reply, "e-mail");
	free(reply);
	relay_settle(env);
	relay_assert_only(env, DANA);
	v = last_hold();
	check_verdict(v, "hold", "contact-screen");

	relay_clear(env);
	snprintf(id, sizeof(id), "%lld", (long long)v);
	RELAY_CHECK(env, relay_cli(env, &out, "held", "reject", id, "--by", "rosad", "--db",
				   env->db, NULL) == 0);
	RELAY_HAS(env, out, "rejected by rosad");
	free(out);
	free(relay_expect(env, DANA, "not approved", RELAY_WAIT_MS));
	relay_settle(env);
	sleep_ms(2 * DAEMON_POLL_MS);
	relay_assert_only(env, DANA);
	RELAY_CHECK(env,
		    relay_sql_int(env,
				  "SELECT count(*) FROM deliveries d JOIN delivery_state s ON "
				  "s.delivery_id = d.id WHERE d.verdict_id = %lld AND d.why <> "
				  "'reply' AND s.status <> 'rejected'",
				  (long long)v) == 0);
	/* Decided once: a second decision is refused. */
	RELAY_CHECK(env, relay_cli(env, NULL, "held", "release", id, "--db", env->db, NULL) != 0);
}

/* ======== masking ======== */

/* Group "contact screen off", so that bodies with numbers go out at once: every
 * directory number but the recipient's own is withheld, however it is written. */
static void test_masking_withholds_personal_numbers(void **state)
{
	char *got;
	(void)state;

	relay_text(env, JAMIE, RELAY_SOCCER,
		   "Coach, my dad is 617.555.0402 and Alex says yours is (617) 555-0101");
	got = relay_expect(env, MARCUS, "[Soccer] Jamie R. (@jamier): Coach, my dad is",
			   RELAY_WAIT_MS);
	RELAY_HAS(env, got, "my dad is [number withheld] and Alex says yours is [number withheld]");
	free(got);
	/* A recipient's own number is theirs to see. */
	got =
	    relay_expect(env, DANA, "[Soccer] Jamie R. (@jamier): Coach, my dad is", RELAY_WAIT_MS);
	RELAY_HAS(env, got, "my dad is [number withheld] and Alex says yours is (617) 555-0101");
	free(got);
	got = relay_expect(env, MARIA, "to the Soccer coaches", RELAY_WAIT_MS);
	RELAY_HAS(env, got, "my dad is [number withheld]");
	free(got);
	relay_settle(env);
	check_verdict(last_verdict(), "deliver", "masking");

	relay_clear(env);
	relay_text(env, DANA, RELAY_SOCCER, "@jamier Ask Grace Kim at +1 617 555 0403 for a ride");
	got = relay_expect(env, JAMIE, "[Soccer] Coach Dana Lee: Ask Grace Kim at", RELAY_WAIT_MS);
	RELAY_HAS(env, got, "at [number withheld] for a ride");
	free(got);
	relay_expect_all(env, "Ask Grace Kim at [number withheld] for a ride", MARIA, LUIS, ROSA);
	relay_settle(env);
	relay_assert_only(env, JAMIE, MARIA, LUIS, ROSA);
}

/* ======== oversight ======== */

/* Copy mode: the athletic director gets a copy of a coach's messages to students, not of
 * a student's message to the coaches; the principal does not oversee Soccer. */
static void test_oversight_copy(void **state)
{
	char *got;
	(void)state;

	relay_text(env, MARCUS, RELAY_SOCCER, "@taylorn Nice game today");
	free(relay_expect(env, TAYLOR, "[Soccer] Coach Marcus Bell: Nice game today",
			  RELAY_WAIT_MS));
	got = relay_expect(env, ROSA, "Nice game today", RELAY_WAIT_MS);
	RELAY_CHECK(env, relay_body_starts(got, "[Soccer] Coach Marcus Bell to Taylor N.: "));
	free(got);
	free(relay_expect(env, HOA, "Nice game today", RELAY_WAIT_MS));
	relay_settle(env);
	relay_assert_only(env, TAYLOR, HOA, ROSA);
	check_verdict(last_verdict(), "deliver", "oversight");
	RELAY_CHECK(env,
		    relay_sql_int(env,
				  "SELECT count(*) FROM deliveries WHERE verdict_id = %lld AND "
				  "why = 'oversight' AND recipient_number = '" ROSA "'",
				  (long long)last_verdict()) == 1);

	relay_clear(env);
	relay_text(env, TAYLOR, RELAY_SOCCER, "Thanks coach");
	relay_expect_all(env, "[Soccer] Taylor N. (@taylorn): Thanks coach", DANA, MARCUS);
	relay_settle(env);
	relay_assert_only(env, DANA, MARCUS, HOA);
}

/* Digest mode: no copy; `digest send` at the VTY sends the athletic director a digest
 * with the message in it. */
static void test_oversight_digest(void **state)
{
	char *out, *got;
	(void)state;

	relay_text(env, DANA, RELAY_SOCCER, "#soccer Bus leaves at 7");
	relay_expect_all(env, "[Soccer] Coach Dana Lee: Bus leaves at 7", SOCCER_STUDENTS, MARCUS);
	relay_settle(env);
	relay_assert_only(env, SOCCER_STUDENTS, MARCUS);
	check_verdict(last_verdict(), "deliver", "oversight");
	RELAY_CHECK(env, relay_sql_int(env, "SELECT digest FROM verdicts WHERE id = %lld",
				       (long long)last_verdict()) == 1);

	relay_clear(env);
	out = relay_vty(env, "digest send");
	RELAY_HAS(env, out, "1 digest queued");
	free(out);
	got = relay_expect(env, ROSA, "daily digest of Soccer staff messages", RELAY_WAIT_MS);
	RELAY_HAS(env, got, "Coach Dana Lee");
	RELAY_HAS(env, got, "Bus leaves at 7");
	free(got);
	relay_settle(env);
	relay_assert_only(env, ROSA);
	/* Once a day: asked again, nobody gets a second one. */
	out = relay_vty(env, "digest send");
	RELAY_HAS(env, out, "0 digests queued");
	free(out);
}

/* ======== quiet-hours ======== */

/* Group "quiet hours now": a coach's team message is held for the morning and the coach
 * told; !urgent goes through; a student can still write to the coaches. (The release at
 * the end of quiet hours is tested at unit level.) */
static void test_quiet_hours_hold_and_urgent(void **state)
{
	char *reply, *release;
	(void)state;

	relay_text(env, DANA, RELAY_SOCCER, "#soccer Practice tomorrow at 4");
	reply = relay_expect(env, DANA, "Quiet hours", RELAY_WAIT_MS);
	RELAY_HAS(env, reply, "your message will be delivered at");
	RELAY_HAS(env, reply, "!urgent");
	free(reply);
	relay_settle(env);
	relay_assert_only(env, DANA);
	check_verdict(last_hold(), "hold", "quiet-hours");
	release = verdict_field(last_hold(), "release");
	RELAY_CHECK(env, release && !strcmp(release, "time"));
	free(release);
	RELAY_CHECK(env, relay_sql_int(env, "SELECT hold_until > at FROM verdicts WHERE id = %lld",
				       (long long)last_hold()) == 1);

	relay_clear(env);
	relay_text(env, DANA, RELAY_SOCCER, "!urgent #soccer Bus leaves now");
	relay_expect_all(env, "[Soccer] Coach Dana Lee: Bus leaves now", SOCCER_STUDENTS, MARCUS);
	relay_settle(env);
	relay_assert_only(env, SOCCER_STUDENTS, MARCUS, ROSA);
	check_verdict(last_verdict(), "deliver", "whole-team");

	relay_clear(env);
	relay_text(env, JAMIE, RELAY_SOCCER, "Coach, is the bus late?");
	relay_expect_all(env, "[Soccer] Jamie R. (@jamier): Coach, is the bus late?", DANA, MARCUS);
	relay_settle(env);
	relay_assert_only(env, DANA, MARCUS, MARIA, LUIS);
}

/* Quiet hours set at the console hold the next message at once, and `no quiet-hours`
 * lets the next one through: the console's policy is the policy in force (it used to be
 * shown by `show policy` while the router kept its start-up copy). */
static void test_console_policy_applies_live(void **state)
{
	char window[16], cmd[96], *out;
	(void)state;

	relay_quiet_window_now(window, sizeof(window));
	snprintf(cmd, sizeof(cmd), "configure terminal\npolicy\nquiet-hours %s", window);
	out = relay_vty(env, cmd);
	RELAY_CHECK(env, out && !strstr(out, "%"));
	free(out);
	snprintf(cmd, sizeof(cmd), "quiet hours: %.5s-%.5s;", window, window + 6);
	out = relay_vty(env, "show policy");
	RELAY_HAS(env, out, cmd);
	free(out);

	relay_text(env, DANA, RELAY_SOCCER, "#soccer Film session moved to 5");
	free(relay_expect(env, DANA, "Quiet hours", RELAY_WAIT_MS));
	relay_settle(env);
	relay_assert_only(env, DANA);
	check_verdict(last_hold(), "hold", "quiet-hours");

	out = relay_vty(env, "configure terminal\npolicy\nno quiet-hours");
	RELAY_CHECK(env, out && !strstr(out, "%"));
	free(out);
	relay_clear(env);
	relay_text(env, DANA, RELAY_SOCCER, "#soccer Film session is in room 12");
	relay_expect_all(env, "[Soccer] Coach Dana Lee: Film session is in room 12",
			 SOCCER_STUDENTS, MARCUS);
	relay_settle(env);
	check_verdict(last_verdict(), "deliver", "whole-team");
}

/* A start-up-only setting changed at the console is refused, and the running
 * configuration still shows the one in force. */
static void test_console_refuses_startup_settings(void **state)
{
	char *out;
	(void)state;

	out = relay_vty(env, "configure terminal\nchaperone\ndatabase /tmp/elsewhere.db");
	RELAY_HAS(env, out, "restart needed");
	free(out);
	out = relay_vty(env, "show running-config");
	RELAY_HAS(env, out, env->db);
	RELAY_CHECK(env, !strstr(out, "/tmp/elsewhere.db"));
	free(out);
}

/* ======== exception ======== */

static void add_days(char *buf, size_t cap, int days)
{
	time_t t = time(NULL) + (time_t)days * 86400;
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%d", &tm);
}

/* A family exception lets a one-to-one to Sam Ortiz through (no guardian to copy); once
 * expired, it no longer does. */
static void test_exception_family_then_expired(void **state)
{
	char date[16], *out = NULL, *reply;
	int64_t exc;
	(void)state;

	add_days(date, sizeof(date), 30);
	RELAY_CHECK(env,
		    relay_cli(env, &out, "exception", "add", "--staff", "danal", "--student",
			      "samo", "--kind", "family", "--reason", "Coach Lee is Sam's aunt",
			      "--approved-by", "helenp", "--expires", date, NULL) == 0);
	RELAY_HAS(env, out, "added exception");
	free(out);
	exc = relay_sql_int(env, "SELECT max(id) FROM exceptions");
	/* chaperoned reloads the directory when it sees the change. */
	sleep_ms(3 * DAEMON_POLL_MS);

	relay_text(env, DANA, RELAY_SOCCER, "@samo Dinner at grandma's on Sunday");
	free(relay_expect(env, SAM, "[Soccer] Coach Dana Lee: Dinner at grandma's on Sunday",
			  RELAY_WAIT_MS));
	free(relay_expect(env, ROSA, "to Sam O.: Dinner at grandma's", RELAY_WAIT_MS));
	relay_settle(env);
	relay_assert_only(env, SAM, ROSA);
	check_verdict(last_verdict(), "deliver", "exception");
	RELAY_CHECK(env, relay_sql_int(env, "SELECT exception_id FROM verdicts WHERE id = %lld",
				       (long long)last_verdict()) == exc);

	/* The command refuses an end date in the past (by design), and the test cannot wait
	 * for midnight: the exception's end is moved into the past in the database, with a
	 * change-log row as every directory edit has, which is what makes chaperoned
	 * reload. */
	relay_sql_exec(env,
		       "BEGIN; UPDATE exceptions SET expires_at = %lld WHERE id = %lld;"
		       "INSERT INTO directory_changes(at, actor, action, entity, detail) VALUES "
		       "(%lld, 'e2e-test', 'expire', 'exception', 'ended by the test'); COMMIT;",
		       (long long)time(NULL) * 1000 - 3600 * 1000, (long long)exc,
		       (long long)time(NULL) * 1000);
	sleep_ms(3 * DAEMON_POLL_MS);
	relay_clear(env);
	relay_text(env, DANA, RELAY_SOCCER, "@samo Are you coming Sunday?");
	reply = relay_expect(env, DANA, "Not sent", RELAY_WAIT_MS);
	RELAY_HAS(env, reply, "no guardian of Sam O. can be reached");
	/* The refusal says why the sender expected it to go. */
	RELAY_HAS(env, reply, "(family) for Sam O. expired on");
	free(reply);
	relay_settle(env);
	relay_assert_only(env, DANA);
	check_verdict(last_verdict(), "block", "guardian-copy");
}

/* ======== crisis ======== */

/* A crisis answer reaches the student alone (no guardian copy, even where one is
 * reachable is not needed: Sam has none), administrators are alerted at once, and the
 * record is flagged. */
static void test_crisis_alerts_and_flags(void **state)
{
	char *got;
	(void)state;

	relay_text(env, DANA, RELAY_SOCCER, "!crisis @samo I'm here. Call or text 988 now");
	got = relay_expect(env, SAM, "I'm here. Call or text 988 now", RELAY_WAIT_MS);
	RELAY_CHECK(env, relay_body_starts(got, "[Soccer] Coach Dana Lee: I'm here."));
	RELAY_CHECK(env, !strstr(got, "!crisis"));
	free(got);
	relay_expect_all(env, "CRISIS [Soccer] Coach Dana Lee answered Sam O. one-to-one: I'm here",
			 ROSA, HELEN, OMAR);
	relay_settle(env);
	relay_assert_only(env, SAM, ROSA, HELEN, OMAR);
	check_verdict(last_verdict(), "deliver", "crisis");
	RELAY_CHECK(env, relay_sql_int(env, "SELECT flagged FROM verdicts WHERE id = %lld",
				       (long long)last_verdict()) == 1);

	/* Jamie has guardians on file: still one-to-one. */
	relay_clear(env);
	relay_text(env, DANA, RELAY_SOCCER, "!crisis @jamier You are not alone. I'm calling now");
	free(relay_expect(env, JAMIE, "You are not alone", RELAY_WAIT_MS));
	relay_expect_all(env, "CRISIS [Soccer]", ROSA, HELEN, OMAR);
	relay_settle(env);
	relay_assert_only(env, JAMIE, ROSA, HELEN, OMAR);

	/* Each answer opened a crisis conversation; the athletic director closes both. */
	relay_clear(env);
	relay_text(env, ROSA, RELAY_SOCCER, "CLOSE @samo");
	free(relay_expect(env, ROSA, "Closed: the crisis conversation of Sam O.", RELAY_WAIT_MS));
	relay_text(env, ROSA, RELAY_SOCCER, "CLOSE @jamier");
	free(relay_expect(env, ROSA, "Closed: the crisis conversation of Jamie R.", RELAY_WAIT_MS));
	relay_settle(env);
	relay_assert_only(env, ROSA, DANA);
}

/* A !crisis the relay refuses (Avery is on no team Soccer's number serves: she does not
 * know the number) is still flagged for review, like every crisis. */
static void test_refused_crisis_is_flagged(void **state)
{
	char *reply;
	(void)state;

	relay_text(env, OMAR, RELAY_SOCCER, "!crisis @averyj Please come to my office now");
	reply = relay_expect(env, OMAR, "Not sent", RELAY_WAIT_MS);
	free(reply);
	relay_settle(env);
	relay_assert_only(env, OMAR);
	RELAY_CHECK(
	    env,
	    relay_sql_int(env, "SELECT action = 'block' AND flagged FROM verdicts WHERE id = %lld",
			  (long long)last_verdict()) == 1);
}

/* ======== opt-out ======== */

/* STOP is confirmed and recorded, a team message then skips the student (recorded as
 * skipped), START restores; HELP is answered; an opt-out is per relay number. */
static void test_opt_out_stop_start_help(void **state)
{
	char *got;
	int64_t v;
	(void)state;

	relay_text(env, TAYLOR, RELAY_SOCCER, "STOP");
	got = relay_expect(env, TAYLOR, "You will get no more messages from this number",
			   RELAY_WAIT_MS);
	RELAY_HAS(env, got, "Reply START");
	free(got);
	relay_settle(env);
	relay_assert_only(env, TAYLOR);
	RELAY_CHECK(env, relay_sql_int(env, "SELECT count(*) FROM optouts WHERE number = '" TAYLOR
					    "' AND action = 'stop' AND relay = '" RELAY_SOCCER
					    "'") == 1);

	relay_clear(env);
	relay_text(env, DANA, RELAY_SOCCER, "#soccer Game moved to 4pm");
	relay_expect_all(env, "[Soccer] Coach Dana Lee: Game moved to 4pm", JAMIE, ALEX, SAM,
			 JORDAN, CASEY, RILEY, MORGAN, MARCUS);
	relay_settle(env);
	relay_assert_only(env, JAMIE, ALEX, SAM, JORDAN, CASEY, RILEY, MORGAN, MARCUS, ROSA);
	v = last_verdict();
	check_verdict(v, "deliver", "opt-out");
	RELAY_CHECK(env, relay_sql_int(env,
				       "SELECT count(*) FROM deliveries d JOIN delivery_state s ON "
				       "s.delivery_id = d.id WHERE d.verdict_id = %lld AND "
				       "d.recipient_number = '" TAYLOR "' AND s.status = 'skipped'",
				       (long long)v) == 1);

	relay_clear(env);
	relay_text(env, TAYLOR, RELAY_SOCCER, "START");
	free(relay_expect(env, TAYLOR, "You will receive messages from this number again",
			  RELAY_WAIT_MS));
	relay_settle(env);
	relay_clear(env);
	relay_text(env, DANA, RELAY_SOCCER, "#soccer Game back at 3pm");
	relay_expect_all(env, "[Soccer] Coach Dana Lee: Game back at 3pm", SOCCER_STUDENTS);
	relay_settle(env);

	relay_clear(env);
	relay_text(env, TAYLOR, RELAY_SOCCER, "HELP");
	got = relay_expect(env, TAYLOR, RELAY_REPLY "Chaperone:", RELAY_WAIT_MS);
	RELAY_HAS(env, got, "STOP = no more messages");
	free(got);
	relay_settle(env);
	relay_assert_only(env, TAYLOR);

	/* Riley opts out of Robotics' number only: Soccer still reaches Riley. */
	relay_clear(env);
	relay_text(env, RILEY, RELAY_ROBOTICS, "stop");
	free(relay_expect(env, RILEY, "You will get no more messages", RELAY_WAIT_MS));
	relay_settle(env);
	relay_clear(env);
	relay_text(env, PRIYA, RELAY_ROBOTICS, "#robotics Build night Friday");
	relay_expect_all(env, "Build night Friday", AVERY, QUINN, DREW, EMMA);
	relay_text(env, DANA, RELAY_SOCCER, "#soccer Scrimmage Friday");
	free(relay_expect(env, RILEY, "Scrimmage Friday", RELAY_WAIT_MS));
	relay_settle(env);
	relay_assert_count(env, RILEY, 1);
	relay_clear(env);
	relay_text(env, RILEY, RELAY_ROBOTICS, "START");
	free(relay_expect(env, RILEY, "again", RELAY_WAIT_MS));
}

/* ======== unknown sender ======== */

/* A number not in the directory: recorded, never forwarded, one reply a day. */
static void test_unknown_sender_one_reply_a_day(void **state)
{
	const char *stranger = "+15085550199";
	char *got;
	(void)state;

	relay_text(env, stranger, RELAY_SOCCER, "Hi, is this the soccer coach? Call me");
	got = relay_expect(env, stranger, "Your number is not registered", RELAY_WAIT_MS);
	RELAY_CHECK(env, !strncmp(got, RELAY_REPLY, strlen(RELAY_REPLY)));
	free(got);
	relay_settle(env);
	relay_assert_only(env, stranger);
	RELAY_CHECK(env, relay_sql_int(env,
				       "SELECT count(*) FROM unknown_senders WHERE number = "
				       "'%s' AND replied = 1",
				       stranger) == 1);

	relay_clear(env);
	relay_text(env, stranger, RELAY_SOCCER, "Hello??");
	relay_settle(env);
	relay_assert_nothing(env, stranger, 300);
	relay_assert_none(env);
	RELAY_CHECK(env, relay_sql_int(env,
				       "SELECT count(*) FROM unknown_senders WHERE number = "
				       "'%s'",
				       stranger) == 2);
	RELAY_CHECK(env, relay_sql_int(env,
				       "SELECT sum(replied) FROM unknown_senders WHERE "
				       "number = '%s'",
				       stranger) == 1);
	RELAY_CHECK(env, relay_sql_int(env,
				       "SELECT count(*) FROM messages WHERE sender_number = "
				       "'%s' AND sender_id IS NULL",
				       stranger) == 2);
}

#define T(f) cmocka_unit_test_setup_teardown(f, relay_test_setup, relay_test_teardown)

int main(int argc, char **argv)
{
	/* The district as configured in the brief: copy oversight, contact screen, notice. */
	const struct CMUnitTest defaults[] = {
	    T(test_notice_first_message_only),
	    T(test_whole_team_reaches_every_student),
	    T(test_whole_team_refused_to_other_staff),
	    T(test_guardian_copy_one_to_one),
	    T(test_guardian_copy_blocked_without_reachable_guardian),
	    T(test_guardian_copy_subgroup),
	    T(test_guardian_copy_student_to_coaches),
	    T(test_attribution_names_team_and_sender),
	    T(test_contact_screen_hold_then_release),
	    T(test_contact_screen_hold_then_reject),
	    T(test_oversight_copy),
	    T(test_crisis_alerts_and_flags),
	    T(test_refused_crisis_is_flagged),
	    T(test_exception_family_then_expired),
	    T(test_opt_out_stop_start_help),
	    T(test_unknown_sender_one_reply_a_day),
	    T(test_console_refuses_startup_settings),
	    T(test_console_policy_applies_live),
	};
	const struct CMUnitTest guardians_on_team[] = {
	    T(test_whole_team_copies_guardians_when_enabled),
	};
	const struct CMUnitTest screen_off[] = {
	    T(test_masking_withholds_personal_numbers),
	};
	const struct CMUnitTest digest[] = {
	    T(test_oversight_digest),
	};
	const struct CMUnitTest quiet[] = {
	    T(test_quiet_hours_hold_and_urgent),
	};
	char window[16];
	int failed = 0;

	relay_harness_init(argc, argv);

	relay_policy_defaults(&policy);
	failed += cmocka_run_group_tests_name("relay rules: district defaults", defaults,
					      group_start, relay_group_end);

	relay_policy_defaults(&policy);
	policy.guardians_on_team_messages = true;
	failed += cmocka_run_group_tests_name("relay rules: guardians on team messages",
					      guardians_on_team, group_start, relay_group_end);

	relay_policy_defaults(&policy);
	policy.contact_screen = false;
	failed += cmocka_run_group_tests_name("relay rules: contact screen off", screen_off,
					      group_start, relay_group_end);

	relay_policy_defaults(&policy);
	policy.oversight = "digest";
	failed += cmocka_run_group_tests_name("relay rules: oversight digest", digest, group_start,
					      relay_group_end);

	relay_policy_defaults(&policy);
	relay_quiet_window_now(window, sizeof(window));
	policy.quiet_hours = window;
	failed += cmocka_run_group_tests_name("relay rules: quiet hours now", quiet, group_start,
					      relay_group_end);
	return failed ? 1 : 0;
}
