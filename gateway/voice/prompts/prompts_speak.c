/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Spoken names at run time (prompts.h, voice_speak()): libespeak-ng with the voice and
 * speed the build uses for the prompts, resampled to 8 kHz by libsoxr (sox's resampler,
 * which resamples the built prompts) and normalised to -3 dBFS as the build's `gain -n -3`
 * does. espeak-ng is initialised once, on first use, in synchronous mode: the samples
 * come through the callback before espeak_Synth() returns.
 *
 * espeak-ng carries state from one synthesis to the next (the same text comes out a few
 * samples different the second time), so what was said is kept: the last SPEAK_CACHE
 * texts, so that a name sounds the same, and hashes the same, in every call of a run;
 * and the voice is synthesised once per text, not once per call. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <espeak-ng/speak_lib.h>
#include <sodium.h>
#include <soxr.h>
#include <talloc.h>
#include <unistr.h>

#include "gateway/voice/prompts/prompts.h"

#define SPEAK_VOICE "en-us" /* as prompts_gen.cmake */
#define SPEAK_SPEED 150

#define SPEAK_CACHE 64

static int speak_rate; /* espeak-ng's output rate, 0 until initialised, < 0 failed */

struct spoken {
	char *text;
	int16_t *s;
	size_t n;
	char sha[VOICE_PROMPT_SHA256_HEX];
	uint64_t used;
};
static struct spoken cache[SPEAK_CACHE];
static uint64_t uses;

struct speech {
	int16_t *s;
	size_t n, cap;
	bool too_long;
};

static int on_samples(short *wav, int n, espeak_EVENT *events)
{
	struct speech *sp = events ? events->user_data : NULL;

	if (!sp || !wav || n <= 0)
		return 0;
	if (sp->n + (size_t)n > (size_t)speak_rate * VOICE_PROMPT_MAX_SECONDS) {
		sp->too_long = true;
		return 1; /* stop */
	}
	if (sp->n + (size_t)n > sp->cap) {
		size_t cap = (sp->n + (size_t)n) * 2;
		int16_t *grown = realloc(sp->s, cap * sizeof(*grown));

		if (!grown)
			return 1;
		sp->s = grown;
		sp->cap = cap;
	}
	memcpy(sp->s + sp->n, wav, (size_t)n * sizeof(*wav));
	sp->n += (size_t)n;
	return 0;
}

static int init(void)
{
	if (speak_rate)
		return speak_rate;
	speak_rate =
	    espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 200, NULL, espeakINITIALIZE_DONT_EXIT);
	if (speak_rate <= 0 || espeak_SetVoiceByName(SPEAK_VOICE) != EE_OK ||
	    espeak_SetParameter(espeakRATE, SPEAK_SPEED, 0) != EE_OK) {
		speak_rate = -1;
		return -1;
	}
	espeak_SetSynthCallback(on_samples);
	return speak_rate;
}

static int synthesise(void *ctx, const char *text, size_t len, int16_t **samples, size_t *n,
		      char sha256_hex[VOICE_PROMPT_SHA256_HEX]);

int voice_speak(void *ctx, const char *text, int16_t **samples, size_t *n,
		char sha256_hex[VOICE_PROMPT_SHA256_HEX])
{
	size_t len = text ? strlen(text) : 0;
	struct spoken *slot = &cache[0];
	int rc;

	if (!text || !samples || !n || !sha256_hex || !len || len > VOICE_SPEAK_MAX_BYTES ||
	    u8_check((const uint8_t *)text, len))
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)text[i] < 0x20)
			return -EINVAL; /* a name is one line of text */
	for (unsigned i = 0; i < SPEAK_CACHE; i++) {
		if (cache[i].text && !strcmp(cache[i].text, text)) {
			cache[i].used = ++uses;
			*samples = talloc_memdup(ctx, cache[i].s, cache[i].n * sizeof(int16_t));
			if (!*samples)
				return -ENOMEM;
			*n = cache[i].n;
			memcpy(sha256_hex, cache[i].sha, VOICE_PROMPT_SHA256_HEX);
			return 0;
		}
		if (cache[i].used < slot->used)
			slot = &cache[i];
	}
	rc = synthesise(ctx, text, len, samples, n, sha256_hex);
	if (rc < 0)
		return rc;
	/* The least recently used text makes room. */
	talloc_free(slot->text);
	talloc_free(slot->s);
	slot->text = talloc_strdup(NULL, text);
	slot->s = talloc_memdup(NULL, *samples, *n * sizeof(int16_t));
	if (!slot->text || !slot->s) {
		talloc_free(slot->text);
		talloc_free(slot->s);
		*slot = (struct spoken){0};
		return 0; /* said, not kept */
	}
	slot->n = *n;
	memcpy(slot->sha, sha256_hex, VOICE_PROMPT_SHA256_HEX);
	slot->used = ++uses;
	return 0;
}

static int synthesise(void *ctx, const char *text, size_t len, int16_t **samples, size_t *n,
		      char sha256_hex[VOICE_PROMPT_SHA256_HEX])
{
	struct speech sp = {0};
	size_t out_cap, done = 0;
	soxr_io_spec_t io = soxr_io_spec(SOXR_INT16_I, SOXR_INT16_I);
	soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
	unsigned char hash[crypto_hash_sha256_BYTES];
	int16_t *out;
	int peak = 0;

	if (init() < 0)
		return -EIO;
	/* No SSML, no phoneme input: the text is read as plain words. */
	if (espeak_Synth(text, len + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, NULL, &sp) !=
		EE_OK ||
	    sp.too_long || !sp.n) {
		free(sp.s);
		return sp.too_long ? -E2BIG : -EIO;
	}
	out_cap = sp.n * 8000 / (size_t)speak_rate + 64;
	out = talloc_array(ctx, int16_t, out_cap);
	if (!out || soxr_oneshot(speak_rate, 8000, 1, sp.s, sp.n, NULL, out, out_cap, &done, &io,
				 &q, NULL)) {
		talloc_free(out);
		free(sp.s);
		return out ? -EIO : -ENOMEM;
	}
	free(sp.s);
	for (size_t i = 0; i < done; i++)
		peak = abs(out[i]) > peak ? abs(out[i]) : peak;
	if (peak) { /* -3 dBFS peak */
		double g = 32767.0 * pow(10, -3.0 / 20) / peak;

		for (size_t i = 0; i < done; i++)
			out[i] = (int16_t)lrint(out[i] * g);
	}
	crypto_hash_sha256(hash, (const unsigned char *)out, done * sizeof(*out));
	sodium_bin2hex(sha256_hex, VOICE_PROMPT_SHA256_HEX, hash, sizeof(hash));
	*samples = out;
	*n = done;
	return 0;
}
