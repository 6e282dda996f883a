/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* One modem's lifecycle as an osmo_fsm: opening → probing → sim → registering →
 * sms-setup (ending with a sweep of the storage) → ready, health checks in ready, and
 * recovery (close, optionally AT+CFUN=1,1, reopen with backoff) from a hang, a vanished
 * port or errors in a row.
 *
 * Timing: libosmocore 1.7.0 arms sub-second osmo_fsm timeouts wrongly, and tests need
 * millisecond waits, so the FSM has no state timeouts; each modem has one osmo_timer
 * that dispatches MODEM_EV_TIMER, armed by the state that needs it.
 *
 * Channel closing is always deferred to that timer: the events that cause recovery come
 * from inside at_channel callbacks, where the channel must not be freed.
 *
 * Each state has its onenter and its action, in the order the modem goes through them;
 * the commands a state sends are its script (the tables below), which modem_script.c
 * runs and whose answers modem_parse.c reads. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/tdef.h>
#include <osmocom/core/utils.h>

#include "modem/driver/modem_internal.h"
#include "modem/driver/modem_log.h"

struct osmo_tdef modem_tdefs[] = {
    {.T = MODEM_T_BACKOFF_MIN,
     .default_val = 1000,
     .val = 1000,
     .unit = OSMO_TDEF_MS,
     .desc = "first wait before reopening a modem after a failure"},
    {.T = MODEM_T_BACKOFF_MAX,
     .default_val = 30000,
     .val = 30000,
     .unit = OSMO_TDEF_MS,
     .desc = "longest wait before reopening a modem"},
    {.T = MODEM_T_REG_POLL,
     .default_val = 1000,
     .val = 1000,
     .unit = OSMO_TDEF_MS,
     .desc = "registration poll while not registered"},
    {.T = MODEM_T_HEALTH,
     .default_val = 30000,
     .val = 30000,
     .unit = OSMO_TDEF_MS,
     .desc = "health check interval (when the modem's health-interval is 0)"},
    {.T = MODEM_T_SEND_RETRY,
     .default_val = 1000,
     .val = 1000,
     .unit = OSMO_TDEF_MS,
     .desc = "first wait before retrying a transient +CMS error"},
    {.T = MODEM_T_SEND_RETRY_MAX,
     .default_val = 16000,
     .val = 16000,
     .unit = OSMO_TDEF_MS,
     .desc = "longest wait before retrying a transient +CMS error"},
    {.T = MODEM_T_SEND_ATTEMPTS,
     .default_val = 5,
     .val = 5,
     .unit = OSMO_TDEF_CUSTOM,
     .desc = "attempts of one part before it is reported failed"},
    {.T = MODEM_T_MAX_ERRORS,
     .default_val = 3,
     .val = 3,
     .unit = OSMO_TDEF_CUSTOM,
     .desc = "health check errors in a row before recovery"},
    {.T = MODEM_T_CFUN,
     .default_val = 2000,
     .val = 2000,
     .unit = OSMO_TDEF_MS,
     .desc = "how long AT+CFUN=1,1 may take to answer"},
    {.T = MODEM_T_SIM_POLL,
     .default_val = 5000,
     .val = 5000,
     .unit = OSMO_TDEF_MS,
     .desc = "+CPIN? poll while the SIM is not usable"},
    {.T = MODEM_T_CALL_POLL,
     .default_val = 2000,
     .val = 2000,
     .unit = OSMO_TDEF_MS,
     .desc = "+CLCC poll while a call exists"},
    {.T = MODEM_T_RING,
     .default_val = 8,
     .val = 8,
     .unit = OSMO_TDEF_S,
     .desc = "no RING for this long: a ringing call was missed"},
    {.T = MODEM_T_NO_ANSWER,
     .default_val = 45,
     .val = 45,
     .unit = OSMO_TDEF_S,
     .desc = "an outgoing call not answered within this is hung up"},
    {.T = MODEM_T_ANSWER,
     .default_val = 10,
     .val = 10,
     .unit = OSMO_TDEF_S,
     .desc = "an answered call not active within this is hung up"},
    {.T = MODEM_T_RELEASE,
     .default_val = 5,
     .val = 5,
     .unit = OSMO_TDEF_S,
     .desc = "a hang-up not confirmed within this is taken as done"},
    {.T = MODEM_T_DIAL,
     .default_val = 90000,
     .val = 90000,
     .unit = OSMO_TDEF_MS,
     .desc = "how long ATD may take to answer (until the far end answers on some modems)"},
    {.T = MODEM_T_AUDIO_STALL,
     .default_val = 60,
     .val = 60,
     .unit = OSMO_TDEF_MS,
     .desc = "no call audio heard for this long: the uplink is clocked by a timer"},
    {.T = MODEM_T_AUDIO_QUEUE,
     .default_val = 4,
     .val = 4,
     .unit = OSMO_TDEF_CUSTOM,
     .desc = "uplink audio frames queued at most (the oldest is dropped)"},
    {.T = MODEM_T_AUDIO_RETRY,
     .default_val = 200,
     .val = 200,
     .unit = OSMO_TDEF_MS,
     .desc = "wait before switching call audio on a second time"},
    {.T = MODEM_T_RESET_WAIT,
     .default_val = 0,
     .val = 0,
     .unit = OSMO_TDEF_MS,
     .desc = "how long the port is gone after a reset (0: as the modem's profile says)"},
    {}};

static const struct value_string state_names[] = {{MODEM_ST_OPENING, "opening"},
						  {MODEM_ST_PROBING, "probing"},
						  {MODEM_ST_SIM, "sim"},
						  {MODEM_ST_REGISTERING, "registering"},
						  {MODEM_ST_SMS_SETUP, "sms-setup"},
						  {MODEM_ST_READY, "ready"},
						  {MODEM_ST_RECOVERING, "recovering"},
						  {MODEM_ST_STOPPED, "stopped"},
						  {0, NULL}};

const char *modem_state_name(enum modem_state st)
{
	return get_value_string(state_names, st);
}

static const struct value_string event_names[] = {{MODEM_EV_TIMER, "TIMER"},
						  {MODEM_EV_SCRIPT_DONE, "SCRIPT_DONE"},
						  {MODEM_EV_FAILED, "FAILED"},
						  {MODEM_EV_HANG, "HANG"},
						  {MODEM_EV_PORT_CLOSED, "PORT_CLOSED"},
						  {MODEM_EV_STOP, "STOP"},
						  {0, NULL}};

static unsigned long tdef_ms(int T)
{
	return osmo_tdef_get(modem_tdefs, T, OSMO_TDEF_MS, -1);
}

static void timer_ms(struct modem *m, unsigned long ms)
{
	osmo_timer_schedule(&m->timer, ms / 1000, (ms % 1000) * 1000);
}

static void state_chg(struct modem *m, enum modem_state st)
{
	osmo_fsm_inst_state_chg(m->fi, st, 0, 0);
}

bool modem_ready(const struct modem *m)
{
	return m->fi && m->fi->state == MODEM_ST_READY && m->ch;
}

/* ---- the states' command scripts (modem_script.c runs them) ---- */

static const struct modem_step probe_steps[] = {
    {.cmd = "AT"}, /* may meet echo or line noise: only its answer matters */
    {.cmd = "ATE0", .mandatory = true},
    {.cmd = "AT+CMEE=1"},
    {.cmd = "AT+CGMI", .parse = modem_parse_cgmi},
    {.cmd = "AT+CGMM", .parse = modem_parse_cgmm},
    {.cmd = "AT+CGMR", .parse = modem_parse_cgmr},
    {.cmd = "AT+CGSN", .parse = modem_parse_cgsn},
};

static const struct modem_step cpin_steps[] = {
    {.cmd = "AT+CPIN?", .expect = "+CPIN:", .parse = modem_parse_cpin},
};

static const struct modem_step pin_steps[] = {
    {.cmd = "AT+CPIN=<pin>", .build = modem_build_cpin, .parse = modem_parse_cpin_set},
};

static const struct modem_step reg_steps[] = {
    {.cmd = "AT+CIMI", .parse = modem_parse_cimi},
    {.cmd = "AT+CREG?", .expect = "+CREG:", .parse = modem_parse_creg},
    /* ERROR on 2G/3G-only modems. */
    {.cmd = "AT+CEREG?", .expect = "+CEREG:", .parse = modem_parse_cereg},
};

static const struct modem_step drain_list_steps[] = {
    {.cmd = "AT+CPMS=?", .expect = "+CPMS:", .parse = modem_parse_cpms_list},
};

static const struct modem_step drain_select_steps[] = {
    {.cmd = "AT+CPMS=<drain>",
     .expect = "+CPMS:",
     .build = modem_build_cpms_drain,
     .parse = modem_parse_cpms},
};

static const struct modem_step setup_steps[] = {
    {.cmd = "AT+CMGF=0", .mandatory = true},
    /* Phase 2+: +CMT and +CDS are acknowledged by us (+CNMA), after the commit. */
    {.cmd = "AT+CSMS=1", .expect = "+CSMS:", .mandatory = true},
    {.cmd = "AT+CPMS=<storage>",
     .expect = "+CPMS:",
     .mandatory = true,
     .build = modem_build_cpms,
     .parse = modem_parse_cpms},
    {.cmd = "AT+CNMI=<profile>", .mandatory = true, .build = modem_build_cnmi},
};

static const struct modem_step init_step[] = {
    {.cmd = "<profile init>", .build = modem_build_init, .parse = modem_parse_init},
};

static const struct modem_step health_steps[] = {
    {.cmd = "AT+CSQ", .expect = "+CSQ:", .mandatory = true, .parse = modem_parse_csq},
    {.cmd = "AT+CREG?", .expect = "+CREG:", .mandatory = true, .parse = modem_parse_creg},
    {.cmd = "AT+CEREG?", .expect = "+CEREG:", .parse = modem_parse_cereg},
    {.cmd = "AT+CNMI?", .expect = "+CNMI:", .mandatory = true, .parse = modem_parse_cnmi_query},
    {.cmd = "AT+CPMS?", .expect = "+CPMS:", .mandatory = true, .parse = modem_parse_cpms},
};

/* ---- the channel ---- */

static void on_closed(struct at_channel *ch, void *data)
{
	struct modem *m = data;

	if (m->stopping || ch != m->ch)
		return;
	LOGPFSML(m->fi, LOGL_NOTICE, "port %s vanished\n", m->cfg.device);
	osmo_fsm_inst_dispatch(m->fi, MODEM_EV_PORT_CLOSED, NULL);
}

static const struct at_channel_ops ch_ops = {
    .on_closed = on_closed,
};

/* Open and lock the AT port. A failure is logged as an ERROR when it is new (another
 * process took the port, it vanished...), then quietly at each retry of the backoff. */
static struct at_channel *open_port(struct modem *m)
{
	char why[sizeof(m->port_error)] = "";
	struct at_channel *ch =
	    at_channel_open_port(m, m->cfg.device, m->cfg.name, &ch_ops, m, why, sizeof(why));
	int err = errno;

	if (ch) {
		if (m->port_error[0])
			LOGPFSML(m->fi, LOGL_NOTICE, "%s is open again\n", m->cfg.device);
		m->port_error[0] = '\0';
		m->port_busy = false;
		return ch;
	}
	if (!why[0])
		snprintf(why, sizeof(why), "cannot open %s: %s", m->cfg.device, strerror(err));
	LOGPFSML(m->fi, strcmp(why, m->port_error) ? LOGL_ERROR : LOGL_DEBUG, "%s\n", why);
	OSMO_STRLCPY_ARRAY(m->port_error, why);
	m->port_busy = err == EBUSY;
	return NULL;
}

static void close_channel(struct modem *m)
{
	struct at_channel *ch = m->ch;

	if (!ch)
		return;
	m->ch = NULL;
	m->cmms_on = false;
	/* Completes what was queued with AT_RES_CLOSED: the send side takes its part back. */
	at_channel_close(ch);
}

void modem_cmd_timeout(struct modem *m)
{
	m->hung = true;
	osmo_fsm_inst_dispatch(m->fi, MODEM_EV_HANG, NULL);
}

/* ---- states ---- */

/* Every state's onenter begins here: answers to the previous state's commands are
 * stale from now on (m->gen), and its timer is off. */
static struct modem *enter(struct osmo_fsm_inst *fi)
{
	struct modem *m = fi->priv;

	m->gen++;
	m->script_running = false;
	osmo_timer_del(&m->timer);
	return m;
}

/* ... and ends here: the driver's user hears of the new state. */
static void entered(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct modem *m = fi->priv;
	struct modem_pool *pool = m->pool;

	if (pool->ev.on_state && prev != fi->state && !m->stopping)
		pool->ev.on_state(m, fi->state, pool->ev_data);
}

/* OPENING: open the port (from the timer, never inside a channel callback). */
static void st_opening_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct modem *m = enter(fi);

	timer_ms(m, 0);
	entered(fi, prev);
}

static void st_opening(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct modem *m = fi->priv;

	(void)data;
	if (event != MODEM_EV_TIMER)
		return;
	m->ch = open_port(m);
	if (!m->ch) {
		state_chg(m, MODEM_ST_RECOVERING);
		return;
	}
	m->session++;
	m->cmms_on = false;
	modem_rx_new_session(m);
	modem_rx_register_urcs(m);
	modem_call_register_urcs(m);
	state_chg(m, MODEM_ST_PROBING);
}

/* PROBING: identify the modem and choose its profile. */
static void st_probing_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct modem *m = enter(fi);

	/* A process that died after the "> " prompt left the modem in PDU entry, where our
	 * AT would be taken for PDU characters: ESC first (as ModemManager and gammu do). */
	at_channel_escape(m->ch);
	modem_script_run(m, probe_steps, ARRAY_SIZE(probe_steps));
	entered(fi, prev);
}

static void st_probing(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct modem *m = fi->priv;

	(void)data;
	if (event != MODEM_EV_SCRIPT_DONE)
		return;
	if (!m->profile_fixed)
		m->profile = modem_profile_for_cgmm(m->model);
	LOGPFSML(fi, LOGL_INFO, "%s %s rev %s IMEI %s: profile %s\n", m->manufacturer, m->model,
		 m->revision, m->imei, m->profile->name);
	state_chg(m, MODEM_ST_SIM);
}

/* SIM: wait for a usable SIM, giving the PIN once if one is configured. */
static void st_sim_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct modem *m = enter(fi);

	m->pin_sent = false;
	modem_script_run(m, cpin_steps, ARRAY_SIZE(cpin_steps));
	entered(fi, prev);
}

static void st_sim(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct modem *m = fi->priv;

	(void)data;
	if (event == MODEM_EV_TIMER) {
		modem_script_run(m, cpin_steps, ARRAY_SIZE(cpin_steps));
		return;
	}
	if (event != MODEM_EV_SCRIPT_DONE)
		return;
	if (m->script == pin_steps) {
		/* Ask again: the SIM takes a moment to say READY on some modems. */
		modem_script_run(m, cpin_steps, ARRAY_SIZE(cpin_steps));
		return;
	}
	if (strcmp(m->sim_status, "READY") == 0) {
		state_chg(m, MODEM_ST_REGISTERING);
		return;
	}
	if (strcmp(m->sim_status, "SIM PIN") == 0 && m->cfg.sim_pin && !m->pin_rejected &&
	    !m->pin_sent) {
		m->pin_sent = true;
		modem_script_run(m, pin_steps, ARRAY_SIZE(pin_steps));
		return;
	}
	LOGPFSML(fi, LOGL_ERROR, "SIM not usable: %s%s\n", m->sim_status,
		 strcmp(m->sim_status, "SIM PIN") == 0 && !m->cfg.sim_pin ? " (no PIN configured)"
									  : "");
	timer_ms(m, tdef_ms(MODEM_T_SIM_POLL));
}

/* REGISTERING: poll until the modem is registered (home or roaming). */
static void st_registering_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct modem *m = enter(fi);

	m->creg = m->cereg = -1;
	modem_script_run(m, reg_steps, ARRAY_SIZE(reg_steps));
	entered(fi, prev);
}

static void st_registering(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct modem *m = fi->priv;

	(void)data;
	if (event == MODEM_EV_TIMER) {
		modem_script_run(m, reg_steps + 1, ARRAY_SIZE(reg_steps) - 1);
		return;
	}
	if (event != MODEM_EV_SCRIPT_DONE)
		return;
	if (modem_registered(m)) {
		state_chg(m, MODEM_ST_SMS_SETUP);
		return;
	}
	LOGPFSML(fi, LOGL_INFO, "not registered yet (creg %d, cereg %d)\n", m->creg, m->cereg);
	m->creg = m->cereg = -1;
	timer_ms(m, tdef_ms(MODEM_T_REG_POLL));
}

/* SMS_SETUP: drain the storages other than the profile's, set up PDU mode, storage,
 * +CNMI and the profile's init strings, then sweep the storage. */
static void st_sms_setup_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct modem *m = enter(fi);

	m->init_pos = 0;
	m->setup_sweep = false;
	m->draining = false;
	m->drain_n = m->drain_pos = 0;
	modem_script_run(m, drain_list_steps, ARRAY_SIZE(drain_list_steps));
	entered(fi, prev);
}

/* Next storage to drain, or on to the set-up proper when none is left. */
static void drain_next(struct modem *m)
{
	m->draining = false;
	if (m->drain_pos < m->drain_n) {
		m->storage_used = -1;
		modem_script_run(m, drain_select_steps, ARRAY_SIZE(drain_select_steps));
		return;
	}
	modem_script_run(m, setup_steps, ARRAY_SIZE(setup_steps));
}

/* A drained storage is done once its sweep is over and every message of it is
 * committed and deleted: only then may the read storage change under +CMGD. */
static void drain_check(struct modem *m)
{
	if (!m->draining || m->sweeping || modem_rx_stored_known(m) > 0)
		return;
	m->drain_pos++;
	drain_next(m);
}

static void st_sms_setup(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct modem *m = fi->priv;

	(void)data;
	if (event != MODEM_EV_SCRIPT_DONE)
		return;
	if (m->script == drain_list_steps) {
		drain_next(m);
		return;
	}
	if (m->script == drain_select_steps) {
		if (m->storage_used > 0) {
			LOGPFSML(fi, LOGL_NOTICE, "storage %s holds %d: taking them first\n",
				 m->drain[m->drain_pos], m->storage_used);
			m->draining = true;
			if (!modem_rx_sweep(m))
				drain_check(m);
			return;
		}
		m->drain_pos++;
		drain_next(m);
		return;
	}
	if (modem_init_cmd(m, m->init_pos)) {
		modem_script_run(m, init_step, 1);
		return;
	}
	/* Take what is stored (messages that came while nobody listened) before declaring
	 * ready; modem_fsm_sweep_done() follows. */
	m->setup_sweep = true;
	if (!modem_rx_sweep(m))
		modem_fsm_sweep_done(m);
}

void modem_fsm_stored_deleted(struct modem *m)
{
	if (m->fi && m->fi->state == MODEM_ST_SMS_SETUP)
		drain_check(m);
}

void modem_fsm_sweep_done(struct modem *m)
{
	if (!m->fi || m->fi->state != MODEM_ST_SMS_SETUP)
		return;
	if (m->draining) {
		drain_check(m);
		return;
	}
	if (!m->setup_sweep)
		return;
	m->setup_sweep = false;
	state_chg(m, MODEM_ST_READY);
}

/* READY: send and receive; a health check every health interval. */
static unsigned long health_ms(const struct modem *m)
{
	if (m->cfg.health_interval_s)
		return m->cfg.health_interval_s * 1000UL;
	return tdef_ms(MODEM_T_HEALTH);
}

static void cnmi_fix_cb(struct at_channel *ch, const struct at_response *resp, void *data)
{
	struct modem *m = data;

	(void)ch;
	if (m->stopping || resp->result == AT_RES_CLOSED)
		return;
	if (resp->result == AT_RES_TIMEOUT)
		modem_cmd_timeout(m);
	else if (resp->result != AT_RES_OK)
		LOGPFSML(m->fi, LOGL_ERROR, "re-applying +CNMI: %s\n", resp->final_line);
}

static void health_done(struct modem *m)
{
	if (m->cnmi_seen[0] && !modem_cnmi_matches(m->cnmi_seen, m->cnmi_set)) {
		char cmd[64];

		/* A late +CNMA makes the modem reset +CNMI (27.005 §3.4.1); what arrived
		 * since then went to storage silently. */
		LOGPFSML(m->fi, LOGL_NOTICE, "+CNMI is %s, not %s: re-applying and sweeping\n",
			 m->cnmi_seen, m->cnmi_set);
		snprintf(cmd, sizeof(cmd), "AT+CNMI=%s", m->cnmi_set);
		at_channel_cmd(m->ch, cmd, NULL, 0, cnmi_fix_cb, m);
		modem_rx_sweep(m);
	} else if (m->storage_used > 0 && (unsigned)m->storage_used > modem_rx_stored_known(m)) {
		/* Messages in storage we were not told about (or a full SIM): take them. */
		LOGPFSML(m->fi, LOGL_INFO, "storage holds %d/%d, %u known: sweeping\n",
			 m->storage_used, m->storage_total, modem_rx_stored_known(m));
		modem_rx_sweep(m);
	}
	if (!modem_registered(m))
		LOGPFSML(m->fi, LOGL_NOTICE, "not registered (creg %d, cereg %d)\n", m->creg,
			 m->cereg);
	timer_ms(m, health_ms(m));
	if (m->voice_reset_due)
		modem_fsm_reset_when_idle(m);
}

static void st_ready_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct modem *m = enter(fi);

	LOGPFSML(fi, LOGL_NOTICE, "ready: %s %s, profile %s\n", m->manufacturer, m->model,
		 m->profile->name);
	m->backoff_ms = 0;
	m->hung = false;
	m->cfun_tried = false;
	m->errors_in_row = 0;
	timer_ms(m, health_ms(m));
	modem_send_kick(m);
	modem_call_ready(m);
	entered(fi, prev);
}

static void st_ready(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct modem *m = fi->priv;

	(void)data;
	switch (event) {
	case MODEM_EV_TIMER:
		if (m->script_running) {
			timer_ms(m, health_ms(m));
			return;
		}
		modem_script_run(m, health_steps, ARRAY_SIZE(health_steps));
		break;
	case MODEM_EV_SCRIPT_DONE:
		health_done(m);
		break;
	}
}

/* RECOVERING: close the port, reset a hung modem (AT+CFUN=1,1) when the profile can,
 * and reopen after a backoff. */
static void st_recovering_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct modem *m = enter(fi);

	if (prev != MODEM_ST_OPENING)
		m->recoveries++;
	modem_calls_lost(m);
	m->rec_step = REC_CLOSE;
	timer_ms(m, 0);
	entered(fi, prev);
}

static void cfun_cb(struct at_channel *ch, const struct at_response *resp, void *data)
{
	struct modem *m = data;

	(void)ch;
	if (m->stopping || m->fi->state != MODEM_ST_RECOVERING || m->rec_step != REC_CFUN)
		return;
	LOGPFSML(m->fi, LOGL_NOTICE, "reset: %s\n", at_result_name(resp->result));
	m->rec_step = REC_CFUN_DONE;
	timer_ms(m, 0);
}

static void st_recovering(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct modem *m = fi->priv;
	unsigned long min = tdef_ms(MODEM_T_BACKOFF_MIN), max = tdef_ms(MODEM_T_BACKOFF_MAX);

	(void)data;
	if (event != MODEM_EV_TIMER)
		return;
	switch (m->rec_step) {
	case REC_CLOSE:
		close_channel(m);
		if ((m->hung || m->voice_reset) && m->profile && m->profile->cfun_reset &&
		    !m->cfun_tried) {
			/* The port is there but the firmware does not answer, or its audio is
			 * dead: reset it. */
			const char *reset = m->voice_reset && m->profile->voice.reset
						? m->profile->voice.reset
						: "AT+CFUN=1,1";

			m->cfun_tried = true;
			m->voice_reset = false;
			m->ch = open_port(m);
			if (m->ch) {
				m->rec_step = REC_CFUN;
				LOGPFSML(fi, LOGL_NOTICE, "resetting the modem (%s)\n", reset);
				if (at_channel_cmd(m->ch, reset, NULL, tdef_ms(MODEM_T_CFUN),
						   cfun_cb, m) == 0)
					return;
			}
		}
		m->backoff_ms = m->backoff_ms ? m->backoff_ms * 2 : min;
		if (m->backoff_ms > max)
			m->backoff_ms = max;
		LOGPFSML(fi, LOGL_INFO, "reopening in %u ms\n", m->backoff_ms);
		m->rec_step = REC_REOPEN;
		timer_ms(m, m->backoff_ms);
		break;
	case REC_CFUN:
		break;
	case REC_CFUN_DONE:
		close_channel(m);
		m->rec_step = REC_REOPEN;
		timer_ms(m, tdef_ms(MODEM_T_RESET_WAIT) ? tdef_ms(MODEM_T_RESET_WAIT)
							: m->profile->reset_wait_s * 1000UL);
		break;
	case REC_REOPEN:
		state_chg(m, MODEM_ST_OPENING);
		break;
	}
}

/* STOPPED: the pool is shutting down (allstate closed the port). */
static void st_stopped_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	enter(fi);
	entered(fi, prev);
}

static void allstate(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct modem *m = fi->priv;

	(void)data;
	switch (event) {
	case MODEM_EV_STOP:
		m->stopping = true;
		osmo_timer_del(&m->timer);
		modem_calls_lost(m);
		close_channel(m);
		state_chg(m, MODEM_ST_STOPPED);
		return;
	case MODEM_EV_HANG:
	case MODEM_EV_FAILED:
	case MODEM_EV_PORT_CLOSED:
		if (fi->state == MODEM_ST_RECOVERING || fi->state == MODEM_ST_STOPPED)
			return;
		if (event == MODEM_EV_FAILED)
			LOGPFSML(fi, LOGL_ERROR, "commands fail: recovering\n");
		state_chg(m, MODEM_ST_RECOVERING);
		return;
	}
}

#define S(x) (1 << (x))
#define E(x) (1 << (x))
/* Every live state may fall into recovery, and any may stop. */
#define S_DOWN (S(MODEM_ST_RECOVERING) | S(MODEM_ST_STOPPED))

static const struct osmo_fsm_state modem_states[] = {
    [MODEM_ST_OPENING] = {.name = "OPENING",
			  .in_event_mask = E(MODEM_EV_TIMER),
			  .out_state_mask = S(MODEM_ST_PROBING) | S_DOWN,
			  .onenter = st_opening_onenter,
			  .action = st_opening},
    [MODEM_ST_PROBING] = {.name = "PROBING",
			  .in_event_mask = E(MODEM_EV_SCRIPT_DONE),
			  .out_state_mask = S(MODEM_ST_SIM) | S_DOWN,
			  .onenter = st_probing_onenter,
			  .action = st_probing},
    [MODEM_ST_SIM] = {.name = "SIM",
		      .in_event_mask = E(MODEM_EV_SCRIPT_DONE) | E(MODEM_EV_TIMER),
		      .out_state_mask = S(MODEM_ST_REGISTERING) | S_DOWN,
		      .onenter = st_sim_onenter,
		      .action = st_sim},
    [MODEM_ST_REGISTERING] = {.name = "REGISTERING",
			      .in_event_mask = E(MODEM_EV_SCRIPT_DONE) | E(MODEM_EV_TIMER),
			      .out_state_mask = S(MODEM_ST_SMS_SETUP) | S_DOWN,
			      .onenter = st_registering_onenter,
			      .action = st_registering},
    [MODEM_ST_SMS_SETUP] = {.name = "SMS_SETUP",
			    .in_event_mask = E(MODEM_EV_SCRIPT_DONE),
			    .out_state_mask = S(MODEM_ST_READY) | S_DOWN,
			    .onenter = st_sms_setup_onenter,
			    .action = st_sms_setup},
    [MODEM_ST_READY] = {.name = "READY",
			.in_event_mask = E(MODEM_EV_SCRIPT_DONE) | E(MODEM_EV_TIMER),
			.out_state_mask = S_DOWN,
			.onenter = st_ready_onenter,
			.action = st_ready},
    [MODEM_ST_RECOVERING] = {.name = "RECOVERING",
			     .in_event_mask = E(MODEM_EV_TIMER),
			     .out_state_mask = S(MODEM_ST_OPENING) | S(MODEM_ST_STOPPED),
			     .onenter = st_recovering_onenter,
			     .action = st_recovering},
    [MODEM_ST_STOPPED] = {.name = "STOPPED", .onenter = st_stopped_onenter},
};

static struct osmo_fsm modem_fsm = {
    .name = "modem",
    .states = modem_states,
    .num_states = ARRAY_SIZE(modem_states),
    .allstate_event_mask =
	E(MODEM_EV_HANG) | E(MODEM_EV_FAILED) | E(MODEM_EV_PORT_CLOSED) | E(MODEM_EV_STOP),
    .allstate_action = allstate,
    .event_names = event_names,
};

static void fsm_timer_cb(void *data)
{
	struct modem *m = data;

	osmo_fsm_inst_dispatch(m->fi, MODEM_EV_TIMER, NULL);
}

int modem_fsm_start(struct modem *m)
{
	static bool registered_fsm;
	char id[64];

	if (!registered_fsm) {
		modem_fsm.log_subsys = DMODEM;
		if (osmo_fsm_register(&modem_fsm) < 0)
			return -EINVAL;
		registered_fsm = true;
	}
	osmo_strlcpy(id, m->cfg.name, sizeof(id));
	osmo_identifier_sanitize_buf(id, NULL, '_');
	m->fi = osmo_fsm_inst_alloc(&modem_fsm, m, m, LOGL_INFO, id);
	if (!m->fi)
		return -ENOMEM;
	osmo_timer_setup(&m->timer, fsm_timer_cb, m);
	m->creg = m->cereg = m->rssi = m->ber = -1;
	m->storage_used = m->storage_total = -1;
	/* The instance starts in OPENING (state 0): open the port from the timer. */
	timer_ms(m, 0);
	return 0;
}

void modem_fsm_stop(struct modem *m)
{
	if (!m->fi)
		return;
	osmo_fsm_inst_dispatch(m->fi, MODEM_EV_STOP, NULL);
	osmo_timer_del(&m->timer);
	osmo_fsm_inst_term(m->fi, OSMO_FSM_TERM_REQUEST, NULL);
	m->fi = NULL;
}

void modem_fsm_health_soon(struct modem *m)
{
	if (m->fi && m->fi->state == MODEM_ST_READY && !m->script_running)
		timer_ms(m, 0);
}

void modem_fsm_reset_when_idle(struct modem *m)
{
	m->voice_reset_due = true;
	if (!m->fi || m->fi->state != MODEM_ST_READY || !llist_empty(&m->calls) || m->send_busy)
		return; /* again after the call, or at the next health check */
	m->voice_reset_due = false;
	if (m->voice_resets) {
		/* A reset did not heal it: do not reset in a loop; calls go without audio. */
		LOGPFSML(m->fi, LOGL_ERROR,
			 "audio still fails after a reset: not resetting again\n");
		return;
	}
	m->voice_resets++;
	m->voice_reset = true;
	LOGPFSML(m->fi, LOGL_NOTICE, "idle with an audio strike: resetting\n");
	osmo_fsm_inst_dispatch(m->fi, MODEM_EV_FAILED, NULL);
}
