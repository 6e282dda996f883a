/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The live WAV of a call in progress (recording.h: open, write, frames). */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sndfile.h>
#include <talloc.h>

#include "storage/recordings/recording_internal.h"

const struct recording_opts recording_opts_default = {
    .format = RECORDING_FORMAT_DEFAULT,
    .header_every = 10,
    .sync_every = 25,
};

struct recording {
	SNDFILE *sf;
	int fd;
	unsigned channels;
	struct recording_opts opts;
	uint64_t frames;	 /* samples per channel written */
	uint64_t header_samples; /* since the last header rewrite */
	uint64_t sync_samples;	 /* since the last fdatasync */
	int err;		 /* sticky: the first write error */
	char dir[RECORDING_PATH_MAX];
	char call_id[RECORDING_ID_MAX + 1];
	int16_t buf[RECORDING_FRAME * RECORDING_MAX_CHANNELS]; /* interleaved */
};

/* Freed unfinished: close the file so its header is current; recovery finishes it. */
static int recording_destroy(struct recording *r)
{
	if (r->sf)
		sf_close(r->sf);
	if (r->fd >= 0)
		close(r->fd);
	return 0;
}

static int open_live(struct recording *r, const char *wav)
{
	SF_INFO info = {
	    .samplerate = RECORDING_RATE,
	    .channels = (int)r->channels,
	    .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16,
	};

	/* O_EXCL: a call's live file is never overwritten (it may be a crash's leftover). */
	r->fd = open(wav, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (r->fd < 0)
		return errno == EEXIST ? -EEXIST : rec_err(errno);
	if (fchmod(r->fd, 0600) < 0)
		goto fail;
	errno = 0;
	r->sf = sf_open_fd(r->fd, SFM_WRITE, &info, SF_FALSE);
	if (!r->sf)
		goto fail;
	if (r->opts.header_every == 0)
		sf_command(r->sf, SFC_SET_UPDATE_HEADER_AUTO, NULL, SF_TRUE);
	return 0;
fail:;
	int rc = errno ? rec_err(errno) : -EIO;
	close(r->fd);
	r->fd = -1;
	unlink(wav);
	return rc;
}

int recording_open(void *ctx, const char *dir, const char *call_id, unsigned channels,
		   const struct recording_opts *opts, struct recording **out)
{
	char live[RECORDING_PATH_MAX], wav[RECORDING_PATH_MAX];
	struct recording *r;
	int rc;

	*out = NULL;
	if (!dir || !*dir || !rec_valid_id(call_id) || channels == 0 ||
	    channels > RECORDING_MAX_CHANNELS || rec_path(live, "%s/live", dir) < 0 ||
	    rec_path(wav, "%s/%s.wav", live, call_id) < 0)
		return -EINVAL;
	if ((rc = rec_mkdir_owner(dir)) < 0 || (rc = rec_mkdir_owner(live)) < 0)
		return rc;
	r = talloc_zero(ctx, struct recording);
	if (!r)
		return -ENOMEM;
	r->fd = -1;
	r->channels = channels;
	r->opts = opts ? *opts : recording_opts_default;
	strcpy(r->dir, dir);
	strcpy(r->call_id, call_id);
	talloc_set_destructor(r, recording_destroy);
	rc = open_live(r, wav);
	if (rc < 0) {
		talloc_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

static int write_chunk(struct recording *r, const int16_t *const frames[], size_t at, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (unsigned c = 0; c < r->channels; c++)
			r->buf[i * r->channels + c] = frames[c][at + i];
	errno = 0;
	if (sf_writef_short(r->sf, r->buf, (sf_count_t)n) != (sf_count_t)n)
		return errno ? rec_err(errno) : -EIO;
	r->frames += n;
	r->header_samples += n;
	r->sync_samples += n;
	return 0;
}

/* The intervals that bound what a crash loses (recording.h). */
static int keep_current(struct recording *r)
{
	const struct recording_opts *o = &r->opts;

	if (o->header_every && r->header_samples >= (uint64_t)o->header_every * RECORDING_FRAME) {
		r->header_samples = 0;
		errno = 0;
		sf_command(r->sf, SFC_UPDATE_HEADER_NOW, NULL, 0);
		if (sf_error(r->sf) != SF_ERR_NO_ERROR)
			return errno ? rec_err(errno) : -EIO;
	}
	if (o->sync_every && r->sync_samples >= (uint64_t)o->sync_every * RECORDING_FRAME) {
		r->sync_samples = 0;
		if (fdatasync(r->fd) < 0)
			return rec_err(errno);
	}
	return 0;
}

int recording_write(struct recording *r, const int16_t *const frames[], size_t n)
{
	if (!r || !frames)
		return -EINVAL;
	if (r->err)
		return r->err;
	for (unsigned c = 0; c < r->channels; c++)
		if (!frames[c])
			return -EINVAL;
	for (size_t at = 0; at < n && !r->err; at += RECORDING_FRAME) {
		size_t k = n - at < RECORDING_FRAME ? n - at : RECORDING_FRAME;
		r->err = write_chunk(r, frames, at, k);
	}
	if (!r->err)
		r->err = keep_current(r);
	return r->err;
}

uint64_t recording_frames(const struct recording *r)
{
	return r->frames;
}

void recording_close(struct recording *r, struct recording_closed *out)
{
	snprintf(out->dir, sizeof(out->dir), "%s", r->dir);
	snprintf(out->call_id, sizeof(out->call_id), "%s", r->call_id);
	out->format = r->opts.format;
	/* The destructor's sf_close rewrites the header with the final length (and should
	 * that fail, rec_finish_wav repairs it from the file's length). */
	talloc_free(r);
}

int recording_finish_closed(const struct recording_closed *c, struct recording_result *res)
{
	int rc = rec_finish_wav(c->dir, c->call_id, c->format, false, res);

	/* Our own WAV unreadable or gone: the system failed, not the caller. */
	return (rc == -EBADMSG || rc == -ENOENT) ? -EIO : rc;
}

int recording_finish(struct recording *r, struct recording_result *res)
{
	struct recording_closed c;

	recording_close(r, &c);
	return recording_finish_closed(&c, res);
}
