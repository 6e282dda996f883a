/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Saving the console's configuration into the operator's own file: the file keeps its
 * comments, its order and its spelling of every line the console did not change.
 *
 * The configuration is Osmocom VTY text: a line starting with '!' or '#' (after its
 * indentation) is a comment, and a line indented deeper than the one before it belongs
 * to that line's section ("modem soccer" / " device ..."). config_keep_merge() lays the
 * running configuration (what the console would write) over the saved file:
 *
 *   - a line written the same in both stays as the operator wrote it, with the comments
 *     above it;
 *   - a line the console changed ("retention messages 7 years" -> "... 3 years") takes
 *     the place, the indentation and the comments of the line it replaces: the lines
 *     share their first words (all but at most two), and section headings must match
 *     exactly;
 *   - a line only the running configuration has goes after the line it follows there
 *     (past any lines of the file that were removed there; at a section's start, after
 *     the comments above its first line up to their last bare "!", a file's header),
 *     unless `omit` says the operator never asked for it (a logging category at its
 *     default level);
 *   - a line only the file has was removed at the console: it is left out and counted,
 *     its comments stay.
 *
 * Pure: no I/O, no clock. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct config_keep_report {
	unsigned changed, added, removed;
	/* The removed lines, trimmed, in file order (talloc'ed on the merge's ctx). */
	const char **removed_lines;
};

/* May a running line the file does not have be left out? `section` is the heading of
 * the section it is in (NULL at the top level), `line` the trimmed line. */
typedef bool (*config_keep_omit_fn)(const char *section, const char *line, void *data);

#define CONFIG_KEEP_MAX_BYTES (4u << 20) /* a config file this size is not a config file */
#define CONFIG_KEEP_MAX_DEPTH 16

/* Merge `running` over `saved` (both NUL-terminated) into *out, talloc'ed on ctx, and
 * fill *rep (may be NULL). Returns 0; -EINVAL when either text is over
 * CONFIG_KEEP_MAX_BYTES, holds a NUL-free but binary line (a control character other
 * than tab or CR) or nests deeper than CONFIG_KEEP_MAX_DEPTH; -ENOMEM. */
int config_keep_merge(void *ctx, const char *saved, const char *running, config_keep_omit_fn omit,
		      void *omit_data, char **out, struct config_keep_report *rep);
