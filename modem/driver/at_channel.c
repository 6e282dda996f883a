/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* One AT command channel on libosmocore's event loop: framing, the command queue, the
 * "> " prompt, URC routing and a port that vanishes. See at_channel.h for the promises.
 *
 * Re-entrancy: every user callback may queue commands or close the channel. Each entry
 * point (fd, timers, public calls that may call back) counts itself in `depth`, and
 * at_channel_close() called underneath only shuts the channel down; the memory is freed
 * when the outermost entry returns. After every callback the code checks `closed`. */
#include "modem/driver/at_channel.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include <talloc.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/serial.h>
#include <osmocom/core/tdef.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include "modem/driver/modem_log.h"
#include "modem/driver/serial_lock.h"

/* Longest line kept; longer ones are line noise (a +CMGL line with a 176-octet PDU is
 * under 400 characters). */
#define AT_LINE_MAX 4096

#define CTRL_Z "\x1a"
#define ESC    "\x1b"

#define LOGCH(ch, level, fmt, args...) LOGP(DAT, level, "%s: " fmt, (ch)->name, ##args)

/* .val is set as well as .default_val so that the defaults hold without a call to
 * osmo_tdefs_reset(), which would undo a configuration read before the first open. */
struct osmo_tdef at_channel_tdefs[] = {
    {.T = AT_T_DEFAULT,
     .default_val = 10000,
     .val = 10000,
     .unit = OSMO_TDEF_MS,
     .desc = "AT command timeout"},
    {.T = AT_T_PROMPT,
     .default_val = 5000,
     .val = 5000,
     .unit = OSMO_TDEF_MS,
     .desc = "wait for the \"> \" prompt after AT+CMGS=n / AT+CMGW=n"},
    {.T = AT_T_SUBMIT,
     .default_val = 60000,
     .val = 60000,
     .unit = OSMO_TDEF_MS,
     .desc = "wait for the result of a PDU sent after the prompt"},
    {.T = AT_T_ESCAPE,
     .default_val = 300,
     .val = 300,
     .unit = OSMO_TDEF_MS,
     .desc = "quiet time after ESC: the answer of a cancelled PDU entry is not a command's"},
    {},
};

enum phase {
	PH_IDLE,   /* nothing written */
	PH_FINAL,  /* command written, waiting for its final result */
	PH_PROMPT, /* AT+CMGS=n written, waiting for "> " */
	PH_SUBMIT, /* PDU written, waiting for its final result */
};

struct at_cmd {
	struct llist_head list;
	char *cmd;
	char *expect; /* NULL: no information-line prefix to claim */
	char *pdu;    /* NULL: no prompt */
	unsigned timeout_ms;
	at_response_cb cb;
	at_written_cb written; /* the PDU went to the port (NULL: nobody asks) */
	bool call;	       /* ATD or ATA: a call's result (NO CARRIER, BUSY...) ends it */
	void *data;
	char **lines; /* talloc'd under the command */
	unsigned n_lines;
};

struct urc_handler {
	struct llist_head list;
	char *prefix;
	size_t prefix_len;
	bool has_pdu;
	at_urc_cb cb;
	void *data;
};

struct at_channel {
	char *name;
	struct osmo_fd ofd;
	struct serial_lock lock; /* the port's lock, when at_channel_open_port() opened it */
	struct at_channel_ops ops;
	void *data;

	bool closed;	   /* port gone or closed: no I/O, no new commands */
	bool free_pending; /* at_channel_close() was called */
	unsigned depth;	   /* entries on the stack; free only at 0 */

	struct llist_head queue; /* struct at_cmd not yet written */
	struct at_cmd *cur;	 /* in flight, NULL when phase is PH_IDLE */
	enum phase phase;
	struct osmo_timer_list timer;	   /* the in-flight command's timeout */
	struct osmo_timer_list gone_timer; /* reports a write error from the loop */
	/* After ESC, nothing is written until hold_timer fires: a modem that was in PDU
	 * entry answers the ESC with a result that must not complete our next command. */
	struct osmo_timer_list hold_timer;
	bool holding;
	uint64_t stray_prompts;
	int gone_errno;

	/* What was last written, to recognise its echo. */
	char *echo_cmd;
	char *echo_pdu;

	struct llist_head urcs;	     /* struct urc_handler */
	struct urc_handler *urc_pdu; /* waiting for the PDU line of this URC */
	char *urc_line;		     /* ... whose header line was this */

	char line[AT_LINE_MAX + 1];
	size_t line_len;
	bool discarding; /* inside an overlong line: drop until its end */
	uint64_t noise;

	uint8_t *out; /* bytes the fd did not take yet */
	size_t out_len;
};

const char *at_result_name(enum at_result r)
{
	switch (r) {
	case AT_RES_OK:
		return "OK";
	case AT_RES_ERROR:
		return "ERROR";
	case AT_RES_CMS_ERROR:
		return "+CMS ERROR";
	case AT_RES_CME_ERROR:
		return "+CME ERROR";
	case AT_RES_NO_CARRIER:
		return "NO CARRIER";
	case AT_RES_BUSY:
		return "BUSY";
	case AT_RES_NO_ANSWER:
		return "NO ANSWER";
	case AT_RES_NO_DIALTONE:
		return "NO DIALTONE";
	case AT_RES_TIMEOUT:
		return "timeout";
	case AT_RES_CLOSED:
		return "closed";
	}
	return "?";
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void enter(struct at_channel *ch)
{
	ch->depth++;
}

static void leave(struct at_channel *ch)
{
	if (--ch->depth == 0 && ch->free_pending)
		talloc_free(ch);
}

static void trace(struct at_channel *ch, char dir, const char *line)
{
	LOGCH(ch, LOGL_DEBUG, "%c %s\n", dir, line);
	if (ch->ops.on_trace)
		ch->ops.on_trace(ch, dir, line, ch->data);
}

static unsigned tdef_ms(int T)
{
	return (unsigned)osmo_tdef_get(at_channel_tdefs, T, OSMO_TDEF_MS, -1);
}

static void timer_start_ms(struct osmo_timer_list *t, unsigned ms)
{
	osmo_timer_schedule(t, ms / 1000, (ms % 1000) * 1000);
}

/* Output */

static void out_flush(struct at_channel *ch)
{
	while (ch->out_len) {
		ssize_t n = write(ch->ofd.fd, ch->out, ch->out_len);

		if (n > 0) {
			memmove(ch->out, ch->out + n, ch->out_len - (size_t)n);
			ch->out_len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		/* The port went away. Report it from the loop, not from inside whatever
		 * public call got us here, so callers never see callbacks they did not
		 * expect. */
		ch->gone_errno = n < 0 ? errno : EIO;
		osmo_fd_write_disable(&ch->ofd);
		osmo_timer_schedule(&ch->gone_timer, 0, 0);
		return;
	}
	if (ch->out_len)
		osmo_fd_write_enable(&ch->ofd);
	else
		osmo_fd_write_disable(&ch->ofd);
}

static void out_append(struct at_channel *ch, const char *s, size_t len)
{
	ch->out = talloc_realloc(ch, ch->out, uint8_t, ch->out_len + len);
	OSMO_ASSERT(ch->out);
	memcpy(ch->out + ch->out_len, s, len);
	ch->out_len += len;
}

/* Completion */

static void finish(struct at_channel *ch, struct at_cmd *cmd, enum at_result res, int code,
		   const char *final_line)
{
	struct at_response r = {
	    .result = res,
	    .error_code = code,
	    .final_line = final_line,
	    .n_lines = cmd->n_lines,
	    .lines = (const char *const *)cmd->lines,
	};

	LOGCH(ch, res == AT_RES_OK ? LOGL_DEBUG : LOGL_INFO, "%s: %s (%d)\n", cmd->cmd,
	      at_result_name(res), code);
	if (cmd->cb)
		cmd->cb(ch, &r, cmd->data);
	talloc_free(cmd);
}

/* Complete every queued command with AT_RES_CLOSED. The queue is taken first so that
 * commands a callback queues meanwhile (flush) are not swept up with it. */
static void finish_queue(struct at_channel *ch)
{
	LLIST_HEAD(taken);

	llist_splice_init(&ch->queue, &taken);
	while (!llist_empty(&taken)) {
		struct at_cmd *cmd = llist_first_entry(&taken, struct at_cmd, list);

		llist_del(&cmd->list);
		finish(ch, cmd, AT_RES_CLOSED, 0, "");
	}
}

/* Stop all I/O and complete everything with AT_RES_CLOSED. Idempotent. */
static void shut_down(struct at_channel *ch)
{
	struct at_cmd *cur = ch->cur;

	if (ch->closed)
		return;
	ch->closed = true;
	osmo_timer_del(&ch->timer);
	osmo_timer_del(&ch->gone_timer);
	osmo_timer_del(&ch->hold_timer);
	ch->holding = false;
	if (ch->ofd.fd >= 0) {
		osmo_fd_unregister(&ch->ofd);
		serial_port_close(&ch->lock, ch->ofd.fd);
		ch->ofd.fd = -1;
	}
	ch->out_len = 0;
	ch->cur = NULL;
	ch->phase = PH_IDLE;
	if (cur)
		finish(ch, cur, AT_RES_CLOSED, 0, "");
	finish_queue(ch);
}

/* The port is gone: complete everything, then tell the owner once (unless the owner
 * closed the channel from one of those completions). */
static void vanish(struct at_channel *ch, const char *why)
{
	if (ch->closed)
		return;
	LOGCH(ch, LOGL_NOTICE, "port gone (%s)\n", why);
	shut_down(ch);
	if (!ch->free_pending && ch->ops.on_closed)
		ch->ops.on_closed(ch, ch->data);
}

/* Write the next queued command if nothing is in flight. */
static void kick(struct at_channel *ch)
{
	struct at_cmd *cmd;
	unsigned ms;

	if (ch->closed || ch->cur || ch->holding || llist_empty(&ch->queue))
		return;
	cmd = llist_first_entry(&ch->queue, struct at_cmd, list);
	llist_del(&cmd->list);
	ch->cur = cmd;
	cmd->n_lines = 0;

	talloc_free(ch->echo_cmd);
	ch->echo_cmd = talloc_strdup(ch, cmd->cmd);
	TALLOC_FREE(ch->echo_pdu);

	if (cmd->pdu) {
		ch->phase = PH_PROMPT;
		ms = tdef_ms(AT_T_PROMPT);
	} else {
		ch->phase = PH_FINAL;
		ms = cmd->timeout_ms ? cmd->timeout_ms : tdef_ms(AT_T_DEFAULT);
	}
	timer_start_ms(&ch->timer, ms);
	out_append(ch, cmd->cmd, strlen(cmd->cmd));
	out_append(ch, "\r", 1);
	out_flush(ch);
	trace(ch, '>', cmd->cmd);
}

static void complete_current(struct at_channel *ch, enum at_result res, int code,
			     const char *final_line)
{
	struct at_cmd *cmd = ch->cur;

	ch->cur = NULL;
	ch->phase = PH_IDLE;
	osmo_timer_del(&ch->timer);
	finish(ch, cmd, res, code, final_line);
	/* After the callback, which may have queued the natural next step itself. */
	kick(ch);
}

static void hold_cb(void *data)
{
	struct at_channel *ch = data;

	enter(ch);
	ch->holding = false;
	kick(ch);
	leave(ch);
}

/* ESC ends a PDU entry without sending (27.005 §3.5.1) and is ignored in command mode;
 * then a quiet time, so that what the modem answers to it is taken as unsolicited. */
static void escape(struct at_channel *ch)
{
	if (ch->closed)
		return;
	out_append(ch, ESC, 1);
	out_flush(ch);
	trace(ch, '>', "<ESC>");
	ch->holding = true;
	timer_start_ms(&ch->hold_timer, tdef_ms(AT_T_ESCAPE));
}

static void timeout_cb(void *data)
{
	struct at_channel *ch = data;

	enter(ch);
	LOGCH(ch, LOGL_NOTICE, "%s: no %s in time\n", ch->cur->cmd,
	      ch->phase == PH_PROMPT ? "prompt" : "final result");
	/* Leave PDU entry in case the prompt is merely late (or the modem, silent after
	 * the PDU, still waits for more of it). */
	if (ch->phase == PH_PROMPT || ch->phase == PH_SUBMIT)
		escape(ch);
	if (!ch->closed)
		complete_current(ch, AT_RES_TIMEOUT, 0, "");
	leave(ch);
}

static void gone_cb(void *data)
{
	struct at_channel *ch = data;

	enter(ch);
	vanish(ch, strerror(ch->gone_errno));
	leave(ch);
}

/* Input: classification */

static int parse_error_code(const char *s)
{
	char *end;
	long v;

	while (*s == ' ')
		s++;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	while (*end == ' ')
		end++;
	if (errno || *end || v > 65535)
		return -1;
	return (int)v;
}

static bool final_result(const char *line, enum at_result *res, int *code)
{
	static const struct {
		const char *text;
		enum at_result res;
	} exact[] = {
	    {"OK", AT_RES_OK},
	    {"ERROR", AT_RES_ERROR},
	    {"NO CARRIER", AT_RES_NO_CARRIER},
	    {"BUSY", AT_RES_BUSY},
	    {"NO ANSWER", AT_RES_NO_ANSWER},
	    {"NO DIALTONE", AT_RES_NO_DIALTONE},
	    {"NO DIAL TONE", AT_RES_NO_DIALTONE},
	};

	*code = 0;
	for (size_t i = 0; i < ARRAY_SIZE(exact); i++) {
		if (strcmp(line, exact[i].text) == 0) {
			*res = exact[i].res;
			return true;
		}
	}
	if (starts_with(line, "+CMS ERROR:")) {
		*res = AT_RES_CMS_ERROR;
		*code = parse_error_code(line + strlen("+CMS ERROR:"));
		return true;
	}
	if (starts_with(line, "+CME ERROR:")) {
		*res = AT_RES_CME_ERROR;
		*code = parse_error_code(line + strlen("+CME ERROR:"));
		return true;
	}
	return false;
}

static bool call_result(enum at_result r)
{
	return r == AT_RES_NO_CARRIER || r == AT_RES_BUSY || r == AT_RES_NO_ANSWER ||
	       r == AT_RES_NO_DIALTONE;
}

/* ATD... (dial) and ATA (answer) end with a call's result (V.250 §6.3.1, §6.3.5). */
static bool call_command(const char *cmd)
{
	return !strncasecmp(cmd, "ATD", 3) || !strcasecmp(cmd, "ATA");
}

/* The longest registered prefix wins, so "+CMT:" and "+CMTI:" never shadow each other. */
static struct urc_handler *find_urc(struct at_channel *ch, const char *line)
{
	struct urc_handler *h, *best = NULL;

	llist_for_each_entry (h, &ch->urcs, list) {
		if (strncmp(line, h->prefix, h->prefix_len) == 0 &&
		    (!best || h->prefix_len > best->prefix_len))
			best = h;
	}
	return best;
}

static void add_line(struct at_cmd *cmd, const char *line)
{
	cmd->lines = talloc_realloc(cmd, cmd->lines, char *, cmd->n_lines + 1);
	OSMO_ASSERT(cmd->lines);
	cmd->lines[cmd->n_lines] = talloc_strdup(cmd->lines, line);
	OSMO_ASSERT(cmd->lines[cmd->n_lines]);
	cmd->n_lines++;
}

static void got_prompt(struct at_channel *ch)
{
	struct at_cmd *cmd = ch->cur;

	osmo_timer_del(&ch->timer);
	ch->phase = PH_SUBMIT;
	talloc_free(ch->echo_pdu);
	ch->echo_pdu = talloc_strdup(ch, cmd->pdu);
	timer_start_ms(&ch->timer, cmd->timeout_ms ? cmd->timeout_ms : tdef_ms(AT_T_SUBMIT));
	out_append(ch, cmd->pdu, strlen(cmd->pdu));
	out_append(ch, CTRL_Z, 1);
	out_flush(ch);
	trace(ch, '>', cmd->pdu);
	if (cmd->written && !ch->closed)
		cmd->written(ch, cmd->data);
}

/* One complete, non-empty line. */
static void dispatch(struct at_channel *ch, const char *line)
{
	struct at_cmd *cmd = ch->cur;
	struct urc_handler *h;
	enum at_result res;
	int code;

	/* The PDU of a +CMT/+CDS comes first, whatever else is going on. A line that is
	 * not hex is no PDU (the modem lost it, or noise ate it): the handler gets "" and
	 * the line is dispatched as what it is, so a final result is never swallowed. */
	if (ch->urc_pdu) {
		char *header = ch->urc_line;
		bool is_pdu = line[strspn(line, "0123456789abcdefABCDEF")] == '\0';

		h = ch->urc_pdu;
		ch->urc_pdu = NULL;
		ch->urc_line = NULL;
		h->cb(ch, header, is_pdu ? line : "", h->data);
		talloc_free(header);
		if (is_pdu || ch->closed)
			return;
	}

	if (ch->echo_cmd && strcmp(line, ch->echo_cmd) == 0)
		return;
	if (ch->echo_pdu) {
		/* The PDU echo may run straight into the modem's next text. */
		size_t n = strlen(ch->echo_pdu);

		if (strncmp(line, ch->echo_pdu, n) == 0) {
			if (!line[n])
				return;
			line += n;
		}
	}
	if (cmd && ch->phase == PH_PROMPT && strcmp(line, ">") == 0) {
		got_prompt(ch);
		return;
	}

	if (cmd && cmd->expect && starts_with(line, cmd->expect)) {
		add_line(cmd, line);
		return;
	}
	/* NO CARRIER, BUSY, NO ANSWER and NO DIALTONE end a call command (ATD, ATA); to any
	 * other command they are news of a call (the caller hung up), not its answer. */
	bool final = final_result(line, &res, &code);

	if (cmd && final && (cmd->call || !call_result(res))) {
		complete_current(ch, res, code, line);
		return;
	}
	h = find_urc(ch, line);
	if (!h && final) {
		LOGCH(ch, LOGL_INFO, "%s%s%s: no command's result, dropped\n", line,
		      cmd ? " during " : "", cmd ? cmd->cmd : "");
		return;
	}
	if (h && h->has_pdu) {
		ch->urc_pdu = h;
		ch->urc_line = talloc_strdup(ch, line);
		return;
	}
	if (h) {
		h->cb(ch, line, NULL, h->data);
		return;
	}
	if (cmd) {
		add_line(cmd, line);
		return;
	}
	LOGCH(ch, LOGL_INFO, "unsolicited line dropped: %s\n", line);
}

static void end_line(struct at_channel *ch)
{
	size_t n = ch->line_len;

	ch->line_len = 0;
	while (n && ch->line[n - 1] == ' ')
		n--;
	if (!n)
		return;
	ch->line[n] = '\0';
	trace(ch, '<', ch->line);
	if (!ch->closed)
		dispatch(ch, ch->line);
}

static void feed(struct at_channel *ch, uint8_t c)
{
	if (c == '\r' || c == '\n') {
		if (ch->discarding)
			ch->discarding = false;
		else if (ch->line_len)
			end_line(ch);
		return;
	}
	/* Printable ASCII only: everything else is line noise (and Ctrl-Z/ESC are only
	 * ever sent, never received). */
	if (ch->discarding || c < 0x20 || c > 0x7e) {
		ch->noise++;
		return;
	}
	if (ch->line_len == AT_LINE_MAX) {
		LOGCH(ch, LOGL_NOTICE, "line longer than %d bytes dropped\n", AT_LINE_MAX);
		ch->noise += ch->line_len + 1;
		ch->line_len = 0;
		ch->discarding = true;
		return;
	}
	ch->line[ch->line_len++] = (char)c;
	/* "> " has no line end: recognise it as it comes. */
	if (ch->line_len == 2 && ch->line[0] == '>' && ch->line[1] == ' ') {
		ch->line_len = 0;
		trace(ch, '<', "> ");
		if (ch->closed)
			return;
		if (ch->phase == PH_PROMPT) {
			got_prompt(ch);
			return;
		}
		/* A prompt nobody asked for: something else on the port typed AT+CMGS, or
		 * ours came after its timeout. The modem waits for PDU characters and would
		 * take our next command for some: cancel it. */
		ch->stray_prompts++;
		LOGCH(ch, LOGL_NOTICE, "a \"> \" prompt no command asked for: sending ESC\n");
		escape(ch);
	}
}

static void read_input(struct at_channel *ch)
{
	uint8_t buf[1024];
	uint64_t noise = ch->noise;
	ssize_t n = read(ch->ofd.fd, buf, sizeof(buf));

	if (n == 0) {
		vanish(ch, "end of file");
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			vanish(ch, strerror(errno));
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		feed(ch, buf[i]);
		if (ch->closed)
			return;
	}
	if (ch->noise != noise)
		LOGCH(ch, LOGL_INFO, "%llu noise bytes dropped\n",
		      (unsigned long long)(ch->noise - noise));
}

static int fd_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct at_channel *ch = ofd->data;

	enter(ch);
	if (what & OSMO_FD_WRITE)
		out_flush(ch);
	if (!ch->closed && (what & OSMO_FD_READ))
		read_input(ch);
	leave(ch);
	return 0;
}

/* Open and close */

/* Freed with its talloc parent instead of at_channel_close(): no callbacks, but no
 * registered fd or timer left pointing into freed memory either. */
static int channel_destructor(struct at_channel *ch)
{
	osmo_timer_del(&ch->timer);
	osmo_timer_del(&ch->gone_timer);
	osmo_timer_del(&ch->hold_timer);
	ch->holding = false;
	if (ch->ofd.fd >= 0) {
		osmo_fd_unregister(&ch->ofd);
		serial_port_close(&ch->lock, ch->ofd.fd);
		ch->ofd.fd = -1;
	}
	return 0;
}

struct at_channel *at_channel_open_fd(void *ctx, int fd, const char *name,
				      const struct at_channel_ops *ops, void *data)
{
	struct at_channel *ch;
	int flags = fcntl(fd, F_GETFL);
	int err;

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return NULL;
	}
	ch = talloc_zero(ctx, struct at_channel);
	if (!ch) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	ch->name = talloc_strdup(ch, name ? name : "at");
	if (ops)
		ch->ops = *ops;
	ch->data = data;
	INIT_LLIST_HEAD(&ch->queue);
	INIT_LLIST_HEAD(&ch->urcs);
	osmo_timer_setup(&ch->timer, timeout_cb, ch);
	osmo_timer_setup(&ch->gone_timer, gone_cb, ch);
	osmo_timer_setup(&ch->hold_timer, hold_cb, ch);
	osmo_fd_setup(&ch->ofd, fd, OSMO_FD_READ, fd_cb, ch, 0);
	if (osmo_fd_register(&ch->ofd) < 0) {
		close(fd);
		talloc_free(ch);
		errno = EBADF;
		return NULL;
	}
	talloc_set_destructor(ch, channel_destructor);
	LOGCH(ch, LOGL_INFO, "open\n");
	return ch;
}

struct at_channel *at_channel_open_port(void *ctx, const char *device, const char *label,
					const struct at_channel_ops *ops, void *data, char *why,
					size_t why_len)
{
	struct serial_lock lock;
	struct at_channel *ch;
	int fd = serial_port_open(&lock, device, label, B115200, NULL, why, why_len);

	if (fd < 0) {
		/* For a port that cannot be opened, the system's reason (ENOENT...). */
		if (fd != -EIO || !errno)
			errno = -fd;
		return NULL;
	}
	/* serial_port_open() leaves the fd blocking; at_channel_open_fd() fixes that. */
	ch = at_channel_open_fd(ctx, fd, device, ops, data);
	if (!ch) {
		int err = errno;

		serial_lock_release(&lock);
		if (why && why_len)
			snprintf(why, why_len, "%s: %s", device, strerror(err));
		errno = err;
		return NULL;
	}
	ch->lock = lock;
	if (lock.note[0])
		LOGCH(ch, LOGL_NOTICE, "%s\n", lock.note);
	return ch;
}

struct at_channel *at_channel_open(void *ctx, const char *device, const struct at_channel_ops *ops,
				   void *data)
{
	return at_channel_open_port(ctx, device, NULL, ops, data, NULL, 0);
}

void at_channel_close(struct at_channel *ch)
{
	if (!ch)
		return;
	enter(ch);
	if (!ch->closed)
		LOGCH(ch, LOGL_INFO, "close\n");
	ch->free_pending = true;
	shut_down(ch);
	leave(ch);
}

/* Commands */

static int queue_cmd(struct at_channel *ch, const char *cmd, const char *expect, const char *pdu,
		     unsigned timeout_ms, at_response_cb cb, at_written_cb written, void *data)
{
	struct at_cmd *c;

	if (ch->closed)
		return -ENOTCONN;
	/* Line ends, Ctrl-Z or ESC inside would end the command or the PDU early. */
	if (!cmd || !*cmd || strpbrk(cmd, "\r\n" CTRL_Z ESC) ||
	    (pdu && (!*pdu || strpbrk(pdu, "\r\n" CTRL_Z ESC))))
		return -EINVAL;
	c = talloc_zero(ch, struct at_cmd);
	if (!c)
		return -ENOMEM;
	c->cmd = talloc_strdup(c, cmd);
	c->expect = expect && *expect ? talloc_strdup(c, expect) : NULL;
	c->pdu = pdu ? talloc_strdup(c, pdu) : NULL;
	c->timeout_ms = timeout_ms;
	c->cb = cb;
	c->written = written;
	c->call = call_command(cmd);
	c->data = data;
	llist_add_tail(&c->list, &ch->queue);

	enter(ch);
	kick(ch);
	leave(ch);
	return 0;
}

int at_channel_cmd(struct at_channel *ch, const char *cmd, const char *expect, unsigned timeout_ms,
		   at_response_cb cb, void *data)
{
	return queue_cmd(ch, cmd, expect, NULL, timeout_ms, cb, NULL, data);
}

int at_channel_cmd_pdu(struct at_channel *ch, const char *cmd, const char *pdu_hex,
		       unsigned timeout_ms, at_response_cb cb, void *data)
{
	if (!pdu_hex)
		return -EINVAL;
	return queue_cmd(ch, cmd, NULL, pdu_hex, timeout_ms, cb, NULL, data);
}

int at_channel_cmd_submit(struct at_channel *ch, const char *cmd, const char *pdu_hex,
			  unsigned timeout_ms, at_response_cb cb, at_written_cb written, void *data)
{
	if (!pdu_hex)
		return -EINVAL;
	return queue_cmd(ch, cmd, NULL, pdu_hex, timeout_ms, cb, written, data);
}

void at_channel_flush(struct at_channel *ch)
{
	enter(ch);
	finish_queue(ch);
	leave(ch);
}

int at_channel_urc(struct at_channel *ch, const char *prefix, bool has_pdu, at_urc_cb cb,
		   void *data)
{
	struct urc_handler *h;

	if (!prefix || !*prefix || !cb)
		return -EINVAL;
	h = talloc_zero(ch, struct urc_handler);
	if (!h)
		return -ENOMEM;
	h->prefix = talloc_strdup(h, prefix);
	h->prefix_len = strlen(prefix);
	h->has_pdu = has_pdu;
	h->cb = cb;
	h->data = data;
	llist_add_tail(&h->list, &ch->urcs);
	return 0;
}

/* Inspection */

unsigned at_channel_queue_len(const struct at_channel *ch)
{
	return llist_count(&ch->queue);
}

bool at_channel_busy(const struct at_channel *ch)
{
	return ch->cur != NULL;
}

void at_channel_escape(struct at_channel *ch)
{
	enter(ch);
	escape(ch);
	leave(ch);
}

uint64_t at_channel_stray_prompts(const struct at_channel *ch)
{
	return ch->stray_prompts;
}

uint64_t at_channel_noise_bytes(const struct at_channel *ch)
{
	return ch->noise;
}

const char *at_channel_name(const struct at_channel *ch)
{
	return ch->name;
}
