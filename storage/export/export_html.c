/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The bundle's transcript.html: the records for reading and printing.
 *
 * Promises: one self-contained page (inline CSS; no script, no image, no link to
 * anything, and a Content-Security-Policy that forbids loading any), every value
 * escaped so that a message body is always shown as text, a cover with the request and
 * how the records were selected, then the messages conversation by conversation, each
 * with its time, sender, recipients and their status, the verdict and the text, then
 * the calls (export_call_account()); it prints (@media print: no message split across pages). */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <talloc.h>

#include "storage/export/export_internal.h"
#include "storage/archive/store.h"

static bool has(const char *s)
{
	return s && *s;
}

static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned cp;
		size_t ctl = export_bidi_control((const unsigned char *)s, &cp);
		if (ctl) {
			fprintf(f, "<span class=\"ctl\">[U+%04X]</span>", cp);
			s += ctl - 1;
			continue;
		}
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static const char style[] =
    "body{font:11pt/1.45 system-ui,-apple-system,\"Segoe UI\",Helvetica,Arial,sans-serif;"
    "color:#111;background:#fff;margin:2em auto;max-width:62em;padding:0 1em}"
    "h1{font-size:1.5em;margin-bottom:.2em}"
    "h2{font-size:1.15em;border-bottom:1px solid #888;margin-top:2em;padding-bottom:.2em}"
    "table{border-collapse:collapse}"
    "table.cover th{text-align:left;padding:.25em 1.2em .25em 0;vertical-align:top;"
    "white-space:nowrap}"
    "table.cover td{padding:.25em 0;vertical-align:top}"
    ".mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85em;"
    "overflow-wrap:anywhere}"
    ".msg{border:1px solid #bbb;border-radius:4px;padding:.5em .8em;margin:.8em 0;"
    "break-inside:avoid;page-break-inside:avoid}"
    ".meta{color:#333;font-size:.9em;margin:.15em 0}"
    ".text{white-space:pre-wrap;overflow-wrap:anywhere;margin:.5em 0;padding:.4em .6em;"
    "background:#f4f4f4;border-left:3px solid #888}"
    ".gone{font-style:italic;color:#555}"
    ".flag{color:#a00;font-weight:bold}"
    "table.to{width:100%;font-size:.85em;margin-top:.3em}"
    "table.to th,table.to td{border-top:1px solid #ddd;padding:.15em .4em;text-align:left;"
    "vertical-align:top}"
    "table.to td.body{white-space:pre-wrap;overflow-wrap:anywhere}"
    ".note{font-size:.9em;color:#333}"
    ".ctl{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.8em;color:#a00}"
    ".t,td.t{white-space:nowrap}.utc{color:#555;font-size:.85em}"
    ".text,td.body{unicode-bidi:plaintext}"
    "@media print{body{margin:0;max-width:none;font-size:9.5pt}"
    "h2{break-after:avoid;page-break-after:avoid}"
    ".text{background:none}.msg{border-color:#888}}";

static void row(FILE *f, const char *label, const char *value)
{
	fputs("<tr><th>", f);
	esc(f, label);
	fputs("</th><td>", f);
	esc(f, value);
	fputs("</td></tr>\n", f);
}

/* The query as "filter: value" lines. */
static void query_rows(FILE *f, const char *json)
{
	struct json_object *q = json ? json_tokener_parse(json) : NULL;
	bool any = false;

	fputs("<tr><th>Query</th><td>", f);
	if (q && json_object_is_type(q, json_type_object)) {
		json_object_object_foreach(q, key, val)
		{
			const char *v =
			    json_object_is_type(val, json_type_string)
				? json_object_get_string(val)
				: json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN);
			fputs(any ? "<br>" : "", f);
			esc(f, key);
			fputs(": ", f);
			esc(f, v);
			any = true;
		}
	}
	if (!any)
		fputs("every message of the archive", f);
	fputs("</td></tr>\n", f);
	json_object_put(q);
}

static void cover(FILE *f, const struct export_doc *d)
{
	char n[320];

	fputs("<header>\n<h1>Text message records</h1>\n<p class=\"note\">Public-records "
	      "export from the district's Chaperone archive.</p>\n<table class=\"cover\">\n",
	      f);
	row(f, "Request", d->request);
	row(f, "Requester", d->requester);
	row(f, "Purpose", d->purpose);
	row(f, "Exported", d->created);
	fputs("<tr><th>Operator</th><td>", f);
	esc(f, d->operator);
	fputs(" (account ", f);
	esc(f, d->os_user);
	fputs(")</td></tr>\n", f);
	query_rows(f, d->query_json);
	row(f, "Redaction",
	    !strcmp(d->redaction, "none") ? "none"
	    : !strcmp(d->redaction, "students")
		? "students' names, handles and numbers replaced by pseudonyms"
	    : !strcmp(d->redaction, "guardians")
		? "guardians' names, handles and numbers replaced by pseudonyms"
		: "students' and guardians' names, handles and numbers replaced by "
		  "pseudonyms");
	snprintf(n, sizeof(n),
		 "%zu messages in %zu conversations; %zu deliveries; %zu calls (recordings: "
		 "%zu copied, %zu withheld, %zu not copied: the archive's file was not as "
		 "recorded)",
		 d->n, d->n_conv, d->n_deliveries, d->n_calls, d->rec_copied, d->rec_withheld,
		 d->rec_faults);
	row(f, "Records", n);
	row(f, "Staff numbers", !strcmp(d->staff_numbers, "shown") ? "shown" : "withheld");
	row(f, "Time zone", d->zone ? d->zone : "the exporting machine's");
	if (d->notice)
		row(f, "Recording notice", d->notice);
	snprintf(n, sizeof(n), "record %" PRId64 ", hash %s", d->head_seq, d->head_hash);
	fputs("<tr><th>Archive chain head</th><td><span class=\"mono\">", f);
	esc(f, n);
	fputs("</span><br><span class=\"mono\">", f);
	esc(f, d->anchor);
	fputs("</span></td></tr>\n</table>\n", f);
	fputs("<p class=\"note\">Times are the district's, with the UTC instant beside them. "
	      "The recording notice above went before each person's first message from a "
	      "relay number; those copies say [recording notice] instead of repeating it. "
	      "Each message shows who sent it to the "
	      "relay number, the decision the district's policy made about it, and every "
	      "copy the relay sent (to whom, why, its last known status, and the text the "
	      "recipient received). The same records are in records.csv, deliveries.csv and "
	      "records.jsonl; manifest.json holds the SHA-256 of each file.</p>\n</header>\n",
	      f);
}

/* "Dana Lee (staff, +16175550101)", "Student KTQF (student)", "+16175550999 (not in
 * the directory)". */
static void person(FILE *f, const struct rq_person *p)
{
	bool unknown = !has(p->role) || !strcmp(p->role, "unknown");

	/* A name in another script does not reorder what is around it. */
	fputs("<bdi>", f);
	if (has(p->name))
		esc(f, p->name);
	else if (has(p->number))
		esc(f, p->number);
	else
		fputs("(unknown)", f);
	fputs("</bdi>", f);
	if (unknown) {
		fputs(" (not in the directory)", f);
		return;
	}
	fputs(" (", f);
	esc(f, p->role);
	if (has(p->name) && has(p->number) && strcmp(p->name, p->number)) {
		fputs(", ", f);
		esc(f, p->number);
	}
	fputs(")", f);
}

/* A time as people read it, in the district's zone (the process's: the CLI takes it
 * from the archive), with the UTC instant beside it:
 * "2026-09-13 07:46:40 EDT <span>(11:46:40.000Z)</span>", never wrapped. */
static void when(FILE *f, int64_t ms)
{
	char local[48], utc[32];

	export_time_local(local, utc, ms);
	fputs("<span class=\"t\">", f);
	esc(f, local);
	fputs(" <span class=\"utc\">(", f);
	esc(f, utc);
	fputs(")</span></span>", f);
}

static void deliveries(FILE *f, const struct export_doc *d, const struct rq_message *m)
{
	if (!m->n_deliveries) {
		fputs("<div class=\"meta\"><b>To:</b> nobody (nothing was sent)</div>\n", f);
		return;
	}
	fputs("<table class=\"to\"><tr><th>To</th><th>Why</th><th>Status</th><th>Sent</th>"
	      "<th>Text received</th></tr>\n",
	      f);
	/* A held message's copies were recorded when it came in and sent when it was
	 * released: the time shown is when each was actually sent. */
	for (size_t i = 0; i < m->n_deliveries; i++) {
		const struct rq_delivery *dl = &m->deliveries[i];
		fputs("<tr><td>", f);
		person(f, &dl->to);
		fputs("</td><td>", f);
		esc(f, dl->why);
		fputs("</td><td>", f);
		esc(f, dl->status);
		fputs("</td><td>", f);
		if (dl->sent_at)
			when(f, dl->sent_at);
		else
			fputs("not sent", f);
		fputs("</td><td class=\"body\">", f);
		if (export_body_shown(d, dl) != dl->body)
			fputs("<span class=\"note\">[recording notice]</span>\n", f);
		esc(f, export_body_shown(d, dl));
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void message(FILE *f, const struct export_doc *d, const struct rq_message *m)
{

	fprintf(f,
		"<article class=\"msg\" id=\"m%" PRId64 "\">\n<div class=\"meta\">Message %" PRId64
		" &middot; ",
		m->id, m->id);
	when(f, m->at);
	fputs(" &middot; relay number ", f);
	esc(f, m->relay);
	if (has(m->team_tag) || has(m->team_name)) {
		fputs(" &middot; team ", f);
		esc(f, has(m->team_name) ? m->team_name : m->team_tag);
		if (has(m->team_tag) && has(m->team_name)) {
			fputs(" (#", f);
			esc(f, m->team_tag[0] == '#' ? m->team_tag + 1 : m->team_tag);
			fputs(")", f);
		}
	}
	fputs("</div>\n<div class=\"meta\"><b>From:</b> ", f);
	person(f, &m->from);
	fputs("</div>\n", f);
	if (m->disposed)
		fputs("<p class=\"text gone\">(content disposed of under the retention schedule; "
		      "the record's tombstone remains in the archive)</p>\n",
		      f);
	else {
		fputs("<p class=\"text\">", f);
		esc(f, m->text);
		fputs("</p>\n", f);
	}
	fputs("<div class=\"meta\"><b>Verdict:</b> ", f);
	if (has(m->action)) {
		esc(f, m->action);
		if (has(m->rules)) {
			fputs(" &middot; rules: ", f);
			esc(f, m->rules);
		}
		if (has(m->reason)) {
			fputs(" &middot; ", f);
			esc(f, m->reason);
		}
	} else {
		fputs("none recorded", f);
	}
	if (m->flagged)
		fputs(" &middot; <span class=\"flag\">flagged for review</span>", f);
	if (m->held)
		fputs(" &middot; held for review", f);
	fputs("</div>\n", f);
	if (m->held) {
		fputs("<div class=\"meta\"><b>Hold:</b> ", f);
		if (has(m->hold_decision)) {
			esc(f, m->hold_decision);
			fputs(" by ", f);
			esc(f, m->hold_by);
			fputs(" at ", f);
			when(f, m->hold_at);
			if (has(m->hold_note)) {
				fputs(" &middot; note: ", f);
				esc(f, m->hold_note);
			}
		} else {
			fputs("no decision recorded (still held when exported)", f);
		}
		fputs("</div>\n", f);
	}
	deliveries(f, d, m);
	fputs("</article>\n", f);
}

/* The calls, each as its account (export_call_account()): who called whom, the
 * decision, each leg, the end, the recording (copied, withheld or not copied) and the
 * steps. */
static int calls(FILE *f, const struct export_doc *d)
{
	if (!d->n_calls)
		return 0;
	fputs("<section class=\"calls\">\n<h2>Calls</h2>\n<p class=\"note\">Relayed calls "
	      "the query selected, numbered within this bundle. The same records are in "
	      "calls.csv, call-legs.csv, call-events.csv and calls.jsonl; recordings in the "
	      "bundle are named call-NNNN.flac after their call.</p>\n",
	      f);
	for (size_t i = 0; i < d->n_calls; i++) {
		void *tmp = talloc_new(NULL);
		size_t n = 0;
		const char **lines = tmp ? export_call_account(tmp, &d->calls[i], &n) : NULL;
		if (!lines) {
			talloc_free(tmp);
			return -1;
		}
		fprintf(f, "<article class=\"msg\" id=\"call%zu\">\n", d->calls[i].number);
		for (size_t j = 0; j < n; j++) {
			fputs(j ? "<div class=\"meta\">" : "<div class=\"meta\"><b>", f);
			esc(f, lines[j]);
			fputs(j ? "</div>\n" : "</b></div>\n", f);
		}
		fputs("</article>\n", f);
		talloc_free(tmp);
	}
	fputs("</section>\n", f);
	return 0;
}

/* A split request's transcript.html: each conversation, its size and dates, linked to
 * its own file. */
static void index_of(FILE *f, const struct export_doc *d)
{
	size_t i = 0;

	fputs("<h2>Conversations</h2>\n<p class=\"note\">This request holds many "
	      "conversations: each is a file of its own in this bundle.</p>\n<table "
	      "class=\"to\"><tr><th>#</th><th>Conversation</th><th>Messages</th>"
	      "<th>From</th><th>To</th></tr>\n",
	      f);
	while (i < d->n) {
		size_t k = d->conv[d->by_conv[i]], n = 0;
		int64_t first = d->msgs[d->by_conv[i]].at, last = first;
		for (; i < d->n && d->conv[d->by_conv[i]] == k; i++, n++) {
			int64_t at = d->msgs[d->by_conv[i]].at;
			first = at < first ? at : first;
			last = at > last ? at : last;
		}
		fprintf(f, "<tr><td>%zu</td><td><a href=\"" EXPORT_CONVERSATION_FILE "\">", k, k);
		esc(f, d->conv_title[k]);
		fprintf(f, "</a></td><td>%zu</td><td>", n);
		when(f, first);
		fputs("</td><td>", f);
		when(f, last);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

int export_html(FILE *f, const struct export_doc *d)
{
	size_t conv = 0;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'\">\n<meta name=\"referrer\" content=\"no-referrer\">\n"
	      "<title>Text message records: ",
	      f);
	esc(f, d->request);
	if (d->only_conv)
		fprintf(f, ", conversation %zu", d->only_conv);
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n", style);
	if (d->only_conv) {
		fputs("<header><p class=\"note\"><a href=\"transcript.html\">Request ", f);
		esc(f, d->request);
		fputs("</a>: one conversation of the bundle. Times are the district's, with the "
		      "UTC instant beside them.</p></header>\n",
		      f);
	} else {
		cover(f, d);
	}
	fputs("<main>\n", f);
	if (!d->n)
		fputs("<p>No message matched the query.</p>\n", f);
	if (!d->n_calls && !d->only_conv)
		fputs("<p>No call matched the query.</p>\n", f);
	if (d->split && !d->only_conv) {
		index_of(f, d);
		if (calls(f, d) < 0)
			return -1;
		fputs("</main>\n</body>\n</html>\n", f);
		return ferror(f) ? -1 : 0;
	}
	for (size_t i = 0; i < d->n; i++) {
		size_t k = d->by_conv[i];
		if (d->only_conv && d->conv[k] != d->only_conv)
			continue;
		if (d->conv[k] != conv) {
			if (conv)
				fputs("</section>\n", f);
			conv = d->conv[k];
			fprintf(f, "<section class=\"conv\">\n<h2>Conversation %zu: ", conv);
			esc(f, d->conv_title[conv]);
			fputs("</h2>\n", f);
		}
		message(f, d, &d->msgs[k]);
	}
	if (conv)
		fputs("</section>\n", f);
	if (!d->only_conv && calls(f, d) < 0)
		return -1;
	fputs("</main>\n<footer><p class=\"note\">End of the records of request ", f);
	esc(f, d->request);
	fputs(".</p></footer>\n</body>\n</html>\n", f);
	return ferror(f) ? -1 : 0;
}
