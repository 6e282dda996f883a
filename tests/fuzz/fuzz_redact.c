/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* libFuzzer target over redact_text_in(): whatever the text, no redacted person's full
 * name, handle or number survives in any spelling (tests/fuzz/redact_oracle.h), and
 * staff numbers do not either when they are withheld. The district holds the cases
 * that are hard for a redactor: a guardian who shares a coach's given name, an accented
 * name of several words, a Chinese name, numbers of three countries, a number that is a
 * prefix of another's.
 *
 * Input: byte 0 chooses the conversation's parties (bit i: person i + 1; 0xff: no
 * conversation, everyone a party) and byte 1's low bit withholds staff numbers; the rest
 * is the text. Built with clang -fsanitize=fuzzer (./dev fuzz), or with any compiler as
 * a replay of the corpus (fuzz_redact_replay.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "storage/export/redact.h"
#include "tests/fuzz/redact_oracle.h"

static const struct store_person district[] = {
    {.id = 1,
     .role = DIR_STUDENT,
     .given = "Jamie",
     .family = "Rivera",
     .handle = "jamier",
     .phone = "+16175550301"},
    {.id = 2,
     .role = DIR_STUDENT,
     .given = "Sam",
     .family = "Ortiz",
     .handle = "samo",
     .phone = "+16175550302"},
    {.id = 3,
     .role = DIR_STUDENT,
     .given = "Mary Ann",
     .family = "Dupré-García",
     .handle = "maryd",
     .phone = "+33612345678"},
    {.id = 4,
     .role = DIR_STUDENT,
     .given = "小明",
     .family = "王",
     .handle = "xiaomingw",
     .phone = "+8613812349999"},
    {.id = 5,
     .role = DIR_GUARDIAN,
     .given = "Dana",
     .family = "Fox",
     .handle = "danaf",
     .phone = "+16175550499"},
    {.id = 6,
     .role = DIR_GUARDIAN,
     .given = "Wei",
     .family = "Ortiz",
     .handle = "weio",
     .phone = "+161755504"},
    {.id = 7,
     .role = DIR_STAFF,
     .given = "Dana",
     .family = "Lee",
     .handle = "danal",
     .phone = "+16175550101"},
    {.id = 8,
     .role = DIR_ADMIN,
     .given = "Omar",
     .family = "Haddad",
     .handle = "omarh",
     .phone = "+16175550150"},
};
#define N_PERSONS (sizeof(district) / sizeof(*district))

static struct redactor *redactors[2];

static void init(void)
{
	static const uint8_t key[REDACT_KEY_ID_LEN] = {1, 2, 3};
	unsigned roles = REDACT_STUDENTS | REDACT_GUARDIANS;

	redactors[0] = redact_new(NULL, district, N_PERSONS, key, "PRR-FUZZ", roles);
	redactors[1] =
	    redact_new(NULL, district, N_PERSONS, key, "PRR-FUZZ", roles | REDACT_STAFF_NUMBERS);
	if (!redactors[0] || !redactors[1])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	void *ctx;
	int64_t parties[N_PERSONS];
	size_t n = 0;
	unsigned oracle_roles = (1u << DIR_STUDENT) | (1u << DIR_GUARDIAN);
	const struct redactor *r;
	char *text, *out;
	struct redact_hit *hits;
	size_t n_hits;
	const char *bad;

	if (!redactors[0])
		init();
	if (size < 2)
		return 0;
	for (size_t i = 0; i < N_PERSONS; i++)
		if (data[0] & (1u << i))
			parties[n++] = (int64_t)i + 1;
	r = redactors[data[1] & 1];
	if (data[1] & 1)
		oracle_roles |= (1u << DIR_STAFF) | (1u << DIR_ADMIN);
	ctx = talloc_new(NULL);
	text = talloc_strndup(ctx, (const char *)data + 2, size - 2);
	out = redact_text_in(ctx, r, text, data[0] == 0xff ? NULL : parties, n, &hits, &n_hits);
	if (!out)
		abort();
	/* Hits lie within the output, in order. */
	for (size_t i = 0; i < n_hits; i++)
		if (hits[i].start > hits[i].end || hits[i].end > strlen(out) ||
		    (i && hits[i].start < hits[i - 1].end))
			abort();
	/* Staff names are never the oracle's business; numbers of staff are when withheld:
	 * the oracle checks full names too, so staff are checked by number alone. */
	bad = redact_oracle(ctx, district, N_PERSONS, (1u << DIR_STUDENT) | (1u << DIR_GUARDIAN),
			    out);
	if (!bad && (oracle_roles & (1u << DIR_STAFF))) {
		struct store_person staff[N_PERSONS];
		size_t k = 0;
		for (size_t i = 0; i < N_PERSONS; i++)
			if (district[i].role == DIR_STAFF || district[i].role == DIR_ADMIN) {
				staff[k] = district[i];
				staff[k].given = staff[k].family = staff[k].handle = NULL;
				k++;
			}
		bad = redact_oracle(ctx, staff, k, (1u << DIR_STAFF) | (1u << DIR_ADMIN), out);
	}
	if (bad) {
		fprintf(stderr, "redaction leak: %s\n in:  %s\n out: %s\n", bad, text, out);
		abort();
	}
	talloc_free(ctx);
	return 0;
}
