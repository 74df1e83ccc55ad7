#!/usr/bin/env bash
# policy.sh BIN WORLD — what the options change: --ds (what if the parent
# published this DS), trust anchors for any zone (the closest enclosing one
# wins), the NSEC3 iteration limit. Must run inside the test world's network
# namespace.
set -u
BIN=$1
W=$2
export DNSSEC_DOCTOR_OFFLINE=1
H=(--root-hints "$W/root.hints" --no-resolvers)
C=("${H[@]}" --trust-anchor "$W/root-anchor.ds")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# expect DESCRIPTION JQ-EXPRESSION ARGS... : run a check, the expression must hold
expect() {
	local what=$1 expr=$2
	shift 2
	"$BIN" "$@" --json >"$TMP/j" 2>"$TMP/e"
	echo "$?" >"$TMP/rc"
	if jq -e --argjson rc "$(cat "$TMP/rc")" "$expr" "$TMP/j" >/dev/null 2>&1; then
		echo "ok   policy: $what"
	else
		echo "FAIL policy: $what; exit $(cat "$TMP/rc"), got $(jq -c '{status, ede, broken_zone, ids: [.findings[].id]}' "$TMP/j" 2>/dev/null | head -c 400) $(head -c 200 "$TMP/e")"
	fi
}

# --ds with bare RDATA applies to the zone of the queried name.
"$BIN" "${C[@]}" --json www.kskroll.test >"$TMP/k.json" 2>/dev/null
rdata=$(jq -r '[.findings[] | select(.id == "DS_NO_MATCHING_DNSKEY") | .records[]][0] | split("\t") | .[4]' "$TMP/k.json")
expect "--ds RDATA: the proposed DS makes kskroll.test. secure" \
	'.status == "secure" and .whatif_ds_zone == "kskroll.test." and $rc == 0' "${C[@]}" --ds "$rdata" www.kskroll.test
expect "--ds with the DS it already has changes nothing" \
	'.status == "bogus" and .broken_zone == "kskroll.test."' "${C[@]}" \
	--ds "$(jq -r '.chain[] | select(.zone == "kskroll.test.") | .ds[0].record' "$TMP/k.json")" www.kskroll.test
expect "--ds of a wrong key breaks a healthy zone" \
	'.status == "bogus" and .broken_zone == "good13.test." and (.ede | index(9) != null)' "${C[@]}" \
	--ds "good13.test. IN DS 12345 13 2 0000000000000000000000000000000000000000000000000000000000000000" www.good13.test
for bad in "12345" "12345 13 2 nothex" "not a ds at all" "example. IN A 192.0.2.1"; do
	"$BIN" "${C[@]}" --ds "$bad" www.good13.test >/dev/null 2>"$TMP/e"
	rc=$?
	if [ $rc = 3 ] && grep -q -- "--ds: expected" "$TMP/e"; then echo "ok   policy: --ds \"$bad\" refused"; else
		echo "FAIL policy: --ds \"$bad\": exit $rc $(head -c 200 "$TMP/e")"; fi
done

# Trust anchors for any zone: validation starts at the closest enclosing anchor.
"$BIN" "${C[@]}" --json www.good13.test >"$TMP/g.json" 2>/dev/null
jq -r '.chain[] | select(.zone == "good13.test.") | .ds[].record' "$TMP/g.json" >"$TMP/good13.ds"
expect "an anchor for good13.test. alone: good13.test. is secure" \
	'.status == "secure" and $rc == 0' "${H[@]}" --trust-anchor "$TMP/good13.ds" www.good13.test
expect "... and a name under no anchor is insecure with a notice" \
	'.status == "insecure" and $rc == 0 and ([.findings[] | select(.id == "NO_TRUST_ANCHOR" and .severity == "notice")] | length) == 1' \
	"${H[@]}" --trust-anchor "$TMP/good13.ds" www.good8.test
printf 'good13.test. IN DS 12345 13 2 0000000000000000000000000000000000000000000000000000000000000000\n' >"$TMP/wrong.ds"
cat "$W/root-anchor.ds" "$TMP/wrong.ds" >"$TMP/both.ds"
expect "root anchor plus a wrong anchor for good13.test.: the closer anchor wins (bogus)" \
	'.status == "bogus" and .broken_zone == "good13.test."' "${H[@]}" --trust-anchor "$TMP/both.ds" www.good13.test
cat "$W/root-anchor.ds" "$TMP/good13.ds" >"$TMP/both-good.ds"
expect "root anchor plus the right anchor for good13.test.: secure" \
	'.status == "secure"' "${H[@]}" --trust-anchor "$TMP/both-good.ds" www.good13.test
# An anchor below a break: the break above does not matter.
"$BIN" "${C[@]}" --json www.ok.broken >"$TMP/b.json" 2>/dev/null
jq -r '.chain[] | select(.zone == "ok.broken.") | .ds[].record' "$TMP/b.json" >"$TMP/ok.ds"
cat "$W/root-anchor.ds" "$TMP/ok.ds" >"$TMP/root-ok.ds"
expect "an anchor for ok.broken. below the broken broken.: secure" \
	'.status == "secure"' "${H[@]}" --trust-anchor "$TMP/root-ok.ds" www.ok.broken

# The NSEC3 iteration limit is configurable.
expect "--nsec3-iterations-limit 250: 200 iterations are accepted (secure, still a warning)" \
	'.status == "secure" and $rc == 1 and ([.findings[].id] | index("NSEC3_PARAMETERS") != null)' \
	"${C[@]}" --nsec3-iterations-limit 250 nope.nsec3iter.test
expect "--nsec3-iterations-limit 5: 10 iterations make the denial insecure (EDE 27)" \
	'.status == "insecure" and .ede == [27]' "${C[@]}" --nsec3-iterations-limit 5 nope.nsec3salt.test

# What if: checks at another time move the verdict (expiry, skew).
expect "--at two hours later: the skewed signatures are plainly valid" \
	'.status == "secure" and ([.findings[].id] | index("RRSIG_CLOCK_SKEW") == null)' \
	"${C[@]}" --at "$(($(date +%s) + 7200))" www.skew.test
expect "--at 40 days later: everything has expired (bogus, EDE 7)" \
	'.status == "bogus" and .ede == [7] and .broken_zone == "."' "${C[@]}" --at "$(($(date +%s) + 40 * 86400))" www.good13.test

# A DS is proposed only for a key-signing key that signs the DNSKEY RRset, never for a ZSK.
expect "zskalso: KSK and ZSK sign the DNSKEY RRset; the proposed DS is the KSK's alone" \
	'. as $r | ([.findings[] | select(.id == "DS_NO_MATCHING_DNSKEY") | .records[]] | length) >= 1 and
	 ([.findings[] | select(.id == "DS_NO_MATCHING_DNSKEY") | .records[] | split("\t")[4] | split(" ")[0] | tonumber] | unique) ==
	 [$r.chain[] | select(.zone == "zskalso.test.") | .dnskey[] | select(.flags == 257) | .key_tag]' \
	"${C[@]}" www.zskalso.test
expect "zsksigns: only the ZSK signs the DNSKEY RRset; the signer must sign with the DS'd KSK, no DS proposed" \
	'[.findings[] | select(.id == "DNSKEY_NOT_SIGNED_BY_DS_KEY")] | length >= 1 and all(.[]; (.records // []) == [] and (.fix | contains("the DS then needs no change")) and (.fix | contains("IN\tDS") | not) and .who == "dns-operator")' \
	"${C[@]}" www.zsksigns.test
