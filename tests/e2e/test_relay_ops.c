/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* What the district's IT person relies on without watching, end to end: a real
 * chaperoned on modemsim.
 *
 * - A modem that vanishes (its USB port gone) for longer than `alert modem-down` is
 *   texted about to the it-contact, from a modem that is up; when it is back, so is
 *   that; each alert is recorded as a delivery like every text.
 *
 *   test_relay_ops BUILD_DIR SOURCE_DIR */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/e2e/harness.h"
#include "tests/e2e/relay_harness.h"

#define IT "+16175550999" /* the district's IT person: not in the directory */

static struct relay_env *env;

static int group_start(void **state)
{
	struct relay_policy p;

	(void)state;
	relay_policy_defaults(&p);
	p.extra_config = "chaperone\n it-contact " IT "\n alert modem-down 2\n";
	env = relay_group_begin("tests/fixtures/district", &p);
	return 0;
}

static void test_modem_down_alert(void **state)
{
	char *text;

	(void)state;
	/* modem1 (Robotics) vanishes for 6 s: the alert comes from modem0 after 2 s. */
	json_object_put(sim_ctl_ok(env->sim,
				   "{\"cmd\":\"fault\",\"modem\":\"modem1\",\"kind\":\"vanish\","
				   "\"ms\":6000}"));
	text = relay_expect(env, IT, "modem1 (" RELAY_ROBOTICS ") has not been ready for", 15000);
	RELAY_HAS(env, text, "none is lost");
	free(text);
	text = relay_expect(env, IT, "modem1 (" RELAY_ROBOTICS ") is ready again after", 30000);
	free(text);
	RELAY_CHECK(env, relay_sql_int(env,
				       "SELECT count(*) FROM deliveries WHERE why = 'alert' AND"
				       " recipient_number = '%s' AND relay = '%s'",
				       IT, RELAY_SOCCER) >= 1);
	RELAY_CHECK(env, relay_sql_int(env,
				       "SELECT count(*) FROM deliveries WHERE why = 'alert' AND"
				       " recipient_number = '%s'",
				       IT) == 2);
	relay_wait_ready(env, 20000);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_modem_down_alert, relay_test_setup,
					    relay_test_teardown),
	};

	relay_harness_init(argc, argv);
	return cmocka_run_group_tests_name("relay operations", tests, group_start, relay_group_end);
}
