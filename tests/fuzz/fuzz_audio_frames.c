/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* libFuzzer target over audio_rx_feed(): any bytes, read in any chunking, give whole
 * frames only, and every byte is accounted for — in a frame, dropped by a re-alignment,
 * or still waiting (less than a frame).
 * Input: byte 0 seeds the chunk sizes; the rest is the stream. */
#include <stdint.h>
#include <stdlib.h>

#include "modem/driver/audio_frames.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void count(const int16_t *samples, void *data)
{
	(void)samples;
	(*(uint64_t *)data)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audio_rx rx;
	uint64_t frames = 0;
	unsigned seed;
	size_t off = 1;

	if (size < 1)
		return 0;
	seed = data[0];
	audio_rx_reset(&rx);
	while (off < size) {
		size_t n = 1 + (seed * 7919u + off) % 700;

		if (n > size - off)
			n = size - off;
		audio_rx_feed(&rx, data + off, n, count, &frames);
		off += n;
	}
	if (frames != rx.frames || rx.len >= AUDIO_FRAME_BYTES ||
	    frames * AUDIO_FRAME_BYTES + rx.realigns + rx.len != size - 1)
		abort();
	return 0;
}
