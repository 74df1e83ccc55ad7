# shellcheck shell=bash
# shellcheck disable=SC2154  # Z, OUT, HERE come from world.sh; deleg is hostile_build's
# mutant.sh -- the mutation-fuzzing part of the hostile TLD, sourced by hostile.sh.
#
#   mutant_build   (from hostile_build) the zones mutant0..3.hostile., each
#                  with a clean server (NSD, 127.53.10.2) and one mutantd
#   mutant_start   (from hostile_start) one mutantd per zone
#
# Addresses: 127.53.10.31 .. .34 mutantd for mutant0 .. mutant3.hostile.
# mutantd (tests/world/mutantd.c) forwards each query to 127.53.10.2 and
# mutates the answer as the current seed says; a query for
# sN.mutant-control. (dig @ADDR sN.mutant-control. TXT) sets the seed,
# off.mutant-control. stops mutating. It starts "off". Four zones, each
# with its own server and seed, let four checks run at once (tests/system/mutate.sh).
# Each zone holds, besides www A: www TXT, www MX, mail A, a wildcard
# *.wild TXT, and TXT RRsets b2k, b4k, b6k, b8k whose canonical wire form is
# exactly 2048, 4096, 6144 and 8192 octets.

MUTANT_ZONES=4

# mutant_txt OWNER SIZE: TXT records at OWNER whose RRset's canonical form
# (uncompressed owner, type, class, TTL, RDLENGTH, RDATA, per record) is SIZE octets.
mutant_txt() {
    local owner=$1 size=$2 ol=1 label per count total i rdlen s
    local IFS=.
    for label in ${owner%.}; do ol=$((ol + ${#label} + 1)); done
    unset IFS
    per=$((ol + 10)) count=$((size / (per + 240) + 1))
    total=$((size - count * per))
    for ((i = 0; i < count; i++)); do
        rdlen=$((total / count + (i < total % count ? 1 : 0)))
        # one string of rdlen-1 characters: the record's number, then x's
        s=$(printf '%0*d' $((rdlen - 4)) 0 | tr 0 x)
        printf '%s\tTXT\t"%03d%s"\n' "$owner" "$i" "$s"
    done
}

mutant_build() {
    local k zone addr extra
    cc -O2 -Wall -Wextra -o "$OUT/mutantd" "$HERE/mutantd.c" || die "cannot compile mutantd"
    for ((k = 0; k < MUTANT_ZONES; k++)); do
        zone=mutant$k.hostile. addr=127.53.10.$((31 + k))
        extra=$(
            printf 'www.%s\tTXT\t"mutant %s"\n' "$zone" "$k"
            printf 'www.%s\tMX\t10 mail.%s\n' "$zone" "$zone"
            printf 'mail.%s\tA\t192.0.2.99\n' "$zone"
            printf '*.wild.%s\tTXT\t"wildcard"\n' "$zone"
            for s in 2048 4096 6144 8192; do mutant_txt "b$((s / 1024))k.$zone" "$s"; done
        )
        HZ_EXTRA=$extra hostile_zone "$zone" $((200 + k)) "ns1.$zone=127.53.10.2" "ns2.$zone=$addr"
        deleg+=("$Z/${zone%.}.deleg")
    done
}

mutant_start() {
    local k addr
    for ((k = 0; k < MUTANT_ZONES; k++)); do
        addr=127.53.10.$((31 + k))
        rm -f "$OUT/run/mutantd-$addr.pid"
        "$OUT/mutantd" "$addr" 53 127.53.10.2 off "$OUT/run/mutantd-$addr.pid" "$OUT/run/mutantd-$addr.log" \
            2>"$OUT/run/mutantd-$addr.err" || fail_start "mutantd did not start on $addr" "$OUT/run/mutantd-$addr.err"
        record mutantd "$OUT/run/mutantd-$addr.pid" || fail_start "mutantd on $addr is not running" "$OUT/run/mutantd-$addr.err"
    done
}
