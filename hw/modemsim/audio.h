/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The audio port of one modem: a second PTY (DIR/modemN.audio) carrying the call's PCM.
 *
 * Promises: 8 kHz s16le mono in 320-byte (20 ms) frames both ways, and only while a call
 * is active and the family's audio switch is on (audio_flows()); otherwise nothing is
 * written and what the host writes is read and dropped (counted). While it flows, one
 * downlink frame is written and one uplink frame taken every 20 ms × (1 + drift/1e6),
 * scheduled from an absolute monotonic base so no error accumulates. The uplink keeps at
 * most 4 frames (oldest dropped), the downlink at most AUDIO_OUT_FRAMES unread frames
 * (newest dropped, whole frames only, so the stream never loses its alignment). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/timer.h>

#include "hw/modemsim/pty.h"

struct sim_modem;
struct phone;
struct gsm0610_state_s;

#define AUDIO_FRAME_SAMPLES 160
#define AUDIO_FRAME_BYTES   320
#define AUDIO_UP_FRAMES	    4
#define AUDIO_OUT_FRAMES    10

struct sim_audio {
	struct sim_pty pty;
	char link_name[24];
	struct osmo_timer_list tick;
	struct osmo_timer_list nmea;
	bool flowing;
	bool nmea_on;
	struct phone *phone; /* the far end of the call being carried */
	uint64_t base_us;    /* when frame 0 was due */
	uint64_t n;	     /* frames since base */
	int drift_ppm;
	uint8_t up[AUDIO_UP_FRAMES * AUDIO_FRAME_BYTES];
	size_t up_len;
	struct gsm0610_state_s *gsm[4]; /* uplink enc/dec, downlink enc/dec (--codec gsm) */
	uint64_t frames_down, frames_up;
	uint64_t uplink_underruns, uplink_overflow_frames;
	uint64_t dropped_bytes;		  /* host wrote while audio did not flow */
	uint64_t downlink_dropped_frames; /* host did not read */
	uint64_t stalled_frames;
	uint64_t nmea_lines;
};

void audio_init(struct sim_modem *m);
/* Create / remove the port (with the modem's AT port). Returns 0 or -errno. */
int audio_open(struct sim_modem *m);
void audio_close(struct sim_modem *m);
void audio_cleanup(struct sim_modem *m);
/* Whether audio should flow now: an active call and the family's switch on. */
bool audio_flows(const struct sim_modem *m);
/* Start or stop the stream after a change of calls or switches. */
void audio_update(struct sim_modem *m);
/* Change the modem's audio clock error (parts per million; positive is slow). */
void audio_set_drift(struct sim_modem *m, int ppm);
/* For `status` and `calls`. */
struct json_object *audio_json(const struct sim_modem *m);
