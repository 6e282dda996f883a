/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* chaperone records verify|anchor: does the archive still hold, and its head to keep.
 *
 * verify walks the whole hash chain and every record table (storage/archive/chain.h) and names
 * the first record that was altered, inserted, removed or moved. With --anchor, it also
 * proves the archive still extends a head printed earlier by `records anchor`, which
 * catches even an edit followed by a rebuilt chain. Neither command adds a record:
 * they return no one's records, so there is no access to log. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <talloc.h>

#include "storage/archive/access_log.h"
#include "storage/archive/chain.h"
#include "storage/records/records_calls.h"
#include "gateway/cli/cli.h"
#include "gateway/cli/cli_db.h"
#include "gateway/cli/cli_records.h"

static void verify_usage(FILE *f)
{
	fprintf(f,
		"Usage: chaperone records verify [--anchor ANCHOR|FILE] [--db PATH]\n\n"
		"Walks the archive's whole hash chain and every record, and reports the first\n"
		"record that was altered, inserted, removed or moved, with its id.\n"
		"--anchor takes an anchor line printed by `chaperone records anchor` (or a file\n"
		"holding one, such as a saved e-mail) and also proves the archive still extends\n"
		"it. Exit status: 0 the archive holds, %d it does not, 1 or 2 on other errors.\n",
		CLI_EXIT_TAMPERED);
}

/* An anchor given on the command line, or the first anchor line in a file. */
static int read_anchor(const char *arg, struct chain_head *h)
{
	FILE *f;
	char line[1024];
	int rc = -1;

	if (chain_anchor_parse(arg, h) == 0)
		return 0;
	f = fopen(arg, "r");
	if (!f)
		return -1;
	while (rc < 0 && fgets(line, sizeof(line), f))
		rc = chain_anchor_parse(line, h);
	fclose(f);
	return rc;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void bad_recording(int64_t call_id, const char *path, int err, void *data)
{
	unsigned *bad = data;

	(*bad)++;
	printf("Call %" PRId64 ": recording %s %s.\n", call_id, path,
	       err == -ENOENT	 ? "is missing"
	       : err == -EBADMSG ? "does not match its hash in the archive"
				 : "cannot be read");
}

/* Every call recording re-hashed: 0 when all match, 1 when one does not. */
static int verify_recordings(void *ctx, struct store *s, const char *db)
{
	char *dir = rec_call_recordings_dir(ctx, store_path(s));
	unsigned bad = 0;
	long n = rec_call_recordings_verify(s, dir, bad_recording, &bad);

	(void)db;
	if (n < 0) {
		cli_err("records verify", "cannot read the call recordings: %s", store_errmsg(s));
		return 1;
	}
	if (n)
		printf("Call recordings: %ld re-hashed, %u not as recorded.\n", n, bad);
	if (bad)
		printf("THE ARCHIVE DOES NOT HOLD: a call recording changed or went missing.\n");
	return bad ? 1 : 0;
}

int cli_records_verify(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"anchor", required_argument, NULL, 'a'},
	    {"db", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *anchor_arg = NULL;
	struct chain_head anchor;
	struct chain_report r;
	struct timespec t0;
	struct store *s;
	char err[256], hex[2 * CHAIN_HASH_LEN + 1];
	void *ctx;
	double secs;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			anchor_arg = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 'h':
			verify_usage(stdout);
			return CLI_EXIT_OK;
		default:
			verify_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		verify_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (anchor_arg && read_anchor(anchor_arg, &anchor) < 0) {
		cli_err("records verify",
			"'%s' is not an anchor (chaperone-anchor:v1:...) nor a file holding one",
			anchor_arg);
		return CLI_EXIT_USAGE;
	}
	ctx = talloc_named_const(NULL, 0, "records verify");
	s = cli_open_archive(ctx, db);
	if (!s) {
		talloc_free(ctx);
		return CLI_EXIT_DB;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = chain_verify(s, anchor_arg ? &anchor : NULL, &r, err, sizeof(err));
	secs = seconds_since(&t0);
	if (rc < 0) {
		cli_err("records verify", "%s", err);
		talloc_free(ctx);
		return CLI_EXIT_INPUT;
	}
	chain_hex(r.head.hash, CHAIN_HASH_LEN, hex);
	if (rc == 0) {
		printf("The archive holds: %" PRId64 " records chained, %" PRId64
		       " of them disposed (verified through their tombstones).\n"
		       "Head: record %" PRId64 ", %s\n",
		       r.records, r.disposed, r.head.seq, hex);
		if (anchor_arg)
			printf("It extends the anchor taken at record %" PRId64 ".\n", anchor.seq);
	} else {
		printf("THE ARCHIVE DOES NOT HOLD.\n"
		       "First problem: %s %" PRId64 " — %s: %s.\n",
		       r.cls, r.ref_id, chain_fault_name(r.fault), r.detail);
		if (r.seq)
			printf("Chain position: %" PRId64 "\n", r.seq);
		else
			printf("Chain position: none (the chain never recorded it)\n");
		printf("Problems in all: %u. Records walked: %" PRId64 ".\n", r.faults, r.records);
	}
	fprintf(stderr, "verified %" PRId64 " records in %.2f s (%.0f records/s)\n", r.records,
		secs, secs > 0 ? (double)r.records / secs : 0.0);
	/* The recordings' hashes are in the chain; the files are checked against them. */
	if (verify_recordings(ctx, s, db) != 0)
		rc = 1;
	talloc_free(ctx);
	return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_TAMPERED;
}

static void anchor_usage(FILE *f)
{
	fprintf(f, "Usage: chaperone records anchor [--as NAME] [--db PATH]\n\n"
		   "Prints the archive's head (how many records, and the hash that closes over\n"
		   "all of them) as an anchor line to keep outside this machine: print it, or\n"
		   "e-mail it to the clerk. `chaperone records verify --anchor LINE` later proves\n"
		   "that the archive still extends it. The anchor is recorded in the access log\n"
		   "(action \"anchor\", by NAME or your account); chaperoned texts its alert\n"
		   "contacts when none was taken for `alert anchor-overdue` days.\n");
}

int cli_records_anchor(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"as", required_argument, NULL, 'a'},
	    {"db", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *as = NULL;
	struct access_entry e = {0};
	struct chain_head h;
	struct store *s;
	char line[CHAIN_ANCHOR_LEN], at[40], hex[2 * CHAIN_HASH_LEN + 1];
	void *ctx;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			as = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 'h':
			anchor_usage(stdout);
			return CLI_EXIT_OK;
		default:
			anchor_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		anchor_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	ctx = talloc_named_const(NULL, 0, "records anchor");
	s = cli_open_archive(ctx, db);
	if (!s) {
		talloc_free(ctx);
		return CLI_EXIT_DB;
	}
	/* The head and the access row in one transaction: nothing is chained in between,
	 * so the line recorded is the head it was taken of (the row itself comes after). */
	if (store_begin(s) < 0 || chain_head(s, &h) < 0) {
		store_rollback(s);
		cli_err("records anchor",
			"the archive has no chain head (not a Chaperone archive?)");
		talloc_free(ctx);
		return CLI_EXIT_INPUT;
	}
	chain_anchor_format(&h, line, sizeof(line));
	e.at = store_now_ms();
	e.operator= cli_actor(ctx, as);
	e.action = "anchor";
	e.results = -1;
	e.detail = line;
	if (access_log_add(s, &e) < 0 || store_commit(s) < 0) {
		cli_err("records anchor", "cannot record the anchor: %s", store_errmsg(s));
		store_rollback(s);
		talloc_free(ctx);
		return CLI_EXIT_DB;
	}
	store_format_time(at, sizeof(at), e.at);
	chain_hex(h.hash, CHAIN_HASH_LEN, hex);
	printf("Chaperone archive anchor\n"
	       "Taken:   %s by %s\n"
	       "Archive: %s\n"
	       "Records: %" PRId64 "\n"
	       "Head:    %s\n\n"
	       "%s\n\n"
	       "Keep this outside the machine. To check later:\n"
	       "  chaperone records verify --anchor %s\n",
	       at, e.operator, store_path(s), h.seq, hex, line, line);
	talloc_free(ctx);
	return CLI_EXIT_OK;
}
