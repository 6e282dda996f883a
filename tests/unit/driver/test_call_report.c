/* SPDX-License-Identifier: AGPL-3.0-or-later */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers" /* the table leaves zeros out */
/* Call lines of every family, as the modems print them, parsed into call reports; and
 * the lines that are not call lines, or are malformed, refused without a report. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "modem/driver/call_report.h"

struct good {
	const char *line;
	enum call_report_kind kind;
	int idx, dir;
	enum call_stat stat;
	const char *number; /* NULL: none in the line */
	enum call_end_hint hint;
	char digit;
	unsigned duration_s;
};

static const struct good goods[] = {
    /* 27.007 +CLCC (EC25 manual; Ichthys test/parse.c) */
    {"+CLCC: 1,1,4,0,0,\"+79139131234\",145", CALL_REPORT_STATE, 1, 1, CALL_STAT_INCOMING,
     "+79139131234"},
    {"+CLCC: 1,1,4,0,0,\"\",145", CALL_REPORT_STATE, 1, 1, CALL_STAT_INCOMING, ""},
    {"+CLCC: 2,0,3,0,0,\"5551234\",129", CALL_REPORT_STATE, 2, 0, CALL_STAT_ALERTING, "5551234"},
    {"+CLCC: 1,0,0,0,0", CALL_REPORT_STATE, 1, 0, CALL_STAT_ACTIVE, NULL},
    {"+CLCC: 1,0,6,0,0,\"+15557770001\",145", CALL_REPORT_STATE, 1, 0, CALL_STAT_RELEASED,
     "+15557770001"},
    {"+CLCC: 1,1,0,0,0,\"+15557770001\",145,\"Jamie\",,0", CALL_REPORT_STATE, 1, 1,
     CALL_STAT_ACTIVE, "+15557770001"},
    /* Quectel ccinfo (chan_quectel at_parse_qind_cc) */
    {"+QIND: \"ccinfo\",2,0,3,0,0,\"5550100\",129", CALL_REPORT_STATE, 2, 0, CALL_STAT_ALERTING,
     "5550100"},
    {"+QIND: \"ccinfo\",2,0,-1,0,0,\"5550100\",129", CALL_REPORT_STATE, 2, 0, CALL_STAT_RELEASED,
     "5550100"},
    /* Huawei */
    {"^ORIG:1,0", CALL_REPORT_STATE, 1, 0, CALL_STAT_DIALING},
    {"^CONF:1", CALL_REPORT_STATE, 1, 0, CALL_STAT_ALERTING},
    {"^CONN:1,0", CALL_REPORT_STATE, 1, -1, CALL_STAT_ACTIVE},
    {"^CEND:1,41,104,16", CALL_REPORT_STATE, 1, -1, CALL_STAT_RELEASED, NULL, CALL_HINT_NORMAL, 0,
     41},
    {"^CEND:1,0,104,17", CALL_REPORT_STATE, 1, -1, CALL_STAT_RELEASED, NULL, CALL_HINT_BUSY},
    {"^CEND:1,0,104,19", CALL_REPORT_STATE, 1, -1, CALL_STAT_RELEASED, NULL, CALL_HINT_NO_ANSWER},
    {"^CEND:1,0,104,21", CALL_REPORT_STATE, 1, -1, CALL_STAT_RELEASED, NULL, CALL_HINT_REJECTED},
    {"^CEND:1,0,29", CALL_REPORT_STATE, 1, -1, CALL_STAT_RELEASED, NULL, CALL_HINT_FAILED},
    /* SIMCom */
    {"VOICE CALL: BEGIN", CALL_REPORT_BEGIN},
    {"VOICE CALL: END: 000041", CALL_REPORT_END, 0, -1, 0, NULL, CALL_HINT_NORMAL, 0, 41},
    {"VOICE CALL: END", CALL_REPORT_END, 0, -1, 0, NULL, CALL_HINT_NORMAL},
    {"MISSED_CALL: 11:01AM 07712345678", CALL_REPORT_END, 0, -1, 0, "07712345678",
     CALL_HINT_MISSED},
    /* 27.007 */
    {"RING", CALL_REPORT_RING},
    {"+CRING: VOICE", CALL_REPORT_RING},
    {"+CLIP: \"+393351391306\",145,,,,0", CALL_REPORT_CLIP, 0, -1, 0, "+393351391306"},
    {"+CLIP: \"\",128,,,,1", CALL_REPORT_CLIP, 0, -1, 0, ""},
    {"+CCWA: \"+15557770002\",145,1", CALL_REPORT_WAITING, 0, -1, 0, "+15557770002"},
    {"NO CARRIER", CALL_REPORT_END, 0, -1, 0, NULL, CALL_HINT_NO_CARRIER},
    {"BUSY", CALL_REPORT_END, 0, -1, 0, NULL, CALL_HINT_BUSY},
    {"NO ANSWER", CALL_REPORT_END, 0, -1, 0, NULL, CALL_HINT_NO_ANSWER},
    {"NO DIALTONE", CALL_REPORT_END, 0, -1, 0, NULL, CALL_HINT_FAILED},
    /* DTMF: Quectel (ASCII code), SIMCom, Huawei */
    {"+QTONEDET: 56", CALL_REPORT_DTMF, 0, -1, 0, NULL, 0, '8'},
    {"+QTONEDET: 35", CALL_REPORT_DTMF, 0, -1, 0, NULL, 0, '#'},
    {"+RXDTMF: 8", CALL_REPORT_DTMF, 0, -1, 0, NULL, 0, '8'},
    {"+DTMF:5", CALL_REPORT_DTMF, 0, -1, 0, NULL, 0, '5'},
    {"^DDTMF: *", CALL_REPORT_DTMF, 0, -1, 0, NULL, 0, '*'},
};

static void test_good_lines(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];
		struct call_report r;
		int rc = call_report_parse(g->line, &r);

		if (rc)
			fail_msg("%s: %d", g->line, rc);
		assert_int_equal(r.kind, g->kind);
		assert_int_equal(r.idx, g->idx);
		if (g->kind == CALL_REPORT_STATE)
			assert_int_equal(r.dir, g->dir);
		else
			assert_int_equal(r.dir, -1);
		if (g->kind == CALL_REPORT_STATE)
			assert_int_equal(r.stat, g->stat);
		assert_int_equal(r.has_number, g->number != NULL);
		if (g->number)
			assert_string_equal(r.number, g->number);
		assert_int_equal(r.hint, g->hint);
		assert_int_equal(r.digit, g->digit);
		assert_int_equal(r.duration_s, g->duration_s);
	}
}

static void test_not_call_lines(void **state)
{
	static const char *const lines[] = {
	    "+QIND: \"csq\",21,99",
	    "+QIND: SMS DONE",
	    "+CRING: REL ASYNC",
	    "+CMTI: \"SM\",3",
	    "+CLCC: 1,0,0,1,0",		     /* a data call */
	    "^CONN:1,2",		     /* a PS data session */
	    "+CCWA: \"+15557770002\",145,4", /* a waiting fax */
	    "OK",
	    "",
	    "RINGING",
	};
	struct call_report r;

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		int rc = call_report_parse(lines[i], &r);

		if (rc != -ENOENT && !(rc == -EINVAL && strcmp(lines[i], "RINGING") == 0))
			fail_msg("%s: %d", lines[i], rc);
	}
	assert_int_equal(call_report_parse(NULL, &r), -ENOENT);
}

static void test_malformed_lines(void **state)
{
	static const char *const lines[] = {
	    "+CLCC: ",
	    "+CLCC: 1,1",
	    "+CLCC: 0,1,4,0,0",
	    "+CLCC: 1,2,4,0,0",
	    "+CLCC: 1,1,9,0,0",
	    "+CLCC: 1,1,4,0,0,\"+1555\"\"",
	    "+CLCC: 1,1,4,0,0,\"+1555;DROP\",145",
	    "+CLCC: 1,1,4,0,0,\"123456789012345678901234567890123\",145",
	    "+CLCC: 99999999999999999999,1,4,0,0",
	    "+CLCC: 1,1,4,0,0,1,2,3,4,5,6,7,8,9",
	    "+QIND: \"ccinfo\",1,0",
	    "+QIND: \"ccinfo\",1,0,-2,0,0,\"1\",129",
	    "+QIND: \"ccinfo",
	    "^ORIG:",
	    "^ORIG:x,0",
	    "^CONF:",
	    "^CEND:1",
	    "^CEND:1,-5,104,16",
	    "^CEND:1,0,104,abc",
	    "VOICE CALL: END: x",
	    "VOICE CALL: MIDDLE",
	    "MISSED_CALL: 11:01AM +1555<script>",
	    "RING 2",
	    "+CLIP: ",
	    "+CLIP: \"+1555\"",
	    "+CLIP: \"+1555\",145,,,,7",
	    "+QTONEDET: 65536",
	    "+QTONEDET: 88",
	    "+RXDTMF: 88",
	    "+RXDTMF: ",
	    "^DDTMF: E",
	    "NO CARRIER!",
	    "BUSY LINE",
	};
	struct call_report r;

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		int rc = call_report_parse(lines[i], &r);

		if (rc != -EINVAL)
			fail_msg("%s: %d, not -EINVAL", lines[i], rc);
		assert_int_equal(r.has_number, false);
		assert_int_equal(r.idx, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_lines),
	    cmocka_unit_test(test_not_call_lines),
	    cmocka_unit_test(test_malformed_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
