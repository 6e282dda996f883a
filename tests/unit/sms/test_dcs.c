/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* TP-DCS coding groups (TS 23.038 §4). */
#include <osmocom/core/utils.h> /* ARRAY_SIZE */

#include "tests/unit/sms/test_util.h"

struct dcs_vector {
	uint8_t dcs;
	int rc;
	enum sms_alphabet alphabet;
	bool has_class;
	uint8_t msg_class;
};

static const struct dcs_vector vectors[] = {
    /* 00xx general data coding */
    {0x00, 0, SMS_ALPHABET_GSM7, false, 0},
    {0x04, 0, SMS_ALPHABET_8BIT, false, 0},
    {0x08, 0, SMS_ALPHABET_UCS2, false, 0},
    {0x0C, SMS_ERR_DCS, 0, false, 0},	   /* reserved alphabet */
    {0x10, 0, SMS_ALPHABET_GSM7, true, 0}, /* class 0 (flash) */
    {0x11, 0, SMS_ALPHABET_GSM7, true, 1}, /* [gammu 29] */
    {0x16, 0, SMS_ALPHABET_8BIT, true, 2},
    {0x19, 0, SMS_ALPHABET_UCS2, true, 1},
    {0x03, 0, SMS_ALPHABET_GSM7, false, 0}, /* class bits without bit 4: no class */
    {0x20, SMS_ERR_DCS, 0, false, 0},	    /* compressed */
    {0x38, SMS_ERR_DCS, 0, false, 0},
    /* 01xx automatic deletion, otherwise the same */
    {0x40, 0, SMS_ALPHABET_GSM7, false, 0},
    {0x48, 0, SMS_ALPHABET_UCS2, false, 0},
    {0x52, 0, SMS_ALPHABET_GSM7, true, 2},
    {0x60, SMS_ERR_DCS, 0, false, 0},
    /* 1000..1011 reserved */
    {0x80, SMS_ERR_DCS, 0, false, 0},
    {0xB4, SMS_ERR_DCS, 0, false, 0},
    /* message waiting: 1100 discard (7-bit), 1101 store (7-bit), 1110 store (UCS-2) */
    {0xC0, 0, SMS_ALPHABET_GSM7, false, 0},
    {0xC8, 0, SMS_ALPHABET_GSM7, false, 0},
    {0xD9, 0, SMS_ALPHABET_GSM7, false, 0},
    {0xE8, 0, SMS_ALPHABET_UCS2, false, 0},
    /* 1111 data coding / message class */
    {0xF0, 0, SMS_ALPHABET_GSM7, true, 0},
    {0xF1, 0, SMS_ALPHABET_GSM7, true, 1}, /* [gammu 19, 28] */
    {0xF5, 0, SMS_ALPHABET_8BIT, true, 1}, /* [gammu 26, 40] */
    {0xF6, 0, SMS_ALPHABET_8BIT, true, 2},
    {0xFB, 0, SMS_ALPHABET_GSM7, true, 3}, /* [gammu 42]: reserved bit 3 ignored */
};

static void test_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(vectors); i++) {
		const struct dcs_vector *v = &vectors[i];
		enum sms_alphabet a = 99;
		bool hc = true;
		uint8_t cls = 99;

		assert_int_equal(sms_dcs_parse(v->dcs, &a, &hc, &cls), v->rc);
		if (v->rc)
			continue;
		assert_int_equal(a, v->alphabet);
		assert_int_equal(hc, v->has_class);
		if (hc)
			assert_int_equal(cls, v->msg_class);
	}
}

static void test_for(void **state)
{
	(void)state;
	assert_int_equal(sms_dcs_for(SMS_ALPHABET_GSM7, false, 0), 0x00);
	assert_int_equal(sms_dcs_for(SMS_ALPHABET_8BIT, false, 0), 0x04);
	assert_int_equal(sms_dcs_for(SMS_ALPHABET_UCS2, false, 0), 0x08);
	assert_int_equal(sms_dcs_for(SMS_ALPHABET_GSM7, true, 0), 0x10);
	assert_int_equal(sms_dcs_for(SMS_ALPHABET_UCS2, true, 1), 0x19);
	assert_string_equal(sms_alphabet_name(SMS_ALPHABET_UCS2), "UCS-2");
}

static void test_message_waiting(void **state)
{
	struct sms_dcs_mwi mwi;

	(void)state;
	assert_int_equal(sms_dcs_mwi(0xC8, &mwi), 1); /* discard, set, voicemail */
	assert_false(mwi.store);
	assert_true(mwi.active);
	assert_int_equal(mwi.type, 0);
	assert_int_equal(sms_dcs_mwi(0xD1, &mwi), 1); /* store, cleared, fax */
	assert_true(mwi.store);
	assert_false(mwi.active);
	assert_int_equal(mwi.type, 1);
	assert_int_equal(sms_dcs_mwi(0xEA, &mwi), 1); /* UCS-2 store, set, e-mail */
	assert_int_equal(mwi.type, 2);
	assert_int_equal(sms_dcs_mwi(0x00, &mwi), 0);
	assert_int_equal(sms_dcs_mwi(0xF0, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_for),
	    cmocka_unit_test(test_message_waiting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
