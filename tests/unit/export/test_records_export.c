/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Public-records export (storage/export/records_export.h, storage/export/redact.h) against a
 * temporary archive holding the sample district and messages written through the records API:
 * pseudonyms, body redaction in every spelling, the bundle's files and their modes, the
 * manifest's hashes, HTML escaping of a hostile body, the FERPA disclosure rows and the
 * access log, refusals that leave nothing behind, and export_verify() catching a changed
 * byte, a missing file, an added file and a manifest the archive never recorded. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <sodium.h>
#include <talloc.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "storage/archive/access_log.h"
#include "storage/archive/chain.h"
#include "storage/directory/directory_store.h"
#include "storage/records/records.h"
#include "storage/export/records_export.h"
#include "storage/export/redact.h"
#include "storage/export/redaction_key.h"
#include "gateway/roster/roster.h"
#include "tests/unit/support/test_archive.h"

#define RELAY "+15550100"

/* The redaction key, as the records officer's key file would hold it. */
static const uint8_t test_key[REDACTION_KEY_LEN] = {0x5a, 0x17};
#define T0 1789300000000LL /* 2026-09-13 */

struct env {
	void *ctx;
	char dir[TEST_ARCHIVE_DIR], path[TEST_ARCHIVE_PATH];
	struct store *s;
	int64_t msgs[8];
	int n_msgs;
};

/* ---- The archive ---- */

static int64_t pid(struct env *e, const char *handle)
{
	struct store_person p;

	if (store_person_by_handle(e->s, e->ctx, handle, &p) != 1)
		fail_msg("no person %s", handle);
	return p.id;
}

static const char *phone(struct env *e, const char *handle)
{
	struct store_person p;

	if (store_person_by_handle(e->s, e->ctx, handle, &p) != 1 || !p.phone)
		fail_msg("no phone for %s", handle);
	return p.phone;
}

struct to {
	const char *handle, *why, *body, *status;
};

/* One message with its verdict and deliveries, as the router records them. */
static int64_t message(struct env *e, int minute, const char *from, const char *number,
		       const char *text, const char *action, const char *rules, bool flagged,
		       const struct to *to)
{
	struct store_team soccer;
	struct rec_message m = {
	    .at = T0 + minute * 60000LL,
	    .relay = RELAY,
	    .modem = "modem0",
	    .sender_number = from ? phone(e, from) : number,
	    .sender_id = from ? pid(e, from) : 0,
	    .text = text,
	    .parts = 1,
	    .complete = true,
	};
	int64_t id, vid;

	assert_int_equal(store_team_by_tag(e->s, e->ctx, "soccer", &soccer), 1);
	assert_int_equal(store_begin(e->s), 0);
	id = rec_message_add(e->s, &m);
	assert_true(id > 0);
	struct rec_verdict v = {
	    .at = m.at + 5,
	    .message_id = id,
	    .sender_id = m.sender_id,
	    .team_id = from ? soccer.id : 0,
	    .relay = RELAY,
	    .kind = from ? REC_V_RELAY : REC_V_UNKNOWN_SENDER,
	    .action = (enum rec_action)get_string_value(rec_action_names, action),
	    .rules = rules,
	    .reason = flagged ? "crisis words: reviewed by the counselor" : "team message",
	    .body = text,
	    .flagged = flagged,
	    .release = !strcmp(action, "hold") ? "admin" : NULL,
	};
	vid = rec_verdict_add(e->s, &v);
	assert_true(vid > 0);
	for (; to && to->why; to++) {
		struct rec_delivery d = {
		    .at = m.at + 10,
		    .verdict_id = vid,
		    .message_id = id,
		    .recipient_id = to->handle ? pid(e, to->handle) : 0,
		    .relay = RELAY,
		    .recipient_number = to->handle ? phone(e, to->handle) : number,
		    .why = to->why,
		    .body = to->body,
		    .status = !strcmp(action, "hold") ? REC_ST_HELD : REC_ST_QUEUED,
		};
		int64_t did = rec_delivery_add(e->s, &d);
		assert_true(did > 0);
		if (to->status)
			assert_int_equal(
			    rec_delivery_event(e->s, did, d.at + 1000,
					       get_string_value(rec_status_names, to->status),
					       "modem0", 1, 7, NULL),
			    0);
	}
	assert_int_equal(store_commit(e->s), 0);
	e->msgs[e->n_msgs++] = id;
	return id;
}

#define HOSTILE                                                                                    \
	"<script>alert('pwned')</script> & \"quoted\" <img src=x onerror=alert(1)> "               \
	"photo\u202egnp.exe"

static void seed(struct env *e)
{
	/* The coach names students by full name, first name and handle, and gives their
	 * numbers in other spellings than the directory's E.164. */
	message(e, 0, "danal", NULL,
		"Riley Chen and @jamier: practice moved to 5. RILEY, call me at the field; your "
		"number (617) 555-0307 is on the list. Jamie's cell 617.555.0301 too.",
		"deliver", "guardian-copy", false,
		(const struct to[]){
		    {"rileyc", "addressed", "Coach Dana Lee: practice moved to 5", "delivered"},
		    {"jamier", "addressed", "Coach Dana Lee: practice moved to 5", "sent"},
		    {"weic", "guardian-copy", "Coach Dana Lee to Riley C.: practice moved",
		     "delivered"},
		    {NULL, NULL, NULL, NULL}});
	message(
	    e, 3, "rileyc", NULL,
	    "Coach it's Riley C. (rileyc), text me at +1 617 555 0307 or 555-0307. Tell "
	    "Taylor Nguyen and Chen, Riley's mom, too.",
	    "deliver", "guardian-copy", false,
	    (const struct to[]){
		{"danal", "addressed", "Riley C.: Coach it's Riley C.", "delivered"},
		{"linc", "guardian-copy", "Riley C. to Coach Dana Lee: it's Riley", "delivered"},
		{NULL, NULL, NULL, NULL}});
	message(e, 5, "danal", NULL, HOSTILE, "deliver", "", false,
		(const struct to[]){{"rileyc", "addressed", HOSTILE, "delivered"},
				    {NULL, NULL, NULL, NULL}});
	message(e, 7, "danal", NULL, "=HYPERLINK(\"http://example.com\") bring water", "deliver",
		"", false,
		(const struct to[]){{"jamier", "addressed", "=cmd bring water", "delivered"},
				    {NULL, NULL, NULL, NULL}});
	message(e, 9, "jamier", NULL,
		"I don't feel safe on the bus, Alex Kim keeps texting me from 6175550302", "hold",
		"crisis", true,
		(const struct to[]){{"danal", "addressed", "Jamie R.: I don't feel safe", NULL},
				    {NULL, NULL, NULL, NULL}});
	message(e, 11, NULL, "+16175559999", "who is this? tell samo hi", "reply", "unknown-sender",
		false,
		(const struct to[]){
		    {NULL, "reply", "This number only relays team messages.", "delivered"},
		    {NULL, NULL, NULL, NULL}});
}

static int setup(void **state)
{
	struct env *e = talloc_zero(NULL, struct env);

	e->ctx = e;
	e->s = test_archive_open(e, "test_export", e->dir, e->path);
	test_archive_import_district(e, e->s);
	seed(e);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	test_archive_remove(e->s, e->dir);
	talloc_free(e);
	return 0;
}

/* ---- Helpers ---- */

static char *slurp_len(void *ctx, const char *dir, const char *name, size_t *len);

static char *slurp(void *ctx, const char *dir, const char *name)
{
	size_t len;

	return slurp_len(ctx, dir, name, &len);
}

/* A file whole (binary: the PDF), NUL-terminated, and its length. */
static char *slurp_len(void *ctx, const char *dir, const char *name, size_t *len)
{
	char *path = talloc_asprintf(ctx, "%s/%s", dir, name), *buf;
	FILE *f = fopen(path, "rb");
	long n;

	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = talloc_array(ctx, char, n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	*len = (size_t)n;
	fclose(f);
	return buf;
}

static void spit(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static bool word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* grep -i -w: the word, case-insensitively, not inside a longer word. */
static bool has_word(const char *hay, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = hay; (p = strcasestr(p, w)); p++)
		if ((p == hay || !word_char(p[-1])) && !word_char(p[n]))
			return true;
	return false;
}

static const char *const bundle_files[] = {
    "transcript.html", "transcript.pdf", "records.csv",		 "deliveries.csv",
    "records.jsonl",   "calls.csv",	 "call-legs.csv",	 "call-events.csv",
    "calls.jsonl",     "README.txt",	 "redaction-review.csv", "manifest.json"};

/* Every file of the bundle, one after the other. */
static char *whole_bundle(void *ctx, const char *dir)
{
	char *all = talloc_strdup(ctx, "");

	for (size_t i = 0; i < ARRAY_SIZE(bundle_files); i++)
		all = talloc_asprintf_append(all, "%s\n", slurp(ctx, dir, bundle_files[i]));
	return all;
}

static void sha256_hex(const char *data, size_t n, char out[65])
{
	uint8_t md[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(md, (const uint8_t *)data, n);
	for (size_t i = 0; i < sizeof(md); i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

static int64_t count(struct env *e, const char *sql, int64_t arg)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	assert_int_equal(sqlite3_prepare_v2(store_db(e->s), sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_bind_parameter_count(st))
		sqlite3_bind_int64(st, 1, arg);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static char *text_of(struct env *e, const char *sql, int64_t arg)
{
	sqlite3_stmt *st;
	char *s = NULL;

	assert_int_equal(sqlite3_prepare_v2(store_db(e->s), sql, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, arg);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		s = talloc_strdup(e->ctx, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return s;
}

static int do_export(struct env *e, const char *sub, unsigned redact, const struct rq_query *q,
		     struct export_summary *sum, char *out_dir, size_t cap, char *err,
		     size_t errlen)
{
	struct rq_query all = {0};
	struct export_request r = {
	    .redaction_key = test_key,
	    .request = "PRR-2026-041",
	    .requester = "Jo Reporter, Lakeview Ledger",
	    .purpose = "Coach communications with the soccer team, September",
	    .operator= "Records Officer",
	    .out_dir = out_dir,
	    .redact = redact,
	    .query = q ? q : &all,
	};

	snprintf(out_dir, cap, "%s/%s", e->dir, sub);
	return export_write(e->s, e->ctx, &r, sum, err, errlen);
}

static void assert_mode(const char *path, mode_t want)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	if ((st.st_mode & 07777) != want)
		fail_msg("%s has mode %o, want %o", path, st.st_mode & 07777, want);
}

/* ---- Pseudonyms and body redaction ---- */

static struct redactor *district_redactor(struct env *e, const char *request, unsigned roles)
{
	struct store_person *persons;
	size_t n;
	static const uint8_t id[REDACT_KEY_ID_LEN] = {1, 2,  3,	 4,  5,	 6,  7,	 8,
						      9, 10, 11, 12, 13, 14, 15, 16};

	assert_int_equal(store_persons_list(e->s, e->ctx, &persons, &n), 0);
	return redact_new(e->ctx, persons, n, id, request, roles);
}

static void test_pseudonyms(void **state)
{
	struct env *e = *state;
	struct redactor *a = district_redactor(e, "PRR-1", REDACT_STUDENTS);
	struct redactor *b = district_redactor(e, "PRR-1", REDACT_STUDENTS);
	struct redactor *c = district_redactor(e, "PRR-2", REDACT_STUDENTS);
	struct redactor *both = district_redactor(e, "PRR-1", REDACT_STUDENTS | REDACT_GUARDIANS);
	const char *riley = redact_pseudonym(a, pid(e, "rileyc"));

	assert_non_null(a);
	assert_int_equal(redact_count(a), 12);	  /* the district's students */
	assert_int_equal(redact_count(both), 28); /* and their 16 guardians */
	assert_non_null(riley);
	assert_int_equal(strncmp(riley, "Student ", 8), 0);
	assert_true(strlen(riley) >= 12);
	for (const char *p = riley + 8; *p; p++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", *p));
	/* Stable for the request, different for another. */
	assert_string_equal(riley, redact_pseudonym(b, pid(e, "rileyc")));
	assert_string_equal(riley, redact_pseudonym(both, pid(e, "rileyc")));
	assert_string_not_equal(riley, redact_pseudonym(c, pid(e, "rileyc")));
	/* Staff are not redacted; guardians only when asked. */
	assert_null(redact_pseudonym(a, pid(e, "danal")));
	assert_null(redact_pseudonym(a, pid(e, "weic")));
	assert_int_equal(strncmp(redact_pseudonym(both, pid(e, "weic")), "Guardian ", 9), 0);
}

/* Many students: pseudonyms stay unique (codes lengthen on a shared prefix), and a code
 * that reads as a redacted name is lengthened. */
static void test_pseudonyms_unique(void **state)
{
	struct env *e = *state;
	enum { N = 6000 };
	struct store_person *p = talloc_zero_array(e->ctx, struct store_person, N + 1);
	static const uint8_t id[REDACT_KEY_ID_LEN] = {9};
	struct redactor *r;
	const char **seen = talloc_array(e->ctx, const char *, N);
	size_t longer = 0;

	for (int i = 0; i < N; i++) {
		p[i].id = i + 1;
		p[i].role = DIR_STUDENT;
		p[i].given = talloc_asprintf(p, "Given%d", i);
		p[i].family = "Family";
		p[i].handle = talloc_asprintf(p, "h%d", i);
	}
	r = redact_new(e->ctx, p, N, id, "PRR-X", REDACT_STUDENTS);
	assert_non_null(r);
	for (int i = 0; i < N; i++) {
		seen[i] = redact_pseudonym(r, i + 1);
		assert_non_null(seen[i]);
		longer += strlen(seen[i]) > 12;
	}
	for (int i = 0; i < N; i++)
		for (int j = i + 1; j < N; j++)
			if (!strcmp(seen[i], seen[j]))
				fail_msg("%s twice", seen[i]);
	assert_true(longer > 0); /* 6000 four-character codes: some shared a prefix */

	/* Person 2's given name is person 1's code: person 1's code must grow. */
	const char *code = redact_pseudonym(r, 1) + 8;
	struct store_person two[2] = {
	    {.id = 1, .role = DIR_STUDENT, .given = "Ann", .family = "Lee", .handle = "annl"},
	    {.id = 2,
	     .role = DIR_STUDENT,
	     .given = talloc_strndup(e->ctx, code, 4),
	     .family = "Doe",
	     .handle = "x2"},
	};
	struct redactor *r2 = redact_new(e->ctx, two, 2, id, "PRR-X", REDACT_STUDENTS);
	const char *one = redact_pseudonym(r2, 1);
	assert_true(strlen(one) > 12);
	assert_false(has_word(one, two[1].given));
}

/* A guardian who shares a staff member's given name (Dana Fox; Coach Dana Lee): the
 * coach's name stays everywhere — in the relay's attributions and alone — while the
 * guardian's full name goes. Before, "Dana" was replaced everywhere, so every message of
 * the coach's read "Coach Guardian … Lee". */
static void test_redact_keeps_staff_names(void **state)
{
	struct env *e = *state;
	struct store_person dana = {.role = DIR_GUARDIAN,
				    .given = "Dana",
				    .family = "Fox",
				    .handle = "danaf",
				    .phone = "+16175550499",
				    .active = true};
	struct redactor *r;
	const char *fox, *jamie;
	char *out;

	assert_int_equal(store_person_add(e->s, "test", &dana), 0);
	r = district_redactor(e, "PRR-1", REDACT_STUDENTS | REDACT_GUARDIANS);
	fox = redact_pseudonym(r, dana.id);
	jamie = redact_pseudonym(r, pid(e, "jamier"));
	assert_non_null(fox);
	out = redact_text(e->ctx, r, "[Soccer] Coach Dana Lee to Jamie R.: see you at 5");
	assert_string_equal(
	    out, talloc_asprintf(e->ctx, "[Soccer] Coach Dana Lee to %s: see you at 5", jamie));
	out = redact_text(e->ctx, r, "Lee, Dana wrote; ask Dana Fox or @danaf");
	assert_string_equal(out,
			    talloc_asprintf(e->ctx, "Lee, Dana wrote; ask %s or %s", fox, fox));
	/* A bare "Dana" could be either: a staff member's name is never taken out. */
	assert_string_equal(redact_text(e->ctx, r, "Thanks Dana!"), "Thanks Dana!");
}

static void test_redact_text(void **state)
{
	struct env *e = *state;
	struct redactor *r = district_redactor(e, "PRR-1", REDACT_STUDENTS);
	const char *riley = redact_pseudonym(r, pid(e, "rileyc"));
	const char *jamie = redact_pseudonym(r, pid(e, "jamier"));
	static const char *const riley_forms[] = {
	    "Riley Chen",   "riley chen",      "RILEY  CHEN",	 "Riley\nChen",	   "Chen, Riley",
	    "Riley C.",	    "Riley",	       "Chen",		 "rileyc",	   "@rileyc",
	    "+16175550307", "16175550307",     "6175550307",	 "(617) 555-0307", "617.555.0307",
	    "617-555-0307", "+1 617 555 0307", "1-617-555-0307", "555-0307",	   "617 555 0307",
	};
	char *out;

	for (size_t i = 0; i < ARRAY_SIZE(riley_forms); i++) {
		char *in = talloc_asprintf(e->ctx, "before %s after", riley_forms[i]);
		char *want = talloc_asprintf(e->ctx, "before %s after", riley);
		out = redact_text(e->ctx, r, in);
		if (strcmp(out, want))
			fail_msg("'%s' became '%s', want '%s'", in, out, want);
	}
	/* Longer matches first; words inside other words are left alone. */
	out = redact_text(e->ctx, r, "Riley Chen's dad, Rileys, Chenille, Jamie R.: ok");
	assert_string_equal(
	    out, talloc_asprintf(e->ctx, "%s's dad, Rileys, Chenille, %s: ok", riley, jamie));
	/* Staff stay; a guardian's family name is a student's too, so it goes. */
	out = redact_text(e->ctx, r, "Coach Dana Lee and Wei Chen at 617-555-0101");
	assert_string_equal(
	    out, talloc_asprintf(e->ctx, "Coach Dana Lee and Wei %s at 617-555-0101", riley));
	/* Two numbers run together, and a number inside a longer run of digits. */
	out = redact_text(e->ctx, r, "6175550307/6175550301 and ref 99916175550307");
	assert_string_equal(out,
			    talloc_asprintf(e->ctx, "%s/%s and ref 999%s", riley, jamie, riley));
	/* "Morgan" is one student's given name and another's family name. */
	out = redact_text(e->ctx, r, "Morgan was late");
	assert_string_equal(out, "[student] was late");
	/* No redaction: unchanged. */
	struct redactor *none = district_redactor(e, "PRR-1", 0);
	assert_string_equal(redact_text(e->ctx, none, "Riley Chen 6175550307"),
			    "Riley Chen 6175550307");
	assert_null(redact_text(e->ctx, r, NULL));
}

/* Accented names are found in any case; every part of a name of several words too. */
static void test_redact_accents(void **state)
{
	struct env *e = *state;
	static const uint8_t id[REDACT_KEY_ID_LEN] = {7};
	struct store_person p[] = {
	    {.id = 1,
	     .role = DIR_STUDENT,
	     .given = "Élodie",
	     .family = "Dupré-García",
	     .handle = "elodied",
	     .phone = "+33612345678"},
	    {.id = 2,
	     .role = DIR_STUDENT,
	     .given = "Mary Ann",
	     .family = "O'Neil",
	     .handle = "maryo"},
	};
	struct redactor *r = redact_new(e->ctx, p, 2, id, "PRR-A", REDACT_STUDENTS);
	const char *one = redact_pseudonym(r, 1), *two = redact_pseudonym(r, 2);
	static const char *const forms[] = {
	    "ÉLODIE",
	    "élodie",
	    "DUPRÉ",
	    "Dupré-García",
	    "Élodie Dupré-García",
	    "06 12 34 56 78",
	    "+33 6 12 34 56 78",
	};

	for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
		char *out = redact_text(e->ctx, r, talloc_asprintf(e->ctx, "[%s]", forms[i]));
		if (strcmp(out, talloc_asprintf(e->ctx, "[%s]", one)))
			fail_msg("'%s' became '%s'", forms[i], out);
	}
	assert_string_equal(redact_text(e->ctx, r, "mary ann o'neil; Ann; O'Neil"),
			    talloc_asprintf(e->ctx, "%s; %s; %s", two, two, two));
}

/* ---- The bundle ---- */

static void check_manifest(void *ctx, const char *dir, const struct export_summary *sum)
{
	char *text = slurp(ctx, dir, "manifest.json"), hex[65];
	struct json_object *m = json_tokener_parse(text), *files, *v;

	assert_non_null(m);
	sha256_hex(text, strlen(text), hex);
	assert_string_equal(hex, sum->manifest_sha256);
	assert_true(json_object_object_get_ex(m, "files", &files));
	assert_int_equal(json_object_array_length(files), ARRAY_SIZE(bundle_files) - 1);
	for (size_t i = 0; i < json_object_array_length(files); i++) {
		struct json_object *f = json_object_array_get_idx(files, i), *name, *sha, *bytes;
		assert_true(json_object_object_get_ex(f, "name", &name));
		assert_true(json_object_object_get_ex(f, "sha256", &sha));
		assert_true(json_object_object_get_ex(f, "bytes", &bytes));
		size_t len;
		char *data = slurp_len(ctx, dir, json_object_get_string(name), &len);
		sha256_hex(data, len, hex);
		assert_string_equal(hex, json_object_get_string(sha));
		assert_int_equal(json_object_get_int64(bytes), len);
	}
	assert_true(json_object_object_get_ex(m, "chain_head", &v));
	assert_true(json_object_object_get_ex(v, "anchor", &v));
	assert_int_equal(strncmp(json_object_get_string(v), "chaperone-anchor:v1:", 20), 0);
	json_object_put(m);
}

static void test_export(void **state)
{
	struct env *e = *state;
	struct export_summary sum;
	char out[128], err[256], path[256];
	mode_t old = umask(0); /* the modes must not depend on it */
	int rc = do_export(e, "bundle", 0, NULL, &sum, out, sizeof(out), err, sizeof(err));
	umask(old);
	if (rc < 0)
		fail_msg("export: %s", err);
	assert_int_equal(sum.messages, 6);
	assert_int_equal(sum.deliveries, 9);
	assert_true(sum.export_id > 0);

	assert_mode(out, 0700);
	for (size_t i = 0; i < ARRAY_SIZE(bundle_files); i++) {
		snprintf(path, sizeof(path), "%s/%s", out, bundle_files[i]);
		assert_mode(path, 0600);
	}
	check_manifest(e->ctx, out, &sum);

	/* The transcript: self-contained, the hostile body as text, printable. */
	char *html = slurp(e->ctx, out, "transcript.html");
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "<img"));
	assert_null(strstr(html, "href"));
	assert_null(strstr(html, "url("));
	assert_non_null(strstr(html, "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; &amp; "
				     "&quot;quoted&quot; &lt;img src=x onerror=alert(1)&gt;"));
	/* A right-to-left override is shown, not obeyed ("gnp.exe" would read "exe.png"). */
	assert_non_null(strstr(html, "photo<span class=\"ctl\">[U+202E]</span>gnp.exe"));
	assert_null(strstr(html, "\u202e"));
	/* Times in the district's zone (the test's: UTC), the UTC instant beside. */
	assert_non_null(strstr(html, "<span class=\"t\">2026-09-13 11:"));
	assert_non_null(strstr(html, " UTC <span class=\"utc\">(2026-09-13T11:"));
	assert_non_null(strstr(html, "@media print"));
	assert_non_null(strstr(html, "PRR-2026-041"));
	assert_non_null(strstr(html, "Jo Reporter, Lakeview Ledger"));
	assert_non_null(strstr(html, "Records Officer"));
	assert_non_null(strstr(html, "Riley Chen</bdi> (student"));
	assert_non_null(strstr(html, "flagged for review"));
	assert_non_null(strstr(html, "Conversation 1:"));
	assert_non_null(strstr(html, "chaperone-anchor:v1:"));

	/* The CSV: quoted by libcsv, formulas defused; JSON Lines: one line a message. */
	char *csv = slurp(e->ctx, out, "records.csv");
	assert_non_null(strstr(csv, "\"<script>alert('pwned')</script> & \"\"quoted\"\""));
	assert_non_null(strstr(csv, "\"'=HYPERLINK(\"\"http://example.com\"\") bring water\""));
	assert_non_null(strstr(slurp(e->ctx, out, "deliveries.csv"), "\"'=cmd bring water\""));
	char *jsonl = slurp(e->ctx, out, "records.jsonl");
	size_t lines = 0;
	for (char *p = jsonl; (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, 6);
	struct json_object *first =
	    json_tokener_parse(talloc_strndup(e->ctx, jsonl, strcspn(jsonl, "\n")));
	assert_non_null(first);
	json_object_put(first);

	/* Recorded: the export row, a disclosure per student in the results, the access. */
	assert_int_equal(count(e, "SELECT count(*) FROM exports WHERE id = ?1", sum.export_id), 1);
	assert_string_equal(
	    text_of(e, "SELECT manifest_sha256 FROM exports WHERE id = ?1", sum.export_id),
	    sum.manifest_sha256);
	assert_string_equal(
	    text_of(e, "SELECT redaction FROM exports WHERE id = ?1", sum.export_id), "none");
	assert_int_equal(sum.disclosures, 2); /* rileyc and jamier */
	assert_int_equal(
	    count(e, "SELECT count(*) FROM disclosures WHERE export_id = ?1", sum.export_id), 2);
	assert_int_equal(count(e,
			       "SELECT count(*) FROM disclosures WHERE export_id = ?1"
			       " AND redacted = 0 AND student_id IN (SELECT id FROM persons"
			       " WHERE handle IN ('rileyc', 'jamier'))",
			       sum.export_id),
			 2);
	assert_int_equal(count(e,
			       "SELECT count(*) FROM access_log WHERE action = 'export'"
			       " AND results = 6 AND ?1 > 0",
			       1),
			 1);
	/* Its subjects: the students and guardians in the results, not the staff. */
	assert_int_equal(count(e,
			       "SELECT count(*) FROM access_subjects s JOIN persons p"
			       " ON p.id = s.person_id WHERE s.access_id = (SELECT max(id) FROM"
			       " access_log WHERE action = 'export') AND p.handle IN"
			       " ('rileyc', 'jamier', 'weic', 'linc') AND ?1 > 0",
			       1),
			 4);
	assert_int_equal(count(e,
			       "SELECT count(*) FROM access_subjects s JOIN persons p"
			       " ON p.id = s.person_id WHERE p.role = 'staff' AND ?1 > 0",
			       1),
			 0);

	/* And it verifies. */
	char report[2048];
	assert_int_equal(export_verify(out, e->s, report, sizeof(report)), 0);
	assert_int_equal(export_verify(out, NULL, report, sizeof(report)), 0);
}

/* --redact students: no student of the directory (not only those in the results) is
 * anywhere in the bundle, by name, handle or number. */
/* The cover says what the officer typed: a requester who shares a student's name
 * (Riley Smith of the Ledger; student Riley Chen) is not redacted on the cover, and the
 * disclosure record and the bundle agree. Before: "Requester: Student … Smith". */
static void test_cover_as_typed(void **state)
{
	struct env *e = *state;
	struct rq_query all = {0};
	struct export_summary sum;
	char out[128], err[256];
	struct export_request r = {
	    .redaction_key = test_key,
	    .request = "PRR-2026-077",
	    .requester = "Riley Smith, Lakeview Ledger",
	    .purpose = "Soccer team communications",
	    .operator= "Records Officer",
	    .out_dir = out,
	    .redact = EXPORT_REDACT_STUDENTS | EXPORT_REDACT_GUARDIANS,
	    .query = &all,
	};
	char *html;

	snprintf(out, sizeof(out), "%s/cover", e->dir);
	if (export_write(e->s, e->ctx, &r, &sum, err, sizeof(err)) < 0)
		fail_msg("export: %s", err);
	html = slurp(e->ctx, out, "transcript.html");
	assert_non_null(strstr(html, "Riley Smith, Lakeview Ledger"));
	assert_string_equal(
	    text_of(e, "SELECT requester FROM exports ORDER BY id DESC LIMIT ?1", 1),
	    "Riley Smith, Lakeview Ledger");
}

static void test_export_redacted(void **state)
{
	struct env *e = *state;
	struct export_summary sum;
	struct store_person *persons;
	size_t n;
	char out[128], err[256];
	struct rq_query q = {.person = "Riley Chen"}; /* the query names a student too */

	if (do_export(e, "redacted", EXPORT_REDACT_STUDENTS, &q, &sum, out, sizeof(out), err,
		      sizeof(err)) < 0)
		fail_msg("export: %s", err);
	assert_true(sum.messages >= 3);
	check_manifest(e->ctx, out, &sum);

	char *all = whole_bundle(e->ctx, out);
	assert_int_equal(store_persons_list(e->s, e->ctx, &persons, &n), 0);
	for (size_t i = 0; i < n; i++) {
		const struct store_person *p = &persons[i];
		if (p->role != DIR_STUDENT)
			continue;
		if (has_word(all, p->given) || has_word(all, p->family) || has_word(all, p->handle))
			fail_msg("student %s %s (%s) is in the bundle", p->given, p->family,
				 p->handle);
		if (p->phone && (strstr(all, p->phone) || strstr(all, p->phone + 2) /* national */))
			fail_msg("the number of %s is in the bundle", p->handle);
	}
	/* Replaced, not dropped; staff and guardians stay. */
	assert_non_null(strstr(all, "Student "));
	assert_true(has_word(all, "Dana"));
	assert_true(has_word(all, "Lin"));
	assert_non_null(strstr(slurp(e->ctx, out, "manifest.json"), "\"redaction\": \"students\""));

	/* The recorded query is the redacted one; the disclosures say so. */
	char *query = text_of(e, "SELECT query FROM exports WHERE id = ?1", sum.export_id);
	assert_non_null(query);
	assert_false(has_word(query, "Riley"));
	assert_non_null(strstr(query, "Student "));
	assert_int_equal(count(e,
			       "SELECT count(*) FROM disclosures WHERE export_id = ?1"
			       " AND redacted = 1",
			       sum.export_id),
			 (int64_t)sum.disclosures);
	assert_true(sum.disclosures >= 1);

	/* Students and guardians: the guardians go too. */
	if (do_export(e, "both", EXPORT_REDACT_STUDENTS | EXPORT_REDACT_GUARDIANS, NULL, &sum, out,
		      sizeof(out), err, sizeof(err)) < 0)
		fail_msg("export: %s", err);
	all = whole_bundle(e->ctx, out);
	for (size_t i = 0; i < n; i++) {
		const struct store_person *p = &persons[i];
		if (p->role != DIR_STUDENT && p->role != DIR_GUARDIAN)
			continue;
		if (has_word(all, p->given) || has_word(all, p->family) ||
		    has_word(all, p->handle) || (p->phone && strstr(all, p->phone + 2)))
			fail_msg("%s %s (%s) is in the bundle", p->given, p->family, p->handle);
	}
	assert_non_null(strstr(all, "Guardian "));
}

/* Staff members' personal numbers are withheld unless the officer shows them; the
 * review file lists what the redaction did, with redacted text around it. Before, every
 * message read "Dana Lee (staff, +16175550101)" and there was no review file. */
static void test_staff_numbers_and_review(void **state)
{
	struct env *e = *state;
	struct export_summary sum;
	struct rq_query q = {.person = "Riley Chen"};
	char out[128], err[256];
	char *all, *review;

	if (do_export(e, "withheld", EXPORT_REDACT_STUDENTS | EXPORT_REDACT_GUARDIANS, &q, &sum,
		      out, sizeof(out), err, sizeof(err)) < 0)
		fail_msg("export: %s", err);
	all = whole_bundle(e->ctx, out);
	assert_null(strstr(all, "6175550101")); /* Dana Lee, in any field */
	assert_null(strstr(all, "617-555-0101"));
	assert_true(has_word(all, "Dana"));
	assert_non_null(
	    strstr(slurp(e->ctx, out, "manifest.json"), "\"staff_numbers\": \"withheld\""));

	/* The review: a header, the query's "Riley Chen" replaced, each row's context
	 * redacted, and the summary counting the rows. */
	review = slurp(e->ctx, out, "redaction-review.csv");
	static const char header[] =
	    "message_id,call,conversation,time,field,delivery_id,rule,person,context\r\n";
	assert_int_equal(strncmp(review, header, strlen(header)), 0);
	assert_non_null(strstr(review, ",,,,\"query\",,\"name\",\"Student "));
	assert_false(has_word(review, "Riley"));
	assert_true(sum.replaced > 0);
	size_t rows = 0;
	for (const char *p = strchr(review, '\n'); p && p[1]; p = strchr(p + 1, '\n'))
		rows++;
	assert_int_equal(rows, sum.replaced + sum.kept);

	/* The pseudonyms' key is not in the archive: a copy of it cannot recompute them.
	 * They come from the key file's key and the request alone. */
	assert_int_equal(count(e,
			       "SELECT count(*) FROM sqlite_master WHERE name = 'archive_secret'"
			       " AND ?1 > 0",
			       1),
			 0);
	struct store_person *persons;
	size_t np;
	assert_int_equal(store_persons_list(e->s, e->ctx, &persons, &np), 0);
	struct redactor *rd = redact_new(e->ctx, persons, np, test_key, "PRR-2026-041",
					 REDACT_STUDENTS | REDACT_GUARDIANS);
	assert_non_null(strstr(all, redact_pseudonym(rd, pid(e, "rileyc"))));

	/* Shown on request. */
	struct rq_query all_q = {0};
	struct export_request r = {
	    .redaction_key = test_key,
	    .request = "PRR-2026-042",
	    .requester = "Jo Reporter",
	    .purpose = "Staff contact",
	    .operator= "Records Officer",
	    .out_dir = out,
	    .redact = EXPORT_REDACT_STUDENTS | EXPORT_REDACT_GUARDIANS,
	    .staff_numbers_shown = true,
	    .query = &all_q,
	};
	snprintf(out, sizeof(out), "%s/shown", e->dir);
	if (export_write(e->s, e->ctx, &r, &sum, err, sizeof(err)) < 0)
		fail_msg("export: %s", err);
	assert_non_null(strstr(whole_bundle(e->ctx, out), "+16175550101"));
}

/* A held message in the bundle: the hold, the decision, who made it, when and the note;
 * its copies show when they were actually sent (at the release), not when the coach
 * wrote. Before, none of it was in the bundle and copies read as sent at once. */
static void test_hold_in_bundle(void **state)
{
	struct env *e = *state;
	struct export_summary sum;
	struct rq_query q = {.held = true};
	char out[128], err[256];
	const int64_t release = T0 + 9 * 3600000LL;
	int64_t id = message(
	    e, 30, "danal", NULL, "Late practice tonight, 9pm?", "hold", "contact-screen", false,
	    (const struct to[]){{"rileyc", "addressed",
				 "[Soccer] Coach Dana Lee: Late practice tonight, 9pm?", NULL},
				{0}});
	int64_t vid = count(e, "SELECT id FROM verdicts WHERE message_id = ?1", id);
	int64_t did = count(e, "SELECT id FROM deliveries WHERE message_id = ?1", id);

	assert_int_equal(store_begin(e->s), 0);
	assert_int_equal(
	    rec_hold_decide(e->s, vid, release, true, "omarh", "Approved: the game moved to 8pm"),
	    0);
	assert_int_equal(
	    rec_delivery_event(e->s, did, release + 4000, REC_ST_SENT, "modem0", 1, 9, NULL), 0);
	assert_int_equal(store_commit(e->s), 0);
	if (do_export(e, "held", EXPORT_REDACT_STUDENTS | EXPORT_REDACT_GUARDIANS, &q, &sum, out,
		      sizeof(out), err, sizeof(err)) < 0)
		fail_msg("export: %s", err);
	assert_true(sum.messages >= 1);

	char *jsonl = slurp(e->ctx, out, "records.jsonl");
	assert_non_null(strstr(jsonl, "\"hold\":{\"decision\":\"released\","
				      "\"time\":\"2026-09-13T20:46:40.000Z\","
				      "\"by\":\"Omar Haddad (@omarh)\","
				      "\"note\":\"Approved: the game moved to 8pm\"}"));
	assert_non_null(strstr(jsonl, "\"sent_time\":\"2026-09-13T20:46:44.000Z\""));
	char *html = slurp(e->ctx, out, "transcript.html");
	assert_non_null(strstr(html, "<b>Hold:</b> released by Omar Haddad (@omarh) at "
				     "<span class=\"t\">2026-09-13 20:46:40 UTC <span "
				     "class=\"utc\">(2026-09-13T20:46:40.000Z)</span></span>"));
	assert_non_null(strstr(html, "<td><span class=\"t\">2026-09-13 20:46:44 UTC"));
	assert_non_null(strstr(slurp(e->ctx, out, "records.csv"),
			       "\"released\",\"2026-09-13T20:46:40.000Z\",\"Omar Haddad (@omarh)\","
			       "\"Approved: the game moved to 8pm\""));
}

/* A request of many conversations: transcript.html is an index linking one file per
 * conversation; every file is in the manifest, and verification covers them. */
static void test_split(void **state)
{
	struct env *e = *state;
	struct export_summary sum;
	struct rq_query all = {0};
	char out[128], err[256], report[2048], path[256];
	struct export_request r = {
	    .redaction_key = test_key,
	    .request = "PRR-2026-050",
	    .requester = "Jo Reporter",
	    .purpose = "Everything",
	    .operator= "Records Officer",
	    .out_dir = out,
	    .redact = EXPORT_REDACT_STUDENTS | EXPORT_REDACT_GUARDIANS,
	    .query = &all,
	    .split_over = 1,
	};

	snprintf(out, sizeof(out), "%s/split", e->dir);
	if (export_write(e->s, e->ctx, &r, &sum, err, sizeof(err)) < 0)
		fail_msg("export: %s", err);
	char *index = slurp(e->ctx, out, "transcript.html");
	assert_non_null(strstr(index, "<a href=\"conversation-0001.html\">"));
	assert_non_null(strstr(index, "<a href=\"conversation-0002.html\">"));
	assert_null(strstr(index, "class=\"msg\"")); /* no message in the index */
	char *one = slurp(e->ctx, out, "conversation-0001.html");
	assert_non_null(strstr(one, "class=\"msg\""));
	assert_non_null(strstr(one, "<a href=\"transcript.html\">Request PRR-2026-050</a>"));
	snprintf(path, sizeof(path), "%s/conversation-0002.html", out);
	assert_mode(path, 0600);
	char *manifest = slurp(e->ctx, out, "manifest.json");
	assert_non_null(strstr(manifest, "\"conversation-0001.html\""));
	assert_int_equal(export_verify(out, e->s, report, sizeof(report)), 0);
	/* A conversation's file changed: named. */
	one[strlen(one) / 2] ^= 1;
	spit(out, "conversation-0001.html", one);
	assert_int_equal(export_verify(out, e->s, report, sizeof(report)), 1);
	assert_non_null(strstr(report, "changed file: conversation-0001.html"));
}

static void test_verify_detects(void **state)
{
	struct env *e = *state;
	struct export_summary sum;
	char out[128], err[256], report[2048], path[256];
	char *csv, *manifest;

	if (do_export(e, "verify", EXPORT_REDACT_STUDENTS, NULL, &sum, out, sizeof(out), err,
		      sizeof(err)) < 0)
		fail_msg("export: %s", err);
	assert_int_equal(export_verify(out, e->s, report, sizeof(report)), 0);

	/* One byte of records.csv. */
	csv = slurp(e->ctx, out, "records.csv");
	char *orig = talloc_strdup(e->ctx, csv);
	csv[strlen(csv) / 2] ^= 0x01;
	spit(out, "records.csv", csv);
	assert_int_equal(export_verify(out, e->s, report, sizeof(report)), 1);
	assert_non_null(strstr(report, "changed file: records.csv"));
	assert_null(strstr(report, "transcript.html"));
	spit(out, "records.csv", orig);
	assert_int_equal(export_verify(out, e->s, report, sizeof(report)), 0);

	/* A missing file. */
	char *readme = slurp(e->ctx, out, "README.txt");
	snprintf(path, sizeof(path), "%s/README.txt", out);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(export_verify(out, NULL, report, sizeof(report)), 1);
	assert_non_null(strstr(report, "missing file: README.txt"));
	spit(out, "README.txt", readme);

	/* An added file. */
	spit(out, "notes.txt", "added later");
	assert_int_equal(export_verify(out, e->s, report, sizeof(report)), 1);
	assert_non_null(strstr(report, "extra file: notes.txt"));
	snprintf(path, sizeof(path), "%s/notes.txt", out);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(export_verify(out, e->s, report, sizeof(report)), 0);

	/* A manifest rewritten to match a changed file: only the archive can tell. */
	manifest = slurp(e->ctx, out, "manifest.json");
	char *p = strstr(manifest, "Coach communications");
	assert_non_null(p);
	p[0] = 'c';
	spit(out, "manifest.json", manifest);
	assert_int_equal(export_verify(out, NULL, report, sizeof(report)), 0);
	assert_int_equal(export_verify(out, e->s, report, sizeof(report)), 1);
	assert_non_null(strstr(report, "manifest.json is not one this archive recorded"));

	/* Not a bundle at all; a manifest that is not one. */
	assert_int_equal(export_verify(e->dir, e->s, report, sizeof(report)), -1);
	assert_non_null(strstr(report, "not an export bundle"));
	spit(out, "manifest.json", "{\"format\": null, \"files\": [{\"name\": null}]}");
	assert_int_equal(export_verify(out, e->s, report, sizeof(report)), -1);
	spit(out, "manifest.json",
	     "{\"format\": \"chaperone-export/1\", \"files\": [{\"name\": \"../x\", \"sha256\": "
	     "null, \"bytes\": 1}, 7, {\"name\": null}]}");
	assert_int_equal(export_verify(out, NULL, report, sizeof(report)), 1);
	assert_non_null(strstr(report, "malformed"));
	assert_int_equal(export_verify("/nonexistent/bundle", NULL, report, sizeof(report)), -1);
}

/* Refusals leave nothing behind and record nothing. */
static void test_refusals(void **state)
{
	struct env *e = *state;
	struct export_summary sum;
	char out[128], err[256], path[256];
	int64_t exports = count(e, "SELECT count(*) FROM exports WHERE ?1 > 0", 1);
	int64_t accesses = count(e, "SELECT count(*) FROM access_log WHERE ?1 > 0", 1);
	struct rq_query unknown = {.person = "@nobody"};
	struct stat st;

	/* An existing, non-empty directory. */
	snprintf(path, sizeof(path), "%s/full", e->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	spit(path, "keep.txt", "mine");
	assert_int_equal(do_export(e, "full", 0, NULL, &sum, out, sizeof(out), err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "not empty"));
	assert_string_equal(slurp(e->ctx, path, "keep.txt"), "mine");

	/* A query the archive cannot answer: no directory is created. */
	assert_int_equal(
	    do_export(e, "unknown", 0, &unknown, &sum, out, sizeof(out), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nobody"));
	assert_int_equal(stat(out, &st), -1);

	/* Missing request details, an unknown group. */
	struct rq_query all = {0};
	struct export_request r = {.redaction_key = test_key,
				   .request = "",
				   .requester = "x",
				   .purpose = "y",
				   .out_dir = out,
				   .query = &all};
	assert_int_equal(export_write(e->s, e->ctx, &r, &sum, err, sizeof(err)), -1);
	r.request = "PRR-9";
	r.group = "no-such-group-here";
	assert_int_equal(export_write(e->s, e->ctx, &r, &sum, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no-such-group-here"));
	assert_int_equal(stat(out, &st), -1);

	/* Recording fails after the files were written: the bundle is removed. */
	assert_int_equal(store_exec(e->s, "CREATE TEMP TRIGGER no_exports BEFORE INSERT ON"
					  " main.exports BEGIN SELECT RAISE(ABORT, 'refused by"
					  " the test'); END;"),
			 0);
	assert_int_equal(
	    do_export(e, "unrecorded", 0, NULL, &sum, out, sizeof(out), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "refused by the test"));
	assert_int_equal(stat(out, &st), -1);
	assert_int_equal(store_exec(e->s, "DROP TRIGGER temp.no_exports"), 0);

	assert_int_equal(count(e, "SELECT count(*) FROM exports WHERE ?1 > 0", 1), exports);
	assert_int_equal(count(e, "SELECT count(*) FROM access_log WHERE ?1 > 0", 1), accesses);
}

/* A disposed message leaves as a marked record without its content or its copies'. */
static void test_disposed(void **state)
{
	struct env *e = *state;
	struct export_summary sum;
	char out[128], err[256];
	uint8_t content[CHAIN_HASH_LEN];
	sqlite3_stmt *st;
	struct rq_query q = {.include_disposed = true};

	/* What disposal does: a tombstone, then the content cleared. */
	assert_int_equal(chain_content_of(e->s, "message", e->msgs[2], content), 0);
	assert_int_equal(store_begin(e->s), 0);
	assert_int_equal(store_exec(e->s, "INSERT INTO disposals(at, operator, os_user,"
					  " authorization, schedule, records) VALUES (1, 'test',"
					  " 'test', 'test', '{}', 1)"),
			 0);
	assert_int_equal(sqlite3_prepare_v2(store_db(e->s),
					    "INSERT INTO tombstones(disposal_id, class, ref_id,"
					    " record_at, content) VALUES (last_insert_rowid(),"
					    " 'message', ?1, 1, ?2)",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(st, 1, e->msgs[2]);
	sqlite3_bind_blob(st, 2, content, sizeof(content), SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(store_db(e->s),
					    "UPDATE messages SET text = '' WHERE id = ?1", -1, &st,
					    NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(st, 1, e->msgs[2]);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	assert_int_equal(store_commit(e->s), 0);

	if (do_export(e, "disposed", 0, &q, &sum, out, sizeof(out), err, sizeof(err)) < 0)
		fail_msg("export: %s", err);
	assert_int_equal(sum.messages, 6);
	char *all = whole_bundle(e->ctx, out);
	assert_null(strstr(all, "pwned")); /* the body, and the copy that carried it */
	assert_non_null(strstr(all, "content disposed of"));
	assert_non_null(strstr(all, "\"disposed\":true"));
}

/* With a group: 0750 and 0640, and the group set; an empty directory may be used. */
static void test_group(void **state)
{
	struct env *e = *state;
	struct export_summary sum;
	char out[128], err[256], path[256];
	struct group *g = getgrgid(getgid());
	struct stat st;
	struct rq_query all = {0};

	assert_non_null(g); /* the test's own group has a name */
	snprintf(out, sizeof(out), "%s/grouped", e->dir);
	assert_int_equal(mkdir(out, 0777), 0); /* empty: allowed, and narrowed */
	struct export_request r = {.redaction_key = test_key,
				   .request = "PRR-3",
				   .requester = "Board",
				   .purpose = "audit",
				   .out_dir = out,
				   .group = g->gr_name,
				   .query = &all};
	if (export_write(e->s, e->ctx, &r, &sum, err, sizeof(err)) < 0)
		fail_msg("export: %s", err);
	assert_mode(out, 0750);
	snprintf(path, sizeof(path), "%s/records.csv", out);
	assert_mode(path, 0640);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_gid, g->gr_gid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_pseudonyms, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pseudonyms_unique, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_redact_text, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_redact_keeps_staff_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cover_as_typed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_redact_accents, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_export, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_export_redacted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_staff_numbers_and_review, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hold_in_bundle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_split, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_verify_detects, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_disposed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_group, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
