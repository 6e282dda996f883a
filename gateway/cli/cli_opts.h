/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Reading a `chaperone` command line, written once for every command group: subcommands
 * by table (cli_dispatch for groups whose subcommands parse their own options,
 * cli_parse_sub for groups whose subcommands share one option table), options by table
 * into the group's options struct.
 *
 * Promises: --help, -h and help print the group's usage on stdout and exit 0; an unknown
 * subcommand, an option that does not apply to the subcommand, a missing value or the
 * wrong number of operands print "chaperone: GROUP[ SUB]: reason" and the usage on
 * stderr and exit CLI_EXIT_USAGE; nothing is opened or changed before the whole command
 * line has been read. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "gateway/cli/cli.h"

typedef void (*cli_usage_fn)(FILE *f);

/* Run the subcommand argv[1] of group `cmd` from subs[n] (its argv starts at its name). */
int cli_dispatch(const char *cmd, int argc, char **argv, const struct cli_command *subs, size_t n,
		 cli_usage_fn usage);

/* One option of a group: --name, and where its value goes in the group's options struct
 * (offsetof): a const char * (CLI_OPT_VALUE), a bool (CLI_OPT_FLAG), or a talloc array of
 * const char * with its unsigned count at count_at (CLI_OPT_LIST, the option repeated).
 * An option's index in its table is its bit in a subcommand's `allowed` (CLI_OPT_BIT). */
struct cli_opt {
	const char *name;
	enum cli_opt_kind { CLI_OPT_VALUE, CLI_OPT_FLAG, CLI_OPT_LIST } kind;
	size_t at, count_at;
};
#define CLI_OPT_BIT(i) (1u << (i))

/* A subcommand of such a group: the options that apply, and how many operands follow
 * them (`operands` says what they are, for the error: "one HANDLE"). */
struct cli_sub {
	const char *name;
	unsigned allowed;
	int min_operands, max_operands;
	const char *operands;
};

/* The options struct `out` (out_size bytes, zeroed first) and the subcommand of a group's
 * command line: argv[0] is the group, argv[1] the subcommand, then `words` more words
 * that belong to the subcommand (team member add), then options and operands. Returns
 * -1 to go on, with *sub, and *operands / *n_operands pointing into argv; otherwise the
 * exit status (the line was --help, or was refused). LIST values are allocated on ctx. */
int cli_parse_sub(void *ctx, const char *cmd, int argc, char **argv, unsigned words,
		  const struct cli_sub *subs, size_t n_subs, const struct cli_opt *opts,
		  size_t n_opts, void *out, size_t out_size, cli_usage_fn usage,
		  const struct cli_sub **sub, char ***operands, int *n_operands);
