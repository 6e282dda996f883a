#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# `chaperone records export --redact students` and `records verify-export` as a records
# officer runs them: the sample district, chaperoned and modemsim as real processes,
# phones texting the relay numbers, then the real CLI on the archive they wrote.
#
#   tests/e2e/records_export_test.sh BUILD_DIR SOURCE_DIR
#
#   1. the coach, students and an unknown number text the relays; the messages name
#      students by full name, first name and handle, and give their numbers as
#      "(617) 555-0307", "617.555.0301", "617 555 0301", "6175550311", "617-555-0309"
#   2. an unredacted export: the bundle's files, modes 700/600, the hostile body escaped
#      in the HTML; and the students' names and numbers ARE in it (the greps below work)
#   3. export --redact students: grep -r -i -w the WHOLE bundle for every word of every
#      student's name and handle in the directory, grep -r -F for every student's number
#      in E.164 and national form (and grep -E for it with separators, and its local 7
#      digits): none is there; pseudonyms are; staff names stay
#   4. a query naming a student (--person "Riley Chen") is redacted in the manifest
#   5. verify-export holds; one byte of records.csv changed: exit 3, naming records.csv;
#      a missing file and an added file are named too
#   6. bad input: a non-empty directory, an unknown person, a missing --request: nothing
#      written, nothing recorded
#   7. calls (three relayed calls of the student 王小明, by e2e-calls, with real FLAC
#      recordings): unredacted, calls.csv, call-legs.csv, call-events.csv, calls.jsonl and
#      the transcripts tell each call, and each recording is copied with its SHA-256 in
#      the manifest; --redact students: 王小明's name, handle and number are nowhere in
#      the bundle (the PDF read back too), a spoken prompt naming him lost its hash, and
#      both recordings (his voice in one, his name in the other) are withheld and listed
#      as such; a missing and an altered recording are flagged, never copied, exit 3
# KEEP_WORKDIR=1 keeps the temporary directory.
set -euo pipefail

build=${1:?usage: records_export_test.sh BUILD_DIR SOURCE_DIR}
src=${2:?usage: records_export_test.sh BUILD_DIR SOURCE_DIR}
modemsim="$build/bin/modemsim"
chaperone="$build/bin/chaperone"
calls="$build/tests/e2e/e2e-calls"
chaperoned="$build/bin/chaperoned"

coach=+16175550101
advisor=+16175550103
jamie=+16175550301
riley=+16175550307
stranger=+16175559999

work=$(mktemp -d /tmp/chaperone-export-XXXXXX)
db="$work/archive.db"
export CHAPERONE_DB="$db"
export CHAPERONE_REDACTION_KEY="$work/redaction.key"
sim_pid=
daemon_pid=
passed=0
port=$((20000 + RANDOM % 20000))

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

cleanup() {
	stop "$daemon_pid"
	stop "$sim_pid"
	remove_workdir
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*"
	for f in "$work"/*.out "$work"/*.err; do
		[ -f "$f" ] && { echo "--- $(basename "$f") ---"; tail -n 40 "$f"; }
	done
	echo "records_export: $passed passed, 1 failed"
	exit 1
}

ok() {
	passed=$((passed + 1))
	echo "ok $passed - $*"
}

wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.2
	done
}

# expect_rc WANT NAME COMMAND...: run COMMAND (stdout NAME.out, stderr NAME.err).
expect_rc() {
	local want=$1 name=$2 rc=0
	shift 2
	"$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
	[ "$rc" -eq "$want" ] || fail "$name: exit status $rc, want $want"
}

inbox_has() {
	ctl inbox "$1" | grep -q -F -- "$2"
}

mode_of() {
	stat -c %a "$1"
}

# ---- 1. Messages through the real relay ------------------------------------------------

"$chaperone" roster import "$src/tests/fixtures/district" >/dev/null || fail "roster import"
"$modemsim" -n 2 --msisdn-base +15550100 --submit-ms 20 --deliver-ms 20 "$work/sim" \
	>"$work/sim.out" 2>&1 &
sim_pid=$!
wait_for 10 grep -q "modemsim ready" "$work/sim.out" || fail "modemsim did not start"

cat >"$work/chaperoned.cfg" <<CFG
chaperone
 district Lakeview Public Schools
 database $db
 timezone UTC
policy
 guardians-on-team-messages yes
 no quiet-hours
 oversight copy
 contact-screen no
 notice no
modem modem0
 device $work/sim/modem0
 relay-number +15550100
modem modem1
 device $work/sim/modem1
 relay-number +15550101
$(console_config)
CFG

modems_ready() {
	[ "$(vty 'show modems' 2>/dev/null | grep -c ' ready$')" = 2 ]
}

"$chaperoned" -c "$work/chaperoned.cfg" 2>>"$work/daemon.err" &
daemon_pid=$!
wait_for 20 modems_ready || fail "modems not ready"

send() {
	ctl send --from "$1" --to "$2" "$3" >/dev/null || fail "modemsim send from $1"
}

send "$coach" modem0 "#soccer Riley Chen and @jamier: the bus leaves at 5. Riley, your number (617) 555-0307 is on the list; Jamie use 617.555.0301"
wait_for 30 inbox_has "$riley" "the bus leaves at 5" || fail "the team message never reached Riley"
send "$jamie" modem0 "Coach, Jamie Rivera here, my other phone is 617 555 0301. Sam Ortiz and taylorn say hi"
wait_for 30 inbox_has "$coach" "say hi" || fail "Jamie's message never reached the coach"
send "$coach" modem0 "@rileyc Riley, Lin Chen called about the ride with Morgan Patel"
wait_for 30 inbox_has "$riley" "called about the ride" || fail "the coach's reply never reached Riley"
send "$riley" modem1 "Drew Walsh and quinnf are late, Emma Garcia has the key, call 6175550311"
wait_for 30 inbox_has "$advisor" "has the key" || fail "Riley's message never reached the advisor"
send "$coach" modem0 "#soccer <script>alert(1)</script> & done"
wait_for 30 inbox_has "$riley" "& done" || fail "the hostile message never reached Riley"
send "$stranger" modem0 "is this Avery Johnson's team? call me back, her number is 617-555-0309"
# The unknown number is recorded (and perhaps answered) but never relayed.
sleep 3
stop "$daemon_pid"
daemon_pid=
ok "six texts through chaperoned and modemsim, naming students in several spellings"

# ---- 2. An unredacted export ---------------------------------------------------------------

# The students of the directory, from the CLI: handle, name words, number.
"$chaperone" person list --role student --all >"$work/students.out" || fail "person list"
students=()
while IFS= read -r line; do
	students+=("$line")
done < <(awk 'NR == 1 { n = index($0, "NAME"); p = index($0, "PHONE"); next }
	$2 == "student" { printf "%s|%s|%s\n", $1, substr($0, n, p - n), substr($0, p, 16) }' "$work/students.out" |
	sed 's/ *|/|/g; s/ *$//')
[ "${#students[@]}" -eq 12 ] || fail "expected the district's 12 students, got ${#students[@]}"

# leaks DIR: print every student word or number found in the bundle DIR.
leaks() {
	local dir=$1 entry handle name number w
	# The PDF is read as its text (its bytes are compressed).
	local txt="$work/$(basename "$dir").pdf.txt"
	pdftotext -layout "$dir/transcript.pdf" "$txt" || echo "transcript.pdf unreadable"
	grep() { command grep --exclude='*.pdf' "$@"; }
	for entry in "${students[@]}"; do
		IFS='|' read -r handle name number <<<"$entry"
		for w in $handle $name; do
			if grep -r -q -i -w -F -- "$w" "$dir" "$txt"; then
				echo "$w ($handle)"
			fi
		done
		number=${number// /}
		if [ -n "$number" ] && [ "$number" != - ]; then
			grep -r -q -F -- "$number" "$dir" "$txt" && echo "$number ($handle)"
			grep -r -q -F -- "${number#+1}" "$dir" "$txt" && echo "${number#+1} ($handle)"
			# Any other spelling: (617) 555-0307, 617.555.0307, 555 0307.
			local d=${number#+1} x='[^0-9]{0,3}'
			grep -r -q -E -- "(^|[^0-9])${d:0:3}\)?$x${d:3:3}$x${d:6:4}([^0-9]|$)" "$dir" "$txt" &&
				echo "${d:0:3}-${d:3:3}-${d:6:4} ($handle)"
			grep -r -q -E -- "(^|[^0-9])${d:3:3}$x${d:6:4}([^0-9]|$)" "$dir" "$txt" &&
				echo "${d:3:3}-${d:6:4} ($handle)"
		fi
	done
	unset -f grep
	return 0
}

# The redaction key: outside the archive, the account's own, 0600; never replaced; an
# export cannot redact without it, nor with one others can read.
expect_rc 1 nokey "$chaperone" records export --request R --requester X --purpose Y \
	--out "$work/nokey"
grep -q "there is no redaction key at $work/redaction.key (create one with \`chaperone records key-new\`)" \
	"$work/nokey.err" || fail "no key: $(cat "$work/nokey.err")"
[ ! -e "$work/nokey" ] || fail "an export without a key left a directory"
expect_rc 0 keynew "$chaperone" records key-new
[ "$(mode_of "$work/redaction.key")" = 600 ] || fail "the key is not 0600"
expect_rc 1 keyagain "$chaperone" records key-new
grep -q "a key is never replaced" "$work/keyagain.err" || fail "key replaced: $(cat "$work/keyagain.err")"
chmod 640 "$work/redaction.key"
expect_rc 1 keyopen "$chaperone" records export --request R --requester X --purpose Y \
	--out "$work/keyopen"
grep -q "can be read by others (mode 640): chmod 600" "$work/keyopen.err" || fail "open key: $(cat "$work/keyopen.err")"
chmod 600 "$work/redaction.key"
ok "redaction key: made 0600 by key-new, never replaced; no key or a readable key refused"

expect_rc 0 plain "$chaperone" records export --request PRR-2026-040 --requester "Pat Reporter" \
	--purpose "Internal review" --out "$work/plain" --as "Records Officer" \
	--no-redact "for the district's counsel, not for release"
grep -q "NOT redacted: .* (reason recorded: for the district's counsel, not for release)" \
	"$work/plain.out" || fail "the console does not say the bundle is unredacted"
grep -q '"redaction": "none: for the district' "$work/plain/manifest.json" ||
	fail "the manifest does not carry the reason"
grep -q "^Export [0-9]* of request PRR-2026-040: 6 messages" "$work/plain.out" ||
	fail "export summary: $(cat "$work/plain.out")"
for f in transcript.html records.csv deliveries.csv records.jsonl README.txt manifest.json; do
	[ -f "$work/plain/$f" ] || fail "the bundle lacks $f"
	[ "$(mode_of "$work/plain/$f")" = 600 ] || fail "$f has mode $(mode_of "$work/plain/$f")"
done
[ "$(mode_of "$work/plain")" = 700 ] || fail "the bundle has mode $(mode_of "$work/plain")"
[ "$(wc -l <"$work/plain/records.jsonl")" -eq 6 ] || fail "records.jsonl is not 6 messages"
! grep -q "<script" "$work/plain/transcript.html" || fail "the hostile body is live HTML"
grep -q "&lt;script&gt;alert(1)&lt;/script&gt; &amp; done" "$work/plain/transcript.html" ||
	fail "the hostile body is not shown as text"
! grep -q -E "https?://|src=|href=" "$work/plain/transcript.html" || fail "the HTML links out"
# The control: the same greps do find students in a bundle that was not redacted.
leaks "$work/plain" >"$work/plain-leaks.out"
for w in Riley rileyc Jamie jamier Walsh quinnf Emma Sam taylorn +16175550307 6175550301 \
	617-555-0307 555-0301; do
	grep -q -F -- "$w" "$work/plain-leaks.out" || fail "the unredacted bundle lacks $w?"
done
ok "unredacted export: six files 600 in a 700 directory, hostile HTML escaped, students present"

# ---- 3. --redact students --------------------------------------------------------------

expect_rc 0 redacted "$chaperone" records export --request PRR-2026-041 \
	--requester "Pat Reporter, Lakeview Ledger" --purpose "Coach messages, September" \
	--out "$work/bundle" --redact students --as "Records Officer"
grep -q "6 messages" "$work/redacted.out" || fail "redacted export summary: $(cat "$work/redacted.out")"
leaks "$work/bundle" >"$work/leaks.out"
[ ! -s "$work/leaks.out" ] || fail "students in the redacted bundle: $(tr '\n' ' ' <"$work/leaks.out")"
grep -r -q -E "Student [B-DF-HJ-NP-TV-XZ]{4,}" "$work/bundle" || fail "no pseudonyms in the bundle"
# The PDF transcript: the same content, read back as text; its pages name the request.
pdftotext -layout "$work/bundle/transcript.pdf" "$work/transcript.txt" || fail "transcript.pdf unreadable"
grep -q -E "Student [B-DF-HJ-NP-TV-XZ]{4,}" "$work/transcript.txt" || fail "no pseudonyms in the PDF"
grep -q "Dana Lee" "$work/transcript.txt" || fail "the coach is not named in the PDF"
grep -q "Request PRR-2026-041 · page 1" "$work/transcript.txt" || fail "no page footer in the PDF"
grep -q '"redaction_key_id": "[0-9a-f]\{16\}"' "$work/bundle/manifest.json" || fail "no key id in the manifest"
# One clock: chaperoned's `timezone UTC` is the archive's zone, and the bundle says so.
expect_rc 0 zone "$chaperone" zone
[ "$(cat "$work/zone.out")" = UTC ] || fail "the daemon did not record its zone: $(cat "$work/zone.out")"
grep -q '"time_zone": "UTC"' "$work/bundle/manifest.json" || fail "no time zone in the manifest"
grep -q "Times in transcript.html are the district's (UTC)" "$work/bundle/README.txt" || fail "README zone"
! grep -q -F "$(grep -v '^#' "$work/redaction.key")" -r "$work/bundle" || fail "the key is in the bundle"
grep -q -w "Dana" "$work/bundle/transcript.html" || fail "the coach's name was redacted"
[ "$(wc -l <"$work/bundle/records.jsonl")" -eq 6 ] || fail "redaction lost messages"
ok "--redact students: no name, handle or number of any of the 12 students anywhere in the bundle"

# ---- 4. A query that names a student -----------------------------------------------------

expect_rc 0 byperson "$chaperone" records export --request PRR-2026-042 --requester "A parent" \
	--purpose "Complaint" --out "$work/byperson" --redact students --person "Riley Chen"
leaks "$work/byperson" >"$work/byperson-leaks.out"
[ ! -s "$work/byperson-leaks.out" ] ||
	fail "students in the bundle: $(tr '\n' ' ' <"$work/byperson-leaks.out")"
grep -q '"person": "Student ' "$work/byperson/manifest.json" ||
	fail "the manifest's query is not the redacted one"
ok "a query naming a student is redacted in the manifest too"

# ---- 5. verify-export ------------------------------------------------------------------------

expect_rc 0 verify "$chaperone" records verify-export "$work/bundle"
grep -q "holds" "$work/verify.out" || fail "verify-export: $(cat "$work/verify.out")"
cp "$work/bundle/records.csv" "$work/records.csv.orig"
size=$(stat -c %s "$work/bundle/records.csv")
off=$((size / 2))
byte=$(dd if="$work/bundle/records.csv" bs=1 skip="$off" count=1 2>/dev/null)
new=X
[ "$byte" != X ] || new=Y
printf '%s' "$new" | dd of="$work/bundle/records.csv" bs=1 seek="$off" conv=notrunc 2>/dev/null
cmp -s "$work/bundle/records.csv" "$work/records.csv.orig" && fail "the byte did not change"
expect_rc 3 tampered "$chaperone" records verify-export "$work/bundle"
grep -q "changed file: records.csv" "$work/tampered.out" ||
	fail "verify-export does not name records.csv: $(cat "$work/tampered.out")"
expect_rc 3 tampered-nodb env -u CHAPERONE_DB "$chaperone" records verify-export "$work/bundle"
cp "$work/records.csv.orig" "$work/bundle/records.csv"
rm "$work/bundle/README.txt"
echo "added" >"$work/bundle/extra.txt"
expect_rc 3 missing "$chaperone" records verify-export "$work/bundle"
grep -q "missing file: README.txt" "$work/missing.out" || fail "missing file not named"
grep -q "extra file: extra.txt" "$work/missing.out" || fail "extra file not named"
# A FIFO in place of a file, and one beside them: named, never waited on (before, the
# verification hung on the FIFO for ever).
rm "$work/bundle/extra.txt"
echo "restored" >"$work/bundle/README.txt"
mv "$work/bundle/deliveries.csv" "$work/deliveries.csv.orig"
mkfifo "$work/bundle/deliveries.csv" "$work/bundle/pipe"
expect_rc 3 fifo timeout 20 "$chaperone" records verify-export "$work/bundle"
grep -q "not a regular file: deliveries.csv" "$work/fifo.out" || fail "FIFO: $(cat "$work/fifo.out")"
grep -q "extra file: pipe" "$work/fifo.out" || fail "FIFO beside: $(cat "$work/fifo.out")"
rm "$work/bundle/deliveries.csv" "$work/bundle/pipe"
mv "$work/deliveries.csv.orig" "$work/bundle/deliveries.csv"
expect_rc 1 notbundle "$chaperone" records verify-export "$work"
ok "verify-export: holds; a changed byte in records.csv exits 3 naming it; missing, extra and" \
	"FIFO files named"

# ---- 6. Bad input --------------------------------------------------------------------------

expect_rc 1 nonempty "$chaperone" records export --request R --requester X --purpose Y \
	--out "$work/bundle"
grep -q "not empty" "$work/nonempty.err" || fail "non-empty directory: $(cat "$work/nonempty.err")"
expect_rc 1 nobody "$chaperone" records export --request R --requester X --purpose Y \
	--out "$work/nobody" --person @nobody
[ ! -e "$work/nobody" ] || fail "a failed export left a directory"
expect_rc 2 norequest "$chaperone" records export --requester X --purpose Y --out "$work/x"
expect_rc 2 badredact "$chaperone" records export --request R --requester X --purpose Y \
	--out "$work/x" --redact teachers
[ ! -e "$work/x" ] || fail "a refused export left a directory"
expect_rc 2 noreason "$chaperone" records export --request R --requester X --purpose Y \
	--out "$work/x" --no-redact ""
expect_rc 2 both "$chaperone" records export --request R --requester X --purpose Y \
	--out "$work/x" --no-redact "why" --redact students
[ ! -e "$work/x" ] || fail "a refused export left a directory"
# No --redact: students and guardians are redacted, and the console says so.
expect_rc 0 default "$chaperone" records export --request PRR-2026-043 --requester "Q" \
	--purpose "Default" --out "$work/default"
grep -q "^Redacted: students,guardians" "$work/default.out" || fail "default: $(cat "$work/default.out")"
# Progress on a terminal (script(1) gives the command one), and none in a file.
! grep -q "redacting" "$work/default.err" || fail "progress written to a file: $(cat "$work/default.err")"
script -qec "$(printf '%q ' "$chaperone" records export --request PRR-2026-044 --requester Q \
	--purpose Terminal --out "$work/tty")" /dev/null >"$work/tty.out" 2>&1 ||
	fail "export on a terminal: $(cat "$work/tty.out")"
grep -q "records export: redacting 0 of" "$work/tty.out" || fail "no progress on a terminal: $(cat "$work/tty.out")"
grep -q "records export: transcript.pdf 2 of 11" "$work/tty.out" || fail "no file progress: $(cat "$work/tty.out")"
script -qec "$(printf '%q ' "$chaperone" records verify-export "$work/tty")" /dev/null >"$work/ttyv.out" 2>&1 ||
	fail "verify on a terminal: $(cat "$work/ttyv.out")"
grep -q "records verify-export: checking file 1 of 11" "$work/ttyv.out" || fail "no verify progress: $(cat "$work/ttyv.out")"
grep -q "^Staff phone numbers: withheld" "$work/default.out" || fail "staff numbers: $(cat "$work/default.out")"
grep -q "^Review before release: $work/default/redaction-review.csv ([0-9]* replacements, [0-9]* names left alone)" \
	"$work/default.out" || fail "review: $(cat "$work/default.out")"
! grep -q -E '617.?555.?010[0-9]' "$work/default"/*.csv "$work/default"/*.html "$work/default"/*.jsonl ||
	fail "a staff number in the default bundle"
expect_rc 2 badstaff "$chaperone" records export --request R --requester X --purpose Y \
	--out "$work/x" --staff-numbers maybe
grep -q -- "--staff-numbers is withhold or show" "$work/badstaff.err" || fail "bad --staff-numbers: $(cat "$work/badstaff.err")"
leaks "$work/default" >"$work/default-leaks.out"
[ ! -s "$work/default-leaks.out" ] ||
	fail "students in the default bundle: $(tr '\n' ' ' <"$work/default-leaks.out")"
ok "bad input: non-empty directory, unknown person, missing --request, bad --redact refused;" \
	"redacted and staff numbers withheld by default, --no-redact needs a reason"

# ---- 7. Calls ------------------------------------------------------------------------------

"$calls" "$CHAPERONE_DB" 2026-09-10T18:00Z >"$work/calls.out" 2>"$work/calls.err" || fail "e2e-calls failed"
rec1=$(awk '$2 == 1 {print $4}' "$work/calls.out")
rec2=$(awk '$2 == 2 {print $4}' "$work/calls.out")
[ ${#rec1} -eq 64 ] && [ ${#rec2} -eq 64 ] || fail "recordings: $(cat "$work/calls.out")"
recdir=$(dirname "$CHAPERONE_DB")/recordings
# The student e2e-calls added: every spelling of him the bundle could hold.
wang_words=(小明 王 王小明 xiaomingw +16175550377 6175550377 555-0377)

expect_rc 0 callsplain "$chaperone" records export --request PRR-2026-050 --requester "Counsel" \
	--purpose "Calls of 王小明" --out "$work/callsplain" --person xiaomingw \
	--no-redact "for the district's counsel"
grep -q "^Calls: 3; recordings: 2 copied, 0 withheld" "$work/callsplain.out" ||
	fail "calls summary: $(cat "$work/callsplain.out")"
b="$work/callsplain"
[ "$(($(wc -l <"$b/calls.csv") - 1))" -eq 3 ] || fail "calls.csv is not 3 calls"
[ "$(wc -l <"$b/calls.jsonl")" -eq 3 ] || fail "calls.jsonl is not 3 calls"
[ "$(($(wc -l <"$b/call-legs.csv") - 1))" -eq 6 ] || fail "call-legs.csv is not 6 legs"
grep -q '^1,"2026-09-10T18:00:00.000Z","+15550100","soccer","Soccer",0,"Dana Lee","staff","danal","","小明 王","student","xiaomingw","+16175550377","connect","guardian-on-call","a guardian of 王小明 joins the call",0,0,"hangup",3,3,"copied","call-0001.flac","'"$rec1"'","flac",4,1000,""' \
	"$b/calls.csv" || fail "call 1 in calls.csv: $(sed -n 2p "$b/calls.csv")"
grep -q '^3,.*,1,"小明 王","student",.*"refuse","quiet-hours",.*,"none",' "$b/calls.csv" ||
	fail "the refused call in calls.csv: $(sed -n 4p "$b/calls.csv")"
grep -q '^2,2,"2026-09-10T19:00:01.000Z","callee","小明 王","student","xiaomingw","+16175550377",2,0' \
	"$b/call-legs.csv" || fail "the unanswered leg: $(cat "$b/call-legs.csv")"
grep -q '^1,12,"2026-09-10T18:00:06.500Z",3,"prompt","spoken [0-9a-f]\{64\} Dana Lee is calling about 王小明. Please hold."' \
	"$b/call-events.csv" || fail "the guardian's prompt: $(cat "$b/call-events.csv")"
grep -q '"legs":\[{"leg":1,' "$b/calls.jsonl" || fail "calls.jsonl legs"
grep -q '"recording":{"status":"copied","file":"call-0001.flac","sha256":"'"$rec1"'"' "$b/calls.jsonl" ||
	fail "calls.jsonl recording"
# The recordings: copied, byte for byte, 0600, each in the manifest with its SHA-256 and
# tied to its call; verify-export checks them like any file.
for n in 1 2; do
	r=$([ $n = 1 ] && echo "$rec1" || echo "$rec2")
	f="$b/call-000$n.flac"
	[ -f "$f" ] || fail "call-000$n.flac not in the bundle"
	[ "$(sha256sum <"$f" | cut -c1-64)" = "$r" ] || fail "call-000$n.flac is not the recording"
	[ "$(mode_of "$f")" = 600 ] || fail "call-000$n.flac has mode $(mode_of "$f")"
	python3 - "$b/manifest.json" "$n" "$r" <<'PY' || fail "manifest for call $n: $(cat "$b/manifest.json")"
import json, sys
m = json.load(open(sys.argv[1])); n = int(sys.argv[2]); sha = sys.argv[3]
name = "call-%04d.flac" % n
assert {"name": name, "sha256": sha} == {k: v for k, v in [f for f in m["files"] if f["name"] == name][0].items() if k != "bytes"}
assert [r for r in m["recordings"] if r["call"] == n] == [{"call": n, "status": "copied", "file": name, "sha256": sha, "reason": None}]
assert m["calls"] == 3
PY
	grep -q "^call $n: recording call-000$n.flac (SHA-256 $r)" "$b/README.txt" || fail "README for call $n"
done
pdftotext -layout "$b/transcript.pdf" "$work/callsplain.txt" || fail "transcript.pdf unreadable"
for t in "$work/callsplain.txt" "$b/transcript.html"; do
	grep -q "Dana Lee (staff) asked the relay to call 小明 王 (student, +16175550377)." "$t" ||
		fail "who called whom in $(basename "$t")"
	grep -q "Leg 2, callee: 小明 王 (student, +16175550377), did NOT answer (recording channel 2)" "$t" ||
		fail "the unanswered leg in $(basename "$t")"
	grep -q "Ended: no-answer" "$t" || fail "how call 2 ended in $(basename "$t")"
	grep -q "Recording: call-0001.flac in this bundle" "$t" || fail "the recording in $(basename "$t")"
	grep -q "Decision: refused · rules: quiet-hours · 王小明 called during quiet hours" "$t" ||
		fail "the refusal in $(basename "$t")"
done
expect_rc 0 callsverify "$chaperone" records verify-export "$b"
ok "calls in the bundle: calls.csv, call-legs.csv, call-events.csv, calls.jsonl, the" \
	"transcripts; recordings copied with their SHA-256 in the manifest and README"

expect_rc 0 callsred "$chaperone" records export --request PRR-2026-051 --requester "Pat Reporter" \
	--purpose "Coach calls" --out "$work/callsred" --team soccer --redact students
grep -q "^Calls: 3; recordings: 0 copied, 2 withheld" "$work/callsred.out" ||
	fail "redacted calls summary: $(cat "$work/callsred.out")"
b="$work/callsred"
pdftotext -layout "$b/transcript.pdf" "$work/callsred.txt" || fail "transcript.pdf unreadable"
for w in "${wang_words[@]}"; do
	! grep -r -q -F -- "$w" "$b" "$work/callsred.txt" || fail "$w is in the redacted bundle: $(grep -r -l -F -- "$w" "$b" "$work/callsred.txt")"
done
leaks "$b" >"$work/callsred-leaks.out"
[ ! -s "$work/callsred-leaks.out" ] || fail "students in the bundle: $(tr '\n' ' ' <"$work/callsred-leaks.out")"
ls "$b"/*.flac >/dev/null 2>&1 && fail "a recording with the student in it was copied: $(ls "$b")"
grep -q -E '"dial","Student [B-DF-HJ-NP-TV-XZ]{4,} from \+15550100 on modem1"' "$b/call-events.csv" ||
	fail "the dial event's name: $(cat "$b/call-events.csv")"
grep -q -E '"prompt","spoken \[audio hash withheld\] Dana Lee is calling about Student [B-DF-HJ-NP-TV-XZ]{4,}\. Please hold\."' \
	"$b/call-events.csv" || fail "the spoken prompt: $(cat "$b/call-events.csv")"
grep -q '"prompt","spoken [0-9a-f]\{64\} Dana Lee is calling you, with Mei Wang on the line."' \
	"$b/call-events.csv" || fail "a prompt naming no student keeps its hash"
grep -q "Mei Wang" "$b/calls.jsonl" || fail "the guardian (not redacted) is not named"
python3 - "$b/manifest.json" <<'PY' || fail "withheld in the manifest: $(cat "$b/manifest.json")"
import json, re, sys
m = json.load(open(sys.argv[1]))
rs = {r["call"]: r for r in m["recordings"]}
assert set(rs) == {1, 2}, rs
for n in (1, 2):
    assert rs[n]["status"] == "withheld" and rs[n]["file"] is None and rs[n]["sha256"] is None, rs[n]
assert re.search(r"the voice of Student [A-Z]{4,} \(who answered\)", rs[1]["reason"]), rs[1]
assert re.search(r"Student [A-Z]{4,} is named in it", rs[2]["reason"]), rs[2]
assert not [f for f in m["files"] if f["name"].endswith(".flac")]
PY
grep -q -E "^call 1: recording WITHHELD: audio cannot be redacted by pseudonym: the voice of Student [A-Z]{4,}" \
	"$b/README.txt" || fail "README withheld: $(cat "$b/README.txt")"
grep -q "^call 2: recording WITHHELD" "$b/README.txt" || fail "README withheld call 2"
grep -q "^call 3: not recorded" "$b/README.txt" || fail "README call 3"
grep -q "Recording WITHHELD (4 channels, 1.0 s): audio cannot" "$work/callsred.txt" || fail "PDF withheld"
grep -q "Recording WITHHELD (4 channels, 1.0 s): audio cannot" "$b/transcript.html" || fail "HTML withheld"
# The bundle numbers calls; the archive's call ids and the withheld files' hashes stay
# in the archive.
! grep -r -q -e "$rec1" -e "$rec2" "$b" || fail "a withheld recording's hash is in the bundle"
grep -q '^,1,,"2026-09-10T18:00:00.000Z","event",,"name","Student ' "$b/redaction-review.csv" ||
	fail "the calls' replacements are not in the review: $(cat "$b/redaction-review.csv")"
ok "--redact students: 王小明 nowhere in the calls' files, the PDF or the review; his" \
	"recordings withheld and listed as withheld with the reason"

# A recording the archive holds but whose file is missing, or altered: flagged, never
# copied, and the export exits 3 naming the archive's files.
cp "$recdir/$rec1.flac" "$work/rec1.orig"
mv "$recdir/$rec2.flac" "$work/rec2.orig"
printf 'X' | dd of="$recdir/$rec1.flac" bs=1 seek=3000 conv=notrunc 2>/dev/null
cmp -s "$recdir/$rec1.flac" "$work/rec1.orig" && fail "the byte did not change"
expect_rc 3 callsbad "$chaperone" records export --request PRR-2026-052 --requester "Counsel" \
	--purpose "Calls" --out "$work/callsbad" --person xiaomingw --no-redact "for counsel"
grep -q "2 recordings NOT copied" "$work/callsbad.err" || fail "no warning: $(cat "$work/callsbad.err")"
grep -q "archive call [0-9]*): $recdir/$rec1.flac: not as recorded (altered)" "$work/callsbad.err" ||
	fail "the altered file not named: $(cat "$work/callsbad.err")"
grep -q "archive call [0-9]*): $recdir/$rec2.flac: missing" "$work/callsbad.err" ||
	fail "the missing file not named: $(cat "$work/callsbad.err")"
b="$work/callsbad"
ls "$b"/*.flac >/dev/null 2>&1 && fail "a bad recording was copied: $(ls "$b")"
grep -q '"altered","","","flac",4,1000,"the archive.s file does not match the SHA-256' "$b/calls.csv" ||
	fail "altered in calls.csv: $(cat "$b/calls.csv")"
grep -q '"missing","","","flac",4,1000,"the archive.s file is missing: not copied"' "$b/calls.csv" ||
	fail "missing in calls.csv"
grep -q "^call 1: recording NOT COPIED (altered)" "$b/README.txt" || fail "README altered"
grep -q "^call 2: recording NOT COPIED (missing)" "$b/README.txt" || fail "README missing"
grep -q '"status": "altered"' "$b/manifest.json" || fail "manifest altered"
expect_rc 0 callsbadverify "$chaperone" records verify-export "$b"
cp "$work/rec1.orig" "$recdir/$rec1.flac"
mv "$work/rec2.orig" "$recdir/$rec2.flac"
ok "a missing and an altered recording: not copied, flagged in the bundle, named on the" \
	"console, exit 3"

echo "records_export: $passed passed, 0 failed"
