/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Crashes in the send path: chaperoned killed at random instants while phones text
 * through it and its modems are busy submitting, then started again, many times over.
 *
 * What it proves, once the relay has settled after the last restart:
 *   - inbound: every message a phone sent is in the archive (table messages) — none lost,
 *     none routed twice;
 *   - outbound: every delivery the archive says goes out (not held, skipped, rejected, or
 *     refused before any submit) reached its recipient's phone whole: every part, the
 *     text equal to the delivery's body — none missing, none left incomplete;
 *   - duplicates: a phone that got a message, or one of its parts, more than once got it
 *     from a delivery the archive records as possibly duplicated (delivery_submits with
 *     resend = 1: a part submitted again after its earlier submit's fate was unknown);
 *   - status reports: every status report the modems handed up was matched to its
 *     delivery (delivery_reports), restarts notwithstanding;
 *   - the archive's hash chain verifies (`chaperone records verify`) after every restart
 *     and at the end;
 *   - every restart brings both modems back (a modem the dead daemon left mid-command
 *     must not stay wedged).
 *
 * The phones' inboxes are read part by part (each PDU the phone got, decoded), not as
 * the simulated phone reassembles them: its reassembly keys on the 8-bit concatenation
 * reference, which repeats every 256 deliveries, and a left-over part can join a later
 * message. A delivery counts as received when some concatenation group (sender, reference,
 * parts) holds parts 1..n whose texts, in order, make its body.
 *
 * Traffic: coaches text their teams (#soccer, #robotics), students text their coaches
 * (guardians copied); single-part and 2-5 part texts, some in UCS-2; every text unique.
 * modemsim's submit and delivery delays are long enough that kills land mid-submit and
 * status reports arrive while the daemon is down. SIGKILL mostly, SIGTERM sometimes.
 *
 *   test_relay_crash BUILD_DIR SOURCE_DIR [KILLS]
 *
 * KILLS (or CHAPERONE_CRASH_KILLS) defaults to 20; 0 runs as many rounds of traffic without
 * a crash, which the checks must pass. CHAPERONE_CRASH_SEED replays a run's random choices
 * (its seed is printed; the instants still depend on the machine). CHAPERONE_CRASH_KEEP=DIR
 * keeps the archive, the logs and the inboxes. */
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <sqlite3.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "modem/sms/sms_split.h"
#include "modem/sms/sms_tpdu.h"
#include "tests/e2e/relay_harness.h"

#define DISTRICT "tests/fixtures/district"
/* A 2G submit and a network hop: the daemon is mid-AT+CMGS most of the time it is busy,
 * and a status report comes 2 * DELIVER_MS after a submit, often after the next kill. */
#define SUBMIT_MS  50
#define DELIVER_MS 150
/* Kill this long after the traffic of a round starts. */
#define KILL_MIN_MS 50
#define KILL_MAX_MS 1500
/* Between two texts of a round. */
#define GAP_MIN_MS 120
#define GAP_MAX_MS 400
/* How long the relay gets to settle after the last restart (the modems' backlog grows
 * with the kills: 200 leave over a minute's worth), and how long it must stay quiet to
 * count as settled. */
#define SETTLE_TIMEOUT_MS (60000 + 500 * (long long)kills)
#define QUIET_MS	  (4 * DELIVER_MS + 600)
/* How long SIGTERM lets the modems go on (chaperoned's timer relay X2). */
#define STOP_GRACE_MS "1500"
/* A restart takes a second or two (under ASan); a modem not ready after this is stuck. */
#define RESTART_MS 15000
/* Examples listed per kind of failure. */
#define EXAMPLES 6

#define DEFAULT_KILLS 20
static unsigned kills = DEFAULT_KILLS;
static uint64_t seed;

/* ---- Random choices (splitmix64: replayable from the printed seed) ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static unsigned rnd_in(unsigned lo, unsigned hi)
{
	return lo + (unsigned)(rnd() % (hi - lo + 1));
}

/* ---- Who texts ---- */

struct sender {
	const char *phone, *relay;
	const char *address; /* "#soccer " for staff, "" for a student's reply */
};

static const struct sender coaches[] = {
    {DANA, RELAY_SOCCER, "#soccer "},
    {MARCUS, RELAY_SOCCER, "#soccer "},
    {PRIYA, RELAY_ROBOTICS, "#robotics "},
};

/* A student's unaddressed text goes to the team's coaches, guardians copied. */
static const struct sender students[] = {
    {JAMIE, RELAY_SOCCER, ""},	 {ALEX, RELAY_SOCCER, ""},    {SAM, RELAY_SOCCER, ""},
    {TAYLOR, RELAY_SOCCER, ""},	 {JORDAN, RELAY_SOCCER, ""},  {CASEY, RELAY_SOCCER, ""},
    {RILEY, RELAY_SOCCER, ""},	 {MORGAN, RELAY_SOCCER, ""},  {RILEY, RELAY_ROBOTICS, ""},
    {AVERY, RELAY_ROBOTICS, ""}, {QUINN, RELAY_ROBOTICS, ""}, {DREW, RELAY_ROBOTICS, ""},
    {EMMA, RELAY_ROBOTICS, ""},
};

/* ---- What they text ---- */

/* Words no rule reacts to: no digits (phone numbers, street addresses), no '@' or '#'
 * (addresses), no '!' flags, no command word first. */
static const char *const words[] = {
    "practice", "bring",   "water",   "field",	  "bus",     "schedule",   "cleats",	"jersey",
    "warmup",	"drills",  "team",    "game",	  "friday",  "weekend",	   "snacks",	"parents",
    "ride",	"early",   "late",    "gym",	  "shoes",   "ball",	   "rain",	"plan",
    "library",	"robot",   "sensor",  "motor",	  "gears",   "battery",	   "laptop",	"poster",
    "tonight",	"please",  "thanks",  "tomorrow", "judges",  "wheels",	   "scrimmage", "uniforms",
    "stretch",	"coach",   "cones",   "lockers",  "helmet",  "permission", "forms",	"awards",
    "banquet",	"tryouts", "captain", "laps",	  "sprints", "goalie",	   "defense",	"offense",
};
/* Outside the GSM 7-bit alphabet: the text goes out in UCS-2. */
static const char *const wide_words[] = {
    "Łukasz", "Wrocław", "Gdańsk", "żółw", "⚽", "naïve", "façade", "Ελλάδα", "Đorđe", "ő",
};
static const char *const openers[] = {
    "Hi,", "Coach,", "Team,", "Quick note:", "Heads up:", "Reminder:", "Hello,", "Update:"};

enum text_kind { TEXT_SHORT, TEXT_LONG, TEXT_WIDE };

/* A text no other phone sent: an opener, a tag made of letters from the running count
 * (unique in the run), random words up to about `len` characters. */
static char *make_text(unsigned n, enum text_kind kind, unsigned len)
{
	size_t cap = len + 128, used;
	char *s = malloc(cap), tag[16];
	unsigned k = n, t = 0;

	do {
		tag[t++] = (char)('a' + k % 26);
		k /= 26;
	} while (k && t < sizeof(tag) - 1);
	tag[t] = '\0';
	used = (size_t)snprintf(s, cap, "%s ref %s%s", openers[rnd() % ARRAY_SIZE(openers)], tag,
				kind == TEXT_WIDE ? " ⚽" : "");
	while (used < len) {
		const char *w = kind == TEXT_WIDE && rnd() % 4 == 0
				    ? wide_words[rnd() % ARRAY_SIZE(wide_words)]
				    : words[rnd() % ARRAY_SIZE(words)];
		const char *sep = rnd() % 9 == 0 ? ". " : rnd() % 7 == 0 ? ", " : " ";

		if (used + strlen(sep) + strlen(w) + 2 >= cap)
			break;
		used += (size_t)snprintf(s + used, cap - used, "%s%s", sep, w);
	}
	snprintf(s + used, cap - used, ".");
	return s;
}

/* ---- The ledger of what phones sent ---- */

struct sent {
	const char *from, *relay;
	char *text;
	unsigned parts;
};

static struct sent *sent;
static unsigned n_sent, cap_sent;
static unsigned n_multipart, n_wide;

static void text_once(struct relay_env *e)
{
	const struct sender *who = rnd() % 6 == 0 ? &coaches[rnd() % ARRAY_SIZE(coaches)]
						  : &students[rnd() % ARRAY_SIZE(students)];
	unsigned roll = (unsigned)(rnd() % 100);
	enum text_kind kind = roll < 40 ? TEXT_SHORT : roll < 82 ? TEXT_LONG : TEXT_WIDE;
	/* 2 to 5 parts for the long ones: 153 septets or 67 UCS-2 units a part. */
	unsigned len = kind == TEXT_SHORT  ? rnd_in(20, 120)
		       : kind == TEXT_LONG ? rnd_in(200, 700)
					   : rnd_in(140, 320);
	char *body = make_text(n_sent, kind, len);
	size_t cap = strlen(who->address) + strlen(body) + 1;
	char *text = malloc(cap);
	struct sms_split_info info;

	snprintf(text, cap, "%s%s", who->address, body);
	free(body);
	if (sms_split_measure(&info, text, strlen(text)) < 0)
		RELAY_FAIL(e, "the test made text the codec cannot split: %s", text);
	relay_text(e, who->phone, who->relay, text);
	if (n_sent == cap_sent) {
		cap_sent = cap_sent ? 2 * cap_sent : 256;
		sent = realloc(sent, cap_sent * sizeof(*sent));
	}
	sent[n_sent++] = (struct sent){who->phone, who->relay, text, info.parts};
	n_multipart += info.parts > 1;
	n_wide += info.alphabet == SMS_ALPHABET_UCS2;
}

/* ---- The archive, read directly ---- */

static sqlite3 *db_open_ro(struct relay_env *e)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(e->db, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		RELAY_FAIL(e, "cannot open %s", e->db);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static sqlite3_stmt *prepare(struct relay_env *e, sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		RELAY_FAIL(e, "SQL %s: %s", sql, sqlite3_errmsg(db));
	return st;
}

static const char *col(sqlite3_stmt *st, int i)
{
	const unsigned char *v = sqlite3_column_text(st, i);

	return v ? (const char *)v : "";
}

static bool has_table(struct relay_env *e, const char *name)
{
	return relay_sql_int(e,
			     "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
			     "name = '%s'",
			     name) > 0;
}

/* The digits of a number, for comparing "+1617..." with "1617...". */
static const char *digits(const char *s)
{
	return *s == '+' ? s + 1 : s;
}

/* ---- modemsim's view ---- */

struct sim_view {
	int64_t submitted[3];	  /* per modem: SUBMITs the network took */
	int64_t pending, unacked; /* messages waiting for the modems, shown unacknowledged */
	int64_t stored;		  /* messages in the modems' storages */
	int64_t phone_parts;	  /* SMS parts the phones received */
};

static int64_t jint(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static void sim_view(struct relay_env *e, struct sim_view *v)
{
	struct json_object *st = sim_ctl(e->sim, "{\"cmd\":\"status\"}"), *modems, *phones;

	memset(v, 0, sizeof(*v));
	if (!st)
		RELAY_FAIL(e, "modemsim status request failed");
	if (json_object_object_get_ex(st, "modems", &modems)) {
		for (size_t i = 0; i < json_object_array_length(modems); i++) {
			struct json_object *m = json_object_array_get_idx(modems, i), *x, *y;

			if (i < ARRAY_SIZE(v->submitted))
				v->submitted[i] = jint(m, "submitted");
			v->pending += jint(m, "pending_network");
			v->unacked += json_object_object_get_ex(m, "awaiting_ack", &x) &&
				      json_object_get_boolean(x);
			if (json_object_object_get_ex(m, "storage", &x)) {
				if (json_object_object_get_ex(x, "SM", &y))
					v->stored += jint(y, "used");
				if (json_object_object_get_ex(x, "ME", &y))
					v->stored += jint(y, "used");
			}
		}
	}
	if (json_object_object_get_ex(st, "phones", &phones))
		for (size_t i = 0; i < json_object_array_length(phones); i++)
			v->phone_parts += jint(json_object_array_get_idx(phones, i), "received");
	json_object_put(st);
}

/* ---- Settling ---- */

struct settle_state {
	int64_t recorded, busy, unfinished, reports_short;
	bool queues_empty;
	struct sim_view sim;
	int64_t reports; /* status reports recorded (distinct PDUs) */
};

static bool settle_same(const struct settle_state *a, const struct settle_state *b)
{
	return a->recorded == b->recorded && a->busy == b->busy && a->unfinished == b->unfinished &&
	       a->reports == b->reports && a->queues_empty == b->queues_empty &&
	       !memcmp(&a->sim, &b->sim, sizeof(a->sim));
}

static void settle_read(struct relay_env *e, bool submits_table, struct settle_state *s)
{
	static const char *const relays[] = {RELAY_SOCCER, RELAY_ROBOTICS};
	char *q;

	memset(s, 0, sizeof(*s));
	s->recorded = relay_sql_int(e, "SELECT count(*) FROM messages");
	s->busy = relay_sql_int(e, "SELECT count(*) FROM delivery_state WHERE status IN "
				   "('queued', 'waiting')");
	/* Parts still to go of a delivery that started (the new send path records them). */
	if (submits_table)
		s->unfinished = relay_sql_int(
		    e, "SELECT count(*) FROM (SELECT delivery_id, max(parts) AS p, "
		       "count(DISTINCT part) AS n FROM delivery_submits GROUP BY delivery_id) "
		       "WHERE n < p AND delivery_id NOT IN (SELECT delivery_id FROM "
		       "delivery_state WHERE status IN ('failed', 'rejected'))");
	q = relay_vty(e, "show queues");
	s->queues_empty =
	    q && strstr(q, "modem0     0 waiting") && strstr(q, "modem1     0 waiting");
	free(q);
	sim_view(e, &s->sim);
	/* Every part asked for a status report: one per submit the network took. */
	for (size_t i = 0; i < ARRAY_SIZE(relays); i++) {
		int64_t got =
		    relay_sql_int(e,
				  "SELECT count(DISTINCT pdu) FROM rx_pdus WHERE relay = '%s'"
				  " AND kind = 'status-report'",
				  relays[i]);
		s->reports += got;
		if (got < s->sim.submitted[i])
			s->reports_short += s->sim.submitted[i] - got;
	}
}

static bool settle_done(const struct settle_state *s)
{
	return s->recorded >= (int64_t)n_sent && !s->busy && !s->unfinished && s->queues_empty &&
	       !s->sim.pending && !s->sim.unacked && !s->sim.stored && !s->reports_short &&
	       s->sim.phone_parts == s->sim.submitted[0] + s->sim.submitted[1];
}

/* Wait until every text is recorded, nothing is queued, waiting or half sent, the network
 * holds nothing for the modems or the phones, every status report is recorded — and all
 * of it has stayed so for QUIET_MS. False (after printing what is not done) on timeout. */
static bool settle(struct relay_env *e, bool submits_table)
{
	long long deadline = now_ms() + SETTLE_TIMEOUT_MS, since = 0, start = now_ms();
	struct settle_state s, last;

	memset(&last, 0, sizeof(last));
	for (;;) {
		settle_read(e, submits_table, &s);
		if (!settle_done(&s) || !settle_same(&s, &last))
			since = 0;
		else if (!since)
			since = now_ms();
		last = s;
		if (since && now_ms() - since >= QUIET_MS) {
			printf("crash: settled in %lld ms\n", now_ms() - start);
			return true;
		}
		if (now_ms() >= deadline)
			break;
		sleep_ms(100);
	}
	printf("crash: NOT settled after %lld ms: %lld of %u texts recorded, %lld deliveries "
	       "queued or waiting, %lld started but not wholly submitted, modem queues %s, "
	       "network: %lld pending for modems, %lld unacknowledged, %lld stored on SIMs, "
	       "%lld of %lld parts at phones, %lld status reports not recorded\n",
	       SETTLE_TIMEOUT_MS, (long long)s.recorded, n_sent, (long long)s.busy,
	       (long long)s.unfinished, s.queues_empty ? "empty" : "not empty",
	       (long long)s.sim.pending, (long long)s.sim.unacked, (long long)s.sim.stored,
	       (long long)s.sim.phone_parts, (long long)(s.sim.submitted[0] + s.sim.submitted[1]),
	       (long long)s.reports_short);
	return false;
}

/* ---- Failures, with examples ---- */

struct tally {
	const char *what;
	unsigned n, n_ex;
	char ex[EXAMPLES][320];
};

/* n more of them, with one example. */
static void note_n(struct tally *t, unsigned n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note_n(struct tally *t, unsigned n, const char *fmt, ...)
{
	va_list ap;

	if (t->n_ex < EXAMPLES) {
		va_start(ap, fmt);
		vsnprintf(t->ex[t->n_ex++], sizeof(t->ex[0]), fmt, ap);
		va_end(ap);
	}
	t->n += n;
}

#define note(t, ...) note_n(t, 1, __VA_ARGS__)

static void print_tally(const struct tally *t)
{
	if (!t->n)
		return;
	printf("crash: %u %s, e.g.:\n", t->n, t->what);
	for (unsigned i = 0; i < t->n_ex; i++)
		printf("  %s\n", t->ex[i]);
}

/* ---- Inbound: every text a phone sent, recorded once ---- */

static void check_inbound(struct relay_env *e, struct tally *lost, struct tally *twice,
			  struct tally *unrouted, struct tally *undelivered)
{
	sqlite3 *db = db_open_ro(e);
	/* Each recording of the text, and the verdicts about it: none means it was recorded
	 * but never routed (the router writes both in one transaction). */
	sqlite3_stmt *st = prepare(
	    e, db,
	    "SELECT m.id, (SELECT count(*) FROM verdicts v WHERE v.message_id = m.id),"
	    " (SELECT group_concat(v.action || ' ' || v.kind, ', ') FROM verdicts v"
	    "  WHERE v.message_id = m.id AND NOT (v.action = 'deliver' AND v.kind = 'relay'))"
	    " FROM messages m WHERE m.sender_number = ?1 AND m.relay = ?2 AND m.text = ?3");

	for (unsigned i = 0; i < n_sent; i++) {
		unsigned n = 0;

		sqlite3_bind_text(st, 1, sent[i].from, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, sent[i].relay, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, sent[i].text, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW) {
			n++;
			if (!sqlite3_column_int(st, 1))
				note(unrouted, "message %lld from %s: %.80s",
				     (long long)sqlite3_column_int64(st, 0), sent[i].from,
				     sent[i].text);
			else if (sqlite3_column_type(st, 2) != SQLITE_NULL)
				note(undelivered, "message %lld from %s (%s): %.80s",
				     (long long)sqlite3_column_int64(st, 0), sent[i].from,
				     col(st, 2), sent[i].text);
		}
		sqlite3_reset(st);
		if (!n)
			note(lost, "%s to %s (%u part%s): %.80s", sent[i].from, sent[i].relay,
			     sent[i].parts, sent[i].parts == 1 ? "" : "s", sent[i].text);
		else if (n > 1)
			note(twice, "%s to %s, recorded %u times: %.80s", sent[i].from,
			     sent[i].relay, n, sent[i].text);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* ---- Outbound: what each phone got, part by part ---- */

/* One distinct part a phone got (identical PDUs are one key, counted). */
struct rx_key {
	char from[24];
	bool concat;
	uint16_t ref;
	uint8_t total, seq;
	char *text;
	unsigned received; /* how many times the phone got it */
	unsigned demand;   /* how many of those deliveries account for */
	int owner;	   /* the delivery (index) it belongs to, -1 for none yet */
};

struct phone_rx {
	char number[24];
	struct rx_key *keys;
	unsigned n, cap;
};

static struct phone_rx *phones_rx;
static unsigned n_phones_rx;

static struct phone_rx *phone_rx(const char *number)
{
	for (unsigned i = 0; i < n_phones_rx; i++)
		if (!strcmp(digits(phones_rx[i].number), digits(number)))
			return &phones_rx[i];
	return NULL;
}

static void add_part(struct phone_rx *p, const char *from, const struct sms_submit *sub)
{
	const struct sms_concat *c = &sub->ud.concat;
	struct rx_key k = {0};

	snprintf(k.from, sizeof(k.from), "%s", from);
	k.concat = c->present;
	k.ref = c->present ? c->ref : 0;
	k.total = c->present ? c->total : 1;
	k.seq = c->present ? c->seq : 1;
	for (unsigned i = 0; i < p->n; i++) {
		struct rx_key *o = &p->keys[i];
		if (o->concat == k.concat && o->ref == k.ref && o->total == k.total &&
		    o->seq == k.seq && !strcmp(o->from, k.from) && !strcmp(o->text, sub->ud.text)) {
			o->received++;
			return;
		}
	}
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 64;
		p->keys = realloc(p->keys, p->cap * sizeof(*p->keys));
	}
	k.text = strdup(sub->ud.text);
	k.received = 1;
	k.owner = -1;
	p->keys[p->n++] = k;
}

/* Every PDU the phone got, whatever modemsim made of them. */
static void load_phone(struct relay_env *e, const char *number)
{
	struct json_object *resp, *msgs;
	struct phone_rx *p;
	struct sms_submit *sub = malloc(sizeof(*sub));

	if (phone_rx(number)) {
		free(sub);
		return;
	}
	phones_rx = realloc(phones_rx, (n_phones_rx + 1) * sizeof(*phones_rx));
	p = &phones_rx[n_phones_rx++];
	memset(p, 0, sizeof(*p));
	snprintf(p->number, sizeof(p->number), "%s", number);
	resp = relay_inbox_json(e, number);
	if (json_object_object_get_ex(resp, "messages", &msgs)) {
		for (size_t i = 0; i < json_object_array_length(msgs); i++) {
			struct json_object *m = json_object_array_get_idx(msgs, i), *pdus, *from;
			const char *f = json_object_object_get_ex(m, "from", &from)
					    ? json_object_get_string(from)
					    : "";

			if (!json_object_object_get_ex(m, "pdus", &pdus))
				continue;
			for (size_t k = 0; k < json_object_array_length(pdus); k++) {
				const char *hex =
				    json_object_get_string(json_object_array_get_idx(pdus, k));
				uint8_t pdu[SMS_PDU_MAX];
				int len = sms_hex_decode(pdu, sizeof(pdu), hex, strlen(hex));

				if (len <= 0 ||
				    sms_submit_decode(sub, pdu, (size_t)len, true) < 0) {
					json_object_put(resp);
					free(sub);
					RELAY_FAIL(e, "%s got a PDU that does not decode: %s",
						   number, hex);
				}
				add_part(p, f, sub);
			}
		}
	}
	json_object_put(resp);
	free(sub);
}

struct delivery {
	int64_t id;
	char relay[24], to[24], status[16];
	char *body;
	bool expected;	 /* the archive says it goes out */
	unsigned copies; /* deliveries with the same relay, recipient and body */
	int first;	 /* the first of those (index), which is the one checked */
};

/* The concatenation group of `k` holds parts 1..total that spell `body` from `k` (part 1)
 * on; their keys go to chain[]. */
static bool chain_from(struct phone_rx *p, struct rx_key *k, const char *body,
		       struct rx_key **chain)
{
	size_t pos = strlen(k->text), blen = strlen(body);

	if (k->seq != 1 || strncmp(body, k->text, pos))
		return false;
	chain[0] = k;
	for (unsigned seq = 2; seq <= k->total; seq++) {
		struct rx_key *next = NULL;

		for (unsigned i = 0; i < p->n && !next; i++) {
			struct rx_key *o = &p->keys[i];
			size_t n = strlen(o->text);

			if (o->seq == seq && o->concat == k->concat && o->ref == k->ref &&
			    o->total == k->total && !strcmp(o->from, k->from) && n &&
			    pos + n <= blen && !strncmp(body + pos, o->text, n))
				next = o;
		}
		if (!next)
			return false;
		chain[seq - 1] = next;
		pos += strlen(next->text);
	}
	return pos == blen;
}

/* Find the whole copies of a delivery in its recipient's parts and claim their keys; returns
 * how many. */
static unsigned match_whole(struct phone_rx *p, int idx, const struct delivery *d)
{
	struct rx_key *chain[SMS_MAX_PARTS];
	unsigned complete = 0;

	for (unsigned i = 0; i < p->n; i++) {
		struct rx_key *k = &p->keys[i];
		bool spare = true;

		if (strcmp(digits(k->from), digits(d->relay)) || !chain_from(p, k, d->body, chain))
			continue;
		/* A part the phone got as often as other deliveries account for is theirs (two
		 * deliveries whose reference and part text agree look alike at the phone). */
		for (unsigned s = 0; s < k->total; s++)
			spare &= chain[s]->received > chain[s]->demand;
		if (!spare)
			continue;
		/* The first `copies` whole copies are the ones the archive sent; any other is
		 * the message again (its keys claimed, not accounted for). Held, skipped or
		 * rejected, and sent all the same: every copy accounted for, not a duplicate. */
		for (unsigned s = 0; s < k->total; s++) {
			if (chain[s]->owner < 0)
				chain[s]->owner = idx;
			if (!d->copies)
				chain[s]->demand = chain[s]->received;
			else if (complete < d->copies)
				chain[s]->demand++;
		}
		complete++;
	}
	return complete;
}

/* A delivery not found whole: which of its parts did come? Any part no whole delivery
 * claimed that is long enough to be its own, and the rest of the concatenation groups
 * those are in. Returns how many distinct parts, and of how many. */
static unsigned match_parts(struct phone_rx *p, int idx, const struct delivery *d, unsigned *total)
{
	bool seen[SMS_MAX_PARTS + 1] = {false};
	unsigned got = 0;

	for (unsigned i = 0; i < p->n; i++) {
		struct rx_key *k = &p->keys[i];

		if (k->owner >= 0 || strcmp(digits(k->from), digits(d->relay)) ||
		    strlen(k->text) < 12 || !strstr(d->body, k->text))
			continue;
		for (unsigned j = 0; j < p->n; j++) {
			struct rx_key *o = &p->keys[j];

			if (o->owner < 0 && o->concat == k->concat && o->ref == k->ref &&
			    o->total == k->total && !strcmp(o->from, k->from) && *o->text &&
			    strstr(d->body, o->text)) {
				o->owner = idx;
				o->demand = d->copies ? 1 : o->received;
				got += !seen[o->seq];
				seen[o->seq] = true;
				*total = o->total;
			}
		}
	}
	return got;
}

static struct delivery *load_deliveries(struct relay_env *e, unsigned *n_out)
{
	sqlite3 *db = db_open_ro(e);
	/* A delivery refused before any submit (no modem named in its events) failed as a
	 * matter of course, not of the transport: it is not expected at the phone. */
	sqlite3_stmt *st = prepare(
	    e, db,
	    "SELECT d.id, d.relay, d.recipient_number, d.body, s.status,"
	    " EXISTS (SELECT 1 FROM delivery_events v WHERE v.delivery_id = d.id AND"
	    "  v.modem IS NOT NULL)"
	    " FROM deliveries d JOIN delivery_state s ON s.delivery_id = d.id ORDER BY d.id");
	struct delivery *ds = NULL;
	unsigned n = 0, cap = 0;

	while (sqlite3_step(st) == SQLITE_ROW) {
		struct delivery *d;

		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			ds = realloc(ds, cap * sizeof(*ds));
		}
		d = &ds[n++];
		memset(d, 0, sizeof(*d));
		d->id = sqlite3_column_int64(st, 0);
		snprintf(d->relay, sizeof(d->relay), "%s", col(st, 1));
		snprintf(d->to, sizeof(d->to), "%s", col(st, 2));
		d->body = strdup(col(st, 3));
		snprintf(d->status, sizeof(d->status), "%s", col(st, 4));
		d->expected = strcmp(d->status, "held") && strcmp(d->status, "skipped") &&
			      strcmp(d->status, "rejected") &&
			      (strcmp(d->status, "failed") || sqlite3_column_int(st, 5));
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	/* Identical deliveries (same relay, recipient, body) are checked together. */
	for (unsigned i = 0; i < n; i++) {
		ds[i].first = (int)i;
		for (unsigned j = 0; j < i; j++) {
			if (ds[j].first == (int)j && !strcmp(ds[j].relay, ds[i].relay) &&
			    !strcmp(ds[j].to, ds[i].to) && !strcmp(ds[j].body, ds[i].body)) {
				ds[i].first = (int)j;
				break;
			}
		}
		if (ds[i].expected)
			ds[ds[i].first].copies++;
	}
	*n_out = n;
	return ds;
}

struct outbound {
	unsigned deliveries, expected, complete;
	unsigned dup_parts, dup_deliveries, dup_recorded;
	unsigned stray_parts;
	struct tally missing, incomplete, unrecorded, stray, unexpected;
};

/* Was the delivery recorded as possibly sent twice? */
static bool resend_recorded(struct relay_env *e, bool submits_table, int64_t id)
{
	return submits_table &&
	       relay_sql_int(e,
			     "SELECT count(*) FROM delivery_submits WHERE delivery_id = %lld AND "
			     "resend = 1",
			     (long long)id) > 0;
}

static void check_outbound(struct relay_env *e, bool submits_table, struct outbound *o)
{
	unsigned n;
	struct delivery *ds = load_deliveries(e, &n);
	bool *dup_seen = calloc(n + 1, sizeof(bool));
	unsigned *whole = calloc(n + 1, sizeof(unsigned));

	for (unsigned i = 0; i < e->n_phones; i++)
		load_phone(e, e->phones[i]);
	for (unsigned i = 0; i < n; i++)
		load_phone(e, ds[i].to);
	o->deliveries = n;
	/* Whole copies first, so that a delivery that did not arrive whole cannot take a
	 * short part (a last part of a few characters) that belongs to one that did. */
	for (unsigned i = 0; i < n; i++) {
		if (ds[i].expected)
			o->expected++;
		/* Held, skipped or rejected ones are matched too: if one did arrive, it is
		 * not a stray — but only an expected one can be missing. */
		if (ds[i].first == (int)i)
			whole[i] = match_whole(phone_rx(ds[i].to), (int)i, &ds[i]);
	}
	for (unsigned i = 0; i < n; i++) {
		struct delivery *d = &ds[i];
		unsigned got, total = 0;

		if (d->first != (int)i)
			continue;
		if (!d->copies) {
			if (whole[i])
				note(&o->unexpected, "delivery %lld (%s) to %s via %s: %.90s",
				     (long long)d->id, d->status, d->to, d->relay, d->body);
			continue;
		}
		if (whole[i] >= d->copies) {
			o->complete += d->copies;
			continue;
		}
		got = match_parts(phone_rx(d->to), (int)i, d, &total);
		if (got)
			note(&o->incomplete,
			     "delivery %lld (%s) to %s via %s, %u of %u parts: %.80s",
			     (long long)d->id, d->status, d->to, d->relay, got, total, d->body);
		else
			note(&o->missing, "delivery %lld (%s) to %s via %s: %.90s",
			     (long long)d->id, d->status, d->to, d->relay, d->body);
	}
	/* Parts got more often than deliveries account for: duplicates of their owner. */
	for (unsigned i = 0; i < n_phones_rx; i++) {
		struct phone_rx *p = &phones_rx[i];

		for (unsigned k = 0; k < p->n; k++) {
			struct rx_key *key = &p->keys[k];
			const struct delivery *d;

			if (key->owner < 0) {
				o->stray_parts += key->received;
				note(&o->stray,
				     "%s got %u time(s) from %s part %u/%u (ref %u): %.80s",
				     p->number, key->received, key->from, key->seq, key->total,
				     key->ref, key->text);
				continue;
			}
			if (key->received <= key->demand)
				continue;
			d = &ds[key->owner];
			o->dup_parts += key->received - key->demand;
			if (dup_seen[key->owner])
				continue;
			dup_seen[key->owner] = true;
			o->dup_deliveries++;
			if (resend_recorded(e, submits_table, d->id))
				o->dup_recorded++;
			else
				note(&o->unrecorded,
				     "delivery %lld to %s: part %u/%u got %u times, no resend "
				     "recorded: %.70s",
				     (long long)d->id, d->to, key->seq, key->total, key->received,
				     d->body);
		}
	}
	for (unsigned i = 0; i < n; i++)
		free(ds[i].body);
	free(ds);
	free(dup_seen);
	free(whole);
	for (unsigned i = 0; i < n_phones_rx; i++) {
		for (unsigned k = 0; k < phones_rx[i].n; k++)
			free(phones_rx[i].keys[k].text);
		free(phones_rx[i].keys);
	}
	free(phones_rx);
	phones_rx = NULL;
	n_phones_rx = 0;
}

/* ---- Status reports: each matched to its delivery ---- */

struct reports {
	unsigned total, matched;
	struct tally unmatched;
};

/* With delivery_reports: a report (a distinct PDU: the network shows an unacknowledged
 * one again) is matched when one of its rows names a delivery — to the number the report
 * is about. */
static void check_reports_table(struct relay_env *e, struct reports *r)
{
	sqlite3 *db = db_open_ro(e);
	sqlite3_stmt *st =
	    prepare(e, db,
		    "SELECT p.pdu, p.relay, min(p.id),"
		    " (SELECT d.recipient_number FROM delivery_reports x JOIN deliveries d"
		    "   ON d.id = x.delivery_id JOIN rx_pdus q ON q.id = x.rx_pdu_id"
		    "   WHERE q.pdu = p.pdu AND q.relay = p.relay LIMIT 1)"
		    " FROM rx_pdus p WHERE p.kind = 'status-report' GROUP BY p.relay, p.pdu");
	struct sms_status_report *sr = malloc(sizeof(*sr));

	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *hex = col(st, 0), *to = col(st, 3);
		uint8_t pdu[SMS_PDU_MAX];
		int len = sms_hex_decode(pdu, sizeof(pdu), hex, strlen(hex));
		bool decoded = len > 0 && sms_status_report_decode(sr, pdu, (size_t)len, true) >= 0;

		r->total++;
		if (sqlite3_column_type(st, 3) == SQLITE_NULL)
			note(&r->unmatched, "rx_pdu %lld on %s (MR %d, to %s): no delivery",
			     (long long)sqlite3_column_int64(st, 2), col(st, 1),
			     decoded ? sr->mr : -1, decoded ? sr->recipient.text : "?");
		else if (decoded && strcmp(digits(to), digits(sr->recipient.text)))
			note(&r->unmatched,
			     "rx_pdu %lld on %s (MR %d, to %s): matched to a delivery to %s",
			     (long long)sqlite3_column_int64(st, 2), col(st, 1), sr->mr,
			     sr->recipient.text, to);
		else
			r->matched++;
	}
	free(sr);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* Without it (the old archive): per relay number and recipient, reports beyond the
 * deliveries' events that came of one ("TP-ST ...") found no delivery. */
static void check_reports_events(struct relay_env *e, struct reports *r)
{
	sqlite3 *db = db_open_ro(e);
	sqlite3_stmt *st = prepare(
	    e, db,
	    "SELECT DISTINCT pdu, relay FROM rx_pdus WHERE kind = 'status-report' ORDER BY relay");
	sqlite3_stmt *ev = prepare(
	    e, db,
	    "SELECT count(*) FROM delivery_events v JOIN deliveries d ON d.id = v.delivery_id"
	    " WHERE d.relay = ?1 AND ltrim(d.recipient_number, '+') = ?2 AND"
	    " v.status IN ('delivered', 'failed') AND v.detail LIKE 'TP-ST %'");
	struct sms_status_report *sr = malloc(sizeof(*sr));
	struct pair {
		char relay[24], to[48];
		unsigned reports;
	} *pairs = NULL;
	unsigned n_pairs = 0;

	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *hex = col(st, 0);
		uint8_t pdu[SMS_PDU_MAX];
		int len = sms_hex_decode(pdu, sizeof(pdu), hex, strlen(hex));
		unsigned i;

		r->total++;
		if (len <= 0 || sms_status_report_decode(sr, pdu, (size_t)len, true) < 0) {
			note(&r->unmatched, "a status report that does not decode: %s", hex);
			continue;
		}
		for (i = 0; i < n_pairs; i++)
			if (!strcmp(pairs[i].relay, col(st, 1)) &&
			    !strcmp(pairs[i].to, digits(sr->recipient.text)))
				break;
		if (i == n_pairs) {
			pairs = realloc(pairs, (n_pairs + 1) * sizeof(*pairs));
			memset(&pairs[i], 0, sizeof(*pairs));
			snprintf(pairs[i].relay, sizeof(pairs[i].relay), "%s", col(st, 1));
			snprintf(pairs[i].to, sizeof(pairs[i].to), "%s",
				 digits(sr->recipient.text));
			n_pairs++;
		}
		pairs[i].reports++;
	}
	for (unsigned i = 0; i < n_pairs; i++) {
		unsigned events;

		sqlite3_bind_text(ev, 1, pairs[i].relay, -1, SQLITE_STATIC);
		sqlite3_bind_text(ev, 2, pairs[i].to, -1, SQLITE_STATIC);
		events = sqlite3_step(ev) == SQLITE_ROW ? (unsigned)sqlite3_column_int(ev, 0) : 0;
		sqlite3_reset(ev);
		r->matched += events < pairs[i].reports ? events : pairs[i].reports;
		if (events < pairs[i].reports)
			note_n(&r->unmatched, pairs[i].reports - events,
			       "%u reports on %s about +%s, %u delivery events came of them",
			       pairs[i].reports, pairs[i].relay, pairs[i].to, events);
	}
	free(pairs);
	free(sr);
	sqlite3_finalize(ev);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* ---- The run ---- */

/* CHAPERONE_CRASH_KEEP=DIR: the archive, the logs and every phone's inbox (inbox.json) are
 * copied there before the installation is removed, for a look at what happened. */
static void keep(struct relay_env *e)
{
	const char *dir = getenv("CHAPERONE_CRASH_KEEP");
	struct json_object *all;
	char cmd[1024], path[512];

	if (!dir || !*dir)
		return;
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && cp '%s'* '%s' '%s/modemsim.log' '%s'", dir,
		 e->db, e->log, e->dir, dir);
	if (system(cmd) != 0)
		fprintf(stderr, "crash: could not copy the installation to %s\n", dir);
	all = relay_inbox_json(e, NULL);
	snprintf(path, sizeof(path), "%s/inbox.json", dir);
	if (json_object_to_file_ext(path, all, JSON_C_TO_STRING_PLAIN) < 0)
		fprintf(stderr, "crash: could not write %s\n", path);
	json_object_put(all);
	printf("crash: archive, logs and inboxes kept in %s\n", dir);
}

/* `chaperone records verify` must pass; a failure is noted (with the tool's last words)
 * and the run goes on, so that the rest of the figures come too. */
static void verify_records(struct relay_env *e, struct tally *bad, const char *when)
{
	char *out = NULL;
	int rc = relay_cli(e, &out, "records", "verify", NULL);

	if (rc != 0) {
		const char *tail = out ? out : "";
		size_t n = strlen(tail);

		tail += n > 160 ? n - 160 : 0;
		note(bad, "%s: exit %d: %s", when, rc, tail);
		printf("crash: chaperone records verify failed %s (exit %d)\n", when, rc);
	}
	free(out);
}

/* Milliseconds into the UTC day, of now or of a trace line's "HH:MM:SS.mmm". */
static long day_ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long)(ts.tv_sec % 86400) * 1000 + ts.tv_nsec / 1000000;
}

static long day_ms(const char *hms)
{
	unsigned h, m, sec, ms;

	return sscanf(hms, "%u:%u:%u.%u", &h, &m, &sec, &ms) == 4
		   ? (long)((h * 60 + m) * 60 + sec) * 1000 + (long)ms
		   : -1;
}

/* What a modem was doing when the daemon went (at `kill_ms` into the UTC day), from its
 * trace: 2 mid-submit (its last input was a submit's PDU, not answered before the kill),
 * 1 at the prompt (AT+CMGS sent, no PDU yet: the modem waits for one), 0 anything else. */
static int modem_at_kill(struct relay_env *e, const char *modem, long kill_ms)
{
	struct json_object *resp = sim_ctl(
			       e->sim, "{\"cmd\":\"trace\",\"modem\":\"%s\",\"last\":12}", modem),
			   *tr;
	long answered = -1; /* when the last input got its final result */
	int what = 0;

	if (resp && json_object_object_get_ex(resp, "trace", &tr)) {
		for (size_t i = json_object_array_length(tr); i-- > 0;) {
			struct json_object *t = json_object_array_get_idx(tr, i), *dir, *line, *at;
			const char *l;

			if (!json_object_object_get_ex(t, "dir", &dir) ||
			    !json_object_object_get_ex(t, "line", &line) ||
			    !json_object_object_get_ex(t, "time", &at))
				continue;
			l = json_object_get_string(line);
			if (strcmp(json_object_get_string(dir), "in")) {
				if (!strcmp(l, "OK") || !strncmp(l, "+CMS ERROR", 10) ||
				    !strcmp(l, "ERROR"))
					answered = day_ms(json_object_get_string(at));
				continue;
			}
			if (!strncmp(l, "AT+CMGS=", 8))
				what = 1;
			else if (*l && l[strspn(l, "0123456789abcdefABCDEF")] == '\0')
				what = answered < 0 ||
					       (answered - kill_ms + 86400000) % 86400000 < 43200000
					   ? 2
					   : 0;
			break;
		}
	}
	json_object_put(resp);
	return what;
}

static unsigned n_mid_submit, n_at_prompt;

/* One round: texts flow until the kill (or, with `kill` false, for as long), a text or
 * two may come while the daemon is down. Returns the signal used. */
static int round_of_traffic(struct relay_env *e, bool kill)
{
	long long start = now_ms(), end = start + rnd_in(KILL_MIN_MS, KILL_MAX_MS), stop, gone;
	int sig = rnd() % 5 == 0 ? SIGTERM : SIGKILL, status;
	char how[64], doing[96] = "";
	bool mid = false, prompt = false;
	unsigned before = n_sent, down;
	long kill_ms;

	while (now_ms() < end) {
		long long gap = rnd_in(GAP_MIN_MS, GAP_MAX_MS), left;

		text_once(e);
		left = end - now_ms();
		sleep_ms((int)(gap < left ? gap : left > 0 ? left : 0));
	}
	if (!kill)
		return 0;
	stop = now_ms();
	kill_ms = day_ms_now();
	status = relay_kill(e, sig);
	gone = now_ms();
	down = n_sent;
	for (unsigned i = 0; i < 2; i++) {
		int what = modem_at_kill(e, i ? "modem1" : "modem0", kill_ms);
		if (what)
			snprintf(doing + strlen(doing), sizeof(doing) - strlen(doing),
				 "%smodem%u %s", *doing ? ", " : "; ", i,
				 what == 2 ? "mid-submit" : "at the prompt");
		mid |= what == 2;
		prompt |= what == 1;
	}
	n_mid_submit += mid;
	n_at_prompt += prompt;
	for (unsigned n = rnd() % 3 == 0 ? rnd_in(1, 2) : 0; n; n--)
		text_once(e);
	if (WIFEXITED(status))
		snprintf(how, sizeof(how), "exit %d", WEXITSTATUS(status));
	else
		snprintf(how, sizeof(how), "%s",
			 WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "?");
	printf("crash: %s after %lld ms and %u texts (gone in %lld ms: %s%s), %u texts while "
	       "down\n",
	       sig == SIGKILL ? "SIGKILL" : "SIGTERM", stop - start, down - before, gone - stop,
	       how, doing, n_sent - down);
	return sig;
}

/* The last AT lines a modem saw, on one line. */
static void modem_trace(struct relay_env *e, const char *modem, char *out, size_t cap)
{
	struct json_object *resp = sim_ctl(
			       e->sim, "{\"cmd\":\"trace\",\"modem\":\"%s\",\"last\":4}", modem),
			   *tr;
	size_t n = 0;

	out[0] = '\0';
	if (resp && json_object_object_get_ex(resp, "trace", &tr))
		for (size_t i = 0; i < json_object_array_length(tr) && n < cap; i++) {
			struct json_object *t = json_object_array_get_idx(tr, i), *dir, *line;
			if (json_object_object_get_ex(t, "dir", &dir) &&
			    json_object_object_get_ex(t, "line", &line))
				n += (size_t)snprintf(out + n, cap - n, "%s%s %.60s",
						      i ? " | " : "", json_object_get_string(dir),
						      json_object_get_string(line));
		}
	json_object_put(resp);
}

/* Start chaperoned again. A modem that does not come back within RESTART_MS is a failure
 * of the restart (noted, with the modem's last AT lines); the operator power-cycles it
 * (modemsim's reset) so that the run goes on. */
static void restart(struct relay_env *e, unsigned kill_no, struct tally *stuck)
{
	static const char *const names[] = {"modem0", "modem1"};
	static const char *const relays[] = {RELAY_SOCCER, RELAY_ROBOTICS};
	char *modems;

	if (relay_launch_within(e, RESTART_MS))
		return;
	modems = relay_vty(e, "show modems");
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char want[64], trace[400];

		snprintf(want, sizeof(want), "%s %s ready", names[i], relays[i]);
		if (modems && strstr(modems, want))
			continue;
		modem_trace(e, names[i], trace, sizeof(trace));
		note(stuck, "after kill %u, %s was not ready in %d ms; its last AT lines: %s",
		     kill_no, names[i], RESTART_MS, trace);
		printf("crash: %s stuck after kill %u (%s); power-cycling it\n", names[i], kill_no,
		       trace);
		json_object_put(sim_ctl(e->sim, "{\"cmd\":\"reset\",\"modem\":\"%s\"}", names[i]));
	}
	free(modems);
	if (!relay_wait_ready(e, RESTART_MS))
		RELAY_FAIL(e, "chaperoned's modems not ready even after power-cycling them");
}

/* Everything the run found. */
struct findings {
	unsigned n_term;
	bool settled, submits_table, reports_table;
	struct tally unverified, stuck, lost, twice, unrouted, undelivered;
	struct outbound out;
	struct reports rep;
};

static void findings_init(struct findings *f)
{
	memset(f, 0, sizeof(*f));
	f->unverified.what = "failed runs of chaperone records verify";
	f->stuck.what = "restarts after which a modem stayed stuck";
	f->lost.what = "texts lost (not in messages)";
	f->twice.what = "texts recorded more than once";
	f->unrouted.what = "texts recorded but never routed (no verdict)";
	f->undelivered.what = "texts the rules did not simply relay (the traffic is meant to "
			      "pass every rule; fewer deliveries are checked)";
	f->out.missing.what = "deliveries missing at the phone";
	f->out.incomplete.what = "deliveries incomplete at the phone";
	f->out.unrecorded.what = "duplicated deliveries not recorded as possibly duplicated";
	f->out.stray.what = "parts a phone got that no delivery accounts for";
	f->out.unexpected.what = "deliveries held, skipped or rejected that reached the phone";
	f->rep.unmatched.what = "status reports not matched to their delivery";
}

/* The kills, each followed by a restart and a look at the archive's chain. */
static void crash_rounds(struct relay_env *e, struct findings *f)
{
	char when[64];

	for (unsigned k = 0; k < kills; k++) {
		if (k > 0) {
			restart(e, k, &f->stuck);
			/* What the crash left and what the restart recovered, chained whole. */
			snprintf(when, sizeof(when), "after restart %u", k);
			verify_records(e, &f->unverified, when);
		}
		f->n_term += round_of_traffic(e, true) == SIGTERM;
	}
	if (kills) {
		restart(e, kills, &f->stuck);
		verify_records(e, &f->unverified, "after the last restart");
	}
	/* The checks' own baseline: as much traffic as a default run, and no crash at all. */
	for (unsigned k = 0; !kills && k < DEFAULT_KILLS; k++)
		round_of_traffic(e, false);
}

static void print_findings(const struct findings *f, long long ms)
{
	const struct tally *all[] = {
	    &f->unverified,	&f->stuck,	 &f->lost,	     &f->twice,
	    &f->unrouted,	&f->undelivered, &f->out.missing,    &f->out.incomplete,
	    &f->out.unrecorded, &f->out.stray,	 &f->out.unexpected, &f->rep.unmatched,
	};

	printf("crash: %u texts (%u multipart, %u UCS-2); %u deliveries, %u expected at a phone, "
	       "%u complete there; %u parts duplicated in %u deliveries, %u of those recorded "
	       "as possibly duplicated%s; %u status reports, %u matched%s\n",
	       n_sent, n_multipart, n_wide, f->out.deliveries, f->out.expected, f->out.complete,
	       f->out.dup_parts, f->out.dup_deliveries, f->out.dup_recorded,
	       f->submits_table ? "" : " (no delivery_submits table)", f->rep.total, f->rep.matched,
	       f->reports_table ? ""
				: " (no delivery_reports table: counted from delivery events)");
	printf("crash summary: seed=%" PRIu64 " kills=%u sigterm=%u mid-submit=%u at-prompt=%u "
	       "time=%lld ms | settled=%s verify-failures=%u stuck-modems=%u lost=%u "
	       "recorded-twice=%u unrouted=%u missing=%u incomplete=%u unrecorded-duplicates=%u "
	       "stray-parts=%u sent-though-held=%u unmatched-reports=%u\n",
	       seed, kills, f->n_term, n_mid_submit, n_at_prompt, ms, f->settled ? "yes" : "NO",
	       f->unverified.n, f->stuck.n, f->lost.n, f->twice.n, f->unrouted.n, f->out.missing.n,
	       f->out.incomplete.n, f->out.unrecorded.n, f->out.stray_parts, f->out.unexpected.n,
	       f->rep.unmatched.n);
	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		print_tally(all[i]);
	fflush(stdout);
}

static bool came_through(const struct findings *f)
{
	return f->settled && !f->unverified.n && !f->stuck.n && !f->lost.n && !f->twice.n &&
	       !f->unrouted.n && !f->out.missing.n && !f->out.incomplete.n &&
	       !f->out.unrecorded.n && !f->out.stray.n && !f->out.unexpected.n &&
	       !f->rep.unmatched.n;
}

static void test_crash_send_path(void **state)
{
	struct relay_policy policy;
	struct relay_env *e;
	struct findings f;
	long long t0 = now_ms();
	bool ok;

	(void)state;
	findings_init(&f);
	relay_policy_defaults(&policy);
	policy.submit_ms = SUBMIT_MS;
	policy.deliver_ms = DELIVER_MS;
	/* SIGTERM lets the modems work through their queues for this long (10 s by default),
	 * then the daemon leaves whatever is still queued or half sent. */
	policy.extra_config = "timer relay X2 " STOP_GRACE_MS "\n";
	e = relay_start(DISTRICT, &policy);
	crash_rounds(e, &f);
	printf("crash: %u kills (%u SIGTERM) in %lld ms, %u of them mid-submit and %u at a "
	       "prompt on a modem; %u texts sent\n",
	       kills, f.n_term, now_ms() - t0, n_mid_submit, n_at_prompt, n_sent);
	f.submits_table = has_table(e, "delivery_submits");
	f.reports_table = has_table(e, "delivery_reports");
	f.settled = settle(e, f.submits_table);
	verify_records(e, &f.unverified, "at the end");

	check_inbound(e, &f.lost, &f.twice, &f.unrouted, &f.undelivered);
	check_outbound(e, f.submits_table, &f.out);
	if (f.reports_table)
		check_reports_table(e, &f.rep);
	else
		check_reports_events(e, &f.rep);
	print_findings(&f, now_ms() - t0);
	keep(e);
	for (unsigned i = 0; i < n_sent; i++)
		free(sent[i].text);
	free(sent);
	sent = NULL;
	ok = came_through(&f);
	relay_stop(e);
	if (!ok)
		fail_msg("the relay did not come through %u crashes whole (seed %" PRIu64 ")",
			 kills, seed);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crash_send_path),
	};
	const char *k = argc > 3 ? argv[3] : getenv("CHAPERONE_CRASH_KILLS");
	const char *s = getenv("CHAPERONE_CRASH_SEED");

	relay_harness_init(argc, argv);
	if (k && *k)
		kills = (unsigned)strtoul(k, NULL, 10);
	if (s && *s)
		seed = strtoull(s, NULL, 0);
	else
		seed = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid();
	rng_state = seed;
	printf("crash: seed %" PRIu64 " (CHAPERONE_CRASH_SEED), %u kills\n", seed, kills);
	fflush(stdout);
	return cmocka_run_group_tests_name("relay: crashes in the send path", tests, NULL, NULL)
		   ? 1
		   : 0;
}
