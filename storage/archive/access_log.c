/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The access log: appending accesses and their subjects, and listing them. */
#include <pwd.h>
#include <stdio.h>
#include <unistd.h>

#include "storage/archive/access_log.h"

const char *access_os_user(void)
{
	static char name[64];
	struct passwd *pw = getpwuid(geteuid());

	if (pw && pw->pw_name)
		snprintf(name, sizeof(name), "%s", pw->pw_name);
	else
		snprintf(name, sizeof(name), "uid %u", (unsigned)geteuid());
	return name;
}

int64_t access_log_add(struct store *s, const struct access_entry *a)
{
	sqlite3_stmt *st;
	int64_t id;

	if (store_begin(s) < 0)
		return -1;
	st = store_stmt(s, "INSERT INTO access_log(at, operator, os_user, action, query, results,"
			   " detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	if (!st)
		goto fail;
	sqlite3_bind_int64(st, 1, a->at ? a->at : store_now_ms());
	store_bind_text(st, 2, a->operator ? a->operator : access_os_user());
	store_bind_text(st, 3, a->os_user ? a->os_user : access_os_user());
	store_bind_text(st, 4, a->action);
	store_bind_text(st, 5, a->query_json);
	if (a->results >= 0)
		sqlite3_bind_int64(st, 6, a->results);
	store_bind_text(st, 7, a->detail);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	id = sqlite3_last_insert_rowid(store_db(s));
	for (size_t i = 0; i < a->n_subjects; i++) {
		st = store_stmt(
		    s, "INSERT INTO access_subjects(access_id, person_id) VALUES (?1, ?2)");
		if (!st)
			goto fail;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, a->subjects[i]);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
	}
	if (store_commit(s) < 0)
		return -1;
	return id;
fail:
	store_rollback(s);
	return -1;
}

/* The first column of the one row of sql, when not NULL: 1 and *at, 0, or -1. */
static int one_time(struct store *s, const char *sql, int64_t *at)
{
	sqlite3_stmt *st = store_stmt(s, sql);
	int rc;

	if (!st)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*at = sqlite3_column_int64(st, 0);
		rc = 1;
	} else {
		rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
	}
	sqlite3_reset(st);
	return rc;
}

int access_last_anchor(struct store *s, int64_t *at)
{
	return one_time(s,
			"SELECT max(at) FROM (SELECT max(at) AS at FROM access_log"
			" WHERE action = 'anchor' UNION ALL SELECT max(at) FROM disposals)",
			at);
}

int access_archive_began(struct store *s, int64_t *at)
{
	return one_time(s,
			"SELECT min(at) FROM (SELECT created_at AS at FROM archive"
			" UNION ALL SELECT min(at) FROM messages)",
			at);
}

int access_log_list(struct store *s, const struct access_filter *f,
		    void (*cb)(const struct access_row *row, void *data), void *data)
{
	sqlite3_stmt *st;
	int rc;

	/* Its own statement: the callback may call back into the store. */
	if (sqlite3_prepare_v2(
		store_db(s),
		"SELECT a.id, a.at, a.results, a.operator, a.os_user, a.action,"
		" a.query, a.detail,"
		" (SELECT count(*) FROM access_subjects x WHERE x.access_id = a.id)"
		" FROM access_log a"
		" WHERE (?1 IS NULL OR a.operator = ?1) AND (?2 IS NULL OR a.action = ?2)"
		" AND (?3 IS NULL OR EXISTS (SELECT 1 FROM access_subjects x"
		"  WHERE x.access_id = a.id AND x.person_id = ?3))"
		" AND (?4 IS NULL OR a.at >= ?4) AND (?5 IS NULL OR a.at < ?5)"
		" ORDER BY a.id LIMIT ?6",
		-1, &st, NULL) != SQLITE_OK)
		return -1;
	store_bind_text(st, 1, f->operator);
	store_bind_text(st, 2, f->action);
	store_bind_id(st, 3, f->person_id);
	store_bind_id(st, 4, f->since);
	store_bind_id(st, 5, f->until);
	sqlite3_bind_int64(st, 6, f->limit ? (int64_t)f->limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct access_row r = {
		    .id = sqlite3_column_int64(st, 0),
		    .at = sqlite3_column_int64(st, 1),
		    .results = sqlite3_column_type(st, 2) == SQLITE_NULL
				   ? -1
				   : sqlite3_column_int64(st, 2),
		    .operator=(const char *) sqlite3_column_text(st, 3),
		    .os_user = (const char *)sqlite3_column_text(st, 4),
		    .action = (const char *)sqlite3_column_text(st, 5),
		    .query_json = (const char *)sqlite3_column_text(st, 6),
		    .detail = (const char *)sqlite3_column_text(st, 7),
		    .n_subjects = (unsigned)sqlite3_column_int(st, 8),
		};
		cb(&r, data);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int access_disclosures_list(struct store *s, int64_t student_id,
			    void (*cb)(const struct disclosure_row *row, void *data), void *data)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(store_db(s),
			       "SELECT d.id, d.at, d.export_id, d.student_id, p.handle,"
			       " p.given || ' ' || p.family, e.request, e.requester, e.purpose,"
			       " e.operator, d.redacted"
			       " FROM disclosures d JOIN exports e ON e.id = d.export_id"
			       " JOIN persons p ON p.id = d.student_id"
			       " WHERE ?1 IS NULL OR d.student_id = ?1 ORDER BY d.id",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	store_bind_id(st, 1, student_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct disclosure_row r = {
		    .id = sqlite3_column_int64(st, 0),
		    .at = sqlite3_column_int64(st, 1),
		    .export_id = sqlite3_column_int64(st, 2),
		    .student_id = sqlite3_column_int64(st, 3),
		    .student_handle = (const char *)sqlite3_column_text(st, 4),
		    .student_name = (const char *)sqlite3_column_text(st, 5),
		    .request = (const char *)sqlite3_column_text(st, 6),
		    .requester = (const char *)sqlite3_column_text(st, 7),
		    .purpose = (const char *)sqlite3_column_text(st, 8),
		    .operator=(const char *) sqlite3_column_text(st, 9),
		    .redacted = sqlite3_column_int(st, 10) != 0,
		};
		cb(&r, data);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}
