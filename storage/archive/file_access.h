/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Who may read the archive's file: its owner only, or its owner and one group.
 *
 * Promises:
 * - without a group, the database file (and its -wal and -shm companions, when they
 *   exist) is made 0600: readable and writable by its owner only;
 * - with a group (the `records` node's `file-group NAME`), the files are given that group
 *   and made 0640: the group may read the archive (a records officer's account, a
 *   backup job), never change it; nobody else may read it;
 * - an unknown group, or one the process may not give the file (it is not a member),
 *   is an error naming it, and the file's mode and group are left as they were.
 *
 * SQLite creates -wal and -shm with the main file's mode, so the mode carries over to
 * them; the group is applied here to those that exist when it is called. Files created
 * later take the daemon's group unless the directory is set-group-ID to the file group
 * (chgrp GROUP /var/lib/chaperone && chmod 2750 /var/lib/chaperone), which is how the
 * group's readers keep reading a database in WAL mode. */
#pragma once

#include <stddef.h>

/* group: NULL or "" for owner-only. 0, or -1 with a message in err. */
int file_access_apply(const char *db_path, const char *group, char *err, size_t errlen);
