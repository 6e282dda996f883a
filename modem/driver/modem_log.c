/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Logging categories of the modem driver. */
#include "modem/driver/modem_log.h"

#include <osmocom/core/utils.h>

const struct log_info_cat chaperone_modem_log_cats[CHAPERONE_MODEM_LOG_NCAT] = {
    [DAT] = {.name = "DAT",
	     .description = "AT channel: lines in and out, framing, timeouts",
	     .enabled = 1,
	     .loglevel = LOGL_NOTICE},
    [DMODEM] = {.name = "DMODEM",
		.description = "modem lifecycle, profiles, recovery",
		.enabled = 1,
		.loglevel = LOGL_NOTICE},
    [DSMS] = {.name = "DSMS",
	      .description = "SMS receive, send queue, status reports",
	      .enabled = 1,
	      .loglevel = LOGL_NOTICE},
};

const struct log_info chaperone_modem_log_info = {
    .cat = chaperone_modem_log_cats,
    .num_cat = ARRAY_SIZE(chaperone_modem_log_cats),
};
