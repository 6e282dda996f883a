/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The record classes of the hash chain: which table each lives in and which columns
 * make up its canonical content, in order. One list, used by the schema's triggers
 * (storage/archive/schema_archive.c) and by chain_verify() (storage/archive/chain.c), so what is
 * hashed when a record is written is what is hashed when it is checked.
 *
 * A class's column list is frozen once shipped. */
#pragma once

struct store;

/* Each column macro takes the row prefix ("NEW." in a trigger, "t." in a query). */
#define COLS_ARCHIVE(p) p "id," p "archive_id," p "created_at"
#define COLS_RX_PDUS(p)                                                                            \
	p "id," p "at," p "modem," p "relay," p "kind," p "pdu," p "decode_error," p "duplicate_"  \
	  "of"
#define COLS_MESSAGES(p)                                                                           \
	p "id," p "at," p "relay," p "modem," p "sender_number," p "sender_id," p "text," p        \
	  "parts," p "complete," p "sent_at"
#define COLS_MESSAGE_PARTS(p) p "rowid," p "message_id," p "rx_pdu_id," p "part"
#define COLS_VERDICTS(p)                                                                           \
	p "id," p "at," p "message_id," p "relay," p "sender_id," p "team_id," p "kind," p         \
	  "action," p "rules," p "reason," p "flagged," p "digest," p "exception_id," p            \
	  "release," p "hold_until," p "body"
#define COLS_HOLD_DECISIONS(p)                                                                     \
	p "id," p "verdict_id," p "at," p "decision," p "decided_by," p "note"
#define COLS_DELIVERIES(p)                                                                         \
	p "id," p "at," p "verdict_id," p "message_id," p "relay," p "recipient_id," p             \
	  "recipient_number," p "why," p "body," p "notice"
#define COLS_DELIVERY_EVENTS(p)                                                                    \
	p "id," p "delivery_id," p "at," p "status," p "modem," p "part," p "mr," p "detail"
#define COLS_NOTICES(p) p "id," p "at," p "relay," p "person_id," p "delivery_id"
#define COLS_OPTOUTS(p)                                                                            \
	p "id," p "at," p "relay," p "number," p "person_id," p "action," p "message_id"
#define COLS_UNKNOWN_SENDERS(p) p "id," p "at," p "relay," p "number," p "message_id," p "replied"
#define COLS_THREADS(p)                                                                            \
	p "id," p "at," p "relay," p "person_id," p "team_id," p "counterpart_id," p "message_id"
#define COLS_QUESTIONS(p)                                                                          \
	p "id," p "at," p "relay," p "person_id," p "message_id," p "kind," p "body," p            \
	  "urgent," p "crisis"
#define COLS_QUESTION_ANSWERS(p) p "id," p "question_id," p "at," p "outcome," p "message_id"
#define COLS_DELIVERY_SUBMITS(p)                                                                   \
	p "id," p "delivery_id," p "at," p "modem," p "part," p "parts," p "ref," p "resend"
#define COLS_DELIVERY_REPORTS(p)                                                                   \
	p "id," p "at," p "rx_pdu_id," p "delivery_id," p "part," p "status," p "matched_by"
#define COLS_CALLS(p)                                                                              \
	p "id," p "at," p "relay," p "initiator_id," p "initiator_number," p "callee_id," p        \
	  "team_id," p "direction," p "action," p "rules," p "reason," p "flagged," p              \
	  "exception_id," p "notice_sha256"
#define COLS_CALL_LEGS(p)                                                                          \
	p "id," p "call_id," p "at," p "person_id," p "number," p "role," p "modem," p "channel"
#define COLS_CALL_EVENTS(p) p "id," p "call_id," p "leg_id," p "at," p "kind," p "detail"
#define COLS_CALL_RECORDINGS(p)                                                                    \
	p "id," p "call_id," p "at," p "sha256," p "format," p "bytes," p "duration_ms," p         \
	  "channels," p "recovered"
#define COLS_DIRECTORY_CHANGES(p) p "id," p "at," p "actor," p "action," p "entity," p "detail"
#define COLS_LEGAL_HOLDS(p)                                                                        \
	p "id," p "at," p "name," p "reason," p "person_id," p "team_id," p "since," p "until," p  \
	  "created_by," p "os_user"
#define COLS_LEGAL_HOLD_RELEASES(p)                                                                \
	p "id," p "hold_id," p "at," p "released_by," p "os_user," p "note"
#define COLS_RETENTION_SCHEDULES(p) p "id," p "at," p "source," p "periods"
#define COLS_DISPOSALS(p)                                                                          \
	p "id," p "at," p "operator," p "os_user," p "authorization," p "schedule," p "records," p \
	  "oldest," p "newest"
#define COLS_TOMBSTONES(p)                                                                         \
	p "id," p "disposal_id," p "class," p "ref_id," p "record_at," p "content"
#define COLS_EXPORTS(p)                                                                            \
	p "id," p "at," p "request," p "requester," p "purpose," p "operator," p "os_user," p      \
	  "query," p "redaction," p "messages," p "head_seq," p "head_hash," p                     \
	  "manifest_sha256," p "out_dir"
#define COLS_DISCLOSURES(p) p "id," p "export_id," p "at," p "student_id," p "redacted"
#define COLS_ACCESS_LOG(p)                                                                         \
	p "id," p "at," p "operator," p "os_user," p "action," p "query," p "results," p "detail"
#define COLS_ACCESS_SUBJECTS(p) p "id," p "access_id," p "person_id"
#define COLS_EXCEPTION_REQUESTS(p)                                                                 \
	p "id," p "at," p "relay," p "staff_id," p "student_id," p "team_id," p "message_id," p    \
	  "blocked_verdict_id"
#define COLS_EXCEPTION_REQUEST_DECISIONS(p)                                                        \
	p "id," p "request_id," p "at," p "decision," p "decided_by," p "exception_id," p          \
	  "message_id"

/* X(table, class, columns): tables whose rows can only be appended (updates are
 * refused unless the row was disposed; deletes always). `archive` comes first: its one
 * row is the chain's first record. */
#define CHAIN_CLASSES_GUARDED                                                                      \
	X("archive", "archive", COLS_ARCHIVE)                                                      \
	X("rx_pdus", "rx-pdu", COLS_RX_PDUS)                                                       \
	X("messages", "message", COLS_MESSAGES)                                                    \
	X("message_parts", "message-part", COLS_MESSAGE_PARTS)                                     \
	X("verdicts", "verdict", COLS_VERDICTS)                                                    \
	X("hold_decisions", "hold-decision", COLS_HOLD_DECISIONS)                                  \
	X("deliveries", "delivery", COLS_DELIVERIES)                                               \
	X("delivery_events", "delivery-event", COLS_DELIVERY_EVENTS)                               \
	X("notices", "notice", COLS_NOTICES)                                                       \
	X("optouts", "opt-out", COLS_OPTOUTS)                                                      \
	X("unknown_senders", "unknown-sender", COLS_UNKNOWN_SENDERS)                               \
	X("threads", "thread", COLS_THREADS)                                                       \
	X("questions", "question", COLS_QUESTIONS)                                                 \
	X("question_answers", "question-answer", COLS_QUESTION_ANSWERS)                            \
	X("legal_holds", "legal-hold", COLS_LEGAL_HOLDS)                                           \
	X("legal_hold_releases", "legal-hold-release", COLS_LEGAL_HOLD_RELEASES)                   \
	X("retention_schedules", "retention-schedule", COLS_RETENTION_SCHEDULES)                   \
	X("disposals", "disposal", COLS_DISPOSALS)                                                 \
	X("tombstones", "tombstone", COLS_TOMBSTONES)                                              \
	X("exports", "export", COLS_EXPORTS)                                                       \
	X("disclosures", "disclosure", COLS_DISCLOSURES)                                           \
	X("access_log", "access", COLS_ACCESS_LOG)                                                 \
	X("access_subjects", "access-subject", COLS_ACCESS_SUBJECTS)

/* Tables added after archive-1, chained and guarded by the migration that added them
 * (archive-2: requests for exceptions by SMS). */
#define CHAIN_CLASSES_LATER                                                                        \
	X("exception_requests", "exception-request", COLS_EXCEPTION_REQUESTS)                      \
	X("exception_request_decisions", "exception-request-decision",                             \
	  COLS_EXCEPTION_REQUEST_DECISIONS)

/* archive-5: the send journal (records-4). */
#define CHAIN_CLASSES_LATER_5                                                                      \
	X("delivery_submits", "delivery-submit", COLS_DELIVERY_SUBMITS)                            \
	X("delivery_reports", "delivery-report", COLS_DELIVERY_REPORTS)

/* archive-6: calls (records-5). */
#define CHAIN_CLASSES_LATER_6                                                                      \
	X("calls", "call", COLS_CALLS)                                                             \
	X("call_legs", "call-leg", COLS_CALL_LEGS)                                                 \
	X("call_events", "call-event", COLS_CALL_EVENTS)                                           \
	X("call_recordings", "call-recording", COLS_CALL_RECORDINGS)

/* Tables that already guard themselves (directory-1's triggers). */
#define CHAIN_CLASSES_UNGUARDED X("directory_changes", "directory-change", COLS_DIRECTORY_CHANGES)

/* The archive-1 migration's second step: give the archive its identity (the chain's
 * first record) and chain the records written before the chain existed, table by
 * table in id order. */
int chain_migrate_existing(struct store *s, char *err, size_t errlen);
