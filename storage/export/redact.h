/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Redaction for disclosure outside the district: stable pseudonyms for students and/or
 * guardians, and their names, handles and phone numbers taken out of free text.
 *
 * Promises:
 * - every person of the directory of a redacted role (active or not, whether or not they
 *   appear in what is disclosed) gets a pseudonym, "Student K7QF" / "Guardian M2PX": four
 *   base32 characters of HMAC-SHA256(key = archive id || request id, message = person
 *   id), extended by one character at a time until it is unique among the redacted
 *   persons and is not itself one of their names or handles; so the same person has the
 *   same pseudonym throughout a bundle and in every bundle of the same request, and
 *   another request's pseudonyms cannot be linked to these without the archive;
 * - redact_text() replaces, case-insensitively (ASCII and the Latin-1 letters) and on
 *   word boundaries, each
 *   redacted person's full name ("Riley Chen", "Chen, Riley"), the relay's short form
 *   ("Riley C."), given name, family name (and each part of a several-word name),
 *   handle with or without "@", and any run of digits in the text that contains their
 *   phone number in any spelling ("(617) 555-0307", "617.555.0307", "+1 617 555 0307",
 *   "555-0307" on its own); longer matches are replaced first; a word that is the name
 *   of several redacted persons becomes "[student]" / "[guardian]" / "[student or
 *   guardian]" rather than one of their pseudonyms;
 * - staff and administrators are never redacted: their full names are kept where they
 *   stand, and a word that is a staff member's given or family name is left alone even
 *   when a redacted person has it too ("Coach Dana Lee" stays when a guardian is Dana
 *   Fox; "Dana Fox" and @danaf go); a redacted person's full name is replaced even if a
 *   staff member's is the same;
 * - it errs towards removing too much otherwise: a student called Drew takes the verb
 *   "drew" out of every text too. Nicknames and misspellings it cannot know are not
 *   found. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/directory/directory_store.h"

/* Which roles to redact: the same bits as enum export_redact (records_export.h). */
#define REDACT_STUDENTS	 (1u << 0)
#define REDACT_GUARDIANS (1u << 1)

#define REDACT_KEY_ID_LEN 32 /* the archive's secret (chain_archive_secret) */

struct redactor;

/* Build from the directory's persons (all of them; roles not in `roles` are left
 * alone). `archive_id` (the archive's secret, never its public id) and `request` key
 * the pseudonyms. NULL only when out of memory.
 * roles 0 gives a redactor that changes nothing. */
struct redactor *redact_new(void *ctx, const struct store_person *persons, size_t n,
			    const uint8_t archive_id[REDACT_KEY_ID_LEN], const char *request,
			    unsigned roles);

/* How many persons it redacts. */
size_t redact_count(const struct redactor *r);

/* The pseudonym of a person, or NULL when the person is not redacted (or unknown). */
const char *redact_pseudonym(const struct redactor *r, int64_t person_id);

/* A copy of text (allocated under ctx) with every redacted name, handle and number
 * replaced. NULL text gives NULL; r NULL copies unchanged. NULL only when out of memory
 * (or text was NULL). */
char *redact_text(void *ctx, const struct redactor *r, const char *text);
