/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Three bridged legs on three modem clocks, -500, 0 and +500 ppm, for ten simulated
 * minutes: each modem's frames come on its own clock (an event list in simulated time,
 * each leg's put then get as its on_audio would), and the bridge must keep every tone
 * heard, the delay bounded, and its underruns and skips close to the drift itself. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/voice/voice_mixer.h"
#include "tests/e2e/tones.h"

#define LEGS	  3
#define SIM_US	  (600LL * 1000 * 1000) /* ten minutes */
#define CHECK_US  (15LL * 1000 * 1000)	/* tones measured this often */
#define WINDOW	  10			/* frames measured */
#define LEVEL_DB  -10.0
#define FRAME_US  20000.0
#define TOLERANCE (VOICE_MAX_LAG + 2) /* frames a count may differ from the drift, per pair */

/* 600, 1000, 1400 Hz: whole cycles in a frame, so a skipped or silent frame leaves the
 * phase continuous and the level measures only what was lost. */
static const double hz[LEGS + 1] = {0, 600, 1000, 1400};
static const double ppm[LEGS + 1] = {0, -500, 0, +500};
static const double phase_us[LEGS + 1] = {0, 0, 7300, 13900};

struct sim {
	struct voice_mixer *m;
	double next_us[LEGS + 1];
	uint64_t frames[LEGS + 1];
	int16_t heard[LEGS + 1][WINDOW * VOICE_FRAME];
	uint64_t tap_frames;
	unsigned checks;
};

static void on_tap(struct voice_mixer *m, const int16_t *const *ch, unsigned n_ch, void *data)
{
	struct sim *s = data;

	(void)m;
	(void)ch;
	assert_int_equal(n_ch, 1 + LEGS);
	s->tap_frames++;
}

/* Leg k's modem delivers a frame: the leg says its tone and hears the mix. */
static void leg_frame(struct sim *s, unsigned k)
{
	int16_t said[VOICE_FRAME];
	unsigned slot = s->frames[k] % WINDOW;

	tone_fill(said, VOICE_FRAME, hz[k], LEVEL_DB, s->frames[k] * VOICE_FRAME);
	assert_int_equal(voice_mixer_put(s->m, k, said, VOICE_FRAME), 0);
	assert_int_equal(voice_mixer_get(s->m, k, s->heard[k] + slot * VOICE_FRAME), 0);
	s->frames[k]++;
	s->next_us[k] += FRAME_US / (1 + ppm[k] * 1e-6);
}

static unsigned earliest(const struct sim *s)
{
	unsigned k = 1;

	for (unsigned j = 2; j <= LEGS; j++)
		if (s->next_us[j] < s->next_us[k])
			k = j;
	return k;
}

/* The last WINDOW frames each leg heard (a ring: order does not matter to the level of a
 * tone with whole cycles per frame). */
static void check_tones(struct sim *s)
{
	for (unsigned k = 1; k <= LEGS; k++)
		for (unsigned j = 1; j <= LEGS; j++) {
			double db = tone_db(s->heard[k], WINDOW * VOICE_FRAME, hz[j]);

			if (j == k)
				assert_true(db <= -40);
			else if (db < -20)
				fail_msg("leg %u hears leg %u at %.1f dB", k, j, db);
		}
	s->checks++;
}

static uint64_t excess(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* Each reader's skips and underruns against what the clocks alone make necessary. */
static void check_counts(struct sim *s)
{
	struct voice_leg_stats st[LEGS + 1];

	for (unsigned k = 1; k <= LEGS; k++)
		assert_int_equal(voice_mixer_leg_stats(s->m, k, &st[k]), 0);
	for (unsigned r = 1; r <= LEGS; r++) {
		uint64_t want_skips = 0, want_under = 0;

		for (unsigned k = 1; k <= LEGS; k++) {
			if (k == r)
				continue;
			want_skips += excess(st[k].frames_in, st[r].frames_out);
			want_under += excess(st[r].frames_out, st[k].frames_in);
		}
		printf("leg %u (%+.0f ppm): %llu frames, %llu underruns (drift %llu), %llu skips "
		       "(drift %llu), max lag %u\n",
		       r, ppm[r], (unsigned long long)st[r].frames_out,
		       (unsigned long long)st[r].underruns, (unsigned long long)want_under,
		       (unsigned long long)st[r].skips, (unsigned long long)want_skips,
		       st[r].max_lag);
		assert_true(llabs((long long)st[r].skips - (long long)want_skips) <= 2 * TOLERANCE);
		assert_true(llabs((long long)st[r].underruns - (long long)want_under) <=
			    2 * TOLERANCE);
		assert_true(st[r].max_lag <= VOICE_MAX_LAG + 1);
		assert_int_equal(st[r].clipped, 0);
	}
	/* 500 ppm of 30 000 frames is 15: the middle leg sees exactly that either way. */
	assert_true(st[2].underruns >= 15 - TOLERANCE && st[2].underruns <= 15 + TOLERANCE);
	assert_true(st[2].skips >= 15 - TOLERANCE && st[2].skips <= 15 + TOLERANCE);
}

static void test_three_clocks(void **state)
{
	static const struct voice_mixer_events ev = {.on_tap = on_tap};
	struct sim *s = calloc(1, sizeof(*s));
	struct voice_tap_stats ts;
	double next_check = CHECK_US;

	(void)state;
	s->m = voice_mixer_alloc(NULL, LEGS, &ev, s);
	for (unsigned k = 1; k <= LEGS; k++) {
		assert_int_equal(voice_mixer_add_leg(s->m), (int)k);
		assert_int_equal(voice_mixer_set_state(s->m, k, VOICE_LEG_BRIDGED), 0);
		s->next_us[k] = phase_us[k];
	}
	for (;;) {
		unsigned k = earliest(s);

		if (s->next_us[k] >= SIM_US)
			break;
		if (s->next_us[k] >= next_check) {
			check_tones(s);
			next_check += CHECK_US;
		}
		leg_frame(s, k);
	}
	check_tones(s);
	assert_true(s->checks >= 40);
	check_counts(s);
	/* The tap: one frame per frame of the master (leg 1, the slow clock). */
	voice_mixer_tap_stats(s->m, &ts);
	assert_int_equal(ts.master, 1);
	assert_int_equal(s->tap_frames, s->frames[1]);
	printf("tap: %llu frames, %llu underruns, %llu skips\n", (unsigned long long)ts.frames,
	       (unsigned long long)ts.underruns, (unsigned long long)ts.skips);
	assert_true(ts.skips <= 45 + 2 * TOLERANCE && ts.underruns <= 2 * TOLERANCE);
	voice_mixer_free(s->m);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_three_clocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
