/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Durable receive: every PDU the modem shows is handed up, and the modem is told it may
 * forget it (+CNMA for +CMT/+CDS, +CMGD for a stored slot) only after the upper layer
 * called modem_rx_committed().
 *
 * Each PDU handed up has an entry here until the modem has forgotten it. For stored
 * messages the entry is keyed by slot: a slot that is being read, or was handed up and
 * not yet deleted, is never handed up a second time (a repeated +CMTI, or a sweep while
 * it waits), and a slot is deleted at most once per hand-up (a second +CMGD could hit a
 * new message that landed in the freed slot). A direct +CMT that was not acknowledged
 * when its channel went away is forgotten here: the network delivers it again. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>

#include "modem/driver/modem_internal.h"
#include "modem/driver/modem_log.h"

#define LOGM(m, level, fmt, args...) LOGP(DSMS, level, "%s: " fmt, (m)->cfg.name, ##args)

/* An entry while +CMGR reads its slot: no token yet. */
#define TOKEN_READING 0

struct rx_ctx {
	struct modem *m;
	uint64_t token;
	int index;
	unsigned session;
};

static struct rx_ctx *ctx_new(struct modem *m, uint64_t token, int index)
{
	struct rx_ctx *c = talloc_zero(m, struct rx_ctx);

	c->m = m;
	c->token = token;
	c->index = index;
	c->session = m->session;
	return c;
}

static struct modem_rx_entry *find_token(struct modem *m, uint64_t token)
{
	struct modem_rx_entry *e;

	llist_for_each_entry (e, &m->rx_entries, list) {
		if (e->token == token && token != TOKEN_READING)
			return e;
	}
	return NULL;
}

static struct modem_rx_entry *find_index(struct modem *m, int index)
{
	struct modem_rx_entry *e;

	llist_for_each_entry (e, &m->rx_entries, list) {
		if (e->storage_index == index)
			return e;
	}
	return NULL;
}

static void entry_free(struct modem_rx_entry *e)
{
	llist_del(&e->list);
	talloc_free(e);
}

static bool can_talk(const struct modem *m)
{
	return m->ch && m->fi &&
	       (m->fi->state == MODEM_ST_SMS_SETUP || m->fi->state == MODEM_ST_READY);
}

/* Decode and hand one PDU up. `e` is the slot's entry (reading) or NULL for a new one. */
static void hand_up(struct modem *m, const char *hex, int index, struct modem_rx_entry *e)
{
	struct modem_pool *pool = m->pool;
	uint8_t pdu[SMS_PDU_MAX + 64];
	struct sms_deliver deliver;
	struct sms_status_report report;
	struct modem_rx rx = {
	    .kind = MODEM_RX_SMS,
	    .pdu_hex = hex,
	    .storage_index = index,
	};
	int len = sms_hex_decode(pdu, sizeof(pdu), hex, strlen(hex));

	if (len < 0) {
		rx.decode_rc = len;
	} else {
		int mti = sms_pdu_mti(pdu, (size_t)len, true);

		rx.pdu = pdu;
		rx.pdu_len = (size_t)len;
		if (mti == SMS_MTI_STATUS_REPORT) {
			rx.kind = MODEM_RX_STATUS_REPORT;
			rx.decode_rc = sms_status_report_decode(&report, pdu, (size_t)len, true);
			if (rx.decode_rc >= 0)
				rx.report = &report;
		} else if (mti < 0) {
			rx.decode_rc = mti;
		} else {
			rx.decode_rc = sms_deliver_decode(&deliver, pdu, (size_t)len, true);
			if (rx.decode_rc >= 0)
				rx.deliver = &deliver;
		}
		if (rx.decode_rc > 0)
			rx.decode_rc = 0;
	}
	if (!e) {
		e = talloc_zero(m, struct modem_rx_entry);
		llist_add_tail(&e->list, &m->rx_entries);
	}
	e->token = ++m->next_token;
	e->storage_index = index;
	e->session = m->session;
	e->state = MODEM_RXS_OUTSTANDING;
	e->cmgd_inflight = false;
	rx.token = e->token;
	m->rx_count++;

	LOGM(m, LOGL_INFO, "%s %s%s (slot %d, token %llu)\n",
	     rx.kind == MODEM_RX_STATUS_REPORT ? "status report" : "SMS",
	     rx.decode_rc ? "undecodable: " : "from ",
	     rx.decode_rc ? sms_strerror(rx.decode_rc)
	     : rx.deliver ? rx.deliver->originator.text
			  : rx.report->recipient.text,
	     index, (unsigned long long)e->token);

	if (rx.report)
		modem_send_match_report(m, rx.report);
	if (pool->ev.on_rx)
		pool->ev.on_rx(m, &rx, pool->ev_data);
	else
		/* Nobody keeps received messages: nothing to wait for. */
		modem_rx_committed(m, rx.token);
}

/* ---- direct delivery: +CMT / +CDS, then +CNMA after the commit ---- */

static void urc_direct(struct at_channel *ch, const char *line, const char *pdu_line, void *data)
{
	struct modem *m = data;

	(void)ch;
	if (!pdu_line) {
		LOGM(m, LOGL_ERROR, "%s without its PDU line\n", line);
		return;
	}
	hand_up(m, pdu_line, -1, NULL);
}

static void cnma_cb(struct at_channel *ch, const struct at_response *resp, void *data)
{
	struct rx_ctx *c = data;
	struct modem *m = c->m;
	struct modem_rx_entry *e = find_token(m, c->token);

	(void)ch;
	talloc_free(c);
	if (m->stopping)
		return;
	if (resp->result == AT_RES_TIMEOUT) {
		modem_cmd_timeout(m);
		return;
	}
	if (e)
		entry_free(e);
	if (resp->result == AT_RES_OK || resp->result == AT_RES_CLOSED)
		return;
	/* Too late (340): the modem reset +CNMI and the network delivers it again, into
	 * storage. Check +CNMI now rather than at the next health check. */
	LOGM(m, LOGL_NOTICE, "+CNMA refused (%s): acknowledged too late, it comes again\n",
	     resp->final_line);
	modem_fsm_health_soon(m);
}

/* ---- stored delivery: +CMTI / +CDSI → +CMGR → hand up → commit → +CMGD ---- */

static void cmgr_cb(struct at_channel *ch, const struct at_response *resp, void *data)
{
	struct rx_ctx *c = data;
	struct modem *m = c->m;
	int index = c->index;
	struct modem_rx_entry *e;

	(void)ch;
	talloc_free(c);
	if (m->stopping)
		return;
	e = find_index(m, index);
	if (!e || e->token != TOKEN_READING)
		return;
	if (resp->result == AT_RES_TIMEOUT) {
		entry_free(e);
		modem_cmd_timeout(m);
		return;
	}
	if (resp->result != AT_RES_OK) {
		/* Empty slot (321), or the channel went: the sweep after recovery reads it. */
		if (resp->result != AT_RES_CLOSED)
			LOGM(m, LOGL_NOTICE, "AT+CMGR=%d: %s\n", index, resp->final_line);
		entry_free(e);
		return;
	}
	for (unsigned i = 0; i + 1 < resp->n_lines; i++) {
		if (strncmp(resp->lines[i], "+CMGR:", 6) == 0) {
			hand_up(m, resp->lines[i + 1], index, e);
			return;
		}
	}
	LOGM(m, LOGL_ERROR, "AT+CMGR=%d: no PDU in the answer\n", index);
	entry_free(e);
}

static void read_slot(struct modem *m, int index)
{
	struct modem_rx_entry *e;
	char cmd[32];
	struct rx_ctx *c;

	if (find_index(m, index))
		return; /* being read, handed up or being deleted */
	e = talloc_zero(m, struct modem_rx_entry);
	e->token = TOKEN_READING;
	e->storage_index = index;
	e->session = m->session;
	llist_add_tail(&e->list, &m->rx_entries);
	snprintf(cmd, sizeof(cmd), "AT+CMGR=%d", index);
	c = ctx_new(m, 0, index);
	if (at_channel_cmd(m->ch, cmd, "+CMGR:", 0, cmgr_cb, c) < 0) {
		talloc_free(c);
		entry_free(e);
	}
}

static void urc_stored(struct at_channel *ch, const char *line, const char *pdu_line, void *data)
{
	struct modem *m = data;
	const char *comma = strchr(line, ',');
	int index;

	(void)ch;
	(void)pdu_line;
	if (!comma || sscanf(comma + 1, "%d", &index) != 1 || index < 0) {
		LOGM(m, LOGL_ERROR, "cannot parse %s\n", line);
		return;
	}
	if (!m->ch)
		return;
	read_slot(m, index);
}

static void cmgd_cb(struct at_channel *ch, const struct at_response *resp, void *data)
{
	struct rx_ctx *c = data;
	struct modem *m = c->m;
	struct modem_rx_entry *e = find_token(m, c->token);
	int index = c->index;

	(void)ch;
	talloc_free(c);
	if (m->stopping || !e)
		return;
	e->cmgd_inflight = false;
	if (resp->result == AT_RES_TIMEOUT) {
		modem_cmd_timeout(m);
		return;
	}
	if (resp->result == AT_RES_CLOSED)
		return; /* still DELETING: the next sweep deletes it */
	if (resp->result != AT_RES_OK)
		LOGM(m, LOGL_NOTICE, "AT+CMGD=%d: %s\n", index, resp->final_line);
	if (m->storage_used > 0)
		m->storage_used--;
	entry_free(e);
	modem_fsm_stored_deleted(m);
}

static void delete_slot(struct modem *m, struct modem_rx_entry *e)
{
	char cmd[32];
	struct rx_ctx *c;

	if (e->cmgd_inflight || !can_talk(m))
		return;
	snprintf(cmd, sizeof(cmd), "AT+CMGD=%d", e->storage_index);
	c = ctx_new(m, e->token, e->storage_index);
	if (at_channel_cmd(m->ch, cmd, NULL, 0, cmgd_cb, c) < 0) {
		talloc_free(c);
		return;
	}
	e->cmgd_inflight = true;
}

void modem_rx_committed(struct modem *m, uint64_t token)
{
	struct modem_rx_entry *e = find_token(m, token);

	if (!e) {
		/* Committed twice, or a +CMT whose channel is gone (it comes again). */
		LOGM(m, LOGL_INFO, "commit of token %llu: nothing to acknowledge\n",
		     (unsigned long long)token);
		return;
	}
	if (e->state == MODEM_RXS_DELETING)
		return;
	e->state = MODEM_RXS_DELETING;
	if (e->storage_index >= 0) {
		delete_slot(m, e);
		return;
	}
	if (e->session != m->session || !m->ch) {
		entry_free(e);
		return;
	}
	/* Under +CSMS=1 the modem shows one +CMT/+CDS at a time: this acknowledges it. */
	struct rx_ctx *c = ctx_new(m, token, -1);
	if (at_channel_cmd(m->ch, "AT+CNMA", NULL, 0, cnma_cb, c) < 0) {
		talloc_free(c);
		entry_free(e);
	}
}

/* ---- the sweep: +CMGL=4 lists everything stored ---- */

struct listed {
	int index;
	char *hex;
};

static void sweep_cb(struct at_channel *ch, const struct at_response *resp, void *data)
{
	struct rx_ctx *c = data;
	struct modem *m = c->m;
	struct modem_rx_entry *e, *tmp;
	struct listed *list;
	unsigned n = 0, handed = 0;

	(void)ch;
	talloc_free(c);
	if (m->stopping)
		return;
	m->sweeping = false;
	if (resp->result == AT_RES_TIMEOUT) {
		modem_cmd_timeout(m);
		return;
	}
	if (resp->result == AT_RES_CLOSED)
		return;
	if (resp->result != AT_RES_OK) {
		LOGM(m, LOGL_ERROR, "AT+CMGL=4: %s\n", resp->final_line);
		modem_fsm_sweep_done(m);
		return;
	}
	/* Copy first: handing up may queue commands (commits), and the lines are the
	 * channel's. */
	list = talloc_zero_array(m, struct listed, resp->n_lines / 2 + 1);
	for (unsigned i = 0; i + 1 < resp->n_lines; i++) {
		int index;

		if (strncmp(resp->lines[i], "+CMGL:", 6) != 0 ||
		    sscanf(resp->lines[i] + 6, " %d", &index) != 1)
			continue;
		list[n].index = index;
		list[n].hex = talloc_strdup(list, resp->lines[i + 1]);
		n++;
		i++;
	}
	/* Committed slots the listing no longer shows are gone: forget them. */
	llist_for_each_entry_safe (e, tmp, &m->rx_entries, list) {
		bool listed = false;

		if (e->storage_index < 0 || e->state != MODEM_RXS_DELETING || e->cmgd_inflight)
			continue;
		for (unsigned i = 0; i < n && !listed; i++)
			listed = list[i].index == e->storage_index;
		if (!listed)
			entry_free(e);
	}
	for (unsigned i = 0; i < n; i++) {
		e = find_index(m, list[i].index);
		if (!e) {
			hand_up(m, list[i].hex, list[i].index, NULL);
			handed++;
		} else if (e->state == MODEM_RXS_DELETING) {
			delete_slot(m, e); /* committed while the channel was down */
		}
		/* else: being read or waiting for its commit — never twice */
	}
	LOGM(m, n ? LOGL_INFO : LOGL_DEBUG, "sweep: %u stored, %u handed up\n", n, handed);
	talloc_free(list);
	if (m->sweep_again) {
		m->sweep_again = false;
		modem_rx_sweep(m);
		return;
	}
	modem_fsm_sweep_done(m);
}

bool modem_rx_sweep(struct modem *m)
{
	struct rx_ctx *c;

	if (!can_talk(m))
		return false;
	if (m->sweeping) {
		m->sweep_again = true;
		return true;
	}
	c = ctx_new(m, 0, -1);
	if (at_channel_cmd(m->ch, "AT+CMGL=4", "+CMGL:", 0, sweep_cb, c) < 0) {
		talloc_free(c);
		return false;
	}
	m->sweeping = true;
	return true;
}

void modem_rx_register_urcs(struct modem *m)
{
	at_channel_urc(m->ch, "+CMT:", true, urc_direct, m);
	at_channel_urc(m->ch, "+CDS:", true, urc_direct, m);
	at_channel_urc(m->ch, "+CMTI:", false, urc_stored, m);
	at_channel_urc(m->ch, "+CDSI:", false, urc_stored, m);
}

void modem_rx_new_session(struct modem *m)
{
	struct modem_rx_entry *e, *tmp;

	m->sweeping = false;
	m->sweep_again = false;
	llist_for_each_entry_safe (e, tmp, &m->rx_entries, list) {
		/* An unacknowledged +CMT is redelivered by the network; a slot being read is
		 * read again by the sweep. Stored slots handed up stay until deleted. */
		if (e->storage_index < 0 || e->token == TOKEN_READING) {
			entry_free(e);
			continue;
		}
		e->cmgd_inflight = false;
	}
}

unsigned modem_rx_stored_known(const struct modem *m)
{
	const struct modem_rx_entry *e;
	unsigned n = 0;

	llist_for_each_entry (e, &m->rx_entries, list) {
		if (e->storage_index >= 0)
			n++;
	}
	return n;
}

void modem_rx_free_all(struct modem *m)
{
	struct modem_rx_entry *e, *tmp;

	llist_for_each_entry_safe (e, tmp, &m->rx_entries, list)
		entry_free(e);
}
