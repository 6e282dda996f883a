/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Progress of a long operation on the archive (an export, a verification, a disposal, a
 * roster import), for a terminal: what it is doing and how far. The operation calls fn
 * as often as it likes; fn decides how often to show it (gateway/cli: at most ten
 * times a second, and only on a terminal). */
#pragma once

#include <stddef.h>

struct store_progress {
	/* done of total; total 0 when unknown */
	void (*fn)(void *arg, const char *what, size_t done, size_t total);
	void *arg;
};

static inline void store_progress_say(const struct store_progress *p, const char *what, size_t done,
				      size_t total)
{
	if (p && p->fn)
		p->fn(p->arg, what, done, total);
}
