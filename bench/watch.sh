#!/usr/bin/env bash
# watch.sh [BUILD] [N] [SECONDS] — `dnssec-doctor watch` over a TLD of N signed
# delegations (the bulk test world of bench/scan.sh) at a 60 s interval for
# SECONDS (default 300): CPU share after the first round, peak RSS, how long
# the first round took, history rows and database size, rows per later round,
# and the database growth a day that implies. Runs inside the private network
# namespace: tests/world/netns.sh bench/watch.sh build 10000 300
# (DD_BENCH_WORLD=DIR: use a bulk world of N delegations built before in DIR).
set -u
B=${1:-build}
N=${2:-10000}
D=${3:-300}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/$B/dnssec-doctor"
export DNSSEC_DOCTOR_OFFLINE=1
[ "${DD_IN_NETNS:-}" = 1 ] || { echo "run me through tests/world/netns.sh" >&2; exit 3; }
t0=$(date +%s)
if [ -n "${DD_BENCH_WORLD:-}" ]; then
	# A bulk world built before (DD_WORLD_BIG=N world.sh build DIR): kept afterwards.
	W=$DD_BENCH_WORLD
	trap 'kill "${WPID:-0}" 2>/dev/null; bash "$ROOT/tests/world/world.sh" stop "$W" >/dev/null 2>&1; rm -f "$W/names" "$W/err" "$W"/watch.db*' EXIT
else
	W=$(mktemp -d /tmp/dd-bench-watch.XXXXXX)
	DD_WORLD_BIG=$N bash "$ROOT/tests/world/world.sh" build "$W" >"$W.build.log" 2>&1 || { echo "world build failed: $W.build.log" >&2; exit 1; }
	trap 'kill "${WPID:-0}" 2>/dev/null; bash "$ROOT/tests/world/world.sh" stop "$W" >/dev/null 2>&1; rm -rf "$W" "$W.build.log"' EXIT
fi
bash "$ROOT/tests/world/world.sh" start "$W" >/dev/null 2>&1 || { echo "world start failed" >&2; exit 1; }
echo "(world of $N delegations built and started in $(($(date +%s) - t0)) s)" >&2
seq -f 'www.d%05g.big.' 1 "$N" >"$W/names"
L=127.0.0.1:19653
HZ=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime, in ticks
"$BIN" watch --interval 60 --db "$W/watch.db" --listen "$L" --root-hints "$W/root.hints" \
	--trust-anchor "$W/root-anchor.ds" --no-resolvers "$W/names" 2>"$W/err" &
WPID=$!
start=$(date +%s.%N)
# The first round: every name has a status.
until [ "$(curl -s "http://$L/metrics" | grep -c '^dnssec_doctor_status{.*} 1$')" = "$N" ]; do
	kill -0 "$WPID" 2>/dev/null || { echo "watch died: $(head -c 300 "$W/err")" >&2; exit 1; }
	sleep 0.5
done
first=$(echo "$(date +%s.%N) - $start" | bc)
# The first round's rows written: a flush every interval at the latest, earlier when the queue is large.
for _ in $(seq 140); do
	rows1=$(sqlite3 "$W/watch.db" "SELECT count(*) FROM checks" 2>/dev/null || echo 0)
	[ "$rows1" -ge "$N" ] && break
	sleep 0.5
done
c0=$(cpu "$WPID")
w0=$(date +%s.%N)
checks0=$(curl -s "http://$L/metrics" | awk '/^dnssec_doctor_checks_total/ {s += $2} END {print s}')
sleep "$D"
c1=$(cpu "$WPID")
w1=$(date +%s.%N)
checks1=$(curl -s "http://$L/metrics" | awk '/^dnssec_doctor_checks_total/ {s += $2} END {print s}')
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$WPID/status")
kill -TERM "$WPID"
wait "$WPID"
rc=$?
rows2=$(sqlite3 "$W/watch.db" "SELECT count(*) FROM checks")
size=$(($(stat -c %s "$W/watch.db") + $(stat -c %s "$W/watch.db-wal" 2>/dev/null || echo 0)))
# A heartbeat row holds no report: its size from its fields, plus SQLite's record and two index entries.
hb=$(sqlite3 "$W/watch.db" "SELECT CAST(avg(3 * length(name) + 2 * length(type) + length(status) + length(ede) + ifnull(length(broken_zone), 0) + length(findings) + length(fingerprint) + 9 + 40) AS INTEGER) FROM checks")
el=$(echo "$w1 - $w0" | bc)
row() { printf '| %-66s | %14s |\n' "$1" "$2"; }
echo "| measurement ($N names, --interval 60, 2 cores shared, loopback) | value |"
echo "| --- | ---: |"
row "first round (every name checked once), s" "$(printf %.1f "$first")"
row "checks in the ${D} s after it" "$((checks1 - checks0))"
row "checks per second (wanted: $N / 60 = $((N / 60)))" "$(echo "scale=1; ($checks1 - $checks0) / $el" | bc)"
row "CPU share of one core after the first round, %" "$(echo "scale=1; 100 * ($c1 - $c0) / $HZ / $el" | bc)"
row "peak RSS (VmHWM), MiB" "$((hwm / 1024))"
row "history rows after the first round (one change row per name)" "$rows1"
row "history rows added by the later rounds (nothing changed)" "$((rows2 - rows1))"
row "database size (with the WAL), MiB" "$(echo "scale=1; $size / 1048576" | bc)"
row "database bytes per change row (with its JSON report)" "$((size / (rows2 > 0 ? rows2 : 1)))"
row "heartbeat rows a day ($N names x 24)" "$((N * 24))"
row "growth a day without changes (heartbeats at ~$hb bytes), MiB" "$(echo "scale=1; $N * 24 * $hb / 1048576" | bc)"
row "exit status after SIGTERM" "$rc"
