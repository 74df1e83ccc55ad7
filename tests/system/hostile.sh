#!/usr/bin/env bash
# hostile.sh BIN WORLD — the doctor against hostile and broken servers
# (tests/world/hostile.sh) and its resource limits. Every row of
# WORLD/hostile-cases.tsv must give its verdict and finding (cases.sh), and
# every check must end by itself, within the deadline and the query cap,
# without a crash. Then the limits: queries per check, the deadline, the
# depth of the walk, NS names per zone, evidence size. Runs inside the test
# world's network namespace. Prints "ok"/"FAIL" lines.
set -u
BIN=$1
W=$2
HERE=$(cd "$(dirname "$0")" && pwd)
export DNSSEC_DOCTOR_OFFLINE=1
C=(--root-hints "$W/root.hints" --trust-anchor "$W/root-anchor.ds" --no-resolvers)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# Under valgrind everything is ~20x slower: DD_SLOW scales the time bounds.
SLOW=${DD_SLOW:-1}

ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; }

# Verdicts and findings.
bash "$HERE/cases.sh" "$BIN" "$W" "$W/hostile-cases.tsv" | sed -E 's/^(ok  |FAIL) /\1 hostile: /'

# Bounds: no crash, no hang, deadline and query cap kept (defaults: 10 s, 600).
tail -n +2 "$W/hostile-cases.tsv" | while IFS=$'\t' read -r name type _; do
	start=$(date +%s%N)
	timeout --foreground $((30 * SLOW)) "$BIN" probe "${C[@]}" "$name" "$type" >"$TMP/ev.json" 2>"$TMP/err"
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	q=$(jq -r .queries "$TMP/ev.json" 2>/dev/null)
	el=$(jq -r .elapsed_ms "$TMP/ev.json" 2>/dev/null)
	if [ $rc = 0 ] && [ -n "$q" ] && [ "$q" -le 600 ] && [ "$el" -le 10000 ] && [ $ms -le $((12000 * SLOW)) ]; then
		ok "bounded: $name: $q queries, ${el} ms"
	else
		fail "bounded: $name: exit $rc, queries ${q:-?}, elapsed ${el:-?} ms, wall ${ms} ms $(head -c 200 "$TMP/err")"
	fi
done

# The finding names the misbehaving server, and only it.
for row in "random 127.53.10.11 SERVER_MALFORMED" "badid 127.53.10.12 SERVER_MALFORMED" \
	"tcnotcp 127.53.10.15 SERVER_NO_TCP" "drip 127.53.10.22 SERVER_NO_TCP" \
	"oversize 127.53.10.20 SERVER_UDP_TOO_LARGE" "formerr 127.53.10.16 SERVER_NO_EDNS"; do
	read -r z a id <<<"$row"
	"$BIN" "${C[@]}" --json "www.$z.hostile" >"$TMP/j" 2>/dev/null
	if jq -e --arg id "$id" --arg a "$a" '[.findings[] | select(.id == $id)] | length > 0 and all(.servers == [$a])' "$TMP/j" >/dev/null; then
		ok "hostile $z: $id names $a only"
	else
		fail "hostile $z: $(jq -c '[.findings[] | {id, servers}]' "$TMP/j" 2>/dev/null)"
	fi
done

# 100 NS names for one address: each query goes to that address once, not 20 times.
"$BIN" probe "${C[@]}" www.manyns.hostile >"$TMP/ev.json" 2>/dev/null
dups=$(jq '[.exchanges[] | select(.zone == "manyns.hostile.") | [.purpose, .server, .qname, .qtype] | tostring] | group_by(.) | map(select(length > 1)) | length' "$TMP/ev.json")
nsv=$(jq '[.zones[] | select(.zone == "manyns.hostile.")][0] | [.ns_total, (.servers | length)]' -c "$TMP/ev.json")
if [ "$dups" = 0 ] && [ "$nsv" = "[100,20]" ]; then
	ok "limit: 100 NS names: 20 used, one query per address (ns_total, servers: $nsv)"
else
	fail "limit: 100 NS names: $dups repeated queries, ns_total/servers $nsv"
fi

deep=www
for i in $(seq 30 -1 1); do deep="$deep.l$i"; done
deep="$deep.deep.hostile"
# Query cap: a 30-level walk needs ~100 queries; with 40 it stops, says so, and sends no more.
"$BIN" probe "${C[@]}" --max-queries 40 "$deep" >"$TMP/ev.json" 2>/dev/null
"$BIN" analyse --json "$TMP/ev.json" >"$TMP/j" 2>/dev/null
rc=$?
q=$(jq .queries "$TMP/ev.json")
if [ "$q" -le 40 ] && [ "$(jq -r .probe_error "$TMP/ev.json")" = limit ] && [ $rc = 3 ] &&
	jq -e 'any(.findings[]; .id == "CHECK_INCOMPLETE")' "$TMP/j" >/dev/null; then
	ok "limit: --max-queries 40 on a 30-level walk: $q queries, CHECK_INCOMPLETE, exit 3"
else
	fail "limit: --max-queries 40: $q queries, exit $rc, $(jq -c '[.findings[].id]' "$TMP/j")"
fi
# Deadline: a server that drips one octet a second cannot hold the check past it.
start=$(date +%s%N)
"$BIN" "${C[@]}" --json --deadline 1500 www.alldrip.hostile >"$TMP/j" 2>/dev/null
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
if [ $ms -lt $((3000 * SLOW)) ] && jq -e 'any(.findings[]; .id == "CHECK_INCOMPLETE")' "$TMP/j" >/dev/null; then
	ok "limit: --deadline 1500 against a dripping server: done in ${ms} ms, CHECK_INCOMPLETE, exit $rc"
else
	fail "limit: --deadline 1500: ${ms} ms, exit $rc, $(jq -c '[.findings[].id]' "$TMP/j" 2>/dev/null)"
fi

# Evidence size: at most 64 MiB, from a file or from standard input.
head -c $((65 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$TMP/big.json"
for src in file stdin; do
	if [ $src = file ]; then "$BIN" analyse "$TMP/big.json" >"$TMP/o" 2>"$TMP/e"; else
		"$BIN" analyse - <"$TMP/big.json" >"$TMP/o" 2>"$TMP/e"; fi
	rc=$?
	if [ $rc = 3 ] && grep -q "larger than 64 MiB" "$TMP/e" && [ ! -s "$TMP/o" ]; then
		ok "limit: evidence over 64 MiB ($src) refused"
	else
		fail "limit: evidence over 64 MiB ($src): exit $rc $(head -c 200 "$TMP/e")"
	fi
done
rm -f "$TMP/big.json"
# Too many exchanges (the loader caps every array).
jq -c '.exchanges as $x | .exchanges = [range(0; 20001) | $x[0]]' "$TMP/ev.json" >"$TMP/many.json"
"$BIN" analyse "$TMP/many.json" >"$TMP/o" 2>"$TMP/e"
rc=$?
if [ $rc = 3 ] && grep -q '"exchanges" must be an array (and not too long)' "$TMP/e"; then
	ok "limit: evidence with 20001 exchanges refused"
else
	fail "limit: evidence with 20001 exchanges: exit $rc $(head -c 200 "$TMP/e")"
fi
