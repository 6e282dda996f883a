/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Huawei E173 (HSPA USB stick), USB 12d1:1436 (also 12d1:1001, 12d1:1c05 by firmware),
 * AT port: the "PC UI" interface (class ff, protocol 02).
 *
 * - Stored delivery: Huawei's AT specifications for this generation say +CNMI starts as
 *   0,0,0,0,0 after every restart ("no new message will be reported"), that <mode> 2 is
 *   reserved/unsupported and that with <mode> 0 or 2 direct forwarding (<mt> 2/3) is not
 *   allowed because buffered notifications live in volatile memory (HUAWEI EM770W AT
 *   Command Interface Specification §5.7; MU509 §6.3). So +CNMI=1,1: stored with +CMTI,
 *   nothing that exists only in a buffer. modemsim's E173 profile powers on with
 *   +CNMI: 0,0,0,0,0 for the same reason.
 * - Status reports direct (<ds>=1, +CDS acknowledged with +CNMA): the "SR" storage is not
 *   supported, and "+CDSI can be sent out, but the new status report will be lost"
 *   (MU509 §6.3.3) — so stored reports (<ds>=2) would be lost.
 * - AT^CURC=0: stops the periodic ^RSSI, ^BOOT, ^MODE, ^DSFLOWRPT reports that otherwise
 *   arrive every few seconds on the PC UI port (used by ModemManager's huawei plugin and
 *   most SMS tools for E1xx sticks).
 * - AT^PORTSEL=1: E1xx sticks put incoming-call and SMS URCs on one port; 1 selects the
 *   PC UI port Chaperone opens (chan-dongle needs AT^PORTSEL=1 to receive SMS on an E173).
 * - Storage "SM": "ME" is missing or tiny on many E1xx firmwares.
 * - AT+CFUN=1,1 reboots the stick; it comes back through usb_modeswitch (12d1:1446 →
 *   12d1:1436), which takes longer than a module's reset.
 * - No +CEREG (3G), no AT+CMMS (not in Huawei's E1xx AT specification). */
#include <stddef.h>

#include "modem/profiles/profile_families.h"

static const char *const huawei_cgmm[] = {"E173", NULL};
static const char *const huawei_init[] = {
    "AT^CURC=0",
    "AT^PORTSEL=1",
    NULL,
};

static const char *const huawei_call_init[] = {"AT+CLIP=1", NULL};

const struct modem_profile modem_profile_huawei_e173 = {
    .name = "huawei-e173",
    .description = "Huawei E173 (HSPA USB stick)",
    .cgmm_match = huawei_cgmm,
    .init = huawei_init,
    .rx_mode = MODEM_RX_STORED,
    .cnmi_direct = "1,2,0,1,0",
    .cnmi_stored = "1,1,0,1,0",
    .storage = "SM",
    .cmms = false,
    .cfun_reset = true,
    .lte = false,
    .reset_wait_s = 45,
    /* 3G circuit-switched voice (gone in the US): AT^DDSETEX=2 after each ATD or ATA puts
     * PCM on the voice tty (the diagnostic interface; which one depends on the firmware's
     * USB layout, 1 on the common one). DTMF by AT^DTMF=<call>,<digit>. */
    .voice = {.kind = MODEM_VOICE_HUAWEI_TTY,
	      .audio_interface = 1,
	      .audio_on = "AT^DDSETEX=2",
	      .arm = MODEM_AUDIO_AFTER_DIAL,
	      .urcs = MODEM_CALL_URC_HUAWEI,
	      .init = huawei_call_init,
	      .dtmf = "AT^DTMF=1,%c",
	      .hangup = "AT+CHUP"},
};
