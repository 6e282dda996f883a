/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* modemsim: simulated GSM/LTE modems and the network behind them, on real PTYs.
 *
 * One process, one osmo_select_main() loop. Each modem is a PTY that speaks
 * 3GPP TS 27.007/27.005 AT commands in PDU mode; the network routes SMS between
 * modems and simulated phones; a JSON control socket drives tests. See README.md. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/logging.h>

/* Log categories, see main.c for their names. */
enum {
	DMAIN,
	DPTY,
	DAT,
	DNET,
	DCTL,
	DFAULT,
};

struct sim_modem;
struct network;
struct ctl_server;
struct sim_profile;

struct sim_config {
	char dir[PATH_MAX];
	unsigned n_modems;
	char msisdn_base[24];
	const struct sim_profile *profile;
	unsigned submit_ms;
	unsigned deliver_ms;
	unsigned sim_slots;
	unsigned ack_timeout_ms;
	char smsc[24];
	bool verbose;
	/* Calls and audio. */
	unsigned alert_ms;	  /* MO: dialing → alerting */
	unsigned ring_ms;	  /* RING interval, and the phones' auto-answer unit */
	unsigned ring_timeout_ms; /* an incoming call rings this long, then is missed */
	unsigned no_answer_ms;	  /* MO: alerting this long → NO ANSWER */
	int drift_ppm;		  /* audio clock error of every modem */
	bool codec_gsm;		  /* audio through GSM 06.10 full rate */
};

struct simulator {
	struct sim_config cfg;
	struct sim_modem **modems;
	unsigned n_modems;
	struct network *net;
	struct ctl_server *ctl;
};

/* How many slots the "ME" storage has (the modem's own flash). */
#define MODEMSIM_ME_SLOTS 20
/* How long the port is gone while a modem resets after AT+CFUN=1,1. */
#define MODEMSIM_RESET_MS 1000

/* Monotonic milliseconds, for timers and the trace. */
uint64_t now_ms(void);

/* A modem by name ("modem0") or MSISDN ("+15550100" or "15550100"), or NULL. */
struct sim_modem *sim_find_modem(struct simulator *sim, const char *name_or_msisdn);

/* Two numbers are the same subscriber when their digits match, '+' or not. */
bool number_equal(const char *a, const char *b);
