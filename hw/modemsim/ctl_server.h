/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The control socket DIR/ctl: newline-delimited JSON requests and responses.
 * The protocol is documented in README.md. */
#pragma once

struct simulator;
struct ctl_server;

/* Listen on `path`. Returns NULL (and logs why) on failure. */
struct ctl_server *ctl_server_start(struct simulator *sim, const char *path);
/* Close every connection and remove the socket file. */
void ctl_server_stop(struct ctl_server *srv);

/* ---- for the command files (ctl_server.c, ctl_voice.c) ---- */

#include <stdbool.h>

#include <json-c/json.h>

struct sim_modem;

/* {"ok":false,"error":...} / {"ok":true}. */
struct json_object *resp_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
struct json_object *resp_ok(void);
/* A string field, or NULL. */
const char *get_str(struct json_object *req, const char *key);
/* Optional fields; false when present but of the wrong kind. */
bool get_uint(struct json_object *req, const char *key, unsigned def, unsigned *out);
bool get_bool(struct json_object *req, const char *key, bool def, bool *out);
/* The modem named by field `key`, or NULL with *err set. */
struct sim_modem *req_modem(struct ctl_server *srv, struct json_object *req, const char *key,
			    struct json_object **err);
struct simulator *ctl_simulator(struct ctl_server *srv);

/* Calls and audio (ctl_voice.c). */
struct json_object *ctl_cmd_call(struct ctl_server *srv, struct json_object *req);
struct json_object *ctl_cmd_answer(struct ctl_server *srv, struct json_object *req);
struct json_object *ctl_cmd_reject(struct ctl_server *srv, struct json_object *req);
struct json_object *ctl_cmd_busy(struct ctl_server *srv, struct json_object *req);
struct json_object *ctl_cmd_hangup(struct ctl_server *srv, struct json_object *req);
struct json_object *ctl_cmd_auto_answer(struct ctl_server *srv, struct json_object *req);
struct json_object *ctl_cmd_dtmf(struct ctl_server *srv, struct json_object *req);
struct json_object *ctl_cmd_play(struct ctl_server *srv, struct json_object *req);
struct json_object *ctl_cmd_stop_play(struct ctl_server *srv, struct json_object *req);
struct json_object *ctl_cmd_heard(struct ctl_server *srv, struct json_object *req);
struct json_object *ctl_cmd_calls(struct ctl_server *srv, struct json_object *req);
struct json_object *ctl_cmd_audio(struct ctl_server *srv, struct json_object *req);
/* The voice part of a modem's `status`. */
struct json_object *ctl_voice_status(struct sim_modem *m);
/* The audio and call faults; NULL when `kind` is none of them. */
struct json_object *ctl_voice_fault(struct sim_modem *m, const char *kind, struct json_object *req);
