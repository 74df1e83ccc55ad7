#!/usr/bin/env bash
# run.sh BUILD_DIR [LABEL] — every test of one build: the unit tests (meson),
# then, inside a private network namespace, the test world and the system
# tests against it. Prints each result and ends with "N passed, N failed".
set -u
B=${1:?usage: run.sh BUILD_DIR [LABEL]}
LABEL=${2:-$B}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "$B" && pwd)
LOG="$B/test-results.txt"
: >"$LOG"

# Unit tests: one line per test from meson.
meson test -C "$B" --print-errorlogs --no-rebuild >"$B/unit.log" 2>&1
awk '/^ *[0-9]+\/[0-9]+ /{ st=($0 ~ / OK /) ? "ok  " : "FAIL"; sub(/^ *[0-9]+\/[0-9]+ +/, ""); print st " unit " $1 }' "$B/unit.log" >>"$LOG"
grep -q "Ok:" "$B/unit.log" || echo "FAIL unit tests did not run (see $B/unit.log)" >>"$LOG"

# The browser test's npm packages (playwright-core), outside the namespace: npm needs the registry.
bash "$ROOT/tests/e2e/install.sh" >"$B/e2e-install.log" 2>&1 || echo "FAIL npm ci in tests/e2e (see $B/e2e-install.log)" >>"$LOG"

# System tests in the namespace.
"$ROOT/tests/world/netns.sh" bash "$ROOT/tests/system/run-in-netns.sh" "$B" >>"$LOG" 2>"$B/system.stderr"
[ $? -eq 0 ] || grep -q . "$LOG" || echo "FAIL system tests did not run (see $B/system.stderr)" >>"$LOG"

grep -E "^(ok|FAIL)" "$LOG" | sed "s|^|[$LABEL] |"
pass=$(grep -c "^ok" "$LOG")
failn=$(grep -c "^FAIL" "$LOG")
echo "$LABEL: $pass passed, $failn failed" >&2
echo "$pass $failn" >"$B/test-counts"
[ "$failn" -eq 0 ]
