/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The calls of a bundle as people read them: export_call_account() turns a disclosed
 * call (export_internal.h) into lines of plain text that transcript.html and
 * transcript.pdf both show, so the two transcripts tell the same account of each call.
 *
 * Promises: only what the call as disclosed holds (it has been redacted already); each
 * leg said to have answered or not; a recording said to be in the bundle (its file and
 * SHA-256), withheld (and why), or not copied because the archive's file is missing,
 * altered or unreadable — never left unsaid. */
#include <inttypes.h>
#include <string.h>

#include <talloc.h>

#include "storage/export/export_internal.h"

const char *export_rec_name(enum export_rec r)
{
	switch (r) {
	case EXPORT_REC_COPIED:
		return "copied";
	case EXPORT_REC_WITHHELD:
		return "withheld";
	case EXPORT_REC_DISPOSED:
		return "disposed";
	case EXPORT_REC_MISSING:
		return "missing";
	case EXPORT_REC_ALTERED:
		return "altered";
	case EXPORT_REC_UNREADABLE:
		return "unreadable";
	case EXPORT_REC_NONE:
	default:
		return "none";
	}
}

size_t export_call_leg(const struct rq_call *c, int64_t leg_id)
{
	for (size_t i = 0; leg_id && i < c->n_legs; i++)
		if (c->legs[i].id == leg_id)
			return i + 1;
	return 0;
}

static bool has(const char *s)
{
	return s && *s;
}

/* "Dana Lee (staff)", "Student KTQF (student)", "+16175559999 (not in the directory)";
 * a number when it is disclosed. */
static char *person(void *ctx, const struct rq_person *p)
{
	const char *name = has(p->name) ? p->name : has(p->number) ? p->number : "(unknown)";

	if (!has(p->role) || !strcmp(p->role, "unknown"))
		return talloc_asprintf(ctx, "%s (not in the directory)", name);
	if (has(p->name) && has(p->number) && strcmp(p->name, p->number))
		return talloc_asprintf(ctx, "%s (%s, %s)", name, p->role, p->number);
	return talloc_asprintf(ctx, "%s (%s)", name, p->role);
}

static char *when(void *ctx, int64_t ms)
{
	char local[48], utc[32];

	export_time_local(local, utc, ms);
	return talloc_asprintf(ctx, "%s (%s)", local, utc);
}

struct lines {
	void *ctx;
	const char **v;
	size_t n, cap;
	bool oom;
};

static void add(struct lines *l, char *s)
{
	if (!s || l->oom) {
		l->oom = true;
		return;
	}
	if (l->n + 1 >= l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		const char **v = talloc_realloc(l->ctx, l->v, const char *, cap);
		if (!v) {
			l->oom = true;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = s;
	l->v[l->n] = NULL;
}

static char *recording(void *ctx, const struct export_call *x)
{
	const struct rq_call *c = &x->c;
	char *what = talloc_asprintf(ctx, "%u channels, %.1f s", c->rec_channels,
				     (double)c->rec_duration_ms / 1000.0);

	switch (x->rec) {
	case EXPORT_REC_COPIED:
		return talloc_asprintf(ctx, "Recording: %s in this bundle (%s), SHA-256 %s",
				       x->rec_file, what, x->rec_sha256);
	case EXPORT_REC_WITHHELD:
		return talloc_asprintf(ctx, "Recording WITHHELD (%s): %s", what, x->rec_why);
	case EXPORT_REC_DISPOSED:
		return talloc_strdup(ctx, "Recording: disposed of under the retention schedule");
	case EXPORT_REC_MISSING:
	case EXPORT_REC_ALTERED:
	case EXPORT_REC_UNREADABLE:
		return talloc_asprintf(ctx, "Recording NOT COPIED (%s): %s", what, x->rec_why);
	case EXPORT_REC_NONE:
	default:
		return talloc_strdup(ctx, "Not recorded.");
	}
}

const char **export_call_account(void *ctx, const struct export_call *x, size_t *n)
{
	const struct rq_call *c = &x->c;
	struct lines l = {.ctx = ctx};
	char *head;

	head = talloc_asprintf(ctx, "Call %zu · %s · relay number %s", x->number, when(ctx, c->at),
			       c->relay);
	if (head && (has(c->team_name) || has(c->team_tag)))
		head = talloc_asprintf_append(head, " · team %s",
					      has(c->team_name) ? c->team_name : c->team_tag);
	add(&l, head);
	if (c->disposed) {
		add(&l, talloc_strdup(ctx, "(disposed of under the retention schedule; the "
					   "record's tombstone remains in the archive)"));
		*n = l.n;
		return l.oom ? NULL : l.v;
	}
	if (c->incoming)
		add(&l,
		    talloc_asprintf(ctx, "%s called the relay number%s%s.",
				    person(ctx, &c->initiator), has(c->callee.name) ? " for " : "",
				    has(c->callee.name) ? person(ctx, &c->callee) : ""));
	else
		add(&l, talloc_asprintf(ctx, "%s asked the relay to call %s.",
					person(ctx, &c->initiator),
					has(c->callee.name) ? person(ctx, &c->callee) : "nobody"));
	head = talloc_asprintf(ctx, "Decision: %s",
			       !strcmp(c->action, "connect")  ? "connected"
			       : !strcmp(c->action, "refuse") ? "refused"
							      : c->action);
	if (head && has(c->rules))
		head = talloc_asprintf_append(head, " · rules: %s", c->rules);
	if (head && has(c->reason))
		head = talloc_asprintf_append(head, " · %s", c->reason);
	if (head && c->flagged)
		head = talloc_asprintf_append(head, " · FLAGGED for review");
	add(&l, head);
	if (!c->n_legs)
		add(&l, talloc_strdup(ctx, "No phone was dialled."));
	for (size_t i = 0; i < c->n_legs; i++) {
		const struct rq_call_leg *g = &c->legs[i];
		add(&l, talloc_asprintf(ctx, "Leg %zu, %s: %s, %s (recording channel %u)", i + 1,
					g->role, person(ctx, &g->who),
					g->answered ? "answered" : "did NOT answer", g->channel));
	}
	if (c->end) {
		int64_t at = 0;
		for (size_t i = 0; i < c->n_events; i++)
			if (!strcmp(c->events[i].kind, "end"))
				at = c->events[i].at;
		add(&l, talloc_asprintf(ctx, "Ended: %s, %s", has(c->end) ? c->end : "(no cause)",
					when(ctx, at)));
	} else {
		add(&l, talloc_strdup(ctx, c->n_legs ? "No end was recorded."
						     : "Not connected: it never began."));
	}
	add(&l, recording(ctx, x));
	if (c->n_events)
		add(&l, talloc_strdup(ctx, "Steps:"));
	for (size_t i = 0; i < c->n_events; i++) {
		const struct rq_call_event *e = &c->events[i];
		size_t leg = export_call_leg(c, e->leg_id);
		char *line = talloc_asprintf(ctx, "  %s · ", when(ctx, e->at));
		if (line && leg)
			line = talloc_asprintf_append(line, "leg %zu, %s · ", leg,
						      person(ctx, &c->legs[leg - 1].who));
		if (line)
			line = talloc_asprintf_append(line, "%s%s%s", e->kind,
						      has(e->detail) ? ": " : "",
						      has(e->detail) ? e->detail : "");
		add(&l, line);
	}
	*n = l.n;
	return l.oom ? NULL : l.v;
}
