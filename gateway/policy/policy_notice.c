/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* notice — policy 003: users have "no expectation of privacy"; the district records
 * every message.
 *
 * The first message a person gets from a relay number starts with the recording notice
 * (the district's text, or "Messages through this number are recorded by <district>.
 * Reply STOP to opt out, HELP for help."). Whether they had it is the `noticed` bit of
 * the relay; the engine only reads it (it is pure) and the router sets it once the
 * delivery carrying the notice is recorded.
 */
#include <talloc.h>

#include "gateway/policy/policy_internal.h"

void policy_rule_notice(struct pol_state *st)
{
	const struct policy_config *cfg = st->cfg;
	const char *text;
	unsigned n = 0;

	if (!cfg->notice)
		return;
	text = cfg->notice_text
		   ? cfg->notice_text
		   : talloc_asprintf(st->tmp,
				     "Messages through this number are recorded by %s. Reply "
				     "STOP to opt out, HELP for help.",
				     cfg->district && *cfg->district ? cfg->district
								     : "the school district");
	for (unsigned i = 0; i < st->n_r; i++) {
		struct pol_rcpt *r = &st->r[i];

		if (r->to->noticed & st->relay_bit)
			continue;
		r->body = talloc_asprintf(st->tmp, "%s\n%s", text, r->body ? r->body : "");
		r->notice = true;
		n++;
	}
	if (n)
		pol_applied(st, POLICY_RULE_NOTICE);
}
