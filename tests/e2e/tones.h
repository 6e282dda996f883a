/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Tones for the voice tests and the voice benchmark: the level of one frequency in a
 * recording (spandsp's Goertzel filter), in dB relative to a full-scale sine of that
 * frequency and length, so that "-10" means a tone at a third of full scale. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Level of `hz` in s[0..n), dB re a full-scale sine; -200 for silence. */
double tone_db(const int16_t *s, size_t n, double hz);
/* A sine at `db` (re full scale) into s[0..n), phase continuing from sample `start`. */
void tone_fill(int16_t *s, size_t n, double hz, double db, uint64_t start);
