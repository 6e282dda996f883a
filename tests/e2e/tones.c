/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Tone levels by spandsp's Goertzel filter (tones.h). */
#include <math.h>
#include <stdlib.h>

#include <spandsp.h>

#include "tests/e2e/tones.h"

static double goertzel(const int16_t *s, size_t n, double hz)
{
	goertzel_descriptor_t d;
	goertzel_state_t st;

	make_goertzel_descriptor(&d, (float)hz, (int)n);
	goertzel_init(&st, &d);
	goertzel_update(&st, s, (int)n);
	return goertzel_result(&st);
}

void tone_fill(int16_t *s, size_t n, double hz, double db, uint64_t start)
{
	double a = 32767.0 * pow(10, db / 20);

	for (size_t i = 0; i < n; i++)
		s[i] = (int16_t)lrint(a * sin(2 * M_PI * hz * (double)(start + i) / 8000.0));
}

double tone_db(const int16_t *s, size_t n, double hz)
{
	int16_t *ref = malloc(n * sizeof(*ref));
	double p, r;

	tone_fill(ref, n, hz, 0, 0);
	p = goertzel(s, n, hz);
	r = goertzel(ref, n, hz);
	free(ref);
	return p > 0 && r > 0 ? 10 * log10(p / r) : -200;
}
