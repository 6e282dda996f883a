/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Calls into a relay number, on the modems that carry calls.
 *
 * Every call is recorded as it happens (storage/records/records_calls.h): the call and its
 * caller's leg when it rings, the answer, each prompt played (with the prompt's SHA-256),
 * and the end with its cause. An answered call is recorded as audio too
 * (storage/recordings/recording.h, in the "recordings" directory beside the database):
 * channel 0 what the relay played, channel 1 what the caller said; finished, hashed and
 * its hash recorded when the call ends, or at the next start after a crash.
 *
 * - A number the directory does not know is answered with the relay's message (the
 *   unknown_caller prompt: text this number, or call the school office) and hung up on
 *   when it has played — once a day per number; after that its calls are declined. The
 *   call rules decide (rule unknown-caller), as for a text from an unknown number.
 * - A person in the directory is answered and handed to the call flow
 *   (daemon_call_flow.h): the notice, a menu of whom they may call, and the call rules
 *   on their choice. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/timer.h>
#include <talloc.h>

#include "gateway/daemon/chaperoned.h"
#include "gateway/policy/policy_call.h"
#include "gateway/voice/prompts/prompts.h"
#include "storage/model/phone_number.h"
#include "storage/records/records_calls.h"
#include "storage/recordings/recording.h"

/* A withheld number never comes; a CLIP after RING comes within this. */
#define DECIDE_MS	1500
#define UNKNOWN_ONCE_MS (24LL * 3600 * 1000)

struct daemon_call {
	struct llist_head list;
	struct chaperoned *d;
	struct daemon_modem *dm;
	struct modem *m;
	uint32_t id;
	char number[32];
	bool decided, answer;
	int64_t call_row, leg_row;
	struct osmo_timer_list decide_timer;
	int16_t *prompt; /* the prompt being played, NULL when none */
	size_t n, pos;
	struct recording *rec; /* while answered: relay on channel 0, the caller on 1 */
};

static LLIST_HEAD(calls);

static void event(struct daemon_call *c, const char *kind, const char *detail);

static char *recordings_dir(struct chaperoned *d)
{
	return rec_call_recordings_dir(d->ctx, d->database);
}

static void recording_id(char *buf, size_t cap, int64_t call_row)
{
	snprintf(buf, cap, "call-%lld", (long long)call_row);
}

int daemon_call_recording_open(struct chaperoned *d, void *ctx, int64_t call_row, unsigned channels,
			       struct recording **out)
{
	char id[32], *dir = recordings_dir(d);
	int rc;

	recording_id(id, sizeof(id), call_row);
	rc = recording_open(ctx, dir, id, channels, NULL, out);
	if (rc < 0) {
		LOGP(DRELAY, LOGL_ERROR, "call %lld: cannot record in %s: %s\n",
		     (long long)call_row, dir, strerror(-rc));
		*out = NULL;
	}
	talloc_free(dir);
	return rc;
}

/* A finished recording into the archive (recovered: finished at start-up). */
static void record_recording(struct chaperoned *d, int64_t call_row,
			     const struct recording_result *res)
{
	struct rec_call_recording r = {.at = store_now_ms(),
				       .sha256 = res->sha256,
				       .format = recording_format_ext(res->format),
				       .bytes = (int64_t)res->bytes,
				       .duration_ms = (int64_t)res->duration_ms,
				       .channels = res->channels,
				       .recovered = res->recovered};

	if (store_begin(d->store) < 0 || rec_call_recording_add(d->store, call_row, &r) <= 0 ||
	    store_commit(d->store) < 0) {
		store_rollback(d->store);
		LOGP(DRELAY, LOGL_ERROR, "call %lld: recording %s not recorded: %s\n",
		     (long long)call_row, res->path, store_errmsg(d->store));
	}
}

/* Finishing a recording (encode, fsync, hash, rename) takes seconds for an hour's call:
 * on the event loop it would silence every other call for that long. Each is finished on
 * a thread of its own, which touches the recording's files only (recording.h:
 * recording_finish_closed()); the loop hears of the end through a pipe and records the
 * result. A kill before that leaves the live WAV, which the next start recovers. */
struct finish_job {
	struct llist_head list;
	struct chaperoned *d;
	int64_t call_row;
	struct recording_closed closed;
	struct recording_result res; /* written by the thread, read after its end */
	int rc;
	double ms; /* how long the thread took */
	pthread_t thread;
	bool threaded;
};

static LLIST_HEAD(finishing);
static struct osmo_fd finish_ofd = {.fd = -1};
static int finish_wfd = -1;

static void finish_done(struct finish_job *j)
{
	struct store *s = j->d->store;

	if (j->threaded)
		pthread_join(j->thread, NULL);
	llist_del(&j->list);
	if (j->rc < 0 || !j->res.encoded) {
		LOGP(DRELAY, LOGL_ERROR, "call %lld: recording not finished: %s (kept: %s)\n",
		     (long long)j->call_row, j->res.error, j->res.path);
		if (store_begin(s) < 0 ||
		    rec_call_event(s, j->call_row, 0, store_now_ms(), "fault",
				   "the recording could not be finished; its WAV is kept") <= 0 ||
		    store_commit(s) < 0)
			store_rollback(s);
	} else {
		LOGP(DRELAY, LOGL_INFO,
		     "call %lld: recording finished in %.1f ms (off the event loop): %llu bytes, "
		     "%llu ms of audio, %u channels\n",
		     (long long)j->call_row, j->ms, (unsigned long long)j->res.bytes,
		     (unsigned long long)j->res.duration_ms, j->res.channels);
		record_recording(j->d, j->call_row, &j->res);
	}
	free(j);
}

static void *finish_thread(void *arg)
{
	struct finish_job *j = arg;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	j->rc = recording_finish_closed(&j->closed, &j->res);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	j->ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	/* The job's address tells the loop which one ended (a pipe write of a pointer is
	 * atomic). Should it fail, the loop finds the job at the stop. */
	if (write(finish_wfd, &j, sizeof(j)) != sizeof(j))
		LOGP(DRELAY, LOGL_ERROR, "call %lld: recording's end not signalled\n",
		     (long long)j->call_row);
	return NULL;
}

static int finish_readable(struct osmo_fd *ofd, unsigned int what)
{
	struct finish_job *j;

	(void)what;
	while (read(ofd->fd, &j, sizeof(j)) == sizeof(j))
		finish_done(j);
	return 0;
}

static int finish_setup(void)
{
	int p[2];

	if (finish_ofd.fd >= 0)
		return 0;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	finish_wfd = p[1];
	osmo_fd_setup(&finish_ofd, p[0], OSMO_FD_READ, finish_readable, NULL, 0);
	if (osmo_fd_register(&finish_ofd) < 0) {
		close(p[0]);
		close(p[1]);
		finish_ofd.fd = finish_wfd = -1;
		return -EIO;
	}
	return 0;
}

void daemon_call_recording_finish(struct chaperoned *d, int64_t call_row, struct recording *r)
{
	struct finish_job *j = calloc(1, sizeof(*j));

	if (!j) {
		/* No memory for the job: the live WAV waits for the next start. */
		talloc_free(r);
		LOGP(DRELAY, LOGL_ERROR, "call %lld: recording left for the next start\n",
		     (long long)call_row);
		return;
	}
	j->d = d;
	j->call_row = call_row;
	recording_close(r, &j->closed);
	llist_add_tail(&j->list, &finishing);
	j->threaded = !d->stopping && finish_setup() == 0 &&
		      pthread_create(&j->thread, NULL, finish_thread, j) == 0;
	if (!j->threaded) {
		/* Stopping, or no thread to be had: finished here and now. */
		j->rc = recording_finish_closed(&j->closed, &j->res);
		finish_done(j);
	}
}

/* The relay stops: every recording being finished is waited for and recorded. */
static void finish_all(void)
{
	struct finish_job *j, *tmp;

	llist_for_each_entry_safe (j, tmp, &finishing, list)
		finish_done(j);
	if (finish_ofd.fd >= 0) {
		osmo_fd_unregister(&finish_ofd);
		close(finish_ofd.fd);
		close(finish_wfd);
		finish_ofd.fd = finish_wfd = -1;
	}
}

static void finish_recording(struct daemon_call *c)
{
	struct recording *r = c->rec;

	if (!r)
		return;
	c->rec = NULL;
	daemon_call_recording_finish(c->d, c->call_row, r);
}

static struct daemon_call *find(struct modem *m, uint32_t id)
{
	struct daemon_call *c;

	llist_for_each_entry (c, &calls, list)
		if (c->m == m && c->id == id)
			return c;
	return NULL;
}

static struct daemon_modem *dm_of(struct chaperoned *d, struct modem *m)
{
	struct modem_info mi;

	modem_info(m, &mi);
	return daemon_modem_find(d, mi.name);
}

/* One event of the call, in its own commit; a failure is logged and counted, the call
 * goes on (its end is recorded at the next start if need be). */
static void event(struct daemon_call *c, const char *kind, const char *detail)
{
	struct store *s = c->d->store;

	if (!c->call_row)
		return;
	if (store_begin(s) < 0 ||
	    rec_call_event(s, c->call_row, strcmp(kind, "end") ? c->leg_row : 0, store_now_ms(),
			   kind, detail) <= 0 ||
	    store_commit(s) < 0) {
		store_rollback(s);
		LOGP(DRELAY, LOGL_ERROR, "call %lld: %s not recorded: %s\n", (long long)c->call_row,
		     kind, store_errmsg(s));
	}
}

/* The call and its caller's leg, as decided. */
static int record_call(struct daemon_call *c, const struct dir_person *caller,
		       const struct policy_call_plan *plan, const char *rules)
{
	struct store *s = c->d->store;
	int64_t now = store_now_ms();
	struct rec_call rc = {.at = now,
			      .relay = c->dm->relay_number,
			      .initiator_id = caller ? caller->id : 0,
			      .initiator_number = c->number[0] ? c->number : "withheld",
			      .incoming = true,
			      .rules = rules,
			      .reason = plan->reason};

	if (store_begin(s) < 0)
		return -1;
	c->call_row = rec_call_add(s, &rc);
	if (c->call_row > 0)
		c->leg_row = rec_call_leg_add(s, c->call_row, now, caller ? caller->id : 0,
					      rc.initiator_number, "caller", c->dm->name, 1);
	if (c->call_row <= 0 || c->leg_row <= 0 || store_commit(s) < 0) {
		store_rollback(s);
		c->call_row = 0;
		return -1;
	}
	return 0;
}

/* Decide on a ringing call: true when it was handed to the call flow (c is freed). */
static bool decide(struct daemon_call *c)
{
	struct chaperoned *d = c->d;
	const struct directory *dir = router_directory(d->router);
	struct policy_call_request req = {.relay = dir_relay_by_number(dir, c->dm->relay_number),
					  .now = (time_t)(store_now_ms() / 1000)};
	struct policy_call_plan plan;
	void *tmp = talloc_new(c);
	char *rules;
	int recent = 0;

	c->decided = true;
	req.caller = c->number[0] ? dir_person_by_phone(dir, c->number) : NULL;
	if (!req.relay) {
		modem_hangup(c->m, c->id);
		talloc_free(tmp);
		return false;
	}
	if (req.caller) {
		memset(&plan, 0, sizeof(plan));
		plan.reason = talloc_asprintf(tmp,
					      "%s called %s: answered with the menu of whom they "
					      "may call",
					      req.caller->display, c->dm->relay_number);
		rules = talloc_strdup(tmp, POLICY_RULE_CALL);
	} else {
		policy_call_evaluate(tmp, dir, &d->rcfg.policy, &req, &plan);
		rules = talloc_strdup(tmp, POLICY_RULE_UNKNOWN_CALLER);
		recent =
		    c->number[0]
			? rec_call_unknown_answered_since(d->store, c->dm->relay_number, c->number,
							  store_now_ms() - UNKNOWN_ONCE_MS)
			: 0;
		c->answer = recent == 0;
		if (!c->answer)
			plan.reason = talloc_asprintf(
			    tmp, "%s; answered once today already: declined", plan.reason);
	}
	if (record_call(c, req.caller, &plan, rules) < 0)
		LOGP(DRELAY, LOGL_ERROR, "%s: call from %s not recorded: %s\n", c->dm->name,
		     c->number, store_errmsg(d->store));
	LOGP(DRELAY, LOGL_NOTICE, "%s: call from %s: %s\n", c->dm->name,
	     c->number[0] ? c->number : "a withheld number", plan.reason);
	if (req.caller && c->call_row &&
	    daemon_flow_incoming(d, c->dm, c->id, c->call_row, c->leg_row, req.caller, req.relay)) {
		talloc_free(tmp);
		talloc_free(c);
		return true;
	}
	if (c->answer && c->call_row)
		modem_answer(c->m, c->id);
	else
		modem_hangup(c->m, c->id);
	talloc_free(tmp);
	return false;
}

static void decide_cb(void *data)
{
	struct daemon_call *c = data;

	if (!c->decided)
		decide(c);
}

static int call_destructor(struct daemon_call *c)
{
	osmo_timer_del(&c->decide_timer);
	llist_del(&c->list);
	return 0;
}

/* Answered: play the relay's message, then hang up. */
static void start_prompt(struct daemon_call *c)
{
	const struct voice_prompt *p = voice_prompt_find("unknown_caller");
	char sha[VOICE_PROMPT_SHA256_HEX], err[256], *detail;

	event(c, "answer", NULL);
	if (!p || voice_prompt_load_err(p, c->d->prompts_dir, c, &c->prompt, &c->n, sha, err,
					sizeof(err)) < 0) {
		LOGP(DRELAY, LOGL_ERROR, "%s: the unknown_caller prompt: %s\n", c->dm->name,
		     p ? err : "missing");
		event(c, "fault", "the unknown_caller prompt could not be loaded");
		modem_hangup(c->m, c->id);
		return;
	}
	detail = talloc_asprintf(c, "unknown_caller %s", sha);
	event(c, "prompt", detail);
	talloc_free(detail);
	c->pos = 0;
	if (daemon_call_recording_open(c->d, c, c->call_row, 2, &c->rec) < 0)
		event(c, "fault", "the call could not be recorded");
}

void daemon_on_call(struct modem *m, const struct modem_call_info *ci, void *data)
{
	struct chaperoned *d = data;
	struct daemon_call *c;

	if (daemon_flow_on_call(m, ci))
		return;
	c = find(m, ci->id);
	if (!c) {
		if (ci->state != MODEM_CALL_RINGING && ci->state != MODEM_CALL_RELEASING &&
		    ci->state != MODEM_CALL_RELEASED) {
			/* Up on the modem, unknown to this run: a call a restart cut off (its
			 * end is recorded already). It is hung up. */
			LOGP(DRELAY, LOGL_NOTICE,
			     "call %u on a modem from before a restart: hanging "
			     "up\n",
			     ci->id);
			modem_hangup(m, ci->id);
			return;
		}
		if (!ci->incoming || ci->state != MODEM_CALL_RINGING || d->stopping)
			return;
		c = talloc_zero(d->ctx, struct daemon_call);
		c->d = d;
		c->m = m;
		c->id = ci->id;
		c->dm = dm_of(d, m);
		llist_add_tail(&c->list, &calls);
		talloc_set_destructor(c, call_destructor);
		osmo_timer_setup(&c->decide_timer, decide_cb, c);
		osmo_timer_schedule(&c->decide_timer, DECIDE_MS / 1000, (DECIDE_MS % 1000) * 1000);
		if (!c->dm) {
			talloc_free(c);
			return;
		}
	}
	if (ci->number[0] && !c->number[0])
		OSMO_STRLCPY_ARRAY(c->number, ci->number);
	if (!c->decided && c->number[0] && decide(c))
		return; /* the call flow's now */
	if (ci->state == MODEM_CALL_ACTIVE && !c->prompt && c->answer)
		start_prompt(c);
	if (ci->state == MODEM_CALL_RELEASED) {
		finish_recording(c);
		event(c, "end", modem_call_end_name(ci->end));
		talloc_free(c);
	}
}

/* A frame heard on a modem with a call: the next frame of the prompt goes back. */
void daemon_on_audio(struct modem *m, const int16_t *s, unsigned n, void *data)
{
	struct daemon_call *c;
	int16_t out[MODEM_AUDIO_FRAME];

	(void)data;
	if (daemon_flow_on_audio(m, s, n))
		return;
	llist_for_each_entry (c, &calls, list) {
		size_t k = 0;

		if (c->m != m || !c->prompt || n != MODEM_AUDIO_FRAME)
			continue;
		memset(out, 0, sizeof(out));
		if (c->pos < c->n) {
			k = c->n - c->pos < MODEM_AUDIO_FRAME ? c->n - c->pos : MODEM_AUDIO_FRAME;
			memcpy(out, c->prompt + c->pos, k * sizeof(out[0]));
			modem_audio_write(m, out, MODEM_AUDIO_FRAME);
			c->pos += k;
			if (c->pos >= c->n)
				modem_hangup(m, c->id);
		}
		if (c->rec) {
			const int16_t *ch[2] = {out, s};

			if (recording_write(c->rec, ch, MODEM_AUDIO_FRAME) < 0)
				finish_recording(c);
		}
		return;
	}
}

void daemon_on_dtmf(struct modem *m, uint32_t call_id, char digit, void *data)
{
	(void)data;
	daemon_flow_on_dtmf(m, call_id, digit);
}

void daemon_calls_stop(void)
{
	struct daemon_call *c, *tmp;

	daemon_flow_stop(g_daemon);
	llist_for_each_entry_safe (c, tmp, &calls, list) {
		finish_recording(c);
		event(c, "end", "relay stopping");
		talloc_free(c);
	}
	finish_all();
}

static void end_unended(int64_t call_id, void *data)
{
	struct chaperoned *d = data;

	if (rec_call_event(d->store, call_id, 0, store_now_ms(), "end",
			   "restart: the relay stopped during the call") <= 0)
		LOGP(DRELAY, LOGL_ERROR, "call %lld: its end not recorded: %s\n",
		     (long long)call_id, store_errmsg(d->store));
	else
		LOGP(DRELAY, LOGL_NOTICE, "call %lld was cut off by a restart; recorded as ended\n",
		     (long long)call_id);
}

/* A recording a crash left, finished by recording_recover(). */
static void recovered(const struct recording_result *res, int err, void *data)
{
	struct chaperoned *d = data;
	long long row;

	if (err) {
		LOGP(DRELAY, LOGL_ERROR, "recording %s could not be recovered (%s): kept as %s\n",
		     res->call_id, strerror(-err), res->path);
		return;
	}
	if (sscanf(res->call_id, "call-%lld", &row) != 1 || row <= 0) {
		LOGP(DRELAY, LOGL_ERROR, "recording %s belongs to no call: kept as %s\n",
		     res->call_id, res->path);
		return;
	}
	LOGP(DRELAY, LOGL_NOTICE, "call %lld: its recording recovered after a restart\n", row);
	record_recording(d, row, res);
}

int daemon_calls_recover(struct chaperoned *d)
{
	char *dir = recordings_dir(d);
	int n = recording_recover(d->ctx, dir, RECORDING_FORMAT_DEFAULT, recovered, d);

	if (n < 0)
		LOGP(DRELAY, LOGL_ERROR, "cannot read the live recordings in %s: %s\n", dir,
		     strerror(-n));
	talloc_free(dir);
	if (store_begin(d->store) < 0)
		return -1;
	if (rec_calls_unended(d->store, end_unended, d) < 0 || store_commit(d->store) < 0) {
		store_rollback(d->store);
		return -1;
	}
	return 0;
}

int daemon_calls_check_prompts(struct chaperoned *d, char *err, size_t errlen)
{
	for (size_t i = 0; i < voice_prompt_count(); i++) {
		const struct voice_prompt *p = voice_prompt_at(i);
		char sha[VOICE_PROMPT_SHA256_HEX];
		int16_t *samples;
		size_t n;
		int rc = voice_prompt_load_err(p, d->prompts_dir, d->ctx, &samples, &n, sha, err,
					       errlen);

		if (rc < 0)
			return -1;
		talloc_free(samples);
	}
	return 0;
}
