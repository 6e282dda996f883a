/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The SMS command grammar: splits a message into keyword, addresses, flags and body.
 *
 * Phones capitalise the first word, autocorrect, and add spaces and punctuation, so:
 * words are compared without regard to ASCII case; space means ASCII white space or a
 * no-break space (U+00A0); a keyword may carry trailing punctuation ("Stop.", "Help?");
 * an address or flag may too ("@jamier, can you..."; "#soccer: ..."). Addresses and
 * flags are only recognised at the start: once text has started, '#', '@' and '!' are
 * text ("see you @ 5", "we're #1!").
 *
 * Nothing is ever written past a fixed-size field: over-long words are reported,
 * truncated on a UTF-8 character boundary, in bad_addr or bad_flag. */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "gateway/relay/grammar.h"

/* Width of the space character at text[i], or 0 if there is none. */
static size_t space_at(const char *t, size_t len, size_t i)
{
	unsigned char c = (unsigned char)t[i];

	if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
		return 1;
	if (c == 0xC2 && i + 1 < len && (unsigned char)t[i + 1] == 0xA0)
		return 2;
	return 0;
}

/* Width of the space character that ends just before text[e], or 0. */
static size_t space_before(const char *t, size_t e)
{
	unsigned char c;

	if (!e)
		return 0;
	c = (unsigned char)t[e - 1];
	if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
		return 1;
	if (c == 0xA0 && e >= 2 && (unsigned char)t[e - 2] == 0xC2)
		return 2;
	return 0;
}

static size_t skip_space(const char *t, size_t len, size_t i)
{
	size_t w;

	while (i < len && (w = space_at(t, len, i)))
		i += w;
	return i;
}

static size_t word_end(const char *t, size_t len, size_t i)
{
	while (i < len && !space_at(t, len, i))
		i++;
	return i;
}

static bool trailing_punct(char c)
{
	return c == '.' || c == ',' || c == '!' || c == '?' || c == ';' || c == ':';
}

/* Copy n bytes of src as a C string into dst of size cap, cutting on a UTF-8 character
 * boundary when it does not fit. */
static void copy_trunc(char *dst, size_t cap, const char *src, size_t n)
{
	if (n > cap - 1) {
		n = cap - 1;
		while (n && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static bool word_is(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && !strncasecmp(s, w, n);
}

static const struct {
	const char *word;
	enum grammar_kind kind;
} keywords[] = {
    {"help", GRAMMAR_HELP},   {"info", GRAMMAR_HELP},	 {"who", GRAMMAR_WHO},
    {"stop", GRAMMAR_STOP},   {"stopall", GRAMMAR_STOP}, {"unsubscribe", GRAMMAR_STOP},
    {"cancel", GRAMMAR_STOP}, {"end", GRAMMAR_STOP},	 {"quit", GRAMMAR_STOP},
    {"start", GRAMMAR_START}, {"unstop", GRAMMAR_START}, {"discard", GRAMMAR_DISCARD},
    {"ask", GRAMMAR_ASK},
};

static bool keyword(const char *s, size_t n, enum grammar_kind *kind)
{
	for (size_t i = 0; i < ARRAY_SIZE(keywords); i++) {
		if (word_is(s, n, keywords[i].word)) {
			*kind = keywords[i].kind;
			return true;
		}
	}
	return false;
}

static void set_bad_addr(struct grammar_parse *out, const char *s, size_t n)
{
	if (!out->bad_addr[0])
		copy_trunc(out->bad_addr, sizeof(out->bad_addr), s, n);
}

static bool addr_char(char c, bool handle)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
	       (handle && c == '.');
}

/* Parse "#word", "#word.sub" or "@word" ([s, s+n), trailing punctuation already removed)
 * into out->addrs. A malformed or over-long word, or one too many, goes to bad_addr as
 * typed (with its sigil). */
static void parse_addr(struct grammar_parse *out, const char *s, size_t n)
{
	struct grammar_addr a;
	bool handle = s[0] == '@';
	size_t word = 0, sub = 0;
	bool in_sub = false;

	memset(&a, 0, sizeof(a));
	a.kind = handle ? GRAMMAR_ADDR_HANDLE : GRAMMAR_ADDR_TAG;
	if (n < 2)
		goto bad;
	for (size_t i = 1; i < n; i++) {
		char c = (char)tolower((unsigned char)s[i]);

		if (!handle && c == '.') {
			if (in_sub)
				goto bad;
			in_sub = true;
			continue;
		}
		if (!addr_char(c, handle))
			goto bad;
		if (in_sub) {
			if (sub + 1 >= GRAMMAR_MAX_WORD)
				goto bad;
			a.sub[sub++] = c;
		} else {
			if (word + 1 >= GRAMMAR_MAX_WORD)
				goto bad;
			a.word[word++] = c;
		}
	}
	if (!word || (in_sub && !sub))
		goto bad;
	if (out->n_addrs >= GRAMMAR_MAX_ADDRS)
		goto bad;
	out->addrs[out->n_addrs++] = a;
	return;
bad:
	set_bad_addr(out, s, n);
}

/* "!urgent", "!crisis"; anything else is remembered in bad_flag as typed, without the
 * '!' (like the words of addresses) and without trailing punctuation. */
static void parse_flag(struct grammar_parse *out, const char *s, size_t n)
{
	if (word_is(s + 1, n - 1, "urgent"))
		out->urgent = true;
	else if (word_is(s + 1, n - 1, "crisis"))
		out->crisis = true;
	else if (!out->bad_flag[0])
		copy_trunc(out->bad_flag, sizeof(out->bad_flag), s + 1, n - 1);
}

/* "CALL @jamier [!urgent] [!crisis]": every word after CALL an address or a flag;
 * anything else ("Call me after practice") is a message. */
static bool parse_call(const char *t, size_t e, size_t rest, struct grammar_parse *out)
{
	struct grammar_parse p;
	size_t i = rest;

	memset(&p, 0, sizeof(p));
	while (i < e) {
		size_t w = word_end(t, e, i), n = w - i;

		while (n > 1 && trailing_punct(t[i + n - 1]))
			n--;
		if (t[i] == '@' || t[i] == '#')
			parse_addr(&p, t + i, n);
		else if (t[i] == '!')
			parse_flag(&p, t + i, n);
		else
			return false;
		i = skip_space(t, e, w);
	}
	p.kind = GRAMMAR_CALL;
	p.body_off = rest;
	p.body_len = e - rest;
	*out = p;
	return true;
}

/* The whole message is a keyword (or WHO, CLOSE or ACK and one address)? */
static bool parse_keyword(const char *t, size_t len, size_t b, size_t e, struct grammar_parse *out)
{
	size_t w1 = word_end(t, len, b), n1 = w1 - b, rest, w2, n2;
	enum grammar_kind kind;

	while (n1 && trailing_punct(t[b + n1 - 1]))
		n1--;
	rest = skip_space(t, e, w1);
	if (rest >= e) {
		if (!keyword(t + b, n1, &kind))
			return false;
		out->kind = kind;
		out->body_off = e;
		out->body_len = 0;
		return true;
	}
	/* "Stop !": punctuation set apart by a space is still just punctuation. */
	{
		size_t p = rest;
		while (p < e && (trailing_punct(t[p]) || space_at(t, e, p)))
			p += space_at(t, e, p) ? space_at(t, e, p) : 1;
		if (p >= e && keyword(t + b, n1, &kind)) {
			out->kind = kind;
			out->body_off = e;
			out->body_len = 0;
			return true;
		}
	}
	if (word_is(t + b, n1, "call") && (t[rest] == '@' || t[rest] == '!' || t[rest] == '#'))
		return parse_call(t, e, rest, out);
	if (word_is(t + b, n1, "who") && (t[rest] == '#' || t[rest] == '@'))
		kind = GRAMMAR_WHO;
	else if (word_is(t + b, n1, "close") && t[rest] == '@')
		kind = GRAMMAR_CLOSE;
	else if (word_is(t + b, n1, "ack") && t[rest] == '@')
		kind = GRAMMAR_ACK;
	else
		return false;
	w2 = word_end(t, e, rest);
	if (skip_space(t, e, w2) < e)
		return false;
	n2 = w2 - rest;
	while (n2 > 1 && trailing_punct(t[rest + n2 - 1]))
		n2--;
	out->kind = kind;
	parse_addr(out, t + rest, n2);
	out->body_off = rest;
	out->body_len = e - rest;
	return true;
}

void grammar_parse(const char *text, size_t len, struct grammar_parse *out)
{
	size_t b = 0, e, i, w;

	memset(out, 0, sizeof(*out));
	out->kind = GRAMMAR_MESSAGE;
	if (!text)
		len = 0;
	e = len;
	b = skip_space(text, e, 0);
	while (e > b && (w = space_before(text, e)))
		e -= w;
	out->body_off = b;
	if (b >= e) {
		out->body_off = len;
		return;
	}
	if (parse_keyword(text, len, b, e, out))
		return;

	for (i = b; i < e; i = skip_space(text, e, w)) {
		size_t n;
		char c = text[i];

		w = word_end(text, e, i);
		n = w - i;
		while (n > 1 && trailing_punct(text[i + n - 1]))
			n--;
		if (c == '!' && n > 1 && isalpha((unsigned char)text[i + 1]))
			parse_flag(out, text + i, n);
		else if (c == '#' || c == '@')
			parse_addr(out, text + i, n);
		else
			break;
	}
	out->body_off = i;
	out->body_len = e > i ? e - i : 0;
}

/* ALLOW n [Nd|Nw] [KIND]: the duration, 7 days when not said; what follows it (a kind)
 * stays in the note. False when a duration is malformed or out of 1-365 days. */
static bool allow_duration(const char *text, size_t e, struct grammar_decision *out)
{
	size_t b = out->note_off, w = word_end(text, e, b);
	unsigned long v = 0;
	size_t i = b;

	out->days = 7;
	if (b >= e || !isdigit((unsigned char)text[b]))
		return true;
	for (; i < w && isdigit((unsigned char)text[i]) && v < 10000; i++)
		v = v * 10 + (unsigned long)(text[i] - '0');
	if (i + 1 != w || (text[i] != 'd' && text[i] != 'D' && text[i] != 'w' && text[i] != 'W'))
		goto bad;
	if (text[i] == 'w' || text[i] == 'W')
		v *= 7;
	if (v < 1 || v > 365)
		goto bad;
	out->days = (unsigned)v;
	b = skip_space(text, e, w);
	out->note_off = b;
	out->note_len = e > b ? e - b : 0;
	return true;
bad:
	out->kind = GRAMMAR_D_NONE;
	return false;
}

bool grammar_parse_decision(const char *text, size_t len, struct grammar_decision *out)
{
	size_t b, e, w, n;
	long long id = 0;

	memset(out, 0, sizeof(*out));
	if (!text)
		return false;
	e = len;
	b = skip_space(text, e, 0);
	while (e > b && (w = space_before(text, e)))
		e -= w;
	w = word_end(text, e, b);
	n = w - b;
	while (n && trailing_punct(text[b + n - 1]))
		n--;
	if (word_is(text + b, n, "held")) {
		if (skip_space(text, e, w) < e)
			return false;
		out->kind = GRAMMAR_D_HELD;
		return true;
	}
	if (word_is(text + b, n, "ok") || word_is(text + b, n, "okay"))
		out->kind = GRAMMAR_D_OK;
	else if (word_is(text + b, n, "no"))
		out->kind = GRAMMAR_D_NO;
	else if (word_is(text + b, n, "allow"))
		out->kind = GRAMMAR_D_ALLOW;
	else if (word_is(text + b, n, "deny"))
		out->kind = GRAMMAR_D_DENY;
	else
		return false;
	b = skip_space(text, e, w);
	if (b < e && text[b] == '#')
		b++;
	if (b >= e || !isdigit((unsigned char)text[b])) {
		out->kind = GRAMMAR_D_NONE;
		return false;
	}
	for (; b < e && isdigit((unsigned char)text[b]); b++) {
		if (id > 99999999999LL) {
			out->kind = GRAMMAR_D_NONE;
			return false;
		}
		id = id * 10 + (text[b] - '0');
	}
	/* "OK 11." and "OK 11, thanks": the number ends at punctuation or a space. */
	if (b < e && !space_at(text, e, b) && !trailing_punct(text[b])) {
		out->kind = GRAMMAR_D_NONE;
		return false;
	}
	while (b < e && (trailing_punct(text[b]) || space_at(text, e, b)))
		b += space_at(text, e, b) ? space_at(text, e, b) : 1;
	out->id = id;
	out->note_off = b;
	out->note_len = e > b ? e - b : 0;
	if (out->kind == GRAMMAR_D_ALLOW)
		return allow_duration(text, e, out);
	return true;
}

const char *grammar_help_staff(void)
{
	return "Chaperone (staff): #team msg = whole team. #team.group msg = a group. "
	       "@name msg = a student, guardians copied. Start with !urgent at night if it "
	       "cannot wait, !crisis @name to answer a student in crisis (administrator "
	       "alerted). WHO #team = who you can reach. All messages are recorded.";
}

const char *grammar_help_family(void)
{
	return "Chaperone: text this number to reach your team's coaches or advisors; a "
	       "guardian is copied on students' messages. WHO = your teams. STOP = no more "
	       "messages, START = back in. Messages are recorded by the school district.";
}
