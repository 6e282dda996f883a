/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The query options that `chaperone records search` and `records export` share, so
 * that a request scoped on screen and the bundle handed over are selected by the same
 * words: --person --direction --team --relay --since --until --verdict --rule --flagged
 * --held --text --thread (storage/records/records_query.h says what each means). */
#pragma once

#include <getopt.h>

#include "storage/records/records_query.h"

enum cli_rq_option {
	CLI_RQ_PERSON = 512, /* above any command's own option values */
	CLI_RQ_DIRECTION,
	CLI_RQ_TEAM,
	CLI_RQ_RELAY,
	CLI_RQ_SINCE,
	CLI_RQ_UNTIL,
	CLI_RQ_VERDICT,
	CLI_RQ_RULE,
	CLI_RQ_FLAGGED,
	CLI_RQ_HELD,
	CLI_RQ_TEXT,
	CLI_RQ_THREAD,
};

/* For a command's struct option table. */
#define CLI_RQ_OPTIONS                                                                             \
	{"person", required_argument, NULL, CLI_RQ_PERSON},                                        \
	    {"direction", required_argument, NULL, CLI_RQ_DIRECTION},                              \
	    {"team", required_argument, NULL, CLI_RQ_TEAM},                                        \
	    {"relay", required_argument, NULL, CLI_RQ_RELAY},                                      \
	    {"since", required_argument, NULL, CLI_RQ_SINCE},                                      \
	    {"until", required_argument, NULL, CLI_RQ_UNTIL},                                      \
	    {"verdict", required_argument, NULL, CLI_RQ_VERDICT},                                  \
	    {"rule", required_argument, NULL, CLI_RQ_RULE},                                        \
	    {"flagged", no_argument, NULL, CLI_RQ_FLAGGED},                                        \
	    {"held", no_argument, NULL, CLI_RQ_HELD},                                              \
	    {"text", required_argument, NULL, CLI_RQ_TEXT},                                        \
	{                                                                                          \
		"thread", no_argument, NULL, CLI_RQ_THREAD                                         \
	}

/* The dates as typed, until cli_rq_finish() parses them. */
struct cli_rq_dates {
	const char *since, *until;
};

/* Take one getopt result: 1 when it was a query option (taken), 0 when it is not one,
 * -1 when its value is bad (*why: a message with one %s for the value). */
int cli_rq_take(struct rq_query *q, struct cli_rq_dates *d, int opt, const char *arg,
		const char **why);

/* Once all options are read: the dates parsed, --direction checked against --person.
 * 0, or -1 with *why (one %s) and *what (its value). */
int cli_rq_finish(struct rq_query *q, const struct cli_rq_dates *d, const char **why,
		  const char **what);
