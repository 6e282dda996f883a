/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* chaperone records audit: who searched, exported, held, disposed — and, with
 * --disclosures, FERPA's record of each disclosure of a student's records.
 *
 * Looking at the audit trail is itself an access and is recorded, so the trail also
 * shows who has read it. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "storage/archive/access_log.h"
#include "gateway/cli/cli.h"
#include "gateway/cli/cli_db.h"
#include "gateway/cli/cli_records.h"
#include "storage/records/records_query.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: chaperone records audit [--operator NAME] [--action ACTION]\n"
		"           [--person HANDLE] [--since DATE] [--until DATE] [--limit N]\n"
		"           [--db PATH] [--as NAME]\n"
		"       chaperone records audit --disclosures [--person HANDLE] [--db PATH] [--as "
		"NAME]\n\n"
		"Lists every access to the archive, oldest first: when, the operator (--as) and\n"
		"the OS account, the action (search, export, verify-export, hold-add,\n"
		"hold-release, dispose-dry-run, dispose, audit), the query, how many records it\n"
		"returned, and how many persons' records it returned. --person lists the\n"
		"accesses that returned that person's records.\n"
		"--disclosures lists each export that took a student's records out of the\n"
		"district (FERPA's record of disclosure): date, request, requester, purpose,\n"
		"operator, and whether the student's identity was redacted.\n");
}

static void print_access(const struct access_row *r, void *data)
{
	char at[40];
	unsigned *n = data;

	store_format_time(at, sizeof(at), r->at);
	printf("%" PRId64 "\t%s\t%s (%s)\t%s", r->id, at, r->operator, r->os_user, r->action);
	if (r->results >= 0)
		printf("\t%" PRId64 " result%s", r->results, r->results == 1 ? "" : "s");
	if (r->n_subjects)
		printf("\t%u person%s", r->n_subjects, r->n_subjects == 1 ? "" : "s");
	printf("\n");
	if (r->query_json && *r->query_json)
		printf("\tquery: %s\n", r->query_json);
	if (r->detail && *r->detail)
		printf("\t%s\n", r->detail);
	(*n)++;
}

static void print_disclosure(const struct disclosure_row *r, void *data)
{
	char at[40];
	unsigned *n = data;

	store_format_time(at, sizeof(at), r->at);
	printf("%s\t%s (@%s)\texport %" PRId64 "\trequest %s\n"
	       "\trequester: %s\n\tpurpose: %s\n\tby: %s\t%s\n",
	       at, r->student_name, r->student_handle, r->export_id, r->request, r->requester,
	       r->purpose, r->operator, r->redacted ? "identity redacted" : "identity disclosed");
	(*n)++;
}

int cli_records_audit(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"operator", required_argument, NULL, 'o'},
	    {"action", required_argument, NULL, 'A'},
	    {"person", required_argument, NULL, 'p'},
	    {"since", required_argument, NULL, 's'},
	    {"until", required_argument, NULL, 'u'},
	    {"limit", required_argument, NULL, 'l'},
	    {"disclosures", no_argument, NULL, 'D'},
	    {"db", required_argument, NULL, 'd'},
	    {"as", required_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct access_filter f = {0};
	const char *db = NULL, *as = NULL, *person = NULL, *since = NULL, *until = NULL;
	bool disclosures = false;
	struct store_person p = {0};
	struct access_entry e = {0};
	unsigned n = 0;
	struct store *s;
	char detail[160];
	void *ctx;
	char *end;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			f.operator= optarg;
			break;
		case 'A':
			f.action = optarg;
			break;
		case 'p':
			person = optarg;
			break;
		case 's':
			since = optarg;
			break;
		case 'u':
			until = optarg;
			break;
		case 'l':
			f.limit = (unsigned)strtoul(optarg, &end, 10);
			if (*end || !*optarg) {
				cli_err("records audit", "--limit takes a number, not '%s'",
					optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'D':
			disclosures = true;
			break;
		case 'd':
			db = optarg;
			break;
		case 'a':
			as = optarg;
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
	if ((since && rq_parse_date(since, false, &f.since) < 0) ||
	    (until && rq_parse_date(until, true, &f.until) < 0)) {
		cli_err("records audit", "dates are YYYY-MM-DD or YYYY-MM-DDTHH:MM");
		return CLI_EXIT_USAGE;
	}
	ctx = talloc_named_const(NULL, 0, "records audit");
	s = cli_open_archive(ctx, db);
	if (!s) {
		talloc_free(ctx);
		return CLI_EXIT_DB;
	}
	if (person) {
		if (!cli_find_person(s, ctx, "records audit", person, &p)) {
			talloc_free(ctx);
			return CLI_EXIT_INPUT;
		}
		f.person_id = p.id;
	}
	if (disclosures)
		rc = access_disclosures_list(s, p.id, print_disclosure, &n);
	else
		rc = access_log_list(s, &f, print_access, &n);
	if (rc < 0) {
		cli_err("records audit", "database: %s", store_errmsg(s));
		talloc_free(ctx);
		return CLI_EXIT_DB;
	}
	fprintf(stderr, "%u %s\n", n,
		disclosures ? (n == 1 ? "disclosure" : "disclosures")
			    : (n == 1 ? "access" : "accesses"));

	snprintf(detail, sizeof(detail), "%s%s%s", disclosures ? "disclosures" : "access log",
		 person ? " of @" : "", person ? p.handle : "");
	e.operator= cli_actor(ctx, as);
	e.action = "audit";
	e.results = n;
	e.detail = detail;
	if (access_log_add(s, &e) < 0) {
		cli_err("records audit", "cannot record this access: %s", store_errmsg(s));
		talloc_free(ctx);
		return CLI_EXIT_DB;
	}
	talloc_free(ctx);
	return CLI_EXIT_OK;
}
