/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* What the `chaperone` commands that work on the database share: opening it, who is
 * acting, looking up persons and teams with a clear message when they are not there.
 *
 * Messages go to stderr as "chaperone: COMMAND: message"; the lookups return 1 when
 * found and 0 (message printed) when not, so that a command can validate everything
 * before it changes anything. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/directory/directory_store.h"
#include "storage/archive/progress.h"

#define CLI_DEFAULT_DB "/var/lib/chaperone/chaperone.db"

/* Open the archive: the --db option if given, else $CHAPERONE_DB, else CLI_DEFAULT_DB.
 * A missing file is an error ("no archive at PATH: ..."), never a new, empty archive,
 * and so is a file that is not an archive (empty, another SQLite database, anything
 * else: "PATH is not a Chaperone archive: ..."), which is left as it is: every command
 * opens it this way, but for a real roster import. NULL, with a message on stderr, when
 * there is none or it cannot be opened (the caller exits CLI_EXIT_DB). */
struct store *cli_open_archive(void *ctx, const char *db_opt);
/* The same, creating the archive when the file does not exist or is empty: for `roster
 * import` (not --dry-run) only, the one command that fills a new archive. */
struct store *cli_create_archive(void *ctx, const char *db_opt);

/* Before any option is parsed: the district's time zone from the archive named by
 * --db (else $CHAPERONE_DB, else the default), when it exists, becomes the process's,
 * so that dates typed in options are the district's. */
void cli_zone_early(int argc, char **argv);

/* Who the change log records: --as if given, else the OS user name. */
const char *cli_actor(void *ctx, const char *as_opt);

void cli_err(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A person by handle ("@jamier" or "jamier"), active or not. */
int cli_find_person(struct store *s, void *ctx, const char *cmd, const char *handle,
		    struct store_person *out);
/* An active person by handle, of the role(s) in the mask (1 << DIR_STUDENT, ...). */
int cli_find_active(struct store *s, void *ctx, const char *cmd, const char *handle, unsigned roles,
		    struct store_person *out);
/* Where the box says which Unix account is which administrator: lines "ACCOUNT HANDLE"
 * ('#' starts a comment). CHAPERONE_OPERATORS names another file (tests). */
#define CLI_OPERATORS "/etc/chaperone/operators"
/* Its path, and whether this box has one. */
const char *cli_operators_path(void);
bool cli_operators_table(void);

/* The administrator who decides (held messages, exceptions). With the operators table,
 * the Unix account running the command must be listed in it, and `by` (a handle, or NULL)
 * must be the handle it maps to; without the table `by` is required. Either way the
 * handle must be an active administrator. 1 and *admin set, or 0 with the reason
 * printed. */
int cli_deciding_admin(struct store *s, void *ctx, const char *cmd, const char *by,
		       struct store_person *admin);

/* A team by tag ("#soccer" or "soccer"). */
int cli_find_team(struct store *s, void *ctx, const char *cmd, const char *tag,
		  struct store_team *out);

/* A phone number as typed, to E.164 (country code: "1" when NULL). -1 and a message when
 * it is not one. */
int cli_phone(const char *cmd, const char *in, const char *cc, char *out, size_t cap);

/* "2026-06-30" (local time) for a time in ms. */
void cli_format_date(char *out, size_t cap, int64_t ms);
/* "2026-06-30 17:05 EDT" (local time, the box's time zone) for a time in ms. */
void cli_format_local(char *out, size_t cap, int64_t ms);
/* "before 2019-12-06": the day an instant falls on, in the district's zone. */
/* Progress of a long operation on stderr, one line rewritten in place, only when
 * stderr is a terminal (cli_progress_start() gives NULL otherwise: nothing is shown). */
struct cli_progress {
	struct store_progress ep;
	const char *cmd, *what;
	int64_t last_ms;
	bool shown;
};
const struct store_progress *cli_progress_start(struct cli_progress *p, const char *cmd);
void cli_progress_fn(void *arg, const char *what, size_t done, size_t total);
/* Clear the line before the result is printed. */
void cli_progress_end(struct cli_progress *p);

void cli_format_local_date(char *out, size_t cap, int64_t ms);
/* s followed by spaces to fill `width` columns as a terminal shows them (accented and
 * wide characters counted by display width, not bytes); s itself when wider. Needs the
 * UTF-8 character type chaperone's main sets. Written to buf (cut to cap); returns buf. */
const char *cli_pad(char *buf, size_t cap, const char *s, int width);
#define CLI_PAD(buf, s, width) cli_pad(buf, sizeof(buf), s, width)

/* "Jamie Rivera", "Coach Dana Lee": a person as the directory shows them. */
const char *cli_display(void *ctx, const struct store_person *p);
