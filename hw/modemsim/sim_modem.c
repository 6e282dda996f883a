/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Modem lifecycle: power-on defaults, registration, vanishing and returning ports. */
#include <stdio.h>
#include <string.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "hw/modemsim/at_server.h"
#include "hw/modemsim/at_sms.h"
#include "hw/modemsim/sim_modem.h"
#include "hw/modemsim/modemsim.h"
#include "hw/modemsim/network.h"
#include "hw/modemsim/profile.h"
#include "hw/modemsim/trace.h"

/* Luhn check digit over 14 IMEI digits (3GPP TS 23.003 §B.2). */
static char luhn_digit(const char *d14)
{
	unsigned sum = 0;

	for (unsigned i = 0; i < 14; i++) {
		unsigned v = (unsigned)(d14[i] - '0');

		if (i % 2) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return (char)('0' + (10 - sum % 10) % 10);
}

static void pty_read_cb(void *data, const uint8_t *buf, size_t len)
{
	at_input(data, buf, len);
}

static void reset_timer_cb(void *data)
{
	struct sim_modem *m = data;

	LOGP(DAT, LOGL_INFO, "%s: resetting (AT+CFUN=1,1)\n", m->name);
	sim_modem_vanish(m, MODEMSIM_RESET_MS);
}

struct sim_modem *sim_modem_alloc(struct simulator *sim, unsigned idx, const char *msisdn)
{
	struct sim_modem *m = talloc_zero(sim, struct sim_modem);
	char link[PATH_MAX + 32];

	if (!m)
		return NULL;
	m->sim = sim;
	m->idx = idx;
	snprintf(m->name, sizeof(m->name), "modem%u", idx);
	OSMO_STRLCPY_ARRAY(m->msisdn, msisdn);
	m->profile = sim->cfg.profile;
	/* IMEI: the model's TAC, a serial that differs per modem, Luhn digit. */
	snprintf(m->imei, sizeof(m->imei), "%.8s%06u", m->profile->tac,
		 (idx * 7919 + 104729) % 1000000);
	m->imei[14] = luhn_digit(m->imei);
	m->imei[15] = '\0';
	/* IMSI: test network 001-01, then a subscriber number. */
	snprintf(m->imsi, sizeof(m->imsi), "00101%010u", idx + 1);
	m->submit_ms = sim->cfg.submit_ms;
	m->deliver_ms = sim->cfg.deliver_ms;
	m->next_mr = (uint8_t)(idx * 16);

	snprintf(link, sizeof(link), "%s/%s", sim->cfg.dir, m->name);
	sim_pty_init(&m->pty, m, m->name, link, pty_read_cb, m);
	m->mem[MEM_SM] = sms_store_alloc(m, "SM", sim->cfg.sim_slots);
	m->mem[MEM_ME] = sms_store_alloc(m, "ME", MODEMSIM_ME_SLOTS);
	m->trace = trace_alloc(m, m->name);
	if (!m->mem[MEM_SM] || !m->mem[MEM_ME] || !m->trace) {
		talloc_free(m);
		return NULL;
	}
	at_session_init(m);
	faults_init(m);
	calls_init(m);
	audio_init(m);
	osmo_timer_setup(&m->reset_timer, reset_timer_cb, m);
	osmo_timer_setup(&m->ack_timer, at_sms_ack_timeout, m);
	osmo_timer_setup(&m->kick_timer, net_kick_cb, m);
	return m;
}

int sim_modem_start(struct sim_modem *m)
{
	int rc = sim_pty_open(&m->pty);

	if (rc < 0)
		return rc;
	rc = audio_open(m);
	if (rc < 0)
		return rc;
	sim_modem_power_on(m);
	return 0;
}

void sim_modem_free(struct sim_modem *m)
{
	osmo_timer_del(&m->reset_timer);
	osmo_timer_del(&m->ack_timer);
	osmo_timer_del(&m->kick_timer);
	faults_cleanup(m);
	calls_cleanup(m);
	audio_cleanup(m);
	at_session_cleanup(m);
	m->awaiting_ack = NULL;
	net_modem_free(m->sim->net, m);
	sim_pty_close(&m->pty);
	talloc_free(m);
}

void sim_modem_at_defaults(struct sim_modem *m)
{
	struct at_settings *a = &m->at;

	memset(a, 0, sizeof(*a));
	a->echo = true;
	memcpy(a->cnmi, m->profile->cnmi, sizeof(a->cnmi));
	a->mem[0] = a->mem[1] = a->mem[2] = MEM_SM;
	a->curc = m->profile->huawei ? 1 : 0;
	OSMO_STRLCPY_ARRAY(a->cscs, "IRA");
	/* V.250 §6.2: S3 <CR>, S4 <LF>, S5 backspace; S7 connection wait. */
	a->sreg[3] = 13;
	a->sreg[4] = 10;
	a->sreg[5] = 8;
	a->sreg[7] = 60;
}

void sim_modem_power_on(struct sim_modem *m)
{
	at_session_reset(m);
	osmo_timer_del(&m->reset_timer);
	/* A +CMT the client never acknowledged is the network's again. */
	if (m->awaiting_ack) {
		struct net_msg *msg = m->awaiting_ack;

		m->awaiting_ack = NULL;
		osmo_timer_del(&m->ack_timer);
		net_mt_failed(m, msg);
	}
	m->direct_unacked = false;
	calls_power_on(m);
	sim_modem_at_defaults(m);
	m->cfun = 1;
	m->pin_locked = m->faults.pin;
	OSMO_STRLCPY_ARRAY(m->csca, m->sim->cfg.smsc);
	/* +CREG=0 etc. after power-on: nothing to announce, just remember the state. */
	m->shown_cs = sim_modem_reg_cs(m);
	m->shown_ps = m->shown_eps = sim_modem_reg_eps(m);
	net_kick(m);
}

void sim_modem_vanish(struct sim_modem *m, unsigned ms)
{
	osmo_timer_del(&m->faults.vanish_timer);
	if (m->pty.up) {
		/* Everything the modem had in progress goes with it. */
		at_session_reset(m);
		if (m->awaiting_ack) {
			struct net_msg *msg = m->awaiting_ack;

			m->awaiting_ack = NULL;
			osmo_timer_del(&m->ack_timer);
			net_mt_failed(m, msg);
		}
		sim_pty_close(&m->pty);
		/* Calls end with it, and its audio port goes too (the same USB device). */
		calls_power_on(m);
		audio_close(m);
	}
	m->faults.vanished = true;
	if (ms)
		osmo_timer_schedule(&m->faults.vanish_timer, ms / 1000, (ms % 1000) * 1000);
}

void sim_modem_return(struct sim_modem *m)
{
	int rc;

	osmo_timer_del(&m->faults.vanish_timer);
	m->faults.vanished = false;
	rc = sim_pty_open(&m->pty);
	if (rc == 0) {
		rc = audio_open(m);
		if (rc < 0)
			sim_pty_close(&m->pty);
	}
	if (rc < 0) {
		/* Out of PTYs or the directory went away: try again, as udev would. */
		LOGP(DPTY, LOGL_ERROR, "%s: cannot recreate port: %s\n", m->name, strerror(-rc));
		m->faults.vanished = true;
		osmo_timer_schedule(&m->faults.vanish_timer, 1, 0);
		return;
	}
	sim_modem_power_on(m);
}

void sim_modem_schedule_reset(struct sim_modem *m)
{
	/* Long enough for the OK to reach the client before the port goes. */
	osmo_timer_schedule(&m->reset_timer, 0, 100 * 1000);
}

enum reg_stat sim_modem_reg_eps(const struct sim_modem *m)
{
	if (!m->pty.up || m->cfun != 1 || m->pin_locked)
		return REG_NOT;
	if (m->faults.deregistered)
		return REG_SEARCHING;
	return REG_HOME;
}

enum reg_stat sim_modem_reg_cs(const struct sim_modem *m)
{
	enum reg_stat st = sim_modem_reg_eps(m);

	/* LTE modems on a network without CS fallback: +CREG 0, +CEREG 1. */
	if (st == REG_HOME && m->faults.cs_unregistered)
		return REG_NOT;
	return st;
}

bool sim_modem_attached(const struct sim_modem *m)
{
	return sim_modem_reg_eps(m) == REG_HOME;
}

void sim_modem_format_reg(const struct sim_modem *m, char *buf, size_t cap, const char *cmd,
			  bool urc)
{
	bool cs = strcmp(cmd, "+CREG") == 0;
	bool eps = strcmp(cmd, "+CEREG") == 0;
	uint8_t n = cs ? m->at.creg_n : eps ? m->at.cereg_n : m->at.cgreg_n;
	enum reg_stat st = cs ? sim_modem_reg_cs(m) : sim_modem_reg_eps(m);
	int o;

	if (urc)
		o = snprintf(buf, cap, "%s: %d", cmd, st);
	else
		o = snprintf(buf, cap, "%s: %u,%d", cmd, n, st);
	/* n=2 adds where the modem is: LAC (or TAC for EPS) and cell id, then AcT. */
	if (n == 2 && st == REG_HOME && o > 0 && (size_t)o < cap) {
		o += snprintf(buf + o, cap - (size_t)o, ",\"%s\",\"%s\"", eps ? "2B67" : "00A1",
			      eps ? "01A2B3C4" : "B2C3");
		if (m->profile->act && o > 0 && (size_t)o < cap)
			snprintf(buf + o, cap - (size_t)o, ",%u", m->profile->act);
	}
}

static void announce(struct sim_modem *m, const char *cmd, uint8_t n)
{
	char buf[80];

	if (n == 0)
		return;
	sim_modem_format_reg(m, buf, sizeof(buf), cmd, true);
	at_urc(m, buf, NULL);
}

void sim_modem_registration_changed(struct sim_modem *m)
{
	uint8_t cs = sim_modem_reg_cs(m), eps = sim_modem_reg_eps(m);

	if (cs != m->shown_cs) {
		m->shown_cs = cs;
		announce(m, "+CREG", m->at.creg_n);
	}
	if (eps != m->shown_ps) {
		m->shown_ps = eps;
		announce(m, "+CGREG", m->at.cgreg_n);
	}
	if (eps != m->shown_eps) {
		m->shown_eps = eps;
		if (m->profile->lte)
			announce(m, "+CEREG", m->at.cereg_n);
	}
	/* Calls need the circuit-switched network: losing it drops them. */
	if (cs != REG_HOME && m->voice.n_calls)
		calls_release_all(m, CALL_END_RADIO, CALL_BY_NETWORK);
	if (sim_modem_attached(m))
		net_kick(m);
}
