/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Call commands: 27.007 call control (D, A, H, +CHUP, +CLCC, +CHLD, +CLIP, +CRC, +COLP,
 * +CCWA, +CEER, +VTS) and each family's own (Quectel +QINDCFG/+QPCMV/+QGPSCFG/+QTONEDET,
 * SIMCom +CPCMREG/+DDET/+CRESET, Huawei ^DDSETEX/^CVOICE/^DTMF). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <osmocom/core/utils.h>

#include "hw/modemsim/at_server.h"
#include "hw/modemsim/audio.h"
#include "hw/modemsim/calls.h"
#include "hw/modemsim/modemsim.h"
#include "hw/modemsim/phone.h"
#include "hw/modemsim/profile.h"

/* Longest number a call may have (E.164 is 15 digits; service codes are shorter). */
#define NUMBER_DIGITS_MAX 20

static bool family(const struct sim_modem *m, enum voice_family f)
{
	return m->profile->voice == f;
}

/* A 0/1 (or 0..max) switch: "+X: <n>" read, "+X: (0-max)" test, "+X=<n>" set. */
static struct sim_res switch_cmd(struct sim_modem *m, const struct at_cmd *c, const char *name,
				 uint8_t *v, long max, const char *read_suffix)
{
	long n;

	switch (c->op) {
	case AT_OP_READ:
		at_info(m, "%s: %u%s", name, *v, read_suffix);
		return SIM_RES_OK;
	case AT_OP_TEST:
		at_info(m, "%s: (0-%ld)", name, max);
		return SIM_RES_OK;
	case AT_OP_SET:
		if (!at_arg_int(c, 0, 0, max, &n))
			return SIM_RES_CME(CME_INCORRECT_PARAMS);
		*v = (uint8_t)n;
		return SIM_RES_OK;
	default:
		return SIM_RES_OK;
	}
}

/* ---- dialling, answering, hanging up ---- */

/* The number of a dial string: digits, '*', '#', a leading '+'; CLIR modifiers (I, i)
 * and CUG (G, g) dropped. False when nothing else is left. */
static bool dial_number(const char *dial, char *out, size_t cap)
{
	size_t n = 0, digits = 0;

	for (const char *p = dial; *p; p++) {
		if (strchr("IiGg", *p))
			continue;
		if (!(isdigit((unsigned char)*p) || *p == '*' || *p == '#' ||
		      (*p == '+' && n == 0)))
			return false;
		if (n + 1 >= cap || (*p != '+' && ++digits > NUMBER_DIGITS_MAX))
			return false;
		out[n++] = *p;
	}
	out[n] = '\0';
	return digits > 0;
}

static struct sim_res cmd_dial(struct sim_modem *m, const struct at_cmd *c)
{
	char number[NUMBER_DIGITS_MAX + 2];
	struct sim_call *call;
	bool busy_line;

	/* Without ';' it is a data call, which these modems' voice firmware cannot make. */
	if (c->num != 1)
		return (struct sim_res){AT_RES_NO_CARRIER, 0, false};
	if (!dial_number(c->argv[0], number, sizeof(number)))
		return SIM_RES_ERROR;
	if (sim_modem_reg_cs(m) != REG_HOME)
		return (struct sim_res){AT_RES_NO_CARRIER, 0, false};
	call = call_dial(m, number, &busy_line);
	if (!call)
		return busy_line ? SIM_RES_ERROR : (struct sim_res){AT_RES_NO_CARRIER, 0, false};
	/* Qualcomm-based modems (Quectel, SIMCom) hold ATD under +COLP=1 until the call is
	 * answered or fails; the others answer OK at once. */
	if (m->at.colp && (family(m, VOICE_QUECTEL) || family(m, VOICE_SIMCOM))) {
		m->voice.colp_call = call;
		at_start_wait(m);
		return SIM_RES_ASYNC;
	}
	return SIM_RES_OK;
}

static struct sim_res cmd_answer(struct sim_modem *m, const struct at_cmd *c)
{
	struct sim_call *call = call_with_stat(m, CALL_INCOMING);

	(void)c;
	if (!call)
		return (struct sim_res){AT_RES_NO_CARRIER, 0, false};
	call_set_active(call);
	return SIM_RES_OK;
}

static struct sim_res cmd_hangup(struct sim_modem *m, const struct at_cmd *c)
{
	if (c->op == AT_OP_TEST)
		return SIM_RES_OK;
	if (c->num > 0)
		return SIM_RES_ERROR;
	calls_release_all(m, CALL_END_NORMAL, CALL_BY_CLIENT);
	return SIM_RES_OK;
}

static void clcc_info(struct sim_modem *m, const char *line)
{
	at_info(m, "%s", line);
}

static struct sim_res cmd_clcc(struct sim_modem *m, const struct at_cmd *c)
{
	bool simcom = family(m, VOICE_SIMCOM);

	switch (c->op) {
	case AT_OP_EXEC:
		calls_clcc_lines(m, clcc_info);
		return SIM_RES_OK;
	case AT_OP_TEST:
		/* SIMCom announces its URC switch; 27.007 itself has no parameters. */
		if (simcom)
			at_info(m, "+CLCC: (0-1)");
		return SIM_RES_OK;
	case AT_OP_READ:
	case AT_OP_SET:
		if (!simcom)
			return SIM_RES_ERROR;
		return switch_cmd(m, c, "+CLCC", &m->at.clcc_n, 1, "");
	}
	return SIM_RES_ERROR;
}

/* ---- +CHLD (27.007 §7.13, 22.030 §6.5.5) ---- */

static void release_stat(struct sim_modem *m, enum call_stat stat, enum call_end why)
{
	struct sim_call *c;

	while ((c = call_with_stat(m, stat)))
		call_release(c, why, CALL_BY_CLIENT);
}

/* The call that +CHLD=1/2 accepts: a waiting (or ringing) one, else the held ones. */
static void accept_other(struct sim_modem *m)
{
	struct sim_call *w = call_with_stat(m, CALL_WAITING);

	if (!w)
		w = call_with_stat(m, CALL_INCOMING);
	if (w) {
		call_set_active(w);
		return;
	}
	while ((w = call_with_stat(m, CALL_HELD)))
		call_set_stat(w, CALL_ACTIVE);
}

static struct sim_res chld_x(struct sim_modem *m, char op, unsigned x)
{
	struct sim_call *c = call_find(m, x), *o;

	if (!c)
		return SIM_RES_ERROR;
	if (op == '1') {
		call_release(c, CALL_END_NORMAL, CALL_BY_CLIENT);
		return SIM_RES_OK;
	}
	/* 2x: a private talk with x; every other active call is held. */
	llist_for_each_entry (o, &m->voice.calls, list) {
		if (o != c && o->stat == CALL_ACTIVE)
			call_set_stat(o, CALL_HELD);
	}
	if (c->stat != CALL_ACTIVE)
		call_set_active(c);
	return SIM_RES_OK;
}

static struct sim_res chld_op(struct sim_modem *m, char op)
{
	struct sim_call *c;

	switch (op) {
	case '0':
		/* Reject a waiting call (UDUB), else release the held ones. */
		if ((c = call_with_stat(m, CALL_WAITING)) || (c = call_with_stat(m, CALL_INCOMING)))
			call_release(c, CALL_END_BUSY, CALL_BY_CLIENT);
		else
			release_stat(m, CALL_HELD, CALL_END_NORMAL);
		return SIM_RES_OK;
	case '1':
		release_stat(m, CALL_ACTIVE, CALL_END_NORMAL);
		accept_other(m);
		return SIM_RES_OK;
	case '2':
		llist_for_each_entry (c, &m->voice.calls, list) {
			if (c->stat == CALL_ACTIVE)
				c->stat = CALL_RELEASED; /* mark: becomes held below */
		}
		accept_other(m);
		while ((c = call_with_stat(m, CALL_RELEASED)))
			call_set_stat(c, CALL_HELD);
		return SIM_RES_OK;
	case '3':
		if (!call_active(m) || !call_with_stat(m, CALL_HELD))
			return SIM_RES_ERROR;
		llist_for_each_entry (c, &m->voice.calls, list) {
			if (c->stat == CALL_HELD || c->stat == CALL_ACTIVE)
				c->mpty = true;
		}
		while ((c = call_with_stat(m, CALL_HELD)))
			call_set_stat(c, CALL_ACTIVE);
		return SIM_RES_OK;
	default:
		return SIM_RES_ERROR;
	}
}

static struct sim_res cmd_chld(struct sim_modem *m, const struct at_cmd *c)
{
	const char *a;
	struct sim_res r;

	if (c->op == AT_OP_TEST) {
		at_info(m, "+CHLD: (0,1,1x,2,2x,3)");
		return SIM_RES_OK;
	}
	if (c->op != AT_OP_SET || c->argc != 1 || c->quoted[0])
		return SIM_RES_ERROR;
	a = c->argv[0];
	if (strlen(a) == 2 && (a[0] == '1' || a[0] == '2') && a[1] >= '1' && a[1] <= '7')
		return chld_x(m, a[0], (unsigned)(a[1] - '0'));
	if (strlen(a) != 1)
		return SIM_RES_ERROR;
	m->voice.in_chld = true;
	r = chld_op(m, a[0]);
	m->voice.in_chld = false;
	audio_update(m);
	return r;
}

/* ---- switches ---- */

static struct sim_res cmd_clip(struct sim_modem *m, const struct at_cmd *c)
{
	return switch_cmd(m, c, "+CLIP", &m->at.clip, 1, ",1");
}

static struct sim_res cmd_crc(struct sim_modem *m, const struct at_cmd *c)
{
	return switch_cmd(m, c, "+CRC", &m->at.crc, 1, "");
}

static struct sim_res cmd_colp(struct sim_modem *m, const struct at_cmd *c)
{
	return switch_cmd(m, c, "+COLP", &m->at.colp, 1, ",1");
}

static struct sim_res cmd_ccwa(struct sim_modem *m, const struct at_cmd *c)
{
	long mode;

	if (c->op == AT_OP_SET && at_arg_present(c, 1)) {
		if (!at_arg_int(c, 1, 0, 2, &mode))
			return SIM_RES_CME(CME_INCORRECT_PARAMS);
		if (mode == 2) {
			/* Query: the network's call waiting is on, for voice. */
			at_info(m, "+CCWA: 1,1");
			return SIM_RES_OK;
		}
	}
	return switch_cmd(m, c, "+CCWA", &m->at.ccwa, 1, "");
}

static struct sim_res cmd_cnap(struct sim_modem *m, const struct at_cmd *c)
{
	static uint8_t dummy;

	/* Quectel does not know it (oFono learned this the hard way). */
	if (family(m, VOICE_QUECTEL))
		return SIM_RES_ERROR;
	return switch_cmd(m, c, "+CNAP", &dummy, 1, ",2");
}

static struct sim_res cmd_ceer(struct sim_modem *m, const struct at_cmd *c)
{
	if (c->op == AT_OP_TEST)
		return SIM_RES_OK;
	at_info(m, "+CEER: %s", call_end_text(m->voice.last_end));
	return SIM_RES_OK;
}

/* ---- DTMF to the far end ---- */

static bool dtmf_digit(char d)
{
	return isdigit((unsigned char)d) || d == '*' || d == '#' ||
	       (toupper((unsigned char)d) >= 'A' && toupper((unsigned char)d) <= 'D');
}

static void send_dtmf(struct sim_call *call, const char *digits)
{
	struct phone *p = call->phone;

	for (; *digits; digits++) {
		if (p && p->dtmf_rx_len < PHONE_DTMF_MAX) {
			p->dtmf_rx[p->dtmf_rx_len++] = (char)toupper((unsigned char)*digits);
			p->dtmf_rx[p->dtmf_rx_len] = '\0';
		}
	}
}

static struct sim_res cmd_vts(struct sim_modem *m, const struct at_cmd *c)
{
	struct sim_call *call = call_active(m);

	if (c->op == AT_OP_TEST) {
		at_info(m, "+VTS: (0-9,*,#,A,B,C,D)");
		return SIM_RES_OK;
	}
	if (c->op != AT_OP_SET || !at_arg_present(c, 0))
		return SIM_RES_ERROR;
	/* Quectel wants the digits quoted. */
	if (family(m, VOICE_QUECTEL) && !c->quoted[0])
		return SIM_RES_ERROR;
	for (const char *d = c->argv[0]; *d; d++) {
		if (!dtmf_digit(*d))
			return SIM_RES_CME(CME_INCORRECT_PARAMS);
	}
	if (!call)
		return SIM_RES_CME(CME_NOT_ALLOWED);
	send_dtmf(call, c->argv[0]);
	return SIM_RES_OK;
}

static struct sim_res cmd_hw_dtmf(struct sim_modem *m, const struct at_cmd *c)
{
	struct sim_call *call;
	long idx;

	if (!family(m, VOICE_HUAWEI))
		return SIM_RES_ERROR;
	if (c->op != AT_OP_SET || !at_arg_int(c, 0, 1, 7, &idx) || !at_arg_present(c, 1) ||
	    strlen(c->argv[1]) != 1 || !dtmf_digit(c->argv[1][0]))
		return SIM_RES_ERROR;
	call = call_find(m, (unsigned)idx);
	if (!call || call->stat != CALL_ACTIVE)
		return SIM_RES_ERROR;
	send_dtmf(call, c->argv[1]);
	return SIM_RES_OK;
}

const struct at_cmd_def at_call_cmds[] = {
    {.name = "D", .fn = cmd_dial, .needs_sim = true},
    {.name = "A", .fn = cmd_answer},
    {.name = "H", .fn = cmd_hangup},
    {.name = "+CHUP", .fn = cmd_hangup},
    {.name = "+CLCC", .fn = cmd_clcc},
    {.name = "+CHLD", .fn = cmd_chld},
    {.name = "+CLIP", .fn = cmd_clip},
    {.name = "+CRC", .fn = cmd_crc},
    {.name = "+COLP", .fn = cmd_colp},
    {.name = "+CCWA", .fn = cmd_ccwa},
    {.name = "+CNAP", .fn = cmd_cnap},
    {.name = "+CEER", .fn = cmd_ceer},
    {.name = "+VTS", .fn = cmd_vts},
    {.name = "^DTMF", .fn = cmd_hw_dtmf},
    {.name = NULL},
};
