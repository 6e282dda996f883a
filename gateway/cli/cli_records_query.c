/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The records query's command-line options, shared by search and export. */
#include <stdbool.h>
#include <string.h>

#include "gateway/cli/cli_records_query.h"

int cli_rq_take(struct rq_query *q, struct cli_rq_dates *d, int opt, const char *arg,
		const char **why)
{
	switch (opt) {
	case CLI_RQ_PERSON:
		q->person = arg;
		return 1;
	case CLI_RQ_DIRECTION:
		if (!strcmp(arg, "sent"))
			q->direction = RQ_SENT;
		else if (!strcmp(arg, "received"))
			q->direction = RQ_RECEIVED;
		else {
			*why = "--direction is sent or received, not '%s'";
			return -1;
		}
		return 1;
	case CLI_RQ_TEAM:
		q->team = arg;
		return 1;
	case CLI_RQ_RELAY:
		q->relay = arg;
		return 1;
	case CLI_RQ_SINCE:
		d->since = arg;
		return 1;
	case CLI_RQ_UNTIL:
		d->until = arg;
		return 1;
	case CLI_RQ_VERDICT:
		if (strcmp(arg, "deliver") && strcmp(arg, "hold") && strcmp(arg, "block") &&
		    strcmp(arg, "reply") && strcmp(arg, "ignore")) {
			*why = "--verdict is deliver, hold, block, reply or ignore, not '%s'";
			return -1;
		}
		q->verdict = arg;
		return 1;
	case CLI_RQ_RULE:
		q->rule = arg;
		return 1;
	case CLI_RQ_FLAGGED:
		q->flagged = true;
		return 1;
	case CLI_RQ_HELD:
		q->held = true;
		return 1;
	case CLI_RQ_TEXT:
		q->text = arg;
		return 1;
	case CLI_RQ_THREAD:
		q->thread = true;
		return 1;
	}
	return 0;
}

int cli_rq_finish(struct rq_query *q, const struct cli_rq_dates *d, const char **why,
		  const char **what)
{
	if (q->direction != RQ_ANY && !q->person) {
		*why = "%s needs --person";
		*what = "--direction";
		return -1;
	}
	if (d->since && rq_parse_date(d->since, false, &q->since) < 0) {
		*why = "--since is YYYY-MM-DD or YYYY-MM-DDTHH:MM, not '%s'";
		*what = d->since;
		return -1;
	}
	if (d->until && rq_parse_date(d->until, true, &q->until) < 0) {
		*why = "--until is YYYY-MM-DD or YYYY-MM-DDTHH:MM, not '%s'";
		*what = d->until;
		return -1;
	}
	return 0;
}
