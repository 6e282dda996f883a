/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Reading a `chaperone` command line (cli_opts.h). */
#include <getopt.h>
#include <stdint.h>
#include <string.h>

#include <talloc.h>

#include "gateway/cli/cli_db.h"
#include "gateway/cli/cli_opts.h"

/* getopt_long's values for the table's options: above every short option's. */
#define OPT_BASE 256
#define OPTS_MAX 32

static bool is_help(const char *s)
{
	return !strcmp(s, "--help") || !strcmp(s, "-h") || !strcmp(s, "help");
}

int cli_dispatch(const char *cmd, int argc, char **argv, const struct cli_command *subs, size_t n,
		 cli_usage_fn usage)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (is_help(argv[1])) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	for (size_t i = 0; i < n; i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].run(argc - 1, argv + 1);
	cli_err(cmd, "unknown subcommand '%s'", argv[1]);
	usage(stderr);
	return CLI_EXIT_USAGE;
}

/* One option's value into out. -1 when memory ran out. */
static int store_opt(void *ctx, const struct cli_opt *o, void *out, char *value)
{
	char *base = out;

	switch (o->kind) {
	case CLI_OPT_VALUE:
		*(const char **)(base + o->at) = value;
		return 0;
	case CLI_OPT_FLAG:
		*(bool *)(base + o->at) = true;
		return 0;
	case CLI_OPT_LIST: {
		const char ***list = (const char ***)(base + o->at);
		unsigned *count = (unsigned *)(base + o->count_at);
		const char **grown = talloc_realloc(ctx, *list, const char *, *count + 1);
		if (!grown)
			return -1;
		grown[(*count)++] = value;
		*list = grown;
		return 0;
	}
	}
	return -1;
}

/* The options of argv (argv[0] the subcommand's last word) into out. 0, 1 after --help,
 * -1 after a refusal (reason and usage printed). optind is after the last option. */
static int parse_opts(void *ctx, const char *cmd, int argc, char **argv, const struct cli_opt *opts,
		      size_t n, unsigned allowed, void *out, cli_usage_fn usage)
{
	struct option lo[OPTS_MAX + 2];
	int c;

	if (n > OPTS_MAX) {
		cli_err(cmd, "too many options in its table");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		lo[i] = (struct option){
		    opts[i].name, opts[i].kind == CLI_OPT_FLAG ? no_argument : required_argument,
		    NULL, OPT_BASE + (int)i};
	lo[n] = (struct option){"help", no_argument, NULL, 'h'};
	lo[n + 1] = (struct option){NULL, 0, NULL, 0};
	optind = 0;
	opterr = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		size_t i = (size_t)(c - OPT_BASE);
		if (c == 'h') {
			usage(stdout);
			return 1;
		}
		if (c < OPT_BASE || !(allowed & CLI_OPT_BIT(i))) {
			if (c >= OPT_BASE)
				cli_err(cmd, "option --%s does not apply here", opts[i].name);
			usage(stderr);
			return -1;
		}
		if (store_opt(ctx, &opts[i], out, optarg) < 0) {
			cli_err(cmd, "out of memory");
			return -1;
		}
	}
	return 0;
}

int cli_parse_sub(void *ctx, const char *cmd, int argc, char **argv, unsigned words,
		  const struct cli_sub *subs, size_t n_subs, const struct cli_opt *opts,
		  size_t n_opts, void *out, size_t out_size, cli_usage_fn usage,
		  const struct cli_sub **sub, char ***operands, int *n_operands)
{
	const struct cli_sub *s = NULL;
	char where[96];
	int first, rc, n;

	memset(out, 0, out_size);
	if (argc < 2 || is_help(argv[1])) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	for (size_t i = 0; i < n_subs && !s; i++)
		if (!strcmp(argv[1], subs[i].name))
			s = &subs[i];
	if (!s) {
		cli_err(cmd, "unknown subcommand '%s'", argv[1]);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	snprintf(where, sizeof(where), "%s %s", cmd, s->name);
	/* getopt counts from the subcommand's last word, as from a program's name. */
	first = 1 + (int)words;
	if (first >= argc) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	rc = parse_opts(ctx, where, argc - first, argv + first, opts, n_opts, s->allowed, out,
			usage);
	if (rc)
		return rc > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	n = argc - first - optind;
	if (n < s->min_operands || n > s->max_operands) {
		cli_err(where, "expects %s", s->operands);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	*sub = s;
	*operands = argv + first + optind;
	*n_operands = n;
	return -1;
}
