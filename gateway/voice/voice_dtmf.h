/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* DTMF digits of one call leg, from two witnesses: the leg's audio (spandsp's detector,
 * in-band) and its modem's DTMF reports (the driver's on_dtmf). Some networks and
 * modems report a key press, some carry it only in the audio, some do both: a digit the
 * caller pressed once is reported once, whichever saw it.
 *
 * Pure: no I/O, no clock; the caller gives the time of each frame and each report (the
 * event loop's monotonic clock in the daemon, a simulated one in the tests).
 *
 * Promises (the window rule):
 * - every detection, from either witness, is a press unless it is the other witness's
 *   account of a press already reported: a detection of digit D is merged (not
 *   reported) when the other witness reported D at most window_ms earlier and that
 *   report has not been merged with one already; the oldest such report is taken, so
 *   two presses seen by both witnesses pair up one to one;
 * - one witness never merges with itself: a digit pressed twice, however quickly, that
 *   one witness sees twice is reported twice;
 * - the cost of the rule: a press that only the modem reported, within window_ms of a
 *   press of the same digit that only the audio showed, is taken as the same press.
 *   Presses of one digit closer than the window are rare in menus (a key press and its
 *   release take ~100 ms at the very fastest), and the window only needs to cover the
 *   delay between the two witnesses (the AT channel and the audio queue: tens of ms).
 *
 * Errors: -EINVAL for a NULL object or samples, n 0, or a digit outside 0-9 * # A-D. */
#pragma once

#include <stdint.h>

#define VOICE_DTMF_WINDOW_MS 500 /* the default window (window_ms 0) */

enum voice_dtmf_source {
	VOICE_DTMF_INBAND, /* detected in the leg's audio */
	VOICE_DTMF_MODEM,  /* the modem's DTMF report */
};
const char *voice_dtmf_source_name(enum voice_dtmf_source src);

struct voice_dtmf_stats {
	uint64_t inband;   /* detections in the audio */
	uint64_t modem;	   /* the modem's reports */
	uint64_t reported; /* presses reported through on_digit */
	uint64_t merged;   /* detections taken as the other witness's press */
};

struct voice_dtmf;

/* A press: `src` is the witness that saw it first. */
typedef void (*voice_dtmf_cb)(struct voice_dtmf *d, char digit, enum voice_dtmf_source src,
			      void *data);

/* One leg's digits; window_ms 0 means VOICE_DTMF_WINDOW_MS. NULL on allocation failure
 * or a NULL callback. Freed with talloc_free() (the detector with it). */
struct voice_dtmf *voice_dtmf_alloc(void *ctx, unsigned window_ms, voice_dtmf_cb on_digit,
				    void *data);
/* The leg's audio as it arrives (any n ≥ 1 samples of 8 kHz s16, normally a frame of
 * 160), at now_ms: on_digit may be called from here. */
int voice_dtmf_audio(struct voice_dtmf *d, int64_t now_ms, const int16_t *samples, unsigned n);
/* The modem reported `digit` (0-9, *, #, A-D; lower-case a-d accepted) at now_ms: on_digit
 * may be called from here. */
int voice_dtmf_modem(struct voice_dtmf *d, int64_t now_ms, char digit);
/* Nothing is written when d or out is NULL. */
void voice_dtmf_get_stats(const struct voice_dtmf *d, struct voice_dtmf_stats *out);
