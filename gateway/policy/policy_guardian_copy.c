/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* guardian-copy — Sharon INJDB: "Employees are discouraged from communicating with
 * students directly without copying another adult", "(and the parent/guardian is
 * included on the communication(s))"; guideline 9 allows "communication with an
 * individual member, or a defined subgroup of a group" (an injured player, the club
 * officers); SafeSport MAAPP: no one-on-one electronic communication with minors.
 *
 * Addressing other than a whole team is resolved here:
 *   TO_SUBGROUP, TO_PEOPLE from staff: every addressed student's reachable guardians
 *     (phone on file, not opted out of this relay) are copied. An addressed student
 *     with no reachable guardian blocks the whole message, unless crisis or an
 *     exception let it through one-to-one; the sender is told which student and
 *     to message the whole team or ask for an exception. Guardians and staff named
 *     with @ are addressed and need no copy. Students and guardians named must be
 *     reachable through a team on this relay that the sender is staff of.
 *   TO_STAFF from a student or guardian: the team's staff are addressed (or the staff
 *     member named in people, whom the reply answers); a student's
 *     reachable guardians are copied (none reachable does not block: a student must
 *     always be able to reach their coach). A staff sender may use it to reach the
 *     other staff of their team.
 * Students and guardians cannot address people or subgroups. */
#include <time.h>

#include <talloc.h>

#include "gateway/policy/policy_internal.h"

static void skip_guardian(struct pol_state *st, const struct dir_person *g,
			  const struct dir_person *student)
{
	unsigned n = st->n_skipped_guardians;

	for (unsigned i = 0; i < n; i++)
		if (st->skipped_guardians[i] == g && st->skipped_for[i] == student)
			return;
	st->skipped_guardians =
	    talloc_realloc(st->tmp, st->skipped_guardians, const struct dir_person *, n + 1);
	st->skipped_for =
	    talloc_realloc(st->tmp, st->skipped_for, const struct dir_person *, n + 1);
	st->skipped_guardians[n] = g;
	st->skipped_for[n] = student;
	st->n_skipped_guardians = n + 1;
}

/* Copy the student's reachable guardians; the count includes the sender when the sender
 * is one of them (a parent who coaches is the guardian on the message). */
static unsigned copy_guardians(struct pol_state *st, const struct dir_person *student)
{
	unsigned n = 0;

	for (unsigned g = 0; g < student->n_guardians; g++) {
		if (student->guardians[g] == st->req->sender) {
			n++;
			continue;
		}
		if (!dir_reachable(student->guardians[g], st->req->relay)) {
			/* The staff sender is told whom the copy missed. */
			if (dir_is_staff_side(st->req->sender))
				skip_guardian(st, student->guardians[g], student);
			continue;
		}
		pol_add(st, student->guardians[g], POLICY_WHY_GUARDIAN_COPY);
		n++;
	}
	return n;
}

/* Is a team of the student's on this relay number (so the student knows it)? */
static bool served_here(const struct pol_state *st, const struct dir_person *student)
{
	for (unsigned i = 0; i < student->n_teams; i++)
		if (student->teams[i]->relay == st->req->relay)
			return true;
	return false;
}

static void block_family_addressing(struct pol_state *st)
{
	const struct dir_team *t = st->req->team;

	pol_block(st, POLICY_RULE_GUARDIAN_COPY,
		  talloc_asprintf(st->tmp, "a %s cannot address people or groups",
				  dir_role_name(st->req->sender->role)),
		  talloc_asprintf(st->tmp,
				  "Not sent: students and families cannot message people or groups "
				  "by # or @. To reach the %s %s, send your message without # or "
				  "@ words.",
				  t->name, pol_staff_word(t)));
}

static void block_not_staff(struct pol_state *st)
{
	const struct dir_team *t = st->req->team;

	pol_block(
	    st, POLICY_RULE_GUARDIAN_COPY,
	    talloc_asprintf(st->tmp, "%s is not on the staff of %s", st->req->sender->display,
			    t->name),
	    talloc_asprintf(st->tmp,
			    "Not sent: you are not on the staff of %s. Use the #tag of a team "
			    "you are staff of, or ask an administrator to add you to %s.",
			    t->name, t->name));
}

static void block_unreachable(struct pol_state *st, const struct dir_person **who, unsigned n)
{
	const struct dir_team *t = st->req->team;
	char *names = pol_names(st->tmp, who, n);
	char *expired = talloc_strdup(st->tmp, "");

	/* A one-to-one exception that has run out is why the sender expected it to go. */
	for (unsigned i = 0; i < n; i++) {
		const struct dir_exception *e =
		    dir_exception_expired(st->d, st->req->sender, who[i], st->req->now);
		char day[16];
		struct tm tm;

		if (!e)
			continue;
		gmtime_r(&e->expires, &tm);
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		expired = talloc_asprintf_append(
		    expired, " Your exception #%lld (%s) for %s expired on %s (UTC).",
		    (long long)e->id, dir_exception_kind_name(e->kind), who[i]->display, day);
	}

	pol_block(
	    st, POLICY_RULE_GUARDIAN_COPY,
	    talloc_asprintf(st->tmp, "no guardian reachable to copy for %s", names),
	    talloc_asprintf(st->tmp,
			    "Not sent: no guardian of %s can be reached on this number, and a "
			    "guardian must be copied on messages to %s.%s Message the whole team "
			    "instead (#%s ...), or %s",
			    names, n == 1 ? "a student" : "students", expired, t->tag,
			    n == 1 ? "reply ASK to ask an administrator for an exception."
				   : "ask an administrator for an exception."));
}

static void to_subgroup(struct pol_state *st)
{
	const struct policy_request *req = st->req;
	const struct dir_subgroup *g = req->subgroup;
	const struct dir_person **unreachable;
	unsigned n_unreachable = 0, n_students = 0;

	if (!dir_is_staff_side(req->sender)) {
		block_family_addressing(st);
		return;
	}
	if (!pol_is_team_staff(req->team, req->sender)) {
		block_not_staff(st);
		return;
	}
	if (!g->n_members) {
		pol_block(
		    st, POLICY_RULE_GUARDIAN_COPY,
		    talloc_asprintf(st->tmp, "%s %s has no members", req->team->name, g->name),
		    talloc_asprintf(st->tmp,
				    "Not sent: %s %s has no members. Ask an administrator to "
				    "update it, or message the whole team (#%s ...).",
				    req->team->name, g->name, req->team->tag));
		return;
	}
	unreachable = talloc_array(st->tmp, const struct dir_person *, g->n_members);
	for (unsigned i = 0; i < g->n_members; i++)
		pol_add(st, g->members[i], POLICY_WHY_ADDRESSED);
	for (unsigned i = 0; i < g->n_members; i++) {
		const struct dir_person *s = g->members[i];
		if (s->role != DIR_STUDENT)
			continue;
		n_students++;
		if (!copy_guardians(st, s))
			unreachable[n_unreachable++] = s;
	}
	pol_applied(st, POLICY_RULE_GUARDIAN_COPY);
	if (n_unreachable) {
		block_unreachable(st, unreachable, n_unreachable);
		return;
	}
	pol_note(st, "subgroup %s %s (%u student%s)", req->team->name, g->name, n_students,
		 n_students == 1 ? "" : "s");
}

static void to_people(struct pol_state *st)
{
	const struct policy_request *req = st->req;
	const struct dir_person **who, **bad, **unreachable;
	unsigned n_who, n_bad = 0, n_unreachable = 0, n_copied = 0;

	if (!dir_is_staff_side(req->sender)) {
		block_family_addressing(st);
		return;
	}
	who = talloc_array(st->tmp, const struct dir_person *, req->n_people);
	bad = talloc_array(st->tmp, const struct dir_person *, req->n_people);
	unreachable = talloc_array(st->tmp, const struct dir_person *, req->n_people);
	n_who = pol_people_unique(st, who);
	if (!n_who) {
		pol_block(st, POLICY_RULE_GUARDIAN_COPY,
			  talloc_strdup(st->tmp, "the sender addressed only themselves"),
			  talloc_strdup(st->tmp,
					"Not sent: you addressed only yourself. Start your "
					"message with @name or #team."));
		return;
	}
	for (unsigned i = 0; i < n_who; i++)
		if (!dir_is_staff_side(who[i]) && !pol_sender_reaches(st, who[i]) &&
		    !(st->crisis && served_here(st, who[i])))
			bad[n_bad++] = who[i];
	if (n_bad) {
		char *names = pol_names(st->tmp, bad, n_bad);
		pol_block(st, POLICY_RULE_GUARDIAN_COPY,
			  talloc_asprintf(st->tmp,
					  "%s not on a team %s is staff of on this relay number",
					  names, req->sender->display),
			  talloc_asprintf(st->tmp,
					  "Not sent: %s %s not on a team you are staff of on this "
					  "number. Check the @name, or ask an administrator.",
					  names, n_bad == 1 ? "is" : "are"));
		return;
	}
	for (unsigned i = 0; i < n_who; i++)
		pol_add(st, who[i], POLICY_WHY_ADDRESSED);
	for (unsigned i = 0; i < n_who; i++) {
		unsigned n;

		if (who[i]->role != DIR_STUDENT)
			continue;
		/* Crisis and family/safety exceptions go one-to-one by design. */
		if (st->crisis || (st->exc && !st->exc_copies))
			continue;
		/* A guardian who is the sender (a parent who coaches) counts as included. */
		n = copy_guardians(st, who[i]);
		n_copied += n;
		if (!n && !st->exc)
			unreachable[n_unreachable++] = who[i];
	}
	if (n_copied || n_unreachable)
		pol_applied(st, POLICY_RULE_GUARDIAN_COPY);
	if (n_unreachable) {
		block_unreachable(st, unreachable, n_unreachable);
		return;
	}
	pol_note(st, "to %s", pol_names(st->tmp, who, n_who));
}

static void to_staff(struct pol_state *st)
{
	const struct policy_request *req = st->req;
	const struct dir_team *t = req->team;
	const struct dir_person *sender = req->sender;
	bool member = false;

	/* A staff member who is a parent may write to their child's team as its guardian. */
	if (sender->role == DIR_STUDENT)
		member = dir_team_has_member(t, sender);
	else
		member = dir_is_staff_side(sender) && pol_is_team_staff(t, sender);
	for (unsigned w = 0; w < sender->n_wards && !member; w++)
		member = dir_team_has_member(t, sender->wards[w]);
	if (!member) {
		pol_block(
		    st, POLICY_RULE_GUARDIAN_COPY,
		    talloc_asprintf(st->tmp, "%s is not connected to %s", sender->display, t->name),
		    talloc_asprintf(st->tmp,
				    "Not sent: %s on %s's roster. Contact the school office "
				    "if this is a mistake.",
				    sender->n_wards ? "none of your children is" : "you are not",
				    t->name));
		return;
	}
	if (!t->n_staff && !st->crisis) {
		pol_block(st, POLICY_RULE_GUARDIAN_COPY,
			  talloc_asprintf(st->tmp, "%s has no staff on file", t->name),
			  talloc_asprintf(st->tmp,
					  "Not sent: %s has no %s on file. Contact the school "
					  "office.",
					  t->name, pol_staff_word(t)));
		return;
	}
	/* A reply continuing a conversation with one staff member (a counselor on the
	 * building's number) goes to them; otherwise to all the team's staff. */
	for (unsigned i = 0; i < req->n_people; i++)
		if (st->crisis || pol_is_team_staff(t, req->people[i]))
			pol_add(st, req->people[i], POLICY_WHY_ADDRESSED);
	if (!pol_count_why(st, POLICY_WHY_ADDRESSED))
		for (unsigned i = 0; i < t->n_staff; i++)
			pol_add(st, t->staff[i], POLICY_WHY_ADDRESSED);
	if (sender->role != DIR_STUDENT) {
		pol_note(st, "to the %s %s", t->name, pol_staff_word(t));
		return;
	}
	/* A crisis conversation: the crisis may be at home, so no guardian is copied. */
	if (st->crisis)
		return;
	if (copy_guardians(st, sender)) {
		pol_applied(st, POLICY_RULE_GUARDIAN_COPY);
		pol_note(st, "to the %s %s", t->name, pol_staff_word(t));
	} else {
		pol_note(st, "to the %s %s; no guardian of %s can be reached to copy", t->name,
			 pol_staff_word(t), sender->display);
	}
}

void policy_rule_guardian_copy(struct pol_state *st)
{
	switch (st->req->addr) {
	case POLICY_TO_TEAM:
		return;
	case POLICY_TO_SUBGROUP:
		to_subgroup(st);
		return;
	case POLICY_TO_PEOPLE:
		to_people(st);
		return;
	case POLICY_TO_STAFF:
		to_staff(st);
		return;
	}
}
