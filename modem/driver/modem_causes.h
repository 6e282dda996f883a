/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Which +CMS ERROR causes a later attempt may cure (the send queue retries those). */
#pragma once

#include <stdbool.h>

bool modem_cms_transient(int code);
