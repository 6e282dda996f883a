/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The insides of relayed calls, shared by the files of the call flow (chaperoned.h has
 * what the rest of the daemon calls):
 *   daemon_call_flow.c  the FSM, the legs, the lines, the records of a call
 *   daemon_call_menu.c  a known person calling a relay number: the menu of whom they may
 *                       call, the digit they press, the call rules on their choice
 * Both run on the event loop only. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/tdef.h>
#include <osmocom/core/timer.h>

#include "gateway/daemon/chaperoned.h"
#include "gateway/policy/policy_call.h"
#include "gateway/voice/voice_dtmf.h"
#include "gateway/voice/voice_mixer.h"
#include "storage/recordings/recording.h"

/* Legs of one call, at most: the recording has a channel for each and one for the relay,
 * and its at-rest format holds RECORDING_MAX_CHANNELS. */
#define FLOW_LEGS_MAX (RECORDING_MAX_CHANNELS - 1)

enum flow_state {
	FLOW_ST_INIT, /* allocated: placed (GUARDIAN or CALLEE) or answered (MENU) next */
	FLOW_ST_MENU, /* a known caller answered: the notice, the menu, their digit */
	FLOW_ST_GUARDIAN,
	FLOW_ST_CALLEE,
	FLOW_ST_CALLER,
	FLOW_ST_ACTIVE,
	FLOW_ST_ADULT_LEFT,
	FLOW_ST_ENDING,
};

enum flow_event {
	FLOW_EV_NOTICE_DONE, /* a leg heard its notice (data: the leg) */
	FLOW_EV_GONE,	     /* a leg's call is over, answered or not (data: the leg) */
	FLOW_EV_DIGIT,	     /* the caller pressed a key (data: the char) */
};

extern const struct osmo_tdef_state_timeout flow_timeouts[32];
#define flow_state_chg(fi, st) osmo_tdef_fsm_inst_state_chg(fi, st, flow_timeouts, daemon_tdefs, 5)

struct flow_party {
	int64_t person_id;
	char *number, *name;
	enum policy_call_role role;
	enum policy_call_side side;
};

enum leg_phase {
	LEG_DIALING,  /* dialled, not answered */
	LEG_NOTICE,   /* answered, hearing the notice: hears nobody, heard by nobody */
	LEG_BRIDGED,  /* hears and is heard */
	LEG_ISOLATED, /* out of the bridge (a student whose guardian left) */
	LEG_GONE,
};

struct relay_call;

struct flow_leg {
	struct relay_call *rc;
	const struct flow_party *p;
	struct daemon_modem *dm;
	uint32_t call_id;
	bool have_id; /* modem_dial() has returned the call's id */
	unsigned mix; /* its mixer leg: its channel in the recording */
	int64_t row;  /* call_legs */
	enum leg_phase phase;
	int notice_id;	/* the last prompt of its notice */
	int goodbye_id; /* "this call has ended" */
	bool alerted, answered, hung_up;
	bool notice_pending, gone_pending, goodbye_pending; /* for the kick */
	enum modem_call_end end;
};

struct relay_call {
	struct llist_head list;
	struct chaperoned *d;
	struct osmo_fsm_inst *fi;
	int64_t row;
	char *relay, *team;
	bool guardian_required, crisis;
	struct flow_party caller, callee, *guardians, *overseers;
	unsigned n_guardians, next_guardian, n_overseers;
	/* Reserved lines: the guardians', the callee's, the caller's. */
	struct daemon_modem *line[3];
	struct flow_leg legs[VOICE_LEGS_MAX];
	unsigned n_legs, n_legs_max;
	struct flow_leg *guardian, *callee_leg, *caller_leg;
	struct voice_mixer *mix;
	struct recording *rec;
	int64_t connected_at; /* ms: two people first heard each other (0: never) */
	char *outcome;	      /* why it ended */
	struct osmo_timer_list kick;
	/* A known person's call into the relay number: whom its menu offers, the digits
	 * its caller presses (from the audio and the modem, once each), and the digit
	 * waiting for the kick ('\0': none). */
	bool incoming;
	struct flow_party *menu;
	unsigned n_menu;
	struct voice_dtmf *dtmf;
	char digit;
};
/* The leg of the plan's student, if any. */
struct flow_leg *flow_student_leg(struct relay_call *rc);

/* Records of the call: an event of the leg (NULL: of the call), in its own commit. */
void flow_ev(struct relay_call *rc, const struct flow_leg *leg, const char *kind,
	     const char *detail);
void flow_evf(struct relay_call *rc, const struct flow_leg *leg, const char *kind, const char *fmt,
	      ...) __attribute__((format(printf, 4, 5)));
/* To one leg (NULL: every leg): a built prompt by id, or a line spoken at run time. The
 * mixer's prompt id, or -1 (the fault recorded). */
int flow_prompt(struct relay_call *rc, struct flow_leg *leg, const char *id);
int flow_say(struct relay_call *rc, struct flow_leg *leg, const char *text);
/* Bridge a leg if the call rules allow it with those bridged already (false and a fault
 * recorded if not). */
bool flow_bridge(struct relay_call *rc, struct flow_leg *leg);
/* End the call for `why` (the caller texted if they were not on it). */
void flow_end(struct relay_call *rc, const char *why);
/* A free line that carries calls, the one on `relay` first; NULL when none. */
struct daemon_modem *flow_take_line(struct relay_call *rc, const char *relay);
void flow_kick(struct relay_call *rc);
void flow_hang_up(struct flow_leg *leg);

/* daemon_call_menu.c: the menu a known caller hears (built into rc->menu), said after
 * the notice; and their digit, decided under the call rules. */
int flow_menu_build(struct relay_call *rc, const struct dir_person *caller,
		    const struct dir_relay *relay);
int flow_menu_say(struct relay_call *rc);
void flow_menu_digit(struct relay_call *rc, char digit);
