/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* `chaperone modem probe DEVICE`: what an installer needs to know about a modem, read
 * straight over its AT channel.
 *
 * Read-only by design: it does not start the driver (which would set +CSMS, +CPMS and
 * +CNMI and sweep the SIM), so it can be pointed at any port, and it reports a modem
 * that never registers instead of waiting for it. Only ATE0 and +CMEE=1 are set, which
 * the driver sets anyway. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <osmocom/core/talloc.h>

#include <osmocom/core/tdef.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "modem/driver/at_channel.h"
#include "gateway/cli/cli.h"
#include "gateway/cli/cli_modem.h"

#define FIELD 96

struct reg {
	int n, stat; /* -1: not answered */
	bool supported;
};

struct probe {
	struct cli_loop loop;
	struct at_channel *ch;
	const char *device;
	unsigned step;
	bool answered, lost;
	const char *lost_at;

	char manufacturer[FIELD], model[FIELD], revision[FIELD], imei[FIELD], imsi[FIELD];
	char sim[FIELD], operator_name[FIELD], smsc[FIELD];
	struct reg creg, cereg;
	int rssi, ber;
	char csms[FIELD], csms_test[FIELD], cpms[FIELD * 2], cpms_test[FIELD * 2];
	char cnmi[FIELD], cnmi_test[FIELD], cmms_test[FIELD];
	bool cmms;
};

/* The text after "PREFIX" (and blanks) in the first line that has it, or NULL. A URC
 * that slipped into the response (no handler is registered here) is skipped this way. */
static const char *info(const struct at_response *r, const char *prefix)
{
	size_t n = strlen(prefix);

	for (unsigned i = 0; i < r->n_lines; i++) {
		if (!strncmp(r->lines[i], prefix, n)) {
			const char *v = r->lines[i] + n;

			while (*v == ' ')
				v++;
			return v;
		}
	}
	return NULL;
}

static void copy(char *dst, const char *src)
{
	snprintf(dst, FIELD, "%s", src ? src : "");
}

/* Identity answers: a bare line on most modems, "+CGMR: x" or "Revision: x" on some. */
static void identity(char *dst, const struct at_response *r, const char *prefix)
{
	const char *v;

	if (r->result != AT_RES_OK || !r->n_lines)
		return;
	v = info(r, prefix);
	if (!v)
		v = info(r, "Revision:");
	if (!v)
		v = r->lines[0];
	while (*v == ' ' || *v == '"')
		v++;
	copy(dst, v);
	dst[strcspn(dst, "\"")] = '\0';
}

static void on_cgmi(struct probe *p, const struct at_response *r)
{
	identity(p->manufacturer, r, "+CGMI:");
}

static void on_cgmm(struct probe *p, const struct at_response *r)
{
	identity(p->model, r, "+CGMM:");
}

static void on_cgmr(struct probe *p, const struct at_response *r)
{
	identity(p->revision, r, "+CGMR:");
}

static void on_cgsn(struct probe *p, const struct at_response *r)
{
	identity(p->imei, r, "+CGSN:");
}

static void on_cpin(struct probe *p, const struct at_response *r)
{
	const char *v = info(r, "+CPIN:");

	if (v)
		copy(p->sim, v);
	else if (r->result == AT_RES_CME_ERROR && r->error_code == CME_SIM_NOT_INSERTED)
		copy(p->sim, "NOT INSERTED");
	else
		snprintf(p->sim, FIELD, "unknown (%s)", r->final_line);
}

static void on_cimi(struct probe *p, const struct at_response *r)
{
	if (r->result == AT_RES_OK && r->n_lines)
		copy(p->imsi, r->lines[0]);
}

static void reg(struct reg *g, const struct at_response *r, const char *prefix)
{
	const char *v = info(r, prefix);

	g->supported = r->result == AT_RES_OK;
	if (!v || sscanf(v, "%d,%d", &g->n, &g->stat) != 2)
		g->n = g->stat = -1;
}

static void on_creg(struct probe *p, const struct at_response *r)
{
	reg(&p->creg, r, "+CREG:");
}

static void on_cereg(struct probe *p, const struct at_response *r)
{
	reg(&p->cereg, r, "+CEREG:");
}

static void on_cops(struct probe *p, const struct at_response *r)
{
	const char *v = info(r, "+COPS:");
	const char *q = v ? strchr(v, '"') : NULL;

	if (q) {
		copy(p->operator_name, q + 1);
		p->operator_name[strcspn(p->operator_name, "\"")] = '\0';
	}
}

static void on_csq(struct probe *p, const struct at_response *r)
{
	const char *v = info(r, "+CSQ:");

	if (!v || sscanf(v, "%d,%d", &p->rssi, &p->ber) != 2)
		p->rssi = p->ber = -1;
}

static void on_csca(struct probe *p, const struct at_response *r)
{
	const char *v = info(r, "+CSCA:");

	if (v) {
		copy(p->smsc, v[0] == '"' ? v + 1 : v);
		p->smsc[strcspn(p->smsc, "\"")] = '\0';
	}
}

/* The information text of an SMS command, or "" when it is not supported. */
#define TEXT_OF(field, prefix)                                                                     \
	static void on_##field(struct probe *p, const struct at_response *r)                       \
	{                                                                                          \
		const char *v = info(r, prefix);                                                   \
		snprintf(p->field, sizeof(p->field), "%s", v ? v : "");                            \
	}
TEXT_OF(csms_test, "+CSMS:")
TEXT_OF(csms, "+CSMS:")
TEXT_OF(cpms_test, "+CPMS:")
TEXT_OF(cpms, "+CPMS:")
TEXT_OF(cnmi_test, "+CNMI:")
TEXT_OF(cnmi, "+CNMI:")

static void on_cmms_test(struct probe *p, const struct at_response *r)
{
	const char *v = info(r, "+CMMS:");

	p->cmms = r->result == AT_RES_OK;
	snprintf(p->cmms_test, sizeof(p->cmms_test), "%s", v ? v : "");
}

static void on_nothing(struct probe *p, const struct at_response *r)
{
	(void)p;
	(void)r;
}

static const struct step {
	const char *cmd, *expect;
	void (*done)(struct probe *p, const struct at_response *r);
} steps[] = {
    {"AT", NULL, on_nothing},
    {"ATE0", NULL, on_nothing},
    {"AT+CMEE=1", NULL, on_nothing},
    {"AT+CGMI", "+CGMI:", on_cgmi},
    {"AT+CGMM", "+CGMM:", on_cgmm},
    {"AT+CGMR", "+CGMR:", on_cgmr},
    {"AT+CGSN", "+CGSN:", on_cgsn},
    {"AT+CPIN?", "+CPIN:", on_cpin},
    {"AT+CIMI", NULL, on_cimi},
    {"AT+CREG?", "+CREG:", on_creg},
    {"AT+CEREG?", "+CEREG:", on_cereg},
    {"AT+COPS?", "+COPS:", on_cops},
    {"AT+CSQ", "+CSQ:", on_csq},
    {"AT+CSCA?", "+CSCA:", on_csca},
    {"AT+CSMS=?", "+CSMS:", on_csms_test},
    {"AT+CSMS?", "+CSMS:", on_csms},
    {"AT+CPMS=?", "+CPMS:", on_cpms_test},
    {"AT+CPMS?", "+CPMS:", on_cpms},
    {"AT+CNMI=?", "+CNMI:", on_cnmi_test},
    {"AT+CNMI?", "+CNMI:", on_cnmi},
    {"AT+CMMS=?", "+CMMS:", on_cmms_test},
};

/* The first AT is sent twice: a SIM800 in autobauding ignores the first line it sees. */
#define FIRST_TIMEOUT_MS 3000

static void next(struct probe *p);

static void on_response(struct at_channel *ch, const struct at_response *r, void *data)
{
	struct probe *p = data;

	(void)ch;
	if (r->result == AT_RES_TIMEOUT || r->result == AT_RES_CLOSED) {
		if (p->step == 0 && !p->answered && r->result == AT_RES_TIMEOUT && !p->lost) {
			p->lost = true; /* one retry of the first AT */
			next(p);
			return;
		}
		p->lost = true;
		p->lost_at = p->step < ARRAY_SIZE(steps) ? steps[p->step].cmd : "";
		p->loop.done = true;
		return;
	}
	p->answered = true;
	steps[p->step].done(p, r);
	p->step++;
	p->lost = false;
	next(p);
}

static void next(struct probe *p)
{
	if (p->step >= ARRAY_SIZE(steps)) {
		p->loop.done = true;
		return;
	}
	if (at_channel_cmd(p->ch, steps[p->step].cmd, steps[p->step].expect,
			   p->step == 0 ? FIRST_TIMEOUT_MS : 0, on_response, p) < 0) {
		p->lost = true;
		p->lost_at = steps[p->step].cmd;
		p->loop.done = true;
	}
}

static void on_closed(struct at_channel *ch, void *data)
{
	struct probe *p = data;

	(void)ch;
	p->ch = NULL;
	p->lost = true;
	if (!p->lost_at)
		p->lost_at = p->step < ARRAY_SIZE(steps) ? steps[p->step].cmd : "";
	p->loop.done = true;
}

static void on_trace(struct at_channel *ch, char dir, const char *line, void *data)
{
	(void)ch;
	(void)data;
	fprintf(stderr, "%c %s\n", dir, line);
}

/* 27.007 §7.2 <stat>. */
static const char *reg_name(int stat)
{
	static const char *const names[] = {
	    "not registered",
	    "registered, home",
	    "searching",
	    "denied",
	    "unknown",
	    "registered, roaming",
	    "registered for SMS only, home",
	    "registered for SMS only, roaming",
	    "emergency only",
	    "CSFB not preferred, home",
	    "CSFB not preferred, roaming",
	};

	if (stat < 0)
		return "no answer";
	return (size_t)stat < ARRAY_SIZE(names) ? names[stat] : "other";
}

static bool reg_ok(const struct reg *g)
{
	return g->stat == 1 || g->stat == 5 || g->stat == 6 || g->stat == 7 || g->stat == 9 ||
	       g->stat == 10;
}

/* 27.007 §8.5: 0 → -113 dBm or less, 31 → -51 dBm or more, 2 dBm a step; 99 unknown. */
static int csq_dbm(int rssi)
{
	return rssi >= 0 && rssi <= 31 ? -113 + 2 * rssi : 0;
}

static bool registered(const struct probe *p, const struct modem_profile *prof)
{
	return reg_ok(&p->creg) || (prof->lte && reg_ok(&p->cereg));
}

static struct json_object *jstr(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

static struct json_object *jreg(const struct reg *g)
{
	struct json_object *o;

	if (!g->supported)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "n", json_object_new_int(g->n));
	json_object_object_add(o, "stat", json_object_new_int(g->stat));
	json_object_object_add(o, "text", json_object_new_string(reg_name(g->stat)));
	json_object_object_add(o, "registered", json_object_new_boolean(reg_ok(g)));
	return o;
}

static void print_json(const struct probe *p, const struct modem_profile *prof, bool chosen)
{
	struct json_object *o = json_object_new_object(), *j;
	bool direct = prof->rx_mode == MODEM_RX_DIRECT;

	json_object_object_add(o, "device", json_object_new_string(p->device));
	json_object_object_add(o, "manufacturer", jstr(p->manufacturer));
	json_object_object_add(o, "model", jstr(p->model));
	json_object_object_add(o, "revision", jstr(p->revision));
	json_object_object_add(o, "imei", jstr(p->imei));
	json_object_object_add(o, "imsi", jstr(p->imsi));
	json_object_object_add(o, "sim", jstr(p->sim));
	json_object_object_add(o, "creg", jreg(&p->creg));
	json_object_object_add(o, "cereg", jreg(&p->cereg));
	json_object_object_add(o, "registered", json_object_new_boolean(registered(p, prof)));
	json_object_object_add(o, "operator", jstr(p->operator_name));
	j = json_object_new_object();
	json_object_object_add(j, "rssi", json_object_new_int(p->rssi));
	json_object_object_add(j, "ber", json_object_new_int(p->ber));
	json_object_object_add(
	    j, "dbm", p->rssi >= 0 && p->rssi <= 31 ? json_object_new_int(csq_dbm(p->rssi)) : NULL);
	json_object_object_add(o, "signal", j);
	json_object_object_add(o, "smsc", jstr(p->smsc));
	j = json_object_new_object();
	json_object_object_add(j, "csms", jstr(p->csms));
	json_object_object_add(j, "csms_supported", jstr(p->csms_test));
	json_object_object_add(j, "cpms", jstr(p->cpms));
	json_object_object_add(j, "cpms_supported", jstr(p->cpms_test));
	json_object_object_add(j, "cnmi", jstr(p->cnmi));
	json_object_object_add(j, "cnmi_supported", jstr(p->cnmi_test));
	json_object_object_add(j, "cmms", json_object_new_boolean(p->cmms));
	json_object_object_add(j, "cmms_supported", jstr(p->cmms_test));
	json_object_object_add(o, "sms", j);
	j = json_object_new_object();
	json_object_object_add(j, "name", json_object_new_string(prof->name));
	json_object_object_add(j, "description", json_object_new_string(prof->description));
	json_object_object_add(j, "chosen_by", json_object_new_string(chosen ? "option" : "cgmm"));
	json_object_object_add(j, "delivery", json_object_new_string(direct ? "direct" : "stored"));
	json_object_object_add(
	    j, "cnmi", json_object_new_string(direct ? prof->cnmi_direct : prof->cnmi_stored));
	json_object_object_add(j, "storage", json_object_new_string(prof->storage));
	json_object_object_add(j, "lte", json_object_new_boolean(prof->lte));
	json_object_object_add(j, "cmms", json_object_new_boolean(prof->cmms));
	json_object_object_add(j, "cfun_reset", json_object_new_boolean(prof->cfun_reset));
	json_object_object_add(o, "profile", j);
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static const char *or_dash(const char *s)
{
	return *s ? s : "-";
}

static void print_reg(const char *label, const struct reg *g)
{
	if (!g->supported)
		printf("%-14s not supported\n", label);
	else
		printf("%-14s %d (%s)\n", label, g->stat, reg_name(g->stat));
}

static void print_table(const struct probe *p, const struct modem_profile *prof, bool chosen)
{
	bool direct = prof->rx_mode == MODEM_RX_DIRECT;

	printf("%-14s %s\n", "Device", p->device);
	printf("%-14s %s\n", "Manufacturer", or_dash(p->manufacturer));
	printf("%-14s %s\n", "Model", or_dash(p->model));
	printf("%-14s %s\n", "Revision", or_dash(p->revision));
	printf("%-14s %s\n", "IMEI", or_dash(p->imei));
	printf("%-14s %s — %s (%s)\n", "Profile", prof->name, prof->description,
	       chosen ? "--profile" : "from +CGMM");
	printf("%-14s %s, AT+CNMI=%s, storage %s, LTE %s, AT+CMMS %s, AT+CFUN=1,1 %s\n", "",
	       direct ? "direct delivery" : "stored delivery",
	       direct ? prof->cnmi_direct : prof->cnmi_stored, prof->storage,
	       prof->lte ? "yes" : "no", prof->cmms ? "yes" : "no",
	       prof->cfun_reset ? "yes" : "no");
	printf("%-14s %s\n", "SIM", or_dash(p->sim));
	printf("%-14s %s\n", "IMSI", or_dash(p->imsi));
	print_reg("+CREG", &p->creg);
	print_reg("+CEREG", &p->cereg);
	printf("%-14s %s\n", "Registered", registered(p, prof) ? "yes" : "NO");
	printf("%-14s %s\n", "Operator", or_dash(p->operator_name));
	if (p->rssi >= 0 && p->rssi <= 31)
		printf("%-14s %d dBm (+CSQ: %d,%d)\n", "Signal", csq_dbm(p->rssi), p->rssi, p->ber);
	else
		printf("%-14s unknown (+CSQ: %d,%d)\n", "Signal", p->rssi, p->ber);
	printf("%-14s %s\n", "SMSC", or_dash(p->smsc));
	printf("%-14s %s (supported: %s)\n", "+CSMS", or_dash(p->csms), or_dash(p->csms_test));
	printf("%-14s %s\n", "+CPMS", or_dash(p->cpms));
	printf("%-14s %s\n", "", or_dash(p->cpms_test));
	printf("%-14s %s (supported: %s)\n", "+CNMI", or_dash(p->cnmi), or_dash(p->cnmi_test));
	printf("%-14s %s\n", "+CMMS",
	       p->cmms ? (*p->cmms_test ? p->cmms_test : "supported") : "not supported");
}

static void help(FILE *f)
{
	fprintf(f,
		"Usage: chaperone modem probe DEVICE [--profile NAME] [--json] [-v]\n\n"
		"Asks the modem on DEVICE for its identity, SIM status, registration (+CREG,\n"
		"+CEREG), signal (+CSQ in dBm), SMS capabilities (+CSMS, +CPMS and its usage,\n"
		"+CNMI, +CMMS) and shows the profile the driver would use. Changes nothing on\n"
		"the modem but echo (ATE0) and error reporting (+CMEE=1).\n\n"
		"  --profile NAME  the profile to show instead of the one +CGMM selects\n"
		"  --json          one JSON object instead of the table\n"
		"  -v              every AT line on stderr\n\n"
		"Exit status: 0 when the modem answered (registered or not), 1 when it did not.\n");
}

int cli_modem_probe(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"profile", required_argument, NULL, 'p'},
	    {"json", no_argument, NULL, 'j'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static const struct at_channel_ops ops = {.on_closed = on_closed, .on_trace = on_trace};
	static const struct at_channel_ops quiet_ops = {.on_closed = on_closed};
	const struct modem_profile *prof = NULL;
	const char *profile_name = NULL;
	bool json = false, verbose = false;
	char why[512] = "";
	struct probe *p;
	void *ctx;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			profile_name = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'v':
			verbose = true;
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
	if (cli_modem_profile_arg("probe", profile_name, &prof) < 0)
		return CLI_EXIT_USAGE;

	p = calloc(1, sizeof(*p));
	if (!p)
		return CLI_EXIT_INPUT;
	p->device = argv[optind];
	p->creg.n = p->creg.stat = p->cereg.n = p->cereg.stat = -1;
	p->rssi = p->ber = -1;
	ctx = cli_modem_setup("chaperone modem probe", verbose, &p->loop);
	if (!ctx) {
		free(p);
		return CLI_EXIT_INPUT;
	}
	p->ch = at_channel_open_port(ctx, p->device, NULL, verbose ? &ops : &quiet_ops, p, why,
				     sizeof(why));
	if (!p->ch) {
		fprintf(stderr, "chaperone modem probe: %s\n", why);
		rc = CLI_EXIT_INPUT;
		goto out;
	}
	next(p);
	cli_modem_run(&p->loop);

	if (p->loop.interrupted) {
		fprintf(stderr, "chaperone modem probe: interrupted\n");
		rc = CLI_EXIT_INPUT;
	} else if (!p->answered) {
		fprintf(stderr, "chaperone modem probe: no answer from %s (is it the AT port?)\n",
			p->device);
		rc = CLI_EXIT_INPUT;
	} else if (p->lost) {
		fprintf(stderr, "chaperone modem probe: %s stopped answering (at %s)\n", p->device,
			p->lost_at);
		rc = CLI_EXIT_INPUT;
	} else {
		bool chosen = prof != NULL;

		if (!prof)
			prof = modem_profile_for_cgmm(p->model);
		if (json)
			print_json(p, prof, chosen);
		else
			print_table(p, prof, chosen);
		rc = CLI_EXIT_OK;
	}
out:
	if (p->ch)
		at_channel_close(p->ch);
	cli_modem_teardown(ctx);
	free(p);
	return rc;
}
