/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* opt-out — carrier rules: STOP is honoured at once and START undoes it.
 *
 * Nobody is sent to who opted out of this relay number (STOP) or has no phone on file.
 * Addressed people left out are listed in the verdict's `skipped`, so that the sender
 * and the records can know; copies to opted-out guardians were never made (dir_reachable
 * in guardian-copy). When nobody addressed is left, the message is blocked. */
#include <talloc.h>

#include "gateway/policy/policy_internal.h"

void policy_rule_opt_out(struct pol_state *st)
{
	bool *drop = talloc_zero_array(st->tmp, bool, st->n_r + 1);
	unsigned n_drop = 0;
	char *why = NULL;

	for (unsigned i = 0; i < st->n_r; i++) {
		const struct dir_person *p = st->r[i].to;
		bool no_phone = !p->phone || !*p->phone;

		if (!no_phone && !pol_opted_out(st, p))
			continue;
		drop[i] = true;
		n_drop++;
		if (st->r[i].why != POLICY_WHY_ADDRESSED)
			continue;
		st->skipped = talloc_realloc(st->tmp, st->skipped, const struct dir_person *,
					     st->n_skipped + 1);
		st->skipped[st->n_skipped++] = p;
		if (!why)
			why = talloc_strdup(st->tmp, "");
		why = talloc_asprintf_append(why, "%s%s %s", *why ? "; " : "", p->display,
					     no_phone ? "has no phone on file"
						      : "has opted out of messages from this "
							"number (STOP)");
	}
	if (n_drop) {
		pol_compact(st, drop);
		pol_applied(st, POLICY_RULE_OPT_OUT);
	}
	talloc_free(drop);
	if (pol_count_why(st, POLICY_WHY_ADDRESSED))
		return;

	if (why && st->req->addr == POLICY_TO_STAFF) {
		pol_block(
		    st, POLICY_RULE_OPT_OUT,
		    talloc_asprintf(st->tmp, "no staff of %s can receive it: %s",
				    st->req->team->name, why),
		    talloc_asprintf(st->tmp,
				    "Not sent: none of the %s %s can receive messages on this "
				    "number. Contact the school office instead.",
				    st->req->team->name, pol_staff_word(st->req->team)));
	} else if (why) {
		pol_block(st, POLICY_RULE_OPT_OUT,
			  talloc_asprintf(st->tmp, "nobody addressed can receive it: %s", why),
			  talloc_asprintf(st->tmp,
					  "Not sent: %s. Reach them another way the district "
					  "approves, such as through the school office.",
					  why));
	} else {
		pol_block(st, POLICY_RULE_OPT_OUT, talloc_strdup(st->tmp, "nobody to send it to"),
			  talloc_strdup(st->tmp, "Not sent: nobody to send it to. Start your "
						 "message with @name or #team."));
	}
}
