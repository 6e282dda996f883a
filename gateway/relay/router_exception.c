/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Exceptions asked for and approved by SMS. A staff member whose message to one student
 * was refused because no guardian can be copied replies ASK: the request is recorded
 * (exception_requests) and the team's overseers — else the principals — get it by SMS.
 * An administrator answers ALLOW 12 7d [KIND] (an exception, recorded like those made
 * with `chaperone exception add`, for that many days) or DENY 12 [reason]; the staff
 * member is told either way. */
#include <inttypes.h>
#include <string.h>

#include <talloc.h>

#include "storage/directory/directory_store.h"
#include "gateway/relay/router_internal.h"

/* Who is asked: the team's overseers, else every principal and assistant principal. */
static unsigned approvers(struct work *w, const struct dir_team *t, const struct dir_person ***out)
{
	const struct directory *d = w->r->dir;
	const struct dir_person **a =
	    talloc_array(w->tmp, const struct dir_person *, d->n_persons + 1);
	unsigned n = 0;

	*out = a;
	if (!a)
		return 0;
	for (unsigned i = 0; t && i < t->n_overseers; i++)
		a[n++] = t->overseers[i];
	for (unsigned i = 0; !n && i < d->n_persons; i++)
		if (d->persons[i]->role == DIR_ADMIN &&
		    (d->persons[i]->title == DIR_T_PRINCIPAL ||
		     d->persons[i]->title == DIR_T_ASSISTANT_PRINCIPAL))
			a[n++] = d->persons[i];
	return n;
}

static struct dir_team *team_by_id(struct work *w, int64_t id)
{
	for (unsigned i = 0; i < w->r->dir->n_teams; i++)
		if (w->r->dir->teams[i]->id == id)
			return w->r->dir->teams[i];
	return NULL;
}

/* The one student the refused message addressed, or NULL. */
static struct dir_person *refused_student(struct work *w, const char *text)
{
	struct grammar_parse g;
	struct dir_person *p;

	grammar_parse(text, strlen(text), &g);
	if (g.n_addrs != 1 || g.addrs[0].kind != GRAMMAR_ADDR_HANDLE)
		return NULL;
	p = dir_person_by_handle(w->r->dir, g.addrs[0].word);
	return p && p->role == DIR_STUDENT ? p : NULL;
}

int router_ask_exception(struct work *w)
{
	struct rec_exception_request req = {0};
	int64_t since = w->in->at - (int64_t)w->r->cfg.question_window_s * 1000;
	const struct dir_person **to;
	struct dir_person *student = NULL;
	struct dir_team *team;
	char *text = NULL;
	int64_t vid, rid;
	unsigned n;
	int rc;

	if (!dir_writes_as_staff(w->sender, w->relay)) {
		vid = router_verdict(w, REC_V_COMMAND, REC_REPLY, "", NULL, NULL, "ASK");
		return vid > 0 ? router_reply(w, vid,
					      "ASK is for staff whose message to a student was "
					      "refused.")
			       : -1;
	}
	rc = rec_last_guardian_block(w->r->store, w->tmp, w->in->relay, w->sender->id, since,
				     &req.blocked_verdict_id, &req.message_id, &req.team_id, &text);
	if (rc < 0)
		return -1;
	if (rc)
		student = refused_student(w, text);
	if (!student) {
		vid = router_verdict(w, REC_V_COMMAND, REC_REPLY, "", NULL, NULL, "ASK");
		return vid > 0 ? router_reply(w, vid,
					      "Nothing to ask about: ASK follows, within the hour, "
					      "a message to one student (@name) that was refused "
					      "because no guardian could be copied.")
			       : -1;
	}
	team = team_by_id(w, req.team_id);
	n = approvers(w, team, &to);
	req.at = w->in->at;
	req.relay = w->in->relay;
	req.staff_id = w->sender->id;
	req.student_id = student->id;
	req.message_id = w->message_id;
	vid = router_verdict(w, REC_V_COMMAND, REC_REPLY, "exception", team, NULL,
			     "ASK: %s asks for an exception to text %s one-to-one",
			     w->sender->display, student->display);
	if (vid <= 0 || (rid = rec_exception_request_add(w->r->store, &req)) <= 0)
		return -1;
	for (unsigned i = 0; i < n; i++)
		if (router_tell(w, vid, w->in->relay, to[i],
				"Exception request %" PRId64 ": %s asks to text %s%s one-to-one; "
				"no guardian of %s can be copied. Reply ALLOW %" PRId64
				" 7d to approve for 7 days (or 30d, 2w), DENY %" PRId64
				" and a reason to refuse.",
				rid, w->sender->display, student->display,
				team ? talloc_asprintf(w->tmp, " (%s)", team->name) : "",
				student->display, rid, rid) < 0)
			return -1;
	if (!n)
		return router_reply(w, vid,
				    "No administrator can be asked by text (none oversees %s and "
				    "no principal is on file). Ask the school office.",
				    team ? team->name : "this team");
	return router_reply(w, vid,
			    "Asked: request %" PRId64 " went to %s. You will be told when it is "
			    "decided.",
			    rid, to[0]->display);
}

static int allow(struct work *w, const struct grammar_decision *d,
		 const struct rec_exception_request *req, struct dir_person *staff,
		 struct dir_person *student, int64_t vid)
{
	struct store_exception e = {0};
	const char *kind_word = d->note_len
				    ? talloc_strndup(w->tmp, w->in->text + d->note_off,
						     strcspn(w->in->text + d->note_off, " "))
				    : NULL;
	enum dir_exception_kind kind = DIR_EXC_SAFETY;
	char until[32];

	if (kind_word && dir_exception_kind_parse(kind_word, &kind) < 0)
		return router_reply(w, vid,
				    "\"%s\" is not a kind of exception (family, "
				    "guardian_permission, safety, contact_sharing); nothing "
				    "approved.",
				    kind_word);
	e.staff_id = req->staff_id;
	e.student_id = req->student_id;
	e.kind = kind;
	e.approved_by = w->sender->id;
	e.reason = talloc_asprintf(w->tmp, "approved by text (request %lld)", d->id);
	e.expires_at = w->in->at + (int64_t)d->days * 86400 * 1000;
	if (store_exception_add(w->r->store, w->sender->handle, &e) < 0 ||
	    rec_exception_request_decide(w->r->store, d->id, w->in->at, true, w->sender->id, e.id,
					 w->message_id) < 0)
		return -1;
	store_format_time(until, sizeof(until), e.expires_at);
	until[10] = '\0';
	if (router_tell(w, vid, req->relay, staff,
			"Your exception request %lld is approved by %s: you may text %s "
			"one-to-one (%s) through %s. Send your message again.",
			d->id, w->sender->display, student->display, dir_exception_kind_name(kind),
			until) < 0)
		return -1;
	return router_reply(w, vid, "Approved: exception %" PRId64 " (%s) for %s and %s, %u days.",
			    e.id, dir_exception_kind_name(kind), staff->display, student->display,
			    d->days);
}

int router_exception_decision(struct work *w, const struct grammar_decision *d)
{
	struct rec_exception_request req;
	struct dir_person *staff, *student;
	int64_t vid;
	int rc = rec_exception_request_get(w->r->store, w->tmp, d->id, &req);

	if (rc < 0)
		return -1;
	vid = router_verdict(w, REC_V_COMMAND, REC_REPLY, "exception", NULL, NULL,
			     "%s %lld from %s", d->kind == GRAMMAR_D_ALLOW ? "ALLOW" : "DENY",
			     d->id, w->sender->display);
	if (vid <= 0)
		return -1;
	if (req.decided)
		return router_reply(w, vid, "Request %lld was %s already.", d->id,
				    req.allowed ? "approved" : "refused");
	staff = dir_person_by_id(w->r->dir, req.staff_id);
	student = dir_person_by_id(w->r->dir, req.student_id);
	if (!staff || !student)
		return router_reply(w, vid,
				    "Request %lld names someone no longer in the directory; "
				    "nothing approved.",
				    d->id);
	if (d->kind == GRAMMAR_D_ALLOW)
		return allow(w, d, &req, staff, student, vid);
	if (rec_exception_request_decide(w->r->store, d->id, w->in->at, false, w->sender->id, 0,
					 w->message_id) < 0)
		return -1;
	if (router_tell(
		w, vid, req.relay, staff,
		"Your exception request %lld (to text %s one-to-one) is refused by %s.%s%.*s",
		d->id, student->display, w->sender->display, d->note_len ? " Note: " : "",
		(int)d->note_len, w->in->text + d->note_off) < 0)
		return -1;
	return router_reply(w, vid, "Refused request %lld; %s is told.", d->id, staff->display);
}
