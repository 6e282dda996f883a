/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* whole-team — Sharon INJDB: "All electronic or telephone contact by coaches and
 * club/activity advisors with students shall be sent to all team members"; guideline 9:
 * "teachers, coaches and advisors should strive for parity in all communications".
 *
 * A team message (#soccer) from the team's staff, or from an administrator overseeing
 * the team, goes to every student of the team (addressed) and every other staff member
 * (kept in the loop), and, where the district enables it, every reachable guardian of
 * every student. Students and guardians cannot address a team: their messages go to the
 * team's staff. A building (a school's counselors, nurses and administrators) is not a
 * team to broadcast to: its staff write to students one at a time. */
#include <talloc.h>

#include "gateway/policy/policy_internal.h"

void policy_rule_whole_team(struct pol_state *st)
{
	const struct policy_request *req = st->req;
	const struct dir_team *t = req->team;
	const struct dir_person *sender = req->sender;

	if (req->addr != POLICY_TO_TEAM)
		return;
	if (!dir_is_staff_side(sender)) {
		pol_block(
		    st, POLICY_RULE_WHOLE_TEAM,
		    talloc_asprintf(st->tmp, "a %s cannot message the whole team %s",
				    dir_role_name(sender->role), t->name),
		    talloc_asprintf(st->tmp,
				    "Not sent: only staff can message the whole %s team. To "
				    "reach the %s %s, send your message without # or @ words.",
				    t->name, t->name, pol_staff_word(t)));
		return;
	}
	/* A school's number is for one student (and their family) at a time: building staff
	 * have no team to write to, and the whole school is not a team. */
	if (t->kind == DIR_TEAM_BUILDING) {
		pol_block(st, POLICY_RULE_WHOLE_TEAM,
			  talloc_asprintf(st->tmp, "%s is a building, not a team", t->name),
			  talloc_asprintf(st->tmp,
					  "Not sent: %s's number reaches students one at a "
					  "time. Write @name and your message; their guardians "
					  "are copied.",
					  t->name));
		return;
	}
	if (!pol_is_team_staff(t, sender)) {
		pol_block(
		    st, POLICY_RULE_WHOLE_TEAM,
		    talloc_asprintf(st->tmp, "%s is not on the staff of %s", sender->display,
				    t->name),
		    talloc_asprintf(st->tmp,
				    "Not sent: you are not on the staff of %s. Use the #tag of "
				    "a team you are staff of, or ask an administrator to add "
				    "you to %s.",
				    t->name, t->name));
		return;
	}
	if (!t->n_students) {
		pol_block(st, POLICY_RULE_WHOLE_TEAM,
			  talloc_asprintf(st->tmp, "%s has no students on file", t->name),
			  talloc_asprintf(st->tmp,
					  "Not sent: %s has no students on file. Ask an "
					  "administrator to update the roster.",
					  t->name));
		return;
	}

	for (unsigned i = 0; i < t->n_students; i++)
		pol_add(st, t->students[i], POLICY_WHY_ADDRESSED);
	for (unsigned i = 0; i < t->n_staff; i++)
		pol_add(st, t->staff[i], POLICY_WHY_TEAM_STAFF);
	if (st->cfg->guardians_on_team_messages)
		for (unsigned i = 0; i < t->n_students; i++)
			for (unsigned g = 0; g < t->students[i]->n_guardians; g++)
				if (dir_reachable(t->students[i]->guardians[g], req->relay))
					pol_add(st, t->students[i]->guardians[g],
						POLICY_WHY_GUARDIAN_COPY);
	pol_applied(st, POLICY_RULE_WHOLE_TEAM);
	pol_note(st, "whole team %s (%u student%s)", t->name, t->n_students,
		 t->n_students == 1 ? "" : "s");
}
