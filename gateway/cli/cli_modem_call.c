/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* `chaperone modem call DEVICE NUMBER` and `chaperone modem answer DEVICE`: one call
 * through the real driver, for bringing up voice on a modem. The call's states are
 * printed as they come; while it is active, a WAV file (or a tone) is said and what the
 * far end says is recorded to a WAV file; at the end, the audio counters and the level
 * heard tell whether audio went both ways.
 *
 * The uplink is written one frame per frame heard, so the modem's clock paces it; WAV
 * files are 8 kHz mono (libsndfile reads and writes them). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sndfile.h>

#include <osmocom/core/timer.h>

#include "gateway/cli/cli.h"
#include "gateway/cli/cli_modem.h"
#include "modem/driver/modem.h"

struct caller {
	struct cli_loop loop;
	bool answer_mode, verbose;
	const char *number;
	unsigned seconds, wait_s;
	double tone_hz;
	SNDFILE *play, *record;
	uint64_t played, heard;
	double heard_sumsq;
	int16_t heard_peak;
	struct modem *m;
	uint32_t call_id;
	bool have_call, was_active, over;
	enum modem_call_end end;
	struct osmo_timer_list timer;
};

/* The frame to say: the file's next, the tone's, or nothing. */
static bool next_frame(struct caller *c, int16_t *f)
{
	if (c->play) {
		sf_count_t n = sf_readf_short(c->play, f, MODEM_AUDIO_FRAME);

		if (n <= 0)
			return false;
		memset(f + n, 0, (MODEM_AUDIO_FRAME - (size_t)n) * sizeof(*f));
		return true;
	}
	if (c->tone_hz > 0) {
		for (unsigned i = 0; i < MODEM_AUDIO_FRAME; i++)
			f[i] = (int16_t)lrint(10362.0 *
					      sin(2 * M_PI * c->tone_hz *
						  (double)(c->played * MODEM_AUDIO_FRAME + i) /
						  MODEM_AUDIO_RATE));
		return true;
	}
	return false;
}

static void on_audio(struct modem *m, const int16_t *s, unsigned n, void *data)
{
	struct caller *c = data;
	int16_t f[MODEM_AUDIO_FRAME];

	for (unsigned i = 0; i < n; i++) {
		c->heard_sumsq += (double)s[i] * s[i];
		if (abs(s[i]) > c->heard_peak)
			c->heard_peak = (int16_t)(abs(s[i]) > 32767 ? 32767 : abs(s[i]));
	}
	c->heard += n;
	if (c->record)
		sf_writef_short(c->record, s, n);
	if (next_frame(c, f) && modem_audio_write(m, f, MODEM_AUDIO_FRAME) == 0)
		c->played++;
}

static void hang_up(void *data)
{
	struct caller *c = data;

	if (c->have_call && !c->over) {
		fprintf(stderr, "hanging up\n");
		modem_hangup(c->m, c->call_id);
	} else {
		c->loop.done = true;
	}
}

static void on_call(struct modem *m, const struct modem_call_info *ci, void *data)
{
	struct caller *c = data;

	if (c->have_call && ci->id != c->call_id)
		return;
	printf("call %u %s %s%s%s\n", ci->id, ci->incoming ? "from" : "to",
	       ci->number[0] ? ci->number : "(withheld)",
	       ci->state == MODEM_CALL_RELEASED ? ": " : ": ", modem_call_state_name(ci->state));
	fflush(stdout);
	if (!c->have_call && ci->incoming && ci->state == MODEM_CALL_RINGING && c->answer_mode) {
		c->have_call = true;
		c->call_id = ci->id;
		if (modem_answer(m, ci->id) < 0)
			fprintf(stderr, "cannot answer\n");
	}
	if (ci->state == MODEM_CALL_ACTIVE && !c->was_active) {
		c->was_active = true;
		osmo_timer_schedule(&c->timer, c->seconds, 0);
	}
	if (ci->state == MODEM_CALL_RELEASED) {
		c->over = true;
		c->end = ci->end;
		printf("ended: %s after %u ms active\n", modem_call_end_name(ci->end),
		       ci->duration_ms);
		c->loop.done = true;
	}
}

static void on_dtmf(struct modem *m, uint32_t id, char digit, void *data)
{
	(void)m;
	(void)id;
	(void)data;
	printf("DTMF %c\n", digit);
	fflush(stdout);
}

static void on_state(struct modem *m, enum modem_state st, void *data)
{
	struct caller *c = data;
	int rc;

	if (st == MODEM_ST_RECOVERING &&
	    cli_modem_port_busy(c->answer_mode ? "answer" : "call", m, &c->loop))
		return;
	if (c->verbose || st == MODEM_ST_RECOVERING)
		fprintf(stderr, "modem: %s\n", modem_state_name(st));
	if (st != MODEM_ST_READY || c->have_call || c->over)
		return;
	if (c->answer_mode) {
		fprintf(stderr, "ready: waiting %u s for a call\n", c->wait_s);
		osmo_timer_schedule(&c->timer, c->wait_s, 0);
		return;
	}
	rc = modem_dial(m, c->number, &c->call_id);
	if (rc < 0) {
		fprintf(stderr, "cannot dial %s: %s\n", c->number,
			rc == -ENOTSUP ? "this modem's profile carries no calls" : strerror(-rc));
		c->loop.done = true;
		return;
	}
	c->have_call = true;
}

static void report(const struct caller *c)
{
	struct modem_info info;
	double rms = c->heard ? sqrt(c->heard_sumsq / (double)c->heard) : 0;

	modem_info(c->m, &info);
	printf("audio: heard %llu frames (%.1f s), level %.1f dBFS rms, peak %d; said %llu "
	       "frames\n",
	       (unsigned long long)info.audio.frames_in, (double)c->heard / MODEM_AUDIO_RATE,
	       rms > 0 ? 20 * log10(rms / 32768.0) : -99.0, c->heard_peak,
	       (unsigned long long)c->played);
	printf("audio: %llu written, %llu short reads, %llu re-alignments, %llu underruns, "
	       "%llu dropped, %llu while stalled, queue at most %u\n",
	       (unsigned long long)info.audio.frames_out,
	       (unsigned long long)info.audio.short_reads, (unsigned long long)info.audio.realigns,
	       (unsigned long long)info.audio.underruns, (unsigned long long)info.audio.drops,
	       (unsigned long long)info.audio.stall_frames, info.audio.max_queue);
	if (info.audio_strikes)
		printf("audio: switching on failed %llu times: the modem will be reset\n",
		       (unsigned long long)info.audio_strikes);
}

static SNDFILE *open_wav(const char *path, int mode)
{
	SF_INFO in = {.samplerate = MODEM_AUDIO_RATE,
		      .channels = 1,
		      .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
	SNDFILE *f = sf_open(path, mode, &in);

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, sf_strerror(NULL));
		return NULL;
	}
	if (mode == SFM_READ && (in.samplerate != MODEM_AUDIO_RATE || in.channels != 1)) {
		fprintf(stderr,
			"%s: %d Hz, %d channels; calls carry 8000 Hz mono (sox -r 8000 -c 1)\n",
			path, in.samplerate, in.channels);
		sf_close(f);
		return NULL;
	}
	return f;
}

static void help(FILE *f, bool answer)
{
	if (answer)
		fprintf(f,
			"Usage: chaperone modem answer DEVICE [--wait S] [options]\n\n"
			"Waits for a call on DEVICE, answers it, and ends it after --seconds.\n\n");
	else
		fprintf(f, "Usage: chaperone modem call DEVICE NUMBER [options]\n\n"
			   "Dials NUMBER from DEVICE and ends the call --seconds after it is "
			   "answered.\n\n");
	fprintf(f,
		"While the call is active, FILE.wav (8 kHz mono) or a tone is said, and what the\n"
		"far end says is recorded; the audio counters at the end show whether audio went\n"
		"both ways (see docs/hardware.md).\n\n"
		"  --audio PATH       the modem's audio port (default: DEVICE.audio)\n"
		"  --play FILE.wav    say this file\n"
		"  --tone HZ          say a tone (default when no file: none)\n"
		"  --record FILE.wav  record what is heard\n"
		"  --seconds N        length of the call once active (default 10)\n"
		"  --wait S           answer: how long to wait for a call (default 60)\n"
		"  --profile NAME     modem profile (default: chosen from +CGMM)\n"
		"  --pin PIN          the SIM's PIN, if it asks for one\n"
		"  -v                 driver state changes and log on stderr\n");
}

static int parse_opts(int argc, char **argv, struct caller *c, const char **audio,
		      const char **play, const char **record, const char **profile,
		      const char **pin)
{
	static const struct option opts[] = {
	    {"audio", required_argument, NULL, 'a'},
	    {"play", required_argument, NULL, 'P'},
	    {"tone", required_argument, NULL, 't'},
	    {"record", required_argument, NULL, 'r'},
	    {"seconds", required_argument, NULL, 's'},
	    {"wait", required_argument, NULL, 'w'},
	    {"profile", required_argument, NULL, 'p'},
	    {"pin", required_argument, NULL, 'n'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	char *end;
	int o;

	optind = 0;
	while ((o = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
		switch (o) {
		case 'a':
			*audio = optarg;
			break;
		case 'P':
			*play = optarg;
			break;
		case 'r':
			*record = optarg;
			break;
		case 'p':
			*profile = optarg;
			break;
		case 'n':
			*pin = optarg;
			break;
		case 'v':
			c->verbose = true;
			break;
		case 't':
			c->tone_hz = strtod(optarg, &end);
			if (*end || c->tone_hz < 50 || c->tone_hz > 3900)
				return CLI_EXIT_USAGE;
			break;
		case 's':
		case 'w': {
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end || !*optarg || v < 1 || v > 3600)
				return CLI_EXIT_USAGE;
			*(o == 's' ? &c->seconds : &c->wait_s) = (unsigned)v;
			break;
		}
		case 'h':
			help(stdout, c->answer_mode);
			return -1;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	return argc - optind == (c->answer_mode ? 1 : 2) ? 0 : CLI_EXIT_USAGE;
}

static int run(int argc, char **argv, bool answer_mode)
{
	static const struct modem_events ev = {
	    .on_call = on_call, .on_audio = on_audio, .on_dtmf = on_dtmf, .on_state = on_state};
	const char *audio = NULL, *play = NULL, *record = NULL, *profile_name = NULL, *pin = NULL;
	const char *cmd = answer_mode ? "answer" : "call";
	const struct modem_profile *prof = NULL;
	struct caller c = {.answer_mode = answer_mode, .seconds = 10, .wait_s = 60};
	struct modem_pool *pool = NULL;
	void *ctx;
	int rc = parse_opts(argc, argv, &c, &audio, &play, &record, &profile_name, &pin);

	if (rc)
		return rc < 0 ? CLI_EXIT_OK : (help(stderr, answer_mode), CLI_EXIT_USAGE);
	if (!answer_mode)
		c.number = argv[optind + 1];
	if (cli_modem_profile_arg(cmd, profile_name, &prof) < 0)
		return CLI_EXIT_USAGE;
	if ((play && !(c.play = open_wav(play, SFM_READ))) ||
	    (record && !(c.record = open_wav(record, SFM_WRITE)))) {
		rc = CLI_EXIT_INPUT;
		goto out;
	}
	ctx = cli_modem_setup(answer_mode ? "chaperone modem answer" : "chaperone modem call",
			      c.verbose, &c.loop);
	if (!ctx) {
		rc = CLI_EXIT_INPUT;
		goto out;
	}
	osmo_timer_setup(&c.timer, hang_up, &c);
	pool = modem_pool_alloc(ctx, &ev, &c);
	c.m = pool
		  ? modem_pool_add(pool, &(struct modem_config){.name = "modem",
								.device = argv[optind],
								.profile = prof ? prof->name : NULL,
								.sim_pin = pin,
								.audio_device = audio})
		  : NULL;
	if (!c.m) {
		fprintf(stderr, "chaperone modem %s: cannot start the driver on %s\n", cmd,
			argv[optind]);
		rc = CLI_EXIT_INPUT;
	} else {
		cli_modem_run(&c.loop);
		if (c.loop.port_busy) {
			rc = CLI_EXIT_INPUT;
			goto done;
		}
		if (c.have_call && !c.over && c.loop.interrupted)
			modem_hangup(c.m, c.call_id);
		report(&c);
		/* Success: the call was up, its audio came, and it ended as it should. */
		rc = c.was_active && c.heard && c.over ? CLI_EXIT_OK : CLI_EXIT_INPUT;
		if (!c.was_active)
			fprintf(stderr, "chaperone modem %s: no call %s\n", cmd,
				c.over ? modem_call_end_name(c.end) : "came");
		else if (!c.heard)
			fprintf(stderr,
				"chaperone modem %s: the call was up but no audio came on %s\n",
				cmd, audio ? audio : "DEVICE.audio");
	}
done:
	osmo_timer_del(&c.timer);
	if (pool)
		modem_pool_free(pool);
	cli_modem_teardown(ctx);
out:
	if (c.play)
		sf_close(c.play);
	if (c.record)
		sf_close(c.record);
	return rc;
}

int cli_modem_call(int argc, char **argv)
{
	return run(argc, argv, false);
}

int cli_modem_answer(int argc, char **argv)
{
	return run(argc, argv, true);
}
