/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* bench_calls: relayed calls end to end under load — a real chaperoned and modemsim as
 * processes, N concurrent three-leg calls bridged for some minutes (not a CTest test: it
 * takes minutes and its figures are read by people; see docs/performance.md).
 *
 * The district is generated as the roster files the importer takes (users.csv, teams.csv,
 * titles.csv; `chaperone roster import`): N teams, each with its own relay number, one
 * coach, one student and one guardian of the student, all with phones. modemsim runs
 * 3×N EC25 modems (every phone answers at the first ring, --ring-ms 1000); the N team
 * relay numbers are the last modems in the config, so that each call takes its own relay
 * line and two of the 2×N others. Every coach texts CALL @student at once; the daemon
 * dials the guardian, then the student, then the coach, each hearing the recording notice
 * first. Every phone says a speech-like signal of its own (bench_recording's synthetic
 * talker: a drifting pitch through three formants, spurts and pauses, the line's noise
 * floor; pitch 200 Hz for the guardian, 240 Hz the student, 110 Hz the coach), so that
 * the recordings' size is a speech call's, not a tone's.
 *
 * Once every call has its three legs bridged (call_events), for SECONDS:
 * - CPU: chaperoned's utime+stime (/proc/PID/stat) over the window, per call-minute and
 *   as a share of one core per call (the limit is real time: 1.0);
 * - missed 20 ms deadlines: uplink frames modemsim had to fill with silence because the
 *   daemon had not written one in time (`uplink_underruns` of every modem), and frames
 *   it had too many of or could not hand over, against the frames the calls' length
 *   allows (50 a second per leg);
 * - added delay: round robin over the calls, the guardian's phone says a 0.5 s chirp
 *   (300 Hz to 3.4 kHz) with its recording restarted on the tick the chirp starts
 *   (`play … clear_heard`), and the coach's recording is restarted at the same moment.
 *   The two modems tick on their own clocks, so the bench polls both phones' `heard`
 *   counters until each has taken its first frame: that gives the guardian's tick a (the
 *   chirp's first frame goes to the daemon) and the coach's tick b (sample 0 of the
 *   coach's recording). With m the lag of the cross-correlation peak in the coach's
 *   recording, the chirp took T = b − a + m/8 ms from the guardian's modem to the coach's
 *   ear. modemsim's own share is the wait for the coach's modem's next tick after a (a
 *   bridge that wrote the frame the instant it arrived would meet that tick): the floor
 *   F = (b − a) mod 20 ms, in (0, 20], measured for each measurement. The bridge adds
 *   T − F; p50 and p99 over every measurement;
 * - after the window, every party says a tone of its own (guardian 600 Hz, student
 *   1000 Hz, coach 1400 Hz) and each phone's recording of the next second must hold the
 *   other two parties' tones loud (>= −20 dB) and its own faint (<= −40 dB): a call
 *   that lost audio is named.
 * Then the coaches hang up one by one, SPACING_MS apart, while the other calls go on:
 * the frames the calls still bridged lost meanwhile (the daemon finishes each ended
 * call's recording on its event loop). Last, the recordings: bytes per call-hour of the
 * FLACs (call_recordings), and the finish time: from the call's last 'left' event to its
 * call_recordings row, and the daemon's own "recording finished in" log line.
 *
 * Nothing here asserts a time; a step that cannot be set up fails with why, the tail of
 * chaperoned's log, and the working directory kept.
 *
 * Usage: bench_calls [BUILD_DIR [N [SECONDS]]] — BUILD_DIR holds bin/chaperoned,
 * bin/chaperone and bin/modemsim (default: the build tree this benchmark was built in);
 * N calls (8, at most 21: 3×N modems); SECONDS bridged (180). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sndfile.h>
#include <sqlite3.h>

#include "tests/e2e/harness.h"
#include "tests/e2e/tones.h"

#ifndef BENCH_BUILD_DIR
#define BENCH_BUILD_DIR "."
#endif

#define MAX_CALLS     21 /* 63 modems; modemsim has at most 64 */
#define MSISDN_BASE   15550100LL
#define CHIRP_SAMPLES 4000 /* 0.5 s */
#define MAX_LAG	      4000 /* 500 ms */
#define MAX_MEAS      2048
#define SPACING_MS    3000
#define HZ_GUARDIAN   600.0
#define HZ_STUDENT    1000.0
#define HZ_COACH      1400.0

enum role { GUARDIAN, STUDENT, COACH, ROLES };
static const char *const role_names[ROLES] = {"guardian", "student", "coach"};
static const double role_hz[ROLES] = {HZ_GUARDIAN, HZ_STUDENT, HZ_COACH};

struct team {
	char phone[ROLES][24];
	char student_handle[64];
	long long call_id;
	int modem[ROLES]; /* modemsim index of each party's leg */
	bool hung_up;
};

static unsigned n_calls = 8, seconds = 180;
static struct team teams[MAX_CALLS];
static char dir[64], db[128], cfg[128], logpath[128], chirp_wav[128], heard_wav[128];
static struct sim *sim;
static pid_t daemon_pid;
static sqlite3 *ro;

/* ---- Failing loudly ---- */

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		if (n + 65536 > cap) {
			cap = (cap + 65536) * 2;
			buf = realloc(buf, cap + 1);
			if (!buf)
				abort();
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static void log_tail(int lines)
{
	size_t n;
	char *log = read_all(logpath, &n), *p;

	if (!log)
		return;
	p = log + n;
	while (p > log && lines >= 0)
		if (*--p == '\n')
			lines--;
	fprintf(stderr, "---- the end of chaperoned's log (%s) ----\n%s\n----\n", logpath, p);
	free(log);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench_calls: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	if (daemon_pid > 0) {
		int status;

		if (waitpid(daemon_pid, &status, WNOHANG) == daemon_pid)
			fprintf(stderr, "bench_calls: chaperoned had exited (wait status 0x%x)\n",
				status);
		log_tail(40);
		kill(daemon_pid, SIGKILL);
		waitpid(daemon_pid, NULL, 0);
	}
	if (sim)
		sim_stop(sim);
	if (dir[0])
		fprintf(stderr, "bench_calls: the working directory %s is kept\n", dir);
	exit(1);
}

static long long mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The p-th percentile (0..100) of v[0..n), sorted in place. */
static double pct(double *v, size_t n, double p)
{
	size_t i;

	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_d);
	i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

/* ---- modemsim's control socket, one connection kept open ---- */

static int ctl_fd = -1;
static char ctl_buf[1 << 20];
static size_t ctl_len;

static void ctl_open(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/ctl", sim->dir);
	ctl_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (ctl_fd < 0 || connect(ctl_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("cannot connect to modemsim's control socket %s: %s", sa.sun_path,
		    strerror(errno));
}

static void ctl_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void ctl_send(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(line) - 1)
		die("control request too long");
	line[n++] = '\n';
	for (int off = 0; off < n;) {
		ssize_t w = write(ctl_fd, line + off, (size_t)(n - off));

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("modemsim's control socket: %s", strerror(errno));
		off += (int)w;
	}
}

/* The next response; dies when it is not "ok" (what is the point of a benchmark whose
 * phones do not do what they are told). */
static struct json_object *ctl_recv(void)
{
	char *nl;
	struct json_object *o, *ok;

	while (!(nl = memchr(ctl_buf, '\n', ctl_len))) {
		ssize_t r;

		if (ctl_len == sizeof(ctl_buf))
			die("modemsim's response is over %zu bytes", sizeof(ctl_buf));
		r = read(ctl_fd, ctl_buf + ctl_len, sizeof(ctl_buf) - ctl_len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("modemsim's control socket closed: %s", r ? strerror(errno) : "EOF");
		ctl_len += (size_t)r;
	}
	*nl = '\0';
	o = json_tokener_parse(ctl_buf);
	if (!o || !json_object_object_get_ex(o, "ok", &ok) || !json_object_get_boolean(ok))
		die("modemsim refused a request: %s", ctl_buf);
	ctl_len -= (size_t)(nl + 1 - ctl_buf);
	memmove(ctl_buf, nl + 1, ctl_len);
	return o;
}

#define ctl(...) json_object_put((ctl_send(__VA_ARGS__), ctl_recv()))

static long long jint(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : -1;
}

/* ---- The archive, read-only ---- */

static long long sql_ll(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long long sql_ll(const char *fmt, ...)
{
	sqlite3_stmt *st;
	long long v = -1;
	va_list ap;
	char *sql;

	va_start(ap, fmt);
	sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	if (sqlite3_prepare_v2(ro, sql, -1, &st, NULL) != SQLITE_OK)
		die("%s: %s", sql, sqlite3_errmsg(ro));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_free(sql);
	return v;
}

static void sql_str(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void sql_str(char *out, size_t cap, const char *fmt, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	char *sql;

	va_start(ap, fmt);
	sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	out[0] = '\0';
	if (sqlite3_prepare_v2(ro, sql, -1, &st, NULL) != SQLITE_OK)
		die("%s: %s", sql, sqlite3_errmsg(ro));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_free(sql);
}

/* ---- The district ---- */

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/roster/%s", dir, name);
	if (!(f = fopen(path, "w")) || fputs(text, f) < 0 || fclose(f) != 0)
		die("cannot write %s: %s", path, strerror(errno));
}

static void roster(void)
{
	char path[256], *users = NULL, *tms = NULL, *titles = NULL, out[256];
	size_t ul = 0, tl = 0, il = 0;
	FILE *u = open_memstream(&users, &ul), *t = open_memstream(&tms, &tl),
	     *ti = open_memstream(&titles, &il);
	pid_t pid;
	int status, fd;

	snprintf(path, sizeof(path), "%s/roster", dir);
	if (mkdir(path, 0700) < 0)
		die("mkdir %s: %s", path, strerror(errno));
	fprintf(u, "sourcedId,status,enabledUser,role,givenName,familyName,sms,agentSourcedIds\n");
	fprintf(t, "tag,team_name,kind,relay,person,as\n");
	fprintf(ti, "person,title\n");
	for (unsigned i = 0; i < n_calls; i++) {
		struct team *tm = &teams[i];
		char L = (char)('A' + i);

		/* 555 numbers: coaches 1xxx, students 2xxx, guardians 3xxx. */
		snprintf(tm->phone[COACH], sizeof(tm->phone[COACH]), "+1617555%04u", 1000 + i);
		snprintf(tm->phone[STUDENT], sizeof(tm->phone[STUDENT]), "+1617555%04u", 2000 + i);
		snprintf(tm->phone[GUARDIAN], sizeof(tm->phone[GUARDIAN]), "+1617555%04u",
			 3000 + i);
		fprintf(u, "t-%u,active,true,teacher,Coach%c,Bench,%s,\n", i, L, tm->phone[COACH]);
		fprintf(u, "s-%u,active,true,student,Pupil%c,Bench,%s,g-%u\n", i, L,
			tm->phone[STUDENT], i);
		fprintf(u, "g-%u,active,true,parent,Parent%c,Bench,%s,s-%u\n", i, L,
			tm->phone[GUARDIAN], i);
		fprintf(t, "team%c,Team %c,sports,+%lld,t-%u,staff\n", L + 32, L, MSISDN_BASE + i,
			i);
		fprintf(t, "team%c,,,,s-%u,student\n", L + 32, i);
		fprintf(ti, "t-%u,coach\n", i);
	}
	fclose(u);
	fclose(t);
	fclose(ti);
	write_file("users.csv", users);
	write_file("teams.csv", tms);
	write_file("titles.csv", titles);
	free(users);
	free(tms);
	free(titles);

	snprintf(out, sizeof(out), "%s/import.out", dir);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	pid = fork();
	if (pid == 0) {
		char prog[512];

		snprintf(prog, sizeof(prog), "%s/bin/chaperone", harness_build_dir);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(prog, "chaperone", "roster", "import", "--db", db, path, (char *)NULL);
		_exit(127);
	}
	close(fd);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		char *o = read_all(out, NULL);

		fprintf(stderr, "%s\n", o ? o : "");
		free(o);
		die("chaperone roster import %s failed (wait status 0x%x)", path, status);
	}
}

/* ---- chaperoned ---- */

static void write_config(void)
{
	FILE *f = fopen(cfg, "w");
	unsigned m = 3 * n_calls;

	if (!f)
		die("cannot write %s: %s", cfg, strerror(errno));
	fprintf(f,
		"log stderr\n logging level relay info\n"
		"chaperone\n district Bench Public Schools\n database %s\n timezone UTC\n"
		"policy\n guardians-on-team-messages no\n no quiet-hours\n oversight off\n"
		" contact-screen no\n notice yes\n",
		db);
	/* The lines without a team first: a call takes its own relay number's line and the
	 * first free others, so with the team lines last no call takes another team's. */
	for (unsigned k = 0; k < m; k++) {
		unsigned i = (k + n_calls) % m;

		fprintf(f, "modem modem%u\n device %s/modem%u\n relay-number +%lld\n", i, sim->dir,
			i, MSISDN_BASE + i);
	}
	fprintf(f,
		"password bench-console\nenable password bench-enable\nline vty\n"
		" bind 127.0.0.1 %d\n",
		harness_free_port());
	if (fclose(f) != 0)
		die("cannot write %s", cfg);
}

static void start_daemon(void)
{
	char prog[512];
	int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	unsigned m = 3 * n_calls;

	snprintf(prog, sizeof(prog), "%s/bin/chaperoned", harness_build_dir);
	daemon_pid = fork();
	if (daemon_pid == 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		execl(prog, "chaperoned", "-c", cfg, (char *)NULL);
		_exit(127);
	}
	close(fd);
	for (long long deadline = now_ms() + 60000;;) {
		char *log = read_all(logpath, NULL), needle[32];
		unsigned ready = 0;

		for (unsigned i = 0; log && i < m; i++) {
			snprintf(needle, sizeof(needle), "modem%u: ready", i);
			ready += strstr(log, needle) != NULL;
		}
		free(log);
		if (ready == m)
			return;
		if (waitpid(daemon_pid, NULL, WNOHANG) == daemon_pid) {
			daemon_pid = 0;
			log_tail(40);
			die("chaperoned exited during start-up");
		}
		if (now_ms() > deadline)
			die("chaperoned: %u of %u modems ready after 60 s", ready, m);
		sleep_ms(100);
	}
}

static void check_daemon(const char *when)
{
	int status;

	if (waitpid(daemon_pid, &status, WNOHANG) == daemon_pid) {
		daemon_pid = 0;
		log_tail(60);
		die("chaperoned exited %s (wait status 0x%x)", when, status);
	}
}

/* utime + stime of a process, in seconds. */
static double proc_cpu_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		die("cannot read %s", path);
	buf[n] = '\0';
	/* After the command name in parentheses: state is field 3, utime 14, stime 15. */
	p = strrchr(buf, ')');
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		die("cannot parse %s", path);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* The whole machine's busy and total jiffies (/proc/stat). */
static void machine_cpu(unsigned long long *busy, unsigned long long *total)
{
	unsigned long long v[8] = {0};
	FILE *f = fopen("/proc/stat", "r");

	if (!f || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
			 &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
		die("cannot read /proc/stat");
	fclose(f);
	*total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
	*busy = *total - v[3] - v[4];
}

/* ---- modemsim's audio counters ---- */

struct counters {
	long long up, down, under, over, down_dropped, stalled, nmea;
};

static void snapshot(struct counters *c)
{
	struct json_object *st, *mods;
	unsigned m = 3 * n_calls;

	ctl_send("{\"cmd\":\"status\"}");
	st = ctl_recv();
	memset(c, 0, sizeof(*c) * m);
	if (!json_object_object_get_ex(st, "modems", &mods))
		die("modemsim's status has no modems");
	for (unsigned i = 0; i < m && i < json_object_array_length(mods); i++) {
		struct json_object *mo = json_object_array_get_idx(mods, i), *v, *a;
		unsigned k;

		if (!json_object_object_get_ex(mo, "name", &v) ||
		    sscanf(json_object_get_string(v), "modem%u", &k) != 1 || k >= m ||
		    !json_object_object_get_ex(mo, "voice", &v) ||
		    !json_object_object_get_ex(v, "audio", &a))
			die("modemsim's status: no audio counters for modem %u", i);
		c[k].up = jint(a, "frames_up");
		c[k].down = jint(a, "frames_down");
		c[k].under = jint(a, "uplink_underruns");
		c[k].over = jint(a, "uplink_overflow_frames");
		c[k].down_dropped = jint(a, "downlink_dropped_frames");
		c[k].stalled = jint(a, "stalled_frames");
		c[k].nmea = jint(a, "nmea_lines");
	}
	json_object_put(st);
}

/* ---- Phones ---- */

static void phone_tone(const char *phone, double hz)
{
	ctl("{\"cmd\":\"play\",\"phone\":\"%s\",\"tone\":%.0f,\"dbfs\":-10}", phone, hz);
}

/* What a phone heard since it was last cleared (caller frees). */
static int16_t *heard(const char *phone, size_t *n)
{
	SF_INFO info = {0};
	SNDFILE *f;
	int16_t *s;

	ctl("{\"cmd\":\"heard\",\"phone\":\"%s\",\"wav\":\"%s\",\"clear\":true}", phone, heard_wav);
	f = sf_open(heard_wav, SFM_READ, &info);
	if (!f || info.channels != 1)
		die("cannot read %s", heard_wav);
	s = calloc((size_t)info.frames + 1, sizeof(*s));
	*n = (size_t)sf_readf_short(f, s, info.frames);
	sf_close(f);
	return s;
}

static int16_t chirp_ref[CHIRP_SAMPLES];

static void make_chirp(void)
{
	const double f0 = 300, f1 = 3400, T = (double)CHIRP_SAMPLES / 8000;
	SF_INFO in = {
	    .samplerate = 8000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
	SNDFILE *f;

	for (size_t i = 0; i < CHIRP_SAMPLES; i++) {
		double t = (double)i / 8000;

		chirp_ref[i] =
		    (int16_t)lrint(10362 * sin(2 * M_PI * (f0 * t + (f1 - f0) * t * t / (2 * T))));
	}
	f = sf_open(chirp_wav, SFM_WRITE, &in);
	if (!f)
		die("cannot write %s", chirp_wav);
	sf_writef_short(f, chirp_ref, CHIRP_SAMPLES);
	sf_close(f);
}

/* ---- Speech-like audio: what the phones say during the calls ---- */

static uint32_t seed = 12345;

static double rnd(void)
{
	seed = seed * 1664525u + 1013904223u;
	return (seed >> 8) / 8388608.0 - 1.0;
}

/* One talker as bench_recording makes them: harmonics of a drifting pitch f0 weighted by
 * three formants, under a 4 Hz syllable envelope, with breath noise; spurts of 1-4 s and
 * pauses of 0.5-2.5 s; the line's noise floor (±30, −63 dBFS) throughout. */
static void make_speech(const char *path, double f0_base, double secs)
{
	SF_INFO in = {
	    .samplerate = 8000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
	size_t n = (size_t)(secs * 8000);
	int16_t *s = malloc(n * sizeof(*s));
	double phase = 0, until = 0;
	bool talking = false;
	SNDFILE *f;

	if (!s)
		die("out of memory");
	for (size_t i = 0; i < n; i++) {
		double sec = (double)i / 8000, v = rnd() * 30;

		if (sec >= until) {
			talking = !talking;
			until = sec + (talking ? 2.5 + 1.5 * rnd() : 1.5 + rnd());
		}
		if (talking) {
			double f0 = f0_base * (1 + 0.12 * sin(2 * M_PI * 0.7 * sec));
			double f1 = 500 + 200 * sin(2 * M_PI * 3.1 * sec), x = 0;
			double env = 0.5 * (1 + sin(2 * M_PI * 4 * sec));

			phase += 2 * M_PI * f0 / 8000;
			for (int h = 1; h * f0 < 3800; h++) {
				double fh = h * f0;

				x += (exp(-pow((fh - f1) / 250, 2)) +
				      0.5 * exp(-pow((fh - 1500) / 400, 2)) +
				      0.25 * exp(-pow((fh - 2600) / 500, 2))) *
				     sin(h * phase);
			}
			v += env * env * (5000 * x + 300 * rnd());
		}
		s[i] = (int16_t)fmax(-32768, fmin(32767, lrint(v)));
	}
	f = sf_open(path, SFM_WRITE, &in);
	if (!f || sf_writef_short(f, s, (sf_count_t)n) != (sf_count_t)n)
		die("cannot write %s", path);
	sf_close(f);
	free(s);
}

static char speech_wav[ROLES][128];

static void phone_speak(const char *phone, enum role r)
{
	ctl("{\"cmd\":\"play\",\"phone\":\"%s\",\"wav\":\"%s\"}", phone, speech_wav[r]);
}

/* The lag (samples) of the best match of the chirp in s[0..n), -1 when none; *quality:
 * the normalised correlation there (1: the chirp alone, undistorted). */
static int best_lag(const int16_t *s, size_t n, double *quality)
{
	double best = 0, eref = 0;
	int lag = -1;

	for (size_t i = 0; i < CHIRP_SAMPLES; i++)
		eref += (double)chirp_ref[i] * chirp_ref[i];
	for (size_t k = 0; k + CHIRP_SAMPLES <= n && k < MAX_LAG; k++) {
		double c = 0;

		for (size_t i = 0; i < CHIRP_SAMPLES; i++)
			c += (double)s[k + i] * chirp_ref[i];
		if (c > best) {
			best = c;
			lag = (int)k;
		}
	}
	*quality = 0;
	if (lag >= 0) {
		double e = 0;

		for (size_t i = 0; i < CHIRP_SAMPLES; i++)
			e += (double)s[lag + i] * s[lag + i];
		*quality = e > 0 ? best / sqrt(eref * e) : 0;
	}
	return lag;
}

/* ---- The delay through the bridge ---- */

struct meas {
	double total_ms, floor_ms, quality;
	bool catch_up; /* modemsim took more than one frame at the first tick seen */
};
static struct meas meas[MAX_MEAS];
static unsigned n_meas, n_lost;

/* The guardian of call i says the chirp; the coach's recording gives the lag. */
static void measure_delay(unsigned i)
{
	const char *g = teams[i].phone[GUARDIAN], *c = teams[i].phone[COACH];
	long long prev_mid = -1, ta = -1, tb = -1, start;
	long long na = 0, nb = 0;
	struct meas *m = &meas[n_meas];
	int16_t *s;
	size_t n;
	int lag;

	ctl_send("{\"cmd\":\"play\",\"phone\":\"%s\",\"wav\":\"%s\",\"clear_heard\":true}\n"
		 "{\"cmd\":\"heard\",\"phone\":\"%s\",\"clear\":true}",
		 g, chirp_wav, c);
	json_object_put(ctl_recv());
	json_object_put(ctl_recv());
	/* Each phone's first tick since: when its recording first holds a frame. */
	start = mono_us();
	while ((ta < 0 || tb < 0) && mono_us() - start < 200000) {
		long long t0 = mono_us(), t1, mid;
		struct json_object *ra, *rb;

		ctl_send(
		    "{\"cmd\":\"heard\",\"phone\":\"%s\"}\n{\"cmd\":\"heard\",\"phone\":\"%s\"}", g,
		    c);
		ra = ctl_recv();
		rb = ctl_recv();
		t1 = mono_us();
		mid = (t0 + t1) / 2;
		if (ta < 0 && (na = jint(ra, "samples")) > 0)
			ta = prev_mid < 0 ? mid : (prev_mid + mid) / 2;
		if (tb < 0 && (nb = jint(rb, "samples")) > 0)
			tb = prev_mid < 0 ? mid : (prev_mid + mid) / 2;
		json_object_put(ra);
		json_object_put(rb);
		prev_mid = mid;
		usleep(150);
	}
	sleep_ms(CHIRP_SAMPLES / 8 + MAX_LAG / 8 + 100);
	s = heard(c, &n);
	phone_speak(g, GUARDIAN);
	if (ta < 0 || tb < 0) {
		free(s);
		fprintf(stderr, "bench_calls: call %u: no audio tick within 200 ms\n", i);
		n_lost++;
		return;
	}
	lag = best_lag(s, n, &m->quality);
	free(s);
	if (lag < 0 || m->quality < 0.4) {
		fprintf(stderr,
			"bench_calls: call %u: the chirp was not found in the coach's recording "
			"(lag %d, correlation %.2f)\n",
			i, lag, m->quality);
		n_lost++;
		return;
	}
	{
		double d = (double)(tb - ta) / 1000.0;

		m->total_ms = d + lag / 8.0;
		m->floor_ms = fmod(fmod(d, 20.0) + 20.0, 20.0);
		if (m->floor_ms <= 0.0)
			m->floor_ms = 20.0;
		m->catch_up = na > 160 || nb > 160;
	}
	if (n_meas < MAX_MEAS - 1)
		n_meas++;
}

/* ---- Audio check: everyone hears the other two ---- */

static unsigned audio_check(char *failures, size_t cap)
{
	unsigned ok = 0;
	size_t used = 0;

	failures[0] = '\0';
	/* Each party says its tone now, so that who hears whom can be told apart. */
	for (unsigned i = 0; i < n_calls; i++)
		for (int r = 0; r < ROLES; r++)
			phone_tone(teams[i].phone[r], role_hz[r]);
	sleep_ms(200);
	for (unsigned i = 0; i < n_calls; i++)
		for (int r = 0; r < ROLES; r++)
			ctl("{\"cmd\":\"heard\",\"phone\":\"%s\",\"clear\":true}",
			    teams[i].phone[r]);
	sleep_ms(1000);
	for (unsigned i = 0; i < n_calls; i++) {
		bool good = true;

		for (int r = 0; r < ROLES; r++) {
			size_t n;
			int16_t *s = heard(teams[i].phone[r], &n);

			for (int o = 0; o < ROLES && n >= 4000; o++) {
				double db = tone_db(s + n - 4000, 4000, role_hz[o]);

				if ((o != r && db < -20) || (o == r && db > -40)) {
					good = false;
					used += (size_t)snprintf(
					    failures + used, used < cap ? cap - used : 0,
					    " call %u: the %s heard the %s at %.1f dB;", i,
					    role_names[r], role_names[o], db);
				}
			}
			if (n < 4000) {
				good = false;
				used += (size_t)snprintf(
				    failures + used, used < cap ? cap - used : 0,
				    " call %u: the %s heard %zu samples;", i, role_names[r], n);
			}
			free(s);
		}
		ok += good;
	}
	return ok;
}

/* ---- Setting up the calls ---- */

static void place_calls(void)
{
	long long deadline;

	for (unsigned i = 0; i < n_calls; i++) {
		sql_str(teams[i].student_handle, sizeof(teams[i].student_handle),
			"SELECT handle FROM persons WHERE phone = '%s'", teams[i].phone[STUDENT]);
		if (!teams[i].student_handle[0])
			die("the import did not bring in the student %s", teams[i].phone[STUDENT]);
		for (int r = 0; r < ROLES; r++) {
			ctl("{\"cmd\":\"auto-answer\",\"phone\":\"%s\",\"rings\":1}",
			    teams[i].phone[r]);
			phone_speak(teams[i].phone[r], (enum role)r);
		}
	}
	for (unsigned i = 0; i < n_calls; i++)
		ctl("{\"cmd\":\"send\",\"from\":\"%s\",\"to\":\"+%lld\",\"text\":\"CALL @%s\"}",
		    teams[i].phone[COACH], MSISDN_BASE + i, teams[i].student_handle);
	/* Every call placed, and each with its three legs bridged. */
	deadline = now_ms() + 120000 + 5000LL * n_calls;
	for (;;) {
		long long bridged = sql_ll(
		    "SELECT count(*) FROM (SELECT call_id FROM call_events WHERE kind = 'bridged'"
		    " GROUP BY call_id HAVING count(*) >= 3)");
		long long ended = sql_ll("SELECT count(*) FROM call_events WHERE kind = 'end'");

		if (bridged == n_calls)
			break;
		check_daemon("while the calls were set up");
		if (ended > 0 || now_ms() > deadline) {
			char detail[512];

			sql_str(
			    detail, sizeof(detail),
			    "SELECT group_concat(call_id || ': ' || detail, '; ') FROM call_events"
			    " WHERE kind = 'end'");
			log_tail(60);
			die("%lld of %u calls bridged, %lld ended (%s)", bridged, n_calls, ended,
			    detail);
		}
		sleep_ms(200);
	}
	for (unsigned i = 0; i < n_calls; i++) {
		struct team *t = &teams[i];
		static const char *const leg_role[ROLES] = {"guardian", "callee", "caller"};

		t->call_id = sql_ll("SELECT l.call_id FROM call_legs l WHERE l.role = 'caller' AND"
				    " l.number = '%s'",
				    t->phone[COACH]);
		for (int r = 0; r < ROLES; r++) {
			char modem[32];

			sql_str(modem, sizeof(modem),
				"SELECT modem FROM call_legs WHERE call_id = %lld AND role = '%s'",
				t->call_id, leg_role[r]);
			if (sscanf(modem, "modem%d", &t->modem[r]) != 1)
				die("call %lld has no %s leg", t->call_id, leg_role[r]);
		}
	}
}

/* ---- Report ---- */

static void report_recordings(void)
{
	double bytes = 0, dur_ms = 0, fin[MAX_CALLS], logged[MAX_CALLS];
	unsigned n_fin = 0, n_logged = 0;
	long long min_b = -1, max_b = 0, channels = 0;
	char *log = read_all(logpath, NULL), *p;

	for (unsigned i = 0; i < n_calls; i++) {
		long long id = teams[i].call_id,
			  b = sql_ll("SELECT bytes FROM call_recordings WHERE call_id = %lld", id),
			  d = sql_ll("SELECT duration_ms FROM call_recordings WHERE call_id = %lld",
				     id),
			  at = sql_ll("SELECT at FROM call_recordings WHERE call_id = %lld", id),
			  left = sql_ll("SELECT max(at) FROM call_events WHERE call_id = %lld AND"
					" kind = 'left'",
					id);

		channels = sql_ll("SELECT channels FROM call_recordings WHERE call_id = %lld", id);
		bytes += (double)b;
		dur_ms += (double)d;
		if (min_b < 0 || b < min_b)
			min_b = b;
		if (b > max_b)
			max_b = b;
		if (left > 0 && at >= left)
			fin[n_fin++] = (double)(at - left);
	}
	for (p = log; p && (p = strstr(p, "recording finished in ")) && n_logged < MAX_CALLS; p++)
		if (sscanf(p, "recording finished in %lf ms", &logged[n_logged]) == 1)
			n_logged++;
	free(log);
	printf("| recordings | %u FLAC, %lld channels, %.1f call-minutes in all |\n", n_calls,
	       channels, dur_ms / 60000.0);
	printf("| bytes per call-hour | %.1f MB (%.0f kbit/s); per call %.2f to %.2f MB |\n",
	       bytes / (dur_ms / 3.6e6) / 1e6, bytes * 8 / dur_ms, (double)min_b / 1e6,
	       (double)max_b / 1e6);
	printf("| finish: last 'left' event to call_recordings row, p50 / max | %.0f / %.0f ms "
	       "(%u calls) |\n",
	       pct(fin, n_fin, 50), pct(fin, n_fin, 100), n_fin);
	if (n_logged)
		printf("| finish (encode, fsync, hash, rename) as chaperoned logs it, p50 / max | "
		       "%.1f / %.1f ms: %.0f× real time at p50 |\n",
		       pct(logged, n_logged, 50), pct(logged, n_logged, 100),
		       dur_ms / n_calls / pct(logged, n_logged, 50));
	else
		printf("| finish as chaperoned logs it | no \"recording finished in\" line (an "
		       "older chaperoned) |\n");
}

int main(int argc, char **argv)
{
	static struct counters c0[3 * MAX_CALLS], c1[3 * MAX_CALLS];
	unsigned m, ok;
	char nbuf[8], failures[4096];
	double cpu0, cpu1, sim0, sim1, wall, call_min, expected, hang_expected = 0;
	unsigned long long busy0, total0, busy1, total1;
	long long t0, t1, under = 0, over = 0, dropped = 0, stalled = 0, up = 0, nmea = 0,
			  worst = 0, hang_under = 0, hang_over = 0;
	double load[3] = {0};

	harness_build_dir = argc > 1 ? argv[1] : BENCH_BUILD_DIR;
	if (argc > 2)
		n_calls = (unsigned)atoi(argv[2]);
	if (argc > 3)
		seconds = (unsigned)atoi(argv[3]);
	if (n_calls < 1 || n_calls > MAX_CALLS || seconds < 10) {
		fprintf(stderr, "usage: bench_calls [BUILD_DIR [N(1-%d) [SECONDS(>=10)]]]\n",
			MAX_CALLS);
		return 2;
	}
	m = 3 * n_calls;
	snprintf(dir, sizeof(dir), "/tmp/bench-calls-XXXXXX");
	if (!mkdtemp(dir))
		die("mkdtemp: %s", strerror(errno));
	snprintf(db, sizeof(db), "%s/archive.db", dir);
	snprintf(cfg, sizeof(cfg), "%s/chaperoned.cfg", dir);
	snprintf(logpath, sizeof(logpath), "%s/chaperoned.log", dir);
	snprintf(chirp_wav, sizeof(chirp_wav), "%s/chirp.wav", dir);
	snprintf(heard_wav, sizeof(heard_wav), "%s/heard.wav", dir);
	make_chirp();
	/* Long enough for the set-up, the window, the check and the hang-ups. */
	for (int r = 0; r < ROLES; r++) {
		static const double f0[ROLES] = {200, 240, 110};

		snprintf(speech_wav[r], sizeof(speech_wav[r]), "%s/speech-%s.wav", dir,
			 role_names[r]);
		make_speech(speech_wav[r], f0[r], seconds + 150 + 4.0 * n_calls);
	}
	roster();
	snprintf(nbuf, sizeof(nbuf), "%u", m);
	sim = sim_start("-n", nbuf, "--model", "EC25", "--ring-ms", "1000", "--submit-ms", "200",
			"--deliver-ms", "100", NULL);
	if (!sim)
		die("modemsim did not start");
	ctl_open();
	write_config();
	start_daemon();
	if (sqlite3_open_v2(db, &ro, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		die("%s: cannot open read-only", db);
	sqlite3_busy_timeout(ro, 5000);
	printf("bench_calls: %u relayed calls (guardian, student, coach) on %u EC25 modems, "
	       "%u s bridged; %ld cores\n\n",
	       n_calls, m, seconds, sysconf(_SC_NPROCESSORS_ONLN));
	fflush(stdout);
	place_calls();

	/* The window. */
	sleep_ms(2000);
	getloadavg(load, 3);
	snapshot(c0);
	machine_cpu(&busy0, &total0);
	cpu0 = proc_cpu_s(daemon_pid);
	sim0 = proc_cpu_s(sim->pid);
	t0 = mono_us();
	for (unsigned k = 0; mono_us() - t0 + 1500000 < seconds * 1000000LL; k++) {
		measure_delay(k % n_calls);
		check_daemon("during the bridged window");
	}
	while (mono_us() - t0 < seconds * 1000000LL)
		sleep_ms(10);
	cpu1 = proc_cpu_s(daemon_pid);
	sim1 = proc_cpu_s(sim->pid);
	t1 = mono_us();
	machine_cpu(&busy1, &total1);
	snapshot(c1);
	ok = audio_check(failures, sizeof(failures));

	/* Hang up one call at a time; the others go on. */
	for (unsigned i = 0; i < n_calls; i++) {
		struct counters before[3 * MAX_CALLS], after[3 * MAX_CALLS];
		long long ts = mono_us();

		snapshot(before);
		ctl("{\"cmd\":\"hangup\",\"phone\":\"%s\"}", teams[i].phone[COACH]);
		teams[i].hung_up = true;
		sleep_ms(SPACING_MS);
		snapshot(after);
		for (unsigned j = i + 1; j < n_calls; j++)
			for (int r = 0; r < ROLES; r++) {
				int k = teams[j].modem[r];

				hang_under += after[k].under - before[k].under;
				hang_over += after[k].over - before[k].over;
			}
		hang_expected += (double)(mono_us() - ts) / 1e6 * 50 * 3 * (n_calls - 1 - i);
		check_daemon("while the calls were hung up");
	}
	for (long long deadline = now_ms() + 120000;;) {
		long long n = sql_ll("SELECT count(*) FROM call_recordings");

		if (n == n_calls)
			break;
		check_daemon("while the recordings were finished");
		if (now_ms() > deadline)
			die("%lld of %u recordings after the calls ended, 120 s", n, n_calls);
		sleep_ms(200);
	}

	/* The figures. */
	wall = (double)(t1 - t0) / 1e6;
	call_min = wall / 60 * n_calls;
	expected = wall * 50 * m;
	for (unsigned k = 0; k < m; k++) {
		long long u = c1[k].under - c0[k].under;

		under += u;
		if (u > worst)
			worst = u;
		over += c1[k].over - c0[k].over;
		dropped += c1[k].down_dropped - c0[k].down_dropped;
		stalled += c1[k].stalled - c0[k].stalled;
		up += c1[k].up - c0[k].up;
		nmea += c1[k].nmea - c0[k].nmea;
	}
	printf(
	    "Bridged window: %.1f s, %u calls × 3 legs = %.1f call-minutes; machine %.0f %% busy "
	    "(all cores), load average %.2f at the start\n\n",
	    wall, n_calls, call_min, 100.0 * (double)(busy1 - busy0) / (double)(total1 - total0),
	    load[0]);
	printf("| figure | value |\n|---|---|\n");
	printf("| chaperoned CPU in the window | %.2f s = %.0f ms per call-minute |\n", cpu1 - cpu0,
	       (cpu1 - cpu0) * 1000 / call_min);
	printf("| share of one core per call (limit 1.0: real time) | %.4f |\n",
	       (cpu1 - cpu0) / wall / n_calls);
	printf("| modemsim CPU (for scale: %u modems, 50 frames/s each way) | %.2f s, %.4f of a "
	       "core per call |\n",
	       m, sim1 - sim0, (sim1 - sim0) / wall / n_calls);
	printf("| uplink frames modemsim took / expected (50/s × %u legs) | %lld / %.0f (%.4f) |\n",
	       m, up, expected, (double)up / expected);
	printf("| missed 20 ms deadlines: uplink frames filled with silence | %lld (%.5f of "
	       "expected); worst leg %lld |\n",
	       under, (double)under / expected, worst);
	printf("| uplink frames too many (dropped) / downlink not read / stalled / NMEA lines | "
	       "%lld / %lld / %lld / %lld |\n",
	       over, dropped, stalled, nmea);
	{
		static double add[MAX_MEAS], tot[MAX_MEAS], flr[MAX_MEAS];
		unsigned catch_ups = 0;

		for (unsigned k = 0; k < n_meas; k++) {
			add[k] = meas[k].total_ms - meas[k].floor_ms;
			tot[k] = meas[k].total_ms;
			flr[k] = meas[k].floor_ms;
			catch_ups += meas[k].catch_up;
		}
		printf("| chirp guardian → coach, measurements | %u (%u lost; %u with a modemsim "
		       "catch-up at the first tick) |\n",
		       n_meas, n_lost, catch_ups);
		printf("| delay modem to ear, p50 / p99 / max | %.1f / %.1f / %.1f ms |\n",
		       pct(tot, n_meas, 50), pct(tot, n_meas, 99), pct(tot, n_meas, 100));
		printf("| modemsim's floor (to the coach's modem's next tick), p50 / min / max | "
		       "%.1f / %.1f / %.1f ms |\n",
		       pct(flr, n_meas, 50), pct(flr, n_meas, 0), pct(flr, n_meas, 100));
		printf("| **delay the bridge adds**, p50 / p99 / max | %.1f / %.1f / %.1f ms |\n",
		       pct(add, n_meas, 50), pct(add, n_meas, 99), pct(add, n_meas, 100));
		{
			/* In frames of 20 ms, and over time: does added delay stay once there? */
			unsigned hist[8] = {0};
			double q[4];

			for (unsigned k = 0; k < n_meas; k++) {
				long f = lround((meas[k].total_ms - meas[k].floor_ms) / 20.0);

				hist[f < 0 ? 0 : f > 7 ? 7 : f]++;
			}
			for (unsigned k = 0; k < 4; k++) {
				unsigned a = n_meas * k / 4, b = n_meas * (k + 1) / 4;

				for (unsigned j = a; j < b; j++)
					add[j - a] = meas[j].total_ms - meas[j].floor_ms;
				q[k] = pct(add, b - a, 50);
			}
			printf("| added delay in frames: 0 / 1 / 2 / 3 / 4 / more | %u / %u / %u / "
			       "%u / "
			       "%u / %u |\n",
			       hist[0], hist[1], hist[2], hist[3], hist[4],
			       hist[5] + hist[6] + hist[7]);
			printf("| added delay p50 by quarter of the window | %.0f / %.0f / %.0f / "
			       "%.0f "
			       "ms |\n",
			       q[0], q[1], q[2], q[3]);
		}
		for (unsigned k = 0; k < n_meas; k++)
			tot[k] = meas[k].quality;
		printf("| chirp correlation in the coach's recording, min / p50 | %.2f / %.2f |\n",
		       pct(tot, n_meas, 0), pct(tot, n_meas, 50));
	}
	printf("| audio after the window: calls where every phone heard both others | %u of %u%s%s "
	       "|\n",
	       ok, n_calls, failures[0] ? ":" : "", failures);
	printf("| hang-ups %d ms apart: frames lost by the calls still bridged | %lld silence, "
	       "%lld dropped, of %.0f (%.5f) |\n",
	       SPACING_MS, hang_under, hang_over, hang_expected,
	       hang_expected > 0 ? (double)(hang_under + hang_over) / hang_expected : 0.0);
	report_recordings();
	fflush(stdout);

	/* Stop. */
	{
		int status = -1;
		long long deadline = now_ms() + 30000;

		sqlite3_close(ro);
		kill(daemon_pid, SIGTERM);
		while (waitpid(daemon_pid, &status, WNOHANG) == 0 && now_ms() < deadline)
			sleep_ms(50);
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "bench_calls: chaperoned did not exit cleanly (0x%x)\n",
				status);
			kill(daemon_pid, SIGKILL);
			waitpid(daemon_pid, NULL, 0);
		}
		daemon_pid = 0;
	}
	close(ctl_fd);
	sim_stop(sim);
	sim = NULL;
	if (!getenv("BENCH_KEEP")) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench_calls: could not remove %s\n", dir);
	} else {
		printf("\n(kept %s)\n", dir);
	}
	return 0;
}
