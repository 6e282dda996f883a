/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Crisis conversations. A staff member's !crisis answer to a student opens one on that
 * relay number: from then on the student's messages there go to that staff member and to
 * the administrators a crisis alerts (not to the team's other staff, not to the
 * guardians: the crisis may be at home), the staff member's messages to the student stay
 * one-to-one with the same alerts, and every message in it is flagged for review. It
 * stays open crisis-window hours after its last message, or until an administrator
 * texts CLOSE @name. An administrator texts ACK @name to say it is seen to: recorded
 * (rule "crisis-ack"), the staff member told; chaperoned alerts the IT and administrator
 * contacts about a crisis conversation nobody acknowledged in time (daemon_alerts.c).
 * Its state is read from the records (rec_crisis_open), so a restart changes nothing. */
#include <talloc.h>

#include "gateway/relay/router_internal.h"

/* The open crisis conversation of student on this relay: 1 and *staff, *team set, 0 when
 * none (or its people are no longer in the directory), -1 when the archive failed. */
static int crisis_of(struct work *w, const struct dir_person *student, struct dir_person **staff,
		     struct dir_team **team)
{
	int64_t staff_id = 0, team_id = 0;
	int rc = rec_crisis_open(w->r->store, w->in->relay, student->id,
				 w->in->at - (int64_t)w->r->cfg.crisis_window_s * 1000, &staff_id,
				 &team_id);

	if (rc <= 0)
		return rc;
	*staff = dir_person_by_id(w->r->dir, staff_id);
	*team = NULL;
	for (unsigned i = 0; i < w->r->dir->n_teams; i++)
		if (w->r->dir->teams[i]->id == team_id)
			*team = w->r->dir->teams[i];
	return *staff && *team ? 1 : 0;
}

int router_crisis_staff(struct work *w, struct policy_request *req)
{
	struct dir_person *staff;
	struct dir_team *team;
	int rc;

	if (req->crisis || req->addr != POLICY_TO_PEOPLE || req->n_people != 1 ||
	    req->people[0]->role != DIR_STUDENT)
		return 0;
	rc = crisis_of(w, req->people[0], &staff, &team);
	if (rc <= 0 || staff != w->sender)
		return rc < 0 ? -1 : 0;
	req->crisis = true;
	w->crisis = true;
	return 1;
}

int router_crisis_family(struct work *w, struct policy_request *req)
{
	const struct dir_person **to;
	struct dir_person *staff;
	struct dir_team *team;
	int rc;

	if (w->sender->role != DIR_STUDENT)
		return 0;
	rc = crisis_of(w, w->sender, &staff, &team);
	if (rc <= 0)
		return rc;
	to = talloc_array(w->tmp, const struct dir_person *, 1);
	if (!to)
		return -1;
	to[0] = staff;
	req->addr = POLICY_TO_STAFF;
	req->team = team;
	req->people = to;
	req->n_people = 1;
	req->crisis = true;
	w->crisis = true;
	return 1;
}

/* CLOSE @name and ACK @name: from an administrator, about an open crisis conversation on
 * this relay. 1 with *student, *staff, *team set; 0 when refused or there is none (the
 * sender told, the command recorded); -1 when the archive failed. */
static int crisis_command(struct work *w, const struct grammar_parse *g, const char *word,
			  const char *only_admins, struct dir_person **student,
			  struct dir_person **staff, struct dir_team **team)
{
	const char *handle = g->n_addrs ? g->addrs[0].word : "";
	int64_t vid;
	int rc;

	*student = g->n_addrs ? dir_person_by_handle(w->r->dir, handle) : NULL;
	if (w->sender->role != DIR_ADMIN) {
		vid = router_verdict(w, REC_V_COMMAND, REC_REPLY, "", NULL, NULL,
				     "%s from %s, not an administrator", word, w->sender->display);
		return vid > 0 && router_reply(w, vid, "%s", only_admins) == 0 ? 0 : -1;
	}
	rc = *student ? crisis_of(w, *student, staff, team) : 0;
	if (rc)
		return rc;
	vid = router_verdict(w, REC_V_COMMAND, REC_REPLY, "", NULL, NULL, "%s @%s", word, handle);
	return vid > 0 &&
		       router_reply(w, vid, "No open crisis conversation with @%s on this number.",
				    handle) == 0
		   ? 0
		   : -1;
}

int router_crisis_close(struct work *w, const struct grammar_parse *g)
{
	struct dir_person *student, *staff;
	struct dir_team *team;
	int64_t vid;
	int rc =
	    crisis_command(w, g, "CLOSE", "Only an administrator can close a crisis conversation.",
			   &student, &staff, &team);

	if (rc <= 0)
		return rc;
	w->crisis = true; /* the closing is part of the crisis record: flagged */
	vid = router_verdict(w, REC_V_COMMAND, REC_REPLY, REC_RULE_CRISIS_CLOSE, team, NULL,
			     "crisis conversation of %s with %s closed by %s", student->display,
			     staff->display, w->sender->display);
	if (vid <= 0 || rec_thread_add(w->r->store, w->in->at, w->in->relay, student->id, team->id,
				       0, w->message_id) < 0)
		return -1;
	if (router_tell(w, vid, w->in->relay, staff,
			"The crisis conversation with %s is closed by %s. Their next messages "
			"go to the %s %s as usual.",
			student->display, w->sender->display, team->name,
			team->kind == DIR_TEAM_SPORTS  ? "coaches"
			: team->kind == DIR_TEAM_CLUB  ? "advisors"
			: team->kind == DIR_TEAM_CLASS ? "teachers"
						       : "staff") < 0)
		return -1;
	return router_reply(w, vid, "Closed: the crisis conversation of %s with %s.",
			    student->display, staff->display);
}

int router_crisis_ack(struct work *w, const struct grammar_parse *g)
{
	const char *handle = g->n_addrs ? g->addrs[0].word : "";
	struct dir_person *student, *staff;
	struct dir_team *team;
	int64_t vid;
	int rc = crisis_command(w, g, "ACK",
				"Only an administrator can acknowledge a crisis conversation; "
				"nothing was sent.",
				&student, &staff, &team);

	if (rc <= 0)
		return rc;
	w->crisis = true; /* part of the crisis record: flagged */
	vid = router_verdict(w, REC_V_COMMAND, REC_REPLY, REC_RULE_CRISIS_ACK, team, NULL,
			     "crisis conversation of %s with %s acknowledged by %s",
			     student->display, staff->display, w->sender->display);
	/* The student's thread as it was (same team, same staff member): an unaddressed
	 * message goes where it went before. */
	if (vid <= 0 || rec_thread_add(w->r->store, w->in->at, w->in->relay, student->id, team->id,
				       staff->id, w->message_id) < 0)
		return -1;
	if (router_tell(w, vid, w->in->relay, staff,
			"%s has acknowledged the crisis conversation with %s.", w->sender->display,
			student->display) < 0)
		return -1;
	return router_reply(
	    w, vid,
	    "Acknowledged: the crisis conversation of %s with %s. It stays open until "
	    "you text CLOSE @%s.",
	    student->display, staff->display, handle);
}
