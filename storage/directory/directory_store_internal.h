/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* What the files of the directory's store share: private to storage/directory/
 * (directory_store.h is the API; nothing outside this folder includes this).
 *
 *   directory_store.c             the words stored, the change log, and what a change
 *                                 says about the rows it names
 *   directory_store_relays.c      relay numbers
 *   directory_store_persons.c     persons
 *   directory_store_teams.c       teams and their subgroups
 *   directory_store_links.c       guardianships, team members, overseers, subgroup members
 *   directory_store_exceptions.c  exceptions
 *   directory_store_load.c        the in-memory directory, built from all of them
 *
 * A change function runs its change and its change-log entry as one transaction:
 * begin(), the change, store_directory_change(), then finish(). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <talloc.h>

#include "storage/directory/directory_store.h"

/* ---- Reading and writing rows ---- */

/* A text column copied under ctx; NULL when the column is NULL. */
static inline const char *col_text(void *ctx, sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? talloc_strdup(ctx, (const char *)t) : NULL;
}

/* Equal strings, or both NULL. */
static inline bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

/* A value for the change log: "none" when NULL or empty. */
static inline const char *or_none(const char *s)
{
	return s && *s ? s : "none";
}

/* Step a statement that returns no rows; leaves it reset. */
static inline int step_done(sqlite3_stmt *st)
{
	int rc;

	if (!st)
		return -1;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* One more element at the end of a talloc array (zeroed); NULL when out of memory. The
 * array doubles when full: growing by one was quadratic (under ASan's allocator, which
 * copies on every realloc, an export's directory of 32,000 persons took minutes). */
#define APPEND(ctx, arr, n, type)                                                                  \
	({                                                                                         \
		type *_a = *(arr);                                                                 \
		if (!_a || talloc_get_size(_a) < ((n) + 1) * sizeof(type))                         \
			_a = talloc_realloc(ctx, *(arr), type, (n) < 8 ? 16 : 2 * (n));            \
		if (_a) {                                                                          \
			*(arr) = _a;                                                               \
			memset(&_a[(n)], 0, sizeof(type));                                         \
		}                                                                                  \
		_a ? &_a[(n)++] : NULL;                                                            \
	})

/* Begin one change and its change-log entry as one transaction (nested in the caller's,
 * if any). */
static inline int begin(struct store *s)
{
	return store_begin(s);
}

/* End it: roll back when rc < 0, else commit; rc, or -1 when the commit failed. */
static inline int finish(struct store *s, int rc)
{
	if (rc < 0) {
		store_rollback(s);
		return rc;
	}
	if (store_commit(s) < 0)
		return -1;
	return rc;
}

/* ---- Words, and what the change log says (directory_store.c) ---- */

/* The kind an exceptions.kind word stands for: 0, or -1 when it names none. */
int dstore_exception_kind_from_word(const char *s, enum dir_exception_kind *out);

/* The inactive_reason word of a person or team: NULL when active, "manual" when
 * deactivated by hand, "source" when gone from the roster. */
const char *dstore_inactive_word(bool active, bool manual);

/* How the change log names a person (their handle), a team (its tag) and a subgroup
 * ("TAG.NAME"), allocated under ctx; "#ID" when the row is not there. */
char *dstore_person_name(struct store *s, void *ctx, int64_t id);
char *dstore_team_name(struct store *s, void *ctx, int64_t id);
char *dstore_subgroup_name(struct store *s, void *ctx, int64_t id);

/* Append "what old -> new" to a change's detail ("; " between fields) when a and b
 * differ. */
void dstore_diff_field(char **detail, const char *what, const char *a, const char *b);
