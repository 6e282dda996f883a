/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* `chaperone records export` and `chaperone records verify-export`: the records officer's
 * answer to a public-records request, and checking it later.
 *
 * Promises:
 * - export selects exactly what `records search` would with the same filters
 *   (records_query.h), writes the bundle (storage/export/records_export.h) and records it; a
 *   bad command line exits CLI_EXIT_USAGE, a query or directory the export cannot use
 *   CLI_EXIT_INPUT, and either way nothing is written and nothing recorded;
 * - a call recording the archive holds but whose file is missing, altered or unreadable
 *   is not copied: the bundle says so for its call, the console names the archive's call
 *   and file, and the export exits CLI_EXIT_TAMPERED (the bundle is written and
 *   recorded, for a person to look at before it is released);
 * - verify-export exits 0 when the bundle holds, CLI_EXIT_TAMPERED with one line per
 *   problem when it does not, CLI_EXIT_INPUT when the directory is not a bundle; with
 *   an archive (--db or $CHAPERONE_DB) it also checks that the manifest is the one the
 *   archive recorded, and records the check in the access log. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <talloc.h>

#include "storage/archive/access_log.h"
#include "gateway/cli/cli.h"
#include "gateway/cli/cli_db.h"
#include "gateway/cli/cli_records.h"
#include "gateway/cli/cli_records_query.h"
#include "storage/export/records_export.h"
#include "storage/export/redaction_key.h"
#include "storage/records/records_query.h"

#define CMD	   "records export"
#define CMD_VERIFY "records verify-export"

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: chaperone records export --request ID --requester NAME --purpose TEXT\n"
	    "           --out DIR [--redact students|guardians|students,guardians |\n"
	    "           --no-redact REASON] [--staff-numbers withhold|show]\n"
	    "           [--key-file PATH]\n"
	    "           [--group GROUP] [QUERY] [--db PATH] [--as NAME]\n\n"
	    "Writes a public-records bundle into DIR (new, or empty): transcript.html\n"
	    "(readable, printable, grouped by conversation), records.csv, deliveries.csv,\n"
	    "records.jsonl, calls.csv, call-legs.csv, call-events.csv, calls.jsonl and\n"
	    "the calls' recordings (call-NNNN.flac; withheld when a redacted person speaks\n"
	    "or is named in one), redaction-review.csv (what the redaction replaced, and the\n"
	    "names it left alone, to check before release), README.txt and manifest.json\n"
	    "(the request, the query, the\n"
	    "archive's chain head, and the SHA-256 of every file). The export is recorded in\n"
	    "the archive, with a FERPA disclosure record for each student whose records leave.\n"
	    "  --request ID      the request's id (PRR-2026-041)\n"
	    "  --requester NAME  who asked\n"
	    "  --purpose TEXT    why (as the request states it)\n"
	    "  --redact WHO      replace students' (and/or guardians') names, handles and\n"
	    "                    numbers, in every field and inside the texts, by pseudonyms;\n"
	    "                    the default is students,guardians\n"
	    "  --no-redact REASON  disclose names, handles and numbers as they are; REASON\n"
	    "                    (required) is recorded with the export\n"
	    "  --staff-numbers withhold|show  staff members' personal phone numbers: left\n"
	    "                    out (the default) or disclosed\n"
	    "  --key-file PATH   the redaction key that keys the pseudonyms (default\n"
	    "                    $CHAPERONE_REDACTION_KEY or " REDACTION_KEY_PATH ")\n"
	    "  --group GROUP     let GROUP read the bundle (0750/0640); default owner only\n"
	    "QUERY is the filters of `chaperone records search`: --person P, --direction\n"
	    "sent|received, --team T, --relay NUMBER, --since DATE, --until DATE, --verdict V,\n"
	    "--rule ID, --flagged, --held, --text QUERY, --thread.\n\n"
	    "Usage: chaperone records key-new [--key-file PATH]\n\n"
	    "Creates the redaction key (32 random bytes, mode 0600, never replacing one that\n"
	    "exists). Keep it apart from the archive's backups: whoever has both can\n"
	    "recompute the pseudonyms of every bundle made with it.\n\n"
	    "Usage: chaperone records verify-export DIR [--db PATH] [--as NAME]\n\n"
	    "Checks every file of the bundle against its manifest (changed, missing, added),\n"
	    "and with an archive (--db or $CHAPERONE_DB) that the manifest is the one the\n"
	    "archive recorded. Exit status 0: it holds; %d: it does not.\n",
	    CLI_EXIT_TAMPERED);
}

static int bad_usage(const char *cmd, const char *fmt, const char *arg)
{
	fprintf(stderr, "chaperone: %s: ", cmd);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	usage(stderr);
	return CLI_EXIT_USAGE;
}

enum {
	O_REQUEST = 256,
	O_REQUESTER,
	O_PURPOSE,
	O_OUT,
	O_REDACT,
	O_NO_REDACT,
	O_STAFF_NUMBERS,
	O_KEY_FILE,
	O_GROUP,
	O_DB,
	O_AS,
};

static const struct option options[] = {
    {"request", required_argument, NULL, O_REQUEST},
    {"requester", required_argument, NULL, O_REQUESTER},
    {"purpose", required_argument, NULL, O_PURPOSE},
    {"out", required_argument, NULL, O_OUT},
    {"redact", required_argument, NULL, O_REDACT},
    {"no-redact", required_argument, NULL, O_NO_REDACT},
    {"staff-numbers", required_argument, NULL, O_STAFF_NUMBERS},
    {"key-file", required_argument, NULL, O_KEY_FILE},
    {"group", required_argument, NULL, O_GROUP},
    CLI_RQ_OPTIONS,
    {"db", required_argument, NULL, O_DB},
    {"as", required_argument, NULL, O_AS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct args {
	struct export_request r;
	struct rq_query q;
	struct cli_rq_dates dates;
	const char *db, *as, *key_file;
};

/* "students", "guardians", "students,guardians" (either order). -1 if not. */
static int parse_redact(const char *s, unsigned *out)
{
	char *copy = strdup(s), *save = NULL;
	int rc = 0;

	*out = 0;
	if (!copy)
		return -1;
	for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (!strcmp(w, "students"))
			*out |= EXPORT_REDACT_STUDENTS;
		else if (!strcmp(w, "guardians"))
			*out |= EXPORT_REDACT_GUARDIANS;
		else
			rc = -1;
	}
	free(copy);
	return rc < 0 || !*out ? -1 : 0;
}

static bool blank(const char *s)
{
	return !s || !s[strspn(s, " \t\r\n")];
}

/* -1: go on; else the exit status. */
static int parse(int argc, char **argv, struct args *a)
{
	int c;
	const char *why = NULL, *what = NULL;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		int taken = cli_rq_take(&a->q, &a->dates, c, optarg, &why);

		if (taken < 0)
			return bad_usage(CMD, why, optarg);
		if (taken)
			continue;
		switch (c) {
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		case O_REQUEST:
			a->r.request = optarg;
			break;
		case O_REQUESTER:
			a->r.requester = optarg;
			break;
		case O_PURPOSE:
			a->r.purpose = optarg;
			break;
		case O_OUT:
			a->r.out_dir = optarg;
			break;
		case O_REDACT:
			if (parse_redact(optarg, &a->r.redact) < 0)
				return bad_usage(CMD,
						 "--redact is students, guardians or "
						 "students,guardians, not '%s'",
						 optarg);
			break;
		case O_NO_REDACT:
			if (blank(optarg))
				return bad_usage(
				    CMD, "%s", "--no-redact needs the reason names are disclosed");
			a->r.no_redact_reason = optarg;
			break;
		case O_STAFF_NUMBERS:
			if (strcmp(optarg, "show") && strcmp(optarg, "withhold"))
				return bad_usage(
				    CMD, "--staff-numbers is withhold or show, not '%s'", optarg);
			a->r.staff_numbers_shown = !strcmp(optarg, "show");
			break;
		case O_KEY_FILE:
			a->key_file = optarg;
			break;
		case O_GROUP:
			a->r.group = optarg;
			break;
		case O_DB:
			a->db = optarg;
			break;
		case O_AS:
			a->as = optarg;
			break;
		case ':':
			return bad_usage(CMD, "%s needs a value", argv[optind - 1]);
		default:
			return bad_usage(CMD, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad_usage(CMD, "unexpected argument '%s'", argv[optind]);
	if (blank(a->r.request))
		return bad_usage(CMD, "%s", "--request ID is required (the request's id)");
	if (blank(a->r.requester))
		return bad_usage(CMD, "%s", "--requester NAME is required (who asked)");
	if (blank(a->r.purpose))
		return bad_usage(CMD, "%s", "--purpose TEXT is required");
	if (blank(a->r.out_dir))
		return bad_usage(CMD, "%s", "--out DIR is required (a new or empty directory)");
	/* Names leave the district only when someone says why. */
	if (a->r.no_redact_reason && a->r.redact)
		return bad_usage(CMD, "%s", "--redact and --no-redact are exclusive");
	if (!a->r.no_redact_reason && !a->r.redact)
		a->r.redact = EXPORT_REDACT_STUDENTS | EXPORT_REDACT_GUARDIANS;
	if (cli_rq_finish(&a->q, &a->dates, &why, &what) < 0)
		return bad_usage(CMD, why, what);
	if (a->q.since && a->q.until && a->q.until <= a->q.since)
		return bad_usage(CMD, "%s", "--until must be after --since");
	return -1;
}

int cli_records_export(int argc, char **argv)
{
	struct args a = {0};
	struct export_summary sum;
	void *ctx;
	struct store *s;
	char err[1024];
	int rc = parse(argc, argv, &a);

	if (rc >= 0)
		return rc;
	ctx = talloc_named_const(NULL, 0, "chaperone records export");
	s = cli_open_archive(ctx, a.db);
	if (!s) {
		talloc_free(ctx);
		return CLI_EXIT_DB;
	}
	// clang-format off
	a.r.operator = cli_actor(ctx, a.as);
	// clang-format on
	a.r.os_user = access_os_user();
	a.r.query = &a.q;
	uint8_t key[REDACTION_KEY_LEN];
	if (a.r.redact) {
		if (redaction_key_load(cli_redaction_key_path(a.key_file), key, err, sizeof(err)) <
		    0) {
			cli_err(CMD, "%s", err);
			store_close(s);
			talloc_free(ctx);
			return CLI_EXIT_INPUT;
		}
		a.r.redaction_key = key;
	}
	struct cli_progress prog;
	a.r.progress = cli_progress_start(&prog, CMD);
	rc = export_write(s, ctx, &a.r, &sum, err, sizeof(err));
	cli_progress_end(&prog);
	sodium_memzero(key, sizeof(key));
	if (rc < 0) {
		cli_err(CMD, "%s", err);
		rc = CLI_EXIT_INPUT;
	} else {
		printf("Export %" PRId64 " of request %s: %zu message%s, %zu deliver%s, %zu "
		       "disclosure record%s.\n"
		       "Bundle: %s\nManifest SHA-256: %s\n"
		       "Check it later with: chaperone records verify-export %s\n",
		       sum.export_id, a.r.request, sum.messages, sum.messages == 1 ? "" : "s",
		       sum.deliveries, sum.deliveries == 1 ? "y" : "ies", sum.disclosures,
		       sum.disclosures == 1 ? "" : "s", a.r.out_dir, sum.manifest_sha256,
		       a.r.out_dir);
		printf("Calls: %zu; recordings: %zu copied, %zu withheld (a redacted person speaks "
		       "or is named in them), %zu not copied.\n",
		       sum.calls, sum.rec_copied, sum.rec_withheld, sum.rec_faults);
		/* What leaves the district is said on the console, not only in the bundle. */
		if (a.r.redact)
			printf("Redacted: %s (names, handles and numbers replaced by "
			       "pseudonyms).\n",
			       a.r.redact == (EXPORT_REDACT_STUDENTS | EXPORT_REDACT_GUARDIANS)
				   ? "students,guardians"
			       : a.r.redact & EXPORT_REDACT_STUDENTS ? "students"
								     : "guardians");
		else
			printf("NOT redacted: students' and guardians' names, handles and numbers "
			       "are in the bundle (reason recorded: %s).\n",
			       a.r.no_redact_reason);
		printf("Staff phone numbers: %s.\n",
		       a.r.staff_numbers_shown ? "shown"
					       : "withheld (--staff-numbers show to include)");
		printf("Review before release: %s/redaction-review.csv (%zu replacement%s, %zu "
		       "name%s left alone).\n",
		       a.r.out_dir, sum.replaced, sum.replaced == 1 ? "" : "s", sum.kept,
		       sum.kept == 1 ? "" : "s");
		rc = CLI_EXIT_OK;
		if (sum.rec_faults) {
			cli_err(CMD,
				"%zu recording%s NOT copied: the archive's file is not as recorded "
				"(the bundle says so for each call; check the archive with "
				"`chaperone records verify`):",
				sum.rec_faults, sum.rec_faults == 1 ? "" : "s");
			fputs(sum.rec_fault_lines ? sum.rec_fault_lines : "", stderr);
			rc = CLI_EXIT_TAMPERED;
		}
	}
	store_close(s);
	talloc_free(ctx);
	return rc;
}

/* ---- key-new ---- */

const char *cli_redaction_key_path(const char *given)
{
	const char *env = getenv("CHAPERONE_REDACTION_KEY");

	if (given && *given)
		return given;
	return env && *env ? env : REDACTION_KEY_PATH;
}

#define CMD_KEY "records key-new"

int cli_records_key_new(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"key-file", required_argument, NULL, O_KEY_FILE},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = NULL;
	char err[512];
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		case O_KEY_FILE:
			path = optarg;
			break;
		case ':':
			return bad_usage(CMD_KEY, "%s needs a value", argv[optind - 1]);
		default:
			return bad_usage(CMD_KEY, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad_usage(CMD_KEY, "unexpected argument '%s'", argv[optind]);
	path = cli_redaction_key_path(path);
	if (redaction_key_create(path, err, sizeof(err)) < 0) {
		cli_err(CMD_KEY, "%s", err);
		return CLI_EXIT_INPUT;
	}
	printf("Redaction key written to %s (mode 0600). Keep a copy apart from the archive's "
	       "backups.\n",
	       path);
	return CLI_EXIT_OK;
}

/* ---- verify-export ---- */

/* One report line, indented; a file name from the directory may hold anything, and
 * control characters never reach the terminal. */
static void print_line(const char *s, size_t n)
{
	fputs("  ", stdout);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		fputc(ch < 0x20 || ch == 0x7f ? '?' : ch, stdout);
	}
	fputc('\n', stdout);
}

int cli_records_verify_export(int argc, char **argv)
{
	static const struct option vopts[] = {
	    {"db", required_argument, NULL, O_DB},
	    {"as", required_argument, NULL, O_AS},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *as = NULL, *dir;
	struct store *s = NULL;
	void *ctx;
	char report[8192];
	int c, v, rc;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", vopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		case O_DB:
			db = optarg;
			break;
		case O_AS:
			as = optarg;
			break;
		case ':':
			return bad_usage(CMD_VERIFY, "%s needs a value", argv[optind - 1]);
		default:
			return bad_usage(CMD_VERIFY, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return bad_usage(CMD_VERIFY, "%s", "give one bundle directory");
	dir = argv[optind];
	ctx = talloc_named_const(NULL, 0, "chaperone records verify-export");
	if ((db && *db) || (getenv("CHAPERONE_DB") && *getenv("CHAPERONE_DB"))) {
		s = cli_open_archive(ctx, db);
		if (!s) {
			talloc_free(ctx);
			return CLI_EXIT_DB;
		}
	}
	struct cli_progress prog;
	v = export_verify_progress(dir, s, report, sizeof(report),
				   cli_progress_start(&prog, CMD_VERIFY));
	cli_progress_end(&prog);
	if (v < 0) {
		cli_err(CMD_VERIFY, "%s", report);
		rc = CLI_EXIT_INPUT;
	} else if (v > 0) {
		printf("%s: the bundle does NOT hold:\n", dir);
		for (const char *line = report; *line;) {
			size_t n = strcspn(line, "\n");
			print_line(line, n);
			line += n + (line[n] == '\n');
		}
		rc = CLI_EXIT_TAMPERED;
	} else {
		printf("%s: the bundle holds: every file matches manifest.json%s\n", dir,
		       s ? ", and the archive recorded this manifest"
			 : " (no archive given: the manifest itself was not checked)");
		rc = CLI_EXIT_OK;
	}
	if (s) {
		struct access_entry e = {
		    // clang-format off
		    .operator = cli_actor(ctx, as),
		    // clang-format on
		    .os_user = access_os_user(),
		    .action = "verify-export",
		    .results = -1,
		    .detail = talloc_asprintf(ctx, "%s: %s", dir,
					      v == 0  ? "holds"
					      : v > 0 ? "does not hold"
						      : "not a bundle"),
		};
		if (access_log_add(s, &e) < 0) {
			cli_err(CMD_VERIFY, "cannot record the check in the access log: %s",
				store_errmsg(s));
			if (rc == CLI_EXIT_OK)
				rc = CLI_EXIT_DB;
		}
		store_close(s);
	}
	talloc_free(ctx);
	return rc;
}
