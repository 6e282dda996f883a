/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Call audio frames: assembly with re-alignment, the uplink queue, the uplink clock. */
#include <stdlib.h>
#include <string.h>

#include "modem/driver/audio_frames.h"

/* Below this mean sample-to-sample step the frame is too quiet to judge alignment by. */
#define ALIGN_MIN_STEP 64
/* A byte-shifted view must be this many times smoother to count as the true one. A
 * view that straddles samples reads each one's low byte as a high byte: its steps are
 * those of random 16-bit values (a third of the range on average) whatever the signal,
 * while a real telephone signal's steps stay below two thirds of that even for a
 * full-scale tone at the top of the band (3.4 kHz). */
#define ALIGN_RATIO 2
/* Frames in a row before a byte is dropped. */
#define ALIGN_FRAMES 2

static int16_t le16(const uint8_t *p)
{
	return (int16_t)(uint16_t)(p[0] | (p[1] << 8));
}

void audio_frame_to_le(const int16_t *samples, uint8_t *bytes)
{
	for (unsigned i = 0; i < AUDIO_FRAME_SAMPLES; i++) {
		uint16_t v = (uint16_t)samples[i];

		bytes[2 * i] = (uint8_t)(v & 0xff);
		bytes[2 * i + 1] = (uint8_t)(v >> 8);
	}
}

/* Sum of |x[i] - x[i-1]| over n samples read from p. */
static uint64_t roughness(const uint8_t *p, unsigned n)
{
	uint64_t sum = 0;
	int prev = le16(p);

	for (unsigned i = 1; i < n; i++) {
		int x = le16(p + 2 * i);

		sum += (uint64_t)abs(x - prev);
		prev = x;
	}
	return sum;
}

/* Does the frame at the start of the buffer read as a signal only one byte later? */
static bool looks_shifted(const uint8_t *frame)
{
	unsigned n = AUDIO_FRAME_SAMPLES - 1;
	uint64_t even = roughness(frame, n), odd = roughness(frame + 1, n);

	return even > (uint64_t)ALIGN_MIN_STEP * n && odd * ALIGN_RATIO < even;
}

void audio_rx_reset(struct audio_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
}

static void take_frame(struct audio_rx *rx, audio_frame_cb emit, void *data)
{
	int16_t s[AUDIO_FRAME_SAMPLES];

	if (looks_shifted(rx->buf)) {
		if (++rx->misaligned >= ALIGN_FRAMES) {
			/* Drop one byte: the frame is taken again when its last byte comes. */
			rx->misaligned = 0;
			rx->realigns++;
			memmove(rx->buf, rx->buf + 1, --rx->len);
			return;
		}
	} else {
		rx->misaligned = 0;
	}
	for (unsigned i = 0; i < AUDIO_FRAME_SAMPLES; i++)
		s[i] = le16(rx->buf + 2 * i);
	rx->len -= AUDIO_FRAME_BYTES;
	memmove(rx->buf, rx->buf + AUDIO_FRAME_BYTES, rx->len);
	rx->frames++;
	emit(s, data);
}

void audio_rx_feed(struct audio_rx *rx, const uint8_t *bytes, size_t n, audio_frame_cb emit,
		   void *data)
{
	if (n % AUDIO_FRAME_BYTES)
		rx->short_reads++;
	while (n) {
		size_t room = sizeof(rx->buf) - rx->len, take = n < room ? n : room;

		memcpy(rx->buf + rx->len, bytes, take);
		rx->len += take;
		bytes += take;
		n -= take;
		while (rx->len >= AUDIO_FRAME_BYTES)
			take_frame(rx, emit, data);
	}
}

void audio_tx_init(struct audio_tx *tx, unsigned cap)
{
	memset(tx, 0, sizeof(*tx));
	tx->cap = cap < 1 ? 1 : cap > AUDIO_TX_CAP_MAX ? AUDIO_TX_CAP_MAX : cap;
}

void audio_tx_push(struct audio_tx *tx, const int16_t *frame)
{
	if (tx->len == tx->cap) {
		tx->head = (tx->head + 1) % tx->cap;
		tx->len--;
		tx->drops++;
	}
	memcpy(tx->q[(tx->head + tx->len) % tx->cap], frame, sizeof(tx->q[0]));
	tx->len++;
	if (tx->len > tx->max_depth)
		tx->max_depth = tx->len;
}

bool audio_tx_pop(struct audio_tx *tx, int16_t *out)
{
	if (!tx->len) {
		memset(out, 0, sizeof(tx->q[0]));
		tx->underruns++;
		return false;
	}
	memcpy(out, tx->q[tx->head], sizeof(tx->q[0]));
	tx->head = (tx->head + 1) % tx->cap;
	tx->len--;
	return true;
}

/* Most slots of debt kept: more than the uplink queue could ever make up. */
#define DEBT_MAX  4
#define PERIOD_MS 20

void audio_clock_init(struct audio_clock *c, int64_t now_ms, unsigned stall_ms)
{
	memset(c, 0, sizeof(*c));
	c->last_rx_ms = now_ms;
	c->stall_ms = stall_ms;
}

bool audio_clock_rx(struct audio_clock *c, int64_t now_ms)
{
	int64_t gap = now_ms - c->last_rx_ms;
	bool send = true;

	if (c->started && gap >= 2 * PERIOD_MS - PERIOD_MS / 2) {
		/* Slots in the gap, less the one this frame fills and the timer's. */
		int64_t missed = (gap + PERIOD_MS / 2) / PERIOD_MS - 1 - c->timer_sent;

		if (missed > 0)
			c->debt = c->debt + (unsigned)missed > DEBT_MAX
				      ? DEBT_MAX
				      : c->debt + (unsigned)missed;
	} else if (c->started && gap < PERIOD_MS / 2 && c->debt) {
		c->debt--;
		c->skipped++;
		send = false;
	}
	c->started = true;
	c->timer_sent = 0;
	c->last_rx_ms = now_ms;
	return send;
}

bool audio_clock_due(struct audio_clock *c, int64_t now_ms)
{
	if (now_ms - c->last_rx_ms < (int64_t)c->stall_ms)
		return false;
	c->timer_sent++;
	return true;
}
