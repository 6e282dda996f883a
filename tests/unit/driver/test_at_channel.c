/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The AT channel against a scripted modem on the other side of a real PTY.
 *
 * The channel gets the (raw) slave; the test plays the modem on the master, writing
 * responses byte for byte as modems do and reading what the channel wrote, while it runs
 * libosmocore's loop without blocking until a condition or a deadline. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <talloc.h>
#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/tdef.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "modem/driver/at_channel.h"
#include "modem/driver/modem_log.h"

#define PDU "0011000B915155770700F10000AA05E8329BFD06"

/* What one command's callback saw. */
struct res {
	int called;
	enum at_result result;
	int code;
	char final[128];
	unsigned n_lines;
	char lines[16][512];
	unsigned iter; /* loop iteration of the call */
};

struct urc_rec {
	int n;
	char line[8][256];
	char pdu[8][512];
	bool had_pdu[8];
};

struct trace_ent {
	char dir;
	char line[256];
	unsigned iter;
};

/* One test's world: the channel, the modem's end and what the callbacks recorded. */
struct fx {
	void *ctx;
	int master;
	struct at_channel *ch;
	char rx[65536]; /* bytes the channel wrote, not yet consumed by the test */
	size_t rx_len;
	unsigned iter;
	int closed_calls;
	bool close_in_on_closed;
	struct trace_ent tr[256];
	unsigned n_tr;
};

static struct fx *F;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void drain_master(void)
{
	ssize_t n;

	if (F->master < 0)
		return;
	while ((n = read(F->master, F->rx + F->rx_len, sizeof(F->rx) - 1 - F->rx_len)) > 0)
		F->rx_len += (size_t)n;
	F->rx[F->rx_len] = '\0';
}

/* One turn of the loop, never blocking; a short nap when nothing happened. */
static void step(void)
{
	F->iter++;
	if (osmo_select_main(1) <= 0)
		usleep(200);
	drain_master();
}

#define RUN_UNTIL(cond, ms)                                                                        \
	({                                                                                         \
		long long _deadline = now_ms() + (ms);                                             \
		bool _ok;                                                                          \
		while (!(_ok = (cond)) && now_ms() < _deadline)                                    \
			step();                                                                    \
		_ok;                                                                               \
	})

static void run_for(int ms)
{
	long long deadline = now_ms() + ms;

	while (now_ms() < deadline)
		step();
}

static void modem_write_n(const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(F->master, s, n);

		if (w < 0 && errno == EAGAIN) {
			step();
			continue;
		}
		assert_true(w > 0);
		s += w;
		n -= (size_t)w;
	}
}

static void modem_write(const char *s)
{
	modem_write_n(s, strlen(s));
}

/* Wait until the channel wrote `s`; consume everything up to and including it. */
static void modem_expect(const char *s)
{
	char *p;

	if (!RUN_UNTIL(strstr(F->rx, s) != NULL, 3000))
		fail_msg("modem did not receive \"%s\"; has \"%s\"", s, F->rx);
	p = strstr(F->rx, s) + strlen(s);
	F->rx_len -= (size_t)(p - F->rx);
	memmove(F->rx, p, F->rx_len + 1);
}

static bool rx_has(const char *s)
{
	return strstr(F->rx, s) != NULL;
}

/* Callbacks */

static void record_cb(struct at_channel *ch, const struct at_response *r, void *data)
{
	struct res *res = data;

	(void)ch;
	res->called++;
	res->result = r->result;
	res->code = r->error_code;
	snprintf(res->final, sizeof(res->final), "%s", r->final_line);
	res->n_lines = r->n_lines;
	for (unsigned i = 0; i < r->n_lines && i < 16; i++)
		snprintf(res->lines[i], sizeof(res->lines[i]), "%s", r->lines[i]);
	res->iter = F->iter;
}

static void urc_cb(struct at_channel *ch, const char *line, const char *pdu, void *data)
{
	struct urc_rec *u = data;

	(void)ch;
	if (u->n < 8) {
		snprintf(u->line[u->n], sizeof(u->line[0]), "%s", line);
		snprintf(u->pdu[u->n], sizeof(u->pdu[0]), "%s", pdu ? pdu : "");
		u->had_pdu[u->n] = pdu != NULL;
	}
	u->n++;
}

static void on_closed(struct at_channel *ch, void *data)
{
	struct fx *f = data;

	f->closed_calls++;
	if (f->close_in_on_closed) {
		at_channel_close(ch);
		f->ch = NULL;
	}
}

static void on_trace(struct at_channel *ch, char dir, const char *line, void *data)
{
	struct fx *f = data;

	(void)ch;
	if (f->n_tr < 256) {
		f->tr[f->n_tr].dir = dir;
		snprintf(f->tr[f->n_tr].line, sizeof(f->tr[0].line), "%s", line);
		f->tr[f->n_tr].iter = f->iter;
		f->n_tr++;
	}
}

static const struct at_channel_ops ops = {.on_closed = on_closed, .on_trace = on_trace};

/* Fixture: a PTY pair, slave raw, channel on the slave. */

static int setup(void **state)
{
	struct termios t;
	int slave;

	F = calloc(1, sizeof(*F));
	F->ctx = talloc_named_const(NULL, 0, "test");
	F->master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(F->master >= 0);
	assert_int_equal(grantpt(F->master), 0);
	assert_int_equal(unlockpt(F->master), 0);
	slave = open(ptsname(F->master), O_RDWR | O_NOCTTY);
	assert_true(slave >= 0);
	assert_int_equal(tcgetattr(slave, &t), 0);
	cfmakeraw(&t);
	assert_int_equal(tcsetattr(slave, TCSANOW, &t), 0);
	assert_int_equal(fcntl(F->master, F_SETFL, fcntl(F->master, F_GETFL) | O_NONBLOCK), 0);
	F->ch = at_channel_open_fd(F->ctx, slave, "pty", &ops, F);
	assert_non_null(F->ch);
	*state = F;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (F->ch)
		at_channel_close(F->ch);
	if (F->master >= 0)
		close(F->master);
	/* Everything the channel allocated went with it. */
	assert_int_equal(talloc_total_blocks(F->ctx), 1);
	talloc_free(F->ctx);
	free(F);
	F = NULL;
	return 0;
}

/* Queue `cmd`, check it is written, answer `answer`, wait for the callback. */
static void roundtrip(const char *cmd, const char *expect, const char *answer, struct res *r)
{
	char written[256];

	memset(r, 0, sizeof(*r));
	assert_int_equal(at_channel_cmd(F->ch, cmd, expect, 0, record_cb, r), 0);
	snprintf(written, sizeof(written), "%s\r", cmd);
	modem_expect(written);
	modem_write(answer);
	assert_true(RUN_UNTIL(r->called, 3000));
	assert_int_equal(r->called, 1);
}

/* Framing */

static void test_echo_off(void **state)
{
	struct res r;

	(void)state;
	roundtrip("AT+CSQ", NULL, "\r\n+CSQ: 21,99\r\n\r\nOK\r\n", &r);
	assert_int_equal(r.result, AT_RES_OK);
	assert_string_equal(r.final, "OK");
	assert_int_equal(r.n_lines, 1);
	assert_string_equal(r.lines[0], "+CSQ: 21,99");
	assert_false(at_channel_busy(F->ch));
}

static void test_echo_on(void **state)
{
	struct res r;

	(void)state;
	roundtrip("AT+CSQ", NULL, "AT+CSQ\r\r\n+CSQ: 21,99\r\n\r\nOK\r\n", &r);
	assert_int_equal(r.result, AT_RES_OK);
	assert_int_equal(r.n_lines, 1);
	assert_string_equal(r.lines[0], "+CSQ: 21,99");
	/* Echo of a command that answers OK alone. */
	roundtrip("ATE0", NULL, "ATE0\r\r\nOK\r\n", &r);
	assert_int_equal(r.result, AT_RES_OK);
	assert_int_equal(r.n_lines, 0);
}

static void test_line_endings(void **state)
{
	static const char *answers[] = {
	    "\r\nQuectel\r\n\r\nOK\r\n",   "\rQuectel\rOK\r",		"\nQuectel\nOK\n",
	    "\r\r\nQuectel\r\r\nOK\r\r\n", "\n\rQuectel\n\r\n\rOK\n\r",
	};
	struct res r;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(answers); i++) {
		roundtrip("AT+CGMI", NULL, answers[i], &r);
		assert_int_equal(r.result, AT_RES_OK);
		assert_int_equal(r.n_lines, 1);
		assert_string_equal(r.lines[0], "Quectel");
	}
	assert_int_equal(at_channel_noise_bytes(F->ch), 0);
}

static void test_single_byte_writes(void **state)
{
	const char *answer = "AT+CGMM\r\r\n+CGMM: EC25\r\n\r\nOK\r\n";
	struct res r = {0};

	(void)state;
	assert_int_equal(at_channel_cmd(F->ch, "AT+CGMM", NULL, 0, record_cb, &r), 0);
	modem_expect("AT+CGMM\r");
	for (const char *p = answer; *p; p++) {
		modem_write_n(p, 1);
		step();
		step();
		/* Complete only when the final result's line ends. */
		if (p < answer + strlen(answer) - 2)
			assert_int_equal(r.called, 0);
	}
	assert_true(RUN_UNTIL(r.called, 3000));
	assert_int_equal(r.result, AT_RES_OK);
	assert_int_equal(r.n_lines, 1);
	assert_string_equal(r.lines[0], "+CGMM: EC25");
}

static void test_noise(void **state)
{
	/* 3 before, 2 inside the information line, 1 inside OK, 3 after. */
	static const char answer[] = "\x00\xff\x1b\r\n+CSQ: 2\x01"
				     "1,\x80"
				     "99\r\n\r\nO\x7fK\r\n\xfe\x00\x1a";
	struct res r = {0};

	(void)state;
	assert_int_equal(at_channel_cmd(F->ch, "AT+CSQ", NULL, 0, record_cb, &r), 0);
	modem_expect("AT+CSQ\r");
	modem_write_n(answer, sizeof(answer) - 1);
	assert_true(RUN_UNTIL(r.called, 3000));
	assert_int_equal(r.result, AT_RES_OK);
	assert_int_equal(r.n_lines, 1);
	assert_string_equal(r.lines[0], "+CSQ: 21,99");
	assert_true(RUN_UNTIL(at_channel_noise_bytes(F->ch) == 9, 1000));

	/* Noise while idle does not wedge the next command. */
	modem_write_n("\x00\x00\xff\r\n", 5);
	roundtrip("AT", NULL, "\r\nOK\r\n", &r);
	assert_int_equal(r.result, AT_RES_OK);
	assert_int_equal(at_channel_noise_bytes(F->ch), 12);
}

static void test_long_garbage_line(void **state)
{
	char junk[10000];
	struct res r;

	(void)state;
	memset(junk, 'x', sizeof(junk));
	modem_write_n(junk, sizeof(junk));
	modem_write("\r\n");
	assert_true(RUN_UNTIL(at_channel_noise_bytes(F->ch) >= sizeof(junk), 3000));

	/* Inside a response too: the overlong line goes, the rest of it stays. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(at_channel_cmd(F->ch, "AT+CGMR", NULL, 0, record_cb, &r), 0);
	modem_expect("AT+CGMR\r");
	modem_write("\r\nREV1\r\n");
	modem_write_n(junk, sizeof(junk));
	modem_write("\r\n\r\nOK\r\n");
	assert_true(RUN_UNTIL(r.called, 3000));
	assert_int_equal(r.result, AT_RES_OK);
	assert_int_equal(r.n_lines, 1);
	assert_string_equal(r.lines[0], "REV1");
	assert_true(at_channel_noise_bytes(F->ch) >= 2 * sizeof(junk));
}

/* Final results */

static void test_final_results(void **state)
{
	static const struct {
		const char *answer;
		enum at_result result;
		int code;
		const char *final;
	} cases[] = {
	    {"\r\nERROR\r\n", AT_RES_ERROR, 0, "ERROR"},
	    {"\r\n+CMS ERROR: 500\r\n", AT_RES_CMS_ERROR, 500, "+CMS ERROR: 500"},
	    {"\r\n+CME ERROR: 10\r\n", AT_RES_CME_ERROR, 10, "+CME ERROR: 10"},
	    {"\r\n+CME ERROR: SIM not inserted\r\n", AT_RES_CME_ERROR, -1,
	     "+CME ERROR: SIM not inserted"},
	    {"\r\n+CMS ERROR: unknown error\r\n", AT_RES_CMS_ERROR, -1,
	     "+CMS ERROR: unknown error"},
	    {"\r\nNO CARRIER\r\n", AT_RES_NO_CARRIER, 0, "NO CARRIER"},
	    {"\r\nBUSY\r\n", AT_RES_BUSY, 0, "BUSY"},
	    {"\r\nNO ANSWER\r\n", AT_RES_NO_ANSWER, 0, "NO ANSWER"},
	    {"\r\nNO DIALTONE\r\n", AT_RES_NO_DIALTONE, 0, "NO DIALTONE"},
	    {"\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n", AT_RES_OK, 0, "OK"},
	};
	struct res r;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		/* A call's results end a call command only (test_call_results_as_urcs). */
		roundtrip(cases[i].result >= AT_RES_NO_CARRIER &&
				  cases[i].result <= AT_RES_NO_DIALTONE
			      ? "ATD+15550100;"
			      : "AT+X",
			  NULL, cases[i].answer, &r);
		assert_int_equal(r.result, cases[i].result);
		assert_int_equal(r.code, cases[i].code);
		assert_string_equal(r.final, cases[i].final);
	}
	assert_string_equal(at_result_name(AT_RES_CMS_ERROR), "+CMS ERROR");
	assert_string_equal(at_result_name(AT_RES_TIMEOUT), "timeout");
}

static void test_timeout_then_next(void **state)
{
	struct res a = {0}, b = {0};
	long long t0 = now_ms();

	(void)state;
	assert_int_equal(at_channel_cmd(F->ch, "AT+HANG", NULL, 300, record_cb, &a), 0);
	assert_int_equal(at_channel_cmd(F->ch, "AT", NULL, 0, record_cb, &b), 0);
	assert_int_equal(at_channel_queue_len(F->ch), 1);
	modem_expect("AT+HANG\r");
	assert_true(RUN_UNTIL(a.called, 3000));
	assert_int_equal(a.result, AT_RES_TIMEOUT);
	assert_string_equal(a.final, "");
	assert_true(now_ms() - t0 >= 300);
	/* The next one went out on the timeout and works. */
	modem_expect("AT\r");
	modem_write("\r\nOK\r\n");
	assert_true(RUN_UNTIL(b.called, 3000));
	assert_int_equal(b.result, AT_RES_OK);
}

static void test_next_written_on_final(void **state)
{
	struct res a = {0}, b = {0};
	unsigned ok_at = 0, next_at = 0;

	(void)state;
	assert_int_equal(at_channel_cmd(F->ch, "AT+A", NULL, 0, record_cb, &a), 0);
	assert_int_equal(at_channel_cmd(F->ch, "AT+B", NULL, 0, record_cb, &b), 0);
	modem_expect("AT+A\r");
	run_for(30);
	assert_false(rx_has("AT+B")); /* one command in flight */
	assert_true(at_channel_busy(F->ch));
	modem_write("\r\nOK\r\n");
	modem_expect("AT+B\r");
	assert_int_equal(a.called, 1);
	/* "OK" in, A's callback, "AT+B" out: one after the other in the same turn. */
	for (unsigned i = 0; i + 1 < F->n_tr; i++) {
		if (F->tr[i].dir == '<' && !strcmp(F->tr[i].line, "OK")) {
			assert_int_equal(F->tr[i + 1].dir, '>');
			assert_string_equal(F->tr[i + 1].line, "AT+B");
			ok_at = F->tr[i].iter;
			next_at = F->tr[i + 1].iter;
		}
	}
	assert_int_not_equal(ok_at, 0);
	assert_int_equal(ok_at, next_at);
	assert_int_equal(a.iter, ok_at);
	modem_write("\r\nOK\r\n");
	assert_true(RUN_UNTIL(b.called, 3000));
}

/* URCs */

static void test_cmt_inside_response(void **state)
{
	struct urc_rec cmt = {0};
	struct res r = {0};

	(void)state;
	assert_int_equal(at_channel_urc(F->ch, "+CMT:", true, urc_cb, &cmt), 0);
	assert_int_equal(at_channel_cmd(F->ch, "AT+CPMS?", NULL, 0, record_cb, &r), 0);
	modem_expect("AT+CPMS?\r");
	modem_write("\r\n+CPMS: \"SM\",1,30,\"SM\",1,30,\"SM\",1,30\r\n\r\n+CMT: ,23\r\n");
	run_for(20);
	assert_int_equal(cmt.n, 0); /* its PDU line is still to come */
	modem_write(PDU "\r\n");
	run_for(20);
	modem_write("\r\nOK\r\n");
	assert_true(RUN_UNTIL(r.called, 3000));
	assert_int_equal(cmt.n, 1);
	assert_string_equal(cmt.line[0], "+CMT: ,23");
	assert_true(cmt.had_pdu[0]);
	assert_string_equal(cmt.pdu[0], PDU);
	assert_int_equal(r.result, AT_RES_OK);
	assert_int_equal(r.n_lines, 1);
	assert_string_equal(r.lines[0], "+CPMS: \"SM\",1,30,\"SM\",1,30,\"SM\",1,30");
}

/* A +CMT whose PDU line never came: the handler learns it (empty PDU) and the final
 * result that followed still completes the command. */
static void test_cmt_without_pdu(void **state)
{
	struct urc_rec cmt = {0};
	struct res r = {0};

	(void)state;
	assert_int_equal(at_channel_urc(F->ch, "+CMT:", true, urc_cb, &cmt), 0);
	assert_int_equal(at_channel_cmd(F->ch, "AT+CSQ", NULL, 0, record_cb, &r), 0);
	modem_expect("AT+CSQ\r");
	modem_write("\r\n+CSQ: 21,99\r\n\r\n+CMT: ,23\r\n\r\nOK\r\n");
	assert_true(RUN_UNTIL(r.called, 3000));
	assert_int_equal(r.result, AT_RES_OK);
	assert_int_equal(cmt.n, 1);
	assert_true(cmt.had_pdu[0]);
	assert_string_equal(cmt.pdu[0], "");
}

/* NO CARRIER (the other side hung up), BUSY, NO ANSWER and NO DIALTONE end ATD and ATA;
 * arriving during any other command they are news of a call, handed to their URC handler
 * (or dropped), and the command completes with its own answer. */
static void test_call_results_as_urcs(void **state)
{
	struct urc_rec nc = {0};
	struct res r = {0};

	(void)state;
	assert_int_equal(at_channel_urc(F->ch, "NO CARRIER", false, urc_cb, &nc), 0);
	assert_int_equal(at_channel_cmd(F->ch, "AT+CSQ", "+CSQ:", 0, record_cb, &r), 0);
	modem_expect("AT+CSQ\r");
	modem_write("\r\nNO CARRIER\r\n\r\nBUSY\r\n\r\n+CSQ: 21,99\r\n\r\nOK\r\n");
	assert_true(RUN_UNTIL(r.called, 3000));
	assert_int_equal(r.result, AT_RES_OK);
	assert_int_equal(r.n_lines, 1);
	assert_string_equal(r.lines[0], "+CSQ: 21,99");
	assert_int_equal(nc.n, 1);
	assert_string_equal(nc.line[0], "NO CARRIER");
	/* Lower case and a line end of \r\r\n: a dial still ends with its result. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(at_channel_cmd(F->ch, "atd+15550100;", NULL, 0, record_cb, &r), 0);
	modem_expect("atd+15550100;\r");
	modem_write("\r\r\nBUSY\r\r\n");
	assert_true(RUN_UNTIL(r.called, 3000));
	assert_int_equal(r.result, AT_RES_BUSY);
	assert_int_equal(nc.n, 1);
	/* ATA too. */
	roundtrip("ATA", NULL, "\r\nNO CARRIER\r\n", &r);
	assert_int_equal(r.result, AT_RES_NO_CARRIER);
	assert_int_equal(nc.n, 1);
}

static void test_urcs_while_idle(void **state)
{
	struct urc_rec cmti = {0}, ring = {0}, cmt = {0};
	struct res r;

	(void)state;
	assert_int_equal(at_channel_urc(F->ch, "+CMTI:", false, urc_cb, &cmti), 0);
	assert_int_equal(at_channel_urc(F->ch, "RING", false, urc_cb, &ring), 0);
	assert_int_equal(at_channel_urc(F->ch, "+CMT:", true, urc_cb, &cmt), 0);
	modem_write("\r\n+CMTI: \"SM\",3\r\n\r\nRING\r\n\r\n+FOO: unknown\r\n\r\nOK\r\n"
		    "\r\n+CMT: ,23\r\n" PDU "\r\n");
	assert_true(RUN_UNTIL(cmt.n == 1, 3000));
	assert_int_equal(cmti.n, 1);
	assert_string_equal(cmti.line[0], "+CMTI: \"SM\",3");
	assert_false(cmti.had_pdu[0]);
	assert_int_equal(ring.n, 1);
	assert_string_equal(cmt.pdu[0], PDU);
	/* A stray OK and an unknown line while idle did nothing; the next command works. */
	roundtrip("AT", NULL, "\r\nOK\r\n", &r);
	assert_int_equal(r.result, AT_RES_OK);
	assert_int_equal(r.n_lines, 0);
}

static void test_urc_prefix_equal_to_expect(void **state)
{
	struct urc_rec creg = {0};
	struct res r;

	(void)state;
	assert_int_equal(at_channel_urc(F->ch, "+CREG:", false, urc_cb, &creg), 0);
	roundtrip("AT+CREG?", "+CREG:", "\r\n+CREG: 0,1\r\n\r\nOK\r\n", &r);
	assert_int_equal(r.n_lines, 1);
	assert_string_equal(r.lines[0], "+CREG: 0,1");
	assert_int_equal(creg.n, 0);
	/* The same prefix while another command runs is the URC. */
	roundtrip("AT+CSQ", NULL, "\r\n+CREG: 1\r\n\r\n+CSQ: 21,99\r\n\r\nOK\r\n", &r);
	assert_int_equal(creg.n, 1);
	assert_string_equal(creg.line[0], "+CREG: 1");
	assert_int_equal(r.n_lines, 1);
	assert_string_equal(r.lines[0], "+CSQ: 21,99");
}

static void test_cmgl_listing(void **state)
{
	struct urc_rec cmt = {0}, cmti = {0};
	struct res r;

	(void)state;
	assert_int_equal(at_channel_urc(F->ch, "+CMT:", true, urc_cb, &cmt), 0);
	assert_int_equal(at_channel_urc(F->ch, "+CMTI:", false, urc_cb, &cmti), 0);
	roundtrip("AT+CMGL=4", "+CMGL:",
		  "\r\n+CMGL: 1,0,,23\r\n" PDU "\r\n+CMGL: 2,1,,23\r\n" PDU "\r\n"
		  "\r\n+CMTI: \"SM\",3\r\n\r\nOK\r\n",
		  &r);
	assert_int_equal(r.result, AT_RES_OK);
	assert_int_equal(r.n_lines, 4);
	assert_string_equal(r.lines[0], "+CMGL: 1,0,,23");
	assert_string_equal(r.lines[1], PDU);
	assert_string_equal(r.lines[2], "+CMGL: 2,1,,23");
	assert_string_equal(r.lines[3], PDU);
	assert_int_equal(cmt.n, 0);
	assert_int_equal(cmti.n, 1);

	roundtrip("AT+CMGR=1", "+CMGR:", "\r\n+CMGR: 0,,23\r\n" PDU "\r\n\r\nOK\r\n", &r);
	assert_int_equal(r.n_lines, 2);
	assert_string_equal(r.lines[0], "+CMGR: 0,,23");
	assert_string_equal(r.lines[1], PDU);
}

/* The "> " prompt */

static void submit(const char *after_cmd, const char *after_pdu, struct res *r)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(at_channel_cmd_pdu(F->ch, "AT+CMGS=19", PDU, 0, record_cb, r), 0);
	modem_expect("AT+CMGS=19\r");
	modem_write(after_cmd);
	modem_expect(PDU "\x1a");
	modem_write(after_pdu);
	assert_true(RUN_UNTIL(r->called, 3000));
}

static void test_prompt_echo_off(void **state)
{
	struct res r;

	(void)state;
	submit("\r\n> ", "\r\n+CMGS: 3\r\n\r\nOK\r\n", &r);
	assert_int_equal(r.result, AT_RES_OK);
	assert_int_equal(r.n_lines, 1);
	assert_string_equal(r.lines[0], "+CMGS: 3");
	/* The prompt in two pieces. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(at_channel_cmd_pdu(F->ch, "AT+CMGS=19", PDU, 0, record_cb, &r), 0);
	modem_expect("AT+CMGS=19\r");
	modem_write("\r\n>");
	run_for(20);
	assert_false(rx_has(PDU));
	modem_write(" ");
	modem_expect(PDU "\x1a");
	modem_write("\r\n+CMGS: 4\r\n\r\nOK\r\n");
	assert_true(RUN_UNTIL(r.called, 3000));
	assert_string_equal(r.lines[0], "+CMGS: 4");
}

static void test_prompt_echo_on(void **state)
{
	struct res r;

	(void)state;
	/* PDU echo ended by the modem's own "\r\n". */
	submit("AT+CMGS=19\r\r\n> ", PDU "\r\n+CMGS: 5\r\n\r\nOK\r\n", &r);
	assert_int_equal(r.result, AT_RES_OK);
	assert_int_equal(r.n_lines, 1);
	assert_string_equal(r.lines[0], "+CMGS: 5");
	/* Ctrl-Z echoed as well. */
	submit("AT+CMGS=19\r\r\n> ", PDU "\x1a\r\n+CMGS: 6\r\n\r\nOK\r\n", &r);
	assert_int_equal(r.n_lines, 1);
	assert_string_equal(r.lines[0], "+CMGS: 6");
	/* No line end at all between the echo and the result. */
	submit("AT+CMGS=19\r\r\n> ", PDU "+CMGS: 7\r\n\r\nOK\r\n", &r);
	assert_int_equal(r.n_lines, 1);
	assert_string_equal(r.lines[0], "+CMGS: 7");
	/* And a URC between the echo and the result. */
	struct urc_rec cmti = {0};
	assert_int_equal(at_channel_urc(F->ch, "+CMTI:", false, urc_cb, &cmti), 0);
	submit("AT+CMGS=19\r\r\n> ", PDU "\r\n+CMTI: \"SM\",4\r\n\r\n+CMGS: 8\r\n\r\nOK\r\n", &r);
	assert_int_equal(r.n_lines, 1);
	assert_string_equal(r.lines[0], "+CMGS: 8");
	assert_int_equal(cmti.n, 1);
}

static void test_prompt_error(void **state)
{
	struct res r = {0};

	(void)state;
	assert_int_equal(at_channel_cmd_pdu(F->ch, "AT+CMGS=19", PDU, 0, record_cb, &r), 0);
	modem_expect("AT+CMGS=19\r");
	modem_write("\r\n+CMS ERROR: 331\r\n");
	assert_true(RUN_UNTIL(r.called, 3000));
	assert_int_equal(r.result, AT_RES_CMS_ERROR);
	assert_int_equal(r.code, 331);
	run_for(20);
	assert_false(rx_has(PDU));
	assert_false(at_channel_busy(F->ch));
}

static void test_prompt_never_comes(void **state)
{
	struct res r = {0}, next;

	(void)state;
	assert_int_equal(osmo_tdef_set(at_channel_tdefs, AT_T_PROMPT, 200, OSMO_TDEF_MS), 0);
	assert_int_equal(at_channel_cmd_pdu(F->ch, "AT+CMGS=19", PDU, 0, record_cb, &r), 0);
	modem_expect("AT+CMGS=19\r");
	assert_true(RUN_UNTIL(r.called, 3000));
	assert_int_equal(r.result, AT_RES_TIMEOUT);
	modem_expect("\x1b");
	assert_false(rx_has(PDU));
	osmo_tdefs_reset(at_channel_tdefs);
	assert_int_equal(osmo_tdef_get(at_channel_tdefs, AT_T_PROMPT, OSMO_TDEF_MS, -1), 5000);
	roundtrip("AT", NULL, "\r\nOK\r\n", &next);
	assert_int_equal(next.result, AT_RES_OK);
}

static void test_submit_timeout(void **state)
{
	struct res r = {0};

	(void)state;
	assert_int_equal(at_channel_cmd_pdu(F->ch, "AT+CMGS=19", PDU, 250, record_cb, &r), 0);
	modem_expect("AT+CMGS=19\r");
	modem_write("\r\n> ");
	modem_expect(PDU "\x1a");
	assert_true(RUN_UNTIL(r.called, 3000));
	assert_int_equal(r.result, AT_RES_TIMEOUT);
}

/* The port vanishing */

static struct res vres[4];
static int requeue_rc = 1;

static void requeue_cb(struct at_channel *ch, const struct at_response *r, void *data)
{
	record_cb(ch, r, data);
	requeue_rc = at_channel_cmd(ch, "AT", NULL, 0, NULL, NULL);
}

static void test_vanish(void **state)
{
	(void)state;
	memset(vres, 0, sizeof(vres));
	requeue_rc = 1;
	assert_int_equal(at_channel_cmd(F->ch, "AT+A", NULL, 0, record_cb, &vres[0]), 0);
	assert_int_equal(at_channel_cmd(F->ch, "AT+B", NULL, 0, requeue_cb, &vres[1]), 0);
	assert_int_equal(at_channel_cmd_pdu(F->ch, "AT+CMGS=19", PDU, 0, record_cb, &vres[2]), 0);
	modem_expect("AT+A\r");
	modem_write("\r\n+PARTIAL");
	run_for(20);
	close(F->master);
	F->master = -1;
	assert_true(RUN_UNTIL(F->closed_calls == 1, 3000));
	for (int i = 0; i < 3; i++) {
		assert_int_equal(vres[i].called, 1);
		assert_int_equal(vres[i].result, AT_RES_CLOSED);
		assert_string_equal(vres[i].final, "");
	}
	assert_int_equal(requeue_rc, -ENOTCONN);
	assert_int_equal(at_channel_cmd(F->ch, "AT", NULL, 0, NULL, NULL), -ENOTCONN);
	assert_false(at_channel_busy(F->ch));
	assert_int_equal(at_channel_queue_len(F->ch), 0);
	run_for(50);
	assert_int_equal(F->closed_calls, 1);
}

static void test_vanish_close_in_on_closed(void **state)
{
	struct res r = {0};

	(void)state;
	F->close_in_on_closed = true;
	assert_int_equal(at_channel_cmd(F->ch, "AT", NULL, 0, record_cb, &r), 0);
	modem_expect("AT\r");
	close(F->master);
	F->master = -1;
	assert_true(RUN_UNTIL(F->closed_calls == 1, 3000));
	assert_null(F->ch);
	assert_int_equal(r.result, AT_RES_CLOSED);
	run_for(20);
	assert_int_equal(F->closed_calls, 1);
}

/* Callbacks that re-enter */

static struct res chain[3];

static void queue_next_cb(struct at_channel *ch, const struct at_response *r, void *data)
{
	record_cb(ch, r, data);
	assert_int_equal(at_channel_cmd(ch, "AT+C", NULL, 0, record_cb, &chain[2]), 0);
}

static void test_callback_queues(void **state)
{
	char *b, *c;

	(void)state;
	memset(chain, 0, sizeof(chain));
	assert_int_equal(at_channel_cmd(F->ch, "AT+A", NULL, 0, queue_next_cb, &chain[0]), 0);
	assert_int_equal(at_channel_cmd(F->ch, "AT+B", NULL, 0, record_cb, &chain[1]), 0);
	modem_expect("AT+A\r");
	modem_write("\r\nOK\r\n");
	modem_expect("AT+B\r");
	modem_write("\r\nOK\r\n");
	assert_true(RUN_UNTIL(rx_has("AT+C\r"), 3000));
	b = strstr(F->rx, "AT+B");
	c = strstr(F->rx, "AT+C");
	assert_true(b == NULL || b < c);
	modem_write("\r\nOK\r\n");
	assert_true(RUN_UNTIL(chain[2].called, 3000));
	assert_int_equal(chain[1].result, AT_RES_OK);
	assert_int_equal(chain[2].result, AT_RES_OK);
}

static void close_cb(struct at_channel *ch, const struct at_response *r, void *data)
{
	record_cb(ch, r, data);
	at_channel_close(ch);
	F->ch = NULL;
}

static void test_callback_closes(void **state)
{
	struct urc_rec cmti = {0};
	struct res a = {0}, b = {0};

	(void)state;
	assert_int_equal(at_channel_urc(F->ch, "+CMTI:", false, urc_cb, &cmti), 0);
	assert_int_equal(at_channel_cmd(F->ch, "AT+A", NULL, 0, close_cb, &a), 0);
	assert_int_equal(at_channel_cmd(F->ch, "AT+B", NULL, 0, record_cb, &b), 0);
	modem_expect("AT+A\r");
	/* Bytes after the OK in the same read are not looked at after the close. */
	modem_write("\r\nOK\r\n\r\n+CMTI: \"SM\",1\r\n");
	assert_true(RUN_UNTIL(a.called, 3000));
	assert_null(F->ch);
	assert_int_equal(a.result, AT_RES_OK);
	assert_int_equal(b.called, 1);
	assert_int_equal(b.result, AT_RES_CLOSED);
	run_for(30);
	assert_int_equal(cmti.n, 0);
	assert_int_equal(F->closed_calls, 0); /* closing is not vanishing */
	assert_false(rx_has("AT+B"));
}

static void urc_close_cb(struct at_channel *ch, const char *line, const char *pdu, void *data)
{
	urc_cb(ch, line, pdu, data);
	at_channel_close(ch);
	F->ch = NULL;
}

static void test_urc_callback_closes(void **state)
{
	struct urc_rec cmt = {0}, ring = {0};
	struct res r = {0};

	(void)state;
	assert_int_equal(at_channel_urc(F->ch, "+CMT:", true, urc_close_cb, &cmt), 0);
	assert_int_equal(at_channel_urc(F->ch, "RING", false, urc_cb, &ring), 0);
	assert_int_equal(at_channel_cmd(F->ch, "AT+CSQ", NULL, 0, record_cb, &r), 0);
	modem_expect("AT+CSQ\r");
	modem_write("\r\n+CMT: ,23\r\n" PDU "\r\n\r\nRING\r\n\r\nOK\r\n");
	assert_true(RUN_UNTIL(cmt.n == 1, 3000));
	assert_null(F->ch);
	assert_int_equal(r.called, 1);
	assert_int_equal(r.result, AT_RES_CLOSED);
	run_for(30);
	assert_int_equal(ring.n, 0);
}

static void test_flush_and_arguments(void **state)
{
	struct res a = {0}, b = {0}, c = {0};

	(void)state;
	assert_int_equal(at_channel_cmd(F->ch, "AT+A", NULL, 0, record_cb, &a), 0);
	assert_int_equal(at_channel_cmd(F->ch, "AT+B", NULL, 0, record_cb, &b), 0);
	assert_int_equal(at_channel_cmd(F->ch, "AT+C", NULL, 0, record_cb, &c), 0);
	assert_int_equal(at_channel_queue_len(F->ch), 2);
	at_channel_flush(F->ch);
	assert_int_equal(at_channel_queue_len(F->ch), 0);
	assert_int_equal(b.result, AT_RES_CLOSED);
	assert_int_equal(c.result, AT_RES_CLOSED);
	assert_int_equal(a.called, 0);
	modem_expect("AT+A\r");
	modem_write("\r\nOK\r\n");
	assert_true(RUN_UNTIL(a.called, 3000));
	assert_int_equal(a.result, AT_RES_OK);

	assert_int_equal(at_channel_cmd(F->ch, "AT\r", NULL, 0, NULL, NULL), -EINVAL);
	assert_int_equal(at_channel_cmd(F->ch, "", NULL, 0, NULL, NULL), -EINVAL);
	assert_int_equal(at_channel_cmd_pdu(F->ch, "AT+CMGS=1", "00\x1a", 0, NULL, NULL), -EINVAL);
	assert_string_equal(at_channel_name(F->ch), "pty");
}

/* A command longer than the PTY takes at once: the rest goes out when it is writable. */
static void test_write_would_block(void **state)
{
	const size_t len = 200000;
	char *cmd = malloc(len + 1);
	size_t got = 0;
	bool ended = false;
	struct res r = {0};

	(void)state;
	memcpy(cmd, "AT+", 3);
	memset(cmd + 3, 'A', len - 3);
	cmd[len] = '\0';
	assert_int_equal(at_channel_cmd(F->ch, cmd, NULL, 0, record_cb, &r), 0);
	/* Without the loop running, only what fit went out. */
	drain_master();
	assert_true(F->rx_len < len);
	long long deadline = now_ms() + 5000;
	while (!ended && now_ms() < deadline) {
		got += F->rx_len;
		ended = F->rx_len && F->rx[F->rx_len - 1] == '\r';
		F->rx_len = 0;
		F->rx[0] = '\0';
		if (!ended)
			step();
	}
	assert_true(ended);
	assert_int_equal(got, len + 1);
	modem_write("\r\nOK\r\n");
	assert_true(RUN_UNTIL(r.called, 3000));
	assert_int_equal(r.result, AT_RES_OK);
	free(cmd);
}

static void test_open_missing_device(void **state)
{
	(void)state;
	errno = 0;
	assert_null(at_channel_open(F->ctx, "/nonexistent/ttyUSB9", &ops, F));
	assert_int_equal(errno, ENOENT);
	/* And a real one, through osmo_serial_init(), alone on the slave. */
	at_channel_close(F->ch);
	F->ch = NULL;
	struct at_channel *ch = at_channel_open(F->ctx, ptsname(F->master), &ops, F);
	struct res r = {0};
	assert_non_null(ch);
	assert_int_equal(at_channel_cmd(ch, "ATI", NULL, 0, record_cb, &r), 0);
	modem_expect("ATI\r");
	modem_write("\r\nOK\r\n");
	assert_true(RUN_UNTIL(r.called, 3000));
	at_channel_close(ch);
}

int main(void)
{
	void *log_ctx = talloc_named_const(NULL, 0, "log");
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	    T(test_echo_off),
	    T(test_echo_on),
	    T(test_line_endings),
	    T(test_single_byte_writes),
	    T(test_noise),
	    T(test_long_garbage_line),
	    T(test_final_results),
	    T(test_timeout_then_next),
	    T(test_next_written_on_final),
	    T(test_cmt_inside_response),
	    T(test_cmt_without_pdu),
	    T(test_call_results_as_urcs),
	    T(test_urcs_while_idle),
	    T(test_urc_prefix_equal_to_expect),
	    T(test_cmgl_listing),
	    T(test_prompt_echo_off),
	    T(test_prompt_echo_on),
	    T(test_prompt_error),
	    T(test_prompt_never_comes),
	    T(test_submit_timeout),
	    T(test_vanish),
	    T(test_vanish_close_in_on_closed),
	    T(test_callback_queues),
	    T(test_callback_closes),
	    T(test_urc_callback_closes),
	    T(test_flush_and_arguments),
	    T(test_write_would_block),
	    T(test_open_missing_device),
#undef T
	};
	int rc;

	osmo_init_logging2(log_ctx, &chaperone_modem_log_info);
	rc = cmocka_run_group_tests_name("at_channel", tests, NULL, NULL);
	log_fini();
	talloc_free(log_ctx);
	return rc;
}
