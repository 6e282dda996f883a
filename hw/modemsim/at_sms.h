/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The modem's side of SMS (27.005): what it does with a message the network offers,
 * per +CNMI/+CSMS/+CPMS, and the +CNMA acknowledgement timer. */
#pragma once

#include "hw/modemsim/network.h"

struct sim_modem;

/* Offer a mobile-terminated message (DELIVER or STATUS-REPORT) to the modem. */
enum mt_result at_sms_offer(struct sim_modem *m, struct net_msg *msg);
/* osmo_timer callback: a +CMT/+CDS was not acknowledged in time (27.005 §3.4.1). */
void at_sms_ack_timeout(void *data);
