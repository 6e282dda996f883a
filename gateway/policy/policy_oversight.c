/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* oversight — Sharon INJDB: "The Athletic Director and/or the Principal will be kept
 * apprised of all digital communications from coaches."
 *
 * A message from a staff member or an administrator (a counselor writing from a
 * building's number) who is not one of the team's overseers, to any student or guardian,
 * is, by the district's setting, copied to each of the team's overseers who does not
 * already get it, or marked for the overseers' daily digest, or neither. An overseer's
 * own message is not copied to the overseers. */
#include "gateway/policy/policy_internal.h"

void policy_rule_oversight(struct pol_state *st)
{
	const struct policy_request *req = st->req;
	const struct dir_team *t = req->team;
	unsigned added = 0;

	if (!dir_is_staff_side(req->sender))
		return;
	for (unsigned i = 0; i < t->n_overseers; i++)
		if (t->overseers[i] == req->sender)
			return;
	if (!pol_has_role_recipient(st, DIR_STUDENT) && !pol_has_role_recipient(st, DIR_GUARDIAN))
		return;
	switch (st->cfg->oversight) {
	case POLICY_OVERSIGHT_OFF:
		return;
	case POLICY_OVERSIGHT_DIGEST:
		st->v->digest = true;
		pol_applied(st, POLICY_RULE_OVERSIGHT);
		pol_note(st, "in the overseers' digest");
		return;
	case POLICY_OVERSIGHT_COPY:
		break;
	}
	for (unsigned i = 0; i < t->n_overseers; i++) {
		const struct dir_person *o = t->overseers[i];
		if (o == req->sender || pol_find(st, o) >= 0)
			continue;
		pol_add(st, o, POLICY_WHY_OVERSIGHT);
		added++;
	}
	if (added)
		pol_applied(st, POLICY_RULE_OVERSIGHT);
	else if (!t->n_overseers)
		pol_note(st, "no overseer on file for %s", t->name);
}
