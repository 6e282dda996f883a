/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* The send journal: SQL for the parts of deliveries on their way (records_journal.h). */
#include <errno.h>
#include <string.h>

#include "storage/records/records_journal.h"

#define TXT(st, i) ((const char *)sqlite3_column_text(st, i))

/* The results a submit of a part can have: accepted (sent), refused for now (waiting),
 * refused for good (failed, but not a status report's failure, which follows a sent). */
#define SUBMIT_RESULTS                                                                             \
	"(e.status IN ('sent', 'waiting') OR (e.status = 'failed' AND"                             \
	" (e.detail IS NULL OR e.detail NOT LIKE 'status report%')))"

/* Submits of a part that have no result: the parts whose fate is unknown. */
#define UNKNOWN_FATE(d, p)                                                                         \
	"(SELECT count(*) FROM delivery_submits x WHERE x.delivery_id = " d " AND x.part = " p ")" \
	" > (SELECT count(*) FROM delivery_events e WHERE e.delivery_id = " d " AND e.part = " p   \
	" AND " SUBMIT_RESULTS ")"

int64_t rec_part_submit(struct store *s, int64_t delivery_id, int64_t at, const char *modem,
			unsigned part, unsigned parts, int ref, bool *resend)
{
	sqlite3_stmt *st;
	bool again;
	int rc;

	if (!modem || part < 1 || part > parts || parts > 255 || ref > 0xffff) {
		store_set_error(s, "part %u of %u (reference %d) cannot be recorded", part, parts,
				ref);
		return -1;
	}
	st = store_stmt(s, "SELECT " UNKNOWN_FATE("?1", "?2"));
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, delivery_id);
	sqlite3_bind_int(st, 2, (int)part);
	rc = sqlite3_step(st);
	again = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return -1;
	st = store_stmt(s, "INSERT INTO delivery_submits(delivery_id, at, modem, part, parts, ref,"
			   " resend) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, delivery_id);
	sqlite3_bind_int64(st, 2, at);
	store_bind_text(st, 3, modem);
	sqlite3_bind_int(st, 4, (int)part);
	sqlite3_bind_int(st, 5, (int)parts);
	if (ref >= 0)
		sqlite3_bind_int(st, 6, ref);
	sqlite3_bind_int(st, 7, again);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	if (resend)
		*resend = again;
	return sqlite3_last_insert_rowid(store_db(s));
}

int rec_delivery_parts(struct store *s, int64_t delivery_id, struct rec_parts *out)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	out->ref = -1;
	st = store_stmt(s, "SELECT parts, ref, (SELECT count(*) FROM delivery_submits x"
			   " WHERE x.delivery_id = ?1 AND x.resend = 1)"
			   " FROM delivery_submits WHERE delivery_id = ?1 ORDER BY id LIMIT 1");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, delivery_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->parts = (unsigned)sqlite3_column_int(st, 0);
		out->ref =
		    sqlite3_column_type(st, 1) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 1);
		out->resends = (unsigned)sqlite3_column_int(st, 2);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	st = store_stmt(s, "SELECT DISTINCT e.part FROM delivery_events e WHERE e.delivery_id = ?1"
			   " AND e.part BETWEEN 1 AND 255 AND e.status IN ('sent', 'failed')");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, delivery_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		unsigned p = (unsigned)sqlite3_column_int(st, 0) - 1;

		out->done[p / 8] |= (uint8_t)(1u << (p % 8));
		out->n_done++;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int rec_last_ref(struct store *s, const char *number)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT x.ref FROM deliveries d JOIN delivery_submits x"
					 " ON x.delivery_id = d.id WHERE d.recipient_number = ?1"
					 " AND x.ref IS NOT NULL ORDER BY x.id DESC LIMIT 1");
	int rc, ref = -ENOENT;

	if (!st)
		return -1;
	store_bind_text(st, 1, number);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ref = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	return ref;
}

int rec_deliveries_incomplete(struct store *s, void (*cb)(int64_t delivery_id, void *data),
			      void *data)
{
	sqlite3_stmt *st;
	int rc;

	/* Its own statement: the callback sends, and records. */
	if (sqlite3_prepare_v2(
		store_db(s),
		"SELECT s.delivery_id FROM delivery_state s JOIN (SELECT delivery_id,"
		" max(parts) AS parts FROM delivery_submits GROUP BY delivery_id) x"
		" ON x.delivery_id = s.delivery_id WHERE s.status IN ('sent',"
		" 'delivered') AND s.parts_sent < x.parts AND (SELECT count(DISTINCT"
		" e.part) FROM delivery_events e WHERE e.delivery_id = s.delivery_id"
		" AND e.status IN ('sent', 'failed')) < x.parts ORDER BY s.delivery_id",
		-1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cb(sqlite3_column_int64(st, 0), data);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Has this part a final status report already (a later one is a copy)? */
static int part_final(struct store *s, int64_t delivery_id, unsigned part, bool *final)
{
	sqlite3_stmt *st = store_stmt(s, "SELECT 1 FROM delivery_events WHERE delivery_id = ?1"
					 " AND part = ?2 AND (status = 'delivered' OR (status ="
					 " 'failed' AND detail LIKE 'status report%'))");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, delivery_id);
	sqlite3_bind_int(st, 2, (int)part);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	*final = rc == SQLITE_ROW;
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int rec_report_match(struct store *s, const char *modem, int mr, const char *recipient,
		     int64_t since, struct rec_report_match *out)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	/* The newest submit with that MR on that modem towards that number: MRs wrap at 256,
	 * and the newer submit is the one the network can still report on. */
	st = store_stmt(s, "SELECT e.delivery_id, e.part FROM delivery_events e JOIN deliveries d"
			   " ON d.id = e.delivery_id WHERE e.modem = ?1 AND e.mr = ?2"
			   " AND e.status = 'sent' AND e.at >= ?4 AND d.recipient_number = ?3"
			   " ORDER BY e.id DESC LIMIT 1");
	if (!st)
		return -1;
	store_bind_text(st, 1, modem);
	sqlite3_bind_int(st, 2, mr);
	store_bind_text(st, 3, recipient);
	sqlite3_bind_int64(st, 4, since);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->delivery_id = sqlite3_column_int64(st, 0);
		out->part = (unsigned)sqlite3_column_int(st, 1);
		out->matched_by = "mr";
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	if (!out->delivery_id) {
		/* The submit's result was never recorded (the daemon died between the network
		 * taking the part and the record): its MR is unknown, but a part of unknown
		 * fate towards that number, on that modem, is what this reports on. The oldest
		 * one not yet matched so. */
		st = store_stmt(
		    s, "SELECT x.delivery_id, x.part FROM delivery_submits x JOIN deliveries d"
		       " ON d.id = x.delivery_id WHERE x.modem = ?1 AND x.at >= ?3"
		       " AND d.recipient_number = ?2 AND " UNKNOWN_FATE(
			   "x.delivery_id", "x.part") " AND NOT EXISTS (SELECT 1 FROM "
						      "delivery_reports r WHERE r.delivery_id ="
						      " x.delivery_id AND r.part = x.part AND "
						      "r.matched_by = 'unknown-fate')"
						      " ORDER BY x.id LIMIT 1");
		if (!st)
			return -1;
		store_bind_text(st, 1, modem);
		store_bind_text(st, 2, recipient);
		sqlite3_bind_int64(st, 3, since);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			out->delivery_id = sqlite3_column_int64(st, 0);
			out->part = (unsigned)sqlite3_column_int(st, 1);
			out->matched_by = "unknown-fate";
		}
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return -1;
	}
	if (!out->delivery_id)
		return -ENOENT;
	return part_final(s, out->delivery_id, out->part, &out->already_final);
}

int64_t rec_report_add(struct store *s, int64_t at, int64_t rx_pdu_id, int64_t delivery_id,
		       unsigned part, unsigned status, const char *matched_by)
{
	sqlite3_stmt *st =
	    store_stmt(s, "INSERT INTO delivery_reports(at, rx_pdu_id, delivery_id,"
			  " part, status, matched_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, at);
	sqlite3_bind_int64(st, 2, rx_pdu_id);
	if (delivery_id > 0) {
		sqlite3_bind_int64(st, 3, delivery_id);
		sqlite3_bind_int(st, 4, (int)part);
	}
	sqlite3_bind_int(st, 5, (int)status);
	store_bind_text(st, 6, delivery_id > 0 ? matched_by : NULL);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	return sqlite3_last_insert_rowid(store_db(s));
}

int rec_submits_by_hour(struct store *s, const char *modem, int64_t now, unsigned hours[24])
{
	const int64_t hour_ms = 3600LL * 1000;
	sqlite3_stmt *st = store_stmt(s, "SELECT (?2 / ?3) - (at / ?3), count(*) FROM"
					 " delivery_submits WHERE modem = ?1 AND at > ?2 - 24 * ?3"
					 " AND at <= ?2 GROUP BY 1");
	int rc;

	memset(hours, 0, 24 * sizeof(*hours));
	if (!st)
		return -1;
	store_bind_text(st, 1, modem);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, hour_ms);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t h = sqlite3_column_int64(st, 0);

		if (h >= 0 && h < 24)
			hours[h] += (unsigned)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}
