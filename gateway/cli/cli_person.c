/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* `chaperone person list|show|add|set|deactivate|activate`: the directory's persons, for
 * the district's IT person.
 *
 * Every command validates everything it is given before it changes anything, and records
 * each change in the directory's change log with --as ACTOR (default: the OS user). A
 * person is never deleted: message records name them. Phone numbers are shown in full:
 * this tool is for the people who administer the directory. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "gateway/cli/cli.h"
#include "gateway/cli/cli_db.h"
#include "gateway/roster/roster.h"

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: chaperone person list [--role ROLE] [--team TAG] [--all]\n"
	    "       chaperone person show HANDLE\n"
	    "       chaperone person add --role ROLE --given NAME --family NAME [--title TITLE]\n"
	    "                            [--phone NUMBER] [--handle HANDLE]\n"
	    "                            [--guardian-of HANDLE]... [--relationship WORD]\n"
	    "       chaperone person set HANDLE [--phone NUMBER|none] [--title TITLE|none]\n"
	    "                            [--handle NEW] [--given NAME] [--family NAME] "
	    "[--role ROLE]\n"
	    "       chaperone person deactivate|activate HANDLE\n\n"
	    "Common options: --db PATH (default $CHAPERONE_DB, else %s),\n"
	    "--as ACTOR (who the change log records; default: your user name),\n"
	    "--country-code CC (for phone numbers written without one; default 1).\n\n"
	    "ROLE: student, guardian, staff, administrator. TITLE: teacher, coach, advisor,\n"
	    "volunteer (staff); athletic_director, principal, counselor (administrators).\n"
	    "Handles are generated from the names when not given (Jamie Rivera: jamier).\n"
	    "Persons imported from the roster are updated by the next import: change them in\n"
	    "the district's files when you can.\n",
	    CLI_DEFAULT_DB);
}

struct opts {
	const char *db, *as, *cc;
	const char *role, *team, *given, *family, *title, *phone, *handle, *relationship;
	const char **wards;
	unsigned n_wards;
	bool all;
};

enum {
	O_DB = 256,
	O_AS,
	O_CC,
	O_ROLE,
	O_TEAM,
	O_GIVEN,
	O_FAMILY,
	O_TITLE,
	O_PHONE,
	O_HANDLE,
	O_GUARDIAN_OF,
	O_RELATIONSHIP,
	O_ALL,
};

/* Parse the options of one subcommand; `allowed` is the set of O_* it takes (bit o-256).
 * Returns 0, 1 after printing the help (--help), -1 after printing usage on a bad
 * command line. */
static int parse(void *ctx, int argc, char **argv, unsigned allowed, struct opts *o,
		 const char *cmd)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, O_DB},
	    {"as", required_argument, NULL, O_AS},
	    {"country-code", required_argument, NULL, O_CC},
	    {"role", required_argument, NULL, O_ROLE},
	    {"team", required_argument, NULL, O_TEAM},
	    {"given", required_argument, NULL, O_GIVEN},
	    {"family", required_argument, NULL, O_FAMILY},
	    {"title", required_argument, NULL, O_TITLE},
	    {"phone", required_argument, NULL, O_PHONE},
	    {"handle", required_argument, NULL, O_HANDLE},
	    {"guardian-of", required_argument, NULL, O_GUARDIAN_OF},
	    {"relationship", required_argument, NULL, O_RELATIONSHIP},
	    {"all", no_argument, NULL, O_ALL},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 1;
		}
		if (c < O_DB || !(allowed & (1u << (c - O_DB)))) {
			if (c >= O_DB)
				cli_err(cmd, "option --%s does not apply here",
					opts[c - O_DB].name);
			usage(stderr);
			return -1;
		}
		switch (c) {
		case O_DB:
			o->db = optarg;
			break;
		case O_AS:
			o->as = optarg;
			break;
		case O_CC:
			o->cc = optarg[0] == '+' ? optarg + 1 : optarg;
			break;
		case O_ROLE:
			o->role = optarg;
			break;
		case O_TEAM:
			o->team = optarg;
			break;
		case O_GIVEN:
			o->given = optarg;
			break;
		case O_FAMILY:
			o->family = optarg;
			break;
		case O_TITLE:
			o->title = optarg;
			break;
		case O_PHONE:
			o->phone = optarg;
			break;
		case O_HANDLE:
			o->handle = optarg;
			break;
		case O_GUARDIAN_OF: {
			const char **w =
			    talloc_realloc(ctx, o->wards, const char *, o->n_wards + 1);
			if (!w)
				return -1;
			o->wards = w;
			w[o->n_wards++] = optarg;
			break;
		}
		case O_RELATIONSHIP:
			o->relationship = optarg;
			break;
		case O_ALL:
			o->all = true;
			break;
		}
	}
	return 0;
}

#define B(o)   (1u << ((o)-O_DB))
#define COMMON (B(O_DB) | B(O_AS))

static const char *title_or_dash(enum dir_title t)
{
	const char *w = store_title_word(t);

	return w ? w : "-";
}

static int cmp_handle(const void *a, const void *b)
{
	return strcmp(((const struct store_person *)a)->handle,
		      ((const struct store_person *)b)->handle);
}

/* "soccer,robotics": the tags of the teams a person belongs to (as member). */
static char *teams_of(struct store *s, void *ctx, const struct store_person *p,
		      const struct store_team *teams, size_t n_teams)
{
	struct store_link *links;
	size_t n;
	char *r = talloc_strdup(ctx, "");

	if (store_links_of(s, ctx, STORE_LINK_MEMBER, p->id, &links, &n) < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n_teams; j++)
			if (teams[j].id == links[i].a && teams[j].active)
				r = talloc_asprintf_append(r, "%s%s", *r ? "," : "", teams[j].tag);
	return r;
}

static int person_list(struct store *s, void *ctx, const struct opts *o)
{
	struct store_person *persons;
	struct store_team *teams, team;
	size_t n, n_teams;
	enum dir_role role = DIR_STUDENT;
	unsigned shown = 0;
	char *tags;

	if (o->role && dir_role_parse(o->role, &role) < 0) {
		cli_err("person list",
			"unknown role '%s' (student, guardian, staff, administrator)", o->role);
		return CLI_EXIT_INPUT;
	}
	if (o->team && !cli_find_team(s, ctx, "person list", o->team, &team))
		return CLI_EXIT_INPUT;
	if (store_persons_list(s, ctx, &persons, &n) < 0 ||
	    store_teams_list(s, ctx, &teams, &n_teams) < 0) {
		cli_err("person list", "database: %s", store_errmsg(s));
		return CLI_EXIT_INPUT;
	}
	if (n)
		qsort(persons, n, sizeof(persons[0]), cmp_handle);
	printf("%-16s %-13s %-17s %-28s %-16s %s\n", "HANDLE", "ROLE", "TITLE", "NAME", "PHONE",
	       "TEAMS");
	for (size_t i = 0; i < n; i++) {
		const struct store_person *p = &persons[i];

		if (!p->active && !o->all)
			continue;
		if (o->role && p->role != role)
			continue;
		if (o->team && store_link_exists(s, STORE_LINK_MEMBER, team.id, p->id) != 1)
			continue;
		tags = teams_of(s, ctx, p, teams, n_teams);
		printf("%-16s %-13s %-17s %-28s %-16s %s%s\n", p->handle, store_role_word(p->role),
		       title_or_dash(p->title), talloc_asprintf(ctx, "%s %s", p->given, p->family),
		       p->phone ? p->phone : "-", *tags ? tags : "-",
		       p->active ? "" : " (inactive)");
		shown++;
	}
	printf("%u person%s\n", shown, shown == 1 ? "" : "s");
	return CLI_EXIT_OK;
}

static const char *person_line(struct store *s, void *ctx, int64_t id)
{
	struct store_person p;

	if (store_person_by_id(s, ctx, id, &p) != 1)
		return talloc_asprintf(ctx, "#%" PRId64, id);
	return talloc_asprintf(ctx, "%-14s %-28s %s%s", p.handle,
			       talloc_asprintf(ctx, "%s %s", p.given, p.family),
			       p.phone ? p.phone : "no phone", p.active ? "" : " (inactive)");
}

static int person_show(struct store *s, void *ctx, const char *handle)
{
	struct store_person p;
	struct store_link *links;
	struct store_exception *excs;
	size_t n;
	char when[40];

	if (!cli_find_person(s, ctx, "person show", handle, &p))
		return CLI_EXIT_INPUT;
	printf("%s: %s\n", p.handle, cli_display(ctx, &p));
	printf("  %-12s %s\n", "role", store_role_word(p.role));
	if (p.role == DIR_STAFF || p.role == DIR_ADMIN)
		printf("  %-12s %s\n", "title", title_or_dash(p.title));
	printf("  %-12s %s %s\n", "name", p.given, p.family);
	printf("  %-12s %s\n", "phone", p.phone ? p.phone : "none on file");
	printf("  %-12s %s\n", "status",
	       p.active		   ? "active"
	       : p.manual_inactive ? "inactive (deactivated by hand)"
				   : "inactive (gone from the roster)");
	if (p.source_id)
		printf("  %-12s %s (%s)\n", "source", p.source_id, p.origin ? p.origin : "roster");
	else
		printf("  %-12s added by hand\n", "source");

	if (store_links_of(s, ctx, STORE_LINK_MEMBER, p.id, &links, &n) == 0 && n) {
		printf("  %-12s", "teams");
		for (size_t i = 0; i < n; i++) {
			struct store_team t;
			if (store_team_by_id(s, ctx, links[i].a, &t) == 1)
				printf(" %s (%s)%s%s", t.tag, t.name, t.active ? "" : " inactive",
				       i + 1 < n ? "," : "");
		}
		printf("\n");
	}
	if (store_links_of(s, ctx, STORE_LINK_OVERSEER, p.id, &links, &n) == 0 && n) {
		printf("  %-12s", "oversees");
		for (size_t i = 0; i < n; i++) {
			struct store_team t;
			if (store_team_by_id(s, ctx, links[i].a, &t) == 1)
				printf(" %s%s", t.tag, i + 1 < n ? "," : "");
		}
		printf("\n");
	}
	if (p.role == DIR_STUDENT &&
	    store_links_list(s, ctx, STORE_LINK_GUARDIAN, p.id, &links, &n) == 0) {
		if (!n)
			printf("  %-12s none on file\n", "guardians");
		for (size_t i = 0; i < n; i++)
			printf("  %-12s %s%s%s%s\n", i ? "" : "guardians",
			       person_line(s, ctx, links[i].b), links[i].note ? " (" : "",
			       links[i].note ? links[i].note : "", links[i].note ? ")" : "");
	}
	if (p.role == DIR_GUARDIAN &&
	    store_links_of(s, ctx, STORE_LINK_GUARDIAN, p.id, &links, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			printf("  %-12s %s%s%s%s\n", i ? "" : "guardian of",
			       person_line(s, ctx, links[i].a), links[i].note ? " (" : "",
			       links[i].note ? links[i].note : "", links[i].note ? ")" : "");
	}
	if (store_exceptions_list(s, ctx, false, store_now_ms(), &excs, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			const struct store_exception *e = &excs[i];
			struct store_person other;
			int64_t other_id = e->staff_id == p.id ? e->student_id : e->staff_id;

			if (e->staff_id != p.id && e->student_id != p.id)
				continue;
			if (store_person_by_id(s, ctx, other_id, &other) != 1)
				continue;
			cli_format_date(when, sizeof(when), e->expires_at - 1);
			printf("  %-12s #%" PRId64 " %s with %s, through %s\n", "exception", e->id,
			       store_exception_kind_word(e->kind), other.handle, when);
		}
	}
	store_format_time(when, sizeof(when), p.created_at);
	printf("  %-12s %s\n", "added", when);
	store_format_time(when, sizeof(when), p.updated_at);
	printf("  %-12s %s\n", "updated", when);
	return CLI_EXIT_OK;
}

static int taken(void *arg, const char *h)
{
	return store_handle_taken(arg, h);
}

/* Title: parsed, and fitting the role. */
static int check_title(const char *cmd, const char *s, enum dir_role role, enum dir_title *out)
{
	if (dir_title_parse(s, out) < 0) {
		cli_err(
		    cmd,
		    "unknown title '%s' (teacher, coach, advisor, volunteer, athletic_director, "
		    "principal, counselor, none)",
		    s);
		return -1;
	}
	if (!dir_title_fits_role(*out, role)) {
		cli_err(cmd, "title %s does not fit role %s", dir_title_name(*out),
			store_role_word(role));
		return -1;
	}
	return 0;
}

static int check_phone_free(struct store *s, void *ctx, const char *cmd, const char *phone,
			    int64_t self)
{
	struct store_person other;
	int rc = store_person_by_phone(s, ctx, phone, self, &other);

	if (rc < 0) {
		cli_err(cmd, "database: %s", store_errmsg(s));
		return -1;
	}
	if (rc > 0) {
		cli_err(cmd, "%s is already %s's phone (%s %s): one phone, one person", phone,
			other.handle, other.given, other.family);
		return -1;
	}
	return 0;
}

static int person_add(struct store *s, void *ctx, const struct opts *o)
{
	const char *cmd = "person add";
	struct store_person p = {.active = true};
	struct store_person *wards;
	char phone[32], handle[64], base[64];
	const char *actor = cli_actor(ctx, o->as);

	if (!o->role || !o->given || !o->family) {
		cli_err(cmd, "--role, --given and --family are required");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (dir_role_parse(o->role, &p.role) < 0) {
		cli_err(cmd, "unknown role '%s' (student, guardian, staff, administrator)",
			o->role);
		return CLI_EXIT_INPUT;
	}
	if (!roster_name_valid(o->given) || !roster_name_valid(o->family)) {
		cli_err(cmd, "names are 1 to 100 bytes of text without control characters");
		return CLI_EXIT_INPUT;
	}
	p.given = o->given;
	p.family = o->family;
	if (o->title && check_title(cmd, o->title, p.role, &p.title) < 0)
		return CLI_EXIT_INPUT;
	if (o->phone) {
		if (cli_phone(cmd, o->phone, o->cc, phone, sizeof(phone)) < 0 ||
		    check_phone_free(s, ctx, cmd, phone, 0) < 0)
			return CLI_EXIT_INPUT;
		p.phone = phone;
	}
	if (o->handle) {
		const char *h = o->handle[0] == '@' ? o->handle + 1 : o->handle;
		if (!roster_handle_valid(h)) {
			cli_err(cmd, "handle '%s' is not 1-32 of a-z, 0-9, _ and -", h);
			return CLI_EXIT_INPUT;
		}
		if (store_handle_taken(s, h) != 0) {
			cli_err(cmd, "handle '%s' is taken", h);
			return CLI_EXIT_INPUT;
		}
		snprintf(handle, sizeof(handle), "%s", h);
	} else {
		roster_handle_base(base, sizeof(base), o->given, o->family);
		if (roster_unique_name(handle, sizeof(handle), base, store_role_word(p.role), taken,
				       s) < 0) {
			cli_err(cmd, "database: %s", store_errmsg(s));
			return CLI_EXIT_INPUT;
		}
	}
	p.handle = handle;
	if (o->n_wards && p.role != DIR_GUARDIAN) {
		cli_err(cmd, "--guardian-of is for guardians");
		return CLI_EXIT_INPUT;
	}
	if (o->relationship &&
	    (!o->n_wards || !roster_name_valid(o->relationship) || strlen(o->relationship) > 32)) {
		cli_err(cmd,
			"--relationship is a word of at most 32 characters, with --guardian-of");
		return CLI_EXIT_INPUT;
	}
	wards = talloc_zero_array(ctx, struct store_person, o->n_wards + 1);
	for (unsigned i = 0; i < o->n_wards; i++)
		if (!cli_find_active(s, ctx, cmd, o->wards[i], 1u << DIR_STUDENT, &wards[i]))
			return CLI_EXIT_INPUT;

	if (store_begin(s) < 0 || store_person_add(s, actor, &p) < 0)
		goto db_error;
	for (unsigned i = 0; i < o->n_wards; i++)
		if (store_link_add(s, actor, STORE_LINK_GUARDIAN, wards[i].id, p.id,
				   o->relationship, NULL) < 0)
			goto db_error;
	if (store_commit(s) < 0)
		goto db_error;
	printf("added %s %s: %s\n", store_role_word(p.role), p.handle, cli_display(ctx, &p));
	return CLI_EXIT_OK;
db_error:
	cli_err(cmd, "database: %s; nothing changed", store_errmsg(s));
	store_rollback(s);
	return CLI_EXIT_INPUT;
}

static void roster_note(const struct store_person *p, const char *what)
{
	if (p->origin)
		fprintf(stderr,
			"note: %s comes from the roster (%s); the next import sets %s back to what "
			"the roster says\n",
			p->handle, p->origin, what);
}

static int person_set(struct store *s, void *ctx, const char *handle, const struct opts *o)
{
	const char *cmd = "person set";
	struct store_person old, p;
	char phone[32];
	int rc;

	if (!o->phone && !o->title && !o->handle && !o->given && !o->family && !o->role) {
		cli_err(cmd, "nothing to set");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!cli_find_person(s, ctx, cmd, handle, &old))
		return CLI_EXIT_INPUT;
	p = old;
	if (o->role && dir_role_parse(o->role, &p.role) < 0) {
		cli_err(cmd, "unknown role '%s' (student, guardian, staff, administrator)",
			o->role);
		return CLI_EXIT_INPUT;
	}
	if (o->given || o->family) {
		if ((o->given && !roster_name_valid(o->given)) ||
		    (o->family && !roster_name_valid(o->family))) {
			cli_err(cmd, "names are 1 to 100 bytes of text without control characters");
			return CLI_EXIT_INPUT;
		}
		if (o->given)
			p.given = o->given;
		if (o->family)
			p.family = o->family;
	}
	if (o->title) {
		if (check_title(cmd, o->title, p.role, &p.title) < 0)
			return CLI_EXIT_INPUT;
	} else if (!dir_title_fits_role(p.title, p.role)) {
		cli_err(cmd, "title %s does not fit role %s: give --title too",
			dir_title_name(p.title), store_role_word(p.role));
		return CLI_EXIT_INPUT;
	}
	if (o->phone) {
		if (!strcmp(o->phone, "none") || !*o->phone) {
			p.phone = NULL;
		} else {
			if (cli_phone(cmd, o->phone, o->cc, phone, sizeof(phone)) < 0)
				return CLI_EXIT_INPUT;
			if (p.active && check_phone_free(s, ctx, cmd, phone, p.id) < 0)
				return CLI_EXIT_INPUT;
			p.phone = phone;
		}
	}
	if (o->handle) {
		const char *h = o->handle[0] == '@' ? o->handle + 1 : o->handle;
		if (!roster_handle_valid(h)) {
			cli_err(cmd, "handle '%s' is not 1-32 of a-z, 0-9, _ and -", h);
			return CLI_EXIT_INPUT;
		}
		if (strcmp(h, old.handle) && store_handle_taken(s, h) != 0) {
			cli_err(cmd, "handle '%s' is taken", h);
			return CLI_EXIT_INPUT;
		}
		p.handle = h;
	}
	rc = store_person_update(s, cli_actor(ctx, o->as), &old, &p);
	if (rc < 0) {
		cli_err(cmd, "database: %s; nothing changed", store_errmsg(s));
		return CLI_EXIT_INPUT;
	}
	if (rc == 0) {
		printf("%s: nothing to change\n", old.handle);
		return CLI_EXIT_OK;
	}
	printf("updated %s\n", p.handle);
	if (o->phone || o->given || o->family || o->role)
		roster_note(&old, "names, role and phone");
	return CLI_EXIT_OK;
}

static int person_activity(struct store *s, void *ctx, const char *handle, bool activate,
			   const struct opts *o)
{
	const char *cmd = activate ? "person activate" : "person deactivate";
	struct store_person old, p;

	if (!cli_find_person(s, ctx, cmd, handle, &old))
		return CLI_EXIT_INPUT;
	p = old;
	if (activate) {
		if (old.active) {
			printf("%s is active already\n", old.handle);
			return CLI_EXIT_OK;
		}
		if (old.phone && check_phone_free(s, ctx, cmd, old.phone, old.id) < 0)
			return CLI_EXIT_INPUT;
		p.active = true;
		p.manual_inactive = false;
	} else {
		if (!old.active && old.manual_inactive) {
			printf("%s is inactive already\n", old.handle);
			return CLI_EXIT_OK;
		}
		/* By hand: a roster import will not bring them back. */
		p.active = false;
		p.manual_inactive = true;
	}
	if (store_person_update(s, cli_actor(ctx, o->as), &old, &p) < 0) {
		cli_err(cmd, "database: %s; nothing changed", store_errmsg(s));
		return CLI_EXIT_INPUT;
	}
	printf("%s %s\n", activate ? "activated" : "deactivated", p.handle);
	if (activate && old.origin)
		fprintf(stderr,
			"note: if the roster (%s) no longer lists %s, the next import deactivates "
			"them again\n",
			old.origin, old.handle);
	return CLI_EXIT_OK;
}

int cli_person_main(int argc, char **argv)
{
	const char *sub;
	struct opts o;
	struct store *s;
	void *ctx;
	int rc, nargs;
	unsigned allowed;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	sub = argv[1];
	if (!strcmp(sub, "list")) {
		allowed = COMMON | B(O_ROLE) | B(O_TEAM) | B(O_ALL);
		nargs = 0;
	} else if (!strcmp(sub, "show")) {
		allowed = COMMON;
		nargs = 1;
	} else if (!strcmp(sub, "add")) {
		allowed = COMMON | B(O_CC) | B(O_ROLE) | B(O_GIVEN) | B(O_FAMILY) | B(O_TITLE) |
			  B(O_PHONE) | B(O_HANDLE) | B(O_GUARDIAN_OF) | B(O_RELATIONSHIP);
		nargs = 0;
	} else if (!strcmp(sub, "set")) {
		allowed = COMMON | B(O_CC) | B(O_ROLE) | B(O_GIVEN) | B(O_FAMILY) | B(O_TITLE) |
			  B(O_PHONE) | B(O_HANDLE);
		nargs = 1;
	} else if (!strcmp(sub, "deactivate") || !strcmp(sub, "activate")) {
		allowed = COMMON;
		nargs = 1;
	} else {
		fprintf(stderr, "chaperone: person: unknown subcommand '%s'\n", sub);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	ctx = talloc_named_const(NULL, 0, "chaperone person");
	rc = parse(ctx, argc - 1, argv + 1, allowed, &o, "person");
	if (rc) {
		talloc_free(ctx);
		return rc > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	/* argv + 1: optind counts from the subcommand's name. */
	if (argc - 1 - optind != nargs) {
		fprintf(stderr, "chaperone: person %s: %s\n", sub,
			nargs ? "expects one HANDLE" : "takes no arguments besides options");
		usage(stderr);
		talloc_free(ctx);
		return CLI_EXIT_USAGE;
	}
	s = cli_open_store(ctx, o.db);
	if (!s) {
		talloc_free(ctx);
		return CLI_EXIT_INPUT;
	}
	if (!strcmp(sub, "list"))
		rc = person_list(s, ctx, &o);
	else if (!strcmp(sub, "show"))
		rc = person_show(s, ctx, argv[1 + optind]);
	else if (!strcmp(sub, "add"))
		rc = person_add(s, ctx, &o);
	else if (!strcmp(sub, "set"))
		rc = person_set(s, ctx, argv[1 + optind], &o);
	else
		rc = person_activity(s, ctx, argv[1 + optind], !strcmp(sub, "activate"), &o);
	talloc_free(ctx);
	return rc;
}
