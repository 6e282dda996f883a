/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* One process per serial port: the lock that chaperoned and the `chaperone modem` tools
 * take before they talk to a modem (its AT port and its audio port alike).
 *
 * What it promises:
 * - A UUCP lock file, as gammu, smstools, minicom and the FHS expect it:
 *   <lock dir>/LCK..<name>, where <name> is the base name of the device after symlinks
 *   are resolved (/dev/serial/by-id/... and /dev/ttyUSB2 share LCK..ttyUSB2). It holds
 *   the holder's pid as ten ASCII characters and a newline. It is created whole (written
 *   under a temporary name, then linked), so a reader never sees it half written.
 * - A lock whose pid is no longer running is stale: it is removed and taken. A lock held
 *   by a live process, this one included, is refused with -EBUSY and the holder's pid and
 *   name (from /proc/<pid>/comm).
 * - The lock directory is $CHAPERONE_LOCK_DIR (read only here), or /run/lock. A
 *   CHAPERONE_LOCK_DIR that is not an absolute path to a writable directory is an error
 *   (-EINVAL). When /run/lock itself is missing or not writable, the port is opened with
 *   TIOCEXCL alone and `note` says so, for the caller to report.
 * - serial_port_open() also sets TIOCEXCL on the port: a second open(2) of the tty fails
 *   with EBUSY (except for root, which the lock file covers). A port held that way by a
 *   program that takes no lock file is reported with that program, found through
 *   /proc/PID/fd as fuser(1) finds it, where this process may look. serial_port_close()
 *   clears it (TIOCNXCL), closes the fd and removes the lock file if it is still ours.
 *
 * Two processes that find the same stale lock at the same moment may both take it: the
 * narrow race every UUCP lock has; TIOCEXCL still stops the second open for non-root.
 * Errors are -EINVAL (bad device or lock directory), -EBUSY (in use), -EIO (the lock
 * file or port cannot be made or opened; errno then holds the system's reason, ENOENT for
 * a device that is not there); `why` then holds one line saying so, e.g.
 * "modem0 (/dev/ttyUSB2) is in use by chaperoned (pid 1234)". */
#pragma once

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>
#include <termios.h>

#define SERIAL_LOCK_DIR_ENV	"CHAPERONE_LOCK_DIR"
#define SERIAL_LOCK_DIR_DEFAULT "/run/lock"

/* Who holds a port: pid 0 when unknown (TIOCEXCL without a lock file, by a process this
 * one may not look into). */
struct serial_holder {
	pid_t pid;
	char name[32]; /* /proc/<pid>/comm, "" when unreadable */
};

struct serial_lock {
	char path[PATH_MAX]; /* the lock file this process holds, "" for none */
	char note[256];	     /* set when the port is held by TIOCEXCL alone: why */
};

/* Take the lock file for `device`. `label` ("modem0", may be NULL) only names the port in
 * `why`. Returns 0, or -EINVAL/-EBUSY/-EIO with `why` set and `holder` (may be NULL)
 * filled for -EBUSY. On 0, lk->path is "" and lk->note set when there is no lock
 * directory to use. */
int serial_lock_take(struct serial_lock *lk, const char *device, const char *label,
		     struct serial_holder *holder, char *why, size_t why_len);
/* Remove the lock file if it still names this process. Idempotent. */
void serial_lock_release(struct serial_lock *lk);

/* serial_lock_take(), then osmo_serial_init(device, baud) and TIOCEXCL. Returns the
 * (blocking) fd, or a negative errno as above with `why` set. */
int serial_port_open(struct serial_lock *lk, const char *device, const char *label, speed_t baud,
		     struct serial_holder *holder, char *why, size_t why_len);
/* TIOCNXCL, close, release the lock. fd < 0 only releases. */
void serial_port_close(struct serial_lock *lk, int fd);
