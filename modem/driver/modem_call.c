/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Calls on one modem: one osmo_fsm per call, fed by call reports (call_report.h) from the
 * family's call lines and from +CLCC, which is the truth: it is asked after every call
 * line and polled while a call exists, and a call it no longer lists is released.
 *
 * States, one onenter each (every onenter tells the driver's user through on_call):
 *   incoming: RINGING → ANSWERING → ACTIVE → RELEASING → RELEASED
 *   outgoing: DIALING → ALERTING → ACTIVE (⇄ HELD) → RELEASING → RELEASED
 * Timeouts (whole seconds: libosmocore 1.7.0 arms sub-second FSM timeouts wrongly) come
 * from modem_tdefs: a ringing call that stops ringing was missed, an outgoing call
 * nobody answers is hung up, an answer or a hang-up that does not take is given up.
 *
 * Audio is the modem's, not the call's (one call leg per modem): it is switched on when
 * a call becomes active, as the profile says, and off when the last call is over. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/tdef.h>
#include <osmocom/core/utils.h>

#include "modem/driver/modem_internal.h"
#include "modem/driver/modem_log.h"

enum call_event {
	CALL_EV_STATE,	  /* data: const struct call_report * (a state other than released) */
	CALL_EV_GONE,	  /* data: enum call_end_hint * — the modem no longer has the call */
	CALL_EV_RING,	  /* RING again: still ringing */
	CALL_EV_ANSWER,	  /* modem_answer() */
	CALL_EV_HANGUP,	  /* modem_hangup() */
	CALL_EV_CMD_FAIL, /* its ATD or ATA failed; data: enum call_end_hint * */
};

static const struct value_string call_event_names[] = {{CALL_EV_STATE, "STATE"},
						       {CALL_EV_GONE, "GONE"},
						       {CALL_EV_RING, "RING"},
						       {CALL_EV_ANSWER, "ANSWER"},
						       {CALL_EV_HANGUP, "HANGUP"},
						       {CALL_EV_CMD_FAIL, "CMD_FAIL"},
						       {0, NULL}};

static const struct value_string call_state_names[] = {{MODEM_CALL_DIALING, "dialing"},
						       {MODEM_CALL_ALERTING, "alerting"},
						       {MODEM_CALL_RINGING, "ringing"},
						       {MODEM_CALL_ANSWERING, "answering"},
						       {MODEM_CALL_ACTIVE, "active"},
						       {MODEM_CALL_HELD, "held"},
						       {MODEM_CALL_RELEASING, "releasing"},
						       {MODEM_CALL_RELEASED, "released"},
						       {0, NULL}};

const char *modem_call_state_name(enum modem_call_state st)
{
	return get_value_string(call_state_names, st);
}

static const struct value_string call_end_names[] = {{MODEM_CALL_END_NONE, "none"},
						     {MODEM_CALL_END_LOCAL, "hung-up"},
						     {MODEM_CALL_END_REMOTE, "remote"},
						     {MODEM_CALL_END_BUSY, "busy"},
						     {MODEM_CALL_END_NO_ANSWER, "no-answer"},
						     {MODEM_CALL_END_REJECTED, "rejected"},
						     {MODEM_CALL_END_MISSED, "missed"},
						     {MODEM_CALL_END_FAILED, "failed"},
						     {0, NULL}};

const char *modem_call_end_name(enum modem_call_end e)
{
	return get_value_string(call_end_names, e);
}

/* Timeouts of the states (osmo_tdef_fsm_inst_state_chg): T numbers of modem_tdefs. */
static const struct osmo_tdef_state_timeout call_timeouts[32] = {
    [MODEM_CALL_DIALING] = {.T = MODEM_T_NO_ANSWER}, [MODEM_CALL_ALERTING] = {.keep_timer = true},
    [MODEM_CALL_RINGING] = {.T = MODEM_T_RING},	     [MODEM_CALL_ANSWERING] = {.T = MODEM_T_ANSWER},
    [MODEM_CALL_RELEASING] = {.T = MODEM_T_RELEASE},
};

static uint32_t next_call_id = 1;

static unsigned long tdef_ms(int T)
{
	return osmo_tdef_get(modem_tdefs, T, OSMO_TDEF_MS, -1);
}

static void call_chg(struct modem_call *c, enum modem_call_state st)
{
	osmo_tdef_fsm_inst_state_chg(c->fi, st, call_timeouts, modem_tdefs, 5);
}

static void call_info(const struct modem_call *c, struct modem_call_info *ci)
{
	memset(ci, 0, sizeof(*ci));
	ci->id = c->id;
	ci->incoming = c->incoming;
	ci->state = c->fi->state;
	ci->end = c->end;
	OSMO_STRLCPY_ARRAY(ci->number, c->number);
	ci->idx = c->idx;
	ci->audio = c->m->audio != NULL && (ci->state == MODEM_CALL_ACTIVE);
	if (c->active_at.tv_sec) {
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		ci->duration_ms = (unsigned)((now.tv_sec - c->active_at.tv_sec) * 1000 +
					     (now.tv_nsec - c->active_at.tv_nsec) / 1000000);
	}
}

static void tell(struct modem_call *c)
{
	struct modem *m = c->m;
	struct modem_call_info ci;

	if (!m->pool->ev.on_call || m->stopping)
		return;
	call_info(c, &ci);
	m->pool->ev.on_call(m, &ci, m->pool->ev_data);
}

/* ---- +CLCC: asked after call lines, polled while a call exists ---- */

static void clcc_soon(struct modem *m, unsigned long ms);

static void clcc_cb(struct at_channel *ch, const struct at_response *resp, void *data);

static void clcc_timer_cb(void *data)
{
	struct modem *m = data;

	if (!m->ch || m->stopping || !modem_ready(m))
		return;
	if (m->clcc_inflight) {
		m->clcc_again = true;
		return;
	}
	if (m->clcc_broken) {
		if (!llist_empty(&m->calls))
			clcc_soon(m, tdef_ms(MODEM_T_CALL_POLL));
		return;
	}
	if (at_channel_cmd(m->ch, "AT+CLCC", "+CLCC:", 0, clcc_cb, m) == 0) {
		m->clcc_inflight = true;
		m->clcc_seq = m->call_seq;
	}
}

/* Ask +CLCC in `ms` (or sooner if already due sooner). */
static void clcc_soon(struct modem *m, unsigned long ms)
{
	if (osmo_timer_pending(&m->clcc_timer)) {
		struct timeval rem;

		if (osmo_timer_remaining(&m->clcc_timer, NULL, &rem) == 0 &&
		    (unsigned long)(rem.tv_sec * 1000 + rem.tv_usec / 1000) <= ms)
			return;
	}
	osmo_timer_schedule(&m->clcc_timer, ms / 1000, (ms % 1000) * 1000);
}

static struct modem_call *call_by_idx(struct modem *m, int idx)
{
	struct modem_call *c;

	llist_for_each_entry (c, &m->calls, list)
		if (c->idx == idx && idx > 0)
			return c;
	return NULL;
}

/* A call the modem reports under an index we have not bound yet: ours of that
 * direction that has none (an ATD we sent, a RING we heard). */
static struct modem_call *call_unbound(struct modem *m, int dir)
{
	struct modem_call *c;

	llist_for_each_entry (c, &m->calls, list)
		if (!c->idx && (dir < 0 || c->incoming == (dir == 1)))
			return c;
	return NULL;
}

static struct modem_call *call_ringing(struct modem *m)
{
	struct modem_call *c;

	llist_for_each_entry (c, &m->calls, list)
		if (c->incoming && c->fi->state == MODEM_CALL_RINGING)
			return c;
	return NULL;
}

static struct modem_call *call_new(struct modem *m, bool incoming, const char *number);

static void gone(struct modem_call *c, enum call_end_hint hint)
{
	osmo_fsm_inst_dispatch(c->fi, CALL_EV_GONE, &hint);
}

/* A report of one call's state, by its index. */
static void state_report(struct modem *m, const struct call_report *r)
{
	struct modem_call *c = call_by_idx(m, r->idx);

	if (!c)
		c = call_unbound(m, r->dir);
	if (!c) {
		if (r->stat == CALL_STAT_RELEASED)
			return;
		/* A call we did not see start (a RING lost, or one up before we came). */
		c = call_new(
		    m, r->dir == 1 || r->stat == CALL_STAT_INCOMING || r->stat == CALL_STAT_WAITING,
		    r->has_number ? r->number : "");
		if (!c)
			return;
	}
	c->idx = r->idx;
	c->listed = true;
	if (r->has_number && r->number[0] && strcmp(c->number, r->number) != 0)
		OSMO_STRLCPY_ARRAY(c->number, r->number);
	if (r->stat == CALL_STAT_RELEASED) {
		/* ccinfo -1 and +CLCC 6 say no why: the end line before them does. */
		enum call_end_hint hint = r->hint != CALL_HINT_NONE ? r->hint : m->end_hint;

		m->end_hint = CALL_HINT_NONE;
		gone(c, hint);
	} else
		osmo_fsm_inst_dispatch(c->fi, CALL_EV_STATE, (void *)r);
}

static void clcc_cb(struct at_channel *ch, const struct at_response *resp, void *data)
{
	struct modem *m = data;
	struct modem_call *c, *tmp;
	enum call_end_hint hint;

	(void)ch;
	m->clcc_inflight = false;
	if (m->stopping || resp->result == AT_RES_CLOSED)
		return;
	if (resp->result == AT_RES_TIMEOUT) {
		modem_cmd_timeout(m);
		return;
	}
	if (resp->result != AT_RES_OK) {
		/* No +CLCC here: the call lines alone must do. */
		LOGPFSML(m->fi, LOGL_NOTICE, "AT+CLCC: %s; calls follow call lines only\n",
			 resp->final_line);
		m->clcc_broken = true;
		return;
	}
	llist_for_each_entry (c, &m->calls, list)
		c->listed = false;
	for (unsigned i = 0; i < resp->n_lines; i++) {
		struct call_report r;

		if (call_report_parse(resp->lines[i], &r) == 0 && r.kind == CALL_REPORT_STATE)
			state_report(m, &r);
	}
	/* What the list lacks is over — if it existed when the list was asked for. */
	hint = m->end_hint;
	llist_for_each_entry_safe (c, tmp, &m->calls, list) {
		if (!c->listed && c->seq < m->clcc_seq && !c->dialing_cmd) {
			m->end_hint = CALL_HINT_NONE;
			gone(c, hint);
		}
	}
	if (m->clcc_again) {
		m->clcc_again = false;
		clcc_soon(m, 0);
	} else if (!llist_empty(&m->calls)) {
		clcc_soon(m, tdef_ms(MODEM_T_CALL_POLL));
	}
}

/* ---- call lines ---- */

/* Without +CLCC an end line ends the one call there is. */
static void end_without_clcc(struct modem *m, enum call_end_hint hint)
{
	struct modem_call *c, *tmp;

	llist_for_each_entry_safe (c, tmp, &m->calls, list)
		if (!c->dialing_cmd)
			gone(c, hint);
}

static void handle_report(struct modem *m, const struct call_report *r)
{
	struct modem_call *c;

	switch (r->kind) {
	case CALL_REPORT_STATE:
		state_report(m, r);
		break;
	case CALL_REPORT_RING:
		/* RING repeats until the call is active, answering included; a call that
		 * comes while another is up is announced by +CCWA and found by +CLCC. */
		if ((c = call_ringing(m)))
			osmo_fsm_inst_dispatch(c->fi, CALL_EV_RING, NULL);
		else if (llist_empty(&m->calls))
			call_new(m, true, "");
		/* +CLIP follows RING: give it a moment before asking. */
		clcc_soon(m, 200);
		return;
	case CALL_REPORT_CLIP:
	case CALL_REPORT_WAITING:
		c = call_ringing(m);
		if (!c && r->kind == CALL_REPORT_WAITING)
			c = call_new(m, true, r->number);
		if (c && r->number[0] && strcmp(c->number, r->number) != 0) {
			OSMO_STRLCPY_ARRAY(c->number, r->number);
			tell(c);
		}
		break;
	case CALL_REPORT_BEGIN:
		break;
	case CALL_REPORT_END:
		if (r->hint == CALL_HINT_MISSED && (c = call_ringing(m))) {
			gone(c, CALL_HINT_MISSED);
			break;
		}
		m->end_hint = r->hint;
		if (m->clcc_broken)
			end_without_clcc(m, r->hint);
		break;
	case CALL_REPORT_DTMF:
		llist_for_each_entry (c, &m->calls, list) {
			if (c->fi->state == MODEM_CALL_ACTIVE) {
				if (m->pool->ev.on_dtmf)
					m->pool->ev.on_dtmf(m, c->id, r->digit, m->pool->ev_data);
				break;
			}
		}
		return;
	}
	clcc_soon(m, 0);
}

static void call_urc(struct at_channel *ch, const char *line, const char *pdu, void *data)
{
	struct modem *m = data;
	struct call_report r;
	int rc;

	(void)ch;
	(void)pdu;
	rc = call_report_parse(line, &r);
	if (rc == -EINVAL)
		LOGPFSML(m->fi, LOGL_NOTICE, "malformed call line ignored: %s\n", line);
	if (rc || m->profile->voice.kind == MODEM_VOICE_NONE)
		return;
	LOGPFSML(m->fi, LOGL_DEBUG, "call %s: %s\n", call_report_kind_name(r.kind), line);
	handle_report(m, &r);
}

void modem_call_register_urcs(struct modem *m)
{
	static const char *const prefixes[] = {
	    "RING",	    "+CRING:",	  "+CLIP:",	"+CCWA:",    "+CLCC:",
	    "^ORIG:",	    "^CONF:",	  "^CONN:",	"^CEND:",    "VOICE CALL:",
	    "MISSED_CALL:", "+QIND:",	  "+QTONEDET:", "+RXDTMF:",  "+DTMF:",
	    "^DDTMF:",	    "NO CARRIER", "BUSY",	"NO ANSWER", "NO DIALTONE",
	};

	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		at_channel_urc(m->ch, prefixes[i], false, call_urc, m);
	m->clcc_broken = false;
}

const char *modem_call_init_cmd(const struct modem *m, unsigned n)
{
	const struct modem_voice_profile *v = &m->profile->voice;
	unsigned i = 0;

	if (v->kind == MODEM_VOICE_NONE)
		return NULL;
	for (; v->init && v->init[i]; i++)
		if (i == n)
			return v->init[i];
	if (n == i && v->arm == MODEM_AUDIO_AT_INIT && v->audio_on)
		return v->audio_on;
	return NULL;
}

/* ---- audio switch-on and off ---- */

static void audio_on_cb(struct at_channel *ch, const struct at_response *resp, void *data);

static bool call_up(struct modem *m)
{
	struct modem_call *c;

	llist_for_each_entry (c, &m->calls, list)
		if (c->fi->state == MODEM_CALL_ACTIVE || c->fi->state == MODEM_CALL_HELD)
			return true;
	return false;
}

static void audio_strike(struct modem *m, const char *why)
{
	m->audio_strikes++;
	LOGPFSML(m->fi, LOGL_ERROR, "audio: %s; the modem is reset once idle\n", why);
	modem_fsm_reset_when_idle(m);
}

static void audio_cmd(struct modem *m)
{
	m->audio_attempts++;
	if (at_channel_cmd(m->ch, m->profile->voice.audio_on, NULL, 0, audio_on_cb, m) < 0)
		m->audio_attempts = 0;
}

static void audio_retry_cb(void *data)
{
	struct modem *m = data;

	/* Huawei switches on while the call is still being set up. */
	if (m->ch && !llist_empty(&m->calls))
		audio_cmd(m);
}

static void audio_on_cb(struct at_channel *ch, const struct at_response *resp, void *data)
{
	struct modem *m = data;

	(void)ch;
	if (m->stopping || resp->result == AT_RES_CLOSED)
		return;
	if (resp->result != AT_RES_OK) {
		if (m->audio_attempts < 2) {
			unsigned long ms = tdef_ms(MODEM_T_AUDIO_RETRY);

			osmo_timer_schedule(&m->audio_timer, ms / 1000, (ms % 1000) * 1000);
			return;
		}
		audio_strike(m, "switching on failed twice; the call has no audio");
		m->audio_attempts = 0;
		return;
	}
	/* A switch-on that needed a second try leaves the audio unreliable (SIM7600). */
	if (m->audio_attempts > 1)
		audio_strike(m, "switching on needed a second attempt");
	if (m->audio_attempts == 1)
		m->voice_resets = 0; /* healthy again */
	m->audio_attempts = 0;
	m->audio_ok = true;
	if (call_up(m))
		modem_audio_open(m);
}

/* A call became active: the audio comes up as the profile says. */
static void audio_up(struct modem *m)
{
	const struct modem_voice_profile *v = &m->profile->voice;

	if (v->kind == MODEM_VOICE_NONE || m->audio)
		return;
	if (v->arm == MODEM_AUDIO_WHEN_ACTIVE && !m->audio_ok) {
		if (!m->audio_attempts)
			audio_cmd(m);
		return;
	}
	if (m->audio_ok || v->arm == MODEM_AUDIO_AT_INIT)
		modem_audio_open(m);
}

/* The last call is over. */
static void audio_down(struct modem *m)
{
	const struct modem_voice_profile *v = &m->profile->voice;
	bool was_on = m->audio_ok;

	osmo_timer_del(&m->audio_timer);
	modem_audio_close(m);
	m->audio_attempts = 0;
	if (v->arm != MODEM_AUDIO_AT_INIT)
		m->audio_ok = false;
	if (was_on && v->arm == MODEM_AUDIO_WHEN_ACTIVE && v->audio_off && m->ch)
		at_channel_cmd(m->ch, v->audio_off, NULL, 0, NULL, NULL);
}

/* ---- commands of a call ---- */

static struct modem_call *call_by_id(struct modem *m, uint32_t id)
{
	struct modem_call *c;

	llist_for_each_entry (c, &m->calls, list)
		if (c->id == id)
			return c;
	return NULL;
}

static enum call_end_hint result_hint(enum at_result r)
{
	switch (r) {
	case AT_RES_BUSY:
		return CALL_HINT_BUSY;
	case AT_RES_NO_ANSWER:
		return CALL_HINT_NO_ANSWER;
	case AT_RES_NO_CARRIER:
		return CALL_HINT_NO_CARRIER;
	default:
		return CALL_HINT_FAILED;
	}
}

/* What an ATD or ATA command carries to its answer: the call may be gone by then. */
struct call_cmd {
	struct modem *m;
	uint32_t id;
	bool dial;
};

static void call_cmd_cb(struct at_channel *ch, const struct at_response *resp, void *data)
{
	struct call_cmd *cc = data;
	struct modem *m = cc->m;
	struct modem_call *c = call_by_id(m, cc->id);
	const struct modem_voice_profile *v = &m->profile->voice;
	bool dial = cc->dial;

	(void)ch;
	talloc_free(cc);
	if (c && dial)
		c->dialing_cmd = false;
	if (m->stopping || resp->result == AT_RES_CLOSED)
		return;
	if (resp->result == AT_RES_TIMEOUT) {
		/* The port hangs; recovery ends the call. */
		modem_cmd_timeout(m);
		return;
	}
	if (resp->result != AT_RES_OK) {
		enum call_end_hint hint = result_hint(resp->result);

		if (c)
			osmo_fsm_inst_dispatch(c->fi, CALL_EV_CMD_FAIL, &hint);
		return;
	}
	/* Huawei: the voice tty carries the call once AT^DDSETEX=2 follows ATD/ATA. */
	if (c && v->arm == MODEM_AUDIO_AFTER_DIAL && v->audio_on && !m->audio_attempts)
		audio_cmd(m);
	clcc_soon(m, 0);
}

static int call_cmd(struct modem *m, struct modem_call *c, const char *cmd, bool dial)
{
	struct call_cmd *cc = talloc_zero(m, struct call_cmd);
	int rc;

	cc->m = m;
	cc->id = c->id;
	cc->dial = dial;
	rc = at_channel_cmd(m->ch, cmd, NULL, dial ? tdef_ms(MODEM_T_DIAL) : 0, call_cmd_cb, cc);
	if (rc < 0)
		talloc_free(cc);
	return rc;
}

/* Hang up `c`: the profile's hang-up when it is the only call, else the 27.007 release
 * of that call alone (a waiting call: AT+CHLD=0, user determined user busy). */
static void send_hangup(struct modem_call *c)
{
	struct modem *m = c->m;
	char cmd[32];
	unsigned n = 0;
	struct modem_call *o;

	llist_for_each_entry (o, &m->calls, list)
		n++;
	if (n > 1 && c->idx > 0 && c->fi->state == MODEM_CALL_RINGING)
		osmo_strlcpy(cmd, "AT+CHLD=0", sizeof(cmd));
	else if (n > 1 && c->idx > 0)
		snprintf(cmd, sizeof(cmd), "AT+CHLD=1%d", c->idx);
	else
		osmo_strlcpy(cmd, m->profile->voice.hangup, sizeof(cmd));
	at_channel_cmd(m->ch, cmd, NULL, 0, NULL, NULL);
	clcc_soon(m, 0);
}

/* ---- the call FSM ---- */

static void st_any_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct modem_call *c = fi->priv;

	(void)prev;
	tell(c);
}

static void st_active_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct modem_call *c = fi->priv;

	if (prev != MODEM_CALL_HELD)
		clock_gettime(CLOCK_MONOTONIC, &c->active_at);
	audio_up(c->m);
	tell(c);
}

static void st_releasing_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct modem_call *c = fi->priv;

	(void)prev;
	send_hangup(c);
	tell(c);
}

/* Why the call ended, from what we did, what the modem said and where it was. */
static enum modem_call_end end_cause(const struct modem_call *c, uint32_t prev,
				     enum call_end_hint hint)
{
	if (c->end != MODEM_CALL_END_NONE)
		return c->end;
	switch (hint) {
	case CALL_HINT_BUSY:
		return MODEM_CALL_END_BUSY;
	case CALL_HINT_NO_ANSWER:
		return MODEM_CALL_END_NO_ANSWER;
	case CALL_HINT_REJECTED:
		return MODEM_CALL_END_REJECTED;
	case CALL_HINT_MISSED:
		return MODEM_CALL_END_MISSED;
	case CALL_HINT_FAILED:
		return MODEM_CALL_END_FAILED;
	default:
		break;
	}
	switch (prev) {
	case MODEM_CALL_ACTIVE:
	case MODEM_CALL_HELD:
		return MODEM_CALL_END_REMOTE;
	case MODEM_CALL_ALERTING:
		return MODEM_CALL_END_REJECTED;
	case MODEM_CALL_RINGING:
		return MODEM_CALL_END_MISSED;
	case MODEM_CALL_RELEASING:
		return MODEM_CALL_END_LOCAL;
	default:
		return MODEM_CALL_END_FAILED;
	}
}

static void st_released_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct modem_call *c = fi->priv;
	struct modem *m = c->m;

	(void)prev;
	LOGPFSML(fi, LOGL_INFO, "released: %s\n", modem_call_end_name(c->end));
	llist_del(&c->list);
	INIT_LLIST_HEAD(&c->list);
	if (!call_up(m))
		audio_down(m);
	tell(c);
	if (llist_empty(&m->calls) && m->voice_reset_due)
		modem_fsm_reset_when_idle(m);
	osmo_fsm_inst_term(fi, OSMO_FSM_TERM_REGULAR, NULL);
}

/* The state a reported +CLCC stat moves a call to, or -1 to stay. */
static int next_state(uint32_t cur, enum call_stat stat)
{
	switch (stat) {
	case CALL_STAT_ACTIVE:
		return MODEM_CALL_ACTIVE;
	case CALL_STAT_HELD:
		return MODEM_CALL_HELD;
	case CALL_STAT_ALERTING:
		return cur == MODEM_CALL_DIALING ? MODEM_CALL_ALERTING : -1;
	default:
		return -1;
	}
}

static void release(struct modem_call *c, uint32_t cur, enum call_end_hint hint)
{
	c->end = end_cause(c, cur, hint);
	osmo_fsm_inst_state_chg(c->fi, MODEM_CALL_RELEASED, 0, 0);
}

/* Events every live state takes alike. */
static void st_live(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct modem_call *c = fi->priv;
	const struct call_report *r;
	int st;

	switch (event) {
	case CALL_EV_STATE:
		r = data;
		if (fi->state == MODEM_CALL_RELEASING)
			return;
		/* Listed as ringing: it still rings, whatever RINGs were lost. */
		if (fi->state == MODEM_CALL_RINGING &&
		    (r->stat == CALL_STAT_INCOMING || r->stat == CALL_STAT_WAITING))
			osmo_timer_schedule(
			    &fi->timer, osmo_tdef_get(modem_tdefs, MODEM_T_RING, OSMO_TDEF_S, -1),
			    0);
		st = next_state(fi->state, r->stat);
		if (st >= 0 && (uint32_t)st != fi->state)
			call_chg(c, (enum modem_call_state)st);
		return;
	case CALL_EV_GONE:
	case CALL_EV_CMD_FAIL:
		release(c, fi->state, *(enum call_end_hint *)data);
		return;
	case CALL_EV_RING:
		/* Still ringing: the missed-call timer starts over. */
		if (fi->state == MODEM_CALL_RINGING)
			osmo_timer_schedule(
			    &fi->timer, osmo_tdef_get(modem_tdefs, MODEM_T_RING, OSMO_TDEF_S, -1),
			    0);
		return;
	case CALL_EV_ANSWER:
		if (fi->state == MODEM_CALL_RINGING)
			call_chg(c, MODEM_CALL_ANSWERING);
		return;
	case CALL_EV_HANGUP:
		if (fi->state == MODEM_CALL_RELEASING)
			return;
		if (c->end == MODEM_CALL_END_NONE)
			c->end = MODEM_CALL_END_LOCAL;
		call_chg(c, MODEM_CALL_RELEASING);
		return;
	}
}

static void st_answering_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct modem_call *c = fi->priv;

	(void)prev;
	if (call_cmd(c->m, c, "ATA", false) < 0) {
		enum call_end_hint hint = CALL_HINT_FAILED;

		osmo_fsm_inst_dispatch(fi, CALL_EV_CMD_FAIL, &hint);
		return;
	}
	tell(c);
}

static int call_timer_cb(struct osmo_fsm_inst *fi)
{
	struct modem_call *c = fi->priv;

	switch (fi->state) {
	case MODEM_CALL_RINGING:
		/* No RING for MODEM_T_RING: the caller gave up. */
		release(c, fi->state, CALL_HINT_MISSED);
		break;
	case MODEM_CALL_DIALING:
	case MODEM_CALL_ALERTING:
		LOGPFSML(fi, LOGL_INFO, "not answered: hanging up\n");
		c->end = MODEM_CALL_END_NO_ANSWER;
		call_chg(c, MODEM_CALL_RELEASING);
		break;
	case MODEM_CALL_ANSWERING:
		LOGPFSML(fi, LOGL_NOTICE, "answered but never active: hanging up\n");
		c->end = MODEM_CALL_END_FAILED;
		call_chg(c, MODEM_CALL_RELEASING);
		break;
	case MODEM_CALL_RELEASING:
		/* The modem still lists it, or says nothing: it is over for us. */
		LOGPFSML(fi, LOGL_NOTICE, "hang-up not confirmed: taken as over\n");
		release(c, fi->state, CALL_HINT_NONE);
		break;
	}
	return 0;
}

static void call_cleanup(struct osmo_fsm_inst *fi, enum osmo_fsm_term_cause cause)
{
	struct modem_call *c = fi->priv;

	(void)cause;
	llist_del(&c->list);
	INIT_LLIST_HEAD(&c->list);
}

#define S(x) (1 << (x))
#define E(x) (1 << (x))
#define LIVE_EVENTS                                                                                \
	(E(CALL_EV_STATE) | E(CALL_EV_GONE) | E(CALL_EV_RING) | E(CALL_EV_ANSWER) |                \
	 E(CALL_EV_HANGUP) | E(CALL_EV_CMD_FAIL))
#define S_END (S(MODEM_CALL_RELEASING) | S(MODEM_CALL_RELEASED))

static const struct osmo_fsm_state call_states[] = {
    [MODEM_CALL_DIALING] = {.name = "DIALING",
			    .in_event_mask = LIVE_EVENTS,
			    .out_state_mask = S(MODEM_CALL_DIALING) | S(MODEM_CALL_ALERTING) |
					      S(MODEM_CALL_ACTIVE) | S(MODEM_CALL_RINGING) |
					      S(MODEM_CALL_HELD) | S_END,
			    .onenter = st_any_onenter,
			    .action = st_live},
    [MODEM_CALL_ALERTING] = {.name = "ALERTING",
			     .in_event_mask = LIVE_EVENTS,
			     .out_state_mask = S(MODEM_CALL_ACTIVE) | S(MODEM_CALL_HELD) | S_END,
			     .onenter = st_any_onenter,
			     .action = st_live},
    [MODEM_CALL_RINGING] = {.name = "RINGING",
			    .in_event_mask = LIVE_EVENTS,
			    .out_state_mask = S(MODEM_CALL_ANSWERING) | S(MODEM_CALL_ACTIVE) |
					      S(MODEM_CALL_HELD) | S_END,
			    .onenter = st_any_onenter,
			    .action = st_live},
    [MODEM_CALL_ANSWERING] = {.name = "ANSWERING",
			      .in_event_mask = LIVE_EVENTS,
			      .out_state_mask = S(MODEM_CALL_ACTIVE) | S(MODEM_CALL_HELD) | S_END,
			      .onenter = st_answering_onenter,
			      .action = st_live},
    [MODEM_CALL_ACTIVE] = {.name = "ACTIVE",
			   .in_event_mask = LIVE_EVENTS,
			   .out_state_mask = S(MODEM_CALL_HELD) | S_END,
			   .onenter = st_active_onenter,
			   .action = st_live},
    [MODEM_CALL_HELD] = {.name = "HELD",
			 .in_event_mask = LIVE_EVENTS,
			 .out_state_mask = S(MODEM_CALL_ACTIVE) | S_END,
			 .onenter = st_any_onenter,
			 .action = st_live},
    [MODEM_CALL_RELEASING] = {.name = "RELEASING",
			      .in_event_mask = LIVE_EVENTS,
			      .out_state_mask = S(MODEM_CALL_RELEASED),
			      .onenter = st_releasing_onenter,
			      .action = st_live},
    [MODEM_CALL_RELEASED] = {.name = "RELEASED", .onenter = st_released_onenter},
};

static struct osmo_fsm call_fsm = {
    .name = "modem_call",
    .states = call_states,
    .num_states = ARRAY_SIZE(call_states),
    .timer_cb = call_timer_cb,
    .cleanup = call_cleanup,
    .event_names = call_event_names,
};

static struct modem_call *call_new(struct modem *m, bool incoming, const char *number)
{
	static bool registered;
	struct modem_call *c;
	struct osmo_fsm_inst *fi;
	char id[32];

	if (!registered) {
		call_fsm.log_subsys = DMODEM;
		if (osmo_fsm_register(&call_fsm) < 0)
			return NULL;
		registered = true;
	}
	snprintf(id, sizeof(id), "%s-call%u", m->cfg.name, next_call_id);
	osmo_identifier_sanitize_buf(id, NULL, '_');
	fi = osmo_fsm_inst_alloc(&call_fsm, m, NULL, LOGL_INFO, id);
	if (!fi)
		return NULL;
	c = talloc_zero(fi, struct modem_call);
	c->m = m;
	c->fi = fi;
	c->id = next_call_id++;
	c->seq = ++m->call_seq;
	c->incoming = incoming;
	OSMO_STRLCPY_ARRAY(c->number, number);
	fi->priv = c;
	llist_add_tail(&c->list, &m->calls);
	if (incoming)
		m->calls_in++;
	else
		m->calls_out++;
	/* The instance starts in state 0 (DIALING): entering it again starts its timer. */
	call_chg(c, incoming ? MODEM_CALL_RINGING : MODEM_CALL_DIALING);
	clcc_soon(m, tdef_ms(MODEM_T_CALL_POLL));
	return c;
}

/* ---- the API ---- */

static int voice_ready(struct modem *m)
{
	if (!m)
		return -EINVAL;
	if (m->profile->voice.kind == MODEM_VOICE_NONE)
		return -ENOTSUP;
	if (!modem_ready(m))
		return -EAGAIN;
	return 0;
}

/* A number to dial: '+' then digits, or digits, at most 20. */
static bool dialable(const char *n)
{
	size_t len;

	if (!n)
		return false;
	if (*n == '+')
		n++;
	len = strlen(n);
	return len >= 1 && len <= 20 && strspn(n, "0123456789") == len;
}

int modem_dial(struct modem *m, const char *number, uint32_t *call_id)
{
	struct modem_call *c;
	char cmd[40];
	int rc = voice_ready(m);

	if (rc)
		return rc;
	if (!dialable(number))
		return -EINVAL;
	llist_for_each_entry (c, &m->calls, list)
		if (c->fi->state != MODEM_CALL_RINGING)
			return -EBUSY;
	c = call_new(m, false, number);
	if (!c)
		return -ENOMEM;
	c->dialing_cmd = true;
	snprintf(cmd, sizeof(cmd), "ATD%s;", number);
	if (call_cmd(m, c, cmd, true) < 0) {
		enum call_end_hint hint = CALL_HINT_FAILED;

		c->dialing_cmd = false;
		osmo_fsm_inst_dispatch(c->fi, CALL_EV_CMD_FAIL, &hint);
		return -EAGAIN;
	}
	if (call_id)
		*call_id = c->id;
	return 0;
}

int modem_answer(struct modem *m, uint32_t call_id)
{
	struct modem_call *c;
	int rc = voice_ready(m);

	if (rc)
		return rc;
	c = call_by_id(m, call_id);
	if (!c)
		return -ENOENT;
	if (c->fi->state != MODEM_CALL_RINGING)
		return -EINVAL;
	if (call_up(m))
		return -EBUSY; /* a waiting call: one leg per modem */
	osmo_fsm_inst_dispatch(c->fi, CALL_EV_ANSWER, NULL);
	return 0;
}

int modem_hangup(struct modem *m, uint32_t call_id)
{
	struct modem_call *c;

	if (!m)
		return -EINVAL;
	c = call_by_id(m, call_id);
	if (!c)
		return -ENOENT;
	if (!m->ch)
		return -EAGAIN;
	osmo_fsm_inst_dispatch(c->fi, CALL_EV_HANGUP, NULL);
	return 0;
}

int modem_send_dtmf(struct modem *m, uint32_t call_id, const char *digits)
{
	struct modem_call *c;
	int rc = voice_ready(m);

	if (rc)
		return rc;
	c = call_by_id(m, call_id);
	if (!c)
		return -ENOENT;
	if (!digits || !*digits || strlen(digits) > 32 ||
	    strspn(digits, "0123456789*#ABCD") != strlen(digits))
		return -EINVAL;
	if (c->fi->state != MODEM_CALL_ACTIVE)
		return -EINVAL;
	for (const char *d = digits; *d; d++) {
		char cmd[32];

		snprintf(cmd, sizeof(cmd), m->profile->voice.dtmf, *d);
		if (at_channel_cmd(m->ch, cmd, NULL, 0, NULL, NULL) < 0)
			return -EAGAIN;
	}
	return 0;
}

unsigned modem_calls(const struct modem *m, struct modem_call_info *out, unsigned max)
{
	const struct modem_call *c;
	unsigned n = 0;

	llist_for_each_entry (c, &m->calls, list) {
		if (n < max)
			call_info(c, &out[n]);
		n++;
	}
	return n;
}

void modem_calls_lost(struct modem *m)
{
	struct modem_call *c, *tmp;

	llist_for_each_entry_safe (c, tmp, &m->calls, list) {
		if (c->end == MODEM_CALL_END_NONE)
			c->end = MODEM_CALL_END_FAILED;
		osmo_fsm_inst_state_chg(c->fi, MODEM_CALL_RELEASED, 0, 0);
	}
	osmo_timer_del(&m->clcc_timer);
	m->clcc_inflight = false;
	m->end_hint = CALL_HINT_NONE;
	audio_down(m);
	m->audio_ok = false;
}

void modem_call_ready(struct modem *m)
{
	/* A call may be up from before (a restart of ours, a modem that kept it): ask. */
	if (m->profile->voice.kind != MODEM_VOICE_NONE)
		clcc_soon(m, 0);
}

void modem_call_init(struct modem *m)
{
	INIT_LLIST_HEAD(&m->calls);
	osmo_timer_setup(&m->clcc_timer, clcc_timer_cb, m);
	osmo_timer_setup(&m->audio_timer, audio_retry_cb, m);
}
