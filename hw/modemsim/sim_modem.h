/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* One simulated modem: its port, AT session, settings, SIM and network attachment. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/timer.h>

#include "hw/modemsim/audio.h"
#include "hw/modemsim/calls.h"
#include "hw/modemsim/faults.h"
#include "hw/modemsim/pty.h"
#include "hw/modemsim/sim_storage.h"
#include "modem/sms/sms_tpdu.h"

struct simulator;
struct sim_profile;
struct net_msg;
struct trace;

/* Longest command line; longer ones are discarded and answered with ERROR. */
#define AT_LINE_MAX 560
/* Longest PDU a client may type after "> " (hex digits). */
#define AT_PDU_HEX_MAX (2 * SMS_PDU_MAX)
/* Input that arrives while a command is still running waits here. */
#define AT_PENDING_IN_MAX 4096
/* URCs waiting for a moment they may be written. */
#define AT_URC_MAX 256

enum at_state {
	AT_ST_CMD,  /* reading a command line */
	AT_ST_PDU,  /* after "> ", reading a PDU up to Ctrl-Z */
	AT_ST_BUSY, /* a command is running (submit delay, reset) */
};

enum at_pdu_for {
	AT_PDU_CMGS,
	AT_PDU_CMGW,
};

enum sim_mem {
	MEM_SM = 0,
	MEM_ME = 1,
	MEM_COUNT,
};

/* Registration status as +CREG/+CGREG/+CEREG show it. */
enum reg_stat {
	REG_NOT = 0,
	REG_HOME = 1,
	REG_SEARCHING = 2,
};

/* Settings an AT client changes; back to these defaults at power-on, ATZ and AT&F. */
struct at_settings {
	bool echo;
	uint8_t cmee;
	uint8_t cmgf;
	uint8_t csms;
	uint8_t cmms;
	uint8_t cnmi[5]; /* mode, mt, bm, ds, bfr */
	uint8_t creg_n, cgreg_n, cereg_n;
	uint8_t mem[3]; /* +CPMS mem1 (read/delete), mem2 (write/send), mem3 (receive) */
	char cscs[8];
	uint8_t cops_format;
	uint8_t cusd_n;
	uint8_t curc, portsel; /* Huawei */
	uint8_t sreg[32];      /* S-registers, remembered and shown, not acted on */
	/* Calls: URC switches (at_calls.c). */
	uint8_t clip, crc, colp, ccwa;
	uint8_t clcc_n;	  /* SIMCom +CLCC=1: unsolicited call lists */
	uint8_t ddet;	  /* SIMCom +DDET: DTMF detection */
	uint8_t qtonedet; /* Quectel +QTONEDET */
	uint8_t ccinfo;	  /* Quectel +QINDCFG="ccinfo" */
};

/* The AT command interpreter's state for one port. */
struct at_session {
	enum at_state state;
	char line[AT_LINE_MAX + 1];
	size_t line_len;
	bool line_overflow;
	uint64_t last_rx_ms;

	char pdu[AT_PDU_HEX_MAX + 1];
	size_t pdu_len;
	unsigned pdu_tpdu_len; /* the <length> of +CMGS/+CMGW */
	enum at_pdu_for pdu_for;
	uint8_t cmgw_stat;

	/* The +CMGS being sent during the submit delay. */
	uint8_t submit_pdu[SMS_PDU_MAX];
	size_t submit_len;
	unsigned cmss_index; /* +CMSS: the slot being sent */
	struct osmo_timer_list busy_timer;
	void (*busy_done)(struct sim_modem *m);

	uint8_t pending_in[AT_PENDING_IN_MAX];
	size_t pending_in_len;

	bool executing;	    /* inside a command line: URCs wait for its final result */
	bool info_started;  /* this command has begun its information text */
	bool line_had_info; /* some command of this line wrote information text */

	struct llist_head urcs; /* struct at_urc, waiting to be written */
	unsigned n_urcs;
	struct llist_head held; /* +CNMI mode 0: indications kept in the modem */
	unsigned n_held;
	struct osmo_timer_list urc_timer;
};

struct sim_modem {
	struct simulator *sim;
	unsigned idx;
	char name[16];
	char msisdn[24];
	char imei[16];
	char imsi[16];
	const struct sim_profile *profile;
	unsigned submit_ms;
	unsigned deliver_ms;

	struct sim_pty pty;
	struct osmo_timer_list reset_timer; /* AT+CFUN=1,1: the port goes away after OK */

	struct at_settings at;
	struct at_session s;
	uint8_t cfun;
	bool pin_locked;
	char csca[24];
	/* What +CREG/+CGREG/+CEREG showed last, to send URCs on changes. */
	uint8_t shown_cs, shown_ps, shown_eps;

	struct sms_store *mem[MEM_COUNT];
	/* A +CMT or +CDS that the client must acknowledge with +CNMA. */
	struct net_msg *awaiting_ack;
	/* +CSMS=0: a +CMT/+CDS was shown that an AT+CNMA may still (needlessly) acknowledge. */
	bool direct_unacked;
	struct osmo_timer_list ack_timer;
	struct osmo_timer_list kick_timer; /* network retries delivery (async) */
	uint8_t next_mr;
	unsigned submitted;
	unsigned received;
	unsigned command_lines; /* AT command lines run (what a client's polling costs) */

	struct sim_faults faults;
	struct trace *trace;

	struct sim_voice voice;
	struct sim_audio audio;
};

struct sim_modem *sim_modem_alloc(struct simulator *sim, unsigned idx, const char *msisdn);
/* Open the port. Returns 0 or -errno. */
int sim_modem_start(struct sim_modem *m);
void sim_modem_free(struct sim_modem *m);

/* The AT settings' defaults (ATZ, AT&F and power-on). */
void sim_modem_at_defaults(struct sim_modem *m);
/* Power-on state: AT settings, session, registration; SIM contents stay. */
void sim_modem_power_on(struct sim_modem *m);
/* The port goes away for `ms` (0: until sim_modem_return()); the modem powers on again. */
void sim_modem_vanish(struct sim_modem *m, unsigned ms);
void sim_modem_return(struct sim_modem *m);
/* AT+CFUN=1,1 after its OK has been written. */
void sim_modem_schedule_reset(struct sim_modem *m);

/* Registration as each domain shows it. */
enum reg_stat sim_modem_reg_cs(const struct sim_modem *m);
enum reg_stat sim_modem_reg_eps(const struct sim_modem *m);
/* Attached to the network: can send and receive SMS. */
bool sim_modem_attached(const struct sim_modem *m);
/* "+CREG: 1" (URC) or "+CREG: 2,1,\"00A1\",\"0001B2C3\",7" (read), `cmd` being
 * "+CREG", "+CGREG" or "+CEREG". */
void sim_modem_format_reg(const struct sim_modem *m, char *buf, size_t cap, const char *cmd,
			  bool urc);
/* Re-evaluate registration after a change: URCs to the client, deliveries resume. */
void sim_modem_registration_changed(struct sim_modem *m);

/* The storage a +CPMS memory index refers to. */
static inline struct sms_store *sim_modem_mem(struct sim_modem *m, unsigned which)
{
	return m->mem[m->at.mem[which]];
}
