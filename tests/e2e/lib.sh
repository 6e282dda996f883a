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
