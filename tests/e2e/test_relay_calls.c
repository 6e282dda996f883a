/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Calls into a relay number, end to end: a real chaperoned on modems that carry calls
 * (modemsim's EC25), phones that call.
 *
 * - A number the directory does not know is answered with the relay's message, the
 *   caller hears it, the call is hung up when it has played, and everything is recorded:
 *   the call (rule unknown-caller), the caller's leg, the answer, the prompt with its
 *   SHA-256 (the built prompt's), the end. The same number calling again the same day is
 *   declined, and that is recorded too.
 * - A parent in the directory calling the number hears the menu of whom she may call.
 * - A district's own recording of a prompt (`prompts DIR`) is what callers hear, and its
 *   hash is what the archive holds.
 * - Answered calls are recorded as audio: a FLAC file beside the database named by its
 *   SHA-256, owner-only, its hash in the archive; a call cut off by a kill has its
 *   recording recovered at the next start, flagged. `records verify` re-hashes them and
 *   fails when one changes.
 *
 *   test_relay_calls BUILD_DIR SOURCE_DIR */
#include <setjmp.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sndfile.h>
#include <talloc.h>

#include "gateway/voice/prompts/prompts.h"
#include "tests/e2e/harness.h"
#include "tests/e2e/relay_harness.h"

#define STRANGER "+16175559999"

static struct relay_env *env;

static int group_start(void **state)
{
	struct relay_policy p;

	(void)state;
	relay_policy_defaults(&p);
	p.model = "EC25";
	env = relay_group_begin("tests/fixtures/district", &p);
	return 0;
}

/* The phone's call with the relay is over (modemsim lists no call of it). */
static bool phone_in_call(const char *phone)
{
	struct json_object *r = sim_ctl_ok(env->sim, "{\"cmd\":\"calls\"}");
	bool in = strstr(json_object_to_json_string(r), phone) != NULL;

	json_object_put(r);
	return in;
}

static void wait_call_over(const char *phone)
{
	long long end = now_ms() + 20000;

	while (phone_in_call(phone) && now_ms() < end)
		sleep_ms(100);
	RELAY_CHECK(env, !phone_in_call(phone));
}

/* Samples the phone heard, and how many of them were not near silence. */
static void heard(const char *phone, long *samples, long *loud)
{
	char path[192];
	struct json_object *r, *v;

	snprintf(path, sizeof(path), "%s/heard.wav", env->dir);
	r = sim_ctl_ok(env->sim,
		       "{\"cmd\":\"heard\",\"phone\":\"%s\",\"wav\":\"%s\",\"clear\":true}", phone,
		       path);
	*samples = json_object_object_get_ex(r, "samples", &v) ? (long)json_object_get_int64(v) : 0;
	json_object_put(r);
	*loud = 0;
	{
		FILE *f = fopen(path, "rb");
		int16_t buf[4096];
		size_t n;

		RELAY_CHECK(env, f != NULL);
		fseek(f, 44, SEEK_SET);
		while ((n = fread(buf, sizeof(buf[0]), 4096, f)) > 0)
			for (size_t i = 0; i < n; i++)
				*loud += buf[i] > 1000 || buf[i] < -1000;
		fclose(f);
	}
}

/* The call of `number`'s recording: in the archive (recovered or not), its file beside
 * the database, owner-only, as long as the message at least. */
static void check_recording(const char *number, int recovered)
{
	const struct voice_prompt *p = voice_prompt_find("unknown_caller");
	char *sha, path[256];
	struct stat st;

	/* Recordings are finished off the event loop: the row comes when it is done. */
	relay_wait_sql_int(env, 1, 10000,
			   "SELECT count(*) FROM call_recordings r JOIN calls c ON c.id = r.call_id"
			   " WHERE c.initiator_number = '%s' AND r.recovered = %d",
			   number, recovered);
	sha = relay_sql_str(env,
			    "SELECT r.sha256 FROM call_recordings r JOIN calls c ON c.id ="
			    " r.call_id WHERE c.initiator_number = '%s' AND r.recovered = %d",
			    number, recovered);
	RELAY_CHECK(env, sha && strlen(sha) == 64);
	snprintf(path, sizeof(path), "%s/recordings/%s.flac", env->dir, sha);
	RELAY_CHECK(env, stat(path, &st) == 0);
	RELAY_CHECK(env, (st.st_mode & 0777) == 0600);
	if (!recovered)
		RELAY_CHECK(env, relay_sql_int(env,
					       "SELECT duration_ms FROM call_recordings WHERE"
					       " sha256 = '%s'",
					       sha) >= (int64_t)(p->samples / 8));
	free(sha);
}

static void test_unknown_caller_hears_the_message(void **state)
{
	const struct voice_prompt *p = voice_prompt_find("unknown_caller");
	char *rules, *detail, *kinds;
	long samples, loud;

	(void)state;
	RELAY_CHECK(env, p != NULL);
	json_object_put(sim_ctl_ok(env->sim, "{\"cmd\":\"call\",\"from\":\"%s\",\"to\":\"%s\"}",
				   STRANGER, RELAY_SOCCER));
	wait_call_over(STRANGER);
	heard(STRANGER, &samples, &loud);
	/* The message is a few seconds of speech; the caller heard it. */
	RELAY_CHECK(env, samples >= (long)p->samples);
	RELAY_CHECK(env, loud > 4000);
	rules =
	    relay_sql_str(env, "SELECT rules FROM calls WHERE initiator_number = '%s'", STRANGER);
	RELAY_HAS(env, rules, "unknown-caller");
	detail = relay_sql_str(env,
			       "SELECT detail FROM call_events WHERE kind = 'prompt' AND call_id ="
			       " (SELECT max(id) FROM calls WHERE initiator_number = '%s')",
			       STRANGER);
	RELAY_HAS(env, detail, p->sha256);
	kinds = relay_sql_str(env,
			      "SELECT group_concat(kind, ',') FROM (SELECT kind FROM call_events"
			      " WHERE call_id = (SELECT max(id) FROM calls WHERE initiator_number ="
			      " '%s') ORDER BY id)",
			      STRANGER);
	RELAY_CHECK(env, !strcmp(kinds, "answer,prompt,end"));
	check_recording(STRANGER, 0);
	free(rules);
	free(detail);
	free(kinds);

	/* Again the same day: declined, recorded, not answered. */
	json_object_put(sim_ctl_ok(env->sim, "{\"cmd\":\"call\",\"from\":\"%s\",\"to\":\"%s\"}",
				   STRANGER, RELAY_SOCCER));
	wait_call_over(STRANGER);
	RELAY_CHECK(env,
		    relay_sql_int(env, "SELECT count(*) FROM calls WHERE initiator_number = '%s'",
				  STRANGER) == 2);
	detail =
	    relay_sql_str(env, "SELECT reason FROM calls WHERE id = (SELECT max(id) FROM calls)");
	RELAY_HAS(env, detail, "answered once today already");
	free(detail);
	RELAY_CHECK(env,
		    relay_sql_int(env, "SELECT count(*) FROM call_events WHERE kind = 'answer' AND"
				       " call_id = (SELECT max(id) FROM calls)") == 0);
}

/* A parent in the directory is answered with the menu of whom she may call (the call
 * flow, tests/e2e/test_relay_bridge.c, does the rest); she hangs up at the menu. */
static void test_known_caller_menu(void **state)
{
	char *reason, *end;
	int64_t call;

	(void)state;
	json_object_put(sim_ctl_ok(env->sim, "{\"cmd\":\"call\",\"from\":\"%s\",\"to\":\"%s\"}",
				   MARIA, RELAY_SOCCER));
	relay_wait_sql_int(env, 1, 20000,
			   "SELECT count(*) FROM call_events e JOIN calls c ON c.id = e.call_id"
			   " WHERE c.initiator_number = '%s' AND e.kind = 'prompt' AND e.detail"
			   " LIKE '%%Press 1 for Coach Dana Lee. Press 2 for Coach Marcus Bell.'",
			   MARIA);
	json_object_put(sim_ctl_ok(env->sim, "{\"cmd\":\"hangup\",\"phone\":\"%s\"}", MARIA));
	wait_call_over(MARIA);
	call = relay_sql_int(env, "SELECT id FROM calls WHERE initiator_number = '%s'", MARIA);
	reason = relay_sql_str(env, "SELECT reason FROM calls WHERE id = %lld", (long long)call);
	RELAY_HAS(env, reason, "answered with the menu");
	free(reason);
	relay_wait_sql_int(env, 1, 10000,
			   "SELECT count(*) FROM call_events WHERE call_id = %lld AND kind = 'end'",
			   (long long)call);
	end = relay_sql_str(env,
			    "SELECT detail FROM call_events WHERE call_id = %lld AND kind ="
			    " 'end'",
			    (long long)call);
	RELAY_HAS(env, end, "Maria R. hung up");
	free(end);
}

/* chaperoned is killed while a stranger hears the message: after the restart the call
 * is recorded as ended by the restart, and nothing of it is lost. */
static void test_kill_mid_call(void **state)
{
	const char *stranger = "+16175559998";
	long long end = now_ms() + 15000;
	char *detail;

	(void)state;
	json_object_put(sim_ctl_ok(env->sim, "{\"cmd\":\"call\",\"from\":\"%s\",\"to\":\"%s\"}",
				   stranger, RELAY_SOCCER));
	while (now_ms() < end &&
	       relay_sql_int(env,
			     "SELECT count(*) FROM call_events e JOIN calls c ON c.id = e.call_id"
			     " WHERE c.initiator_number = '%s' AND e.kind = 'prompt'",
			     stranger) == 0)
		sleep_ms(50);
	relay_kill(env, SIGKILL);
	relay_launch(env);
	detail = relay_sql_str(env,
			       "SELECT group_concat(e.kind || ':' || coalesce(e.detail, ''), ' | ')"
			       " FROM call_events e JOIN calls c ON c.id = e.call_id WHERE"
			       " c.initiator_number = '%s'",
			       stranger);
	RELAY_HAS(env, detail, "answer:");
	RELAY_HAS(env, detail, "prompt:unknown_caller");
	RELAY_HAS(env, detail, "end:restart");
	free(detail);
	wait_call_over(stranger);
	check_recording(stranger, 1);
}

static void test_archive_verifies(void **state)
{
	char *out = NULL, *sha, path[256];
	FILE *f;
	int c;

	(void)state;
	RELAY_CHECK(env, relay_cli(env, &out, "records", "verify", "--db", env->db, NULL) == 0);
	RELAY_HAS(env, out, "Call recordings: 3 re-hashed, 0 not as recorded.");
	free(out);
	/* One byte of a recording changed: the archive no longer holds. */
	sha = relay_sql_str(env, "SELECT sha256 FROM call_recordings ORDER BY id LIMIT 1");
	snprintf(path, sizeof(path), "%s/recordings/%s.flac", env->dir, sha);
	f = fopen(path, "r+b");
	RELAY_CHECK(env, f != NULL);
	fseek(f, 100, SEEK_SET);
	c = fgetc(f);
	fseek(f, 100, SEEK_SET);
	fputc(c ^ 0x5a, f);
	fclose(f);
	RELAY_CHECK(env, relay_cli(env, &out, "records", "verify", "--db", env->db, NULL) == 3);
	RELAY_HAS(env, out, "does not match its hash in the archive");
	free(out);
	free(sha);
}

/* ---- a district's own prompt ---- */

static char district_dir[64], district_cfg[256];

static int district_group_start(void **state)
{
	struct relay_policy p;
	SF_INFO in = {
	    .samplerate = 8000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
	char path[128];
	int16_t s[16000];
	SNDFILE *f;

	(void)state;
	snprintf(district_dir, sizeof(district_dir), "/tmp/chaperone-prompts-XXXXXX");
	if (!mkdtemp(district_dir))
		return -1;
	/* "Lakeview's own message": two seconds of a 444 Hz square wave stand in for it. */
	for (int i = 0; i < 16000; i++)
		s[i] = (int16_t)(8000 * ((i / 9) % 2 ? 1 : -1));
	snprintf(path, sizeof(path), "%s/unknown_caller.wav", district_dir);
	f = sf_open(path, SFM_WRITE, &in);
	if (!f)
		return -1;
	sf_writef_short(f, s, 16000);
	sf_close(f);
	relay_policy_defaults(&p);
	p.model = "EC25";
	snprintf(district_cfg, sizeof(district_cfg), "chaperone\n prompts %s\n", district_dir);
	p.extra_config = district_cfg;
	env = relay_group_begin("tests/fixtures/district", &p);
	return 0;
}

static int district_group_end(void **state)
{
	char cmd[128];
	int rc = relay_group_end(state);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", district_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", district_dir);
	return rc;
}

static void test_district_prompt(void **state)
{
	const struct voice_prompt *p = voice_prompt_find("unknown_caller");
	char sha[VOICE_PROMPT_SHA256_HEX], *detail;
	int16_t *samples;
	size_t n;
	long heard_n, loud;

	(void)state;
	RELAY_CHECK(env, voice_prompt_load(p, district_dir, NULL, &samples, &n, sha) == 0);
	RELAY_CHECK(env, n == 16000);
	RELAY_CHECK(env, strcmp(sha, p->sha256) != 0);
	json_object_put(sim_ctl_ok(env->sim, "{\"cmd\":\"call\",\"from\":\"%s\",\"to\":\"%s\"}",
				   STRANGER, RELAY_SOCCER));
	wait_call_over(STRANGER);
	heard(STRANGER, &heard_n, &loud);
	RELAY_CHECK(env, heard_n >= 16000 && loud > 8000);
	detail = relay_sql_str(env, "SELECT detail FROM call_events WHERE kind = 'prompt'");
	RELAY_HAS(env, detail, sha);
	free(detail);
	talloc_free(samples);
}

#define T(f) cmocka_unit_test_setup_teardown(f, relay_test_setup, relay_test_teardown)

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    T(test_unknown_caller_hears_the_message),
	    T(test_known_caller_menu),
	    T(test_kill_mid_call),
	    T(test_archive_verifies),
	};

	const struct CMUnitTest district[] = {
	    T(test_district_prompt),
	};
	int failed;

	relay_harness_init(argc, argv);
	failed = cmocka_run_group_tests_name("relay calls", tests, group_start, relay_group_end);
	failed += cmocka_run_group_tests_name("relay calls: a district's own prompt", district,
					      district_group_start, district_group_end);
	return failed ? 1 : 0;
}
