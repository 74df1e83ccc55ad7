#!/usr/bin/env bash
# resolvers.sh BIN WORLD — the resolver view: the diagnosis (dnssec,
# not-dnssec, none, intermittent), each resolver's rcode with and without CD,
# the EDE a validating Unbound reports and how it relates to our findings,
# bad resolvers recorded as errors, and the resolvers running alongside the
# walk. Must run inside the test world's network namespace.
set -u
BIN=$1
W=$2
export DNSSEC_DOCTOR_OFFLINE=1
C=(--root-hints "$W/root.hints" --trust-anchor "$W/root-anchor.ds")
VAL=127.53.3.1   # Unbound, validating, EDE on
PLAIN=127.53.3.2 # Unbound, not validating
SLOW=127.53.3.3  # answers after 200 ms
GARBAGE=127.53.3.4
BADID=127.53.3.5
NOTHING=127.53.9.1 # nothing listens
R=(--resolver "$VAL" --resolver "$PLAIN")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# check NAME DESCRIPTION JQ-EXPRESSION ARGS... : the expression must be true on the JSON
check() {
	local name=$1 what=$2 expr=$3
	shift 3
	"$BIN" "${C[@]}" "$@" --json "$name" >"$TMP/j" 2>"$TMP/e"
	if jq -e "$expr" "$TMP/j" >/dev/null 2>&1; then
		echo "ok   resolvers: $what"
	else
		echo "FAIL resolvers: $what; got $(jq -c '{status, diagnosis, resolvers: [.resolvers[]? | {address, validating, rcode, rcode_cd, ad, ede: [.ede[].code], error}]}' "$TMP/j" 2>/dev/null | head -c 600) $(head -c 200 "$TMP/e")"
	fi
}

# A bogus name: the DNSSEC fingerprint, and Unbound's EDE tied to our finding.
# (The EDE check comes first: Unbound's reason for a key it already marked bad
# may be the generic EDE 6 on later queries.)
check www.expired.test "validating Unbound's EDE 7 is related to our RRSIG_EXPIRED finding" \
	'[.resolvers[0].ede[] | select(.code == 7 and .name == "Signature Expired" and .finding == "RRSIG_EXPIRED" and (.text | length) > 0)] | length == 1' "${R[@]}"
check www.expired.test "expired signatures: diagnosis dnssec" \
	'.status == "bogus" and .diagnosis == "dnssec"' "${R[@]}"
check www.expired.test "validating Unbound: SERVFAIL, +cd NOERROR, validating" \
	'.resolvers[0] | .address == "127.53.3.1" and .rcode == "SERVFAIL" and .rcode_cd == "NOERROR" and .validating == true and .agrees == true and .error == null' "${R[@]}"
check www.expired.test "plain Unbound: NOERROR both ways, not validating" \
	'.resolvers[1] | .rcode == "NOERROR" and .rcode_cd == "NOERROR" and .validating == false and .ad == false' "${R[@]}"
check www.kskroll.test "DS mismatch: diagnosis dnssec, EDE 9 from Unbound" \
	'.diagnosis == "dnssec" and ([.resolvers[0].ede[].code] | index(9) != null)' "${R[@]}"

# Healthy names: no failure; AD from the validating resolver.
check www.good13.test "healthy name: diagnosis none, AD set by the validating resolver" \
	'.status == "secure" and .diagnosis == "none" and .resolvers[0].ad == true and .resolvers[0].rcode == "NOERROR" and .resolvers[0].agrees == true' "${R[@]}"
check nope.good13.test "healthy NXDOMAIN: diagnosis none" \
	'.diagnosis == "none" and .resolvers[0].rcode == "NXDOMAIN"' "${R[@]}"
check www.unsigned.test "insecure name: diagnosis none, no AD, still known as validating" \
	'.status == "insecure" and .diagnosis == "none" and .resolvers[0].ad == false and .resolvers[0].validating == true' "${R[@]}"

# Every server dead: not DNSSEC.
check www.alldead.test "all servers dead: diagnosis not-dnssec" \
	'.status == "unreachable" and .diagnosis == "not-dnssec" and .resolvers[0].rcode == "SERVFAIL" and .resolvers[0].rcode_cd == "SERVFAIL"' "${R[@]}"

# One stale server: intermittent.
check www.stale.test "stale secondary: diagnosis intermittent" \
	'.status == "bogus" and .diagnosis == "intermittent"' "${R[@]}"

# No resolvers: unknown, and no resolver entries.
check www.expired.test "--no-resolvers: diagnosis unknown" \
	'.diagnosis == "unknown" and (.resolvers | length) == 0' --no-resolvers

# Bad resolvers are recorded, never trusted; the check goes on.
check www.expired.test "garbage, wrong-ID and dead resolvers: errors recorded, verdict unchanged" \
	'.status == "bogus" and .diagnosis == "dnssec" and ([.resolvers[1:][] | select(.error != null and .rcode == null and .validating == null)] | length) == 3' \
	--resolver "$VAL" --resolver "$GARBAGE" --resolver "$BADID" --resolver "$NOTHING"
check www.expired.test "only bad resolvers: diagnosis unknown" \
	'.status == "bogus" and .diagnosis == "unknown"' --resolver "$GARBAGE" --resolver "$NOTHING"

# Bad resolver addresses on the command line: usage errors.
for bad in "not-an-ip" "127.0.0.1#99999" "127.0.0.1#" "1.2.3.4.5" ""; do
	"$BIN" "${C[@]}" --resolver "$bad" www.good13.test >/dev/null 2>"$TMP/e"
	rc=$?
	if [ $rc = 3 ] && grep -q -- "--resolver: expected" "$TMP/e"; then echo "ok   resolvers: bad address \"$bad\" refused"; else
		echo "FAIL resolvers: bad address \"$bad\": exit $rc, $(head -c 200 "$TMP/e")"; fi
done
"$BIN" "${C[@]}" www.good13.test >/dev/null 2>"$TMP/e"
rc=$?
if [ $rc = 3 ] && grep -q "DNSSEC_DOCTOR_OFFLINE is set: the built-in public resolvers" "$TMP/e"; then
	echo "ok   resolvers: offline mode refuses the default resolvers"
else
	echo "FAIL resolvers: offline mode without --resolver: exit $rc, $(head -c 200 "$TMP/e")"
fi

# Alongside the walk, not after it: with a resolver that answers after
# 200 ms, every walk exchange has finished before the resolver's answer
# arrives, and the check ends when the resolver answers (its round trip is
# all it adds). The evidence records when each query was sent.
"$BIN" probe "${C[@]}" --resolver "$SLOW" www.good13.test >"$TMP/ev.json" 2>"$TMP/e"
walk_end=$(jq '[.exchanges[] | .sent_ms + .rtt_ms] | max' "$TMP/ev.json" 2>/dev/null)
res_sent=$(jq '[.resolvers[0].queries[].sent_ms] | max' "$TMP/ev.json" 2>/dev/null)
res_end=$(jq '[.resolvers[0].queries[] | .sent_ms + .rtt_ms] | min' "$TMP/ev.json" 2>/dev/null)
elapsed=$(jq '.elapsed_ms' "$TMP/ev.json" 2>/dev/null)
# (sent_ms and rtt_ms are each truncated to whole ms: 200 ms can add up to 199.)
if [ -n "$walk_end" ] && [ "$res_sent" -le "$walk_end" ] && [ "$walk_end" -lt "$res_end" ] && [ "$res_end" -ge 199 ] &&
	[ "$elapsed" -le $((res_end + 50)) ]; then
	echo "ok   resolvers: asked alongside the walk (walk done at $walk_end ms, resolver sent at $res_sent ms, answered at $res_end ms, check $elapsed ms)"
else
	echo "FAIL resolvers: not alongside the walk (walk_end=$walk_end res_sent=$res_sent res_end=$res_end elapsed=$elapsed)"
fi
# ... and the saved evidence gives the same resolver view.
"$BIN" analyse --json "$TMP/ev.json" >"$TMP/a.json" 2>/dev/null
if jq -e '.diagnosis == "none" and .resolvers[0].rcode == "NOERROR" and .resolvers[0].validating == false' "$TMP/a.json" >/dev/null; then
	echo "ok   resolvers: analyse re-reads the resolver exchanges from evidence"
else
	echo "FAIL resolvers: analyse of saved evidence: $(jq -c '{diagnosis, resolvers}' "$TMP/a.json" | head -c 300)"
fi

# The text report's first two checks name the resolvers and the relation.
"$BIN" "${C[@]}" "${R[@]}" www.expired.test >"$TMP/t" 2>&1
if grep -q "^   dnssec: It is DNSSEC" "$TMP/t" && grep -q "127.53.3.1 says EDE 7 (Signature Expired)" "$TMP/t" &&
	grep -q "we found: The signature over" "$TMP/t"; then
	echo "ok   resolvers: text report shows the diagnosis and the EDE relation"
else
	echo "FAIL resolvers: text report: $(sed -n 1,14p "$TMP/t")"
fi
