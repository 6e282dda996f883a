# Shared by the shell end-to-end tests: stopping what they started, their work directory,
# SPDX-License-Identifier: AGPL-3.0-or-later
# and modemsim's control client. Source it after setting $work and $modemsim.

# Stop a process: SIGTERM, up to 5 s to exit, then SIGKILL.
stop() {
	local pid=$1
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# Remove the work directory, unless KEEP_WORKDIR asks to keep it for a look.
remove_workdir() {
	if [ -n "${KEEP_WORKDIR:-}" ]; then
		echo "work directory kept: $work"
	else
		rm -rf "$work"
	fi
}

ctl() {
	"$modemsim" ctl "$work/sim" "$@"
}

# The console: every config the tests write sets these passwords (console_config prints
# the lines), and vty runs commands through tests/vty/vty_client as an operator would.
# Needs $build and $port.
VTY_LOGIN=lakeview-console
VTY_ENABLE=lakeview-enable
console_config() {
	printf 'password %s\nenable password %s\nline vty\n bind 127.0.0.1 %s\n' \
		"$VTY_LOGIN" "$VTY_ENABLE" "$port"
}

# vty COMMAND...: log in, enable, run the commands; their output on stdout.
vty() {
	"$build/tests/vty/vty_client" run "$port" "$VTY_LOGIN" "$VTY_ENABLE" "$@"
}

# stats_aligned MIN: `show stats` on stdin. Every counter line ("  NAME   VALUE ...") has its
# value end in the same column, whatever the values (names padded to the longest, values
# right-aligned), and there are at least MIN of them. Names hold no " DIGIT". Prints what
# is wrong and fails.
stats_aligned() {
	tr -d '\r' | awk -v min="$1" '
		/^  [^ ]/ {
			n++
			if (!match($0, / [0-9?]+( |$)/)) { print "no value: " $0; bad = 1; next }
			end = RSTART + RLENGTH - (substr($0, RSTART + RLENGTH - 1, 1) == " ")
			if (col == "") col = end
			else if (end != col) { print "value ends in column " end ", not " col ": " $0; bad = 1 }
		}
		END {
			if (n < min) { print n + 0 " counter lines, not at least " min; bad = 1 }
			exit bad
		}'
}
