/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Redaction for disclosure outside the district: stable pseudonyms for students and/or
 * guardians, and their names, handles and phone numbers taken out of free text.
 *
 * Promises:
 * - every person of the directory of a redacted role (active or not, whether or not they
 *   appear in what is disclosed) gets a pseudonym, "Student KTQF" / "Guardian MBPX":
 *   four consonants read off HMAC-SHA256(key = the redaction key || request id, message
 *   = person id), extended by one at a time until it is unique among the redacted
 *   persons and is not itself one of their names or handles; so the same person has the
 *   same pseudonym throughout a bundle and in every bundle of the same request, and
 *   another request's pseudonyms cannot be linked to these without the key. Pseudonyms
 *   hold no digit, so one never runs into the digits around it to spell a number;
 * - text is compared folded (text_fold.h): any case, any Unicode spelling of spaces,
 *   dashes, digits and accents, characters that show nothing ignored;
 * - everywhere, redact_text() replaces each redacted person's full name ("Riley Chen",
 *   "Chen, Riley"), the relay's short form ("Riley C."), handle with or without "@", and
 *   any run of digits (and the separators people write numbers with) holding their
 *   phone number in any spelling ("(617) 555-0307", "617.555.0307", "+1 617 555 0307",
 *   "555-0307"), even glued to other digits; longer matches first; a name several
 *   redacted persons have becomes "[student]" / "[guardian]" / "[student or guardian]";
 * - a single word of a redacted person's name (given name, family name, a part of
 *   either) is replaced only where that person is a party of the conversation the text
 *   belongs to, and no staff party of it has that name word too: "Sam's Club" stays in a
 *   conversation Sam is not in, and "Thanks Dana!" stays where Coach Dana Lee is a party;
 *   and not where it is written in lower case and is a word of the dictionary (Debian's
 *   wamerican, built in): "we hope Hope feels better" keeps "hope".
 *   With no conversation given, everyone is a party;
 * - staff and administrators are never redacted: a staff member's full name is kept
 *   wherever it stands ("Coach Dana Lee" when a guardian is Dana Fox); when a redacted
 *   person has the same full name, it is kept where the staff member is a party and the
 *   namesake is not (the relay's attribution of the staff member's own message), and
 *   replaced otherwise; their phone numbers are withheld (replaced by "[staff number]")
 *   only when REDACT_STAFF_NUMBERS is asked for;
 * - every replacement, and every name word of a redacted person left alone, can be
 *   reported (struct redact_hit) for the officer's review.
 * Nicknames and misspellings it cannot know are not found. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/directory/directory_store.h"

/* Which roles to redact: the same bits as enum export_redact (records_export.h). */
#define REDACT_STUDENTS	 (1u << 0)
#define REDACT_GUARDIANS (1u << 1)
/* Staff and administrators' phone numbers too (their names never). */
#define REDACT_STAFF_NUMBERS (1u << 2)

#define REDACT_KEY_ID_LEN 32 /* the redaction key's length */

struct redactor;

/* Build from the directory's persons (all of them; roles not in `roles` are left
 * alone). `archive_id` (the redaction key, never the archive's public id) and `request`
 * key the pseudonyms. NULL only when out of memory.
 * roles 0 gives a redactor that changes nothing. */
struct redactor *redact_new(void *ctx, const struct store_person *persons, size_t n,
			    const uint8_t archive_id[REDACT_KEY_ID_LEN], const char *request,
			    unsigned roles);

/* How many persons it redacts. */
size_t redact_count(const struct redactor *r);

/* The pseudonym of a person, or NULL when the person is not redacted (or unknown). */
const char *redact_pseudonym(const struct redactor *r, int64_t person_id);

/* A copy of text (allocated under ctx) with every redacted name, handle and number
 * replaced, everyone taken as a party. NULL text gives NULL; r NULL copies unchanged.
 * NULL only when out of memory (or text was NULL). */
char *redact_text(void *ctx, const struct redactor *r, const char *text);

enum redact_rule {
	REDACT_RULE_NUMBER,	  /* a redacted person's phone number, in some spelling */
	REDACT_RULE_STAFF_NUMBER, /* a staff member's number, withheld */
	REDACT_RULE_NAME,	  /* a full name, the relay's "Riley C.", a handle */
	REDACT_RULE_PARTY,	  /* a name word of a redacted party of the conversation */
	/* Left alone: */
	REDACT_RULE_KEPT_STAFF,	    /* a staff party of the conversation has that name word */
	REDACT_RULE_KEPT_NOT_PARTY, /* a redacted person's name word, not of this
				       conversation's parties */
	REDACT_RULE_KEPT_WORD,	    /* a party's name word written in lower case that is a
				       dictionary word ("drew", "will", "park") */
};

/* Its name in the review file: "number", "staff number", "name", "name of a party",
 * "kept: a staff party's name too", "kept: no party has it", "kept: a word in lower
 * case". */
const char *redact_rule_name(enum redact_rule rule);

/* One thing the redactor did, or chose not to do, in a text. */
struct redact_hit {
	size_t start, end; /* bytes of the redacted text */
	enum redact_rule rule;
	/* Replaced: what replaced it. Kept: whom it could have named ("Student KTQF",
	 * "[student]"). */
	const char *label;
};

/* redact_text() for a text of one conversation: `parties` (sorted ascending, n_parties
 * of them) are the directory ids of its parties — senders, recipients, the staff member
 * and student it is between; parties NULL: everyone. With hits non-NULL, *hits gets
 * (under ctx) what was replaced and what was kept, in order of the text, and *n_hits
 * their number. */
char *redact_text_in(void *ctx, const struct redactor *r, const char *text, const int64_t *parties,
		     size_t n_parties, struct redact_hit **hits, size_t *n_hits);
