/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Error codes of the SMS codec (modem/sms_*.c, modem/sms/gsm7.c, modem/sms/ucs2.c).
 *
 * Every decoder and encoder returns a negative enum sms_err on failure and never
 * reads or writes outside the buffers it was given. sms_strerror() gives the text
 * that tools print and logs carry. */
#pragma once

enum sms_err {
	SMS_OK = 0,
	SMS_ERR_ARG = -1,	/* a NULL pointer or impossible argument */
	SMS_ERR_HEX = -2,	/* not hexadecimal, or an odd number of digits */
	SMS_ERR_TRUNCATED = -3, /* the PDU ends before a field it announces */
	SMS_ERR_LENGTH =
	    -4,		  /* a length field disagrees with the data (too long, bytes left over) */
	SMS_ERR_MTI = -5, /* message type is not the one asked for */
	SMS_ERR_ADDRESS = -6, /* address length over 20 digits, or a digit that is not one */
	SMS_ERR_SCTS = -7,    /* time stamp with a non-BCD digit or a field out of range */
	SMS_ERR_UDH =
	    -8, /* user data header overruns the user data, or an IE overruns the header */
	SMS_ERR_CONCAT =
	    -9, /* concatenation IE with 0 parts, sequence 0, or sequence past the total */
	SMS_ERR_CONCAT_LIMIT = -10, /* more parts than the reassembler or splitter accepts */
	SMS_ERR_DCS = -11,	    /* a reserved or compressed data coding scheme */
	SMS_ERR_UTF8 = -12,	    /* input text is not valid UTF-8 */
	SMS_ERR_UCS2 = -13,	    /* UCS-2 data of odd length or with an unpaired surrogate */
	SMS_ERR_GSM7 = -14, /* a character that has no GSM 03.38 septet (when 7-bit was demanded) */
	SMS_ERR_TOO_LONG = -15, /* does not fit the field or the output buffer */
	SMS_ERR_VP = -16,	/* validity period format not supported */
};

/* Short, stable description of an error code ("truncated PDU", ...). */
const char *sms_strerror(int err);
/* Stable identifier of an error code for JSON and tests ("truncated", "udh", ...). */
const char *sms_errname(int err);
