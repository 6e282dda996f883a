/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Opening the database for the CLI, and the lookups its directory commands share. */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wchar.h>

#include <talloc.h>

#include "gateway/cli/cli_db.h"
#include "storage/archive/district_zone.h"
#include "storage/model/phone_number.h"

static const char *db_path(const char *db_opt)
{
	const char *path = db_opt;

	if (!path || !*path)
		path = getenv("CHAPERONE_DB");
	if (!path || !*path)
		path = CLI_DEFAULT_DB;
	return path;
}

void cli_zone_early(int argc, char **argv)
{
	const char *db = NULL, *path;
	void *ctx;
	struct store *s;
	char err[512];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--db") && i + 1 < argc)
			db = argv[i + 1];
		else if (!strncmp(argv[i], "--db=", 5))
			db = argv[i] + 5;
	}
	path = db_path(db);
	/* Only an archive: opening anything else would make it one (the command that
	 * follows says what is wrong with it). */
	if (access(path, R_OK | W_OK) < 0 || store_probe(path, err, sizeof(err)) != 1)
		return;
	ctx = talloc_new(NULL);
	s = store_open(ctx, path, err, sizeof(err));
	if (s) {
		/* An unknown zone is reported when the command opens the archive. */
		(void)district_zone_use(s, err, sizeof(err));
		store_close(s);
	}
	talloc_free(ctx);
}

#define DB_WHERE "(the database is --db PATH, else $CHAPERONE_DB, else " CLI_DEFAULT_DB ")\n"

/* Open what store_probe() or the caller found to be an archive, or a new file for it. */
static struct store *open_store(void *ctx, const char *path)
{
	char err[512];
	struct store *s;

	s = store_open(ctx, path, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "chaperone: cannot open the database: %s\n" DB_WHERE, err);
		return NULL;
	}
	/* The district's clock, not the box's: every date printed or typed is in it. */
	if (district_zone_use(s, err, sizeof(err)) < 0) {
		fprintf(stderr, "chaperone: %s\n", err);
		store_close(s);
		return NULL;
	}
	return s;
}

/* Whether the file at path (which exists) is an archive: true, or false with why
 * printed. */
static bool is_archive(const char *path)
{
	char err[512];

	switch (store_probe(path, err, sizeof(err))) {
	case 1:
		return true;
	case 0:
		fprintf(stderr,
			"chaperone: %s is not a Chaperone archive: %s; check --db (the file "
			"was left as it is)\n" DB_WHERE,
			path, err);
		return false;
	default:
		fprintf(stderr, "chaperone: cannot read the database: %s\n" DB_WHERE, err);
		return false;
	}
}

struct store *cli_open_archive(void *ctx, const char *db_opt)
{
	const char *path = db_path(db_opt);

	/* A mistyped path must not become a new, empty archive that says "0 persons". */
	if (access(path, F_OK) < 0) {
		fprintf(stderr,
			"chaperone: no archive at %s: import a roster first (chaperone roster "
			"import) or check --db\n" DB_WHERE,
			path);
		return NULL;
	}
	/* Nor may an empty file or another program's database become one. */
	if (!is_archive(path))
		return NULL;
	return open_store(ctx, path);
}

/* Whether the directory a new archive at path goes into is there: true, or false with
 * why printed ("no such directory: /srv/chaperon"). */
static bool folder_exists(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	struct stat st;

	if (!slash)
		return true; /* the working directory */
	snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	errno = 0;
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return true;
	if (errno == ENOENT || errno == ENOTDIR)
		fprintf(stderr,
			"chaperone: no such directory: %s (for the archive %s): check --db\n", dir,
			path);
	else if (errno)
		fprintf(stderr, "chaperone: %s (for the archive %s): %s\n", dir, path,
			strerror(errno));
	else
		fprintf(stderr,
			"chaperone: %s is not a directory (for the archive %s): check --db\n", dir,
			path);
	fprintf(stderr, DB_WHERE);
	return false;
}

struct store *cli_create_archive(void *ctx, const char *db_opt)
{
	const char *path = db_path(db_opt);
	struct stat st;

	if (stat(path, &st) < 0) {
		/* Else SQLite's "unable to open database file", or open()'s ENOENT for a
		 * file that is meant to be created. */
		if (!folder_exists(path))
			return NULL;
	} else if (!(S_ISREG(st.st_mode) && st.st_size == 0) && !is_archive(path)) {
		/* An empty file may be filled (`touch` then import); anything else is kept. */
		return NULL;
	}
	return open_store(ctx, path);
}

const char *cli_actor(void *ctx, const char *as_opt)
{
	struct passwd *pw;
	const char *user;

	if (as_opt && *as_opt)
		return as_opt;
	pw = getpwuid(geteuid());
	if (pw && pw->pw_name && *pw->pw_name)
		return talloc_strdup(ctx, pw->pw_name);
	user = getenv("USER");
	if (user && *user)
		return user;
	return talloc_asprintf(ctx, "uid %u", (unsigned)geteuid());
}

void cli_err(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "chaperone: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *role_noun(enum dir_role r)
{
	static const char *const n[] = {"a student", "a guardian", "staff", "an administrator"};

	return (unsigned)r < 4 ? n[r] : "unknown";
}

int cli_find_person(struct store *s, void *ctx, const char *cmd, const char *handle,
		    struct store_person *out)
{
	int rc;

	if (handle && handle[0] == '@')
		handle++;
	rc = store_person_by_handle(s, ctx, handle, out);
	if (rc < 0)
		cli_err(cmd, "database: %s", store_errmsg(s));
	else if (rc == 0)
		cli_err(cmd, "no person with handle '%s' (see 'chaperone person list')", handle);
	return rc > 0;
}

int cli_find_active(struct store *s, void *ctx, const char *cmd, const char *handle, unsigned roles,
		    struct store_person *out)
{
	if (!cli_find_person(s, ctx, cmd, handle, out))
		return 0;
	if (!out->active) {
		cli_err(cmd, "%s is inactive", out->handle);
		return 0;
	}
	if (!(roles & (1u << out->role))) {
		const char *want = roles == 1u << DIR_STUDENT	 ? "a student"
				   : roles == 1u << DIR_GUARDIAN ? "a guardian"
				   : roles == 1u << DIR_ADMIN	 ? "an administrator"
				   : roles & (1u << DIR_STUDENT) ? "a student or staff"
				   : roles & (1u << DIR_GUARDIAN)
				       ? "a guardian, staff member or administrator"
				       : "staff or an administrator";
		cli_err(cmd, "%s is %s, not %s", out->handle, role_noun(out->role), want);
		return 0;
	}
	return 1;
}

/* The handle the operators table gives this Unix account: 1 and *handle, 0 when the
 * account is not listed, -1 when the table cannot be trusted or read (printed); -2 when
 * there is no table. */
static int operator_handle(void *ctx, const char *cmd, const char *path, const char *account,
			   char **handle)
{
	FILE *f = fopen(path, "r");
	struct stat st;
	char line[256];
	int rc = 0;

	if (!f) {
		if (errno == ENOENT)
			return -2;
		cli_err(cmd, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	/* Anyone who may write it may make themselves an administrator. */
	if (fstat(fileno(f), &st) < 0 || (st.st_mode & 022)) {
		cli_err(cmd, "%s is writable by others than its owner: not trusted", path);
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char acc[128], h[128];

		if (line[strspn(line, " \t")] == '#')
			continue;
		if (sscanf(line, "%127s %127s", acc, h) != 2 || strcmp(acc, account))
			continue;
		*handle = talloc_strdup(ctx, h[0] == '@' ? h + 1 : h);
		rc = 1;
		break;
	}
	fclose(f);
	return rc;
}

const char *cli_operators_path(void)
{
	const char *p = getenv("CHAPERONE_OPERATORS");

	return p && *p ? p : CLI_OPERATORS;
}

bool cli_operators_table(void)
{
	return access(cli_operators_path(), F_OK) == 0;
}

int cli_deciding_admin(struct store *s, void *ctx, const char *cmd, const char *by,
		       struct store_person *admin)
{
	const char *path = cli_operators_path();
	/* The person at the keyboard: `sudo -u chaperone chaperone ...` runs as the service
	 * account, and sudo says who asked. (Whoever can act as that account without sudo
	 * can change the archive anyway.) */
	const char *account = getenv("SUDO_USER") && *getenv("SUDO_USER") ? getenv("SUDO_USER")
									  : cli_actor(ctx, NULL);
	char *mapped = NULL;
	int rc = operator_handle(ctx, cmd, path, account, &mapped);

	if (rc == -1)
		return 0;
	if (rc == 0) {
		cli_err(cmd,
			"your account (%s) is not an administrator's in %s; ask the district's "
			"IT person to add it",
			account, path);
		return 0;
	}
	if (rc == 1) {
		if (by && strcmp(by[0] == '@' ? by + 1 : by, mapped)) {
			cli_err(cmd, "your account (%s) is %s's in %s, not %s's", account, mapped,
				path, by[0] == '@' ? by + 1 : by);
			return 0;
		}
		by = mapped;
	}
	if (!by) {
		cli_err(cmd, "say which administrator decides: --by HANDLE");
		return 0;
	}
	return cli_find_active(s, ctx, cmd, by, 1u << DIR_ADMIN, admin);
}

int cli_find_team(struct store *s, void *ctx, const char *cmd, const char *tag,
		  struct store_team *out)
{
	int rc;

	if (tag && tag[0] == '#')
		tag++;
	rc = store_team_by_tag(s, ctx, tag, out);
	if (rc < 0)
		cli_err(cmd, "database: %s", store_errmsg(s));
	else if (rc == 0)
		cli_err(cmd, "no team with tag '%s' (see 'chaperone team list')", tag);
	return rc > 0;
}

int cli_phone(const char *cmd, const char *in, const char *cc, char *out, size_t cap)
{
	const char *why = "invalid";

	if (phone_normalize(out, cap, in, cc ? cc : "1", &why) < 0) {
		cli_err(cmd, "'%s' is not a phone number: %s", in, why);
		return -1;
	}
	return 0;
}

void cli_format_date(char *out, size_t cap, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%d", &tm);
}

void cli_format_local(char *out, size_t cap, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%d %H:%M %Z", &tm);
}

void cli_progress_fn(void *arg, const char *what, size_t done, size_t total)
{
	struct cli_progress *p = arg;
	struct timespec now;
	int64_t ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	/* At most ten lines a second: a terminal is slower than the work. */
	if (p->last_ms && ms - p->last_ms < 100 && p->what && !strcmp(p->what, what))
		return;
	p->last_ms = ms;
	p->what = what;
	if (total)
		fprintf(stderr, "\r\033[K%s: %s %zu of %zu", p->cmd, what, done, total);
	else
		fprintf(stderr, "\r\033[K%s: %s", p->cmd, what);
	p->shown = true;
}

const struct store_progress *cli_progress_start(struct cli_progress *p, const char *cmd)
{
	memset(p, 0, sizeof(*p));
	p->cmd = cmd;
	if (!isatty(STDERR_FILENO))
		return NULL; /* silent when not a terminal */
	p->ep.fn = cli_progress_fn;
	p->ep.arg = p;
	return &p->ep;
}

void cli_progress_end(struct cli_progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = false;
}

void cli_format_local_date(char *out, size_t cap, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, cap, "before %Y-%m-%d", &tm);
}

/* Columns s takes on a terminal; bytes that are not valid UTF-8 count one each. */
static int display_width(const char *s)
{
	mbstate_t st;
	size_t len = strlen(s);
	int w = 0;

	memset(&st, 0, sizeof(st));
	while (len) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, s, len, &st);
		int cw;

		if (n == (size_t)-1 || n == (size_t)-2) {
			memset(&st, 0, sizeof(st));
			n = 1;
			cw = 1;
		} else {
			if (n == 0)
				break;
			cw = wcwidth(wc);
			if (cw < 0)
				cw = 1;
		}
		w += cw;
		s += n;
		len -= n;
	}
	return w;
}

const char *cli_pad(char *buf, size_t cap, const char *s, int width)
{
	int w = display_width(s ? s : "");

	snprintf(buf, cap, "%s%*s", s ? s : "", w < width ? width - w : 0, "");
	return buf;
}

const char *cli_display(void *ctx, const struct store_person *p)
{
	struct directory *d = dir_new(ctx);
	struct dir_person_spec spec = {
	    .id = p->id,
	    .role = p->role,
	    .title = p->title,
	    .given = p->given,
	    .family = p->family,
	    .handle = p->handle,
	};
	struct dir_person *dp;
	const char *r;

	/* Students and guardians show as "Jamie R." in messages; here, in full. */
	if (p->role == DIR_STUDENT || p->role == DIR_GUARDIAN || !d) {
		talloc_free(d);
		return talloc_asprintf(ctx, "%s %s", p->given, p->family);
	}
	dp = dir_add_person(d, &spec);
	r = talloc_strdup(ctx, dp && dp->display ? dp->display : p->given);
	talloc_free(d);
	return r;
}
