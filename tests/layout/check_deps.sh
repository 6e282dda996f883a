#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Checks that the tree's dependencies point down, from what CMake itself builds.
#
#   tests/layout/check_deps.sh SOURCE_DIR [WORK_DIR]     (./dev deps; CTest: layout_deps)
#
# 1. Configures SOURCE_DIR into WORK_DIR with --graphviz and prints every link between
#    Chaperone's libraries and programs, with each one's rank (RANKS below).
# 2. Fails on a link to a target of the same or a higher rank (which also rules out any
#    cycle), and on a library or program that has no rank.
# 3. Fails on a quoted #include that is not a path from the root ("storage/records/records.h")
#    or names no file, and on a library's source that includes a header from a folder its
#    target does not link (directly or through others).
set -euo pipefail

src=$(cd "${1:?usage: check_deps.sh SOURCE_DIR [WORK_DIR]}" && pwd)
work=${2:-$(mktemp -d)}
mkdir -p "$work"

# target, rank, folder. A target may link only targets of a lower rank.
RANKS='
chaperone-at        0 modem/at
chaperone-sms       0 modem/sms
chaperone-profiles  1 modem/profiles
modemsim            1 hw/modemsim
modemsim-echo       1 hw/modemsim-echo
chaperone-driver    2 modem/driver
chaperone-model     3 storage/model
chaperone-recordings 3 storage/recordings
chaperone-archive   4 storage/archive
chaperone-directory 5 storage/directory
chaperone-records   5 storage/records
chaperone-keeping   6 storage/keeping
chaperone-export    6 storage/export
chaperone-policy    7 gateway/policy
chaperone-roster    7 gateway/roster
chaperone-voice     7 gateway/voice
chaperone-prompts   7 gateway/voice/prompts
chaperone-relay     8 gateway/relay
chaperoned          9 gateway/daemon
chaperone           9 gateway/cli
'

cmake -S "$src" -B "$work" --graphviz="$work/deps.dot" >"$work/cmake.log" 2>&1 ||
	{ cat "$work/cmake.log" >&2; echo "check_deps: cmake failed" >&2; exit 1; }

# "A -> B" for every link CMake records, from the comments of its graph.
sed -n 's|^ *"node[0-9]*" -> "node[0-9]*".*// \(.*\) -> \(.*\)$|\1 \2|p' "$work/deps.dot" |
	sort -u >"$work/edges"
printf '%s\n' "$RANKS" | awk 'NF == 3' >"$work/ranks"

fail=0
awk -v out="$work/project_edges" '
	FNR == NR { rank[$1] = $2; next }
	function external(t) { return t ~ /::/ || t ~ /^\// || t ~ /^-/ }
	function testonly(t) { return t ~ /^((test|bench|e2e|archive|fuzz)[-_]|redact-oracle$)/ }
	{
		a = $1; b = $2
		if (external(a) || external(b)) next
		if (testonly(a)) next
		if (!(a in rank)) { printf "no rank: %s (add it to RANKS in tests/layout/check_deps.sh)\n", a; bad = 1; next }
		if (!(b in rank)) { printf "no rank: %s, linked by %s\n", b, a; bad = 1; next }
		mark = rank[b] < rank[a] ? "" : "   <-- points up"
		printf "  %-20s (%d) -> %-20s (%d)%s\n", a, rank[a], b, rank[b], mark
		print a, b > out
		if (mark != "") bad = 1
	}
	END { exit bad }
' "$work/ranks" "$work/edges" || fail=1

# Every target a folder may include headers from: its own and those it links, transitively.
awk '
	FNR == NR { folder[$1] = $3; next }
	{ dep[$1] = dep[$1] " " $2 }
	END {
		for (t in folder) {
			delete seen; n = 0; stack[++n] = t
			while (n > 0) {
				x = stack[n--]
				if (x in seen) continue
				seen[x] = 1
				k = split(dep[x], d, " ")
				for (i = 1; i <= k; i++) stack[++n] = d[i]
			}
			for (x in seen) if (x in folder) print folder[t], folder[x]
		}
	}
' "$work/ranks" "$work/project_edges" >"$work/may_include"

cd "$src"
git ls-files --cached --others --exclude-standard -- '*.c' '*.h' 2>/dev/null >"$work/sources" || find . -name '*.[ch]' -not -path './build/*' | sed 's|^\./||' >"$work/sources"
while read -r f; do
	dir=${f%/*}
	{ grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" || true; } | while IFS= read -r line; do
		inc=$(printf '%s\n' "$line" | sed 's/.*"\(.*\)".*/\1/')
		no=${line%%:*}
		case $inc in
		*/*) ;;
		*) echo "$f:$no: \"$inc\" is not a path from the root"; continue ;;
		esac
		[ -f "$inc" ] || { echo "$f:$no: \"$inc\" names no file"; continue; }
		hdir=${inc%/*}
		[ "$hdir" = "$dir" ] && continue
		# Only folders with a rank are held to their links; tests may include anything.
		grep -q " $dir\$" "$work/ranks" || continue
		grep -qx "$dir $hdir" "$work/may_include" ||
			echo "$f:$no: includes $inc, but $dir does not link $hdir"
	done
done <"$work/sources" >"$work/include_faults"
if [ -s "$work/include_faults" ]; then
	cat "$work/include_faults"
	fail=1
fi

if [ "$fail" -ne 0 ]; then
	echo "check_deps: FAILED" >&2
	exit 1
fi
echo "check_deps: every link and include points down"
