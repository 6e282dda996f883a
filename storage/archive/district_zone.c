/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The district's time zone in the archive (district_zone.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <talloc.h>

#include "storage/archive/district_zone.h"

bool zone_known(const char *zone)
{
	const char *dir =
	    getenv("TZDIR") && *getenv("TZDIR") ? getenv("TZDIR") : "/usr/share/zoneinfo";
	char path[512], magic[4];
	FILE *f;
	bool ok;

	if (!zone || !*zone || zone[0] == '/' || strstr(zone, "..") ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, zone) >= sizeof(path))
		return false;
	f = fopen(path, "rb");
	if (!f)
		return false;
	ok = fread(magic, 1, 4, f) == 4 && !memcmp(magic, "TZif", 4);
	fclose(f);
	return ok;
}

int district_zone_get(struct store *s, void *ctx, const char **zone)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT zone FROM district_zone WHERE id = 1");
	int rc;

	*zone = NULL;
	if (!st)
		return -EIO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*zone = talloc_strdup(ctx, (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return *zone ? 1 : -EIO;
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int district_zone_set(struct store *s, const char *zone, const char *by)
{
	sqlite3_stmt *st;
	int rc;

	if (!zone_known(zone))
		return -EINVAL;
	st = store_stmt(s,
			"INSERT INTO district_zone(id, zone, set_at, set_by)"
			" VALUES (1, ?1, ?2, ?3) ON CONFLICT(id) DO UPDATE SET"
			" zone = excluded.zone, set_at = excluded.set_at, set_by = excluded.set_by"
			" WHERE zone <> excluded.zone");
	if (!st)
		return -EIO;
	store_bind_text(st, 1, zone);
	sqlite3_bind_int64(st, 2, store_now_ms());
	store_bind_text(st, 3, by ? by : "");
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int district_zone_use(struct store *s, char *err, size_t errlen)
{
	void *tmp = talloc_new(NULL);
	const char *zone;
	int rc = district_zone_get(s, tmp, &zone);

	if (rc < 0) {
		snprintf(err, errlen, "cannot read the district's time zone: %s", store_errmsg(s));
	} else if (rc == 1 && !zone_known(zone)) {
		snprintf(err, errlen,
			 "the archive's time zone '%s' is not in this machine's zone database "
			 "(install tzdata)",
			 zone);
		rc = -EINVAL;
	} else if (rc == 1) {
		setenv("TZ", zone, 1);
		tzset();
		rc = 0;
	}
	talloc_free(tmp);
	return rc;
}
