/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Identity profiles, see profile.h. */
#include <stddef.h>
#include <strings.h>

#include <osmocom/core/utils.h>

#include "hw/modemsim/profile.h"

static const struct sim_profile profiles[] = {
    {
	.name = "generic",
	.manufacturer = "Chaperone",
	.model = "modemsim",
	.revision = "modemsim 1.0",
	.ati = {"Manufacturer: Chaperone", "Model: modemsim", "Revision: modemsim 1.0",
		"IMEI: %IMEI%", "+GCAP: +CGSM", NULL},
	.tac = "35000011",
	.lte = true,
	.act = 7,
	.cnmi = {2, 1, 0, 0, 0},
    },
    {
	.name = "EC25",
	.manufacturer = "Quectel",
	.model = "EC25",
	.revision = "EC25EFAR06A06M4G",
	.ati = {"Quectel", "EC25", "Revision: EC25EFAR06A06M4G", NULL},
	.tac = "86714203",
	.lte = true,
	.act = 7,
	.cnmi = {2, 1, 0, 0, 0},
	.voice = VOICE_QUECTEL,
    },
    {
	.name = "SIM7600",
	.manufacturer = "SIMCOM INCORPORATED",
	.model = "SIMCOM_SIM7600E-H",
	.revision = "LE20B04SIM7600M22",
	.cgmr_prefix = "+CGMR: ",
	.ati = {"Manufacturer: SIMCOM INCORPORATED", "Model: SIMCOM_SIM7600E-H",
		"Revision: SIM7600M22_V2.0", "IMEI: %IMEI%", "+GCAP: +CGSM,+FCLASS,+DS", NULL},
	.tac = "86214704",
	.lte = true,
	.act = 7,
	.cnmi = {2, 1, 0, 0, 0},
	.voice = VOICE_SIMCOM,
    },
    {
	.name = "SIM800",
	.manufacturer = "SIMCOM_Ltd",
	.model = "SIMCOM_SIM800",
	.revision = "Revision:1418B04SIM800C24",
	.ati = {"SIM800 R14.18", NULL},
	.tac = "86269503",
	.act = 0,
	.cnmi = {2, 1, 0, 0, 0},
    },
    {
	.name = "E173",
	.manufacturer = "huawei",
	.model = "E173",
	.revision = "11.126.85.00.209",
	.ati = {"Manufacturer: huawei", "Model: E173", "Revision: 11.126.85.00.209", "IMEI: %IMEI%",
		"+GCAP: +CGSM,+DS,+ES", NULL},
	.tac = "35781504",
	.huawei = true,
	.act = 2,
	.cnmi = {0, 0, 0, 0, 0},
	.voice = VOICE_HUAWEI,
    },
};

const struct sim_profile *profile_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(profiles); i++) {
		if (strcasecmp(profiles[i].name, name) == 0)
			return &profiles[i];
	}
	return NULL;
}

const char *profile_names(void)
{
	return "generic, EC25, SIM7600, SIM800, E173";
}
