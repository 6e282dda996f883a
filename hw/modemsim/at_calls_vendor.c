/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Each family's own call and audio commands: Quectel +QINDCFG, +QPCMV, +QGPSCFG,
 * +QTONEDET; SIMCom +CPCMREG, +DDET, +CRESET; Huawei ^DDSETEX, ^CVOICE. A command of
 * another family answers ERROR, as the real firmware does. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hw/modemsim/at_server.h"
#include "hw/modemsim/audio.h"
#include "hw/modemsim/calls.h"
#include "hw/modemsim/modemsim.h"
#include "hw/modemsim/profile.h"

static bool family(const struct sim_modem *m, enum voice_family f)
{
	return m->profile->voice == f;
}

/* Fault audio-on-fails: the next switch-on answers ERROR. */
static bool audio_on_fails(struct sim_modem *m)
{
	if (!m->faults.audio_on_fails)
		return false;
	m->faults.audio_on_fails--;
	return true;
}

/* ---- Quectel ---- */

static const char *const qind_types[] = {"all", "csq",	  "smsfull", "ring", "smsincoming",
					 "act", "ccinfo", "mode",    NULL};

static struct sim_res cmd_qindcfg(struct sim_modem *m, const struct at_cmd *c)
{
	const char *const *t;
	long on, save;

	if (!family(m, VOICE_QUECTEL))
		return SIM_RES_ERROR;
	if (c->op == AT_OP_TEST) {
		at_info(m, "+QINDCFG: (\"all\",\"csq\",\"smsfull\",\"ring\",\"smsincoming\","
			   "\"ccinfo\"),(0,1),(0,1)");
		return SIM_RES_OK;
	}
	if (c->op != AT_OP_SET || !c->quoted[0])
		return SIM_RES_ERROR;
	for (t = qind_types; *t && strcasecmp(*t, c->argv[0]) != 0; t++)
		;
	if (!*t)
		return SIM_RES_CME(CME_INCORRECT_PARAMS);
	if (c->argc == 1) {
		at_info(m, "+QINDCFG: \"%s\",%u", *t, strcmp(*t, "ccinfo") == 0 ? m->at.ccinfo : 1);
		return SIM_RES_OK;
	}
	if (!at_arg_int(c, 1, 0, 1, &on) ||
	    (at_arg_present(c, 2) && !at_arg_int(c, 2, 0, 1, &save)))
		return SIM_RES_CME(CME_INCORRECT_PARAMS);
	if (strcmp(*t, "ccinfo") == 0)
		m->at.ccinfo = (uint8_t)on;
	return SIM_RES_OK;
}

static struct sim_res cmd_qpcmv(struct sim_modem *m, const struct at_cmd *c)
{
	long on, port = 0;

	if (!family(m, VOICE_QUECTEL))
		return SIM_RES_ERROR;
	switch (c->op) {
	case AT_OP_READ:
		if (m->voice.qpcmv)
			at_info(m, "+QPCMV: 1,%u", m->voice.qpcmv_port);
		else
			at_info(m, "+QPCMV: 0");
		return SIM_RES_OK;
	case AT_OP_TEST:
		at_info(m, "+QPCMV: (0,1),(0-2)");
		return SIM_RES_OK;
	case AT_OP_SET:
		if (!at_arg_int(c, 0, 0, 1, &on) ||
		    (at_arg_present(c, 1) && !at_arg_int(c, 1, 0, 2, &port)))
			return SIM_RES_CME(CME_INCORRECT_PARAMS);
		if (on && audio_on_fails(m))
			return SIM_RES_ERROR;
		m->voice.qpcmv = on;
		m->voice.qpcmv_port = on ? (uint8_t)port : 0;
		audio_update(m);
		return SIM_RES_OK;
	default:
		return SIM_RES_ERROR;
	}
}

static struct sim_res cmd_qgpscfg(struct sim_modem *m, const struct at_cmd *c)
{
	if (!family(m, VOICE_QUECTEL))
		return SIM_RES_ERROR;
	if (c->op == AT_OP_TEST) {
		at_info(m, "+QGPSCFG: \"outport\",(\"none\",\"usbnmea\",\"uartdebug\")");
		return SIM_RES_OK;
	}
	if (c->op != AT_OP_SET || !c->quoted[0])
		return SIM_RES_ERROR;
	/* Other GPS settings are accepted; only where NMEA goes matters here. */
	if (strcasecmp(c->argv[0], "outport") != 0)
		return SIM_RES_OK;
	if (c->argc == 1) {
		at_info(m, "+QGPSCFG: \"outport\",\"%s\"",
			m->voice.gps_outport_none ? "none" : "usbnmea");
		return SIM_RES_OK;
	}
	if (strcasecmp(c->argv[1], "none") != 0 && strcasecmp(c->argv[1], "usbnmea") != 0 &&
	    strcasecmp(c->argv[1], "uartdebug") != 0)
		return SIM_RES_CME(CME_INCORRECT_PARAMS);
	m->voice.gps_outport_none = strcasecmp(c->argv[1], "none") == 0;
	audio_update(m);
	return SIM_RES_OK;
}

static struct sim_res flag(struct sim_modem *m, const struct at_cmd *c, const char *name,
			   uint8_t *v)
{
	long n;

	switch (c->op) {
	case AT_OP_READ:
		at_info(m, "%s: %u", name, *v);
		return SIM_RES_OK;
	case AT_OP_TEST:
		at_info(m, "%s: (0,1)", name);
		return SIM_RES_OK;
	case AT_OP_SET:
		if (!at_arg_int(c, 0, 0, 1, &n))
			return SIM_RES_CME(CME_INCORRECT_PARAMS);
		*v = (uint8_t)n;
		return SIM_RES_OK;
	default:
		return SIM_RES_ERROR;
	}
}

static struct sim_res cmd_qtonedet(struct sim_modem *m, const struct at_cmd *c)
{
	if (!family(m, VOICE_QUECTEL))
		return SIM_RES_ERROR;
	return flag(m, c, "+QTONEDET", &m->at.qtonedet);
}

/* ---- SIMCom ---- */

static struct sim_res cpcmreg_on(struct sim_modem *m)
{
	if (m->voice.n_calls == 0 || audio_on_fails(m))
		return SIM_RES_ERROR;
	/* A degraded audio endpoint fails the first try of each call; the retry is "OK"
	 * and the call stays silent both ways. */
	if (m->faults.audio_degraded && !m->faults.audio_dead_tried) {
		m->faults.audio_dead_tried = true;
		return SIM_RES_ERROR;
	}
	m->voice.cpcmreg = true;
	audio_update(m);
	return SIM_RES_OK;
}

static struct sim_res cmd_cpcmreg(struct sim_modem *m, const struct at_cmd *c)
{
	long on, mode;

	if (!family(m, VOICE_SIMCOM))
		return SIM_RES_ERROR;
	switch (c->op) {
	case AT_OP_READ:
		at_info(m, "+CPCMREG: %d", m->voice.cpcmreg ? 1 : 0);
		return SIM_RES_OK;
	case AT_OP_TEST:
		at_info(m, "+CPCMREG: (0-1)");
		return SIM_RES_OK;
	case AT_OP_SET:
		if (!at_arg_int(c, 0, 0, 1, &on) ||
		    (at_arg_present(c, 1) && !at_arg_int(c, 1, 0, 1, &mode)))
			return SIM_RES_CME(CME_INCORRECT_PARAMS);
		if (on)
			return cpcmreg_on(m);
		if (m->voice.cpcmreg && m->faults.audio_dead)
			m->faults.audio_degraded = true;
		m->voice.cpcmreg = false;
		audio_update(m);
		return SIM_RES_OK;
	default:
		return SIM_RES_ERROR;
	}
}

static struct sim_res cmd_ddet(struct sim_modem *m, const struct at_cmd *c)
{
	if (!family(m, VOICE_SIMCOM))
		return SIM_RES_ERROR;
	return flag(m, c, "+DDET", &m->at.ddet);
}

static struct sim_res cmd_creset(struct sim_modem *m, const struct at_cmd *c)
{
	if (!family(m, VOICE_SIMCOM))
		return SIM_RES_ERROR;
	if (c->op == AT_OP_TEST)
		return SIM_RES_OK;
	if (c->op != AT_OP_EXEC)
		return SIM_RES_ERROR;
	/* The USB re-enumeration is what clears a degraded audio endpoint. */
	m->faults.audio_degraded = false;
	m->faults.audio_dead_tried = false;
	sim_modem_schedule_reset(m);
	return SIM_RES_OK;
}

/* ---- Huawei ---- */

static struct sim_res cmd_ddsetex(struct sim_modem *m, const struct at_cmd *c)
{
	long port;

	if (!family(m, VOICE_HUAWEI))
		return SIM_RES_ERROR;
	if (c->op == AT_OP_TEST) {
		at_info(m, "^DDSETEX: (2)");
		return SIM_RES_OK;
	}
	if (c->op != AT_OP_SET || !at_arg_int(c, 0, 2, 2, &port))
		return SIM_RES_ERROR;
	if (m->voice.n_calls == 0 || audio_on_fails(m))
		return SIM_RES_ERROR;
	m->voice.ddsetex = true;
	audio_update(m);
	return SIM_RES_OK;
}

static struct sim_res cmd_cvoice(struct sim_modem *m, const struct at_cmd *c)
{
	long v;

	if (!family(m, VOICE_HUAWEI))
		return SIM_RES_ERROR;
	switch (c->op) {
	case AT_OP_READ:
		/* Voice supported, 8000 Hz, 16 bits, 20 ms frames. */
		at_info(m, "^CVOICE: 0,8000,16,20");
		return SIM_RES_OK;
	case AT_OP_TEST:
		at_info(m, "^CVOICE: (0)");
		return SIM_RES_OK;
	case AT_OP_SET:
		return at_arg_int(c, 0, 0, 0, &v) ? SIM_RES_OK : SIM_RES_ERROR;
	default:
		return SIM_RES_ERROR;
	}
}

const struct at_cmd_def at_call_vendor_cmds[] = {
    {.name = "+QINDCFG", .fn = cmd_qindcfg}, {.name = "+QPCMV", .fn = cmd_qpcmv},
    {.name = "+QGPSCFG", .fn = cmd_qgpscfg}, {.name = "+QTONEDET", .fn = cmd_qtonedet},
    {.name = "+CPCMREG", .fn = cmd_cpcmreg}, {.name = "+DDET", .fn = cmd_ddet},
    {.name = "+CRESET", .fn = cmd_creset},   {.name = "^DDSETEX", .fn = cmd_ddsetex},
    {.name = "^CVOICE", .fn = cmd_cvoice},   {.name = NULL},
};
