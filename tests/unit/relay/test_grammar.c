/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The SMS command grammar: every form of grammar.h's table, what phones do to text
 * (capitals, spaces, punctuation), malformed and over-long words, UTF-8. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "gateway/relay/grammar.h"

static struct grammar_parse g;
static const char *input;

static void parse(const char *s)
{
	input = s;
	grammar_parse(s, strlen(s), &g);
}

/* The body as a NUL-terminated copy (static buffer, one use per expression). */
static const char *body(void)
{
	static char buf[1 << 16];

	assert_true(g.body_len < sizeof(buf));
	memcpy(buf, input + g.body_off, g.body_len);
	buf[g.body_len] = '\0';
	return buf;
}

static void assert_addr(unsigned i, enum grammar_addr_kind kind, const char *word, const char *sub)
{
	assert_true(i < g.n_addrs);
	assert_int_equal(g.addrs[i].kind, kind);
	assert_string_equal(g.addrs[i].word, word);
	assert_string_equal(g.addrs[i].sub, sub);
}

static void assert_clean(void)
{
	assert_string_equal(g.bad_addr, "");
	assert_string_equal(g.bad_flag, "");
}

static void test_team(void **state)
{
	(void)state;
	parse("#soccer Practice moved to 5pm");
	assert_int_equal(g.kind, GRAMMAR_MESSAGE);
	assert_int_equal(g.n_addrs, 1);
	assert_addr(0, GRAMMAR_ADDR_TAG, "soccer", "");
	assert_string_equal(body(), "Practice moved to 5pm");
	assert_false(g.urgent);
	assert_false(g.crisis);
	assert_clean();
}

static void test_subgroup(void **state)
{
	(void)state;
	parse("#soccer.injured Trainer at 3");
	assert_int_equal(g.n_addrs, 1);
	assert_addr(0, GRAMMAR_ADDR_TAG, "soccer", "injured");
	assert_string_equal(body(), "Trainer at 3");

	parse("#injured Trainer at 3");
	assert_addr(0, GRAMMAR_ADDR_TAG, "injured", "");
	assert_string_equal(body(), "Trainer at 3");
	assert_clean();
}

static void test_handles(void **state)
{
	(void)state;
	parse("@jamier Can you stay after?");
	assert_int_equal(g.kind, GRAMMAR_MESSAGE);
	assert_int_equal(g.n_addrs, 1);
	assert_addr(0, GRAMMAR_ADDR_HANDLE, "jamier", "");
	assert_string_equal(body(), "Can you stay after?");

	parse("@jamier @alexk Bring the cones");
	assert_int_equal(g.n_addrs, 2);
	assert_addr(0, GRAMMAR_ADDR_HANDLE, "jamier", "");
	assert_addr(1, GRAMMAR_ADDR_HANDLE, "alexk", "");
	assert_string_equal(body(), "Bring the cones");

	/* Handles may hold dots, dashes and underscores; mixed with tags. */
	parse("@dana.lee @pat_r-2 #band hi");
	assert_int_equal(g.n_addrs, 3);
	assert_addr(0, GRAMMAR_ADDR_HANDLE, "dana.lee", "");
	assert_addr(1, GRAMMAR_ADDR_HANDLE, "pat_r-2", "");
	assert_addr(2, GRAMMAR_ADDR_TAG, "band", "");
	assert_clean();
}

static void test_flags(void **state)
{
	(void)state;
	parse("!urgent #soccer Bus leaves now");
	assert_true(g.urgent);
	assert_false(g.crisis);
	assert_addr(0, GRAMMAR_ADDR_TAG, "soccer", "");
	assert_string_equal(body(), "Bus leaves now");

	parse("!crisis @jamier I'm here. Call 988");
	assert_true(g.crisis);
	assert_false(g.urgent);
	assert_addr(0, GRAMMAR_ADDR_HANDLE, "jamier", "");
	assert_string_equal(body(), "I'm here. Call 988");

	/* Flags among the addresses, any case, with punctuation. */
	parse("#soccer !URGENT: Bus leaves now");
	assert_true(g.urgent);
	assert_int_equal(g.n_addrs, 1);
	assert_string_equal(body(), "Bus leaves now");

	/* After the text has started, a flag is text. */
	parse("#soccer Bus leaves now !urgent");
	assert_false(g.urgent);
	assert_string_equal(body(), "Bus leaves now !urgent");
	assert_clean();
}

static void test_bad_flag(void **state)
{
	(void)state;
	parse("!urgnet #soccer Bus leaves now");
	assert_string_equal(g.bad_flag, "urgnet");
	assert_false(g.urgent);
	assert_int_equal(g.n_addrs, 1);
	assert_addr(0, GRAMMAR_ADDR_TAG, "soccer", "");
	assert_string_equal(body(), "Bus leaves now");

	/* Only the first unknown flag is kept. */
	parse("!foo !bar hi");
	assert_string_equal(g.bad_flag, "foo");
	assert_string_equal(body(), "hi");

	/* '!' not followed by a letter is text, not a flag. */
	parse("!!! Great game");
	assert_string_equal(g.bad_flag, "");
	assert_string_equal(body(), "!!! Great game");
	parse("! look");
	assert_string_equal(g.bad_flag, "");
	assert_string_equal(body(), "! look");

	/* Kept as typed. */
	parse("!Urgnet: hi");
	assert_string_equal(g.bad_flag, "Urgnet");
	assert_string_equal(body(), "hi");

	/* A long unknown flag is truncated, not overflowed. */
	{
		char long_flag[300];
		long_flag[0] = '!';
		memset(long_flag + 1, 'x', 250);
		strcpy(long_flag + 251, " hi");
		parse(long_flag);
		assert_int_equal(strlen(g.bad_flag), GRAMMAR_MAX_WORD - 1);
		assert_string_equal(body(), "hi");
	}
}

static void test_reply_text(void **state)
{
	(void)state;
	parse("Sounds good");
	assert_int_equal(g.kind, GRAMMAR_MESSAGE);
	assert_int_equal(g.n_addrs, 0);
	assert_string_equal(body(), "Sounds good");
	assert_clean();
}

static void test_keywords(void **state)
{
	static const struct {
		const char *text;
		enum grammar_kind kind;
	} cases[] = {
	    {"HELP", GRAMMAR_HELP},	    {"help", GRAMMAR_HELP},
	    {"Help", GRAMMAR_HELP},	    {"INFO", GRAMMAR_HELP},
	    {"Help?", GRAMMAR_HELP},	    {"WHO", GRAMMAR_WHO},
	    {"who?", GRAMMAR_WHO},	    {"STOP", GRAMMAR_STOP},
	    {"stop.", GRAMMAR_STOP},	    {"Stop!", GRAMMAR_STOP},
	    {"Stop !", GRAMMAR_STOP},	    {"STOPALL", GRAMMAR_STOP},
	    {"unsubscribe", GRAMMAR_STOP},  {"Cancel", GRAMMAR_STOP},
	    {"END", GRAMMAR_STOP},	    {"quit", GRAMMAR_STOP},
	    {"START", GRAMMAR_START},	    {"Unstop", GRAMMAR_START},
	    {"DISCARD", GRAMMAR_DISCARD},   {"discard.", GRAMMAR_DISCARD},
	    {"  stop  ", GRAMMAR_STOP},	    {"\tSTART\r\n", GRAMMAR_START},
	    {"stop\xc2\xa0", GRAMMAR_STOP},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		parse(cases[i].text);
		assert_int_equal(g.kind, cases[i].kind);
		assert_int_equal(g.n_addrs, 0);
		assert_int_equal(g.body_len, 0);
	}
}

static void test_keyword_not_whole_message(void **state)
{
	(void)state;
	parse("Stop by my office after practice");
	assert_int_equal(g.kind, GRAMMAR_MESSAGE);
	assert_string_equal(body(), "Stop by my office after practice");
	parse("help me");
	assert_int_equal(g.kind, GRAMMAR_MESSAGE);
	parse("#soccer STOP");
	assert_int_equal(g.kind, GRAMMAR_MESSAGE);
	assert_int_equal(g.n_addrs, 1);
	assert_string_equal(body(), "STOP");
	parse("stopp");
	assert_int_equal(g.kind, GRAMMAR_MESSAGE);
	parse("who is coming tomorrow?");
	assert_int_equal(g.kind, GRAMMAR_MESSAGE);
	assert_string_equal(body(), "who is coming tomorrow?");
	/* WHO takes one address, not two. */
	parse("WHO #soccer #band");
	assert_int_equal(g.kind, GRAMMAR_MESSAGE);
	assert_int_equal(g.n_addrs, 0);
}

static void test_who_address(void **state)
{
	(void)state;
	parse("WHO #soccer");
	assert_int_equal(g.kind, GRAMMAR_WHO);
	assert_int_equal(g.n_addrs, 1);
	assert_addr(0, GRAMMAR_ADDR_TAG, "soccer", "");
	assert_string_equal(body(), "#soccer");

	parse("  Who #Soccer?  ");
	assert_int_equal(g.kind, GRAMMAR_WHO);
	assert_addr(0, GRAMMAR_ADDR_TAG, "soccer", "");
	assert_string_equal(body(), "#Soccer?");

	parse("who @JamieR");
	assert_int_equal(g.kind, GRAMMAR_WHO);
	assert_addr(0, GRAMMAR_ADDR_HANDLE, "jamier", "");

	parse("WHO #soccer.injured");
	assert_addr(0, GRAMMAR_ADDR_TAG, "soccer", "injured");

	parse("who #");
	assert_int_equal(g.kind, GRAMMAR_WHO);
	assert_int_equal(g.n_addrs, 0);
	assert_string_equal(g.bad_addr, "#");

	parse("WHO");
	assert_int_equal(g.kind, GRAMMAR_WHO);
	assert_int_equal(g.n_addrs, 0);
	assert_int_equal(g.body_len, 0);
}

static void test_case_and_autocapitalisation(void **state)
{
	(void)state;
	parse("#Soccer Practice moved");
	assert_addr(0, GRAMMAR_ADDR_TAG, "soccer", "");
	parse("#SOCCER.Injured Trainer");
	assert_addr(0, GRAMMAR_ADDR_TAG, "soccer", "injured");
	parse("@JamieR hi");
	assert_addr(0, GRAMMAR_ADDR_HANDLE, "jamier", "");
	parse("!Crisis @jamier hi");
	assert_true(g.crisis);
}

static void test_spaces_and_punctuation(void **state)
{
	(void)state;
	parse("   #soccer    Practice   moved   ");
	assert_addr(0, GRAMMAR_ADDR_TAG, "soccer", "");
	assert_string_equal(body(), "Practice   moved");

	parse("@jamier, can you stay?");
	assert_addr(0, GRAMMAR_ADDR_HANDLE, "jamier", "");
	assert_string_equal(body(), "can you stay?");

	parse("#soccer: practice moved");
	assert_addr(0, GRAMMAR_ADDR_TAG, "soccer", "");
	assert_string_equal(body(), "practice moved");

	parse("@jamier. Stay after");
	assert_addr(0, GRAMMAR_ADDR_HANDLE, "jamier", "");

	/* No-break spaces (some keyboards) separate words too. */
	parse("\xc2\xa0#soccer\xc2\xa0Practice\xc2\xa0");
	assert_addr(0, GRAMMAR_ADDR_TAG, "soccer", "");
	assert_string_equal(body(), "Practice");

	parse("#soccer\n\nLine one\nLine two\n");
	assert_string_equal(body(), "Line one\nLine two");
	assert_clean();
}

static void test_addresses_without_body(void **state)
{
	(void)state;
	parse("#soccer");
	assert_int_equal(g.kind, GRAMMAR_MESSAGE);
	assert_int_equal(g.n_addrs, 1);
	assert_int_equal(g.body_len, 0);
	assert_true(g.body_off <= strlen(input));

	parse("@jamier @alexk   ");
	assert_int_equal(g.n_addrs, 2);
	assert_int_equal(g.body_len, 0);

	parse("!urgent");
	assert_true(g.urgent);
	assert_int_equal(g.body_len, 0);

	parse("");
	assert_int_equal(g.kind, GRAMMAR_MESSAGE);
	assert_int_equal(g.n_addrs, 0);
	assert_int_equal(g.body_len, 0);

	parse("   \t ");
	assert_int_equal(g.kind, GRAMMAR_MESSAGE);
	assert_int_equal(g.body_len, 0);

	grammar_parse(NULL, 0, &g);
	assert_int_equal(g.kind, GRAMMAR_MESSAGE);
	assert_int_equal(g.body_len, 0);
}

static void test_malformed_addresses(void **state)
{
	static const struct {
		const char *text, *bad;
	} cases[] = {
	    {"# hello", "#"},
	    {"@ hello", "@"},
	    {"@@x hello", "@@x"},
	    {"#.injured hi", "#.injured"},
	    {"#soccer..injured hi", "#soccer..injured"},
	    {"#soccer.injured.x hi", "#soccer.injured.x"},
	    {"#soc/cer hi", "#soc/cer"},
	    {"@jamie\xf0\x9f\x98\x80 hi", "@jamie\xf0\x9f\x98\x80"},
	    {"@jamier:Can you", "@jamier:Can"},
	    {"#soc/cer, hi", "#soc/cer"},
	    {"#soccer#band hi", "#soccer#band"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		parse(cases[i].text);
		assert_int_equal(g.kind, GRAMMAR_MESSAGE);
		assert_int_equal(g.n_addrs, 0);
		assert_string_equal(g.bad_addr, cases[i].bad);
	}
	/* A bad word among good ones: the good ones are kept, the first bad one reported. */
	parse("#soccer @ @@y @alexk hi");
	assert_int_equal(g.n_addrs, 2);
	assert_addr(0, GRAMMAR_ADDR_TAG, "soccer", "");
	assert_addr(1, GRAMMAR_ADDR_HANDLE, "alexk", "");
	assert_string_equal(g.bad_addr, "@");
	assert_string_equal(body(), "hi");
}

static void test_at_and_hash_inside_text(void **state)
{
	(void)state;
	parse("See you @ 5 @jamier");
	assert_int_equal(g.n_addrs, 0);
	assert_string_equal(body(), "See you @ 5 @jamier");

	parse("We're #1 in the league #soccer");
	assert_int_equal(g.n_addrs, 0);
	assert_string_equal(body(), "We're #1 in the league #soccer");

	parse("dana@example.com is my mail");
	assert_int_equal(g.n_addrs, 0);
	assert_string_equal(g.bad_addr, "");
	assert_string_equal(body(), "dana@example.com is my mail");

	parse("#soccer Great game @jamier #proud");
	assert_int_equal(g.n_addrs, 1);
	assert_string_equal(body(), "Great game @jamier #proud");
}

static void test_utf8_body(void **state)
{
	(void)state;
	parse("#soccer Great game! \xf0\x9f\x8e\x89\xe2\x9a\xbd Caf\xc3\xa9 at 5");
	assert_addr(0, GRAMMAR_ADDR_TAG, "soccer", "");
	assert_string_equal(body(), "Great game! \xf0\x9f\x8e\x89\xe2\x9a\xbd Caf\xc3\xa9 at 5");

	parse("\xf0\x9f\x91\x8d");
	assert_int_equal(g.kind, GRAMMAR_MESSAGE);
	assert_string_equal(body(), "\xf0\x9f\x91\x8d");
}

static void test_long_words(void **state)
{
	char text[512];
	size_t n;

	(void)state;
	/* The longest word that fits: GRAMMAR_MAX_WORD - 1 characters. */
	text[0] = '@';
	memset(text + 1, 'a', GRAMMAR_MAX_WORD - 1);
	strcpy(text + GRAMMAR_MAX_WORD, " hi");
	parse(text);
	assert_int_equal(g.n_addrs, 1);
	assert_int_equal(strlen(g.addrs[0].word), GRAMMAR_MAX_WORD - 1);
	assert_string_equal(g.bad_addr, "");

	/* One more: reported as malformed, truncated to fit bad_addr. */
	memset(text + 1, 'a', GRAMMAR_MAX_WORD);
	strcpy(text + GRAMMAR_MAX_WORD + 1, " hi");
	parse(text);
	assert_int_equal(g.n_addrs, 0);
	assert_true(strlen(g.bad_addr) > 0);
	assert_true(strlen(g.bad_addr) < sizeof(g.bad_addr));
	assert_string_equal(body(), "hi");

	/* Far too long, and in the sub part. */
	n = (size_t)snprintf(text, sizeof(text), "#soccer.");
	memset(text + n, 'b', 300);
	strcpy(text + n + 300, " hi");
	parse(text);
	assert_int_equal(g.n_addrs, 0);
	assert_int_equal(strlen(g.bad_addr), sizeof(g.bad_addr) - 1);
	assert_string_equal(body(), "hi");

	/* Truncation never cuts a UTF-8 character in two. */
	text[0] = '@';
	n = 1;
	for (int i = 0; i < 60; i++) {
		text[n++] = (char)0xc3;
		text[n++] = (char)0xa9;
	}
	strcpy(text + n, " hi");
	parse(text);
	n = strlen(g.bad_addr);
	assert_true(n < sizeof(g.bad_addr));
	assert_int_equal((n - 1) % 2, 0);
	assert_int_equal((unsigned char)g.bad_addr[n - 1], 0xa9);
}

static void test_too_many_addresses(void **state)
{
	char text[1024];
	size_t n = 0;

	(void)state;
	for (int i = 0; i < GRAMMAR_MAX_ADDRS + 3; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "@p%d ", i);
	strcpy(text + n, "hello");
	parse(text);
	assert_int_equal(g.n_addrs, GRAMMAR_MAX_ADDRS);
	assert_string_equal(g.addrs[GRAMMAR_MAX_ADDRS - 1].word, "p31");
	assert_string_equal(g.bad_addr, "@p32");
	assert_string_equal(body(), "hello");
}

static void test_very_long_input(void **state)
{
	size_t len = 200000;
	char *text = malloc(len + 1);

	(void)state;
	assert_non_null(text);
	memcpy(text, "#soccer ", 8);
	for (size_t i = 8; i < len; i++)
		text[i] = "abc \xc3\xa9"[i % 6];
	text[len] = '\0';
	input = text;
	grammar_parse(text, len, &g);
	assert_int_equal(g.n_addrs, 1);
	assert_true(g.body_off >= 8);
	assert_true(g.body_off + g.body_len <= len);

	/* All addresses: tens of thousands of words, only the first 32 taken. */
	for (size_t i = 0; i + 3 <= len; i += 3)
		memcpy(text + i, "@a ", 3);
	grammar_parse(text, len, &g);
	assert_int_equal(g.n_addrs, GRAMMAR_MAX_ADDRS);
	free(text);
}

static void test_length_not_nul(void **state)
{
	static const char text[] = "#soccer hi\0there #x";

	(void)state;
	/* The length decides, not a NUL: the NUL is just a byte of the body. */
	input = text;
	grammar_parse(text, sizeof(text) - 1, &g);
	assert_int_equal(g.n_addrs, 1);
	assert_int_equal(g.body_off, 8);
	assert_int_equal(g.body_len, sizeof(text) - 1 - 8);

	/* And a shorter length stops early even without a NUL. */
	grammar_parse("STOP now", 4, &g);
	assert_int_equal(g.kind, GRAMMAR_STOP);
}

/* Random text from the characters that matter: never out of bounds, always well-formed. */
/* CLOSE @name ends a crisis conversation; CLOSE alone or with a #tag is a message. */
static void test_close(void **state)
{
	(void)state;
	parse("CLOSE @jamier");
	assert_int_equal(g.kind, GRAMMAR_CLOSE);
	assert_int_equal(g.n_addrs, 1);
	assert_addr(0, GRAMMAR_ADDR_HANDLE, "jamier", "");
	parse("close @JamieR.");
	assert_int_equal(g.kind, GRAMMAR_CLOSE);
	assert_addr(0, GRAMMAR_ADDR_HANDLE, "jamier", "");
	parse("Close #soccer");
	assert_int_equal(g.kind, GRAMMAR_MESSAGE);
	parse("close the gym door");
	assert_int_equal(g.kind, GRAMMAR_MESSAGE);
	parse("CLOSE @jamier now please");
	assert_int_equal(g.kind, GRAMMAR_MESSAGE);
}

/* ACK @name acknowledges a crisis conversation; ACK alone or with more is a message. */
static void test_ack(void **state)
{
	(void)state;
	parse("ACK @jamier");
	assert_int_equal(g.kind, GRAMMAR_ACK);
	assert_int_equal(g.n_addrs, 1);
	assert_addr(0, GRAMMAR_ADDR_HANDLE, "jamier", "");
	parse("Ack @JamieR!");
	assert_int_equal(g.kind, GRAMMAR_ACK);
	assert_addr(0, GRAMMAR_ADDR_HANDLE, "jamier", "");
	parse("ACK");
	assert_int_equal(g.kind, GRAMMAR_MESSAGE);
	parse("ack #soccer");
	assert_int_equal(g.kind, GRAMMAR_MESSAGE);
	parse("ACK @jamier on my way");
	assert_int_equal(g.kind, GRAMMAR_MESSAGE);
}

/* CALL @name [!urgent] [!crisis] asks for a call; "Call me later" is a message. */
static void test_call(void **state)
{
	(void)state;
	parse("CALL @jordanp");
	assert_int_equal(g.kind, GRAMMAR_CALL);
	assert_int_equal(g.n_addrs, 1);
	assert_addr(0, GRAMMAR_ADDR_HANDLE, "jordanp", "");
	parse("call @JordanP !urgent.");
	assert_int_equal(g.kind, GRAMMAR_CALL);
	assert_true(g.urgent);
	assert_addr(0, GRAMMAR_ADDR_HANDLE, "jordanp", "");
	parse("Call !crisis @jamier");
	assert_int_equal(g.kind, GRAMMAR_CALL);
	assert_true(g.crisis);
	parse("CALL @jamier !urgnet");
	assert_int_equal(g.kind, GRAMMAR_CALL);
	assert_string_equal(g.bad_flag, "urgnet");
	parse("Call me after practice");
	assert_int_equal(g.kind, GRAMMAR_MESSAGE);
	parse("call @jamier about the bus");
	assert_int_equal(g.kind, GRAMMAR_MESSAGE);
	parse("CALL");
	assert_int_equal(g.kind, GRAMMAR_MESSAGE);
	parse("CALL @");
	assert_int_equal(g.kind, GRAMMAR_CALL);
	assert_string_equal(g.bad_addr, "@");
	assert_int_equal(g.n_addrs, 0);
}

/* An administrator's decisions: HELD, OK n, NO n reason; anything else is not one. */
static void test_decisions(void **state)
{
	struct grammar_decision d;
	const char *t;

	(void)state;
	assert_true(grammar_parse_decision("HELD", 4, &d));
	assert_int_equal(d.kind, GRAMMAR_D_HELD);
	assert_true(grammar_parse_decision(" held? ", 7, &d));
	assert_int_equal(d.kind, GRAMMAR_D_HELD);
	t = "OK 11";
	assert_true(grammar_parse_decision(t, strlen(t), &d));
	assert_int_equal(d.kind, GRAMMAR_D_OK);
	assert_int_equal(d.id, 11);
	assert_int_equal(d.note_len, 0);
	t = "ok #12, thanks";
	assert_true(grammar_parse_decision(t, strlen(t), &d));
	assert_int_equal(d.id, 12);
	assert_memory_equal(t + d.note_off, "thanks", d.note_len);
	t = "No 7  keep it on the team channel ";
	assert_true(grammar_parse_decision(t, strlen(t), &d));
	assert_int_equal(d.kind, GRAMMAR_D_NO);
	assert_int_equal(d.id, 7);
	assert_int_equal(d.note_len, strlen("keep it on the team channel"));
	t = "ALLOW 12 2w family";
	assert_true(grammar_parse_decision(t, strlen(t), &d));
	assert_int_equal(d.kind, GRAMMAR_D_ALLOW);
	assert_int_equal(d.id, 12);
	assert_int_equal(d.days, 14);
	assert_memory_equal(t + d.note_off, "family", d.note_len);
	t = "allow 3";
	assert_true(grammar_parse_decision(t, strlen(t), &d));
	assert_int_equal(d.days, 7);
	t = "Deny 4 use the team chat";
	assert_true(grammar_parse_decision(t, strlen(t), &d));
	assert_int_equal(d.kind, GRAMMAR_D_DENY);
	assert_memory_equal(t + d.note_off, "use the team chat", d.note_len);
	/* A duration must be 1-365 days. */
	t = "ALLOW 5 400d";
	assert_false(grammar_parse_decision(t, strlen(t), &d));
	t = "ALLOW 5 0d";
	assert_false(grammar_parse_decision(t, strlen(t), &d));
	t = "ALLOW 5 7x";
	assert_false(grammar_parse_decision(t, strlen(t), &d));
	parse("ASK");
	assert_int_equal(g.kind, GRAMMAR_ASK);
	parse("ask them tomorrow");
	assert_int_equal(g.kind, GRAMMAR_MESSAGE);
	/* Ordinary words. */
	static const char *const not [] = {
	    "No",
	    "no problem",
	    "No 5pm is too late",
	    "OK see you",
	    "okay",
	    "held up in traffic",
	    "OK 99999999999999999999",
	    "NO -3",
	    "Nope 4",
	    "",
	};
	for (size_t i = 0; i < ARRAY_SIZE(not ); i++) {
		assert_false(grammar_parse_decision(not [i], strlen(not [i]), &d));
		assert_int_equal(d.kind, GRAMMAR_D_NONE);
	}
	assert_false(grammar_parse_decision(NULL, 0, &d));
}

static void test_random_text(void **state)
{
	static const char alphabet[] = "#@!.,: \t\naAzZ09_-?\xc2\xa0\xf0\x9f\x98\x80";
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	char text[200];

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t len;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		len = (size_t)(x % sizeof(text));
		for (size_t i = 0; i < len; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			text[i] = alphabet[x % (sizeof(alphabet) - 1)];
		}
		grammar_parse(text, len, &g);
		assert_true(g.body_off <= len);
		assert_true(g.body_off + g.body_len <= len);
		assert_true(g.n_addrs <= GRAMMAR_MAX_ADDRS);
		assert_true(memchr(g.bad_addr, 0, sizeof(g.bad_addr)) != NULL);
		assert_true(memchr(g.bad_flag, 0, sizeof(g.bad_flag)) != NULL);
		for (unsigned i = 0; i < g.n_addrs; i++) {
			assert_true(strlen(g.addrs[i].word) > 0);
			for (const char *c = g.addrs[i].word; *c; c++)
				assert_true((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
					    *c == '_' || *c == '-' || *c == '.');
		}
		if (g.kind != GRAMMAR_MESSAGE && g.kind != GRAMMAR_WHO && g.kind != GRAMMAR_CLOSE &&
		    g.kind != GRAMMAR_ACK)
			assert_int_equal(g.n_addrs, 0);
		{
			struct grammar_decision d;
			bool is = grammar_parse_decision(text, len, &d);

			assert_true(is == (d.kind != GRAMMAR_D_NONE));
			assert_true(d.note_off + d.note_len <= len);
			assert_true(d.id >= 0);
		}
	}
}

static void test_help_texts(void **state)
{
	(void)state;
	assert_non_null(strstr(grammar_help_staff(), "#team"));
	assert_non_null(strstr(grammar_help_staff(), "@name"));
	assert_non_null(strstr(grammar_help_staff(), "!urgent"));
	assert_non_null(strstr(grammar_help_family(), "STOP"));
	assert_non_null(strstr(grammar_help_family(), "recorded"));
	/* Each fits in two SMS parts. */
	assert_true(strlen(grammar_help_staff()) <= 306);
	assert_true(strlen(grammar_help_family()) <= 306);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_team),
	    cmocka_unit_test(test_subgroup),
	    cmocka_unit_test(test_handles),
	    cmocka_unit_test(test_flags),
	    cmocka_unit_test(test_bad_flag),
	    cmocka_unit_test(test_reply_text),
	    cmocka_unit_test(test_keywords),
	    cmocka_unit_test(test_keyword_not_whole_message),
	    cmocka_unit_test(test_who_address),
	    cmocka_unit_test(test_case_and_autocapitalisation),
	    cmocka_unit_test(test_spaces_and_punctuation),
	    cmocka_unit_test(test_addresses_without_body),
	    cmocka_unit_test(test_malformed_addresses),
	    cmocka_unit_test(test_at_and_hash_inside_text),
	    cmocka_unit_test(test_utf8_body),
	    cmocka_unit_test(test_long_words),
	    cmocka_unit_test(test_too_many_addresses),
	    cmocka_unit_test(test_very_long_input),
	    cmocka_unit_test(test_length_not_nul),
	    cmocka_unit_test(test_close),
	    cmocka_unit_test(test_ack),
	    cmocka_unit_test(test_call),
	    cmocka_unit_test(test_decisions),
	    cmocka_unit_test(test_random_text),
	    cmocka_unit_test(test_help_texts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
