/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The redaction oracle (redact_oracle.h): a plain scan of the folded output, sharing
 * nothing with the redactor's pattern tables. */
#include <stdbool.h>
#include <string.h>

#include <talloc.h>

#include "storage/export/text_fold.h"
#include "tests/fuzz/redact_oracle.h"

/* needle as a whole word (or words) of hay. */
static bool has_words(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	if (n < 2)
		return false;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) {
		size_t at = (size_t)(p - hay);
		bool left = fold_word_start(hay, at) || !fold_is_word((unsigned char)needle[0]);
		bool right =
		    fold_word_end(hay, at + n) || !fold_is_word((unsigned char)needle[n - 1]);
		if (left && right)
			return true;
	}
	return false;
}

/* The digits of every run of digits joined by up to three separators, runs apart by
 * '|'. */
static char *digit_runs(void *ctx, const char *f)
{
	size_t len = strlen(f), o = 0;
	char *out = talloc_array(ctx, char, 2 * len + 2);
	size_t gap = 0;
	bool in = false;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)f[i];
		if (c >= '0' && c <= '9') {
			if (!in || gap > 3)
				out[o++] = '|';
			out[o++] = (char)c;
			in = true;
			gap = 0;
		} else if (c < 0x80 && (!fold_is_word(c) || c == '_')) {
			gap++;
		} else {
			in = false;
		}
	}
	out[o] = '\0';
	return out;
}

const char *redact_oracle(void *ctx, const struct store_person *persons, size_t n, unsigned roles,
			  const char *redacted)
{
	void *tmp = talloc_new(ctx);
	char *text = text_fold_squeezed(tmp, redacted), *runs = text ? digit_runs(tmp, text) : NULL;
	const char *bad = NULL;

	if (!runs) {
		bad = "out of memory";
		goto done;
	}
	for (size_t i = 0; i < n && !bad; i++) {
		const struct store_person *p = &persons[i];
		if (!(roles & (1u << p->role)))
			continue;
		const char *given = p->given ? p->given : "", *family = p->family ? p->family : "";
		const char *names[] = {
		    *given && *family ? talloc_asprintf(tmp, "%s %s", given, family) : NULL,
		    *given && *family ? talloc_asprintf(tmp, "%s, %s", family, given) : NULL,
		    p->handle,
		};
		for (size_t k = 0; k < sizeof(names) / sizeof(*names) && !bad; k++) {
			char *f = names[k] ? text_fold_squeezed(tmp, names[k]) : NULL;
			if (f && has_words(text, f))
				bad = talloc_asprintf(ctx, "name '%s'", names[k]);
		}
		if (bad || !p->phone || p->phone[0] != '+')
			continue;
		const char *d = p->phone + 1;
		size_t nd = strlen(d);
		const char *forms[] = {
		    d,
		    d[0] == '1' && nd == 11 ? d + 1 : NULL,
		    nd > 7 ? d + nd - 7 : NULL,
		};
		for (size_t k = 0; k < sizeof(forms) / sizeof(*forms) && !bad; k++)
			if (forms[k] && strstr(runs, forms[k]))
				bad = talloc_asprintf(ctx, "number %s of %s", forms[k], p->phone);
	}
done:
	talloc_free(tmp);
	return bad;
}
