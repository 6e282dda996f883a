/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The last AT lines a modem received and sent, for tests that want to show what
 * happened when they fail (`trace` control command), and for -v logging. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#define TRACE_ENTRIES  512
#define TRACE_LINE_MAX 400

struct trace_entry {
	uint64_t t_ms;	 /* monotonic */
	int64_t wall_ms; /* wall clock, for the readable time stamp */
	bool out;
	char line[TRACE_LINE_MAX]; /* escaped: control bytes as \r \n \xNN */
};

struct trace {
	struct trace_entry *ring;
	unsigned head; /* next slot to write */
	unsigned count;
	const char *name; /* modem name, for logs */
};

struct trace *trace_alloc(void *ctx, const char *name);
/* Record one line (in = from the client). Bytes are escaped; long lines are cut. */
void trace_add(struct trace *t, bool out, const char *buf, size_t len);
/* The last `last` entries (all when 0), oldest first, as a JSON array. */
struct json_object *trace_json(const struct trace *t, unsigned last);
