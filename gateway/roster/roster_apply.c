/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Roster import: reading the files, working out the directory the district wants, and
 * writing the differences in one transaction. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <talloc.h>

#include "gateway/roster/roster_internal.h"

/* Columns each file must have; the rest are optional or ignored. */
static const char *const required_cols[RF_N][5] = {
    [RF_MANIFEST] = {"propertyName", "value", NULL},
    [RF_ORGS] = {"sourcedId", "name", "type", NULL},
    [RF_USERS] = {"sourcedId", "role", "givenName", "familyName", NULL},
    [RF_CLASSES] = {"sourcedId", "title", NULL},
    [RF_ENROLLMENTS] = {"classSourcedId", "userSourcedId", NULL},
    [RF_GUARDIANS] = {"student_id", "guardian_id", NULL},
    [RF_TEAMS] = {"tag", NULL},
    [RF_TITLES] = {"person", "title", NULL},
};

static void change(struct rimport *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void change(struct rimport *im, const char *fmt, ...)
{
	struct roster_report *r = im->rep;
	char **c = talloc_realloc(r, r->changes, char *, r->n_changes + 1);
	va_list ap;

	if (!c)
		return;
	r->changes = c;
	va_start(ap, fmt);
	c[r->n_changes++] = talloc_vasprintf(r, fmt, ap);
	va_end(ap);
}

/* One person or link the brakes count, named when among the first few. */
static void brake_count(struct rimport *im, enum roster_brake_kind k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void brake_count(struct rimport *im, enum roster_brake_kind k, const char *fmt, ...)
{
	struct roster_brake *b = &im->rep->brakes[k];
	va_list ap;

	b->n++;
	if (b->n_names >= ROSTER_BRAKE_NAMES)
		return;
	va_start(ap, fmt);
	b->names[b->n_names++] = talloc_vasprintf(im->rep, fmt, ap);
	va_end(ap);
}

static const char *or_none(const char *s)
{
	return s && *s ? s : "none";
}

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

/* --- The database as it is ------------------------------------------------------------- */

static int load_current(struct rimport *im)
{
	struct store_person *persons;
	struct store_team *teams;
	size_t n;

	if (store_persons_list(im->s, im->ctx, &persons, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct rperson *p = rim_person_new(im, NULL);
		if (!p)
			return -1;
		p->cur = persons[i];
		p->want = persons[i];
		/* What the brakes measure against: what is on file before the import. */
		if (p->cur.active) {
			im->rep->brakes[ROSTER_BRAKE_DEACTIVATED].of++;
			if (p->cur.phone) {
				im->rep->brakes[ROSTER_BRAKE_PHONES].of++;
				im->rep->brakes[ROSTER_BRAKE_PHONES_CHANGED].of++;
			}
		}
		if (p->cur.source_id)
			rmap_put(im->by_source, p->cur.source_id, p);
		rmap_put(im->by_handle, p->cur.handle, p);
	}
	if (store_teams_list(im->s, im->ctx, &teams, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct rteam *t = rim_team_new(im);
		if (!t)
			return -1;
		t->cur = teams[i];
		t->want = teams[i];
		if (t->cur.source_id)
			rmap_put(im->team_by_source, t->cur.source_id, t);
		rmap_put(im->team_by_tag, t->cur.tag, t);
	}
	return 0;
}

/* --- Working out what the district wants ----------------------------------------------- */

/* Persons an earlier import brought from a file read now, and that it no longer lists. */
static void deactivate_missing_persons(struct rimport *im)
{
	for (unsigned i = 0; i < im->n_persons; i++) {
		struct rperson *p = im->persons[i];

		if (!p->cur.id || p->seen_in != RF_N || p->keep || !p->cur.active)
			continue;
		if (!rim_origin_present(im, p->cur.origin, false))
			continue;
		p->want.active = false;
		p->want.manual_inactive = false;
	}
}

static void deactivate_missing_teams(struct rimport *im, const char *origin)
{
	for (unsigned i = 0; i < im->n_teams; i++) {
		struct rteam *t = im->teams[i];

		if (!t->cur.id || t->seen || t->keep || !t->cur.active)
			continue;
		if (!str_eq(t->cur.origin, origin) || !rim_origin_present(im, origin, true))
			continue;
		t->want.active = false;
		t->want.manual_inactive = false;
	}
}

/* Titles of the persons this import defines and titles.csv does not list: what they have
 * if it still fits their role, else what their SIS role implies. */
static void settle_titles(struct rimport *im)
{
	for (unsigned i = 0; i < im->n_persons; i++) {
		struct rperson *p = im->persons[i];
		enum dir_title t;

		if (p->seen_in == RF_N || p->title_listed || !p->want.active)
			continue;
		t = p->cur.id && !p->title_from_users ? p->cur.title : p->default_title;
		if (!dir_title_fits_role(t, p->want.role)) {
			/* Promoted by an earlier titles.csv: still so. */
			if (p->want.role == DIR_STAFF && dir_title_fits_role(t, DIR_ADMIN))
				p->want.role = DIR_ADMIN;
			else if (dir_title_fits_role(p->default_title, p->want.role))
				t = p->default_title;
			else
				t = DIR_T_NONE;
		}
		p->want.title = t;
	}
}

static int cmp_order(const void *a, const void *b)
{
	const struct rperson *x = *(struct rperson *const *)a, *y = *(struct rperson *const *)b;

	return x->order < y->order ? -1 : x->order > y->order;
}

static const char *who(void *ctx, const struct rperson *p)
{
	if (p->want.handle)
		return talloc_asprintf(ctx, "%s (%s %s)", p->want.handle, p->want.given,
				       p->want.family);
	return talloc_asprintf(ctx, "%s %s (%s)", p->want.given, p->want.family,
			       p->want.source_id ? p->want.source_id : "new");
}

/* One phone, one person: the router knows who texts by the number alone. Persons this
 * import does not define keep theirs; among the others, the first row wins. */
static void settle_phones(struct rimport *im)
{
	struct rmap *owner = rmap_new(im->ctx);
	struct rperson **seen = talloc_array(im->ctx, struct rperson *, im->n_persons + 1);
	unsigned n_seen = 0;

	for (unsigned i = 0; i < im->n_persons; i++) {
		struct rperson *p = im->persons[i];

		if (p->seen_in != RF_N && !p->keep) {
			seen[n_seen++] = p;
			continue;
		}
		if (p->keep)
			p->want = p->cur;
		if (p->want.active && p->want.phone && !rmap_get(owner, p->want.phone))
			rmap_put(owner, p->want.phone, p);
	}
	qsort(seen, n_seen, sizeof(seen[0]), cmp_order);
	for (unsigned i = 0; i < n_seen; i++) {
		struct rperson *p = seen[i], *other;

		if (!p->want.active || !p->want.phone)
			continue;
		other = rmap_get(owner, p->want.phone);
		if (other && other != p) {
			rim_problem(im, p->path, p->line,
				    "phone %s is already %s's; %s imported without a phone",
				    p->want.phone, who(im->ctx, other), who(im->ctx, p));
			p->want.phone = NULL;
			continue;
		}
		rmap_put(owner, p->want.phone, p);
	}
}

static int handle_taken(void *arg, const char *name)
{
	struct rimport *im = arg;

	return rmap_get(im->by_handle, name) != NULL;
}

static int tag_taken(void *arg, const char *name)
{
	struct rimport *im = arg;

	return rmap_get(im->team_by_tag, name) != NULL;
}

/* Handles for new persons. Where two people would share a short handle (two Sam O.s, or
 * a new Sam O. where @samo is taken), the new ones get given and family name (samortiz,
 * samoneil) rather than samo and samo2: a bare @samo must not reach one of them by import
 * order. @samo then asks "which one?" (router). */
static void assign_names(struct rimport *im)
{
	char base[64], name[80];
	struct rmap *bases = rmap_new(im->ctx);

	for (unsigned i = 0; i < im->n_persons; i++) {
		struct rperson *p = im->persons[i];

		if (p->cur.id || !p->want.given || !p->want.active)
			continue;
		roster_handle_base(base, sizeof(base), p->want.given, p->want.family);
		rmap_put(bases, base, (void *)((uintptr_t)rmap_get(bases, base) + 1));
	}
	for (unsigned i = 0; i < im->n_persons; i++) {
		struct rperson *p = im->persons[i];

		if (p->cur.id || !p->want.given)
			continue;
		roster_handle_base(base, sizeof(base), p->want.given, p->want.family);
		if (*base && ((uintptr_t)rmap_get(bases, base) > 1 || handle_taken(im, base)))
			roster_handle_long(base, sizeof(base), p->want.given, p->want.family);
		if (roster_unique_name(name, sizeof(name), base, store_role_word(p->want.role),
				       handle_taken, im) < 0)
			continue;
		p->want.handle = talloc_strdup(p, name);
		rmap_put(im->by_handle, name, p);
	}
	for (unsigned i = 0; i < im->n_teams; i++) {
		struct rteam *t = im->teams[i];
		size_t n = 0;

		if (t->cur.id || t->want.tag || !t->tag_base)
			continue;
		/* Class tags from the class code: "BIO-101" → "bio101". */
		for (const char *s = t->tag_base; *s && n < 24; s++) {
			char c = *s;
			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
				if (!n && c >= '0' && c <= '9')
					base[n++] = 'c';
				base[n++] = c;
			}
		}
		base[n] = '\0';
		if (roster_unique_name(name, sizeof(name), base, "class", tag_taken, im) < 0)
			continue;
		t->want.tag = talloc_strdup(t, name);
		rmap_put(im->team_by_tag, name, t);
	}
}

/* --- Writing the differences ----------------------------------------------------------- */

static char *person_diff(void *ctx, const struct store_person *a, const struct store_person *b)
{
	char *d = talloc_strdup(ctx, "");

#define DIFF(what, x, y)                                                                           \
	if (!str_eq(x, y))                                                                         \
	d = talloc_asprintf_append(d, "%s%s %s -> %s", *d ? ", " : "", what, or_none(x), or_none(y))
	DIFF("role", store_role_word(a->role), store_role_word(b->role));
	DIFF("title", store_title_word(a->title), store_title_word(b->title));
	DIFF("given name", a->given, b->given);
	DIFF("family name", a->family, b->family);
	DIFF("phone", a->phone, b->phone);
	DIFF("from", a->origin, b->origin);
#undef DIFF
	return d;
}

static int apply_persons(struct rimport *im)
{
	const char *actor = im->opt->actor;
	unsigned *cnt = im->rep->counts;

	for (unsigned i = 0; i < im->n_persons; i++) {
		struct rperson *p = im->persons[i];
		char *diff;

		if (p->keep)
			continue;
		if (!p->cur.id) {
			if (!p->want.active || !p->want.handle)
				continue;
			if (store_person_add(im->s, actor, &p->want) < 0)
				return -1;
			p->cur = p->want;
			cnt[ROSTER_PERSONS_ADDED]++;
			change(im, "added %s %s: %s %s%s%s", store_role_word(p->want.role),
			       p->want.handle, p->want.given, p->want.family,
			       p->want.phone ? ", " : ", no phone",
			       p->want.phone ? p->want.phone : "");
			continue;
		}
		diff = person_diff(im->ctx, &p->cur, &p->want);
		if (!*diff && p->cur.active == p->want.active &&
		    p->cur.manual_inactive == p->want.manual_inactive)
			continue;
		if (store_person_update(im->s, actor, &p->cur, &p->want) < 0)
			return -1;
		if (p->cur.active && p->want.active && p->cur.phone && !p->want.phone)
			brake_count(im, ROSTER_BRAKE_PHONES, "%s (%s %s)", p->want.handle,
				    p->want.given, p->want.family);
		/* A column mapped wrong (the guardians' numbers as the students') changes
		 * phones wholesale: the relay would text the wrong people. */
		if (p->cur.active && p->want.active && p->cur.phone && p->want.phone &&
		    strcmp(p->cur.phone, p->want.phone))
			brake_count(im, ROSTER_BRAKE_PHONES_CHANGED, "%s (%s %s)", p->want.handle,
				    p->want.given, p->want.family);
		if (p->cur.active && !p->want.active) {
			cnt[ROSTER_PERSONS_DEACTIVATED]++;
			/* A parent row merged into its staff member is still there. */
			if (!p->merged_into)
				brake_count(im, ROSTER_BRAKE_DEACTIVATED, "%s (%s %s)",
					    p->want.handle, p->want.given, p->want.family);
			change(im, "deactivated %s (%s %s): %s%s", p->want.handle, p->want.given,
			       p->want.family,
			       p->merged_into	    ? "the same person as "
			       : p->seen_in == RF_N ? "gone from the roster"
						    : "tobedeleted or disabled in users.csv",
			       !p->merged_into		     ? ""
			       : p->merged_into->want.handle ? p->merged_into->want.handle
							     : p->merged_into->want.given);
		} else if (!p->cur.active && p->want.active) {
			cnt[ROSTER_PERSONS_REACTIVATED]++;
			change(im, "reactivated %s (%s %s)%s%s", p->want.handle, p->want.given,
			       p->want.family, *diff ? ": " : "", diff);
		} else if (*diff) {
			cnt[ROSTER_PERSONS_UPDATED]++;
			change(im, "updated %s: %s", p->want.handle, diff);
		}
		p->cur = p->want;
	}
	return 0;
}

static int apply_teams(struct rimport *im, struct rmap *relays)
{
	const char *actor = im->opt->actor;
	unsigned *cnt = im->rep->counts;

	for (unsigned i = 0; i < im->n_teams; i++) {
		struct rteam *t = im->teams[i];
		char *d;

		if (t->keep || t->drop || (!t->cur.id && (!t->seen || !t->want.tag)))
			continue;
		if (t->relay) {
			int64_t id = (int64_t)(intptr_t)rmap_get(relays, t->relay);

			if (!id) {
				if (store_relay_ensure_as(im->s, im->opt->actor, t->relay, NULL,
							  &id) < 0)
					return -1;
				rmap_put(relays, t->relay, (void *)(intptr_t)id);
				cnt[ROSTER_RELAYS_ADDED]++;
				change(im, "added relay %s", t->relay);
			}
			t->want.relay_id = id;
			t->want.relay_number = t->relay;
		}
		if (!t->cur.id) {
			if (!t->want.active)
				continue;
			if (store_team_add(im->s, actor, &t->want) < 0)
				return -1;
			t->cur = t->want;
			cnt[ROSTER_TEAMS_ADDED]++;
			change(im, "added team %s: %s \"%s\", relay %s", t->want.tag, t->want.kind,
			       t->want.name, or_none(t->relay));
			continue;
		}
		d = talloc_strdup(im->ctx, "");
		if (!str_eq(t->cur.name, t->want.name))
			d = talloc_asprintf_append(d, "name %s -> %s", t->cur.name, t->want.name);
		if (!str_eq(t->cur.kind, t->want.kind))
			d = talloc_asprintf_append(d, "%skind %s -> %s", *d ? ", " : "",
						   t->cur.kind, t->want.kind);
		if (t->cur.relay_id != t->want.relay_id)
			d = talloc_asprintf_append(d, "%srelay %s -> %s", *d ? ", " : "",
						   or_none(t->cur.relay_number),
						   or_none(t->want.relay_number));
		if (!str_eq(t->cur.origin, t->want.origin))
			d = talloc_asprintf_append(d, "%sfrom %s -> %s", *d ? ", " : "",
						   or_none(t->cur.origin), or_none(t->want.origin));
		if (!*d && t->cur.active == t->want.active &&
		    t->cur.manual_inactive == t->want.manual_inactive)
			continue;
		if (store_team_update(im->s, actor, &t->cur, &t->want) < 0)
			return -1;
		if (t->cur.active && !t->want.active) {
			cnt[ROSTER_TEAMS_DEACTIVATED]++;
			change(im, "deactivated team %s", t->want.tag);
		} else if (!t->cur.active && t->want.active) {
			cnt[ROSTER_TEAMS_REACTIVATED]++;
			change(im, "reactivated team %s%s%s", t->want.tag, *d ? ": " : "", d);
		} else if (*d) {
			cnt[ROSTER_TEAMS_UPDATED]++;
			change(im, "updated team %s: %s", t->want.tag, d);
		}
		t->cur = t->want;
	}
	return 0;
}

static struct rperson *by_id(struct rmap *ids, int64_t id)
{
	char key[24];

	snprintf(key, sizeof(key), "%" PRId64, id);
	return rmap_get(ids, key);
}

static void put_id(struct rmap *ids, int64_t id, void *v)
{
	char key[24];

	snprintf(key, sizeof(key), "%" PRId64, id);
	rmap_put(ids, key, v);
}

static int apply_guardianships(struct rimport *im, struct rmap *ids)
{
	struct store_link *links;
	size_t n;
	struct rmap *wanted = rmap_new(im->ctx), *have = rmap_new(im->ctx);
	const char *actor = im->opt->actor;
	unsigned *cnt = im->rep->counts;
	char key[48];

	if (store_links_list(im->s, im->ctx, STORE_LINK_GUARDIAN, 0, &links, &n) < 0)
		return -1;
	im->rep->brakes[ROSTER_BRAKE_GUARDIANSHIPS].of = (unsigned)n;
	for (size_t i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "%" PRId64 "/%" PRId64, links[i].a, links[i].b);
		rmap_put(have, key, &links[i]);
	}
	for (unsigned i = 0; i < im->n_guardianships; i++) {
		struct rguardianship *g = &im->guardianships[i];
		struct store_link *l;
		int rc;

		if (!g->student->cur.id || !g->guardian->cur.id)
			continue;
		snprintf(key, sizeof(key), "%" PRId64 "/%" PRId64, g->student->cur.id,
			 g->guardian->cur.id);
		rmap_put(wanted, key, g);
		if (g->student->keep || g->guardian->keep)
			continue;
		l = rmap_get(have, key);
		if (l) {
			if (!g->relationship || str_eq(l->note, g->relationship))
				continue;
			rc = store_link_set_note(im->s, im->opt->actor, STORE_LINK_GUARDIAN, l->a,
						 l->b, g->relationship);
			if (rc < 0)
				return -1;
			if (rc > 0) {
				cnt[ROSTER_GUARDIANSHIPS_UPDATED]++;
				change(im, "updated guardianship %s/%s: relationship %s -> %s",
				       g->student->cur.handle, g->guardian->cur.handle,
				       or_none(l->note), g->relationship);
			}
			continue;
		}
		rc = store_link_add(im->s, actor, STORE_LINK_GUARDIAN, g->student->cur.id,
				    g->guardian->cur.id, g->relationship, g->origin);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			cnt[ROSTER_GUARDIANSHIPS_ADDED]++;
			change(im, "added guardianship %s/%s%s%s%s", g->student->cur.handle,
			       g->guardian->cur.handle, g->relationship ? " (" : "",
			       g->relationship ? g->relationship : "", g->relationship ? ")" : "");
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct rperson *st = by_id(ids, links[i].a), *gd = by_id(ids, links[i].b);

		snprintf(key, sizeof(key), "%" PRId64 "/%" PRId64, links[i].a, links[i].b);
		if (rmap_get(wanted, key) || !rim_origin_present(im, links[i].origin, false))
			continue;
		/* Links of rejected rows and of inactive persons stay: a person who comes
		 * back comes back with their family. A parent row merged into a staff member
		 * does not come back: its links moved to that person. */
		if (!st || !gd || st->keep || gd->keep || !st->want.active ||
		    (!gd->want.active && !gd->merged_into))
			continue;
		if (store_link_remove(im->s, actor, STORE_LINK_GUARDIAN, links[i].a, links[i].b) <
		    0)
			return -1;
		cnt[ROSTER_GUARDIANSHIPS_REMOVED]++;
		change(im, "removed guardianship %s/%s", st->cur.handle, gd->cur.handle);
		brake_count(im, ROSTER_BRAKE_GUARDIANSHIPS, "%s/%s", st->cur.handle,
			    gd->cur.handle);
	}
	return 0;
}

/* Make the links of kind k of `a` (a team or subgroup) what `want` lists; links added by
 * hand (no origin) stay. */
static int sync_links(struct rimport *im, struct rmap *ids, enum store_link_kind k, int64_t a,
		      const char *label, struct rperson **want, unsigned n_want, unsigned *added,
		      unsigned *removed, const char *origin)
{
	struct store_link *links;
	size_t n;
	const char *actor = im->opt->actor;
	const char *noun = k == STORE_LINK_OVERSEER ? "overseer" : "member";

	if (store_links_list(im->s, im->ctx, k, a, &links, &n) < 0)
		return -1;
	for (unsigned i = 0; i < n_want; i++) {
		int rc;

		if (!want[i]->cur.id)
			continue;
		rc = store_link_add(im->s, actor, k, a, want[i]->cur.id, NULL, origin);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			(*added)++;
			change(im, "added %s %s/%s", noun, label, want[i]->cur.handle);
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct rperson *p = by_id(ids, links[i].b);
		bool wanted = false;

		if (!links[i].origin || !p || p->keep || !p->want.active)
			continue;
		for (unsigned j = 0; j < n_want && !wanted; j++)
			wanted = want[j] == p;
		if (wanted)
			continue;
		if (store_link_remove(im->s, actor, k, a, links[i].b) < 0)
			return -1;
		(*removed)++;
		change(im, "removed %s %s/%s", noun, label, p->cur.handle);
	}
	return 0;
}

static int apply_team_links(struct rimport *im, struct rmap *ids)
{
	unsigned *cnt = im->rep->counts;

	for (unsigned i = 0; i < im->n_teams; i++) {
		struct rteam *t = im->teams[i];
		struct store_subgroup *groups;
		size_t n_groups;

		if (!t->owns_links || t->keep || t->drop || !t->cur.id || !t->want.active)
			continue;
		if (sync_links(im, ids, STORE_LINK_MEMBER, t->cur.id, t->cur.tag, t->members,
			       t->n_members, &cnt[ROSTER_MEMBERS_ADDED],
			       &cnt[ROSTER_MEMBERS_REMOVED], t->want.origin) < 0 ||
		    sync_links(im, ids, STORE_LINK_OVERSEER, t->cur.id, t->cur.tag, t->overseers,
			       t->n_overseers, &cnt[ROSTER_OVERSEERS_ADDED],
			       &cnt[ROSTER_OVERSEERS_REMOVED], t->want.origin) < 0)
			return -1;
		if (store_subgroups_list(im->s, im->ctx, t->cur.id, &groups, &n_groups) < 0)
			return -1;
		for (unsigned j = 0; j < t->n_subgroups; j++) {
			struct rsubgroup *g = &t->subgroups[j];
			int64_t gid = 0;
			char *label = talloc_asprintf(im->ctx, "%s.%s", t->cur.tag, g->name);

			for (size_t k = 0; k < n_groups && !gid; k++)
				if (!strcmp(groups[k].name, g->name))
					gid = groups[k].id;
			if (!gid) {
				if (store_subgroup_add(im->s, im->opt->actor, t->cur.id, g->name,
						       t->want.origin, &gid) < 0)
					return -1;
				cnt[ROSTER_SUBGROUPS_ADDED]++;
				change(im, "added subgroup %s", label);
			}
			if (sync_links(im, ids, STORE_LINK_SUBGROUP, gid, label, g->members,
				       g->n_members, &cnt[ROSTER_SUBGROUP_MEMBERS_ADDED],
				       &cnt[ROSTER_SUBGROUP_MEMBERS_REMOVED], t->want.origin) < 0)
				return -1;
		}
		for (size_t k = 0; k < n_groups; k++) {
			bool wanted = false;

			if (!groups[k].origin)
				continue;
			for (unsigned j = 0; j < t->n_subgroups && !wanted; j++)
				wanted = !strcmp(t->subgroups[j].name, groups[k].name);
			if (wanted)
				continue;
			if (store_subgroup_remove(im->s, im->opt->actor, groups[k].id) < 0)
				return -1;
			cnt[ROSTER_SUBGROUPS_REMOVED]++;
			change(im, "removed subgroup %s.%s", t->cur.tag, groups[k].name);
		}
	}
	return 0;
}

/* Whether a brake is over; when one is and the import is forced, the change log says so,
 * with who forced it and the counts. 1 when the import must stop, 0 to go on, -1 on a
 * database error. */
static int check_brakes(struct rimport *im)
{
	struct roster_report *r = im->rep;
	const struct roster_brakes def = {ROSTER_BRAKE_DEFAULT, ROSTER_BRAKE_DEFAULT};
	const struct roster_brakes *lim = im->opt->brakes ? im->opt->brakes : &def;
	static const char *const what[ROSTER_N_BRAKES] = {
	    "persons deactivated", "phones cleared", "guardianships removed", "phones changed"};
	char *detail;
	bool over = false;

	for (unsigned k = 0; k < ROSTER_N_BRAKES; k++) {
		struct roster_brake *b = &r->brakes[k];

		b->max = k == ROSTER_BRAKE_DEACTIVATED ? lim->max_deactivate : lim->max_cleared;
		b->over = roster_brake_over(b->n, b->of, b->max);
		over |= b->over;
	}
	if (!over)
		return 0;
	if (!im->opt->force) {
		r->stopped = true;
		return 1;
	}
	r->forced = true;
	detail =
	    talloc_asprintf(im->ctx, "%s: forced past the brakes by %s", im->dir, im->opt->actor);
	for (unsigned k = 0; k < ROSTER_N_BRAKES; k++) {
		const struct roster_brake *b = &r->brakes[k];

		detail = talloc_asprintf_append(detail, "; %s %u of %u (brake %u%%)%s", what[k],
						b->n, b->of, b->max, b->over ? ", over" : "");
	}
	return store_directory_change(im->s, im->opt->actor, "roster.forced", "roster", detail) < 0
		   ? -1
		   : 0;
}

static int apply(struct rimport *im)
{
	struct rmap *relays = rmap_new(im->ctx), *ids = rmap_new(im->ctx);
	struct store_relay *rl;
	size_t n_rl;
	unsigned total;
	int rc;

	if (store_relays_list(im->s, im->ctx, &rl, &n_rl) < 0)
		return -1;
	for (size_t i = 0; i < n_rl; i++)
		rmap_put(relays, rl[i].number, (void *)(intptr_t)rl[i].id);
	if (apply_persons(im) < 0 || apply_teams(im, relays) < 0)
		return -1;
	for (unsigned i = 0; i < im->n_persons; i++)
		if (im->persons[i]->cur.id)
			put_id(ids, im->persons[i]->cur.id, im->persons[i]);
	if (apply_guardianships(im, ids) < 0 || apply_team_links(im, ids) < 0)
		return -1;
	rc = check_brakes(im);
	if (rc)
		return rc;
	total = roster_changed(im->rep);
	if (total) {
		const unsigned *c = im->rep->counts;
		char *detail = talloc_asprintf(
		    im->ctx,
		    "%s: %u changes; persons +%u ~%u -%u; teams +%u ~%u -%u; members +%u -%u; "
		    "guardianships +%u -%u; %u rows rejected",
		    im->dir, total, c[ROSTER_PERSONS_ADDED], c[ROSTER_PERSONS_UPDATED],
		    c[ROSTER_PERSONS_DEACTIVATED], c[ROSTER_TEAMS_ADDED], c[ROSTER_TEAMS_UPDATED],
		    c[ROSTER_TEAMS_DEACTIVATED], c[ROSTER_MEMBERS_ADDED], c[ROSTER_MEMBERS_REMOVED],
		    c[ROSTER_GUARDIANSHIPS_ADDED], c[ROSTER_GUARDIANSHIPS_REMOVED], im->n_problems);
		if (store_directory_change(im->s, im->opt->actor, "roster.import", "roster",
					   detail) < 0)
			return -1;
	}
	return 0;
}

/* --- The import ------------------------------------------------------------------------ */

#define NO_ROSTER_FILES                                                                            \
	"no roster files (users.csv, classes.csv, enrollments.csv, guardians.csv, teams.csv, "     \
	"titles.csv; see docs/roster-formats.md)"

int roster_check_dir(const char *dir, char *err, size_t errlen)
{
	const char *sep = dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/";
	unsigned present = 0;
	struct stat st;

	if (stat(dir, &st) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", dir);
		return -1;
	}
	for (unsigned f = 0; f < RF_N; f++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s%s%s", dir, sep, rfile_names[f]);
		if (access(path, F_OK) < 0) {
			if (errno == ENOENT)
				continue;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		if (access(path, R_OK) < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		present++;
	}
	if (!present) {
		snprintf(err, errlen, "%s: %s", dir, NO_ROSTER_FILES);
		return -1;
	}
	return 0;
}

/* Read every roster file dir holds, and the manifest's promises. false when the import
 * cannot go on (reported as a file-level error). */
static bool read_files(struct rimport *im, const char *dir)
{
	struct roster_report *rep = im->rep;
	struct stat st;
	unsigned present = 0;

	if (stat(dir, &st) < 0) {
		rim_fatal(im, dir, 0, "%s", strerror(errno));
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		rim_fatal(im, dir, 0, "not a directory");
		return false;
	}
	for (unsigned f = 0; f < RF_N; f++) {
		int rc = rcsv_read(im, rfile_names[f], &im->files[f]);

		if (rc > 0) {
			const char **files =
			    talloc_realloc(rep, rep->files, const char *, rep->n_files + 1);
			if (files) {
				rep->files = files;
				files[rep->n_files++] = rfile_names[f];
			}
			present++;
			if (!rcsv_require(im, im->files[f], required_cols[f]))
				im->files[f] = NULL;
		}
	}
	if (im->failed)
		return false;
	if (!present) {
		rim_fatal(im, dir, 0, NO_ROSTER_FILES);
		return false;
	}
	return !im->files[RF_MANIFEST] || roster_read_manifest(im);
}

/* The directory the district wants: what the database holds with each file's rows
 * applied over it. Order matters: persons before the links that name them, titles
 * (which may make a teacher an administrator) before overseers, who must be
 * administrators. */
static void build_wanted(struct rimport *im)
{
	if (im->files[RF_ORGS])
		roster_read_orgs(im);
	if (im->files[RF_USERS])
		roster_read_users(im);
	if (im->files[RF_GUARDIANS])
		roster_read_guardians(im);
	deactivate_missing_persons(im);
	roster_resolve_agents(im);
	if (im->files[RF_TITLES])
		roster_read_titles(im);
	settle_titles(im);
	if (im->files[RF_CLASSES]) {
		roster_read_classes(im);
		deactivate_missing_teams(im, STORE_ORIGIN_ONEROSTER);
	}
	if (im->files[RF_ENROLLMENTS]) {
		roster_read_enrollments(im);
		for (unsigned i = 0; i < im->n_teams; i++) {
			struct rteam *t = im->teams[i];
			if (str_eq(t->want.origin, STORE_ORIGIN_ONEROSTER) && t->want.active)
				t->owns_links = true;
		}
	}
	if (im->files[RF_TEAMS]) {
		roster_read_teams(im);
		deactivate_missing_teams(im, STORE_ORIGIN_TEAMS);
	}
	settle_phones(im);
	assign_names(im);
}

/* Write the differences in one transaction, all or nothing; a dry run rolls it back. */
static void write_changes(struct rimport *im)
{
	struct store *s = im->s;
	int rc;

	if (store_begin(s) < 0) {
		rim_fatal(im, store_path(s), 0, "database: %s", store_errmsg(s));
		return;
	}
	rc = apply(im);
	if (rc < 0) {
		rim_fatal(im, store_path(s), 0, "database: %s; nothing imported", store_errmsg(s));
		store_rollback(s);
		memset(im->rep->counts, 0, sizeof(im->rep->counts));
		return;
	}
	/* Stopped at the brakes: nothing written; the counts say what it would have done. */
	if (rc > 0 || im->opt->dry_run) {
		store_rollback(s);
	} else if (store_commit(s) < 0) {
		rim_fatal(im, store_path(s), 0, "database: commit failed: %s; nothing imported",
			  store_errmsg(s));
		memset(im->rep->counts, 0, sizeof(im->rep->counts));
	}
}

enum roster_status roster_import(void *ctx, struct store *s, const char *dir,
				 const struct roster_options *opt, struct roster_report **report)
{
	struct roster_report *rep = talloc_zero(ctx, struct roster_report);
	void *tmp = talloc_new(NULL);
	struct rimport *im = talloc_zero(tmp, struct rimport);
	struct roster_options o = opt ? *opt : (struct roster_options){0};

	*report = rep;
	if (!rep || !im) {
		talloc_free(tmp);
		if (rep)
			rep->status = ROSTER_FAILED;
		return ROSTER_FAILED;
	}
	im->ctx = tmp;
	im->s = s;
	if (!o.actor || !*o.actor)
		o.actor = "roster import";
	im->opt = &o;
	im->rep = rep;
	im->dir = talloc_strdup(tmp, dir);
	im->by_source = rmap_new(tmp);
	im->by_handle = rmap_new(tmp);
	im->team_by_source = rmap_new(tmp);
	im->team_by_tag = rmap_new(tmp);
	im->guardianship_keys = rmap_new(tmp);
	im->org_ids = rmap_new(tmp);
	im->rejected = rmap_new(tmp);
	im->not_guardians = rmap_new(tmp);
	im->leaving = rmap_new(tmp);

	store_progress_say(o.progress, "reading the files", 1, 4);
	if (!read_files(im, dir))
		goto out;
	store_progress_say(o.progress, "reading the directory", 2, 4);
	if (load_current(im) < 0) {
		rim_fatal(im, store_path(s), 0, "database: %s", store_errmsg(s));
		goto out;
	}
	store_progress_say(o.progress, "working out the changes", 3, 4);
	build_wanted(im);
	store_progress_say(o.progress, "writing the changes", 4, 4);
	write_changes(im);
out:
	rim_sort_problems(im);
	rep->status = im->failed	? ROSTER_FAILED
		      : rep->stopped	? ROSTER_STOPPED
		      : rep->n_problems ? ROSTER_REJECTED
					: ROSTER_OK;
	talloc_free(tmp);
	return rep->status;
}

unsigned roster_changed(const struct roster_report *r)
{
	unsigned n = 0;

	for (unsigned i = 0; i < ROSTER_N_COUNTS; i++)
		n += r->counts[i];
	return n;
}

void roster_print_summary(FILE *f, const struct roster_report *r, const char *dir, bool verbose,
			  bool dry_run)
{
	const unsigned *c = r->counts;

	if (r->status == ROSTER_FAILED) {
		fprintf(f, "Nothing imported from %s.\n", dir);
		return;
	}
	fprintf(f, "Roster %s%s%s%s: ", dir, r->district ? " (" : "",
		r->district ? r->district : "", r->district ? ")" : "");
	for (unsigned i = 0; i < r->n_files; i++)
		fprintf(f, "%s%s", i ? ", " : "", r->files[i]);
	fprintf(f, "; %u rows\n", r->rows);
	if (r->not_guardians)
		fprintf(f,
			"%u user%s of a role not counted as guardians (relative, ...) not imported "
			"and never copied\n",
			r->not_guardians, r->not_guardians == 1 ? "" : "s");
	if (r->merged)
		fprintf(f,
			"%u staff member%s also listed as a parent or guardian: imported once, "
			"with both roles\n",
			r->merged, r->merged == 1 ? "" : "s");
	if (r->n_notes && !verbose)
		fprintf(f, "%u row%s or link%s left out on purpose (--verbose says which)\n",
			r->n_notes, r->n_notes == 1 ? "" : "s", r->n_notes == 1 ? "" : "s");
	if (verbose)
		for (unsigned i = 0; i < r->n_notes; i++)
			fprintf(f, "  left out: %s\n", r->notes[i]);
	if (verbose)
		for (unsigned i = 0; i < r->n_changes; i++)
			fprintf(f, "  %s\n", r->changes[i]);
	if (!roster_changed(r)) {
		fprintf(f, "No changes: the directory already matches this roster.\n");
	} else {
		fprintf(f, "%s\n",
			r->stopped ? "Would change (stopped at the brakes, nothing written):"
			: dry_run  ? "Would change (dry run, nothing written):"
				   : "Changed:");
		fprintf(f,
			"  persons        %u added, %u updated, %u deactivated, %u reactivated\n",
			c[ROSTER_PERSONS_ADDED], c[ROSTER_PERSONS_UPDATED],
			c[ROSTER_PERSONS_DEACTIVATED], c[ROSTER_PERSONS_REACTIVATED]);
		fprintf(f,
			"  teams          %u added, %u updated, %u deactivated, %u reactivated\n",
			c[ROSTER_TEAMS_ADDED], c[ROSTER_TEAMS_UPDATED], c[ROSTER_TEAMS_DEACTIVATED],
			c[ROSTER_TEAMS_REACTIVATED]);
		fprintf(f, "  memberships    %u added, %u removed\n", c[ROSTER_MEMBERS_ADDED],
			c[ROSTER_MEMBERS_REMOVED]);
		fprintf(f, "  guardianships  %u added, %u updated, %u removed\n",
			c[ROSTER_GUARDIANSHIPS_ADDED], c[ROSTER_GUARDIANSHIPS_UPDATED],
			c[ROSTER_GUARDIANSHIPS_REMOVED]);
		fprintf(f, "  subgroups      %u added, %u removed; members %u added, %u removed\n",
			c[ROSTER_SUBGROUPS_ADDED], c[ROSTER_SUBGROUPS_REMOVED],
			c[ROSTER_SUBGROUP_MEMBERS_ADDED], c[ROSTER_SUBGROUP_MEMBERS_REMOVED]);
		fprintf(f, "  overseers      %u added, %u removed\n", c[ROSTER_OVERSEERS_ADDED],
			c[ROSTER_OVERSEERS_REMOVED]);
		fprintf(f, "  relays         %u added\n", c[ROSTER_RELAYS_ADDED]);
	}
	if (r->n_problems)
		fprintf(f, "%u row%s rejected or partly imported (see the messages above).\n",
			r->n_problems, r->n_problems == 1 ? "" : "s");
}

bool roster_brake_over(unsigned n, unsigned of, unsigned max_pct)
{
	/* n / of > max / 100, in integers: no rounding lets 10.5 % pass a 10 % brake. */
	return of && (uint64_t)n * 100 > (uint64_t)max_pct * of;
}

int roster_parse_share(const char *s, unsigned *pct)
{
	unsigned v = 0;
	size_t i = 0;

	if (!s)
		return -EINVAL;
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > 100)
			return -EINVAL;
	}
	if (!i || (s[i] == '%' && s[i + 1]) || (s[i] && s[i] != '%'))
		return -EINVAL;
	*pct = v;
	return 0;
}

void roster_print_brakes(FILE *f, const struct roster_report *r)
{
	static const char *const would[ROSTER_N_BRAKES] = {
	    "This import would deactivate %u of the %u active persons",
	    "This import would clear the phone numbers of %u of the %u persons with one",
	    "This import would remove %u of the %u guardianships",
	    "This import would change the phone numbers of %u of the %u persons with one"};
	static const char *const did[ROSTER_N_BRAKES] = {
	    "This import deactivates %u of the %u active persons",
	    "This import clears the phone numbers of %u of the %u persons with one",
	    "This import removes %u of the %u guardianships",
	    "This import changes the phone numbers of %u of the %u persons with one"};

	for (unsigned k = 0; k < ROSTER_N_BRAKES; k++) {
		const struct roster_brake *b = &r->brakes[k];

		if (!b->over)
			continue;
		fprintf(f, r->forced ? did[k] : would[k], b->n, b->of);
		fprintf(f, " (%u%%; the brake is %u%%):", (unsigned)((uint64_t)b->n * 100 / b->of),
			b->max);
		for (unsigned i = 0; i < b->n_names; i++)
			fprintf(f, "%s %s", i ? "," : "", b->names[i]);
		if (b->n > b->n_names)
			fprintf(f, " and %u more", b->n - b->n_names);
		fputc('\n', f);
	}
}
