/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* English words written in lower case, from Debian's wamerican word list, built into
 * the program (common_words_gen.cmake makes the table): the same redaction on every box,
 * whatever its /usr/share/dict holds. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

extern const char *const common_words_table[]; /* sorted (strcmp) */
extern const size_t common_words_count;

/* Whether w (lower-case ASCII) is one of them. */
bool common_word(const char *w);
