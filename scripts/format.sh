#!/usr/bin/env bash
# format.sh [--check] — the project's C code in the style of .clang-format, with Debian 12's
# clang-format (version 14: other versions format some constructs differently).
#   format.sh           rewrite every tracked .c/.h file in place
#   format.sh --check   change nothing; print "ok   format: ..." or one "FAIL format: FILE"
#                       line per file that differs, and exit 1 if any does
set -u
cd "$(dirname "$0")/.."
CF=${CLANG_FORMAT:-clang-format}
command -v "$CF" >/dev/null || { echo "FAIL format: $CF not found (make deps installs clang-format)"; exit 1; }
"$CF" --version | grep -q "version 14\." || echo "note: $("$CF" --version) is not version 14: its output may differ" >&2
mapfile -t files < <(git ls-files '*.c' '*.h' | grep -v '^tests/e2e/')
if [ "${1:-}" != --check ]; then
	"$CF" -i "${files[@]}"
	exit 0
fi
bad=0
for f in "${files[@]}"; do
	if ! "$CF" "$f" | cmp -s - "$f"; then
		echo "FAIL format: $f differs from clang-format's output (make format)"
		bad=$((bad + 1))
	fi
done
[ "$bad" = 0 ] && echo "ok   format: ${#files[@]} C files as clang-format writes them"
[ "$bad" = 0 ]
