#!/usr/bin/env bash
# demo.sh BUILD — the main job on the bundled test world: build a small signed
# DNS tree (root, TLDs, zones with every kind of break), serve it on loopback
# inside a private network namespace, and diagnose a few names.
set -u
B=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/$B/dnssec-doctor"
W="$ROOT/$B/demo-world"
export DNSSEC_DOCTOR_OFFLINE=1
rm -rf "$W"
bash "$ROOT/tests/world/world.sh" build "$W" >"$ROOT/$B/demo-world.log" 2>&1 || { echo "demo: world build failed (see $B/demo-world.log)"; exit 1; }
trap 'bash "$ROOT/tests/world/world.sh" stop "$W" >/dev/null 2>&1' EXIT
bash "$ROOT/tests/world/world.sh" start "$W" >>"$ROOT/$B/demo-world.log" 2>&1 || { echo "demo: world start failed (see $B/demo-world.log)"; exit 1; }
# The world's own resolvers: Unbound validating (127.53.3.1) and not (127.53.3.2).
C=(--root-hints "$W/root.hints" --trust-anchor "$W/root-anchor.ds" --resolver 127.53.3.1 --resolver 127.53.3.2)
run() {
	echo "================================================================================"
	echo "\$ dnssec-doctor $*"
	echo
	"$BIN" "${C[@]}" "$@"
	echo "(exit status $?)"
}
run www.good13.test
run www.kskroll.test
run www.stale.test
run www.alldead.test
echo "================================================================================"
echo "Summary of every case in the demo world:"
tail -n +2 "$W/cases.tsv" | while IFS=$'\t' read -r name type _; do
	"$BIN" "${C[@]}" --json "$name" "$type" | jq -r --arg n "$name $type" '"  \($n | .[0:34] | . + " " * (34 - length)) \(.status | . + " " * (12 - length)) \(.diagnosis | . + " " * (13 - length)) ede=\(.ede) broken=\(.broken_zone)"'
done
exit 0
