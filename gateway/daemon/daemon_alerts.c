/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Alerts without a person watching: what the district's IT person and administrators are
 * texted about the relay itself.
 *
 *   chaperone
 *    it-contact +16175550100
 *    admin-contact +16175550202     (up to 4 lines)
 *    alert modem-down 300           (daemon_modems.c)
 *    alert disk-full 90             (% of the archive's disk used; 0: never)
 *    alert anchor-overdue 35        (days without an anchor; 0: never)
 *    alert crisis-unacknowledged 15 (minutes; 0: never)
 *
 * The archive's disk is checked at start and every X9 seconds (`timer relay X9`, 60 by
 * default): used as `df` counts it (what root keeps back counts as used) at or above the
 * setting is alerted once, with what is left, and again once a day while it stays, or
 * when it went below the setting in between and came back. So is the last anchor: the
 * newest `chaperone records anchor` or disposal recorded (access_last_anchor), or with
 * none ever, the archive's beginning; older than the setting is alerted once, then once a
 * day until an anchor is taken.
 *
 * A crisis conversation (gateway/relay/router_crisis.c) that no administrator acknowledged
 * (ACK @name) or closed within the setting after it opened is alerted once, checked at
 * every X9 too: to the contacts and again to the people the crisis alerted when it opened,
 * from its own relay number when that modem is up. The alert names neither the student
 * nor what was written, only when, where and by whom it opened: it goes to the IT person
 * too. Which conversations are open, acknowledged and alerted about is read from the
 * records each time (the alert is recorded against the message that opened it), so a
 * restart neither loses a pending alert nor repeats one.
 *
 * Every alert goes to the it-contact and to every admin-contact, each number once, through
 * the relay itself: from a relay number whose modem is up and has room left, else from the
 * one the alert is about (where it waits until that modem is back). Each text is recorded
 * as a delivery ("alert") like every other, and the alert is logged at ERROR, so that a
 * box nobody texts about still says it in its log. */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/utils.h>

#include <talloc.h>

#include "gateway/daemon/chaperoned.h"
#include "storage/archive/access_log.h"
#include "storage/model/directory.h"
#include "storage/records/records.h"

struct daemon_modem *daemon_alert_modem(struct chaperoned *d, struct daemon_modem *near)
{
	struct daemon_modem *dm;

	llist_for_each_entry (dm, &d->modems, list)
		if (dm->modem && dm != near && !modem_paced(dm->modem) &&
		    modem_get_state(dm->modem) == MODEM_ST_READY)
			return dm;
	if (near && near->modem)
		return near;
	llist_for_each_entry (dm, &d->modems, list)
		if (dm->modem)
			return dm;
	return NULL;
}

/* Text `text` to the it-contact, every admin-contact and the `extra` numbers, each once,
 * from `from`, recorded as about message_id (0: none). */
static void to_contacts(struct chaperoned *d, struct daemon_modem *from, const char *text,
			int64_t message_id, const char *const *extra, unsigned n_extra)
{
	const char **to;
	unsigned n = 0;

	if (!d->router || !from || !from->relay_number)
		return;
	to = talloc_array(d, const char *, 1 + d->n_admin_contacts + n_extra);
	if (!to)
		return;
	if (d->it_contact)
		to[n++] = d->it_contact;
	for (unsigned i = 0; i < d->n_admin_contacts + n_extra; i++) {
		const char *num =
		    i < d->n_admin_contacts ? d->admin_contacts[i] : extra[i - d->n_admin_contacts];
		bool dup = !num || !*num;

		for (unsigned k = 0; k < n && !dup; k++)
			dup = !strcmp(to[k], num);
		if (!dup)
			to[n++] = num;
	}
	for (unsigned i = 0; i < n; i++)
		if (router_alert(d->router, from->relay_number, to[i], text, message_id,
				 store_now_ms()) < 0)
			LOGP(DSTORE, LOGL_ERROR, "the alert to %s could not be recorded: %s\n",
			     to[i], store_errmsg(d->store));
	talloc_free(to);
}

void daemon_alert(struct chaperoned *d, struct daemon_modem *near, const char *text)
{
	LOGP(DRELAY, LOGL_ERROR, "alert: %s\n", text);
	to_contacts(d, daemon_alert_modem(d, near), text, 0, NULL, 0);
}

void daemon_alert_clear(struct chaperoned *d, struct daemon_modem *near, const char *text)
{
	LOGP(DRELAY, LOGL_NOTICE, "alert over: %s\n", text);
	to_contacts(d, daemon_alert_modem(d, near), text, 0, NULL, 0);
}

#define DAY_MS (24LL * 3600 * 1000)

/* ---- The archive's disk ---- */

int daemon_archive_disk(struct chaperoned *d, uint64_t *free_bytes, unsigned *used_pct)
{
	char *path, *dir;
	struct statvfs sv;
	uint64_t used, avail;
	int rc;

	if (!d->database)
		return -ENOENT;
	path = talloc_strdup(d, d->database);
	if (!path)
		return -ENOMEM;
	dir = dirname(path);
	rc = statvfs(dir, &sv) < 0 ? -errno : 0;
	talloc_free(path);
	if (rc < 0)
		return rc;
	/* As df: used is what is not free; the share is of what users can have. */
	used = (uint64_t)(sv.f_blocks - sv.f_bfree) * sv.f_frsize;
	avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	*free_bytes = avail;
	*used_pct = used + avail ? (unsigned)((used * 100 + used + avail - 1) / (used + avail)) : 0;
	return 0;
}

static void bytes_text(char *out, size_t cap, uint64_t n)
{
	if (n >= 1000000000ULL)
		snprintf(out, cap, "%.1f GB", (double)n / 1e9);
	else if (n >= 1000000ULL)
		snprintf(out, cap, "%.0f MB", (double)n / 1e6);
	else
		snprintf(out, cap, "%" PRIu64 " kB", n / 1000);
}

static void check_disk(struct chaperoned *d, int64_t now)
{
	uint64_t free_bytes;
	unsigned pct;
	char text[512], left[32];
	int rc;

	if (!d->alert_disk_full_pct) {
		d->disk_alerted_at = 0;
		return;
	}
	rc = daemon_archive_disk(d, &free_bytes, &pct);
	if (rc < 0) {
		LOGP(DSTORE, LOGL_ERROR, "cannot tell how full the archive's disk is: %s\n",
		     strerror(-rc));
		return;
	}
	if (pct < d->alert_disk_full_pct) {
		if (d->disk_alerted_at)
			LOGP(DSTORE, LOGL_NOTICE,
			     "the archive's disk is below alert disk-full again: %u%% used\n", pct);
		d->disk_alerted_at = 0;
		return;
	}
	if (d->disk_alerted_at && now - d->disk_alerted_at < DAY_MS)
		return;
	d->disk_alerted_at = now;
	bytes_text(left, sizeof(left), free_bytes);
	snprintf(text, sizeof(text),
		 "The archive's disk is %u%% full (%s free; alert disk-full %u). When it is full "
		 "no text can be recorded, so none is relayed. Free space on it or move the "
		 "archive (%s).",
		 pct, left, d->alert_disk_full_pct, d->database);
	daemon_alert(d, NULL, text);
}

/* ---- The last anchor ---- */

static void check_anchor(struct chaperoned *d, int64_t now)
{
	int64_t at = 0, days;
	int rc;
	bool never;
	char text[320];

	if (!d->alert_anchor_days || !d->store) {
		d->anchor_alerted_at = 0;
		return;
	}
	rc = access_last_anchor(d->store, &at);
	never = rc == 0;
	if (never)
		rc = access_archive_began(d->store, &at);
	if (rc < 0) {
		LOGP(DSTORE, LOGL_ERROR, "cannot read when the archive was last anchored: %s\n",
		     store_errmsg(d->store));
		return;
	}
	days = rc ? (now - at) / DAY_MS : 0;
	if (days < (int64_t)d->alert_anchor_days) {
		d->anchor_alerted_at = 0;
		return;
	}
	if (d->anchor_alerted_at && now - d->anchor_alerted_at < DAY_MS)
		return;
	d->anchor_alerted_at = now;
	snprintf(text, sizeof(text),
		 "No anchor of the archive for %lld day%s%s; run chaperone records anchor and file "
		 "the line outside this machine (alert anchor-overdue %u).",
		 (long long)days, days == 1 ? "" : "s", never ? " (none was ever taken)" : "",
		 d->alert_anchor_days);
	daemon_alert(d, NULL, text);
}

/* ---- Crisis conversations no administrator acknowledged ---- */

struct crises {
	struct rec_crisis *c;
	unsigned n;
};

static void crisis_due(const struct rec_crisis *c, void *data)
{
	struct crises *l = data;
	struct rec_crisis *more = talloc_realloc(g_daemon, l->c, struct rec_crisis, l->n + 1);

	if (!more)
		return;
	l->c = more;
	l->c[l->n] = *c;
	l->c[l->n].relay = talloc_strdup(l->c, c->relay);
	l->n++;
}

struct numbers {
	const char **n;
	unsigned count;
};

static void crisis_alerted(int64_t person_id, const char *number, void *data)
{
	struct numbers *l = data;
	const char **more = talloc_realloc(g_daemon, l->n, const char *, l->count + 1);

	(void)person_id;
	if (!more || !number)
		return;
	l->n = more;
	l->n[l->count++] = talloc_strdup(l->n, number);
}

static bool crisis_seen(struct chaperoned *d, int64_t message_id)
{
	for (unsigned i = 0; i < d->n_crisis_alerted && i < ARRAY_SIZE(d->crisis_alerted); i++)
		if (d->crisis_alerted[i] == message_id)
			return true;
	return false;
}

static void alert_crisis(struct chaperoned *d, const struct rec_crisis *c, int64_t now)
{
	const struct directory *dir = router_directory(d->router);
	const struct dir_person *staff = dir ? dir_person_by_id(dir, c->staff_id) : NULL;
	struct daemon_modem *dm, *from = NULL;
	struct numbers alerted = {0};
	time_t opened = (time_t)(c->opened_at / 1000), t_now = (time_t)(now / 1000);
	struct tm lo, ln;
	char when[32], text[400];
	long long minutes = (now - c->opened_at) / 60000;

	localtime_r(&opened, &lo);
	localtime_r(&t_now, &ln);
	strftime(when, sizeof(when),
		 lo.tm_yday == ln.tm_yday && lo.tm_year == ln.tm_year ? "%H:%M" : "%H:%M on %b %e",
		 &lo);
	snprintf(text, sizeof(text),
		 "A crisis conversation opened at %s on %s by %s has not been acknowledged by an "
		 "administrator for %lld minute%s. The administrators it alerted answer ACK @name "
		 "to %s (alert crisis-unacknowledged %u).",
		 when, c->relay, staff ? staff->display : "a staff member", minutes,
		 minutes == 1 ? "" : "s", c->relay, d->alert_crisis_min);
	LOGP(DRELAY, LOGL_ERROR, "alert: %s\n", text);
	d->crisis_alerted[d->n_crisis_alerted++ % ARRAY_SIZE(d->crisis_alerted)] = c->message_id;
	/* From the number the crisis is on, which its administrators know, when it can. */
	llist_for_each_entry (dm, &d->modems, list)
		if (dm->relay_number && !strcmp(dm->relay_number, c->relay))
			from = dm;
	if (!from || !from->modem || modem_paced(from->modem) ||
	    modem_get_state(from->modem) != MODEM_ST_READY)
		from = daemon_alert_modem(d, from);
	if (rec_crisis_alerted(d->store, c->verdict_id, crisis_alerted, &alerted) < 0)
		LOGP(DSTORE, LOGL_ERROR, "cannot read whom the crisis alerted: %s\n",
		     store_errmsg(d->store));
	to_contacts(d, from, text, c->message_id, alerted.n, alerted.count);
	talloc_free(alerted.n);
}

static void check_crises(struct chaperoned *d, int64_t now)
{
	int64_t window = (int64_t)d->rcfg.crisis_window_s * 1000;
	struct crises l = {0};

	if (!d->alert_crisis_min || !d->store || !d->router)
		return;
	if (rec_crises_open(d->store, now - window, window, crisis_due, &l) < 0) {
		LOGP(DSTORE, LOGL_ERROR, "cannot read the open crisis conversations: %s\n",
		     store_errmsg(d->store));
		talloc_free(l.c);
		return;
	}
	for (unsigned i = 0; i < l.n; i++)
		if (!l.c[i].acknowledged && !l.c[i].alerted && !crisis_seen(d, l.c[i].message_id) &&
		    now - l.c[i].opened_at >= (int64_t)d->alert_crisis_min * 60000)
			alert_crisis(d, &l.c[i], now);
	talloc_free(l.c);
}

/* ---- The checks, now and every X9 ---- */

static void alerts_cb(void *data)
{
	struct chaperoned *d = data;
	int64_t now = store_now_ms();

	if (!d->stopping) {
		check_disk(d, now);
		check_anchor(d, now);
		check_crises(d, now);
	}
	daemon_timer_schedule(&d->alert_timer, DAEMON_T_ALERT_CHECK);
}

void daemon_alerts_start(struct chaperoned *d)
{
	osmo_timer_setup(&d->alert_timer, alerts_cb, d);
	alerts_cb(d);
}
