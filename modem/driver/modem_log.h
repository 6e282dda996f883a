/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Logging categories of the modem driver, for osmo_init_logging2().
 *
 * chaperoned, `chaperone modem` and the tests pass chaperone_modem_log_info. A program
 * with categories of its own builds its array with these first (the enum values below
 * are indices into it) and its own from CHAPERONE_MODEM_LOG_NCAT on. */
#pragma once

#include <osmocom/core/logging.h>

enum {
	DAT,	/* AT channel: lines in and out, framing, timeouts */
	DMODEM, /* modem lifecycle, profiles, recovery */
	DSMS,	/* receive, send queue, status reports */
	CHAPERONE_MODEM_LOG_NCAT,
};

extern const struct log_info_cat chaperone_modem_log_cats[CHAPERONE_MODEM_LOG_NCAT];
extern const struct log_info chaperone_modem_log_info;
