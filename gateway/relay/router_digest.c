/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* What the relay sends on its own schedule: the oversight digest (once a day, each
 * overseer gets the staff messages of their teams that the policy marked for the digest)
 * and the relay's own texts: alerts to the district's IT contact, who is calling, call
 * summaries. */
#include <stdbool.h>

#include <talloc.h>

#include "storage/archive/store.h"
#include "gateway/relay/router_internal.h"

struct digest_ctx {
	struct router *r;
	char *text;
	unsigned n;
};

static void digest_item(const struct rec_digest_item *it, void *data)
{
	struct digest_ctx *dc = data;
	const struct dir_person *p = dir_person_by_id(dc->r->dir, it->sender_id);
	char when[32];

	store_format_time(when, sizeof(when), it->at);
	dc->text = talloc_asprintf_append(dc->text, "\n%.16s %s (%s): %s", when,
					  p ? p->display : "?", it->action, it->body);
	dc->n++;
}

unsigned router_send_digests(struct router *r, int64_t now)
{
	unsigned sent = 0;
	int64_t *queued = NULL; /* every digest recorded, dispatched together at the end */
	unsigned nq = 0;

	if (!r->dir && router_load(r) < 0)
		return 0;
	for (unsigned i = 0; i < r->dir->n_persons; i++) {
		struct dir_person *a = r->dir->persons[i];
		int64_t last;
		if (a->role != DIR_ADMIN || !a->phone)
			continue;
		last = rec_last_digest(r->store, a->id);
		if (last && now - last < 20 * 3600 * 1000LL)
			continue;
		for (unsigned t = 0; t < r->dir->n_teams; t++) {
			struct dir_team *team = r->dir->teams[t];
			struct digest_ctx dc = {r, NULL, 0};
			struct rec_delivery d = {0};
			bool oversees = false;
			int64_t id;
			for (unsigned k = 0; k < team->n_overseers; k++)
				oversees |= team->overseers[k] == a;
			if (!oversees || !team->relay ||
			    (a->opted_out & (1u << team->relay->index)))
				continue;
			dc.text = talloc_asprintf(r, "%s relay: daily digest of %s staff messages:",
						  r->cfg.district, team->name);
			rec_digest_items(r->store, team->id, last ? last : now - 24 * 3600 * 1000LL,
					 now, digest_item, &dc);
			if (!dc.n) {
				talloc_free(dc.text);
				continue;
			}
			d.at = now;
			d.relay = team->relay->number;
			d.recipient_id = a->id;
			d.recipient_number = a->phone;
			d.why = "digest";
			d.body = dc.text;
			d.status = REC_ST_QUEUED;
			id = rec_delivery_add(r->store, &d);
			talloc_free(dc.text);
			if (id <= 0) {
				/* Not recorded, so neither sent nor counted as queued. */
				r->stats.store_errors++;
				continue;
			}
			int64_t *grown = talloc_realloc(r, queued, int64_t, nq + 1);
			if (grown) {
				queued = grown;
				queued[nq++] = id;
			} /* else: recorded as queued, the next poll sends it */
			sent++;
		}
	}
	router_dispatch_ids(r, queued, nq, now);
	talloc_free(queued);
	return sent;
}

static int64_t notify(struct router *r, const char *relay, int64_t person_id, const char *number,
		      const char *why, const char *text, int64_t message_id, int64_t now)
{
	struct rec_delivery d = {.at = now,
				 .message_id = message_id,
				 .relay = relay,
				 .recipient_id = person_id,
				 .recipient_number = number,
				 .why = why,
				 .body = talloc_asprintf(r, "%s relay: %s", r->cfg.district, text),
				 .status = REC_ST_QUEUED};
	int64_t id = d.body ? rec_delivery_add(r->store, &d) : -1;

	talloc_free((char *)d.body);
	if (id <= 0) {
		r->stats.store_errors++;
		return -1;
	}
	router_dispatch_ids(r, &id, 1, now);
	return id;
}

int64_t router_notify(struct router *r, const char *relay, int64_t person_id, const char *number,
		      const char *why, const char *text, int64_t now)
{
	return notify(r, relay, person_id, number, why, text, 0, now);
}

int64_t router_alert(struct router *r, const char *relay, const char *number, const char *text,
		     int64_t message_id, int64_t now)
{
	const struct dir_person *p = r->dir ? dir_person_by_phone(r->dir, number) : NULL;

	return notify(r, relay, p ? p->id : 0, number, "alert", text, message_id, now);
}
