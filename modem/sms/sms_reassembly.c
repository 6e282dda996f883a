/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Concatenated SMS reassembly: a small table of pending messages in arrival order.
 *
 * A message leaves the table before its callback runs and is freed after it, so a
 * callback may call back into the reassembler. Text is built from the parts' payloads,
 * joined per run of consecutive parts before conversion: a sender that cut a surrogate
 * pair or an escape pair between two parts still yields the right characters. */
#include "modem/sms/sms_reassembly.h"
#include "modem/sms/gsm7.h"
#include "modem/sms/sms_split.h"
#include "modem/sms/ucs2.h"

#include <string.h>

#include <talloc.h>

#define DEFAULT_MAX_PENDING 64

/* Shown where a part is missing: "[…]". */
static const char gap_marker[] = "[\xE2\x80\xA6]";
#define GAP_MARKER_LEN (sizeof(gap_marker) - 1)

/* A plain singly linked list: osmocom's llist macros need typeof, which strict C11
 * does not have, and the table is small. */
struct pending {
	struct pending *next;
	char originator[SMS_ADDR_TEXT_MAX];
	uint16_t ref;
	uint8_t total;
	uint8_t received;
	uint64_t first_ms;
	struct sms_deliver **parts; /* [total], copies owned by this entry */
	void **tokens;		    /* [total] */
};

struct sms_reassembler {
	struct sms_reassembler_config cfg;
	sms_reassembled_cb cb;
	void *cb_data;
	struct pending *head; /* oldest first */
	struct pending *tail;
	unsigned n_pending;
};

struct sms_reassembler *sms_reassembler_alloc(void *ctx, const struct sms_reassembler_config *cfg,
					      sms_reassembled_cb cb, void *cb_data)
{
	struct sms_reassembler *r;

	if (!cfg || !cb)
		return NULL;
	r = talloc_zero(ctx, struct sms_reassembler);
	if (!r)
		return NULL;
	r->cfg = *cfg;
	if (r->cfg.max_parts == 0)
		r->cfg.max_parts = SMS_MAX_PARTS;
	if (r->cfg.max_pending == 0)
		r->cfg.max_pending = DEFAULT_MAX_PENDING;
	r->cb = cb;
	r->cb_data = cb_data;
	return r;
}

void sms_reassembler_free(struct sms_reassembler *r)
{
	talloc_free(r);
}

/* Append converted run data to out[*w..cap). */
static void flush_run(char *out, size_t cap, size_t *w, enum sms_alphabet alphabet,
		      const uint8_t *run, size_t *run_len)
{
	int rc;

	if (*run_len == 0)
		return;
	if (alphabet == SMS_ALPHABET_GSM7)
		rc = gsm7_to_utf8(out + *w, cap - *w, run, *run_len);
	else
		rc = ucs2_to_utf8(out + *w, cap - *w, run, *run_len, NULL);
	if (rc > 0)
		*w += (size_t)rc;
	*run_len = 0;
}

/* The text of parts[0..n): payloads of consecutive parts in the same alphabet are
 * joined before conversion, missing parts show as the gap marker, 8-bit parts add
 * nothing. Allocated under ctx; "" if allocation fails. */
static char *join_text(void *ctx, const struct sms_deliver *const *parts, unsigned n,
		       size_t *text_len)
{
	size_t cap = 1, run_cap = 1, w = 0, run_len = 0;
	enum sms_alphabet run_alphabet = SMS_ALPHABET_GSM7;
	uint8_t *run;
	char *out;

	for (unsigned i = 0; i < n; i++) {
		if (parts[i]) {
			/* GSM: at most 2 bytes per septet; UCS-2: 3 per 2 octets, plus
			 * U+FFFD for an odd octet. */
			cap += 2 * (size_t)parts[i]->ud.payload_len + 8;
			run_cap += parts[i]->ud.payload_len;
		} else {
			cap += GAP_MARKER_LEN;
		}
	}
	out = talloc_size(ctx, cap);
	run = talloc_size(ctx, run_cap);
	if (!out || !run) {
		talloc_free(out);
		talloc_free(run);
		*text_len = 0;
		return NULL;
	}
	out[0] = '\0';
	for (unsigned i = 0; i < n; i++) {
		const struct sms_user_data *ud = parts[i] ? &parts[i]->ud : NULL;

		if (!ud || ud->alphabet == SMS_ALPHABET_8BIT || ud->alphabet != run_alphabet)
			flush_run(out, cap, &w, run_alphabet, run, &run_len);
		if (!ud) {
			memcpy(out + w, gap_marker, GAP_MARKER_LEN + 1);
			w += GAP_MARKER_LEN;
			continue;
		}
		if (ud->alphabet == SMS_ALPHABET_8BIT)
			continue;
		run_alphabet = ud->alphabet;
		memcpy(run + run_len, ud->payload, ud->payload_len);
		run_len += ud->payload_len;
		/* An odd UCS-2 part would shift every following unit: convert it alone. */
		if (ud->alphabet == SMS_ALPHABET_UCS2 && (ud->payload_len & 1))
			flush_run(out, cap, &w, run_alphabet, run, &run_len);
	}
	flush_run(out, cap, &w, run_alphabet, run, &run_len);
	talloc_free(run);
	*text_len = w;
	return out;
}

/* Run the callback for parts[0..n). */
static void deliver(struct sms_reassembler *r, const char *originator, uint16_t ref, uint8_t total,
		    uint8_t received, bool complete, int reason,
		    const struct sms_deliver *const *parts, void *const *tokens)
{
	struct sms_reassembled msg = {
	    .originator = originator,
	    .ref = ref,
	    .total = total,
	    .received = received,
	    .complete = complete,
	    .reason = reason,
	    .parts = parts,
	    .tokens = tokens,
	};
	char *text = join_text(r, parts, total, &msg.text_len);

	msg.text = text ? text : "";
	r->cb(&msg, r->cb_data);
	talloc_free(text);
}

/* Hand over one part on its own: a single-part message, or one that cannot be placed. */
static void deliver_alone(struct sms_reassembler *r, const struct sms_deliver *part, void *token,
			  bool complete, int reason)
{
	const struct sms_deliver *parts[1] = {part};
	void *tokens[1] = {token};
	uint16_t ref = part->ud.concat.present ? part->ud.concat.ref : 0;

	deliver(r, part->originator.text, ref, 1, 1, complete, reason, parts, tokens);
}

static void unlink_pending(struct sms_reassembler *r, struct pending *p)
{
	struct pending **pp = &r->head, *prev = NULL;

	while (*pp && *pp != p) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (!*pp)
		return;
	*pp = p->next;
	if (r->tail == p)
		r->tail = prev;
	p->next = NULL;
	r->n_pending--;
}

/* Take a pending message out of the table, hand it over, free it. */
static void hand_over(struct sms_reassembler *r, struct pending *p)
{
	unlink_pending(r, p);
	deliver(r, p->originator, p->ref, p->total, p->received, p->received == p->total, 0,
		(const struct sms_deliver *const *)p->parts, p->tokens);
	talloc_free(p);
}

static struct pending *find(struct sms_reassembler *r, const char *originator, uint16_t ref,
			    uint8_t total)
{
	struct pending *p;

	for (p = r->head; p; p = p->next) {
		if (p->ref == ref && p->total == total && !strcmp(p->originator, originator))
			return p;
	}
	return NULL;
}

static bool same_part(const struct sms_deliver *a, const struct sms_deliver *b)
{
	return a->ud.alphabet == b->ud.alphabet && a->ud.payload_len == b->ud.payload_len &&
	       a->ud.udh_len == b->ud.udh_len &&
	       !memcmp(a->ud.payload, b->ud.payload, a->ud.payload_len) &&
	       !memcmp(a->ud.udh, b->ud.udh, a->ud.udh_len);
}

static struct pending *pending_new(struct sms_reassembler *r, const struct sms_deliver *part,
				   uint64_t now_ms)
{
	const struct sms_concat *c = &part->ud.concat;
	struct pending *p = talloc_zero(r, struct pending);

	if (!p)
		return NULL;
	p->parts = talloc_zero_array(p, struct sms_deliver *, c->total);
	p->tokens = talloc_zero_array(p, void *, c->total);
	if (!p->parts || !p->tokens) {
		talloc_free(p);
		return NULL;
	}
	memcpy(p->originator, part->originator.text, sizeof(p->originator));
	p->originator[sizeof(p->originator) - 1] = '\0';
	p->ref = c->ref;
	p->total = c->total;
	p->first_ms = now_ms;
	if (r->tail)
		r->tail->next = p;
	else
		r->head = p;
	r->tail = p;
	r->n_pending++;
	return p;
}

int sms_reassembler_add(struct sms_reassembler *r, const struct sms_deliver *part, void *token,
			uint64_t now_ms)
{
	const struct sms_concat *c;
	struct sms_deliver *copy;
	struct pending *p;
	int rc;

	if (!r || !part)
		return SMS_ERR_ARG;
	c = &part->ud.concat;
	if (!c->present) {
		deliver_alone(r, part, token, true, 0);
		return 0;
	}
	rc = sms_concat_check(c);
	if (rc < 0) {
		deliver_alone(r, part, token, false, SMS_ERR_CONCAT);
		return 0;
	}
	if (c->total > r->cfg.max_parts) {
		deliver_alone(r, part, token, false, SMS_ERR_CONCAT_LIMIT);
		return 0;
	}

	p = find(r, part->originator.text, c->ref, c->total);
	if (p && p->parts[c->seq - 1]) {
		if (same_part(p->parts[c->seq - 1], part))
			return 1;
		/* Same key, different content: the sender reused the reference. The
		 * old message will not be completed any more. */
		hand_over(r, p);
		p = NULL;
	}
	if (!p) {
		if (r->n_pending >= r->cfg.max_pending)
			hand_over(r, r->head);
		p = pending_new(r, part, now_ms);
		if (!p) {
			deliver_alone(r, part, token, false, 0);
			return 0;
		}
	}
	copy = talloc(p, struct sms_deliver);
	if (!copy) {
		deliver_alone(r, part, token, false, 0);
		return 0;
	}
	*copy = *part;
	p->parts[c->seq - 1] = copy;
	p->tokens[c->seq - 1] = token;
	p->received++;
	if (p->received == p->total)
		hand_over(r, p);
	return 0;
}

static uint64_t deadline_of(const struct sms_reassembler *r, const struct pending *p)
{
	if (UINT64_MAX - p->first_ms < r->cfg.timeout_ms)
		return UINT64_MAX;
	return p->first_ms + r->cfg.timeout_ms;
}

unsigned sms_reassembler_expire(struct sms_reassembler *r, uint64_t now_ms)
{
	unsigned n = 0;
	bool again = true;

	if (!r)
		return 0;
	/* Restart the walk after every callback: it may have changed the table. */
	while (again) {
		struct pending *p;

		again = false;
		for (p = r->head; p; p = p->next) {
			if (now_ms >= deadline_of(r, p)) {
				hand_over(r, p);
				n++;
				again = true;
				break;
			}
		}
	}
	return n;
}

uint64_t sms_reassembler_next_deadline(const struct sms_reassembler *r)
{
	const struct pending *p;
	uint64_t next = UINT64_MAX;

	if (!r)
		return next;
	for (p = r->head; p; p = p->next) {
		uint64_t d = deadline_of(r, p);

		if (d < next)
			next = d;
	}
	return next;
}

unsigned sms_reassembler_flush(struct sms_reassembler *r)
{
	unsigned n = 0;

	if (!r)
		return 0;
	while (r->head) {
		hand_over(r, r->head);
		n++;
	}
	return n;
}

unsigned sms_reassembler_pending(const struct sms_reassembler *r)
{
	return r ? r->n_pending : 0;
}
