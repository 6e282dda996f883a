/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* One AT command channel to one modem's serial port, on libosmocore's event loop.
 *
 * Promises:
 * - non-blocking I/O through an osmo_fd (osmo_serial_init() returns a blocking fd; the
 *   channel sets O_NONBLOCK itself);
 * - line framing that copes with echo on or off, "\r\n", "\r" or "\n" line ends, the
 *   "> " prompt that has no line end, and bytes of noise (control bytes and non-ASCII
 *   outside a line are dropped and counted);
 * - one command in flight; the next queued command is written the moment the previous
 *   one's final result arrives; each command has a timeout (AT_RES_TIMEOUT);
 * - the command's intermediate lines and its final result handed to its callback
 *   (OK, ERROR, +CMS ERROR: n, +CME ERROR: n; and for a call command, ATD or ATA, also
 *   NO CARRIER, BUSY, NO ANSWER, NO DIALTONE — to any other command these are news of a
 *   call, routed as URCs, never its answer);
 * - unsolicited result codes (+CMT, +CMTI, +CDS, +CDSI, RING, +CLIP, +CREG, ...) routed to
 *   their registered handlers even when they arrive in the middle of another command's
 *   response; a URC whose PDU follows on the next line (+CMT, +CDS) is handed over with
 *   that line;
 * - a vanished port (read error, EOF, hang-up) reported once through on_closed, with
 *   every queued and in-flight command completed with AT_RES_CLOSED.
 *
 * Lines and PDUs handed to callbacks are valid only during the callback. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/tdef.h>

#include "modem/at/at_result.h"

struct at_channel;

/* Name of a result for logs ("OK", "+CMS ERROR", "timeout", ...). */
const char *at_result_name(enum at_result r);

struct at_response {
	enum at_result result;
	int error_code;		/* for CMS/CME errors: n, or -1 when the modem sent text */
	const char *final_line; /* the final result line as received ("" for timeout/closed) */
	unsigned n_lines;
	const char *const *lines; /* intermediate lines in order; echo and empty lines removed */
};

typedef void (*at_response_cb)(struct at_channel *ch, const struct at_response *resp, void *data);
/* A PDU command's PDU (and Ctrl-Z) went to the port: the modem works on it now. */
typedef void (*at_written_cb)(struct at_channel *ch, void *data);

/* A URC handler. `pdu_line` is the line that followed for handlers registered with
 * has_pdu (+CMT, +CDS) — "" when that line was not hex (no PDU came) — else NULL. */
typedef void (*at_urc_cb)(struct at_channel *ch, const char *line, const char *pdu_line,
			  void *data);

struct at_channel_ops {
	/* The port is gone (EOF, EIO, HUP). Called once; the channel is then closed and may
	 * be freed by the callee only after returning. */
	void (*on_closed)(struct at_channel *ch, void *data);
	/* Optional: every line in and out, for tracing ("<" in, ">" out). */
	void (*on_trace)(struct at_channel *ch, char dir, const char *line, void *data);
};

/* Timers of the channel (osmo_tdef, milliseconds), exposed for configuration. */
extern struct osmo_tdef at_channel_tdefs[];
enum {
	AT_T_DEFAULT = -100, /* default command timeout */
	AT_T_PROMPT = -101,  /* waiting for "> " after AT+CMGS=n */
	AT_T_SUBMIT = -102,  /* waiting for +CMGS after the PDU (a 2G submit takes seconds) */
	AT_T_ESCAPE = -103,  /* quiet time after ESC before the next command is written */
};

/* Open a serial device (raw, 115200 8N1, O_NONBLOCK), locked for this process
 * (modem/driver/serial_lock.h: a UUCP lock file and TIOCEXCL, released when the channel
 * closes). Returns NULL with errno set when the device cannot be opened, EBUSY when
 * another process holds it. Allocated under talloc `ctx`. */
struct at_channel *at_channel_open(void *ctx, const char *device, const struct at_channel_ops *ops,
				   void *data);
/* The same, saying why it failed in `why` (may be NULL): "modem0 (/dev/ttyUSB2) is in
 * use by chaperoned (pid 1234)". `label` (may be NULL) names the port there. */
struct at_channel *at_channel_open_port(void *ctx, const char *device, const char *label,
					const struct at_channel_ops *ops, void *data, char *why,
					size_t why_len);
/* Use an already open fd (tests, socketpairs). The channel owns it from now on. */
struct at_channel *at_channel_open_fd(void *ctx, int fd, const char *name,
				      const struct at_channel_ops *ops, void *data);
/* Completes every queued command with AT_RES_CLOSED, closes the fd, frees the channel.
 * Safe from inside any of the channel's callbacks (on_closed included): the memory is
 * then freed when the channel's own code returns. A channel whose port vanished must
 * still be closed by its owner. */
void at_channel_close(struct at_channel *ch);

/* Queue a command ("AT+CSQ", without "\r"). timeout_ms 0 → AT_T_DEFAULT.
 * `expect` is the prefix of the information lines the command answers with ("+CREG:"),
 * so that they go to the command, not to the URC handler with the same prefix; NULL
 * when the command answers no information lines with a URC-looking prefix.
 * Returns 0, -ENOTCONN when the channel is closed (port gone), or -EINVAL when `cmd`
 * is empty or holds "\r", "\n", Ctrl-Z or ESC. `cb` may be NULL. */
int at_channel_cmd(struct at_channel *ch, const char *cmd, const char *expect, unsigned timeout_ms,
		   at_response_cb cb, void *data);

/* Queue a command that takes a PDU after the "> " prompt (AT+CMGS=n, AT+CMGW=n):
 * the channel writes `pdu_hex` and Ctrl-Z on the prompt. The prompt is awaited for
 * AT_T_PROMPT (then ESC is sent and the result is AT_RES_TIMEOUT); the final result
 * after the PDU for timeout_ms, or AT_T_SUBMIT when 0. An ERROR instead of the prompt
 * is the command's result. */
int at_channel_cmd_pdu(struct at_channel *ch, const char *cmd, const char *pdu_hex,
		       unsigned timeout_ms, at_response_cb cb, void *data);

/* Write ESC, which ends a PDU entry the modem may have been left in (by a process that
 * died after the "> " prompt: every command would be taken for PDU characters), and
 * hold the queue for AT_T_ESCAPE so that the modem's answer to the cancelled entry is
 * not taken for the next command's. The channel does the same by itself after a prompt
 * or submit timeout and when a "> " prompt arrives that no command asked for. */
void at_channel_escape(struct at_channel *ch);

/* at_channel_cmd_pdu(), and `written` is called the moment the PDU has been written (not
 * if the command ends before its prompt). A sender does its bookkeeping there, while the
 * modem submits, rather than between one result and the next command. */
int at_channel_cmd_submit(struct at_channel *ch, const char *cmd, const char *pdu_hex,
			  unsigned timeout_ms, at_response_cb cb, at_written_cb written,
			  void *data);

/* Drop every queued command not yet written (completed with AT_RES_CLOSED); the one in
 * flight stays. Used on recovery. */
void at_channel_flush(struct at_channel *ch);

/* Register a URC handler for lines starting with `prefix` ("+CMT:", "RING"). */
int at_channel_urc(struct at_channel *ch, const char *prefix, bool has_pdu, at_urc_cb cb,
		   void *data);

/* Inspection, for the VTY and tests. */
unsigned at_channel_queue_len(const struct at_channel *ch);
bool at_channel_busy(const struct at_channel *ch);
uint64_t at_channel_noise_bytes(const struct at_channel *ch);
uint64_t at_channel_stray_prompts(const struct at_channel *ch);
const char *at_channel_name(const struct at_channel *ch);
