#!/usr/bin/env bash
# pool.sh BIN WORLD — `dnssec-doctor serve` runs each check in a worker
# process: a check whose worker crashes (or spins until its limits stop it)
# is answered 200 "indeterminate" with an error, logged once, and the
# service goes on with a full pool; started as root it runs as nobody; the
# per-address query budget is shared fairly between clients and spent only
# by packets actually sent. Runs inside tests/world/netns.sh.
#
# The crashes come from a test hook: DNSSEC_DOCTOR_TEST_CRASH=NAME makes the
# worker that checks NAME abort(), =spin:NAME makes it spin (docs/web.md).
set -u
BIN=$1
W=$2
export DNSSEC_DOCTOR_OFFLINE=1
C=(--root-hints "$W/root.hints" --trust-anchor "$W/root-anchor.ds" --allow-private --no-resolvers)
TMP=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() { echo "ok   pool: $1"; }
fail() { echo "FAIL pool: $1"; }

# start_server NAME ADDR:PORT ARGS... — start serve, wait for /healthz.
start_server() {
	local name=$1 listen=$2
	shift 2
	"$BIN" serve --listen "$listen" "${C[@]}" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	local pid=$!
	PIDS+=("$pid")
	eval "PID_$name=$pid"
	for _ in $(seq 100); do
		curl -s -o /dev/null "http://$listen/healthz" && return 0
		sleep 0.1
	done
	fail "server $name did not start ($(head -c 300 "$TMP/$name.err"))"
	return 1
}

# stop_server NAME — SIGTERM; exit 0 with no sanitizer report from the server or its workers.
stop_server() {
	local name=$1 pidvar="PID_$1"
	local pid=${!pidvar}
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	local rc=$?
	if [ $rc = 0 ] && ! grep -q -E "AddressSanitizer|LeakSanitizer|runtime error|at the end" "$TMP/$name.err"; then
		ok "server $name stops cleanly on SIGTERM (workers too)"
	else
		fail "server $name stop: exit $rc, $(grep -m3 -E "Sanitizer|runtime error|ERROR|at the end" "$TMP/$name.err")"
	fi
}

# get URL [CURL ARGS] — body to $TMP/body, prints the status code.
get() {
	local url=$1
	shift
	curl -s -o "$TMP/body" -w '%{http_code}' --max-time 30 "$@" "$url"
}

# workers PID — the worker processes of serve PID, one per line.
workers() { ps -o pid= --ppid "$1" | tr -d ' '; }

# wait_pool PID N — until PID has N workers (each replaced worker is forked at once; allow 5 s).
wait_pool() {
	for _ in $(seq 50); do
		[ "$(workers "$1" | wc -l)" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# --- a crash inside a check
A=127.0.0.1:18071
DNSSEC_DOCTOR_TEST_CRASH=crash.good13.test start_server crash $A --max-checks 2 --rate 100000 || exit 0
if wait_pool "$PID_crash" 2; then ok "2 worker processes for --max-checks 2"; else fail "workers: $(workers "$PID_crash" | tr '\n' ' ')"; fi
before=$(workers "$PID_crash" | sort | tr '\n' ' ')
# A slow check in hand on the other worker (a silent name server) must not be lost.
curl -s -o "$TMP/slow.json" -w '%{http_code}' --max-time 30 "http://$A/api/v1/check?name=www.silentns.test" >"$TMP/slow.code" &
slowpid=$!
sleep 0.3
code=$(get "http://$A/api/v1/check?name=crash.good13.test")
if [ "$code" = 200 ] && jq -e '.status == "indeterminate" and .query.name == "crash.good13.test." and .version == 1
	and (.error | test("failed inside the doctor"))' "$TMP/body" >/dev/null; then
	ok "a check whose worker crashes: 200, indeterminate, error says it failed inside the doctor"
else
	fail "crashed check: HTTP $code $(head -c 300 "$TMP/body")"
fi
code=$(get "http://$A/healthz")
if [ "$code" = 200 ]; then ok "/healthz answers right after the crash"; else fail "/healthz after the crash: $code"; fi
code=$(get "http://$A/api/v1/check?name=www.good13.test")
if [ "$code" = 200 ] && jq -e '.status == "secure"' "$TMP/body" >/dev/null; then
	ok "a healthy name checks right after the crash (secure)"
else
	fail "check after the crash: HTTP $code $(head -c 200 "$TMP/body")"
fi
wait $slowpid
if [ "$(cat "$TMP/slow.code")" = 200 ] && jq -e '.query.name == "www.silentns.test." and (has("error") | not)' "$TMP/slow.json" >/dev/null; then
	ok "the check running on the other worker during the crash is answered in full"
else
	fail "check beside the crash: HTTP $(cat "$TMP/slow.code") $(head -c 200 "$TMP/slow.json")"
fi
code=$(get "http://$A/check?name=crash.good13.test")
if [ "$code" = 200 ] && grep -q 'failed inside the doctor' "$TMP/body" && grep -q '<form' "$TMP/body"; then
	ok "the result page of a crashed check: 200, the form with the error"
else
	fail "crashed check page: HTTP $code"
fi
after=$(workers "$PID_crash" | sort | tr '\n' ' ')
if wait_pool "$PID_crash" 2 && [ "$before" != "$after" ]; then
	ok "the pool is back to 2 workers, crashed ones replaced ($before-> $after)"
else
	fail "pool after crashes: $before-> $after"
fi
n=$(grep -c 'the check of crash.good13.test. A failed inside the doctor: worker [0-9]* killed by signal' "$TMP/crash.err")
if [ "$n" = 2 ]; then ok "each crash is logged once, with the name"; else fail "crash log lines: $n ($(head -c 300 "$TMP/crash.err"))"; fi
if [ "$(id -u)" = 0 ]; then
	users=$(ps -o user= -p "$PID_crash" $(workers "$PID_crash" | sed 's/^/-p /') | sort -u | tr -d ' ' | tr '\n' ' ')
	if [ "$users" = "nobody " ] || grep -q "not mapped in this user namespace" "$TMP/crash.err"; then
		ok "started as root: the server and its workers run as nobody (${users% })"
	else
		fail "privileges not dropped: $users"
	fi
fi
# Parallel checks around crashes all get answers (200 or 429), never 5xx.
cpids=()
for i in $(seq 8); do
	if [ $((i % 2)) = 0 ]; then n=crash.good13.test; else n=www.good8.test; fi
	curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 "http://$A/api/v1/check?name=$n" >>"$TMP/codes" &
	cpids+=($!)
done
wait "${cpids[@]}"
if [ "$(grep -c -E '^(200|429)$' "$TMP/codes")" = 8 ] && wait_pool "$PID_crash" 2 && [ "$(get "http://$A/api/v1/check?name=www.good8.test")" = 200 ]; then
	ok "8 parallel checks, half of them crashing: all answered ($(sort "$TMP/codes" | uniq -c | tr -s ' ' | tr '\n' ' ')), pool full"
else
	fail "parallel crashes: $(sort "$TMP/codes" | uniq -c | tr '\n' ' ')"
fi
stop_server crash

# --- a check that spins is stopped by its limits (CPU time or the wall clock: the deadline + 3 s)
S=127.0.0.1:18072
DNSSEC_DOCTOR_TEST_CRASH=spin:spin.good13.test start_server spin $S --max-checks 1 --deadline 1000 || exit 0
code=$(get "http://$S/api/v1/check?name=spin.good13.test")
if [ "$code" = 200 ] && jq -e '.status == "indeterminate" and (.error | test("failed inside the doctor"))' "$TMP/body" >/dev/null &&
	grep -q -E 'the check of spin.good13.test. A failed inside the doctor: worker [0-9]* (killed by signal [0-9]+ \(CPU time limit exceeded\)|ran out of time)' "$TMP/spin.err"; then
	ok "a spinning check is stopped and answered indeterminate ($(grep -o -E 'worker [0-9]* [^;]*' "$TMP/spin.err" | head -1))"
else
	fail "spinning check: HTTP $code $(head -c 200 "$TMP/body") $(tail -2 "$TMP/spin.err")"
fi
code=$(get "http://$S/api/v1/check?name=www.good13.test")
if [ "$code" = 200 ] && jq -e '.status == "secure"' "$TMP/body" >/dev/null; then ok "the next check works"; else fail "after the spin: $code"; fi
stop_server spin

# --- the query budget: fair shares, and only packets sent count
# Each check of www.good13.test asks each leaf server (127.53.2.1, .2) 7 times;
# the root's and test.'s answers come from the shared cache after the first.
# A lone client has the whole budget (14 a minute): two checks, then it is used
# up. A second client then gets half (7): one full check; after that both are
# held to their halves.
Q=127.0.0.1:18073
start_server budget $Q --target-budget 14 --rate 100000 || exit 0
# The findings that say a budget is used up (the check then stops: CHECK_INCOMPLETE names the address).
budget_findings() { jq -c '[.findings[] | select(.summary | test("query budget")) | .summary]' "$TMP/body"; }
for i in 1 2; do
	get "http://$Q/api/v1/check?name=www.good13.test" >/dev/null
	echo "A$i $(jq -r .status "$TMP/body") $(budget_findings)" >>"$TMP/budget.log"
done
if ! grep -q budget "$TMP/budget.log" && [ "$(grep -c ' secure ' "$TMP/budget.log")" = 2 ]; then
	ok "budget: a lone client may use a server's whole budget (2 checks, secure, nothing skipped)"
else
	fail "budget, lone client: $(cat "$TMP/budget.log")"
fi
get "http://$Q/api/v1/check?name=www.good13.test" >/dev/null
if [ "$(budget_findings)" != "[]" ] && jq -e '.status == "indeterminate"' "$TMP/body" >/dev/null; then
	ok "budget: then it is used up for that client (indeterminate, the finding says which budget)"
else
	fail "budget: a 3rd check was not held back: $(jq -c '{status, f: [.findings[] | {id, summary}]}' "$TMP/body" | head -c 400)"
fi
cp "$TMP/body" "$TMP/a3.json"
get "http://$Q/api/v1/check?name=www.good13.test" --interface 127.0.0.2 >/dev/null
if jq -e '.status == "secure"' "$TMP/body" >/dev/null && [ "$(budget_findings)" = "[]" ]; then
	ok "budget: a second client is not starved by the first (its half: a full check, secure)"
else
	fail "budget, second client: $(jq -c '{status, f: [.findings[] | {id, summary}]}' "$TMP/body" | head -c 400)"
fi
get "http://$Q/api/v1/check?name=www.good13.test" --interface 127.0.0.2 >/dev/null
if budget_findings | grep -q "7 of it yours"; then
	ok "budget: with two clients each gets half (the second one's next check is held back at 7)"
else
	fail "budget, second client's half: $(budget_findings | head -c 300)"
fi
if jq -e '[.findings[] | .summary | select(test("query budget"))] | length > 0 and all(test("budget for 127[.]53[.]2[.][12] "))' "$TMP/body" "$TMP/a3.json" >/dev/null; then
	ok "budget: answers from the shared cache spend none (root and TLD servers never held back)"
else
	fail "budget: cached answers spent budget: $(jq -c '[.findings[] | .summary | select(test("query budget"))]' "$TMP/body" "$TMP/a3.json")"
fi
stop_server budget
