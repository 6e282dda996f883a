#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Retention, legal holds and disposal as a records officer runs them: the real
# `chaperone` and `chaperoned`, a real SQLite file holding the sample district with
# message records ten years old and a month old (written by `test_records_keeping seed`).
#
#   tests/e2e/records_keeping_test.sh BUILD_DIR
#
#   1. `records retention` on a fresh archive: the 7-year defaults, "no schedule recorded"
#   2. chaperoned with a `records` node records its schedule once (not again at a
#      restart) and gives the archive its file-group, mode 0640
#   3. `records hold add` by person and by team, with the messages each covers; bad
#      input refused (exit 1 or 2) with nothing changed
#   4. `records dispose --dry-run --list`: what would go, what the holds keep back;
#      nothing changes
#   5. `records dispose` refuses without --authorization, and off a terminal without
#      --yes; with them it prints the certificate and writes it 0600; verify holds and
#      extends the certificate's anchor
#   6. an existing certificate file is not overwritten and nothing is disposed; a
#      released hold no longer keeps its records; with nothing left, no certificate
#   7. every hold, release, dry run and disposal is in the access log
#   8. calls (by e2e-calls, with real recordings): a hold on the guardian keeps the calls
#      she was dialled into, their recordings stay; once released, disposal deletes the
#      recording files, tombstones keep the hash, and verify still passes
# KEEP_WORKDIR=1 keeps the temporary directory.
set -euo pipefail

build=${1:?usage: records_keeping_test.sh BUILD_DIR}
chaperone="$build/bin/chaperone"
chaperoned="$build/bin/chaperoned"
seeder="$build/tests/unit/keeping/test_records_keeping"
calls="$build/tests/e2e/e2e-calls"

work=$(mktemp -d /tmp/chaperone-keeping-XXXXXX)
export CHAPERONE_DB="$work/archive.db"
daemon_pid=
passed=0
port=$((20000 + RANDOM % 20000))
auth="RMB-1 form approved 2026-11-20"

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

cleanup() {
	stop "$daemon_pid"
	remove_workdir
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*"
	for f in "$work"/*.out "$work"/*.err; do
		[ -f "$f" ] && { echo "--- $(basename "$f") ---"; tail -n 40 "$f"; }
	done
	echo "records_keeping: $passed passed, 1 failed"
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
	"$@" >"$work/$name.out" 2>"$work/$name.err" </dev/null || rc=$?
	[ "$rc" -eq "$want" ] || fail "$name: exit status $rc, want $want"
}

has() {
	grep -qF -- "$2" "$work/$1" || fail "$1 lacks: $2"
}

lacks() {
	! grep -qF -- "$2" "$work/$1" || fail "$1 has: $2"
}

same() {
	cmp -s "$work/$1" "$work/$2" || fail "$1 and $2 differ: $(diff "$work/$1" "$work/$2")"
}

start_daemon() {
	: >"$work/daemon.err"
	"$chaperoned" -c "$work/chaperoned.cfg" 2>"$work/daemon.err" &
	daemon_pid=$!
	for _ in $(seq 100); do
		grep -q "chaperoned ready" "$work/daemon.err" && return 0
		kill -0 "$daemon_pid" 2>/dev/null || fail "chaperoned exited: $(cat "$work/daemon.err")"
		sleep 0.1
	done
	fail "chaperoned did not start"
}

stop_daemon() {
	local rc=0
	kill -TERM "$daemon_pid"
	wait "$daemon_pid" || rc=$?
	daemon_pid=
	[ "$rc" = 0 ] || fail "chaperoned exited $rc on SIGTERM"
}

"$seeder" seed "$CHAPERONE_DB" >"$work/seed.out" 2>&1 || fail "seeding the archive: $(cat "$work/seed.out")"

# 1. The defaults until a schedule is recorded.
expect_rc 0 retention_default "$chaperone" records retention
has retention_default.out "the defaults: no schedule has been recorded yet"
# Calendar years: the period ends on this date seven years ago (not 2,555 days ago).
has retention_default.out "messages    7 years    before $(date -d '7 years ago' +%F)"
has retention_default.out "calls       7 years"
has retention_default.out "Months and years are calendar ones, in the district's time zone"
ok "records retention: the 7-year defaults while no schedule is recorded"

# 2. chaperoned records its configuration's schedule and applies the file group.
group=$(id -gn)
cat >"$work/chaperoned.cfg" <<CFG
chaperone
 district Lakeview Public Schools
 database $CHAPERONE_DB
 timezone UTC
records
 retention messages 5 years
 retention deliveries 18 months
 retention verdicts forever
 retention calls 90 days
 file-group $group
$(console_config)
CFG
start_daemon
grep -q "retention schedule recorded (config $work/chaperoned.cfg)" "$work/daemon.err" ||
	fail "no schedule recorded: $(cat "$work/daemon.err")"
stop_daemon
[ "$(stat -c '%a %G' "$CHAPERONE_DB")" = "640 $group" ] ||
	fail "archive is $(stat -c '%a %G' "$CHAPERONE_DB"), want 640 $group"
start_daemon
stop_daemon
! grep -q "retention schedule recorded" "$work/daemon.err" || fail "schedule recorded again at restart"
expect_rc 0 retention_config "$chaperone" records retention
has retention_config.out "Retention schedule in force: config $work/chaperoned.cfg, in force since "
has retention_config.out "messages    5 years    before $(date -u -d '5 years ago' +%F)"
has retention_config.out "deliveries  18 months  before $(date -u -d '18 months ago' +%F)"
has retention_config.out "verdicts    forever"
has retention_config.out "calls       90 days    before $(date -u -d '90 days ago' +%F)"
ok "chaperoned records its schedule once (not at a restart) and makes the archive 0640 $group"

# 3. Holds.
expect_rc 0 hold_person "$chaperone" records hold add riley-complaint --person rileyc \
	--reason "Parent complaint, Chen family" --as "Records Officer"
has hold_person.out "hold 1 'riley-complaint' added: person @rileyc (Riley Chen); it covers 1 message now"
expect_rc 0 hold_team "$chaperone" records hold add robotics-request --team robotics \
	--since 2000-01-01 --until 2099-12-31 --reason "Public-records request 2026-14"
has hold_team.out "team #robotics (Robotics), from 2000-01-01, through 2099-12-31; it covers 3 messages now"
expect_rc 0 holds_before "$chaperone" records hold list
has holds_before.out "1  riley-complaint  active: 1 message held now"
has holds_before.out "2  robotics-request  active: 3 messages held now"
has holds_before.out "added:    "
has holds_before.out "by Records Officer (OS user "

expect_rc 2 hold_no_reason "$chaperone" records hold add x --person jamier
has hold_no_reason.err "--reason TEXT is required"
expect_rc 1 hold_no_scope "$chaperone" records hold add x --reason r
has hold_no_scope.err "a hold must name a person, a team or dates"
expect_rc 1 hold_unknown_person "$chaperone" records hold add x --reason r --person nobody
has hold_unknown_person.err "no person with handle 'nobody'"
expect_rc 1 hold_unknown_team "$chaperone" records hold add x --reason r --team chess
has hold_unknown_team.err "no team with tag 'chess'"
expect_rc 1 hold_duplicate "$chaperone" records hold add riley-complaint --reason r --team soccer
has hold_duplicate.err "there is already a hold named 'riley-complaint' (id 1)"
expect_rc 1 hold_bad_date "$chaperone" records hold add x --reason r --since 2026-02-30
has hold_bad_date.err "--since '2026-02-30' is not a date"
expect_rc 1 hold_backwards "$chaperone" records hold add x --reason r --since 2026-06-01 --until 2026-01-01
has hold_backwards.err "must be before its end"
expect_rc 2 hold_no_name "$chaperone" records hold add --reason r --team soccer
expect_rc 2 hold_bad_option "$chaperone" records hold list --note x
expect_rc 1 release_unknown "$chaperone" records hold release no-such-hold
has release_unknown.err "no hold named 'no-such-hold'"
expect_rc 0 holds_after "$chaperone" records hold list --all
same holds_before.out holds_after.out
ok "holds by person and by team, with the messages they cover; bad input refused, nothing changed"

# 4. The dry run.
expect_rc 0 dry "$chaperone" records dispose --dry-run --list
has dry.out "Dry run: nothing was disposed."
has dry.out "Schedule: messages 5 years, deliveries 18 months, verdicts forever, calls 90 days"
has dry.out "Past retention and not held: 4 records"
has dry.out "(messages 1, rx_pdus 1, questions 1, unknown_senders 0)"
has dry.out "verdicts           0  (kept forever)"
has dry.out "Kept back by legal holds: 8 records"
has dry.out "hold 1 'riley-complaint': 4 records (1 message)"
has dry.out "hold 2 'robotics-request': 8 records (2 messages)"
has dry.out "Never disposed by this command:"
[ "$(grep -cE '^(message|rx-pdu|question|delivery|verdict|unknown-sender) [0-9]+ ' "$work/dry.out")" = 4 ] ||
	fail "dry run --list does not list 4 records"
expect_rc 0 dry_again "$chaperone" records dispose --dry-run
has dry_again.out "Past retention and not held: 4 records"
expect_rc 0 verify_dry "$chaperone" records verify
ok "dispose --dry-run --list: 4 records past retention, 8 kept back by two holds; nothing changes"

# 5. Disposal.
expect_rc 2 dispose_no_auth "$chaperone" records dispose --yes
has dispose_no_auth.err "give --authorization TEXT"
expect_rc 2 dispose_not_tty "$chaperone" records dispose --authorization "$auth"
has dispose_not_tty.err "not on a terminal: add --yes"
expect_rc 2 dispose_dry_auth "$chaperone" records dispose --dry-run --authorization "$auth"
expect_rc 0 dry_unchanged "$chaperone" records dispose --dry-run
has dry_unchanged.out "Past retention and not held: 4 records"
expect_rc 0 dispose1 "$chaperone" records dispose --authorization "$auth" \
	--certificate "$work/cert1.txt" --yes --as "Records Officer"
has dispose1.out "CERTIFICATE OF DISPOSAL OF RECORDS"
has dispose1.out "Disposal:       1"
has dispose1.out "Operator:       Records Officer"
has dispose1.out "OS user:        $(id -un)"
has dispose1.out "Authorization:  $auth"
has dispose1.out "Schedule:       messages 5 years, deliveries 18 months, verdicts forever, calls 90 days"
has dispose1.out "Disposed of 4 records, dated "
has dispose1.out "Kept back by legal holds: 8 records"
has dispose1.out "record in the archive is disposal 1."
grep -qE '^chaperone-anchor:v1:[0-9a-f]{32}:[0-9]+:[0-9a-f]{64}$' "$work/dispose1.out" ||
	fail "certificate has no anchor line"
cmp -s "$work/dispose1.out" "$work/cert1.txt" || fail "certificate file differs from what was printed"
[ "$(stat -c %a "$work/cert1.txt")" = 600 ] || fail "certificate mode $(stat -c %a "$work/cert1.txt")"
expect_rc 0 verify1 "$chaperone" records verify --anchor "$work/cert1.txt"
expect_rc 0 dry_after1 "$chaperone" records dispose --dry-run
has dry_after1.out "Past retention and not held: 0 records"
has dry_after1.out "Kept back by legal holds: 8 records"
ok "dispose prints the certificate (0600 file too); the archive verifies and extends its anchor"

# 6. An existing certificate is not overwritten; releases; nothing left.
expect_rc 0 release_team "$chaperone" records hold release robotics-request --note "request answered"
has release_team.out "hold 2 released"
expect_rc 1 release_again "$chaperone" records hold release 2
has release_again.err "hold 'robotics-request' was already released"
expect_rc 1 dispose_cert_exists "$chaperone" records dispose --authorization "$auth" \
	--certificate "$work/cert1.txt" --yes
has dispose_cert_exists.err "cert1.txt: File exists (nothing was disposed)"
cmp -s "$work/dispose1.out" "$work/cert1.txt" || fail "certificate 1 was overwritten"
expect_rc 0 dry_released "$chaperone" records dispose --dry-run
has dry_released.out "Past retention and not held: 4 records"
has dry_released.out "Kept back by legal holds: 4 records"
lacks dry_released.out "robotics-request"
expect_rc 0 dispose2 "$chaperone" records dispose --authorization "$auth" \
	--certificate "$work/cert2.txt" --yes
has dispose2.out "Disposal:       2"
has dispose2.out "Disposed of 4 records"
expect_rc 0 release_person "$chaperone" records hold release 1
expect_rc 0 dispose3 "$chaperone" records dispose --authorization "$auth" --yes
has dispose3.out "Disposal:       3"
has dispose3.out "Kept back by legal holds: 0 records"
expect_rc 0 dispose_none "$chaperone" records dispose --authorization "$auth" \
	--certificate "$work/cert4.txt" --yes
has dispose_none.out "Nothing is past retention and not held: nothing was disposed."
[ ! -e "$work/cert4.txt" ] || fail "a certificate was written for a disposal of nothing"
expect_rc 0 holds_none "$chaperone" records hold list
has holds_none.out "No active legal holds."
expect_rc 0 verify_end "$chaperone" records verify
ok "an existing certificate is kept and nothing disposed; released holds keep nothing; nothing left, no certificate"

# 7. The access log.
expect_rc 0 audit "$chaperone" records audit
for action in hold-add hold-release dispose-dry-run dispose; do
	has audit.out "$action"
done
ok "holds, releases, dry runs and disposals are in the access log"

# 8. Calls: three calls 100 days ago (calls are kept 90 days here): two with the
# guardian Mei Wang dialled in, recorded (34 records: calls, legs, events with the relay's
# spoken prompts, recordings); one the student's own, refused.
"$calls" "$CHAPERONE_DB" "$(( ($(date +%s) - 100 * 86400) * 1000 ))" >"$work/calls.out" 2>&1 ||
	fail "e2e-calls: $(cat "$work/calls.out")"
rec1=$(awk '$2 == 1 {print $4}' "$work/calls.out")
rec2=$(awk '$2 == 2 {print $4}' "$work/calls.out")
recdir=$(dirname "$CHAPERONE_DB")/recordings
[ -f "$recdir/$rec1.flac" ] && [ -f "$recdir/$rec2.flac" ] || fail "no recordings in $recdir"
expect_rc 0 hold_calls "$chaperone" records hold add wang-calls --person meiw \
	--reason "Parent complaint about calls" --as "Records Officer"
expect_rc 0 dry_calls "$chaperone" records dispose --dry-run --list
has dry_calls.out "calls              1  (calls 1, call_legs 0, call_events 0, call_recordings 0)"
has dry_calls.out "hold 3 'wang-calls': 34 records (0 messages)"
lines=$(grep -cE '^call(-leg|-event|-recording)? [0-9]+ ' "$work/dry_calls.out" || true)
[ "$lines" = 1 ] || fail "dry run lists $lines call records, want 1"
expect_rc 0 dispose_calls1 "$chaperone" records dispose --authorization "$auth" --yes
has dispose_calls1.out "Disposed of 1 record, dated "
lacks dispose_calls1.out "Recording file"
[ -f "$recdir/$rec1.flac" ] && [ -f "$recdir/$rec2.flac" ] || fail "a held call's recording was deleted"
expect_rc 0 search_held "$chaperone" records search --person xiaomingw
[ "$(grep -c '^call ' "$work/search_held.out")" = 2 ] || fail "held calls not found"
expect_rc 0 verify_calls1 "$chaperone" records verify
has verify_calls1.out "Call recordings: 2 re-hashed, 0 not as recorded."
expect_rc 0 release_calls "$chaperone" records hold release wang-calls
expect_rc 0 dispose_calls2 "$chaperone" records dispose --authorization "$auth" --yes \
	--certificate "$work/cert-calls.txt"
has dispose_calls2.out "Disposed of 34 records"
has dispose_calls2.out "Recording file $rec1.flac: deleted"
has dispose_calls2.out "Recording file $rec2.flac: deleted"
[ ! -e "$recdir/$rec1.flac" ] && [ ! -e "$recdir/$rec2.flac" ] || fail "disposed recordings still on disk"
# The tombstones keep the records' place in the chain; a disposed recording is not
# "missing".
expect_rc 0 verify_calls2 "$chaperone" records verify --anchor "$work/cert-calls.txt"
lacks verify_calls2.out "Call recordings"
has verify_calls2.out "of them disposed (verified through their tombstones)"
expect_rc 0 search_disposed "$chaperone" records search --relay +15550100 --include-disposed \
	--since 2000-01-01
has search_disposed.out "(removed by disposal) called nobody"
has search_disposed.out "recording $rec1.flac (4 channels, 1.0 s) DISPOSED: file deleted"
lacks search_disposed.out "小明"
ok "calls: a hold keeps them and their recordings; disposal deletes the files, verify passes"

echo "records_keeping: $passed passed"
