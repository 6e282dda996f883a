/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The modem driver end to end: the pool runs on osmo_select_main in this process, modemsim
 * runs as a separate process, and the two meet on real PTYs.
 *
 * Exactly-once accounting. Every test keeps a ledger of what the driver handed up, keyed
 * by the TPDU (the PDU without its SMSC prefix: a network re-delivery of the same SMS has
 * the same originator, time stamp and user data, so the same TPDU). The test plays the
 * upper layer: the first time a TPDU is seen it is "archived" (a new commit); a later copy
 * is recognised as a re-delivery and only acknowledged (modem_rx_committed, so the modem
 * forgets it) without archiving it again. At the end of every test each message the
 * phones sent must be archived exactly once, nothing may wait uncommitted, and the SIM
 * must be empty. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/tdef.h>
#include <osmocom/core/timer.h>

#include "modem/driver/at_channel.h"
#include "tests/e2e/harness.h"
#include "modem/driver/modem.h"
#include "modem/driver/modem_log.h"
#include "modem/sms/sms_reassembly.h"
#include "modem/sms/sms_split.h"
#include "modem/sms/sms_tpdu.h"

#define PHONE  "+15557770001"
#define PHONE2 "+15557770002"
#define RELAY  "+15550100"

#define MAX_LEDGER 128
#define MAX_RX	   256
#define MAX_SENT   64

struct ledger_entry {
	char tpdu[400];
	int handed;   /* times the driver handed it up */
	int archived; /* new commits: must end at exactly 1 */
};

struct rx_rec {
	struct modem *m;
	uint64_t token;
	long long at;
	int storage_index;
	enum modem_rx_kind kind;
	int decode_rc;
	bool done;
	char tpdu[400];
	struct sms_deliver d; /* when decoded */
};

struct sent_rec {
	uint64_t msg_id;
	unsigned part;
	bool ok;
	uint8_t mr;
	int cms;
};

struct t {
	void *ctx;
	struct sim *sim;
	struct modem_pool *pool;
	struct ledger_entry ledger[MAX_LEDGER];
	int n_ledger;
	struct rx_rec rx[MAX_RX];
	int n_rx;
	int commit_delay_ms; /* for the first copy of a message; later copies at once */
	struct sent_rec sent[MAX_SENT];
	int n_sent;
	int n_status;
	uint8_t last_status;
	int readies;
	int recoveries_seen;
	/* on_part_submit: each part's submits, in order (msg_id * 1000 + part). */
	uint64_t submits[MAX_SENT];
	int n_submits;
	int pacing_near, pacing_reached; /* on_pacing calls */
};

static struct t *T;

static struct ledger_entry *ledger(struct t *t, const char *tpdu)
{
	for (int i = 0; i < t->n_ledger; i++) {
		if (strcmp(t->ledger[i].tpdu, tpdu) == 0)
			return &t->ledger[i];
	}
	assert_true(t->n_ledger < MAX_LEDGER);
	struct ledger_entry *e = &t->ledger[t->n_ledger++];
	size_t n = strlen(tpdu);
	assert_true(n < sizeof(e->tpdu));
	memset(e, 0, sizeof(*e));
	memcpy(e->tpdu, tpdu, n + 1);
	return e;
}

/* ---- the upper layer ---- */

static void on_rx(struct modem *m, const struct modem_rx *rx, void *data)
{
	struct t *t = data;
	struct rx_rec *r;
	unsigned smsc_len;

	assert_true(t->n_rx < MAX_RX);
	r = &t->rx[t->n_rx++];
	memset(r, 0, sizeof(*r));
	r->m = m;
	r->token = rx->token;
	r->at = now_ms();
	r->storage_index = rx->storage_index;
	r->kind = rx->kind;
	r->decode_rc = rx->decode_rc;
	if (rx->deliver)
		r->d = *rx->deliver;
	/* Key: the TPDU, i.e. the hex after the SMSC prefix (its length octet + octets). */
	smsc_len = rx->pdu_len ? rx->pdu[0] : 0;
	snprintf(r->tpdu, sizeof(r->tpdu), "%s",
		 rx->pdu && 2 * (1 + smsc_len) <= strlen(rx->pdu_hex)
		     ? rx->pdu_hex + 2 * (1 + smsc_len)
		     : rx->pdu_hex);
	ledger(t, r->tpdu)->handed++;
}

/* Commit what is due: the first copy of a TPDU after commit_delay_ms, copies at once. */
static void commit_due(struct t *t)
{
	for (int i = 0; i < t->n_rx; i++) {
		struct rx_rec *r = &t->rx[i];
		struct ledger_entry *e;

		if (r->done)
			continue;
		e = ledger(t, r->tpdu);
		if (!e->archived && now_ms() < r->at + t->commit_delay_ms)
			continue;
		r->done = true;
		if (!e->archived)
			e->archived++;
		modem_rx_committed(r->m, r->token);
	}
}

static void on_part_sent(struct modem *m, uint64_t msg_id, unsigned part, bool ok, uint8_t mr,
			 int cms, void *data)
{
	struct t *t = data;

	(void)m;
	assert_true(t->n_sent < MAX_SENT);
	t->sent[t->n_sent++] = (struct sent_rec){msg_id, part, ok, mr, cms};
}

static int on_part_submit(struct modem *m, uint64_t msg_id, unsigned part, void *data)
{
	struct t *t = data;

	(void)m;
	assert_true(t->n_submits < MAX_SENT);
	t->submits[t->n_submits++] = msg_id * 1000 + part;
	return 0;
}

static void on_pacing(struct modem *m, unsigned used, unsigned cap, bool reached, void *data)
{
	struct t *t = data;

	(void)m;
	assert_true(used <= cap);
	if (reached)
		t->pacing_reached++;
	else
		t->pacing_near++;
}

static void on_part_status(struct modem *m, uint64_t msg_id, unsigned part, uint8_t st, void *data)
{
	struct t *t = data;

	(void)m;
	(void)msg_id;
	(void)part;
	t->n_status++;
	t->last_status = st;
}

static void on_state(struct modem *m, enum modem_state st, void *data)
{
	struct t *t = data;

	(void)m;
	if (st == MODEM_ST_READY)
		t->readies++;
	if (st == MODEM_ST_RECOVERING)
		t->recoveries_seen++;
}

static const struct modem_events events = {
    .on_rx = on_rx,
    .on_part_submit = on_part_submit,
    .on_part_sent = on_part_sent,
    .on_part_status = on_part_status,
    .on_pacing = on_pacing,
    .on_state = on_state,
};

/* ---- running the loop ---- */

static void tick_cb(void *data)
{
	(void)data;
}

static struct osmo_timer_list tick;

/* Run the event loop until cond() or the deadline; commits as the upper layer would. */
static bool run_until(struct t *t, bool (*cond)(struct t *t, void *arg), void *arg, int ms)
{
	long long deadline = now_ms() + ms;

	while (now_ms() < deadline) {
		commit_due(t);
		if (cond && cond(t, arg))
			return true;
		/* The tick bounds each wait, so the deadline is seen even on a quiet loop. */
		osmo_timer_schedule(&tick, 0, 5000);
		osmo_select_main(0);
	}
	commit_due(t);
	return cond ? cond(t, arg) : true;
}

static bool is_ready(struct t *t, void *arg)
{
	(void)t;
	return modem_get_state(arg) == MODEM_ST_READY;
}

static bool rx_at_least(struct t *t, void *arg)
{
	return t->n_rx >= (int)(intptr_t)arg;
}

static bool sent_at_least(struct t *t, void *arg)
{
	return t->n_sent >= (int)(intptr_t)arg;
}

static bool status_at_least(struct t *t, void *arg)
{
	return t->n_status >= (int)(intptr_t)arg;
}

static bool archived_at_least(struct t *t, void *arg)
{
	int n = 0;

	for (int i = 0; i < t->n_ledger; i++)
		n += t->ledger[i].archived;
	return n >= (int)(intptr_t)arg;
}

/* ---- set-up ---- */

static void tdefs_fast(void)
{
	osmo_tdef_set(at_channel_tdefs, AT_T_DEFAULT, 1500, OSMO_TDEF_MS);
	osmo_tdef_set(at_channel_tdefs, AT_T_PROMPT, 1000, OSMO_TDEF_MS);
	osmo_tdef_set(at_channel_tdefs, AT_T_SUBMIT, 2000, OSMO_TDEF_MS);
	osmo_tdef_set(modem_tdefs, MODEM_T_BACKOFF_MIN, 100, OSMO_TDEF_MS);
	osmo_tdef_set(modem_tdefs, MODEM_T_BACKOFF_MAX, 800, OSMO_TDEF_MS);
	osmo_tdef_set(modem_tdefs, MODEM_T_REG_POLL, 200, OSMO_TDEF_MS);
	osmo_tdef_set(modem_tdefs, MODEM_T_HEALTH, 500, OSMO_TDEF_MS);
	osmo_tdef_set(modem_tdefs, MODEM_T_SEND_RETRY, 100, OSMO_TDEF_MS);
	osmo_tdef_set(modem_tdefs, MODEM_T_SEND_RETRY_MAX, 400, OSMO_TDEF_MS);
}

static struct t *t_new(void)
{
	struct t *t = calloc(1, sizeof(*t));

	t->ctx = talloc_named_const(NULL, 0, "test");
	t->pool = modem_pool_alloc(t->ctx, &events, t);
	T = t;
	tdefs_fast();
	return t;
}

static struct modem *add_modem(struct t *t, int n, const char *profile)
{
	char name[16], relay[16];
	struct modem_config cfg = {.profile = profile};

	snprintf(name, sizeof(name), "modem%d", n);
	snprintf(relay, sizeof(relay), "+1555010%d", n);
	cfg.name = name;
	cfg.device = sim_modem_path(t->sim, n);
	cfg.relay_number = relay;
	struct modem *m = modem_pool_add(t->pool, &cfg);
	assert_non_null(m);
	return m;
}

static void print_trace(struct t *t, const char *modem)
{
	struct json_object *r =
	    sim_ctl(t->sim, "{\"cmd\":\"trace\",\"modem\":\"%s\",\"last\":40}", modem);
	if (r) {
		fprintf(stderr, "trace %s: %s\n", modem, json_object_to_json_string(r));
		json_object_put(r);
	}
}

static void wait_ready(struct t *t, struct modem *m)
{
	if (!run_until(t, is_ready, m, 8000)) {
		print_trace(t, "modem0");
		fail_msg("modem not ready: %s", modem_state_name(modem_get_state(m)));
	}
}

static int json_int(struct json_object *o, const char *key)
{
	struct json_object *v;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_int(v) : -1;
}

static int inbox_count(struct t *t, const char *phone)
{
	struct json_object *r = sim_ctl_ok(t->sim, "{\"cmd\":\"inbox\",\"phone\":\"%s\"}", phone);
	struct json_object *msgs;
	int n = json_object_object_get_ex(r, "messages", &msgs)
		    ? (int)json_object_array_length(msgs)
		    : -1;
	json_object_put(r);
	return n;
}

static int sim_used(struct t *t, const char *mem)
{
	struct json_object *r = sim_ctl_ok(t->sim, "{\"cmd\":\"sim\",\"modem\":\"modem0\"}");
	struct json_object *st, *arr;
	int n = -1;

	if (json_object_object_get_ex(r, "storage", &st) &&
	    json_object_object_get_ex(st, mem, &arr))
		n = (int)json_object_array_length(arr);
	json_object_put(r);
	return n;
}

static void phone_sends(struct t *t, const char *from, const char *text)
{
	json_object_put(sim_ctl_ok(
	    t->sim, "{\"cmd\":\"send\",\"from\":\"%s\",\"to\":\"modem0\",\"text\":\"%s\"}", from,
	    text));
}

static int queue_text_opts(struct modem *m, uint64_t msg_id, const char *to, const char *text,
			   bool srr, const struct modem_send_opts *opts);

/* Queue `text` to `to` on m as msg_id; returns the number of parts. */
static int queue_text(struct modem *m, uint64_t msg_id, const char *to, const char *text, bool srr)
{
	return queue_text_opts(m, msg_id, to, text, srr, NULL);
}

/* The same in a lane and group. */
static int queue_text_opts(struct modem *m, uint64_t msg_id, const char *to, const char *text,
			   bool srr, const struct modem_send_opts *opts)
{
	struct sms_user_data parts[4];
	uint8_t pdus[4][SMS_PDU_MAX];
	const uint8_t *pp[4];
	size_t lens[4];
	int n = sms_split_utf8(parts, 4, text, strlen(text), (uint8_t)msg_id);

	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		struct sms_submit sub = {.status_report_request = srr, .vpf = SMS_VPF_NONE};

		assert_int_equal(sms_address_from_text(&sub.destination, to), 0);
		sub.ud = parts[i];
		int len = sms_submit_encode(pdus[i], sizeof(pdus[i]), &sub, true);
		assert_true(len > 0);
		pp[i] = pdus[i];
		lens[i] = (size_t)len;
	}
	assert_int_equal(modem_send_parts(m, msg_id, pp, lens, NULL, (unsigned)n, opts), 0);
	return n;
}

/* Every message a phone sent archived exactly once; nothing left uncommitted; every
 * copy handed up was acknowledged. */
static void check_exactly_once(struct t *t, int expected_messages)
{
	int archived = 0;

	run_until(t, NULL, NULL, 300); /* let the last +CMGD/+CNMA go out */
	for (int i = 0; i < t->n_ledger; i++) {
		if (t->ledger[i].archived != 1)
			fail_msg("TPDU %s archived %d times (handed up %d)", t->ledger[i].tpdu,
				 t->ledger[i].archived, t->ledger[i].handed);
		archived++;
	}
	for (int i = 0; i < t->n_rx; i++)
		assert_true(t->rx[i].done);
	if (expected_messages >= 0)
		assert_int_equal(archived, expected_messages);
}

static void t_free(struct t *t)
{
	modem_pool_free(t->pool);
	talloc_free(t->ctx);
	sim_stop(t->sim);
	free(t);
	T = NULL;
}

/* ---- tests ---- */

/* Direct delivery (+CMT → +CNMA after commit) with the Quectel profile, and a send with
 * a status report that comes back as +CDS. */
static void test_direct_delivery(void **state)
{
	(void)state;
	struct t *t = t_new();
	t->sim = sim_start("--model", "EC25", "--submit-ms", "20", "--deliver-ms", "0", NULL);
	assert_non_null(t->sim);
	struct modem *m = add_modem(t, 0, NULL);
	wait_ready(t, m);

	struct modem_info info;
	modem_info(m, &info);
	assert_string_equal(info.profile->name, "quectel-ec25");
	assert_string_equal(info.model, "EC25");
	assert_string_equal(info.sim_status, "READY");

	phone_sends(t, PHONE, "direct one");
	phone_sends(t, PHONE, "direct two");
	phone_sends(t, PHONE2, "direct three €");
	assert_true(run_until(t, rx_at_least, (void *)3, 5000));
	for (int i = 0; i < 3; i++) {
		assert_int_equal(t->rx[i].storage_index, -1); /* +CMT, not stored */
		assert_int_equal(t->rx[i].decode_rc, 0);
	}
	assert_string_equal(t->rx[2].d.ud.text, "direct three €");

	queue_text(m, 1, PHONE, "reply with report", true);
	assert_true(run_until(t, status_at_least, (void *)1, 5000));
	assert_true(t->sent[0].ok);
	assert_true(sms_status_is_delivered(t->last_status));
	assert_int_equal(inbox_count(t, PHONE), 1);
	/* The +CDS was handed up as well (a record of the report), and committed. */
	assert_int_equal(t->n_rx, 4);
	assert_int_equal(t->rx[3].kind, MODEM_RX_STATUS_REPORT);
	check_exactly_once(t, 4);
	t_free(t);
}

/* Stored delivery (+CMTI → +CMGR → commit → +CMGD) with the generic profile, and a
 * status report stored (+CDSI). */
static void test_stored_delivery(void **state)
{
	(void)state;
	struct t *t = t_new();
	t->sim = sim_start("--submit-ms", "20", "--deliver-ms", "0", NULL);
	assert_non_null(t->sim);
	struct modem *m = add_modem(t, 0, "auto");
	wait_ready(t, m);

	phone_sends(t, PHONE, "stored one");
	phone_sends(t, PHONE, "stored two");
	assert_true(run_until(t, rx_at_least, (void *)2, 5000));
	assert_true(t->rx[0].storage_index >= 1);
	assert_true(t->rx[1].storage_index >= 1);
	queue_text(m, 2, PHONE, "stored reply", true);
	assert_true(run_until(t, status_at_least, (void *)1, 5000));
	assert_int_equal(t->rx[2].kind, MODEM_RX_STATUS_REPORT);
	assert_true(t->rx[2].storage_index >= 1);
	check_exactly_once(t, 3);
	assert_int_equal(sim_used(t, "SM"), 0);
	t_free(t);
}

/* SMS arriving while a command runs: during a +CMGS submit delay, and between a
 * command's information text and its final result. */
static void test_message_mid_command(void **state)
{
	(void)state;
	struct t *t = t_new();
	t->sim = sim_start("--model", "EC25", "--submit-ms", "400", "--deliver-ms", "0", NULL);
	assert_non_null(t->sim);
	struct modem *m = add_modem(t, 0, NULL);
	wait_ready(t, m);

	queue_text(m, 3, PHONE, "slow submit", false);
	run_until(t, NULL, NULL, 100); /* +CMGS written, the modem busy */
	phone_sends(t, PHONE, "during the submit");
	assert_true(run_until(t, sent_at_least, (void *)1, 3000));
	assert_true(t->sent[0].ok);
	assert_true(run_until(t, rx_at_least, (void *)1, 3000));

	/* A URC inside the next health check's response (+CSQ info, URC, OK). */
	json_object_put(sim_ctl_ok(
	    t->sim, "{\"cmd\":\"fault\",\"modem\":\"modem0\",\"kind\":\"urc_in_response\"}"));
	phone_sends(t, PHONE, "inside a response");
	assert_true(run_until(t, rx_at_least, (void *)2, 3000));
	assert_int_equal(modem_get_state(m), MODEM_ST_READY);
	check_exactly_once(t, 2);
	t_free(t);
}

static void concat_cb(const struct sms_reassembled *msg, void *data)
{
	char *out = data;
	snprintf(out, 1024, "%.*s%s", (int)msg->text_len, msg->text,
		 msg->complete ? "" : " (incomplete)");
}

/* A three-part message whose parts arrive 3, 1, 2: each handed up, reassembled above. */
static void test_concatenated_shuffled(void **state)
{
	(void)state;
	struct t *t = t_new();
	t->sim = sim_start("--submit-ms", "0", "--deliver-ms", "0", NULL);
	assert_non_null(t->sim);
	struct modem *m = add_modem(t, 0, NULL);
	wait_ready(t, m);

	char text[600];
	snprintf(text, sizeof(text), "%s", "");
	for (int i = 0; i < 20; i++) /* 340 characters: three parts */
		strcat(text, i % 2 ? "practice moved " : "to the north field ");
	struct sms_user_data parts[4];
	int n = sms_split_utf8(parts, 4, text, strlen(text), 0x5a);
	assert_int_equal(n, 3);
	static const int order[] = {2, 0, 1};
	for (int k = 0; k < 3; k++) {
		struct sms_deliver d = {.pid = 0};
		uint8_t pdu[SMS_PDU_MAX];
		char hex[2 * SMS_PDU_MAX + 1];

		sms_address_from_text(&d.originator, PHONE);
		d.scts = (struct sms_time){2026, 11, 22, 9, 30, 0, 0};
		d.ud = parts[order[k]];
		int len = sms_deliver_encode(pdu, sizeof(pdu), &d, false);
		assert_true(len > 0);
		sms_hex_encode(hex, sizeof(hex), pdu, (size_t)len);
		json_object_put(sim_ctl_ok(t->sim,
					   "{\"cmd\":\"send\",\"from\":\"%s\",\"to\":\"modem0\","
					   "\"pdu\":\"%s\"}",
					   PHONE, hex));
	}
	assert_true(run_until(t, rx_at_least, (void *)3, 5000));

	char whole[1024] = "";
	struct sms_reassembler_config rcfg = {.timeout_ms = 60000};
	struct sms_reassembler *r = sms_reassembler_alloc(t->ctx, &rcfg, concat_cb, whole);
	assert_non_null(r);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(t->rx[i].d.ud.concat.seq, order[i] + 1);
		sms_reassembler_add(r, &t->rx[i].d, NULL, (uint64_t)now_ms());
	}
	assert_string_equal(whole, text);
	sms_reassembler_free(r);
	check_exactly_once(t, 3);
	t_free(t);
}

/* The modem hangs while a submit is under way (modemsim: the submit dies with the
 * firmware): the command times out, the driver recovers and the message goes out once. */
static void test_hang_during_send(void **state)
{
	(void)state;
	struct t *t = t_new();
	t->sim = sim_start("--submit-ms", "600", "--deliver-ms", "0", NULL);
	assert_non_null(t->sim);
	struct modem *m = add_modem(t, 0, NULL);
	wait_ready(t, m);

	/* The PDU is with the modem, the submit under way, when its firmware freezes. */
	queue_text(m, 4, PHONE, "through a hang", false);
	run_until(t, NULL, NULL, 200);
	json_object_put(sim_ctl_ok(
	    t->sim, "{\"cmd\":\"fault\",\"modem\":\"modem0\",\"kind\":\"hang\",\"ms\":2500}"));
	assert_int_equal(t->n_sent, 0);
	assert_true(run_until(t, sent_at_least, (void *)1, 15000));
	assert_true(t->sent[0].ok);
	assert_true(t->recoveries_seen >= 1);
	run_until(t, NULL, NULL, 300);
	assert_int_equal(inbox_count(t, PHONE), 1);
	struct modem_info info;
	modem_info(m, &info);
	assert_true(info.recoveries >= 1);
	assert_int_equal(info.tx_count, 1);
	check_exactly_once(t, 0);
	t_free(t);
}

/* The port vanishes while a submit is in progress: after it returns the message goes
 * out once. A message for the modem that arrived meanwhile is swept. */
static void test_vanish_during_send(void **state)
{
	(void)state;
	struct t *t = t_new();
	t->sim = sim_start("--submit-ms", "600", "--deliver-ms", "0", NULL);
	assert_non_null(t->sim);
	struct modem *m = add_modem(t, 0, NULL);
	wait_ready(t, m);

	queue_text(m, 5, PHONE, "through a vanished port", false);
	run_until(t, NULL, NULL, 200);
	json_object_put(sim_ctl_ok(
	    t->sim, "{\"cmd\":\"fault\",\"modem\":\"modem0\",\"kind\":\"vanish\",\"ms\":700}"));
	phone_sends(t, PHONE, "while the port was gone");
	assert_true(run_until(t, sent_at_least, (void *)1, 10000));
	assert_true(t->sent[0].ok);
	assert_true(run_until(t, rx_at_least, (void *)1, 5000));
	run_until(t, NULL, NULL, 300);
	assert_int_equal(inbox_count(t, PHONE), 1);
	assert_true(t->recoveries_seen >= 1);
	check_exactly_once(t, 1);
	t_free(t);
}

static bool msg_outcome(struct t *t, uint64_t id, bool *ok, int *cms)
{
	for (int i = 0; i < t->n_sent; i++) {
		if (t->sent[i].msg_id == id) {
			*ok = t->sent[i].ok;
			*cms = t->sent[i].cms;
			return true;
		}
	}
	return false;
}

/* +CMS ERROR 42 twice then success; 500 once then success; 96 (permanent) once then
 * success — a lone permanent error may be another command's answer on a shared port, so
 * it is believed only the second time; 96 twice fails the message (both parts of a
 * two-part message reported failed, nothing sent). */
static void test_cms_error_retries(void **state)
{
	(void)state;
	struct t *t = t_new();
	t->sim = sim_start("--submit-ms", "10", "--deliver-ms", "0", NULL);
	assert_non_null(t->sim);
	struct modem *m = add_modem(t, 0, NULL);
	wait_ready(t, m);
	bool ok;
	int cms;

	json_object_put(sim_ctl_ok(t->sim, "{\"cmd\":\"fault\",\"modem\":\"modem0\","
					   "\"kind\":\"cms_error\",\"code\":42,\"count\":2}"));
	queue_text(m, 10, PHONE, "after congestion", false);
	assert_true(run_until(t, sent_at_least, (void *)1, 5000));
	assert_true(msg_outcome(t, 10, &ok, &cms) && ok);

	json_object_put(sim_ctl_ok(t->sim, "{\"cmd\":\"fault\",\"modem\":\"modem0\","
					   "\"kind\":\"cms_error\",\"code\":500,\"count\":1}"));
	queue_text(m, 11, PHONE, "after unknown error", false);
	assert_true(run_until(t, sent_at_least, (void *)2, 5000));
	assert_true(msg_outcome(t, 11, &ok, &cms) && ok);

	json_object_put(sim_ctl_ok(t->sim, "{\"cmd\":\"fault\",\"modem\":\"modem0\","
					   "\"kind\":\"cms_error\",\"code\":96,\"count\":1}"));
	queue_text(m, 13, PHONE, "after one refusal", false);
	assert_true(run_until(t, sent_at_least, (void *)3, 5000));
	assert_true(msg_outcome(t, 13, &ok, &cms) && ok);

	json_object_put(sim_ctl_ok(t->sim, "{\"cmd\":\"fault\",\"modem\":\"modem0\","
					   "\"kind\":\"cms_error\",\"code\":96,\"count\":2}"));
	char longtext[400] = "";
	for (int i = 0; i < 20; i++)
		strcat(longtext, "two parts. ");
	assert_int_equal(queue_text(m, 12, PHONE, longtext, false), 2);
	assert_true(run_until(t, sent_at_least, (void *)5, 5000));
	for (int i = 3; i < 5; i++) {
		assert_int_equal(t->sent[i].msg_id, 12);
		assert_false(t->sent[i].ok);
		assert_int_equal(t->sent[i].cms, 96);
		assert_int_equal(t->sent[i].part, (unsigned)(i - 3));
	}
	run_until(t, NULL, NULL, 200);
	assert_int_equal(inbox_count(t, PHONE), 3);
	struct json_object *st = sim_ctl_ok(t->sim, "{\"cmd\":\"status\"}");
	struct json_object *mods;
	json_object_object_get_ex(st, "modems", &mods);
	/* Three successful submits; the refused attempts sent nothing. */
	assert_int_equal(json_int(json_object_array_get_idx(mods, 0), "submitted"), 3);
	json_object_put(st);
	t_free(t);
}

/* Lanes: a reply queued behind two teams' broadcasts goes after the part in flight; the
 * teams' messages take turns; every part is offered for recording before it goes, once,
 * and its result comes after. */
static void test_lanes(void **state)
{
	(void)state;
	struct t *t = t_new();
	t->sim = sim_start("--submit-ms", "20", "--deliver-ms", "0", NULL);
	assert_non_null(t->sim);
	struct modem *m = add_modem(t, 0, NULL);
	wait_ready(t, m);
	struct modem_send_opts team_a = {MODEM_LANE_BULK, 1}, team_b = {MODEM_LANE_BULK, 2};
	struct modem_send_opts reply = {MODEM_LANE_CONVERSATION, 0};
	char text[64];

	for (int i = 0; i < 4; i++) {
		snprintf(text, sizeof(text), "team A %d", i);
		queue_text_opts(m, 100 + (uint64_t)i, PHONE, text, false, &team_a);
	}
	for (int i = 0; i < 4; i++) {
		snprintf(text, sizeof(text), "team B %d", i);
		queue_text_opts(m, 200 + (uint64_t)i, PHONE, text, false, &team_b);
	}
	queue_text_opts(m, 1, PHONE, "a reply", false, &reply);
	assert_true(run_until(t, sent_at_least, (void *)9, 5000));
	/* Team A's first was on its way when the rest were queued. */
	static const uint64_t order[] = {100, 1, 200, 101, 201, 102, 202, 103, 203};
	for (int i = 0; i < 9; i++) {
		assert_true(t->sent[i].ok);
		assert_int_equal(t->sent[i].msg_id, order[i]);
	}
	/* Recorded once each, and the reply recorded before it went. */
	assert_int_equal(t->n_submits, 9);
	for (int i = 0; i < 9; i++)
		for (int k = i + 1; k < 9; k++)
			assert_true(t->submits[i] != t->submits[k]);
	t_free(t);
}

/* Carrier pacing: a rate spaces the submits; a daily cap, counting what an earlier process
 * sent, stops them (and says so once) until it is raised; nothing is dropped. */
static void test_pacing(void **state)
{
	(void)state;
	struct t *t = t_new();
	t->sim = sim_start("--submit-ms", "0", "--deliver-ms", "0", NULL);
	assert_non_null(t->sim);
	struct modem *m = add_modem(t, 0, NULL);
	wait_ready(t, m);
	struct modem_pacing rate = {.per_minute = 600}; /* one each 100 ms */
	struct modem_info mi;
	char text[32];

	modem_set_pacing(m, &rate, NULL);
	long long t0 = now_ms();
	for (int i = 0; i < 4; i++) {
		snprintf(text, sizeof(text), "paced %d", i);
		queue_text(m, 300 + (uint64_t)i, PHONE, text, false);
	}
	assert_true(run_until(t, sent_at_least, (void *)4, 5000));
	assert_true(now_ms() - t0 >= 300); /* three gaps of at least 100 ms */

	/* Two sent an hour ago by an earlier process; the cap is four. */
	unsigned hours[24] = {0};
	hours[1] = 2;
	struct modem_pacing cap = {.daily_cap = 4};
	modem_set_pacing(m, &cap, hours);
	for (int i = 0; i < 3; i++) {
		snprintf(text, sizeof(text), "capped %d", i);
		queue_text(m, 400 + (uint64_t)i, PHONE, text, false);
	}
	assert_true(run_until(t, sent_at_least, (void *)6, 5000));
	run_until(t, NULL, NULL, 500);
	assert_int_equal(t->n_sent, 6); /* the third waits */
	assert_true(modem_paced(m));
	assert_int_equal(t->pacing_reached, 1);
	assert_int_equal(t->pacing_near, 0); /* 80 % and 100 % came together: told once */
	modem_info(m, &mi);
	assert_int_equal(mi.sent_24h, 4);
	assert_int_equal(mi.daily_cap, 4);
	assert_int_equal(mi.queue_len, 1);
	cap.daily_cap = 10;
	modem_set_pacing(m, &cap, NULL);
	assert_true(run_until(t, sent_at_least, (void *)7, 5000));
	assert_int_equal(t->sent[6].msg_id, 402);
	assert_false(modem_paced(m));
	t_free(t);
}

/* A full SIM: the filler is handed up and deleted, then a waiting message gets in. */
static void test_sim_full(void **state)
{
	(void)state;
	struct t *t = t_new();
	t->sim = sim_start("--submit-ms", "0", "--deliver-ms", "0", "--sim-slots", "8", NULL);
	assert_non_null(t->sim);
	struct modem *m = add_modem(t, 0, NULL);
	wait_ready(t, m);

	struct json_object *r =
	    sim_ctl_ok(t->sim, "{\"cmd\":\"fault\",\"modem\":\"modem0\",\"kind\":\"sim_full\"}");
	int filled = json_int(r, "filled");
	json_object_put(r);
	assert_int_equal(filled, 8);
	phone_sends(t, PHONE, "after the SIM was full");
	assert_true(run_until(t, archived_at_least, (void *)(intptr_t)(filled + 1), 8000));
	bool got_new = false;
	for (int i = 0; i < t->n_rx; i++)
		got_new |= strcmp(t->rx[i].d.ud.text, "after the SIM was full") == 0;
	assert_true(got_new);
	check_exactly_once(t, filled + 1);
	assert_int_equal(sim_used(t, "SM"), 0);
	t_free(t);
}

static bool sim_holds(struct t *t, void *arg)
{
	return sim_used(t, "SM") >= (int)(intptr_t)arg;
}

/* Messages that arrived while no driver ran are swept at start-up. */
static void test_stored_while_stopped(void **state)
{
	(void)state;
	struct t *t = t_new();
	t->sim = sim_start("--submit-ms", "0", "--deliver-ms", "0", NULL);
	assert_non_null(t->sim);

	/* The daemon runs once (stored delivery set up), then stops: the port is closed. */
	struct modem *m = add_modem(t, 0, NULL);
	wait_ready(t, m);
	modem_pool_free(t->pool);
	t->pool = modem_pool_alloc(t->ctx, &events, t);

	/* While it is down the modem stores what comes; its +CMTI reach nobody. */
	phone_sends(t, PHONE, "while down 1");
	phone_sends(t, PHONE, "while down 2");
	phone_sends(t, PHONE2, "while down 3");
	assert_true(run_until(t, sim_holds, (void *)3, 3000));

	m = add_modem(t, 0, NULL);
	wait_ready(t, m);
	/* Ready only after the sweep: all three are already handed up. */
	assert_int_equal(t->n_rx, 3);
	check_exactly_once(t, 3);
	assert_int_equal(sim_used(t, "SM"), 0);
	t_free(t);
}

/* Messages in a storage other than the profile's (the Quectel profile reads ME; after a
 * power cycle the modem stored into SM): set-up takes them from there before ready. */
static void test_other_storage_drained(void **state)
{
	(void)state;
	struct t *t = t_new();
	t->sim = sim_start("--model", "EC25", "--submit-ms", "0", "--deliver-ms", "0", NULL);
	assert_non_null(t->sim);
	phone_sends(t, PHONE, "in SM 1");
	phone_sends(t, PHONE2, "in SM 2");
	assert_true(run_until(t, sim_holds, (void *)2, 3000));

	struct modem *m = add_modem(t, 0, NULL);
	wait_ready(t, m);
	struct modem_info info;
	modem_info(m, &info);
	assert_string_equal(info.profile->storage, "ME");
	assert_int_equal(t->n_rx, 2);
	check_exactly_once(t, 2);
	assert_int_equal(sim_used(t, "SM"), 0);

	/* And what comes now is received the profile's way. */
	phone_sends(t, PHONE, "after");
	assert_true(run_until(t, archived_at_least, (void *)3, 5000));
	check_exactly_once(t, 3);
	t_free(t);
}

/* A commit later than the modem's acknowledgement timeout: +CNMA is refused, the modem
 * reset +CNMI, the health check re-applies it and sweeps; the network delivers the SMS
 * again, the driver hands it up again, and the upper layer recognises the copy. */
static void test_late_ack_resets_cnmi(void **state)
{
	(void)state;
	struct t *t = t_new();
	t->sim = sim_start("--model", "EC25", "--submit-ms", "0", "--deliver-ms", "0",
			   "--ack-timeout-ms", "300", NULL);
	assert_non_null(t->sim);
	struct modem *m = add_modem(t, 0, NULL);
	wait_ready(t, m);

	t->commit_delay_ms = 800;
	phone_sends(t, PHONE, "committed late");
	assert_true(run_until(t, rx_at_least, (void *)2, 8000));
	t->commit_delay_ms = 0;
	assert_int_equal(t->n_ledger, 1);
	assert_int_equal(t->ledger[0].handed, 2);
	/* +CNMI is back to what the profile wants. */
	run_until(t, NULL, NULL, 700);
	struct json_object *st = sim_ctl_ok(t->sim, "{\"cmd\":\"status\"}");
	struct json_object *mods, *cnmi;
	json_object_object_get_ex(st, "modems", &mods);
	json_object_object_get_ex(json_object_array_get_idx(mods, 0), "cnmi", &cnmi);
	assert_int_equal(json_object_get_int(json_object_array_get_idx(cnmi, 1)), 2);
	json_object_put(st);

	phone_sends(t, PHONE, "then on time");
	assert_true(run_until(t, archived_at_least, (void *)2, 5000));
	check_exactly_once(t, 2);
	t_free(t);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_direct_delivery),
	    cmocka_unit_test(test_stored_delivery),
	    cmocka_unit_test(test_message_mid_command),
	    cmocka_unit_test(test_concatenated_shuffled),
	    cmocka_unit_test(test_hang_during_send),
	    cmocka_unit_test(test_vanish_during_send),
	    cmocka_unit_test(test_cms_error_retries),
	    cmocka_unit_test(test_lanes),
	    cmocka_unit_test(test_pacing),
	    cmocka_unit_test(test_sim_full),
	    cmocka_unit_test(test_stored_while_stopped),
	    cmocka_unit_test(test_other_storage_drained),
	    cmocka_unit_test(test_late_ack_resets_cnmi),
	};
	void *log_ctx = talloc_named_const(NULL, 0, "log");

	if (argc > 1)
		harness_build_dir = argv[1];
	osmo_init_logging2(log_ctx, &chaperone_modem_log_info);
	log_set_print_category(osmo_stderr_target, 1);
	log_set_log_level(osmo_stderr_target, getenv("MODEM_DEBUG") ? LOGL_DEBUG : LOGL_ERROR);
	osmo_timer_setup(&tick, tick_cb, NULL);
	return cmocka_run_group_tests_name("modem driver", tests, NULL, NULL);
}
