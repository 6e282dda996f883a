/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* archive_gen: write a generated district archive (tests/bench/archive_gen.h) to a new
 * database file, for the records benchmark and for tests that need a realistic archive.
 *
 *   archive_gen --db PATH --messages N [--seed S] [--years Y] [--quiet]
 *
 * The file must be new (or empty); a file that already holds exactly this archive is
 * left as it is. Prints what it wrote. Exit status 0 on success, 1 on failure, 2 for a
 * command line it does not understand. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "tests/bench/archive_gen.h"
#include "storage/archive/store.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: archive_gen --db PATH --messages N [--seed S] [--years Y] [--quiet]\n\n"
		   "Writes a generated district archive (directory, messages, deliveries and\n"
		   "their events, holds, opt-outs...) into a new database file.\n"
		   "  --messages N  messages to generate (at least 1)\n"
		   "  --seed S      the generator's seed (default 1): same seed, same records\n"
		   "  --years Y     school years the messages span, ending 15 Aug 2026 (default "
		   "4, 1-20)\n"
		   "  --quiet       no progress lines on stderr\n");
}

/* A whole decimal number, nothing else ("12x", "-3" and "" are not). */
static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	v = strtoull(s, &end, 10);
	if (*end)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
					     {"messages", required_argument, NULL, 'm'},
					     {"seed", required_argument, NULL, 's'},
					     {"years", required_argument, NULL, 'y'},
					     {"quiet", no_argument, NULL, 'q'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	struct archive_gen_params p;
	struct archive_gen_stats st;
	const char *db = NULL;
	bool have_messages = false;
	uint64_t years = 4;
	char err[512];
	struct store *s;
	int c, rc;

	archive_gen_defaults(&p);
	p.progress = true;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'm':
			if (parse_u64(optarg, &p.messages) < 0 || p.messages < 1) {
				fprintf(stderr,
					"archive_gen: --messages: not a positive number: %s\n",
					optarg);
				return 2;
			}
			have_messages = true;
			break;
		case 's':
			if (parse_u64(optarg, &p.seed) < 0) {
				fprintf(stderr, "archive_gen: --seed: not a number: %s\n", optarg);
				return 2;
			}
			break;
		case 'y':
			if (parse_u64(optarg, &years) < 0 || years < 1 || years > 20) {
				fprintf(stderr, "archive_gen: --years: a number from 1 to 20: %s\n",
					optarg);
				return 2;
			}
			break;
		case 'q':
			p.progress = false;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc || !db || !have_messages) {
		if (optind < argc)
			fprintf(stderr, "archive_gen: unexpected argument: %s\n", argv[optind]);
		else
			fprintf(stderr, "archive_gen: --db and --messages are required\n");
		usage(stderr);
		return 2;
	}
	p.years = (unsigned)years;

	s = store_open(NULL, db, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "archive_gen: %s\n", err);
		return 1;
	}
	rc = archive_gen_matches(s, &p, &st);
	if (rc == 1) {
		printf("%s already holds this archive (%" PRIu64 " messages, seed %" PRIu64
		       ", %u years)\n",
		       db, p.messages, p.seed, p.years);
		store_close(s);
		return 0;
	}
	if (rc < 0 || archive_gen_run(s, &p, &st, err, sizeof(err)) < 0) {
		fprintf(stderr, "archive_gen: %s\n", rc < 0 ? store_errmsg(s) : err);
		store_close(s);
		return 1;
	}
	store_close(s);
	printf("%s: %" PRIu64 " messages over %u school years (seed %" PRIu64 ") in %.1f s\n"
	       "  directory: %" PRIu64 " persons, %" PRIu64 " teams\n"
	       "  %" PRIu64 " PDUs, %" PRIu64 " verdicts, %" PRIu64 " deliveries, %" PRIu64
	       " delivery events, %" PRIu64 " notices, %" PRIu64 " thread rows\n"
	       "  broadcasts %" PRIu64 ", to one student %" PRIu64 ", from students %" PRIu64
	       ", from guardians %" PRIu64 ", staff to staff %" PRIu64 "\n"
	       "  held %" PRIu64 " (rejected %" PRIu64 "), blocked %" PRIu64 ", crisis %" PRIu64
	       ", opt-out commands %" PRIu64 ", unknown senders %" PRIu64 "\n"
	       "  %" PRId64 " chained records (%.1f per message)\n",
	       db, st.messages, p.years, p.seed, st.seconds, st.persons, st.teams, st.rx_pdus,
	       st.verdicts, st.deliveries, st.events, st.notices, st.threads, st.broadcasts,
	       st.to_one, st.from_students, st.from_guardians, st.staff_to_staff, st.held,
	       st.held_rejected, st.blocked, st.flagged, st.optouts, st.unknown, st.records,
	       (double)st.records / (double)st.messages);
	return 0;
}
