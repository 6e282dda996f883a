/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The SMS grammar end to end (gateway/relay/grammar.h): each form a phone can send to a relay
 * number, its case-insensitivity, bad input (a clear reply, nothing relayed), and the
 * questions the relay asks when it cannot tell what a sender means — through modemsim
 * and a real chaperoned.
 *
 * Two groups, each on its own installation: the sample district with the brief's
 * settings, and tests/fixtures/relay_two_teams (Track added on Soccer's number) for a
 * number that serves several of a person's teams. Tests within a group run in order;
 * the comments say where one relies on what came before (conversations steer
 * unaddressed messages, so the tests that need none come first).
 *
 *   test_relay_grammar BUILD_DIR SOURCE_DIR */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "tests/e2e/relay_harness.h"

static struct relay_env *env;
static const char *fixture;

static int group_start(void **state)
{
	struct relay_policy p;

	(void)state;
	relay_policy_defaults(&p);
	env = relay_group_begin(fixture, &p);
	return 0;
}

/* The sender texts, gets one reply from the relay containing `needle`, and nobody else
 * gets anything. Returns the reply (caller frees). */
static char *refused(const char *from, const char *relay, const char *text, const char *needle)
{
	char *reply;

	relay_clear(env);
	relay_text(env, from, relay, text);
	reply = relay_expect(env, from, needle, RELAY_WAIT_MS);
	RELAY_CHECK(env, !strncmp(reply, RELAY_REPLY, strlen(RELAY_REPLY)));
	relay_settle(env);
	relay_assert_only(env, from);
	relay_assert_count(env, from, 1);
	return reply;
}

static int64_t last_question(void)
{
	return relay_sql_int(env, "SELECT max(id) FROM questions");
}

static char *question_outcome(int64_t id)
{
	return relay_sql_str(env, "SELECT outcome FROM question_answers WHERE question_id = %lld",
			     (long long)id);
}

static void check_no_held(void)
{
	char *out = NULL;

	/* A question waits for its sender, not for an administrator. */
	RELAY_CHECK(env, relay_cli(env, &out, "held", "list", "--db", env->db, NULL) == 0);
	RELAY_HAS(env, out, "No held messages.");
	free(out);
}

/* ======== ambiguity: a staff message without an address ======== */

/* No address and no recent conversation: the relay asks; "#soccer" alone answers and
 * sends the held text to the team. First in the group: Dana has no conversation yet. */
static void test_unaddressed_staff_asks_then_tag_answers(void **state)
{
	char *reply, *outcome;
	int64_t q;
	(void)state;

	reply = refused(DANA, RELAY_SOCCER, "Bring water bottles tomorrow", "Who is this for?");
	RELAY_HAS(env, reply, "Reply #soccer (whole team) or @name to send it, or DISCARD");
	free(reply);
	q = last_question();
	RELAY_CHECK(env, q > 0);
	check_no_held();

	relay_clear(env);
	relay_text(env, DANA, RELAY_SOCCER, "#soccer");
	relay_expect_all(env, "[Soccer] Coach Dana Lee: Bring water bottles tomorrow",
			 SOCCER_STUDENTS, MARCUS);
	free(relay_expect(env, ROSA, "to the Soccer team: Bring water bottles tomorrow",
			  RELAY_WAIT_MS));
	relay_settle(env);
	relay_assert_only(env, SOCCER_STUDENTS, MARCUS, ROSA);
	outcome = question_outcome(q);
	RELAY_CHECK(env, outcome && !strcmp(outcome, "answered"));
	free(outcome);
	check_no_held();
}

/* DISCARD drops the held text; with nothing held it says so; an address alone is then
 * no answer but a message without text. */
static void test_unaddressed_staff_discard(void **state)
{
	char *outcome;
	int64_t q;
	(void)state;

	free(refused(MARCUS, RELAY_SOCCER, "Shin guards tomorrow", "Who is this for?"));
	q = last_question();
	free(refused(MARCUS, RELAY_SOCCER, "discard", "Dropped; it was not sent."));
	outcome = question_outcome(q);
	RELAY_CHECK(env, outcome && !strcmp(outcome, "discarded"));
	free(outcome);
	free(
	    refused(MARCUS, RELAY_SOCCER, "DISCARD", "There is no message waiting for an answer."));
	free(refused(MARCUS, RELAY_SOCCER, "#soccer", "the message has an address but no text"));
}

/* ======== addressing forms ======== */

static void test_team_tag(void **state)
{
	(void)state;

	relay_text(env, DANA, RELAY_SOCCER, "#soccer Practice at 5");
	relay_expect_all(env, "[Soccer] Coach Dana Lee: Practice at 5", SOCCER_STUDENTS, MARCUS);
	relay_expect_all(env, "Coach Dana Lee to the Soccer team: Practice at 5", ROSA);
	relay_settle(env);
	relay_assert_only(env, SOCCER_STUDENTS, MARCUS, ROSA);
}

/* Phones capitalise: tags, handles, flags and keywords are case-insensitive. */
static void test_case_insensitive(void **state)
{
	char *reply;
	(void)state;

	relay_text(env, DANA, RELAY_SOCCER, "#SOCCER Practice at 6");
	relay_expect_all(env, "[Soccer] Coach Dana Lee: Practice at 6", SOCCER_STUDENTS, MARCUS);
	relay_settle(env);
	relay_assert_only(env, SOCCER_STUDENTS, MARCUS, ROSA);

	relay_clear(env);
	relay_text(env, DANA, RELAY_SOCCER, "!URGENT @JamieR Your ride is here");
	free(relay_expect(env, JAMIE, "[Soccer] Coach Dana Lee: Your ride is here", RELAY_WAIT_MS));
	relay_expect_all(env, "to Jamie R.: Your ride is here", MARIA, LUIS, ROSA);
	relay_settle(env);
	relay_assert_only(env, JAMIE, MARIA, LUIS, ROSA);

	reply = refused(DANA, RELAY_SOCCER, "help", "Chaperone (staff):");
	free(reply);
	reply = refused(DANA, RELAY_SOCCER, "Who #Soccer", "Soccer (#soccer):");
	free(reply);
}

static void test_team_subgroup(void **state)
{
	(void)state;

	relay_text(env, DANA, RELAY_SOCCER, "#soccer.injured Trainer at 3");
	relay_expect_all(env, "[Soccer] Coach Dana Lee: Trainer at 3", ALEX, CASEY);
	relay_expect_all(env, "to Soccer injured (Alex K., Casey M.): Trainer at 3", GRACE, PAT,
			 ROSA);
	relay_settle(env);
	relay_assert_only(env, ALEX, CASEY, GRACE, PAT, ROSA);
}

static void test_subgroup_alone(void **state)
{
	(void)state;

	relay_text(env, DANA, RELAY_SOCCER, "#injured Ice bath after practice");
	relay_expect_all(env, "[Soccer] Coach Dana Lee: Ice bath after practice", ALEX, CASEY);
	relay_expect_all(env, "to Soccer injured (Alex K., Casey M.): Ice bath", GRACE, PAT, ROSA);
	relay_settle(env);
	relay_assert_only(env, ALEX, CASEY, GRACE, PAT, ROSA);
}

static void test_handle(void **state)
{
	(void)state;

	relay_text(env, DANA, RELAY_SOCCER, "@jamier Great hustle today");
	free(
	    relay_expect(env, JAMIE, "[Soccer] Coach Dana Lee: Great hustle today", RELAY_WAIT_MS));
	relay_expect_all(env, "[Soccer] Coach Dana Lee to Jamie R.: Great hustle today", MARIA,
			 LUIS, ROSA);
	relay_settle(env);
	relay_assert_only(env, JAMIE, MARIA, LUIS, ROSA);
}

static void test_handles(void **state)
{
	(void)state;

	relay_text(env, DANA, RELAY_SOCCER, "@jamier @taylorn Bring the cones");
	relay_expect_all(env, "[Soccer] Coach Dana Lee: Bring the cones", JAMIE, TAYLOR);
	relay_expect_all(env, "[Soccer] Coach Dana Lee to Jamie R., Taylor N.: Bring the cones",
			 MARIA, LUIS, HOA, ROSA);
	relay_settle(env);
	relay_assert_only(env, JAMIE, TAYLOR, MARIA, LUIS, HOA, ROSA);
	relay_assert_count(env, JAMIE, 1);
}

/* !urgent is a flag, not text: the team gets the message without it. */
static void test_urgent_flag(void **state)
{
	char *got;
	(void)state;

	relay_text(env, DANA, RELAY_SOCCER, "!urgent #soccer Bus leaves now");
	relay_expect_all(env, "[Soccer] Coach Dana Lee: Bus leaves now", SOCCER_STUDENTS, MARCUS);
	got = relay_expect(env, JAMIE, "Bus leaves now", RELAY_WAIT_MS);
	RELAY_CHECK(env, !strstr(got, "!urgent"));
	free(got);
	relay_settle(env);
	relay_assert_only(env, SOCCER_STUDENTS, MARCUS, ROSA);
}

/* !crisis @student: the student alone (guardians not copied), administrators alerted;
 * CLOSE @student from an administrator ends the crisis conversation. */
static void test_crisis_flag(void **state)
{
	(void)state;

	relay_text(env, DANA, RELAY_SOCCER, "!crisis @jamier I'm here for you. Call me now");
	free(relay_expect(env, JAMIE, "[Soccer] Coach Dana Lee: I'm here for you", RELAY_WAIT_MS));
	relay_expect_all(env, "CRISIS [Soccer] Coach Dana Lee answered Jamie R. one-to-one", ROSA,
			 HELEN, OMAR);
	relay_settle(env);
	relay_assert_only(env, JAMIE, ROSA, HELEN, OMAR);

	/* The crisis conversation it opened is closed by the athletic director. */
	relay_clear(env);
	relay_text(env, ROSA, RELAY_SOCCER, "CLOSE @jamier");
	free(relay_expect(env, ROSA, "Closed: the crisis conversation of Jamie R.", RELAY_WAIT_MS));
	relay_settle(env);
	relay_assert_only(env, ROSA, DANA);
}

/* ======== commands ======== */

static void test_help_staff(void **state)
{
	char *reply;
	(void)state;

	reply = refused(DANA, RELAY_SOCCER, "HELP", "Chaperone (staff): #team msg = whole team.");
	RELAY_HAS(env, reply, "!crisis @name");
	free(reply);
	free(refused(PRIYA, RELAY_ROBOTICS, "Info", "Chaperone (staff):"));
}

static void test_help_family(void **state)
{
	char *reply;
	(void)state;

	reply = refused(JAMIE, RELAY_SOCCER, "help",
			"Chaperone: text this number to reach your team's coaches or advisors");
	RELAY_HAS(env, reply, "STOP = no more messages, START = back in.");
	free(reply);
	free(refused(MARIA, RELAY_SOCCER, "Help?", "Chaperone: text this number"));
}

static void test_who_staff(void **state)
{
	(void)state;

	free(refused(DANA, RELAY_SOCCER, "WHO",
		     "Your teams on this number: #soccer (Soccer, 8). Reply WHO #team for names."));
}

static void test_who_team(void **state)
{
	char *reply;
	(void)state;

	reply = refused(DANA, RELAY_SOCCER, "who #soccer", "Soccer (#soccer): Jamie R. @jamier");
	RELAY_HAS(env, reply, "Sam O. @samo");
	RELAY_HAS(env, reply, "Morgan P. @morganp");
	RELAY_HAS(env, reply, "Groups: #soccer.injured");
	free(reply);
	free(refused(DANA, RELAY_SOCCER, "WHO #robotics", "No such team on this number."));
}

/* A student or guardian: the team's staff, by name. */
static void test_who_family(void **state)
{
	(void)state;

	free(refused(JAMIE, RELAY_SOCCER, "WHO", "Soccer: Coach Dana Lee, Coach Marcus Bell"));
	free(refused(MARIA, RELAY_SOCCER, "who?", "Soccer: Coach Dana Lee, Coach Marcus Bell"));
	free(refused(RILEY, RELAY_ROBOTICS, "Who", "Robotics: Advisor Priya Shah"));
}

/* STOP and its carrier synonyms, START and UNSTOP, with the punctuation phones add. */
static void test_stop_start(void **state)
{
	(void)state;

	free(refused(MORGAN, RELAY_SOCCER, "Stop.", "You will get no more messages"));
	relay_clear(env);
	relay_text(env, DANA, RELAY_SOCCER, "#soccer Captains meeting at noon");
	relay_expect_all(env, "Captains meeting at noon", JAMIE, ALEX, SAM, TAYLOR, JORDAN, CASEY,
			 RILEY);
	relay_settle(env);
	relay_assert_only(env, JAMIE, ALEX, SAM, TAYLOR, JORDAN, CASEY, RILEY, MARCUS, ROSA);
	free(refused(MORGAN, RELAY_SOCCER, "start",
		     "You will receive messages from this number "
		     "again"));

	free(refused(ANITA, RELAY_SOCCER, "UNSUBSCRIBE", "You will get no more messages"));
	free(refused(ANITA, RELAY_SOCCER, "unstop", "again"));
	free(refused(ANITA, RELAY_SOCCER, "cancel", "You will get no more messages"));
	free(refused(ANITA, RELAY_SOCCER, "START", "again"));
	RELAY_CHECK(env, relay_sql_int(env, "SELECT count(*) FROM optouts WHERE number = '" ANITA
					    "'") == 4);
}

/* ======== bad input: a clear reply, nothing relayed ======== */

static void test_bad_unknown_tag(void **state)
{
	char *reply;
	(void)state;

	reply = refused(DANA, RELAY_SOCCER, "#socer Practice at 5",
			"Not sent: nobody is called #socer.");
	RELAY_HAS(env, reply, "Your teams on this number: #soccer.");
	free(reply);
}

static void test_bad_unknown_handle(void **state)
{
	(void)state;

	free(refused(DANA, RELAY_SOCCER, "@jamiex Practice at 5",
		     "Not sent: nobody is called @jamiex."));
	/* The beginning of one handle is not guessed: asked about. */
	free(refused(DANA, RELAY_SOCCER, "@jamie Practice at 5",
		     "Did you mean @jamier (Jamie Rivera)? Reply with the handle"));
	free(refused(DANA, RELAY_SOCCER, "DISCARD", "Dropped; it was not sent."));
	/* Known handle, unknown one: nothing goes to the known one either. */
	free(refused(DANA, RELAY_SOCCER, "@jamier @nobody Practice at 5",
		     "nobody is called @nobody"));
}

/* CALL @name: the call rules decide and the sender is told; the call is recorded. This
 * relay has no modem that carries calls, so an allowed call is recorded as not placed. */
static void test_call_requests(void **state)
{
	char *rules, *reason;

	(void)state;
	free(refused(DANA, RELAY_SOCCER, "CALL @jamier", "Calls are not available on this number"));
	RELAY_CHECK(env, relay_sql_int(env, "SELECT count(*) FROM calls") == 1);
	rules = relay_sql_str(env, "SELECT rules FROM calls ORDER BY id DESC LIMIT 1");
	reason = relay_sql_str(env, "SELECT reason FROM calls ORDER BY id DESC LIMIT 1");
	RELAY_HAS(env, rules, "guardian-copy");
	RELAY_HAS(env, reason, "not placed");
	free(rules);
	free(reason);
	/* Sam's only guardian has no phone: nobody can join, so no call. */
	free(refused(DANA, RELAY_SOCCER, "call @samo", "Call not placed: Sam O. cannot be called"));
	/* Students do not call each other through the relay. */
	free(refused(JAMIE, RELAY_SOCCER, "CALL @alexk",
		     "Call not placed: Calls through this number go to"));
	free(refused(DANA, RELAY_SOCCER, "CALL @nobodyhere", "Nobody is called @nobodyhere."));
	free(refused(DANA, RELAY_SOCCER, "CALL @jamier @alexk",
		     "To call someone through this number"));
	RELAY_CHECK(env,
		    relay_sql_int(env, "SELECT count(*) FROM calls WHERE action = 'refuse'") == 3);
}

static void test_bad_unknown_flag(void **state)
{
	(void)state;

	free(refused(DANA, RELAY_SOCCER, "!urgnet #soccer Bus leaves now",
		     "Not sent: \"!urgnet\" is not a flag I know. Use !urgent or !crisis"));
}

static void test_bad_address_without_text(void **state)
{
	(void)state;

	free(refused(DANA, RELAY_SOCCER, "@jamier", "the message has an address but no text"));
	free(refused(DANA, RELAY_SOCCER, "#soccer.injured", "has an address but no text"));
}

static void test_bad_mixed_team_and_handle(void **state)
{
	(void)state;

	free(refused(DANA, RELAY_SOCCER, "#soccer @jamier Stay after",
		     "Not sent: a message goes to one team or group at a time."));
	free(
	    refused(DANA, RELAY_SOCCER, "@jamier #soccer Stay after",
		    "Not sent: a message goes to one team (#tag) or to people (@name), not both."));
}

/* A team the other relay number serves: the reply names the right number. */
static void test_bad_team_of_other_relay(void **state)
{
	(void)state;

	free(refused(DANA, RELAY_SOCCER, "#robotics Field trip",
		     "Not sent: #robotics is not served by this number. Text " RELAY_ROBOTICS));
	free(refused(PRIYA, RELAY_SOCCER, "#robotics Meeting moved",
		     "#robotics is not served by this number. Text " RELAY_ROBOTICS));
}

static void test_bad_malformed_address(void **state)
{
	(void)state;

	free(refused(DANA, RELAY_SOCCER, "@@jamier hi",
		     "Not sent: \"@@jamier\" is not an address."));
}

/* Students and families write to the team's staff; # and @ words are refused with how
 * to write instead, rather than forwarded to the coaches as if they were text. */
static void test_bad_family_addressing(void **state)
{
	(void)state;

	free(refused(JAMIE, RELAY_SOCCER, "#soccer Party at my place Saturday",
		     "students and families cannot message a team, a group or a person"));
	free(refused(JAMIE, RELAY_SOCCER, "@taylorn want a ride?", "without # or @ words"));
	free(refused(MARIA, RELAY_SOCCER, "@danal please call me", "without # or @ words"));
}

/* ======== ambiguity: replies ======== */

/* An unaddressed staff message after a student's message answers that student, with the
 * guardians copied. Near the end: it starts Dana's conversation with Jamie. */
static void test_unaddressed_reply_goes_to_student(void **state)
{
	char *got;
	(void)state;

	relay_text(env, JAMIE, RELAY_SOCCER, "Coach, I twisted my ankle");
	relay_expect_all(env, "[Soccer] Jamie R. (@jamier): Coach, I twisted my ankle", DANA,
			 MARCUS);
	relay_expect_all(env, "to the Soccer coaches: Coach, I twisted my ankle", MARIA, LUIS);
	relay_settle(env);

	relay_clear(env);
	relay_text(env, DANA, RELAY_SOCCER, "Ice it tonight and rest tomorrow");
	got = relay_expect(env, JAMIE, "Ice it tonight and rest tomorrow", RELAY_WAIT_MS);
	RELAY_CHECK(env, relay_body_starts(got, "[Soccer] Coach Dana Lee: Ice it tonight"));
	free(got);
	relay_expect_all(env, "[Soccer] Coach Dana Lee to Jamie R.: Ice it tonight", MARIA, LUIS,
			 ROSA);
	relay_settle(env);
	relay_assert_only(env, JAMIE, MARIA, LUIS, ROSA);
}

/* Riley is on Soccer (this number) and Robotics (the other): one team per number, so
 * never asked which. */
static void test_two_teams_on_two_numbers_not_ambiguous(void **state)
{
	(void)state;

	relay_text(env, RILEY, RELAY_SOCCER, "Can I leave practice early Friday?");
	relay_expect_all(env, "[Soccer] Riley C. (@rileyc): Can I leave practice early Friday?",
			 DANA, MARCUS);
	relay_expect_all(env, "to the Soccer coaches: Can I leave", WEI, LIN);
	relay_settle(env);
	relay_assert_only(env, DANA, MARCUS, WEI, LIN);

	relay_clear(env);
	relay_text(env, RILEY, RELAY_ROBOTICS, "Is the robot ready?");
	free(relay_expect(env, PRIYA, "[Robotics] Riley C. (@rileyc): Is the robot ready?",
			  RELAY_WAIT_MS));
	relay_expect_all(env, "to the Robotics advisors: Is the robot ready?", WEI, LIN);
	relay_settle(env);
	relay_assert_only(env, PRIYA, WEI, LIN);
}

/* ======== several teams on one number (relay_two_teams) ======== */

/* A coach of Soccer and Track writes to a student of both: asked which team; "#track"
 * sends it to that student, in Track's context — not to all of Track. First in its
 * group: Marcus has no conversation yet. */
static void test_staff_asked_which_team_for_people(void **state)
{
	char *reply, *got;
	(void)state;

	reply =
	    refused(MARCUS, RELAY_SOCCER, "@taylorn Good run today", "Which team is this about?");
	RELAY_HAS(env, reply, "Reply #soccer or #track to send it, or DISCARD");
	free(reply);
	check_no_held();

	relay_clear(env);
	relay_text(env, MARCUS, RELAY_SOCCER, "#track");
	got = relay_expect(env, TAYLOR, "Good run today", RELAY_WAIT_MS);
	RELAY_CHECK(env, relay_body_starts(got, "[Track] Coach Marcus Bell: Good run today"));
	free(got);
	relay_expect_all(env, "[Track] Coach Marcus Bell to Taylor N.: Good run today", HOA, ROSA);
	relay_settle(env);
	relay_assert_only(env, TAYLOR, HOA, ROSA);
}

/* A group name both of a coach's teams have: asked; the full name answers. */
static void test_staff_asked_which_subgroup(void **state)
{
	char *reply;
	(void)state;

	reply = refused(MARCUS, RELAY_SOCCER, "#injured Ice bath at 4",
			"More than one team has a group \"injured\".");
	RELAY_HAS(env, reply, "Reply #soccer.injured or #track.injured");
	free(reply);
	relay_clear(env);
	relay_text(env, MARCUS, RELAY_SOCCER, "#track.injured");
	free(relay_expect(env, TAYLOR, "[Track] Coach Marcus Bell: Ice bath at 4", RELAY_WAIT_MS));
	relay_expect_all(env, "to Track injured (Taylor N.): Ice bath at 4", HOA, ROSA);
	relay_settle(env);
	relay_assert_only(env, TAYLOR, HOA, ROSA);
}

/* A student on Soccer and Track, no recent conversation: asked which team; "TRACK" sends
 * the held text to Track's coaches. */
static void test_student_asked_which_team(void **state)
{
	char *reply;
	(void)state;

	reply = refused(JAMIE, RELAY_SOCCER, "Can I miss practice Friday?",
			"Which team is this for? Reply SOCCER or TRACK");
	free(reply);
	relay_clear(env);
	relay_text(env, JAMIE, RELAY_SOCCER, "TRACK");
	relay_expect_all(env, "[Track] Jamie R. (@jamier): Can I miss practice Friday?", TOM,
			 MARCUS);
	relay_expect_all(env, "[Track] Jamie R. (@jamier) to the Track coaches: Can I miss", MARIA,
			 LUIS);
	relay_settle(env);
	relay_assert_only(env, TOM, MARCUS, MARIA, LUIS);
	RELAY_CHECK(env, relay_sql_int(env,
				       "SELECT count(*) FROM question_answers WHERE "
				       "outcome = 'answered' AND question_id = %lld",
				       (long long)last_question()) == 1);
}

/* After a coach's one-to-one on one team, the student's reply goes to that team without
 * a question; a one-to-one from the other team's coach turns the conversation. */
static void test_student_reply_follows_thread(void **state)
{
	(void)state;

	relay_text(env, TOM, RELAY_SOCCER, "@jamier Meet at the track at 7");
	free(relay_expect(env, JAMIE, "[Track] Coach Tom Reyes: Meet at the track at 7",
			  RELAY_WAIT_MS));
	relay_settle(env);
	relay_clear(env);
	relay_text(env, JAMIE, RELAY_SOCCER, "OK see you there");
	relay_expect_all(env, "[Track] Jamie R. (@jamier): OK see you there", TOM, MARCUS);
	relay_settle(env);
	relay_assert_only(env, TOM, MARCUS, MARIA, LUIS);

	relay_clear(env);
	relay_text(env, DANA, RELAY_SOCCER, "@jamier Need your permission form");
	free(relay_expect(env, JAMIE, "[Soccer] Coach Dana Lee: Need your permission form",
			  RELAY_WAIT_MS));
	relay_settle(env);
	relay_clear(env);
	relay_text(env, JAMIE, RELAY_SOCCER, "Will bring it tomorrow");
	relay_expect_all(env, "[Soccer] Jamie R. (@jamier): Will bring it tomorrow", DANA, MARCUS);
	relay_settle(env);
	relay_assert_only(env, DANA, MARCUS, MARIA, LUIS);
}

#define T(f) cmocka_unit_test_setup_teardown(f, relay_test_setup, relay_test_teardown)

int main(int argc, char **argv)
{
	const struct CMUnitTest district[] = {
	    /* Before any conversation exists. */
	    T(test_unaddressed_staff_asks_then_tag_answers),
	    T(test_unaddressed_staff_discard),
	    T(test_team_tag),
	    T(test_case_insensitive),
	    T(test_team_subgroup),
	    T(test_subgroup_alone),
	    T(test_handle),
	    T(test_handles),
	    T(test_urgent_flag),
	    T(test_crisis_flag),
	    T(test_help_staff),
	    T(test_help_family),
	    T(test_who_staff),
	    T(test_who_team),
	    T(test_who_family),
	    T(test_stop_start),
	    T(test_bad_unknown_tag),
	    T(test_bad_unknown_handle),
	    T(test_call_requests),
	    T(test_bad_unknown_flag),
	    T(test_bad_address_without_text),
	    T(test_bad_mixed_team_and_handle),
	    T(test_bad_team_of_other_relay),
	    T(test_bad_malformed_address),
	    T(test_bad_family_addressing),
	    /* These start conversations. */
	    T(test_unaddressed_reply_goes_to_student),
	    T(test_two_teams_on_two_numbers_not_ambiguous),
	};
	const struct CMUnitTest two_teams[] = {
	    T(test_staff_asked_which_team_for_people),
	    T(test_staff_asked_which_subgroup),
	    T(test_student_asked_which_team),
	    T(test_student_reply_follows_thread),
	};
	int failed = 0;

	relay_harness_init(argc, argv);
	fixture = "tests/fixtures/district";
	failed += cmocka_run_group_tests_name("relay grammar: district", district, group_start,
					      relay_group_end);
	fixture = "tests/fixtures/relay_two_teams";
	failed += cmocka_run_group_tests_name("relay grammar: two teams on one number", two_teams,
					      group_start, relay_group_end);
	return failed ? 1 : 0;
}
