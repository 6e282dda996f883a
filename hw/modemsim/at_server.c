/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* AT port framing: command lines, "> " PDU entry, responses and URCs (V.250 §5,
 * 27.007 §4, 27.005 §3). See at_server.h. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "hw/modemsim/at_server.h"
#include "hw/modemsim/modemsim.h"
#include "hw/modemsim/trace.h"

/* A partial command line younger than this means the client is typing: URCs wait, so
 * they never land inside its echo. Older partial lines (a client that went away
 * mid-line) no longer hold them back. */
#define AT_TYPING_MS 500

#define CTRL_Z 0x1a
#define ESC    0x1b

/* Everything the modem writes goes through here: nothing while the port is gone or the
 * firmware hangs. */
static void out(struct sim_modem *m, const void *buf, size_t len)
{
	if (!m->pty.up || m->faults.hang)
		return;
	sim_pty_write(&m->pty, buf, len);
}

static void out_str(struct sim_modem *m, const char *s)
{
	out(m, s, strlen(s));
}

static void trace_out(struct sim_modem *m, const char *s)
{
	if (m->pty.up && !m->faults.hang)
		trace_add(m->trace, true, s, strlen(s));
}

/* Verbose result codes and URCs: <CR><LF>text<CR><LF> (V.250 §5.7.1). */
static void out_framed(struct sim_modem *m, const char *text)
{
	out_str(m, "\r\n");
	out_str(m, text);
	out_str(m, "\r\n");
	trace_out(m, text);
}

void at_write_raw(struct sim_modem *m, const void *buf, size_t len)
{
	out(m, buf, len);
	if (m->pty.up && !m->faults.hang)
		trace_add(m->trace, true, buf, len);
}

void at_info(struct sim_modem *m, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* Information text opens with one <CR><LF>; each line then ends with one. */
	if (!m->s.info_started)
		out_str(m, "\r\n");
	out_str(m, buf);
	out_str(m, "\r\n");
	trace_out(m, buf);
	m->s.info_started = true;
	m->s.line_had_info = true;
}

/* ---- URCs ---- */

static bool urc_blocked(struct sim_modem *m, unsigned *retry_ms)
{
	*retry_ms = 0;
	if (!m->pty.up || m->faults.hang)
		return true;
	/* Never while the client types a PDU, never inside a command's own output. */
	if (m->s.state == AT_ST_PDU || m->s.executing)
		return true;
	if (m->s.line_len > 0) {
		uint64_t idle = now_ms() - m->s.last_rx_ms;

		if (idle < AT_TYPING_MS) {
			*retry_ms = (unsigned)(AT_TYPING_MS - idle);
			return true;
		}
	}
	return false;
}

static void urc_write(struct sim_modem *m, const char *line, const char *pdu_line, bool raw)
{
	if (raw) {
		out_str(m, line);
		trace_out(m, line);
		return;
	}
	out_framed(m, line);
	if (pdu_line) {
		out_str(m, pdu_line);
		out_str(m, "\r\n");
		trace_out(m, pdu_line);
	}
}

static void urc_free(struct at_urc *u)
{
	llist_del(&u->list);
	talloc_free(u);
}

void at_flush_urcs(struct sim_modem *m)
{
	unsigned retry;

	while (!llist_empty(&m->s.urcs)) {
		struct at_urc *u;

		if (urc_blocked(m, &retry)) {
			if (retry)
				osmo_timer_schedule(&m->s.urc_timer, retry / 1000,
						    (retry % 1000) * 1000);
			return;
		}
		u = llist_first_entry(&m->s.urcs, struct at_urc, list);
		urc_write(m, u->line, u->pdu_line, u->raw);
		urc_free(u);
		m->s.n_urcs--;
	}
}

static void urc_timer_cb(void *data)
{
	at_flush_urcs(data);
}

static void urc_queue(struct sim_modem *m, const char *line, const char *pdu_line, bool raw)
{
	struct at_urc *u;
	unsigned retry;

	/* A port nobody can open loses what the modem says, like a USB modem mid-reset. */
	if (!m->pty.up)
		return;
	if (llist_empty(&m->s.urcs) && !urc_blocked(m, &retry)) {
		urc_write(m, line, pdu_line, raw);
		return;
	}
	if (m->s.n_urcs >= AT_URC_MAX) {
		u = llist_first_entry(&m->s.urcs, struct at_urc, list);
		LOGP(DAT, LOGL_NOTICE, "%s: URC queue full, dropping %s\n", m->name, u->line);
		urc_free(u);
		m->s.n_urcs--;
	}
	u = talloc_zero(m, struct at_urc);
	u->line = talloc_strdup(u, line);
	u->pdu_line = pdu_line ? talloc_strdup(u, pdu_line) : NULL;
	u->raw = raw;
	llist_add_tail(&u->list, &m->s.urcs);
	m->s.n_urcs++;
	at_flush_urcs(m);
}

void at_urc(struct sim_modem *m, const char *line, const char *pdu_line)
{
	urc_queue(m, line, pdu_line, false);
}

void at_urc_raw(struct sim_modem *m, const char *bytes)
{
	urc_queue(m, bytes, NULL, true);
}

/* ---- final results ---- */

static const struct value_string cme_texts[] = {
    {0, "phone failure"},
    {1, "no connection to phone"},
    {2, "phone-adaptor link reserved"},
    {3, "operation not allowed"},
    {4, "operation not supported"},
    {5, "PH-SIM PIN required"},
    {10, "SIM not inserted"},
    {11, "SIM PIN required"},
    {12, "SIM PUK required"},
    {13, "SIM failure"},
    {14, "SIM busy"},
    {15, "SIM wrong"},
    {16, "incorrect password"},
    {20, "memory full"},
    {21, "invalid index"},
    {22, "not found"},
    {23, "memory failure"},
    {24, "text string too long"},
    {25, "invalid characters in text string"},
    {30, "no network service"},
    {31, "network timeout"},
    {32, "network not allowed - emergency calls only"},
    {50, "Incorrect parameters"},
    {100, "unknown"},
    {0, NULL},
};

static const char *cme_text(unsigned code)
{
	const char *t = get_value_string_or_null(cme_texts, code);

	return t ? t : "unknown";
}

static void write_final(struct sim_modem *m, struct sim_res res)
{
	char buf[96];

	if (res.async)
		return;
	switch (res.kind) {
	case AT_RES_OK:
		out_framed(m, "OK");
		break;
	case AT_RES_ERROR:
		out_framed(m, "ERROR");
		break;
	case AT_RES_CME_ERROR:
		if (m->at.cmee == 0)
			snprintf(buf, sizeof(buf), "ERROR");
		else if (m->at.cmee == 2)
			snprintf(buf, sizeof(buf), "+CME ERROR: %s", cme_text(res.code));
		else
			snprintf(buf, sizeof(buf), "+CME ERROR: %u", res.code);
		out_framed(m, buf);
		break;
	case AT_RES_CMS_ERROR:
		snprintf(buf, sizeof(buf), "+CMS ERROR: %u", res.code);
		out_framed(m, buf);
		break;
	case AT_RES_NO_CARRIER:
		out_framed(m, "NO CARRIER");
		break;
	case AT_RES_BUSY:
		out_framed(m, "BUSY");
		break;
	case AT_RES_NO_ANSWER:
		out_framed(m, "NO ANSWER");
		break;
	default: /* the driver's own outcomes: never written by a modem */
		out_framed(m, "ERROR");
		break;
	}
}

static void drain_pending(struct sim_modem *m)
{
	uint8_t buf[AT_PENDING_IN_MAX];
	size_t n = m->s.pending_in_len;

	if (n == 0)
		return;
	memcpy(buf, m->s.pending_in, n);
	m->s.pending_in_len = 0;
	at_input(m, buf, n);
}

void at_finish(struct sim_modem *m, struct sim_res res)
{
	/* Fault: a URC between the information text and the final result code. Real modems
	 * do this, and a client that takes the URC for part of the response misparses. */
	if (m->faults.urc_in_response && m->s.line_had_info && !res.async) {
		m->faults.urc_in_response = false;
		if (!llist_empty(&m->s.urcs)) {
			while (!llist_empty(&m->s.urcs)) {
				struct at_urc *u =
				    llist_first_entry(&m->s.urcs, struct at_urc, list);

				urc_write(m, u->line, u->pdu_line, u->raw);
				urc_free(u);
				m->s.n_urcs--;
			}
		} else {
			char buf[32];

			snprintf(buf, sizeof(buf), "+CREG: %d", sim_modem_reg_cs(m));
			out_framed(m, buf);
		}
	}
	write_final(m, res);
	osmo_timer_del(&m->s.busy_timer);
	m->s.busy_done = NULL;
	m->s.state = AT_ST_CMD;
	m->s.executing = false;
	m->s.info_started = false;
	m->s.line_had_info = false;
	at_flush_urcs(m);
	drain_pending(m);
}

/* ---- command line parsing (V.250 §5.2) ---- */

bool at_arg_present(const struct at_cmd *c, unsigned i)
{
	return i < c->argc && (c->quoted[i] || c->argv[i][0] != '\0');
}

bool at_arg_int(const struct at_cmd *c, unsigned i, long min, long max, long *out)
{
	const char *s;
	long v = 0;

	if (!at_arg_present(c, i) || c->quoted[i])
		return false;
	s = c->argv[i];
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s) || v > 100000000)
			return false;
		v = v * 10 + (*s - '0');
	}
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* Arguments of AT+X=...: comma separated, "quoted" or bare, up to ';' or the end.
 * Terminates them in place; leaves *pp after the ';' (or at the end). */
static int parse_args(char **pp, struct at_cmd *c)
{
	char *p = *pp;

	for (;;) {
		char sep;

		if (c->argc >= AT_MAX_ARGS)
			return -1;
		while (*p == ' ')
			p++;
		if (*p == '"') {
			char *start = ++p;

			while (*p && *p != '"')
				p++;
			if (*p != '"')
				return -1;
			*p++ = '\0';
			while (*p == ' ')
				p++;
			if (*p && *p != ',' && *p != ';')
				return -1;
			c->argv[c->argc] = start;
			c->quoted[c->argc] = true;
			sep = *p;
			if (sep)
				p++;
		} else {
			char *start = p, *end;

			while (*p && *p != ',' && *p != ';' && *p != '"')
				p++;
			if (*p == '"')
				return -1;
			sep = *p;
			end = p;
			while (end > start && end[-1] == ' ')
				end--;
			if (sep)
				p++;
			*end = '\0';
			c->argv[c->argc] = start;
			c->quoted[c->argc] = false;
		}
		c->argc++;
		if (sep != ',')
			break;
	}
	*pp = p;
	return 0;
}

static long parse_digits(char **pp)
{
	char *p = *pp;
	long v = -1;

	while (isdigit((unsigned char)*p)) {
		if (v < 0)
			v = 0;
		if (v < 100000)
			v = v * 10 + (*p - '0');
		p++;
	}
	*pp = p;
	return v;
}

/* ATD: the dial string runs to ';' (a voice call: num 1) or to the end of the line
 * (a data call: num 0), V.250 §6.3.1. */
static int parse_dial(char **pp, char *p, struct at_cmd *c)
{
	size_t n = 0;

	while (*p && *p != ';') {
		if (n >= AT_DIAL_MAX)
			return -1;
		if (*p != ' ')
			c->dial[n++] = *p;
		p++;
	}
	c->dial[n] = '\0';
	c->num = *p == ';' ? 1 : 0;
	if (*p == ';')
		p++;
	c->argc = 1;
	c->argv[0] = c->dial;
	*pp = p;
	return 0;
}

/* One command from a line body. Returns 0, or -1 for a syntax error. */
static int parse_one(char **pp, struct at_cmd *c)
{
	char *p = *pp;
	size_t n = 0;

	memset(c, 0, sizeof(*c));
	c->num = -1;
	if (*p && strchr("+^$#%*", *p)) {
		c->name[n++] = *p++;
		while (isalnum((unsigned char)*p) || *p == '_') {
			if (n < sizeof(c->name) - 1)
				c->name[n++] = (char)toupper((unsigned char)*p);
			p++;
		}
		if (n == 1)
			return -1;
		if (p[0] == '=' && p[1] == '?') {
			c->op = AT_OP_TEST;
			p += 2;
		} else if (p[0] == '?') {
			c->op = AT_OP_READ;
			p++;
		} else if (p[0] == '=') {
			c->op = AT_OP_SET;
			p++;
			if (parse_args(&p, c) < 0)
				return -1;
			*pp = p;
			return 0;
		} else {
			c->op = AT_OP_EXEC;
		}
		while (*p == ' ')
			p++;
		if (*p == ';')
			p++;
		else if (*p)
			return -1;
		*pp = p;
		return 0;
	}
	/* Basic commands: a letter or &letter, an optional number; several may follow each
	 * other without separator (ATE0V1). */
	if (*p == '&') {
		c->name[n++] = *p++;
		if (!isalpha((unsigned char)*p))
			return -1;
	} else if (!isalpha((unsigned char)*p)) {
		return -1;
	}
	c->name[n++] = (char)toupper((unsigned char)*p++);
	c->op = AT_OP_EXEC;
	if (n == 1 && c->name[0] == 'D')
		return parse_dial(pp, p, c);
	if (n == 1 && c->name[0] == 'S') {
		/* S-register: Sn? or Sn=v */
		c->num = parse_digits(&p);
		if (c->num < 0)
			return -1;
		if (*p == '?') {
			c->op = AT_OP_READ;
			p++;
		} else if (*p == '=') {
			long v;

			p++;
			v = parse_digits(&p);
			if (v < 0)
				return -1;
			c->op = AT_OP_SET;
			snprintf(c->sval, sizeof(c->sval), "%ld", v);
			c->argc = 1;
			c->argv[0] = c->sval;
		}
	} else {
		c->num = parse_digits(&p);
	}
	*pp = p;
	return 0;
}

static const struct at_cmd_def *find_def(const char *name)
{
	const struct at_cmd_def *tables[] = {at_general_cmds, at_sms_cmds, at_call_cmds,
					     at_call_vendor_cmds};

	for (size_t t = 0; t < ARRAY_SIZE(tables); t++) {
		for (const struct at_cmd_def *d = tables[t]; d->name; d++) {
			if (strcmp(d->name, name) == 0)
				return d;
		}
	}
	return NULL;
}

static struct sim_res run_commands(struct sim_modem *m, char *p)
{
	struct sim_res res = SIM_RES_OK;

	for (;;) {
		const struct at_cmd_def *d;
		struct at_cmd cmd;

		while (*p == ' ' || *p == ';')
			p++;
		if (*p == '\0')
			break;
		if (parse_one(&p, &cmd) < 0)
			return SIM_RES_ERROR;
		d = find_def(cmd.name);
		if (!d) {
			LOGP(DAT, LOGL_INFO, "%s: unknown command %s\n", m->name, cmd.name);
			return SIM_RES_ERROR;
		}
		m->s.info_started = false;
		if (d->needs_sim && m->pin_locked)
			return d->sms ? SIM_RES_CMS(CMS_SIM_PIN) : SIM_RES_CME(CME_SIM_PIN);
		res = d->fn(m, &cmd);
		/* An error ends the line (V.250 §5.2.1); so does a command that goes on in the
		 * background (a "> " prompt, a submit): the rest of its line is not run. */
		if (res.kind != AT_RES_OK || res.async)
			break;
	}
	return res;
}

/* Where the command line starts: after the first "AT" (either case). Anything before
 * it is line noise and ignored. */
static char *find_prefix(char *line)
{
	for (char *p = line; p[0] && p[1]; p++) {
		if ((p[0] == 'A' || p[0] == 'a') && (p[1] == 'T' || p[1] == 't'))
			return p + 2;
	}
	return NULL;
}

static void execute_line(struct sim_modem *m)
{
	char line[AT_LINE_MAX + 1];
	bool overflow = m->s.line_overflow;
	size_t len = m->s.line_len;
	struct sim_res res;
	char *body;

	memcpy(line, m->s.line, len);
	line[len] = '\0';
	m->s.line_len = 0;
	m->s.line_overflow = false;
	if (len == 0 && !overflow) {
		at_flush_urcs(m);
		return;
	}
	trace_add(m->trace, false, line, len);
	m->command_lines++;
	body = find_prefix(line);
	if (!body && !overflow) {
		/* No "AT": not a command line (V.250 §5.2.1); nothing is answered. */
		at_flush_urcs(m);
		return;
	}
	m->s.executing = true;
	m->s.line_had_info = false;
	if (overflow) {
		LOGP(DAT, LOGL_NOTICE, "%s: command line longer than %d, discarded\n", m->name,
		     AT_LINE_MAX);
		res = SIM_RES_ERROR;
	} else {
		res = run_commands(m, body);
	}
	if (!res.async)
		at_finish(m, res);
}

static void cmd_byte(struct sim_modem *m, uint8_t c)
{
	/* Echo is of what was received, as received, \r included (V.250 §6.2.4). */
	if (m->at.echo)
		out(m, &c, 1);
	m->s.last_rx_ms = now_ms();
	switch (c) {
	case '\r':
		execute_line(m);
		return;
	case '\n':
	case '\0':
		return;
	case 0x08:
	case 0x7f:
		if (m->s.line_len > 0)
			m->s.line_len--;
		return;
	default:
		break;
	}
	if (m->s.line_len < AT_LINE_MAX)
		m->s.line[m->s.line_len++] = (char)c;
	else
		m->s.line_overflow = true;
}

/* ---- PDU entry after "> " (27.005 §3.5.1) ---- */

struct sim_res at_enter_pdu(struct sim_modem *m, enum at_pdu_for what, unsigned tpdu_len)
{
	m->s.state = AT_ST_PDU;
	m->s.pdu_len = 0;
	m->s.pdu_for = what;
	m->s.pdu_tpdu_len = tpdu_len;
	/* The prompt has no line end: the client types right after it. */
	out_str(m, "\r\n> ");
	trace_out(m, "> ");
	return SIM_RES_ASYNC;
}

static void pdu_done(struct sim_modem *m)
{
	uint8_t pdu[SMS_PDU_MAX];
	struct sim_res res;
	int n;

	trace_add(m->trace, false, m->s.pdu, m->s.pdu_len);
	n = sms_hex_decode(pdu, sizeof(pdu), m->s.pdu, m->s.pdu_len);
	m->s.pdu_len = 0;
	if (n < 0) {
		LOGP(DAT, LOGL_INFO, "%s: PDU is not hex: %s\n", m->name, sms_strerror(n));
		at_finish(m, SIM_RES_CMS(CMS_INVALID_PDU_PARAM));
		return;
	}
	res = at_sms_pdu_entered(m, pdu, (size_t)n);
	if (!res.async)
		at_finish(m, res);
}

static void pdu_byte(struct sim_modem *m, uint8_t c)
{
	switch (c) {
	case CTRL_Z:
		pdu_done(m);
		return;
	case ESC:
		/* Cancelled: nothing is sent (27.005 §3.5.1). */
		trace_add(m->trace, false, "<ESC>", 5);
		m->s.pdu_len = 0;
		at_finish(m, SIM_RES_OK);
		return;
	default:
		break;
	}
	if (m->at.echo)
		out(m, &c, 1);
	if (c == '\r' || c == '\n' || c == ' ')
		return;
	if (m->s.pdu_len >= AT_PDU_HEX_MAX) {
		/* Longer than any PDU: not a PDU, back to command mode. */
		trace_add(m->trace, false, m->s.pdu, m->s.pdu_len);
		m->s.pdu_len = 0;
		at_finish(m, SIM_RES_CMS(CMS_INVALID_PDU_PARAM));
		return;
	}
	m->s.pdu[m->s.pdu_len++] = (char)c;
}

/* ---- running commands ---- */

static void busy_timer_cb(void *data)
{
	struct sim_modem *m = data;
	void (*done)(struct sim_modem *) = m->s.busy_done;

	m->s.busy_done = NULL;
	m->s.executing = true;
	if (done)
		done(m);
	else
		at_finish(m, SIM_RES_OK);
}

void at_start_busy(struct sim_modem *m, unsigned ms, void (*done)(struct sim_modem *m))
{
	m->s.state = AT_ST_BUSY;
	m->s.busy_done = done;
	/* While the command waits, URCs that fall due are written at once. */
	m->s.executing = false;
	osmo_timer_schedule(&m->s.busy_timer, ms / 1000, (ms % 1000) * 1000);
	at_flush_urcs(m);
}

void at_start_wait(struct sim_modem *m)
{
	m->s.state = AT_ST_BUSY;
	m->s.busy_done = NULL;
	m->s.executing = false;
	osmo_timer_del(&m->s.busy_timer);
	at_flush_urcs(m);
}

void at_abort_busy(struct sim_modem *m)
{
	if (m->s.state != AT_ST_BUSY)
		return;
	osmo_timer_del(&m->s.busy_timer);
	m->s.busy_done = NULL;
	m->s.state = AT_ST_CMD;
	m->s.executing = false;
	m->s.info_started = false;
	m->s.line_had_info = false;
}

void at_input(struct sim_modem *m, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (m->faults.hang || !m->pty.up)
			return;
		switch (m->s.state) {
		case AT_ST_BUSY:
			/* Typed ahead while a command runs: kept for after its result. */
			if (m->s.pending_in_len < AT_PENDING_IN_MAX)
				m->s.pending_in[m->s.pending_in_len++] = buf[i];
			break;
		case AT_ST_PDU:
			pdu_byte(m, buf[i]);
			break;
		case AT_ST_CMD:
			cmd_byte(m, buf[i]);
			break;
		}
	}
}

/* ---- session lifetime ---- */

void at_session_init(struct sim_modem *m)
{
	memset(&m->s, 0, sizeof(m->s));
	INIT_LLIST_HEAD(&m->s.urcs);
	INIT_LLIST_HEAD(&m->s.held);
	osmo_timer_setup(&m->s.busy_timer, busy_timer_cb, m);
	osmo_timer_setup(&m->s.urc_timer, urc_timer_cb, m);
}

static void free_urc_list(struct llist_head *l)
{
	while (!llist_empty(l))
		urc_free(llist_first_entry(l, struct at_urc, list));
}

void at_session_reset(struct sim_modem *m)
{
	osmo_timer_del(&m->s.busy_timer);
	osmo_timer_del(&m->s.urc_timer);
	free_urc_list(&m->s.urcs);
	free_urc_list(&m->s.held);
	m->s.n_urcs = 0;
	m->s.n_held = 0;
	m->s.state = AT_ST_CMD;
	m->s.line_len = 0;
	m->s.line_overflow = false;
	m->s.pdu_len = 0;
	m->s.pending_in_len = 0;
	m->s.busy_done = NULL;
	m->s.executing = false;
	m->s.info_started = false;
	m->s.line_had_info = false;
}

void at_session_cleanup(struct sim_modem *m)
{
	at_session_reset(m);
}
