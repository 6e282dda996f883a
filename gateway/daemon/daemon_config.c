/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* chaperoned's configuration: the `chaperone`, `policy`, `modem NAME` and `records` nodes, read
 * from the config file with -c and shown by `show running-config` at the VTY.
 *
 *   chaperone
 *    district Lakeview Public Schools
 *    database /var/lib/chaperone/chaperone.db
 *    timezone America/New_York
 *    country-code 1
 *    thread-window 24
 *    crisis-window 72
 *    question-window 60
 *    max-parts 255
 *    it-contact +16175550100
 *    admin-contact +16175550202
 *    alert modem-down 300
 *    alert disk-full 90
 *    alert anchor-overdue 35
 *    alert crisis-unacknowledged 15
 *    prompts /etc/chaperone/prompts
 *   policy
 *    guardians-on-team-messages yes
 *    quiet-hours 21:00 07:00
 *    oversight copy
 *    digest-hour 17
 *    contact-screen yes
 *    notice yes
 *   modem modem0
 *    device /dev/chaperone/modem0
 *    relay-number +15550100
 *    label Soccer
 *    profile auto
 *   records
 *    retention messages 7 years
 *    retention verdicts forever
 *    file-group records
 *
 * What the console changes is what is in force: `chaperone` settings (but the database) and
 * `policy` settings apply from the next message on; the database, modems and `records`
 * settings are read at start-up only, so the console refuses them once the relay runs
 * ("restart needed") rather than show a value that is not in force. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include <talloc.h>

#include "storage/archive/district_zone.h"
#include "gateway/daemon/chaperoned.h"
#include "storage/model/phone_number.h"
#include "storage/keeping/retention.h"

static struct cmd_node chaperone_node = {
    .node = CHAPERONE_NODE, .prompt = "%s(config-chaperone)# ", .vtysh = 1};
static struct cmd_node policy_node = {
    .node = POLICY_NODE, .prompt = "%s(config-policy)# ", .vtysh = 1};
static struct cmd_node modem_node = {
    .node = MODEM_NODE, .prompt = "%s(config-modem)# ", .vtysh = 1};
static struct cmd_node records_node = {
    .node = RECORDS_NODE, .prompt = "%s(config-records)# ", .vtysh = 1};

static void set_str(void *ctx, char **dst, const char *src)
{
	talloc_free(*dst);
	*dst = talloc_strdup(ctx, src);
}

/* True (and the console told why) when a start-up-only setting is changed while the relay
 * runs. The config file is read before start-up ends, so it may set anything. */
static bool refused_after_startup(struct vty *vty)
{
	if (!g_daemon->running)
		return false;
	daemon_say(vty,
		   "restart needed: '%s' is read at start-up only; change it in the config file "
		   "and restart chaperoned",
		   vty->buf ? vty->buf : "this setting");
	return true;
}

/* Put the `chaperone` and `policy` settings in force once the relay runs. */
static int applied(void)
{
	if (g_daemon->router)
		router_set_config(g_daemon->router, &g_daemon->rcfg);
	return CMD_SUCCESS;
}

/* ---- chaperone ---- */

DEFUN(cfg_chaperone, cfg_chaperone_cmd, "chaperone", "Configure the relay (district, archive)\n")
{
	vty->node = CHAPERONE_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_district, cfg_district_cmd, "district .NAME",
      "The district's name, as notices and replies say it\nName\n")
{
	char *name = argv_concat(argv, argc, 0);

	set_str(g_daemon, &g_daemon->district, name);
	talloc_free(name);
	g_daemon->rcfg.district = g_daemon->district;
	return applied();
}

DEFUN(cfg_database, cfg_database_cmd, "database PATH",
      "Path of the archive (SQLite); read at start-up\nPath\n")
{
	if (refused_after_startup(vty))
		return CMD_WARNING;
	set_str(g_daemon, &g_daemon->database, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_timezone, cfg_timezone_cmd, "timezone ZONE",
      "The district's time zone for quiet hours and digests (e.g. America/New_York)\nZone\n")
{
	if (!zone_known(argv[0])) {
		vty_out(vty,
			"%% unknown time zone '%s': not in the zone database (e.g. "
			"America/New_York, Europe/Berlin, UTC)%s",
			argv[0], VTY_NEWLINE);
		return CMD_WARNING;
	}
	set_str(g_daemon, &g_daemon->timezone, argv[0]);
	setenv("TZ", argv[0], 1);
	tzset();
	return applied();
}

DEFUN(cfg_country_code, cfg_country_code_cmd, "country-code <1-999>",
      "Country calling code of national numbers in rosters and from the network\nCode\n")
{
	set_str(g_daemon, &g_daemon->country_code, argv[0]);
	g_daemon->rcfg.default_cc = g_daemon->country_code;
	return applied();
}

DEFUN(cfg_thread_window, cfg_thread_window_cmd, "thread-window <1-168>",
      "Hours an unaddressed staff reply still answers the last family message\nHours\n")
{
	g_daemon->rcfg.thread_window_s = (unsigned)atoi(argv[0]) * 3600;
	return applied();
}

DEFUN(cfg_crisis_window, cfg_crisis_window_cmd, "crisis-window <1-720>",
      "Hours a crisis conversation stays open after its last message, unless an "
      "administrator closes it\nHours\n")
{
	g_daemon->rcfg.crisis_window_s = (unsigned)atoi(argv[0]) * 3600;
	return applied();
}

DEFUN(cfg_question_window, cfg_question_window_cmd, "question-window <1-1440>",
      "Minutes a question the relay asked (which team? whom?) can be answered\nMinutes\n")
{
	g_daemon->rcfg.question_window_s = (unsigned)atoi(argv[0]) * 60;
	return applied();
}

DEFUN(cfg_it_contact, cfg_it_contact_cmd, "it-contact NUMBER",
      "The phone (E.164) the relay texts about itself: a modem down, a SIM near its daily "
      "cap, the disk, the anchor, a crisis not acknowledged\nNumber\n")
{
	if (!phone_is_e164(argv[0])) {
		daemon_say(vty, "it-contact must be an E.164 number, e.g. +16175550100");
		return CMD_WARNING;
	}
	talloc_free(g_daemon->it_contact);
	g_daemon->it_contact = talloc_strdup(g_daemon, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_no_it_contact, cfg_no_it_contact_cmd, "no it-contact",
      NO_STR "Tell nobody by text about the relay itself (the log still does)\n")
{
	TALLOC_FREE(g_daemon->it_contact);
	return CMD_SUCCESS;
}

DEFUN(cfg_admin_contact, cfg_admin_contact_cmd, "admin-contact NUMBER",
      "An administrator's phone (E.164) texted every alert about the relay too (up to 4 "
      "lines)\nNumber\n")
{
	struct chaperoned *d = g_daemon;

	if (!phone_is_e164(argv[0])) {
		daemon_say(vty, "admin-contact must be an E.164 number, e.g. +16175550202");
		return CMD_WARNING;
	}
	for (unsigned i = 0; i < d->n_admin_contacts; i++)
		if (!strcmp(d->admin_contacts[i], argv[0]))
			return CMD_SUCCESS;
	if (d->n_admin_contacts == DAEMON_MAX_ADMIN_CONTACTS) {
		daemon_say(vty,
			   "at most %u admin-contact lines; remove one with 'no admin-contact "
			   "NUMBER' first",
			   DAEMON_MAX_ADMIN_CONTACTS);
		return CMD_WARNING;
	}
	d->admin_contacts[d->n_admin_contacts++] = talloc_strdup(d, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_no_admin_contact, cfg_no_admin_contact_cmd, "no admin-contact NUMBER",
      NO_STR "Text this administrator no more alerts about the relay\nNumber\n")
{
	struct chaperoned *d = g_daemon;

	for (unsigned i = 0; i < d->n_admin_contacts; i++)
		if (!strcmp(d->admin_contacts[i], argv[0])) {
			talloc_free(d->admin_contacts[i]);
			memmove(&d->admin_contacts[i], &d->admin_contacts[i + 1],
				(d->n_admin_contacts - i - 1) * sizeof(d->admin_contacts[0]));
			d->n_admin_contacts--;
			return CMD_SUCCESS;
		}
	daemon_say(vty, "%s is not an admin-contact", argv[0]);
	return CMD_WARNING;
}

DEFUN(cfg_alert_modem_down, cfg_alert_modem_down_cmd, "alert modem-down <0-86400>",
      "Text the it-contact and admin-contacts about the relay itself\n"
      "When a modem has not been ready this long (its texts wait meanwhile)\n"
      "Seconds (0: never)\n")
{
	g_daemon->alert_modem_down_s = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_alert_disk_full, cfg_alert_disk_full_cmd, "alert disk-full <0-100>",
      "Text the it-contact and admin-contacts about the relay itself\n"
      "When the archive's disk is this full (checked every X9 seconds; again daily while "
      "it stays)\n"
      "Percent used (0: never)\n")
{
	g_daemon->alert_disk_full_pct = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_alert_anchor, cfg_alert_anchor_cmd, "alert anchor-overdue <0-3650>",
      "Text the it-contact and admin-contacts about the relay itself\n"
      "When no anchor of the archive (chaperone records anchor) was taken for this long "
      "(again daily while none is)\n"
      "Days (0: never)\n")
{
	g_daemon->alert_anchor_days = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_alert_crisis, cfg_alert_crisis_cmd, "alert crisis-unacknowledged <0-1440>",
      "Text the it-contact and admin-contacts about the relay itself\n"
      "When no administrator acknowledged (ACK @name) or closed a crisis conversation this "
      "long after it opened (the administrators it alerted are texted again)\n"
      "Minutes (0: never)\n")
{
	g_daemon->alert_crisis_min = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_ctrl_port, cfg_ctrl_port_cmd, "ctrl-port <0-65535>",
      "The CTRL interface (read-only figures, on 127.0.0.1); read at start-up\n"
      "TCP port (0: off)\n")
{
	if (refused_after_startup(vty))
		return CMD_WARNING;
	g_daemon->ctrl_port = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_statsd, cfg_statsd_cmd, "statsd A.B.C.D <1-65535> [<1-3600>]",
      "Send the counters and figures to a StatsD server (UDP); read at start-up\n"
      "Its IPv4 address\nIts port\nSeconds between reports (default 10)\n")
{
	if (refused_after_startup(vty))
		return CMD_WARNING;
	set_str(g_daemon, &g_daemon->statsd_host, argv[0]);
	g_daemon->statsd_port = (unsigned)atoi(argv[1]);
	g_daemon->statsd_interval_s = argc > 2 ? (unsigned)atoi(argv[2]) : 10;
	return CMD_SUCCESS;
}

DEFUN(cfg_no_statsd, cfg_no_statsd_cmd, "no statsd",
      NO_STR "Send nothing to StatsD; read at start-up\n")
{
	if (refused_after_startup(vty))
		return CMD_WARNING;
	TALLOC_FREE(g_daemon->statsd_host);
	return CMD_SUCCESS;
}

DEFUN(cfg_prompts, cfg_prompts_cmd, "prompts DIR",
      "The district's own recordings of the calls' prompts (<id>.wav, 8 kHz mono), in place "
      "of the built ones; read at start-up\nDirectory\n")
{
	if (refused_after_startup(vty))
		return CMD_WARNING;
	set_str(g_daemon, &g_daemon->prompts_dir, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_max_parts, cfg_max_parts_cmd, "max-parts <2-255>",
      "Most texts one relayed message may take, its sender's name and the recording notice "
      "included; a longer one is refused and its sender told\nTexts (SMS parts)\n")
{
	g_daemon->rcfg.max_parts = (unsigned)atoi(argv[0]);
	return applied();
}

static int write_chaperone(struct vty *vty)
{
	struct chaperoned *d = g_daemon;

	vty_out(vty, "chaperone%s", VTY_NEWLINE);
	if (d->district)
		vty_out(vty, " district %s%s", d->district, VTY_NEWLINE);
	if (d->database)
		vty_out(vty, " database %s%s", d->database, VTY_NEWLINE);
	if (d->timezone)
		vty_out(vty, " timezone %s%s", d->timezone, VTY_NEWLINE);
	vty_out(vty, " country-code %s%s", d->country_code ? d->country_code : "1", VTY_NEWLINE);
	vty_out(vty, " thread-window %u%s", d->rcfg.thread_window_s / 3600, VTY_NEWLINE);
	vty_out(vty, " crisis-window %u%s", d->rcfg.crisis_window_s / 3600, VTY_NEWLINE);
	vty_out(vty, " question-window %u%s", d->rcfg.question_window_s / 60, VTY_NEWLINE);
	vty_out(vty, " max-parts %u%s", d->rcfg.max_parts, VTY_NEWLINE);
	if (d->it_contact)
		vty_out(vty, " it-contact %s%s", d->it_contact, VTY_NEWLINE);
	for (unsigned i = 0; i < d->n_admin_contacts; i++)
		vty_out(vty, " admin-contact %s%s", d->admin_contacts[i], VTY_NEWLINE);
	vty_out(vty, " alert modem-down %u%s", d->alert_modem_down_s, VTY_NEWLINE);
	vty_out(vty, " alert disk-full %u%s", d->alert_disk_full_pct, VTY_NEWLINE);
	vty_out(vty, " alert anchor-overdue %u%s", d->alert_anchor_days, VTY_NEWLINE);
	vty_out(vty, " alert crisis-unacknowledged %u%s", d->alert_crisis_min, VTY_NEWLINE);
	if (d->ctrl_port)
		vty_out(vty, " ctrl-port %u%s", d->ctrl_port, VTY_NEWLINE);
	if (d->statsd_host)
		vty_out(vty, " statsd %s %u %u%s", d->statsd_host, d->statsd_port,
			d->statsd_interval_s, VTY_NEWLINE);
	if (d->prompts_dir)
		vty_out(vty, " prompts %s%s", d->prompts_dir, VTY_NEWLINE);
	return CMD_SUCCESS;
}

/* ---- policy ---- */

DEFUN(cfg_policy, cfg_policy_cmd, "policy", "Configure the district's messaging policy\n")
{
	vty->node = POLICY_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_guardians_team, cfg_guardians_team_cmd, "guardians-on-team-messages (yes|no)",
      "Copy guardians on whole-team messages too\nCopy them\nDo not\n")
{
	g_daemon->rcfg.policy.guardians_on_team_messages = !strcmp(argv[0], "yes");
	return applied();
}

static int parse_hhmm(const char *s, int *min)
{
	int h, m;
	char extra;

	if (sscanf(s, "%d:%d%c", &h, &m, &extra) != 2 || h < 0 || h > 23 || m < 0 || m > 59)
		return -1;
	*min = h * 60 + m;
	return 0;
}

DEFUN(cfg_quiet_hours, cfg_quiet_hours_cmd, "quiet-hours HH:MM HH:MM",
      "Hold non-urgent staff messages to students between these local times\nStart\nEnd\n")
{
	int a, b;

	if (parse_hhmm(argv[0], &a) < 0 || parse_hhmm(argv[1], &b) < 0 || a == b) {
		daemon_say(vty, "quiet hours are two different times HH:MM HH:MM");
		return CMD_WARNING;
	}
	g_daemon->rcfg.policy.quiet_hours = true;
	g_daemon->rcfg.policy.quiet_start_min = a;
	g_daemon->rcfg.policy.quiet_end_min = b;
	return applied();
}

DEFUN(cfg_no_quiet_hours, cfg_no_quiet_hours_cmd, "no quiet-hours", NO_STR "Deliver at any hour\n")
{
	g_daemon->rcfg.policy.quiet_hours = false;
	return applied();
}

DEFUN(cfg_oversight, cfg_oversight_cmd, "oversight (copy|digest|off)",
      "How the athletic director / principal is kept apprised of coaches' messages\n"
      "A copy of each message\nA daily digest\nNot at all (not recommended)\n")
{
	enum policy_oversight o = POLICY_OVERSIGHT_COPY;

	if (!strcmp(argv[0], "digest"))
		o = POLICY_OVERSIGHT_DIGEST;
	else if (!strcmp(argv[0], "off"))
		o = POLICY_OVERSIGHT_OFF;
	g_daemon->rcfg.policy.oversight = o;
	return applied();
}

DEFUN(cfg_digest_hour, cfg_digest_hour_cmd, "digest-hour <0-23>",
      "Local hour the daily oversight digest goes out\nHour\n")
{
	g_daemon->rcfg.digest_hour = (unsigned)atoi(argv[0]);
	return applied();
}

DEFUN(cfg_contact_screen, cfg_contact_screen_cmd, "contact-screen (yes|no)",
      "Hold staff-student messages that carry a phone number, e-mail or address\nHold\nDo not\n")
{
	g_daemon->rcfg.policy.contact_screen = !strcmp(argv[0], "yes");
	return applied();
}

DEFUN(cfg_notice, cfg_notice_cmd, "notice (yes|no)",
      "Tell each new recipient once that messages are recorded\nTell\nDo not\n")
{
	g_daemon->rcfg.policy.notice = !strcmp(argv[0], "yes");
	return applied();
}

DEFUN(cfg_notice_text, cfg_notice_text_cmd, "notice-text .TEXT",
      "The recording notice's text (default names the district)\nText\n")
{
	char *t = argv_concat(argv, argc, 0);

	set_str(g_daemon, &g_daemon->notice_text, t);
	talloc_free(t);
	g_daemon->rcfg.policy.notice_text = g_daemon->notice_text;
	return applied();
}

static int write_policy(struct vty *vty)
{
	const struct router_config *c = &g_daemon->rcfg;
	static const char *const ov[] = {"copy", "digest", "off"};

	vty_out(vty, "policy%s", VTY_NEWLINE);
	vty_out(vty, " guardians-on-team-messages %s%s",
		c->policy.guardians_on_team_messages ? "yes" : "no", VTY_NEWLINE);
	if (c->policy.quiet_hours)
		vty_out(vty, " quiet-hours %02d:%02d %02d:%02d%s", c->policy.quiet_start_min / 60,
			c->policy.quiet_start_min % 60, c->policy.quiet_end_min / 60,
			c->policy.quiet_end_min % 60, VTY_NEWLINE);
	else
		vty_out(vty, " no quiet-hours%s", VTY_NEWLINE);
	vty_out(vty, " oversight %s%s", ov[c->policy.oversight], VTY_NEWLINE);
	vty_out(vty, " digest-hour %u%s", c->digest_hour, VTY_NEWLINE);
	vty_out(vty, " contact-screen %s%s", c->policy.contact_screen ? "yes" : "no", VTY_NEWLINE);
	vty_out(vty, " notice %s%s", c->policy.notice ? "yes" : "no", VTY_NEWLINE);
	if (g_daemon->notice_text)
		vty_out(vty, " notice-text %s%s", g_daemon->notice_text, VTY_NEWLINE);
	return CMD_SUCCESS;
}

/* ---- modem NAME ---- */

struct daemon_modem *daemon_modem_find(struct chaperoned *d, const char *name)
{
	struct daemon_modem *m;

	llist_for_each_entry (m, &d->modems, list)
		if (!strcmp(m->name, name))
			return m;
	return NULL;
}

DEFUN(cfg_modem, cfg_modem_cmd, "modem NAME",
      "Configure a modem (its SIM is a relay number); modems start at start-up\nName\n")
{
	struct daemon_modem *m = daemon_modem_find(g_daemon, argv[0]);

	/* A running modem's node may be entered for its pacing; a new modem needs a start. */
	if (!m && refused_after_startup(vty))
		return CMD_WARNING;
	if (!m) {
		m = talloc_zero(g_daemon, struct daemon_modem);
		m->name = talloc_strdup(m, argv[0]);
		llist_add_tail(&m->list, &g_daemon->modems);
	}
	vty->index = m;
	vty->node = MODEM_NODE;
	return CMD_SUCCESS;
}

#define MODEM_STR_SETTER(fn, field)                                                                \
	static int fn(struct vty *vty, const char *v)                                              \
	{                                                                                          \
		struct daemon_modem *m = vty->index;                                               \
		if (refused_after_startup(vty))                                                    \
			return CMD_WARNING;                                                        \
		set_str(m, &m->field, v);                                                          \
		return CMD_SUCCESS;                                                                \
	}
MODEM_STR_SETTER(set_device, device)
MODEM_STR_SETTER(set_profile, profile)

DEFUN(cfg_modem_device, cfg_modem_device_cmd, "device PATH",
      "Serial device of the modem's AT port (a stable udev name)\nPath\n")
{
	return set_device(vty, argv[0]);
}

DEFUN(cfg_modem_profile, cfg_modem_profile_cmd, "profile NAME",
      "Modem profile (AT quirks): auto, generic, quectel-ec25, ...\nName\n")
{
	return set_profile(vty, argv[0]);
}

DEFUN(cfg_modem_pin, cfg_modem_pin_cmd, "sim-pin PIN", "The SIM's PIN, if it has one\nPIN\n")
{
	struct daemon_modem *m = vty->index;
	size_t n = strlen(argv[0]);

	if (refused_after_startup(vty))
		return CMD_WARNING;
	/* 4 to 8 digits (TS 31.101 §9.3): "****", as the console shows a PIN, is refused. */
	if (n < 4 || n > 8 || strspn(argv[0], "0123456789") != n) {
		daemon_say(vty, "sim-pin is the SIM's PIN, 4 to 8 digits");
		return CMD_WARNING;
	}
	set_str(m, &m->sim_pin, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_modem_relay, cfg_modem_relay_cmd, "relay-number NUMBER",
      "The SIM's own number (E.164), the relay number families see\nNumber\n")
{
	struct daemon_modem *m = vty->index;

	if (refused_after_startup(vty))
		return CMD_WARNING;
	if (!phone_is_e164(argv[0])) {
		daemon_say(vty, "relay number must be E.164, e.g. +15550100");
		return CMD_WARNING;
	}
	set_str(m, &m->relay_number, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_modem_label, cfg_modem_label_cmd, "label .TEXT", "A label for operators\nText\n")
{
	struct daemon_modem *m = vty->index;
	char *t = argv_concat(argv, argc, 0);

	set_str(m, &m->label, t);
	talloc_free(t);
	return CMD_SUCCESS;
}

/* Pacing applies at once to a running modem. */
static void apply_pacing(struct daemon_modem *m)
{
	struct modem_pacing p = {m->per_minute, m->daily_cap};

	if (m->modem)
		modem_set_pacing(m->modem, &p, NULL);
}

DEFUN(cfg_modem_rate, cfg_modem_rate_cmd, "rate-limit <1-6000>",
      "Most texts (SMS parts) this SIM sends a minute, evenly spaced: carriers block a SIM "
      "that sends in bulk\nTexts per minute\n")
{
	struct daemon_modem *m = vty->index;

	m->per_minute = (unsigned)atoi(argv[0]);
	apply_pacing(m);
	return CMD_SUCCESS;
}

DEFUN(cfg_modem_no_rate, cfg_modem_no_rate_cmd, "no rate-limit",
      NO_STR "Send as fast as the modem takes texts\n")
{
	struct daemon_modem *m = vty->index;

	m->per_minute = 0;
	apply_pacing(m);
	return CMD_SUCCESS;
}

DEFUN(cfg_modem_cap, cfg_modem_cap_cmd, "daily-cap <1-1000000>",
      "Most texts (SMS parts) this SIM sends in any 24 hours; more wait, recorded as "
      "waiting, and the IT contact is told at 80 %\nTexts\n")
{
	struct daemon_modem *m = vty->index;

	m->daily_cap = (unsigned)atoi(argv[0]);
	apply_pacing(m);
	return CMD_SUCCESS;
}

DEFUN(cfg_modem_no_cap, cfg_modem_no_cap_cmd, "no daily-cap",
      NO_STR "No cap on the texts of 24 hours\n")
{
	struct daemon_modem *m = vty->index;

	m->daily_cap = 0;
	apply_pacing(m);
	return CMD_SUCCESS;
}

static int write_modems(struct vty *vty)
{
	struct daemon_modem *m;

	llist_for_each_entry (m, &g_daemon->modems, list) {
		vty_out(vty, "modem %s%s", m->name, VTY_NEWLINE);
		if (m->device)
			vty_out(vty, " device %s%s", m->device, VTY_NEWLINE);
		if (m->relay_number)
			vty_out(vty, " relay-number %s%s", m->relay_number, VTY_NEWLINE);
		if (m->label)
			vty_out(vty, " label %s%s", m->label, VTY_NEWLINE);
		if (m->profile)
			vty_out(vty, " profile %s%s", m->profile, VTY_NEWLINE);
		if (m->per_minute)
			vty_out(vty, " rate-limit %u%s", m->per_minute, VTY_NEWLINE);
		if (m->daily_cap)
			vty_out(vty, " daily-cap %u%s", m->daily_cap, VTY_NEWLINE);
		/* The file keeps the PIN (it is mode 0600); the console never shows it. */
		if (m->sim_pin && vty->type == VTY_FILE)
			vty_out(vty, " sim-pin %s%s", m->sim_pin, VTY_NEWLINE);
		else if (m->sim_pin)
			vty_out(vty, " ! sim-pin set (not shown)%s", VTY_NEWLINE);
	}
	return CMD_SUCCESS;
}

/* ---- records ----
 *
 * The retention schedule is recorded in the archive at start-up (when it differs from
 * the one recorded last), so a change made at the VTY takes effect at the next start.
 * Months and years are calendar ones (storage/keeping/retention.h). */

DEFUN(cfg_records, cfg_records_cmd, "records",
      "Configure records keeping (retention, who may read the archive)\n")
{
	vty->node = RECORDS_NODE;
	return CMD_SUCCESS;
}

#define RET_CLASS_STR                                                                              \
	"How long a class of records is kept before it may be disposed of\n"                       \
	"Messages: what people wrote (text, raw PDUs, questions, unknown senders)\n"               \
	"Deliveries: what the relay sent, to whom\n"                                               \
	"Verdicts: what the policy decided, and why\n"                                             \
	"Call records (reserved)\n"

DEFUN(cfg_retention, cfg_retention_cmd,
      "retention (messages|deliveries|verdicts|calls) <1-100> (days|months|years)",
      RET_CLASS_STR "Number of units\nDays\nCalendar months\nCalendar years\n")
{
	enum retention_class c;
	struct retention_period p;

	if (refused_after_startup(vty))
		return CMD_WARNING;
	if (retention_class_parse(argv[0], &c) < 0 ||
	    retention_period_parse(atol(argv[1]), argv[2], &p) < 0) {
		daemon_say(vty, "retention CLASS 1-100 days|months|years");
		return CMD_WARNING;
	}
	g_daemon->retention.period[c] = p;
	g_daemon->retention_configured = true;
	return CMD_SUCCESS;
}

DEFUN(cfg_retention_forever, cfg_retention_forever_cmd,
      "retention (messages|deliveries|verdicts|calls) forever",
      RET_CLASS_STR "Keep them for good (never disposed of)\n")
{
	enum retention_class c;

	if (refused_after_startup(vty))
		return CMD_WARNING;
	if (retention_class_parse(argv[0], &c) < 0)
		return CMD_WARNING;
	g_daemon->retention.period[c] =
	    (struct retention_period){RETENTION_FOREVER, RETENTION_DAYS};
	g_daemon->retention_configured = true;
	return CMD_SUCCESS;
}

DEFUN(cfg_file_group, cfg_file_group_cmd, "file-group NAME",
      "A group that may read the archive (file mode 0640); applied at start-up\nGroup name\n")
{
	if (refused_after_startup(vty))
		return CMD_WARNING;
	set_str(g_daemon, &g_daemon->file_group, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_no_file_group, cfg_no_file_group_cmd, "no file-group",
      NO_STR "Only the daemon's user may read the archive (file mode 0600)\n")
{
	if (refused_after_startup(vty))
		return CMD_WARNING;
	TALLOC_FREE(g_daemon->file_group);
	return CMD_SUCCESS;
}

static int write_records(struct vty *vty)
{
	struct chaperoned *d = g_daemon;

	vty_out(vty, "records%s", VTY_NEWLINE);
	for (unsigned c = 0; c < RET_N_CLASSES; c++) {
		/* As it was written: "7 years" is seven calendar years, not 2,555 days. */
		const struct retention_period *p = &d->retention.period[c];
		if (p->n == RETENTION_FOREVER)
			vty_out(vty, " retention %s forever%s", retention_class_name(c),
				VTY_NEWLINE);
		else
			vty_out(vty, " retention %s %lld %s%s", retention_class_name(c),
				(long long)p->n, retention_unit_name(p->unit), VTY_NEWLINE);
	}
	if (d->file_group)
		vty_out(vty, " file-group %s%s", d->file_group, VTY_NEWLINE);
	return CMD_SUCCESS;
}

void daemon_config_init(struct chaperoned *d)
{
	retention_defaults(&d->retention);
	install_element(CONFIG_NODE, &cfg_chaperone_cmd);
	install_node(&chaperone_node, write_chaperone);
	install_element(CHAPERONE_NODE, &cfg_district_cmd);
	install_element(CHAPERONE_NODE, &cfg_database_cmd);
	install_element(CHAPERONE_NODE, &cfg_timezone_cmd);
	install_element(CHAPERONE_NODE, &cfg_country_code_cmd);
	install_element(CHAPERONE_NODE, &cfg_thread_window_cmd);
	install_element(CHAPERONE_NODE, &cfg_crisis_window_cmd);
	install_element(CHAPERONE_NODE, &cfg_question_window_cmd);
	install_element(CHAPERONE_NODE, &cfg_max_parts_cmd);
	install_element(CHAPERONE_NODE, &cfg_it_contact_cmd);
	install_element(CHAPERONE_NODE, &cfg_alert_modem_down_cmd);
	install_element(CHAPERONE_NODE, &cfg_ctrl_port_cmd);
	install_element(CHAPERONE_NODE, &cfg_statsd_cmd);
	install_element(CHAPERONE_NODE, &cfg_no_statsd_cmd);
	install_element(CHAPERONE_NODE, &cfg_no_it_contact_cmd);
	install_element(CHAPERONE_NODE, &cfg_prompts_cmd);
	install_element(CHAPERONE_NODE, &cfg_admin_contact_cmd);
	install_element(CHAPERONE_NODE, &cfg_no_admin_contact_cmd);
	install_element(CHAPERONE_NODE, &cfg_alert_disk_full_cmd);
	install_element(CHAPERONE_NODE, &cfg_alert_anchor_cmd);
	install_element(CHAPERONE_NODE, &cfg_alert_crisis_cmd);

	install_element(CONFIG_NODE, &cfg_policy_cmd);
	install_node(&policy_node, write_policy);
	install_element(POLICY_NODE, &cfg_guardians_team_cmd);
	install_element(POLICY_NODE, &cfg_quiet_hours_cmd);
	install_element(POLICY_NODE, &cfg_no_quiet_hours_cmd);
	install_element(POLICY_NODE, &cfg_oversight_cmd);
	install_element(POLICY_NODE, &cfg_digest_hour_cmd);
	install_element(POLICY_NODE, &cfg_contact_screen_cmd);
	install_element(POLICY_NODE, &cfg_notice_cmd);
	install_element(POLICY_NODE, &cfg_notice_text_cmd);

	install_element(CONFIG_NODE, &cfg_modem_cmd);
	install_node(&modem_node, write_modems);
	install_element(MODEM_NODE, &cfg_modem_device_cmd);
	install_element(MODEM_NODE, &cfg_modem_relay_cmd);
	install_element(MODEM_NODE, &cfg_modem_label_cmd);
	install_element(MODEM_NODE, &cfg_modem_profile_cmd);
	install_element(MODEM_NODE, &cfg_modem_pin_cmd);
	install_element(MODEM_NODE, &cfg_modem_rate_cmd);
	install_element(MODEM_NODE, &cfg_modem_no_rate_cmd);
	install_element(MODEM_NODE, &cfg_modem_cap_cmd);
	install_element(MODEM_NODE, &cfg_modem_no_cap_cmd);

	install_element(CONFIG_NODE, &cfg_records_cmd);
	install_node(&records_node, write_records);
	install_element(RECORDS_NODE, &cfg_retention_cmd);
	install_element(RECORDS_NODE, &cfg_retention_forever_cmd);
	install_element(RECORDS_NODE, &cfg_file_group_cmd);
	install_element(RECORDS_NODE, &cfg_no_file_group_cmd);
}
