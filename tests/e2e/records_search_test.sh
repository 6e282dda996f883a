#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# `chaperone records search` as the records officer runs it: the real binary against an
# archive of the sample district with a dozen messages (written by the unit test's
# --fill mode, the same scenario tests/unit/records/test_records_query.c checks rq_run() on).
#
#   tests/e2e/records_search_test.sh BUILD_DIR
#
#   1. table: the matches, text on its own indented line, the count on stderr
#   2. CSV: a header and one quoted row per message, recipients in one column
#   3. JSON: one array, a message object per line, with its deliveries
#   4. --thread: a header per conversation; a number not in the directory
#   5. every search is in the access log, with its operator, query, count and the
#      students and guardians it returned (chaperone records audit)
#   6. bad input: a message, exit 1 or 2, nothing shown and nothing recorded
#   7. one clock: the archive's time zone
#   8. calls beside texts (three relayed calls with real recordings, by e2e-calls): by
#      person (a leg's, the initiator's), team and dates; legs, answers, end, recording;
#      CSV and JSON; the access log; filters only texts have match no call
# KEEP_WORKDIR=1 keeps the temporary directory.
set -euo pipefail

build=${1:?usage: records_search_test.sh BUILD_DIR}
chaperone="$build/bin/chaperone"
fill="$build/tests/unit/records/test_records_query"
calls="$build/tests/e2e/e2e-calls"

work=$(mktemp -d /tmp/chaperone-search-XXXXXX)
export CHAPERONE_DB="$work/chaperone.db"
passed=0

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

trap remove_workdir EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*"
	for f in "$work"/*.out "$work"/*.err; do
		[ -f "$f" ] && { echo "--- $(basename "$f") ---"; cat "$f"; }
	done
	echo "records search: $passed passed, 1 failed"
	exit 1
}

ok() {
	passed=$((passed + 1))
	echo "ok $passed - $*"
}

# expect_rc WANT NAME COMMAND...: run COMMAND (stdout NAME.out, stderr NAME.err).
expect_rc() {
	local want=$1 name=$2 rc=0
	shift 2
	"$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
	[ "$rc" -eq "$want" ] || fail "$name: exit status $rc, want $want"
}

has() {
	grep -qF -- "$2" "$work/$1" || fail "$1 lacks: $2"
}

lacks() {
	! grep -qF -- "$2" "$work/$1" || fail "$1 has: $2"
}

# lines NAME N PATTERN: exactly N lines of NAME match the extended regex.
lines() {
	local n
	n=$(grep -cE -- "$3" "$work/$1" || true)
	[ "$n" -eq "$2" ] || fail "$1: $n lines match '$3', want $2"
}

searches() {
	"$chaperone" records audit --action search >"$work/audit.out" 2>"$work/audit.err" ||
		fail "records audit failed"
	grep -cE $'\tsearch(\t|$)' "$work/audit.out" || true
}

"$fill" --fill "$CHAPERONE_DB" >"$work/fill.out" 2>"$work/fill.err" || fail "cannot fill the archive"
[ "$(stat -c %a "$CHAPERONE_DB")" = 600 ] || fail "database mode $(stat -c %a "$CHAPERONE_DB")"

# 1. table
expect_rc 0 table "$chaperone" records search --team '#soccer' --as officer-kim
has table.out "from Dana Lee (staff)  to #soccer (12 recipients)  deliver [guardian-copy,oversight]"
has table.out "    Practice moved to 5pm, the bus leaves at 4"
has table.out "from Jamie Rivera (student)  to Dana Lee, Marcus Bell (4 recipients)"
has table.out "  deliver [crisis] FLAGGED"
has table.out "  hold [contact-screen]"
has table.out "to nobody  block [quiet-hours]"
lacks table.out "Robotics meeting"
lacks table.out "who is this"
lines table.out 9 '^[0-9]+  20[0-9-]+T'
lines table.out 9 '^    '
[ "$(cat "$work/table.err")" = "9 messages" ] || fail "count line: $(cat "$work/table.err")"
expect_rc 0 window "$chaperone" records search --person "jamie rivera" --since 2026-09-03 --until 2026-09-04
lines window.out 2 '^[0-9]+  '
has window.out "Coach my bus is late today"
has window.out "No problem Jamie, see you at the field trip"
[ "$(cat "$work/window.err")" = "2 messages" ] || fail "count line: $(cat "$work/window.err")"
# A time as the table prints it is taken back as --since.
expect_rc 0 printed "$chaperone" records search --person "jamie rivera" \
	--since 2026-09-03T12:00:00.000Z --until 2026-09-04
[ "$(cat "$work/printed.err")" = "2 messages" ] || fail "count line: $(cat "$work/printed.err")"
expect_rc 0 page "$chaperone" records search --person "jamie rivera" --limit 3
lines page.out 3 '^[0-9]+  20[0-9-]+T'
has page.err "3 messages shown of 5 that match (--limit N shows N, --limit 0 all)"
expect_rc 0 pageall "$chaperone" records search --person "jamie rivera" --limit 0
lines pageall.out 5 '^[0-9]+  20[0-9-]+T'
ok "table: matches with their text, the count on stderr; a page says how many match in all"

# 2. CSV
expect_rc 0 csv "$chaperone" records search --text 'bus' --format csv
has csv.out '"id","time","relay","from","from_handle","from_role","from_number","team","verdict","rules","reason","flagged","held","disposed","thread","text","recipients"'
has csv.out '"Dana Lee","danal","staff","+16175550101","#soccer","deliver","guardian-copy,oversight"'
has csv.out '"Practice moved to 5pm, the bus leaves at 4"'
has csv.out '"Dana Lee <staff> delivered; Marcus Bell <staff> delivered; Maria Rivera <guardian> delivered; Luis Rivera <guardian> delivered"'
lines csv.out 3 '^"'
[ "$(cat "$work/csv.err")" = "2 messages" ] || fail "count line: $(cat "$work/csv.err")"
# A text a spreadsheet would run as a formula is neutralised, as in the export's CSV.
expect_rc 0 csvf "$chaperone" records search --person '(617) 555-0999' --format csv
has csvf.out '"'"'"'=HYPERLINK(""http://evil.example"",""who is this"")"'
lacks csvf.out ',"=HYPERLINK'
ok "CSV: header, quoted fields, recipients summarised, formulas neutralised"

# 3. JSON
expect_rc 0 json "$chaperone" records search --person @jamier --direction sent --format json
[ "$(head -c1 "$work/json.out")" = "[" ] || fail "JSON does not start with ["
[ "$(tail -n1 "$work/json.out")" = "]" ] || fail "JSON does not end with ]"
lines json.out 1 '^\{"id":[0-9]+,"at":"2026-09-03T12:00:00.000Z"'
has json.out '"from":{"id":'
has json.out '"handle":"jamier","role":"student","number":"+16175550301"}'
has json.out '"team":{"id":'
has json.out '"verdict":{"id":'
has json.out '"rules":["guardian-copy"]'
has json.out '"deliveries":[{"id":'
has json.out '"why":"guardian-copy","status":"delivered","body":"Coach my bus is late today"}'
expect_rc 0 empty "$chaperone" records search --text robotics --team soccer --format json
[ "$(cat "$work/empty.out")" = "[]" ] || fail "an empty result is not []: $(cat "$work/empty.out")"
ok "JSON: one array, messages with their deliveries"

# 4. threads, a number not in the directory
expect_rc 0 thread "$chaperone" records search --text dentist --thread
has thread.out "== +15550100 #soccer: Dana Lee with Jamie Rivera (4 messages)"
lines thread.out 1 '^== '
lines thread.out 4 '^[0-9]+  '
has thread.out "Jamie has a dentist appointment"
has thread.out "Great game, the field trip form is due"
expect_rc 0 threads "$chaperone" records search --text moved --thread
lines threads.out 2 '^== '
has threads.out "== +15550100 #soccer: Dana Lee with the team (2 messages)"
has threads.out "== +15550101 #robotics: Priya Shah with the team (1 message)"
expect_rc 0 unknown "$chaperone" records search --person '(617) 555-0999' --thread
has unknown.out "from +16175550999 (not in the directory)"
has unknown.out '    =HYPERLINK("http://evil.example","who is this")'
has unknown.out "== +15550100: no staff member with +16175550999 (1 message)"
# What a stranger texts reaches the officer's terminal without its escape sequences.
expect_rc 0 escape "$chaperone" records search --person +16175550888
has escape.out "    ?[2J?]0;owned? ?31m hello"
! grep -q $'[\x1b\x07]' "$work/escape.out" || fail "control characters reached the terminal"
expect_rc 0 escapejson "$chaperone" records search --person +16175550888 --format json
has escapejson.out '"text":"\u001b[2J\u001b]0;owned\u0007'
ok "--thread: whole conversations under a header; an unknown number; no escapes"

# 5. the access log
[ "$(searches)" -eq 14 ] || fail "$(searches) searches in the access log, want 14"
has audit.out "officer-kim"
# In words: a handle with its person's name, times in the district's zone.
has audit.out 'query: team #soccer, limit 100'
has audit.out 'query: person @jamier (Jamie Rivera), since 2026-09-0'
has audit.out 'query: person +16175550999, thread, limit 100'
lacks audit.out '{"'
lacks audit.out 'T00:00:00.000Z'
lines audit.out 1 $'\tsearch\t9 results\t11 persons'
expect_rc 0 jamie "$chaperone" records audit --person jamier --action search
lines jamie.out 9 $'\tsearch\t'
ok "every search is in the access log with its query, count and persons"

# 6. bad input: nothing shown, nothing recorded
before=$(searches)
expect_rc 1 noone "$chaperone" records search --person @nobody
has noone.err "no person with handle '@nobody'"
expect_rc 0 twin "$chaperone" person add --role student --given Jamie --family Rivera --handle jamier2
expect_rc 1 ambiguous "$chaperone" records search --person "Jamie Rivera"
has ambiguous.err "several persons are called 'Jamie Rivera'"
has ambiguous.err "@jamier2"
expect_rc 1 noteam "$chaperone" records search --team chess
has noteam.err "no team 'chess'"
expect_rc 2 baddate "$chaperone" records search --since 2026-02-30
has baddate.err "--since is YYYY-MM-DD or YYYY-MM-DDTHH:MM, not '2026-02-30'"
expect_rc 1 badtext "$chaperone" records search --text '"field trip'
has badtext.err "bad text query"
expect_rc 1 badrange "$chaperone" records search --since 2026-09-05 --until 2026-09-01
has badrange.err "empty"
expect_rc 2 nodir "$chaperone" records search --direction sent
has nodir.err "--direction needs --person"
expect_rc 2 baddir "$chaperone" records search --person @jamier --direction both
expect_rc 2 badfmt "$chaperone" records search --format xml
expect_rc 2 badverdict "$chaperone" records search --verdict maybe
expect_rc 2 badlimit "$chaperone" records search --limit ten
expect_rc 2 extra "$chaperone" records search soccer
expect_rc 4 nodb "$chaperone" records search --db "$work/missing.db"
[ ! -e "$work/missing.db" ] || fail "a search created a database"
for f in noone ambiguous noteam baddate badtext badrange nodir baddir badfmt badverdict badlimit extra; do
	[ ! -s "$work/$f.out" ] || fail "$f printed records"
done
[ "$(searches)" -eq "$before" ] || fail "a failed search was recorded"
ok "bad input: a message, exit 1 or 2, nothing shown, nothing recorded"

# 7. One clock: the district's zone is in the archive, and dates typed on a box whose own
# zone is UTC are the district's days. "Coach my bus is late today" was sent at
# 2026-09-03T12:00Z, which is 4 September 02:00 at Kiritimati (UTC+14).
expect_rc 0 nozone env TZ=UTC "$chaperone" zone
has nozone.out "none set"
expect_rc 0 utcday env TZ=UTC "$chaperone" records search --since 2026-09-04 --until 2026-09-05
lacks utcday.out "Coach my bus is late today"
expect_rc 2 typo "$chaperone" zone America/NewYork
has typo.err "unknown time zone 'America/NewYork'"
expect_rc 0 setzone "$chaperone" zone Pacific/Kiritimati --as officer-kim
expect_rc 0 getzone env TZ=UTC "$chaperone" zone
[ "$(cat "$work/getzone.out")" = Pacific/Kiritimati ] || fail "zone: $(cat "$work/getzone.out")"
expect_rc 0 localday env TZ=UTC "$chaperone" records search --since 2026-09-04 --until 2026-09-05
has localday.out "Coach my bus is late today"
ok "one clock: the archive's zone makes --since/--until the district's days on a UTC box;" \
	"an unknown zone is refused"

# 8. Calls: Dana Lee calls 王小明 twice (all answer; the student does not), the student's
# own call is refused. Found by a leg's person (the guardian), by the initiator, by team;
# dates in the district's zone (Kiritimati, UTC+14, since 7: 18:00Z is 08:00 the next day).
"$calls" "$CHAPERONE_DB" 2026-09-10T18:00Z >"$work/calls.out" 2>"$work/calls.err" || fail "e2e-calls failed"
rec1=$(awk '$2 == 1 {print $4}' "$work/calls.out")
rec2=$(awk '$2 == 2 {print $4}' "$work/calls.out")
[ ${#rec1} -eq 64 ] && [ ${#rec2} -eq 64 ] && [ "$rec1" != "$rec2" ] || fail "recordings: $(cat "$work/calls.out")"
expect_rc 0 callsg "$chaperone" records search --person @meiw --as officer-kim
lines callsg.out 2 '^call [0-9]+  '
has callsg.out "call 1  2026-09-10T18:00:00.000Z  +15550100  Dana Lee (staff) called 小明 王 (student)  #soccer  connect [guardian-on-call]  end: hangup"
has callsg.out "    reason: a guardian of 王小明 joins the call"
has callsg.out "    leg caller: Dana Lee (staff) +16175550101, channel 1, answered"
has callsg.out "    leg callee: 小明 王 (student) +16175550377, channel 2, answered"
has callsg.out "    leg guardian: Mei Wang (guardian) +16175550378, channel 3, answered"
has callsg.out "    leg callee: 小明 王 (student) +16175550377, channel 2, not answered"
has callsg.out "  end: no-answer"
has callsg.out "    recording $rec1.flac (4 channels, 1.0 s)"
has callsg.out "    recording $rec2.flac (4 channels, 1.0 s)"
[ "$(cat "$work/callsg.err")" = $'0 messages\n2 calls' ] || fail "count lines: $(cat "$work/callsg.err")"
expect_rc 0 callss "$chaperone" records search --person xiaomingw
lines callss.out 3 '^call [0-9]+  '
has callss.out "小明 王 (student) called nobody  #soccer  refuse [quiet-hours]  end: no end recorded"
has callss.out "    no recording"
expect_rc 0 callssent "$chaperone" records search --person xiaomingw --direction sent
lines callssent.out 1 '^call [0-9]+  '
expect_rc 0 callsteam "$chaperone" records search --team soccer --since 2026-09-11 --until 2026-09-11T09:30
lines callsteam.out 2 '^call [0-9]+  '
lines callsteam.out 0 '^[0-9]+  '
expect_rc 0 callsnone "$chaperone" records search --team soccer --until 2026-09-09
lines callsnone.out 0 '^call '
# Filters only texts have match no call.
expect_rc 0 callstext "$chaperone" records search --person xiaomingw --verdict block
lines callstext.out 0 '^call '
expect_rc 0 callscsv "$chaperone" records search --person '小明 王' --format csv
has callscsv.out ',"recipients","record","end","legs","recording"'
has callscsv.out '"#soccer","connect","guardian-on-call","a guardian of 王小明 joins the call","no","no","no","","","小明 王 <student>","call","hangup","Dana Lee <staff> caller answered; 小明 王 <student> callee answered; Mei Wang <guardian> guardian answered","'"$rec1"'.flac"'
lines callscsv.out 4 '^"'
expect_rc 0 callsjson "$chaperone" records search --person @meiw --format json
lines callsjson.out 2 '"record":"call"\}'
has callsjson.out '"legs":[{"id":'
has callsjson.out '"role":"callee","channel":2,"answered":false}'
has callsjson.out '"recording":{"sha256":"'"$rec2"'","format":"flac"'
has callsjson.out '"end":"hangup"'
# The search that returned the student's calls is in the access log, with him.
expect_rc 0 callsaudit "$chaperone" records audit --person xiaomingw --action search
lines callsaudit.out 6 $'\tsearch\t'
ok "calls beside texts: by person, direction, team and dates; legs, answers, end," \
	"recording; CSV and JSON; in the access log"

echo "records search: $passed passed"
