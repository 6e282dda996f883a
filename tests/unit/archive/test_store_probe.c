/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* store_probe() (storage/archive/store.c) against real files: an archive, open or closed,
 * is one; an empty file, a text file, another program's SQLite database and a directory
 * are not, each said so; a missing file cannot be read. Probing changes nothing: the
 * foreign database keeps its bytes, its mtime and its one table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <talloc.h>

#include "storage/archive/store.h"
#include "tests/unit/support/test_archive.h"

struct env {
	char dir[TEST_ARCHIVE_DIR], path[TEST_ARCHIVE_PATH], other[TEST_ARCHIVE_PATH + 16];
	void *ctx;
	struct store *s;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	e->ctx = talloc_new(NULL);
	e->s = test_archive_open(e->ctx, "chaperone-probe", e->dir, e->path);
	snprintf(e->other, sizeof(e->other), "%s/other", e->dir);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	test_archive_remove(e->s, e->dir);
	talloc_free(e->ctx);
	free(e);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* store_probe's answer for path, and err containing want (when given). */
static void probe_says(const char *path, int rc, const char *want)
{
	char err[512] = "";

	assert_int_equal(store_probe(path, err, sizeof(err)), rc);
	if (want && !strstr(err, want))
		fail_msg("%s: '%s', not '%s'", path, err, want);
}

static void test_an_archive_is_one(void **state)
{
	struct env *e = *state;

	probe_says(e->path, 1, NULL); /* open, in WAL mode */
	store_close(e->s);
	e->s = NULL;
	probe_says(e->path, 1, NULL);
}

static void test_what_is_not_an_archive(void **state)
{
	struct env *e = *state;

	write_file(e->other, "");
	probe_says(e->other, 0, "it is empty (0 bytes)");
	write_file(e->other, "HANDLE,ROLE\njamier,student\n");
	probe_says(e->other, 0, "it is not an SQLite database");
	write_file(e->other, "SQLite format 3"); /* cut short */
	probe_says(e->other, 0, "it is not an SQLite database");
	/* The whole magic, and nothing SQLite can read after it. */
	{
		static const char junk[512] = "SQLite format 3\0\xff\xff nonsense";
		FILE *f = fopen(e->other, "w");

		assert_non_null(f);
		assert_int_equal(fwrite(junk, 1, sizeof(junk), f), sizeof(junk));
		assert_int_equal(fclose(f), 0);
		probe_says(e->other, 0, "it cannot be read as an SQLite database");
	}
	probe_says(e->dir, 0, "it is a directory");
	unlink(e->other);
	probe_says(e->other, -1, "No such file or directory");
}

static void test_a_foreign_database_is_left_alone(void **state)
{
	struct env *e = *state;
	struct stat before, after;
	sqlite3 *db;
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_open(e->other, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "CREATE TABLE schema_migrations(version TEXT);"
				      " INSERT INTO schema_migrations VALUES ('20240101')",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(stat(e->other, &before), 0);

	/* A table of that name (Rails keeps one) is not enough: Chaperone's first
	 * migration must be recorded in it. */
	probe_says(e->other, 0, "it is an SQLite database without Chaperone's tables");

	assert_int_equal(stat(e->other, &after), 0);
	assert_int_equal(after.st_size, before.st_size);
	assert_int_equal(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
	assert_int_equal(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	assert_int_equal(after.st_mode, before.st_mode);
	assert_int_equal(sqlite3_open_v2(e->other, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_an_archive_is_one, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_what_is_not_an_archive, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_foreign_database_is_left_alone, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
