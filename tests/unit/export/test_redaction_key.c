/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The redaction key file (storage/export/redaction_key.h): made 0600 and never
 * replaced; read only when it is this account's own and nobody else's to read; a
 * malformed file is an error naming its line; the id names a key without revealing
 * it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "storage/export/redaction_key.h"

struct env {
	char dir[64], path[128];
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	snprintf(e->dir, sizeof(e->dir), "/tmp/chaperone-key-XXXXXX");
	if (!mkdtemp(e->dir))
		return -1;
	snprintf(e->path, sizeof(e->path), "%s/redaction.key", e->dir);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	if (system(cmd) != 0)
		return -1;
	free(e);
	return 0;
}

static void spit(const char *path, const char *text, mode_t mode)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_create_and_load(void **state)
{
	struct env *e = *state;
	uint8_t a[REDACTION_KEY_LEN], b[REDACTION_KEY_LEN];
	char err[512], id[REDACTION_KEY_ID_LEN];
	struct stat st;

	assert_int_equal(redaction_key_create(e->path, err, sizeof(err)), 0);
	assert_int_equal(stat(e->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(redaction_key_load(e->path, a, err, sizeof(err)), 0);
	/* Never replaced. */
	assert_int_equal(redaction_key_create(e->path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "never replaced"));
	assert_int_equal(redaction_key_load(e->path, b, err, sizeof(err)), 0);
	assert_memory_equal(a, b, sizeof(a));
	redaction_key_id(a, id);
	assert_int_equal(strlen(id), 16);
}

static void test_refusals(void **state)
{
	struct env *e = *state;
	uint8_t k[REDACTION_KEY_LEN];
	char err[512];
	static const char good[] =
	    "# a comment\n0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n";

	spit(e->path, good, 0600);
	assert_int_equal(redaction_key_load(e->path, k, err, sizeof(err)), 0);
	assert_int_equal(k[0], 0x01);
	/* Readable by others: a key that protects nothing. */
	spit(e->path, good, 0644);
	assert_int_equal(redaction_key_load(e->path, k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "chmod 600"));
	/* A typo, a second key, no key. */
	spit(e->path, "# key\n0123456789abcdef0123\n", 0600);
	assert_int_equal(redaction_key_load(e->path, k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "line 2: not a key"));
	spit(e->path,
	     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
	     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
	     0600);
	assert_int_equal(redaction_key_load(e->path, k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "line 2: a second key"));
	spit(e->path, "# nothing\n", 0600);
	assert_int_equal(redaction_key_load(e->path, k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "holds no key"));
	/* Missing: the message says how to make one. A FIFO: refused, not waited on. */
	unlink(e->path);
	assert_int_equal(redaction_key_load(e->path, k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "chaperone records key-new"));
	assert_int_equal(mkfifo(e->path, 0600), 0);
	assert_int_equal(redaction_key_load(e->path, k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_and_load, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
