#!/usr/bin/env bash
# cli.sh BIN WORLD — the command line's contract: bad input gives a one-line
# error and exit 3; the offline guard; JSON shape; text report sections.
set -u
BIN=$1
W=$2
export DNSSEC_DOCTOR_OFFLINE=1
C=(--root-hints "$W/root.hints" --trust-anchor "$W/root-anchor.ds" --no-resolvers)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# expect_usage DESCRIPTION PATTERN ARGS... : exit 3, one stderr line matching PATTERN, nothing on stdout
expect_usage() {
	local what=$1 pat=$2
	shift 2
	# timeout: a regression that spins or blocks (a FIFO, /dev/zero) fails instead of hanging.
	timeout 60 "$BIN" "$@" >"$TMP/o" 2>"$TMP/e" </dev/null
	local rc=$?
	local lines
	lines=$(wc -l <"$TMP/e")
	if [ $rc = 3 ] && [ "$lines" = 1 ] && grep -q -- "$pat" "$TMP/e" && [ ! -s "$TMP/o" ]; then
		echo "ok   bad input: $what"
	else
		echo "FAIL bad input: $what (exit $rc, stderr: $(head -c 300 "$TMP/e"))"
	fi
}

long63=$(printf 'a%.0s' $(seq 63))
long64=$(printf 'a%.0s' $(seq 64))
long_name="$long63.$long63.$long63.$long63.test"
expect_usage "unknown option" "unknown option --bogus" --bogus www.good13.test
expect_usage "missing name" "missing NAME" "${C[@]}"
expect_usage "label over 63 octets" "invalid name" "${C[@]}" "$long64.test"
expect_usage "name over 255 octets" "invalid name" "${C[@]}" "$long_name"
expect_usage "empty label" "invalid name" "${C[@]}" "a..test"
expect_usage "unknown type" "unsupported query type \"NOTATYPE\": unknown record type" "${C[@]}" www.good13.test NOTATYPE
# Type numbers wrap at 16 bits in ldns (TYPE65788 was checked as AXFR); meta and query-only types.
expect_usage "TYPE65788" "TYPE65788\": type numbers end at 65535" "${C[@]}" www.good13.test TYPE65788
expect_usage "TYPE65536" "type numbers end at 65535" probe "${C[@]}" www.good13.test TYPE65536
for t in ANY AXFR IXFR OPT TSIG TKEY MAILA MAILB TYPE0 TYPE41 TYPE255; do
	expect_usage "meta type $t" "\"$t\": a meta or query-only type" "${C[@]}" www.good13.test $t
done
# Names that are not names: a space inside, a URL (its host is named).
expect_usage "name with a space" "white space or a control character inside the name" "${C[@]}" "www good13.test"
expect_usage "name with a tab" "white space or a control character" probe "${C[@]}" $'www.good13\t.test'
expect_usage "a URL for a name" "a URL, not a name; to check its host, give www.good13.test$" "${C[@]}" http://www.good13.test/
expect_usage "a URL with user and port" "give www.good13.test$" "${C[@]}" "https://me@www.good13.test:8443/x?y=1"
# --trust-anchor and --root-hints: a regular file of at most 1 MiB (a directory, /dev/zero or a
# FIFO spun forever, past the deadline).
mkfifo "$TMP/fifo"
for f in "$TMP" /dev/zero "$TMP/fifo"; do
	expect_usage "--trust-anchor $f" "--trust-anchor: $f is a .*, not a regular file" --root-hints "$W/root.hints" --no-resolvers --trust-anchor "$f" www.good13.test
	expect_usage "--root-hints $f" "--root-hints: $f is a .*, not a regular file" --trust-anchor "$W/root-anchor.ds" --no-resolvers --root-hints "$f" www.good13.test
done
truncate -s 2M "$TMP/huge"
expect_usage "--root-hints of 2 MiB" "larger than 1 MiB" --root-hints "$TMP/huge" www.good13.test
# Options that contradict each other.
expect_usage "--json with --format text" "--json and --format text ask for different formats" "${C[@]}" --json --format text www.good13.test
expect_usage "--format svg with --json" "--format svg and --json" "${C[@]}" --format svg --json www.good13.test
expect_usage "--no-resolvers with --resolver" "--no-resolvers and --resolver exclude each other" "${C[@]}" --resolver 127.0.0.1 www.good13.test
expect_usage "--color with --no-color" "exclude each other" "${C[@]}" --color --no-color www.good13.test
expect_usage "scan --format text" "scan writes one JSON object a line" scan "${C[@]}" --format text
expect_usage "scan of a directory" "Is a directory" scan "${C[@]}" "$TMP"
expect_usage "too many arguments" "too many arguments" "${C[@]}" a.test A extra
expect_usage "bad --at" "--at" "${C[@]}" --at yesterday www.good13.test
expect_usage "bad --warn-days" "--warn-days" "${C[@]}" --warn-days -1 www.good13.test
expect_usage "unreadable anchor file" "cannot read" --trust-anchor /nonexistent www.good13.test
printf '. IN TXT "hello"\n' >"$TMP/bad-anchor"
expect_usage "anchor file with a TXT record" "expected DS or DNSKEY, got TXT" --trust-anchor "$TMP/bad-anchor" www.good13.test
printf 'this is not a zone file\n' >"$TMP/garbage"
expect_usage "garbage hints file" "--root-hints" --root-hints "$TMP/garbage" www.good13.test
printf '. IN A 127.0.0.1\n' >"$TMP/noNS"
expect_usage "hints without NS" "no NS record" --root-hints "$TMP/noNS" www.good13.test
expect_usage "offline without --root-hints" "DNSSEC_DOCTOR_OFFLINE" --trust-anchor "$W/root-anchor.ds" www.good13.test
expect_usage "missing evidence file" "cannot read" analyse /nonexistent.json
echo '{"format": "dnssec-doctor-evidence", "version": 1' >"$TMP/trunc.json"
expect_usage "truncated evidence JSON" "not valid JSON" analyse "$TMP/trunc.json"
echo '{"format": "dnssec-doctor-evidence", "version": 1, "query": {"name": 5}}' >"$TMP/badtype.json"
expect_usage "evidence with wrong types" "evidence:" analyse "$TMP/badtype.json"
echo '[1,2,3]' >"$TMP/arr.json"
expect_usage "evidence that is not an object" "evidence:" analyse "$TMP/arr.json"

# --help and --version succeed.
if "$BIN" --help | grep -q -- "--trust-anchor FILE"; then echo "ok   --help lists the options"; else echo "FAIL --help"; fi
if "$BIN" --version | grep -q "^dnssec-doctor "; then echo "ok   --version"; else echo "FAIL --version"; fi

# JSON contract: the version-1 keys and types.
"$BIN" "${C[@]}" --json www.good13.test >"$TMP/j" 2>/dev/null
if jq -e '.version == 1 and .query.name == "www.good13.test." and .query.type == "A" and (.ede|type) == "array"
	and .broken_zone == null and (.findings|type) == "array" and (.chain|length) == 3 and .chain[0].zone == "."
	and (.resolvers|type) == "array" and (.diagnosis|type) == "string" and (.probed_at|type) == "string"
	and (.validated_at|type) == "string"' "$TMP/j" >/dev/null; then
	echo "ok   JSON version-1 top level"
else
	echo "FAIL JSON version-1 top level: $(head -c 400 "$TMP/j")"
fi
"$BIN" "${C[@]}" --json www.kskroll.test >"$TMP/j" 2>/dev/null
if jq -e '[.findings[] | select(.id == "DS_NO_MATCHING_DNSKEY")][0] as $f | $f.severity == "error" and $f.ede == 9
	and $f.who == "registrar" and $f.zone == "kskroll.test." and ($f.servers|length) == 2
	and ($f.fix | test("IN\tDS\t|IN DS")) and ($f.records|length) >= 1' "$TMP/j" >/dev/null; then
	echo "ok   JSON finding fields (and the DS to publish) for a rolled KSK"
else
	echo "FAIL JSON finding fields: $(jq -c '.findings' "$TMP/j" | head -c 600)"
fi
# The stale secondary: the error names only the failing server.
"$BIN" "${C[@]}" --json www.stale.test >"$TMP/j" 2>/dev/null
if jq -e '[.findings[] | select(.id == "RRSIG_EXPIRED")] | length > 0 and all(.servers == ["127.53.2.3"])' "$TMP/j" >/dev/null; then
	echo "ok   stale secondary: only 127.53.2.3 is blamed"
else
	echo "FAIL stale secondary servers: $(jq -c '[.findings[] | {id, servers}]' "$TMP/j")"
fi
# --at: the same evidence judged at another time.
"$BIN" probe "${C[@]}" www.good13.test >"$TMP/ev.json" 2>/dev/null
"$BIN" analyse --json --at "$(date -u -d '+60 days' +%Y-%m-%dT%H:%M:%SZ)" "$TMP/ev.json" >"$TMP/j" 2>/dev/null
rc=$?
if [ $rc = 2 ] && jq -e '.status == "bogus" and .ede == [7]' "$TMP/j" >/dev/null; then
	echo "ok   analyse --at 60 days later: signatures expired, bogus [7]"
else
	echo "FAIL analyse --at: exit $rc $(jq -c '{status, ede}' "$TMP/j")"
fi
"$BIN" analyse --json --warn-days 40 "$TMP/ev.json" >"$TMP/j" 2>/dev/null
rc=$?
if [ $rc = 1 ] && jq -e '.status == "secure" and any(.findings[]; .id == "RRSIG_EXPIRING_SOON")' "$TMP/j" >/dev/null; then
	echo "ok   --warn-days 40: expiring-soon warning, exit 1"
else
	echo "FAIL --warn-days: exit $rc"
fi
# Text report: the five checks and the verdict, no colour when not a terminal.
"$BIN" "${C[@]}" www.expired.test >"$TMP/t" 2>/dev/null
if grep -q "^1. Is it DNSSEC" "$TMP/t" && grep -q "^3. Parent DS against child DNSKEY" "$TMP/t" &&
	grep -q "^5. The chain from the root" "$TMP/t" && grep -q "^Verdict: bogus" "$TMP/t" &&
	grep -q "^Emergency stop:" "$TMP/t" && ! grep -q $'\033' "$TMP/t"; then
	echo "ok   text report sections"
else
	echo "FAIL text report sections"
fi
# A dead-and-silent server costs at most one timeout, not a hang.
start=$(date +%s%N)
"$BIN" "${C[@]}" --json --timeout 300 www.silentns.test >/dev/null 2>&1
ms=$((($(date +%s%N) - start) / 1000000))
if [ $ms -lt 5000 ]; then echo "ok   silent server: check finished in ${ms} ms"; else echo "FAIL silent server took ${ms} ms"; fi
# Deadline: a very short one yields a result, not a hang.
"$BIN" "${C[@]}" --json --deadline 100 --timeout 2000 www.silentns.test >"$TMP/j" 2>/dev/null
rc=$?
if jq -e '.status' "$TMP/j" >/dev/null && [ $rc -ge 1 ]; then echo "ok   deadline: partial result, exit $rc"; else echo "FAIL deadline (exit $rc)"; fi
# Query cap.
"$BIN" "${C[@]}" --json --max-queries 5 www.good13.test >"$TMP/j" 2>/dev/null
rc=$?
if [ $rc = 3 ] && jq -e '.status == "indeterminate" and any(.findings[]; .id == "CHECK_INCOMPLETE")' "$TMP/j" >/dev/null; then
	echo "ok   query cap: indeterminate with CHECK_INCOMPLETE"
else
	echo "FAIL query cap: exit $rc $(jq -c '{status}' "$TMP/j")"
fi
# A DS query is answered by the parent's servers and validated with the parent's keys.
"$BIN" "${C[@]}" --json good13.test DS >"$TMP/j" 2>/dev/null
rc=$?
if [ $rc = 0 ] && jq -e '.status == "secure" and (.answer.records|length) >= 1 and (.chain|length) == 2' "$TMP/j" >/dev/null; then
	echo "ok   good13.test DS: answered by test., secure"
else
	echo "FAIL good13.test DS: exit $rc $(jq -c '{status, ede, broken_zone, answer, f: [.findings[].id]}' "$TMP/j")"
fi
# Questions not asked when their answer is known already: the last label's NS and
# DS (its own answer came plainly from good13.test.), the DS of good13.test.
# (test.'s referral carries it), and the plain SOA (every server answers EDNS).
"$BIN" probe "${C[@]}" www.good13.test >"$TMP/ev.json" 2>/dev/null
if jq -e '[.exchanges[] | select(((.purpose == "ns" or .purpose == "ds") and .qname == "www.good13.test.")
	or (.purpose == "ds" and .qname == "good13.test.") or .purpose == "soa-noedns")] | length == 0' "$TMP/ev.json" >/dev/null &&
	jq -e '[.exchanges[] | select(.purpose == "answer" and .qname == "www.good13.test.")] | length == 2' "$TMP/ev.json" >/dev/null &&
	[ "$("$BIN" analyse "${C[@]}" --json "$TMP/ev.json" 2>/dev/null | jq -r .status)" = secure ]; then
	echo "ok   no NS/DS for the last label, no DS query where the referral carries it, no plain SOA to live servers"
else
	echo "FAIL needless questions: $(jq -c '[.exchanges[] | {purpose, qname, server}]' "$TMP/ev.json" | head -c 600)"
fi
# Out of sockets on this machine (a tiny open-file limit): the servers are not
# blamed; the check says it is incomplete (indeterminate when nothing could be asked).
got=$( (ulimit -n 9 && "$BIN" "${C[@]}" --json www.good13.test) 2>/dev/null)
rc=$?
if [ $rc = 3 ] && jq -e '.status == "indeterminate" and ([.findings[].id] | index("CHECK_INCOMPLETE"))
	and ([.findings[].id | select(test("UNREACHABLE"))] | length == 0)' <<<"$got" >/dev/null; then
	echo "ok   out of sockets: indeterminate, CHECK_INCOMPLETE, no server called unreachable"
else
	echo "FAIL out of sockets: exit $rc $(jq -c '{status, f: [.findings[].id]}' <<<"$got" 2>&1 | head -c 300)"
fi
# docs/findings.md is generated from the findings table and kept in sync.
if "$BIN" --list-findings | cmp -s - "$(dirname "$0")/../../docs/findings.md"; then
	echo "ok   docs/findings.md matches the findings table"
else
	echo "FAIL docs/findings.md is out of date: run dnssec-doctor --list-findings > docs/findings.md"
fi
