/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* `modemsim ctl DIR <cmd> [args]`: one request to a running modemsim. */
#pragma once

/* argv[0] is "ctl". Returns the process exit code: 0 ok, 1 "ok": false, 2 usage or
 * connection error. */
int ctl_client_main(int argc, char **argv);
