/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The call FSM of the driver, for each family's call lines, against a scripted modem on
 * a real PTY: the test answers the driver's set-up, serves +CLCC from a list it controls,
 * and writes the call lines recorded from each family (Quectel ccinfo, SIMCom unsolicited
 * +CLCC with VOICE CALL and MISSED_CALL, Huawei ^ORIG/^CONF/^CONN/^CEND). What the driver
 * reports through on_call, and the commands it sends (ATA, AT+CHUP, the audio switch-on),
 * are checked. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <talloc.h>
#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/tdef.h>
#include <osmocom/core/utils.h>

#include "modem/driver/modem.h"
#include "modem/driver/modem_log.h"

#define MAX_EVENTS 64
#define MAX_CMDS   256

struct event {
	uint32_t id;
	enum modem_call_state state;
	enum modem_call_end end;
	char number[32];
};

static struct fx {
	void *ctx;
	int master;
	char in[4096];
	size_t in_len;
	char cmds[MAX_CMDS][96];
	unsigned n_cmds;
	char clcc[4][96]; /* what AT+CLCC lists now */
	unsigned n_clcc;
	bool clcc_error;
	struct event ev[MAX_EVENTS];
	unsigned n_ev;
	char dtmf[16];
	struct modem_pool *pool;
	struct modem *m;
} * F;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void say(const char *s)
{
	ssize_t n = write(F->master, s, strlen(s));

	assert_int_equal(n, (ssize_t)strlen(s));
}

/* A URC as modems frame it; SIMCom's DTMF report has a double CR. */
static void urc(const char *line)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "\r\n%s\r\n", line);
	say(buf);
}

static void answer(const char *cmd)
{
	static const struct {
		const char *cmd, *info;
	} infos[] = {
	    {"AT+CGMI", "Test"},
	    {"AT+CGMR", "1.0"},
	    {"AT+CGSN", "356938035643809"},
	    {"AT+CIMI", "001010123456789"},
	    {"AT+CPIN?", "+CPIN: READY"},
	    {"AT+CREG?", "+CREG: 0,1"},
	    {"AT+CEREG?", "+CEREG: 0,1"},
	    {"AT+CPMS=?", "+CPMS: (\"SM\"),(\"SM\"),(\"SM\")"},
	    {"AT+CPMS?", "+CPMS: \"SM\",0,30,\"SM\",0,30,\"SM\",0,30"},
	    {"AT+CSMS=1", "+CSMS: 1,1,1"},
	    {"AT+CSQ", "+CSQ: 20,99"},
	};
	char buf[512];

	if (F->n_cmds < MAX_CMDS)
		osmo_strlcpy(F->cmds[F->n_cmds++], cmd, sizeof(F->cmds[0]));
	if (!strncmp(cmd, "AT+CPMS=\"", 9)) {
		say("\r\n+CPMS: 0,30,0,30,0,30\r\n\r\nOK\r\n");
		return;
	}
	if (!strcmp(cmd, "AT+CNMI?")) {
		say("\r\n+CNMI: 2,1,0,2,0\r\n\r\nOK\r\n");
		return;
	}
	if (!strcmp(cmd, "AT+CLCC")) {
		if (F->clcc_error) {
			say("\r\nERROR\r\n");
			return;
		}
		for (unsigned i = 0; i < F->n_clcc; i++) {
			snprintf(buf, sizeof(buf), "\r\n%s", F->clcc[i]);
			say(buf);
		}
		say(F->n_clcc ? "\r\n\r\nOK\r\n" : "\r\nOK\r\n");
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(infos); i++) {
		if (!strcmp(cmd, infos[i].cmd)) {
			snprintf(buf, sizeof(buf), "\r\n%s\r\n\r\nOK\r\n", infos[i].info);
			say(buf);
			return;
		}
	}
	say("\r\nOK\r\n");
}

/* Read what the driver wrote and answer each command line. */
static void serve(void)
{
	ssize_t n;
	char *cr;

	while ((n = read(F->master, F->in + F->in_len, sizeof(F->in) - 1 - F->in_len)) > 0)
		F->in_len += (size_t)n;
	F->in[F->in_len] = '\0';
	while ((cr = strchr(F->in, '\r'))) {
		*cr = '\0';
		if (F->in[0])
			answer(F->in);
		F->in_len -= (size_t)(cr + 1 - F->in);
		memmove(F->in, cr + 1, F->in_len + 1);
	}
}

static void run_for(int ms)
{
	long long end = now_ms() + ms;

	while (now_ms() < end) {
		if (osmo_select_main(1) <= 0)
			usleep(500);
		serve();
	}
}

#define RUN_UNTIL(cond, ms)                                                                        \
	({                                                                                         \
		long long _end = now_ms() + (ms);                                                  \
		bool _ok;                                                                          \
		while (!(_ok = (cond)) && now_ms() < _end) {                                       \
			if (osmo_select_main(1) <= 0)                                              \
				usleep(500);                                                       \
			serve();                                                                   \
		}                                                                                  \
		_ok;                                                                               \
	})

static void on_call(struct modem *m, const struct modem_call_info *ci, void *data)
{
	struct event *e;

	(void)m;
	(void)data;
	if (F->n_ev == MAX_EVENTS)
		return;
	e = &F->ev[F->n_ev++];
	e->id = ci->id;
	e->state = ci->state;
	e->end = ci->end;
	osmo_strlcpy(e->number, ci->number, sizeof(e->number));
}

static void on_dtmf(struct modem *m, uint32_t id, char digit, void *data)
{
	size_t n = strlen(F->dtmf);

	(void)m;
	(void)id;
	(void)data;
	if (n + 1 < sizeof(F->dtmf))
		F->dtmf[n] = digit;
}

static const struct modem_events events = {.on_call = on_call, .on_dtmf = on_dtmf};

static bool sent(const char *cmd)
{
	for (unsigned i = 0; i < F->n_cmds; i++)
		if (!strcmp(F->cmds[i], cmd))
			return true;
	return false;
}

static bool reported(enum modem_call_state st)
{
	for (unsigned i = 0; i < F->n_ev; i++)
		if (F->ev[i].state == st)
			return true;
	return false;
}

static const struct event *last_event(void)
{
	return F->n_ev ? &F->ev[F->n_ev - 1] : NULL;
}

static bool released(void)
{
	return F->n_ev && last_event()->state == MODEM_CALL_RELEASED;
}

static void clcc_set(const char *line)
{
	F->n_clcc = 0;
	if (line)
		osmo_strlcpy(F->clcc[F->n_clcc++], line, sizeof(F->clcc[0]));
}

/* A modem of `profile` on a fresh PTY, ready. */
static void start(const char *profile)
{
	struct modem_config cfg = {
	    .name = "modem0",
	    .relay_number = "+15550100",
	    .profile = profile,
	    .audio_device = "/nonexistent/audio",
	};

	F->master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(F->master >= 0);
	assert_int_equal(grantpt(F->master), 0);
	assert_int_equal(unlockpt(F->master), 0);
	assert_int_equal(fcntl(F->master, F_SETFL, fcntl(F->master, F_GETFL) | O_NONBLOCK), 0);
	cfg.device = ptsname(F->master);
	F->pool = modem_pool_alloc(F->ctx, &events, F);
	F->m = modem_pool_add(F->pool, &cfg);
	assert_non_null(F->m);
	assert_true(RUN_UNTIL(modem_get_state(F->m) == MODEM_ST_READY, 5000));
	F->n_cmds = 0;
}

static int setup(void **state)
{
	F = calloc(1, sizeof(*F));
	F->ctx = talloc_named_const(NULL, 0, "test");
	osmo_tdef_set(modem_tdefs, MODEM_T_CALL_POLL, 100, OSMO_TDEF_MS);
	osmo_tdef_set(modem_tdefs, MODEM_T_RING, 1, OSMO_TDEF_S);
	osmo_tdef_set(modem_tdefs, MODEM_T_NO_ANSWER, 1, OSMO_TDEF_S);
	osmo_tdef_set(modem_tdefs, MODEM_T_RELEASE, 1, OSMO_TDEF_S);
	*state = F;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (F->pool)
		modem_pool_free(F->pool);
	run_for(10);
	close(F->master);
	talloc_free(F->ctx);
	free(F);
	return 0;
}

/* Quectel: a parent calls, the driver answers, the parent hangs up. */
static void test_quectel_incoming(void **state)
{
	const char *ring = "+QIND: \"ccinfo\",1,1,4,0,0,\"+15557770001\",145";
	const char *up = "+QIND: \"ccinfo\",1,1,0,0,0,\"+15557770001\",145";
	struct modem_call_info ci;

	(void)state;
	start("quectel-ec25");
	clcc_set("+CLCC: 1,1,4,0,0,\"+15557770001\",145");
	urc("RING");
	urc("+CLIP: \"+15557770001\",145,,,,0");
	urc(ring);
	assert_true(RUN_UNTIL(F->n_ev && !strcmp(last_event()->number, "+15557770001"), 2000));
	assert_int_equal(last_event()->state, MODEM_CALL_RINGING);
	assert_int_equal(modem_calls(F->m, &ci, 1), 1);
	assert_int_equal(modem_answer(F->m, ci.id), 0);
	assert_true(RUN_UNTIL(sent("ATA"), 2000));
	/* A RING still on its way while the answer is: the same call, not a new one. */
	urc("RING");
	run_for(100);
	assert_int_equal(modem_calls(F->m, NULL, 0), 1);
	clcc_set("+CLCC: 1,1,0,0,0,\"+15557770001\",145");
	urc(up);
	assert_true(RUN_UNTIL(reported(MODEM_CALL_ACTIVE), 2000));
	/* The far end keys 8 (Quectel reports the ASCII code). */
	urc("+QTONEDET: 56");
	assert_true(RUN_UNTIL(F->dtmf[0] == '8', 1000));
	assert_int_equal(modem_send_dtmf(F->m, ci.id, "1#"), 0);
	assert_int_equal(modem_send_dtmf(F->m, ci.id, "1;ATH"), -EINVAL);
	assert_true(RUN_UNTIL(sent("AT+VTS=\"#\""), 1000));
	urc("NO CARRIER");
	urc("+QIND: \"ccinfo\",1,1,-1,0,0,\"+15557770001\",145");
	clcc_set(NULL);
	assert_true(RUN_UNTIL(released(), 2000));
	assert_int_equal(last_event()->end, MODEM_CALL_END_REMOTE);
	assert_int_equal(modem_calls(F->m, NULL, 0), 0);
}

/* Quectel: the driver dials a busy phone. */
static void test_quectel_busy(void **state)
{
	uint32_t id;

	(void)state;
	start("quectel-ec25");
	assert_int_equal(modem_dial(F->m, "+15557770001;ATH", &id), -EINVAL);
	assert_int_equal(modem_dial(F->m, "+15557770001", &id), 0);
	assert_int_equal(modem_dial(F->m, "+15557770002", NULL), -EBUSY);
	clcc_set("+CLCC: 1,0,2,0,0,\"+15557770001\",145");
	assert_true(RUN_UNTIL(sent("ATD+15557770001;"), 2000));
	urc("+QIND: \"ccinfo\",1,0,2,0,0,\"+15557770001\",145");
	run_for(150);
	urc("BUSY");
	urc("+QIND: \"ccinfo\",1,0,-1,0,0,\"+15557770001\",145");
	clcc_set(NULL);
	assert_true(RUN_UNTIL(released(), 2000));
	assert_int_equal(last_event()->id, id);
	assert_int_equal(last_event()->end, MODEM_CALL_END_BUSY);
}

/* SIMCom: unsolicited +CLCC lists; audio switched on when active, off after. */
static void test_simcom_outgoing(void **state)
{
	uint32_t id;

	(void)state;
	start("simcom-sim7600");
	assert_int_equal(modem_dial(F->m, "5557770001", &id), 0);
	clcc_set("+CLCC: 1,0,2,0,0,\"5557770001\",129");
	assert_true(RUN_UNTIL(sent("ATD5557770001;"), 2000));
	urc("+CLCC: 1,0,2,0,0,\"5557770001\",129");
	clcc_set("+CLCC: 1,0,3,0,0,\"5557770001\",129");
	urc("+CLCC: 1,0,3,0,0,\"5557770001\",129");
	assert_true(RUN_UNTIL(reported(MODEM_CALL_ALERTING), 2000));
	clcc_set("+CLCC: 1,0,0,0,0,\"5557770001\",129");
	urc("VOICE CALL: BEGIN");
	urc("+CLCC: 1,0,0,0,0,\"5557770001\",129");
	assert_true(RUN_UNTIL(reported(MODEM_CALL_ACTIVE), 2000));
	assert_true(RUN_UNTIL(sent("AT+CPCMREG=1"), 2000));
	/* SIMCom frames its DTMF report with a double CR. */
	say("\r\r\n+RXDTMF: 7\r\r\n");
	assert_true(RUN_UNTIL(F->dtmf[0] == '7', 1000));
	assert_int_equal(modem_send_dtmf(F->m, id, "9"), 0);
	assert_true(RUN_UNTIL(sent("AT+VTS=9"), 1000));
	assert_int_equal(modem_hangup(F->m, id), 0);
	assert_true(RUN_UNTIL(sent("AT+CHUP"), 2000));
	clcc_set(NULL);
	urc("+CLCC: 1,0,6,0,0,\"5557770001\",129");
	urc("VOICE CALL: END: 000003");
	assert_true(RUN_UNTIL(released(), 2000));
	assert_int_equal(last_event()->end, MODEM_CALL_END_LOCAL);
	assert_true(RUN_UNTIL(sent("AT+CPCMREG=0"), 1000));
}

/* SIMCom: a call that rings out unanswered. */
static void test_simcom_missed(void **state)
{
	(void)state;
	start("simcom-sim7600");
	clcc_set("+CLCC: 1,1,4,0,0,\"+15557770009\",145");
	urc("RING");
	urc("+CLIP: \"+15557770009\",145,,,,0");
	urc("+CLCC: 1,1,4,0,0,\"+15557770009\",145");
	assert_true(RUN_UNTIL(reported(MODEM_CALL_RINGING), 2000));
	/* Hostile and broken lines in between change nothing. */
	urc("+CLCC: 1,1,4,0,0,\"+1555;DROP TABLE\",145");
	urc("+QIND: \"ccinfo\",999999999999,1,4");
	urc("^CEND:");
	run_for(150);
	assert_int_equal(modem_calls(F->m, NULL, 0), 1);
	clcc_set(NULL);
	urc("MISSED_CALL: 11:01AM +15557770009");
	assert_true(RUN_UNTIL(released(), 2000));
	assert_int_equal(last_event()->end, MODEM_CALL_END_MISSED);
	assert_string_equal(last_event()->number, "+15557770009");
}

/* Huawei: ^ORIG, ^CONF, then ^CEND with cause 21: the phone declined. AT^DDSETEX=2
 * follows the ATD. */
static void test_huawei_rejected(void **state)
{
	uint32_t id;

	(void)state;
	start("huawei-e173");
	assert_int_equal(modem_dial(F->m, "+15557770001", &id), 0);
	clcc_set("+CLCC: 1,0,2,0,0,\"+15557770001\",145");
	assert_true(RUN_UNTIL(sent("AT^DDSETEX=2"), 2000));
	urc("^ORIG:1,0");
	urc("^CONF:1");
	clcc_set("+CLCC: 1,0,3,0,0,\"+15557770001\",145");
	assert_true(RUN_UNTIL(reported(MODEM_CALL_ALERTING), 2000));
	clcc_set(NULL);
	urc("^CEND:1,0,104,21");
	assert_true(RUN_UNTIL(released(), 2000));
	assert_int_equal(last_event()->end, MODEM_CALL_END_REJECTED);
}

/* Huawei: an incoming call answered, then ended by the network (^CEND cause 16 after
 * ^CONN). */
static void test_huawei_incoming(void **state)
{
	struct modem_call_info ci;

	(void)state;
	start("huawei-e173");
	clcc_set("+CLCC: 1,1,4,0,0,\"+15557770002\",145");
	urc("RING");
	urc("+CLIP: \"+15557770002\",145,,,,0");
	assert_true(RUN_UNTIL(reported(MODEM_CALL_RINGING), 2000));
	assert_int_equal(modem_calls(F->m, &ci, 1), 1);
	assert_int_equal(modem_answer(F->m, ci.id), 0);
	assert_true(RUN_UNTIL(sent("ATA") && sent("AT^DDSETEX=2"), 2000));
	clcc_set("+CLCC: 1,1,0,0,0,\"+15557770002\",145");
	urc("^CONN:1,0");
	assert_true(RUN_UNTIL(reported(MODEM_CALL_ACTIVE), 2000));
	clcc_set(NULL);
	urc("^CEND:1,12,104,16");
	assert_true(RUN_UNTIL(released(), 2000));
	assert_int_equal(last_event()->end, MODEM_CALL_END_REMOTE);
}

/* Nobody answers: the driver's own timer hangs up. */
static void test_no_answer_timer(void **state)
{
	uint32_t id;

	(void)state;
	start("quectel-ec25");
	assert_int_equal(modem_dial(F->m, "+15557770001", &id), 0);
	clcc_set("+CLCC: 1,0,3,0,0,\"+15557770001\",145");
	assert_true(RUN_UNTIL(reported(MODEM_CALL_ALERTING), 2000));
	assert_true(RUN_UNTIL(sent("AT+CHUP"), 3000));
	assert_true(reported(MODEM_CALL_RELEASING));
	clcc_set(NULL);
	assert_true(RUN_UNTIL(released(), 2000));
	assert_int_equal(last_event()->end, MODEM_CALL_END_NO_ANSWER);
}

/* A modem without +CLCC: a call that stops ringing is missed once RINGs stop. */
static void test_ring_timeout_without_clcc(void **state)
{
	(void)state;
	F->clcc_error = true;
	start("quectel-ec25");
	urc("RING");
	assert_true(RUN_UNTIL(reported(MODEM_CALL_RINGING), 2000));
	run_for(500);
	urc("RING");
	assert_false(released());
	assert_true(RUN_UNTIL(released(), 3000));
	assert_int_equal(last_event()->end, MODEM_CALL_END_MISSED);
}

/* An SMS-only profile carries no calls, and says so. */
static void test_no_voice(void **state)
{
	(void)state;
	start("simcom-sim800");
	assert_int_equal(modem_dial(F->m, "+15557770001", NULL), -ENOTSUP);
	urc("RING");
	run_for(300);
	assert_int_equal(F->n_ev, 0);
	assert_int_equal(
	    modem_audio_write(F->m, (int16_t[MODEM_AUDIO_FRAME]){0}, MODEM_AUDIO_FRAME), -ENOTCONN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_quectel_incoming, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_quectel_busy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_simcom_outgoing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_simcom_missed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_huawei_rejected, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_huawei_incoming, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_answer_timer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ring_timeout_without_clcc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_voice, setup, teardown),
	};
	void *log_ctx = talloc_named_const(NULL, 0, "log");

	osmo_init_logging2(log_ctx, &chaperone_modem_log_info);
	log_set_print_category(osmo_stderr_target, 1);
	log_set_log_level(osmo_stderr_target, getenv("VERBOSE") ? LOGL_DEBUG : LOGL_FATAL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
