/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* `chaperone modem`: what its subcommands share (cli_modem.c). */
#pragma once

#include <stdbool.h>

#include "modem/profiles/modem_profile.h"

/* The event loop of one subcommand: runs osmo_select_main() until *done is set or
 * SIGINT/SIGTERM arrives (then *interrupted is set too). */
struct cli_loop {
	bool done;
	bool interrupted;
	bool port_busy; /* another process holds the port: cli_modem_port_busy() */
};

struct modem;
/* From on_state: when the driver could not open the port because another process holds
 * it, print "chaperone modem CMD: modem (DEVICE) is in use by chaperoned (pid N)", set
 * loop->port_busy and loop->done, and return true. */
bool cli_modem_port_busy(const char *cmd, struct modem *m, struct cli_loop *loop);

/* Talloc context, libosmocore logging on stderr (notices; debug with `verbose`), and
 * SIGINT/SIGTERM delivered to the loop through a signalfd. Returns the context or NULL. */
void *cli_modem_setup(const char *name, bool verbose, struct cli_loop *loop);
void cli_modem_run(struct cli_loop *loop);
void cli_modem_teardown(void *ctx);

/* --profile NAME: the profile, or NULL after printing the known names. "auto" → *p NULL. */
int cli_modem_profile_arg(const char *cmd, const char *name, const struct modem_profile **p);

int cli_modem_probe(int argc, char **argv);
int cli_modem_send(int argc, char **argv);
int cli_modem_listen(int argc, char **argv);
int cli_modem_call(int argc, char **argv);
int cli_modem_answer(int argc, char **argv);
