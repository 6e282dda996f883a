/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The `chaperone` command-line tool: one entry per top-level command.
 *
 * A command gets argv starting at its own name ("pdu", ...) and returns the process
 * exit status (enum cli_exit): a script can tell bad input from a command line it got
 * wrong, from an archive that does not verify, from a database it could not use. */
#pragma once

enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_INPUT = 1,    /* input it cannot use: a bad PDU, an unknown handle, a bad date */
	CLI_EXIT_USAGE = 2,    /* a command line it does not understand */
	CLI_EXIT_TAMPERED = 3, /* records verify / verify-export: the archive or bundle changed */
	CLI_EXIT_DB = 4,       /* the database could not be opened, read or written */
};

struct cli_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

/* chaperone pdu decode|encode ... (cli_pdu.c) */
int cli_pdu_main(int argc, char **argv);
/* chaperone modem probe|send|listen|profiles ... (cli_modem*.c) */
int cli_modem_main(int argc, char **argv);
/* chaperone held list|release|reject (cli_held.c) */
int cli_held_main(int argc, char **argv);
/* chaperone roster import|log (cli_roster.c) */
int cli_roster_main(int argc, char **argv);
/* chaperone person list|show|add|set|deactivate|activate (cli_person.c) */
int cli_person_main(int argc, char **argv);
/* chaperone team list|show|add|set|member|subgroup|overseer ... (cli_team.c) */
int cli_team_main(int argc, char **argv);
/* chaperone exception list|add|revoke (cli_exception.c) */
int cli_exception_main(int argc, char **argv);
/* chaperone records search|export|verify-export|hold|retention|dispose|verify|anchor|audit
 * (cli_records*.c) */
int cli_records_main(int argc, char **argv);
/* cli_zone.c */
int cli_zone_main(int argc, char **argv);
