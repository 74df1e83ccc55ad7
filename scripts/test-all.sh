#!/usr/bin/env bash
# test-all.sh BUILD ASAN_BUILD — run the suite on the normal build (with a short
# valgrind pass) and on the sanitizer build, then each fuzz target briefly
# (FUZZ_SMOKE seconds, default 5), check the code's format (scripts/format.sh --check),
# and print one summary line: "N passed, N failed".
set -u
rc=0
DD_VALGRIND=quick tests/run.sh "$1" plain || rc=1
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:fast_unwind_on_malloc=0 LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp \
	tests/run.sh "$2" asan || rc=1
read -r p1 f1 <"$1/test-counts"
read -r p2 f2 <"$2/test-counts"
# A brief run of each fuzz target on its committed seeds (and regression inputs).
FUZZ_SMOKE=${FUZZ_SMOKE:-5}
scripts/fuzz.sh build-fuzz "$FUZZ_SMOKE" >build-fuzz.results 2>&1 || rc=1
grep -E "^(ok|FAIL)" build-fuzz.results | sed "s|^|[fuzz] |"
p3=$(grep -c "^ok" build-fuzz.results)
f3=$(grep -c "^FAIL" build-fuzz.results)
# The code as clang-format 14 writes it (make format): a difference fails the run.
scripts/format.sh --check >build-format.results 2>&1 || rc=1
grep -E "^(ok|FAIL)" build-format.results
p4=$(grep -c "^ok" build-format.results)
f4=$(grep -c "^FAIL" build-format.results)
echo
echo "$((p1 + p2 + p3 + p4)) passed, $((f1 + f2 + f3 + f4)) failed"
exit $rc
