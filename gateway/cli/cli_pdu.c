/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* `chaperone pdu decode|encode`: the SMS codec at the command line.
 *
 * decode shows every field of a PDU the way a modem prints it (+CMT, +CDS, +CMGR, or a
 * PDU to be sent); encode produces what AT+CMGS takes, part by part, with its fields. Output is
 * readable text, or JSON with --json. Errors go to stderr as
 * "chaperone: pdu decode: <message> (<name>)" with exit status 1; a command line that is
 * not understood exits with 2. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "gateway/cli/cli.h"
#include "gateway/cli/cli_opts.h"
#include "modem/sms/sms_split.h"
#include "modem/sms/sms_tpdu.h"

#define LABEL_WIDTH 26 /* "status report indication:" and a space */

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: chaperone pdu decode [--no-smsc] [--deliver|--submit|--status-report] "
	    "[--json] HEX\n"
	    "       chaperone pdu encode --to NUMBER [--srr] [--smsc NUMBER] [--validity MINUTES]\n"
	    "                            [--ref N] [--json] TEXT\n"
	    "       chaperone pdu encode --deliver --from NUMBER [--smsc NUMBER] [--ref N] "
	    "[--json] TEXT\n\n"
	    "decode  shows the fields of a PDU. The hex starts with the SMSC prefix, as modems\n"
	    "        print it, unless --no-smsc. The type is taken from TP-MTI as seen by the\n"
	    "        modem (0 SMS-DELIVER, 1 SMS-SUBMIT, 2 SMS-STATUS-REPORT) unless forced.\n"
	    "encode  shows each part: the PDU in hex (with the SMSC prefix), the length\n"
	    "        AT+CMGS wants, and its fields decoded back from those bytes. Text that\n"
	    "        does not fit one SMS is split.\n");
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "chaperone: pdu %s: %s (%s)\n", what, sms_strerror(err), sms_errname(err));
	return CLI_EXIT_INPUT;
}

static int usage_error(const char *what, const char *msg)
{
	fprintf(stderr, "chaperone: pdu %s: %s\n", what, msg);
	usage(stderr);
	return CLI_EXIT_USAGE;
}

/* Output, as text lines or into a JSON object: one call per field. */
struct out {
	bool json;
	struct json_object *obj;
};

/* Adds `jv` under `key` (JSON), or prints "key: text" (text); takes ownership of jv. */
static void field(struct out *o, const char *key, struct json_object *jv, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void field(struct out *o, const char *key, struct json_object *jv, const char *fmt, ...)
{
	va_list ap;
	char label[64];
	size_t i;

	if (o->json) {
		json_object_object_add(o->obj, key, jv);
		return;
	}
	json_object_put(jv);
	for (i = 0; key[i] && i < sizeof(label) - 2; i++)
		label[i] = key[i] == '_' ? ' ' : key[i];
	label[i++] = ':';
	label[i] = '\0';
	printf("%-*s", LABEL_WIDTH, label);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static const char *ton_name(uint8_t ton)
{
	static const char *const names[] = {"unknown",	   "international", "national",
					    "network",	   "subscriber",    "alphanumeric",
					    "abbreviated", "reserved"};

	return names[ton & 7];
}

static const char *npi_name(uint8_t npi)
{
	switch (npi) {
	case 0:
		return "unknown";
	case 1:
		return "E.164";
	case 3:
		return "X.121";
	case 4:
		return "telex";
	case 8:
		return "national";
	case 9:
		return "private";
	case 10:
		return "ERMES";
	default:
		return "reserved";
	}
}

static void field_address(struct out *o, const char *key, const struct sms_address *a)
{
	struct json_object *jv;

	if (!strcmp(key, "smsc") && !a->text[0]) {
		field(o, key, NULL, "(none)"); /* 00: the modem's stored SMSC */
		return;
	}
	jv = json_object_new_object();

	json_object_object_add(jv, "number", json_object_new_string(a->text));
	json_object_object_add(jv, "ton", json_object_new_int(a->ton));
	json_object_object_add(jv, "npi", json_object_new_int(a->npi));
	json_object_object_add(jv, "type", json_object_new_string(ton_name(a->ton)));
	field(o, key, jv, "%s (%s, %s)", a->text[0] ? a->text : "(none)", ton_name(a->ton),
	      npi_name(a->npi));
}

static void field_bool(struct out *o, const char *key, bool v)
{
	field(o, key, json_object_new_boolean(v), "%s", v ? "yes" : "no");
}

static void field_time(struct out *o, const char *key, const struct sms_time *t)
{
	char buf[40];

	if (sms_time_format(buf, sizeof(buf), t) < 0)
		snprintf(buf, sizeof(buf), "(invalid)");
	field(o, key, json_object_new_string(buf), "%s", buf);
}

static void field_hex(struct out *o, const char *key, const uint8_t *data, size_t len)
{
	char hex[2 * SMS_UD_SEPTETS * 2 + 1];

	if (sms_hex_encode(hex, sizeof(hex), data, len) < 0)
		hex[0] = '\0';
	field(o, key, json_object_new_string(hex), "%s", hex);
}

static void field_dcs(struct out *o, uint8_t dcs, const struct sms_user_data *ud)
{
	struct sms_dcs_mwi mwi;

	field(o, "dcs", json_object_new_int(dcs), "0x%02X", dcs);
	if (ud->has_class)
		field(o, "class", json_object_new_int(ud->msg_class), "%u", ud->msg_class);
	if (sms_dcs_mwi(dcs, &mwi)) {
		static const char *const types[] = {"voicemail", "fax", "e-mail", "other"};
		struct json_object *jv = json_object_new_object();

		json_object_object_add(jv, "active", json_object_new_boolean(mwi.active));
		json_object_object_add(jv, "store", json_object_new_boolean(mwi.store));
		json_object_object_add(jv, "type", json_object_new_string(types[mwi.type & 3]));
		field(o, "message_waiting", jv, "%s %s%s", types[mwi.type & 3],
		      mwi.active ? "set" : "cleared", mwi.store ? "" : ", discard message");
	}
}

static void field_user_data(struct out *o, const struct sms_user_data *ud)
{
	const struct sms_concat *c = &ud->concat;

	const char *id = ud->alphabet == SMS_ALPHABET_GSM7   ? "gsm7"
			 : ud->alphabet == SMS_ALPHABET_UCS2 ? "ucs2"
							     : "8bit";

	field(o, "alphabet", json_object_new_string(id), "%s", sms_alphabet_name(ud->alphabet));
	if (c->present) {
		struct json_object *jv = json_object_new_object();
		bool valid = sms_concat_check(c) == 0;

		json_object_object_add(jv, "ref", json_object_new_int(c->ref));
		json_object_object_add(jv, "ref16", json_object_new_boolean(c->ref16));
		json_object_object_add(jv, "seq", json_object_new_int(c->seq));
		json_object_object_add(jv, "total", json_object_new_int(c->total));
		json_object_object_add(jv, "valid", json_object_new_boolean(valid));
		field(o, "concatenation", jv, "reference %u (%s), part %u of %u%s", c->ref,
		      c->ref16 ? "16-bit" : "8-bit", c->seq, c->total, valid ? "" : " (invalid)");
	}
	if (ud->udh_len)
		field_hex(o, "header", ud->udh, ud->udh_len);
	field(o, "length", json_object_new_int(ud->payload_len), "%u %s", ud->payload_len,
	      ud->alphabet == SMS_ALPHABET_GSM7 ? "septets" : "octets");
	if (ud->alphabet == SMS_ALPHABET_8BIT)
		field_hex(o, "data", ud->payload, ud->payload_len);
	else
		field(o, "text", json_object_new_string_len(ud->text, ud->text_len), "%s",
		      ud->text);
}

static void format_minutes(char *buf, size_t cap, uint32_t minutes)
{
	const uint32_t day = 24 * 60, week = 7 * day;

	if (minutes % week == 0)
		snprintf(buf, cap, "%u week%s", minutes / week, minutes == week ? "" : "s");
	else if (minutes % day == 0)
		snprintf(buf, cap, "%u day%s", minutes / day, minutes == day ? "" : "s");
	else if (minutes % 60 == 0)
		snprintf(buf, cap, "%u hour%s", minutes / 60, minutes == 60 ? "" : "s");
	else
		snprintf(buf, cap, "%u minutes", minutes);
}

static void field_validity(struct out *o, const struct sms_submit *s)
{
	struct json_object *jv = json_object_new_object();
	char buf[40];

	switch (s->vpf) {
	case SMS_VPF_NONE:
		json_object_object_add(jv, "format", json_object_new_string("none"));
		field(o, "validity", jv, "none");
		break;
	case SMS_VPF_RELATIVE: {
		uint32_t m = sms_vp_relative_minutes(s->vp_relative);

		format_minutes(buf, sizeof(buf), m);
		json_object_object_add(jv, "format", json_object_new_string("relative"));
		json_object_object_add(jv, "value", json_object_new_int(s->vp_relative));
		json_object_object_add(jv, "minutes", json_object_new_int64(m));
		field(o, "validity", jv, "relative 0x%02X (%s)", s->vp_relative, buf);
		break;
	}
	case SMS_VPF_ABSOLUTE:
		if (sms_time_format(buf, sizeof(buf), &s->vp_absolute) < 0)
			snprintf(buf, sizeof(buf), "(invalid)");
		json_object_object_add(jv, "format", json_object_new_string("absolute"));
		json_object_object_add(jv, "time", json_object_new_string(buf));
		field(o, "validity", jv, "until %s", buf);
		break;
	case SMS_VPF_ENHANCED: {
		char hex[2 * sizeof(s->vp_enhanced) + 1];

		sms_hex_encode(hex, sizeof(hex), s->vp_enhanced, sizeof(s->vp_enhanced));
		json_object_object_add(jv, "format", json_object_new_string("enhanced"));
		json_object_object_add(jv, "raw", json_object_new_string(hex));
		field(o, "validity", jv, "enhanced %s", hex);
		break;
	}
	}
}

static void show_deliver(struct out *o, const struct sms_deliver *d)
{
	field(o, "type", json_object_new_string("SMS-DELIVER"), "SMS-DELIVER");
	field_address(o, "smsc", &d->smsc);
	field_address(o, "originator", &d->originator);
	field_time(o, "timestamp", &d->scts);
	field_bool(o, "more_messages", d->more_messages);
	field_bool(o, "status_report_indication", d->status_report_ind);
	field_bool(o, "reply_path", d->reply_path);
	field(o, "pid", json_object_new_int(d->pid), "0x%02X", d->pid);
	field_dcs(o, d->dcs, &d->ud);
	field_user_data(o, &d->ud);
}

static void show_submit(struct out *o, const struct sms_submit *s)
{
	field(o, "type", json_object_new_string("SMS-SUBMIT"), "SMS-SUBMIT");
	field_address(o, "smsc", &s->smsc);
	field_address(o, "destination", &s->destination);
	field(o, "message_reference", json_object_new_int(s->mr), "%u", s->mr);
	field_validity(o, s);
	field_bool(o, "status_report_request", s->status_report_request);
	field_bool(o, "reject_duplicates", s->reject_duplicates);
	field_bool(o, "reply_path", s->reply_path);
	field(o, "pid", json_object_new_int(s->pid), "0x%02X", s->pid);
	field_dcs(o, s->dcs, &s->ud);
	field_user_data(o, &s->ud);
}

static void show_status_report(struct out *o, const struct sms_status_report *r)
{
	const char *cls = sms_status_is_delivered(r->status)   ? "delivered"
			  : sms_status_is_temporary(r->status) ? "pending"
							       : "failed";

	field(o, "type", json_object_new_string("SMS-STATUS-REPORT"), "SMS-STATUS-REPORT");
	field_address(o, "smsc", &r->smsc);
	field(o, "message_reference", json_object_new_int(r->mr), "%u", r->mr);
	field_address(o, "recipient", &r->recipient);
	field_time(o, "submitted", &r->scts);
	field_time(o, "discharged", &r->discharge);
	field(o, "status", json_object_new_int(r->status), "0x%02X %s (%s)", r->status,
	      sms_status_name(r->status), cls);
	if (o->json) {
		/* Already part of the "status" line in text. */
		json_object_object_add(o->obj, "status_text",
				       json_object_new_string(sms_status_name(r->status)));
		json_object_object_add(o->obj, "outcome", json_object_new_string(cls));
	}
	field_bool(o, "more_messages", r->more_messages);
	field_bool(o, "command_report", r->srq);
	if (r->has_pid)
		field(o, "pid", json_object_new_int(r->pid), "0x%02X", r->pid);
	if (r->has_ud) {
		field_dcs(o, r->has_dcs ? r->dcs : 0, &r->ud);
		field_user_data(o, &r->ud);
	} else if (r->has_dcs) {
		field(o, "dcs", json_object_new_int(r->dcs), "0x%02X", r->dcs);
	}
}

/* Positional arguments joined, whitespace dropped (hex pasted with spaces). */
static int collect_hex(char *hex, size_t cap, int argc, char **argv)
{
	size_t n = 0;

	for (int i = 0; i < argc; i++) {
		for (const char *p = argv[i]; *p; p++) {
			if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
				continue;
			if (n + 1 >= cap)
				return SMS_ERR_TOO_LONG;
			hex[n++] = *p;
		}
	}
	hex[n] = '\0';
	return (int)n;
}

static void print_json(struct json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
						     JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* Decode a PDU of the given type and show its fields. */
static int show_pdu(struct out *o, const uint8_t *pdu, size_t n, bool with_smsc, int mti)
{
	int rc;

	switch (mti) {
	case SMS_MTI_DELIVER: {
		static struct sms_deliver d;

		rc = sms_deliver_decode(&d, pdu, (size_t)n, with_smsc);
		if (rc == 0)
			show_deliver(o, &d);
		break;
	}
	case SMS_MTI_SUBMIT: {
		static struct sms_submit s;

		rc = sms_submit_decode(&s, pdu, (size_t)n, with_smsc);
		if (rc == 0)
			show_submit(o, &s);
		break;
	}
	case SMS_MTI_STATUS_REPORT: {
		static struct sms_status_report r;

		rc = sms_status_report_decode(&r, pdu, (size_t)n, with_smsc);
		if (rc == 0)
			show_status_report(o, &r);
		break;
	}
	default:
		rc = SMS_ERR_MTI;
		break;
	}
	return rc;
}

static int cmd_decode(int argc, char **argv)
{
	enum { FORCE_NONE = -1 };
	static const struct option opts[] = {
	    {"no-smsc", no_argument, NULL, 'n'},
	    {"deliver", no_argument, NULL, 'd'},
	    {"submit", no_argument, NULL, 's'},
	    {"status-report", no_argument, NULL, 'r'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool with_smsc = true, json = false;
	int force = FORCE_NONE, c, n, mti, rc;
	char hex[2 * SMS_PDU_MAX + 1];
	uint8_t pdu[SMS_PDU_MAX];
	struct out o = {0};

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			with_smsc = false;
			break;
		case 'd':
		case 's':
		case 'r': {
			int want = c == 'd'   ? SMS_MTI_DELIVER
				   : c == 's' ? SMS_MTI_SUBMIT
					      : SMS_MTI_STATUS_REPORT;

			if (force != FORCE_NONE && force != want)
				return usage_error("decode", "only one of --deliver, --submit, "
							     "--status-report");
			force = want;
			break;
		}
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return usage_error("decode", "missing HEX");
	n = collect_hex(hex, sizeof(hex), argc - optind, argv + optind);
	if (n < 0)
		return fail("decode", n);
	n = sms_hex_decode(pdu, sizeof(pdu), hex, (size_t)n);
	if (n < 0)
		return fail("decode", n);

	mti = force != FORCE_NONE ? force : sms_pdu_mti(pdu, (size_t)n, with_smsc);
	if (mti < 0)
		return fail("decode", mti);

	o.json = json;
	o.obj = json ? json_object_new_object() : NULL;
	rc = show_pdu(&o, pdu, (size_t)n, with_smsc, mti);
	if (rc < 0) {
		json_object_put(o.obj);
		return fail("decode", rc);
	}
	if (with_smsc) {
		int tl = sms_tpdu_len(pdu, (size_t)n);

		field(&o, "tpdu_length", json_object_new_int(tl), "%d", tl);
	} else {
		field(&o, "tpdu_length", json_object_new_int(n), "%d", n);
	}
	if (json) {
		print_json(o.obj);
		json_object_put(o.obj);
	}
	return CLI_EXIT_OK;
}

/* Local time zone offset now, in minutes, rounded to the quarter hour SCTS can carry. */
static int local_tz_minutes(time_t now)
{
	struct tm tm;

	if (!localtime_r(&now, &tm))
		return 0;
	return (int)(tm.tm_gmtoff / 60 / 15 * 15);
}

static int parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (!*s || *s == '-')
		return -1;
	*v = strtoul(s, &end, 10);
	if (*end || *v > max)
		return -1;
	return 0;
}

/* Text from the positional arguments, joined by single spaces. */
static char *join_args(int argc, char **argv)
{
	size_t len = 1;
	char *s;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = malloc(len);
	if (!s)
		return NULL;
	s[0] = '\0';
	for (int i = 0; i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

struct encode_args {
	const char *to, *from, *smsc;
	bool srr, deliver, json, have_vp;
	unsigned long validity, ref;
};

/* Options of `pdu encode`. Returns -1 to go on, else the exit status. */
static int encode_parse(int argc, char **argv, struct encode_args *a)
{
	static const struct option opts[] = {
	    {"to", required_argument, NULL, 't'},   {"from", required_argument, NULL, 'f'},
	    {"smsc", required_argument, NULL, 'c'}, {"srr", no_argument, NULL, 's'},
	    {"deliver", no_argument, NULL, 'd'},    {"validity", required_argument, NULL, 'v'},
	    {"ref", required_argument, NULL, 'r'},  {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},	    {NULL, 0, NULL, 0},
	};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			a->to = optarg;
			break;
		case 'f':
			a->from = optarg;
			break;
		case 'c':
			a->smsc = optarg;
			break;
		case 's':
			a->srr = true;
			break;
		case 'd':
			a->deliver = true;
			break;
		case 'v':
			if (parse_uint(optarg, 63UL * 7 * 24 * 60, &a->validity) < 0)
				return usage_error("encode", "--validity takes minutes");
			a->have_vp = true;
			break;
		case 'r':
			if (parse_uint(optarg, 255, &a->ref) < 0)
				return usage_error("encode", "--ref takes 0..255");
			break;
		case 'j':
			a->json = true;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (a->deliver && !a->from)
		return usage_error("encode", "--deliver needs --from NUMBER");
	if (!a->deliver && !a->to)
		return usage_error("encode", "missing --to NUMBER");
	if (a->deliver && (a->srr || a->have_vp))
		return usage_error("encode", "--srr and --validity are for SMS-SUBMIT");
	if (optind >= argc)
		return usage_error("encode", "missing TEXT");
	return -1;
}

/* One part as an SMS-DELIVER or SMS-SUBMIT PDU; its length or a negative sms_err. */
static int encode_part(uint8_t *pdu, size_t cap, const struct encode_args *a,
		       const struct sms_address *smsc, const struct sms_address *peer,
		       const struct sms_user_data *ud, time_t now)
{
	if (a->deliver) {
		static struct sms_deliver d;

		memset(&d, 0, sizeof(d));
		d.smsc = *smsc;
		d.originator = *peer;
		sms_time_from_utc(&d.scts, now, local_tz_minutes(now));
		d.ud = *ud;
		return sms_deliver_encode(pdu, cap, &d, true);
	}
	static struct sms_submit s;

	memset(&s, 0, sizeof(s));
	s.smsc = *smsc;
	s.destination = *peer;
	s.status_report_request = a->srr;
	if (a->have_vp) {
		s.vpf = SMS_VPF_RELATIVE;
		s.vp_relative = sms_vp_relative_from_minutes((uint32_t)a->validity);
	}
	s.ud = *ud;
	return sms_submit_encode(pdu, cap, &s, true);
}

/* Part i of n as the installer sees it: the PDU, the +CMGS length, and the fields decoded
 * back from the bytes just produced (what the modem and the network will see). Into arr
 * with --json. Returns 0 or a negative sms_err. */
static int show_part(const struct encode_args *a, int i, int n, const uint8_t *pdu, int len,
		     struct json_object *arr)
{
	char hex[2 * SMS_PDU_MAX + 1];
	int tl = sms_tpdu_len(pdu, (size_t)len), rc;
	struct out o = {.json = a->json, .obj = a->json ? json_object_new_object() : NULL};

	sms_hex_encode(hex, sizeof(hex), pdu, (size_t)len);
	if (!a->json && i > 0)
		putchar('\n');
	field(&o, "part", json_object_new_int(i + 1), "%d of %d", i + 1, n);
	if (a->json)
		json_object_object_add(o.obj, "parts", json_object_new_int(n));
	field(&o, "pdu", json_object_new_string(hex), "%s", hex);
	field(&o, "cmgs_length", json_object_new_int(tl), "%d (AT+CMGS=%d)", tl, tl);
	rc = show_pdu(&o, pdu, (size_t)len, true, a->deliver ? SMS_MTI_DELIVER : SMS_MTI_SUBMIT);
	if (rc < 0) {
		json_object_put(o.obj);
		return rc;
	}
	if (a->json)
		json_object_array_add(arr, o.obj);
	return 0;
}

static int cmd_encode(int argc, char **argv)
{
	time_t now = time(NULL);
	struct encode_args a = {.ref = ((unsigned long)now ^ (unsigned long)getpid()) & 0xff};
	struct sms_address smsc_addr, peer;
	struct sms_user_data *parts = NULL;
	struct json_object *arr = NULL;
	char *text = NULL;
	int n, rc, status = CLI_EXIT_OK;

	rc = encode_parse(argc, argv, &a);
	if (rc >= 0)
		return rc;
	memset(&smsc_addr, 0, sizeof(smsc_addr));
	if (a.smsc && (rc = sms_address_from_text(&smsc_addr, a.smsc)) < 0)
		return fail("encode", rc);
	rc = sms_address_from_text(&peer, a.deliver ? a.from : a.to);
	if (rc < 0)
		return fail("encode", rc);

	text = join_args(argc - optind, argv + optind);
	parts = calloc(SMS_MAX_PARTS, sizeof(*parts));
	if (!text || !parts) {
		status = fail("encode", SMS_ERR_TOO_LONG);
		goto out;
	}
	n = sms_split_utf8(parts, SMS_MAX_PARTS, text, strlen(text), (uint8_t)a.ref);
	if (n < 0) {
		status = fail("encode", n);
		goto out;
	}
	if (a.json)
		arr = json_object_new_array();
	for (int i = 0; i < n; i++) {
		uint8_t pdu[SMS_PDU_MAX];
		int len = encode_part(pdu, sizeof(pdu), &a, &smsc_addr, &peer, &parts[i], now);

		if (len < 0 || (rc = show_part(&a, i, n, pdu, len, arr)) < 0) {
			status = fail("encode", len < 0 ? len : rc);
			goto out;
		}
	}
	if (a.json)
		print_json(arr);
out:
	json_object_put(arr);
	free(parts);
	free(text);
	return status;
}

int cli_pdu_main(int argc, char **argv)
{
	static const struct cli_command subs[] = {
	    {"decode", "decode a PDU", cmd_decode},
	    {"encode", "encode a text as PDUs", cmd_encode},
	};

	return cli_dispatch("pdu", argc, argv, subs, ARRAY_SIZE(subs), usage);
}
