/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* `chaperone modem probe|send|listen|profiles`: bringing up modem hardware.
 *
 * Each subcommand has its own file; this one dispatches and holds what they share: the
 * event loop, logging, signals and the --profile option. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>

#include "gateway/cli/cli.h"
#include "gateway/cli/cli_opts.h"
#include "gateway/cli/cli_modem.h"
#include "modem/driver/modem.h"
#include "modem/driver/modem_log.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: chaperone modem probe DEVICE [--profile NAME] [--json] [-v]\n"
		"       chaperone modem send DEVICE NUMBER TEXT [--profile NAME] [--pin PIN]\n"
		"                                 [--timeout S] [-v]\n"
		"       chaperone modem listen DEVICE [--profile NAME] [--pin PIN] [--json] [-v]\n"
		"       chaperone modem call DEVICE NUMBER [--play FILE.wav] [--record FILE.wav]\n"
		"                                 [--seconds N] [--audio PATH] [-v]\n"
		"       chaperone modem answer DEVICE [--play FILE.wav] [--record FILE.wav] "
		"[--wait S]\n"
		"       chaperone modem profiles\n\n"
		"Bring up modem hardware: DEVICE is the modem's AT port (/dev/chaperone/..., "
		"/dev/ttyUSB2).\n"
		"Stop chaperoned first: two programs on one AT port confuse each other.\n\n"
		"  probe     identity, SIM, registration, signal and SMS capabilities; read-only\n"
		"  send      send TEXT to NUMBER, wait for each part's status report\n"
		"  listen    print every SMS and status report as it arrives, and DELETE it from\n"
		"            the modem (it is acknowledged or erased once printed)\n"
		"  call      dial NUMBER, say a file or tone, record what is heard, hang up\n"
		"  answer    wait for a call, answer it, the same\n"
		"  profiles  the modem profiles and their settings\n\n"
		"Run 'chaperone modem COMMAND --help' for a command's options.\n");
}

static void on_signal(struct osmo_signalfd *osfd, const struct signalfd_siginfo *fdsi)
{
	struct cli_loop *loop = osfd->data;

	(void)fdsi;
	loop->interrupted = true;
	loop->done = true;
}

void *cli_modem_setup(const char *name, bool verbose, struct cli_loop *loop)
{
	void *ctx = talloc_named_const(NULL, 0, name);
	sigset_t set;

	if (!ctx)
		return NULL;
	osmo_init_logging2(ctx, &chaperone_modem_log_info);
	log_set_print_category(osmo_stderr_target, 1);
	log_set_print_category_hex(osmo_stderr_target, 0);
	log_set_print_level(osmo_stderr_target, 1);
	log_set_use_color(osmo_stderr_target, 0);
	if (verbose)
		log_set_category_filter(osmo_stderr_target, DMODEM, 1, LOGL_INFO);

	/* Signals as events of the loop, so a Ctrl-C ends the command between two
	 * callbacks, never in the middle of one. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (!osmo_signalfd_setup(ctx, set, on_signal, loop)) {
		talloc_free(ctx);
		return NULL;
	}
	return ctx;
}

void cli_modem_run(struct cli_loop *loop)
{
	while (!loop->done)
		osmo_select_main(0);
}

void cli_modem_teardown(void *ctx)
{
	log_fini();
	talloc_free(ctx);
}

bool cli_modem_port_busy(const char *cmd, struct modem *m, struct cli_loop *loop)
{
	struct modem_info info;

	modem_info(m, &info);
	if (!info.port_busy)
		return false;
	fprintf(stderr, "chaperone modem %s: %s\n", cmd, info.port_error);
	loop->port_busy = true;
	loop->done = true;
	return true;
}

int cli_modem_profile_arg(const char *cmd, const char *name, const struct modem_profile **p)
{
	const struct modem_profile *const *all = modem_profiles();

	*p = NULL;
	if (!name || !strcasecmp(name, "auto"))
		return 0;
	*p = modem_profile_by_name(name);
	if (*p)
		return 0;
	fprintf(stderr, "chaperone modem %s: unknown profile '%s'; known:", cmd, name);
	for (size_t i = 0; all[i]; i++)
		fprintf(stderr, " %s", all[i]->name);
	fprintf(stderr, "\n");
	return -1;
}

static void print_list(const char *const *l)
{
	if (!*l) {
		printf("-");
		return;
	}
	for (size_t i = 0; l[i]; i++)
		printf("%s%s", i ? " " : "", l[i]);
}

static void print_voice(const struct modem_voice_profile *v)
{
	static const char *const urcs[] = {"+CLCC polled", "+QIND ccinfo",
					   "+CLCC unsolicited, VOICE CALL", "^ORIG ^CONN ^CEND"};
	static const char *const arm[] = {"once at set-up", "after each ATD/ATA",
					  "when the call is active"};

	if (v->kind == MODEM_VOICE_NONE) {
		printf("  voice        none (SMS only)\n");
		return;
	}
	printf("  voice        %s on USB interface %u, %s %s%s%s; %s\n",
	       v->kind == MODEM_VOICE_HUAWEI_TTY ? "voice tty" : "serial PCM", v->audio_interface,
	       v->audio_on, arm[v->arm], v->audio_off ? ", off " : "",
	       v->audio_off ? v->audio_off : "", v->volte ? "VoLTE" : "2G/3G voice only");
	printf("  calls        %s; hang up %s; DTMF ", urcs[v->urcs], v->hangup);
	printf(v->dtmf, '5');
	printf("\n  call init    ");
	print_list(v->init);
	printf("\n");
}

static int cmd_profiles(void)
{
	const struct modem_profile *const *all = modem_profiles();

	for (size_t i = 0; all[i]; i++) {
		const struct modem_profile *p = all[i];
		bool direct = p->rx_mode == MODEM_RX_DIRECT;

		printf("%s: %s\n", p->name, p->description);
		printf("  +CGMM match  ");
		print_list(p->cgmm_match);
		printf("\n  delivery     %s (AT+CNMI=%s), storage %s\n",
		       direct ? "direct" : "stored", direct ? p->cnmi_direct : p->cnmi_stored,
		       p->storage);
		printf("  init         ");
		print_list(p->init);
		printf("\n  LTE %s, AT+CMMS %s, AT+CFUN=1,1 %s (port back within %u s)\n",
		       p->lte ? "yes" : "no", p->cmms ? "yes" : "no", p->cfun_reset ? "yes" : "no",
		       p->reset_wait_s);
		print_voice(&p->voice);
	}
	return CLI_EXIT_OK;
}

static int profiles_cmd(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cmd_profiles();
}

int cli_modem_main(int argc, char **argv)
{
	static const struct cli_command subs[] = {
	    {"probe", "identify a modem and check it can do SMS", cli_modem_probe},
	    {"send", "send a test message", cli_modem_send},
	    {"listen", "print messages as they arrive", cli_modem_listen},
	    {"call", "place a call and check its audio", cli_modem_call},
	    {"answer", "answer a call and check its audio", cli_modem_answer},
	    {"profiles", "list the modem profiles", profiles_cmd},
	};

	return cli_dispatch("modem", argc, argv, subs, ARRAY_SIZE(subs), usage);
}
