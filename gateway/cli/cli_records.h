/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* `chaperone records ...`: the records officer's commands, one file each.
 *
 * Each subcommand gets argv starting at its own name ("search", ...) and returns the
 * exit status (cli.h). All take --db PATH (cli_open_archive) and --as NAME (the operator
 * the access log records; default the OS user). Every subcommand that reads records or
 * changes their keeping records an access (storage/archive/access_log.h). */
#pragma once

int cli_records_search(int argc, char **argv);	      /* cli_records_search.c */
int cli_records_export(int argc, char **argv);	      /* cli_records_export.c */
int cli_records_verify_export(int argc, char **argv); /* cli_records_export.c */
int cli_records_key_new(int argc, char **argv);	      /* cli_records_export.c */
/* The redaction key's path: given, else $CHAPERONE_REDACTION_KEY, else the default. */
const char *cli_redaction_key_path(const char *given);
int cli_records_hold(int argc, char **argv);	  /* cli_records_hold.c */
int cli_records_retention(int argc, char **argv); /* cli_records_dispose.c */
int cli_records_dispose(int argc, char **argv);	  /* cli_records_dispose.c */
int cli_records_verify(int argc, char **argv);	  /* cli_records_verify.c */
int cli_records_anchor(int argc, char **argv);	  /* cli_records_verify.c */
int cli_records_audit(int argc, char **argv);
int cli_records_backup(int argc, char **argv); /* cli_records_backup.c */ /* cli_records_audit.c */
