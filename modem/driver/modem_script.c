/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* A state's command script (struct modem_step): one command after the other on the
 * modem's channel, each answer handed to the step's parser. The script ends with
 * MODEM_EV_SCRIPT_DONE; a mandatory command that fails ends it with MODEM_EV_FAILED (in
 * ready only after MODEM_T_MAX_ERRORS in a row: health checks), one that gets no answer
 * with modem_cmd_timeout(). Answers that arrive after the modem has changed state
 * (m->gen moved on) are dropped. */
#include <osmocom/core/fsm.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/tdef.h>

#include "modem/driver/modem_internal.h"

/* What an answer needs to find its step: by the time it comes, the modem may have
 * moved on to another state and script. */
struct cmd_ctx {
	struct modem *m;
	unsigned gen;
	unsigned pos;
};

static void script_next(struct modem *m);

static void script_cb(struct at_channel *ch, const struct at_response *resp, void *data)
{
	struct cmd_ctx *c = data;
	struct modem *m = c->m;
	unsigned gen = c->gen, pos = c->pos;
	const struct modem_step *st;

	(void)ch;
	talloc_free(c);
	if (m->stopping || gen != m->gen || resp->result == AT_RES_CLOSED)
		return;
	st = &m->script[pos];
	if (resp->result == AT_RES_TIMEOUT) {
		LOGPFSML(m->fi, LOGL_ERROR, "%s: no answer, the modem hangs\n",
			 st->cmd ? st->cmd : "");
		m->script_running = false;
		modem_cmd_timeout(m);
		return;
	}
	if (resp->result != AT_RES_OK && st->mandatory) {
		LOGPFSML(m->fi, LOGL_ERROR, "%s: %s\n", st->cmd ? st->cmd : "", resp->final_line);
		if (m->fi->state != MODEM_ST_READY) {
			m->script_running = false;
			osmo_fsm_inst_dispatch(m->fi, MODEM_EV_FAILED, NULL);
			return;
		}
		/* In ready, a failing health command counts; a few in a row mean recovery. */
		if (++m->errors_in_row >=
		    osmo_tdef_get(modem_tdefs, MODEM_T_MAX_ERRORS, OSMO_TDEF_CUSTOM, -1)) {
			m->script_running = false;
			osmo_fsm_inst_dispatch(m->fi, MODEM_EV_FAILED, NULL);
			return;
		}
	} else if (resp->result != AT_RES_OK) {
		LOGPFSML(m->fi, LOGL_INFO, "%s: %s (optional, ignored)\n", st->cmd ? st->cmd : "",
			 resp->final_line);
	} else if (st->mandatory) {
		m->errors_in_row = 0;
	}
	if (st->parse)
		st->parse(m, resp);
	if (gen != m->gen)
		return;
	m->script_pos++;
	script_next(m);
}

static void script_next(struct modem *m)
{
	const struct modem_step *st;
	struct cmd_ctx *c;
	char buf[160];
	const char *cmd;

	if (m->script_pos >= m->script_len) {
		m->script_running = false;
		osmo_fsm_inst_dispatch(m->fi, MODEM_EV_SCRIPT_DONE, NULL);
		return;
	}
	st = &m->script[m->script_pos];
	cmd = st->cmd;
	if (st->build) {
		buf[0] = '\0';
		st->build(m, buf, sizeof(buf));
		cmd = buf;
	}
	c = talloc_zero(m, struct cmd_ctx);
	c->m = m;
	c->gen = m->gen;
	c->pos = m->script_pos;
	if (at_channel_cmd(m->ch, cmd, st->expect, 0, script_cb, c) < 0) {
		/* The channel is closed: on_closed has been (or is being) reported. */
		talloc_free(c);
		m->script_running = false;
	}
}

void modem_script_run(struct modem *m, const struct modem_step *steps, unsigned n)
{
	m->script = steps;
	m->script_len = n;
	m->script_pos = 0;
	m->script_running = true;
	script_next(m);
}
