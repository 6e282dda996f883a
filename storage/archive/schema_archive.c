/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The archive's integrity and records-management tables: the hash chain over every
 * record, the guards that make the record tables append-only, full-text search, legal
 * holds, retention schedules, disposals with their tombstones, exports, FERPA
 * disclosures and the access log.
 *
 * How the chain is kept: every table of records has an AFTER INSERT trigger that
 * appends one row to `chain` with the SHA-256 of the new row's canonical content
 * (rec_hash) and the link hash over that and the previous chain row (chain_link). The
 * triggers run inside the writer's transaction, so the daemon and the CLI writing the
 * same file can never interleave the chain. Both SQL functions come from storage/archive/chain.c
 * and are registered by store_open(): a program that opens the file without them (the
 * sqlite3 shell) cannot add a record at all.
 *
 * The column list of each class is written once, in a macro below, and used both by
 * the trigger (NEW.) and by chain_verify() (t.): what is hashed at insert is what is
 * re-hashed at verification by construction. A class's list is frozen once shipped;
 * a table that gains a column gets a new class name ("message/2") for its new rows. */
#include <stddef.h>

#include "storage/archive/chain_classes.h"
#include "storage/archive/migrations.h"

#define CHAIN_TAIL_N "COALESCE((SELECT seq FROM chain ORDER BY seq DESC LIMIT 1), 0) + 1"
#define CHAIN_TAIL_P "COALESCE((SELECT hash FROM chain ORDER BY seq DESC LIMIT 1), zeroblob(32))"

/* AFTER INSERT: chain the new row. BEFORE UPDATE: refused unless the row has been
 * disposed (a tombstone exists), which is how disposal clears a record's content.
 * BEFORE DELETE: refused always. */
#define CHAIN_TABLE(table, cls, cols)                                                              \
	"CREATE TRIGGER chain_" table " AFTER INSERT ON " table " BEGIN"                           \
	" INSERT INTO chain(seq, class, ref_id, content, hash)"                                    \
	" SELECT n, '" cls "', NEW.rowid, c, chain_link(n, '" cls "', NEW.rowid, c, p) FROM"       \
	" (SELECT " CHAIN_TAIL_N " AS n, " CHAIN_TAIL_P " AS p,"                                   \
	" rec_hash(" cols("NEW.") ") AS c); END;"                                                  \
				  "CREATE TRIGGER guard_update_" table " BEFORE UPDATE ON " table  \
				  " WHEN NOT EXISTS (SELECT 1 FROM tombstones WHERE class = '" cls \
				  "'"                                                              \
				  " AND ref_id = OLD.rowid) BEGIN SELECT RAISE(ABORT, 'the "       \
				  "archive is append-only: " table                                 \
				  " rows are never changed'); END;"                                \
				  "CREATE TRIGGER guard_delete_" table " BEFORE DELETE ON " table  \
				  " BEGIN SELECT RAISE(ABORT, 'the archive is append-only: " table \
				  " rows are never deleted'); END;"

/* directory_changes already refuses updates and deletes (directory-1). */
#define CHAIN_INSERTS(table, cls, cols)                                                            \
	"CREATE TRIGGER chain_" table " AFTER INSERT ON " table " BEGIN"                           \
	" INSERT INTO chain(seq, class, ref_id, content, hash)"                                    \
	" SELECT n, '" cls "', NEW.rowid, c, chain_link(n, '" cls "', NEW.rowid, c, p) FROM"       \
	" (SELECT " CHAIN_TAIL_N " AS n, " CHAIN_TAIL_P " AS p,"                                   \
	" rec_hash(" cols("NEW.") ") AS c); END;"

static const char archive_1[] =
    /* The chain itself. seq starts at 1 (the archive's own row) and has no gaps. */
    "CREATE TABLE chain ("
    " seq INTEGER PRIMARY KEY,"
    " class TEXT NOT NULL,"
    " ref_id INTEGER NOT NULL,"
    " content BLOB NOT NULL," /* SHA-256 of the record's canonical content */
    " hash BLOB NOT NULL);"   /* SHA-256 link: seq, class, ref_id, content, previous hash */
    "CREATE UNIQUE INDEX chain_ref ON chain(class, ref_id);"
    "CREATE TRIGGER chain_append_only_u BEFORE UPDATE ON chain"
    " BEGIN SELECT RAISE(ABORT, 'the chain is append-only'); END;"
    "CREATE TRIGGER chain_append_only_d BEFORE DELETE ON chain"
    " BEGIN SELECT RAISE(ABORT, 'the chain is append-only'); END;"

    /* Disposal: what was removed, under which disposal; the content hash is the one the
     * chain holds, so verification still closes over the cleared row. */
    "CREATE TABLE disposals ("
    " id INTEGER PRIMARY KEY,"
    " at INTEGER NOT NULL,"
    " operator TEXT NOT NULL,"
    " os_user TEXT NOT NULL,"
    " authorization TEXT NOT NULL," /* the schedule and the officer's authority */
    " schedule TEXT NOT NULL,"	    /* the retention periods applied, as JSON */
    " records INTEGER NOT NULL,"
    " oldest INTEGER, newest INTEGER);"
    "CREATE TABLE tombstones ("
    " id INTEGER PRIMARY KEY,"
    " disposal_id INTEGER NOT NULL REFERENCES disposals(id),"
    " class TEXT NOT NULL,"
    " ref_id INTEGER NOT NULL,"
    " record_at INTEGER,"
    " content BLOB NOT NULL,"
    " UNIQUE (class, ref_id));"

    /* The archive's identity: the first record of every chain. */
    "CREATE TABLE archive ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " archive_id BLOB NOT NULL,"
    " created_at INTEGER NOT NULL);"
    /* Until archive-3, the key of the pseudonyms of redacted exports (now a key file
     * outside the archive, redaction_key.h). */
    "CREATE TABLE archive_secret ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " secret BLOB NOT NULL);"
    "INSERT INTO archive_secret(id, secret) VALUES (1, randomblob(32));"

    /* Legal holds override retention until released. */
    "CREATE TABLE legal_holds ("
    " id INTEGER PRIMARY KEY,"
    " at INTEGER NOT NULL,"
    " name TEXT NOT NULL UNIQUE,"
    " reason TEXT NOT NULL,"
    " person_id INTEGER REFERENCES persons(id),"
    " team_id INTEGER REFERENCES teams(id),"
    " since INTEGER," /* records at or after; NULL = from the beginning */
    " until INTEGER," /* records before; NULL = open-ended */
    " created_by TEXT NOT NULL,"
    " os_user TEXT NOT NULL);"
    "CREATE TABLE legal_hold_releases ("
    " id INTEGER PRIMARY KEY,"
    " hold_id INTEGER NOT NULL UNIQUE REFERENCES legal_holds(id),"
    " at INTEGER NOT NULL,"
    " released_by TEXT NOT NULL,"
    " os_user TEXT NOT NULL,"
    " note TEXT);"

    /* The retention schedule in force: the daemon records its configuration's periods
     * when they change, so every disposal can name the schedule that authorised it. */
    "CREATE TABLE retention_schedules ("
    " id INTEGER PRIMARY KEY,"
    " at INTEGER NOT NULL,"
    " source TEXT NOT NULL,"   /* "default", "config FILE" */
    " periods TEXT NOT NULL);" /* JSON: {"messages": days, ...}; null = keep forever */

    /* Public-records exports and the FERPA record of each disclosure of a student's
     * records that left with one. */
    "CREATE TABLE exports ("
    " id INTEGER PRIMARY KEY,"
    " at INTEGER NOT NULL,"
    " request TEXT NOT NULL,"
    " requester TEXT NOT NULL,"
    " purpose TEXT NOT NULL,"
    " operator TEXT NOT NULL,"
    " os_user TEXT NOT NULL,"
    " query TEXT NOT NULL," /* JSON */
    " redaction TEXT NOT NULL,"
    " messages INTEGER NOT NULL,"
    " head_seq INTEGER NOT NULL,"
    " head_hash BLOB NOT NULL,"
    " manifest_sha256 TEXT NOT NULL,"
    " out_dir TEXT NOT NULL);"
    "CREATE TABLE disclosures ("
    " id INTEGER PRIMARY KEY,"
    " export_id INTEGER NOT NULL REFERENCES exports(id),"
    " at INTEGER NOT NULL,"
    " student_id INTEGER NOT NULL REFERENCES persons(id),"
    " redacted INTEGER NOT NULL);"
    "CREATE INDEX disclosures_student ON disclosures(student_id);"

    /* Who looked: every search, export, hold, disposal, verification and audit. */
    "CREATE TABLE access_log ("
    " id INTEGER PRIMARY KEY,"
    " at INTEGER NOT NULL,"
    " operator TEXT NOT NULL,"
    " os_user TEXT NOT NULL,"
    " action TEXT NOT NULL,"
    " query TEXT," /* JSON */
    " results INTEGER,"
    " detail TEXT);"
    /* The persons whose records an access returned (students and guardians), so that
     * "who looked at this student's records" is one query. */
    "CREATE TABLE access_subjects ("
    " id INTEGER PRIMARY KEY,"
    " access_id INTEGER NOT NULL REFERENCES access_log(id),"
    " person_id INTEGER NOT NULL REFERENCES persons(id));"
    "CREATE INDEX access_subjects_person ON access_subjects(person_id);"

    /* Full-text search over what people wrote. External content: the text lives once,
     * in messages; disposal's clearing update removes it from the index too. */
    "CREATE VIRTUAL TABLE messages_fts USING fts5(text, content='messages',"
    " content_rowid='id', tokenize='unicode61 remove_diacritics 2');"
    "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN"
    " INSERT INTO messages_fts(rowid, text) VALUES (NEW.id, NEW.text); END;"
    "CREATE TRIGGER messages_fts_update AFTER UPDATE ON messages BEGIN"
    " INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', OLD.id, OLD.text);"
    " INSERT INTO messages_fts(rowid, text) VALUES (NEW.id, NEW.text); END;"
    "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');"

    /* Indexes the records officer's queries need. */
    "CREATE INDEX messages_at ON messages(at);"
    "CREATE INDEX verdicts_team ON verdicts(team_id, at);"
    "CREATE INDEX deliveries_message ON deliveries(message_id);"
    /* Search by a number that is not in the directory, and by flagged or not-delivered
     * verdicts: partial indexes, small, since these are the few records. */
    "CREATE INDEX messages_unknown_sender ON messages(sender_number, at)"
    " WHERE sender_id IS NULL;"
    "CREATE INDEX deliveries_unknown_recipient ON deliveries(recipient_number, at)"
    " WHERE recipient_id IS NULL;"
    "CREATE INDEX verdicts_flagged ON verdicts(at) WHERE flagged = 1;"
    "CREATE INDEX verdicts_action ON verdicts(action, at) WHERE action <> 'deliver';"

#define X(table, cls, cols) CHAIN_TABLE(table, cls, cols)
    CHAIN_CLASSES_GUARDED
#undef X
#define X(table, cls, cols) CHAIN_INSERTS(table, cls, cols)
	CHAIN_CLASSES_UNGUARDED
#undef X
    ;

/* The chain's triggers and guards for tables added since archive-1. */
static const char archive_2[] =
#define X(table, cls, cols) CHAIN_TABLE(table, cls, cols)
    CHAIN_CLASSES_LATER
#undef X
    ;

/* The pseudonyms' key left the archive for a key file of its own (redaction_key.h): a
 * copy of the archive must not be able to recompute them. */
static const char archive_3[] = "DROP TABLE archive_secret;";

/* The district's time zone, one clock for the daemon and the CLI (district_zone.h). */
static const char archive_4[] = "CREATE TABLE district_zone ("
				" id INTEGER PRIMARY KEY CHECK (id = 1),"
				" zone TEXT NOT NULL,"
				" set_at INTEGER NOT NULL,"
				" set_by TEXT NOT NULL);";

/* The chain's triggers and guards for the send journal (records-4). */
static const char archive_5[] =
#define X(table, cls, cols) CHAIN_TABLE(table, cls, cols)
    CHAIN_CLASSES_LATER_5
#undef X
    ;

/* ... and for calls (records-5). */
static const char archive_6[] =
#define X(table, cls, cols) CHAIN_TABLE(table, cls, cols)
    CHAIN_CLASSES_LATER_6
#undef X
    ;

const struct store_migration store_migrations_archive[] = {
    {"archive-1", archive_1, chain_migrate_existing},
    {"archive-2", archive_2, NULL},
    {"archive-3", archive_3, NULL},
    {"archive-4", archive_4, NULL},
    {"archive-5", archive_5, NULL},
    {"archive-6", archive_6, NULL},
    {NULL, NULL, NULL},
};
