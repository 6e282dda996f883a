/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Carrier pacing of one modem's submits: a rate (submits per minute, evenly spaced) and a
 * cap on the submits of any 24 hours, because carriers flag a SIM that sends in bulk as a
 * spammer and block it. Parts wait for their time; none is dropped.
 *
 * The 24 hours are counted in hour buckets of wall-clock time, so a cap seeded from the
 * archive at start-up (modem_set_pacing) holds across restarts; the rate uses the
 * monotonic clock. */
#include <string.h>
#include <time.h>

#include <osmocom/core/timer.h>

#include "modem/driver/modem_internal.h"

#define HOUR_MS (3600LL * 1000)

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned used_at(const struct modem *m, int64_t hour)
{
	unsigned n = 0;

	for (unsigned i = 0; i < 24; i++)
		if (m->pace_hour[i] > hour - 24 && m->pace_hour[i] <= hour)
			n += m->pace_count[i];
	return n;
}

static void add_at(struct modem *m, int64_t hour, unsigned n)
{
	unsigned i = (unsigned)(hour % 24);

	if (m->pace_hour[i] != hour) {
		m->pace_hour[i] = hour;
		m->pace_count[i] = 0;
	}
	m->pace_count[i] += n;
}

void modem_set_pacing(struct modem *m, const struct modem_pacing *p, const unsigned *hours_ago)
{
	int64_t hour = wall_ms() / HOUR_MS;

	m->pacing = *p;
	/* A wait for the old pacing is over: the new one decides. */
	if (m->pace_waiting) {
		osmo_timer_del(&m->send_timer);
		m->pace_waiting = false;
	}
	if (hours_ago) {
		memset(m->pace_count, 0, sizeof(m->pace_count));
		memset(m->pace_hour, 0, sizeof(m->pace_hour));
		for (unsigned h = 0; h < 24; h++)
			if (hours_ago[h])
				add_at(m, hour - h, hours_ago[h]);
	}
	modem_send_kick(m);
}

unsigned modem_pacing_used(const struct modem *m)
{
	return used_at(m, wall_ms() / HOUR_MS);
}

bool modem_paced(const struct modem *m)
{
	return m->pacing.daily_cap && modem_pacing_used(m) >= m->pacing.daily_cap;
}

static void tell_cb(void *data)
{
	struct modem *m = data;
	struct modem_pool *pool = m->pool;

	if (pool->ev.on_pacing && !m->stopping)
		pool->ev.on_pacing(m, m->pace_told_used, m->pacing.daily_cap, m->pace_full_told,
				   pool->ev_data);
}

/* Tell the upper layer once when the 24 hours reach 80 % of the cap, and once when they
 * reach it; again after they fell below. From the loop, not from inside the send path:
 * what the upper layer does about it (an alert) may queue a text on this very modem. */
static void tell(struct modem *m, unsigned used)
{
	unsigned cap = m->pacing.daily_cap;
	bool near = cap && used * 5 >= cap * 4, full = cap && used >= cap;

	if ((near && !m->pace_near_told) || (full && !m->pace_full_told)) {
		m->pace_near_told = true;
		m->pace_full_told = full;
		m->pace_told_used = used;
		osmo_timer_schedule(&m->pace_timer, 0, 0);
	}
	if (!near)
		m->pace_near_told = false;
	if (!full)
		m->pace_full_told = false;
}

void modem_pacing_init(struct modem *m)
{
	osmo_timer_setup(&m->pace_timer, tell_cb, m);
}

void modem_pacing_stop(struct modem *m)
{
	osmo_timer_del(&m->pace_timer);
}

unsigned long modem_pacing_wait_ms(struct modem *m)
{
	int64_t now = wall_ms(), hour = now / HOUR_MS, mono = mono_ms();
	unsigned used = used_at(m, hour);

	tell(m, used);
	if (m->pacing.daily_cap && used >= m->pacing.daily_cap) {
		/* Until the oldest hour that counts drops out of the 24. */
		int64_t oldest = hour;

		for (unsigned i = 0; i < 24; i++)
			if (m->pace_count[i] && m->pace_hour[i] > hour - 24 &&
			    m->pace_hour[i] < oldest)
				oldest = m->pace_hour[i];
		return (unsigned long)((oldest + 24) * HOUR_MS - now) + 1;
	}
	if (m->pacing.per_minute && m->pace_last_mono) {
		int64_t next = m->pace_last_mono + 60000 / m->pacing.per_minute;

		if (mono < next)
			return (unsigned long)(next - mono);
	}
	return 0;
}

bool modem_pacing_holds_next(const struct modem *m)
{
	return m->pacing.per_minute ||
	       (m->pacing.daily_cap && modem_pacing_used(m) >= m->pacing.daily_cap);
}

void modem_pacing_note_submit(struct modem *m)
{
	add_at(m, wall_ms() / HOUR_MS, 1);
	m->pace_last_mono = mono_ms();
	tell(m, modem_pacing_used(m));
}
