#!/usr/bin/env bash
# valgrind.sh BIN WORLD [quick|full] — the system tests with every run of the
# binary under valgrind (memcheck). A run fails on any memory error or a
# definite leak (--error-exitcode, --errors-for-leak-kinds=definite); the
# logs of all runs must be empty.
#   quick (make test): one check per listed name, verdict compared with the
#                      world's case files
#   full  (make valgrind): cases.sh over both case files, then hostile.sh
# Time bounds: the engine's timeouts are fixed (800 ms a try, 2 s for TCP,
# a 10 s deadline) and do not scale; valgrind makes the binary slower, not
# the servers, so the verdicts hold. hostile.sh's wall-clock bounds are
# scaled with DD_SLOW. Runs inside the test world's network namespace.
set -u
BIN=$1
W=$2
MODE=${3:-quick}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export DNSSEC_DOCTOR_OFFLINE=1

if ! command -v valgrind >/dev/null; then
	echo "FAIL valgrind is missing (make deps)"
	exit 0
fi
mkdir -p "$TMP/logs"
cat >"$TMP/dnssec-doctor" <<EOF
#!/bin/sh
exec valgrind -q --error-exitcode=99 --errors-for-leak-kinds=definite --leak-check=full \\
	--soname-synonyms=somalloc=libjemalloc.so* --show-leak-kinds=definite --track-fds=no --log-file="$TMP/logs/vg.%p.log" \\
	--suppressions="$ROOT/tests/valgrind.supp" "$BIN" "\$@"
EOF
chmod +x "$TMP/dnssec-doctor"
VG=$TMP/dnssec-doctor

if [ "$MODE" = full ]; then
	bash "$HERE/cases.sh" "$VG" "$W" | sed -E 's/^(ok  |FAIL) /\1 valgrind: /'
	DD_SLOW=10 bash "$HERE/hostile.sh" "$VG" "$W" | sed -E 's/^(ok  |FAIL) /\1 valgrind: /'
else
	C=(--root-hints "$W/root.hints" --trust-anchor "$W/root-anchor.ds" --no-resolvers)
	for name in www.good13.test. nope.good13.test. www.expired.test. www.kskroll.test. www.island.test. \
		www.silentns.test. cname.good13.test. www.random.hostile. www.tcnotcp.hostile. www.oversize.hostile. \
		www.ptrloop.hostile. www.manyns.hostile. a.cname.hostile.; do
		row=$(awk -F'\t' -v n="$name" '$1 == n' "$W/cases.tsv" "$W/hostile-cases.tsv" | head -1)
		IFS=$'\t' read -r _ type status _ _ exitc _ <<<"$row"
		"$VG" "${C[@]}" --json "$name" "$type" >"$TMP/j" 2>"$TMP/e"
		rc=$?
		got=$(jq -r .status "$TMP/j" 2>/dev/null)
		if [ $rc = "$exitc" ] && [ "$got" = "$status" ]; then
			echo "ok   valgrind: check $name: $got, exit $rc"
		else
			echo "FAIL valgrind: check $name: $got exit $rc (want $status exit $exitc; 99 = valgrind error)"
		fi
	done
	# scan runs its checks as coroutines on their own stacks (src/common/coro.c).
	printf '%s\n' www.good13.test. www.expired.test. www.kskroll.test. www.island.test. cname.good13.test. |
		"$VG" scan "${C[@]}" --concurrency 3 - >"$TMP/scan" 2>"$TMP/e"
	rc=$?
	got=$(jq -r .status "$TMP/scan" 2>/dev/null | tr '\n' ' ')
	if [ $rc = 2 ] && [ "$got" = "secure bogus bogus insecure bogus " ]; then
		echo "ok   valgrind: scan of 5 names, 3 at once: $got"
	else
		echo "FAIL valgrind: scan: exit $rc, statuses $got (want 2: secure bogus bogus insecure bogus)"
	fi
fi
# Every log empty: no invalid read or write, no use of uninitialised memory, no definite leak.
n=$(find "$TMP/logs" -name 'vg.*.log' | wc -l)
bad=$(find "$TMP/logs" -name 'vg.*.log' -size +0 | head -3)
if [ "$n" -gt 0 ] && [ -z "$bad" ]; then
	echo "ok   valgrind: $n runs, no errors, no definite leaks"
else
	echo "FAIL valgrind: $n runs; errors in $(echo "$bad" | wc -w) log(s):"
	for f in $bad; do sed 's/^/     /' "$f" | head -40; done
fi
