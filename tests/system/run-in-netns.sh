#!/usr/bin/env bash
# run-in-netns.sh BUILD_DIR — build and start the test world, run every system
# test, stop the world (also when a test fails). Runs inside netns.sh.
set -u
B=$1
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W="$B/world"
if [ "${DD_IN_NETNS:-}" != 1 ]; then
	echo "FAIL system tests must run inside tests/world/netns.sh"
	exit 1
fi
rm -rf "$W"
if ! bash "$ROOT/tests/world/world.sh" build "$W" >"$B/world-build.log" 2>&1; then
	echo "FAIL test world build (see $B/world-build.log and $W/build.log)"
	exit 1
fi
trap 'bash "$ROOT/tests/world/world.sh" stop "$W" >/dev/null 2>&1' EXIT
# A killed test run must still stop its world (bash runs the EXIT trap on a
# signal only when the signal itself is trapped); one run's daemons outlived it here.
trap 'exit 143' TERM
trap 'exit 130' INT HUP
if ! bash "$ROOT/tests/world/world.sh" start "$W" >"$B/world-start.log" 2>&1; then
	echo "FAIL test world start (see $B/world-start.log)"
	exit 1
fi
echo "ok   test world built and started"
bash "$ROOT/tests/system/cases.sh" "$B/dnssec-doctor" "$W"
bash "$ROOT/tests/system/cli.sh" "$B/dnssec-doctor" "$W"
bash "$ROOT/tests/system/resolvers.sh" "$B/dnssec-doctor" "$W"
bash "$ROOT/tests/system/policy.sh" "$B/dnssec-doctor" "$W"
bash "$ROOT/tests/system/scan.sh" "$B/dnssec-doctor" "$W"
bash "$ROOT/tests/system/watch.sh" "$B/dnssec-doctor" "$W"
bash "$ROOT/tests/system/web.sh" "$B/dnssec-doctor" "$W"
bash "$ROOT/tests/system/pool.sh" "$B/dnssec-doctor" "$W"
bash "$ROOT/tests/e2e/browser.sh" "$B/dnssec-doctor" "$W" "$B"
bash "$ROOT/tests/system/hostile.sh" "$B/dnssec-doctor" "$W"
bash "$ROOT/tests/deckard/run.sh" "$B/dnssec-doctor" "$B/deckard"
bash "$ROOT/tests/system/mutate.sh" "$B/dnssec-doctor" "$W"
# DD_VALGRIND=quick|full (set by test-all.sh for the build without sanitizers).
[ -z "${DD_VALGRIND:-}" ] || bash "$ROOT/tests/system/valgrind.sh" "$B/dnssec-doctor" "$W" "$DD_VALGRIND"
# The world itself, judged independently by Unbound and delv.
bash "$ROOT/tests/world/selfcheck.sh" "$W" 2>&1 | sed -n -E 's/^(ok|FAIL) +/\1   world selfcheck (Unbound, delv): /p'
