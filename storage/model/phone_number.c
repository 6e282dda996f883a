/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Phone numbers: roster spellings to E.164, and numbers hidden in message text. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "storage/model/phone_number.h"

bool phone_is_e164(const char *s)
{
	size_t n;

	if (!s || s[0] != '+' || s[1] < '1' || s[1] > '9')
		return false;
	for (n = 1; s[n]; n++)
		if (!isdigit((unsigned char)s[n]))
			return false;
	return n - 1 >= 8 && n - 1 <= 15;
}

static int fail(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -1;
}

int phone_normalize(char *out, size_t cap, const char *in, const char *default_cc, const char **why)
{
	char digits[32];
	size_t nd = 0;
	bool plus = false, intl = false;
	const char *p = in;

	if (!in)
		return fail(why, "no number");
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return fail(why, "empty");
	if (*p == '+') {
		plus = true;
		p++;
	}
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (isdigit(c)) {
			if (nd + 1 >= sizeof(digits))
				return fail(why, "too many digits");
			digits[nd++] = (char)c;
		} else if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/' ||
			   c == '\t') {
			continue;
		} else if (c == 'x' || c == 'X' || c == '#' || c == ',' || c == ';') {
			return fail(why, "extensions and dialling pauses cannot receive SMS");
		} else {
			return fail(why, "not a phone number (letters or symbols)");
		}
	}
	digits[nd] = '\0';
	if (!plus && nd > 2 && digits[0] == '0' && digits[1] == '0') {
		/* "00 44 …": the international prefix most of the world dials. */
		memmove(digits, digits + 2, nd - 1);
		nd -= 2;
		intl = true;
	}
	if (plus || intl) {
		if (nd < 8 || nd > 15)
			return fail(why, "an international number has 8 to 15 digits");
		if (digits[0] == '0')
			return fail(why, "a country code does not start with 0");
		if (snprintf(out, cap, "+%s", digits) >= (int)cap)
			return fail(why, "output too small");
		return 0;
	}
	if (!default_cc || !*default_cc)
		return fail(why, "national number and no default country code");
	if (!strcmp(default_cc, "1")) {
		/* NANP: ten digits, optionally preceded by the trunk/country 1; area code and
		 * exchange cannot start with 0 or 1. */
		const char *n = digits;
		if (nd == 11 && digits[0] == '1') {
			n++;
			nd--;
		}
		if (nd != 10)
			return fail(why, "a North American number has 10 digits");
		if (n[0] < '2' || n[3] < '2')
			return fail(why, "area code and exchange cannot start with 0 or 1");
		if (snprintf(out, cap, "+1%s", n) >= (int)cap)
			return fail(why, "output too small");
		return 0;
	}
	/* Elsewhere: drop one national trunk 0 and prefix the country code. */
	{
		const char *n = digits;
		if (nd && n[0] == '0') {
			n++;
			nd--;
		}
		if (nd + strlen(default_cc) < 8 || nd + strlen(default_cc) > 15)
			return fail(why, "wrong number of digits");
		if (snprintf(out, cap, "+%s%s", default_cc, n) >= (int)cap)
			return fail(why, "output too small");
	}
	return 0;
}

static bool is_sep(char c)
{
	return c == ' ' || c == '.' || c == '-' || c == '(' || c == ')';
}

bool phone_find_in_text(const char *text, size_t from, size_t *start, size_t *end, char digits[16])
{
	size_t len = strlen(text), i = from;

	while (i < len) {
		size_t s, e, nd = 0, last_digit, group = 0, groups = 0;
		bool short_group = false;
		char buf[16];
		/* A run starts at a digit, '+' or '(' followed by a digit. */
		if (!(isdigit((unsigned char)text[i]) ||
		      ((text[i] == '+' || text[i] == '(') && i + 1 < len &&
		       isdigit((unsigned char)text[i + 1])))) {
			i++;
			continue;
		}
		s = i;
		last_digit = i;
		for (e = i; e < len; e++) {
			char c = text[e];
			if (isdigit((unsigned char)c)) {
				if (nd < 15)
					buf[nd] = c;
				nd++;
				group++;
				last_digit = e;
				continue;
			}
			if (!(is_sep(c) || (c == '+' && e == s)))
				break;
			/* Two separators in a row end the run ("10 - 12"), except ") ". */
			if (e > s && is_sep(text[e - 1]) && !(text[e - 1] == ')' && c == ' '))
				break;
			if (group) {
				/* Groups of one or two digits after the first are dates and
				 * scores ("2026-11-22", "3-1"), not the way numbers are written
				 * here (3-3-4, +1 617 555 0101). */
				if (groups && group < 3)
					short_group = true;
				groups++;
				group = 0;
			}
		}
		if (group && groups && group < 3)
			short_group = true;
		if (nd >= 7 && !short_group) {
			buf[nd < 15 ? nd : 15] = '\0';
			memcpy(digits, buf, 16);
			*start = s;
			*end = last_digit + 1;
			return true;
		}
		i = last_digit + 1 > i ? last_digit + 1 : i + 1;
	}
	return false;
}

bool phone_digits_match(const char *digits, const char *e164)
{
	size_t nd, ne;

	if (!digits || !e164 || e164[0] != '+')
		return false;
	e164++;
	nd = strlen(digits);
	ne = strlen(e164);
	if (nd == ne && !strcmp(digits, e164))
		return true;
	/* National forms: +1 numbers written as their 10 digits, or anything written as its
	 * last 7 (a local number, "555-0123"). */
	if (e164[0] == '1' && ne == 11 && nd == 10 && !strcmp(digits, e164 + 1))
		return true;
	if (nd == 7 && ne > 7 && !strcmp(digits, e164 + ne - 7))
		return true;
	/* Other countries: digits that equal the number after its country code (1-3 digits),
	 * with or without a trunk 0. */
	if (e164[0] != '1' && nd >= 7) {
		const char *d = digits[0] == '0' ? digits + 1 : digits;
		size_t n = strlen(d);
		if (n < ne && n + 3 >= ne && !strcmp(d, e164 + ne - n))
			return true;
	}
	return false;
}
