/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* A generated district archive: the fixture of the records benchmark (bench_records) and
 * of tests that need more than a handful of messages (archive_gen).
 *
 * archive_gen_run() fills an empty store with
 * - a directory written through storage/directory/directory_store.h: two relay numbers (athletics,
 *   clubs), an athletic director and a principal, 40 teams (24 sports teams in fall,
 *   winter and spring seasons, 16 clubs that meet all school year) of 15-30 students,
 *   some students on several teams, each student with one or two guardians, and 1-3
 *   coaches or advisors per team;
 * - `messages` messages over `years` school years, written through storage/records/records.h
 *   as the relay would have written them: the PDUs, the message, the verdict, every
 *   delivery with its queued, sent and delivered (or failed) events at the times they
 *   would have happened, notices, threads, hold decisions, opt-outs, unknown senders.
 *   The mix: coach broadcasts to a whole team (students, guardians, co-coaches and the
 *   overseer), coach to one student (guardians and overseer copied), students and
 *   guardians writing their coaches (a student's guardians copied), staff messages held
 *   by quiet hours (released at 07:00) or by the contact screen (released or rejected by
 *   the athletic director), blocked messages (answered by a reply), a few crisis answers
 *   (flagged, alerts to administrators), STOP/START, unknown numbers. Bodies come from a
 *   vocabulary of team messages (practice, bus, uniforms, scores, forms) and sometimes
 *   mention names, jersey numbers and phone numbers. Seasons, school holidays,
 *   weekdays and evening hours shape when messages are sent.
 *
 * Promises:
 * - deterministic: the same parameters give the same records (ids, times, texts); only
 *   the archive's identity and the directory's creation times differ between runs;
 * - it is a benchmark fixture, not a daemon: it sets PRAGMA synchronous=OFF (and a
 *   larger page cache) while it writes, commits thousands of messages per transaction,
 *   and restores synchronous=FULL before returning;
 * - the parameters, and that generation finished, are recorded in a table of its own
 *   (bench_params, not part of the archive's chain), so a benchmark can reuse the file. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/archive/store.h"

#define ARCHIVE_GEN_VERSION "archive_gen-3"

struct archive_gen_params {
	uint64_t messages;
	uint64_t seed;
	unsigned years; /* school years, each 15 Aug to 14 Aug; the last ends 15 Aug 2026 */
	bool progress;	/* a line on stderr every 100,000 messages */
};

/* Defaults: seed 1, 4 years. */
void archive_gen_defaults(struct archive_gen_params *p);

struct archive_gen_stats {
	uint64_t messages, rx_pdus, verdicts, deliveries, events;
	uint64_t broadcasts, to_one, from_students, from_guardians, staff_to_staff;
	uint64_t held, held_rejected, blocked, flagged, optouts, unknown, notices, threads;
	uint64_t persons, teams;
	int64_t records; /* chain rows added (directory and messages) */
	int64_t first_at, last_at;
	double seconds; /* wall time of the whole generation */
};

/* Fill an empty store. 0, or -1 with a message in err. */
int archive_gen_run(struct store *s, const struct archive_gen_params *p,
		    struct archive_gen_stats *out, char *err, size_t errlen);

/* Were these parameters generated completely into this store? 1 yes, 0 no (absent,
 * different or unfinished), -1 on error. stats (may be NULL) gets the recorded figures. */
int archive_gen_matches(struct store *s, const struct archive_gen_params *p,
			struct archive_gen_stats *stats);

/* The teams of the generated district, as generated (the same for every archive). */
enum archive_gen_season {
	AG_FALL,
	AG_WINTER,
	AG_SPRING,
	AG_SCHOOL_YEAR, /* clubs */
};
struct archive_gen_team {
	const char *tag, *name;
	enum archive_gen_season season;
};
const struct archive_gen_team *archive_gen_teams(size_t *n);

/* The span of a season in school year `year` (0 = the first) of an archive generated
 * with p, as [since, until) ms UTC. 0, or -1 if year is out of range. */
int archive_gen_season_span(const struct archive_gen_params *p, unsigned year,
			    enum archive_gen_season season, int64_t *since, int64_t *until);

/* The whole span [since, until) of the generated messages. */
void archive_gen_span(const struct archive_gen_params *p, int64_t *since, int64_t *until);

/* Words and phrases the bodies are made of, for full-text queries: NULL-terminated. */
extern const char *const archive_gen_words[];
