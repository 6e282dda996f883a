/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Folding text for the redactor's comparisons (text_fold.h), with libunistring's
 * character properties and decompositions. */
#include <stdint.h>
#include <string.h>

#include <talloc.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "storage/export/text_fold.h"

/* Scripts written without spaces between words. */
static bool nospace(ucs4_t c)
{
	return (c >= 0x0E00 && c <= 0x0EFF) || /* Thai, Lao */
	       (c >= 0x1000 && c <= 0x109F) || /* Myanmar */
	       (c >= 0x1780 && c <= 0x17FF) || /* Khmer */
	       (c >= 0x3040 && c <= 0x30FF) || /* Hiragana, Katakana */
	       (c >= 0x3400 && c <= 0x4DBF) || /* Han extension A */
	       (c >= 0x4E00 && c <= 0x9FFF) || /* Han */
	       (c >= 0xAC00 && c <= 0xD7A3) || /* Hangul syllables */
	       (c >= 0xF900 && c <= 0xFAFF) || /* Han compatibility */
	       (c >= 0x20000 && c <= 0x3FFFF); /* Han supplements */
}

struct out {
	struct folded *f;
	size_t cap;
	size_t from, to; /* the code point being folded */
};

static int put(struct out *o, void *ctx, const uint8_t *b, size_t n)
{
	struct folded *f = o->f;

	if (f->n + n + 1 > o->cap) {
		size_t cap = o->cap * 2 + n + 16;
		char *s = talloc_realloc(ctx, f->s, char, cap);
		size_t *from = talloc_realloc(ctx, f->from, size_t, cap);
		size_t *to = talloc_realloc(ctx, f->to, size_t, cap);
		if (s)
			f->s = s;
		if (from)
			f->from = from;
		if (to)
			f->to = to;
		if (!s || !from || !to)
			return -1;
		o->cap = cap;
	}
	for (size_t i = 0; i < n; i++) {
		f->s[f->n] = (char)b[i];
		f->from[f->n] = o->from;
		f->to[f->n] = o->to;
		f->n++;
	}
	return 0;
}

static int put_char(struct out *o, void *ctx, char c)
{
	uint8_t b = (uint8_t)c;

	return put(o, ctx, &b, 1);
}

/* A letter (or other character kept as itself): decomposed, marks dropped, lower case. */
static int put_letter(struct out *o, void *ctx, ucs4_t c, int depth)
{
	ucs4_t d[UC_DECOMPOSITION_MAX_LENGTH];
	int tag, n;
	uint8_t b[8];

	if (c >= 0xAC00 && c <= 0xD7A3)
		n = -1; /* Hangul stays syllables */
	else
		n = uc_decomposition(c, &tag, d);
	if (n > 0 && depth < 4) {
		for (int i = 0; i < n; i++) {
			if (uc_is_general_category(d[i], UC_CATEGORY_Mn))
				continue;
			if (uc_decimal_value(d[i]) >= 0) {
				if (put_char(o, ctx, (char)('0' + uc_decimal_value(d[i]))) < 0)
					return -1;
				continue;
			}
			if (uc_is_property_white_space(d[i])) {
				if (put_char(o, ctx, ' ') < 0)
					return -1;
				continue;
			}
			if (put_letter(o, ctx, d[i], depth + 1) < 0)
				return -1;
		}
		return 0;
	}
	c = uc_tolower(c);
	if (c < 0x80)
		return put_char(o, ctx, (char)c);
	int len = u8_uctomb(b, c, sizeof(b));
	return len > 0 ? put(o, ctx, b, (size_t)len) : put_char(o, ctx, '?');
}

static int fold_one(struct out *o, void *ctx, ucs4_t c)
{
	if (c < 0x80) {
		char ch = (char)c;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		return put_char(o, ctx, ch);
	}
	if (uc_is_property_default_ignorable_code_point(c) ||
	    uc_is_general_category(c, UC_CATEGORY_Mn) || uc_is_general_category(c, UC_CATEGORY_Me))
		return 0;
	if (uc_decimal_value(c) >= 0)
		return put_char(o, ctx, (char)('0' + uc_decimal_value(c)));
	if (c == 0x2028 || c == 0x2029 || c == 0x85)
		return put_char(o, ctx, '\n');
	if (uc_is_property_white_space(c) || uc_is_general_category(c, UC_CATEGORY_Z))
		return put_char(o, ctx, ' ');
	if (uc_is_property_dash(c) || c == 0x2212)
		return put_char(o, ctx, '-');
	if (c == 0x2018 || c == 0x2019 || c == 0x201A || c == 0x201B || c == 0x2032 ||
	    c == 0x02BC || c == 0xFF07)
		return put_char(o, ctx, '\'');
	if (uc_is_general_category(c, UC_CATEGORY_P) || uc_is_general_category(c, UC_CATEGORY_S) ||
	    uc_is_general_category(c, UC_CATEGORY_C)) {
		/* Full-width ASCII punctuation reads as itself. */
		if (c >= 0xFF01 && c <= 0xFF5E) {
			char a = (char)(c - 0xFF01 + 0x21);
			if (!fold_is_word((unsigned char)a))
				return put_char(o, ctx, a);
		}
		return put_char(o, ctx,
				uc_is_general_category(c, UC_CATEGORY_Pi) ||
					uc_is_general_category(c, UC_CATEGORY_Pf)
				    ? '"'
				    : '#');
	}
	return put_letter(o, ctx, c, 0);
}

int text_fold(void *ctx, const char *text, struct folded *f)
{
	const uint8_t *t = (const uint8_t *)text;
	size_t len = strlen(text), i = 0;
	struct out o = {.f = f};

	memset(f, 0, sizeof(*f));
	o.cap = len + 16;
	f->s = talloc_array(ctx, char, o.cap);
	f->from = talloc_array(ctx, size_t, o.cap);
	f->to = talloc_array(ctx, size_t, o.cap);
	if (!f->s || !f->from || !f->to)
		return -1;
	while (i < len) {
		ucs4_t c;
		int k = u8_mbtoucr(&c, t + i, len - i);
		o.from = i;
		o.to = i + (k > 0 ? (size_t)k : 1);
		if (k <= 0) {
			if (put_char(&o, ctx, '?') < 0)
				return -1;
		} else if (fold_one(&o, ctx, c) < 0) {
			return -1;
		}
		i = o.to;
	}
	f->s[f->n] = '\0';
	f->from[f->n] = f->to[f->n] = len;
	return 0;
}

char *text_fold_str(void *ctx, const char *text)
{
	struct folded f;
	void *tmp = talloc_new(ctx);
	char *s = NULL;

	if (tmp && text_fold(tmp, text, &f) == 0)
		s = talloc_steal(ctx, f.s);
	talloc_free(tmp);
	return s;
}

char *text_fold_squeezed(void *ctx, const char *text)
{
	char *f = text_fold_str(ctx, text);
	size_t o = 0;

	if (!f)
		return NULL;
	for (size_t i = 0; f[i]; i++) {
		if (f[i] == ' ' || f[i] == '\t' || f[i] == '\n' || f[i] == '\r' || f[i] == '\f' ||
		    f[i] == '\v') {
			if (o && f[o - 1] != ' ')
				f[o++] = ' ';
			continue;
		}
		f[o++] = f[i];
	}
	while (o && f[o - 1] == ' ')
		o--;
	f[o] = '\0';
	return f;
}

/* The code point starting at s[i] of folded (valid UTF-8) text, and its length. */
static ucs4_t cp_at(const char *s, size_t i, size_t *len)
{
	ucs4_t c;
	int k = u8_mbtoucr(&c, (const uint8_t *)s + i, strnlen(s + i, 4));

	*len = k > 0 ? (size_t)k : 1;
	return k > 0 ? c : 0xFFFD;
}

static bool nospace_at(const char *s, size_t i)
{
	size_t len;

	return (unsigned char)s[i] >= 0x80 && nospace(cp_at(s, i, &len));
}

/* Whether the character ending just before s[i] is one of a script without spaces. */
static bool nospace_before(const char *s, size_t i)
{
	size_t j = i;

	if (!i || (unsigned char)s[i - 1] < 0x80)
		return false;
	while (j > 0 && i - j < 4 && ((unsigned char)s[j - 1] & 0xC0) == 0x80)
		j--;
	return j > 0 && nospace_at(s, j - 1);
}

size_t fold_word_len(const char *s, size_t i)
{
	size_t j = i, len;

	if (!fold_is_word((unsigned char)s[i]))
		return 0;
	if (nospace_at(s, i)) {
		cp_at(s, i, &len);
		return len;
	}
	while (fold_is_word((unsigned char)s[j])) {
		if ((unsigned char)s[j] >= 0x80) {
			if (nospace_at(s, j))
				break;
			cp_at(s, j, &len);
			j += len;
		} else {
			j++;
		}
	}
	return j - i;
}

bool fold_word_start(const char *s, size_t i)
{
	if (!fold_is_word((unsigned char)s[i]))
		return false;
	if (i == 0 || !fold_is_word((unsigned char)s[i - 1]))
		return true;
	if ((unsigned char)s[i] >= 0x80 && ((unsigned char)s[i] & 0xC0) == 0x80)
		return false; /* inside a character */
	return nospace_at(s, i) || nospace_before(s, i);
}

bool fold_word_end(const char *s, size_t i)
{
	if (i == 0 || !fold_is_word((unsigned char)s[i]) || !fold_is_word((unsigned char)s[i - 1]))
		return true;
	return nospace_at(s, i) || nospace_before(s, i);
}
