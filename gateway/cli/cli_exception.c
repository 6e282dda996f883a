/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* `chaperone exception list|add|revoke`: administrator-approved exceptions to the rules
 * for one staff member and one student (family, guardian permission, safety, sharing
 * contact details).
 *
 * An exception always has an approving administrator, a reason and an end date: the
 * point of the rules is that nobody texts a student one-to-one unseen, so every way
 * around them is named, justified and temporary. Exceptions are revoked, never deleted. */
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include <talloc.h>

#include "gateway/cli/cli.h"
#include "gateway/cli/cli_db.h"
#include "gateway/cli/cli_opts.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: chaperone exception list [--all]\n"
		"       chaperone exception add --staff HANDLE --student HANDLE --kind KIND\n"
		"                               --reason TEXT --approved-by HANDLE --expires "
		"YYYY-MM-DD\n"
		"       chaperone exception revoke ID --by HANDLE\n\n"
		"Common options: --db PATH (default $CHAPERONE_DB, else %s),\n"
		"--as ACTOR (who the change log records; default: your user name).\n\n"
		"KIND: family, guardian_permission, safety, contact_sharing. The approver (and\n"
		"whoever revokes) must be an administrator. An exception holds through the\n"
		"--expires date (until midnight at its end, local time). list shows those in\n"
		"force; --all adds expired and revoked ones.\n",
		CLI_DEFAULT_DB);
}

struct opts {
	const char *db, *as, *staff, *student, *kind, *reason, *approved_by, *expires, *by;
	bool all;
};

enum { O_DB, O_AS, O_STAFF, O_STUDENT, O_KIND, O_REASON, O_APPROVED_BY, O_EXPIRES, O_BY, O_ALL };
#define B(o)   CLI_OPT_BIT(o)
#define COMMON (B(O_DB) | B(O_AS))

#define VALUE(name, field)                                                                         \
	{                                                                                          \
		name, CLI_OPT_VALUE, offsetof(struct opts, field), 0                               \
	}
static const struct cli_opt opt_table[] = {
    [O_DB] = VALUE("db", db),
    [O_AS] = VALUE("as", as),
    [O_STAFF] = VALUE("staff", staff),
    [O_STUDENT] = VALUE("student", student),
    [O_KIND] = VALUE("kind", kind),
    [O_REASON] = VALUE("reason", reason),
    [O_APPROVED_BY] = VALUE("approved-by", approved_by),
    [O_EXPIRES] = VALUE("expires", expires),
    [O_BY] = VALUE("by", by),
    [O_ALL] = {"all", CLI_OPT_FLAG, offsetof(struct opts, all), 0},
};

enum { SUB_LIST, SUB_ADD, SUB_REVOKE };
static const struct cli_sub subs[] = {
    [SUB_LIST] = {"list", COMMON | B(O_ALL), 0, 0, "no arguments besides options"},
    [SUB_ADD] = {"add",
		 COMMON | B(O_STAFF) | B(O_STUDENT) | B(O_KIND) | B(O_REASON) | B(O_APPROVED_BY) |
		     B(O_EXPIRES),
		 0, 0, "no arguments besides options"},
    [SUB_REVOKE] = {"revoke", COMMON | B(O_BY), 1, 1, "one ID"},
};

/* "2026-06-30" → the first millisecond after that day, local time. */
static int parse_expiry(const char *s, int64_t *out)
{
	int y, m, d, n = 0;
	struct tm tm = {0};
	time_t t;

	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10)
		return -1;
	if (y < 2000 || y > 2999 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	/* mktime normalises 2026-02-30 to March 2: refuse what is not a date. */
	if (t == (time_t)-1 || tm.tm_year != y - 1900 || tm.tm_mon != m - 1 || tm.tm_mday != d)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d + 1;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = (int64_t)t * 1000;
	return 0;
}

static bool reason_valid(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 500)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
			return false;
	return true;
}

static const char *handle_of(struct store *s, void *ctx, int64_t id)
{
	struct store_person p;

	if (!id)
		return "-";
	if (store_person_by_id(s, ctx, id, &p) != 1)
		return talloc_asprintf(ctx, "#%" PRId64, id);
	return p.handle;
}

static int exception_list(struct store *s, void *ctx, const struct opts *o)
{
	struct store_exception *e;
	size_t n;
	int64_t now = store_now_ms();
	char date[32];

	if (store_exceptions_list(s, ctx, o->all, now, &e, &n) < 0) {
		cli_err("exception list", "database: %s", store_errmsg(s));
		return CLI_EXIT_DB;
	}
	printf("%-4s %-19s %-14s %-14s %-14s %-10s %-8s %s\n", "ID", "KIND", "STAFF", "STUDENT",
	       "APPROVED BY", "THROUGH", "STATUS", "REASON");
	for (size_t i = 0; i < n; i++) {
		const char *status = e[i].revoked_at	      ? "revoked"
				     : e[i].expires_at <= now ? "expired"
							      : "in force";

		cli_format_date(date, sizeof(date), e[i].expires_at - 1);
		printf("%-4" PRId64 " %-19s %-14s %-14s %-14s %-10s %-8s %s\n", e[i].id,
		       store_exception_kind_word(e[i].kind), handle_of(s, ctx, e[i].staff_id),
		       handle_of(s, ctx, e[i].student_id), handle_of(s, ctx, e[i].approved_by),
		       date, status, e[i].reason);
		if (e[i].revoked_at) {
			store_format_time(date, sizeof(date), e[i].revoked_at);
			printf("     revoked by %s at %s\n", handle_of(s, ctx, e[i].revoked_by),
			       date);
		}
	}
	printf("%zu exception%s%s\n", n, n == 1 ? "" : "s", o->all ? "" : " in force");
	return CLI_EXIT_OK;
}

static int exception_add(struct store *s, void *ctx, const struct opts *o)
{
	const char *cmd = "exception add";
	struct store_person staff, student, admin;
	struct store_exception e = {0}, *existing;
	size_t n;
	char date[32];

	if (!o->staff || !o->student || !o->kind || !o->reason || !o->expires ||
	    (!o->approved_by && !cli_operators_table())) {
		cli_err(cmd, "--staff, --student, --kind, --reason, --approved-by and --expires "
			     "are all required");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (dir_exception_kind_parse(o->kind, &e.kind) < 0) {
		cli_err(cmd,
			"unknown kind '%s' (family, guardian_permission, safety, "
			"contact_sharing)",
			o->kind);
		return CLI_EXIT_INPUT;
	}
	if (!reason_valid(o->reason)) {
		cli_err(cmd, "--reason is 1 to 500 bytes of text on one line");
		return CLI_EXIT_INPUT;
	}
	if (parse_expiry(o->expires, &e.expires_at) < 0) {
		cli_err(cmd, "--expires '%s' is not a date (YYYY-MM-DD)", o->expires);
		return CLI_EXIT_INPUT;
	}
	if (e.expires_at <= store_now_ms()) {
		cli_err(cmd, "--expires %s is in the past", o->expires);
		return CLI_EXIT_INPUT;
	}
	if (!cli_find_active(s, ctx, cmd, o->staff, (1u << DIR_STAFF) | (1u << DIR_ADMIN),
			     &staff) ||
	    !cli_find_active(s, ctx, cmd, o->student, 1u << DIR_STUDENT, &student) ||
	    !cli_deciding_admin(s, ctx, cmd, o->approved_by, &admin))
		return CLI_EXIT_INPUT;
	if (store_exceptions_list(s, ctx, false, store_now_ms(), &existing, &n) < 0) {
		cli_err(cmd, "database: %s", store_errmsg(s));
		return CLI_EXIT_DB;
	}
	for (size_t i = 0; i < n; i++) {
		if (existing[i].staff_id == staff.id && existing[i].student_id == student.id &&
		    existing[i].kind == e.kind) {
			cli_err(cmd,
				"exception %" PRId64 " (%s, %s and %s) is in force already; "
				"revoke it first to change it",
				existing[i].id, store_exception_kind_word(e.kind), staff.handle,
				student.handle);
			return CLI_EXIT_INPUT;
		}
	}
	e.staff_id = staff.id;
	e.student_id = student.id;
	e.approved_by = admin.id;
	e.reason = o->reason;
	if (store_exception_add(s, cli_actor(ctx, o->as), &e) < 0) {
		cli_err(cmd, "database: %s; nothing changed", store_errmsg(s));
		return CLI_EXIT_DB;
	}
	cli_format_date(date, sizeof(date), e.expires_at - 1);
	printf("added exception %" PRId64 ": %s, %s and %s, approved by %s, through %s\n", e.id,
	       store_exception_kind_word(e.kind), staff.handle, student.handle, admin.handle, date);
	return CLI_EXIT_OK;
}

static int exception_revoke(struct store *s, void *ctx, const char *id_s, const struct opts *o)
{
	const char *cmd = "exception revoke";
	struct store_exception e;
	struct store_person admin;
	char *end;
	long long id;
	int rc;

	if (!o->by && !cli_operators_table()) {
		cli_err(cmd, "--by HANDLE (an administrator) is required");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	id = strtoll(id_s, &end, 10);
	if (!*id_s || *end || id <= 0) {
		cli_err(cmd, "'%s' is not an exception id (see 'chaperone exception list')", id_s);
		return CLI_EXIT_INPUT;
	}
	rc = store_exception_by_id(s, ctx, id, &e);
	if (rc <= 0) {
		if (rc < 0)
			cli_err(cmd, "database: %s", store_errmsg(s));
		else
			cli_err(cmd, "no exception %lld (see 'chaperone exception list --all')",
				id);
		return CLI_EXIT_INPUT;
	}
	if (e.revoked_at) {
		cli_err(cmd, "exception %lld is revoked already", id);
		return CLI_EXIT_INPUT;
	}
	if (!cli_deciding_admin(s, ctx, cmd, o->by, &admin))
		return CLI_EXIT_INPUT;
	rc = store_exception_revoke(s, cli_actor(ctx, o->as), id, admin.id);
	if (rc <= 0) {
		cli_err(cmd, "database: %s; nothing changed", store_errmsg(s));
		return CLI_EXIT_DB;
	}
	printf("revoked exception %lld\n", id);
	return CLI_EXIT_OK;
}

int cli_exception_main(int argc, char **argv)
{
	const struct cli_sub *sub;
	char **args;
	struct opts o;
	struct store *s;
	void *ctx = talloc_named_const(NULL, 0, "chaperone exception");
	int rc, n_args;

	rc = cli_parse_sub(ctx, "exception", argc, argv, 0, subs, ARRAY_SIZE(subs), opt_table,
			   ARRAY_SIZE(opt_table), &o, sizeof(o), usage, &sub, &args, &n_args);
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
	case SUB_LIST:
		rc = exception_list(s, ctx, &o);
		break;
	case SUB_ADD:
		rc = exception_add(s, ctx, &o);
		break;
	default:
		rc = exception_revoke(s, ctx, args[0], &o);
		break;
	}
	talloc_free(ctx);
	return rc;
}
