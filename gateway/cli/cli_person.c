/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* `chaperone person list|show|add|set|deactivate|activate|guardian-of|not-guardian-of`:
 * the directory's persons and guardianships, for the district's IT person.
 *
 * Every command validates everything it is given before it changes anything, and records
 * each change in the directory's change log with --as ACTOR (default: the OS user). A
 * person is never deleted: message records name them. Phone numbers are shown in full:
 * this tool is for the people who administer the directory. */
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "gateway/cli/cli.h"
#include "gateway/cli/cli_db.h"
#include "gateway/cli/cli_opts.h"
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
	    "       chaperone person deactivate|activate HANDLE\n"
	    "       chaperone person guardian-of ADULT STUDENT [--relationship WORD]\n"
	    "       chaperone person not-guardian-of ADULT STUDENT\n\n"
	    "Common options: --db PATH (default $CHAPERONE_DB, else %s),\n"
	    "--as ACTOR (who the change log records; default: your user name),\n"
	    "--country-code CC (for phone numbers written without one; default 1).\n\n"
	    "ROLE: student, guardian, staff, administrator. TITLE: teacher, coach, advisor,\n"
	    "volunteer (staff); athletic_director, principal, assistant_principal\n"
	    "(administrators); counselor, nurse (either). Administrators approve exceptions\n"
	    "and decide held messages; a title alone never does.\n"
	    "Handles are generated from the names when not given (Jamie Rivera: jamier).\n"
	    "guardian-of makes a guardian, staff member or administrator (a teacher who is\n"
	    "also a parent) a guardian of the student: copied on staff messages to them.\n"
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
	O_DB,
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
#define B(o)   CLI_OPT_BIT(o)
#define COMMON (B(O_DB) | B(O_AS))

#define VALUE(name, field)                                                                         \
	{                                                                                          \
		name, CLI_OPT_VALUE, offsetof(struct opts, field), 0                               \
	}
static const struct cli_opt opt_table[] = {
    [O_DB] = VALUE("db", db),
    [O_AS] = VALUE("as", as),
    [O_CC] = VALUE("country-code", cc),
    [O_ROLE] = VALUE("role", role),
    [O_TEAM] = VALUE("team", team),
    [O_GIVEN] = VALUE("given", given),
    [O_FAMILY] = VALUE("family", family),
    [O_TITLE] = VALUE("title", title),
    [O_PHONE] = VALUE("phone", phone),
    [O_HANDLE] = VALUE("handle", handle),
    [O_GUARDIAN_OF] = {"guardian-of", CLI_OPT_LIST, offsetof(struct opts, wards),
		       offsetof(struct opts, n_wards)},
    [O_RELATIONSHIP] = VALUE("relationship", relationship),
    [O_ALL] = {"all", CLI_OPT_FLAG, offsetof(struct opts, all), 0},
};

enum {
	SUB_LIST,
	SUB_SHOW,
	SUB_ADD,
	SUB_SET,
	SUB_DEACTIVATE,
	SUB_ACTIVATE,
	SUB_GUARDIAN_OF,
	SUB_NOT_GUARDIAN_OF,
};
#define PERSON_FIELDS                                                                              \
	(B(O_CC) | B(O_ROLE) | B(O_GIVEN) | B(O_FAMILY) | B(O_TITLE) | B(O_PHONE) | B(O_HANDLE))
static const struct cli_sub subs[] = {
    [SUB_LIST] = {"list", COMMON | B(O_ROLE) | B(O_TEAM) | B(O_ALL), 0, 0,
		  "no arguments besides options"},
    [SUB_SHOW] = {"show", COMMON, 1, 1, "one HANDLE"},
    [SUB_ADD] = {"add", COMMON | PERSON_FIELDS | B(O_GUARDIAN_OF) | B(O_RELATIONSHIP), 0, 0,
		 "no arguments besides options"},
    [SUB_SET] = {"set", COMMON | PERSON_FIELDS, 1, 1, "one HANDLE"},
    [SUB_DEACTIVATE] = {"deactivate", COMMON, 1, 1, "one HANDLE"},
    [SUB_ACTIVATE] = {"activate", COMMON, 1, 1, "one HANDLE"},
    [SUB_GUARDIAN_OF] = {"guardian-of", COMMON | B(O_RELATIONSHIP), 2, 2, "ADULT STUDENT"},
    [SUB_NOT_GUARDIAN_OF] = {"not-guardian-of", COMMON, 2, 2, "ADULT STUDENT"},
};

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
		return CLI_EXIT_DB;
	}
	if (n)
		qsort(persons, n, sizeof(persons[0]), cmp_handle);
	printf("%-16s %-13s %-17s %-28s %-16s %s\n", "HANDLE", "ROLE", "TITLE", "NAME", "PHONE",
	       "TEAMS");
	for (size_t i = 0; i < n; i++) {
		char pad[512];

		const struct store_person *p = &persons[i];

		if (!p->active && !o->all)
			continue;
		if (o->role && p->role != role)
			continue;
		if (o->team && store_link_exists(s, STORE_LINK_MEMBER, team.id, p->id) != 1)
			continue;
		tags = teams_of(s, ctx, p, teams, n_teams);
		printf("%-16s %-13s %-17s %s %-16s %s%s\n", p->handle, store_role_word(p->role),
		       title_or_dash(p->title),
		       CLI_PAD(pad, talloc_asprintf(ctx, "%s %s", p->given, p->family), 28),
		       p->phone ? p->phone : "-", *tags ? tags : "-",
		       p->active ? "" : " (inactive)");
		shown++;
	}
	printf("%u person%s\n", shown, shown == 1 ? "" : "s");
	return CLI_EXIT_OK;
}

static const char *person_line(struct store *s, void *ctx, int64_t id)
{
	char pad[512];
	struct store_person p;

	if (store_person_by_id(s, ctx, id, &p) != 1)
		return talloc_asprintf(ctx, "#%" PRId64, id);
	return talloc_asprintf(ctx, "%-14s %s %s%s", p.handle,
			       CLI_PAD(pad, talloc_asprintf(ctx, "%s %s", p.given, p.family), 28),
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
	if (p.role != DIR_STUDENT &&
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
		    "principal, assistant_principal, counselor, nurse, none)",
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
		/* Someone has the short handle: given and family name, not samo2. */
		if (*base && store_handle_taken(s, base) > 0)
			roster_handle_long(base, sizeof(base), o->given, o->family);
		if (roster_unique_name(handle, sizeof(handle), base, store_role_word(p.role), taken,
				       s) < 0) {
			cli_err(cmd, "database: %s", store_errmsg(s));
			return CLI_EXIT_DB;
		}
	}
	p.handle = handle;
	if (o->n_wards && p.role == DIR_STUDENT) {
		cli_err(cmd, "--guardian-of is for adults: a student is nobody's guardian");
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
	return CLI_EXIT_DB;
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
		return CLI_EXIT_DB;
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
		return CLI_EXIT_DB;
	}
	printf("%s %s\n", activate ? "activated" : "deactivated", p.handle);
	if (activate && old.origin)
		fprintf(stderr,
			"note: if the roster (%s) no longer lists %s, the next import deactivates "
			"them again\n",
			old.origin, old.handle);
	return CLI_EXIT_OK;
}

/* Make an adult a student's guardian, or no longer: a guardian, or a staff member or
 * administrator who is also the student's parent. */
static int person_guardianship(struct store *s, void *ctx, char **args, bool add,
			       const struct opts *o)
{
	const char *cmd = add ? "person guardian-of" : "person not-guardian-of";
	const unsigned adults = 1u << DIR_GUARDIAN | 1u << DIR_STAFF | 1u << DIR_ADMIN;
	struct store_person adult, student;
	int rc;

	if (!cli_find_active(s, ctx, cmd, args[0], adults, &adult) ||
	    !cli_find_active(s, ctx, cmd, args[1], 1u << DIR_STUDENT, &student))
		return CLI_EXIT_INPUT;
	if (o->relationship &&
	    (!roster_name_valid(o->relationship) || strlen(o->relationship) > 32)) {
		cli_err(cmd, "--relationship is a word of at most 32 characters");
		return CLI_EXIT_INPUT;
	}
	if (add)
		rc = store_link_add(s, cli_actor(ctx, o->as), STORE_LINK_GUARDIAN, student.id,
				    adult.id, o->relationship, NULL);
	else
		rc = store_link_remove(s, cli_actor(ctx, o->as), STORE_LINK_GUARDIAN, student.id,
				       adult.id);
	if (rc < 0) {
		cli_err(cmd, "database: %s; nothing changed", store_errmsg(s));
		return CLI_EXIT_DB;
	}
	if (rc == 0) {
		printf("%s %s a guardian of %s already\n", adult.handle, add ? "is" : "is not",
		       student.handle);
		return CLI_EXIT_OK;
	}
	printf("%s is %s a guardian of %s\n", adult.handle, add ? "now" : "no longer",
	       student.handle);
	return CLI_EXIT_OK;
}

int cli_person_main(int argc, char **argv)
{
	const struct cli_sub *sub;
	char **args;
	struct opts o;
	struct store *s;
	void *ctx = talloc_named_const(NULL, 0, "chaperone person");
	int rc, nargs;

	rc = cli_parse_sub(ctx, "person", argc, argv, 0, subs, ARRAY_SIZE(subs), opt_table,
			   ARRAY_SIZE(opt_table), &o, sizeof(o), usage, &sub, &args, &nargs);
	if (rc >= 0) {
		talloc_free(ctx);
		return rc;
	}
	if (o.cc && o.cc[0] == '+')
		o.cc++;
	s = cli_open_archive(ctx, o.db);
	if (!s) {
		talloc_free(ctx);
		return CLI_EXIT_DB;
	}
	switch (sub - subs) {
	case SUB_LIST:
		rc = person_list(s, ctx, &o);
		break;
	case SUB_SHOW:
		rc = person_show(s, ctx, args[0]);
		break;
	case SUB_ADD:
		rc = person_add(s, ctx, &o);
		break;
	case SUB_SET:
		rc = person_set(s, ctx, args[0], &o);
		break;
	case SUB_GUARDIAN_OF:
	case SUB_NOT_GUARDIAN_OF:
		rc = person_guardianship(s, ctx, args, sub - subs == SUB_GUARDIAN_OF, &o);
		break;
	default:
		rc = person_activity(s, ctx, args[0], sub - subs == SUB_ACTIVATE, &o);
		break;
	}
	talloc_free(ctx);
	return rc;
}
