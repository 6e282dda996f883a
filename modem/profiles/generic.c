/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The generic 3GPP TS 27.005 profile: for a modem Chaperone knows nothing about.
 *
 * Every choice here is the one that cannot lose a message on a modem whose quirks are
 * unknown:
 * - stored delivery (+CMTI, +CMGR, +CMGD): the message sits in the SIM until the archive
 *   has it, so a daemon restart, a dropped USB link or a modem that implements +CSMS=1
 *   and +CNMA badly (27.005 makes phase 2+ acknowledgement optional) costs nothing;
 *   direct delivery depends on +CNMA arriving within the network's timer, and a modem
 *   that misses it switches +CNMI off (27.005 §3.4.1);
 * - status reports stored too (<ds>=2, +CDSI), for the same reason;
 * - "SM": the one storage every 27.005 modem has (27.005 §3.2.2 lists ME and MT as
 *   optional);
 * - no AT+CMMS and no AT+CFUN=1,1: both are optional in 27.005/27.007, and a reset whose
 *   effect is unknown (some modules power the radio off, some never come back without a
 *   power cycle) is worse than reopening the port;
 * - lte: +CEREG is asked; a 2G/3G modem answers ERROR, which the driver takes as "no
 *   LTE", while an LTE-only modem that shows +CREG 0 (no CS domain) still works. */
#include <stddef.h>

#include "modem/profiles/profile_families.h"

static const char *const generic_cgmm[] = {NULL};
static const char *const generic_init[] = {NULL};

static const char *const no_call_init[] = {NULL};

const struct modem_profile modem_profile_generic = {
    .name = "generic",
    .description = "Generic 3GPP TS 27.005 modem (stored delivery, SIM storage)",
    .cgmm_match = generic_cgmm,
    .init = generic_init,
    .rx_mode = MODEM_RX_STORED,
    .cnmi_direct = "2,2,0,1,0",
    .cnmi_stored = "2,1,0,2,0",
    .storage = "SM",
    .cmms = false,
    .cfun_reset = false,
    .lte = true,
    .reset_wait_s = 30,
    /* A modem of unknown make: no call audio the driver knows how to reach. */
    .voice = {.kind = MODEM_VOICE_NONE,
	      .urcs = MODEM_CALL_URC_CLCC,
	      .init = no_call_init,
	      .dtmf = "AT+VTS=%c",
	      .hangup = "AT+CHUP"},
};
