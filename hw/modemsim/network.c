/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* SMSC and routing: submits to phones and modems, delivery delays, re-delivery,
 * status reports. See network.h. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "hw/modemsim/at_sms.h"
#include "hw/modemsim/sim_modem.h"
#include "hw/modemsim/modemsim.h"
#include "hw/modemsim/network.h"
#include "hw/modemsim/phone.h"
#include "modem/sms/sms_split.h"

/* A message the modem did not take (no +CNMA, RP-ERROR, port gone) is tried again
 * after the delivery delay, but never sooner than this: an SC does not hammer. */
#define NET_RETRY_MIN_MS 1000

/* TP-ST when the destination phone cannot be reached (TS 23.040 §9.2.3.15): permanent
 * error, the SC gives up at once instead of waiting out the validity period. */
#define TP_ST_DELIVERED	  0x00
#define TP_ST_UNREACHABLE 0x46

/* A SUBMIT on its way to a simulated phone. */
struct net_transfer {
	struct llist_head list;
	struct network *net;
	struct sim_modem *from; /* NULL once that modem is gone */
	struct phone *to;
	struct sms_submit *submit;
	uint8_t pdu[SMS_PDU_MAX];
	size_t len;
	uint8_t mr;
	time_t submitted_at;
	struct osmo_timer_list timer;
};

static void schedule_ms(struct osmo_timer_list *t, unsigned ms)
{
	osmo_timer_schedule(t, ms / 1000, (ms % 1000) * 1000);
}

void net_now_scts(struct sms_time *t, time_t when)
{
	struct tm tm;
	int tz;

	localtime_r(&when, &tm);
	/* SCTS zones are quarter hours. */
	tz = (int)(tm.tm_gmtoff / 60);
	tz -= tz % 15;
	sms_time_from_utc(t, when, tz);
}

size_t net_with_smsc(const struct network *net, uint8_t *out, size_t cap, const uint8_t *tpdu,
		     size_t tpdu_len)
{
	size_t n = net->smsc_prefix_len;

	if (n > cap)
		return 0;
	memcpy(out, net->smsc_prefix, n);
	if (tpdu_len > cap - n)
		tpdu_len = cap - n;
	memcpy(out + n, tpdu, tpdu_len);
	return n + tpdu_len;
}

/* ---- mobile-terminated queue ---- */

static void msg_due_cb(void *data)
{
	struct net_msg *msg = data;

	msg->ready = true;
	net_kick(msg->dest);
}

static struct net_msg *msg_new(struct network *net, struct sim_modem *dest, enum net_msg_kind kind,
			       const uint8_t *tpdu, size_t len, unsigned delay_ms)
{
	struct net_msg *msg = talloc_zero(net, struct net_msg);

	if (!msg)
		return NULL;
	msg->net = net;
	msg->dest = dest;
	msg->kind = kind;
	if (len > sizeof(msg->tpdu))
		len = sizeof(msg->tpdu);
	memcpy(msg->tpdu, tpdu, len);
	msg->tpdu_len = len;
	osmo_timer_setup(&msg->timer, msg_due_cb, msg);
	llist_add_tail(&msg->list, &net->msgs);
	if (delay_ms == 0) {
		msg->ready = true;
		net_kick(dest);
	} else {
		schedule_ms(&msg->timer, delay_ms);
	}
	return msg;
}

static void msg_free(struct net_msg *msg)
{
	osmo_timer_del(&msg->timer);
	llist_del(&msg->list);
	talloc_free(msg);
}

static void queue_status_report(struct network *net, struct sim_modem *to, uint8_t mr,
				const struct sms_address *recipient, time_t submitted,
				time_t discharged, uint8_t st)
{
	struct sms_status_report *r = talloc_zero(net, struct sms_status_report);
	uint8_t tpdu[SMS_PDU_MAX];
	int n;

	if (!r)
		return;
	r->mr = mr;
	r->recipient = *recipient;
	net_now_scts(&r->scts, submitted);
	net_now_scts(&r->discharge, discharged);
	r->status = st;
	n = sms_status_report_encode(tpdu, sizeof(tpdu), r, false);
	talloc_free(r);
	if (n < 0) {
		LOGP(DNET, LOGL_ERROR, "cannot encode status report: %s\n", sms_strerror(n));
		return;
	}
	LOGP(DNET, LOGL_INFO, "status report for %s TP-MR %u: %s (0x%02x)\n", to->name, mr,
	     sms_status_name(st), st);
	msg_new(net, to, NET_MSG_STATUS_REPORT, tpdu, (size_t)n, to->deliver_ms);
}

/* The modem has the message: count it, report back if the sender asked. */
static void delivered(struct network *net, struct sim_modem *m, struct net_msg *msg)
{
	if (msg->kind == NET_MSG_DELIVER)
		m->received++;
	if (msg->srr && msg->report_to)
		queue_status_report(net, msg->report_to, msg->report_mr, &msg->report_recipient,
				    msg->submitted_at, time(NULL), TP_ST_DELIVERED);
	msg_free(msg);
}

void net_kick(struct sim_modem *m)
{
	osmo_timer_schedule(&m->kick_timer, 0, 0);
}

void net_kick_cb(void *data)
{
	struct sim_modem *m = data;
	struct network *net = m->sim->net;
	struct net_msg *msg, *tmp;

	llist_for_each_entry_safe (msg, tmp, &net->msgs, list) {
		enum mt_result res;

		if (msg->dest != m || !msg->ready || msg->in_flight)
			continue;
		/* One transaction at a time: nothing more while a +CNMA is owed. */
		if (m->awaiting_ack)
			return;
		res = at_sms_offer(m, msg);
		switch (res) {
		case MT_ACCEPTED:
			delivered(net, m, msg);
			/* `tmp` may be a report just queued for this modem; still valid. */
			break;
		case MT_AWAITING_ACK:
			msg->in_flight = true;
			return;
		case MT_REFUSED:
			/* Kept; a later message may still go (a +CDS while storage is full). */
			break;
		}
	}
}

void net_mt_acked(struct sim_modem *m, struct net_msg *msg)
{
	msg->in_flight = false;
	delivered(m->sim->net, m, msg);
	net_kick(m);
}

void net_mt_failed(struct sim_modem *m, struct net_msg *msg)
{
	unsigned delay = m->deliver_ms < NET_RETRY_MIN_MS ? NET_RETRY_MIN_MS : m->deliver_ms;

	LOGP(DNET, LOGL_INFO, "%s: message not taken, delivering again in %u ms\n", m->name, delay);
	msg->in_flight = false;
	msg->ready = false;
	schedule_ms(&msg->timer, delay);
}

unsigned net_pending_for(const struct network *net, const struct sim_modem *m)
{
	const struct net_msg *msg;
	unsigned n = 0;

	llist_for_each_entry (msg, &net->msgs, list) {
		if (msg->dest == m && !msg->in_flight)
			n++;
	}
	return n;
}

/* ---- mobile-originated ---- */

static void transfer_free(struct net_transfer *t)
{
	osmo_timer_del(&t->timer);
	llist_del(&t->list);
	talloc_free(t);
}

static void transfer_due_cb(void *data)
{
	struct net_transfer *t = data;
	struct network *net = t->net;
	uint8_t st = TP_ST_DELIVERED;

	if (t->to->reachable) {
		phone_receive(t->to, t->from ? t->from->msisdn : "", t->submit, t->pdu, t->len);
	} else {
		LOGP(DNET, LOGL_INFO, "phone %s unreachable, message not delivered\n",
		     t->to->number);
		st = TP_ST_UNREACHABLE;
	}
	if (t->submit->status_report_request && t->from)
		queue_status_report(net, t->from, t->mr, &t->submit->destination, t->submitted_at,
				    time(NULL), st);
	transfer_free(t);
}

static struct sim_modem *sim_modem_by_number(struct network *net, const struct sms_address *a)
{
	if (a->ton == SMS_TON_ALPHANUMERIC)
		return NULL;
	for (unsigned i = 0; i < net->sim->n_modems; i++) {
		if (number_equal(net->sim->modems[i]->msisdn, a->text))
			return net->sim->modems[i];
	}
	return NULL;
}

static void submit_to_phone(struct network *net, struct sim_modem *from, const struct sms_submit *s,
			    const uint8_t *pdu, size_t len, uint8_t mr, time_t now)
{
	struct net_transfer *t = talloc_zero(net, struct net_transfer);

	if (!t)
		return;
	t->net = net;
	t->from = from;
	t->to = phone_get(net, s->destination.text);
	t->submit = talloc_memdup(t, s, sizeof(*s));
	if (!t->to || !t->submit || len > sizeof(t->pdu)) {
		talloc_free(t);
		return;
	}
	memcpy(t->pdu, pdu, len);
	t->len = len;
	t->mr = mr;
	t->submitted_at = now;
	osmo_timer_setup(&t->timer, transfer_due_cb, t);
	llist_add_tail(&t->list, &net->transfers);
	LOGP(DNET, LOGL_INFO, "%s -> phone %s: SMS TP-MR %u\n", from->name, t->to->number, mr);
	schedule_ms(&t->timer, from->deliver_ms);
}

static void submit_to_modem(struct network *net, struct sim_modem *from, struct sim_modem *dest,
			    const struct sms_submit *s, uint8_t mr, time_t now)
{
	struct sms_deliver *d = talloc_zero(net, struct sms_deliver);
	uint8_t tpdu[SMS_PDU_MAX];
	struct net_msg *msg;
	int n;

	if (!d)
		return;
	/* The SC turns the SUBMIT into a DELIVER: same user data, the sender as originator,
	 * its own time stamp. */
	sms_address_from_text(&d->originator, from->msisdn);
	d->pid = s->pid;
	d->ud = s->ud;
	d->reply_path = s->reply_path;
	d->status_report_ind = s->status_report_request;
	net_now_scts(&d->scts, now);
	n = sms_deliver_encode(tpdu, sizeof(tpdu), d, false);
	talloc_free(d);
	if (n < 0) {
		LOGP(DNET, LOGL_ERROR, "%s -> %s: cannot encode DELIVER: %s\n", from->name,
		     dest->name, sms_strerror(n));
		return;
	}
	LOGP(DNET, LOGL_INFO, "%s -> %s: SMS TP-MR %u\n", from->name, dest->name, mr);
	msg = msg_new(net, dest, NET_MSG_DELIVER, tpdu, (size_t)n, from->deliver_ms);
	if (msg && s->status_report_request) {
		msg->srr = true;
		msg->report_to = from;
		msg->report_mr = mr;
		msg->report_recipient = s->destination;
		msg->submitted_at = now;
	}
}

void net_submit(struct network *net, struct sim_modem *from, const struct sms_submit *s,
		const uint8_t *pdu, size_t len, uint8_t mr)
{
	struct sim_modem *dest = sim_modem_by_number(net, &s->destination);

	if (dest)
		submit_to_modem(net, from, dest, s, mr, time(NULL));
	else
		submit_to_phone(net, from, s, pdu, len, mr, time(NULL));
}

int net_send_text(struct network *net, const char *from, struct sim_modem *to, const char *text,
		  size_t len, bool class0)
{
	struct sms_user_data *parts = talloc_array(net, struct sms_user_data, SMS_MAX_PARTS);
	struct sms_deliver *d = talloc_zero(net, struct sms_deliver);
	uint8_t(*tpdus)[SMS_PDU_MAX] = talloc_size(net, SMS_MAX_PARTS * SMS_PDU_MAX);
	size_t lens[SMS_MAX_PARTS];
	time_t now = time(NULL);
	int n, rc;

	if (!parts || !d || !tpdus) {
		n = SMS_ERR_ARG;
		goto out;
	}
	n = sms_address_from_text(&d->originator, from);
	if (n < 0)
		goto out;
	n = sms_split_utf8(parts, SMS_MAX_PARTS, text, len, net->next_concat_ref++);
	if (n < 0)
		goto out;
	/* Encode every part before queueing any: all or nothing. */
	for (int i = 0; i < n; i++) {
		d->ud = parts[i];
		if (class0) {
			d->ud.has_class = true;
			d->ud.msg_class = 0;
		}
		d->more_messages = i + 1 < n;
		net_now_scts(&d->scts, now);
		rc = sms_deliver_encode(tpdus[i], SMS_PDU_MAX, d, false);
		if (rc < 0) {
			n = rc;
			goto out;
		}
		lens[i] = (size_t)rc;
	}
	for (int i = 0; i < n; i++)
		msg_new(net, to, NET_MSG_DELIVER, tpdus[i], lens[i], to->deliver_ms);
	LOGP(DNET, LOGL_INFO, "phone %s -> %s: %d part(s)\n", from, to->name, n);
out:
	talloc_free(parts);
	talloc_free(d);
	talloc_free(tpdus);
	return n;
}

int net_send_pdu(struct network *net, struct sim_modem *to, const uint8_t *tpdu, size_t len)
{
	if (len == 0 || len + net->smsc_prefix_len > SMS_PDU_MAX)
		return SMS_ERR_TOO_LONG;
	if (!msg_new(net, to, NET_MSG_DELIVER, tpdu, len, to->deliver_ms))
		return SMS_ERR_ARG;
	return 1;
}

/* ---- lifetime ---- */

struct network *net_alloc(void *ctx, struct simulator *sim, const char *smsc)
{
	struct network *net = talloc_zero(ctx, struct network);
	int n;

	if (!net)
		return NULL;
	net->sim = sim;
	INIT_LLIST_HEAD(&net->msgs);
	INIT_LLIST_HEAD(&net->transfers);
	INIT_LLIST_HEAD(&net->phones);
	if (sms_address_from_text(&net->smsc, smsc) < 0 ||
	    (n = sms_smsc_encode(net->smsc_prefix, sizeof(net->smsc_prefix), &net->smsc)) < 0) {
		talloc_free(net);
		return NULL;
	}
	net->smsc_prefix_len = (size_t)n;
	/* Concatenation references differ between runs, as a real network's would. */
	net->next_concat_ref = (uint8_t)(time(NULL) ^ getpid());
	return net;
}

void net_modem_free(struct network *net, struct sim_modem *m)
{
	struct net_msg *msg, *tmp;
	struct net_transfer *t;

	llist_for_each_entry_safe (msg, tmp, &net->msgs, list) {
		if (msg->dest == m)
			msg_free(msg);
		else if (msg->report_to == m)
			msg->report_to = NULL;
	}
	llist_for_each_entry (t, &net->transfers, list) {
		if (t->from == m)
			t->from = NULL;
	}
}

void net_free(struct network *net)
{
	while (!llist_empty(&net->msgs))
		msg_free(llist_first_entry(&net->msgs, struct net_msg, list));
	while (!llist_empty(&net->transfers))
		transfer_free(llist_first_entry(&net->transfers, struct net_transfer, list));
	talloc_free(net);
}
