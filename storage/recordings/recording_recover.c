/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Live files a crash left (recording.h: recording_recover), and the WAV header repair
 * that lets them keep all their audio (recording_internal.h: rec_wav_repair). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <talloc.h>

#include "storage/recordings/recording_internal.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The block alignment of an 8 kHz 16-bit PCM fmt chunk's body, or 0 if it is not one. */
static unsigned pcm_block_align(const uint8_t *fmt, uint32_t len)
{
	uint16_t tag, channels, align, bits;

	if (len < 16)
		return 0;
	tag = le16(fmt), channels = le16(fmt + 2), align = le16(fmt + 12), bits = le16(fmt + 14);
	if ((tag != 1 && tag != 0xfffe) || channels == 0 || channels > RECORDING_MAX_CHANNELS ||
	    le32(fmt + 4) != RECORDING_RATE || bits != 16 || align != channels * 2)
		return 0;
	return align;
}

/* Walk the chunks to "data": its header's offset, and the block alignment from "fmt ". */
static int find_data(int fd, off_t size, off_t *data_hdr, unsigned *align)
{
	uint8_t h[12], fmt[40];
	off_t pos = 12;

	*align = 0;
	if (size < 12 || pread(fd, h, 12, 0) != 12 || memcmp(h, "RIFF", 4) ||
	    memcmp(h + 8, "WAVE", 4))
		return -EBADMSG;
	while (pos + 8 <= size) {
		uint8_t c[8];
		if (pread(fd, c, 8, pos) != 8)
			return -EIO;
		uint32_t len = le32(c + 4);
		if (!memcmp(c, "data", 4)) {
			*data_hdr = pos;
			return *align ? 0 : -EBADMSG;
		}
		if (!memcmp(c, "fmt ", 4)) {
			uint32_t n = len < sizeof(fmt) ? len : sizeof(fmt);
			if (pread(fd, fmt, n, pos + 8) != (ssize_t)n)
				return -EBADMSG;
			*align = pcm_block_align(fmt, n);
		}
		pos += 8 + (off_t)len + (len & 1);
	}
	return -EBADMSG;
}

int rec_wav_repair(const char *path)
{
	struct stat st;
	off_t data_hdr;
	unsigned align;
	uint8_t b[4];
	int fd, rc;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -EIO;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -EIO;
	}
	rc = find_data(fd, st.st_size, &data_hdr, &align);
	if (!rc) {
		/* The audio is everything after the data chunk's header, whole frames only. */
		off_t audio = (st.st_size - data_hdr - 8) / align * align;
		off_t end = data_hdr + 8 + audio;
		put_le32(b, (uint32_t)audio);
		if (pwrite(fd, b, 4, data_hdr + 4) != 4)
			rc = -EIO;
		put_le32(b, (uint32_t)(end - 8));
		if (!rc && pwrite(fd, b, 4, 4) != 4)
			rc = -EIO;
		if (!rc && end != st.st_size && ftruncate(fd, end) < 0)
			rc = -EIO;
	}
	close(fd);
	return rc;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);
	return n > t && !strcmp(s + n - t, tail);
}

/* The names in live/ (read first: the loop below renames and removes entries).
 * 0 (a missing live/ has no names), or -EIO. */
static int list_live(void *ctx, const char *live, char ***names, size_t *n)
{
	DIR *d = opendir(live);
	struct dirent *de;

	*names = NULL;
	*n = 0;
	if (!d)
		return errno == ENOENT ? 0 : -EIO;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		*names = talloc_realloc(ctx, *names, char *, *n + 1);
		(*names)[(*n)++] = talloc_strdup(*names, de->d_name);
	}
	closedir(d);
	return 0;
}

static void set_aside(const char *live, const char *name, int why, recording_recover_cb cb,
		      void *data)
{
	struct recording_result res = {0};
	char from[RECORDING_PATH_MAX];

	snprintf(res.call_id, sizeof(res.call_id), "%.*s", (int)(strlen(name) - 4), name);
	res.recovered = true;
	snprintf(res.error, sizeof(res.error), "unreadable (%s): kept aside, not deleted",
		 strerror(-why));
	if (rec_path(from, "%s/%s", live, name) < 0 ||
	    rec_path(res.path, "%s/%s.bad", live, name) < 0 || rename(from, res.path) < 0) {
		snprintf(res.path, sizeof(res.path), "%s/%s", live, name);
		cb(&res, -EIO, data);
		return;
	}
	rec_fsync_dir(live);
	cb(&res, -EBADMSG, data);
}

static void recover_one(const char *dir, const char *live, const char *name,
			enum recording_format format, recording_recover_cb cb, void *data)
{
	struct recording_result res;
	char id[RECORDING_ID_MAX + 1];
	size_t n = strlen(name) - 4;
	int rc;

	if (n > RECORDING_ID_MAX) {
		set_aside(live, name, -EINVAL, cb, data);
		return;
	}
	memcpy(id, name, n);
	id[n] = '\0';
	if (!rec_valid_id(id)) {
		set_aside(live, name, -EINVAL, cb, data);
		return;
	}
	rc = rec_finish_wav(dir, id, format, true, &res);
	if (rc == -EBADMSG)
		set_aside(live, name, rc, cb, data);
	else
		cb(&res, rc, data);
}

int recording_recover(void *ctx, const char *dir, enum recording_format format,
		      recording_recover_cb cb, void *data)
{
	char live[RECORDING_PATH_MAX], tmp[RECORDING_PATH_MAX];
	void *scratch;
	char **names;
	size_t n;
	int done = 0;

	if (!dir || !cb || rec_path(live, "%s/live", dir) < 0)
		return -EINVAL;
	scratch = talloc_new(ctx);
	int rc = list_live(scratch, live, &names, &n);
	if (rc < 0) {
		talloc_free(scratch);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		if (ends_with(names[i], ".tmp") && rec_path(tmp, "%s/%s", live, names[i]) == 0)
			unlink(tmp); /* a partial encode of ours; its WAV is still there */
		else if (ends_with(names[i], ".wav")) {
			recover_one(dir, live, names[i], format, cb, data);
			done++;
		}
	}
	talloc_free(scratch);
	return done;
}
