#!/usr/bin/env bash
# run.sh BIN [--update] — the golden outputs: `analyse` over the saved evidence of
# every test-world case (tests/golden/evidence, recorded by capture.sh) as JSON,
# text and SVG, compared byte for byte with tests/golden/expected. No network: the
# evidence is judged at the time it was probed. A difference is a change in
# behaviour: only a commit that names the intended change regenerates the expected
# outputs (--update). Prints "ok"/"FAIL" lines and a count; exits 1 on a difference.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=${1:?usage: run.sh BIN [--update]}
UPDATE=0
[ "${2:-}" = --update ] && UPDATE=1
export DNSSEC_DOCTOR_OFFLINE=1
EXP=$HERE/expected
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$EXP"
n=0 bad=0
for ev in "$HERE"/evidence/*.json; do
	[ -e "$ev" ] || continue
	base=$(basename "$ev" .json)
	for fmt in json text svg; do
		"$BIN" analyse --format "$fmt" "$ev" >"$TMP/out" 2>"$TMP/err"
		echo "exit $?" >>"$TMP/out"
		cat "$TMP/err" >>"$TMP/out"
		n=$((n + 1))
		if [ $UPDATE = 1 ]; then
			cp "$TMP/out" "$EXP/$base.$fmt"
		elif ! cmp -s "$TMP/out" "$EXP/$base.$fmt"; then
			bad=$((bad + 1))
			echo "FAIL golden $base $fmt differs:"
			diff -u "$EXP/$base.$fmt" "$TMP/out" | head -20 | sed 's/^/     /'
		fi
	done
done
if [ "$n" = 0 ]; then
	echo "FAIL golden: no evidence in $HERE/evidence"
	exit 1
fi
if [ $UPDATE = 1 ]; then
	echo "golden: $n expected outputs written to $EXP"
	exit 0
fi
echo "golden: $n outputs compared, $bad differ"
[ "$bad" = 0 ]
