#!/usr/bin/env bash
# scan.sh [BUILD] [N] — the doctor's scan over a TLD of N signed delegations
# (80 % healthy, 10 % with a DS of an unpublished key, 10 % signed islands),
# against a cold validating Unbound resolving the same names with dnsperf
# (100 queries in flight); peak RSS of the scan. Runs inside the private
# network namespace: tests/world/netns.sh bench/scan.sh build 10000
set -u
B=${1:-build}
N=${2:-10000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/$B/dnssec-doctor"
export DNSSEC_DOCTOR_OFFLINE=1
[ "${DD_IN_NETNS:-}" = 1 ] || { echo "run me through tests/world/netns.sh" >&2; exit 3; }
W=$(mktemp -d /tmp/dd-bench-big.XXXXXX)
t0=$(date +%s)
DD_WORLD_BIG=$N bash "$ROOT/tests/world/world.sh" build "$W" >"$W.build.log" 2>&1 || { echo "world build failed: $W.build.log" >&2; exit 1; }
trap 'bash "$ROOT/tests/world/world.sh" stop "$W" >/dev/null 2>&1; [ -n "${UB_PID:-}" ] && kill "$UB_PID" 2>/dev/null; rm -rf "$W" "$W.build.log"' EXIT
bash "$ROOT/tests/world/world.sh" start "$W" >/dev/null 2>&1 || { echo "world start failed" >&2; exit 1; }
echo "(world of $N delegations built and started in $(($(date +%s) - t0)) s)" >&2
C=(--root-hints "$W/root.hints" --trust-anchor "$W/root-anchor.ds" --no-resolvers)
seq -f 'www.d%05g.big.' 1 "$N" >"$W/names"

row() { printf '| %-58s | %12s |\n' "$1" "$2"; }
echo "| measurement ($N names, 2 cores, loopback) | value |"
echo "| --- | ---: |"
for conc in 4 16 64; do
	/usr/bin/time -f '%e %M' -o "$W/time" "$BIN" scan "${C[@]}" --concurrency "$conc" "$W/names" >"$W/out" 2>"$W/err"
	read -r secs rss < <(tail -1 "$W/time")
	lines=$(wc -l <"$W/out")
	rate=$(echo "scale=0; $lines / $secs" | bc)
	row "dnssec-doctor scan --concurrency $conc: names/s" "$rate"
	eval "scan_rate_$conc=$rate"
	row "dnssec-doctor scan --concurrency $conc: peak RSS (MiB)" "$((rss / 1024))"
done
# Memory stays bounded however long the input: 100,000 checks (the list ten
# times over; below the TLD every check asks afresh, but a signature met in
# an earlier pass is not verified again, so this rate is not a fresh-name rate).
for _ in $(seq 10); do cat "$W/names"; done >"$W/names100k"
/usr/bin/time -f '%e %M' -o "$W/time" "$BIN" scan "${C[@]}" --concurrency 16 "$W/names100k" 2>"$W/err100k" | wc -l >"$W/lines100k"
read -r secs rss < <(tail -1 "$W/time")
row "dnssec-doctor scan of the list 10 times ($((N * 10)) checks; repeats skip verified signatures): names/s" "$(echo "scale=0; $(cat "$W/lines100k") / $secs" | bc)"
row "dnssec-doctor scan of $((N * 10)) checks, --concurrency 16: peak RSS (MiB)" "$((rss / 1024))"
sec=$(jq -r 'select(.status == "secure") | .query.name' "$W/out" | wc -l)
bog=$(jq -r 'select(.status == "bogus") | .query.name' "$W/out" | wc -l)
ins=$(jq -r 'select(.status == "insecure") | .query.name' "$W/out" | wc -l)
row "verdicts (secure / bogus / insecure; expected 80 / 10 / 10 %)" "$sec / $bog / $ins"

# A cold validating Unbound (its own instance, empty cache) resolving the same
# names: with the test world's configuration (one thread), then with two
# threads (as many as the doctor uses); the ratio is against the faster.
U="$W/unbound-bench"
mkdir -p "$U"
sed 's/$/ A/' "$W/names" >"$W/names.dnsperf"
best=0
for th in 1 2; do
	sed -e "s#$W/unbound/validating#$U#g" -e 's/127\.53\.3\.1/127.53.3.9/g' \
		-e "s/num-threads: 1/num-threads: $th/" -e "s/so-reuseport: no/so-reuseport: yes/" \
		"$W/unbound/validating/unbound.conf" >"$U/unbound.conf"
	rm -f "$U/unbound.pid"
	unbound -c "$U/unbound.conf" >/dev/null 2>&1
	for _ in $(seq 50); do [ -s "$U/unbound.pid" ] && break; sleep 0.1; done
	UB_PID=$(cat "$U/unbound.pid" 2>/dev/null)
	if ! command -v dnsperf >/dev/null; then
		row "cold validating Unbound" "dnsperf not installed"
		break
	fi
	dnsperf -s 127.53.3.9 -d "$W/names.dnsperf" -n 1 -q 100 -t 5 -e -D >"$W/dnsperf" 2>&1
	qps=$(sed -n 's/.*Queries per second: *\([0-9.]*\).*/\1/p' "$W/dnsperf" | head -1)
	qps=${qps%.*}
	row "cold validating Unbound, $th thread(s) (dnsperf, 100 in flight): names/s" "${qps:-?}"
	[ -n "$qps" ] && [ "$qps" -gt "$best" ] && best=$qps
	[ -n "$UB_PID" ] && kill "$UB_PID" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$UB_PID" 2>/dev/null || break; sleep 0.1; done
	UB_PID=
done
if [ "$best" -gt 0 ]; then
	for conc in 4 16 64; do
		r=$(eval echo "\$scan_rate_$conc")
		row "ratio: doctor scan at $conc (every server, every signature) / faster Unbound" "$(printf "%.2f" "$(echo "scale=4; $r / $best" | bc)") x"
	done
fi

# Peers on a sample of 100 names (every N/100th), from the same world. DNSViz:
# the probe only (Debian 12's DNSViz cannot run "grok", its analysis step: it
# needs a pygraphviz module that Debian's pygraphviz no longer has), so its time
# is a lower bound. Zonemaster tests the zone of each name with the world's
# root hints.
step=$((N / 100 > 0 ? N / 100 : 1))
awk -v s="$step" 'NR % s == 0' "$W/names" | head -100 >"$W/sample"
ns=$(wc -l <"$W/sample")
per_name() { # LABEL CMD-PREFIX... (the name is appended); prints median and p95 ms
	local label=$1
	shift
	while read -r n; do
		local s e
		s=$(date +%s%N)
		"$@" "$n" >/dev/null 2>&1
		e=$(date +%s%N)
		echo $(((e - s) / 1000000))
	done <"$W/sample" | sort -n | awk -v l="$label" '{a[NR]=$1} END {printf "| %-58s | %12s |\n", l " (median / p95 ms)", a[int((NR+1)/2)] " / " a[int(NR*0.95+0.999)]}' |
		tee -a "$W/medians"
}
per_name "dnssec-doctor check, $ns-name sample" "$BIN" "${C[@]}" --json
if command -v delv >/dev/null; then
	per_name "delv via the non-validating Unbound, $ns-name sample" delv @127.53.3.2 -a "$W/delv-anchors.conf"
fi
if command -v dnsviz >/dev/null; then
	per_name "dnsviz probe -A (no analysis), $ns-name sample" dnsviz probe -A -x .:a.ns.root-servers.=127.53.0.1,b.ns.root-servers.=127.53.0.2 -a .
fi
if command -v zonemaster-cli >/dev/null; then
	sed 's/^www\.//' "$W/sample" >"$W/sample.zones"
	cp "$W/sample" "$W/sample.names"
	cp "$W/sample.zones" "$W/sample"
	per_name "zonemaster-cli (the zone), $ns-zone sample" zonemaster-cli --no-ipv6 --hints "$W/root.hints"
	cp "$W/sample.names" "$W/sample"
fi

# A dead and a silent name server among good ones (3 runs each).
for n in www.deadns.test www.silentns.test; do
	printf '%s\n' "$n" "$n" "$n" >"$W/sample"
	per_name "dnssec-doctor check $n" "$BIN" "${C[@]}" --json
	command -v delv >/dev/null && per_name "delv $n" delv @127.53.3.2 -a "$W/delv-anchors.conf"
	command -v dnsviz >/dev/null && per_name "dnsviz probe -A $n" dnsviz probe -A -x .:a.ns.root-servers.=127.53.0.1,b.ns.root-servers.=127.53.0.2 -a .
	printf '%s\n' "${n#www.}" "${n#www.}" "${n#www.}" >"$W/sample"
	command -v zonemaster-cli >/dev/null && per_name "zonemaster-cli ${n#www.}" zonemaster-cli --no-ipv6 --hints "$W/root.hints"
done

# Ratios of the medians: how many times longer each peer takes than one check.
awk -F'|' '{ v = $3; gsub(/ /, "", v); split(v, m, "/"); l = $2; gsub(/^ +| +$/, "", l); sub(/ \(median \/ p95 ms\)/, "", l); print l "\t" m[1] }' "$W/medians" >"$W/med.tsv"
ours=$(awk -F'\t' '$1 ~ /^dnssec-doctor check, / { print $2 }' "$W/med.tsv")
if [ -n "$ours" ] && [ "$ours" -gt 0 ]; then
	awk -F'\t' -v o="$ours" '$1 !~ /^dnssec-doctor/ && $1 ~ /sample/ && $2 > 0 {
		printf "| %-58s | %12s |\n", "ratio: " $1 " / dnssec-doctor", sprintf("%.1f x", $2 / o) }' "$W/med.tsv"
fi
