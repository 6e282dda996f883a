/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The simulated network: SMSC, routing, delivery delays and status reports.
 *
 * A SUBMIT from a modem goes to the modem that owns the destination number or else to
 * the simulated phone with that number. Mobile-terminated messages (DELIVERs from phones
 * or modems, STATUS-REPORTs) wait in the network until their delay has passed and the
 * modem takes them; a modem that is deregistered, gone, hung, full or still owes a
 * +CNMA leaves them waiting, and they are offered again when that changes. Nothing is
 * ever dropped on the way to a modem. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/timer.h>

#include "modem/sms/sms_tpdu.h"

struct simulator;
struct sim_modem;

enum net_msg_kind {
	NET_MSG_DELIVER,
	NET_MSG_STATUS_REPORT,
};

/* A mobile-terminated message on its way to a modem. */
struct net_msg {
	struct llist_head list;
	struct network *net;
	struct sim_modem *dest;
	enum net_msg_kind kind;
	uint8_t tpdu[SMS_PDU_MAX]; /* without SMSC prefix */
	size_t tpdu_len;
	bool ready;	/* its delay has passed */
	bool in_flight; /* shown as +CMT/+CDS, waiting for +CNMA */
	struct osmo_timer_list timer;
	/* A modem-to-modem SUBMIT that asked for a status report: report once delivered. */
	bool srr;
	struct sim_modem *report_to;
	uint8_t report_mr;
	struct sms_address report_recipient;
	time_t submitted_at;
};

/* What a modem did with a message the network offered it. */
enum mt_result {
	MT_ACCEPTED,	 /* stored, or shown without need of an acknowledgement */
	MT_AWAITING_ACK, /* shown as +CMT/+CDS; net_mt_acked()/net_mt_failed() follows */
	MT_REFUSED,	 /* cannot take it now (memory full); keep and offer again later */
};

struct network {
	struct simulator *sim;
	struct sms_address smsc;
	uint8_t smsc_prefix[12];
	size_t smsc_prefix_len;
	struct llist_head msgs;	     /* struct net_msg */
	struct llist_head transfers; /* struct net_transfer, SUBMITs on their way to phones */
	struct llist_head phones;    /* struct phone */
	uint8_t next_concat_ref;
};

struct network *net_alloc(void *ctx, struct simulator *sim, const char *smsc);
void net_free(struct network *net);

/* A SUBMIT the modem accepted (after the submit delay) with TP-MR `mr`.
 * `pdu` is what the client typed, SMSC prefix included. */
void net_submit(struct network *net, struct sim_modem *from, const struct sms_submit *s,
		const uint8_t *pdu, size_t len, uint8_t mr);

/* A phone texts a modem. Returns the number of parts, or a negative enum sms_err. */
int net_send_text(struct network *net, const char *from, struct sim_modem *to, const char *text,
		  size_t len, bool class0);
/* Deliver a TPDU (no SMSC prefix) to a modem untouched, even if malformed. */
int net_send_pdu(struct network *net, struct sim_modem *to, const uint8_t *tpdu, size_t len);

/* Offer waiting messages to the modem again, from the main loop (not from inside the
 * command that made room, so URCs follow that command's final result). */
void net_kick(struct sim_modem *m);
/* The client acknowledged (+CNMA) the message in flight. */
void net_mt_acked(struct sim_modem *m, struct net_msg *msg);
/* Not acknowledged in time, negatively acknowledged, or the modem went away:
 * the network keeps it and delivers it again after the delivery delay. */
void net_mt_failed(struct sim_modem *m, struct net_msg *msg);
/* Messages waiting in the network for this modem (not counting one in flight). */
unsigned net_pending_for(const struct network *net, const struct sim_modem *m);
/* The modem goes away for good (shutdown): forget messages to it, and that it is the
 * one to report back to. */
void net_modem_free(struct network *net, struct sim_modem *m);
/* osmo_timer callback behind net_kick(). */
void net_kick_cb(void *data);

/* The SMSC prefix + TPDU, as the modem shows a PDU. Returns the total length. */
size_t net_with_smsc(const struct network *net, uint8_t *out, size_t cap, const uint8_t *tpdu,
		     size_t tpdu_len);
/* Now, as an SCTS in the local time zone. */
void net_now_scts(struct sms_time *t, time_t when);
