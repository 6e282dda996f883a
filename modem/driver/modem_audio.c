/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* A modem's audio port on the event loop: opened raw and non-blocking when a call's audio
 * starts, flushed so that nothing of an earlier call is heard, read into frames
 * (audio_frames.c), and written one uplink frame per downlink frame, or per 20 ms tick
 * while the downlink stalls. */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/select.h>
#include <osmocom/core/serial.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include "modem/driver/audio_frames.h"
#include "modem/driver/modem_internal.h"
#include "modem/driver/modem_log.h"
#include "modem/driver/serial_lock.h"

/* Bytes waiting for the port at most: beyond, the port is not taking the uplink. */
#define OUT_MAX (3 * AUDIO_FRAME_BYTES)
#define TICK_MS 20

struct modem_audio {
	struct modem *m;
	struct osmo_fd ofd;
	struct serial_lock lock; /* the audio port's, like the AT port's */
	struct audio_rx rx;
	struct audio_tx tx;
	struct audio_clock clk;
	struct osmo_timer_list tick;
	uint8_t out[OUT_MAX];
	size_t out_len;
	struct modem_audio_stats st;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned long tdef(int T)
{
	return osmo_tdef_get(modem_tdefs, T, OSMO_TDEF_CUSTOM, -1);
}

static void flush_out(struct modem_audio *a)
{
	ssize_t n;

	if (!a->out_len)
		return;
	n = write(a->ofd.fd, a->out, a->out_len);
	if (n > 0) {
		a->out_len -= (size_t)n;
		memmove(a->out, a->out + n, a->out_len);
	}
	if (a->out_len)
		osmo_fd_write_enable(&a->ofd);
	else
		osmo_fd_write_disable(&a->ofd);
}

/* One uplink frame to the port: the oldest queued, or silence. */
static void send_frame(struct modem_audio *a)
{
	int16_t s[AUDIO_FRAME_SAMPLES];

	audio_tx_pop(&a->tx, s);
	if (a->out_len + AUDIO_FRAME_BYTES > OUT_MAX) {
		a->st.write_errors++;
		return;
	}
	audio_frame_to_le(s, a->out + a->out_len);
	a->out_len += AUDIO_FRAME_BYTES;
	a->st.frames_out++;
	flush_out(a);
}

static void heard(const int16_t *samples, void *data)
{
	struct modem_audio *a = data;
	struct modem *m = a->m;

	bool send = audio_clock_rx(&a->clk, mono_ms());

	if (m->pool->ev.on_audio)
		m->pool->ev.on_audio(m, samples, AUDIO_FRAME_SAMPLES, m->pool->ev_data);
	/* The callback may have closed the audio (a hang-up): then a is gone. */
	if (m->audio != a)
		return;
	if (send) {
		send_frame(a);
	} else {
		/* A slot the modem played as silence is made up: the oldest frame goes. */
		int16_t drop[AUDIO_FRAME_SAMPLES];

		if (a->tx.len)
			audio_tx_pop(&a->tx, drop);
	}
}

static void read_port(struct modem_audio *a)
{
	uint8_t buf[4 * AUDIO_FRAME_BYTES];
	ssize_t n = read(a->ofd.fd, buf, sizeof(buf));

	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		LOGPFSML(a->m->fi, LOGL_ERROR, "audio port %s: %s\n", a->m->cfg.audio_device,
			 n ? strerror(errno) : "end of file");
		osmo_fd_read_disable(&a->ofd);
		return;
	}
	audio_rx_feed(&a->rx, buf, (size_t)n, heard, a);
}

static int fd_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct modem_audio *a = ofd->data;
	struct modem *m = a->m;

	if (what & OSMO_FD_READ)
		read_port(a);
	if (m->audio == a && (what & OSMO_FD_WRITE))
		flush_out(a);
	return 0;
}

static void tick_cb(void *data)
{
	struct modem_audio *a = data;

	osmo_timer_schedule(&a->tick, 0, TICK_MS * 1000);
	if (audio_clock_due(&a->clk, mono_ms())) {
		a->st.stall_frames++;
		send_frame(a);
	}
}

static int audio_destructor(struct modem_audio *a)
{
	osmo_timer_del(&a->tick);
	if (a->ofd.fd >= 0)
		osmo_fd_unregister(&a->ofd);
	serial_port_close(&a->lock, a->ofd.fd);
	return 0;
}

/* Open the audio port and drop what it holds. Returns 0 or -errno. */
int modem_audio_open(struct modem *m)
{
	char label[96], why[320];
	struct modem_audio *a;
	int fd;

	if (m->audio)
		return 0;
	a = talloc_zero(m, struct modem_audio);
	a->m = m;
	a->ofd.fd = -1;
	snprintf(label, sizeof(label), "%s audio", m->cfg.name ? m->cfg.name : "modem");
	fd =
	    serial_port_open(&a->lock, m->cfg.audio_device, label, B115200, NULL, why, sizeof(why));
	if (fd < 0) {
		LOGPFSML(m->fi, LOGL_ERROR, "audio port: %s\n", why);
		talloc_free(a);
		return fd == -EBUSY ? -EBUSY : -EIO;
	}
	if (a->lock.note[0])
		LOGPFSML(m->fi, LOGL_NOTICE, "audio port: %s\n", a->lock.note);
	talloc_set_destructor(a, audio_destructor);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	tcflush(fd, TCIOFLUSH);
	audio_rx_reset(&a->rx);
	audio_tx_init(&a->tx, (unsigned)tdef(MODEM_T_AUDIO_QUEUE));
	audio_clock_init(
	    &a->clk, mono_ms(),
	    (unsigned)osmo_tdef_get(modem_tdefs, MODEM_T_AUDIO_STALL, OSMO_TDEF_MS, -1));
	osmo_fd_setup(&a->ofd, fd, OSMO_FD_READ, fd_cb, a, 0);
	if (osmo_fd_register(&a->ofd) < 0) {
		a->ofd.fd = -1;
		serial_port_close(&a->lock, fd);
		talloc_free(a);
		return -EIO;
	}
	/* Whatever the port held from before is not this call's. */
	{
		uint8_t junk[1024];

		while (read(fd, junk, sizeof(junk)) > 0)
			;
	}
	osmo_timer_setup(&a->tick, tick_cb, a);
	osmo_timer_schedule(&a->tick, 0, TICK_MS * 1000);
	a->st = m->audio_total;
	a->st.open = true;
	m->audio = a;
	LOGPFSML(m->fi, LOGL_INFO, "audio on %s\n", m->cfg.audio_device);
	return 0;
}

static void collect(struct modem_audio *a, struct modem_audio_stats *st)
{
	*st = a->st;
	st->frames_in += a->rx.frames;
	st->short_reads += a->rx.short_reads;
	st->realigns += a->rx.realigns;
	st->underruns += a->tx.underruns;
	st->drops += a->tx.drops;
	st->catch_ups += a->clk.skipped;
	if (a->tx.max_depth > st->max_queue)
		st->max_queue = a->tx.max_depth;
}

void modem_audio_close(struct modem *m)
{
	struct modem_audio *a = m->audio;

	if (!a)
		return;
	collect(a, &m->audio_total);
	m->audio_total.open = false;
	m->audio = NULL;
	talloc_free(a);
}

void modem_audio_stats(const struct modem *m, struct modem_audio_stats *st)
{
	if (m->audio)
		collect(m->audio, st);
	else
		*st = m->audio_total;
}

int modem_audio_write(struct modem *m, const int16_t *samples, unsigned n)
{
	if (!m || !samples || n != AUDIO_FRAME_SAMPLES)
		return -EINVAL;
	if (!m->audio)
		return -ENOTCONN;
	audio_tx_push(&m->audio->tx, samples);
	return 0;
}
