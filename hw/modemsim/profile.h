/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Identity profiles: what a modem of a given make says about itself.
 *
 * The strings are the ones those modems print for ATI, +CGMI, +CGMM and +CGMR, so a
 * client's model detection (gammu's, or Chaperone's hw/ profiles) sees a familiar
 * device. Behaviour differences kept here are the ones clients branch on. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

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
};

/* The profile called `name` (case-insensitive), or NULL. */
const struct sim_profile *profile_find(const char *name);
/* "generic, EC25, ..." for usage text. */
const char *profile_names(void);
