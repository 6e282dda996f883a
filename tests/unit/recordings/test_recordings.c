/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Call recordings (storage/recordings/recording.h) on real files: three channels of
 * distinct tones come back from FLAC and Opus each in its own channel, named by the
 * hash sha256sum computes, owner-only; a writer killed with SIGKILL mid-call leaves a
 * readable WAV that recovery finishes; garbage in live/ is set aside, not deleted;
 * verify catches a flipped byte; a full disk (a file size limit) keeps the WAV. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sndfile.h>
#include <talloc.h>

#include "storage/recordings/recording.h"
#include "tests/e2e/tones.h"

static const double tone_hz[3] = {400, 1000, 1800};

struct env {
	char dir[64];
	char rec[96]; /* <dir>/rec: the recordings' directory */
	void *ctx;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	strcpy(e->dir, "/tmp/chaperone-rec-XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(e->rec, sizeof(e->rec), "%s/rec", e->dir);
	e->ctx = talloc_new(NULL);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	assert_int_equal(system(cmd), 0);
	talloc_free(e->ctx);
	free(e);
	return 0;
}

/* Write `frames` 20 ms frames of the three tones, from sample `start`. */
static int write_frames(struct recording *r, uint64_t frames, uint64_t start)
{
	int16_t ch[3][RECORDING_FRAME];
	const int16_t *const planes[3] = {ch[0], ch[1], ch[2]};

	for (uint64_t f = 0; f < frames; f++) {
		for (int c = 0; c < 3; c++)
			tone_fill(ch[c], RECORDING_FRAME, tone_hz[c], -10,
				  start + f * RECORDING_FRAME);
		int rc = recording_write(r, planes, RECORDING_FRAME);
		if (rc)
			return rc;
	}
	return 0;
}

static int write_tones(struct recording *r, unsigned seconds, uint64_t start)
{
	return write_frames(r, seconds * 50u, start);
}

/* Decode path; channel c of [from, to) seconds into out (to - from) * 8000 samples. */
static sf_count_t read_channel(const char *path, int c, unsigned from, unsigned to, int16_t *out)
{
	SF_INFO info = {0};
	SNDFILE *sf = sf_open(path, SFM_READ, &info);
	int16_t frame[3];
	sf_count_t n = 0, i = 0;

	assert_non_null(sf);
	assert_int_equal(info.channels, 3);
	assert_int_equal(info.samplerate, RECORDING_RATE);
	while (sf_readf_short(sf, frame, 1) == 1) {
		if (i >= (sf_count_t)from * RECORDING_RATE && i < (sf_count_t)to * RECORDING_RATE)
			out[n++] = frame[c];
		i++;
	}
	sf_close(sf);
	return n;
}

static void assert_tones(const char *path)
{
	static int16_t s[8 * RECORDING_RATE];

	for (int c = 0; c < 3; c++) {
		assert_int_equal(read_channel(path, c, 1, 9, s), 8 * RECORDING_RATE);
		for (int k = 0; k < 3; k++) {
			double db = tone_db(s, 8 * RECORDING_RATE, tone_hz[k]);
			if (k == c)
				assert_true(db > -11.5 && db < -8.5);
			else
				assert_true(db < -50); /* nothing leaks between legs */
		}
	}
}

static void assert_sha256sum(const char *path, const char *hex)
{
	char cmd[1200], out[80] = "";
	FILE *p;

	snprintf(cmd, sizeof(cmd), "sha256sum '%s'", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(out, sizeof(out), p));
	pclose(p);
	assert_memory_equal(out, hex, 64);
}

static void assert_mode(const char *path, mode_t mode)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, mode);
}

static void tones_round_trip(struct env *e, enum recording_format fmt)
{
	struct recording_opts o = recording_opts_default;
	struct recording_result res;
	struct recording *r;
	char live[160], want[1100];

	o.format = fmt;
	umask(022); /* owner-only whatever the umask */
	assert_int_equal(recording_open(e->ctx, e->rec, "call-42", 3, &o, &r), 0);
	snprintf(live, sizeof(live), "%s/live/call-42.wav", e->rec);
	assert_mode(live, 0600);
	assert_int_equal(write_tones(r, 10, 0), 0);
	assert_int_equal(recording_frames(r), 10 * RECORDING_RATE);
	assert_int_equal(recording_finish(r, &res), 0);

	assert_true(res.encoded);
	assert_false(res.recovered);
	assert_string_equal(res.call_id, "call-42");
	assert_int_equal(res.duration_ms, 10000);
	assert_int_equal(res.channels, 3);
	assert_int_equal(res.format, fmt);
	snprintf(want, sizeof(want), "%s/%s.%s", e->rec, res.sha256, recording_format_ext(fmt));
	assert_string_equal(res.path, want);
	assert_int_equal(access(live, F_OK), -1);
	assert_mode(res.path, 0600);
	assert_mode(e->rec, 0700);
	snprintf(want, sizeof(want), "%s/live", e->rec);
	assert_mode(want, 0700);
	assert_sha256sum(res.path, res.sha256);
	assert_int_equal(recording_verify(res.path, res.sha256), 0);
	assert_tones(res.path);
}

static void test_tones_flac(void **state)
{
	tones_round_trip(*state, RECORDING_FLAC);
}

static void test_tones_opus(void **state)
{
	tones_round_trip(*state, RECORDING_OPUS);
}

struct seen {
	unsigned calls, bad, recovered;
	struct recording_result last;
	int last_err;
};

static void on_recovered(const struct recording_result *res, int err, void *data)
{
	struct seen *s = data;

	s->calls++;
	s->last = *res;
	s->last_err = err;
	if (err == -EBADMSG)
		s->bad++;
	else if (err == 0 && res->recovered)
		s->recovered++;
}

/* The child writes as fast as it can and tells the parent each frame count. */
static void killed_writer(const char *rec, int fd)
{
	void *ctx = talloc_new(NULL);
	struct recording *r;

	if (recording_open(ctx, rec, "crash-1", 3, NULL, &r) != 0)
		_exit(1);
	for (;;) {
		if (write_frames(r, 1, recording_frames(r)) != 0)
			_exit(2);
		uint64_t frames = recording_frames(r);
		if (write(fd, &frames, sizeof(frames)) != sizeof(frames))
			_exit(3);
	}
}

static void test_kill_and_recover(void **state)
{
	struct env *e = *state;
	uint64_t written = 0, got;
	char live[160];
	struct seen seen = {0};
	int p[2], status;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		killed_writer(e->rec, p[1]);
	}
	close(p[1]);
	while (written < 6 * RECORDING_RATE + 7 * RECORDING_FRAME &&
	       read(p[0], &got, sizeof(got)) == sizeof(got))
		written = got;
	kill(pid, SIGKILL); /* mid-call: the child is between two writes, or in one */
	while (read(p[0], &got, sizeof(got)) == sizeof(got))
		written = got;
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	snprintf(live, sizeof(live), "%s/live/crash-1.wav", e->rec);
	SF_INFO info = {0};
	SNDFILE *sf = sf_open(live, SFM_READ, &info);
	assert_non_null(sf);
	sf_close(sf);
	print_message("killed after %llu frames reported; the live header says %lld\n",
		      (unsigned long long)written, (long long)info.frames);
	assert_true((uint64_t)info.frames + RECORDING_RATE >= written);

	assert_int_equal(recording_recover(e->ctx, e->rec, RECORDING_FLAC, on_recovered, &seen), 1);
	assert_int_equal(seen.recovered, 1);
	assert_int_equal(seen.last_err, 0);
	assert_string_equal(seen.last.call_id, "crash-1");
	print_message("recovered %llu ms\n", (unsigned long long)seen.last.duration_ms);
	assert_true(seen.last.duration_ms >= written / 8); /* the repair keeps every frame */
	assert_int_equal(seen.last.channels, 3);
	assert_int_equal(access(live, F_OK), -1);
	assert_int_equal(recording_verify(seen.last.path, seen.last.sha256), 0);
	assert_sha256sum(seen.last.path, seen.last.sha256);
}

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_garbage_set_aside(void **state)
{
	struct env *e = *state;
	struct seen seen = {0};
	char live[160], path[200];
	struct stat st;

	snprintf(live, sizeof(live), "%s/live", e->rec);
	assert_int_equal(mkdir(e->rec, 0700), 0);
	assert_int_equal(mkdir(live, 0700), 0);
	snprintf(path, sizeof(path), "%s/garbage.wav", live);
	put_file(path, "this is not a WAV file at all");
	snprintf(path, sizeof(path), "%s/empty.wav", live);
	put_file(path, "");

	assert_int_equal(recording_recover(e->ctx, e->rec, RECORDING_FLAC, on_recovered, &seen), 2);
	assert_int_equal(seen.bad, 2);
	snprintf(path, sizeof(path), "%s/garbage.wav.bad", live);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, strlen("this is not a WAV file at all"));
	snprintf(path, sizeof(path), "%s/empty.wav.bad", live);
	assert_int_equal(access(path, F_OK), 0);
	/* Set aside once: a second start-up leaves them be. */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(recording_recover(e->ctx, e->rec, RECORDING_FLAC, on_recovered, &seen), 0);
	assert_int_equal(seen.calls, 0);
}

static void test_verify_flipped_byte(void **state)
{
	struct env *e = *state;
	struct recording_result res;
	struct recording *r;
	char upper[65];
	int fd;
	uint8_t b;

	assert_int_equal(recording_open(e->ctx, e->rec, "7", 3, NULL, &r), 0);
	assert_int_equal(write_tones(r, 2, 0), 0);
	assert_int_equal(recording_finish(r, &res), 0);
	for (int i = 0; i < 65; i++)
		upper[i] = (char)(res.sha256[i] >= 'a' ? res.sha256[i] - 32 : res.sha256[i]);
	assert_int_equal(recording_verify(res.path, upper), 0);

	fd = open(res.path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, 1000), 1);
	b ^= 0x01;
	assert_int_equal(pwrite(fd, &b, 1, 1000), 1);
	close(fd);
	assert_int_equal(recording_verify(res.path, res.sha256), -EBADMSG);
	assert_int_equal(recording_verify("/nonexistent/x.flac", res.sha256), -ENOENT);
	assert_int_equal(recording_verify(res.path, "abc"), -EINVAL);
}

/* A copy for a bundle: the same bytes when the file is as recorded; a flipped byte, a
 * missing file or a malformed hash said so, never a copy taken as good. */
static void test_copy_rehashes(void **state)
{
	struct env *e = *state;
	struct recording_result res;
	struct recording *r;
	char copy[200];
	uint64_t bytes;
	int fd;
	uint8_t b;

	assert_int_equal(recording_open(e->ctx, e->rec, "8", 3, NULL, &r), 0);
	assert_int_equal(write_tones(r, 2, 0), 0);
	assert_int_equal(recording_finish(r, &res), 0);
	snprintf(copy, sizeof(copy), "%s/copy.flac", e->dir);
	fd = open(copy, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(recording_copy(res.path, res.sha256, fd, &bytes), 0);
	close(fd);
	assert_int_equal(bytes, res.bytes);
	assert_sha256sum(copy, res.sha256);

	fd = open(res.path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, 500), 1);
	b ^= 0x80;
	assert_int_equal(pwrite(fd, &b, 1, 500), 1);
	close(fd);
	fd = open(copy, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(recording_copy(res.path, res.sha256, fd, &bytes), -EBADMSG);
	assert_int_equal(recording_copy("/nonexistent/x.flac", res.sha256, fd, NULL), -ENOENT);
	assert_int_equal(recording_copy(res.path, "abc", fd, NULL), -EINVAL);
	assert_int_equal(recording_copy(res.path, res.sha256, -1, NULL), -EINVAL);
	close(fd);
}

static void test_bad_arguments(void **state)
{
	struct env *e = *state;
	struct recording *r;
	char file[160], under[200];

	assert_int_equal(recording_open(e->ctx, e->rec, "../escape", 3, NULL, &r), -EINVAL);
	assert_int_equal(recording_open(e->ctx, e->rec, "a/b", 3, NULL, &r), -EINVAL);
	assert_int_equal(recording_open(e->ctx, e->rec, ".hidden", 3, NULL, &r), -EINVAL);
	assert_int_equal(recording_open(e->ctx, e->rec, "", 3, NULL, &r), -EINVAL);
	assert_int_equal(recording_open(e->ctx, e->rec, "ok", 0, NULL, &r), -EINVAL);
	/* Nine channels would be written live and never finish: FLAC holds eight. */
	assert_int_equal(recording_open(e->ctx, e->rec, "ok", 9, NULL, &r), -EINVAL);
	assert_null(r);
	assert_int_equal(access(e->rec, F_OK), -1); /* nothing was created */

	/* A directory that cannot be made (its parent is a file). */
	snprintf(file, sizeof(file), "%s/file", e->dir);
	put_file(file, "x");
	snprintf(under, sizeof(under), "%s/rec", file);
	assert_int_equal(recording_open(e->ctx, under, "ok", 3, NULL, &r), -EIO);

	/* The same call twice: the live file is never overwritten. */
	assert_int_equal(recording_open(e->ctx, e->rec, "twice", 3, NULL, &r), 0);
	struct recording *r2;
	assert_int_equal(recording_open(e->ctx, e->rec, "twice", 3, NULL, &r2), -EEXIST);
	talloc_free(r);
}

static int file_count(const char *dir)
{
	char cmd[200];
	int n = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	p = popen(cmd, "r");
	if (p && fscanf(p, "%d", &n) != 1)
		n = -1;
	if (p)
		pclose(p);
	return n;
}

/* In a child, as the limit is the process's: 0 when every check held. */
static int full_disk_child(const char *rec)
{
	struct rlimit lim;
	struct recording_result res;
	struct recording *r;
	char live[160];
	void *ctx = talloc_new(NULL);

	signal(SIGXFSZ, SIG_IGN); /* the write fails with EFBIG instead */
	if (recording_open(ctx, rec, "full", 3, NULL, &r) || write_tones(r, 2, 0))
		return 10;
	getrlimit(RLIMIT_FSIZE, &lim);
	lim.rlim_cur = 100000; /* the WAV is 96 kB: the third second does not fit */
	setrlimit(RLIMIT_FSIZE, &lim);
	if (write_tones(r, 1, 2 * RECORDING_RATE) != -ENOSPC || write_tones(r, 1, 0) != -ENOSPC)
		return 11;
	lim.rlim_cur = 4096; /* and no encoded file fits either */
	setrlimit(RLIMIT_FSIZE, &lim);
	if (recording_finish(r, &res) != -ENOSPC || res.encoded || !res.error[0])
		return 12;
	snprintf(live, sizeof(live), "%s/live/full.wav", rec);
	if (strcmp(res.path, live) || file_count(rec) != 1 || file_count(res.path) < 0)
		return 13;
	snprintf(live, sizeof(live), "%s/live", rec);
	if (file_count(live) != 1) /* the WAV, and no partial encode beside it */
		return 14;
	SF_INFO info = {0};
	SNDFILE *sf = sf_open(res.path, SFM_READ, &info);
	if (!sf || info.frames < 2 * RECORDING_RATE)
		return 15;
	sf_close(sf);
	talloc_free(ctx);
	return 0;
}

static void test_full_disk_keeps_wav(void **state)
{
	struct env *e = *state;
	struct seen seen = {0};
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(full_disk_child(e->rec));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* With room again, the next start-up finishes it with what was written. */
	assert_int_equal(recording_recover(e->ctx, e->rec, RECORDING_FLAC, on_recovered, &seen), 1);
	assert_int_equal(seen.recovered, 1);
	assert_true(seen.last.duration_ms >= 2000);
}

/* The slow step on another thread while the loop's thread records another call. */
struct finish_job {
	struct recording_closed c;
	struct recording_result res;
	int rc;
};

static void *finish_thread(void *arg)
{
	struct finish_job *j = arg;

	j->rc = recording_finish_closed(&j->c, &j->res);
	return NULL;
}

static void test_finish_on_thread(void **state)
{
	struct env *e = *state;
	struct recording *a, *b;
	struct finish_job j = {0};
	struct recording_result res;
	char live[256];
	pthread_t t;

	assert_int_equal(recording_open(e->ctx, e->rec, "call-1", 3, NULL, &a), 0);
	assert_int_equal(write_tones(a, 20, 0), 0);
	recording_close(a, &j.c);
	snprintf(live, sizeof(live), "%s/live/call-1.wav", e->rec);
	assert_int_equal(access(live, F_OK), 0); /* until finished, what a crash leaves */
	assert_int_equal(pthread_create(&t, NULL, finish_thread, &j), 0);
	assert_int_equal(recording_open(e->ctx, e->rec, "call-2", 3, NULL, &b), 0);
	assert_int_equal(write_tones(b, 5, 0), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(j.rc, 0);
	assert_true(j.res.encoded);
	assert_int_equal(j.res.duration_ms, 20000);
	assert_int_equal(j.res.channels, 3);
	assert_int_equal(recording_verify(j.res.path, j.res.sha256), 0);
	assert_int_equal(access(live, F_OK), -1);
	assert_int_equal(recording_finish(b, &res), 0);
	assert_int_equal(res.duration_ms, 5000);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_tones_flac),	       T(test_tones_opus),	    T(test_kill_and_recover),
	    T(test_garbage_set_aside), T(test_verify_flipped_byte), T(test_copy_rehashes),
	    T(test_bad_arguments),     T(test_full_disk_keeps_wav), T(test_finish_on_thread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
