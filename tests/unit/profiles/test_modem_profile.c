/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Modem profiles: every profile is complete and consistent, names are unique, and the
 * +CGMM answers of real modems (and of modemsim's identity profiles) pick the right one;
 * anything unknown gets the generic profile. */
#include "tests/unit/sms/test_util.h"

#include <stdio.h>
#include <strings.h>

#include "modem/profiles/modem_profile.h"

/* "2,1,0,2,0": five comma-separated small integers, as +CNMI takes them. */
static void assert_cnmi_args(const char *s, int want_mt)
{
	int v[5];
	int end = 0;

	assert_non_null(s);
	assert_int_equal(sscanf(s, "%d,%d,%d,%d,%d%n", &v[0], &v[1], &v[2], &v[3], &v[4], &end), 5);
	assert_int_equal(s[end], '\0');
	assert_true(v[0] >= 1 && v[0] <= 3); /* mode 0 would buffer every indication */
	assert_int_equal(v[1], want_mt);
	assert_true(v[3] == 1 || v[3] == 2); /* status reports must reach the driver */
	assert_true(v[4] == 0 || v[4] == 1);
}

static unsigned count_profiles(void)
{
	unsigned n = 0;

	while (modem_profiles()[n])
		n++;
	return n;
}

static void test_every_profile_is_complete(void **state)
{
	const struct modem_profile *const *all = modem_profiles();

	(void)state;
	assert_int_equal(count_profiles(), 5);
	for (unsigned i = 0; all[i]; i++) {
		const struct modem_profile *p = all[i];

		assert_non_null(p->name);
		assert_true(strlen(p->name) > 0);
		assert_non_null(p->description);
		assert_true(strlen(p->description) > 0);
		assert_non_null(p->cgmm_match);
		assert_non_null(p->init);
		for (const char *const *c = p->init; *c; c++)
			assert_true(strncasecmp(*c, "AT", 2) == 0);
		for (const char *const *m = p->cgmm_match; *m; m++)
			assert_true(strlen(*m) >= 4); /* short strings would match by accident */
		assert_true(p->rx_mode == MODEM_RX_DIRECT || p->rx_mode == MODEM_RX_STORED);
		assert_cnmi_args(p->cnmi_direct, 2);
		assert_cnmi_args(p->cnmi_stored, 1);
		assert_non_null(p->storage);
		assert_true(!strcmp(p->storage, "SM") || !strcmp(p->storage, "ME") ||
			    !strcmp(p->storage, "MT"));
		assert_true(p->reset_wait_s >= 5 && p->reset_wait_s <= 120);
		/* Names are unique, so configuration keys are unambiguous. */
		for (unsigned j = i + 1; all[j]; j++)
			assert_true(strcasecmp(p->name, all[j]->name) != 0);
		/* Every profile is found by its own name. */
		assert_ptr_equal(modem_profile_by_name(p->name), p);
	}
}

/* Every profile says how it carries calls, in commands the driver can send as they are. */
static void test_every_voice_is_complete(void **state)
{
	const struct modem_profile *const *all = modem_profiles();

	(void)state;
	for (unsigned i = 0; all[i]; i++) {
		const struct modem_voice_profile *v = &all[i]->voice;
		const char *pc;

		assert_non_null(v->init);
		for (const char *const *c = v->init; *c; c++)
			assert_true(strncasecmp(*c, "AT", 2) == 0);
		assert_non_null(v->hangup);
		assert_true(!strcmp(v->hangup, "AT+CHUP") || !strcmp(v->hangup, "ATH"));
		/* One digit goes into the DTMF command, through one %c and nothing else. */
		assert_non_null(v->dtmf);
		assert_true(strncmp(v->dtmf, "AT", 2) == 0);
		pc = strchr(v->dtmf, '%');
		assert_non_null(pc);
		assert_int_equal(pc[1], 'c');
		assert_null(strchr(pc + 1, '%'));
		if (v->kind == MODEM_VOICE_NONE) {
			assert_null(v->audio_on);
			assert_false(v->volte);
			continue;
		}
		assert_non_null(v->audio_on);
		assert_true(strncmp(v->audio_on, "AT", 2) == 0);
		assert_true(v->audio_interface >= 1 && v->audio_interface <= 8);
		assert_true(!v->audio_off || strncmp(v->audio_off, "AT", 2) == 0);
	}
}

static void test_generic_is_the_safe_default(void **state)
{
	const struct modem_profile *g = modem_profile_by_name("generic");

	(void)state;
	assert_non_null(g);
	assert_ptr_equal(modem_profiles()[0], g);
	assert_null(g->cgmm_match[0]);
	assert_null(g->init[0]);
	assert_int_equal(g->rx_mode, MODEM_RX_STORED);
	assert_string_equal(g->storage, "SM");
	assert_false(g->cmms);
	assert_false(g->cfun_reset);
}

static void test_by_name(void **state)
{
	(void)state;
	assert_string_equal(modem_profile_by_name("quectel-ec25")->name, "quectel-ec25");
	assert_string_equal(modem_profile_by_name("QUECTEL-EC25")->name, "quectel-ec25");
	assert_string_equal(modem_profile_by_name("simcom-sim7600")->name, "simcom-sim7600");
	assert_string_equal(modem_profile_by_name("simcom-sim800")->name, "simcom-sim800");
	assert_string_equal(modem_profile_by_name("huawei-e173")->name, "huawei-e173");
	assert_null(modem_profile_by_name("quectel"));
	assert_null(modem_profile_by_name(""));
	assert_null(modem_profile_by_name(NULL));
}

static void assert_cgmm(const char *cgmm, const char *want)
{
	const struct modem_profile *p = modem_profile_for_cgmm(cgmm);

	assert_non_null(p);
	if (strcmp(p->name, want) != 0)
		fail_msg("+CGMM \"%s\" chose %s, want %s", cgmm ? cgmm : "(null)", p->name, want);
}

static void test_real_cgmm_answers(void **state)
{
	(void)state;
	assert_cgmm("EC25", "quectel-ec25");
	assert_cgmm("Quectel EC25-E", "quectel-ec25");
	assert_cgmm("EG25", "quectel-ec25");
	assert_cgmm("EG25-G", "quectel-ec25");
	assert_cgmm("SIMCOM_SIM7600E-H", "simcom-sim7600");
	assert_cgmm("SIMCOM_SIM7600G-H", "simcom-sim7600");
	assert_cgmm("SIM800 R14.18", "simcom-sim800");
	assert_cgmm("SIMCOM_SIM800", "simcom-sim800");
	assert_cgmm("SIMCOM_SIM800L", "simcom-sim800");
	assert_cgmm("E173", "huawei-e173");
	assert_cgmm("e173", "huawei-e173");
}

/* What modemsim --model prints for +CGMM (hw/modemsim/profile.c). */
static void test_modemsim_cgmm_answers(void **state)
{
	(void)state;
	assert_cgmm("modemsim", "generic");
	assert_cgmm("EC25", "quectel-ec25");
	assert_cgmm("SIMCOM_SIM7600E-H", "simcom-sim7600");
	assert_cgmm("SIMCOM_SIM800", "simcom-sim800");
	assert_cgmm("E173", "huawei-e173");
}

static void test_unknown_is_generic(void **state)
{
	(void)state;
	assert_cgmm("MC7455", "generic");
	assert_cgmm("u-blox SARA-U270", "generic");
	assert_cgmm("", "generic");
	assert_cgmm(NULL, "generic");
}

static void test_model_facts(void **state)
{
	const struct modem_profile *ec25 = modem_profile_by_name("quectel-ec25");
	const struct modem_profile *sim7600 = modem_profile_by_name("simcom-sim7600");
	const struct modem_profile *sim800 = modem_profile_by_name("simcom-sim800");
	const struct modem_profile *e173 = modem_profile_by_name("huawei-e173");

	(void)state;
	assert_true(ec25->lte);
	assert_true(sim7600->lte);
	assert_false(sim800->lte);
	assert_false(e173->lte);
	assert_int_equal(ec25->rx_mode, MODEM_RX_DIRECT);
	assert_int_equal(e173->rx_mode, MODEM_RX_STORED);
	assert_true(sim800->cmms);
	assert_true(ec25->cfun_reset);
	/* Huawei sticks report URCs every few seconds unless told not to. */
	assert_string_equal(e173->init[0], "AT^CURC=0");
	/* Voice: VoLTE on the LTE modules only; each family's own audio switch and URCs. */
	assert_int_equal(ec25->voice.kind, MODEM_VOICE_SERIAL_PCM);
	assert_true(ec25->voice.volte);
	assert_string_equal(ec25->voice.audio_on, "AT+QPCMV=1,0");
	assert_int_equal(ec25->voice.arm, MODEM_AUDIO_AT_INIT);
	assert_int_equal(ec25->voice.urcs, MODEM_CALL_URC_QUECTEL);
	assert_string_equal(ec25->voice.dtmf, "AT+VTS=\"%c\""); /* Quectel wants quotes */
	assert_int_equal(sim7600->voice.kind, MODEM_VOICE_SERIAL_PCM);
	assert_true(sim7600->voice.volte);
	assert_int_equal(sim7600->voice.arm, MODEM_AUDIO_WHEN_ACTIVE);
	assert_string_equal(sim7600->voice.audio_off, "AT+CPCMREG=0");
	assert_int_equal(sim800->voice.kind, MODEM_VOICE_NONE);
	assert_int_equal(e173->voice.kind, MODEM_VOICE_HUAWEI_TTY);
	assert_false(e173->voice.volte);
	assert_int_equal(e173->voice.arm, MODEM_AUDIO_AFTER_DIAL);
	assert_int_equal(modem_profile_by_name("generic")->voice.kind, MODEM_VOICE_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_profile_is_complete),
	    cmocka_unit_test(test_every_voice_is_complete),
	    cmocka_unit_test(test_generic_is_the_safe_default),
	    cmocka_unit_test(test_by_name),
	    cmocka_unit_test(test_real_cgmm_answers),
	    cmocka_unit_test(test_modemsim_cgmm_answers),
	    cmocka_unit_test(test_unknown_is_generic),
	    cmocka_unit_test(test_model_facts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
