/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The retention schedule: how long each class of record is kept before `chaperone records
 * dispose` may remove its content, and which schedule was in force when.
 *
 * Classes (what disposal may clear):
 *   messages    rx_pdus, messages, questions, unknown_senders (what people wrote)
 *   deliveries  deliveries (what Chaperone sent, to whom)
 *   verdicts    verdicts (what the policy decided, and why)
 *   calls       call records (reserved: configurable, nothing to dispose yet)
 * Everything else (opt-outs, notices, threads, hold decisions, delivery events, directory
 * changes, exports, disclosures, the access log, legal holds, disposals) is never
 * disposed.
 *
 * Promises:
 * - periods are whole days; "forever" keeps a class for good. A month counts as 30 days
 *   and a year as 365 days, so "7 years" is 2555 days whatever the calendar;
 * - the conservative default, 7 years for every class, applies until a schedule is
 *   recorded (retention_current() says "default" then);
 * - the schedule in force is the latest row of retention_schedules (a chained record):
 *   retention_record() appends one only when the periods differ from that row, so
 *   restarting the daemon with the same configuration records nothing;
 * - the periods travel as JSON {"messages": 2555, "deliveries": ..., "verdicts": ...,
 *   "calls": ...} with null for forever; the same text is kept with each disposal. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/archive/store.h"

enum retention_class {
	RET_MESSAGES,
	RET_DELIVERIES,
	RET_VERDICTS,
	RET_CALLS,
	RET_N_CLASSES,
};

#define RETENTION_FOREVER      (-1)
#define RETENTION_DAYS_MONTH   30
#define RETENTION_DAYS_YEAR    365
#define RETENTION_DEFAULT_DAYS (7 * RETENTION_DAYS_YEAR)
#define RETENTION_MAX_DAYS     (100 * RETENTION_DAYS_YEAR)
#define RETENTION_MS_PER_DAY   (86400 * (int64_t)1000)

struct retention_schedule {
	int64_t days[RET_N_CLASSES]; /* RETENTION_FOREVER: kept for good */
};

/* "messages", "deliveries", "verdicts", "calls". */
const char *retention_class_name(enum retention_class c);
/* 0, or -1 if the word is not a class. */
int retention_class_parse(const char *word, enum retention_class *out);

void retention_defaults(struct retention_schedule *s);
bool retention_equal(const struct retention_schedule *a, const struct retention_schedule *b);

/* n (1-100) of unit ("days", "months", "years") in days; 0, or -1 if out of range. */
int retention_period_days(long n, const char *unit, int64_t *days);
/* "7 years", "18 months", "90 days", "forever": the largest unit that divides it. */
void retention_period_format(int64_t days, char *out, size_t cap);

/* JSON text under ctx (NULL when out of memory). */
char *retention_to_json(void *ctx, const struct retention_schedule *s);
/* 0, or -1 if the text is not a schedule (a class missing, a period out of range). */
int retention_from_json(const char *json, struct retention_schedule *s);

/* The schedule in force. */
struct retention_in_force {
	struct retention_schedule schedule;
	int64_t id;	    /* retention_schedules row, 0 for the defaults */
	int64_t at;	    /* when it was recorded, 0 for the defaults */
	const char *source; /* "default" or "config PATH", under ctx */
};
int retention_current(struct store *s, void *ctx, struct retention_in_force *out);

/* Record `sched` (source "config PATH" or "default") unless the latest row already has
 * these periods. *recorded says whether a row was added. Joins the caller's
 * transaction. 0 or -1 (message via store_errmsg). */
int retention_record(struct store *s, const struct retention_schedule *sched, const char *source,
		     bool *recorded);
