/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The AT protocol's vocabulary, shared by the modem driver (which reads it) and modemsim
 * (which writes it): final result codes (ITU-T V.250 §5.7.1, 3GPP TS 27.007 §9.2,
 * TS 27.005 §3.2.5) and the +CME/+CMS error numbers Chaperone acts on or produces.
 *
 * Promises: header only, no code; every name here means the same on both sides. */
#pragma once

/* How a command ended. The first eight are lines a modem writes; the last two are the
 * driver's own outcomes, never written by a modem. */
enum at_result {
	AT_RES_OK = 0,
	AT_RES_ERROR,	  /* plain ERROR */
	AT_RES_CMS_ERROR, /* +CMS ERROR: n */
	AT_RES_CME_ERROR, /* +CME ERROR: n */
	AT_RES_NO_CARRIER,
	AT_RES_BUSY,
	AT_RES_NO_ANSWER,
	AT_RES_NO_DIALTONE,
	AT_RES_TIMEOUT, /* driver: no final result within the command's timeout */
	AT_RES_CLOSED,	/* driver: the port went away, or the channel was closed */
};

/* +CME ERROR numbers (27.007 §9.2.1). */
enum at_cme_error {
	CME_NOT_ALLOWED = 3,
	CME_NOT_SUPPORTED = 4,
	CME_SIM_NOT_INSERTED = 10,
	CME_SIM_PIN = 11,
	CME_INCORRECT_PASSWORD = 16,
	CME_NO_NETWORK = 30,
	CME_INCORRECT_PARAMS = 50,
};

/* +CMS ERROR numbers of the modem's own (27.005 §3.2.5). 0..127 are the network's RP
 * causes, named by libosmogsm (GSM411_RP_CAUSE_*, osmocom/gsm/protocol/gsm_04_11.h);
 * 128..255 are TP-FCS values (23.040 §9.2.3.22). */
enum at_cms_error {
	CMS_OP_NOT_ALLOWED = 302,
	CMS_OP_NOT_SUPPORTED = 303,
	CMS_INVALID_PDU_PARAM = 304,
	CMS_SIM_PIN = 311,
	CMS_SIM_BUSY = 314,
	CMS_MEM_FAILURE = 320,
	CMS_INVALID_INDEX = 321,
	CMS_MEM_FULL = 322,
	CMS_NO_NETWORK = 331,
	CMS_NETWORK_TIMEOUT = 332,
	CMS_NO_CNMA_EXPECTED = 340,
	CMS_UNKNOWN = 500,
};
