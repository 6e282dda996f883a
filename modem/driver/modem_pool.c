/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The modems of one box: each with its own channel, FSM and send queue, found by relay
 * number (which SIM) or by configured name. A modem that is down keeps its queue; the
 * upper layer decides whether to move messages to another. */
#include <errno.h>
#include <string.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "modem/driver/modem_internal.h"
#include "modem/driver/modem_log.h"

struct modem_pool *modem_pool_alloc(void *ctx, const struct modem_events *ev, void *data)
{
	struct modem_pool *pool = talloc_zero(ctx, struct modem_pool);

	if (!pool)
		return NULL;
	INIT_LLIST_HEAD(&pool->modems);
	if (ev)
		pool->ev = *ev;
	pool->ev_data = data;
	return pool;
}

static void modem_free(struct modem *m)
{
	m->stopping = true;
	osmo_timer_del(&m->timer);
	modem_fsm_stop(m);
	modem_send_free_all(m);
	modem_rx_free_all(m);
	llist_del(&m->list);
	m->pool->count--;
	talloc_free(m);
}

void modem_pool_free(struct modem_pool *pool)
{
	struct modem *m, *tmp;

	if (!pool)
		return;
	llist_for_each_entry_safe (m, tmp, &pool->modems, list)
		modem_free(m);
	talloc_free(pool);
}

static bool same_number(const char *a, const char *b)
{
	if (*a == '+')
		a++;
	if (*b == '+')
		b++;
	return strcmp(a, b) == 0;
}

struct modem *modem_pool_add(struct modem_pool *pool, const struct modem_config *cfg)
{
	struct modem *m;

	if (!pool || !cfg || !cfg->name || !*cfg->name || !cfg->device || !*cfg->device) {
		LOGP(DMODEM, LOGL_ERROR, "modem without a name or device\n");
		return NULL;
	}
	if (modem_pool_by_name(pool, cfg->name)) {
		LOGP(DMODEM, LOGL_ERROR, "%s: configured twice\n", cfg->name);
		return NULL;
	}
	if (cfg->relay_number && *cfg->relay_number &&
	    modem_pool_by_relay(pool, cfg->relay_number)) {
		LOGP(DMODEM, LOGL_ERROR, "%s: relay number %s is another modem's\n", cfg->name,
		     cfg->relay_number);
		return NULL;
	}
	m = talloc_zero(pool, struct modem);
	m->pool = pool;
	m->cfg.name = talloc_strdup(m, cfg->name);
	m->cfg.device = talloc_strdup(m, cfg->device);
	m->cfg.relay_number = talloc_strdup(m, cfg->relay_number ? cfg->relay_number : "");
	m->cfg.profile = cfg->profile ? talloc_strdup(m, cfg->profile) : NULL;
	m->cfg.sim_pin = cfg->sim_pin && *cfg->sim_pin ? talloc_strdup(m, cfg->sim_pin) : NULL;
	m->cfg.health_interval_s = cfg->health_interval_s;
	if (cfg->profile && *cfg->profile && strcmp(cfg->profile, "auto") != 0) {
		m->profile = modem_profile_by_name(cfg->profile);
		if (!m->profile) {
			LOGP(DMODEM, LOGL_ERROR, "%s: no modem profile named %s\n", cfg->name,
			     cfg->profile);
			talloc_free(m);
			return NULL;
		}
		m->profile_fixed = true;
	} else {
		/* Until +CGMM says otherwise (recovery may need one before probing). */
		m->profile = modem_profile_for_cgmm("");
	}
	INIT_LLIST_HEAD(&m->rx_entries);
	modem_call_init(m);
	m->cfg.audio_device = cfg->audio_device && *cfg->audio_device
				  ? talloc_strdup(m, cfg->audio_device)
				  : talloc_asprintf(m, "%s.audio", cfg->device);
	modem_send_init(m);
	llist_add_tail(&m->list, &pool->modems);
	pool->count++;
	if (modem_fsm_start(m) < 0) {
		llist_del(&m->list);
		pool->count--;
		talloc_free(m);
		return NULL;
	}
	return m;
}

struct modem *modem_pool_by_relay(struct modem_pool *pool, const char *relay_number)
{
	struct modem *m;

	if (!relay_number || !*relay_number)
		return NULL;
	llist_for_each_entry (m, &pool->modems, list) {
		if (m->cfg.relay_number[0] && same_number(m->cfg.relay_number, relay_number))
			return m;
	}
	return NULL;
}

struct modem *modem_pool_by_name(struct modem_pool *pool, const char *name)
{
	struct modem *m;

	llist_for_each_entry (m, &pool->modems, list) {
		if (strcmp(m->cfg.name, name) == 0)
			return m;
	}
	return NULL;
}

unsigned modem_pool_count(const struct modem_pool *pool)
{
	return pool->count;
}

struct modem *modem_pool_get(struct modem_pool *pool, unsigned i)
{
	struct modem *m;

	llist_for_each_entry (m, &pool->modems, list) {
		if (i-- == 0)
			return m;
	}
	return NULL;
}

enum modem_state modem_get_state(const struct modem *m)
{
	return m->fi ? (enum modem_state)m->fi->state : MODEM_ST_STOPPED;
}

void modem_info(const struct modem *m, struct modem_info *info)
{
	memset(info, 0, sizeof(*info));
	info->name = m->cfg.name;
	info->device = m->cfg.device;
	info->relay_number = m->cfg.relay_number;
	info->profile = m->profile;
	info->state = modem_get_state(m);
	OSMO_STRLCPY_ARRAY(info->manufacturer, m->manufacturer);
	OSMO_STRLCPY_ARRAY(info->model, m->model);
	OSMO_STRLCPY_ARRAY(info->revision, m->revision);
	OSMO_STRLCPY_ARRAY(info->imei, m->imei);
	OSMO_STRLCPY_ARRAY(info->imsi, m->imsi);
	OSMO_STRLCPY_ARRAY(info->sim_status, m->sim_status);
	info->creg = m->creg;
	info->cereg = m->cereg;
	info->rssi = m->rssi;
	info->ber = m->ber;
	info->storage_used = m->storage_used;
	info->storage_total = m->storage_total;
	info->queue_len = m->queue_len;
	info->submitting = m->send_busy;
	info->recoveries = m->recoveries;
	info->rx_count = m->rx_count;
	info->tx_count = m->tx_count;
	info->tx_failed = m->tx_failed;
	info->stray_results = m->stray_results + (m->ch ? at_channel_stray_prompts(m->ch) : 0);
	info->per_minute = m->pacing.per_minute;
	info->daily_cap = m->pacing.daily_cap;
	info->sent_24h = modem_pacing_used(m);
	info->calls = modem_calls(m, NULL, 0);
	info->calls_in = m->calls_in;
	info->calls_out = m->calls_out;
	info->audio_strikes = m->audio_strikes;
	modem_audio_stats(m, &info->audio);
	OSMO_STRLCPY_ARRAY(info->port_error, m->port_error);
	info->port_busy = m->port_busy;
}
