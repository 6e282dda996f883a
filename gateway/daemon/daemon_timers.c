/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* chaperoned's timers, and the driver's, as osmo_tdef tables the console shows and sets:
 *
 *   show timer [(relay|at|modem)] [TNNNN]
 *   timer relay X1 250          (config; `write` keeps every timer not at its default)
 *
 * Groups: relay (the daemon's own, below), at (the AT channel, modem/driver/at_channel.h)
 * and modem (the modem lifecycle and send queue, modem/driver/modem.h). A value changed at
 * the console is used the next time its timer is armed. */
#include <osmocom/core/tdef.h>
#include <osmocom/core/utils.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/tdef_vty.h>
#include <osmocom/vty/vty.h>

#include "gateway/daemon/chaperoned.h"
#include "modem/driver/at_channel.h"

struct osmo_tdef daemon_tdefs[] = {
    {.T = DAEMON_T_POLL,
     .default_val = 500,
     .min_val = 50,
     .max_val = 60000,
     .unit = OSMO_TDEF_MS,
     .desc = "router poll: queued deliveries, quiet-hours releases, expiries"},
    {.T = DAEMON_T_STOP_GRACE,
     .default_val = 10000,
     .max_val = 600000,
     .unit = OSMO_TDEF_MS,
     .desc = "on SIGTERM, how long the modems may finish what they are submitting"},
    {.T = DAEMON_T_DIGEST_CHECK,
     .default_val = 60,
     .min_val = 1,
     .max_val = 3600,
     .unit = OSMO_TDEF_S,
     .desc = "how often the daily oversight digest's hour is checked"},
    {.T = DAEMON_T_REASSEMBLY,
     .default_val = 120,
     .min_val = 10,
     .max_val = 86400,
     .unit = OSMO_TDEF_S,
     .desc = "how long the parts of a long message wait for the rest (read at start-up)"},
    {.T = DAEMON_T_CALL_ANSWER,
     .default_val = 40,
     .min_val = 5,
     .max_val = 300,
     .unit = OSMO_TDEF_S,
     .desc = "relayed call: how long each party dialled has to answer and hear the notice"},
    {.T = DAEMON_T_ADULT_REJOIN,
     .default_val = 20,
     .min_val = 1,
     .max_val = 300,
     .unit = OSMO_TDEF_S,
     .desc = "relayed call: how long it goes on without the guardian it needs"},
    {.T = DAEMON_T_CALL_HANGUP,
     .default_val = 10,
     .min_val = 1,
     .max_val = 60,
     .unit = OSMO_TDEF_S,
     .desc = "relayed call: the goodbye and the hang-ups, at most"},
    {.T = DAEMON_T_MENU,
     .default_val = 40,
     .min_val = 5,
     .max_val = 300,
     .unit = OSMO_TDEF_S,
     .desc = "a known caller: from the answer, how long the notice, the menu and a choice "
	     "may take"},
    {.T = DAEMON_T_ALERT_CHECK,
     .default_val = 60,
     .min_val = 1,
     .max_val = 3600,
     .unit = OSMO_TDEF_S,
     .desc = "how often the archive's disk, its last anchor and crisis conversations are "
	     "checked for alerts"},
    {},
};

static struct osmo_tdef_group timer_groups[] = {
    {.name = "relay", .desc = "chaperoned's own timers", .tdefs = daemon_tdefs},
    {.name = "at", .desc = "AT channel timers (modem/driver)", .tdefs = at_channel_tdefs},
    {.name = "modem",
     .desc = "Modem lifecycle and send timers (modem/driver)",
     .tdefs = modem_tdefs},
    {},
};

/* A node of its own only so that `write` and `show running-config` list the timers. */
static struct cmd_node timer_node = {
    .node = DAEMON_TIMER_NODE, .prompt = "%s(config-timer)# ", .vtysh = 1};

static int write_timers(struct vty *vty)
{
	osmo_tdef_vty_groups_write(vty, "");
	return 0;
}

unsigned long daemon_timer_ms(int T)
{
	return osmo_tdef_get(daemon_tdefs, T, OSMO_TDEF_MS, -1);
}

void daemon_timer_schedule(struct osmo_timer_list *t, int T)
{
	unsigned long ms = daemon_timer_ms(T);

	/* Whole seconds apart: libosmocore's timeradd() carries one second of microseconds. */
	osmo_timer_schedule(t, (int)(ms / 1000), (int)(ms % 1000) * 1000);
}

void daemon_timers_init(void)
{
	install_node(&timer_node, write_timers);
	/* Resets every group to its defaults: before the config is read. */
	osmo_tdef_vty_groups_init(CONFIG_NODE, timer_groups);
}
