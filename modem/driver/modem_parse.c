/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The AT commands a state's script builds (modem_build_*) and the parsers of their
 * answers (modem_parse_*), which fill in struct modem: identity, SIM status,
 * registration and signal, message storage, +CNMI. Parsers see every answer, ERROR
 * included. No I/O here: modem_script.c sends the commands, and modem_fsm.c decides
 * what the answers mean for the state. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/utils.h>

#include "modem/driver/modem_internal.h"

const char *modem_resp_line(const struct at_response *resp, const char *prefix)
{
	size_t n = strlen(prefix);

	for (unsigned i = 0; i < resp->n_lines; i++) {
		if (strncmp(resp->lines[i], prefix, n) == 0)
			return resp->lines[i] + n;
	}
	return NULL;
}

/* First line that is not a "+NAME:" line (+CGMI and friends answer bare text; some
 * modems prefix it anyway, e.g. SIM7600's "+CGMR: ..."). */
static void copy_ident(char *dst, size_t cap, const struct at_response *resp, const char *prefix)
{
	const char *v;

	if (resp->result != AT_RES_OK || resp->n_lines == 0)
		return;
	v = modem_resp_line(resp, prefix);
	if (!v)
		v = resp->lines[0];
	while (*v == ' ')
		v++;
	osmo_strlcpy(dst, v, cap);
}

/* ---- Identity (probing) ---- */

void modem_parse_cgmi(struct modem *m, const struct at_response *r)
{
	copy_ident(m->manufacturer, sizeof(m->manufacturer), r, "+CGMI:");
}

void modem_parse_cgmm(struct modem *m, const struct at_response *r)
{
	copy_ident(m->model, sizeof(m->model), r, "+CGMM:");
}

void modem_parse_cgmr(struct modem *m, const struct at_response *r)
{
	copy_ident(m->revision, sizeof(m->revision), r, "+CGMR:");
}

void modem_parse_cgsn(struct modem *m, const struct at_response *r)
{
	copy_ident(m->imei, sizeof(m->imei), r, "+CGSN:");
}

void modem_parse_cimi(struct modem *m, const struct at_response *r)
{
	copy_ident(m->imsi, sizeof(m->imsi), r, "+CIMI:");
}

/* ---- The SIM ---- */

void modem_parse_cpin(struct modem *m, const struct at_response *r)
{
	const char *v = r->result == AT_RES_OK ? modem_resp_line(r, "+CPIN:") : NULL;

	if (!v) {
		osmo_strlcpy(m->sim_status, r->result == AT_RES_OK ? "?" : r->final_line,
			     sizeof(m->sim_status));
		return;
	}
	while (*v == ' ')
		v++;
	osmo_strlcpy(m->sim_status, v, sizeof(m->sim_status));
}

void modem_build_cpin(struct modem *m, char *buf, size_t cap)
{
	snprintf(buf, cap, "AT+CPIN=\"%s\"", m->cfg.sim_pin);
}

void modem_parse_cpin_set(struct modem *m, const struct at_response *r)
{
	if (r->result != AT_RES_OK) {
		/* Never try a rejected PIN again: three tries lock the SIM for good. */
		LOGPFSML(m->fi, LOGL_ERROR, "SIM PIN rejected (%s); not trying it again\n",
			 r->final_line);
		m->pin_rejected = true;
	}
}

/* ---- Registration and signal ---- */

/* "+CREG: <n>,<stat>[,...]" as a command answer, "+CREG: <stat>[,...]" as a URC. */
static int reg_stat(const char *v, bool answer)
{
	int a = -1, b = -1;
	int n = sscanf(v, " %d , %d", &a, &b);

	if (answer)
		return n == 2 ? b : -1;
	return n >= 1 ? a : -1;
}

void modem_parse_creg(struct modem *m, const struct at_response *r)
{
	const char *v = r->result == AT_RES_OK ? modem_resp_line(r, "+CREG:") : NULL;

	m->creg = v ? reg_stat(v, true) : -1;
}

void modem_parse_cereg(struct modem *m, const struct at_response *r)
{
	const char *v = r->result == AT_RES_OK ? modem_resp_line(r, "+CEREG:") : NULL;

	m->cereg = v ? reg_stat(v, true) : -1;
}

bool modem_registered(const struct modem *m)
{
	return m->creg == 1 || m->creg == 5 || m->cereg == 1 || m->cereg == 5;
}

void modem_parse_csq(struct modem *m, const struct at_response *r)
{
	const char *v = r->result == AT_RES_OK ? modem_resp_line(r, "+CSQ:") : NULL;

	if (!v || sscanf(v, " %d , %d", &m->rssi, &m->ber) != 2)
		m->rssi = m->ber = -1;
}

/* ---- Message storage ---- */

/* "+CPMS: <used1>,<total1>,..." (set) or "+CPMS: "SM",<used1>,<total1>,..." (query). */
void modem_parse_cpms(struct modem *m, const struct at_response *r)
{
	const char *v = r->result == AT_RES_OK ? modem_resp_line(r, "+CPMS:") : NULL;
	int used, total;

	if (!v)
		return;
	while (*v == ' ')
		v++;
	if (*v == '"') {
		v = strchr(v + 1, '"');
		if (!v || v[1] != ',')
			return;
		v += 2;
	}
	if (sscanf(v, "%d , %d", &used, &total) == 2) {
		m->storage_used = used;
		m->storage_total = total;
	}
}

static const char *profile_storage(const struct modem *m)
{
	return m->profile->storage ? m->profile->storage : "SM";
}

/* "+CPMS: ("SM","ME","SR"),(...),(...)": the storages we can read from (the first
 * group), except the profile's own, "MT" (SM and ME together: read through those) and
 * "BM" (cell broadcast, not SMS). */
void modem_parse_cpms_list(struct modem *m, const struct at_response *r)
{
	const char *v = r->result == AT_RES_OK ? modem_resp_line(r, "+CPMS:") : NULL;
	const char *end;

	m->drain_n = 0;
	m->drain_pos = 0;
	if (!v || !(v = strchr(v, '(')) || !(end = strchr(v, ')')))
		return;
	while ((v = memchr(v, '"', (size_t)(end - v))) && m->drain_n < ARRAY_SIZE(m->drain)) {
		const char *q = memchr(v + 1, '"', (size_t)(end - v - 1));
		char name[8];

		if (!q)
			break;
		snprintf(name, sizeof(name), "%.*s", (int)(q - v - 1), v + 1);
		v = q + 1;
		if (strlen(name) != 2 || !strcmp(name, profile_storage(m)) || !strcmp(name, "MT") ||
		    !strcmp(name, "BM"))
			continue;
		osmo_strlcpy(m->drain[m->drain_n++], name, sizeof(m->drain[0]));
	}
}

/* Read and delete from the storage being drained (mem1 only). */
void modem_build_cpms_drain(struct modem *m, char *buf, size_t cap)
{
	snprintf(buf, cap, "AT+CPMS=\"%s\"", m->drain[m->drain_pos]);
}

void modem_build_cpms(struct modem *m, char *buf, size_t cap)
{
	const char *s = profile_storage(m);

	snprintf(buf, cap, "AT+CPMS=\"%s\",\"%s\",\"%s\"", s, s, s);
}

/* ---- New-message indications (+CNMI) ---- */

static const char *cnmi_wanted(const struct modem *m)
{
	return m->profile->rx_mode == MODEM_RX_DIRECT ? m->profile->cnmi_direct
						      : m->profile->cnmi_stored;
}

void modem_build_cnmi(struct modem *m, char *buf, size_t cap)
{
	osmo_strlcpy(m->cnmi_set, cnmi_wanted(m), sizeof(m->cnmi_set));
	snprintf(buf, cap, "AT+CNMI=%s", m->cnmi_set);
}

void modem_parse_cnmi_query(struct modem *m, const struct at_response *r)
{
	const char *v = r->result == AT_RES_OK ? modem_resp_line(r, "+CNMI:") : NULL;

	m->cnmi_seen[0] = '\0';
	if (v) {
		while (*v == ' ')
			v++;
		osmo_strlcpy(m->cnmi_seen, v, sizeof(m->cnmi_seen));
	}
}

/* Compare "+CNMI: 2,2,0,1,0" with what we set, field by field for the fields we set. */
bool modem_cnmi_matches(const char *seen, const char *set)
{
	int a[5], b[5];
	int na = sscanf(seen, "%d,%d,%d,%d,%d", &a[0], &a[1], &a[2], &a[3], &a[4]);
	int nb = sscanf(set, "%d,%d,%d,%d,%d", &b[0], &b[1], &b[2], &b[3], &b[4]);

	if (nb <= 0 || na < nb)
		return false;
	for (int i = 0; i < nb; i++) {
		if (a[i] != b[i])
			return false;
	}
	return true;
}

/* ---- The profile's own init strings ---- */

const char *modem_init_cmd(const struct modem *m, unsigned pos)
{
	unsigned n = 0;

	for (; m->profile->init && m->profile->init[n]; n++)
		if (n == pos)
			return m->profile->init[n];
	return modem_call_init_cmd(m, pos - n);
}

void modem_build_init(struct modem *m, char *buf, size_t cap)
{
	osmo_strlcpy(buf, modem_init_cmd(m, m->init_pos), cap);
}

void modem_parse_init(struct modem *m, const struct at_response *r)
{
	const char *cmd = modem_init_cmd(m, m->init_pos);
	const char *on = m->profile->voice.audio_on;

	/* Audio switched on once at set-up (Quectel): failing is a strike. */
	if (cmd && on && strcmp(cmd, on) == 0 && m->profile->voice.arm == MODEM_AUDIO_AT_INIT) {
		m->audio_ok = r->result == AT_RES_OK;
		if (!m->audio_ok && r->result != AT_RES_CLOSED) {
			m->audio_strikes++;
			LOGPFSML(m->fi, LOGL_ERROR, "audio: %s failed at set-up\n", on);
		}
	}
	m->init_pos++;
}
