/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* What the district's IT person relies on without watching, end to end: a real
 * chaperoned on modemsim.
 *
 * - A modem that vanishes (its USB port gone) for longer than `alert modem-down` is
 *   texted about to the it-contact and the admin-contact, from a modem that is up; when
 *   it is back, so is that; each alert is recorded as a delivery like every text.
 * - The figures for machines: CTRL GETs (modems, counters, the archive's size) over the
 *   IPA-framed CTRL protocol on localhost, a TRAP when a modem's state changes, and
 *   StatsD datagrams on a UDP socket the test opens.
 * - The archive's disk above `alert disk-full`: texted once to the contacts, recorded;
 *   CTRL's archive-disk-free.
 * - Anchors: `chaperone records anchor` is recorded and CTRL's last-anchor says when; on a
 *   clock moved 36 days on, no anchor is texted about, once, then a day later again.
 * - A crisis conversation no administrator acknowledged (ACK @name) for 15 minutes, on a
 *   moved clock and across restarts: texted once to the contacts and the administrators
 *   it alerted, without the student's name.
 *
 *   test_relay_ops BUILD_DIR SOURCE_DIR */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <setjmp.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "tests/e2e/harness.h"
#include "tests/e2e/relay_harness.h"

#define IT    "+16175550999" /* the district's IT person: not in the directory */
#define ADMIN "+16175550998" /* an administrator's admin-contact: not in the directory */

static struct relay_env *env;
static int statsd_fd = -1;
static unsigned ctrl_port;
static char extra[256];

/* A socket on 127.0.0.1 with a port the kernel chose: its port (the fd in *fd). */
static unsigned local_port(int type, int *fd)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);

	*fd = socket(AF_INET, type, 0);
	assert_true(*fd >= 0);
	assert_int_equal(bind(*fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(*fd, (struct sockaddr *)&a, &len), 0);
	return ntohs(a.sin_port);
}

static int group_start(void **state)
{
	struct relay_policy p;
	unsigned statsd_port;
	int tcp;

	(void)state;
	statsd_port = local_port(SOCK_DGRAM, &statsd_fd);
	ctrl_port = local_port(SOCK_STREAM, &tcp);
	close(tcp); /* free for chaperoned to take */
	snprintf(extra, sizeof(extra),
		 "chaperone\n it-contact " IT "\n admin-contact " ADMIN "\n alert modem-down 2\n"
		 " ctrl-port %u\n"
		 " statsd 127.0.0.1 %u 1\n alert disk-full 99\ntimer relay X9 1\n",
		 ctrl_port, statsd_port);
	relay_policy_defaults(&p);
	p.extra_config = extra;
	env = relay_group_begin("tests/fixtures/district", &p);
	return 0;
}

/* ---- CTRL: "GET <id> <var>" in an IPA frame (length, 0xEE, 0x00 CTRL) ---- */

static int ctrl_connect(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)ctrl_port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	RELAY_CHECK(env, fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	return fd;
}

static void ctrl_send(int fd, const char *text)
{
	size_t n = strlen(text);
	unsigned char buf[512] = {(unsigned char)((n + 1) >> 8), (unsigned char)(n + 1), 0xee,
				  0x00};

	memcpy(buf + 4, text, n);
	RELAY_CHECK(env, write(fd, buf, n + 4) == (ssize_t)(n + 4));
}

/* The next CTRL message within timeout_ms, into out (NUL-terminated); false if none. */
static bool ctrl_read(int fd, char *out, size_t cap, int timeout_ms)
{
	unsigned char hdr[4];
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	size_t n;

	if (poll(&pfd, 1, timeout_ms) != 1 || read(fd, hdr, 4) != 4)
		return false;
	n = ((size_t)hdr[0] << 8 | hdr[1]) - 1;
	RELAY_CHECK(env, hdr[2] == 0xee && hdr[3] == 0x00 && n < cap);
	for (size_t got = 0; got < n;) {
		ssize_t k = read(fd, out + got, n - got);

		RELAY_CHECK(env, k > 0);
		got += (size_t)k;
	}
	out[n] = '\0';
	return true;
}

static char *ctrl_get(int fd, const char *var)
{
	char req[128], *reply = calloc(1, 512);

	snprintf(req, sizeof(req), "GET 7 %s", var);
	ctrl_send(fd, req);
	/* TRAPs may come first. */
	while (ctrl_read(fd, reply, 512, 5000))
		if (!strncmp(reply, "GET_REPLY 7 ", 12) || !strncmp(reply, "ERROR 7 ", 8))
			return reply;
	RELAY_FAIL(env, "CTRL: no reply to GET %s", var);
	return NULL;
}

static void test_modem_down_alert(void **state)
{
	char *text;

	(void)state;
	/* modem1 (Robotics) vanishes for 6 s: the alert comes from modem0 after 2 s. */
	json_object_put(sim_ctl_ok(env->sim,
				   "{\"cmd\":\"fault\",\"modem\":\"modem1\",\"kind\":\"vanish\","
				   "\"ms\":6000}"));
	text = relay_expect(env, IT, "modem1 (" RELAY_ROBOTICS ") has not been ready for", 15000);
	RELAY_HAS(env, text, "none is lost");
	free(text);
	/* The admin-contact gets every alert the it-contact gets. */
	text =
	    relay_expect(env, ADMIN, "modem1 (" RELAY_ROBOTICS ") has not been ready for", 15000);
	free(text);
	text = relay_expect(env, IT, "modem1 (" RELAY_ROBOTICS ") is ready again after", 30000);
	free(text);
	text = relay_expect(env, ADMIN, "modem1 (" RELAY_ROBOTICS ") is ready again after", 30000);
	free(text);
	RELAY_CHECK(env, relay_sql_int(env,
				       "SELECT count(*) FROM deliveries WHERE why = 'alert' AND"
				       " recipient_number = '%s' AND relay = '%s'",
				       IT, RELAY_SOCCER) >= 1);
	/* Both recorded (the second may be recorded a moment after the phone has it). */
	relay_wait_sql_int(env, 2, 10000,
			   "SELECT count(*) FROM deliveries WHERE why = 'alert' AND"
			   " recipient_number = '%s'",
			   IT);
	relay_wait_sql_int(env, 2, 10000,
			   "SELECT count(*) FROM deliveries WHERE why = 'alert' AND"
			   " recipient_number = '%s'",
			   ADMIN);
	relay_wait_ready(env, 20000);
}

/* CTRL answers what an operator graphs; a text in moves its counter; StatsD gets them. */
static void test_ctrl_and_statsd(void **state)
{
	int fd = ctrl_connect();
	char *r, buf[2048];
	long long in_before, in_after;
	bool seen = false;
	long long end;

	(void)state;
	r = ctrl_get(fd, "modems-ready");
	RELAY_HAS(env, r, "GET_REPLY 7 modems-ready 2");
	free(r);
	r = ctrl_get(fd, "modems");
	RELAY_HAS(env, r, "modem0 ready,modem1 ready");
	free(r);
	r = ctrl_get(fd, "archive-bytes");
	RELAY_CHECK(env, atoll(r + strlen("GET_REPLY 7 archive-bytes ")) > 100000);
	free(r);
	r = ctrl_get(fd, "messages-in");
	in_before = atoll(r + strlen("GET_REPLY 7 messages-in "));
	free(r);
	relay_text(env, JAMIE, RELAY_SOCCER, "Running late to practice");
	relay_wait_inbox(env, DANA, 1, 10000, NULL);
	r = ctrl_get(fd, "messages-in");
	in_after = atoll(r + strlen("GET_REPLY 7 messages-in "));
	free(r);
	RELAY_CHECK(env, in_after == in_before + 1);
	/* Read-only: a SET is refused. */
	ctrl_send(fd, "SET 8 queue-depth 0");
	RELAY_CHECK(env, ctrl_read(fd, buf, sizeof(buf), 5000));
	RELAY_HAS(env, buf, "ERROR 8");
	/* A modem's state change is a TRAP. */
	json_object_put(sim_ctl_ok(env->sim,
				   "{\"cmd\":\"fault\",\"modem\":\"modem1\",\"kind\":\"vanish\","
				   "\"ms\":1000}"));
	while (!seen && ctrl_read(fd, buf, sizeof(buf), 10000))
		seen = !strncmp(buf, "TRAP 0 modem.modem1.state ", 26);
	RELAY_CHECK(env, seen);
	close(fd);
	relay_wait_ready(env, 20000);
	/* StatsD: the counters and the figures, within a few intervals of 1 s (what came
	 * before the modems were ready is dropped first). */
	while (recv(statsd_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	seen = false;
	end = now_ms() + 15000;
	while (!seen && now_ms() < end) {
		struct pollfd pfd = {.fd = statsd_fd, .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, 500) != 1)
			continue;
		n = recv(statsd_fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		seen = strstr(buf, "chaperoned.relay.0.modems.ready:2|g") != NULL;
		if (!seen && strstr(buf, "modems.ready"))
			print_message("statsd: %.200s\n", buf);
	}
	RELAY_CHECK(env, seen);
}

/* How many of the phone's messages contain needle. */
static unsigned inbox_with(const char *phone, const char *needle)
{
	struct relay_inbox in = {0};
	unsigned n = 0;

	relay_inbox(env, phone, &in);
	for (unsigned i = 0; i < in.n; i++)
		n += strstr(in.text[i], needle) != NULL;
	relay_inbox_free(&in);
	return n;
}

/* The archive's disk: nothing while it is below `alert disk-full` (99 %: no test machine's
 * disk is that full), one alert to each contact, recorded, once the setting is below what
 * is used (1 %: every disk is); CTRL says what is free. */
static void test_disk_full_alert(void **state)
{
	struct statvfs sv;
	char *r, *text;
	long long ctrl_free, fs_free;
	int fd;

	(void)state;
	/* Checked every second (X9): three checks. */
	usleep(3500 * 1000);
	RELAY_CHECK(env, inbox_with(IT, "archive's disk") == 0);
	RELAY_CHECK(env, relay_sql_int(env, "SELECT count(*) FROM deliveries WHERE why = 'alert'"
					    " AND body LIKE '%%archive''s disk%%'") == 0);
	r = relay_vty(env, "configure terminal\nchaperone\nalert disk-full 1\nend\n"
			   "show running-config\n");
	RELAY_HAS(env, r, " alert disk-full 1\n");
	free(r);
	text = relay_expect(env, IT, "The archive's disk is ", RELAY_WAIT_MS);
	RELAY_HAS(env, text, "% full (");
	RELAY_HAS(env, text, " free; alert disk-full 1)");
	free(text);
	text = relay_expect(env, ADMIN, "The archive's disk is ", RELAY_WAIT_MS);
	free(text);
	relay_wait_sql_int(env, 2, 10000,
			   "SELECT count(*) FROM deliveries WHERE why = 'alert' AND body LIKE"
			   " '%%The archive''s disk is %%' AND recipient_number IN ('%s', '%s')",
			   IT, ADMIN);
	/* Once, not at every check while it stays. */
	usleep(3500 * 1000);
	RELAY_CHECK(env, inbox_with(IT, "archive's disk") == 1);
	RELAY_CHECK(env, relay_sql_int(env, "SELECT count(*) FROM deliveries WHERE why = 'alert'"
					    " AND body LIKE '%%archive''s disk%%'") == 2);
	r = relay_vty(env, "configure terminal\nchaperone\nalert disk-full 99\nend\n");
	free(r);
	/* What CTRL says is free is what statvfs says of the archive's directory. */
	fd = ctrl_connect();
	r = ctrl_get(fd, "archive-disk-free");
	RELAY_HAS(env, r, "GET_REPLY 7 archive-disk-free ");
	ctrl_free = atoll(r + strlen("GET_REPLY 7 archive-disk-free "));
	free(r);
	close(fd);
	RELAY_CHECK(env, statvfs(env->dir, &sv) == 0);
	fs_free = (long long)sv.f_bavail * (long long)sv.f_frsize;
	print_message("archive-disk-free %lld, statvfs %lld\n", ctrl_free, fs_free);
	RELAY_CHECK(env, ctrl_free > 0 && llabs(ctrl_free - fs_free) < fs_free / 100 + 100000000LL);
}

/* A time of the archive (ms) as the daemon says it: ISO 8601 UTC with milliseconds. */
static void iso(char *out, size_t cap, long long ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

/* CTRL's last-anchor: "never", then the time of the anchor `chaperone records anchor`
 * took and recorded (with its line and operator). */
static void ctrl_last_anchor(char *out, size_t cap)
{
	int fd = ctrl_connect();
	char *r = ctrl_get(fd, "last-anchor");

	RELAY_HAS(env, r, "GET_REPLY 7 last-anchor ");
	snprintf(out, cap, "%s", r + strlen("GET_REPLY 7 last-anchor "));
	free(r);
	close(fd);
}

static char *take_anchor(const char *clerk, long long *at)
{
	char *out = NULL, *line, *end, *detail;

	RELAY_CHECK(env, relay_cli(env, &out, "records", "anchor", "--as", clerk, NULL) == 0);
	line = strstr(out, "chaperone-anchor:v1:");
	RELAY_CHECK(env, line != NULL);
	end = strchr(line, '\n');
	line = strndup(line, end ? (size_t)(end - line) : strlen(line));
	free(out);
	*at = relay_sql_int(env, "SELECT max(at) FROM access_log WHERE action = 'anchor'");
	detail = relay_sql_str(env,
			       "SELECT detail FROM access_log WHERE action = 'anchor' AND at = %lld"
			       " AND operator = '%s'",
			       *at, clerk);
	RELAY_CHECK(env, detail && !strcmp(detail, line));
	free(detail);
	return line;
}

static void test_anchor_recorded(void **state)
{
	char got[64], want[64], *line;
	long long at;

	(void)state;
	ctrl_last_anchor(got, sizeof(got));
	RELAY_CHECK(env, !strcmp(got, "never"));
	line = take_anchor("Clerk Ada Byron", &at);
	free(line);
	iso(want, sizeof(want), at);
	ctrl_last_anchor(got, sizeof(got));
	print_message("last-anchor %s (recorded %s)\n", got, want);
	RELAY_CHECK(env, !strcmp(got, want));
}

/* ---- Alerts on a moved clock: chaperoned's wall clock is libfaketime's ---- */

static int moved_clock_start(void **state)
{
	struct relay_policy p;
	int tcp;

	(void)state;
	ctrl_port = local_port(SOCK_STREAM, &tcp);
	close(tcp);
	snprintf(extra, sizeof(extra),
		 "chaperone\n it-contact " IT "\n admin-contact " ADMIN "\n ctrl-port %u\n"
		 "timer relay X9 1\n",
		 ctrl_port);
	relay_policy_defaults(&p);
	p.fake_clock = true;
	p.extra_config = extra;
	env = relay_group_begin("tests/fixtures/district", &p);
	return 0;
}

/* The crisis alert's recipients: the contacts and the administrators the crisis alerted. */
#define CRISIS_ALERTED IT, ADMIN, ROSA, HELEN, OMAR
#define CRISIS_ALERT   "A crisis conversation opened at "

static long long message_id(const char *text)
{
	return relay_sql_int(env, "SELECT max(id) FROM messages WHERE text = '%s'", text);
}

static long long alerts_about(long long message)
{
	return relay_sql_int(
	    env, "SELECT count(*) FROM deliveries WHERE why = 'alert' AND message_id = %lld",
	    message);
}

/* A crisis conversation nobody acknowledged for `alert crisis-unacknowledged` minutes (15
 * by default) is texted to the contacts and to the administrators it alerted, once, without
 * the student's name or what was written; an administrator's ACK @name (not a coach's)
 * stops it for another. The pending alert survives a restart (it is read from the
 * records), and a restart after it does not repeat it. */
static void test_crisis_unacknowledged(void **state)
{
	static const char *const open_a = "!crisis @jamier I am here for you. Call me now";
	static const char *const open_b = "!crisis @alexk Stay where you are, I am coming";
	long long a, b;
	char *text;

	(void)state;
	relay_text(env, DANA, RELAY_SOCCER, open_a);
	relay_expect_all(env, "CRISIS [Soccer] Coach Dana Lee answered Jamie R. one-to-one", ROSA,
			 HELEN, OMAR);
	relay_text(env, DANA, RELAY_SOCCER, open_b);
	relay_expect_all(env, "CRISIS [Soccer] Coach Dana Lee answered Alex K. one-to-one", ROSA,
			 HELEN, OMAR);
	a = message_id(open_a);
	b = message_id(open_b);
	RELAY_CHECK(env, a > 0 && b > 0);
	/* A coach cannot acknowledge it; an administrator can, and the coach is told. */
	relay_text(env, MARCUS, RELAY_SOCCER, "ACK @alexk");
	free(relay_expect(env, MARCUS,
			  RELAY_REPLY "Only an administrator can acknowledge a crisis conversation",
			  RELAY_WAIT_MS));
	relay_text(env, HELEN, RELAY_SOCCER, "Ack @alexk");
	free(relay_expect(env, HELEN,
			  RELAY_REPLY "Acknowledged: the crisis conversation of Alex K. with Coach "
				      "Dana Lee.",
			  RELAY_WAIT_MS));
	free(relay_expect(env, DANA,
			  "Principal Helen Park has acknowledged the crisis "
			  "conversation with Alex K.",
			  RELAY_WAIT_MS));
	RELAY_CHECK(env,
		    relay_sql_int(env, "SELECT count(*) FROM verdicts WHERE rules = 'crisis-ack'"
				       " AND flagged = 1 AND reason LIKE '%%acknowledged by"
				       " Principal Helen Park'") == 1);
	/* Not yet: the checks (every second) find it younger than 15 minutes. */
	usleep(2500 * 1000);
	RELAY_CHECK(env, inbox_with(IT, CRISIS_ALERT) == 0);
	/* A restart before it is due loses nothing. */
	relay_kill(env, SIGTERM);
	relay_launch(env);
	relay_clock(env, "+16m");
	text = relay_expect(env, IT, CRISIS_ALERT, RELAY_WAIT_MS);
	print_message("%s\n", text);
	RELAY_HAS(env, text,
		  " on " RELAY_SOCCER " by Coach Dana Lee has not been acknowledged by "
		  "an administrator for 16 minutes.");
	RELAY_CHECK(env, !strstr(text, "Jamie") && !strstr(text, "jamier") &&
			     !strstr(text, "I am here"));
	free(text);
	relay_expect_all(env, CRISIS_ALERT, ADMIN, ROSA, HELEN, OMAR);
	relay_wait_sql_int(
	    env, 5, 10000,
	    "SELECT count(*) FROM deliveries WHERE why = 'alert' AND message_id = %lld", a);
	/* Once; none about the acknowledged one; a restart does not repeat it. */
	relay_kill(env, SIGTERM);
	relay_launch(env);
	usleep(2500 * 1000);
	RELAY_CHECK(env, alerts_about(a) == 5);
	RELAY_CHECK(env, alerts_about(b) == 0);
	RELAY_CHECK(env, inbox_with(IT, CRISIS_ALERT) == 1);
	RELAY_CHECK(env, inbox_with(ROSA, CRISIS_ALERT) == 1);
}

/* No anchor for `alert anchor-overdue` days (35 by default): the archive's beginning
 * counts while none was ever taken. Texted once, and a day later again, counted from
 * the anchor taken meanwhile. */
static void test_anchor_overdue(void **state)
{
	char got[64], want[64], *text, *line;
	long long at;

	(void)state;
	usleep(2500 * 1000);
	RELAY_CHECK(env, inbox_with(IT, "No anchor") == 0);
	relay_clock(env, "+36d");
	text = relay_expect(env, IT, "No anchor of the archive for 36 days", RELAY_WAIT_MS);
	RELAY_HAS(env, text, "(none was ever taken); run chaperone records anchor");
	free(text);
	text = relay_expect(env, ADMIN, "No anchor of the archive for 36 days", RELAY_WAIT_MS);
	free(text);
	relay_wait_sql_int(env, 2, 10000,
			   "SELECT count(*) FROM deliveries WHERE why = 'alert' AND body LIKE"
			   " '%%No anchor of the archive for 36 days%%'");
	/* The anchor the records officer takes now (on the real clock: 36 days before
	 * chaperoned's) is what chaperoned counts from, and CTRL says when it was. */
	line = take_anchor("Clerk Ada Byron", &at);
	free(line);
	iso(want, sizeof(want), at);
	ctrl_last_anchor(got, sizeof(got));
	RELAY_CHECK(env, !strcmp(got, want));
	usleep(2500 * 1000);
	RELAY_CHECK(env, inbox_with(IT, "No anchor") == 1);
	relay_clock(env, "+37d");
	text = relay_expect(env, IT, "No anchor of the archive for 37 days;", RELAY_WAIT_MS);
	free(text);
	RELAY_CHECK(env, inbox_with(IT, "No anchor") == 2);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    /* First: the CTRL test's vanishing modem may be alerted about too. */
	    cmocka_unit_test_setup_teardown(test_modem_down_alert, relay_test_setup,
					    relay_test_teardown),
	    cmocka_unit_test_setup_teardown(test_ctrl_and_statsd, relay_test_setup,
					    relay_test_teardown),
	    cmocka_unit_test_setup_teardown(test_disk_full_alert, relay_test_setup,
					    relay_test_teardown),
	    cmocka_unit_test_setup_teardown(test_anchor_recorded, relay_test_setup,
					    relay_test_teardown),
	};

	/* Last: each moves the clock further on. */
	const struct CMUnitTest moved[] = {
	    cmocka_unit_test_setup_teardown(test_crisis_unacknowledged, relay_test_setup,
					    relay_test_teardown),
	    cmocka_unit_test_setup_teardown(test_anchor_overdue, relay_test_setup,
					    relay_test_teardown),
	};
	int failed;

	relay_harness_init(argc, argv);
	failed =
	    cmocka_run_group_tests_name("relay operations", tests, group_start, relay_group_end);
	failed += cmocka_run_group_tests_name("relay alerts on a moved clock", moved,
					      moved_clock_start, relay_group_end);
	return failed;
}
