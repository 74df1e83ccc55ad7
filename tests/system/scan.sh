#!/usr/bin/env bash
# scan.sh BIN WORLD — many names at once: one JSON line per input line, in
# input order (or not, with --unordered), the same JSON as a single check,
# bad lines become error objects and the scan goes on, a closed output pipe
# ends it quietly. Must run inside the test world's network namespace.
set -u
BIN=$1
W=$2
export DNSSEC_DOCTOR_OFFLINE=1
C=(--root-hints "$W/root.hints" --trust-anchor "$W/root-anchor.ds" --no-resolvers)
# A scan that hangs fails its checks (exit 124) instead of holding up the suite.
scan() { timeout 300 "$BIN" scan "$@"; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
ok() { echo "ok   scan: $*"; }
fail() { echo "FAIL scan: $*"; }

# Every case of the world, plus comments, blank lines and bad lines.
{
	echo "# the test world's cases"
	echo
	tail -n +2 "$W/cases.tsv" | cut -f1,2 | tr '\t' ' '
	echo "bad..name A"
	echo "www.good13.test. NOTATYPE"
	echo "www.good13.test. TYPE65788"
	echo "www.good13.test. AXFR"
	echo "http://www.good13.test/"
	echo "www.good13.test. A extra"
	printf '%01100d\n' 0
	echo "   # an indented comment"
	echo "www.good13.test."
} >"$TMP/in"
want=$(grep -cvE '^[[:space:]]*(#|$)' "$TMP/in")
scan "${C[@]}" --concurrency 8 "$TMP/in" >"$TMP/out" 2>"$TMP/err"
rc=$?
got=$(wc -l <"$TMP/out")
if [ "$got" = "$want" ] && jq -e . "$TMP/out" >/dev/null 2>&1; then ok "$got JSON lines for $want input lines (exit $rc)"; else
	fail "$got lines for $want input lines, or not JSON (exit $rc): $(head -c 300 "$TMP/err")"; fi
if [ "$rc" = 3 ]; then ok "exit status is the worst of the names (3: some lines could not be checked)"; else fail "exit $rc, want 3"; fi

# In input order, with the statuses of cases.tsv.
names_in=$(grep -vE '^[[:space:]]*(#|$)' "$TMP/in" | awk '{print $1}' | head -n "$(($(wc -l <"$W/cases.tsv") - 1))")
names_out=$(jq -r '.query.name' "$TMP/out" | head -n "$(($(wc -l <"$W/cases.tsv") - 1))")
if [ "$names_in" = "$names_out" ]; then ok "output in input order"; else fail "order differs"; fi
bad=0
while IFS=$'\t' read -r name type status _; do
	[ "$name" = name ] && continue
	s=$(jq -r --arg n "$name" --arg t "$type" 'select(.query.name == $n and .query.type == $t) | .status' "$TMP/out" | head -1)
	[ "$s" = "$status" ] || { bad=$((bad + 1)); fail "$name $type: $s, want $status"; }
done <"$W/cases.tsv"
[ $bad = 0 ] && ok "every case has its expected status"

# Bad lines: an error object each, in place.
for pat in 'invalid name' 'unsupported query type "NOTATYPE"' 'TYPE65788": type numbers end at 65535' \
	'AXFR": a meta or query-only type' 'a URL, not a name; to check its host, give www.good13.test' \
	'expected NAME \[TYPE\]' 'longer than 1024'; do
	if jq -r 'select(.status == "indeterminate") | .error // empty' "$TMP/out" | grep -q "$pat"; then ok "bad line reported: $pat"; else
		fail "no error line matching '$pat'"; fi
done
if [ "$(tail -1 "$TMP/out" | jq -r .query.name)" = www.good13.test. ]; then ok "the scan went on after the bad lines"; else
	fail "last line is not www.good13.test."; fi

# The same JSON as one check (fields that vary between runs removed).
strip='del(.probe, .probed_at, .validated_at, .action.deadline)'
"$BIN" "${C[@]}" --json www.kskroll.test >"$TMP/one.json" 2>/dev/null
a=$(jq -cS "$strip" "$TMP/one.json")
b=$(jq -cS "select(.query.name == \"www.kskroll.test.\") | $strip" "$TMP/out")
if [ -n "$a" ] && [ "$a" = "$b" ]; then ok "a scan line equals the check's JSON"; else fail "scan line differs from the check's JSON"; fi

# --unordered: the same results, any order; standard input.
grep -vE '^[[:space:]]*(#|$)' "$TMP/in" | scan "${C[@]}" --unordered --concurrency 4 - >"$TMP/un" 2>/dev/null
# (verdicts only: some texts count seconds from the moment of the check)
v='{query, status, ede, broken_zone, error, ids: [.findings[]?.id]}'
if [ "$(jq -cS "$v" "$TMP/un" | sort)" = "$(jq -cS "$v" "$TMP/out" | sort)" ]; then ok "--unordered gives the same results"; else
	fail "--unordered results differ"; fi

# A closed pipe ends the scan quietly.
for i in $(seq 20); do echo www.good13.test; done >"$TMP/many"
scan "${C[@]}" --concurrency 2 "$TMP/many" 2>"$TMP/perr" | head -1 >/dev/null
prc=${PIPESTATUS[0]}
if [ "$prc" -lt 128 ] && ! grep -qi "sanitizer\|segmentation" "$TMP/perr"; then ok "a closed output pipe ends the scan (exit $prc)"; else
	fail "closed pipe: exit $prc $(head -c 200 "$TMP/perr")"; fi

# Usage errors.
scan "${C[@]}" a b >/dev/null 2>"$TMP/e"
[ $? = 3 ] && grep -q "at most one input file" "$TMP/e" && ok "two input files refused" || fail "two input files: $(cat "$TMP/e")"
scan "${C[@]}" /nonexistent >/dev/null 2>"$TMP/e"
[ $? = 3 ] && grep -q "cannot read" "$TMP/e" && ok "missing input file refused" || fail "missing file: $(cat "$TMP/e")"
scan "${C[@]}" --concurrency 0 - </dev/null >/dev/null 2>"$TMP/e"
[ $? = 3 ] && grep -q -- "--concurrency" "$TMP/e" && ok "--concurrency 0 refused" || fail "--concurrency 0: $(cat "$TMP/e")"
