/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The console's safety: the telnet VTY is not a root shell for anyone on the box.
 *
 * libosmovty 1.7.0 offers no way to remove or filter its own commands, so the ones that
 * would read or write arbitrary paths, stop the relay or show message contents are found
 * through its exported command vector and given a function of ours (the element is shared
 * by every node it is installed in, so one change covers them all, `do` included):
 *
 *   login password     required: chaperoned does not start without `password`, `line vty`
 *                      always has `login` (libosmovty's default is none), `no login` and
 *                      encrypted passwords (`password 8 ...`, which 1.7.0 cannot check and
 *                      which would lock everyone out) are refused
 *   enable password    required as well: `enable` asks for it
 *   write ...          `write`, `write file`, `write memory`, `copy running-config
 *                      startup-config` write only the config file chaperoned was started
 *                      with, mode 0600, through a new file renamed into place (never the
 *                      archive, never a `.sav` copy beside it)
 *   banner motd file   refused: it printed any readable file to every later session
 *   log file, log gsmtap   refused at the console (a log on disk or on the network is set
 *                      in the config file by whoever may edit it)
 *   logging level ... debug   refused at the console: debug logs carry message contents
 *   shutdown           refused: the relay is stopped by its service manager, which
 *                      restarts it when it exits otherwise
 *
 * The config file may still set `log file` and debug levels: whoever can edit it can read
 * the archive anyway. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <osmocom/core/utils.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vector.h>
#include <osmocom/vty/vty.h>

#include "gateway/daemon/chaperoned.h"

/* libosmovty exports these without declaring them (command.c). */
extern struct host host;
extern vector cmdvec;

typedef int (*cmd_func)(struct cmd_element *, struct vty *, int, const char *[]);

/* The library's functions behind the commands given ours, to call when ours allows. */
static struct {
	struct cmd_element *el;
	cmd_func orig;
} wrapped[32];
static unsigned n_wrapped;
static char *config_path; /* realpath() of -c: the one file `write` may write */

void daemon_say(struct vty *vty, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* A file being read has no one to answer: say it where start-up errors go. */
	if (vty->type == VTY_FILE)
		fprintf(stderr, "chaperoned: config: %s\n", buf);
	else
		vty_out(vty, "%% %s%s", buf, VTY_NEWLINE);
}

static cmd_func orig_func(const struct cmd_element *el)
{
	for (unsigned i = 0; i < n_wrapped; i++)
		if (wrapped[i].el == el)
			return wrapped[i].orig;
	return NULL;
}

/* Give every installed command whose string is `string` (or starts with it, for `prefix`)
 * the function `fn`, remembering the library's. Returns how many elements changed. */
static unsigned wrap(const char *string, bool prefix, cmd_func fn)
{
	unsigned n = 0;

	for (unsigned i = 0; i < vector_active(cmdvec); i++) {
		struct cmd_node *node = vector_slot(cmdvec, i);
		if (!node)
			continue;
		for (unsigned j = 0; j < vector_active(node->cmd_vector); j++) {
			struct cmd_element *el = vector_slot(node->cmd_vector, j);
			if (!el || !el->string || el->func == fn)
				continue;
			if (prefix ? strncmp(el->string, string, strlen(string))
				   : strcmp(el->string, string))
				continue;
			OSMO_ASSERT(n_wrapped < ARRAY_SIZE(wrapped));
			wrapped[n_wrapped].el = el;
			wrapped[n_wrapped++].orig = el->func;
			el->func = fn;
			n++;
		}
	}
	return n;
}

static int refuse(struct cmd_element *self, struct vty *vty, int argc, const char *argv[])
{
	(void)argc;
	(void)argv;
	if (!strcmp(self->string, "shutdown"))
		daemon_say(vty, "shutdown is not available from the console: the relay is "
				"stopped by its service manager (systemctl stop chaperoned)");
	else if (!strcmp(self->string, "no login"))
		daemon_say(vty, "the console always asks for the login password ('no login' "
				"is not available)");
	else
		daemon_say(vty,
			   "'%s' is not available: the console neither reads nor writes "
			   "files other than its own configuration",
			   self->string);
	return CMD_WARNING;
}

static int refuse_at_console(struct cmd_element *self, struct vty *vty, int argc,
			     const char *argv[])
{
	if (vty->type == VTY_FILE)
		return orig_func(self)(self, vty, argc, argv);
	daemon_say(vty, "'%s' is set in the config file, not at the console", self->string);
	return CMD_WARNING;
}

static int no_debug_at_console(struct cmd_element *self, struct vty *vty, int argc,
			       const char *argv[])
{
	if (vty->type != VTY_FILE)
		for (int i = 0; i < argc; i++)
			if (!strcmp(argv[i], "debug")) {
				daemon_say(vty, "debug logging carries message contents: it is set "
						"in the config file, not at the console");
				return CMD_WARNING;
			}
	return orig_func(self)(self, vty, argc, argv);
}

static int no_encrypted_password(struct cmd_element *self, struct vty *vty, int argc,
				 const char *argv[])
{
	/* "password 8 HASH": this libosmovty cannot check it, so no one could log in. */
	if (argc == 2) {
		daemon_say(vty, "encrypted passwords ('8') are not supported: write the password "
				"itself (the config file is readable by chaperoned's user only)");
		return CMD_WARNING;
	}
	return orig_func(self)(self, vty, argc, argv);
}

int daemon_console_write_config(char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	struct vty *fv;
	struct stat st;
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", config_path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", config_path);
		return -ENAMETOOLONG;
	}
	fd = mkstemp(tmp); /* mode 0600 */
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create a file beside %s: %s", config_path,
			 strerror(errno));
		return rc;
	}
	fv = vty_new();
	fv->fd = fd;
	fv->type = VTY_FILE;
	vty_out(fv, "!\n! chaperoned (%s) configuration saved from the console\n!\n",
		host.app_info->version);
	for (unsigned i = 0; i < vector_active(cmdvec); i++) {
		struct cmd_node *node = vector_slot(cmdvec, i);
		if (node && node->func && node->func(fv))
			vty_out(fv, "!\n");
	}
	vty_flush(fv);
	/* vty_close() closes the file: keep a descriptor to check what reached the disk. */
	fd = dup(fd);
	vty_close(fv);
	if (fd < 0 || fsync(fd) < 0 || fstat(fd, &st) < 0 || st.st_size == 0) {
		rc = -EIO;
		snprintf(err, errlen, "cannot write %s: %s", tmp,
			 fd < 0 ? strerror(errno) : "I/O error");
	}
	if (fd >= 0)
		close(fd);
	if (rc == 0 && rename(tmp, config_path) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot replace %s: %s", config_path, strerror(errno));
	}
	if (rc < 0)
		unlink(tmp);
	return rc;
}

/* write, write file [PATH], write memory, copy running-config startup-config. */
static int write_own_config(struct cmd_element *self, struct vty *vty, int argc, const char *argv[])
{
	char err[PATH_MAX + 64];

	(void)self;
	if (argc >= 1 && argv[0]) {
		char *want = realpath(argv[0], NULL);
		bool same = want && !strcmp(want, config_path);
		free(want);
		if (!same) {
			daemon_say(vty, "the console writes only its own configuration, %s",
				   config_path);
			return CMD_WARNING;
		}
	}
	if (daemon_console_write_config(err, sizeof(err)) < 0) {
		daemon_say(vty, "%s", err);
		return CMD_WARNING;
	}
	vty_out(vty, "Configuration saved to %s%s", config_path, VTY_NEWLINE);
	return CMD_SUCCESS;
}

int daemon_console_init(const char *config, char *err, size_t errlen)
{
	static const struct {
		const char *string;
		bool prefix;
		cmd_func fn;
	} rules[] = {
	    {"write file [PATH]", false, write_own_config},
	    {"write", false, write_own_config},
	    {"write memory", false, write_own_config},
	    {"copy running-config startup-config", false, write_own_config},
	    {"banner motd file [FILE]", false, refuse},
	    {"shutdown", false, refuse},
	    {"no login", false, refuse},
	    {"log file FILENAME [blocking-io]", false, refuse_at_console},
	    {"no log file FILENAME", false, refuse_at_console},
	    {"log gsmtap [HOSTNAME]", false, refuse_at_console},
	    {"logging level", true, no_debug_at_console},
	    {"password (8|) WORD", false, no_encrypted_password},
	    {"enable password (8|) WORD", false, no_encrypted_password},
	};

	config_path = realpath(config, NULL);
	if (!config_path) {
		snprintf(err, errlen, "%s: %s", config, strerror(errno));
		return -ENOENT;
	}
	/* libosmovty keeps the path as given, and `show startup-config` reads it. */
	host_config_set(config_path);
	for (unsigned i = 0; i < ARRAY_SIZE(rules); i++)
		/* Each exists in libosmovty 1.7.0; a missing one means a version whose commands
		 * this file has not been checked against. */
		if (!wrap(rules[i].string, rules[i].prefix, rules[i].fn)) {
			snprintf(err, errlen, "this libosmovty has no '%s' command to guard",
				 rules[i].string);
			return -ENOTSUP;
		}
	return 0;
}

int daemon_console_check(char *err, size_t errlen)
{
	static const char login[] = "line vty\n login\n";
	FILE *f;
	int rc;

	if (!host.password || !*host.password) {
		snprintf(err, errlen,
			 "the console needs a login password: set 'password' in the "
			 "config file (docs/operator-guide.md, \"The console\")");
		return -EINVAL;
	}
	if (!host.enable || !*host.enable) {
		snprintf(err, errlen,
			 "the console needs an enable password: set 'enable password' "
			 "in the config file (docs/operator-guide.md, \"The console\")");
		return -EINVAL;
	}
	/* docs/examples/chaperoned.cfg ships placeholders: a box must not run on them. */
	if (!strncasecmp(host.password, "change-me", 9) ||
	    !strncasecmp(host.enable, "change-me", 9)) {
		snprintf(err, errlen,
			 "the console's password is still the example's ('change-me...'): "
			 "choose your own (docs/operator-guide.md, \"The console\")");
		return -EINVAL;
	}
	if (!strcmp(host.password, host.enable)) {
		snprintf(err, errlen, "the login and enable passwords must differ");
		return -EINVAL;
	}
	if (strcmp(vty_get_bind_addr(), "127.0.0.1") && strcmp(vty_get_bind_addr(), "::1")) {
		snprintf(err, errlen, "the console listens on localhost only ('bind %s' refused)",
			 vty_get_bind_addr());
		return -EINVAL;
	}
	/* libosmovty has no call to ask for the password: give it its own config line. */
	f = fmemopen((void *)login, sizeof(login) - 1, "r");
	if (!f) {
		snprintf(err, errlen, "cannot turn on the console's login: %s", strerror(errno));
		return -errno;
	}
	rc = vty_read_config_filep(f, NULL);
	fclose(f);
	if (rc < 0) {
		snprintf(err, errlen, "cannot turn on the console's login");
		return -EIO;
	}
	return 0;
}
