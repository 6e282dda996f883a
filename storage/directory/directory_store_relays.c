/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The relay numbers in the directory's store: ensured (added, or relabelled) by the
 * daemon for each configured modem, listed, and read by id. */
#include <stddef.h>

#include <talloc.h>

#include "storage/directory/directory_store_internal.h"

int store_relay_ensure(struct store *s, const char *number, const char *label, int64_t *id)
{
	return store_relay_ensure_as(s, "chaperoned", number, label, id);
}

int store_relay_ensure_as(struct store *s, const char *actor, const char *number, const char *label,
			  int64_t *id)
{
	sqlite3_stmt *st;
	int64_t found = 0;
	char *old_label = NULL;
	int rc = 0;
	void *tmp = talloc_new(NULL);

	if (begin(s) < 0) {
		talloc_free(tmp);
		return -1;
	}
	st = store_stmt(s, "SELECT id, label FROM relays WHERE number = ?1");
	if (!st) {
		rc = -1;
		goto out;
	}
	store_bind_text(st, 1, number);
	if (sqlite3_step(st) == SQLITE_ROW) {
		found = sqlite3_column_int64(st, 0);
		old_label = (char *)col_text(tmp, st, 1);
	}
	sqlite3_reset(st);
	if (!found) {
		st = store_stmt(s, "INSERT INTO relays(number, label) VALUES (?1, ?2)");
		if (!st) {
			rc = -1;
			goto out;
		}
		store_bind_text(st, 1, number);
		store_bind_text(st, 2, label && *label ? label : NULL);
		if (step_done(st) < 0) {
			rc = -1;
			goto out;
		}
		found = sqlite3_last_insert_rowid(store_db(s));
		rc = store_directory_change(
		    s, actor, "relay.add", talloc_asprintf(tmp, "relay:%s", number),
		    label && *label ? talloc_asprintf(tmp, "label %s", label) : NULL);
	} else if (label && *label && !str_eq(label, old_label)) {
		st = store_stmt(s, "UPDATE relays SET label = ?2 WHERE id = ?1");
		if (!st) {
			rc = -1;
			goto out;
		}
		sqlite3_bind_int64(st, 1, found);
		store_bind_text(st, 2, label);
		rc = step_done(st);
		if (rc == 0)
			rc = store_directory_change(
			    s, actor, "relay.update", talloc_asprintf(tmp, "relay:%s", number),
			    talloc_asprintf(tmp, "label %s -> %s", or_none(old_label), label));
	}
out:
	rc = finish(s, rc);
	if (rc == 0 && id)
		*id = found;
	talloc_free(tmp);
	return rc;
}

static void read_relay(void *ctx, sqlite3_stmt *st, struct store_relay *r)
{
	r->id = sqlite3_column_int64(st, 0);
	r->number = col_text(ctx, st, 1);
	r->label = col_text(ctx, st, 2);
}

int store_relays_list(struct store *s, void *ctx, struct store_relay **out, size_t *n)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT id, number, label FROM relays ORDER BY id");
	int rc;

	*out = NULL;
	*n = 0;
	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_relay *r = APPEND(ctx, out, *n, struct store_relay);
		if (!r)
			break;
		read_relay(*out, st, r);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_relay_by_id(struct store *s, void *ctx, int64_t id, struct store_relay *out)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT id, number, label FROM relays WHERE id = ?1");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_relay(ctx, st, out);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}
