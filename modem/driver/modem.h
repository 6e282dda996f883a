/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The modem driver: one modem's lifecycle, durable receive and send queue, and the pool
 * of modems a box holds. This is what chaperoned (and `chaperone modem`) use.
 *
 * Promises:
 * - each modem runs an osmo_fsm: opening → probing → sim → registering → sms-setup →
 *   ready, with periodic health checks (+CSQ, registration, +CNMI?) in ready; a hang (no
 *   answer), a vanished port or repeated errors take it to recovering (reopen; AT+CFUN=1,1
 *   where the profile allows), with backoff, and it returns to ready on its own;
 * - nothing the network delivered is dropped: every received PDU (+CMT, +CMGR, +CMGL,
 *   +CDS) is handed up through on_rx, raw even when it does not decode, and the modem is
 *   told it may forget it (+CNMA or +CMGD) only after the upper layer called
 *   modem_rx_committed(); at start-up and after every recovery the SIM is swept (+CMGL=4);
 * - every message queued with modem_send() is submitted once its turn comes, each part
 *   offered to on_part_submit first (the upper layer records it: a crash after that
 *   leaves its fate unknown, never unrecorded); transient +CMS errors are retried with
 *   backoff, permanent ones reported once they come twice; parts of one message go
 *   out back to back (AT+CMMS=2 where the profile supports it); each part's TP-MR is
 *   matched with status reports, reported through on_part_status;
 * - a modem that is down keeps its queue until it recovers;
 * - calls (modem_call.c): each call is an osmo_fsm (incoming: ringing → answering →
 *   active → releasing → released; outgoing: dialing → alerting → active; held), fed by
 *   the family's call lines (call_report.h) with +CLCC as the truth, queried after each
 *   call line and polled while a call exists; a call the modem no longer lists is
 *   released, and on_call hears every change with the reason a call ended;
 * - call audio (modem_audio.c): the modem's audio port opened, flushed and re-aligned
 *   when a call becomes active; 160-sample frames up (modem_audio_write) and down
 *   (on_audio); the uplink clocked by the downlink, silence when the downlink stalls,
 *   at most a few frames queued (the oldest dropped); a failed audio switch-on is a
 *   health strike that resets the modem once it is idle.
 *
 * Everything runs on the caller's osmo_select_main loop; nothing blocks. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/tdef.h>

#include "modem/profiles/modem_profile.h"
#include "modem/sms/sms_tpdu.h"

struct modem;
struct modem_pool;

enum modem_state {
	MODEM_ST_OPENING,
	MODEM_ST_PROBING,
	MODEM_ST_SIM,
	MODEM_ST_REGISTERING,
	MODEM_ST_SMS_SETUP,
	MODEM_ST_READY,
	MODEM_ST_RECOVERING,
	MODEM_ST_STOPPED,
};
const char *modem_state_name(enum modem_state st);

/* Where a received PDU came from, and the handle to acknowledge it with. */
enum modem_rx_kind {
	MODEM_RX_SMS,		/* SMS-DELIVER (+CMT, or read from storage) */
	MODEM_RX_STATUS_REPORT, /* SMS-STATUS-REPORT (+CDS, or from storage) */
};

struct modem_rx {
	enum modem_rx_kind kind;
	const uint8_t *pdu; /* as the modem showed it, SMSC prefix included */
	size_t pdu_len;
	const char *pdu_hex;
	int decode_rc; /* 0, or the enum sms_err of the decode attempt */
	/* Decoded form when decode_rc == 0 (one of the two, by kind). */
	const struct sms_deliver *deliver;
	const struct sms_status_report *report;
	int storage_index; /* slot it was read from, or -1 for direct delivery */
	uint64_t token;	   /* pass to modem_rx_committed() */
};

/* Call states, as on_call reports them. */
enum modem_call_state {
	MODEM_CALL_DIALING,   /* outgoing: dialled, the far end not yet ringing */
	MODEM_CALL_ALERTING,  /* outgoing: the far end rings */
	MODEM_CALL_RINGING,   /* incoming: ringing here (or waiting behind another call) */
	MODEM_CALL_ANSWERING, /* incoming: ATA sent */
	MODEM_CALL_ACTIVE,
	MODEM_CALL_HELD,
	MODEM_CALL_RELEASING, /* hang-up sent */
	MODEM_CALL_RELEASED,  /* over: `end` says why; the call id is not used again */
};
const char *modem_call_state_name(enum modem_call_state st);

/* Why a call ended. */
enum modem_call_end {
	MODEM_CALL_END_NONE,	  /* not ended */
	MODEM_CALL_END_LOCAL,	  /* modem_hangup() */
	MODEM_CALL_END_REMOTE,	  /* the other party hung up, or the network ended it */
	MODEM_CALL_END_BUSY,	  /* outgoing: the far end was busy */
	MODEM_CALL_END_NO_ANSWER, /* outgoing: nobody answered (the network's timer or ours) */
	MODEM_CALL_END_REJECTED,  /* outgoing: the far end declined while it rang */
	MODEM_CALL_END_MISSED,	  /* incoming: stopped ringing before it was answered */
	MODEM_CALL_END_FAILED,	  /* dialling or answering failed; the modem went down */
};
const char *modem_call_end_name(enum modem_call_end e);

struct modem_call_info {
	uint32_t id; /* the driver's, unique per process */
	bool incoming;
	enum modem_call_state state;
	enum modem_call_end end;
	char number[32];      /* the other party as the modem shows it ("" withheld) */
	int idx;	      /* the modem's call index, 0 until known */
	unsigned duration_ms; /* since it became active */
	bool audio;	      /* its audio flows through the audio port */
};

/* Call audio: 8 kHz, 16-bit, mono; one frame is 20 ms. */
#define MODEM_AUDIO_RATE  8000
#define MODEM_AUDIO_FRAME 160

struct modem_audio_stats {
	bool open;	       /* the audio port is open (a call is up) */
	uint64_t frames_in;    /* whole frames heard (downlink) */
	uint64_t frames_out;   /* frames written to the modem (uplink), silence included */
	uint64_t short_reads;  /* reads that ended mid-frame */
	uint64_t realigns;     /* the stream slipped a byte and was re-aligned */
	uint64_t underruns;    /* uplink frames that were silence for lack of audio */
	uint64_t drops;	       /* uplink frames dropped: the queue was full */
	uint64_t stall_frames; /* uplink frames the timer sent while the downlink stalled */
	uint64_t catch_ups;    /* uplink frames left out after a late burst (delay kept) */
	uint64_t write_errors; /* frames the port did not take */
	unsigned max_queue;    /* deepest the uplink queue has been */
};

/* Identity and health, for the VTY, `chaperone modem probe` and tests. */
struct modem_info {
	const char *name; /* configured name, e.g. "modem0" */
	const char *device;
	const char *relay_number; /* the SIM's MSISDN as configured (E.164) */
	const struct modem_profile *profile;
	enum modem_state state;
	char manufacturer[64], model[64], revision[64], imei[32], imsi[32];
	char sim_status[32]; /* "READY", "SIM PIN", ... */
	int creg, cereg;     /* last registration stat, -1 unknown */
	int rssi, ber;	     /* last +CSQ */
	int storage_used, storage_total;
	unsigned queue_len; /* messages waiting to be submitted */
	bool submitting;    /* a part is with the modem now */
	unsigned recoveries;
	uint64_t rx_count, tx_count, tx_failed;
	uint64_t stray_results; /* answers not believed (a submit's OK without its TP-MR) */
	unsigned per_minute, daily_cap, sent_24h; /* pacing, and submits of the last 24 h */
	unsigned calls;				  /* calls the modem has now */
	uint64_t calls_in, calls_out, audio_strikes;
	struct modem_audio_stats audio;
	/* Why the port did not open at the last attempt ("" when it did), e.g. "modem0
	 * (/dev/ttyUSB2) is in use by chaperoned (pid 1234)"; port_busy: another process
	 * holds the port (serial_lock.h). */
	char port_error[256];
	bool port_busy;
};

/* What the upper layer learns. Every callback is optional. */
struct modem_events {
	/* A PDU arrived. The upper layer commits it, then calls modem_rx_committed(token);
	 * until then the modem keeps it (a stored slot, or an unacknowledged +CMT that the
	 * network will deliver again). */
	void (*on_rx)(struct modem *m, const struct modem_rx *rx, void *data);
	/* The driver is about to write a part's PDU to the modem (each submit, resends
	 * included). The upper layer records that before returning 0; on < 0 the part waits
	 * and is offered again a second later. Parts count from 0 in every callback: their
	 * place in the whole message, whatever modem_send_parts() was given. */
	int (*on_part_submit)(struct modem *m, uint64_t msg_id, unsigned part, void *data);
	/* Optional: what the driver reports while the modem submits (a part's result, the
	 * next part's submit) comes between on_batch(m, true) and on_batch(m, false), so that
	 * the upper layer can record it in one commit; the end returns < 0 when that commit
	 * failed (the next part is then offered again when it goes). */
	int (*on_batch)(struct modem *m, bool begin, void *data);
	/* A part offered to on_part_submit will not go after all (modem_send_pause()): its
	 * submit has this for a result. */
	void (*on_part_unsent)(struct modem *m, uint64_t msg_id, unsigned part, void *data);
	/* The modem refused a part for now (+CMS ERROR, sent nothing); it is tried again. */
	void (*on_part_retry)(struct modem *m, uint64_t msg_id, unsigned part, int cms_error,
			      void *data);
	/* One part of a queued message was submitted (mr valid) or failed for good. */
	void (*on_part_sent)(struct modem *m, uint64_t msg_id, unsigned part, bool ok, uint8_t mr,
			     int cms_error, void *data);
	/* A status report matched a submitted part: TP-ST (see sms_status_is_*()). */
	void (*on_part_status)(struct modem *m, uint64_t msg_id, unsigned part, uint8_t st,
			       void *data);
	/* Pacing: the submits of the last 24 hours reached 80 % of the daily cap (reached
	 * false), or the cap itself (true: parts wait until an hour drops out). */
	void (*on_pacing)(struct modem *m, unsigned used, unsigned cap, bool reached, void *data);
	/* A call appeared or changed state (RELEASED is its last report). */
	void (*on_call)(struct modem *m, const struct modem_call_info *call, void *data);
	/* A frame of call audio heard (MODEM_AUDIO_FRAME samples), in the modem's time. */
	void (*on_audio)(struct modem *m, const int16_t *samples, unsigned n, void *data);
	/* The far end keyed a digit (the modem's DTMF report). */
	void (*on_dtmf)(struct modem *m, uint32_t call_id, char digit, void *data);
	/* The modem changed state (ready, recovering, ...). */
	void (*on_state)(struct modem *m, enum modem_state st, void *data);
};

struct modem_config {
	const char *name;
	const char *device;
	const char *relay_number;
	const char *profile;	    /* NULL or "auto": chosen from +CGMM */
	const char *sim_pin;	    /* NULL when the SIM has none */
	unsigned health_interval_s; /* 0 → MODEM_T_HEALTH (30 s) */
	const char *audio_device;   /* the audio port; NULL: device + ".audio" (udev, modemsim) */
};

struct modem_pool *modem_pool_alloc(void *ctx, const struct modem_events *ev, void *data);
void modem_pool_free(struct modem_pool *pool);
/* Add a modem and start its FSM. Returns NULL on a configuration error. */
struct modem *modem_pool_add(struct modem_pool *pool, const struct modem_config *cfg);
/* The modem holding the SIM with that relay number, or NULL. */
struct modem *modem_pool_by_relay(struct modem_pool *pool, const char *relay_number);
struct modem *modem_pool_by_name(struct modem_pool *pool, const char *name);
unsigned modem_pool_count(const struct modem_pool *pool);
struct modem *modem_pool_get(struct modem_pool *pool, unsigned i);

/* Queue a message: its parts' SMS-SUBMIT PDUs (with SMSC prefix, as sms_submit_encode()
 * writes them with with_smsc). `msg_id` is the caller's (archive row); callbacks carry it. */
int modem_send(struct modem *m, uint64_t msg_id, const uint8_t *const *pdus, const size_t *lens,
	       unsigned n_parts);
/* Which lane a message waits in: at every submit boundary the highest lane with a message
 * goes first, so a reply never waits behind a broadcast for more than the part in flight. */
enum modem_lane {
	MODEM_LANE_URGENT,	 /* crisis messages and alerts */
	MODEM_LANE_CONVERSATION, /* person to person, replies, the relay's answers */
	MODEM_LANE_BULK,	 /* team messages, digests */
	MODEM_LANES,
};
struct modem_send_opts {
	enum modem_lane lane;
	uint64_t group; /* messages of one group take turns with other groups' (0: none) */
};
/* The same for some parts of a message: part_nos[i] is the place of pdus[i] in the
 * whole message, from 0, increasing (the parts a restart found missing). NULL: 0..n-1.
 * opts NULL: the conversation lane, no group. modem_send() is this with both NULL. */
int modem_send_parts(struct modem *m, uint64_t msg_id, const uint8_t *const *pdus,
		     const size_t *lens, const unsigned *part_nos, unsigned n_parts,
		     const struct modem_send_opts *opts);
/* The upper layer has committed a received PDU: acknowledge or delete it now. */
void modem_rx_committed(struct modem *m, uint64_t token);

/* Carrier pacing: carriers block a SIM that sends in bulk. per_minute spaces submits
 * evenly (0: no limit); daily_cap bounds the submits of any 24 hours (0: none). Parts wait
 * for their time, never dropped. hours_ago[h] (may be NULL): submits made h hours ago by
 * an earlier process (h = 0..23), so that the cap holds across restarts. */
struct modem_pacing {
	unsigned per_minute;
	unsigned daily_cap;
};
void modem_set_pacing(struct modem *m, const struct modem_pacing *p, const unsigned *hours_ago);
/* For a stop: no new part goes to the modem; the one it is submitting finishes and its
 * result is reported (modem_info's `submitting` turns false). What is queued stays with
 * the upper layer's records, for the next start. */
void modem_send_pause(struct modem *m);

/* Is it waiting for its 24-hour cap? */
bool modem_paced(const struct modem *m);

/* Calls. Each returns 0, or: -ENOTSUP the profile carries no calls, -EAGAIN the modem
 * is not ready, -EINVAL a bad argument, -ENOENT no such call, -EBUSY (dial) a call is
 * already being set up or up: one call leg per modem. */
/* Dial `number` (E.164 or national digits); *call_id is the new call's. */
int modem_dial(struct modem *m, const char *number, uint32_t *call_id);
/* Answer a ringing call. */
int modem_answer(struct modem *m, uint32_t call_id);
/* End a call in any state (reject a ringing one, cancel a dialling one). */
int modem_hangup(struct modem *m, uint32_t call_id);
/* Send DTMF digits (0-9, *, #, A-D) on an active call, one command per digit. */
int modem_send_dtmf(struct modem *m, uint32_t call_id, const char *digits);
/* A frame to say (MODEM_AUDIO_FRAME samples): queued for the uplink. -ENOTCONN when no
 * audio flows. A full queue drops its oldest frame. */
int modem_audio_write(struct modem *m, const int16_t *samples, unsigned n);
/* The calls the modem has, up to `max`; returns how many there are. */
unsigned modem_calls(const struct modem *m, struct modem_call_info *out, unsigned max);

void modem_info(const struct modem *m, struct modem_info *info);
enum modem_state modem_get_state(const struct modem *m);

/* Timers and limits of the driver (osmo_tdef; milliseconds unless noted), exposed for
 * configuration and tests (which shorten them). */
extern struct osmo_tdef modem_tdefs[];
enum {
	MODEM_T_BACKOFF_MIN = -200,    /* first wait before reopening a port after a failure */
	MODEM_T_BACKOFF_MAX = -201,    /* the wait doubles up to this */
	MODEM_T_REG_POLL = -202,       /* +CREG?/+CEREG? poll while not registered */
	MODEM_T_HEALTH = -203,	       /* health check interval when health_interval_s is 0 */
	MODEM_T_SEND_RETRY = -204,     /* first wait before retrying a transient +CMS error */
	MODEM_T_SEND_RETRY_MAX = -205, /* the wait doubles up to this */
	MODEM_T_SEND_ATTEMPTS = -206,  /* attempts of one part before it fails (count) */
	MODEM_T_MAX_ERRORS = -207,     /* errors in a row in ready before recovery (count) */
	MODEM_T_CFUN = -208,	       /* how long AT+CFUN=1,1 may take to answer */
	MODEM_T_SIM_POLL = -209,       /* +CPIN? poll while the SIM is not usable */
	MODEM_T_CALL_POLL = -210,      /* +CLCC poll while a call exists */
	MODEM_T_RING = -211,	       /* s: no RING for this long, a ringing call was missed */
	MODEM_T_NO_ANSWER = -212,      /* s: an outgoing call not answered is hung up */
	MODEM_T_ANSWER = -213,	       /* s: ATA sent, the call not active: it failed */
	MODEM_T_RELEASE = -214,	       /* s: hang-up sent, the call still listed: taken as over */
	MODEM_T_DIAL = -215,	       /* ATD's answer (late where it waits for the far end) */
	MODEM_T_AUDIO_STALL = -216,    /* no downlink for this long: the timer clocks the uplink */
	MODEM_T_AUDIO_QUEUE = -217,    /* uplink frames queued at most (count) */
	MODEM_T_AUDIO_RETRY = -218,    /* wait before the second audio switch-on attempt */
	MODEM_T_RESET_WAIT = -219,     /* the port is gone after a reset (0: the profile's) */
};
