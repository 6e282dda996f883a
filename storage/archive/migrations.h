/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Schema migrations: named steps, each applied once, in order.
 *
 * Each concern of storage/ keeps its tables in its own list (schema_directory.c,
 * schema_records.c); the runner applies the lists in the order below, so records may
 * reference the directory's tables. A migration, once shipped, is never edited: changes
 * are new entries appended to the list. */
#pragma once

#include <stddef.h>

struct store;

struct store_migration {
	const char *name; /* "directory-1", unique across all lists */
	const char *sql;  /* one or more statements */
	/* Optional: run after sql, in the same transaction (data the SQL cannot move). */
	int (*after)(struct store *s, char *err, size_t errlen);
};

/* Each list ends with a {NULL, NULL} entry. */
extern const struct store_migration store_migrations_directory[];
extern const struct store_migration store_migrations_records[];
extern const struct store_migration store_migrations_archive[];

/* Apply what is missing. Returns 0, or -1 with a message in err. */
int store_migrate(struct store *s, char *err, size_t errlen);
