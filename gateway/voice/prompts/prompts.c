/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The prompt table's look-ups, and loading a prompt: the district's recording or the
 * built one, read once, hashed, then decoded from memory by libsndfile. */
#include "gateway/voice/prompts/prompts.h"
#include "gateway/voice/prompts/prompts_table.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sndfile.h>
#include <sodium.h>
#include <talloc.h>

/* A WAV of VOICE_PROMPT_MAX_SECONDS is under 1 MB as 16-bit PCM and under 2 MB as
 * float; anything far larger is not a prompt. */
#define MAX_FILE_BYTES (8 * 1024 * 1024)

/* What read_file() and load_file() return when there is no such file: positive, so
 * never mistaken for a voice_prompt_err (-ENOENT would be VOICE_PROMPT_E_IO). */
#define ABSENT 1

static const char *const builtin_dirs[] = {
    CHAPERONE_PROMPTS_INSTALL_DIR,
    CHAPERONE_PROMPTS_BUILD_DIR,
    NULL,
};

const struct voice_prompt *voice_prompt_find(const char *id)
{
	if (!id)
		return NULL;
	for (size_t i = 0; i < voice_prompt_table_len; i++)
		if (strcmp(voice_prompt_table[i].id, id) == 0)
			return &voice_prompt_table[i];
	return NULL;
}

size_t voice_prompt_count(void)
{
	return voice_prompt_table_len;
}

const struct voice_prompt *voice_prompt_at(size_t i)
{
	return i < voice_prompt_table_len ? &voice_prompt_table[i] : NULL;
}

const char *voice_prompt_provenance(void)
{
	return voice_prompt_table_provenance;
}

const char *voice_prompt_builtin_dir(size_t i)
{
	return i < sizeof(builtin_dirs) / sizeof(builtin_dirs[0]) ? builtin_dirs[i] : NULL;
}

const char *voice_prompt_strerror(int rc)
{
	switch (rc) {
	case VOICE_PROMPT_OK:
		return "ok";
	case VOICE_PROMPT_E_ARG:
		return "invalid argument";
	case VOICE_PROMPT_E_IO:
		return "the prompt file could not be read";
	case VOICE_PROMPT_E_FORMAT:
		return "the prompt file is not a readable WAV file";
	case VOICE_PROMPT_E_RATE:
		return "the prompt is not 8000 Hz";
	case VOICE_PROMPT_E_CHANNELS:
		return "the prompt is not mono";
	case VOICE_PROMPT_E_LENGTH:
		return "the prompt is empty or too long";
	case VOICE_PROMPT_E_MISSING:
		return "the built prompt is missing";
	case VOICE_PROMPT_E_HASH:
		return "the built prompt differs from the one this program was built with";
	}
	return "unknown error";
}

__attribute__((format(printf, 4, 5))) static int fail(char *err, size_t errlen, int rc,
						      const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* The whole of path, in a talloc buffer on ctx. 0, ABSENT when there is no such
 * file, or a negative voice_prompt_err with err set. */
static int read_file(void *ctx, const char *path, uint8_t **buf, size_t *len, char *err,
		     size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return ABSENT;
		return fail(err, errlen, VOICE_PROMPT_E_IO, "%s: %s", path, strerror(errno));
	}
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st) < 0) {
		rc = fail(err, errlen, VOICE_PROMPT_E_IO, "%s: %s", path, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		rc = fail(err, errlen, VOICE_PROMPT_E_IO, "%s: not a regular file", path);
	} else if (st.st_size > MAX_FILE_BYTES) {
		rc = fail(err, errlen, VOICE_PROMPT_E_LENGTH,
			  "%s: %lld bytes; a prompt file is at most %d", path,
			  (long long)st.st_size, MAX_FILE_BYTES);
	}
	if (rc) {
		close(fd);
		return rc;
	}
	uint8_t *b = talloc_array(ctx, uint8_t, st.st_size ? (size_t)st.st_size : 1);
	size_t got = 0;
	while (b && got < (size_t)st.st_size) {
		ssize_t r = read(fd, b + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = fail(err, errlen, VOICE_PROMPT_E_IO, "%s: %s", path,
				  r < 0 ? strerror(errno) : "shorter than its size");
			break;
		}
		got += (size_t)r;
	}
	close(fd);
	if (!b)
		return fail(err, errlen, VOICE_PROMPT_E_IO, "%s: out of memory", path);
	if (rc) {
		talloc_free(b);
		return rc;
	}
	*buf = b;
	*len = got;
	return 0;
}

/* libsndfile's virtual I/O over a buffer in memory. */
struct membuf {
	const uint8_t *data;
	sf_count_t len, pos;
};

static sf_count_t mem_len(void *user)
{
	return ((struct membuf *)user)->len;
}

static sf_count_t mem_seek(sf_count_t off, int whence, void *user)
{
	struct membuf *m = user;
	sf_count_t to = whence == SEEK_SET ? off : whence == SEEK_CUR ? m->pos + off : m->len + off;
	if (to < 0 || to > m->len)
		return -1;
	m->pos = to;
	return to;
}

static sf_count_t mem_read(void *ptr, sf_count_t count, void *user)
{
	struct membuf *m = user;
	sf_count_t k = count < m->len - m->pos ? count : m->len - m->pos;
	if (k <= 0)
		return 0;
	memcpy(ptr, m->data + m->pos, (size_t)k);
	m->pos += k;
	return k;
}

static sf_count_t mem_write(const void *ptr, sf_count_t count, void *user)
{
	(void)ptr, (void)count, (void)user;
	return 0;
}

static sf_count_t mem_tell(void *user)
{
	return ((struct membuf *)user)->pos;
}

/* Decodes a WAV held in buf: 8 kHz mono, 1 to VOICE_PROMPT_MAX_SECONDS long. */
static int decode(void *ctx, const char *path, const uint8_t *buf, size_t len, int16_t **out,
		  size_t *n, char *err, size_t errlen)
{
	SF_VIRTUAL_IO vio = {mem_len, mem_seek, mem_read, mem_write, mem_tell};
	struct membuf m = {buf, (sf_count_t)len, 0};
	SF_INFO info = {0};
	SNDFILE *sf = sf_open_virtual(&vio, SFM_READ, &info, &m);
	if (!sf)
		return fail(err, errlen, VOICE_PROMPT_E_FORMAT, "%s: not a WAV file (%s)", path,
			    sf_strerror(NULL));
	int major = info.format & SF_FORMAT_TYPEMASK;
	int rc = 0;
	if (major != SF_FORMAT_WAV && major != SF_FORMAT_WAVEX) {
		rc = fail(err, errlen, VOICE_PROMPT_E_FORMAT, "%s: not a WAV file", path);
	} else if (info.samplerate != VOICE_PROMPT_RATE || info.channels != 1) {
		rc = fail(err, errlen,
			  info.samplerate != VOICE_PROMPT_RATE ? VOICE_PROMPT_E_RATE
							       : VOICE_PROMPT_E_CHANNELS,
			  "%s: %d Hz, %d channel%s; a prompt must be %d Hz mono (sox IN -r %d -c 1 "
			  "-b 16 OUT.wav converts one)",
			  path, info.samplerate, info.channels, info.channels == 1 ? "" : "s",
			  VOICE_PROMPT_RATE, VOICE_PROMPT_RATE);
	} else if (info.frames <= 0 ||
		   info.frames > (sf_count_t)VOICE_PROMPT_MAX_SECONDS * VOICE_PROMPT_RATE) {
		rc = fail(err, errlen, VOICE_PROMPT_E_LENGTH,
			  "%s: %lld samples; a prompt is 1 to %d s long", path,
			  (long long)info.frames, VOICE_PROMPT_MAX_SECONDS);
	}
	if (rc) {
		sf_close(sf);
		return rc;
	}
	int16_t *s = talloc_array(ctx, int16_t, (size_t)info.frames);
	sf_count_t got = s ? sf_readf_short(sf, s, info.frames) : 0;
	sf_close(sf);
	if (!s)
		return fail(err, errlen, VOICE_PROMPT_E_IO, "%s: out of memory", path);
	if (got != info.frames) {
		talloc_free(s);
		return fail(err, errlen, VOICE_PROMPT_E_FORMAT,
			    "%s: truncated: %lld of %lld samples", path, (long long)got,
			    (long long)info.frames);
	}
	talloc_set_name_const(s, "voice_prompt samples");
	*out = s;
	*n = (size_t)info.frames;
	return 0;
}

/* Reads, hashes and decodes path. ABSENT when there is no such file; with want (the
 * table's hash) VOICE_PROMPT_E_HASH when the file's differs. */
static int load_file(void *ctx, const char *path, const char *want, int16_t **samples, size_t *n,
		     char hex[VOICE_PROMPT_SHA256_HEX], char *err, size_t errlen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = read_file(ctx, path, &buf, &len, err, errlen);
	if (rc)
		return rc;
	uint8_t h[crypto_hash_sha256_BYTES];
	char got[VOICE_PROMPT_SHA256_HEX];
	crypto_hash_sha256(h, buf, len);
	sodium_bin2hex(got, sizeof(got), h, sizeof(h));
	if (want && strcmp(got, want) != 0)
		rc = fail(err, errlen, VOICE_PROMPT_E_HASH,
			  "%s: SHA-256 %s, but this program was built with %s", path, got, want);
	else
		rc = decode(ctx, path, buf, len, samples, n, err, errlen);
	talloc_free(buf);
	if (rc == 0)
		memcpy(hex, got, sizeof(got));
	return rc;
}

int voice_prompt_load_err(const struct voice_prompt *p, const char *override_dir, void *ctx,
			  int16_t **samples, size_t *n, char sha256_hex[VOICE_PROMPT_SHA256_HEX],
			  char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (!p || !samples || !n || !sha256_hex)
		return fail(err, errlen, VOICE_PROMPT_E_ARG, "voice_prompt_load: NULL argument");
	if (sodium_init() < 0)
		return fail(err, errlen, VOICE_PROMPT_E_IO, "libsodium failed to initialise");

	char path[4096];
	int rc;
	if (override_dir) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", override_dir, p->file) >=
		    sizeof(path))
			return fail(err, errlen, VOICE_PROMPT_E_ARG, "%s/%s: path too long",
				    override_dir, p->file);
		rc = load_file(ctx, path, NULL, samples, n, sha256_hex, err, errlen);
		if (rc != ABSENT)
			return rc;
	}

	/* The built prompt: the first file, in builtin_dirs' order, with the table's hash. */
	int worst = VOICE_PROMPT_E_MISSING;
	for (size_t i = 0; builtin_dirs[i]; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", builtin_dirs[i], p->file) >=
		    sizeof(path))
			continue;
		rc = load_file(ctx, path, p->sha256, samples, n, sha256_hex, err, errlen);
		if (rc == 0)
			return 0;
		if (rc != ABSENT)
			worst = rc;
	}
	if (worst == VOICE_PROMPT_E_MISSING)
		return fail(err, errlen, VOICE_PROMPT_E_MISSING, "%s: not in %s nor %s", p->file,
			    builtin_dirs[0], builtin_dirs[1]);
	/* err holds the last directory's complaint. */
	return worst;
}

int voice_prompt_load(const struct voice_prompt *p, const char *override_dir, void *ctx,
		      int16_t **samples, size_t *n, char sha256_hex[VOICE_PROMPT_SHA256_HEX])
{
	return voice_prompt_load_err(p, override_dir, ctx, samples, n, sha256_hex, NULL, 0);
}
