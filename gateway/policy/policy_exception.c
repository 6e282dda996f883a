/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* exception — Sharon INJDB: "The Superintendent or Principal may authorize ... in
 * situations where student safety would be improved ... or where the permission of the
 * parent/guardian has been given (and the parent/guardian is included on the
 * communication(s)). Exceptions to this rule are also made for staff and students who
 * are family members or who have an established family relationship."
 *
 * For a staff message to exactly one student, an exception in force between that staff
 * member and that student lets it through one-to-one:
 *   family, safety       no guardian copy;
 *   guardian_permission  the reachable guardians are still copied ("the parent/guardian
 *                        is included"), but none being reachable does not block.
 * When several are in force, guardian_permission is used first because it keeps the
 * guardian in the loop. contact_sharing exceptions only matter to contact-screen. */
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "gateway/policy/policy_internal.h"

void policy_rule_exception(struct pol_state *st)
{
	static const enum dir_exception_kind kinds[] = {
	    DIR_EXC_GUARDIAN_PERMISSION,
	    DIR_EXC_FAMILY,
	    DIR_EXC_SAFETY,
	};
	const struct policy_request *req = st->req;
	const struct dir_person *student;
	const struct dir_exception *e = NULL;

	if (st->crisis || !dir_is_staff_side(req->sender) || req->addr != POLICY_TO_PEOPLE ||
	    req->n_people != 1)
		return;
	student = req->people[0];
	if (student->role != DIR_STUDENT)
		return;
	for (unsigned i = 0; i < ARRAY_SIZE(kinds) && !e; i++) {
		e = dir_exception_find(st->d, req->sender, student, (int)kinds[i], req->now);
		/* Checked again here so that the engine does not depend on how the directory
		 * picks among several: only this pair, this kind, not expired. */
		if (e && (e->kind != kinds[i] || e->staff != req->sender || e->student != student ||
			  req->now >= e->expires))
			e = NULL;
	}
	if (!e)
		return;

	st->exc = e;
	st->exc_copies = e->kind == DIR_EXC_GUARDIAN_PERMISSION;
	st->v->exception_id = e->id;
	pol_applied(st, POLICY_RULE_EXCEPTION);
	pol_note(st, "exception #%lld (%s) between %s and %s%s%s", (long long)e->id,
		 dir_exception_kind_name(e->kind), req->sender->display, student->display,
		 e->approved_by ? ", approved by " : "",
		 e->approved_by ? e->approved_by->display : "");
}
