/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* libFuzzer target over config_keep_merge(): whatever the two texts, no crash, no read
 * past them, -EINVAL or 0, and on 0 the result holds exactly the running configuration's
 * settings (as trimmed lines, in any order) and every comment line of the saved file, in
 * its order — what makes a file saved from the console read back as the same
 * configuration without losing the operator's notes.
 * Input: the saved file, a NUL, the running configuration (no NUL: both the same). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "gateway/daemon/config_keep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct lines {
	char **settings, **comments;
	size_t n_settings, n_comments;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Trimmed setting lines, sorted; comment lines as written (without a trailing CR or
 * blanks, which the merge keeps but a caller does not see). */
static void split(void *ctx, const char *text, struct lines *l)
{
	char *copy = talloc_strdup(ctx, text);
	size_t cap = 1;

	for (const char *p = text; *p; p++)
		cap += *p == '\n';
	l->settings = talloc_array(ctx, char *, cap);
	l->comments = talloc_array(ctx, char *, cap);
	l->n_settings = l->n_comments = 0;
	for (char *line = copy, *next; line; line = next) {
		char *end, *t;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else if (!*line)
			break;
		end = line + strlen(line);
		while (end > line && strchr(" \t\r", end[-1]))
			*--end = '\0';
		t = line + strspn(line, " \t\r");
		if (!*t || *t == '!' || *t == '#')
			l->comments[l->n_comments++] = t;
		else
			l->settings[l->n_settings++] = t;
	}
	qsort(l->settings, l->n_settings, sizeof(char *), cmp_str);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	void *ctx = talloc_new(NULL);
	char *text = talloc_size(ctx, size + 1), *saved, *running, *out = NULL;
	const char *nul;
	struct lines ls, lr, lo;
	size_t c = 0;
	int rc;

	memcpy(text, data, size);
	text[size] = '\0';
	saved = text;
	nul = memchr(data, '\0', size);
	running = nul ? text + (nul - (const char *)data) + 1 : text;
	rc = config_keep_merge(ctx, saved, running, NULL, NULL, &out, NULL);
	if (rc == -EINVAL) {
		if (out)
			abort(); /* a refused text leaves nothing behind */
		talloc_free(ctx);
		return 0;
	}
	if (rc != 0 || !out)
		abort();
	split(ctx, saved, &ls);
	split(ctx, running, &lr);
	split(ctx, out, &lo);
	if (lo.n_settings != lr.n_settings)
		abort();
	for (size_t i = 0; i < lo.n_settings; i++)
		if (strcmp(lo.settings[i], lr.settings[i]))
			abort();
	for (size_t i = 0; i < lo.n_comments && c < ls.n_comments; i++)
		if (!strcmp(lo.comments[i], ls.comments[c]))
			c++;
	if (c != ls.n_comments)
		abort();
	talloc_free(ctx);
	return 0;
}
