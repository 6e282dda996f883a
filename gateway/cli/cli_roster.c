/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* `chaperone roster import`: the district's roster files into the directory.
 *
 * Rejected rows go to stderr as "FILE:LINE: reason", like a compiler's errors, so that
 * an editor can jump to them; the summary of what changed goes to stdout. Exit status 0
 * when every row was imported, 1 when some were rejected (the rest imported), 2 when
 * nothing could be imported (usage, unreadable directory, bad manifest, or the import
 * stopped at its brakes: it would take too much away), 4 when the database cannot be
 * used. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "gateway/cli/cli.h"
#include "gateway/cli/cli_db.h"
#include "gateway/roster/roster.h"

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: chaperone roster import [--db PATH] [--country-code CC] [--dry-run] "
	    "[--verbose]\n"
	    "                               [--max-deactivate N%%] [--max-cleared N%%] "
	    "[--force]\n"
	    "                               [--as ACTOR] DIR\n\n"
	    "Import the district's roster from DIR: OneRoster 1.1 CSV (manifest.csv, "
	    "orgs.csv,\n"
	    "users.csv, classes.csv, enrollments.csv) and/or guardians.csv, teams.csv and\n"
	    "titles.csv (docs/roster-formats.md). Each file present is the whole truth for "
	    "what\n"
	    "it brings: persons and teams it no longer lists are deactivated, memberships it\n"
	    "no longer lists are removed. What was added by hand is left alone.\n\n"
	    "  --db PATH            the database (default $CHAPERONE_DB, else %s);\n"
	    "                       an import makes it when it is not there, nothing else does\n"
	    "  --country-code CC    for numbers written without one (default 1)\n"
	    "  --guardian-roles R   the OneRoster roles that count as guardians, comma-\n"
	    "                       separated (default parent,guardian; relative may be added)\n"
	    "  --dry-run            report what would change, change nothing\n"
	    "  --verbose            list each change\n"
	    "  --max-deactivate N%%  stop, writing nothing, when the import would deactivate\n"
	    "                       more than N%% of the active persons (default %d%%)\n"
	    "  --max-cleared N%%     ... or clear or change more than N%% of the phone numbers,\n"
	    "                       or remove more than N%% of the guardianships (default %d%%)\n"
	    "  --force              import all the same (the change log records who forced it)\n"
	    "  --as ACTOR           who the change log records (default: your user name)\n\n"
	    "Exit status: 0 all rows imported, 1 some rows rejected (the rest imported),\n"
	    "2 nothing imported (also when stopped at the brakes), 4 the database cannot be "
	    "used.\n\n"
	    "Usage: chaperone roster log [--db PATH] [--last N]\n\n"
	    "The directory's change log, oldest first: every change made by an import or by\n"
	    "hand, with when, who (--as) and what. --last N shows the last N (default 50; 0\n"
	    "for all).\n",
	    CLI_DEFAULT_DB, ROSTER_BRAKE_DEFAULT, ROSTER_BRAKE_DEFAULT);
}

/* parent, guardian, relative: one or more, comma-separated. */
static bool guardian_roles_valid(const char *list)
{
	const char *p = list;

	while (*p) {
		size_t n = strcspn(p, ",");
		if (!((n == 6 && !strncmp(p, "parent", n)) ||
		      (n == 8 && !strncmp(p, "guardian", n)) ||
		      (n == 8 && !strncmp(p, "relative", n))))
			return false;
		p += n;
		if (*p == ',' && *++p == '\0')
			return false;
	}
	return *list != '\0';
}

/* --country-code: the code without its '+', or NULL with the reason printed. */
static const char *country_code_opt(const char *arg)
{
	const char *cc = arg[0] == '+' ? arg + 1 : arg;

	if (!*cc || strlen(cc) > 3 || strspn(cc, "0123456789") != strlen(cc) || cc[0] == '0') {
		fprintf(stderr,
			"chaperone: roster import: --country-code '%s' is not a country calling "
			"code (1, 44, 353, ...)\n",
			arg);
		return NULL;
	}
	return cc;
}

/* --max-deactivate / --max-cleared: true and *pct set, or false with the reason printed. */
static bool share_opt(const char *name, const char *arg, unsigned *pct)
{
	if (roster_parse_share(arg, pct) == 0)
		return true;
	fprintf(stderr,
		"chaperone: roster import: --%s '%s' is not a share: a percentage from 0%% to "
		"100%% (e.g. 25%%)\n",
		name, arg);
	return false;
}

/* An import stopped at its brakes (on stderr, exit 2: nothing imported), or forced past
 * them (on stdout, with the summary). The exit status. */
static int report_brakes(const struct roster_report *rep, bool dry_run, int rc)
{
	if (rep->forced) {
		printf("Forced past the brakes (--force, recorded in the roster log):\n");
		roster_print_brakes(stdout, rep);
		return rc;
	}
	fprintf(stderr, "chaperone: roster import: stopped at the brakes, nothing %s:\n",
		dry_run ? "would be written" : "written");
	roster_print_brakes(stderr, rep);
	fprintf(stderr, "Check the export (a missing column, a file cut short). If it is right: "
			"--force (recorded),\nor raise the brake (--max-deactivate, "
			"--max-cleared).\n");
	return CLI_EXIT_USAGE; /* nothing imported */
}

static int roster_import_main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"country-code", required_argument, NULL, 'c'},
	    {"guardian-roles", required_argument, NULL, 'g'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"as", required_argument, NULL, 'a'},
	    {"max-deactivate", required_argument, NULL, 'D'},
	    {"max-cleared", required_argument, NULL, 'C'},
	    {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct roster_brakes brakes = {ROSTER_BRAKE_DEFAULT, ROSTER_BRAKE_DEFAULT};
	struct roster_options ro = {.country_code = "1", .brakes = &brakes};
	const char *db = NULL, *as = NULL, *dir;
	struct roster_report *rep;
	bool verbose = false;
	struct store *s;
	char err[4200];
	void *ctx;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "hvn", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'c':
			ro.country_code = country_code_opt(optarg);
			if (!ro.country_code)
				return CLI_EXIT_USAGE;
			break;
		case 'g':
			if (!guardian_roles_valid(optarg)) {
				fprintf(
				    stderr,
				    "chaperone: roster import: --guardian-roles '%s': the roles "
				    "are parent, guardian and relative, comma-separated\n",
				    optarg);
				return CLI_EXIT_USAGE;
			}
			ro.guardian_roles = optarg;
			break;
		case 'n':
			ro.dry_run = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'a':
			as = optarg;
			break;
		case 'D':
		case 'C':
			if (!share_opt(c == 'D' ? "max-deactivate" : "max-cleared", optarg,
				       c == 'D' ? &brakes.max_deactivate : &brakes.max_cleared))
				return CLI_EXIT_USAGE;
			break;
		case 'f':
			ro.force = true;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "chaperone: roster import: %s\n",
			argc - optind < 1 ? "missing DIR" : "only one DIR");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	dir = argv[optind];
	/* A roster that is not there must not leave an empty archive behind (a mistyped
	 * --db with it would): the folder is checked before the archive is opened. */
	if (roster_check_dir(dir, err, sizeof(err)) < 0) {
		fprintf(stderr, "chaperone: roster import: %s\n", err);
		printf("Nothing imported from %s.\n", dir);
		return CLI_EXIT_USAGE; /* nothing imported */
	}
	ctx = talloc_named_const(NULL, 0, "chaperone roster import");
	/* A dry run reads: only a real import may make a new archive. */
	s = ro.dry_run ? cli_open_archive(ctx, db) : cli_create_archive(ctx, db);
	if (!s) {
		talloc_free(ctx);
		return CLI_EXIT_DB;
	}
	ro.actor = cli_actor(ctx, as);
	struct cli_progress prog;
	ro.progress = cli_progress_start(&prog, "roster import");
	rc = (int)roster_import(ctx, s, dir, &ro, &rep);
	cli_progress_end(&prog);
	for (unsigned i = 0; i < rep->n_problems; i++)
		fprintf(stderr, "%s\n", rep->problems[i]);
	roster_print_summary(stdout, rep, dir, verbose, ro.dry_run);
	if (rep->stopped || rep->forced)
		rc = report_brakes(rep, ro.dry_run, rc);
	talloc_free(ctx);
	return rc;
}

static int roster_log_main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"last", required_argument, NULL, 'l'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *db = NULL;
	long last = 50;
	struct store_change *c;
	struct store *s;
	size_t n;
	int64_t version, since;
	char when[40], *end;
	void *ctx;
	int opt;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			db = optarg;
			break;
		case 'l':
			last = strtol(optarg, &end, 10);
			if (!*optarg || *end || last < 0) {
				fprintf(stderr,
					"chaperone: roster log: --last '%s' is not a count\n",
					optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	ctx = talloc_named_const(NULL, 0, "chaperone roster log");
	s = cli_open_archive(ctx, db);
	if (!s) {
		talloc_free(ctx);
		return CLI_EXIT_DB;
	}
	version = store_directory_version(s);
	since = last && version > last ? version - last : 0;
	if (version < 0 || store_directory_changes(s, ctx, since, 0, &c, &n) < 0) {
		fprintf(stderr, "chaperone: roster log: database: %s\n", store_errmsg(s));
		talloc_free(ctx);
		return CLI_EXIT_DB;
	}
	for (size_t i = 0; i < n; i++) {
		store_format_time(when, sizeof(when), c[i].at);
		printf("%-6" PRId64 " %s  %-12s %-22s %s%s%s\n", c[i].id, when, c[i].actor,
		       c[i].action, c[i].entity, c[i].detail ? ": " : "",
		       c[i].detail ? c[i].detail : "");
	}
	talloc_free(ctx);
	return CLI_EXIT_OK;
}

int cli_roster_main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	if (!strcmp(argv[1], "import"))
		return roster_import_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "log"))
		return roster_log_main(argc - 1, argv + 1);
	fprintf(stderr, "chaperone: roster: unknown subcommand '%s'\n", argv[1]);
	usage(stderr);
	return CLI_EXIT_USAGE;
}
