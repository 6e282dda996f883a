/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* What a message from someone in the directory means, and who it is for: a staff
 * member's #tag (a team or group) or @handles, the conversation an unaddressed reply
 * continues, or the answer to a question the relay asked; a family's message goes to
 * its team's staff. What cannot be resolved is blocked with a reason or held with a
 * question, never guessed. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <talloc.h>

#include "gateway/relay/router_internal.h"

/* ---- Addresses ---- */

static const char *body_of(struct work *w, const struct grammar_parse *g)
{
	return talloc_strndup(w->tmp, w->in->text + g->body_off, g->body_len);
}

/* The sender's teams on this relay, all of them (a talloc array on the work's memory);
 * -1 when memory ran out. */
static int staff_teams(struct work *w, struct dir_team ***out)
{
	return dir_teams_on_relay(w->tmp, w->sender, w->relay, out);
}

static char *team_list(void *ctx, struct dir_team *const *t, unsigned n, const char *sep)
{
	char *s = talloc_strdup(ctx, "");

	for (unsigned i = 0; i < n; i++)
		s = talloc_asprintf_append(s, "%s#%s", i ? sep : "", t[i]->tag);
	return s;
}

/* Resolve a '#' address among the sender's teams on this relay. */
static int resolve_tag(struct work *w, const struct grammar_addr *a, struct policy_request *req,
		       const char *body)
{
	struct dir_team **mine;
	int got = staff_teams(w, &mine);
	struct dir_team *t = dir_team_by_tag(w->r->dir, a->word);
	struct dir_subgroup *hit = NULL;
	unsigned hits = 0, n = got > 0 ? (unsigned)got : 0;

	if (got < 0)
		return -1;

	if (t) {
		if (t->relay != w->relay) {
			char *alt =
			    t->relay
				? talloc_asprintf(w->tmp, "Text %s from %s instead.",
						  t->relay->number, "your phone")
				: talloc_strdup(w->tmp, "Ask the district to assign it a number.");
			return router_block(
			    w, t, body,
			    talloc_asprintf(w->tmp, "#%s is not served by this number.", a->word),
			    alt);
		}
		req->team = t;
		if (!a->sub[0]) {
			req->addr = POLICY_TO_TEAM;
			return 1;
		}
		req->subgroup = dir_subgroup_by_name(t, a->sub);
		if (!req->subgroup)
			return router_block(
			    w, t, body,
			    talloc_asprintf(w->tmp, "%s has no group called \"%s\".", t->name,
					    a->sub),
			    talloc_asprintf(w->tmp, "Reply WHO #%s to see its groups.", t->tag));
		req->addr = POLICY_TO_SUBGROUP;
		return 1;
	}
	/* A subgroup named on its own: fine when exactly one of the sender's teams has it. */
	for (unsigned i = 0; i < n; i++) {
		struct dir_subgroup *g = dir_subgroup_by_name(mine[i], a->word);
		if (g) {
			hit = g;
			hits++;
		}
	}
	if (hits == 1 && !a->sub[0]) {
		req->team = hit->team;
		req->subgroup = hit;
		req->addr = POLICY_TO_SUBGROUP;
		return 1;
	}
	if (hits > 1) {
		char *opts = talloc_strdup(w->tmp, "");
		for (unsigned i = 0; i < n; i++)
			if (dir_subgroup_by_name(mine[i], a->word))
				opts = talloc_asprintf_append(opts, "%s#%s.%s", *opts ? " or " : "",
							      mine[i]->tag, a->word);
		return router_ask(
			   w, "address", body, false, false,
			   talloc_asprintf(w->tmp, "#%s names a group on several teams", a->word),
			   talloc_asprintf(w->tmp,
					   "More than one team has a group \"%s\". Reply %s to "
					   "send it, or DISCARD to drop it.",
					   a->word, opts)) < 0
			   ? -1
			   : 0;
	}
	return router_block(
		   w, NULL, body, talloc_asprintf(w->tmp, "nobody is called #%s.", a->word),
		   talloc_asprintf(w->tmp, "Your teams on this number: %s. Reply WHO for more.",
				   n ? team_list(w->tmp, mine, n, ", ") : "none")) < 0
		   ? -1
		   : 0;
}

static bool in_list(struct dir_person *const *l, unsigned n, const struct dir_person *p)
{
	for (unsigned i = 0; i < n; i++)
		if (l[i] == p)
			return true;
	return false;
}

/* Whom an @word can mean among the people the sender reaches on this number (the staff
 * and students of their teams here, and those students' guardians): everyone whose
 * handle starts with it. A talloc array; its count in *n. */
static struct dir_person **handle_candidates(struct work *w, const char *word,
					     struct dir_team *const *mine, unsigned n_mine,
					     unsigned *n)
{
	size_t len = strlen(word);
	struct dir_person **c = talloc_array(w->tmp, struct dir_person *, 8);
	unsigned cap = 8;

	*n = 0;
#define CONSIDER(p)                                                                                \
	do {                                                                                       \
		struct dir_person *p_ = (p);                                                       \
		if (c && p_ != w->sender && !strncmp(p_->handle, word, len) &&                     \
		    !in_list(c, *n, p_)) {                                                         \
			if (*n == cap)                                                             \
				c = talloc_realloc(w->tmp, c, struct dir_person *, cap *= 2);      \
			if (c)                                                                     \
				c[(*n)++] = p_;                                                    \
		}                                                                                  \
	} while (0)
	for (unsigned t = 0; t < n_mine; t++) {
		for (unsigned i = 0; i < mine[t]->n_staff; i++)
			CONSIDER(mine[t]->staff[i]);
		for (unsigned i = 0; i < mine[t]->n_students; i++) {
			struct dir_person *s = mine[t]->students[i];
			CONSIDER(s);
			for (unsigned g = 0; g < s->n_guardians; g++)
				CONSIDER(s->guardians[g]);
		}
	}
#undef CONSIDER
	return c;
}

/* The person @word means: the handle itself unless someone else the sender reaches here
 * has a handle starting with it (two Sam O.s: @samo). 1 and *out when one; 0 when nobody;
 * 2 when several, 3 when it only begins one person's handle (*opts says whom, for the
 * question). An answer to "which one?" takes the handle as it is (exact). */
static int match_handle(struct work *w, const char *word, struct dir_team *const *mine,
			unsigned n_mine, bool exact, struct dir_person **out, char **opts)
{
	struct dir_person *p = dir_person_by_handle(w->r->dir, word);
	unsigned n;
	struct dir_person **c;

	*out = p;
	if (p && exact)
		return 1;
	c = handle_candidates(w, word, mine, n_mine, &n);
	if (!c)
		return -1;
	if (n == 0 || (n == 1 && c[0] == p))
		return p ? 1 : 0;
	if (p && !in_list(c, n, p) && n >= 1) {
		/* The exact handle is someone the sender does not reach here: the policy
		 * says so; the prefix matches are others. */
		return 1;
	}
	/* Never guessed: the one person whose handle it begins is asked about too. */
	*opts = talloc_strdup(w->tmp, "");
	for (unsigned i = 0; i < n && i < 6; i++)
		*opts = talloc_asprintf_append(*opts, "%s@%s (%s %s)", i ? " or " : "",
					       c[i]->handle, c[i]->given, c[i]->family);
	return n == 1 ? 3 : 2;
}

/* "Which one?": the message waits with its other @ words; the answer is the handle. */
static int ask_which(struct work *w, const struct grammar_parse *g, unsigned which,
		     const char *body, const char *opts, bool one)
{
	char *asked = talloc_strdup(w->tmp, "");

	for (unsigned i = 0; i < g->n_addrs; i++)
		if (i != which)
			asked = talloc_asprintf_append(asked, "@%s ", g->addrs[i].word);
	asked = talloc_asprintf_append(asked, "%s", body);
	return router_ask(
	    w, "address", asked, g->urgent, g->crisis,
	    talloc_asprintf(
		w->tmp, one ? "@%s is nobody's handle, but begins one" : "@%s names several people",
		g->addrs[which].word),
	    talloc_asprintf(w->tmp,
			    one ? "Did you mean %s? Reply with the handle to send it, or DISCARD "
				  "to drop it."
				: "Which one? Reply %s to send it to them, or DISCARD to drop it.",
			    opts));
}

/* Resolve '@' addresses; the team context is the one team on this relay the sender and
 * every addressee share, the recent thread's team when several, else a question. */
static int resolve_handles(struct work *w, const struct grammar_parse *g,
			   struct policy_request *req, const char *body, int64_t thread_team,
			   bool answering)
{
	const struct dir_person **people =
	    talloc_array(w->tmp, const struct dir_person *, g->n_addrs);
	struct dir_team **mine, **shared;
	int n_mine = staff_teams(w, &mine);
	unsigned n_shared = 0;
	char *opts = NULL;

	if (n_mine < 0 || !people)
		return -1;
	shared = talloc_array(w->tmp, struct dir_team *, n_mine ? n_mine : 1);
	if (!shared)
		return -1;

	for (unsigned i = 0; i < g->n_addrs; i++) {
		const struct grammar_addr *a = &g->addrs[i];
		struct dir_person *p;
		if (a->kind != GRAMMAR_ADDR_HANDLE)
			return router_block(
				   w, NULL, body,
				   "a message goes to one team (#tag) or to people (@name), not "
				   "both.",
				   "Send two messages.") < 0
				   ? -1
				   : 0;
		int m = match_handle(w, a->word, mine, n_mine > 0 ? (unsigned)n_mine : 0, answering,
				     &p, &opts);

		switch (m) {
		case -1:
			return -1;
		case 0:
			return router_block(
				   w, NULL, body,
				   talloc_asprintf(w->tmp, "nobody is called @%s.", a->word),
				   "Reply WHO #team for the names on a team.") < 0
				   ? -1
				   : 0;
		case 2:
		case 3:
			return ask_which(w, g, i, body, opts, m == 3) < 0 ? -1 : 0;
		}
		people[i] = p;
	}
	/* Any staff member may answer a student in crisis on a number the student knows
	 * (a counselor is often on no team): the student's team there labels it. */
	if (!n_mine && g->crisis && g->n_addrs == 1) {
		int k = dir_teams_on_relay(w->tmp, people[0], w->relay, &mine);

		if (k < 0)
			return -1;
		n_mine = k;
		if (n_mine) {
			req->addr = POLICY_TO_PEOPLE;
			req->people = people;
			req->n_people = 1;
			req->team = mine[0];
			return 1;
		}
	}
	if (!n_mine)
		return router_block(w, NULL, body,
				    "you are not on the staff of a team this number serves.",
				    "Use the number of your team.") < 0
			   ? -1
			   : 0;
	for (int t = 0; t < n_mine; t++) {
		bool all = true;
		for (unsigned i = 0; i < g->n_addrs && all; i++) {
			struct dir_team **theirs;
			int k = dir_teams_on_relay(w->tmp, people[i], w->relay, &theirs);
			bool in =
			    dir_is_staff_side(people[i]) && dir_team_has_member(mine[t], people[i]);
			if (k < 0)
				return -1;
			for (int j = 0; j < k; j++)
				if (theirs[j] == mine[t])
					in = true;
			all = in;
		}
		if (all)
			shared[n_shared++] = mine[t];
	}
	req->addr = POLICY_TO_PEOPLE;
	req->people = people;
	req->n_people = g->n_addrs;
	if (n_shared == 1) {
		req->team = shared[0];
		return 1;
	}
	if (n_shared == 0) {
		/* Let the engine say who is not on the sender's teams. */
		req->team = mine[0];
		return 1;
	}
	for (unsigned t = 0; t < n_shared; t++) {
		if (shared[t]->id == thread_team) {
			req->team = shared[t];
			return 1;
		}
	}
	/* A crisis answer does not wait for "which team?": the team only labels it and
	 * chooses the overseers alerted, and every principal and counselor is alerted
	 * whatever the team. */
	if (g->crisis) {
		req->team = shared[0];
		return 1;
	}
	/* The question keeps the @ words with the text: the answer names the team, and the
	 * message must still go to these people, not to the team (staff_message). */
	char *asked = talloc_strdup(w->tmp, "");
	for (unsigned i = 0; i < g->n_addrs; i++)
		asked = talloc_asprintf_append(asked, "@%s ", g->addrs[i].word);
	asked = talloc_asprintf_append(asked, "%s", body);
	return router_ask(
		   w, "address", asked, g->urgent, g->crisis,
		   "addressees share several of the sender's teams",
		   talloc_asprintf(w->tmp,
				   "Which team is this about? Reply %s to send it, or DISCARD to "
				   "drop it.",
				   team_list(w->tmp, shared, n_shared, " or "))) < 0
		   ? -1
		   : 0;
}

/* ---- Questions the relay asked ---- */

static void got_question(const struct rec_question *q, void *data)
{
	struct open_q *o = data;

	o->found = true;
	o->q = *q;
	o->body = talloc_strdup(o, q->body);
	o->kind = talloc_strdup(o, q->kind);
	o->q.body = o->body;
	o->q.kind = o->kind;
	o->q.relay = NULL;
}

struct open_q *router_open_question(struct work *w)
{
	struct open_q *o = talloc_zero(w->tmp, struct open_q);
	int64_t since = w->in->at - (int64_t)w->r->cfg.question_window_s * 1000;

	if (!w->sender ||
	    rec_question_open(w->r->store, w->in->relay, w->sender->id, since, got_question, o) < 0)
		o->found = false;
	return o;
}

/* ---- Messages from staff and from families ---- */

/* An unaddressed staff message: the reply to the latest conversation (its counterpart,
 * in its team), or, when there is none, a question to the sender. 1 to go on with req,
 * else what router_ask returned. */
static int reply_to_thread(struct work *w, const struct grammar_parse *g,
			   struct policy_request *req, const char *body, int64_t thread_team,
			   int64_t counterpart)
{
	struct dir_person *cp = counterpart ? dir_person_by_id(w->r->dir, counterpart) : NULL;
	const struct dir_person **people;
	struct dir_team *tt = NULL;

	for (unsigned i = 0; cp && i < w->r->dir->n_teams; i++)
		if (w->r->dir->teams[i]->id == thread_team)
			tt = w->r->dir->teams[i];
	if (!cp || !tt) {
		struct dir_team **mine;
		int n = staff_teams(w, &mine);
		if (n < 0)
			return -1;
		return router_ask(
		    w, "address", body, g->urgent, g->crisis,
		    "no address and no recent conversation to reply to",
		    talloc_asprintf(w->tmp,
				    "Who is this for? Reply %s%s or @name to send "
				    "it, or DISCARD to drop it.",
				    n ? team_list(w->tmp, mine, (unsigned)n, ", ") : "#team",
				    n ? " (whole team)" : ""));
	}
	people = talloc_array(w->tmp, const struct dir_person *, 1);
	if (!people)
		return -1;
	people[0] = cp;
	req->addr = POLICY_TO_PEOPLE;
	req->people = people;
	req->n_people = 1;
	req->team = tt;
	return 1;
}

int router_staff_message(struct work *w, const struct grammar_parse *g)
{
	struct policy_request req = {0};
	const char *body = body_of(w, g);
	struct open_q *oq = router_open_question(w);
	struct grammar_parse merged;
	int64_t thread_team = 0, counterpart = 0, answer_team = 0;
	int rc;
	bool answering = false;

	if (g->bad_addr[0])
		return router_block(
		    w, NULL, body,
		    talloc_asprintf(w->tmp, "\"%s\" is not an address.", g->bad_addr),
		    "Use #team or @name; reply HELP for examples.");
	if (g->bad_flag[0])
		return router_block(
		    w, NULL, body,
		    talloc_asprintf(w->tmp, "\"!%s\" is not a flag I know.", g->bad_flag),
		    "Use !urgent or !crisis; reply HELP for examples.");
	/* An address on its own answers the question the gateway asked. */
	if (g->n_addrs && !g->body_len && oq->found) {
		merged = *g;
		merged.urgent = g->urgent || oq->q.urgent;
		merged.crisis = g->crisis || oq->q.crisis;
		g = &merged;
		body = oq->body;
		answering = true;
		/* "Which team is this about?" was asked about a message to people (its body
		 * keeps their @ words): "#track" names the team of the conversation, and the
		 * message goes to those people in Track's context, not to all of Track. */
		if (g->n_addrs == 1 && g->addrs[0].kind == GRAMMAR_ADDR_TAG &&
		    !g->addrs[0].sub[0]) {
			struct grammar_parse asked;
			struct dir_team *t = dir_team_by_tag(w->r->dir, g->addrs[0].word);

			grammar_parse(oq->body, strlen(oq->body), &asked);
			if (asked.n_addrs && asked.addrs[0].kind == GRAMMAR_ADDR_HANDLE) {
				asked.urgent = merged.urgent;
				asked.crisis = merged.crisis;
				merged = asked;
				body = talloc_strndup(w->tmp, oq->body + asked.body_off,
						      asked.body_len);
				answer_team = t ? t->id : -1;
			}
		} else if (g->addrs[0].kind == GRAMMAR_ADDR_HANDLE) {
			/* "Which one?" was asked about one @ word: the answer's handles join
			 * the message's other @ words, which wait in its body. */
			struct grammar_parse asked;

			grammar_parse(oq->body, strlen(oq->body), &asked);
			for (unsigned i = 0;
			     i < asked.n_addrs && merged.n_addrs < GRAMMAR_MAX_ADDRS; i++)
				if (asked.addrs[i].kind == GRAMMAR_ADDR_HANDLE)
					merged.addrs[merged.n_addrs++] = asked.addrs[i];
			if (asked.n_addrs)
				body = talloc_strndup(w->tmp, oq->body + asked.body_off,
						      asked.body_len);
		}
	}
	if (g->n_addrs && !*body)
		return router_block(w, NULL, body, "the message has an address but no text.",
				    "Write the text after the address, e.g. #team Practice at 5.");
	req.body = body;
	req.urgent = g->urgent;
	req.crisis = g->crisis;
	rec_thread_last(w->r->store, w->in->relay, w->sender->id,
			w->in->at - (int64_t)w->r->cfg.thread_window_s * 1000, &thread_team,
			&counterpart);
	if (!g->n_addrs) {
		rc = reply_to_thread(w, g, &req, body, thread_team, counterpart);
		if (rc <= 0)
			return rc;
	} else if (g->addrs[0].kind == GRAMMAR_ADDR_TAG) {
		if (g->n_addrs > 1)
			return router_block(w, NULL, body,
					    "a message goes to one team or group at a time.",
					    "Send one message per team.");
		rc = resolve_tag(w, &g->addrs[0], &req, body);
		if (rc <= 0)
			return rc;
	} else {
		rc = resolve_handles(w, g, &req, body, answer_team ? answer_team : thread_team,
				     answering);
		if (rc <= 0)
			return rc;
	}
	if (answering &&
	    rec_question_close(w->r->store, oq->q.id, w->in->at, "answered", w->message_id) < 0)
		return -1;
	if (router_crisis_staff(w, &req) < 0)
		return -1;
	return router_evaluate_and_record(w, &req);
}

int router_family_message(struct work *w, const struct grammar_parse *g)
{
	struct policy_request req = {0};
	struct dir_team **teams;
	int got = dir_teams_on_relay(w->tmp, w->sender, w->relay, &teams);
	struct open_q *oq = router_open_question(w);
	const char *body = w->in->text;
	int64_t thread_team = 0, cp = 0;
	unsigned n = got > 0 ? (unsigned)got : 0;

	if (got < 0)
		return -1;

	if (!n)
		return router_block(w, NULL, body, "this number serves teams you are not on.",
				    "Contact the school office.");
	/* A student in a crisis conversation writes to its staff member alone. */
	switch (g->n_addrs ? 0 : router_crisis_family(w, &req)) {
	case -1:
		return -1;
	case 1:
		req.body = body;
		return router_evaluate_and_record(w, &req);
	}
	/* '#' and '@' words address teams, groups and people, which only staff do. A
	 * family's message goes to the team's staff, so forwarding "#soccer hi team" would
	 * mislead the sender about who reads it (on a number serving two teams, possibly
	 * the other team's coaches): refuse and say how to write instead, as the policy's
	 * own replies do. "#track" alone may answer "which team?" and is handled below. */
	if (g->n_addrs && !(oq->found && !strcmp(oq->kind, "team") && !g->body_len))
		return router_block(
		    w, NULL, body,
		    "students and families cannot message a team, a group or a person by "
		    "# or @.",
		    "To reach your team's coaches or advisors, send your message without "
		    "# or @ words.");
	if (n == 1) {
		req.team = teams[0];
	} else {
		/* The answer to "which team?" is the team's tag or name, alone. */
		char word[64];
		size_t len = strlen(body);
		while (len &&
		       (body[len - 1] == ' ' || body[len - 1] == '.' || body[len - 1] == '!'))
			len--;
		snprintf(word, sizeof(word), "%.*s", (int)len, body[0] == '#' ? body + 1 : body);
		if (oq->found && !strcmp(oq->kind, "team")) {
			for (unsigned i = 0; i < n; i++)
				if (!strcasecmp(word, teams[i]->tag) ||
				    !strcasecmp(word, teams[i]->name))
					req.team = teams[i];
			if (req.team) {
				body = oq->body;
				if (rec_question_close(w->r->store, oq->q.id, w->in->at, "answered",
						       w->message_id) < 0)
					return -1;
			}
		}
		if (!req.team &&
		    rec_thread_last(w->r->store, w->in->relay, w->sender->id,
				    w->in->at - (int64_t)w->r->cfg.thread_window_s * 1000,
				    &thread_team, &cp) == 0)
			for (unsigned i = 0; i < n; i++)
				if (teams[i]->id == thread_team)
					req.team = teams[i];
		if (!req.team) {
			char *names = talloc_strdup(w->tmp, "");
			for (unsigned i = 0; i < n; i++) {
				char *up = talloc_strdup(w->tmp, teams[i]->tag);
				for (char *c = up; *c; c++)
					*c = (char)toupper((unsigned char)*c);
				names = talloc_asprintf_append(names, "%s%s", i ? " or " : "", up);
			}
			return router_ask(
			    w, "team", body, false, false,
			    "sender is on several teams served by this number",
			    talloc_asprintf(w->tmp,
					    "Which team is this for? Reply %s and your "
					    "message goes to that team's coaches.",
					    names));
		}
	}
	req.addr = POLICY_TO_STAFF;
	req.body = body;
	/* On a building's number a student talks with one counselor or nurse, not with all
	 * the school's staff: a reply goes to the staff member of the conversation. */
	if (req.team->kind == DIR_TEAM_BUILDING &&
	    rec_thread_last(w->r->store, w->in->relay, w->sender->id,
			    w->in->at - (int64_t)w->r->cfg.thread_window_s * 1000, &thread_team,
			    &cp) == 0 &&
	    thread_team == req.team->id) {
		const struct dir_person **staff =
		    talloc_array(w->tmp, const struct dir_person *, 1);

		if (!staff)
			return -1;
		staff[0] = dir_person_by_id(w->r->dir, cp);
		if (staff[0]) {
			req.people = staff;
			req.n_people = 1;
		}
	}
	return router_evaluate_and_record(w, &req);
}
