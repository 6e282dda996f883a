/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Modem profiles: what differs between modem models, as data.
 *
 * The profiles themselves live beside this header (one file per family); the driver asks
 * modem_profile_find() by name (from configuration) or by the +CGMM answer.
 *
 * `init` commands are best effort: firmware versions differ in which vendor commands they
 * know (modemsim's EC25 answers ERROR to AT+QURCCFG), so an ERROR is logged and set-up
 * goes on; only the standard set-up (+CMGF, +CSMS, +CPMS, +CNMI) must succeed. */
#pragma once

#include <stdbool.h>

enum modem_rx_mode {
	MODEM_RX_DIRECT, /* +CNMI=2,2: +CMT, acknowledged with +CNMA after commit */
	MODEM_RX_STORED, /* +CNMI=2,1: +CMTI, read with +CMGR, deleted with +CMGD after commit */
};

/* Voice: how a family carries calls (each profile file says where that is known from). */
enum modem_voice {
	MODEM_VOICE_NONE,	/* SMS only: no call audio this driver can reach */
	MODEM_VOICE_SERIAL_PCM, /* 8 kHz s16le PCM, 320-byte frames, on a second USB serial port */
	MODEM_VOICE_HUAWEI_TTY, /* the same on Huawei's voice tty, after AT^DDSETEX=2 per call */
};
/* Which call-state URCs the family sends, beside RING, +CLIP and a polled +CLCC. */
enum modem_call_urcs {
	MODEM_CALL_URC_CLCC,	/* none: +CLCC polled while a call exists (27.007) */
	MODEM_CALL_URC_QUECTEL, /* +QIND: "ccinfo",<idx>,<dir>,<state>,... (state -1: released) */
	MODEM_CALL_URC_SIMCOM,	/* unsolicited +CLCC lists (AT+CLCC=1), VOICE CALL: BEGIN/END */
	MODEM_CALL_URC_HUAWEI,	/* ^ORIG, ^CONF, ^CONN, ^CEND */
};
/* When the audio port is switched on. */
enum modem_audio_arm {
	MODEM_AUDIO_AT_INIT,	 /* once, with the set-up (Quectel AT+QPCMV=1,0) */
	MODEM_AUDIO_AFTER_DIAL,	 /* after each ATD or ATA (Huawei AT^DDSETEX=2) */
	MODEM_AUDIO_WHEN_ACTIVE, /* once the call is active; off at release (SIMCom +CPCMREG) */
};
struct modem_voice_profile {
	enum modem_voice kind;
	bool volte;		  /* calls over LTE (the only voice left in the US) */
	unsigned audio_interface; /* USB interface of the audio port, for the udev rule */
	const char *audio_on;	  /* NULL when kind is none */
	const char *audio_off;	  /* NULL: nothing to switch off */
	enum modem_audio_arm arm;
	enum modem_call_urcs urcs;
	const char *const *init; /* call set-up commands, NULL-terminated */
	const char *dtmf;	 /* one digit, printf format with %c: "AT+VTS=\"%c\"" */
	const char *hangup;	 /* "AT+CHUP" */
	const char *reset;	 /* what recovers dead audio; NULL: AT+CFUN=1,1 */
};

struct modem_profile {
	const char *name;	       /* "generic", "quectel-ec25", ... (configuration key) */
	const char *description;       /* "Quectel EC25/EG25 (LTE Cat 4)" */
	const char *const *cgmm_match; /* substrings of +CGMM that select it, NULL-terminated */
	const char *const *init; /* extra commands after the standard set-up, NULL-terminated */
	enum modem_rx_mode rx_mode;
	const char *cnmi_direct; /* +CNMI arguments for direct delivery, e.g. "2,2,0,1,0" */
	const char *cnmi_stored; /* e.g. "2,1,0,2,0" */
	const char *storage;	 /* +CPMS storage for everything: "SM", "ME" or "MT" */
	bool cmms;		 /* AT+CMMS=2 keeps the link up between concatenated parts */
	bool cfun_reset;	 /* AT+CFUN=1,1 may be used to recover a hung modem */
	bool lte;		 /* registration counts if +CEREG says so, even with +CREG 0 */
	unsigned reset_wait_s;	 /* how long the port is gone after AT+CFUN=1,1 */
	struct modem_voice_profile voice;
};

/* The profile named `name`, or NULL. */
const struct modem_profile *modem_profile_by_name(const char *name);
/* The profile whose cgmm_match fits the +CGMM answer; the generic profile otherwise. */
const struct modem_profile *modem_profile_for_cgmm(const char *cgmm);
/* All profiles, NULL-terminated (for `chaperone modem profiles` and the VTY). */
const struct modem_profile *const *modem_profiles(void);
