/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The policy engine: runs the rule units in order over one working state and turns what
 * they decided into a verdict.
 *
 * Precedence: the first rule that blocks decides (nothing goes out, no deliveries are
 * listed, the sender is told why and what to do instead); otherwise the first rule that
 * holds decides (deliveries are listed as they would go out); otherwise the message is
 * delivered. Each recipient appears once, with the highest-ranking reason it gets the
 * message (ADDRESSED > TEAM_STAFF > GUARDIAN_COPY > OVERSIGHT > CRISIS_ALERT), and the
 * sender never gets their own message.
 *
 * The engine does no I/O, reads no clock and changes nothing in the directory: the
 * router records the verdict and then does what it says (including setting the
 * `noticed` bit of those who got the recording notice). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "gateway/policy/policy.h"
#include "gateway/policy/policy_internal.h"

static const struct policy_rule_info rule_info[] = {
    {POLICY_RULE_CRISIS, "a staff member answering one student in crisis is let through "
			 "one-to-one; administrators are alerted at once and the record flagged"},
    {POLICY_RULE_EXCEPTION, "an administrator-approved exception in force (family, guardian "
			    "permission, safety) allows one-to-one contact"},
    {POLICY_RULE_WHOLE_TEAM, "a team message goes to every student of the team and its other "
			     "staff (guardians copied where enabled)"},
    {POLICY_RULE_GUARDIAN_COPY, "a message to students or a subgroup copies every reachable "
				"guardian; none reachable blocks it"},
    {POLICY_RULE_CONTACT_SCREEN, "staff-student texts carrying a phone number, e-mail or street "
				 "address are held for an administrator"},
    {POLICY_RULE_QUIET_HOURS, "non-urgent staff messages to students are held during quiet hours"},
    {POLICY_RULE_OVERSIGHT, "the athletic director / principal is copied on (or gets a digest "
			    "of) staff messages to students and families"},
    {POLICY_RULE_OPT_OUT, "nobody who opted out (STOP) or has no phone is sent to"},
    {POLICY_RULE_ATTRIBUTION, "every message names its team, real sender and role"},
    {POLICY_RULE_MASKING, "no personal number of anyone but the recipient leaves in a body"},
    {POLICY_RULE_NOTICE, "the first message from a relay number tells the recipient that "
			 "messages are recorded"},
};

static void (*const rule_run[])(struct pol_state *) = {
    policy_rule_crisis,	       policy_rule_exception,	   policy_rule_whole_team,
    policy_rule_guardian_copy, policy_rule_contact_screen, policy_rule_quiet_hours,
    policy_rule_oversight,     policy_rule_opt_out,	   policy_rule_attribution,
    policy_rule_masking,       policy_rule_notice,
};

_Static_assert(ARRAY_SIZE(rule_info) == ARRAY_SIZE(rule_run), "one entry per rule unit");
_Static_assert(ARRAY_SIZE(rule_run) <= POLICY_MAX_RULES, "rules fit a verdict");

_Static_assert(ARRAY_SIZE(rule_info) <= POLICY_MAX_RULES,
	       "a verdict must have room to name every rule");

const struct policy_rule_info *policy_rules(unsigned *n)
{
	if (n)
		*n = ARRAY_SIZE(rule_info);
	return rule_info;
}

void policy_config_defaults(struct policy_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->district = "the school district";
	/* Sharon's rule is "sent to all team members"; copying every family on every team
	 * message is a district choice, so it is off unless enabled. */
	cfg->guardians_on_team_messages = false;
	cfg->quiet_hours = true;
	cfg->quiet_start_min = 21 * 60;
	cfg->quiet_end_min = 7 * 60;
	cfg->oversight = POLICY_OVERSIGHT_COPY;
	cfg->contact_screen = true;
	cfg->notice = true;
	cfg->notice_text = NULL;
}

const struct value_string policy_action_names[] = {
    {POLICY_DELIVER, "deliver"},
    {POLICY_HOLD, "hold"},
    {POLICY_BLOCK, "block"},
    {0, NULL},
};

const struct value_string policy_why_names[] = {
    {POLICY_WHY_ADDRESSED, "addressed"},	 {POLICY_WHY_TEAM_STAFF, "team-staff"},
    {POLICY_WHY_GUARDIAN_COPY, "guardian-copy"}, {POLICY_WHY_OVERSIGHT, "oversight"},
    {POLICY_WHY_CRISIS_ALERT, "crisis-alert"},	 {0, NULL},
};

const char *policy_action_name(enum policy_action a)
{
	return get_value_string(policy_action_names, a);
}

const char *policy_why_name(enum policy_why w)
{
	return get_value_string(policy_why_names, w);
}

bool policy_verdict_has_rule(const struct policy_verdict *v, const char *rule)
{
	if (!v || !rule)
		return false;
	for (unsigned i = 0; i < v->n_rules && i < POLICY_MAX_RULES; i++)
		if (v->rules[i] && !strcmp(v->rules[i], rule))
			return true;
	return false;
}

/* ---- bookkeeping shared with the rule units ---- */

void pol_applied(struct pol_state *st, const char *rule)
{
	struct policy_verdict *v = st->v;

	if (policy_verdict_has_rule(v, rule))
		return;
	/* Each rule once: a verdict can name every rule of the table, never more. */
	OSMO_ASSERT(v->n_rules < POLICY_MAX_RULES);
	v->rules[v->n_rules++] = rule;
}

void pol_note(struct pol_state *st, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = talloc_vasprintf(st->tmp, fmt, ap);
	va_end(ap);
	if (!st->notes)
		st->notes = talloc_strdup(st->tmp, s);
	else
		st->notes = talloc_asprintf_append(st->notes, "; %s", s);
	talloc_free(s);
}

void pol_block(struct pol_state *st, const char *rule, char *reason, char *reply)
{
	pol_applied(st, rule);
	if (st->block.rule)
		return;
	st->block.rule = rule;
	st->block.reason = reason;
	st->block.reply = reply;
}

void pol_hold(struct pol_state *st, const char *rule, enum policy_hold_release release,
	      char *reason, char *reply)
{
	pol_applied(st, rule);
	if (st->hold.rule) {
		/* A later hold is still part of the story: keep its reason in the notes. */
		pol_note(st, "%s", reason);
		return;
	}
	st->hold.rule = rule;
	st->hold.reason = reason;
	st->hold.reply = reply;
	st->release = release;
}

static unsigned hash_ptr(const void *p, unsigned mask)
{
	uint64_t x = (uint64_t)(uintptr_t)p;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (unsigned)x & mask;
}

static void slot_insert(struct pol_state *st, unsigned idx)
{
	unsigned mask = st->n_slots - 1, h = hash_ptr(st->r[idx].to, mask);

	while (st->slots[h])
		h = (h + 1) & mask;
	st->slots[h] = idx + 1;
}

static void rehash(struct pol_state *st)
{
	unsigned want = 16;

	while (want < 4 * (st->n_r + 1))
		want <<= 1;
	if (want != st->n_slots) {
		talloc_free(st->slots);
		st->slots = talloc_zero_array(st->tmp, unsigned, want);
		st->n_slots = want;
	} else {
		memset(st->slots, 0, want * sizeof(st->slots[0]));
	}
	for (unsigned i = 0; i < st->n_r; i++)
		slot_insert(st, i);
}

int pol_find(const struct pol_state *st, const struct dir_person *p)
{
	unsigned mask, h;

	if (!st->n_slots)
		return -1;
	mask = st->n_slots - 1;
	for (h = hash_ptr(p, mask); st->slots[h]; h = (h + 1) & mask)
		if (st->r[st->slots[h] - 1].to == p)
			return (int)st->slots[h] - 1;
	return -1;
}

int pol_add(struct pol_state *st, const struct dir_person *p, enum policy_why why)
{
	int i;

	if (!p || p == st->req->sender)
		return -1;
	i = pol_find(st, p);
	if (i >= 0) {
		if (why < st->r[i].why)
			st->r[i].why = why;
		return i;
	}
	if (st->n_r == st->cap_r) {
		st->cap_r = st->cap_r ? 2 * st->cap_r : 16;
		st->r = talloc_realloc(st->tmp, st->r, struct pol_rcpt, st->cap_r);
	}
	st->r[st->n_r] = (struct pol_rcpt){.to = p, .why = why, .seq = st->seq++};
	st->n_r++;
	if (4 * st->n_r > st->n_slots)
		rehash(st);
	else
		slot_insert(st, st->n_r - 1);
	return (int)st->n_r - 1;
}

void pol_compact(struct pol_state *st, const bool *drop)
{
	unsigned j = 0;

	for (unsigned i = 0; i < st->n_r; i++)
		if (!drop[i])
			st->r[j++] = st->r[i];
	st->n_r = j;
	rehash(st);
}

bool pol_is_team_staff(const struct dir_team *t, const struct dir_person *p)
{
	if (!t || !p || !dir_is_staff_side(p))
		return false;
	if (dir_team_has_member(t, p))
		return true;
	/* An administrator overseeing the team may speak to it as its staff would. */
	if (p->role == DIR_ADMIN)
		for (unsigned i = 0; i < t->n_overseers; i++)
			if (t->overseers[i] == p)
				return true;
	return false;
}

bool pol_sender_reaches(const struct pol_state *st, const struct dir_person *p)
{
	/* A parent who is staff reaches their own child on a number serving the child. */
	if (dir_is_guardian_of(st->req->sender, p))
		for (unsigned i = 0; i < p->n_teams; i++)
			if (p->teams[i]->relay == st->req->relay)
				return true;
	/* The teams of p's own and of p's wards: without building the list. */
	for (unsigned i = 0; i < p->n_teams; i++)
		if (p->teams[i]->relay == st->req->relay &&
		    pol_is_team_staff(p->teams[i], st->req->sender))
			return true;
	for (unsigned w = 0; w < p->n_wards; w++)
		for (unsigned i = 0; i < p->wards[w]->n_teams; i++) {
			const struct dir_team *t = p->wards[w]->teams[i];
			if (t->relay == st->req->relay && pol_is_team_staff(t, st->req->sender))
				return true;
		}
	return false;
}

bool pol_opted_out(const struct pol_state *st, const struct dir_person *p)
{
	return (p->opted_out & st->relay_bit) != 0;
}

unsigned pol_count_why(const struct pol_state *st, enum policy_why why)
{
	unsigned n = 0;

	for (unsigned i = 0; i < st->n_r; i++)
		n += st->r[i].why == why;
	return n;
}

bool pol_has_role_recipient(const struct pol_state *st, enum dir_role role)
{
	for (unsigned i = 0; i < st->n_r; i++)
		if (st->r[i].to->role == role)
			return true;
	return false;
}

unsigned pol_people_unique(const struct pol_state *st, const struct dir_person **out)
{
	const struct policy_request *req = st->req;
	unsigned n = 0;

	for (unsigned i = 0; i < req->n_people; i++) {
		bool dup = req->people[i] == req->sender;
		for (unsigned j = 0; j < n && !dup; j++)
			dup = out[j] == req->people[i];
		if (!dup)
			out[n++] = req->people[i];
	}
	return n;
}

char *pol_names(void *ctx, const struct dir_person *const *p, unsigned n)
{
	char *s = talloc_strdup(ctx, "");

	for (unsigned i = 0; i < n; i++)
		s = talloc_asprintf_append(s, "%s%s", i ? ", " : "", p[i]->display);
	return s;
}

const char *pol_staff_word(const struct dir_team *t)
{
	switch (t->kind) {
	case DIR_TEAM_SPORTS:
		return "coaches";
	case DIR_TEAM_CLUB:
		return "advisors";
	case DIR_TEAM_CLASS:
		return "teachers";
	case DIR_TEAM_BUILDING:
		return "staff";
	}
	return "staff";
}

void pol_hhmm(char *buf, int minutes)
{
	minutes = ((minutes % 1440) + 1440) % 1440;
	snprintf(buf, 6, "%02d:%02d", minutes / 60, minutes % 60);
}

/* ---- the verdict ---- */

static int cmp_rcpt(const void *a, const void *b)
{
	const struct pol_rcpt *x = a, *y = b;

	if (x->why != y->why)
		return x->why < y->why ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* What the final recipients add up to, for the reason. */
static void summarize(struct pol_state *st, char **reason)
{
	unsigned n_staff = pol_count_why(st, POLICY_WHY_TEAM_STAFF);
	unsigned n_guard = pol_count_why(st, POLICY_WHY_GUARDIAN_COPY);
	unsigned n_alert = pol_count_why(st, POLICY_WHY_CRISIS_ALERT);
	unsigned n_notice = 0;
	char *over = NULL;

	for (unsigned i = 0; i < st->n_r; i++) {
		const struct dir_person *p = st->r[i].to;
		const char *title;

		n_notice += st->r[i].notice;
		if (st->r[i].why != POLICY_WHY_OVERSIGHT)
			continue;
		title = p->title != DIR_T_NONE ? dir_title_name(p->title) : "administrator";
		if (!over)
			over = talloc_strdup(st->tmp, title);
		else if (!strstr(over, title))
			over = talloc_asprintf_append(over, ", %s", title);
	}
	if (n_staff)
		*reason = talloc_asprintf_append(*reason, "; %u other staff of %s kept in the loop",
						 n_staff, st->req->team->name);
	if (n_guard)
		*reason = talloc_asprintf_append(*reason, "; %u guardian%s copied", n_guard,
						 n_guard == 1 ? "" : "s");
	if (over)
		*reason = talloc_asprintf_append(*reason, "; %s copied", over);
	if (n_alert)
		*reason = talloc_asprintf_append(*reason, "; %u administrator%s alerted", n_alert,
						 n_alert == 1 ? "" : "s");
	if (st->n_skipped) {
		char *names = pol_names(st->tmp, st->skipped, st->n_skipped);
		*reason = talloc_asprintf_append(*reason,
						 "; not sent to %s (opted out or no phone)", names);
	}
	if (st->n_masked)
		*reason = talloc_asprintf_append(*reason, "; numbers withheld in %u deliver%s",
						 st->n_masked, st->n_masked == 1 ? "y" : "ies");
	if (n_notice)
		*reason =
		    talloc_asprintf_append(*reason, "; recording notice to %u new recipient%s",
					   n_notice, n_notice == 1 ? "" : "s");
	*reason =
	    talloc_asprintf_append(*reason, "; %u deliver%s", st->n_r, st->n_r == 1 ? "y" : "ies");
}

/* Guardians the copy missed: in the verdict (for the records), in its reason, and told to
 * the sender of a message that goes out ("Sent, but not to ..."). */
static void skipped_guardians(struct pol_state *st, struct policy_verdict *v)
{
	unsigned n = st->n_skipped_guardians;
	char *who = talloc_strdup(st->tmp, "");

	v->skipped_guardians = talloc_array(st->out, const struct dir_person *, n);
	v->skipped_for = talloc_array(st->out, const struct dir_person *, n);
	memcpy(v->skipped_guardians, st->skipped_guardians, n * sizeof(v->skipped_guardians[0]));
	memcpy(v->skipped_for, st->skipped_for, n * sizeof(v->skipped_for[0]));
	v->n_skipped_guardians = n;
	for (unsigned i = 0; i < n; i++) {
		const struct dir_person *g = st->skipped_guardians[i];
		who = talloc_asprintf_append(who, "%s%s, guardian of %s (%s)", i ? "; " : "",
					     g->display, st->skipped_for[i]->display,
					     !g->phone || !*g->phone
						 ? "no phone on file"
						 : "opted out of messages from this number");
	}
	v->reason = talloc_asprintf_append(v->reason, "; guardian copy missed %s", who);
	if (v->action == POLICY_DELIVER && !v->reply)
		v->reply = talloc_asprintf(st->out, "Sent, but not to %s.", who);
}

static void finish(struct pol_state *st)
{
	struct policy_verdict *v = st->v;
	const char *decider = NULL;
	char *reason;

	if (st->block.rule) {
		v->action = POLICY_BLOCK;
		decider = st->block.rule;
		reason = talloc_strdup(st->out, st->block.reason);
		v->reply = talloc_strdup(st->out, st->block.reply);
	} else if (st->hold.rule) {
		v->action = POLICY_HOLD;
		decider = st->hold.rule;
		reason = talloc_strdup(st->out, st->hold.reason);
		v->reply = talloc_strdup(st->out, st->hold.reply);
		v->release = st->release;
	} else {
		v->action = POLICY_DELIVER;
		reason = NULL;
	}
	if (st->quiet && v->action == POLICY_HOLD)
		v->hold_until = st->quiet_until;

	/* The deciding rule first, the others in the order they ran. */
	if (decider) {
		unsigned i;
		for (i = 0; i < v->n_rules && strcmp(v->rules[i], decider); i++)
			;
		if (i < v->n_rules) {
			memmove(&v->rules[1], &v->rules[0], i * sizeof(v->rules[0]));
			v->rules[0] = decider;
		}
	}

	if (st->notes)
		reason = reason ? talloc_asprintf_append(reason, "; %s", st->notes)
				: talloc_strdup(st->out, st->notes);
	if (!reason)
		reason = talloc_strdup(st->out, "delivered");

	if (v->action == POLICY_BLOCK) {
		/* Nothing of a blocked message goes out: no deliveries to act on by mistake. */
		st->n_r = 0;
	} else {
		summarize(st, &reason);
	}
	v->reason = reason;

	if (st->n_r) {
		qsort(st->r, st->n_r, sizeof(st->r[0]), cmp_rcpt);
		v->deliveries = talloc_zero_array(st->out, struct policy_delivery, st->n_r);
		for (unsigned i = 0; i < st->n_r; i++) {
			v->deliveries[i].to = st->r[i].to;
			v->deliveries[i].why = st->r[i].why;
			v->deliveries[i].notice = st->r[i].notice;
			v->deliveries[i].body =
			    talloc_strdup(v->deliveries, st->r[i].body ? st->r[i].body : "");
		}
		v->n_deliveries = st->n_r;
	}
	if (st->n_skipped) {
		v->skipped = talloc_array(st->out, const struct dir_person *, st->n_skipped);
		memcpy(v->skipped, st->skipped, st->n_skipped * sizeof(v->skipped[0]));
		v->n_skipped = st->n_skipped;
	}
	if (st->n_skipped_guardians && v->action != POLICY_BLOCK)
		skipped_guardians(st, v);
}

static bool request_ok(const struct directory *d, const struct policy_request *req)
{
	if (!d || !req || !req->sender || !req->relay || !req->team)
		return false;
	if (req->relay->index >= DIR_MAX_RELAYS)
		return false;
	switch (req->addr) {
	case POLICY_TO_TEAM:
	case POLICY_TO_STAFF:
		return true;
	case POLICY_TO_SUBGROUP:
		return req->subgroup && req->subgroup->team == req->team;
	case POLICY_TO_PEOPLE:
		if (!req->people || !req->n_people)
			return false;
		for (unsigned i = 0; i < req->n_people; i++)
			if (!req->people[i])
				return false;
		return true;
	}
	return false;
}

int policy_evaluate(void *ctx, const struct directory *d, const struct policy_config *cfg,
		    const struct policy_request *req, struct policy_verdict *out)
{
	struct policy_config defaults;
	struct pol_state st;

	if (!out)
		return -1;
	memset(out, 0, sizeof(*out));
	if (!request_ok(d, req))
		return -1;
	if (!cfg) {
		policy_config_defaults(&defaults);
		cfg = &defaults;
	}

	memset(&st, 0, sizeof(st));
	st.tmp = talloc_named_const(ctx, 0, "policy_evaluate");
	if (!st.tmp)
		return -1;
	st.out = ctx;
	st.d = d;
	st.cfg = cfg;
	st.req = req;
	st.v = out;
	st.body = req->body ? req->body : "";
	st.relay_bit = 1u << req->relay->index;

	for (unsigned i = 0; i < ARRAY_SIZE(rule_run); i++) {
		rule_run[i](&st);
		if (st.block.rule)
			break;
	}
	finish(&st);
	talloc_free(st.tmp);
	return 0;
}
