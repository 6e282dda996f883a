/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* End-to-end test harness: start `modemsim` as a real process, talk to its modems over
 * their real PTYs, and to its control socket.
 *
 * Blocking with deadlines (poll), because a test is a script of steps; the daemons under
 * test are the ones that must not block. Every wait is bounded so a broken build fails a
 * test instead of hanging CTest. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <json-c/json.h>

/* Where CMake put the programs; set by the test's main() from argv[1]. */
extern const char *harness_build_dir;

struct sim {
	pid_t pid;
	char dir[64]; /* temporary directory with modem0.., ctl (short: socket paths are limited) */
	int stdout_fd; /* modemsim's stdout (read for the ready line) */
};

/* Start modemsim with extra arguments (NULL-terminated); waits for "modemsim ready".
 * Returns NULL (and prints why) when it does not come up within 10 s. */
struct sim *sim_start(const char *arg, ...);
/* SIGTERM, wait, remove the directory. */
void sim_stop(struct sim *s);
/* Path of modem N's symlink. */
const char *sim_modem_path(const struct sim *s, int n);

/* One control request (printf-style JSON) and its parsed response; NULL on I/O error.
 * The caller json_object_put()s the result. */
struct json_object *sim_ctl(const struct sim *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The same, asserting "ok": true. */
struct json_object *sim_ctl_ok(const struct sim *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Poll `inbox` for a phone until it holds at least `n` messages (or timeout); returns the
 * inbox response (caller puts it), with messages possibly fewer than n on timeout. */
struct json_object *sim_wait_inbox(const struct sim *s, const char *phone, int n, int timeout_ms);

/* A serial port as the daemon sees it. */
struct port {
	int fd;
	char buf[65536]; /* bytes read and not yet consumed */
	size_t len;
};

struct port *port_open(const char *path);
void port_close(struct port *p);
/* Write a string as is. */
void port_write(struct port *p, const char *s);
/* Read until `needle` is in the buffer; returns a copy of everything up to and including
 * it (consumed from the buffer) or NULL on timeout. Caller frees. */
char *port_read_until(struct port *p, const char *needle, int timeout_ms);
/* Read whatever arrives within `ms` (consumed); caller frees. */
char *port_drain(struct port *p, int ms);
/* Read up to and including the next final result code (or "> " prompt). Caller frees. */
char *port_read_final(struct port *p, int timeout_ms);
/* Send "CMD\r" and read the response up to and including its final result code
 * (OK, ERROR, +CMS ERROR: n, +CME ERROR: n, or "> " prompt). Caller frees. */
char *port_cmd(struct port *p, const char *cmd, int timeout_ms);

/* Decode helpers for tests: take the first "+CMT: ,<len>\r\n<hex>\r\n" style PDU line
 * following `prefix` in `s` and copy its hex into `hex`. Returns true when found. */
bool find_pdu_after(const char *s, const char *prefix, char *hex, size_t cap);

/* A TCP port on 127.0.0.1 that is free now (for a daemon's console), or -1. */
int harness_free_port(void);

/* Monotonic milliseconds. */
long long now_ms(void);
void sleep_ms(int ms);
