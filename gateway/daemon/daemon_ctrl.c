/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The relay's figures for machines: the Osmocom CTRL interface (libosmoctrl) and StatsD.
 *
 *   chaperone
 *    ctrl-port 4291             (0, the default: off)
 *    statsd 127.0.0.1 8125      (no statsd: off)
 *
 * CTRL listens on 127.0.0.1 only and is read-only: every variable answers GET, none SET
 * (the protocol has no password; nothing it says is a record's content, only counts and
 * states):
 *   modems          each modem and its state: "modem0 ready,modem1 recovering"
 *   modems-ready    how many are ready
 *   queue-depth     texts waiting on the modems' queues, all modems
 *   messages-in, messages-out, messages-held, messages-blocked   since the start
 *   archive-bytes   the archive's size on disk (its WAL included)
 *   archive-disk-free  bytes free on the archive's disk (to the daemon's user)
 *   last-anchor     when the archive's head was last anchored (records anchor, or a
 *                   disposal), ISO 8601 UTC: "2026-12-06T11:34:14.472Z", or "never"
 *   calls-lines     lines that carry calls, free/total: "1/3"
 * and sends a TRAP "modem.<name>.state <state>" at every modem state change.
 *
 * StatsD: the rate counters (`show stats`) and the stat items below go every interval
 * (10 s unless the config says) to HOST:PORT over UDP, named chaperoned.<group>.<index>.<item>
 * (osmo_stats). Outgoing only: no listener. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/stat_item.h>
#include <osmocom/core/stats.h>
#include <osmocom/ctrl/control_cmd.h>
#include <osmocom/ctrl/control_if.h>
#include <talloc.h>

#include "gateway/daemon/chaperoned.h"
#include "storage/archive/access_log.h"

static struct ctrl_handle *ctrl;
static struct osmo_stats_reporter *statsd;

/* ---- Stat items: what StatsD graphs besides the counters ---- */

enum {
	STAT_MODEMS_READY,
	STAT_QUEUE_DEPTH,
	STAT_ARCHIVE_BYTES,
	STAT_CALL_LINES_FREE,
};

static const struct osmo_stat_item_desc stat_descs[] = {
    [STAT_MODEMS_READY] = {"modems:ready", "Modems ready", "", 16, 0},
    [STAT_QUEUE_DEPTH] = {"queue:depth", "Texts waiting on the modems' queues", "", 16, 0},
    [STAT_ARCHIVE_BYTES] = {"archive:bytes", "The archive's size on disk", "B", 16, 0},
    [STAT_CALL_LINES_FREE] = {"calls:lines-free", "Lines free to place a call on", "", 16, 0},
};

static const struct osmo_stat_item_group_desc stat_group_desc = {
    .group_name_prefix = "relay",
    .group_description = "The relay",
    .class_id = OSMO_STATS_CLASS_GLOBAL,
    .num_items = ARRAY_SIZE(stat_descs),
    .item_desc = stat_descs,
};

static struct osmo_stat_item_group *stats;
static struct osmo_timer_list stats_timer;

static unsigned modems_ready(struct chaperoned *d, unsigned *queued)
{
	struct daemon_modem *dm;
	unsigned n = 0;

	*queued = 0;
	llist_for_each_entry (dm, &d->modems, list) {
		struct modem_info mi;

		if (!dm->modem)
			continue;
		modem_info(dm->modem, &mi);
		n += mi.state == MODEM_ST_READY;
		*queued += mi.queue_len;
	}
	return n;
}

static long long archive_bytes(struct chaperoned *d)
{
	char wal[4096];
	struct stat st;
	long long n = 0;

	if (d->database && stat(d->database, &st) == 0)
		n += st.st_size;
	snprintf(wal, sizeof(wal), "%s-wal", d->database ? d->database : "");
	if (d->database && stat(wal, &st) == 0)
		n += st.st_size;
	return n;
}

static void stats_cb(void *data)
{
	struct chaperoned *d = data;
	unsigned queued, ready = modems_ready(d, &queued);

	osmo_stat_item_set(osmo_stat_item_group_get_item(stats, STAT_MODEMS_READY), ready);
	osmo_stat_item_set(osmo_stat_item_group_get_item(stats, STAT_QUEUE_DEPTH), queued);
	osmo_stat_item_set(osmo_stat_item_group_get_item(stats, STAT_ARCHIVE_BYTES),
			   (int32_t)(archive_bytes(d) > INT32_MAX ? INT32_MAX : archive_bytes(d)));
	osmo_stat_item_set(osmo_stat_item_group_get_item(stats, STAT_CALL_LINES_FREE),
			   daemon_flow_lines(d, NULL));
	osmo_timer_schedule(&stats_timer, 1, 0);
}

/* ---- CTRL ---- */

static int get_counter(struct ctrl_cmd *cmd, int ctr)
{
	cmd->reply =
	    talloc_asprintf(cmd, "%" PRIu64, rate_ctr_group_get_ctr(g_daemon->ctrs, ctr)->current);
	return CTRL_CMD_REPLY;
}

CTRL_CMD_DEFINE_RO(modems, "modems");
static int get_modems(struct ctrl_cmd *cmd, void *data)
{
	struct daemon_modem *dm;
	char *s = talloc_strdup(cmd, "");

	(void)data;
	llist_for_each_entry (dm, &g_daemon->modems, list)
		s = talloc_asprintf_append(s, "%s%s %s", *s ? "," : "", dm->name,
					   dm->modem ? modem_state_name(modem_get_state(dm->modem))
						     : "not-started");
	cmd->reply = s;
	return CTRL_CMD_REPLY;
}

CTRL_CMD_DEFINE_RO(modems_ready, "modems-ready");
static int get_modems_ready(struct ctrl_cmd *cmd, void *data)
{
	unsigned queued;

	(void)data;
	cmd->reply = talloc_asprintf(cmd, "%u", modems_ready(g_daemon, &queued));
	return CTRL_CMD_REPLY;
}

CTRL_CMD_DEFINE_RO(queue_depth, "queue-depth");
static int get_queue_depth(struct ctrl_cmd *cmd, void *data)
{
	unsigned queued;

	(void)data;
	modems_ready(g_daemon, &queued);
	cmd->reply = talloc_asprintf(cmd, "%u", queued);
	return CTRL_CMD_REPLY;
}

CTRL_CMD_DEFINE_RO(msg_in, "messages-in");
static int get_msg_in(struct ctrl_cmd *cmd, void *data)
{
	(void)data;
	return get_counter(cmd, CTR_MSG_IN);
}

CTRL_CMD_DEFINE_RO(msg_out, "messages-out");
static int get_msg_out(struct ctrl_cmd *cmd, void *data)
{
	(void)data;
	return get_counter(cmd, CTR_MSG_OUT);
}

CTRL_CMD_DEFINE_RO(msg_held, "messages-held");
static int get_msg_held(struct ctrl_cmd *cmd, void *data)
{
	(void)data;
	return get_counter(cmd, CTR_MSG_HELD);
}

CTRL_CMD_DEFINE_RO(msg_blocked, "messages-blocked");
static int get_msg_blocked(struct ctrl_cmd *cmd, void *data)
{
	(void)data;
	return get_counter(cmd, CTR_MSG_BLOCKED);
}

CTRL_CMD_DEFINE_RO(archive_size, "archive-bytes");
static int get_archive_size(struct ctrl_cmd *cmd, void *data)
{
	(void)data;
	cmd->reply = talloc_asprintf(cmd, "%lld", archive_bytes(g_daemon));
	return CTRL_CMD_REPLY;
}

CTRL_CMD_DEFINE_RO(disk_free, "archive-disk-free");
static int get_disk_free(struct ctrl_cmd *cmd, void *data)
{
	uint64_t free_bytes;
	unsigned pct;
	int rc = daemon_archive_disk(g_daemon, &free_bytes, &pct);

	(void)data;
	if (rc < 0) {
		cmd->reply = talloc_asprintf(cmd, "cannot tell: %s", strerror(-rc));
		return CTRL_CMD_ERROR;
	}
	cmd->reply = talloc_asprintf(cmd, "%" PRIu64, free_bytes);
	return CTRL_CMD_REPLY;
}

CTRL_CMD_DEFINE_RO(last_anchor, "last-anchor");
static int get_last_anchor(struct ctrl_cmd *cmd, void *data)
{
	int64_t at;
	char iso[40];
	int rc = access_last_anchor(g_daemon->store, &at);

	(void)data;
	if (rc < 0) {
		cmd->reply = talloc_asprintf(cmd, "cannot read the archive: %s",
					     store_errmsg(g_daemon->store));
		return CTRL_CMD_ERROR;
	}
	if (rc)
		store_format_time(iso, sizeof(iso), at);
	cmd->reply = talloc_strdup(cmd, rc ? iso : "never");
	return CTRL_CMD_REPLY;
}

CTRL_CMD_DEFINE_RO(call_lines, "calls-lines");
static int get_call_lines(struct ctrl_cmd *cmd, void *data)
{
	unsigned total, free_lines = daemon_flow_lines(g_daemon, &total);

	(void)data;
	cmd->reply = talloc_asprintf(cmd, "%u/%u", free_lines, total);
	return CTRL_CMD_REPLY;
}

void daemon_ctrl_modem_state(struct daemon_modem *dm, enum modem_state st)
{
	char name[96], *value;

	if (!ctrl)
		return;
	snprintf(name, sizeof(name), "modem.%s.state", dm->name);
	value = talloc_strdup(ctrl, modem_state_name(st));
	ctrl_cmd_send_trap(ctrl, name, value);
	talloc_free(value);
}

int daemon_ctrl_start(struct chaperoned *d)
{
	struct ctrl_cmd_element *cmds[] = {
	    &cmd_modems,     &cmd_modems_ready, &cmd_queue_depth, &cmd_msg_in,
	    &cmd_msg_out,    &cmd_msg_held,	&cmd_msg_blocked, &cmd_archive_size,
	    &cmd_call_lines, &cmd_disk_free,	&cmd_last_anchor,
	};

	osmo_stats_init(d->ctx);
	stats = osmo_stat_item_group_alloc(d->ctx, &stat_group_desc, 0);
	if (!stats)
		return -ENOMEM;
	osmo_timer_setup(&stats_timer, stats_cb, d);
	stats_cb(d);
	if (d->statsd_host) {
		struct osmo_stats_reporter *srep = osmo_stats_reporter_create_statsd("chaperoned");

		statsd = srep;
		/* Every class: without a maximum the reporter reports nothing. */
		if (!srep ||
		    osmo_stats_reporter_set_max_class(srep, OSMO_STATS_CLASS_SUBSCRIBER) < 0 ||
		    osmo_stats_reporter_set_remote_addr(srep, d->statsd_host) < 0 ||
		    osmo_stats_reporter_set_remote_port(srep, (int)d->statsd_port) < 0 ||
		    osmo_stats_reporter_set_name_prefix(srep, "chaperoned") < 0 ||
		    osmo_stats_reporter_enable(srep) < 0) {
			fprintf(stderr, "chaperoned: cannot report to StatsD at %s:%u\n",
				d->statsd_host, d->statsd_port);
			return -EIO;
		}
		osmo_stats_set_interval((int)d->statsd_interval_s);
	}
	if (!d->ctrl_port)
		return 0;
	ctrl = ctrl_interface_setup_dynip(d, "127.0.0.1", d->ctrl_port, NULL);
	if (!ctrl) {
		fprintf(stderr, "chaperoned: cannot open the CTRL interface on 127.0.0.1:%u\n",
			d->ctrl_port);
		return -EIO;
	}
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (ctrl_cmd_install(CTRL_NODE_ROOT, cmds[i]) < 0)
			return -EIO;
	return 0;
}

void daemon_ctrl_stop(void)
{
	osmo_timer_del(&stats_timer);
	if (statsd) {
		/* Its send buffer is libosmocore's, on no context of ours. */
		osmo_stats_reporter_disable(statsd);
		osmo_stats_reporter_free(statsd);
		statsd = NULL;
	}
}
