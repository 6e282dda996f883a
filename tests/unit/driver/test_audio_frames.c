/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Call audio frames: assembly from reads of any size, re-alignment of a stream that
 * starts mid-sample, and the uplink queue and clock under ±500 ppm of drift between the
 * host and the modem for ten simulated minutes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "modem/driver/audio_frames.h"

#define N_FRAMES 50

/* A tone at `amp` as the modem sends it: s16le bytes. */
static void tone_bytes_amp(uint8_t *out, unsigned samples, double hz, double amp)
{
	for (unsigned i = 0; i < samples; i++) {
		int16_t s = (int16_t)lrint(amp * sin(2 * M_PI * hz * i / 8000.0));
		uint16_t u = (uint16_t)s;

		out[2 * i] = (uint8_t)(u & 0xff);
		out[2 * i + 1] = (uint8_t)(u >> 8);
	}
}

/* ... at -10 dBFS. */
static void tone_bytes(uint8_t *out, unsigned samples, double hz)
{
	tone_bytes_amp(out, samples, hz, 10362.0);
}

struct got {
	unsigned frames;
	int16_t samples[N_FRAMES * AUDIO_FRAME_SAMPLES];
};

static void collect(const int16_t *s, void *data)
{
	struct got *g = data;

	if (g->frames < N_FRAMES)
		memcpy(g->samples + g->frames * AUDIO_FRAME_SAMPLES, s,
		       AUDIO_FRAME_SAMPLES * sizeof(*s));
	g->frames++;
}

/* Reads of 1, 7, 319, 320, 321, 641 ... bytes give exactly the frames sent. */
static void test_partial_and_odd_reads(void **state)
{
	static const size_t sizes[] = {1, 7, 319, 320, 321, 641, 2, 13, 960, 3};
	uint8_t *bytes = malloc(N_FRAMES * AUDIO_FRAME_BYTES);
	struct audio_rx rx;
	struct got *g = calloc(1, sizeof(*g));
	size_t off = 0, k = 0;

	(void)state;
	tone_bytes(bytes, N_FRAMES * AUDIO_FRAME_SAMPLES, 1000);
	audio_rx_reset(&rx);
	while (off < N_FRAMES * AUDIO_FRAME_BYTES) {
		size_t n = sizes[k++ % 10];

		if (n > N_FRAMES * AUDIO_FRAME_BYTES - off)
			n = N_FRAMES * AUDIO_FRAME_BYTES - off;
		audio_rx_feed(&rx, bytes + off, n, collect, g);
		off += n;
	}
	assert_int_equal(g->frames, N_FRAMES);
	assert_int_equal(rx.frames, N_FRAMES);
	assert_int_equal(rx.realigns, 0);
	assert_true(rx.short_reads > 0);
	for (unsigned i = 0; i < N_FRAMES * AUDIO_FRAME_SAMPLES; i++)
		assert_int_equal(g->samples[i], (int16_t)(bytes[2 * i] | (bytes[2 * i + 1] << 8)));
	free(g);
	free(bytes);
}

/* A stream that starts with one stray byte is re-aligned within a few frames, and what
 * follows is the tone, sample for sample. */
static void test_misaligned_start(void **state)
{
	uint8_t *bytes = malloc(N_FRAMES * AUDIO_FRAME_BYTES + 1);
	struct audio_rx rx;
	struct got *g = calloc(1, sizeof(*g));
	unsigned last;

	(void)state;
	bytes[0] = 0x5a;
	tone_bytes(bytes + 1, N_FRAMES * AUDIO_FRAME_SAMPLES, 1000);
	audio_rx_reset(&rx);
	for (size_t off = 0; off < N_FRAMES * AUDIO_FRAME_BYTES + 1; off += 320) {
		size_t n = N_FRAMES * AUDIO_FRAME_BYTES + 1 - off;

		audio_rx_feed(&rx, bytes + off, n < 320 ? n : 320, collect, g);
	}
	assert_int_equal(rx.realigns, 1);
	/* The first frame (the stray byte and 319 of the tone's) was heard as it came; the
	 * second looked shifted again, one byte went, and the tone's frames 1..49 follow. */
	assert_int_equal(g->frames, N_FRAMES);
	/* The last frame heard is the tone's last whole frame. */
	last = g->frames - 1;
	for (unsigned i = 0; i < AUDIO_FRAME_SAMPLES; i++) {
		const uint8_t *p =
		    bytes + 1 + 2 * ((size_t)(N_FRAMES - 1) * AUDIO_FRAME_SAMPLES + i);
		int16_t want = (int16_t)(p[0] | (p[1] << 8));
		int16_t got = g->samples[last * AUDIO_FRAME_SAMPLES + i];

		assert_int_equal(got, want);
	}
	free(g);
	free(bytes);
}

/* A byte slip in the middle of a high tone (1.8 kHz) is re-aligned too; a full-scale tone
 * at the top of the telephone band (3.4 kHz), aligned, is never taken for one. */
static void test_slip_high_tones(void **state)
{
	uint8_t *bytes = malloc(N_FRAMES * AUDIO_FRAME_BYTES + 1);
	struct audio_rx rx;
	struct got *g = calloc(1, sizeof(*g));

	(void)state;
	tone_bytes(bytes, N_FRAMES * AUDIO_FRAME_SAMPLES, 1800);
	audio_rx_reset(&rx);
	audio_rx_feed(&rx, bytes, 10 * AUDIO_FRAME_BYTES, collect, g);
	audio_rx_feed(&rx, (const uint8_t *)"", 1, collect, g); /* the slip */
	audio_rx_feed(&rx, bytes + 10 * AUDIO_FRAME_BYTES, 40 * AUDIO_FRAME_BYTES, collect, g);
	assert_int_equal(rx.realigns, 1);

	tone_bytes_amp(bytes, N_FRAMES * AUDIO_FRAME_SAMPLES, 3400, 32767.0);
	audio_rx_reset(&rx);
	audio_rx_feed(&rx, bytes, N_FRAMES * AUDIO_FRAME_BYTES, collect, g);
	assert_int_equal(rx.realigns, 0);
	free(g);
	free(bytes);
}

/* Silence and a quiet signal are never taken for a byte slip. */
static void test_quiet_never_realigned(void **state)
{
	uint8_t bytes[AUDIO_FRAME_BYTES * 10];
	struct audio_rx rx;
	struct got *g = calloc(1, sizeof(*g));

	(void)state;
	memset(bytes, 0, sizeof(bytes));
	for (unsigned i = 0; i < sizeof(bytes) / 2; i++)
		bytes[2 * i] = (uint8_t)(rand() % 5); /* noise of a few LSB */
	audio_rx_reset(&rx);
	audio_rx_feed(&rx, bytes, sizeof(bytes), collect, g);
	assert_int_equal(rx.realigns, 0);
	assert_int_equal(g->frames, 10);
	free(g);
}

static void test_queue_bounds(void **state)
{
	struct audio_tx tx;
	int16_t f[AUDIO_FRAME_SAMPLES], out[AUDIO_FRAME_SAMPLES];

	(void)state;
	audio_tx_init(&tx, 4);
	for (int i = 0; i < 6; i++) {
		f[0] = (int16_t)i;
		audio_tx_push(&tx, f);
	}
	assert_int_equal(tx.len, 4);
	assert_int_equal(tx.drops, 2);
	assert_int_equal(tx.max_depth, 4);
	/* The oldest went: 2, 3, 4, 5 remain. */
	for (int i = 2; i < 6; i++) {
		assert_true(audio_tx_pop(&tx, out));
		assert_int_equal(out[0], i);
	}
	assert_false(audio_tx_pop(&tx, out));
	assert_int_equal(out[0], 0);
	assert_int_equal(tx.underruns, 1);
	audio_tx_init(&tx, 1000);
	assert_int_equal(tx.cap, AUDIO_TX_CAP_MAX);
}

/* Ten minutes of a call: the host writes a frame every 20 ms of its clock, the modem
 * sends (and takes) one every 20 ms of its own, off by `ppm`. The uplink is clocked by the
 * downlink: the queue never exceeds its bound, and what drift costs is the frames the
 * clocks differ by, no more. Times in microseconds. */
static void drift(long ppm)
{
	const int64_t end = 10LL * 60 * 1000000;
	const int64_t host_period = 20000, modem_period = 20000 + 20000 * ppm / 1000000;
	int64_t host_next = 0, modem_next = 7000; /* not in phase */
	struct audio_tx tx;
	struct audio_clock clk;
	int16_t f[AUDIO_FRAME_SAMPLES] = {1}, out[AUDIO_FRAME_SAMPLES];
	uint64_t host_frames = 0, modem_frames = 0, expected;

	audio_tx_init(&tx, 4);
	audio_clock_init(&clk, 0, 60);
	while (host_next < end || modem_next < end) {
		if (host_next <= modem_next) {
			audio_tx_push(&tx, f);
			host_frames++;
			host_next += host_period;
		} else {
			/* A downlink frame came: one uplink frame goes. */
			audio_clock_rx(&clk, modem_next / 1000);
			audio_tx_pop(&tx, out);
			modem_frames++;
			assert_false(audio_clock_due(&clk, modem_next / 1000 + 20));
			modem_next += modem_period;
		}
		assert_true(tx.len <= 4);
	}
	assert_true(tx.max_depth <= 4);
	expected =
	    host_frames > modem_frames ? host_frames - modem_frames : modem_frames - host_frames;
	/* 500 ppm of 30000 frames is 15. */
	assert_in_range(expected, 10, 20);
	if (ppm > 0) /* the modem is slower: the host's extra frames are dropped */
		assert_in_range(tx.drops, expected - 4, expected + 1);
	else /* the modem is faster: it gets silence in their place */
		assert_in_range(tx.underruns, expected - 1, expected + 4);
}

static void test_drift_plus(void **state)
{
	(void)state;
	drift(500);
}

static void test_drift_minus(void **state)
{
	(void)state;
	drift(-500);
}

/* The modem's timer is late now and then (a busy USB bus, a loaded box): it sends two
 * frames at once, and takes two uplink slots before our answer to the first arrives, so
 * one slot plays silence. Without the clock's debt every such burst would leave one more
 * frame waiting in the modem for the rest of the call; with it, what the modem holds when
 * our answer has come stays at one frame. Ten minutes, a burst every few seconds. */
static void test_bursts_keep_delay(void **state)
{
	struct audio_clock clk;
	struct audio_tx tx;
	int16_t f[AUDIO_FRAME_SAMPLES] = {1}, out[AUDIO_FRAME_SAMPLES];
	unsigned modem_buf = 1, max_buf = 0, bursts = 0;
	int64_t t = 0;

	(void)state;
	srand(7);
	audio_tx_init(&tx, 4);
	audio_clock_init(&clk, 0, 60);
	audio_clock_rx(&clk, 0);
	for (int tick = 1; tick < 30000; tick++) {
		bool late = rand() % 150 == 0;
		int n = late ? 2 : 1;

		if (late) { /* this tick comes with the next one, 20 ms late */
			tick++;
			bursts++;
		}
		t = (int64_t)tick * 20;
		/* The modem: n frames down, n slots taken (silence when its buffer is empty). */
		for (int k = 0; k < n; k++)
			modem_buf = modem_buf ? modem_buf - 1 : 0;
		/* The host: each frame heard, echoed, one uplink frame sent if the clock says. */
		for (int k = 0; k < n; k++) {
			audio_tx_push(&tx, f);
			if (audio_clock_rx(&clk, t + k)) {
				audio_tx_pop(&tx, out);
				modem_buf++;
			} else if (tx.len) {
				audio_tx_pop(&tx, out);
			}
		}
		if (modem_buf > max_buf)
			max_buf = modem_buf;
	}
	assert_true(bursts > 100);
	assert_int_equal(max_buf, 1);
	assert_int_equal(clk.skipped, bursts);
}

/* The downlink stalls: the timer's ticks take over after the stall time, and stop when
 * it comes back. */
static void test_stall_clock(void **state)
{
	struct audio_clock clk;
	unsigned ticks = 0;

	(void)state;
	audio_clock_init(&clk, 0, 60);
	for (int64_t t = 0; t < 200; t += 20)
		ticks += audio_clock_due(&clk, t);
	/* 60, 80, ..., 180 */
	assert_int_equal(ticks, 7);
	audio_clock_rx(&clk, 200);
	assert_false(audio_clock_due(&clk, 220));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_partial_and_odd_reads),
	    cmocka_unit_test(test_misaligned_start),
	    cmocka_unit_test(test_quiet_never_realigned),
	    cmocka_unit_test(test_queue_bounds),
	    cmocka_unit_test(test_slip_high_tones),
	    cmocka_unit_test(test_bursts_keep_delay),
	    cmocka_unit_test(test_drift_plus),
	    cmocka_unit_test(test_drift_minus),
	    cmocka_unit_test(test_stall_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
