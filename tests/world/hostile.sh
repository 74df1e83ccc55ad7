# shellcheck shell=bash
# shellcheck disable=SC2154  # KEYS, Z, OUT, NORM_I, NORM_E come from world.sh
# hostile.sh -- the hostile part of the test world, sourced by world.sh.
#
#   hostile_build   (from do_build, before the root zone is made) the TLD
#                   hostile. and its case zones, OUT/hostile.deleg for the
#                   root, the NSD groups, hostiled, OUT/hostile-cases.tsv
#   hostile_start   (from do_start) one hostiled per misbehaviour
#
# Addresses (port 53):
#   127.53.10.1   NSD: hostile. (the TLD)
#   127.53.10.2   NSD: every case zone (the good server; hostiled's upstream)
#   127.53.10.11+ hostiled MODE: forwards to 127.53.10.2 and misbehaves (table below)
#   127.53.10.31-34 mutantd: mutant0-3.hostile., a mutation-fuzzing server (mutant.sh)
#   127.53.9.2    silentd (from world.sh): never answers
# Each case zone NAME.hostile. has ns1 on 127.53.10.2 and ns2 on its hostile
# server, except the all* zones, whose only server is hostile.

# shellcheck source=tests/world/mutant.sh
. "$HERE/mutant.sh"

# mode address zone (ZONE.hostile. with a good and a hostile server)
HOSTILE_SERVERS="
random       127.53.10.11 random
badid        127.53.10.12 badid
otherq       127.53.10.13 otherq
tc           127.53.10.14 tc
tc-notcp     127.53.10.15 tcnotcp
formerr-edns 127.53.10.16 formerr
silent-edns  127.53.10.17 silentedns
refused      127.53.10.18 refused
servfail     127.53.10.19 servfail
oversize     127.53.10.20 oversize
ptrloop      127.53.10.21 ptrloop
drip         127.53.10.22 drip
"

# hostile_zone ZONE NUM NSSPEC... [-- EXTRA-LINES]: a signed zone on the case
# server; its delegation (NS, glue, DS) goes to $Z/ZONE.deleg. Records in
# $HZ_EXTRA are added before signing.
hostile_zone() {
    local zone=$1 num=$2 ksk zsk
    shift 2
    mkleaf "$zone" "$num" "$@"
    [ -z "${HZ_EXTRA:-}" ] || printf '%s\n' "$HZ_EXTRA" >>"$Z/${zone%.}.zone"
    ksk=$(keygen "$zone" 13 ksk) zsk=$(keygen "$zone" 13 zsk)
    sign "$zone" "$Z/${zone%.}.zone" "$Z/${zone%.}.signed" "$NORM_I" "$NORM_E" "$ksk" "$zsk"
    add_ds "$zone" "$ksk"
    HOSTILE_ZONES+=("$zone:${zone%.}.signed")
}

hostile_build() {
    local mode addr name zone i n=100 deleg=() specs=() chain
    cc -O2 -Wall -Wextra -o "$OUT/hostiled" "$HERE/hostiled.c" || die "cannot compile hostiled"
    HOSTILE_ZONES=()
    local H=127.53.10.2

    # One zone per misbehaving server, with a good server beside it.
    while read -r mode addr name; do
        [ -n "$mode" ] || continue
        hostile_zone "$name.hostile." $((++n)) "ns1.$name.hostile.=$H" "ns2.$name.hostile.=$addr"
        deleg+=("$Z/$name.hostile.deleg")
    done <<<"$HOSTILE_SERVERS"
    hostile_zone silent.hostile. $((++n)) "ns1.silent.hostile.=$H" "ns2.silent.hostile.=127.53.9.2"
    deleg+=("$Z/silent.hostile.deleg")
    # Zones whose only server misbehaves.
    hostile_zone alldrip.hostile. $((++n)) "ns1.alldrip.hostile.=127.53.10.22"
    hostile_zone allrandom.hostile. $((++n)) "ns1.allrandom.hostile.=127.53.10.11"
    hostile_zone alltcnotcp.hostile. $((++n)) "ns1.alltcnotcp.hostile.=127.53.10.15"
    deleg+=("$Z/alldrip.hostile.deleg" "$Z/allrandom.hostile.deleg" "$Z/alltcnotcp.hostile.deleg")

    # 100 NS names in one delegation (all with glue to the good server).
    specs=()
    for i in $(seq 100); do specs+=("ns$i.manyns.hostile.=$H"); done
    hostile_zone manyns.hostile. $((++n)) "${specs[@]}"
    deleg+=("$Z/manyns.hostile.deleg")
    # 100 NS names without glue, all in deadfarm.hostile., whose only server is silent:
    # every address lookup leads to the same black hole (a peer hung on this).
    specs=()
    for i in $(seq 100); do specs+=("ns$i.deadfarm.hostile."); done
    hostile_zone manyglueless.hostile. $((++n)) "${specs[@]}"
    printf 'deadfarm.hostile.\t300\tIN\tNS\tns.deadfarm.hostile.\nns.deadfarm.hostile.\t300\tIN\tA\t127.53.9.2\n' \
        >"$Z/deadfarm.hostile.deleg"
    deleg+=("$Z/manyglueless.hostile.deleg" "$Z/deadfarm.hostile.deleg")

    # CNAME loop (a -> b -> a) and a chain of 20 links (c1 -> ... -> c20 -> www).
    chain=$'a.cname.hostile.\tCNAME\tb.cname.hostile.\nb.cname.hostile.\tCNAME\ta.cname.hostile.'
    for i in $(seq 19); do chain+=$'\n'"c$i.cname.hostile."$'\tCNAME\t'"c$((i + 1)).cname.hostile."; done
    chain+=$'\n'$'c20.cname.hostile.\tCNAME\twww.cname.hostile.'
    HZ_EXTRA=$chain hostile_zone cname.hostile. $((++n)) "ns1.cname.hostile.=$H"
    deleg+=("$Z/cname.hostile.deleg")

    # 45 zone cuts below deep.hostile.: l1.deep.hostile. ... l45.l44...l1.deep.hostile.
    # (the walk's depth limit is 40: www.l30... is inside it, www.l45... is not)
    local names=() child=""
    zone=deep.hostile.
    for i in $(seq 45); do zone="l$i.$zone"; names[i]=$zone; done
    for i in $(seq 45 -1 1); do
        zone=${names[i]}
        HZ_EXTRA=$( [ -z "$child" ] || cat "$Z/${child%.}.deleg" ) \
            hostile_zone "$zone" $((++n)) "ns1.$zone=$H"
        child=$zone
    done
    HZ_EXTRA=$(cat "$Z/${child%.}.deleg") hostile_zone deep.hostile. $((++n)) "ns1.deep.hostile.=$H"
    deleg+=("$Z/deep.hostile.deleg")

    # The zone's only server answers FORMERR to any query with EDNS, and plain queries
    # without RRSIGs: validators cannot get the signatures its DS calls for.
    hostile_zone allformerr.hostile. $((++n)) "ns1.allformerr.hostile.=127.53.10.16"
    deleg+=("$Z/allformerr.hostile.deleg")

    # The mutation-fuzzing zones (mutant.sh).
    mutant_build

    # The TLD: delegations to every case zone.
    local tk tz
    tk=$(keygen hostile. 13 ksk) tz=$(keygen hostile. 13 zsk)
    {
        soa hostile. ns1.nic.hostile. hostmaster.nic.hostile.
        printf 'hostile.\tNS\tns1.nic.hostile.\nns1.nic.hostile.\tA\t127.53.10.1\n'
        cat "${deleg[@]}"
    } >"$Z/hostile.zone"
    sign hostile. "$Z/hostile.zone" "$Z/hostile.signed" "$NORM_I" "$NORM_E" "$tk" "$tz"
    printf 'hostile.\t300\tIN\tNS\tns1.nic.hostile.\nns1.nic.hostile.\t300\tIN\tA\t127.53.10.1\n' >"$Z/hostile.deleg"
    add_ds hostile. "$tk"

    ADDRS="127.53.10.1" nsd_conf hostile-tld "hostile.:hostile.signed"
    ADDRS="$H" nsd_conf hostile-cases "${HOSTILE_ZONES[@]}"
    write_hostile_cases >"$OUT/hostile-cases.tsv"
}

hostile_start() {
    local mode addr name
    while read -r mode addr name; do
        [ -n "$mode" ] || continue
        rm -f "$OUT/run/hostiled-$addr.pid"
        "$OUT/hostiled" "$mode" "$addr" 53 127.53.10.2 "$OUT/run/hostiled-$addr.pid" 2>"$OUT/run/hostiled-$addr.log" \
            || fail_start "hostiled $mode did not start on $addr" "$OUT/run/hostiled-$addr.log"
        record hostiled "$OUT/run/hostiled-$addr.pid" || fail_start "hostiled on $addr is not running" "$OUT/run/hostiled-$addr.log"
    done <<<"$HOSTILE_SERVERS"
    mutant_start
}

# Same columns as cases.tsv: name type status ede broken_zone exit findings.
write_hostile_cases() {
    printf 'name\ttype\tstatus\tede\tbroken_zone\texit\tfindings\n'
    cat <<'EOF'
www.silent.hostile.	A	secure	-	-	1	SERVER_UNREACHABLE
www.random.hostile.	A	secure	-	-	1	SERVER_MALFORMED
www.badid.hostile.	A	secure	-	-	1	SERVER_MALFORMED
www.otherq.hostile.	A	secure	-	-	1	SERVER_MALFORMED
www.tc.hostile.	A	secure	-	-	0	SERVER_NEEDS_TCP
www.tcnotcp.hostile.	A	secure	-	-	1	SERVER_NO_TCP
www.formerr.hostile.	A	bogus	10	formerr.hostile.	2	ZONE_NO_DNSSEC,SERVER_NO_EDNS
www.silentedns.hostile.	A	secure	-	-	1	SERVER_NO_EDNS
www.refused.hostile.	A	secure	-	-	1	SERVER_LAME
www.servfail.hostile.	A	secure	-	-	1	SERVER_LAME
www.oversize.hostile.	A	secure	-	-	1	SERVER_UDP_TOO_LARGE
www.ptrloop.hostile.	A	secure	-	-	1	SERVER_MALFORMED
www.drip.hostile.	A	secure	-	-	1	SERVER_NO_TCP
www.alldrip.hostile.	A	unreachable	22	alldrip.hostile.	2	ZONE_UNREACHABLE,SERVER_NO_TCP
www.allrandom.hostile.	A	unreachable	22	allrandom.hostile.	2	ZONE_UNREACHABLE,SERVER_MALFORMED
www.alltcnotcp.hostile.	A	unreachable	22	alltcnotcp.hostile.	2	ZONE_UNREACHABLE,SERVER_NO_TCP
www.allformerr.hostile.	A	bogus	10	allformerr.hostile.	2	ZONE_NO_DNSSEC,SERVER_NO_EDNS
www.manyns.hostile.	A	secure	-	-	1	NS_SET_TRUNCATED
www.manyglueless.hostile.	A	unreachable	22	manyglueless.hostile.	2	ZONE_UNREACHABLE,NS_NO_ADDRESS,NS_SET_TRUNCATED
a.cname.hostile.	A	secure	-	-	1	CNAME_LOOP
c1.cname.hostile.	A	secure	-	-	1	CNAME_CHAIN_TOO_LONG
www.l30.l29.l28.l27.l26.l25.l24.l23.l22.l21.l20.l19.l18.l17.l16.l15.l14.l13.l12.l11.l10.l9.l8.l7.l6.l5.l4.l3.l2.l1.deep.hostile.	A	secure	-	-	0	-
www.l45.l44.l43.l42.l41.l40.l39.l38.l37.l36.l35.l34.l33.l32.l31.l30.l29.l28.l27.l26.l25.l24.l23.l22.l21.l20.l19.l18.l17.l16.l15.l14.l13.l12.l11.l10.l9.l8.l7.l6.l5.l4.l3.l2.l1.deep.hostile.	A	indeterminate	-	-	3	CHECK_INCOMPLETE
EOF
}
