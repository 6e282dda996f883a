/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* `chaperone modem send DEVICE NUMBER TEXT`: one message through the real driver, with a
 * status report asked for every part, waited for and printed. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/timer.h>

#include <osmocom/core/tdef.h>

#include "gateway/cli/cli.h"
#include "gateway/cli/cli_modem.h"
#include "modem/driver/modem.h"
#include "modem/sms/sms_split.h"
#include "modem/sms/sms_tpdu.h"

#define DEFAULT_TIMEOUT_S 180
#define MSG_ID		  1

struct part_state {
	bool submitted, final, delivered;
	uint8_t mr, st;
};

struct sender {
	struct cli_loop loop;
	unsigned n_parts, n_final;
	struct part_state *parts;
	bool verbose, timed_out;
	struct osmo_timer_list timeout;
};

static void part_final(struct sender *s, unsigned part)
{
	if (s->parts[part].final)
		return;
	s->parts[part].final = true;
	if (++s->n_final == s->n_parts)
		s->loop.done = true;
}

static void on_part_sent(struct modem *m, uint64_t msg_id, unsigned part, bool ok, uint8_t mr,
			 int cms_error, void *data)
{
	struct sender *s = data;

	(void)m;
	if (msg_id != MSG_ID || part >= s->n_parts)
		return;
	if (ok) {
		s->parts[part].submitted = true;
		s->parts[part].mr = mr;
		printf("part %u/%u: submitted, TP-MR %u\n", part + 1, s->n_parts, mr);
	} else {
		printf("part %u/%u: not sent (+CMS ERROR: %d)\n", part + 1, s->n_parts, cms_error);
		part_final(s, part);
	}
	fflush(stdout);
}

static void on_part_status(struct modem *m, uint64_t msg_id, unsigned part, uint8_t st, void *data)
{
	struct sender *s = data;

	(void)m;
	if (msg_id != MSG_ID || part >= s->n_parts)
		return;
	s->parts[part].st = st;
	printf("part %u/%u: TP-MR %u %s (TP-ST 0x%02X %s)\n", part + 1, s->n_parts,
	       s->parts[part].mr,
	       sms_status_is_delivered(st)   ? "delivered"
	       : sms_status_is_temporary(st) ? "not yet delivered, SMSC still trying"
					     : "FAILED",
	       st, sms_status_name(st));
	fflush(stdout);
	if (sms_status_is_temporary(st))
		return;
	s->parts[part].delivered = sms_status_is_delivered(st);
	part_final(s, part);
}

static void on_state(struct modem *m, enum modem_state st, void *data)
{
	struct sender *s = data;

	if (st == MODEM_ST_RECOVERING && cli_modem_port_busy("send", m, &s->loop))
		return;
	if (s->verbose || st == MODEM_ST_RECOVERING)
		fprintf(stderr, "modem: %s\n", modem_state_name(st));
}

static void on_timeout(void *data)
{
	struct sender *s = data;

	s->timed_out = true;
	s->loop.done = true;
}

static void help(FILE *f)
{
	fprintf(f,
		"Usage: chaperone modem send DEVICE NUMBER TEXT [--profile NAME] [--pin PIN]\n"
		"                            [--timeout S] [-v]\n\n"
		"Sends TEXT (UTF-8; split into parts as needed) to NUMBER through the modem on\n"
		"DEVICE, asking for a status report for every part, and prints each part's TP-MR\n"
		"and its delivery status as the reports arrive. Messages and reports the modem\n"
		"receives meanwhile are left on it, for chaperoned to take.\n\n"
		"  --profile NAME  modem profile (default: chosen from +CGMM)\n"
		"  --pin PIN       the SIM's PIN, if it asks for one\n"
		"  --timeout S     give up after S seconds (default %d)\n"
		"  -v              driver state changes and log on stderr\n\n"
		"Exit status: 0 when every part was delivered, 1 when one failed or the time ran\n"
		"out, 2 for a bad command line.\n",
		DEFAULT_TIMEOUT_S);
}

/* The SMS-SUBMIT PDUs (SMSC prefix "00": the modem's own SMSC) of every part. */
static int encode_parts(const char *number, const char *text, uint8_t (**pdus)[SMS_PDU_MAX],
			size_t **lens)
{
	struct sms_user_data *ud = calloc(SMS_MAX_PARTS, sizeof(*ud));
	struct sms_submit sub = {0};
	uint8_t ref = (uint8_t)(time(NULL) ^ getpid());
	int n, rc = 0;

	if (!ud)
		return -1;
	if (sms_address_from_text(&sub.destination, number) < 0) {
		fprintf(stderr, "chaperone modem send: '%s' is not a phone number\n", number);
		free(ud);
		return -1;
	}
	n = sms_split_utf8(ud, SMS_MAX_PARTS, text, strlen(text), ref);
	if (n <= 0) {
		fprintf(stderr, "chaperone modem send: cannot split the text: %s\n",
			n < 0 ? sms_strerror(n) : "empty");
		free(ud);
		return -1;
	}
	*pdus = calloc((size_t)n, sizeof(**pdus));
	*lens = calloc((size_t)n, sizeof(**lens));
	if (!*pdus || !*lens) {
		free(ud);
		return -1;
	}
	sub.status_report_request = true;
	sub.vpf = SMS_VPF_RELATIVE;
	sub.vp_relative = sms_vp_relative_from_minutes(24 * 60);
	for (int i = 0; i < n && rc >= 0; i++) {
		sub.ud = ud[i];
		sub.dcs = sms_dcs_for(ud[i].alphabet, false, 0);
		rc = sms_submit_encode((*pdus)[i], SMS_PDU_MAX, &sub, true);
		(*lens)[i] = rc > 0 ? (size_t)rc : 0;
	}
	free(ud);
	if (rc < 0) {
		fprintf(stderr, "chaperone modem send: cannot encode: %s\n", sms_strerror(rc));
		return -1;
	}
	return n;
}

struct send_args {
	const char *profile_name, *pin;
	unsigned long timeout_s;
	bool verbose;
};

/* Options of `modem send`. Returns -1 to go on, else the exit status. */
static int send_parse(int argc, char **argv, struct send_args *a)
{
	static const struct option opts[] = {
	    {"profile", required_argument, NULL, 'p'}, {"pin", required_argument, NULL, 'P'},
	    {"timeout", required_argument, NULL, 't'}, {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},	       {NULL, 0, NULL, 0},
	};
	char *end;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			a->profile_name = optarg;
			break;
		case 'P':
			a->pin = optarg;
			break;
		case 't':
			a->timeout_s = strtoul(optarg, &end, 10);
			if (*end || !a->timeout_s || a->timeout_s > 86400 || *optarg == '-') {
				fprintf(stderr, "chaperone modem send: bad --timeout '%s'\n",
					optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'v':
			a->verbose = true;
			break;
		case 'h':
			help(stdout);
			return CLI_EXIT_OK;
		default:
			help(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 3) {
		help(stderr);
		return CLI_EXIT_USAGE;
	}
	return -1;
}

/* What became of each part, and the verdict: CLI_EXIT_OK when every part was delivered. */
static int send_report(const struct sender *s, unsigned long timeout_s)
{
	int rc = CLI_EXIT_OK;

	for (unsigned i = 0; i < s->n_parts; i++) {
		if (!s->parts[i].final)
			printf("part %u/%u: %s\n", i + 1, s->n_parts,
			       s->parts[i].submitted ? "no final status report" : "not submitted");
		if (!s->parts[i].delivered)
			rc = CLI_EXIT_INPUT;
	}
	if (s->timed_out)
		fprintf(stderr, "chaperone modem send: gave up after %lu s\n", timeout_s);
	else if (s->loop.interrupted)
		fprintf(stderr, "chaperone modem send: interrupted\n");
	printf("%s\n", rc == CLI_EXIT_OK ? "delivered" : "not delivered");
	return rc;
}

int cli_modem_send(int argc, char **argv)
{
	static const struct modem_events ev = {
	    .on_part_sent = on_part_sent,
	    .on_part_status = on_part_status,
	    .on_state = on_state,
	};
	struct send_args a = {.timeout_s = DEFAULT_TIMEOUT_S};
	const struct modem_profile *prof = NULL;
	uint8_t(*pdus)[SMS_PDU_MAX] = NULL;
	const uint8_t **pdu_ptrs = NULL;
	size_t *lens = NULL;
	struct sender s = {0};
	struct modem_pool *pool;
	struct modem *m;
	void *ctx;
	int n, rc = send_parse(argc, argv, &a);

	if (rc >= 0)
		return rc;
	rc = CLI_EXIT_INPUT;
	s.verbose = a.verbose;
	if (cli_modem_profile_arg("send", a.profile_name, &prof) < 0)
		return CLI_EXIT_USAGE;
	n = encode_parts(argv[optind + 1], argv[optind + 2], &pdus, &lens);
	if (n < 0) {
		free(pdus);
		free(lens);
		return CLI_EXIT_USAGE;
	}
	s.n_parts = (unsigned)n;
	s.parts = calloc(s.n_parts, sizeof(*s.parts));
	pdu_ptrs = calloc(s.n_parts, sizeof(*pdu_ptrs));
	if (!s.parts || !pdu_ptrs)
		goto out_free;
	for (unsigned i = 0; i < s.n_parts; i++)
		pdu_ptrs[i] = pdus[i];

	ctx = cli_modem_setup("chaperone modem send", s.verbose, &s.loop);
	if (!ctx)
		goto out_free;
	pool = modem_pool_alloc(ctx, &ev, &s);
	m = pool ? modem_pool_add(pool,
				  &(struct modem_config){
				      .name = "modem",
				      .device = argv[optind],
				      .profile = prof ? prof->name : NULL,
				      .sim_pin = a.pin,
				  })
		 : NULL;
	if (!m) {
		fprintf(stderr, "chaperone modem send: cannot start the driver on %s\n",
			argv[optind]);
		goto out_pool;
	}
	if (modem_send(m, MSG_ID, pdu_ptrs, lens, s.n_parts) < 0) {
		fprintf(stderr, "chaperone modem send: the driver refused the message\n");
		goto out_pool;
	}
	printf("sending %u part%s to %s via %s\n", s.n_parts, s.n_parts == 1 ? "" : "s",
	       argv[optind + 1], argv[optind]);
	fflush(stdout);
	osmo_timer_setup(&s.timeout, on_timeout, &s);
	osmo_timer_schedule(&s.timeout, (long)a.timeout_s, 0);
	cli_modem_run(&s.loop);
	osmo_timer_del(&s.timeout);
	rc = s.loop.port_busy ? CLI_EXIT_INPUT : send_report(&s, a.timeout_s);
out_pool:
	if (pool)
		modem_pool_free(pool);
	cli_modem_teardown(ctx);
out_free:
	free(s.parts);
	free(pdu_ptrs);
	free(pdus);
	free(lens);
	return rc;
}
