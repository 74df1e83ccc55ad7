#!/usr/bin/env bash
# web.sh BIN WORLD — `dnssec-doctor serve` over HTTP against the test world:
# status codes, the API's JSON against the CLI's, the result page, escaping of
# hostile DNS data, bad input (4xx, never 5xx), the rate limit (429), refusal
# of private targets without --allow-private, the per-address query budget,
# HTTP attacks (request smuggling, slowloris, connection caps, running out of
# descriptors; see web_attack.py), and a clean stop. Runs inside tests/world/netns.sh.
set -u
BIN=$1
W=$2
export DNSSEC_DOCTOR_OFFLINE=1
C=(--root-hints "$W/root.hints" --trust-anchor "$W/root-anchor.ds")
R=(--resolver 127.53.3.1 --resolver 127.53.3.2)
TMP=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() { echo "ok   web: $1"; }
fail() { echo "FAIL web: $1"; }
check() { # check DESCRIPTION CMD... : ok when CMD succeeds
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$what"; else fail "$what"; fi
}

# start_server NAME ADDR:PORT ARGS... — start serve, wait for /healthz.
start_server() {
	local name=$1 listen=$2
	shift 2
	"$BIN" serve --listen "$listen" "${C[@]}" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	local pid=$!
	PIDS+=("$pid")
	eval "PID_$name=$pid"
	for _ in $(seq 50); do
		curl -s -o /dev/null "http://$listen/healthz" && return 0
		sleep 0.1
	done
	fail "server $name did not start ($(head -c 300 "$TMP/$name.err"))"
	return 1
}

# stop_server NAME — SIGTERM; the server must exit 0 with no sanitizer report.
stop_server() {
	local name=$1 pidvar="PID_$1"
	local pid=${!pidvar}
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	local rc=$?
	if [ $rc = 0 ] && ! grep -q -E "AddressSanitizer|LeakSanitizer|runtime error" "$TMP/$name.err"; then
		ok "server $name stops cleanly on SIGTERM"
	else
		fail "server $name stop: exit $rc, $(grep -m3 -E "Sanitizer|runtime error|ERROR" "$TMP/$name.err")"
	fi
}

# get URL [CURL ARGS] — body to $TMP/body, headers to $TMP/hdr, prints the status code.
get() {
	local url=$1
	shift
	curl -s -o "$TMP/body" -D "$TMP/hdr" -w '%{http_code}' --max-time 30 "$@" "$url"
}

# expect CODE DESCRIPTION URL [CURL ARGS]
expect() {
	local code=$1 what=$2 url=$3
	shift 3
	local got
	got=$(get "$url" "$@")
	if [ "$got" = "$code" ]; then ok "$what ($code)"; else fail "$what: expected $code, got $got: $(head -c 200 "$TMP/body")"; fi
}

# A slow client (headers never finished) is cut off when the request head has
# not arrived whole within --header-timeout (408); it runs in the background
# while the rest goes on.
S=127.0.0.1:18058
start_server slow $S --allow-private --no-resolvers --header-timeout 4 || exit 0
(
	exec 8<>/dev/tcp/127.0.0.1/18058
	printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n' >&8
	t0=$(date +%s)
	timeout 30 cat <&8 >"$TMP/slow.body"
	echo $(($(date +%s) - t0)) >"$TMP/slow.secs"
) &
slowpid=$!

A=127.0.0.1:18053
start_server main $A --allow-private "${R[@]}" --rate 100000 --max-checks 2 || exit 0

# --- basics and headers
expect 200 "GET /healthz" "http://$A/healthz"
expect 200 "GET / (the form)" "http://$A/"
check "the form has a labelled name field" grep -q '<label for="name">' "$TMP/body"
check "CSP without inline script, frame denial, nosniff" sh -c "grep -qi \"^Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'\" '$TMP/hdr' && grep -qi '^X-Frame-Options: DENY' '$TMP/hdr' && grep -qi '^X-Content-Type-Options: nosniff' '$TMP/hdr' && grep -qi \"frame-ancestors 'none'\" '$TMP/hdr'"
check "no inline script or style attribute on the form page" sh -c "! grep -q -E '<script>|<script [^>]*>[^<]|style=\"|<style' '$TMP/body'"
expect 200 "GET /static/style.css" "http://$A/static/style.css"
check "CSS served as text/css" grep -qi '^Content-Type: text/css' "$TMP/hdr"
expect 200 "GET /static/app.js" "http://$A/static/app.js"
expect 200 "HEAD /" "http://$A/" -I

# --- the API equals the CLI, field by field, except what varies between runs
# What varies between runs: times; the number of queries sent (the server shares root
# and TLD answers between checks, a single CLI check has none to share); and in the
# resolvers' answers, the TTLs (they count down in the resolver's cache) and the
# order (a resolver rotates RRsets).
VARY='del(.probed_at, .validated_at, .action.deadline, .probe.elapsed_ms, .probe.queries, .resolvers[]?.rtt_ms, .resolvers[]?.rtt_cd_ms)
	| .resolvers[]?.answer |= (map(sub("\\t[0-9]+\\tIN\\t"; "\tTTL\tIN\t")) | sort)'
for case in "www.kskroll.test A" "www.good13.test A" "www.expired.test A" "www.unsigned.test A" \
	"nope.good13.test A" "cname.good13.test A" "good13.test DNSKEY" "www.alldead.test A" "www.ok.broken A"; do
	set -- $case
	# Once to warm the resolvers' caches: a validating Unbound words its EDE for a
	# bogus name differently the first time (EDE 9) and from its cache (EDE 6).
	"$BIN" "${C[@]}" "${R[@]}" --json "$1" "$2" >/dev/null 2>&1
	"$BIN" "${C[@]}" "${R[@]}" --json "$1" "$2" >"$TMP/cli.json" 2>/dev/null
	code=$(get "http://$A/api/v1/check?name=$1&type=$2")
	if [ "$code" = 200 ] && grep -qi '^Content-Type: application/json' "$TMP/hdr" &&
		diff <(jq -S "$VARY" "$TMP/cli.json") <(jq -S "$VARY" "$TMP/body") >"$TMP/diff"; then
		ok "API JSON equals the CLI's for $1 $2"
	else
		fail "API JSON for $1 $2 (HTTP $code): $(head -c 600 "$TMP/diff")"
	fi
done

# --- the result page for a broken name
expect 200 "result page for www.stale.test" "http://$A/check?name=www.stale.test"
check "the DNS check names the stale server, and only it" sh -c "grep -q 'DNS check: what each server returned' '$TMP/body' && grep -o '<tr class=\"server-fails\"><th scope=\"row\">[^<]*<br>[0-9.]*' '$TMP/body' | grep -q '127.53.2.3' && [ \$(grep -o 'class=\"server-fails\"' '$TMP/body' | wc -l) = 1 ]"
expect 200 "result page for www.kskroll.test" "http://$A/check?name=www.kskroll.test"
page=$TMP/body
check "page: the diagram marks kskroll.test. as the broken link" grep -q 'BROKEN LINK' "$page"
check "page: the chain table says where it breaks" grep -q 'the chain breaks here' "$page"
check "page: the DS record to publish is copyable" sh -c "grep -A1 '<pre class=\"records\"' '$page' | grep -q -P 'kskroll\\.test\\.\\t\\d+\\tIN\\tDS\\t'"
check "page: who must act (the registrar)" grep -q 'Who must act:</strong> the registrar (parent) of kskroll.test.' "$page"
check "page: the emergency stop and its cost" sh -c "grep -q 'Emergency stop' '$page' && grep -q 'The cost:' '$page'"
check "page: the checklist sections in order" sh -c "grep -o -E 'id=\"s[1-6]\"' '$page' | tr -d '\\n' | grep -q 's1.*s2.*s3.*s4.*s5.*s6'"
check "page: resolver EDE shown" grep -q 'EDE 9 (DNSKEY Missing)' "$page"
check "page: inline SVG with a title and description" sh -c "grep -q '<svg xmlns=\"http://www.w3.org/2000/svg\"' '$page' && grep -q 'aria-labelledby=\"chain-title chain-desc\"' '$page'"
check "page: no inline script or style attribute" sh -c "! grep -q -E '<script>|style=\"|<style' '$page'"
# Every case of the world: the page's broken link (diagram and table) is the case's broken zone.
n=0
bad=""
while IFS=$'\t' read -r name type status ede broken rest; do
	case $name in "#"* | name | "") continue ;; esac
	get "http://$A/check?name=$name&type=$type" >/dev/null
	got_row=$(grep -o '<tr class="broken"><th scope="row">[^<]*</th>' "$TMP/body" | sed 's/.*"row">//; s/<.*//')
	got_svg=$(grep -B1 -- '-width="4"/>' "$TMP/body" | grep -o '<g><title>[^<]*' | sed 's/<g><title>//')
	want=$broken
	[ "$want" = - ] && want=""
	n=$((n + 1))
	[ "$got_row" = "$want" ] && [ "$got_svg" = "$want" ] || bad="$bad $name(want '$want', table '$got_row', diagram '$got_svg')"
done <"$W/cases.tsv"
if [ -z "$bad" ] && [ $n -gt 10 ]; then ok "the page marks the right broken link for all $n cases of the world"; else fail "broken link on the page:$bad"; fi
expect 200 "result page for a healthy name" "http://$A/check?name=www.good13.test"
check "healthy page: secure badge, no broken link" sh -c "grep -q 'badge ok' '$TMP/body' && ! grep -q 'BROKEN LINK' '$TMP/body'"

# --- hostile strings from DNS are escaped
expect 200 "result page for a TXT with markup" "http://$A/check?name=hostile.good13.test&type=TXT"
if ! grep -q -E '<script>alert|<img src=x' "$TMP/body" && grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$TMP/body" &&
	grep -q '&lt;img src=x onerror=alert(2)&gt;' "$TMP/body"; then
	ok "hostile TXT data is escaped in HTML"
else
	fail "hostile TXT data not escaped: $(grep -o -m2 -E '.{20}(script|img src).{20}' "$TMP/body")"
fi

# --- the CLI's SVG
"$BIN" "${C[@]}" --no-resolvers --format svg www.kskroll.test >"$TMP/chain.svg" 2>/dev/null
if python3 -c 'import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); sys.exit(0 if r.tag.endswith("svg") else 1)' "$TMP/chain.svg" &&
	grep -q 'breaks here' "$TMP/chain.svg" && grep -q '<title id="chain-title">' "$TMP/chain.svg"; then
	ok "--format svg is well-formed XML with the broken link marked"
else
	fail "--format svg: $(head -c 300 "$TMP/chain.svg")"
fi
"$BIN" "${C[@]}" --no-resolvers --format svg hostile.good13.test TXT >"$TMP/h.svg" 2>/dev/null
check "--format svg is well-formed for a hostile name too" python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$TMP/h.svg"

# --- bad input: 4xx with a clear message, never 5xx
expect 400 "missing name (API)" "http://$A/api/v1/check"
check "missing name: JSON error object" jq -e '.error | test("missing name")' "$TMP/body"
expect 400 "empty name (page)" "http://$A/check?name="
check "error page shows the form and the message" sh -c "grep -q 'Cannot check this' '$TMP/body' && grep -q '<form' '$TMP/body'"
expect 400 "empty label" "http://$A/api/v1/check?name=a..test"
expect 400 "label over 63 octets" "http://$A/api/v1/check?name=$(printf 'a%.0s' $(seq 64)).test"
expect 400 "markup in the name (page)" "http://$A/check?name=%3Cscript%3Ealert(1)%3C/script%3E"
check "markup in the name is escaped on the error page" sh -c "! grep -q '<script>alert' '$TMP/body' && grep -q '&lt;script&gt;' '$TMP/body'"
expect 400 "NUL in the name" "http://$A/api/v1/check?name=a%00b.test"
expect 400 "invalid UTF-8 in the name" "http://$A/api/v1/check?name=%ff%fe.test"
expect 400 "unknown type" "http://$A/api/v1/check?name=www.good13.test&type=NOTATYPE"
expect 400 "type ANY refused" "http://$A/api/v1/check?name=www.good13.test&type=ANY"
expect 400 "type AXFR refused" "http://$A/api/v1/check?name=www.good13.test&type=AXFR"
# Type numbers wrap at 16 bits in ldns: TYPE65788 was checked as AXFR, TYPE65791 as ANY.
for t in TYPE65791 TYPE65577 TYPE65536 TYPE0 TSIG TKEY MAILA MAILB IXFR OPT TYPE65788; do
	expect 400 "type $t refused" "http://$A/api/v1/check?name=www.good13.test&type=$t"
done
check "TYPE65788: the error says why" jq -e '.error | test("type numbers end at 65535")' "$TMP/body"
expect 400 "a URL for a name" "http://$A/api/v1/check?name=http%3A%2F%2Fwww.good13.test%2F"
check "a URL: the error names the host to check" jq -e '.error | test("give www.good13.test$")' "$TMP/body"
expect 400 "malformed percent-encoding" "http://$A/api/v1/check?name=%zz"
expect 414 "over-long query string" "http://$A/api/v1/check?name=$(printf 'a%.0s' $(seq 3000))"
expect 405 "POST to the API" "http://$A/api/v1/check?name=www.good13.test" -X POST -d x=1
check "405 carries Allow: GET" grep -qi '^Allow: GET' "$TMP/hdr"
expect 405 "DELETE /" "http://$A/" -X DELETE
expect 405 "HEAD on a check" "http://$A/check?name=www.good13.test" -I
expect 404 "unknown path" "http://$A/etc/passwd"
expect 404 "path traversal" "http://$A/static/../../etc/passwd" --path-as-is
code=$(get "http://$A/" -H "X-Big: $(printf 'b%.0s' $(seq 10000))")
case $code in 4??) ok "oversized headers refused ($code)" ;; *) fail "oversized headers: HTTP $code" ;; esac
code=$(get "http://$A/" -X POST --data-binary @<(head -c 100000 /dev/zero | tr '\0' a))
case $code in 4??) ok "oversized body refused ($code)" ;; *) fail "oversized body: HTTP $code" ;; esac
# A request line that is not HTTP.
resp=$(printf 'GARBAGE\r\n\r\n' | timeout 5 bash -c "exec 3<>/dev/tcp/${A%:*}/${A#*:}; cat >&3; cat <&3" 2>/dev/null | head -1)
case $resp in "HTTP/1."?" 4"*|"") ok "garbage request line: ${resp:-closed} (no 5xx)" ;; *) fail "garbage request line: $resp" ;; esac

# International names become A-labels.
code=$(get "http://$A/api/v1/check?name=b%C3%BCcher.good13.test")
if [ "$code" = 200 ] && jq -e '.query.name == "xn--bcher-kva.good13.test."' "$TMP/body" >/dev/null; then
	ok "IDN name normalised to A-labels (xn--bcher-kva.good13.test.)"
else
	fail "IDN name: HTTP $code $(head -c 200 "$TMP/body")"
fi
expect 400 "invalid IDNA2008 name" "http://$A/api/v1/check?name=%E2%98%83%E2%80%8D.test"

# --- slow clients do not block others: a half-sent request stays open while checks go on
exec 7<>/dev/tcp/127.0.0.1/18053
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n' >&7
expect 200 "a check is served while another client sends slowly" "http://$A/api/v1/check?name=www.good13.test"
exec 7>&-

# --- HTTP as an attacker would (tests/system/web_attack.py): smuggling shapes,
# malformed heads and other methods are answered by us (400/405/431, our headers,
# Connection: close, no reset); a bad head pipelined after a good one
python3 "$(dirname "$0")/web_attack.py" "${A%:*}" "${A#*:}" smuggle
python3 "$(dirname "$0")/web_attack.py" "${A%:*}" "${A#*:}" pipeline
code=$(get "http://$A/api/v1/check?name=www.good13.test")
if [ "$code" = 200 ] && jq -e '.status == "secure"' "$TMP/body" >/dev/null; then
	ok "a healthy name still checks right after the hostile requests"
else
	fail "healthy name after hostile requests: HTTP $code $(head -c 200 "$TMP/body")"
fi

# --- concurrency: more requests than workers all get answers (200 or 429, never 5xx)
seq 12 | xargs -P 12 -I{} curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 "http://$A/api/v1/check?name=www.good8.test" >"$TMP/codes"
if [ "$(grep -c -E '^(200|429)$' "$TMP/codes")" = 12 ]; then
	ok "12 parallel checks on 2 workers: $(sort "$TMP/codes" | uniq -c | tr -s ' ' | tr '\n' ' ')"
else
	fail "parallel checks: $(sort "$TMP/codes" | uniq -c | tr '\n' ' ')"
fi
expect 200 "still healthy after all that" "http://$A/healthz"
# SIGTERM during a slow check (a silent name server: timeouts): the check is answered, then the server stops.
curl -s -o "$TMP/drain.json" -w '%{http_code}' --max-time 30 "http://$A/api/v1/check?name=www.silentns.test" >"$TMP/drain.code" &
cpid=$!
sleep 0.4
stop_server main
wait $cpid
if [ "$(cat "$TMP/drain.code")" = 200 ] && jq -e '.query.name == "www.silentns.test."' "$TMP/drain.json" >/dev/null; then
	ok "a check in hand at SIGTERM is still answered"
else
	fail "check in hand at SIGTERM: HTTP $(cat "$TMP/drain.code")"
fi

# --- the per-client rate limit
B=127.0.0.1:18054
start_server rate $B --allow-private --no-resolvers --rate 3 || exit 0
codes=""
for i in 1 2 3 4; do codes="$codes $(get "http://$B/api/v1/check?name=www.good13.test")"; done
if [ "$codes" = " 200 200 200 429" ] && grep -qi '^Retry-After: [1-9]' "$TMP/hdr" && jq -e '.error | test("too many")' "$TMP/body" >/dev/null; then
	ok "rate limit: the 4th check in a minute gets 429 with Retry-After"
else
	fail "rate limit: codes$codes, $(grep -i retry-after "$TMP/hdr")"
fi
expect 429 "rate limit applies to the page too" "http://$B/check?name=www.good13.test"
expect 200 "rate limit does not apply to /healthz" "http://$B/healthz"
stop_server rate

# --- private targets are refused without --allow-private, with a finding
P=127.0.0.1:18055
start_server private $P "${R[@]}" || exit 0
code=$(get "http://$P/api/v1/check?name=www.good13.test")
if [ "$code" = 200 ] && jq -e '.status == "indeterminate" and .probe.queries == 0
	and ([.findings[] | select(.id == "SERVER_NOT_QUERIED")] | length >= 2)
	and ([.findings[] | select(.id == "SERVER_NOT_QUERIED") | .summary] | all(test("loopback")))' "$TMP/body" >/dev/null; then
	ok "without --allow-private no loopback server is queried; SERVER_NOT_QUERIED says why"
else
	fail "private refusal: HTTP $code $(jq -c '{status, q: .probe, f: [.findings[].id]}' "$TMP/body" 2>&1 | head -c 400)"
fi
code=$(get "http://$P/check?name=www.good13.test")
check "the page shows the refusal" sh -c "[ $code = 200 ] && grep -q 'SERVER_NOT_QUERIED' '$TMP/body'"
stop_server private

# --- the per-address query budget across checks
Q=127.0.0.1:18056
start_server budget $Q --allow-private --no-resolvers --target-budget 4 || exit 0
get "http://$Q/api/v1/check?name=www.good13.test" >/dev/null
get "http://$Q/api/v1/check?name=www.good13.test" >/dev/null
if jq -e '.status == "indeterminate" and ([.findings[] | select(.id == "CHECK_INCOMPLETE") | .summary] | length > 0 and all(test("query budget for 127")))' "$TMP/body" >/dev/null; then
	ok "per-address query budget: a used-up address is not asked; the check stops without a verdict and says why"
else
	fail "query budget: $(jq -c '[.findings[] | {id, summary}]' "$TMP/body" | head -c 400)"
fi
stop_server budget

# --- slowloris: 20 clients dribble a header byte a second; /healthz stays quick
# for others, and each slow client is cut off (408) once --header-timeout passes
L=127.0.0.1:18059
start_server loris $L --allow-private --no-resolvers --header-timeout 3 || exit 0
python3 "$(dirname "$0")/web_attack.py" "${L%:*}" "${L#*:}" slowloris 20 3
stop_server loris

# --- connection caps: per client address (429) and in all (503), answered and
# drained before the close; others are still served
K=127.0.0.1:18060
start_server caps $K --allow-private --no-resolvers --max-client-connections 5 --max-connections 8 || exit 0
python3 "$(dirname "$0")/web_attack.py" "${K%:*}" "${K#*:}" client-cap 5
python3 "$(dirname "$0")/web_attack.py" "${K%:*}" "${K#*:}" total-cap 8
stop_server caps

# --- out of descriptors: a server with 40 of them gets 300 connections at once;
# accept() fails with EMFILE, the server pauses accepting and says so once
F=127.0.0.1:18061
(
	ulimit -n 40
	exec "$BIN" serve --listen $F "${C[@]}" --allow-private --no-resolvers --max-client-connections 1000
) >"$TMP/fds.out" 2>"$TMP/fds.err" &
PID_fds=$!
PIDS+=("$PID_fds")
for _ in $(seq 50); do curl -s -o /dev/null "http://$F/healthz" && break; sleep 0.1; done
python3 "$(dirname "$0")/web_attack.py" "${F%:*}" "${F#*:}" flood 300
n=$(grep -c 'accept:' "$TMP/fds.err")
if kill -0 "$PID_fds" 2>/dev/null && [ "$n" -le 2 ]; then
	ok "out of descriptors: $n line(s) about accept() on standard error, no flood ($(wc -c <"$TMP/fds.err") bytes in all)"
else
	fail "out of descriptors: $n accept lines, $(wc -c <"$TMP/fds.err") bytes of standard error"
fi
stop_server fds

# --- bad serve options
"$BIN" serve --listen nonsense "${C[@]}" --no-resolvers >/dev/null 2>"$TMP/e"
rc=$?
check "serve --listen nonsense: exit 3 with a message" sh -c "[ $rc = 3 ] && grep -q -- '--listen' '$TMP/e'"
"$BIN" serve --listen 127.0.0.1:18057 "${C[@]}" --no-resolvers extra >/dev/null 2>"$TMP/e"
rc=$?
check "serve with a stray argument: exit 3" sh -c "[ $rc = 3 ] && grep -q 'unexpected argument' '$TMP/e'"

wait $slowpid
secs=$(cat "$TMP/slow.secs" 2>/dev/null)
if [ -n "$secs" ] && [ "$secs" -ge 3 ] && [ "$secs" -le 10 ] && head -1 "$TMP/slow.body" | grep -q '^HTTP/1.1 408 ' &&
	grep -qi '^X-Frame-Options: DENY' "$TMP/slow.body"; then
	ok "a client that never finishes its headers gets 408 (with our headers) and is cut off after ${secs} s"
else
	fail "slow client: cut off after ${secs:-?} s, got $(head -c 100 "$TMP/slow.body")"
fi
stop_server slow
