/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The control socket DIR/ctl: newline-delimited JSON requests and responses.
 * The protocol is documented in README.md. */
#pragma once

struct simulator;
struct ctl_server;

/* Listen on `path`. Returns NULL (and logs why) on failure. */
struct ctl_server *ctl_server_start(struct simulator *sim, const char *path);
/* Close every connection and remove the socket file. */
void ctl_server_stop(struct ctl_server *srv);
