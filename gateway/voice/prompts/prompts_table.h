/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The table prompts_gen.cmake writes at build time (prompts_table.c in the build tree);
 * read only through prompts.h. */
#pragma once

#include "gateway/voice/prompts/prompts.h"

extern const struct voice_prompt voice_prompt_table[];
extern const size_t voice_prompt_table_len;
extern const char voice_prompt_table_provenance[];
