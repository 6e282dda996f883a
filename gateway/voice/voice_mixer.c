/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The bridge's mixer (voice_mixer.h): per-leg rings of said frames, a cursor per reader
 * and source, prompts per leg, and the recording tap. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <osmocom/core/linuxlist.h>
#include <talloc.h>

#include "gateway/voice/voice_mixer.h"

/* One prompt's samples, shared by the legs it was queued for. */
struct prompt_buf {
	unsigned refs;
	int id;
	size_t n;
	int16_t s[];
};

struct prompt_item {
	struct llist_head list;
	struct prompt_buf *buf;
	size_t pos;
};

/* What the relay played to a leg in one of its frames (0: no prompt), for the tap. */
struct played_slot {
	int16_t s[VOICE_FRAME];
	int id;
	uint32_t idx; /* the frame's place in the prompt */
};

/* The prompt frames the tap has recorded: the latest per prompt. */
struct tap_prompt {
	int id;
	uint32_t idx;
};
#define TAP_PROMPTS (VOICE_LEGS_MAX * VOICE_PROMPT_QUEUE + VOICE_LEGS_MAX)

struct voice_leg {
	bool used;
	enum voice_leg_state state;
	int16_t said[VOICE_FIFO_FRAMES][VOICE_FRAME];
	uint64_t said_seq; /* frames written to `said`, ever */
	struct played_slot played[VOICE_FIFO_FRAMES];
	uint64_t played_seq;
	uint64_t cur[VOICE_LEGS_MAX + 1]; /* this leg's cursor into each source's `said` */
	uint64_t tap_said, tap_played;	  /* the tap's cursors into this leg's rings */
	/* Reads in a row that found a backlog behind cur[] / tap_said (see ring_take()). */
	unsigned behind[VOICE_LEGS_MAX + 1], tap_behind;
	struct llist_head prompts;
	unsigned n_prompts;
	struct voice_leg_stats st;
};

struct voice_mixer {
	unsigned max_legs, n_legs;
	struct voice_mixer_events ev;
	void *data;
	int last_prompt_id;
	struct voice_tap_stats tap;
	struct tap_prompt tap_prompts[TAP_PROMPTS];
	struct voice_leg leg[VOICE_LEGS_MAX + 1]; /* [0] unused: legs count from 1 */
};

static const char *const state_names[] = {
    [VOICE_LEG_NOTICE] = "notice",
    [VOICE_LEG_BRIDGED] = "bridged",
    [VOICE_LEG_MUTED] = "muted",
    [VOICE_LEG_GONE] = "gone",
};

const char *voice_leg_state_name(enum voice_leg_state st)
{
	return (unsigned)st <= VOICE_LEG_GONE ? state_names[st] : "?";
}

struct voice_mixer *voice_mixer_alloc(void *ctx, unsigned max_legs,
				      const struct voice_mixer_events *ev, void *data)
{
	struct voice_mixer *m;

	if (max_legs < 1 || max_legs > VOICE_LEGS_MAX)
		return NULL;
	m = talloc_zero(ctx, struct voice_mixer);
	if (!m)
		return NULL;
	talloc_set_name_const(m, "voice_mixer");
	m->max_legs = max_legs;
	if (ev)
		m->ev = *ev;
	m->data = data;
	for (unsigned k = 0; k <= VOICE_LEGS_MAX; k++)
		INIT_LLIST_HEAD(&m->leg[k].prompts);
	return m;
}

void voice_mixer_free(struct voice_mixer *m)
{
	talloc_free(m);
}

/* The leg numbered `leg` if it was added, else NULL (whatever its state). */
static struct voice_leg *leg_of(const struct voice_mixer *m, unsigned leg)
{
	if (!m || leg < 1 || leg > m->max_legs || !m->leg[leg].used)
		return NULL;
	return (struct voice_leg *)&m->leg[leg];
}

int voice_mixer_add_leg(struct voice_mixer *m)
{
	struct voice_leg *l;

	if (!m)
		return -EINVAL;
	if (m->n_legs >= m->max_legs)
		return -ENOSPC;
	l = &m->leg[++m->n_legs];
	l->used = true;
	l->state = VOICE_LEG_NOTICE;
	/* It hears the others from their next frame on; they start on its first. */
	for (unsigned s = 1; s <= m->max_legs; s++)
		l->cur[s] = m->leg[s].said_seq;
	return (int)m->n_legs;
}

static void prompt_unref(struct prompt_buf *b)
{
	if (--b->refs == 0)
		talloc_free(b);
}

static void prompts_drop(struct voice_leg *l)
{
	struct prompt_item *it, *tmp;

	llist_for_each_entry_safe (it, tmp, &l->prompts, list) {
		llist_del(&it->list);
		prompt_unref(it->buf);
		talloc_free(it);
	}
	l->n_prompts = 0;
}

int voice_mixer_set_state(struct voice_mixer *m, unsigned leg, enum voice_leg_state st)
{
	struct voice_leg *l = leg_of(m, leg);

	if (!l || (unsigned)st > VOICE_LEG_GONE)
		return -EINVAL;
	if (l->state == VOICE_LEG_GONE)
		return -ENOENT;
	if (st == VOICE_LEG_GONE)
		prompts_drop(l);
	l->state = st;
	l->st.state = st;
	return 0;
}

int voice_mixer_get_state(const struct voice_mixer *m, unsigned leg)
{
	const struct voice_leg *l = leg_of(m, leg);

	return l ? (int)l->state : -EINVAL;
}

int voice_mixer_put(struct voice_mixer *m, unsigned leg, const int16_t *frame, unsigned n)
{
	struct voice_leg *l = leg_of(m, leg);

	if (!l || !frame || n != VOICE_FRAME)
		return -EINVAL;
	if (l->state == VOICE_LEG_GONE)
		return -ENOENT;
	memcpy(l->said[l->said_seq % VOICE_FIFO_FRAMES], frame, sizeof(l->said[0]));
	l->said_seq++;
	l->st.frames_in++;
	return 0;
}

/* A reader's next frame of a ring written up to `wseq`: its slot, or -1 when there is
 * none yet (the cursor then waits, so a late frame is heard, not lost). A reader more
 * than VOICE_MAX_LAG behind jumps to the newest frame: the delay stays bounded, and a
 * source whose clock runs faster costs dropped frames rather than a growing delay.
 *
 * A backlog within that bound drains too (`behind` not NULL: said audio, not prompts): a
 * burst after a late loop leaves a reader a frame or two behind while both sides then
 * run in step, and without this it would stay that late for the rest of the call. A
 * reader that found more than its next frame waiting VOICE_CATCH_UP reads in a row skips
 * one frame (counted); jitter, which leaves a backlog now and then, never does. */
#define VOICE_CATCH_UP 25 /* reads: half a second */

static int ring_take(uint64_t wseq, uint64_t *cur, unsigned *behind, uint64_t *lag,
		     uint64_t *skipped)
{
	*lag = wseq - *cur;
	*skipped = 0;
	if (*lag == 0) {
		if (behind)
			*behind = 0;
		return -1;
	}
	if (*lag > VOICE_MAX_LAG) {
		*skipped = *lag - 1;
		*cur = wseq - 1;
		if (behind)
			*behind = 0;
	} else if (behind && *lag > 1) {
		if (++*behind >= VOICE_CATCH_UP) {
			*skipped = 1;
			(*cur)++;
			*behind = 0;
		}
	} else if (behind) {
		*behind = 0;
	}
	return (int)((*cur)++ % VOICE_FIFO_FRAMES);
}

static uint64_t saturate(const int32_t *acc, int16_t *out)
{
	uint64_t clipped = 0;

	for (unsigned i = 0; i < VOICE_FRAME; i++) {
		int32_t v = acc[i];

		if (v > INT16_MAX || v < INT16_MIN) {
			clipped++;
			v = v > INT16_MAX ? INT16_MAX : INT16_MIN;
		}
		out[i] = (int16_t)v;
	}
	return clipped;
}

static void add_frame(int32_t *acc, const int16_t *f)
{
	for (unsigned i = 0; i < VOICE_FRAME; i++)
		acc[i] += f[i];
}

/* Every other source's next frame: mixed in when `r` hears it, and the cursor moved on
 * in any case, so that a change of state takes effect at once and in step. */
static void hear_others(struct voice_mixer *m, unsigned r, int32_t *acc)
{
	struct voice_leg *rl = &m->leg[r];
	bool hears = rl->state == VOICE_LEG_BRIDGED || rl->state == VOICE_LEG_MUTED;

	for (unsigned s = 1; s <= m->max_legs; s++) {
		struct voice_leg *sl = &m->leg[s];
		uint64_t lag, skipped;
		int slot;

		if (s == r || !sl->used || sl->state == VOICE_LEG_GONE)
			continue;
		slot = ring_take(sl->said_seq, &rl->cur[s], &rl->behind[s], &lag, &skipped);
		if (!hears || sl->state != VOICE_LEG_BRIDGED)
			continue;
		if (lag > rl->st.max_lag)
			rl->st.max_lag = (unsigned)(lag > UINT_MAX ? UINT_MAX : lag);
		rl->st.skips += skipped;
		if (slot < 0)
			rl->st.underruns++;
		else
			add_frame(acc, sl->said[slot]);
	}
}

/* The leg's prompt frame for now into its played ring (silence and id 0 when none).
 * Returns the id of a prompt that has just played out, else 0. */
static int prompt_next(struct voice_leg *l, struct played_slot *ps)
{
	struct prompt_item *it;
	size_t n;
	int done;

	memset(ps, 0, sizeof(*ps));
	if (llist_empty(&l->prompts))
		return 0;
	it = llist_first_entry(&l->prompts, struct prompt_item, list);
	n = it->buf->n - it->pos;
	if (n > VOICE_FRAME)
		n = VOICE_FRAME;
	memcpy(ps->s, it->buf->s + it->pos, n * sizeof(int16_t));
	ps->id = it->buf->id;
	ps->idx = (uint32_t)(it->pos / VOICE_FRAME);
	it->pos += n;
	if (it->pos < it->buf->n)
		return 0;
	done = it->buf->id;
	llist_del(&it->list);
	prompt_unref(it->buf);
	talloc_free(it);
	l->n_prompts--;
	return done;
}

static unsigned master_leg(const struct voice_mixer *m)
{
	for (unsigned k = 1; k <= m->max_legs; k++)
		if (m->leg[k].used && m->leg[k].state != VOICE_LEG_GONE)
			return k;
	return 0;
}

static bool id_seen(const int *ids, unsigned n, int id)
{
	for (unsigned i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* Is this frame of a prompt one the tap has not recorded yet? (It notes it if so.) A
 * prompt for all legs plays on each leg's clock, a frame or so apart: the relay's
 * channel takes each of its frames once, from whichever leg plays it first. */
static bool tap_prompt_new(struct voice_mixer *m, int id, uint32_t idx)
{
	unsigned oldest = 0;

	for (unsigned i = 0; i < TAP_PROMPTS; i++) {
		struct tap_prompt *tp = &m->tap_prompts[i];

		if (tp->id == id) {
			if (idx <= tp->idx)
				return false;
			tp->idx = idx;
			return true;
		}
		if (tp->id < m->tap_prompts[oldest].id)
			oldest = i;
	}
	m->tap_prompts[oldest] = (struct tap_prompt){id, idx};
	return true;
}

/* Channel k of the tap: leg k's next said frame while BRIDGED; and its next played
 * frame added to the relay's channel unless that prompt has a frame there already. */
static void tap_leg(struct voice_mixer *m, unsigned k, int16_t *ch, int32_t *relay, int *ids,
		    unsigned *n_ids)
{
	struct voice_leg *l = &m->leg[k];
	uint64_t lag, skipped;
	int slot;

	memset(ch, 0, VOICE_FRAME * sizeof(*ch));
	if (!l->used || l->state == VOICE_LEG_GONE)
		return;
	slot = ring_take(l->said_seq, &l->tap_said, &l->tap_behind, &lag, &skipped);
	if (l->state == VOICE_LEG_BRIDGED) {
		m->tap.skips += skipped;
		if (slot < 0)
			m->tap.underruns++;
		else
			memcpy(ch, l->said[slot], VOICE_FRAME * sizeof(*ch));
	}
	slot = ring_take(l->played_seq, &l->tap_played, NULL, &lag, &skipped);
	if (slot < 0 || !l->played[slot].id || id_seen(ids, *n_ids, l->played[slot].id) ||
	    !tap_prompt_new(m, l->played[slot].id, l->played[slot].idx))
		return;
	ids[(*n_ids)++] = l->played[slot].id;
	add_frame(relay, l->played[slot].s);
}

static void tap_run(struct voice_mixer *m)
{
	int16_t ch[VOICE_LEGS_MAX + 1][VOICE_FRAME];
	const int16_t *chp[VOICE_LEGS_MAX + 1];
	int32_t relay[VOICE_FRAME] = {0};
	int ids[VOICE_LEGS_MAX];
	unsigned n_ids = 0;

	for (unsigned k = 1; k <= m->max_legs; k++)
		tap_leg(m, k, ch[k], relay, ids, &n_ids);
	m->tap.clipped += saturate(relay, ch[0]);
	for (unsigned k = 0; k <= m->max_legs; k++)
		chp[k] = ch[k];
	m->tap.frames++;
	m->ev.on_tap(m, chp, 1 + m->max_legs, m->data);
}

int voice_mixer_get(struct voice_mixer *m, unsigned leg, int16_t *out)
{
	struct voice_leg *l = leg_of(m, leg);
	int32_t acc[VOICE_FRAME] = {0};
	struct played_slot *ps;
	int done;

	if (!l || !out)
		return -EINVAL;
	if (l->state == VOICE_LEG_GONE)
		return -ENOENT;
	ps = &l->played[l->played_seq % VOICE_FIFO_FRAMES];
	done = prompt_next(l, ps);
	l->played_seq++;
	add_frame(acc, ps->s);
	hear_others(m, leg, acc);
	l->st.clipped += saturate(acc, out);
	l->st.frames_out++;
	if (ps->id)
		l->st.prompt_frames++;
	/* Callbacks last: they may change any leg's state or queue prompts. */
	m->tap.master = master_leg(m);
	if (m->ev.on_tap && m->tap.master == leg)
		tap_run(m);
	if (done && m->ev.on_prompt_done)
		m->ev.on_prompt_done(m, leg, done, m->data);
	return 0;
}

/* The legs a prompt goes to, into `to`; their count, or a negative error. */
static int prompt_targets(const struct voice_mixer *m, unsigned leg, unsigned *to)
{
	unsigned n = 0;

	if (leg != VOICE_ALL_LEGS) {
		const struct voice_leg *l = leg_of(m, leg);

		if (!l)
			return -EINVAL;
		if (l->state == VOICE_LEG_GONE)
			return -ENOENT;
		to[n++] = leg;
	} else {
		for (unsigned k = 1; k <= m->max_legs; k++)
			if (m->leg[k].used && m->leg[k].state != VOICE_LEG_GONE)
				to[n++] = k;
		if (!n)
			return -ENOENT;
	}
	for (unsigned i = 0; i < n; i++)
		if (m->leg[to[i]].n_prompts >= VOICE_PROMPT_QUEUE)
			return -ENOSPC;
	return (int)n;
}

static struct prompt_buf *prompt_buf_new(struct voice_mixer *m, const int16_t *s, size_t n)
{
	struct prompt_buf *b = talloc_size(m, sizeof(*b) + n * sizeof(int16_t));

	if (!b)
		return NULL;
	talloc_set_name_const(b, "voice_prompt");
	b->refs = 0;
	b->n = n;
	memcpy(b->s, s, n * sizeof(int16_t));
	m->last_prompt_id = m->last_prompt_id == INT_MAX ? 1 : m->last_prompt_id + 1;
	b->id = m->last_prompt_id;
	return b;
}

int voice_mixer_prompt(struct voice_mixer *m, unsigned leg, const int16_t *samples, size_t n)
{
	unsigned to[VOICE_LEGS_MAX];
	struct prompt_item *items[VOICE_LEGS_MAX];
	struct prompt_buf *b;
	int nt;

	if (!m || !samples || n == 0 || n > VOICE_PROMPT_MAX_SAMPLES)
		return -EINVAL;
	nt = prompt_targets(m, leg, to);
	if (nt < 0)
		return nt;
	b = prompt_buf_new(m, samples, n);
	if (!b)
		return -ENOMEM;
	/* Every item first, so that a failure queues the prompt nowhere. */
	for (int i = 0; i < nt; i++) {
		items[i] = talloc_zero(b, struct prompt_item);
		if (!items[i]) {
			talloc_free(b);
			return -ENOMEM;
		}
	}
	for (int i = 0; i < nt; i++) {
		struct voice_leg *l = &m->leg[to[i]];

		talloc_steal(m, items[i]);
		items[i]->buf = b;
		b->refs++;
		llist_add_tail(&items[i]->list, &l->prompts);
		l->n_prompts++;
	}
	return b->id;
}

long voice_mixer_prompt_pending(const struct voice_mixer *m, unsigned leg)
{
	const struct voice_leg *l = leg_of(m, leg);
	struct prompt_item *it;
	long frames = 0;

	if (!l)
		return -EINVAL;
	llist_for_each_entry (it, &l->prompts, list)
		frames += (long)((it->buf->n - it->pos + VOICE_FRAME - 1) / VOICE_FRAME);
	return frames;
}

int voice_mixer_leg_stats(const struct voice_mixer *m, unsigned leg, struct voice_leg_stats *out)
{
	const struct voice_leg *l = leg_of(m, leg);

	if (!l || !out)
		return -EINVAL;
	*out = l->st;
	return 0;
}

void voice_mixer_tap_stats(const struct voice_mixer *m, struct voice_tap_stats *out)
{
	if (!m || !out)
		return;
	*out = m->tap;
	out->master = master_leg(m);
}
