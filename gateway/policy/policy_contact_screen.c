/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* contact-screen — Sharon INJDB: "Employees are prohibited from exchanging personal
 * address, telephone or email contact information with current SPS students of any age
 * without the explicit permission of the Superintendent, Principal or his/her designee";
 * "Coaches and club/activity advisors are prohibited from exchanging personal telephone
 * or email contact information with students without prior approval".
 *
 * A staff message with a student among its recipients, or a student's message to staff,
 * whose text seems to carry a phone number (phone_find_in_text), an e-mail address or a
 * street address is held until an administrator releases or rejects it. The screen is
 * deliberately eager: a false alarm costs an administrator a click, a miss cannot be
 * taken back. Masking still withholds directory numbers from whatever is released.
 *
 * Not applied when a contact_sharing exception is in force between the staff member and
 * every student of the exchange (the "explicit permission"), nor to a crisis answer
 * ("any of the policies presented here" may give way; the administrators see the text
 * at once instead). */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <talloc.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "storage/model/phone_number.h"
#include "gateway/policy/policy_internal.h"

static bool email_local_char(unsigned char c)
{
	return isalnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

static bool email_domain_char(unsigned char c)
{
	return isalnum(c) || c == '.' || c == '-';
}

/* word@word.tld: a non-empty local part, a domain with a dot, a top-level part of at
 * least two letters. "@jamier" and "me@home" are not addresses. */
static bool has_email(const char *s)
{
	for (const char *at = strchr(s, '@'); at; at = strchr(at + 1, '@')) {
		const char *q = at + 1, *dot = NULL;
		size_t tld = 0;

		if (at == s || !email_local_char((unsigned char)at[-1]))
			continue;
		while (email_domain_char((unsigned char)*q))
			q++;
		/* Sentence punctuation after the address: "mail me at a@b.com." */
		while (q > at + 1 && (q[-1] == '.' || q[-1] == '-'))
			q--;
		for (const char *r = at + 1; r < q; r++)
			if (*r == '.')
				dot = r;
		if (!dot || dot == at + 1)
			continue;
		for (const char *r = dot + 1; r < q && isalpha((unsigned char)*r); r++)
			tld++;
		if (tld >= 2 && dot + 1 + tld == q)
			return true;
	}
	return false;
}

/* Words of the text, ASCII-space separated, with surrounding punctuation stripped. */
struct word {
	const char *s;
	size_t n;
};

static unsigned split_words(const char *s, struct word *w, unsigned cap)
{
	unsigned n = 0;

	while (*s && n < cap) {
		const char *b, *e;

		while (*s && isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		b = s;
		while (*s && !isspace((unsigned char)*s))
			s++;
		e = s;
		while (b < e && strchr("(\"'", *b))
			b++;
		while (e > b && strchr(".,;:!?)\"'", e[-1]))
			e--;
		w[n].s = b;
		w[n].n = (size_t)(e - b);
		n++;
	}
	return n;
}

/* A house number: 1 to 6 digits, optionally one letter ("221B"), or a range "12-14". */
static bool house_number(const struct word *w)
{
	size_t i = 0, digits = 0;

	while (i < w->n && isdigit((unsigned char)w->s[i]))
		i++, digits++;
	if (!digits || digits > 6)
		return false;
	if (i < w->n && w->s[i] == '-') {
		size_t j = i + 1;
		while (j < w->n && isdigit((unsigned char)w->s[j]))
			j++;
		if (j > i + 1)
			i = j;
	}
	if (i < w->n && isalpha((unsigned char)w->s[i]))
		i++;
	return i == w->n;
}

static bool street_suffix(const struct word *w)
{
	static const char *const suffixes[] = {
	    "st", "street", "ave", "avenue", "rd",  "road", "blvd",  "dr",  "drive",
	    "ln", "lane",   "ct",  "court",  "way", "pl",   "place", "ter", "hwy",
	};

	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++)
		if (strlen(suffixes[i]) == w->n && !strncasecmp(w->s, suffixes[i], w->n))
			return true;
	return false;
}

/* Words that do not occur in a street name but do between a number and "court", "way"
 * or "drive" in team talk ("5 on the court", "3 more players, no way"). */
static bool filler(const struct word *w)
{
	static const char *const words[] = {
	    "a",       "an",   "the", "on",   "at",   "in",   "to",	 "for",
	    "by",      "of",   "and", "or",   "from", "near", "with",	 "is",
	    "are",     "pm",   "am",  "more", "no",   "min",  "minutes", "hours",
	    "players", "laps", "our", "your", "this", "that", "until",
	};

	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (strlen(words[i]) == w->n && !strncasecmp(w->s, words[i], w->n))
			return true;
	return false;
}

/* A number followed within four words by a street suffix, with a name in between:
 * "12 Elm St", "1600 Pennsylvania Avenue", "221B Baker Street". */
static bool has_street_address(void *tmp, const char *s)
{
	size_t len = strlen(s);
	unsigned cap = (unsigned)(len / 2 + 2), n;
	struct word *w = talloc_array(tmp, struct word, cap);
	bool found = false;

	n = split_words(s, w, cap);
	for (unsigned i = 0; i < n && !found; i++) {
		if (!house_number(&w[i]))
			continue;
		for (unsigned k = i + 2; k <= i + 4 && k < n; k++) {
			if (filler(&w[k - 1]))
				break;
			if (street_suffix(&w[k])) {
				found = true;
				break;
			}
		}
	}
	talloc_free(w);
	return found;
}

/* Is a contact_sharing exception in force between this staff member and student? */
static bool sharing_allowed(const struct pol_state *st, const struct dir_person *staff,
			    const struct dir_person *student)
{
	const struct dir_exception *e =
	    dir_exception_find(st->d, staff, student, DIR_EXC_CONTACT_SHARING, st->req->now);

	return e && e->kind == DIR_EXC_CONTACT_SHARING && e->staff == staff &&
	       e->student == student && st->req->now < e->expires;
}

void policy_rule_contact_screen(struct pol_state *st)
{
	const struct policy_request *req = st->req;
	const struct dir_person *sender = req->sender;
	bool exchange = false, allowed = true;
	const char *what[3];
	unsigned n_what = 0;
	size_t a, b;
	char digits[16];
	char *list;

	if (!st->cfg->contact_screen || st->crisis)
		return;
	if (dir_is_staff_side(sender)) {
		for (unsigned i = 0; i < st->n_r; i++) {
			if (st->r[i].to->role != DIR_STUDENT)
				continue;
			exchange = true;
			allowed = allowed && sharing_allowed(st, sender, st->r[i].to);
		}
	} else if (sender->role == DIR_STUDENT) {
		for (unsigned i = 0; i < st->n_r; i++) {
			if (!dir_is_staff_side(st->r[i].to))
				continue;
			exchange = true;
			allowed = allowed && sharing_allowed(st, st->r[i].to, sender);
		}
	}
	if (!exchange || allowed)
		return;

	if (phone_find_in_text(st->body, 0, &a, &b, digits))
		what[n_what++] = "a phone number";
	if (has_email(st->body))
		what[n_what++] = "an e-mail address";
	if (has_street_address(st->tmp, st->body))
		what[n_what++] = "a street address";
	if (!n_what)
		return;

	list = talloc_strdup(st->tmp, what[0]);
	for (unsigned i = 1; i < n_what; i++)
		list =
		    talloc_asprintf_append(list, "%s%s", i + 1 == n_what ? " and " : ", ", what[i]);
	pol_hold(st, POLICY_RULE_CONTACT_SCREEN, POLICY_RELEASE_ADMIN,
		 talloc_asprintf(st->tmp, "held for review: the text seems to carry %s", list),
		 talloc_asprintf(st->tmp,
				 "Held for review: your message seems to share contact information "
				 "(%s). Personal numbers, e-mail and home addresses are not "
				 "exchanged between staff and students without an administrator's "
				 "approval; an administrator will release or reject it.",
				 list));
}
