/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The bundle's records.csv (one row per message), deliveries.csv (one row per copy
 * the relay sent), calls.csv (one row per call, with what became of its recording),
 * call-legs.csv (one per leg) and call-events.csv (one per step), and the redaction
 * review; RFC 4180 quoting by libcsv. Calls, legs and events are numbered within the
 * bundle (the archive's call ids are not disclosed: records_export.h).
 *
 * Promises: a header row naming the columns; every text field quoted; times in UTC ISO
 * 8601; a field that a spreadsheet would run as a formula (starting with = + - @, a tab
 * or a carriage return, other than a phone number) is prefixed with an apostrophe, so
 * that opening the file cannot run what a message said (records.jsonl keeps the text
 * exactly). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "storage/export/export_internal.h"
#include "storage/export/records_export.h"
#include "storage/model/phone_number.h"
#include "storage/archive/store.h"

struct out {
	FILE *f;
	bool bad; /* out of memory, or the stream failed */
};

int export_csv_cell(FILE *f, const char *s, const char *eol)
{
	int rc = 0;

	s = s ? s : "";
	if (s[0] && strchr("=+-@\t\r", s[0]) && !phone_is_e164(s)) {
		size_t n = strlen(s);
		char *buf = malloc(n + 2);
		if (buf) {
			buf[0] = '\'';
			memcpy(buf + 1, s, n + 1);
			if (csv_fwrite(f, buf, n + 1) == EOF)
				rc = -1;
		} else {
			rc = -1;
		}
		free(buf);
	} else if (csv_fwrite(f, s, strlen(s)) == EOF) {
		rc = -1;
	}
	fputs(eol ? eol : ",", f);
	return rc;
}

/* One field, then "," or the end of the row. */
static void cell(struct out *o, const char *s, bool last)
{
	if (export_csv_cell(o->f, s, last ? "\r\n" : ",") < 0)
		o->bad = true;
}

static void num(struct out *o, int64_t v, bool last)
{
	fprintf(o->f, "%" PRId64 "%s", v, last ? "\r\n" : ",");
}

static void when(struct out *o, int64_t ms)
{
	char at[32];

	store_format_time(at, sizeof(at), ms);
	cell(o, at, false);
}

static void who(struct out *o, const struct rq_person *p)
{
	cell(o, p->name, false);
	cell(o, p->role, false);
	cell(o, p->handle, false);
	cell(o, p->number, false);
}

static int done(struct out *o)
{
	return o->bad || ferror(o->f) ? -1 : 0;
}

int export_csv_records(FILE *f, const struct export_doc *d)
{
	struct out o = {.f = f};

	fputs("message_id,time,conversation,relay,team_tag,team_name,from_name,from_role,"
	      "from_handle,from_number,text,action,rules,reason,flagged,held,disposed,"
	      "deliveries,hold_decision,hold_decided_at,hold_decided_by,hold_note\r\n",
	      f);
	for (size_t i = 0; i < d->n; i++) {
		const struct rq_message *m = &d->msgs[i];
		num(&o, m->id, false);
		when(&o, m->at);
		num(&o, (int64_t)d->conv[i], false);
		cell(&o, m->relay, false);
		cell(&o, m->team_tag, false);
		cell(&o, m->team_name, false);
		who(&o, &m->from);
		cell(&o, m->disposed ? "" : m->text, false);
		cell(&o, m->action, false);
		cell(&o, m->rules, false);
		cell(&o, m->reason, false);
		num(&o, m->flagged, false);
		num(&o, m->held, false);
		num(&o, m->disposed, false);
		num(&o, (int64_t)m->n_deliveries, false);
		cell(&o, m->hold_decision, false);
		if (m->hold_at)
			when(&o, m->hold_at);
		else
			cell(&o, NULL, false);
		cell(&o, m->hold_by, false);
		cell(&o, m->hold_note, true);
	}
	return done(&o);
}

int export_csv_deliveries(FILE *f, const struct export_doc *d)
{
	struct out o = {.f = f};

	fputs("delivery_id,message_id,time,sent_time,to_name,to_role,to_handle,to_number,why,"
	      "status,body\r\n",
	      f);
	for (size_t i = 0; i < d->n; i++) {
		const struct rq_message *m = &d->msgs[i];
		for (size_t j = 0; j < m->n_deliveries; j++) {
			const struct rq_delivery *dl = &m->deliveries[j];
			num(&o, dl->id, false);
			num(&o, m->id, false);
			when(&o, dl->at);
			if (dl->sent_at)
				when(&o, dl->sent_at);
			else
				cell(&o, NULL, false);
			who(&o, &dl->to);
			cell(&o, dl->why, false);
			cell(&o, dl->status, false);
			cell(&o, dl->body, true);
		}
	}
	return done(&o);
}

int export_csv_review(FILE *f, const struct export_doc *d)
{
	struct out o = {.f = f};

	fputs("message_id,call,conversation,time,field,delivery_id,rule,person,context\r\n", f);
	for (size_t i = 0; i < d->n_review; i++) {
		const struct export_review_row *r = &d->review[i];
		bool msg = r->msg < d->n;
		if (msg) {
			num(&o, d->msgs[r->msg].id, false);
			fputs(",", f);
			num(&o, (int64_t)d->conv[r->msg], false);
			when(&o, d->msgs[r->msg].at);
		} else if (r->call && r->call <= d->n_calls) {
			fputs(",", f);
			num(&o, (int64_t)r->call, false);
			fputs(",", f);
			when(&o, d->calls[r->call - 1].c.at);
		} else {
			fputs(",,,,", f);
		}
		cell(&o, r->field, false);
		if (r->delivery_id)
			num(&o, r->delivery_id, false);
		else
			fputs(",", f);
		cell(&o, r->rule, false);
		cell(&o, r->label, false);
		cell(&o, r->context, true);
	}
	return done(&o);
}

int export_csv_calls(FILE *f, const struct export_doc *d)
{
	struct out o = {.f = f};

	fputs("call,time,relay,team_tag,team_name,incoming,initiator_name,initiator_role,"
	      "initiator_handle,initiator_number,callee_name,callee_role,callee_handle,"
	      "callee_number,action,rules,reason,flagged,disposed,end,legs,legs_answered,"
	      "recording,recording_file,recording_sha256,recording_format,recording_channels,"
	      "recording_duration_ms,recording_note\r\n",
	      f);
	for (size_t i = 0; i < d->n_calls; i++) {
		const struct export_call *x = &d->calls[i];
		const struct rq_call *c = &x->c;
		size_t answered = 0;
		bool rec = x->rec != EXPORT_REC_NONE;
		for (size_t j = 0; j < c->n_legs; j++)
			answered += c->legs[j].answered;
		num(&o, (int64_t)x->number, false);
		when(&o, c->at);
		cell(&o, c->relay, false);
		cell(&o, c->team_tag, false);
		cell(&o, c->team_name, false);
		num(&o, c->incoming, false);
		who(&o, &c->initiator);
		who(&o, &c->callee);
		cell(&o, c->action, false);
		cell(&o, c->rules, false);
		cell(&o, c->reason, false);
		num(&o, c->flagged, false);
		num(&o, c->disposed, false);
		cell(&o, c->end, false);
		num(&o, (int64_t)c->n_legs, false);
		num(&o, (int64_t)answered, false);
		cell(&o, export_rec_name(x->rec), false);
		cell(&o, x->rec_file, false);
		cell(&o, x->rec == EXPORT_REC_COPIED ? x->rec_sha256 : NULL, false);
		cell(&o, rec ? c->rec_format : NULL, false);
		if (rec) {
			num(&o, c->rec_channels, false);
			num(&o, c->rec_duration_ms, false);
		} else {
			fputs(",,", f);
		}
		cell(&o, x->rec_why, true);
	}
	return done(&o);
}

int export_csv_call_legs(FILE *f, const struct export_doc *d)
{
	struct out o = {.f = f};

	fputs("call,leg,time,role,name,person_role,handle,number,channel,answered\r\n", f);
	for (size_t i = 0; i < d->n_calls; i++) {
		const struct rq_call *c = &d->calls[i].c;
		for (size_t j = 0; j < c->n_legs; j++) {
			const struct rq_call_leg *g = &c->legs[j];
			num(&o, (int64_t)d->calls[i].number, false);
			num(&o, (int64_t)j + 1, false);
			when(&o, g->at);
			cell(&o, g->role, false);
			who(&o, &g->who);
			num(&o, g->channel, false);
			num(&o, g->answered, true);
		}
	}
	return done(&o);
}

int export_csv_call_events(FILE *f, const struct export_doc *d)
{
	struct out o = {.f = f};

	fputs("call,event,time,leg,kind,detail\r\n", f);
	for (size_t i = 0; i < d->n_calls; i++) {
		const struct rq_call *c = &d->calls[i].c;
		for (size_t j = 0; j < c->n_events; j++) {
			const struct rq_call_event *e = &c->events[j];
			size_t leg = export_call_leg(c, e->leg_id);
			num(&o, (int64_t)d->calls[i].number, false);
			num(&o, (int64_t)j + 1, false);
			when(&o, e->at);
			if (leg)
				num(&o, (int64_t)leg, false);
			else
				fputs(",", f);
			cell(&o, e->kind, false);
			cell(&o, e->detail, true);
		}
	}
	return done(&o);
}
