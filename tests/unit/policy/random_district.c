/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Random districts for the policy property tests (random_district.h). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "tests/unit/policy/random_district.h"

uint64_t rng_state;

uint64_t rnd(void)
{
	/* splitmix64: tiny, good enough, reproducible across platforms. */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

unsigned below(unsigned n)
{
	return n ? (unsigned)(rnd() % n) : 0;
}

bool chance(unsigned percent)
{
	return below(100) < percent;
}

/* ---- random districts ---- */

static int64_t next_id;

static char *random_phone(void *ctx, struct world *w)
{
	/* Now and then a family shares one phone. */
	if (w->n_everyone && chance(3)) {
		struct dir_person *o = w->everyone[below(w->n_everyone)];
		if (o->phone)
			return talloc_strdup(ctx, o->phone);
	}
	if (chance(15)) /* a UK number: 44 and ten digits */
		return talloc_asprintf(ctx, "+447%03u%06u", below(1000), below(1000000));
	return talloc_asprintf(ctx, "+1%u%02u%u%02u%04u", 2 + below(8), below(100), 2 + below(8),
			       below(100), below(10000));
}

static struct dir_person *add_person(void *tmp, struct world *w, enum dir_role role)
{
	static const enum dir_title staff_titles[] = {DIR_T_COACH, DIR_T_ADVISOR, DIR_T_TEACHER,
						      DIR_T_VOLUNTEER, DIR_T_NONE};
	static const enum dir_title admin_titles[] = {DIR_T_ATHLETIC_DIRECTOR, DIR_T_PRINCIPAL,
						      DIR_T_COUNSELOR, DIR_T_NONE};
	static const char *const given[] = {"Dana", "Jamie", "Alex", "Pat",	    "Sam",
					    "Lee",  "Kai",   "Noa",  "Jos\xc3\xa9", "Ren"};
	static const char *const family[] = {"Lee",  "Rivera", "Kim",
					     "Park", "Ortiz",  "\xc3\x96zt\xc3\xbcrk",
					     "Ng",   "O'Neil", "Smith"};
	struct dir_person_spec s = {0};
	struct dir_person *p;
	int64_t id = ++next_id;

	s.id = id;
	s.role = role;
	s.title = role == DIR_STAFF   ? staff_titles[below(5)]
		  : role == DIR_ADMIN ? admin_titles[below(4)]
				      : DIR_T_NONE;
	s.given = given[below(10)];
	s.family = family[below(9)];
	s.handle = talloc_asprintf(tmp, "p%" PRId64, id);
	s.phone = chance(role == DIR_STUDENT ? 15 : 8) ? NULL : random_phone(tmp, w);
	p = dir_add_person(w->d, &s);
	w->everyone = talloc_realloc(w->d, w->everyone, struct dir_person *, w->n_everyone + 1);
	w->everyone[w->n_everyone++] = p;
	return p;
}

#define PUSH(w, arr, n, p)                                                                         \
	do {                                                                                       \
		(arr) = talloc_realloc((w)->d, arr, struct dir_person *, (n) + 1);                 \
		(arr)[(n)++] = (p);                                                                \
	} while (0)

uint32_t last6_of(const char *digits, size_t n)
{
	uint32_t k = 0;

	for (size_t i = n - 6; i < n; i++)
		k = k * 10 + (uint32_t)(digits[i] - '0');
	return k;
}

static int cmp_key(const void *a, const void *b)
{
	uint32_t x = ((const struct key *)a)->last6, y = ((const struct key *)b)->last6;
	return x < y ? -1 : x > y;
}

struct world *build_world(void *ctx)
{
	struct world *w = talloc_zero(ctx, struct world);
	void *tmp = talloc_new(w);
	struct dir_relay *relays[3];
	unsigned n_relays = 1 + below(3), n_teams = 1 + below(5), n_admins = below(4);

	w->d = dir_new(w);
	for (unsigned i = 0; i < n_relays; i++)
		relays[i] =
		    dir_add_relay(w->d, i + 1, talloc_asprintf(tmp, "+1555000000%u", i), NULL);
	for (unsigned i = 0; i < n_admins; i++)
		PUSH(w, w->staff, w->n_staff, add_person(tmp, w, DIR_ADMIN));
	for (unsigned i = 0, n = 2 + below(7); i < n; i++)
		PUSH(w, w->staff, w->n_staff, add_person(tmp, w, DIR_STAFF));
	for (unsigned i = 0, n = 5 + below(26); i < n; i++) {
		struct dir_person *s = add_person(tmp, w, DIR_STUDENT);
		PUSH(w, w->students, w->n_students, s);
		for (unsigned g = 0, ng = below(4); g < ng; g++) {
			struct dir_person *gp;
			if (w->n_guardians && chance(20)) /* a sibling's guardian */
				gp = w->guardians[below(w->n_guardians)];
			else if (chance(3)) /* a staff member who is a parent */
				gp = w->staff[below(w->n_staff)];
			else
				PUSH(w, w->guardians, w->n_guardians,
				     gp = add_person(tmp, w, DIR_GUARDIAN));
			dir_add_guardianship(s, gp);
		}
		if (chance(20))
			PUSH(w, w->relatives, w->n_relatives, add_person(tmp, w, DIR_GUARDIAN));
	}
	for (unsigned i = 0; i < n_teams; i++) {
		struct dir_team *t =
		    dir_add_team(w->d, i + 1, NULL, talloc_asprintf(tmp, "t%u", i),
				 talloc_asprintf(tmp, "Team %u", i), (enum dir_team_kind)below(4));
		if (!chance(10))
			dir_team_set_relay(t, relays[below(n_relays)]);
		for (unsigned k = 0, n = 1 + below(3); k < n; k++)
			dir_team_add_member(t, w->staff[below(w->n_staff)]);
		for (unsigned k = 0; k < w->n_students; k++)
			if (chance(40))
				dir_team_add_member(t, w->students[k]);
		if (chance(20) && n_admins)
			dir_team_add_overseer(t, w->staff[below(n_admins)]);
		for (unsigned g = 0, ng = below(3); g < ng && t->n_students; g++) {
			struct dir_subgroup *sg = dir_team_add_subgroup(
			    t, i * 10 + g + 1, talloc_asprintf(tmp, "g%u", g));
			for (unsigned k = 0, n = below(5); k < n; k++)
				dir_subgroup_add(sg, t->students[below(t->n_students)]);
		}
	}
	/* Most students play somewhere. */
	for (unsigned k = 0; k < w->n_students; k++)
		if (!w->students[k]->n_teams && chance(90))
			dir_team_add_member(w->d->teams[below(w->d->n_teams)], w->students[k]);
	/* Exceptions between staff and students of their teams, about half expired. */
	for (unsigned i = 0, n = below(3 * n_teams + 1); i < n; i++) {
		struct dir_team *t = w->d->teams[below(w->d->n_teams)];
		time_t expires = NOW + (time_t)below(7200) - 3600;
		if (!t->n_students)
			continue;
		dir_add_exception(w->d, i + 1, t->staff[below(t->n_staff)],
				  t->students[below(t->n_students)],
				  (enum dir_exception_kind)below(4), "test",
				  n_admins ? w->staff[0] : NULL, NOW - 86400, expires);
	}
	dir_finish(w->d);
	for (unsigned i = 0; i < w->n_everyone; i++) {
		struct dir_person *p = w->everyone[i];
		for (unsigned r = 0; r < n_relays; r++) {
			if (chance(15))
				p->opted_out |= 1u << r;
			if (chance(70))
				p->noticed |= 1u << r;
		}
	}

	w->keys = talloc_array(w, struct key, w->n_everyone + 1);
	for (unsigned i = 0; i < w->n_everyone; i++) {
		const char *ph = w->everyone[i]->phone;
		if (ph)
			w->keys[w->n_keys++] =
			    (struct key){last6_of(ph + 1, strlen(ph + 1)), w->everyone[i]};
	}
	qsort(w->keys, w->n_keys, sizeof(w->keys[0]), cmp_key);
	talloc_free(tmp);
	return w;
}
