/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Applying the named migrations of each storage/ concern, once each, in order. */
#include <stdio.h>
#include <string.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "storage/archive/migrations.h"
#include "storage/archive/store.h"

static const struct store_migration *const lists[] = {
    store_migrations_directory,
    store_migrations_records,
    store_migrations_archive,
};

static bool applied(struct store *s, const char *name)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT 1 FROM schema_migrations WHERE name = ?1");
	bool yes;

	store_bind_text(st, 1, name);
	yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return yes;
}

static bool known(const char *name)
{
	for (size_t l = 0; l < ARRAY_SIZE(lists); l++)
		for (const struct store_migration *m = lists[l]; m->name; m++)
			if (!strcmp(m->name, name))
				return true;
	return false;
}

static int apply_all(struct store *s, char *err, size_t errlen);

int store_migrate(struct store *s, char *err, size_t errlen)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st;
	int rc = 0;

	if (store_exec(s, "CREATE TABLE IF NOT EXISTS schema_migrations ("
			  " name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)") < 0) {
		snprintf(err, errlen, "schema_migrations: %s", sqlite3_errmsg(db));
		return -1;
	}
	/* Refuse a database written by a newer Chaperone rather than guess at its schema. */
	if (sqlite3_prepare_v2(db, "SELECT name FROM schema_migrations", -1, &st, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "schema_migrations: %s", sqlite3_errmsg(db));
		return -1;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		if (!known(name)) {
			snprintf(err, errlen,
				 "database has migration '%s' this version does not know "
				 "(written by a newer Chaperone?)",
				 name);
			rc = -1;
			break;
		}
	}
	sqlite3_finalize(st);
	if (rc < 0)
		return -1;

	/* A migration may rebuild a table other tables reference (SQLite cannot change a
	 * CHECK in place): foreign keys are off while migrations run, as SQLite's own
	 * procedure for table changes says, and checked in full before each commits. */
	if (store_exec(s, "PRAGMA foreign_keys=OFF") < 0) {
		snprintf(err, errlen, "foreign keys: %s", sqlite3_errmsg(db));
		return -1;
	}
	rc = apply_all(s, err, errlen);
	if (store_exec(s, "PRAGMA foreign_keys=ON") < 0 && !rc) {
		snprintf(err, errlen, "foreign keys: %s", sqlite3_errmsg(db));
		return -1;
	}
	return rc;
}

/* A migration broke no reference: 0, else -1 with err set. */
static int keys_hold(struct store *s, const char *name, char *err, size_t errlen)
{
	sqlite3_stmt *st = store_stmt(s, "PRAGMA foreign_key_check");
	int rc;

	if (!st) {
		snprintf(err, errlen, "migration %s: %s", name, sqlite3_errmsg(store_db(s)));
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(err, errlen, "migration %s: table %s refers to a missing %s row", name,
			 (const char *)sqlite3_column_text(st, 0),
			 (const char *)sqlite3_column_text(st, 2));
	else if (rc != SQLITE_DONE)
		snprintf(err, errlen, "migration %s: %s", name, sqlite3_errmsg(store_db(s)));
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int apply_all(struct store *s, char *err, size_t errlen)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st;

	for (size_t l = 0; l < ARRAY_SIZE(lists); l++) {
		for (const struct store_migration *m = lists[l]; m->name; m++) {
			if (applied(s, m->name))
				continue;
			if (store_begin(s) < 0 || store_exec(s, m->sql) < 0) {
				snprintf(err, errlen, "migration %s: %s", m->name,
					 sqlite3_errmsg(db));
				store_rollback(s);
				return -1;
			}
			if ((m->after && m->after(s, err, errlen) < 0) ||
			    keys_hold(s, m->name, err, errlen) < 0) {
				store_rollback(s);
				return -1;
			}
			st = store_stmt(s, "INSERT INTO schema_migrations(name, applied_at) "
					   "VALUES (?1, ?2)");
			store_bind_text(st, 1, m->name);
			sqlite3_bind_int64(st, 2, store_now_ms());
			if (sqlite3_step(st) != SQLITE_DONE || store_commit(s) < 0) {
				snprintf(err, errlen, "migration %s: %s", m->name,
					 sqlite3_errmsg(db));
				store_rollback(s);
				return -1;
			}
		}
	}
	return 0;
}
