/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* e2e-calls: relayed calls for the records officer's end-to-end tests, written into an
 * existing archive the way chaperoned writes them (records_calls.h) with real FLAC
 * recordings made by storage/recordings beside the database.
 *
 *   e2e-calls DB WHEN
 *
 * WHEN is a date as `records search` takes it ("2026-09-10T18:00") or ms. The archive
 * must hold the sample district's Coach Dana Lee (@danal) and team #soccer. Added, once:
 * a student with a non-Latin name, 王小明 (@xiaomingw, +16175550377) on #soccer, and his
 * guardian Mei Wang (@meiw, +16175550378). Then three calls at WHEN, +1 h and +2 h:
 *
 *   1. Dana Lee calls 王小明 on #soccer; the coach, the student and the guardian all
 *      answer; recorded (4 channels); ended "hangup";
 *   2. Dana Lee calls 王小明; the student does not answer, the guardian does;
 *      recorded (3 channels); ended "no-answer";
 *   3. 王小明 calls the relay number: refused (quiet hours); no leg, no recording.
 *
 * Each leg's events are the daemon's: "dial" with the person's name ("Mei Wang from
 * +15550100 on modem1"), and for a leg that answers, the notice and the spoken prompt
 * saying who is calling about whom ("spoken SHA256 Dana Lee is calling about 王小明.
 * Please hold.").
 *
 * Prints one line per call: "call ID recording SHA256" (or "recording none"). Exit 0, or
 * 1 with the reason on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <talloc.h>

#include "storage/directory/directory_store.h"
#include "storage/recordings/recording.h"
#include "storage/records/records_calls.h"
#include "storage/records/records_query.h"

#define RELAY "+15550100"
#define HOUR  3600000LL

static struct store *s;

static void die(const char *what)
{
	fprintf(stderr, "e2e-calls: %s: %s\n", what, s ? store_errmsg(s) : "");
	exit(1);
}

static int64_t person(void *ctx, const char *handle, enum dir_role role, const char *given,
		      const char *family, const char *phone)
{
	struct store_person p = {0};

	if (store_person_by_handle(s, ctx, handle, &p) > 0)
		return p.id;
	if (!given)
		die(handle);
	p = (struct store_person){.role = role,
				  .given = given,
				  .family = family,
				  .handle = handle,
				  .phone = phone,
				  .active = true};
	if (store_person_add(s, "e2e-calls", &p) < 0)
		die("adding a person");
	return p.id;
}

/* A recording of `channels` channels, a second of a tone per channel (its pitch from
 * seed: each call's recording differs), finished. */
static void record(void *ctx, const char *dir, const char *id, unsigned seed, unsigned channels,
		   struct recording_result *res)
{
	struct recording *r;
	int16_t buf[RECORDING_MAX_CHANNELS][RECORDING_FRAME];
	const int16_t *frames[RECORDING_MAX_CHANNELS];

	if (recording_open(ctx, dir, id, channels, NULL, &r) < 0)
		die("recording_open");
	for (unsigned f = 0; f < 50; f++) {
		for (unsigned c = 0; c < channels; c++) {
			for (unsigned i = 0; i < RECORDING_FRAME; i++)
				buf[c][i] =
				    (int16_t)(((f * RECORDING_FRAME + i) * (c + seed)) % 64 * 200 -
					      6400);
			frames[c] = buf[c];
		}
		if (recording_write(r, frames, RECORDING_FRAME) < 0)
			die("recording_write");
	}
	if (recording_finish(r, res) < 0)
		die(res->error);
}

struct leg {
	int64_t person;
	const char *name, *number, *role;
	bool answers;
	const char *spoken; /* what the relay says to the leg once it answers */
};

/* The detail of a spoken prompt: "spoken SHA256 TEXT", the hash of the speech. */
static char *spoken(void *ctx, const char *text)
{
	uint8_t md[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1];

	crypto_hash_sha256(md, (const uint8_t *)text, strlen(text));
	sodium_bin2hex(hex, sizeof(hex), md, sizeof(md));
	return talloc_asprintf(ctx, "spoken %s %s", hex, text);
}

static void call(void *ctx, const char *dir, int64_t at, const struct rec_call *c,
		 const struct leg *legs, size_t n, const char *end)
{
	struct rec_call one = *c;
	struct recording_result res = {0};
	int64_t id, leg_ids[8] = {0};
	char rid[32];

	one.at = at;
	if (store_begin(s) < 0 || (id = rec_call_add(s, &one)) <= 0)
		die("rec_call_add");
	for (size_t i = 0; i < n; i++) {
		leg_ids[i] = rec_call_leg_add(s, id, at + 1000, legs[i].person, legs[i].number,
					      legs[i].role, "modem1", (unsigned)i + 1);
		char *dial = talloc_asprintf(ctx, "%s from %s on modem1", legs[i].name, RELAY);
		if (leg_ids[i] <= 0 ||
		    rec_call_event(s, id, leg_ids[i], at + 1000, "dial", dial) <= 0)
			die("rec_call_leg_add");
		if (legs[i].answers &&
		    (rec_call_event(s, id, leg_ids[i], at + 5000, "answer", NULL) <= 0 ||
		     rec_call_event(s, id, leg_ids[i], at + 6000, "notice", NULL) <= 0 ||
		     rec_call_event(s, id, leg_ids[i], at + 6500, "prompt",
				    spoken(ctx, legs[i].spoken)) <= 0))
			die("rec_call_event");
		if (!legs[i].answers &&
		    rec_call_event(s, id, leg_ids[i], at + 30000, "left", "no answer") <= 0)
			die("rec_call_event");
	}
	if (n && (rec_call_event(s, id, 0, at + 60000, "end", end) <= 0))
		die("rec_call_event end");
	if (store_commit(s) < 0)
		die("commit");
	if (n) {
		snprintf(rid, sizeof(rid), "%lld", (long long)id);
		record(ctx, dir, rid, (unsigned)id + 2, (unsigned)n + 1, &res);
		struct rec_call_recording r = {.at = at + 61000,
					       .sha256 = res.sha256,
					       .format = "flac",
					       .bytes = (int64_t)res.bytes,
					       .duration_ms = (int64_t)res.duration_ms,
					       .channels = res.channels};
		if (store_begin(s) < 0 || rec_call_recording_add(s, id, &r) <= 0 ||
		    store_commit(s) < 0)
			die("rec_call_recording_add");
	}
	printf("call %lld recording %s\n", (long long)id, n ? res.sha256 : "none");
}

int main(int argc, char **argv)
{
	void *ctx = talloc_new(NULL);
	char err[256];
	int64_t at, coach, student, guardian;
	struct store_team team;
	const char *dir;

	if (argc != 3 || rq_parse_date(argv[2], false, &at) < 0) {
		fprintf(stderr, "usage: e2e-calls DB WHEN (YYYY-MM-DDTHH:MM or ms)\n");
		return 1;
	}
	s = store_open(ctx, argv[1], err, sizeof(err));
	if (!s) {
		fprintf(stderr, "e2e-calls: %s\n", err);
		return 1;
	}
	dir = rec_call_recordings_dir(ctx, argv[1]);
	if (store_team_by_tag(s, ctx, "soccer", &team) <= 0)
		die("no team #soccer");
	if (store_begin(s) < 0)
		die("begin");
	coach = person(ctx, "danal", DIR_STAFF, NULL, NULL, NULL);
	student = person(ctx, "xiaomingw", DIR_STUDENT, "小明", "王", "+16175550377");
	guardian = person(ctx, "meiw", DIR_GUARDIAN, "Mei", "Wang", "+16175550378");
	if (store_link_add(s, "e2e-calls", STORE_LINK_MEMBER, team.id, student, NULL, NULL) < 0 ||
	    store_link_add(s, "e2e-calls", STORE_LINK_GUARDIAN, student, guardian, "mother", NULL) <
		0 ||
	    store_commit(s) < 0)
		die("links");

	struct rec_call coach_calls = {.relay = RELAY,
				       .initiator_id = coach,
				       .initiator_number = "+16175550101",
				       .callee_id = student,
				       .team_id = team.id,
				       .connect = true,
				       .rules = "guardian-on-call",
				       .reason = "a guardian of 王小明 joins the call"};
	const struct leg all_answer[] = {
	    {coach, "Dana Lee", "+16175550101", "caller", true,
	     "王小明 and Mei Wang are on the line."},
	    {student, "王小明", "+16175550377", "callee", true,
	     "Dana Lee is calling you, with Mei Wang on the line."},
	    {guardian, "Mei Wang", "+16175550378", "guardian", true,
	     "Dana Lee is calling about 王小明. Please hold."},
	};
	const struct leg student_away[] = {
	    {coach, "Dana Lee", "+16175550101", "caller", true,
	     "王小明 and Mei Wang are on the line."},
	    {student, "王小明", "+16175550377", "callee", false, NULL},
	    {guardian, "Mei Wang", "+16175550378", "guardian", true,
	     "Dana Lee is calling about 王小明. Please hold."},
	};
	struct rec_call refused = {.relay = RELAY,
				   .initiator_id = student,
				   .initiator_number = "+16175550377",
				   .team_id = team.id,
				   .incoming = true,
				   .rules = "quiet-hours",
				   .reason = "王小明 called during quiet hours"};

	call(ctx, dir, at, &coach_calls, all_answer, 3, "hangup");
	call(ctx, dir, at + HOUR, &coach_calls, student_away, 3, "no-answer");
	call(ctx, dir, at + 2 * HOUR, &refused, NULL, 0, NULL);
	store_close(s);
	talloc_free(ctx);
	return 0;
}
