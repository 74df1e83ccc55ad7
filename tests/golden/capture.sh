#!/usr/bin/env bash
# capture.sh BIN [NAME...] — record fresh evidence for the golden tests: build and start the
# test world (inside the private network namespace), `probe` every row of its
# cases.tsv and hostile-cases.tsv (the main cases also with the world's two
# resolvers), and write tests/golden/evidence/NAME_TYPE.json; then run.sh --update
# makes the expected outputs. Only for a commit that names why the evidence changes.
# With NAMEs (as in cases.tsv, e.g. www.zsksigns.test.), only those cases are recorded
# again (a new case), and the other evidence is kept.
set -eu
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
if [ "${DD_IN_NETNS:-}" != 1 ]; then
	exec "$ROOT/tests/world/netns.sh" bash "$0" "$BIN" "${@:2}"
fi
W=$(mktemp -d)/world
bash "$ROOT/tests/world/world.sh" build "$W" >/dev/null
export DNSSEC_DOCTOR_OFFLINE=1
capture() {
	local cases=$1 name type
	shift
	tail -n +2 "$cases" | while IFS=$'\t' read -r name type _; do
		[ -n "$name" ] || continue
		[ -z "$ONLY" ] || [[ " $ONLY " == *" $name "* ]] || continue
		"$BIN" probe --root-hints "$W/root.hints" --trust-anchor "$W/root-anchor.ds" "$@" "$name" "$type" \
			>"$HERE/evidence/${name%.}_$type.json" 2>/dev/null || true
		echo "captured $name $type"
	done
}
ONLY="${*:2}"
mkdir -p "$HERE/evidence"
[ -n "$ONLY" ] || rm -f "$HERE/evidence/"*.json
# shellcheck disable=SC2016
bash "$ROOT/tests/world/world.sh" run "$W" bash -c "$(declare -f capture); BIN='$BIN' W='$W' HERE='$HERE' ONLY='$ONLY'; \
	capture '$W/cases.tsv' --resolver 127.53.3.1 --resolver 127.53.3.2; capture '$W/hostile-cases.tsv' --no-resolvers"
"$HERE/run.sh" "$BIN" --update
