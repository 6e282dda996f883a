/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* End-to-end test harness: real modemsim process, real PTYs, real control socket. */
#include "tests/e2e/harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

const char *harness_build_dir = ".";

long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void rm_rf(const char *dir)
{
	char cmd[512];
	/* The directory is ours (mkdtemp); a shell is the plainest way to empty it. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "harness: could not remove %s\n", dir);
}

struct sim *sim_start(const char *arg, ...)
{
	struct sim *s = calloc(1, sizeof(*s));
	const char *argv[64];
	int argc = 0, pipefd[2];
	char prog[512];
	va_list ap;

	snprintf(s->dir, sizeof(s->dir), "/tmp/chaperone-e2e-XXXXXX");
	if (!mkdtemp(s->dir)) {
		perror("mkdtemp");
		free(s);
		return NULL;
	}
	snprintf(prog, sizeof(prog), "%s/bin/modemsim", harness_build_dir);
	argv[argc++] = prog;
	va_start(ap, arg);
	for (const char *a = arg; a && argc < 60; a = va_arg(ap, const char *))
		argv[argc++] = a;
	va_end(ap);
	argv[argc++] = s->dir;
	argv[argc] = NULL;

	if (pipe(pipefd) < 0) {
		perror("pipe");
		free(s);
		return NULL;
	}
	s->pid = fork();
	if (s->pid == 0) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		close(pipefd[1]);
		execv(prog, (char *const *)argv);
		perror("exec modemsim");
		_exit(127);
	}
	close(pipefd[1]);
	s->stdout_fd = pipefd[0];

	char line[512];
	size_t n = 0;
	long long deadline = now_ms() + 10000;
	while (now_ms() < deadline) {
		struct pollfd pfd = {.fd = s->stdout_fd, .events = POLLIN};
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		ssize_t r = read(s->stdout_fd, line + n, sizeof(line) - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		line[n] = '\0';
		if (strstr(line, "modemsim ready"))
			return s;
		if (n >= sizeof(line) - 1)
			n = 0;
	}
	fprintf(stderr, "harness: modemsim did not become ready\n");
	sim_stop(s);
	return NULL;
}

void sim_stop(struct sim *s)
{
	int status;

	if (!s)
		return;
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		for (int i = 0; i < 50; i++) {
			if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
				s->pid = 0;
				break;
			}
			sleep_ms(20);
		}
		if (s->pid > 0) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, &status, 0);
		}
	}
	close(s->stdout_fd);
	rm_rf(s->dir);
	free(s);
}

const char *sim_modem_path(const struct sim *s, int n)
{
	static char path[300];
	snprintf(path, sizeof(path), "%s/modem%d", s->dir, n);
	return path;
}

static struct json_object *ctl_request(const struct sim *s, const char *req)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	/* Grown as the answer comes: an inbox of long messages with their PDUs runs to
	 * megabytes. */
	size_t n = 0, cap = 1 << 16;
	char *buf;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/ctl", s->dir) >=
	    sizeof(sa.sun_path)) {
		close(fd);
		return NULL;
	}
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("harness: ctl connect");
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (write(fd, req, strlen(req)) < 0 || write(fd, "\n", 1) < 0) {
		close(fd);
		return NULL;
	}
	buf = malloc(cap);
	long long deadline = now_ms() + 10000;
	while (buf && now_ms() < deadline) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if (n + 1 >= cap) {
			char *more = realloc(buf, cap * 2);
			if (!more)
				break;
			buf = more;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r <= 0)
			break;
		/* Only what was just read can hold the line's end. */
		bool end = memchr(buf + n, '\n', (size_t)r) != NULL;
		n += (size_t)r;
		if (end)
			break;
	}
	close(fd);
	if (!buf)
		return NULL;
	buf[n] = '\0';
	struct json_object *resp = json_tokener_parse(buf);
	if (!resp)
		fprintf(stderr, "harness: bad ctl response to %.200s: %.500s\n", req, buf);
	free(buf);
	return resp;
}

struct json_object *sim_ctl(const struct sim *s, const char *fmt, ...)
{
	struct json_object *resp;
	char *req;
	va_list ap;
	int n;

	/* As long as it needs: a phone's longest message is 39,015 characters. */
	va_start(ap, fmt);
	n = vasprintf(&req, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	resp = ctl_request(s, req);
	free(req);
	return resp;
}

struct json_object *sim_ctl_ok(const struct sim *s, const char *fmt, ...)
{
	struct json_object *resp, *ok;
	char *req;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&req, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	resp = ctl_request(s, req);
	assert_non_null(resp);
	if (!json_object_object_get_ex(resp, "ok", &ok) || !json_object_get_boolean(ok))
		fail_msg("ctl %.200s failed: %s", req, json_object_to_json_string(resp));
	free(req);
	return resp;
}

struct json_object *sim_wait_inbox(const struct sim *s, const char *phone, int n, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	struct json_object *resp = NULL, *msgs;

	for (;;) {
		resp = sim_ctl_ok(s, "{\"cmd\":\"inbox\",\"phone\":\"%s\"}", phone);
		if (json_object_object_get_ex(resp, "messages", &msgs) &&
		    (int)json_object_array_length(msgs) >= n)
			return resp;
		if (now_ms() >= deadline)
			return resp;
		json_object_put(resp);
		sleep_ms(20);
	}
}

struct port *port_open(const char *path)
{
	struct port *p = calloc(1, sizeof(*p));
	struct termios tio;

	p->fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (p->fd < 0) {
		fprintf(stderr, "harness: open %s: %s\n", path, strerror(errno));
		free(p);
		return NULL;
	}
	if (tcgetattr(p->fd, &tio) == 0) {
		cfmakeraw(&tio);
		tcsetattr(p->fd, TCSANOW, &tio);
	}
	return p;
}

void port_close(struct port *p)
{
	if (!p)
		return;
	close(p->fd);
	free(p);
}

void port_write(struct port *p, const char *s)
{
	size_t len = strlen(s), off = 0;
	long long deadline = now_ms() + 5000;

	while (off < len && now_ms() < deadline) {
		ssize_t w = write(p->fd, s + off, len - off);
		if (w > 0)
			off += (size_t)w;
		else if (w < 0 && errno != EAGAIN && errno != EINTR)
			break;
		else
			sleep_ms(1);
	}
}

/* Read what is available within `ms`; returns false when the port is gone. */
static bool port_fill(struct port *p, int ms)
{
	struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
	int r = poll(&pfd, 1, ms);

	if (r <= 0)
		return true;
	if (p->len >= sizeof(p->buf) - 1)
		return true;
	ssize_t n = read(p->fd, p->buf + p->len, sizeof(p->buf) - 1 - p->len);
	if (n > 0) {
		p->len += (size_t)n;
		p->buf[p->len] = '\0';
		return true;
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		sleep_ms(ms > 10 ? 10 : ms);
		return false;
	}
	return true;
}

static char *port_take(struct port *p, size_t n)
{
	char *out = malloc(n + 1);
	memcpy(out, p->buf, n);
	out[n] = '\0';
	memmove(p->buf, p->buf + n, p->len - n);
	p->len -= n;
	p->buf[p->len] = '\0';
	return out;
}

char *port_read_until(struct port *p, const char *needle, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;

	for (;;) {
		p->buf[p->len] = '\0';
		char *hit = strstr(p->buf, needle);
		if (hit)
			return port_take(p, (size_t)(hit - p->buf) + strlen(needle));
		long long left = deadline - now_ms();
		if (left <= 0)
			return NULL;
		port_fill(p, left > 50 ? 50 : (int)left);
	}
}

char *port_drain(struct port *p, int ms)
{
	long long deadline = now_ms() + ms;

	while (now_ms() < deadline)
		port_fill(p, 10);
	return port_take(p, p->len);
}

/* Where the final result code of a response ends in buf, or 0 when none is there yet. */
static size_t final_result_end(const char *buf)
{
	static const char *const finals[] = {"\r\nOK\r\n", "\r\nERROR\r\n", "\r\nNO CARRIER\r\n",
					     "\r\n> "};
	size_t best = 0;

	for (size_t i = 0; i < ARRAY_SIZE(finals); i++) {
		const char *hit = strstr(buf, finals[i]);
		if (hit) {
			size_t end = (size_t)(hit - buf) + strlen(finals[i]);
			if (!best || end < best)
				best = end;
		}
	}
	static const char *const coded[] = {"\r\n+CMS ERROR: ", "\r\n+CME ERROR: "};
	for (size_t i = 0; i < 2; i++) {
		const char *hit = strstr(buf, coded[i]);
		const char *eol = hit ? strstr(hit + 2, "\r\n") : NULL;
		if (eol) {
			size_t end = (size_t)(eol - buf) + 2;
			if (!best || end < best)
				best = end;
		}
	}
	return best;
}

char *port_read_final(struct port *p, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;

	for (;;) {
		p->buf[p->len] = '\0';
		size_t end = final_result_end(p->buf);
		if (end)
			return port_take(p, end);
		long long left = deadline - now_ms();
		if (left <= 0)
			return NULL;
		port_fill(p, left > 50 ? 50 : (int)left);
	}
}

char *port_cmd(struct port *p, const char *cmd, int timeout_ms)
{
	char line[1024];

	snprintf(line, sizeof(line), "%s\r", cmd);
	port_write(p, line);
	return port_read_final(p, timeout_ms);
}

bool find_pdu_after(const char *s, const char *prefix, char *hex, size_t cap)
{
	const char *hit = strstr(s, prefix);
	if (!hit)
		return false;
	const char *eol = strstr(hit, "\r\n");
	if (!eol)
		return false;
	const char *start = eol + 2;
	const char *end = strstr(start, "\r\n");
	if (!end || (size_t)(end - start) >= cap)
		return false;
	memcpy(hex, start, (size_t)(end - start));
	hex[end - start] = '\0';
	return true;
}

int harness_free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* Port 0: the kernel picks one that is free now; the daemon binds it a moment later. */
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}
