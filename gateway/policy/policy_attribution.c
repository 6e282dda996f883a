/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* attribution — policy 003 c.viii: no anonymous or disguised sender.
 *
 * Every body names the team and the real sender by display name and role, never by
 * phone number:
 *   addressed, team staff   "[Soccer] Coach Dana Lee: text"
 *   student sender          "[Soccer] Jamie R. (@jamier): text"
 *   guardian sender         "[Soccer] Pat R., guardian of Jamie R. (@patr): text"
 * Copies (guardians, overseers) also say whom the message went to, so a parent reading a
 * copy knows it was not meant for them alone:
 *   "[Soccer] Coach Dana Lee to Jamie R.: text"
 *   "[Soccer] Coach Dana Lee to the Soccer team: text"
 *   "[Soccer] Coach Dana Lee to Soccer injured (Jamie R., Alex K.): text"
 *   "[Soccer] Jamie R. (@jamier) to the Soccer coaches: text"
 * and a crisis alert says what happened:
 *   "CRISIS [Soccer] Coach Dana Lee answered Jamie R. one-to-one: text — please review"
 *   "CRISIS [Soccer] Jamie R. (@jamier) to Coach Dana Lee: text — please review"
 * Students and guardians are named by their directory display (given name and family
 * initial), like everyone else, so that every body carries the sender's display. */
#include <talloc.h>

#include "gateway/policy/policy_internal.h"

static char *sender_label(struct pol_state *st)
{
	const struct policy_request *req = st->req;
	const struct dir_person *s = req->sender;
	char *label, *wards;
	const struct dir_person **w;
	unsigned n = 0;

	/* Staff writing to a team's staff about their own child write as its guardian. */
	if (dir_is_staff_side(s) &&
	    !(req->addr == POLICY_TO_STAFF && s->n_wards && !pol_is_team_staff(req->team, s)))
		return talloc_strdup(st->tmp, s->display);
	if (s->n_wards) {
		/* Name the wards on this team, so staff know whose family is writing. */
		w = talloc_array(st->tmp, const struct dir_person *, s->n_wards + 1);
		for (unsigned i = 0; i < s->n_wards; i++)
			if (dir_team_has_member(req->team, s->wards[i]))
				w[n++] = s->wards[i];
		if (!n)
			for (unsigned i = 0; i < s->n_wards; i++)
				w[n++] = s->wards[i];
		wards = pol_names(st->tmp, w, n);
		label = n ? talloc_asprintf(st->tmp, "%s, guardian of %s", s->display, wards)
			  : talloc_asprintf(st->tmp, "%s, guardian", s->display);
	} else {
		label = talloc_strdup(st->tmp, s->display);
	}
	if (s->handle && *s->handle)
		label = talloc_asprintf_append(label, " (@%s)", s->handle);
	return label;
}

/* Whom the message went to, as a copy names it. */
static char *whom(struct pol_state *st)
{
	const struct policy_request *req = st->req;
	const struct dir_team *t = req->team;
	const struct dir_person **p;
	unsigned n = 0;

	switch (req->addr) {
	case POLICY_TO_TEAM:
		return talloc_asprintf(st->tmp, "the %s team", t->name);
	case POLICY_TO_SUBGROUP:
		return talloc_asprintf(
		    st->tmp, "%s %s (%s)", t->name, req->subgroup->name,
		    pol_names(st->tmp, (const struct dir_person *const *)req->subgroup->members,
			      req->subgroup->n_members));
	case POLICY_TO_PEOPLE:
		p = talloc_array(st->tmp, const struct dir_person *, req->n_people);
		n = pol_people_unique(st, p);
		return pol_names(st->tmp, p, n);
	case POLICY_TO_STAFF:
		if (req->n_people)
			return pol_names(st->tmp, req->people, req->n_people);
		break;
	}
	return talloc_asprintf(st->tmp, "the %s %s", t->name, pol_staff_word(t));
}

void policy_rule_attribution(struct pol_state *st)
{
	const struct policy_request *req = st->req;
	const char *team = req->team->name;
	const char *text = st->body;
	const char *sep = *text ? " " : "";
	char *from = sender_label(st);
	char *to = whom(st);

	for (unsigned i = 0; i < st->n_r; i++) {
		struct pol_rcpt *r = &st->r[i];

		switch (r->why) {
		case POLICY_WHY_ADDRESSED:
		case POLICY_WHY_TEAM_STAFF:
			r->body = talloc_asprintf(st->tmp, "[%s] %s:%s%s", team, from, sep, text);
			break;
		case POLICY_WHY_GUARDIAN_COPY:
		case POLICY_WHY_OVERSIGHT:
			r->body = talloc_asprintf(st->tmp, "[%s] %s to %s:%s%s", team, from, to,
						  sep, text);
			break;
		case POLICY_WHY_CRISIS_ALERT:
			if (!dir_is_staff_side(req->sender)) {
				r->body = talloc_asprintf(
				    st->tmp, "CRISIS [%s] %s to %s:%s%s — please review", team,
				    from, to, sep, text);
				break;
			}
			r->body = talloc_asprintf(st->tmp,
						  "CRISIS [%s] %s answered %s one-to-one:%s%s — "
						  "please review",
						  team, from, to, sep, text);
			break;
		}
	}
	if (st->n_r)
		pol_applied(st, POLICY_RULE_ATTRIBUTION);
}
