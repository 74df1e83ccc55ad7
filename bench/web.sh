#!/usr/bin/env bash
# web.sh [BUILD] [SECONDS] [CONNECTIONS] — load run of `dnssec-doctor serve`
# with wrk against /api/v1/check on the test world: requests/s, latency
# percentiles, the status codes, and the server's peak memory (VmHWM).
# Writes bench/web-results.md. Runs inside the private network namespace:
#   tests/world/netns.sh bench/web.sh build 20 8
# Needs wrk (make deps-bench). Loopback only, bounded in time.
set -u
B=${1:-build}
SECS=${2:-20}
CONNS=${3:-8}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/$B/dnssec-doctor"
OUT="$ROOT/bench/web-results.md"
export DNSSEC_DOCTOR_OFFLINE=1
[ "${DD_IN_NETNS:-}" = 1 ] || { echo "run me through tests/world/netns.sh" >&2; exit 3; }
command -v wrk >/dev/null || { echo "wrk is missing: make deps-bench" >&2; exit 3; }
W=$(mktemp -d /tmp/dd-bench-world.XXXXXX)
TMP=$(mktemp -d)
bash "$ROOT/tests/world/world.sh" build "$W" >/dev/null 2>&1 || exit 1
SPID=
trap '[ -n "$SPID" ] && kill $SPID 2>/dev/null; bash "$ROOT/tests/world/world.sh" stop "$W" >/dev/null 2>&1; rm -rf "$W" "$TMP"' EXIT
bash "$ROOT/tests/world/world.sh" start "$W" >/dev/null 2>&1 || exit 1

A=127.0.0.1:18080
WORKERS=4
"$BIN" serve --listen $A --allow-private --root-hints "$W/root.hints" --trust-anchor "$W/root-anchor.ds" \
	--resolver 127.53.3.1 --resolver 127.53.3.2 --max-checks $WORKERS --rate 1000000 \
	--target-budget 100000000 >"$TMP/serve.log" 2>&1 &
SPID=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://$A/healthz" && break; sleep 0.1; done
kill -0 $SPID 2>/dev/null || { echo "serve did not start: $(cat "$TMP/serve.log")" >&2; exit 1; }
# Memory of the server and its worker processes together (kB): checks run in the workers.
sum_status() { # FIELD
	local total=0 p v
	for p in $SPID $(ps -o pid= --ppid $SPID); do
		v=$(awk -v f="$1:" '$1 == f {print $2}' /proc/$p/status 2>/dev/null)
		total=$((total + ${v:-0}))
	done
	echo $total
}
rss_idle=$(sum_status VmRSS)

# Each request checks the next name of a mix of healthy and broken names.
cat >"$TMP/mix.lua" <<'EOF'
local names = {"www.good13.test", "www.kskroll.test", "www.expired.test", "www.good8.test",
               "www.unsigned.test", "nope.good13.test", "www.ok.broken", "cname.good13.test"}
local i = 0
local codes = {}
request = function()
  i = i + 1
  return wrk.format("GET", "/api/v1/check?name=" .. names[(i % #names) + 1] .. "&type=A")
end
response = function(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
end
done = function(summary, latency, requests)
  for _, p in ipairs({50, 90, 99}) do
    io.write(string.format("p%d %.2f\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("max %.2f\n", latency.max / 1000))
  io.write(string.format("requests %d\n", summary.requests))
  io.write(string.format("errors %d\n", summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout))
  io.write(string.format("non2xx %d\n", summary.errors.status))
end
EOF
curl -s -o /dev/null "http://$A/api/v1/check?name=www.good13.test" # warm the resolvers
wrk -t 2 -c "$CONNS" -d "${SECS}s" --timeout 15s -s "$TMP/mix.lua" "http://$A/" >"$TMP/wrk.txt" 2>&1
rss_peak=$(sum_status VmHWM)
codes=$(curl -s -o /dev/null -w '%{http_code}' "http://$A/healthz")
kill -TERM $SPID
wait $SPID
SPID=
rps=$(awk '/^Requests\/sec/ {print $2}' "$TMP/wrk.txt")
val() { awk -v k="$1" '$1 == k {print $2}' "$TMP/wrk.txt"; }
cpu=$(nproc)
{
	echo "# Web service load run (bench/web.sh)"
	echo
	echo "\`tests/world/netns.sh bench/web.sh $B $SECS $CONNS\` on $(date -u +%Y-%m-%d), $cpu cores (shared), build \`$B\`."
	echo "wrk: 2 threads, $CONNS connections, ${SECS} s, against \`/api/v1/check\` on the test world, cycling over"
	echo "8 names (healthy, bogus, unsigned, NXDOMAIN, CNAME into a broken zone). Each request is a full check"
	echo "(~30 queries to the NSD servers plus 6 to the two Unbound resolvers on a cold cache; the root's and the"
	echo "TLD's answers are then shared between checks, everything below them asked afresh)."
	echo "Server: \`serve --max-checks $WORKERS\` (that many worker processes), rate limit and target budget lifted for the run."
	echo
	echo "| metric | value |"
	echo "| --- | --- |"
	echo "| requests/s | $rps |"
	echo "| requests | $(val requests) (socket errors $(val errors), non-2xx $(val non2xx)) |"
	echo "| latency p50 | $(val p50) ms |"
	echo "| latency p90 | $(val p90) ms |"
	echo "| latency p99 | $(val p99) ms |"
	echo "| latency max | $(val max) ms |"
	echo "| server RSS idle (with its $WORKERS workers) | $((rss_idle / 1024)) MiB |"
	echo "| server peak RSS (VmHWM, summed over the processes) | $((rss_peak / 1024)) MiB |"
	echo "| /healthz after the run | $codes |"
	echo
	echo "wrk's own output:"
	echo
	echo '```'
	sed -n '1,/^Transfer/p' "$TMP/wrk.txt"
	echo '```'
} >"$OUT"
cat "$OUT"
