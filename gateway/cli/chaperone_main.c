/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* `chaperone`: the operator's and records officer's command-line tool.
 *
 * Dispatches on the first argument through a table (cli_dispatch): each command group is
 * one line here and a file (or a few) of its own. */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "gateway/cli/cli.h"
#include "gateway/cli/cli_db.h"
#include "gateway/cli/cli_opts.h"

#ifndef CHAPERONE_VERSION
#define CHAPERONE_VERSION "unknown"
#endif

static const struct cli_command commands[] = {
    {"pdu", "decode and encode SMS PDUs as modems show them", cli_pdu_main},
    {"modem", "probe modems, send and receive test messages", cli_modem_main},
    {"roster", "import the district's roster (OneRoster, guardians, teams)", cli_roster_main},
    {"person", "list, show, add and edit persons of the directory", cli_person_main},
    {"team", "list, show and edit teams, members, subgroups, overseers", cli_team_main},
    {"exception", "list, add and revoke approved exceptions to the rules", cli_exception_main},
    {"held", "list, release or reject messages held by the policy", cli_held_main},
    {"records", "search, export, hold, dispose, verify and audit the archive", cli_records_main},
    {"zone", "show or set the district's time zone (every date is in it)", cli_zone_main},
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: chaperone COMMAND [ARGS...]\n"
		   "       chaperone --help | --version\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nRun 'chaperone COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
	const char *cmd;

	/* Names are UTF-8: tables line up by display width (cli_pad). Only the character
	 * type: numbers, dates and messages stay as they are. */
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		setlocale(LC_CTYPE, "");
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	cmd = argv[1];
	/* Every date typed or printed is in the district's zone, not the box's. */
	cli_zone_early(argc, argv);
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("chaperone %s\n", CHAPERONE_VERSION);
		return CLI_EXIT_OK;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (!strcmp(cmd, commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "chaperone: unknown command '%s'\n", cmd);
	usage(stderr);
	return CLI_EXIT_USAGE;
}
