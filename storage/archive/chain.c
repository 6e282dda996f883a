/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The hash chain: canonical hashing (the SQL functions the schema's triggers call),
 * the chain's head and anchors, and verification of the whole archive. */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "storage/archive/chain.h"
#include "storage/archive/chain_classes.h"

/* ---- Canonical encoding ----
 *
 * A record's content hash is SHA-256 over a type-tagged encoding of its columns, so that
 * no two different rows encode alike ("ab","c" vs "a","bc"; NULL vs ''; 1 vs '1'). */

static void put_be64(crypto_hash_sha256_state *h, uint64_t v)
{
	uint8_t b[8];
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = v & 0xff;
	crypto_hash_sha256_update(h, b, 8);
}

static void put_bytes(crypto_hash_sha256_state *h, uint8_t tag, const void *p, size_t n)
{
	uint8_t hdr[5] = {tag, (n >> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff};
	crypto_hash_sha256_update(h, hdr, sizeof(hdr));
	if (n)
		crypto_hash_sha256_update(h, p, n);
}

static void put_value(crypto_hash_sha256_state *h, sqlite3_value *v)
{
	uint8_t tag;
	double d;
	uint64_t bits;

	switch (sqlite3_value_type(v)) {
	case SQLITE_INTEGER:
		tag = 'I';
		crypto_hash_sha256_update(h, &tag, 1);
		put_be64(h, (uint64_t)sqlite3_value_int64(v));
		break;
	case SQLITE_FLOAT:
		tag = 'F';
		d = sqlite3_value_double(v);
		memcpy(&bits, &d, sizeof(bits));
		crypto_hash_sha256_update(h, &tag, 1);
		put_be64(h, bits);
		break;
	case SQLITE_TEXT:
		put_bytes(h, 'T', sqlite3_value_text(v), (size_t)sqlite3_value_bytes(v));
		break;
	case SQLITE_BLOB:
		put_bytes(h, 'B', sqlite3_value_blob(v), (size_t)sqlite3_value_bytes(v));
		break;
	default:
		tag = 'N';
		crypto_hash_sha256_update(h, &tag, 1);
		break;
	}
}

/* rec_hash(col, col, ...) → 32-byte blob */
static void sql_rec_hash(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	crypto_hash_sha256_state h;
	uint8_t out[CHAIN_HASH_LEN];

	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, (const uint8_t *)"CR1", 3);
	for (int i = 0; i < argc; i++)
		put_value(&h, argv[i]);
	crypto_hash_sha256_final(&h, out);
	sqlite3_result_blob(ctx, out, sizeof(out), SQLITE_TRANSIENT);
}

void chain_link_hash(uint8_t out[CHAIN_HASH_LEN], int64_t seq, const char *cls, int64_t ref_id,
		     const uint8_t content[CHAIN_HASH_LEN], const uint8_t prev[CHAIN_HASH_LEN])
{
	static const uint8_t zero[CHAIN_HASH_LEN];
	crypto_hash_sha256_state h;

	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, (const uint8_t *)"CL1", 3);
	put_be64(&h, (uint64_t)seq);
	put_bytes(&h, 'T', cls, strlen(cls));
	put_be64(&h, (uint64_t)ref_id);
	crypto_hash_sha256_update(&h, content, CHAIN_HASH_LEN);
	crypto_hash_sha256_update(&h, prev ? prev : zero, CHAIN_HASH_LEN);
	crypto_hash_sha256_final(&h, out);
}

/* chain_link(seq, class, ref_id, content, prev) → 32-byte blob */
static void sql_chain_link(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	uint8_t out[CHAIN_HASH_LEN];
	const char *cls = (const char *)sqlite3_value_text(argv[1]);

	(void)argc;
	if (!cls || sqlite3_value_bytes(argv[3]) != CHAIN_HASH_LEN ||
	    sqlite3_value_bytes(argv[4]) != CHAIN_HASH_LEN) {
		sqlite3_result_error(ctx, "chain_link: malformed arguments", -1);
		return;
	}
	chain_link_hash(out, sqlite3_value_int64(argv[0]), cls, sqlite3_value_int64(argv[2]),
			sqlite3_value_blob(argv[3]), sqlite3_value_blob(argv[4]));
	sqlite3_result_blob(ctx, out, sizeof(out), SQLITE_TRANSIENT);
}

int chain_register_functions(sqlite3 *db)
{
	if (sodium_init() < 0)
		return -1;
	if (sqlite3_create_function(db, "rec_hash", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
				    sql_rec_hash, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db, "chain_link", 5, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
				    sql_chain_link, NULL, NULL) != SQLITE_OK)
		return -1;
	return 0;
}

/* ---- The classes, as queries ---- */

#define TAIL_N "COALESCE((SELECT seq FROM chain ORDER BY seq DESC LIMIT 1), 0) + 1"
#define TAIL_P "COALESCE((SELECT hash FROM chain ORDER BY seq DESC LIMIT 1), zeroblob(32))"

struct chain_class {
	const char *table, *cls;
	/* chain rows of the class with the record's recomputed hash and its tombstone */
	const char *check_sql;
	/* the first record of the table the chain does not know, and how many there are */
	const char *unchained_sql;
	/* chain one existing record (?1 = rowid), for the migration */
	const char *backfill_sql;
	const char *rowids_sql;
};

#define X(table, cls, cols)                                                                        \
	{table,                                                                                    \
	 cls,                                                                                      \
	 "SELECT c.seq, c.ref_id, c.content, rec_hash(" cols(                                      \
	     "t.") "), t.rowid IS NULL,"                                                           \
		   " x.content FROM chain c LEFT JOIN " table " t ON t.rowid = c.ref_id"           \
		   " LEFT JOIN tombstones x ON x.class = c.class AND x.ref_id = c.ref_id"          \
		   " WHERE c.class = '" cls "'",                                                   \
	 "SELECT min(t.rowid), count(*) FROM " table " t WHERE NOT EXISTS"                         \
	 " (SELECT 1 FROM chain c WHERE c.class = '" cls "' AND c.ref_id = t.rowid)",              \
	 "INSERT INTO chain(seq, class, ref_id, content, hash) SELECT n, '" cls "', ?1, c,"        \
	 " chain_link(n, '" cls "', ?1, c, p) FROM (SELECT " TAIL_N " AS n, " TAIL_P " AS p,"      \
	 " (SELECT rec_hash(" cols("t.") ") FROM " table " t WHERE t.rowid = ?1) AS c)",           \
	 "SELECT rowid FROM " table " ORDER BY rowid"},
static const struct chain_class classes[] = {
    CHAIN_CLASSES_GUARDED CHAIN_CLASSES_UNGUARDED CHAIN_CLASSES_LATER CHAIN_CLASSES_LATER_5
	CHAIN_CLASSES_LATER_6};
#undef X

int chain_migrate_existing(struct store *s, char *err, size_t errlen)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st;
	int rc = 0;

	st = store_stmt(s, "INSERT INTO archive(id, archive_id, created_at)"
			   " VALUES (1, randomblob(16), ?1)");
	if (!st)
		goto fail;
	sqlite3_bind_int64(st, 1, store_now_ms());
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	for (size_t i = 1; i < ARRAY_SIZE(classes); i++) {
		sqlite3_stmt *ids, *ins;
		if (sqlite3_prepare_v2(db, classes[i].rowids_sql, -1, &ids, NULL) != SQLITE_OK)
			goto fail;
		if (sqlite3_prepare_v2(db, classes[i].backfill_sql, -1, &ins, NULL) != SQLITE_OK) {
			sqlite3_finalize(ids);
			goto fail;
		}
		while (rc == 0 && sqlite3_step(ids) == SQLITE_ROW) {
			sqlite3_bind_int64(ins, 1, sqlite3_column_int64(ids, 0));
			if (sqlite3_step(ins) != SQLITE_DONE)
				rc = -1;
			sqlite3_reset(ins);
		}
		sqlite3_finalize(ids);
		sqlite3_finalize(ins);
		if (rc < 0)
			goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "chaining existing records: %s", sqlite3_errmsg(db));
	return -1;
}

/* ---- Head and anchors ---- */

void chain_hex(const uint8_t *bytes, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * n] = '\0';
}

static int unhex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int v = 0;
		for (int k = 0; k < 2; k++) {
			char c = (char)tolower((unsigned char)s[2 * i + k]);
			if (c >= '0' && c <= '9')
				v = v * 16 + (c - '0');
			else if (c >= 'a' && c <= 'f')
				v = v * 16 + (c - 'a' + 10);
			else
				return -1;
		}
		out[i] = (uint8_t)v;
	}
	return 0;
}

int chain_head(struct store *s, struct chain_head *h)
{
	sqlite3_stmt *st;
	int rc = -1;

	memset(h, 0, sizeof(*h));
	st = store_stmt(s, "SELECT seq, hash FROM chain ORDER BY seq DESC LIMIT 1");
	if (!st)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 1) == CHAIN_HASH_LEN) {
		h->seq = sqlite3_column_int64(st, 0);
		memcpy(h->hash, sqlite3_column_blob(st, 1), CHAIN_HASH_LEN);
		rc = 0;
	}
	sqlite3_reset(st);
	if (rc < 0)
		return -1;
	st = store_stmt(s, "SELECT archive_id FROM archive WHERE id = 1");
	if (!st)
		return -1;
	rc = -1;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 0) == (int)sizeof(h->archive_id)) {
		memcpy(h->archive_id, sqlite3_column_blob(st, 0), sizeof(h->archive_id));
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

void chain_anchor_format(const struct chain_head *h, char *out, size_t cap)
{
	char id[2 * sizeof(h->archive_id) + 1], hash[2 * CHAIN_HASH_LEN + 1];

	chain_hex(h->archive_id, sizeof(h->archive_id), id);
	chain_hex(h->hash, CHAIN_HASH_LEN, hash);
	snprintf(out, cap, "chaperone-anchor:v1:%s:%" PRId64 ":%s", id, h->seq, hash);
}

int chain_anchor_parse(const char *text, struct chain_head *h)
{
	static const char prefix[] = "chaperone-anchor:v1:";
	const char *p = text ? strstr(text, prefix) : NULL;
	char *end;
	long long seq;

	if (!p)
		return -1;
	memset(h, 0, sizeof(*h));
	p += strlen(prefix);
	if (strlen(p) < 2 * sizeof(h->archive_id) + 1 ||
	    unhex(p, h->archive_id, sizeof(h->archive_id)) < 0)
		return -1;
	p += 2 * sizeof(h->archive_id);
	if (*p++ != ':' || !isdigit((unsigned char)*p))
		return -1;
	seq = strtoll(p, &end, 10);
	if (*end != ':' || seq < 1)
		return -1;
	p = end + 1;
	if (strlen(p) < 2 * CHAIN_HASH_LEN || unhex(p, h->hash, CHAIN_HASH_LEN) < 0 ||
	    isxdigit((unsigned char)p[2 * CHAIN_HASH_LEN]))
		return -1;
	h->seq = seq;
	return 0;
}

int chain_content_of(struct store *s, const char *cls, int64_t ref_id, uint8_t out[CHAIN_HASH_LEN])
{
	sqlite3_stmt *st = store_stmt(s, "SELECT content FROM chain WHERE class = ?1 AND "
					 "ref_id = ?2");
	int rc = -1;

	if (!st)
		return -1;
	store_bind_text(st, 1, cls);
	sqlite3_bind_int64(st, 2, ref_id);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == CHAIN_HASH_LEN) {
		memcpy(out, sqlite3_column_blob(st, 0), CHAIN_HASH_LEN);
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

/* ---- Verification ---- */

const char *chain_fault_name(enum chain_fault f)
{
	switch (f) {
	case CHAIN_OK:
		return "ok";
	case CHAIN_ALTERED:
		return "altered";
	case CHAIN_INSERTED:
		return "inserted";
	case CHAIN_REMOVED:
		return "removed";
	case CHAIN_BROKEN:
		return "chain broken";
	case CHAIN_ANCHOR:
		return "anchor not extended";
	}
	return "?";
}

/* Keep the first problem: the lowest chain position; records outside the chain
 * (seq 0) rank after every chained one, lowest id first. */
static void fault(struct chain_report *r, enum chain_fault f, int64_t seq, const char *cls,
		  int64_t ref_id, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void fault(struct chain_report *r, enum chain_fault f, int64_t seq, const char *cls,
		  int64_t ref_id, const char *fmt, ...)
{
	va_list ap;
	bool first;

	r->faults++;
	if (r->fault == CHAIN_OK)
		first = true;
	else if (seq && r->seq)
		first = seq < r->seq;
	else if (seq)
		first = true;
	else
		first = !r->seq && f == r->fault && ref_id < r->ref_id && !strcmp(cls, r->cls);
	if (!first)
		return;
	r->fault = f;
	r->seq = seq;
	snprintf(r->cls, sizeof(r->cls), "%s", cls);
	r->ref_id = ref_id;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

/* Pass 1: the links, in order. Each row's link is recomputed from its own fields and the
 * stored hash of the row before it, so one edited row is reported alone. */
static int verify_links(struct store *s, const struct chain_head *anchor, struct chain_report *r)
{
	sqlite3_stmt *st;
	sqlite3 *db = store_db(s);
	uint8_t prev[CHAIN_HASH_LEN] = {0}, link[CHAIN_HASH_LEN];
	int64_t expect = 1;
	bool anchor_seen = false;
	int rc;

	if (sqlite3_prepare_v2(db,
			       "SELECT seq, class, ref_id, content, hash FROM chain "
			       "ORDER BY seq",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(st, 0);
		const char *cls = (const char *)sqlite3_column_text(st, 1);
		int64_t ref = sqlite3_column_int64(st, 2);
		const uint8_t *content = sqlite3_column_blob(st, 3);
		int content_len = sqlite3_column_bytes(st, 3);
		const uint8_t *hash = sqlite3_column_blob(st, 4);
		int hash_len = sqlite3_column_bytes(st, 4);

		if (!cls)
			cls = "";
		r->records++;
		if (seq != expect)
			fault(r, CHAIN_REMOVED, expect, cls, ref,
			      "chain positions %" PRId64 "..%" PRId64 " are missing", expect,
			      seq - 1);
		if (content_len != CHAIN_HASH_LEN || hash_len != CHAIN_HASH_LEN) {
			fault(r, CHAIN_BROKEN, seq, cls, ref, "chain row is malformed");
			memset(prev, 0, sizeof(prev));
		} else {
			chain_link_hash(link, seq, cls, ref, content, prev);
			if (memcmp(link, hash, CHAIN_HASH_LEN))
				fault(r, CHAIN_BROKEN, seq, cls, ref,
				      "chain row does not follow the one before it "
				      "(rewritten, moved or inserted)");
			memcpy(prev, hash, CHAIN_HASH_LEN);
		}
		if (anchor && seq == anchor->seq) {
			anchor_seen = true;
			if (memcmp(prev, anchor->hash, CHAIN_HASH_LEN))
				fault(
				    r, CHAIN_ANCHOR, seq, cls, ref,
				    "the record at the anchor's position is not the one anchored");
		}
		r->head.seq = seq;
		memcpy(r->head.hash, prev, CHAIN_HASH_LEN);
		expect = seq + 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	if (anchor && !anchor_seen)
		fault(r, CHAIN_ANCHOR, anchor->seq, "chain", 0,
		      "the archive has %" PRId64 " records but the anchor was taken at %" PRId64
		      ": records were removed from its end",
		      r->head.seq, anchor->seq);
	return 0;
}

/* Pass 2: every chained record against its row; every row against the chain. */
static int verify_class(struct store *s, const struct chain_class *c, struct chain_report *r,
			int64_t *walked)
{
	sqlite3 *db = store_db(s);
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, c->check_sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(st, 0);
		int64_t ref = sqlite3_column_int64(st, 1);
		const void *want = sqlite3_column_blob(st, 2);
		const void *got = sqlite3_column_blob(st, 3);
		bool missing = sqlite3_column_int(st, 4);
		const void *tomb = sqlite3_column_blob(st, 5);
		bool want_ok = sqlite3_column_bytes(st, 2) == CHAIN_HASH_LEN;
		bool tomb_ok = tomb && sqlite3_column_bytes(st, 5) == CHAIN_HASH_LEN;

		(*walked)++;
		if (!want_ok)
			continue; /* reported by the link pass */
		if (tomb_ok && !memcmp(tomb, want, CHAIN_HASH_LEN)) {
			r->disposed++;
			continue;
		}
		if (missing)
			fault(r, CHAIN_REMOVED, seq, c->cls, ref, "%s %" PRId64 " is gone", c->cls,
			      ref);
		else if (tomb)
			fault(r, CHAIN_ALTERED, seq, c->cls, ref,
			      "%s %" PRId64 " has a tombstone that does not match it", c->cls, ref);
		else if (!got || memcmp(got, want, CHAIN_HASH_LEN))
			fault(r, CHAIN_ALTERED, seq, c->cls, ref,
			      "%s %" PRId64 " no longer matches what was recorded", c->cls, ref);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;

	if (sqlite3_prepare_v2(db, c->unchained_sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 1) > 0) {
		int64_t id = sqlite3_column_int64(st, 0), n = sqlite3_column_int64(st, 1);
		fault(r, CHAIN_INSERTED, 0, c->cls, id,
		      "%s %" PRId64 " is not in the chain (%" PRId64 " such record%s)", c->cls, id,
		      n, n == 1 ? "" : "s");
		r->faults += (unsigned)(n - 1);
	}
	sqlite3_finalize(st);
	return 0;
}

int chain_verify(struct store *s, const struct chain_head *anchor, struct chain_report *r,
		 char *err, size_t errlen)
{
	int64_t walked = 0;
	struct chain_head h;

	memset(r, 0, sizeof(*r));
	if (chain_head(s, &h) == 0)
		memcpy(r->head.archive_id, h.archive_id, sizeof(h.archive_id));
	else
		fault(r, CHAIN_REMOVED, 1, "archive", 1, "the archive's identity record is gone");
	if (anchor && memcmp(anchor->archive_id, r->head.archive_id, sizeof(h.archive_id)))
		fault(r, CHAIN_ANCHOR, 1, "archive", 1, "the anchor is of another archive");
	/* One read transaction: a consistent snapshot while the daemon keeps writing. */
	if (store_exec(s, "BEGIN") < 0)
		goto fail;
	if (verify_links(s, anchor, r) < 0)
		goto fail_tx;
	for (size_t i = 0; i < ARRAY_SIZE(classes); i++)
		if (verify_class(s, &classes[i], r, &walked) < 0)
			goto fail_tx;
	if (walked != r->records) {
		/* chain rows of no known class: name the first */
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(store_db(s), "SELECT seq, class, ref_id FROM chain", -1, &st,
				       NULL) != SQLITE_OK)
			goto fail_tx;
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *cls = (const char *)sqlite3_column_text(st, 1);
			bool known = false;
			for (size_t i = 0; cls && i < ARRAY_SIZE(classes) && !known; i++)
				known = !strcmp(cls, classes[i].cls);
			if (!known) {
				fault(r, CHAIN_INSERTED, sqlite3_column_int64(st, 0),
				      cls ? cls : "?", sqlite3_column_int64(st, 2),
				      "chain row of an unknown class");
				break;
			}
		}
		sqlite3_finalize(st);
	}
	/* A read transaction: the result stands whatever its end does, but it must not stay
	 * open (it would pin the snapshot and keep the WAL from being checkpointed). */
	if (store_exec(s, "COMMIT") < 0)
		sqlite3_exec(store_db(s), "ROLLBACK", NULL, NULL, NULL);
	return r->fault == CHAIN_OK ? 0 : 1;
fail_tx:
	snprintf(err, errlen, "verify: %s", sqlite3_errmsg(store_db(s)));
	sqlite3_exec(store_db(s), "ROLLBACK", NULL, NULL, NULL);
	return -1;
fail:
	snprintf(err, errlen, "verify: %s", sqlite3_errmsg(store_db(s)));
	return -1;
}
