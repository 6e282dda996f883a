/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* What a simulated phone says and hears in a call: 8 kHz linear samples.
 *
 * Promises: the phone says one source at a time (a WAV file, a tone or a chirp; silence
 * when none) with in-band DTMF mixed on top; sources run on audio time (samples asked
 * for), never on wall time, so a stalled or unflowing call does not lose any. What it
 * hears is kept, the last PHONE_HEARD_MAX_S seconds, and written out as a WAV. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct phone;

#define AUDIO_RATE 8000
/* Longest recording a phone keeps, and longest WAV it plays. */
#define PHONE_HEARD_MAX_S 600

/* Fill `n` samples of what the phone says now. */
void phone_audio_say(struct phone *p, int16_t *out, size_t n);
/* Keep `n` samples the phone heard. */
void phone_audio_hear(struct phone *p, const int16_t *in, size_t n);

/* Play a WAV (8 kHz mono). Returns 0, or -1 with a readable reason in err. */
int phone_play_wav(struct phone *p, const char *path, char *err, size_t cap);
/* A sine of `hz` at `dbfs` for `ms` (0: until stopped). */
int phone_play_tone(struct phone *p, double hz, unsigned ms, double dbfs);
/* A linear sweep from f0 to f1 Hz over `ms` at `dbfs`. */
int phone_play_chirp(struct phone *p, double f0, double f1, unsigned ms, double dbfs);
void phone_stop_play(struct phone *p);
/* Whether a source is still playing. */
bool phone_playing(const struct phone *p);
/* DTMF tones into what the phone says: 100 ms tone, 100 ms gap. Returns 0 or -1. */
int phone_dtmf_inband(struct phone *p, const char *digits);

/* Samples heard and kept. */
size_t phone_heard_samples(const struct phone *p);
/* Write what the phone heard to `path` (8 kHz mono s16). Returns the sample count, or -1
 * with err set. `clear` forgets it afterwards. */
long phone_heard_wav(struct phone *p, const char *path, bool clear, char *err, size_t cap);
/* Forget what the phone heard. */
void phone_heard_clear(struct phone *p);
