/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Control commands for calls and audio: what the phones do (call, answer, reject, busy,
 * hangup, auto-answer, dtmf, play, stop-play, heard), the call list, a modem's audio
 * clock, and the audio and call faults. See README.md. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <osmocom/core/linuxlist.h>

#include "hw/modemsim/audio.h"
#include "hw/modemsim/calls.h"
#include "hw/modemsim/ctl_server.h"
#include "hw/modemsim/faults.h"
#include "hw/modemsim/modemsim.h"
#include "hw/modemsim/network.h"
#include "hw/modemsim/phone.h"
#include "hw/modemsim/phone_audio.h"
#include "hw/modemsim/sim_modem.h"

static const char *const stat_names[] = {"active",   "held",	"dialing", "alerting",
					 "incoming", "waiting", "released"};

/* The phone named by "phone" (created when `create`), or NULL with *err set. */
static struct phone *req_phone(struct ctl_server *srv, struct json_object *req, bool create,
			       struct json_object **err)
{
	const char *number = get_str(req, "phone");
	struct network *net = ctl_simulator(srv)->net;
	struct sms_address addr;
	struct phone *p;

	if (!number || sms_address_from_text(&addr, number) < 0 ||
	    addr.ton == SMS_TON_ALPHANUMERIC) {
		*err = resp_error("\"phone\" (a phone number) is required");
		return NULL;
	}
	p = create ? phone_get(net, number) : phone_find(net, number);
	if (!p)
		*err = resp_error("no phone \"%s\"", number);
	return p;
}

/* A number field that may be an integer or a fraction. */
static bool get_double(struct json_object *req, const char *key, double def, double *out)
{
	struct json_object *v;

	*out = def;
	if (!json_object_object_get_ex(req, key, &v) || json_object_is_type(v, json_type_null))
		return true;
	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
		return false;
	*out = json_object_get_double(v);
	return true;
}

struct json_object *ctl_cmd_call(struct ctl_server *srv, struct json_object *req)
{
	struct json_object *err = NULL, *o;
	const char *from = get_str(req, "from");
	struct sim_modem *m = req_modem(srv, req, "to", &err);
	struct sms_address addr;
	struct sim_call *c;
	const char *why;
	struct phone *p;

	if (!m)
		return err;
	if (!from || sms_address_from_text(&addr, from) < 0 || addr.ton == SMS_TON_ALPHANUMERIC ||
	    strlen(from) > 21)
		return resp_error("\"from\" (a phone number) is required");
	p = phone_get(ctl_simulator(srv)->net, from);
	if (!p)
		return resp_error("out of memory");
	c = call_incoming(m, p, &why);
	if (!c)
		return resp_error("cannot call %s: %s", m->name, why);
	o = resp_ok();
	json_object_object_add(o, "id", json_object_new_int((int)c->id));
	return o;
}

struct json_object *ctl_cmd_answer(struct ctl_server *srv, struct json_object *req)
{
	struct json_object *err = NULL;
	struct phone *p = req_phone(srv, req, false, &err);
	const char *why;

	if (!p)
		return err;
	if (call_phone_answer(p, &why) < 0)
		return resp_error("%s", why);
	return resp_ok();
}

struct json_object *ctl_cmd_reject(struct ctl_server *srv, struct json_object *req)
{
	struct json_object *err = NULL;
	struct phone *p = req_phone(srv, req, false, &err);
	const char *why;

	if (!p)
		return err;
	if (call_phone_reject(p, &why) < 0)
		return resp_error("%s", why);
	return resp_ok();
}

struct json_object *ctl_cmd_busy(struct ctl_server *srv, struct json_object *req)
{
	struct json_object *err = NULL;
	struct phone *p = req_phone(srv, req, true, &err);
	bool on;

	if (!p)
		return err;
	if (!get_bool(req, "on", true, &on))
		return resp_error("\"on\" must be a boolean");
	p->busy = on;
	return resp_ok();
}

struct json_object *ctl_cmd_hangup(struct ctl_server *srv, struct json_object *req)
{
	struct json_object *err = NULL;
	struct phone *p = req_phone(srv, req, false, &err);
	struct sim_call *c;

	if (!p)
		return err;
	c = p->call;
	if (!c)
		return resp_error("the phone is not in a call");
	if (c->mt && !c->was_active)
		c->m->voice.calls_missed++;
	call_release(c, CALL_END_NORMAL, CALL_BY_PHONE);
	return resp_ok();
}

struct json_object *ctl_cmd_auto_answer(struct ctl_server *srv, struct json_object *req)
{
	struct json_object *err = NULL;
	struct phone *p = req_phone(srv, req, true, &err);
	unsigned rings;

	if (!p)
		return err;
	if (!get_uint(req, "rings", 0, &rings) || rings > 1000)
		return resp_error("\"rings\" must be 0 (off) .. 1000");
	p->auto_answer_rings = rings;
	return resp_ok();
}

struct json_object *ctl_cmd_dtmf(struct ctl_server *srv, struct json_object *req)
{
	struct json_object *err = NULL;
	struct phone *p = req_phone(srv, req, false, &err);
	const char *digits = get_str(req, "digits");
	bool inband;

	if (!p)
		return err;
	if (!digits || !*digits || strlen(digits) > 64 ||
	    strspn(digits, "0123456789*#ABCDabcd") != strlen(digits))
		return resp_error("\"digits\" must be 1..64 of 0-9 * # A-D");
	if (!get_bool(req, "inband", false, &inband))
		return resp_error("\"inband\" must be a boolean");
	if (!p->call || p->call->stat != CALL_ACTIVE)
		return resp_error("the phone is not in an active call");
	if (inband)
		return phone_dtmf_inband(p, digits) == 0 ? resp_ok()
							 : resp_error("DTMF generator failed");
	for (const char *d = digits; *d; d++)
		call_dtmf_urc(p->call->m, (char)toupper((unsigned char)*d));
	return resp_ok();
}

/* "F0,F1" or [F0, F1]. */
static bool get_chirp(struct json_object *req, double *f0, double *f1)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, "chirp", &v))
		return false;
	if (json_object_is_type(v, json_type_array) && json_object_array_length(v) == 2) {
		*f0 = json_object_get_double(json_object_array_get_idx(v, 0));
		*f1 = json_object_get_double(json_object_array_get_idx(v, 1));
		return true;
	}
	return json_object_is_type(v, json_type_string) &&
	       sscanf(json_object_get_string(v), "%lf,%lf", f0, f1) == 2;
}

struct json_object *ctl_cmd_play(struct ctl_server *srv, struct json_object *req)
{
	struct json_object *err = NULL, *v;
	struct phone *p = req_phone(srv, req, true, &err);
	const char *wav = get_str(req, "wav");
	double hz, dbfs, f0, f1;
	unsigned ms;
	bool clear;
	char why[512];

	if (!p)
		return err;
	if (!get_uint(req, "ms", 0, &ms) || !get_double(req, "dbfs", -10, &dbfs) ||
	    !get_double(req, "tone", 0, &hz))
		return resp_error("\"ms\", \"dbfs\" and \"tone\" must be numbers");
	/* "clear_heard": what the phone hears from now on starts on the tick its new source
	 * starts, so a recording and what was said line up sample for sample (the delay a
	 * call adds is then the lag between the two). */
	if (!get_bool(req, "clear_heard", false, &clear))
		return resp_error("\"clear_heard\" must be a boolean");
	if (clear)
		phone_heard_clear(p);
	if (wav)
		return phone_play_wav(p, wav, why, sizeof(why)) == 0 ? resp_ok()
								     : resp_error("%s", why);
	if (json_object_object_get_ex(req, "chirp", &v)) {
		if (!get_chirp(req, &f0, &f1) || phone_play_chirp(p, f0, f1, ms, dbfs) < 0)
			return resp_error("\"chirp\": \"F0,F1\" within 0..4000 Hz, \"ms\" > 0, "
					  "\"dbfs\" <= 0");
		return resp_ok();
	}
	if (hz > 0)
		return phone_play_tone(p, hz, ms, dbfs) == 0
			   ? resp_ok()
			   : resp_error("\"tone\" must be within 0..4000 Hz, \"dbfs\" <= 0");
	return resp_error("give \"wav\", \"tone\" or \"chirp\"");
}

struct json_object *ctl_cmd_stop_play(struct ctl_server *srv, struct json_object *req)
{
	struct json_object *err = NULL;
	struct phone *p = req_phone(srv, req, false, &err);

	if (!p)
		return err;
	phone_stop_play(p);
	return resp_ok();
}

struct json_object *ctl_cmd_heard(struct ctl_server *srv, struct json_object *req)
{
	struct json_object *err = NULL, *o;
	struct phone *p = req_phone(srv, req, false, &err);
	const char *path = get_str(req, "wav");
	char why[512];
	bool clear;
	long n;

	if (!p)
		return err;
	if (!get_bool(req, "clear", false, &clear))
		return resp_error("\"clear\" must be a boolean");
	if (path) {
		n = phone_heard_wav(p, path, clear, why, sizeof(why));
		if (n < 0)
			return resp_error("%s", why);
	} else {
		n = (long)phone_heard_samples(p);
		if (clear)
			phone_heard_clear(p);
	}
	o = resp_ok();
	json_object_object_add(o, "samples", json_object_new_int64(n));
	return o;
}

static struct json_object *call_json(const struct sim_call *c)
{
	const struct sim_modem *m = c->m;
	bool carried = m->audio.flowing && m->audio.phone == c->phone;
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "modem", json_object_new_string(m->name));
	json_object_object_add(o, "id", json_object_new_int((int)c->id));
	json_object_object_add(o, "dir", json_object_new_string(c->mt ? "mt" : "mo"));
	json_object_object_add(o, "state", json_object_new_string(stat_names[c->stat]));
	json_object_object_add(o, "number", json_object_new_string(c->number));
	json_object_object_add(o, "phone",
			       json_object_new_string(c->phone ? c->phone->number : ""));
	json_object_object_add(o, "mpty", json_object_new_boolean(c->mpty));
	json_object_object_add(o, "audio_on", json_object_new_boolean(carried));
	json_object_object_add(o, "frames_up", json_object_new_int64((int64_t)m->audio.frames_up));
	json_object_object_add(o, "frames_down",
			       json_object_new_int64((int64_t)m->audio.frames_down));
	json_object_object_add(o, "underruns",
			       json_object_new_int64((int64_t)m->audio.uplink_underruns));
	json_object_object_add(o, "dropped_bytes",
			       json_object_new_int64((int64_t)m->audio.dropped_bytes));
	json_object_object_add(o, "dtmf_received",
			       json_object_new_string(c->phone ? c->phone->dtmf_rx : ""));
	return o;
}

struct json_object *ctl_cmd_calls(struct ctl_server *srv, struct json_object *req)
{
	struct simulator *sim = ctl_simulator(srv);
	struct json_object *o = resp_ok(), *arr = json_object_new_array();
	struct sim_call *c;

	(void)req;
	for (unsigned i = 0; i < sim->n_modems; i++) {
		llist_for_each_entry (c, &sim->modems[i]->voice.calls, list)
			json_object_array_add(arr, call_json(c));
	}
	json_object_object_add(o, "calls", arr);
	return o;
}

struct json_object *ctl_cmd_audio(struct ctl_server *srv, struct json_object *req)
{
	struct json_object *err = NULL, *v, *o;
	struct sim_modem *m = req_modem(srv, req, "modem", &err);
	int64_t ppm;

	if (!m)
		return err;
	if (json_object_object_get_ex(req, "drift_ppm", &v)) {
		ppm = json_object_get_int64(v);
		if (!json_object_is_type(v, json_type_int) || ppm < -100000 || ppm > 100000)
			return resp_error("\"drift_ppm\" must be an integer within ±100000");
		audio_set_drift(m, (int)ppm);
	}
	o = resp_ok();
	json_object_object_add(o, "audio", audio_json(m));
	return o;
}

struct json_object *ctl_voice_status(struct sim_modem *m)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "calls", json_object_new_int((int)m->voice.n_calls));
	json_object_object_add(o, "calls_mo", json_object_new_int((int)m->voice.calls_mo));
	json_object_object_add(o, "calls_mt", json_object_new_int((int)m->voice.calls_mt));
	json_object_object_add(o, "calls_missed", json_object_new_int((int)m->voice.calls_missed));
	json_object_object_add(o, "last_end",
			       json_object_new_string(call_end_text(m->voice.last_end)));
	json_object_object_add(o, "audio", audio_json(m));
	return o;
}

struct json_object *ctl_voice_fault(struct sim_modem *m, const char *kind, struct json_object *req)
{
	unsigned ms, count;

	if (strcmp(kind, "audio-stall") == 0) {
		if (!get_uint(req, "ms", 1000, &ms))
			return resp_error("\"ms\" must be a non-negative integer");
		fault_audio_stall(m, ms);
	} else if (strcmp(kind, "audio-misalign") == 0) {
		fault_audio_misalign(m);
	} else if (strcmp(kind, "audio-dead-after-call") == 0) {
		fault_audio_dead_after_call(m);
	} else if (strcmp(kind, "audio-on-fails") == 0) {
		if (!get_uint(req, "count", 1, &count))
			return resp_error("\"count\" must be a non-negative integer");
		fault_audio_on_fails(m, count);
	} else if (strcmp(kind, "call-drop") == 0) {
		if (fault_call_drop(m) < 0)
			return resp_error("%s has no active call", m->name);
	} else {
		return NULL;
	}
	return resp_ok();
}
