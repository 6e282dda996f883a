/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The profiles each family file defines, for the table in profiles.c. */
#pragma once

#include "modem/profiles/modem_profile.h"

extern const struct modem_profile modem_profile_generic;
extern const struct modem_profile modem_profile_quectel_ec25;
extern const struct modem_profile modem_profile_simcom_sim7600;
extern const struct modem_profile modem_profile_simcom_sim800;
extern const struct modem_profile modem_profile_huawei_e173;
