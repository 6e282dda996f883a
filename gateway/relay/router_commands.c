/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The SMS commands (HELP, WHO, STOP, START, DISCARD, CLOSE, ACK, ASK) and messages from numbers the
 * directory does not know: recorded, never forwarded, answered at most once a day. */
#include <talloc.h>

#include "gateway/relay/router_internal.h"

static char *who_text(struct work *w, const struct grammar_parse *g)
{
	struct dir_team **teams;
	int got = dir_teams_on_relay(w->tmp, w->sender, w->relay, &teams);
	unsigned n = got > 0 ? (unsigned)got : 0; /* out of memory: answered as no team */
	char *s = talloc_strdup(w->tmp, "");
	const char *arg = w->in->text + g->body_off;

	if (!dir_is_staff_side(w->sender)) {
		for (unsigned i = 0; i < n; i++) {
			s = talloc_asprintf_append(s, "%s%s:", i ? "\n" : "", teams[i]->name);
			for (unsigned j = 0; j < teams[i]->n_staff; j++)
				s = talloc_asprintf_append(s, "%s%s", j ? ", " : " ",
							   teams[i]->staff[j]->display);
		}
		return *s ? s : talloc_strdup(w->tmp, "You are not on a team this number serves.");
	}
	if (g->body_len && arg[0] == '#') {
		struct dir_team *t =
		    dir_team_by_tag(w->r->dir, g->n_addrs ? g->addrs[0].word : arg + 1);
		if (!t || t->relay != w->relay)
			return talloc_strdup(w->tmp, "No such team on this number.");
		s = talloc_asprintf(w->tmp, "%s (#%s):", t->name, t->tag);
		for (unsigned j = 0; j < t->n_students; j++)
			s = talloc_asprintf_append(s, " %s @%s%s", t->students[j]->display,
						   t->students[j]->handle,
						   j + 1 < t->n_students ? "," : "");
		for (unsigned j = 0; j < t->n_subgroups; j++)
			s = talloc_asprintf_append(s, "%s#%s.%s", j ? " " : "\nGroups: ", t->tag,
						   t->subgroups[j]->name);
		return s;
	}
	s = talloc_strdup(w->tmp, "Your teams on this number:");
	for (unsigned i = 0; i < n; i++)
		s = talloc_asprintf_append(s, " #%s (%s, %u)%s", teams[i]->tag, teams[i]->name,
					   teams[i]->n_students, i + 1 < n ? "," : "");
	if (!n)
		s = talloc_strdup(w->tmp, "You are not on the staff of a team this number serves.");
	else
		s = talloc_asprintf_append(s, ". Reply WHO #team for names.");
	return s;
}

int router_command(struct work *w, const struct grammar_parse *g)
{
	struct router *r = w->r;
	int64_t vid;
	bool staff = w->sender && dir_is_staff_side(w->sender);

	r->stats.commands++;
	switch (g->kind) {
	case GRAMMAR_STOP:
	case GRAMMAR_START: {
		bool stop = g->kind == GRAMMAR_STOP;
		if (rec_optout_add(r->store, w->in->at, w->in->relay, w->in->sender,
				   w->sender ? w->sender->id : 0, stop, w->message_id) < 0)
			return -1;
		vid = router_verdict(w, REC_V_COMMAND, REC_REPLY, POLICY_RULE_OPT_OUT, NULL, NULL,
				     "%s from %s", stop ? "STOP" : "START", w->in->sender);
		if (vid <= 0)
			return -1;
		if (w->sender) {
			if (stop)
				w->sender->opted_out |= 1u << w->relay->index;
			else
				w->sender->opted_out &= ~(1u << w->relay->index);
		}
		/* The confirmation is the one message an opted-out number still gets. */
		return router_reply(
		    w, vid, "%s",
		    stop ? "You will get no more messages from this number. Reply START "
			   "to receive them again."
			 : "You will receive messages from this number again. Reply STOP "
			   "to opt out, HELP for help.");
	}
	case GRAMMAR_HELP:
		vid = router_verdict(w, REC_V_COMMAND, REC_REPLY, "", NULL, NULL, "HELP");
		return vid > 0 ? router_reply(w, vid, "%s",
					      staff ? grammar_help_staff() : grammar_help_family())
			       : -1;
	case GRAMMAR_WHO:
		vid = router_verdict(w, REC_V_COMMAND, REC_REPLY, "", NULL, NULL, "WHO");
		return vid > 0 ? router_reply(w, vid, "%s", who_text(w, g)) : -1;
	case GRAMMAR_DISCARD: {
		struct open_q *oq = router_open_question(w);
		vid = router_verdict(w, REC_V_COMMAND, REC_REPLY, "", NULL, NULL, "DISCARD");
		if (vid <= 0)
			return -1;
		if (!oq->found)
			return router_reply(w, vid, "There is no message waiting for an answer.");
		if (rec_question_close(r->store, oq->q.id, w->in->at, "discarded", w->message_id) <
		    0)
			return -1;
		return router_reply(w, vid, "Dropped; it was not sent.");
	}
	case GRAMMAR_CLOSE:
		return router_crisis_close(w, g);
	case GRAMMAR_ACK:
		return router_crisis_ack(w, g);
	case GRAMMAR_ASK:
		return router_ask_exception(w);
	case GRAMMAR_CALL:
		return router_call_request(w, g);
	default:
		return 0;
	}
}

int router_unknown_sender(struct work *w)
{
	struct router *r = w->r;
	int64_t last = rec_unknown_last_reply(r->store, w->in->relay, w->in->sender);
	bool answer = !last || w->in->at - last >= (int64_t)r->cfg.unknown_reply_s * 1000;
	int64_t vid;

	/* No reply to what cannot take one (alphanumeric senders) or has opted out, nor when
	 * the archive cannot say whether it has (fail closed: counted as an archive error). */
	if (last < 0 || !w->in->sender[0] || w->in->sender[0] != '+') {
		answer = false;
	} else {
		int stopped = rec_optout_active(r->store, w->in->relay, w->in->sender);
		if (stopped)
			answer = false;
		if (stopped < 0)
			r->stats.store_errors++;
	}
	if (last < 0)
		r->stats.store_errors++;
	r->stats.unknown++;
	if (rec_unknown_sender_add(r->store, w->in->at, w->in->relay, w->in->sender, w->message_id,
				   answer) < 0)
		return -1;
	vid =
	    router_verdict(w, REC_V_UNKNOWN_SENDER, answer ? REC_REPLY : REC_IGNORE, "", NULL,
			   w->in->text, "%s is not in the directory; not forwarded", w->in->sender);
	if (vid <= 0)
		return -1;
	if (!answer)
		return 0;
	return router_reply(
	    w, vid,
	    "This number relays messages between %s staff, students and families. "
	    "Your number is not registered, so your message was not delivered. Please "
	    "contact the school office.",
	    r->cfg.district);
}
