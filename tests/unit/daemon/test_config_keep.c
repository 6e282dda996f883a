/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* config_keep_merge(): the console's configuration saved into the operator's file. Each
 * case is an operator's file and what the console would write; the property test checks
 * on random ones that the result holds exactly the running settings and every comment of
 * the file, in the file's order. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <talloc.h>

#include "gateway/daemon/config_keep.h"

static char *merge(void *ctx, const char *saved, const char *running,
		   struct config_keep_report *rep)
{
	char *out = NULL;
	assert_int_equal(config_keep_merge(ctx, saved, running, NULL, NULL, &out, rep), 0);
	assert_non_null(out);
	return out;
}

static const char operator_file[] = "! Lakeview's relay. Edited by J. Alvarez.\n"
				    "!\n"
				    "chaperone\n"
				    "  ! The name every reply carries.\n"
				    "  district Lakeview Public Schools\n"
				    "  timezone America/New_York\n"
				    "policy\n"
				    "  ! Quiet hours, as the board adopted them (policy 004).\n"
				    "  quiet-hours 21:00 07:00\n"
				    "  oversight copy\n"
				    "  # digest at five\n"
				    "  digest-hour 17\n"
				    "\n"
				    "modem soccer\n"
				    "\tdevice /dev/chaperone/ec25-a\r\n"
				    "\trelay-number +15550100\n"
				    "! end of file\n";

/* The running configuration of that file, as the console writes it. */
static const char running_same[] = "!\n"
				   "chaperone\n"
				   " district Lakeview Public Schools\n"
				   " timezone America/New_York\n"
				   "!\n"
				   "policy\n"
				   " quiet-hours 21:00 07:00\n"
				   " oversight copy\n"
				   " digest-hour 17\n"
				   "!\n"
				   "modem soccer\n"
				   " device /dev/chaperone/ec25-a\n"
				   " relay-number +15550100\n"
				   "!\n";

static void test_unchanged_is_byte_for_byte(void **state)
{
	struct config_keep_report rep;
	char *out = merge(*state, operator_file, running_same, &rep);

	/* Comments, blank line, two-space and tab indentation, a CR: all as written. */
	assert_string_equal(out, operator_file);
	assert_int_equal(rep.changed + rep.added + rep.removed, 0);
}

static void test_changed_value_keeps_place(void **state)
{
	struct config_keep_report rep;
	char *running = talloc_strdup(*state, running_same);
	char *p = strstr(running, "digest-hour 17");
	char *out;

	memcpy(p, "digest-hour 18", 14);
	out = merge(*state, operator_file, running, &rep);
	assert_non_null(strstr(out, "  # digest at five\n  digest-hour 18\n\nmodem soccer\n"));
	assert_null(strstr(out, "digest-hour 17"));
	assert_int_equal(rep.changed, 1);
	assert_int_equal(rep.added + rep.removed, 0);
}

static void test_removed_line_gives_way(void **state)
{
	static const char running[] = "chaperone\n"
				      " district Lakeview Public Schools\n"
				      " timezone America/New_York\n"
				      "policy\n"
				      " no quiet-hours\n"
				      " oversight copy\n"
				      " digest-hour 17\n"
				      "modem soccer\n"
				      " device /dev/chaperone/ec25-a\n"
				      " relay-number +15550100\n";
	struct config_keep_report rep;
	char *out = merge(*state, operator_file, running, &rep);

	/* The comment stays, the replacement takes the place, in the section's indentation. */
	assert_non_null(strstr(out, "policy\n  ! Quiet hours, as the board adopted them (policy "
				    "004).\n  no quiet-hours\n  oversight copy\n"));
	assert_null(strstr(out, "21:00"));
	assert_int_equal(rep.removed, 1);
	assert_string_equal(rep.removed_lines[0], "quiet-hours 21:00 07:00");
	assert_int_equal(rep.added, 1);
	assert_int_equal(rep.changed, 0);
}

static void test_added_lines_follow_their_neighbour(void **state)
{
	static const char running[] = "password lakeview-console\n"
				      "chaperone\n"
				      " district Lakeview Public Schools\n"
				      " timezone America/New_York\n"
				      " it-contact +15550199\n"
				      "policy\n"
				      " quiet-hours 21:00 07:00\n"
				      " oversight copy\n"
				      " digest-hour 17\n"
				      "modem soccer\n"
				      " device /dev/chaperone/ec25-a\n"
				      " relay-number +15550100\n"
				      "modem robotics\n"
				      " device /dev/chaperone/sim7600\n"
				      "line vty\n"
				      " login\n";
	struct config_keep_report rep;
	char *out = merge(*state, operator_file, running, &rep);

	assert_string_equal(out, "! Lakeview's relay. Edited by J. Alvarez.\n"
				 "!\n"
				 "password lakeview-console\n"
				 "chaperone\n"
				 "  ! The name every reply carries.\n"
				 "  district Lakeview Public Schools\n"
				 "  timezone America/New_York\n"
				 "  it-contact +15550199\n"
				 "policy\n"
				 "  ! Quiet hours, as the board adopted them (policy 004).\n"
				 "  quiet-hours 21:00 07:00\n"
				 "  oversight copy\n"
				 "  # digest at five\n"
				 "  digest-hour 17\n"
				 "\n"
				 "modem soccer\n"
				 "\tdevice /dev/chaperone/ec25-a\r\n"
				 "\trelay-number +15550100\n"
				 "!\n"
				 "modem robotics\n"
				 " device /dev/chaperone/sim7600\n"
				 "!\n"
				 "line vty\n"
				 " login\n"
				 "! end of file\n");
	assert_int_equal(rep.added, 6);
	assert_int_equal(rep.changed + rep.removed, 0);
}

static void test_headings_match_exactly(void **state)
{
	static const char file[] = "modem soccer\n device /dev/a\n";
	static const char running[] = "modem robotics\n device /dev/a\n";
	struct config_keep_report rep;
	char *out = merge(*state, file, running, &rep);

	/* Another modem is not the same modem with another name. */
	assert_string_equal(out, "modem robotics\n device /dev/a\n");
	assert_int_equal(rep.removed, 2);
	assert_int_equal(rep.added, 2);
}

static void test_likeness_needs_the_key(void **state)
{
	static const char file[] = "records\n"
				   " ! seven years, as the state schedule says\n"
				   " retention messages 7 years\n"
				   " retention calls 90 days\n"
				   "timer relay X1 250\n";
	static const char running[] = "records\n"
				      " retention messages 3 years\n"
				      " retention calls 90 days\n"
				      "timer relay X2 100\n";
	struct config_keep_report rep;
	char *out = merge(*state, file, running, &rep);

	assert_string_equal(out, "records\n"
				 " ! seven years, as the state schedule says\n"
				 " retention messages 3 years\n"
				 " retention calls 90 days\n"
				 "timer relay X2 100\n");
	/* X1 -> X2 shares all but its last two words: one setting changed, by likeness. */
	assert_int_equal(rep.changed, 2);
	assert_int_equal(rep.added + rep.removed, 0);
}

static bool omit_default_logging(const char *section, const char *line, void *data)
{
	(*(unsigned *)data)++;
	return section && !strncmp(section, "log ", 4) && strstr(line, " notice");
}

static void test_omit_only_what_the_file_lacks(void **state)
{
	static const char file[] = "log stderr\n logging level lglobal notice\n";
	static const char running[] = "log stderr\n"
				      " logging level lglobal notice\n"
				      " logging level lmux notice\n"
				      " logging level relay info\n";
	struct config_keep_report rep;
	unsigned asked = 0;
	char *out = NULL;

	assert_int_equal(
	    config_keep_merge(*state, file, running, omit_default_logging, &asked, &out, &rep), 0);
	assert_string_equal(out, "log stderr\n logging level lglobal notice\n"
				 " logging level relay info\n");
	assert_int_equal(asked, 2);
	assert_int_equal(rep.added, 1);
}

static void test_bad_text_refused(void **state)
{
	char *out = (char *)1, deep[2 * (CONFIG_KEEP_MAX_DEPTH + 2) * (CONFIG_KEEP_MAX_DEPTH + 2)];
	char *big;
	size_t len = 0;

	assert_int_equal(
	    config_keep_merge(*state, "chaperone\n district \x01\n", "", NULL, NULL, &out, NULL),
	    -EINVAL);
	assert_null(out);
	for (unsigned d = 0; d <= CONFIG_KEEP_MAX_DEPTH + 1; d++) {
		memset(deep + len, ' ', d);
		len += d;
		deep[len++] = 'x';
		deep[len++] = '\n';
	}
	deep[len] = '\0';
	assert_int_equal(config_keep_merge(*state, "", deep, NULL, NULL, &out, NULL), -EINVAL);
	big = talloc_size(*state, CONFIG_KEEP_MAX_BYTES + 2);
	memset(big, '!', CONFIG_KEEP_MAX_BYTES + 1);
	big[CONFIG_KEEP_MAX_BYTES + 1] = '\0';
	assert_int_equal(config_keep_merge(*state, big, "", NULL, NULL, &out, NULL), -EINVAL);
	/* Empty and comment-only texts are fine. */
	assert_int_equal(config_keep_merge(*state, "", "", NULL, NULL, &out, NULL), 0);
	assert_string_equal(out, "");
	assert_int_equal(config_keep_merge(*state, "! only\n", "x\n", NULL, NULL, &out, NULL), 0);
	assert_string_equal(out, "x\n! only\n");
}

/* --- the property: settings are the running ones, comments the file's, in order --- */

struct flat {
	char **settings; /* "section|line" for every setting, sorted */
	unsigned n;
	char **comments; /* every comment line, in order */
	unsigned n_comments;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void flatten(void *ctx, const char *text, struct flat *f)
{
	char *copy = talloc_strdup(ctx, text), *save = NULL, *line;
	const char *section = "";

	f->settings = talloc_array(ctx, char *, 4096);
	f->comments = talloc_array(ctx, char *, 4096);
	f->n = f->n_comments = 0;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *t = line + strspn(line, " \t");
		if (!*t || *t == '!' || *t == '#') {
			f->comments[f->n_comments++] = line;
			continue;
		}
		if (t == line)
			section = t;
		f->settings[f->n++] = talloc_asprintf(ctx, "%s|%s", t == line ? "" : section, t);
	}
	qsort(f->settings, f->n, sizeof(char *), cmp_str);
}

static const char *const words[] = {"district", "timezone", "oversight", "quiet-hours",
				    "device",	"label",    "retention", "messages",
				    "7",	"3",	    "years",	 "copy"};

static void random_text(void *ctx, char **out, bool comments)
{
	static const char *const heads[] = {"chaperone", "policy", "modem a", "modem b", "records"};
	char *t = talloc_strdup(ctx, "");
	unsigned n = (unsigned)rand() % 12, heads_used = 0;

	for (unsigned i = 0; i < n; i++) {
		if (comments && rand() % 3 == 0)
			t = talloc_asprintf_append(t, "%s! note %u\n", rand() % 2 ? " " : "", i);
		if (rand() % 3 == 0 || !heads_used) {
			/* A section heading, each at most once, as the console writes them. */
			unsigned h = (unsigned)rand() % 5;
			if (heads_used & (1u << h))
				continue;
			heads_used |= 1u << h;
			t = talloc_asprintf_append(t, "%s\n", heads[h]);
			continue;
		}
		t = talloc_asprintf_append(t, " %s %s %s\n", words[rand() % 12], words[rand() % 12],
					   words[rand() % 12]);
	}
	if (comments && rand() % 2)
		t = talloc_asprintf_append(t, "! trailer\n");
	*out = t;
}

static void test_property_random(void **state)
{
	unsigned runs = 20000;

	srand(16);
	for (unsigned r = 0; r < runs; r++) {
		void *ctx = talloc_new(*state);
		char *saved, *running, *out, *again;
		struct flat fs, fr, fo;
		struct config_keep_report rep;
		unsigned c = 0;

		random_text(ctx, &saved, true);
		random_text(ctx, &running, false);
		out = merge(ctx, saved, running, &rep);
		flatten(ctx, saved, &fs);
		flatten(ctx, running, &fr);
		flatten(ctx, out, &fo);
		/* Exactly the running settings, each in its section. */
		if (fo.n != fr.n)
			fail_msg("run %u: %u settings, running has %u\n--- saved\n%s--- running\n%s"
				 "--- out\n%s",
				 r, fo.n, fr.n, saved, running, out);
		for (unsigned i = 0; i < fo.n; i++)
			if (strcmp(fo.settings[i], fr.settings[i]))
				fail_msg("run %u: '%s' vs '%s'\n--- saved\n%s--- running\n%s--- "
					 "out\n%s",
					 r, fo.settings[i], fr.settings[i], saved, running, out);
		/* Every comment of the file, in order (the merge adds only "!" separators). */
		for (unsigned i = 0; i < fo.n_comments && c < fs.n_comments; i++)
			if (!strcmp(fo.comments[i], fs.comments[c]))
				c++;
		if (c != fs.n_comments)
			fail_msg("run %u: comment '%s' lost\n--- saved\n%s--- out\n%s", r,
				 fs.comments[c], saved, out);
		/* Saving again changes nothing. */
		again = merge(ctx, out, running, &rep);
		if (strcmp(again, out))
			fail_msg("run %u: not stable\n--- first\n%s--- second\n%s", r, out, again);
		assert_int_equal(rep.changed + rep.added + rep.removed, 0);
		talloc_free(ctx);
	}
}

static int setup(void **state)
{
	*state = talloc_named_const(NULL, 0, "test_config_keep");
	return 0;
}

static int teardown(void **state)
{
	talloc_free(*state);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_unchanged_is_byte_for_byte, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_changed_value_keeps_place, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_removed_line_gives_way, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_added_lines_follow_their_neighbour, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_headings_match_exactly, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_likeness_needs_the_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_omit_only_what_the_file_lacks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_text_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_property_random, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
