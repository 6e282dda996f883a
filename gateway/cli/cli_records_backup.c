/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* chaperone records backup --db PATH --out FILE: a copy of the archive taken while
 * chaperoned runs and writes to it.
 *
 * SQLite's VACUUM INTO reads the archive in one read transaction: the copy is the
 * archive as it was when the backup began, every record committed before then and
 * nothing half-written after, while the relay goes on (WAL: readers do not stop the
 * writer). The copy is written to FILE.partial (owner-only), fsynced, checked with
 * PRAGMA integrity_check, and only then renamed to FILE; FILE must not exist. `records
 * verify --db FILE` checks its chain like the live archive's. Call recordings are files
 * beside the archive (recordings/): back them up as files, after the archive. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>
#include <talloc.h>

#include "gateway/cli/cli.h"
#include "gateway/cli/cli_db.h"
#include "gateway/cli/cli_records.h"
#include "storage/archive/store.h"

#define CMD "records backup"

static void usage(FILE *f)
{
	fprintf(f, "Usage: chaperone records backup --db PATH --out FILE\n"
		   "A consistent copy of the archive, taken while chaperoned runs; FILE must not\n"
		   "exist. Check it with: chaperone records verify --db FILE\n");
}

/* The copy's own integrity, then fsync: 0, or -1 with the reason said. */
static int check_copy(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int ok = 0, fd;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		ok = !strcmp((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (!ok) {
		cli_err(CMD, "the copy %s failed SQLite's integrity check", path);
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		cli_err(CMD, "cannot make %s durable: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int cli_records_backup(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"out", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *out = NULL;
	char *partial, *sql;
	struct store *s;
	struct stat st;
	void *ctx;
	mode_t old;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc || !out || !*out) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (stat(out, &st) == 0 || errno != ENOENT) {
		cli_err(CMD, "%s exists already: a backup never overwrites a file", out);
		return CLI_EXIT_INPUT;
	}
	ctx = talloc_named_const(NULL, 0, CMD);
	s = cli_open_archive(ctx, db);
	if (!s) {
		talloc_free(ctx);
		return CLI_EXIT_DB;
	}
	partial = talloc_asprintf(ctx, "%s.partial", out);
	unlink(partial); /* a backup cut off before */
	sql = sqlite3_mprintf("VACUUM INTO %Q", partial);
	old = umask(077); /* records: owner-only */
	rc = sql ? sqlite3_exec(store_db(s), sql, NULL, NULL, NULL) : SQLITE_NOMEM;
	umask(old);
	sqlite3_free(sql);
	if (rc != SQLITE_OK) {
		cli_err(CMD, "cannot copy the archive to %s: %s", partial,
			sqlite3_errmsg(store_db(s)));
		unlink(partial);
		talloc_free(ctx);
		return CLI_EXIT_DB;
	}
	if (chmod(partial, 0600) < 0 || check_copy(partial) < 0 || rename(partial, out) < 0) {
		cli_err(CMD, "the copy was not kept: %s", strerror(errno));
		unlink(partial);
		talloc_free(ctx);
		return CLI_EXIT_DB;
	}
	printf("Backup of %s written to %s (mode 0600).\n"
	       "Check it with: chaperone records verify --db %s\n"
	       "Call recordings are files: copy %s after it.\n",
	       store_path(s), out, out, "the recordings/ directory beside the archive");
	talloc_free(ctx);
	return CLI_EXIT_OK;
}
