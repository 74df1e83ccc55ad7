#!/usr/bin/env bash
# test-all.sh BUILD ASAN_BUILD — run the suite on the normal and the sanitizer
# build and print one summary line: "N passed, N failed".
set -u
rc=0
tests/run.sh "$1" plain || rc=1
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:fast_unwind_on_malloc=0 LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp \
	tests/run.sh "$2" asan || rc=1
read -r p1 f1 <"$1/test-counts"
read -r p2 f2 <"$2/test-counts"
echo
echo "$((p1 + p2)) passed, $((f1 + f2)) failed"
exit $rc
