/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The district's time zone, kept in the archive so that the daemon and every
 * `chaperone` command read and type dates on one clock (a UTC box's CLI was 4-5 hours
 * off the daemon's quiet hours and the officer's request dates).
 *
 * Promises:
 * - zone_known() accepts only a zone of the zone database (a TZif file under $TZDIR or
 *   /usr/share/zoneinfo; no absolute path, no ".."): glibc takes any unknown name for
 *   UTC without a word;
 * - district_zone_set() records a known zone (and who set it, when); an unknown one is
 *   -EINVAL and changes nothing;
 * - district_zone_use() makes the archive's zone the process's local zone (TZ), so that
 *   localtime() and mktime() — every date printed and parsed — are the district's; an
 *   archive without a zone leaves the system's; a zone the database does not know (a
 *   copied archive on a box without tzdata) is -EINVAL, never a silent UTC. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "storage/archive/store.h"

bool zone_known(const char *zone);

/* 1 and *zone (under ctx), 0 when none is set, -EIO on a database error. */
int district_zone_get(struct store *s, void *ctx, const char **zone);

/* 0, -EINVAL (unknown zone), -EIO. */
int district_zone_set(struct store *s, const char *zone, const char *by);

/* 0 (the archive's zone, or none set), -EINVAL (unknown zone, named in err), -EIO. */
int district_zone_use(struct store *s, char *err, size_t errlen);
