/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Voice calls: the call model and what each modem family prints about it, see calls.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "hw/modemsim/at_server.h"
#include "hw/modemsim/audio.h"
#include "hw/modemsim/calls.h"
#include "hw/modemsim/modemsim.h"
#include "hw/modemsim/phone.h"
#include "hw/modemsim/profile.h"

/* Most calls one modem holds (27.007 ids are 1..7). */
#define CALLS_MAX 7

static void schedule_ms(struct osmo_timer_list *t, unsigned ms)
{
	osmo_timer_schedule(t, ms / 1000, (ms % 1000) * 1000);
}

unsigned call_number_type(const char *number)
{
	return number[0] == '+' ? 145 : 129;
}

const char *call_end_text(enum call_end why)
{
	switch (why) {
	case CALL_END_NORMAL:
		return "Normal call clearing";
	case CALL_END_BUSY:
		return "User busy";
	case CALL_END_NO_ANSWER:
		return "No answer";
	case CALL_END_REJECTED:
		return "Call rejected";
	case CALL_END_RADIO:
		return "Radio link failure";
	default:
		return "No cause information";
	}
}

/* Huawei ^CEND cc_cause (24.008 cause values); 0 when it is left out (an error). */
static unsigned cc_cause(enum call_end why)
{
	switch (why) {
	case CALL_END_BUSY:
		return 17;
	case CALL_END_NO_ANSWER:
		return 19;
	case CALL_END_REJECTED:
		return 21;
	case CALL_END_RADIO:
		return 0;
	default:
		return 16;
	}
}

struct sim_call *call_find(struct sim_modem *m, unsigned id)
{
	struct sim_call *c;

	llist_for_each_entry (c, &m->voice.calls, list) {
		if (c->id == id)
			return c;
	}
	return NULL;
}

struct sim_call *call_with_stat(struct sim_modem *m, enum call_stat stat)
{
	struct sim_call *c;

	llist_for_each_entry (c, &m->voice.calls, list) {
		if (c->stat == stat)
			return c;
	}
	return NULL;
}

struct sim_call *call_active(struct sim_modem *m)
{
	return call_with_stat(m, CALL_ACTIVE);
}

/* ---- what the client sees ---- */

static void clcc_format(const struct sim_call *c, enum call_stat stat, char *buf, size_t cap)
{
	snprintf(buf, cap, "+CLCC: %u,%d,%d,0,%d,\"%s\",%u", c->id, c->mt ? 1 : 0, stat,
		 c->mpty ? 1 : 0, c->number, call_number_type(c->number));
}

void calls_clcc_lines(struct sim_modem *m, void (*line)(struct sim_modem *, const char *))
{
	struct sim_call *c;
	char buf[96];

	llist_for_each_entry (c, &m->voice.calls, list) {
		clcc_format(c, c->stat, buf, sizeof(buf));
		line(m, buf);
	}
}

/* SIMCom +CLCC=1: the whole list, unsolicited, with a released call as stat 6. The list
 * is one block, framed like a response's information text. */
static void simcom_clcc_urc(struct sim_modem *m, const struct sim_call *released)
{
	char *block = talloc_strdup(m, "");
	struct sim_call *c;
	char buf[96];

	llist_for_each_entry (c, &m->voice.calls, list) {
		clcc_format(c, c->stat, buf, sizeof(buf));
		block = talloc_asprintf_append(block, "\r\n%s", buf);
	}
	if (released) {
		clcc_format(released, CALL_RELEASED, buf, sizeof(buf));
		block = talloc_asprintf_append(block, "\r\n%s", buf);
	}
	block = talloc_strdup_append(block, "\r\n");
	at_urc_raw(m, block);
	talloc_free(block);
}

static void quectel_ccinfo(struct sim_modem *m, const struct sim_call *c, int state)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "+QIND: \"ccinfo\",%u,%d,%d,0,%d,\"%s\",%u", c->id,
		 c->mt ? 1 : 0, state, c->mpty ? 1 : 0, c->number, call_number_type(c->number));
	at_urc(m, buf, NULL);
}

static void huawei_state(struct sim_modem *m, const struct sim_call *c, bool first_active)
{
	char buf[48];

	if (c->stat == CALL_DIALING)
		snprintf(buf, sizeof(buf), "^ORIG:%u,0", c->id);
	else if (c->stat == CALL_ALERTING)
		snprintf(buf, sizeof(buf), "^CONF:%u", c->id);
	else if (c->stat == CALL_ACTIVE && first_active)
		snprintf(buf, sizeof(buf), "^CONN:%u,0", c->id);
	else
		return;
	at_urc(m, buf, NULL);
}

/* A call's state changed (or it was created): the family's URCs. */
static void announce_state(struct sim_call *c, bool first_active)
{
	struct sim_modem *m = c->m;

	switch (m->profile->voice) {
	case VOICE_QUECTEL:
		if (m->at.ccinfo)
			quectel_ccinfo(m, c, c->stat);
		break;
	case VOICE_SIMCOM:
		if (c->stat == CALL_ACTIVE && first_active)
			at_urc(m, "VOICE CALL: BEGIN", NULL);
		if (m->at.clcc_n)
			simcom_clcc_urc(m, NULL);
		break;
	case VOICE_HUAWEI:
		huawei_state(m, c, first_active);
		break;
	default:
		break;
	}
}

static unsigned call_duration_s(const struct sim_call *c)
{
	return c->was_active ? (unsigned)((now_ms() - c->active_at_ms) / 1000) : 0;
}

static void simcom_missed(struct sim_modem *m, const struct sim_call *c)
{
	time_t now = time(NULL);
	struct tm tm;
	char buf[96];
	int h;

	localtime_r(&now, &tm);
	h = tm.tm_hour % 12 ? tm.tm_hour % 12 : 12;
	snprintf(buf, sizeof(buf), "MISSED_CALL: %02d:%02d%s %s", h, tm.tm_min,
		 tm.tm_hour < 12 ? "AM" : "PM", c->number);
	at_urc(m, buf, NULL);
}

static void announce_release(struct sim_call *c, enum call_end why, bool missed)
{
	struct sim_modem *m = c->m;
	char buf[64];

	switch (m->profile->voice) {
	case VOICE_QUECTEL:
		if (m->at.ccinfo)
			quectel_ccinfo(m, c, -1);
		break;
	case VOICE_SIMCOM:
		if (c->was_active) {
			snprintf(buf, sizeof(buf), "VOICE CALL: END: %06u", call_duration_s(c));
			at_urc(m, buf, NULL);
		}
		if (missed)
			simcom_missed(m, c);
		if (m->at.clcc_n)
			simcom_clcc_urc(m, c);
		break;
	case VOICE_HUAWEI:
		if (cc_cause(why))
			snprintf(buf, sizeof(buf), "^CEND:%u,%u,104,%u", c->id, call_duration_s(c),
				 cc_cause(why));
		else
			snprintf(buf, sizeof(buf), "^CEND:%u,%u,104", c->id, call_duration_s(c));
		at_urc(m, buf, NULL);
		break;
	default:
		break;
	}
}

/* The 27.007 result for a call that ended without the client asking. */
static enum at_result release_result(enum call_end why)
{
	return why == CALL_END_BUSY	   ? AT_RES_BUSY
	       : why == CALL_END_NO_ANSWER ? AT_RES_NO_ANSWER
					   : AT_RES_NO_CARRIER;
}

static const char *result_text(enum at_result r)
{
	return r == AT_RES_BUSY ? "BUSY" : r == AT_RES_NO_ANSWER ? "NO ANSWER" : "NO CARRIER";
}

/* ---- ringing ---- */

static void ring_once(struct sim_call *c)
{
	struct sim_modem *m = c->m;
	char buf[96];

	at_urc(m, m->at.crc ? "+CRING: VOICE" : "RING", NULL);
	if (m->at.clip) {
		snprintf(buf, sizeof(buf), "+CLIP: \"%s\",%u,,,,0", c->number,
			 call_number_type(c->number));
		at_urc(m, buf, NULL);
	}
}

static void ccwa_once(struct sim_call *c)
{
	char buf[96];

	if (!c->m->at.ccwa)
		return;
	snprintf(buf, sizeof(buf), "+CCWA: \"%s\",%u,1", c->number, call_number_type(c->number));
	at_urc(c->m, buf, NULL);
}

static void start_ringing(struct sim_call *c)
{
	ring_once(c);
	schedule_ms(&c->ring_timer, c->m->sim->cfg.ring_ms);
}

/* ---- timers ---- */

static void mt_ring_cb(struct sim_call *c)
{
	if (c->stat != CALL_INCOMING)
		return;
	start_ringing(c);
}

static void mo_auto_answer_cb(struct sim_call *c)
{
	if (c->stat != CALL_ALERTING)
		return;
	call_set_active(c);
}

static void ring_timer_cb(void *data)
{
	struct sim_call *c = data;

	if (c->mt)
		mt_ring_cb(c);
	else
		mo_auto_answer_cb(c);
}

static bool phone_is_busy(const struct sim_call *c)
{
	return c->phone->busy || (c->phone->call && c->phone->call != c);
}

/* MO: dialing → alerting (or busy); alerting → no answer. MT: the caller gives up. */
static void call_timer_cb(void *data)
{
	struct sim_call *c = data;
	const struct sim_config *cfg = &c->m->sim->cfg;

	if (c->mt) {
		c->m->voice.calls_missed++;
		call_release(c, CALL_END_NORMAL, CALL_BY_PHONE);
		return;
	}
	if (c->stat == CALL_DIALING) {
		if (phone_is_busy(c)) {
			call_release(c, CALL_END_BUSY, CALL_BY_PHONE);
			return;
		}
		c->phone->call = c;
		call_set_stat(c, CALL_ALERTING);
		schedule_ms(&c->timer, cfg->no_answer_ms);
		if (c->phone->auto_answer_rings)
			schedule_ms(&c->ring_timer, c->phone->auto_answer_rings * cfg->ring_ms);
		return;
	}
	if (c->stat == CALL_ALERTING)
		call_release(c, CALL_END_NO_ANSWER, CALL_BY_PHONE);
}

/* ---- lifecycle ---- */

static unsigned free_id(struct sim_modem *m)
{
	for (unsigned id = 1; id <= CALLS_MAX; id++) {
		if (!call_find(m, id))
			return id;
	}
	return 0;
}

static struct sim_call *call_new(struct sim_modem *m, const char *number, bool mt)
{
	unsigned id = free_id(m);
	struct sim_call *c, *pos;

	if (!id)
		return NULL;
	c = talloc_zero(m, struct sim_call);
	if (!c)
		return NULL;
	c->m = m;
	c->id = id;
	c->mt = mt;
	OSMO_STRLCPY_ARRAY(c->number, number);
	osmo_timer_setup(&c->timer, call_timer_cb, c);
	osmo_timer_setup(&c->ring_timer, ring_timer_cb, c);
	/* Keep the list ordered by id, as +CLCC lists them. */
	llist_for_each_entry (pos, &m->voice.calls, list) {
		if (pos->id > id)
			break;
	}
	llist_add_tail(&c->list, &pos->list);
	m->voice.n_calls++;
	return c;
}

static void call_free(struct sim_call *c)
{
	osmo_timer_del(&c->timer);
	osmo_timer_del(&c->ring_timer);
	if (c->phone && c->phone->call == c)
		c->phone->call = NULL;
	llist_del(&c->list);
	c->m->voice.n_calls--;
	talloc_free(c);
}

void call_set_stat(struct sim_call *c, enum call_stat stat)
{
	bool first_active = stat == CALL_ACTIVE && !c->was_active;

	c->stat = stat;
	if (first_active) {
		c->was_active = true;
		c->active_at_ms = now_ms();
	}
	announce_state(c, first_active);
	audio_update(c->m);
}

void call_set_active(struct sim_call *c)
{
	struct sim_modem *m = c->m;
	bool finish_atd = m->voice.colp_call == c;
	char buf[96];

	osmo_timer_del(&c->timer);
	osmo_timer_del(&c->ring_timer);
	snprintf(buf, sizeof(buf), "+COLP: \"%s\",%u", c->number, call_number_type(c->number));
	if (finish_atd) {
		/* +COLP=1: ATD ends now with the connected line's identity; the URCs of the
		 * new state wait for its final result. */
		m->voice.colp_call = NULL;
		m->s.executing = true;
	}
	call_set_stat(c, CALL_ACTIVE);
	if (finish_atd) {
		m->s.info_started = false;
		at_info(m, "%s", buf);
		at_finish(m, SIM_RES_OK);
	}
}

/* After a release: a waiting call with nothing else left starts ringing. */
static void promote_waiting(struct sim_modem *m)
{
	struct sim_call *w = call_with_stat(m, CALL_WAITING);

	if (!w || m->voice.in_chld || call_active(m) || call_with_stat(m, CALL_HELD))
		return;
	call_set_stat(w, CALL_INCOMING);
	start_ringing(w);
}

void call_release(struct sim_call *c, enum call_end why, enum call_by by)
{
	struct sim_modem *m = c->m;
	bool unanswered_mt = c->mt && !c->was_active;
	bool finish_atd = m->voice.colp_call == c;
	enum at_result r = release_result(why);

	LOGP(DAT, LOGL_INFO, "%s: call %u with %s ends: %s\n", m->name, c->id, c->number,
	     call_end_text(why));
	m->voice.last_end = why;
	if (finish_atd) {
		/* +COLP=1: the outcome is ATD's final result; URCs follow it. */
		m->voice.colp_call = NULL;
		m->s.executing = true;
	} else if (by != CALL_BY_CLIENT && !unanswered_mt) {
		at_urc(m, result_text(r), NULL);
	}
	/* Off the list first: SIMCom's +CLCC list shows it once more, as released. */
	llist_del(&c->list);
	m->voice.n_calls--;
	announce_release(c, why, unanswered_mt && by == CALL_BY_PHONE);
	llist_add(&c->list, &m->voice.calls);
	m->voice.n_calls++;
	call_free(c);
	if (m->voice.n_calls == 0) {
		/* SIMCom's and Huawei's audio switches are per call. An on/off cycle is what
		 * degrades a SIM7600's audio endpoint (fault audio-dead-after-call). */
		if (m->voice.cpcmreg && m->faults.audio_dead)
			m->faults.audio_degraded = true;
		m->faults.audio_dead_tried = false;
		m->voice.cpcmreg = false;
		m->voice.ddsetex = false;
	}
	promote_waiting(m);
	audio_update(m);
	if (finish_atd)
		at_finish(m, (struct sim_res){r, 0, false});
}

void calls_release_all(struct sim_modem *m, enum call_end why, enum call_by by)
{
	while (!llist_empty(&m->voice.calls))
		call_release(llist_first_entry(&m->voice.calls, struct sim_call, list), why, by);
}

struct sim_call *call_dial(struct sim_modem *m, const char *number, bool *busy_line)
{
	struct sim_call *c, *a;

	*busy_line = call_with_stat(m, CALL_DIALING) || call_with_stat(m, CALL_ALERTING) ||
		     (call_active(m) && call_with_stat(m, CALL_HELD));
	if (*busy_line)
		return NULL;
	c = call_new(m, number, false);
	if (!c) {
		*busy_line = true;
		return NULL;
	}
	c->phone = phone_get(m->sim->net, number);
	if (!c->phone) {
		call_free(c);
		return NULL;
	}
	/* Dialling while in a call puts that call on hold (27.007 §6.27). */
	c->stat = CALL_DIALING;
	llist_for_each_entry (a, &m->voice.calls, list) {
		if (a->stat == CALL_ACTIVE)
			call_set_stat(a, CALL_HELD);
	}
	m->voice.calls_mo++;
	announce_state(c, false);
	schedule_ms(&c->timer, m->sim->cfg.alert_ms);
	return c;
}

struct sim_call *call_incoming(struct sim_modem *m, struct phone *p, const char **err)
{
	bool waiting = call_active(m) || call_with_stat(m, CALL_HELD);
	struct sim_call *c;

	if (p->call) {
		*err = "the phone is already in a call";
		return NULL;
	}
	if (sim_modem_reg_cs(m) != REG_HOME) {
		*err = "the modem is not registered (circuit-switched)";
		return NULL;
	}
	if (call_with_stat(m, CALL_INCOMING) || call_with_stat(m, CALL_WAITING) ||
	    call_with_stat(m, CALL_DIALING) || call_with_stat(m, CALL_ALERTING)) {
		*err = "the modem's line is busy";
		return NULL;
	}
	c = call_new(m, p->number, true);
	if (!c) {
		*err = "the modem has no free call slot";
		return NULL;
	}
	c->phone = p;
	p->call = c;
	m->voice.calls_mt++;
	c->stat = waiting ? CALL_WAITING : CALL_INCOMING;
	announce_state(c, false);
	if (waiting)
		ccwa_once(c);
	else
		start_ringing(c);
	schedule_ms(&c->timer, m->sim->cfg.ring_timeout_ms);
	return c;
}

int call_phone_answer(struct phone *p, const char **err)
{
	struct sim_call *c = p->call;

	if (!c || c->mt || (c->stat != CALL_ALERTING && c->stat != CALL_DIALING)) {
		*err = "no call from a modem is ringing at this phone";
		return -1;
	}
	call_set_active(c);
	return 0;
}

int call_phone_reject(struct phone *p, const char **err)
{
	struct sim_call *c = p->call;

	if (!c || c->mt || (c->stat != CALL_ALERTING && c->stat != CALL_DIALING)) {
		*err = "no call from a modem is ringing at this phone";
		return -1;
	}
	call_release(c, CALL_END_REJECTED, CALL_BY_PHONE);
	return 0;
}

void call_dtmf_urc(struct sim_modem *m, char digit)
{
	char buf[48];

	switch (m->profile->voice) {
	case VOICE_QUECTEL:
		if (!m->at.qtonedet)
			return;
		snprintf(buf, sizeof(buf), "+QTONEDET: %d", digit);
		at_urc(m, buf, NULL);
		break;
	case VOICE_SIMCOM:
		/* SIMCom frames this one with a doubled <CR>. */
		if (!m->at.ddet)
			return;
		snprintf(buf, sizeof(buf), "\r\r\n+RXDTMF: %c\r\r\n", digit);
		at_urc_raw(m, buf);
		break;
	case VOICE_HUAWEI:
		snprintf(buf, sizeof(buf), "^DDTMF: %c", digit);
		at_urc(m, buf, NULL);
		break;
	default:
		break;
	}
}

void calls_init(struct sim_modem *m)
{
	memset(&m->voice, 0, sizeof(m->voice));
	INIT_LLIST_HEAD(&m->voice.calls);
}

void calls_power_on(struct sim_modem *m)
{
	struct sim_call *c;

	/* The port is gone or fresh: nothing is announced, the phones just lose the call. */
	while (!llist_empty(&m->voice.calls)) {
		c = llist_first_entry(&m->voice.calls, struct sim_call, list);
		m->voice.last_end = CALL_END_RADIO;
		call_free(c);
	}
	m->voice.colp_call = NULL;
	m->voice.qpcmv = false;
	m->voice.qpcmv_port = 0;
	m->voice.cpcmreg = false;
	m->voice.ddsetex = false;
	m->voice.last_end = CALL_END_NONE;
	audio_update(m);
}

void calls_cleanup(struct sim_modem *m)
{
	while (!llist_empty(&m->voice.calls))
		call_free(llist_first_entry(&m->voice.calls, struct sim_call, list));
}
