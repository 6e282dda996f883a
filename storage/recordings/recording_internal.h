/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* What the recordings' files share (not part of the library's interface).
 *
 *   recording_writer.c   the live WAV: open, write, header and sync intervals
 *   recording_finish.c   live WAV -> at-rest file: encode, fsync, hash, rename
 *   recording_recover.c  live files a crash left: header repair, finish or set aside
 *   recording_files.c    paths, owner-only directories, SHA-256, verify */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/recordings/recording.h"

/* A system call's errno as the library's error: -ENOSPC for a full disk or file size
 * limit, -EIO for anything else. */
int rec_err(int e);
/* snprintf into a RECORDING_PATH_MAX buffer: 0, or -EINVAL when it does not fit. */
int rec_path(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool rec_valid_id(const char *id);
/* mkdir 0700 if missing (an existing directory is left as it is): 0 or negative. */
int rec_mkdir_owner(const char *path);
int rec_fsync_dir(const char *path);
/* SHA-256 of a file's bytes as lower-case hex; its size in *bytes. 0, -ENOENT, -EIO. */
int rec_sha256_file(const char *path, char hex[65], uint64_t *bytes);
/* Fix the RIFF and data sizes of a WAV a crash cut short from the file's length and drop
 * a partial last frame. 0, -EBADMSG if it is not an 8 kHz 16-bit PCM WAV, -EIO. */
int rec_wav_repair(const char *path);
/* Encode <dir>/live/<call_id>.wav to <dir>/<sha256>.<ext> and remove the WAV
 * (recording_finish's contract). res is filled in every case. */
int rec_finish_wav(const char *dir, const char *call_id, enum recording_format fmt, bool recovered,
		   struct recording_result *res);
