/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Benchmark of the modem driver against modemsim (not a CTest test: it takes ~30 s and
 * its figures are read by people; see docs/performance.md).
 *
 * 1. Send throughput: modemsim with --submit-ms 50 (each +CMGS takes 50 ms), 1 and 4
 *    modems, N single-part messages queued per modem; messages per second against the
 *    modems' limit (modems / submit time). The driver's share is the gap between one
 *    +CMGS result and the next command, so the goal is a ratio of at least 0.95.
 * 2. Receive latency: a phone texts the modem (ctl send) and we time until the driver's
 *    on_rx callback, over M messages (direct delivery, +CMT), p50 and p99.
 *
 * Usage: bench_modem BUILD_DIR [messages-per-modem] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include "tests/e2e/harness.h"
#include "modem/driver/modem.h"
#include "modem/driver/modem_log.h"
#include "modem/sms/sms_split.h"
#include "modem/sms/sms_tpdu.h"

#define SUBMIT_MS 50

static struct osmo_timer_list tick;
static unsigned n_sent, n_failed, n_rx;
static long long rx_at;

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void tick_cb(void *data)
{
	(void)data;
}

static void on_part_sent(struct modem *m, uint64_t msg_id, unsigned part, bool ok, uint8_t mr,
			 int cms, void *data)
{
	(void)m, (void)msg_id, (void)part, (void)mr, (void)cms, (void)data;
	if (ok)
		n_sent++;
	else
		n_failed++;
}

static void on_rx(struct modem *m, const struct modem_rx *rx, void *data)
{
	(void)data;
	rx_at = now_us();
	n_rx++;
	modem_rx_committed(m, rx->token);
}

static const struct modem_events events = {.on_rx = on_rx, .on_part_sent = on_part_sent};

static void loop_once(void)
{
	osmo_timer_schedule(&tick, 0, 5000);
	osmo_select_main(0);
}

static bool all_ready(struct modem_pool *pool, int ms)
{
	long long deadline = now_ms() + ms;

	while (now_ms() < deadline) {
		bool ready = true;

		for (unsigned i = 0; i < modem_pool_count(pool); i++)
			ready &= modem_get_state(modem_pool_get(pool, i)) == MODEM_ST_READY;
		if (ready)
			return true;
		loop_once();
	}
	return false;
}

static struct modem_pool *pool_for(void *ctx, struct sim *sim, int n)
{
	struct modem_pool *pool = modem_pool_alloc(ctx, &events, NULL);

	for (int i = 0; i < n; i++) {
		char name[24], relay[24];
		struct modem_config cfg = {0};

		snprintf(name, sizeof(name), "modem%d", i);
		snprintf(relay, sizeof(relay), "+1555010%d", i);
		cfg.name = name;
		cfg.relay_number = relay;
		cfg.device = sim_modem_path(sim, i);
		if (!modem_pool_add(pool, &cfg))
			exit(1);
	}
	if (!all_ready(pool, 10000)) {
		fprintf(stderr, "modems not ready\n");
		exit(1);
	}
	return pool;
}

static int build_pdu(uint8_t *pdu, const char *to, const char *text)
{
	struct sms_submit sub = {.vpf = SMS_VPF_NONE};

	sms_address_from_text(&sub.destination, to);
	sms_ud_from_utf8(&sub.ud, text, strlen(text));
	return sms_submit_encode(pdu, SMS_PDU_MAX, &sub, true);
}

static void bench_send(void *ctx, int modems, int per_modem)
{
	char n_arg[8], to[32];
	struct sim *sim;
	struct modem_pool *pool;
	uint8_t pdu[SMS_PDU_MAX];
	long long t0, t1;
	unsigned total = (unsigned)(modems * per_modem);

	snprintf(n_arg, sizeof(n_arg), "%d", modems);
	sim = sim_start("-n", n_arg, "--submit-ms", "50", "--deliver-ms", "0", NULL);
	if (!sim)
		exit(1);
	pool = pool_for(ctx, sim, modems);
	n_sent = n_failed = 0;
	t0 = now_ms();
	for (int i = 0; i < modems; i++) {
		for (int k = 0; k < per_modem; k++) {
			const uint8_t *pp = pdu;
			size_t len;

			snprintf(to, sizeof(to), "+1555888%04d", k % 50);
			len = (size_t)build_pdu(pdu, to, "Bench: practice at 4 pm, north field.");
			modem_send(modem_pool_get(pool, (unsigned)i), (uint64_t)(i * per_modem + k),
				   &pp, &len, 1);
		}
	}
	while (n_sent + n_failed < total && now_ms() - t0 < 120000)
		loop_once();
	t1 = now_ms();
	double secs = (double)(t1 - t0) / 1000.0;
	double rate = n_sent / secs;
	double limit = modems * 1000.0 / SUBMIT_MS;
	printf("| %d | %u | %u | %.2f | %.2f | %.1f | %.3f |\n", modems, n_sent, n_failed, secs,
	       rate, limit, rate / limit);
	fflush(stdout);
	modem_pool_free(pool);
	sim_stop(sim);
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

static void bench_rx(void *ctx, int count)
{
	struct sim *sim =
	    sim_start("--model", "EC25", "--submit-ms", "50", "--deliver-ms", "0", NULL);
	struct modem_pool *pool;
	long long *lat = calloc((size_t)count, sizeof(*lat));
	int got = 0;

	if (!sim)
		exit(1);
	pool = pool_for(ctx, sim, 1);
	for (int i = 0; i < count; i++) {
		unsigned before = n_rx;
		long long t0 = now_us(), deadline = now_ms() + 5000;

		json_object_put(
		    sim_ctl(sim,
			    "{\"cmd\":\"send\",\"from\":\"+15557770001\",\"to\":\"modem0\","
			    "\"text\":\"latency %d\"}",
			    i));
		while (n_rx == before && now_ms() < deadline)
			loop_once();
		if (n_rx == before)
			break;
		lat[got++] = rx_at - t0;
	}
	qsort(lat, (size_t)got, sizeof(*lat), cmp_ll);
	printf("| +CMT → on_rx (ctl send → callback) | %d | %.2f | %.2f | %.2f |\n", got,
	       got ? lat[got / 2] / 1000.0 : -1, got ? lat[(got * 99 + 99) / 100 - 1] / 1000.0 : -1,
	       got ? lat[got - 1] / 1000.0 : -1);
	free(lat);
	modem_pool_free(pool);
	sim_stop(sim);
}

int main(int argc, char **argv)
{
	void *ctx = talloc_named_const(NULL, 0, "bench");
	int per_modem = argc > 2 ? atoi(argv[2]) : 200;

	if (argc > 1)
		harness_build_dir = argv[1];
	osmo_init_logging2(ctx, &chaperone_modem_log_info);
	log_set_log_level(osmo_stderr_target, LOGL_ERROR);
	osmo_timer_setup(&tick, tick_cb, NULL);

	printf("Send throughput, modemsim --submit-ms %d --deliver-ms 0, %d single-part "
	       "messages per modem\n\n",
	       SUBMIT_MS, per_modem);
	printf("| modems | sent | failed | seconds | msg/s | limit msg/s | ratio |\n");
	printf("|---|---|---|---|---|---|---|\n");
	bench_send(ctx, 1, per_modem);
	bench_send(ctx, 4, per_modem);
	printf("\nReceive latency (ms), direct delivery, one message at a time\n\n");
	printf("| path | messages | p50 | p99 | max |\n|---|---|---|---|---|\n");
	bench_rx(ctx, per_modem);
	talloc_free(ctx);
	return 0;
}
