#!/usr/bin/env bash
# watch.sh BIN WORLD — `dnssec-doctor watch` against the test world at a 1 s
# interval: /metrics accepted by promtool and scraped by a real Prometheus
# (when Debian's prometheus package is there), the statuses of world names,
# the status page and /report, a zone broken and repaired under the watcher's
# eyes (its RRSIGs stripped, NSD reloaded, then the original restored) and
# what the SQLite history and `history` say about it, SIGHUP reloading the
# names file, SIGTERM writing the history and exiting 0, a restart that adds
# no rows, and bad input. Runs inside tests/world/netns.sh.
set -u
BIN=$1
W=$2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export DNSSEC_DOCTOR_OFFLINE=1
C=(--root-hints "$W/root.hints" --trust-anchor "$W/root-anchor.ds" --no-resolvers)
TMP=$(mktemp -d)
L=127.0.0.1:19553
P=127.0.0.1:19590
ZONE=$W/zones/good15.test.signed
NSDPID=$W/nsd/leaf1/nsd.pid
PIDS=()
cp "$ZONE" "$TMP/good15.orig"
restore_zone() {
	if ! cmp -s "$ZONE" "$TMP/good15.orig"; then
		cp "$TMP/good15.orig" "$ZONE"
		kill -HUP "$(cat "$NSDPID")" 2>/dev/null
	fi
}
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	restore_zone
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() { echo "ok   watch: $1"; }
fail() { echo "FAIL watch: $1"; }
check() { # check DESCRIPTION CMD... : ok when CMD succeeds
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$what"; else fail "$what"; fi
}
metrics() { curl -s --max-time 10 "http://$L/metrics"; }
# status NAME TYPE: the status whose series is 1
status() { metrics | sed -n -E "s/^dnssec_doctor_status\{name=\"$1\",type=\"$2\",status=\"([a-z]+)\"\} 1$/\1/p"; }
# until_ok DESCRIPTION CMD...: poll CMD (0.2 s apart, at most 60 s)
until_ok() {
	local what=$1
	shift
	for _ in $(seq 300); do
		if "$@" >/dev/null 2>&1; then
			ok "$what"
			return 0
		fi
		# The watcher died: no use waiting.
		if [ -n "${WPID:-}" ] && ! kill -0 "$WPID" 2>/dev/null; then
			fail "$what (the watcher is gone: $(grep -m3 -E "Sanitizer|runtime error|ERROR|dnssec-doctor: [^0-9]" "$TMP/err" | tr '\n' ' '))"
			return 1
		fi
		sleep 0.2
	done
	fail "$what (not within 60 s)"
	return 1
}
is_status() { [ "$(status "$1" "$2")" = "$3" ]; }
rows() { sqlite3 "$1" "$2"; }

printf '# watched by the system test\nwww.good13.test.\nwww.expired.test. A\n\nwww.good15.test.\n' >"$TMP/names"
"$BIN" watch --interval 1 --db "$TMP/h.db" --listen "$L" "${C[@]}" "$TMP/names" 2>"$TMP/err" &
WPID=$!
PIDS+=("$WPID")
until_ok "/healthz answers" curl -sf "http://$L/healthz" || { cat "$TMP/err"; exit 0; }
until_ok "the first round reports every name" sh -c "[ \$(curl -s http://$L/metrics | grep -c '^dnssec_doctor_status{.*} 1\$') = 3 ]"

# --- the exposition
metrics >"$TMP/m1"
if command -v promtool >/dev/null; then
	if promtool check metrics <"$TMP/m1" >"$TMP/promtool" 2>&1; then ok "promtool check metrics accepts /metrics"; else
		fail "promtool check metrics: $(head -c 400 "$TMP/promtool")"; fi
else
	fail "promtool not installed (scripts/deps.sh installs prometheus)"
fi
for fam in "dnssec_doctor_status gauge" "dnssec_doctor_signature_expiry_timestamp_seconds gauge" \
	"dnssec_doctor_findings gauge" "dnssec_doctor_check_duration_seconds gauge" \
	"dnssec_doctor_last_check_timestamp_seconds gauge" "dnssec_doctor_checks_total counter"; do
	f=${fam% *}
	if [ "$(grep -c "^# TYPE $fam\$" "$TMP/m1")" = 1 ] && [ "$(grep -c "^# HELP $f " "$TMP/m1")" = 1 ]; then :; else
		fail "family $f: HELP and TYPE once each"; fi
done
ok "every family has one HELP and one TYPE line"
check "www.good13.test. A is secure" is_status 'www\.good13\.test\.' A secure
check "www.expired.test. A is bogus" is_status 'www\.expired\.test\.' A bogus
check "www.good15.test. A is secure" is_status 'www\.good15\.test\.' A secure
check "five status series per name, one of them 1" sh -c "[ \$(grep -c '^dnssec_doctor_status{name=\"www.expired.test.\"' '$TMP/m1') = 5 ] && [ \$(grep -c '^dnssec_doctor_status{name=\"www.expired.test.\".* 0\$' '$TMP/m1') = 4 ]"
now=$(date +%s)
exp=$(sed -n -E 's/^dnssec_doctor_signature_expiry_timestamp_seconds\{name="www.good13.test.",type="A"\} ([0-9]+)$/\1/p' "$TMP/m1")
if [ -n "$exp" ] && [ "$exp" -gt "$now" ] && [ "$exp" -lt $((now + 400 * 86400)) ]; then
	ok "the earliest signature expiry of www.good13.test. is in the future ($(date -u -d "@$exp" +%FT%TZ))"
else fail "expiry of www.good13.test.: '$exp'"; fi
check "the expired name's findings count an error" grep -qE '^dnssec_doctor_findings\{name="www.expired.test.",type="A",severity="error"\} [1-9]' "$TMP/m1"
check "a duration and a last-check time per name" sh -c "grep -qE '^dnssec_doctor_check_duration_seconds\\{name=\"www.good13.test.\",type=\"A\"\\} [0-9.]+\$' '$TMP/m1' && grep -qE '^dnssec_doctor_last_check_timestamp_seconds\\{name=\"www.good13.test.\",type=\"A\"\\} 1[0-9]{9}\$' '$TMP/m1'"
t1=$(sed -n -E 's/^dnssec_doctor_checks_total\{status="bogus"\} ([0-9]+)$/\1/p' "$TMP/m1")
until_ok "names are checked again every interval (checks_total grows)" sh -c "[ \$(curl -s http://$L/metrics | sed -n -E 's/^dnssec_doctor_checks_total\\{status=\"bogus\"\\} ([0-9]+)\$/\\1/p') -ge $((t1 + 2)) ]"

# --- status page and report
code=$(curl -s -o "$TMP/page" -D "$TMP/hdr" -w '%{http_code}' "http://$L/")
if [ "$code" = 200 ] && grep -q 'www.expired.test.' "$TMP/page" && grep -q 'class="status bogus"' "$TMP/page" &&
	grep -q 'href="/report?name=www.expired.test.&amp;type=A"' "$TMP/page"; then ok "status page lists the names, their status and a report link"; else
	fail "status page ($code)"; fi
check "status page has serve's security headers" sh -c "grep -qi \"^Content-Security-Policy: default-src 'none'\" '$TMP/hdr' && grep -qi '^X-Content-Type-Options: nosniff' '$TMP/hdr' && grep -qi '^X-Frame-Options: DENY' '$TMP/hdr'"
check "no inline script or style on the status page" sh -c "! grep -q -E '<script|style=\"|<style' '$TMP/page'"
check "/report gives the name's full JSON report" sh -c "curl -sf 'http://$L/report?name=www.expired.test&type=A' | jq -e '.status == \"bogus\" and .broken_zone == \"expired.test.\"'"
check "/report of a name not watched: 404" sh -c "[ \$(curl -s -o /dev/null -w '%{http_code}' 'http://$L/report?name=www.kskroll.test') = 404 ]"
check "/report with a bad name: 400" sh -c "[ \$(curl -s -o /dev/null -w '%{http_code}' 'http://$L/report?name=a..b') = 400 ]"
check "POST /metrics: 405" sh -c "[ \$(curl -s -o /dev/null -w '%{http_code}' -X POST 'http://$L/metrics') = 405 ]"
check "unknown path: 404" sh -c "[ \$(curl -s -o /dev/null -w '%{http_code}' 'http://$L/nope') = 404 ]"

# --- a real Prometheus scrapes the watcher and evaluates the example alert rules
RULES=$ROOT/docs/watch-alerts.yml
if command -v prometheus >/dev/null && command -v promtool >/dev/null; then
	if promtool check rules "$RULES" >"$TMP/rules" 2>&1; then ok "promtool check rules accepts docs/watch-alerts.yml"; else
		fail "promtool check rules: $(head -c 400 "$TMP/rules")"; fi
	cat >"$TMP/prom.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ['$RULES']
scrape_configs:
  - job_name: dnssec-doctor
    static_configs:
      - targets: ['$L']
EOF
	prometheus --config.file="$TMP/prom.yml" --storage.tsdb.path="$TMP/prom" --web.listen-address="$P" \
		>"$TMP/prom.log" 2>&1 &
	PROMPID=$!
	PIDS+=("$PROMPID")
	until_ok "Prometheus scrapes /metrics: the bogus name is bogus there" sh -c "curl -s 'http://$P/api/v1/query' --data-urlencode 'query=dnssec_doctor_status{status=\"bogus\"} == 1' | jq -e '[.data.result[].metric.name] == [\"www.expired.test.\"]'"
	until_ok "Prometheus has the expiry of www.good13.test." sh -c "curl -s 'http://$P/api/v1/query' --data-urlencode 'query=dnssec_doctor_signature_expiry_timestamp_seconds{name=\"www.good13.test.\"}' | jq -e '.data.result[0].value[1] == \"$exp\"'"
	until_ok "the example rule DNSSECBogus is active for www.expired.test. only" sh -c "curl -s 'http://$P/api/v1/alerts' | jq -e '[.data.alerts[] | select(.labels.alertname == \"DNSSECBogus\") | .labels.name] == [\"www.expired.test.\"]'"
	kill "$PROMPID"
	wait "$PROMPID" 2>/dev/null
else
	fail "prometheus not installed (scripts/deps.sh installs it): no real scrape"
fi

# --- a zone broken and repaired: its RRSIGs stripped, NSD reloaded, then restored
grep -v RRSIG "$TMP/good15.orig" >"$ZONE"
kill -HUP "$(cat "$NSDPID")"
until_ok "a broken zone turns bogus within a few intervals" is_status 'www\.good15\.test\.' A bogus
sleep 2 # a few more checks of the broken zone: they must not add rows
restore_zone
until_ok "the repaired zone is secure again" is_status 'www\.good15\.test\.' A secure

# --- SIGHUP: reload the names file (a bad file keeps the names of before)
echo "www.kskroll.test. AAAA" >>"$TMP/names"
kill -HUP "$WPID"
until_ok "SIGHUP adds a name from the names file" is_status 'www\.kskroll\.test\.' AAAA bogus
cp "$TMP/names" "$TMP/names.good"
echo "bad..name" >>"$TMP/names"
kill -HUP "$WPID"
until_ok "a bad names file on SIGHUP is reported and the old names kept" grep -q "reload: .*line 7: invalid name.*still watching the 4 names" "$TMP/err"
check "the old names are still watched" is_status 'www\.kskroll\.test\.' AAAA bogus
grep -v good13 "$TMP/names.good" >"$TMP/names"
kill -HUP "$WPID"
until_ok "SIGHUP drops a name no longer in the file" sh -c "! curl -s http://$L/metrics | grep -q 'name=\"www.good13.test.\"'"

# --- SIGTERM: exit 0, history written
kill -TERM "$WPID"
wait "$WPID"
rc=$?
if [ $rc = 0 ] && ! grep -q -E "AddressSanitizer|LeakSanitizer|runtime error" "$TMP/err"; then ok "SIGTERM: exit 0"; else
	fail "SIGTERM: exit $rc, $(grep -m3 -E "Sanitizer|runtime error|ERROR" "$TMP/err")"; fi
DB=$TMP/h.db
check "the database is in WAL mode" sh -c "[ \"\$(sqlite3 '$DB' 'PRAGMA journal_mode')\" = wal ]"
g15=$(rows "$DB" "SELECT status || ':' || findings FROM checks WHERE name = 'www.good15.test.' AND kind = 'change' ORDER BY t, id" | tr '\n' ' ')
if [ "$g15" = "secure: bogus:RRSIG_MISSING secure: " ]; then ok "history: secure, bogus (RRSIG_MISSING), secure again: one row per change"; else
	fail "history rows of www.good15.test.: '$g15'"; fi
check "history: the break has its EDE and broken zone" sh -c "[ \"\$(sqlite3 '$DB' \"SELECT ede || ' ' || broken_zone FROM checks WHERE name = 'www.good15.test.' AND status = 'bogus'\")\" = '10 good15.test.' ]"
n13=$(rows "$DB" "SELECT count(*) FROM checks WHERE name = 'www.good13.test.'")
nchk=$(rows "$DB" "SELECT count(*) FROM checks")
if [ "$n13" = 1 ]; then ok "a name that did not change has one row, not one per check ($nchk rows in all)"; else
	fail "www.good13.test. has $n13 rows"; fi
check "change rows keep the full report" sh -c "sqlite3 '$DB' \"SELECT report FROM checks WHERE name = 'www.good15.test.' AND status = 'bogus'\" | jq -e '.status == \"bogus\"'"
check "the reloaded name has its row" sh -c "[ \"\$(sqlite3 '$DB' \"SELECT status FROM checks WHERE name = 'www.kskroll.test.' AND type = 'AAAA'\")\" = bogus ]"

# --- history
"$BIN" history --db "$DB" www.good15.test >"$TMP/hist" 2>&1
hrc=$?
if [ $hrc = 0 ] && head -1 "$TMP/hist" | grep -q -E '^www\.good15\.test\. A: secure since [0-9T:-]+Z \([0-9]+ s\); before: bogus for [0-9]+ s' &&
	[ "$(grep -c -E '^  [0-9T:-]+Z  ' "$TMP/hist")" = 3 ] && grep -q 'bogus .*RRSIG_MISSING (EDE 10, broken zone good15.test.)' "$TMP/hist"; then
	ok "history prints the break and the repair"
else
	fail "history (exit $hrc): $(cat "$TMP/hist")"
fi
check "history --json: periods secure, bogus, secure (newest first)" sh -c "'$BIN' history --db '$DB' --json www.good15.test A | jq -e '[.timelines[0].periods[].status] == [\"secure\", \"bogus\", \"secure\"] and .timelines[0].periods[1].findings == [\"RRSIG_MISSING\"]'"
"$BIN" history --db "$DB" www.unsigned.test >/dev/null 2>"$TMP/e"
hrc=$?
if [ $hrc = 3 ] && grep -q "has no history" "$TMP/e"; then ok "history of an unknown name: exit 3 with a message"; else fail "history unknown name: exit $hrc"; fi

# --- a restart with the same database adds no row for an unchanged name (--rounds 1 ends it)
printf 'www.good13.test.\nwww.expired.test.\n' >"$TMP/names2"
timeout 120 "$BIN" watch --interval 1 --rounds 1 --db "$DB" "${C[@]}" "$TMP/names2" 2>"$TMP/err2"
rc=$?
n2=$(rows "$DB" "SELECT count(*) FROM checks")
if [ $rc = 0 ] && [ "$n2" = "$nchk" ]; then ok "a restart finds the last rows: no new row for unchanged names (--rounds 1, exit 0)"; else
	fail "restart: exit $rc, $n2 rows, had $nchk: $(head -c 300 "$TMP/err2")"; fi

: >"$TMP/empty"
timeout 60 "$BIN" watch --rounds 1 --db "$TMP/e.db" "${C[@]}" "$TMP/empty" 2>/dev/null
rc=$?
if [ $rc = 0 ]; then ok "an empty names file with --rounds 1 ends at once (exit 0)"; else fail "empty names file, --rounds 1: exit $rc"; fi

# --- SIGTERM before any periodic flush: the queued rows are written on the way out
# (with --warn-days 400: every signature of the world, valid for 30 days, expires "soon")
"$BIN" watch --interval 3600 --warn-days 400 --db "$TMP/h2.db" --listen "$L" "${C[@]}" "$TMP/names2" 2>"$TMP/err3" &
WPID=$!
PIDS+=("$WPID")
until_ok "long-interval watcher: first round done" sh -c "[ \$(curl -s http://$L/metrics | grep -c '^dnssec_doctor_status{.*} 1\$') = 2 ]"
check "check options reach watch's checks: --warn-days makes a soon-expiring signature a warning" sh -c "curl -s http://$L/metrics | grep -q -E '^dnssec_doctor_findings\\{name=\"www.good13.test.\",type=\"A\",severity=\"warning\"\\} [1-9]'"
before=$(rows "$TMP/h2.db" "SELECT count(*) FROM checks")
kill -TERM "$WPID"
wait "$WPID"
rc=$?
after=$(rows "$TMP/h2.db" "SELECT count(*) FROM checks")
if [ $rc = 0 ] && [ "$before" = 0 ] && [ "$after" = 2 ]; then ok "SIGTERM writes the queued history (0 rows before, 2 after)"; else
	fail "SIGTERM flush: exit $rc, rows $before before and $after after"; fi

# --- --format nagios: one plugin line, performance data, the check's exit code
nagios() { # nagios NAME CODE PATTERN
	local out r
	out=$("$BIN" "${C[@]}" --format nagios "$1" 2>/dev/null)
	r=$?
	if [ $r = "$2" ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && printf '%s' "$out" | grep -q -E "$3"; then
		ok "--format nagios $1: $(printf '%s' "$out" | cut -d' ' -f1-2), exit $r"
	else
		fail "--format nagios $1: exit $r, '$out'"
	fi
}
nagios www.good13.test 0 '^DNSSEC OK - www\.good13\.test\. secure: .* \| expiry=[0-9]+s;604800;0 queries=[0-9]+ time=[0-9.]+s errors=0 warnings=0$'
nagios www.expired.test 2 '^DNSSEC CRITICAL - www\.expired\.test\. bogus: the chain of trust breaks at expired\.test\. \(EDE 7 [^|]*; RRSIG_EXPIRED \| .*errors=[1-9]'
nagios www.deadns.test 1 '^DNSSEC WARNING - www\.deadns\.test\. secure, with 1 warning \(SERVER_UNREACHABLE\): [^|]*; SERVER_UNREACHABLE \|'
out=$(DNSSEC_DOCTOR_OFFLINE=1 "$BIN" --format nagios --no-resolvers www.good13.test 2>/dev/null)
r=$?
if [ $r = 3 ] && printf '%s' "$out" | grep -q '^DNSSEC UNKNOWN - '; then ok "--format nagios when the check cannot run: DNSSEC UNKNOWN, exit 3"; else
	fail "--format nagios without hints: exit $r, '$out'"; fi

# --- bad input: exit 3 with a message
bad() { # bad DESCRIPTION PATTERN ARGS...
	local what=$1 pat=$2
	shift 2
	timeout 30 "$BIN" watch "$@" >/dev/null 2>"$TMP/e"
	local r=$?
	if [ $r = 3 ] && grep -q -- "$pat" "$TMP/e"; then ok "$what: exit 3"; else fail "$what: exit $r, $(head -c 200 "$TMP/e")"; fi
}
printf 'www.good13.test.\nnot a name line\n' >"$TMP/badnames"
bad "no names file" "expected a names file" --db "$TMP/x.db" "${C[@]}"
bad "--interval 0" "--interval: expected a number" --interval 0 --db "$TMP/x.db" "${C[@]}" "$TMP/names2"
bad "--interval without a value" "needs a value" "${C[@]}" "$TMP/names2" --interval
bad "--json does not apply" "does not apply to watch" --json --db "$TMP/x.db" "${C[@]}" "$TMP/names2"
bad "a bad line in the names file" "line 2: expected NAME \[TYPE\]" --db "$TMP/x.db" "${C[@]}" "$TMP/badnames"
bad "a names file that does not exist" "cannot read" --db "$TMP/x.db" "${C[@]}" "$TMP/none"
bad "a database that cannot be created" "--db" --db "$TMP/no/such/dir/h.db" "${C[@]}" "$TMP/names2"
bad "a bad --listen" "--listen" --listen "nowhere:99999" --db "$TMP/x.db" "${C[@]}" "$TMP/names2"
