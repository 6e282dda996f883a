/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* A bounded byte queue for non-blocking writers (PTY masters, control connections).
 *
 * Data that cannot be written at once waits here until the fd is writable. The bound
 * keeps a client that never reads from growing the simulator without limit: past it,
 * new data is dropped, like a UART whose peer stopped listening. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct outbuf {
	uint8_t *data; /* talloc, grows up to max */
	size_t len;
	size_t max;
	size_t dropped; /* bytes refused since the last time the queue was empty */
};

void outbuf_init(struct outbuf *ob, size_t max);
void outbuf_free(struct outbuf *ob);
/* Queue bytes; returns how many were kept (less than len when the bound is hit). */
size_t outbuf_append(struct outbuf *ob, void *ctx, const void *buf, size_t len);
/* Write as much as the fd takes. Returns 0 (maybe data left), or -errno on a hard error. */
int outbuf_flush(struct outbuf *ob, int fd);
static inline bool outbuf_empty(const struct outbuf *ob)
{
	return ob->len == 0;
}
