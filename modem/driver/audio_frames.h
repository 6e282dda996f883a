/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Call audio frames: the audio port's byte stream cut into frames and kept aligned, the
 * uplink queue, and the clock that decides when the uplink goes without the downlink.
 *
 * Pure: no I/O; the caller gives bytes and times (modem_audio.c on the event loop, the
 * unit tests on a simulated clock).
 *
 * Promises:
 * - audio_rx_feed() accepts reads of any size, odd ones included, and hands out whole
 *   frames of AUDIO_FRAME_SAMPLES samples (s16le on the wire) as soon as they are whole;
 * - a stream that starts mid-sample, or slips a byte, is re-aligned: a frame that reads
 *   as noise taken at even bytes but as a signal taken at odd ones, twice in a row,
 *   drops one byte (16-bit audio is smooth from sample to sample, a byte-shifted view of
 *   it is not);
 * - the uplink queue holds at most its capacity (oldest frame dropped, counted), and an
 *   empty queue gives silence (counted as an underrun). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUDIO_FRAME_SAMPLES 160
#define AUDIO_FRAME_BYTES   (2 * AUDIO_FRAME_SAMPLES)
/* Most uplink frames any queue may be given. */
#define AUDIO_TX_CAP_MAX 16

typedef void (*audio_frame_cb)(const int16_t *samples, void *data);

struct audio_rx {
	uint8_t buf[2 * AUDIO_FRAME_BYTES];
	size_t len;
	unsigned misaligned; /* frames in a row that looked byte-shifted */
	uint64_t frames, short_reads, realigns;
};

void audio_rx_reset(struct audio_rx *rx);
/* Bytes as read from the port; `emit` is called for every whole frame. */
void audio_rx_feed(struct audio_rx *rx, const uint8_t *bytes, size_t n, audio_frame_cb emit,
		   void *data);

struct audio_tx {
	int16_t q[AUDIO_TX_CAP_MAX][AUDIO_FRAME_SAMPLES];
	unsigned head, len, cap;
	uint64_t underruns, drops;
	unsigned max_depth;
};

/* cap: frames queued at most (1..AUDIO_TX_CAP_MAX; out of range is clamped). */
void audio_tx_init(struct audio_tx *tx, unsigned cap);
void audio_tx_push(struct audio_tx *tx, const int16_t *frame);
/* The frame to send now into `out`: the oldest queued, or silence (false: underrun). */
bool audio_tx_pop(struct audio_tx *tx, int16_t *out);

/* Who clocks the uplink: each downlink frame sends one uplink frame; when no downlink
 * frame came for stall_ms, a 20 ms timer does (the modem still wants its stream).
 *
 * The modem takes an uplink frame every 20 ms whether one is there or not. A downlink
 * frame that comes late (a gap of two periods or more) means slots went by that ours did
 * not fill: the modem played silence there, and every frame sent from then on would wait
 * one slot longer in its buffer, for the rest of the call. So the clock keeps a debt of
 * such slots (less what the stall timer sent meanwhile), and pays it by sending nothing
 * for a frame of the burst that follows (frames that come close together), which brings
 * the delay back to what it was. */
struct audio_clock {
	int64_t last_rx_ms;
	unsigned stall_ms;
	bool started;
	unsigned timer_sent; /* frames the stall timer sent since the last downlink frame */
	unsigned debt;	     /* uplink slots the modem played as silence, to make up */
	uint64_t skipped;    /* uplink frames not sent to pay that debt */
};

void audio_clock_init(struct audio_clock *c, int64_t now_ms, unsigned stall_ms);
/* A downlink frame came: must one uplink frame go for it? */
bool audio_clock_rx(struct audio_clock *c, int64_t now_ms);
/* At a 20 ms tick: must the timer send a frame? (It counts it when it says yes.) */
bool audio_clock_due(struct audio_clock *c, int64_t now_ms);

/* Little-endian bytes ↔ samples, whatever the host's byte order. */
void audio_frame_to_le(const int16_t *samples, uint8_t *bytes);
