/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Administrators decide from their phones: HELD lists what waits for an administrator,
 * OK 11 releases held message 11, NO 11 reason rejects it. The records are those of
 * `chaperone held release|reject`: the decision (the administrator's handle, the time,
 * the note), the deliveries released or rejected, and the sender told who decided, from
 * the number the sender wrote to. Only an administrator's registered phone decides; from
 * anyone else these words are ordinary messages (grammar_parse_decision). */
#include <inttypes.h>
#include <string.h>

#include <talloc.h>

#include "gateway/relay/router_internal.h"

/* At most this many held messages are listed in one reply. */
#define HELD_LISTED 5

struct held_scan {
	struct work *w;
	int64_t want;	       /* find this one (OK, NO); 0: list */
	struct rec_held found; /* copied out when want matched */
	char relay[32], sender[64];
	char *list;
	unsigned n;
};

/* The start of a held text for a list on a phone. Held texts carry contact details (that
 * is why they are held): digits are shown as '#', so no number leaves in the list. */
static char *excerpt(void *ctx, const char *body)
{
	size_t n = strlen(body) > 60 ? 60 : strlen(body);
	char *s;

	/* Do not cut a UTF-8 sequence. */
	while (n && n < strlen(body) && ((unsigned char)body[n] & 0xc0) == 0x80)
		n--;
	s = talloc_asprintf(ctx, "%.*s%s", (int)n, body, n < strlen(body) ? "..." : "");
	for (char *c = s; c && *c; c++)
		if (*c >= '0' && *c <= '9')
			*c = '#';
	return s;
}

static void scan_held(const struct rec_held *h, void *data)
{
	struct held_scan *sc = data;
	const struct dir_person *from;

	/* Quiet-hours holds release themselves; only the administrators' are theirs. */
	if (!h->release || strcmp(h->release, "admin"))
		return;
	if (sc->want) {
		if (h->verdict_id != sc->want)
			return;
		sc->found = *h;
		snprintf(sc->relay, sizeof(sc->relay), "%s", h->relay);
		snprintf(sc->sender, sizeof(sc->sender), "%s", h->sender_number);
		sc->found.relay = sc->relay;
		sc->found.sender_number = sc->sender;
		sc->found.body = sc->found.reason = sc->found.rules = sc->found.release = NULL;
		sc->n++;
		return;
	}
	if (sc->n++ >= HELD_LISTED)
		return;
	from = dir_person_by_id(sc->w->r->dir, h->sender_id);
	sc->list = talloc_asprintf_append(sc->list, "\n#%" PRId64 " %s: \"%s\"", h->verdict_id,
					  from ? from->display : "unknown sender",
					  excerpt(sc->w->tmp, h->body));
}

static int held_list(struct work *w)
{
	struct held_scan sc = {.w = w, .list = talloc_strdup(w->tmp, "")};
	int64_t vid;

	if (rec_held_list(w->r->store, scan_held, &sc) < 0)
		return -1;
	vid =
	    router_verdict(w, REC_V_COMMAND, REC_REPLY, "", NULL, NULL, "HELD (%u waiting)", sc.n);
	if (vid <= 0)
		return -1;
	if (!sc.n)
		return router_reply(w, vid, "No message is waiting for an administrator.");
	return router_reply(w, vid,
			    "%u held for an administrator:%s%s\nReply OK # to send, NO # "
			    "and a reason to refuse.",
			    sc.n, sc.list,
			    sc.n > HELD_LISTED ? "\n(and more: chaperone held list)" : "");
}

/* Is OK n / NO n about a held message at all? An administrator's "No 5 of us can come"
 * is a message: 0 then. 1 when it is a decision to make or to answer, -1 on failure. */
int router_is_decision(struct work *w, const struct grammar_decision *d)
{
	const char *by;

	if (d->kind == GRAMMAR_D_HELD)
		return 1;
	if (d->kind == GRAMMAR_D_ALLOW || d->kind == GRAMMAR_D_DENY) {
		struct rec_exception_request req;

		return rec_exception_request_get(w->r->store, w->tmp, d->id, &req);
	}
	switch (rec_hold_state(w->r->store, w->tmp, d->id, &by)) {
	case -1:
		return -1;
	case REC_HOLD_NONE:
		return 0;
	default:
		return 1;
	}
}

static int decide(struct work *w, const struct grammar_decision *d)
{
	bool release = d->kind == GRAMMAR_D_OK;
	struct held_scan sc = {.w = w, .want = d->id};
	const char *note =
	    d->note_len ? talloc_strndup(w->tmp, w->in->text + d->note_off, d->note_len) : NULL;
	struct dir_person *from;
	int64_t vid;

	if (d->id <= 0 || rec_held_list(w->r->store, scan_held, &sc) < 0)
		return -1;
	vid = router_verdict(w, REC_V_COMMAND, REC_REPLY, "", NULL, NULL, "%s %lld from %s",
			     release ? "OK" : "NO", d->id, w->sender->display);
	if (vid <= 0)
		return -1;
	if (!sc.n) {
		const char *by;
		int state = rec_hold_state(w->r->store, w->tmp, d->id, &by);

		if (state == REC_HOLD_DECIDED)
			return router_reply(w, vid, "#%lld was decided already, by %s.", d->id, by);
		if (state == REC_HOLD_FOR_TIME)
			return router_reply(w, vid,
					    "#%lld waits for the end of quiet hours and goes out "
					    "then; no decision is needed.",
					    d->id);
		return router_reply(w, vid,
				    "#%lld is not a message waiting for a decision. Reply HELD "
				    "for those that are.",
				    d->id);
	}
	if (rec_hold_decide(w->r->store, d->id, w->in->at, release, w->sender->handle, note) < 0)
		return -1;
	/* The sender is told from the number they wrote to, as for `chaperone held`. */
	from = dir_person_by_id(w->r->dir, sc.found.sender_id);
	if (from && router_tell(w, d->id, sc.found.relay, from,
				"Your held message was %s by an administrator (%s)%s%s%s",
				release ? "released and sent" : "not approved", w->sender->display,
				release ? "." : "; it was not sent.", note ? " Note: " : "",
				note ? note : "") < 0)
		return -1;
	return router_reply(w, vid, "%s #%lld%s", release ? "Released and sent" : "Refused", d->id,
			    release ? "." : "; the sender is told.");
}

int router_decision(struct work *w, const struct grammar_decision *d)
{
	w->r->stats.commands++;
	if (d->kind == GRAMMAR_D_ALLOW || d->kind == GRAMMAR_D_DENY)
		return router_exception_decision(w, d);
	return d->kind == GRAMMAR_D_HELD ? held_list(w) : decide(w, d);
}
