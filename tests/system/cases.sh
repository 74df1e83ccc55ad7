#!/usr/bin/env bash
# cases.sh BIN WORLD [CASES] — run the binary against every row of CASES
# (default WORLD/cases.tsv) and
# assert status, EDE codes, broken zone, exit code and the required finding ids
# (the verdict table of DESIGN.md). Also: the good rows raise no error or warning
# beyond those the row names; probe + analyse gives the same verdict as check.
# Must run inside the test world's network namespace. Prints "ok"/"FAIL" lines;
# the caller counts them.
set -u
BIN=$1
W=$2
CASES=${3:-$W/cases.tsv}
export DNSSEC_DOCTOR_OFFLINE=1
COMMON=(--root-hints "$W/root.hints" --trust-anchor "$W/root-anchor.ds" --no-resolvers)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; }

tail -n +2 "$CASES" | while IFS=$'\t' read -r name type status ede broken exitc findings; do
	[ -n "$name" ] || continue
	out="$TMP/out.json"
	"$BIN" "${COMMON[@]}" --json "$name" "$type" >"$out" 2>"$TMP/err"
	rc=$?
	got_status=$(jq -r .status "$out" 2>/dev/null)
	got_ede=$(jq -r '.ede | map(tostring) | join(",")' "$out" 2>/dev/null)
	[ -z "$got_ede" ] && got_ede=-
	got_broken=$(jq -r '.broken_zone // "-"' "$out" 2>/dev/null)
	got_ids=$(jq -r '[.findings[].id] | join(",")' "$out" 2>/dev/null)
	what="$name $type"
	problems=()
	[ "$got_status" = "$status" ] || problems+=("status $got_status, want $status")
	[ "$got_ede" = "$ede" ] || problems+=("ede [$got_ede], want [$ede]")
	[ "$got_broken" = "$broken" ] || problems+=("broken_zone $got_broken, want $broken")
	[ "$rc" = "$exitc" ] || problems+=("exit $rc, want $exitc")
	if [ "$findings" != "-" ]; then
		IFS=, read -ra want_ids <<<"$findings"
		for id in "${want_ids[@]}"; do
			[[ ",$got_ids," == *",$id,"* ]] || problems+=("missing finding $id (got: $got_ids)")
		done
	fi
	# No false alarms: errors/warnings must be among the findings the row expects.
	extra=$(jq -r --arg want ",$findings," '[.findings[] | select(.severity != "notice") | select(($want | contains("," + .id + ",")) | not) | .id] | unique | join(",")' "$out" 2>/dev/null)
	if [ "$status" = secure ] || [ "$status" = insecure ]; then
		[ -z "$extra" ] || problems+=("unexpected errors/warnings: $extra")
	fi
	if [ ${#problems[@]} -eq 0 ]; then ok "check $what: $status [$got_ede] $got_broken exit $rc"; else
		fail "check $what: ${problems[*]}"; sed 's/^/     stderr: /' "$TMP/err" | head -3; fi

	# The same verdict from saved evidence.
	"$BIN" probe "${COMMON[@]}" "$name" "$type" >"$TMP/ev.json" 2>/dev/null
	"$BIN" analyse --json "$TMP/ev.json" >"$TMP/an.json" 2>/dev/null
	rc2=$?
	a=$(jq -c '{status, ede, broken_zone, ids: [.findings[] | .id] | sort}' "$out" 2>/dev/null)
	b=$(jq -c '{status, ede, broken_zone, ids: [.findings[] | .id] | sort}' "$TMP/an.json" 2>/dev/null)
	if [ -n "$a" ] && [ "$a" = "$b" ] && [ "$rc2" = "$rc" ]; then ok "probe+analyse $what agrees"; else
		fail "probe+analyse $what: check=$a analyse=$b (exit $rc2)"; fi
	# The DS the doctor proposes repairs the chain: analyse the same evidence
	# as if the parent published it (--ds) and the name must be secure.
	mapfile -t recs < <(jq -r '.findings[] | select(.id == "DS_NO_MATCHING_DNSKEY" or .id == "DS_DIGEST_MISMATCH" or .id == "DS_ALGORITHM_MISMATCH" or .id == "DNSKEY_NOT_SIGNED_BY_DS_KEY" or .id == "DS_KEY_NOT_ZONE_KEY") | .records[]?' "$out" 2>/dev/null | sort -u)
	if [ ${#recs[@]} -gt 0 ]; then
		args=()
		for r in "${recs[@]}"; do args+=(--ds "$r"); done
		"$BIN" analyse --json "${args[@]}" "$TMP/ev.json" >"$TMP/fix.json" 2>"$TMP/err"
		fst=$(jq -r .status "$TMP/fix.json" 2>/dev/null)
		if [ "$fst" = secure ]; then ok "proposed DS repairs $what (${#recs[@]} record(s))"; else
			fail "proposed DS for $what gives $fst: ${recs[*]} $(head -c 200 "$TMP/err")"; fi
	elif [ "$status" = bogus ] && [[ ",$findings," == *",DS_"* ]] && [[ ",$findings," != *",DS_OVER_UNSIGNED_CHILD,"* ]]; then
		fail "no DS records proposed for $what"
	fi
done
