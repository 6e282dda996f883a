/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Calls in the archive: each call, its legs, what happened to them, and its recording,
 * chained like every other record (class "calls" for retention).
 *
 * Promises:
 * - append-only, written as the call happens: the call when its plan is decided, a leg
 *   when it is dialled or answers, an event for each step (dial, alert, answer, notice
 *   heard, bridged, unbridged, left, DTMF, menu choice, prompt played, audio fault), the
 *   end as the call's last event, the recording once it is finished and hashed. A crash
 *   at any instant leaves what happened until then; rec_calls_unended() finds the calls
 *   whose end was not recorded so that the next start records it;
 * - every argument is checked (kinds, roles, channels, a SHA-256 of 64 hex digits):
 *   -EINVAL and nothing written, never a half record.
 *
 * Functions return a row id > 0, or -1 when the archive failed (store_error() says why),
 * or -EINVAL for an argument no record may hold. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "storage/archive/store.h"

struct rec_call {
	int64_t at;		      /* ms */
	const char *relay;	      /* the relay number, E.164 */
	int64_t initiator_id;	      /* 0: not in the directory */
	const char *initiator_number; /* always: who called, or whom the relay dialled first */
	int64_t callee_id;	      /* 0: none (an unknown caller's call) */
	int64_t team_id;	      /* 0: none */
	bool incoming;		      /* the initiator called the relay number */
	bool connect;		      /* the plan connects (else refused) */
	const char *rules;	      /* the plan's rule ids, comma-separated */
	const char *reason;
	bool flagged; /* crisis */
	int64_t exception_id;
	const char *notice_sha256; /* the notice prompt played (NULL for a refused call) */
};
CHAPERONE_MUST_CHECK int64_t rec_call_add(struct store *s, const struct rec_call *c);

/* role: "caller", "callee", "guardian" or "overseer"; channel: the leg's channel in the
 * recording (1..7; 0 is what the relay played). */
CHAPERONE_MUST_CHECK int64_t rec_call_leg_add(struct store *s, int64_t call_id, int64_t at,
					      int64_t person_id, const char *number,
					      const char *role, const char *modem,
					      unsigned channel);

/* kind: "dial", "alert", "answer", "notice", "bridged", "unbridged", "left", "dtmf",
 * "menu", "prompt", "fault" or "end" (the call's last; leg_id 0). detail: free text, may
 * be NULL (the end's cause, a digit, a prompt's id and hash, a network cause). */
CHAPERONE_MUST_CHECK int64_t rec_call_event(struct store *s, int64_t call_id, int64_t leg_id,
					    int64_t at, const char *kind, const char *detail);

struct rec_call_recording {
	int64_t at;
	const char *sha256; /* 64 lower-case hex digits: the file's name and content hash */
	const char *format; /* "flac", "opus", "wav" */
	int64_t bytes, duration_ms;
	unsigned channels; /* 1..8: the relay's and up to 7 legs */
	bool recovered;	   /* finished at start-up from what a crash left */
};
CHAPERONE_MUST_CHECK int64_t rec_call_recording_add(struct store *s, int64_t call_id,
						    const struct rec_call_recording *r);

/* Was `number` answered on `relay` as a caller the directory does not know, at or after
 * `since` (ms)? 1 yes, 0 no, -1 archive failure: unknown callers hear the relay's
 * message once a day. */
int rec_call_unknown_answered_since(struct store *s, const char *relay, const char *number,
				    int64_t since);

/* Where a database's call recordings are: the directory "recordings" beside the database
 * file (storage/recordings/recording.h). Allocated under ctx. */
char *rec_call_recordings_dir(void *ctx, const char *db_path);

/* Re-hash every call recording the archive holds, but those disposed of (a tombstone:
 * their files were deleted) (recording_verify()): cb for each one
 * that does not match, is missing or cannot be read (err: -EBADMSG, -ENOENT, -EIO), with
 * its path. Returns how many were checked, or -1 on archive failure. */
long rec_call_recordings_verify(struct store *s, const char *dir,
				void (*cb)(int64_t call_id, const char *path, int err, void *data),
				void *data);

/* Calls that had a leg (a phone rang or was dialled) and have no "end" event, oldest
 * first: the ones a crash cut off. A call that was only decided (refused before anything
 * was dialled) has no leg and no end. */
int rec_calls_unended(struct store *s, void (*cb)(int64_t call_id, void *data), void *data);
