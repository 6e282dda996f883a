/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Simulated phones and their inboxes, see phone.h. */
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "hw/modemsim/modemsim.h"
#include "hw/modemsim/network.h"
#include "hw/modemsim/phone.h"
#include "hw/modemsim/phone_audio.h"

struct phone_part {
	bool have;
	char *text;
	char *hex; /* the SUBMIT as the modem got it, SMSC prefix included */
};

/* A message as the phone shows it: one SMS, or the parts of a concatenated one. */
struct phone_msg {
	struct llist_head list;
	char from[SMS_ADDR_TEXT_MAX];
	bool concat;
	uint16_t ref;
	uint8_t total;
	uint8_t received;
	bool srr;
	int64_t received_at_ms; /* wall clock of the last part */
	struct phone_part *parts;
};

struct phone *phone_find(struct network *net, const char *number)
{
	struct phone *p;

	llist_for_each_entry (p, &net->phones, list) {
		if (number_equal(p->number, number))
			return p;
	}
	return NULL;
}

struct phone *phone_get(struct network *net, const char *number)
{
	struct phone *p = phone_find(net, number);

	if (p)
		return p;
	p = talloc_zero(net, struct phone);
	if (!p)
		return NULL;
	p->net = net;
	OSMO_STRLCPY_ARRAY(p->number, number);
	p->reachable = true;
	INIT_LLIST_HEAD(&p->inbox);
	llist_add_tail(&p->list, &net->phones);
	return p;
}

static struct phone_msg *find_partial(struct phone *p, const char *from, const struct sms_concat *c)
{
	struct phone_msg *pm;

	llist_for_each_entry (pm, &p->inbox, list) {
		if (pm->concat && pm->ref == c->ref && pm->total == c->total &&
		    pm->received < pm->total && !pm->parts[c->seq - 1].have &&
		    strcmp(pm->from, from) == 0)
			return pm;
	}
	return NULL;
}

static int64_t wall_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

void phone_receive(struct phone *p, const char *from, const struct sms_submit *s,
		   const uint8_t *pdu, size_t len)
{
	const struct sms_concat *c = &s->ud.concat;
	bool concat = c->present && c->total >= 1 && c->seq >= 1 && c->seq <= c->total;
	struct phone_msg *pm = concat ? find_partial(p, from, c) : NULL;
	struct phone_part *part;
	char hex[2 * SMS_PDU_MAX + 1];

	p->received++;
	if (!pm) {
		pm = talloc_zero(p, struct phone_msg);
		if (!pm)
			return;
		OSMO_STRLCPY_ARRAY(pm->from, from);
		pm->concat = concat;
		pm->ref = concat ? c->ref : 0;
		pm->total = concat ? c->total : 1;
		pm->parts = talloc_zero_array(pm, struct phone_part, pm->total);
		if (!pm->parts) {
			talloc_free(pm);
			return;
		}
		llist_add_tail(&pm->list, &p->inbox);
		if (++p->inbox_len > PHONE_INBOX_MAX) {
			struct phone_msg *old =
			    llist_first_entry(&p->inbox, struct phone_msg, list);

			llist_del(&old->list);
			talloc_free(old);
			p->inbox_len--;
		}
	}
	part = &pm->parts[concat ? c->seq - 1 : 0];
	if (sms_hex_encode(hex, sizeof(hex), pdu, len) < 0)
		hex[0] = '\0';
	part->have = true;
	part->text = talloc_strdup(pm, s->ud.text);
	part->hex = talloc_strdup(pm, hex);
	pm->received++;
	pm->srr |= s->status_report_request;
	pm->received_at_ms = wall_ms();
}

static struct json_object *msg_json(const struct phone *p, const struct phone_msg *pm)
{
	struct json_object *o = json_object_new_object();
	struct json_object *pdus = json_object_new_array();
	char *text = talloc_strdup(NULL, "");
	time_t sec = (time_t)(pm->received_at_ms / 1000);
	struct tm tm;
	char ts[96];

	for (unsigned i = 0; i < pm->total; i++) {
		const struct phone_part *part = &pm->parts[i];

		/* A part not (yet) received shows as a gap the reader can see. */
		text = talloc_strdup_append(text, part->have ? part->text : "[…]");
		if (part->have)
			json_object_array_add(pdus, json_object_new_string(part->hex));
	}
	gmtime_r(&sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(pm->received_at_ms % 1000));
	json_object_object_add(o, "phone", json_object_new_string(p->number));
	json_object_object_add(o, "from", json_object_new_string(pm->from));
	json_object_object_add(o, "text", json_object_new_string(text ? text : ""));
	json_object_object_add(o, "parts", json_object_new_int(pm->total));
	json_object_object_add(o, "parts_received", json_object_new_int(pm->received));
	json_object_object_add(o, "complete", json_object_new_boolean(pm->received == pm->total));
	json_object_object_add(o, "srr", json_object_new_boolean(pm->srr));
	json_object_object_add(o, "pdus", pdus);
	json_object_object_add(o, "received_at", json_object_new_string(ts));
	talloc_free(text);
	return o;
}

void phone_inbox_json(struct phone *p, struct json_object *arr, bool clear)
{
	struct phone_msg *pm, *tmp;

	llist_for_each_entry_safe (pm, tmp, &p->inbox, list) {
		json_object_array_add(arr, msg_json(p, pm));
		if (clear) {
			llist_del(&pm->list);
			talloc_free(pm);
			p->inbox_len--;
		}
	}
}

struct json_object *phone_json(const struct phone *p)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "number", json_object_new_string(p->number));
	json_object_object_add(o, "received", json_object_new_int((int)p->received));
	json_object_object_add(o, "reachable", json_object_new_boolean(p->reachable));
	json_object_object_add(o, "messages", json_object_new_int((int)p->inbox_len));
	json_object_object_add(o, "busy", json_object_new_boolean(p->busy));
	json_object_object_add(o, "auto_answer", json_object_new_int((int)p->auto_answer_rings));
	json_object_object_add(o, "in_call", json_object_new_boolean(p->call != NULL));
	json_object_object_add(o, "playing", json_object_new_boolean(phone_playing(p)));
	json_object_object_add(o, "heard_samples",
			       json_object_new_int64((int64_t)phone_heard_samples(p)));
	json_object_object_add(o, "dtmf_received", json_object_new_string(p->dtmf_rx));
	return o;
}
