/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The archive file's group and mode (file_access.h). */
#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "storage/archive/file_access.h"

static int apply_one(const char *path, const char *group, gid_t gid, mode_t mode, bool must_exist,
		     char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT && !must_exist)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (gid != (gid_t)-1 && st.st_gid != gid && chown(path, (uid_t)-1, gid) < 0) {
		snprintf(err, errlen,
			 "%s: cannot give the file to group %s: %s (the daemon's user must be a "
			 "member of it)",
			 path, group, strerror(errno));
		return -1;
	}
	if (chmod(path, mode) < 0) {
		snprintf(err, errlen, "%s: chmod: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int file_access_apply(const char *db_path, const char *group, char *err, size_t errlen)
{
	static const char *const suffixes[] = {"", "-wal", "-shm"};
	gid_t gid = (gid_t)-1;
	mode_t mode = 0600;
	char path[4096];

	if (group && *group) {
		struct group *g = getgrnam(group);
		if (!g) {
			snprintf(err, errlen, "file-group %s: no such group", group);
			return -1;
		}
		gid = g->gr_gid;
		mode = 0640;
	}
	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s%s", db_path, suffixes[i]) >=
		    sizeof(path)) {
			snprintf(err, errlen, "database path too long");
			return -1;
		}
		if (apply_one(path, group, gid, mode, i == 0, err, errlen) < 0)
			return -1;
	}
	return 0;
}
