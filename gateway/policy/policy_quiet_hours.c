/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* quiet-hours — Oxford (000), West Springfield IJNDD (001), Melrose (002): after-hours
 * texting of students is limited to time-sensitive matters.
 *
 * A staff message with a student among its recipients, sent inside the district's quiet
 * window [quiet_start, quiet_end) local time (the window may wrap midnight), is held and
 * released automatically at the next quiet_end, unless marked "!urgent" (time-sensitive)
 * or a crisis answer. The release time is computed from the request's UTC `now` and its
 * local broken-down time, so the engine needs no time zone of its own: now plus the
 * minutes to quiet_end, less the seconds already into the current minute.
 *
 * When contact-screen already holds the message, that hold decides (an administrator
 * releases it) and quiet-hours is listed after it; hold_until is still set, as the
 * earliest time the message should go out once released. */
#include <talloc.h>

#include "gateway/policy/policy_internal.h"

bool policy_quiet_now(const struct policy_config *cfg, const struct tm *local, int *end_min)
{
	int start, end, m;

	if (!cfg->quiet_hours)
		return false;
	start = ((cfg->quiet_start_min % 1440) + 1440) % 1440;
	end = ((cfg->quiet_end_min % 1440) + 1440) % 1440;
	if (start == end)
		return false; /* an empty window: quiet hours configured off */
	m = local->tm_hour * 60 + local->tm_min;
	if (m < 0 || m >= 1440)
		m = ((m % 1440) + 1440) % 1440;
	*end_min = end;
	return start < end ? (m >= start && m < end) : (m >= start || m < end);
}

void policy_rule_quiet_hours(struct pol_state *st)
{
	const struct policy_request *req = st->req;
	const struct policy_config *cfg = st->cfg;
	int start, end, m, sec, wait;
	char from[6], to[6];

	if (!dir_is_staff_side(req->sender) || req->urgent || st->crisis)
		return;
	if (!pol_has_role_recipient(st, DIR_STUDENT))
		return;
	if (!policy_quiet_now(cfg, &req->local, &end))
		return;
	start = ((cfg->quiet_start_min % 1440) + 1440) % 1440;
	m = ((req->local.tm_hour * 60 + req->local.tm_min) % 1440 + 1440) % 1440;
	sec = req->local.tm_sec < 0 ? 0 : req->local.tm_sec > 59 ? 59 : req->local.tm_sec;

	wait = (end - m + 1440) % 1440;
	st->quiet = true;
	st->quiet_until = req->now + (time_t)wait * 60 - sec;
	pol_hhmm(from, start);
	pol_hhmm(to, end);
	if (st->hold.rule) {
		/* Held for review already: say when it can go once an administrator releases it. */
		st->hold.reply =
		    talloc_asprintf(st->tmp,
				    "%s It is also quiet hours (%s-%s): once released, "
				    "it goes out at %s at the earliest.",
				    st->hold.reply, from, to, to);
	}
	pol_hold(
	    st, POLICY_RULE_QUIET_HOURS, POLICY_RELEASE_TIME,
	    talloc_asprintf(st->tmp, "quiet hours (%s-%s): held until %s", from, to, to),
	    talloc_asprintf(st->tmp,
			    "Quiet hours (%s-%s): your message will be delivered at %s. If it "
			    "is time-sensitive, send it again starting with !urgent to send it "
			    "now.",
			    from, to, to));
}
