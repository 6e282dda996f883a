/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* `chaperone team ...`: teams, their members, subgroups, overseers and relay numbers.
 *
 * `team show` prints the team as the router sees it (the loaded directory, with the
 * default overseers filled in), with each student's guardians and whether any of them
 * can be reached by text: a student without one is a student whose messages no guardian
 * is copied on, which the district should know before the season starts. */
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
#include "storage/model/phone_number.h"
#include "gateway/roster/roster.h"

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: chaperone team list [--all]\n"
	    "       chaperone team show TAG\n"
	    "       chaperone team add TAG --name NAME --kind KIND [--relay NUMBER]\n"
	    "       chaperone team set TAG [--tag NEW] [--name NAME] [--kind KIND]\n"
	    "                          [--relay NUMBER|none]\n"
	    "       chaperone team deactivate|activate TAG\n"
	    "       chaperone team member add|remove TAG HANDLE...\n"
	    "       chaperone team subgroup add TAG NAME [HANDLE...]\n"
	    "       chaperone team subgroup remove TAG NAME [HANDLE...]\n"
	    "       chaperone team overseer add|remove TAG HANDLE...\n\n"
	    "Common options: --db PATH (default $CHAPERONE_DB, else %s),\n"
	    "--as ACTOR (who the change log records; default: your user name),\n"
	    "--country-code CC (for a relay number written without one; default 1).\n\n"
	    "KIND: sports, club, class, or building (a school's counselors, nurses and\n"
	    "administrators and its students, on the building's relay number).\n"
	    "Members are staff, administrators and students (guardians are reached through\n"
	    "their students). Subgroup members are students of the team. Overseers are\n"
	    "administrators; a team without any is overseen by the athletic directors\n"
	    "(sports) or the principals (others). 'subgroup remove' without handles removes\n"
	    "the subgroup. Teams from teams.csv or classes.csv are updated by the next import.\n",
	    CLI_DEFAULT_DB);
}

struct opts {
	const char *db, *as, *cc, *name, *kind, *relay, *tag;
	bool all;
};

enum { O_DB, O_AS, O_CC, O_NAME, O_KIND, O_RELAY, O_ALL, O_TAG };
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
    [O_NAME] = VALUE("name", name),
    [O_KIND] = VALUE("kind", kind),
    [O_RELAY] = VALUE("relay", relay),
    [O_ALL] = {"all", CLI_OPT_FLAG, offsetof(struct opts, all), 0},
    [O_TAG] = VALUE("tag", tag),
};

enum {
	SUB_LIST,
	SUB_SHOW,
	SUB_DEACTIVATE,
	SUB_ACTIVATE,
	SUB_ADD,
	SUB_SET,
	SUB_MEMBER,
	SUB_OVERSEER,
	SUB_SUBGROUP
};
#define TEAM_SETTINGS (B(O_CC) | B(O_NAME) | B(O_KIND) | B(O_RELAY))
static const struct cli_sub subs[] = {
    [SUB_LIST] = {"list", COMMON | B(O_ALL), 0, 0, "no arguments besides options"},
    [SUB_SHOW] = {"show", COMMON, 1, 1, "one TAG"},
    [SUB_DEACTIVATE] = {"deactivate", COMMON, 1, 1, "one TAG"},
    [SUB_ACTIVATE] = {"activate", COMMON, 1, 1, "one TAG"},
    [SUB_ADD] = {"add", COMMON | TEAM_SETTINGS, 1, 1, "one TAG"},
    [SUB_SET] = {"set", COMMON | TEAM_SETTINGS | B(O_TAG), 1, 1, "one TAG"},
    /* TAG HANDLE...; subgroup: TAG NAME [HANDLE...] */
    [SUB_MEMBER] = {"member", COMMON, 2, 1000, "TAG HANDLE..."},
    [SUB_OVERSEER] = {"overseer", COMMON, 2, 1000, "TAG HANDLE..."},
    [SUB_SUBGROUP] = {"subgroup", COMMON, 2, 1000, "TAG NAME [HANDLE...]"},
};

static bool kind_valid(const char *k)
{
	enum dir_team_kind kind;

	return dir_team_kind_from_word(k, &kind) == 0;
}

static const char *source_of(void *ctx, const struct store_team *t)
{
	if (!t->origin)
		return "added by hand";
	if (!strcmp(t->origin, STORE_ORIGIN_TEAMS))
		return "teams.csv";
	return talloc_asprintf(ctx, "class %s (classes.csv)", t->source_id ? t->source_id : "?");
}

/* --- list and show ------------------------------------------------------------------- */

static int team_list(struct store *s, void *ctx, const struct opts *o)
{
	struct store_team *teams;
	struct store_person *persons;
	struct store_link *links;
	size_t n_teams, n_persons, n_links;
	unsigned shown = 0;

	if (store_teams_list(s, ctx, &teams, &n_teams) < 0 ||
	    store_persons_list(s, ctx, &persons, &n_persons) < 0 ||
	    store_links_list(s, ctx, STORE_LINK_MEMBER, 0, &links, &n_links) < 0) {
		cli_err("team list", "database: %s", store_errmsg(s));
		return CLI_EXIT_DB;
	}
	printf("%-16s %-8s %-24s %-14s %5s %8s\n", "TAG", "KIND", "NAME", "RELAY", "STAFF",
	       "STUDENTS");
	for (size_t i = 0; i < n_teams; i++) {
		const struct store_team *t = &teams[i];
		unsigned staff = 0, students = 0;
		char pad[512];

		if (!t->active && !o->all)
			continue;
		for (size_t j = 0; j < n_links; j++) {
			if (links[j].a != t->id)
				continue;
			/* Persons come ordered by id, one per id. */
			for (size_t k = 0; k < n_persons; k++) {
				if (persons[k].id != links[j].b || !persons[k].active)
					continue;
				if (persons[k].role == DIR_STUDENT)
					students++;
				else if (persons[k].role != DIR_GUARDIAN)
					staff++;
			}
		}
		printf("%-16s %-8s %s %-14s %5u %8u%s\n", t->tag, t->kind,
		       CLI_PAD(pad, t->name, 24), t->relay_number ? t->relay_number : "-", staff,
		       students, t->active ? "" : " (inactive)");
		shown++;
	}
	printf("%u team%s\n", shown, shown == 1 ? "" : "s");
	return CLI_EXIT_OK;
}

static int cmp_person(const void *a, const void *b)
{
	return strcmp((*(struct dir_person *const *)a)->handle,
		      (*(struct dir_person *const *)b)->handle);
}

static struct dir_person **sorted(void *ctx, struct dir_person **arr, unsigned n)
{
	struct dir_person **r = talloc_array(ctx, struct dir_person *, n + 1);

	if (n)
		memcpy(r, arr, n * sizeof(*r));
	qsort(r, n, sizeof(*r), cmp_person);
	return r;
}

static void print_person(const char *indent, const struct dir_person *p, const char *name)
{
	char pad[512];

	printf("%s%-16s %s %s\n", indent, p->handle, CLI_PAD(pad, name ? name : p->display, 30),
	       p->phone ? p->phone : "(no phone)");
}

static int team_show(struct store *s, void *ctx, const char *tag)
{
	struct store_team st;
	struct directory *d;
	struct dir_team *t;
	struct store_link *links;
	size_t n_links;
	struct dir_person **list;
	unsigned unreachable = 0;
	bool explicit_overseers;

	if (!cli_find_team(s, ctx, "team show", tag, &st))
		return CLI_EXIT_INPUT;
	printf("%s: %s (%s)\n", st.tag, st.name, st.kind);
	printf("  %-10s %s\n", "relay", st.relay_number ? st.relay_number : "none");
	printf("  %-10s %s\n", "source", source_of(ctx, &st));
	if (!st.active) {
		printf("  %-10s inactive%s\n", "status",
		       st.manual_inactive ? " (deactivated by hand)" : " (gone from the roster)");
		return CLI_EXIT_OK;
	}
	d = store_directory_load(s, ctx);
	if (!d || !(t = dir_team_by_tag(d, st.tag))) {
		cli_err("team show", "cannot load the directory: %s", store_errmsg(s));
		return CLI_EXIT_DB;
	}
	printf("  %-10s %u\n", "staff", t->n_staff);
	list = sorted(ctx, t->staff, t->n_staff);
	for (unsigned i = 0; i < t->n_staff; i++)
		print_person("    ", list[i], NULL);

	for (unsigned i = 0; i < t->n_students; i++) {
		bool any = false;
		for (unsigned j = 0; j < t->students[i]->n_guardians; j++)
			any |= dir_reachable(t->students[i]->guardians[j], t->relay);
		unreachable += !any;
	}
	printf("  %-10s %u", "students", t->n_students);
	if (unreachable)
		printf(" (%u without a guardian reachable by text)", unreachable);
	printf("\n");
	list = sorted(ctx, t->students, t->n_students);
	for (unsigned i = 0; i < t->n_students; i++) {
		struct dir_person *p = list[i];
		bool any = false;

		print_person("    ", p, talloc_asprintf(ctx, "%s %s", p->given, p->family));
		if (store_links_list(s, ctx, STORE_LINK_GUARDIAN, p->id, &links, &n_links) < 0)
			n_links = 0;
		for (unsigned j = 0; j < p->n_guardians; j++) {
			struct dir_person *g = p->guardians[j];
			const char *rel = NULL;

			for (size_t k = 0; k < n_links; k++)
				if (links[k].b == g->id)
					rel = links[k].note;
			print_person("      guardian ", g,
				     talloc_asprintf(ctx, "%s %s%s%s%s", g->given, g->family,
						     rel ? " (" : "", rel ? rel : "",
						     rel ? ")" : ""));
			any |= dir_reachable(g, t->relay);
		}
		if (!any)
			printf("      ! no guardian reachable by text: guardians are not copied on "
			       "messages with %s\n",
			       p->handle);
	}
	printf("  %-10s %u\n", "subgroups", t->n_subgroups);
	for (unsigned i = 0; i < t->n_subgroups; i++) {
		struct dir_subgroup *g = t->subgroups[i];

		list = sorted(ctx, g->members, g->n_members);
		printf("    %-16s", g->name);
		for (unsigned j = 0; j < g->n_members; j++)
			printf("%s%s", j ? ", " : " ", list[j]->handle);
		printf("%s\n", g->n_members ? "" : " (empty)");
	}
	explicit_overseers =
	    store_links_list(s, ctx, STORE_LINK_OVERSEER, st.id, &links, &n_links) == 0 &&
	    n_links > 0;
	printf("  %-10s %u%s\n", "overseers", t->n_overseers,
	       explicit_overseers ? ""
	       : t->kind == DIR_TEAM_SPORTS
		   ? " (default: the athletic directors, else the principals)"
		   : " (default: the principals)");
	list = sorted(ctx, t->overseers, t->n_overseers);
	for (unsigned i = 0; i < t->n_overseers; i++)
		print_person("    ", list[i], NULL);
	return CLI_EXIT_OK;
}

/* --- changes ------------------------------------------------------------------------- */

static int relay_arg(struct store *s, const char *cmd, const struct opts *o, int64_t *id,
		     char *number, size_t cap)
{
	const char *why = "invalid";

	if (!strcmp(o->relay, "none") || !*o->relay) {
		*id = 0;
		snprintf(number, cap, "none");
		return 0;
	}
	if (phone_is_e164(o->relay)) {
		snprintf(number, cap, "%s", o->relay);
	} else if (phone_normalize(number, cap, o->relay, o->cc ? o->cc : "1", &why) < 0) {
		cli_err(cmd, "relay '%s' is not a phone number: %s", o->relay, why);
		return -1;
	}
	(void)s;
	*id = -1; /* ensured inside the transaction */
	return 0;
}

static int team_add(struct store *s, void *ctx, const char *tag_arg, const struct opts *o)
{
	const char *cmd = "team add";
	struct store_team t = {.active = true};
	char *tag = talloc_strdup(ctx, tag_arg[0] == '#' ? tag_arg + 1 : tag_arg);
	char number[32];
	int64_t relay = 0;

	if (!o->name || !o->kind) {
		cli_err(cmd, "--name and --kind are required");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!roster_word_valid(tag)) {
		cli_err(cmd, "tag '%s' is not a word (a-z, 0-9, _ and -, starting with a letter)",
			tag);
		return CLI_EXIT_INPUT;
	}
	if (store_tag_taken(s, tag) != 0) {
		cli_err(cmd, "tag '%s' is taken", tag);
		return CLI_EXIT_INPUT;
	}
	if (!roster_name_valid(o->name)) {
		cli_err(cmd, "--name is 1 to 100 bytes of text without control characters");
		return CLI_EXIT_INPUT;
	}
	if (!kind_valid(o->kind)) {
		cli_err(cmd, "kind '%s' is not sports, club, class or building", o->kind);
		return CLI_EXIT_INPUT;
	}
	if (o->relay && relay_arg(s, cmd, o, &relay, number, sizeof(number)) < 0)
		return CLI_EXIT_INPUT;
	t.tag = tag;
	t.name = o->name;
	t.kind = o->kind;
	if (store_begin(s) < 0)
		goto db_error;
	if (relay < 0 &&
	    store_relay_ensure_as(s, cli_actor(ctx, o->as), number, NULL, &t.relay_id) < 0)
		goto db_error;
	if (store_team_add(s, cli_actor(ctx, o->as), &t) < 0 || store_commit(s) < 0)
		goto db_error;
	printf("added team %s: %s (%s), relay %s\n", t.tag, t.name, t.kind,
	       relay < 0 ? number : "none");
	return CLI_EXIT_OK;
db_error:
	cli_err(cmd, "database: %s; nothing changed", store_errmsg(s));
	store_rollback(s);
	return CLI_EXIT_DB;
}

static int team_set(struct store *s, void *ctx, const char *tag, const struct opts *o)
{
	const char *cmd = "team set";
	struct store_team old, t;
	char number[32];
	int64_t relay = 0;
	int rc;

	if (!o->name && !o->kind && !o->relay && !o->tag) {
		cli_err(cmd, "nothing to set");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!cli_find_team(s, ctx, cmd, tag, &old))
		return CLI_EXIT_INPUT;
	t = old;
	if (o->name) {
		if (!roster_name_valid(o->name)) {
			cli_err(cmd, "--name is 1 to 100 bytes of text without control characters");
			return CLI_EXIT_INPUT;
		}
		t.name = o->name;
	}
	if (o->kind) {
		if (!kind_valid(o->kind)) {
			cli_err(cmd, "kind '%s' is not sports, club, class or building", o->kind);
			return CLI_EXIT_INPUT;
		}
		t.kind = o->kind;
	}
	if (o->tag) {
		const char *nt = o->tag[0] == '#' ? o->tag + 1 : o->tag;

		if (!roster_word_valid(nt)) {
			cli_err(
			    cmd,
			    "tag '%s' is not a word (a-z, 0-9, _ and -, starting with a letter, "
			    "at most 32)",
			    nt);
			return CLI_EXIT_INPUT;
		}
		if (strcmp(nt, old.tag) && store_tag_taken(s, nt) != 0) {
			cli_err(cmd, "tag '%s' is taken", nt);
			return CLI_EXIT_INPUT;
		}
		t.tag = nt;
		/* teams.csv names the team by its first tag: keep that as its key, so the
		 * next import finds the renamed team instead of adding the old one again. */
		if (old.origin && !strcmp(old.origin, STORE_ORIGIN_TEAMS) && !old.source_id)
			t.source_id = talloc_asprintf(ctx, "teams.csv:%s", old.tag);
	}
	if (o->relay && relay_arg(s, cmd, o, &relay, number, sizeof(number)) < 0)
		return CLI_EXIT_INPUT;
	if (store_begin(s) < 0)
		goto db_error;
	if (o->relay) {
		t.relay_id = 0;
		if (relay < 0 &&
		    store_relay_ensure_as(s, cli_actor(ctx, o->as), number, NULL, &t.relay_id) < 0)
			goto db_error;
	}
	rc = store_team_update(s, cli_actor(ctx, o->as), &old, &t);
	if (rc < 0 || store_commit(s) < 0)
		goto db_error;
	if (rc == 0) {
		printf("%s: nothing to change\n", old.tag);
		return CLI_EXIT_OK;
	}
	printf("updated team %s\n", t.tag);
	if (old.origin && o->name)
		fprintf(stderr,
			"note: %s comes from the roster (%s); the next import sets its "
			"name back to what the roster says\n",
			t.tag, source_of(ctx, &old));
	return CLI_EXIT_OK;
db_error:
	cli_err(cmd, "database: %s; nothing changed", store_errmsg(s));
	store_rollback(s);
	return CLI_EXIT_DB;
}

static int team_activity(struct store *s, void *ctx, const char *tag, bool activate,
			 const struct opts *o)
{
	const char *cmd = activate ? "team activate" : "team deactivate";
	struct store_team old, t;

	if (!cli_find_team(s, ctx, cmd, tag, &old))
		return CLI_EXIT_INPUT;
	t = old;
	if (activate ? old.active : (!old.active && old.manual_inactive)) {
		printf("%s is %s already\n", old.tag, activate ? "active" : "inactive");
		return CLI_EXIT_OK;
	}
	t.active = activate;
	t.manual_inactive = !activate;
	if (store_team_update(s, cli_actor(ctx, o->as), &old, &t) < 0) {
		cli_err(cmd, "database: %s; nothing changed", store_errmsg(s));
		return CLI_EXIT_DB;
	}
	printf("%s team %s\n", activate ? "activated" : "deactivated", t.tag);
	return CLI_EXIT_OK;
}

/* member / overseer / subgroup: resolve every handle before changing anything. */
/* The subgroup named on the command line, lower-cased into *name, and whether team t
 * has it (*have, its row in *g). Returns -1 to go on, else the exit status. */
static int subgroup_arg(struct store *s, void *ctx, const char *cmd, const struct store_team *t,
			bool add, const char **name, struct store_subgroup *g, int *have)
{
	char *lower = talloc_strdup(ctx, *name);

	for (char *c = lower; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	if (!roster_word_valid(lower)) {
		cli_err(cmd,
			"subgroup '%s' is not a word (a-z, 0-9, _ and -, starting with a letter)",
			*name);
		return CLI_EXIT_INPUT;
	}
	*name = lower;
	*have = store_subgroup_by_name(s, ctx, t->id, lower, g);
	if (*have < 0) {
		cli_err(cmd, "database: %s; nothing changed", store_errmsg(s));
		return CLI_EXIT_DB;
	}
	if (!add && !*have) {
		cli_err(cmd, "team %s has no subgroup '%s'", t->tag, lower);
		return CLI_EXIT_INPUT;
	}
	return -1;
}

/* A person leaving team_id leaves each of its subgroups. 0, or -1 (store error). */
static int leave_subgroups(struct store *s, void *ctx, const char *actor, int64_t team_id,
			   int64_t person_id)
{
	struct store_subgroup *groups;
	size_t n_groups;

	if (store_subgroups_list(s, ctx, team_id, &groups, &n_groups) < 0)
		return -1;
	for (size_t j = 0; j < n_groups; j++)
		if (store_link_remove(s, actor, STORE_LINK_SUBGROUP, groups[j].id, person_id) < 0)
			return -1;
	return 0;
}

static int links_cmd(struct store *s, void *ctx, const char *what, bool add, const char *tag,
		     char **handles, int n, const char *subgroup, const struct opts *o)
{
	const char *cmd = talloc_asprintf(ctx, "team %s %s", what, add ? "add" : "remove");
	bool overseer = !strcmp(what, "overseer"), sub = subgroup != NULL;
	enum store_link_kind k = overseer ? STORE_LINK_OVERSEER
				 : sub	  ? STORE_LINK_SUBGROUP
					  : STORE_LINK_MEMBER;
	unsigned roles = overseer ? 1u << DIR_ADMIN
			 : sub	  ? 1u << DIR_STUDENT
				  : (1u << DIR_STUDENT) | (1u << DIR_STAFF) | (1u << DIR_ADMIN);
	struct store_person *persons = talloc_zero_array(ctx, struct store_person, n + 1);
	struct store_subgroup g = {0};
	struct store_team t;
	const char *actor = cli_actor(ctx, o->as);
	const char *label;
	int have_group = 0;

	if (!cli_find_team(s, ctx, cmd, tag, &t))
		return CLI_EXIT_INPUT;
	if (!t.active) {
		cli_err(cmd, "team %s is inactive", t.tag);
		return CLI_EXIT_INPUT;
	}
	if (sub) {
		int rc = subgroup_arg(s, ctx, cmd, &t, add, &subgroup, &g, &have_group);
		if (rc >= 0)
			return rc;
	}
	for (int i = 0; i < n; i++) {
		if (add ? !cli_find_active(s, ctx, cmd, handles[i], roles, &persons[i])
			: !cli_find_person(s, ctx, cmd, handles[i], &persons[i]))
			return CLI_EXIT_INPUT;
		/* A subgroup is a way of addressing part of a team: its students only. */
		if (sub && add &&
		    store_link_exists(s, STORE_LINK_MEMBER, t.id, persons[i].id) != 1) {
			cli_err(cmd, "%s is not a member of %s (add them with 'team member add')",
				persons[i].handle, t.tag);
			return CLI_EXIT_INPUT;
		}
	}
	if (store_begin(s) < 0)
		goto db_error;
	if (sub && add && !have_group) {
		if (store_subgroup_add(s, actor, t.id, subgroup, NULL, &g.id) < 0)
			goto db_error;
		printf("added subgroup %s.%s\n", t.tag, subgroup);
	}
	if (sub && !add && n == 0) {
		if (store_subgroup_remove(s, actor, g.id) < 0 || store_commit(s) < 0)
			goto db_error;
		printf("removed subgroup %s.%s\n", t.tag, subgroup);
		return CLI_EXIT_OK;
	}
	label = sub ? talloc_asprintf(ctx, "%s.%s", t.tag, subgroup) : t.tag;
	for (int i = 0; i < n; i++) {
		int64_t a = sub ? g.id : t.id;
		int rc = add ? store_link_add(s, actor, k, a, persons[i].id, NULL, NULL)
			     : store_link_remove(s, actor, k, a, persons[i].id);

		if (rc < 0)
			goto db_error;
		if (rc == 0) {
			printf(add ? "%s is in %s already\n" : "%s is not in %s\n",
			       persons[i].handle, label);
			continue;
		}
		printf("%s %s %s %s\n", add ? "added" : "removed", persons[i].handle,
		       add ? "to" : "from", label);
		/* Leaving the team means leaving its subgroups. */
		if (!add && k == STORE_LINK_MEMBER &&
		    leave_subgroups(s, ctx, actor, t.id, persons[i].id) < 0)
			goto db_error;
		if (!add && t.origin && persons[i].origin)
			fprintf(stderr,
				"note: if %s lists %s for %s, the next import adds them back\n",
				source_of(ctx, &t), persons[i].handle, t.tag);
	}
	if (store_commit(s) < 0)
		goto db_error;
	return CLI_EXIT_OK;
db_error:
	cli_err(cmd, "database: %s; nothing changed", store_errmsg(s));
	store_rollback(s);
	return CLI_EXIT_DB;
}

int cli_team_main(int argc, char **argv)
{
	const struct cli_sub *sub;
	char **args;
	struct opts o;
	struct store *s;
	void *ctx;
	int rc, nargs;
	unsigned words = 0;
	bool add = false;

	/* member|overseer|subgroup take add or remove before their options. */
	if (argc >= 2 && (!strcmp(argv[1], "member") || !strcmp(argv[1], "overseer") ||
			  !strcmp(argv[1], "subgroup"))) {
		if (argc < 3 || (strcmp(argv[2], "add") && strcmp(argv[2], "remove"))) {
			cli_err("team", "%s: expects add or remove", argv[1]);
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
		add = !strcmp(argv[2], "add");
		words = 1;
	}
	ctx = talloc_named_const(NULL, 0, "chaperone team");
	rc = cli_parse_sub(ctx, "team", argc, argv, words, subs, ARRAY_SIZE(subs), opt_table,
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
		rc = team_list(s, ctx, &o);
		break;
	case SUB_SHOW:
		rc = team_show(s, ctx, args[0]);
		break;
	case SUB_ADD:
		rc = team_add(s, ctx, args[0], &o);
		break;
	case SUB_SET:
		rc = team_set(s, ctx, args[0], &o);
		break;
	case SUB_DEACTIVATE:
	case SUB_ACTIVATE:
		rc = team_activity(s, ctx, args[0], sub - subs == SUB_ACTIVATE, &o);
		break;
	case SUB_SUBGROUP:
		rc = links_cmd(s, ctx, sub->name, add, args[0], args + 2, nargs - 2, args[1], &o);
		break;
	default:
		rc = links_cmd(s, ctx, sub->name, add, args[0], args + 1, nargs - 1, NULL, &o);
		break;
	}
	talloc_free(ctx);
	return rc;
}
