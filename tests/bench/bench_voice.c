/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Benchmark of calls through the driver: N modems in concurrent calls (modemsim, EC25
 * profile) for some minutes, the driver echoing every frame it hears back to the phone
 * (the busiest a call leg gets: one frame in and one out every 20 ms).
 *
 * Figures (docs/performance.md), each against the limit the same run measures:
 * - CPU: the driver's process CPU time per call-minute, and as a share of one core per
 *   call (real time is the limit);
 * - frames: heard and said against the frames the calls' length allows (50 per second per
 *   call), and those late (a gap over 30 ms before them), dropped, silence for lack of
 *   audio, or sent on the stall timer;
 * - delay: each phone says a chirp with its recording restarted on the same tick; the lag
 *   of the recording's cross-correlation peak is the round trip through modemsim and the
 *   driver; modemsim itself accounts for one frame (a frame said on tick n is answered on
 *   tick n+1 at the earliest), the rest is what the driver adds.
 *
 * Usage: bench_voice [BUILD_DIR [N [SECONDS]]]   (defaults: the build, 8, 120) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <sndfile.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/tdef.h>

#include "modem/driver/modem.h"
#include "modem/driver/modem_log.h"
#include "tests/e2e/harness.h"
#include "tests/e2e/tones.h"

#define MAX_MODEMS    32
#define CHIRP_SAMPLES 4000 /* 0.5 s, 300 Hz to 3.4 kHz */
#define MAX_LAG	      4000

struct leg {
	struct modem *m;
	char phone[20];
	uint32_t id;
	bool active, over;
	long long last_rx_us;
	uint64_t late, heard, gaps_sum_us;
	long long max_gap_us;
};

static struct leg legs[MAX_MODEMS];
static unsigned n_legs;
static bool measuring;

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static struct leg *leg_of(struct modem *m)
{
	for (unsigned i = 0; i < n_legs; i++)
		if (legs[i].m == m)
			return &legs[i];
	return NULL;
}

static void on_call(struct modem *m, const struct modem_call_info *ci, void *data)
{
	struct leg *l = leg_of(m);

	(void)data;
	if (!l)
		return;
	l->active = ci->state == MODEM_CALL_ACTIVE;
	l->over = ci->state == MODEM_CALL_RELEASED;
}

/* Echo: every frame heard is said back at once. */
static void on_audio(struct modem *m, const int16_t *s, unsigned n, void *data)
{
	struct leg *l = leg_of(m);
	long long now = now_us();

	(void)data;
	modem_audio_write(m, s, n);
	if (!l)
		return;
	if (measuring && l->last_rx_us) {
		long long gap = now - l->last_rx_us;

		if (gap > 30000)
			l->late++;
		if (gap > l->max_gap_us)
			l->max_gap_us = gap;
		l->heard++;
	}
	l->last_rx_us = now;
}

static void run_us(long long us)
{
	long long end = now_us() + us;

	while (now_us() < end)
		osmo_select_main(1) <= 0 ? usleep(200) : 0;
}

static bool all(bool (*pred)(const struct leg *))
{
	for (unsigned i = 0; i < n_legs; i++)
		if (!pred(&legs[i]))
			return false;
	return true;
}

static bool is_active(const struct leg *l)
{
	return l->active;
}

static bool is_ready(const struct leg *l)
{
	return modem_get_state(l->m) == MODEM_ST_READY;
}

static bool run_until(bool (*pred)(const struct leg *), int ms)
{
	long long end = now_us() + ms * 1000LL;

	while (!all(pred) && now_us() < end)
		osmo_select_main(1) <= 0 ? usleep(200) : 0;
	return all(pred);
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static void chirp(int16_t *s, size_t n)
{
	const double f0 = 300, f1 = 3400, T = (double)n / 8000;

	for (size_t i = 0; i < n; i++) {
		double t = (double)i / 8000;

		s[i] =
		    (int16_t)lrint(10362 * sin(2 * M_PI * (f0 * t + (f1 - f0) * t * t / (2 * T))));
	}
}

static int write_wav(const char *path, const int16_t *s, size_t n)
{
	SF_INFO in = {
	    .samplerate = 8000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
	SNDFILE *f = sf_open(path, SFM_WRITE, &in);

	if (!f)
		return -1;
	sf_writef_short(f, s, (sf_count_t)n);
	sf_close(f);
	return 0;
}

/* The lag (samples) at which `heard` best matches `ref`, or -1. */
static int best_lag(const int16_t *heard, size_t n, const int16_t *ref, size_t m)
{
	double best = 0;
	int lag = -1;

	for (size_t k = 0; k + m <= n && k < MAX_LAG; k++) {
		double c = 0;

		for (size_t i = 0; i < m; i++)
			c += (double)heard[k + i] * ref[i];
		if (c > best) {
			best = c;
			lag = (int)k;
		}
	}
	return lag;
}

/* Each phone says the chirp; returns the mean round trip in samples (-1 on failure). */
static double round_trip(struct sim *sim, const char *dir, int *lags)
{
	static int16_t ref[CHIRP_SAMPLES];
	char wav[128], heard[128];
	double sum = 0;

	chirp(ref, CHIRP_SAMPLES);
	snprintf(wav, sizeof(wav), "%s/chirp.wav", dir);
	if (write_wav(wav, ref, CHIRP_SAMPLES) < 0)
		return -1;
	for (unsigned i = 0; i < n_legs; i++)
		json_object_put(sim_ctl_ok(sim,
					   "{\"cmd\":\"play\",\"phone\":\"%s\",\"wav\":\"%s\","
					   "\"clear_heard\":true}",
					   legs[i].phone, wav));
	run_us(1500000);
	for (unsigned i = 0; i < n_legs; i++) {
		SF_INFO info = {0};
		SNDFILE *f;
		int16_t *s;
		sf_count_t n;

		snprintf(heard, sizeof(heard), "%s/heard%u.wav", dir, i);
		json_object_put(sim_ctl_ok(
		    sim, "{\"cmd\":\"heard\",\"phone\":\"%s\",\"wav\":\"%s\",\"clear\":true}",
		    legs[i].phone, heard));
		f = sf_open(heard, SFM_READ, &info);
		if (!f)
			return -1;
		s = calloc((size_t)info.frames + 1, sizeof(*s));
		n = sf_readf_short(f, s, info.frames);
		sf_close(f);
		lags[i] = best_lag(s, (size_t)n, ref, CHIRP_SAMPLES);
		free(s);
		if (lags[i] < 0)
			return -1;
		sum += lags[i];
	}
	return sum / n_legs;
}

static void start_calls(struct sim *sim)
{
	for (unsigned i = 0; i < n_legs; i++) {
		json_object_put(sim_ctl_ok(
		    sim, "{\"cmd\":\"auto-answer\",\"phone\":\"%s\",\"rings\":1}", legs[i].phone));
		if (modem_dial(legs[i].m, legs[i].phone, &legs[i].id) < 0) {
			fprintf(stderr, "bench_voice: cannot dial on modem%u\n", i);
			exit(1);
		}
	}
	if (!run_until(is_active, 20000)) {
		fprintf(stderr, "bench_voice: calls did not come up\n");
		exit(1);
	}
	/* Something to echo: each phone says a tone. */
	for (unsigned i = 0; i < n_legs; i++)
		json_object_put(sim_ctl_ok(sim, "{\"cmd\":\"play\",\"phone\":\"%s\",\"tone\":1000}",
					   legs[i].phone));
}

/* modemsim's side of the audio: uplink frames it found missing or had too many of. */
static void sim_uplink(struct sim *sim, long long *under, long long *over)
{
	*under = *over = 0;
	for (unsigned i = 0; i < n_legs; i++) {
		struct json_object *r =
		    sim_ctl_ok(sim, "{\"cmd\":\"audio\",\"modem\":\"modem%u\"}", i);
		struct json_object *a, *v;

		if (json_object_object_get_ex(r, "audio", &a)) {
			if (json_object_object_get_ex(a, "uplink_underruns", &v))
				*under += json_object_get_int64(v);
			if (json_object_object_get_ex(a, "uplink_overflow_frames", &v))
				*over += json_object_get_int64(v);
		}
		json_object_put(r);
	}
}

static void report(double secs, double cpu, double rt_samples, const int *lags)
{
	uint64_t heard = 0, late = 0, in = 0, out = 0, drops = 0, under = 0, stall = 0, werr = 0,
		 catch_ups = 0;
	long long max_gap = 0;
	unsigned max_q = 0;
	double expected = secs * 50 * n_legs, call_min = secs / 60 * n_legs;

	for (unsigned i = 0; i < n_legs; i++) {
		struct modem_info mi;

		modem_info(legs[i].m, &mi);
		heard += legs[i].heard;
		late += legs[i].late;
		if (legs[i].max_gap_us > max_gap)
			max_gap = legs[i].max_gap_us;
		in += mi.audio.frames_in;
		out += mi.audio.frames_out;
		drops += mi.audio.drops;
		under += mi.audio.underruns;
		stall += mi.audio.stall_frames;
		werr += mi.audio.write_errors;
		catch_ups += mi.audio.catch_ups;
		if (mi.audio.max_queue > max_q)
			max_q = mi.audio.max_queue;
	}
	printf("calls: %u concurrent for %.0f s (%.1f call-minutes), echo on every leg\n", n_legs,
	       secs, call_min);
	printf("cpu: %.3f s of the driver's process = %.1f ms per call-minute; %.4f of one core "
	       "per call (limit 1: real time)\n",
	       cpu, cpu * 1000 / call_min, cpu / secs / n_legs);
	printf("frames heard in the window: %llu of %.0f expected (%.4f); late (>30 ms gap) %llu "
	       "(%.5f), longest gap %.1f ms\n",
	       (unsigned long long)heard, expected, heard / expected, (unsigned long long)late,
	       late / expected, max_gap / 1000.0);
	printf("audio totals: heard %llu, said %llu; dropped %llu, underruns %llu, stall-timer "
	       "%llu, not taken %llu, left out to keep the delay %llu; queue at most %u\n",
	       (unsigned long long)in, (unsigned long long)out, (unsigned long long)drops,
	       (unsigned long long)under, (unsigned long long)stall, (unsigned long long)werr,
	       (unsigned long long)catch_ups, max_q);
	printf("round trip (chirp cross-correlation): %.1f samples = %.1f ms; modemsim's own "
	       "frame 20.0 ms; the driver adds %.1f ms\n",
	       rt_samples, rt_samples / 8, rt_samples / 8 - 20);
	printf("lags:");
	for (unsigned i = 0; i < n_legs; i++)
		printf(" %d", lags[i]);
	printf("\n");
}

int main(int argc, char **argv)
{
	static const struct modem_events ev = {.on_call = on_call, .on_audio = on_audio};
	unsigned n = argc > 2 ? (unsigned)atoi(argv[2]) : 8;
	unsigned secs = argc > 3 ? (unsigned)atoi(argv[3]) : 120;
	void *ctx = talloc_named_const(NULL, 0, "bench_voice");
	char nbuf[8];
	struct modem_pool *pool;
	struct sim *sim;
	int lags[MAX_MODEMS];
	double cpu0, rt;
	long long t0;

	harness_build_dir = argc > 1 ? argv[1] : BENCH_BUILD_DIR;
	if (n < 1 || n > MAX_MODEMS || secs < 5) {
		fprintf(stderr, "usage: bench_voice [BUILD_DIR [N(1-%d) [SECONDS(>=5)]]]\n",
			MAX_MODEMS);
		return 2;
	}
	osmo_init_logging2(ctx, &chaperone_modem_log_info);
	log_set_log_level(osmo_stderr_target, LOGL_ERROR);
	snprintf(nbuf, sizeof(nbuf), "%u", n);
	sim =
	    sim_start("-n", nbuf, "--model", "EC25", "--ring-ms", "300", "--alert-ms", "100", NULL);
	if (!sim)
		return 1;
	pool = modem_pool_alloc(ctx, &ev, NULL);
	for (unsigned i = 0; i < n; i++) {
		char name[16], relay[20];

		snprintf(name, sizeof(name), "modem%u", i);
		snprintf(relay, sizeof(relay), "+1555010%04u", i);
		snprintf(legs[i].phone, sizeof(legs[i].phone), "+1555777%04u", i);
		legs[i].m = modem_pool_add(pool, &(struct modem_config){
						     .name = name,
						     .device = sim_modem_path(sim, (int)i),
						     .relay_number = relay,
						 });
	}
	n_legs = n;
	if (!run_until(is_ready, 30000)) {
		fprintf(stderr, "bench_voice: modems not ready\n");
		return 1;
	}
	start_calls(sim);
	run_us(2000000);
	measuring = true;
	t0 = now_us();
	cpu0 = cpu_s();
	run_us(secs * 1000000LL);
	measuring = false;
	{
		double cpu = cpu_s() - cpu0, wall = (now_us() - t0) / 1e6;

		long long under, over;

		rt = round_trip(sim, sim->dir, lags);
		report(wall, cpu, rt, lags);
		sim_uplink(sim, &under, &over);
		printf("modemsim: uplink frames missing %lld, too many %lld (a frame missing at a "
		       "tick leaves one more waiting in its buffer from then on: +20 ms)\n",
		       under, over);
	}
	for (unsigned i = 0; i < n_legs; i++)
		modem_hangup(legs[i].m, legs[i].id);
	run_us(500000);
	modem_pool_free(pool);
	sim_stop(sim);
	talloc_free(ctx);
	return rt < 0;
}
