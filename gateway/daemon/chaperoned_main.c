/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* chaperoned: the relay daemon. One osmo_select_main loop, no threads.
 *
 *   chaperoned -c /etc/chaperone/chaperoned.cfg
 *
 * Start-up: config → archive (migrations) → directory → recovery of what a previous run
 * left (unassembled PDUs, queued deliveries) → modems → telnet VTY on localhost.
 * SIGTERM/SIGINT: stop taking work, let the modems finish the part they are submitting (at
 * most `timer relay X2`), exit. Everything received is already in the archive; anything
 * still queued is sent by the next run. SIGHUP reopens the log files (logrotate);
 * SIGUSR1 logs a summary of the daemon's memory, SIGUSR2 all of it (talloc reports), as
 * Osmocom daemons do; none of the three stops the relay. */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/stats.h>
#include <osmocom/core/talloc.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/logging.h>
#include <osmocom/vty/misc.h>
#include <osmocom/vty/ports.h>
#include <osmocom/vty/telnet_interface.h>
#include <osmocom/vty/vty.h>

#include <talloc.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "gateway/daemon/chaperoned.h"
#include "storage/directory/directory_store.h"
#include "storage/archive/district_zone.h"
#include "storage/archive/file_access.h"
#include "storage/records/records.h"
#include "storage/keeping/retention.h"

#ifndef CHAPERONE_VERSION
#define CHAPERONE_VERSION "unknown"
#endif

/* The VTY's default TCP port (localhost); `line vty` / `bind ADDR PORT` changes it. */
/* The console's default port. Osmocom daemons number theirs from a registry
 * (osmocom/vty/ports.h, osmocom/ctrl/ports.h: 4227-4278 in libosmocore 1.7, 4275 being
 * osmo-upf's); 4290 is past every port it assigns, with room for the ones added since,
 * so a box or a lab that runs Osmocom tools beside the relay does not collide. */
#define CHAPERONED_VTY_PORT 4290
/* While stopping: how often the modems' queues are checked. */
#define STOP_CHECK_MS 100

struct chaperoned *g_daemon;

static const struct log_info_cat log_cats[CHAPERONED_LOG_NCAT] = {
    [DAT] = {.name = "DAT", .description = "AT channel", .enabled = 1, .loglevel = LOGL_NOTICE},
    [DMODEM] = {.name = "DMODEM",
		.description = "Modem lifecycle",
		.enabled = 1,
		.loglevel = LOGL_NOTICE},
    [DSMS] = {.name = "DSMS",
	      .description = "SMS receive and send",
	      .enabled = 1,
	      .loglevel = LOGL_NOTICE},
    [DRELAY] = {.name = "DRELAY",
		.description = "Routing, verdicts, deliveries",
		.enabled = 1,
		.loglevel = LOGL_NOTICE},
    [DSTORE] = {.name = "DSTORE",
		.description = "The archive",
		.enabled = 1,
		.loglevel = LOGL_NOTICE},
};

static const struct log_info log_info = {.cat = log_cats, .num_cat = CHAPERONED_LOG_NCAT};

static const struct rate_ctr_desc ctr_desc[] = {
    [CTR_PDU_IN] = {"pdu:in", "PDUs received from modems (recorded)"},
    [CTR_PDU_DUP] = {"pdu:duplicate", "PDUs the network delivered again"},
    [CTR_MSG_IN] = {"msg:in", "Messages received and routed"},
    [CTR_MSG_OUT] = {"msg:out", "Deliveries handed to modems"},
    [CTR_MSG_BLOCKED] = {"msg:blocked", "Messages blocked by policy"},
    [CTR_MSG_HELD] = {"msg:held", "Messages held for release"},
    [CTR_MSG_UNKNOWN] = {"msg:unknown", "Messages from numbers not in the directory"},
    [CTR_PART_SENT] = {"part:sent", "SMS parts accepted by the network"},
    [CTR_PART_FAILED] = {"part:failed", "SMS parts that failed for good"},
    [CTR_PART_DELIVERED] = {"part:delivered", "SMS parts confirmed delivered"},
    [CTR_STORE_ERROR] = {"store:error", "Archive writes that failed"},
    /* Sent again after their first submit's fate was unknown. */
    [CTR_PART_RESENT] = {"part:resent", "SMS parts resent (possibly duplicated)"},
    [CTR_REPORT_UNMATCHED] = {"report:unmatched", "Status reports that matched no part"},
};

static const struct rate_ctr_group_desc ctrg_desc = {
    .group_name_prefix = "chaperoned",
    .group_description = "Chaperone relay",
    .class_id = OSMO_STATS_CLASS_GLOBAL,
    .num_ctr = ARRAY_SIZE(ctr_desc),
    .ctr_desc = ctr_desc,
};

static struct vty_app_info vty_info = {
    .name = "chaperoned",
    .version = CHAPERONE_VERSION,
    .copyright = "Chaperone: the district's SMS relay.\r\n",
};

/* Router verdict counts feed the rate counters on each poll. */
static struct router_stats last_stats;

static void sync_counters(struct chaperoned *d)
{
	struct router_stats st;

	router_stats(d->router, &st);
	rate_ctr_add(rate_ctr_group_get_ctr(d->ctrs, CTR_MSG_BLOCKED),
		     (int)(st.blocked - last_stats.blocked));
	rate_ctr_add(rate_ctr_group_get_ctr(d->ctrs, CTR_MSG_HELD),
		     (int)(st.held - last_stats.held));
	rate_ctr_add(rate_ctr_group_get_ctr(d->ctrs, CTR_MSG_UNKNOWN),
		     (int)(st.unknown - last_stats.unknown));
	rate_ctr_add(rate_ctr_group_get_ctr(d->ctrs, CTR_STORE_ERROR),
		     (int)(st.store_errors - last_stats.store_errors));
	last_stats = st;
}

static void poll_cb(void *data)
{
	struct chaperoned *d = data;

	daemon_modems_expire(d);
	if (!d->stopping)
		router_poll(d->router, store_now_ms());
	sync_counters(d);
	daemon_timer_schedule(&d->poll_timer, DAEMON_T_POLL);
}

static void digest_cb(void *data)
{
	struct chaperoned *d = data;
	time_t now = time(NULL);
	struct tm lt;

	localtime_r(&now, &lt);
	if (d->rcfg.policy.oversight == POLICY_OVERSIGHT_DIGEST &&
	    (unsigned)lt.tm_hour == d->rcfg.digest_hour)
		router_send_digests(d->router, store_now_ms());
	daemon_timer_schedule(&d->digest_timer, DAEMON_T_DIGEST_CHECK);
}

static int stop_deadline_ms;
static bool quit;

static bool modems_idle(struct chaperoned *d)
{
	struct daemon_modem *dm;

	llist_for_each_entry (dm, &d->modems, list) {
		struct modem_info mi;
		if (!dm->modem)
			continue;
		modem_info(dm->modem, &mi);
		if (mi.submitting && mi.state == MODEM_ST_READY)
			return false;
	}
	return true;
}

static void stop_cb(void *data)
{
	struct chaperoned *d = data;

	stop_deadline_ms -= STOP_CHECK_MS;
	if (modems_idle(d) || stop_deadline_ms <= 0) {
		quit = true;
		return;
	}
	osmo_timer_schedule(&d->reasm_timer, 0, STOP_CHECK_MS * 1000);
}

/* A talloc report line, to the log. */
static void report_line(const void *ptr, int depth, int max_depth, int is_ref, void *priv)
{
	unsigned *lines = priv;

	(void)max_depth;
	if (++*lines > 2000) /* a log is not the place for more */
		return;
	LOGP(DRELAY, LOGL_NOTICE, "talloc report: %*s%s%s: %zu bytes in %zu blocks\n", depth * 2,
	     "", is_ref ? "reference to " : "", talloc_get_name(ptr), talloc_total_size(ptr),
	     talloc_total_blocks(ptr));
}

/* The daemon's memory by context: the top level (SIGUSR1) or every context (SIGUSR2). */
static void memory_report(struct chaperoned *d, bool full)
{
	unsigned lines = 0;

	LOGP(DRELAY, LOGL_NOTICE, "%s: talloc report %s\n", full ? "SIGUSR2" : "SIGUSR1",
	     full ? "of every context" : "of the top-level contexts");
	talloc_report_depth_cb(d->ctx, 0, full ? -1 : 1, report_line, &lines);
	if (lines > 2000)
		LOGP(DRELAY, LOGL_NOTICE, "talloc report: %u lines more not logged\n",
		     lines - 2000);
}

/* Signals arrive as events of the loop (signalfd), never in the middle of a callback. */
static void on_signal(struct osmo_signalfd *osfd, const struct signalfd_siginfo *fdsi)
{
	struct chaperoned *d = osfd->data;
	int signum = (int)fdsi->ssi_signo;
	struct daemon_modem *dm;

	switch (signum) {
	case SIGHUP:
		/* logrotate has moved the files: write to new ones under the same names. */
		log_targets_reopen();
		LOGP(DRELAY, LOGL_NOTICE, "SIGHUP: log files reopened\n");
		return;
	case SIGUSR1:
	case SIGUSR2:
		memory_report(d, signum == SIGUSR2);
		return;
	}
	if (d->stopping) {
		quit = true; /* a second signal: leave now */
		return;
	}
	LOGP(DRELAY, LOGL_NOTICE, "signal %d: stopping once the modems are idle\n", signum);
	d->stopping = true;
	/* The parts being submitted finish; what is queued is in the archive and goes with
	 * the next start, not while systemd waits. */
	llist_for_each_entry (dm, &d->modems, list)
		if (dm->modem)
			modem_send_pause(dm->modem);
	stop_deadline_ms = (int)daemon_timer_ms(DAEMON_T_STOP_GRACE);
	osmo_timer_setup(&d->reasm_timer, stop_cb, d);
	osmo_timer_schedule(&d->reasm_timer, 0, 0);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: chaperoned [-c CONFIG] [-V] [-h]\n"
		   "  -c, --config FILE   configuration (default /etc/chaperone/chaperoned.cfg)\n"
		   "  -V, --version       print the version and exit\n"
		   "  -h, --help          this help\n");
}

/* Options: the config file's path in *config. Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, const char **config)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			*config = optarg;
			break;
		case 'V':
			printf("chaperoned %s\n", CHAPERONE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	return -1;
}

static void logging_setup(void *ctx)
{
	osmo_init_logging2(ctx, &log_info);
	log_set_print_category(osmo_stderr_target, 1);
	log_set_print_category_hex(osmo_stderr_target, 0);
	log_set_print_level(osmo_stderr_target, 1);
	log_set_use_color(osmo_stderr_target, 0);
	log_set_print_timestamp(osmo_stderr_target, 1);
}

/* Every config node and console command, then the config file, then the console's
 * checks of it. 0, or -1 with the reason on stderr. */
static int read_config(struct chaperoned *d, const char *config)
{
	char err[PATH_MAX + 128];

	vty_info.tall_ctx = d->ctx;
	vty_init(&vty_info);
	logging_vty_add_cmds();
	/* show fsm NAME, show fsm-instances: the modems', their calls' and relayed calls'. */
	osmo_fsm_vty_add_cmds();
	/* Not osmo_stats_vty_add_cmds(): besides `show rate-counters` (daemon_vty.c has its
	 * own, the same) it installs a `show stats [skip-zero]` that clashes with ours, which
	 * adds the totals in the archive; a second way to configure StatsD (`stats reporter`)
	 * beside the `statsd` setting, whose config writer would save our reporter into the
	 * operator's file; and `stats reset`, which would zero what `show stats` calls
	 * "since start". */
	daemon_config_init(d);
	daemon_timers_init();
	daemon_vty_init();
	if (daemon_console_init(config, err, sizeof(err)) < 0) {
		fprintf(stderr, "chaperoned: %s\n", err);
		return -1;
	}
	if (vty_read_config_file(config, NULL) < 0) {
		fprintf(stderr, "chaperoned: cannot read config %s\n", config);
		return -1;
	}
	if (daemon_console_check(err, sizeof(err)) < 0) {
		fprintf(stderr, "chaperoned: %s: %s\n", config, err);
		return -1;
	}
	if (!d->database) {
		fprintf(stderr, "chaperoned: %s: 'chaperone' / 'database PATH' is required\n",
			config);
		return -1;
	}
	d->rcfg.district = d->district ? d->district : "the school district";
	d->rcfg.default_cc = d->country_code ? d->country_code : "1";
	return 0;
}

/* The retention schedule in force, recorded in the archive when it differs from the last
 * one recorded. */
static int record_retention(struct chaperoned *d, const char *config)
{
	char *abs = realpath(config, NULL);
	const char *source = d->retention_configured
				 ? talloc_asprintf(d->ctx, "config %s", abs ? abs : config)
				 : "default";
	bool recorded;

	free(abs);
	if (retention_record(d->store, &d->retention, source, &recorded) < 0) {
		fprintf(stderr, "chaperoned: cannot record the retention schedule: %s\n",
			store_errmsg(d->store));
		return -1;
	}
	if (recorded)
		LOGP(DSTORE, LOGL_NOTICE, "retention schedule recorded (%s)\n", source);
	return 0;
}

/* The archive: opened (migrations), who may read it (`records` / `file-group`), the
 * retention schedule, and every configured relay number in the directory so that the
 * router knows it. */
static int open_archive(struct chaperoned *d, const char *config)
{
	struct daemon_modem *dm;
	struct stat st;
	char err[256];

	/* A new archive, or an empty file made for it; never another program's file that a
	 * mistyped `database` happens to name (opening it would add our tables to it). */
	if (stat(d->database, &st) == 0 && st.st_size > 0 &&
	    store_probe(d->database, err, sizeof(err)) != 1) {
		fprintf(stderr,
			"chaperoned: %s is not a Chaperone archive: %s (check 'database' in %s)\n",
			d->database, err, config);
		return -1;
	}
	d->store = store_open(d->ctx, d->database, err, sizeof(err));
	if (!d->store) {
		fprintf(stderr, "chaperoned: %s\n", err);
		return -1;
	}
	if (file_access_apply(d->database, d->file_group, err, sizeof(err)) < 0) {
		fprintf(stderr, "chaperoned: %s\n", err);
		return -1;
	}
	if (record_retention(d, config) < 0)
		return -1;
	/* One clock: the configured zone is the archive's, for the CLI too; without one in
	 * the config, the archive's zone is the daemon's. */
	if (d->timezone && district_zone_set(d->store, d->timezone, "chaperoned config") < 0) {
		fprintf(stderr, "chaperoned: cannot record the time zone %s\n", d->timezone);
		return -1;
	}
	if (!d->timezone && district_zone_use(d->store, err, sizeof(err)) < 0) {
		fprintf(stderr, "chaperoned: %s\n", err);
		return -1;
	}
	llist_for_each_entry (dm, &d->modems, list) {
		int64_t id;
		if (dm->relay_number &&
		    store_relay_ensure(d->store, dm->relay_number, dm->label, &id) < 0) {
			fprintf(stderr, "chaperoned: cannot record relay %s\n", dm->relay_number);
			return -1;
		}
	}
	return 0;
}

/* The router on the directory, the modems, and what a previous run left: PDUs never
 * assembled, deliveries still queued. */
static int start_relay(struct chaperoned *d)
{
	d->router = router_alloc(d->ctx, d->store, &d->rcfg, &daemon_transport, d);
	if (router_load(d->router) < 0) {
		fprintf(stderr, "chaperoned: cannot load the directory from %s\n", d->database);
		return -1;
	}
	{
		char err[512];

		/* A district recording that cannot be used is a configuration error; a built
		 * prompt missing only takes calls' messages away (texts are unaffected). */
		if (daemon_calls_check_prompts(d, err, sizeof(err)) < 0) {
			if (d->prompts_dir) {
				fprintf(stderr, "chaperoned: prompts %s: %s\n", d->prompts_dir,
					err);
				return -1;
			}
			LOGP(DRELAY, LOGL_ERROR, "prompt: %s; calls cannot play it\n", err);
		}
	}
	if (daemon_calls_recover(d) < 0)
		LOGP(DSTORE, LOGL_ERROR, "cannot end the calls a restart cut off: %s\n",
		     store_errmsg(d->store));
	if (daemon_modems_start(d) < 0)
		return -1;
	if (daemon_modems_recover(d) < 0)
		LOGP(DSTORE, LOGL_ERROR, "cannot read unassembled PDUs: %s\n",
		     store_errmsg(d->store));
	router_poll(d->router, store_now_ms());
	return 0;
}

/* The console on localhost, signals as events of the loop, the relay's timers. */
static int open_console(struct chaperoned *d)
{
	sigset_t set;

	/* From here on the console may change only what applies live. */
	d->running = true;
	if (telnet_init_default(d->ctx, d, CHAPERONED_VTY_PORT) < 0) {
		fprintf(stderr, "chaperoned: cannot open the VTY on %s:%d\n", vty_get_bind_addr(),
			vty_get_bind_port(CHAPERONED_VTY_PORT));
		return -1;
	}
	if (daemon_ctrl_start(d) < 0)
		return -1;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (!osmo_signalfd_setup(d->ctx, set, on_signal, d)) {
		fprintf(stderr, "chaperoned: cannot set up signal handling\n");
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);

	osmo_timer_setup(&d->poll_timer, poll_cb, d);
	daemon_timer_schedule(&d->poll_timer, DAEMON_T_POLL);
	osmo_timer_setup(&d->digest_timer, digest_cb, d);
	daemon_timer_schedule(&d->digest_timer, DAEMON_T_DIGEST_CHECK);
	daemon_alerts_start(d);
	return 0;
}

int main(int argc, char **argv)
{
	const char *config = "/etc/chaperone/chaperoned.cfg";
	void *ctx;
	struct chaperoned *d;
	int rc = parse_args(argc, argv, &config);

	if (rc >= 0)
		return rc;
	/* Records and the database must never be readable by others. */
	umask(077);

	ctx = talloc_named_const(NULL, 0, "chaperoned");
	d = g_daemon = talloc_zero(ctx, struct chaperoned);
	d->ctx = ctx;
	INIT_LLIST_HEAD(&d->modems);
	router_config_defaults(&d->rcfg);
	d->alert_modem_down_s = 300; /* five minutes: a modem resetting itself is back sooner */
	d->alert_disk_full_pct = 90;
	d->alert_anchor_days = 35; /* a monthly anchor, with a few days' grace */
	d->alert_crisis_min = 15;
	clock_gettime(CLOCK_MONOTONIC, &d->started);
	logging_setup(ctx);
	d->ctrs = rate_ctr_group_alloc(ctx, &ctrg_desc, 0);

	if (read_config(d, config) < 0 || open_archive(d, config) < 0 || start_relay(d) < 0 ||
	    open_console(d) < 0)
		return 1;

	LOGP(DRELAY, LOGL_NOTICE, "chaperoned %s ready: %u modem(s), archive %s, VTY %s:%d\n",
	     CHAPERONE_VERSION, llist_count(&d->modems), d->database, vty_get_bind_addr(),
	     vty_get_bind_port(CHAPERONED_VTY_PORT));
	fprintf(stderr, "chaperoned ready\n");
	while (!quit)
		osmo_select_main(0);

	LOGP(DRELAY, LOGL_NOTICE, "stopped\n");
	daemon_calls_stop();
	daemon_ctrl_stop();
	modem_pool_free(d->pool);
	store_close(d->store);
	log_fini();
	talloc_free(ctx);
	return 0;
}
