/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The bundle's records.jsonl: one JSON object per line per message, with its verdict
 * and deliveries; and calls.jsonl: one per call, with its legs, events and recording
 * (json-c).
 *
 * Promises: the text of every message and delivery exactly as disclosed; times both as
 * UTC ISO 8601 and as milliseconds; absent values are null, never left out, so every
 * line has the same keys. */
#include <string.h>

#include <json-c/json.h>

#include "storage/export/export_internal.h"
#include "storage/archive/store.h"

static struct json_object *str(const char *s)
{
	return s ? json_object_new_string(s) : NULL; /* NULL is JSON null to json-c */
}

static struct json_object *when(int64_t ms)
{
	char at[32];

	store_format_time(at, sizeof(at), ms);
	return json_object_new_string(at);
}

static struct json_object *who(const struct rq_person *p)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", str(p->name));
	json_object_object_add(o, "role", str(p->role));
	json_object_object_add(o, "handle", str(p->handle));
	json_object_object_add(o, "number", str(p->number));
	return o;
}

static struct json_object *rules(const char *s)
{
	struct json_object *a = json_object_new_array();
	const char *p = s ? s : "";

	while (*p) {
		size_t n = strcspn(p, ",");
		if (n)
			json_object_array_add(a, json_object_new_string_len(p, (int)n));
		p += n;
		if (*p == ',')
			p++;
	}
	return a;
}

static struct json_object *message(const struct export_doc *d, size_t i)
{
	const struct rq_message *m = &d->msgs[i];
	struct json_object *o = json_object_new_object(), *v, *team = NULL, *dl;

	json_object_object_add(o, "id", json_object_new_int64(m->id));
	json_object_object_add(o, "time", when(m->at));
	json_object_object_add(o, "time_ms", json_object_new_int64(m->at));
	json_object_object_add(o, "conversation", json_object_new_int64((int64_t)d->conv[i]));
	json_object_object_add(o, "relay", str(m->relay));
	if (m->team_id || (m->team_tag && *m->team_tag)) {
		team = json_object_new_object();
		json_object_object_add(team, "tag", str(m->team_tag));
		json_object_object_add(team, "name", str(m->team_name));
	}
	json_object_object_add(o, "team", team);
	json_object_object_add(o, "from", who(&m->from));
	json_object_object_add(o, "text", m->disposed ? NULL : str(m->text));
	json_object_object_add(o, "disposed", json_object_new_boolean(m->disposed));
	v = json_object_new_object();
	json_object_object_add(v, "action", str(m->action));
	json_object_object_add(v, "rules", rules(m->rules));
	json_object_object_add(v, "reason", str(m->reason));
	json_object_object_add(v, "flagged", json_object_new_boolean(m->flagged));
	json_object_object_add(v, "held", json_object_new_boolean(m->held));
	if (m->hold_decision) {
		struct json_object *h = json_object_new_object();
		json_object_object_add(h, "decision", str(m->hold_decision));
		json_object_object_add(h, "time", when(m->hold_at));
		json_object_object_add(h, "by", str(m->hold_by));
		json_object_object_add(h, "note", str(m->hold_note));
		json_object_object_add(v, "hold", h);
	}
	json_object_object_add(o, "verdict", v);
	dl = json_object_new_array();
	for (size_t j = 0; j < m->n_deliveries; j++) {
		const struct rq_delivery *x = &m->deliveries[j];
		struct json_object *e = json_object_new_object();
		json_object_object_add(e, "id", json_object_new_int64(x->id));
		json_object_object_add(e, "time", when(x->at));
		json_object_object_add(e, "sent_time", x->sent_at ? when(x->sent_at) : NULL);
		json_object_object_add(e, "to", who(&x->to));
		json_object_object_add(e, "why", str(x->why));
		json_object_object_add(e, "status", str(x->status));
		json_object_object_add(e, "body", str(x->body));
		json_object_array_add(dl, e);
	}
	json_object_object_add(o, "deliveries", dl);
	return o;
}

/* One JSON Lines record: o as one line, o released; NULL (out of memory) fails. */
static int put_line(FILE *f, struct json_object *o)
{
	const char *line = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								     JSON_C_TO_STRING_NOSLASHESCAPE)
			     : NULL;
	int rc = (!line || fputs(line, f) == EOF || fputc('\n', f) == EOF) ? -1 : 0;

	json_object_put(o);
	return rc;
}

int export_jsonl(FILE *f, const struct export_doc *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (put_line(f, message(d, i)) < 0)
			return -1;
	return ferror(f) ? -1 : 0;
}

static struct json_object *call_recording(const struct export_call *x)
{
	const struct rq_call *c = &x->c;
	struct json_object *r;

	if (x->rec == EXPORT_REC_NONE)
		return NULL;
	r = json_object_new_object();
	json_object_object_add(r, "status", json_object_new_string(export_rec_name(x->rec)));
	json_object_object_add(r, "file", str(x->rec_file));
	json_object_object_add(r, "sha256",
			       x->rec == EXPORT_REC_COPIED ? str(x->rec_sha256) : NULL);
	json_object_object_add(r, "format", str(c->rec_format));
	json_object_object_add(r, "channels", json_object_new_int64(c->rec_channels));
	json_object_object_add(r, "duration_ms", json_object_new_int64(c->rec_duration_ms));
	json_object_object_add(r, "recovered", json_object_new_boolean(c->rec_recovered));
	json_object_object_add(r, "note", str(x->rec_why));
	return r;
}

static struct json_object *call(const struct export_call *x)
{
	const struct rq_call *c = &x->c;
	struct json_object *o = json_object_new_object(), *team = NULL, *v, *a;

	json_object_object_add(o, "call", json_object_new_int64((int64_t)x->number));
	json_object_object_add(o, "time", when(c->at));
	json_object_object_add(o, "time_ms", json_object_new_int64(c->at));
	json_object_object_add(o, "relay", str(c->relay));
	if (c->team_id || (c->team_tag && *c->team_tag)) {
		team = json_object_new_object();
		json_object_object_add(team, "tag", str(c->team_tag));
		json_object_object_add(team, "name", str(c->team_name));
	}
	json_object_object_add(o, "team", team);
	json_object_object_add(o, "incoming", json_object_new_boolean(c->incoming));
	json_object_object_add(o, "initiator", who(&c->initiator));
	json_object_object_add(o, "callee",
			       c->callee.name && *c->callee.name ? who(&c->callee) : NULL);
	v = json_object_new_object();
	json_object_object_add(v, "action", str(c->action));
	json_object_object_add(v, "rules", rules(c->rules));
	json_object_object_add(v, "reason", str(c->reason));
	json_object_object_add(v, "flagged", json_object_new_boolean(c->flagged));
	json_object_object_add(o, "decision", v);
	json_object_object_add(o, "disposed", json_object_new_boolean(c->disposed));
	json_object_object_add(o, "end", str(c->end));
	a = json_object_new_array();
	for (size_t j = 0; j < c->n_legs; j++) {
		const struct rq_call_leg *g = &c->legs[j];
		struct json_object *e = json_object_new_object();
		json_object_object_add(e, "leg", json_object_new_int64((int64_t)j + 1));
		json_object_object_add(e, "time", when(g->at));
		json_object_object_add(e, "role", str(g->role));
		json_object_object_add(e, "who", who(&g->who));
		json_object_object_add(e, "channel", json_object_new_int64(g->channel));
		json_object_object_add(e, "answered", json_object_new_boolean(g->answered));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "legs", a);
	a = json_object_new_array();
	for (size_t j = 0; j < c->n_events; j++) {
		const struct rq_call_event *ev = &c->events[j];
		struct json_object *e = json_object_new_object();
		size_t leg = export_call_leg(c, ev->leg_id);
		json_object_object_add(e, "event", json_object_new_int64((int64_t)j + 1));
		json_object_object_add(e, "time", when(ev->at));
		json_object_object_add(e, "leg", leg ? json_object_new_int64((int64_t)leg) : NULL);
		json_object_object_add(e, "kind", str(ev->kind));
		json_object_object_add(e, "detail", str(ev->detail));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "events", a);
	json_object_object_add(o, "recording", call_recording(x));
	return o;
}

int export_jsonl_calls(FILE *f, const struct export_doc *d)
{
	for (size_t i = 0; i < d->n_calls; i++)
		if (put_line(f, call(&d->calls[i])) < 0)
			return -1;
	return ferror(f) ? -1 : 0;
}
