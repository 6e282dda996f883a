/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The retention schedule: how long each class of record is kept before `chaperone records
 * dispose` may remove its content, and which schedule was in force when.
 *
 * Classes (what disposal may clear):
 *   messages    rx_pdus, messages, questions, unknown_senders (what people wrote)
 *   deliveries  deliveries (what Chaperone sent, to whom)
 *   verdicts    verdicts (what the policy decided, and why)
 *   calls       calls, their legs, events and recordings (the files are deleted)
 * Everything else (opt-outs, notices, threads, hold decisions, delivery events, directory
 * changes, exports, disclosures, the access log, legal holds, disposals) is never
 * disposed.
 *
 * Promises:
 * - a period is a number of days, months or calendar years, or "forever" (kept for
 *   good); it is counted back on the calendar in the district's zone (the process's
 *   local zone): 7 years before 1 March 2033 is 1 March 2026, a month before 31 March
 *   is 28 (or 29) February, a year before 29 February is 28 February;
 * - the conservative default, 7 years for every class, applies until a schedule is
 *   recorded (retention_current() says "default" then);
 * - the schedule in force is the latest row of retention_schedules (a chained record):
 *   retention_record() appends one only when the periods differ from that row, so
 *   restarting the daemon with the same configuration records nothing;
 * - the periods travel as JSON {"messages": "7 years", "deliveries": ..., "verdicts":
 *   ..., "calls": ...} with null for forever; the same text is kept with each disposal.
 *   A number (schedules recorded before periods were calendar ones) is read as days. */
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

#define RETENTION_FOREVER    (-1)
#define RETENTION_MS_PER_DAY (86400 * (int64_t)1000)

enum retention_unit {
	RETENTION_DAYS,
	RETENTION_MONTHS,
	RETENTION_YEARS,
};

struct retention_period {
	int64_t n; /* 1-100 (days up to 36,500), or RETENTION_FOREVER */
	enum retention_unit unit;
};

struct retention_schedule {
	struct retention_period period[RET_N_CLASSES];
};

/* "messages", "deliveries", "verdicts", "calls". */
const char *retention_class_name(enum retention_class c);
/* 0, or -1 if the word is not a class. */
int retention_class_parse(const char *word, enum retention_class *out);

void retention_defaults(struct retention_schedule *s);
bool retention_equal(const struct retention_schedule *a, const struct retention_schedule *b);

/* n (1-100) of unit ("days", "months", "years", or the singular): 0, or -1 if out of
 * range. */
int retention_period_parse(long n, const char *unit, struct retention_period *out);
/* "days", "months", "years": the unit as the configuration writes it. */
const char *retention_unit_name(enum retention_unit u);
/* "7 years", "18 months", "90 days", "forever". */
void retention_period_format(const struct retention_period *p, char *out, size_t cap);
/* The instant (ms) before which a record is past the period, counted back from now on
 * the calendar of the local zone; 0 for forever (and for a period reaching before
 * 1970). */
int64_t retention_cutoff(const struct retention_period *p, int64_t now_ms);

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
