/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* modemsim: options, start-up, main loop, shutdown. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "hw/modemsim/ctl_client.h"
#include "hw/modemsim/ctl_server.h"
#include "hw/modemsim/sim_modem.h"
#include "hw/modemsim/modemsim.h"
#include "hw/modemsim/network.h"
#include "hw/modemsim/phone.h"
#include "hw/modemsim/profile.h"

#define MAX_MODEMS 64
#define MAX_PHONES 64

static const struct log_info_cat log_cats[] = {
    [DMAIN] = {.name = "DMAIN",
	       .description = "start-up and shutdown",
	       .enabled = 1,
	       .loglevel = LOGL_NOTICE},
    [DPTY] = {.name = "DPTY",
	      .description = "PTYs and their symlinks",
	      .enabled = 1,
	      .loglevel = LOGL_NOTICE},
    [DAT] = {.name = "DAT",
	     .description = "AT commands in and out",
	     .enabled = 1,
	     .loglevel = LOGL_NOTICE},
    [DNET] = {.name = "DNET",
	      .description = "network: routing, delivery, reports",
	      .enabled = 1,
	      .loglevel = LOGL_NOTICE},
    [DCTL] = {.name = "DCTL",
	      .description = "control socket",
	      .enabled = 1,
	      .loglevel = LOGL_NOTICE},
    [DFAULT] = {.name = "DFAULT",
		.description = "injected faults",
		.enabled = 1,
		.loglevel = LOGL_NOTICE},
};

static const struct log_info modemsim_log_info = {
    .cat = log_cats,
    .num_cat = ARRAY_SIZE(log_cats),
};

static bool quit;

uint64_t now_ms(void)
{
	struct timespec ts;

	osmo_clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *skip_plus(const char *s)
{
	return *s == '+' ? s + 1 : s;
}

bool number_equal(const char *a, const char *b)
{
	return strcmp(skip_plus(a), skip_plus(b)) == 0;
}

struct sim_modem *sim_find_modem(struct simulator *sim, const char *name_or_msisdn)
{
	for (unsigned i = 0; i < sim->n_modems; i++) {
		struct sim_modem *m = sim->modems[i];

		if (strcmp(m->name, name_or_msisdn) == 0 || number_equal(m->msisdn, name_or_msisdn))
			return m;
	}
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: modemsim [options] DIR\n"
	    "       modemsim ctl DIR <command> [args]   (see modemsim ctl --help)\n"
	    "\n"
	    "Simulated GSM/LTE modems on PTYs (DIR/modem0, ...) and the network behind them,\n"
	    "driven through the control socket DIR/ctl. Prints \"modemsim ready DIR\" when up.\n"
	    "\n"
	    "  -n N                 number of modems (default 1)\n"
	    "  --msisdn-base NUM    MSISDN of modem0; modem i gets NUM+i (default +15550100)\n"
	    "  --model NAME         identity profile: %s (default generic)\n"
	    "  --submit-ms N        time an AT+CMGS takes (default 3000)\n"
	    "  --deliver-ms N       network delivery and status-report delay (default 1000)\n"
	    "  --sim-slots N        SMS slots on each SIM (default 30)\n"
	    "  --ack-timeout-ms N   how long a +CMT waits for AT+CNMA (default 12000)\n"
	    "  --smsc NUM           SMSC address (default +15550199000)\n"
	    "  --phone NUM          create a simulated phone (repeatable)\n"
	    "  --alert-ms N         outgoing call: dialing until alerting (default 300)\n"
	    "  --ring-ms N          RING interval, auto-answer unit (default 3000)\n"
	    "  --ring-timeout-ms N  an unanswered incoming call is missed after (default 30000)\n"
	    "  --no-answer-ms N     outgoing call: NO ANSWER after alerting this long (45000)\n"
	    "  --audio-drift-ppm N  audio clock error, signed (default 0)\n"
	    "  --codec none|gsm     audio through GSM 06.10 full rate (default none)\n"
	    "  -v                   log every AT line in and out, and more\n"
	    "  -h, --help           this text\n",
	    profile_names());
}

static bool parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max || s[0] == '-')
		return false;
	*out = (unsigned)v;
	return true;
}

/* "+15550100" + i, keeping the '+' and the width. */
static bool msisdn_add(char *out, size_t cap, const char *base, unsigned i)
{
	const char *digits = skip_plus(base);
	size_t n = strlen(digits);
	unsigned long long v;
	char *end;

	if (n == 0 || n > 15 || strspn(digits, "0123456789") != n)
		return false;
	v = strtoull(digits, &end, 10) + i;
	return (size_t)snprintf(out, cap, "%s%0*llu", base[0] == '+' ? "+" : "", (int)n, v) < cap;
}

static void signal_cb(struct osmo_signalfd *osfd, const struct signalfd_siginfo *fdsi)
{
	(void)osfd;
	LOGP(DMAIN, LOGL_INFO, "signal %u, shutting down\n", fdsi->ssi_signo);
	quit = true;
}

static void config_defaults(struct sim_config *cfg)
{
	cfg->n_modems = 1;
	OSMO_STRLCPY_ARRAY(cfg->msisdn_base, "+15550100");
	cfg->profile = profile_find("generic");
	cfg->submit_ms = 3000;
	cfg->deliver_ms = 1000;
	cfg->sim_slots = 30;
	cfg->ack_timeout_ms = 12000;
	OSMO_STRLCPY_ARRAY(cfg->smsc, "+15550199000");
	cfg->alert_ms = 300;
	cfg->ring_ms = 3000;
	cfg->ring_timeout_ms = 30000;
	cfg->no_answer_ms = 45000;
}

/* Signed parts per million, within ±100000 (10 %). */
static bool parse_ppm(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < -100000 || v > 100000)
		return false;
	*out = (int)v;
	return true;
}

/* The call and audio options. */
static bool take_voice_option(int c, struct sim_config *cfg)
{
	switch (c) {
	case 'A':
		return parse_uint(optarg, 3600000, &cfg->alert_ms);
	case 'R':
		return parse_uint(optarg, 3600000, &cfg->ring_ms) && cfg->ring_ms > 0;
	case 'T':
		return parse_uint(optarg, 3600000, &cfg->ring_timeout_ms);
	case 'N':
		return parse_uint(optarg, 3600000, &cfg->no_answer_ms);
	case 'D':
		return parse_ppm(optarg, &cfg->drift_ppm);
	case 'C':
		cfg->codec_gsm = strcmp(optarg, "gsm") == 0;
		return cfg->codec_gsm || strcmp(optarg, "none") == 0;
	default:
		return false;
	}
}

/* One option into cfg (or the phone list). False when its value is not usable. */
static bool take_option(int c, struct sim_config *cfg, const char **phones, unsigned *n_phones)
{
	switch (c) {
	case 'n':
		return parse_uint(optarg, MAX_MODEMS, &cfg->n_modems) && cfg->n_modems > 0;
	case 'b':
		if (strlen(optarg) >= sizeof(cfg->msisdn_base))
			return false;
		OSMO_STRLCPY_ARRAY(cfg->msisdn_base, optarg);
		return true;
	case 'm':
		cfg->profile = profile_find(optarg);
		return cfg->profile != NULL;
	case 's':
		return parse_uint(optarg, 3600000, &cfg->submit_ms);
	case 'd':
		return parse_uint(optarg, 3600000, &cfg->deliver_ms);
	case 'S':
		return parse_uint(optarg, 1000, &cfg->sim_slots) && cfg->sim_slots > 0;
	case 'a':
		return parse_uint(optarg, 3600000, &cfg->ack_timeout_ms);
	case 'c':
		if (strlen(optarg) >= sizeof(cfg->smsc))
			return false;
		OSMO_STRLCPY_ARRAY(cfg->smsc, optarg);
		return true;
	case 'p':
		if (*n_phones >= MAX_PHONES)
			return false;
		phones[(*n_phones)++] = optarg;
		return true;
	case 'v':
		cfg->verbose = true;
		return true;
	default:
		return take_voice_option(c, cfg);
	}
}

/* Options and the directory into cfg. Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct sim_config *cfg, const char **phones,
		      unsigned *n_phones)
{
	static const struct option opts[] = {
	    {"msisdn-base", required_argument, NULL, 'b'},
	    {"model", required_argument, NULL, 'm'},
	    {"submit-ms", required_argument, NULL, 's'},
	    {"deliver-ms", required_argument, NULL, 'd'},
	    {"sim-slots", required_argument, NULL, 'S'},
	    {"ack-timeout-ms", required_argument, NULL, 'a'},
	    {"smsc", required_argument, NULL, 'c'},
	    {"phone", required_argument, NULL, 'p'},
	    {"alert-ms", required_argument, NULL, 'A'},
	    {"ring-ms", required_argument, NULL, 'R'},
	    {"ring-timeout-ms", required_argument, NULL, 'T'},
	    {"no-answer-ms", required_argument, NULL, 'N'},
	    {"audio-drift-ppm", required_argument, NULL, 'D'},
	    {"codec", required_argument, NULL, 'C'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "n:vh", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (!take_option(c, cfg, phones, n_phones)) {
			if (c != '?')
				fprintf(stderr, "modemsim: bad value for option: %s\n",
					optarg ? optarg : "");
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	if (strlen(argv[optind]) >= sizeof(cfg->dir) - 32) {
		fprintf(stderr, "modemsim: directory path too long\n");
		return 2;
	}
	OSMO_STRLCPY_ARRAY(cfg->dir, argv[optind]);
	return -1;
}

static void logging_setup(void *root, bool verbose)
{
	osmo_init_logging2(root, &modemsim_log_info);
	log_set_print_category(osmo_stderr_target, 1);
	log_set_print_filename2(osmo_stderr_target, LOG_FILENAME_NONE);
	log_set_print_category_hex(osmo_stderr_target, 0);
	log_set_print_level(osmo_stderr_target, 1);
	log_set_print_extended_timestamp(osmo_stderr_target, 1);
	log_set_use_color(osmo_stderr_target, 0);
	if (verbose) {
		for (unsigned i = 0; i < ARRAY_SIZE(log_cats); i++)
			log_set_category_filter(osmo_stderr_target, (int)i, 1, LOGL_DEBUG);
	}
}

/* The network with its phones, the modems on their PTYs, the control socket. */
static int start_simulator(struct simulator *sim, void *root, const char **phones,
			   unsigned n_phones)
{
	struct sim_config *cfg = &sim->cfg;
	char path[PATH_MAX + 16];
	sigset_t sigs;
	int rc;

	if (mkdir(cfg->dir, 0755) < 0 && errno != EEXIST) {
		LOGP(DMAIN, LOGL_ERROR, "cannot create %s: %s\n", cfg->dir, strerror(errno));
		return -1;
	}
	/* A client that goes away mid-write must not kill the simulator. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	if (!osmo_signalfd_setup(root, sigs, signal_cb, NULL)) {
		LOGP(DMAIN, LOGL_ERROR, "cannot set up signal handling\n");
		return -1;
	}
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());

	sim->net = net_alloc(sim, sim, cfg->smsc);
	if (!sim->net) {
		LOGP(DMAIN, LOGL_ERROR, "bad SMSC address: %s\n", cfg->smsc);
		return -1;
	}
	for (unsigned i = 0; i < n_phones; i++)
		phone_get(sim->net, phones[i]);
	sim->modems = talloc_zero_array(sim, struct sim_modem *, cfg->n_modems);
	for (unsigned i = 0; i < cfg->n_modems; i++) {
		char msisdn[24];

		if (!msisdn_add(msisdn, sizeof(msisdn), cfg->msisdn_base, i)) {
			LOGP(DMAIN, LOGL_ERROR, "bad --msisdn-base: %s\n", cfg->msisdn_base);
			return -1;
		}
		sim->modems[i] = sim_modem_alloc(sim, i, msisdn);
		if (!sim->modems[i])
			return -1;
		sim->n_modems++;
		rc = sim_modem_start(sim->modems[i]);
		if (rc < 0) {
			LOGP(DMAIN, LOGL_ERROR, "%s: cannot create PTY: %s\n", sim->modems[i]->name,
			     strerror(-rc));
			return -1;
		}
	}
	snprintf(path, sizeof(path), "%s/ctl", cfg->dir);
	sim->ctl = ctl_server_start(sim, path);
	return sim->ctl ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *phones[MAX_PHONES];
	unsigned n_phones = 0;
	struct simulator *sim;
	void *root;
	int rc;

	if (argc >= 2 && strcmp(argv[1], "ctl") == 0)
		return ctl_client_main(argc - 1, argv + 1);

	root = talloc_named_const(NULL, 0, "modemsim");
	sim = talloc_zero(root, struct simulator);
	config_defaults(&sim->cfg);
	rc = parse_args(argc, argv, &sim->cfg, phones, &n_phones);
	if (rc >= 0) {
		talloc_free(root);
		return rc;
	}
	logging_setup(root, sim->cfg.verbose);

	rc = 1;
	if (start_simulator(sim, root, phones, n_phones) == 0) {
		printf("modemsim ready %s\n", sim->cfg.dir);
		fflush(stdout);
		LOGP(DMAIN, LOGL_INFO, "%u modem(s) (%s) in %s\n", sim->n_modems,
		     sim->cfg.profile->name, sim->cfg.dir);
		while (!quit)
			osmo_select_main_ctx(0);
		rc = 0;
	}
	if (sim->ctl)
		ctl_server_stop(sim->ctl);
	for (unsigned i = 0; i < sim->n_modems; i++)
		sim_modem_free(sim->modems[i]);
	if (sim->net)
		net_free(sim->net);
	log_fini();
	talloc_free(root);
	return rc;
}
