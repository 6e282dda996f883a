/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* bench_daemon: the whole relay end to end — chaperoned and modemsim as processes, the
 * archive on the build tree's disk (not a CTest test: it takes a few minutes and its
 * figures are read by people; see docs/performance.md).
 *
 * A district of M relay numbers (modems), each serving a team of one coach and N
 * students (every one with a phone; no guardians, no oversight, no notice, so that one
 * team message is N single-part deliveries). modemsim takes SUBMIT_MS per +CMGS, the
 * limit of a modem: 1000 / SUBMIT_MS texts a second.
 *
 * 1. Outbound: every coach texts their team at once; for each modem, the rate of parts the
 *    network accepted (the `sent` events' times in the archive, first to last) ÷ the
 *    modem's limit. M = 1, 4 and 8.
 * 2. A reply during a broadcast (M = 1): while a team message to N students goes out,
 *    students reply one by one; the time from the reply being recorded (messages.at) to
 *    the network taking its delivery (its `sent` event), and to it being handed to the
 *    modem (that, less one submit time). Goal: p99 of the second ≤ SUBMIT_MS + 20 ms —
 *    it waits for the part in flight, not for the broadcast.
 * 3. Inbound (M = 1, idle relay, network delay 0): students text the relay 100 ms apart;
 *    from the phone's send (the control request answered) to the PDU committed (rx_pdus.at)
 *    and to its delivery handed to the modem (accepted, less one submit). Goal: p99 to
 *    commit < 20 ms.
 * 4. Idle: AT command lines a modem ran in IDLE_S seconds of an idle relay, per second.
 *    Goal: ≤ 1.
 *
 * Every figure reads tables an older archive has too, so that bench_daemon built from an
 * older tree measures the older chaperoned the same way.
 *
 * Usage: bench_daemon [BUILD_DIR [N [MODEL]]] — BUILD_DIR holds bin/chaperoned and
 * bin/modemsim (default: the build tree this benchmark was built in); N students per team
 * (100); MODEL modemsim's model, EC25 (the default) or generic. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#include <talloc.h>

#include "storage/archive/store.h"
#include "storage/directory/directory_store.h"
#include "tests/e2e/harness.h"

#ifndef BENCH_BUILD_DIR
#define BENCH_BUILD_DIR "."
#endif

#define SUBMIT_MS 50
#define ACTOR	  "bench"
#define IDLE_S	  60

static unsigned n_students = 100;
/* modemsim's model: EC25 (Quectel; reports delivered direct, +CDS and +CNMA, the voice
 * target) or generic (reports stored on the SIM, +CDSI, +CMGR and +CMGD). */
static const char *model = "EC25";

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "bench_daemon: %s: %s\n", what, detail ? detail : "");
	exit(1);
}

static long long wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* The p-th percentile (0..100) of v[0..n), sorted in place. */
static long long pct(long long *v, size_t n, double p)
{
	size_t i;

	if (!n)
		return -1;
	qsort(v, n, sizeof(*v), cmp_ll);
	i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

/* ---- The district ---- */

static char coach_phone[8][24];

static void student_phone(char *out, size_t cap, unsigned team, unsigned i)
{
	snprintf(out, cap, "+1556%02u%05u", team % 100, i % 100000);
}

static void add_person(struct store *s, enum dir_role role, enum dir_title title,
		       const char *handle, const char *phone, int64_t *id)
{
	struct store_person p = {.role = role,
				 .title = title,
				 .given = role == DIR_STUDENT ? "Student" : "Coach",
				 .family = handle,
				 .handle = handle,
				 .phone = phone,
				 .active = true};

	if (store_person_add(s, ACTOR, &p) < 0)
		die("store_person_add", store_errmsg(s));
	*id = p.id;
}

static void make_district(const char *db, unsigned modems)
{
	void *ctx = talloc_new(NULL);
	char err[256];
	struct store *s = store_open(ctx, db, err, sizeof(err));

	if (!s)
		die(db, err);
	if (store_begin(s) < 0)
		die("begin", store_errmsg(s));
	for (unsigned r = 0; r < modems; r++) {
		char number[24], tag[16], handle[32], phone[24];
		struct store_team t = {0};
		int64_t relay, id;

		snprintf(number, sizeof(number), "+1555010%u", r);
		if (store_relay_ensure(s, number, NULL, &relay) < 0)
			die("store_relay_ensure", store_errmsg(s));
		snprintf(tag, sizeof(tag), "team%u", r);
		t.tag = tag;
		t.name = tag;
		t.kind = "sports";
		t.relay_id = relay;
		t.active = true;
		if (store_team_add(s, ACTOR, &t) < 0)
			die("store_team_add", store_errmsg(s));
		snprintf(handle, sizeof(handle), "coach%u", r);
		snprintf(coach_phone[r], sizeof(coach_phone[r]), "+155720000%u", r);
		add_person(s, DIR_STAFF, DIR_T_COACH, handle, coach_phone[r], &id);
		if (store_link_add(s, ACTOR, STORE_LINK_MEMBER, t.id, id, NULL, NULL) < 0)
			die("store_link_add", store_errmsg(s));
		for (unsigned i = 0; i < n_students; i++) {
			snprintf(handle, sizeof(handle), "s%ux%u", r, i);
			student_phone(phone, sizeof(phone), r, i);
			add_person(s, DIR_STUDENT, DIR_T_NONE, handle, phone, &id);
			if (store_link_add(s, ACTOR, STORE_LINK_MEMBER, t.id, id, NULL, NULL) < 0)
				die("store_link_add", store_errmsg(s));
		}
	}
	if (store_commit(s) < 0)
		die("commit", store_errmsg(s));
	talloc_free(ctx);
}

/* ---- One installation ---- */

struct inst {
	char dir[PATH_MAX], db[PATH_MAX + 16], cfg[PATH_MAX + 16], log[PATH_MAX + 16];
	unsigned modems;
	struct sim *sim;
	pid_t pid;
	sqlite3 *ro;
};

static void inst_start(struct inst *in, const char *base, unsigned modems, unsigned deliver_ms)
{
	char sub[16], del[16], n[8], chaperoned[PATH_MAX + 16];
	FILE *f;
	int fd;

	snprintf(in->dir, sizeof(in->dir), "%s/bench-daemon-XXXXXX", base);
	if (!mkdtemp(in->dir))
		die("mkdtemp", strerror(errno));
	in->modems = modems;
	snprintf(in->db, sizeof(in->db), "%s/archive.db", in->dir);
	snprintf(in->cfg, sizeof(in->cfg), "%s/chaperoned.cfg", in->dir);
	snprintf(in->log, sizeof(in->log), "%s/chaperoned.log", in->dir);
	make_district(in->db, modems);
	snprintf(sub, sizeof(sub), "%u", SUBMIT_MS);
	snprintf(del, sizeof(del), "%u", deliver_ms);
	snprintf(n, sizeof(n), "%u", modems);
	in->sim =
	    sim_start("-n", n, "--submit-ms", sub, "--deliver-ms", del, "--model", model, NULL);
	if (!in->sim)
		die("modemsim", "did not start");
	if (!(f = fopen(in->cfg, "w")))
		die(in->cfg, strerror(errno));
	fprintf(f,
		"chaperone\n district Bench Public Schools\n database %s\n timezone UTC\n"
		"policy\n guardians-on-team-messages no\n no quiet-hours\n oversight off\n"
		" contact-screen no\n notice no\n",
		in->db);
	for (unsigned r = 0; r < modems; r++)
		fprintf(f, "modem modem%u\n device %s\n relay-number +1555010%u\n", r,
			sim_modem_path(in->sim, (int)r), r);
	fprintf(f,
		"password bench-console\nenable password bench-enable\nline vty\n"
		" bind 127.0.0.1 %d\n",
		harness_free_port());
	fclose(f);
	snprintf(chaperoned, sizeof(chaperoned), "%s/bin/chaperoned", harness_build_dir);
	fd = open(in->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	in->pid = fork();
	if (in->pid == 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		execl(chaperoned, "chaperoned", "-c", in->cfg, (char *)NULL);
		_exit(127);
	}
	close(fd);
	/* Ready: every modem said so. */
	for (long long deadline = now_ms() + 30000;;) {
		char needle[32], buf[1 << 16];
		unsigned ready = 0;
		ssize_t len;

		fd = open(in->log, O_RDONLY);
		len = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		if (fd >= 0)
			close(fd);
		buf[len > 0 ? len : 0] = '\0';
		for (unsigned r = 0; r < modems; r++) {
			snprintf(needle, sizeof(needle), "modem%u: ready", r);
			ready += strstr(buf, needle) != NULL;
		}
		if (ready == modems)
			break;
		if (now_ms() > deadline || waitpid(in->pid, NULL, WNOHANG) == in->pid) {
			fprintf(stderr, "%s\n", buf);
			die("chaperoned", "not ready");
		}
		sleep_ms(50);
	}
	if (sqlite3_open_v2(in->db, &in->ro, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		die(in->db, "cannot open read-only");
	sqlite3_busy_timeout(in->ro, 5000);
}

static void inst_stop(struct inst *in)
{
	char cmd[PATH_MAX + 16];
	int status;

	sqlite3_close(in->ro);
	kill(in->pid, SIGTERM);
	if (waitpid(in->pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		fprintf(stderr, "bench_daemon: chaperoned did not exit cleanly\n");
	sim_stop(in->sim);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", in->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_daemon: could not remove %s\n", in->dir);
}

static long long sql_ll(struct inst *in, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(in->ro, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Every value of a one-column query (at most cap), or -1 on error. */
static long sql_col(struct inst *in, const char *sql, long long *out, size_t cap)
{
	sqlite3_stmt *st;
	long n = 0;

	if (sqlite3_prepare_v2(in->ro, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_daemon: %s: %s\n", sql, sqlite3_errmsg(in->ro));
		return -1;
	}
	while (sqlite3_step(st) == SQLITE_ROW && (size_t)n < cap)
		out[n++] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void text(struct inst *in, const char *from, unsigned relay, const char *body)
{
	json_object_put(sim_ctl_ok(in->sim,
				   "{\"cmd\":\"send\",\"from\":\"%s\",\"to\":\"+1555010%u\","
				   "\"text\":\"%s\"}",
				   from, relay, body));
}

static void wait_sql(struct inst *in, const char *sql, long long want, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms, v = -1;

	while (now_ms() < deadline && (v = sql_ll(in, sql)) < want)
		sleep_ms(50);
	if (v < want) {
		char msg[128];
		snprintf(msg, sizeof(msg), "%lld of %lld after %d ms", v, want, timeout_ms);
		die(sql, msg);
	}
}

/* ---- 1. Outbound ---- */

static void outbound(const char *base, unsigned modems)
{
	struct inst in = {0};
	long long *t = malloc(sizeof(*t) * n_students);
	double min_ratio = 1e9, sum = 0;
	char sql[256];

	inst_start(&in, base, modems, 20);
	if (getenv("BENCH_PAUSE")) {
		/* To watch it: strace -p PID, then press Enter. */
		fprintf(stderr, "chaperoned is pid %d\n", (int)in.pid);
		(void)getchar();
	}
	for (unsigned r = 0; r < modems; r++) {
		char body[64];
		snprintf(body, sizeof(body), "#team%u Outbound bench", r);
		text(&in, coach_phone[r], r, body);
	}
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM delivery_events WHERE status = 'sent'");
	wait_sql(&in, sql, (long long)modems * n_students, 60000 + 200 * (int)n_students);
	for (unsigned r = 0; r < modems; r++) {
		long n;
		double rate, ratio;

		snprintf(sql, sizeof(sql),
			 "SELECT at FROM delivery_events WHERE status = 'sent' AND modem ="
			 " 'modem%u' ORDER BY at",
			 r);
		n = sql_col(&in, sql, t, n_students);
		if (n < 2 || t[n - 1] == t[0])
			die("outbound", "too few sends to time");
		rate = (double)(n - 1) * 1000.0 / (double)(t[n - 1] - t[0]);
		ratio = rate / (1000.0 / SUBMIT_MS);
		sum += ratio;
		if (ratio < min_ratio)
			min_ratio = ratio;
	}
	printf("| %u | %u | %.2f | %.1f | %.3f | %.3f |\n", modems, modems * n_students,
	       1000.0 / SUBMIT_MS, sum / modems * 1000.0 / SUBMIT_MS, sum / modems, min_ratio);
	fflush(stdout);
	free(t);
	inst_stop(&in);
}

/* ---- 2. A reply during a broadcast ---- */

static void reply_during_broadcast(const char *base)
{
	enum { ROUNDS = 4, REPLIES = 15 };
	struct inst in = {0};
	long long lat_submit[ROUNDS * REPLIES], lat_sent[ROUNDS * REPLIES];
	long n_sub = 0, n_sent = 0;
	char phone[24], body[64];

	inst_start(&in, base, 1, 20);
	for (unsigned round = 0; round < ROUNDS; round++) {
		long long sent_before =
		    sql_ll(&in, "SELECT count(*) FROM delivery_events WHERE status = 'sent'");

		snprintf(body, sizeof(body), "#team0 Broadcast %u", round);
		text(&in, coach_phone[0], 0, body);
		/* Replies once the broadcast is under way, spread over it. */
		wait_sql(&in, "SELECT count(*) FROM delivery_events WHERE status = 'sent'",
			 sent_before + 5, 20000);
		for (unsigned k = 0; k < REPLIES; k++) {
			student_phone(phone, sizeof(phone), 0, round * REPLIES + k);
			snprintf(body, sizeof(body), "Reply %u from a student",
				 round * REPLIES + k);
			text(&in, phone, 0, body);
			sleep_ms((int)(n_students * SUBMIT_MS / (REPLIES + 4)));
		}
		wait_sql(&in, "SELECT count(*) FROM delivery_events WHERE status = 'sent'",
			 sent_before + n_students + REPLIES, 60000);
	}
	n_sent = sql_col(&in,
			 "SELECT (SELECT min(e.at) FROM delivery_events e JOIN deliveries d ON"
			 " d.id = e.delivery_id WHERE d.message_id = m.id AND e.status = 'sent')"
			 " - m.at FROM messages m WHERE m.text LIKE 'Reply %'",
			 lat_sent, ROUNDS * REPLIES);
	/* Handed to the modem one submit before the network took it. (A submit record may
	 * be written ahead of its part, so it does not tell when the part went.) */
	for (long i = 0; i < n_sent; i++)
		lat_submit[i] = lat_sent[i] - SUBMIT_MS;
	n_sub = n_sent;
	printf("| %ld | %lld | %lld | %lld | %lld | %lld | %d |\n", n_sub,
	       pct(lat_submit, (size_t)n_sub, 50), pct(lat_submit, (size_t)n_sub, 99),
	       pct(lat_submit, (size_t)n_sub, 100), pct(lat_sent, (size_t)n_sent, 50),
	       pct(lat_sent, (size_t)n_sent, 99), SUBMIT_MS + 20);
	fflush(stdout);
	inst_stop(&in);
}

/* ---- 3. Inbound, and 4. idle ---- */

static long long command_lines(struct inst *in)
{
	struct json_object *st = sim_ctl_ok(in->sim, "{\"cmd\":\"status\"}"), *mods, *m, *v;
	long long n = -1;

	if (json_object_object_get_ex(st, "modems", &mods) &&
	    (m = json_object_array_get_idx(mods, 0)) &&
	    json_object_object_get_ex(m, "command_lines", &v))
		n = json_object_get_int64(v);
	json_object_put(st);
	return n;
}

static void inbound_and_idle(const char *base)
{
	enum { TEXTS = 100 };
	struct inst in = {0};
	long long sent_at[TEXTS], commit[TEXTS], fwd[TEXTS], lines0, lines1, t0;
	long n_commit = 0, n_fwd = 0;
	char phone[24], body[64], sql[512];

	inst_start(&in, base, 1, 0);
	for (unsigned k = 0; k < TEXTS; k++) {
		student_phone(phone, sizeof(phone), 0, k % n_students);
		snprintf(body, sizeof(body), "Inbound %u from a student", k);
		sent_at[k] = wall_ms();
		text(&in, phone, 0, body);
		sleep_ms(100);
	}
	wait_sql(&in, "SELECT count(*) FROM messages WHERE text LIKE 'Inbound %'", TEXTS, 20000);
	sleep_ms(1000);
	for (unsigned k = 0; k < TEXTS; k++) {
		long long v[1];

		/* The message's PDU: the one its message_parts row names. */
		snprintf(sql, sizeof(sql),
			 "SELECT p.at FROM messages m JOIN message_parts mp ON mp.message_id = m.id"
			 " JOIN rx_pdus p ON p.id = mp.rx_pdu_id WHERE m.text = 'Inbound %u from"
			 " a student'",
			 k);
		if (sql_col(&in, sql, v, 1) == 1)
			commit[n_commit++] = v[0] - sent_at[k];
		snprintf(sql, sizeof(sql),
			 "SELECT min(e.at) - %d FROM delivery_events e JOIN deliveries d ON"
			 " d.id = e.delivery_id JOIN messages m ON m.id = d.message_id"
			 " WHERE e.status = 'sent' AND m.text = 'Inbound %u from a student'",
			 SUBMIT_MS, k);
		if (sql_col(&in, sql, v, 1) == 1 && v[0] > 0)
			fwd[n_fwd++] = v[0] - sent_at[k];
	}
	printf("| %ld | %lld | %lld | %lld | %lld | 20 |\n", n_commit,
	       pct(commit, (size_t)n_commit, 50), pct(commit, (size_t)n_commit, 99),
	       pct(fwd, (size_t)n_fwd, 50), pct(fwd, (size_t)n_fwd, 99));
	fflush(stdout);

	/* Idle: nothing to send or receive. */
	sleep_ms(2000);
	lines0 = command_lines(&in);
	t0 = now_ms();
	sleep_ms(IDLE_S * 1000);
	lines1 = command_lines(&in);
	printf("\nIdle: AT command lines a modem ran:\n\n| seconds | lines | per second | goal "
	       "|\n|---|---|---|---|\n");
	printf("| %d | %lld | %.3f | 1 |\n", IDLE_S, lines1 - lines0,
	       (double)(lines1 - lines0) * 1000.0 / (double)(now_ms() - t0));
	fflush(stdout);
	inst_stop(&in);
}

int main(int argc, char **argv)
{
	static const unsigned modem_counts[] = {1, 4, 8};
	const char *base;

	harness_build_dir = argc > 1 ? argv[1] : BENCH_BUILD_DIR;
	if (argc > 2)
		n_students = (unsigned)atoi(argv[2]);
	if (n_students < 10 || n_students > 10000)
		die("N", "10 to 10000 students per team");
	if (argc > 3)
		model = argv[3];
	base = harness_build_dir;
	printf("bench_daemon: %u students per team, modemsim %s, %d ms per submit, archive in "
	       "%s\n\n",
	       n_students, model, SUBMIT_MS, base);
	printf("Outbound, one team message per relay number at once:\n\n"
	       "| modems | parts | limit/s per modem | sent/s per modem | ratio (mean) | ratio "
	       "(worst modem) |\n|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < sizeof(modem_counts) / sizeof(*modem_counts); i++)
		outbound(base, modem_counts[i]);
	printf("\nA reply during a %u-recipient broadcast (ms from recorded):\n\n"
	       "| replies | to modem p50 | to modem p99 | to modem max | accepted p50 | "
	       "accepted p99 | goal p99 to modem |\n|---|---|---|---|---|---|---|\n",
	       n_students);
	reply_during_broadcast(base);
	printf("\nInbound on an idle relay (ms from the phone's send, network delay 0):\n\n"
	       "| texts | to commit p50 | to commit p99 | reply to modem p50 | reply to modem p99 "
	       "| goal p99 to commit |\n|---|---|---|---|---|---|\n");
	inbound_and_idle(base);
	return 0;
}
