/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* What must never survive a redaction, checked from outside the redactor: no redacted
 * person's full name ("Riley Chen", "Chen, Riley"), handle or phone number (the E.164
 * digits, the national number, the local seven) in any spelling the folding
 * (storage/export/text_fold.h) reads as the same — digits of any script, any spaces,
 * dashes and separators between digits (up to three, a run of white space
 * counting as one, line breaks too), characters that show nothing.
 * Shared by the unit tests and the libFuzzer target. */
#pragma once

#include <stddef.h>

#include "storage/directory/directory_store.h"

/* NULL when `redacted` (the text redact_text() gave) is clean of every person of
 * persons[0..n) whose role bit (1 << role) is in `roles`; else what survived, under
 * ctx. */
const char *redact_oracle(void *ctx, const struct store_person *persons, size_t n, unsigned roles,
			  const char *redacted);
