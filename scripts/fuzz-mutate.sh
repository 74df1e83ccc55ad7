#!/usr/bin/env bash
# fuzz-mutate.sh BUILD_DIR [COUNT] -- checks against the test world's mutation-fuzzing
# name server (tests/world/mutantd.c) with COUNT fresh random seeds (default 2000),
# inside a private network namespace. Each failure is printed with its seed; replay it with
#   tests/world/netns.sh bash -c 'W=/tmp/w && tests/world/world.sh build $W >/dev/null &&
#     tests/world/world.sh run $W bash tests/system/mutate.sh BUILD_DIR/dnssec-doctor $W seed SEED'
# and add it to tests/system/mutate-seeds.txt, so that `make test` replays it from then on.
set -u
B=${1:?usage: fuzz-mutate.sh BUILD_DIR [COUNT]}
COUNT=${2:-2000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "$B" && pwd)
if [ "${DD_IN_NETNS:-}" != 1 ]; then
	exec "$ROOT/tests/world/netns.sh" bash "$ROOT/scripts/fuzz-mutate.sh" "$B" "$COUNT"
fi
W="$B/world-mutate"
rm -rf "$W"
if ! bash "$ROOT/tests/world/world.sh" build "$W" >"$B/world-mutate-build.log" 2>&1; then
	echo "FAIL fuzz mutate: test world build (see $B/world-mutate-build.log)"
	exit 1
fi
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:fast_unwind_on_malloc=0
export LSAN_OPTIONS=suppressions=$ROOT/tests/lsan.supp
bash "$ROOT/tests/world/world.sh" run "$W" nice -n 10 bash "$ROOT/tests/system/mutate.sh" "$B/dnssec-doctor" "$W" fresh "$COUNT" |
	tee "$B/fuzz-mutate.results"
! grep -q "^FAIL" "$B/fuzz-mutate.results"
