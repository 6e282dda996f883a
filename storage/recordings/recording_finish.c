/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Live WAV -> at-rest file (recording_internal.h: rec_finish_wav).
 *
 * Order, so that a crash at any step leaves the call in one file or the other:
 * encode into live/<id>.<ext>.tmp, fsync it, hash it, rename it to <dir>/<sha>.<ext>,
 * fsync dir, and only then unlink the WAV and fsync live/. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sndfile.h>

#include "storage/recordings/recording_internal.h"

/* libsndfile's Opus level maps to (1 - level) * 250 + 6 kbit/s per channel: 16. */
#define OPUS_LEVEL 0.96

struct encode {
	SNDFILE *in, *out;
	int out_fd;
	uint64_t frames;
};

static int open_out(struct encode *e, const char *tmp, enum recording_format fmt, int channels)
{
	SF_INFO info = {.samplerate = RECORDING_RATE, .channels = channels};
	double level = OPUS_LEVEL;

	info.format = fmt == RECORDING_OPUS ? SF_FORMAT_OGG | SF_FORMAT_OPUS
					    : SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
	if (!sf_format_check(&info))
		return -EINVAL;
	/* O_TRUNC: a .tmp is only ever this function's own, left by a crash. */
	e->out_fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (e->out_fd < 0)
		return rec_err(errno);
	if (fchmod(e->out_fd, 0600) < 0)
		return rec_err(errno);
	errno = 0;
	e->out = sf_open_fd(e->out_fd, SFM_WRITE, &info, SF_FALSE);
	if (!e->out)
		return errno ? rec_err(errno) : -EIO;
	if (fmt == RECORDING_OPUS &&
	    !sf_command(e->out, SFC_SET_COMPRESSION_LEVEL, &level, sizeof(level)))
		return -EIO;
	return 0;
}

static int copy_audio(struct encode *e, int channels)
{
	short buf[RECORDING_RATE / 10 * RECORDING_MAX_CHANNELS];
	sf_count_t want = (sf_count_t)(sizeof(buf) / sizeof(buf[0])) / channels, n;

	while ((n = sf_readf_short(e->in, buf, want)) > 0) {
		errno = 0;
		if (sf_writef_short(e->out, buf, n) != n)
			return errno ? rec_err(errno) : -EIO;
		e->frames += (uint64_t)n;
	}
	return sf_error(e->in) == SF_ERR_NO_ERROR ? 0 : -EIO;
}

/* Close the encoder (FLAC writes its stream info here) and make the bytes durable. */
static int close_out(struct encode *e)
{
	int rc = 0;

	errno = 0;
	if (e->out && sf_close(e->out) != 0)
		rc = errno ? rec_err(errno) : -EIO;
	e->out = NULL;
	if (e->out_fd >= 0) {
		if (fsync(e->out_fd) < 0 && !rc)
			rc = rec_err(errno);
		if (close(e->out_fd) < 0 && !rc)
			rc = rec_err(errno);
		e->out_fd = -1;
	}
	return rc;
}

static int encode(const char *wav, const char *tmp, enum recording_format fmt, uint64_t *frames,
		  unsigned *channels, char *why, size_t whylen)
{
	struct encode e = {.out_fd = -1};
	SF_INFO in = {0};
	int rc;

	e.in = sf_open(wav, SFM_READ, &in);
	if (!e.in) {
		snprintf(why, whylen, "the live WAV is unreadable: %s", sf_strerror(NULL));
		return -EBADMSG;
	}
	*channels = (unsigned)in.channels;
	rc = open_out(&e, tmp, fmt, in.channels);
	if (!rc)
		rc = copy_audio(&e, in.channels);
	if (rc && e.out)
		snprintf(why, whylen, "encoding: %s (%s)", sf_strerror(e.out), strerror(-rc));
	int crc = close_out(&e);
	rc = rc ? rc : crc;
	sf_close(e.in);
	if (rc && !*why)
		snprintf(why, whylen, "encoding: %s", strerror(-rc));
	*frames = e.frames;
	return rc;
}

static int publish(const char *dir, const char *tmp, enum recording_format fmt,
		   struct recording_result *res)
{
	char final[RECORDING_PATH_MAX];
	int rc;

	if ((rc = rec_sha256_file(tmp, res->sha256, &res->bytes)) < 0 ||
	    (rc = rec_path(final, "%s/%s.%s", dir, res->sha256, recording_format_ext(fmt))) < 0)
		return rc;
	if (rename(tmp, final) < 0)
		return rec_err(errno);
	if ((rc = rec_fsync_dir(dir)) < 0) {
		rename(final, tmp); /* not durable: keep the WAV as the record */
		return rc;
	}
	strcpy(res->path, final);
	return 0;
}

static void keep_wav(const char *wav, const char *tmp, int rc, struct recording_result *res)
{
	int fd;

	unlink(tmp);
	res->encoded = false;
	res->sha256[0] = '\0';
	snprintf(res->path, sizeof(res->path), "%s", wav);
	if (!res->error[0])
		snprintf(res->error, sizeof(res->error), "%s", strerror(-rc));
	fd = open(wav, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) { /* the WAV stays the record: make it durable */
		struct stat st;
		if (fsync(fd) == 0 && fstat(fd, &st) == 0)
			res->bytes = (uint64_t)st.st_size;
		close(fd);
	}
}

int rec_finish_wav(const char *dir, const char *call_id, enum recording_format fmt, bool recovered,
		   struct recording_result *res)
{
	char live[RECORDING_PATH_MAX], wav[RECORDING_PATH_MAX], tmp[RECORDING_PATH_MAX];
	uint64_t frames = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	snprintf(res->call_id, sizeof(res->call_id), "%s", call_id);
	res->format = fmt;
	res->recovered = recovered;
	if (rec_path(live, "%s/live", dir) < 0 || rec_path(wav, "%s/%s.wav", live, call_id) < 0 ||
	    rec_path(tmp, "%s/%s.%s.tmp", live, call_id, recording_format_ext(fmt)) < 0)
		return -EINVAL;
	rc = rec_wav_repair(wav);
	if (!rc)
		rc = encode(wav, tmp, fmt, &frames, &res->channels, res->error, sizeof(res->error));
	res->duration_ms = frames * 1000 / RECORDING_RATE;
	if (!rc)
		rc = publish(dir, tmp, fmt, res);
	if (rc) {
		keep_wav(wav, tmp, rc, res);
		return rc;
	}
	res->encoded = true;
	/* The at-rest file is durable: the WAV may go. */
	if (unlink(wav) == 0)
		rec_fsync_dir(live);
	return 0;
}
