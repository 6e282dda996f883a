/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The AT channel against a real modemsim process: opened through osmo_serial_init() on
 * modemsim's PTY, on libosmocore's loop. Probe commands with echo on and off, +CMGS with
 * the prompt (with and without PDU echo), a +CMT acknowledged with +CNMA, a URC inside a
 * command's response, and the port vanishing under a command. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <talloc.h>
#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>

#include "modem/driver/at_channel.h"
#include "tests/e2e/harness.h"
#include "modem/driver/modem_log.h"
#include "modem/sms/sms_split.h"
#include "modem/sms/sms_tpdu.h"

#define PHONE "+15557770001"

struct res {
	int called;
	enum at_result result;
	int code;
	unsigned n_lines;
	char lines[8][512];
};

struct world {
	void *ctx;
	struct sim *sim;
	struct at_channel *ch;
	int closed;
	int cmt;
	char cmt_pdu[512];
	struct res cnma;
	int creg_urcs;
};

static struct world *W;

static void step(void)
{
	if (osmo_select_main(1) <= 0)
		usleep(500);
}

#define RUN_UNTIL(cond, ms)                                                                        \
	({                                                                                         \
		long long _deadline = now_ms() + (ms);                                             \
		bool _ok;                                                                          \
		while (!(_ok = (cond)) && now_ms() < _deadline)                                    \
			step();                                                                    \
		_ok;                                                                               \
	})

static void record_cb(struct at_channel *ch, const struct at_response *r, void *data)
{
	struct res *res = data;

	(void)ch;
	res->called++;
	res->result = r->result;
	res->code = r->error_code;
	res->n_lines = r->n_lines;
	for (unsigned i = 0; i < r->n_lines && i < 8; i++)
		snprintf(res->lines[i], sizeof(res->lines[i]), "%s", r->lines[i]);
}

/* Direct delivery: keep the PDU, acknowledge it at once (the test's "commit"). */
static void cmt_cb(struct at_channel *ch, const char *line, const char *pdu, void *data)
{
	struct world *w = data;

	(void)line;
	w->cmt++;
	snprintf(w->cmt_pdu, sizeof(w->cmt_pdu), "%s", pdu);
	assert_int_equal(at_channel_cmd(ch, "AT+CNMA", NULL, 0, record_cb, &w->cnma), 0);
}

static void creg_cb(struct at_channel *ch, const char *line, const char *pdu, void *data)
{
	struct world *w = data;

	(void)ch;
	(void)line;
	(void)pdu;
	w->creg_urcs++;
}

static void on_closed(struct at_channel *ch, void *data)
{
	struct world *w = data;

	(void)ch;
	w->closed++;
}

static const struct at_channel_ops ops = {.on_closed = on_closed};

static void cmd(const char *c, const char *expect, struct res *r)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(at_channel_cmd(W->ch, c, expect, 3000, record_cb, r), 0);
	if (!RUN_UNTIL(r->called, 5000))
		fail_msg("%s: no result", c);
}

static void cmd_ok(const char *c, const char *expect, struct res *r)
{
	cmd(c, expect, r);
	if (r->result != AT_RES_OK)
		fail_msg("%s: %s", c, at_result_name(r->result));
}

static int setup(void **state)
{
	W = calloc(1, sizeof(*W));
	W->ctx = talloc_named_const(NULL, 0, "test");
	W->sim = sim_start("--submit-ms", "50", "--deliver-ms", "0", (const char *)NULL);
	assert_non_null(W->sim);
	W->ch = at_channel_open(W->ctx, sim_modem_path(W->sim, 0), &ops, W);
	assert_non_null(W->ch);
	assert_int_equal(at_channel_urc(W->ch, "+CMT:", true, cmt_cb, W), 0);
	assert_int_equal(at_channel_urc(W->ch, "+CREG:", false, creg_cb, W), 0);
	*state = W;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	at_channel_close(W->ch);
	sim_stop(W->sim);
	assert_int_equal(talloc_total_blocks(W->ctx), 1);
	talloc_free(W->ctx);
	free(W);
	return 0;
}

/* An SMS-SUBMIT to PHONE as hex, and the AT+CMGS=n that goes with it. */
static void make_submit(const char *text, char *hex, size_t cap, char *cmgs, size_t cmgs_cap)
{
	struct sms_submit sub = {.vpf = SMS_VPF_NONE};
	uint8_t pdu[SMS_PDU_MAX];
	int len;

	assert_int_equal(sms_address_from_text(&sub.destination, PHONE), 0);
	assert_int_equal(sms_ud_from_utf8(&sub.ud, text, strlen(text)), 0);
	len = sms_submit_encode(pdu, sizeof(pdu), &sub, true);
	assert_true(len > 0);
	assert_true(sms_hex_encode(hex, cap, pdu, (size_t)len) > 0);
	snprintf(cmgs, cmgs_cap, "AT+CMGS=%d", sms_tpdu_len(pdu, (size_t)len));
}

static void submit(const char *text, struct res *r)
{
	char hex[2 * SMS_PDU_MAX + 1], cmgs[32];

	make_submit(text, hex, sizeof(hex), cmgs, sizeof(cmgs));
	memset(r, 0, sizeof(*r));
	assert_int_equal(at_channel_cmd_pdu(W->ch, cmgs, hex, 0, record_cb, r), 0);
	assert_true(RUN_UNTIL(r->called, 5000));
	assert_int_equal(r->result, AT_RES_OK);
	assert_int_equal(r->n_lines, 1);
	assert_true(strncmp(r->lines[0], "+CMGS: ", 7) == 0);
}

static void test_probe_echo_on_and_off(void **state)
{
	struct res r;

	(void)state;
	/* Power-on: echo is on. */
	cmd_ok("AT", NULL, &r);
	assert_int_equal(r.n_lines, 0);
	cmd_ok("AT+CGMI", NULL, &r);
	assert_int_equal(r.n_lines, 1);
	assert_string_equal(r.lines[0], "Chaperone");
	cmd_ok("AT+CREG?", "+CREG:", &r);
	assert_int_equal(r.n_lines, 1);
	assert_string_equal(r.lines[0], "+CREG: 0,1");
	assert_int_equal(W->creg_urcs, 0);
	cmd_ok("ATE0", NULL, &r);
	cmd_ok("AT+CMEE=1", NULL, &r);
	cmd_ok("AT+CPIN?", NULL, &r);
	assert_string_equal(r.lines[0], "+CPIN: READY");
	cmd_ok("AT+CSQ", NULL, &r);
	assert_string_equal(r.lines[0], "+CSQ: 21,99");
	cmd_ok("AT+CMGF=0", NULL, &r);
	cmd_ok("AT+CSMS=1", NULL, &r);
	assert_string_equal(r.lines[0], "+CSMS: 1,1,1");
	cmd("AT+NOSUCH", NULL, &r);
	assert_int_equal(r.result, AT_RES_ERROR);
	cmd("AT+CMGR=99", NULL, &r);
	assert_int_equal(r.result, AT_RES_CMS_ERROR);
	assert_int_equal(r.code, 321);
	cmd("AT+CPIN=\"1234\"", NULL, &r);
	assert_int_equal(r.result, AT_RES_CME_ERROR);
	assert_int_equal(r.code, 3);
	assert_int_equal(at_channel_noise_bytes(W->ch), 0);
}

static void test_cmgs_with_prompt(void **state)
{
	struct res r;
	struct json_object *inbox;

	(void)state;
	cmd_ok("AT+CMGF=0", NULL, &r);
	submit("echo on", &r); /* modemsim echoes the PDU */
	cmd_ok("ATE0", NULL, &r);
	submit("echo off", &r);
	inbox = sim_wait_inbox(W->sim, PHONE, 2, 5000);
	assert_non_null(inbox);
	json_object_put(inbox);

	/* The next command goes out on the +CMGS final result, not later. */
	struct res a, b;
	char hex[2 * SMS_PDU_MAX + 1], cmgs[32];
	make_submit("back to back", hex, sizeof(hex), cmgs, sizeof(cmgs));
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	assert_int_equal(at_channel_cmd_pdu(W->ch, cmgs, hex, 0, record_cb, &a), 0);
	assert_int_equal(at_channel_cmd(W->ch, "AT+CSQ", NULL, 0, record_cb, &b), 0);
	assert_true(RUN_UNTIL(b.called, 5000));
	assert_int_equal(a.result, AT_RES_OK);
	assert_int_equal(b.result, AT_RES_OK);
}

static void test_cmt_and_cnma(void **state)
{
	struct res r;
	uint8_t pdu[SMS_PDU_MAX];
	struct sms_deliver d;
	int len;

	(void)state;
	cmd_ok("ATE0", NULL, &r);
	cmd_ok("AT+CMGF=0", NULL, &r);
	cmd_ok("AT+CSMS=1", NULL, &r);
	cmd_ok("AT+CNMI=2,2,0,1,0", NULL, &r);
	json_object_put(sim_ctl_ok(W->sim,
				   "{\"cmd\":\"send\",\"from\":\"%s\",\"to\":\"modem0\","
				   "\"text\":\"Is practice on?\"}",
				   PHONE));
	assert_true(RUN_UNTIL(W->cnma.called, 5000));
	assert_int_equal(W->cmt, 1);
	assert_int_equal(W->cnma.result, AT_RES_OK);
	len = sms_hex_decode(pdu, sizeof(pdu), W->cmt_pdu, strlen(W->cmt_pdu));
	assert_true(len > 0);
	assert_int_equal(sms_deliver_decode(&d, pdu, (size_t)len, true), 0);
	assert_string_equal(d.ud.text, "Is practice on?");

	/* A URC forced inside a command's response goes to its handler. */
	json_object_put(sim_ctl_ok(W->sim, "{\"cmd\":\"fault\",\"modem\":\"modem0\","
					   "\"kind\":\"urc_in_response\"}"));
	cmd_ok("AT+CSQ", NULL, &r);
	assert_int_equal(r.n_lines, 1);
	assert_string_equal(r.lines[0], "+CSQ: 21,99");
	assert_int_equal(W->creg_urcs, 1);
}

static void test_port_vanishes(void **state)
{
	struct res r, a, b;

	(void)state;
	cmd_ok("ATE0", NULL, &r);
	/* A hung modem, then the port goes: the hung command and the queued one end. */
	json_object_put(sim_ctl_ok(W->sim, "{\"cmd\":\"fault\",\"modem\":\"modem0\","
					   "\"kind\":\"hang\",\"ms\":5000}"));
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	assert_int_equal(at_channel_cmd(W->ch, "AT+CSQ", NULL, 10000, record_cb, &a), 0);
	assert_int_equal(at_channel_cmd(W->ch, "AT", NULL, 0, record_cb, &b), 0);
	for (int i = 0; i < 10; i++)
		step();
	json_object_put(sim_ctl_ok(W->sim, "{\"cmd\":\"fault\",\"modem\":\"modem0\","
					   "\"kind\":\"vanish\",\"ms\":300}"));
	assert_true(RUN_UNTIL(W->closed == 1, 5000));
	assert_int_equal(a.result, AT_RES_CLOSED);
	assert_int_equal(b.result, AT_RES_CLOSED);
	assert_int_equal(at_channel_cmd(W->ch, "AT", NULL, 0, NULL, NULL), -ENOTCONN);

	/* The port comes back behind the same path (unhung): a new channel works. */
	json_object_put(sim_ctl_ok(W->sim, "{\"cmd\":\"fault\",\"modem\":\"modem0\","
					   "\"kind\":\"clear\"}"));
	at_channel_close(W->ch);
	W->ch = NULL;
	long long deadline = now_ms() + 5000;
	while (!W->ch && now_ms() < deadline) {
		sleep_ms(50);
		W->ch = at_channel_open(W->ctx, sim_modem_path(W->sim, 0), &ops, W);
	}
	assert_non_null(W->ch);
	cmd_ok("AT", NULL, &r);
	assert_int_equal(W->closed, 1);
}

int main(int argc, char **argv)
{
	void *log_ctx = talloc_named_const(NULL, 0, "log");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_probe_echo_on_and_off, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cmgs_with_prompt, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cmt_and_cnma, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_port_vanishes, setup, teardown),
	};
	int rc;

	if (argc > 1)
		harness_build_dir = argv[1];
	osmo_init_logging2(log_ctx, &chaperone_modem_log_info);
	rc = cmocka_run_group_tests_name("at_channel_modemsim", tests, NULL, NULL);
	log_fini();
	talloc_free(log_ctx);
	return rc;
}
