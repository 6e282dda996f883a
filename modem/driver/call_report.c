/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Call reports from every family's call lines (see call_report.h): a table of line
 * prefixes, each with the parser of what follows it. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osmocom/core/utils.h>

#include "modem/driver/call_report.h"

/* Most fields any of these lines has (+CLCC: 10 with alpha, priority, CLI validity). */
#define MAX_FIELDS 12
#define FIELD_MAX  48

struct fields {
	unsigned n;
	char f[MAX_FIELDS][FIELD_MAX];
	bool quoted[MAX_FIELDS];
};

/* Split "a,\"b,c\",d" at the commas outside quotes; quotes are removed and noted. */
static int split(const char *s, struct fields *fs)
{
	memset(fs, 0, sizeof(*fs));
	while (*s == ' ')
		s++;
	for (;;) {
		size_t len = 0;
		char *out;

		if (fs->n == MAX_FIELDS)
			return -EINVAL;
		out = fs->f[fs->n];
		while (*s == ' ')
			s++;
		if (*s == '"') {
			const char *end = strchr(s + 1, '"');

			if (!end || (size_t)(end - s - 1) >= FIELD_MAX)
				return -EINVAL;
			len = (size_t)(end - s - 1);
			memcpy(out, s + 1, len);
			fs->quoted[fs->n] = true;
			s = end + 1;
			while (*s == ' ')
				s++;
			if (*s && *s != ',')
				return -EINVAL;
		} else {
			while (*s && *s != ',') {
				if (len + 1 >= FIELD_MAX)
					return -EINVAL;
				out[len++] = *s++;
			}
			while (len && out[len - 1] == ' ')
				len--;
		}
		out[len] = '\0';
		fs->n++;
		if (!*s)
			return 0;
		s++; /* the comma */
	}
}

/* A whole decimal integer in [lo, hi]. */
static int get_int(const struct fields *fs, unsigned i, long lo, long hi, long *v)
{
	char *end;

	if (i >= fs->n || !fs->f[i][0])
		return -EINVAL;
	errno = 0;
	*v = strtol(fs->f[i], &end, 10);
	if (errno || *end || *v < lo || *v > hi)
		return -EINVAL;
	return 0;
}

/* A dialling string: digits, '+', '*', '#', letters 27.007 lets through (A-D, p, w). */
static int copy_number(struct call_report *r, const char *s)
{
	size_t len = strlen(s);

	if (len >= CALL_NUMBER_MAX)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || c == '+' || c == '*' || c == '#' ||
		      (c >= 'A' && c <= 'D') || (c >= 'a' && c <= 'd') || c == 'p' || c == 'w'))
			return -EINVAL;
	}
	memcpy(r->number, s, len + 1);
	r->has_number = true;
	return 0;
}

static int valid_digit(char c)
{
	return (c >= '0' && c <= '9') || c == '*' || c == '#' || (c >= 'A' && c <= 'D');
}

/* +CLCC: <id>,<dir>,<stat>,<mode>,<mpty>[,<number>,<type>[,...]] (stat 6 from SIMCom).
 * Only voice calls (mode 0) are calls here; data and fax entries are -ENOENT. */
static int parse_clcc(const char *args, struct call_report *r)
{
	struct fields fs;
	long idx, dir, stat, mode, mpty;

	if (split(args, &fs) || fs.n < 5 || get_int(&fs, 0, 1, 99, &idx) ||
	    get_int(&fs, 1, 0, 1, &dir) || get_int(&fs, 2, 0, 6, &stat) ||
	    get_int(&fs, 3, 0, 9, &mode) || get_int(&fs, 4, 0, 1, &mpty))
		return -EINVAL;
	if (mode != 0)
		return -ENOENT;
	r->kind = CALL_REPORT_STATE;
	r->idx = (int)idx;
	r->dir = (int)dir;
	r->stat = (enum call_stat)stat;
	if (fs.n >= 6 && copy_number(r, fs.f[5]))
		return -EINVAL;
	return 0;
}

/* +QIND: "ccinfo",<idx>,<dir>,<state>,<mode>,<mpty>,<number>,<type>: state -1 released. */
static int parse_qind(const char *args, struct call_report *r)
{
	struct fields fs;
	long idx, dir, stat, mode;

	if (split(args, &fs) || fs.n < 1)
		return -EINVAL;
	if (strcmp(fs.f[0], "ccinfo") != 0)
		return -ENOENT; /* "csq", "SMS DONE", ... */
	if (fs.n < 6 || get_int(&fs, 1, 1, 99, &idx) || get_int(&fs, 2, 0, 1, &dir) ||
	    get_int(&fs, 3, -1, 5, &stat) || get_int(&fs, 4, 0, 9, &mode))
		return -EINVAL;
	if (mode != 0)
		return -ENOENT;
	r->kind = CALL_REPORT_STATE;
	r->idx = (int)idx;
	r->dir = (int)dir;
	r->stat = stat < 0 ? CALL_STAT_RELEASED : (enum call_stat)stat;
	if (fs.n >= 7 && copy_number(r, fs.f[6]))
		return -EINVAL;
	return 0;
}

/* Huawei ^ORIG:<idx>,<type>  ^CONF:<idx>  ^CONN:<idx>,<type>  ^CEND:<idx>,<dur>,<end>[,<cause>]
 * Call type 0 is voice (9 emergency); the others are data sessions, not calls. */
static int huawei_idx(const char *args, struct fields *fs, long *idx, unsigned min_fields)
{
	if (split(args, fs) || fs->n < min_fields || get_int(fs, 0, 1, 99, idx))
		return -EINVAL;
	return 0;
}

static int huawei_voice(const struct fields *fs, unsigned i)
{
	long type;

	if (get_int(fs, i, 0, 99, &type))
		return -EINVAL;
	return type == 0 || type == 9 ? 0 : -ENOENT;
}

/* ^ORIG, ^CONF, ^CONN: a call's index, for ^ORIG and ^CONN its type (voice only), and
 * the state the line means. */
static int huawei_state(const char *args, struct call_report *r, bool typed, int dir,
			enum call_stat stat)
{
	struct fields fs;
	long idx;
	int rc;

	if (huawei_idx(args, &fs, &idx, typed ? 2 : 1))
		return -EINVAL;
	if (typed && (rc = huawei_voice(&fs, 1)))
		return rc;
	r->kind = CALL_REPORT_STATE;
	r->idx = (int)idx;
	r->dir = dir;
	r->stat = stat;
	return 0;
}

static int parse_orig(const char *args, struct call_report *r)
{
	return huawei_state(args, r, true, 0, CALL_STAT_DIALING);
}

static int parse_conf(const char *args, struct call_report *r)
{
	return huawei_state(args, r, false, 0, CALL_STAT_ALERTING);
}

/* ^CONN says nothing of the direction: -1. */
static int parse_conn(const char *args, struct call_report *r)
{
	return huawei_state(args, r, true, -1, CALL_STAT_ACTIVE);
}

/* 24.008 Annex H causes as ^CEND reports them. */
static enum call_end_hint cause_hint(long cause)
{
	switch (cause) {
	case 16:
	case 31:
		return CALL_HINT_NORMAL;
	case 17:
		return CALL_HINT_BUSY;
	case 18:
	case 19:
		return CALL_HINT_NO_ANSWER;
	case 21:
		return CALL_HINT_REJECTED;
	default:
		return CALL_HINT_FAILED;
	}
}

static int parse_cend(const char *args, struct call_report *r)
{
	struct fields fs;
	long idx, dur, end, cause;

	if (huawei_idx(args, &fs, &idx, 3) || get_int(&fs, 1, 0, 1000000, &dur) ||
	    get_int(&fs, 2, 0, 1000, &end))
		return -EINVAL;
	r->kind = CALL_REPORT_STATE;
	r->idx = (int)idx;
	r->stat = CALL_STAT_RELEASED;
	r->duration_s = (unsigned)dur;
	/* The cause is missing when the call ended on an error. */
	if (fs.n >= 4 && fs.f[3][0]) {
		if (get_int(&fs, 3, 0, 1000, &cause))
			return -EINVAL;
		r->cause = (int)cause;
		r->hint = cause_hint(cause);
	} else {
		r->hint = CALL_HINT_FAILED;
	}
	return 0;
}

/* SIMCom: "VOICE CALL: BEGIN", "VOICE CALL: END: 000041" (seconds). */
static int parse_voice_call(const char *args, struct call_report *r)
{
	struct fields fs;
	long dur;

	while (*args == ' ')
		args++;
	if (strcmp(args, "BEGIN") == 0) {
		r->kind = CALL_REPORT_BEGIN;
		return 0;
	}
	if (strncmp(args, "END", 3) != 0)
		return -EINVAL;
	r->kind = CALL_REPORT_END;
	r->hint = CALL_HINT_NORMAL;
	args += 3;
	while (*args == ' ')
		args++;
	if (!*args)
		return 0;
	if (*args != ':' || split(args + 1, &fs) || fs.n != 1 || get_int(&fs, 0, 0, 9999999, &dur))
		return -EINVAL;
	r->duration_s = (unsigned)dur;
	return 0;
}

/* SIMCom: "MISSED_CALL: 11:01AM 07712345678" */
static int parse_missed(const char *args, struct call_report *r)
{
	const char *sp;

	while (*args == ' ')
		args++;
	sp = strrchr(args, ' ');
	r->kind = CALL_REPORT_END;
	r->hint = CALL_HINT_MISSED;
	if (!sp)
		return *args ? -EINVAL : 0;
	return copy_number(r, sp + 1);
}

static int parse_ring(const char *args, struct call_report *r)
{
	if (*args)
		return -EINVAL;
	r->kind = CALL_REPORT_RING;
	return 0;
}

/* +CRING: VOICE (data calls: "ASYNC", "REL ASYNC", ... are not ours) */
static int parse_cring(const char *args, struct call_report *r)
{
	while (*args == ' ')
		args++;
	if (strcasecmp(args, "VOICE") != 0)
		return -ENOENT;
	r->kind = CALL_REPORT_RING;
	return 0;
}

/* +CLIP: <number>,<type>[,<subaddr>,<satype>[,<alpha>[,<CLI validity>]]] and
 * +CCWA: <number>,<type>,<class>[,...]: the number comes first in both. */
static int parse_caller(const char *args, struct call_report *r, enum call_report_kind kind)
{
	struct fields fs;
	long v;

	if (split(args, &fs) || fs.n < 2 || get_int(&fs, 1, 0, 255, &v))
		return -EINVAL;
	if (copy_number(r, fs.f[0]))
		return -EINVAL;
	r->kind = kind;
	if (kind == CALL_REPORT_CLIP && fs.n >= 6 && fs.f[5][0]) {
		if (get_int(&fs, 5, 0, 2, &v))
			return -EINVAL;
		r->cli_validity = (int)v;
	}
	if (kind == CALL_REPORT_WAITING && fs.n >= 3 && fs.f[2][0]) {
		/* <class> 1 is voice; a waiting data or fax call is not ours. */
		if (get_int(&fs, 2, 0, 255, &v))
			return -EINVAL;
		if (!(v & 1))
			return -ENOENT;
	}
	return 0;
}

static int parse_clip(const char *args, struct call_report *r)
{
	return parse_caller(args, r, CALL_REPORT_CLIP);
}

static int parse_ccwa(const char *args, struct call_report *r)
{
	return parse_caller(args, r, CALL_REPORT_WAITING);
}

/* Quectel +QTONEDET: <ASCII code in decimal> ("56" is '8'). */
static int parse_qtonedet(const char *args, struct call_report *r)
{
	struct fields fs;
	long code;

	if (split(args, &fs) || fs.n != 1 || get_int(&fs, 0, 0, 127, &code) ||
	    !valid_digit((char)code))
		return -EINVAL;
	r->kind = CALL_REPORT_DTMF;
	r->digit = (char)code;
	return 0;
}

/* SIMCom +RXDTMF: 8, +DTMF:8; Huawei ^DDTMF: 8 — the character itself. */
static int parse_dtmf_char(const char *args, struct call_report *r)
{
	while (*args == ' ')
		args++;
	if (!args[0] || args[1] || !valid_digit(args[0]))
		return -EINVAL;
	r->kind = CALL_REPORT_DTMF;
	r->digit = args[0];
	return 0;
}

static int end_line(struct call_report *r, enum call_end_hint hint)
{
	r->kind = CALL_REPORT_END;
	r->hint = hint;
	return 0;
}

static int parse_no_carrier(const char *args, struct call_report *r)
{
	return *args ? -EINVAL : end_line(r, CALL_HINT_NO_CARRIER);
}

static int parse_busy(const char *args, struct call_report *r)
{
	return *args ? -EINVAL : end_line(r, CALL_HINT_BUSY);
}

static int parse_no_answer(const char *args, struct call_report *r)
{
	return *args ? -EINVAL : end_line(r, CALL_HINT_NO_ANSWER);
}

static int parse_no_dialtone(const char *args, struct call_report *r)
{
	return *args ? -EINVAL : end_line(r, CALL_HINT_FAILED);
}

static const struct {
	const char *prefix;
	int (*parse)(const char *args, struct call_report *r);
} parsers[] = {
    {"+CLCC:", parse_clcc},
    {"+QIND:", parse_qind},
    {"^ORIG:", parse_orig},
    {"^CONF:", parse_conf},
    {"^CONN:", parse_conn},
    {"^CEND:", parse_cend},
    {"VOICE CALL:", parse_voice_call},
    {"MISSED_CALL:", parse_missed},
    {"RING", parse_ring},
    {"+CRING:", parse_cring},
    {"+CLIP:", parse_clip},
    {"+CCWA:", parse_ccwa},
    {"+QTONEDET:", parse_qtonedet},
    {"+RXDTMF:", parse_dtmf_char},
    {"+DTMF:", parse_dtmf_char},
    {"^DDTMF:", parse_dtmf_char},
    {"NO CARRIER", parse_no_carrier},
    {"BUSY", parse_busy},
    {"NO ANSWER", parse_no_answer},
    {"NO DIALTONE", parse_no_dialtone},
};

/* A report that says nothing: what a caller finds after any refusal. */
static void report_clear(struct call_report *r)
{
	memset(r, 0, sizeof(*r));
	r->dir = -1;
	r->cli_validity = -1;
	r->cause = -1;
}

int call_report_parse(const char *line, struct call_report *r)
{
	report_clear(r);
	if (!line)
		return -ENOENT;
	for (size_t i = 0; i < ARRAY_SIZE(parsers); i++) {
		size_t n = strlen(parsers[i].prefix);
		int rc;

		if (strncmp(line, parsers[i].prefix, n) != 0)
			continue;
		rc = parsers[i].parse(line + n, r);
		if (rc)
			report_clear(r);
		return rc;
	}
	return -ENOENT;
}

static const struct value_string stat_names[] = {
    {CALL_STAT_ACTIVE, "active"},     {CALL_STAT_HELD, "held"},
    {CALL_STAT_DIALING, "dialing"},   {CALL_STAT_ALERTING, "alerting"},
    {CALL_STAT_INCOMING, "incoming"}, {CALL_STAT_WAITING, "waiting"},
    {CALL_STAT_RELEASED, "released"}, {0, NULL}};

const char *call_stat_name(enum call_stat s)
{
	return get_value_string(stat_names, s);
}

static const struct value_string kind_names[] = {
    {CALL_REPORT_STATE, "state"}, {CALL_REPORT_RING, "ring"},
    {CALL_REPORT_CLIP, "clip"},	  {CALL_REPORT_WAITING, "waiting"},
    {CALL_REPORT_BEGIN, "begin"}, {CALL_REPORT_END, "end"},
    {CALL_REPORT_DTMF, "dtmf"},	  {0, NULL}};

const char *call_report_kind_name(enum call_report_kind k)
{
	return get_value_string(kind_names, k);
}
