/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The software bridge of a relayed call: one leg per modem, mixed on the event loop.
 *
 * Pure: no I/O, no clock of its own. Each leg is driven by its own modem's clock: the
 * daemon calls voice_mixer_put() with the frame a leg said (the driver's on_audio for
 * that modem), then voice_mixer_get() for the frame that leg must hear, which it writes
 * back with modem_audio_write(). Frames are VOICE_FRAME samples of 8 kHz s16 (20 ms).
 *
 * Promises:
 * - a leg never hears itself; a BRIDGED leg hears the other BRIDGED legs and its own
 *   prompts, summed in 32 bits and saturated to 16 (each clipped sample counted, never a
 *   wrap-around); a MUTED leg hears the same but is heard by nobody; a leg in NOTICE
 *   hears only its prompts and is heard by nobody (it joins once its recording notice
 *   has played: all-party consent); a GONE leg neither hears nor is heard, for good;
 * - legs on different clocks (±500 ppm between modems): each leg's said frames go into
 *   a ring of VOICE_FIFO_FRAMES; every reader (each leg, and the recording tap) keeps its
 *   own cursor into every other leg's ring. A reader that finds no new frame of a source
 *   hears silence from it for that frame (an underrun, counted; its cursor waits), one
 *   that finds itself more than VOICE_MAX_LAG frames behind a source skips to that
 *   source's newest frame (the frames skipped are counted). So the delay through the
 *   bridge stays within VOICE_MAX_LAG frames, and memory is fixed at allocation. A
 *   smaller backlog that lasts (a burst, then both sides in step) drains a frame at a
 *   time: a reader that found more than its next frame waiting for half a second of
 *   reads in a row skips one, so a call does not stay late after a busy moment;
 * - prompts are copied, queued per leg and played in order, a frame per get() of that
 *   leg (the last one padded with silence); on_prompt_done reports each one played out;
 * - the recording tap (on_tap) gives one frame per channel for every frame of the
 *   master leg: channel 0 what the relay played (prompts), channel k what leg k said.
 *
 * Every function checks its arguments: a bad leg number, a NULL pointer, a frame of the
 * wrong length or an unknown state is -EINVAL and changes nothing; a leg that is GONE is
 * -ENOENT. Callbacks run inside voice_mixer_get() and may call any function here except
 * voice_mixer_free(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VOICE_FRAME	  160 /* samples of one frame: 20 ms at 8 kHz */
#define VOICE_LEGS_MAX	  8   /* legs of one bridge, at most */
#define VOICE_FIFO_FRAMES 8   /* said frames kept per leg (> VOICE_MAX_LAG + 1) */
#define VOICE_MAX_LAG	  3   /* a reader further behind a source than this skips ahead */
/* A prompt's length, at most (2 minutes), and prompts queued per leg, at most. */
#define VOICE_PROMPT_MAX_SAMPLES (120 * 8000)
#define VOICE_PROMPT_QUEUE	 4
/* voice_mixer_prompt()'s leg for "every leg that is not GONE". Legs count from 1, so that
 * leg k is channel k of the recording and 0 is the relay's own. */
#define VOICE_ALL_LEGS 0

enum voice_leg_state {
	VOICE_LEG_NOTICE,  /* hears only its prompts; not heard (a new leg starts here) */
	VOICE_LEG_BRIDGED, /* hears the others and its prompts; heard */
	VOICE_LEG_MUTED,   /* hears the others and its prompts; not heard */
	VOICE_LEG_GONE,	   /* dropped: neither; its number is not used again */
};
const char *voice_leg_state_name(enum voice_leg_state st);

/* Per leg, since it was added. */
struct voice_leg_stats {
	enum voice_leg_state state;
	uint64_t frames_in;	/* frames it said (put) */
	uint64_t frames_out;	/* frames it was given to hear (get) */
	uint64_t prompt_frames; /* of those, frames that carried a prompt */
	uint64_t underruns;	/* frames of a heard source that were missing: silence */
	uint64_t skips;		/* frames of a heard source skipped to catch up */
	uint64_t clipped;	/* samples of its mix that saturated */
	unsigned max_lag;	/* furthest it has been behind a heard source, in frames */
};

/* The recording tap's account (the same counters, for the tap as a reader). */
struct voice_tap_stats {
	unsigned master; /* leg that clocks the tap now, 0 when none */
	uint64_t frames; /* tap frames given (one per channel each) */
	uint64_t underruns, skips, clipped;
};

struct voice_mixer;

struct voice_mixer_events {
	/* Prompt `id` (voice_mixer_prompt()'s) has played out on `leg`: its last frame
	 * was just returned by voice_mixer_get(). A flow bridges a leg here. */
	void (*on_prompt_done)(struct voice_mixer *m, unsigned leg, int id, void *data);
	/* One frame per channel, once per frame of the master leg: ch[0] what the relay
	 * played (the prompts of that period, each prompt once however many legs played
	 * it), ch[k] what leg k said while it was BRIDGED (silence in NOTICE, MUTED, GONE,
	 * or before it was added). n_ch is 1 + max_legs, fixed for the mixer's life.
	 *
	 * The master is the lowest-numbered leg that is not GONE: the call's first leg,
	 * normally there from the start to the end. The recording thus runs on one modem's
	 * clock, as a WAV needs one rate; the other legs are re-timed to it by the same
	 * underrun/skip rule as any reader. When the master goes, the next leg takes over
	 * (the recording continues with no gap beyond a frame); with no leg left it stops. */
	void (*on_tap)(struct voice_mixer *m, const int16_t *const *ch, unsigned n_ch, void *data);
};

/* A bridge for up to max_legs legs (1..VOICE_LEGS_MAX; else NULL). ev may be NULL; it is
 * copied. Freed with talloc_free() or voice_mixer_free(). */
struct voice_mixer *voice_mixer_alloc(void *ctx, unsigned max_legs,
				      const struct voice_mixer_events *ev, void *data);
void voice_mixer_free(struct voice_mixer *m);

/* A new leg, in NOTICE: its number (1..max_legs), or -ENOSPC when max_legs were added.
 * Numbers are not reused within a mixer, so a recording channel is one person's. */
int voice_mixer_add_leg(struct voice_mixer *m);
/* Change a leg's state. GONE drops its queued prompts (no on_prompt_done for them).
 * -EINVAL bad leg or state, -ENOENT the leg is GONE already. */
int voice_mixer_set_state(struct voice_mixer *m, unsigned leg, enum voice_leg_state st);
/* The leg's state, or -EINVAL. */
int voice_mixer_get_state(const struct voice_mixer *m, unsigned leg);

/* What `leg` said: n must be VOICE_FRAME. -EINVAL, -ENOENT (GONE). */
int voice_mixer_put(struct voice_mixer *m, unsigned leg, const int16_t *frame, unsigned n);
/* What `leg` must hear now, into out[VOICE_FRAME]; advances that leg's clock by one
 * frame (its prompt, its cursors; the tap when it is the master). -EINVAL, -ENOENT (GONE,
 * out untouched). */
int voice_mixer_get(struct voice_mixer *m, unsigned leg, int16_t *out);

/* Queue a prompt (copied) for `leg`, or for every leg not GONE with VOICE_ALL_LEGS.
 * Returns the prompt's id (> 0; one id for all the legs it went to), or -EINVAL (bad
 * leg, NULL, n 0 or over VOICE_PROMPT_MAX_SAMPLES), -ENOENT (the leg is GONE; for all:
 * no leg left), -ENOSPC (a leg has VOICE_PROMPT_QUEUE prompts waiting; then no leg gets
 * it), -ENOMEM. */
int voice_mixer_prompt(struct voice_mixer *m, unsigned leg, const int16_t *samples, size_t n);
/* Frames of prompt still to play to `leg` (0: none, it hears no prompt), or -EINVAL. */
long voice_mixer_prompt_pending(const struct voice_mixer *m, unsigned leg);

/* -EINVAL for a bad leg (or NULL out); a GONE leg's stats stay readable. */
int voice_mixer_leg_stats(const struct voice_mixer *m, unsigned leg, struct voice_leg_stats *out);
/* The tap's counters (nothing is written when m or out is NULL). */
void voice_mixer_tap_stats(const struct voice_mixer *m, struct voice_tap_stats *out);
