/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Resolving what the records officer typed, once per query, against the directory: a
 * person by handle, full name or phone number (a number not in the directory is kept as
 * E.164: its messages are records too), a team by tag or name, a relay number in any
 * spelling; and the text query checked by FTS5 before it drives anything. A person or
 * team that is not there, or a name several share, is an error naming them. */
#include <ctype.h>
#include <string.h>

#include <talloc.h>

#include "storage/model/phone_number.h"
#include "storage/records/records_query_internal.h"

static bool looks_like_number(const char *s)
{
	unsigned digits = 0;

	for (const char *c = s; *c; c++) {
		if (isdigit((unsigned char)*c))
			digits++;
		else if (!strchr("+-.() /", *c))
			return false;
	}
	return digits >= 7;
}

/* "Riley Chen (@rileyc, student), Riley Chen (@rileyc2, guardian)" */
static char *list_persons(struct run *r, sqlite3_stmt *st)
{
	char *out = talloc_strdup(r->tmp, "");

	while (out && sqlite3_step(st) == SQLITE_ROW)
		out = talloc_asprintf_append(out, "%s%s %s (@%s, %s)", *out ? ", " : "", TXT(st, 2),
					     TXT(st, 3), TXT(st, 1), TXT(st, 4));
	return out;
}

static int resolve_person(struct run *r, const char *in)
{
	static const char by_handle[] = "SELECT id, handle, given, family, role FROM persons"
					" WHERE handle = ?1 COLLATE NOCASE";
	static const char by_name[] =
	    "SELECT id, handle, given, family, role FROM persons"
	    " WHERE (given || ' ' || family) = ?1 COLLATE NOCASE ORDER BY id";
	static const char by_phone[] = "SELECT id, handle, given, family, role FROM persons"
				       " WHERE phone = ?1 ORDER BY id";
	char norm[32], *name;
	const char *why = "invalid";
	sqlite3_stmt *st;
	int n = 0;
	size_t len;

	while (isspace((unsigned char)*in))
		in++;
	len = strlen(in);
	while (len && isspace((unsigned char)in[len - 1]))
		len--;
	name = talloc_strndup(r->tmp, in, len);
	if (!name)
		return -1;
	/* "Jamie  Rivera" is Jamie Rivera. */
	for (char *w = name, *c = name;; c++) {
		if (isspace((unsigned char)*c) && (w == name || w[-1] == ' '))
			continue;
		*w++ = isspace((unsigned char)*c) ? ' ' : *c;
		if (!*c)
			break;
	}
	if (!*name) {
		rq_fail(r, "no person given");
		return -1;
	}
	if (name[0] != '@' && looks_like_number(name)) {
		if (phone_normalize(norm, sizeof(norm), name, "1", &why) < 0) {
			rq_fail(r, "'%s' is not a phone number: %s", name, why);
			return -1;
		}
		st = rq_prepare_tmp(r, by_phone);
		if (!st)
			return -1;
		store_bind_text(st, 1, norm);
		while (sqlite3_step(st) == SQLITE_ROW) {
			r->person_id = sqlite3_column_int64(st, 0);
			n++;
		}
		if (n > 1) {
			sqlite3_reset(st);
			rq_fail(r, "%s is the number of several persons: %s (give the handle)",
				norm, list_persons(r, st));
			return -1;
		}
		/* Not in the directory: the number's own messages are records too. */
		if (!n)
			r->number = talloc_strdup(r->res, norm);
		return 0;
	}
	st = rq_prepare_tmp(r, by_handle);
	if (!st)
		return -1;
	store_bind_text(st, 1, name[0] == '@' ? name + 1 : name);
	if (sqlite3_step(st) == SQLITE_ROW) {
		r->person_id = sqlite3_column_int64(st, 0);
		return 0;
	}
	if (name[0] == '@') {
		rq_fail(r, "no person with handle '%s' in the directory", name);
		return -1;
	}
	st = rq_prepare_tmp(r, by_name);
	if (!st)
		return -1;
	store_bind_text(st, 1, name);
	while (sqlite3_step(st) == SQLITE_ROW) {
		r->person_id = sqlite3_column_int64(st, 0);
		n++;
	}
	if (n > 1) {
		sqlite3_reset(st);
		rq_fail(r, "several persons are called '%s': %s (give the handle)", name,
			list_persons(r, st));
		return -1;
	}
	if (!n) {
		rq_fail(r,
			"no person '%s' in the directory (give a handle, a full name or a number)",
			name);
		return -1;
	}
	return 0;
}

static int resolve_team(struct run *r, const char *in)
{
	const char *tag = in[0] == '#' ? in + 1 : in;
	sqlite3_stmt *st;
	char *list;
	int n = 0;

	st = rq_prepare_tmp(r, "SELECT id FROM teams WHERE tag = ?1 COLLATE NOCASE");
	if (!st)
		return -1;
	store_bind_text(st, 1, tag);
	if (sqlite3_step(st) == SQLITE_ROW) {
		r->team_id = sqlite3_column_int64(st, 0);
		return 0;
	}
	st = rq_prepare_tmp(r,
			    "SELECT id, tag FROM teams WHERE name = ?1 COLLATE NOCASE ORDER BY id");
	if (!st)
		return -1;
	store_bind_text(st, 1, tag);
	list = talloc_strdup(r->tmp, "");
	while (list && sqlite3_step(st) == SQLITE_ROW) {
		r->team_id = sqlite3_column_int64(st, 0);
		list = talloc_asprintf_append(list, "%s#%s", n++ ? ", " : "", TXT(st, 1));
	}
	if (n > 1) {
		rq_fail(r, "several teams are called '%s': %s (give the tag)", in, list);
		return -1;
	}
	if (!n) {
		rq_fail(r, "no team '%s' in the directory", in);
		return -1;
	}
	return 0;
}

/* A relay number in any spelling: the directory's relay it denotes, else the number as
 * E.164 (a modem the directory does not know still has records). */
static int resolve_relay(struct run *r, const char *in)
{
	char digits[16] = "", norm[32];
	const char *why = "invalid";
	size_t n = 0;
	sqlite3_stmt *st;

	for (const char *c = in; *c; c++) {
		if (isdigit((unsigned char)*c)) {
			if (n + 1 >= sizeof(digits)) {
				rq_fail(r, "'%s' is not a relay number", in);
				return -1;
			}
			digits[n++] = *c;
		} else if (!strchr("+-.() /", *c)) {
			rq_fail(r, "'%s' is not a relay number", in);
			return -1;
		}
	}
	digits[n] = 0;
	if (n < 7) {
		rq_fail(r, "'%s' is not a relay number", in);
		return -1;
	}
	st = rq_prepare_tmp(r, "SELECT number FROM relays ORDER BY id");
	if (!st)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *num = TXT(st, 0);
		if (!strcmp(num + (num[0] == '+'), digits) || phone_digits_match(digits, num)) {
			r->relay = talloc_strdup(r->res, num);
			return 0;
		}
	}
	if (phone_normalize(norm, sizeof(norm), in, "1", &why) == 0)
		r->relay = talloc_strdup(r->res, norm);
	else
		r->relay = talloc_asprintf(r->res, "+%s", digits);
	return r->relay ? 0 : -1;
}

static int check_text(struct run *r)
{
	sqlite3_stmt *st;
	int rc;
	const char *t = r->q->text;

	while (*t && isspace((unsigned char)*t))
		t++;
	if (!*t) {
		rq_fail(r, "the text query is empty");
		return -1;
	}
	st =
	    rq_prepare_tmp(r, "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?1 LIMIT 1");
	if (!st)
		return -1;
	store_bind_text(st, 1, r->q->text);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		rq_fail(r, "bad text query '%s': %s", r->q->text, sqlite3_errmsg(r->db));
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

int rq_resolve(struct run *r)
{
	const struct rq_query *q = r->q;

	if (q->person && resolve_person(r, q->person) < 0)
		return -1;
	if (q->team && resolve_team(r, q->team) < 0)
		return -1;
	if (q->relay && resolve_relay(r, q->relay) < 0)
		return -1;
	if (q->text && check_text(r) < 0)
		return -1;
	return 0;
}
