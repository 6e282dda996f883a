/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* AT trace ring buffer, see trace.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <talloc.h>

#include "hw/modemsim/modemsim.h"
#include "hw/modemsim/trace.h"

struct trace *trace_alloc(void *ctx, const char *name)
{
	struct trace *t = talloc_zero(ctx, struct trace);

	if (!t)
		return NULL;
	t->ring = talloc_zero_array(t, struct trace_entry, TRACE_ENTRIES);
	if (!t->ring) {
		talloc_free(t);
		return NULL;
	}
	t->name = name;
	return t;
}

static void escape(char *out, size_t cap, const char *buf, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 5 < cap; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\r') {
			out[o++] = '\\';
			out[o++] = 'r';
		} else if (c == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else if (c == '\\') {
			out[o++] = '\\';
			out[o++] = '\\';
		} else if (c < 0x20 || c >= 0x7f) {
			o += (size_t)snprintf(out + o, cap - o, "\\x%02X", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
}

void trace_add(struct trace *t, bool out, const char *buf, size_t len)
{
	struct trace_entry *e = &t->ring[t->head];
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	e->t_ms = now_ms();
	e->wall_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	e->out = out;
	escape(e->line, sizeof(e->line), buf, len);
	t->head = (t->head + 1) % TRACE_ENTRIES;
	if (t->count < TRACE_ENTRIES)
		t->count++;
	LOGP(DAT, LOGL_DEBUG, "%s %s %s\n", t->name, out ? "->" : "<-", e->line);
}

struct json_object *trace_json(const struct trace *t, unsigned last)
{
	struct json_object *arr = json_object_new_array();
	unsigned n = (last == 0 || last > t->count) ? t->count : last;
	unsigned start = (t->head + TRACE_ENTRIES - n) % TRACE_ENTRIES;

	for (unsigned i = 0; i < n; i++) {
		const struct trace_entry *e = &t->ring[(start + i) % TRACE_ENTRIES];
		struct json_object *o = json_object_new_object();
		time_t sec = (time_t)(e->wall_ms / 1000);
		struct tm tm;
		char ts[40];

		gmtime_r(&sec, &tm);
		snprintf(ts, sizeof(ts), "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (int)(e->wall_ms % 1000));
		json_object_object_add(o, "time", json_object_new_string(ts));
		json_object_object_add(o, "dir", json_object_new_string(e->out ? "out" : "in"));
		json_object_object_add(o, "line", json_object_new_string(e->line));
		json_object_array_add(arr, o);
	}
	return arr;
}
