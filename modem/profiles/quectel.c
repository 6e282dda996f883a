/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Quectel EC25 / EG25 (LTE Cat 4, Qualcomm MDM9x07), USB 2c7c:0125, AT port interface 2.
 *
 * - Direct delivery: the EC25 implements phase 2+ acknowledgement as 27.005 says: +CMT
 *   under AT+CSMS=1 waits for AT+CNMA, a second AT+CNMA answers +CMS ERROR: 340
 *   (EC25&EC21 AT Commands Manual, AT+CNMA). +CNMI=2,2,0,1,0 routes SMS-DELIVER and
 *   status reports (+CDS) straight to the port, so a message reaches the archive without
 *   a +CMGR/+CMGD round trip.
 * - AT+QURCCFG="urcport","usbat": the EC25 writes URCs to one port only, and the choice
 *   is kept in NVRAM (EC25&EC21 AT Commands Manual, AT+QURCCFG). A module that another
 *   tool once set to "usbmodem" or "uart1" would never show +CMT on the AT port (if 2)
 *   Chaperone opens, and every message would wait for the acknowledgement timeout.
 * - Storage "ME": the module's own memory holds far more than a SIM's 20-50 slots and
 *   does not wear the SIM; it is where messages land when +CNMA comes too late and
 *   +CNMI is switched off (27.005 §3.4.1), which the driver's sweep then empties.
 * - No AT+CMMS: it is not among the SMS commands of the EC25&EC21 AT manual.
 * - AT+CFUN=1,1 resets the module; the USB device drops off the bus and enumerates again
 *   (ModemManager's quectel port rules list the same interfaces afterwards). Rarely an
 *   EG25 comes back in QHSUSB_BULK download mode (Quectel forum, "EG25 reboots into broken
 *   QHSUSB_BULK mode"), so the wait is generous and the driver keeps retrying.
 * - LTE: a VoLTE-less LTE attach shows +CREG 0 while +CEREG is 1 and SMS work over SGs.
 * - Voice (VoLTE, with the carrier's MBN selected: AT+QMBNCFG): AT+QPCMV=1,0 puts call
 *   audio as raw PCM on the NMEA port (USB interface 1), once at set-up; GPS output must
 *   be off there (AT+QGPSCFG="outport","none") or NMEA text mixes in. Call state comes as
 *   +QIND: "ccinfo" after AT+QINDCFG="ccinfo",1,0. AT+VTS wants the digit quoted. */
#include <stddef.h>

#include "modem/profiles/profile_families.h"

static const char *const quectel_cgmm[] = {"EC25", "EG25", NULL};
static const char *const quectel_call_init[] = {
    "AT+QGPSCFG=\"outport\",\"none\"",
    "AT+QINDCFG=\"ccinfo\",1,0",
    "AT+CLIP=1",
    "AT+COLP=0",
    "AT+QTONEDET=1", /* DTMF the far end keys: +QTONEDET */
    NULL,
};
static const char *const quectel_init[] = {
    "AT+QURCCFG=\"urcport\",\"usbat\"",
    NULL,
};

const struct modem_profile modem_profile_quectel_ec25 = {
    .name = "quectel-ec25",
    .description = "Quectel EC25/EG25 (LTE Cat 4)",
    .cgmm_match = quectel_cgmm,
    .init = quectel_init,
    .rx_mode = MODEM_RX_DIRECT,
    .cnmi_direct = "2,2,0,1,0",
    .cnmi_stored = "2,1,0,2,0",
    .storage = "ME",
    .cmms = false,
    .cfun_reset = true,
    .lte = true,
    .reset_wait_s = 30,
    .voice = {.kind = MODEM_VOICE_SERIAL_PCM,
	      .volte = true,
	      .audio_interface = 1,
	      .audio_on = "AT+QPCMV=1,0",
	      .audio_off = "AT+QPCMV=0",
	      .arm = MODEM_AUDIO_AT_INIT,
	      .urcs = MODEM_CALL_URC_QUECTEL,
	      .init = quectel_call_init,
	      .dtmf = "AT+VTS=\"%c\"",
	      .hangup = "AT+CHUP"},
};
