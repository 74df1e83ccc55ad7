#!/usr/bin/env bash
# fuzz.sh BUILD_DIR SECONDS [TARGET...] -- build the libFuzzer targets (clang,
# ASan + UBSan) in BUILD_DIR and run each for SECONDS, niced, one at a time.
#   targets: wire evidence analyse answer rrs head (default: all)
# Each target first replays its regression inputs (tests/fuzz/regress/TARGET/,
# inputs that once crashed it), then fuzzes from the committed seeds
# (tests/fuzz/seeds/) into BUILD_DIR/corpus-TARGET (kept between runs, not
# committed), with the target's dictionary of DNSSEC record shapes when it
# has one (tests/fuzz/TARGET.dict; wire uses answer's). A crash leaves its
# input in BUILD_DIR/artifacts/. Prints one "ok"/"FAIL" line per target with
# the number of executions and executions per second.
set -u
B=${1:?usage: fuzz.sh BUILD_DIR SECONDS [TARGET...]}
SECS=${2:?usage: fuzz.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(wire evidence analyse answer rrs head)

if ! command -v clang >/dev/null; then
	echo "FAIL fuzz: clang is missing (make deps)"
	exit 1
fi
if [ ! -f "$B/build.ninja" ]; then
	CC=clang meson setup "$B" "$ROOT" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
		--buildtype=debugoptimized >"$ROOT/$B.setup.log" 2>&1 ||
		{ echo "FAIL fuzz: meson setup $B (see $B.setup.log)"; exit 1; }
fi
if ! ninja -C "$B" >"$B/fuzz-build.log" 2>&1; then
	echo "FAIL fuzz: build (see $B/fuzz-build.log)"
	exit 1
fi
B=$(cd "$B" && pwd)
mkdir -p "$B/artifacts"
export ASAN_OPTIONS=fast_unwind_on_malloc=0:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=suppressions=$ROOT/tests/lsan.supp

rc=0
for t in "${targets[@]}"; do
	exe="$B/tests/fuzz/fuzz_$t"
	seeds="$ROOT/tests/fuzz/seeds/$t"
	[ "$t" = analyse ] && seeds="$ROOT/tests/fuzz/seeds/evidence"  # the same seeds, analysed
	if [ ! -x "$exe" ] || [ ! -d "$seeds" ]; then
		echo "FAIL fuzz $t: no such target"
		rc=1
		continue
	fi
	reg="$ROOT/tests/fuzz/regress/$t"
	if [ -d "$reg" ] && [ -n "$(ls -A "$reg")" ]; then
		if "$exe" "$reg"/* >"$B/fuzz-$t-regress.log" 2>&1; then
			echo "ok   fuzz $t: $(ls "$reg" | wc -l) regression input(s) replayed"
		else
			echo "FAIL fuzz $t: a regression input crashes it (see $B/fuzz-$t-regress.log)"
			rc=1
			continue
		fi
	fi
	mkdir -p "$B/corpus-$t"
	log="$B/fuzz-$t.log"
	# The analysis targets leak ldns's NSEC3 hashes on most inputs (suppressed, see
	# tests/lsan.supp); libFuzzer's per-input leak scan would then run on each and
	# cut the speed twentyfold. The suppressions match frames inside ldns, which
	# only the slow unwinder finds (ldns has no frame pointers), and the slow
	# unwinder on every malloc cut these targets' speed thirtyfold again. So they
	# run with the fast unwinder and without leak checks; their leaks are checked
	# by the unit and system tests under ASan (slow unwinder) and valgrind.
	leaks=1
	asan=$ASAN_OPTIONS
	case $t in analyse | answer)
		leaks=0
		asan=${ASAN_OPTIONS/fast_unwind_on_malloc=0/fast_unwind_on_malloc=1}
		asan=${asan/detect_leaks=1/detect_leaks=0}
		;;
	esac
	dict="$ROOT/tests/fuzz/$t.dict"
	[ "$t" = wire ] && dict="$ROOT/tests/fuzz/answer.dict"
	dictarg=()
	[ -f "$dict" ] && dictarg=(-dict="$dict")
	ASAN_OPTIONS=$asan nice -n 19 "$exe" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-detect_leaks=$leaks "${dictarg[@]}" -artifact_prefix="$B/artifacts/$t-" "$B/corpus-$t" "$seeds" >"$log" 2>&1
	r=$?
	execs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$log" | tail -1)
	rate=$(awk '/stat::average_exec_per_sec/ { print $2 }' "$log" | tail -1)
	if [ $r = 0 ] && ! grep -q "ERROR: \|runtime error" "$log"; then
		echo "ok   fuzz $t: ${execs:-?} executions in ${SECS} s (${rate:-?}/s), no findings"
	else
		echo "FAIL fuzz $t: exit $r after ${execs:-?} executions (see $log; inputs in $B/artifacts/)"
		rc=1
	fi
done
exit $rc
