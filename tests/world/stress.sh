#!/usr/bin/env bash
# stress.sh [N] [DIR] -- build, start and self-check the test world N times in a
# row (default 30) inside the private network namespace, and count the worlds that
# came out wrong. Each round uses DIR/world (default: a temporary folder); a failed
# round's build log, intent list and self-check output are kept as DIR/failed-K/.
# Ends with "N builds: P passed, F failed" and exits 1 if any failed.
set -u
N=${1:-30}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ "${DD_IN_NETNS:-}" != 1 ]; then
	exec "$HERE/netns.sh" bash "$0" "$@"
fi
DIR=${2:-$(mktemp -d)}
mkdir -p "$DIR"
W=$DIR/world
pass=0 fail=0
for k in $(seq "$N"); do
	t0=$(date +%s)
	ok=1
	if ! bash "$HERE/world.sh" build "$W" >"$DIR/build.out" 2>&1; then
		ok=0 why="build failed: $(grep 'world.sh:' "$DIR/build.out" | head -3 | tr '\n' ' ')"
	elif ! bash "$HERE/world.sh" run "$W" bash "$HERE/selfcheck.sh" "$W" >"$DIR/selfcheck.out" 2>&1; then
		ok=0 why="self-check: $(grep -m3 '^FAIL' "$DIR/selfcheck.out" | tr '\n' ' ')"
	else
		why=$(tail -1 "$DIR/selfcheck.out")
		grep -q ' 0 failed' <<<"$(grep 'passed, ' "$DIR/selfcheck.out")" || { ok=0 why="self-check: $why"; }
	fi
	if [ $ok = 1 ]; then
		pass=$((pass + 1))
		echo "ok   round $k ($(($(date +%s) - t0)) s): $(grep 'passed, ' "$DIR/selfcheck.out" | tail -1)"
	else
		fail=$((fail + 1))
		mkdir -p "$DIR/failed-$k"
		cp "$DIR/build.out" "$DIR/selfcheck.out" "$W/build.log" "$W/ds-intent" "$DIR/failed-$k/" 2>/dev/null
		echo "FAIL round $k: $why (kept in $DIR/failed-$k)"
	fi
done
echo "$N builds: $pass passed, $fail failed"
[ "$fail" = 0 ]
