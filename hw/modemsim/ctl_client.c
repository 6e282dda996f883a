/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Command-line client of the control socket, see ctl_client.h and README.md. */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "hw/modemsim/ctl_client.h"

/* How long to wait for the answer. */
#define CTL_CLIENT_TIMEOUT_MS 30000

/* Positional arguments of each command, in order. */
static const struct {
	const char *cmd;
	const char *pos[3];
} positional[] = {
    {"send", {"text"}},		  {"inbox", {"phone"}},	      {"latency", {"modem"}},
    {"fault", {"modem", "kind"}}, {"phone", {"number"}},      {"sim", {"modem"}},
    {"trace", {"modem"}},	  {"reset", {"modem"}},	      {"status", {NULL}},
    {"answer", {"phone"}},	  {"reject", {"phone"}},      {"busy", {"phone"}},
    {"hangup", {"phone"}},	  {"auto-answer", {"phone"}}, {"dtmf", {"phone", "digits"}},
    {"play", {"phone"}},	  {"stop-play", {"phone"}},   {"heard", {"phone"}},
    {"audio", {"modem"}},	  {"calls", {NULL}},	      {"call", {NULL}},
};

static const char *const int_fields[] = {"ms",	  "submit_ms", "deliver_ms", "code",
					 "count", "random",    "last",	     "rings",
					 "tone",  "dbfs",      "drift_ppm",  NULL};
static const char *const bool_fields[] = {"clear", "class0", "reachable", "on", "inband", NULL};

static bool in_list(const char *const *list, const char *s)
{
	for (; *list; list++) {
		if (strcmp(*list, s) == 0)
			return true;
	}
	return false;
}

static bool all_digits(const char *s)
{
	if (*s == '-')
		s++;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
	}
	return true;
}

static void usage(void)
{
	fprintf(stderr, "usage: modemsim ctl DIR <command> [args]\n"
			"  status\n"
			"  send --from PHONE --to MODEM [--class0] TEXT | send --from PHONE --to "
			"MODEM --pdu HEX\n"
			"  inbox [PHONE] [--clear]\n"
			"  latency MODEM [--submit-ms N] [--deliver-ms N]\n"
			"  fault MODEM KIND [--ms N] [--hex HEX] [--random N] [--code N] [--count "
			"N] [--on true|false]\n"
			"  phone NUMBER [--reachable true|false]\n"
			"  sim MODEM | trace MODEM [--last N] | reset MODEM\n"
			"  call --from PHONE --to MODEM | answer|reject|hangup PHONE\n"
			"  busy PHONE [--no-on] | auto-answer PHONE --rings N\n"
			"  dtmf PHONE DIGITS [--inband] | stop-play PHONE | calls\n"
			"  play PHONE --wav FILE | --tone HZ [--ms N] [--dbfs L] | --chirp F0,F1 "
			"--ms N\n"
			"  heard PHONE --wav FILE [--clear] | audio MODEM [--drift-ppm N]\n"
			"  raw '{\"cmd\":...}'\n"
			"Options map to request fields (--submit-ms → \"submit_ms\"; --no-X → "
			"\"X\": false).\n");
}

/* Build the request object from the command line. */
static struct json_object *build_request(int argc, char **argv, const char *cmd)
{
	struct json_object *req = json_object_new_object();
	const char *const *pos = NULL;
	unsigned npos = 0;

	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	for (size_t i = 0; i < ARRAY_SIZE(positional); i++) {
		if (strcmp(positional[i].cmd, cmd) == 0)
			pos = positional[i].pos;
	}
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		char key[64];
		bool negate = false;

		if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
			if (!pos || npos >= 3 || !pos[npos]) {
				fprintf(stderr, "modemsim ctl: unexpected argument \"%s\"\n", a);
				goto err;
			}
			json_object_object_add(req, pos[npos++], json_object_new_string(a));
			continue;
		}
		a += 2;
		if (strncmp(a, "no-", 3) == 0) {
			negate = true;
			a += 3;
		}
		snprintf(key, sizeof(key), "%s", a);
		for (char *k = key; *k; k++) {
			if (*k == '-')
				*k = '_';
		}
		if (in_list(bool_fields, key) || negate) {
			bool v = !negate;

			if (!negate && i + 1 < argc &&
			    (strcmp(argv[i + 1], "true") == 0 || strcmp(argv[i + 1], "false") == 0))
				v = strcmp(argv[++i], "true") == 0;
			json_object_object_add(req, key, json_object_new_boolean(v));
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "modemsim ctl: --%s needs a value\n", a);
			goto err;
		}
		a = argv[++i];
		if (in_list(int_fields, key)) {
			if (!all_digits(a)) {
				fprintf(stderr, "modemsim ctl: --%s needs a number\n", key);
				goto err;
			}
			json_object_object_add(req, key,
					       json_object_new_int64(strtoll(a, NULL, 10)));
		} else {
			/* Numbers such as "+15550100" stay strings. */
			json_object_object_add(req, key, json_object_new_string(a));
		}
	}
	return req;
err:
	json_object_put(req);
	return NULL;
}

static int ctl_connect(const char *dir)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/ctl", dir) >=
	    sizeof(sun.sun_path)) {
		fprintf(stderr, "modemsim ctl: path too long: %s/ctl\n", dir);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "modemsim ctl: cannot connect to %s: %s\n", sun.sun_path,
			strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t rc = write(fd, buf, len);

		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += rc;
		len -= (size_t)rc;
	}
	return 0;
}

/* Read up to the first newline. Returns a malloc'd NUL-terminated line or NULL. */
static char *read_line(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);

	while (buf) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		char *nl;
		ssize_t rc;

		if (poll(&pfd, 1, CTL_CLIENT_TIMEOUT_MS) <= 0) {
			fprintf(stderr, "modemsim ctl: no answer\n");
			break;
		}
		if (cap - len < 4096) {
			char *n = realloc(buf, cap * 2);

			if (!n)
				break;
			buf = n;
			cap *= 2;
		}
		rc = read(fd, buf + len, cap - len - 1);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0) {
			fprintf(stderr, "modemsim ctl: connection closed without an answer\n");
			break;
		}
		len += (size_t)rc;
		buf[len] = '\0';
		nl = strchr(buf, '\n');
		if (nl) {
			*nl = '\0';
			return buf;
		}
	}
	free(buf);
	return NULL;
}

int ctl_client_main(int argc, char **argv)
{
	struct json_object *req = NULL, *resp, *ok;
	const char *line;
	char *answer;
	int fd, rc;

	if (argc < 3) {
		usage();
		return 2;
	}
	if (strcmp(argv[2], "raw") == 0) {
		if (argc != 4) {
			usage();
			return 2;
		}
		req = json_tokener_parse(argv[3]);
		if (!req || !json_object_is_type(req, json_type_object)) {
			fprintf(stderr, "modemsim ctl: raw needs a JSON object\n");
			json_object_put(req);
			return 2;
		}
	} else {
		req = build_request(argc - 3, argv + 3, argv[2]);
		if (!req)
			return 2;
	}
	line = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
	fd = ctl_connect(argv[1]);
	if (fd < 0) {
		json_object_put(req);
		return 2;
	}
	rc = write_all(fd, line, strlen(line)) || write_all(fd, "\n", 1);
	json_object_put(req);
	if (rc) {
		fprintf(stderr, "modemsim ctl: write: %s\n", strerror(errno));
		close(fd);
		return 2;
	}
	answer = read_line(fd);
	close(fd);
	if (!answer)
		return 2;
	printf("%s\n", answer);
	resp = json_tokener_parse(answer);
	free(answer);
	rc = resp && json_object_object_get_ex(resp, "ok", &ok) && json_object_get_boolean(ok) ? 0
											       : 1;
	json_object_put(resp);
	return rc;
}
