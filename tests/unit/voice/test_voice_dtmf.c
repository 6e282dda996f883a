/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* DTMF from a leg's audio (spandsp's generator into spandsp's detector) and from the
 * modem's reports: one press is one digit, whichever witness saw it, or both. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <spandsp.h>
#include <talloc.h>

#include "gateway/voice/voice_dtmf.h"

#define FRAME	   160
#define FRAME_MS   20
#define ON_MS	   80
#define OFF_MS	   120
#define MAX_FRAMES 400

struct got {
	char digits[64];
	enum voice_dtmf_source src[64];
	unsigned n;
};

static void on_digit(struct voice_dtmf *d, char digit, enum voice_dtmf_source src, void *data)
{
	struct got *g = data;

	(void)d;
	assert_true(g->n < sizeof(g->digits) - 1);
	g->src[g->n] = src;
	g->digits[g->n++] = digit;
}

/* `digits` keyed with ON_MS of tone and OFF_MS of silence each, from frame 0, and a
 * second of silence after: each digit starts at frame i * (ON_MS + OFF_MS) / FRAME_MS. */
static unsigned keyed(const char *digits, int16_t *out, unsigned max_frames)
{
	dtmf_tx_state_t *tx = dtmf_tx_init(NULL);
	unsigned frames = 0;
	int n;

	dtmf_tx_set_timing(tx, ON_MS, OFF_MS);
	dtmf_tx_put(tx, digits, -1);
	memset(out, 0, (size_t)max_frames * FRAME * sizeof(*out));
	while (frames < max_frames && (n = dtmf_tx(tx, out + frames * FRAME, FRAME)) > 0)
		frames++;
	dtmf_tx_free(tx);
	frames += 1000 / FRAME_MS;
	return frames < max_frames ? frames : max_frames;
}

/* Frame f of the audio at t0_ms + f * 20 ms; `urc(f)` lets a test add the modem's
 * reports. */
typedef void (*urc_fn)(struct voice_dtmf *d, unsigned frame);

static void play_at(struct voice_dtmf *d, int64_t t0_ms, const char *digits, urc_fn urc)
{
	int16_t *audio = malloc(MAX_FRAMES * FRAME * sizeof(*audio));
	unsigned frames = keyed(digits, audio, MAX_FRAMES);

	for (unsigned f = 0; f < frames; f++) {
		if (urc)
			urc(d, f);
		assert_int_equal(
		    voice_dtmf_audio(d, t0_ms + (int64_t)f * FRAME_MS, audio + f * FRAME, FRAME),
		    0);
	}
	free(audio);
}

static void play(struct voice_dtmf *d, const char *digits, urc_fn urc)
{
	play_at(d, 0, digits, urc);
}

#define DIGIT_FRAMES ((ON_MS + OFF_MS) / FRAME_MS)

static void test_inband_once_each(void **state)
{
	struct got g = {0};
	struct voice_dtmf *d = voice_dtmf_alloc(NULL, 0, on_digit, &g);
	struct voice_dtmf_stats st;

	(void)state;
	play(d, "1*9#", NULL);
	assert_string_equal(g.digits, "1*9#");
	for (unsigned i = 0; i < g.n; i++)
		assert_int_equal(g.src[i], VOICE_DTMF_INBAND);
	voice_dtmf_get_stats(d, &st);
	assert_int_equal(st.inband, 4);
	assert_int_equal(st.reported, 4);
	talloc_free(d);
}

/* The modem reports each key too: some before the detector confirms it (as the tone
 * starts), some after (the AT channel was busy). */
static void urc_1s9h(struct voice_dtmf *d, unsigned f)
{
	static const char keys[] = "1*9#";
	static const unsigned at[] = {1, 6, 0, 9}; /* frames into each digit's slot */

	for (unsigned i = 0; i < 4; i++)
		if (f == i * DIGIT_FRAMES + at[i])
			assert_int_equal(voice_dtmf_modem(d, (int64_t)f * FRAME_MS, keys[i]), 0);
}

static void test_both_witnesses_once(void **state)
{
	struct got g = {0};
	struct voice_dtmf *d = voice_dtmf_alloc(NULL, 0, on_digit, &g);
	struct voice_dtmf_stats st;

	(void)state;
	play(d, "1*9#", urc_1s9h);
	assert_string_equal(g.digits, "1*9#");
	assert_int_equal(g.src[0], VOICE_DTMF_MODEM); /* reported before the tone was sure */
	assert_int_equal(g.src[1], VOICE_DTMF_INBAND);
	voice_dtmf_get_stats(d, &st);
	assert_int_equal(st.inband, 4);
	assert_int_equal(st.modem, 4);
	assert_int_equal(st.merged, 4);
	talloc_free(d);
}

/* "5" twice, 200 ms apart (less than the window), seen by both: two presses. */
static void urc_55(struct voice_dtmf *d, unsigned f)
{
	if (f == 2 || f == DIGIT_FRAMES + 7)
		assert_int_equal(voice_dtmf_modem(d, (int64_t)f * FRAME_MS, '5'), 0);
}

static void test_same_digit_twice(void **state)
{
	struct got g = {0};
	struct voice_dtmf *d = voice_dtmf_alloc(NULL, 0, on_digit, &g);

	(void)state;
	play(d, "55", urc_55);
	assert_string_equal(g.digits, "55");
	talloc_free(d);

	/* By one witness alone, whichever, twice is twice. */
	memset(&g, 0, sizeof(g));
	d = voice_dtmf_alloc(NULL, 0, on_digit, &g);
	assert_int_equal(voice_dtmf_modem(d, 0, '5'), 0);
	assert_int_equal(voice_dtmf_modem(d, 150, '5'), 0);
	play_at(d, 2000, "55", NULL);
	assert_string_equal(g.digits, "5555"); /* the audio two seconds later: two presses */
	talloc_free(d);
}

/* The window: the other witness's account of the same digit counts as the same press
 * only within it; a modem report of another digit never merges. */
static void test_window(void **state)
{
	struct got g = {0};
	struct voice_dtmf *d = voice_dtmf_alloc(NULL, 300, on_digit, &g);

	(void)state;
	play(d, "7", NULL);
	assert_int_equal(voice_dtmf_modem(d, 1000, '7'), 0); /* > 300 ms after: a new press */
	assert_int_equal(voice_dtmf_modem(d, 1010, '8'), 0);
	assert_int_equal(voice_dtmf_modem(d, 1020, 'a'), 0);
	assert_string_equal(g.digits, "778A");
	talloc_free(d);
}

static void test_hostile(void **state)
{
	static const char bad[] = {'\0', 'E', 'x', ' ', '+', '\n', (char)0xff};
	struct got g = {0};
	struct voice_dtmf *d = voice_dtmf_alloc(NULL, 0, on_digit, &g);
	int16_t f[FRAME] = {0};
	struct voice_dtmf_stats st;

	(void)state;
	for (unsigned i = 0; i < sizeof(bad); i++)
		assert_int_equal(voice_dtmf_modem(d, 0, bad[i]), -EINVAL);
	assert_int_equal(voice_dtmf_modem(NULL, 0, '1'), -EINVAL);
	assert_int_equal(voice_dtmf_audio(d, 0, NULL, FRAME), -EINVAL);
	assert_int_equal(voice_dtmf_audio(d, 0, f, 0), -EINVAL);
	assert_int_equal(voice_dtmf_audio(NULL, 0, f, FRAME), -EINVAL);
	assert_int_equal(voice_dtmf_audio(d, 0, f, 7), 0); /* any length of real audio */
	assert_null(voice_dtmf_alloc(NULL, 0, NULL, NULL));
	voice_dtmf_get_stats(d, &st);
	assert_int_equal(st.modem + st.inband + st.reported, 0);
	assert_int_equal(g.n, 0);
	talloc_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_inband_once_each), cmocka_unit_test(test_both_witnesses_once),
	    cmocka_unit_test(test_same_digit_twice), cmocka_unit_test(test_window),
	    cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
