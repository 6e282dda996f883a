/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The relay's spoken prompts (gateway/voice/prompts/prompts.h): every prompt the call
 * flows need was built, 8 kHz mono 16-bit, audible, with the hash its table holds; a
 * second generation into another directory (the prompts_regen fixture, REGEN_DIR)
 * writes the same bytes; a district's 8 kHz mono recording is used in a prompt's place
 * and hashed, and one at another rate or with two channels is refused with a message
 * that says why, never replaced by the built prompt. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sndfile.h>
#include <sodium.h>
#include <talloc.h>

#include "gateway/voice/prompts/prompts.h"

/* Below this RMS (about -40 dBFS) a prompt is taken for silence; the built prompts are
 * normalised to a -3 dBFS peak and speech sits near -20 dBFS RMS. */
#define RMS_FLOOR 330.0

static const char *const required[] = {
    "recording_notice",
    "please_hold",
    "guardian_unreachable",
    "adult_left",
    "call_ended",
    "unknown_caller",
    "press",
    "for",
    "digit_1",
    "digit_2",
    "digit_3",
    "digit_4",
    "digit_5",
    "digit_6",
    "digit_7",
    "digit_8",
    "digit_9",
    "digit_0",
    "is_calling",
    "connecting",
    "quiet_hours",
    "not_allowed",
};

struct env {
	char dir[64];
	void *ctx;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	snprintf(e->dir, sizeof(e->dir), "/tmp/chaperone-prompts-XXXXXX");
	if (!e || !mkdtemp(e->dir) || sodium_init() < 0)
		return -1;
	e->ctx = talloc_new(NULL);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	if (system(cmd) != 0)
		return -1;
	talloc_free(e->ctx);
	free(e);
	return 0;
}

/* The SHA-256 of a file's bytes, in hex, computed here apart from the library. */
static void file_sha256(const char *path, char hex[VOICE_PROMPT_SHA256_HEX])
{
	crypto_hash_sha256_state st;
	uint8_t buf[4096], h[crypto_hash_sha256_BYTES];
	size_t k;
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	crypto_hash_sha256_init(&st);
	while ((k = fread(buf, 1, sizeof(buf), f)) > 0)
		crypto_hash_sha256_update(&st, buf, k);
	fclose(f);
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(hex, VOICE_PROMPT_SHA256_HEX, h, sizeof(h));
}

static double rms(const int16_t *s, size_t n)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += (double)s[i] * s[i];
	return n ? sqrt(sum / (double)n) : 0;
}

/* A tone of frames frames at rate Hz on every channel, written as a WAV of format. */
static void write_wav(const char *path, int rate, int channels, int format, size_t frames)
{
	SF_INFO info = {.samplerate = rate, .channels = channels, .format = SF_FORMAT_WAV | format};
	SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
	short *s = calloc(frames * (size_t)channels + 1, sizeof(*s));

	assert_non_null(sf);
	assert_non_null(s);
	for (size_t i = 0; i < frames; i++)
		for (int c = 0; c < channels; c++)
			s[i * (size_t)channels + (size_t)c] =
			    (short)(8000 * sin(2 * M_PI * 440 * (double)i / rate));
	assert_int_equal(sf_writef_short(sf, s, (sf_count_t)frames), (sf_count_t)frames);
	sf_close(sf);
	free(s);
}

static void test_table(void **state)
{
	(void)state;
	assert_true(voice_prompt_count() >= sizeof(required) / sizeof(required[0]));
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		const struct voice_prompt *p = voice_prompt_find(required[i]);

		if (!p)
			fail_msg("no prompt %s", required[i]);
		assert_string_equal(p->id, required[i]);
		assert_true(strlen(p->text) > 0);
	}
	for (size_t i = 0; i < voice_prompt_count(); i++) {
		const struct voice_prompt *p = voice_prompt_at(i);
		char file[128];

		assert_ptr_equal(voice_prompt_find(p->id), p);
		snprintf(file, sizeof(file), "%s.wav", p->id);
		assert_string_equal(p->file, file);
		assert_int_equal(strlen(p->sha256), 64);
		assert_int_equal(strspn(p->sha256, "0123456789abcdef"), 64);
	}
	assert_null(voice_prompt_at(voice_prompt_count()));
	assert_null(voice_prompt_find("no_such_prompt"));
	assert_null(voice_prompt_find(NULL));
	/* The district's name is configuration: the built notice names none. */
	assert_non_null(strstr(voice_prompt_find("recording_notice")->text, "recorded"));
	assert_non_null(strstr(voice_prompt_find("recording_notice")->text, "public record"));
	assert_non_null(strstr(voice_prompt_provenance(), "espeak-ng"));
	assert_non_null(strstr(voice_prompt_provenance(), " -D "));
	assert_string_equal(voice_prompt_builtin_dir(1), PROMPTS_DIR);
}

/* Every built file: 8 kHz mono 16-bit PCM, the table's length and hash, audible; and
 * voice_prompt_load() with no district directory gives exactly it. */
static void test_built(void **state)
{
	struct env *e = *state;

	for (size_t i = 0; i < voice_prompt_count(); i++) {
		const struct voice_prompt *p = voice_prompt_at(i);
		char path[512], hex[VOICE_PROMPT_SHA256_HEX], got_hex[VOICE_PROMPT_SHA256_HEX];
		SF_INFO info = {0};
		SNDFILE *sf;
		int16_t *s;
		size_t n;

		snprintf(path, sizeof(path), "%s/%s", PROMPTS_DIR, p->file);
		sf = sf_open(path, SFM_READ, &info);
		if (!sf)
			fail_msg("%s: %s", path, sf_strerror(NULL));
		assert_int_equal(info.samplerate, 8000);
		assert_int_equal(info.channels, 1);
		assert_int_equal(info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
		assert_int_equal(info.frames, (sf_count_t)p->samples);
		sf_close(sf);

		file_sha256(path, hex);
		assert_string_equal(hex, p->sha256);

		assert_int_equal(voice_prompt_load(p, NULL, e->ctx, &s, &n, got_hex),
				 VOICE_PROMPT_OK);
		assert_int_equal(n, p->samples);
		assert_string_equal(got_hex, p->sha256);
		if (rms(s, n) < RMS_FLOOR)
			fail_msg("%s is silent: RMS %.1f", p->id, rms(s, n));
		talloc_free(s);
	}
}

/* The prompts_regen fixture ran the generator again into REGEN_DIR: the same bytes. */
static void test_deterministic(void **state)
{
	(void)state;
	for (size_t i = 0; i < voice_prompt_count(); i++) {
		const struct voice_prompt *p = voice_prompt_at(i);
		char path[512], hex[VOICE_PROMPT_SHA256_HEX];

		snprintf(path, sizeof(path), "%s/%s", REGEN_DIR, p->file);
		file_sha256(path, hex);
		if (strcmp(hex, p->sha256) != 0)
			fail_msg("%s regenerated as %s, built as %s", p->id, hex, p->sha256);
	}
}

/* A district's 8 kHz mono recording is used and hashed; its 24-bit and mu-law ones too
 * (converted to 16-bit); prompts it did not replace stay the built ones. */
static void test_override_used(void **state)
{
	struct env *e = *state;
	const struct voice_prompt *notice = voice_prompt_find("recording_notice");
	const struct voice_prompt *hold = voice_prompt_find("please_hold");
	const int formats[] = {SF_FORMAT_PCM_16, SF_FORMAT_PCM_24, SF_FORMAT_ULAW};
	char path[512], hex[VOICE_PROMPT_SHA256_HEX], got_hex[VOICE_PROMPT_SHA256_HEX];
	char err[256];
	int16_t *s;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", e->dir, notice->file);
	for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
		write_wav(path, 8000, 1, formats[f], 4000);
		file_sha256(path, hex);
		assert_int_equal(voice_prompt_load_err(notice, e->dir, e->ctx, &s, &n, got_hex, err,
						       sizeof(err)),
				 VOICE_PROMPT_OK);
		assert_string_equal(err, "");
		assert_int_equal(n, 4000);
		assert_string_equal(got_hex, hex);
		assert_string_not_equal(got_hex, notice->sha256);
		/* The tone, not the built speech: sample 20 is 8000 sin(2 pi 440 20 / 8000). */
		assert_true(abs(s[20] - (int)(8000 * sin(2 * M_PI * 440 * 20 / 8000.0))) < 300);
		talloc_free(s);
	}

	assert_int_equal(voice_prompt_load(hold, e->dir, e->ctx, &s, &n, got_hex), VOICE_PROMPT_OK);
	assert_string_equal(got_hex, hold->sha256);
	assert_int_equal(n, hold->samples);
	talloc_free(s);
}

/* A district file that exists but cannot be used: an error naming it and what is
 * wrong, nothing allocated, outputs untouched, and never the built prompt instead. */
static void refused(struct env *e, const struct voice_prompt *p, int want, const char *says)
{
	char hex[VOICE_PROMPT_SHA256_HEX] = "untouched", err[512];
	int16_t *s = NULL;
	size_t n = 12345;
	size_t blocks = talloc_total_blocks(e->ctx);
	int rc = voice_prompt_load_err(p, e->dir, e->ctx, &s, &n, hex, err, sizeof(err));

	if (rc != want)
		fail_msg("%s: %d (%s), wanted %d", p->id, rc, err, want);
	if (!strstr(err, says) || !strstr(err, e->dir))
		fail_msg("message \"%s\" lacks \"%s\" or the file", err, says);
	assert_null(s);
	assert_int_equal(n, 12345);
	assert_string_equal(hex, "untouched");
	assert_int_equal(talloc_total_blocks(e->ctx), blocks);
	/* The short form says the same by its code. */
	assert_int_equal(voice_prompt_load(p, e->dir, e->ctx, &s, &n, hex), want);
	assert_null(s);
	assert_non_null(voice_prompt_strerror(want));
}

static void test_override_refused(void **state)
{
	struct env *e = *state;
	const struct voice_prompt *p = voice_prompt_find("recording_notice");
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", e->dir, p->file);

	write_wav(path, 44100, 1, SF_FORMAT_PCM_16, 44100);
	refused(e, p, VOICE_PROMPT_E_RATE, "44100 Hz, 1 channel; a prompt must be 8000 Hz mono");

	write_wav(path, 8000, 2, SF_FORMAT_PCM_16, 8000);
	refused(e, p, VOICE_PROMPT_E_CHANNELS,
		"8000 Hz, 2 channels; a prompt must be 8000 Hz mono");

	write_wav(path, 16000, 2, SF_FORMAT_PCM_16, 8000);
	refused(e, p, VOICE_PROMPT_E_RATE, "16000 Hz, 2 channels");

	write_wav(path, 8000, 1, SF_FORMAT_PCM_16, 0);
	refused(e, p, VOICE_PROMPT_E_LENGTH, "a prompt is 1 to 60 s long");

	write_wav(path, 8000, 1, SF_FORMAT_PCM_16, 8000 * 61);
	refused(e, p, VOICE_PROMPT_E_LENGTH, "a prompt is 1 to 60 s long");

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("This call is recorded.\n", f);
	fclose(f);
	refused(e, p, VOICE_PROMPT_E_FORMAT, "not a WAV file");

	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	refused(e, p, VOICE_PROMPT_E_IO, "not a regular file");
	assert_int_equal(rmdir(path), 0);
}

static void test_bad_arguments(void **state)
{
	struct env *e = *state;
	char hex[VOICE_PROMPT_SHA256_HEX];
	int16_t *s;
	size_t n;

	assert_int_equal(voice_prompt_load(NULL, NULL, e->ctx, &s, &n, hex), VOICE_PROMPT_E_ARG);
	assert_int_equal(voice_prompt_load(voice_prompt_at(0), NULL, e->ctx, NULL, &n, hex),
			 VOICE_PROMPT_E_ARG);
}

/* Names spoken at run time: speech at 8 kHz, peak -3 dBFS, the same samples (and hash)
 * for the same text, another hash for another name; bad text refused. */
static void test_speak(void **state)
{
	struct env *e = *state;
	char h1[VOICE_PROMPT_SHA256_HEX], h2[VOICE_PROMPT_SHA256_HEX], h3[VOICE_PROMPT_SHA256_HEX];
	char hex[65], big[VOICE_SPEAK_MAX_BYTES + 2];
	unsigned char hash[crypto_hash_sha256_BYTES];
	int16_t *a, *b, *c, *s;
	size_t na, nb, nc, n;
	int peak = 0;

	assert_int_equal(voice_speak(e->ctx, "Coach Dana Lee is calling Riley C.", &a, &na, h1), 0);
	print_message("spoken: %.2f s, rms %.0f\n", na / 8000.0, rms(a, na));
	assert_true(na > 8000 && na < 8000 * 6); /* a second or more of a short sentence */
	for (size_t i = 0; i < na; i++)
		peak = abs(a[i]) > peak ? abs(a[i]) : peak;
	assert_in_range(peak, 23000, 23300); /* -3 dBFS */
	assert_true(rms(a, na) > 1000);	     /* speech, not near silence */
	crypto_hash_sha256(hash, (const unsigned char *)a, na * sizeof(*a));
	sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
	assert_string_equal(hex, h1);
	assert_int_equal(voice_speak(e->ctx, "Coach Dana Lee is calling Riley C.", &b, &nb, h2), 0);
	assert_int_equal(nb, na);
	assert_memory_equal(a, b, na * sizeof(*a));
	assert_string_equal(h1, h2);
	/* Non-Latin names are read too, and differ. */
	assert_int_equal(voice_speak(e->ctx, "Coach Zoë Þórsdóttir is calling 陈丽", &c, &nc, h3),
			 0);
	assert_true(nc > 4000);
	assert_string_not_equal(h1, h3);

	assert_int_equal(voice_speak(e->ctx, "", &s, &n, h3), -EINVAL);
	assert_int_equal(voice_speak(e->ctx, NULL, &s, &n, h3), -EINVAL);
	assert_int_equal(voice_speak(e->ctx, "Dana\nLee", &s, &n, h3), -EINVAL);
	assert_int_equal(voice_speak(e->ctx, "Dana \xff Lee", &s, &n, h3), -EINVAL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(voice_speak(e->ctx, big, &s, &n, h3), -EINVAL);
	/* Markup is read as words, never obeyed: no minute-long break. */
	assert_int_equal(voice_speak(e->ctx, "<break time=\"60s\"/> Lee", &s, &n, h3), 0);
	assert_true(n < 8000 * 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_table, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_built, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deterministic, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_override_used, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_override_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_speak, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
