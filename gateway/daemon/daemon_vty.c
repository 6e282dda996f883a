/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* What an operator sees at chaperoned's telnet VTY (localhost only):
 *   show modems   each modem's state, identity, signal, storage and queue
 *   show queues   deliveries by status (queued, waiting, sent, delivered, failed, held)
 *   show held     messages held for an administrator or for quiet hours
 *   show stats    the relay's counters since start, and the totals in the archive
 *   show rate-counters [skip-zero]
 *                 every rate counter group, as Osmocom daemons show them
 *   show policy   the rules in the order they run, and the district's settings
 *   show calls    the lines that carry calls, and each relayed call's legs
 * Nothing here reveals message bodies beyond what `chaperone held list` shows, and
 * nothing dumps memory. */
#include <inttypes.h>
#include <string.h>

#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/utils.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/misc.h>
#include <osmocom/vty/vty.h>

#include "gateway/daemon/chaperoned.h"
#include "storage/records/records.h"

/* Calls and the audio port's counters (docs/hardware.md says what each means). */
static void show_voice(struct vty *vty, const struct modem_info *mi)
{
	const struct modem_audio_stats *a = &mi->audio;

	vty_out(vty, "  calls %u now, %" PRIu64 " in, %" PRIu64 " out; audio %s%s", mi->calls,
		mi->calls_in, mi->calls_out, a->open ? "flowing" : "off", VTY_NEWLINE);
	vty_out(vty,
		"  audio frames %" PRIu64 " heard, %" PRIu64 " said; short reads %" PRIu64
		", re-aligned %" PRIu64 ", underruns %" PRIu64 ", dropped %" PRIu64
		", while stalled %" PRIu64 ", queue at most %u, switch-on strikes %" PRIu64 "%s",
		a->frames_in, a->frames_out, a->short_reads, a->realigns, a->underruns, a->drops,
		a->stall_frames, a->max_queue, mi->audio_strikes, VTY_NEWLINE);
}

DEFUN(show_modems, show_modems_cmd, "show modems", SHOW_STR "Modems and their relay numbers\n")
{
	struct daemon_modem *dm;

	llist_for_each_entry (dm, &g_daemon->modems, list) {
		struct modem_info mi;
		if (!dm->modem) {
			vty_out(vty, "%s %s: not started%s", dm->name, dm->relay_number,
				VTY_NEWLINE);
			continue;
		}
		modem_info(dm->modem, &mi);
		vty_out(vty, "%s %s %s%s", mi.name, mi.relay_number, modem_state_name(mi.state),
			VTY_NEWLINE);
		vty_out(vty, "  device %s, profile %s, %s %s rev %s%s", mi.device,
			mi.profile ? mi.profile->name : "-", mi.manufacturer, mi.model, mi.revision,
			VTY_NEWLINE);
		vty_out(vty, "  SIM %s, IMSI %s, registration %d/%d, signal %d%s", mi.sim_status,
			mi.imsi, mi.creg, mi.cereg, mi.rssi, VTY_NEWLINE);
		vty_out(vty,
			"  storage %d/%d, queue %u, received %" PRIu64 ", sent %" PRIu64
			", failed %" PRIu64 ", recoveries %u%s",
			mi.storage_used, mi.storage_total, mi.queue_len, mi.rx_count, mi.tx_count,
			mi.tx_failed, mi.recoveries, VTY_NEWLINE);
		if (mi.per_minute || mi.daily_cap) {
			char rate[32] = "no rate limit", cap[96] = "no daily cap";

			if (mi.per_minute)
				snprintf(rate, sizeof(rate), "%u a minute", mi.per_minute);
			if (mi.daily_cap)
				snprintf(cap, sizeof(cap),
					 "%u of its daily cap of %u in 24 h (%u%%)%s", mi.sent_24h,
					 mi.daily_cap, mi.sent_24h * 100 / mi.daily_cap,
					 modem_paced(dm->modem)		       ? ": waiting"
					 : mi.sent_24h * 5 >= mi.daily_cap * 4 ? ": near"
									       : "");
			vty_out(vty, "  pacing %s, %s%s", rate, cap, VTY_NEWLINE);
		}
		if (mi.profile && mi.profile->voice.kind != MODEM_VOICE_NONE)
			show_voice(vty, &mi);
	}
	return CMD_SUCCESS;
}

static void count_line(enum rec_status status, int64_t n, void *data)
{
	struct vty *vty = data;

	vty_out(vty, "  %-10s %" PRId64 "%s", get_value_string(rec_status_names, status), n,
		VTY_NEWLINE);
}

DEFUN(show_queues, show_queues_cmd, "show queues", SHOW_STR "Deliveries by status\n")
{
	struct daemon_modem *dm;

	vty_out(vty, "Deliveries by latest status:%s", VTY_NEWLINE);
	rec_delivery_counts(g_daemon->store, count_line, vty);
	vty_out(vty, "Modem queues:%s", VTY_NEWLINE);
	llist_for_each_entry (dm, &g_daemon->modems, list) {
		struct modem_info mi;
		if (!dm->modem)
			continue;
		modem_info(dm->modem, &mi);
		vty_out(vty, "  %-10s %u waiting to be submitted (%s)%s", dm->name, mi.queue_len,
			modem_state_name(mi.state), VTY_NEWLINE);
	}
	return CMD_SUCCESS;
}

static void held_line(const struct rec_held *h, void *data)
{
	struct vty *vty = data;
	char at[32], until[32] = "";

	store_format_time(at, sizeof(at), h->at);
	if (h->hold_until)
		store_format_time(until, sizeof(until), h->hold_until);
	vty_out(vty, "%" PRId64 " %s from %s on %s [%s] %s%s%s: %s%s", h->verdict_id, at,
		h->sender_number, h->relay, h->rules, h->release, h->hold_until ? " until " : "",
		until, h->reason, VTY_NEWLINE);
}

DEFUN(show_held, show_held_cmd, "show held", SHOW_STR "Messages held for release\n")
{
	rec_held_list(g_daemon->store, held_line, vty);
	return CMD_SUCCESS;
}

/* The totals `show stats` reads from the archive, as it labels them. */
static const char *const record_labels[] = {
    "Messages in",
    "Deliveries",
    "Messages blocked by policy",
    "Messages held",
    "Messages from unknown numbers",
    "Opt-outs (STOP)",
};

/* One line of `show stats`: the name padded to `width` and the value right-aligned after
 * it, so that every value of the command is in one column. */
static void stats_line(struct vty *vty, int width, const char *name, int64_t value,
		       const char *rest)
{
	if (value < 0)
		vty_out(vty, "  %-*s %10s%s%s", width, name, "?", rest, VTY_NEWLINE);
	else
		vty_out(vty, "  %-*s %10" PRId64 "%s%s", width, name, value, rest, VTY_NEWLINE);
}

DEFUN(show_stats, show_stats_cmd, "show stats",
      SHOW_STR "Message counters since start, and the totals in the archive\n")
{
	struct rate_ctr_group *g = g_daemon->ctrs;
	const struct rate_ctr_group_desc *gd = g->desc;
	struct rec_counts c;
	int64_t totals[ARRAY_SIZE(record_labels)];
	int width = 0;

	for (unsigned i = 0; i < gd->num_ctr; i++)
		width = OSMO_MAX(width, (int)strlen(gd->ctr_desc[i].description));
	for (unsigned i = 0; i < ARRAY_SIZE(record_labels); i++)
		width = OSMO_MAX(width, (int)strlen(record_labels[i]));

	vty_out(vty, "%s, since start:%s", gd->group_description, VTY_NEWLINE);
	for (unsigned i = 0; i < gd->num_ctr; i++) {
		const struct rate_ctr *r = rate_ctr_group_get_ctr(g, i);
		char rates[128];

		snprintf(rates, sizeof(rates),
			 "  (%" PRIu64 "/s %" PRIu64 "/m %" PRIu64 "/h %" PRIu64 "/d)",
			 r->intv[RATE_CTR_INTV_SEC].rate, r->intv[RATE_CTR_INTV_MIN].rate,
			 r->intv[RATE_CTR_INTV_HOUR].rate, r->intv[RATE_CTR_INTV_DAY].rate);
		stats_line(vty, width, gd->ctr_desc[i].description,
			   r->current > INT64_MAX ? INT64_MAX : (int64_t)r->current, rates);
	}

	rec_counts(g_daemon->store, &c);
	totals[0] = c.messages_in;
	totals[1] = c.deliveries;
	totals[2] = c.blocked;
	totals[3] = c.held;
	totals[4] = c.unknown;
	totals[5] = c.optouts;
	vty_out(vty, "In the archive:%s", VTY_NEWLINE);
	for (unsigned i = 0; i < ARRAY_SIZE(record_labels); i++)
		stats_line(vty, width, record_labels[i], totals[i], "");
	return CMD_SUCCESS;
}

/* As libosmocore's own (src/vty/stats_vty.c), whose osmo_stats_vty_add_cmds() this
 * daemon does not call: see read_config() in chaperoned_main.c. */
struct rate_counters_ctx {
	struct vty *vty;
	bool skip_zero;
};

static int rate_counters_group(struct rate_ctr_group *g, void *data)
{
	struct rate_counters_ctx *rc = data;
	struct vty *vty = rc->vty; /* VTY_NEWLINE names it */

	vty_out(vty, "%s %u", g->desc->group_description, g->idx);
	if (g->name)
		vty_out(vty, " (%s)", g->name);
	vty_out(vty, ":%s", VTY_NEWLINE);
	vty_out_rate_ctr_group_fmt2(vty, "%25n: %10c (%S/s %M/m %H/h %D/d) %d", g, rc->skip_zero);
	return 0;
}

DEFUN(show_rate_counters, show_rate_counters_cmd, "show rate-counters [skip-zero]",
      SHOW_STR "Every rate counter of the process, by group\n"
	       "Leave out the counters that are zero\n")
{
	struct rate_counters_ctx rc = {.vty = vty, .skip_zero = argc > 0};

	rate_ctr_for_each_group(rate_counters_group, &rc);
	return CMD_SUCCESS;
}

DEFUN(show_policy, show_policy_cmd, "show policy", SHOW_STR "Policy rules and settings\n")
{
	unsigned n;
	const struct policy_rule_info *rules = policy_rules(&n);
	const struct policy_config *p = &g_daemon->rcfg.policy;

	for (unsigned i = 0; i < n; i++)
		vty_out(vty, "%2u %-15s %s%s", i + 1, rules[i].id, rules[i].summary, VTY_NEWLINE);
	vty_out(vty, "guardians on team messages: %s; quiet hours: ",
		p->guardians_on_team_messages ? "yes" : "no");
	if (p->quiet_hours)
		vty_out(vty, "%02d:%02d-%02d:%02d", p->quiet_start_min / 60,
			p->quiet_start_min % 60, p->quiet_end_min / 60, p->quiet_end_min % 60);
	else
		vty_out(vty, "off");
	vty_out(vty, "; oversight: %s; contact screen: %s; notice: %s%s",
		p->oversight == POLICY_OVERSIGHT_COPY	  ? "copy"
		: p->oversight == POLICY_OVERSIGHT_DIGEST ? "digest"
							  : "off",
		p->contact_screen ? "yes" : "no", p->notice ? "yes" : "no", VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(show_calls, show_calls_cmd, "show calls",
      SHOW_STR "Lines that carry calls, and the relayed calls now\n")
{
	daemon_flow_show(g_daemon, vty);
	return CMD_SUCCESS;
}

DEFUN(send_digest, send_digest_cmd, "digest send",
      "Oversight digest\nSend the daily digest now to overseers who have not had one today\n")
{
	unsigned n = router_send_digests(g_daemon->router, store_now_ms());

	vty_out(vty, "%u digest%s queued%s", n, n == 1 ? "" : "s", VTY_NEWLINE);
	return CMD_SUCCESS;
}

void daemon_vty_init(void)
{
	install_element_ve(&show_modems_cmd);
	install_element_ve(&show_queues_cmd);
	install_element_ve(&show_held_cmd);
	install_element_ve(&show_stats_cmd);
	install_element_ve(&show_rate_counters_cmd);
	install_element_ve(&show_policy_cmd);
	install_element_ve(&show_calls_cmd);
	install_element(ENABLE_NODE, &send_digest_cmd);
}
