/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* End-to-end harness for the relay: a whole Chaperone installation in a temporary
 * directory — a database imported from a roster fixture with `chaperone roster import`,
 * modemsim with two modems (+15550100 = modem0, +15550101 = modem1) and short latencies
 * (a test may choose longer ones),
 * and `chaperoned` started as a real process on a config written from a struct of
 * policy settings. Phones text the relay numbers through modemsim's control socket;
 * what they received is read back from their inboxes.
 *
 * Every wait is bounded. A failing wait prints the tail of chaperoned's log before it
 * fails the test, because the daemon's log is what tells why a message did not arrive.
 * Children get PR_SET_PDEATHSIG, so a crashed test leaves no daemon behind. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include <cmocka.h> /* RELAY_FAIL and friends fail the running test */

#include "tests/e2e/harness.h"

#define RELAY_SOCCER   "+15550100" /* modem0: serves Soccer (and Track in relay_two_teams) */
#define RELAY_ROBOTICS "+15550101" /* modem1: serves Robotics */
#define RELAY_BUILDING "+15550102" /* modem2, when relay_policy.modems is 3: a school */
/* The console's passwords in the configs the harness writes. */
#define RELAY_VTY_LOGIN	 "lakeview-console"
#define RELAY_VTY_ENABLE "lakeview-enable"

/* Where the sources are (fixtures); set by relay_harness_init() from argv[2]. */
extern const char *relay_source_dir;

/* argv[1]: the build directory, argv[2]: the source directory. */
void relay_harness_init(int argc, char **argv);

/* The `policy` node of the config, and the district's time zone. */
struct relay_policy {
	bool guardians_on_team_messages;
	const char *quiet_hours; /* "HH:MM HH:MM", or NULL for `no quiet-hours` */
	const char *oversight;	 /* "copy", "digest", "off" */
	bool contact_screen;
	bool notice;
	const char *timezone; /* "UTC" */
	unsigned modems;      /* 2, or 3 for a building's number (RELAY_BUILDING) */
	/* chaperoned's wall clock is libfaketime's, moved with relay_clock() (timers keep
	 * real monotonic time): quiet hours, expiries, digests, crisis windows. */
	bool fake_clock;
	const char *extra_config; /* lines added to the config's top level, or NULL */
	/* modemsim's latencies: how long a submit (AT+CMGS) takes, and the network's
	 * delivery and status-report delay. 0: the harness's short ones (20 ms each). */
	unsigned submit_ms, deliver_ms;
	/* modemsim's --model: NULL for the generic modem (SMS only); "EC25" for modems that
	 * carry calls. */
	const char *model;
};
struct relay_env;
/* Where chaperoned's clock is (fake_clock): libfaketime's FAKETIME syntax, "+73h" (that
 * far ahead of real time) or "@2026-12-07 22:00:00" (UTC, then running). */
void relay_clock(struct relay_env *e, const char *spec);
/* What the brief's manual run uses: no guardians on team messages, no quiet hours,
 * oversight copy, contact screen and notice on, UTC, two modems. */
void relay_policy_defaults(struct relay_policy *p);
/* A quiet-hours window, "HH:MM HH:MM" in UTC, that holds the current time with two hours
 * to spare on either side (a test never sees it end). */
void relay_quiet_window_now(char *buf, size_t cap);

#define RELAY_MAX_PHONES 128

struct relay_env {
	char dir[64]; /* temporary directory: db, config, log, sim/ */
	char db[128], cfg[128], log[128];
	struct sim *sim;
	pid_t pid; /* chaperoned, 0 when not running */
	int vty_port;
	unsigned n_sent; /* messages phones sent to a relay number */
	unsigned modems; /* 2 or 3 */
	char clock[128]; /* libfaketime's timestamp file, "" when the clock is real */
	/* modemsim's latencies. */
	unsigned submit_ms, deliver_ms;
	char model[16]; /* modemsim's --model, "" for its default */
	/* Where the running chaperoned's log starts in `log` (earlier runs' come first). */
	long log_mark;
	/* Every personal number in the directory (E.164), for the masking check. */
	char phones[RELAY_MAX_PHONES][24];
	unsigned n_phones;
};

/* Temporary directory, roster import of `fixture` (relative to the source directory),
 * modemsim, config. chaperoned is not started yet, so a test may prepare the database
 * first. Fails the test when any step fails. */
struct relay_env *relay_prepare(const char *fixture, const struct relay_policy *p);
/* Start chaperoned and wait until it says it is ready and both modems are ready. Also
 * starts it again after relay_kill(), on the same database and modems. */
void relay_launch(struct relay_env *e);
/* Both. */
struct relay_env *relay_start(const char *fixture, const struct relay_policy *p);
/* Send chaperoned `sig` (SIGKILL, SIGTERM: a crash, a stop) and reap it, whatever its exit
 * status; after SIGTERM it gets STOP_TIMEOUT_MS to exit, then SIGKILL. Returns its wait
 * status (-1 when it was not running). relay_launch() starts it again. */
int relay_kill(struct relay_env *e, int sig);
/* relay_launch() that gives up waiting after timeout_ms without failing: false then, with
 * chaperoned left running (a test may look at why, and relay_wait_ready() again). Fails
 * the test when chaperoned exits. */
bool relay_launch_within(struct relay_env *e, int timeout_ms);
/* Wait until the running chaperoned has said it is ready and its modems are; false after
 * timeout_ms. Fails the test when chaperoned exits. */
bool relay_wait_ready(struct relay_env *e, int timeout_ms);
/* SIGTERM chaperoned, wait for it to exit and assert it exited 0 (ASan's leak check
 * included); stop modemsim, remove the directory, free. NULL is fine. */
void relay_stop(struct relay_env *e);

/* cmocka fixtures for a group of tests over one installation. A group's setup starts it
 * with relay_group_begin() (relay_start(), remembered as the group's); relay_group_end()
 * is the group's teardown, relay_test_setup() and relay_test_teardown() each test's:
 * every inbox emptied before, masking and attribution checked over every inbox after. */
struct relay_env *relay_group_begin(const char *fixture, const struct relay_policy *p);
int relay_group_end(void **state);
int relay_test_setup(void **state);
int relay_test_teardown(void **state);

/* Print the tail of chaperoned's log (stderr) to stderr. */
void relay_dump(const struct relay_env *e);

/* Fail the test with a message, after printing chaperoned's log tail. */
#define RELAY_FAIL(e, ...)                                                                         \
	do {                                                                                       \
		relay_dump(e);                                                                     \
		fail_msg(__VA_ARGS__);                                                             \
	} while (0)
#define RELAY_CHECK(e, cond)                                                                       \
	do {                                                                                       \
		if (!(cond))                                                                       \
			RELAY_FAIL(e, "check failed: %s", #cond);                                  \
	} while (0)
/* `text` (a message) contains `needle`. */
#define RELAY_HAS(e, text, needle)                                                                 \
	do {                                                                                       \
		const char *t_ = (text);                                                           \
		if (!t_ || !strstr(t_, (needle)))                                                  \
			RELAY_FAIL(e, "expected \"%s\" in \"%s\"", (needle), t_ ? t_ : "(null)");  \
	} while (0)

/* ---- Phones ---- */

/* A phone texts a relay number (RELAY_SOCCER, RELAY_ROBOTICS). */
void relay_text(struct relay_env *e, const char *from, const char *relay, const char *text);

/* How long a test waits for a message it expects: generous, since only a failing test
 * waits it out (ASan and a busy machine slow the daemon down). */
#define RELAY_WAIT_MS 10000

#define RELAY_INBOX_MAX 256
struct relay_inbox {
	unsigned n;
	char *text[RELAY_INBOX_MAX];
	char *from[RELAY_INBOX_MAX];
};
void relay_inbox_free(struct relay_inbox *in);
/* The phone's complete messages now (out may be NULL; a message whose parts have not all
 * arrived is left out); returns their count. */
unsigned relay_inbox(struct relay_env *e, const char *phone, struct relay_inbox *out);
/* Wait until the phone's inbox holds at least n messages; fails the test after
 * timeout_ms. Returns the count (out may be NULL). */
unsigned relay_wait_inbox(struct relay_env *e, const char *phone, unsigned n, int timeout_ms,
			  struct relay_inbox *out);
/* Wait until one of the phone's messages contains `needle`; returns a copy of that
 * message (caller frees). Fails the test after timeout_ms, listing what the phone got. */
char *relay_expect(struct relay_env *e, const char *phone, const char *needle, int timeout_ms);
/* relay_expect() for each phone listed (NULL-terminated), the copies freed. */
void relay_expect_all_(struct relay_env *e, const char *needle, int timeout_ms,
		       const char *const *phones);
#define relay_expect_all(e, needle, ...)                                                           \
	relay_expect_all_(e, needle, RELAY_WAIT_MS, (const char *const[]){__VA_ARGS__, NULL})
/* The phone got exactly n messages (call after relay_settle()). */
void relay_assert_count(struct relay_env *e, const char *phone, unsigned n);
/* Fail if the phone's inbox is not empty (not even a part) at any time within ms. */
void relay_assert_nothing(struct relay_env *e, const char *phone, int ms);
/* Forget every phone's messages. */
void relay_clear(struct relay_env *e);
/* The phone's inbox as modemsim's `inbox` answers it: every message, complete or not, with
 * "parts", "parts_received", "complete" and the "pdus" the phone got (caller puts it). */
struct json_object *relay_inbox_json(struct relay_env *e, const char *phone);

/* Wait until chaperoned has recorded every message phones sent and has nothing left
 * queued or waiting for a modem, then long enough for the network to deliver what was
 * submitted. Fails the test after 15 s. */
void relay_settle(struct relay_env *e);
/* After relay_settle(): no phone but those listed (NULL-terminated) got anything. */
void relay_assert_only_(struct relay_env *e, const char *const *allowed);
#define relay_assert_only(e, ...) relay_assert_only_(e, (const char *const[]){__VA_ARGS__, NULL})
/* After relay_settle(): no phone got anything. */
#define relay_assert_none(e) relay_assert_only_(e, (const char *const[]){NULL})
/* Masking over every inbox: no message carries, in its body or as its sender, the
 * personal number of anyone in the directory but its recipient. */
void relay_assert_masked(struct relay_env *e);

/* Attribution over every inbox: each message is a relayed one whose body (after a
 * recording notice) starts with "[Team] " and a sender, a crisis alert ("CRISIS [Team]
 * "), or a reply from the relay itself (RELAY_REPLY, or the outcome of a held message). */
void relay_assert_attributed(struct relay_env *e);
/* What every relay test ends with, whatever it did: wait until the relay is idle, assert
 * masking and attribution over every phone's inbox, forget the inboxes. */
void relay_test_finish(struct relay_env *e);

/* ---- Tools ---- */

/* Run `chaperone ARGS...` (NULL-terminated) with CHAPERONE_DB set to the env's
 * database; *out (if out) gets stdout and stderr together (caller frees). Returns the
 * exit status (-1 when it did not exit normally within 30 s). */
int relay_cli(struct relay_env *e, char **out, const char *arg, ...) __attribute__((sentinel));
/* Commands (one per line) at chaperoned's telnet VTY, after logging in and `enable`;
 * returns what it printed (caller frees), NULL when it could not connect or log in. */
char *relay_vty(struct relay_env *e, const char *commands);

/* Read-only queries on the database (printf format, through sqlite3_mprintf). */
int64_t relay_sql_int(struct relay_env *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The first column of the first row, or NULL when no row (caller frees). */
char *relay_sql_str(struct relay_env *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Poll until the query returns `want`; fails the test after timeout_ms. */
void relay_wait_sql_int(struct relay_env *e, int64_t want, int timeout_ms, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Write to the database (for what no command may do, such as dating an exception in the
 * past). Fails the test on error. */
void relay_sql_exec(struct relay_env *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Does `text`, without a leading recording-notice line, start with `prefix`? */
bool relay_body_starts(const char *text, const char *prefix);

/* ---- The sample district (tests/fixtures/district/README.md) ---- */

#define DANA   "+16175550101" /* Coach Dana Lee, Soccer head coach */
#define MARCUS "+16175550102" /* Coach Marcus Bell, Soccer assistant */
#define PRIYA  "+16175550103" /* Advisor Priya Shah, Robotics */
#define ALAN   "+16175550104" /* Alan Turner, teacher (no relay team) */
#define ROSA   "+16175550201" /* Athletic Director Rosa Delgado, oversees Soccer */
#define HELEN  "+16175550202" /* Principal Helen Park, oversees Robotics */
#define OMAR   "+16175550203" /* Counselor Omar Haddad */
#define JAMIE  "+16175550301" /* Soccer; guardians Maria, Luis */
#define ALEX   "+16175550302" /* Soccer (injured); guardian Grace */
#define SAM    "+16175550303" /* Soccer; his only guardian has no phone */
#define TAYLOR "+16175550304" /* Soccer; guardian Hoa */
#define JORDAN "+16175550305" /* Soccer; guardians Kevin, Lisa */
#define CASEY  "+16175550306" /* Soccer (injured); guardian Pat */
#define RILEY  "+16175550307" /* Soccer and Robotics; guardians Wei, Lin */
#define MORGAN "+16175550308" /* Soccer; guardian Anita */
#define AVERY  "+16175550309" /* Robotics (officers); guardian Denise */
#define QUINN  "+16175550310" /* Robotics; guardian Chris */
#define DREW   "+16175550311" /* Robotics; guardians Sean, Mary */
#define EMMA   "+16175550312" /* Robotics (officers); guardian Sofia */
#define MARIA  "+16175550401"
#define LUIS   "+16175550402"
#define GRACE  "+16175550403"
#define HOA    "+16175550405"
#define KEVIN  "+16175550406"
#define LISA   "+16175550407"
#define PAT    "+16175550408"
#define WEI    "+16175550409"
#define LIN    "+16175550410"
#define ANITA  "+16175550411"
#define DENISE "+16175550412"
#define CHRIS  "+16175550413"
#define SEAN   "+16175550414"
#define MARY   "+16175550415"
#define SOFIA  "+16175550416"
/* tests/fixtures/relay_two_teams adds Track on +15550100: Coach Tom Reyes and Marcus Bell,
 * students Jamie and Taylor (Taylor in its subgroup "injured"). */
#define TOM "+16175550105"

#define SOCCER_STUDENTS	  JAMIE, ALEX, SAM, TAYLOR, JORDAN, CASEY, RILEY, MORGAN
#define ROBOTICS_STUDENTS RILEY, AVERY, QUINN, DREW, EMMA
/* Soccer students' guardians who have a phone (Sam's has none). */
#define SOCCER_GUARDIANS MARIA, LUIS, GRACE, HOA, KEVIN, LISA, PAT, WEI, LIN, ANITA

/* Replies from the relay itself start with this. */
#define RELAY_REPLY "Lakeview Public Schools relay: "
#define NOTICE	    "Messages through this number are recorded by Lakeview Public Schools."
