/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* `chaperone modem listen DEVICE`: every SMS and status report the modem receives,
 * decoded and printed as it arrives, through the real driver.
 *
 * Each one is committed (modem_rx_committed) right after it is printed, so the driver
 * acknowledges it (+CNMA) or deletes it from storage (+CMGD): listen consumes messages
 * the way chaperoned would, and they are not there for chaperoned afterwards. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include <osmocom/core/tdef.h>

#include "gateway/cli/cli.h"
#include "gateway/cli/cli_modem.h"
#include "modem/driver/modem.h"
#include "modem/sms/sms_tpdu.h"

struct listener {
	struct cli_loop loop;
	bool json, verbose;
	unsigned long count;
};

static void time_text(char *buf, size_t cap, const struct sms_time *t)
{
	if (sms_time_format(buf, cap, t) < 0)
		snprintf(buf, cap, "?");
}

static void print_sms_text(const struct modem_rx *rx)
{
	const struct sms_deliver *d = rx->deliver;
	char when[40];

	time_text(when, sizeof(when), &d->scts);
	printf("SMS from %s at %s", d->originator.text, when);
	if (d->ud.concat.present)
		printf(" (part %u/%u, ref %u)", d->ud.concat.seq, d->ud.concat.total,
		       d->ud.concat.ref);
	if (d->ud.alphabet == SMS_ALPHABET_8BIT)
		printf(": [8-bit data, %u octets]\n", d->ud.payload_len);
	else
		printf(": %.*s\n", (int)d->ud.text_len, d->ud.text);
}

static void print_report_text(const struct modem_rx *rx)
{
	const struct sms_status_report *r = rx->report;
	char when[40];

	time_text(when, sizeof(when), &r->discharge);
	printf("status report: TP-MR %u to %s %s at %s (TP-ST 0x%02X %s)\n", r->mr,
	       r->recipient.text,
	       sms_status_is_delivered(r->status)   ? "delivered"
	       : sms_status_is_temporary(r->status) ? "pending"
						    : "failed",
	       when, r->status, sms_status_name(r->status));
}

static struct json_object *rx_json(const struct modem_rx *rx)
{
	struct json_object *o = json_object_new_object();
	char when[40];

	json_object_object_add(o, "storage_index",
			       rx->storage_index >= 0 ? json_object_new_int(rx->storage_index)
						      : NULL);
	json_object_object_add(o, "pdu", json_object_new_string(rx->pdu_hex));
	if (rx->decode_rc) {
		json_object_object_add(o, "kind", json_object_new_string("undecodable"));
		json_object_object_add(o, "error",
				       json_object_new_string(sms_strerror(rx->decode_rc)));
	} else if (rx->kind == MODEM_RX_SMS) {
		const struct sms_deliver *d = rx->deliver;

		json_object_object_add(o, "kind", json_object_new_string("sms"));
		json_object_object_add(o, "from", json_object_new_string(d->originator.text));
		time_text(when, sizeof(when), &d->scts);
		json_object_object_add(o, "time", json_object_new_string(when));
		json_object_object_add(o, "text",
				       json_object_new_string_len(d->ud.text, d->ud.text_len));
		if (d->ud.concat.present) {
			struct json_object *c = json_object_new_object();

			json_object_object_add(c, "ref", json_object_new_int(d->ud.concat.ref));
			json_object_object_add(c, "seq", json_object_new_int(d->ud.concat.seq));
			json_object_object_add(c, "total", json_object_new_int(d->ud.concat.total));
			json_object_object_add(o, "concat", c);
		}
	} else {
		const struct sms_status_report *r = rx->report;

		json_object_object_add(o, "kind", json_object_new_string("status_report"));
		json_object_object_add(o, "message_reference", json_object_new_int(r->mr));
		json_object_object_add(o, "recipient", json_object_new_string(r->recipient.text));
		json_object_object_add(o, "status", json_object_new_int(r->status));
		json_object_object_add(o, "status_text",
				       json_object_new_string(sms_status_name(r->status)));
		time_text(when, sizeof(when), &r->discharge);
		json_object_object_add(o, "discharge", json_object_new_string(when));
	}
	return o;
}

static void on_rx(struct modem *m, const struct modem_rx *rx, void *data)
{
	struct listener *l = data;

	if (l->json) {
		struct json_object *o = rx_json(rx);

		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else if (rx->decode_rc) {
		printf("undecodable %s (%s): %s\n",
		       rx->kind == MODEM_RX_SMS ? "SMS" : "status report",
		       sms_strerror(rx->decode_rc), rx->pdu_hex);
	} else if (rx->kind == MODEM_RX_SMS) {
		print_sms_text(rx);
	} else {
		print_report_text(rx);
	}
	/* Printed and flushed is this command's "committed". */
	fflush(stdout);
	l->count++;
	modem_rx_committed(m, rx->token);
}

static void on_state(struct modem *m, enum modem_state st, void *data)
{
	struct listener *l = data;

	if (st == MODEM_ST_RECOVERING && cli_modem_port_busy("listen", m, &l->loop))
		return;
	if (l->verbose || st == MODEM_ST_READY || st == MODEM_ST_RECOVERING)
		fprintf(stderr, "modem: %s\n", modem_state_name(st));
}

static void help(FILE *f)
{
	fprintf(
	    f, "Usage: chaperone modem listen DEVICE [--profile NAME] [--pin PIN] [--json] [-v]\n\n"
	       "Starts the driver on DEVICE and prints every SMS (sender, time, text, part) and\n"
	       "status report as it arrives, including what was already stored on the SIM,\n"
	       "until Ctrl-C (SIGINT) or SIGTERM.\n\n"
	       "Each message is acknowledged (+CNMA) or DELETED from the modem's storage\n"
	       "(+CMGD) once printed: what listen shows is gone from the modem and will not\n"
	       "reach chaperoned. Stop chaperoned before using it.\n\n"
	       "  --profile NAME  modem profile (default: chosen from +CGMM)\n"
	       "  --pin PIN       the SIM's PIN, if it asks for one\n"
	       "  --json          one JSON object per line\n"
	       "  -v              driver state changes and log on stderr\n");
}

int cli_modem_listen(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"profile", required_argument, NULL, 'p'}, {"pin", required_argument, NULL, 'P'},
	    {"json", no_argument, NULL, 'j'},	       {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},	       {NULL, 0, NULL, 0},
	};
	static const struct modem_events ev = {.on_rx = on_rx, .on_state = on_state};
	const struct modem_profile *prof = NULL;
	const char *profile_name = NULL, *pin = NULL;
	struct listener l = {0};
	struct modem_pool *pool;
	void *ctx;
	int c, rc = CLI_EXIT_INPUT;

	optind = 0;
	while ((c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			profile_name = optarg;
			break;
		case 'P':
			pin = optarg;
			break;
		case 'j':
			l.json = true;
			break;
		case 'v':
			l.verbose = true;
			break;
		case 'h':
			help(stdout);
			return CLI_EXIT_OK;
		default:
			help(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		help(stderr);
		return CLI_EXIT_USAGE;
	}
	if (cli_modem_profile_arg("listen", profile_name, &prof) < 0)
		return CLI_EXIT_USAGE;

	ctx = cli_modem_setup("chaperone modem listen", l.verbose, &l.loop);
	if (!ctx)
		return CLI_EXIT_INPUT;
	pool = modem_pool_alloc(ctx, &ev, &l);
	if (!pool || !modem_pool_add(pool, &(struct modem_config){
					       .name = "modem",
					       .device = argv[optind],
					       .profile = prof ? prof->name : NULL,
					       .sim_pin = pin,
					   })) {
		fprintf(stderr, "chaperone modem listen: cannot start the driver on %s\n",
			argv[optind]);
	} else {
		cli_modem_run(&l.loop);
		fprintf(stderr, "chaperone modem listen: %lu received\n", l.count);
		rc = l.loop.port_busy ? CLI_EXIT_INPUT : CLI_EXIT_OK;
	}
	if (pool)
		modem_pool_free(pool);
	cli_modem_teardown(ctx);
	return rc;
}
