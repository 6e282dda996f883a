/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* vty_client: talks to chaperoned's telnet console the way an operator does, for tests.
 *
 *   vty_client run PORT LOGIN_PASSWORD ENABLE_PASSWORD|- COMMAND...
 *       logs in (and enables, unless "-"), runs each COMMAND after the prompt, prints what
 *       each printed (no echo, no prompts). Exit 0, or 1 when the console could not be
 *       reached or did not let us in.
 *   vty_client transcript PORT FILE [--record]
 *       runs a transcript in the Osmocom style (osmo_verify_transcript_vty.py) and
 *       compares every answer with the file; --record prints the transcript with the
 *       answers received instead, for writing a new one. Exit 0 when all match.
 *
 * Transcript format: a line "chaperoned> CMD", "chaperoned(config-policy)# CMD" (any
 * node) or "Password: SECRET" is a step: the console must be at that prompt, CMD is
 * sent, and the lines up to the next step are what it must answer. A line "..." stands
 * for any number of lines. A CMD ending in '?' asks for help: its text is sent without
 * Enter and the line is erased afterwards. Lines before the first step, empty lines and
 * trailing spaces are ignored. Only chaperoned's console is spoken to
 * (127.0.0.1). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NAME	   "chaperoned"
#define TIMEOUT_MS 10000
#define MAX_LINES  4096

struct conn {
	int fd;
	char buf[1 << 20]; /* what arrived since the last prompt, telnet negotiation removed */
	size_t len;
	char prompt[256]; /* the prompt the console is at ("chaperoned(config)# ") */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Length of the prompt at the start of `s` ("chaperoned> ", "chaperoned(config)# ",
 * "Password: "), or 0. */
static size_t prompt_len(const char *s)
{
	const char *p = s;

	if (!strncmp(s, "Password: ", 10))
		return 10;
	if (strncmp(p, NAME, strlen(NAME)))
		return 0;
	p += strlen(NAME);
	if (*p == '(') {
		p++;
		while (*p && (*p == '-' || *p == '_' || (*p >= 'a' && *p <= 'z') ||
			      (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			p++;
		if (*p++ != ')')
			return 0;
	}
	if ((*p != '>' && *p != '#') || p[1] != ' ')
		return 0;
	return (size_t)(p + 2 - s);
}

/* Append received bytes: telnet commands dropped, '\r' and NUL dropped, a backspace
 * takes back the character before it (the console erases a line that way). */
static void take(struct conn *c, const unsigned char *in, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (in[i] == 0xff) {
			if (i + 1 < n && in[i + 1] == 0xfa) {
				while (i + 1 < n && !(in[i] == 0xff && in[i + 1] == 0xf0))
					i++;
				i++;
			} else if (i + 1 < n && in[i + 1] >= 0xfb) {
				i += 2;
			} else {
				i++;
			}
			continue;
		}
		if (in[i] == '\r' || in[i] == '\0')
			continue;
		if (in[i] == '\b') {
			if (c->len && c->buf[c->len - 1] != '\n')
				c->len--;
			continue;
		}
		if (c->len + 1 < sizeof(c->buf))
			c->buf[c->len++] = (char)in[i];
	}
	c->buf[c->len] = '\0';
}

/* Read until the last, unfinished line is a prompt; with `exact`, nothing may follow it
 * (with help, the console shows the prompt and the words typed so far). */
static bool read_prompt(struct conn *c, bool exact)
{
	long long deadline = now_ms() + TIMEOUT_MS;

	for (;;) {
		char *tail = strrchr(c->buf, '\n');
		size_t pl;

		tail = tail ? tail + 1 : c->buf;
		pl = prompt_len(tail);
		if (pl && (!exact || tail[pl] == '\0')) {
			snprintf(c->prompt, sizeof(c->prompt), "%.*s", (int)pl, tail);
			*tail = '\0';
			c->len = (size_t)(tail - c->buf);
			return true;
		}
		long long left = deadline - now_ms();
		if (left <= 0)
			return false;
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		unsigned char in[4096];
		ssize_t r = read(c->fd, in, sizeof(in));
		if (r <= 0)
			return false;
		take(c, in, (size_t)r);
	}
}

static bool send_str(struct conn *c, const char *s)
{
	size_t n = strlen(s);

	return write(c->fd, s, n) == (ssize_t)n;
}

/* Send one command from the prompt, read its answer up to the next prompt into c->buf
 * (the echo of the command removed). */
static bool command(struct conn *c, const char *cmd)
{
	size_t n = strlen(cmd);
	bool help = n && cmd[n - 1] == '?';
	bool auth = !strcmp(c->prompt, "Password: ");

	c->len = 0;
	c->buf[0] = '\0';
	/* '\r' alone: the console takes '\r' and '\n' each as Enter. */
	if (!send_str(c, cmd) || (!help && !send_str(c, "\r")))
		return false;
	if (!read_prompt(c, !help))
		return false;
	if (help && !send_str(c, "\x15")) /* Ctrl-U: erase what was typed */
		return false;
	/* The echo: the command as typed (the '?' is not echoed); none for a password. */
	if (!auth) {
		size_t echo = help ? n - 1 : n;
		if (!strncmp(c->buf, cmd, echo)) {
			char *nl = strchr(c->buf, '\n');
			size_t skip = nl ? (size_t)(nl + 1 - c->buf) : c->len;
			memmove(c->buf, c->buf + skip, c->len - skip + 1);
			c->len -= skip;
		}
	}
	return true;
}

static int connect_console(struct conn *c, const char *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "vty_client: cannot connect to 127.0.0.1:%s: %s\n", port,
			strerror(errno));
		return -1;
	}
	c->len = 0;
	if (!read_prompt(c, true)) {
		fprintf(stderr, "vty_client: no prompt from the console\n");
		return -1;
	}
	return 0;
}

/* Split c->buf into lines; empty lines at either end dropped. */
static size_t lines_of(char *buf, char **lines, size_t cap)
{
	size_t n = 0;
	char *save = NULL;

	for (char *l = strtok_r(buf, "\n", &save); l && n < cap; l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	/* strtok_r already skips empty lines: the console's blank lines carry no meaning
	 * a transcript checks, and trailing spaces neither. */
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(lines[i]);
		while (k && lines[i][k - 1] == ' ')
			lines[i][--k] = '\0';
	}
	return n;
}

static int run(int argc, char **argv)
{
	static struct conn c;

	if (argc < 4) {
		fprintf(stderr, "usage: vty_client run PORT LOGIN ENABLE|- COMMAND...\n");
		return 2;
	}
	if (connect_console(&c, argv[0]) < 0)
		return 1;
	if (!command(&c, argv[1]) || strcmp(c.prompt, NAME "> ")) {
		fprintf(stderr, "vty_client: the login password was not accepted\n");
		return 1;
	}
	if (strcmp(argv[2], "-")) {
		if (!command(&c, "enable") || !command(&c, argv[2]) ||
		    strcmp(c.prompt, NAME "# ")) {
			fprintf(stderr, "vty_client: the enable password was not accepted\n");
			return 1;
		}
	}
	for (int i = 3; i < argc; i++) {
		if (!command(&c, argv[i])) {
			fprintf(stderr, "vty_client: no answer to '%s'\n", argv[i]);
			return 1;
		}
		fputs(c.buf, stdout);
	}
	send_str(&c, "exit\r");
	close(c.fd);
	return 0;
}

struct step {
	char prompt[256];
	char cmd[1024];
	char *expect[MAX_LINES];
	size_t n_expect;
	unsigned line; /* in the transcript file */
};

/* Whether the answer `got` matches `want`, "..." matching any run of lines. */
static bool match(char **want, size_t nw, char **got, size_t ng)
{
	if (nw == 0)
		return ng == 0;
	if (!strcmp(want[0], "...")) {
		for (size_t skip = 0; skip <= ng; skip++)
			if (match(want + 1, nw - 1, got + skip, ng - skip))
				return true;
		return false;
	}
	return ng > 0 && !strcmp(want[0], got[0]) && match(want + 1, nw - 1, got + 1, ng - 1);
}

static int transcript(int argc, char **argv)
{
	static struct conn c;
	static struct step st;
	static char *got[MAX_LINES];
	bool record = argc > 2 && !strcmp(argv[2], "--record");
	FILE *f;
	char line[4096];
	unsigned lineno = 0, failures = 0, steps = 0;
	bool have = false;

	if (argc < 2) {
		fprintf(stderr, "usage: vty_client transcript PORT FILE [--record]\n");
		return 2;
	}
	f = fopen(argv[1], "r");
	if (!f) {
		fprintf(stderr, "vty_client: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	if (connect_console(&c, argv[0]) < 0)
		return 1;
	/* Each step runs when the next one (or the end) is read. */
	for (;;) {
		bool eof = !fgets(line, sizeof(line), f);
		size_t pl = 0;

		if (!eof) {
			lineno++;
			line[strcspn(line, "\n")] = '\0';
			pl = prompt_len(line);
			if (!pl) {
				size_t k = strlen(line);
				while (k && line[k - 1] == ' ')
					line[--k] = '\0';
				if (have && k && st.n_expect < MAX_LINES)
					st.expect[st.n_expect++] = strdup(line);
				continue;
			}
		}
		if (have) {
			size_t ne = st.n_expect, ng;
			steps++;
			if (strcmp(c.prompt, st.prompt)) {
				fprintf(stderr, "%s:%u: the console is at '%s', not '%s'\n",
					argv[1], st.line, c.prompt, st.prompt);
				return 1;
			}
			if (!command(&c, st.cmd)) {
				fprintf(stderr, "%s:%u: no answer to '%s'\n", argv[1], st.line,
					st.cmd);
				return 1;
			}
			ng = lines_of(c.buf, got, MAX_LINES);
			if (record) {
				printf("%s%s\n", st.prompt, st.cmd);
				for (size_t i = 0; i < ng; i++)
					printf("%s\n", got[i]);
			} else if (!match(st.expect, ne, got, ng)) {
				failures++;
				fprintf(stderr, "%s:%u: %s%s\n--- expected\n", argv[1], st.line,
					st.prompt, st.cmd);
				for (size_t i = 0; i < ne; i++)
					fprintf(stderr, "%s\n", st.expect[i]);
				fprintf(stderr, "+++ received\n");
				for (size_t i = 0; i < ng; i++)
					fprintf(stderr, "%s\n", got[i]);
			}
			for (size_t i = 0; i < st.n_expect; i++)
				free(st.expect[i]);
			st.n_expect = 0;
			have = false;
		}
		if (eof)
			break;
		snprintf(st.prompt, sizeof(st.prompt), "%.*s", (int)pl, line);
		snprintf(st.cmd, sizeof(st.cmd), "%s", line + pl);
		st.line = lineno;
		have = true;
	}
	fclose(f);
	close(c.fd);
	if (!record)
		fprintf(stderr, "%s: %u steps, %u differ\n", argv[1], steps, failures);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return run(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "transcript"))
		return transcript(argc - 2, argv + 2);
	fprintf(stderr, "usage: vty_client run PORT LOGIN ENABLE|- COMMAND...\n"
			"       vty_client transcript PORT FILE [--record]\n");
	return 2;
}
