/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* End-to-end harness for the relay: roster import, modemsim, chaperoned, phones. */
#include "tests/e2e/relay_harness.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <sqlite3.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "storage/archive/chain.h"

const char *relay_source_dir = ".";

/* Latencies short enough for many messages per test, long enough that the daemon still
 * sees real asynchronous modems (unless a test chooses its own). */
#define SIM_SUBMIT_MS  20
#define SIM_DELIVER_MS 20
/* A delivery submitted by a modem reaches the phone after deliver_ms; settle waits this
 * much longer than the daemon's queues take to drain (with the default latencies; longer
 * ones add their difference). */
#define SETTLE_MARGIN_MS 150
#define READY_TIMEOUT_MS 30000
#define STOP_TIMEOUT_MS	 20000

void relay_harness_init(int argc, char **argv)
{
	if (argc > 1)
		harness_build_dir = argv[1];
	if (argc > 2)
		relay_source_dir = argv[2];
	/* A phone or the VTY closing on us must fail a read, not kill the test. */
	signal(SIGPIPE, SIG_IGN);
}

void relay_policy_defaults(struct relay_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->guardians_on_team_messages = false;
	p->quiet_hours = NULL;
	p->oversight = "copy";
	p->contact_screen = true;
	p->notice = true;
	p->timezone = "UTC";
	p->modems = 2;
}

void relay_quiet_window_now(char *buf, size_t cap)
{
	time_t now = time(NULL);
	struct tm tm;
	int m, start, end;

	gmtime_r(&now, &tm);
	m = tm.tm_hour * 60 + tm.tm_min;
	start = (m - 120 + 1440) % 1440;
	end = (m + 120) % 1440;
	snprintf(buf, cap, "%02d:%02d %02d:%02d", start / 60, start % 60, end / 60, end % 60);
}

/* ---- Small things ---- */

static void rm_rf(const char *dir)
{
	char cmd[300];

	/* The directory is ours (mkdtemp); a shell is the plainest way to empty it. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "relay harness: could not remove %s\n", dir);
}

/* The file from byte `from` on. */
static char *read_file_from(const char *path, long from)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f) - from;
	fseek(f, from, SEEK_SET);
	buf = malloc((size_t)(n < 0 ? 0 : n) + 1);
	n = (long)fread(buf, 1, (size_t)(n < 0 ? 0 : n), f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static char *read_file(const char *path)
{
	return read_file_from(path, 0);
}

void relay_dump(const struct relay_env *e)
{
	char *log;
	const char *p;
	int lines = 0;

	if (!e)
		return;
	log = read_file(e->log);
	if (!log) {
		fprintf(stderr, "relay harness: no chaperoned log at %s\n", e->log);
		return;
	}
	/* The last 60 lines: enough to see the messages of the step that failed. */
	for (p = log + strlen(log); p > log && lines <= 60; p--)
		if (p[-1] == '\n')
			lines++;
	fprintf(stderr, "---- chaperoned log (tail) ----\n%s\n---- end of log ----\n", p);
	free(log);
}

/* A child that dies with the test: a crashed or aborted test leaves no daemon behind.
 * out_fd and err_fd (if >= 0) become its stdout and stderr. */
/* chaperoned under libfaketime: its wall clock read from `clock` on every call, its
 * monotonic clock (timers) real. ASan must come first among preloaded libraries unless
 * told not to check. */
static void fake_clock_env(const char *clock)
{
#ifdef CHAPERONE_LIBFAKETIME
	const char *asan = getenv("ASAN_OPTIONS");
	char opts[512];

	setenv("LD_PRELOAD", CHAPERONE_LIBFAKETIME, 1);
	setenv("FAKETIME_TIMESTAMP_FILE", clock, 1);
	setenv("FAKETIME_NO_CACHE", "1", 1);
	setenv("FAKETIME_DONT_FAKE_MONOTONIC", "1", 1);
	snprintf(opts, sizeof(opts), "%s%sverify_asan_link_order=0", asan ? asan : "",
		 asan && *asan ? ":" : "");
	setenv("ASAN_OPTIONS", opts, 1);
#else
	(void)clock;
#endif
}

static pid_t spawn_clock(const char *prog, char *const argv[], int out_fd, int err_fd,
			 const char *db, const char *clock);

static pid_t spawn(const char *prog, char *const argv[], int out_fd, int err_fd, const char *db)
{
	return spawn_clock(prog, argv, out_fd, err_fd, db, NULL);
}

static pid_t spawn_clock(const char *prog, char *const argv[], int out_fd, int err_fd,
			 const char *db, const char *clock)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(127);
	if (out_fd >= 0)
		dup2(out_fd, 1);
	if (err_fd >= 0)
		dup2(err_fd, 2);
	/* Only stdin, stdout and stderr: the test's other descriptors (pipes to other
	 * children, the ctl socket) are none of the child's business. */
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	if (db)
		setenv("CHAPERONE_DB", db, 1);
	if (clock && *clock)
		fake_clock_env(clock);
	execv(prog, argv);
	perror("relay harness: exec");
	_exit(127);
}

/* Wait up to ms for a child; returns its wait status, or -1 if it is still running. */
static int wait_child(pid_t pid, int ms)
{
	long long deadline = now_ms() + ms;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -2;
		if (now_ms() >= deadline)
			return -1;
		sleep_ms(10);
	}
}

/* ---- Tools ---- */

int relay_cli(struct relay_env *e, char **out, const char *arg, ...)
{
	const char *argv[64];
	char prog[512], *buf = NULL;
	size_t len = 0, cap = 0;
	int argc = 0, pipefd[2], status;
	long long deadline = now_ms() + 30000;
	va_list ap;
	pid_t pid;

	snprintf(prog, sizeof(prog), "%s/bin/chaperone", harness_build_dir);
	argv[argc++] = prog;
	va_start(ap, arg);
	for (const char *a = arg; a && argc < 62; a = va_arg(ap, const char *))
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	if (pipe(pipefd) < 0)
		RELAY_FAIL(e, "pipe: %s", strerror(errno));
	pid = spawn(prog, (char *const *)argv, pipefd[1], pipefd[1], e->db);
	close(pipefd[1]);
	for (;;) {
		struct pollfd pfd = {.fd = pipefd[0], .events = POLLIN};
		ssize_t r;

		if (now_ms() >= deadline)
			break;
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if (len + 4097 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
		}
		r = read(pipefd[0], buf + len, 4096);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(pipefd[0]);
	if (!buf)
		buf = malloc(1);
	buf[len] = '\0';
	status = wait_child(pid, (int)(deadline - now_ms() > 0 ? deadline - now_ms() : 0));
	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		status = -1;
	} else if (status >= 0) {
		status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	}
	if (out)
		*out = buf;
	else
		free(buf);
	return status;
}

/* Telnet: drop the option negotiation (IAC WILL/WONT/DO/DONT x, IAC SB ... IAC SE). */
static size_t strip_telnet(char *s, size_t n)
{
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c != 0xff) {
			if (c != '\0' && c != '\r')
				s[j++] = (char)c;
			continue;
		}
		if (i + 1 < n && (unsigned char)s[i + 1] == 0xfa) {
			while (i + 1 < n &&
			       !((unsigned char)s[i] == 0xff && (unsigned char)s[i + 1] == 0xf0))
				i++;
			i++;
		} else if (i + 1 < n && (unsigned char)s[i + 1] >= 0xfb) {
			i += 2;
		} else {
			i++;
		}
	}
	s[j] = '\0';
	return j;
}

/* Read from the VTY until its prompt ("chaperoned> " or "chaperoned# ") ends what was
 * read; appends to buf (telnet negotiation removed). False on timeout or close. */
static bool vty_read_prompt(int fd, char *buf, size_t cap, size_t *len, long long deadline)
{
	size_t start = *len;

	while (now_ms() < deadline && *len + 1 < cap) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t r;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		r = read(fd, buf + *len, cap - 1 - *len);
		if (r <= 0)
			return false;
		*len = start + strip_telnet(buf + start, *len - start + (size_t)r);
		if (*len - start >= 2 &&
		    (!strcmp(buf + *len - 2, "> ") || !strcmp(buf + *len - 2, "# ")))
			return true;
		if (*len - start >= 10 && !strcmp(buf + *len - 10, "Password: "))
			return true;
	}
	return false;
}

char *relay_vty(struct relay_env *e, const char *commands)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)e->vty_port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	long long deadline = now_ms() + 10000;
	const char *c = commands;

	buf[0] = '\0';
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	/* One command at a time, each after the prompt: the VTY drops a session's pending
	 * output when the session ends, so what is sent ahead of the prompt can vanish. */
	if (!vty_read_prompt(fd, buf, cap, &len, deadline))
		goto fail;
	/* Log in and enable, as an operator does ('\r' alone: the console takes '\r' and
	 * '\n' each as Enter, and an empty password counts as a wrong one). */
	static const char *const login[] = {RELAY_VTY_LOGIN "\r", "enable\r",
					    RELAY_VTY_ENABLE "\r"};
	for (size_t i = 0; i < ARRAY_SIZE(login); i++)
		if (write(fd, login[i], strlen(login[i])) != (ssize_t)strlen(login[i]) ||
		    !vty_read_prompt(fd, buf, cap, &len, deadline))
			goto fail;
	while (*c) {
		size_t n = strcspn(c, "\n");
		char line[512];

		snprintf(line, sizeof(line), "%.*s\r", (int)(n < 500 ? n : 500), c);
		if (write(fd, line, strlen(line)) != (ssize_t)strlen(line) ||
		    !vty_read_prompt(fd, buf, cap, &len, deadline))
			goto fail;
		c += n;
		if (*c == '\n')
			c++;
	}
	close(fd);
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

static sqlite3 *db_open(struct relay_env *e, bool write)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(e->db, &db, write ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY,
			    NULL) != SQLITE_OK) {
		const char *msg = db ? sqlite3_errmsg(db) : "out of memory";
		RELAY_FAIL(e, "cannot open %s: %s", e->db, msg);
	}
	/* The daemon writes at the same time: wait for its transactions, never fail on them. */
	sqlite3_busy_timeout(db, 5000);
	/* Without the archive's hash functions no record can be added (by design). */
	if (write && chain_register_functions(db) < 0)
		RELAY_FAIL(e, "cannot register the archive's hash functions");
	return db;
}

static char *query(struct relay_env *e, bool *found, const char *sql)
{
	sqlite3 *db = db_open(e, false);
	sqlite3_stmt *st;
	char *v = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", sqlite3_errmsg(db));
		sqlite3_close(db);
		RELAY_FAIL(e, "SQL %s: %s", sql, msg);
	}
	rc = sqlite3_step(st);
	*found = rc == SQLITE_ROW;
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = strdup((const char *)sqlite3_column_text(st, 0));
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		sqlite3_close(db);
		RELAY_FAIL(e, "SQL %s: %s", sql, msg);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static int64_t query_int(struct relay_env *e, const char *sql)
{
	bool found;
	char *v = query(e, &found, sql);
	int64_t n = v ? strtoll(v, NULL, 10) : 0;

	free(v);
	return n;
}

int64_t relay_sql_int(struct relay_env *e, const char *fmt, ...)
{
	va_list ap;
	char *sql;
	int64_t n;

	va_start(ap, fmt);
	sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	n = query_int(e, sql);
	sqlite3_free(sql);
	return n;
}

char *relay_sql_str(struct relay_env *e, const char *fmt, ...)
{
	va_list ap;
	char *sql, *v;
	bool found;

	va_start(ap, fmt);
	sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	v = query(e, &found, sql);
	sqlite3_free(sql);
	if (found && !v)
		v = strdup("");
	return v;
}

void relay_wait_sql_int(struct relay_env *e, int64_t want, int timeout_ms, const char *fmt, ...)
{
	long long deadline = now_ms() + timeout_ms;
	va_list ap;
	char *sql;
	int64_t n;

	va_start(ap, fmt);
	sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	for (;;) {
		n = query_int(e, sql);
		if (n == want || now_ms() >= deadline)
			break;
		sleep_ms(20);
	}
	if (n != want) {
		char copy[1024];
		snprintf(copy, sizeof(copy), "%s", sql);
		sqlite3_free(sql);
		RELAY_FAIL(e, "after %d ms, %s gives %lld, not %lld", timeout_ms, copy,
			   (long long)n, (long long)want);
	}
	sqlite3_free(sql);
}

void relay_sql_exec(struct relay_env *e, const char *fmt, ...)
{
	sqlite3 *db = db_open(e, true);
	char *sql, *err = NULL;
	va_list ap;

	va_start(ap, fmt);
	sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", err ? err : "?");
		sqlite3_free(err);
		sqlite3_free(sql);
		sqlite3_close(db);
		RELAY_FAIL(e, "SQL failed: %s", msg);
	}
	sqlite3_free(sql);
	sqlite3_close(db);
}

/* ---- Starting and stopping ---- */

static struct sim *start_modemsim(struct relay_env *e)
{
	struct sim *s = calloc(1, sizeof(*s));
	char prog[512], line[512], log[160], submit[16], deliver[16];
	int log_fd;
	const char *argv[] = {prog, "-n", e->modems == 3 ? "3" : "2", "--msisdn-base", RELAY_SOCCER,
			      "--submit-ms", submit, "--deliver-ms", deliver,
			      /* Modems that carry calls: phones ring every second, so that
			       * one ring of auto-answer is one second. */
			      e->model[0] ? "--model" : s->dir, e->model[0] ? e->model : NULL,
			      e->model[0] ? "--ring-ms" : NULL, "1000", s->dir, NULL};
	int pipefd[2];
	size_t n = 0;
	long long deadline = now_ms() + 10000;

	/* e->dir is "/tmp/chaperone-relay-XXXXXX": short enough for a socket path. */
	if ((size_t)snprintf(s->dir, sizeof(s->dir), "%.40s/sim", e->dir) >= sizeof(s->dir))
		RELAY_FAIL(e, "directory name too long");
	snprintf(prog, sizeof(prog), "%s/bin/modemsim", harness_build_dir);
	snprintf(submit, sizeof(submit), "%u", e->submit_ms);
	snprintf(deliver, sizeof(deliver), "%u", e->deliver_ms);
	snprintf(log, sizeof(log), "%s/modemsim.log", e->dir);
	log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (pipe(pipefd) < 0)
		RELAY_FAIL(e, "pipe: %s", strerror(errno));
	/* stdout is a pipe for the ready line; the log goes to a file, for failures. */
	s->pid = spawn(prog, (char *const *)argv, pipefd[1], log_fd, NULL);
	if (log_fd >= 0)
		close(log_fd);
	close(pipefd[1]);
	s->stdout_fd = pipefd[0];
	while (now_ms() < deadline) {
		struct pollfd pfd = {.fd = s->stdout_fd, .events = POLLIN};
		ssize_t r;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		r = read(s->stdout_fd, line + n, sizeof(line) - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		line[n] = '\0';
		if (strstr(line, "modemsim ready"))
			return s;
		if (n >= sizeof(line) - 1)
			n = 0;
	}
	sim_stop(s);
	RELAY_FAIL(e, "modemsim did not become ready");
	return NULL;
}

static void write_config(struct relay_env *e, const struct relay_policy *p)
{
	FILE *f = fopen(e->cfg, "w");

	if (!f)
		RELAY_FAIL(e, "cannot write %s: %s", e->cfg, strerror(errno));
	fprintf(f,
		"chaperone\n"
		" district Lakeview Public Schools\n"
		" database %s\n"
		" timezone %s\n"
		"policy\n"
		" guardians-on-team-messages %s\n",
		e->db, p->timezone ? p->timezone : "UTC",
		p->guardians_on_team_messages ? "yes" : "no");
	if (p->quiet_hours)
		fprintf(f, " quiet-hours %s\n", p->quiet_hours);
	else
		fprintf(f, " no quiet-hours\n");
	fprintf(f,
		" oversight %s\n"
		" contact-screen %s\n"
		" notice %s\n"
		"modem modem0\n"
		" device %s/modem0\n"
		" relay-number " RELAY_SOCCER "\n"
		"modem modem1\n"
		" device %s/modem1\n"
		" relay-number " RELAY_ROBOTICS "\n"
		"%s%s%s"
		"%s"
		"password " RELAY_VTY_LOGIN "\n"
		"enable password " RELAY_VTY_ENABLE "\n"
		"line vty\n"
		" bind 127.0.0.1 %d\n",
		p->oversight ? p->oversight : "copy", p->contact_screen ? "yes" : "no",
		p->notice ? "yes" : "no", e->sim->dir, e->sim->dir,
		e->modems == 3 ? "modem modem2\n device " : "", e->modems == 3 ? e->sim->dir : "",
		e->modems == 3 ? "/modem2\n relay-number " RELAY_BUILDING "\n" : "",
		p->extra_config ? p->extra_config : "", e->vty_port);
	fclose(f);
}

static void load_phones(struct relay_env *e)
{
	sqlite3 *db = db_open(e, false);
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db,
			       "SELECT phone FROM persons WHERE phone IS NOT NULL AND phone <> ''",
			       -1, &st, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		RELAY_FAIL(e, "cannot list the directory's phones");
	}
	while (sqlite3_step(st) == SQLITE_ROW && e->n_phones < RELAY_MAX_PHONES)
		snprintf(e->phones[e->n_phones++], sizeof(e->phones[0]), "%s",
			 (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* Start-up failed: end what was started, so that the next group starts clean. */
static void give_up(struct relay_env *e)
{
	if (e->pid > 0) {
		kill(e->pid, SIGKILL);
		waitpid(e->pid, NULL, 0);
	}
	if (e->sim)
		sim_stop(e->sim);
	rm_rf(e->dir);
	free(e);
}

struct relay_env *relay_prepare(const char *fixture, const struct relay_policy *p)
{
	struct relay_env *e = calloc(1, sizeof(*e));
	char path[512], *out = NULL;
	int rc;

	snprintf(e->dir, sizeof(e->dir), "/tmp/chaperone-relay-XXXXXX");
	if (!mkdtemp(e->dir)) {
		free(e);
		fail_msg("mkdtemp: %s", strerror(errno));
	}
	/* The ports' lock files (modem/driver/serial_lock.h) stay in the test's directory:
	 * a crash test's SIGKILL leaves them behind, and /run/lock is the machine's. */
	snprintf(path, sizeof(path), "%s/lock", e->dir);
	if (mkdir(path, 0700) == 0)
		setenv("CHAPERONE_LOCK_DIR", path, 1);
	snprintf(e->db, sizeof(e->db), "%s/district.db", e->dir);
	snprintf(e->cfg, sizeof(e->cfg), "%s/chaperoned.cfg", e->dir);
	snprintf(e->log, sizeof(e->log), "%s/chaperoned.log", e->dir);
	snprintf(path, sizeof(path), "%s/%s", relay_source_dir, fixture);
	rc = relay_cli(e, &out, "roster", "import", "--db", e->db, path, NULL);
	if (rc != 0) {
		fprintf(stderr, "%s\n", out);
		free(out);
		give_up(e);
		fail_msg("chaperone roster import %s exited %d", path, rc);
		return NULL; /* not reached: fail_msg jumps out */
	}
	free(out);
	load_phones(e);
	e->modems = p->modems == 3 ? 3 : 2;
	e->submit_ms = p->submit_ms ? p->submit_ms : SIM_SUBMIT_MS;
	snprintf(e->model, sizeof(e->model), "%s", p->model ? p->model : "");
	e->deliver_ms = p->deliver_ms ? p->deliver_ms : SIM_DELIVER_MS;
	if (p->fake_clock) {
#ifndef CHAPERONE_LIBFAKETIME
		give_up(e);
		fail_msg("libfaketime was not found when the tests were configured");
#endif
		snprintf(e->clock, sizeof(e->clock), "%s/clock", e->dir);
		relay_clock(e, "+0");
	}
	e->sim = start_modemsim(e);
	e->vty_port = harness_free_port();
	if (e->vty_port <= 0) {
		give_up(e);
		fail_msg("no free TCP port for the VTY");
		return NULL; /* not reached: fail_msg jumps out */
	}
	write_config(e, p);
	return e;
}

static bool modems_ready(struct relay_env *e)
{
	char *out = relay_vty(e, "show modems");
	bool ok = out && strstr(out, "modem0 " RELAY_SOCCER " ready") &&
		  strstr(out, "modem1 " RELAY_ROBOTICS " ready") &&
		  (e->modems < 3 || strstr(out, "modem2 " RELAY_BUILDING " ready"));

	free(out);
	return ok;
}

bool relay_wait_ready(struct relay_env *e, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	bool said_ready = false;

	for (;;) {
		int status = wait_child(e->pid, 0);

		if (status >= 0 || status == -2) {
			e->pid = 0;
			relay_dump(e);
			give_up(e);
			fail_msg("chaperoned exited during start-up (wait status 0x%x)", status);
			return false; /* not reached: fail_msg jumps out */
		}
		if (!said_ready) {
			char *log = read_file_from(e->log, e->log_mark);
			said_ready = log && strstr(log, "chaperoned ready");
			free(log);
		}
		/* Ready means both modems took their set-up: until then a text to a relay
		 * number would wait in the network and the first test would time out. */
		if (said_ready && modems_ready(e))
			return true;
		if (now_ms() >= deadline)
			return false;
		sleep_ms(50);
	}
}

bool relay_launch_within(struct relay_env *e, int timeout_ms)
{
	char prog[512];
	const char *argv[] = {prog, "-c", e->cfg, NULL};
	struct stat st;
	int fd;

	if (e->pid > 0)
		RELAY_FAIL(e, "chaperoned is running already (pid %d)", (int)e->pid);
	fd = open(e->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd < 0)
		RELAY_FAIL(e, "cannot create %s: %s", e->log, strerror(errno));
	/* After a restart the log holds the last run's "ready": only what follows counts. */
	e->log_mark = fstat(fd, &st) == 0 ? (long)st.st_size : 0;
	snprintf(prog, sizeof(prog), "%s/bin/chaperoned", harness_build_dir);
	e->pid = spawn_clock(prog, (char *const *)argv, fd, fd, NULL, e->clock);
	close(fd);
	return relay_wait_ready(e, timeout_ms);
}

void relay_launch(struct relay_env *e)
{
	if (relay_launch_within(e, READY_TIMEOUT_MS))
		return;
	relay_dump(e);
	give_up(e);
	fail_msg("chaperoned or its modems not ready within %d ms", READY_TIMEOUT_MS);
}

struct relay_env *relay_start(const char *fixture, const struct relay_policy *p)
{
	struct relay_env *e = relay_prepare(fixture, p);

	relay_launch(e);
	return e;
}

/* The installation the running cmocka group started. */
static struct relay_env *group_env;

struct relay_env *relay_group_begin(const char *fixture, const struct relay_policy *p)
{
	group_env = relay_start(fixture, p);
	return group_env;
}

int relay_group_end(void **state)
{
	(void)state;
	relay_stop(group_env);
	group_env = NULL;
	return 0;
}

int relay_test_setup(void **state)
{
	(void)state;
	relay_clear(group_env);
	return 0;
}

int relay_test_teardown(void **state)
{
	(void)state;
	relay_test_finish(group_env);
	return 0;
}

int relay_kill(struct relay_env *e, int sig)
{
	int status;

	if (e->pid <= 0)
		return -1;
	kill(e->pid, sig);
	status = wait_child(e->pid, sig == SIGKILL ? READY_TIMEOUT_MS : STOP_TIMEOUT_MS);
	if (status == -1) {
		kill(e->pid, SIGKILL);
		waitpid(e->pid, &status, 0);
	}
	e->pid = 0;
	return status;
}

void relay_stop(struct relay_env *e)
{
	int status = 0;

	if (!e)
		return;
	if (e->pid > 0) {
		kill(e->pid, SIGTERM);
		status = wait_child(e->pid, STOP_TIMEOUT_MS);
		if (status == -1) {
			kill(e->pid, SIGKILL);
			waitpid(e->pid, &status, 0);
			relay_dump(e);
			fprintf(stderr, "relay harness: chaperoned did not stop on SIGTERM\n");
			status = -1;
		}
		e->pid = 0;
	}
	if (e->sim)
		sim_stop(e->sim);
	e->sim = NULL;
	if (status != 0 && !(status > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		relay_dump(e);
		fprintf(stderr, "relay harness: chaperoned ended with wait status 0x%x\n", status);
		rm_rf(e->dir);
		free(e);
		fail_msg("chaperoned did not exit 0 on SIGTERM");
	}
	rm_rf(e->dir);
	free(e);
}

/* ---- Phones ---- */

void relay_text(struct relay_env *e, const char *from, const char *relay, const char *text)
{
	struct json_object *req = json_object_new_object(), *resp, *ok;
	bool good;

	json_object_object_add(req, "cmd", json_object_new_string("send"));
	json_object_object_add(req, "from", json_object_new_string(from));
	json_object_object_add(req, "to", json_object_new_string(relay));
	json_object_object_add(req, "text", json_object_new_string(text));
	resp = sim_ctl(e->sim, "%s", json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN));
	good = resp && json_object_object_get_ex(resp, "ok", &ok) && json_object_get_boolean(ok);
	json_object_put(req);
	json_object_put(resp);
	if (!good)
		RELAY_FAIL(e, "modemsim would not send \"%s\" from %s to %s", text, from, relay);
	e->n_sent++;
}

void relay_inbox_free(struct relay_inbox *in)
{
	for (unsigned i = 0; i < in->n; i++) {
		free(in->text[i]);
		free(in->from[i]);
	}
	in->n = 0;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

/* All phones' messages (phone NULL) or one phone's, as modemsim's inbox shows them. */
static struct json_object *inbox_json(struct relay_env *e, const char *phone, bool clear)
{
	struct json_object *req = json_object_new_object(), *resp, *ok;

	json_object_object_add(req, "cmd", json_object_new_string("inbox"));
	if (phone)
		json_object_object_add(req, "phone", json_object_new_string(phone));
	if (clear)
		json_object_object_add(req, "clear", json_object_new_boolean(1));
	resp = sim_ctl(e->sim, "%s", json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN));
	json_object_put(req);
	if (!resp || !json_object_object_get_ex(resp, "ok", &ok) || !json_object_get_boolean(ok)) {
		json_object_put(resp);
		RELAY_FAIL(e, "modemsim inbox request failed");
	}
	return resp;
}

unsigned relay_inbox(struct relay_env *e, const char *phone, struct relay_inbox *out)
{
	struct json_object *resp = inbox_json(e, phone, false), *msgs;
	unsigned n = 0;

	if (out)
		out->n = 0;
	if (json_object_object_get_ex(resp, "messages", &msgs)) {
		unsigned all = (unsigned)json_object_array_length(msgs);
		for (unsigned i = 0; i < all; i++) {
			struct json_object *m = json_object_array_get_idx(msgs, i), *c;
			/* A long reply arrives part by part: until its last part is in, the
			 * phone does not have it yet. */
			if (json_object_object_get_ex(m, "complete", &c) &&
			    !json_object_get_boolean(c))
				continue;
			n++;
			if (!out || out->n >= RELAY_INBOX_MAX)
				continue;
			out->text[out->n] = strdup(jstr(m, "text"));
			out->from[out->n] = strdup(jstr(m, "from"));
			out->n++;
		}
	}
	json_object_put(resp);
	return n;
}

static void print_inbox(const char *phone, const struct relay_inbox *in)
{
	fprintf(stderr, "%s has %u message%s:\n", phone, in->n, in->n == 1 ? "" : "s");
	for (unsigned i = 0; i < in->n; i++)
		fprintf(stderr, "  from %s: %s\n", in->from[i], in->text[i]);
}

unsigned relay_wait_inbox(struct relay_env *e, const char *phone, unsigned n, int timeout_ms,
			  struct relay_inbox *out)
{
	long long deadline = now_ms() + timeout_ms;
	unsigned have;

	for (;;) {
		have = relay_inbox(e, phone, NULL);
		if (have >= n || now_ms() >= deadline)
			break;
		sleep_ms(20);
	}
	if (have < n) {
		struct relay_inbox in = {0};
		relay_inbox(e, phone, &in);
		print_inbox(phone, &in);
		relay_inbox_free(&in);
		RELAY_FAIL(e, "%s got %u message(s) within %d ms, expected %u", phone, have,
			   timeout_ms, n);
	}
	if (out)
		relay_inbox(e, phone, out);
	return have;
}

char *relay_expect(struct relay_env *e, const char *phone, const char *needle, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	struct relay_inbox in = {0};

	for (;;) {
		relay_inbox(e, phone, &in);
		for (unsigned i = 0; i < in.n; i++) {
			if (strstr(in.text[i], needle)) {
				char *hit = strdup(in.text[i]);
				relay_inbox_free(&in);
				return hit;
			}
		}
		if (now_ms() >= deadline)
			break;
		relay_inbox_free(&in);
		sleep_ms(20);
	}
	print_inbox(phone, &in);
	relay_inbox_free(&in);
	RELAY_FAIL(e, "%s got no message containing \"%s\" within %d ms", phone, needle,
		   timeout_ms);
	return NULL;
}

void relay_expect_all_(struct relay_env *e, const char *needle, int timeout_ms,
		       const char *const *phones)
{
	for (const char *const *p = phones; *p; p++)
		free(relay_expect(e, *p, needle, timeout_ms));
}

void relay_assert_count(struct relay_env *e, const char *phone, unsigned n)
{
	struct relay_inbox in = {0};

	if (relay_inbox(e, phone, &in) != n) {
		print_inbox(phone, &in);
		relay_inbox_free(&in);
		RELAY_FAIL(e, "%s: expected exactly %u message(s)", phone, n);
	}
	relay_inbox_free(&in);
}

void relay_assert_nothing(struct relay_env *e, const char *phone, int ms)
{
	long long deadline = now_ms() + ms;

	do {
		struct relay_inbox in = {0};
		struct json_object *resp = inbox_json(e, phone, false), *msgs;
		bool any = json_object_object_get_ex(resp, "messages", &msgs) &&
			   json_object_array_length(msgs) > 0;

		json_object_put(resp);
		if (any) {
			relay_inbox(e, phone, &in);
			print_inbox(phone, &in);
			relay_inbox_free(&in);
			RELAY_FAIL(e, "%s should have got nothing", phone);
		}
		sleep_ms(20);
	} while (now_ms() < deadline);
}

struct json_object *relay_inbox_json(struct relay_env *e, const char *phone)
{
	return inbox_json(e, phone, false);
}

void relay_clear(struct relay_env *e)
{
	json_object_put(inbox_json(e, NULL, true));
}

void relay_settle(struct relay_env *e)
{
	long long deadline = now_ms() + 15000;
	int64_t got = 0, busy = 0;

	bool modems_idle = false;

	for (;;) {
		got = relay_sql_int(e, "SELECT count(*) FROM messages");
		busy = relay_sql_int(e, "SELECT count(*) FROM delivery_state WHERE status IN "
					"('queued', 'waiting')");
		/* A delivery counts as sent from its first part on: the modems' queues say
		 * whether later parts are still to go. */
		if (got >= (int64_t)e->n_sent && !busy) {
			char *q = relay_vty(e, "show queues");
			modems_idle = q && strstr(q, "modem0     0 waiting") &&
				      strstr(q, "modem1     0 waiting") &&
				      (e->modems < 3 || strstr(q, "modem2     0 waiting"));
			free(q);
		}
		if (modems_idle || now_ms() >= deadline)
			break;
		sleep_ms(20);
	}
	if (!modems_idle)
		RELAY_FAIL(e,
			   "not settled after 15 s: %lld of %u messages recorded, %lld deliveries "
			   "queued or waiting, or parts still on a modem's queue",
			   (long long)got, e->n_sent, (long long)busy);
	sleep_ms(SETTLE_MARGIN_MS +
		 (e->deliver_ms > SIM_DELIVER_MS ? (int)(e->deliver_ms - SIM_DELIVER_MS) : 0));
}

void relay_assert_only_(struct relay_env *e, const char *const *allowed)
{
	struct json_object *resp = inbox_json(e, NULL, false), *msgs;
	unsigned n = 0;

	if (json_object_object_get_ex(resp, "messages", &msgs))
		n = (unsigned)json_object_array_length(msgs);
	for (unsigned i = 0; i < n; i++) {
		struct json_object *m = json_object_array_get_idx(msgs, i);
		const char *phone = jstr(m, "phone");
		bool ok = false;

		for (const char *const *a = allowed; *a && !ok; a++)
			ok = !strcmp(*a, phone);
		if (!ok) {
			/* Copied out: the message names both, and resp is freed before it. */
			char text[1024], who[64];
			snprintf(text, sizeof(text), "%s", jstr(m, "text"));
			snprintf(who, sizeof(who), "%s", phone);
			json_object_put(resp);
			RELAY_FAIL(e, "%s should have got nothing, got: %s", who, text);
		}
	}
	json_object_put(resp);
}

/* The number's digits with the country code 1 dropped: the ten digits people write. */
static void national_digits(const char *e164, char *out, size_t cap)
{
	size_t n = 0;

	for (const char *c = e164; *c && n + 1 < cap; c++)
		if (isdigit((unsigned char)*c))
			out[n++] = *c;
	out[n] = '\0';
	if (n == 11 && out[0] == '1')
		memmove(out, out + 1, n);
}

/* Runs of digits joined by what people put between them ("617-555-0401",
 * "(617) 555 0401", "+1.617.555.0401"): the run's digits go to out. */
static const char *next_digit_run(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	while (*s && !isdigit((unsigned char)*s))
		s++;
	if (!*s)
		return NULL;
	while (*s) {
		const char *q = s;
		if (isdigit((unsigned char)*s)) {
			if (n + 1 < cap)
				out[n++] = *s;
			s++;
			continue;
		}
		/* At most two separators between digits, else the run ends. */
		while (*q && strchr(" .-()/+", *q) && q - s < 3)
			q++;
		if (!isdigit((unsigned char)*q))
			break;
		s = q;
	}
	out[n] = '\0';
	return s;
}

void relay_assert_masked(struct relay_env *e)
{
	struct json_object *resp = inbox_json(e, NULL, false), *msgs;
	unsigned n = 0;

	if (json_object_object_get_ex(resp, "messages", &msgs))
		n = (unsigned)json_object_array_length(msgs);
	for (unsigned i = 0; i < n; i++) {
		struct json_object *m = json_object_array_get_idx(msgs, i);
		const char *to = jstr(m, "phone"), *from = jstr(m, "from"), *text = jstr(m, "text");
		char run[256], msg[1200];
		const char *p = text;
		const char *leak = NULL;

		/* Caller ID: always a relay number. */
		if (strcmp(from, RELAY_SOCCER) && strcmp(from, RELAY_ROBOTICS) &&
		    (e->modems < 3 || strcmp(from, RELAY_BUILDING))) {
			snprintf(msg, sizeof(msg), "%s got a message from %s (not a relay number)",
				 to, from);
			json_object_put(resp);
			RELAY_FAIL(e, "%s", msg);
		}
		while (!leak && (p = next_digit_run(p, run, sizeof(run)))) {
			for (unsigned k = 0; k < e->n_phones && !leak; k++) {
				char nat[24];
				if (!strcmp(e->phones[k], to))
					continue;
				national_digits(e->phones[k], nat, sizeof(nat));
				/* The whole national number anywhere in the run, or its last seven
				 * digits as a run of their own (a local "555-0401"). */
				if (strstr(run, nat) || (strlen(run) == 7 && strlen(nat) >= 7 &&
							 !strcmp(run, nat + strlen(nat) - 7)))
					leak = e->phones[k];
			}
		}
		if (leak) {
			snprintf(msg, sizeof(msg), "%s got %s's number: %s", to, leak, text);
			json_object_put(resp);
			RELAY_FAIL(e, "masking: %s", msg);
		}
	}
	json_object_put(resp);
}

void relay_assert_attributed(struct relay_env *e)
{
	static const char *const replies[] = {"Lakeview Public Schools relay: ",
					      "Your held message was "};
	struct json_object *resp = inbox_json(e, NULL, false), *msgs;
	unsigned n = 0;

	if (json_object_object_get_ex(resp, "messages", &msgs))
		n = (unsigned)json_object_array_length(msgs);
	for (unsigned i = 0; i < n; i++) {
		struct json_object *m = json_object_array_get_idx(msgs, i), *c;
		const char *text = jstr(m, "text"), *close;
		bool ok = false;

		if (json_object_object_get_ex(m, "complete", &c) && !json_object_get_boolean(c))
			continue;
		for (size_t k = 0; k < ARRAY_SIZE(replies) && !ok; k++)
			ok = strstr(text, replies[k]) == text;
		if (!ok && (relay_body_starts(text, "[") || relay_body_starts(text, "CRISIS ["))) {
			/* "[Team] Sender...": a team name, then a sender's name. */
			const char *open = strchr(text, '[');
			close = open ? strchr(open, ']') : NULL;
			ok = close && close > open + 1 && close[1] == ' ' && close[2] &&
			     close[2] != ':' && close[2] != ' ';
		}
		if (!ok) {
			char msg[1200];
			snprintf(msg, sizeof(msg), "%s got an unattributed message: %s",
				 jstr(m, "phone"), text);
			json_object_put(resp);
			RELAY_FAIL(e, "attribution: %s", msg);
		}
	}
	json_object_put(resp);
}

bool relay_body_starts(const char *text, const char *prefix)
{
	static const char notice[] = "Messages through this number are recorded by ";

	if (!strncmp(text, notice, strlen(notice))) {
		const char *nl = strchr(text, '\n');
		if (!nl)
			return false;
		text = nl + 1;
	}
	return !strncmp(text, prefix, strlen(prefix));
}

void relay_test_finish(struct relay_env *e)
{
	relay_settle(e);
	relay_assert_masked(e);
	relay_assert_attributed(e);
	relay_clear(e);
}

void relay_clock(struct relay_env *e, const char *spec)
{
	FILE *f = fopen(e->clock, "w");

	if (!f || fprintf(f, "%s\n", spec) < 0 || fclose(f) != 0)
		RELAY_FAIL(e, "cannot set the clock in %s", e->clock);
}
