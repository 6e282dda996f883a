/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* masking — Sharon INJDB: no exchanging personal telephone contact information; policy
 * 003 c.ii, c.iii: no giving out a personal number, no calling a student's personal
 * phone.
 *
 * Every composed body is scanned, and any number in it that is the phone of a person in
 * the directory other than the recipient is replaced by "[number withheld]". This runs
 * after attribution and whatever released a contact-screen hold, so that no personal
 * number of another party leaves the gateway, whoever typed it.
 *
 * Two passes, because a number is not always where phone_find_in_text() puts its run:
 *  1. maximal runs of digits joined by separators (spaces, . - / ( ) _ , +) that contain
 *     the last seven digits of someone else's phone anywhere: this catches numbers run
 *     together ("555-123-0001 555-123-0002" reads as one 20-digit run) or padded;
 *  2. the runs phone_find_in_text() finds whose digits phone_digits_match() someone
 *     else's phone (shorter national forms such as a trunk 0 and six digits).
 * Candidates are looked up by the last six digits, which every matching form contains,
 * in an index built once per evaluation and only when a body has a long enough run. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "storage/model/phone_number.h"
#include "gateway/policy/policy_internal.h"

#define WITHHELD "[number withheld]"

static uint32_t key6(const char *d)
{
	uint32_t k = 0;

	for (int i = 0; i < 6; i++)
		k = k * 10 + (uint32_t)(d[i] - '0');
	return k;
}

static int cmp_key(const void *a, const void *b)
{
	uint32_t x = ((const struct pol_phone_key *)a)->last6;
	uint32_t y = ((const struct pol_phone_key *)b)->last6;

	return x < y ? -1 : x > y;
}

static void build_index(struct pol_state *st)
{
	const struct directory *d = st->d;

	st->keys_built = true;
	st->keys = talloc_array(st->tmp, struct pol_phone_key, d->n_persons + 1);
	for (unsigned i = 0; i < d->n_persons; i++) {
		const struct dir_person *p = d->persons[i];
		const char *digits;
		size_t n = 0;

		if (!p->phone)
			continue;
		if (phone_is_e164(p->phone)) {
			/* The usual case: no copy needed. */
			digits = p->phone + 1;
			n = strlen(digits);
		} else {
			char *buf = talloc_array(st->keys, char, strlen(p->phone) + 1);
			for (const char *c = p->phone; *c; c++)
				if (isdigit((unsigned char)*c))
					buf[n++] = *c;
			buf[n] = '\0';
			digits = buf;
		}
		if (n < 7)
			continue;
		st->keys[st->n_keys++] = (struct pol_phone_key){
		    .last6 = key6(digits + n - 6),
		    .p = p,
		    .digits = digits,
		};
	}
	qsort(st->keys, st->n_keys, sizeof(st->keys[0]), cmp_key);
}

/* The index range of keys with this last6. */
static const struct pol_phone_key *first_key(struct pol_state *st, uint32_t k)
{
	size_t lo = 0, hi = st->n_keys;

	if (!st->keys_built)
		build_index(st);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (st->keys[mid].last6 < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < st->n_keys && st->keys[lo].last6 == k ? &st->keys[lo] : NULL;
}

/* Pass 1: does the digit string contain the last seven digits of a phone of someone
 * other than `to`? */
static bool run_has_other(struct pol_state *st, const char *dig, size_t nd,
			  const struct dir_person *to)
{
	for (size_t i = 1; i + 6 <= nd; i++) {
		const struct pol_phone_key *k = first_key(st, key6(dig + i));
		const struct pol_phone_key *end = st->keys + st->n_keys;

		for (; k && k < end && k->last6 == key6(dig + i); k++) {
			size_t n = strlen(k->digits);
			if (k->p != to && !memcmp(dig + i - 1, k->digits + n - 7, 7))
				return true;
		}
	}
	return false;
}

/* Pass 2: do the digits of a phone_find_in_text() run denote someone other than `to`? */
static bool digits_match_other(struct pol_state *st, const char *dig, const struct dir_person *to)
{
	size_t nd = strlen(dig);
	const struct pol_phone_key *k, *end;

	if (nd < 6)
		return false;
	k = first_key(st, key6(dig + nd - 6));
	end = st->keys + st->n_keys;
	for (; k && k < end && k->last6 == key6(dig + nd - 6); k++)
		if (k->p != to && phone_digits_match(dig, k->p->phone))
			return true;
	return false;
}

static bool run_char(char c)
{
	return isdigit((unsigned char)c) || c == ' ' || c == '\t' || c == '.' || c == '-' ||
	       c == '/' || c == '(' || c == ')' || c == '_' || c == ',' || c == '+';
}

/* Replace [a, b) of *s by WITHHELD; returns the offset just after the replacement. */
static size_t replace(void *ctx, char **s, size_t a, size_t b)
{
	size_t len = strlen(*s);
	char *n = talloc_array(ctx, char, len - (b - a) + sizeof(WITHHELD));

	memcpy(n, *s, a);
	memcpy(n + a, WITHHELD, sizeof(WITHHELD) - 1);
	memcpy(n + a + sizeof(WITHHELD) - 1, *s + b, len - b + 1);
	talloc_free(*s);
	*s = n;
	return a + sizeof(WITHHELD) - 1;
}

static bool mask_body(struct pol_state *st, struct pol_rcpt *r)
{
	char *s = r->body;
	char *dig = NULL;
	size_t i = 0, a, b;
	char digits[16];
	bool changed = false;

	if (!s)
		return false;
	/* Pass 1. */
	while (s[i]) {
		size_t start, last = 0, nd = 0, j;

		if (!isdigit((unsigned char)s[i])) {
			i++;
			continue;
		}
		start = i;
		/* A leading '+' or '(' belongs to the number. */
		while (start > 0 && (s[start - 1] == '+' || s[start - 1] == '('))
			start--;
		for (j = i; s[j] && run_char(s[j]); j++)
			if (isdigit((unsigned char)s[j]))
				last = j, nd++;
		if (nd >= 7) {
			size_t k = 0;
			dig = talloc_realloc(st->tmp, dig, char, nd + 1);
			for (j = i; j <= last; j++)
				if (isdigit((unsigned char)s[j]))
					dig[k++] = s[j];
			dig[k] = '\0';
			if (run_has_other(st, dig, nd, r->to)) {
				i = replace(st->tmp, &s, start, last + 1);
				changed = true;
				continue;
			}
		}
		i = last + 1;
	}
	talloc_free(dig);
	/* Pass 2: exactly the runs and matches the rest of Chaperone (and its tests) see. */
	i = 0;
	while (phone_find_in_text(s, i, &a, &b, digits)) {
		if (digits_match_other(st, digits, r->to)) {
			i = replace(st->tmp, &s, a, b);
			changed = true;
		} else {
			i = b > i ? b : i + 1;
		}
	}
	r->body = s;
	return changed;
}

void policy_rule_masking(struct pol_state *st)
{
	for (unsigned i = 0; i < st->n_r; i++)
		if (mask_body(st, &st->r[i]))
			st->n_masked++;
	if (st->n_masked)
		pol_applied(st, POLICY_RULE_MASKING);
}
