/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Paths, owner-only directories, durability and hashing (recording_internal.h), and
 * recording_verify() and recording_copy() (recording.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "storage/recordings/recording_internal.h"

int rec_err(int e)
{
	return (e == ENOSPC || e == EDQUOT || e == EFBIG) ? -ENOSPC : -EIO;
}

int rec_path(char *out, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, RECORDING_PATH_MAX, fmt, ap);
	va_end(ap);
	return (n < 0 || n >= RECORDING_PATH_MAX) ? -EINVAL : 0;
}

bool rec_valid_id(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	/* A name, never a path: no '/', no leading '.', so nothing outside dir is named. */
	if (n == 0 || n > RECORDING_ID_MAX || id[0] == '.')
		return false;
	return strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

int rec_mkdir_owner(const char *path)
{
	struct stat st;

	if (mkdir(path, 0700) == 0)
		return chmod(path, 0700) == 0 ? 0 : rec_err(errno); /* whatever the umask */
	if (errno != EEXIST)
		return rec_err(errno);
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return -EIO;
	return 0;
}

int rec_fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return rec_err(errno);
	if (fsync(fd) < 0)
		rc = rec_err(errno);
	close(fd);
	return rc;
}

int rec_sha256_file(const char *path, char hex[65], uint64_t *bytes)
{
	crypto_hash_sha256_state st;
	unsigned char buf[65536], md[crypto_hash_sha256_BYTES];
	uint64_t total = 0;
	ssize_t n;
	int fd;

	if (sodium_init() < 0)
		return -EIO;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -EIO;
	crypto_hash_sha256_init(&st);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			return -EIO;
		}
		crypto_hash_sha256_update(&st, buf, (unsigned long long)n);
		total += (uint64_t)n;
	}
	close(fd);
	crypto_hash_sha256_final(&st, md);
	sodium_bin2hex(hex, 65, md, sizeof(md));
	if (bytes)
		*bytes = total;
	return 0;
}

int recording_verify(const char *path, const char *sha256)
{
	unsigned char want[crypto_hash_sha256_BYTES], got[crypto_hash_sha256_BYTES];
	char hex[65];
	size_t len = 0;
	int rc;

	if (!path || !sha256 || strlen(sha256) != 64 || sodium_init() < 0 ||
	    sodium_hex2bin(want, sizeof(want), sha256, 64, NULL, &len, NULL) != 0 ||
	    len != sizeof(want))
		return -EINVAL;
	rc = rec_sha256_file(path, hex, NULL);
	if (rc < 0)
		return rc;
	if (sodium_hex2bin(got, sizeof(got), hex, 64, NULL, &len, NULL) != 0)
		return -EIO;
	return sodium_memcmp(want, got, sizeof(got)) == 0 ? 0 : -EBADMSG;
}

const char *recording_format_ext(enum recording_format f)
{
	return f == RECORDING_OPUS ? "opus" : "flac";
}

/* Write all of buf to fd (short writes and EINTR retried). 0 or a negative errno. */
static int write_all(int fd, const unsigned char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return rec_err(errno);
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

int recording_copy(const char *path, const char *sha256, int out_fd, uint64_t *bytes)
{
	crypto_hash_sha256_state st;
	unsigned char buf[65536], want[crypto_hash_sha256_BYTES], got[crypto_hash_sha256_BYTES];
	uint64_t total = 0;
	size_t len = 0;
	ssize_t n;
	int fd, rc = 0;

	if (bytes)
		*bytes = 0;
	if (!path || !sha256 || out_fd < 0 || strlen(sha256) != 64 || sodium_init() < 0 ||
	    sodium_hex2bin(want, sizeof(want), sha256, 64, NULL, &len, NULL) != 0 ||
	    len != sizeof(want))
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -EIO;
	crypto_hash_sha256_init(&st);
	while (rc == 0 && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -EIO;
			break;
		}
		crypto_hash_sha256_update(&st, buf, (unsigned long long)n);
		rc = write_all(out_fd, buf, (size_t)n);
		total += (uint64_t)n;
	}
	close(fd);
	if (rc == 0 && fsync(out_fd) < 0)
		rc = rec_err(errno);
	if (bytes)
		*bytes = total;
	if (rc < 0)
		return rc;
	crypto_hash_sha256_final(&st, got);
	return sodium_memcmp(want, got, sizeof(got)) == 0 ? 0 : -EBADMSG;
}
