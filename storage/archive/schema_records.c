/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The message records: every inbound PDU and message, every verdict, every delivery and
 * its status changes, notices, opt-outs, unknown senders, threads and open questions.
 *
 * Records are appended, never edited: a delivery's status is a series of events, a hold
 * is decided by a decision row, a question is answered by a resolution row. The few
 * tables that say "what is the state now" (delivery_state) are derived from the events
 * by triggers, so that the queries the daemon runs on every message stay fast. */
#include <stddef.h>

#include "storage/archive/migrations.h"

const struct store_migration store_migrations_records[] = {
    {"records-1",
     /* One row per PDU a modem handed up, committed before the modem is told it may
      * forget it. */
     "CREATE TABLE rx_pdus ("
     " id INTEGER PRIMARY KEY,"
     " at INTEGER NOT NULL,"
     " modem TEXT NOT NULL,"
     " relay TEXT NOT NULL,"
     " kind TEXT NOT NULL CHECK (kind IN ('sms', 'status-report')),"
     " pdu TEXT NOT NULL,"
     " decode_error INTEGER NOT NULL DEFAULT 0,"
     " duplicate_of INTEGER REFERENCES rx_pdus(id));"
     "CREATE INDEX rx_pdus_dup ON rx_pdus(relay, pdu);"
     /* Assembled inbound messages (one per concatenated SMS). */
     "CREATE TABLE messages ("
     " id INTEGER PRIMARY KEY,"
     " at INTEGER NOT NULL,"
     " relay TEXT NOT NULL,"
     " modem TEXT,"
     " sender_number TEXT NOT NULL,"
     " sender_id INTEGER REFERENCES persons(id),"
     " text TEXT NOT NULL,"
     " parts INTEGER NOT NULL,"
     " complete INTEGER NOT NULL,"
     " sent_at INTEGER);" /* the SMSC time stamp */
     "CREATE INDEX messages_sender ON messages(sender_id, at);"
     "CREATE TABLE message_parts ("
     " message_id INTEGER NOT NULL REFERENCES messages(id),"
     " rx_pdu_id INTEGER NOT NULL UNIQUE REFERENCES rx_pdus(id),"
     " part INTEGER NOT NULL,"
     " PRIMARY KEY (message_id, rx_pdu_id));"
     /* What was decided about a message, by which rules, and why. */
     "CREATE TABLE verdicts ("
     " id INTEGER PRIMARY KEY,"
     " at INTEGER NOT NULL,"
     " message_id INTEGER REFERENCES messages(id),"
     " relay TEXT NOT NULL,"
     " sender_id INTEGER REFERENCES persons(id),"
     " team_id INTEGER REFERENCES teams(id),"
     " kind TEXT NOT NULL," /* relay, command, unknown-sender, question, answer, system */
     " action TEXT NOT NULL CHECK (action IN ('deliver', 'hold', 'block', 'reply', 'ignore')),"
     " rules TEXT NOT NULL DEFAULT '',"
     " reason TEXT NOT NULL,"
     " flagged INTEGER NOT NULL DEFAULT 0,"
     " digest INTEGER NOT NULL DEFAULT 0," /* oversight by daily digest */
     " exception_id INTEGER REFERENCES exceptions(id),"
     " release TEXT CHECK (release IN ('admin', 'time')),"
     " hold_until INTEGER,"
     " body TEXT);" /* the text the verdict was about (after the addressing words) */
     "CREATE INDEX verdicts_message ON verdicts(message_id);"
     "CREATE TABLE hold_decisions ("
     " id INTEGER PRIMARY KEY,"
     " verdict_id INTEGER NOT NULL UNIQUE REFERENCES verdicts(id),"
     " at INTEGER NOT NULL,"
     " decision TEXT NOT NULL CHECK (decision IN ('released', 'rejected')),"
     " decided_by TEXT NOT NULL,"
     " note TEXT);"
     /* Everything Chaperone sends: one row per recipient, recorded before it is sent. */
     "CREATE TABLE deliveries ("
     " id INTEGER PRIMARY KEY,"
     " at INTEGER NOT NULL,"
     " verdict_id INTEGER REFERENCES verdicts(id),"
     " message_id INTEGER REFERENCES messages(id),"
     " relay TEXT NOT NULL,"
     " recipient_id INTEGER REFERENCES persons(id),"
     " recipient_number TEXT NOT NULL,"
     " why TEXT NOT NULL,"
     " body TEXT NOT NULL,"
     " notice INTEGER NOT NULL DEFAULT 0);"
     "CREATE INDEX deliveries_verdict ON deliveries(verdict_id);"
     "CREATE INDEX deliveries_recipient ON deliveries(recipient_id, at);"
     "CREATE TABLE delivery_events ("
     " id INTEGER PRIMARY KEY,"
     " delivery_id INTEGER NOT NULL REFERENCES deliveries(id),"
     " at INTEGER NOT NULL,"
     " status TEXT NOT NULL CHECK (status IN ('held', 'queued', 'waiting', 'sent',"
     "  'delivered', 'failed', 'rejected', 'skipped')),"
     " modem TEXT,"
     " part INTEGER,"
     " mr INTEGER,"
     " detail TEXT);"
     "CREATE INDEX delivery_events_delivery ON delivery_events(delivery_id);"
     /* Derived: each delivery's latest status. */
     "CREATE TABLE delivery_state ("
     " delivery_id INTEGER PRIMARY KEY REFERENCES deliveries(id),"
     " status TEXT NOT NULL,"
     " at INTEGER NOT NULL,"
     " parts_sent INTEGER NOT NULL DEFAULT 0,"
     " parts_delivered INTEGER NOT NULL DEFAULT 0);"
     "CREATE INDEX delivery_state_status ON delivery_state(status);"
     "CREATE TRIGGER delivery_events_state AFTER INSERT ON delivery_events BEGIN"
     " INSERT INTO delivery_state(delivery_id, status, at) VALUES"
     "  (NEW.delivery_id, NEW.status, NEW.at)"
     "  ON CONFLICT(delivery_id) DO UPDATE SET status = NEW.status, at = NEW.at,"
     "   parts_sent = parts_sent + (NEW.status = 'sent'),"
     "   parts_delivered = parts_delivered + (NEW.status = 'delivered');"
     " END;"
     "CREATE TABLE notices ("
     " id INTEGER PRIMARY KEY,"
     " at INTEGER NOT NULL,"
     " relay TEXT NOT NULL,"
     " person_id INTEGER NOT NULL REFERENCES persons(id),"
     " delivery_id INTEGER REFERENCES deliveries(id),"
     " UNIQUE (relay, person_id));"
     "CREATE TABLE optouts ("
     " id INTEGER PRIMARY KEY,"
     " at INTEGER NOT NULL,"
     " relay TEXT NOT NULL,"
     " number TEXT NOT NULL,"
     " person_id INTEGER REFERENCES persons(id),"
     " action TEXT NOT NULL CHECK (action IN ('stop', 'start')),"
     " message_id INTEGER REFERENCES messages(id));"
     "CREATE INDEX optouts_number ON optouts(relay, number);"
     /* Messages from numbers not in the directory: recorded, never forwarded. */
     "CREATE TABLE unknown_senders ("
     " id INTEGER PRIMARY KEY,"
     " at INTEGER NOT NULL,"
     " relay TEXT NOT NULL,"
     " number TEXT NOT NULL,"
     " message_id INTEGER REFERENCES messages(id),"
     " replied INTEGER NOT NULL);"
     "CREATE INDEX unknown_senders_number ON unknown_senders(relay, number, at);"
     /* Conversations: the last student or guardian message forwarded to a staff member,
      * which an unaddressed reply answers. */
     "CREATE TABLE threads ("
     " id INTEGER PRIMARY KEY,"
     " at INTEGER NOT NULL,"
     " relay TEXT NOT NULL,"
     " person_id INTEGER NOT NULL REFERENCES persons(id),"
     " team_id INTEGER REFERENCES teams(id),"
     " counterpart_id INTEGER REFERENCES persons(id),"
     " message_id INTEGER REFERENCES messages(id));"
     "CREATE INDEX threads_person ON threads(person_id, relay, id);"
     /* Messages the gateway could not place and asked the sender about. */
     "CREATE TABLE questions ("
     " id INTEGER PRIMARY KEY,"
     " at INTEGER NOT NULL,"
     " relay TEXT NOT NULL,"
     " person_id INTEGER NOT NULL REFERENCES persons(id),"
     " message_id INTEGER NOT NULL REFERENCES messages(id),"
     " kind TEXT NOT NULL CHECK (kind IN ('address', 'team')),"
     " body TEXT NOT NULL,"
     " urgent INTEGER NOT NULL DEFAULT 0,"
     " crisis INTEGER NOT NULL DEFAULT 0);"
     "CREATE TABLE question_answers ("
     " id INTEGER PRIMARY KEY,"
     " question_id INTEGER NOT NULL UNIQUE REFERENCES questions(id),"
     " at INTEGER NOT NULL,"
     " outcome TEXT NOT NULL CHECK (outcome IN ('answered', 'discarded', 'expired')),"
     " message_id INTEGER REFERENCES messages(id));",
     NULL},
    /* Found by bench_relay: the daemon's 500 ms poll for quiet-hours holds and the
     * per-message lookup of an open question read whole tables without these. */
    {"records-2",
     "CREATE INDEX verdicts_holds ON verdicts(release, hold_until) WHERE action = 'hold';"
     "CREATE INDEX questions_person ON questions(person_id, relay, id);",
     NULL},
    /* A staff member's request, by SMS (ASK), for an exception to text one student, and
     * an administrator's answer (ALLOW, DENY). Ids only: the words are the messages'. */
    {"records-3",
     "CREATE TABLE exception_requests ("
     " id INTEGER PRIMARY KEY,"
     " at INTEGER NOT NULL,"
     " relay TEXT NOT NULL,"
     " staff_id INTEGER NOT NULL REFERENCES persons(id),"
     " student_id INTEGER NOT NULL REFERENCES persons(id),"
     " team_id INTEGER REFERENCES teams(id),"
     " message_id INTEGER REFERENCES messages(id),"
     " blocked_verdict_id INTEGER REFERENCES verdicts(id));"
     "CREATE TABLE exception_request_decisions ("
     " id INTEGER PRIMARY KEY,"
     " request_id INTEGER NOT NULL UNIQUE REFERENCES exception_requests(id),"
     " at INTEGER NOT NULL,"
     " decision TEXT NOT NULL CHECK (decision IN ('allowed', 'denied')),"
     " decided_by INTEGER NOT NULL REFERENCES persons(id),"
     " exception_id INTEGER REFERENCES exceptions(id),"
     " message_id INTEGER REFERENCES messages(id));",
     NULL},
    /* The send journal. A part's submit is recorded (and committed) before its PDU goes
     * to the modem, so that after a crash the parts not yet accepted go out again with the
     * same concatenation reference, and a part whose fate is unknown is resent marked as
     * possibly duplicated (resend = 1). Status reports are matched against the archive,
     * not a table in memory, so that a report that arrives after a restart still finds
     * its delivery; delivery_reports records which one it found, or none. No personal
     * data: the number is the delivery's. */
    {"records-4",
     "CREATE TABLE delivery_submits ("
     " id INTEGER PRIMARY KEY,"
     " delivery_id INTEGER NOT NULL REFERENCES deliveries(id),"
     " at INTEGER NOT NULL,"
     " modem TEXT NOT NULL,"
     " part INTEGER NOT NULL CHECK (part >= 1 AND part <= parts),"
     " parts INTEGER NOT NULL CHECK (parts >= 1 AND parts <= 255),"
     " ref INTEGER CHECK (ref IS NULL OR (ref >= 0 AND ref <= 65535)),"
     " resend INTEGER NOT NULL DEFAULT 0 CHECK (resend IN (0, 1)));"
     "CREATE INDEX delivery_submits_delivery ON delivery_submits(delivery_id, part);"
     "CREATE TABLE delivery_reports ("
     " id INTEGER PRIMARY KEY,"
     " at INTEGER NOT NULL,"
     " rx_pdu_id INTEGER NOT NULL REFERENCES rx_pdus(id),"
     " delivery_id INTEGER REFERENCES deliveries(id),"
     " part INTEGER,"
     " status INTEGER NOT NULL,"
     " matched_by TEXT CHECK (matched_by IN ('mr', 'unknown-fate')));"
     "CREATE INDEX delivery_reports_delivery ON delivery_reports(delivery_id);"
     /* A report names the modem's TP-MR; the newest submit with that MR on that modem is
      * the one it reports on. */
     "CREATE INDEX delivery_events_mr ON delivery_events(modem, mr) WHERE mr IS NOT NULL;"
     /* The last concatenation reference used towards a number. */
     "CREATE INDEX deliveries_number ON deliveries(recipient_number, id);",
     NULL},
    /* records-5: calls. A call is written as it happens, append-only like everything
     * else: the call when it is decided (its plan's verdict), each leg when it is dialled
     * or answers, each thing that happens to a leg or the call as an event, the end as
     * the last event, and the recording when it is finished. A call with no 'end' event
     * is one the daemon did not see end (a crash): the next start ends it, cause
     * 'restart', and finishes its recording flagged recovered. Numbers of legs are
     * recorded (the person may be unknown, or have several); masking is about what
     * parties see, not about the record. */
    {"records-5",
     "CREATE TABLE calls ("
     " id INTEGER PRIMARY KEY,"
     " at INTEGER NOT NULL,"
     " relay TEXT NOT NULL,"
     " initiator_id INTEGER,"
     " initiator_number TEXT,"
     " callee_id INTEGER,"
     " team_id INTEGER,"
     " direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),"
     " action TEXT NOT NULL CHECK (action IN ('connect', 'refuse')),"
     " rules TEXT NOT NULL,"
     " reason TEXT NOT NULL,"
     " flagged INTEGER NOT NULL DEFAULT 0 CHECK (flagged IN (0, 1)),"
     " exception_id INTEGER,"
     " notice_sha256 TEXT);"
     "CREATE INDEX calls_at ON calls(at);"
     "CREATE TABLE call_legs ("
     " id INTEGER PRIMARY KEY,"
     " call_id INTEGER NOT NULL REFERENCES calls(id),"
     " at INTEGER NOT NULL,"
     " person_id INTEGER,"
     " number TEXT NOT NULL,"
     " role TEXT NOT NULL CHECK (role IN ('caller', 'callee', 'guardian', 'overseer')),"
     " modem TEXT NOT NULL,"
     " channel INTEGER NOT NULL CHECK (channel >= 1 AND channel <= 8));"
     "CREATE INDEX call_legs_call ON call_legs(call_id);"
     "CREATE INDEX call_legs_person ON call_legs(person_id);"
     "CREATE TABLE call_events ("
     " id INTEGER PRIMARY KEY,"
     " call_id INTEGER NOT NULL REFERENCES calls(id),"
     " leg_id INTEGER REFERENCES call_legs(id),"
     " at INTEGER NOT NULL,"
     " kind TEXT NOT NULL CHECK (kind IN ('dial', 'alert', 'answer', 'notice', 'bridged',"
     " 'unbridged', 'left', 'dtmf', 'menu', 'prompt', 'fault', 'end')),"
     " detail TEXT);"
     "CREATE INDEX call_events_call ON call_events(call_id, id);"
     "CREATE TABLE call_recordings ("
     " id INTEGER PRIMARY KEY,"
     " call_id INTEGER NOT NULL REFERENCES calls(id),"
     " at INTEGER NOT NULL,"
     " sha256 TEXT NOT NULL CHECK (length(sha256) = 64),"
     " format TEXT NOT NULL,"
     " bytes INTEGER NOT NULL CHECK (bytes >= 0),"
     " duration_ms INTEGER NOT NULL CHECK (duration_ms >= 0),"
     " channels INTEGER NOT NULL CHECK (channels >= 1 AND channels <= 9),"
     " recovered INTEGER NOT NULL DEFAULT 0 CHECK (recovered IN (0, 1)));"
     "CREATE INDEX call_recordings_call ON call_recordings(call_id);",
     NULL},
    {NULL, NULL, NULL},
};
