/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* chaperoned and its modems: what arrives is recorded before it is acknowledged, then
 * reassembled and routed; what the router queues is encoded and handed to the modem of
 * its relay number.
 *
 * The order on receive is the "nothing lost" rule made concrete:
 *   1. the PDU is written to rx_pdus (committed: SQLite synchronous=FULL);
 *   2. only then modem_rx_committed() lets the modem delete or acknowledge it;
 *   3. the reassembled message is routed; if the daemon dies between 2 and 3, start-up
 *      finds the PDU unassembled (daemon_modems_recover) and routes it then. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/utils.h>

#include <talloc.h>

#include "gateway/daemon/chaperoned.h"
#include "storage/records/records.h"
#include "storage/records/records_journal.h"
#include "storage/model/phone_number.h"
#include "modem/sms/sms_error.h"
#include "modem/sms/sms_reassembly.h"
#include "modem/sms/sms_split.h"

/* The network sends a message again when our acknowledgement was lost: an identical
 * PDU within this window is a repeat, recorded and acknowledged but not routed again. */
#define DUP_WINDOW_MS (24LL * 3600 * 1000)
/* How long an incomplete concatenated message waits for its missing parts. */

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct daemon_modem *by_modem(struct chaperoned *d, const struct modem *m)
{
	struct daemon_modem *dm;

	llist_for_each_entry (dm, &d->modems, list)
		if (dm->modem == m)
			return dm;
	return NULL;
}

static struct daemon_modem *by_relay(struct chaperoned *d, const char *relay)
{
	struct daemon_modem *dm;

	llist_for_each_entry (dm, &d->modems, list)
		if (dm->relay_number && !strcmp(dm->relay_number, relay))
			return dm;
	return NULL;
}

/* The sender as the directory knows numbers: E.164 when it can be made one. */
static void sender_e164(char *out, size_t cap, const char *text, const char *cc)
{
	const char *why;

	if (text[0] == '+' || phone_normalize(out, cap, text, cc, &why) < 0)
		snprintf(out, cap, "%s", text);
}

/* ---- Receive ---- */

static void route(struct daemon_modem *dm, const struct sms_reassembled *msg, int64_t sent_at)
{
	struct chaperoned *d = g_daemon;
	struct router_inbound in = {0};
	int64_t ids[SMS_MAX_PARTS];
	char sender[64];
	unsigned n = 0;

	for (unsigned i = 0; i < msg->total && i < SMS_MAX_PARTS; i++)
		if (msg->tokens[i])
			ids[n++] = (int64_t)(intptr_t)msg->tokens[i];
	sender_e164(sender, sizeof(sender), msg->originator, d->country_code);
	in.at = store_now_ms();
	in.sent_at = sent_at;
	in.relay = dm->relay_number;
	in.modem = dm->name;
	in.sender = sender;
	in.text = msg->text;
	in.parts = msg->total;
	in.complete = msg->complete;
	in.rx_pdu_ids = ids;
	in.n_rx_pdu_ids = n;
	if (router_inbound(d->router, &in) < 0) {
		rate_ctr_inc(rate_ctr_group_get_ctr(d->ctrs, CTR_STORE_ERROR));
		LOGP(DRELAY, LOGL_ERROR,
		     "%s: message from %s could not be recorded; it is routed at next start\n",
		     dm->name, sender);
		return;
	}
	rate_ctr_inc(rate_ctr_group_get_ctr(d->ctrs, CTR_MSG_IN));
	LOGP(DRELAY, LOGL_INFO, "%s: message from %s (%u part%s) routed\n", dm->name, sender,
	     msg->total, msg->total == 1 ? "" : "s");
}

static void on_reassembled(const struct sms_reassembled *msg, void *data)
{
	struct daemon_modem *dm = data;
	int64_t sent_at = 0;

	for (unsigned i = 0; i < msg->total; i++)
		if (msg->parts[i]) {
			sent_at = (int64_t)sms_time_to_utc(&msg->parts[i]->scts) * 1000;
			break;
		}
	route(dm, msg, sent_at);
}

/* A status report: matched to the part it reports on in the same transaction that
 * records it, so that it is acknowledged only once both are in the archive. */
static int64_t record_report(struct chaperoned *d, struct daemon_modem *dm,
			     const struct modem_rx *rx)
{
	int64_t now = store_now_ms(), id;
	char to[64];

	if (store_begin(d->store) < 0)
		return -1;
	id = rec_rx_pdu_add(d->store, now, dm->name, dm->relay_number, true, rx->pdu_hex,
			    rx->decode_rc, DUP_WINDOW_MS, NULL);
	if (id > 0 && rx->decode_rc == 0 && rx->report) {
		const struct sms_status_report *sr = rx->report;

		sender_e164(to, sizeof(to), sr->recipient.text, d->country_code);
		if (router_status_report(d->router, id, dm->name, sr->mr, to, sr->status, now) < 0)
			id = -1;
		else if (sms_status_is_delivered(sr->status))
			rate_ctr_inc(rate_ctr_group_get_ctr(d->ctrs, CTR_PART_DELIVERED));
	}
	if (id <= 0 || store_commit(d->store) < 0) {
		store_rollback(d->store);
		return -1;
	}
	return id;
}

static void on_rx(struct modem *m, const struct modem_rx *rx, void *data)
{
	struct chaperoned *d = data;
	struct daemon_modem *dm = by_modem(d, m);
	bool report = rx->kind == MODEM_RX_STATUS_REPORT;
	int64_t id, dup = 0;

	if (!dm)
		return;
	rate_ctr_inc(rate_ctr_group_get_ctr(d->ctrs, CTR_PDU_IN));
	if (report)
		id = record_report(d, dm, rx);
	else
		id = rec_rx_pdu_add(d->store, store_now_ms(), dm->name, dm->relay_number, false,
				    rx->pdu_hex, rx->decode_rc, DUP_WINDOW_MS, &dup);
	if (id <= 0) {
		/* Not recorded, so not acknowledged: the modem keeps it and we see it again. */
		rate_ctr_inc(rate_ctr_group_get_ctr(d->ctrs, CTR_STORE_ERROR));
		LOGP(DSTORE, LOGL_ERROR, "%s: cannot record a PDU (%s); leaving it on the modem\n",
		     dm->name, store_errmsg(d->store));
		return;
	}
	modem_rx_committed(m, rx->token);
	if (report)
		return;
	if (dup) {
		rate_ctr_inc(rate_ctr_group_get_ctr(d->ctrs, CTR_PDU_DUP));
		LOGP(DRELAY, LOGL_INFO,
		     "%s: PDU %" PRId64 " repeats PDU %" PRId64 "; not routed again\n", dm->name,
		     id, dup);
		return;
	}
	if (rx->decode_rc || !rx->deliver) {
		/* Undecodable: a message of its own, from nobody, that the router records. */
		struct sms_reassembled msg = {0};
		void *tok[1] = {(void *)(intptr_t)id};
		const struct sms_deliver *parts[1] = {NULL};
		msg.originator = "";
		msg.total = 1;
		msg.text = "";
		msg.parts = parts;
		msg.tokens = tok;
		route(dm, &msg, 0);
		return;
	}
	sms_reassembler_add(dm->reasm, rx->deliver, (void *)(intptr_t)id, mono_ms());
}

static struct daemon_tx *tx_find(struct chaperoned *d, int64_t delivery_id)
{
	struct daemon_tx *t;

	hash_for_each_possible (d->tx, t, node, (uint64_t)delivery_id)
		if (t->delivery_id == delivery_id)
			return t;
	return NULL;
}

static int on_part_submit(struct modem *m, uint64_t msg_id, unsigned part, void *data)
{
	struct chaperoned *d = data;
	struct daemon_modem *dm = by_modem(d, m);
	struct daemon_tx *t = tx_find(d, (int64_t)msg_id);
	int rc;

	if (!dm || !t)
		return -1;
	rc = router_part_submit(d->router, (int64_t)msg_id, dm->name, part + 1, t->parts, t->ref);
	if (rc < 0) {
		rate_ctr_inc(rate_ctr_group_get_ctr(d->ctrs, CTR_STORE_ERROR));
		LOGP(DSTORE, LOGL_ERROR,
		     "%s: cannot record the submit of delivery %" PRIu64 " part %u: %s\n", dm->name,
		     msg_id, part + 1, store_errmsg(d->store));
		return -1;
	}
	if (rc == 1) {
		rate_ctr_inc(rate_ctr_group_get_ctr(d->ctrs, CTR_PART_RESENT));
		LOGP(DRELAY, LOGL_NOTICE,
		     "%s: delivery %" PRIu64 " part %u sent again; its earlier submit's fate is"
		     " unknown, so the phone may get it twice (recorded)\n",
		     dm->name, msg_id, part + 1);
	}
	return 0;
}

/* A part's result and the next part's submit, recorded while the modem submits: one
 * commit for both. */
static int on_batch(struct modem *m, bool begin, void *data)
{
	struct chaperoned *d = data;

	(void)m;
	if (begin)
		return store_begin(d->store);
	if (store_commit(d->store) < 0) {
		store_rollback(d->store);
		rate_ctr_inc(rate_ctr_group_get_ctr(d->ctrs, CTR_STORE_ERROR));
		LOGP(DSTORE, LOGL_ERROR, "cannot record what was sent: %s\n",
		     store_errmsg(d->store));
		return -1;
	}
	return 0;
}

static void on_part_retry(struct modem *m, uint64_t msg_id, unsigned part, int cms_error,
			  void *data)
{
	struct chaperoned *d = data;
	struct daemon_modem *dm = by_modem(d, m);

	router_part_retry(d->router, (int64_t)msg_id, dm ? dm->name : NULL, part + 1, cms_error);
}

static void on_part_unsent(struct modem *m, uint64_t msg_id, unsigned part, void *data)
{
	struct chaperoned *d = data;
	struct daemon_modem *dm = by_modem(d, m);

	router_part_unsent(d->router, (int64_t)msg_id, dm ? dm->name : NULL, part + 1,
			   "not sent: chaperoned stopped first; it goes at the next start");
}

static void on_part_sent(struct modem *m, uint64_t msg_id, unsigned part, bool ok, uint8_t mr,
			 int cms_error, void *data)
{
	struct chaperoned *d = data;
	struct daemon_modem *dm = by_modem(d, m);
	struct daemon_tx *t = tx_find(d, (int64_t)msg_id);

	rate_ctr_inc(rate_ctr_group_get_ctr(d->ctrs, ok ? CTR_PART_SENT : CTR_PART_FAILED));
	router_part_sent(d->router, (int64_t)msg_id, dm ? dm->name : NULL, part + 1, ok, mr,
			 cms_error);
	if (t && --t->left == 0) {
		hash_del(&t->node);
		talloc_free(t);
	}
}

struct mark_waiting {
	struct daemon_modem *dm;
	const char *why;
};

static void mark_waiting(const struct rec_delivery_row *row, void *data)
{
	struct mark_waiting *mw = data;

	if (strcmp(row->relay, mw->dm->relay_number))
		return;
	/* Only the record lags: the delivery is on the modem's queue either way. */
	if (rec_delivery_event(g_daemon->store, row->id, store_now_ms(), REC_ST_WAITING,
			       mw->dm->name, -1, -1, mw->why) < 0) {
		rate_ctr_inc(rate_ctr_group_get_ctr(g_daemon->ctrs, CTR_STORE_ERROR));
		LOGP(DSTORE, LOGL_ERROR, "%s: cannot record delivery %" PRId64 " as waiting: %s\n",
		     mw->dm->name, row->id, store_errmsg(g_daemon->store));
	}
}

/* Record the deliveries queued on dm's relay number as waiting, and why: one commit for
 * the lot, not one fsync per delivery. */
static void queued_now_waiting(struct chaperoned *d, struct daemon_modem *dm, const char *why)
{
	struct mark_waiting mw = {dm, why};
	bool txn;

	if (!d->store)
		return;
	txn = store_begin(d->store) == 0;
	rec_deliveries_in_status(d->store, REC_ST_QUEUED, 0, mark_waiting, &mw);
	if (txn && store_commit(d->store) < 0)
		LOGP(DSTORE, LOGL_ERROR, "cannot record waiting deliveries: %s\n",
		     store_errmsg(d->store));
}

/* A modem not ready for alert_modem_down_s: the contacts are texted (daemon_alert). */
static void down_cb(void *data)
{
	struct daemon_modem *dm = data;
	struct chaperoned *d = g_daemon;
	int64_t secs = (store_now_ms() - dm->down_since) / 1000;
	char text[256], took[32];

	if (d->stopping)
		return;
	if (secs < 120)
		snprintf(took, sizeof(took), "%lld s", (long long)secs);
	else
		snprintf(took, sizeof(took), "%lld min", (long long)(secs / 60));
	snprintf(text, sizeof(text),
		 "%s (%s) has not been ready for %s (%s). Texts to and from that number "
		 "wait; none is lost. Check its USB cable, SIM and signal (chaperone modem probe).",
		 dm->name, dm->relay_number, took,
		 dm->modem ? modem_state_name(modem_get_state(dm->modem)) : "not started");
	dm->down_alerted = true;
	daemon_alert(d, dm, text);
}

/* Up or down: the alert's clock. */
static void watch_down(struct chaperoned *d, struct daemon_modem *dm, enum modem_state st)
{
	char text[192];

	if (st == MODEM_ST_READY) {
		osmo_timer_del(&dm->down_timer);
		if (dm->down_alerted) {
			snprintf(text, sizeof(text), "%s (%s) is ready again after %lld s.",
				 dm->name, dm->relay_number,
				 (long long)((store_now_ms() - dm->down_since) / 1000));
			daemon_alert_clear(d, dm, text);
		}
		dm->down_since = 0;
		dm->down_alerted = false;
		return;
	}
	if (d->stopping || !d->alert_modem_down_s || dm->down_since)
		return;
	dm->down_since = store_now_ms();
	osmo_timer_setup(&dm->down_timer, down_cb, dm);
	osmo_timer_schedule(&dm->down_timer, (int)d->alert_modem_down_s, 0);
}

static void on_state(struct modem *m, enum modem_state st, void *data)
{
	struct chaperoned *d = data;
	struct daemon_modem *dm = by_modem(d, m);

	/* A state it was in since it was last ready is a retry (of a port that is missing,
	 * a modem that does not answer): the driver logs the reason once, at ERROR. */
	if (dm && st != MODEM_ST_READY && (dm->states_seen & (1u << st)))
		LOGP(DMODEM, LOGL_DEBUG, "%s: %s (again)\n", dm->name, modem_state_name(st));
	else
		LOGP(DMODEM, LOGL_NOTICE, "%s: %s\n", dm ? dm->name : "?", modem_state_name(st));
	if (dm)
		dm->states_seen = st == MODEM_ST_READY ? 0 : dm->states_seen | (1u << st);
	if (dm) {
		watch_down(d, dm, st);
		daemon_ctrl_modem_state(dm, st);
	}
	/* Its queue waits for it: say so in the records of what was queued on it. */
	if (dm && st == MODEM_ST_RECOVERING)
		queued_now_waiting(d, dm, "modem recovering");
	/* Deliveries recorded as waiting while it was down are on its queue already; a poll
	 * records nothing new but picks up anything queued meanwhile. */
	if (st == MODEM_ST_READY && d->router)
		router_poll(d->router, store_now_ms());
}

static void on_pacing(struct modem *m, unsigned used, unsigned cap, bool reached, void *data)
{
	struct chaperoned *d = data;
	struct daemon_modem *dm = by_modem(d, m);
	char text[256];

	if (!dm)
		return;
	snprintf(text, sizeof(text),
		 reached ? "%s (%s) has sent its daily cap of %u texts in 24 hours; further texts "
			   "wait, none is lost. Raise daily-cap or add a SIM."
			 : "%s (%s) has sent %u of its daily cap of %u texts in 24 hours.",
		 dm->name, dm->relay_number, reached ? cap : used, cap);
	/* Its queue waits for the cap: say so in the records of what was queued. */
	if (reached)
		queued_now_waiting(d, dm, "pacing: the relay number's daily cap is reached");
	daemon_alert(d, dm, text);
}

static const struct modem_events events = {
    .on_rx = on_rx,
    .on_part_submit = on_part_submit,
    .on_batch = on_batch,
    .on_part_retry = on_part_retry,
    .on_part_unsent = on_part_unsent,
    .on_part_sent = on_part_sent,
    .on_pacing = on_pacing,
    .on_state = on_state,
    .on_call = daemon_on_call,
    .on_audio = daemon_on_audio,
    .on_dtmf = daemon_on_dtmf,
};

int daemon_modems_start(struct chaperoned *d)
{
	struct daemon_modem *dm;
	struct sms_reassembler_config rc = {.timeout_ms = daemon_timer_ms(DAEMON_T_REASSEMBLY)};

	hash_init(d->tx);
	d->pool = modem_pool_alloc(d->ctx, &events, d);
	llist_for_each_entry (dm, &d->modems, list) {
		struct modem_config mc = {0};
		if (!dm->device || !dm->relay_number) {
			LOGP(DMODEM, LOGL_ERROR, "modem %s: needs a device and a relay-number\n",
			     dm->name);
			return -1;
		}
		dm->reasm = sms_reassembler_alloc(dm, &rc, on_reassembled, dm);
		mc.name = dm->name;
		mc.device = dm->device;
		mc.relay_number = dm->relay_number;
		mc.profile = dm->profile;
		mc.sim_pin = dm->sim_pin;
		dm->modem = modem_pool_add(d->pool, &mc);
		if (!dm->modem) {
			LOGP(DMODEM, LOGL_ERROR,
			     "modem %s: cannot start (check the profile name)\n", dm->name);
			return -1;
		}
		/* Not ready yet: a modem that never comes up is alerted about too. */
		if (modem_get_state(dm->modem) != MODEM_ST_READY)
			watch_down(d, dm, modem_get_state(dm->modem));
		if (dm->per_minute || dm->daily_cap) {
			/* The cap counts what an earlier process sent too. */
			struct modem_pacing p = {dm->per_minute, dm->daily_cap};
			unsigned hours[24];

			if (rec_submits_by_hour(d->store, dm->name, store_now_ms(), hours) < 0) {
				LOGP(DSTORE, LOGL_ERROR, "modem %s: cannot count its sends: %s\n",
				     dm->name, store_errmsg(d->store));
				return -1;
			}
			modem_set_pacing(dm->modem, &p, hours);
		}
	}
	return 0;
}

static void recover_pdu(int64_t id, int64_t at, const char *modem, const char *relay,
			const char *pdu_hex, void *data)
{
	struct chaperoned *d = data;
	struct daemon_modem *dm = by_relay(d, relay);
	uint8_t pdu[SMS_PDU_MAX];
	struct sms_deliver deliver;
	int len = sms_hex_decode(pdu, sizeof(pdu), pdu_hex, strlen(pdu_hex));

	(void)at;
	(void)modem;
	if (!dm) {
		LOGP(DRELAY, LOGL_ERROR,
		     "PDU %" PRId64 " was received on %s, which no modem serves now\n", id, relay);
		return;
	}
	if (len <= 0 || sms_deliver_decode(&deliver, pdu, (size_t)len, true) < 0) {
		struct sms_reassembled msg = {0};
		void *tok[1] = {(void *)(intptr_t)id};
		const struct sms_deliver *parts[1] = {NULL};
		msg.originator = "";
		msg.total = 1;
		msg.text = "";
		msg.parts = parts;
		msg.tokens = tok;
		route(dm, &msg, 0);
		return;
	}
	sms_reassembler_add(dm->reasm, &deliver, (void *)(intptr_t)id, mono_ms());
}

int daemon_modems_recover(struct chaperoned *d)
{
	return rec_rx_pdus_unassembled(d->store, recover_pdu, d);
}

void daemon_modems_expire(struct chaperoned *d)
{
	struct daemon_modem *dm;

	llist_for_each_entry (dm, &d->modems, list)
		if (dm->reasm)
			sms_reassembler_expire(dm->reasm, mono_ms());
}

/* ---- Send ---- */

_Static_assert((int)ROUTER_LANE_URGENT == (int)MODEM_LANE_URGENT &&
		   (int)ROUTER_LANE_CONVERSATION == (int)MODEM_LANE_CONVERSATION &&
		   (int)ROUTER_LANE_BULK == (int)MODEM_LANE_BULK,
	       "the router's lanes are the driver's");

static enum router_send_result transport_send(const struct router_send *o, const char **why,
					      void *data)
{
	struct chaperoned *d = data;
	struct daemon_modem *dm = by_relay(d, o->relay);
	struct sms_user_data *ud;
	struct sms_submit sub = {0};
	struct pdu_buf {
		uint8_t b[SMS_PDU_MAX];
	} * pdus;
	const uint8_t *ptrs[SMS_MAX_PARTS];
	size_t lens[SMS_MAX_PARTS];
	unsigned nos[SMS_MAX_PARTS], k = 0;
	struct sms_split_info info;
	struct daemon_tx *t = NULL;
	/* The router's lanes are the driver's, in the same order. */
	struct modem_send_opts opts = {.lane = (enum modem_lane)o->lane,
				       .group = (uint64_t)o->group};
	int n, rc = 0, ref;
	enum router_send_result res = ROUTER_SEND_QUEUED;

	if (!dm || !dm->modem) {
		*why = "no modem serves this relay number";
		return ROUTER_SEND_FAILED;
	}
	if (!o->to || sms_address_from_text(&sub.destination, o->to) < 0) {
		*why = "recipient number cannot be addressed";
		return ROUTER_SEND_FAILED;
	}
	ud = talloc_zero_array(d, struct sms_user_data, SMS_MAX_PARTS);
	pdus = talloc_zero_array(d, struct pdu_buf, SMS_MAX_PARTS);
	/* A long message takes the next 16-bit reference towards its number: parts of one
	 * message never combine with another's on the phone. One that went part of the way
	 * before a restart keeps its reference, so that the rest complete it. */
	ref = o->ref;
	if (ref < 0 && sms_split_measure_ref(&info, o->body, strlen(o->body), true) == 0 &&
	    info.parts > 1)
		ref = router_concat_ref(d->router, o->to);
	n = sms_split_utf8_ref(ud, SMS_MAX_PARTS, o->body, strlen(o->body),
			       (uint16_t)(ref < 0 ? 0 : ref), true);
	if (n <= 0) {
		*why = n == SMS_ERR_CONCAT_LIMIT ? "text needs more than 255 parts"
						 : "text cannot be encoded";
		talloc_free(ud);
		talloc_free(pdus);
		return ROUTER_SEND_FAILED;
	}
	sub.status_report_request = true;
	sub.vpf = SMS_VPF_RELATIVE;
	sub.vp_relative = sms_vp_relative_from_minutes(3 * 24 * 60);
	for (int i = 0; i < n && rc >= 0; i++) {
		if (o->done && (o->done[i / 8] >> (i % 8) & 1))
			continue; /* went out before a restart */
		sub.ud = ud[i];
		sub.dcs = sms_dcs_for(ud[i].alphabet, false, 0);
		rc = sms_submit_encode(pdus[k].b, SMS_PDU_MAX, &sub, true);
		ptrs[k] = pdus[k].b;
		lens[k] = rc > 0 ? (size_t)rc : 0;
		nos[k++] = (unsigned)i;
	}
	/* Before the driver has it: it may offer the first part for recording at once. */
	if (k && rc >= 0 && !tx_find(d, o->delivery_id)) {
		t = talloc_zero(d->ctx, struct daemon_tx);
		t->delivery_id = o->delivery_id;
		t->parts = (unsigned)n;
		t->ref = n > 1 ? ref : -1;
		t->left = k;
		hash_add(d->tx, &t->node, (uint64_t)o->delivery_id);
	}
	if (rc < 0 || !k ||
	    modem_send_parts(dm->modem, (uint64_t)o->delivery_id, ptrs, lens, nos, k, &opts) < 0) {
		if (t) {
			hash_del(&t->node);
			talloc_free(t);
		}
		*why = "cannot be encoded or queued";
		res = ROUTER_SEND_FAILED;
	} else if (modem_get_state(dm->modem) != MODEM_ST_READY) {
		/* The router copies it into the record before the next send. */
		static char waiting[96];
		snprintf(waiting, sizeof(waiting), "modem %s is %s", dm->name,
			 modem_state_name(modem_get_state(dm->modem)));
		*why = waiting;
		res = ROUTER_SEND_WAITING;
	} else if (modem_paced(dm->modem)) {
		*why = "pacing: the relay number's daily cap is reached";
		res = ROUTER_SEND_WAITING;
	}
	rate_ctr_inc(rate_ctr_group_get_ctr(d->ctrs, CTR_MSG_OUT));
	LOGP(DRELAY, LOGL_INFO, "delivery %" PRId64 " to %s via %s: %d part%s%s\n", o->delivery_id,
	     o->to, dm->name, n, n == 1 ? "" : "s", res == ROUTER_SEND_WAITING ? " (waiting)" : "");
	talloc_free(ud);
	talloc_free(pdus);
	return res;
}

static unsigned transport_call_lines(unsigned *total, void *data)
{
	return daemon_flow_lines(data, total);
}

static void transport_place_call(const struct router_call_order *o, void *data)
{
	daemon_flow_place(data, o);
}

const struct router_transport daemon_transport = {
    .send = transport_send,
    .call_lines = transport_call_lines,
    .place_call = transport_place_call,
};
