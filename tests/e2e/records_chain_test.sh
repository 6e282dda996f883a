#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# `chaperone records verify`, `anchor` and `audit` as a records officer runs them, and an
# intruder who edits the database file with a byte editor.
#
#   tests/e2e/records_chain_test.sh BUILD_DIR
#
#   1. a fresh archive (the sample district imported) verifies: exit 0
#   2. an anchor is printed and recorded in the access log (its line, who took it with
#      --as); the archive grows; verify --anchor LINE and --anchor FILE
#      (an e-mail quoting it) both hold
#   3. audit lists the accesses with the operator given by --as, and records itself
#   4. one byte of a recorded access changed in the file: verify exits 3 and names it
#   5. bad input: a missing archive is not created (exit 4, the database), a bad anchor is exit 2
# KEEP_WORKDIR=1 keeps the temporary directory.
set -euo pipefail

build=${1:?usage: records_chain_test.sh BUILD_DIR}
chaperone="$build/bin/chaperone"
fixtures="$(cd "$(dirname "$0")/../fixtures" && pwd)"

work=$(mktemp -d /tmp/chaperone-records-chain-XXXXXX)
export CHAPERONE_DB="$work/chaperone.db"
passed=0

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

trap remove_workdir EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*"
	for f in "$work"/*.out "$work"/*.err; do
		[ -f "$f" ] && { echo "--- $(basename "$f") ---"; cat "$f"; }
	done
	echo "records chain: $passed passed, 1 failed"
	exit 1
}

ok() {
	passed=$((passed + 1))
	echo "ok $passed - $*"
}

expect_rc() {
	local want=$1 name=$2 rc=0
	shift 2
	"$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
	[ "$rc" -eq "$want" ] || fail "$name: exit status $rc, want $want"
}

has() {
	grep -qF -- "$2" "$work/$1" || fail "$1 lacks: $2"
}

# 1. A fresh archive holds.
expect_rc 0 import "$chaperone" roster import "$fixtures/district"
expect_rc 0 verify1 "$chaperone" records verify
has verify1.out "The archive holds"
has verify1.err "verified"
ok "a fresh archive verifies"

# 2. Anchors.
expect_rc 0 anchor "$chaperone" records anchor --as "Clerk Ada Byron"
line=$(grep -o 'chaperone-anchor:v1:[0-9a-f]*:[0-9]*:[0-9a-f]*' "$work/anchor.out" | head -1)
[ -n "$line" ] || fail "anchor printed no anchor line"
has anchor.out "by Clerk Ada Byron"
expect_rc 0 audit0 "$chaperone" records audit --as "Officer Zebulon Quill"
expect_rc 0 verify2 "$chaperone" records verify --anchor "$line"
has verify2.out "It extends the anchor"
printf 'From: records@lakeview.example\nSubject: anchor\n\n%s\n' "$line" >"$work/mail.txt"
expect_rc 0 verify3 "$chaperone" records verify --anchor "$work/mail.txt"
has verify3.out "It extends the anchor"
ok "verify --anchor holds for a line and for a file quoting it, after the archive grew"
expect_rc 0 audit_anchor "$chaperone" records audit --action anchor
has audit_anchor.out "Clerk Ada Byron"
has audit_anchor.out "$line"
has audit_anchor.err "1 access"
ok "an anchor is recorded in the access log, with its line and who took it"

# 3. Audit.
expect_rc 0 audit1 "$chaperone" records audit --as "Dana"
has audit1.out "Officer Zebulon Quill"
has audit1.out "audit"
has audit1.err "3 access"
expect_rc 0 audit2 "$chaperone" records audit --operator Dana
has audit2.out "Dana ("
has audit2.err "1 access"
ok "audit lists accesses with their operator, and records itself"

# 4. An intruder changes one byte of a recorded access in the file.
off=$(grep -obUa "Zebulon Quill" "$CHAPERONE_DB" | head -1 | cut -d: -f1)
[ -n "$off" ] || fail "the operator's name is not in the database file"
printf 'X' | dd of="$CHAPERONE_DB" bs=1 seek="$off" conv=notrunc status=none
expect_rc 3 verify4 "$chaperone" records verify
has verify4.out "THE ARCHIVE DOES NOT HOLD"
has verify4.out "access 2"
has verify4.out "altered"
ok "an edited byte of a recorded access: exit 3, access 2 named"

# 5. Bad input.
expect_rc 4 missing "$chaperone" records verify --db "$work/nowhere.db"
has missing.err "no archive at $work/nowhere.db"
[ ! -e "$work/nowhere.db" ] || fail "verify created a database"
expect_rc 2 badanchor "$chaperone" records verify --anchor "chaperone-anchor:v1:nothex"
expect_rc 2 badopt "$chaperone" records verify --bogus
expect_rc 2 badsub "$chaperone" records frobnicate
ok "a missing archive is not created; bad anchors and options are refused"

echo "records chain: $passed passed"
