/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* modemsim end to end: a real modemsim process, driven over its PTYs as a daemon would
 * and over its control socket as tests and installers do. Checks the exact framing real
 * modems use, both delivery modes, storage that fills, status reports, the +CNMA rules
 * and every fault the driver's tests will rely on. */
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/e2e/harness.h"
#include "modem/sms/sms_split.h"
#include "modem/sms/sms_tpdu.h"

#define PHONE "+15557770001"
#define RELAY "+15550100"

static const char *json_str(struct json_object *o, const char *key)
{
	struct json_object *v;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static int json_int(struct json_object *o, const char *key)
{
	struct json_object *v;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_int(v) : -1;
}

static struct json_object *json_at(struct json_object *o, const char *key, size_t i)
{
	struct json_object *arr;
	if (!json_object_object_get_ex(o, key, &arr) || i >= json_object_array_length(arr))
		return NULL;
	return json_object_array_get_idx(arr, i);
}

/* A fast modemsim with one modem, and the port opened with echo off. */
struct fixture {
	struct sim *sim;
	struct port *port;
};

static struct fixture *fixture_start(const char *arg, ...)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *args[16];
	int n = 0;
	va_list ap;

	args[n++] = "--submit-ms";
	args[n++] = "0";
	args[n++] = "--deliver-ms";
	args[n++] = "0";
	va_start(ap, arg);
	for (const char *a = arg; a && n < 14; a = va_arg(ap, const char *))
		args[n++] = a;
	va_end(ap);
	while (n < 16)
		args[n++] = NULL;
	f->sim =
	    sim_start(args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7],
		      args[8], args[9], args[10], args[11], args[12], args[13], (const char *)NULL);
	assert_non_null(f->sim);
	f->port = port_open(sim_modem_path(f->sim, 0));
	assert_non_null(f->port);
	return f;
}

static void fixture_stop(struct fixture *f)
{
	port_close(f->port);
	sim_stop(f->sim);
	free(f);
}

static void expect_cmd(struct port *p, const char *cmd, const char *expected)
{
	char *r = port_cmd(p, cmd, 5000);
	assert_non_null(r);
	if (strcmp(r, expected) != 0)
		fail_msg("%s: got [%s], want [%s]", cmd, r, expected);
	free(r);
}

static void echo_off(struct port *p)
{
	expect_cmd(p, "ATE0", "ATE0\r\r\nOK\r\n");
}

/* Submit UTF-8 text to `to` through +CMGS, each part; returns the last +CMGS response. */
static char *submit_text(struct port *p, const char *to, const char *text, bool srr)
{
	struct sms_user_data parts[8];
	int n = sms_split_utf8(parts, 8, text, strlen(text), 0x42);
	char *r = NULL;

	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		struct sms_submit sub = {.status_report_request = srr, .vpf = SMS_VPF_NONE};
		uint8_t pdu[SMS_PDU_MAX];
		char hex[2 * SMS_PDU_MAX + 8], cmd[64];

		assert_int_equal(sms_address_from_text(&sub.destination, to), 0);
		sub.ud = parts[i];
		int len = sms_submit_encode(pdu, sizeof(pdu), &sub, true);
		assert_true(len > 0);
		assert_true(sms_hex_encode(hex, sizeof(hex), pdu, (size_t)len) > 0);
		snprintf(cmd, sizeof(cmd), "AT+CMGS=%d", sms_tpdu_len(pdu, (size_t)len));
		char *prompt = port_cmd(p, cmd, 5000);
		assert_non_null(prompt);
		assert_non_null(strstr(prompt, "\r\n> "));
		free(prompt);
		strcat(hex, "\x1a");
		port_write(p, hex);
		free(r);
		r = port_read_final(p, 5000);
		assert_non_null(r);
	}
	return r;
}

/* Read a URC that carries a PDU ("+CMT: ,<len>" or "+CDS: <len>", then the PDU line),
 * check the announced length against the TPDU, and return the PDU's bytes. */
static int read_urc_pdu(struct port *p, const char *urc, uint8_t *pdu, size_t cap)
{
	char needle[32], hex[2 * SMS_PDU_MAX + 8];

	snprintf(needle, sizeof(needle), "\r\n%s", urc);
	char *head = port_read_until(p, needle, 5000);
	assert_non_null(head);
	free(head);
	char *lenline = port_read_until(p, "\r\n", 2000);
	char *pduline = port_read_until(p, "\r\n", 2000);
	assert_non_null(lenline);
	assert_non_null(pduline);
	snprintf(hex, sizeof(hex), "%.*s", (int)strlen(pduline) - 2, pduline);
	int len = sms_hex_decode(pdu, cap, hex, strlen(hex));
	assert_true(len > 0);
	/* The announced length is the TPDU's, without the SMSC prefix. */
	assert_int_equal(atoi(lenline), sms_tpdu_len(pdu, (size_t)len));
	free(lenline);
	free(pduline);
	return len;
}

static void test_framing_echo(void **state)
{
	(void)state;
	struct fixture *f = fixture_start(NULL);

	/* Power-on default: echo on; the modem sends the command line back first. */
	expect_cmd(f->port, "AT", "AT\r\r\nOK\r\n");
	expect_cmd(f->port, "ATE0", "ATE0\r\r\nOK\r\n");
	expect_cmd(f->port, "AT", "\r\nOK\r\n");
	expect_cmd(f->port, "at+csq", "\r\n+CSQ: 21,99\r\n\r\nOK\r\n");
	expect_cmd(f->port, "AT+NOSUCHTHING", "\r\nERROR\r\n");
	expect_cmd(f->port, "AT+CPIN?", "\r\n+CPIN: READY\r\n\r\nOK\r\n");
	expect_cmd(f->port, "AT+CREG?", "\r\n+CREG: 0,1\r\n\r\nOK\r\n");
	expect_cmd(f->port, "AT+CMGF=0", "\r\nOK\r\n");
	expect_cmd(f->port, "AT+CSMS=1", "\r\n+CSMS: 1,1,1\r\n\r\nOK\r\n");

	char *r = port_cmd(f->port, "AT+CGSN", 2000);
	assert_non_null(r);
	assert_int_equal(strspn(r + 2, "0123456789"), 15);
	free(r);
	fixture_stop(f);
}

static void test_identity_models(void **state)
{
	(void)state;
	struct fixture *f = fixture_start("--model", "EC25", NULL);

	echo_off(f->port);
	char *r = port_cmd(f->port, "AT+CGMM", 2000);
	assert_non_null(r);
	assert_non_null(strstr(r, "EC25"));
	free(r);
	r = port_cmd(f->port, "AT+CGMI", 2000);
	assert_non_null(strstr(r, "Quectel"));
	free(r);
	fixture_stop(f);
}

static void test_submit_reaches_phone(void **state)
{
	(void)state;
	struct fixture *f = fixture_start(NULL);
	const char *text = "Practice moved to 4pm — bring water €2";

	echo_off(f->port);
	char *r = submit_text(f->port, PHONE, text, false);
	assert_non_null(r);
	assert_non_null(strstr(r, "\r\n+CMGS: "));
	assert_non_null(strstr(r, "\r\nOK\r\n"));
	free(r);

	struct json_object *inbox = sim_wait_inbox(f->sim, PHONE, 1, 5000);
	struct json_object *m = json_at(inbox, "messages", 0);
	assert_non_null(m);
	assert_string_equal(json_str(m, "text"), text);
	assert_string_equal(json_str(m, "from"), RELAY);
	json_object_put(inbox);
	fixture_stop(f);
}

static void test_submit_concatenated(void **state)
{
	(void)state;
	struct fixture *f = fixture_start(NULL);
	char text[400];

	memset(text, 0, sizeof(text));
	for (int i = 0; i < 35; i++)
		strcat(text, "Game on! ");
	echo_off(f->port);
	free(submit_text(f->port, PHONE, text, false));
	struct json_object *inbox = sim_wait_inbox(f->sim, PHONE, 1, 5000);
	struct json_object *m = json_at(inbox, "messages", 0);
	assert_non_null(m);
	assert_int_equal(json_int(m, "parts"), 3);
	assert_string_equal(json_str(m, "text"), text);
	json_object_put(inbox);
	fixture_stop(f);
}

static void test_cmgs_escape_and_bad_length(void **state)
{
	(void)state;
	struct fixture *f = fixture_start(NULL);

	echo_off(f->port);
	char *r = port_cmd(f->port, "AT+CMGS=10", 2000);
	assert_string_equal(r, "\r\n> ");
	free(r);
	port_write(f->port, "0011\x1b");
	r = port_read_until(f->port, "\r\nOK\r\n", 3000);
	assert_non_null(r);
	free(r);

	/* Announced length 5, PDU of 23 octets: the modem refuses it. */
	r = port_cmd(f->port, "AT+CMGS=5", 2000);
	free(r);
	port_write(f->port, "0011000B916407281553F80000AA0AE8329BFD4697D9EC37\x1a");
	r = port_read_until(f->port, "\r\n+CMS ERROR: 304\r\n", 3000);
	assert_non_null(r);
	free(r);

	struct json_object *inbox = sim_ctl_ok(f->sim, "{\"cmd\":\"inbox\"}");
	assert_null(json_at(inbox, "messages", 0));
	json_object_put(inbox);
	fixture_stop(f);
}

static void test_direct_delivery_cmt(void **state)
{
	(void)state;
	struct fixture *f = fixture_start(NULL);

	echo_off(f->port);
	expect_cmd(f->port, "AT+CSMS=1", "\r\n+CSMS: 1,1,1\r\n\r\nOK\r\n");
	expect_cmd(f->port, "AT+CNMI=2,2,0,1,0", "\r\nOK\r\n");
	json_object_put(sim_ctl_ok(f->sim,
				   "{\"cmd\":\"send\",\"from\":\"%s\",\"to\":\"modem0\","
				   "\"text\":\"Is practice on? 🏀\"}",
				   PHONE));
	uint8_t pdu[SMS_PDU_MAX];
	int len = read_urc_pdu(f->port, "+CMT: ,", pdu, sizeof(pdu));
	struct sms_deliver d;
	assert_int_equal(sms_deliver_decode(&d, pdu, (size_t)len, true), 0);
	assert_string_equal(d.originator.text, PHONE);
	assert_string_equal(d.ud.text, "Is practice on? 🏀");
	expect_cmd(f->port, "AT+CNMA", "\r\nOK\r\n");
	/* Nothing is waiting for an acknowledgement any more. */
	expect_cmd(f->port, "AT+CNMA", "\r\n+CMS ERROR: 340\r\n");
	fixture_stop(f);
}

static void test_stored_delivery_cmti(void **state)
{
	(void)state;
	struct fixture *f = fixture_start(NULL);
	char hex[400];

	echo_off(f->port);
	expect_cmd(f->port, "AT+CPMS=\"SM\",\"SM\",\"SM\"",
		   "\r\n+CPMS: 0,30,0,30,0,30\r\n\r\nOK\r\n");
	expect_cmd(f->port, "AT+CNMI=2,1,0,0,0", "\r\nOK\r\n");
	json_object_put(sim_ctl_ok(f->sim,
				   "{\"cmd\":\"send\",\"from\":\"%s\",\"to\":\"%s\","
				   "\"text\":\"Hello coach\"}",
				   PHONE, RELAY));
	char *r = port_read_until(f->port, "\r\n+CMTI: \"SM\",", 5000);
	assert_non_null(r);
	free(r);
	r = port_read_until(f->port, "\r\n", 2000);
	int index = atoi(r);
	free(r);
	assert_true(index >= 0);

	char cmd[32];
	snprintf(cmd, sizeof(cmd), "AT+CMGR=%d", index);
	r = port_cmd(f->port, cmd, 2000);
	assert_non_null(strstr(r, "\r\n+CMGR: 0,,"));
	assert_true(find_pdu_after(r, "+CMGR: ", hex, sizeof(hex)));
	free(r);
	uint8_t pdu[SMS_PDU_MAX];
	struct sms_deliver d;
	int len = sms_hex_decode(pdu, sizeof(pdu), hex, strlen(hex));
	assert_int_equal(sms_deliver_decode(&d, pdu, (size_t)len, true), 0);
	assert_string_equal(d.ud.text, "Hello coach");

	/* Read once: now REC READ (1). */
	r = port_cmd(f->port, cmd, 2000);
	assert_non_null(strstr(r, "\r\n+CMGR: 1,,"));
	free(r);
	r = port_cmd(f->port, "AT+CMGL=4", 2000);
	assert_non_null(strstr(r, "+CMGL: "));
	free(r);
	snprintf(cmd, sizeof(cmd), "AT+CMGD=%d", index);
	expect_cmd(f->port, cmd, "\r\nOK\r\n");
	snprintf(cmd, sizeof(cmd), "AT+CMGR=%d", index);
	expect_cmd(f->port, cmd, "\r\n+CMS ERROR: 321\r\n");
	expect_cmd(f->port, "AT+CMGL=4", "\r\nOK\r\n");
	fixture_stop(f);
}

static void test_storage_fills_and_nothing_is_lost(void **state)
{
	(void)state;
	struct fixture *f = fixture_start("--sim-slots", "3", NULL);

	echo_off(f->port);
	expect_cmd(f->port, "AT+CNMI=2,1,0,0,0", "\r\nOK\r\n");
	for (int i = 0; i < 5; i++)
		json_object_put(sim_ctl_ok(f->sim,
					   "{\"cmd\":\"send\",\"from\":\"%s\",\"to\":\"modem0\","
					   "\"text\":\"msg %d\"}",
					   PHONE, i));
	char *seen = port_drain(f->port, 500);
	int cmti = 0;
	for (char *s = seen; (s = strstr(s, "+CMTI:")); s++)
		cmti++;
	free(seen);
	assert_int_equal(cmti, 3);
	expect_cmd(f->port, "AT+CPMS?",
		   "\r\n+CPMS: \"SM\",3,3,\"SM\",3,3,\"SM\",3,3\r\n\r\nOK\r\n");

	/* Freeing slots lets the network deliver what it held back. */
	char *r = port_cmd(f->port, "AT+CMGD=1,4", 2000);
	assert_non_null(strstr(r, "OK"));
	free(r);
	seen = port_drain(f->port, 500);
	cmti = 0;
	for (char *s = seen; (s = strstr(s, "+CMTI:")); s++)
		cmti++;
	free(seen);
	assert_int_equal(cmti, 2);
	fixture_stop(f);
}

static void test_status_report_cds(void **state)
{
	(void)state;
	struct fixture *f = fixture_start(NULL);

	echo_off(f->port);
	/* Phase 2+: every +CDS is acknowledged. */
	expect_cmd(f->port, "AT+CSMS=1", "\r\n+CSMS: 1,1,1\r\n\r\nOK\r\n");
	expect_cmd(f->port, "AT+CNMI=2,2,0,1,0", "\r\nOK\r\n");
	char *r = submit_text(f->port, PHONE, "Bus leaves at 7", true);
	char *mr_s = strstr(r, "+CMGS: ");
	assert_non_null(mr_s);
	int mr = atoi(mr_s + 7);
	free(r);
	uint8_t pdu[SMS_PDU_MAX];
	struct sms_status_report sr;
	int len = read_urc_pdu(f->port, "+CDS: ", pdu, sizeof(pdu));
	assert_int_equal(sms_status_report_decode(&sr, pdu, (size_t)len, true), 0);
	assert_int_equal(sr.mr, mr);
	assert_string_equal(sr.recipient.text, PHONE);
	assert_true(sms_status_is_delivered(sr.status));

	/* An unreachable phone: the report says failed. */
	json_object_put(sim_ctl_ok(f->sim, "{\"cmd\":\"phone\",\"number\":\"+15557770002\","
					   "\"reachable\":false}"));
	expect_cmd(f->port, "AT+CNMA", "\r\nOK\r\n");
	r = submit_text(f->port, "+15557770002", "Bus leaves at 8", true);
	free(r);
	len = read_urc_pdu(f->port, "+CDS: ", pdu, sizeof(pdu));
	assert_int_equal(sms_status_report_decode(&sr, pdu, (size_t)len, true), 0);
	assert_true(sms_status_is_failed(sr.status));
	fixture_stop(f);
}

static void test_late_cnma_resets_cnmi(void **state)
{
	(void)state;
	struct fixture *f = fixture_start("--ack-timeout-ms", "300", NULL);

	echo_off(f->port);
	expect_cmd(f->port, "AT+CSMS=1", "\r\n+CSMS: 1,1,1\r\n\r\nOK\r\n");
	expect_cmd(f->port, "AT+CNMI=2,2,0,1,0", "\r\nOK\r\n");
	json_object_put(sim_ctl_ok(f->sim,
				   "{\"cmd\":\"send\",\"from\":\"%s\",\"to\":\"modem0\","
				   "\"text\":\"unacked\"}",
				   PHONE));
	char *r = port_read_until(f->port, "+CMT: ", 5000);
	assert_non_null(r);
	free(r);
	free(port_drain(f->port, 800));
	/* Too late: the modem gave up on the acknowledgement and switched routing off. */
	expect_cmd(f->port, "AT+CNMA", "\r\n+CMS ERROR: 340\r\n");
	expect_cmd(f->port, "AT+CNMI?", "\r\n+CNMI: 2,0,0,0,0\r\n\r\nOK\r\n");
	/* The network delivered it again, into storage: nothing lost. */
	long long deadline = now_ms() + 5000;
	bool found = false;
	while (!found && now_ms() < deadline) {
		r = port_cmd(f->port, "AT+CMGL=4", 2000);
		found = strstr(r, "+CMGL: ") != NULL;
		free(r);
		if (!found)
			sleep_ms(50);
	}
	assert_true(found);
	fixture_stop(f);
}

static void test_urc_between_command_and_result(void **state)
{
	(void)state;
	struct fixture *f = fixture_start(NULL);

	echo_off(f->port);
	expect_cmd(f->port, "AT+CNMI=2,1,0,0,0", "\r\nOK\r\n");
	json_object_put(sim_ctl_ok(f->sim, "{\"cmd\":\"latency\",\"modem\":\"modem0\","
					   "\"submit_ms\":800}"));
	/* Start a slow submit, then make a phone text in while it runs. */
	struct sms_submit sub = {.vpf = SMS_VPF_NONE};
	uint8_t pdu[SMS_PDU_MAX];
	char hex[400], cmd[32];
	sms_address_from_text(&sub.destination, PHONE);
	sms_ud_from_utf8(&sub.ud, "slow", 4);
	int len = sms_submit_encode(pdu, sizeof(pdu), &sub, true);
	sms_hex_encode(hex, sizeof(hex), pdu, (size_t)len);
	snprintf(cmd, sizeof(cmd), "AT+CMGS=%d", sms_tpdu_len(pdu, (size_t)len));
	free(port_cmd(f->port, cmd, 2000));
	strcat(hex, "\x1a");
	port_write(f->port, hex);
	sleep_ms(200);
	json_object_put(sim_ctl_ok(f->sim,
				   "{\"cmd\":\"send\",\"from\":\"%s\",\"to\":\"modem0\","
				   "\"text\":\"mid\"}",
				   PHONE));
	char *r = port_read_until(f->port, "\r\nOK\r\n", 5000);
	assert_non_null(r);
	char *urc = strstr(r, "+CMTI: ");
	char *res = strstr(r, "+CMGS: ");
	assert_non_null(urc);
	assert_non_null(res);
	assert_true(urc < res);
	free(r);

	/* And forced inside another command's response: the URC lands between the
	 * information line and the final result. */
	json_object_put(sim_ctl_ok(f->sim, "{\"cmd\":\"fault\",\"modem\":\"modem0\","
					   "\"kind\":\"urc_in_response\"}"));
	r = port_cmd(f->port, "AT+CSQ", 2000);
	assert_non_null(r);
	char *info = strstr(r, "+CSQ: ");
	urc = strstr(r, "\r\n+CREG: ");
	assert_non_null(info);
	assert_non_null(urc);
	assert_true(info < urc);
	assert_true(urc < strstr(r, "\r\nOK\r\n"));
	free(r);
	fixture_stop(f);
}

static void test_fault_cms_error_then_success(void **state)
{
	(void)state;
	struct fixture *f = fixture_start(NULL);

	echo_off(f->port);
	json_object_put(sim_ctl_ok(f->sim, "{\"cmd\":\"fault\",\"modem\":\"modem0\","
					   "\"kind\":\"cms_error\",\"code\":42,\"count\":2}"));
	for (int i = 0; i < 2; i++) {
		char *r = submit_text(f->port, PHONE, "retry me", false);
		assert_non_null(strstr(r, "+CMS ERROR: 42"));
		free(r);
	}
	char *r = submit_text(f->port, PHONE, "retry me", false);
	assert_non_null(strstr(r, "+CMGS: "));
	free(r);
	struct json_object *inbox = sim_wait_inbox(f->sim, PHONE, 1, 5000);
	struct json_object *msgs;
	json_object_object_get_ex(inbox, "messages", &msgs);
	assert_int_equal(json_object_array_length(msgs), 1);
	json_object_put(inbox);
	fixture_stop(f);
}

static void test_fault_hang_and_garbage(void **state)
{
	(void)state;
	struct fixture *f = fixture_start(NULL);

	echo_off(f->port);
	json_object_put(sim_ctl_ok(f->sim, "{\"cmd\":\"fault\",\"modem\":\"modem0\","
					   "\"kind\":\"hang\",\"ms\":0}"));
	assert_null(port_cmd(f->port, "AT", 500));
	json_object_put(sim_ctl_ok(f->sim, "{\"cmd\":\"fault\",\"modem\":\"modem0\","
					   "\"kind\":\"clear\"}"));
	free(port_drain(f->port, 100));
	expect_cmd(f->port, "AT", "\r\nOK\r\n");

	json_object_put(sim_ctl_ok(f->sim, "{\"cmd\":\"fault\",\"modem\":\"modem0\","
					   "\"kind\":\"garbage\",\"hex\":\"00FF7E0D0A\"}"));
	char *g = port_drain(f->port, 200);
	assert_memory_equal(g, "\x00\xff\x7e\r\n", 5);
	free(g);

	/* Garbage the other way: the modem survives any bytes and answers again. */
	char junk[300];
	for (int i = 0; i < 299; i++)
		junk[i] = (char)(1 + (i * 37) % 250);
	junk[299] = '\0';
	port_write(f->port, junk);
	port_write(f->port, "\r");
	free(port_drain(f->port, 200));
	expect_cmd(f->port, "AT", "\r\nOK\r\n");
	fixture_stop(f);
}

static void test_fault_deregister(void **state)
{
	(void)state;
	struct fixture *f = fixture_start(NULL);

	echo_off(f->port);
	json_object_put(sim_ctl_ok(f->sim, "{\"cmd\":\"fault\",\"modem\":\"modem0\","
					   "\"kind\":\"deregister\",\"ms\":0}"));
	expect_cmd(f->port, "AT+CREG?", "\r\n+CREG: 0,2\r\n\r\nOK\r\n");
	expect_cmd(f->port, "AT+CSQ", "\r\n+CSQ: 99,99\r\n\r\nOK\r\n");
	char *r = submit_text(f->port, PHONE, "no network", false);
	assert_non_null(strstr(r, "+CMS ERROR: 331"));
	free(r);
	json_object_put(sim_ctl_ok(f->sim, "{\"cmd\":\"fault\",\"modem\":\"modem0\","
					   "\"kind\":\"register\"}"));
	expect_cmd(f->port, "AT+CREG?", "\r\n+CREG: 0,1\r\n\r\nOK\r\n");
	fixture_stop(f);
}

static void test_fault_vanish_and_return(void **state)
{
	(void)state;
	struct fixture *f = fixture_start(NULL);

	echo_off(f->port);
	json_object_put(sim_ctl_ok(f->sim, "{\"cmd\":\"fault\",\"modem\":\"modem0\","
					   "\"kind\":\"vanish\",\"ms\":300}"));
	sleep_ms(100);
	/* The old port is dead. */
	assert_null(port_cmd(f->port, "AT", 300));
	port_close(f->port);
	f->port = NULL;
	long long deadline = now_ms() + 5000;
	while (!f->port && now_ms() < deadline) {
		sleep_ms(50);
		f->port = port_open(sim_modem_path(f->sim, 0));
	}
	assert_non_null(f->port);
	/* A fresh power-on: echo is on again. */
	expect_cmd(f->port, "AT", "AT\r\r\nOK\r\n");
	fixture_stop(f);
}

static void test_sim_full_fault(void **state)
{
	(void)state;
	struct fixture *f = fixture_start("--sim-slots", "4", NULL);

	echo_off(f->port);
	json_object_put(sim_ctl_ok(f->sim, "{\"cmd\":\"fault\",\"modem\":\"modem0\","
					   "\"kind\":\"sim_full\"}"));
	expect_cmd(f->port, "AT+CPMS?",
		   "\r\n+CPMS: \"SM\",4,4,\"SM\",4,4,\"SM\",4,4\r\n\r\nOK\r\n");
	/* The filler is real SMS a client can read. */
	char *r = port_cmd(f->port, "AT+CMGR=1", 2000);
	char hex[400];
	assert_true(find_pdu_after(r, "+CMGR: ", hex, sizeof(hex)));
	free(r);
	uint8_t pdu[SMS_PDU_MAX];
	struct sms_deliver d;
	int len = sms_hex_decode(pdu, sizeof(pdu), hex, strlen(hex));
	assert_int_equal(sms_deliver_decode(&d, pdu, (size_t)len, true), 0);
	fixture_stop(f);
}

static void test_two_modems_route_by_msisdn(void **state)
{
	(void)state;
	struct fixture *f = fixture_start("-n", "2", NULL);
	struct port *p1 = port_open(sim_modem_path(f->sim, 1));
	uint8_t pdu[SMS_PDU_MAX];
	struct sms_deliver d;

	assert_non_null(p1);
	echo_off(f->port);
	expect_cmd(p1, "ATE0", "ATE0\r\r\nOK\r\n");
	/* Each modem has its own identity and relay number. */
	char *imei0 = port_cmd(f->port, "AT+CGSN", 2000);
	char *imei1 = port_cmd(p1, "AT+CGSN", 2000);
	assert_string_not_equal(imei0, imei1);
	free(imei0);
	free(imei1);
	expect_cmd(p1, "AT+CNMI=2,2,0,0,0", "\r\nOK\r\n");

	/* A phone texting the second relay number reaches the second modem only. */
	json_object_put(sim_ctl_ok(f->sim,
				   "{\"cmd\":\"send\",\"from\":\"%s\",\"to\":\"+15550101\","
				   "\"text\":\"for modem1\"}",
				   PHONE));
	int len = read_urc_pdu(p1, "+CMT: ,", pdu, sizeof(pdu));
	assert_int_equal(sms_deliver_decode(&d, pdu, (size_t)len, true), 0);
	assert_string_equal(d.ud.text, "for modem1");
	expect_cmd(f->port, "AT+CMGL=4", "\r\nOK\r\n");

	/* Modem to modem: modem0 submits to modem1's number. */
	free(submit_text(f->port, "+15550101", "relay to relay", false));
	len = read_urc_pdu(p1, "+CMT: ,", pdu, sizeof(pdu));
	assert_int_equal(sms_deliver_decode(&d, pdu, (size_t)len, true), 0);
	assert_string_equal(d.originator.text, RELAY);
	assert_string_equal(d.ud.text, "relay to relay");
	port_close(p1);
	fixture_stop(f);
}

static void test_status_report_stored_cdsi(void **state)
{
	(void)state;
	struct fixture *f = fixture_start(NULL);
	char hex[400];

	echo_off(f->port);
	expect_cmd(f->port, "AT+CNMI=2,1,0,2,0", "\r\nOK\r\n");
	char *r = submit_text(f->port, PHONE, "stored report", true);
	int mr = atoi(strstr(r, "+CMGS: ") + 7);
	free(r);
	r = port_read_until(f->port, "\r\n+CDSI: \"SM\",", 5000);
	assert_non_null(r);
	free(r);
	r = port_read_until(f->port, "\r\n", 2000);
	char cmd[32];
	snprintf(cmd, sizeof(cmd), "AT+CMGR=%d", atoi(r));
	free(r);
	r = port_cmd(f->port, cmd, 2000);
	assert_true(find_pdu_after(r, "+CMGR: ", hex, sizeof(hex)));
	free(r);
	uint8_t pdu[SMS_PDU_MAX];
	struct sms_status_report sr;
	int len = sms_hex_decode(pdu, sizeof(pdu), hex, strlen(hex));
	assert_int_equal(sms_status_report_decode(&sr, pdu, (size_t)len, true), 0);
	assert_int_equal(sr.mr, mr);
	assert_true(sms_status_is_delivered(sr.status));
	fixture_stop(f);
}

static void test_lte_cs_unregistered_and_pin(void **state)
{
	(void)state;
	struct fixture *f = fixture_start(NULL);

	echo_off(f->port);
	json_object_put(sim_ctl_ok(f->sim, "{\"cmd\":\"fault\",\"modem\":\"modem0\","
					   "\"kind\":\"cs_unregistered\"}"));
	/* LTE without circuit switching: +CREG says no, +CEREG says yes, SMS still works. */
	expect_cmd(f->port, "AT+CREG?", "\r\n+CREG: 0,0\r\n\r\nOK\r\n");
	expect_cmd(f->port, "AT+CEREG?", "\r\n+CEREG: 0,1\r\n\r\nOK\r\n");
	char *r = submit_text(f->port, PHONE, "over LTE", false);
	assert_non_null(strstr(r, "+CMGS: "));
	free(r);

	json_object_put(sim_ctl_ok(f->sim, "{\"cmd\":\"fault\",\"modem\":\"modem0\","
					   "\"kind\":\"pin\"}"));
	expect_cmd(f->port, "AT+CMEE=1", "\r\nOK\r\n");
	expect_cmd(f->port, "AT+CPIN?", "\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n");
	expect_cmd(f->port, "AT+CMGL=4", "\r\n+CMS ERROR: 311\r\n");
	expect_cmd(f->port, "AT+CPIN=\"1234\"", "\r\nOK\r\n");
	expect_cmd(f->port, "AT+CPIN?", "\r\n+CPIN: READY\r\n\r\nOK\r\n");
	fixture_stop(f);
}

static void test_ctl_client_cli(void **state)
{
	(void)state;
	struct fixture *f = fixture_start(NULL);
	char cmd[1024], out[8192];

	snprintf(cmd, sizeof(cmd), "%s/bin/modemsim ctl %s status", harness_build_dir, f->sim->dir);
	FILE *p = popen(cmd, "r");
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	assert_int_equal(pclose(p), 0);
	struct json_object *st = json_tokener_parse(out);
	assert_non_null(st);
	struct json_object *m = json_at(st, "modems", 0);
	assert_non_null(m);
	assert_string_equal(json_str(m, "msisdn"), RELAY);
	json_object_put(st);

	/* Unknown modem: a clear error and exit status 1. */
	snprintf(cmd, sizeof(cmd), "%s/bin/modemsim ctl %s fault modem9 hang >/dev/null",
		 harness_build_dir, f->sim->dir);
	assert_int_not_equal(system(cmd), 0);
	fixture_stop(f);
}

/* ---- voice calls ---- */

#define CALLER "+15557770001"

static void expect_text(struct port *p, const char *needle)
{
	char *r = port_read_until(p, needle, 4000);
	if (!r)
		fail_msg("waited for [%s], have [%.*s]", needle, (int)p->len, p->buf);
	free(r);
}

static void ctl(struct sim *s, const char *json)
{
	json_object_put(sim_ctl_ok(s, "%s", json));
}

static struct json_object *voice_status(struct sim *s, struct json_object **st)
{
	*st = sim_ctl_ok(s, "{\"cmd\":\"status\"}");
	struct json_object *v;
	assert_true(json_object_object_get_ex(json_at(*st, "modems", 0), "voice", &v));
	return v;
}

static long long audio_counter(struct sim *s, const char *key)
{
	struct json_object *st, *a, *v;
	assert_true(json_object_object_get_ex(voice_status(s, &st), "audio", &a));
	long long n = json_object_object_get_ex(a, key, &v) ? json_object_get_int64(v) : -1;
	json_object_put(st);
	return n;
}

/* The caller rings modem0 and the client answers with ATA; `urc` follows the OK. */
static void mt_call_answered(struct fixture *f, const char *urc)
{
	ctl(f->sim, "{\"cmd\":\"call\",\"from\":\"" CALLER "\",\"to\":\"modem0\"}");
	expect_text(f->port, "RING\r\n");
	expect_cmd(f->port, "ATA", "\r\nOK\r\n");
	if (urc)
		expect_text(f->port, urc);
}

static void test_voice_mt_quectel(void **state)
{
	(void)state;
	struct fixture *f = fixture_start("--model", "EC25", "--ring-ms", "700", NULL);

	echo_off(f->port);
	expect_cmd(f->port, "AT+CLIP=1;+QINDCFG=\"ccinfo\",1,0;+QTONEDET=1", "\r\nOK\r\n");
	expect_cmd(f->port, "AT+CNAP=1", "\r\nERROR\r\n");
	expect_cmd(f->port, "AT+CLCC", "\r\nOK\r\n");
	expect_cmd(f->port, "ATA", "\r\nNO CARRIER\r\n");
	ctl(f->sim, "{\"cmd\":\"call\",\"from\":\"" CALLER "\",\"to\":\"modem0\"}");
	expect_text(f->port, "\r\n+QIND: \"ccinfo\",1,1,4,0,0,\"" CALLER "\",145\r\n");
	expect_text(f->port, "\r\nRING\r\n\r\n+CLIP: \"" CALLER "\",145,,,,0\r\n");
	/* It rings again. */
	expect_text(f->port, "\r\nRING\r\n\r\n+CLIP: \"" CALLER "\",145,,,,0\r\n");
	expect_cmd(f->port, "AT+CLCC", "\r\n+CLCC: 1,1,4,0,0,\"" CALLER "\",145\r\n\r\nOK\r\n");
	expect_cmd(f->port, "ATA", "\r\nOK\r\n");
	expect_text(f->port, "+QIND: \"ccinfo\",1,1,0,0,0,\"" CALLER "\",145\r\n");
	/* DTMF both ways: the phone's digit as +QTONEDET (decimal ASCII), ours quoted. */
	ctl(f->sim, "{\"cmd\":\"dtmf\",\"phone\":\"" CALLER "\",\"digits\":\"8\"}");
	expect_text(f->port, "\r\n+QTONEDET: 56\r\n");
	expect_cmd(f->port, "AT+VTS=5", "\r\nERROR\r\n");
	expect_cmd(f->port, "AT+VTS=\"5\"", "\r\nOK\r\n");
	struct json_object *calls = sim_ctl_ok(f->sim, "{\"cmd\":\"calls\"}");
	assert_string_equal(json_str(json_at(calls, "calls", 0), "dtmf_received"), "5");
	json_object_put(calls);
	ctl(f->sim, "{\"cmd\":\"hangup\",\"phone\":\"" CALLER "\"}");
	expect_text(f->port,
		    "\r\nNO CARRIER\r\n\r\n+QIND: \"ccinfo\",1,1,-1,0,0,\"" CALLER "\",145\r\n");
	expect_cmd(f->port, "AT+CEER", "\r\n+CEER: Normal call clearing\r\n\r\nOK\r\n");
	expect_cmd(f->port, "AT+CLCC", "\r\nOK\r\n");
	fixture_stop(f);
}

static void test_voice_mo_simcom(void **state)
{
	(void)state;
	struct fixture *f =
	    fixture_start("--model", "SIM7600", "--alert-ms", "50", "--ring-ms", "200",
			  "--no-answer-ms", "400", "--ring-timeout-ms", "500", NULL);

	echo_off(f->port);
	expect_cmd(f->port, "AT+CLCC=?", "\r\n+CLCC: (0-1)\r\n\r\nOK\r\n");
	expect_cmd(f->port, "AT+CPCMREG=1", "\r\nERROR\r\n");
	expect_cmd(f->port, "ATD+15557770002", "\r\nNO CARRIER\r\n");
	/* Busy, rejected, unanswered. */
	ctl(f->sim, "{\"cmd\":\"busy\",\"phone\":\"+15557770002\",\"on\":true}");
	expect_cmd(f->port, "ATD+15557770002;", "\r\nOK\r\n");
	expect_text(f->port, "\r\nBUSY\r\n");
	expect_cmd(f->port, "AT+CEER", "\r\n+CEER: User busy\r\n\r\nOK\r\n");
	expect_cmd(f->port, "ATD+15557770003;", "\r\nOK\r\n");
	expect_cmd(f->port, "ATD+15557770004;", "\r\nERROR\r\n"); /* one at a time */
	sleep_ms(150);
	ctl(f->sim, "{\"cmd\":\"reject\",\"phone\":\"+15557770003\"}");
	expect_text(f->port, "\r\nNO CARRIER\r\n");
	expect_cmd(f->port, "AT+CEER", "\r\n+CEER: Call rejected\r\n\r\nOK\r\n");
	expect_cmd(f->port, "ATD+15557770003;", "\r\nOK\r\n");
	expect_text(f->port, "\r\nNO ANSWER\r\n");
	/* Answered: the CLCC list follows every change, the release shows stat 6. */
	expect_cmd(f->port, "AT+CLCC=1", "\r\nOK\r\n");
	expect_cmd(f->port, "ATD+15557770003;", "\r\nOK\r\n");
	expect_text(f->port, "\r\n+CLCC: 1,0,3,0,0,\"+15557770003\",145\r\n");
	ctl(f->sim, "{\"cmd\":\"answer\",\"phone\":\"+15557770003\"}");
	expect_text(f->port,
		    "\r\nVOICE CALL: BEGIN\r\n\r\n+CLCC: 1,0,0,0,0,\"+15557770003\",145\r\n");
	expect_cmd(f->port, "AT+CHUP", "\r\nOK\r\n");
	expect_text(f->port, "\r\nVOICE CALL: END: 000000\r\n\r\n+CLCC: 1,0,6,0,0,"
			     "\"+15557770003\",145\r\n");
	/* +COLP=1: ATD's final result waits for the phone (auto-answer after one ring). */
	ctl(f->sim, "{\"cmd\":\"auto-answer\",\"phone\":\"+15557770003\",\"rings\":1}");
	expect_cmd(f->port, "AT+CLCC=0;+COLP=1", "\r\nOK\r\n");
	char *r = port_cmd(f->port, "ATD+15557770003;", 3000);
	assert_non_null(r);
	assert_non_null(strstr(r, "\r\n+COLP: \"+15557770003\",145\r\n\r\nOK\r\n"));
	free(r);
	expect_text(f->port, "\r\nVOICE CALL: BEGIN\r\n");
	expect_cmd(f->port, "ATH", "\r\nOK\r\n");
	/* A missed call: the caller gives up after --ring-timeout-ms. */
	ctl(f->sim, "{\"cmd\":\"call\",\"from\":\"" CALLER "\",\"to\":\"modem0\"}");
	expect_text(f->port, "\r\nRING\r\n");
	expect_text(f->port, "\r\nMISSED_CALL: ");
	expect_text(f->port, "M " CALLER "\r\n");
	struct json_object *st;
	assert_int_equal(json_int(voice_status(f->sim, &st), "calls_missed"), 1);
	json_object_put(st);
	fixture_stop(f);
}

static void test_voice_huawei_waiting_chld(void **state)
{
	(void)state;
	struct fixture *f = fixture_start("--model", "E173", NULL);

	echo_off(f->port);
	expect_cmd(f->port, "AT^CVOICE?", "\r\n^CVOICE: 0,8000,16,20\r\n\r\nOK\r\n");
	expect_cmd(f->port, "AT+CHLD=?", "\r\n+CHLD: (0,1,1x,2,2x,3)\r\n\r\nOK\r\n");
	expect_cmd(f->port, "AT+CCWA=1;+CRC=1", "\r\nOK\r\n");
	ctl(f->sim, "{\"cmd\":\"call\",\"from\":\"" CALLER "\",\"to\":\"modem0\"}");
	expect_text(f->port, "\r\n+CRING: VOICE\r\n");
	expect_cmd(f->port, "ATA", "\r\nOK\r\n");
	expect_text(f->port, "\r\n^CONN:1,0\r\n");
	ctl(f->sim, "{\"cmd\":\"call\",\"from\":\"+15557770002\",\"to\":\"modem0\"}");
	expect_text(f->port, "\r\n+CCWA: \"+15557770002\",145,1\r\n");
	expect_cmd(f->port, "AT+CLCC",
		   "\r\n+CLCC: 1,1,0,0,0,\"" CALLER "\",145\r\n"
		   "+CLCC: 2,1,5,0,0,\"+15557770002\",145\r\n\r\nOK\r\n");
	/* Hold the first, take the second; then release the second. */
	expect_cmd(f->port, "AT+CHLD=2", "\r\nOK\r\n");
	expect_text(f->port, "\r\n^CONN:2,0\r\n");
	expect_cmd(f->port, "AT+CLCC",
		   "\r\n+CLCC: 1,1,1,0,0,\"" CALLER "\",145\r\n"
		   "+CLCC: 2,1,0,0,0,\"+15557770002\",145\r\n\r\nOK\r\n");
	expect_cmd(f->port, "AT+CHLD=12", "\r\nOK\r\n");
	expect_text(f->port, "\r\n^CEND:2,0,104,16\r\n");
	expect_cmd(f->port, "AT+CHLD=2", "\r\nOK\r\n");
	expect_cmd(f->port, "AT+CLCC", "\r\n+CLCC: 1,1,0,0,0,\"" CALLER "\",145\r\n\r\nOK\r\n");
	expect_cmd(f->port, "AT^DTMF=1,7", "\r\nOK\r\n");
	expect_cmd(f->port, "AT^DTMF=3,7", "\r\nERROR\r\n");
	/* The network drops it. */
	ctl(f->sim, "{\"cmd\":\"fault\",\"modem\":\"modem0\",\"kind\":\"call-drop\"}");
	/* No cc_cause on a radio failure. */
	expect_text(f->port, "\r\nNO CARRIER\r\n\r\n^CEND:1,");
	expect_text(f->port, ",104\r\n");
	expect_cmd(f->port, "AT+CEER", "\r\n+CEER: Radio link failure\r\n\r\nOK\r\n");
	/* MO: ^ORIG, ^CONF, ^CONN. */
	expect_cmd(f->port, "ATD+15557770003;", "\r\nOK\r\n");
	expect_text(f->port, "\r\n^ORIG:1,0\r\n");
	expect_text(f->port, "\r\n^CONF:1\r\n");
	ctl(f->sim, "{\"cmd\":\"answer\",\"phone\":\"+15557770003\"}");
	expect_text(f->port, "\r\n^CONN:1,0\r\n");
	/* Hostile input. */
	expect_cmd(f->port, "ATD12345678901234567890123456789012345678901234567890;",
		   "\r\nERROR\r\n");
	expect_cmd(f->port, "ATD+1555x;", "\r\nERROR\r\n");
	expect_cmd(f->port, "AT+CHLD=99", "\r\nERROR\r\n");
	struct json_object *o = sim_ctl(f->sim, "{\"cmd\":\"call\",\"from\":7,\"to\":\"modem0\"}");
	assert_false(json_object_get_boolean(json_object_object_get(o, "ok")));
	json_object_put(o);
	fixture_stop(f);
}

/* ---- audio ---- */

static int audio_port(struct sim *s)
{
	char path[128];
	struct termios tio;

	snprintf(path, sizeof(path), "%s/modem0.audio", s->dir);
	int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);
	assert_true(fd >= 0);
	tcgetattr(fd, &tio);
	cfmakeraw(&tio);
	tcsetattr(fd, TCSANOW, &tio);
	return fd;
}

/* Read the audio port for `ms`, writing a `hz` tone (0: nothing) 20 ms at a time. */
static size_t audio_exchange(int fd, uint8_t *buf, size_t cap, int ms, double hz)
{
	long long end = now_ms() + ms, next = now_ms();
	size_t len = 0;
	double ph = 0;

	while (now_ms() < end) {
		ssize_t n = read(fd, buf + len, cap - len);
		if (n > 0)
			len += (size_t)n;
		if (hz > 0 && now_ms() >= next) {
			int16_t fr[160];
			for (int i = 0; i < 160; i++, ph += 2 * M_PI * hz / 8000)
				fr[i] = (int16_t)(8000 * sin(ph));
			assert_int_equal(write(fd, fr, sizeof(fr)), (ssize_t)sizeof(fr));
			next += 20;
		}
		sleep_ms(5);
	}
	return len;
}

/* Relative power of `hz` in x (Goertzel). */
static double goertzel(const int16_t *x, size_t n, double hz)
{
	double c = 2 * cos(2 * M_PI * hz / 8000), s1 = 0, s2 = 0;
	for (size_t i = 0; i < n; i++) {
		double s0 = x[i] + c * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	return (s1 * s1 + s2 * s2 - c * s1 * s2) / ((double)n * n);
}

static void expect_tone(const int16_t *x, size_t n, double hz, double other)
{
	double p = goertzel(x, n, hz), q = goertzel(x, n, other);
	if (!(p > 50 * q && p > 1000))
		fail_msg("%.0f Hz: power %g, at %.0f Hz %g", hz, p, other, q);
}

/* The samples of a 16-bit mono WAV file ("data" chunk). */
static int16_t *wav_samples(const char *path, size_t *n)
{
	static uint8_t buf[1 << 20];
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	size_t len = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	for (size_t i = 12; i + 8 <= len;) {
		uint32_t sz =
		    buf[i + 4] | buf[i + 5] << 8 | buf[i + 6] << 16 | (uint32_t)buf[i + 7] << 24;
		if (memcmp(buf + i, "data", 4) == 0) {
			*n = (len - i - 8 < sz ? len - i - 8 : sz) / 2;
			return (int16_t *)(buf + i + 8);
		}
		i += 8 + sz;
	}
	fail_msg("no data chunk in %s", path);
	return NULL;
}

static void audio_both_ways(const char *codec)
{
	struct fixture *f = fixture_start("--model", "EC25", "--codec", codec, NULL);
	static uint8_t buf[64000];
	char req[256];

	echo_off(f->port);
	expect_cmd(f->port, "AT+QGPSCFG=\"outport\",\"none\";+QPCMV=1,0", "\r\nOK\r\n");
	expect_cmd(f->port, "AT+QPCMV?", "\r\n+QPCMV: 1,0\r\n\r\nOK\r\n");
	int fd = audio_port(f->sim);
	mt_call_answered(f, NULL);
	ctl(f->sim, "{\"cmd\":\"play\",\"phone\":\"" CALLER "\",\"tone\":1000,\"dbfs\":-10}");
	audio_exchange(fd, buf, sizeof(buf), 300, 0); /* what was queued before the tone */
	size_t len = audio_exchange(fd, buf, sizeof(buf), 1000, 1500);
	assert_true(len >= 30 * 320);
	assert_int_equal(len % 2, 0);
	expect_tone((const int16_t *)buf, len / 2, 1000, 2000);
	snprintf(req, sizeof(req), "{\"cmd\":\"heard\",\"phone\":\"%s\",\"wav\":\"%s/heard.wav\"}",
		 CALLER, f->sim->dir);
	ctl(f->sim, req);
	snprintf(req, sizeof(req), "%s/heard.wav", f->sim->dir);
	size_t n = 0;
	int16_t *x = wav_samples(req, &n);
	assert_true(n > 8000);
	/* The last half second the phone heard is the host's tone. */
	expect_tone(x + n - 4000, 4000, 1500, 700);
	close(fd);
	fixture_stop(f);
}

static void test_voice_audio_linear(void **state)
{
	(void)state;
	audio_both_ways("none");
}

static void test_voice_audio_gsm(void **state)
{
	(void)state;
	audio_both_ways("gsm");
}

/* Frames per second over ~1.5 s of a flowing call. */
static double frame_rate(struct fixture *f)
{
	long long t0 = now_ms(), n0 = audio_counter(f->sim, "frames_up");
	sleep_ms(1500);
	long long t1 = now_ms(), n1 = audio_counter(f->sim, "frames_up");
	return (double)(n1 - n0) * 1000.0 / (double)(t1 - t0);
}

static void test_voice_audio_drift_and_nmea(void **state)
{
	(void)state;
	struct fixture *f = fixture_start("--model", "EC25", "--audio-drift-ppm", "-100000", NULL);
	static uint8_t buf[64000];

	echo_off(f->port);
	expect_cmd(f->port, "AT+QPCMV=1,0", "\r\nOK\r\n");
	int fd = audio_port(f->sim);
	/* GPS still writes NMEA to the port serial audio shares. */
	size_t len = audio_exchange(fd, buf, sizeof(buf), 1300, 0);
	buf[len < sizeof(buf) ? len : sizeof(buf) - 1] = 0;
	assert_non_null(strstr((char *)buf, "$GPGSV,1,1,00*79\r\n"));
	expect_cmd(f->port, "AT+QGPSCFG=\"outport\",\"none\"", "\r\nOK\r\n");
	mt_call_answered(f, NULL);
	double fast = frame_rate(f); /* 10 % fast clock: 55.6 frames/s */
	ctl(f->sim, "{\"cmd\":\"audio\",\"modem\":\"modem0\",\"drift_ppm\":100000}");
	double slow = frame_rate(f); /* 10 % slow: 45.5 frames/s */
	if (!(fast > 52 && fast < 59 && slow > 42 && slow < 49))
		fail_msg("frame rates %.1f and %.1f per second", fast, slow);
	close(fd);
	fixture_stop(f);
}

static void test_voice_audio_faults(void **state)
{
	(void)state;
	struct fixture *f = fixture_start("--model", "SIM7600", NULL);
	static uint8_t buf[64000];

	echo_off(f->port);
	int fd = audio_port(f->sim);
	/* audio-on-fails: once. */
	ctl(f->sim, "{\"cmd\":\"fault\",\"modem\":\"modem0\",\"kind\":\"audio-on-fails\"}");
	ctl(f->sim, "{\"cmd\":\"fault\",\"modem\":\"modem0\",\"kind\":\"audio-misalign\"}");
	mt_call_answered(f, "VOICE CALL: BEGIN\r\n");
	expect_cmd(f->port, "AT+CPCMREG=1", "\r\nERROR\r\n");
	expect_cmd(f->port, "AT+CPCMREG=1", "\r\nOK\r\n");
	/* audio-misalign: one stray byte, half a second (25 frames) into the stream. */
	size_t len = audio_exchange(fd, buf, sizeof(buf), 800, 0);
	assert_int_equal(len % 320, 1);
	/* audio-stall: frames stop, the call stays. */
	ctl(f->sim, "{\"cmd\":\"fault\",\"modem\":\"modem0\",\"kind\":\"audio-stall\",\"ms\":400}");
	len = audio_exchange(fd, buf, sizeof(buf), 300, 0);
	assert_true(len <= 2 * 320);
	assert_true(audio_counter(f->sim, "stalled_frames") >= 10);
	/* audio-dead-after-call: after one on/off cycle the next call's first try fails and
	 * the retry gives silence; only AT+CRESET recovers. */
	ctl(f->sim, "{\"cmd\":\"fault\",\"modem\":\"modem0\",\"kind\":\"audio-dead-after-call\"}");
	expect_cmd(f->port, "AT+CPCMREG=0;+CHUP", "\r\nOK\r\n");
	expect_text(f->port, "VOICE CALL: END: ");
	mt_call_answered(f, "VOICE CALL: BEGIN\r\n");
	ctl(f->sim, "{\"cmd\":\"play\",\"phone\":\"" CALLER "\",\"tone\":1000}");
	expect_cmd(f->port, "AT+CPCMREG=1", "\r\nERROR\r\n");
	expect_cmd(f->port, "AT+CPCMREG=1", "\r\nOK\r\n");
	len = audio_exchange(fd, buf, sizeof(buf), 400, 0);
	assert_true(len >= 10 * 320);
	for (size_t i = 0; i < len; i++)
		assert_int_equal(buf[i], 0);
	expect_cmd(f->port, "AT+CRESET", "\r\nOK\r\n");
	close(fd);
	sleep_ms(1500);
	struct json_object *st;
	struct json_object *a;
	assert_true(json_object_object_get_ex(voice_status(f->sim, &st), "audio", &a));
	assert_false(json_object_get_boolean(json_object_object_get(a, "degraded")));
	assert_true(json_object_get_boolean(json_object_object_get(a, "present")));
	assert_int_equal(json_int(json_at(st, "modems", 0), "voice") == -1, 0);
	json_object_put(st);
	fixture_stop(f);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_framing_echo),
	    cmocka_unit_test(test_identity_models),
	    cmocka_unit_test(test_submit_reaches_phone),
	    cmocka_unit_test(test_submit_concatenated),
	    cmocka_unit_test(test_cmgs_escape_and_bad_length),
	    cmocka_unit_test(test_direct_delivery_cmt),
	    cmocka_unit_test(test_stored_delivery_cmti),
	    cmocka_unit_test(test_storage_fills_and_nothing_is_lost),
	    cmocka_unit_test(test_status_report_cds),
	    cmocka_unit_test(test_late_cnma_resets_cnmi),
	    cmocka_unit_test(test_urc_between_command_and_result),
	    cmocka_unit_test(test_fault_cms_error_then_success),
	    cmocka_unit_test(test_fault_hang_and_garbage),
	    cmocka_unit_test(test_fault_deregister),
	    cmocka_unit_test(test_fault_vanish_and_return),
	    cmocka_unit_test(test_sim_full_fault),
	    cmocka_unit_test(test_two_modems_route_by_msisdn),
	    cmocka_unit_test(test_status_report_stored_cdsi),
	    cmocka_unit_test(test_lte_cs_unregistered_and_pin),
	    cmocka_unit_test(test_ctl_client_cli),
	    cmocka_unit_test(test_voice_mt_quectel),
	    cmocka_unit_test(test_voice_mo_simcom),
	    cmocka_unit_test(test_voice_huawei_waiting_chld),
	    cmocka_unit_test(test_voice_audio_linear),
	    cmocka_unit_test(test_voice_audio_gsm),
	    cmocka_unit_test(test_voice_audio_drift_and_nmea),
	    cmocka_unit_test(test_voice_audio_faults),
	};
	if (argc > 1)
		harness_build_dir = argv[1];
	return cmocka_run_group_tests_name("modemsim", tests, NULL, NULL);
}
