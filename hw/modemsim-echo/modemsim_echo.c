/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* modemsim-echo DEVICE: a tiny AT client for the demo.
 *
 * Sets the modem up for direct delivery (+CSMS=1, +CNMI=2,2,0,1,0), waits for one SMS
 * (+CMT), acknowledges it (+CNMA), decodes it with Chaperone's codec and answers the
 * sender "Chaperone received: <text>" with +CMGS, asking for a status report, which it
 * waits for (+CDS) and acknowledges too. Every AT line is printed as it goes. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "modem/sms/sms_split.h"
#include "modem/sms/sms_tpdu.h"

#define LINE_MAX_LEN 1024
/* Parts of the reply whose status reports are awaited. */
#define MAX_PARTS 8

struct port {
	int fd;
	char buf[4096];
	size_t len;
	int timeout_ms;
	/* A +CMT/+CDS that arrived while we waited for something else. */
	char urc[LINE_MAX_LEN];
	char urc_pdu[LINE_MAX_LEN];
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until the buffer holds `want` (a line end, or the "> " prompt) or time runs out. */
static bool fill_until(struct port *p, const char *want, long long deadline)
{
	while (!memmem(p->buf, p->len, want, strlen(want))) {
		struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
		long long left = deadline - now_ms();
		ssize_t rc;

		if (left <= 0 || p->len >= sizeof(p->buf))
			return false;
		if (poll(&pfd, 1, (int)left) <= 0)
			return false;
		rc = read(p->fd, p->buf + p->len, sizeof(p->buf) - p->len);
		if (rc <= 0)
			return false;
		p->len += (size_t)rc;
	}
	return true;
}

/* Next non-empty line, without its line end. */
static bool read_line(struct port *p, char *out, size_t cap, long long deadline)
{
	for (;;) {
		char *nl;
		size_t n;

		if (!fill_until(p, "\n", deadline))
			return false;
		nl = memchr(p->buf, '\n', p->len);
		n = (size_t)(nl - p->buf);
		if (n >= cap)
			n = cap - 1;
		memcpy(out, p->buf, n);
		out[n] = '\0';
		memmove(p->buf, nl + 1, p->len - (size_t)(nl + 1 - p->buf));
		p->len -= (size_t)(nl + 1 - p->buf);
		while (n > 0 && (out[n - 1] == '\r' || out[n - 1] == '\n'))
			out[--n] = '\0';
		if (n > 0)
			return true;
	}
}

static bool is_final(const char *l)
{
	return strcmp(l, "OK") == 0 || strcmp(l, "ERROR") == 0 ||
	       strncmp(l, "+CMS ERROR:", 11) == 0 || strncmp(l, "+CME ERROR:", 11) == 0;
}

static bool is_direct_urc(const char *l)
{
	return strncmp(l, "+CMT:", 5) == 0 || strncmp(l, "+CDS:", 5) == 0;
}

static void write_str(struct port *p, const char *s)
{
	size_t len = strlen(s);

	while (len > 0) {
		ssize_t rc = write(p->fd, s, len);

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return;
		s += rc;
		len -= (size_t)rc;
	}
}

/* A direct URC and its PDU line; kept for whoever waits for it. */
static bool take_urc(struct port *p, const char *line, long long deadline)
{
	char pdu[LINE_MAX_LEN];

	if (!read_line(p, pdu, sizeof(pdu), deadline))
		return false;
	printf("    modem  ← %s\n    modem  ← %s\n", line, pdu);
	snprintf(p->urc, sizeof(p->urc), "%s", line);
	snprintf(p->urc_pdu, sizeof(p->urc_pdu), "%s", pdu);
	return true;
}

/* Send a command, print the exchange, return true on OK. Info lines go to `info`. */
static bool command(struct port *p, const char *cmd, char *info, size_t info_cap)
{
	long long deadline = now_ms() + p->timeout_ms;
	char line[LINE_MAX_LEN], out[LINE_MAX_LEN + 2];

	if (info)
		info[0] = '\0';
	printf("    modem  → %s\n", cmd);
	snprintf(out, sizeof(out), "%s\r", cmd);
	write_str(p, out);
	while (read_line(p, line, sizeof(line), deadline)) {
		if (strcmp(line, cmd) == 0)
			continue; /* echo */
		if (is_direct_urc(line)) {
			if (!take_urc(p, line, deadline))
				return false;
			continue;
		}
		printf("    modem  ← %s\n", line);
		if (is_final(line))
			return strcmp(line, "OK") == 0;
		if (info && !info[0])
			snprintf(info, info_cap, "%s", line);
	}
	printf("    (no answer from the modem)\n");
	return false;
}

/* Wait for a +CMT (want "+CMT:") or +CDS. */
static bool wait_urc(struct port *p, const char *want, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	char line[LINE_MAX_LEN];

	while (strncmp(p->urc, want, strlen(want)) != 0) {
		if (!read_line(p, line, sizeof(line), deadline))
			return false;
		if (is_direct_urc(line)) {
			if (!take_urc(p, line, deadline))
				return false;
		} else {
			printf("    modem  ← %s\n", line);
		}
	}
	return true;
}

/* Send `text` (as many parts as it takes); the TP-MR of each part goes to mrs[]. */
static bool send_sms(struct port *p, const char *to, const char *text, unsigned *mrs,
		     unsigned max_mrs, unsigned *n_mrs)
{
	struct sms_user_data *parts = calloc(SMS_MAX_PARTS, sizeof(*parts));
	struct sms_submit *s = calloc(1, sizeof(*s));
	bool ok = false;
	int n;

	if (!parts || !s)
		goto out;
	n = sms_split_utf8(parts, SMS_MAX_PARTS, text, strlen(text), (uint8_t)now_ms());
	if (n < 0 || sms_address_from_text(&s->destination, to) < 0)
		goto out;
	*n_mrs = 0;
	for (int i = 0; i < n; i++) {
		uint8_t pdu[SMS_PDU_MAX];
		char hex[2 * SMS_PDU_MAX + 2], cmd[32], line[LINE_MAX_LEN];
		long long deadline;
		int len;

		s->ud = parts[i];
		s->status_report_request = true;
		s->vpf = SMS_VPF_RELATIVE;
		s->vp_relative = 167; /* one day */
		len = sms_submit_encode(pdu, sizeof(pdu), s, true);
		if (len < 0 || sms_hex_encode(hex, sizeof(hex) - 1, pdu, (size_t)len) < 0)
			goto out;
		snprintf(cmd, sizeof(cmd), "AT+CMGS=%d", sms_tpdu_len(pdu, (size_t)len));
		printf("    modem  → %s\n", cmd);
		write_str(p, cmd);
		write_str(p, "\r");
		deadline = now_ms() + p->timeout_ms;
		if (!fill_until(p, "> ", deadline)) {
			printf("    (no \"> \" prompt)\n");
			goto out;
		}
		p->len = 0; /* echo and prompt */
		printf("    modem  ← > \n    modem  → %s<Ctrl-Z>\n", hex);
		write_str(p, hex);
		write_str(p, "\x1a");
		for (;;) {
			if (!read_line(p, line, sizeof(line), deadline + 30000)) {
				printf("    (no answer to +CMGS)\n");
				goto out;
			}
			if (strcmp(line, hex) == 0)
				continue; /* echo of the PDU */
			if (is_direct_urc(line)) {
				if (!take_urc(p, line, deadline + 30000))
					goto out;
				continue;
			}
			printf("    modem  ← %s\n", line);
			if (sscanf(line, "+CMGS: %u", &mrs[*n_mrs]) == 1) {
				if (*n_mrs + 1 < max_mrs)
					(*n_mrs)++;
				continue;
			}
			if (is_final(line)) {
				if (strcmp(line, "OK") != 0)
					goto out;
				break;
			}
		}
	}
	ok = true;
out:
	free(parts);
	free(s);
	return ok;
}

static bool mr_known(const unsigned *mrs, unsigned n, unsigned mr)
{
	for (unsigned i = 0; i < n; i++) {
		if (mrs[i] == mr)
			return true;
	}
	return false;
}

static int open_port(const char *dev)
{
	struct termios tio;
	int fd = open(dev, O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (tcgetattr(fd, &tio) == 0) {
		cfmakeraw(&tio);
		cfsetspeed(&tio, B115200);
		tcsetattr(fd, TCSANOW, &tio);
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct port p = {.timeout_ms = 10000};
	struct sms_deliver *d = NULL;
	struct sms_status_report *r = NULL;
	uint8_t pdu[SMS_PDU_MAX];
	char reply[SMS_TEXT_MAX + 64], when[40];
	unsigned mrs[MAX_PARTS], n_mrs = 0;
	int wait_s = 60, n, rc = 1;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: modemsim-echo DEVICE [WAIT_SECONDS]\n");
		return 2;
	}
	if (argc == 3)
		wait_s = atoi(argv[2]);
	/* Line by line, so the demo shows each step as it happens. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	p.fd = open_port(argv[1]);
	if (p.fd < 0) {
		fprintf(stderr, "modemsim-echo: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	d = calloc(1, sizeof(*d));
	r = calloc(1, sizeof(*r));
	if (!d || !r)
		goto out;

	printf("  Setting the modem up for direct delivery:\n");
	if (!command(&p, "ATE0", NULL, 0) || !command(&p, "AT+CMGF=0", NULL, 0) ||
	    !command(&p, "AT+CSMS=1", NULL, 0) || !command(&p, "AT+CNMI=2,2,0,1,0", NULL, 0))
		goto out;

	printf("\n  Waiting for an SMS (+CMT) ...\n");
	if (!wait_urc(&p, "+CMT:", wait_s * 1000)) {
		printf("  no SMS arrived\n");
		goto out;
	}
	if (!command(&p, "AT+CNMA", NULL, 0))
		goto out;
	n = sms_hex_decode(pdu, sizeof(pdu), p.urc_pdu, strlen(p.urc_pdu));
	if (n < 0 || sms_deliver_decode(d, pdu, (size_t)n, true) < 0) {
		printf("  cannot decode the PDU\n");
		goto out;
	}
	p.urc[0] = '\0';
	sms_time_format(when, sizeof(when), &d->scts);
	printf("\n  Decoded SMS-DELIVER:\n");
	printf("    SMSC        %s\n", d->smsc.text);
	printf("    from        %s\n", d->originator.text);
	printf("    sent at     %s\n", when);
	printf("    alphabet    %s\n", d->ud.alphabet == SMS_ALPHABET_GSM7   ? "GSM 7-bit"
				       : d->ud.alphabet == SMS_ALPHABET_UCS2 ? "UCS-2"
									     : "8-bit");
	printf("    text        %s\n", d->ud.text);

	snprintf(reply, sizeof(reply), "Chaperone received: %s", d->ud.text);
	printf("\n  Replying \"%s\" (status report requested):\n", reply);
	if (!send_sms(&p, d->originator.text, reply, mrs, MAX_PARTS, &n_mrs))
		goto out;

	/* One status report per part, in whatever order the network sends them. */
	for (unsigned got = 0; got < n_mrs; got++) {
		printf("\n  Waiting for a status report (+CDS) ...\n");
		if (!wait_urc(&p, "+CDS:", wait_s * 1000)) {
			printf("  no status report arrived\n");
			goto out;
		}
		if (!command(&p, "AT+CNMA", NULL, 0))
			goto out;
		n = sms_hex_decode(pdu, sizeof(pdu), p.urc_pdu, strlen(p.urc_pdu));
		p.urc[0] = '\0';
		if (n < 0 || sms_status_report_decode(r, pdu, (size_t)n, true) < 0) {
			printf("  cannot decode the status report\n");
			goto out;
		}
		printf("\n  Decoded SMS-STATUS-REPORT: TP-MR %u to %s: %s (TP-ST 0x%02X)\n", r->mr,
		       r->recipient.text, sms_status_name(r->status), r->status);
		if (!sms_status_is_delivered(r->status) || !mr_known(mrs, n_mrs, r->mr))
			goto out;
	}
	rc = 0;
out:
	free(d);
	free(r);
	close(p.fd);
	return rc;
}
