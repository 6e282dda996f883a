/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The relay's spoken prompts: the recording notice every leg hears before it hears
 * anyone, the waits, refusals and endings, and the menu fragments ("press" "one"
 * "for"). Their text is gateway/voice/prompts/prompts.txt; the build speaks each with
 * espeak-ng and resamples it with sox (prompts_gen.cmake) into <id>.wav, 8,000 Hz mono
 * signed 16-bit PCM, the modems' audio format. Names of people are not prompts.
 *
 * Promises:
 * - the table (voice_prompt_find, voice_prompt_count, voice_prompt_at) lists every
 *   prompt of prompts.txt, in its order, with the SHA-256 of the WAV file the build
 *   wrote; the build is deterministic, so the same sources and packages give the same
 *   hashes;
 * - voice_prompt_load() plays the district's own recording, override_dir/<id>.wav,
 *   whenever that file exists; if it exists but cannot be used (unreadable, not a WAV,
 *   not 8,000 Hz, not mono, empty or longer than VOICE_PROMPT_MAX_SECONDS) the load
 *   fails and says why: it never falls back to the built prompt, so a district that
 *   replaced a prompt never hears the one it replaced;
 * - a built prompt is read from the directories voice_prompt_builtin_dir() lists and
 *   used only if its bytes hash to the table's SHA-256, so what plays is exactly what
 *   the build made, whichever directory it came from;
 * - the hash returned is the SHA-256 of the very bytes that were decoded (the file is
 *   read once), fit to be stored with the call that played it.
 *
 * Where the built prompts are (compile definitions of chaperone-prompts, set in
 * gateway/voice/prompts/CMakeLists.txt): first the installed directory,
 * CHAPERONE_PROMPTS_INSTALL_DIR (`cmake --install` puts them there; by default
 * /usr/local/share/chaperone/prompts), then the build tree's ${CMAKE_BINARY_DIR}/prompts,
 * which is what the tests read. Because a file is used only when it matches the table
 * compiled into the same binary, the order decides nothing about what is heard. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define VOICE_PROMPT_RATE	 8000
#define VOICE_PROMPT_MAX_SECONDS 60
#define VOICE_PROMPT_SHA256_HEX	 65 /* 64 lower-case hex digits and NUL */

struct voice_prompt {
	const char *id;	    /* "recording_notice", "digit_1", ... */
	const char *text;   /* the English words spoken */
	const char *file;   /* "<id>.wav", in a built-in or the district's directory */
	size_t samples;	    /* of the built prompt, at VOICE_PROMPT_RATE */
	const char *sha256; /* of the built WAV file, 64 lower-case hex digits */
};

enum voice_prompt_err {
	VOICE_PROMPT_OK = 0,
	VOICE_PROMPT_E_ARG = -1,      /* a NULL prompt or output */
	VOICE_PROMPT_E_IO = -2,	      /* the file exists but could not be read */
	VOICE_PROMPT_E_FORMAT = -3,   /* not a WAV file libsndfile decodes, or truncated */
	VOICE_PROMPT_E_RATE = -4,     /* not 8,000 Hz */
	VOICE_PROMPT_E_CHANNELS = -5, /* not mono */
	VOICE_PROMPT_E_LENGTH = -6,   /* empty, or longer than VOICE_PROMPT_MAX_SECONDS */
	VOICE_PROMPT_E_MISSING = -7,  /* no built file in any built-in directory */
	VOICE_PROMPT_E_HASH = -8,     /* built files found, none with the table's SHA-256 */
};

/* The prompt with this id, or NULL. */
const struct voice_prompt *voice_prompt_find(const char *id);

/* Every prompt, in prompts.txt's order: voice_prompt_at(i) for i < voice_prompt_count(),
 * NULL past the end. */
size_t voice_prompt_count(void);
const struct voice_prompt *voice_prompt_at(size_t i);

/* How the built prompts were made: the espeak-ng and sox versions and their settings. */
const char *voice_prompt_provenance(void);

/* The directories built prompts are looked for in, in order; NULL past the end. */
const char *voice_prompt_builtin_dir(size_t i);

/* Loads prompt p: override_dir/<id>.wav when override_dir is not NULL and that file
 * exists, else the built prompt. On success returns VOICE_PROMPT_OK with *samples a
 * talloc array of *n samples on ctx (8,000 Hz mono; other sample encodings of a
 * district's WAV, such as 24-bit or mu-law, are converted to 16-bit) and sha256_hex the
 * file's SHA-256. On failure returns a negative enum voice_prompt_err and allocates and
 * writes nothing. */
int voice_prompt_load(const struct voice_prompt *p, const char *override_dir, void *ctx,
		      int16_t **samples, size_t *n, char sha256_hex[VOICE_PROMPT_SHA256_HEX]);

/* The same, with a message in err naming the file and what is wrong with it ("...: 44100
 * Hz, 2 channels; a prompt must be 8000 Hz mono") when it fails; err may be NULL. */
int voice_prompt_load_err(const struct voice_prompt *p, const char *override_dir, void *ctx,
			  int16_t **samples, size_t *n, char sha256_hex[VOICE_PROMPT_SHA256_HEX],
			  char *err, size_t errlen);

/* Names of people are not prompts: they change with every roster. voice_speak() says a
 * short line of text (a name, "Coach Dana Lee is calling Riley C.", a menu) at run time
 * with espeak-ng, the voice and speed the build uses, resampled to 8,000 Hz by libsoxr
 * and normalised to -3 dBFS. The same text gives the same samples throughout a run (the
 * last 64 texts are kept: espeak-ng itself varies a few samples from one synthesis to
 * the next), and sha256_hex is the SHA-256 of those samples (16-bit, host order), stored
 * with the call that played them. On success returns 0 with *samples a talloc array of
 * *n samples on ctx; -EINVAL for NULL arguments, an empty text, one over
 * VOICE_SPEAK_MAX_BYTES, not UTF-8 or with control characters (SSML and phoneme input
 * are never read: the text is words); -E2BIG when it would take over
 * VOICE_PROMPT_MAX_SECONDS; -EIO when espeak-ng cannot run; -ENOMEM. Not reentrant (one
 * event loop). */
#define VOICE_SPEAK_MAX_BYTES 400
int voice_speak(void *ctx, const char *text, int16_t **samples, size_t *n,
		char sha256_hex[VOICE_PROMPT_SHA256_HEX]);

/* A fixed English phrase for a voice_prompt_err. */
const char *voice_prompt_strerror(int rc);
