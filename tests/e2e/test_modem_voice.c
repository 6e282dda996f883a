/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Calls end to end: the driver runs in this process, modemsim as a separate process, and
 * they meet on real PTYs — the AT port and the audio port of each modem. Phones call,
 * answer, decline, are busy, never answer, hang up, and the network drops a call; the
 * audio faults of real modems are injected and must be survived and counted.
 *
 * Audio is proven, not assumed: a phone says a tone and the driver must hear it (the tone
 * at >= -20 dB of full scale, other tones <= -40 dB), through modemsim's GSM 06.10 codec;
 * a tone the driver says must be what the phone heard (modemsim writes a WAV of it). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sndfile.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/tdef.h>

#include "modem/driver/modem.h"
#include "modem/driver/modem_log.h"
#include "modem/sms/sms_address.h"
#include "modem/sms/sms_split.h"
#include "modem/sms/sms_tpdu.h"
#include "tests/e2e/harness.h"
#include "tests/e2e/tones.h"

#define PHONE  "+15557770001"
#define PHONE2 "+15557770002"
#define RELAY  "+15550100"
/* What the driver keeps of what it heard: 4 s. */
#define HEARD_MAX (4 * MODEM_AUDIO_RATE)
#define MAX_EV	  64

struct t {
	void *ctx;
	struct sim *sim;
	struct modem_pool *pool;
	struct modem *m;
	struct modem_call_info ev[MAX_EV];
	unsigned n_ev;
	int16_t heard[HEARD_MAX];
	size_t n_heard; /* in heard[], a ring once full */
	uint64_t heard_total;
	double say_hz; /* the tone the driver says while audio flows (0: nothing) */
	uint64_t said;
	unsigned rx_sms;
	char rx_text[160];
	char dtmf[16];
	char wav[64];
};

static struct t *T;

/* ---- the upper layer ---- */

static void on_call(struct modem *m, const struct modem_call_info *ci, void *data)
{
	struct t *t = data;

	(void)m;
	if (t->n_ev < MAX_EV)
		t->ev[t->n_ev++] = *ci;
}

static void on_audio(struct modem *m, const int16_t *s, unsigned n, void *data)
{
	struct t *t = data;

	for (unsigned i = 0; i < n; i++)
		t->heard[(t->heard_total + i) % HEARD_MAX] = s[i];
	t->heard_total += n;
	if (t->say_hz > 0) {
		int16_t f[MODEM_AUDIO_FRAME];

		tone_fill(f, MODEM_AUDIO_FRAME, t->say_hz, -10, t->said);
		t->said += MODEM_AUDIO_FRAME;
		modem_audio_write(m, f, MODEM_AUDIO_FRAME);
	}
}

static void on_dtmf(struct modem *m, uint32_t id, char digit, void *data)
{
	struct t *t = data;
	size_t n = strlen(t->dtmf);

	(void)m;
	(void)id;
	if (n + 1 < sizeof(t->dtmf))
		t->dtmf[n] = digit;
}

static void on_rx(struct modem *m, const struct modem_rx *rx, void *data)
{
	struct t *t = data;

	if (rx->kind == MODEM_RX_SMS && rx->deliver) {
		t->rx_sms++;
		snprintf(t->rx_text, sizeof(t->rx_text), "%.*s", (int)rx->deliver->ud.text_len,
			 rx->deliver->ud.text);
	}
	modem_rx_committed(m, rx->token);
}

static const struct modem_events events = {
    .on_call = on_call, .on_audio = on_audio, .on_dtmf = on_dtmf, .on_rx = on_rx};

/* ---- running ---- */

static void step(void)
{
	if (osmo_select_main(1) <= 0)
		usleep(500);
}

#define RUN_UNTIL(cond, ms)                                                                        \
	({                                                                                         \
		long long _end = now_ms() + (ms);                                                  \
		bool _ok;                                                                          \
		while (!(_ok = (cond)) && now_ms() < _end)                                         \
			step();                                                                    \
		_ok;                                                                               \
	})

static void run_for(int ms)
{
	long long end = now_ms() + ms;

	while (now_ms() < end)
		step();
}

static const struct modem_call_info *last(void)
{
	return T->n_ev ? &T->ev[T->n_ev - 1] : NULL;
}

static bool in_state(enum modem_call_state st)
{
	return T->n_ev && last()->state == st;
}

static bool seen(enum modem_call_state st)
{
	for (unsigned i = 0; i < T->n_ev; i++)
		if (T->ev[i].state == st)
			return true;
	return false;
}

/* modemsim with `model` and the driver on its modem0. */
static void start(const char *model, const char *extra)
{
	struct modem_config cfg = {.name = "modem0", .relay_number = RELAY};

	T->sim =
	    sim_start("-n", "1", "--model", model, "--submit-ms", "100", "--deliver-ms", "100",
		      "--ring-ms", "400", "--alert-ms", "100", "--codec", "gsm", "--phone", PHONE,
		      "--phone", PHONE2, extra ? extra : NULL, extra ? "1" : NULL, NULL);
	assert_non_null(T->sim);
	cfg.device = sim_modem_path(T->sim, 0);
	T->pool = modem_pool_alloc(T->ctx, &events, T);
	T->m = modem_pool_add(T->pool, &cfg);
	assert_non_null(T->m);
	assert_true(RUN_UNTIL(modem_get_state(T->m) == MODEM_ST_READY, 15000));
}

static void ctl_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void ctl_ok(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_object_put(sim_ctl_ok(T->sim, "%s", buf));
}

/* The last `n` samples the driver heard, in order. */
static void heard_tail(int16_t *out, size_t n)
{
	assert_true(T->heard_total >= n);
	for (size_t i = 0; i < n; i++)
		out[i] = T->heard[(T->heard_total - n + i) % HEARD_MAX];
}

/* In s[0..4000): `hz` at >= -20 dB of full scale, the other tones of the set at <= -40.
 * `who` names the listener in a failure. */
static void assert_tone(const int16_t *s, double hz, const char *who)
{
	static const double set[] = {600, 1000, 1400, 1800};

	for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++) {
		double db = tone_db(s, 4000, set[i]);

		if (set[i] == hz && db < -20)
			fail_msg("%s heard %.0f Hz at %.1f dB, want >= -20", who, hz, db);
		if (set[i] != hz && db > -40)
			fail_msg("%s heard %.0f Hz at %.1f dB while %.0f Hz played, want <= -40",
				 who, set[i], db, hz);
	}
}

/* The driver hears `hz` loud and clear, and not the others of the set. */
static void assert_hears(double hz)
{
	int16_t s[4000];
	uint64_t from = T->heard_total;

	assert_true(RUN_UNTIL(T->heard_total >= from + 6000, 5000));
	heard_tail(s, 4000);
	assert_tone(s, hz, "the driver");
}

/* What the phone heard (modemsim writes it to a WAV): `hz` loud and clear, the others
 * not. */
static void assert_phone_heard(const char *phone, double hz)
{
	SF_INFO info = {0};
	SNDFILE *f;
	int16_t *s;
	sf_count_t n;

	ctl_ok("{\"cmd\":\"heard\",\"phone\":\"%s\",\"wav\":\"%s\",\"clear\":true}", phone, T->wav);
	f = sf_open(T->wav, SFM_READ, &info);
	assert_non_null(f);
	assert_int_equal(info.samplerate, 8000);
	assert_true(info.frames >= 4000);
	s = malloc((size_t)info.frames * sizeof(*s));
	n = sf_readf_short(f, s, info.frames);
	sf_close(f);
	assert_true(n >= 4000);
	assert_tone(s + n - 4000, hz, "the phone");
	free(s);
}

static void stats(struct modem_audio_stats *st)
{
	struct modem_info info;

	modem_info(T->m, &info);
	*st = info.audio;
}

/* Whether a phone's inbox holds `text` (asked at most every 100 ms: the loop runs). */
static bool inbox_has(const char *phone, const char *text)
{
	static long long last;
	struct json_object *r;
	bool found;

	if (now_ms() - last < 100)
		return false;
	last = now_ms();
	r = sim_ctl_ok(T->sim, "{\"cmd\":\"inbox\",\"phone\":\"%s\"}", phone);
	found = strstr(json_object_to_json_string(r), text) != NULL;
	json_object_put(r);
	return found;
}

static struct modem_info info_now(void)
{
	struct modem_info info;

	modem_info(T->m, &info);
	return info;
}

static int setup(void **state)
{
	T = calloc(1, sizeof(*T));
	T->ctx = talloc_named_const(NULL, 0, "test");
	snprintf(T->wav, sizeof(T->wav), "/tmp/chaperone-voice-%d.wav", (int)getpid());
	osmo_tdef_set(modem_tdefs, MODEM_T_CALL_POLL, 500, OSMO_TDEF_MS);
	osmo_tdef_set(modem_tdefs, MODEM_T_NO_ANSWER, 3, OSMO_TDEF_S);
	osmo_tdef_set(modem_tdefs, MODEM_T_RING, 2, OSMO_TDEF_S);
	osmo_tdef_set(modem_tdefs, MODEM_T_BACKOFF_MIN, 100, OSMO_TDEF_MS);
	osmo_tdef_set(modem_tdefs, MODEM_T_RESET_WAIT, 2500, OSMO_TDEF_MS);
	*state = T;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (T->pool)
		modem_pool_free(T->pool);
	if (T->sim)
		sim_stop(T->sim);
	unlink(T->wav);
	talloc_free(T->ctx);
	free(T);
	return 0;
}

/* A parent calls the relay number; the driver answers; each side hears the other's tone
 * through the GSM codec; DTMF comes through; the parent hangs up. (EC25: ccinfo URCs,
 * audio switched on once at set-up.) */
static void test_incoming_answered(void **state)
{
	const struct modem_call_info *ci;
	struct modem_audio_stats st;
	uint32_t id;

	(void)state;
	start("EC25", NULL);
	ctl_ok("{\"cmd\":\"call\",\"from\":\"%s\",\"to\":\"modem0\"}", PHONE);
	assert_true(
	    RUN_UNTIL(in_state(MODEM_CALL_RINGING) && !strcmp(last()->number, PHONE), 5000));
	ci = last();
	id = ci->id;
	assert_true(ci->incoming);
	assert_int_equal(modem_answer(T->m, id), 0);
	assert_true(RUN_UNTIL(in_state(MODEM_CALL_ACTIVE), 5000));
	ctl_ok("{\"cmd\":\"play\",\"phone\":\"%s\",\"tone\":1000,\"dbfs\":-10}", PHONE);
	assert_hears(1000);
	T->say_hz = 1400;
	run_for(1000);
	assert_phone_heard(PHONE, 1400);
	T->say_hz = 0;
	ctl_ok("{\"cmd\":\"dtmf\",\"phone\":\"%s\",\"digits\":\"42#\"}", PHONE);
	assert_true(RUN_UNTIL(!strcmp(T->dtmf, "42#"), 5000));
	ctl_ok("{\"cmd\":\"hangup\",\"phone\":\"%s\"}", PHONE);
	assert_true(RUN_UNTIL(in_state(MODEM_CALL_RELEASED), 5000));
	assert_int_equal(last()->end, MODEM_CALL_END_REMOTE);
	assert_int_equal(last()->id, id);
	stats(&st);
	assert_false(st.open);
	assert_true(st.frames_in > 50);
	assert_true(st.frames_out > 50);
	assert_true(st.max_queue <= 4);
}

/* The driver calls a student's guardian who answers; audio both ways; the driver hangs up.
 * (SIM7600: unsolicited +CLCC, AT+CPCMREG=1 once active.) A text arrives and one is sent
 * mid-call. */
static void test_outgoing_answered_sms_mid_call(void **state)
{
	struct sms_user_data part;
	struct sms_submit sub = {.vpf = SMS_VPF_NONE};
	uint8_t pdu[SMS_PDU_MAX];
	const uint8_t *pp[1] = {pdu};
	const char *text = "Thanks, see you at the field";
	size_t lens[1];
	uint32_t id;
	int n;

	(void)state;
	start("SIM7600", NULL);
	assert_int_equal(modem_dial(T->m, PHONE, &id), 0);
	assert_true(RUN_UNTIL(seen(MODEM_CALL_ALERTING), 5000));
	ctl_ok("{\"cmd\":\"answer\",\"phone\":\"%s\"}", PHONE);
	assert_true(RUN_UNTIL(in_state(MODEM_CALL_ACTIVE), 5000));
	ctl_ok("{\"cmd\":\"play\",\"phone\":\"%s\",\"tone\":600,\"dbfs\":-10}", PHONE);
	assert_hears(600);
	T->say_hz = 1800;
	/* Mid-call: the guardian's other phone texts the relay, and the relay texts back. */
	ctl_ok("{\"cmd\":\"send\",\"from\":\"%s\",\"to\":\"modem0\",\"text\":\"On my way\"}",
	       PHONE2);
	assert_true(RUN_UNTIL(T->rx_sms == 1, 10000));
	assert_string_equal(T->rx_text, "On my way");
	assert_int_equal(sms_split_utf8(&part, 1, text, strlen(text), 1), 1);
	assert_int_equal(sms_address_from_text(&sub.destination, PHONE2), 0);
	sub.ud = part;
	n = sms_submit_encode(pdu, sizeof(pdu), &sub, true);
	assert_true(n > 0);
	lens[0] = (size_t)n;
	assert_int_equal(modem_send(T->m, 77, pp, lens, 1), 0);
	assert_true(RUN_UNTIL(inbox_has(PHONE2, "see you at the field"), 10000));
	assert_phone_heard(PHONE, 1800);
	assert_true(in_state(MODEM_CALL_ACTIVE));
	T->say_hz = 0;
	assert_int_equal(modem_hangup(T->m, id), 0);
	assert_true(RUN_UNTIL(in_state(MODEM_CALL_RELEASED), 5000));
	assert_int_equal(last()->end, MODEM_CALL_END_LOCAL);
}

/* Dialled phones that are busy, decline, or never answer; each ends with its reason and
 * the modem goes on. (Huawei: ^ORIG/^CONF/^CEND, AT^DDSETEX=2 after ATD.) */
static void test_outgoing_not_answered(void **state)
{
	uint32_t id;

	(void)state;
	start("E173", NULL);
	ctl_ok("{\"cmd\":\"busy\",\"phone\":\"%s\",\"on\":true}", PHONE);
	assert_int_equal(modem_dial(T->m, PHONE, &id), 0);
	assert_true(RUN_UNTIL(in_state(MODEM_CALL_RELEASED), 5000));
	assert_int_equal(last()->end, MODEM_CALL_END_BUSY);

	assert_int_equal(modem_dial(T->m, PHONE2, &id), 0);
	assert_true(RUN_UNTIL(in_state(MODEM_CALL_ALERTING), 5000));
	ctl_ok("{\"cmd\":\"reject\",\"phone\":\"%s\"}", PHONE2);
	assert_true(RUN_UNTIL(in_state(MODEM_CALL_RELEASED), 5000));
	assert_int_equal(last()->end, MODEM_CALL_END_REJECTED);

	/* Nobody answers: the driver gives up after MODEM_T_NO_ANSWER (3 s here). */
	assert_int_equal(modem_dial(T->m, PHONE2, &id), 0);
	assert_true(RUN_UNTIL(in_state(MODEM_CALL_ALERTING), 5000));
	assert_true(RUN_UNTIL(in_state(MODEM_CALL_RELEASED), 8000));
	assert_int_equal(last()->end, MODEM_CALL_END_NO_ANSWER);
	assert_int_equal(modem_calls(T->m, NULL, 0), 0);
}

/* A call the network drops; the next call works. An incoming call nobody answers is
 * missed. */
static void test_dropped_and_missed(void **state)
{
	uint32_t id;

	(void)state;
	start("EC25", NULL);
	ctl_ok("{\"cmd\":\"auto-answer\",\"phone\":\"%s\",\"rings\":1}", PHONE);
	assert_int_equal(modem_dial(T->m, PHONE, &id), 0);
	assert_true(RUN_UNTIL(in_state(MODEM_CALL_ACTIVE), 5000));
	ctl_ok("{\"cmd\":\"fault\",\"modem\":\"modem0\",\"kind\":\"call-drop\"}");
	assert_true(RUN_UNTIL(in_state(MODEM_CALL_RELEASED), 5000));
	assert_int_equal(last()->end, MODEM_CALL_END_REMOTE);
	assert_int_equal(modem_get_state(T->m), MODEM_ST_READY);

	assert_int_equal(modem_dial(T->m, PHONE, &id), 0);
	assert_true(RUN_UNTIL(in_state(MODEM_CALL_ACTIVE), 5000));
	ctl_ok("{\"cmd\":\"play\",\"phone\":\"%s\",\"tone\":1000,\"dbfs\":-10}", PHONE);
	assert_hears(1000);
	assert_int_equal(modem_hangup(T->m, id), 0);
	assert_true(RUN_UNTIL(in_state(MODEM_CALL_RELEASED), 5000));

	ctl_ok("{\"cmd\":\"call\",\"from\":\"%s\",\"to\":\"modem0\"}", PHONE2);
	assert_true(RUN_UNTIL(in_state(MODEM_CALL_RINGING), 5000));
	run_for(1000);
	ctl_ok("{\"cmd\":\"hangup\",\"phone\":\"%s\"}", PHONE2);
	assert_true(RUN_UNTIL(in_state(MODEM_CALL_RELEASED), 5000));
	assert_int_equal(last()->end, MODEM_CALL_END_MISSED);
	assert_string_equal(last()->number, PHONE2);
}

/* The downlink stalls for 400 ms mid-call, and the next call's stream starts mid-sample:
 * the driver keeps the uplink going on its timer, re-aligns, and hears the tone. */
static void test_audio_stall_and_misalign(void **state)
{
	struct modem_audio_stats st;
	uint32_t id;

	(void)state;
	start("EC25", NULL);
	ctl_ok("{\"cmd\":\"auto-answer\",\"phone\":\"%s\",\"rings\":1}", PHONE);
	assert_int_equal(modem_dial(T->m, PHONE, &id), 0);
	assert_true(RUN_UNTIL(in_state(MODEM_CALL_ACTIVE), 5000));
	ctl_ok("{\"cmd\":\"play\",\"phone\":\"%s\",\"tone\":1000,\"dbfs\":-10}", PHONE);
	assert_hears(1000);
	ctl_ok("{\"cmd\":\"fault\",\"modem\":\"modem0\",\"kind\":\"audio-stall\",\"ms\":400}");
	run_for(800);
	stats(&st);
	assert_true(st.stall_frames >= 10);
	assert_hears(1000);
	assert_true(in_state(MODEM_CALL_ACTIVE));
	assert_int_equal(modem_hangup(T->m, id), 0);
	assert_true(RUN_UNTIL(in_state(MODEM_CALL_RELEASED), 5000));

	ctl_ok("{\"cmd\":\"fault\",\"modem\":\"modem0\",\"kind\":\"audio-misalign\"}");
	assert_int_equal(modem_dial(T->m, PHONE, &id), 0);
	assert_true(RUN_UNTIL(in_state(MODEM_CALL_ACTIVE), 5000));
	ctl_ok("{\"cmd\":\"play\",\"phone\":\"%s\",\"tone\":1400,\"dbfs\":-10}", PHONE);
	/* The stray byte comes half a second into the stream; the tone is judged after. */
	run_for(1000);
	stats(&st);
	assert_hears(1400);
	stats(&st);
	assert_int_equal(st.realigns, 1);
	assert_int_equal(modem_hangup(T->m, id), 0);
	assert_true(RUN_UNTIL(in_state(MODEM_CALL_RELEASED), 5000));
}

/* The SIM7600's fault: after one call the audio switch-on fails once and the audio is
 * dead; the driver counts a strike, resets the modem (AT+CRESET) once the call is over,
 * and the call after that has its audio again. */
static void test_audio_dead_after_call(void **state)
{
	struct modem_info info;
	unsigned recoveries;
	uint32_t id;

	(void)state;
	start("SIM7600", NULL);
	ctl_ok("{\"cmd\":\"auto-answer\",\"phone\":\"%s\",\"rings\":1}", PHONE);
	ctl_ok("{\"cmd\":\"fault\",\"modem\":\"modem0\",\"kind\":\"audio-dead-after-call\"}");
	for (int call = 0; call < 3; call++) {
		T->n_ev = 0;
		assert_int_equal(modem_dial(T->m, PHONE, &id), 0);
		assert_true(RUN_UNTIL(in_state(MODEM_CALL_ACTIVE), 5000));
		ctl_ok("{\"cmd\":\"play\",\"phone\":\"%s\",\"tone\":1000,\"dbfs\":-10}", PHONE);
		if (call != 1)
			assert_hears(1000);
		else
			run_for(1500);
		modem_info(T->m, &info);
		recoveries = info.recoveries;
		assert_int_equal(info.audio_strikes, call == 0 ? 0 : 1);
		assert_int_equal(modem_hangup(T->m, id), 0);
		assert_true(RUN_UNTIL(in_state(MODEM_CALL_RELEASED), 5000));
		if (call == 1) {
			/* Idle with a strike: reset, and ready again. */
			assert_true(RUN_UNTIL(info_now().recoveries > recoveries, 5000));
			assert_true(RUN_UNTIL(modem_get_state(T->m) == MODEM_ST_READY, 15000));
		}
	}
}

/* The audio switch-on fails twice (E173's AT^DDSETEX=2): a strike, the call goes on
 * without audio, and ends normally. */
static void test_audio_on_fails(void **state)
{
	struct modem_info info;
	uint32_t id;

	(void)state;
	start("E173", NULL);
	ctl_ok("{\"cmd\":\"auto-answer\",\"phone\":\"%s\",\"rings\":1}", PHONE);
	ctl_ok("{\"cmd\":\"fault\",\"modem\":\"modem0\",\"kind\":\"audio-on-fails\",\"count\":2}");
	assert_int_equal(modem_dial(T->m, PHONE, &id), 0);
	assert_true(RUN_UNTIL(in_state(MODEM_CALL_ACTIVE), 5000));
	assert_true(RUN_UNTIL(info_now().audio_strikes == 1, 5000));
	info = info_now();
	assert_false(info.audio.open);
	assert_int_equal(modem_hangup(T->m, id), 0);
	assert_true(RUN_UNTIL(in_state(MODEM_CALL_RELEASED), 5000));
	assert_int_equal(last()->end, MODEM_CALL_END_LOCAL);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_incoming_answered, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_outgoing_answered_sms_mid_call, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_outgoing_not_answered, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dropped_and_missed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_audio_stall_and_misalign, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_audio_dead_after_call, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_audio_on_fails, setup, teardown),
	};
	void *log_ctx = talloc_named_const(NULL, 0, "log");

	harness_build_dir = argc > 1 ? argv[1] : ".";
	osmo_init_logging2(log_ctx, &chaperone_modem_log_info);
	log_set_print_category(osmo_stderr_target, 1);
	log_set_log_level(osmo_stderr_target, getenv("VERBOSE") ? LOGL_DEBUG : LOGL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
