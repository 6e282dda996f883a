/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The serial port of one simulated modem: a PTY pair and a stable symlink to it.
 *
 * The simulator owns the master side and keeps a slave fd open itself, so the master
 * never reads EIO when a client closes its end and the slave's termios (raw, set once
 * with cfmakeraw) survive between clients. It counts the clients that have the port
 * open (inotify reports opens and closes of the pts node): while none has, output is
 * dropped, as a USB modem's URCs are lost when no process holds its tty — so what a
 * modem printed while the daemon was stopped is not waiting for the next one. The symlink
 * (DIR/modemN) points at the current /dev/pts/N; "vanishing" closes both sides and removes the
 * link, as a USB modem that resets or is unplugged takes its ttyUSB/ttyACM node away. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/select.h>

#include "hw/modemsim/outbuf.h"

/* What a client may leave unread in our queue before further output is dropped. */
#define SIM_PTY_OUT_MAX (64 * 1024)

struct sim_pty {
	struct osmo_fd ofd; /* master */
	int slave_fd;
	bool up;
	char pts_path[64];
	char link_path[PATH_MAX];
	struct outbuf out;
	struct osmo_fd ino; /* inotify on pts_path: IN_OPEN / IN_CLOSE */
	int clients;	    /* processes other than us that have the port open */
	void *ctx;
	const char *name; /* for logs */
	/* Bytes the client wrote. */
	void (*read_cb)(void *data, const uint8_t *buf, size_t len);
	void *cb_data;
};

void sim_pty_init(struct sim_pty *p, void *ctx, const char *name, const char *link_path,
		  void (*read_cb)(void *, const uint8_t *, size_t), void *cb_data);
/* Create the PTY and point the symlink at it. Returns 0 or -errno. */
int sim_pty_open(struct sim_pty *p);
/* Close both sides, drop queued output and remove the symlink. */
void sim_pty_close(struct sim_pty *p);
/* Queue bytes for the client; dropped while the port is down or no client has it open. */
void sim_pty_write(struct sim_pty *p, const void *buf, size_t len);
