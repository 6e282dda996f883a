#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# chaperoned's lifecycle against a real modemsim: what an installer and an operator see,
# and the "nothing lost" promise across stops, crashes and a modem that goes away.
#
#   tests/e2e/relay_lifecycle_test.sh BUILD_DIR SOURCE_DIR
#
#   1. start: both modems ready; the VTY on localhost answers show modems|policy|stats
#   2. SIGTERM: exits 0; a student texts while it is down; after a restart the message
#      reaches the coach, exactly once
#   3. a modem that hangs: a held message released meanwhile is recorded as waiting
#      and goes out when the modem has recovered
#   4. SIGKILL right after a team broadcast arrives: after a restart every player has
#      the message and every delivery is recorded as sent
#   5. the archive file is readable by its owner only
#   6. logrotate's SIGHUP reopens the log file; SIGUSR1 and SIGUSR2 log memory reports;
#      none of them stops the relay
#   7. without a `bind`, the console listens on 4290, a port no Osmocom program uses
#   8. `records backup` while texts flow: the copy verifies, holds every record committed
#      before it began, and is owner-only
#   9. a modem whose port is missing, retried meanwhile: logged once, not every retry
# KEEP_WORKDIR=1 keeps the temporary directory.
set -euo pipefail

build=${1:?usage: relay_lifecycle_test.sh BUILD_DIR SOURCE_DIR}
src=${2:?usage: relay_lifecycle_test.sh BUILD_DIR SOURCE_DIR}
modemsim="$build/bin/modemsim"
chaperone="$build/bin/chaperone"
chaperoned="$build/bin/chaperoned"

coach=+16175550101
jamie=+16175550301
players=(+16175550301 +16175550302 +16175550303 +16175550304 +16175550305 +16175550306
	+16175550307 +16175550308)

work=$(mktemp -d /tmp/chaperone-life-XXXXXX)
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
	echo "--- chaperoned (last 60 lines) ---"
	tail -n 60 "$work/daemon.err" 2>/dev/null || true
	echo "relay_lifecycle: $passed passed, 1 failed"
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

start_daemon() {
	"$chaperoned" -c "$work/chaperoned.cfg" 2>>"$work/daemon.err" &
	daemon_pid=$!
	wait_for 20 modems_ready || fail "modems not ready"
}

modems_ready() {
	[ "$(vty 'show modems' 2>/dev/null | grep -c ' ready$')" = 2 ]
}

# inbox_count PHONE NEEDLE: messages in PHONE's inbox whose text contains NEEDLE.
inbox_count() {
	ctl inbox "$1" | sed 's/},{/}\n{/g' | grep -c -F -- "$2" || true
}

has_at_least() {
	[ "$(inbox_count "$1" "$2")" -ge "$3" ]
}

db_query() {
	"$chaperone" held list --db "$work/relay.db" >/dev/null # the CLI opens it the same way
}

"$chaperone" roster import --db "$work/relay.db" "$src/tests/fixtures/district" >/dev/null ||
	fail "roster import"
"$modemsim" -n 2 --msisdn-base +15550100 --submit-ms 20 --deliver-ms 20 "$work/sim" \
	>"$work/sim.out" 2>&1 &
sim_pid=$!
wait_for 10 grep -q "modemsim ready" "$work/sim.out" || fail "modemsim did not start"

cat >"$work/chaperoned.cfg" <<CFG
chaperone
 district Lakeview Public Schools
 database $work/relay.db
 timezone UTC
policy
 guardians-on-team-messages no
 no quiet-hours
 oversight copy
 contact-screen yes
 notice yes
modem modem0
 device $work/sim/modem0
 relay-number +15550100
modem modem1
 device $work/sim/modem1
 relay-number +15550101
$(console_config)
CFG

# 1. Start-up and the VTY.
start_daemon
out=$(vty 'show modems')
grep -q "modem0 +15550100 ready" <<<"$out" || fail "show modems: $out"
out=$(vty 'show policy')
grep -q "guardian-copy" <<<"$out" || fail "show policy: $out"
out=$(vty 'show stats')
grep -q "Messages received and routed" <<<"$out" || fail "show stats: $out"
ok "both modems ready; show modems, show policy and show stats answer on localhost"

# 2. Stopped by SIGTERM; a student texts meanwhile; the restart routes it once.
kill -TERM "$daemon_pid"
wait "$daemon_pid" && rc=0 || rc=$?
daemon_pid=
[ "$rc" = 0 ] || fail "chaperoned exited $rc on SIGTERM"
ctl send --from "$jamie" --to modem0 "Sent while the relay was down" >/dev/null
sleep 1
start_daemon
wait_for 20 has_at_least "$coach" "Sent while the relay was down" 1 ||
	fail "message sent while down never reached the coach"
sleep 2
[ "$(inbox_count "$coach" "Sent while the relay was down")" = 1 ] ||
	fail "message sent while down reached the coach more than once"
ok "SIGTERM exits 0; a message that arrived meanwhile reaches the coach once after restart"

# 3. A held message released while its modem hangs waits, then goes out.
ctl send --from "$coach" --to modem0 "@jamier my cell is 617-555-0101" >/dev/null
wait_for 20 has_at_least "$coach" "Held for review" 1 || fail "no hold notice to the coach"
id=$("$chaperone" held list --db "$work/relay.db" | awk -F'\t' '/^[0-9]/ {print $1; exit}')
[ -n "$id" ] || fail "held list shows nothing"
ctl fault modem0 hang >/dev/null
sleep 1
"$chaperone" held release "$id" --by helenp --db "$work/relay.db" >/dev/null ||
	fail "held release"
wait_for 30 bash -c "'$chaperone' held list --db '$work/relay.db' | grep -q 'No held'" ||
	fail "release not recorded"
sleep 2
[ "$(inbox_count "$jamie" "my cell is")" = 0 ] || fail "sent while the modem hung?"
queues_waiting() {
	vty 'show queues' | grep -Eq "waiting +[1-9]"
}
# The hang is noticed when a command goes unanswered; then its queue is recorded waiting.
wait_for 30 queues_waiting || fail "not recorded as waiting: $(vty 'show queues')"
ctl fault modem0 clear >/dev/null
wait_for 60 has_at_least "$jamie" "my cell is [number withheld]" 1 ||
	fail "released message did not go out after the modem recovered"
ok "a release while the modem hangs is recorded as waiting and goes out after recovery"

# 4. SIGKILL right after a broadcast arrives: nothing lost.
ctl send --from "$coach" --to modem0 "#soccer Crash test: bring water" >/dev/null
wait_for 10 bash -c "grep -q 'from $coach' '$work/daemon.err' || true; sleep 0.3; true"
kill -KILL "$daemon_pid"
wait "$daemon_pid" 2>/dev/null || true
daemon_pid=
start_daemon
for p in "${players[@]}"; do
	wait_for 30 has_at_least "$p" "Crash test: bring water" 1 ||
		fail "$p never got the broadcast after the crash"
done
ok "after SIGKILL and a restart every player has the broadcast"

# 5. Owner-only archive.
mode=$(stat -c %a "$work/relay.db")
[ "$mode" = 600 ] || fail "archive mode is $mode"
ok "the archive is mode 600"

# 6. The signals an administrator's tools send.
stop "$daemon_pid"
daemon_pid=
cp "$work/chaperoned.cfg" "$work/chaperoned.cfg.orig"
cat >>"$work/chaperoned.cfg" <<CFG
log file $work/chaperoned.log
 logging filter all 1
 logging level set-all notice
CFG
start_daemon
wait_for 10 grep -q "ready:" "$work/chaperoned.log" || fail "no log file"
mv "$work/chaperoned.log" "$work/chaperoned.log.1" # as logrotate does
kill -HUP "$daemon_pid"
wait_for 10 grep -q "SIGHUP: log files reopened" "$work/chaperoned.log" ||
	fail "SIGHUP: the log file was not reopened"
kill -USR1 "$daemon_pid"
wait_for 10 grep -q "talloc report of the top-level contexts" "$work/chaperoned.log" ||
	fail "SIGUSR1: no memory report in the log"
kill -USR2 "$daemon_pid"
wait_for 10 grep -q "talloc report of every context" "$work/chaperoned.log" ||
	fail "SIGUSR2: no memory report in the log"
grep -q "talloc report: .*bytes in" "$work/chaperoned.log" || fail "the report has no contexts"
# Log lines name sources as the tree has them, not the build machine's paths.
! grep -qF "$src/" "$work/chaperoned.log" "$work/daemon.err" || fail "a log line names $src"
grep -q " gateway/daemon/[a-z_]*\.c:[0-9]" "$work/chaperoned.log" || fail "log lines name no source"
kill -0 "$daemon_pid" 2>/dev/null || fail "a signal stopped chaperoned"
modems_ready || fail "the modems are not ready after the signals"
ok "SIGHUP reopens the log file; SIGUSR1 and SIGUSR2 log memory reports; the relay runs on"

# 7. The console's default port.
stop "$daemon_pid"
daemon_pid=
# (With a third modem whose port is missing: step 8 reads how often it was logged.)
{
	grep -v '^ bind ' "$work/chaperoned.cfg.orig"
	printf 'modem spare\n device %s\n relay-number +15550199\n' "$work/no-such-port"
} >"$work/chaperoned.cfg"
"$chaperoned" -c "$work/chaperoned.cfg" 2>"$work/default-port.err" &
daemon_pid=$!
wait_for 20 grep -q "ready:" "$work/default-port.err" || fail "no start without a bind"
grep -q "VTY 127.0.0.1:4290" "$work/default-port.err" ||
	fail "default console port: $(grep -o 'VTY [0-9.:]*' "$work/default-port.err")"
ok "without a bind the console is on 127.0.0.1:4290"

# 8. A backup while the relay works.
traffic() {
	for i in $(seq 1 30); do
		ctl send --from "$jamie" --to modem0 "Backup traffic $i" >/dev/null
		sleep 0.15
	done
}
traffic &
traffic_pid=$!
sleep 1
records_in() { "$chaperone" records verify --db "$1" 2>&1 | sed -n 's/^verified \([0-9]*\) records.*/\1/p'; }
before=$(records_in "$work/relay.db")
"$chaperone" records backup --db "$work/relay.db" --out "$work/backup.db" >"$work/backup.out" ||
	fail "records backup: $(cat "$work/backup.out")"
wait "$traffic_pid"
"$chaperone" records verify --db "$work/backup.db" >"$work/backup-verify.out" 2>&1 ||
	fail "the backup does not verify: $(cat "$work/backup-verify.out")"
after=$(sed -n 's/^verified \([0-9]*\) records.*/\1/p' "$work/backup-verify.out")
[ -n "$before" ] && [ "$after" -ge "$before" ] ||
	fail "the backup holds $after records, $before were committed before it began"
live=$(records_in "$work/relay.db")
[ "$live" -gt "$after" ] || fail "no traffic after the backup ($live records live, $after in it)"
[ "$(stat -c %a "$work/backup.db")" = 600 ] || fail "the backup is not mode 600"
"$chaperone" records backup --db "$work/relay.db" --out "$work/backup.db" >/dev/null 2>&1 &&
	fail "a backup overwrote a file"
ok "records backup under traffic: $after records (≥ $before before it began), verified, mode 600"

# 9. The missing port, retried all along step 8 (1, 2, 4 s apart): its reason logged
# once at ERROR, its states once each at NOTICE, not every retry.
[ "$(grep -c "spare (.*no-such-port) cannot be opened" "$work/default-port.err")" = 1 ] ||
	fail "the missing port's reason, logged $(grep -c "no-such-port" "$work/default-port.err") times"
for st in opening recovering; do
	n=$(grep -c "NOTICE.*spare: $st\$" "$work/default-port.err" || true)
	[ "$n" -le 1 ] || fail "'spare: $st' logged $n times at NOTICE:
$(grep "spare:" "$work/default-port.err")"
done
ok "a missing modem port: its reason logged once at ERROR, its states once at NOTICE"

stop "$daemon_pid"
daemon_pid=
echo "relay_lifecycle: $passed passed, 0 failed"
