#!/usr/bin/env bash
# run.sh BUILD — make bench: every benchmark, inside the private network
# namespace; the tables go to standard output and to bench/results.md.
set -u
B=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/bench/results.md"
{
	echo "# Benchmarks"
	echo
	echo "Measured $(date -u +%Y-%m-%d) by \`make bench\` on $(nproc) cores, loopback, inside the test world's network namespace."
	echo
	echo "## One check (bench/latency.sh, wall time of the whole process)"
	echo
	bash "$ROOT/bench/latency.sh" "$B" 100
	echo
	echo "## A scan of 10,000 delegations (bench/scan.sh)"
	echo
	bash "$ROOT/bench/scan.sh" "$B" 10000
} | tee "$OUT.new"
mv "$OUT.new" "$OUT"
