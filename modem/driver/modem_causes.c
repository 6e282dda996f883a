/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Which +CMS ERROR causes a later attempt may cure: network out of order, temporary
 * failure, congestion, resources unavailable (the RP causes of TS 24.011 §8.2.5.4, named
 * by libosmogsm), SIM busy, no network service, network timeout, unknown error (27.005
 * §3.2.5). Kept apart from the SMS codec's headers: libosmogsm's gsm_04_11.h declares an
 * enum sms_alphabet of its own. */
#include <osmocom/gsm/protocol/gsm_04_11.h>

#include "modem/at/at_result.h"
#include "modem/driver/modem_causes.h"

bool modem_cms_transient(int code)
{
	switch (code) {
	case GSM411_RP_CAUSE_MO_NET_OUT_OF_ORDER:
	case GSM411_RP_CAUSE_MO_TEMP_FAIL:
	case GSM411_RP_CAUSE_MO_CONGESTION:
	case GSM411_RP_CAUSE_MO_RES_UNAVAIL:
	case CMS_SIM_BUSY:
	case CMS_NO_NETWORK:
	case CMS_NETWORK_TIMEOUT:
	case CMS_UNKNOWN:
		return true;
	}
	return false;
}
