/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Simulated phones: the other end of every SMS a modem sends to a number that is not
 * another modem. A phone keeps what it received, reassembled, for `inbox`. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <json-c/json.h>
#include <osmocom/core/linuxlist.h>

#include "modem/sms/sms_tpdu.h"

struct network;
struct sim_call;
struct phone_audio;

/* DTMF digits a phone keeps (what the modem sent it with +VTS / ^DTMF). */
#define PHONE_DTMF_MAX 256

/* Messages a phone keeps; the oldest goes when a long demo exceeds it. */
#define PHONE_INBOX_MAX 10000

struct phone {
	struct llist_head list;
	struct network *net;
	char number[SMS_ADDR_TEXT_MAX];
	bool reachable;
	unsigned received;	 /* SMS (parts) received */
	struct llist_head inbox; /* struct phone_msg */
	unsigned inbox_len;

	/* Voice (calls.c, phone_audio.c). */
	bool busy;		    /* calls to it get BUSY */
	unsigned auto_answer_rings; /* answers calls from modems after this many alert intervals */
	struct sim_call *call;	    /* the call it is in, or NULL */
	char dtmf_rx[PHONE_DTMF_MAX + 1];
	size_t dtmf_rx_len;
	struct phone_audio *audio; /* what it plays and what it heard; NULL until used */
};

struct phone *phone_find(struct network *net, const char *number);
/* Find or create. */
struct phone *phone_get(struct network *net, const char *number);
/* One SUBMIT part from modem number `from`; `pdu` as the modem got it (SMSC prefix). */
void phone_receive(struct phone *p, const char *from, const struct sms_submit *s,
		   const uint8_t *pdu, size_t len);
/* Append this phone's messages to `arr`; forget them when `clear`. */
void phone_inbox_json(struct phone *p, struct json_object *arr, bool clear);
struct json_object *phone_json(const struct phone *p);
