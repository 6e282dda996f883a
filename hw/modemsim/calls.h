/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Voice calls of one modem, and the simulated phone at the other end of each.
 *
 * Promises: every state change of a call is announced the way the modem's family does
 * it (27.007 RING/+CLIP/+CCWA/NO CARRIER/BUSY/NO ANSWER, Quectel +QIND "ccinfo", SIMCom
 * VOICE CALL:/MISSED_CALL:/+CLCC lists, Huawei ^ORIG/^CONF/^CONN/^CEND), calls are
 * numbered from 1 with the lowest free id, and every call ends in exactly one place
 * (call_release) so the phone, the audio port and +CEER always agree. Calls go between a
 * modem and a phone; modem-to-modem calls are not simulated. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/timer.h>

#include "modem/sms/sms_tpdu.h"

struct sim_modem;
struct phone;

/* +CLCC <stat> (27.007 §7.18), plus SIMCom's 6 for a released call. */
enum call_stat {
	CALL_ACTIVE = 0,
	CALL_HELD = 1,
	CALL_DIALING = 2,
	CALL_ALERTING = 3,
	CALL_INCOMING = 4,
	CALL_WAITING = 5,
	CALL_RELEASED = 6,
};

/* Why a call ended: +CEER text, Huawei cc_cause, and the line the client sees. */
enum call_end {
	CALL_END_NONE = 0, /* no call has ended since power-on */
	CALL_END_NORMAL,   /* either side hung up */
	CALL_END_BUSY,	   /* the dialled phone is busy */
	CALL_END_NO_ANSWER,
	CALL_END_REJECTED, /* the dialled phone declined */
	CALL_END_RADIO,	   /* the network dropped the call */
};

/* Who ended it: the client's own release gets no NO CARRIER. */
enum call_by {
	CALL_BY_CLIENT,
	CALL_BY_PHONE,
	CALL_BY_NETWORK,
};

struct sim_call {
	struct llist_head list;
	struct sim_modem *m;
	struct phone *phone;
	unsigned id;
	bool mt; /* mobile terminated: the phone called */
	enum call_stat stat;
	bool mpty;	 /* part of a conference (+CHLD=3) */
	bool was_active; /* answered at some point */
	char number[SMS_ADDR_TEXT_MAX];
	uint64_t active_at_ms;
	/* MO: alerting, then no-answer; MT: the caller's ring timeout. */
	struct osmo_timer_list timer;
	/* MT: RING repeats; MO: the phone's auto-answer. */
	struct osmo_timer_list ring_timer;
	unsigned rings_left; /* MO auto-answer: alert intervals until the phone answers */
};

/* One modem's calls and the voice settings that live beyond ATZ. */
struct sim_voice {
	struct llist_head calls; /* struct sim_call, by id */
	unsigned n_calls;
	struct sim_call *colp_call; /* ATD under +COLP=1 waits for this call's outcome */
	bool in_chld; /* +CHLD decides what a waiting call becomes, not call_release() */
	enum call_end last_end;
	/* Audio switches (per family): Quectel's lasts until =0 or a reset, SIMCom's and
	 * Huawei's are for the current call. */
	bool qpcmv;
	uint8_t qpcmv_port;
	bool cpcmreg;
	bool ddsetex;
	bool gps_outport_none; /* Quectel +QGPSCFG="outport": kept in NV, across resets */
	unsigned calls_mo, calls_mt, calls_missed;
};

void calls_init(struct sim_modem *m);
/* The modem powers on or goes away: every call ends without a word to the client (its
 * port is gone), the phones see it end; per-call audio switches go off. */
void calls_power_on(struct sim_modem *m);
void calls_cleanup(struct sim_modem *m);

struct sim_call *call_find(struct sim_modem *m, unsigned id);
struct sim_call *call_with_stat(struct sim_modem *m, enum call_stat stat);
/* The call whose audio the modem carries: the first active one, or NULL. */
struct sim_call *call_active(struct sim_modem *m);

/* ATD: the modem calls `number`. Returns the call, or NULL when no call can be placed
 * (*busy_line true: another call is being set up). */
struct sim_call *call_dial(struct sim_modem *m, const char *number, bool *busy_line);
/* ATA / +CHLD: the call becomes active. */
void call_set_active(struct sim_call *c);
void call_set_stat(struct sim_call *c, enum call_stat stat);
/* The call ends for `why`, ended by `by`; `c` is freed. */
void call_release(struct sim_call *c, enum call_end why, enum call_by by);
/* Everything ends: ATH, +CHUP. */
void calls_release_all(struct sim_modem *m, enum call_end why, enum call_by by);

/* A phone calls the modem. Returns NULL with *err set when it cannot. */
struct sim_call *call_incoming(struct sim_modem *m, struct phone *p, const char **err);
/* The phone answers / declines the call it was dialled with. */
int call_phone_answer(struct phone *p, const char **err);
int call_phone_reject(struct phone *p, const char **err);
/* The phone sends DTMF as signalling: the modem's family URC per digit. */
void call_dtmf_urc(struct sim_modem *m, char digit);

/* +CLCC lines of every call into `buf` ("+CLCC: 1,0,0,0,0,\"+1555...\",145\r\n" each). */
void calls_clcc_lines(struct sim_modem *m, void (*line)(struct sim_modem *, const char *));
/* +CEER text of the last call's end. */
const char *call_end_text(enum call_end why);
/* 145 for an international number, else 129. */
unsigned call_number_type(const char *number);
