/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* crisis — Sharon INJDB: "The first duty of any staff member is to ensure the health and
 * safety of students. ... If, in the sound judgment of the staff member, any of the
 * policies presented here need to be broken in order to ensure the immediate well-being
 * of a student, s/he should act accordingly ... The matter should then be brought to the
 * attention of the building administrator ... as soon as possible afterward."
 *
 * A staff member or administrator who marks an answer to exactly one student "!crisis"
 * gets it through one-to-one: no guardian copy (the crisis may be at home), not held by
 * quiet hours or the contact screen. "As soon as possible afterward" is made "at once":
 * the team's overseers and every principal and counselor in the directory get an alert
 * with the text, and the record is flagged for review.
 *
 * Any staff member may answer a crisis — a counselor or nurse is often on no team — but
 * only to a student this relay number serves (a team of theirs is on it): the student
 * knows the number. Guardian-copy blocks any other student; the verdict then stays
 * flagged, so that the attempt is reviewed, but nothing goes out (no alert either).
 *
 * A crisis answer opens a crisis conversation (gateway/relay/router_crisis.c): the
 * student's replies come here with crisis set and their staff member in people, and go to
 * that staff member and the same administrators, not to the guardians, flagged.
 *
 * "!crisis" from a student or guardian, or on a team, subgroup or several people, is
 * ignored: the message then goes by the normal rules, and nothing is recorded for the
 * flag, so it cannot be used to dodge the guardian copy on group messages. */
#include "gateway/policy/policy_internal.h"

/* The team's overseers and every principal and counselor. */
static void alert(struct pol_state *st)
{
	const struct policy_request *req = st->req;
	const struct directory *d = st->d;

	for (unsigned i = 0; i < req->team->n_overseers; i++)
		pol_add(st, req->team->overseers[i], POLICY_WHY_CRISIS_ALERT);
	for (unsigned i = 0; i < d->n_persons; i++) {
		const struct dir_person *p = d->persons[i];
		/* A counselor is alerted whether staff or administrator: the title says
		 * what they do, not what they may approve. */
		if ((p->role == DIR_ADMIN && p->title == DIR_T_PRINCIPAL) ||
		    (dir_is_staff_side(p) && p->title == DIR_T_COUNSELOR))
			pol_add(st, p, POLICY_WHY_CRISIS_ALERT);
	}
}

void policy_rule_crisis(struct pol_state *st)
{
	const struct policy_request *req = st->req;
	const struct dir_person *student;

	if (!req->crisis || req->n_people != 1)
		return;
	/* The student's side of an open crisis conversation (the router sets crisis only
	 * then): to its staff member, the same administrators alerted, flagged. */
	if (req->sender->role == DIR_STUDENT && req->addr == POLICY_TO_STAFF) {
		st->crisis = true;
		st->v->flagged = true;
		pol_applied(st, POLICY_RULE_CRISIS);
		alert(st);
		pol_note(st,
			 "crisis conversation: %s to %s, without guardian copy; flagged for "
			 "review",
			 req->sender->display, req->people[0]->display);
		return;
	}
	if (!dir_is_staff_side(req->sender) || req->addr != POLICY_TO_PEOPLE)
		return;
	student = req->people[0];
	if (student->role != DIR_STUDENT)
		return;

	st->crisis = true;
	st->v->flagged = true;
	pol_applied(st, POLICY_RULE_CRISIS);
	alert(st);
	pol_note(st,
		 "crisis answer by %s to %s one-to-one, without guardian copy; flagged for review",
		 req->sender->display, student->display);
}
