/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The retention schedule: periods, their JSON form, and the schedule in force. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <talloc.h>

#include "storage/keeping/retention.h"

static const char *const class_names[RET_N_CLASSES] = {"messages", "deliveries", "verdicts",
						       "calls"};

const char *retention_class_name(enum retention_class c)
{
	return (unsigned)c < RET_N_CLASSES ? class_names[c] : "?";
}

int retention_class_parse(const char *word, enum retention_class *out)
{
	for (unsigned i = 0; word && i < RET_N_CLASSES; i++)
		if (!strcmp(word, class_names[i])) {
			*out = (enum retention_class)i;
			return 0;
		}
	return -1;
}

void retention_defaults(struct retention_schedule *s)
{
	for (unsigned i = 0; i < RET_N_CLASSES; i++)
		s->days[i] = RETENTION_DEFAULT_DAYS;
}

bool retention_equal(const struct retention_schedule *a, const struct retention_schedule *b)
{
	for (unsigned i = 0; i < RET_N_CLASSES; i++)
		if (a->days[i] != b->days[i])
			return false;
	return true;
}

int retention_period_days(long n, const char *unit, int64_t *days)
{
	int64_t per;

	if (n < 1 || n > 100 || !unit)
		return -1;
	if (!strcmp(unit, "days") || !strcmp(unit, "day"))
		per = 1;
	else if (!strcmp(unit, "months") || !strcmp(unit, "month"))
		per = RETENTION_DAYS_MONTH;
	else if (!strcmp(unit, "years") || !strcmp(unit, "year"))
		per = RETENTION_DAYS_YEAR;
	else
		return -1;
	*days = n * per;
	return 0;
}

void retention_period_format(int64_t days, char *out, size_t cap)
{
	if (days == RETENTION_FOREVER)
		snprintf(out, cap, "forever");
	else if (days > 0 && days % RETENTION_DAYS_YEAR == 0)
		snprintf(out, cap, "%" PRId64 " year%s", days / RETENTION_DAYS_YEAR,
			 days == RETENTION_DAYS_YEAR ? "" : "s");
	else if (days > 0 && days % RETENTION_DAYS_MONTH == 0)
		snprintf(out, cap, "%" PRId64 " month%s", days / RETENTION_DAYS_MONTH,
			 days == RETENTION_DAYS_MONTH ? "" : "s");
	else
		snprintf(out, cap, "%" PRId64 " day%s", days, days == 1 ? "" : "s");
}

char *retention_to_json(void *ctx, const struct retention_schedule *s)
{
	json_object *o = json_object_new_object();
	char *r = NULL;

	if (!o)
		return NULL;
	for (unsigned i = 0; i < RET_N_CLASSES; i++)
		json_object_object_add(
		    o, class_names[i],
		    s->days[i] == RETENTION_FOREVER ? NULL : json_object_new_int64(s->days[i]));
	r = talloc_strdup(ctx, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return r;
}

int retention_from_json(const char *json, struct retention_schedule *s)
{
	json_object *o = json ? json_tokener_parse(json) : NULL, *v;
	int rc = 0;

	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -1;
	}
	for (unsigned i = 0; i < RET_N_CLASSES && rc == 0; i++) {
		if (!json_object_object_get_ex(o, class_names[i], &v))
			rc = -1;
		else if (!v)
			s->days[i] = RETENTION_FOREVER;
		else if (!json_object_is_type(v, json_type_int))
			rc = -1;
		else {
			s->days[i] = json_object_get_int64(v);
			if (s->days[i] < 1 || s->days[i] > RETENTION_MAX_DAYS)
				rc = -1;
		}
	}
	json_object_put(o);
	return rc;
}

/* The latest row: 1 and filled in, 0 when there is none, -1 on error. */
static int latest(struct store *s, void *ctx, struct retention_in_force *out)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT id, at, source, periods FROM retention_schedules"
					 " ORDER BY id DESC LIMIT 1");
	int rc;

	if (!st)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		rc = 0;
	} else if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(st, 0);
		out->at = sqlite3_column_int64(st, 1);
		out->source = talloc_strdup(ctx, (const char *)sqlite3_column_text(st, 2));
		/* A row that does not parse is not silently replaced by the defaults. */
		rc = retention_from_json((const char *)sqlite3_column_text(st, 3), &out->schedule) <
			     0
			 ? -1
			 : 1;
	} else {
		rc = -1;
	}
	sqlite3_reset(st);
	return rc;
}

int retention_current(struct store *s, void *ctx, struct retention_in_force *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = latest(s, ctx, out);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		retention_defaults(&out->schedule);
		out->source = talloc_strdup(ctx, "default");
	}
	return 0;
}

int retention_record(struct store *s, const struct retention_schedule *sched, const char *source,
		     bool *recorded)
{
	void *tmp = talloc_new(NULL);
	struct retention_in_force cur = {0};
	sqlite3_stmt *st;
	char *json;
	int rc;

	*recorded = false;
	if (store_begin(s) < 0) {
		talloc_free(tmp);
		return -1;
	}
	rc = latest(s, tmp, &cur);
	if (rc < 0)
		goto fail;
	if (rc == 1 && retention_equal(&cur.schedule, sched)) {
		talloc_free(tmp);
		return store_commit(s);
	}
	json = retention_to_json(tmp, sched);
	st = store_stmt(s,
			"INSERT INTO retention_schedules(at, source, periods) VALUES (?1, ?2, ?3)");
	if (!json || !st)
		goto fail;
	sqlite3_bind_int64(st, 1, store_now_ms());
	store_bind_text(st, 2, source && *source ? source : "default");
	store_bind_text(st, 3, json);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	talloc_free(tmp);
	if (store_commit(s) < 0)
		return -1;
	*recorded = true;
	return 0;
fail:
	talloc_free(tmp);
	store_rollback(s);
	return -1;
}
