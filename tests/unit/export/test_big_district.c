/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The big district: a generated archive (tests/bench/archive_gen.h, its messages full of
 * coaches' attributions, names and numbers) whose directory is grown past 30,000 people
 * — guardians named like every staff member, students with every staff family name,
 * people listed with names in other scripts — exported with students and guardians
 * redacted. Every staff attribution keeps its staff name; no student's or guardian's
 * full name, handle or number is left anywhere in the bundle. (Before: on such a
 * district none of the staff attributions kept its name.) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <talloc.h>

#include "storage/directory/directory_store.h"
#include "storage/export/records_export.h"
#include "storage/export/redaction_key.h"
#include "storage/export/text_fold.h"
#include "storage/records/records_query.h"
#include "tests/bench/archive_gen.h"
#include "tests/unit/support/test_archive.h"

#define EXTRA 30000

static const char *const given[] = {"Alex",   "Jordan", "Sam",	  "Riley", "Avery",   "Noah",
				    "Emma",   "Liam",	"Olivia", "Mateo", "Aaliyah", "Chen",
				    "Fatima", "Dmitri", "Priya",  "Kwame", "Sofía",   "José"};
static const char *const family[] = {"Garcia", "Nguyen", "Smith",   "Okafor", "Kowalski",
				     "Haddad", "Tanaka", "O'Brien", "Müller", "Johnson"};

struct env {
	void *ctx;
	char dir[TEST_ARCHIVE_DIR], path[TEST_ARCHIVE_PATH];
	struct store *s;
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int64_t add(struct store *s, enum dir_role role, const char *g, const char *f, int n)
{
	struct store_person p = {.role = role, .given = g, .family = f, .active = true};
	char handle[48], phone[16];

	snprintf(handle, sizeof(handle), "big%d", n);
	snprintf(phone, sizeof(phone), "+1978%07d", n);
	p.handle = handle;
	p.phone = phone;
	if (store_person_add(s, "big-district", &p) < 0)
		fail_msg("person %d: %s", n, store_errmsg(s));
	return p.id;
}

/* Grow the directory: for each staff member a guardian with their given name and a
 * student with their family name; the rest from the name lists (several people share
 * each full name); some in other scripts. */
static void grow(struct env *e)
{
	struct store_person *persons;
	size_t n, k = 0;

	assert_int_equal(store_persons_list(e->s, e->ctx, &persons, &n), 0);
	assert_int_equal(store_begin(e->s), 0);
	for (size_t i = 0; i < n; i++) {
		if (persons[i].role != DIR_STAFF && persons[i].role != DIR_ADMIN)
			continue;
		add(e->s, DIR_GUARDIAN, persons[i].given, "Fox", (int)k++);
		add(e->s, DIR_STUDENT, "Dakota", persons[i].family, (int)k++);
	}
	while (k < EXTRA) {
		static const char *const other[][2] = {
		    {"小明", "王"}, {"Алексей", "Иванов"}, {"محمد", "علي"}};
		if (k % 97 == 0) {
			add(e->s, k % 2 ? DIR_STUDENT : DIR_GUARDIAN, other[k % 3][0],
			    other[k % 3][1], (int)k);
			k++;
			continue;
		}
		add(e->s, k % 3 ? DIR_STUDENT : DIR_GUARDIAN, given[k % 18], family[(k / 18) % 10],
		    (int)k);
		k++;
	}
	assert_int_equal(store_commit(e->s), 0);
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct archive_gen_params p;
	struct archive_gen_stats st;
	char err[256];

	e->ctx = talloc_new(NULL);
	e->s = test_archive_open(e->ctx, "chaperone-big", e->dir, e->path);
	archive_gen_defaults(&p);
	p.messages = 3000;
	p.years = 1;
	double t0 = now();
	if (archive_gen_run(e->s, &p, &st, err, sizeof(err)) < 0)
		fail_msg("archive_gen: %s", err);
	double t1 = now();
	grow(e);
	printf("generated in %.1f s, grown in %.1f s\n", t1 - t0, now() - t1);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	if (!getenv("KEEP"))
		test_archive_remove(e->s, e->dir);
	talloc_free(e->ctx);
	free(e);
	return 0;
}

static char *slurp(void *ctx, const char *dir, const char *name)
{
	char *path = talloc_asprintf(ctx, "%s/%s", dir, name), *buf;
	FILE *f = fopen(path, "rb");
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = talloc_array(ctx, char, (size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Everything in folded text one could look a person up by: words, pairs of words, and
 * the 7-, 10- and 11-digit windows of every run of digits. Sorted, for bsearch. */
struct index {
	char **k;
	size_t n, cap;
};

static void put(void *ctx, struct index *ix, const char *s, size_t n)
{
	if (ix->n == ix->cap) {
		ix->cap = ix->cap ? 2 * ix->cap : 4096;
		ix->k = talloc_realloc(ctx, ix->k, char *, ix->cap);
	}
	ix->k[ix->n++] = talloc_strndup(ctx, s, n);
}

static void index_text(void *ctx, struct index *ix, const char *text)
{
	char *f = text_fold_squeezed(ctx, text);
	size_t i = 0, prev = (size_t)-1, prev_len = 0;

	while (f[i]) {
		size_t w = fold_word_len(f, i);
		if (!w) {
			if (f[i] != ' ')
				prev = (size_t)-1; /* punctuation ends a pair */
			i++;
			continue;
		}
		put(ctx, ix, f + i, w);
		if (prev != (size_t)-1)
			put(ctx, ix, f + prev, i + w - prev);
		(void)prev_len;
		prev = i;
		prev_len = w;
		i += w;
	}
	/* Digits, with the separators the redactor allows. */
	char *d = talloc_array(ctx, char, strlen(f) + 1);
	size_t nd = 0, gap = 0;
	for (i = 0;; i++) {
		unsigned char c = (unsigned char)f[i];
		if (c >= '0' && c <= '9') {
			if (gap > 3)
				nd = 0;
			d[nd++] = (char)c;
			gap = 0;
			continue;
		}
		if (c && c < 0x80 && (!fold_is_word(c) || c == '_')) {
			gap++;
			continue;
		}
		for (size_t a = 0; a < nd; a++)
			for (size_t l = 7; l <= 11 && a + l <= nd; l++)
				put(ctx, ix, d + a, l);
		nd = 0;
		if (!c)
			break;
	}
}

/* Each field of a file on its own, so that digits of neighbouring fields never run
 * together: CSV fields (RFC 4180), JSON strings, HTML text between tags. */
static void index_fields(void *ctx, struct index *ix, const char *text, const char *name)
{
	bool csv = strstr(name, ".csv") != NULL, html = strstr(name, ".html") != NULL;
	char *field = talloc_array(ctx, char, strlen(text) + 1);
	size_t o = 0;
	bool quoted = false;

	for (const char *p = text;; p++) {
		bool end;
		if (csv) {
			if (quoted && *p == '"' && p[1] == '"') {
				field[o++] = '"';
				p++;
				continue;
			}
			if (*p == '"') {
				quoted = !quoted;
				continue;
			}
			end = !*p || (!quoted && (*p == ',' || *p == '\n' || *p == '\r'));
		} else if (html) {
			end = !*p || *p == '<' || *p == '>';
		} else { /* JSON: the strings */
			if (*p == '\\' && p[1]) {
				field[o++] = *++p;
				continue;
			}
			end = !*p || *p == '"';
			if (end && *p) {
				quoted = !quoted; /* only what was inside quotes is a string */
				if (quoted)
					o = 0;
			}
		}
		if (end) {
			field[o] = '\0';
			/* A time the export wrote ("2026-02-04T02:55:50.534Z") is no one's
			 * number, though its digits may spell one. */
			/* ... or as the transcript prints it: "2026-02-04 02:55:50 UTC" and
			 * "(2026-02-04T02:55:50.534Z)". */
			const char *t = field[0] == '(' ? field + 1 : field;
			bool time = strlen(t) >= 19 && t[4] == '-' && t[7] == '-' &&
				    (t[10] == 'T' || t[10] == ' ') && t[13] == ':';
			/* Nor is a hash (the manifest's SHA-256s, the chain head, the anchor):
			 * 32 or more hexadecimal digits in a row. */
			size_t hex = 0, run = 0;
			for (size_t q = 0; q < o; q++) {
				bool h = (field[q] >= '0' && field[q] <= '9') ||
					 (field[q] >= 'a' && field[q] <= 'f');
				run = h ? run + 1 : 0;
				hex = run > hex ? run : hex;
			}
			if (o && !time && hex < 32 && (csv || html || !quoted))
				index_text(ctx, ix, field);
			o = 0;
			if (!*p)
				break;
			continue;
		}
		field[o++] = *p;
	}
}

static bool has(const struct index *ix, void *ctx, const char *s)
{
	char *f = text_fold_squeezed(ctx, s);

	return bsearch(&f, ix->k, ix->n, sizeof(*ix->k), cmp_str) != NULL;
}

static void test_big_district(void **state)
{
	struct env *e = *state;
	static const uint8_t key[REDACTION_KEY_LEN] = {0xb1, 0x9d};
	struct rq_query all = {0};
	struct export_summary sum;
	char out[128], err[256];
	struct export_request r = {
	    .request = "PRR-BIG-1",
	    .requester = "Lakeview Ledger",
	    .purpose = "All coach messages",
	    .operator= "Records Officer",
	    .out_dir = out,
	    .redact = EXPORT_REDACT_STUDENTS | EXPORT_REDACT_GUARDIANS,
	    .redaction_key = key,
	    .query = &all,
	};
	struct store_person *persons;
	size_t n, staff_msgs = 0, checked = 0;

	snprintf(out, sizeof(out), "%s/bundle", e->dir);
	double t0 = now();
	if (export_write(e->s, e->ctx, &r, &sum, err, sizeof(err)) < 0)
		fail_msg("export: %s", err);
	printf("exported in %.1f s\n", now() - t0);
	assert_int_equal(store_persons_list(e->s, e->ctx, &persons, &n), 0);
	assert_true(n >= EXTRA);

	/* Staff senders keep their names, in the field and in every copy's attribution. */
	struct rq_result *orig = rq_run(e->s, e->ctx, &all, err, sizeof(err));
	assert_non_null(orig);
	char *jsonl = slurp(e->ctx, out, "records.jsonl"), *save = NULL;
	size_t i = 0;
	for (char *line = strtok_r(jsonl, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save), i++) {
		const struct rq_message *m = &orig->messages[i];
		struct json_object *o = json_tokener_parse(line), *from, *name, *dl;
		assert_non_null(o);
		if (m->from.role &&
		    (!strcmp(m->from.role, "staff") || !strcmp(m->from.role, "admin"))) {
			staff_msgs++;
			assert_true(json_object_object_get_ex(o, "from", &from));
			assert_true(json_object_object_get_ex(from, "name", &name));
			if (strcmp(json_object_get_string(name), m->from.name))
				fail_msg("staff sender '%s' disclosed as '%s'", m->from.name,
					 json_object_get_string(name));
			assert_true(json_object_object_get_ex(o, "deliveries", &dl));
			for (size_t j = 0; j < json_object_array_length(dl); j++) {
				struct json_object *d = json_object_array_get_idx(dl, j), *body,
						   *id;
				const struct rq_delivery *od = NULL;
				assert_true(json_object_object_get_ex(d, "id", &id));
				for (size_t k = 0; k < m->n_deliveries; k++)
					if (m->deliveries[k].id == json_object_get_int64(id))
						od = &m->deliveries[k];
				assert_non_null(od);
				if (!od->body || !strstr(od->body, m->from.name))
					continue;
				assert_true(json_object_object_get_ex(d, "body", &body));
				if (!strstr(json_object_get_string(body), m->from.name))
					fail_msg("attribution of '%s' lost: '%s'", m->from.name,
						 json_object_get_string(body));
				checked++;
			}
		}
		json_object_put(o);
	}
	assert_int_equal(i, orig->n);
	assert_true(staff_msgs > 100);
	assert_true(checked > 100);

	/* No student's or guardian's full name, handle or number in any file. */
	struct index ix = {0};
	static const char *const files[] = {"transcript.html",	    "records.csv",
					    "deliveries.csv",	    "records.jsonl",
					    "redaction-review.csv", "manifest.json"};
	for (size_t f = 0; f < sizeof(files) / sizeof(*files); f++)
		index_fields(e->ctx, &ix, slurp(e->ctx, out, files[f]), files[f]);
	/* So many conversations: each in a file of its own, all of them looked into. */
	DIR *dir = opendir(out);
	struct dirent *de;
	size_t conversations = 0;
	assert_non_null(dir);
	while ((de = readdir(dir)))
		if (!strncmp(de->d_name, "conversation-", 13)) {
			index_fields(e->ctx, &ix, slurp(e->ctx, out, de->d_name), de->d_name);
			conversations++;
		}
	closedir(dir);
	assert_true(conversations > 50);
	qsort(ix.k, ix.n, sizeof(*ix.k), cmp_str);
	/* A full name a staff member has too is the staff member's where they are named
	 * (by who they are): only the handle and number of its namesakes are checked. */
	struct index staff_names = {0};
	for (size_t k = 0; k < n; k++)
		if (persons[k].role == DIR_STAFF || persons[k].role == DIR_ADMIN)
			put(e->ctx, &staff_names,
			    text_fold_squeezed(e->ctx,
					       talloc_asprintf(e->ctx, "%s %s", persons[k].given,
							       persons[k].family)),
			    SIZE_MAX);
	qsort(staff_names.k, staff_names.n, sizeof(*staff_names.k), cmp_str);
	size_t people = 0, namesakes = 0;
	for (size_t k = 0; k < n; k++) {
		const struct store_person *p = &persons[k];
		if (p->role != DIR_STUDENT && p->role != DIR_GUARDIAN)
			continue;
		people++;
		char *full = talloc_asprintf(e->ctx, "%s %s", p->given, p->family);
		bool namesake = has(&staff_names, e->ctx, full);
		namesakes += namesake;
		if ((!namesake && has(&ix, e->ctx, full)) ||
		    (p->handle && has(&ix, e->ctx, p->handle)))
			fail_msg("%s (%s) is in the bundle", full, p->handle);
		if (p->phone && (has(&ix, e->ctx, p->phone + 1) || has(&ix, e->ctx, p->phone + 2) ||
				 has(&ix, e->ctx, p->phone + strlen(p->phone) - 7)))
			fail_msg("the number of %s (%s) is in the bundle", full, p->phone);
	}
	assert_true(people > EXTRA);
	printf("%zu people, %zu messages (%zu from staff, %zu attributions checked), "
	       "%zu students and guardians checked absent (%zu of them share a staff member's "
	       "full name: handle and number checked)\n",
	       n, orig->n, staff_msgs, checked, people, namesakes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_big_district, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
