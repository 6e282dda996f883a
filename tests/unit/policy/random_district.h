/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Random districts for the policy engine's property tests (texts and calls): staff,
 * administrators, students with zero to three guardians (a sibling's guardian, a staff
 * member who is a parent), relatives who are no guardian, shared family phones, UK
 * numbers, teams on one to three relay numbers, subgroups, overseers, exceptions about
 * half of them expired, opt-outs and notices. Reproducible from rng_state (splitmix64). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "storage/model/directory.h"

/* The time every request is made at; exceptions expire around it. */
#define NOW ((time_t)1750000000)

extern uint64_t rng_state;
uint64_t rnd(void);
unsigned below(unsigned n); /* 0..n-1 (0 when n is 0) */
bool chance(unsigned percent);

struct world {
	struct directory *d;
	struct dir_person **staff, **students, **guardians, **everyone;
	unsigned n_staff, n_students, n_guardians, n_everyone;
	/* Relatives on file (an aunt a district counts as no guardian): in the directory,
	 * with phones, linked to no student. */
	struct dir_person **relatives;
	unsigned n_relatives;
	/* Phones, as digits keyed by their last six, for the masking invariant. */
	struct key {
		uint32_t last6;
		const struct dir_person *p;
	} * keys;
	unsigned n_keys;
};

/* The last six digits of a phone number's digits, as a number (the masking index key). */
uint32_t last6_of(const char *digits, size_t n);

/* A new district under ctx. */
struct world *build_world(void *ctx);
