/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* SIMCom modules: SIM7600 (LTE Cat 1/4, USB 1e0e:9001, AT port interface 2) and SIM800
 * (2G, on a UART, usually behind a USB-serial adapter).
 *
 * Both answer +CGMM with a "SIMCOM_" prefix ("SIMCOM_SIM7600E-H", "SIMCOM_SIM800"), and
 * some SIM800 firmware answers just "SIM800 R14.18" (ATI style), so the match strings
 * are the model names without the prefix. */
#include <stddef.h>

#include "modem/profiles/profile_families.h"

/* SIM7600:
 * - Direct delivery: +CNMI <mt>=2 and AT+CNMA under +CSMS=1 per 27.005
 *   (SIM7500_SIM7600 Series AT Command Manual V1.07, +CNMI/+CNMA).
 * - Storage indices start at 0 on this family ("start with zero", same manual, +CMGL and
 *   +CMGR), unlike the 1-based SIM800; the driver takes whatever index +CMTI/+CMGL show.
 * - Storage "ME": larger than the SIM and independent of it.
 * - AT+CSCS="GSM": quoted strings (+CSCA, +CNUM, +COPS) are shown in the TE character
 *   set, and SIMCom keeps a "UCS2" left by another tool across AT&W; PDUs are not affected.
 * - No AT+CMMS: not documented for the SIM7500/SIM7600 series.
 * - AT+CFUN=1,1 resets; the USB device re-enumerates (ModemManager's simtech port rules:
 *   1e0e:9001 if 2 is the primary AT port before and after). */
static const char *const sim7600_cgmm[] = {"SIM7600", "SIM7500", NULL};
static const char *const sim7600_call_init[] = {
    "AT+CLCC=1", "AT+CLIP=1", "AT+COLP=0", "AT+DDET=1", /* DTMF the far end keys: +RXDTMF */
    NULL,
};
static const char *const no_call_init[] = {NULL};
static const char *const sim7600_init[] = {
    "AT+CSCS=\"GSM\"",
    NULL,
};

const struct modem_profile modem_profile_simcom_sim7600 = {
    .name = "simcom-sim7600",
    .description = "SIMCom SIM7600 (LTE)",
    .cgmm_match = sim7600_cgmm,
    .init = sim7600_init,
    .rx_mode = MODEM_RX_DIRECT,
    .cnmi_direct = "2,2,0,1,0",
    .cnmi_stored = "2,1,0,2,0",
    .storage = "ME",
    .cmms = false,
    .cfun_reset = true,
    .lte = true,
    .reset_wait_s = 30,
    /* AT+CPCMREG=1 once the call is active (PCM on USB interface 4), =0 at release. After
     * one on/off cycle the audio of later calls can degrade until AT+CRESET; a failing
     * AT+CPCMREG=1 is the sign. */
    .voice = {.kind = MODEM_VOICE_SERIAL_PCM,
	      .volte = true,
	      .audio_interface = 4,
	      .audio_on = "AT+CPCMREG=1",
	      .audio_off = "AT+CPCMREG=0",
	      .arm = MODEM_AUDIO_WHEN_ACTIVE,
	      .urcs = MODEM_CALL_URC_SIMCOM,
	      .init = sim7600_call_init,
	      .dtmf = "AT+VTS=%c",
	      .hangup = "AT+CHUP",
	      .reset = "AT+CRESET"},
};

/* SIM800:
 * - Stored delivery on "SM": the SIM800 sits on a UART behind an adapter, often at a
 *   low rate and with no flow control; a +CMT burst that is lost or late on that link
 *   costs the acknowledgement and switches +CNMI off (27.005 §3.4.1), while a stored
 *   message only costs a +CMGR. SIM storage is the one the SIM800 AT manual (V1.09,
 *   +CPMS) defaults to.
 * - AT+IPR=115200: the SIM800 starts in autobauding and then sends no "RDY" after a
 *   reset (SIM800 Series AT Command Manual V1.09, AT+IPR); a fixed rate matches the
 *   channel's 115200 and survives AT+CFUN=1,1.
 * - AT+CSCS="GSM": as for the SIM7600.
 * - AT+CMMS=2 keeps the RP link up between the parts of a concatenated message (27.005
 *   §3.5.6), worth seconds per part on 2G.
 * - AT+CFUN=1,1 restarts the module; the UART (adapter) stays, the module answers again
 *   after a few seconds ("RDY", "Call Ready", "SMS Ready").
 * - No +CEREG: 2G only. */
static const char *const sim800_cgmm[] = {"SIM800", NULL};
static const char *const sim800_init[] = {
    "AT+IPR=115200",
    "AT+CSCS=\"GSM\"",
    NULL,
};

const struct modem_profile modem_profile_simcom_sim800 = {
    .name = "simcom-sim800",
    .description = "SIMCom SIM800 (GSM/GPRS, serial)",
    .cgmm_match = sim800_cgmm,
    .init = sim800_init,
    .rx_mode = MODEM_RX_STORED,
    .cnmi_direct = "2,2,0,1,0",
    .cnmi_stored = "2,1,0,2,0",
    .storage = "SM",
    .cmms = true,
    .cfun_reset = true,
    .lte = false,
    .reset_wait_s = 10,
    /* 2G voice with analog audio pins: nothing the host can carry. */
    .voice = {.kind = MODEM_VOICE_NONE,
	      .urcs = MODEM_CALL_URC_CLCC,
	      .init = no_call_init,
	      .dtmf = "AT+VTS=%c",
	      .hangup = "ATH"},
};
