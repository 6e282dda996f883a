/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Reassembly of concatenated messages: order, duplicates, timeouts, gaps, bad parts,
 * part limits, a full table, and pairs a sender cut between two parts. */
#include "tests/unit/sms/test_util.h"

#include <stdlib.h>

#include <talloc.h>

#include "modem/sms/sms_reassembly.h"
#include "modem/sms/sms_split.h"
#include "modem/sms/sms_user_data.h"

#define MAX_SEEN 8

/* What the callback saw, copied because the message is valid only during the call. */
struct seen {
	char originator[SMS_ADDR_TEXT_MAX];
	uint16_t ref;
	unsigned total, received;
	bool complete;
	int reason;
	char *text;
	bool present[SMS_MAX_PARTS];
	void *tokens[SMS_MAX_PARTS];
	const struct sms_deliver *first_part;
};

static struct seen seen[MAX_SEEN];
static unsigned n_seen;
static void *ctx;

static void on_message(const struct sms_reassembled *m, void *data)
{
	struct seen *s;

	assert_ptr_equal(data, &n_seen);
	assert_true(n_seen < MAX_SEEN);
	s = &seen[n_seen++];
	strcpy(s->originator, m->originator);
	s->ref = m->ref;
	s->total = m->total;
	s->received = m->received;
	s->complete = m->complete;
	s->reason = m->reason;
	assert_int_equal(strlen(m->text), m->text_len);
	s->text = talloc_strdup(ctx, m->text);
	s->first_part = m->parts[0];
	for (unsigned i = 0; i < m->total; i++) {
		s->present[i] = m->parts[i] != NULL;
		s->tokens[i] = m->tokens[i];
		if (m->parts[i] && m->parts[i]->ud.concat.present && m->complete)
			assert_int_equal(m->parts[i]->ud.concat.seq, i + 1);
	}
}

static int setup(void **state)
{
	(void)state;
	ctx = talloc_named_const(NULL, 0, "test_reassembly");
	memset(seen, 0, sizeof(seen));
	n_seen = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	talloc_free(ctx);
	return 0;
}

static struct sms_reassembler *make(uint32_t timeout_ms, uint8_t max_parts, unsigned max_pending)
{
	struct sms_reassembler_config cfg = {
	    .timeout_ms = timeout_ms, .max_parts = max_parts, .max_pending = max_pending};
	struct sms_reassembler *r = sms_reassembler_alloc(ctx, &cfg, on_message, &n_seen);

	assert_non_null(r);
	return r;
}

/* Parts of `text` as they would arrive from `from`. */
static struct sms_deliver *split(const char *from, const char *text, uint8_t ref, int *n)
{
	struct sms_user_data *uds = talloc_array(ctx, struct sms_user_data, SMS_MAX_PARTS);
	struct sms_deliver *parts;

	*n = sms_split_utf8(uds, SMS_MAX_PARTS, text, strlen(text), ref);
	assert_true(*n > 0);
	parts = talloc_zero_array(ctx, struct sms_deliver, (unsigned)*n);
	for (int i = 0; i < *n; i++) {
		assert_int_equal(sms_address_from_text(&parts[i].originator, from), 0);
		parts[i].ud = uds[i];
	}
	return parts;
}

/* A part with raw payload, as a sender that splits differently would send it. */
static struct sms_deliver raw_part(const char *from, enum sms_alphabet a, const void *payload,
				   size_t len, uint8_t ref, uint8_t total, uint8_t seq)
{
	struct sms_deliver d;

	memset(&d, 0, sizeof(d));
	assert_int_equal(sms_address_from_text(&d.originator, from), 0);
	d.ud.alphabet = a;
	memcpy(d.ud.payload, payload, len);
	d.ud.payload_len = (uint16_t)len;
	d.ud.concat = (struct sms_concat){.present = true, .ref = ref, .total = total, .seq = seq};
	assert_true(sms_ud_make_text(&d.ud) >= 0);
	return d;
}

static const char long_text[] =
    "Practice moved to 5 pm tomorrow because of the field work. Bring water, cleats and "
    "your signed forms; the bus leaves the main entrance at 4:15 sharp, so don't be late. "
    "Parents: pickup will be at the gym doors at 7:30. Questions to Coach Lee [office]. "
    "Thanks, and go Falcons!";

static void test_in_order_and_out_of_order(void **state)
{
	struct sms_reassembler *r = make(60000, 0, 0);
	int n;
	struct sms_deliver *p = split("+15551230001", long_text, 42, &n);

	(void)state;
	assert_int_equal(n, 2);
	assert_int_equal(sms_reassembler_add(r, &p[1], (void *)0x2, 10), 0);
	assert_int_equal(n_seen, 0);
	assert_int_equal(sms_reassembler_pending(r), 1);
	assert_int_equal(sms_reassembler_add(r, &p[0], (void *)0x1, 20), 0);
	assert_int_equal(n_seen, 1);
	assert_true(seen[0].complete);
	assert_int_equal(seen[0].reason, 0);
	assert_int_equal(seen[0].total, 2);
	assert_int_equal(seen[0].received, 2);
	assert_int_equal(seen[0].ref, 42);
	assert_string_equal(seen[0].originator, "+15551230001");
	assert_string_equal(seen[0].text, long_text);
	assert_ptr_equal(seen[0].tokens[0], (void *)0x1);
	assert_ptr_equal(seen[0].tokens[1], (void *)0x2);
	assert_int_equal(sms_reassembler_pending(r), 0);
	assert_int_equal(sms_reassembler_next_deadline(r), UINT64_MAX);

	/* Four parts in the order 3, 1, 4, 2. */
	{
		static char text[600];
		struct sms_deliver *q;

		strcpy(text, long_text);
		strcat(text, " ");
		strcat(text, long_text);
		q = split("+15551230001", text, 43, &n);
		assert_int_equal(n, 4);
		sms_reassembler_add(r, &q[2], NULL, 30);
		sms_reassembler_add(r, &q[0], NULL, 31);
		sms_reassembler_add(r, &q[3], NULL, 32);
		assert_int_equal(n_seen, 1);
		sms_reassembler_add(r, &q[1], NULL, 33);
		assert_int_equal(n_seen, 2);
		assert_true(seen[1].complete);
		assert_string_equal(seen[1].text, text);
	}
	sms_reassembler_free(r);
}

static void test_single_part_passes_through(void **state)
{
	struct sms_reassembler *r = make(60000, 0, 0);
	int n;
	struct sms_deliver *p = split("Chaperone", "See you at 5", 0, &n);

	(void)state;
	assert_int_equal(n, 1);
	assert_int_equal(sms_reassembler_add(r, p, (void *)0x7, 0), 0);
	assert_int_equal(n_seen, 1);
	assert_true(seen[0].complete);
	assert_int_equal(seen[0].total, 1);
	assert_int_equal(seen[0].received, 1);
	assert_string_equal(seen[0].text, "See you at 5");
	assert_string_equal(seen[0].originator, "Chaperone");
	assert_ptr_equal(seen[0].tokens[0], (void *)0x7);
	assert_int_equal(sms_reassembler_pending(r), 0);
	sms_reassembler_free(r);
}

static void test_duplicates_dropped(void **state)
{
	struct sms_reassembler *r = make(60000, 0, 0);
	int n;
	struct sms_deliver *p = split("+15551230001", long_text, 9, &n);

	(void)state;
	assert_int_equal(sms_reassembler_add(r, &p[0], (void *)0x1, 0), 0);
	/* The network delivered part 1 twice: the copy is dropped, its token not kept. */
	assert_int_equal(sms_reassembler_add(r, &p[0], (void *)0x99, 5), 1);
	assert_int_equal(n_seen, 0);
	assert_int_equal(sms_reassembler_pending(r), 1);
	assert_int_equal(sms_reassembler_add(r, &p[1], (void *)0x2, 6), 0);
	assert_int_equal(n_seen, 1);
	assert_true(seen[0].complete);
	assert_int_equal(seen[0].received, 2);
	assert_ptr_equal(seen[0].tokens[0], (void *)0x1);
	assert_string_equal(seen[0].text, long_text);
	/* After completion the same part starts a new message (nothing is dropped). */
	assert_int_equal(sms_reassembler_add(r, &p[0], NULL, 7), 0);
	assert_int_equal(sms_reassembler_pending(r), 1);
	sms_reassembler_free(r);
}

static void test_reference_reused(void **state)
{
	struct sms_reassembler *r = make(60000, 0, 0);
	struct sms_deliver a = raw_part("+15551230001", SMS_ALPHABET_GSM7, "old", 3, 5, 2, 1);
	struct sms_deliver b = raw_part("+15551230001", SMS_ALPHABET_GSM7, "new", 3, 5, 2, 1);

	(void)state;
	sms_reassembler_add(r, &a, NULL, 0);
	/* Same key and sequence, other content: the old message is handed over. */
	assert_int_equal(sms_reassembler_add(r, &b, NULL, 1), 0);
	assert_int_equal(n_seen, 1);
	assert_false(seen[0].complete);
	assert_string_equal(seen[0].text, "old[…]");
	assert_int_equal(sms_reassembler_pending(r), 1);
	sms_reassembler_free(r);
}

static void test_timeout_incomplete(void **state)
{
	struct sms_reassembler *r = make(30000, 0, 0);
	struct sms_deliver p1 = raw_part("+15551230001", SMS_ALPHABET_GSM7, "one ", 4, 7, 3, 1);
	struct sms_deliver p3 = raw_part("+15551230001", SMS_ALPHABET_GSM7, " three", 6, 7, 3, 3);

	(void)state;
	sms_reassembler_add(r, &p3, (void *)0x3, 1000);
	sms_reassembler_add(r, &p1, (void *)0x1, 5000);
	assert_int_equal(sms_reassembler_next_deadline(r), 31000); /* from the first part */
	assert_int_equal(sms_reassembler_expire(r, 30999), 0);
	assert_int_equal(n_seen, 0);
	assert_int_equal(sms_reassembler_expire(r, 31000), 1);
	assert_int_equal(n_seen, 1);
	assert_false(seen[0].complete);
	assert_int_equal(seen[0].reason, 0);
	assert_int_equal(seen[0].total, 3);
	assert_int_equal(seen[0].received, 2);
	assert_true(seen[0].present[0]);
	assert_false(seen[0].present[1]);
	assert_true(seen[0].present[2]);
	assert_null(seen[0].tokens[1]);
	assert_ptr_equal(seen[0].tokens[2], (void *)0x3);
	assert_string_equal(seen[0].text, "one […] three");
	assert_int_equal(sms_reassembler_pending(r), 0);
	assert_int_equal(sms_reassembler_expire(r, 99999), 0);
	sms_reassembler_free(r);
}

static void test_flush(void **state)
{
	struct sms_reassembler *r = make(30000, 0, 0);
	struct sms_deliver a = raw_part("+15551230001", SMS_ALPHABET_GSM7, "a", 1, 1, 2, 2);
	struct sms_deliver b = raw_part("+15551230002", SMS_ALPHABET_GSM7, "b", 1, 1, 2, 1);

	(void)state;
	sms_reassembler_add(r, &a, NULL, 0);
	sms_reassembler_add(r, &b, NULL, 0); /* same reference, other sender: its own */
	assert_int_equal(sms_reassembler_pending(r), 2);
	assert_int_equal(sms_reassembler_flush(r), 2);
	assert_int_equal(n_seen, 2);
	assert_string_equal(seen[0].text, "[…]a");
	assert_string_equal(seen[1].text, "b[…]");
	assert_false(seen[0].complete || seen[1].complete);
	sms_reassembler_free(r);
}

static void test_bad_concatenation_stands_alone(void **state)
{
	struct sms_reassembler *r = make(30000, 10, 0);
	struct sms_deliver zero = raw_part("+15551230001", SMS_ALPHABET_GSM7, "zero", 4, 1, 0, 0);
	struct sms_deliver seq0 = raw_part("+15551230001", SMS_ALPHABET_GSM7, "seq0", 4, 1, 3, 0);
	struct sms_deliver past = raw_part("+15551230001", SMS_ALPHABET_GSM7, "past", 4, 1, 3, 4);
	struct sms_deliver big = raw_part("+15551230001", SMS_ALPHABET_GSM7, "big", 3, 1, 255, 7);

	(void)state;
	assert_int_equal(sms_reassembler_add(r, &zero, (void *)0x10, 0), 0); /* 0 parts */
	assert_int_equal(sms_reassembler_add(r, &seq0, (void *)0x11, 0), 0); /* sequence 0 */
	assert_int_equal(sms_reassembler_add(r, &past, (void *)0x12, 0), 0); /* 4 of 3 */
	assert_int_equal(sms_reassembler_add(r, &big, (void *)0x13, 0), 0);  /* 255 > 10 */
	assert_int_equal(n_seen, 4);
	assert_int_equal(sms_reassembler_pending(r), 0);
	for (unsigned i = 0; i < 4; i++) {
		assert_false(seen[i].complete);
		assert_int_equal(seen[i].total, 1);
		assert_int_equal(seen[i].received, 1);
		assert_int_equal(seen[i].reason, i < 3 ? SMS_ERR_CONCAT : SMS_ERR_CONCAT_LIMIT);
		assert_ptr_equal(seen[i].tokens[0], (void *)(uintptr_t)(0x10 + i));
	}
	assert_ptr_equal(seen[0].first_part, &zero);
	assert_string_equal(seen[0].text, "zero");
	assert_string_equal(seen[3].text, "big");
	sms_reassembler_free(r);
}

static void test_255_parts(void **state)
{
	struct sms_reassembler *r = make(60000, 255, 0);
	size_t len = 153 * 255;
	char *text = talloc_size(ctx, len + 1);
	struct sms_deliver *p;
	int n;

	(void)state;
	for (size_t i = 0; i < len; i++)
		text[i] = (char)('a' + i % 26);
	text[len] = '\0';
	p = split("+15551230001", text, 250, &n);
	assert_int_equal(n, 255);
	for (int i = n - 1; i >= 0; i--)
		assert_int_equal(sms_reassembler_add(r, &p[i], NULL, 0), 0);
	assert_int_equal(n_seen, 1);
	assert_true(seen[0].complete);
	assert_int_equal(seen[0].total, 255);
	assert_int_equal(seen[0].received, 255);
	assert_string_equal(seen[0].text, text);
	sms_reassembler_free(r);
}

static void test_pending_table_full(void **state)
{
	struct sms_reassembler *r = make(60000, 0, 2);
	struct sms_deliver a = raw_part("+15551230001", SMS_ALPHABET_GSM7, "A", 1, 1, 2, 1);
	struct sms_deliver b = raw_part("+15551230001", SMS_ALPHABET_GSM7, "B", 1, 2, 2, 1);
	struct sms_deliver c = raw_part("+15551230001", SMS_ALPHABET_GSM7, "C", 1, 3, 2, 1);

	(void)state;
	sms_reassembler_add(r, &a, NULL, 0);
	sms_reassembler_add(r, &b, NULL, 1);
	assert_int_equal(n_seen, 0);
	sms_reassembler_add(r, &c, NULL, 2); /* the oldest (ref 1) makes room */
	assert_int_equal(n_seen, 1);
	assert_int_equal(seen[0].ref, 1);
	assert_false(seen[0].complete);
	assert_string_equal(seen[0].text, "A[…]");
	assert_int_equal(sms_reassembler_pending(r), 2);
	sms_reassembler_free(r);
}

static void test_pairs_cut_by_sender(void **state)
{
	struct sms_reassembler *r = make(60000, 0, 0);
	/* "A" + high surrogate | low surrogate + "B": U+1F600 cut between the parts. */
	struct sms_deliver u1 =
	    raw_part("+15551230001", SMS_ALPHABET_UCS2, "\x00\x41\xD8\x3D", 4, 1, 2, 1);
	struct sms_deliver u2 =
	    raw_part("+15551230001", SMS_ALPHABET_UCS2, "\xDE\x00\x00\x42", 4, 1, 2, 2);
	/* "x" + ESC | 0x65: € cut between the parts. */
	struct sms_deliver g1 = raw_part("+15551230002", SMS_ALPHABET_GSM7, "x\x1b", 2, 1, 2, 1);
	struct sms_deliver g2 = raw_part("+15551230002", SMS_ALPHABET_GSM7, "\x65y", 2, 1, 2, 2);

	(void)state;
	/* Alone, each half is a replacement character (or a space for ESC)... */
	assert_string_equal(u1.ud.text, "A\xEF\xBF\xBD");
	assert_string_equal(u2.ud.text, "\xEF\xBF\xBD"
					"B");
	assert_string_equal(g1.ud.text, "x ");
	/* ...joined before conversion, the character is whole. */
	sms_reassembler_add(r, &u2, NULL, 0);
	sms_reassembler_add(r, &u1, NULL, 0);
	sms_reassembler_add(r, &g1, NULL, 0);
	sms_reassembler_add(r, &g2, NULL, 0);
	assert_int_equal(n_seen, 2);
	assert_string_equal(seen[0].text, "A😀B");
	assert_string_equal(seen[1].text, "x€y");
	sms_reassembler_free(r);
}

static struct sms_reassembler *reentrant_r;
static struct sms_deliver reentrant_part;

static void on_message_reentrant(const struct sms_reassembled *m, void *data)
{
	on_message(m, data);
	/* A callback may feed the reassembler again. */
	if (n_seen == 1)
		sms_reassembler_add(reentrant_r, &reentrant_part, NULL, 5000);
}

static void test_callback_may_reenter(void **state)
{
	struct sms_reassembler_config cfg = {.timeout_ms = 1000};
	struct sms_deliver a = raw_part("+15551230001", SMS_ALPHABET_GSM7, "a", 1, 1, 2, 1);
	struct sms_deliver b = raw_part("+15551230001", SMS_ALPHABET_GSM7, "b", 1, 2, 2, 1);

	(void)state;
	reentrant_r = sms_reassembler_alloc(ctx, &cfg, on_message_reentrant, &n_seen);
	reentrant_part = raw_part("+15551230003", SMS_ALPHABET_GSM7, "c", 1, 9, 2, 1);
	sms_reassembler_add(reentrant_r, &a, NULL, 0);
	sms_reassembler_add(reentrant_r, &b, NULL, 10);
	assert_int_equal(sms_reassembler_expire(reentrant_r, 5000), 2);
	assert_int_equal(n_seen, 2);
	assert_int_equal(sms_reassembler_pending(reentrant_r), 1);
	assert_int_equal(sms_reassembler_flush(reentrant_r), 1);
	assert_int_equal(n_seen, 3);
	assert_int_equal(sms_reassembler_add(NULL, &a, NULL, 0), SMS_ERR_ARG);
	assert_null(sms_reassembler_alloc(ctx, &cfg, NULL, NULL));
	sms_reassembler_free(reentrant_r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_in_order_and_out_of_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_single_part_passes_through, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_duplicates_dropped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reference_reused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timeout_incomplete, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flush, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_concatenation_stands_alone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_255_parts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pending_table_full, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pairs_cut_by_sender, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_callback_may_reenter, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
