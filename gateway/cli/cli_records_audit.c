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

#include <json-c/json.h>
#include <talloc.h>

#include "storage/archive/access_log.h"
#include "storage/directory/directory_store.h"
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

struct audit_out {
	struct store *s;
	void *ctx;
	unsigned n;
};

/* A recorded time ("2026-09-03T04:00:00.000Z") in the district's zone; anything else as
 * it is. */
static const char *local_time(void *ctx, const char *v)
{
	int64_t ms;
	char out[48];

	if (strlen(v) != 24 || v[10] != 'T' || v[23] != 'Z' || rq_parse_date(v, false, &ms) < 0)
		return v;
	cli_format_local(out, sizeof(out), ms);
	return talloc_strdup(ctx, out);
}

/* A recorded query or schedule in words: "person @jamier (Jamie Rivera), since
 * 2026-09-03 00:00 EDT, limit 100"; times in the district's zone, a handle with the
 * person's name. The raw JSON stays in the archive. */
static const char *describe(struct audit_out *o, const char *json)
{
	struct json_object *q = json_tokener_parse(json);
	char *r;

	if (!q || !json_object_is_type(q, json_type_object)) {
		json_object_put(q);
		return json;
	}
	r = talloc_strdup(o->ctx, "");
	json_object_object_foreach(q, key, val)
	{
		const char *v = val ? json_object_get_string(val) : "forever";
		r = talloc_asprintf_append(r, "%s%s", *r ? ", " : "", key);
		if (json_object_is_type(val, json_type_boolean)) {
			if (!json_object_get_boolean(val))
				r = talloc_asprintf_append(r, " no");
			continue;
		}
		r = talloc_asprintf_append(r, " %s", local_time(o->ctx, v));
		if (!strcmp(key, "person") && v[0] == '@') {
			struct store_person p;
			if (store_person_by_handle(o->s, o->ctx, v + 1, &p) == 1)
				r = talloc_asprintf_append(r, " (%s %s)", p.given, p.family);
		}
	}
	json_object_put(q);
	return r ? r : json;
}

static void print_access(const struct access_row *r, void *data)
{
	char at[48];
	struct audit_out *o = data;

	cli_format_local(at, sizeof(at), r->at);
	printf("%" PRId64 "\t%s\t%s (%s)\t%s", r->id, at, r->operator, r->os_user, r->action);
	if (r->results >= 0)
		printf("\t%" PRId64 " result%s", r->results, r->results == 1 ? "" : "s");
	if (r->n_subjects)
		printf("\t%u person%s", r->n_subjects, r->n_subjects == 1 ? "" : "s");
	printf("\n");
	if (r->query_json && *r->query_json)
		printf("\t%s: %s\n", strcmp(r->action, "dispose") ? "query" : "schedule",
		       describe(o, r->query_json));
	if (r->detail && *r->detail)
		printf("\t%s\n", r->detail);
	o->n++;
}

static void print_disclosure(const struct disclosure_row *r, void *data)
{
	char at[48];
	unsigned *n = data;

	cli_format_local(at, sizeof(at), r->at);
	printf("%s\t%s (@%s)\texport %" PRId64 "\trequest %s\n"
	       "\trequester: %s\n\tpurpose: %s\n\tby: %s\t%s\n",
	       at, r->student_name, r->student_handle, r->export_id, r->request, r->requester,
	       r->purpose, r->operator, r->redacted ? "identity redacted" : "identity disclosed");
	(*n)++;
}

struct audit_args {
	struct access_filter f;
	const char *db, *as, *person, *since, *until;
	bool disclosures;
};

/* Options of `records audit`. Returns -1 to go on, else the exit status. */
static int audit_parse(int argc, char **argv, struct audit_args *a)
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
	char *end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			a->f.operator= optarg;
			break;
		case 'A':
			a->f.action = optarg;
			break;
		case 'p':
			a->person = optarg;
			break;
		case 's':
			a->since = optarg;
			break;
		case 'u':
			a->until = optarg;
			break;
		case 'l':
			a->f.limit = (unsigned)strtoul(optarg, &end, 10);
			if (*end || !*optarg) {
				cli_err("records audit", "--limit takes a number, not '%s'",
					optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'D':
			a->disclosures = true;
			break;
		case 'd':
			a->db = optarg;
			break;
		case 'a':
			a->as = optarg;
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
	if ((a->since && rq_parse_date(a->since, false, &a->f.since) < 0) ||
	    (a->until && rq_parse_date(a->until, true, &a->f.until) < 0)) {
		cli_err("records audit", "dates are YYYY-MM-DD or YYYY-MM-DDTHH:MM");
		return CLI_EXIT_USAGE;
	}
	return -1;
}

/* The audit is itself an access: recorded with what it listed. */
static int audit_record(struct store *s, void *ctx, const struct audit_args *a,
			const struct store_person *p, unsigned n)
{
	struct access_entry e = {0};
	char detail[160];

	snprintf(detail, sizeof(detail), "%s%s%s", a->disclosures ? "disclosures" : "access log",
		 a->person ? " of @" : "", a->person ? p->handle : "");
	e.operator= cli_actor(ctx, a->as);
	e.action = "audit";
	e.results = n;
	e.detail = detail;
	if (access_log_add(s, &e) < 0) {
		cli_err("records audit", "cannot record this access: %s", store_errmsg(s));
		return CLI_EXIT_DB;
	}
	return CLI_EXIT_OK;
}

int cli_records_audit(int argc, char **argv)
{
	struct audit_args a = {0};
	struct store_person p = {0};
	unsigned n = 0;
	struct store *s;
	void *ctx;
	int rc = audit_parse(argc, argv, &a);

	if (rc >= 0)
		return rc;
	ctx = talloc_named_const(NULL, 0, "records audit");
	s = cli_open_archive(ctx, a.db);
	if (!s) {
		talloc_free(ctx);
		return CLI_EXIT_DB;
	}
	if (a.person) {
		if (!cli_find_person(s, ctx, "records audit", a.person, &p)) {
			talloc_free(ctx);
			return CLI_EXIT_INPUT;
		}
		a.f.person_id = p.id;
	}
	struct audit_out out = {.s = s, .ctx = ctx};
	if (a.disclosures) {
		rc = access_disclosures_list(s, p.id, print_disclosure, &n);
	} else {
		rc = access_log_list(s, &a.f, print_access, &out);
		n = out.n;
	}
	if (rc < 0) {
		cli_err("records audit", "database: %s", store_errmsg(s));
		talloc_free(ctx);
		return CLI_EXIT_DB;
	}
	fprintf(stderr, "%u %s\n", n,
		a.disclosures ? (n == 1 ? "disclosure" : "disclosures")
			      : (n == 1 ? "access" : "accesses"));
	rc = audit_record(s, ctx, &a, &p, n);
	talloc_free(ctx);
	return rc;
}
