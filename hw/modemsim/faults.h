/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Faults a test can inject into one modem through the control socket.
 *
 * Each is something real modems do: stop answering, print line noise, refuse a submit,
 * fill the SIM, lose the network, show CS detached on LTE, drop off the USB bus, slip
 * a URC into a response, or ask for the SIM PIN. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <osmocom/core/timer.h>

struct sim_modem;

struct sim_faults {
	bool hang; /* discard input, answer nothing */
	struct osmo_timer_list hang_timer;
	bool deregistered; /* +CREG: x,2; submits fail with 331 */
	struct osmo_timer_list dereg_timer;
	bool cs_unregistered;	 /* +CREG shows 0 while +CEREG shows 1 */
	unsigned cms_error_code; /* the next cms_error_count +CMGS fail with it */
	unsigned cms_error_count;
	bool urc_in_response; /* next command with info lines gets a URC inside */
	bool pin;	      /* SIM asks for PIN 1234 at power-on */
	bool vanished;	      /* port gone until vanish_timer fires */
	struct osmo_timer_list vanish_timer;
	/* Audio. */
	uint64_t audio_stall_until_ms; /* no downlink frames before then */
	bool audio_misalign;	       /* the next call's downlink starts with one extra byte */
	bool audio_dead;	       /* SIMCom: an audio on/off cycle degrades the port */
	bool audio_degraded;	       /* ...and it has: only AT+CRESET recovers */
	bool audio_dead_tried;	       /* this call's first +CPCMREG=1 failed already */
	unsigned audio_on_fails;       /* the next n audio switch-on commands answer ERROR */
};

void faults_init(struct sim_modem *m);
/* Stop the fault timers (the modem is going away). */
void faults_cleanup(struct sim_modem *m);

void fault_hang(struct sim_modem *m, unsigned ms);
void fault_garbage(struct sim_modem *m, const uint8_t *bytes, size_t len);
void fault_cms_error(struct sim_modem *m, unsigned code, unsigned count);
/* Returns how many filler messages were stored. */
unsigned fault_sim_full(struct sim_modem *m);
void fault_deregister(struct sim_modem *m, unsigned ms);
void fault_register(struct sim_modem *m);
void fault_cs_unregistered(struct sim_modem *m, bool on);
void fault_vanish(struct sim_modem *m, unsigned ms);
void fault_urc_in_response(struct sim_modem *m);
void fault_pin(struct sim_modem *m, bool on);
void fault_clear(struct sim_modem *m);
void fault_audio_stall(struct sim_modem *m, unsigned ms);
void fault_audio_misalign(struct sim_modem *m);
void fault_audio_dead_after_call(struct sim_modem *m);
void fault_audio_on_fails(struct sim_modem *m, unsigned count);
/* The network drops the active call. Returns -1 when there is none. */
int fault_call_drop(struct sim_modem *m);

/* The active faults, for `status`. */
struct json_object *faults_json(const struct sim_modem *m);
