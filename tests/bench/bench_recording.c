/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Benchmark of call recordings (storage/recordings/recording.h) on speech-like audio.
 *
 * The audio: three channels as a bridged call has them — channel 0 the relay's prompts
 * (the recording notice, 8 s, then only the line's noise), channels 1 and 2 two parties
 * taking turns of 2 to 6 s with pauses. A talker is a voiced source (a 100-220 Hz pitch
 * that drifts, its harmonics shaped by three formants) under a syllable envelope of about
 * 4 Hz, plus breath noise; every channel carries the line's noise floor (uniform, +-FLOOR,
 * about -63 dBFS at 30). Five distinct minutes are generated and repeated.
 *
 * Figures (docs/performance.md):
 * - the writer: time per 20 ms frame with the header rewritten every frame, every 10,
 *   every 50 or never, and with fdatasync every 25 or 50 frames or never — its cost
 *   on the event loop per call;
 * - at rest, for FLAC and Ogg Opus: bytes per call-hour against the live WAV's, and
 *   recording_finish()'s time (encode, fsync, SHA-256, rename) as x real time.
 *
 * Usage: bench_recording [HOURS [DIR [FLOOR]]]  (defaults: 1, a directory in /tmp (also
 * for ""), 30) */
#include <errno.h>
#include <stdbool.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <talloc.h>

#include "storage/recordings/recording.h"

#define CH	 3
#define LOOP_SEC 300

static int16_t *loop_audio[CH]; /* LOOP_SEC of each channel */
static uint32_t seed = 12345;

static double rnd(void)
{
	seed = seed * 1664525u + 1013904223u;
	return (seed >> 8) / 8388608.0 - 1.0;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* One sample of a talker: harmonics of a drifting pitch weighted by three formants. */
static double voiced(int c, double sec, double *phase)
{
	double f0 = (c == 1 ? 180 : 110) * (1 + 0.12 * sin(2 * M_PI * 0.7 * sec + c));
	double f1 = 500 + 200 * sin(2 * M_PI * 3.1 * sec), s = 0;

	*phase += 2 * M_PI * f0 / 8000;
	for (int h = 1; h * f0 < 3800; h++) {
		double f = h * f0;
		double w = exp(-pow((f - f1) / 250, 2)) + 0.5 * exp(-pow((f - 1500) / 400, 2)) +
			   0.25 * exp(-pow((f - 2600) / 500, 2));
		s += w * sin(h * *phase);
	}
	return s;
}

/* Who talks at `sec`: 0 for the notice, 1 or 2 in turns, -1 for a pause. */
static int talker(double sec)
{
	static double turn_end = 8;
	static int who = 0;

	if (sec < 8)
		return 0;
	if (sec >= turn_end) {
		who = who == 1 ? 2 : 1;
		turn_end = sec + 2 + 4 * (rnd() + 1) / 2;
	}
	return turn_end - sec < 0.6 ? -1 : who; /* a pause before each change of turn */
}

static void generate(double floor_amp)
{
	double phase[CH] = {0};

	for (int c = 0; c < CH; c++)
		loop_audio[c] = malloc(sizeof(int16_t) * LOOP_SEC * 8000);
	for (long n = 0; n < LOOP_SEC * 8000L; n++) {
		double sec = n / 8000.0;
		int who = talker(sec);
		for (int c = 0; c < CH; c++) {
			double v = rnd() * floor_amp;
			if (c == who) {
				double env = 0.5 * (1 + sin(2 * M_PI * 4 * sec + c));
				v += env * env * (5000 * voiced(c, sec, &phase[c]) + 300 * rnd());
			}
			loop_audio[c][n] = (int16_t)fmax(-32768, fmin(32767, lrint(v)));
		}
	}
}

/* Write `frames` 20 ms frames from the loop; 0 or the writer's error. The longest
 * single write in *longest (seconds), when not NULL. */
static int feed(struct recording *r, uint64_t frames, double *longest)
{
	const uint64_t loop_frames = LOOP_SEC * 50;

	for (uint64_t f = 0; f < frames; f++) {
		uint64_t at = (f % loop_frames) * 160;
		const int16_t *planes[CH] = {loop_audio[0] + at, loop_audio[1] + at,
					     loop_audio[2] + at};
		double t = longest ? now() : 0;
		int rc = recording_write(r, planes, 160);
		if (rc)
			return rc;
		if (longest && now() - t > *longest)
			*longest = now() - t;
	}
	return 0;
}

static void writer_cost(void *ctx, const char *dir, unsigned header_every, unsigned sync_every,
			const char *label)
{
	struct recording_opts o = recording_opts_default;
	struct recording *r;
	const uint64_t frames = 10 * 60 * 50; /* ten minutes */
	char id[32];
	double t, longest = 0;

	o.header_every = header_every;
	o.sync_every = sync_every;
	snprintf(id, sizeof(id), "w-%u-%u", header_every, sync_every);
	if (recording_open(ctx, dir, id, CH, &o, &r))
		exit(1);
	t = now();
	if (feed(r, frames, &longest))
		exit(1);
	t = now() - t;
	printf("  %-28s %6.2f us per 20 ms frame (%.3f%% of a core per call), longest %.2f ms\n",
	       label, t / frames * 1e6, t / (frames * 0.02) * 100, longest * 1e3);
	talloc_free(r); /* leaves the live WAV, which we remove */
	char wav[1100];
	snprintf(wav, sizeof(wav), "%s/live/%s.wav", dir, id);
	unlink(wav);
}

static void at_rest(void *ctx, const char *dir, enum recording_format fmt, double hours)
{
	struct recording_opts o = recording_opts_default;
	struct recording_result res;
	struct recording *r;
	uint64_t frames = (uint64_t)(hours * 3600 * 50);
	double wav_bytes = 44 + 68 + frames * 160.0 * CH * 2, t;

	o.format = fmt;
	if (recording_open(ctx, dir, fmt == RECORDING_FLAC ? "flac" : "opus", CH, &o, &r) ||
	    feed(r, frames, NULL))
		exit(1);
	t = now();
	int rc = recording_finish(r, &res);
	t = now() - t;
	if (rc) {
		printf("  %s: finish failed: %s\n", recording_format_ext(fmt), res.error);
		return;
	}
	printf("  %-5s %9.2f MB per call-hour (WAV %.1f MB: %4.1f%%, %.2fx smaller), "
	       "%6.1f kbit/s; finish %.2f s = %.0fx real time\n",
	       recording_format_ext(fmt), res.bytes / hours / 1e6, wav_bytes / hours / 1e6,
	       100.0 * res.bytes / wav_bytes, wav_bytes / res.bytes,
	       res.bytes * 8 / (hours * 3600) / 1000, t, hours * 3600 / t);
	unlink(res.path);
}

int main(int argc, char **argv)
{
	double hours = argc > 1 ? atof(argv[1]) : 1;
	char tmpl[] = "/tmp/bench-recording-XXXXXX";
	bool own_dir = argc <= 2 || !argv[2][0]; /* "" also means a directory in /tmp */
	const char *dir = own_dir ? mkdtemp(tmpl) : argv[2];
	double floor_amp = argc > 3 ? atof(argv[3]) : 30;
	void *ctx = talloc_new(NULL);

	if (!dir || hours <= 0)
		return 1;
	generate(floor_amp);
	printf("Recordings in %s, %d channels, noise floor +-%.0f, %.2f call-hours\n", dir, CH,
	       floor_amp, hours);
	printf("Writer (10 minutes each):\n");
	writer_cost(ctx, dir, 0, 0, "header every frame (auto)");
	writer_cost(ctx, dir, 10, 0, "header every 10 frames");
	writer_cost(ctx, dir, 50, 0, "header every 50 frames");
	writer_cost(ctx, dir, UINT32_MAX, 0, "header never (until close)");
	writer_cost(ctx, dir, 10, 50, "header 10, fdatasync 50");
	writer_cost(ctx, dir, 10, 25, "header 10, fdatasync 25");
	printf("At rest:\n");
	at_rest(ctx, dir, RECORDING_FLAC, hours);
	at_rest(ctx, dir, RECORDING_OPUS, hours);
	if (own_dir) {
		char live[64];
		snprintf(live, sizeof(live), "%s/live", dir);
		rmdir(live);
		rmdir(dir);
	}
	talloc_free(ctx);
	return 0;
}
