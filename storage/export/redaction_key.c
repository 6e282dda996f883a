/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The redaction key file (redaction_key.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "storage/export/export_internal.h"
#include "storage/export/redaction_key.h"

#define KEY_FILE_MAX 4096

static int parse(const char *path, char *text, uint8_t key[REDACTION_KEY_LEN], char *err,
		 size_t errlen)
{
	char *save = NULL;
	int line = 0, found = 0;

	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		size_t n = strlen(l), bin = 0;
		line++;
		while (n && (l[n - 1] == '\r' || l[n - 1] == ' ' || l[n - 1] == '\t'))
			l[--n] = '\0';
		if (!n || l[0] == '#')
			continue;
		if (found)
			return export_fail(err, errlen, "%s line %d: a second key (one per file)",
					   path, line);
		if (n != 2 * REDACTION_KEY_LEN ||
		    sodium_hex2bin(key, REDACTION_KEY_LEN, l, n, NULL, &bin, NULL) != 0 ||
		    bin != REDACTION_KEY_LEN)
			return export_fail(err, errlen,
					   "%s line %d: not a key (64 hexadecimal digits expected)",
					   path, line);
		found = 1;
	}
	if (!found)
		return export_fail(err, errlen, "%s holds no key", path);
	return 0;
}

int redaction_key_load(const char *path, uint8_t key[REDACTION_KEY_LEN], char *err, size_t errlen)
{
	char buf[KEY_FILE_MAX + 1];
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd, rc;

	if (sodium_init() < 0)
		return export_fail(err, errlen, "libsodium cannot start");
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return export_fail(err, errlen,
				   errno == ENOENT
				       ? "there is no redaction key at %s (create one with "
					 "`chaperone records key-new`)"
				       : "cannot open the redaction key %s: %s",
				   path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return export_fail(err, errlen, "the redaction key %s is not a regular file", path);
	}
	if (st.st_uid != geteuid()) {
		close(fd);
		return export_fail(
		    err, errlen,
		    "the redaction key %s belongs to another account (uid %u): it must be "
		    "this account's own",
		    path, (unsigned)st.st_uid);
	}
	if (st.st_mode & 077) {
		close(fd);
		return export_fail(
		    err, errlen,
		    "the redaction key %s can be read by others (mode %o): chmod 600 %s", path,
		    (unsigned)(st.st_mode & 07777), path);
	}
	while (len < KEY_FILE_MAX && (n = read(fd, buf + len, KEY_FILE_MAX - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (len >= KEY_FILE_MAX)
		return export_fail(err, errlen, "the redaction key %s is too long to be one", path);
	buf[len] = '\0';
	if (memchr(buf, '\0', len))
		return export_fail(err, errlen, "%s: not a key file (binary content)", path);
	rc = parse(path, buf, key, err, errlen);
	sodium_memzero(buf, sizeof(buf));
	if (rc < 0)
		sodium_memzero(key, REDACTION_KEY_LEN);
	return rc;
}

int redaction_key_create(const char *path, char *err, size_t errlen)
{
	uint8_t key[REDACTION_KEY_LEN];
	char hex[2 * REDACTION_KEY_LEN + 1], text[512];
	int fd, len, ok;

	if (sodium_init() < 0)
		return export_fail(err, errlen, "libsodium cannot start");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return export_fail(err, errlen,
				   errno == EEXIST
				       ? "%s exists: a key is never replaced (keep it; see "
					 "docs/records.md on rotating keys)"
				       : "cannot create %s: %s",
				   path, strerror(errno));
	randombytes_buf(key, sizeof(key));
	sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
	len = snprintf(text, sizeof(text),
		       "# Chaperone redaction key: keys the pseudonyms of public-records "
		       "bundles.\n# Readable by the service account only; keep a copy with the "
		       "district's other secrets,\n# apart from the archive's backups.\n%s\n",
		       hex);
	ok = write(fd, text, (size_t)len) == len && fsync(fd) == 0;
	sodium_memzero(key, sizeof(key));
	sodium_memzero(hex, sizeof(hex));
	sodium_memzero(text, sizeof(text));
	if (close(fd) < 0 || !ok) {
		unlink(path);
		return export_fail(err, errlen, "cannot write %s: %s", path, strerror(errno));
	}
	return 0;
}

void redaction_key_id(const uint8_t key[REDACTION_KEY_LEN], char id[REDACTION_KEY_ID_LEN])
{
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, key, REDACTION_KEY_LEN);
	sodium_bin2hex(id, REDACTION_KEY_ID_LEN, h, (REDACTION_KEY_ID_LEN - 1) / 2);
}
