/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Bounded output queue, see outbuf.h. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <talloc.h>

#include "hw/modemsim/outbuf.h"

void outbuf_init(struct outbuf *ob, size_t max)
{
	ob->data = NULL;
	ob->len = 0;
	ob->max = max;
	ob->dropped = 0;
}

void outbuf_free(struct outbuf *ob)
{
	TALLOC_FREE(ob->data);
	ob->len = 0;
}

size_t outbuf_append(struct outbuf *ob, void *ctx, const void *buf, size_t len)
{
	size_t room = ob->max - ob->len;
	size_t take = len < room ? len : room;
	uint8_t *n;

	if (take == 0) {
		ob->dropped += len;
		return 0;
	}
	n = talloc_realloc_size(ctx, ob->data, ob->len + take);
	if (!n) {
		ob->dropped += len;
		return 0;
	}
	ob->data = n;
	memcpy(ob->data + ob->len, buf, take);
	ob->len += take;
	ob->dropped += len - take;
	return take;
}

int outbuf_flush(struct outbuf *ob, int fd)
{
	while (ob->len > 0) {
		ssize_t rc = write(fd, ob->data, ob->len);

		if (rc < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		memmove(ob->data, ob->data + rc, ob->len - (size_t)rc);
		ob->len -= (size_t)rc;
	}
	/* Nothing left: give the memory back, a queue is only needed while the peer lags. */
	TALLOC_FREE(ob->data);
	ob->dropped = 0;
	return 0;
}
