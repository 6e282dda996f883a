#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# `chaperone modem probe|send|listen` against a real modemsim process, as an installer
# would run them against hardware.
#
#   tests/e2e/cli_modem_test.sh BUILD_DIR
#
#   1. probe: identity, SIM, registration, signal, SMS capabilities and the profile
#      chosen from +CGMM, as a table and as JSON
#   2. probe of a deregistered modem: answers, says it is not registered, exit 0
#   3. probe of a hung modem: "no answer from DEVICE (is it the AT port?)", exit 1
#   4. send of a two-part message: both parts submitted and delivered, exit 0, and the
#      phone reassembles the text
#   5. send to an unreachable phone: the status report says failed, exit 1
#   6. listen: a message stored while nobody listened and one arriving while listening
#      are printed decoded, and are gone from the SIM afterwards; SIGTERM exits 0
#   7. call: a guardian's phone answers, says a tone; the call's states, the level heard
#      and the recording; hung up after --seconds, exit 0
#   8. call to a busy phone: "no call busy", exit 1
#   9. answer: a phone calls, the command answers, hears it, hangs up, exit 0
#  10. the port lock: a stale lock file (dead pid) is taken over by listen; while listen
#      holds the port, probe and send fail with "DEVICE is in use by chaperone (pid N)"
#      and the lock file names listen; it is gone once listen exits
#  11. a second chaperoned configured with the same modem reports it in use by the
#      first (ERROR once), and probe names chaperoned as the holder
#  12. a lock directory that is not absolute, or not a directory, is a clear error
#  13. a program that holds the port with TIOCEXCL and no lock file (another lock
#      directory stands in for a program that takes none): probe, without the
#      CAP_SYS_ADMIN that passes TIOCEXCL, names it
# KEEP_WORKDIR=1 keeps the temporary directory.
set -euo pipefail

build=${1:?usage: cli_modem_test.sh BUILD_DIR}
modemsim="$build/bin/modemsim"
chaperone="$build/bin/chaperone"
chaperoned="$build/bin/chaperoned"
phone=+15557770001

work=$(mktemp -d /tmp/chaperone-cli-XXXXXX)
sim_pid=
listen_pid=
call_pid=
daemon_pid=
daemon2_pid=
passed=0
port=$((20000 + RANDOM % 20000))
# The ports' lock files (modem/driver/serial_lock.h) go here, not in /run/lock.
export CHAPERONE_LOCK_DIR="$work/lock"
mkdir "$CHAPERONE_LOCK_DIR"

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

cleanup() {
	stop "$daemon2_pid"
	stop "$daemon_pid"
	stop "$listen_pid"
	stop "$call_pid"
	stop "$sim_pid"
	remove_workdir
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*"
	for f in "$work"/*.out "$work"/*.err; do
		[ -s "$f" ] || continue
		[ -f "$f" ] && { echo "--- $(basename "$f") ---"; cat "$f"; }
	done
	echo "--- modemsim AT trace of modem0 (last 80 lines) ---"
	ctl trace modem0 --last 80 2>/dev/null | sed 's/},{/},\n{/g' || true
	echo "cli_modem: $passed passed, 1 failed"
	exit 1
}

ok() {
	passed=$((passed + 1))
	echo "ok $passed - $*"
}

# wait_for SECONDS COMMAND...: run COMMAND until it succeeds, at most SECONDS long.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.1
	done
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

"$modemsim" -n 2 --model EC25 --submit-ms 50 --deliver-ms 50 "$work/sim" \
	>"$work/modemsim.stdout" 2>"$work/modemsim.log" &
sim_pid=$!
wait_for 10 grep -q "modemsim ready" "$work/modemsim.stdout" || fail "modemsim did not start"
m0="$work/sim/modem0"
m1="$work/sim/modem1"

# 1. probe
expect_rc 0 probe "$chaperone" modem probe "$m0"
has probe.out "Manufacturer   Quectel"
has probe.out "Model          EC25"
has probe.out "Profile        quectel-ec25"
has probe.out "SIM            READY"
has probe.out "Registered     yes"
has probe.out "Signal         -71 dBm (+CSQ: 21,99)"
has probe.out "+CNMI          2,1,0,0,0"
expect_rc 0 probe_json "$chaperone" modem probe --json --profile generic "$m0"
python3 - "$work/probe_json.out" <<'PY' || fail "probe --json: unexpected content"
import json, sys
p = json.load(open(sys.argv[1]))
assert p["model"] == "EC25", p
assert p["profile"]["name"] == "generic" and p["profile"]["chosen_by"] == "option", p
assert p["registered"] is True and p["signal"]["dbm"] == -71, p
assert p["cereg"]["stat"] == 1 and p["sms"]["cmms"] is True, p
PY
ok "probe shows identity, registration, signal, SMS capabilities and profile"

# 2. a modem that does not register is still probed
ctl fault modem1 deregister >/dev/null
expect_rc 0 probe_dereg "$chaperone" modem probe "$m1"
has probe_dereg.out "+CREG          2 (searching)"
has probe_dereg.out "Registered     NO"
ctl fault modem1 register >/dev/null
ok "probe of a deregistered modem reports it"

# 3. a hung modem
ctl fault modem1 hang >/dev/null
expect_rc 1 probe_hang "$chaperone" modem probe "$m1"
has probe_hang.err "no answer from $m1 (is it the AT port?)"
ctl fault modem1 clear >/dev/null
ok "probe of a hung modem fails clearly"

# 4. send, two parts
text="Practice moved to 4pm. $(printf 'Bring water and cleats. %.0s' $(seq 8))"
expect_rc 0 send "$chaperone" modem send --timeout 60 "$m0" "$phone" "$text"
has send.out "part 1/2: submitted, TP-MR"
has send.out "part 2/2: submitted, TP-MR"
has send.out "part 2/2: TP-MR"
[ "$(grep -c ' delivered (TP-ST 0x00' "$work/send.out")" -eq 2 ] || fail "send: not two delivered reports"
has send.out "delivered"
ctl inbox "$phone" >"$work/inbox.out"
has inbox.out "\"complete\":true"
has inbox.out "Practice moved to 4pm."
ok "send submits every part and prints each part's delivery"

# 5. send to a phone that cannot be reached
ctl phone +15557770009 --reachable false >/dev/null
expect_rc 1 send_fail "$chaperone" modem send --timeout 60 "$m0" +15557770009 "Hello?"
has send_fail.out "FAILED"
has send_fail.out "not delivered"
ok "send reports a failed delivery with exit status 1"

# 6. listen: one message stored before, one arriving while listening
ctl reset modem0 >/dev/null
ctl send --from "$phone" --to modem0 "Stored while nobody listened" >/dev/null
wait_for 10 sh -c "'$modemsim' ctl '$work/sim' sim modem0 | grep -q REC" ||
	fail "the message did not reach the SIM"
"$chaperone" modem listen "$m0" >"$work/listen.out" 2>"$work/listen.err" &
listen_pid=$!
wait_for 20 grep -q "Stored while nobody listened" "$work/listen.out" ||
	fail "listen did not print the stored message"
ctl send --from +15557770002 --to modem0 "Is practice on? 🏀" >/dev/null
wait_for 20 grep -q "Is practice on? 🏀" "$work/listen.out" ||
	fail "listen did not print the new message"
has listen.out "SMS from +15557770002 at "
kill -TERM "$listen_pid"
rc=0
wait "$listen_pid" || rc=$?
listen_pid=
[ "$rc" -eq 0 ] || fail "listen: exit status $rc after SIGTERM"
has listen.err "2 received"
ctl sim modem0 >"$work/sim_after.out"
grep -q '"SM":\[\]' "$work/sim_after.out" || fail "listen left messages on the SIM"
ok "listen prints stored and new messages, deletes them, exits on SIGTERM"

# 7. call: the phone answers and says a tone; the command records it
ctl auto-answer "$phone" --rings 1 >/dev/null
"$chaperone" modem call "$m0" "$phone" --tone 1400 --record "$work/heard.wav" --seconds 3 \
	>"$work/call.out" 2>"$work/call.err" &
call_pid=$!
wait_for 20 sh -c "'$modemsim' ctl '$work/sim' calls | grep -q '\"state\":\"active\"'" ||
	fail "the call did not become active"
ctl play "$phone" --tone 1000 >/dev/null
rc=0
wait "$call_pid" || rc=$?
[ "$rc" -eq 0 ] || fail "call: exit status $rc"
has call.out "to $phone: dialing"
has call.out "to $phone: active"
has call.out "ended: hung-up"
level=$(sed -n 's/.*level \(-\?[0-9.]*\) dBFS.*/\1/p' "$work/call.out")
awk -v l="$level" 'BEGIN { exit !(l > -20) }' || fail "call: heard at $level dBFS, want > -20"
[ "$(stat -c %s "$work/heard.wav")" -gt 20000 ] || fail "call: the recording is too short"
ctl heard "$phone" --wav "$work/phone.wav" >"$work/phone_heard.out"
grep -q '"samples": *[1-9]' "$work/phone_heard.out" || fail "the phone heard nothing"
ok "call: dialled, answered, audio both ways, recorded, hung up, exit 0"

# 8. call to a busy phone
ctl busy "$phone" >/dev/null
expect_rc 1 call_busy "$chaperone" modem call "$m0" "$phone" --seconds 2
has call_busy.out "ended: busy"
has call_busy.err "no call busy"
ctl busy "$phone" --no-on >/dev/null
ok "call to a busy phone says so, exit 1"

# 9. answer: a phone calls the modem
"$chaperone" modem answer "$m0" --seconds 2 --wait 30 >"$work/answer.out" 2>"$work/answer.err" &
call_pid=$!
wait_for 20 grep -q "waiting" "$work/answer.err" || fail "answer did not get ready"
ctl call --from +15557770002 --to modem0 >/dev/null
wait_for 20 grep -q "active" "$work/answer.out" || fail "answer: the call did not become active"
ctl play +15557770002 --tone 1000 >/dev/null
rc=0
wait "$call_pid" || rc=$?
[ "$rc" -eq 0 ] || fail "answer: exit status $rc"
has answer.out "from +15557770002: ringing"
has answer.out "ended: hung-up"
ok "answer: a call answered, heard, hung up, exit 0"

# 10. the port lock. The lock file is named after the device the PTY symlink points at.
lock="$CHAPERONE_LOCK_DIR/LCK..$(basename "$(readlink -f "$m1")")"
sleep 0 &
dead_pid=$!
wait "$dead_pid"
printf '%10d\n' "$dead_pid" >"$lock"
"$chaperone" modem listen "$m1" >"$work/listen_lock.out" 2>"$work/listen_lock.err" &
listen_pid=$!
wait_for 20 grep -q "modem: ready" "$work/listen_lock.err" || fail "listen on modem1 not ready"
[ "$(cat "$lock")" = "$(printf '%10d' "$listen_pid")" ] ||
	fail "the stale lock was not taken over: $(cat "$lock")"
expect_rc 1 probe_locked "$chaperone" modem probe "$m1"
has probe_locked.err "chaperone modem probe: $m1 is in use by chaperone (pid $listen_pid)"
expect_rc 1 send_locked "$chaperone" modem send --timeout 20 "$m1" "$phone" "Hi"
has send_locked.err "modem ($m1) is in use by chaperone (pid $listen_pid)"
stop "$listen_pid"
listen_pid=
[ ! -e "$lock" ] || fail "listen left its lock file: $(cat "$lock")"
expect_rc 0 probe_unlocked "$chaperone" modem probe "$m1"
ok "the port lock: a stale lock taken over, probe and send name the holder, released on exit"

# 11. two daemons configured with the same modem
daemon_config() { # DB VTY_PORT
	cat <<CFG
chaperone
 district Lakeview Public Schools
 database $1
 timezone UTC
modem modem1
 device $m1
 relay-number +15550101
$(port=$2 console_config)
CFG
}
daemon_config "$work/one.db" "$port" >"$work/one.cfg"
daemon_config "$work/two.db" $((port + 1)) >"$work/two.cfg"
"$chaperoned" -c "$work/one.cfg" 2>"$work/daemon1.err" &
daemon_pid=$!
modem1_ready() { vty 'show modems' 2>/dev/null | grep -q ' ready$'; }
wait_for 20 modem1_ready || fail "the first chaperoned's modem is not ready"
"$chaperoned" -c "$work/two.cfg" 2>"$work/daemon2.err" &
daemon2_pid=$!
wait_for 20 grep -q "is in use by" "$work/daemon2.err" ||
	fail "the second chaperoned did not report the port in use"
has daemon2.err "modem1 ($m1) is in use by chaperoned (pid $daemon_pid)"
sleep 2 # the backoff retries meanwhile: the ERROR is not repeated
[ "$(grep -c "is in use by" "$work/daemon2.err")" -eq 1 ] ||
	fail "the second chaperoned repeated the error: $(grep -c "is in use by" "$work/daemon2.err")"
expect_rc 1 probe_daemon "$chaperone" modem probe "$m1"
has probe_daemon.err "$m1 is in use by chaperoned (pid $daemon_pid)"
stop "$daemon2_pid"
daemon2_pid=
stop "$daemon_pid"
daemon_pid=
ok "a second chaperoned on the same modem reports it in use by the first, once"

# 12. a bad lock directory
CHAPERONE_LOCK_DIR=lock expect_rc 1 lockdir_relative "$chaperone" modem probe "$m1"
has lockdir_relative.err 'CHAPERONE_LOCK_DIR="lock": the lock directory must be an absolute path'
CHAPERONE_LOCK_DIR="$work/nowhere" expect_rc 1 lockdir_missing "$chaperone" modem probe "$m1"
has lockdir_missing.err "CHAPERONE_LOCK_DIR=$work/nowhere: the lock directory is not a writable directory"
ok "a bad lock directory is a clear error"

# 13. TIOCEXCL alone. Root passes TIOCEXCL with CAP_SYS_ADMIN: the probe runs without it.
mkdir -p "$work/other-locks"
CHAPERONE_LOCK_DIR="$work/other-locks" "$chaperone" modem listen "$m1" \
	>"$work/listen_excl.out" 2>"$work/listen_excl.err" &
listen_pid=$!
wait_for 20 grep -q "modem: ready" "$work/listen_excl.err" || fail "listen on modem1 not ready"
[ ! -e "$lock" ] || fail "a lock file in the test's lock directory: $(ls "$CHAPERONE_LOCK_DIR")"
no_sys_admin=()
[ "$(id -u)" = 0 ] && no_sys_admin=(setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin)
expect_rc 1 probe_excl "${no_sys_admin[@]}" "$chaperone" modem probe "$m1"
has probe_excl.err "chaperone modem probe: $m1 is in use by chaperone (pid $listen_pid)"
stop "$listen_pid"
listen_pid=
expect_rc 0 probe_after_excl "$chaperone" modem probe "$m1"
ok "a port held with TIOCEXCL and no lock file: probe names the holder"

echo "cli_modem: $passed passed"
