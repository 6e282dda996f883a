/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* chaperone records hold add|list|release: legal holds, which keep records from disposal
 * whatever the retention schedule says (storage/keeping/legal_hold.h).
 *
 * A hold names a person, a team and/or dates; it covers every message the person sent or
 * received, or that was for the team or from or to one of its members, within the
 * dates, with everything that belongs to those messages. Adding and releasing are
 * recorded in the archive and in the access log, with --as NAME and the OS user. */
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <talloc.h>

#include "storage/archive/access_log.h"
#include "gateway/cli/cli.h"
#include "gateway/cli/cli_db.h"
#include "gateway/cli/cli_opts.h"
#include "gateway/cli/cli_records.h"
#include "storage/keeping/legal_hold.h"
#include "storage/records/records_query.h"

#define CMD "records hold"

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: chaperone records hold add NAME --reason TEXT [--person HANDLE] [--team TAG]\n"
	    "                                  [--since DATE] [--until DATE]\n"
	    "       chaperone records hold list [--all]\n"
	    "       chaperone records hold release NAME|ID [--note TEXT]\n\n"
	    "A legal hold keeps records from disposal, whatever the retention schedule says,\n"
	    "until it is released. It covers the messages, within its dates, that the person\n"
	    "sent or received, and that were for the team or from or to one of its members,\n"
	    "with their verdicts, deliveries and raw PDUs. It must name at least one of a\n"
	    "person, a team and dates. DATE is 2026-09-01 or 2026-09-01T14:30 (local time);\n"
	    "--until includes the whole of a day given without a time.\n"
	    "list shows active holds (--all: released ones too) and how many messages each\n"
	    "covers now.\n\n"
	    "Common options: --db PATH (default $CHAPERONE_DB, else %s),\n"
	    "--as NAME (the operator the archive records; default your user name).\n",
	    CLI_DEFAULT_DB);
}

struct opts {
	const char *db, *as, *reason, *person, *team, *since, *until, *note;
	bool all;
};

enum { O_DB, O_AS, O_REASON, O_PERSON, O_TEAM, O_SINCE, O_UNTIL, O_NOTE, O_ALL };
#define B(o)   CLI_OPT_BIT(o)
#define COMMON (B(O_DB) | B(O_AS))

#define VALUE(name, field)                                                                         \
	{                                                                                          \
		name, CLI_OPT_VALUE, offsetof(struct opts, field), 0                               \
	}
static const struct cli_opt opt_table[] = {
    [O_DB] = VALUE("db", db),
    [O_AS] = VALUE("as", as),
    [O_REASON] = VALUE("reason", reason),
    [O_PERSON] = VALUE("person", person),
    [O_TEAM] = VALUE("team", team),
    [O_SINCE] = VALUE("since", since),
    [O_UNTIL] = VALUE("until", until),
    [O_NOTE] = VALUE("note", note),
    [O_ALL] = {"all", CLI_OPT_FLAG, offsetof(struct opts, all), 0},
};

enum { SUB_ADD, SUB_LIST, SUB_RELEASE };
static const struct cli_sub subs[] = {
    [SUB_ADD] = {"add", COMMON | B(O_REASON) | B(O_PERSON) | B(O_TEAM) | B(O_SINCE) | B(O_UNTIL), 1,
		 1, "the hold's NAME"},
    [SUB_LIST] = {"list", COMMON | B(O_ALL), 0, 0, "no operands"},
    [SUB_RELEASE] = {"release", COMMON | B(O_NOTE), 1, 1, "the hold's NAME or ID"},
};

/* "2026-09-01" at local midnight, else "2026-09-01 14:30". */
static void fmt_local(char *out, size_t cap, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, cap, tm.tm_hour || tm.tm_min ? "%Y-%m-%d %H:%M" : "%Y-%m-%d", &tm);
}

static char *scope(void *ctx, const struct legal_hold *h)
{
	char *r = talloc_strdup(ctx, "");
	char d[32];

	if (h->person_id)
		r = talloc_asprintf_append(r, "person @%s (%s)", h->person_handle, h->person_name);
	if (h->team_id)
		r = talloc_asprintf_append(r, "%steam #%s (%s)", *r ? ", " : "", h->team_tag,
					   h->team_name);
	if (h->since) {
		fmt_local(d, sizeof(d), h->since);
		r = talloc_asprintf_append(r, "%sfrom %s", *r ? ", " : "", d);
	}
	if (h->until) {
		time_t t = (time_t)(h->until / 1000);
		struct tm tm;
		localtime_r(&t, &tm);
		/* An end at midnight reads as the last day it includes. */
		if (!tm.tm_hour && !tm.tm_min && !tm.tm_sec) {
			cli_format_date(d, sizeof(d), h->until - 1);
			r = talloc_asprintf_append(r, "%sthrough %s", *r ? ", " : "", d);
		} else {
			fmt_local(d, sizeof(d), h->until);
			r = talloc_asprintf_append(r, "%sbefore %s", *r ? ", " : "", d);
		}
	}
	return r;
}

static int hold_add(struct store *s, void *ctx, const char *name, const struct opts *o)
{
	struct legal_hold_spec spec = {0};
	struct store_person p;
	struct store_team t;
	struct legal_hold *v;
	size_t n;
	char err[512];
	int64_t id;

	if (!o->reason) {
		cli_err(CMD, "add: --reason TEXT is required (why the records must be kept)");
		return CLI_EXIT_USAGE;
	}
	if (o->since && rq_parse_date(o->since, false, &spec.since) < 0) {
		cli_err(CMD, "--since '%s' is not a date (2026-09-01 or 2026-09-01T14:30)",
			o->since);
		return CLI_EXIT_INPUT;
	}
	if (o->until && rq_parse_date(o->until, true, &spec.until) < 0) {
		cli_err(CMD, "--until '%s' is not a date (2026-09-01 or 2026-09-01T14:30)",
			o->until);
		return CLI_EXIT_INPUT;
	}
	if (o->person) {
		if (!cli_find_person(s, ctx, CMD, o->person, &p))
			return CLI_EXIT_INPUT;
		spec.person_id = p.id;
	}
	if (o->team) {
		if (!cli_find_team(s, ctx, CMD, o->team, &t))
			return CLI_EXIT_INPUT;
		spec.team_id = t.id;
	}
	spec.name = name;
	spec.reason = o->reason;
	spec.created_by = cli_actor(ctx, o->as);
	spec.os_user = access_os_user();
	id = legal_hold_add(s, &spec, err, sizeof(err));
	if (id < 0) {
		cli_err(CMD, "%s", err);
		return CLI_EXIT_INPUT;
	}
	if (legal_hold_list(s, ctx, false, &v, &n) == 0)
		for (size_t i = 0; i < n; i++)
			if (v[i].id == id)
				printf("hold %" PRId64 " '%s' added: %s; it covers %" PRId64
				       " message%s now\n",
				       id, v[i].name, scope(ctx, &v[i]), v[i].messages,
				       v[i].messages == 1 ? "" : "s");
	return CLI_EXIT_OK;
}

static int hold_list(struct store *s, void *ctx, const struct opts *o)
{
	struct legal_hold *v;
	size_t n;
	char at[32];

	if (legal_hold_list(s, ctx, o->all, &v, &n) < 0) {
		cli_err(CMD, "database: %s", store_errmsg(s));
		return CLI_EXIT_DB;
	}
	if (!n) {
		printf(o->all ? "No legal holds.\n" : "No active legal holds.\n");
		return CLI_EXIT_OK;
	}
	for (size_t i = 0; i < n; i++) {
		const struct legal_hold *h = &v[i];
		if (h->released)
			printf("%" PRId64 "  %s  released\n", h->id, h->name);
		else
			printf("%" PRId64 "  %s  active: %" PRId64 " message%s held now\n", h->id,
			       h->name, h->messages, h->messages == 1 ? "" : "s");
		printf("    scope:    %s\n", scope(ctx, h));
		printf("    reason:   %s\n", h->reason);
		store_format_time(at, sizeof(at), h->at);
		printf("    added:    %s by %s (OS user %s)\n", at, h->created_by, h->os_user);
		if (h->released) {
			store_format_time(at, sizeof(at), h->released_at);
			printf("    released: %s by %s%s%s\n", at, h->released_by,
			       h->release_note ? ": " : "", h->release_note ? h->release_note : "");
		}
	}
	return CLI_EXIT_OK;
}

static int hold_release(struct store *s, void *ctx, const char *which, const struct opts *o)
{
	char err[512];
	int64_t id = legal_hold_release(s, which, cli_actor(ctx, o->as), access_os_user(), o->note,
					err, sizeof(err));

	if (id < 0) {
		cli_err(CMD, "%s", err);
		return CLI_EXIT_INPUT;
	}
	printf("hold %" PRId64 " released: the records it covered follow the retention schedule "
	       "again\n",
	       id);
	return CLI_EXIT_OK;
}

int cli_records_hold(int argc, char **argv)
{
	const struct cli_sub *sub;
	char **args;
	struct opts o;
	struct store *s;
	void *ctx = talloc_named_const(NULL, 0, "chaperone records hold");
	int rc, nargs;

	rc = cli_parse_sub(ctx, CMD, argc, argv, 0, subs, ARRAY_SIZE(subs), opt_table,
			   ARRAY_SIZE(opt_table), &o, sizeof(o), usage, &sub, &args, &nargs);
	if (rc >= 0) {
		talloc_free(ctx);
		return rc;
	}
	s = cli_open_archive(ctx, o.db);
	if (!s) {
		talloc_free(ctx);
		return CLI_EXIT_DB;
	}
	switch (sub - subs) {
	case SUB_ADD:
		rc = hold_add(s, ctx, args[0], &o);
		break;
	case SUB_LIST:
		rc = hold_list(s, ctx, &o);
		break;
	default:
		rc = hold_release(s, ctx, args[0], &o);
		break;
	}
	talloc_free(ctx);
	return rc;
}
