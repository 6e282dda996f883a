/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Call reports: what a modem's call lines say, in one form.
 *
 * Every family tells of calls its own way: 27.007's +CLCC list (polled, or pushed by
 * SIMCom after AT+CLCC=1), Quectel's +QIND: "ccinfo", SIMCom's VOICE CALL: and
 * MISSED_CALL:, Huawei's ^ORIG/^CONF/^CONN/^CEND, and the 27.007 lines all of them share
 * (RING, +CRING, +CLIP, +CCWA, NO CARRIER, BUSY, NO ANSWER, NO DIALTONE) and the DTMF
 * reports (+QTONEDET, +RXDTMF, ^DDTMF). call_report_parse() turns any of those lines into
 * one struct call_report, so the call layer (modem_call.c) acts on reports alone and a
 * family is an entry in a table here, not a branch there.
 *
 * Promises: no I/O and no state; every field is bounds-checked; a line that is not a
 * call line gives -ENOENT, a call line that is malformed -EINVAL, and neither changes
 * anything the caller relies on (the report is zeroed first). */
#pragma once

#include <stdbool.h>

/* +CLCC <stat> (27.007 §7.18), plus the released state that Quectel's ccinfo (-1),
 * SIMCom's +CLCC (6) and Huawei's ^CEND report. */
enum call_stat {
	CALL_STAT_ACTIVE = 0,
	CALL_STAT_HELD = 1,
	CALL_STAT_DIALING = 2,	/* outgoing, not yet ringing at the far end */
	CALL_STAT_ALERTING = 3, /* outgoing, the far end rings */
	CALL_STAT_INCOMING = 4, /* incoming, ringing here */
	CALL_STAT_WAITING = 5,	/* incoming while another call is up */
	CALL_STAT_RELEASED = 6,
};

enum call_report_kind {
	CALL_REPORT_STATE,   /* one call's state, by the modem's index */
	CALL_REPORT_RING,    /* RING or +CRING: VOICE: a call rings (index not given) */
	CALL_REPORT_CLIP,    /* +CLIP: the ringing call's number */
	CALL_REPORT_WAITING, /* +CCWA: a call waits behind the one that is up */
	CALL_REPORT_BEGIN,   /* SIMCom VOICE CALL: BEGIN: a call became active */
	CALL_REPORT_END,     /* a call ended, index not given (NO CARRIER, VOICE CALL: END...) */
	CALL_REPORT_DTMF,    /* a digit the far end keyed */
};

/* What the line says about why a call ended. */
enum call_end_hint {
	CALL_HINT_NONE,
	CALL_HINT_NORMAL,     /* normal clearing (^CEND cause 16/31, VOICE CALL: END) */
	CALL_HINT_NO_CARRIER, /* NO CARRIER: the far end or the network ended it */
	CALL_HINT_BUSY,	      /* BUSY, ^CEND cause 17 */
	CALL_HINT_NO_ANSWER,  /* NO ANSWER, ^CEND cause 18/19 */
	CALL_HINT_REJECTED,   /* ^CEND cause 21 */
	CALL_HINT_MISSED,     /* MISSED_CALL: rang out unanswered */
	CALL_HINT_FAILED,     /* NO DIALTONE, other ^CEND causes */
};

/* Longest number kept (27.007 allows more, no telephone number is longer). */
#define CALL_NUMBER_MAX 32

struct call_report {
	enum call_report_kind kind;
	int idx;		      /* the modem's call index (1..), 0 when not given */
	int dir;		      /* 0 outgoing, 1 incoming, -1 not given */
	enum call_stat stat;	      /* CALL_REPORT_STATE */
	bool has_number;	      /* `number` was in the line ("" then: withheld) */
	char number[CALL_NUMBER_MAX]; /* as the modem shows it, "+1555..." */
	int cli_validity;	      /* +CLIP: 0 given, 1 withheld, 2 unavailable; -1 */
	unsigned duration_s;	      /* ^CEND, VOICE CALL: END */
	enum call_end_hint hint;
	int cause;  /* ^CEND <cc_cause>, -1 when not given */
	char digit; /* CALL_REPORT_DTMF: 0-9, *, #, A-D */
};

/* Parse one line as the modem sent it (without line end). 0 and `r` filled; -ENOENT
 * when it is not a call line (+QIND: "csq"..., +CRING: for a data call); -EINVAL when it
 * is one, malformed. */
int call_report_parse(const char *line, struct call_report *r);

/* "active", "held", ... for logs and the VTY. */
const char *call_stat_name(enum call_stat s);
const char *call_report_kind_name(enum call_report_kind k);
