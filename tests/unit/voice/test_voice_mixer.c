/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The bridge's mixer on one clock: who hears whom in each state, prompts and their end,
 * saturation, the recording tap, and hostile calls that must change nothing. Levels by
 * Goertzel (tests/e2e/tones.h): dB re a full-scale sine. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <talloc.h>

#include "gateway/voice/voice_mixer.h"
#include "tests/e2e/tones.h"

#define LEVEL_DB  -10.0 /* what each leg says */
#define WINDOW	  10	/* frames measured at the end of a run */
#define HZ_PROMPT 400.0

static const double leg_hz[VOICE_LEGS_MAX + 1] = {HZ_PROMPT, 600, 1000, 1400, 1800, 2200};

/* What each leg heard in the last WINDOW frames, and what the tap gave. */
struct run {
	int16_t heard[VOICE_LEGS_MAX + 1][WINDOW * VOICE_FRAME];
	int16_t tap[VOICE_LEGS_MAX + 1][WINDOW * VOICE_FRAME];
	uint64_t said[VOICE_LEGS_MAX + 1]; /* frames each leg said: its tone's phase */
	unsigned tap_frames, tap_channels;
	unsigned done_leg[8];
	int done_id[8];
	unsigned n_done;
};

static void on_tap(struct voice_mixer *m, const int16_t *const *ch, unsigned n_ch, void *data)
{
	struct run *r = data;
	unsigned slot = r->tap_frames++ % WINDOW;

	(void)m;
	r->tap_channels = n_ch;
	for (unsigned k = 0; k < n_ch; k++)
		memcpy(r->tap[k] + slot * VOICE_FRAME, ch[k], VOICE_FRAME * sizeof(int16_t));
}

static void on_prompt_done(struct voice_mixer *m, unsigned leg, int id, void *data)
{
	struct run *r = data;

	(void)m;
	if (r->n_done < 8) {
		r->done_leg[r->n_done] = leg;
		r->done_id[r->n_done++] = id;
	}
}

static const struct voice_mixer_events events = {
    .on_prompt_done = on_prompt_done,
    .on_tap = on_tap,
};

/* One period: each leg says its next frame of its tone and hears its mix. */
static void period(struct voice_mixer *m, struct run *r, unsigned legs, unsigned frame_no)
{
	for (unsigned k = 1; k <= legs; k++) {
		int16_t said[VOICE_FRAME], heard[VOICE_FRAME];

		tone_fill(said, VOICE_FRAME, leg_hz[k], LEVEL_DB, r->said[k]++ * VOICE_FRAME);
		if (voice_mixer_put(m, k, said, VOICE_FRAME) < 0)
			continue; /* GONE */
		assert_int_equal(voice_mixer_get(m, k, heard), 0);
		memcpy(r->heard[k] + (frame_no % WINDOW) * VOICE_FRAME, heard, sizeof(heard));
	}
}

static void run_periods(struct voice_mixer *m, struct run *r, unsigned legs, unsigned n)
{
	/* Multiples of WINDOW, so that the window holds the last frames in order. */
	for (unsigned f = 0; f < n; f++)
		period(m, r, legs, f);
}

static double heard_db(const struct run *r, unsigned leg, double hz)
{
	return tone_db(r->heard[leg], WINDOW * VOICE_FRAME, hz);
}

static struct voice_mixer *bridge(struct run *r, unsigned legs, enum voice_leg_state st)
{
	struct voice_mixer *m = voice_mixer_alloc(NULL, VOICE_LEGS_MAX, &events, r);

	assert_non_null(m);
	for (unsigned k = 1; k <= legs; k++) {
		assert_int_equal(voice_mixer_add_leg(m), (int)k);
		assert_int_equal(voice_mixer_set_state(m, k, st), 0);
	}
	return m;
}

/* Three bridged legs: each hears the two others' tones, never its own. */
static void test_three_tones(void **state)
{
	struct run *r = calloc(1, sizeof(*r));
	struct voice_mixer *m = bridge(r, 3, VOICE_LEG_BRIDGED);

	(void)state;
	run_periods(m, r, 3, 50);
	for (unsigned k = 1; k <= 3; k++) {
		for (unsigned s = 1; s <= 3; s++) {
			double db = heard_db(r, k, leg_hz[s]);

			if (s == k)
				assert_true(db <= -40);
			else
				assert_true(db >= -20 && db <= -9);
		}
		assert_true(heard_db(r, k, HZ_PROMPT) <= -40);
	}
	voice_mixer_free(m);
	free(r);
}

/* NOTICE hears only its prompt and is not heard; the end of the prompt is reported. */
static void test_notice(void **state)
{
	struct run *r = calloc(1, sizeof(*r));
	struct voice_mixer *m = bridge(r, 3, VOICE_LEG_BRIDGED);
	int16_t prompt[30 * VOICE_FRAME + 17];
	int id;

	(void)state;
	assert_int_equal(voice_mixer_set_state(m, 1, VOICE_LEG_NOTICE), 0);
	tone_fill(prompt, 30 * VOICE_FRAME + 17, HZ_PROMPT, LEVEL_DB, 0);
	id = voice_mixer_prompt(m, 1, prompt, 30 * VOICE_FRAME + 17);
	assert_true(id > 0);
	assert_int_equal(voice_mixer_prompt_pending(m, 1), 31);
	run_periods(m, r, 3, 20);
	assert_true(heard_db(r, 1, HZ_PROMPT) >= -11);
	assert_true(heard_db(r, 1, leg_hz[2]) <= -40);
	assert_true(heard_db(r, 1, leg_hz[3]) <= -40);
	for (unsigned k = 2; k <= 3; k++) {
		assert_true(heard_db(r, k, leg_hz[1]) <= -40);
		assert_true(heard_db(r, k, HZ_PROMPT) <= -40); /* the prompt is leg 1's */
	}
	assert_int_equal(r->n_done, 0);
	run_periods(m, r, 3, 11);
	assert_int_equal(r->n_done, 1);
	assert_int_equal(r->done_leg[0], 1);
	assert_int_equal(r->done_id[0], id);
	assert_int_equal(voice_mixer_prompt_pending(m, 1), 0);
	voice_mixer_free(m);
	free(r);
}

/* The flow's use: bridge the leg when its notice has played; then it hears and is heard. */
static void bridge_on_done(struct voice_mixer *m, unsigned leg, int id, void *data)
{
	(void)id;
	(void)data;
	assert_int_equal(voice_mixer_set_state(m, leg, VOICE_LEG_BRIDGED), 0);
}

static void test_notice_then_bridged(void **state)
{
	static const struct voice_mixer_events ev = {.on_prompt_done = bridge_on_done};
	struct run *r = calloc(1, sizeof(*r));
	struct voice_mixer *m = voice_mixer_alloc(NULL, 3, &ev, r);
	int16_t prompt[5 * VOICE_FRAME];

	(void)state;
	for (unsigned k = 1; k <= 3; k++)
		assert_int_equal(voice_mixer_add_leg(m), (int)k);
	assert_int_equal(voice_mixer_set_state(m, 2, VOICE_LEG_BRIDGED), 0);
	assert_int_equal(voice_mixer_set_state(m, 3, VOICE_LEG_BRIDGED), 0);
	tone_fill(prompt, 5 * VOICE_FRAME, HZ_PROMPT, LEVEL_DB, 0);
	assert_true(voice_mixer_prompt(m, 1, prompt, 5 * VOICE_FRAME) > 0);
	run_periods(m, r, 3, 5);
	assert_int_equal(voice_mixer_get_state(m, 1), VOICE_LEG_BRIDGED);
	run_periods(m, r, 3, 20);
	assert_true(heard_db(r, 1, leg_hz[2]) >= -11);
	assert_true(heard_db(r, 2, leg_hz[1]) >= -11);
	assert_true(heard_db(r, 1, HZ_PROMPT) <= -40);
	voice_mixer_free(m);
	free(r);
}

/* MUTED hears, is not heard; GONE neither, and refuses put and get. */
static void test_muted_and_gone(void **state)
{
	struct run *r = calloc(1, sizeof(*r));
	struct voice_mixer *m = bridge(r, 3, VOICE_LEG_BRIDGED);
	int16_t f[VOICE_FRAME] = {0};

	(void)state;
	assert_int_equal(voice_mixer_set_state(m, 1, VOICE_LEG_MUTED), 0);
	run_periods(m, r, 3, 20);
	assert_true(heard_db(r, 1, leg_hz[2]) >= -11);
	assert_true(heard_db(r, 1, leg_hz[3]) >= -11);
	assert_true(heard_db(r, 2, leg_hz[1]) <= -40);
	assert_true(heard_db(r, 3, leg_hz[1]) <= -40);

	assert_int_equal(voice_mixer_set_state(m, 1, VOICE_LEG_GONE), 0);
	assert_int_equal(voice_mixer_put(m, 1, f, VOICE_FRAME), -ENOENT);
	assert_int_equal(voice_mixer_get(m, 1, f), -ENOENT);
	assert_int_equal(voice_mixer_set_state(m, 1, VOICE_LEG_BRIDGED), -ENOENT);
	assert_int_equal(voice_mixer_prompt(m, 1, f, VOICE_FRAME), -ENOENT);
	run_periods(m, r, 3, 20);
	assert_true(heard_db(r, 2, leg_hz[1]) <= -40);
	assert_true(heard_db(r, 2, leg_hz[3]) >= -11);
	/* Its number is not given again. */
	assert_int_equal(voice_mixer_add_leg(m), 4);
	voice_mixer_free(m);
	free(r);
}

/* Two in-phase full-scale squares: the sum saturates, every sample counted, no wrap. */
static void test_saturation(void **state)
{
	struct voice_mixer *m = voice_mixer_alloc(NULL, 3, NULL, NULL);
	int16_t sq[VOICE_FRAME], out[VOICE_FRAME];
	struct voice_leg_stats st;

	(void)state;
	for (unsigned i = 0; i < VOICE_FRAME; i++)
		sq[i] = (i / 20) % 2 ? INT16_MIN : INT16_MAX;
	for (unsigned k = 1; k <= 3; k++) {
		voice_mixer_add_leg(m);
		voice_mixer_set_state(m, k, VOICE_LEG_BRIDGED);
	}
	for (unsigned f = 0; f < 10; f++) {
		assert_int_equal(voice_mixer_put(m, 2, sq, VOICE_FRAME), 0);
		assert_int_equal(voice_mixer_put(m, 3, sq, VOICE_FRAME), 0);
		assert_int_equal(voice_mixer_get(m, 1, out), 0);
		for (unsigned i = 0; i < VOICE_FRAME; i++)
			assert_int_equal(out[i], sq[i]);
	}
	assert_int_equal(voice_mixer_leg_stats(m, 1, &st), 0);
	assert_int_equal(st.clipped, 10 * VOICE_FRAME);
	assert_int_equal(st.frames_out, 10);
	voice_mixer_free(m);
}

/* One tap frame per channel per master frame; channel k is what leg k said. */
static void test_tap(void **state)
{
	struct run *r = calloc(1, sizeof(*r));
	struct voice_mixer *m = bridge(r, 3, VOICE_LEG_BRIDGED);
	struct voice_tap_stats ts;
	int16_t prompt[100 * VOICE_FRAME];

	(void)state;
	tone_fill(prompt, 100 * VOICE_FRAME, HZ_PROMPT, LEVEL_DB, 0);
	/* For every leg: the relay's channel carries it once, not three times. */
	assert_true(voice_mixer_prompt(m, VOICE_ALL_LEGS, prompt, 100 * VOICE_FRAME) > 0);
	run_periods(m, r, 3, 40);
	assert_int_equal(r->tap_frames, 40);
	assert_int_equal(r->tap_channels, 1 + VOICE_LEGS_MAX);
	assert_true(fabs(tone_db(r->tap[0], WINDOW * VOICE_FRAME, HZ_PROMPT) - LEVEL_DB) < 1);
	for (unsigned k = 1; k <= 3; k++)
		for (unsigned s = 1; s <= 3; s++) {
			double db = tone_db(r->tap[k], WINDOW * VOICE_FRAME, leg_hz[s]);

			assert_true(s == k ? fabs(db - LEVEL_DB) < 1 : db <= -40);
		}
	for (unsigned k = 4; k <= VOICE_LEGS_MAX; k++)
		for (unsigned i = 0; i < WINDOW * VOICE_FRAME; i++)
			assert_int_equal(r->tap[k][i], 0);
	voice_mixer_tap_stats(m, &ts);
	assert_int_equal(ts.master, 1);
	assert_int_equal(ts.frames, 40);
	/* Legs 2 and 3 had said nothing yet at the first frame: nothing else missed. */
	assert_int_equal(ts.underruns, 2);
	assert_int_equal(ts.skips + ts.clipped, 0);
	/* The master goes: the next leg clocks the tap, which goes on frame for frame. */
	voice_mixer_set_state(m, 1, VOICE_LEG_GONE);
	run_periods(m, r, 3, 10);
	voice_mixer_tap_stats(m, &ts);
	assert_int_equal(ts.master, 2);
	assert_int_equal(ts.frames, 50);
	assert_true(tone_db(r->tap[1], WINDOW * VOICE_FRAME, leg_hz[1]) <= -40);
	voice_mixer_free(m);
	free(r);
}

/* A leg's channel is silent until it is bridged: the notice comes before the recording. */
static void test_tap_notice_silent(void **state)
{
	struct run *r = calloc(1, sizeof(*r));
	struct voice_mixer *m = bridge(r, 2, VOICE_LEG_BRIDGED);

	(void)state;
	voice_mixer_set_state(m, 2, VOICE_LEG_NOTICE);
	run_periods(m, r, 2, 20);
	assert_true(tone_db(r->tap[2], WINDOW * VOICE_FRAME, leg_hz[2]) <= -100);
	assert_true(fabs(tone_db(r->tap[1], WINDOW * VOICE_FRAME, leg_hz[1]) - LEVEL_DB) < 1);
	voice_mixer_free(m);
	free(r);
}

/* Prompts: the queue is bounded (all or nothing); GONE drops them without a report. */
static void test_prompt_queue(void **state)
{
	struct run *r = calloc(1, sizeof(*r));
	struct voice_mixer *m = bridge(r, 2, VOICE_LEG_NOTICE);
	int16_t p[VOICE_FRAME] = {1000};
	int id1, id2;

	(void)state;
	for (unsigned i = 0; i < VOICE_PROMPT_QUEUE - 1; i++)
		assert_true(voice_mixer_prompt(m, 1, p, VOICE_FRAME) > 0);
	id1 = voice_mixer_prompt(m, VOICE_ALL_LEGS, p, VOICE_FRAME);
	assert_true(id1 > 0);
	assert_int_equal(voice_mixer_prompt(m, VOICE_ALL_LEGS, p, VOICE_FRAME), -ENOSPC);
	assert_int_equal(voice_mixer_prompt_pending(m, 2), 1);
	id2 = voice_mixer_prompt(m, 2, p, VOICE_FRAME);
	assert_int_equal(id2, id1 + 1);
	assert_int_equal(voice_mixer_prompt_pending(m, 1), VOICE_PROMPT_QUEUE);
	run_periods(m, r, 2, 2);
	assert_int_equal(r->n_done, 4); /* leg 1's first two; leg 2's shared one and own */
	assert_int_equal(r->done_leg[1], 2);
	assert_int_equal(r->done_id[1], id1);
	assert_int_equal(r->done_id[3], id2);
	assert_int_equal(voice_mixer_set_state(m, 1, VOICE_LEG_GONE), 0);
	assert_int_equal(voice_mixer_prompt_pending(m, 1), 0);
	run_periods(m, r, 2, 3);
	assert_int_equal(r->n_done, 4);
	voice_mixer_free(m); /* under ASan: nothing leaked */
	free(r);
}

static void stats_all(struct voice_mixer *m, struct voice_leg_stats *st)
{
	for (unsigned k = 1; k <= 3; k++)
		assert_int_equal(voice_mixer_leg_stats(m, k, &st[k]), 0);
}

/* Wrong lengths, wrong legs, NULLs, unknown states: -EINVAL and nothing moves. */
static void test_hostile(void **state)
{
	static const unsigned bad_n[] = {0, 1, 159, 161, 320, UINT32_MAX};
	static const unsigned bad_leg[] = {0, 4, VOICE_LEGS_MAX, VOICE_LEGS_MAX + 1, UINT32_MAX};
	struct run *r = calloc(1, sizeof(*r));
	struct voice_mixer *m = bridge(r, 3, VOICE_LEG_BRIDGED);
	struct voice_leg_stats before[4] = {0}, after[4] = {0};
	int16_t f[2 * VOICE_FRAME] = {1, 2, 3}, out[VOICE_FRAME];

	(void)state;
	run_periods(m, r, 3, 5);
	stats_all(m, before);
	for (unsigned i = 0; i < sizeof(bad_n) / sizeof(bad_n[0]); i++)
		assert_int_equal(voice_mixer_put(m, 1, f, bad_n[i]), -EINVAL);
	for (unsigned i = 0; i < sizeof(bad_leg) / sizeof(bad_leg[0]); i++) {
		unsigned l = bad_leg[i];

		assert_int_equal(voice_mixer_put(m, l, f, VOICE_FRAME), -EINVAL);
		assert_int_equal(voice_mixer_get(m, l, out), -EINVAL);
		assert_int_equal(voice_mixer_set_state(m, l, VOICE_LEG_MUTED), -EINVAL);
		assert_int_equal(voice_mixer_get_state(m, l), -EINVAL);
		assert_int_equal(voice_mixer_prompt_pending(m, l), -EINVAL);
		assert_int_equal(voice_mixer_leg_stats(m, l, &after[0]), -EINVAL);
		if (l != VOICE_ALL_LEGS)
			assert_int_equal(voice_mixer_prompt(m, l, f, VOICE_FRAME), -EINVAL);
	}
	assert_int_equal(voice_mixer_put(m, 1, NULL, VOICE_FRAME), -EINVAL);
	assert_int_equal(voice_mixer_put(NULL, 1, f, VOICE_FRAME), -EINVAL);
	assert_int_equal(voice_mixer_get(m, 1, NULL), -EINVAL);
	assert_int_equal(voice_mixer_set_state(m, 1, (enum voice_leg_state)7), -EINVAL);
	assert_int_equal(voice_mixer_set_state(m, 1, (enum voice_leg_state) - 1), -EINVAL);
	assert_int_equal(voice_mixer_prompt(m, 1, NULL, 10), -EINVAL);
	assert_int_equal(voice_mixer_prompt(m, 1, f, 0), -EINVAL);
	assert_int_equal(voice_mixer_prompt(m, 1, f, VOICE_PROMPT_MAX_SAMPLES + 1), -EINVAL);
	assert_null(voice_mixer_alloc(NULL, 0, NULL, NULL));
	assert_null(voice_mixer_alloc(NULL, VOICE_LEGS_MAX + 1, NULL, NULL));
	stats_all(m, after);
	assert_memory_equal(before, after, sizeof(before));
	for (unsigned k = 1; k <= 3; k++)
		assert_int_equal(voice_mixer_get_state(m, k), VOICE_LEG_BRIDGED);
	/* And the bridge goes on as before. */
	run_periods(m, r, 3, 20);
	assert_true(heard_db(r, 1, leg_hz[2]) >= -11);
	assert_true(heard_db(r, 1, leg_hz[1]) <= -40);
	voice_mixer_free(m);
	free(r);
}

/* A burst leaves a reader two frames behind its source (its modem delivered three
 * frames at once after a late loop), then both run in step: the reader must come back to
 * the newest frame within a second or so, one skipped frame at a time, not stay three
 * frames (40 ms) late for the rest of the call. */
static void test_backlog_drains(void **state)
{
	struct voice_mixer *m = voice_mixer_alloc(NULL, 2, NULL, NULL);
	int16_t said[VOICE_FRAME], heard[VOICE_FRAME];
	struct voice_leg_stats st;
	int16_t last = 0;

	(void)state;
	assert_non_null(m);
	for (unsigned k = 1; k <= 2; k++) {
		assert_int_equal(voice_mixer_add_leg(m), (int)k);
		assert_int_equal(voice_mixer_set_state(m, k, VOICE_LEG_BRIDGED), 0);
	}
	/* Frame n of leg 1 holds n in every sample. */
	for (int16_t n = 1; n <= 2; n++) {
		for (unsigned i = 0; i < VOICE_FRAME; i++)
			said[i] = n;
		assert_int_equal(voice_mixer_put(m, 1, said, VOICE_FRAME), 0);
	}
	for (int16_t n = 3; n < 3 + 100; n++) {
		for (unsigned i = 0; i < VOICE_FRAME; i++)
			said[i] = n;
		assert_int_equal(voice_mixer_put(m, 1, said, VOICE_FRAME), 0);
		assert_int_equal(voice_mixer_get(m, 2, heard), 0);
		last = n;
	}
	print_message("after 2 s in step leg 2 hears frame %d of %d\n", heard[0], last);
	assert_int_equal(heard[0], last);
	assert_int_equal(voice_mixer_leg_stats(m, 2, &st), 0);
	assert_int_equal(st.skips, 2); /* the backlog, dropped one frame at a time */
	voice_mixer_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_three_tones),
	    cmocka_unit_test(test_notice),
	    cmocka_unit_test(test_notice_then_bridged),
	    cmocka_unit_test(test_muted_and_gone),
	    cmocka_unit_test(test_saturation),
	    cmocka_unit_test(test_tap),
	    cmocka_unit_test(test_tap_notice_silent),
	    cmocka_unit_test(test_prompt_queue),
	    cmocka_unit_test(test_hostile),
	    cmocka_unit_test(test_backlog_drains),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
