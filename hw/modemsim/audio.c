/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The audio port: pacing, uplink and downlink, the GSM codec, see audio.h. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>
#include <spandsp.h>

#include "hw/modemsim/audio.h"
#include "hw/modemsim/calls.h"
#include "hw/modemsim/modemsim.h"
#include "hw/modemsim/phone.h"
#include "hw/modemsim/phone_audio.h"
#include "hw/modemsim/profile.h"
#include "hw/modemsim/sim_modem.h"

#define FRAME_US 20000.0
/* Frames a late timer may catch up on at once; later than that, the clock restarts. */
#define CATCH_UP_MAX 5
/* What the Quectel's GPS writes to its NMEA port (which serial audio shares). */
#define NMEA_LINE "$GPGSV,1,1,00*79\r\n"

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void schedule_us(struct osmo_timer_list *t, uint64_t us)
{
	osmo_timer_schedule(t, (long)(us / 1000000), (long)(us % 1000000));
}

/* When frame n is due: from the base, so rounding never accumulates. */
static uint64_t due_us(const struct sim_audio *a, uint64_t n)
{
	return a->base_us + (uint64_t)llround((double)n * FRAME_US * (1e6 + a->drift_ppm) / 1e6);
}

/* ---- codec ---- */

static void codec_free(struct sim_audio *a)
{
	for (unsigned i = 0; i < ARRAY_SIZE(a->gsm); i++) {
		if (a->gsm[i])
			gsm0610_free(a->gsm[i]);
		a->gsm[i] = NULL;
	}
}

static void codec_start(struct sim_modem *m)
{
	codec_free(&m->audio);
	if (!m->sim->cfg.codec_gsm)
		return;
	for (unsigned i = 0; i < ARRAY_SIZE(m->audio.gsm); i++)
		m->audio.gsm[i] = gsm0610_init(NULL, GSM0610_PACKING_NONE);
}

/* One leg through GSM 06.10 full rate and back (what the radio path does to speech). */
static void codec_pass(struct sim_audio *a, unsigned leg, int16_t *pcm)
{
	uint8_t code[128];
	int n;

	if (!a->gsm[2 * leg] || !a->gsm[2 * leg + 1])
		return;
	n = gsm0610_encode(a->gsm[2 * leg], code, pcm, AUDIO_FRAME_SAMPLES);
	if (n > 0)
		gsm0610_decode(a->gsm[2 * leg + 1], pcm, code, n);
}

/* ---- one frame each way ---- */

static void write_frame(struct sim_modem *m, const int16_t *pcm)
{
	struct sim_audio *a = &m->audio;
	uint8_t buf[AUDIO_FRAME_BYTES];

	if (a->pty.out.len + AUDIO_FRAME_BYTES > AUDIO_OUT_FRAMES * AUDIO_FRAME_BYTES) {
		/* The host is not reading: drop whole frames, never part of one. */
		a->downlink_dropped_frames++;
		return;
	}
	for (unsigned i = 0; i < AUDIO_FRAME_SAMPLES; i++) {
		buf[2 * i] = (uint8_t)((uint16_t)pcm[i] & 0xff);
		buf[2 * i + 1] = (uint8_t)((uint16_t)pcm[i] >> 8);
	}
	sim_pty_write(&a->pty, buf, sizeof(buf));
	a->frames_down++;
}

static void take_uplink(struct sim_audio *a, int16_t *pcm)
{
	size_t have = a->up_len < AUDIO_FRAME_BYTES ? a->up_len : AUDIO_FRAME_BYTES;

	memset(pcm, 0, AUDIO_FRAME_SAMPLES * sizeof(*pcm));
	if (have < AUDIO_FRAME_BYTES)
		a->uplink_underruns++;
	for (size_t i = 0; i + 1 < have; i += 2)
		pcm[i / 2] = (int16_t)(uint16_t)(a->up[i] | (a->up[i + 1] << 8));
	memmove(a->up, a->up + have, a->up_len - have);
	a->up_len -= have;
	a->frames_up++;
}

static void one_frame(struct sim_modem *m)
{
	struct sim_audio *a = &m->audio;
	bool silent = m->faults.audio_degraded;
	int16_t down[AUDIO_FRAME_SAMPLES], up[AUDIO_FRAME_SAMPLES];

	phone_audio_say(a->phone, down, AUDIO_FRAME_SAMPLES);
	codec_pass(a, 1, down);
	if (silent)
		memset(down, 0, sizeof(down));
	if (now_ms() < m->faults.audio_stall_until_ms)
		a->stalled_frames++;
	else
		write_frame(m, down);
	take_uplink(a, up);
	codec_pass(a, 0, up);
	if (silent)
		memset(up, 0, sizeof(up));
	phone_audio_hear(a->phone, up, AUDIO_FRAME_SAMPLES);
}

/* Frames into a stream before the audio-misalign fault's stray byte: after the host has
 * opened the port and flushed it, which would otherwise take the byte away. */
#define MISALIGN_AFTER 25

static void tick_cb(void *data)
{
	struct sim_modem *m = data;
	struct sim_audio *a = &m->audio;
	uint64_t now = mono_us();
	unsigned k = 0;

	while (a->flowing && due_us(a, a->n) <= now && k++ < CATCH_UP_MAX) {
		if (m->faults.audio_misalign && a->n >= MISALIGN_AFTER) {
			/* One stray byte in the stream (a USB transfer that slipped, or a
			 * stream that started mid-sample when the host came late): every
			 * sample after it straddles two. */
			m->faults.audio_misalign = false;
			sim_pty_write(&a->pty, "", 1);
		}
		one_frame(m);
		a->n++;
	}
	if (!a->flowing)
		return;
	if (due_us(a, a->n) + 100000 < now) {
		/* The loop was stuck far too long: start the clock again rather than burst. */
		a->base_us = now;
		a->n = 0;
	}
	now = mono_us();
	schedule_us(&a->tick, due_us(a, a->n) > now ? due_us(a, a->n) - now : 0);
}

static void nmea_cb(void *data)
{
	struct sim_modem *m = data;

	sim_pty_write(&m->audio.pty, NMEA_LINE, strlen(NMEA_LINE));
	m->audio.nmea_lines++;
	osmo_timer_schedule(&m->audio.nmea, 1, 0);
}

/* Bytes the host wrote to the audio port. */
static void audio_read_cb(void *data, const uint8_t *buf, size_t len)
{
	struct sim_modem *m = data;
	struct sim_audio *a = &m->audio;
	const size_t max = sizeof(a->up);

	if (!a->flowing) {
		a->dropped_bytes += len;
		return;
	}
	if (len > max) {
		a->uplink_overflow_frames +=
		    (len - max + AUDIO_FRAME_BYTES - 1) / AUDIO_FRAME_BYTES;
		buf += len - max;
		len = max;
	}
	while (a->up_len + len > max) {
		/* The oldest frame goes: the host is ahead of the modem's clock. */
		size_t d = a->up_len < AUDIO_FRAME_BYTES ? a->up_len : AUDIO_FRAME_BYTES;

		memmove(a->up, a->up + d, a->up_len - d);
		a->up_len -= d;
		a->uplink_overflow_frames++;
	}
	memcpy(a->up + a->up_len, buf, len);
	a->up_len += len;
}

/* ---- switching ---- */

static bool switch_on(const struct sim_modem *m)
{
	switch (m->profile->voice) {
	case VOICE_QUECTEL:
		return m->voice.qpcmv && m->voice.qpcmv_port == 0;
	case VOICE_SIMCOM:
		return m->voice.cpcmreg;
	case VOICE_HUAWEI:
		return m->voice.ddsetex;
	default:
		return false;
	}
}

bool audio_flows(const struct sim_modem *m)
{
	struct sim_call *c = call_active((struct sim_modem *)m);

	return m->audio.pty.up && c && c->phone && switch_on(m);
}

static void stream_start(struct sim_modem *m)
{
	struct sim_audio *a = &m->audio;

	a->flowing = true;
	a->up_len = 0;
	a->base_us = mono_us();
	a->n = 0;
	codec_start(m);
	LOGP(DAT, LOGL_INFO, "%s: audio flows\n", m->name);
	tick_cb(m);
}

static void stream_stop(struct sim_modem *m)
{
	m->audio.flowing = false;
	m->audio.phone = NULL;
	osmo_timer_del(&m->audio.tick);
	codec_free(&m->audio);
	LOGP(DAT, LOGL_INFO, "%s: audio stops\n", m->name);
}

static void nmea_update(struct sim_modem *m)
{
	bool want = m->audio.pty.up && m->profile->voice == VOICE_QUECTEL && m->voice.qpcmv &&
		    m->voice.qpcmv_port == 0 && !m->voice.gps_outport_none;

	if (want && !m->audio.nmea_on)
		osmo_timer_schedule(&m->audio.nmea, 1, 0);
	else if (!want)
		osmo_timer_del(&m->audio.nmea);
	m->audio.nmea_on = want;
}

void audio_update(struct sim_modem *m)
{
	bool want = audio_flows(m);

	if (want) {
		m->audio.phone = call_active(m)->phone;
		if (!m->audio.flowing)
			stream_start(m);
	} else if (m->audio.flowing) {
		stream_stop(m);
	}
	nmea_update(m);
}

void audio_set_drift(struct sim_modem *m, int ppm)
{
	struct sim_audio *a = &m->audio;

	/* The next frame stays due when it was; the new period applies from there. */
	if (a->flowing) {
		a->base_us = due_us(a, a->n);
		a->n = 0;
	}
	a->drift_ppm = ppm;
}

/* ---- lifetime ---- */

void audio_init(struct sim_modem *m)
{
	struct sim_audio *a = &m->audio;
	char link[PATH_MAX + 48];

	memset(a, 0, sizeof(*a));
	snprintf(a->link_name, sizeof(a->link_name), "%s.audio", m->name);
	snprintf(link, sizeof(link), "%s/%s", m->sim->cfg.dir, a->link_name);
	sim_pty_init(&a->pty, m, a->link_name, link, audio_read_cb, m);
	outbuf_init(&a->pty.out, AUDIO_OUT_FRAMES * AUDIO_FRAME_BYTES);
	a->drift_ppm = m->sim->cfg.drift_ppm;
	osmo_timer_setup(&a->tick, tick_cb, m);
	osmo_timer_setup(&a->nmea, nmea_cb, m);
}

int audio_open(struct sim_modem *m)
{
	int rc = sim_pty_open(&m->audio.pty);

	audio_update(m);
	return rc;
}

void audio_close(struct sim_modem *m)
{
	sim_pty_close(&m->audio.pty);
	audio_update(m);
}

void audio_cleanup(struct sim_modem *m)
{
	osmo_timer_del(&m->audio.tick);
	osmo_timer_del(&m->audio.nmea);
	codec_free(&m->audio);
	m->audio.flowing = false;
	sim_pty_close(&m->audio.pty);
}

struct json_object *audio_json(const struct sim_modem *m)
{
	const struct sim_audio *a = &m->audio;
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "path", json_object_new_string(a->pty.link_path));
	json_object_object_add(o, "present", json_object_new_boolean(a->pty.up));
	json_object_object_add(o, "flowing", json_object_new_boolean(a->flowing));
	json_object_object_add(o, "drift_ppm", json_object_new_int(a->drift_ppm));
	json_object_object_add(o, "codec",
			       json_object_new_string(m->sim->cfg.codec_gsm ? "gsm" : "none"));
	json_object_object_add(o, "frames_down", json_object_new_int64((int64_t)a->frames_down));
	json_object_object_add(o, "frames_up", json_object_new_int64((int64_t)a->frames_up));
	json_object_object_add(o, "uplink_underruns",
			       json_object_new_int64((int64_t)a->uplink_underruns));
	json_object_object_add(o, "uplink_overflow_frames",
			       json_object_new_int64((int64_t)a->uplink_overflow_frames));
	json_object_object_add(o, "audio_dropped_bytes",
			       json_object_new_int64((int64_t)a->dropped_bytes));
	json_object_object_add(o, "downlink_dropped_frames",
			       json_object_new_int64((int64_t)a->downlink_dropped_frames));
	json_object_object_add(o, "stalled_frames",
			       json_object_new_int64((int64_t)a->stalled_frames));
	json_object_object_add(o, "nmea_lines", json_object_new_int64((int64_t)a->nmea_lines));
	json_object_object_add(o, "degraded", json_object_new_boolean(m->faults.audio_degraded));
	return o;
}
