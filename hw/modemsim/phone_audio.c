/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* A phone's sources and its recording, see phone_audio.h. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <sndfile.h>
#include <spandsp.h>

#include "hw/modemsim/phone.h"
#include "hw/modemsim/phone_audio.h"

#define HEARD_MAX ((size_t)PHONE_HEARD_MAX_S * AUDIO_RATE)

enum src_kind {
	SRC_NONE,
	SRC_WAV,
	SRC_TONE,
	SRC_CHIRP,
};

struct phone_audio {
	enum src_kind kind;
	int16_t *wav; /* SRC_WAV: the whole file */
	size_t wav_len, wav_pos;
	double f0, f1, amp, phase;
	size_t len, pos; /* tone/chirp: samples to play (0: endless tone), played */
	dtmf_tx_state_t *dtmf;
	int16_t *heard; /* ring of HEARD_MAX samples, grown as needed */
	size_t heard_cap, heard_len, heard_start;
};

static int pa_destroy(struct phone_audio *a)
{
	if (a->dtmf)
		dtmf_tx_free(a->dtmf);
	return 0;
}

static struct phone_audio *pa_get(struct phone *p)
{
	if (!p->audio) {
		p->audio = talloc_zero(p, struct phone_audio);
		if (p->audio)
			talloc_set_destructor(p->audio, pa_destroy);
	}
	return p->audio;
}

static int16_t clip16(double v)
{
	return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
}

static void say_synth(struct phone_audio *a, int16_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		double f = a->f0;

		if (a->len && a->pos >= a->len) {
			a->kind = SRC_NONE;
			return;
		}
		if (a->kind == SRC_CHIRP)
			f = a->f0 + (a->f1 - a->f0) * (double)a->pos / (double)a->len;
		out[i] = clip16(a->amp * sin(a->phase));
		a->phase = fmod(a->phase + 2 * M_PI * f / AUDIO_RATE, 2 * M_PI);
		a->pos++;
	}
}

static void say_wav(struct phone_audio *a, int16_t *out, size_t n)
{
	size_t k = a->wav_len - a->wav_pos;

	if (k > n)
		k = n;
	memcpy(out, a->wav + a->wav_pos, k * sizeof(*out));
	a->wav_pos += k;
	if (a->wav_pos >= a->wav_len)
		a->kind = SRC_NONE;
}

void phone_audio_say(struct phone *p, int16_t *out, size_t n)
{
	struct phone_audio *a = p->audio;
	int16_t tones[n];

	memset(out, 0, n * sizeof(*out));
	if (!a)
		return;
	if (a->kind == SRC_WAV)
		say_wav(a, out, n);
	else if (a->kind == SRC_TONE || a->kind == SRC_CHIRP)
		say_synth(a, out, n);
	if (a->dtmf) {
		int got = dtmf_tx(a->dtmf, tones, (int)n);

		for (int i = 0; i < got; i++)
			out[i] = clip16((double)out[i] + tones[i]);
	}
}

void phone_audio_hear(struct phone *p, const int16_t *in, size_t n)
{
	struct phone_audio *a = pa_get(p);

	for (size_t i = 0; a && i < n; i++) {
		if (a->heard_len == a->heard_cap && a->heard_cap < HEARD_MAX) {
			size_t cap = a->heard_cap ? a->heard_cap * 2 : AUDIO_RATE * 4;
			int16_t *h;

			if (cap > HEARD_MAX)
				cap = HEARD_MAX;
			h = talloc_realloc(a, a->heard, int16_t, cap);
			if (!h)
				return;
			a->heard = h;
			a->heard_cap = cap;
		}
		if (a->heard_len < a->heard_cap) {
			a->heard[(a->heard_start + a->heard_len) % a->heard_cap] = in[i];
			a->heard_len++;
		} else {
			/* Full (ten minutes): the oldest sample goes. */
			a->heard[a->heard_start] = in[i];
			a->heard_start = (a->heard_start + 1) % a->heard_cap;
		}
	}
}

void phone_stop_play(struct phone *p)
{
	struct phone_audio *a = p->audio;

	if (!a)
		return;
	TALLOC_FREE(a->wav);
	a->kind = SRC_NONE;
}

bool phone_playing(const struct phone *p)
{
	return p->audio && p->audio->kind != SRC_NONE;
}

int phone_play_wav(struct phone *p, const char *path, char *err, size_t cap)
{
	struct phone_audio *a = pa_get(p);
	SF_INFO info = {0};
	SNDFILE *sf;
	sf_count_t got;

	sf = sf_open(path, SFM_READ, &info);
	if (!sf) {
		snprintf(err, cap, "cannot read WAV %s: %s", path, sf_strerror(NULL));
		return -1;
	}
	if (info.samplerate != AUDIO_RATE || info.channels != 1 ||
	    info.frames > (sf_count_t)HEARD_MAX) {
		snprintf(err, cap,
			 "WAV must be 8000 Hz mono, at most %d s; %s is %d Hz, %d channels",
			 PHONE_HEARD_MAX_S, path, info.samplerate, info.channels);
		sf_close(sf);
		return -1;
	}
	phone_stop_play(p);
	a->wav = talloc_array(a, int16_t, info.frames > 0 ? (size_t)info.frames : 1);
	got = a->wav ? sf_readf_short(sf, a->wav, info.frames) : 0;
	sf_close(sf);
	a->wav_len = got > 0 ? (size_t)got : 0;
	a->wav_pos = 0;
	a->kind = a->wav_len ? SRC_WAV : SRC_NONE;
	return 0;
}

static double dbfs_amp(double dbfs)
{
	return 32767.0 * pow(10.0, dbfs / 20.0);
}

int phone_play_tone(struct phone *p, double hz, unsigned ms, double dbfs)
{
	struct phone_audio *a = pa_get(p);

	if (!a || hz <= 0 || hz >= AUDIO_RATE / 2 || dbfs > 0)
		return -1;
	phone_stop_play(p);
	a->kind = SRC_TONE;
	a->f0 = a->f1 = hz;
	a->amp = dbfs_amp(dbfs);
	a->phase = 0;
	a->len = (size_t)ms * AUDIO_RATE / 1000;
	a->pos = 0;
	return 0;
}

int phone_play_chirp(struct phone *p, double f0, double f1, unsigned ms, double dbfs)
{
	if (ms == 0 || f1 <= 0 || f1 >= AUDIO_RATE / 2 || phone_play_tone(p, f0, ms, dbfs) < 0)
		return -1;
	p->audio->kind = SRC_CHIRP;
	p->audio->f1 = f1;
	return 0;
}

int phone_dtmf_inband(struct phone *p, const char *digits)
{
	struct phone_audio *a = pa_get(p);

	if (!a)
		return -1;
	if (!a->dtmf) {
		a->dtmf = dtmf_tx_init(NULL);
		if (!a->dtmf)
			return -1;
		dtmf_tx_set_timing(a->dtmf, 100, 100);
	}
	return dtmf_tx_put(a->dtmf, digits, -1) == 0 ? 0 : -1;
}

size_t phone_heard_samples(const struct phone *p)
{
	return p->audio ? p->audio->heard_len : 0;
}

void phone_heard_clear(struct phone *p)
{
	if (!p->audio)
		return;
	p->audio->heard_len = 0;
	p->audio->heard_start = 0;
}

long phone_heard_wav(struct phone *p, const char *path, bool clear, char *err, size_t cap)
{
	SF_INFO info = {
	    .samplerate = AUDIO_RATE, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
	struct phone_audio *a = p->audio;
	size_t n = phone_heard_samples(p);
	SNDFILE *sf = sf_open(path, SFM_WRITE, &info);

	if (!sf) {
		snprintf(err, cap, "cannot write WAV %s: %s", path, sf_strerror(NULL));
		return -1;
	}
	for (size_t i = 0; i < n;) {
		size_t at = (a->heard_start + i) % a->heard_cap;
		size_t k = a->heard_cap - at < n - i ? a->heard_cap - at : n - i;

		sf_write_short(sf, a->heard + at, (sf_count_t)k);
		i += k;
	}
	sf_close(sf);
	if (clear)
		phone_heard_clear(p);
	return (long)n;
}
