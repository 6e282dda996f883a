/* The AT command interpreter of one modem port (V.250 framing, 27.007/27.005 commands).
 *
 * at_server.c frames input into command lines and PDUs, parses commands and writes
 * responses and URCs the way real modems print them; at_cmds.c (27.007 general
 * commands) and at_sms.c (27.005 SMS commands) implement the commands. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "modem.h"

#define AT_MAX_ARGS 16

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
	char sval[24]; /* ATSn=v: the value, argv[0] points here */
};

enum at_res_kind {
	AT_RES_OK,
	AT_RES_ERROR,
	AT_RES_CME,   /* +CME ERROR: <code>, shown per +CMEE */
	AT_RES_CMS,   /* +CMS ERROR: <code>, always (27.005 §3.2.5) */
	AT_RES_ASYNC, /* final result follows later through at_finish() */
};

struct at_res {
	enum at_res_kind kind;
	unsigned code;
};

#define RES_OK	   ((struct at_res){AT_RES_OK, 0})
#define RES_ERROR  ((struct at_res){AT_RES_ERROR, 0})
#define RES_ASYNC  ((struct at_res){AT_RES_ASYNC, 0})
#define RES_CME(n) ((struct at_res){AT_RES_CME, (n)})
#define RES_CMS(n) ((struct at_res){AT_RES_CMS, (n)})

/* 27.007 §9.2 codes used here. */
enum {
	CME_NOT_ALLOWED = 3,
	CME_NOT_SUPPORTED = 4,
	CME_SIM_PIN = 11,
	CME_INCORRECT_PASSWORD = 16,
	CME_NO_NETWORK = 30,
	CME_INCORRECT_PARAMS = 50,
};
/* 27.005 §3.2.5 codes used here. */
enum {
	CMS_OP_NOT_ALLOWED = 302,
	CMS_OP_NOT_SUPPORTED = 303,
	CMS_INVALID_PDU_PARAM = 304,
	CMS_SIM_PIN = 311,
	CMS_MEM_FAILURE = 320,
	CMS_INVALID_INDEX = 321,
	CMS_MEM_FULL = 322,
	CMS_NO_NETWORK = 331,
	CMS_NO_CNMA_EXPECTED = 340,
	CMS_UNKNOWN = 500,
};

typedef struct at_res (*at_handler)(struct modem *m, const struct at_cmd *c);

struct at_cmd_def {
	const char *name;
	at_handler fn;
	bool needs_sim; /* refused while the SIM waits for its PIN */
	bool sms;	/* errors are +CMS ERROR */
};

/* Command tables (NULL-name terminated). */
extern const struct at_cmd_def at_general_cmds[];
extern const struct at_cmd_def at_sms_cmds[];

/* A URC waiting to be written, or held in the modem under +CNMI mode 0. */
struct at_urc {
	struct llist_head list;
	char *line;
	char *pdu_line; /* NULL unless +CMT/+CDS */
};

void at_session_init(struct modem *m);
/* Back to power-on: forget the line being typed, a PDU, queued URCs, a running command. */
void at_session_reset(struct modem *m);
void at_session_cleanup(struct modem *m);
/* Bytes from the client. */
void at_input(struct modem *m, const uint8_t *buf, size_t len);

/* One line of information text of the running command. */
void at_info(struct modem *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A URC: `line` and, for +CMT/+CDS, the PDU line after it (else NULL). Written now when
 * the port allows, else queued until it does (never inside a line or a PDU entry). */
void at_urc(struct modem *m, const char *line, const char *pdu_line);
/* Final result of an asynchronous command (after a PDU or a delay). */
void at_finish(struct modem *m, struct at_res res);
/* Show "> " and read a PDU of `tpdu_len` octets; the command returns RES_ASYNC. */
struct at_res at_enter_pdu(struct modem *m, enum at_pdu_for what, unsigned tpdu_len);
/* The running command continues after `ms`; URCs may be written meanwhile. */
void at_start_busy(struct modem *m, unsigned ms, void (*done)(struct modem *m));
/* The command being executed dies with the firmware (a hang): it never completes and
 * does nothing — a submit in progress is not sent. */
void at_abort_busy(struct modem *m);
/* Bytes straight to the port, whatever the client is doing (line noise fault). */
void at_write_raw(struct modem *m, const void *buf, size_t len);
/* Write queued URCs if the port allows it now. */
void at_flush_urcs(struct modem *m);

/* Argument helpers. An omitted argument (empty, unquoted) is "absent". */
bool at_arg_present(const struct at_cmd *c, unsigned i);
/* Integer argument in [min,max]; false when absent, malformed or out of range. */
bool at_arg_int(const struct at_cmd *c, unsigned i, long min, long max, long *out);

/* The PDU path: after Ctrl-Z, the bytes (hex-decoded, SMSC prefix included). */
struct at_res at_sms_pdu_entered(struct modem *m, const uint8_t *pdu, size_t len);
