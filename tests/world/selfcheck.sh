#!/bin/bash
# shellcheck disable=SC2034  # cases.tsv columns not used by this check
# selfcheck.sh OUTDIR -- prove the test world is what cases.tsv says, without
# dnssec-doctor: ask the validating Unbound (127.53.3.1) for every case, and
# cross-check with delv validating locally through the non-validating Unbound
# (127.53.3.2) with OUTDIR/delv-anchors.conf.
#
#   secure       NOERROR/NXDOMAIN with AD                    delv: fully validated
#   insecure     NOERROR with an answer, no AD               delv: unsigned answer
#   bogus        SERVFAIL (EDE printed), and with +cd the    delv: resolution failed
#                data is there (the break is DNSSEC, not reachability)
#   unreachable  SERVFAIL, and SERVFAIL with +cd too         delv: resolution failed
#   stale.test   either (the resolver picks one server): reported, never fails
#
# Must run inside the test world's network namespace with the world started.
# Ends with "N passed, N failed"; exits 1 if anything failed.
set -uo pipefail

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 3; }
OUT=$1
[ -f "$OUT/cases.tsv" ] || { echo "selfcheck: $OUT/cases.tsv missing (world.sh build first)" >&2; exit 3; }
[ "${DD_IN_NETNS:-}" = 1 ] || { echo "selfcheck: run inside tests/world/netns.sh" >&2; exit 3; }

VAL=127.53.3.1 PLAIN=127.53.3.2
pass=0 fail=0
HAVE_DELV=1
command -v delv >/dev/null || HAVE_DELV=0

q() { # SERVER NAME TYPE [extra dig options] -> dig output
    dig @"$1" "$2" "$3" +dnssec +time=2 +tries=5 "${@:4}" 2>&1
}
rcode_of() { sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$1" | head -1; }
has_ad() { grep -qE '^;; flags:[a-z ]* ad[ ;]' <<<"$1"; }
ancount() { sed -n 's/.*ANSWER: \([0-9]*\),.*/\1/p' <<<"$1" | head -1; }
ede_of() { sed -n 's/^; EDE: \(.*\)/\1/p' <<<"$1" | head -1; }

delv_verdict() { # NAME TYPE -> secure|insecure|failed|other
    local out
    # "resolution failed: ncache nxdomain/nxrrset" is how delv reports any
    # negative answer; the "; negative response, ..." line carries the verdict
    out=$(timeout 20 delv @"$PLAIN" -a "$OUT/delv-anchors.conf" "$1" "$2" 2>&1 | grep -v 'resolution failed: ncache nx')
    # a failure anywhere (e.g. at the target of a validated CNAME) wins
    if grep -qE 'resolution failed|validation failed|broken trust chain' <<<"$out"; then
        echo "failed ($(grep -m1 -E 'resolution failed|validation failed|broken trust chain' <<<"$out" | sed 's/^;* *//'))"
    elif grep -q '; fully validated' <<<"$out" || grep -q 'negative response, fully validated' <<<"$out"; then
        echo secure
    elif grep -q '; unsigned answer' <<<"$out" || grep -q 'negative response, unsigned answer' <<<"$out"; then
        echo insecure
    else
        echo "other ($(head -1 <<<"$out"))"
    fi
}

report() { # OK(0/1) LINE
    if [ "$1" = 0 ]; then
        pass=$((pass + 1)); echo "ok    $2"
    else
        fail=$((fail + 1)); echo "FAIL  $2"
    fi
}

while IFS=$'\t' read -r name type status ede broken exitc findings; do
    [ "$name" = name ] && continue
    [ -n "$name" ] || continue
    out=$(q "$VAL" "$name" "$type")
    rc=$(rcode_of "$out")
    ad=no; has_ad "$out" && ad=yes
    an=$(ancount "$out")
    got_ede=$(ede_of "$out")
    desc="$name $type: unbound $rc ad=$ad an=${an:-?}${got_ede:+ EDE $got_ede}"
    bad=0 note=""
    case $status in
        secure)
            [[ ($rc = NOERROR || $rc = NXDOMAIN) && $ad = yes ]] || bad=1 ;;
        insecure)
            [[ ($rc = NOERROR || $rc = NXDOMAIN) && $ad = no ]] || bad=1 ;;
        bogus)
            if [ "$name" = www.stale.test. ]; then
                note=" [stale: either verdict accepted, the resolver picks one server]"
                [[ $rc = SERVFAIL || ($rc = NOERROR && $ad = yes) ]] || bad=1
            else
                [ "$rc" = SERVFAIL ] || bad=1
                cd=$(q "$VAL" "$name" "$type" +cd)
                cdrc=$(rcode_of "$cd")
                desc="$desc; +cd $cdrc"
                [[ $cdrc = NOERROR || $cdrc = NXDOMAIN ]] || bad=1
            fi ;;
        unreachable | indeterminate)
            # indeterminate: nothing could be asked from here (IPv6-only servers, no
            # IPv6 route); the resolvers on this machine cannot reach them either.
            [ "$rc" = SERVFAIL ] || bad=1
            cd=$(q "$VAL" "$name" "$type" +cd)
            cdrc=$(rcode_of "$cd")
            desc="$desc; +cd $cdrc"
            [ "$cdrc" = SERVFAIL ] || bad=1 ;;
        *) bad=1 note=" [unknown status '$status']" ;;
    esac
    report "$bad" "unbound  expect $status  $desc$note"

    if [ "$HAVE_DELV" = 1 ]; then
        dv=$(delv_verdict "$name" "$type")
        bad=0 note=""
        case $status in
            secure)
                if [ "$name" = www.skew.test. ]; then
                    # Inception 20 minutes ahead: Unbound allows for clock skew, delv
                    # (BIND) does not; that difference is what the doctor warns about.
                    note=" [skew: a strict validator fails until the inception]"
                    [[ $dv = secure || $dv == failed* ]] || bad=1
                elif [ "$name" = www.revoked.test. ]; then
                    # The only DS'd key has the REVOKE bit: Unbound validates through it,
                    # BIND applies RFC 5011 §2.1 and fails; the doctor warns which fail.
                    note=" [revoked: BIND refuses a revoked key, Unbound does not]"
                    [[ $dv = secure || $dv == failed* ]] || bad=1
                else
                    [ "$dv" = secure ] || bad=1
                fi ;;
            insecure)
                if [ "$name" = nope.optout.test. ]; then
                    # RFC 5155 §9.2: no AD for a proof whose next closer name falls in an
                    # opt-out span (Unbound follows it); delv reports the NXDOMAIN as validated.
                    note=" [opt-out: delv calls it secure, Unbound and RFC 5155 §9.2 insecure]"
                    [[ $dv = insecure || $dv = secure ]] || bad=1
                else
                    [ "$dv" = insecure ] || bad=1
                fi ;;
            bogus | unreachable | indeterminate)
                if [ "$name" = www.stale.test. ]; then
                    note=" [stale: either verdict accepted]"
                    [[ $dv = secure || $dv == failed* ]] || bad=1
                else
                    [[ $dv == failed* ]] || bad=1
                fi ;;
        esac
        report "$bad" "delv     expect $status  $name $type: $dv$note"
    fi
done <"$OUT/cases.tsv"

[ "$HAVE_DELV" = 1 ] || echo "note: delv not installed, local cross-check skipped"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
