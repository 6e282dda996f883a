/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Texts for enum sms_err: one table so the message, the stable name and the code
 * cannot drift apart. */
#include "modem/sms/sms_error.h"

#include <stddef.h>
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

struct sms_err_text {
	int err;
	const char *name;
	const char *text;
};

static const struct sms_err_text sms_err_texts[] = {
    {SMS_OK, "ok", "success"},
    {SMS_ERR_ARG, "argument", "invalid argument"},
    {SMS_ERR_HEX, "hex", "invalid hexadecimal"},
    {SMS_ERR_TRUNCATED, "truncated", "truncated PDU"},
    {SMS_ERR_LENGTH, "length", "length field disagrees with the data"},
    {SMS_ERR_MTI, "mti", "unexpected message type"},
    {SMS_ERR_ADDRESS, "address", "invalid address"},
    {SMS_ERR_SCTS, "scts", "invalid time stamp"},
    {SMS_ERR_UDH, "udh", "invalid user data header"},
    {SMS_ERR_CONCAT, "concat", "invalid concatenation information"},
    {SMS_ERR_CONCAT_LIMIT, "concat_limit", "too many concatenated parts"},
    {SMS_ERR_DCS, "dcs", "unsupported data coding scheme"},
    {SMS_ERR_UTF8, "utf8", "invalid UTF-8"},
    {SMS_ERR_UCS2, "ucs2", "invalid UCS-2 data"},
    {SMS_ERR_GSM7, "gsm7", "character not in the GSM 7-bit alphabet"},
    {SMS_ERR_TOO_LONG, "too_long", "does not fit"},
    {SMS_ERR_VP, "vp", "unsupported validity period format"},
};

static const struct sms_err_text *sms_err_lookup(int err)
{
	for (size_t i = 0; i < ARRAY_SIZE(sms_err_texts); i++) {
		if (sms_err_texts[i].err == err)
			return &sms_err_texts[i];
	}
	return NULL;
}

const char *sms_strerror(int err)
{
	const struct sms_err_text *t = sms_err_lookup(err);

	return t ? t->text : "unknown error";
}

const char *sms_errname(int err)
{
	const struct sms_err_text *t = sms_err_lookup(err);

	return t ? t->name : "unknown";
}
