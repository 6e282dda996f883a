/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* SMS commands in PDU mode (27.005 §3) and what the modem does with incoming SMS. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "hw/modemsim/at_server.h"
#include "hw/modemsim/at_sms.h"
#include "hw/modemsim/modemsim.h"
#include "hw/modemsim/network.h"
#include "modem/sms/sms_error.h"
#include "modem/sms/sms_tpdu.h"

static const char *const mem_names[MEM_COUNT] = {"SM", "ME"};

/* ---- helpers ---- */

/* The TPDU length of a stored PDU: the total minus its SMSC prefix. */
static unsigned slot_tpdu_len(const struct sms_slot *s)
{
	int n = sms_tpdu_len(s->pdu, s->len);

	if (n >= 0)
		return (unsigned)n;
	/* Malformed (a test sent it so): the length octet says how long the prefix is. */
	if (s->len > 0 && (unsigned)s->pdu[0] + 1 <= s->len)
		return s->len - s->pdu[0] - 1u;
	return s->len;
}

static void hex_of(char *out, size_t cap, const uint8_t *pdu, size_t len)
{
	if (sms_hex_encode(out, cap, pdu, len) < 0)
		out[0] = '\0';
}

/* Most SMS commands have no text-mode implementation here (27.005 §3.1: <mode> 0 is
 * what this modem offers for PDUs; text mode can be chosen but not used). */
static bool text_mode(const struct sim_modem *m)
{
	return m->at.cmgf == 1;
}

static int mem_by_name(const char *name)
{
	for (int i = 0; i < MEM_COUNT; i++) {
		if (strcasecmp(name, mem_names[i]) == 0)
			return i;
	}
	return -1;
}

/* ---- service, format, centre ---- */

static struct sim_res cmd_csms(struct sim_modem *m, const struct at_cmd *c)
{
	long v;

	switch (c->op) {
	case AT_OP_READ:
		at_info(m, "+CSMS: %u,1,1,1", m->at.csms);
		return SIM_RES_OK;
	case AT_OP_TEST:
		at_info(m, "+CSMS: (0,1)");
		return SIM_RES_OK;
	case AT_OP_SET:
		if (!at_arg_int(c, 0, 0, 1, &v))
			return SIM_RES_CMS(CMS_OP_NOT_SUPPORTED);
		m->at.csms = (uint8_t)v;
		at_info(m, "+CSMS: 1,1,1");
		return SIM_RES_OK;
	default:
		return SIM_RES_ERROR;
	}
}

static struct sim_res cmd_cmgf(struct sim_modem *m, const struct at_cmd *c)
{
	long v;

	switch (c->op) {
	case AT_OP_READ:
		at_info(m, "+CMGF: %u", m->at.cmgf);
		return SIM_RES_OK;
	case AT_OP_TEST:
		at_info(m, "+CMGF: (0,1)");
		return SIM_RES_OK;
	case AT_OP_SET:
		if (!at_arg_int(c, 0, 0, 1, &v))
			return SIM_RES_CMS(CMS_OP_NOT_SUPPORTED);
		m->at.cmgf = (uint8_t)v;
		return SIM_RES_OK;
	default:
		m->at.cmgf = 0;
		return SIM_RES_OK;
	}
}

static struct sim_res cmd_csca(struct sim_modem *m, const struct at_cmd *c)
{
	switch (c->op) {
	case AT_OP_READ:
		at_info(m, "+CSCA: \"%s\",%u", m->csca, m->csca[0] == '+' ? 145 : 129);
		return SIM_RES_OK;
	case AT_OP_TEST:
		return SIM_RES_OK;
	case AT_OP_SET:
		if (!at_arg_present(c, 0) || strlen(c->argv[0]) >= sizeof(m->csca))
			return SIM_RES_CMS(CMS_OP_NOT_ALLOWED);
		OSMO_STRLCPY_ARRAY(m->csca, c->argv[0]);
		return SIM_RES_OK;
	default:
		return SIM_RES_ERROR;
	}
}

/* ---- storage selection ---- */

static struct sim_res cmd_cpms(struct sim_modem *m, const struct at_cmd *c)
{
	int sel[3];

	switch (c->op) {
	case AT_OP_READ:
		at_info(m, "+CPMS: \"%s\",%u,%u,\"%s\",%u,%u,\"%s\",%u,%u", mem_names[m->at.mem[0]],
			sms_store_used(sim_modem_mem(m, 0)), sim_modem_mem(m, 0)->total,
			mem_names[m->at.mem[1]], sms_store_used(sim_modem_mem(m, 1)),
			sim_modem_mem(m, 1)->total, mem_names[m->at.mem[2]],
			sms_store_used(sim_modem_mem(m, 2)), sim_modem_mem(m, 2)->total);
		return SIM_RES_OK;
	case AT_OP_TEST:
		at_info(m, "+CPMS: (\"SM\",\"ME\"),(\"SM\",\"ME\"),(\"SM\",\"ME\")");
		return SIM_RES_OK;
	case AT_OP_SET:
		if (c->argc > 3 || !at_arg_present(c, 0))
			return SIM_RES_CMS(CMS_OP_NOT_ALLOWED);
		/* All or nothing: check every memory before changing any. */
		for (unsigned i = 0; i < 3; i++) {
			sel[i] = m->at.mem[i];
			if (at_arg_present(c, i)) {
				sel[i] = mem_by_name(c->argv[i]);
				if (sel[i] < 0)
					return SIM_RES_CMS(CMS_OP_NOT_ALLOWED);
			}
		}
		for (unsigned i = 0; i < 3; i++)
			m->at.mem[i] = (uint8_t)sel[i];
		at_info(m, "+CPMS: %u,%u,%u,%u,%u,%u", sms_store_used(sim_modem_mem(m, 0)),
			sim_modem_mem(m, 0)->total, sms_store_used(sim_modem_mem(m, 1)),
			sim_modem_mem(m, 1)->total, sms_store_used(sim_modem_mem(m, 2)),
			sim_modem_mem(m, 2)->total);
		/* A receive storage with room: messages the network kept may come now. */
		net_kick(m);
		return SIM_RES_OK;
	default:
		return SIM_RES_ERROR;
	}
}

/* ---- new message indications ---- */

/* +CMTI/+CDSI: written, or kept in the modem while +CNMI <mode> is 0. */
static void indicate(struct sim_modem *m, const char *line)
{
	struct at_urc *u;

	if (m->at.cnmi[0] != 0) {
		at_urc(m, line, NULL);
		return;
	}
	if (m->s.n_held >= AT_URC_MAX)
		return;
	u = talloc_zero(m, struct at_urc);
	u->line = talloc_strdup(u, line);
	llist_add_tail(&u->list, &m->s.held);
	m->s.n_held++;
}

/* <bfr>: indications kept under mode 0 are flushed (0) or cleared (1) when a mode
 * 1..3 is entered (27.005 §3.4.1). */
static void release_held(struct sim_modem *m, bool flush)
{
	while (!llist_empty(&m->s.held)) {
		struct at_urc *u = llist_first_entry(&m->s.held, struct at_urc, list);

		if (flush)
			at_urc(m, u->line, NULL);
		llist_del(&u->list);
		talloc_free(u);
	}
	m->s.n_held = 0;
}

static struct sim_res cmd_cnmi(struct sim_modem *m, const struct at_cmd *c)
{
	/* Values this modem supports for mode, mt, bm, ds, bfr. */
	static const long max[5] = {3, 3, 2, 2, 1};
	uint8_t v[5];
	long x;

	switch (c->op) {
	case AT_OP_READ:
		at_info(m, "+CNMI: %u,%u,%u,%u,%u", m->at.cnmi[0], m->at.cnmi[1], m->at.cnmi[2],
			m->at.cnmi[3], m->at.cnmi[4]);
		return SIM_RES_OK;
	case AT_OP_TEST:
		at_info(m, "+CNMI: (0-3),(0-3),(0,2),(0-2),(0,1)");
		return SIM_RES_OK;
	case AT_OP_SET:
		if (c->argc > 5)
			return SIM_RES_CMS(CMS_OP_NOT_SUPPORTED);
		memcpy(v, m->at.cnmi, sizeof(v));
		for (unsigned i = 0; i < c->argc; i++) {
			if (!at_arg_present(c, i))
				continue;
			if (!at_arg_int(c, i, 0, max[i], &x) || (i == 2 && x == 1))
				return SIM_RES_CMS(CMS_OP_NOT_SUPPORTED);
			v[i] = (uint8_t)x;
		}
		if (m->at.cnmi[0] == 0 && v[0] != 0)
			release_held(m, v[4] == 0);
		memcpy(m->at.cnmi, v, sizeof(v));
		net_kick(m);
		return SIM_RES_OK;
	default:
		return SIM_RES_ERROR;
	}
}

static struct sim_res cmd_cnma(struct sim_modem *m, const struct at_cmd *c)
{
	struct net_msg *msg;
	long n = 0, len = 0;

	if (c->op == AT_OP_TEST) {
		at_info(m, "+CNMA: (0-2)");
		return SIM_RES_OK;
	}
	if (c->op == AT_OP_READ)
		return SIM_RES_ERROR;
	if (c->op == AT_OP_SET) {
		if (!at_arg_int(c, 0, 0, 2, &n))
			return SIM_RES_CMS(CMS_INVALID_PDU_PARAM);
		/* An RP-ACK/RP-ERROR PDU of its own is not supported; length 0 means none. */
		if (at_arg_present(c, 1) && (!at_arg_int(c, 1, 0, 255, &len) || len != 0))
			return SIM_RES_CMS(CMS_OP_NOT_SUPPORTED);
	}
	/* Under +CSMS=0 the modem acknowledged by itself; an AT+CNMA for the message it
	 * just showed is taken and does nothing, as phase 2+ modules do. Anything else
	 * (nothing shown, or a +CSMS=1 acknowledgement that came too late) is refused. */
	if (m->at.csms != 1) {
		if (!m->direct_unacked)
			return SIM_RES_CMS(CMS_NO_CNMA_EXPECTED);
		m->direct_unacked = false;
		return SIM_RES_OK;
	}
	if (!m->awaiting_ack)
		return SIM_RES_CMS(CMS_NO_CNMA_EXPECTED);
	msg = m->awaiting_ack;
	m->awaiting_ack = NULL;
	osmo_timer_del(&m->ack_timer);
	if (n == 2)
		net_mt_failed(m, msg);
	else
		net_mt_acked(m, msg);
	return SIM_RES_OK;
}

void at_sms_ack_timeout(void *data)
{
	struct sim_modem *m = data;
	struct net_msg *msg = m->awaiting_ack;

	if (!msg)
		return;
	m->awaiting_ack = NULL;
	/* 27.005 §3.4.1: no +CNMA in time → RP-ERROR to the network and routing to the TE
	 * switched off; the network delivers again later, into storage. */
	LOGP(DAT, LOGL_NOTICE,
	     "%s: +CNMA not received within %u ms; +CNMI <mt> and <ds> set to 0\n", m->name,
	     m->sim->cfg.ack_timeout_ms);
	m->at.cnmi[1] = 0;
	m->at.cnmi[3] = 0;
	net_mt_failed(m, msg);
}

/* ---- sending ---- */

static struct sim_res cmd_cmgs(struct sim_modem *m, const struct at_cmd *c)
{
	long len;

	if (c->op == AT_OP_TEST)
		return SIM_RES_OK;
	if (c->op != AT_OP_SET)
		return SIM_RES_ERROR;
	if (text_mode(m))
		return SIM_RES_CMS(CMS_OP_NOT_ALLOWED);
	/* Any plausible length gets the prompt; the PDU is checked against it after Ctrl-Z. */
	if (!at_arg_int(c, 0, 1, SMS_PDU_MAX - 12, &len) || c->argc > 1)
		return SIM_RES_CMS(CMS_INVALID_PDU_PARAM);
	return at_enter_pdu(m, AT_PDU_CMGS, (unsigned)len);
}

static struct sim_res cmd_cmgw(struct sim_modem *m, const struct at_cmd *c)
{
	long len, stat = SMS_STAT_STO_UNSENT;

	if (c->op == AT_OP_TEST)
		return SIM_RES_OK;
	if (c->op != AT_OP_SET)
		return SIM_RES_ERROR;
	if (text_mode(m))
		return SIM_RES_CMS(CMS_OP_NOT_ALLOWED);
	if (!at_arg_int(c, 0, 1, SMS_PDU_MAX - 12, &len) || c->argc > 2)
		return SIM_RES_CMS(CMS_INVALID_PDU_PARAM);
	if (at_arg_present(c, 1) && !at_arg_int(c, 1, 0, 3, &stat))
		return SIM_RES_CMS(CMS_INVALID_PDU_PARAM);
	m->s.cmgw_stat = (uint8_t)stat;
	return at_enter_pdu(m, AT_PDU_CMGW, (unsigned)len);
}

/* The network's answer after the submit delay: +CMGS/+CMSS with the TP-MR, or an error. */
static struct sim_res submit_now(struct sim_modem *m)
{
	struct sms_submit *s;
	uint8_t mr;

	if (!sim_modem_attached(m))
		return SIM_RES_CMS(CMS_NO_NETWORK);
	if (m->faults.cms_error_count > 0) {
		m->faults.cms_error_count--;
		return SIM_RES_CMS(m->faults.cms_error_code);
	}
	s = talloc_zero(m, struct sms_submit);
	if (!s || sms_submit_decode(s, m->s.submit_pdu, m->s.submit_len, true) < 0) {
		talloc_free(s);
		return SIM_RES_CMS(CMS_INVALID_PDU_PARAM);
	}
	mr = m->next_mr++;
	net_submit(m->sim->net, m, s, m->s.submit_pdu, m->s.submit_len, mr);
	talloc_free(s);
	m->submitted++;
	return (struct sim_res){AT_RES_OK, mr, false};
}

static void cmgs_done(struct sim_modem *m)
{
	struct sim_res res = submit_now(m);

	if (res.kind == AT_RES_OK) {
		at_info(m, "+CMGS: %u", res.code);
		res = SIM_RES_OK;
	}
	at_finish(m, res);
}

static void cmss_done(struct sim_modem *m)
{
	struct sim_res res = submit_now(m);

	if (res.kind == AT_RES_OK) {
		struct sms_slot *slot = sms_store_get(sim_modem_mem(m, 1), m->s.cmss_index);

		if (slot)
			slot->stat = SMS_STAT_STO_SENT;
		at_info(m, "+CMSS: %u", res.code);
		res = SIM_RES_OK;
	}
	at_finish(m, res);
}

/* Check a SUBMIT the way the modem does before it goes to the network. */
static bool submit_ok(struct sim_modem *m, const uint8_t *pdu, size_t len, unsigned tpdu_len)
{
	struct sms_submit *s;
	int n = sms_tpdu_len(pdu, len), rc;

	if (n < 0 || (unsigned)n != tpdu_len) {
		LOGP(DAT, LOGL_INFO, "%s: PDU length %d, announced %u\n", m->name, n, tpdu_len);
		return false;
	}
	s = talloc_zero(m, struct sms_submit);
	if (!s)
		return false;
	rc = sms_submit_decode(s, pdu, len, true);
	talloc_free(s);
	if (rc < 0) {
		LOGP(DAT, LOGL_INFO, "%s: not a valid SMS-SUBMIT: %s\n", m->name, sms_strerror(rc));
		return false;
	}
	return true;
}

struct sim_res at_sms_pdu_entered(struct sim_modem *m, const uint8_t *pdu, size_t len)
{
	int n, idx, mti;

	if (m->s.pdu_for == AT_PDU_CMGW) {
		n = sms_tpdu_len(pdu, len);
		mti = sms_pdu_mti(pdu, len, true);
		if (n < 0 || (unsigned)n != m->s.pdu_tpdu_len ||
		    (mti != SMS_MTI_SUBMIT && mti != SMS_MTI_DELIVER))
			return SIM_RES_CMS(CMS_INVALID_PDU_PARAM);
		idx = sms_store_put(sim_modem_mem(m, 1), m->s.cmgw_stat, pdu, len);
		if (idx < 0)
			return SIM_RES_CMS(CMS_MEM_FULL);
		at_info(m, "+CMGW: %d", idx);
		return SIM_RES_OK;
	}
	if (!submit_ok(m, pdu, len, m->s.pdu_tpdu_len))
		return SIM_RES_CMS(CMS_INVALID_PDU_PARAM);
	memcpy(m->s.submit_pdu, pdu, len);
	m->s.submit_len = len;
	at_start_busy(m, m->submit_ms, cmgs_done);
	return SIM_RES_ASYNC;
}

static struct sim_res cmd_cmss(struct sim_modem *m, const struct at_cmd *c)
{
	struct sms_slot *slot;
	long idx;

	if (c->op == AT_OP_TEST)
		return SIM_RES_OK;
	if (c->op != AT_OP_SET)
		return SIM_RES_ERROR;
	if (text_mode(m))
		return SIM_RES_CMS(CMS_OP_NOT_ALLOWED);
	if (!at_arg_int(c, 0, 0, 65535, &idx))
		return SIM_RES_CMS(CMS_INVALID_PDU_PARAM);
	/* Sending to another destination than the stored one is not offered. */
	if (at_arg_present(c, 1))
		return SIM_RES_CMS(CMS_OP_NOT_SUPPORTED);
	slot = sms_store_get(sim_modem_mem(m, 1), (unsigned)idx);
	if (!slot)
		return SIM_RES_CMS(CMS_INVALID_INDEX);
	if (!submit_ok(m, slot->pdu, slot->len, slot_tpdu_len(slot)))
		return SIM_RES_CMS(CMS_INVALID_PDU_PARAM);
	memcpy(m->s.submit_pdu, slot->pdu, slot->len);
	m->s.submit_len = slot->len;
	m->s.cmss_index = (unsigned)idx;
	at_start_busy(m, m->submit_ms, cmss_done);
	return SIM_RES_ASYNC;
}

/* ---- reading and deleting ---- */

static void show_slot(struct sim_modem *m, const char *prefix, unsigned idx, struct sms_slot *slot)
{
	char hex[2 * SMS_PDU_MAX + 1];

	hex_of(hex, sizeof(hex), slot->pdu, slot->len);
	if (idx)
		at_info(m, "%s: %u,%u,,%u", prefix, idx, slot->stat, slot_tpdu_len(slot));
	else
		at_info(m, "%s: %u,,%u", prefix, slot->stat, slot_tpdu_len(slot));
	at_info(m, "%s", hex);
	/* Reading a received message marks it read (27.005 §3.4.2). */
	if (slot->stat == SMS_STAT_REC_UNREAD)
		slot->stat = SMS_STAT_REC_READ;
}

static struct sim_res cmd_cmgl(struct sim_modem *m, const struct at_cmd *c)
{
	struct sms_store *st = sim_modem_mem(m, 0);
	long stat = SMS_STAT_REC_UNREAD;

	if (c->op == AT_OP_TEST) {
		at_info(m, "+CMGL: (0-4)");
		return SIM_RES_OK;
	}
	if (c->op == AT_OP_READ)
		return SIM_RES_ERROR;
	if (text_mode(m))
		return SIM_RES_CMS(CMS_OP_NOT_ALLOWED);
	if (c->op == AT_OP_SET && !at_arg_int(c, 0, 0, 4, &stat))
		return SIM_RES_CMS(CMS_INVALID_PDU_PARAM);
	for (unsigned i = 1; i <= st->total; i++) {
		struct sms_slot *slot = sms_store_get(st, i);

		if (slot && (stat == SMS_STAT_ALL || slot->stat == stat))
			show_slot(m, "+CMGL", i, slot);
	}
	return SIM_RES_OK;
}

static struct sim_res cmd_cmgr(struct sim_modem *m, const struct at_cmd *c)
{
	struct sms_slot *slot;
	long idx;

	if (c->op == AT_OP_TEST)
		return SIM_RES_OK;
	if (c->op != AT_OP_SET)
		return SIM_RES_ERROR;
	if (text_mode(m))
		return SIM_RES_CMS(CMS_OP_NOT_ALLOWED);
	if (!at_arg_int(c, 0, 0, 65535, &idx) || c->argc > 1)
		return SIM_RES_CMS(CMS_INVALID_PDU_PARAM);
	slot = sms_store_get(sim_modem_mem(m, 0), (unsigned)idx);
	if (!slot)
		return SIM_RES_CMS(CMS_INVALID_INDEX);
	show_slot(m, "+CMGR", 0, slot);
	return SIM_RES_OK;
}

static struct sim_res cmd_cmgd(struct sim_modem *m, const struct at_cmd *c)
{
	struct sms_store *st = sim_modem_mem(m, 0);
	long idx = 0, flag = 0;

	if (c->op == AT_OP_TEST) {
		char list[512];
		size_t o = 0;

		list[0] = '\0';
		for (unsigned i = 1; i <= st->total && o + 8 < sizeof(list); i++) {
			if (sms_store_get(st, i))
				o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%u",
						      o ? "," : "", i);
		}
		at_info(m, "+CMGD: (%s),(0-4)", list);
		return SIM_RES_OK;
	}
	if (c->op != AT_OP_SET)
		return SIM_RES_ERROR;
	if (at_arg_present(c, 1) && !at_arg_int(c, 1, 0, 4, &flag))
		return SIM_RES_CMS(CMS_INVALID_PDU_PARAM);
	if (flag == 0) {
		if (!at_arg_int(c, 0, 0, 65535, &idx))
			return SIM_RES_CMS(CMS_INVALID_PDU_PARAM);
		if (idx < 1 || (unsigned long)idx > st->total)
			return SIM_RES_CMS(CMS_INVALID_INDEX);
		/* Deleting an empty slot is not an error on real modems either. */
		sms_store_delete(st, (unsigned)idx);
	} else {
		sms_store_delete_flag(st, (unsigned)flag);
	}
	/* Memory available again: the network may deliver what it kept (RP-SMMA). */
	net_kick(m);
	return SIM_RES_OK;
}

/* ---- settings that are remembered and shown ---- */

static struct sim_res cmd_cmms(struct sim_modem *m, const struct at_cmd *c)
{
	long v;

	switch (c->op) {
	case AT_OP_READ:
		at_info(m, "+CMMS: %u", m->at.cmms);
		return SIM_RES_OK;
	case AT_OP_TEST:
		at_info(m, "+CMMS: (0-2)");
		return SIM_RES_OK;
	case AT_OP_SET:
		if (!at_arg_int(c, 0, 0, 2, &v))
			return SIM_RES_CMS(CMS_OP_NOT_SUPPORTED);
		m->at.cmms = (uint8_t)v;
		return SIM_RES_OK;
	default:
		return SIM_RES_ERROR;
	}
}

static struct sim_res cmd_csdh(struct sim_modem *m, const struct at_cmd *c)
{
	if (c->op == AT_OP_READ)
		at_info(m, "+CSDH: 0");
	else if (c->op == AT_OP_TEST)
		at_info(m, "+CSDH: (0,1)");
	return SIM_RES_OK;
}

static struct sim_res cmd_csmp(struct sim_modem *m, const struct at_cmd *c)
{
	if (c->op == AT_OP_READ)
		at_info(m, "+CSMP: 17,167,0,0");
	return SIM_RES_OK;
}

static struct sim_res cmd_cscb(struct sim_modem *m, const struct at_cmd *c)
{
	if (c->op == AT_OP_READ)
		at_info(m, "+CSCB: 0,\"\",\"\"");
	else if (c->op == AT_OP_TEST)
		at_info(m, "+CSCB: (0,1)");
	return SIM_RES_OK;
}

static struct sim_res cmd_accept(struct sim_modem *m, const struct at_cmd *c)
{
	(void)m;
	(void)c;
	return SIM_RES_OK;
}

const struct at_cmd_def at_sms_cmds[] = {
    {.name = "+CSMS", .fn = cmd_csms, .sms = true},
    {.name = "+CMGF", .fn = cmd_cmgf, .sms = true},
    {.name = "+CSCA", .fn = cmd_csca, .needs_sim = true, .sms = true},
    {.name = "+CPMS", .fn = cmd_cpms, .needs_sim = true, .sms = true},
    {.name = "+CNMI", .fn = cmd_cnmi, .sms = true},
    {.name = "+CNMA", .fn = cmd_cnma, .sms = true},
    {.name = "+CMGS", .fn = cmd_cmgs, .needs_sim = true, .sms = true},
    {.name = "+CMGW", .fn = cmd_cmgw, .needs_sim = true, .sms = true},
    {.name = "+CMSS", .fn = cmd_cmss, .needs_sim = true, .sms = true},
    {.name = "+CMGL", .fn = cmd_cmgl, .needs_sim = true, .sms = true},
    {.name = "+CMGR", .fn = cmd_cmgr, .needs_sim = true, .sms = true},
    {.name = "+CMGD", .fn = cmd_cmgd, .needs_sim = true, .sms = true},
    {.name = "+CMMS", .fn = cmd_cmms, .sms = true},
    {.name = "+CSDH", .fn = cmd_csdh, .sms = true},
    {.name = "+CSMP", .fn = cmd_csmp, .sms = true},
    {.name = "+CSCB", .fn = cmd_cscb, .sms = true},
    {.name = "+CRES", .fn = cmd_accept, .sms = true},
    {.name = "+CSAS", .fn = cmd_accept, .sms = true},
    {.name = NULL},
};

/* ---- incoming ---- */

/* Direct routing to the TE: 27.005 §3.4.1 <mt> 2 (all but class 2) and 3 (class 3). */
static bool route_direct(const struct sim_modem *m, bool has_class, uint8_t cls)
{
	uint8_t mt = m->at.cnmi[1];

	/* Under mode 0 nothing can be forwarded as it comes; store instead. */
	if (m->at.cnmi[0] == 0)
		return false;
	if (mt == 2)
		return !(has_class && cls == 2);
	if (mt == 3)
		return has_class && cls == 3;
	return false;
}

static enum mt_result show_direct(struct sim_modem *m, struct net_msg *msg, const char *head,
				  const uint8_t *pdu, size_t len)
{
	char hex[2 * SMS_PDU_MAX + 1];

	hex_of(hex, sizeof(hex), pdu, len);
	at_urc(m, head, hex);
	if (m->at.csms != 1) {
		m->direct_unacked = true;
		return MT_ACCEPTED;
	}
	m->awaiting_ack = msg;
	osmo_timer_schedule(&m->ack_timer, m->sim->cfg.ack_timeout_ms / 1000,
			    (m->sim->cfg.ack_timeout_ms % 1000) * 1000);
	return MT_AWAITING_ACK;
}

enum mt_result at_sms_offer(struct sim_modem *m, struct net_msg *msg)
{
	struct sms_store *st = sim_modem_mem(m, 2);
	uint8_t pdu[SMS_PDU_MAX];
	char line[64];
	size_t len;
	int idx;

	if (!m->pty.up || m->faults.hang || !sim_modem_attached(m) || m->awaiting_ack)
		return MT_REFUSED;
	len = net_with_smsc(m->sim->net, pdu, sizeof(pdu), msg->tpdu, msg->tpdu_len);

	if (msg->kind == NET_MSG_DELIVER) {
		struct sms_deliver *d = talloc_zero(m, struct sms_deliver);
		bool has_class = false;
		uint8_t cls = 0;

		/* The class decides the route; an undecodable PDU is taken as class-less. */
		if (d && sms_deliver_decode(d, pdu, len, true) >= 0) {
			has_class = d->ud.has_class;
			cls = d->ud.msg_class;
		}
		talloc_free(d);
		if (route_direct(m, has_class, cls)) {
			snprintf(line, sizeof(line), "+CMT: ,%zu", msg->tpdu_len);
			return show_direct(m, msg, line, pdu, len);
		}
		idx = sms_store_put(st, SMS_STAT_REC_UNREAD, pdu, len);
		if (idx < 0) {
			LOGP(DAT, LOGL_INFO, "%s: %s full, memory capacity exceeded\n", m->name,
			     st->name);
			return MT_REFUSED;
		}
		if (m->at.cnmi[1] != 0) {
			snprintf(line, sizeof(line), "+CMTI: \"%s\",%d", st->name, idx);
			indicate(m, line);
		}
		return MT_ACCEPTED;
	}

	/* SMS-STATUS-REPORT per <ds>. With <ds> 0 it is kept in storage silently, so a
	 * client that lost routing after an ack timeout can still find it. */
	if (m->at.cnmi[3] == 1 && m->at.cnmi[0] != 0) {
		snprintf(line, sizeof(line), "+CDS: %zu", msg->tpdu_len);
		return show_direct(m, msg, line, pdu, len);
	}
	idx = sms_store_put(st, SMS_STAT_REC_UNREAD, pdu, len);
	if (idx < 0)
		return MT_REFUSED;
	if (m->at.cnmi[3] == 2) {
		snprintf(line, sizeof(line), "+CDSI: \"%s\",%d", st->name, idx);
		indicate(m, line);
	}
	return MT_ACCEPTED;
}
