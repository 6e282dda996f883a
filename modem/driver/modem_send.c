/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The send queue of one modem: SMS-SUBMIT PDUs out with +CMGS, one command in flight,
 * the next issued from the previous one's result; transient +CMS errors retried with
 * backoff; TP-MRs kept to match status reports.
 *
 * Exactly once. A part counts as sent when +CMGS: <mr> arrives, and only then does the
 * queue move on. When the answer never comes (the modem hangs, or the port vanishes)
 * the part stays at the head of the queue and is submitted again after recovery. Where
 * the command died decides whether that is right:
 *  - no prompt ("> ") yet, or the port vanished: the modem never had the PDU, or a
 *    modem that resets (USB drop, CFUN) loses the submit it was working on — resending
 *    is the only way the message goes out;
 *  - the PDU was written and the modem went silent: the SMSC may have it. This is the
 *    one ambiguous case; we resend, because a duplicate text is a nuisance and a lost
 *    one (a guardian's message) is a failure of the relay. The upper layer sees both
 *    +CMGS answers through on_part_sent and the archive records them.
 * A modem that answers an error sent nothing (27.005 §3.2.5), so errors never duplicate.
 *
 * Lanes. Each message waits in one of three lanes (urgent, conversation, bulk); at every
 * submit boundary the next part comes from the highest lane that has one, so a reply
 * waits at most for the part in flight, never behind a broadcast. Within a lane a
 * message's parts go in order, and when a message is done the rest of its group (a team's
 * broadcast) move to the back of its lane: teams sharing a modem take turns.
 *
 * Bookkeeping while the modem works. The upper layer records each part's submit before
 * the part goes (on_part_submit) and its result after (on_part_sent) — each an fsync. Done
 * between one +CMGS result and the next command they would cost the modem that much time
 * per part; so the next part is recorded ahead, while the modem submits this one (its PDU
 * written), and a part's result is reported then too. Only a part nobody recorded ahead
 * (the first after a pause, or a higher lane's) is recorded on the critical path.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/tdef.h>
#include <osmocom/core/utils.h>

#include "modem/driver/modem_causes.h"
#include "modem/driver/modem_internal.h"
#include "modem/driver/modem_log.h"

#define LOGM(m, level, fmt, args...) LOGP(DSMS, level, "%s: " fmt, (m)->cfg.name, ##args)

struct send_ctx {
	struct modem *m;
	struct modem_msg *msg;
	bool cmms;
};

static void send_timer_cb(void *data)
{
	modem_send_kick(data);
}

static void msg_free(struct modem *m, struct modem_msg *msg)
{
	llist_del(&msg->list);
	m->queue_len--;
	talloc_free(msg);
}

/* The message whose part goes next: the head of the highest lane that has one. */
static struct modem_msg *next_msg(struct modem *m, const struct modem_msg *after)
{
	for (unsigned l = 0; l < MODEM_LANES; l++) {
		struct modem_msg *msg;

		llist_for_each_entry (msg, &m->lanes[l], list)
			if (msg != after)
				return msg;
	}
	return NULL;
}

/* A message is done: the rest of its group go to the back of its lane, in order, so that
 * the other groups in the lane take their turn first (round robin). */
static void msg_done(struct modem *m, struct modem_msg *msg)
{
	struct modem_msg *other, *tmp;
	struct llist_head *lane = &m->lanes[msg->lane];
	uint64_t group = msg->group;
	LLIST_HEAD(moved);

	msg_free(m, msg);
	if (!group)
		return;
	llist_for_each_entry_safe (other, tmp, lane, list)
		if (other->group == group)
			llist_move_tail(&other->list, &moved);
	llist_for_each_entry_safe (other, tmp, &moved, list)
		llist_move_tail(&other->list, lane);
}

/* Report a part's result that waited for the next part's PDU to be written. */
static void report_sent(struct modem *m, uint64_t msg_id, unsigned part, bool ok, uint8_t mr,
			int cms);

static void flush_pending(struct modem *m)
{
	if (!m->sent_pending)
		return;
	m->sent_pending = false;
	report_sent(m, m->pending_id, m->pending_no, true, m->pending_mr, 0);
}

/* Record a part's submit unless it was recorded ahead: false when the upper layer could
 * not (the part waits). */
static bool arm(struct modem *m, struct modem_msg *msg, struct modem_part *p)
{
	if (p->armed || !m->pool->ev.on_part_submit)
		return true;
	if (m->pool->ev.on_part_submit(m, msg->msg_id, p->no, m->pool->ev_data) < 0) {
		LOGM(m, LOGL_ERROR, "msg %llu part %u: cannot be recorded; trying again\n",
		     (unsigned long long)msg->msg_id, p->no + 1);
		return false;
	}
	p->armed = true;
	return true;
}

/* The PDU of the part in flight is written: the modem submits it for the next while. */
static void pdu_written_cb(struct at_channel *ch, void *data)
{
	struct send_ctx *c = data;
	struct modem *m = c->m;
	struct modem_msg *msg = c->msg, *next = NULL;

	struct modem_pool *pool = m->pool;
	struct modem_part *ahead = NULL;

	(void)ch;
	if (m->stopping)
		return;
	modem_pacing_note_submit(m);
	/* The part that will most likely go next: this message's next part, else the head of
	 * the highest lane. A higher lane's message arriving meanwhile is recorded when it
	 * goes; this one stays recorded, and goes later. Not when the pacing will hold it:
	 * a record ahead of a long wait would make a crash meanwhile look like a resend. */
	if (!modem_pacing_holds_next(m)) {
		if (msg->next_part + 1 < msg->n_parts)
			ahead = &msg->parts[msg->next_part + 1];
		else if ((next = next_msg(m, msg)))
			ahead = &next->parts[next->next_part];
		else
			next = NULL;
		if (ahead && ahead->armed)
			ahead = NULL;
	}
	if (!m->sent_pending && !ahead)
		return;
	/* One batch: the last part's result and the next part's submit, one commit. */
	if (pool->ev.on_batch)
		pool->ev.on_batch(m, true, pool->ev_data);
	flush_pending(m);
	if (ahead)
		arm(m, msg->next_part + 1 < msg->n_parts ? msg : next, ahead);
	if (pool->ev.on_batch && pool->ev.on_batch(m, false, pool->ev_data) < 0 && ahead)
		ahead->armed = false; /* not durable: recorded again when it goes */
}

static void mr_remember(struct modem *m, struct modem_msg *msg, unsigned part, uint8_t mr)
{
	struct modem_mr_entry *slot = NULL;

	/* One entry per MR: the counter wraps at 256, and the newer submit wins. */
	for (unsigned i = 0; i < MODEM_MR_TABLE; i++) {
		struct modem_mr_entry *e = &m->mrs[i];

		if (e->used && e->mr == mr) {
			slot = e;
			break;
		}
		if (!e->used && !slot)
			slot = e;
	}
	if (!slot) {
		slot = &m->mrs[0];
		for (unsigned i = 1; i < MODEM_MR_TABLE; i++) {
			if (m->mrs[i].seq < slot->seq)
				slot = &m->mrs[i];
		}
	}
	*slot = (struct modem_mr_entry){
	    .used = true,
	    .mr = mr,
	    .msg_id = msg->msg_id,
	    .part = msg->parts[part].no,
	    .seq = ++m->mr_seq,
	};
	osmo_strlcpy(slot->recipient, msg->parts[part].recipient, sizeof(slot->recipient));
}

static const char *digits(const char *s)
{
	return *s == '+' ? s + 1 : s;
}

bool modem_send_match_report(struct modem *m, const struct sms_status_report *sr)
{
	struct modem_pool *pool = m->pool;

	for (unsigned i = 0; i < MODEM_MR_TABLE; i++) {
		struct modem_mr_entry *e = &m->mrs[i];
		uint64_t msg_id;
		unsigned part;

		if (!e->used || e->mr != sr->mr ||
		    (e->recipient[0] && strcmp(digits(e->recipient), digits(sr->recipient.text))))
			continue;
		msg_id = e->msg_id;
		part = e->part;
		/* A temporary status is followed by the final one; keep the entry for it. */
		if (!sms_status_is_temporary(sr->status))
			e->used = false;
		LOGM(m, LOGL_INFO, "status report for msg %llu part %u: %s\n",
		     (unsigned long long)msg_id, part, sms_status_name(sr->status));
		if (pool->ev.on_part_status)
			pool->ev.on_part_status(m, msg_id, part, sr->status, pool->ev_data);
		return true;
	}
	LOGM(m, LOGL_INFO, "status report for MR %u matches no part\n", sr->mr);
	return false;
}

static void report_sent(struct modem *m, uint64_t msg_id, unsigned part, bool ok, uint8_t mr,
			int cms)
{
	struct modem_pool *pool = m->pool;

	/* Results in order: one waiting for the next PDU comes first. */
	if (m->sent_pending && !(ok && msg_id == m->pending_id && part == m->pending_no))
		flush_pending(m);

	if (ok)
		m->tx_count++;
	else
		m->tx_failed++;
	if (pool->ev.on_part_sent)
		pool->ev.on_part_sent(m, msg_id, part, ok, mr, cms, pool->ev_data);
}

static unsigned long retry_ms(unsigned attempts)
{
	unsigned long ms = osmo_tdef_get(modem_tdefs, MODEM_T_SEND_RETRY, OSMO_TDEF_MS, -1);
	unsigned long max = osmo_tdef_get(modem_tdefs, MODEM_T_SEND_RETRY_MAX, OSMO_TDEF_MS, -1);

	for (unsigned i = 1; i < attempts && ms < max; i++)
		ms *= 2;
	return ms < max ? ms : max;
}

static void cmgs_cb(struct at_channel *ch, const struct at_response *resp, void *data)
{
	struct send_ctx *c = data;
	struct modem *m = c->m;
	struct modem_msg *msg = c->msg;
	int cms = resp->result == AT_RES_CMS_ERROR ? resp->error_code : -1;
	struct modem_part *p;
	unsigned part;

	(void)ch;
	talloc_free(c);
	if (m->stopping)
		return;
	part = msg->next_part;
	p = &msg->parts[part];
	p->armed = false; /* the next submit of it is recorded anew */
	if (resp->result != AT_RES_OK)
		flush_pending(m);
	switch (resp->result) {
	case AT_RES_CLOSED:
		/* The port went: the part is submitted again once the modem is back. */
		m->send_busy = false;
		LOGM(m, LOGL_NOTICE, "msg %llu part %u: port gone, sending again after recovery\n",
		     (unsigned long long)msg->msg_id, p->no + 1);
		return;
	case AT_RES_TIMEOUT:
		m->send_busy = false;
		LOGM(m, LOGL_NOTICE, "msg %llu part %u: no answer, sending again after recovery\n",
		     (unsigned long long)msg->msg_id, p->no + 1);
		modem_cmd_timeout(m);
		return;
	case AT_RES_OK: {
		const char *v = modem_resp_line(resp, "+CMGS:");
		unsigned mr = 0;
		bool last;

		if (!v || sscanf(v, " %u", &mr) != 1 || mr > 255) {
			/* 27.005 §3.5.1: a submit is answered +CMGS: <mr>. A bare OK is some
			 * other command's (a program sharing the port, an echo): the channel is
			 * out of step and the part's fate unknown. Resynchronise, as after a
			 * hang, and send it again — recorded as possibly duplicated. */
			m->send_busy = false;
			m->stray_results++;
			LOGM(m, LOGL_NOTICE,
			     "msg %llu part %u: OK without +CMGS, not believed; resynchronising\n",
			     (unsigned long long)msg->msg_id, p->no + 1);
			modem_cmd_timeout(m);
			return;
		}
		mr_remember(m, msg, part, (uint8_t)mr);
		msg->next_part++;
		msg->attempts = 0;
		msg->refused = false;
		last = msg->next_part == msg->n_parts;
		uint64_t id = msg->msg_id;
		unsigned no = p->no;
		if (last)
			msg_done(m, msg);
		if (next_msg(m, NULL)) {
			/* Reported once the next part's PDU is written (pdu_written_cb). */
			flush_pending(m);
			m->sent_pending = true;
			m->pending_id = id;
			m->pending_no = no;
			m->pending_mr = (uint8_t)mr;
		} else {
			/* Still busy during the callback: a modem_send() from it only queues. */
			report_sent(m, id, no, true, (uint8_t)mr, 0);
		}
		break;
	}
	default: {
		/* A permanent error is believed when the part gets it twice in a row: once
		 * may be another command's answer (a program sharing the port). */
		bool transient =
		    resp->result == AT_RES_CMS_ERROR && (modem_cms_transient(cms) || !msg->refused);

		if (transient && ++msg->attempts < osmo_tdef_get(modem_tdefs, MODEM_T_SEND_ATTEMPTS,
								 OSMO_TDEF_CUSTOM, -1)) {
			unsigned long ms = retry_ms(msg->attempts);

			msg->refused |= !modem_cms_transient(cms);
			LOGM(m, LOGL_NOTICE,
			     "msg %llu part %u: +CMS ERROR %d, retry %u in %lu ms\n",
			     (unsigned long long)msg->msg_id, p->no + 1, cms, msg->attempts, ms);
			osmo_timer_schedule(&m->send_timer, ms / 1000, (ms % 1000) * 1000);
			m->send_busy = false;
			/* The modem sent nothing (27.005 §3.2.5): the part's submit has its
			 * result, and the next is no duplicate. */
			if (m->pool->ev.on_part_retry)
				m->pool->ev.on_part_retry(m, msg->msg_id, p->no, cms,
							  m->pool->ev_data);
			return;
		}
		/* Permanent (or out of attempts): this part and the rest of the message fail,
		 * since a concatenated message with a hole is not the message. */
		LOGM(m, LOGL_ERROR, "msg %llu part %u failed: %s\n",
		     (unsigned long long)msg->msg_id, p->no + 1, resp->final_line);
		uint64_t id = msg->msg_id;
		unsigned n = msg->n_parts, nos[SMS_MAX_PARTS_DRIVER];
		for (unsigned i = part; i < n; i++)
			nos[i] = msg->parts[i].no;
		msg_done(m, msg);
		for (unsigned i = part; i < n; i++)
			report_sent(m, id, nos[i], false, 0, cms);
		break;
	}
	}
	m->send_busy = false;
	modem_send_kick(m);
}

static void cmms_cb(struct at_channel *ch, const struct at_response *resp, void *data)
{
	struct send_ctx *c = data;
	struct modem *m = c->m;

	(void)ch;
	talloc_free(c);
	if (m->stopping)
		return;
	m->send_busy = false;
	if (resp->result == AT_RES_TIMEOUT) {
		modem_cmd_timeout(m);
		return;
	}
	if (resp->result == AT_RES_CLOSED)
		return;
	/* Even when refused: the parts go out anyway, only the link may drop between. */
	m->cmms_on = true;
	modem_send_kick(m);
}

void modem_send_kick(struct modem *m)
{
	struct modem_msg *msg;
	struct modem_part *p;
	struct send_ctx *c;
	char cmd[32], hex[2 * SMS_PDU_MAX + 1];
	unsigned long wait;
	int rc;

	if (m->send_busy || m->stopping)
		return;
	if (m->send_paused) {
		flush_pending(m);
		return;
	}
	msg = next_msg(m, NULL);
	if (!msg || !modem_ready(m) || osmo_timer_pending(&m->send_timer)) {
		/* Nothing goes now: a result that waited for the next PDU is reported. */
		flush_pending(m);
		return;
	}
	if ((wait = modem_pacing_wait_ms(m))) {
		flush_pending(m);
		m->pace_waiting = true;
		osmo_timer_schedule(&m->send_timer, wait / 1000, (wait % 1000) * 1000);
		return;
	}
	m->pace_waiting = false;
	if (msg->n_parts > 1 && m->profile->cmms && !m->cmms_on) {
		/* Keep the radio link up between the parts of this message (27.005 §3.5.6). */
		c = talloc_zero(m, struct send_ctx);
		c->m = m;
		c->msg = msg;
		c->cmms = true;
		rc = at_channel_cmd(m->ch, "AT+CMMS=2", NULL, 0, cmms_cb, c);
	} else {
		p = &msg->parts[msg->next_part];
		/* Recorded before it goes: after a crash from here on, the part's fate is
		 * unknown, and its next submit is marked as possibly duplicated. */
		if (!arm(m, msg, p)) {
			flush_pending(m);
			osmo_timer_schedule(&m->send_timer, 1, 0);
			return;
		}
		c = talloc_zero(m, struct send_ctx);
		c->m = m;
		c->msg = msg;
		sms_hex_encode(hex, sizeof(hex), p->pdu, p->len);
		snprintf(cmd, sizeof(cmd), "AT+CMGS=%d", p->tpdu_len);
		rc = at_channel_cmd_submit(m->ch, cmd, hex, 0, cmgs_cb, pdu_written_cb, c);
	}
	if (rc < 0) {
		talloc_free(c);
		flush_pending(m);
		return;
	}
	m->send_busy = true;
	m->inflight = msg;
}

int modem_send(struct modem *m, uint64_t msg_id, const uint8_t *const *pdus, const size_t *lens,
	       unsigned n_parts)
{
	return modem_send_parts(m, msg_id, pdus, lens, NULL, n_parts, NULL);
}

int modem_send_parts(struct modem *m, uint64_t msg_id, const uint8_t *const *pdus,
		     const size_t *lens, const unsigned *part_nos, unsigned n_parts,
		     const struct modem_send_opts *opts)
{
	struct modem_msg *msg;
	struct sms_submit *sub;

	if (!m || !pdus || !lens || n_parts == 0 || n_parts > 255 ||
	    (opts && opts->lane >= MODEM_LANES))
		return -EINVAL;
	msg = talloc_zero(m, struct modem_msg);
	msg->parts = talloc_zero_array(msg, struct modem_part, n_parts);
	sub = talloc_zero(msg, struct sms_submit);
	if (!msg->parts || !sub) {
		talloc_free(msg);
		return -ENOMEM;
	}
	msg->msg_id = msg_id;
	msg->n_parts = n_parts;
	msg->lane = opts ? opts->lane : MODEM_LANE_CONVERSATION;
	msg->group = opts ? opts->group : 0;
	for (unsigned i = 0; i < n_parts; i++) {
		struct modem_part *p = &msg->parts[i];

		/* Refuse what the modem would refuse (+CMS ERROR 304) before it is queued. */
		if (!pdus[i] || lens[i] == 0 || lens[i] > sizeof(p->pdu) ||
		    sms_submit_decode(sub, pdus[i], lens[i], true) < 0) {
			talloc_free(msg);
			return -EINVAL;
		}
		if (part_nos && (part_nos[i] >= SMS_MAX_PARTS_DRIVER ||
				 (i && part_nos[i] <= part_nos[i - 1]))) {
			talloc_free(msg);
			return -EINVAL;
		}
		memcpy(p->pdu, pdus[i], lens[i]);
		p->len = lens[i];
		p->no = part_nos ? part_nos[i] : i;
		p->tpdu_len = sms_tpdu_len(p->pdu, p->len);
		osmo_strlcpy(p->recipient, sub->destination.text, sizeof(p->recipient));
	}
	talloc_free(sub);
	llist_add_tail(&msg->list, &m->lanes[msg->lane]);
	m->queue_len++;
	LOGM(m, LOGL_DEBUG, "queued msg %llu (%u parts), %u waiting\n", (unsigned long long)msg_id,
	     n_parts, m->queue_len);
	modem_send_kick(m);
	return 0;
}

void modem_send_pause(struct modem *m)
{
	struct modem_pool *pool = m->pool;
	struct modem_msg *msg;

	m->send_paused = true;
	modem_send_kick(m); /* reports a result that waited for a next part */
	/* A part recorded ahead that will not go now: say so, or the next start would take
	 * it for a part whose fate is unknown. */
	for (unsigned l = 0; l < MODEM_LANES; l++)
		llist_for_each_entry (msg, &m->lanes[l], list) {
			struct modem_part *p = &msg->parts[msg->next_part];

			if (!p->armed || (m->send_busy && msg == m->inflight))
				continue;
			p->armed = false;
			if (pool->ev.on_part_unsent)
				pool->ev.on_part_unsent(m, msg->msg_id, p->no, pool->ev_data);
		}
}

void modem_send_init(struct modem *m)
{
	for (unsigned l = 0; l < MODEM_LANES; l++)
		INIT_LLIST_HEAD(&m->lanes[l]);
	osmo_timer_setup(&m->send_timer, send_timer_cb, m);
	modem_pacing_init(m);
}

void modem_send_free_all(struct modem *m)
{
	struct modem_msg *msg, *tmp;

	osmo_timer_del(&m->send_timer);
	modem_pacing_stop(m);
	flush_pending(m);
	for (unsigned l = 0; l < MODEM_LANES; l++)
		llist_for_each_entry_safe (msg, tmp, &m->lanes[l], list)
			msg_free(m, msg);
}
