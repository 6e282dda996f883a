/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Public-records export: select the records (records_query.h), redact them (redact.h),
 * write the bundle's files with owner-only (or group-readable) modes and fsync them,
 * write the manifest, and record the export, its FERPA disclosures and the access in
 * one transaction. See records_export.h for the promises. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>
#include <talloc.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "storage/archive/access_log.h"
#include "storage/archive/district_zone.h"
#include "storage/archive/chain.h"
#include "storage/directory/directory_store.h"
#include "storage/export/export_internal.h"
#include "storage/export/records_export.h"
#include "storage/export/redact.h"
#include "storage/export/redaction_key.h"
#include "storage/recordings/recording.h"
#include "storage/records/records_calls.h"

size_t export_bidi_control(const unsigned char *s, unsigned *cp)
{
	if (s[0] == 0xD8 && s[1] == 0x9C) {
		*cp = 0x061C;
		return 2;
	}
	if (s[0] == 0xE2 && (s[1] == 0x80 || s[1] == 0x81) && s[2]) {
		*cp = 0x2000 | ((unsigned)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
		/* U+200E, U+200F, U+202A..U+202E, U+2066..U+2069 */
		if (*cp == 0x200E || *cp == 0x200F || (*cp >= 0x202A && *cp <= 0x202E) ||
		    (*cp >= 0x2066 && *cp <= 0x2069))
			return 3;
	}
	return 0;
}

void export_time_local(char local[48], char utc[32], int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(local, 48, "%Y-%m-%d %H:%M:%S %Z", &tm);
	store_format_time(utc, 32, ms);
}

int export_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- The bundle directory ------------------------------------------------------------ */

/* The fixed files (EXPORT_FILES), the manifest, and a file per conversation when the
 * request is split. */
#define FIXED_FILES 16 /* at least EXPORT_FILES and the manifest (write_files checks) */
/* Requests with more conversations than this get one HTML file per conversation. */
#define SPLIT_OVER_DEFAULT 50

struct bundle {
	const char *dir;
	int dfd;
	bool created; /* the directory is ours to remove on failure */
	mode_t dmode, fmode;
	bool group;
	gid_t gid;
	const char **written; /* under the export's context */
	size_t n_written, cap_written;
};

static bool is_empty_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	bool empty = true;

	if (!d)
		return false;
	while (empty && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = false;
	closedir(d);
	return empty;
}

/* Before anything is selected: the directory must be new, or an empty directory. */
static int bundle_check(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return export_fail(err, errlen, "%s exists and is not a directory", dir);
		if (!is_empty_dir(dir))
			return export_fail(
			    err, errlen,
			    "%s exists and is not empty: give a new directory for the bundle", dir);
		return 0;
	}
	if (errno != ENOENT)
		return export_fail(err, errlen, "cannot use %s: %s", dir, strerror(errno));
	return 0;
}

static int give(struct bundle *b, int fd, mode_t mode, const char *what, char *err, size_t errlen)
{
	/* The mode is set explicitly: the umask must not widen (or narrow) it. */
	if (fchmod(fd, mode) < 0)
		return export_fail(err, errlen, "cannot set the mode of %s: %s", what,
				   strerror(errno));
	if (b->group && fchown(fd, (uid_t)-1, b->gid) < 0)
		return export_fail(
		    err, errlen,
		    "cannot give %s to the group: %s (the account must be a member of it)", what,
		    strerror(errno));
	return 0;
}

static int bundle_open(struct bundle *b, char *err, size_t errlen)
{
	if (mkdir(b->dir, 0700) == 0)
		b->created = true;
	else if (errno != EEXIST)
		return export_fail(err, errlen, "cannot create %s: %s", b->dir, strerror(errno));
	else if (!is_empty_dir(b->dir))
		return export_fail(err, errlen, "%s is not empty", b->dir);
	b->dfd = open(b->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (b->dfd < 0)
		return export_fail(err, errlen, "cannot open %s: %s", b->dir, strerror(errno));
	return give(b, b->dfd, b->dmode, b->dir, err, errlen);
}

/* Remove what this export wrote: its files, and the directory if it made it. */
static void bundle_remove(struct bundle *b)
{
	for (size_t i = 0; b->dfd >= 0 && i < b->n_written; i++)
		unlinkat(b->dfd, b->written[i], 0);
	b->n_written = 0;
	if (b->dfd >= 0) {
		close(b->dfd);
		b->dfd = -1;
	}
	if (b->created)
		rmdir(b->dir);
	b->created = false;
}

typedef int (*writer_fn)(FILE *f, const struct export_doc *d);

/* Create one file (never over an existing one), write it, and make it durable. */
/* Create one of the bundle's files (never over an existing one), given its mode and
 * group, and remembered for bundle_remove(): its fd, or -1 (err says why). */
static int bundle_create(struct bundle *b, const char *name, char *err, size_t errlen)
{
	int fd;

	if (b->n_written == b->cap_written) {
		size_t cap = b->cap_written ? 2 * b->cap_written : 2 * FIXED_FILES;
		const char **w = talloc_realloc(NULL, b->written, const char *, cap);
		if (!w)
			return export_fail(err, errlen, "out of memory");
		b->written = w;
		b->cap_written = cap;
	}
	fd = openat(b->dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return export_fail(err, errlen, "cannot create %s/%s: %s", b->dir, name,
				   strerror(errno));
	b->written[b->n_written++] = name;
	if (give(b, fd, b->fmode, name, err, errlen) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int bundle_write(struct bundle *b, const char *name, writer_fn fn,
			const struct export_doc *d, const char *text, char *err, size_t errlen)
{
	int fd, rc;
	FILE *f;

	if (!fn && !text)
		return export_fail(err, errlen, "nothing writes %s", name);
	fd = bundle_create(b, name, err, errlen);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return export_fail(err, errlen, "cannot write %s: %s", name, strerror(errno));
	}
	errno = 0;
	rc = fn ? fn(f, d) : (fputs(text, f) == EOF ? -1 : 0);
	if (rc == 0 && (fflush(f) == EOF || fsync(fileno(f)) < 0))
		rc = -1;
	if (fclose(f) == EOF)
		rc = -1;
	if (rc < 0)
		return export_fail(err, errlen, "cannot write %s/%s: %s", b->dir, name,
				   errno ? strerror(errno) : "write error");
	return 0;
}

int export_open_file(int dfd, const char *name)
{
	/* Non-blocking: opening a FIFO someone put in a bundle must not wait for a
	 * writer. */
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat st;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EFTYPE_NOT_REGULAR;
		return -1;
	}
	return fd;
}

int export_hash_file(int dfd, const char *name, char hex[65], int64_t *size)
{
	crypto_hash_sha256_state st;
	uint8_t buf[65536], md[crypto_hash_sha256_BYTES];
	int fd = export_open_file(dfd, name);
	ssize_t n;

	if (fd < 0)
		return -1;
	*size = 0;
	crypto_hash_sha256_init(&st);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		crypto_hash_sha256_update(&st, buf, (unsigned long long)n);
		*size += n;
	}
	if (n < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	crypto_hash_sha256_final(&st, md);
	chain_hex(md, sizeof(md), hex);
	return 0;
}

/* ---- What is disclosed --------------------------------------------------------------- */

struct ctx {
	void *tmp;
	const struct redactor *rd;
	const struct store_person *persons; /* by id */
	size_t n_persons;
	bool staff_numbers_shown;
	const struct store_progress *progress;
	char key_id[REDACTION_KEY_ID_LEN]; /* "" when no key was used */
	const char *zone;		   /* the district's, or NULL */
	/* Where red() is: the parties of the conversation (NULL: everyone), and what the
	 * review calls the place. */
	const int64_t *scope;
	size_t n_scope;
	struct export_review_row at;
	struct export_review_row *review;
	size_t n_review, cap_review;
	/* The calls as disclosed (the document's), whose recordings the export copies. */
	struct export_call *calls;
	bool oom;
};

#define CONTEXT_BYTES 40

/* out[s..e) with up to CONTEXT_BYTES either side (whole characters), on one line. */
static char *review_context(void *ctx, const char *out, size_t s, size_t e)
{
	size_t len = strlen(out), a = s > CONTEXT_BYTES ? s - CONTEXT_BYTES : 0;
	size_t b = e + CONTEXT_BYTES < len ? e + CONTEXT_BYTES : len;
	char *t;

	while (a < s && ((unsigned char)out[a] & 0xC0) == 0x80)
		a++;
	while (b > e && b < len && ((unsigned char)out[b] & 0xC0) == 0x80)
		b--;
	t = talloc_asprintf(ctx, "%s%.*s\u27e6%.*s\u27e7%.*s%s", a ? "\u2026" : "", (int)(s - a),
			    out + a, (int)(e - s), out + s, (int)(b - e), out + e,
			    b < len ? "\u2026" : "");
	for (char *p = t; p && *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	return t;
}

static void review_add(struct ctx *c, const char *out, const struct redact_hit *h)
{
	struct export_review_row *r;

	if (c->n_review == c->cap_review) {
		size_t cap = c->cap_review ? 2 * c->cap_review : 64;
		r = talloc_realloc(c->tmp, c->review, struct export_review_row, cap);
		if (!r) {
			c->oom = true;
			return;
		}
		c->review = r;
		c->cap_review = cap;
	}
	r = &c->review[c->n_review++];
	*r = c->at;
	r->rule = redact_rule_name(h->rule);
	r->label = h->label;
	r->context = review_context(c->tmp, out, h->start, h->end);
	if (!r->context)
		c->oom = true;
}

/* A text as disclosed, in the conversation c->scope names; what was done goes into the
 * review as c->at's. */
static const char *red(struct ctx *c, const char *s)
{
	struct redact_hit *hits;
	size_t n;
	char *out;

	if (!s)
		return NULL;
	out = redact_text_in(c->tmp, c->rd, s, c->scope, c->n_scope, &hits, &n);
	if (!out) {
		c->oom = true;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		review_add(c, out, &hits[i]);
	return out;
}

static const char *red_as(struct ctx *c, const char *field, const char *s)
{
	c->at.field = field;
	return red(c, s);
}

static int cmp_person(const void *a, const void *b)
{
	const struct store_person *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static const struct store_person *person_by_id(const struct ctx *c, int64_t id)
{
	struct store_person key = {.id = id};

	if (id <= 0 || !c->n_persons)
		return NULL;
	return bsearch(&key, c->persons, c->n_persons, sizeof(key), cmp_person);
}

static bool is_staff(const struct ctx *c, int64_t id)
{
	const struct store_person *p = person_by_id(c, id);

	return p && (p->role == DIR_STAFF || p->role == DIR_ADMIN);
}

/* A sender or recipient as disclosed, by who they are first: a redacted person is their
 * pseudonym alone; staff and administrators are named as they are, never redacted (even
 * when a redacted guardian shares their given name). Anyone else — a guardian when only
 * students are redacted, a number not in the directory — is looked into as text, since a
 * guardian's name can carry a redacted student's family name. */
static struct rq_person disclose(struct ctx *c, const struct rq_person *in)
{
	struct rq_person out = *in;
	const char *ps = redact_pseudonym(c->rd, in->id);

	out.id = 0; /* the archive's ids stay in the archive */
	if (ps) {
		out.name = ps;
		out.handle = NULL;
		out.number = NULL;
		return out;
	}
	if (is_staff(c, in->id)) {
		/* Employees' personal numbers are withheld unless the officer shows them. */
		if (!c->staff_numbers_shown)
			out.number = NULL;
		return out;
	}
	out.name = red_as(c, "name", in->name);
	out.handle = red_as(c, "name", in->handle);
	out.number = red_as(c, "name", in->number);
	return out;
}

static int64_t thread_id(const char *key, int k);

struct party_set {
	int64_t *ids; /* sorted, distinct */
	size_t n;
};

static int cmp_id(const void *a, const void *b);

struct by_key {
	const char *key;
	size_t i;
};

static int cmp_by_key(const void *a, const void *b)
{
	const struct by_key *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->i < y->i ? -1 : x->i > y->i);
}

/* The parties of each message's conversation (the messages with its thread key): every
 * sender and recipient, and the staff member and student the conversation is between. */
static struct party_set *conversation_parties(struct ctx *c, const struct rq_result *res)
{
	size_t n = res->n;
	struct party_set *ps = talloc_zero_array(c->tmp, struct party_set, n + 1);
	struct by_key *s = talloc_array(c->tmp, struct by_key, n + 1);

	if (!ps || !s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		s[i] = (struct by_key){
		    res->messages[i].thread_key ? res->messages[i].thread_key : "", i};
	if (n)
		qsort(s, n, sizeof(*s), cmp_by_key);
	for (size_t a = 0, b; a < n; a = b) {
		size_t cap = 0, k = 0;
		for (b = a; b < n && !strcmp(s[b].key, s[a].key); b++)
			cap += 3 + res->messages[s[b].i].n_deliveries;
		int64_t *ids = talloc_array(ps, int64_t, cap + 1);
		if (!ids)
			return NULL;
		ids[k++] = thread_id(s[a].key, 2);
		ids[k++] = thread_id(s[a].key, 3);
		for (size_t j = a; j < b; j++) {
			const struct rq_message *m = &res->messages[s[j].i];
			ids[k++] = m->from.id;
			for (size_t d = 0; d < m->n_deliveries; d++)
				ids[k++] = m->deliveries[d].to.id;
		}
		qsort(ids, k, sizeof(*ids), cmp_id);
		size_t o = 0;
		for (size_t j = 0; j < k; j++)
			if (ids[j] > 0 && (!o || ids[o - 1] != ids[j]))
				ids[o++] = ids[j];
		for (size_t j = a; j < b; j++)
			ps[s[j].i] = (struct party_set){ids, o};
	}
	return ps;
}

/* Who decided a hold, as disclosed: an administrator by name ("Omar Haddad (@omarh)"),
 * the end of quiet hours in words, anything else looked into as text. */
static const char *hold_decider(struct ctx *c, const char *by)
{
	const char *h = by && by[0] == '@' ? by + 1 : by;

	if (!by)
		return NULL;
	if (!strcmp(by, "quiet-hours"))
		return "the end of quiet hours (automatic)";
	for (size_t i = 0; i < c->n_persons; i++) {
		const struct store_person *p = &c->persons[i];
		if (p->handle && !strcmp(p->handle, h) &&
		    (p->role == DIR_STAFF || p->role == DIR_ADMIN))
			return talloc_asprintf(c->tmp, "%s %s (@%s)", p->given, p->family,
					       p->handle);
	}
	return red_as(c, "hold decided by", by);
}

static struct rq_message *disclose_messages(struct ctx *c, const struct rq_result *res,
					    size_t *n_deliveries)
{
	struct rq_message *v = talloc_zero_array(c->tmp, struct rq_message, res->n + 1);
	struct party_set *parties = conversation_parties(c, res);

	*n_deliveries = 0;
	if (!v || !parties)
		return NULL;
	for (size_t i = 0; i < res->n; i++) {
		const struct rq_message *m = &res->messages[i];
		struct rq_message *o = &v[i];
		if (c->progress && i % 256 == 0)
			c->progress->fn(c->progress->arg, "redacting", i, res->n);
		c->scope = parties[i].ids;
		c->n_scope = parties[i].n;
		c->at = (struct export_review_row){.msg = i};
		*o = *m;
		o->from = disclose(c, &m->from);
		o->team_tag = red_as(c, "team", m->team_tag);
		o->team_name = red_as(c, "team", m->team_name);
		o->text = m->disposed ? NULL : red_as(c, "text", m->text);
		o->reason = red_as(c, "reason", m->reason);
		o->hold_by = hold_decider(c, m->hold_by);
		o->hold_note = red_as(c, "hold note", m->hold_note);
		o->thread_key = NULL;
		o->deliveries = talloc_zero_array(v, struct rq_delivery, m->n_deliveries + 1);
		if (!o->deliveries)
			return NULL;
		for (size_t j = 0; j < m->n_deliveries; j++) {
			o->deliveries[j] = m->deliveries[j];
			c->at.delivery_id = m->deliveries[j].id;
			o->deliveries[j].to = disclose(c, &m->deliveries[j].to);
			/* A disposed message's copies are its content too. */
			o->deliveries[j].body =
			    m->disposed ? NULL : red_as(c, "body", m->deliveries[j].body);
		}
		c->at.delivery_id = 0;
		*n_deliveries += m->n_deliveries;
	}
	/* Whatever is disclosed after the messages belongs to no conversation. */
	c->scope = NULL;
	c->n_scope = 0;
	c->at = (struct export_review_row){.msg = (size_t)-1};
	return c->oom ? NULL : v;
}

/* ---- Calls --------------------------------------------------------------------------- */

/* The parties of a call (its initiator, callee and every leg's person), sorted and
 * distinct: the conversation its texts are redacted in. */
static int64_t *call_parties(struct ctx *c, const struct rq_call *m, size_t *n)
{
	int64_t *ids = talloc_array(c->tmp, int64_t, m->n_legs + 3);
	size_t k = 0, o = 0;

	*n = 0;
	if (!ids)
		return NULL;
	ids[k++] = m->initiator.id;
	ids[k++] = m->callee.id;
	for (size_t i = 0; i < m->n_legs; i++)
		ids[k++] = m->legs[i].who.id;
	qsort(ids, k, sizeof(*ids), cmp_id);
	for (size_t i = 0; i < k; i++)
		if (ids[i] > 0 && (!o || ids[o - 1] != ids[i]))
			ids[o++] = ids[i];
	*n = o;
	return ids;
}

/* An event's detail as disclosed. A spoken prompt ("spoken SHA256 TEXT") whose text
 * named a redacted person loses its hash: the hash of the speech would let anyone who
 * speaks the candidate names the same way confirm which one it was. *named says so. */
static const char *red_event(struct ctx *c, const struct rq_call_event *e, bool *named)
{
	const char *d = e->detail, *text;
	const char *out;

	if (!d)
		return NULL;
	if (strcmp(e->kind, "prompt") || strncmp(d, "spoken ", 7) || strlen(d) < 7 + 64 + 1 ||
	    d[7 + 64] != ' ' || strspn(d + 7, "0123456789abcdefABCDEF") != 64)
		return red_as(c, "event", d);
	text = d + 7 + 64 + 1;
	out = red_as(c, "event", text);
	if (!out || !strcmp(out, text))
		return out ? d : NULL;
	*named = true;
	return talloc_asprintf(c->tmp, "spoken [audio hash withheld] %s", out);
}

/* Why a call's recording may not leave with this bundle, or NULL: a redacted party of
 * the call (c->scope) answered a leg or called the relay number (their voice is in it),
 * or is named in it (the relay says whom the call is for and who is on it to each leg
 * that answers, and the others speak of them), or a spoken prompt named a redacted
 * person. The reason names pseudonyms only. */
static const char *withhold_why(struct ctx *c, const struct rq_call *m, bool prompt_named)
{
	char *voices = NULL, *named = NULL, *why;

	for (size_t i = 0; i < c->n_scope; i++) {
		int64_t id = c->scope[i];
		const char *ps = redact_pseudonym(c->rd, id);
		bool voice = m->incoming && m->initiator.id == id;
		char **list;
		if (!ps)
			continue;
		for (size_t j = 0; j < m->n_legs && !voice; j++)
			voice = m->legs[j].who.id == id && m->legs[j].answered;
		list = voice ? &voices : &named;
		*list =
		    *list ? talloc_asprintf_append(*list, ", %s", ps) : talloc_strdup(c->tmp, ps);
		if (!*list) {
			c->oom = true;
			return NULL;
		}
	}
	if (!voices && !named && !prompt_named)
		return NULL;
	why = talloc_strdup(c->tmp, "audio cannot be redacted by pseudonym:");
	if (why && voices)
		why =
		    talloc_asprintf_append(why, " the voice of %s (who answered) is in it", voices);
	if (why && named)
		why = talloc_asprintf_append(
		    why,
		    "%s %s %s named in it (the relay says whom the call is "
		    "for and who is on it)",
		    voices ? ";" : "", named, strchr(named, ',') ? "are" : "is");
	if (why && !voices && !named)
		why = talloc_asprintf_append(why, " the relay spoke a redacted name in it");
	if (!why)
		c->oom = true;
	return why;
}

static struct export_call *disclose_calls(struct ctx *c, const struct rq_result *res)
{
	struct export_call *v = talloc_zero_array(c->tmp, struct export_call, res->n_calls + 1);

	if (!v)
		return NULL;
	for (size_t i = 0; i < res->n_calls; i++) {
		const struct rq_call *m = &res->calls[i];
		struct export_call *x = &v[i];
		struct rq_call *o = &x->c;
		bool prompt_named = false;
		c->scope = call_parties(c, m, &c->n_scope);
		if (!c->scope)
			return NULL;
		c->at = (struct export_review_row){.msg = (size_t)-1, .call = i + 1};
		x->number = i + 1;
		*o = *m;
		o->initiator = disclose(c, &m->initiator);
		o->callee = disclose(c, &m->callee);
		o->team_tag = red_as(c, "team", m->team_tag);
		o->team_name = red_as(c, "team", m->team_name);
		o->reason = red_as(c, "reason", m->reason);
		o->end = red_as(c, "end", m->end);
		o->legs = talloc_zero_array(v, struct rq_call_leg, m->n_legs + 1);
		o->events = talloc_zero_array(v, struct rq_call_event, m->n_events + 1);
		if (!o->legs || !o->events)
			return NULL;
		for (size_t j = 0; j < m->n_legs; j++) {
			o->legs[j] = m->legs[j];
			o->legs[j].who = disclose(c, &m->legs[j].who);
		}
		for (size_t j = 0; j < m->n_events; j++) {
			o->events[j] = m->events[j];
			o->events[j].detail = red_event(c, &m->events[j], &prompt_named);
		}
		if (!m->rec_sha256)
			x->rec = EXPORT_REC_NONE;
		else if (m->rec_disposed)
			x->rec = EXPORT_REC_DISPOSED;
		else if ((x->rec_why = withhold_why(c, m, prompt_named)))
			x->rec = EXPORT_REC_WITHHELD;
		else
			x->rec = EXPORT_REC_COPIED; /* unless copying finds it is not as recorded */
	}
	c->scope = NULL;
	c->n_scope = 0;
	c->at = (struct export_review_row){.msg = (size_t)-1};
	return c->oom ? NULL : v;
}

/* "RELAY|team id|staff id|student id or 'team'": field k (0-based), or "". */
static void thread_field(const char *key, int k, char *out, size_t cap)
{
	const char *p = key ? key : "";

	out[0] = '\0';
	for (int i = 0; i < k && p; i++) {
		p = strchr(p, '|');
		if (p)
			p++;
	}
	if (p)
		snprintf(out, cap, "%.*s", (int)strcspn(p, "|"), p);
}

static int64_t thread_id(const char *key, int k)
{
	char f[32], *end;
	long long v;

	thread_field(key, k, f, sizeof(f));
	v = strtoll(f, &end, 10);
	return f[0] && !*end && v > 0 ? (int64_t)v : 0;
}

static const char *person_label(struct ctx *c, int64_t id)
{
	const struct store_person *p = person_by_id(c, id);
	const char *ps = redact_pseudonym(c->rd, id);

	if (ps)
		return ps;
	if (!p)
		return NULL;
	if (is_staff(c, id))
		return talloc_asprintf(c->tmp, "%s %s", p->given, p->family);
	return red(c, talloc_asprintf(c->tmp, "%s %s", p->given, p->family));
}

/* "Soccer (#soccer) on +15550100: Dana Lee with Student KTQF". */
static const char *conv_title(struct ctx *c, const struct rq_message *m,
			      const struct rq_message *shown)
{
	char other[32];
	const char *staff = person_label(c, thread_id(m->thread_key, 2)), *who = NULL;
	const char *tag = shown->team_tag && *shown->team_tag ? shown->team_tag : NULL;
	char *t;

	if (shown->team_name && *shown->team_name) {
		t = talloc_strdup(c->tmp, shown->team_name);
		if (t && tag)
			t = talloc_asprintf_append(t, " (#%s)", tag[0] == '#' ? tag + 1 : tag);
	} else {
		t = talloc_strdup(c->tmp, tag ? tag : "no team");
	}
	thread_field(m->thread_key, 3, other, sizeof(other));
	if (!strcmp(other, "team"))
		who = "the team";
	else if (thread_id(m->thread_key, 3))
		who = person_label(c, thread_id(m->thread_key, 3));
	else if (*other && strcmp(other, "0")) /* a number not in the directory */
		who = red(c, other);
	if (t)
		t = talloc_asprintf_append(t, " on %s", shown->relay ? shown->relay : "?");
	if (t && (staff || who))
		t = talloc_asprintf_append(t, ": %s%s%s", staff ? staff : "",
					   staff && who ? " with " : "", who ? who : "");
	return t;
}

struct conv_sort {
	const char *key;
	size_t i;
};

static int cmp_conv_key(const void *a, const void *b)
{
	const struct conv_sort *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->i < y->i ? -1 : x->i > y->i);
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* Number the conversations by their first message, and order the messages by
 * conversation (the query's order within each). */
static int group_conversations(struct ctx *c, const struct rq_result *res, struct export_doc *d,
			       const struct rq_message *shown)
{
	size_t n = res->n, n_conv = 0;
	struct conv_sort *s = talloc_array(c->tmp, struct conv_sort, n + 1);
	size_t *firsts = talloc_array(c->tmp, size_t, n + 1);
	size_t *conv = talloc_array(c->tmp, size_t, n + 1);
	size_t *by_conv = talloc_array(c->tmp, size_t, n + 1);
	const char **titles = talloc_zero_array(c->tmp, const char *, n + 2);

	if (!s || !firsts || !conv || !by_conv || !titles)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *k = res->messages[i].thread_key;
		s[i] = (struct conv_sort){k ? k : "", i};
	}
	if (n)
		qsort(s, n, sizeof(*s), cmp_conv_key);
	for (size_t i = 0; i < n; i++)
		if (!i || strcmp(s[i].key, s[i - 1].key))
			firsts[n_conv++] = s[i].i;
	if (n_conv)
		qsort(firsts, n_conv, sizeof(*firsts), cmp_size);
	for (size_t k = 0; k < n_conv; k++) {
		size_t f = firsts[k];
		titles[k + 1] = conv_title(c, &res->messages[f], &shown[f]);
		if (!titles[k + 1])
			return -1;
		/* Conversation numbers by key: look the first message up among the sorted. */
		struct conv_sort key = {
		    res->messages[f].thread_key ? res->messages[f].thread_key : "", f};
		struct conv_sort *at = bsearch(&key, s, n, sizeof(*s), cmp_conv_key);
		for (struct conv_sort *q = at; q && q < s + n && !strcmp(q->key, key.key); q++)
			conv[q->i] = k + 1;
	}
	/* By conversation, then the query's order: a counting placement keeps it stable. */
	size_t *start = talloc_zero_array(c->tmp, size_t, n_conv + 2);
	if (!start)
		return -1;
	for (size_t i = 0; i < n; i++)
		start[conv[i] + 1]++;
	for (size_t k = 1; k <= n_conv + 1; k++)
		start[k] += start[k - 1];
	for (size_t i = 0; i < n; i++)
		by_conv[start[conv[i]]++] = i;
	d->conv = conv;
	d->conv_title = titles;
	d->n_conv = n_conv;
	d->by_conv = by_conv;
	return c->oom ? -1 : 0;
}

static int redact_json_value(struct ctx *c, struct json_object *o)
{
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, key, val)
		{
			if (json_object_is_type(val, json_type_string)) {
				const char *r = red(c, json_object_get_string(val));
				if (!r)
					return -1;
				json_object_object_add(o, key, json_object_new_string(r));
			} else if (redact_json_value(c, val) < 0) {
				return -1;
			}
		}
	} else if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++) {
			struct json_object *val = json_object_array_get_idx(o, i);
			if (json_object_is_type(val, json_type_string)) {
				const char *r = red(c, json_object_get_string(val));
				if (!r)
					return -1;
				json_object_array_put_idx(o, i, json_object_new_string(r));
			} else if (redact_json_value(c, val) < 0) {
				return -1;
			}
		}
	}
	return 0;
}

/* The query as it may be disclosed: every string in it redacted. */
static const char *redact_query(struct ctx *c, const char *json)
{
	struct json_object *q = json_tokener_parse(json && *json ? json : "{}");
	const char *out = NULL;

	if (!q || !json_object_is_type(q, json_type_object)) {
		json_object_put(q);
		q = json_object_new_object();
	}
	if (q && redact_json_value(c, q) == 0)
		out = talloc_strdup(
		    c->tmp, json_object_to_json_string_ext(q, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(q);
	return out;
}

static const char *redaction_word(unsigned r)
{
	switch (r & (EXPORT_REDACT_STUDENTS | EXPORT_REDACT_GUARDIANS)) {
	case EXPORT_REDACT_STUDENTS:
		return "students";
	case EXPORT_REDACT_GUARDIANS:
		return "guardians";
	case EXPORT_REDACT_STUDENTS | EXPORT_REDACT_GUARDIANS:
		return "students,guardians";
	default:
		return "none";
	}
}

/* ---- README and manifest ------------------------------------------------------------- */

/* The README's calls: how they are numbered, and what became of each one's recording. */
static void readme_calls(FILE *f, const struct export_doc *d)
{
	fputs("Calls and their recordings\r\n--------------------------\r\n"
	      "Calls are numbered within this bundle (call 1, call 2, ... by time); each "
	      "is\r\n"
	      "also identified by its exact time and relay number. A recording is copied\r\n"
	      "as the archive recorded it (its SHA-256 checked as it was copied). A\r\n"
	      "recording cannot be redacted by pseudonym: one in which a redacted person\r\n"
	      "speaks or is named is withheld, and said so below.\r\n\r\n",
	      f);
	for (size_t i = 0; i < d->n_calls; i++) {
		const struct export_call *x = &d->calls[i];
		if (x->rec == EXPORT_REC_COPIED)
			fprintf(f, "call %zu: recording %s (SHA-256 %s)\r\n", x->number,
				x->rec_file, x->rec_sha256);
		else if (x->rec == EXPORT_REC_WITHHELD)
			fprintf(f, "call %zu: recording WITHHELD: %s\r\n", x->number, x->rec_why);
		else if (x->rec == EXPORT_REC_DISPOSED)
			fprintf(f,
				"call %zu: recording disposed of under the retention "
				"schedule\r\n",
				x->number);
		else if (x->rec != EXPORT_REC_NONE)
			fprintf(f, "call %zu: recording NOT COPIED (%s): %s\r\n", x->number,
				export_rec_name(x->rec), x->rec_why);
		else
			fprintf(f, "call %zu: not recorded\r\n", x->number);
	}
	fputs("\r\n", f);
}

static int write_readme(FILE *f, const struct export_doc *d)
{
	fprintf(f,
		"Text message records: public-records export\r\n"
		"============================================\r\n\r\n"
		"Request:    %s\r\nRequester:  %s\r\nPurpose:    %s\r\n"
		"Exported:   %s by %s (account %s)\r\nRedaction:  %s\r\n"
		"Staff numbers: %s\r\n"
		"Records:    %zu messages in %zu conversations, %zu deliveries; %zu calls\r\n"
		"Recordings: %zu copied, %zu withheld, %zu not copied (the archive's file was\r\n"
		"            missing, altered or unreadable)\r\n\r\n",
		d->request, d->requester, d->purpose, d->created, d->operator, d->os_user,
		d->redaction, d->staff_numbers, d->n, d->n_conv, d->n_deliveries, d->n_calls,
		d->rec_copied, d->rec_withheld, d->rec_faults);
	fputs("These are text messages relayed by the district's Chaperone gateway, taken from\r\n"
	      "its archive. Each message is shown with who sent it, the decision the district's\r\n"
	      "policy made about it, and every copy the relay sent (to whom, why, its last\r\n"
	      "known status, and the text the recipient's phone received).\r\n\r\n"
	      "Files\r\n-----\r\n"
	      "transcript.html  the messages conversation by conversation, for reading and\r\n"
	      "                 printing; self-contained (open it in any web browser; it loads\r\n"
	      "                 nothing from anywhere)\r\n"
	      "transcript.pdf   the same transcript as pages (US Letter), for filing\r\n"
	      "conversation-NNNN.html\r\n"
	      "                 for a request of many conversations: one file each, and\r\n"
	      "                 transcript.html is their index\r\n"
	      "records.csv      one row per message\r\n"
	      "deliveries.csv   one row per copy the relay sent\r\n"
	      "records.jsonl    one JSON object per line: a message with its verdict and copies\r\n"
	      "calls.csv        one row per relayed call: who called whom, the decision, how\r\n"
	      "                 it ended, and what became of its recording\r\n"
	      "call-legs.csv    one row per phone of a call (answered or not)\r\n"
	      "call-events.csv  one row per step of a call (dialled, answered, prompts, end)\r\n"
	      "calls.jsonl      one JSON object per line: a call with its legs, steps and\r\n"
	      "                 recording\r\n"
	      "call-NNNN.flac   the recording of call NNNN (lossless FLAC; channel 0 is what\r\n"
	      "                 the relay played, channel N the phone of the leg on channel N)\r\n"
	      "redaction-review.csv\r\n"
	      "                 every replacement the redaction made, and every word that is\r\n"
	      "                 a redacted person's name but was left alone, each with the\r\n"
	      "                 (redacted) text around it, for the records officer to check\r\n"
	      "                 before release\r\n"
	      "manifest.json    the request, the query that selected the records, the\r\n"
	      "                 archive's chain head they were taken from, and the SHA-256 and\r\n"
	      "                 size of every other file\r\n"
	      "README.txt       this file\r\n\r\n"
	      "In the CSV files a field that starts with = + - or @ is preceded by an\r\n"
	      "apostrophe, so that a spreadsheet shows it rather than running it;\r\n"
	      "records.jsonl has every text exactly.\r\n\r\n",
	      f);
	fprintf(f,
		"Times in transcript.html are the district's (%s), with the UTC instant beside\r\n"
		"each; the CSV and JSON files give times in UTC (ISO 8601, \"Z\").\r\n\r\n",
		d->zone ? d->zone : "the exporting machine's zone");
	if (strncmp(d->redaction, "none", 4))
		fputs("Redaction\r\n---------\r\n"
		      "The names, handles and phone numbers of the persons of the roles named "
		      "above\r\n"
		      "are replaced, in every field and inside the texts, by pseudonyms such as\r\n"
		      "\"Student KTQF\": the same person has the same pseudonym throughout this\r\n"
		      "request's files, and the pseudonyms cannot be traced back without the\r\n"
		      "district's key. Where a word names several such persons it reads\r\n"
		      "\"[student]\" or \"[guardian]\". Full names, handles and numbers are\r\n"
		      "replaced wherever they stand; a given or family name on its own only in\r\n"
		      "a conversation its person is part of, and not where a staff member in\r\n"
		      "it has that name too. Staff names are never redacted.\r\n\r\n",
		      f);
	if (!strcmp(d->staff_numbers, "withheld"))
		fputs("Staff members' personal phone numbers are withheld: left out of the\r\n"
		      "fields, and \"[staff number]\" inside the texts.\r\n\r\n",
		      f);
	if (d->n_calls)
		readme_calls(f, d);
	fputs("Checking the bundle\r\n-------------------\r\n"
	      "The district can check that no file has changed since the export with\r\n\r\n"
	      "    chaperone records verify-export DIRECTORY\r\n\r\n"
	      "which recomputes each file's SHA-256 against manifest.json and confirms that\r\n"
	      "manifest.json is the one the archive recorded for this export. Anyone can\r\n"
	      "recompute the hashes (sha256sum *.html *.pdf *.csv *.jsonl *.flac README.txt)\r\n"
	      "and compare them with manifest.json.\r\n",
	      f);
	return ferror(f) ? -1 : 0;
}

struct file_entry {
	const char *name;
	char sha256[65];
	int64_t bytes;
};

static char *manifest_text(void *ctx, const struct export_doc *d, const struct file_entry *files,
			   size_t n_files)
{
	struct json_object *m = json_object_new_object(), *req, *head, *arr, *q;
	char *out = NULL;

	if (!m)
		return NULL;
	json_object_object_add(m, "format", json_object_new_string(EXPORT_FORMAT));
	req = json_object_new_object();
	json_object_object_add(req, "id", json_object_new_string(d->request));
	json_object_object_add(req, "requester", json_object_new_string(d->requester));
	json_object_object_add(req, "purpose", json_object_new_string(d->purpose));
	json_object_object_add(m, "request", req);
	json_object_object_add(m, "operator", json_object_new_string(d->operator));
	json_object_object_add(m, "os_user", json_object_new_string(d->os_user));
	json_object_object_add(m, "created", json_object_new_string(d->created));
	q = json_tokener_parse(d->query_json);
	json_object_object_add(m, "query", q ? q : json_object_new_object());
	json_object_object_add(m, "redaction", json_object_new_string(d->redaction));
	json_object_object_add(m, "staff_numbers", json_object_new_string(d->staff_numbers));
	if (d->zone)
		json_object_object_add(m, "time_zone", json_object_new_string(d->zone));
	if (*d->redaction_key_id)
		json_object_object_add(m, "redaction_key_id",
				       json_object_new_string(d->redaction_key_id));
	json_object_object_add(m, "review_entries", json_object_new_int64((int64_t)d->n_review));
	json_object_object_add(m, "messages", json_object_new_int64((int64_t)d->n));
	json_object_object_add(m, "deliveries", json_object_new_int64((int64_t)d->n_deliveries));
	json_object_object_add(m, "conversations", json_object_new_int64((int64_t)d->n_conv));
	json_object_object_add(m, "calls", json_object_new_int64((int64_t)d->n_calls));
	/* What became of each call's recording: the file that holds it, or why none does. */
	arr = json_object_new_array();
	for (size_t i = 0; i < d->n_calls; i++) {
		const struct export_call *x = &d->calls[i];
		struct json_object *e;
		if (x->rec == EXPORT_REC_NONE)
			continue;
		e = json_object_new_object();
		json_object_object_add(e, "call", json_object_new_int64((int64_t)x->number));
		json_object_object_add(e, "status",
				       json_object_new_string(export_rec_name(x->rec)));
		json_object_object_add(e, "file",
				       x->rec_file ? json_object_new_string(x->rec_file) : NULL);
		json_object_object_add(
		    e, "sha256",
		    x->rec == EXPORT_REC_COPIED ? json_object_new_string(x->rec_sha256) : NULL);
		json_object_object_add(e, "reason",
				       x->rec_why ? json_object_new_string(x->rec_why) : NULL);
		json_object_array_add(arr, e);
	}
	json_object_object_add(m, "recordings", arr);
	head = json_object_new_object();
	json_object_object_add(head, "seq", json_object_new_int64(d->head_seq));
	json_object_object_add(head, "hash", json_object_new_string(d->head_hash));
	json_object_object_add(head, "anchor", json_object_new_string(d->anchor));
	json_object_object_add(m, "chain_head", head);
	arr = json_object_new_array();
	for (size_t i = 0; i < n_files; i++) {
		struct json_object *e = json_object_new_object();
		json_object_object_add(e, "name", json_object_new_string(files[i].name));
		json_object_object_add(e, "sha256", json_object_new_string(files[i].sha256));
		json_object_object_add(e, "bytes", json_object_new_int64(files[i].bytes));
		json_object_array_add(arr, e);
	}
	json_object_object_add(m, "files", arr);
	out = talloc_asprintf(
	    ctx, "%s\n",
	    json_object_to_json_string_ext(m, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(m);
	return out;
}

/* ---- Recording ----------------------------------------------------------------------- */

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Distinct persons of the results with a role in `roles` (1 << role): the senders and
 * recipients, and the student each conversation is about. */
static int64_t *subjects(struct ctx *c, const struct rq_result *res, unsigned roles, size_t *n)
{
	int64_t *ids = talloc_array(c->tmp, int64_t, res->n_persons + res->n + 1);
	size_t k = 0, o = 0;

	*n = 0;
	if (!ids)
		return NULL;
	for (size_t i = 0; i < res->n_persons; i++)
		ids[k++] = res->person_ids[i];
	for (size_t i = 0; i < res->n; i++)
		if (thread_id(res->messages[i].thread_key, 3))
			ids[k++] = thread_id(res->messages[i].thread_key, 3);
	if (k)
		qsort(ids, k, sizeof(*ids), cmp_id);
	for (size_t i = 0; i < k; i++) {
		const struct store_person *p = person_by_id(c, ids[i]);
		if ((o && ids[o - 1] == ids[i]) || !p || !(roles & (1u << p->role)))
			continue;
		ids[o++] = ids[i];
	}
	*n = o;
	return ids;
}

struct record {
	const struct export_request *r;
	const struct rq_result *res;
	const struct export_doc *d;
	const char *query_json;	       /* as the manifest has it */
	const char *officer, *os_user; /* as given (the bundle's may be redacted) */
	int64_t at;
	const struct chain_head *head;
	const char *manifest_sha256;
	const char *out_dir;
};

static int record_export(struct store *s, struct ctx *c, const struct record *x,
			 struct export_summary *out, char *err, size_t errlen)
{
	size_t n_students, n_subjects;
	int64_t *students = subjects(c, x->res, 1u << DIR_STUDENT, &n_students);
	int64_t *subj =
	    subjects(c, x->res, (1u << DIR_STUDENT) | (1u << DIR_GUARDIAN), &n_subjects);
	sqlite3_stmt *st;
	int64_t id;
	char *detail;

	if (!students || !subj)
		return export_fail(err, errlen, "out of memory");
	if (store_begin(s) < 0)
		goto fail;
	st = store_stmt(
	    s, "INSERT INTO exports(at, request, requester, purpose, operator, os_user,"
	       " query, redaction, messages, head_seq, head_hash, manifest_sha256,"
	       " out_dir) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
	if (!st)
		goto fail;
	sqlite3_bind_int64(st, 1, x->at);
	store_bind_text(st, 2, x->r->request);
	store_bind_text(st, 3, x->r->requester);
	store_bind_text(st, 4, x->r->purpose);
	store_bind_text(st, 5, x->officer);
	store_bind_text(st, 6, x->os_user);
	store_bind_text(st, 7, x->query_json);
	store_bind_text(st, 8, x->d->redaction);
	sqlite3_bind_int64(st, 9, (int64_t)x->res->n);
	sqlite3_bind_int64(st, 10, x->head->seq);
	sqlite3_bind_blob(st, 11, x->head->hash, CHAIN_HASH_LEN, SQLITE_TRANSIENT);
	store_bind_text(st, 12, x->manifest_sha256);
	store_bind_text(st, 13, x->out_dir);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	id = sqlite3_last_insert_rowid(store_db(s));
	/* FERPA: a record of each disclosure of a student's records. */
	for (size_t i = 0; i < n_students; i++) {
		st = store_stmt(s, "INSERT INTO disclosures(export_id, at, student_id, redacted)"
				   " VALUES (?1, ?2, ?3, ?4)");
		if (!st)
			goto fail;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, x->at);
		sqlite3_bind_int64(st, 3, students[i]);
		sqlite3_bind_int(st, 4, (x->r->redact & EXPORT_REDACT_STUDENTS) != 0);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
	}
	detail = talloc_asprintf(c->tmp, "export %" PRId64 " of request %s to %s (redaction: %s)",
				 id, x->r->request, x->out_dir, x->d->redaction);
	struct access_entry a = {
	    .at = x->at,
	    // clang-format off
	    .operator = x->officer,
	    // clang-format on
	    .os_user = x->os_user,
	    .action = "export",
	    .query_json = x->res->query_json,
	    .results = (int64_t)x->res->n,
	    .detail = detail,
	    .subjects = subj,
	    .n_subjects = n_subjects,
	};
	if (!detail || access_log_add(s, &a) < 0)
		goto fail;
	if (store_commit(s) < 0)
		goto fail;
	out->export_id = id;
	out->disclosures = n_students;
	return 0;
fail:
	export_fail(err, errlen, "cannot record the export: %s", store_errmsg(s));
	store_rollback(s);
	return -1;
}

/* ---- The export ---------------------------------------------------------------------- */

static int check_request(const struct export_request *r, char *err, size_t errlen)
{
	if (!r->request || !*r->request)
		return export_fail(err, errlen, "the request's id is missing (--request)");
	if (!r->requester || !*r->requester)
		return export_fail(err, errlen, "who asked is missing (--requester)");
	if (!r->purpose || !*r->purpose)
		return export_fail(err, errlen, "the purpose is missing (--purpose)");
	if (!r->out_dir || !*r->out_dir)
		return export_fail(err, errlen, "the bundle's directory is missing (--out)");
	if (!r->query)
		return export_fail(err, errlen, "no query");
	if (r->redact & ~(unsigned)(EXPORT_REDACT_STUDENTS | EXPORT_REDACT_GUARDIANS))
		return export_fail(err, errlen, "unknown redaction");
	return 0;
}

static int resolve_group(struct bundle *b, const char *group, char *err, size_t errlen)
{
	struct group *g;

	b->dmode = 0700;
	b->fmode = 0600;
	if (!group || !*group)
		return 0;
	g = getgrnam(group);
	if (!g)
		return export_fail(err, errlen, "there is no group '%s'", group);
	b->group = true;
	b->gid = g->gr_gid;
	b->dmode = 0750;
	b->fmode = 0640;
	return 0;
}

/* Select the records and the head they come from, under one lock: the head the
 * manifest names is exactly the archive the records were read from. */
static struct rq_result *select_records(struct store *s, struct ctx *c,
					const struct export_request *r, struct chain_head *head,
					struct store_person **persons, size_t *n_persons, char *err,
					size_t errlen)
{
	struct rq_result *res = NULL;

	if (store_begin(s) < 0) {
		export_fail(err, errlen, "cannot read the archive: %s", store_errmsg(s));
		return NULL;
	}
	if (chain_head(s, head) < 0 || store_persons_list(s, c->tmp, persons, n_persons) < 0) {
		export_fail(err, errlen, "cannot read the archive: %s", store_errmsg(s));
		store_rollback(s);
		return NULL;
	}
	res = rq_run(s, c->tmp, r->query, err, errlen);
	if (!res) {
		store_rollback(s);
		return NULL;
	}
	if (store_commit(s) < 0) {
		export_fail(err, errlen, "cannot read the archive: %s", store_errmsg(s));
		return NULL;
	}
	return res;
}

/* The redactor for this request, keyed by the redaction key (outside the archive, so
 * that a copy of the archive cannot recompute the pseudonyms). */
static int key_redactor(struct ctx *c, const struct export_request *r, char *err, size_t errlen)
{
	static const uint8_t none[REDACT_KEY_ID_LEN];
	unsigned roles = r->redact & (EXPORT_REDACT_STUDENTS | EXPORT_REDACT_GUARDIANS);

	if (roles && !r->redaction_key)
		return export_fail(err, errlen, "no redaction key to make pseudonyms with");
	if (!r->staff_numbers_shown)
		roles |= REDACT_STAFF_NUMBERS;
	/* Without a redacted role no pseudonym is made: nothing needs the key. */
	c->rd = redact_new(c->tmp, c->persons, c->n_persons,
			   r->redaction_key ? r->redaction_key : none, r->request, roles);
	if (!c->rd)
		return export_fail(err, errlen, "out of memory");
	if (r->redaction_key)
		redaction_key_id(r->redaction_key, c->key_id);
	return 0;
}

/* The document, as it will leave the district: the cover as the officer typed it, the
 * query redacted, the messages disclosed, the conversations numbered. 0, or -1 when out of memory.
 */
static int build_doc(struct ctx *c, const struct export_request *r, const struct rq_result *res,
		     const struct chain_head *head, const char *officer, const char *os_user,
		     const char *created, struct export_doc *d)
{
	/* What the officer typed is theirs, as typed: the cover and the disclosure record
	 * must say the same (a reporter called Sam Smith is not "Student MAO3 Smith"). */
	d->request = r->request;
	d->requester = r->requester;
	d->purpose = r->purpose;
	// clang-format off
	d->operator = officer;
	// clang-format on
	d->os_user = os_user;
	d->created = created;
	c->at = (struct export_review_row){.msg = (size_t)-1, .field = "query"};
	d->query_json = redact_query(c, res->query_json);
	d->redaction = redaction_word(r->redact);
	d->staff_numbers = r->staff_numbers_shown ? "shown" : "withheld";
	d->redaction_key_id = c->key_id;
	d->zone = c->zone;
	/* Names disclosed on purpose: the reason goes wherever the redaction is stated. */
	if (!r->redact && r->no_redact_reason && *r->no_redact_reason)
		d->redaction = talloc_asprintf(c->tmp, "none: %s", r->no_redact_reason);
	d->head_seq = head->seq;
	chain_hex(head->hash, CHAIN_HASH_LEN, d->head_hash);
	chain_anchor_format(head, d->anchor, sizeof(d->anchor));
	d->msgs = disclose_messages(c, res, &d->n_deliveries);
	d->n = res->n;
	d->calls = c->calls = disclose_calls(c, res);
	d->n_calls = res->n_calls;
	c->at.field = "heading";
	if (c->oom || !d->query_json || !d->msgs || !d->calls ||
	    group_conversations(c, res, d, d->msgs) < 0)
		return -1;
	d->review = c->review;
	d->n_review = c->n_review;
	/* The recording notice, once: the first line of the first body that carried it. */
	for (size_t i = 0; i < d->n && !d->notice; i++)
		for (size_t j = 0; j < d->msgs[i].n_deliveries && !d->notice; j++) {
			const struct rq_delivery *dl = &d->msgs[i].deliveries[j];
			const char *nl = dl->notice && dl->body ? strchr(dl->body, '\n') : NULL;
			if (nl)
				d->notice =
				    talloc_strndup(c->tmp, dl->body, (size_t)(nl - dl->body));
		}
	return c->oom ? -1 : 0;
}

const char *export_body_shown(const struct export_doc *d, const struct rq_delivery *dl)
{
	size_t n = d->notice ? strlen(d->notice) : 0;

	if (dl->notice && dl->body && n && !strncmp(dl->body, d->notice, n) && dl->body[n] == '\n')
		return dl->body + n + 1;
	return dl->body;
}

/* The writer of each of the bundle's files but the manifest. */
static writer_fn writer_of(const char *name)
{
	static const struct {
		const char *name;
		writer_fn fn;
	} writers[] = {
	    {"transcript.html", export_html},
	    {"transcript.pdf", export_pdf},
	    {"records.csv", export_csv_records},
	    {"deliveries.csv", export_csv_deliveries},
	    {"records.jsonl", export_jsonl},
	    {"redaction-review.csv", export_csv_review},
	    {"calls.csv", export_csv_calls},
	    {"call-legs.csv", export_csv_call_legs},
	    {"call-events.csv", export_csv_call_events},
	    {"calls.jsonl", export_jsonl_calls},
	    {"README.txt", write_readme},
	};

	for (size_t i = 0; i < ARRAY_SIZE(writers); i++)
		if (!strcmp(name, writers[i].name))
			return writers[i].fn;
	return NULL; /* a file of EXPORT_FILES without a writer: bundle_write() refuses */
}

/* Copy the recording of call x into the bundle as call-NNNN.<format>, re-hashing it
 * as it is read (recording_copy()), and read the copy back for the manifest (fe). A
 * file that is missing, altered or unreadable is not copied: x says so, and *faults
 * gets a line for the officer naming the archive's call id and path. 0, or -1 when the
 * bundle itself could not be written (err says why). */
static int copy_recording(struct ctx *c, struct bundle *b, const char *recdir, int64_t call_id,
			  struct export_call *x, struct file_entry *fe, char **faults, char *err,
			  size_t errlen)
{
	const struct rq_call *m = &x->c;
	bool plain =
	    m->rec_format && *m->rec_format && strlen(m->rec_format) <= 8 &&
	    strspn(m->rec_format, "abcdefghijklmnopqrstuvwxyz0123456789") == strlen(m->rec_format);
	char *src =
	    talloc_asprintf(c->tmp, "%s/%s.%s", recdir, m->rec_sha256, plain ? m->rec_format : "?");
	char *name = talloc_asprintf(c->tmp, EXPORT_RECORDING_FILE, x->number,
				     plain ? m->rec_format : "bin");
	uint64_t bytes;
	int fd, rc = -EINVAL;

	if (!src || !name)
		return export_fail(err, errlen, "out of memory");
	fd = bundle_create(b, name, err, errlen);
	if (fd < 0)
		return -1;
	if (plain)
		rc = recording_copy(src, m->rec_sha256, fd, &bytes);
	close(fd);
	if (rc == -ENOSPC)
		return export_fail(err, errlen, "cannot copy %s into %s/%s: the disk is full", src,
				   b->dir, name);
	if (rc == 0) {
		x->rec_file = name;
		snprintf(x->rec_sha256, sizeof(x->rec_sha256), "%s", m->rec_sha256);
		fe->name = name;
		if (export_hash_file(b->dfd, name, fe->sha256, &fe->bytes) < 0)
			return export_fail(err, errlen, "cannot read back %s/%s: %s", b->dir, name,
					   strerror(errno));
		return 0;
	}
	/* Never left in the bundle as if it were the recording. */
	if (unlinkat(b->dfd, name, 0) < 0)
		return export_fail(err, errlen, "cannot remove %s/%s: %s", b->dir, name,
				   strerror(errno));
	b->n_written--; /* the last one bundle_create() remembered */
	x->rec = rc == -EBADMSG	 ? EXPORT_REC_ALTERED
		 : rc == -ENOENT ? EXPORT_REC_MISSING
				 : EXPORT_REC_UNREADABLE;
	x->rec_why = rc == -EBADMSG
			 ? "the archive's file does not match the SHA-256 the archive recorded "
			   "for it: not copied"
		     : rc == -ENOENT ? "the archive's file is missing: not copied"
				     : "the archive's file could not be read: not copied";
	*faults = talloc_asprintf_append(
	    *faults ? *faults : talloc_strdup(c->tmp, ""),
	    "call %zu of the bundle (archive call %" PRId64 "): %s: %s\n", x->number, call_id, src,
	    rc == -EBADMSG  ? "not as recorded (altered)"
	    : rc == -ENOENT ? "missing"
			    : strerror(-rc));
	return *faults ? 0 : export_fail(err, errlen, "out of memory");
}

/* Copy every recording that may leave (export_call.rec EXPORT_REC_COPIED so far) into
 * the bundle: files[] gets each copy, *n_files their number. */
static int copy_recordings(struct ctx *c, struct bundle *b, const char *recdir,
			   const struct rq_result *res, struct export_call *calls, size_t n_calls,
			   struct export_doc *d, struct file_entry *files, size_t *n_files,
			   char **faults, char *err, size_t errlen)
{
	*n_files = 0;
	for (size_t i = 0; i < n_calls; i++) {
		if (calls[i].rec == EXPORT_REC_COPIED) {
			if (c->progress)
				c->progress->fn(c->progress->arg, "copying recordings", i + 1,
						n_calls);
			if (copy_recording(c, b, recdir, res->calls[i].id, &calls[i],
					   &files[*n_files], faults, err, errlen) < 0)
				return -1;
			if (calls[i].rec == EXPORT_REC_COPIED)
				(*n_files)++;
		}
		d->rec_copied += calls[i].rec == EXPORT_REC_COPIED;
		d->rec_withheld += calls[i].rec == EXPORT_REC_WITHHELD;
		d->rec_faults += calls[i].rec >= EXPORT_REC_MISSING;
	}
	return 0;
}

/* Write the bundle's files (EXPORT_FILES), each durable before the manifest names it,
 * and read each back for the manifest: its SHA-256 and size in files[]. */
static int write_one(struct bundle *b, const struct export_doc *d, writer_fn fn,
		     struct file_entry *fe, char *err, size_t errlen)
{
	if (bundle_write(b, fe->name, fn, d, NULL, err, errlen) < 0)
		return -1;
	if (export_hash_file(b->dfd, fe->name, fe->sha256, &fe->bytes) < 0)
		return export_fail(err, errlen, "cannot read back %s/%s: %s", b->dir, fe->name,
				   strerror(errno));
	return 0;
}

/* Write the bundle's files (EXPORT_FILES, then a file per conversation when split), each
 * durable before the manifest names it, and read each back for the manifest: its SHA-256
 * and size in files[] (FIXED_FILES + n_conv of them). */
static int write_files(void *tmp, struct bundle *b, const struct export_doc *d,
		       struct file_entry *files, size_t *n_files,
		       const struct store_progress *progress, char *err, size_t errlen)
{
	size_t n = 0, total;

#define X(file) files[n++].name = file;
	EXPORT_FILES
#undef X
	if (n + 1 > FIXED_FILES)
		return export_fail(err, errlen, "FIXED_FILES is too small");
	total = n + (d->split ? d->n_conv : 0);
	for (size_t i = 0; i < n; i++) {
		if (progress)
			progress->fn(progress->arg, files[i].name, i + 1, total);
		if (write_one(b, d, writer_of(files[i].name), &files[i], err, errlen) < 0)
			return -1;
	}
	for (size_t k = 1; d->split && k <= d->n_conv; k++, n++) {
		struct export_doc one = *d;
		one.only_conv = k;
		files[n].name = talloc_asprintf(tmp, EXPORT_CONVERSATION_FILE, k);
		if (!files[n].name)
			return export_fail(err, errlen, "out of memory");
		if (progress)
			progress->fn(progress->arg, "writing conversations", n + 1, total);
		if (write_one(b, &one, export_html, &files[n], err, errlen) < 0)
			return -1;
	}
	*n_files = n;
	return 0;
}

/* Write the manifest of these files, read back its SHA-256 (what the archive records),
 * and make the directory durable. */
static int write_manifest(void *tmp, struct bundle *b, const struct export_doc *d,
			  const struct file_entry *files, size_t n_files, char manifest_sha[65],
			  char *err, size_t errlen)
{
	const char *manifest = manifest_text(tmp, d, files, n_files);
	int64_t size;

	if (!manifest)
		return export_fail(err, errlen, "out of memory");
	if (bundle_write(b, EXPORT_MANIFEST, NULL, d, manifest, err, errlen) < 0)
		return -1;
	if (export_hash_file(b->dfd, EXPORT_MANIFEST, manifest_sha, &size) < 0)
		return export_fail(err, errlen, "cannot read back %s/%s: %s", b->dir,
				   EXPORT_MANIFEST, strerror(errno));
	if (fsync(b->dfd) < 0)
		return export_fail(err, errlen, "cannot sync %s: %s", b->dir, strerror(errno));
	return 0;
}

/* Into the opened bundle: the recordings first (what became of each is in the other
 * files), then the files, each durable before the manifest names it; then the
 * manifest, whose SHA-256 goes into manifest_sha. */
static int write_bundle(struct ctx *c, struct bundle *b, struct store *s,
			const struct export_request *r, const struct rq_result *res,
			struct export_doc *d, char manifest_sha[65], char **faults, char *err,
			size_t errlen)
{
	struct file_entry *files =
	    talloc_zero_array(c->tmp, struct file_entry, FIXED_FILES + d->n_conv + d->n_calls + 1);
	struct file_entry *recs = talloc_zero_array(c->tmp, struct file_entry, d->n_calls + 1);
	const char *recdir =
	    r->recordings_dir ? r->recordings_dir : rec_call_recordings_dir(c->tmp, store_path(s));
	size_t n_files = 0, n_recs = 0;

	if (!files || !recs || !recdir)
		return export_fail(err, errlen, "out of memory");
	if (copy_recordings(c, b, recdir, res, c->calls, d->n_calls, d, recs, &n_recs, faults, err,
			    errlen) < 0 ||
	    write_files(c->tmp, b, d, files, &n_files, r->progress, err, errlen) < 0)
		return -1;
	memcpy(files + n_files, recs, n_recs * sizeof(*recs));
	n_files += n_recs;
	return write_manifest(c->tmp, b, d, files, n_files, manifest_sha, err, errlen);
}

int export_write(struct store *s, void *ctx, const struct export_request *r,
		 struct export_summary *out, char *err, size_t errlen)
{
	void *tmp = talloc_new(ctx);
	struct ctx c = {
	    .tmp = tmp, .staff_numbers_shown = r->staff_numbers_shown, .progress = r->progress};
	struct bundle b = {.dfd = -1};
	struct export_doc d = {0};
	struct chain_head head;
	struct store_person *persons = NULL;
	struct rq_result *res;
	char *faults = NULL;
	char created[32], manifest_sha[65], real[PATH_MAX];
	const char *officer, *os_user;
	int64_t at = store_now_ms();
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!tmp)
		return export_fail(err, errlen, "out of memory");
	if (check_request(r, err, errlen) < 0 || resolve_group(&b, r->group, err, errlen) < 0 ||
	    bundle_check(r->out_dir, err, errlen) < 0)
		goto done;
	b.dir = r->out_dir;
	res = select_records(s, &c, r, &head, &persons, &c.n_persons, err, errlen);
	if (!res)
		goto done;
	c.persons = persons;
	if (district_zone_get(s, tmp, &c.zone) < 0) {
		export_fail(err, errlen, "cannot read the district's time zone: %s",
			    store_errmsg(s));
		goto done;
	}
	if (key_redactor(&c, r, err, errlen) < 0)
		goto done;

	/* Who exported, and the document as it will leave the district. */
	store_format_time(created, sizeof(created), at);
	os_user = r->os_user ? r->os_user : access_os_user();
	// clang-format off
	officer = r->operator ? r->operator : os_user;
	// clang-format on
	if (build_doc(&c, r, res, &head, officer, os_user, created, &d) < 0) {
		export_fail(err, errlen, "out of memory");
		goto done;
	}

	/* A request of many conversations: an index, and a file per conversation. */
	d.split = d.n_conv > (r->split_over ? r->split_over : SPLIT_OVER_DEFAULT);
	if (bundle_open(&b, err, errlen) < 0 ||
	    write_bundle(&c, &b, s, r, res, &d, manifest_sha, &faults, err, errlen) < 0)
		goto remove;

	/* Only now, with the bundle on disk, is the export recorded. */
	struct record x = {
	    .r = r,
	    .res = res,
	    .d = &d,
	    .query_json = d.query_json,
	    .officer = officer,
	    .os_user = os_user,
	    .at = at,
	    .head = &head,
	    .manifest_sha256 = manifest_sha,
	    .out_dir = realpath(b.dir, real) ? real : b.dir,
	};
	if (record_export(s, &c, &x, out, err, errlen) < 0)
		goto remove;
	out->messages = d.n;
	out->deliveries = d.n_deliveries;
	out->calls = d.n_calls;
	out->rec_copied = d.rec_copied;
	out->rec_withheld = d.rec_withheld;
	out->rec_faults = d.rec_faults;
	out->rec_fault_lines = faults ? talloc_steal(ctx, faults) : NULL;
	for (size_t i = 0; i < d.n_review; i++) {
		if (!strncmp(d.review[i].rule, "kept", 4))
			out->kept++;
		else
			out->replaced++;
	}
	memcpy(out->manifest_sha256, manifest_sha, sizeof(out->manifest_sha256));
	close(b.dfd);
	b.dfd = -1;
	rc = 0;
	goto done;
remove:
	bundle_remove(&b);
done:
	if (b.dfd >= 0)
		close(b.dfd);
	talloc_free(b.written);
	talloc_free(tmp);
	return rc;
}
