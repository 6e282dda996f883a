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
 *                      archive, never a `.sav` copy beside it). The file keeps its
 *                      comments and order (config_keep.c) and gains no logging category
 *                      left at its default; a file edited on disk since chaperoned read
 *                      it is not overwritten.
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
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <talloc.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/utils.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vector.h>
#include <osmocom/vty/vty.h>

#include "gateway/daemon/chaperoned.h"
#include "gateway/daemon/config_keep.h"

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
static char *config_text; /* the file as chaperoned read it, or last wrote it */

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

/* The whole of a file, NUL-terminated, on ctx: 0, or -errno (-EFBIG past the merge's
 * limit). */
static int read_text(void *ctx, int fd, char **text)
{
	size_t len = 0, cap = 4096;
	char *buf = talloc_size(ctx, cap);
	ssize_t n;

	*text = NULL;
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len + 1 == cap) {
			if (cap > CONFIG_KEEP_MAX_BYTES) {
				talloc_free(buf);
				return -EFBIG;
			}
			cap *= 2;
			char *b = talloc_realloc_size(ctx, buf, cap);
			if (!b) {
				talloc_free(buf);
				return -ENOMEM;
			}
			buf = b;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int rc = -errno;
			talloc_free(buf);
			return rc;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*text = buf;
	return 0;
}

static int read_path(void *ctx, const char *path, char **text)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0) {
		*text = NULL;
		return -errno;
	}
	rc = read_text(ctx, fd, text);
	close(fd);
	return rc;
}

/* What `show running-config` shows, as text. */
static int running_text(void *ctx, char **text)
{
	struct vty *fv;
	int fd = memfd_create("chaperoned-running-config", MFD_CLOEXEC), keep, rc;

	if (fd < 0)
		return -errno;
	fv = vty_new();
	fv->fd = fd;
	fv->type = VTY_FILE;
	for (unsigned i = 0; i < vector_active(cmdvec); i++) {
		struct cmd_node *node = vector_slot(cmdvec, i);
		if (node && node->func && node->func(fv))
			vty_out(fv, "!\n");
	}
	vty_flush(fv);
	/* vty_close() closes the file: keep a descriptor to read it back. */
	keep = dup(fd);
	vty_close(fv);
	if (keep < 0)
		return -errno;
	rc = lseek(keep, 0, SEEK_SET) < 0 ? -errno : read_text(ctx, keep, text);
	close(keep);
	return rc;
}

/* The level names libosmovty writes (its own table is internal to libosmocore). */
static const struct value_string log_levels[] = {
    {LOGL_DEBUG, "debug"}, {LOGL_INFO, "info"},	  {LOGL_NOTICE, "notice"},
    {LOGL_ERROR, "error"}, {LOGL_FATAL, "fatal"}, {0, NULL},
};

/* A running line the operator never asked for: a logging category at the level it has
 * by default (libosmocore writes every one of its ~35 in each log section). */
static bool default_logging(const char *section, const char *line, void *data)
{
	char cat[64], level[16], lower[64];

	(void)data;
	if (!section || strncmp(section, "log ", 4) || !osmo_log_info ||
	    sscanf(line, "logging level %63s %15s", cat, level) != 2)
		return false;
	for (unsigned i = 0; i < osmo_log_info->num_cat; i++) {
		const struct log_info_cat *c = &osmo_log_info->cat[i];
		if (!c->name || !c->name[0])
			continue;
		osmo_str_tolower_buf(lower, sizeof(lower), c->name + 1);
		if (strcmp(lower, cat))
			continue;
		return get_string_value(log_levels, level) == (int)c->loglevel;
	}
	return false;
}

/* Write `text` to config_path through a new file beside it (mode 0600), renamed into
 * place once it is on disk. */
static int replace_file(const char *text, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	size_t len = strlen(text), done = 0;
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
	while (done < len && rc == 0) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rc = n < 0 ? -errno : -EIO;
		else
			done += (size_t)n;
	}
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (rc < 0)
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(-rc));
	close(fd);
	if (rc == 0 && rename(tmp, config_path) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot replace %s: %s", config_path, strerror(errno));
	}
	if (rc < 0)
		unlink(tmp);
	return rc;
}

int daemon_console_write_config(void *ctx, struct config_keep_report *rep, char *err, size_t errlen)
{
	char *running = NULL, *saved = NULL, *merged = NULL;
	int rc;

	memset(rep, 0, sizeof(*rep));
	if ((rc = running_text(ctx, &running)) < 0) {
		snprintf(err, errlen, "cannot compose the configuration: %s", strerror(-rc));
		return rc;
	}
	rc = read_path(ctx, config_path, &saved);
	if (rc == -ENOENT) {
		/* The file is gone: the whole configuration, as libosmovty would write it. */
		merged = talloc_asprintf(ctx,
					 "!\n! chaperoned (%s) configuration saved from the "
					 "console\n!\n%s",
					 host.app_info->version, running);
		rc = merged ? 0 : -ENOMEM;
		if (rc == 0)
			rep->added = 1;
	} else if (rc < 0) {
		snprintf(err, errlen, "cannot read %s: %s", config_path, strerror(-rc));
		return rc;
	} else if (config_text && strcmp(saved, config_text)) {
		/* Someone edited the file for the next start: saving over it would lose that. */
		snprintf(err, errlen,
			 "%s was changed on disk since chaperoned read it: not overwritten. "
			 "Restart chaperoned to load the file's changes, or undo them, then "
			 "write again",
			 config_path);
		return -EBUSY;
	} else {
		rc = config_keep_merge(ctx, saved, running, default_logging, NULL, &merged, rep);
	}
	if (rc < 0) {
		snprintf(err, errlen, "cannot merge the configuration into %s: %s", config_path,
			 rc == -EINVAL ? "it is not a configuration text" : strerror(-rc));
		return rc;
	}
	if ((rc = replace_file(merged, err, errlen)) < 0)
		return rc;
	talloc_free(config_text);
	config_text = talloc_steal(NULL, merged);
	return 0;
}

/* write, write file [PATH], write memory, copy running-config startup-config. */
static int write_own_config(struct cmd_element *self, struct vty *vty, int argc, const char *argv[])
{
	char err[PATH_MAX + 256];
	struct config_keep_report rep;
	void *ctx;

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
	ctx = talloc_named_const(NULL, 0, "write");
	if (daemon_console_write_config(ctx, &rep, err, sizeof(err)) < 0) {
		daemon_say(vty, "%s", err);
		talloc_free(ctx);
		return CMD_WARNING;
	}
	vty_out(vty,
		"Configuration saved to %s (its comments and order kept: %u changed, %u added, %u "
		"removed)%s",
		config_path, rep.changed, rep.added, rep.removed, VTY_NEWLINE);
	for (unsigned i = 0; i < rep.removed; i++)
		vty_out(vty, "  removed: %s%s", rep.removed_lines[i], VTY_NEWLINE);
	LOGP(DLGLOBAL, LOGL_NOTICE,
	     "console: configuration saved to %s (%u changed, %u added, %u removed)\n", config_path,
	     rep.changed, rep.added, rep.removed);
	talloc_free(ctx);
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
	int rc;

	config_path = realpath(config, NULL);
	if (!config_path) {
		snprintf(err, errlen, "%s: %s", config, strerror(errno));
		return -ENOENT;
	}
	/* What `write` merges into, unless someone edits the file meanwhile. */
	if ((rc = read_path(NULL, config_path, &config_text)) < 0) {
		snprintf(err, errlen, "%s: %s", config, strerror(-rc));
		return rc;
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
