/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Injected faults, see faults.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>

#include "hw/modemsim/at_server.h"
#include "hw/modemsim/faults.h"
#include "hw/modemsim/sim_modem.h"
#include "hw/modemsim/modemsim.h"
#include "hw/modemsim/network.h"
#include "modem/sms/sms_split.h"

static void schedule_ms(struct osmo_timer_list *t, unsigned ms)
{
	osmo_timer_schedule(t, ms / 1000, (ms % 1000) * 1000);
}

static void hang_end_cb(void *data)
{
	struct sim_modem *m = data;

	LOGP(DFAULT, LOGL_INFO, "%s: hang over\n", m->name);
	m->faults.hang = false;
	at_flush_urcs(m);
	net_kick(m);
}

static void dereg_end_cb(void *data)
{
	fault_register(data);
}

static void vanish_end_cb(void *data)
{
	struct sim_modem *m = data;

	LOGP(DFAULT, LOGL_INFO, "%s: port returns\n", m->name);
	sim_modem_return(m);
}

void faults_init(struct sim_modem *m)
{
	memset(&m->faults, 0, sizeof(m->faults));
	osmo_timer_setup(&m->faults.hang_timer, hang_end_cb, m);
	osmo_timer_setup(&m->faults.dereg_timer, dereg_end_cb, m);
	osmo_timer_setup(&m->faults.vanish_timer, vanish_end_cb, m);
}

void faults_cleanup(struct sim_modem *m)
{
	osmo_timer_del(&m->faults.hang_timer);
	osmo_timer_del(&m->faults.dereg_timer);
	osmo_timer_del(&m->faults.vanish_timer);
}

void fault_hang(struct sim_modem *m, unsigned ms)
{
	LOGP(DFAULT, LOGL_INFO, "%s: hang for %u ms\n", m->name, ms);
	m->faults.hang = true;
	at_abort_busy(m);
	m->voice.colp_call = NULL; /* an ATD waiting for its outcome dies too */
	osmo_timer_del(&m->faults.hang_timer);
	if (ms)
		schedule_ms(&m->faults.hang_timer, ms);
}

void fault_garbage(struct sim_modem *m, const uint8_t *bytes, size_t len)
{
	LOGP(DFAULT, LOGL_INFO, "%s: %zu bytes of line noise\n", m->name, len);
	at_write_raw(m, bytes, len);
}

void fault_cms_error(struct sim_modem *m, unsigned code, unsigned count)
{
	m->faults.cms_error_code = code;
	m->faults.cms_error_count = count;
}

unsigned fault_sim_full(struct sim_modem *m)
{
	struct sms_store *st = sim_modem_mem(m, 2);
	struct network *net = m->sim->net;
	struct sms_deliver *d = talloc_zero(m, struct sms_deliver);
	unsigned n = 0;
	char text[32];

	if (!d)
		return 0;
	sms_address_from_text(&d->originator, "+15559990000");
	net_now_scts(&d->scts, time(NULL));
	/* Real, decodable messages: the client has to read and delete them like any SMS. */
	while (sms_store_used(st) < st->total) {
		uint8_t tpdu[SMS_PDU_MAX], pdu[SMS_PDU_MAX];
		size_t plen;
		int len;

		snprintf(text, sizeof(text), "SIM filler %u", n + 1);
		if (sms_ud_from_utf8(&d->ud, text, strlen(text)) < 0)
			break;
		len = sms_deliver_encode(tpdu, sizeof(tpdu), d, false);
		if (len < 0)
			break;
		plen = net_with_smsc(net, pdu, sizeof(pdu), tpdu, (size_t)len);
		if (sms_store_put(st, SMS_STAT_REC_UNREAD, pdu, plen) < 0)
			break;
		n++;
	}
	talloc_free(d);
	LOGP(DFAULT, LOGL_INFO, "%s: %s filled with %u messages\n", m->name, st->name, n);
	return n;
}

void fault_deregister(struct sim_modem *m, unsigned ms)
{
	LOGP(DFAULT, LOGL_INFO, "%s: deregistered for %u ms\n", m->name, ms);
	m->faults.deregistered = true;
	osmo_timer_del(&m->faults.dereg_timer);
	if (ms)
		schedule_ms(&m->faults.dereg_timer, ms);
	sim_modem_registration_changed(m);
}

void fault_register(struct sim_modem *m)
{
	osmo_timer_del(&m->faults.dereg_timer);
	if (!m->faults.deregistered)
		return;
	LOGP(DFAULT, LOGL_INFO, "%s: registered again\n", m->name);
	m->faults.deregistered = false;
	sim_modem_registration_changed(m);
}

void fault_cs_unregistered(struct sim_modem *m, bool on)
{
	m->faults.cs_unregistered = on;
	sim_modem_registration_changed(m);
}

void fault_vanish(struct sim_modem *m, unsigned ms)
{
	LOGP(DFAULT, LOGL_INFO, "%s: port vanishes for %u ms\n", m->name, ms);
	sim_modem_vanish(m, ms);
}

void fault_urc_in_response(struct sim_modem *m)
{
	m->faults.urc_in_response = true;
}

void fault_pin(struct sim_modem *m, bool on)
{
	/* The SIM asks for its PIN now, as after a power cycle, and at every power-on
	 * until the fault is cleared. */
	m->faults.pin = on;
	if (m->pin_locked != on) {
		m->pin_locked = on;
		sim_modem_registration_changed(m);
	}
}

void fault_clear(struct sim_modem *m)
{
	if (m->faults.hang) {
		osmo_timer_del(&m->faults.hang_timer);
		hang_end_cb(m);
	}
	m->faults.cms_error_count = 0;
	m->faults.cms_error_code = 0;
	m->faults.urc_in_response = false;
	m->faults.cs_unregistered = false;
	m->faults.audio_stall_until_ms = 0;
	m->faults.audio_misalign = false;
	m->faults.audio_dead = false;
	m->faults.audio_degraded = false;
	m->faults.audio_dead_tried = false;
	m->faults.audio_on_fails = 0;
	fault_pin(m, false);
	if (m->faults.vanished)
		sim_modem_return(m);
	fault_register(m);
	sim_modem_registration_changed(m);
}

void fault_audio_stall(struct sim_modem *m, unsigned ms)
{
	LOGP(DFAULT, LOGL_INFO, "%s: audio stalls for %u ms\n", m->name, ms);
	m->faults.audio_stall_until_ms = now_ms() + ms;
}

void fault_audio_misalign(struct sim_modem *m)
{
	m->faults.audio_misalign = true;
}

void fault_audio_dead_after_call(struct sim_modem *m)
{
	m->faults.audio_dead = true;
}

void fault_audio_on_fails(struct sim_modem *m, unsigned count)
{
	m->faults.audio_on_fails = count;
}

int fault_call_drop(struct sim_modem *m)
{
	struct sim_call *c = call_active(m);

	if (!c)
		return -1;
	LOGP(DFAULT, LOGL_INFO, "%s: the network drops call %u\n", m->name, c->id);
	call_release(c, CALL_END_RADIO, CALL_BY_NETWORK);
	return 0;
}

struct json_object *faults_json(const struct sim_modem *m)
{
	const struct sim_faults *f = &m->faults;
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "hang", json_object_new_boolean(f->hang));
	json_object_object_add(o, "deregistered", json_object_new_boolean(f->deregistered));
	json_object_object_add(o, "cs_unregistered", json_object_new_boolean(f->cs_unregistered));
	json_object_object_add(o, "cms_error_code", json_object_new_int((int)f->cms_error_code));
	json_object_object_add(o, "cms_error_count", json_object_new_int((int)f->cms_error_count));
	json_object_object_add(o, "urc_in_response", json_object_new_boolean(f->urc_in_response));
	json_object_object_add(o, "pin", json_object_new_boolean(f->pin));
	json_object_object_add(o, "pin_locked", json_object_new_boolean(m->pin_locked));
	json_object_object_add(o, "vanished", json_object_new_boolean(f->vanished));
	json_object_object_add(o, "audio_stalled",
			       json_object_new_boolean(now_ms() < f->audio_stall_until_ms));
	json_object_object_add(o, "audio_misalign", json_object_new_boolean(f->audio_misalign));
	json_object_object_add(o, "audio_dead_after_call", json_object_new_boolean(f->audio_dead));
	json_object_object_add(o, "audio_on_fails", json_object_new_int((int)f->audio_on_fails));
	return o;
}
