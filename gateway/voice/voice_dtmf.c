/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* One leg's DTMF digits from its audio and its modem's reports (voice_dtmf.h). */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <spandsp.h>
#include <talloc.h>

#include "gateway/voice/voice_dtmf.h"

/* Reports still inside the window: a few per second at most, so a small array. */
#define RECENT_MAX 16

struct recent {
	int64_t t_ms;
	char digit;
	enum voice_dtmf_source src;
	bool merged;
};

struct voice_dtmf {
	dtmf_rx_state_t *rx;
	unsigned window_ms;
	voice_dtmf_cb on_digit;
	void *data;
	int64_t now_ms; /* the time of the audio being detected */
	struct recent recent[RECENT_MAX];
	unsigned n_recent;
	struct voice_dtmf_stats st;
};

const char *voice_dtmf_source_name(enum voice_dtmf_source src)
{
	return src == VOICE_DTMF_INBAND ? "in-band" : src == VOICE_DTMF_MODEM ? "modem" : "?";
}

/* 0 for anything but a DTMF key; the key in upper case otherwise. */
static char dtmf_key(char c)
{
	c = (char)toupper((unsigned char)c);
	return c && strchr("0123456789*#ABCD", c) ? c : 0;
}

static void expire(struct voice_dtmf *d, int64_t now_ms)
{
	unsigned k = 0;

	for (unsigned i = 0; i < d->n_recent; i++)
		if (now_ms - d->recent[i].t_ms <= (int64_t)d->window_ms)
			d->recent[k++] = d->recent[i];
	d->n_recent = k;
}

/* The other witness's oldest unmerged report of `digit` in the window, or NULL. */
static struct recent *partner(struct voice_dtmf *d, char digit, enum voice_dtmf_source src)
{
	for (unsigned i = 0; i < d->n_recent; i++) {
		struct recent *r = &d->recent[i];

		if (r->digit == digit && r->src != src && !r->merged)
			return r;
	}
	return NULL;
}

static void detection(struct voice_dtmf *d, int64_t now_ms, char digit, enum voice_dtmf_source src)
{
	struct recent *r;

	if (src == VOICE_DTMF_INBAND)
		d->st.inband++;
	else
		d->st.modem++;
	expire(d, now_ms);
	r = partner(d, digit, src);
	if (r) {
		r->merged = true;
		d->st.merged++;
		return;
	}
	/* Full only under a flood of presses: the oldest is forgotten first. */
	if (d->n_recent == RECENT_MAX)
		memmove(d->recent, d->recent + 1, --d->n_recent * sizeof(d->recent[0]));
	d->recent[d->n_recent++] = (struct recent){now_ms, digit, src, false};
	d->st.reported++;
	d->on_digit(d, digit, src, d->data);
}

/* spandsp's detector: the digits confirmed in the block just given to dtmf_rx(). */
static void rx_digits(void *user_data, const char *digits, int len)
{
	struct voice_dtmf *d = user_data;

	for (int i = 0; i < len; i++) {
		char k = dtmf_key(digits[i]);

		if (k)
			detection(d, d->now_ms, k, VOICE_DTMF_INBAND);
	}
}

static int dtmf_destructor(struct voice_dtmf *d)
{
	dtmf_rx_free(d->rx);
	return 0;
}

struct voice_dtmf *voice_dtmf_alloc(void *ctx, unsigned window_ms, voice_dtmf_cb on_digit,
				    void *data)
{
	struct voice_dtmf *d;

	if (!on_digit)
		return NULL;
	d = talloc_zero(ctx, struct voice_dtmf);
	if (!d)
		return NULL;
	d->rx = dtmf_rx_init(NULL, rx_digits, d);
	if (!d->rx) {
		talloc_free(d);
		return NULL;
	}
	talloc_set_destructor(d, dtmf_destructor);
	d->window_ms = window_ms ? window_ms : VOICE_DTMF_WINDOW_MS;
	d->on_digit = on_digit;
	d->data = data;
	return d;
}

int voice_dtmf_audio(struct voice_dtmf *d, int64_t now_ms, const int16_t *samples, unsigned n)
{
	if (!d || !samples || n == 0 || n > (unsigned)INT32_MAX)
		return -EINVAL;
	d->now_ms = now_ms;
	dtmf_rx(d->rx, samples, (int)n);
	return 0;
}

int voice_dtmf_modem(struct voice_dtmf *d, int64_t now_ms, char digit)
{
	char k = dtmf_key(digit);

	if (!d || !k)
		return -EINVAL;
	detection(d, now_ms, k, VOICE_DTMF_MODEM);
	return 0;
}

void voice_dtmf_get_stats(const struct voice_dtmf *d, struct voice_dtmf_stats *out)
{
	if (!d || !out)
		return;
	*out = d->st;
}
