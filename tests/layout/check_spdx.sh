#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-or-later
# Every source, script and build file names its licence (COPYING) in its first lines.
#
#   tests/layout/check_spdx.sh SOURCE_DIR      (CTest: layout_spdx)
set -euo pipefail
cd "${1:?usage: check_spdx.sh SOURCE_DIR}"
missing=$(git ls-files -- '*.c' '*.h' '*.sh' 'CMakeLists.txt' '*/CMakeLists.txt' '*.cmake' \
	'*.service' '*.rules' dev .ci/run | while read -r f; do
	head -3 "$f" | grep -q 'SPDX-License-Identifier: AGPL-3.0-or-later' || echo "$f"
done)
if [ -n "$missing" ]; then
	echo "no SPDX-License-Identifier line:"
	echo "$missing"
	exit 1
fi
[ -f COPYING ] || { echo "COPYING is missing"; exit 1; }
echo "check_spdx: every file names its licence"
