/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Looking a word up in the built-in word list (common_words.h). */
#include <stdlib.h>
#include <string.h>

#include "storage/export/common_words.h"

static int cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

bool common_word(const char *w)
{
	return w && bsearch(&w, common_words_table, common_words_count, sizeof(*common_words_table),
			    cmp) != NULL;
}
