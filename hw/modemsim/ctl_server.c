/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Control socket server: JSON requests from tests and `modemsim ctl`. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "hw/modemsim/ctl_server.h"
#include "hw/modemsim/faults.h"
#include "hw/modemsim/sim_modem.h"
#include "hw/modemsim/modemsim.h"
#include "hw/modemsim/network.h"
#include "hw/modemsim/phone.h"
#include "hw/modemsim/profile.h"
#include "hw/modemsim/trace.h"

/* Longest request line; a client that sends more without a newline is cut off. */
#define CTL_LINE_MAX (256 * 1024)
/* Responses a slow client may leave unread (an inbox can be large). */
#define CTL_OUT_MAX (16 * 1024 * 1024)
/* Most bytes of random line noise one request may ask for. */
#define GARBAGE_MAX 4096

struct ctl_server {
	struct simulator *sim;
	struct osmo_fd listen;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct llist_head conns;
};

struct ctl_conn {
	struct llist_head list;
	struct ctl_server *srv;
	struct osmo_fd ofd;
	char *in;
	size_t in_len;
	struct outbuf out;
	bool closing; /* close once the output is written */
};

/* ---- request helpers ---- */

struct json_object *resp_error(const char *fmt, ...)
{
	struct json_object *o = json_object_new_object();
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "ok", json_object_new_boolean(false));
	json_object_object_add(o, "error", json_object_new_string(buf));
	return o;
}

struct json_object *resp_ok(void)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(true));
	return o;
}

const char *get_str(struct json_object *req, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* An optional non-negative integer field. Returns false when present but not one. */
bool get_uint(struct json_object *req, const char *key, unsigned def, unsigned *out)
{
	struct json_object *v;
	int64_t x;

	*out = def;
	if (!json_object_object_get_ex(req, key, &v) || json_object_is_type(v, json_type_null))
		return true;
	if (!json_object_is_type(v, json_type_int))
		return false;
	x = json_object_get_int64(v);
	if (x < 0 || x > 100000000)
		return false;
	*out = (unsigned)x;
	return true;
}

/* An optional boolean field. Returns false when present but not a boolean. */
bool get_bool(struct json_object *req, const char *key, bool def, bool *out)
{
	struct json_object *v;

	*out = def;
	if (!json_object_object_get_ex(req, key, &v) || json_object_is_type(v, json_type_null))
		return true;
	if (!json_object_is_type(v, json_type_boolean))
		return false;
	*out = json_object_get_boolean(v);
	return true;
}

struct simulator *ctl_simulator(struct ctl_server *srv)
{
	return srv->sim;
}

struct sim_modem *req_modem(struct ctl_server *srv, struct json_object *req, const char *key,
			    struct json_object **err)
{
	const char *name = get_str(req, key);
	struct sim_modem *m;

	if (!name) {
		*err = resp_error("\"%s\" (modem name or MSISDN) is required", key);
		return NULL;
	}
	m = sim_find_modem(srv->sim, name);
	if (!m)
		*err = resp_error("no modem \"%s\"", name);
	return m;
}

/* ---- commands ---- */

static struct json_object *storage_counts(struct sim_modem *m)
{
	struct json_object *o = json_object_new_object();

	for (unsigned i = 0; i < MEM_COUNT; i++) {
		struct json_object *s = json_object_new_object();

		json_object_object_add(s, "used",
				       json_object_new_int((int)sms_store_used(m->mem[i])));
		json_object_object_add(s, "total", json_object_new_int((int)m->mem[i]->total));
		json_object_object_add(o, m->mem[i]->name, s);
	}
	return o;
}

static struct json_object *sim_modem_status(struct ctl_server *srv, struct sim_modem *m)
{
	struct json_object *o = json_object_new_object();
	struct json_object *cnmi = json_object_new_array();
	struct json_object *cpms = json_object_new_array();

	for (unsigned i = 0; i < 5; i++)
		json_object_array_add(cnmi, json_object_new_int(m->at.cnmi[i]));
	for (unsigned i = 0; i < 3; i++)
		json_object_array_add(cpms, json_object_new_string(sim_modem_mem(m, i)->name));
	json_object_object_add(o, "name", json_object_new_string(m->name));
	json_object_object_add(o, "msisdn", json_object_new_string(m->msisdn));
	json_object_object_add(o, "path", json_object_new_string(m->pty.link_path));
	json_object_object_add(o, "pts", json_object_new_string(m->pty.up ? m->pty.pts_path : ""));
	json_object_object_add(o, "present", json_object_new_boolean(m->pty.up));
	json_object_object_add(o, "model", json_object_new_string(m->profile->name));
	json_object_object_add(o, "imei", json_object_new_string(m->imei));
	json_object_object_add(o, "imsi", json_object_new_string(m->imsi));
	json_object_object_add(o, "registered", json_object_new_boolean(sim_modem_attached(m)));
	json_object_object_add(o, "creg", json_object_new_int(sim_modem_reg_cs(m)));
	json_object_object_add(o, "cereg", json_object_new_int(sim_modem_reg_eps(m)));
	json_object_object_add(o, "cfun", json_object_new_int(m->cfun));
	json_object_object_add(o, "echo", json_object_new_boolean(m->at.echo));
	json_object_object_add(o, "cmee", json_object_new_int(m->at.cmee));
	json_object_object_add(o, "cmgf", json_object_new_int(m->at.cmgf));
	json_object_object_add(o, "csms", json_object_new_int(m->at.csms));
	json_object_object_add(o, "cmms", json_object_new_int(m->at.cmms));
	json_object_object_add(o, "cnmi", cnmi);
	json_object_object_add(o, "cpms", cpms);
	json_object_object_add(o, "storage", storage_counts(m));
	json_object_object_add(o, "pending_network",
			       json_object_new_int((int)net_pending_for(srv->sim->net, m)));
	json_object_object_add(o, "submitted", json_object_new_int((int)m->submitted));
	json_object_object_add(o, "received", json_object_new_int((int)m->received));
	json_object_object_add(o, "command_lines", json_object_new_int((int)m->command_lines));
	json_object_object_add(o, "awaiting_ack", json_object_new_boolean(m->awaiting_ack != NULL));
	json_object_object_add(o, "faults", faults_json(m));
	json_object_object_add(o, "submit_ms", json_object_new_int((int)m->submit_ms));
	json_object_object_add(o, "deliver_ms", json_object_new_int((int)m->deliver_ms));
	json_object_object_add(o, "voice", ctl_voice_status(m));
	return o;
}

static struct json_object *cmd_status(struct ctl_server *srv, struct json_object *req)
{
	struct json_object *o = resp_ok();
	struct json_object *modems = json_object_new_array();
	struct json_object *phones = json_object_new_array();
	struct phone *p;

	(void)req;
	for (unsigned i = 0; i < srv->sim->n_modems; i++)
		json_object_array_add(modems, sim_modem_status(srv, srv->sim->modems[i]));
	llist_for_each_entry (p, &srv->sim->net->phones, list)
		json_object_array_add(phones, phone_json(p));
	json_object_object_add(o, "modems", modems);
	json_object_object_add(o, "phones", phones);
	return o;
}

static struct json_object *cmd_send(struct ctl_server *srv, struct json_object *req)
{
	struct json_object *err = NULL, *o;
	const char *from = get_str(req, "from");
	const char *text = get_str(req, "text");
	const char *hex = get_str(req, "pdu");
	struct sim_modem *m;
	struct sms_address addr;
	bool class0;
	int n;

	if (!from)
		return resp_error("\"from\" (phone number or alphanumeric sender) is required");
	m = req_modem(srv, req, "to", &err);
	if (!m)
		return err;
	if (!text == !hex)
		return resp_error("give either \"text\" or \"pdu\"");
	if (!get_bool(req, "class0", false, &class0))
		return resp_error("\"class0\" must be a boolean");
	if (sms_address_from_text(&addr, from) < 0)
		return resp_error("\"from\" is not a valid originator: \"%s\"", from);
	if (text) {
		n = net_send_text(srv->sim->net, from, m, text, strlen(text), class0);
		if (n < 0)
			return resp_error("cannot send text: %s", sms_strerror(n));
	} else {
		uint8_t tpdu[SMS_PDU_MAX];

		n = sms_hex_decode(tpdu, sizeof(tpdu), hex, strlen(hex));
		if (n <= 0)
			return resp_error("\"pdu\" is not hex: %s",
					  n < 0 ? sms_strerror(n) : "empty");
		n = net_send_pdu(srv->sim->net, m, tpdu, (size_t)n);
		if (n < 0)
			return resp_error("cannot send PDU: %s", sms_strerror(n));
	}
	/* A numeric sender is a phone of the simulated network from now on. */
	if (addr.ton != SMS_TON_ALPHANUMERIC)
		phone_get(srv->sim->net, from);
	o = resp_ok();
	json_object_object_add(o, "parts", json_object_new_int(n));
	return o;
}

static struct json_object *cmd_inbox(struct ctl_server *srv, struct json_object *req)
{
	const char *number = get_str(req, "phone");
	struct json_object *o, *arr;
	struct phone *p;
	bool clear;

	if (!get_bool(req, "clear", false, &clear))
		return resp_error("\"clear\" must be a boolean");
	arr = json_object_new_array();
	if (number) {
		p = phone_find(srv->sim->net, number);
		if (p)
			phone_inbox_json(p, arr, clear);
	} else {
		llist_for_each_entry (p, &srv->sim->net->phones, list)
			phone_inbox_json(p, arr, clear);
	}
	o = resp_ok();
	json_object_object_add(o, "messages", arr);
	return o;
}

static struct json_object *cmd_latency(struct ctl_server *srv, struct json_object *req)
{
	struct json_object *err = NULL, *o;
	struct sim_modem *m = req_modem(srv, req, "modem", &err);
	unsigned submit, deliver;

	if (!m)
		return err;
	if (!get_uint(req, "submit_ms", m->submit_ms, &submit) ||
	    !get_uint(req, "deliver_ms", m->deliver_ms, &deliver))
		return resp_error("\"submit_ms\" and \"deliver_ms\" must be non-negative integers");
	m->submit_ms = submit;
	m->deliver_ms = deliver;
	o = resp_ok();
	json_object_object_add(o, "submit_ms", json_object_new_int((int)submit));
	json_object_object_add(o, "deliver_ms", json_object_new_int((int)deliver));
	return o;
}

static struct json_object *fault_garbage_req(struct sim_modem *m, struct json_object *req)
{
	const char *hex = get_str(req, "hex");
	uint8_t buf[GARBAGE_MAX];
	unsigned n;
	size_t len;

	if (hex) {
		len = strlen(hex);
		if (len % 2 || len / 2 > sizeof(buf) ||
		    osmo_hexparse(hex, buf, sizeof(buf)) != (int)(len / 2))
			return resp_error(
			    "\"hex\" must be an even number of hex digits, at most %d bytes",
			    GARBAGE_MAX);
		fault_garbage(m, buf, len / 2);
		return resp_ok();
	}
	if (!get_uint(req, "random", 0, &n) || n == 0 || n > GARBAGE_MAX)
		return resp_error("give \"hex\" or \"random\" (1..%d bytes)", GARBAGE_MAX);
	for (unsigned i = 0; i < n; i++)
		buf[i] = (uint8_t)random();
	fault_garbage(m, buf, n);
	return resp_ok();
}

static struct json_object *cmd_fault(struct ctl_server *srv, struct json_object *req)
{
	struct json_object *err = NULL, *o;
	struct sim_modem *m = req_modem(srv, req, "modem", &err);
	const char *kind = get_str(req, "kind");
	unsigned ms, code, count;
	bool on;

	if (!m)
		return err;
	if (!kind)
		return resp_error("\"kind\" is required");
	if (!get_uint(req, "ms", 0, &ms))
		return resp_error("\"ms\" must be a non-negative integer");
	if (!get_bool(req, "on", true, &on))
		return resp_error("\"on\" must be a boolean");

	if (strcmp(kind, "hang") == 0) {
		fault_hang(m, ms);
	} else if (strcmp(kind, "garbage") == 0) {
		return fault_garbage_req(m, req);
	} else if (strcmp(kind, "cms_error") == 0) {
		if (!get_uint(req, "code", 500, &code) || !get_uint(req, "count", 1, &count) ||
		    code > 65535)
			return resp_error("\"code\" and \"count\" must be non-negative integers");
		fault_cms_error(m, code, count);
	} else if (strcmp(kind, "sim_full") == 0) {
		o = resp_ok();
		json_object_object_add(o, "filled", json_object_new_int((int)fault_sim_full(m)));
		return o;
	} else if (strcmp(kind, "deregister") == 0) {
		fault_deregister(m, ms);
	} else if (strcmp(kind, "register") == 0) {
		fault_register(m);
	} else if (strcmp(kind, "cs_unregistered") == 0) {
		fault_cs_unregistered(m, on);
	} else if (strcmp(kind, "vanish") == 0) {
		if (!get_uint(req, "ms", 1000, &ms))
			return resp_error("\"ms\" must be a non-negative integer");
		fault_vanish(m, ms);
	} else if (strcmp(kind, "urc_in_response") == 0) {
		fault_urc_in_response(m);
	} else if (strcmp(kind, "pin") == 0) {
		fault_pin(m, on);
	} else if (strcmp(kind, "clear") == 0) {
		fault_clear(m);
	} else if ((o = ctl_voice_fault(m, kind, req))) {
		return o;
	} else {
		return resp_error("unknown fault \"%s\"", kind);
	}
	return resp_ok();
}

static struct json_object *cmd_phone(struct ctl_server *srv, struct json_object *req)
{
	const char *number = get_str(req, "number");
	struct sms_address addr;
	struct json_object *o;
	struct phone *p;
	bool reachable;

	if (!number || sms_address_from_text(&addr, number) < 0 || addr.ton == SMS_TON_ALPHANUMERIC)
		return resp_error("\"number\" (a phone number) is required");
	p = phone_get(srv->sim->net, number);
	if (!p)
		return resp_error("out of memory");
	if (!get_bool(req, "reachable", p->reachable, &reachable))
		return resp_error("\"reachable\" must be a boolean");
	p->reachable = reachable;
	o = resp_ok();
	json_object_object_add(o, "phone", phone_json(p));
	return o;
}

static struct json_object *cmd_sim(struct ctl_server *srv, struct json_object *req)
{
	struct json_object *err = NULL, *o, *storage;
	struct sim_modem *m = req_modem(srv, req, "modem", &err);

	if (!m)
		return err;
	storage = json_object_new_object();
	for (unsigned i = 0; i < MEM_COUNT; i++) {
		struct sms_store *st = m->mem[i];
		struct json_object *arr = json_object_new_array();

		for (unsigned idx = 1; idx <= st->total; idx++) {
			struct sms_slot *slot = sms_store_get(st, idx);
			char hex[2 * SMS_PDU_MAX + 1];
			struct json_object *e;

			if (!slot)
				continue;
			if (sms_hex_encode(hex, sizeof(hex), slot->pdu, slot->len) < 0)
				hex[0] = '\0';
			e = json_object_new_object();
			json_object_object_add(e, "index", json_object_new_int((int)idx));
			json_object_object_add(e, "stat",
					       json_object_new_string(sms_stat_name(slot->stat)));
			json_object_object_add(e, "pdu", json_object_new_string(hex));
			json_object_array_add(arr, e);
		}
		json_object_object_add(storage, st->name, arr);
	}
	o = resp_ok();
	json_object_object_add(o, "storage", storage);
	return o;
}

static struct json_object *cmd_trace(struct ctl_server *srv, struct json_object *req)
{
	struct json_object *err = NULL, *o;
	struct sim_modem *m = req_modem(srv, req, "modem", &err);
	unsigned last;

	if (!m)
		return err;
	if (!get_uint(req, "last", 50, &last))
		return resp_error("\"last\" must be a non-negative integer");
	o = resp_ok();
	json_object_object_add(o, "trace", trace_json(m->trace, last));
	return o;
}

static struct json_object *cmd_reset(struct ctl_server *srv, struct json_object *req)
{
	struct json_object *err = NULL;
	struct sim_modem *m = req_modem(srv, req, "modem", &err);

	if (!m)
		return err;
	if (m->faults.vanished)
		sim_modem_return(m);
	else
		sim_modem_power_on(m);
	return resp_ok();
}

static const struct {
	const char *name;
	struct json_object *(*fn)(struct ctl_server *srv, struct json_object *req);
} commands[] = {
    {"status", cmd_status},   {"send", cmd_send},	  {"inbox", cmd_inbox},
    {"latency", cmd_latency}, {"fault", cmd_fault},	  {"phone", cmd_phone},
    {"sim", cmd_sim},	      {"trace", cmd_trace},	  {"reset", cmd_reset},
    {"call", ctl_cmd_call},   {"answer", ctl_cmd_answer}, {"reject", ctl_cmd_reject},
    {"busy", ctl_cmd_busy},   {"hangup", ctl_cmd_hangup}, {"auto-answer", ctl_cmd_auto_answer},
    {"dtmf", ctl_cmd_dtmf},   {"play", ctl_cmd_play},	  {"stop-play", ctl_cmd_stop_play},
    {"heard", ctl_cmd_heard}, {"calls", ctl_cmd_calls},	  {"audio", ctl_cmd_audio},
};

static struct json_object *handle_request(struct ctl_server *srv, const char *line, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *req, *resp;
	const char *cmd;

	req = json_tokener_parse_ex(tok, line, (int)len);
	if (!req || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) < len) {
		/* Trailing spaces or a CR after the object are fine, anything else is not. */
		size_t end = req ? json_tokener_get_parse_end(tok) : 0;
		bool only_space = req != NULL;

		for (size_t i = end; only_space && i < len; i++)
			only_space = line[i] == ' ' || line[i] == '\t' || line[i] == '\r';
		if (!only_space) {
			json_object_put(req);
			json_tokener_free(tok);
			return resp_error("request is not valid JSON");
		}
	}
	json_tokener_free(tok);
	if (!json_object_is_type(req, json_type_object)) {
		json_object_put(req);
		return resp_error("request must be a JSON object");
	}
	cmd = get_str(req, "cmd");
	resp = NULL;
	for (size_t i = 0; cmd && i < ARRAY_SIZE(commands); i++) {
		if (strcmp(commands[i].name, cmd) == 0) {
			resp = commands[i].fn(srv, req);
			break;
		}
	}
	if (!resp)
		resp = cmd ? resp_error("unknown command \"%s\"", cmd)
			   : resp_error("\"cmd\" is required");
	LOGP(DCTL, LOGL_DEBUG, "%.*s -> ok=%d\n", (int)len, line,
	     json_object_get_boolean(json_object_object_get(resp, "ok")));
	json_object_put(req);
	return resp;
}

/* ---- connections ---- */

static void conn_close(struct ctl_conn *c)
{
	osmo_fd_unregister(&c->ofd);
	close(c->ofd.fd);
	llist_del(&c->list);
	talloc_free(c);
}

static void conn_send(struct ctl_conn *c, struct json_object *resp)
{
	size_t len;
	const char *s = json_object_to_json_string_length(
	    resp, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);

	if (outbuf_append(&c->out, c, s, len) < len || outbuf_append(&c->out, c, "\n", 1) < 1) {
		LOGP(DCTL, LOGL_NOTICE, "control client does not read its responses, closing\n");
		c->closing = true;
	}
	json_object_put(resp);
	osmo_fd_write_enable(&c->ofd);
}

/* Handle every complete line in the input buffer. */
static void conn_lines(struct ctl_conn *c)
{
	size_t start = 0;

	for (size_t i = 0; i < c->in_len && !c->closing; i++) {
		if (c->in[i] != '\n')
			continue;
		if (i > start)
			conn_send(c, handle_request(c->srv, c->in + start, i - start));
		start = i + 1;
	}
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
}

static int conn_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct ctl_conn *c = ofd->data;

	if (what & OSMO_FD_READ) {
		char buf[4096];
		ssize_t rc = read(ofd->fd, buf, sizeof(buf));

		if (rc == 0 || (rc < 0 && errno != EAGAIN && errno != EINTR)) {
			/* Peer closed its side: answer what it sent (a last request may lack
			 * its newline), then close. */
			osmo_fd_read_disable(ofd);
			if (c->in_len > 0) {
				conn_send(c, handle_request(c->srv, c->in, c->in_len));
				c->in_len = 0;
			}
			c->closing = true;
		} else if (rc > 0) {
			if (c->in_len + (size_t)rc > CTL_LINE_MAX) {
				conn_send(c, resp_error("request line longer than %d bytes",
							CTL_LINE_MAX));
				c->closing = true;
				c->in_len = 0;
			} else {
				char *n = talloc_realloc_size(c, c->in, c->in_len + (size_t)rc);

				if (!n) {
					conn_close(c);
					return 0;
				}
				c->in = n;
				memcpy(c->in + c->in_len, buf, (size_t)rc);
				c->in_len += (size_t)rc;
				conn_lines(c);
			}
		}
	}
	if (!outbuf_empty(&c->out)) {
		if (outbuf_flush(&c->out, ofd->fd) < 0) {
			conn_close(c);
			return 0;
		}
	}
	if (outbuf_empty(&c->out)) {
		osmo_fd_write_disable(ofd);
		if (c->closing) {
			conn_close(c);
			return 0;
		}
	}
	return 0;
}

static int listen_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct ctl_server *srv = ofd->data;
	struct ctl_conn *c;
	int fd;

	if (!(what & OSMO_FD_READ))
		return 0;
	fd = accept4(ofd->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return 0;
	c = talloc_zero(srv, struct ctl_conn);
	if (!c) {
		close(fd);
		return 0;
	}
	c->srv = srv;
	outbuf_init(&c->out, CTL_OUT_MAX);
	osmo_fd_setup(&c->ofd, fd, OSMO_FD_READ, conn_cb, c, 0);
	if (osmo_fd_register(&c->ofd) < 0) {
		close(fd);
		talloc_free(c);
		return 0;
	}
	llist_add_tail(&c->list, &srv->conns);
	return 0;
}

struct ctl_server *ctl_server_start(struct simulator *sim, const char *path)
{
	struct ctl_server *srv;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		LOGP(DCTL, LOGL_ERROR, "control socket path too long (max %zu): %s\n",
		     sizeof(sun.sun_path) - 1, path);
		return NULL;
	}
	srv = talloc_zero(sim, struct ctl_server);
	if (!srv)
		return NULL;
	srv->sim = sim;
	INIT_LLIST_HEAD(&srv->conns);
	OSMO_STRLCPY_ARRAY(srv->path, path);
	OSMO_STRLCPY_ARRAY(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto err;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 16) < 0) {
		LOGP(DCTL, LOGL_ERROR, "control socket %s: %s\n", path, strerror(errno));
		close(fd);
		goto err;
	}
	osmo_fd_setup(&srv->listen, fd, OSMO_FD_READ, listen_cb, srv, 0);
	if (osmo_fd_register(&srv->listen) < 0) {
		close(fd);
		unlink(path);
		goto err;
	}
	return srv;
err:
	talloc_free(srv);
	return NULL;
}

void ctl_server_stop(struct ctl_server *srv)
{
	while (!llist_empty(&srv->conns))
		conn_close(llist_first_entry(&srv->conns, struct ctl_conn, list));
	osmo_fd_unregister(&srv->listen);
	close(srv->listen.fd);
	unlink(srv->path);
	talloc_free(srv);
}
