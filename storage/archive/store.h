/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The archive's database: one SQLite file, opened the one way Chaperone opens it.
 *
 * Promises:
 * - the file is created readable and writable by its owner only (0600), whatever the
 *   umask, and an existing file with wider permissions is narrowed to 0600 (0640 when
 *   chaperoned's `file-group` gave a group read access, storage/archive/file_access.h);
 * - WAL journal, synchronous=FULL (a commit survives power loss: "nothing lost"),
 *   foreign keys on, a busy timeout so the CLI and the daemon can share the file;
 * - the schema is brought up to date by named, ordered migrations (storage/archive/migrations.c)
 *   each applied once, in its own transaction, and recorded in schema_migrations;
 *   a database from a newer Chaperone (an unknown migration) is refused, not touched.
 *
 * SQL stays in storage/: the daemon, the CLI and (later) the records portal call the
 * functions of the storage/ headers, never sqlite3 directly. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/* On a function whose result says whether the archive took a write: a caller that
 * ignores it fails to build. A failed write must stop what depends on it (above all,
 * a send: nothing goes out that is not recorded first). */
#define CHAPERONE_MUST_CHECK __attribute__((warn_unused_result))

struct store;

/* Open (creating if need be) and migrate. NULL on failure, with a message in err. */
struct store *store_open(void *ctx, const char *path, char *err, size_t errlen);
/* Whether the file at path is a Chaperone archive, found by reading only: nothing is
 * created, and the file keeps its contents, size, mode and mtime. 1 it is; 0 it is not,
 * with why in err ("it is empty (0 bytes)", "it is not an SQLite database", "it is an
 * SQLite database without Chaperone's tables", ...); -1 it cannot be read (err). */
int store_probe(const char *path, char *err, size_t errlen);
void store_close(struct store *s);

/* The handle, for storage/ modules only. */
sqlite3 *store_db(struct store *s);
const char *store_path(const struct store *s);

/* Transactions. store_begin() takes the write lock at once (BEGIN IMMEDIATE) so that a
 * transaction never fails half-way for a lock. Nested calls are counted: only the
 * outermost commit commits, and a rollback at any depth rolls back the whole
 * transaction (the outer caller's commit then fails) — a record is all or nothing.
 * Return 0 or -1 (message via store_errmsg). */
CHAPERONE_MUST_CHECK int store_begin(struct store *s);
CHAPERONE_MUST_CHECK int store_commit(struct store *s);
void store_rollback(struct store *s);
const char *store_errmsg(struct store *s);
/* For storage/ modules: what was read is not what the schema allows (a word no enum has),
 * reported by store_errmsg until the next statement. */
void store_set_error(struct store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Run one statement with no result rows (for migrations and simple updates). */
CHAPERONE_MUST_CHECK int store_exec(struct store *s, const char *sql);

/* A cached prepared statement for `sql` (the pointer identity of the string literal is
 * the cache key, so pass literals). Reset and cleared, ready to bind. NULL on error.
 * Use it within one call: do not hold it across another store call, which may reset it
 * (or, once the cache is full, finalize it). Iterations that call back into the store
 * prepare their own statement. */
sqlite3_stmt *store_stmt(struct store *s, const char *sql);

/* Has another connection (the CLI, the daemon) committed since the last call? Cheap:
 * PRAGMA data_version. The daemon polls it to notice releases and directory edits. */
bool store_changed_elsewhere(struct store *s);

/* Milliseconds since the Unix epoch, UTC: how every time in the archive is stored. */
int64_t store_now_ms(void);
/* "2026-11-22T14:03:07.250Z" */
void store_format_time(char *out, size_t cap, int64_t ms);

/* Binding helpers: NULL strings bind as SQL NULL. */
void store_bind_text(sqlite3_stmt *st, int i, const char *s);
void store_bind_id(sqlite3_stmt *st, int i, int64_t id); /* 0 binds NULL */
