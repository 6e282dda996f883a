/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The AT command interpreter of one modem port (V.250 framing, 27.007/27.005 commands).
 *
 * at_server.c frames input into command lines and PDUs, parses commands and writes
 * responses and URCs the way real modems print them; at_cmds.c (27.007 general
 * commands) and at_sms.c (27.005 SMS commands) implement the commands. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/modemsim/sim_modem.h"
#include "modem/at/at_result.h"

#define AT_MAX_ARGS 16
/* Longest dial string ATD takes (modifiers included); longer is ERROR. */
#define AT_DIAL_MAX 40

enum at_op {
	AT_OP_EXEC, /* AT+CMD or basic ATX<n> */
	AT_OP_READ, /* AT+CMD? */
	AT_OP_TEST, /* AT+CMD=? */
	AT_OP_SET,  /* AT+CMD=... */
};

struct at_cmd {
	char name[24]; /* upper case: "+CMGS", "^CURC", "E", "&F", "S" */
	enum at_op op;
	long num;      /* basic commands: the number after the letter, -1 when none */
	unsigned argc; /* AT_OP_SET: comma-separated arguments */
	char *argv[AT_MAX_ARGS];
	bool quoted[AT_MAX_ARGS];
	char sval[24];		    /* ATSn=v: the value, argv[0] points here */
	char dial[AT_DIAL_MAX + 1]; /* ATD: the dial string, argv[0] points here */
};

/* A command's result: a final result code (with its +CME/+CMS number), or "later":
 * the final result follows through at_finish(). */
struct sim_res {
	enum at_result kind;
	unsigned code;
	bool async;
};

#define SIM_RES_OK     ((struct sim_res){AT_RES_OK, 0, false})
#define SIM_RES_ERROR  ((struct sim_res){AT_RES_ERROR, 0, false})
#define SIM_RES_ASYNC  ((struct sim_res){AT_RES_OK, 0, true})
#define SIM_RES_CME(n) ((struct sim_res){AT_RES_CME_ERROR, (n), false})
#define SIM_RES_CMS(n) ((struct sim_res){AT_RES_CMS_ERROR, (n), false})

typedef struct sim_res (*at_handler)(struct sim_modem *m, const struct at_cmd *c);

struct at_cmd_def {
	const char *name;
	at_handler fn;
	bool needs_sim; /* refused while the SIM waits for its PIN */
	bool sms;	/* errors are +CMS ERROR */
};

/* Command tables (NULL-name terminated). */
extern const struct at_cmd_def at_general_cmds[];
extern const struct at_cmd_def at_sms_cmds[];
extern const struct at_cmd_def at_call_cmds[];
extern const struct at_cmd_def at_call_vendor_cmds[];

/* A URC waiting to be written, or held in the modem under +CNMI mode 0. */
struct at_urc {
	struct llist_head list;
	char *line;
	char *pdu_line; /* NULL unless +CMT/+CDS */
	bool raw;	/* written as is, without the <CR><LF> framing */
};

void at_session_init(struct sim_modem *m);
/* Back to power-on: forget the line being typed, a PDU, queued URCs, a running command. */
void at_session_reset(struct sim_modem *m);
void at_session_cleanup(struct sim_modem *m);
/* Bytes from the client. */
void at_input(struct sim_modem *m, const uint8_t *buf, size_t len);

/* One line of information text of the running command. */
void at_info(struct sim_modem *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A URC: `line` and, for +CMT/+CDS, the PDU line after it (else NULL). Written now when
 * the port allows, else queued until it does (never inside a line or a PDU entry). */
void at_urc(struct sim_modem *m, const char *line, const char *pdu_line);
/* A URC written byte for byte as given (framing included), queued like any URC: for
 * vendors' own framing (SIMCom's "\r\r\n+RXDTMF: 8\r\r\n") and multi-line lists. */
void at_urc_raw(struct sim_modem *m, const char *bytes);
/* The running command waits for an event with no time limit (ATD under +COLP=1); URCs
 * are written meanwhile; the event ends it with at_finish(). */
void at_start_wait(struct sim_modem *m);
/* Final result of an asynchronous command (after a PDU or a delay). */
void at_finish(struct sim_modem *m, struct sim_res res);
/* Show "> " and read a PDU of `tpdu_len` octets; the command returns SIM_RES_ASYNC. */
struct sim_res at_enter_pdu(struct sim_modem *m, enum at_pdu_for what, unsigned tpdu_len);
/* The running command continues after `ms`; URCs may be written meanwhile. */
void at_start_busy(struct sim_modem *m, unsigned ms, void (*done)(struct sim_modem *m));
/* The command being executed dies with the firmware (a hang): it never completes and
 * does nothing — a submit in progress is not sent. */
void at_abort_busy(struct sim_modem *m);
/* Bytes straight to the port, whatever the client is doing (line noise fault). */
void at_write_raw(struct sim_modem *m, const void *buf, size_t len);
/* Write queued URCs if the port allows it now. */
void at_flush_urcs(struct sim_modem *m);

/* Argument helpers. An omitted argument (empty, unquoted) is "absent". */
bool at_arg_present(const struct at_cmd *c, unsigned i);
/* Integer argument in [min,max]; false when absent, malformed or out of range. */
bool at_arg_int(const struct at_cmd *c, unsigned i, long min, long max, long *out);

/* The PDU path: after Ctrl-Z, the bytes (hex-decoded, SMSC prefix included). */
struct sim_res at_sms_pdu_entered(struct sim_modem *m, const uint8_t *pdu, size_t len);
