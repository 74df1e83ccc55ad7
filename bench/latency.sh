#!/usr/bin/env bash
# latency.sh [BUILD] [RUNS] — wall time of one full check on the test world
# (median and p95 over RUNS runs), beside delv validating through the test
# world's non-validating Unbound. Runs inside the private network namespace.
# Usage: tests/world/netns.sh bench/latency.sh build 200
set -u
B=${1:-build}
N=${2:-100}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/$B/dnssec-doctor"
W=$(mktemp -d /tmp/dd-bench-world.XXXXXX)
export DNSSEC_DOCTOR_OFFLINE=1
[ "${DD_IN_NETNS:-}" = 1 ] || { echo "run me through tests/world/netns.sh" >&2; exit 3; }
bash "$ROOT/tests/world/world.sh" build "$W" >/dev/null 2>&1 || exit 1
trap 'bash "$ROOT/tests/world/world.sh" stop "$W" >/dev/null 2>&1; rm -rf "$W"' EXIT
bash "$ROOT/tests/world/world.sh" start "$W" >/dev/null 2>&1 || exit 1
C=(--root-hints "$W/root.hints" --trust-anchor "$W/root-anchor.ds" --no-resolvers --json)

stats() { # reads ms values, prints median p95
	sort -n | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; p=a[int(NR*0.95+0.999)]; printf "%.2f %.2f", m, p}'
}
measure() { # NAME CMD...
	local name=$1
	shift
	"$@" >/dev/null 2>&1 # warm-up (the resolver's cache, the page cache)
	for _ in $(seq "$N"); do
		local s e
		s=$(date +%s%N)
		"$@" >/dev/null 2>&1
		e=$(date +%s%N)
		echo "scale=3; ($e - $s) / 1000000" | bc
	done | stats | { read -r med p95; printf "| %-44s | %8s | %8s |\n" "$name" "$med" "$p95"; }
}
echo "| check ($N runs) | median ms | p95 ms |"
echo "| --- | ---: | ---: |"
measure "dnssec-doctor www.good13.test (secure)" "$BIN" "${C[@]}" www.good13.test
measure "dnssec-doctor www.expired.test (bogus)" "$BIN" "${C[@]}" www.expired.test
measure "dnssec-doctor cname.good13.test (CNAME)" "$BIN" "${C[@]}" cname.good13.test
measure "dnssec-doctor www.deadns.test (dead NS)" "$BIN" "${C[@]}" www.deadns.test
measure "dnssec-doctor www.silentns.test (silent NS)" "$BIN" "${C[@]}" www.silentns.test
if command -v delv >/dev/null; then
	measure "delv @127.53.3.2 www.good13.test (cached)" delv @127.53.3.2 -a "$W/delv-anchors.conf" www.good13.test A
fi
