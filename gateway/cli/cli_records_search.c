/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* `chaperone records search`: the records officer's search of the archive, as a table for
 * the terminal, CSV for a spreadsheet or JSON for a program.
 *
 * Promises:
 * - the records selected are exactly rq_run()'s (storage/records/records_query.h), the query
 *   export and holds use;
 * - every search that runs is recorded in the access log (operator, query, result count,
 *   and the students and guardians whose records it returned) before anything is shown;
 *   a search that fails records nothing and shows nothing;
 * - a bad command line exits CLI_EXIT_USAGE, a query the archive cannot answer (unknown
 *   person or team, ambiguous name, bad date or text query) CLI_EXIT_INPUT, with the
 *   reason on stderr;
 * - the table never passes control characters from message text to the terminal. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <talloc.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "storage/archive/access_log.h"
#include "gateway/cli/cli.h"
#include "gateway/cli/cli_db.h"
#include "gateway/cli/cli_records.h"
#include "gateway/cli/cli_records_query.h"
#include "storage/export/records_export.h"
#include "storage/records/records_query.h"

#define CMD "records search"

enum format { FMT_TABLE, FMT_CSV, FMT_JSON };
#define TABLE_PAGE 100 /* --format table without --limit */

static void synopsis(FILE *f)
{
	fprintf(f,
		"Usage: chaperone records search [--person P] [--direction sent|received]\n"
		"           [--team T] [--relay NUMBER] [--since DATE] [--until DATE]\n"
		"           [--verdict deliver|hold|block|reply|ignore] [--rule ID] [--flagged]\n"
		"           [--held] [--text QUERY] [--thread] [--include-disposed] [--limit N]\n"
		"           [--format table|csv|json] [--db PATH] [--as NAME]\n");
}

static void usage(FILE *f)
{
	synopsis(f);
	fprintf(f,
		"\nFinds the messages and calls of the archive that match every filter given\n"
		"(--verdict, --rule, --held and --text are about texts: they match no call).\n"
		"  --person P      a handle (@rileyc), a full name, or a phone number (a number\n"
		"                  not in the directory finds its own messages)\n"
		"  --direction D   with --person: only what they sent, or only what they received\n"
		"  --team T        a team's tag (#soccer) or name\n"
		"  --since, --until  YYYY-MM-DD or YYYY-MM-DDTHH:MM (local time); --until is\n"
		"                  exclusive, and a bare date includes that whole day\n"
		"  --verdict, --rule  the policy's decision and a rule it cites (guardian-copy)\n"
		"  --flagged       only messages flagged for review (crisis)\n"
		"  --held          only messages that were held\n"
		"  --text QUERY    words of the text, SQLite FTS5 syntax: bus AND late,\n"
		"                  practice*, \"field trip\"\n"
		"  --thread        show whole conversations, not only the matching messages\n"
		"  --include-disposed  list disposed messages too (without their content)\n"
		"  --limit N       the first N matches (before --thread widens them); the\n"
		"                  count line says how many match in all. The table shows\n"
		"                  the first 100 unless told (--limit 0: all); csv and\n"
		"                  json give all unless told\n"
		"Every search is recorded in the access log with --as NAME (default: your user\n"
		"name). docs/records.md is the records officer's guide.\n");
}

/* ---- Table ---- */

/* Text as the terminal should show it: control characters (escape sequences, C0 and
 * the C1 ones UTF-8 can carry) become '?', line breaks continue the indented block. */
static void put_clean(FILE *f, const char *s, const char *newline)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '\n') {
			fputs(newline, f);
		} else if (*c == '\r') {
			continue;
		} else if (*c < 0x20 || *c == 0x7f) {
			fputc('?', f);
		} else if (*c == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f) {
			fputc('?', f);
			c++;
		} else {
			fputc(*c, f);
		}
	}
}

static const char *who(void *ctx, const struct rq_person *p)
{
	if (!p->id && !*p->number)
		return "(removed by disposal)";
	if (!p->id)
		return talloc_asprintf(ctx, "%s (not in the directory)", p->number);
	return talloc_asprintf(ctx, "%s (%s)", p->name, p->role);
}

static unsigned n_recipients(const struct rq_message *m)
{
	unsigned n = 0;

	for (size_t i = 0; i < m->n_deliveries; i++)
		n += strcmp(m->deliveries[i].why, "reply") != 0;
	return n;
}

/* A whole team as its tag; a few people by name. */
static const char *to_line(void *ctx, const struct rq_message *m)
{
	unsigned addressed = 0, n = n_recipients(m), shown = 0;
	char *s;

	for (size_t i = 0; i < m->n_deliveries; i++)
		addressed += !strcmp(m->deliveries[i].why, "addressed");
	if (!n)
		return "nobody";
	if (addressed > 3 && m->team_id)
		return talloc_asprintf(ctx, "#%s (%u recipient%s)", m->team_tag, n,
				       n == 1 ? "" : "s");
	s = talloc_strdup(ctx, "");
	for (size_t i = 0; i < m->n_deliveries && s; i++) {
		const struct rq_delivery *d = &m->deliveries[i];
		bool show = addressed ? !strcmp(d->why, "addressed") : strcmp(d->why, "reply") != 0;
		if (!show)
			continue;
		if (shown == 3) {
			s = talloc_asprintf_append(s, " and others");
			break;
		}
		s = talloc_asprintf_append(s, "%s%s", shown++ ? ", " : "",
					   d->to.id ? d->to.name : d->to.number);
	}
	return talloc_asprintf(ctx, "%s (%u recipient%s)", s, n, n == 1 ? "" : "s");
}

static const char *person_name(void *ctx, struct store *s, int64_t id)
{
	struct store_person p;

	if (id > 0 && store_person_by_id(s, ctx, id, &p) > 0)
		return talloc_asprintf(ctx, "%s %s", p.given, p.family);
	return NULL;
}

/* "== +15550100 #soccer: Dana Lee with Jamie Rivera (4 messages)" */
static void thread_header(void *ctx, struct store *s, const struct rq_result *res, size_t i)
{
	const struct rq_message *m = &res->messages[i];
	const char *key = m->thread_key, *p = strrchr(key, '|');
	size_t n = 0;
	int64_t staff = 0;
	const char *staff_name, *other;
	char *k = talloc_strdup(ctx, key), *f;

	while (i + n < res->n && !strcmp(res->messages[i + n].thread_key, key))
		n++;
	/* RELAY|team|staff|student */
	f = k ? strchr(k, '|') : NULL;
	if (f && (f = strchr(f + 1, '|')))
		staff = strtoll(f + 1, NULL, 10);
	staff_name = person_name(ctx, s, staff);
	p = p ? p + 1 : "";
	if (!strcmp(p, "team"))
		other = "the team";
	else if (!strcmp(p, "0"))
		other = "no student";
	else if (*p == '+' || !(other = person_name(ctx, s, strtoll(p, NULL, 10))))
		other = p;
	printf("== %s%s%s: %s with ", m->relay, m->team_id ? " #" : "",
	       m->team_id ? m->team_tag : "", staff_name ? staff_name : "no staff member");
	put_clean(stdout, other, " ");
	printf(" (%zu message%s)\n", n, n == 1 ? "" : "s");
	talloc_free(k);
}

static void print_table(void *ctx, struct store *s, const struct rq_query *q,
			const struct rq_result *res)
{
	for (size_t i = 0; i < res->n; i++) {
		const struct rq_message *m = &res->messages[i];
		char at[40];
		void *tmp = talloc_new(ctx);

		if (q->thread && (!i || strcmp(res->messages[i - 1].thread_key, m->thread_key)))
			thread_header(tmp, s, res, i);
		store_format_time(at, sizeof(at), m->at);
		printf("%" PRId64 "  %s  %s  from ", m->id, at, m->relay);
		put_clean(stdout, who(tmp, &m->from), " ");
		printf("  to ");
		put_clean(stdout, to_line(tmp, m), " ");
		printf("  %s", *m->action ? m->action : "no verdict");
		if (*m->rules)
			printf(" [%s]", m->rules);
		if (m->flagged)
			printf(" FLAGGED");
		if (m->disposed)
			printf(" DISPOSED");
		printf("\n    ");
		if (m->disposed)
			printf("(disposed: content removed under the retention schedule)");
		else
			put_clean(stdout, m->text, "\n    ");
		printf("\n");
		talloc_free(tmp);
	}
}

/* "hangup", "no end recorded" */
static const char *end_of(const struct rq_call *c)
{
	if (!c->end)
		return "no end recorded";
	return *c->end ? c->end : "ended";
}

/* A call: its line, a line per leg, its recording. */
static void print_call(void *ctx, const struct rq_call *c)
{
	char at[40];

	store_format_time(at, sizeof(at), c->at);
	printf("call %" PRId64 "  %s  %s  ", c->id, at, c->relay);
	put_clean(stdout, c->disposed ? "(removed by disposal)" : who(ctx, &c->initiator), " ");
	printf(" called ");
	put_clean(stdout, c->callee.number ? who(ctx, &c->callee) : "nobody", " ");
	if (c->team_id)
		printf("  #%s", c->team_tag);
	printf("  %s", c->action);
	if (*c->rules)
		printf(" [%s]", c->rules);
	if (c->flagged)
		printf(" FLAGGED");
	if (c->disposed)
		printf(" DISPOSED");
	printf("  end: ");
	put_clean(stdout, end_of(c), " ");
	printf("\n    reason: ");
	put_clean(stdout, c->disposed ? "(disposed)" : c->reason, " ");
	printf("\n");
	for (size_t i = 0; i < c->n_legs; i++) {
		const struct rq_call_leg *l = &c->legs[i];
		printf("    leg %s: ", l->role);
		put_clean(stdout, who(ctx, &l->who), " ");
		printf("%s%s, channel %u, %s\n", l->who.id && *l->who.number ? " " : "",
		       l->who.id ? l->who.number : "", l->channel,
		       l->answered ? "answered" : "not answered");
	}
	if (!c->rec_sha256)
		printf("    no recording\n");
	else
		printf("    recording %s.%s (%u channels, %.1f s)%s%s\n", c->rec_sha256,
		       c->rec_format, c->rec_channels, (double)c->rec_duration_ms / 1000.0,
		       c->rec_recovered ? " recovered after a crash" : "",
		       c->rec_disposed ? " DISPOSED: file deleted" : "");
}

static void print_calls(void *ctx, const struct rq_result *res)
{
	for (size_t i = 0; i < res->n_calls; i++) {
		void *tmp = talloc_new(ctx);
		print_call(tmp, &res->calls[i]);
		talloc_free(tmp);
	}
}

/* ---- CSV ---- */

/* As the export's CSV writes them: a cell a spreadsheet would run as a formula is
 * neutralised. */
static void csv_field(const char *s, bool last)
{
	export_csv_cell(stdout, s, last ? "\n" : ",");
}

/* A call in the messages' columns: from is the initiator, recipients the callee. */
static void csv_call(void *ctx, const struct rq_call *c)
{
	void *tmp = talloc_new(ctx);
	char at[40];
	char *legs = talloc_strdup(tmp, "");

	store_format_time(at, sizeof(at), c->at);
	for (size_t j = 0; j < c->n_legs && legs; j++) {
		const struct rq_call_leg *l = &c->legs[j];
		legs = talloc_asprintf_append(legs, "%s%s <%s> %s %s", j ? "; " : "",
					      l->who.id ? l->who.name : l->who.number, l->who.role,
					      l->role, l->answered ? "answered" : "not answered");
	}
	csv_field(talloc_asprintf(tmp, "%" PRId64, c->id), false);
	csv_field(at, false);
	csv_field(c->relay, false);
	csv_field(c->initiator.id ? c->initiator.name : "", false);
	csv_field(c->initiator.handle, false);
	csv_field(c->initiator.role, false);
	csv_field(c->initiator.number, false);
	csv_field(c->team_id ? talloc_asprintf(tmp, "#%s", c->team_tag) : "", false);
	csv_field(c->action, false);
	csv_field(c->rules, false);
	csv_field(c->reason, false);
	csv_field(c->flagged ? "yes" : "no", false);
	csv_field("no", false);
	csv_field(c->disposed ? "yes" : "no", false);
	csv_field("", false);
	csv_field("", false);
	csv_field(c->callee.id ? talloc_asprintf(tmp, "%s <%s>", c->callee.name, c->callee.role)
			       : "",
		  false);
	csv_field("call", false);
	csv_field(end_of(c), false);
	csv_field(legs, false);
	csv_field(c->rec_sha256 ? talloc_asprintf(tmp, "%s.%s%s", c->rec_sha256, c->rec_format,
						  c->rec_disposed ? " (disposed)" : "")
				: "",
		  true);
	talloc_free(tmp);
}

static void print_csv(void *ctx, const struct rq_result *res)
{
	static const char *const head[] = {
	    "id",
	    "time",
	    "relay",
	    "from",
	    "from_handle",
	    "from_role",
	    "from_number",
	    "team",
	    "verdict",
	    "rules",
	    "reason",
	    "flagged",
	    "held",
	    "disposed",
	    "thread",
	    "text",
	    "recipients",
	    /* Calls, after the messages' columns: the row's record ("message" or
	     * "call"), and a call's end, legs and recording. */
	    "record",
	    "end",
	    "legs",
	    "recording",
	};
	const size_t n_head = ARRAY_SIZE(head);

	for (size_t i = 0; i < n_head; i++)
		csv_field(head[i], i + 1 == n_head);
	for (size_t i = 0; i < res->n; i++) {
		const struct rq_message *m = &res->messages[i];
		void *tmp = talloc_new(ctx);
		char at[40];
		char *to = talloc_strdup(tmp, "");

		store_format_time(at, sizeof(at), m->at);
		for (size_t j = 0; j < m->n_deliveries && to; j++) {
			const struct rq_delivery *d = &m->deliveries[j];
			to = talloc_asprintf_append(to, "%s%s <%s> %s", j ? "; " : "",
						    d->to.id ? d->to.name : d->to.number,
						    d->to.role, d->status);
		}
		csv_field(talloc_asprintf(tmp, "%" PRId64, m->id), false);
		csv_field(at, false);
		csv_field(m->relay, false);
		csv_field(m->from.id ? m->from.name : "", false);
		csv_field(m->from.handle, false);
		csv_field(m->from.role, false);
		csv_field(m->from.number, false);
		csv_field(m->team_id ? talloc_asprintf(tmp, "#%s", m->team_tag) : "", false);
		csv_field(m->action, false);
		csv_field(m->rules, false);
		csv_field(m->reason, false);
		csv_field(m->flagged ? "yes" : "no", false);
		csv_field(m->held ? "yes" : "no", false);
		csv_field(m->disposed ? "yes" : "no", false);
		csv_field(m->thread_key, false);
		csv_field(m->text, false);
		csv_field(to, false);
		csv_field("message", false);
		csv_field("", false);
		csv_field("", false);
		csv_field("", true);
		talloc_free(tmp);
	}
	for (size_t i = 0; i < res->n_calls; i++)
		csv_call(ctx, &res->calls[i]);
}

/* ---- JSON ---- */

static struct json_object *jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static struct json_object *jperson(const struct rq_person *p)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", p->id ? json_object_new_int64(p->id) : NULL);
	json_object_object_add(o, "name", p->id ? jstr(p->name) : NULL);
	json_object_object_add(o, "handle", p->id ? jstr(p->handle) : NULL);
	json_object_object_add(o, "role", jstr(p->role));
	json_object_object_add(o, "number", jstr(p->number));
	return o;
}

static struct json_object *jtime(int64_t ms)
{
	char at[40];

	store_format_time(at, sizeof(at), ms);
	return json_object_new_string(at);
}

static struct json_object *jmessage(const struct rq_message *m)
{
	struct json_object *o = json_object_new_object(), *v, *rules, *dels, *t = NULL;
	const char *r = m->rules;

	json_object_object_add(o, "id", json_object_new_int64(m->id));
	json_object_object_add(o, "at", jtime(m->at));
	json_object_object_add(o, "at_ms", json_object_new_int64(m->at));
	json_object_object_add(o, "relay", jstr(m->relay));
	json_object_object_add(o, "from", jperson(&m->from));
	if (m->team_id) {
		t = json_object_new_object();
		json_object_object_add(t, "id", json_object_new_int64(m->team_id));
		json_object_object_add(t, "tag", jstr(m->team_tag));
		json_object_object_add(t, "name", jstr(m->team_name));
	}
	json_object_object_add(o, "team", t);
	json_object_object_add(o, "text", m->disposed ? NULL : jstr(m->text));
	v = json_object_new_object();
	rules = json_object_new_array();
	while (r && *r) {
		size_t len = strcspn(r, ",");
		if (len)
			json_object_array_add(rules, json_object_new_string_len(r, (int)len));
		r += len + (r[len] == ',');
	}
	json_object_object_add(v, "id",
			       m->verdict_id ? json_object_new_int64(m->verdict_id) : NULL);
	json_object_object_add(v, "action", *m->action ? jstr(m->action) : NULL);
	json_object_object_add(v, "rules", rules);
	json_object_object_add(v, "reason", jstr(m->reason));
	json_object_object_add(o, "verdict", v);
	json_object_object_add(o, "flagged", json_object_new_boolean(m->flagged));
	json_object_object_add(o, "held", json_object_new_boolean(m->held));
	json_object_object_add(o, "disposed", json_object_new_boolean(m->disposed));
	json_object_object_add(o, "thread", jstr(m->thread_key));
	dels = json_object_new_array();
	for (size_t i = 0; i < m->n_deliveries; i++) {
		const struct rq_delivery *d = &m->deliveries[i];
		struct json_object *jd = json_object_new_object();
		json_object_object_add(jd, "id", json_object_new_int64(d->id));
		json_object_object_add(jd, "at", jtime(d->at));
		json_object_object_add(jd, "to", jperson(&d->to));
		json_object_object_add(jd, "why", jstr(d->why));
		json_object_object_add(jd, "status", jstr(d->status));
		json_object_object_add(jd, "body", m->disposed ? NULL : jstr(d->body));
		json_object_array_add(dels, jd);
	}
	json_object_object_add(o, "deliveries", dels);
	json_object_object_add(o, "record", json_object_new_string("message"));
	return o;
}

static struct json_object *jrules(const char *r)
{
	struct json_object *rules = json_object_new_array();

	while (r && *r) {
		size_t len = strcspn(r, ",");
		if (len)
			json_object_array_add(rules, json_object_new_string_len(r, (int)len));
		r += len + (r[len] == ',');
	}
	return rules;
}

static struct json_object *jcall(const struct rq_call *c)
{
	struct json_object *o = json_object_new_object(), *v, *legs, *t = NULL, *rec = NULL;

	json_object_object_add(o, "id", json_object_new_int64(c->id));
	json_object_object_add(o, "at", jtime(c->at));
	json_object_object_add(o, "at_ms", json_object_new_int64(c->at));
	json_object_object_add(o, "relay", jstr(c->relay));
	json_object_object_add(o, "direction", jstr(c->incoming ? "in" : "out"));
	json_object_object_add(o, "initiator", jperson(&c->initiator));
	json_object_object_add(o, "callee", c->callee.number ? jperson(&c->callee) : NULL);
	if (c->team_id) {
		t = json_object_new_object();
		json_object_object_add(t, "id", json_object_new_int64(c->team_id));
		json_object_object_add(t, "tag", jstr(c->team_tag));
		json_object_object_add(t, "name", jstr(c->team_name));
	}
	json_object_object_add(o, "team", t);
	v = json_object_new_object();
	json_object_object_add(v, "action", jstr(c->action));
	json_object_object_add(v, "rules", jrules(c->rules));
	json_object_object_add(v, "reason", c->disposed ? NULL : jstr(c->reason));
	json_object_object_add(o, "verdict", v);
	json_object_object_add(o, "flagged", json_object_new_boolean(c->flagged));
	json_object_object_add(o, "disposed", json_object_new_boolean(c->disposed));
	json_object_object_add(o, "end", jstr(c->end));
	legs = json_object_new_array();
	for (size_t i = 0; i < c->n_legs; i++) {
		const struct rq_call_leg *l = &c->legs[i];
		struct json_object *jl = json_object_new_object();
		json_object_object_add(jl, "id", json_object_new_int64(l->id));
		json_object_object_add(jl, "at", jtime(l->at));
		json_object_object_add(jl, "who", jperson(&l->who));
		json_object_object_add(jl, "role", jstr(l->role));
		json_object_object_add(jl, "channel", json_object_new_int(l->channel));
		json_object_object_add(jl, "answered", json_object_new_boolean(l->answered));
		json_object_array_add(legs, jl);
	}
	json_object_object_add(o, "legs", legs);
	if (c->rec_sha256) {
		rec = json_object_new_object();
		json_object_object_add(rec, "sha256", jstr(c->rec_sha256));
		json_object_object_add(rec, "format", jstr(c->rec_format));
		json_object_object_add(rec, "bytes", json_object_new_int64(c->rec_bytes));
		json_object_object_add(rec, "duration_ms",
				       json_object_new_int64(c->rec_duration_ms));
		json_object_object_add(rec, "channels", json_object_new_int(c->rec_channels));
		json_object_object_add(rec, "recovered", json_object_new_boolean(c->rec_recovered));
		json_object_object_add(rec, "disposed", json_object_new_boolean(c->rec_disposed));
	}
	json_object_object_add(o, "recording", rec);
	json_object_object_add(o, "record", json_object_new_string("call"));
	return o;
}

/* One array, one message per line: valid JSON that line tools can still read. */
static void print_json(const struct rq_result *res)
{
	size_t n = res->n + res->n_calls;

	printf("[");
	for (size_t i = 0; i < n; i++) {
		struct json_object *o =
		    i < res->n ? jmessage(&res->messages[i]) : jcall(&res->calls[i - res->n]);
		printf("%s\n%s", i ? "," : "",
		       json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	}
	printf("%s]\n", n ? "\n" : "");
}

/* ---- The access log ---- */

static int cmp_id(const void *a, const void *b)
{
	const int64_t *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

static void add_subject(void *ctx, int64_t **ids, size_t *n, const struct rq_person *p)
{
	if (!p->id || (strcmp(p->role, "student") && strcmp(p->role, "guardian")))
		return;
	*ids = talloc_realloc(ctx, *ids, int64_t, *n + 1);
	if (*ids)
		(*ids)[(*n)++] = p->id;
}

/* The students and guardians whose records the search returned (FERPA's record of
 * access), among the result's persons. */
static int log_access(void *ctx, struct store *s, const char *operator,
		      const struct rq_result * res)
{
	int64_t *ids = talloc_array(ctx, int64_t, 1);
	size_t n = 0, u = 0;
	struct access_entry a = {0};

	for (size_t i = 0; i < res->n && ids; i++) {
		add_subject(ctx, &ids, &n, &res->messages[i].from);
		for (size_t j = 0; j < res->messages[i].n_deliveries && ids; j++)
			add_subject(ctx, &ids, &n, &res->messages[i].deliveries[j].to);
	}
	for (size_t i = 0; i < res->n_calls && ids; i++) {
		const struct rq_call *c = &res->calls[i];
		add_subject(ctx, &ids, &n, &c->initiator);
		if (c->callee.number)
			add_subject(ctx, &ids, &n, &c->callee);
		for (size_t j = 0; j < c->n_legs && ids; j++)
			add_subject(ctx, &ids, &n, &c->legs[j].who);
	}
	if (!ids)
		return -1;
	qsort(ids, n, sizeof(*ids), cmp_id);
	for (size_t i = 0; i < n; i++)
		if (!u || ids[u - 1] != ids[i])
			ids[u++] = ids[i];
	a.at = store_now_ms();
	a.operator= operator;
	a.action = "search";
	a.query_json = res->query_json;
	a.results = (int64_t)(res->n + res->n_calls);
	a.subjects = ids;
	a.n_subjects = u;
	return access_log_add(s, &a) < 0 ? -1 : 0;
}

/* ---- The command ---- */

enum {
	O_DISPOSED = 256,
	O_LIMIT,
	O_FORMAT,
	O_DB,
	O_AS,
};

static const struct option options[] = {
    CLI_RQ_OPTIONS,
    {"include-disposed", no_argument, NULL, O_DISPOSED},
    {"limit", required_argument, NULL, O_LIMIT},
    {"format", required_argument, NULL, O_FORMAT},
    {"db", required_argument, NULL, O_DB},
    {"as", required_argument, NULL, O_AS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct args {
	struct rq_query q;
	struct cli_rq_dates dates;
	const char *db, *as;
	enum format format;
	bool limit_given;
};

static int bad_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "chaperone: " CMD ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	synopsis(stderr);
	return CLI_EXIT_USAGE;
}

/* -1: go on; else the exit status. */
static int parse(int argc, char **argv, struct args *a)
{
	int c;
	char *end;
	unsigned long lim;
	const char *why = NULL, *what = NULL;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		int taken = cli_rq_take(&a->q, &a->dates, c, optarg, &why);

		if (taken < 0)
			return bad_usage(why, optarg);
		if (taken)
			continue;
		switch (c) {
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		case O_DISPOSED:
			a->q.include_disposed = true;
			break;
		case O_LIMIT:
			lim = strtoul(optarg, &end, 10);
			if (!*optarg || *end || optarg[0] == '-' || lim > 100000000)
				return bad_usage("--limit is a number of messages, not '%s'",
						 optarg);
			a->q.limit = (unsigned)lim;
			a->limit_given = true;
			break;
		case O_FORMAT:
			if (!strcmp(optarg, "table"))
				a->format = FMT_TABLE;
			else if (!strcmp(optarg, "csv"))
				a->format = FMT_CSV;
			else if (!strcmp(optarg, "json"))
				a->format = FMT_JSON;
			else
				return bad_usage("--format is table, csv or json, not '%s'",
						 optarg);
			break;
		case O_DB:
			a->db = optarg;
			break;
		case O_AS:
			a->as = optarg;
			break;
		case ':':
			return bad_usage("%s needs a value", argv[optind - 1]);
		default:
			return bad_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad_usage("unexpected argument '%s'", argv[optind]);
	if (cli_rq_finish(&a->q, &a->dates, &why, &what) < 0)
		return bad_usage(why, what);
	return -1;
}

int cli_records_search(int argc, char **argv)
{
	struct args a = {0};
	void *ctx;
	struct store *s;
	struct rq_result *res;
	char err[512];
	int rc = parse(argc, argv, &a);

	if (rc >= 0)
		return rc;
	ctx = talloc_named_const(NULL, 0, "chaperone records search");
	s = cli_open_archive(ctx, a.db);
	if (!s) {
		talloc_free(ctx);
		return CLI_EXIT_DB;
	}
	/* A screen shows the first page and how many match in all (which is what answers
	 * quickly on a large archive); CSV and JSON, made for programs, carry everything. */
	if (a.format == FMT_TABLE && !a.limit_given)
		a.q.limit = TABLE_PAGE;
	res = rq_run(s, ctx, &a.q, err, sizeof(err));
	if (!res) {
		cli_err(CMD, "%s", err);
		talloc_free(ctx);
		return CLI_EXIT_INPUT;
	}
	/* Recorded before it is shown: no one sees records the log does not know of. */
	if (log_access(ctx, s, cli_actor(ctx, a.as), res) < 0) {
		cli_err(CMD, "cannot record the search in the access log: %s", store_errmsg(s));
		talloc_free(ctx);
		return CLI_EXIT_DB;
	}
	switch (a.format) {
	case FMT_TABLE:
		print_table(ctx, s, &a.q, res);
		print_calls(ctx, res);
		break;
	case FMT_CSV:
		print_csv(ctx, res);
		break;
	case FMT_JSON:
		print_json(res);
		break;
	}
	fflush(stdout);
	if (res->total > RQ_TOTAL_CAP)
		fprintf(stderr,
			"%zu message%s shown of more than %d that match (--limit N shows N, "
			"--limit 0 all)\n",
			res->n, res->n == 1 ? "" : "s", RQ_TOTAL_CAP);
	else if (res->total > (int64_t)res->n)
		fprintf(stderr,
			"%zu message%s shown of %" PRId64 " that match (--limit N shows N, "
			"--limit 0 all)\n",
			res->n, res->n == 1 ? "" : "s", res->total);
	else
		fprintf(stderr, "%zu message%s\n", res->n, res->n == 1 ? "" : "s");
	if (res->calls_total > (int64_t)res->n_calls)
		fprintf(stderr, "%zu call%s shown of %" PRId64 " that match\n", res->n_calls,
			res->n_calls == 1 ? "" : "s", res->calls_total);
	else if (res->n_calls)
		fprintf(stderr, "%zu call%s\n", res->n_calls, res->n_calls == 1 ? "" : "s");
	talloc_free(ctx);
	return CLI_EXIT_OK;
}
