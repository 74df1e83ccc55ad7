#!/usr/bin/env bash
# browser.sh BIN WORLD OUTDIR — start `serve` on the test world and run the
# end-to-end test (browser.mjs) in the system Chromium. Runs inside
# tests/world/netns.sh; install.sh must have run before (outside: it needs npm).
set -u
BIN=$1
W=$2
OUT=$3
HERE=$(cd "$(dirname "$0")" && pwd)
export DNSSEC_DOCTOR_OFFLINE=1
if [ ! -d "$HERE/node_modules/playwright-core" ]; then
	echo "FAIL browser: playwright-core is not installed (tests/e2e/install.sh)"
	exit 0
fi
if [ ! -x /usr/bin/chromium ] || ! command -v node >/dev/null; then
	echo "FAIL browser: /usr/bin/chromium or node missing (make deps)"
	exit 0
fi
A=127.0.0.1:18060
"$BIN" serve --listen $A --allow-private --root-hints "$W/root.hints" --trust-anchor "$W/root-anchor.ds" \
	--resolver 127.53.3.1 --resolver 127.53.3.2 --rate 1000 >"$OUT/e2e-serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
for _ in $(seq 50); do
	curl -s -o /dev/null "http://$A/healthz" && break
	sleep 0.1
done
# Chromium may print to stderr (no D-Bus here); keep it out of the results.
timeout 180 node "$HERE/browser.mjs" "http://$A" "$OUT" 2>"$OUT/e2e-browser.stderr"
rc=$?
[ $rc = 124 ] && echo "FAIL browser: timed out after 180 s"
kill -TERM $pid 2>/dev/null
wait $pid 2>/dev/null
exit 0
