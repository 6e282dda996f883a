/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* chaperoned: the daemon's shared state, and the promises of its parts.
 *
 *   chaperoned_main.c   options, logging, start-up order, signals, the event loop
 *   daemon_config.c     the config file / VTY config nodes (chaperone, policy, modem,
 *                       records)
 *   daemon_console.c    the console's safety: passwords, writes, refused commands
 *   config_keep.c       `write` into the operator's file: comments and order kept
 *   daemon_timers.c     the daemon's and the driver's timers (osmo_tdef), `timer` commands
 *   daemon_vty.c        show modems|queues|held|stats|policy at the telnet VTY
 *   daemon_modems.c     modem events: receive (record, acknowledge, reassemble, route)
 *                       and the transport that turns deliveries into SMS-SUBMITs
 *   daemon_calls.c      calls into a relay number; call recordings
 *   daemon_call_flow.c  relayed calls: dialled, announced, bridged, recorded
 *   daemon_ctrl.c       the figures for machines: CTRL interface and StatsD
 *   daemon_alerts.c     alerts texted to the IT and administrator contacts: the modems,
 *                       the archive's disk, its last anchor, crises not acknowledged
 *
 * Start-up order is what makes "nothing lost" hold across restarts: the store opens
 * first; PDUs recorded but never assembled are fed to reassembly again; deliveries left
 * queued or waiting are handed to their modem again (a modem that is down keeps them
 * until it recovers). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/tdef.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "modem/driver/modem.h"
#include <osmocom/core/hashtable.h>

#include "modem/driver/modem_log.h"
#include "storage/keeping/retention.h"
#include "gateway/relay/router.h"
#include "storage/archive/store.h"

/* Log categories: the modem driver's first (modem_log.h), then ours. */
enum {
	DRELAY = CHAPERONE_MODEM_LOG_NCAT, /* routing, verdicts, deliveries */
	DSTORE,				   /* the archive */
	CHAPERONED_LOG_NCAT,
};

/* Rate counters (show stats). */
enum {
	CTR_PDU_IN,
	CTR_PDU_DUP,
	CTR_MSG_IN,
	CTR_MSG_OUT,
	CTR_MSG_BLOCKED,
	CTR_MSG_HELD,
	CTR_MSG_UNKNOWN,
	CTR_PART_SENT,
	CTR_PART_FAILED,
	CTR_PART_DELIVERED,
	CTR_STORE_ERROR,
	CTR_PART_RESENT,
	CTR_REPORT_UNMATCHED,
};

/* The config's nodes, in the order `write` lists them. */
enum {
	CHAPERONE_NODE = _LAST_OSMOVTY_NODE + 1,
	POLICY_NODE,
	MODEM_NODE,
	RECORDS_NODE,
	DAEMON_TIMER_NODE,
};

/* One `modem NAME` node of the config. */
struct daemon_modem {
	struct llist_head list;
	char *name, *device, *relay_number, *label, *profile, *sim_pin;
	unsigned per_minute, daily_cap; /* carrier pacing, 0: none */
	struct modem *modem;		/* once started */
	struct sms_reassembler *reasm;
	/* Down (not ready) since, in ms (0: ready); its alert pending or sent. */
	int64_t down_since;
	struct osmo_timer_list down_timer;
	bool down_alerted;
	/* The states it has been in since it was last ready (1 << state): a modem that
	 * cycles through the same ones while its port is missing logs them once. */
	unsigned states_seen;
};

/* The most `admin-contact` lines the config may give. */
#define DAEMON_MAX_ADMIN_CONTACTS 4

/* A delivery on a modem's queue: what its parts' submits are recorded with. */
struct daemon_tx {
	struct hlist_node node;
	int64_t delivery_id;
	unsigned parts; /* of the whole message */
	int ref;	/* its concatenation reference, -1 for one part */
	unsigned left;	/* parts on the queue without a final result */
};

struct chaperoned {
	void *ctx;
	/* `chaperone` node */
	char *district, *database, *timezone, *country_code;
	char *it_contact; /* texted about the relay itself (a SIM near its cap), or NULL */
	/* Administrators texted every operational alert too (`admin-contact`, in order). */
	char *admin_contacts[DAEMON_MAX_ADMIN_CONTACTS];
	unsigned n_admin_contacts;
	unsigned alert_modem_down_s;  /* a modem not ready this long is texted about; 0: never */
	unsigned alert_disk_full_pct; /* the archive's disk used this much (%) is; 0: never */
	int64_t disk_alerted_at;    /* wall ms of the last disk alert, 0: none since it was fine */
	unsigned alert_anchor_days; /* no anchor for this many days is texted about; 0: never */
	int64_t anchor_alerted_at;  /* wall ms of the last anchor alert, 0: none since one */
	unsigned alert_crisis_min;  /* a crisis not acknowledged this long is texted; 0: never */
	/* Crisis conversations (their opening messages) alerted about by this process: the
	 * records say it too, but an alert nobody could be texted leaves no record. */
	int64_t crisis_alerted[32];
	unsigned n_crisis_alerted;
	struct osmo_timer_list alert_timer; /* the checks of daemon_alerts.c */
	unsigned ctrl_port;		    /* the CTRL interface on 127.0.0.1, 0: off */
	char *statsd_host;		    /* StatsD (UDP), NULL: off */
	unsigned statsd_port, statsd_interval_s;
	char *prompts_dir; /* the district's own prompt recordings, or NULL: the built ones */
	unsigned thread_window_h, question_window_min;
	/* `policy` node */
	struct router_config rcfg;
	char *notice_text;
	/* `modem` nodes */
	struct llist_head modems;
	/* `records` node: the retention schedule chaperoned records at start-up (the
	 * defaults until a `retention` line changes a class), and the group that may read
	 * the archive's file (NULL: its owner only). */
	struct retention_schedule retention;
	bool retention_configured;
	char *file_group;

	struct store *store;
	struct router *router;
	struct modem_pool *pool;
	DECLARE_HASHTABLE(tx, 10); /* struct daemon_tx by delivery id */
	struct rate_ctr_group *ctrs;
	struct osmo_timer_list poll_timer, reasm_timer, digest_timer;
	struct timespec started;
	bool running; /* start-up is over: start-up-only settings are refused */
	bool stopping;
};

extern struct chaperoned *g_daemon;

/* daemon_calls.c: calls into a relay number (see there). */
void daemon_on_call(struct modem *m, const struct modem_call_info *ci, void *data);
void daemon_on_audio(struct modem *m, const int16_t *s, unsigned n, void *data);
void daemon_on_dtmf(struct modem *m, uint32_t call_id, char digit, void *data);
/* At start-up: every prompt loads (a district recording that cannot be used is an error
 * that stops the start: err says which and why). 0 or -1. */
int daemon_calls_check_prompts(struct chaperoned *d, char *err, size_t errlen);
/* At start-up: calls a crash cut off (a leg, no end) are recorded as ended. */
int daemon_calls_recover(struct chaperoned *d);
/* The relay stops: the calls still up are recorded as ended. */
void daemon_calls_stop(void);

/* Call recordings of daemon_calls.c, for both kinds of call: open one for call_row
 * (logged when it fails: the call goes on unrecorded, *out NULL), and finish one: closed
 * now, encoded and hashed on a thread of its own, its hash recorded by the event loop
 * when it is done (a failure is recorded as the call's fault: its WAV is kept). */
struct recording;
int daemon_call_recording_open(struct chaperoned *d, void *ctx, int64_t call_row, unsigned channels,
			       struct recording **out);
void daemon_call_recording_finish(struct chaperoned *d, int64_t call_row, struct recording *r);

/* daemon_call_flow.c: relayed calls (see there). Free lines that carry calls (and how
 * many there are at all); place a call the router allowed; the driver's reports of the
 * flow's legs (true when the call or the modem's audio was the flow's); the relay stops:
 * every relayed call hung up and recorded as ended. */
unsigned daemon_flow_lines(struct chaperoned *d, unsigned *total);
void daemon_flow_place(struct chaperoned *d, const struct router_call_order *o);
bool daemon_flow_on_call(struct modem *m, const struct modem_call_info *ci);
bool daemon_flow_on_audio(struct modem *m, const int16_t *s, unsigned n);
bool daemon_flow_on_dtmf(struct modem *m, uint32_t call_id, char digit);
/* A person in the directory called `relay` on dm (call_row and leg_row recorded as it
 * rang): answered, and from here the call is the flow's (the menu). False when it could
 * not be taken (out of memory): the caller declines it. */
struct dir_person;
struct dir_relay;
bool daemon_flow_incoming(struct chaperoned *d, struct daemon_modem *dm, uint32_t call_id,
			  int64_t call_row, int64_t leg_row, const struct dir_person *caller,
			  const struct dir_relay *relay);
void daemon_flow_stop(struct chaperoned *d);
/* `show calls`: the lines, and each relayed call with its legs. */
void daemon_flow_show(struct chaperoned *d, struct vty *vty);

/* daemon_ctrl.c: CTRL (read-only, localhost) and StatsD (see there). Start once the
 * config is read: 0, or -errno with the reason on stderr. A modem's new state goes out as
 * a CTRL TRAP. */
int daemon_ctrl_start(struct chaperoned *d);
void daemon_ctrl_stop(void);
void daemon_ctrl_modem_state(struct daemon_modem *dm, enum modem_state st);

/* daemon_config.c */
void daemon_config_init(struct chaperoned *d);
struct daemon_modem *daemon_modem_find(struct chaperoned *d, const char *name);

/* daemon_console.c: the console's safety (see there). Init guards libosmovty's commands
 * once every node is installed and before the config is read; check, after it is read,
 * refuses a config without login and enable passwords or listening beyond localhost, and
 * turns the login on. Both return 0 or -errno with err filled. */
int daemon_console_init(const char *config, char *err, size_t errlen);
int daemon_console_check(char *err, size_t errlen);
/* Write the running configuration into the config file (mode 0600, renamed into place),
 * keeping the file's comments and order; *rep says what changed (on ctx). -EBUSY when the
 * file was edited on disk since chaperoned read or last wrote it. */
struct config_keep_report;
int daemon_console_write_config(void *ctx, struct config_keep_report *rep, char *err,
				size_t errlen);
/* An error for the console, or for stderr while the config file is being read. */
void daemon_say(struct vty *vty, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* daemon_timers.c: the daemon's timers (`timer relay ...`), and the console's `timer` and
 * `show timer` for them and the driver's. Init before the config is read. */
enum daemon_timer {
	DAEMON_T_POLL = -1,
	DAEMON_T_STOP_GRACE = -2,
	DAEMON_T_DIGEST_CHECK = -3,
	DAEMON_T_REASSEMBLY = -4,
	DAEMON_T_CALL_ANSWER = -5,  /* s: a party dialled answers and hears the notice */
	DAEMON_T_ADULT_REJOIN = -6, /* s: a call that lost its guardian waits for an adult */
	DAEMON_T_CALL_HANGUP = -7,  /* s: "this call has ended" and the hang-ups */
	DAEMON_T_MENU = -8,	    /* s: a known caller answered chooses from the menu */
	DAEMON_T_ALERT_CHECK = -9,  /* s: the disk, the anchor, crises: checked for alerts */
};
extern struct osmo_tdef daemon_tdefs[];
void daemon_timers_init(void);
unsigned long daemon_timer_ms(int T);
/* Arm t to fire after timer T of daemon_tdefs. */
void daemon_timer_schedule(struct osmo_timer_list *t, int T);

/* daemon_alerts.c: alerts without a person watching (see there). An operational alert:
 * logged at ERROR and texted to the it-contact and every admin-contact (each once), from a
 * relay number whose modem is up and has room (else from `near`'s, where it waits), each
 * text recorded as a delivery ("alert"). daemon_alert_clear() is the same for "it is well
 * again", logged at NOTICE. A modem for alerts: one ready with room that is not `near`,
 * else `near`, else the first started (NULL when no modem is started). */
void daemon_alert(struct chaperoned *d, struct daemon_modem *near, const char *text);
void daemon_alert_clear(struct chaperoned *d, struct daemon_modem *near, const char *text);
struct daemon_modem *daemon_alert_modem(struct chaperoned *d, struct daemon_modem *near);
/* The checks that alert on their own (the archive's disk, ...): now, and every X9. */
void daemon_alerts_start(struct chaperoned *d);
/* The archive's disk as `df` shows it: bytes free to the daemon and the share used (%).
 * 0, or -errno. */
int daemon_archive_disk(struct chaperoned *d, uint64_t *free_bytes, unsigned *used_pct);

/* daemon_vty.c */
void daemon_vty_init(void);

/* daemon_modems.c */
int daemon_modems_start(struct chaperoned *d);
/* Feed PDUs recorded before a restart but never assembled into reassembly again. */
int daemon_modems_recover(struct chaperoned *d);
void daemon_modems_expire(struct chaperoned *d);
extern const struct router_transport daemon_transport;
