/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The SMS command grammar staff, students and guardians use on a relay number.
 *
 * Designed for any phone, including ones that capitalise the first word, autocorrect
 * and add spaces: words are case-insensitive, addresses are '#' and '@' words at the
 * start of the message, flags are '!' words among them. docs/operator-guide.md has
 * the version staff get on a card.
 *
 *   #soccer Practice moved to 5pm        the whole team (tag)
 *   #soccer.injured Trainer at 3         a defined subgroup of a team
 *   #injured Trainer at 3                a subgroup by name, when only one team has it
 *   @jamier Can you stay after?          one student (or guardian), guardians copied
 *   @jamier @alexk Bring the cones       several students, each one's guardians copied
 *   !urgent #soccer Bus leaves now       time-sensitive: not held by quiet hours
 *   !crisis @jamier I'm here. Call 988   crisis answer; administrator alerted
 *   Sounds good                          reply to the last thread (see router.h)
 *   HELP / WHO / WHO #soccer             help text; whom you can reach
 *   STOP / START                         opt out / back in (anyone)
 *   DISCARD                              drop the message the gateway asked about
 *   CLOSE @jamier                        end a crisis conversation (administrators)
 *   ACK @jamier                          acknowledge a crisis conversation (administrators)
 *   ASK                                  ask an administrator for an exception after a
 *                                        one-to-one was refused
 *   CALL @jamier [!urgent] [!crisis]     a call through the relay number (a guardian is
 *                                        dialled first; see gateway/policy/policy_call.h)
 *
 * CANCEL is an opt-out word under carrier rules (with STOP, STOPALL, UNSUBSCRIBE, END,
 * QUIT), so the word for dropping a held question is DISCARD.
 *
 * The parser only splits the text; what the words refer to is the router's business. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define GRAMMAR_MAX_ADDRS 32
#define GRAMMAR_MAX_WORD  48

enum grammar_kind {
	GRAMMAR_MESSAGE, /* a message, addressed or not */
	GRAMMAR_HELP,
	GRAMMAR_WHO,
	GRAMMAR_STOP, /* STOP and its carrier synonyms */
	GRAMMAR_START,
	GRAMMAR_DISCARD,
	GRAMMAR_CLOSE, /* CLOSE @name: an administrator ends a crisis conversation */
	GRAMMAR_ASK,   /* ASK: staff ask for an exception after a refused one-to-one */
	GRAMMAR_CALL,  /* CALL @handle: a call; its addresses and flags as for a message */
	GRAMMAR_ACK,   /* ACK @name: an administrator acknowledges a crisis conversation */
};

enum grammar_addr_kind {
	GRAMMAR_ADDR_TAG,    /* #word or #word.word (team, team.subgroup, or subgroup) */
	GRAMMAR_ADDR_HANDLE, /* @word */
};

struct grammar_addr {
	enum grammar_addr_kind kind;
	char word[GRAMMAR_MAX_WORD]; /* lower-cased, without the sigil: "soccer", "jamier" */
	char sub[GRAMMAR_MAX_WORD];  /* after '.', for "#soccer.injured": "injured"; else "" */
};

struct grammar_parse {
	enum grammar_kind kind;
	struct grammar_addr addrs[GRAMMAR_MAX_ADDRS];
	unsigned n_addrs;
	bool urgent, crisis;
	/* Unknown '!' flag (e.g. "!urgnet"), so the router can ask instead of sending it as
	 * text; "" if none. */
	char bad_flag[GRAMMAR_MAX_WORD];
	/* The message text after the addresses and flags, leading/trailing space trimmed:
	 * offsets into the input. For WHO, the text after WHO (e.g. "#soccer"). */
	size_t body_off, body_len;
	/* An address word that is malformed ("#", "@", "@@x", too long), "" if none. */
	char bad_addr[GRAMMAR_MAX_WORD + 2];
};

/* Parse one message's text (UTF-8, any length). Never fails: text that is not a command
 * is a GRAMMAR_MESSAGE with no addresses. Keywords (HELP/INFO, WHO, STOP/STOPALL/
 * UNSUBSCRIBE/CANCEL/END/QUIT, START/UNSTOP, DISCARD) count only when they are the
 * whole message (WHO may be followed by one address), case-insensitive, surrounding
 * space and trailing punctuation ignored. */
void grammar_parse(const char *text, size_t len, struct grammar_parse *out);

/* An administrator's decision by SMS, read before anything else only from an
 * administrator's phone (a student's "No 5 of us can come" stays a message):
 *   HELD                 the messages held for an administrator
 *   OK 11                release held message 11 (a note may follow)
 *   NO 11 not for texts  reject it, the rest is the note the sender is shown
 *   ALLOW 12 7d family   approve exception request 12 for 7 days (2w: 14), kind optional
 *   DENY 12 reason       refuse it */
enum grammar_decision_kind {
	GRAMMAR_D_NONE,
	GRAMMAR_D_HELD,
	GRAMMAR_D_OK,
	GRAMMAR_D_NO,
	GRAMMAR_D_ALLOW, /* ALLOW 12 [7d|2w] [KIND]: approve exception request 12 */
	GRAMMAR_D_DENY,	 /* DENY 12 [reason] */
};
struct grammar_decision {
	enum grammar_decision_kind kind;
	long long id;		   /* OK and NO: the held message's number */
	size_t note_off, note_len; /* the note after the number, trimmed ("" if none) */
	unsigned days;		   /* ALLOW: how long, 1-365 days (7 when not said) */
};
/* Is the whole text a decision? Fills out (kind GRAMMAR_D_NONE when not). */
bool grammar_parse_decision(const char *text, size_t len, struct grammar_decision *out);

/* The help text a staff member / a student or guardian gets for HELP (static). */
const char *grammar_help_staff(void);
const char *grammar_help_family(void);
