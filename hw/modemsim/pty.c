/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* PTY create / vanish / return, see pty.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <termios.h>
#include <unistd.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/utils.h>

#include "hw/modemsim/modemsim.h"
#include "hw/modemsim/pty.h"

static int pty_fd_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct sim_pty *p = ofd->data;
	uint8_t buf[1024];

	if (what & OSMO_FD_READ) {
		ssize_t rc = read(ofd->fd, buf, sizeof(buf));

		if (rc > 0) {
			p->read_cb(p->cb_data, buf, (size_t)rc);
			/* The callback may have closed the port (a reset, a vanish fault). */
			if (!p->up)
				return 0;
		} else if (rc < 0 && errno != EAGAIN && errno != EINTR) {
			/* Cannot happen while we hold the slave open; do not spin on it. */
			LOGP(DPTY, LOGL_ERROR, "%s: read from PTY master: %s\n", p->name,
			     strerror(errno));
			osmo_fd_read_disable(ofd);
		}
	}
	if (what & OSMO_FD_WRITE) {
		int rc = outbuf_flush(&p->out, ofd->fd);

		if (rc < 0) {
			LOGP(DPTY, LOGL_ERROR, "%s: write to PTY master: %s\n", p->name,
			     strerror(-rc));
			outbuf_free(&p->out);
		}
		if (outbuf_empty(&p->out))
			osmo_fd_write_disable(ofd);
	}
	return 0;
}

/* Bring the client count up to date with the opens and closes the kernel reported. */
static void clients_update(struct sim_pty *p)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(p->ino.fd, buf, sizeof(buf))) > 0) {
		for (char *q = buf; q < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)q;

			if (ev->mask & IN_OPEN)
				p->clients++;
			if ((ev->mask & IN_CLOSE) && p->clients > 0 && --p->clients == 0) {
				/* Nobody reads what is queued any more: a real tty discards it. */
				outbuf_free(&p->out);
				tcflush(p->slave_fd, TCIFLUSH);
				LOGP(DPTY, LOGL_INFO, "%s: no client has the port open\n", p->name);
			}
			q += sizeof(*ev) + ev->len;
		}
	}
}

static int ino_fd_cb(struct osmo_fd *ofd, unsigned int what)
{
	(void)what;
	clients_update(ofd->data);
	return 0;
}

void sim_pty_init(struct sim_pty *p, void *ctx, const char *name, const char *link_path,
		  void (*read_cb)(void *, const uint8_t *, size_t), void *cb_data)
{
	memset(p, 0, sizeof(*p));
	p->ofd.fd = -1;
	p->ino.fd = -1;
	p->slave_fd = -1;
	p->ctx = ctx;
	p->name = name;
	p->read_cb = read_cb;
	p->cb_data = cb_data;
	OSMO_STRLCPY_ARRAY(p->link_path, link_path);
	outbuf_init(&p->out, SIM_PTY_OUT_MAX);
}

/* Point link_path at target atomically, so a client never sees the link missing
 * while it is being replaced. */
static int replace_symlink(const char *target, const char *link_path)
{
	char tmp[PATH_MAX + 16];

	snprintf(tmp, sizeof(tmp), "%s.new", link_path);
	unlink(tmp);
	if (symlink(target, tmp) < 0)
		return -errno;
	if (rename(tmp, link_path) < 0) {
		int err = errno;

		unlink(tmp);
		return -err;
	}
	return 0;
}

int sim_pty_open(struct sim_pty *p)
{
	struct termios tio;
	int master, slave, ino = -1, rc;

	if (p->up)
		return 0;
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return -errno;
	if (grantpt(master) < 0 || unlockpt(master) < 0 ||
	    ptsname_r(master, p->pts_path, sizeof(p->pts_path)) != 0) {
		rc = -errno;
		close(master);
		return rc;
	}
	slave = open(p->pts_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0) {
		rc = -errno;
		close(master);
		return rc;
	}
	/* Raw like a serial port a modem driver would open: no echo, no CR/NL mangling. */
	if (tcgetattr(slave, &tio) == 0) {
		cfmakeraw(&tio);
		cfsetspeed(&tio, B115200);
		tio.c_cflag |= CLOCAL | CREAD;
		tcsetattr(slave, TCSANOW, &tio);
	}
	if (fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK) < 0) {
		rc = -errno;
		goto err;
	}
	/* Watch after our own open, so only clients are counted. */
	ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ino < 0 || inotify_add_watch(ino, p->pts_path, IN_OPEN | IN_CLOSE) < 0) {
		rc = -errno;
		goto err;
	}
	rc = replace_symlink(p->pts_path, p->link_path);
	if (rc < 0) {
		LOGP(DPTY, LOGL_ERROR, "%s: symlink %s -> %s: %s\n", p->name, p->link_path,
		     p->pts_path, strerror(-rc));
		goto err;
	}
	osmo_fd_setup(&p->ofd, master, OSMO_FD_READ, pty_fd_cb, p, 0);
	if (osmo_fd_register(&p->ofd) < 0) {
		unlink(p->link_path);
		rc = -EIO;
		goto err;
	}
	osmo_fd_setup(&p->ino, ino, OSMO_FD_READ, ino_fd_cb, p, 0);
	if (osmo_fd_register(&p->ino) < 0) {
		osmo_fd_unregister(&p->ofd);
		unlink(p->link_path);
		rc = -EIO;
		goto err;
	}
	p->clients = 0;
	p->slave_fd = slave;
	p->up = true;
	LOGP(DPTY, LOGL_INFO, "%s: %s -> %s\n", p->name, p->link_path, p->pts_path);
	return 0;
err:
	if (ino >= 0)
		close(ino);
	close(slave);
	close(master);
	return rc;
}

void sim_pty_close(struct sim_pty *p)
{
	if (!p->up)
		return;
	/* Link first: a client that reopens after the hangup must not find the old node. */
	unlink(p->link_path);
	osmo_fd_unregister(&p->ofd);
	close(p->ofd.fd);
	p->ofd.fd = -1;
	osmo_fd_unregister(&p->ino);
	close(p->ino.fd);
	p->ino.fd = -1;
	close(p->slave_fd);
	p->slave_fd = -1;
	p->clients = 0;
	outbuf_free(&p->out);
	p->up = false;
	LOGP(DPTY, LOGL_INFO, "%s: port gone (%s)\n", p->name, p->pts_path);
}

void sim_pty_write(struct sim_pty *p, const void *buf, size_t len)
{
	const uint8_t *b = buf;

	if (!p->up || len == 0)
		return;
	/* An open that raced with this output must count: read the events now rather
	 * than when the loop gets to them. */
	clients_update(p);
	if (p->clients == 0)
		return;
	if (outbuf_empty(&p->out)) {
		ssize_t rc = write(p->ofd.fd, b, len);

		if (rc > 0) {
			b += rc;
			len -= (size_t)rc;
		}
		if (len == 0)
			return;
	}
	if (outbuf_append(&p->out, p->ctx, b, len) < len)
		LOGP(DPTY, LOGL_NOTICE, "%s: client is not reading, output dropped\n", p->name);
	osmo_fd_write_enable(&p->ofd);
}
