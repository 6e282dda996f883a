/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The retention schedule: periods, their JSON form, and the schedule in force. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

static const char *const unit_names[] = {"days", "months", "years"};

void retention_defaults(struct retention_schedule *s)
{
	for (unsigned i = 0; i < RET_N_CLASSES; i++)
		s->period[i] = (struct retention_period){7, RETENTION_YEARS};
}

bool retention_equal(const struct retention_schedule *a, const struct retention_schedule *b)
{
	for (unsigned i = 0; i < RET_N_CLASSES; i++)
		if (a->period[i].n != b->period[i].n ||
		    (a->period[i].n != RETENTION_FOREVER && a->period[i].unit != b->period[i].unit))
			return false;
	return true;
}

const char *retention_unit_name(enum retention_unit u)
{
	return (unsigned)u < 3 ? unit_names[u] : "?";
}

int retention_period_parse(long n, const char *unit, struct retention_period *out)
{
	if (n < 1 || n > 100 || !unit)
		return -1;
	for (unsigned u = 0; u < 3; u++) {
		size_t l = strlen(unit_names[u]);
		/* "years" or "year" */
		if (!strcmp(unit, unit_names[u]) ||
		    (strlen(unit) == l - 1 && !strncmp(unit, unit_names[u], l - 1))) {
			*out = (struct retention_period){n, (enum retention_unit)u};
			return 0;
		}
	}
	return -1;
}

void retention_period_format(const struct retention_period *p, char *out, size_t cap)
{
	if (p->n == RETENTION_FOREVER)
		snprintf(out, cap, "forever");
	else
		snprintf(out, cap, "%" PRId64 " %.*s", p->n,
			 (int)strlen(unit_names[p->unit]) - (p->n == 1), unit_names[p->unit]);
}

static int days_in_month(int year, int mon)
{
	static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return mon == 1 && leap ? 29 : d[mon];
}

int64_t retention_cutoff(const struct retention_period *p, int64_t now_ms)
{
	time_t t = (time_t)(now_ms / 1000);
	struct tm tm;
	int64_t cut;

	if (p->n == RETENTION_FOREVER)
		return 0;
	if (p->unit == RETENTION_DAYS) {
		cut = now_ms - p->n * RETENTION_MS_PER_DAY;
		return cut > 0 ? cut : 0;
	}
	localtime_r(&t, &tm);
	long months =
	    (long)tm.tm_year * 12 + tm.tm_mon - (p->unit == RETENTION_YEARS ? 12 * p->n : p->n);
	tm.tm_year = (int)(months / 12);
	tm.tm_mon = (int)(months % 12);
	/* 29 February a year back, 31 March a month back: the month's last day. */
	if (tm.tm_mday > days_in_month(tm.tm_year + 1900, tm.tm_mon))
		tm.tm_mday = days_in_month(tm.tm_year + 1900, tm.tm_mon);
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1 || t <= 0)
		return 0;
	return (int64_t)t * 1000 + now_ms % 1000;
}

char *retention_to_json(void *ctx, const struct retention_schedule *s)
{
	json_object *o = json_object_new_object();
	char *r = NULL;

	if (!o)
		return NULL;
	for (unsigned i = 0; i < RET_N_CLASSES; i++) {
		char p[32];
		retention_period_format(&s->period[i], p, sizeof(p));
		json_object_object_add(
		    o, class_names[i],
		    s->period[i].n == RETENTION_FOREVER ? NULL : json_object_new_string(p));
	}
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
			s->period[i] = (struct retention_period){RETENTION_FOREVER, RETENTION_DAYS};
		else if (json_object_is_type(v, json_type_int)) {
			/* Recorded before periods were calendar ones: days. */
			s->period[i] =
			    (struct retention_period){json_object_get_int64(v), RETENTION_DAYS};
			if (s->period[i].n < 1 || s->period[i].n > 36500)
				rc = -1;
		} else if (json_object_is_type(v, json_type_string)) {
			char unit[16];
			long n;
			if (sscanf(json_object_get_string(v), "%ld %15s", &n, unit) != 2 ||
			    retention_period_parse(n, unit, &s->period[i]) < 0)
				rc = -1;
		} else {
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
