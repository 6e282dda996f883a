/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The archive's hash chain: tamper evidence for every record.
 *
 * Every record (message, verdict, delivery and each of its status changes, notice,
 * opt-out, hold, disposal, export, disclosure, access...) gets one chain row when it is
 * written: the SHA-256 of its canonical content, and a link hash over
 * (seq, class, id, content hash, previous link hash). The triggers that do this are in
 * schema_archive.c; the classes and their columns in chain_classes.h.
 *
 * Promises:
 * - chain_verify() walks the whole chain and every record table, and reports the first
 *   record (lowest chain position) that was altered, inserted, removed or moved, with
 *   its class and id; a disposed record verifies through its tombstone;
 * - an anchor (the head's position and hash, with the archive's identity) taken at any
 *   time proves later that the archive still extends that head, even against someone
 *   who rebuilt the chain after editing it;
 * - SHA-256 is libsodium's. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "storage/archive/store.h"

#define CHAIN_HASH_LEN 32

/* Register rec_hash() and chain_link() on a connection; store_open() does it. */
int chain_register_functions(sqlite3 *db);

/* The canonical link hash (also the SQL function chain_link). prev may be NULL for the
 * first record (32 zero bytes). */
void chain_link_hash(uint8_t out[CHAIN_HASH_LEN], int64_t seq, const char *cls, int64_t ref_id,
		     const uint8_t content[CHAIN_HASH_LEN], const uint8_t prev[CHAIN_HASH_LEN]);

struct chain_head {
	int64_t seq; /* the number of records: positions run 1..seq without gaps */
	uint8_t hash[CHAIN_HASH_LEN];
	uint8_t archive_id[16];
};
int chain_head(struct store *s, struct chain_head *h);

/* "chaperone-anchor:v1:<archive id hex>:<seq>:<hash hex>" (out needs CHAIN_ANCHOR_LEN). */
#define CHAIN_ANCHOR_LEN 160
void chain_anchor_format(const struct chain_head *h, char *out, size_t cap);
/* Parse an anchor line (surrounding text and whitespace are ignored, so a whole printed
 * anchor or an e-mail quoting it will do). 0, or -1 if none is found. */
int chain_anchor_parse(const char *text, struct chain_head *h);

enum chain_fault {
	CHAIN_OK,
	CHAIN_ALTERED,	/* a record's content no longer matches its hash */
	CHAIN_INSERTED, /* a record that the chain does not know */
	CHAIN_REMOVED,	/* a chained record (or a chain row) that is gone */
	CHAIN_BROKEN,	/* a chain row whose link hash does not follow (edited, moved) */
	CHAIN_ANCHOR,	/* the archive does not extend the given anchor */
};

struct chain_report {
	int64_t records;  /* chain rows walked */
	int64_t disposed; /* of which verified through a tombstone */
	unsigned faults;  /* how many problems in all */
	/* The first problem (lowest chain position; inserted records sort after). */
	enum chain_fault fault;
	int64_t seq; /* chain position, 0 if the record is not in the chain */
	char cls[32];
	int64_t ref_id;
	char detail[256];
	struct chain_head head;
};

/* Walk everything. anchor may be NULL. Returns 0 if the archive holds (and extends the
 * anchor), 1 if not (report says where), -1 on error (message in err). */
int chain_verify(struct store *s, const struct chain_head *anchor, struct chain_report *r,
		 char *err, size_t errlen);

const char *chain_fault_name(enum chain_fault f);

/* The content hash the chain holds for a record (for tombstones): 0, or -1 if the
 * record is not chained. */
int chain_content_of(struct store *s, const char *cls, int64_t ref_id, uint8_t out[CHAIN_HASH_LEN]);

void chain_hex(const uint8_t *bytes, size_t n, char *out); /* out: 2n+1 */
