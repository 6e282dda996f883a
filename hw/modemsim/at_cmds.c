/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* General commands: V.250 basics and 27.007 identity, SIM, network and power. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/utils.h>

#include "hw/modemsim/at_server.h"
#include "hw/modemsim/modemsim.h"
#include "hw/modemsim/profile.h"

#define OPERATOR_NAME  "Chaperone"
#define OPERATOR_SHORT "Chaprn"
#define OPERATOR_PLMN  "00101"
#define SIM_PIN	       "1234"

/* ---- V.250 basic commands ---- */

static struct sim_res cmd_echo(struct sim_modem *m, const struct at_cmd *c)
{
	if (c->num > 1)
		return SIM_RES_ERROR;
	m->at.echo = c->num == 1;
	return SIM_RES_OK;
}

/* Only verbose result codes (V1) and result codes on (Q0) are offered. */
static struct sim_res cmd_verbose(struct sim_modem *m, const struct at_cmd *c)
{
	(void)m;
	return (c->num == -1 || c->num == 1) ? SIM_RES_OK : SIM_RES_ERROR;
}

static struct sim_res cmd_quiet(struct sim_modem *m, const struct at_cmd *c)
{
	(void)m;
	return (c->num == -1 || c->num == 0) ? SIM_RES_OK : SIM_RES_ERROR;
}

static struct sim_res cmd_defaults(struct sim_modem *m, const struct at_cmd *c)
{
	if (c->num > 0)
		return SIM_RES_ERROR;
	sim_modem_at_defaults(m);
	return SIM_RES_OK;
}

/* Accepted and without effect here: &C, &D, &W, X, L, M. */
static struct sim_res cmd_accept(struct sim_modem *m, const struct at_cmd *c)
{
	(void)m;
	(void)c;
	return SIM_RES_OK;
}

static struct sim_res cmd_ati(struct sim_modem *m, const struct at_cmd *c)
{
	(void)c;
	for (const char *const *l = m->profile->ati; *l; l++) {
		const char *imei = strstr(*l, "%IMEI%");

		if (imei)
			at_info(m, "%.*s%s", (int)(imei - *l), *l, m->imei);
		else
			at_info(m, "%s", *l);
	}
	return SIM_RES_OK;
}

static struct sim_res cmd_sreg(struct sim_modem *m, const struct at_cmd *c)
{
	long v;

	if (c->num < 0 || c->num >= (long)sizeof(m->at.sreg))
		return SIM_RES_ERROR;
	if (c->op == AT_OP_READ) {
		at_info(m, "%03u", m->at.sreg[c->num]);
		return SIM_RES_OK;
	}
	if (c->op == AT_OP_SET) {
		if (!at_arg_int(c, 0, 0, 255, &v))
			return SIM_RES_ERROR;
		m->at.sreg[c->num] = (uint8_t)v;
	}
	return SIM_RES_OK;
}

/* ---- identity ---- */

static struct sim_res cmd_cgmi(struct sim_modem *m, const struct at_cmd *c)
{
	if (c->op == AT_OP_TEST)
		return SIM_RES_OK;
	if (c->op != AT_OP_EXEC)
		return SIM_RES_ERROR;
	at_info(m, "%s", m->profile->manufacturer);
	return SIM_RES_OK;
}

static struct sim_res cmd_cgmm(struct sim_modem *m, const struct at_cmd *c)
{
	if (c->op == AT_OP_TEST)
		return SIM_RES_OK;
	if (c->op != AT_OP_EXEC)
		return SIM_RES_ERROR;
	at_info(m, "%s", m->profile->model);
	return SIM_RES_OK;
}

static struct sim_res cmd_cgmr(struct sim_modem *m, const struct at_cmd *c)
{
	if (c->op == AT_OP_TEST)
		return SIM_RES_OK;
	if (c->op != AT_OP_EXEC)
		return SIM_RES_ERROR;
	at_info(m, "%s%s", m->profile->cgmr_prefix ? m->profile->cgmr_prefix : "",
		m->profile->revision);
	return SIM_RES_OK;
}

static struct sim_res cmd_cgsn(struct sim_modem *m, const struct at_cmd *c)
{
	long snt = 0;

	if (c->op == AT_OP_TEST)
		return SIM_RES_OK;
	if (c->op == AT_OP_SET && !at_arg_int(c, 0, 0, 1, &snt))
		return SIM_RES_CME(CME_INCORRECT_PARAMS);
	if (c->op == AT_OP_READ)
		return SIM_RES_ERROR;
	if (snt == 1)
		at_info(m, "+CGSN: \"%s\"", m->imei);
	else
		at_info(m, "%s", m->imei);
	return SIM_RES_OK;
}

static struct sim_res cmd_cimi(struct sim_modem *m, const struct at_cmd *c)
{
	if (c->op == AT_OP_TEST)
		return SIM_RES_OK;
	if (c->op != AT_OP_EXEC)
		return SIM_RES_ERROR;
	at_info(m, "%s", m->imsi);
	return SIM_RES_OK;
}

static struct sim_res cmd_ccid(struct sim_modem *m, const struct at_cmd *c)
{
	if (c->op == AT_OP_TEST)
		return SIM_RES_OK;
	if (c->op != AT_OP_EXEC && c->op != AT_OP_READ)
		return SIM_RES_ERROR;
	/* ICCID: 89 (telecom), country 01, then the IMSI's subscriber part. */
	at_info(m, "89010%s", m->imsi + 1);
	return SIM_RES_OK;
}

static struct sim_res cmd_cnum(struct sim_modem *m, const struct at_cmd *c)
{
	if (c->op == AT_OP_TEST)
		return SIM_RES_OK;
	if (c->op != AT_OP_EXEC)
		return SIM_RES_ERROR;
	at_info(m, "+CNUM: \"\",\"%s\",%u", m->msisdn, m->msisdn[0] == '+' ? 145 : 129);
	return SIM_RES_OK;
}

static struct sim_res cmd_gcap(struct sim_modem *m, const struct at_cmd *c)
{
	if (c->op == AT_OP_TEST)
		return SIM_RES_OK;
	at_info(m, "+GCAP: +CGSM");
	return SIM_RES_OK;
}

/* ---- error reporting ---- */

static struct sim_res cmd_cmee(struct sim_modem *m, const struct at_cmd *c)
{
	long v;

	switch (c->op) {
	case AT_OP_READ:
		at_info(m, "+CMEE: %u", m->at.cmee);
		return SIM_RES_OK;
	case AT_OP_TEST:
		at_info(m, "+CMEE: (0-2)");
		return SIM_RES_OK;
	case AT_OP_SET:
		if (!at_arg_int(c, 0, 0, 2, &v))
			return SIM_RES_CME(CME_INCORRECT_PARAMS);
		m->at.cmee = (uint8_t)v;
		return SIM_RES_OK;
	default:
		m->at.cmee = 0;
		return SIM_RES_OK;
	}
}

/* ---- SIM ---- */

static struct sim_res cmd_cpin(struct sim_modem *m, const struct at_cmd *c)
{
	switch (c->op) {
	case AT_OP_READ:
		at_info(m, "+CPIN: %s", m->pin_locked ? "SIM PIN" : "READY");
		return SIM_RES_OK;
	case AT_OP_TEST:
		return SIM_RES_OK;
	case AT_OP_SET:
		if (!at_arg_present(c, 0))
			return SIM_RES_CME(CME_INCORRECT_PARAMS);
		if (!m->pin_locked)
			return SIM_RES_CME(CME_NOT_ALLOWED);
		if (strcmp(c->argv[0], SIM_PIN) != 0)
			return SIM_RES_CME(CME_INCORRECT_PASSWORD);
		m->pin_locked = false;
		LOGP(DAT, LOGL_INFO, "%s: SIM PIN entered\n", m->name);
		/* Registration (and its URC) follows the OK, as on a real network. */
		sim_modem_registration_changed(m);
		return SIM_RES_OK;
	default:
		return SIM_RES_ERROR;
	}
}

/* ---- network ---- */

static struct sim_res reg_cmd(struct sim_modem *m, const struct at_cmd *c, const char *name,
			      uint8_t *n)
{
	char buf[80];
	long v;

	switch (c->op) {
	case AT_OP_READ:
		sim_modem_format_reg(m, buf, sizeof(buf), name, false);
		at_info(m, "%s", buf);
		return SIM_RES_OK;
	case AT_OP_TEST:
		at_info(m, "%s: (0-2)", name);
		return SIM_RES_OK;
	case AT_OP_SET:
		if (!at_arg_int(c, 0, 0, 2, &v))
			return SIM_RES_CME(CME_INCORRECT_PARAMS);
		*n = (uint8_t)v;
		return SIM_RES_OK;
	default:
		*n = 0;
		return SIM_RES_OK;
	}
}

static struct sim_res cmd_creg(struct sim_modem *m, const struct at_cmd *c)
{
	return reg_cmd(m, c, "+CREG", &m->at.creg_n);
}

static struct sim_res cmd_cgreg(struct sim_modem *m, const struct at_cmd *c)
{
	return reg_cmd(m, c, "+CGREG", &m->at.cgreg_n);
}

static struct sim_res cmd_cereg(struct sim_modem *m, const struct at_cmd *c)
{
	/* 2G and 3G modems do not know EPS. */
	if (!m->profile->lte)
		return SIM_RES_ERROR;
	return reg_cmd(m, c, "+CEREG", &m->at.cereg_n);
}

static struct sim_res cmd_csq(struct sim_modem *m, const struct at_cmd *c)
{
	if (c->op == AT_OP_TEST) {
		at_info(m, "+CSQ: (0-31,99),(0-7,99)");
		return SIM_RES_OK;
	}
	if (c->op != AT_OP_EXEC)
		return SIM_RES_ERROR;
	if (sim_modem_attached(m))
		at_info(m, "+CSQ: 21,99");
	else
		at_info(m, "+CSQ: 99,99");
	return SIM_RES_OK;
}

static struct sim_res cmd_cops(struct sim_modem *m, const struct at_cmd *c)
{
	long mode, format;

	switch (c->op) {
	case AT_OP_READ:
		if (!sim_modem_attached(m)) {
			at_info(m, "+COPS: 0");
		} else {
			const char *oper = m->at.cops_format == 2   ? OPERATOR_PLMN
					   : m->at.cops_format == 1 ? OPERATOR_SHORT
								    : OPERATOR_NAME;

			/* 2G-only modules do not print the access technology. */
			if (m->profile->act)
				at_info(m, "+COPS: 0,%u,\"%s\",%u", m->at.cops_format, oper,
					m->profile->act);
			else
				at_info(m, "+COPS: 0,%u,\"%s\"", m->at.cops_format, oper);
		}
		return SIM_RES_OK;
	case AT_OP_TEST:
		at_info(m, "+COPS: (2,\"%s\",\"%s\",\"%s\",%u),,(0-4),(0-2)", OPERATOR_NAME,
			OPERATOR_SHORT, OPERATOR_PLMN, m->profile->act);
		return SIM_RES_OK;
	case AT_OP_SET:
		if (!at_arg_int(c, 0, 0, 4, &mode))
			return SIM_RES_CME(CME_INCORRECT_PARAMS);
		if (at_arg_present(c, 1)) {
			if (!at_arg_int(c, 1, 0, 2, &format))
				return SIM_RES_CME(CME_INCORRECT_PARAMS);
			m->at.cops_format = (uint8_t)format;
		}
		return SIM_RES_OK;
	default:
		return SIM_RES_OK;
	}
}

static struct sim_res cmd_cgatt(struct sim_modem *m, const struct at_cmd *c)
{
	long v;

	switch (c->op) {
	case AT_OP_READ:
		at_info(m, "+CGATT: %d", sim_modem_attached(m) ? 1 : 0);
		return SIM_RES_OK;
	case AT_OP_TEST:
		at_info(m, "+CGATT: (0,1)");
		return SIM_RES_OK;
	case AT_OP_SET:
		/* Packet data is not simulated; attaching and detaching leave SMS alone. */
		if (!at_arg_int(c, 0, 0, 1, &v))
			return SIM_RES_CME(CME_INCORRECT_PARAMS);
		return sim_modem_attached(m) ? SIM_RES_OK : SIM_RES_CME(CME_NO_NETWORK);
	default:
		return SIM_RES_ERROR;
	}
}

/* USSD: result codes can be switched on and off; sessions themselves are not simulated. */
static struct sim_res cmd_cusd(struct sim_modem *m, const struct at_cmd *c)
{
	long v;

	switch (c->op) {
	case AT_OP_READ:
		at_info(m, "+CUSD: %u", m->at.cusd_n);
		return SIM_RES_OK;
	case AT_OP_TEST:
		at_info(m, "+CUSD: (0-2)");
		return SIM_RES_OK;
	case AT_OP_SET:
		if (!at_arg_int(c, 0, 0, 2, &v))
			return SIM_RES_CME(CME_INCORRECT_PARAMS);
		if (at_arg_present(c, 1))
			return SIM_RES_CME(CME_NOT_SUPPORTED);
		m->at.cusd_n = (uint8_t)v;
		return SIM_RES_OK;
	default:
		return SIM_RES_ERROR;
	}
}

/* ---- power ---- */

static struct sim_res cmd_cfun(struct sim_modem *m, const struct at_cmd *c)
{
	long fun, rst = 0;

	switch (c->op) {
	case AT_OP_READ:
		at_info(m, "+CFUN: %u", m->cfun);
		return SIM_RES_OK;
	case AT_OP_TEST:
		at_info(m, "+CFUN: (0,1,4),(0,1)");
		return SIM_RES_OK;
	case AT_OP_SET:
		if (!at_arg_int(c, 0, 0, 4, &fun) || fun == 2 || fun == 3)
			return SIM_RES_CME(CME_INCORRECT_PARAMS);
		if (at_arg_present(c, 1) && !at_arg_int(c, 1, 0, 1, &rst))
			return SIM_RES_CME(CME_INCORRECT_PARAMS);
		if (rst) {
			/* OK first, then the modem reboots and its USB port goes away. */
			sim_modem_schedule_reset(m);
			return SIM_RES_OK;
		}
		m->cfun = (uint8_t)fun;
		sim_modem_registration_changed(m);
		return SIM_RES_OK;
	default:
		return SIM_RES_ERROR;
	}
}

static struct sim_res cmd_cpas(struct sim_modem *m, const struct at_cmd *c)
{
	if (c->op == AT_OP_TEST) {
		at_info(m, "+CPAS: (0-5)");
		return SIM_RES_OK;
	}
	at_info(m, "+CPAS: 0");
	return SIM_RES_OK;
}

/* ---- character set, clock, serial ---- */

static struct sim_res cmd_cscs(struct sim_modem *m, const struct at_cmd *c)
{
	static const char *const sets[] = {"GSM", "IRA", "UCS2"};

	switch (c->op) {
	case AT_OP_READ:
		at_info(m, "+CSCS: \"%s\"", m->at.cscs);
		return SIM_RES_OK;
	case AT_OP_TEST:
		at_info(m, "+CSCS: (\"GSM\",\"IRA\",\"UCS2\")");
		return SIM_RES_OK;
	case AT_OP_SET:
		for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
			if (c->argc >= 1 && strcasecmp(c->argv[0], sets[i]) == 0) {
				OSMO_STRLCPY_ARRAY(m->at.cscs, sets[i]);
				return SIM_RES_OK;
			}
		}
		return SIM_RES_CME(CME_NOT_SUPPORTED);
	default:
		return SIM_RES_OK;
	}
}

static struct sim_res cmd_cclk(struct sim_modem *m, const struct at_cmd *c)
{
	time_t now = time(NULL);
	struct tm tm;
	long q;

	if (c->op == AT_OP_SET || c->op == AT_OP_TEST)
		return SIM_RES_OK;
	if (c->op != AT_OP_READ)
		return SIM_RES_ERROR;
	localtime_r(&now, &tm);
	q = tm.tm_gmtoff / 900;
	at_info(m, "+CCLK: \"%02d/%02d/%02d,%02d:%02d:%02d%c%02ld\"", tm.tm_year % 100,
		tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, q < 0 ? '-' : '+',
		q < 0 ? -q : q);
	return SIM_RES_OK;
}

static struct sim_res cmd_ipr(struct sim_modem *m, const struct at_cmd *c)
{
	switch (c->op) {
	case AT_OP_READ:
		at_info(m, "+IPR: 115200");
		return SIM_RES_OK;
	case AT_OP_TEST:
		at_info(m, "+IPR: (),(0,9600,19200,38400,57600,115200,230400,460800,921600)");
		return SIM_RES_OK;
	default:
		return SIM_RES_OK;
	}
}

/* Huawei: switch periodic ^RSSI/^MODE reports; only Huawei modems know it. */
static struct sim_res cmd_curc(struct sim_modem *m, const struct at_cmd *c)
{
	long v;

	if (!m->profile->huawei)
		return SIM_RES_ERROR;
	switch (c->op) {
	case AT_OP_READ:
		at_info(m, "^CURC: %u", m->at.curc);
		return SIM_RES_OK;
	case AT_OP_TEST:
		at_info(m, "^CURC: (0-1)");
		return SIM_RES_OK;
	case AT_OP_SET:
		if (!at_arg_int(c, 0, 0, 1, &v))
			return SIM_RES_CME(CME_INCORRECT_PARAMS);
		m->at.curc = (uint8_t)v;
		return SIM_RES_OK;
	default:
		return SIM_RES_ERROR;
	}
}

/* Huawei: which of its ports gets URCs (0 modem port, 1 PC UI port). The simulated
 * modem has one port, which gets them either way. */
static struct sim_res cmd_portsel(struct sim_modem *m, const struct at_cmd *c)
{
	long v;

	if (!m->profile->huawei)
		return SIM_RES_ERROR;
	switch (c->op) {
	case AT_OP_READ:
		at_info(m, "^PORTSEL: %u", m->at.portsel);
		return SIM_RES_OK;
	case AT_OP_TEST:
		at_info(m, "^PORTSEL: (0-1)");
		return SIM_RES_OK;
	case AT_OP_SET:
		if (!at_arg_int(c, 0, 0, 1, &v))
			return SIM_RES_CME(CME_INCORRECT_PARAMS);
		m->at.portsel = (uint8_t)v;
		return SIM_RES_OK;
	default:
		return SIM_RES_ERROR;
	}
}

const struct at_cmd_def at_general_cmds[] = {
    {.name = "E", .fn = cmd_echo},
    {.name = "V", .fn = cmd_verbose},
    {.name = "Q", .fn = cmd_quiet},
    {.name = "Z", .fn = cmd_defaults},
    {.name = "&F", .fn = cmd_defaults},
    {.name = "&C", .fn = cmd_accept},
    {.name = "&D", .fn = cmd_accept},
    {.name = "&W", .fn = cmd_accept},
    {.name = "X", .fn = cmd_accept},
    {.name = "L", .fn = cmd_accept},
    {.name = "M", .fn = cmd_accept},
    {.name = "I", .fn = cmd_ati},
    {.name = "S", .fn = cmd_sreg},
    {.name = "+CGMI", .fn = cmd_cgmi},
    {.name = "+GMI", .fn = cmd_cgmi},
    {.name = "+CGMM", .fn = cmd_cgmm},
    {.name = "+GMM", .fn = cmd_cgmm},
    {.name = "+CGMR", .fn = cmd_cgmr},
    {.name = "+GMR", .fn = cmd_cgmr},
    {.name = "+CGSN", .fn = cmd_cgsn},
    {.name = "+GSN", .fn = cmd_cgsn},
    {.name = "+GCAP", .fn = cmd_gcap},
    {.name = "+CIMI", .fn = cmd_cimi, .needs_sim = true},
    {.name = "+CCID", .fn = cmd_ccid, .needs_sim = true},
    {.name = "+CNUM", .fn = cmd_cnum, .needs_sim = true},
    {.name = "+CMEE", .fn = cmd_cmee},
    {.name = "+CPIN", .fn = cmd_cpin},
    {.name = "+CREG", .fn = cmd_creg},
    {.name = "+CGREG", .fn = cmd_cgreg},
    {.name = "+CEREG", .fn = cmd_cereg},
    {.name = "+CSQ", .fn = cmd_csq},
    {.name = "+COPS", .fn = cmd_cops},
    {.name = "+CFUN", .fn = cmd_cfun},
    {.name = "+CPAS", .fn = cmd_cpas},
    {.name = "+CGATT", .fn = cmd_cgatt},
    {.name = "+CUSD", .fn = cmd_cusd},
    {.name = "+CSCS", .fn = cmd_cscs},
    {.name = "+CCLK", .fn = cmd_cclk},
    {.name = "+IPR", .fn = cmd_ipr},
    {.name = "^CURC", .fn = cmd_curc},
    {.name = "^PORTSEL", .fn = cmd_portsel},
    {.name = NULL},
};
