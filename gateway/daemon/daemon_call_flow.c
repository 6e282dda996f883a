/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Relayed calls: a call the router allowed (CALL @name, gateway/relay/router_call.c) is
 * placed here, one leg per modem, under the call rules (gateway/policy/policy_call.h).
 *
 * The order of a call to a student, one osmo_fsm state per step:
 *   GUARDIAN   a guardian of the student is dialled (roster order; each has
 *              X5 seconds to answer and hear the notice); the first who does is bridged;
 *              none: the call ends and the caller is told why by SMS;
 *   CALLEE     only then the callee (the student) is dialled, hears the notice, and is
 *              bridged with the guardian;
 *   CALLER     the caller (who asked by SMS) is dialled last and bridged;
 *   ACTIVE     everyone hears everyone else (gateway/voice/voice_mixer.h);
 *   ADULT_LEFT the guardian hung up while the call needed one: the student is taken out of
 *              the bridge at once, everyone hears that the call will end unless an adult
 *              rejoins, the next guardian on the roster is dialled, and after X6 seconds
 *              without one the call ends;
 *   ENDING     "this call has ended" to whoever is still on, every leg hung up (X7).
 * A call with no guardian to dial (staff to staff, an exception, a crisis) starts at
 * CALLEE. Every leg hears the recording notice before it is bridged: it hears nobody and
 * nobody hears it until the notice has played (all-party consent). Each party is texted,
 * from the relay number they know, who is calling and from which relay number, as the
 * phone rings: voice prompts hold no names.
 *
 * Lines: a call takes a modem that carries calls per leg at once (the guardian's line is
 * used again for the next guardian). They are reserved when the call is placed; the
 * relay number the parties know goes to the first leg dialled. The router asks
 * daemon_flow_lines() first and refuses a call the free lines cannot carry.
 *
 * Records (storage/records/records_calls.h), each in its own commit as it happens: a leg
 * when dialled (its recording channel is its mixer leg), dial, alert, answer, prompt (id
 * and SHA-256), notice, bridged, unbridged, left (the network's cause), fault, and the end
 * with why. The recording (channel 0 the relay's prompts, channel k leg k) is finished,
 * hashed and recorded when the call ends; a crash leaves a WAV recovered at the next
 * start. After the call the team's overseers get a summary by SMS.
 *
 * Driver and mixer callbacks only mark what happened; a zero timer (the kick) feeds the
 * FSM from the main loop, so that no state change runs inside the driver or the mixer. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/tdef.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>
#include <osmocom/vty/vty.h>
#include <talloc.h>

#include "gateway/daemon/chaperoned.h"
#include "gateway/daemon/daemon_call_flow.h"
#include "gateway/policy/policy_call.h"
#include "gateway/voice/prompts/prompts.h"
#include "gateway/voice/voice_mixer.h"
#include "modem/profiles/modem_profile.h"
#include "storage/records/records_calls.h"
#include "storage/recordings/recording.h"

#define S(x) (1 << (x))

static const struct value_string flow_event_names[] = {
    {FLOW_EV_NOTICE_DONE, "NOTICE_DONE"},
    {FLOW_EV_GONE, "GONE"},
    {FLOW_EV_DIGIT, "DIGIT"},
    {0, NULL},
};

const struct osmo_tdef_state_timeout flow_timeouts[32] = {
    [FLOW_ST_MENU] = {.T = DAEMON_T_MENU},
    [FLOW_ST_GUARDIAN] = {.T = DAEMON_T_CALL_ANSWER},
    [FLOW_ST_CALLEE] = {.T = DAEMON_T_CALL_ANSWER},
    [FLOW_ST_CALLER] = {.T = DAEMON_T_CALL_ANSWER},
    [FLOW_ST_ADULT_LEFT] = {.T = DAEMON_T_ADULT_REJOIN},
    [FLOW_ST_ENDING] = {.T = DAEMON_T_CALL_HANGUP},
};

static LLIST_HEAD(flows);
static struct osmo_fsm flow_fsm;

/* ---- Records ---- */

void flow_ev(struct relay_call *rc, const struct flow_leg *leg, const char *kind,
	     const char *detail)
{
	struct store *s = rc->d->store;

	if (store_begin(s) < 0 ||
	    rec_call_event(s, rc->row, leg ? leg->row : 0, store_now_ms(), kind, detail) <= 0 ||
	    store_commit(s) < 0) {
		store_rollback(s);
		LOGP(DRELAY, LOGL_ERROR, "call %lld: %s not recorded: %s\n", (long long)rc->row,
		     kind, store_errmsg(s));
	}
}

void flow_evf(struct relay_call *rc, const struct flow_leg *leg, const char *kind, const char *fmt,
	      ...)
{
	va_list ap;
	char *detail;

	va_start(ap, fmt);
	detail = talloc_vasprintf(rc, fmt, ap);
	va_end(ap);
	flow_ev(rc, leg, kind, detail);
	talloc_free(detail);
}

/* A text from the relay number the parties know. */
static void text(struct relay_call *rc, const struct flow_party *to, const char *why,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void text(struct relay_call *rc, const struct flow_party *to, const char *why,
		 const char *fmt, ...)
{
	va_list ap;
	char *body;

	if (!to->number || !to->number[0])
		return;
	va_start(ap, fmt);
	body = talloc_vasprintf(rc, fmt, ap);
	va_end(ap);
	if (router_notify(rc->d->router, rc->relay, to->person_id, to->number, why, body,
			  store_now_ms()) < 0)
		LOGP(DRELAY, LOGL_ERROR, "call %lld: text to %s not recorded\n", (long long)rc->row,
		     to->name);
	talloc_free(body);
}

/* ---- Lines ---- */

static bool carries_calls(struct daemon_modem *dm)
{
	struct modem_info mi;

	if (!dm->modem)
		return false;
	modem_info(dm->modem, &mi);
	return mi.profile && mi.profile->voice.kind != MODEM_VOICE_NONE;
}

static bool reserved(const struct daemon_modem *dm)
{
	struct relay_call *rc;

	llist_for_each_entry (rc, &flows, list)
		for (unsigned i = 0; i < ARRAY_SIZE(rc->line); i++)
			if (rc->line[i] == dm)
				return true;
	return false;
}

static bool line_free(struct daemon_modem *dm)
{
	struct modem_info mi;

	if (!carries_calls(dm))
		return false;
	modem_info(dm->modem, &mi);
	return mi.state == MODEM_ST_READY && mi.calls == 0 && !reserved(dm);
}

unsigned daemon_flow_lines(struct chaperoned *d, unsigned *total)
{
	struct daemon_modem *dm;
	unsigned n = 0, all = 0;

	llist_for_each_entry (dm, &d->modems, list) {
		all += carries_calls(dm);
		n += line_free(dm);
	}
	if (total)
		*total = all;
	return n;
}

/* A free line, the one on `relay` first. */
struct daemon_modem *flow_take_line(struct relay_call *rc, const char *relay)
{
	struct daemon_modem *dm, *any = NULL;

	llist_for_each_entry (dm, &rc->d->modems, list) {
		if (!line_free(dm))
			continue;
		if (relay && dm->relay_number && !strcmp(dm->relay_number, relay))
			return dm;
		if (!any)
			any = dm;
	}
	return any;
}

/* ---- Legs ---- */

void flow_kick(struct relay_call *rc)
{
	osmo_timer_schedule(&rc->kick, 0, 0);
}

static bool flow_live(const struct flow_leg *leg)
{
	return leg && leg->phase != LEG_GONE;
}

void flow_hang_up(struct flow_leg *leg)
{
	if (!flow_live(leg) || leg->hung_up || !leg->have_id)
		return;
	leg->hung_up = true;
	if (modem_hangup(leg->dm->modem, leg->call_id) < 0) {
		/* The modem no longer has it: over. */
		leg->gone_pending = true;
		flow_kick(leg->rc);
	}
}

/* What a party hears of who is calling, as the phone rings. */
static void announce(struct relay_call *rc, const struct flow_leg *leg)
{
	const struct flow_party *p = leg->p;
	const char *from = leg->dm->relay_number;
	bool known = !strcmp(from, rc->relay);
	char *via =
	    known ? talloc_strdup(rc, "from this number")
		  : talloc_asprintf(rc, "from %s, another of the district's relay numbers", from);

	switch (p->role) {
	case POLICY_LEG_GUARDIAN:
		text(rc, p, "call-notice",
		     "%s is calling about %s, and you are called first, %s (call #%lld). "
		     "The call is recorded.",
		     rc->caller.name, rc->callee.name, via, (long long)rc->row);
		break;
	case POLICY_LEG_CALLEE:
		if (rc->guardian)
			text(rc, p, "call-notice",
			     "%s is calling you, with %s on the line, %s (call #%lld). The call "
			     "is recorded.",
			     rc->caller.name, rc->guardian->p->name, via, (long long)rc->row);
		else
			text(rc, p, "call-notice",
			     "%s is calling you %s (call #%lld). The call is recorded.",
			     rc->caller.name, via, (long long)rc->row);
		break;
	case POLICY_LEG_CALLER:
		text(rc, p, "call-notice",
		     "Your call #%lld: %s is on the line; the relay is calling you now %s.",
		     (long long)rc->row, rc->callee.name, via);
		break;
	}
	talloc_free(via);
}

/* Dial party p on line dm as a new leg. NULL when it could not be dialled (recorded). */
static struct flow_leg *dial(struct relay_call *rc, const struct flow_party *p,
			     struct daemon_modem *dm)
{
	struct store *s = rc->d->store;
	struct flow_leg *leg;
	int mix, rc_dial;
	uint32_t id = 0;

	if (rc->n_legs >= rc->n_legs_max || !dm || !dm->modem)
		return NULL;
	mix = voice_mixer_add_leg(rc->mix);
	if (mix < 0)
		return NULL;
	leg = &rc->legs[rc->n_legs++];
	*leg = (struct flow_leg){.rc = rc, .p = p, .dm = dm, .mix = (unsigned)mix};
	if (store_begin(s) < 0 ||
	    (leg->row =
		 rec_call_leg_add(s, rc->row, store_now_ms(), p->person_id, p->number,
				  policy_call_role_name(p->role), dm->name, (unsigned)mix)) <= 0 ||
	    store_commit(s) < 0) {
		store_rollback(s);
		leg->row = 0;
		LOGP(DRELAY, LOGL_ERROR, "call %lld: the leg of %s not recorded: %s\n",
		     (long long)rc->row, p->name, store_errmsg(s));
	}
	flow_evf(rc, leg, "dial", "%s from %s on %s", p->name, dm->relay_number, dm->name);
	announce(rc, leg);
	rc_dial = modem_dial(dm->modem, p->number, &id);
	if (rc_dial < 0) {
		flow_evf(rc, leg, "left", "not dialled: %s", strerror(-rc_dial));
		leg->phase = LEG_GONE;
		voice_mixer_set_state(rc->mix, leg->mix, VOICE_LEG_GONE);
		return NULL;
	}
	leg->call_id = id;
	leg->have_id = true;
	LOGPFSML(rc->fi, LOGL_INFO, "dialling %s (%s) on %s\n", p->name,
		 policy_call_role_name(p->role), dm->name);
	return leg;
}

int flow_prompt(struct relay_call *rc, struct flow_leg *leg, const char *id)
{
	const struct voice_prompt *vp = voice_prompt_find(id);
	char sha[VOICE_PROMPT_SHA256_HEX], err[256];
	int16_t *samples;
	size_t n;
	int pid;

	if (!vp || voice_prompt_load_err(vp, rc->d->prompts_dir, rc, &samples, &n, sha, err,
					 sizeof(err)) < 0) {
		flow_evf(rc, leg, "fault", "prompt %s: %s", id, vp ? err : "missing");
		return -1;
	}
	pid = voice_mixer_prompt(rc->mix, leg ? leg->mix : VOICE_ALL_LEGS, samples, n);
	talloc_free(samples);
	if (pid < 0) {
		flow_evf(rc, leg, "fault", "prompt %s not queued: %s", id, strerror(-pid));
		return -1;
	}
	flow_evf(rc, leg, "prompt", "%s %s", id, sha);
	return pid;
}

/* The people a leg would be bridged with, and it: may they all hear each other? */
static bool bridge_ok(struct relay_call *rc, const struct flow_leg *with)
{
	enum policy_call_side sides[VOICE_LEGS_MAX];
	unsigned n = 0;

	for (unsigned i = 0; i < rc->n_legs; i++)
		if (rc->legs[i].phase == LEG_BRIDGED || &rc->legs[i] == with)
			sides[n++] = rc->legs[i].p->side;
	return policy_call_bridge_ok_sides(rc->guardian_required, sides, n);
}

static unsigned flow_bridged(const struct relay_call *rc)
{
	unsigned n = 0;

	for (unsigned i = 0; i < rc->n_legs; i++)
		n += rc->legs[i].phase == LEG_BRIDGED;
	return n;
}

bool flow_bridge(struct relay_call *rc, struct flow_leg *leg)
{
	if (!bridge_ok(rc, leg)) {
		flow_evf(rc, leg, "fault", "%s not bridged: the call rules forbid it now",
			 leg->p->name);
		return false;
	}
	voice_mixer_set_state(rc->mix, leg->mix, VOICE_LEG_BRIDGED);
	leg->phase = LEG_BRIDGED;
	flow_ev(rc, leg, "bridged", leg->p->name);
	if (!rc->connected_at && flow_bridged(rc) >= 2)
		rc->connected_at = store_now_ms();
	return true;
}

static void isolate(struct relay_call *rc, struct flow_leg *leg, const char *why)
{
	if (leg->phase != LEG_BRIDGED)
		return;
	voice_mixer_set_state(rc->mix, leg->mix, VOICE_LEG_NOTICE);
	leg->phase = LEG_ISOLATED;
	flow_evf(rc, leg, "unbridged", "%s: %s", leg->p->name, why);
}

/* End the call: why, and the text to the caller when they were not on it. */
void flow_end(struct relay_call *rc, const char *why)
{
	if (rc->fi->state == FLOW_ST_ENDING)
		return;
	rc->outcome = talloc_strdup(rc, why);
	LOGPFSML(rc->fi, LOGL_NOTICE, "ending: %s\n", why);
	if (!rc->caller_leg || !rc->caller_leg->answered)
		text(rc, &rc->caller, "call-notice", "Your call #%lld to %s did not go ahead: %s.",
		     (long long)rc->row, rc->callee.name, why);
	flow_state_chg(rc->fi, FLOW_ST_ENDING);
}

struct flow_leg *flow_student_leg(struct relay_call *rc)
{
	for (unsigned i = 0; i < rc->n_legs; i++)
		if (rc->legs[i].p->side == POLICY_SIDE_STUDENT && rc->legs[i].phase != LEG_GONE)
			return &rc->legs[i];
	return NULL;
}

/* A leg that is over, in any state but ENDING. */
static void lost(struct relay_call *rc, struct flow_leg *leg)
{
	char why[256];

	if (leg == rc->guardian && rc->guardian_required) {
		if (rc->fi->state == FLOW_ST_ACTIVE || rc->fi->state == FLOW_ST_ADULT_LEFT) {
			struct flow_leg *student = flow_student_leg(rc);

			if (student)
				isolate(rc, student, "no parent or guardian on the call");
			rc->guardian = NULL;
			if (rc->fi->state == FLOW_ST_ACTIVE)
				flow_state_chg(rc->fi, FLOW_ST_ADULT_LEFT);
			return;
		}
		snprintf(why, sizeof(why), "%s left before everyone was on the call", leg->p->name);
		flow_end(rc, why);
		return;
	}
	if (leg == rc->callee_leg || leg == rc->caller_leg) {
		snprintf(why, sizeof(why), "%s %s", leg->p->name,
			 leg->answered ? "hung up" : "did not answer");
		flow_end(rc, why);
		return;
	}
	if (leg == rc->guardian)
		rc->guardian = NULL;
	if (rc->fi->state == FLOW_ST_ACTIVE && flow_bridged(rc) < 2)
		flow_end(rc, "fewer than two people were left on the call");
}

/* ---- States ---- */

/* The menu has been said (the notice first); the caller's digit decides. */
static void menu_action(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct relay_call *rc = fi->priv;

	switch (event) {
	case FLOW_EV_DIGIT:
		flow_menu_digit(rc, *(const char *)data);
		break;
	case FLOW_EV_GONE:
		lost(rc, data);
		break;
	}
}

static void guardian_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct relay_call *rc = fi->priv;
	char why[256];

	(void)prev;
	rc->guardian = NULL;
	while (rc->next_guardian < rc->n_guardians) {
		const struct flow_party *g = &rc->guardians[rc->next_guardian++];

		rc->guardian = dial(rc, g, rc->line[0]);
		if (rc->guardian)
			return;
	}
	if (rc->guardian_required) {
		snprintf(why, sizeof(why), "no parent or guardian of %s answered (%u tried)",
			 rc->callee.side == POLICY_SIDE_STUDENT ? rc->callee.name : rc->caller.name,
			 rc->n_guardians);
		flow_end(rc, why);
		return;
	}
	flow_state_chg(fi, FLOW_ST_CALLEE);
}

static void guardian_action(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct relay_call *rc = fi->priv;
	struct flow_leg *leg = data;

	if (leg != rc->guardian) {
		/* The caller of an incoming call, waiting on the bridge, hung up. */
		if (event == FLOW_EV_GONE)
			lost(rc, leg);
		return;
	}
	switch (event) {
	case FLOW_EV_NOTICE_DONE:
		if (flow_bridge(rc, leg))
			flow_state_chg(fi, FLOW_ST_CALLEE);
		break;
	case FLOW_EV_GONE:
		/* Not answered, or gone during the notice: the next guardian. */
		flow_state_chg(fi, FLOW_ST_GUARDIAN);
		break;
	}
}

static void callee_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct relay_call *rc = fi->priv;

	(void)prev;
	rc->callee_leg = dial(rc, &rc->callee, rc->line[1]);
	if (!rc->callee_leg)
		flow_end(rc, "the relay could not dial the call");
}

/* CALLEE and CALLER: the leg dialled joins once it has heard the notice; any other leg
 * lost on the way is lost() (a guardian who leaves now ends the call). */
static void joining_action(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct relay_call *rc = fi->priv;
	struct flow_leg *leg = data;
	bool callee = fi->state == FLOW_ST_CALLEE;

	switch (event) {
	case FLOW_EV_NOTICE_DONE:
		if (leg != (callee ? rc->callee_leg : rc->caller_leg))
			break;
		if (flow_bridge(rc, leg))
			flow_state_chg(
			    fi, !callee || (rc->caller_leg && rc->caller_leg->phase == LEG_BRIDGED)
				    ? FLOW_ST_ACTIVE
				    : FLOW_ST_CALLER);
		else
			flow_end(rc, "the call rules no longer allow it");
		break;
	case FLOW_EV_GONE:
		lost(rc, leg);
		break;
	}
}

static void caller_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct relay_call *rc = fi->priv;

	(void)prev;
	rc->caller_leg = dial(rc, &rc->caller, rc->line[2] ? rc->line[2] : rc->line[1]);
	if (!rc->caller_leg)
		flow_end(rc, "the relay could not dial the caller back");
}

static void active_action(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct relay_call *rc = fi->priv;

	if (event == FLOW_EV_GONE)
		lost(rc, data);
}

/* The guardian left: the student is out of the bridge already (lost()). Everyone hears
 * that the call ends unless an adult rejoins; the next guardian on the roster is dialled
 * on the guardians' line. */
static void adult_left_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct relay_call *rc = fi->priv;

	(void)prev;
	flow_prompt(rc, NULL, "adult_left");
	while (rc->next_guardian < rc->n_guardians && !rc->guardian) {
		const struct flow_party *g = &rc->guardians[rc->next_guardian++];

		rc->guardian = dial(rc, g, rc->line[0]);
	}
}

static void adult_left_action(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct relay_call *rc = fi->priv;
	struct flow_leg *leg = data, *student;

	switch (event) {
	case FLOW_EV_NOTICE_DONE:
		if (leg != rc->guardian || !flow_bridge(rc, leg))
			break;
		student = flow_student_leg(rc);
		if (student && student->phase == LEG_ISOLATED && bridge_ok(rc, student)) {
			voice_mixer_set_state(rc->mix, student->mix, VOICE_LEG_BRIDGED);
			student->phase = LEG_BRIDGED;
			flow_ev(rc, student, "bridged", student->p->name);
		}
		flow_state_chg(fi, FLOW_ST_ACTIVE);
		break;
	case FLOW_EV_GONE:
		if (leg == rc->guardian) {
			rc->guardian = NULL;
			adult_left_onenter(fi, FLOW_ST_ADULT_LEFT);
			break;
		}
		lost(rc, leg);
		break;
	}
}

static void ending_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct relay_call *rc = fi->priv;
	bool any = false;

	(void)prev;
	for (unsigned i = 0; i < rc->n_legs; i++) {
		struct flow_leg *leg = &rc->legs[i];

		if (!flow_live(leg))
			continue;
		any = true;
		if (leg->answered) {
			leg->goodbye_id = flow_prompt(rc, leg, "call_ended");
			if (leg->goodbye_id > 0)
				continue;
		}
		flow_hang_up(leg);
	}
	if (!any)
		flow_kick(rc); /* nothing to wait for: the kick ends it, outside onenter */
}

static bool any_live(const struct relay_call *rc)
{
	for (unsigned i = 0; i < rc->n_legs; i++)
		if (flow_live(&rc->legs[i]))
			return true;
	return false;
}

static void ending_action(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct relay_call *rc = fi->priv;

	(void)data;
	if (event == FLOW_EV_GONE && !any_live(rc))
		osmo_fsm_inst_term(fi, OSMO_FSM_TERM_REGULAR, NULL);
}

static int flow_timer_cb(struct osmo_fsm_inst *fi)
{
	struct relay_call *rc = fi->priv;
	char why[256];

	switch (fi->state) {
	case FLOW_ST_MENU:
		flow_end(rc, "the caller chose nobody from the menu in time");
		return 0;
	case FLOW_ST_GUARDIAN:
		/* Hung up here; its GONE dials the next guardian. */
		flow_evf(rc, rc->guardian, "fault", "%s did not answer in time",
			 rc->guardian ? rc->guardian->p->name : "the guardian");
		flow_hang_up(rc->guardian);
		return 0;
	case FLOW_ST_CALLEE:
	case FLOW_ST_CALLER: {
		struct flow_leg *leg =
		    fi->state == FLOW_ST_CALLEE ? rc->callee_leg : rc->caller_leg;

		snprintf(why, sizeof(why), "%s did not answer in time",
			 leg ? leg->p->name : "the party called");
		flow_end(rc, why);
		return 0;
	}
	case FLOW_ST_ADULT_LEFT:
		flow_end(rc, "the parent or guardian left and no adult rejoined in time");
		return 0;
	case FLOW_ST_ENDING:
		/* Hang-ups the modems never confirmed: the call is over for the relay. */
		for (unsigned i = 0; i < rc->n_legs; i++)
			if (flow_live(&rc->legs[i])) {
				flow_hang_up(&rc->legs[i]);
				flow_evf(rc, &rc->legs[i], "left", "%s: hang-up not confirmed",
					 rc->legs[i].p->name);
				rc->legs[i].phase = LEG_GONE;
			}
		return 1;
	}
	return 0;
}

/* Every state takes both events: legs answer and go whenever they like. */
#define FLOW_EVENTS (S(FLOW_EV_NOTICE_DONE) | S(FLOW_EV_GONE))

static const struct osmo_fsm_state flow_states[] = {
    [FLOW_ST_INIT] =
	{
	    .name = "INIT",
	    .out_state_mask =
		S(FLOW_ST_MENU) | S(FLOW_ST_GUARDIAN) | S(FLOW_ST_CALLEE) | S(FLOW_ST_ENDING),
	},
    [FLOW_ST_MENU] =
	{
	    .name = "MENU",
	    .in_event_mask = FLOW_EVENTS | S(FLOW_EV_DIGIT),
	    .out_state_mask = S(FLOW_ST_GUARDIAN) | S(FLOW_ST_CALLEE) | S(FLOW_ST_ENDING),
	    .action = menu_action,
	},
    [FLOW_ST_GUARDIAN] =
	{
	    .name = "GUARDIAN",
	    .in_event_mask = FLOW_EVENTS,
	    .out_state_mask = S(FLOW_ST_GUARDIAN) | S(FLOW_ST_CALLEE) | S(FLOW_ST_ENDING),
	    .onenter = guardian_onenter,
	    .action = guardian_action,
	},
    [FLOW_ST_CALLEE] =
	{
	    .name = "CALLEE",
	    .in_event_mask = FLOW_EVENTS,
	    .out_state_mask = S(FLOW_ST_CALLER) | S(FLOW_ST_ACTIVE) | S(FLOW_ST_ENDING),
	    .onenter = callee_onenter,
	    .action = joining_action,
	},
    [FLOW_ST_CALLER] =
	{
	    .name = "CALLER",
	    .in_event_mask = FLOW_EVENTS,
	    .out_state_mask = S(FLOW_ST_ACTIVE) | S(FLOW_ST_ENDING),
	    .onenter = caller_onenter,
	    .action = joining_action,
	},
    [FLOW_ST_ACTIVE] =
	{
	    .name = "ACTIVE",
	    .in_event_mask = FLOW_EVENTS,
	    .out_state_mask = S(FLOW_ST_ADULT_LEFT) | S(FLOW_ST_ENDING),
	    .action = active_action,
	},
    [FLOW_ST_ADULT_LEFT] =
	{
	    .name = "ADULT_LEFT",
	    .in_event_mask = FLOW_EVENTS,
	    .out_state_mask = S(FLOW_ST_ACTIVE) | S(FLOW_ST_ENDING),
	    .onenter = adult_left_onenter,
	    .action = adult_left_action,
	},
    [FLOW_ST_ENDING] =
	{
	    .name = "ENDING",
	    .in_event_mask = FLOW_EVENTS,
	    .out_state_mask = 0,
	    .onenter = ending_onenter,
	    .action = ending_action,
	},
};

/* ---- The end: recording, record, summary ---- */

static void summary(struct relay_call *rc)
{
	char parties[512] = "", dur[64];
	size_t len = 0;
	int64_t secs = rc->connected_at ? (store_now_ms() - rc->connected_at) / 1000 : 0;

	for (unsigned i = 0; i < rc->n_legs; i++) {
		const struct flow_leg *leg = &rc->legs[i];

		if (!leg->answered)
			continue;
		len += (size_t)snprintf(
		    parties + len, len < sizeof(parties) ? sizeof(parties) - len : 0, "%s%s (%s)",
		    len ? ", " : "", leg->p->name, policy_call_role_name(leg->p->role));
		if (len >= sizeof(parties))
			len = sizeof(parties) - 1;
	}
	if (rc->connected_at)
		snprintf(dur, sizeof(dur), "%lld min %02lld s", (long long)(secs / 60),
			 (long long)(secs % 60));
	else
		snprintf(dur, sizeof(dur), "not connected");
	for (unsigned i = 0; i < rc->n_overseers; i++)
		text(rc, &rc->overseers[i], "call-summary",
		     "Call #%lld%s%s%s: %s called %s; on the call: %s; %s; ended: %s. Recorded; "
		     "the records officer can play it.",
		     (long long)rc->row, rc->team ? " (" : "", rc->team ? rc->team : "",
		     rc->team ? ")" : "", rc->caller.name, rc->callee.name,
		     parties[0] ? parties : "nobody answered", dur,
		     rc->outcome ? rc->outcome : "over");
}

static void flow_cleanup(struct osmo_fsm_inst *fi, enum osmo_fsm_term_cause cause)
{
	struct relay_call *rc = fi->priv;

	(void)cause;
	osmo_timer_del(&rc->kick);
	if (rc->rec) {
		struct recording *r = rc->rec;

		rc->rec = NULL;
		daemon_call_recording_finish(rc->d, rc->row, r);
	}
	flow_ev(rc, NULL, "end", rc->outcome ? rc->outcome : "over");
	if (!rc->d->stopping)
		summary(rc);
	llist_del(&rc->list);
	/* rc is the instance's child: freed with it. */
}

static struct osmo_fsm flow_fsm = {
    .name = "relay_call",
    .states = flow_states,
    .num_states = ARRAY_SIZE(flow_states),
    .event_names = flow_event_names,
    .timer_cb = flow_timer_cb,
    .cleanup = flow_cleanup,
    .log_subsys = DRELAY,
};

static __attribute__((constructor)) void flow_fsm_register(void)
{
	OSMO_ASSERT(osmo_fsm_register(&flow_fsm) == 0);
}

/* ---- From the driver, the mixer, the kick ---- */

static void on_kick(void *data)
{
	struct relay_call *rc = data;

	if (rc->fi->state == FLOW_ST_ENDING && !any_live(rc)) {
		osmo_fsm_inst_term(rc->fi, OSMO_FSM_TERM_REGULAR, NULL);
		return;
	}
	if (rc->digit) {
		char digit = rc->digit;

		rc->digit = '\0';
		flow_kick(rc);
		if (rc->fi->state == FLOW_ST_MENU)
			osmo_fsm_inst_dispatch(rc->fi, FLOW_EV_DIGIT, &digit);
		return;
	}
	/* One mark at a time: the FSM may end (and free) the call on any of them. */
	for (unsigned i = 0; i < rc->n_legs; i++) {
		struct flow_leg *leg = &rc->legs[i];

		if (leg->goodbye_pending) {
			leg->goodbye_pending = false;
			flow_hang_up(leg);
		}
		if (leg->notice_pending) {
			leg->notice_pending = false;
			if (leg->phase == LEG_NOTICE) {
				flow_ev(rc, leg, "notice", leg->p->name);
				flow_kick(rc);
				osmo_fsm_inst_dispatch(rc->fi, FLOW_EV_NOTICE_DONE, leg);
				return;
			}
		}
		if (leg->gone_pending) {
			leg->gone_pending = false;
			if (leg->phase != LEG_GONE) {
				leg->phase = LEG_GONE;
				voice_mixer_set_state(rc->mix, leg->mix, VOICE_LEG_GONE);
				flow_evf(rc, leg, "left", "%s: %s", leg->p->name,
					 modem_call_end_name(leg->end));
			}
			flow_kick(rc);
			osmo_fsm_inst_dispatch(rc->fi, FLOW_EV_GONE, leg);
			return;
		}
	}
}

static void on_prompt_done(struct voice_mixer *m, unsigned mix, int id, void *data)
{
	struct relay_call *rc = data;

	(void)m;
	for (unsigned i = 0; i < rc->n_legs; i++) {
		struct flow_leg *leg = &rc->legs[i];

		if (leg->mix != mix)
			continue;
		if (id == leg->notice_id && leg->phase == LEG_NOTICE)
			leg->notice_pending = true;
		else if (id == leg->goodbye_id)
			leg->goodbye_pending = true;
		else
			continue;
		flow_kick(rc);
	}
}

static void on_tap(struct voice_mixer *m, const int16_t *const *ch, unsigned n_ch, void *data)
{
	struct relay_call *rc = data;

	(void)m;
	(void)n_ch;
	if (rc->rec && recording_write(rc->rec, ch, VOICE_FRAME) < 0) {
		struct recording *r = rc->rec;

		rc->rec = NULL;
		flow_ev(rc, NULL, "fault", "the recording stopped: the disk refused a write");
		daemon_call_recording_finish(rc->d, rc->row, r);
	}
}

static const struct voice_mixer_events mixer_events = {
    .on_prompt_done = on_prompt_done,
    .on_tap = on_tap,
};

static struct flow_leg *leg_of(struct modem *m, uint32_t call_id, struct relay_call **out)
{
	struct relay_call *rc;

	llist_for_each_entry (rc, &flows, list)
		for (unsigned i = 0; i < rc->n_legs; i++) {
			struct flow_leg *leg = &rc->legs[i];

			if (leg->dm->modem == m && leg->phase != LEG_GONE &&
			    (!leg->have_id || leg->call_id == call_id)) {
				*out = rc;
				return leg;
			}
		}
	return NULL;
}

/* Answered: the notice, then (for those waiting for others) that they are connected. */
/* Say `text` (names: spoken at run time) to one leg; the prompt id, or -1 (recorded). */
int flow_say(struct relay_call *rc, struct flow_leg *leg, const char *text)
{
	char sha[VOICE_PROMPT_SHA256_HEX];
	int16_t *samples;
	size_t n;
	int rc_speak = voice_speak(rc, text, &samples, &n, sha), pid;

	if (rc_speak < 0) {
		flow_evf(rc, leg, "fault", "\"%s\" could not be spoken: %s", text,
			 strerror(-rc_speak));
		return -1;
	}
	pid = voice_mixer_prompt(rc->mix, leg->mix, samples, n);
	talloc_free(samples);
	if (pid < 0) {
		flow_evf(rc, leg, "fault", "\"%s\" not queued: %s", text, strerror(-pid));
		return -1;
	}
	flow_evf(rc, leg, "prompt", "spoken %s %s", sha, text);
	return pid;
}

/* Who is on the call, said to a leg after its notice: names are not prompts. */
static int attribution(struct relay_call *rc, struct flow_leg *leg)
{
	const char *g = rc->guardian && rc->guardian != leg ? rc->guardian->p->name : NULL;
	char *text;
	int id;

	switch (leg->p->role) {
	case POLICY_LEG_GUARDIAN:
		text = talloc_asprintf(rc, "%s is calling about %s. Please hold.", rc->caller.name,
				       rc->callee.name);
		break;
	case POLICY_LEG_CALLEE:
		text = g ? talloc_asprintf(rc, "%s is calling you, with %s on the line.",
					   rc->caller.name, g)
			 : talloc_asprintf(rc, "%s is calling you.", rc->caller.name);
		break;
	default:
		text = g ? talloc_asprintf(rc, "%s and %s are on the line.", rc->callee.name, g)
			 : talloc_asprintf(rc, "%s is on the line.", rc->callee.name);
		break;
	}
	id = text ? flow_say(rc, leg, text) : -1;
	talloc_free(text);
	return id;
}

/* Answered: the notice, then who is calling. The leg joins when both have played. */
static void answered(struct relay_call *rc, struct flow_leg *leg)
{
	int id;

	leg->answered = true;
	leg->phase = LEG_NOTICE;
	flow_ev(rc, leg, "answer", leg->p->name);
	if (!rc->rec)
		daemon_call_recording_open(rc->d, rc, rc->row, 1 + rc->n_legs_max, &rc->rec);
	leg->notice_id = flow_prompt(rc, leg, "recording_notice");
	if (leg->notice_id <= 0) {
		/* No notice could play: nobody may hear this leg. */
		flow_ev(rc, leg, "fault", "the recording notice could not play: hung up");
		flow_hang_up(leg);
		return;
	}
	if (rc->incoming && leg == rc->caller_leg) {
		/* A known caller: the menu, said after the notice; the digit decides. */
		flow_menu_say(rc);
		return;
	}
	/* Without the names the call still goes ahead (the texts named everyone). */
	id = attribution(rc, leg);
	if (id > 0)
		leg->notice_id = id;
}

bool daemon_flow_on_call(struct modem *m, const struct modem_call_info *ci)
{
	struct relay_call *rc;
	struct flow_leg *leg = leg_of(m, ci->id, &rc);

	if (!leg)
		return false;
	if (!leg->have_id) { /* reported from inside modem_dial() */
		leg->call_id = ci->id;
		leg->have_id = true;
	}
	switch (ci->state) {
	case MODEM_CALL_ALERTING:
		if (!leg->alerted) {
			leg->alerted = true;
			flow_ev(rc, leg, "alert", leg->p->name);
		}
		break;
	case MODEM_CALL_ACTIVE:
		if (!leg->answered)
			answered(rc, leg);
		break;
	case MODEM_CALL_RELEASED:
		leg->end = ci->end;
		leg->gone_pending = true;
		flow_kick(rc);
		break;
	default:
		break;
	}
	return true;
}

bool daemon_flow_on_audio(struct modem *m, const int16_t *s, unsigned n)
{
	struct relay_call *rc;
	int16_t out[VOICE_FRAME];

	llist_for_each_entry (rc, &flows, list)
		for (unsigned i = 0; i < rc->n_legs; i++) {
			struct flow_leg *leg = &rc->legs[i];

			if (leg->dm->modem != m || !leg->answered || leg->phase == LEG_GONE)
				continue;
			if (n == VOICE_FRAME && voice_mixer_put(rc->mix, leg->mix, s, n) == 0 &&
			    voice_mixer_get(rc->mix, leg->mix, out) == 0)
				modem_audio_write(m, out, VOICE_FRAME);
			/* The menu's digit may be in the audio only. (The mixer may have
			 * ended the call above: rc is still alive, the kick ends it.) */
			if (rc->dtmf && leg == rc->caller_leg && rc->fi->state == FLOW_ST_MENU)
				voice_dtmf_audio(rc->dtmf, store_now_ms(), s, n);
			return true;
		}
	return false;
}

/* ---- Placing ---- */

static void copy_party(void *ctx, struct flow_party *to, const struct router_call_party *from)
{
	to->person_id = from->person_id;
	to->number = talloc_strdup(ctx, from->number ? from->number : "");
	to->name = talloc_strdup(ctx, from->name ? from->name : "");
	to->role = from->role;
	to->side = from->side;
}

/* A call's FSM instance and its state (the instance's child, freed with it), on the
 * list of calls; NULL when memory ran out. */
static struct relay_call *flow_alloc(struct chaperoned *d, int64_t call_row)
{
	struct osmo_fsm_inst *fi;
	struct relay_call *rc;
	char name[32];

	snprintf(name, sizeof(name), "call-%lld", (long long)call_row);
	fi = osmo_fsm_inst_alloc(&flow_fsm, d->ctx, NULL, LOGL_INFO, name);
	rc = fi ? talloc_zero(fi, struct relay_call) : NULL;
	if (!rc) {
		LOGP(DRELAY, LOGL_ERROR, "call %lld: out of memory\n", (long long)call_row);
		if (fi)
			osmo_fsm_inst_free(fi);
		return NULL;
	}
	fi->priv = rc;
	rc->fi = fi;
	rc->d = d;
	rc->row = call_row;
	osmo_timer_setup(&rc->kick, on_kick, rc);
	llist_add_tail(&rc->list, &flows);
	return rc;
}

void daemon_flow_place(struct chaperoned *d, const struct router_call_order *o)
{
	struct relay_call *rc = flow_alloc(d, o->call_id);
	unsigned n_g = o->n_guardians, need;

	if (!rc)
		return;
	rc->relay = talloc_strdup(rc, o->relay);
	rc->team = o->team ? talloc_strdup(rc, o->team) : NULL;
	rc->guardian_required = o->guardian_required;
	rc->crisis = o->crisis;
	copy_party(rc, &rc->caller, &o->caller);
	copy_party(rc, &rc->callee, &o->callee);
	/* Channels are legs: the callee and the caller, the rest for guardians. */
	if (n_g > FLOW_LEGS_MAX - 2)
		n_g = FLOW_LEGS_MAX - 2;
	rc->guardians = talloc_zero_array(rc, struct flow_party, n_g + 1);
	for (unsigned i = 0; i < n_g; i++)
		copy_party(rc, &rc->guardians[i], &o->guardians[i]);
	rc->n_guardians = n_g;
	rc->overseers = talloc_zero_array(rc, struct flow_party, o->n_overseers + 1);
	for (unsigned i = 0; i < o->n_overseers; i++)
		copy_party(rc, &rc->overseers[i], &o->overseers[i]);
	rc->n_overseers = o->n_overseers;
	rc->n_legs_max = n_g + 2;
	rc->mix = voice_mixer_alloc(rc, rc->n_legs_max, &mixer_events, rc);
	/* The line the parties know goes to whoever is dialled first. */
	need = n_g ? 3 : 2;
	for (unsigned i = n_g ? 0 : 1; i < 3; i++)
		rc->line[i] = flow_take_line(rc, rc->relay);
	if (!rc->mix || !rc->line[1] || !rc->line[2] || (n_g && !rc->line[0])) {
		char why[160];

		snprintf(why, sizeof(why),
			 "not placed: the relay's lines for calls became busy (%u needed)", need);
		flow_end(rc, why);
		return;
	}
	LOGPFSML(rc->fi, LOGL_NOTICE, "%s calls %s: %u guardian(s) to dial first\n",
		 rc->caller.name, rc->callee.name, n_g);
	flow_state_chg(rc->fi, n_g ? FLOW_ST_GUARDIAN : FLOW_ST_CALLEE);
}

bool daemon_flow_on_dtmf(struct modem *m, uint32_t call_id, char digit)
{
	struct relay_call *rc;
	struct flow_leg *leg = leg_of(m, call_id, &rc);

	if (!leg)
		return false;
	if (rc->dtmf && leg == rc->caller_leg)
		voice_dtmf_modem(rc->dtmf, store_now_ms(), digit);
	return true;
}

static void on_digit(struct voice_dtmf *dtmf, char digit, enum voice_dtmf_source src, void *data)
{
	struct relay_call *rc = data;

	(void)dtmf;
	(void)src;
	if (!rc->digit) { /* one at a time: a digit pressed while one waits is dropped */
		rc->digit = digit;
		flow_kick(rc);
	}
}

bool daemon_flow_incoming(struct chaperoned *d, struct daemon_modem *dm, uint32_t call_id,
			  int64_t call_row, int64_t leg_row, const struct dir_person *caller,
			  const struct dir_relay *relay)
{
	struct relay_call *rc = flow_alloc(d, call_row);
	struct flow_leg *leg;
	int mix;

	if (!rc)
		return false; /* declined by the caller of this */
	rc->incoming = true;
	rc->relay = talloc_strdup(rc, relay->number);
	rc->caller.person_id = caller->id;
	rc->caller.number = talloc_strdup(rc, caller->phone ? caller->phone : "");
	rc->caller.name = talloc_strdup(rc, caller->display);
	rc->caller.role = POLICY_LEG_CALLER;
	rc->callee.name = talloc_strdup(rc, "nobody yet");
	rc->callee.number = talloc_strdup(rc, "");
	rc->n_legs_max = FLOW_LEGS_MAX;
	rc->mix = voice_mixer_alloc(rc, rc->n_legs_max, &mixer_events, rc);
	rc->dtmf = voice_dtmf_alloc(rc, 0, on_digit, rc);
	mix = rc->mix ? voice_mixer_add_leg(rc->mix) : -1;
	if (!rc->dtmf || mix != 1 || flow_menu_build(rc, caller, relay) < 0) {
		rc->outcome = talloc_strdup(rc, "out of memory: declined");
		modem_hangup(dm->modem, call_id);
		osmo_fsm_inst_term(rc->fi, OSMO_FSM_TERM_ERROR, NULL);
		return true;
	}
	/* The caller's leg is the one daemon_calls.c recorded when it rang: channel 1. */
	leg = &rc->legs[rc->n_legs++];
	*leg = (struct flow_leg){.rc = rc,
				 .p = &rc->caller,
				 .dm = dm,
				 .call_id = call_id,
				 .have_id = true,
				 .mix = (unsigned)mix,
				 .row = leg_row,
				 .phase = LEG_DIALING};
	rc->caller_leg = leg;
	rc->line[2] = dm;
	LOGPFSML(rc->fi, LOGL_NOTICE, "%s called %s: a menu of %u\n", rc->caller.name, rc->relay,
		 rc->n_menu);
	flow_state_chg(rc->fi, FLOW_ST_MENU);
	if (modem_answer(dm->modem, call_id) < 0) {
		flow_end(rc, "the call could not be answered");
		return true;
	}
	return true;
}

void daemon_flow_stop(struct chaperoned *d)
{
	struct relay_call *rc, *tmp;

	(void)d;
	llist_for_each_entry_safe (rc, tmp, &flows, list) {
		for (unsigned i = 0; i < rc->n_legs; i++)
			flow_hang_up(&rc->legs[i]);
		if (!rc->outcome)
			rc->outcome = talloc_strdup(rc, "relay stopping");
		osmo_fsm_inst_term(rc->fi, OSMO_FSM_TERM_REQUEST, NULL);
	}
}

static const char *const phase_names[] = {
    [LEG_DIALING] = "ringing", [LEG_NOTICE] = "hearing the notice",
    [LEG_BRIDGED] = "on",      [LEG_ISOLATED] = "out of the bridge",
    [LEG_GONE] = "gone",
};

void daemon_flow_show(struct chaperoned *d, struct vty *vty)
{
	unsigned total, free_lines = daemon_flow_lines(d, &total);
	struct relay_call *rc;

	vty_out(vty, "lines that carry calls: %u, free: %u; relayed calls now: %u%s", total,
		free_lines, llist_count(&flows), VTY_NEWLINE);
	llist_for_each_entry (rc, &flows, list) {
		vty_out(vty, "call #%lld %s: %s calls %s%s%s", (long long)rc->row,
			osmo_fsm_inst_state_name(rc->fi), rc->caller.name, rc->callee.name,
			rc->crisis ? " (crisis)" : "", VTY_NEWLINE);
		for (unsigned i = 0; i < rc->n_legs; i++) {
			const struct flow_leg *leg = &rc->legs[i];

			vty_out(vty, "  leg %u %s (%s) on %s: %s%s", leg->mix, leg->p->name,
				policy_call_role_name(leg->p->role), leg->dm->name,
				phase_names[leg->phase], VTY_NEWLINE);
		}
	}
}
