/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The redaction key: what keys the pseudonyms of public-records bundles, kept outside
 * the archive so that a backup or a litigation copy of the archive cannot recompute
 * them.
 *
 * The file holds comment lines ("# ...") and one line of 64 hexadecimal digits (32
 * random bytes). Promises:
 * - redaction_key_load() reads only a regular file owned by the user reading it and
 *   readable by nobody else (mode 0600 or 0400): a key others can read protects nothing,
 *   and is refused with the chmod that fixes it; anything else in the file is an error
 *   naming the line;
 * - redaction_key_create() makes a new key with libsodium's random bytes, 0600, and
 *   never replaces a file that exists;
 * - the key's id (the first 16 hex digits of its SHA-256) names it in manifests and the
 *   archive's export records without revealing it. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define REDACTION_KEY_LEN    32
#define REDACTION_KEY_ID_LEN 17 /* 16 hex digits and NUL */
/* Where the key is unless $CHAPERONE_REDACTION_KEY or --key-file says otherwise. */
#define REDACTION_KEY_PATH "/etc/chaperone/redaction.key"

/* 0, or -1 with a message in err (nothing read into key). */
int redaction_key_load(const char *path, uint8_t key[REDACTION_KEY_LEN], char *err, size_t errlen);

/* 0, or -1 with a message in err (nothing left behind). */
int redaction_key_create(const char *path, char *err, size_t errlen);

void redaction_key_id(const uint8_t key[REDACTION_KEY_LEN], char id[REDACTION_KEY_ID_LEN]);
