/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* `chaperone zone [ZONE]`: the district's time zone, kept in the archive
 * (storage/archive/district_zone.h): every date the daemon and the CLI print or take is
 * in it. The daemon's `timezone` setting writes it too. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <talloc.h>

#include "gateway/cli/cli.h"
#include "gateway/cli/cli_db.h"
#include "storage/archive/district_zone.h"

#define CMD "zone"

static void usage(FILE *f)
{
	fputs("Usage: chaperone zone [ZONE] [--db PATH] [--as NAME]\n\n"
	      "Shows the district's time zone, or sets it (a zone of the zone database, such\n"
	      "as America/New_York): every date `chaperone` and `chaperoned` print or take is\n"
	      "in it, whatever the machine's own zone. chaperoned's `timezone` setting sets it\n"
	      "too.\n",
	      f);
}

int cli_zone_main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"as", required_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *as = NULL, *zone = NULL;
	void *ctx;
	struct store *s;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		case 'd':
			db = optarg;
			break;
		case 'a':
			as = optarg;
			break;
		case ':':
			cli_err(CMD, "%s needs a value", argv[optind - 1]);
			return CLI_EXIT_USAGE;
		default:
			cli_err(CMD, "unknown option '%s'", argv[optind - 1]);
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind + 1 < argc) {
		cli_err(CMD, "unexpected argument '%s'", argv[optind + 1]);
		return CLI_EXIT_USAGE;
	}
	zone = optind < argc ? argv[optind] : NULL;
	if (zone && !zone_known(zone)) {
		cli_err(CMD,
			"unknown time zone '%s': not in the zone database (e.g. America/New_York, "
			"Europe/Berlin, UTC)",
			zone);
		return CLI_EXIT_USAGE;
	}
	ctx = talloc_named_const(NULL, 0, "chaperone zone");
	s = cli_open_archive(ctx, db);
	if (!s) {
		talloc_free(ctx);
		return CLI_EXIT_DB;
	}
	if (zone) {
		rc = district_zone_set(s, zone, cli_actor(ctx, as));
		if (rc < 0) {
			cli_err(CMD, "cannot record the zone: %s", store_errmsg(s));
			rc = CLI_EXIT_DB;
		} else {
			printf("The district's time zone is now %s.\n", zone);
			rc = CLI_EXIT_OK;
		}
	} else {
		const char *z;
		rc = district_zone_get(s, ctx, &z);
		if (rc < 0) {
			cli_err(CMD, "cannot read the zone: %s", store_errmsg(s));
			rc = CLI_EXIT_DB;
		} else {
			if (rc == 1)
				printf("%s\n", z);
			else
				printf("none set: dates are in this machine's zone (set one with "
				       "`chaperone zone ZONE`)\n");
			rc = CLI_EXIT_OK;
		}
	}
	store_close(s);
	talloc_free(ctx);
	return rc;
}
