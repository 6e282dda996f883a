#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# The console against a real chaperoned and modemsim.
#
#   tests/vty/vty_test.sh console BUILD_DIR SOURCE_DIR
#       configs chaperoned refuses to start with; then tests/vty/console.vty (every config
#       node and show command, `?` help, the console's refusals, `write`); `show stats`
#       with every value in one column; then the file `write` wrote: mode 0600, the
#       archive untouched, and read back by a new chaperoned into the same running
#       configuration.
#   tests/vty/vty_test.sh example BUILD_DIR SOURCE_DIR
#       docs/examples/chaperoned.cfg (its paths and passwords replaced) loaded, every
#       setting of it in force; settings changed at the console and written: the file
#       keeps every comment and line in order but the ones changed, and gains only the
#       logging category set; a file edited on disk is not overwritten; read back
#       unchanged.
#
# Transcripts name the work directory @WORK@ and the console's port @PORT@.
set -euo pipefail

what=${1:?usage: vty_test.sh console|example BUILD_DIR SOURCE_DIR}
build=$(cd "${2:?}" && pwd)
src=$(cd "${3:?}" && pwd)
here="$src/tests/vty"
modemsim="$build/bin/modemsim"
chaperoned="$build/bin/chaperoned"
chaperone="$build/bin/chaperone"
client="$build/tests/vty/vty_client"

work=$(mktemp -d "${TMPDIR:-/tmp}/chaperone-vty.XXXXXX")
sim_pid=
daemon_pid=
# shellcheck source=../e2e/lib.sh
. "$src/tests/e2e/lib.sh"
trap 'stop "$daemon_pid"; stop "$sim_pid"; remove_workdir' EXIT

fail() {
	echo "FAIL: $*" >&2
	[ -f "$work/daemon.err" ] && tail -20 "$work/daemon.err" >&2
	exit 1
}
ok() { echo "ok: $*"; }

wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.2
	done
}

port=$((20000 + RANDOM % 20000))

"$modemsim" -n 2 --msisdn-base +15550100 "$work/sim" >"$work/sim.out" 2>&1 &
sim_pid=$!
wait_for 10 grep -q "modemsim ready" "$work/sim.out" || fail "modemsim did not start"
"$chaperone" roster import --db "$work/relay.db" "$src/tests/fixtures/district" >/dev/null ||
	fail "roster import"

# start CONFIG: chaperoned in the background; waits until it is ready.
start() {
	: >"$work/daemon.err"
	"$chaperoned" -c "$1" 2>>"$work/daemon.err" &
	daemon_pid=$!
	wait_for 20 grep -q "chaperoned ready" "$work/daemon.err" ||
		fail "chaperoned did not start on $1"
}

# stop_daemon: SIGTERM, and chaperoned must exit 0.
stop_daemon() {
	local rc=0
	kill -TERM "$daemon_pid"
	wait "$daemon_pid" || rc=$?
	daemon_pid=
	[ "$rc" = 0 ] || fail "chaperoned exited $rc on SIGTERM"
}

running_config() {
	"$client" run "$port" "$VTY_LOGIN" "$VTY_ENABLE" "show running-config" |
		grep -v '^! chaperoned (.*) configuration saved from the console$'
}

# refused CONFIG MESSAGE: chaperoned exits 1 on CONFIG and says MESSAGE.
refused() {
	local rc=0
	"$chaperoned" -c "$1" >/dev/null 2>"$work/refused.err" || rc=$?
	[ "$rc" = 1 ] || fail "chaperoned exited $rc, not 1, on $(basename "$1")"
	grep -qF -- "$2" "$work/refused.err" ||
		fail "$(basename "$1"): expected '$2', got: $(cat "$work/refused.err")"
}

# The config console.vty runs against: every node, every setting.
base_config() {
	cat <<CFG
chaperone
 district Lakeview Public Schools
 database $work/relay.db
 timezone UTC
 country-code 1
 thread-window 24
 question-window 60
policy
 guardians-on-team-messages no
 no quiet-hours
 oversight copy
 digest-hour 17
 contact-screen yes
 notice yes
modem modem0
 device $work/sim/modem0
 relay-number +15550100
 label Soccer
 profile auto
 sim-pin 1234
modem modem1
 device $work/sim/modem1
 relay-number +15550101
 label Robotics
records
 retention messages 7 years
 retention deliveries 18 months
 retention verdicts forever
 retention calls 90 days
timer relay X1 250
CFG
}

console() {
	local cfg="$work/chaperoned.cfg" bad="$work/bad.cfg" before after
	{ base_config; console_config; } >"$cfg"

	# 1. What chaperoned refuses to start with: each a clear error, exit 1.
	base_config >"$bad"
	printf 'enable password %s\nline vty\n bind 127.0.0.1 %s\n' "$VTY_ENABLE" "$port" >>"$bad"
	refused "$bad" "the console needs a login password"
	{ base_config; printf 'password %s\nline vty\n bind 127.0.0.1 %s\n' "$VTY_LOGIN" "$port"; } >"$bad"
	refused "$bad" "the console needs an enable password"
	{ base_config; console_config; echo " no login"; } >"$bad"
	refused "$bad" "always asks for the login password"
	{ base_config; console_config | sed "s/bind 127.0.0.1/bind 0.0.0.0/"; } >"$bad"
	refused "$bad" "localhost only"
	{ base_config | sed 's/sim-pin 1234/sim-pin ****/'; console_config; } >"$bad"
	refused "$bad" "sim-pin is the SIM's PIN, 4 to 8 digits"
	{ base_config; console_config | sed "s/^password .*/password 8 0123abcd/"; } >"$bad"
	refused "$bad" "encrypted passwords"
	{ base_config; console_config | sed "s/^password .*/password change-me-console/"; } >"$bad"
	refused "$bad" "still the example's"
	{ base_config; console_config | sed "s/^password .*/password $VTY_ENABLE/"; } >"$bad"
	refused "$bad" "login and enable passwords must differ"
	{ base_config | sed 's/^ timezone .*/ timezone America\/NewYork/'; console_config; } >"$bad"
	grep -q 'timezone America/NewYork' "$bad" || fail "the test config has no timezone line"
	refused "$bad" "unknown time zone 'America/NewYork'"
	# A `database` naming another program's file: refused, the file untouched.
	printf 'district,notes\nLakeview,spreadsheet\n' >"$work/other-program.db"
	cp "$work/other-program.db" "$work/other-program.orig"
	{ base_config | sed "s|^ database .*| database $work/other-program.db|"; console_config; } >"$bad"
	refused "$bad" "$work/other-program.db is not a Chaperone archive: it is not an SQLite database"
	cmp -s "$work/other-program.db" "$work/other-program.orig" ||
		fail "chaperoned changed a file that is not its archive"
	ok "refused: no login password, no enable password, no login, a wide bind, sim-pin ****," \
		"an encrypted password, the example's password, one password for both, a misspelt zone," \
		"a database that is another program's file"

	# 2. The transcript, once both modems are ready (it shows them so).
	start "$cfg"
	wait_for 20 grep -q "modem0: ready" "$work/daemon.err" || fail "modem0 not ready"
	wait_for 20 grep -q "modem1: ready" "$work/daemon.err" || fail "modem1 not ready"
	chmod 644 "$cfg" # `write` must leave it 0600 whatever it was
	sed -e "s|@WORK@|$work|g" -e "s|@PORT@|$port|g" "$here/console.vty" >"$work/console.vty"
	"$client" transcript "$port" "$work/console.vty" || fail "console.vty differs"
	ok "console.vty"
	# `show stats`: 13 rate counters and 6 totals, every value in one column.
	"$client" run "$port" "$VTY_LOGIN" - "show stats" >"$work/stats.out" ||
		fail "show stats"
	stats_aligned 19 <"$work/stats.out" || fail "show stats is not aligned:
$(cat "$work/stats.out")"
	ok "show stats: every value in one column"

	# 3. What `write` wrote, and what it must not have touched.
	[ "$(stat -c %a "$cfg")" = 600 ] || fail "config written mode $(stat -c %a "$cfg")"
	ls "$work" | grep -q '\.sav$' && fail "a .sav copy was left: $(ls "$work")"
	grep -qx ' sim-pin 1234' "$cfg" || fail "the PIN was not written back: $(cat "$cfg")"
	grep -qx 'timer relay X1 300' "$cfg" || fail "the timer was not written back"
	grep -qx ' quiet-hours 22:00 06:00' "$cfg" || fail "the live policy was not written back"
	"$chaperone" records verify --db "$work/relay.db" >/dev/null ||
		fail "the archive does not verify after the console session"
	ok "written 0600, no .sav, PIN, timer and policy kept, archive intact"

	# 4. Round trip: the written file, read by a new chaperoned, is the same configuration.
	before=$(running_config)
	stop_daemon
	start "$cfg"
	after=$(running_config)
	[ "$before" = "$after" ] || fail "running-config changed across write and restart:
$(diff <(echo "$before") <(echo "$after"))"
	stop_daemon
	ok "write, restart: the same running configuration"
}

example() {
	local cfg="$work/example.cfg" rc line missing=0 before after
	# The example as shipped, with this machine's paths, port and passwords.
	sed -e "s|/var/lib/chaperone/chaperone.db|$work/relay.db|" \
		-e "s|^ device /dev/chaperone/by-path/.*| device $work/sim/modem0|" \
		-e "s|^ device /dev/chaperone/sim7600-.*| device $work/sim/modem1|" \
		-e "s|^ relay-number +15550101| relay-number +15550101|" \
		-e "s|^ bind 127.0.0.1 4290| bind 127.0.0.1 $port|" \
		-e "s|^password .*|password $VTY_LOGIN|" \
		-e "s|^enable password .*|enable password $VTY_ENABLE|" \
		-e "s|^ file-group .*|! file-group: not on this machine|" \
		"$src/docs/examples/chaperoned.cfg" >"$cfg"
	grep -q "^password $VTY_LOGIN\$" "$cfg" || fail "the example sets no login password"
	grep -q "^enable password $VTY_ENABLE\$" "$cfg" || fail "the example sets no enable password"

	# As shipped, chaperoned refuses the example's own passwords.
	rc=0
	"$chaperoned" -c "$src/docs/examples/chaperoned.cfg" >/dev/null 2>"$work/shipped.err" || rc=$?
	[ "$rc" = 1 ] && grep -q "still the example's" "$work/shipped.err" ||
		fail "the shipped example's passwords were not refused: $(cat "$work/shipped.err")"
	ok "the example's own passwords are refused until changed"

	start "$cfg"
	before=$(running_config)
	# Every setting the example writes is in force, as written.
	while IFS= read -r line; do
		case $line in '' | '!'* | ' !'*) continue ;; esac
		grep -qxF -- "$line" <<<"$before" || {
			echo "not in the running configuration: '$line'" >&2
			missing=1
		}
	done <"$cfg"
	[ "$missing" = 0 ] || fail "the example is not read as written:
$before"
	ok "every line of the example is in the running configuration"

	# 2. Saved from the console: the operator's file, comments and order kept, with only
	# what the console changed (a value, a setting removed, one added, a logging level).
	cp "$cfg" "$work/example.orig"
	"$client" run "$port" "$VTY_LOGIN" "$VTY_ENABLE" "configure terminal" "policy" \
		"digest-hour 18" "no quiet-hours" "exit" "chaperone" "admin-contact +15550199" \
		"exit" "log stderr" "logging level relay info" "end" "write" >"$work/write.out"
	grep -q "Configuration saved to $cfg (its comments and order kept: 1 changed, [0-9]* added, 1 removed)" \
		"$work/write.out" || fail "write said: $(cat "$work/write.out")"
	grep -qx "  removed: quiet-hours 21:00 07:00" "$work/write.out" ||
		fail "write did not name the removed line: $(cat "$work/write.out")"
	# Every comment of the file is still there, in its order, and so is every line but
	# the two the console changed: the file is a subsequence of what was written.
	grep -v -e '^ digest-hour 17$' -e '^ quiet-hours 21:00 07:00$' "$work/example.orig" |
		awk 'BEGIN { n = 0; i = 0 } FNR == NR { want[n++] = $0; next } i < n && $0 == want[i] { i++ }
			END { if (i < n) { print "missing or out of order: " want[i]; exit 1 } }' \
			- "$cfg" >"$work/write.diff" || fail "write lost or moved the operator's lines: $(cat "$work/write.diff")"
	[ "$(grep -c '^ *!' "$cfg")" -ge "$(grep -c '^ *!' "$work/example.orig")" ] ||
		fail "write dropped comments"
	# The changed value took its line's place, under its comment.
	grep -B1 -x ' digest-hour 18' "$cfg" | grep -q '^ ! Local hour (0-23) of the daily digest' ||
		fail "digest-hour 18 is not where digest-hour 17 was: $(grep -n digest-hour "$cfg")"
	# The setting removed gave way to what replaced it, after the comment that explains it.
	grep -B1 -x ' no quiet-hours' "$cfg" | grep -q 'hours off, write "no quiet-hours" instead' ||
		fail "no quiet-hours is not where quiet-hours was: $(grep -n quiet-hours "$cfg")"
	# Logging: the category set, not the others at their defaults.
	grep -qx ' logging level relay info' "$cfg" || fail "the logging level set was not written"
	[ "$(grep -c '^ *logging level' "$cfg")" = 1 ] ||
		fail "write added logging categories nobody set: $(grep '^ *logging level' "$cfg")"
	[ "$(stat -c %a "$cfg")" = 600 ] || fail "written mode $(stat -c %a "$cfg")"
	ok "write: comments and order kept, 1 changed, 1 removed, the logging category set only"

	# 3. A file edited on disk for the next start is not overwritten by the console.
	echo "! an edit for the next start" >>"$cfg"
	cp "$cfg" "$work/example.edited"
	"$client" run "$port" "$VTY_LOGIN" "$VTY_ENABLE" "write" >"$work/write.out"
	grep -q "was changed on disk since chaperoned read it: not overwritten" "$work/write.out" ||
		fail "write over an edited file said: $(cat "$work/write.out")"
	cmp -s "$cfg" "$work/example.edited" || fail "write changed a file edited on disk"
	ok "write refuses to overwrite a file edited on disk since it was read"

	before=$(running_config)
	stop_daemon
	start "$cfg"
	after=$(running_config)
	[ "$before" = "$after" ] || fail "running-config changed across write and restart:
$(diff <(echo "$before") <(echo "$after"))"
	stop_daemon
	ok "the example, written and read back: the same running configuration"
}

case $what in
console) console ;;
example) example ;;
*) fail "unknown test $what" ;;
esac
