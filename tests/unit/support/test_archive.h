/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* A temporary archive for the records tests: a fresh SQLite file through store_open()
 * in a directory of its own, optionally holding the sample district
 * (tests/fixtures/district), and its removal. Failures fail the running test. */
#pragma once

#include "storage/archive/store.h"

#define TEST_ARCHIVE_DIR  64
#define TEST_ARCHIVE_PATH 96

/* /tmp/NAME-XXXXXX/chaperone.db; dir and path receive the names. */
struct store *test_archive_open(void *ctx, const char *name, char dir[TEST_ARCHIVE_DIR],
				char path[TEST_ARCHIVE_PATH]);
/* roster import of the sample district, as `chaperone roster import` does it. */
void test_archive_import_district(void *ctx, struct store *s);
/* Close the store (may be NULL: already closed) and remove the directory. */
void test_archive_remove(struct store *s, const char *dir);
