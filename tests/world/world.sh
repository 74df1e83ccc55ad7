#!/bin/bash
# shellcheck disable=SC2034,SC2154  # keys live in KSK_/ZSK_<zone> variables set via eval, read via ${!v}
# world.sh -- the dnssec-doctor test world: a private DNS tree on 127.53.0.0/16.
#
#   world.sh build OUTDIR   keys, zones, signed zones, server configs, cases.tsv
#   world.sh start OUTDIR   start the NSD groups, silentd and two Unbound resolvers
#   world.sh stop  OUTDIR   stop everything started from OUTDIR (safe to repeat)
#   world.sh status OUTDIR  list what is running
#   world.sh run OUTDIR CMD [ARGS...]  start, run CMD, stop (trap: also on failure)
#
# OUTDIR holds absolute paths once built: rebuild rather than move it.
#
# start/stop must run inside the private network namespace (tests/world/netns.sh).
# Addresses (all port 53, UDP+TCP):
#   127.53.0.1 .0.2  root (.)                     127.53.1.1 .1.2  test.
#   127.53.1.3       broken.                      127.53.2.1 .2.2  leaf1 (all leaf zones)
#   127.53.2.3       leaf-stale (expired stale.test copy)
#   127.53.3.1       Unbound, validating          127.53.3.2       Unbound, non-validating
#   127.53.3.3       fakedns: answers after 200 ms 127.53.3.4      fakedns: garbage answers
#   127.53.3.5       fakedns: answers with a wrong ID
#   127.53.9.1 .9.3 .9.4  nothing listens         127.53.9.2       silentd (black hole)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { echo "world.sh: $*" >&2; exit 1; }

# The hostile TLD (misbehaving servers, limits): its own file.
# shellcheck source=tests/world/hostile.sh
. "$HERE/hostile.sh"

usage() {
    echo "usage: $0 build|start|stop|status OUTDIR" >&2
    echo "       $0 run OUTDIR CMD [ARGS...]   (start, run CMD, stop even if CMD fails)" >&2
    exit 3
}

# ---------------------------------------------------------------- build ----

DAY=86400

# Keys are test fixtures, made once and kept in tests/world/keys (MANIFEST: one
# "ZONE ALG ROLE BITS N FILEBASE" line per key; N counts the keys of that zone,
# algorithm, role and size in the order the build asks for them), so that every
# build is the same world and a failure replays; only signatures are made anew,
# with dates relative to now. A key the manifest lacks stops the build, unless
# DD_WORLD_NEW_KEYS=1 (then it is generated into tests/world/keys and recorded).
FIXTURES=$HERE/keys

blog() { # LINE...: the build's log ($OUT/build.log): keys, DS lines, checks
    printf '%s\n' "$*" >>"$OUT/build.log"
}

keygen() { # ZONE ALG ksk|zsk [RSA-BITS] -> prints the key's base path
    local zone=$1 alg=$2 role=$3 bits=${4:-2048} a n cf base tmp
    local -a opts=()
    case $alg in
        7) a=RSASHA1-NSEC3-SHA1; opts+=(-b "$bits") ;;
        8) a=RSASHA256; opts+=(-b "$bits") ;;
        13) a=ECDSAP256SHA256; bits=256 ;;
        15) a=ED25519; bits=256 ;;
        *) die "keygen: unknown algorithm $alg" ;;
    esac
    [ "$role" = ksk ] && opts+=(-k)
    # keygen runs in a subshell ($(...)): the per-kind counter lives in a file
    cf="$KEYS/.count.${zone}$alg.$role.$bits"
    n=$(($(cat "$cf" 2>/dev/null || echo 0) + 1))
    echo "$n" >"$cf"
    base=$(awk -v z="$zone" -v a="$alg" -v r="$role" -v b="$bits" -v n="$n" \
        '$1 == z && $2 == a && $3 == r && $4 == b && $5 == n { print $6; exit }' "$FIXTURES/MANIFEST" 2>/dev/null)
    if [ -z "$base" ]; then
        [ "${DD_WORLD_NEW_KEYS:-0}" = 1 ] \
            || die "no key fixture for $zone (algorithm $alg, $role, $bits bits, key $n) in $FIXTURES/MANIFEST: run 'DD_WORLD_NEW_KEYS=1 world.sh build DIR' once and commit tests/world/keys"
        tmp=$(mktemp -d)
        while :; do
            base=$(cd "$tmp" && ldns-keygen -a "$a" "${opts[@]}" "$zone") || die "ldns-keygen failed for $zone"
            [ -n "$base" ] && [ -s "$tmp/$base.key" ] && [ -s "$tmp/$base.private" ] \
                || die "ldns-keygen made no key files for $zone"
            # two keys of one zone with the same tag would share a file name
            [ -e "$FIXTURES/$base.key" ] || break
            rm -f "$tmp/$base".*
        done
        mv "$tmp/$base.key" "$tmp/$base.private" "$FIXTURES/"
        rm -rf "$tmp"
        printf '%s %s %s %s %s %s\n' "$zone" "$alg" "$role" "$bits" "$n" "$base" >>"$FIXTURES/MANIFEST"
    fi
    [ -s "$FIXTURES/$base.key" ] && [ -s "$FIXTURES/$base.private" ] || die "key fixture $FIXTURES/$base is missing"
    [ ! -e "$KEYS/$base.key" ] || die "keygen: $zone: key $base is already in use (key tag collision in the manifest)"
    cp "$FIXTURES/$base.key" "$FIXTURES/$base.private" "$KEYS/"
    blog "key  $zone $role #$n algorithm $alg, $bits bits: $base"
    echo "$KEYS/$base"
}

ds_of() { # KEYBASE [DIGEST] -> one DS line (zone-file syntax; SHA-256 unless DIGEST)
    local out
    out=$(ldns-key2ds -n "-${2:-2}" "$1.key") || die "ldns-key2ds failed for $1"
    # ldns-key2ds prints nothing for a key without the SEP flag
    [ -n "$out" ] || die "ldns-key2ds made no DS for $1 (not a key-signing key?)"
    printf '%s\n' "$out" | tr -s ' \t' '\t'
    echo
}

# ds_intent ZONE match|nomatch: append the DS lines on stdin to ZONE's delegation
# and record them in $OUT/ds-intent: "match" DS lines must match a key the child
# publishes, "nomatch" ones must match none (the broken cases). check_ds holds the
# signed parents to this list once they are made.
ds_intent() {
    ds_record "$1" "$2" >>"$Z/${1%.}.deleg"
}

ds_record() { # ZONE match|nomatch: as ds_intent, but the DS lines go to stdout
    local zone=$1 kind=$2 line n=0
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        printf '%s\n' "$line"
        printf '%s\t%s\t%s\n' "$zone" "$kind" "$line" >>"$OUT/ds-intent"
        blog "ds   $zone ($kind): $line"
        n=$((n + 1))
    done
    [ "$n" -gt 0 ] || die "no DS line for $zone"
}

# check_ds: before any server starts, hold the signed zones to $OUT/ds-intent
# (tests/world/checkds.py: exactly the intended DS lines in the signed parents,
# each "match" DS matching a key its child publishes, each "nomatch" DS none, the
# root anchor matching the root's key). A wrong world stops here, naming the
# zone, instead of becoming a test failure later.
check_ds() {
    local bad t0
    t0=$(date +%s%N)
    bad=$(python3 "$HERE/checkds.py" "$OUT" "$Z" 2>>"$OUT/build.log") \
        || die "$(printf 'the DS records of the world are not what was intended:\n%s' "$bad")"
    blog "check: DS lines as intended ($((($(date +%s%N) - t0) / 1000000)) ms)"
}

soa() { # ZONE MNAME RNAME
    printf '$TTL 300\n%s\t300\tIN\tSOA\t%s %s %s 3600 600 86400 300\n' "$1" "$2" "$3" "$SERIAL"
}

rrtype_of() { case $1 in *:*) echo AAAA ;; *) echo A ;; esac; }

# mkleaf ZONE NUM NSSPEC...   NSSPEC is "fqdn=addr" (in-bailiwick, glue) or "fqdn"
# Writes $Z/ZONE.zone (unsigned) and $Z/ZONE.deleg (NS + glue for the parent).
mkleaf() {
    local zone=$1 num=$2 spec name addr
    shift 2
    {
        soa "$zone" "${1%%=*}" "hostmaster.$zone"
        for spec in "$@"; do printf '%s\tNS\t%s\n' "$zone" "${spec%%=*}"; done
        for spec in "$@"; do
            name=${spec%%=*} addr=${spec#*=}
            [ "$name" != "$spec" ] || continue
            case $name in *".$zone") printf '%s\t%s\t%s\n' "$name" "$(rrtype_of "$addr")" "$addr" ;; esac
        done
        printf 'www.%s\tA\t192.0.2.%s\n' "$zone" "$num"
    } >"$Z/${zone%.}.zone"
    {
        for spec in "$@"; do printf '%s\t300\tIN\tNS\t%s\n' "$zone" "${spec%%=*}"; done
        for spec in "$@"; do
            name=${spec%%=*} addr=${spec#*=}
            [ "$name" != "$spec" ] || continue
            case $name in *".$zone") printf '%s\t300\tIN\t%s\t%s\n' "$name" "$(rrtype_of "$addr")" "$addr" ;; esac
        done
    } >"$Z/${zone%.}.deleg"
}

std_leaf() { # ZONE NUM: NS ns1/ns2.ZONE on leaf1
    mkleaf "$1" "$2" "ns1.$1=127.53.2.1" "ns2.$1=127.53.2.2"
}

# sign ZONE IN OUT INCEPTION EXPIRATION KEYBASE...
sign() {
    local zone=$1 in=$2 out=$3 inc=$4 exp=$5
    shift 5
    # shellcheck disable=SC2086 # SIGN_OPTS is a list of options
    ldns-signzone ${SIGN_OPTS:--n -t 0} -o "$zone" -i "$inc" -e "$exp" -f "$out" "$in" "$@" \
        || die "ldns-signzone failed for $zone"
}

add_ds() { # ZONE KEYBASE [nomatch]: append the key's DS to ZONE's delegation
    ds_of "$2" | ds_intent "$1" "${3:-match}"
}

# std_signed ZONE NUM [ALG [RSA-BITS]]: healthy KSK+ZSK zone on leaf1, DS in parent
std_signed() {
    local zone=$1 num=$2 alg=${3:-13} bits=${4:-2048} ksk zsk
    std_leaf "$zone" "$num"
    ksk=$(keygen "$zone" "$alg" ksk "$bits")
    zsk=$(keygen "$zone" "$alg" zsk "$bits")
    eval "KSK_${zone//[.-]/_}=\$ksk ZSK_${zone//[.-]/_}=\$zsk"
}

sign_normal() { # ZONE: sign $Z/ZONE.zone with its std keys -> $Z/ZONE.signed
    local v=${1//[.-]/_} k z
    k=KSK_$v z=ZSK_$v
    sign "$1" "$Z/${1%.}.zone" "$Z/${1%.}.signed" "$NORM_I" "$NORM_E" "${!k}" "${!z}"
}

ksk_of() { local v=KSK_${1//[.-]/_}; [ -n "${!v:-}" ] || die "no KSK recorded for $1"; echo "${!v}"; }

cds_of() { # KEYBASE -> CDS (SHA-256) and CDNSKEY lines for the key
    ldns-key2ds -n -2 "$1.key" | awk -v OFS='\t' 'NF { for (i = 1; i <= NF; i++) if ($i == "DS") { $i = "CDS"; break } print }'
    awk -v OFS='\t' '!/^;/ && NF { sub(/;.*/, ""); for (i = 1; i <= NF; i++) if ($i == "DNSKEY") { $i = "CDNSKEY"; break } print }' "$1.key"
}

# The zones added for the policy, denial, time and CDS cases (all under test., on leaf1).
POLICY_ZONES="sha1ds rsasha1 rsa1024 unsupalg unsupdigest nsec3iter nsec3salt nsec wild cdsgood cdsbad cdsdelete inverted skew idleksk dname optout v6ns lame zsksigns zskalso v6only revoked nozonebit wilditer nodenial"

# rrsig_line_edit ZONEFILE OWNER TYPE AWKACTION: operate on the RRSIG over OWNER/TYPE
check_count() { # FILE REGEX EXPECTED what
    local n
    n=$(grep -cE "$2" "$1" || true)
    [ "$n" = "$3" ] || die "build self-test: $4 (expected $3, found $n in $1)"
}

nsd_conf() { # GROUP ZONE:FILE... (addresses in $ADDRS)
    local group=$1 d="$OUT/nsd/$1" a zf
    shift
    mkdir -p "$d"
    {
        echo "# NSD for the test-world group '$group' (generated by world.sh)"
        echo "server:"
        for a in $ADDRS; do echo "    ip-address: $a"; done
        cat <<EOF
    port: 53
    do-ip4: yes
    do-ip6: no
    reuseport: no
    server-count: 1
    username: ""
    chroot: ""
    database: ""
    zonesdir: "$Z"
    zonelistfile: "$d/zone.list"
    xfrdfile: "$d/xfrd.state"
    xfrdir: "$d"
    pidfile: "$d/nsd.pid"
    logfile: "$d/nsd.log"
    verbosity: 1
    hide-version: yes
    refuse-any: no
    # no response rate limiting: scans and benchmarks send thousands of queries a second
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
EOF
        for zf in "$@"; do
            printf 'zone:\n    name: "%s"\n    zonefile: "%s"\n' "${zf%%:*}" "${zf#*:}"
        done
    } >"$d/nsd.conf"
    echo "$ADDRS" >"$d/addrs"
    echo "${1%%:*}" >"$d/probe-zone"
}

unbound_conf() { # NAME ADDR VALIDATING(yes|no)
    local d="$OUT/unbound/$1"
    mkdir -p "$d"
    {
        cat <<EOF
# Unbound '$1' for the test world (generated by world.sh)
server:
    interface: $2
    port: 53
    do-ip4: yes
    do-ip6: no
    do-udp: yes
    do-tcp: yes
    so-reuseport: no
    num-threads: 1
    chroot: ""
    username: ""
    directory: "$d"
    pidfile: "$d/unbound.pid"
    logfile: "$d/unbound.log"
    use-syslog: no
    verbosity: 1
    access-control: 127.0.0.0/8 allow
    do-not-query-localhost: no
    root-hints: "$OUT/root.hints"
    harden-referral-path: no
    qname-minimisation: no
    trust-anchor-signaling: no
    root-key-sentinel: no
    prefetch: no
    ede: yes
    val-log-level: 2
    outgoing-interface: $2
    local-zone: "test." nodefault
    infra-cache-max-rtt: 400
    # Re-validate bogus data on every query, so each test sees the full EDE
    # (a cached bogus answer carries only EDE 6 without its reason).
    val-bogus-ttl: 0
    outbound-msg-retry: 2
EOF
        if [ "$3" = yes ]; then
            echo '    module-config: "validator iterator"'
            echo "    trust-anchor-file: \"$OUT/root-anchor.ds\""
        else
            echo '    module-config: "iterator"'
        fi
        cat <<EOF
remote-control:
    control-enable: no
EOF
    } >"$d/unbound.conf"
    echo "$2" >"$d/addrs"
}

# build_big N: a TLD "big." (ns1.nic.big 127.53.4.1) with N signed delegations
# d00001.big. ... served from 127.53.4.2 and .3; every tenth has a DS of a key it
# does not publish (bogus), every tenth from the fifth on has no DS (insecure
# island), the rest are healthy. All children share one KSK/ZSK pair (copied
# under each owner name), so building takes seconds per thousand zones.
build_big() {
    local n=$1 i z ksk zsk bad kb zb tag
    ksk=$(keygen big-child. 13 ksk) zsk=$(keygen big-child. 13 zsk) bad=$(keygen big-child. 13 ksk)
    : >"$Z/big.children"
    : >"$Z/big.zonelist"
    for i in $(seq -f '%05g' 1 "$n"); do
        z=d$i.big.
        for kb in "$ksk" "$zsk" "$bad"; do
            tag=${kb##*+}
            zb="$KEYS/K$z+013+$tag"
            sed "s/^big-child\./$z/" "$kb.key" >"$zb.key"
            cp "$kb.private" "$zb.private"
        done
        {
            soa "$z" "ns1.$z" "hostmaster.$z"
            printf '%s\tNS\tns1.%s\n%s\tNS\tns2.%s\n' "$z" "$z" "$z" "$z"
            printf 'ns1.%s\tA\t127.53.4.2\nns2.%s\tA\t127.53.4.3\nwww.%s\tA\t192.0.2.99\n' "$z" "$z" "$z"
        } >"$Z/${z%.}.zone"
        sign "$z" "$Z/${z%.}.zone" "$Z/${z%.}.signed" "$NORM_I" "$NORM_E" "$KEYS/K$z+013+${ksk##*+}" "$KEYS/K$z+013+${zsk##*+}" \
            >/dev/null
        {
            printf '%s\t300\tIN\tNS\tns1.%s\n%s\t300\tIN\tNS\tns2.%s\n' "$z" "$z" "$z" "$z"
            printf 'ns1.%s\t300\tIN\tA\t127.53.4.2\nns2.%s\t300\tIN\tA\t127.53.4.3\n' "$z" "$z"
            case $i in
                *0) ds_of "$KEYS/K$z+013+${bad##*+}" | ds_record "$z" nomatch ;;
                *5) ;;
                *) ds_of "$KEYS/K$z+013+${ksk##*+}" | ds_record "$z" match ;;
            esac
        } >>"$Z/big.children"
        printf '%s:%s.signed ' "$z" "${z%.}" >>"$Z/big.zonelist"
    done
    local tk tz
    tk=$(keygen big. 13 ksk) tz=$(keygen big. 13 zsk)
    {
        soa big. ns1.nic.big. hostmaster.nic.big.
        printf 'big.\tNS\tns1.nic.big.\nns1.nic.big.\tA\t127.53.4.1\n'
        cat "$Z/big.children"
    } >"$Z/big.zone"
    sign big. "$Z/big.zone" "$Z/big.signed" "$NORM_I" "$NORM_E" "$tk" "$tz"
    printf 'big.\t300\tIN\tNS\tns1.nic.big.\nns1.nic.big.\t300\tIN\tA\t127.53.4.1\n' >"$Z/big.deleg"
    add_ds big. "$tk"
}

do_build() {
    local t0 n
    t0=$(date +%s%N)
    for t in nsd unbound ldns-keygen ldns-signzone ldns-key2ds dig cc python3; do
        command -v "$t" >/dev/null || die "missing tool: $t (install nsd unbound ldnsutils bind9-dnsutils)"
    done
    if [ -d "$OUT" ] && [ -n "$(running_pids)" ]; then die "$OUT: the world is running; stop it first"; fi
    rm -rf "$OUT"
    mkdir -p "$OUT"
    OUT=$(cd "$OUT" && pwd)
    KEYS=$OUT/keys Z=$OUT/zones
    mkdir -p "$KEYS" "$Z"
    : >"$OUT/build.log"
    : >"$OUT/ds-intent"
    blog "world.sh build $OUT at $(date -u +%Y-%m-%dT%H:%M:%SZ); keys from $FIXTURES"

    local now
    now=$(date +%s)
    SERIAL=$now
    NORM_I=$((now - DAY)) NORM_E=$((now + 30 * DAY))
    EXP_I=$((now - 40 * DAY)) EXP_E=$((now - DAY))
    FUT_I=$((now + 10 * DAY)) FUT_E=$((now + 40 * DAY))
    echo "$now" >"$OUT/built_at"

    cc -O2 -Wall -Wextra -o "$OUT/silentd" "$HERE/silentd.c" || die "cannot compile silentd"
    cc -O2 -Wall -Wextra -o "$OUT/fakedns" "$HERE/fakedns.c" || die "cannot compile fakedns"

    # ------------------------------------------------------ leaf zones --
    local k zone
    std_signed good8.test. 8 8;   sign_normal good8.test.;   add_ds good8.test. "$(ksk_of good8.test.)"
    std_signed good13.test. 13;   printf 'cname.good13.test.\tCNAME\twww.expired.test.\n' >>"$Z/good13.test.zone"
    # Hostile DNS data for the web page's escaping test (tests/system/web.sh).
    printf '%s\n' 'hostile.good13.test.	TXT	"<script>alert(1)</script>" "\"&'"'"'<img src=x onerror=alert(2)>"' >>"$Z/good13.test.zone"
    sign_normal good13.test.;     add_ds good13.test. "$(ksk_of good13.test.)"
    std_signed good15.test. 15 15; sign_normal good15.test.; add_ds good15.test. "$(ksk_of good15.test.)"

    std_leaf unsigned.test. 20;   cp "$Z/unsigned.test.zone" "$Z/unsigned.test.signed"

    std_signed island.test. 21;   sign_normal island.test.   # no DS

    std_signed expired.test. 22
    sign expired.test. "$Z/expired.test.zone" "$Z/expired.test.signed" "$EXP_I" "$EXP_E" \
        "$(ksk_of expired.test.)" "$ZSK_expired_test_"
    add_ds expired.test. "$(ksk_of expired.test.)"

    std_signed future.test. 23
    sign future.test. "$Z/future.test.zone" "$Z/future.test.signed" "$FUT_I" "$FUT_E" \
        "$(ksk_of future.test.)" "$ZSK_future_test_"
    add_ds future.test. "$(ksk_of future.test.)"

    std_signed kskroll.test. 24   # KSK_ is the new, published KSK
    k=$(keygen kskroll.test. 13 ksk)   # the old KSK: only its DS survives
    sign_normal kskroll.test.;    add_ds kskroll.test. "$k" nomatch

    std_leaf dsunsigned.test. 25; cp "$Z/dsunsigned.test.zone" "$Z/dsunsigned.test.signed"
    k=$(keygen dsunsigned.test. 13 ksk); add_ds dsunsigned.test. "$k" nomatch

    std_signed nosig.test. 26;    sign_normal nosig.test.;   add_ds nosig.test. "$(ksk_of nosig.test.)"
    awk -F'\t' '!($1 == "www.nosig.test." && $4 == "RRSIG" && $5 ~ /^A /)' \
        "$Z/nosig.test.signed" >"$Z/nosig.tmp" && mv "$Z/nosig.tmp" "$Z/nosig.test.signed"
    check_count "$Z/nosig.test.signed" $'^www\\.nosig\\.test\\.\t.*\tRRSIG\tA ' 0 "nosig RRSIG removal"

    std_signed baddigest.test. 27; sign_normal baddigest.test.
    ds_of "$(ksk_of baddigest.test.)" | awk -F'\t' -v OFS='\t' 'NF {
        d = $NF; out = "";
        for (i = 1; i <= length(d); i++) {
            c = substr(d, i, 1); p = index("0123456789abcdef", tolower(c));
            out = out (i <= 8 ? substr("fedcba9876543210", p, 1) : c)
        }
        $NF = out; print }' | ds_intent baddigest.test. nomatch

    std_signed badalg.test. 28;   sign_normal badalg.test.
    ds_of "$(ksk_of badalg.test.)" | awk -F'\t' -v OFS='\t' 'NF { $6 = 8; print }' | ds_intent badalg.test. nomatch

    std_signed corrupt.test. 29;  sign_normal corrupt.test.; add_ds corrupt.test. "$(ksk_of corrupt.test.)"
    awk -F'\t' -v OFS='\t' '$1 == "www.corrupt.test." && $4 == "RRSIG" && $5 ~ /^A / {
        n = split($5, f, " "); s = f[n]; m = int(length(s) / 2);
        c = substr(s, m, 1); r = (c == "A") ? "B" : "A";
        c2 = substr(s, m + 1, 1); r2 = (c2 == "Q") ? "R" : "Q";
        f[n] = substr(s, 1, m - 1) r r2 substr(s, m + 2);
        $5 = f[1]; for (i = 2; i <= n; i++) $5 = $5 " " f[i]; done = 1 }
        { print } END { if (!done) exit 1 }' \
        "$Z/corrupt.test.signed" >"$Z/corrupt.tmp" || die "corrupt: RRSIG not found"
    mv "$Z/corrupt.tmp" "$Z/corrupt.test.signed"

    # wrongksk: K1 (DS'd, published, never signs) + K2 (signs DNSKEY) + ZSK
    std_signed wrongksk.test. 30  # KSK_ = K2
    k=$(keygen wrongksk.test. 13 ksk)  # K1
    cat "$k.key" >>"$Z/wrongksk.test.zone"; echo >>"$Z/wrongksk.test.zone"
    sign_normal wrongksk.test.;   add_ds wrongksk.test. "$k"

    # doubleds: DS for the current KSK and for a new, unpublished KSK
    std_signed doubleds.test. 31; sign_normal doubleds.test.
    add_ds doubleds.test. "$(ksk_of doubleds.test.)"
    k=$(keygen doubleds.test. 13 ksk); add_ds doubleds.test. "$k" nomatch

    # algroll: alg 8 and alg 13 KSK+ZSK, everything signed with both; DS for alg 8 only
    std_signed algroll.test. 32 8
    local k13 z13
    k13=$(keygen algroll.test. 13 ksk) z13=$(keygen algroll.test. 13 zsk)
    sign algroll.test. "$Z/algroll.test.zone" "$Z/algroll.test.signed" "$NORM_I" "$NORM_E" \
        "$(ksk_of algroll.test.)" "$ZSK_algroll_test_" "$k13" "$z13"
    add_ds algroll.test. "$(ksk_of algroll.test.)"

    # parent.test delegates child.parent.test (good) and badchild.parent.test (DS of no key)
    std_signed child.parent.test. 34;    sign_normal child.parent.test.
    add_ds child.parent.test. "$(ksk_of child.parent.test.)"
    std_signed badchild.parent.test. 35; sign_normal badchild.parent.test.
    k=$(keygen badchild.parent.test. 13 ksk); add_ds badchild.parent.test. "$k" nomatch
    std_signed parent.test. 33
    cat "$Z/child.parent.test.deleg" "$Z/badchild.parent.test.deleg" >>"$Z/parent.test.zone"
    sign_normal parent.test.;     add_ds parent.test. "$(ksk_of parent.test.)"

    # stale: good copy on leaf1 (ns1), expired copy on leaf-stale (ns3)
    mkleaf stale.test. 36 ns1.stale.test.=127.53.2.1 ns3.stale.test.=127.53.2.3
    KSK_stale_test_=$(keygen stale.test. 13 ksk) ZSK_stale_test_=$(keygen stale.test. 13 zsk)
    sign_normal stale.test.;      add_ds stale.test. "$(ksk_of stale.test.)"
    sign stale.test. "$Z/stale.test.zone" "$Z/stale.test.expired.signed" "$EXP_I" "$EXP_E" \
        "$KSK_stale_test_" "$ZSK_stale_test_"

    mkleaf deadns.test. 37 ns1.deadns.test.=127.53.2.1 nsdead.deadns.test.=127.53.9.1
    KSK_deadns_test_=$(keygen deadns.test. 13 ksk) ZSK_deadns_test_=$(keygen deadns.test. 13 zsk)
    sign_normal deadns.test.;     add_ds deadns.test. "$KSK_deadns_test_"

    mkleaf silentns.test. 38 ns1.silentns.test.=127.53.2.1 nssilent.silentns.test.=127.53.9.2
    KSK_silentns_test_=$(keygen silentns.test. 13 ksk) ZSK_silentns_test_=$(keygen silentns.test. 13 zsk)
    sign_normal silentns.test.;   add_ds silentns.test. "$KSK_silentns_test_"

    # alldead: delegated (with DS) to two addresses where nothing listens; not served
    mkleaf alldead.test. 39 ns1.alldead.test.=127.53.9.3 ns2.alldead.test.=127.53.9.4
    KSK_alldead_test_=$(keygen alldead.test. 13 ksk) ZSK_alldead_test_=$(keygen alldead.test. 13 zsk)
    sign_normal alldead.test.;    add_ds alldead.test. "$KSK_alldead_test_"

    std_signed provider.test. 40
    printf 'ns.provider.test.\tA\t127.53.2.1\n' >>"$Z/provider.test.zone"
    sign_normal provider.test.;   add_ds provider.test. "$(ksk_of provider.test.)"

    mkleaf outofzone.test. 41 ns.provider.test. ns2.provider.test.
    KSK_outofzone_test_=$(keygen outofzone.test. 13 ksk) ZSK_outofzone_test_=$(keygen outofzone.test. 13 zsk)
    sign_normal outofzone.test.;  add_ds outofzone.test. "$KSK_outofzone_test_"

    std_signed ok.broken. 50;     sign_normal ok.broken.; add_ds ok.broken. "$(ksk_of ok.broken.)"

    # ------------------------------------- policy, denial, time, CDS cases --
    # sha1ds: the only DS uses SHA-1
    std_signed sha1ds.test. 60;   sign_normal sha1ds.test.
    ds_of "$(ksk_of sha1ds.test.)" 1 | ds_intent sha1ds.test. match
    # rsasha1: algorithm 7 (RSASHA1-NSEC3-SHA1, deprecated by RFC 9905)
    std_signed rsasha1.test. 61 7; sign_normal rsasha1.test.; add_ds rsasha1.test. "$(ksk_of rsasha1.test.)"
    # rsa1024: algorithm 8 with 1024-bit keys
    std_signed rsa1024.test. 62 8 1024; sign_normal rsa1024.test.; add_ds rsa1024.test. "$(ksk_of rsa1024.test.)"
    # unsupalg: the DS names algorithm 253 (private), so validators treat the zone as unsigned
    std_signed unsupalg.test. 63; sign_normal unsupalg.test.
    ds_of "$(ksk_of unsupalg.test.)" | awk -F'\t' -v OFS='\t' 'NF { $6 = 253; print }' | ds_intent unsupalg.test. nomatch
    # unsupdigest: the DS uses digest type 200 (unassigned)
    std_signed unsupdigest.test. 64; sign_normal unsupdigest.test.
    ds_of "$(ksk_of unsupdigest.test.)" | awk -F'\t' -v OFS='\t' 'NF { $7 = 200; print }' | ds_intent unsupdigest.test. nomatch
    # nsec3iter: NSEC3 with 200 iterations and a salt (above the 150 that resolvers accept)
    std_signed nsec3iter.test. 65
    SIGN_OPTS="-n -t 200 -s 0badc0de" sign_normal nsec3iter.test.; add_ds nsec3iter.test. "$(ksk_of nsec3iter.test.)"
    # nsec3salt: NSEC3 with 10 iterations and a salt (below the limit: a warning only)
    std_signed nsec3salt.test. 66
    SIGN_OPTS="-n -t 10 -s cafe" sign_normal nsec3salt.test.; add_ds nsec3salt.test. "$(ksk_of nsec3salt.test.)"
    # nsec: plain NSEC
    std_signed nsec.test. 67;     SIGN_OPTS=" " sign_normal nsec.test.; add_ds nsec.test. "$(ksk_of nsec.test.)"
    # wild: a wildcard
    std_signed wild.test. 68;     printf '*.wild.test.\tA\t192.0.2.68\n' >>"$Z/wild.test.zone"
    sign_normal wild.test.;       add_ds wild.test. "$(ksk_of wild.test.)"
    # cdsgood: CDS and CDNSKEY of the current KSK
    std_signed cdsgood.test. 69
    cds_of "$(ksk_of cdsgood.test.)" >>"$Z/cdsgood.test.zone"
    sign_normal cdsgood.test.;    add_ds cdsgood.test. "$(ksk_of cdsgood.test.)"
    # cdsbad: CDS and CDNSKEY of a key the zone does not publish
    std_signed cdsbad.test. 70;   k=$(keygen cdsbad.test. 13 ksk)
    cds_of "$k" >>"$Z/cdsbad.test.zone"
    sign_normal cdsbad.test.;     add_ds cdsbad.test. "$(ksk_of cdsbad.test.)"
    # cdsdelete: the RFC 8078 delete request
    std_signed cdsdelete.test. 71
    printf 'cdsdelete.test.\tCDS\t0 0 0 00\ncdsdelete.test.\tCDNSKEY\t0 3 0 AA==\n' >>"$Z/cdsdelete.test.zone"
    sign_normal cdsdelete.test.;  add_ds cdsdelete.test. "$(ksk_of cdsdelete.test.)"
    # inverted: every signature expires before its inception
    std_signed inverted.test. 72
    sign inverted.test. "$Z/inverted.test.zone" "$Z/inverted.test.signed" "$NORM_E" "$NORM_I" \
        "$(ksk_of inverted.test.)" "$ZSK_inverted_test_"
    add_ds inverted.test. "$(ksk_of inverted.test.)"
    # skew: every inception 20 minutes in the future (a signer clock running ahead)
    std_signed skew.test. 73
    sign skew.test. "$Z/skew.test.zone" "$Z/skew.test.signed" "$((now + 1200))" "$NORM_E" \
        "$(ksk_of skew.test.)" "$ZSK_skew_test_"
    add_ds skew.test. "$(ksk_of skew.test.)"
    # idleksk: two KSKs, both with a DS; only one signs the DNSKEY RRset
    std_signed idleksk.test. 74;  k=$(keygen idleksk.test. 13 ksk)
    cat "$k.key" >>"$Z/idleksk.test.zone"; echo >>"$Z/idleksk.test.zone"
    sign_normal idleksk.test.;    add_ds idleksk.test. "$(ksk_of idleksk.test.)"; add_ds idleksk.test. "$k"
    # dname: DNAMEs into a healthy zone and into a zone with expired signatures
    std_signed dname.test. 76
    printf 'old.dname.test.\tDNAME\tgood13.test.\nbad.dname.test.\tDNAME\texpired.test.\n' >>"$Z/dname.test.zone"
    sign_normal dname.test.;      add_ds dname.test. "$(ksk_of dname.test.)"
    # optout: NSEC3 opt-out, delegating insec.optout.test (unsigned, no DS)
    std_leaf insec.optout.test. 77; cp "$Z/insec.optout.test.zone" "$Z/insec.optout.test.signed"
    std_signed optout.test. 78;   cat "$Z/insec.optout.test.deleg" >>"$Z/optout.test.zone"
    SIGN_OPTS="-n -t 0 -p" sign_normal optout.test.; add_ds optout.test. "$(ksk_of optout.test.)"
    # v6ns: a second name server with an IPv6 address only (not tested without an IPv6 route)
    mkleaf v6ns.test. 79 ns1.v6ns.test.=127.53.2.1 ns6.v6ns.test.=fd00:53::1
    KSK_v6ns_test_=$(keygen v6ns.test. 13 ksk) ZSK_v6ns_test_=$(keygen v6ns.test. 13 zsk)
    sign_normal v6ns.test.;       add_ds v6ns.test. "$KSK_v6ns_test_"
    # lame: ns2 points at a server that does not serve the zone (it answers REFUSED)
    mkleaf lame.test. 75 ns1.lame.test.=127.53.2.1 ns2.lame.test.=127.53.1.3
    KSK_lame_test_=$(keygen lame.test. 13 ksk) ZSK_lame_test_=$(keygen lame.test. 13 zsk)
    sign_normal lame.test.;       add_ds lame.test. "$KSK_lame_test_"

    # zsksigns: the DS names a published KSK, but only the ZSK signs the DNSKEY RRset.
    # The fix is the signer's (sign with that KSK); no DS is proposed for the ZSK.
    std_leaf zsksigns.test. 80
    k=$(keygen zsksigns.test. 13 ksk) ZSK_zsksigns_test_=$(keygen zsksigns.test. 13 zsk)
    cat "$k.key" >>"$Z/zsksigns.test.zone"; echo >>"$Z/zsksigns.test.zone"
    sign zsksigns.test. "$Z/zsksigns.test.zone" "$Z/zsksigns.test.signed" "$NORM_I" "$NORM_E" "$ZSK_zsksigns_test_"
    add_ds zsksigns.test. "$k"
    check_count "$Z/zsksigns.test.signed" $'\tRRSIG\tDNSKEY ' 1 "zsksigns: DNSKEY signed by the ZSK only"
    # zskalso: KSK and ZSK both sign the DNSKEY RRset (-A); the parent has the DS of an old
    # KSK. The DS to propose is the KSK's only, never the ZSK's.
    std_signed zskalso.test. 81;  k=$(keygen zskalso.test. 13 ksk)
    SIGN_OPTS="-n -t 0 -A" sign_normal zskalso.test.; add_ds zskalso.test. "$k" nomatch
    check_count "$Z/zskalso.test.signed" $'\tRRSIG\tDNSKEY ' 2 "zskalso: DNSKEY signed by KSK and ZSK"

    # v6only: every name server has an IPv6 address only; the namespace has no IPv6
    # route, so nothing can be asked: indeterminate, never "secure" (not served).
    mkleaf v6only.test. 82 ns1.v6only.test.=fd00:53::2 ns2.v6only.test.=fd00:53::3
    KSK_v6only_test_=$(keygen v6only.test. 13 ksk) ZSK_v6only_test_=$(keygen v6only.test. 13 zsk)
    sign_normal v6only.test.;     add_ds v6only.test. "$KSK_v6only_test_"

    # revoked: the only DS'd KSK has the REVOKE bit set (RFC 5011) and still signs the
    # DNSKEY RRset. Validators still validate through it: secure, with a warning.
    std_signed revoked.test. 83
    sed -i 's/\tDNSKEY\t257 /\tDNSKEY\t385 /' "$(ksk_of revoked.test.).key"
    grep -q $'\tDNSKEY\t385 ' "$(ksk_of revoked.test.).key" || die "revoked: could not set the REVOKE bit"
    sign_normal revoked.test.;    add_ds revoked.test. "$(ksk_of revoked.test.)"
    check_count "$Z/revoked.test.signed" $'\tDNSKEY\t385 ' 1 "revoked: the KSK published with the REVOKE bit"

    # nozonebit: the only DS names a published key whose Zone Key flag is clear (flags 1,
    # RFC 4034 §2.1.1): validators must not use it; the zone's real KSK signs.
    std_signed nozonebit.test. 84; k=$(keygen nozonebit.test. 13 ksk)
    sed -i 's/\tDNSKEY\t257 /\tDNSKEY\t1 /' "$k.key"
    cat "$k.key" >>"$Z/nozonebit.test.zone"; echo >>"$Z/nozonebit.test.zone"
    sign_normal nozonebit.test.;  add_ds nozonebit.test. "$k"
    check_count "$Z/nozonebit.test.signed" $'\tDNSKEY\t1 3 ' 1 "nozonebit: a key without the Zone Key flag"

    # wilditer: a wildcard answer whose proof is NSEC3 with 200 iterations (above the 150
    # that resolvers accept): insecure with EDE 27, as for a denial (RFC 9276 §3.2).
    std_signed wilditer.test. 85; printf '*.wilditer.test.\tA\t192.0.2.85\n' >>"$Z/wilditer.test.zone"
    SIGN_OPTS="-n -t 200" sign_normal wilditer.test.; add_ds wilditer.test. "$(ksk_of wilditer.test.)"

    # nodenial: the NSEC3 chain removed after signing: an NXDOMAIN comes without its proof.
    # The keys are fine; the answer is bogus (EDE 12).
    std_signed nodenial.test. 86; sign_normal nodenial.test.; add_ds nodenial.test. "$(ksk_of nodenial.test.)"
    awk -F'\t' '!($4 == "NSEC3" || ($4 == "RRSIG" && $5 ~ /^NSEC3 /))' "$Z/nodenial.test.signed" >"$Z/nodenial.tmp" \
        && mv "$Z/nodenial.tmp" "$Z/nodenial.test.signed"
    check_count "$Z/nodenial.test.signed" $'\tNSEC3\t' 0 "nodenial: NSEC3 chain removed"

    # ------------------------------------------------------------- TLDs --
    local tldk tldz
    tldk=$(keygen test. 8 ksk) tldz=$(keygen test. 8 zsk)
    {
        soa test. ns1.nic.test. hostmaster.nic.test.
        printf 'test.\tNS\tns1.nic.test.\ntest.\tNS\tns2.nic.test.\n'
        printf 'ns1.nic.test.\tA\t127.53.1.1\nns2.nic.test.\tA\t127.53.1.2\n'
        for zone in good8 good13 good15 unsigned island expired future kskroll dsunsigned \
            nosig baddigest badalg corrupt wrongksk doubleds algroll parent stale deadns \
            silentns alldead provider outofzone $POLICY_ZONES; do
            cat "$Z/$zone.test.deleg"
        done
    } >"$Z/test.zone"
    sign test. "$Z/test.zone" "$Z/test.signed" "$NORM_I" "$NORM_E" "$tldk" "$tldz"
    printf 'test.\t300\tIN\tNS\tns1.nic.test.\ntest.\t300\tIN\tNS\tns2.nic.test.\n' >"$Z/test.deleg"
    printf 'ns1.nic.test.\t300\tIN\tA\t127.53.1.1\nns2.nic.test.\t300\tIN\tA\t127.53.1.2\n' >>"$Z/test.deleg"
    add_ds test. "$tldk"

    local bk bz bold
    bk=$(keygen broken. 13 ksk) bz=$(keygen broken. 13 zsk) bold=$(keygen broken. 13 ksk)
    {
        soa broken. ns1.nic.broken. hostmaster.nic.broken.
        printf 'broken.\tNS\tns1.nic.broken.\nns1.nic.broken.\tA\t127.53.1.3\n'
        cat "$Z/ok.broken.deleg"
    } >"$Z/broken.zone"
    sign broken. "$Z/broken.zone" "$Z/broken.signed" "$NORM_I" "$NORM_E" "$bk" "$bz"
    printf 'broken.\t300\tIN\tNS\tns1.nic.broken.\nns1.nic.broken.\t300\tIN\tA\t127.53.1.3\n' >"$Z/broken.deleg"
    add_ds broken. "$bold" nomatch   # DS of an old key that broken. does not publish

    hostile_build
    # ------------------------------------------------- the big TLD (bench) --
    [ "${DD_WORLD_BIG:-0}" -gt 0 ] && build_big "$DD_WORLD_BIG"

    # ------------------------------------------------------------- root --
    local rk rz
    rk=$(keygen . 13 ksk) rz=$(keygen . 13 zsk)
    {
        soa . a.ns.root-servers. hostmaster.root-servers.
        printf '.\tNS\ta.ns.root-servers.\n.\tNS\tb.ns.root-servers.\n'
        printf 'a.ns.root-servers.\tA\t127.53.0.1\nb.ns.root-servers.\tA\t127.53.0.2\n'
        cat "$Z/test.deleg" "$Z/broken.deleg" "$Z/hostile.deleg"
        [ -f "$Z/big.deleg" ] && cat "$Z/big.deleg"
    } >"$Z/root.zone"
    sign . "$Z/root.zone" "$Z/root.signed" "$NORM_I" "$NORM_E" "$rk" "$rz"

    {
        printf '; root hints of the dnssec-doctor test world\n'
        printf '.\t3600000\tIN\tNS\ta.ns.root-servers.\n.\t3600000\tIN\tNS\tb.ns.root-servers.\n'
        printf 'a.ns.root-servers.\t3600000\tIN\tA\t127.53.0.1\nb.ns.root-servers.\t3600000\tIN\tA\t127.53.0.2\n'
    } >"$OUT/root.hints"
    ds_of "$rk" >"$OUT/root-anchor.ds"
    awk -F'\t' 'NF { printf "trust-anchors {\n\t\".\" static-ds %s %s %s \"%s\";\n};\n", $5, $6, $7, $8 }' \
        "$OUT/root-anchor.ds" >"$OUT/delv-anchors.conf"

    # ------------------------------------------------- sanity of the build --
    check_count "$Z/good13.test.signed" $'\tNSEC3PARAM\t1 0 0 -' 1 "good13 NSEC3PARAM 0 iterations, no salt"
    check_count "$Z/root.signed" $'\tNSEC3PARAM\t1 0 0 -' 1 "root NSEC3PARAM 0 iterations, no salt"
    check_count "$Z/test.signed" $'\tNSEC3PARAM\t1 0 0 -' 1 "test NSEC3PARAM 0 iterations, no salt"
    check_count "$Z/algroll.test.signed" $'^www\\.algroll\\.test\\.\t.*\tRRSIG\tA (8|13) ' 2 "algroll: www A signed by both algorithms"
    check_count "$Z/wrongksk.test.signed" $'\tRRSIG\tDNSKEY ' 1 "wrongksk: DNSKEY signed by one key only"
    check_count "$Z/wrongksk.test.signed" $'\tDNSKEY\t257 ' 2 "wrongksk: two KSKs published"
    check_count "$Z/test.signed" $'^doubleds\\.test\\.\t.*\tDS\t' 2 "doubleds: two DS"
    check_count "$Z/test.signed" $'^island\\.test\\.\t.*\tDS\t' 0 "island: no DS"
    check_count "$Z/nsec3iter.test.signed" $'\tNSEC3PARAM\t1 0 200 0badc0de' 1 "nsec3iter: 200 iterations"
    check_count "$Z/nsec.test.signed" $'\tNSEC3' 0 "nsec: no NSEC3"
    check_count "$Z/cdsbad.test.signed" $'\tCDS\t' 1 "cdsbad: one CDS"
    check_count "$Z/test.signed" $'^sha1ds\\.test\\.\t.*\tDS\t[0-9]+ 13 1 ' 1 "sha1ds: a SHA-1 DS"

    check_ds

    # ------------------------------------------------------ server configs --
    ADDRS="127.53.0.1 127.53.0.2" nsd_conf root ".:root.signed"
    ADDRS="127.53.1.1 127.53.1.2" nsd_conf tld-test "test.:test.signed"
    ADDRS="127.53.1.3" nsd_conf tld-broken "broken.:broken.signed"
    local -a leafz=()
    for zone in good8.test. good13.test. good15.test. unsigned.test. island.test. expired.test. \
        future.test. kskroll.test. dsunsigned.test. nosig.test. baddigest.test. badalg.test. \
        corrupt.test. wrongksk.test. doubleds.test. algroll.test. parent.test. child.parent.test. \
        badchild.parent.test. stale.test. deadns.test. silentns.test. provider.test. \
        outofzone.test. ok.broken. insec.optout.test. $(for z in $POLICY_ZONES; do echo "$z.test."; done); do
        leafz+=("$zone:${zone%.}.signed")
    done
    ADDRS="127.53.2.1 127.53.2.2" nsd_conf leaf1 "${leafz[@]}"
    ADDRS="127.53.2.3" nsd_conf leaf-stale "stale.test.:stale.test.expired.signed"
    if [ -f "$Z/big.signed" ]; then
        ADDRS="127.53.4.1" nsd_conf tld-big "big.:big.signed"
        ADDRS="127.53.4.2 127.53.4.3" nsd_conf leaf-big $(cat "$Z/big.zonelist")
    fi
    for d in "$OUT"/nsd/*; do
        nsd-checkconf "$d/nsd.conf" || die "nsd-checkconf failed for $d"
    done
    unbound_conf validating 127.53.3.1 yes
    unbound_conf plain 127.53.3.2 no
    if command -v unbound-checkconf >/dev/null; then
        for d in "$OUT"/unbound/*; do
            unbound-checkconf "$d/unbound.conf" >/dev/null || die "unbound-checkconf failed for $d"
        done
    fi

    write_cases >"$OUT/cases.tsv"
    n=$(find "$KEYS" -name "*.private" | wc -l) # a big world has more keys than an argument list holds
    t0=$((($(date +%s%N) - t0) / 1000000))
    printf 'world.sh: built %s in %d.%03d s (%s keys, %s zone files)\n' "$OUT" \
        $((t0 / 1000)) $((t0 % 1000)) "$n" "$(find "$Z" -name "*.signed" | wc -l)"
    echo "world.sh: what was built (each key, each DS line, the checks): $OUT/build.log"
}

write_cases() {
    printf 'name\ttype\tstatus\tede\tbroken_zone\texit\tfindings\n'
    cat <<'EOF'
www.good8.test.	A	secure	-	-	0	-
www.good13.test.	A	secure	-	-	0	-
www.good15.test.	A	secure	-	-	0	-
nope.good13.test.	A	secure	-	-	0	-
www.unsigned.test.	A	insecure	-	-	0	-
www.island.test.	A	insecure	-	-	1	SIGNED_ISLAND
www.expired.test.	A	bogus	7	expired.test.	2	RRSIG_EXPIRED
www.future.test.	A	bogus	8	future.test.	2	RRSIG_NOT_YET_VALID
www.kskroll.test.	A	bogus	9	kskroll.test.	2	DS_NO_MATCHING_DNSKEY
www.dsunsigned.test.	A	bogus	9	dsunsigned.test.	2	DS_OVER_UNSIGNED_CHILD
www.nosig.test.	A	bogus	10	nosig.test.	2	RRSIG_MISSING
www.baddigest.test.	A	bogus	9	baddigest.test.	2	DS_DIGEST_MISMATCH
www.badalg.test.	A	bogus	9	badalg.test.	2	DS_ALGORITHM_MISMATCH
www.corrupt.test.	A	bogus	6	corrupt.test.	2	RRSIG_INVALID
www.wrongksk.test.	A	bogus	10	wrongksk.test.	2	DNSKEY_NOT_SIGNED_BY_DS_KEY
www.ok.broken.	A	bogus	9	broken.	2	DS_NO_MATCHING_DNSKEY
www.doubleds.test.	A	secure	-	-	0	DS_ROLLOVER_IN_PROGRESS
www.algroll.test.	A	secure	-	-	0	-
www.child.parent.test.	A	secure	-	-	0	-
www.badchild.parent.test.	A	bogus	9	badchild.parent.test.	2	DS_NO_MATCHING_DNSKEY
www.stale.test.	A	bogus	7	stale.test.	2	RRSIG_EXPIRED
www.deadns.test.	A	secure	-	-	1	SERVER_UNREACHABLE
www.silentns.test.	A	secure	-	-	1	SERVER_UNREACHABLE
www.alldead.test.	A	unreachable	22	alldead.test.	2	ZONE_UNREACHABLE
cname.good13.test.	A	bogus	7	expired.test.	2	RRSIG_EXPIRED
www.outofzone.test.	A	secure	-	-	0	-
good13.test.	DNSKEY	secure	-	-	0	-
www.sha1ds.test.	A	secure	-	-	1	DS_SHA1_ONLY
www.rsasha1.test.	A	secure	-	-	1	DNSKEY_ALGORITHM_DEPRECATED
www.rsa1024.test.	A	secure	-	-	1	DNSKEY_RSA_SHORT
www.unsupalg.test.	A	insecure	1	-	1	DS_ALGORITHM_UNSUPPORTED
www.unsupdigest.test.	A	insecure	2	-	1	DS_DIGEST_UNSUPPORTED
nope.nsec3iter.test.	A	insecure	27	-	1	NSEC3_ITERATIONS_INSECURE,NSEC3_PARAMETERS
www.nsec3iter.test.	A	secure	-	-	1	NSEC3_PARAMETERS
nope.nsec3salt.test.	A	secure	-	-	1	NSEC3_PARAMETERS
nope.nsec.test.	A	secure	-	-	0	-
www.nsec.test.	TXT	secure	-	-	0	-
foo.wild.test.	A	secure	-	-	0	-
www.cdsgood.test.	A	secure	-	-	0	-
www.cdsbad.test.	A	secure	-	-	1	CDS_MISMATCH,CDS_WOULD_BREAK
www.cdsdelete.test.	A	secure	-	-	0	CDS_DELETE
www.inverted.test.	A	bogus	25	inverted.test.	2	RRSIG_VALIDITY_INVERTED
www.skew.test.	A	secure	-	-	1	RRSIG_CLOCK_SKEW
www.idleksk.test.	A	secure	-	-	1	DS_KEY_NOT_SIGNING
www.lame.test.	A	secure	-	-	1	SERVER_LAME
www.old.dname.test.	A	secure	-	-	0	-
www.bad.dname.test.	A	bogus	7	expired.test.	2	RRSIG_EXPIRED
www.insec.optout.test.	A	insecure	-	-	0	-
nope.optout.test.	A	insecure	-	-	0	NSEC3_OPT_OUT
www.v6ns.test.	A	secure	-	-	0	SERVER_NOT_TESTED
www.zsksigns.test.	A	bogus	10	zsksigns.test.	2	DNSKEY_NOT_SIGNED_BY_DS_KEY
www.zskalso.test.	A	bogus	9	zskalso.test.	2	DS_NO_MATCHING_DNSKEY
www.v6only.test.	A	indeterminate	-	-	3	SERVER_NOT_TESTED
www.revoked.test.	A	secure	-	-	1	DS_KEY_REVOKED
www.nozonebit.test.	A	bogus	10	nozonebit.test.	2	DS_KEY_NOT_ZONE_KEY
foo.wilditer.test.	A	insecure	27	-	1	NSEC3_ITERATIONS_INSECURE,NSEC3_PARAMETERS
nope.nodenial.test.	A	bogus	12	nodenial.test.	2	DENIAL_MISSING
EOF
}

# ------------------------------------------------------------ start/stop --

require_netns() {
    [ "${DD_IN_NETNS:-}" = 1 ] \
        || die "refusing to $1 outside the private network namespace: run it through tests/world/netns.sh"
    local other
    other=$(ip -o link show 2>/dev/null | awk -F': ' '$2 != "lo" { print $2 }' | tr '\n' ' ')
    [ -z "$other" ] || die "refusing to $1: this network namespace has interfaces besides lo ($other); use tests/world/netns.sh"
}

# $OUT/run/pids: one "PROG PID START" line per daemon started (PID is a session leader:
# nsd, unbound and silentd all call setsid, so PID is also the session id of
# every process the daemon forks, e.g. NSD's main and server processes).
STATE_REL=run/pids

# Start time of PID (clock ticks since boot; field 22 of /proc/PID/stat).
# PIDs wrap quickly on a busy machine, and several test worlds may share it:
# a PID and a program name alone can name someone else's daemon.
pid_start() {
    local st
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    st=${st##*) }
    # shellcheck disable=SC2086  # split the fields on purpose
    set -- $st
    echo "${20}"
}

pid_is() { # PID PROG [START]: is PID alive, running PROG (and started at START)?
    local exe
    [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
    exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
    [ -z "${3:-}" ] || [ "$(pid_start "$1")" = "$3" ] || return 1
    case ${exe##*/} in "$2" | "$2 (deleted)") return 0 ;; esac
    return 1
}

recorded() { # "PROG PID START" lines of the state file
    [ -f "$OUT/$STATE_REL" ] && cat "$OUT/$STATE_REL" || true
}

# pids of live (non-zombie) processes in the sessions we started
session_members() {
    local sids
    # A leader that is gone leaves its session to us; a live PID that is not our
    # leader any more (reused) is someone else's session.
    sids=" $(recorded | while read -r prog pid start; do
        if [ ! -d "/proc/$pid" ] || pid_is "$pid" "$prog" "$start"; then printf '%s ' "$pid"; fi
    done)"
    [ "$sids" != " " ] || return 0
    ps -eo pid=,sid=,stat= | awk -v s="$sids" 'index(s, " " $2 " ") && $3 !~ /^Z/ { print $1 }'
}

running_pids() { # recorded leaders still alive and still the right program
    local prog pid
    recorded | while read -r prog pid start; do
        if pid_is "$pid" "$prog" "$start"; then echo "$pid"; fi
    done
}

record() { # PROG PIDFILE
    local pid
    pid=$(tr -dc 0-9 <"$2" 2>/dev/null || true)
    pid_is "$pid" "$1" || return 1
    echo "$1 $pid $(pid_start "$pid")" >>"$OUT/$STATE_REL"
}

wait_answer() { # ADDR NAME TYPE WHAT
    local i out
    for i in $(seq 50); do
        out=$(dig @"$1" "$2" "$3" +norec +time=1 +tries=1 2>/dev/null || true)
        if grep -q 'status: NOERROR' <<<"$out"; then return 0; fi
        sleep 0.1
    done
    return 1
}

do_start() {
    local d a zone pid
    require_netns start
    [ -f "$OUT/cases.tsv" ] || die "$OUT is not a built world (run: world.sh build $OUT)"
    OUT=$(cd "$OUT" && pwd)
    [ -z "$(running_pids)" ] || die "the world in $OUT is already running (world.sh stop $OUT)"
    [ -z "$(session_members)" ] || do_stop >/dev/null
    mkdir -p "$OUT/run"
    : >"$OUT/$STATE_REL"
    trap 'echo "world.sh: start failed, stopping what was started" >&2; do_stop >/dev/null 2>&1 || true' ERR

    for d in "$OUT"/nsd/*; do
        rm -f "$d/nsd.pid" "$d/nsd.log"
        nsd -c "$d/nsd.conf" </dev/null >>"$d/nsd.log" 2>&1 || fail_start "nsd ($(basename "$d")) did not start" "$d/nsd.log"
        for a in $(seq 50); do [ -s "$d/nsd.pid" ] && break; sleep 0.1; done
        record nsd "$d/nsd.pid" || fail_start "nsd group $(basename "$d") is not running" "$d/nsd.log"
    done
    rm -f "$OUT/run/silentd.pid"
    "$OUT/silentd" 127.53.9.2 53 "$OUT/run/silentd.pid" 2>"$OUT/run/silentd.log" \
        || fail_start "silentd did not start on 127.53.9.2" "$OUT/run/silentd.log"
    record silentd "$OUT/run/silentd.pid" || fail_start "silentd is not running" "$OUT/run/silentd.log"
    # Fake resolvers: slow (200 ms), garbage answers, answers with the wrong ID.
    local fa fm
    for f in "127.53.3.3 delay:200" "127.53.3.4 garbage" "127.53.3.5 badid"; do
        read -r fa fm <<<"$f"
        rm -f "$OUT/run/fakedns-$fa.pid"
        "$OUT/fakedns" "$fm" "$fa" 53 "$OUT/run/fakedns-$fa.pid" 2>"$OUT/run/fakedns-$fa.log" \
            || fail_start "fakedns $fm did not start on $fa" "$OUT/run/fakedns-$fa.log"
        record fakedns "$OUT/run/fakedns-$fa.pid" || fail_start "fakedns on $fa is not running" "$OUT/run/fakedns-$fa.log"
    done
    hostile_start

    for d in "$OUT"/nsd/*; do
        zone=$(cat "$d/probe-zone")
        for a in $(cat "$d/addrs"); do
            wait_answer "$a" "$zone" SOA || fail_start "nsd group $(basename "$d") does not answer on $a for $zone SOA" "$d/nsd.log"
        done
    done

    for d in "$OUT"/unbound/*; do
        rm -f "$d/unbound.pid" "$d/unbound.log"
        unbound -c "$d/unbound.conf" </dev/null >>"$d/unbound.log" 2>&1 || fail_start "unbound ($(basename "$d")) did not start" "$d/unbound.log"
        for a in $(seq 50); do [ -s "$d/unbound.pid" ] && break; sleep 0.1; done
        record unbound "$d/unbound.pid" || fail_start "unbound $(basename "$d") is not running" "$d/unbound.log"
    done
    for d in "$OUT"/unbound/*; do
        a=$(cat "$d/addrs")
        wait_answer "$a" localhost. A || fail_start "unbound $(basename "$d") does not answer on $a" "$d/unbound.log"
    done
    trap - ERR
    echo "world.sh: started $(running_pids | wc -l) daemons (root 127.53.0.1-2, test. 127.53.1.1-2, broken. 127.53.1.3, leaf1 127.53.2.1-2, leaf-stale 127.53.2.3, silentd 127.53.9.2, unbound 127.53.3.1 (validating) 127.53.3.2 (plain), fake resolvers 127.53.3.3 (200 ms) 127.53.3.4 (garbage) 127.53.3.5 (wrong ID))"
}

fail_start() { # MESSAGE LOGFILE
    echo "world.sh: start failed: $1" >&2
    if [ -s "$2" ]; then
        echo "---- last lines of $2 ----" >&2
        tail -n 15 "$2" >&2
    fi
    trap - ERR
    do_stop >/dev/null 2>&1 || true
    exit 1
}

do_stop() {
    local prog pid i left
    [ -d "$OUT" ] || { echo "world.sh: nothing to stop in $OUT"; return 0; }
    OUT=$(cd "$OUT" && pwd)
    recorded | while read -r prog pid start; do
        if pid_is "$pid" "$prog" "$start"; then kill -TERM "$pid" 2>/dev/null || true; fi
    done
    # wait for every process of those sessions (daemons take ~1.5 s to exit here)
    for i in $(seq 100); do
        [ -n "$(session_members)" ] || break
        sleep 0.1
    done
    left=$(session_members | tr '\n' ' ')
    if [ -n "$left" ]; then
        echo "world.sh: processes $left ignored SIGTERM, killing them" >&2
        for pid in $left; do kill -KILL "$pid" 2>/dev/null || true; done
        for i in $(seq 50); do
            [ -n "$(session_members)" ] || break
            sleep 0.1
        done
    fi
    left=$(session_members | tr '\n' ' ')
    [ -z "$left" ] || die "could not stop processes $left"
    rm -f "$OUT/$STATE_REL"
    echo "world.sh: stopped"
}

do_status() {
    local prog pid
    OUT=$(cd "$OUT" && pwd)
    [ -s "$OUT/$STATE_REL" ] || { echo "world.sh: not running"; return 0; }
    recorded | while read -r prog pid start; do
        if pid_is "$pid" "$prog" "$start"; then echo "running  $prog $pid"; else echo "gone     $prog $pid"; fi
    done
}

do_run() { # CMD ARGS...: start, run CMD, always stop (also on failure or signal)
    local rc=0
    require_netns run
    trap 'do_stop >/dev/null 2>&1 || true' EXIT
    trap 'exit 130' INT TERM
    do_start
    "$@" || rc=$?
    do_stop
    trap - EXIT
    return "$rc"
}

if [ "${1:-}" = run ] && [ $# -ge 3 ]; then
    OUT=$2
    shift 2
    do_run "$@"
    exit $?
fi
[ $# -eq 2 ] || usage
OUT=$2
case $1 in
    build) do_build ;;
    start) do_start ;;
    stop) do_stop ;;
    status) do_status ;;
    *) usage ;;
esac
