/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* chaperone held list|release|reject: an administrator's decision on held messages.
 *
 * The decision is recorded (who, when, note) with the deliveries it releases or rejects,
 * in one transaction; chaperoned notices the change within a second and sends what was
 * released. The sender is told either way. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <talloc.h>

#include "gateway/cli/cli.h"
#include "gateway/cli/cli_db.h"
#include "storage/records/records.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: chaperone held list [--db PATH]\n"
		   "       chaperone held release ID --by HANDLE [--note TEXT] [--db PATH]\n"
		   "       chaperone held reject ID --by HANDLE [--note TEXT] [--db PATH]\n\n"
		   "Messages the policy held for an administrator (contact details) or for the\n"
		   "end of quiet hours. ID is the number `list` shows. --by names the\n"
		   "administrator who decides (their handle, e.g. @hpark): the directory must\n"
		   "list them as an active administrator. Where " CLI_OPERATORS " maps Unix\n"
		   "accounts to administrators, your account decides as its administrator and\n"
		   "--by may be left out. The sender is told who decided.\n");
}

struct held_print {
	struct store *s;
	void *ctx;
	unsigned n;
};

/* One held message: its number, when (local time), who sent it (name and handle, the
 * number only when the directory does not know it), and what holds it. */
static void print_held(const struct rec_held *h, void *data)
{
	struct held_print *hp = data;
	char at[48], until[48];
	struct store_person p;
	const char *from = h->sender_number;

	if (h->sender_id && store_person_by_id(hp->s, hp->ctx, h->sender_id, &p) == 1)
		from = talloc_asprintf(hp->ctx, "%s (@%s)", cli_display(hp->ctx, &p), p.handle);
	cli_format_local(at, sizeof(at), h->at);
	printf("%" PRId64 "\t%s\tfrom %s on %s\t[%s]\t%s", h->verdict_id, at, from, h->relay,
	       h->rules, h->release);
	if (h->hold_until) {
		cli_format_local(until, sizeof(until), h->hold_until);
		printf(" until %s", until);
	}
	printf("\n\treason: %s\n\ttext: %s\n\trecipients: %u\n", h->reason, h->body,
	       h->n_deliveries);
	hp->n++;
}

struct find_held {
	int64_t id;
	bool found;
	char sender[64], relay[32];
	int64_t sender_id, message_id;
};

static void match_held(const struct rec_held *h, void *data)
{
	struct find_held *f = data;

	if (h->verdict_id != f->id)
		return;
	f->found = true;
	snprintf(f->sender, sizeof(f->sender), "%s", h->sender_number);
	snprintf(f->relay, sizeof(f->relay), "%s", h->relay);
	f->sender_id = h->sender_id;
	f->message_id = h->message_id;
}

static int decide(struct store *s, void *ctx, bool release, int argc, char **argv)
{
	const char *by = NULL, *note = NULL;
	struct store_person admin;
	struct find_held f = {0};
	char *end;
	struct rec_delivery d = {0};
	char body[256];

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--by") && i + 1 < argc)
			by = argv[++i];
		else if (!strcmp(argv[i], "--note") && i + 1 < argc)
			note = argv[++i];
		else if (!strcmp(argv[i], "--db") && i + 1 < argc)
			i++;
		else if (!f.id) {
			f.id = strtoll(argv[i], &end, 10);
			if (*end || f.id <= 0) {
				fprintf(stderr, "chaperone held: '%s' is not a held message id\n",
					argv[i]);
				return CLI_EXIT_USAGE;
			}
		} else {
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (!f.id) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	/* Only an administrator of the directory decides — on a box with the operators
	 * table, the one the Unix account is — and the sender is told who. */
	if (!by && !cli_operators_table()) {
		fprintf(stderr, "chaperone held: say which administrator decides: --by HANDLE\n");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!cli_deciding_admin(s, ctx, "held", by, &admin))
		return CLI_EXIT_INPUT;
	by = admin.handle;
	rec_held_list(s, match_held, &f);
	if (!f.found) {
		fprintf(stderr,
			"chaperone held: %" PRId64 " is not a message waiting for a decision\n",
			f.id);
		return CLI_EXIT_INPUT;
	}
	if (store_begin(s) < 0)
		goto fail;
	if (rec_hold_decide(s, f.id, store_now_ms(), release, by, note) < 0)
		goto fail;
	/* The sender learns the outcome from the relay number, like every other reply. */
	snprintf(body, sizeof(body), "Your held message was %s by an administrator (%s)%s%s%s",
		 release ? "released and sent" : "not approved", cli_display(ctx, &admin),
		 release ? "." : "; it was not sent.", note ? " Note: " : "", note ? note : "");
	d.at = store_now_ms();
	d.verdict_id = f.id;
	d.message_id = f.message_id;
	d.relay = f.relay;
	d.recipient_id = f.sender_id;
	d.recipient_number = f.sender;
	d.why = "reply";
	d.body = body;
	d.status = REC_ST_QUEUED;
	if (f.sender[0] == '+' && rec_delivery_add(s, &d) <= 0)
		goto fail;
	if (store_commit(s) < 0)
		goto fail;
	printf("%" PRId64 " %s by %s\n", f.id, release ? "released" : "rejected", by);
	return CLI_EXIT_OK;
fail:
	store_rollback(s);
	fprintf(stderr, "chaperone held: cannot record the decision: %s\n", store_errmsg(s));
	return CLI_EXIT_DB;
}

int cli_held_main(int argc, char **argv)
{
	const char *db = NULL;
	void *ctx;
	struct store *s;
	int rc;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	for (int i = 2; i < argc - 1; i++)
		if (!strcmp(argv[i], "--db"))
			db = argv[i + 1];
	ctx = talloc_named_const(NULL, 0, "chaperone held");
	s = cli_open_archive(ctx, db);
	if (!s) {
		talloc_free(ctx);
		return CLI_EXIT_DB;
	}
	if (!strcmp(argv[1], "list")) {
		struct held_print hp = {.s = s, .ctx = ctx};

		rc = rec_held_list(s, print_held, &hp) < 0 ? CLI_EXIT_INPUT : CLI_EXIT_OK;
		if (!hp.n)
			printf("No held messages.\n");
	} else if (!strcmp(argv[1], "release") || !strcmp(argv[1], "reject")) {
		rc = decide(s, ctx, !strcmp(argv[1], "release"), argc - 2, argv + 2);
	} else {
		usage(stderr);
		rc = CLI_EXIT_USAGE;
	}
	talloc_free(ctx);
	return rc;
}
