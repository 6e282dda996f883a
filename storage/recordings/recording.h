/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Call recordings: one multi-channel file per relayed call, a public record.
 *
 * Layout under the directory the caller gives (nothing outside it is touched):
 *   <dir>/live/<call_id>.wav      while the call lasts: 8 kHz, 16-bit PCM, one channel
 *                                 per source (0: what the relay played, k: leg k)
 *   <dir>/live/<call_id>.wav.bad  a live file recovery could not read, kept aside
 *   <dir>/<sha256>.<ext>          at rest, named by the SHA-256 of its bytes
 * Directories are made 0700 and files 0600 (owner only), whatever the umask.
 *
 * Promises:
 * - the live WAV's header is rewritten every `header_every` frames and its data synced
 *   every `sync_every` frames, so a kill -9 at any instant leaves a file libsndfile
 *   reads with all but the last header interval, and recording_recover() (which
 *   repairs the header from the file's length) recovers all but the last partial frame;
 * - recording_finish() makes the at-rest file durable (file and directory fsynced)
 *   before it removes the live WAV, so at every instant one of the two holds the call
 *   (a crash between the two leaves both; recovery then re-encodes the WAV: the same
 *   file for FLAC, whose encoding is deterministic, a second file for Opus);
 * - errors are negative errno values: -EINVAL (bad argument), -ENOSPC (disk or file
 *   size limit full), -EIO (anything else the system refused); never an abort.
 *
 * Not thread-safe: one recording is used from one thread (the daemon's event loop). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RECORDING_RATE	8000
#define RECORDING_FRAME 160 /* samples per channel in 20 ms */
/* FLAC holds at most 8 channels (and Ogg Opus in its surround mapping): a call records
 * the relay's own channel and up to 7 legs. */
#define RECORDING_MAX_CHANNELS 8
#define RECORDING_ID_MAX       64 /* call_id: 1..64 of [A-Za-z0-9_.-], not starting with '.' */
#define RECORDING_PATH_MAX     1024

enum recording_format {
	RECORDING_FLAC, /* lossless, the default: the record is exactly what was relayed */
	RECORDING_OPUS, /* Ogg Opus at 16 kbit/s per channel: about 3.7x smaller, lossy */
};
#define RECORDING_FORMAT_DEFAULT RECORDING_FLAC

struct recording_opts {
	enum recording_format format; /* at rest */
	unsigned header_every;	      /* frames between header rewrites; 0 means every write */
	unsigned sync_every;	      /* frames between fdatasync()s of the live file; 0: never */
};
/* FLAC, header every 10 frames (200 ms), fdatasync every 25 (500 ms): a kill loses
 * nothing recovery cannot repair, a power cut at most the last half second
 * (docs/performance.md has the cost of each interval). */
extern const struct recording_opts recording_opts_default;

struct recording_result {
	char call_id[RECORDING_ID_MAX + 1];
	char path[RECORDING_PATH_MAX]; /* the at-rest file; or the kept WAV when !encoded */
	char sha256[65];	       /* lower-case hex of the file's SHA-256 ("" when !encoded) */
	uint64_t bytes;		       /* size of the file at path */
	uint64_t duration_ms;	       /* audio frames / 8 */
	unsigned channels;	       /* of the recording (0 when the WAV was unreadable) */
	enum recording_format format;
	bool encoded;	 /* false: encoding failed and path is the WAV, kept in live/ */
	bool recovered;	 /* finished by recording_recover(), after a crash */
	char error[160]; /* what went wrong, when the call returned an error */
};

struct recording;

/* Create <dir>/live/<call_id>.wav (creating dir and live/ when missing) for `channels`
 * channels (1..RECORDING_MAX_CHANNELS). opts NULL: recording_opts_default. On success
 * *out is allocated under ctx (talloc) and 0 returned. -EEXIST when that call's live
 * file already exists (it is never overwritten), -EINVAL, -ENOMEM, -ENOSPC, -EIO, with
 * nothing created but the directories. Freeing the recording without finishing it leaves
 * the live WAV for recording_recover(), as a crash would. */
int recording_open(void *ctx, const char *dir, const char *call_id, unsigned channels,
		   const struct recording_opts *opts, struct recording **out);

/* Append n samples of every channel: frames[c][0..n) is channel c (normally n = 160,
 * one 20 ms frame). 0, or -ENOSPC / -EIO; after an error every later write fails the
 * same way, and recording_finish() still keeps what was written before it. */
int recording_write(struct recording *r, const int16_t *const frames[], size_t n);

/* Audio frames written so far (per channel). */
uint64_t recording_frames(const struct recording *r);

/* Close the live WAV, encode it to the at-rest format, fsync, hash, rename it to
 * <dir>/<sha256>.<ext>, fsync the directory, remove the live WAV, fill *res and free r.
 * On an encoding or storage error the live WAV is kept (res->encoded false, res->path
 * names it, res->error says why), no partial at-rest file is left, and the error is
 * returned. r is freed in every case. */
int recording_finish(struct recording *r, struct recording_result *res);

/* The same in two steps, so that the slow one (an hour's call takes seconds to encode)
 * can run off the event loop: recording_close() closes the live WAV (its header final)
 * and frees r, keeping in *out what the second step needs; recording_finish_closed()
 * then encodes, fsyncs, hashes, renames and removes the WAV as recording_finish() does.
 * The second step touches files only (no talloc, no global state of this library): it
 * may run on another thread, one per recording. Until it has run the live WAV is what a
 * crash leaves, for recording_recover(). */
struct recording_closed {
	char dir[RECORDING_PATH_MAX];
	char call_id[RECORDING_ID_MAX + 1];
	enum recording_format format;
};
void recording_close(struct recording *r, struct recording_closed *out);
int recording_finish_closed(const struct recording_closed *c, struct recording_result *res);

/* Called by recording_recover() for every file found in live/: err 0 with res of the
 * finished recording (res->recovered true); -EBADMSG when the file was unreadable and
 * was renamed to res->path (".bad"); another negative errno when finishing failed and
 * the WAV was kept. */
typedef void (*recording_recover_cb)(const struct recording_result *res, int err, void *data);

/* At start-up, before any recording_open() on dir: finish every <dir>/live/<id>.wav a
 * crash left, in `format`. Deletes only its own partial encodes (live/ *.tmp files); never a
 * WAV. Returns how many files it handled (cb was called for each), or a negative errno
 * when the live directory could not be read (a missing one is 0 files). */
int recording_recover(void *ctx, const char *dir, enum recording_format format,
		      recording_recover_cb cb, void *data);

/* Re-hash path and compare with sha256 (64 hex digits, either case): 0 when it
 * matches, -EBADMSG when it does not, -ENOENT when there is no such file, -EINVAL for a
 * malformed sha256, -EIO when it cannot be read. */
int recording_verify(const char *path, const char *sha256);

/* Copy the recording at path into out_fd (a new, empty file the caller opened for
 * writing), re-hashing the bytes as they are read, and compare with sha256: the copy
 * is exactly the bytes that were hashed, with no window between checking and copying.
 * 0 when it matches and every byte was written (and fsynced); -EBADMSG when the file
 * is not what sha256 says (the copy then holds bytes that must not be used: the caller
 * removes it), -ENOENT when there is no such file, -EINVAL for a malformed sha256 or a
 * negative out_fd, -ENOSPC when the disk is full, -EIO when reading or writing failed.
 * *bytes (may be NULL) gets how many bytes were copied. */
int recording_copy(const char *path, const char *sha256, int out_fd, uint64_t *bytes);

/* "flac" or "opus". */
const char *recording_format_ext(enum recording_format f);
