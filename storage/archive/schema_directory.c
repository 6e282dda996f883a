/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The directory's tables: persons, guardianships, relays, teams and their members,
 * subgroups and overseers, exceptions, and the append-only log of every change.
 *
 * Persons and teams are never deleted: message records reference them, and a record must
 * still say who "jamier" was after Jamie graduates. They are deactivated instead (active
 * = 0), with inactive_reason telling a roster import whether it may reactivate them
 * ('source': the SIS dropped them) or not ('manual': someone deactivated them by hand).
 *
 * origin says which roster file brought a row ('oneroster', 'guardians', 'teams'), NULL
 * when it was added through the CLI: an import reconciles only what the files it reads
 * brought, so a partial import (say, teams.csv alone) leaves everything else alone. */
#include <stddef.h>

#include "storage/archive/migrations.h"

static const char directory_1[] =
    "CREATE TABLE persons ("
    " id INTEGER PRIMARY KEY,"
    " source_id TEXT UNIQUE,"
    " origin TEXT,"
    " role TEXT NOT NULL CHECK (role IN ('student', 'guardian', 'staff', 'administrator')),"
    " title TEXT,"
    " given TEXT NOT NULL,"
    " family TEXT NOT NULL,"
    " handle TEXT NOT NULL UNIQUE,"
    " phone TEXT,"
    " active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),"
    " inactive_reason TEXT CHECK (inactive_reason IN ('source', 'manual')),"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL);"
    "CREATE INDEX persons_phone ON persons(phone) WHERE phone IS NOT NULL;"

    "CREATE TABLE guardianships ("
    " student_id INTEGER NOT NULL REFERENCES persons(id),"
    " guardian_id INTEGER NOT NULL REFERENCES persons(id),"
    " relationship TEXT,"
    " origin TEXT,"
    " PRIMARY KEY (student_id, guardian_id));"
    "CREATE INDEX guardianships_guardian ON guardianships(guardian_id);"

    "CREATE TABLE relays ("
    " id INTEGER PRIMARY KEY,"
    " number TEXT NOT NULL UNIQUE,"
    " label TEXT);"

    "CREATE TABLE teams ("
    " id INTEGER PRIMARY KEY,"
    " source_id TEXT UNIQUE,"
    " origin TEXT,"
    " tag TEXT NOT NULL UNIQUE,"
    " name TEXT NOT NULL,"
    " kind TEXT NOT NULL CHECK (kind IN ('sports', 'club', 'class')),"
    " relay_id INTEGER REFERENCES relays(id),"
    " active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),"
    " inactive_reason TEXT CHECK (inactive_reason IN ('source', 'manual')),"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL);"

    "CREATE TABLE team_members ("
    " team_id INTEGER NOT NULL REFERENCES teams(id),"
    " person_id INTEGER NOT NULL REFERENCES persons(id),"
    " origin TEXT,"
    " PRIMARY KEY (team_id, person_id));"
    "CREATE INDEX team_members_person ON team_members(person_id);"

    "CREATE TABLE team_overseers ("
    " team_id INTEGER NOT NULL REFERENCES teams(id),"
    " person_id INTEGER NOT NULL REFERENCES persons(id),"
    " origin TEXT,"
    " PRIMARY KEY (team_id, person_id));"

    "CREATE TABLE subgroups ("
    " id INTEGER PRIMARY KEY,"
    " team_id INTEGER NOT NULL REFERENCES teams(id),"
    " name TEXT NOT NULL,"
    " origin TEXT,"
    " UNIQUE (team_id, name));"

    "CREATE TABLE subgroup_members ("
    " subgroup_id INTEGER NOT NULL REFERENCES subgroups(id) ON DELETE CASCADE,"
    " person_id INTEGER NOT NULL REFERENCES persons(id),"
    " origin TEXT,"
    " PRIMARY KEY (subgroup_id, person_id));"

    "CREATE TABLE exceptions ("
    " id INTEGER PRIMARY KEY,"
    " staff_id INTEGER NOT NULL REFERENCES persons(id),"
    " student_id INTEGER NOT NULL REFERENCES persons(id),"
    " kind TEXT NOT NULL"
    "  CHECK (kind IN ('family', 'guardian_permission', 'safety', 'contact_sharing')),"
    " reason TEXT NOT NULL,"
    " approved_by INTEGER NOT NULL REFERENCES persons(id),"
    " created_at INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL,"
    " revoked_at INTEGER,"
    " revoked_by INTEGER REFERENCES persons(id));"
    "CREATE INDEX exceptions_pair ON exceptions(staff_id, student_id);"

    /* Every change, by import or by hand. Its highest id is the directory's version,
     * which the daemon compares to know when to reload. */
    "CREATE TABLE directory_changes ("
    " id INTEGER PRIMARY KEY,"
    " at INTEGER NOT NULL,"
    " actor TEXT NOT NULL,"
    " action TEXT NOT NULL,"
    " entity TEXT NOT NULL,"
    " detail TEXT);"

    /* What must never happen, enforced by the database itself rather than by care. */
    "CREATE TRIGGER directory_changes_append_only_u BEFORE UPDATE ON directory_changes"
    " BEGIN SELECT RAISE(ABORT, 'directory_changes is append-only'); END;"
    "CREATE TRIGGER directory_changes_append_only_d BEFORE DELETE ON directory_changes"
    " BEGIN SELECT RAISE(ABORT, 'directory_changes is append-only'); END;"
    "CREATE TRIGGER persons_never_deleted BEFORE DELETE ON persons"
    " BEGIN SELECT RAISE(ABORT, 'persons are deactivated, never deleted'); END;"
    "CREATE TRIGGER teams_never_deleted BEFORE DELETE ON teams"
    " BEGIN SELECT RAISE(ABORT, 'teams are deactivated, never deleted'); END;"
    "CREATE TRIGGER exceptions_never_deleted BEFORE DELETE ON exceptions"
    " BEGIN SELECT RAISE(ABORT, 'exceptions are revoked, never deleted'); END;";

/* Building teams: a school's counselors, nurses and administrators and its students,
 * served by the building's relay number. SQLite cannot widen a CHECK in place: the table
 * is rebuilt with the same rows and ids (store_migrate checks every reference). */
static const char directory_2[] =
    "CREATE TABLE teams_new ("
    " id INTEGER PRIMARY KEY,"
    " source_id TEXT UNIQUE,"
    " origin TEXT,"
    " tag TEXT NOT NULL UNIQUE,"
    " name TEXT NOT NULL,"
    " kind TEXT NOT NULL CHECK (kind IN ('sports', 'club', 'class', 'building')),"
    " relay_id INTEGER REFERENCES relays(id),"
    " active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),"
    " inactive_reason TEXT CHECK (inactive_reason IN ('source', 'manual')),"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL);"
    "INSERT INTO teams_new SELECT id, source_id, origin, tag, name, kind, relay_id, active,"
    " inactive_reason, created_at, updated_at FROM teams;"
    "DROP TABLE teams;"
    "ALTER TABLE teams_new RENAME TO teams;"
    "CREATE TRIGGER teams_never_deleted BEFORE DELETE ON teams"
    " BEGIN SELECT RAISE(ABORT, 'teams are deactivated, never deleted'); END;";

const struct store_migration store_migrations_directory[] = {
    {"directory-1", directory_1, NULL},
    {"directory-2", directory_2, NULL},
    {NULL, NULL, NULL},
};
