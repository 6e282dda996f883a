/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Phone numbers as districts write them, to E.164 and back, and found inside text.
 *
 * Why not libphonenumber: it is C++ only; Chaperone needs two narrow things from it —
 * normalising what a roster export holds and spotting a number inside an SMS body —
 * and both are done here conservatively (reject what is not clearly a number). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Normalise a number as written in a roster ("(555) 123-0001", "555.123.0001",
 * "+1 555 123 0001", "1-555-123-0001", "00 44 20 7946 0000") to E.164 ("+15551230001").
 * `default_cc` is the district's country calling code ("1") used for national numbers;
 * for "1" national numbers must have 10 digits (NANP), with or without a leading 1.
 * Letters, extensions ("x12"), fewer than 8 or more than 15 digits are rejected.
 * Return 0, or -1 with a short reason in *why (static string). */
int phone_normalize(char *out, size_t cap, const char *in, const char *default_cc,
		    const char **why);

/* Is `s` a valid E.164 string ("+" and 8..15 digits, no leading 0)? */
bool phone_is_e164(const char *s);

/* Find the next run in text that reads as a phone number: 7 or more digits, possibly
 * with a leading '+', separated only by spaces, dots, dashes, slashes or parentheses
 * ("555-0123", "(555) 123 0001", "+1.555.123.0001"). Returns true and sets [*start,
 * *end) (byte offsets into text) and the digits (NUL-terminated, at most 15 kept) when
 * one is found at or after `from`. */
bool phone_find_in_text(const char *text, size_t from, size_t *start, size_t *end, char digits[16]);

/* Does the run of digits found in text denote the E.164 number? True when the digits
 * equal the number without '+', or its national significant part (the last 10 digits
 * for +1, or the last 7 digits when the run has exactly 7). */
bool phone_digits_match(const char *digits, const char *e164);
