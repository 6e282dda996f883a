/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The records tests' temporary archives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "gateway/roster/roster.h"
#include "tests/unit/support/test_archive.h"

struct store *test_archive_open(void *ctx, const char *name, char dir[TEST_ARCHIVE_DIR],
				char path[TEST_ARCHIVE_PATH])
{
	struct store *s;
	char err[256];

	snprintf(dir, TEST_ARCHIVE_DIR, "/tmp/%s-XXXXXX", name);
	if (!mkdtemp(dir))
		fail_msg("mkdtemp %s failed", dir);
	snprintf(path, TEST_ARCHIVE_PATH, "%s/chaperone.db", dir);
	s = store_open(ctx, path, err, sizeof(err));
	if (!s)
		fail_msg("store_open: %s", err);
	return s;
}

void test_archive_import_district(void *ctx, struct store *s)
{
	struct roster_options opt = {.country_code = "1", .actor = "test"};
	struct roster_report *r;

	if (roster_import(ctx, s, FIXTURES "/district", &opt, &r) != ROSTER_OK)
		fail_msg("importing the sample district failed");
}

void test_archive_remove(struct store *s, const char *dir)
{
	char cmd[TEST_ARCHIVE_DIR + 16];

	store_close(s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}
