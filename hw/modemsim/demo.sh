#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Chaperone demo (until the relay itself exists): a simulated phone texts the relay
# number, an AT client reads the SMS off the simulated modem exactly as it would off a
# real one, decodes it with Chaperone's codec and answers; the phone gets the answer.
#
#   hw/modemsim/demo.sh BUILD_DIR          (./dev demo runs it)
#
# Delays are slowed to 300 ms so a person can watch it happen. Exit 0 on success.
set -euo pipefail

build=${1:?usage: demo.sh BUILD_DIR}
modemsim="$build/bin/modemsim"
echo_client="$build/bin/modemsim-echo"
phone=+15557770001
text="Hi Coach, is practice still on at 4 today? Bring cones? 🏀"

for p in "$modemsim" "$echo_client"; do
	[ -x "$p" ] || { echo "demo: $p is not built" >&2; exit 1; }
done

bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }

work=$(mktemp -d /tmp/chaperone-demo-XXXXXX)
sim_pid=
echo_pid=
cleanup() {
	[ -z "$echo_pid" ] || kill "$echo_pid" 2>/dev/null || true
	if [ -n "$sim_pid" ]; then
		kill -TERM "$sim_pid" 2>/dev/null || true
		wait "$sim_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ctl() { "$modemsim" ctl "$work/sim" "$@"; }

# The first match of "key":"value" in a JSON line (values here have no quotes in them).
json_field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" | head -n 1; }

bold "1. Starting modemsim: one simulated modem (the relay number) and its network"
"$modemsim" --submit-ms 300 --deliver-ms 300 --phone "$phone" "$work/sim" \
	>"$work/modemsim.out" 2>"$work/modemsim.log" &
sim_pid=$!
for _ in $(seq 100); do
	grep -q "modemsim ready" "$work/modemsim.out" 2>/dev/null && break
	sleep 0.1
done
grep -q "modemsim ready" "$work/modemsim.out" || { cat "$work/modemsim.log"; exit 1; }
status=$(ctl status)
relay=$(echo "$status" | json_field msisdn)
echo "  relay number $relay on $work/sim/modem0 -> $(readlink "$work/sim/modem0")"
echo "  simulated phone $phone: Coach Dana's phone"

bold "2. An AT client opens the modem's serial port, as Chaperone's driver will"
("$echo_client" "$work/sim/modem0" 30 | tee "$work/echo.log") &
echo_pid=$!
for _ in $(seq 100); do
	grep -q "Waiting for an SMS" "$work/echo.log" 2>/dev/null && break
	sleep 0.1
done

bold "3. Coach Dana's phone ($phone) texts the relay number $relay"
echo "  \"$text\""
ctl send --from "$phone" --to modem0 "$text" >/dev/null

if ! wait "$echo_pid"; then
	echo_pid=
	echo "demo: the AT client did not complete; modemsim's trace:" >&2
	ctl trace modem0 --last 40 >&2 || true
	exit 1
fi
echo_pid=

bold "4. What Coach Dana's phone received"
for _ in $(seq 50); do
	inbox=$(ctl inbox "$phone")
	echo "$inbox" | grep -q '"complete":true' && break
	sleep 0.1
done
echo "  from: $(echo "$inbox" | json_field from)"
echo "  text: $(echo "$inbox" | json_field text)"
echo "$inbox" | grep -q '"complete":true' || { echo "demo: the reply did not arrive" >&2; exit 1; }
echo "  (as JSON from the control socket: $inbox)"

bold "Done: phone → network → modem → AT client → modem → network → phone."
