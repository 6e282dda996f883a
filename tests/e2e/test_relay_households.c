/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The district as it is, end to end: households the roster lists the way real exports do
 * (tests/fixtures/households) — a teacher who is also a parent, a relative on file, a
 * counselor on no team — through modemsim and a real chaperoned.
 *
 * One installation for the group; tests run in order. Before each test every inbox is
 * emptied; after it the relay settles and masking and attribution are checked over every
 * inbox.
 *
 *   test_relay_households BUILD_DIR SOURCE_DIR */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <setjmp.h>
#include <cmocka.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "tests/e2e/relay_harness.h"

#define HOUSEHOLDS "tests/fixtures/households"
#define CARMEN	   "+16175550491" /* Jamie's aunt, a OneRoster relative */
#define NOAH	   "+16175550313" /* Soccer and Robotics; guardians Marcus (his coach), Keisha */
#define KEISHA	   "+16175550418"
#define SAM_ONEIL  "+16175550314" /* Soccer; "Sam O." like Sam Ortiz */
#define SIOBHAN	   "+16175550419" /* Sam O'Neil's mother */
#define ANA	   "+16175550105" /* Nurse Ana Ortiz, building staff (title from users.csv) */

static struct relay_env *env;
static struct relay_policy policy;

static int group_start(void **state)
{
	(void)state;
	env = relay_group_begin(HOUSEHOLDS, &policy);
	return 0;
}

static int64_t last_verdict(void)
{
	return relay_sql_int(env, "SELECT max(id) FROM verdicts WHERE kind = 'relay'");
}

static void check_action(const char *action)
{
	char *a = relay_sql_str(env, "SELECT action FROM verdicts WHERE id = %lld",
				(long long)last_verdict());

	RELAY_CHECK(env, a && !strcmp(a, action));
	free(a);
}

/* ======== one person, several roles ======== */

/* Coach Marcus Bell is Noah's father; the export lists him twice (teacher and parent,
 * the same phone written two ways). Messaging his own son he is the guardian on the
 * message: Keisha is copied, and when she has opted out the message still goes, since
 * a guardian — Marcus — is on it. Before, his parent row was imported without a phone,
 * so Noah had Keisha alone and the second message was refused. */
static void test_coach_parent_counts_as_copied(void **state)
{
	(void)state;

	relay_text(env, MARCUS, RELAY_SOCCER, "@noahb Bring your cleats tonight");
	free(relay_expect(env, NOAH, "[Soccer] Coach Marcus Bell: Bring your cleats",
			  RELAY_WAIT_MS));
	relay_expect_all(env, "[Soccer] Coach Marcus Bell to Noah B.: Bring your cleats", KEISHA,
			 ROSA);
	relay_settle(env);
	relay_assert_only(env, NOAH, KEISHA, ROSA);
	check_action("deliver");

	relay_clear(env);
	relay_text(env, KEISHA, RELAY_SOCCER, "STOP");
	free(relay_expect(env, KEISHA, "You will get no more messages", RELAY_WAIT_MS));
	relay_settle(env);
	relay_clear(env);
	relay_text(env, MARCUS, RELAY_SOCCER, "@noahb Dinner after practice");
	free(relay_expect(env, NOAH, "Dinner after practice", RELAY_WAIT_MS));
	/* The sender is told whom the copy missed. */
	free(relay_expect(env, MARCUS,
			  "Sent, but not to Keisha B., guardian of Noah B. (opted out of messages "
			  "from this number).",
			  RELAY_WAIT_MS));
	relay_settle(env);
	relay_assert_only(env, NOAH, ROSA, MARCUS);
	RELAY_CHECK(env, relay_sql_int(env,
				       "SELECT count(*) FROM deliveries d JOIN delivery_state s ON "
				       "s.delivery_id = d.id WHERE d.recipient_number = '%s' AND "
				       "d.why = 'guardian-copy' AND s.status = 'skipped'",
				       KEISHA) == 1);
	check_action("deliver");

	relay_clear(env);
	relay_text(env, KEISHA, RELAY_SOCCER, "START");
	free(relay_expect(env, KEISHA, "You will receive messages", RELAY_WAIT_MS));
}

/* Another adult's message to Noah copies his father, Marcus, on the number he knows. */
static void test_coach_parent_copied_as_guardian(void **state)
{
	(void)state;

	relay_text(env, PRIYA, RELAY_ROBOTICS, "@noahb The build session moved to Thursday");
	free(relay_expect(env, NOAH, "The build session moved", RELAY_WAIT_MS));
	relay_expect_all(env, "[Robotics] Advisor Priya Shah to Noah B.: The build session", MARCUS,
			 KEISHA, HELEN);
	relay_settle(env);
	relay_assert_only(env, NOAH, MARCUS, KEISHA, HELEN);
}

/* On Robotics' number, which serves his son's team and none he coaches, Marcus writes as
 * Noah's parent: his message goes to the advisor, signed as his guardian. */
static void test_coach_parent_writes_as_parent(void **state)
{
	(void)state;

	relay_text(env, MARCUS, RELAY_ROBOTICS, "Noah has a dentist appointment Thursday");
	free(relay_expect(env, PRIYA,
			  "[Robotics] Coach Marcus Bell, guardian of Noah B. (@marcusb): Noah has "
			  "a dentist",
			  RELAY_WAIT_MS));
	relay_settle(env);
	relay_assert_only(env, PRIYA);
	check_action("deliver");
}

/* On Soccer's number he is the coach: a team message is a coach's. */
static void test_coach_parent_writes_as_coach(void **state)
{
	const char *students[] = {JAMIE, ALEX,	SAM,	TAYLOR, JORDAN,
				  CASEY, RILEY, MORGAN, NOAH,	SAM_ONEIL};
	(void)state;

	relay_text(env, MARCUS, RELAY_SOCCER, "#soccer Bus leaves at 3");
	for (size_t i = 0; i < ARRAY_SIZE(students); i++)
		free(relay_expect(env, students[i], "[Soccer] Coach Marcus Bell: Bus leaves at 3",
				  RELAY_WAIT_MS));
	free(relay_expect(env, DANA, "[Soccer] Coach Marcus Bell: Bus leaves", RELAY_WAIT_MS));
	relay_settle(env);
	relay_assert_only(env, JAMIE, ALEX, SAM, TAYLOR, JORDAN, CASEY, RILEY, MORGAN, NOAH,
			  SAM_ONEIL, DANA, ROSA);
}

/* ======== staff beyond teams ======== */

/* Counselor Omar Haddad is on no team. From Lakeview High's building number he writes to
 * a student of the school, with her guardian copied and the principal kept apprised, as
 * for anyone; her reply goes back to him alone (not to the dean, the building's other
 * staff), her guardian copied. Before, he could reach no student at all. */
static void test_counselor_writes_from_building_number(void **state)
{
	char *got;
	(void)state;

	relay_text(env, OMAR, RELAY_BUILDING, "@averyj Can you stop by my office today?");
	got = relay_expect(env, AVERY, "Can you stop by my office today?", RELAY_WAIT_MS);
	RELAY_CHECK(env,
		    relay_body_starts(got, "[Lakeview High] Counselor Omar Haddad: Can you stop"));
	free(got);
	relay_expect_all(env, "[Lakeview High] Counselor Omar Haddad to Avery J.: Can you stop",
			 DENISE, HELEN);
	relay_settle(env);
	relay_assert_only(env, AVERY, DENISE, HELEN);
	check_action("deliver");

	relay_clear(env);
	relay_text(env, AVERY, RELAY_BUILDING, "Sure, at 2?");
	free(relay_expect(env, OMAR, "[Lakeview High] Avery J. (@averyj): Sure, at 2?",
			  RELAY_WAIT_MS));
	free(relay_expect(env, DENISE,
			  "[Lakeview High] Avery J. (@averyj) to Counselor Omar Haddad: Sure",
			  RELAY_WAIT_MS));
	relay_settle(env);
	relay_assert_only(env, OMAR, DENISE, HELEN);
}

/* A building's number is not a broadcast to the whole school. */
static void test_building_is_not_a_team(void **state)
{
	(void)state;

	relay_text(env, OMAR, RELAY_BUILDING, "#lakeview Assembly moved to Friday");
	free(relay_expect(env, OMAR, "Not sent: Lakeview High's number reaches students one at a",
			  RELAY_WAIT_MS));
	relay_settle(env);
	relay_assert_only(env, OMAR);
	check_action("block");
}

/* !crisis works for any staff member, on a number the student knows: the counselor, on
 * no Soccer team, answers Jamie on Soccer's number one-to-one; flagged, alerts sent. */
static void test_counselor_crisis_on_team_number(void **state)
{
	(void)state;

	relay_text(env, OMAR, RELAY_SOCCER, "!crisis @jamier I'm here. Call or text 988 now");
	free(relay_expect(env, JAMIE, "[Soccer] Counselor Omar Haddad: I'm here.", RELAY_WAIT_MS));
	relay_expect_all(env, "CRISIS [Soccer] Counselor Omar Haddad answered Jamie R. one-to-one",
			 ROSA, HELEN);
	relay_settle(env);
	relay_assert_only(env, JAMIE, ROSA, HELEN);
	check_action("deliver");
	RELAY_CHECK(env, relay_sql_int(env, "SELECT flagged FROM verdicts WHERE id = %lld",
				       (long long)last_verdict()) == 1);
}

/* The roster gives titles (users.csv's metadata.title: Ana Ortiz is a nurse) and may name
 * a staff member as a guardian (guardians.csv: Principal Helen Park is Quinn's mother).
 * The nurse writes from the building's number, named by her title; Quinn's mother is
 * copied as his guardian. A nurse's title makes no approver: she cannot approve an
 * exception. */
static void test_titles_and_staff_guardian_from_roster(void **state)
{
	char *out = NULL;
	(void)state;

	relay_text(env, ANA, RELAY_BUILDING, "@quinnf Please come to the nurse's office at 1");
	free(relay_expect(env, QUINN, "[Lakeview High] Nurse Ana Ortiz: Please come",
			  RELAY_WAIT_MS));
	relay_expect_all(env, "[Lakeview High] Nurse Ana Ortiz to Quinn F.: Please come", CHRIS,
			 HELEN);
	relay_settle(env);
	relay_assert_only(env, QUINN, CHRIS, HELEN);
	RELAY_CHECK(env, relay_sql_int(env,
				       "SELECT count(*) FROM deliveries WHERE recipient_number = "
				       "'%s' AND why = 'guardian-copy' AND verdict_id = %lld",
				       HELEN, (long long)last_verdict()) == 1);

	RELAY_CHECK(env, relay_cli(env, &out, "exception", "add", "--staff", "danal", "--student",
				   "quinnf", "--kind", "family", "--reason", "x", "--approved-by",
				   "anao", "--expires", "2099-06-30", NULL) == 1);
	RELAY_HAS(env, out, "anao is staff, not an administrator");
	free(out);
}

/* ======== crisis conversations ======== */

static int64_t flagged_last(void)
{
	return relay_sql_int(env, "SELECT flagged FROM verdicts WHERE id = %lld",
			     (long long)last_verdict());
}

/* Coach Dana answers Jamie "!crisis": a crisis conversation opens. Jamie's reply goes to
 * Dana and the administrators alerted — not to the co-coach, not to the parents (the
 * crisis may be at home); Dana's unaddressed answer stays one-to-one; everything in it
 * is flagged. A coach cannot close it; the principal does, by SMS, and Dana is told.
 * Then Jamie's messages go to the coaches, parents copied, as before. Before, Jamie's
 * reply went to both coaches and both parents, and the counselor got nothing. */
static void test_crisis_conversation(void **state)
{
	(void)state;

	relay_text(env, DANA, RELAY_SOCCER, "!crisis @jamier I'm here. Are you safe right now?");
	free(relay_expect(env, JAMIE, "Are you safe right now?", RELAY_WAIT_MS));
	relay_expect_all(env, "CRISIS [Soccer] Coach Dana Lee answered Jamie R.", ROSA, HELEN,
			 OMAR);
	relay_settle(env);
	relay_assert_only(env, JAMIE, ROSA, HELEN, OMAR);

	relay_clear(env);
	relay_text(env, JAMIE, RELAY_SOCCER, "Not really. Things are bad at home");
	free(relay_expect(env, DANA, "[Soccer] Jamie R. (@jamier): Not really.", RELAY_WAIT_MS));
	relay_expect_all(env,
			 "CRISIS [Soccer] Jamie R. (@jamier) to Coach Dana Lee: Not really. "
			 "Things are bad at home — please review",
			 ROSA, HELEN, OMAR);
	relay_settle(env);
	relay_assert_only(env, DANA, ROSA, HELEN, OMAR);
	RELAY_CHECK(env, flagged_last() == 1);

	relay_clear(env);
	relay_text(env, DANA, RELAY_SOCCER, "Stay at school. Counselor Haddad is on his way");
	free(relay_expect(env, JAMIE, "[Soccer] Coach Dana Lee: Stay at school.", RELAY_WAIT_MS));
	relay_expect_all(env, "CRISIS [Soccer] Coach Dana Lee answered Jamie R. one-to-one: Stay",
			 ROSA, HELEN, OMAR);
	relay_settle(env);
	relay_assert_only(env, JAMIE, ROSA, HELEN, OMAR);
	RELAY_CHECK(env, flagged_last() == 1);

	relay_clear(env);
	relay_text(env, MARCUS, RELAY_SOCCER, "CLOSE @jamier");
	free(relay_expect(env, MARCUS, "Only an administrator can close", RELAY_WAIT_MS));
	relay_settle(env);
	relay_clear(env);
	relay_text(env, HELEN, RELAY_SOCCER, "close @jamier");
	free(relay_expect(env, HELEN, "Closed: the crisis conversation of Jamie R. with Coach Dana",
			  RELAY_WAIT_MS));
	free(relay_expect(env, DANA,
			  "The crisis conversation with Jamie R. is closed by Principal Helen "
			  "Park",
			  RELAY_WAIT_MS));
	relay_settle(env);
	relay_assert_only(env, HELEN, DANA);
	RELAY_CHECK(env,
		    relay_sql_int(env, "SELECT count(*) FROM verdicts WHERE rules = 'crisis-close' "
				       "AND flagged = 1 AND sender_id = (SELECT id FROM persons "
				       "WHERE handle = 'helenp')") == 1);

	relay_clear(env);
	relay_text(env, JAMIE, RELAY_SOCCER, "Thank you coach");
	relay_expect_all(env, "[Soccer] Jamie R. (@jamier): Thank you coach", DANA, MARCUS);
	relay_expect_all(env, "[Soccer] Jamie R. (@jamier) to the Soccer coaches: Thank you", MARIA,
			 LUIS);
	relay_settle(env);
	RELAY_CHECK(env, flagged_last() == 0);
}

/* ======== administrators decide from their phones ======== */

static int64_t last_hold(void)
{
	return relay_sql_int(env, "SELECT max(id) FROM verdicts WHERE action = 'hold'");
}

/* The principal lists the held messages by SMS and releases one (OK) and refuses another
 * (NO, with a reason), with the records `chaperone held` makes; a coach's "OK 12" is an
 * ordinary message and decides nothing. */
static void test_decide_by_sms(void **state)
{
	char text[64], *got;
	int64_t v1, v2;
	(void)state;

	relay_text(env, PRIYA, RELAY_ROBOTICS,
		   "@averyj My cell is 617-555-0103 if the bus is late");
	free(relay_expect(env, PRIYA, "Held for review", RELAY_WAIT_MS));
	relay_settle(env);
	v1 = last_hold();
	relay_clear(env);

	relay_text(env, HELEN, RELAY_ROBOTICS, "held");
	got = relay_expect(env, HELEN, "1 held for an administrator:", RELAY_WAIT_MS);
	snprintf(text, sizeof(text), "#%lld Advisor Priya Shah: \"My cell is ###-###-####",
		 (long long)v1);
	RELAY_HAS(env, got, text);
	RELAY_HAS(env, got, "Reply OK # to send");
	free(got);
	relay_settle(env);
	relay_assert_only(env, HELEN);

	/* Not an administrator: an ordinary message, nothing decided. */
	relay_clear(env);
	snprintf(text, sizeof(text), "OK %lld", (long long)v1);
	relay_text(env, MARCUS, RELAY_SOCCER, text);
	relay_settle(env);
	RELAY_CHECK(
	    env, relay_sql_int(env, "SELECT count(*) FROM hold_decisions WHERE verdict_id = %lld",
			       (long long)v1) == 0);
	relay_assert_nothing(env, AVERY, 200);

	relay_clear(env);
	relay_text(env, HELEN, RELAY_ROBOTICS, text);
	free(relay_expect(env, HELEN, "Released and sent", RELAY_WAIT_MS));
	free(relay_expect(env, AVERY, "My cell is [number withheld] if the bus", RELAY_WAIT_MS));
	free(relay_expect(env, PRIYA,
			  "Your held message was released and sent by an administrator "
			  "(Principal Helen Park).",
			  RELAY_WAIT_MS));
	relay_settle(env);
	RELAY_CHECK(env,
		    relay_sql_int(env,
				  "SELECT count(*) FROM hold_decisions WHERE verdict_id = %lld "
				  "AND decision = 'released' AND decided_by = 'helenp'",
				  (long long)v1) == 1);

	relay_clear(env);
	relay_text(env, PRIYA, RELAY_ROBOTICS, "@averyj Email me at priya.shah@example.com");
	free(relay_expect(env, PRIYA, "Held for review", RELAY_WAIT_MS));
	relay_settle(env);
	v2 = last_hold();
	relay_clear(env);
	snprintf(text, sizeof(text), "no %lld Please keep it on the team channel", (long long)v2);
	relay_text(env, HELEN, RELAY_ROBOTICS, text);
	free(relay_expect(env, HELEN, "Refused", RELAY_WAIT_MS));
	free(relay_expect(env, PRIYA,
			  "not approved by an administrator (Principal Helen Park); it was not "
			  "sent. Note: Please keep it on the team channel",
			  RELAY_WAIT_MS));
	relay_settle(env);
	relay_assert_only(env, HELEN, PRIYA);
	RELAY_CHECK(env,
		    relay_sql_int(env,
				  "SELECT count(*) FROM hold_decisions WHERE verdict_id = %lld "
				  "AND decision = 'rejected' AND note = 'Please keep it on the "
				  "team channel'",
				  (long long)v2) == 1);

	/* Decided already: said so, nothing changes. */
	relay_clear(env);
	snprintf(text, sizeof(text), "OK #%lld", (long long)v2);
	relay_text(env, HELEN, RELAY_ROBOTICS, text);
	free(relay_expect(env, HELEN, "was decided already, by helenp", RELAY_WAIT_MS));
	relay_settle(env);
	relay_assert_only(env, HELEN);

	/* An administrator's "No 3 ..." about no held message is an ordinary message. */
	relay_clear(env);
	relay_text(env, ROSA, RELAY_SOCCER, "No 3 buses are needed Friday");
	free(relay_expect(env, ROSA, "Who is this for?", RELAY_WAIT_MS));
}

/* ======== handles and addressing ======== */

/* Two Sam O.s on Soccer: neither has the bare @samo (import order must not decide who gets
 * it). @samo asks "which one?"; the answer sends the message to the one meant, their
 * guardian copied. Before, the first imported Sam got @samo and the other @samo2, and
 * "@samo" silently reached the first. */
static void test_which_sam(void **state)
{
	char *got;
	(void)state;

	relay_text(env, DANA, RELAY_SOCCER, "@samo Great game today");
	got = relay_expect(env, DANA, "Which one? Reply", RELAY_WAIT_MS);
	RELAY_HAS(env, got, "@samortiz (Sam Ortiz)");
	RELAY_HAS(env, got, "@samoneil (Sam O’Neil)");
	free(got);
	relay_settle(env);
	relay_assert_only(env, DANA);

	relay_clear(env);
	relay_text(env, DANA, RELAY_SOCCER, "@samoneil");
	free(relay_expect(env, SAM_ONEIL, "[Soccer] Coach Dana Lee: Great game today",
			  RELAY_WAIT_MS));
	relay_expect_all(env, "[Soccer] Coach Dana Lee to Sam O.: Great game today", SIOBHAN, ROSA);
	relay_settle(env);
	relay_assert_only(env, SAM_ONEIL, SIOBHAN, ROSA);

	/* The beginning of one handle is asked about, never guessed. */
	relay_clear(env);
	relay_text(env, DANA, RELAY_SOCCER, "@samone Bring the team banner");
	free(relay_expect(env, DANA, "Did you mean @samoneil (Sam O’Neil)?", RELAY_WAIT_MS));
	relay_text(env, DANA, RELAY_SOCCER, "@SamONeil");
	free(relay_expect(env, SAM_ONEIL, "Bring the team banner", RELAY_WAIT_MS));
	relay_settle(env);
	relay_assert_only(env, DANA, SAM_ONEIL, SIOBHAN, ROSA);
}

/* A coach refused a one-to-one (Sam Ortiz's only guardian has no phone) replies ASK: the
 * athletic director, who oversees Soccer, gets the request by text and approves it for
 * a week (ALLOW n 7d); the exception is recorded as `chaperone exception add` records
 * one, and the coach's message then goes. A second request is refused (DENY). */
static void test_ask_allow_deny(void **state)
{
	char *got, text[64];
	int64_t req;
	(void)state;

	relay_text(env, DANA, RELAY_SOCCER, "@samortiz Can you help with the nets after practice?");
	got = relay_expect(env, DANA, "Not sent: no guardian of Sam O. can be reached",
			   RELAY_WAIT_MS);
	RELAY_HAS(env, got, "reply ASK to ask an administrator for an exception");
	free(got);
	relay_settle(env);

	relay_clear(env);
	relay_text(env, DANA, RELAY_SOCCER, "ASK");
	free(relay_expect(env, DANA, "Asked: request", RELAY_WAIT_MS));
	got = relay_expect(env, ROSA, "Coach Dana Lee asks to text Sam O. (Soccer) one-to-one",
			   RELAY_WAIT_MS);
	RELAY_HAS(env, got, "Reply ALLOW");
	free(got);
	relay_settle(env);
	relay_assert_only(env, DANA, ROSA);
	req = relay_sql_int(env, "SELECT max(id) FROM exception_requests");
	RELAY_CHECK(env, req > 0);

	/* Not an administrator: an ordinary message; nothing approved. */
	relay_clear(env);
	snprintf(text, sizeof(text), "ALLOW %lld 7d", (long long)req);
	relay_text(env, MARCUS, RELAY_SOCCER, text);
	relay_settle(env);
	RELAY_CHECK(env,
		    relay_sql_int(env, "SELECT count(*) FROM exception_request_decisions") == 0);

	relay_clear(env);
	relay_text(env, ROSA, RELAY_SOCCER, text);
	free(relay_expect(env, ROSA, "Approved: exception", RELAY_WAIT_MS));
	free(relay_expect(env, DANA,
			  "is approved by Athletic Director Rosa Delgado: you may text Sam O.",
			  RELAY_WAIT_MS));
	relay_settle(env);
	RELAY_CHECK(env, relay_sql_int(env,
				       "SELECT count(*) FROM exceptions e JOIN persons a ON "
				       "a.id = e.approved_by WHERE a.handle = 'rosad' AND e.kind = "
				       "'safety' AND e.expires_at > %lld",
				       (long long)time(NULL) * 1000 + 6LL * 86400 * 1000) == 1);
	sleep_ms(1500); /* chaperoned reloads the directory */

	relay_clear(env);
	relay_text(env, DANA, RELAY_SOCCER, "@samortiz Can you help with the nets after practice?");
	free(relay_expect(env, SAM, "Can you help with the nets", RELAY_WAIT_MS));
	relay_settle(env);

	/* Refused: the coach is told, nothing is allowed. */
	relay_clear(env);
	relay_text(env, MARCUS, RELAY_SOCCER, "@samortiz Need a ride Saturday?");
	free(relay_expect(env, MARCUS, "Not sent", RELAY_WAIT_MS));
	relay_text(env, MARCUS, RELAY_SOCCER, "ASK");
	free(relay_expect(env, MARCUS, "Asked: request", RELAY_WAIT_MS));
	relay_settle(env);
	req = relay_sql_int(env, "SELECT max(id) FROM exception_requests");
	relay_clear(env);
	snprintf(text, sizeof(text), "DENY %lld Use the team chat", (long long)req);
	relay_text(env, ROSA, RELAY_SOCCER, text);
	free(relay_expect(env, MARCUS,
			  "is refused by Athletic Director Rosa Delgado. Note: Use the team chat",
			  RELAY_WAIT_MS));
	relay_settle(env);
	RELAY_CHECK(env, relay_sql_int(env,
				       "SELECT count(*) FROM exception_request_decisions WHERE "
				       "decision = 'denied' AND request_id = %lld",
				       (long long)req) == 1);
}

/* A OneRoster relative is not a guardian (FERPA: parents and guardians): Jamie's aunt,
 * on file with a phone, is not copied on a coach's message to Jamie. */
static void test_relative_never_copied(void **state)
{
	(void)state;

	relay_text(env, DANA, RELAY_SOCCER, "@jamier Can you bring the cones tomorrow?");
	free(relay_expect(env, JAMIE, "Can you bring the cones tomorrow?", RELAY_WAIT_MS));
	relay_expect_all(env, "[Soccer] Coach Dana Lee to Jamie R.: Can you bring the cones", MARIA,
			 LUIS, ROSA);
	relay_settle(env);
	relay_assert_only(env, JAMIE, MARIA, LUIS, ROSA);
	RELAY_CHECK(
	    env, relay_sql_int(env, "SELECT count(*) FROM deliveries WHERE recipient_number = '%s'",
			       CARMEN) == 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, relay_test_setup, relay_test_teardown)

int main(int argc, char **argv)
{
	const struct CMUnitTest households[] = {
	    T(test_coach_parent_counts_as_copied),
	    T(test_coach_parent_copied_as_guardian),
	    T(test_coach_parent_writes_as_parent),
	    T(test_coach_parent_writes_as_coach),
	    T(test_relative_never_copied),
	    T(test_counselor_writes_from_building_number),
	    T(test_building_is_not_a_team),
	    T(test_counselor_crisis_on_team_number),
	    T(test_titles_and_staff_guardian_from_roster),
	    T(test_crisis_conversation),
	    T(test_decide_by_sms),
	    T(test_which_sam),
	    T(test_ask_allow_deny),
	};

	relay_harness_init(argc, argv);
	relay_policy_defaults(&policy);
	policy.modems = 3; /* Lakeview High's building number */
	return cmocka_run_group_tests_name("relay: households as rostered", households, group_start,
					   relay_group_end)
		   ? 1
		   : 0;
}
