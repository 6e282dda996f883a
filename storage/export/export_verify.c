/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Checking a public-records bundle later: every file against manifest.json, nothing
 * added, and (with the archive) manifest.json against the export the archive recorded.
 * See records_export.h (export_verify). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "storage/archive/chain.h"
#include "storage/export/export_internal.h"
#include "storage/export/records_export.h"

#define MANIFEST_MAX (1 << 20)

/* A member's string ("" when absent or null): manifests are input, never trusted. */
static const char *jstr(struct json_object *o)
{
	const char *s = o ? json_object_get_string(o) : NULL;

	return s ? s : "";
}

struct report {
	char *buf;
	size_t cap, len;
	unsigned problems;
};

static void add(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One line per problem; a report that runs out of room keeps its first lines. */
static void add(struct report *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	r->problems++;
	if (!r->cap || r->len + 1 >= r->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(r->buf + r->len, r->cap - r->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	r->len += (size_t)n < r->cap - r->len ? (size_t)n : r->cap - r->len - 1;
	if (r->len + 1 < r->cap) {
		r->buf[r->len++] = '\n';
		r->buf[r->len] = '\0';
	}
}

static int not_bundle(char *report, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int not_bundle(char *report, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (cap)
		vsnprintf(report, cap, fmt, ap);
	va_end(ap);
	return -1;
}

/* manifest.json, whole, NUL-terminated; NULL with errno. */
static char *read_manifest(int dfd, size_t *len)
{
	int fd = export_open_file(dfd, EXPORT_MANIFEST);
	char *buf;
	ssize_t n;

	*len = 0;
	if (fd < 0)
		return NULL;
	buf = malloc(MANIFEST_MAX + 1);
	if (!buf) {
		close(fd);
		return NULL;
	}
	while (*len < MANIFEST_MAX && (n = read(fd, buf + *len, MANIFEST_MAX - *len)) > 0)
		*len += (size_t)n;
	close(fd);
	buf[*len] = '\0';
	return buf;
}

/* A plain file name: what a manifest may list. */
static bool plain_name(const char *s)
{
	return s && *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..") &&
	       strcmp(s, EXPORT_MANIFEST) && strlen(s) < 256;
}

static bool listed(struct json_object *files, const char *name)
{
	for (size_t i = 0; i < json_object_array_length(files); i++) {
		struct json_object *e = json_object_array_get_idx(files, i), *n;
		if (json_object_object_get_ex(e, "name", &n) && !strcmp(jstr(n), name))
			return true;
	}
	return false;
}

static void check_files(int dfd, struct json_object *files, struct report *r,
			const struct store_progress *progress)
{
	for (size_t i = 0; i < json_object_array_length(files); i++) {
		if (progress)
			progress->fn(progress->arg, "checking file", i + 1,
				     json_object_array_length(files));
		struct json_object *e = json_object_array_get_idx(files, i), *jn, *jh, *jb;
		const char *name, *want;
		char hex[65];
		int64_t size;

		if (!json_object_object_get_ex(e, "name", &jn) ||
		    !json_object_object_get_ex(e, "sha256", &jh) ||
		    !json_object_object_get_ex(e, "bytes", &jb) || !plain_name(name = jstr(jn))) {
			add(r, "manifest.json: file entry %zu is malformed", i + 1);
			continue;
		}
		want = jstr(jh);
		if (export_hash_file(dfd, name, hex, &size) < 0) {
			if (errno == ENOENT)
				add(r, "missing file: %s", name);
			else if (errno == EFTYPE_NOT_REGULAR)
				add(r, "not a regular file: %s", name);
			else
				add(r, "cannot read file %s: %s", name, strerror(errno));
			continue;
		}
		if (strcasecmp(want, hex) || size != json_object_get_int64(jb))
			add(r,
			    "changed file: %s (SHA-256 %s, %" PRId64
			    " bytes; the manifest says %s, %" PRId64 " bytes)",
			    name, hex, size, *want ? want : "?", json_object_get_int64(jb));
	}
}

static void check_extra(const char *dir, struct json_object *files, struct report *r)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d) {
		add(r, "cannot list %s: %s", dir, strerror(errno));
		return;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    strcmp(e->d_name, EXPORT_MANIFEST) && !listed(files, e->d_name))
			add(r, "extra file: %s (not in the manifest)", e->d_name);
	closedir(d);
}

/* Is manifest.json the one the archive recorded, for the head it names? */
static void check_recorded(struct store *s, const char *sha, struct json_object *m,
			   struct report *r)
{
	struct json_object *head, *seq, *anchor;
	struct chain_head mine, theirs;
	sqlite3_stmt *st = store_stmt(s, "SELECT id, head_seq, hex(head_hash) FROM exports"
					 " WHERE manifest_sha256 = ?1 ORDER BY id LIMIT 1");
	int64_t id = 0, head_seq = 0;
	char head_hash[65] = "";

	if (!st) {
		add(r, "cannot read the archive: %s", store_errmsg(s));
		return;
	}
	store_bind_text(st, 1, sha);
	if (sqlite3_step(st) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		head_seq = sqlite3_column_int64(st, 1);
		snprintf(head_hash, sizeof(head_hash), "%s",
			 (const char *)sqlite3_column_text(st, 2));
	}
	sqlite3_reset(st);
	json_object_object_get_ex(m, "chain_head", &head);
	if (!id) {
		if (json_object_object_get_ex(head, "anchor", &anchor) &&
		    chain_anchor_parse(jstr(anchor), &theirs) == 0 && chain_head(s, &mine) == 0 &&
		    memcmp(mine.archive_id, theirs.archive_id, sizeof(mine.archive_id)))
			add(r, "manifest.json: the bundle was taken from another archive");
		add(r,
		    "manifest.json is not one this archive recorded (SHA-256 %s): the manifest "
		    "was changed, or the export was never recorded",
		    sha);
		return;
	}
	struct json_object *hash;
	if (!json_object_object_get_ex(head, "seq", &seq) ||
	    !json_object_object_get_ex(head, "hash", &hash) ||
	    json_object_get_int64(seq) != head_seq || strcasecmp(jstr(hash), head_hash))
		add(r,
		    "manifest.json: the chain head differs from the one export %" PRId64
		    " recorded",
		    id);
}

int export_verify(const char *dir, struct store *s, char *report, size_t cap)
{
	return export_verify_progress(dir, s, report, cap, NULL);
}

int export_verify_progress(const char *dir, struct store *s, char *report, size_t cap,
			   const struct store_progress *progress)
{
	struct report r = {.buf = report, .cap = cap};
	struct json_object *m = NULL, *files, *format;
	char sha[65];
	char *text;
	size_t len;
	int64_t size;
	int dfd, rc = -1;

	if (cap)
		report[0] = '\0';
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return not_bundle(report, cap, "cannot open %s: %s", dir, strerror(errno));
	text = read_manifest(dfd, &len);
	if (!text) {
		rc = not_bundle(report, cap, "%s is not an export bundle: no %s (%s)", dir,
				EXPORT_MANIFEST, strerror(errno));
		goto out;
	}
	m = len < MANIFEST_MAX && strlen(text) == len ? json_tokener_parse(text) : NULL;
	free(text);
	if (!m || !json_object_object_get_ex(m, "format", &format) ||
	    strcmp(jstr(format), EXPORT_FORMAT) || !json_object_object_get_ex(m, "files", &files) ||
	    !json_object_is_type(files, json_type_array)) {
		rc = not_bundle(report, cap,
				"%s is not an export bundle: %s is not a Chaperone export manifest",
				dir, EXPORT_MANIFEST);
		goto out;
	}
	if (export_hash_file(dfd, EXPORT_MANIFEST, sha, &size) < 0) {
		rc = not_bundle(report, cap, "cannot read %s/%s: %s", dir, EXPORT_MANIFEST,
				strerror(errno));
		goto out;
	}
	check_files(dfd, files, &r, progress);
	check_extra(dir, files, &r);
	if (s)
		check_recorded(s, sha, m, &r);
	rc = r.problems ? 1 : 0;
out:
	json_object_put(m);
	close(dfd);
	return rc;
}
