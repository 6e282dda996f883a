/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Internal state of one modem and the pool, shared by modem_fsm.c, modem_script.c,
 * modem_parse.c, modem_receive.c, modem_send.c and modem_pool.c. Not for users of the
 * driver: they have modem.h. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/timer.h>

#include "modem/driver/at_channel.h"
#include "modem/driver/call_report.h"
#include "modem/driver/modem.h"
#include "modem/sms/sms_tpdu.h"

struct osmo_fsm_inst;

/* FSM events. The FSM's states are enum modem_state, numbered alike. */
enum modem_fsm_event {
	MODEM_EV_TIMER,	      /* the modem's own timer (ms resolution, see modem_fsm.c) */
	MODEM_EV_SCRIPT_DONE, /* the state's command script finished */
	MODEM_EV_FAILED,      /* a mandatory command failed, or too many errors in a row */
	MODEM_EV_HANG,	      /* a command got no answer */
	MODEM_EV_PORT_CLOSED, /* the port vanished (allstate) */
	MODEM_EV_STOP,	      /* the pool is shutting down (allstate) */
};

/* Most parts of one message (TS 23.040: the part counter is one octet). */
#define SMS_MAX_PARTS_DRIVER 255

/* A message waiting in a modem's send queue. */
struct modem_part {
	uint8_t pdu[SMS_PDU_MAX];
	size_t len;
	int tpdu_len;
	unsigned no;	    /* its place in the whole message, from 0: callbacks report it */
	bool armed;	    /* on_part_submit recorded it; cleared by each result */
	char recipient[24]; /* TP-DA digits, for matching status reports */
};

struct modem_msg {
	struct llist_head list;
	uint64_t msg_id;
	unsigned n_parts;
	unsigned next_part; /* the part to submit next */
	unsigned attempts;  /* failed transient attempts of next_part */
	bool refused;	    /* next_part got a permanent error once: a second is believed */
	unsigned lane;	    /* enum modem_lane */
	uint64_t group;	    /* messages of one group take turns with other groups' */
	struct modem_part *parts;
};

/* A submitted part awaiting its status report, by TP-MR. */
struct modem_mr_entry {
	bool used;
	uint8_t mr;
	bool reported; /* a final status came (later copies are re-deliveries) */
	uint64_t msg_id;
	unsigned part;
	char recipient[24];
	uint64_t seq; /* age, to evict the oldest when the table is full */
};
#define MODEM_MR_TABLE 64

/* A received PDU handed up and not yet forgotten by the modem. */
enum modem_rx_state {
	MODEM_RXS_OUTSTANDING, /* handed up, upper layer has not committed */
	MODEM_RXS_DELETING,    /* committed, +CMGD/+CNMA not yet confirmed */
};

struct modem_rx_entry {
	struct llist_head list;
	uint64_t token;
	int storage_index; /* -1: direct (+CMT/+CDS) */
	unsigned session;  /* m->session when handed up: a direct one dies with it */
	enum modem_rx_state state;
	bool cmgd_inflight; /* a +CMGD for it is with the channel */
};

struct modem_pool {
	struct llist_head modems;
	unsigned count;
	struct modem_events ev;
	void *ev_data;
};

struct modem {
	struct llist_head list;
	struct modem_pool *pool;
	struct modem_config cfg; /* strings owned by the modem */
	const struct modem_profile *profile;
	bool profile_fixed; /* configured, not chosen from +CGMM */

	struct osmo_fsm_inst *fi;
	struct at_channel *ch;
	unsigned session; /* bumped each time a channel is opened */
	unsigned gen;	  /* bumped on every state entry: stale script answers are ignored */
	bool stopping;

	/* The state's command script (modem_script.c). */
	const struct modem_step *script;
	unsigned script_len, script_pos;
	bool script_running;
	bool pin_sent;
	bool setup_sweep; /* SMS_SETUP waits for its sweep */
	/* SMS_SETUP first empties the storages other than the profile's, where messages may
	 * have landed under another configuration or after a power cycle (modem_fsm.c). */
	char drain[4][4];
	unsigned drain_n, drain_pos;
	bool draining;
	unsigned init_pos; /* next profile init string */

	/* Timers: the FSM's (dispatches MODEM_EV_TIMER) and the send retry. */
	struct osmo_timer_list timer;
	struct osmo_timer_list send_timer;

	/* Recovery. */
	unsigned backoff_ms;
	/* Why the port could not be opened last ("" once it opens): logged as an ERROR when
	 * it changes, not at every attempt of the backoff. port_busy: another process holds
	 * it (serial_lock.h). */
	char port_error[256];
	bool port_busy;
	unsigned errors_in_row;
	bool hung;
	enum { REC_CLOSE, REC_CFUN, REC_CFUN_DONE, REC_REOPEN } rec_step;
	bool cfun_tried;
	bool pin_rejected;

	/* Identity and health (modem_info). */
	char manufacturer[64], model[64], revision[64], imei[32], imsi[32];
	char sim_status[32];
	int creg, cereg, rssi, ber;
	int storage_used, storage_total;
	char cnmi_set[32]; /* the +CNMI arguments we applied */
	char cnmi_seen[32];
	unsigned recoveries;
	uint64_t rx_count, tx_count, tx_failed;
	uint64_t stray_results; /* +CMGS answered OK without its +CMGS: <mr> line */

	/* Receive (modem_receive.c). */
	struct llist_head rx_entries;
	uint64_t next_token;
	bool sweeping, sweep_again;

	/* Send (modem_send.c). */
	struct llist_head lanes[MODEM_LANES]; /* struct modem_msg, by enum modem_lane */
	unsigned queue_len;
	bool send_busy;		    /* a +CMGS (or +CMMS) is with the channel */
	bool send_paused;	    /* modem_send_pause(): no new part goes */
	struct modem_msg *inflight; /* whose part is with the modem while send_busy */
	bool cmms_on;
	struct modem_mr_entry mrs[MODEM_MR_TABLE];
	/* Carrier pacing (modem_pacing.c): submits per wall-clock hour over the last 24. */
	struct modem_pacing pacing;
	uint32_t pace_count[24];
	int64_t pace_hour[24];
	int64_t pace_last_mono;
	bool pace_near_told, pace_full_told;
	bool pace_waiting; /* send_timer runs for the pacing, not a retry */
	unsigned pace_told_used;
	struct osmo_timer_list pace_timer; /* tells on_pacing from the loop */
	/* A part's result waiting for the next part's PDU to be written (pdu_written_cb). */
	bool sent_pending;
	uint64_t pending_id;
	unsigned pending_no;
	uint8_t pending_mr;
	uint64_t mr_seq;

	/* Calls (modem_call.c). */
	struct llist_head calls; /* struct modem_call */
	uint64_t call_seq;	 /* calls created so far: a +CLCC answer judges older ones */
	uint64_t clcc_seq;	 /* call_seq when the +CLCC in flight was sent */
	bool clcc_inflight, clcc_again, clcc_broken;
	struct osmo_timer_list clcc_timer;
	enum call_end_hint end_hint; /* the last end line, for the call the next +CLCC misses */
	uint64_t calls_in, calls_out, audio_strikes;
	bool voice_reset_due;	 /* an audio switch-on failed: reset once idle */
	bool voice_reset;	 /* the recovery under way is that reset */
	unsigned voice_resets;	 /* resets for audio since audio last came up at once */
	bool audio_ok;		 /* the audio switch-on of the current call succeeded */
	unsigned audio_attempts; /* of the current call's switch-on */
	struct osmo_timer_list audio_timer;
	/* Call audio (modem_audio.c). */
	struct modem_audio *audio;
	struct modem_audio_stats audio_total; /* of the calls before this one */
};

/* One call (modem_call.c); its osmo_fsm instance owns it. */
struct modem_call {
	struct llist_head list;
	struct modem *m;
	struct osmo_fsm_inst *fi;
	uint32_t id;
	uint64_t seq; /* m->call_seq at creation */
	int idx;      /* the modem's index, 0 until a report gives it */
	bool incoming;
	char number[CALL_NUMBER_MAX];
	enum modem_call_end end;   /* preset by us (hang-up, timers), else from the reports */
	bool listed;		   /* in the +CLCC answer being read */
	bool dialing_cmd;	   /* its ATD has not answered yet */
	struct timespec active_at; /* when it became active */
};

/* One command of a script: `parse` sees the response (may be NULL); a mandatory command
 * that fails takes the modem to recovery, an optional one is logged and skipped. */
struct modem_step {
	const char *cmd; /* NULL: built by `build` */
	const char *expect;
	bool mandatory;
	void (*build)(struct modem *m, char *buf, size_t cap);
	void (*parse)(struct modem *m, const struct at_response *resp);
};

/* modem_fsm.c */
int modem_fsm_start(struct modem *m);
void modem_fsm_stop(struct modem *m);
/* A command of the receive or send path got no answer: the modem hangs. */
void modem_cmd_timeout(struct modem *m);
bool modem_ready(const struct modem *m);
/* The receive side finished a sweep (SMS_SETUP waits for the first). */
void modem_fsm_sweep_done(struct modem *m);
/* The receive side deleted a stored message (a drain waits for the last). */
void modem_fsm_stored_deleted(struct modem *m);
/* Run the health check now (after a late +CNMA: +CNMI is probably reset). */
void modem_fsm_health_soon(struct modem *m);

/* modem_script.c */
/* Run a state's script from its first step: MODEM_EV_SCRIPT_DONE when every step has
 * been answered, MODEM_EV_FAILED when a mandatory one fails, modem_cmd_timeout() when
 * one gets no answer. One at a time: a state starts one only when the last is done
 * (entering a state makes the answers of the previous state's script stale). */
void modem_script_run(struct modem *m, const struct modem_step *steps, unsigned n);

/* modem_parse.c: the parse and build functions of the states' script steps */
/* Find "<prefix> ..." among the intermediate lines. */
const char *modem_resp_line(const struct at_response *resp, const char *prefix);
void modem_parse_cgmi(struct modem *m, const struct at_response *r);
void modem_parse_cgmm(struct modem *m, const struct at_response *r);
void modem_parse_cgmr(struct modem *m, const struct at_response *r);
void modem_parse_cgsn(struct modem *m, const struct at_response *r);
void modem_parse_cimi(struct modem *m, const struct at_response *r);
void modem_parse_cpin(struct modem *m, const struct at_response *r);
void modem_build_cpin(struct modem *m, char *buf, size_t cap);
void modem_parse_cpin_set(struct modem *m, const struct at_response *r);
void modem_parse_creg(struct modem *m, const struct at_response *r);
void modem_parse_cereg(struct modem *m, const struct at_response *r);
/* Registered, home or roaming, by +CREG or +CEREG. */
bool modem_registered(const struct modem *m);
void modem_parse_csq(struct modem *m, const struct at_response *r);
void modem_parse_cpms(struct modem *m, const struct at_response *r);
/* The storages to drain before set-up (m->drain), from AT+CPMS=?. */
void modem_parse_cpms_list(struct modem *m, const struct at_response *r);
void modem_build_cpms_drain(struct modem *m, char *buf, size_t cap);
void modem_build_cpms(struct modem *m, char *buf, size_t cap);
void modem_build_cnmi(struct modem *m, char *buf, size_t cap);
void modem_parse_cnmi_query(struct modem *m, const struct at_response *r);
/* Does the +CNMI the modem reports match what we set, in the fields we set? */
bool modem_cnmi_matches(const char *seen, const char *set);
/* The n-th set-up command: the profile's init, then the call set-up. NULL past them. */
const char *modem_init_cmd(const struct modem *m, unsigned pos);
void modem_build_init(struct modem *m, char *buf, size_t cap);
void modem_parse_init(struct modem *m, const struct at_response *r);

/* modem_receive.c */
void modem_rx_register_urcs(struct modem *m);
/* List the whole storage and hand up what is new. false when it cannot start now. */
bool modem_rx_sweep(struct modem *m);
/* A new channel session: direct (+CMT) entries of the old one are gone for good. */
void modem_rx_new_session(struct modem *m);
unsigned modem_rx_stored_known(const struct modem *m);
void modem_rx_free_all(struct modem *m);

/* modem_pacing.c */
/* 0 when a submit may go now, else how long to wait (rate, or the 24-hour cap). */
unsigned long modem_pacing_wait_ms(struct modem *m);
void modem_pacing_note_submit(struct modem *m);
/* Will the pacing make the next submit wait (a rate, or the cap reached)? */
bool modem_pacing_holds_next(const struct modem *m);
unsigned modem_pacing_used(const struct modem *m);
void modem_pacing_init(struct modem *m);
void modem_pacing_stop(struct modem *m);

/* modem_call.c */
void modem_call_init(struct modem *m);
void modem_call_register_urcs(struct modem *m);
/* The modem is ready: find the calls it has (one may be up from before we came). */
void modem_call_ready(struct modem *m);
/* The modem went down or stops: every call is over (FAILED). */
void modem_calls_lost(struct modem *m);
/* The n-th set-up command for calls (voice init, then the audio switch-on when the
 * profile arms it at set-up), NULL past the last. */
const char *modem_call_init_cmd(const struct modem *m, unsigned n);

/* modem_audio.c */
int modem_audio_open(struct modem *m);
void modem_audio_close(struct modem *m);
void modem_audio_stats(const struct modem *m, struct modem_audio_stats *st);

/* modem_fsm.c */
/* An audio switch-on failed: reset the modem (the profile's reset) once it has no call. */
void modem_fsm_reset_when_idle(struct modem *m);

/* modem_send.c */
void modem_send_init(struct modem *m);
void modem_send_kick(struct modem *m);
void modem_send_free_all(struct modem *m);
bool modem_send_match_report(struct modem *m, const struct sms_status_report *sr);
