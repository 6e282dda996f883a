/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* chaperone records retention|dispose: the retention schedule in force, and disposal of
 * what is past it and not under a legal hold (storage/keeping/retention.h,
 * storage/keeping/disposal.h).
 *
 * Disposal removes the content of records and leaves a tombstone for each, so the
 * archive still proves itself intact (`chaperone records verify`). It needs the
 * authorization it rests on, asks for confirmation unless --yes, and prints a
 * certificate of disposal (also written to --certificate FILE, mode 0600) whose record
 * in the archive is the disposals row. A dry run shows what would go and what holds
 * keep back; it and the disposal are recorded in the access log. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <talloc.h>

#include "storage/archive/access_log.h"
#include "storage/archive/chain.h"
#include "gateway/cli/cli.h"
#include "gateway/cli/cli_db.h"
#include "gateway/cli/cli_records.h"
#include "storage/keeping/disposal.h"
#include "storage/keeping/retention.h"
#include "storage/records/records_calls.h"

/* Follows "Never disposed ...:" on its own lines. */
#define NEVER_DISPOSED                                                                             \
	"\n  opt-outs, notices, threads, hold decisions, delivery events, directory\n"             \
	"  changes, exports, disclosures, the access log, legal holds and disposals"

static const char *const class_tables[RET_N_CLASSES] = {
    "messages, raw PDUs, questions, unknown senders",
    "what the relay sent, to whom",
    "what the policy decided, and why",
    "calls, their legs and events, recordings (files)",
};

/* ---- retention ---- */

static void retention_usage(FILE *f)
{
	fprintf(f, "Usage: chaperone records retention [--db PATH] [--as NAME]\n\n"
		   "Shows the retention schedule in force, since when, and where it comes from:\n"
		   "chaperoned records its configuration's schedule (`records` node, `retention\n"
		   "CLASS N days|months|years` or `retention CLASS forever`) at start-up when it\n"
		   "changes. Until one is recorded the defaults apply: 7 years for every class.\n"
		   "Months and years are calendar ones, in the district's time zone.\n");
}

static void print_schedule(const struct retention_schedule *sc, const char *indent)
{
	char p[32], d[32];

	for (unsigned c = 0; c < RET_N_CLASSES; c++) {
		retention_period_format(&sc->period[c], p, sizeof(p));
		if (sc->period[c].n == RETENTION_FOREVER)
			d[0] = '\0';
		else
			cli_format_local_date(d, sizeof(d),
					      retention_cutoff(&sc->period[c], store_now_ms()));
		printf("%s%-11s %-10s %-12s %s\n", indent, retention_class_name(c), p, d,
		       class_tables[c]);
	}
}

static char *schedule_line(void *ctx, const struct retention_schedule *sc)
{
	char *r = talloc_strdup(ctx, "");
	char p[32];

	for (unsigned c = 0; c < RET_N_CLASSES; c++) {
		retention_period_format(&sc->period[c], p, sizeof(p));
		r = talloc_asprintf_append(r, "%s%s %s", c ? ", " : "", retention_class_name(c), p);
	}
	return r;
}

static char *schedule_origin(void *ctx, const struct retention_in_force *f)
{
	char at[32];

	if (!f->id)
		return talloc_strdup(ctx, "the defaults: no schedule has been recorded yet");
	store_format_time(at, sizeof(at), f->at);
	return talloc_asprintf(ctx, "%s, in force since %s", f->source, at);
}

int cli_records_retention(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"as", required_argument, NULL, 'a'}, /* taken like everywhere; nothing to log */
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *db = NULL;
	struct retention_in_force f;
	struct store *s;
	void *ctx;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'd') {
			db = optarg;
		} else if (c == 'a') {
			continue;
		} else if (c == 'h') {
			retention_usage(stdout);
			return CLI_EXIT_OK;
		} else {
			retention_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_err("records retention", "unexpected '%s'", argv[optind]);
		retention_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	ctx = talloc_named_const(NULL, 0, "chaperone records retention");
	s = cli_open_archive(ctx, db);
	if (!s) {
		talloc_free(ctx);
		return CLI_EXIT_DB;
	}
	if (retention_current(s, ctx, &f) < 0) {
		cli_err("records retention", "cannot read the schedule: %s", store_errmsg(s));
		talloc_free(ctx);
		return CLI_EXIT_DB;
	}
	printf("Retention schedule in force: %s\n", schedule_origin(ctx, &f));
	print_schedule(&f.schedule, "  ");
	printf("Months and years are calendar ones, in the district's time zone; each period\n"
	       "ends on the date shown: what is older may be disposed of.\n"
	       "Legal holds (`chaperone records hold list`) keep records past these periods.\n"
	       "Never disposed:" NEVER_DISPOSED ".\n");
	talloc_free(ctx);
	return CLI_EXIT_OK;
}

/* ---- dispose ---- */

static void dispose_usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: chaperone records dispose --dry-run [--list]\n"
	    "       chaperone records dispose --authorization TEXT [--certificate FILE] [--yes]\n"
	    "Common options: --db PATH, --as NAME (the operator the archive records).\n\n"
	    "Removes the content of the records past the retention schedule in force\n"
	    "(`chaperone records retention`) that no active legal hold covers, and keeps a\n"
	    "tombstone for each (class, id, date, SHA-256 of its content) so that\n"
	    "`chaperone records verify` still holds. --dry-run shows what would go and what\n"
	    "holds keep back (--list: every record), changing nothing.\n"
	    "--authorization names the approval the disposal rests on (\"RMB-1 form approved\n"
	    "2026-11-20\"). Without --yes you are asked to confirm. The certificate of\n"
	    "disposal is printed and, with --certificate, written to FILE (mode 0600; an\n"
	    "existing file is not overwritten).\n"
	    "Never disposed by this command:" NEVER_DISPOSED ".\n");
}

static const char *day(char *buf, size_t cap, int64_t ms)
{
	store_format_time(buf, cap, ms);
	return buf;
}

/* The per-class lines shared by the dry run and the certificate. */
static char *counts_text(void *ctx, const struct disposal_plan *p, const char *verb)
{
	char *r = talloc_asprintf(ctx, "%s %" PRId64 " record%s", verb, p->total,
				  p->total == 1 ? "" : "s");
	char a[32], b[32];

	if (p->total)
		r = talloc_asprintf_append(r, ", dated %s to %s", day(a, sizeof(a), p->oldest),
					   day(b, sizeof(b), p->newest));
	r = talloc_asprintf_append(r, "\n");
	for (unsigned c = 0; c < RET_N_CLASSES; c++) {
		bool first = true;
		r = talloc_asprintf_append(r, "  %-11s %8" PRId64, retention_class_name(c),
					   p->class_total[c]);
		if (!p->cutoff[c]) {
			r = talloc_asprintf_append(r, "  (%s)\n",
						   p->schedule.schedule.period[c].n ==
							   RETENTION_FOREVER
						       ? "kept forever"
						       : "none old enough");
			continue;
		}
		for (unsigned i = 0; i < DISPOSAL_N_TABLES; i++) {
			if (p->tables[i].rclass != c || (c != RET_MESSAGES && c != RET_CALLS))
				continue;
			r = talloc_asprintf_append(r, "%s%s %" PRId64, first ? "  (" : ", ",
						   p->tables[i].table, p->tables[i].count);
			first = false;
		}
		r = talloc_asprintf_append(r, "%s  older than %s\n", first ? "" : ")",
					   day(a, sizeof(a), p->cutoff[c]));
	}
	return r;
}

static char *holds_text(void *ctx, const struct disposal_plan *p)
{
	char *r = talloc_asprintf(ctx, "Kept back by legal holds: %" PRId64 " record%s\n", p->kept,
				  p->kept == 1 ? "" : "s");

	for (size_t i = 0; i < p->n_holds; i++)
		r = talloc_asprintf_append(
		    r, "  hold %" PRId64 " '%s': %" PRId64 " record%s (%" PRId64 " message%s)\n",
		    p->holds[i].id, p->holds[i].name, p->holds[i].records,
		    p->holds[i].records == 1 ? "" : "s", p->holds[i].messages,
		    p->holds[i].messages == 1 ? "" : "s");
	return r;
}

static void print_plan(void *ctx, const struct disposal_plan *p, bool list)
{
	char at[32];

	printf("Dry run: nothing was disposed.\n");
	printf("Schedule: %s\n  (%s)\n", schedule_line(ctx, &p->schedule.schedule),
	       schedule_origin(ctx, &p->schedule));
	fputs(counts_text(ctx, p, "Past retention and not held:"), stdout);
	fputs(holds_text(ctx, p), stdout);
	printf("Never disposed by this command:" NEVER_DISPOSED ".\n");
	if (list) {
		printf("\nRecords that would be disposed of (class id date):\n");
		for (size_t i = 0; i < p->n_items; i++)
			printf("%s %" PRId64 " %s\n", p->items[i].cls, p->items[i].id,
			       day(at, sizeof(at), p->items[i].at));
	}
}

static char *certificate(void *ctx, struct store *s, const struct disposal_plan *p,
			 const char *operator, const char * os_user, const char *authorization)
{
	struct chain_head head;
	char id[33], at[32], anchor[CHAIN_ANCHOR_LEN];
	char *r;

	if (chain_head(s, &head) < 0)
		return NULL;
	chain_hex(head.archive_id, sizeof(head.archive_id), id);
	chain_anchor_format(&head, anchor, sizeof(anchor));
	r = talloc_asprintf(ctx,
			    "CERTIFICATE OF DISPOSAL OF RECORDS\n"
			    "Chaperone archive %s\n\n"
			    "Disposal:       %" PRId64 "\n"
			    "Date:           %s\n"
			    "Operator:       %s\n"
			    "OS user:        %s\n"
			    "Authorization:  %s\n"
			    "Schedule:       %s\n"
			    "                (%s)\n\n",
			    id, p->disposal_id, day(at, sizeof(at), p->at), operator, os_user,
			    authorization, schedule_line(ctx, &p->schedule.schedule),
			    schedule_origin(ctx, &p->schedule));
	r = talloc_asprintf_append(r, "%s", counts_text(ctx, p, "Disposed of"));
	r = talloc_asprintf_append(r, "%s", holds_text(ctx, p));
	/* A recording's file is deleted; its tombstone keeps the file's SHA-256. */
	for (size_t i = 0; i < p->n_files; i++)
		r = talloc_asprintf_append(r, "Recording file %s: %s\n", p->files[i].name,
					   p->files[i].deleted ? "deleted"
							       : "NOT DELETED (see below)");
	if (p->n_files)
		r = talloc_asprintf_append(r, "\n");
	r = talloc_asprintf_append(
	    r,
	    "Not disposed by this command:" NEVER_DISPOSED ".\n\n"
	    "The content of each record counted above was removed. Its tombstone in the\n"
	    "archive keeps its class, id, date and the SHA-256 of its content, so that\n"
	    "`chaperone records verify` still proves the archive intact. This certificate's\n"
	    "record in the archive is disposal %" PRId64 ".\n\n"
	    "Archive head after the disposal (keep it; `chaperone records verify --anchor`):\n"
	    "%s\n",
	    p->disposal_id, anchor);
	return r;
}

/* Ask on the terminal. true only for "yes". */
static bool confirm(int64_t n)
{
	char line[32];

	if (!isatty(STDIN_FILENO))
		return false;
	printf("Dispose of these %" PRId64 " record%s for good? Type yes to confirm: ", n,
	       n == 1 ? "" : "s");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	return !strcmp(line, "yes");
}

struct dispose_opts {
	const char *db, *as, *authorization, *certificate;
	bool dry_run, list, yes;
};

/* A new file for the certificate, owner-only; -1 (said why) when it cannot be made. */
static int open_certificate(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0 || fchmod(fd, 0600) < 0) {
		cli_err("records dispose", "%s: %s (nothing was disposed)", path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		return -1;
	}
	return fd;
}

/* The whole certificate onto the disk; -1 (errno) when it did not get there. */
static int write_certificate(int fd, const char *cert)
{
	size_t len = strlen(cert), off = 0;

	while (off < len) {
		ssize_t w = write(fd, cert + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		off += (size_t)w;
	}
	return fsync(fd);
}

static int do_dispose(struct store *s, void *ctx, const struct dispose_opts *o)
{
	struct disposal_who who = {.operator= cli_actor(ctx, o->as),
				   .os_user = access_os_user(),
				   .recordings_dir = rec_call_recordings_dir(ctx, store_path(s))};
	struct disposal_plan *p;
	char err[512];
	int fd = -1, rc = CLI_EXIT_OK;
	char *cert;

	if (o->dry_run) {
		if (disposal_dry_run(s, ctx, store_now_ms(), &who, o->list, &p, err, sizeof(err)) <
		    0) {
			cli_err("records dispose", "%s", err);
			return CLI_EXIT_INPUT;
		}
		print_plan(ctx, p, o->list);
		return CLI_EXIT_OK;
	}
	if (!o->yes && !isatty(STDIN_FILENO)) {
		cli_err("records dispose",
			"not on a terminal: add --yes to confirm (nothing was disposed)");
		return CLI_EXIT_USAGE;
	}
	/* The certificate's file first: a disposal must not happen without it. */
	if (o->certificate && (fd = open_certificate(o->certificate)) < 0)
		return CLI_EXIT_INPUT;
	if (!o->yes) {
		if (disposal_dry_run(s, ctx, store_now_ms(), &who, false, &p, err, sizeof(err)) <
		    0) {
			cli_err("records dispose", "%s", err);
			rc = CLI_EXIT_INPUT;
			goto out_unlink;
		}
		print_plan(ctx, p, false);
		if (!p->total) {
			printf("Nothing to dispose of.\n");
			goto out_unlink;
		}
		if (!confirm(p->total)) {
			printf("Not confirmed: nothing was disposed.\n");
			rc = CLI_EXIT_INPUT;
			goto out_unlink;
		}
	}
	struct cli_progress prog;
	who.progress = cli_progress_start(&prog, "records dispose");
	rc = disposal_run(s, ctx, store_now_ms(), &who, o->authorization, &p, err, sizeof(err));
	cli_progress_end(&prog);
	if (rc < 0) {
		cli_err("records dispose", "%s", err);
		rc = CLI_EXIT_INPUT;
		goto out_unlink;
	}
	if (!p->total) {
		printf("Nothing is past retention and not held: nothing was disposed.\n");
		fputs(holds_text(ctx, p), stdout);
		goto out_unlink;
	}
	cert = certificate(ctx, s, p, who.operator, who.os_user, o->authorization);
	if (!cert) {
		cli_err("records dispose",
			"disposal %" PRId64
			" was recorded, but the archive head cannot be read: %s",
			p->disposal_id, store_errmsg(s));
		rc = CLI_EXIT_DB;
		goto out_close;
	}
	fputs(cert, stdout);
	for (size_t i = 0; i < p->n_files; i++)
		if (!p->files[i].deleted)
			cli_err("records dispose",
				"recording %s was disposed of but its file could not be deleted"
				" from %s: %s (delete it by hand)",
				p->files[i].name, who.recordings_dir, strerror(-p->files[i].err));
	if (fd >= 0 && write_certificate(fd, cert) < 0) {
		cli_err("records dispose",
			"%s: %s (disposal %" PRId64
			" is recorded; the certificate is printed above)",
			o->certificate, strerror(errno), p->disposal_id);
		rc = CLI_EXIT_INPUT;
	}
out_close:
	if (fd >= 0)
		close(fd);
	return rc;
out_unlink:
	if (fd >= 0) {
		close(fd);
		unlink(o->certificate);
	}
	return rc;
}

int cli_records_dispose(int argc, char **argv)
{
	enum { O_DB = 256, O_AS, O_DRY, O_LIST, O_AUTH, O_CERT, O_YES };
	static const struct option opts[] = {
	    {"db", required_argument, NULL, O_DB},
	    {"as", required_argument, NULL, O_AS},
	    {"dry-run", no_argument, NULL, O_DRY},
	    {"list", no_argument, NULL, O_LIST},
	    {"authorization", required_argument, NULL, O_AUTH},
	    {"certificate", required_argument, NULL, O_CERT},
	    {"yes", no_argument, NULL, O_YES},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct dispose_opts o = {0};
	struct store *s;
	void *ctx;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_DB:
			o.db = optarg;
			break;
		case O_AS:
			o.as = optarg;
			break;
		case O_DRY:
			o.dry_run = true;
			break;
		case O_LIST:
			o.list = true;
			break;
		case O_AUTH:
			o.authorization = optarg;
			break;
		case O_CERT:
			o.certificate = optarg;
			break;
		case O_YES:
			o.yes = true;
			break;
		case 'h':
			dispose_usage(stdout);
			return CLI_EXIT_OK;
		default:
			dispose_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_err("records dispose", "unexpected '%s'", argv[optind]);
		dispose_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (o.dry_run && (o.authorization || o.certificate || o.yes)) {
		cli_err("records dispose", "--dry-run disposes of nothing: it takes no "
					   "--authorization, --certificate or --yes");
		return CLI_EXIT_USAGE;
	}
	if (!o.dry_run && o.list) {
		cli_err("records dispose", "--list goes with --dry-run");
		return CLI_EXIT_USAGE;
	}
	if (!o.dry_run && !o.authorization) {
		cli_err("records dispose", "give --authorization TEXT (the approval the disposal "
					   "rests on), or --dry-run to see what it would remove");
		dispose_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	ctx = talloc_named_const(NULL, 0, "chaperone records dispose");
	s = cli_open_archive(ctx, o.db);
	if (!s) {
		talloc_free(ctx);
		return CLI_EXIT_DB;
	}
	rc = do_dispose(s, ctx, &o);
	talloc_free(ctx);
	return rc;
}
