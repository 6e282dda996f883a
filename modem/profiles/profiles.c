/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The profile table and its look-ups (modem_profile.h). */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "modem/profiles/profile_families.h"

/* Generic first: `chaperone modem profiles` and the VTY list it as the default. */
static const struct modem_profile *const profiles[] = {
    &modem_profile_generic,	  &modem_profile_quectel_ec25, &modem_profile_simcom_sim7600,
    &modem_profile_simcom_sim800, &modem_profile_huawei_e173,  NULL,
};

const struct modem_profile *modem_profile_by_name(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; profiles[i]; i++) {
		if (strcasecmp(profiles[i]->name, name) == 0)
			return profiles[i];
	}
	return NULL;
}

/* A substring, case-insensitive: +CGMM carries vendor prefixes and suffixes
 * ("SIMCOM_SIM7600E-H", "Quectel EC25-E", "SIM800 R14.18") that vary by firmware. */
const struct modem_profile *modem_profile_for_cgmm(const char *cgmm)
{
	if (!cgmm || !*cgmm)
		return &modem_profile_generic;
	for (size_t i = 0; profiles[i]; i++) {
		for (const char *const *m = profiles[i]->cgmm_match; *m; m++) {
			if (strcasestr(cgmm, *m))
				return profiles[i];
		}
	}
	return &modem_profile_generic;
}

const struct modem_profile *const *modem_profiles(void)
{
	return profiles;
}
