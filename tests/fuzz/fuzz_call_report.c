/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* libFuzzer target over call_report_parse(): whatever the line, no crash, no read past
 * it, and a report only when the parse says 0 — a number in it is a dialling string of
 * bounded length, a digit one of the sixteen DTMF keys, a state one of +CLCC's.
 * Input: the line (a NUL ends it early, as the AT channel never passes one). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "modem/driver/call_report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);
	struct call_report r;
	int rc;

	memcpy(line, data, size);
	line[size] = '\0';
	rc = call_report_parse(line, &r);
	if (rc != 0 && rc != -ENOENT && rc != -EINVAL)
		abort();
	if (rc == 0) {
		size_t n = strnlen(r.number, sizeof(r.number));

		if (n == sizeof(r.number) || strspn(r.number, "0123456789+*#ABCDabcdpw") != n)
			abort();
		if (r.kind == CALL_REPORT_DTMF && !strchr("0123456789*#ABCD", r.digit))
			abort();
		if (r.kind == CALL_REPORT_STATE && (r.stat > CALL_STAT_RELEASED || r.idx < 1))
			abort();
	} else if (r.has_number || r.idx) {
		abort(); /* a refused line leaves nothing behind */
	}
	free(line);
	return 0;
}
