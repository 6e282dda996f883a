/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* chaperone records: dispatch to the records officer's subcommands. */
#include <stdio.h>
#include <string.h>

#include "gateway/cli/cli.h"
#include "gateway/cli/cli_opts.h"
#include "gateway/cli/cli_records.h"

static const struct cli_command subcommands[] = {
    {"search", "find messages by person, team, dates, verdict, rule or text", cli_records_search},
    {"export", "write a public-records bundle (HTML, CSV, JSON Lines, manifest)",
     cli_records_export},
    {"verify-export", "check a bundle against its manifest", cli_records_verify_export},
    {"key-new", "create the redaction key that keys pseudonyms", cli_records_key_new},
    {"hold", "add, list and release legal holds", cli_records_hold},
    {"retention", "show the retention schedule in force", cli_records_retention},
    {"dispose", "dispose of records past retention and not held", cli_records_dispose},
    {"verify", "check the whole archive's hash chain", cli_records_verify},
    {"anchor", "print the archive's head, to keep outside the machine (recorded)",
     cli_records_anchor},
    {"audit", "list who searched, exported, held, disposed", cli_records_audit},
    {"backup", "copy the archive while the relay runs", cli_records_backup},
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: chaperone records SUBCOMMAND [OPTIONS]\n\nSubcommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
		fprintf(f, "  %-14s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(f, "\nEvery subcommand takes --db PATH and --as NAME (the operator recorded in\n"
		   "the access log; default the OS user). docs/records.md is the records\n"
		   "officer's guide.\n");
}

int cli_records_main(int argc, char **argv)
{
	return cli_dispatch("records", argc, argv, subcommands, ARRAY_SIZE(subcommands), usage);
}
