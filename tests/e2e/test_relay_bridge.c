/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Relayed calls end to end: a real chaperoned on three modems that carry calls
 * (modemsim's EC25), phones that answer, say a tone each and record what they hear.
 *
 * - A coach's CALL @name to a player: the first guardian on the roster is busy, so the
 *   second is dialled; only once she is bridged is the player dialled, then the coach.
 *   Each phone hears the recording notice before anyone, then the others' tones loud
 *   (>= -20 dBFS) and its own faint (<= -40 dBFS), through the GSM codec. In the
 *   recording, channel k holds leg k's tone only. Everyone is texted who is calling; the
 *   athletic director gets the summary. While the call holds the lines, another call is
 *   refused because they are busy. The guardian hangs up: the player is out of the
 *   bridge at once (hears nobody, is heard by nobody), everyone hears that the call ends
 *   unless an adult rejoins, and it ends.
 * - No guardian answers: the player's phone never rings; the coach is told why.
 * - Staff to staff: announced, bridged, recorded, no guardian.
 * - kill -9 of chaperoned mid-call: after the restart the call is recorded as ended,
 *   its partial recording recovered and flagged, and `records verify` passes.
 *
 *   test_relay_bridge BUILD_DIR SOURCE_DIR */
#include <setjmp.h>
#include <signal.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sndfile.h>

#include "gateway/voice/prompts/prompts.h"
#include "tests/e2e/harness.h"
#include "tests/e2e/relay_harness.h"
#include "tests/e2e/tones.h"

#define HZ_LIN	  600.0
#define HZ_RILEY  1000.0
#define HZ_DANA	  1400.0
#define HZ_MARCUS 1800.0
#define WINDOW	  4000 /* samples a level is measured over: 0.5 s */

static struct relay_env *env;

static int group_start(void **state)
{
	struct relay_policy p;

	(void)state;
	relay_policy_defaults(&p);
	p.model = "EC25";
	p.modems = 3;
	/* An adult has 4 s to rejoin a call that lost its guardian. */
	p.extra_config = "timer relay X6 4\n";
	env = relay_group_begin("tests/fixtures/district", &p);
	return 0;
}

static void ctl(const char *fmt, const char *phone)
{
	json_object_put(sim_ctl_ok(env->sim, fmt, phone));
}

/* A phone that answers at the first ring and says a tone until told otherwise. */
static void phone_ready(const char *phone, double hz)
{
	ctl("{\"cmd\":\"auto-answer\",\"phone\":\"%s\",\"rings\":1}", phone);
	json_object_put(sim_ctl_ok(env->sim,
				   "{\"cmd\":\"play\",\"phone\":\"%s\",\"tone\":%.0f,\"dbfs\":-10,"
				   "\"clear_heard\":true}",
				   phone, hz));
}

static void phone_quiet(const char *phone)
{
	ctl("{\"cmd\":\"auto-answer\",\"phone\":\"%s\",\"rings\":0}", phone);
	ctl("{\"cmd\":\"stop-play\",\"phone\":\"%s\"}", phone);
	ctl("{\"cmd\":\"busy\",\"phone\":\"%s\",\"on\":false}", phone);
	ctl("{\"cmd\":\"heard\",\"phone\":\"%s\",\"clear\":true}", phone);
}

static bool in_call(const char *phone)
{
	struct json_object *r = sim_ctl_ok(env->sim, "{\"cmd\":\"calls\"}");
	bool in = strstr(json_object_to_json_string(r), phone) != NULL;

	json_object_put(r);
	return in;
}

static void wait_no_calls(const char *const *phones)
{
	long long end = now_ms() + 30000;

	for (; *phones; phones++) {
		while (in_call(*phones) && now_ms() < end)
			sleep_ms(100);
		if (in_call(*phones))
			RELAY_FAIL(env, "%s is still in a call", *phones);
	}
}

/* What a phone heard since it was last cleared, as samples (caller frees). */
static int16_t *heard(const char *phone, size_t *n)
{
	char path[192];
	SF_INFO info = {0};
	SNDFILE *f;
	int16_t *s;

	snprintf(path, sizeof(path), "%s/heard.wav", env->dir);
	json_object_put(sim_ctl_ok(
	    env->sim, "{\"cmd\":\"heard\",\"phone\":\"%s\",\"wav\":\"%s\",\"clear\":true}", phone,
	    path));
	f = sf_open(path, SFM_READ, &info);
	RELAY_CHECK(env, f != NULL && info.channels == 1);
	s = calloc((size_t)info.frames + 1, sizeof(*s));
	*n = (size_t)sf_read_short(f, s, info.frames);
	sf_close(f);
	return s;
}

/* In s[0..n): `loud` at >= -20 dBFS, each of `quiet` at <= -40 dBFS. */
static void levels(const char *who, const int16_t *s, size_t n, const double *loud, unsigned n_loud,
		   const double *quiet, unsigned n_quiet)
{
	RELAY_CHECK(env, n >= 800);
	for (unsigned i = 0; i < n_loud; i++) {
		double db = tone_db(s, n, loud[i]);

		print_message("  %s: %.0f Hz at %.1f dB\n", who, loud[i], db);
		if (db < -20)
			RELAY_FAIL(env, "%s: %.0f Hz at %.1f dB, want >= -20", who, loud[i], db);
	}
	for (unsigned i = 0; i < n_quiet; i++) {
		double db = tone_db(s, n, quiet[i]);

		print_message("  %s: %.0f Hz at %.1f dB\n", who, quiet[i], db);
		if (db > -40)
			RELAY_FAIL(env, "%s: %.0f Hz at %.1f dB, want <= -40", who, quiet[i], db);
	}
}

/* Level of s[0..n) as a whole, in dB re a full-scale sine (as tone_db()). */
static double power_db(const int16_t *s, size_t n)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += (double)s[i] * s[i];
	return sum > 0 ? 10 * log10(sum / n / (32767.0 * 32767.0 / 2)) : -200;
}

/* The first sample at which any of `tones` is heard (in 20 ms steps over 100 ms windows):
 * loud, and most of what is heard there (speech has some energy at every frequency, a
 * tone has nearly all of it at one), or n. */
static size_t first_tone(const int16_t *s, size_t n, const double *tones, unsigned k)
{
	for (size_t at = 0; at + 800 <= n; at += 160)
		for (unsigned i = 0; i < k; i++) {
			double db = tone_db(s + at, 800, tones[i]);

			if (db > -30 && db > power_db(s + at, 800) - 7)
				return at;
		}
	return n;
}

static size_t loud_samples(const int16_t *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += s[i] > 1000 || s[i] < -1000;
	return k;
}

/* Each phone heard the notice before any other party's tone. */
static void notice_first(const char *who, const int16_t *s, size_t n, const double *others,
			 unsigned k)
{
	const struct voice_prompt *p = voice_prompt_find("recording_notice");
	size_t t = first_tone(s, n, others, k), speech = loud_samples(s, t);

	print_message("  %s: first tone of another party at %.2f s, %.2f s of speech before it "
		      "(the notice is %.2f s)\n",
		      who, t / 8000.0, speech / 8000.0, p->samples / 8000.0);
	RELAY_CHECK(env, t < n);
	/* The whole notice played before anyone was heard (a tone is found in the first
	 * window that is mostly tone: up to a window before it starts), and it was heard
	 * (speech has pauses: a quarter of it loud at least). */
	if (t + 800 < p->samples || speech < p->samples / 4)
		RELAY_FAIL(env, "%s heard another party %.2f s in, after %.2f s of notice", who,
			   t / 8000.0, speech / 8000.0);
}

static int64_t last_call(void)
{
	return relay_sql_int(env, "SELECT max(id) FROM calls");
}

/* Wait until call `call` has at least `n` events of `kind`. */
static void wait_events(int64_t call, const char *kind, int n, int timeout_ms)
{
	relay_wait_sql_int(env, n, timeout_ms,
			   "SELECT min(%d, count(*)) FROM call_events WHERE call_id = %lld AND"
			   " kind = '%s'",
			   n, (long long)call, kind);
}

static void wait_recording(int64_t call)
{
	relay_wait_sql_int(env, 1, 10000,
			   "SELECT count(*) FROM call_recordings WHERE call_id = %lld",
			   (long long)call);
}

/* How many legs of call `call` have `role`. */
static int64_t legs(int64_t call, const char *role)
{
	return relay_sql_int(env,
			     "SELECT count(*) FROM call_legs WHERE call_id = %lld AND role = '%s'",
			     (long long)call, role);
}

/* Wait for the call's end, its detail LIKE `like`. */
static void wait_end(int64_t call, const char *like)
{
	relay_wait_sql_int(env, 1, 10000,
			   "SELECT count(*) FROM call_events WHERE call_id = %lld AND kind = 'end'"
			   " AND detail LIKE '%s'",
			   (long long)call, like);
}

/* The phone hears `other` loud and itself faint now (a two-party call). */
static void hears(const char *phone, const char *who, double other, double own)
{
	size_t n;
	int16_t *s = heard(phone, &n);

	levels(who, s + n - WINDOW, WINDOW, (const double[]){other}, 1, (const double[]){own}, 1);
	free(s);
}

/* The id of event `kind` of the leg with `role` in call `call` (0 when none). */
static int64_t event_of(int64_t call, const char *role, const char *kind)
{
	return relay_sql_int(env,
			     "SELECT coalesce(min(e.id), 0) FROM call_events e JOIN call_legs l ON"
			     " l.id = e.leg_id WHERE e.call_id = %lld AND l.role = '%s' AND"
			     " e.kind = '%s'",
			     (long long)call, role, kind);
}

/* Channel c of the call's recording, mono (caller frees), and how many channels. */
static int16_t *recording_channel(int64_t call, unsigned c, size_t *n, unsigned *channels)
{
	char *sha = relay_sql_str(env, "SELECT sha256 FROM call_recordings WHERE call_id = %lld",
				  (long long)call);
	char path[256];
	SF_INFO info = {0};
	SNDFILE *f;
	int16_t *all, *s;

	RELAY_CHECK(env, sha && strlen(sha) == 64);
	snprintf(path, sizeof(path), "%s/recordings/%s.flac", env->dir, sha);
	free(sha);
	f = sf_open(path, SFM_READ, &info);
	RELAY_CHECK(env, f != NULL);
	*channels = (unsigned)info.channels;
	all = calloc((size_t)info.frames * info.channels + 1, sizeof(*all));
	*n = (size_t)sf_readf_short(f, all, info.frames);
	sf_close(f);
	s = calloc(*n + 1, sizeof(*s));
	for (size_t i = 0; i < *n; i++)
		s[i] = all[i * info.channels + c];
	free(all);
	return s;
}

/* The window of s where it is loudest (by samples over 1000), as an offset. */
static size_t loudest(const int16_t *s, size_t n)
{
	size_t best = 0, best_k = 0;

	for (size_t at = 0; at + WINDOW <= n; at += WINDOW / 2) {
		size_t k = loud_samples(s + at, WINDOW);

		if (k > best_k)
			best_k = k, best = at;
	}
	return best;
}

static void test_coach_calls_player(void **state)
{
	const double lin_others[] = {HZ_RILEY, HZ_DANA}, riley_others[] = {HZ_LIN, HZ_DANA},
		     dana_others[] = {HZ_LIN, HZ_RILEY};
	int64_t call;
	int16_t *s;
	size_t n;
	char *text, *kinds;

	(void)state;
	/* Wei, first on Riley's roster, is busy; Lin answers. */
	ctl("{\"cmd\":\"busy\",\"phone\":\"%s\",\"on\":true}", WEI);
	phone_ready(LIN, HZ_LIN);
	phone_ready(RILEY, HZ_RILEY);
	phone_ready(DANA, HZ_DANA);

	relay_text(env, DANA, RELAY_SOCCER, "CALL @rileyc");
	free(relay_expect(env, DANA, "calling a parent or guardian of Riley C. first", 10000));
	call = last_call();
	wait_events(call, "bridged", 3, 90000);

	/* The order: a guardian bridged before the player was dialled, the coach last. */
	RELAY_CHECK(env, event_of(call, "guardian", "bridged") > 0);
	RELAY_CHECK(env, event_of(call, "callee", "dial") > event_of(call, "guardian", "bridged"));
	RELAY_CHECK(env, event_of(call, "caller", "dial") > event_of(call, "callee", "bridged"));
	RELAY_CHECK(env, legs(call, "guardian") == 2);
	kinds = relay_sql_str(env,
			      "SELECT group_concat(e.kind, ' ') FROM call_events e JOIN call_legs l"
			      " ON l.id = e.leg_id WHERE l.call_id = %lld AND l.number = '%s'",
			      (long long)call, WEI);
	print_message("Wei's leg: %s\n", kinds);
	RELAY_HAS(env, kinds, "dial");
	RELAY_HAS(env, kinds, "left");
	RELAY_CHECK(env, strstr(kinds, "answer") == NULL);
	free(kinds);

	/* Who is calling, said after the notice (names are spoken at run time, the hash of
	 * what was said recorded)... */
	RELAY_CHECK(env,
		    relay_sql_int(env,
				  "SELECT count(*) FROM call_events e JOIN call_legs l ON l.id ="
				  " e.leg_id WHERE e.call_id = %lld AND l.number = '%s' AND"
				  " e.kind = 'prompt' AND e.detail GLOB 'spoken [0-9a-f]* Coach"
				  " Dana Lee is calling about Riley C.*'",
				  (long long)call, LIN) == 1);
	RELAY_CHECK(env,
		    relay_sql_int(env,
				  "SELECT count(*) FROM call_events e JOIN call_legs l ON l.id ="
				  " e.leg_id WHERE e.call_id = %lld AND l.number = '%s' AND"
				  " e.kind = 'prompt' AND e.detail LIKE '%%Coach Dana Lee is"
				  " calling you, with Lin C. on the line.'",
				  (long long)call, RILEY) == 1);
	/* ... and by text from the number they know; the caller told it is placed. */
	free(relay_expect(env, LIN, "Coach Dana Lee is calling about Riley C.", 10000));
	free(relay_expect(env, RILEY, "Coach Dana Lee is calling you, with Lin C. on the line",
			  10000));
	free(relay_expect(env, DANA, "Riley C. is on the line", 10000));

	/* The console shows the lines and the call's legs. */
	text = relay_vty(env, "show calls");
	print_message("%s", text);
	RELAY_HAS(env, text, "lines that carry calls: 3, free: 0; relayed calls now: 1");
	RELAY_HAS(env, text, "ACTIVE: Coach Dana Lee calls Riley C.");
	RELAY_HAS(env, text, "(guardian) on modem0: gone");
	RELAY_HAS(env, text, "Lin C. (guardian) on modem0: on");
	RELAY_HAS(env, text, "Riley C. (callee) on modem1: on");
	RELAY_HAS(env, text, "Coach Dana Lee (caller) on modem2: on");
	free(text);

	/* While the call holds all three lines, another call is refused, with why. */
	relay_text(env, PRIYA, RELAY_ROBOTICS, "CALL @averyj");
	free(relay_expect(env, PRIYA, "lines for calls are busy (0 of 3 free", 10000));

	/* Everyone on, for 1.5 s more: what each phone heard since it answered. */
	sleep_ms(1500);
	s = heard(LIN, &n);
	notice_first("Lin", s, n, lin_others, 2);
	levels("Lin", s + n - WINDOW, WINDOW, lin_others, 2, (const double[]){HZ_LIN}, 1);
	free(s);
	s = heard(RILEY, &n);
	notice_first("Riley", s, n, riley_others, 2);
	levels("Riley", s + n - WINDOW, WINDOW, riley_others, 2, (const double[]){HZ_RILEY}, 1);
	free(s);
	s = heard(DANA, &n);
	notice_first("Dana", s, n, dana_others, 2);
	levels("Dana", s + n - WINDOW, WINDOW, dana_others, 2, (const double[]){HZ_DANA}, 1);
	free(s);

	/* Lin hangs up: Riley is out of the bridge at once; the call ends after 4 s. */
	ctl("{\"cmd\":\"hangup\",\"phone\":\"%s\"}", LIN);
	wait_events(call, "unbridged", 1, 10000);
	relay_wait_sql_int(env, 1, 5000,
			   "SELECT count(*) FROM call_events WHERE call_id = %lld AND kind ="
			   " 'prompt' AND detail LIKE 'adult_left %%'",
			   (long long)call);
	/* The prompt (about 2.5 s) has played: Riley hears nobody, nobody hears Riley. */
	free(heard(RILEY, &n));
	free(heard(DANA, &n));
	sleep_ms(3000);
	s = heard(RILEY, &n);
	levels("Riley alone", s + n - 2000, 2000, NULL, 0, (const double[]){HZ_DANA}, 1);
	free(s);
	s = heard(DANA, &n);
	levels("Dana without Riley", s + n - 2000, 2000, NULL, 0, (const double[]){HZ_RILEY}, 1);
	free(s);
	wait_no_calls((const char *const[]){LIN, RILEY, DANA, NULL});
	text = relay_sql_str(env,
			     "SELECT detail FROM call_events WHERE call_id = %lld AND kind = 'end'",
			     (long long)call);
	RELAY_HAS(env, text, "no adult rejoined");
	free(text);

	/* The recording: channel k is leg k, and holds only leg k's tone. */
	{
		unsigned channels, ch_lin, ch_riley, ch_dana;
		size_t at;

		wait_recording(call);
		ch_lin = (unsigned)relay_sql_int(
		    env, "SELECT channel FROM call_legs WHERE call_id = %lld AND number = '%s'",
		    (long long)call, LIN);
		ch_riley = (unsigned)relay_sql_int(
		    env, "SELECT channel FROM call_legs WHERE call_id = %lld AND number = '%s'",
		    (long long)call, RILEY);
		ch_dana = (unsigned)relay_sql_int(
		    env, "SELECT channel FROM call_legs WHERE call_id = %lld AND number = '%s'",
		    (long long)call, DANA);
		RELAY_CHECK(env, ch_lin && ch_riley && ch_dana && ch_lin != ch_riley &&
				     ch_riley != ch_dana && ch_lin != ch_dana);
		s = recording_channel(call, ch_lin, &n, &channels);
		RELAY_CHECK(env, channels == 5); /* the relay, two guardians, player, coach */
		at = loudest(s, n);
		levels("channel Lin", s + at, WINDOW, (const double[]){HZ_LIN}, 1,
		       (const double[]){HZ_RILEY, HZ_DANA}, 2);
		free(s);
		s = recording_channel(call, ch_riley, &n, &channels);
		at = loudest(s, n);
		levels("channel Riley", s + at, WINDOW, (const double[]){HZ_RILEY}, 1,
		       (const double[]){HZ_LIN, HZ_DANA}, 2);
		free(s);
		s = recording_channel(call, ch_dana, &n, &channels);
		at = loudest(s, n);
		levels("channel Dana", s + at, WINDOW, (const double[]){HZ_DANA}, 1,
		       (const double[]){HZ_LIN, HZ_RILEY}, 2);
		free(s);
		s = recording_channel(call, 0, &n, &channels);
		RELAY_CHECK(env, loud_samples(s, n) > 8000); /* the prompts */
		free(s);
	}

	/* The athletic director's summary. */
	text = relay_expect(env, ROSA, "Coach Dana Lee called Riley C.", 10000);
	RELAY_HAS(env, text, "Lin C. (guardian)");
	RELAY_HAS(env, text, "no adult rejoined");
	free(text);
	phone_quiet(WEI);
	phone_quiet(LIN);
	phone_quiet(RILEY);
	phone_quiet(DANA);
}

/* No guardian answers: the player's phone never rings, the coach is told why. */
static void test_no_guardian_no_call(void **state)
{
	int64_t call;

	(void)state;
	ctl("{\"cmd\":\"busy\",\"phone\":\"%s\",\"on\":true}", ANITA);
	phone_ready(MORGAN, HZ_RILEY);
	phone_ready(DANA, HZ_DANA);
	relay_text(env, DANA, RELAY_SOCCER, "CALL @morganp");
	free(relay_expect(env, DANA,
			  "did not go ahead: no parent or guardian of Morgan P. answered", 30000));
	call = last_call();
	RELAY_CHECK(env, relay_sql_int(env,
				       "SELECT count(*) FROM call_legs WHERE call_id = %lld AND"
				       " role <> 'guardian'",
				       (long long)call) == 0);
	RELAY_CHECK(env, relay_sql_int(env,
				       "SELECT count(*) FROM call_events WHERE call_id = %lld AND"
				       " kind = 'end'",
				       (long long)call) == 1);
	RELAY_CHECK(env,
		    relay_sql_int(env, "SELECT count(*) FROM call_recordings WHERE call_id = %lld",
				  (long long)call) == 0);
	phone_quiet(ANITA);
	phone_quiet(MORGAN);
	phone_quiet(DANA);
}

/* Staff to staff: two legs, announced, bridged, recorded; the caller hangs up. */
static void test_staff_to_staff(void **state)
{
	int64_t call;

	(void)state;
	phone_ready(MARCUS, HZ_MARCUS);
	phone_ready(DANA, HZ_DANA);
	relay_text(env, DANA, RELAY_SOCCER, "CALL @marcusb");
	free(relay_expect(env, DANA, "calling Coach Marcus Bell, then you", 10000));
	call = last_call();
	wait_events(call, "bridged", 2, 60000);
	RELAY_CHECK(env, legs(call, "guardian") == 0);
	sleep_ms(1500);
	hears(MARCUS, "Marcus", HZ_DANA, HZ_MARCUS);
	ctl("{\"cmd\":\"hangup\",\"phone\":\"%s\"}", DANA);
	wait_no_calls((const char *const[]){MARCUS, DANA, NULL});
	wait_end(call, "Coach Dana Lee hung up%%");
	wait_recording(call);
	phone_quiet(MARCUS);
	phone_quiet(DANA);
}

/* kill -9 mid-call: nothing of the call is lost. */
static void test_kill_mid_call(void **state)
{
	int64_t call;
	char *out = NULL, *detail;

	(void)state;
	phone_ready(WEI, HZ_LIN);
	phone_ready(RILEY, HZ_RILEY);
	phone_ready(DANA, HZ_DANA);
	relay_text(env, DANA, RELAY_SOCCER, "CALL @rileyc");
	free(relay_expect(env, DANA, "calling a parent or guardian of Riley C. first", 10000));
	call = last_call();
	wait_events(call, "bridged", 2, 60000);
	sleep_ms(1000);
	relay_kill(env, SIGKILL);
	relay_launch(env);
	detail = relay_sql_str(
	    env, "SELECT detail FROM call_events WHERE call_id = %lld AND kind = 'end'",
	    (long long)call);
	RELAY_HAS(env, detail, "restart");
	free(detail);
	RELAY_CHECK(env, relay_sql_int(env,
				       "SELECT count(*) FROM call_recordings WHERE call_id = %lld"
				       " AND recovered = 1 AND channels = 5",
				       (long long)call) == 1);
	wait_no_calls((const char *const[]){WEI, RILEY, DANA, NULL});
	RELAY_CHECK(env, relay_cli(env, &out, "records", "verify", "--db", env->db, NULL) == 0);
	free(out);
	phone_quiet(WEI);
	phone_quiet(RILEY);
	phone_quiet(DANA);
}

/* A phone calls a relay number and waits for its menu; the call's id. */
static int64_t call_in(const char *phone, const char *relay, const char *menu)
{
	int64_t call;

	json_object_put(
	    sim_ctl_ok(env->sim, "{\"cmd\":\"call\",\"from\":\"%s\",\"to\":\"%s\"}", phone, relay));
	relay_wait_sql_int(env, 1, 20000,
			   "SELECT count(*) FROM calls WHERE initiator_number = '%s' AND id ="
			   " (SELECT max(id) FROM calls)",
			   phone);
	call = last_call();
	relay_wait_sql_int(env, 1, 20000,
			   "SELECT count(*) FROM call_events WHERE call_id = %lld AND kind ="
			   " 'prompt' AND detail LIKE '%%%s'",
			   (long long)call, menu);
	return call;
}

/* A player calls the relay number and presses 1 for the coach: a guardian is dialled
 * and bridged before the coach is; then all three hear each other. */
static void test_player_calls_coach(void **state)
{
	const double riley_others[] = {HZ_LIN, HZ_DANA};
	int64_t call;
	int16_t *s;
	size_t n;
	char *detail;

	(void)state;
	phone_ready(RILEY, HZ_RILEY);
	phone_ready(WEI, HZ_LIN);
	phone_ready(DANA, HZ_DANA);
	call = call_in(RILEY, RELAY_SOCCER,
		       "Press 1 for Coach Dana Lee. Press 2 for Coach Marcus Bell.");
	ctl("{\"cmd\":\"dtmf\",\"phone\":\"%s\",\"digits\":\"1\"}", RILEY);
	wait_events(call, "bridged", 3, 60000);
	detail = relay_sql_str(env,
			       "SELECT detail FROM call_events WHERE call_id = %lld AND"
			       " kind = 'menu'",
			       (long long)call);
	print_message("menu: %s\n", detail);
	RELAY_HAS(env, detail, "1: Coach Dana Lee; ");
	RELAY_HAS(env, detail, "guardian-copy");
	free(detail);
	/* The coach was dialled only once the guardian was on with the player. */
	RELAY_CHECK(env, event_of(call, "callee", "dial") > event_of(call, "guardian", "bridged"));
	RELAY_CHECK(env,
		    event_of(call, "guardian", "bridged") > event_of(call, "caller", "bridged"));
	free(relay_expect(env, DANA, "Riley C. is calling you, with Wei C. on the line", 10000));
	sleep_ms(1500);
	s = heard(RILEY, &n);
	notice_first("Riley", s, n, riley_others, 2);
	levels("Riley", s + n - WINDOW, WINDOW, riley_others, 2, (const double[]){HZ_RILEY}, 1);
	free(s);
	s = heard(DANA, &n);
	levels("Dana", s + n - WINDOW, WINDOW, (const double[]){HZ_LIN, HZ_RILEY}, 2,
	       (const double[]){HZ_DANA}, 1);
	free(s);
	ctl("{\"cmd\":\"hangup\",\"phone\":\"%s\"}", RILEY);
	wait_no_calls((const char *const[]){RILEY, WEI, DANA, NULL});
	wait_events(call, "end", 1, 10000);
	detail = relay_sql_str(env,
			       "SELECT detail FROM call_events WHERE call_id = %lld AND"
			       " kind = 'end'",
			       (long long)call);
	RELAY_HAS(env, detail, "Riley C. hung up");
	free(detail);
	wait_recording(call);
	phone_quiet(RILEY);
	phone_quiet(WEI);
	phone_quiet(DANA);
}

/* A guardian calls and presses 2, in the audio only: the assistant coach is dialled
 * directly (a guardian may reach staff without anyone else). */
static void test_guardian_calls_coach(void **state)
{
	int64_t call;

	(void)state;
	phone_ready(LIN, HZ_LIN);
	phone_ready(MARCUS, HZ_MARCUS);
	call = call_in(LIN, RELAY_SOCCER,
		       "Press 1 for Coach Dana Lee. Press 2 for Coach Marcus Bell.");
	/* Keys are pressed in silence (a tone under them is not a key press). */
	ctl("{\"cmd\":\"stop-play\",\"phone\":\"%s\"}", LIN);
	ctl("{\"cmd\":\"dtmf\",\"phone\":\"%s\",\"digits\":\"2\",\"inband\":true}", LIN);
	relay_wait_sql_int(
	    env, 1, 10000,
	    "SELECT count(*) FROM call_events WHERE call_id = %lld AND kind = 'menu'",
	    (long long)call);
	phone_ready(LIN, HZ_LIN);
	wait_events(call, "bridged", 2, 60000);
	RELAY_CHECK(env, legs(call, "guardian") == 0);
	sleep_ms(1500);
	hears(MARCUS, "Marcus", HZ_LIN, HZ_MARCUS);
	ctl("{\"cmd\":\"hangup\",\"phone\":\"%s\"}", MARCUS);
	wait_no_calls((const char *const[]){LIN, MARCUS, NULL});
	wait_end(call, "Coach Marcus Bell hung up");
	phone_quiet(LIN);
	phone_quiet(MARCUS);
}

/* A player whose only guardian has no phone presses 1: refused, said, recorded; nobody
 * else's phone rings. */
static void test_player_call_refused(void **state)
{
	int64_t call;
	char *detail;

	(void)state;
	phone_ready(SAM, HZ_RILEY);
	phone_ready(DANA, HZ_DANA);
	call = call_in(SAM, RELAY_SOCCER,
		       "Press 1 for Coach Dana Lee. Press 2 for Coach Marcus Bell.");
	ctl("{\"cmd\":\"dtmf\",\"phone\":\"%s\",\"digits\":\"1\"}", SAM);
	wait_no_calls((const char *const[]){SAM, NULL});
	wait_events(call, "end", 1, 10000);
	detail = relay_sql_str(env,
			       "SELECT detail FROM call_events WHERE call_id = %lld AND"
			       " kind = 'menu'",
			       (long long)call);
	print_message("menu: %s\n", detail);
	RELAY_HAS(env, detail, "1: Coach Dana Lee; ");
	free(detail);
	RELAY_CHECK(env, relay_sql_int(env, "SELECT count(*) FROM call_legs WHERE call_id = %lld",
				       (long long)call) == 1);
	RELAY_CHECK(env, !in_call(DANA));
	phone_quiet(SAM);
	phone_quiet(DANA);
}

/* Quiet hours (set live at the console): a coach's call to a player is refused, said why,
 * and nobody's phone rings; !urgent goes through the rules. */
static void test_quiet_hours(void **state)
{
	char window[16], cmd[96], *out, *reason;
	int64_t call;

	(void)state;
	relay_quiet_window_now(window, sizeof(window));
	snprintf(cmd, sizeof(cmd), "configure terminal\npolicy\nquiet-hours %s", window);
	out = relay_vty(env, cmd);
	RELAY_CHECK(env, out && !strstr(out, "%"));
	free(out);
	relay_text(env, DANA, RELAY_SOCCER, "CALL @rileyc");
	free(relay_expect(env, DANA, "Call not placed:", 10000));
	call = last_call();
	reason = relay_sql_str(env, "SELECT rules || ': ' || reason FROM calls WHERE id = %lld",
			       (long long)call);
	RELAY_HAS(env, reason, "quiet-hours");
	free(reason);
	RELAY_CHECK(env, relay_sql_int(env, "SELECT count(*) FROM call_legs WHERE call_id = %lld",
				       (long long)call) == 0);
	RELAY_CHECK(env, !in_call(WEI) && !in_call(RILEY));
	out = relay_vty(env, "configure terminal\npolicy\nno quiet-hours");
	RELAY_CHECK(env, out && !strstr(out, "%"));
	free(out);
}

/* A crisis call: one-to-one without a guardian, flagged, the building's administrators
 * texted at once; the player hangs up. */
static void test_crisis_call(void **state)
{
	int64_t call;

	(void)state;
	phone_ready(RILEY, HZ_RILEY);
	phone_ready(DANA, HZ_DANA);
	relay_text(env, DANA, RELAY_SOCCER, "CALL @rileyc !crisis");
	free(relay_expect(env, DANA, "calling Riley C., then you", 10000));
	free(relay_expect(env, ROSA, "Crisis call #", 10000));
	free(relay_expect(env, OMAR, "Crisis call #", 10000));
	call = last_call();
	RELAY_CHECK(env, relay_sql_int(env, "SELECT flagged FROM calls WHERE id = %lld",
				       (long long)call) == 1);
	wait_events(call, "bridged", 2, 60000);
	RELAY_CHECK(env, legs(call, "guardian") == 0);
	ctl("{\"cmd\":\"hangup\",\"phone\":\"%s\"}", RILEY);
	wait_no_calls((const char *const[]){RILEY, DANA, NULL});
	wait_recording(call);
	phone_quiet(RILEY);
	phone_quiet(DANA);
}

#define T(f) cmocka_unit_test_setup_teardown(f, relay_test_setup, relay_test_teardown)

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    T(test_coach_calls_player), T(test_no_guardian_no_call),  T(test_staff_to_staff),
	    T(test_player_calls_coach), T(test_guardian_calls_coach), T(test_player_call_refused),
	    T(test_quiet_hours),	T(test_crisis_call),	      T(test_kill_mid_call),
	};

	relay_harness_init(argc, argv);
	return cmocka_run_group_tests_name("relayed calls", tests, group_start, relay_group_end);
}
