/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Identity profiles: what a modem of a given make says about itself.
 *
 * The strings are the ones those modems print for ATI, +CGMI, +CGMM and +CGMR, so a
 * client's model detection (gammu's, or Chaperone's hw/ profiles) sees a familiar
 * device. Behaviour differences kept here are the ones clients branch on. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* How a family carries calls: its call-state URCs, audio switch and DTMF commands. */
enum voice_family {
	VOICE_27007,   /* generic and SIM800: only the 27.007 lines, no audio port output */
	VOICE_QUECTEL, /* +QIND "ccinfo", +QPCMV, +QTONEDET, quoted +VTS */
	VOICE_SIMCOM,  /* VOICE CALL:, MISSED_CALL:, +CLCC URCs, +CPCMREG, +DDET, +CRESET */
	VOICE_HUAWEI,  /* ^ORIG/^CONF/^CONN/^CEND, ^DDSETEX, ^CVOICE, ^DTMF, ^DDTMF */
};

struct sim_profile {
	const char *name;	  /* --model value */
	const char *manufacturer; /* +CGMI */
	const char *model;	  /* +CGMM */
	const char *revision;	  /* +CGMR */
	const char *cgmr_prefix;  /* SIMCom LTE modules answer "+CGMR: <rev>" */
	/* ATI lines; "%IMEI%" is replaced by the modem's IMEI. NULL-terminated. */
	const char *ati[6];
	const char *tac; /* first 8 IMEI digits (type allocation code) */
	bool lte;	 /* knows +CEREG */
	bool huawei;	 /* knows ^CURC and friends */
	uint8_t act;	 /* +COPS access technology: 0 GSM, 2 UTRAN, 7 E-UTRAN */
	uint8_t cnmi[5]; /* power-on +CNMI */
	enum voice_family voice;
};

/* The profile called `name` (case-insensitive), or NULL. */
const struct sim_profile *profile_find(const char *name);
/* "generic, EC25, ..." for usage text. */
const char *profile_names(void);
