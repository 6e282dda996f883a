#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Lists the C functions longer than N lines, longest first (./dev funcs [N]).
#
#   tests/layout/long_functions.sh N FOLDER...
#
# The tree's style puts a function's opening and closing braces in column 0 (Linux
# style, .clang-format), so a definition runs from its signature to the next "}" there.
set -euo pipefail
n=${1:?usage: long_functions.sh N FOLDER...}
shift
find "$@" -name '*.c' | sort | while read -r f; do
	awk -v f="$f" -v n="$n" '
		/^[A-Za-z_].*\(/ && !/;[ \t]*$/ { sig = $0; sigline = NR }
		/^\{/ { if (sig != "") { start = sigline; name = sig; infn = 1 } }
		/^\}/ {
			if (infn) {
				len = NR - start + 1
				if (len > n) {
					s = name; sub(/\(.*/, "", s); k = split(s, a, /[ *]+/)
					printf "%4d %s %s\n", len, f, a[k]
				}
				infn = 0; sig = ""
			}
		}
	' "$f"
done | sort -rn
