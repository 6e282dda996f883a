/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* bench_codec: throughput of the SMS codec, in PDUs per second.
 *
 * Each figure runs for about a second (CLOCK_MONOTONIC) and is set against a reference
 * loop measured in the same run: copying the same PDU bytes and decoding the same hex,
 * the least any PDU path has to do. The ratio says how far the codec is from that limit.
 * Decode figures go from the modem's hex to the decoded struct with its UTF-8 text;
 * encode figures from UTF-8 text to the hex AT+CMGS takes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "modem/sms/sms_split.h"
#include "modem/sms/sms_tpdu.h"

#define SECONDS_PER_FIGURE 1.0
#define MAX_PARTS	   3

static volatile unsigned sink; /* keeps the loops' results alive */

/* What one figure works on. */
struct work {
	const char *hex[MAX_PARTS]; /* PDUs as the modem shows them */
	size_t hex_len[MAX_PARTS];
	uint8_t bytes[MAX_PARTS][SMS_PDU_MAX];
	size_t len[MAX_PARTS];
	unsigned n;	  /* PDUs per iteration */
	const char *text; /* for the encoders */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs fn in growing batches for about SECONDS_PER_FIGURE; returns PDUs per second. */
static double measure(void (*fn)(struct work *), struct work *w)
{
	unsigned long iterations = 0, batch = 64;
	double start = now_s(), elapsed;

	do {
		for (unsigned long i = 0; i < batch; i++)
			fn(w);
		iterations += batch;
		elapsed = now_s() - start;
		if (elapsed < SECONDS_PER_FIGURE / 20)
			batch *= 2;
	} while (elapsed < SECONDS_PER_FIGURE);
	return (double)iterations * w->n / elapsed;
}

/* The limit: copy the PDU bytes, decode the hex. */
static void reference(struct work *w)
{
	uint8_t copy[SMS_PDU_MAX], bytes[SMS_PDU_MAX];

	for (unsigned i = 0; i < w->n; i++) {
		memcpy(copy, w->bytes[i], w->len[i]);
		sink += copy[w->len[i] - 1];
		sink += (unsigned)sms_hex_decode(bytes, sizeof(bytes), w->hex[i], w->hex_len[i]);
		sink += bytes[0];
	}
}

static void deliver_decode(struct work *w)
{
	static struct sms_deliver d;
	uint8_t bytes[SMS_PDU_MAX];
	int n = sms_hex_decode(bytes, sizeof(bytes), w->hex[0], w->hex_len[0]);

	if (n < 0 || sms_deliver_decode(&d, bytes, (size_t)n, true) < 0)
		abort();
	sink += d.ud.text_len;
}

static void submit_encode(struct work *w)
{
	static struct sms_submit s;
	uint8_t bytes[SMS_PDU_MAX];
	char hex[2 * SMS_PDU_MAX + 1];
	int n;

	memset(&s, 0, sizeof(s));
	if (sms_address_from_text(&s.destination, "+15551234567") < 0)
		abort();
	if (sms_ud_from_utf8(&s.ud, w->text, strlen(w->text)) < 0)
		abort();
	n = sms_submit_encode(bytes, sizeof(bytes), &s, true);
	if (n < 0 || sms_hex_encode(hex, sizeof(hex), bytes, (size_t)n) < 0)
		abort();
	sink += (unsigned)hex[n];
}

static void split_encode(struct work *w)
{
	static struct sms_user_data parts[MAX_PARTS];
	static struct sms_submit s;
	uint8_t bytes[SMS_PDU_MAX];
	char hex[2 * SMS_PDU_MAX + 1];
	int parts_n = sms_split_utf8(parts, MAX_PARTS, w->text, strlen(w->text), 42);

	if (parts_n != MAX_PARTS)
		abort();
	memset(&s, 0, sizeof(s));
	if (sms_address_from_text(&s.destination, "+15551234567") < 0)
		abort();
	for (int i = 0; i < parts_n; i++) {
		int n;

		s.ud = parts[i];
		n = sms_submit_encode(bytes, sizeof(bytes), &s, true);
		if (n < 0 || sms_hex_encode(hex, sizeof(hex), bytes, (size_t)n) < 0)
			abort();
		sink += (unsigned)hex[n - 1];
	}
}

static void load_hex(struct work *w, unsigned i, const char *hex)
{
	int n;

	w->hex[i] = hex;
	w->hex_len[i] = strlen(hex);
	n = sms_hex_decode(w->bytes[i], SMS_PDU_MAX, hex, w->hex_len[i]);
	if (n < 0)
		abort();
	w->len[i] = (size_t)n;
}

/* The encoders' output, hex-encoded once, is what their reference loop copies. */
static void load_encoded(struct work *w,
			 void (*encode_parts)(struct work *, char out[][2 * SMS_PDU_MAX + 1]))
{
	static char out[MAX_PARTS][2 * SMS_PDU_MAX + 1];

	encode_parts(w, out);
	for (unsigned i = 0; i < w->n; i++)
		load_hex(w, i, out[i]);
}

static void encode_single(struct work *w, char out[][2 * SMS_PDU_MAX + 1])
{
	struct sms_submit s;
	uint8_t bytes[SMS_PDU_MAX];
	int n;

	memset(&s, 0, sizeof(s));
	sms_address_from_text(&s.destination, "+15551234567");
	sms_ud_from_utf8(&s.ud, w->text, strlen(w->text));
	n = sms_submit_encode(bytes, sizeof(bytes), &s, true);
	sms_hex_encode(out[0], sizeof(out[0]), bytes, (size_t)n);
}

static void encode_three(struct work *w, char out[][2 * SMS_PDU_MAX + 1])
{
	static struct sms_user_data parts[MAX_PARTS];
	struct sms_submit s;
	uint8_t bytes[SMS_PDU_MAX];

	memset(&s, 0, sizeof(s));
	sms_address_from_text(&s.destination, "+15551234567");
	sms_split_utf8(parts, MAX_PARTS, w->text, strlen(w->text), 42);
	for (unsigned i = 0; i < MAX_PARTS; i++) {
		int n;

		s.ud = parts[i];
		n = sms_submit_encode(bytes, sizeof(bytes), &s, true);
		sms_hex_encode(out[i], sizeof(out[i]), bytes, (size_t)n);
	}
}

static void row(const char *name, void (*codec)(struct work *), struct work *w)
{
	double c = measure(codec, w);
	double r = measure(reference, w);

	printf("%-40s %14.0f %16.0f %7.3f\n", name, c, r, c / r);
	fflush(stdout);
}

int main(void)
{
	/* [devhome] a 7-bit single-part delivery of 49 characters. */
	static const char gsm7_deliver[] =
	    "07915892000000F0040B915892214365F700007040213252242331493A"
	    "283D0795C3F33C88FE06C9CB6132885EC6D341EDF27C1E3E97E7207B"
	    "3A0C0A5241E377BB1D7693E72E";
	/* A UCS-2 delivery: "Hi team, meet at 6 — prompt please 😀" (74 octets). */
	static const char ucs2_deliver[] =
	    "07911326040000F0040B911346610089F60008621122007163004A004800690020007400650061006D"
	    "002C0020006D0065006500740020006100740020003600202014002000700072006F006D0070007400"
	    "200070006C00650061007300650020D83DDE00";
	static const char text160[] =
	    "Practice moved to 5 pm tomorrow because of field work. Bring water, cleats and "
	    "signed forms; the bus leaves the main entrance at 4:15 sharp. Go Falcons, go!!!!!";
	static char text3[3 * 153 + 1];
	struct work w;

	for (size_t i = 0; i < sizeof(text3) - 1; i++)
		text3[i] = "Practice moved to 5 pm tomorrow. "[i % 33];
	text3[sizeof(text3) - 1] = '\0';
	if (strlen(text160) != 160) {
		fprintf(stderr, "bench_codec: the 160-character text has %zu\n", strlen(text160));
		return 1;
	}

	printf("Chaperone SMS codec benchmark: %.1f s per figure, CLOCK_MONOTONIC",
	       SECONDS_PER_FIGURE);
#if defined(__SANITIZE_ADDRESS__)
	printf(" (AddressSanitizer build: figures are not representative)");
#elif !defined(__OPTIMIZE__)
	printf(" (unoptimised build: figures are not representative)");
#endif
	printf("\nreference = memcpy of the same PDU bytes + hex decode; ratio = codec / "
	       "reference\n\n");
	printf("%-40s %14s %16s %7s\n", "figure", "codec PDU/s", "reference PDU/s", "ratio");
	printf("%-40s %14s %16s %7s\n", "------", "-----------", "---------------", "-----");

	memset(&w, 0, sizeof(w));
	w.n = 1;
	load_hex(&w, 0, gsm7_deliver);
	row("DELIVER decode, 7-bit, single part", deliver_decode, &w);

	memset(&w, 0, sizeof(w));
	w.n = 1;
	load_hex(&w, 0, ucs2_deliver);
	row("DELIVER decode, UCS-2", deliver_decode, &w);

	memset(&w, 0, sizeof(w));
	w.n = 1;
	w.text = text160;
	load_encoded(&w, encode_single);
	row("SUBMIT encode, 160-char 7-bit text", submit_encode, &w);

	memset(&w, 0, sizeof(w));
	w.n = MAX_PARTS;
	w.text = text3;
	load_encoded(&w, encode_three);
	row("split + SUBMIT encode, 3 parts", split_encode, &w);
	return 0;
}
