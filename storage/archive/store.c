/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Opening the archive database: permissions, pragmas, migrations, statement cache. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <talloc.h>

#include "storage/archive/chain.h"
#include "storage/archive/migrations.h"
#include "storage/archive/store.h"

#define STMT_CACHE 256

struct stmt_slot {
	const char *key;
	sqlite3_stmt *st;
};

struct store {
	sqlite3 *db;
	char *path;
	int depth; /* store_begin nesting */
	int64_t data_version;
	struct stmt_slot cache[STMT_CACHE];
	unsigned n_cache;
	/* An error found in what SQLite returned (store_set_error), shown by store_errmsg
	 * until the next statement. */
	char err[256];
};

/* Create the file ourselves so that it is 0600 from its first byte: SQLite would create
 * it with the process umask (often 0644), and records must never be world-readable. The
 * -wal and -shm files SQLite creates take the main file's permissions. */
static int create_private(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	struct stat st;
	mode_t mode = 0600;

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* Keep the group read that chaperoned's `file-group` gave (storage/archive/file_access.h);
	 * everything else is narrowed. */
	if (fstat(fd, &st) == 0 && (st.st_mode & 0040))
		mode = 0640;
	if (fchmod(fd, mode) < 0) {
		snprintf(err, errlen, "%s: chmod: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int store_destructor(struct store *s)
{
	for (unsigned i = 0; i < s->n_cache; i++)
		sqlite3_finalize(s->cache[i].st);
	s->n_cache = 0;
	if (s->db)
		sqlite3_close_v2(s->db);
	s->db = NULL;
	return 0;
}

struct store *store_open(void *ctx, const char *path, char *err, size_t errlen)
{
	struct store *s;

	if (create_private(path, err, errlen) < 0)
		return NULL;
	s = talloc_zero(ctx, struct store);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	talloc_set_destructor(s, store_destructor);
	s->path = talloc_strdup(s, path);
	/* One connection per process, never shared between threads: no per-call mutex. */
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
			 s->db ? sqlite3_errmsg(s->db) : "cannot open");
		talloc_free(s);
		return NULL;
	}
	sqlite3_busy_timeout(s->db, 10000);
	/* The chain's hashing functions, which the archive's triggers call on every insert. */
	if (chain_register_functions(s->db) < 0) {
		snprintf(err, errlen, "%s: cannot register the archive's hash functions", path);
		talloc_free(s);
		return NULL;
	}
	if (store_exec(s, "PRAGMA journal_mode=WAL") < 0 ||
	    store_exec(s, "PRAGMA synchronous=FULL") < 0 ||
	    /* Every record fires the chain's and the guards' triggers, so each statement
	     * keeps a statement journal: in memory, not a temporary file per statement. */
	    store_exec(s, "PRAGMA temp_store=MEMORY") < 0 ||
	    store_exec(s, "PRAGMA foreign_keys=ON") < 0) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
		talloc_free(s);
		return NULL;
	}
	if (store_migrate(s, err, errlen) < 0) {
		talloc_free(s);
		return NULL;
	}
	store_changed_elsewhere(s);
	return s;
}

/* 1 when the read-only connection db holds Chaperone's schema_migrations with the first
 * migration recorded; 0 when not (err); -1 when it cannot tell (err). */
static int probe_schema(sqlite3 *db, char *err, size_t errlen)
{
	static const char *const sql[] = {
	    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
	    /* Fails to prepare on another program's schema_migrations (Rails keeps one). */
	    "SELECT 1 FROM schema_migrations WHERE name = ?1",
	};
	int rc = 1;

	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]) && rc == 1; i++) {
		sqlite3_stmt *st = NULL;
		int code = sqlite3_prepare_v2(db, sql[i], -1, &st, NULL);

		if (code == SQLITE_OK) {
			sqlite3_bind_text(st, 1, store_migrations_directory[0].name, -1,
					  SQLITE_STATIC);
			code = sqlite3_step(st);
		}
		if (code == SQLITE_DONE || (i > 0 && code == SQLITE_ERROR)) {
			snprintf(err, errlen,
				 "it is an SQLite database without Chaperone's tables");
			rc = 0;
		} else if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) {
			snprintf(err, errlen, "it cannot be read as an SQLite database: %s",
				 sqlite3_errmsg(db));
			rc = 0;
		} else if (code != SQLITE_ROW) {
			snprintf(err, errlen, "%s", sqlite3_errmsg(db));
			rc = -1;
		}
		sqlite3_finalize(st);
	}
	return rc;
}

int store_probe(const char *path, char *err, size_t errlen)
{
	static const char magic[16] = "SQLite format 3"; /* and its NUL */
	char head[sizeof(magic)];
	struct stat st;
	sqlite3 *db = NULL;
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		snprintf(err, errlen, "%s",
			 S_ISREG(st.st_mode)   ? "it is empty (0 bytes)"
			 : S_ISDIR(st.st_mode) ? "it is a directory"
					       : "it is not a regular file");
		close(fd);
		return 0;
	}
	n = pread(fd, head, sizeof(head), 0);
	close(fd);
	if (n != (ssize_t)sizeof(head) || memcmp(head, magic, sizeof(magic))) {
		snprintf(err, errlen, "it is not an SQLite database");
		return 0;
	}
	/* Read-only: SQLite neither creates the schema nor writes a byte of the file. */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, 10000);
	rc = probe_schema(db, err, errlen);
	sqlite3_close(db);
	return rc;
}

void store_close(struct store *s)
{
	talloc_free(s);
}

sqlite3 *store_db(struct store *s)
{
	return s->db;
}

const char *store_path(const struct store *s)
{
	return s->path;
}

const char *store_errmsg(struct store *s)
{
	return s->err[0] ? s->err : sqlite3_errmsg(s->db);
}

void store_set_error(struct store *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
}

int store_exec(struct store *s, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);

	sqlite3_free(msg);
	return rc == SQLITE_OK ? 0 : -1;
}

/* A ROLLBACK is how a failure ends: if it fails too there is nothing left to do here
 * (a transaction left open makes every later store_begin fail, which its callers handle). */
static void rollback_now(struct store *s)
{
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int store_begin(struct store *s)
{
	if (s->depth++ > 0)
		return 0;
	if (store_exec(s, "BEGIN IMMEDIATE") < 0) {
		s->depth = 0;
		return -1;
	}
	return 0;
}

int store_commit(struct store *s)
{
	if (s->depth <= 0)
		return -1;
	if (--s->depth > 0)
		return 0;
	if (store_exec(s, "COMMIT") < 0) {
		rollback_now(s);
		return -1;
	}
	return 0;
}

void store_rollback(struct store *s)
{
	if (s->depth <= 0)
		return;
	s->depth = 0;
	rollback_now(s);
}

sqlite3_stmt *store_stmt(struct store *s, const char *sql)
{
	unsigned i;
	sqlite3_stmt *st;

	s->err[0] = '\0';
	for (i = 0; i < s->n_cache; i++) {
		if (s->cache[i].key == sql) {
			st = s->cache[i].st;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	}
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
		return NULL;
	if (s->n_cache < STMT_CACHE) {
		s->cache[s->n_cache].key = sql;
		s->cache[s->n_cache].st = st;
		s->n_cache++;
	} else {
		/* Cache full: replace the oldest; callers never hold a statement across calls. */
		sqlite3_finalize(s->cache[0].st);
		memmove(&s->cache[0], &s->cache[1], (STMT_CACHE - 1) * sizeof(s->cache[0]));
		s->cache[STMT_CACHE - 1].key = sql;
		s->cache[STMT_CACHE - 1].st = st;
	}
	return st;
}

bool store_changed_elsewhere(struct store *s)
{
	sqlite3_stmt *st = store_stmt(s, "PRAGMA data_version");
	int64_t v;
	bool changed;

	if (!st || sqlite3_step(st) != SQLITE_ROW)
		return false;
	v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	changed = v != s->data_version;
	s->data_version = v;
	return changed;
}

int64_t store_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void store_format_time(char *out, size_t cap, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

void store_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

void store_bind_id(sqlite3_stmt *st, int i, int64_t id)
{
	if (id)
		sqlite3_bind_int64(st, i, id);
	else
		sqlite3_bind_null(st, i);
}
