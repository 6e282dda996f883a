/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The directory's rows: reading, writing with a change-log entry each, and loading the
 * in-memory directory. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <talloc.h>

#include "storage/directory/directory_store.h"

/* --- Words stored in the database ------------------------------------------------------ */

static const char *const role_words[] = {
    [DIR_STUDENT] = "student",
    [DIR_GUARDIAN] = "guardian",
    [DIR_STAFF] = "staff",
    [DIR_ADMIN] = "administrator",
};

static const char *const title_words[] = {
    [DIR_T_NONE] = NULL,
    [DIR_T_TEACHER] = "teacher",
    [DIR_T_COACH] = "coach",
    [DIR_T_ADVISOR] = "advisor",
    [DIR_T_VOLUNTEER] = "volunteer",
    [DIR_T_ATHLETIC_DIRECTOR] = "athletic_director",
    [DIR_T_PRINCIPAL] = "principal",
    [DIR_T_COUNSELOR] = "counselor",
};

static const char *const exception_words[] = {
    [DIR_EXC_FAMILY] = "family",
    [DIR_EXC_GUARDIAN_PERMISSION] = "guardian_permission",
    [DIR_EXC_SAFETY] = "safety",
    [DIR_EXC_CONTACT_SHARING] = "contact_sharing",
};

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *store_role_word(enum dir_role r)
{
	return (unsigned)r < N_ELEM(role_words) ? role_words[r] : "student";
}

int store_role_from_word(const char *s, enum dir_role *out)
{
	for (unsigned i = 0; s && i < N_ELEM(role_words); i++) {
		if (!strcmp(s, role_words[i])) {
			*out = (enum dir_role)i;
			return 0;
		}
	}
	return -1;
}

const char *store_title_word(enum dir_title t)
{
	return (unsigned)t < N_ELEM(title_words) ? title_words[t] : NULL;
}

int store_title_from_word(const char *s, enum dir_title *out)
{
	if (!s || !*s) {
		*out = DIR_T_NONE;
		return 0;
	}
	for (unsigned i = 1; i < N_ELEM(title_words); i++) {
		if (!strcmp(s, title_words[i])) {
			*out = (enum dir_title)i;
			return 0;
		}
	}
	return -1;
}

const char *store_exception_kind_word(enum dir_exception_kind k)
{
	return (unsigned)k < N_ELEM(exception_words) ? exception_words[k] : "family";
}

static int exception_kind_from_word(const char *s, enum dir_exception_kind *out)
{
	for (unsigned i = 0; s && i < N_ELEM(exception_words); i++) {
		if (!strcmp(s, exception_words[i])) {
			*out = (enum dir_exception_kind)i;
			return 0;
		}
	}
	return -1;
}

/* --- Helpers --------------------------------------------------------------------------- */

static const char *col_text(void *ctx, sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? talloc_strdup(ctx, (const char *)t) : NULL;
}

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

static const char *or_none(const char *s)
{
	return s && *s ? s : "none";
}

/* Step a statement that returns no rows; leaves it reset. */
static int step_done(sqlite3_stmt *st)
{
	int rc;

	if (!st)
		return -1;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Grow a talloc array by one element; NULL when out of memory. */
#define APPEND(ctx, arr, n, type)                                                                  \
	({                                                                                         \
		type *_a = talloc_realloc(ctx, *(arr), type, (n) + 1);                             \
		if (_a) {                                                                          \
			*(arr) = _a;                                                               \
			memset(&_a[(n)], 0, sizeof(type));                                         \
		}                                                                                  \
		_a ? &_a[(n)++] : NULL;                                                            \
	})

int store_directory_change(struct store *s, const char *actor, const char *action,
			   const char *entity, const char *detail)
{
	sqlite3_stmt *st = store_stmt(s, "INSERT INTO directory_changes(at, actor, action, entity, "
					 "detail) VALUES (?1, ?2, ?3, ?4, ?5)");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, store_now_ms());
	store_bind_text(st, 2, actor && *actor ? actor : "unknown");
	store_bind_text(st, 3, action);
	store_bind_text(st, 4, entity);
	store_bind_text(st, 5, detail);
	return step_done(st);
}

int64_t store_directory_version(struct store *s)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT coalesce(max(id), 0) FROM directory_changes");
	int64_t v = -1;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	if (st)
		sqlite3_reset(st);
	return v;
}

int store_directory_changes(struct store *s, void *ctx, int64_t since_id, size_t limit,
			    struct store_change **out, size_t *n)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT id, at, actor, action, entity, detail FROM "
					 "directory_changes WHERE id > ?1 ORDER BY id LIMIT ?2");
	int rc;

	*out = NULL;
	*n = 0;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, since_id);
	sqlite3_bind_int64(st, 2, limit ? (int64_t)limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_change *c = APPEND(ctx, out, *n, struct store_change);
		if (!c)
			break;
		c->id = sqlite3_column_int64(st, 0);
		c->at = sqlite3_column_int64(st, 1);
		c->actor = col_text(*out, st, 2);
		c->action = col_text(*out, st, 3);
		c->entity = col_text(*out, st, 4);
		c->detail = col_text(*out, st, 5);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Run `fn` (one change and its log entry) as one transaction. */
static int begin(struct store *s)
{
	return store_begin(s);
}

static int finish(struct store *s, int rc)
{
	if (rc < 0) {
		store_rollback(s);
		return rc;
	}
	if (store_commit(s) < 0)
		return -1;
	return rc;
}

/* --- Names of things, for the change log ---------------------------------------------- */

static char *person_name(struct store *s, void *ctx, int64_t id)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT handle FROM persons WHERE id = ?1");
	char *r = NULL;

	if (st) {
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) == SQLITE_ROW)
			r = talloc_strdup(ctx, (const char *)sqlite3_column_text(st, 0));
		sqlite3_reset(st);
	}
	return r ? r : talloc_asprintf(ctx, "#%" PRId64, id);
}

static char *team_name(struct store *s, void *ctx, int64_t id)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT tag FROM teams WHERE id = ?1");
	char *r = NULL;

	if (st) {
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) == SQLITE_ROW)
			r = talloc_strdup(ctx, (const char *)sqlite3_column_text(st, 0));
		sqlite3_reset(st);
	}
	return r ? r : talloc_asprintf(ctx, "#%" PRId64, id);
}

static char *subgroup_name(struct store *s, void *ctx, int64_t id)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT t.tag || '.' || g.name FROM subgroups g "
					 "JOIN teams t ON t.id = g.team_id WHERE g.id = ?1");
	char *r = NULL;

	if (st) {
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) == SQLITE_ROW)
			r = talloc_strdup(ctx, (const char *)sqlite3_column_text(st, 0));
		sqlite3_reset(st);
	}
	return r ? r : talloc_asprintf(ctx, "#%" PRId64, id);
}

/* --- Relays ---------------------------------------------------------------------------- */

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

/* --- Persons --------------------------------------------------------------------------- */

#define PERSON_COLS                                                                                \
	"id, source_id, origin, role, title, given, family, handle, phone, active, "               \
	"inactive_reason, created_at, updated_at"

static void read_person(void *ctx, sqlite3_stmt *st, struct store_person *p)
{
	const char *role = (const char *)sqlite3_column_text(st, 3);
	const char *title = (const char *)sqlite3_column_text(st, 4);
	const char *why = (const char *)sqlite3_column_text(st, 10);

	memset(p, 0, sizeof(*p));
	p->id = sqlite3_column_int64(st, 0);
	p->source_id = col_text(ctx, st, 1);
	p->origin = col_text(ctx, st, 2);
	if (store_role_from_word(role, &p->role) < 0)
		p->role = DIR_STUDENT; /* the CHECK constraint makes this unreachable */
	if (store_title_from_word(title, &p->title) < 0)
		p->title = DIR_T_NONE;
	p->given = col_text(ctx, st, 5);
	p->family = col_text(ctx, st, 6);
	p->handle = col_text(ctx, st, 7);
	p->phone = col_text(ctx, st, 8);
	p->active = sqlite3_column_int(st, 9) != 0;
	p->manual_inactive = why && !strcmp(why, "manual");
	p->created_at = sqlite3_column_int64(st, 11);
	p->updated_at = sqlite3_column_int64(st, 12);
}

int store_persons_list(struct store *s, void *ctx, struct store_person **out, size_t *n)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT " PERSON_COLS " FROM persons ORDER BY id");
	int rc;

	*out = NULL;
	*n = 0;
	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_person *p = APPEND(ctx, out, *n, struct store_person);
		if (!p)
			break;
		read_person(*out, st, p);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int person_one(sqlite3_stmt *st, void *ctx, struct store_person *out)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		read_person(ctx, st, out);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int store_person_by_id(struct store *s, void *ctx, int64_t id, struct store_person *out)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT " PERSON_COLS " FROM persons WHERE id = ?1");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return person_one(st, ctx, out);
}

int store_person_by_handle(struct store *s, void *ctx, const char *handle, struct store_person *out)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT " PERSON_COLS " FROM persons WHERE handle = ?1");

	if (!st)
		return -1;
	store_bind_text(st, 1, handle);
	return person_one(st, ctx, out);
}

int store_person_by_source(struct store *s, void *ctx, const char *source_id,
			   struct store_person *out)
{
	sqlite3_stmt *st =
	    store_stmt(s, "SELECT " PERSON_COLS " FROM persons WHERE source_id = ?1");

	if (!st)
		return -1;
	store_bind_text(st, 1, source_id);
	return person_one(st, ctx, out);
}

int store_person_by_phone(struct store *s, void *ctx, const char *phone, int64_t except_id,
			  struct store_person *out)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT " PERSON_COLS " FROM persons WHERE phone = ?1 "
					 "AND active = 1 AND id != ?2 ORDER BY id LIMIT 1");

	if (!st)
		return -1;
	store_bind_text(st, 1, phone);
	sqlite3_bind_int64(st, 2, except_id);
	return person_one(st, ctx, out);
}

int store_handle_taken(struct store *s, const char *handle)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT 1 FROM persons WHERE handle = ?1");
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, handle);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static const char *inactive_word(bool active, bool manual)
{
	return active ? NULL : manual ? "manual" : "source";
}

int store_person_add(struct store *s, const char *actor, struct store_person *p)
{
	sqlite3_stmt *st;
	void *tmp;
	int rc;
	int64_t now = store_now_ms();

	if (begin(s) < 0)
		return -1;
	st = store_stmt(s, "INSERT INTO persons(source_id, origin, role, title, given, family, "
			   "handle, phone, active, inactive_reason, created_at, updated_at) "
			   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)");
	if (!st)
		return finish(s, -1);
	store_bind_text(st, 1, p->source_id);
	store_bind_text(st, 2, p->origin);
	store_bind_text(st, 3, store_role_word(p->role));
	store_bind_text(st, 4, store_title_word(p->title));
	store_bind_text(st, 5, p->given);
	store_bind_text(st, 6, p->family);
	store_bind_text(st, 7, p->handle);
	store_bind_text(st, 8, p->phone);
	sqlite3_bind_int(st, 9, p->active ? 1 : 0);
	store_bind_text(st, 10, inactive_word(p->active, p->manual_inactive));
	sqlite3_bind_int64(st, 11, now);
	if (step_done(st) < 0)
		return finish(s, -1);
	p->id = sqlite3_last_insert_rowid(store_db(s));
	p->created_at = p->updated_at = now;
	tmp = talloc_new(NULL);
	rc = store_directory_change(
	    s, actor, "person.add", talloc_asprintf(tmp, "person:%s", p->handle),
	    talloc_asprintf(tmp, "id %" PRId64 ", %s%s%s, %s %s, phone %s%s%s%s%s%s%s", p->id,
			    store_role_word(p->role), p->title ? " " : "",
			    p->title ? store_title_word(p->title) : "", p->given, p->family,
			    or_none(p->phone), p->source_id ? ", source " : "",
			    p->source_id ? p->source_id : "", p->origin ? " (" : "",
			    p->origin ? p->origin : "", p->origin ? ")" : "",
			    p->active ? "" : ", inactive"));
	talloc_free(tmp);
	return finish(s, rc);
}

/* Append "what: old -> new" to a change's detail. */
static void diff_field(char **detail, const char *what, const char *a, const char *b)
{
	if (str_eq(a, b))
		return;
	*detail = talloc_asprintf_append(*detail, "%s%s %s -> %s", **detail ? "; " : "", what,
					 or_none(a), or_none(b));
}

int store_person_update(struct store *s, const char *actor, const struct store_person *old,
			const struct store_person *p)
{
	void *tmp = talloc_new(NULL);
	char *detail = talloc_strdup(tmp, "");
	bool active_changed =
	    old->active != p->active || old->manual_inactive != p->manual_inactive;
	const char *action;
	sqlite3_stmt *st;
	int rc;

	diff_field(&detail, "role", store_role_word(old->role), store_role_word(p->role));
	diff_field(&detail, "title", store_title_word(old->title), store_title_word(p->title));
	diff_field(&detail, "given", old->given, p->given);
	diff_field(&detail, "family", old->family, p->family);
	diff_field(&detail, "handle", old->handle, p->handle);
	diff_field(&detail, "phone", old->phone, p->phone);
	diff_field(&detail, "source", old->source_id, p->source_id);
	diff_field(&detail, "origin", old->origin, p->origin);
	if (!*detail && !active_changed) {
		talloc_free(tmp);
		return 0;
	}
	if (!*detail)
		action = p->active ? "person.activate" : "person.deactivate";
	else
		action = "person.update";
	if (active_changed)
		detail =
		    talloc_asprintf_append(detail, "%sactive %s -> %s%s", *detail ? "; " : "",
					   old->active ? "yes" : "no", p->active ? "yes" : "no",
					   p->active		? ""
					   : p->manual_inactive ? " (by hand)"
								: " (gone from the roster)");

	if (begin(s) < 0) {
		talloc_free(tmp);
		return -1;
	}
	st = store_stmt(s, "UPDATE persons SET source_id = ?2, origin = ?3, role = ?4, title = ?5, "
			   "given = ?6, family = ?7, handle = ?8, phone = ?9, active = ?10, "
			   "inactive_reason = ?11, updated_at = ?12 WHERE id = ?1");
	if (!st) {
		talloc_free(tmp);
		return finish(s, -1);
	}
	sqlite3_bind_int64(st, 1, old->id);
	store_bind_text(st, 2, p->source_id);
	store_bind_text(st, 3, p->origin);
	store_bind_text(st, 4, store_role_word(p->role));
	store_bind_text(st, 5, store_title_word(p->title));
	store_bind_text(st, 6, p->given);
	store_bind_text(st, 7, p->family);
	store_bind_text(st, 8, p->handle);
	store_bind_text(st, 9, p->phone);
	sqlite3_bind_int(st, 10, p->active ? 1 : 0);
	store_bind_text(st, 11, inactive_word(p->active, p->manual_inactive));
	sqlite3_bind_int64(st, 12, store_now_ms());
	rc = step_done(st);
	if (rc == 0)
		rc = store_directory_change(s, actor, action,
					    talloc_asprintf(tmp, "person:%s", p->handle), detail);
	talloc_free(tmp);
	rc = finish(s, rc);
	return rc < 0 ? -1 : 1;
}

/* --- Teams ----------------------------------------------------------------------------- */

#define TEAM_COLS                                                                                  \
	"t.id, t.source_id, t.origin, t.tag, t.name, t.kind, t.relay_id, r.number, t.active, "     \
	"t.inactive_reason, t.created_at, t.updated_at"
#define TEAM_FROM " FROM teams t LEFT JOIN relays r ON r.id = t.relay_id"

static void read_team(void *ctx, sqlite3_stmt *st, struct store_team *t)
{
	const char *why = (const char *)sqlite3_column_text(st, 9);

	memset(t, 0, sizeof(*t));
	t->id = sqlite3_column_int64(st, 0);
	t->source_id = col_text(ctx, st, 1);
	t->origin = col_text(ctx, st, 2);
	t->tag = col_text(ctx, st, 3);
	t->name = col_text(ctx, st, 4);
	t->kind = col_text(ctx, st, 5);
	t->relay_id = sqlite3_column_int64(st, 6);
	t->relay_number = col_text(ctx, st, 7);
	t->active = sqlite3_column_int(st, 8) != 0;
	t->manual_inactive = why && !strcmp(why, "manual");
	t->created_at = sqlite3_column_int64(st, 10);
	t->updated_at = sqlite3_column_int64(st, 11);
}

int store_teams_list(struct store *s, void *ctx, struct store_team **out, size_t *n)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT " TEAM_COLS TEAM_FROM " ORDER BY t.id");
	int rc;

	*out = NULL;
	*n = 0;
	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_team *t = APPEND(ctx, out, *n, struct store_team);
		if (!t)
			break;
		read_team(*out, st, t);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int team_one(sqlite3_stmt *st, void *ctx, struct store_team *out)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		read_team(ctx, st, out);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int store_team_by_tag(struct store *s, void *ctx, const char *tag, struct store_team *out)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT " TEAM_COLS TEAM_FROM " WHERE t.tag = ?1");

	if (!st)
		return -1;
	store_bind_text(st, 1, tag);
	return team_one(st, ctx, out);
}

int store_team_by_id(struct store *s, void *ctx, int64_t id, struct store_team *out)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT " TEAM_COLS TEAM_FROM " WHERE t.id = ?1");

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return team_one(st, ctx, out);
}

int store_tag_taken(struct store *s, const char *tag)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT 1 FROM teams WHERE tag = ?1");
	int rc;

	if (!st)
		return -1;
	store_bind_text(st, 1, tag);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static char *relay_number(struct store *s, void *ctx, int64_t id)
{
	struct store_relay r;

	if (!id)
		return NULL;
	if (store_relay_by_id(s, ctx, id, &r) == 1)
		return (char *)r.number;
	return talloc_asprintf(ctx, "#%" PRId64, id);
}

int store_team_add(struct store *s, const char *actor, struct store_team *t)
{
	sqlite3_stmt *st;
	void *tmp;
	int rc;
	int64_t now = store_now_ms();

	if (begin(s) < 0)
		return -1;
	st =
	    store_stmt(s, "INSERT INTO teams(source_id, origin, tag, name, kind, relay_id, active, "
			  "inactive_reason, created_at, updated_at) "
			  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)");
	if (!st)
		return finish(s, -1);
	store_bind_text(st, 1, t->source_id);
	store_bind_text(st, 2, t->origin);
	store_bind_text(st, 3, t->tag);
	store_bind_text(st, 4, t->name);
	store_bind_text(st, 5, t->kind);
	store_bind_id(st, 6, t->relay_id);
	sqlite3_bind_int(st, 7, t->active ? 1 : 0);
	store_bind_text(st, 8, inactive_word(t->active, t->manual_inactive));
	sqlite3_bind_int64(st, 9, now);
	if (step_done(st) < 0)
		return finish(s, -1);
	t->id = sqlite3_last_insert_rowid(store_db(s));
	t->created_at = t->updated_at = now;
	tmp = talloc_new(NULL);
	rc = store_directory_change(
	    s, actor, "team.add", talloc_asprintf(tmp, "team:%s", t->tag),
	    talloc_asprintf(tmp, "id %" PRId64 ", %s \"%s\", relay %s%s%s%s", t->id, t->kind,
			    t->name, or_none(relay_number(s, tmp, t->relay_id)),
			    t->source_id ? ", source " : "", t->source_id ? t->source_id : "",
			    t->active ? "" : ", inactive"));
	talloc_free(tmp);
	return finish(s, rc);
}

int store_team_update(struct store *s, const char *actor, const struct store_team *old,
		      const struct store_team *t)
{
	void *tmp = talloc_new(NULL);
	char *detail = talloc_strdup(tmp, "");
	bool active_changed =
	    old->active != t->active || old->manual_inactive != t->manual_inactive;
	const char *action;
	sqlite3_stmt *st;
	int rc;

	diff_field(&detail, "tag", old->tag, t->tag);
	diff_field(&detail, "name", old->name, t->name);
	diff_field(&detail, "kind", old->kind, t->kind);
	if (old->relay_id != t->relay_id)
		diff_field(&detail, "relay", relay_number(s, tmp, old->relay_id),
			   relay_number(s, tmp, t->relay_id));
	diff_field(&detail, "source", old->source_id, t->source_id);
	diff_field(&detail, "origin", old->origin, t->origin);
	if (!*detail && !active_changed) {
		talloc_free(tmp);
		return 0;
	}
	if (!*detail)
		action = t->active ? "team.activate" : "team.deactivate";
	else
		action = "team.update";
	if (active_changed)
		detail =
		    talloc_asprintf_append(detail, "%sactive %s -> %s%s", *detail ? "; " : "",
					   old->active ? "yes" : "no", t->active ? "yes" : "no",
					   t->active		? ""
					   : t->manual_inactive ? " (by hand)"
								: " (gone from the roster)");
	if (begin(s) < 0) {
		talloc_free(tmp);
		return -1;
	}
	st = store_stmt(s, "UPDATE teams SET source_id = ?2, origin = ?3, tag = ?4, name = ?5, "
			   "kind = ?6, relay_id = ?7, active = ?8, inactive_reason = ?9, "
			   "updated_at = ?10 WHERE id = ?1");
	if (!st) {
		talloc_free(tmp);
		return finish(s, -1);
	}
	sqlite3_bind_int64(st, 1, old->id);
	store_bind_text(st, 2, t->source_id);
	store_bind_text(st, 3, t->origin);
	store_bind_text(st, 4, t->tag);
	store_bind_text(st, 5, t->name);
	store_bind_text(st, 6, t->kind);
	store_bind_id(st, 7, t->relay_id);
	sqlite3_bind_int(st, 8, t->active ? 1 : 0);
	store_bind_text(st, 9, inactive_word(t->active, t->manual_inactive));
	sqlite3_bind_int64(st, 10, store_now_ms());
	rc = step_done(st);
	if (rc == 0)
		rc = store_directory_change(s, actor, action,
					    talloc_asprintf(tmp, "team:%s", t->tag), detail);
	talloc_free(tmp);
	rc = finish(s, rc);
	return rc < 0 ? -1 : 1;
}

/* --- Links ----------------------------------------------------------------------------- */

/* One literal per statement and kind: store_stmt() caches by the literal's address. */
static const char *const sql_links_list[] = {
    [STORE_LINK_GUARDIAN] = "SELECT student_id, guardian_id, relationship, origin FROM "
			    "guardianships WHERE ?1 = 0 OR student_id = ?1 "
			    "ORDER BY student_id, guardian_id",
    [STORE_LINK_MEMBER] = "SELECT team_id, person_id, NULL, origin FROM team_members "
			  "WHERE ?1 = 0 OR team_id = ?1 ORDER BY team_id, person_id",
    [STORE_LINK_OVERSEER] = "SELECT team_id, person_id, NULL, origin FROM team_overseers "
			    "WHERE ?1 = 0 OR team_id = ?1 ORDER BY team_id, person_id",
    [STORE_LINK_SUBGROUP] = "SELECT subgroup_id, person_id, NULL, origin FROM subgroup_members "
			    "WHERE ?1 = 0 OR subgroup_id = ?1 ORDER BY subgroup_id, person_id",
};

static const char *const sql_links_of[] = {
    [STORE_LINK_GUARDIAN] = "SELECT student_id, guardian_id, relationship, origin FROM "
			    "guardianships WHERE guardian_id = ?1 ORDER BY student_id",
    [STORE_LINK_MEMBER] = "SELECT team_id, person_id, NULL, origin FROM team_members "
			  "WHERE person_id = ?1 ORDER BY team_id",
    [STORE_LINK_OVERSEER] = "SELECT team_id, person_id, NULL, origin FROM team_overseers "
			    "WHERE person_id = ?1 ORDER BY team_id",
    [STORE_LINK_SUBGROUP] = "SELECT subgroup_id, person_id, NULL, origin FROM subgroup_members "
			    "WHERE person_id = ?1 ORDER BY subgroup_id",
};

static const char *const sql_link_exists[] = {
    [STORE_LINK_GUARDIAN] = "SELECT 1 FROM guardianships WHERE student_id = ?1 AND "
			    "guardian_id = ?2",
    [STORE_LINK_MEMBER] = "SELECT 1 FROM team_members WHERE team_id = ?1 AND person_id = ?2",
    [STORE_LINK_OVERSEER] = "SELECT 1 FROM team_overseers WHERE team_id = ?1 AND person_id = ?2",
    [STORE_LINK_SUBGROUP] = "SELECT 1 FROM subgroup_members WHERE subgroup_id = ?1 AND "
			    "person_id = ?2",
};

static const char *const sql_link_add[] = {
    [STORE_LINK_GUARDIAN] = "INSERT OR IGNORE INTO guardianships(student_id, guardian_id, "
			    "relationship, origin) VALUES (?1, ?2, ?3, ?4)",
    [STORE_LINK_MEMBER] = "INSERT OR IGNORE INTO team_members(team_id, person_id, origin) "
			  "VALUES (?1, ?2, ?4)",
    [STORE_LINK_OVERSEER] = "INSERT OR IGNORE INTO team_overseers(team_id, person_id, origin) "
			    "VALUES (?1, ?2, ?4)",
    [STORE_LINK_SUBGROUP] = "INSERT OR IGNORE INTO subgroup_members(subgroup_id, person_id, "
			    "origin) VALUES (?1, ?2, ?4)",
};

static const char *const sql_link_remove[] = {
    [STORE_LINK_GUARDIAN] = "DELETE FROM guardianships WHERE student_id = ?1 AND "
			    "guardian_id = ?2",
    [STORE_LINK_MEMBER] = "DELETE FROM team_members WHERE team_id = ?1 AND person_id = ?2",
    [STORE_LINK_OVERSEER] = "DELETE FROM team_overseers WHERE team_id = ?1 AND person_id = ?2",
    [STORE_LINK_SUBGROUP] = "DELETE FROM subgroup_members WHERE subgroup_id = ?1 AND "
			    "person_id = ?2",
};

static const char *const link_action[][2] = {
    [STORE_LINK_GUARDIAN] = {"guardianship.add", "guardianship.remove"},
    [STORE_LINK_MEMBER] = {"member.add", "member.remove"},
    [STORE_LINK_OVERSEER] = {"overseer.add", "overseer.remove"},
    [STORE_LINK_SUBGROUP] = {"subgroup_member.add", "subgroup_member.remove"},
};

static bool kind_ok(enum store_link_kind k)
{
	return (unsigned)k <= STORE_LINK_SUBGROUP;
}

static char *link_entity(struct store *s, void *ctx, enum store_link_kind k, int64_t a, int64_t b)
{
	switch (k) {
	case STORE_LINK_GUARDIAN:
		return talloc_asprintf(ctx, "student:%s/guardian:%s", person_name(s, ctx, a),
				       person_name(s, ctx, b));
	case STORE_LINK_MEMBER:
		return talloc_asprintf(ctx, "team:%s/member:%s", team_name(s, ctx, a),
				       person_name(s, ctx, b));
	case STORE_LINK_OVERSEER:
		return talloc_asprintf(ctx, "team:%s/overseer:%s", team_name(s, ctx, a),
				       person_name(s, ctx, b));
	case STORE_LINK_SUBGROUP:
	default:
		return talloc_asprintf(ctx, "team:%s/member:%s", subgroup_name(s, ctx, a),
				       person_name(s, ctx, b));
	}
}

static int links_query(sqlite3_stmt *st, void *ctx, int64_t key, struct store_link **out, size_t *n)
{
	int rc;

	*out = NULL;
	*n = 0;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, key);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_link *l = APPEND(ctx, out, *n, struct store_link);
		if (!l)
			break;
		l->a = sqlite3_column_int64(st, 0);
		l->b = sqlite3_column_int64(st, 1);
		l->note = col_text(*out, st, 2);
		l->origin = col_text(*out, st, 3);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_links_list(struct store *s, void *ctx, enum store_link_kind k, int64_t a,
		     struct store_link **out, size_t *n)
{
	if (!kind_ok(k))
		return -1;
	return links_query(store_stmt(s, sql_links_list[k]), ctx, a, out, n);
}

int store_links_of(struct store *s, void *ctx, enum store_link_kind k, int64_t b,
		   struct store_link **out, size_t *n)
{
	if (!kind_ok(k))
		return -1;
	return links_query(store_stmt(s, sql_links_of[k]), ctx, b, out, n);
}

int store_link_exists(struct store *s, enum store_link_kind k, int64_t a, int64_t b)
{
	sqlite3_stmt *st;
	int rc;

	if (!kind_ok(k) || !(st = store_stmt(s, sql_link_exists[k])))
		return -1;
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int store_link_add(struct store *s, const char *actor, enum store_link_kind k, int64_t a, int64_t b,
		   const char *note, const char *origin)
{
	sqlite3_stmt *st;
	void *tmp;
	int rc;

	if (!kind_ok(k) || begin(s) < 0)
		return -1;
	if (!(st = store_stmt(s, sql_link_add[k])))
		return finish(s, -1);
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	store_bind_text(st, 3, note && *note ? note : NULL);
	store_bind_text(st, 4, origin);
	if (step_done(st) < 0)
		return finish(s, -1);
	if (sqlite3_changes(store_db(s)) == 0)
		return finish(s, 0);
	tmp = talloc_new(NULL);
	rc = store_directory_change(s, actor, link_action[k][0], link_entity(s, tmp, k, a, b),
				    note && *note ? talloc_asprintf(tmp, "relationship %s", note)
						  : NULL);
	talloc_free(tmp);
	rc = finish(s, rc);
	return rc < 0 ? -1 : 1;
}

int store_link_remove(struct store *s, const char *actor, enum store_link_kind k, int64_t a,
		      int64_t b)
{
	sqlite3_stmt *st;
	void *tmp;
	int rc;

	if (!kind_ok(k) || begin(s) < 0)
		return -1;
	if (!(st = store_stmt(s, sql_link_remove[k])))
		return finish(s, -1);
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	if (step_done(st) < 0)
		return finish(s, -1);
	if (sqlite3_changes(store_db(s)) == 0)
		return finish(s, 0);
	tmp = talloc_new(NULL);
	rc =
	    store_directory_change(s, actor, link_action[k][1], link_entity(s, tmp, k, a, b), NULL);
	talloc_free(tmp);
	rc = finish(s, rc);
	return rc < 0 ? -1 : 1;
}

int store_link_set_note(struct store *s, const char *actor, enum store_link_kind k, int64_t a,
			int64_t b, const char *note)
{
	sqlite3_stmt *st;
	char *old = NULL;
	void *tmp;
	int rc, found;

	if (k != STORE_LINK_GUARDIAN)
		return 0;
	if (note && !*note)
		note = NULL;
	tmp = talloc_new(NULL);
	st = store_stmt(s, "SELECT relationship FROM guardianships WHERE student_id = ?1 AND "
			   "guardian_id = ?2");
	if (!st) {
		talloc_free(tmp);
		return -1;
	}
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	rc = sqlite3_step(st);
	found = rc == SQLITE_ROW;
	if (found)
		old = (char *)col_text(tmp, st, 0);
	sqlite3_reset(st);
	if (!found || str_eq(old, note)) {
		talloc_free(tmp);
		return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
	}
	if (begin(s) < 0) {
		talloc_free(tmp);
		return -1;
	}
	st = store_stmt(s, "UPDATE guardianships SET relationship = ?3 WHERE student_id = ?1 AND "
			   "guardian_id = ?2");
	if (!st) {
		talloc_free(tmp);
		return finish(s, -1);
	}
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	store_bind_text(st, 3, note);
	rc = step_done(st);
	if (rc == 0)
		rc = store_directory_change(
		    s, actor, "guardianship.update", link_entity(s, tmp, k, a, b),
		    talloc_asprintf(tmp, "relationship %s -> %s", or_none(old), or_none(note)));
	talloc_free(tmp);
	rc = finish(s, rc);
	return rc < 0 ? -1 : 1;
}

/* --- Subgroups ------------------------------------------------------------------------- */

static void read_subgroup(void *ctx, sqlite3_stmt *st, struct store_subgroup *g)
{
	g->id = sqlite3_column_int64(st, 0);
	g->team_id = sqlite3_column_int64(st, 1);
	g->name = col_text(ctx, st, 2);
	g->origin = col_text(ctx, st, 3);
}

int store_subgroups_list(struct store *s, void *ctx, int64_t team_id, struct store_subgroup **out,
			 size_t *n)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT id, team_id, name, origin FROM subgroups "
					 "WHERE ?1 = 0 OR team_id = ?1 ORDER BY team_id, name");
	int rc;

	*out = NULL;
	*n = 0;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, team_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_subgroup *g = APPEND(ctx, out, *n, struct store_subgroup);
		if (!g)
			break;
		read_subgroup(*out, st, g);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_subgroup_by_name(struct store *s, void *ctx, int64_t team_id, const char *name,
			   struct store_subgroup *out)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT id, team_id, name, origin FROM subgroups "
					 "WHERE team_id = ?1 AND name = ?2");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, team_id);
	store_bind_text(st, 2, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_subgroup(ctx, st, out);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int store_subgroup_add(struct store *s, const char *actor, int64_t team_id, const char *name,
		       const char *origin, int64_t *id)
{
	sqlite3_stmt *st;
	void *tmp;
	int rc;

	if (begin(s) < 0)
		return -1;
	st = store_stmt(s, "INSERT INTO subgroups(team_id, name, origin) VALUES (?1, ?2, ?3)");
	if (!st)
		return finish(s, -1);
	sqlite3_bind_int64(st, 1, team_id);
	store_bind_text(st, 2, name);
	store_bind_text(st, 3, origin);
	if (step_done(st) < 0)
		return finish(s, -1);
	if (id)
		*id = sqlite3_last_insert_rowid(store_db(s));
	tmp = talloc_new(NULL);
	rc = store_directory_change(
	    s, actor, "subgroup.add",
	    talloc_asprintf(tmp, "team:%s.%s", team_name(s, tmp, team_id), name), NULL);
	talloc_free(tmp);
	return finish(s, rc);
}

int store_subgroup_remove(struct store *s, const char *actor, int64_t id)
{
	sqlite3_stmt *st;
	void *tmp = talloc_new(NULL);
	char *entity = talloc_asprintf(tmp, "team:%s", subgroup_name(s, tmp, id));
	int rc;

	if (begin(s) < 0) {
		talloc_free(tmp);
		return -1;
	}
	st = store_stmt(s, "DELETE FROM subgroup_members WHERE subgroup_id = ?1");
	if (st) {
		sqlite3_bind_int64(st, 1, id);
		rc = step_done(st);
	} else {
		rc = -1;
	}
	if (rc == 0) {
		st = store_stmt(s, "DELETE FROM subgroups WHERE id = ?1");
		if (st) {
			sqlite3_bind_int64(st, 1, id);
			rc = step_done(st);
		} else {
			rc = -1;
		}
	}
	if (rc == 0)
		rc = store_directory_change(s, actor, "subgroup.remove", entity, NULL);
	talloc_free(tmp);
	return finish(s, rc);
}

/* --- Exceptions ------------------------------------------------------------------------ */

#define EXC_COLS                                                                                   \
	"id, staff_id, student_id, kind, reason, approved_by, created_at, expires_at, "            \
	"revoked_at, revoked_by"

static void read_exception(void *ctx, sqlite3_stmt *st, struct store_exception *e)
{
	memset(e, 0, sizeof(*e));
	e->id = sqlite3_column_int64(st, 0);
	e->staff_id = sqlite3_column_int64(st, 1);
	e->student_id = sqlite3_column_int64(st, 2);
	if (exception_kind_from_word((const char *)sqlite3_column_text(st, 3), &e->kind) < 0)
		e->kind = DIR_EXC_FAMILY;
	e->reason = col_text(ctx, st, 4);
	e->approved_by = sqlite3_column_int64(st, 5);
	e->created_at = sqlite3_column_int64(st, 6);
	e->expires_at = sqlite3_column_int64(st, 7);
	e->revoked_at = sqlite3_column_int64(st, 8);
	e->revoked_by = sqlite3_column_int64(st, 9);
}

int store_exceptions_list(struct store *s, void *ctx, bool all, int64_t now_ms,
			  struct store_exception **out, size_t *n)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT " EXC_COLS " FROM exceptions WHERE ?1 OR "
					 "(revoked_at IS NULL AND expires_at > ?2) ORDER BY id");
	int rc;

	*out = NULL;
	*n = 0;
	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, all ? 1 : 0);
	sqlite3_bind_int64(st, 2, now_ms);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_exception *e = APPEND(ctx, out, *n, struct store_exception);
		if (!e)
			break;
		read_exception(*out, st, e);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_exception_by_id(struct store *s, void *ctx, int64_t id, struct store_exception *out)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT " EXC_COLS " FROM exceptions WHERE id = ?1");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_exception(ctx, st, out);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int store_exception_add(struct store *s, const char *actor, struct store_exception *e)
{
	sqlite3_stmt *st;
	void *tmp;
	char expires[32];
	int rc;

	if (begin(s) < 0)
		return -1;
	e->created_at = store_now_ms();
	st =
	    store_stmt(s, "INSERT INTO exceptions(staff_id, student_id, kind, reason, approved_by, "
			  "created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	if (!st)
		return finish(s, -1);
	sqlite3_bind_int64(st, 1, e->staff_id);
	sqlite3_bind_int64(st, 2, e->student_id);
	store_bind_text(st, 3, store_exception_kind_word(e->kind));
	store_bind_text(st, 4, e->reason);
	sqlite3_bind_int64(st, 5, e->approved_by);
	sqlite3_bind_int64(st, 6, e->created_at);
	sqlite3_bind_int64(st, 7, e->expires_at);
	if (step_done(st) < 0)
		return finish(s, -1);
	e->id = sqlite3_last_insert_rowid(store_db(s));
	tmp = talloc_new(NULL);
	store_format_time(expires, sizeof(expires), e->expires_at);
	rc = store_directory_change(
	    s, actor, "exception.add", talloc_asprintf(tmp, "exception:%" PRId64, e->id),
	    talloc_asprintf(tmp, "%s: staff %s, student %s, approved by %s, expires %s: %s",
			    store_exception_kind_word(e->kind), person_name(s, tmp, e->staff_id),
			    person_name(s, tmp, e->student_id), person_name(s, tmp, e->approved_by),
			    expires, e->reason));
	talloc_free(tmp);
	return finish(s, rc);
}

int store_exception_revoke(struct store *s, const char *actor, int64_t id, int64_t by_id)
{
	sqlite3_stmt *st;
	void *tmp;
	int rc;

	if (begin(s) < 0)
		return -1;
	st = store_stmt(s, "UPDATE exceptions SET revoked_at = ?2, revoked_by = ?3 "
			   "WHERE id = ?1 AND revoked_at IS NULL");
	if (!st)
		return finish(s, -1);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, store_now_ms());
	sqlite3_bind_int64(st, 3, by_id);
	if (step_done(st) < 0)
		return finish(s, -1);
	if (sqlite3_changes(store_db(s)) == 0)
		return finish(s, 0);
	tmp = talloc_new(NULL);
	rc = store_directory_change(
	    s, actor, "exception.revoke", talloc_asprintf(tmp, "exception:%" PRId64, id),
	    talloc_asprintf(tmp, "revoked by %s", person_name(s, tmp, by_id)));
	talloc_free(tmp);
	rc = finish(s, rc);
	return rc < 0 ? -1 : 1;
}

/* --- Loading the in-memory directory -------------------------------------------------- */

struct id_ptr {
	int64_t id;
	void *ptr;
};

static int cmp_id_ptr(const void *a, const void *b)
{
	const struct id_ptr *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void *find_id(const struct id_ptr *arr, size_t n, int64_t id)
{
	struct id_ptr key = {.id = id};
	const struct id_ptr *hit = arr ? bsearch(&key, arr, n, sizeof(*arr), cmp_id_ptr) : NULL;

	return hit ? hit->ptr : NULL;
}

struct directory *store_directory_load(struct store *s, void *ctx)
{
	void *tmp = talloc_new(NULL);
	struct directory *d = dir_new(ctx);
	struct store_person *persons;
	struct store_team *teams;
	struct store_relay *relays;
	struct store_subgroup *groups;
	struct store_link *links;
	struct store_exception *excs;
	size_t n_persons, n_teams, n_relays, n_groups, n_links, n_excs;
	struct id_ptr *pmap, *tmap, *rmap, *gmap;
	size_t n_pmap = 0, n_tmap = 0, n_rmap = 0, n_gmap = 0;

	if (!d || !tmp)
		goto fail;
	if (store_relays_list(s, tmp, &relays, &n_relays) < 0 ||
	    store_persons_list(s, tmp, &persons, &n_persons) < 0 ||
	    store_teams_list(s, tmp, &teams, &n_teams) < 0 ||
	    store_subgroups_list(s, tmp, 0, &groups, &n_groups) < 0 ||
	    store_exceptions_list(s, tmp, false, store_now_ms(), &excs, &n_excs) < 0)
		goto fail;
	rmap = talloc_array(tmp, struct id_ptr, n_relays + 1);
	pmap = talloc_array(tmp, struct id_ptr, n_persons + 1);
	tmap = talloc_array(tmp, struct id_ptr, n_teams + 1);
	gmap = talloc_array(tmp, struct id_ptr, n_groups + 1);
	if (!rmap || !pmap || !tmap || !gmap)
		goto fail;

	/* The lists come ordered by id, so the maps are sorted as they are filled. */
	for (size_t i = 0; i < n_relays; i++) {
		/* More relays than a box serves: the extra ones serve no team. */
		struct dir_relay *r =
		    dir_add_relay(d, relays[i].id, relays[i].number, relays[i].label);
		if (r)
			rmap[n_rmap++] = (struct id_ptr){relays[i].id, r};
	}
	for (size_t i = 0; i < n_persons; i++) {
		const struct store_person *p = &persons[i];
		struct dir_person_spec spec = {
		    .id = p->id,
		    .source_id = p->source_id,
		    .role = p->role,
		    .title = p->title,
		    .given = p->given,
		    .family = p->family,
		    .handle = p->handle,
		    .phone = p->phone,
		};
		struct dir_person *dp;

		if (!p->active)
			continue;
		if (!(dp = dir_add_person(d, &spec)))
			goto fail;
		pmap[n_pmap++] = (struct id_ptr){p->id, dp};
	}
	for (size_t i = 0; i < n_teams; i++) {
		const struct store_team *t = &teams[i];
		struct dir_team *dt;
		struct dir_relay *r;

		if (!t->active)
			continue;
		if (!(dt = dir_add_team(d, t->id, t->source_id, t->tag, t->name, t->kind)))
			goto fail;
		if (t->relay_id && (r = find_id(rmap, n_rmap, t->relay_id)))
			dir_team_set_relay(dt, r);
		tmap[n_tmap++] = (struct id_ptr){t->id, dt};
	}

	if (store_links_list(s, tmp, STORE_LINK_GUARDIAN, 0, &links, &n_links) < 0)
		goto fail;
	for (size_t i = 0; i < n_links; i++) {
		struct dir_person *st = find_id(pmap, n_pmap, links[i].a);
		struct dir_person *g = find_id(pmap, n_pmap, links[i].b);

		if (st && g && st->role == DIR_STUDENT && g->role == DIR_GUARDIAN)
			dir_add_guardianship(st, g);
	}
	if (store_links_list(s, tmp, STORE_LINK_MEMBER, 0, &links, &n_links) < 0)
		goto fail;
	for (size_t i = 0; i < n_links; i++) {
		struct dir_team *t = find_id(tmap, n_tmap, links[i].a);
		struct dir_person *p = find_id(pmap, n_pmap, links[i].b);

		if (t && p && p->role != DIR_GUARDIAN)
			dir_team_add_member(t, p);
	}
	if (store_links_list(s, tmp, STORE_LINK_OVERSEER, 0, &links, &n_links) < 0)
		goto fail;
	for (size_t i = 0; i < n_links; i++) {
		struct dir_team *t = find_id(tmap, n_tmap, links[i].a);
		struct dir_person *p = find_id(pmap, n_pmap, links[i].b);

		if (t && p && p->role == DIR_ADMIN)
			dir_team_add_overseer(t, p);
	}
	/* Subgroups come by team then name; the map needs them by id. */
	for (size_t i = 0; i < n_groups; i++) {
		struct dir_team *t = find_id(tmap, n_tmap, groups[i].team_id);
		struct dir_subgroup *g;

		if (!t)
			continue;
		if (!(g = dir_team_add_subgroup(t, groups[i].id, groups[i].name)))
			goto fail;
		gmap[n_gmap++] = (struct id_ptr){groups[i].id, g};
	}
	qsort(gmap, n_gmap, sizeof(*gmap), cmp_id_ptr);
	if (store_links_list(s, tmp, STORE_LINK_SUBGROUP, 0, &links, &n_links) < 0)
		goto fail;
	for (size_t i = 0; i < n_links; i++) {
		struct dir_subgroup *g = find_id(gmap, n_gmap, links[i].a);
		struct dir_person *p = find_id(pmap, n_pmap, links[i].b);

		if (g && p && p->role == DIR_STUDENT)
			dir_subgroup_add(g, p);
	}
	for (size_t i = 0; i < n_excs; i++) {
		const struct store_exception *e = &excs[i];
		struct dir_person *staff = find_id(pmap, n_pmap, e->staff_id);
		struct dir_person *student = find_id(pmap, n_pmap, e->student_id);
		struct dir_person *admin = find_id(pmap, n_pmap, e->approved_by);

		/* An approver who has since left does not void what they approved. */
		if (!staff || !student)
			continue;
		if (!dir_add_exception(d, e->id, staff, student, e->kind, e->reason, admin,
				       (time_t)(e->created_at / 1000),
				       (time_t)(e->expires_at / 1000)))
			goto fail;
	}
	dir_finish(d);
	talloc_free(tmp);
	return d;

fail:
	talloc_free(tmp);
	talloc_free(d);
	return NULL;
}
