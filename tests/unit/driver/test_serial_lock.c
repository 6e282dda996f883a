/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The ports' lock (modem/driver/serial_lock.h): the lock file is made and named after the
 * device, a second holder is refused with the first one's pid and name (from a forked
 * child, as another process would be), a stale lock is taken, release removes the file,
 * TIOCEXCL is set on the port, and bad input is a clear error. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include "modem/driver/serial_lock.h"

struct fixture {
	char dir[64];	      /* CHAPERONE_LOCK_DIR */
	char dev[PATH_MAX];   /* a stand-in device: the lock needs only its name */
	char link[PATH_MAX];  /* a symlink to it, as udev's by-id names are */
	char lockf[PATH_MAX]; /* where its lock file goes */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int fd;

	strcpy(f->dir, "/tmp/serial-lock-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->dev, sizeof(f->dev), "%s/ttyTEST0", f->dir);
	snprintf(f->link, sizeof(f->link), "%s/by-id-modem", f->dir);
	snprintf(f->lockf, sizeof(f->lockf), "%s/LCK..ttyTEST0", f->dir);
	fd = open(f->dev, O_CREAT | O_WRONLY, 0600);
	if (fd < 0 || symlink(f->dev, f->link) < 0)
		return -1;
	close(fd);
	setenv(SERIAL_LOCK_DIR_ENV, f->dir, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	unsetenv(SERIAL_LOCK_DIR_ENV);
	free(f);
	return 0;
}

static void read_file(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, len - 1, fp);
	buf[n] = '\0';
	fclose(fp);
}

static void my_comm(char *buf, size_t len)
{
	read_file("/proc/self/comm", buf, len);
	buf[strcspn(buf, "\n")] = '\0';
}

/* Locked: the file is named after the device a symlink points at and holds our pid as
 * ten characters and a newline; released: gone. */
static void test_lock_and_release(void **state)
{
	struct fixture *f = *state;
	struct serial_lock lk;
	char text[32], want[32];
	struct stat st;

	assert_int_equal(serial_lock_take(&lk, f->link, "modem0", NULL, NULL, 0), 0);
	assert_string_equal(lk.path, f->lockf);
	assert_string_equal(lk.note, "");
	read_file(f->lockf, text, sizeof(text));
	snprintf(want, sizeof(want), "%10ld\n", (long)getpid());
	assert_string_equal(text, want);
	assert_int_equal(strlen(text), 11);
	serial_lock_release(&lk);
	assert_int_equal(stat(f->lockf, &st), -1);
	assert_int_equal(errno, ENOENT);
	serial_lock_release(&lk); /* idempotent */
}

/* Another process (a forked child) is refused, and told who holds the port. */
static void test_second_lock_refused(void **state)
{
	struct fixture *f = *state;
	struct serial_lock lk;
	char comm[32];
	int status;
	pid_t child;

	my_comm(comm, sizeof(comm));
	assert_int_equal(serial_lock_take(&lk, f->dev, "modem0", NULL, NULL, 0), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct serial_lock lk2;
		struct serial_holder h;
		char why[PATH_MAX + 128], want[PATH_MAX + 128];
		int rc = serial_lock_take(&lk2, f->dev, "modem0", &h, why, sizeof(why));

		snprintf(want, sizeof(want), "modem0 (%s) is in use by %s (pid %ld)", f->dev, comm,
			 (long)getppid());
		if (rc != -EBUSY || h.pid != getppid() || strcmp(h.name, comm) ||
		    strcmp(why, want) || lk2.path[0]) {
			fprintf(stderr, "child: rc %d pid %ld name %s why \"%s\"\n", rc,
				(long)h.pid, h.name, why);
			_exit(1);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* The refusal left the holder's lock alone. */
	assert_int_equal(access(f->lockf, F_OK), 0);
	serial_lock_release(&lk);
	assert_int_equal(access(f->lockf, F_OK), -1);
}

/* This process already holding the port is refused too (two modems on one device). */
static void test_own_lock_refused(void **state)
{
	struct fixture *f = *state;
	struct serial_lock lk, lk2;
	struct serial_holder h;
	char why[512];

	assert_int_equal(serial_lock_take(&lk, f->dev, NULL, NULL, NULL, 0), 0);
	assert_int_equal(serial_lock_take(&lk2, f->link, NULL, &h, why, sizeof(why)), -EBUSY);
	assert_int_equal(h.pid, getpid());
	assert_non_null(strstr(why, "is in use by"));
	serial_lock_release(&lk2); /* holds nothing: the first lock stays */
	assert_int_equal(access(f->lockf, F_OK), 0);
	serial_lock_release(&lk);
}

/* A lock whose process is gone, or that names none, is taken. */
static void test_stale_lock_taken(void **state)
{
	struct fixture *f = *state;
	struct serial_lock lk;
	char text[32], want[32];
	pid_t dead = fork();
	FILE *fp;

	assert_true(dead >= 0);
	if (dead == 0)
		_exit(0);
	assert_int_equal(waitpid(dead, NULL, 0), dead);
	fp = fopen(f->lockf, "w");
	assert_non_null(fp);
	fprintf(fp, "%10ld\n", (long)dead);
	fclose(fp);

	assert_int_equal(serial_lock_take(&lk, f->dev, NULL, NULL, NULL, 0), 0);
	read_file(f->lockf, text, sizeof(text));
	snprintf(want, sizeof(want), "%10ld\n", (long)getpid());
	assert_string_equal(text, want);
	serial_lock_release(&lk);

	fp = fopen(f->lockf, "w"); /* empty: names no process */
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(serial_lock_take(&lk, f->dev, NULL, NULL, NULL, 0), 0);
	serial_lock_release(&lk);
	assert_int_equal(access(f->lockf, F_OK), -1);
}

/* A lock file that is no longer ours (taken over meanwhile) is not removed. */
static void test_release_leaves_others(void **state)
{
	struct fixture *f = *state;
	struct serial_lock lk;
	FILE *fp;

	assert_int_equal(serial_lock_take(&lk, f->dev, NULL, NULL, NULL, 0), 0);
	fp = fopen(f->lockf, "w");
	assert_non_null(fp);
	fprintf(fp, "%10d\n", 1);
	fclose(fp);
	serial_lock_release(&lk);
	assert_int_equal(access(f->lockf, F_OK), 0);
}

/* The port itself: locked, TIOCEXCL set; closed: TIOCEXCL off, lock file gone. */
static void test_port_exclusive(void **state)
{
	struct fixture *f = *state;
	struct serial_lock lk;
	char why[512], lockf[PATH_MAX];
	int excl = 0, master = posix_openpt(O_RDWR | O_NOCTTY), fd, probe;
	const char *slave;

	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	slave = ptsname(master);
	assert_non_null(slave);
	snprintf(lockf, sizeof(lockf), "%s/LCK..%s", f->dir, strrchr(slave, '/') + 1);

	fd = serial_port_open(&lk, slave, "modem0", B115200, NULL, why, sizeof(why));
	assert_true(fd >= 0);
	assert_int_equal(access(lockf, F_OK), 0);
	assert_int_equal(ioctl(fd, TIOCGEXCL, &excl), 0);
	assert_int_equal(excl, 1);
	probe = open(slave, O_RDWR | O_NOCTTY); /* root passes TIOCEXCL; others get EBUSY */
	if (probe < 0)
		assert_int_equal(errno, EBUSY);
	else
		close(probe);
	serial_port_close(&lk, fd);
	assert_int_equal(access(lockf, F_OK), -1);
	close(master);
}

/* Bad input, a bad lock directory, a missing device: clear errors. */
static void test_bad_input(void **state)
{
	struct fixture *f = *state;
	struct serial_lock lk;
	char why[512], missing[PATH_MAX];

	assert_int_equal(serial_lock_take(&lk, NULL, NULL, NULL, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "no serial device given");
	assert_int_equal(serial_lock_take(&lk, "", NULL, NULL, why, sizeof(why)), -EINVAL);
	assert_int_equal(serial_lock_take(NULL, f->dev, NULL, NULL, why, sizeof(why)), -EINVAL);

	snprintf(missing, sizeof(missing), "%s/ttyUSB9", f->dir);
	assert_int_equal(serial_lock_take(&lk, missing, "modem3", NULL, why, sizeof(why)), -EIO);
	assert_non_null(strstr(why, "modem3 ("));
	assert_non_null(strstr(why, "cannot be opened: No such file or directory"));

	setenv(SERIAL_LOCK_DIR_ENV, "run/lock", 1);
	assert_int_equal(serial_lock_take(&lk, f->dev, NULL, NULL, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "CHAPERONE_LOCK_DIR=\"run/lock\": the lock directory must be an "
				 "absolute path");
	setenv(SERIAL_LOCK_DIR_ENV, f->dev, 1); /* a file, not a directory */
	assert_int_equal(serial_lock_take(&lk, f->dev, NULL, NULL, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "the lock directory is not a writable directory"));
	setenv(SERIAL_LOCK_DIR_ENV, f->dir, 1);

	/* A port that cannot be opened gives its lock back. */
	assert_int_equal(serial_port_open(&lk, f->dev, NULL, B115200, NULL, why, sizeof(why)),
			 -EIO);
	assert_non_null(strstr(why, "cannot be opened"));
	assert_int_equal(access(f->lockf, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_lock_and_release, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_second_lock_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_own_lock_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stale_lock_taken, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_release_leaves_others, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_port_exclusive, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
