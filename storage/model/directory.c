/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The in-memory directory: building it, indexing it, looking things up. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <talloc.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "storage/model/directory.h"

static const char *const role_names[] = {
    [DIR_STUDENT] = "student",
    [DIR_GUARDIAN] = "guardian",
    [DIR_STAFF] = "staff",
    [DIR_ADMIN] = "administrator",
};

static const char *const title_names[] = {
    [DIR_T_NONE] = "",
    [DIR_T_TEACHER] = "teacher",
    [DIR_T_COACH] = "coach",
    [DIR_T_ADVISOR] = "advisor",
    [DIR_T_VOLUNTEER] = "volunteer",
    [DIR_T_ATHLETIC_DIRECTOR] = "athletic director",
    [DIR_T_PRINCIPAL] = "principal",
    [DIR_T_COUNSELOR] = "counselor",
    [DIR_T_NURSE] = "nurse",
    [DIR_T_ASSISTANT_PRINCIPAL] = "assistant principal",
};

/* How a title reads in front of a name: "Coach Dana Lee", "Athletic Director Ana Ruiz". */
static const char *const title_prefix[] = {
    [DIR_T_NONE] = "",
    [DIR_T_TEACHER] = "",
    [DIR_T_COACH] = "Coach ",
    [DIR_T_ADVISOR] = "Advisor ",
    [DIR_T_VOLUNTEER] = "Volunteer ",
    [DIR_T_ATHLETIC_DIRECTOR] = "Athletic Director ",
    [DIR_T_PRINCIPAL] = "Principal ",
    [DIR_T_COUNSELOR] = "Counselor ",
    [DIR_T_NURSE] = "Nurse ",
    [DIR_T_ASSISTANT_PRINCIPAL] = "Assistant Principal ",
};

static const char *const exc_names[] = {
    [DIR_EXC_FAMILY] = "family",
    [DIR_EXC_GUARDIAN_PERMISSION] = "guardian_permission",
    [DIR_EXC_SAFETY] = "safety",
    [DIR_EXC_CONTACT_SHARING] = "contact_sharing",
};

const char *dir_role_name(enum dir_role r)
{
	return (unsigned)r < ARRAY_SIZE(role_names) ? role_names[r] : "?";
}

const char *dir_title_name(enum dir_title t)
{
	return (unsigned)t < ARRAY_SIZE(title_names) ? title_names[t] : "?";
}

const char *dir_exception_kind_name(enum dir_exception_kind k)
{
	return (unsigned)k < ARRAY_SIZE(exc_names) ? exc_names[k] : "?";
}

/* Compare words ignoring case and treating '_', '-' and ' ' alike. */
static bool word_eq(const char *a, const char *b)
{
	for (;; a++, b++) {
		char x = *a, y = *b;
		if (x == '_' || x == '-')
			x = ' ';
		if (y == '_' || y == '-')
			y = ' ';
		if (tolower((unsigned char)x) != tolower((unsigned char)y))
			return false;
		if (!x)
			return true;
	}
}

int dir_role_parse(const char *s, enum dir_role *out)
{
	static const struct {
		const char *w;
		enum dir_role r;
	} syn[] = {
	    {"student", DIR_STUDENT}, {"guardian", DIR_GUARDIAN},   {"parent", DIR_GUARDIAN},
	    {"staff", DIR_STAFF},     {"administrator", DIR_ADMIN}, {"admin", DIR_ADMIN},
	};
	if (!s)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(syn); i++) {
		if (word_eq(s, syn[i].w)) {
			*out = syn[i].r;
			return 0;
		}
	}
	return -1;
}

int dir_title_parse(const char *s, enum dir_title *out)
{
	if (!s)
		return -1;
	if (!*s || word_eq(s, "none")) {
		*out = DIR_T_NONE;
		return 0;
	}
	for (size_t i = 1; i < ARRAY_SIZE(title_names); i++) {
		if (word_eq(s, title_names[i])) {
			*out = (enum dir_title)i;
			return 0;
		}
	}
	if (word_eq(s, "ad")) {
		*out = DIR_T_ATHLETIC_DIRECTOR;
		return 0;
	}
	return -1;
}

bool dir_title_fits_role(enum dir_title t, enum dir_role r)
{
	switch (t) {
	case DIR_T_NONE:
		return true;
	case DIR_T_TEACHER:
	case DIR_T_COACH:
	case DIR_T_ADVISOR:
	case DIR_T_VOLUNTEER:
		return r == DIR_STAFF;
	case DIR_T_ATHLETIC_DIRECTOR:
	case DIR_T_PRINCIPAL:
	case DIR_T_ASSISTANT_PRINCIPAL:
		return r == DIR_ADMIN;
	case DIR_T_COUNSELOR:
	case DIR_T_NURSE:
		return r == DIR_STAFF || r == DIR_ADMIN;
	}
	return false;
}

int dir_exception_kind_parse(const char *s, enum dir_exception_kind *out)
{
	if (!s)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(exc_names); i++) {
		if (word_eq(s, exc_names[i])) {
			*out = (enum dir_exception_kind)i;
			return 0;
		}
	}
	return -1;
}

struct directory *dir_new(void *ctx)
{
	return talloc_zero(ctx, struct directory);
}

/* Append to a talloc'd pointer array. Arrays grow only through APPEND, so their capacity
 * is the power of two at or above the largest count they had: doubling when the count is
 * a power of two keeps loading 50,000 persons linear (growing by one was quadratic under
 * ASan's allocator). */
#define APPEND(parent, arr, n, item)                                                               \
	do {                                                                                       \
		if ((n) == 0 || ((n) & ((n)-1)) == 0)                                              \
			(arr) = talloc_realloc(parent, arr, __typeof__(*(arr)),                    \
					       (n) < 2 ? 2 : 2 * (n));                             \
		(arr)[(n)++] = (item);                                                             \
	} while (0)

static char *make_display(void *ctx, const struct dir_person_spec *s)
{
	const char *given = s->given ? s->given : "";
	const char *family = s->family ? s->family : "";

	if (s->role == DIR_STAFF || s->role == DIR_ADMIN) {
		const char *pre = title_prefix[s->title];
		if (s->title == DIR_T_NONE || s->title == DIR_T_TEACHER)
			pre = s->role == DIR_ADMIN ? "Administrator " : "";
		return talloc_asprintf(ctx, "%s%s%s%s", pre, given, *family ? " " : "", family);
	}
	/* Students and guardians: given name and family initial, as a team would say it.
	 * The initial is the first UTF-8 character, not the first byte. */
	if (!*family)
		return talloc_strdup(ctx, given);
	size_t n = 1;
	while (family[n] && ((unsigned char)family[n] & 0xC0) == 0x80)
		n++;
	return talloc_asprintf(ctx, "%s %.*s.", given, (int)n, family);
}

static char *dup_or_null(void *ctx, const char *s)
{
	return s && *s ? talloc_strdup(ctx, s) : NULL;
}

struct dir_person *dir_add_person(struct directory *d, const struct dir_person_spec *spec)
{
	struct dir_person *p = talloc_zero(d, struct dir_person);

	p->id = spec->id;
	p->source_id = dup_or_null(p, spec->source_id);
	p->role = spec->role;
	p->title = (unsigned)spec->title <= DIR_T_ASSISTANT_PRINCIPAL ? spec->title : DIR_T_NONE;
	p->given = talloc_strdup(p, spec->given ? spec->given : "");
	p->family = talloc_strdup(p, spec->family ? spec->family : "");
	p->handle = talloc_strdup(p, spec->handle ? spec->handle : "");
	p->phone = dup_or_null(p, spec->phone);
	struct dir_person_spec s = *spec;
	s.title = p->title;
	p->display = make_display(p, &s);
	APPEND(d, d->persons, d->n_persons, p);
	d->finished = false;
	return p;
}

const struct value_string dir_team_kind_names[] = {
    {DIR_TEAM_SPORTS, "sports"},
    {DIR_TEAM_CLUB, "club"},
    {DIR_TEAM_CLASS, "class"},
    {DIR_TEAM_BUILDING, "building"},
    {0, NULL},
};

int dir_team_kind_from_word(const char *word, enum dir_team_kind *out)
{
	/* get_string_value() ignores case; the words stored and rostered do not vary. */
	for (const struct value_string *v = dir_team_kind_names; word && v->str; v++)
		if (!strcmp(v->str, word)) {
			*out = (enum dir_team_kind)v->value;
			return 0;
		}
	return -1;
}

struct dir_team *dir_add_team(struct directory *d, int64_t id, const char *source_id,
			      const char *tag, const char *name, enum dir_team_kind kind)
{
	struct dir_team *t = talloc_zero(d, struct dir_team);

	t->id = id;
	t->source_id = dup_or_null(t, source_id);
	t->tag = talloc_strdup(t, tag ? tag : "");
	t->name = talloc_strdup(t, name ? name : t->tag);
	t->kind = kind;
	APPEND(d, d->teams, d->n_teams, t);
	d->finished = false;
	return t;
}

struct dir_relay *dir_add_relay(struct directory *d, int64_t id, const char *number,
				const char *label)
{
	struct dir_relay *r;

	if (d->n_relays >= DIR_MAX_RELAYS)
		return NULL;
	r = talloc_zero(d, struct dir_relay);
	r->id = id;
	r->index = d->n_relays;
	r->number = talloc_strdup(r, number ? number : "");
	r->label = dup_or_null(r, label);
	APPEND(d, d->relays, d->n_relays, r);
	return r;
}

static bool contains(void *const *arr, unsigned n, const void *p)
{
	for (unsigned i = 0; i < n; i++)
		if (arr[i] == p)
			return true;
	return false;
}

void dir_team_set_relay(struct dir_team *t, struct dir_relay *r)
{
	struct dir_relay *old = t->relay;

	if (old == r)
		return;
	if (old) {
		for (unsigned i = 0; i < old->n_teams; i++) {
			if (old->teams[i] == t) {
				memmove(&old->teams[i], &old->teams[i + 1],
					(old->n_teams - i - 1) * sizeof(old->teams[0]));
				old->n_teams--;
				break;
			}
		}
	}
	t->relay = r;
	if (r)
		APPEND(r, r->teams, r->n_teams, t);
}

void dir_team_add_member(struct dir_team *t, struct dir_person *p)
{
	if (dir_team_has_member(t, p))
		return;
	if (p->role == DIR_STUDENT)
		APPEND(t, t->students, t->n_students, p);
	else if (p->role == DIR_STAFF || p->role == DIR_ADMIN)
		APPEND(t, t->staff, t->n_staff, p);
	else
		return; /* guardians are reached through their wards, not as members */
	APPEND(p, p->teams, p->n_teams, t);
}

void dir_team_add_overseer(struct dir_team *t, struct dir_person *admin)
{
	if (!contains((void *const *)t->overseers, t->n_overseers, admin))
		APPEND(t, t->overseers, t->n_overseers, admin);
}

struct dir_subgroup *dir_team_add_subgroup(struct dir_team *t, int64_t id, const char *name)
{
	struct dir_subgroup *g = talloc_zero(t, struct dir_subgroup);

	g->id = id;
	g->team = t;
	g->name = talloc_strdup(g, name ? name : "");
	APPEND(t, t->subgroups, t->n_subgroups, g);
	return g;
}

void dir_subgroup_add(struct dir_subgroup *g, struct dir_person *student)
{
	if (!contains((void *const *)g->members, g->n_members, student))
		APPEND(g, g->members, g->n_members, student);
}

void dir_add_guardianship(struct dir_person *student, struct dir_person *guardian)
{
	if (contains((void *const *)student->guardians, student->n_guardians, guardian))
		return;
	APPEND(student, student->guardians, student->n_guardians, guardian);
	APPEND(guardian, guardian->wards, guardian->n_wards, student);
}

struct dir_exception *dir_add_exception(struct directory *d, int64_t id, struct dir_person *staff,
					struct dir_person *student, enum dir_exception_kind kind,
					const char *reason, struct dir_person *approved_by,
					time_t created, time_t expires)
{
	struct dir_exception *e = talloc_zero(d, struct dir_exception);

	e->id = id;
	e->staff = staff;
	e->student = student;
	e->kind = kind;
	e->reason = talloc_strdup(e, reason ? reason : "");
	e->approved_by = approved_by;
	e->created = created;
	e->expires = expires;
	APPEND(d, d->exceptions, d->n_exceptions, e);
	return e;
}

static int cmp_phone(const void *a, const void *b)
{
	return strcmp((*(struct dir_person *const *)a)->phone,
		      (*(struct dir_person *const *)b)->phone);
}

static int cmp_handle(const void *a, const void *b)
{
	return strcmp((*(struct dir_person *const *)a)->handle,
		      (*(struct dir_person *const *)b)->handle);
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = (*(struct dir_person *const *)a)->id, y = (*(struct dir_person *const *)b)->id;
	return x < y ? -1 : x > y;
}

static int cmp_tag(const void *a, const void *b)
{
	return strcmp((*(struct dir_team *const *)a)->tag, (*(struct dir_team *const *)b)->tag);
}

void dir_finish(struct directory *d)
{
	unsigned i, j;

	talloc_free(d->by_phone);
	talloc_free(d->by_handle);
	talloc_free(d->by_id);
	talloc_free(d->teams_by_tag);
	d->by_phone = talloc_array(d, struct dir_person *, d->n_persons + 1);
	d->by_handle = talloc_array(d, struct dir_person *, d->n_persons + 1);
	d->by_id = talloc_array(d, struct dir_person *, d->n_persons + 1);
	d->teams_by_tag = talloc_array(d, struct dir_team *, d->n_teams + 1);
	d->n_by_phone = 0;
	for (i = 0; i < d->n_persons; i++) {
		if (d->persons[i]->phone)
			d->by_phone[d->n_by_phone++] = d->persons[i];
		d->by_handle[i] = d->persons[i];
		d->by_id[i] = d->persons[i];
	}
	qsort(d->by_phone, d->n_by_phone, sizeof(d->by_phone[0]), cmp_phone);
	qsort(d->by_handle, d->n_persons, sizeof(d->by_handle[0]), cmp_handle);
	qsort(d->by_id, d->n_persons, sizeof(d->by_id[0]), cmp_id);
	for (i = 0; i < d->n_teams; i++)
		d->teams_by_tag[i] = d->teams[i];
	qsort(d->teams_by_tag, d->n_teams, sizeof(d->teams_by_tag[0]), cmp_tag);

	/* Default oversight: the athletic director(s) for sports, the principal(s) otherwise,
	 * so that no team's staff messages go unwatched because a CSV left a column empty. */
	for (i = 0; i < d->n_teams; i++) {
		struct dir_team *t = d->teams[i];
		enum dir_title want;
		if (t->n_overseers)
			continue;
		want = t->kind == DIR_TEAM_SPORTS ? DIR_T_ATHLETIC_DIRECTOR : DIR_T_PRINCIPAL;
		for (j = 0; j < d->n_persons; j++)
			if (d->persons[j]->role == DIR_ADMIN && d->persons[j]->title == want)
				dir_team_add_overseer(t, d->persons[j]);
		if (!t->n_overseers && want == DIR_T_ATHLETIC_DIRECTOR)
			for (j = 0; j < d->n_persons; j++)
				if (d->persons[j]->role == DIR_ADMIN &&
				    d->persons[j]->title == DIR_T_PRINCIPAL)
					dir_team_add_overseer(t, d->persons[j]);
	}
	d->finished = true;
}

struct dir_person *dir_person_by_phone(const struct directory *d, const char *e164)
{
	struct dir_person key = {.phone = e164}, *kp = &key, **hit;

	if (!e164 || !d->finished)
		return NULL;
	hit = bsearch(&kp, d->by_phone, d->n_by_phone, sizeof(d->by_phone[0]), cmp_phone);
	return hit ? *hit : NULL;
}

struct dir_person *dir_person_by_handle(const struct directory *d, const char *handle)
{
	struct dir_person key = {.handle = handle}, *kp = &key, **hit;

	if (!handle || !d->finished)
		return NULL;
	hit = bsearch(&kp, d->by_handle, d->n_persons, sizeof(d->by_handle[0]), cmp_handle);
	return hit ? *hit : NULL;
}

struct dir_person *dir_person_by_id(const struct directory *d, int64_t id)
{
	struct dir_person key = {.id = id}, *kp = &key, **hit;

	if (!d->finished)
		return NULL;
	hit = bsearch(&kp, d->by_id, d->n_persons, sizeof(d->by_id[0]), cmp_id);
	return hit ? *hit : NULL;
}

struct dir_team *dir_team_by_tag(const struct directory *d, const char *tag)
{
	struct dir_team key = {.tag = tag}, *kp = &key, **hit;

	if (!tag || !d->finished)
		return NULL;
	hit = bsearch(&kp, d->teams_by_tag, d->n_teams, sizeof(d->teams_by_tag[0]), cmp_tag);
	return hit ? *hit : NULL;
}

struct dir_relay *dir_relay_by_number(const struct directory *d, const char *e164)
{
	if (!e164)
		return NULL;
	for (unsigned i = 0; i < d->n_relays; i++)
		if (!strcmp(d->relays[i]->number, e164))
			return d->relays[i];
	return NULL;
}

struct dir_subgroup *dir_subgroup_by_name(const struct dir_team *t, const char *name)
{
	if (!name)
		return NULL;
	for (unsigned i = 0; i < t->n_subgroups; i++)
		if (!strcasecmp(t->subgroups[i]->name, name))
			return t->subgroups[i];
	return NULL;
}

bool dir_team_has_member(const struct dir_team *t, const struct dir_person *p)
{
	for (unsigned i = 0; i < p->n_teams; i++)
		if (p->teams[i] == t)
			return true;
	return false;
}

bool dir_is_guardian_of(const struct dir_person *guardian, const struct dir_person *student)
{
	return contains((void *const *)student->guardians, student->n_guardians, guardian);
}

/* Add t to the array of n unless it is there; -1 when memory ran out. */
static int add_team_once(void *ctx, struct dir_team ***out, unsigned *n, struct dir_team *t)
{
	struct dir_team **grown;

	if (contains((void *const *)*out, *n, t))
		return 0;
	grown = talloc_realloc(ctx, *out, struct dir_team *, *n + 1);
	if (!grown)
		return -1;
	grown[(*n)++] = t;
	*out = grown;
	return 0;
}

int dir_teams_on_relay(void *ctx, const struct dir_person *p, const struct dir_relay *relay,
		       struct dir_team ***out)
{
	unsigned n = 0;

	*out = NULL;
	for (unsigned i = 0; i < p->n_teams; i++)
		if (p->teams[i]->relay == relay && add_team_once(ctx, out, &n, p->teams[i]) < 0)
			return -1;
	for (unsigned w = 0; w < p->n_wards; w++) {
		const struct dir_person *s = p->wards[w];
		for (unsigned i = 0; i < s->n_teams; i++)
			if (s->teams[i]->relay == relay &&
			    add_team_once(ctx, out, &n, s->teams[i]) < 0)
				return -1;
	}
	return (int)n;
}

struct dir_exception *dir_exception_find(const struct directory *d, const struct dir_person *staff,
					 const struct dir_person *student, int kind, time_t now)
{
	for (unsigned i = 0; i < d->n_exceptions; i++) {
		struct dir_exception *e = d->exceptions[i];
		if (e->staff != staff || e->student != student || now >= e->expires)
			continue;
		if (kind < 0)
			return e;
		if ((int)e->kind == kind)
			return e;
	}
	return NULL;
}

struct dir_exception *dir_exception_expired(const struct directory *d,
					    const struct dir_person *staff,
					    const struct dir_person *student, time_t now)
{
	struct dir_exception *last = NULL;

	for (unsigned i = 0; i < d->n_exceptions; i++) {
		struct dir_exception *e = d->exceptions[i];
		if (e->staff == staff && e->student == student && now >= e->expires &&
		    (!last || e->expires > last->expires))
			last = e;
	}
	return last;
}

bool dir_reachable(const struct dir_person *p, const struct dir_relay *relay)
{
	if (!p->phone)
		return false;
	return !relay || !(p->opted_out & (1u << relay->index));
}

bool dir_writes_as_staff(const struct dir_person *p, const struct dir_relay *relay)
{
	if (!dir_is_staff_side(p))
		return false;
	if (!p->n_wards || !relay)
		return true;
	for (unsigned i = 0; i < p->n_teams; i++)
		if (p->teams[i]->relay == relay)
			return true;
	for (unsigned i = 0; i < relay->n_teams; i++)
		for (unsigned k = 0; k < relay->teams[i]->n_overseers; k++)
			if (relay->teams[i]->overseers[k] == p)
				return true;
	/* Staff of nothing here: a parent when a child's team is served, else staff (and
	 * told so by the usual "not on the staff" answer). */
	for (unsigned w = 0; w < p->n_wards; w++)
		for (unsigned i = 0; i < p->wards[w]->n_teams; i++)
			if (p->wards[w]->teams[i]->relay == relay)
				return false;
	return true;
}
