/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Alerts without a person watching: what the district's IT person and administrators are
 * texted about the relay itself.
 *
 *   chaperone
 *    it-contact +16175550100
 *    admin-contact +16175550202     (up to 4 lines)
 *    alert modem-down 300           (daemon_modems.c)
 *
 * Every alert goes to the it-contact and to every admin-contact, each number once, through
 * the relay itself: from a relay number whose modem is up and has room left, else from the
 * one the alert is about (where it waits until that modem is back). Each text is recorded
 * as a delivery ("alert") like every other, and the alert is logged at ERROR, so that a
 * box nobody texts about still says it in its log. */
#include <string.h>

#include <osmocom/core/logging.h>

#include "gateway/daemon/chaperoned.h"

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

/* Text `text` to the it-contact and every admin-contact, each once, from `from`. */
static void to_contacts(struct chaperoned *d, struct daemon_modem *from, const char *text)
{
	const char *sent[DAEMON_MAX_ADMIN_CONTACTS + 1];
	unsigned n = 0;

	if (!d->router || !from || !from->relay_number)
		return;
	if (d->it_contact)
		sent[n++] = d->it_contact;
	for (unsigned i = 0; i < d->n_admin_contacts; i++) {
		bool dup = false;

		for (unsigned k = 0; k < n; k++)
			dup |= !strcmp(sent[k], d->admin_contacts[i]);
		if (!dup)
			sent[n++] = d->admin_contacts[i];
	}
	for (unsigned i = 0; i < n; i++)
		if (router_alert(d->router, from->relay_number, sent[i], text, 0, store_now_ms()) <
		    0)
			LOGP(DSTORE, LOGL_ERROR, "the alert to %s could not be recorded: %s\n",
			     sent[i], store_errmsg(d->store));
}

void daemon_alert(struct chaperoned *d, struct daemon_modem *near, const char *text)
{
	LOGP(DRELAY, LOGL_ERROR, "alert: %s\n", text);
	to_contacts(d, daemon_alert_modem(d, near), text);
}

void daemon_alert_clear(struct chaperoned *d, struct daemon_modem *near, const char *text)
{
	LOGP(DRELAY, LOGL_NOTICE, "alert over: %s\n", text);
	to_contacts(d, daemon_alert_modem(d, near), text);
}
