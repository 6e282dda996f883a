/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* bench_relay: the relay's core path and chaperoned's memory (not a CTest test: it takes
 * about a minute and its figures are read by people; see docs/performance.md).
 *
 * 1. Core path, no modems: router_inbound() on a real SQLite file opened by store_open()
 *    (WAL, synchronous=FULL: every message is one durable commit) with a district whose
 *    #soccer team has 40 players, 2 guardians each (all with phones), 2 coaches and an
 *    athletic director, plus a background population. Policy: guardians on team
 *    messages, oversight copy, notice. The transport only counts. Three workloads, each
 *    after a warm-up that has given everyone the recording notice:
 *      broadcast  a coach's "#soccer ..." (40 students + 80 guardians + co-coach + AD);
 *      mix        a student writes the coaches (guardians copied), the coach answers
 *                 unaddressed (the thread), a guardian writes, a coach writes one player
 *                 (@handle), and two blocked ones (unknown #tag, a player of another team);
 *      modem down the broadcast while the transport says the modem is not ready.
 *    The limit is the durable part alone, on a second file with the same schema and
 *    pragmas: the same number of transactions, each inserting one message, one verdict
 *    and the same number of deliveries and delivery events as the router recorded for
 *    that message, through plain prepared statements; relay and limit alternate in short
 *    slices so that both see the same disk. ratio = relay rate / limit rate. Both on the
 *    build tree's disk and on tmpfs (/dev/shm).
 * 2. Memory: a 50,000-person directory (students, guardians, staff, 400 teams, 8 relays)
 *    written through storage/directory/directory_store.h, the real chaperoned started on it with no
 *    modems, VmRSS read from /proc once it is ready; the same with an empty directory.
 *
 * Usage: bench_relay [BUILD_DIR [SECONDS-PER-FIGURE]]
 *   BUILD_DIR: where bin/chaperoned is and where the on-disk files go (default: the
 *   chaperoned of the build tree this benchmark was built in, files next to the
 *   benchmark). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <talloc.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "storage/directory/directory_store.h"
#include "storage/records/records.h"
#include "gateway/relay/router.h"
#include "storage/archive/store.h"

#ifndef CHAPERONED_PATH
#define CHAPERONED_PATH "bin/chaperoned"
#endif

#define ACTOR		"bench"
#define TEAM_RELAY	"+15550100"
#define CLUB_RELAY	"+15550101"
#define LARGE_PERSONS	50000
#define LARGE_TEAMS	400
#define LARGE_RELAYS	8
#define READY_TIMEOUT_S 120

static double seconds_per_figure = 3.0;
static char chaperoned_path[PATH_MAX];
static char disk_base[PATH_MAX];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "bench_relay: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	exit(1);
}

/* ---- Files ---------------------------------------------------------------------------- */

static void make_tmpdir(char *out, size_t cap, const char *base)
{
	if (snprintf(out, cap, "%s/bench_relay.XXXXXX", base) >= (int)cap)
		die("path too long", base);
	if (!mkdtemp(out))
		die("mkdtemp", strerror(errno));
}

/* The temporary directories are flat: the database, its -wal and -shm, a config. */
static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX + 256];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static double file_mib(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (double)st.st_size / (1024.0 * 1024.0) : 0;
}

static struct store *open_store(void *ctx, const char *path)
{
	char err[256];
	struct store *s = store_open(ctx, path, err, sizeof(err));

	if (!s)
		die("store_open", err);
	return s;
}

/* ---- A generated district, written through storage/directory/directory_store.h ---- */

static const char *const given_names[] = {
    "Jamie", "Alex",   "Sam",	  "Riley", "Jordan", "Taylor", "Morgan", "Casey",
    "Avery", "Quinn",  "Dana",	  "Robin", "Kim",    "Pat",    "Chris",	 "Drew",
    "Emery", "Harper", "Jesse",	  "Kai",   "Logan",  "Parker", "Reese",	 "Rowan",
    "Sage",  "Blake",  "Cameron", "Devon", "Elliot", "Finley", "Hayden", "Micah",
};
static const char *const family_names[] = {
    "Rivera",	"Nguyen", "Smith", "Okafor",  "Garcia", "Kowalski", "Chen",  "Patel",
    "Johnson",	"Ortiz",  "Lee",   "Brown",   "Davis",	"Martin",   "Lopez", "Wilson",
    "Anderson", "Thomas", "Moore", "Jackson", "White",	"Harris",   "Clark", "Lewis",
    "Walker",	"Young",  "Hall",  "Allen",   "King",	"Wright",   "Scott", "Green",
};
#define N_GIVEN (ARRAY_SIZE(given_names))

struct gen {
	struct store *s;
	unsigned persons, teams, links;
	int64_t relay_ids[DIR_MAX_RELAYS];
	unsigned n_relays;
};

static void check(int rc, const char *what, struct gen *g)
{
	if (rc < 0)
		die(what, store_errmsg(g->s));
}

/* Names cycle through the lists; the handle and phone carry the person's ordinal, so
 * both are unique as the directory requires. */
static int64_t gen_person(struct gen *g, enum dir_role role, enum dir_title title, bool phone)
{
	unsigned n = g->persons++;
	const char *given = given_names[n % N_GIVEN];
	const char *family = family_names[(n / N_GIVEN) % ARRAY_SIZE(family_names)];
	char handle[48], number[24], source[24];
	size_t i;
	struct store_person p = {0};

	for (i = 0; given[i] && i < 30; i++)
		handle[i] = (char)tolower((unsigned char)given[i]);
	snprintf(handle + i, sizeof(handle) - i, "%c%u", tolower((unsigned char)family[0]), n);
	snprintf(number, sizeof(number), "+1555%07u", 1000000 + n);
	snprintf(source, sizeof(source), "%s-%u", role == DIR_GUARDIAN ? "g" : "u", n);
	p.source_id = source;
	p.origin = role == DIR_GUARDIAN ? STORE_ORIGIN_GUARDIANS : STORE_ORIGIN_ONEROSTER;
	p.role = role;
	p.title = title;
	p.given = given;
	p.family = family;
	p.handle = handle;
	p.phone = phone ? number : NULL;
	p.active = true;
	check(store_person_add(g->s, ACTOR, &p), "store_person_add", g);
	return p.id;
}

static void gen_link(struct gen *g, enum store_link_kind k, int64_t a, int64_t b, const char *note,
		     const char *origin)
{
	check(store_link_add(g->s, ACTOR, k, a, b, note, origin), "store_link_add", g);
	g->links++;
}

static void gen_relays(struct gen *g, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		char number[24], label[32];

		snprintf(number, sizeof(number), "+1555010%u", i);
		snprintf(label, sizeof(label), "Relay %u", i);
		check(store_relay_ensure(g->s, number, label, &g->relay_ids[i]),
		      "store_relay_ensure", g);
	}
	g->n_relays = n;
}

/* How one generated team looks. */
struct team_spec {
	const char *tag, *name, *kind;
	int64_t relay_id;
	unsigned students, staff;
	bool all_reachable; /* every student and guardian has a phone, two guardians each */
};

/* A team with its own staff, students and their guardians; sports teams get a
 * "captains" subgroup, as the addressing grammar allows (#soccer.captains). */
static void gen_team(struct gen *g, const struct team_spec *ts)
{
	enum dir_title title = !strcmp(ts->kind, "sports") ? DIR_T_COACH
			       : !strcmp(ts->kind, "club") ? DIR_T_ADVISOR
							   : DIR_T_TEACHER;
	char source[64];
	struct store_team t = {0};
	int64_t captains = 0;

	snprintf(source, sizeof(source), "teams.csv:%s", ts->tag);
	t.source_id = source;
	t.origin = STORE_ORIGIN_TEAMS;
	t.tag = ts->tag;
	t.name = ts->name;
	t.kind = ts->kind;
	t.relay_id = ts->relay_id;
	t.active = true;
	check(store_team_add(g->s, ACTOR, &t), "store_team_add", g);
	g->teams++;
	for (unsigned i = 0; i < ts->staff; i++)
		gen_link(g, STORE_LINK_MEMBER, t.id, gen_person(g, DIR_STAFF, title, true), NULL,
			 STORE_ORIGIN_TEAMS);
	if (title == DIR_T_COACH)
		check(store_subgroup_add(g->s, ACTOR, t.id, "captains", STORE_ORIGIN_TEAMS,
					 &captains),
		      "store_subgroup_add", g);
	for (unsigned i = 0; i < ts->students; i++) {
		/* In the background, one student in four has no phone on file, one in three
		 * has a single guardian and one guardian in twenty has no phone. */
		int64_t st = gen_person(g, DIR_STUDENT, DIR_T_NONE, ts->all_reachable || i % 4);
		unsigned n_guardians = ts->all_reachable || i % 3 ? 2 : 1;

		gen_link(g, STORE_LINK_MEMBER, t.id, st, NULL, STORE_ORIGIN_TEAMS);
		if (captains && i < 2)
			gen_link(g, STORE_LINK_SUBGROUP, captains, st, NULL, STORE_ORIGIN_TEAMS);
		for (unsigned k = 0; k < n_guardians; k++) {
			bool phone = ts->all_reachable || (g->persons % 20) != 0;
			gen_link(g, STORE_LINK_GUARDIAN, st,
				 gen_person(g, DIR_GUARDIAN, DIR_T_NONE, phone),
				 k ? "father" : "mother", STORE_ORIGIN_GUARDIANS);
		}
	}
}

static const char *const sports[] = {"soccer",	"track",    "swim",	"tennis", "golf",
				     "volley",	"basket",   "lacrosse", "hockey", "cross",
				     "wrestle", "softball", "baseball", "crew"};
static const char *const clubs[] = {"chess",	"robotics", "debate", "band", "drama",
				    "yearbook", "science",  "art",    "math", "choir"};

/* Team number i of a generated district: mostly sports, some clubs, a few classes. */
static void team_spec_for(unsigned i, char *tag, size_t cap, char *name, size_t ncap,
			  struct team_spec *ts)
{
	const char *base;

	if (i % 10 < 6) {
		base = sports[i % (ARRAY_SIZE(sports))];
		ts->kind = "sports";
	} else if (i % 10 < 9) {
		base = clubs[i % (ARRAY_SIZE(clubs))];
		ts->kind = "club";
	} else {
		base = "class";
		ts->kind = "class";
	}
	snprintf(tag, cap, "%s%u", base, i);
	snprintf(name, ncap, "%c%s %u", toupper((unsigned char)base[0]), base + 1, i);
	ts->tag = tag;
	ts->name = name;
}

/* Part 1's district: #soccer as the brief describes it, on TEAM_RELAY with an athletic
 * director (the default overseer of sports teams) and a principal; 19 background teams
 * of 20-30 students on both relays; 200 students on no team, with their guardians. */
static void gen_small(struct store *s)
{
	struct gen g = {.s = s};
	struct team_spec soccer = {.tag = "soccer",
				   .name = "Soccer",
				   .kind = "sports",
				   .students = 40,
				   .staff = 2,
				   .all_reachable = true};

	if (store_begin(s) < 0)
		die("store_begin", store_errmsg(s));
	check(store_relay_ensure(s, TEAM_RELAY, "Athletics", &g.relay_ids[0]), "relay", &g);
	check(store_relay_ensure(s, CLUB_RELAY, "Clubs", &g.relay_ids[1]), "relay", &g);
	gen_person(&g, DIR_ADMIN, DIR_T_ATHLETIC_DIRECTOR, true);
	gen_person(&g, DIR_ADMIN, DIR_T_PRINCIPAL, true);
	soccer.relay_id = g.relay_ids[0];
	gen_team(&g, &soccer);
	for (unsigned i = 1; i < 20; i++) {
		char tag[32], name[48];
		struct team_spec ts = {0};

		team_spec_for(i, tag, sizeof(tag), name, sizeof(name), &ts);
		ts.relay_id = g.relay_ids[i % 2];
		ts.students = 20 + (i * 7) % 11;
		ts.staff = 2;
		gen_team(&g, &ts);
	}
	for (unsigned i = 0; i < 200; i++) {
		int64_t st = gen_person(&g, DIR_STUDENT, DIR_T_NONE, i % 4);
		gen_link(&g, STORE_LINK_GUARDIAN, st,
			 gen_person(&g, DIR_GUARDIAN, DIR_T_NONE, true), "mother",
			 STORE_ORIGIN_GUARDIANS);
	}
	if (store_commit(s) < 0)
		die("store_commit", store_errmsg(s));
}

/* Part 2's district: 8 relays, 20 administrators (4 athletic directors, 12 principals,
 * 4 counselors), 400 teams of 20-40 students with 2 staff each, 300 staff on no team,
 * then students on no team with one or two guardians until there are `persons`. */
static void gen_large(struct store *s, unsigned persons, unsigned teams, unsigned relays,
		      unsigned *n_links)
{
	struct gen g = {.s = s};

	if (store_begin(s) < 0)
		die("store_begin", store_errmsg(s));
	gen_relays(&g, relays);
	for (unsigned i = 0; i < 20; i++)
		gen_person(&g, DIR_ADMIN,
			   i < 4    ? DIR_T_ATHLETIC_DIRECTOR
			   : i < 16 ? DIR_T_PRINCIPAL
				    : DIR_T_COUNSELOR,
			   true);
	for (unsigned i = 0; i < teams; i++) {
		char tag[32], name[48];
		struct team_spec ts = {0};

		team_spec_for(i, tag, sizeof(tag), name, sizeof(name), &ts);
		ts.relay_id = g.relay_ids[i % relays];
		ts.students = 20 + (i * 13) % 21;
		ts.staff = 2;
		gen_team(&g, &ts);
	}
	for (unsigned i = 0; i < 300; i++)
		gen_person(&g, DIR_STAFF, DIR_T_TEACHER, true);
	for (unsigned i = 0; g.persons < persons; i++) {
		int64_t st = gen_person(&g, DIR_STUDENT, DIR_T_NONE, i % 4);
		for (unsigned k = 0; k < (i % 3 ? 2u : 1u) && g.persons < persons; k++)
			gen_link(&g, STORE_LINK_GUARDIAN, st,
				 gen_person(&g, DIR_GUARDIAN, DIR_T_NONE, g.persons % 20),
				 k ? "father" : "mother", STORE_ORIGIN_GUARDIANS);
	}
	if (store_commit(s) < 0)
		die("store_commit", store_errmsg(s));
	*n_links = g.links;
}

/* ---- Part 1: the core path ------------------------------------------------------------ */

/* What the transport saw of each message (the limit replays it). */
struct msg_log {
	unsigned *deliveries;
	size_t n, cap;
	unsigned long total, body_bytes, text_bytes;
};

static struct msg_log *current_log;
static unsigned current_deliveries;
static bool modem_down;

/* The transport: no modem, it only counts what the router hands over after the commit.
 * With modem_down it answers as the daemon's does when the relay's modem is not ready:
 * the delivery waits on its queue (and the router records that). */
static enum router_send_result count_send(const struct router_send *o, const char **why, void *data)
{
	(void)data;
	current_deliveries++;
	if (current_log)
		current_log->body_bytes += strlen(o->body);
	if (modem_down) {
		*why = "modem0 not ready";
		return ROUTER_SEND_WAITING;
	}
	return ROUTER_SEND_QUEUED;
}

static const struct router_transport counting_transport = {.send = count_send};

struct fixture {
	void *ctx;
	char dir[PATH_MAX];
	char path[PATH_MAX + 32];
	struct store *s;
	struct router *r;
	const struct dir_team *soccer;
	const struct dir_person *coach_a, *coach_b, *outsider; /* outsider: on another team */
	int64_t at;					       /* ms UTC, moves on per message */
	unsigned long seq;
};

static void fixture_open(struct fixture *f, const char *base, bool with_router)
{
	struct router_config cfg;
	const struct directory *d;

	memset(f, 0, sizeof(*f));
	f->ctx = talloc_new(NULL);
	make_tmpdir(f->dir, sizeof(f->dir), base);
	snprintf(f->path, sizeof(f->path), "%s/chaperone.db", f->dir);
	f->s = open_store(f->ctx, f->path);
	gen_small(f->s);
	if (!with_router)
		return;
	router_config_defaults(&cfg);
	cfg.district = "Lakeview Public Schools";
	cfg.policy.guardians_on_team_messages = true;
	cfg.policy.oversight = POLICY_OVERSIGHT_COPY;
	cfg.policy.notice = true;
	f->r = router_alloc(f->ctx, f->s, &cfg, &counting_transport, NULL);
	if (router_load(f->r) < 0)
		die("router_load", store_errmsg(f->s));
	d = router_directory(f->r);
	f->soccer = dir_team_by_tag(d, "soccer");
	if (!f->soccer || f->soccer->n_students != 40 || f->soccer->n_staff != 2)
		die("generated directory", "no #soccer with 40 players and 2 coaches");
	f->coach_a = f->soccer->staff[0];
	f->coach_b = f->soccer->staff[1];
	/* A student with a phone on another team served by the same relay number. */
	for (unsigned i = 0; i < d->n_teams && !f->outsider; i++) {
		const struct dir_team *t = d->teams[i];
		if (t == f->soccer || t->relay != f->soccer->relay)
			continue;
		for (unsigned k = 0; k < t->n_students && !f->outsider; k++)
			if (t->students[k]->phone && t->students[k]->n_guardians)
				f->outsider = t->students[k];
	}
	if (!f->outsider)
		die("generated directory", "no student on another team of the same relay");
	/* Monday 2026-11-23 15:00 UTC (TZ=UTC): outside quiet hours for the whole run. */
	f->at = (int64_t)1795446000 * 1000;
}

static void fixture_close(struct fixture *f)
{
	talloc_free(f->ctx);
	remove_dir(f->dir);
}

/* Route one message; returns the deliveries the transport got for it. */
static unsigned inbound(struct fixture *f, const struct dir_person *from, const char *text)
{
	struct router_inbound in = {0};

	in.at = f->at;
	in.sent_at = f->at - 2000;
	in.relay = TEAM_RELAY;
	in.modem = "modem0";
	in.sender = from->phone;
	in.text = text;
	in.parts = 1;
	in.complete = true;
	f->at += 250;
	current_deliveries = 0;
	if (router_inbound(f->r, &in) <= 0)
		die("router_inbound", store_errmsg(f->s));
	if (current_log)
		current_log->text_bytes += strlen(text);
	return current_deliveries;
}

static unsigned broadcast(struct fixture *f)
{
	return inbound(f, f->coach_a,
		       "#soccer Practice moves to the north field today, bring water and cleats.");
}

/* One message of the mix, by its place in a cycle of six. */
static unsigned mix(struct fixture *f)
{
	unsigned long i = f->seq++;
	const struct dir_person *student = f->soccer->students[(i / 6) % 40];
	char text[160];

	switch (i % 6) {
	case 0: /* a student writes the coaches; guardians are copied */
		return inbound(f, student, "Coach, I will be late to practice, my bus is slow.");
	case 1: /* the coach answers, unaddressed: the thread goes back to that student */
		return inbound(f, f->coach_a, "Thanks for letting me know, see you at the field.");
	case 2: /* a guardian writes the coaches */
		return inbound(f, student->guardians[0],
			       "Hi coach, we have a dentist appointment and will miss practice.");
	case 3: /* a coach writes one player: guardians and the athletic director copied */
		snprintf(text, sizeof(text), "@%s Great hustle in the game, keep it up.",
			 student->handle);
		return inbound(f, f->coach_b, text);
	case 4: /* blocked by the router: no such team; the coach gets a reply */
		return inbound(f, f->coach_a, "#nosuchteam Practice moved to four.");
	default: /* blocked by policy: a player of another team; the coach gets a reply */
		snprintf(text, sizeof(text), "@%s Good luck this weekend.", f->outsider->handle);
		return inbound(f, f->coach_a, text);
	}
}

static void log_add(struct msg_log *l, unsigned deliveries)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 1024;
		l->deliveries = realloc(l->deliveries, l->cap * sizeof(*l->deliveries));
		if (!l->deliveries)
			die("realloc", NULL);
	}
	l->deliveries[l->n++] = deliveries;
	l->total += deliveries;
}

/* The limit: the durable part alone, on its own file with the same schema (indexes, the
 * delivery_state trigger), pragmas and directory. Per message the router handled, one
 * transaction with one message, one verdict, and as many deliveries, each with its first
 * event, as the router recorded for it (and the "waiting" event when the modem is down);
 * the columns the router fills, bodies of the same mean length, plain cached statements. */
struct limit {
	struct fixture f;
	sqlite3 *db;
	sqlite3_stmt *msg, *ver, *del, *ev;
	char *body, *text;
	int64_t n_persons, at;
	double elapsed;
};

static void prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
		die("prepare", sqlite3_errmsg(db));
}

static void step(sqlite3 *db, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		die("insert", sqlite3_errmsg(db));
	sqlite3_reset(st);
}

static void limit_open(struct limit *lim, const char *base, const struct msg_log *l)
{
	size_t body_len = l->total ? l->body_bytes / l->total : 100;
	size_t text_len = l->n ? l->text_bytes / l->n : 60;
	struct store_person *p;
	size_t n;

	memset(lim, 0, sizeof(*lim));
	fixture_open(&lim->f, base, false);
	lim->db = store_db(lim->f.s);
	lim->body = talloc_zero_size(lim->f.ctx, body_len + 1);
	lim->text = talloc_zero_size(lim->f.ctx, text_len + 1);
	memset(lim->body, 'b', body_len);
	memset(lim->text, 't', text_len);
	if (store_persons_list(lim->f.s, lim->f.ctx, &p, &n) < 0 || !n)
		die("store_persons_list", store_errmsg(lim->f.s));
	lim->n_persons = (int64_t)n;
	lim->at = (int64_t)1795446000 * 1000;
	prepare(lim->db,
		"INSERT INTO messages(at, relay, modem, sender_number, sender_id, text, parts,"
		" complete, sent_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, 1, ?7)",
		&lim->msg);
	prepare(lim->db,
		"INSERT INTO verdicts(at, message_id, relay, sender_id, team_id, kind, action,"
		" rules, reason, body) VALUES (?1, ?2, ?3, ?4, 1, 'relay', 'deliver',"
		" 'whole-team,oversight,attribution', ?5, ?6)",
		&lim->ver);
	prepare(lim->db,
		"INSERT INTO deliveries(at, verdict_id, message_id, relay, recipient_id,"
		" recipient_number, why, body, notice) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
		" 'addressed', ?7, 0)",
		&lim->del);
	prepare(lim->db, "INSERT INTO delivery_events(delivery_id, at, status) VALUES (?1, ?2, ?3)",
		&lim->ev);
}

/* Replay messages [from, l->n) of the log; adds to lim->elapsed. */
static void limit_run(struct limit *lim, const struct msg_log *l, size_t from)
{
	sqlite3 *db = lim->db;
	double t0 = now_s();

	for (size_t i = from; i < l->n; i++, lim->at += 250) {
		int64_t mid, vid, at = lim->at, sender = 1 + (int64_t)i % lim->n_persons;

		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
			die("begin", sqlite3_errmsg(db));
		sqlite3_bind_int64(lim->msg, 1, at);
		sqlite3_bind_text(lim->msg, 2, TEAM_RELAY, -1, SQLITE_STATIC);
		sqlite3_bind_text(lim->msg, 3, "modem0", -1, SQLITE_STATIC);
		sqlite3_bind_text(lim->msg, 4, "+15551000003", -1, SQLITE_STATIC);
		sqlite3_bind_int64(lim->msg, 5, sender);
		sqlite3_bind_text(lim->msg, 6, lim->text, -1, SQLITE_STATIC);
		sqlite3_bind_int64(lim->msg, 7, at - 2000);
		step(db, lim->msg);
		mid = sqlite3_last_insert_rowid(db);
		sqlite3_bind_int64(lim->ver, 1, at);
		sqlite3_bind_int64(lim->ver, 2, mid);
		sqlite3_bind_text(lim->ver, 3, TEAM_RELAY, -1, SQLITE_STATIC);
		sqlite3_bind_int64(lim->ver, 4, sender);
		sqlite3_bind_text(lim->ver, 5, "whole team Soccer (40 students)", -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(lim->ver, 6, lim->text, -1, SQLITE_STATIC);
		step(db, lim->ver);
		vid = sqlite3_last_insert_rowid(db);
		for (unsigned k = 0; k < l->deliveries[i]; k++) {
			int64_t did;

			sqlite3_bind_int64(lim->del, 1, at);
			sqlite3_bind_int64(lim->del, 2, vid);
			sqlite3_bind_int64(lim->del, 3, mid);
			sqlite3_bind_text(lim->del, 4, TEAM_RELAY, -1, SQLITE_STATIC);
			sqlite3_bind_int64(lim->del, 5, 1 + (int64_t)k % lim->n_persons);
			sqlite3_bind_text(lim->del, 6, "+15551000042", -1, SQLITE_STATIC);
			sqlite3_bind_text(lim->del, 7, lim->body, -1, SQLITE_STATIC);
			step(db, lim->del);
			did = sqlite3_last_insert_rowid(db);
			sqlite3_bind_int64(lim->ev, 1, did);
			sqlite3_bind_int64(lim->ev, 2, at);
			sqlite3_bind_text(lim->ev, 3, "queued", -1, SQLITE_STATIC);
			step(db, lim->ev);
			if (!modem_down)
				continue;
			sqlite3_bind_int64(lim->ev, 1, did);
			sqlite3_bind_int64(lim->ev, 2, at);
			sqlite3_bind_text(lim->ev, 3, "waiting", -1, SQLITE_STATIC);
			step(db, lim->ev);
		}
		if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			die("commit", sqlite3_errmsg(db));
	}
	lim->elapsed += now_s() - t0;
}

static void limit_close(struct limit *lim)
{
	sqlite3_finalize(lim->msg);
	sqlite3_finalize(lim->ver);
	sqlite3_finalize(lim->del);
	sqlite3_finalize(lim->ev);
	fixture_close(&lim->f);
}

/* One row of the core-path table. After a warm-up, the relay and its limit run in
 * alternating slices of SLICE_S, the limit replaying the slice the relay just did, so
 * that both see the same disk: a shared machine's fsync latency drifts by a factor of
 * two within a minute. Then the records are checked against what the transport saw. */
#define SLICE_S 0.25

static void core_figure(const char *label, const char *store_label, const char *base,
			unsigned (*workload)(struct fixture *), bool down)
{
	struct fixture f;
	struct limit lim;
	struct msg_log l = {0};
	struct rec_counts c;
	unsigned long warm = 0;
	double elapsed = 0, t0, rate, limit, poll_ms;
	bool lim_open = false;
	unsigned polled;

	modem_down = down;
	fixture_open(&f, base, true);
	/* Warm-up: the first broadcast carries everyone's recording notice; one cycle of
	 * the mix starts the threads. */
	warm += broadcast(&f);
	for (unsigned i = 0; i < 6; i++)
		warm += workload(&f);
	f.seq = 0;

	do {
		size_t from = l.n;

		current_log = &l;
		t0 = now_s();
		do {
			for (unsigned i = 0; i < 6; i++)
				log_add(&l, workload(&f));
		} while (now_s() - t0 < SLICE_S);
		elapsed += now_s() - t0;
		current_log = NULL;
		if (!lim_open) {
			limit_open(&lim, base, &l);
			lim_open = true;
		}
		limit_run(&lim, &l, from);
	} while (elapsed < seconds_per_figure);
	rate = (double)l.n / elapsed;
	limit = (double)l.n / lim.elapsed;
	limit_close(&lim);

	/* Every delivery the transport got is in the records, and nothing else. */
	if (rec_counts(f.s, &c) < 0 || (unsigned long)c.deliveries != warm + l.total ||
	    (unsigned long)c.messages_in != l.n + 7)
		die("records", "deliveries or messages recorded differ from those routed");

	/* The daemon's 500 ms poll re-reads queued deliveries; here every one is still
	 * queued (no modem reports them sent), the worst case of a long modem outage. */
	t0 = now_s();
	polled = router_poll(f.r, f.at);
	poll_ms = (now_s() - t0) * 1000;

	printf("| %s | %s | %zu | %.1f | %.0f | %.0f | %.0f | %.3f |\n", label, store_label, l.n,
	       (double)l.total / (double)l.n, rate, (double)l.total / elapsed, limit, rate / limit);
	fprintf(stderr,
		"  (%s, %s: router_poll over %" PRId64 " queued deliveries: %.1f ms, %u "
		"sent again)\n",
		label, store_label, c.deliveries, poll_ms, polled);
	fflush(stdout);
	free(l.deliveries);
	fixture_close(&f);
	modem_down = false;
}

/* ---- Part 2: chaperoned's memory ------------------------------------------------------ */

/* A free TCP port on localhost for chaperoned's VTY (its default, 4275, may be taken by
 * a daemon someone else is running on this machine). */
static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		die("free port", strerror(errno));
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static long status_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	long v = -1;
	size_t n = strlen(field);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

struct daemon_figure {
	double ready_s;
	long rss_kib, hwm_kib;
};

/* Start chaperoned on `db` with no modems, wait for "chaperoned ready" on its stderr,
 * let one poll pass, read its memory, stop it with SIGTERM. */
static void run_daemon(const char *dir, const char *db, struct daemon_figure *out)
{
	char cfg[PATH_MAX + 32], buf[65536];
	size_t len = 0;
	int pipefd[2];
	pid_t pid;
	FILE *f;
	double t0, deadline;
	int status;
	bool ready = false;

	snprintf(cfg, sizeof(cfg), "%s/chaperoned.cfg", dir);
	if (!(f = fopen(cfg, "w")))
		die(cfg, strerror(errno));
	fprintf(f,
		"password bench-console\nenable password bench-enable\n"
		"line vty\n bind 127.0.0.1 %d\n"
		"chaperone\n district Lakeview Public Schools\n database %s\n timezone UTC\n"
		"policy\n guardians-on-team-messages yes\n oversight copy\n notice yes\n",
		free_port(), db);
	fclose(f);
	if (pipe(pipefd) < 0)
		die("pipe", strerror(errno));
	t0 = now_s();
	pid = fork();
	if (pid < 0)
		die("fork", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		execl(chaperoned_path, "chaperoned", "-c", cfg, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	deadline = t0 + READY_TIMEOUT_S;
	while (!ready && now_s() < deadline) {
		struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 200) <= 0)
			continue;
		n = read(pipefd[0], buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = 0;
		ready = strstr(buf, "chaperoned ready\n") != NULL;
		if (len > sizeof(buf) / 2) { /* keep the tail, where the ready line will be */
			memmove(buf, buf + len - 256, 256);
			len = 256;
		}
	}
	out->ready_s = now_s() - t0;
	if (!ready) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fprintf(stderr, "%s\n", buf);
		die("chaperoned did not become ready", chaperoned_path);
	}
	usleep(1000 * 1000); /* one 500 ms poll cycle (router_poll) has run */
	out->rss_kib = status_kib(pid, "VmRSS");
	out->hwm_kib = status_kib(pid, "VmHWM");
	kill(pid, SIGTERM);
	/* Drain its stderr until it exits, so that it never blocks on a full pipe. */
	while (read(pipefd[0], buf, sizeof(buf)) > 0)
		;
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		die("chaperoned", "did not exit cleanly on SIGTERM");
}

static void memory_figures(void)
{
	void *ctx = talloc_new(NULL);
	char dir[PATH_MAX], db[PATH_MAX + 32], empty_dir[PATH_MAX], empty_db[PATH_MAX + 32];
	struct daemon_figure big, empty;
	struct store *s;
	unsigned links, roles[DIR_ADMIN + 1] = {0};
	double t0, gen_s;
	struct directory *d;

	make_tmpdir(dir, sizeof(dir), disk_base);
	snprintf(db, sizeof(db), "%s/chaperone.db", dir);
	s = open_store(ctx, db);
	t0 = now_s();
	gen_large(s, LARGE_PERSONS, LARGE_TEAMS, LARGE_RELAYS, &links);
	gen_s = now_s() - t0;
	d = store_directory_load(s, ctx);
	if (!d || d->n_persons != LARGE_PERSONS || d->n_teams != LARGE_TEAMS)
		die("generated directory", "not the size asked for");
	for (unsigned i = 0; i < d->n_persons; i++)
		roles[d->persons[i]->role]++;
	fprintf(stderr,
		"  (generated: %u persons (%u students, %u guardians, %u staff, %u "
		"administrators), %u teams, %u relays, %u links, written through directory_store "
		"in %.1f s)\n",
		d->n_persons, roles[DIR_STUDENT], roles[DIR_GUARDIAN], roles[DIR_STAFF],
		roles[DIR_ADMIN], d->n_teams, d->n_relays, links, gen_s);
	store_close(s);

	make_tmpdir(empty_dir, sizeof(empty_dir), disk_base);
	snprintf(empty_db, sizeof(empty_db), "%s/chaperone.db", empty_dir);
	store_close(open_store(ctx, empty_db));

	run_daemon(empty_dir, empty_db, &empty);
	run_daemon(dir, db, &big);

	printf("| empty | 0 | 0 | %.1f | %.2f | %.1f | %.1f |\n", file_mib(empty_db), empty.ready_s,
	       empty.rss_kib / 1024.0, empty.hwm_kib / 1024.0);
	printf("| generated | %u | %u | %.1f | %.2f | %.1f | %.1f |\n", d->n_persons, d->n_teams,
	       file_mib(db), big.ready_s, big.rss_kib / 1024.0, big.hwm_kib / 1024.0);
	printf("\nDifference: VmRSS %.1f MiB, %.0f bytes per person; VmHWM %.1f MiB, %.0f bytes "
	       "per person.\n",
	       (big.rss_kib - empty.rss_kib) / 1024.0,
	       (big.rss_kib - empty.rss_kib) * 1024.0 / d->n_persons,
	       (big.hwm_kib - empty.hwm_kib) / 1024.0,
	       (big.hwm_kib - empty.hwm_kib) * 1024.0 / d->n_persons);
	remove_dir(dir);
	remove_dir(empty_dir);
	talloc_free(ctx);
}

/* ---- main ----------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	char tmpfs_base[] = "/dev/shm";
	struct stat st;

	/* Quiet hours and the thread windows are local times: make them the same
	 * everywhere. */
	setenv("TZ", "UTC", 1);
	tzset();
	if (argc > 1) {
		snprintf(chaperoned_path, sizeof(chaperoned_path), "%s/bin/chaperoned", argv[1]);
		snprintf(disk_base, sizeof(disk_base), "%s", argv[1]);
	} else {
		/* The build tree this benchmark was built in: where `./dev bench` puts it. */
		char self[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		if (n <= 0)
			die("readlink /proc/self/exe", strerror(errno));
		self[n] = 0;
		*strrchr(self, '/') = 0;
		snprintf(chaperoned_path, sizeof(chaperoned_path), "%s", CHAPERONED_PATH);
		snprintf(disk_base, sizeof(disk_base), "%s", self);
	}
	if (argc > 2)
		seconds_per_figure = atof(argv[2]);
	if (access(chaperoned_path, X_OK) < 0)
		die(chaperoned_path, "not found: build the chaperoned target, or pass BUILD_DIR");

	printf("Core path: router_inbound() → verdict → deliveries, one durable commit per "
	       "message (WAL, synchronous=FULL), no modems; %g s per figure\n\n",
	       seconds_per_figure);
	printf("| workload | store | messages | deliveries/msg | msg/s | deliveries/s | "
	       "limit msg/s | ratio |\n");
	printf("|---|---|---:|---:|---:|---:|---:|---:|\n");
	fflush(stdout);
	core_figure("broadcast #soccer", "disk", disk_base, broadcast, false);
	core_figure("mix", "disk", disk_base, mix, false);
	core_figure("broadcast #soccer, modem down", "disk", disk_base, broadcast, true);
	if (stat(tmpfs_base, &st) == 0 && S_ISDIR(st.st_mode) && access(tmpfs_base, W_OK) == 0) {
		core_figure("broadcast #soccer", "tmpfs", tmpfs_base, broadcast, false);
		core_figure("mix", "tmpfs", tmpfs_base, mix, false);
		core_figure("broadcast #soccer, modem down", "tmpfs", tmpfs_base, broadcast, true);
	}

	printf("\nchaperoned with no modems, VmRSS once ready (after one poll)\n\n");
	printf("| directory | persons | teams | database MiB | start → ready s | VmRSS MiB | "
	       "VmHWM MiB |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|\n");
	fflush(stdout);
	memory_figures();
	return 0;
}
