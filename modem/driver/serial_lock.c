/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* UUCP lock files and TIOCEXCL for the modems' ports: see serial_lock.h. */
#include "modem/driver/serial_lock.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <osmocom/core/serial.h>

static int fail(int err, char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(int err, char *why, size_t why_len, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (why && why_len) {
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	errno = saved; /* the system's reason, for -EIO */
	return err;
}

/* "modem0 (/dev/ttyUSB2)" or "/dev/ttyUSB2". */
static void port_name(char *buf, size_t len, const char *device, const char *label)
{
	if (label && *label)
		snprintf(buf, len, "%s (%s)", label, device);
	else
		snprintf(buf, len, "%s", device);
}

static void holder_name(struct serial_holder *h)
{
	char path[64];
	FILE *f;

	h->name[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)h->pid);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(h->name, sizeof(h->name), f))
		h->name[strcspn(h->name, "\n")] = '\0';
	fclose(f);
}

/* Whether fd `fd` of process `pid` is the master of pseudo-terminal number `index`. */
static bool is_master_of(long pid, const char *fd, long index)
{
	char path[300], line[128];
	bool yes = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/fdinfo/%s", pid, fd);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (!yes && fgets(line, sizeof(line), f))
		if (!strncmp(line, "tty-index:", 10))
			yes = strtol(line + 10, NULL, 10) == index;
	fclose(f);
	return yes;
}

/* A holder with no lock file (one that takes TIOCEXCL alone): the process that has the
 * device open, found as fuser(1) does, through /proc/PID/fd. A process that also holds
 * the master of a pseudo-terminal device is its other end (a simulator, a network
 * bridge), not a user of the port. Only processes whose fds this one may read are found;
 * h->pid stays 0 otherwise. */
static void find_opener(const char *device, struct serial_holder *h)
{
	char *want = realpath(device, NULL), path[64], target[PATH_MAX];
	long pts = -1;
	struct dirent *p, *f;
	DIR *procs, *fds;

	h->pid = 0;
	if (!want)
		return;
	if (!strncmp(want, "/dev/pts/", 9) && isdigit((unsigned char)want[9]))
		pts = strtol(want + 9, NULL, 10);
	procs = opendir("/proc");
	while (procs && !h->pid && (p = readdir(procs))) {
		long pid = strtol(p->d_name, NULL, 10);
		bool opened = false, master = false;

		if (pid <= 0 || pid == (long)getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
		fds = opendir(path);
		while (fds && (f = readdir(fds))) {
			char fd_path[300];
			ssize_t n;

			if (f->d_name[0] == '.')
				continue;
			snprintf(fd_path, sizeof(fd_path), "/proc/%ld/fd/%s", pid, f->d_name);
			n = readlink(fd_path, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			if (!strcmp(target, want))
				opened = true;
			else if (pts >= 0 &&
				 (!strcmp(target, "/dev/ptmx") || !strcmp(target, "/dev/pts/ptmx")))
				master |= is_master_of(pid, f->d_name, pts);
		}
		if (fds)
			closedir(fds);
		if (opened && !master)
			h->pid = (pid_t)pid;
	}
	if (procs)
		closedir(procs);
	free(want);
	if (h->pid)
		holder_name(h);
}

static int busy(const struct serial_holder *h, const char *port, char *why, size_t why_len)
{
	if (h->pid <= 0)
		return fail(-EBUSY, why, why_len,
			    "%s is in use by another process (it holds the port exclusively)",
			    port);
	return fail(-EBUSY, why, why_len, "%s is in use by %s (pid %ld)", port,
		    h->name[0] ? h->name : "another process", (long)h->pid);
}

/* The pid a lock file names: ten ASCII digits (the FHS) or, from old tools, a binary
 * int. 0 when the file is empty or unreadable as either. */
static pid_t read_pid(const char *path)
{
	char buf[32];
	ssize_t n;
	long pid;
	char *end;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	errno = 0;
	pid = strtol(buf, &end, 10);
	if (end != buf && !errno && pid > 0 && pid <= INT_MAX && (*end == '\0' || isspace(*end)))
		return (pid_t)pid;
	if (n == sizeof(int)) {
		int bin;

		memcpy(&bin, buf, sizeof(bin));
		return bin > 0 ? bin : 0;
	}
	return 0;
}

static bool pid_alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}

/* The lock directory, or NULL with lk->note set (the default is not usable), or an
 * error (a bad CHAPERONE_LOCK_DIR). */
static int lock_dir(struct serial_lock *lk, const char **dir, char *why, size_t why_len)
{
	const char *env = getenv(SERIAL_LOCK_DIR_ENV);
	struct stat st;

	*dir = NULL;
	if (env) {
		errno = 0;
		if (env[0] != '/')
			return fail(-EINVAL, why, why_len,
				    "%s=\"%s\": the lock directory must be an absolute path",
				    SERIAL_LOCK_DIR_ENV, env);
		if (stat(env, &st) < 0 || !S_ISDIR(st.st_mode) || access(env, W_OK | X_OK) < 0)
			return fail(-EINVAL, why, why_len,
				    "%s=%s: the lock directory is not a writable directory (%s)",
				    SERIAL_LOCK_DIR_ENV, env,
				    errno ? strerror(errno) : "not a directory");
		*dir = env;
		return 0;
	}
	errno = 0;
	if (stat(SERIAL_LOCK_DIR_DEFAULT, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    access(SERIAL_LOCK_DIR_DEFAULT, W_OK | X_OK) < 0) {
		snprintf(lk->note, sizeof(lk->note),
			 "no lock file: %s is not a writable directory (%s); the port is held by "
			 "TIOCEXCL alone (set %s to a writable directory)",
			 SERIAL_LOCK_DIR_DEFAULT, errno ? strerror(errno) : "not a directory",
			 SERIAL_LOCK_DIR_ENV);
		return 0;
	}
	*dir = SERIAL_LOCK_DIR_DEFAULT;
	return 0;
}

/* Create `path` naming this process, whole: written under a temporary name in the same
 * directory, then linked. 0, -EEXIST, or -EIO. */
static int create_lock(const char *dir, const char *path)
{
	char tmp[PATH_MAX], text[16];
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s/LTMP.%ld", dir, (long)getpid()) >= (int)sizeof(tmp))
		return -EIO;
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -EIO;
	snprintf(text, sizeof(text), "%10ld\n", (long)getpid());
	if (write(fd, text, 11) != 11)
		rc = -EIO;
	if (close(fd) < 0)
		rc = -EIO;
	if (rc == 0 && link(tmp, path) < 0)
		rc = errno == EEXIST ? -EEXIST : -EIO;
	unlink(tmp);
	return rc;
}

int serial_lock_take(struct serial_lock *lk, const char *device, const char *label,
		     struct serial_holder *holder, char *why, size_t why_len)
{
	char real[PATH_MAX], port[PATH_MAX + 64];
	struct serial_holder h = {0};
	const char *dir, *base;
	int rc, tries;

	if (!lk)
		return fail(-EINVAL, why, why_len, "no lock to take");
	lk->path[0] = lk->note[0] = '\0';
	if (holder)
		*holder = h;
	if (!device || !*device)
		return fail(-EINVAL, why, why_len, "no serial device given");
	port_name(port, sizeof(port), device, label);
	/* Symlinks (udev's by-id names, modemsim's ports) lock the device they name. */
	if (!realpath(device, real))
		return fail(-EIO, why, why_len, "%s cannot be opened: %s", port, strerror(errno));
	base = strrchr(real, '/');
	base = base ? base + 1 : real;
	if (!*base)
		return fail(-EINVAL, why, why_len, "%s: not a device", port);
	rc = lock_dir(lk, &dir, why, why_len);
	if (rc < 0 || !dir)
		return rc;
	if (snprintf(lk->path, sizeof(lk->path), "%s/LCK..%s", dir, base) >=
	    (int)sizeof(lk->path)) {
		lk->path[0] = '\0';
		return fail(-EINVAL, why, why_len, "%s: the lock file's name is too long", port);
	}
	for (tries = 0; tries < 3; tries++) {
		rc = create_lock(dir, lk->path);
		if (rc == 0)
			return 0;
		if (rc != -EEXIST)
			break;
		h.pid = read_pid(lk->path);
		if (h.pid < 0)
			continue; /* gone since: try again */
		if (h.pid > 0 && pid_alive(h.pid)) {
			holder_name(&h);
			if (holder)
				*holder = h;
			lk->path[0] = '\0';
			return busy(&h, port, why, why_len);
		}
		/* Stale: its process is gone (or it names none). */
		if (unlink(lk->path) < 0 && errno != ENOENT)
			break;
	}
	if (!errno)
		errno = EIO;
	rc = fail(-EIO, why, why_len, "%s: cannot create the lock file %s (%s)", port, lk->path,
		  strerror(errno));
	lk->path[0] = '\0';
	return rc;
}

void serial_lock_release(struct serial_lock *lk)
{
	if (!lk || !lk->path[0])
		return;
	if (read_pid(lk->path) == getpid())
		unlink(lk->path);
	lk->path[0] = '\0';
}

int serial_port_open(struct serial_lock *lk, const char *device, const char *label, speed_t baud,
		     struct serial_holder *holder, char *why, size_t why_len)
{
	char port[PATH_MAX + 64];
	int rc = serial_lock_take(lk, device, label, holder, why, why_len);
	int fd;

	if (rc < 0)
		return rc;
	port_name(port, sizeof(port), device, label);
	fd = osmo_serial_init(device, baud);
	if (fd < 0) {
		serial_lock_release(lk);
		errno = -fd;
		if (fd == -EBUSY) {
			struct serial_holder h = {0};

			find_opener(device, &h);
			if (holder)
				*holder = h;
			return busy(&h, port, why, why_len);
		}
		return fail(-EIO, why, why_len, "%s cannot be opened: %s", port, strerror(-fd));
	}
	if (ioctl(fd, TIOCEXCL) < 0) {
		rc = errno;
		close(fd);
		serial_lock_release(lk);
		errno = rc;
		return fail(-EIO, why, why_len, "%s: cannot hold it exclusively (TIOCEXCL): %s",
			    port, strerror(rc));
	}
	return fd;
}

void serial_port_close(struct serial_lock *lk, int fd)
{
	if (fd >= 0) {
		ioctl(fd, TIOCNXCL);
		close(fd);
	}
	serial_lock_release(lk);
}
