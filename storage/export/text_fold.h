/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Text as the redactor compares it: one spelling for the many ways a name or a number can
 * be typed, with a map back to the bytes it came from.
 *
 * Promises (character properties from libunistring, Unicode 14):
 * - every decimal digit of any script ("６", "٦", "۶", "६") becomes its ASCII digit;
 * - every white space (no-break, thin, ideographic, …) becomes ' ', except line breaks,
 *   which stay '\n' (or '\r');
 * - every dash (en, em, non-breaking hyphen, minus sign, …) becomes '-'; every other
 *   punctuation or symbol outside ASCII becomes an ASCII one that is not a word
 *   character ('\'' for the apostrophes and single quotes, '"' for double quotes, '#'
 *   otherwise), so that "Riley’s" reads as "riley's";
 * - letters are decomposed (compatibility decomposition, so full-width "Ｒ" is "R" and
 *   "ﬁ" is "fi"), their combining marks dropped, and lower-cased: "ÉLODIE" and
 *   "Elodie" and "E\u0301lodie" are all "elodie"; Hangul syllables are kept whole;
 * - characters that show nothing (zero-width spaces and joiners, soft hyphens, bidi
 *   controls and other default-ignorable code points) are dropped;
 * - bytes that are not UTF-8 become '?';
 * - the result is valid UTF-8 and its bytes >= 0x80 are only ever letters of scripts
 *   outside ASCII.
 *
 * Word characters of folded text are ASCII letters, digits, '_' and every byte >= 0x80;
 * in the scripts written without spaces (Han, kana, Hangul, Thai, Lao, Khmer, Myanmar)
 * every character is a word of its own. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct folded {
	char *s; /* NUL-terminated */
	size_t n;
	/* Byte j of s came from text[from[j] .. to[j]) (one whole code point, or several
	 * when dropped ones precede it). from[n] = to[n] = strlen(text). */
	size_t *from, *to;
};

/* Fold text (under ctx). 0, or -1 when out of memory. */
int text_fold(void *ctx, const char *text, struct folded *out);

/* The folded text alone, or NULL when out of memory. */
char *text_fold_str(void *ctx, const char *text);

/* Folded, every run of white space made one ' ', none at either end: how a name is
 * compared ("Riley\u00a0 Chen" is "riley chen"). NULL when out of memory. */
char *text_fold_squeezed(void *ctx, const char *text);

static inline bool fold_is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c >= 0x80;
}

/* The length of the word starting at s[i] of folded text (0 if s[i] is not a word
 * character): a run of word characters, or one character of a script written without
 * spaces (which also ends a run before it). */
size_t fold_word_len(const char *s, size_t i);

/* Whether a word may start at s[i] of folded text: a word character after a non-word
 * one, or at either side of a character of a script written without spaces. */
bool fold_word_start(const char *s, size_t i);

/* Whether a match ending at s[i] (exclusive) ends on a word boundary. */
bool fold_word_end(const char *s, size_t i);
