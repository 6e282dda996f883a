#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# `cmake --install` as a Debian package would run it (--prefix /usr, into a staging
# directory): every piece where Debian expects it, the unit starting the daemon from
# where it was installed, the man pages rendering without a warning, and bash completion
# completing commands, subcommands and options from the installed chaperone.
#
#   tests/e2e/install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail

build=${1:?usage: install_test.sh BUILD_DIR SOURCE_DIR}
work=$(mktemp -d /tmp/chaperone-install-XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0
fail() {
	echo "FAIL: $*"
	exit 1
}
ok() {
	passed=$((passed + 1))
	echo "ok $passed - $*"
}

DESTDIR="$work/root" cmake --install "$build" --prefix /usr >"$work/install.log" 2>&1 ||
	{ cat "$work/install.log"; fail "cmake --install"; }
root="$work/root"
for f in usr/bin/chaperone usr/sbin/chaperoned usr/lib/systemd/system/chaperoned.service \
	usr/lib/udev/rules.d/99-chaperone-modems.rules \
	usr/share/doc/chaperone/examples/chaperoned.cfg usr/share/doc/chaperone/operator-guide.md \
	usr/share/man/man1/chaperone.1 usr/share/man/man8/chaperoned.8 \
	usr/share/bash-completion/completions/chaperone; do
	[ -f "$root/$f" ] || fail "not installed: /$f"
done
[ -x "$root/usr/sbin/chaperoned" ] && [ -x "$root/usr/bin/chaperone" ] || fail "binaries not executable"
ls "$root"/usr*/share/chaperone/prompts/recording_notice.wav >/dev/null 2>&1 ||
	find "$root" -name recording_notice.wav | grep -q . || fail "the prompts are not installed"
ok "binaries, unit, udev rule, example config, docs, man pages, completion and prompts installed"

grep -q '^ExecStart=/usr/sbin/chaperoned -c /etc/chaperone/chaperoned.cfg$' \
	"$root/usr/lib/systemd/system/chaperoned.service" || fail "the unit does not start /usr/sbin/chaperoned"
ok "the unit starts the installed daemon"

for m in "$root/usr/share/man/man1/chaperone.1" "$root/usr/share/man/man8/chaperoned.8"; do
	out=$(LC_ALL=C.UTF-8 groff -man -ww -z "$m" 2>&1) || fail "groff failed on $m"
	[ -z "$out" ] || fail "$(basename "$m"): $out"
done
ok "the man pages render without warnings"

complete_words() { # WORD...: what completing the last word offers
	PATH="$root/usr/bin:$PATH" bash -c '
		. "$0"
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_chaperone
		echo "${COMPREPLY[*]}"' "$root/usr/share/bash-completion/completions/chaperone" "$@"
}
[ "$(complete_words chaperone rec)" = records ] || fail "chaperone rec: $(complete_words chaperone rec)"
[ "$(complete_words chaperone records ba)" = backup ] || fail "records ba: $(complete_words chaperone records ba)"
[ "$(complete_words chaperone person li)" = list ] || fail "person li: $(complete_words chaperone person li)"
[ "$(complete_words chaperone records backup --o)" = --out ] ||
	fail "records backup --o: $(complete_words chaperone records backup --o)"
ok "bash completion: commands, subcommands and options from the installed chaperone"
echo "install: $passed passed, 0 failed"
