# Shared by the shell end-to-end tests: stopping what they started, their work directory,
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
