#!/usr/bin/env bash
# run.sh BIN [OUT_DIR [REPLAY_OPTIONS...]] — the Deckard conformance suite (docs/conformance.md):
# replay every scenario of ../shared/peer/deckard against BIN and print
# "ok"/"FAIL" lines for tests/run.sh to count. Fails when agreement on the
# modern scenarios drops below BASELINE_MODERN, or when the doctor crashes,
# hangs, prints invalid JSON, or check and probe+analyse disagree, on any
# scenario. The known disagreements (docs/conformance.md) do not fail it.
# Must run inside tests/world/netns.sh. REPLAY_OPTIONS go to replay.py run
# (--only A,B, --save-evidence DIR, --force-aa, --no-derive): for looking into cases.
set -u
# Agreeing modern checks today (of 72; main at 89624a9); raise it when a fix makes more agree.
BASELINE_MODERN=68
BIN=${1:?usage: run.sh BIN [OUT_DIR [REPLAY_OPTIONS...]]}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${2:-$(dirname "$BIN")/deckard}
shift $(($# < 2 ? $# : 2))
# The scenarios live in the shared folder beside the project (../shared from its root);
# in a clone of the project made elsewhere, beside the repository it was cloned from.
SCEN=${DECKARD_SCENARIOS:-$ROOT/../shared/peer/deckard/scenarios}
if [ -z "${DECKARD_SCENARIOS:-}" ] && ! [ -d "$SCEN" ]; then
	origin=$(git -C "$ROOT" config --get remote.origin.url 2>/dev/null || true)
	case $origin in /*) [ -d "$origin/../shared/peer/deckard/scenarios" ] && SCEN=$origin/../shared/peer/deckard/scenarios ;; esac
fi
if [ "${DD_IN_NETNS:-}" != 1 ]; then
	echo "FAIL deckard: must run inside tests/world/netns.sh"
	exit 1
fi
if ! /usr/bin/python3 -c 'import dns.message' 2>/dev/null; then
	echo "FAIL deckard: python3-dnspython is missing (make deps)"
	exit 1
fi
if ! ls "$SCEN"/*.rpl >/dev/null 2>&1; then
	echo "FAIL deckard: no scenarios in $SCEN"
	exit 1
fi
rm -rf "$OUT"
mkdir -p "$OUT"
# Every check is compared with `check` in the plain build; under the
# sanitizers (slower) every third.
every=1
if [ -n "${ASAN_OPTIONS:-}" ]; then
	every=3
	# Some 350 short runs: full stack unwinding on every malloc (test-all.sh's
	# setting, for readable leak reports) makes this suite 5 times slower;
	# errors are still caught, with shorter stacks. Without full stacks the leak
	# suppressions for ldns's own NSEC3 helpers (tests/lsan.supp) cannot match the
	# frames inside ldns, so leaks are not checked here: the unit and system tests
	# check them under ASan with full stacks.
	export ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=1:detect_leaks=0"
fi
start=$(date +%s)
# A namespace of its own, with an IPv6 route (over lo), so that the doctor asks
# IPv6 name servers too: the replay serves them on IPv4-mapped addresses.
unshare --net -- sh -c 'ip link set lo up && ip -6 route add default dev lo && exec "$@"' replay \
	/usr/bin/python3 "$ROOT/tests/deckard/replay.py" run "$BIN" --scenarios "$SCEN" --out "$OUT" \
	--ipv6 --check-every "$every" "$@" >"$OUT/summary.txt" 2>"$OUT/stderr.txt"
rc=$?
secs=$(($(date +%s) - start))
R="$OUT/results.json"
if [ $rc -ne 0 ] || ! jq -e .summary "$R" >/dev/null 2>&1; then
	echo "FAIL deckard: the replay did not finish (exit $rc; see $OUT/stderr.txt)"
	exit 1
fi
read -r m_agree m_n l_agree l_n sampled skipped < <(jq -r '.summary | "\(.modern.agree) \(.modern.checks) \(.legacy.agree) \(.legacy.checks) \(.check_sampled) \(.skipped_checks)"' "$R")
nprob=$(jq '.summary.problems | length' "$R")
if [ "$nprob" -eq 0 ]; then
	echo "ok   deckard: $(jq '[.checks[] | select(.got)] | length' "$R") checks replayed, no crash, hang or invalid JSON; check = probe+analyse on $sampled"
else
	jq -r '.summary.problems[]' "$R" | head -20 | sed 's/^/FAIL deckard: /'
fi
slow=$(jq '.summary.checks_with_timeouts' "$R")
[ "$slow" -eq 0 ] || echo "     note: $slow checks still saw a timeout from the replay after retries (machine too busy?): their verdicts may differ"
line="deckard conformance: modern $m_agree/$m_n agree (baseline $BASELINE_MODERN), legacy $l_agree/$l_n, $skipped checks left out, ${secs}s"
if [ "$m_agree" -ge "$BASELINE_MODERN" ]; then
	echo "ok   $line"
else
	echo "FAIL $line"
	grep '^disagree modern' "$OUT/summary.txt" | sed 's/^/     /'
fi
