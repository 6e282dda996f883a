#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# gammu-smsd against modemsim: an established SMS daemon, written for real modems, runs
# unchanged on a simulated one. If it works here, modemsim behaves like hardware.
#
#   tests/e2e/gammu_smsd_test.sh BUILD_DIR
#
# Starts modemsim (one modem, fast network) in a temporary directory and gammu-smsd with
# its files backend on DIR/modem0, then checks both directions:
#   1. a phone texts the modem          → gammu-smsd files it in its inbox
#   2. the same with a two-part message → both parts in the inbox
#   3. gammu-smsd-inject queues a reply → the phone receives it
#   4. the same with a two-part reply   → the phone reassembles it
#   5. gammu-smsd asked for delivery reports → it received the status report
# Exits 0 when all pass, 1 otherwise (also when gammu-smsd is missing: ./dev installs it),
# after printing gammu-smsd's log and the modem's AT trace.
# MODEMSIM_MODEL=EC25 (SIM7600, SIM800, E173) runs it against another identity profile;
# KEEP_WORKDIR=1 keeps the temporary directory (gammu-smsd log, config) for a look.
set -euo pipefail

build=${1:?usage: gammu_smsd_test.sh BUILD_DIR}
modemsim="$build/bin/modemsim"
model=${MODEMSIM_MODEL:-generic}
phone=+15557770001

for tool in gammu-smsd gammu-smsd-inject; do
	if ! command -v "$tool" >/dev/null; then
		echo "FAIL: $tool is not installed (Debian package gammu-smsd; ./dev installs it)"
		exit 1
	fi
done
if [ ! -x "$modemsim" ]; then
	echo "FAIL: $modemsim is not built"
	exit 1
fi

# Short path: the control socket's path must fit a sockaddr_un.
work=$(mktemp -d /tmp/chaperone-gammu-XXXXXX)
sim_pid=
smsd_pid=
passed=0

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

cleanup() {
	stop "$smsd_pid"
	stop "$sim_pid"
	remove_workdir
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*"
	echo "--- gammu-smsd log (last 200 lines) ---"
	tail -n 200 "$work/smsd.log" 2>/dev/null || true
	echo "--- gammu-smsd output ---"
	cat "$work/smsd.out" 2>/dev/null || true
	echo "--- modemsim AT trace of modem0 (last 150 lines) ---"
	ctl trace modem0 --last 150 2>/dev/null | sed 's/},{/},\n{/g' || true
	echo "--- modemsim log ---"
	cat "$work/modemsim.log" 2>/dev/null || true
	echo "gammu-smsd: $passed passed, 1 failed"
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
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		kill -0 "$smsd_pid" 2>/dev/null || fail "gammu-smsd exited"
		sleep 0.2
	done
}

inbox_has() {
	ctl inbox "$phone" | grep -qF "$1"
}

# gammu-smsd files each part as text; the parts of one message follow each other.
gammu_inbox_has() {
	cat "$work"/inbox/IN* 2>/dev/null | tr -d '\n' | grep -qF "$1"
}

# --- modemsim: submit and delivery fast, but not instant, as a real network ---
"$modemsim" --model "$model" --submit-ms 200 --deliver-ms 100 --phone "$phone" "$work/sim" \
	>"$work/modemsim.out" 2>"$work/modemsim.log" &
sim_pid=$!
for _ in $(seq 100); do
	grep -q "modemsim ready" "$work/modemsim.out" 2>/dev/null && break
	kill -0 "$sim_pid" 2>/dev/null || fail "modemsim exited"
	sleep 0.1
done
grep -q "modemsim ready" "$work/modemsim.out" || fail "modemsim did not come up"

# --- gammu-smsd, files backend, polling often ---
mkdir -p "$work/inbox" "$work/outbox" "$work/sent" "$work/error"
cat >"$work/smsdrc" <<CONF
[gammu]
device = $work/sim/modem0
connection = at
logformat = textalldate

[smsd]
service = files
logfile = $work/smsd.log
debuglevel = 255
inboxpath = $work/inbox/
outboxpath = $work/outbox/
sentsmspath = $work/sent/
errorsmspath = $work/error/
checkbattery = 0
checksignal = 1
receivefrequency = 1
statusfrequency = 1
commtimeout = 1
sendtimeout = 30
deliveryreport = sms
CONF
gammu-smsd -c "$work/smsdrc" >"$work/smsd.out" 2>&1 &
smsd_pid=$!

# 1. A phone texts the relay number.
text1="Practice moved to 4:30, bring €5 for the bus [gym B]"
ctl send --from "$phone" --to modem0 "$text1" >/dev/null || fail "modemsim ctl send"
wait_for 60 gammu_inbox_has "$text1" || fail "gammu-smsd did not receive: $text1"
ok "phone → modem → gammu-smsd inbox"

# 2. Two parts.
text2="Two-part start. $(printf 'Parents please sign the field trip form %02d. ' $(seq 1 4)) Two-part end."
ctl send --from "$phone" --to modem0 "$text2" | grep -qF '"parts":2' || fail "send of 2 parts"
wait_for 30 gammu_inbox_has "Two-part end." || fail "gammu-smsd did not receive the second part"
gammu_inbox_has "$text2" || fail "gammu-smsd inbox does not hold the whole two-part text"
ok "two-part message → gammu-smsd inbox"

# 3. gammu-smsd sends.
text3="Reply from gammu-smsd: see you at 4:30"
gammu-smsd-inject -c "$work/smsdrc" TEXT "$phone" -text "$text3" >>"$work/inject.log" 2>&1 ||
	fail "gammu-smsd-inject"
wait_for 30 inbox_has "\"text\":\"$text3\"" || fail "phone did not receive: $text3"
ok "gammu-smsd → modem → phone"

# 4. Two parts from gammu-smsd; the phone reassembles them.
text4="$(printf 'Reminder %02d: uniforms are due Friday in the gym office. ' $(seq 1 4))"
gammu-smsd-inject -c "$work/smsdrc" TEXT "$phone" -len "${#text4}" -text "$text4" \
	>>"$work/inject.log" 2>&1 || fail "gammu-smsd-inject (two parts)"
wait_for 30 inbox_has "\"text\":\"$text4\",\"parts\":2,\"parts_received\":2,\"complete\":true" ||
	fail "phone did not receive the two-part reply"
ok "two-part gammu-smsd message → phone, reassembled"

# 5. gammu-smsd asked for status reports (deliveryreport = sms) and got them.
inbox_has '"srr":true' || fail "gammu-smsd did not request a status report"
wait_for 30 grep -q "Delivery report IN.*_${phone}_" "$work/smsd.log" ||
	fail "gammu-smsd did not process a status report"
ok "status report → gammu-smsd"

[ -z "$(ls -A "$work/error")" ] || fail "gammu-smsd moved messages to its error folder"
echo "gammu-smsd: $passed passed, 0 failed"
