#!/usr/bin/env bash
# mutate.sh BIN WORLD [fixed | fresh COUNT | seed N...] — checks against the
# mutation-fuzzing name server (tests/world/mutantd.c, zones mutant0-3.hostile.).
#
#   fixed        (the default; `make test`) seeds 1-300, then every seed in
#                tests/system/mutate-seeds.txt (seeds that once failed)
#   fresh COUNT  (`make fuzz`) COUNT random seeds; each failure is printed with
#                its seed, so that `mutate.sh BIN WORLD seed N` replays it
#   seed N...    these seeds, one at a time, with the check's output, its
#                standard error and what the server did to each answer
#
# A seed selects the question (name and type, from the table below) and,
# through mutantd, what happens to every answer of the zone's hostile server;
# the zone's other server (NSD) answers faithfully. Four zones, each with its
# own server and seed, run four checks at once (seed N on zone N mod 4). Per seed, it passes when the
# check does not crash (exit 0-3, no sanitizer report), does not hang (ends
# within the deadline + a margin), prints valid JSON, and the verdict is
# secure or bogus, never anything else; a bogus verdict must blame the hostile
# server (an error finding listing it). Runs inside tests/world/netns.sh.
set -u
BIN=$1
W=$2
MODE=${3:-fixed}
shift $(($# < 3 ? $# : 3))
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export DNSSEC_DOCTOR_OFFLINE=1
C=(--root-hints "$W/root.hints" --trust-anchor "$W/root-anchor.ds" --no-resolvers)
DEADLINE=${MUTATE_DEADLINE:-5000}
# The margin covers a slow sanitizer or valgrind build; a hang is a run that takes longer.
LIMIT=${MUTATE_LIMIT:-$((DEADLINE / 1000 + 25))}
ZONES=4
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# The questions: seed mod 13 picks one (N: the zone's number).
question() { # SEED ZONE -> "NAME TYPE"
	local z=mutant$2.hostile.
	case $(($1 % 13)) in
	0) echo "www.$z A" ;;
	1) echo "www.$z TXT" ;;
	2) echo "www.$z MX" ;;
	3) echo "www.$z AAAA" ;;         # NODATA: an NSEC3 proof
	4) echo "nx.$z A" ;;             # NXDOMAIN
	5) echo "a.wild.$z TXT" ;;       # wildcard expansion
	6) echo "$z DNSKEY" ;;
	7) echo "b2k.$z TXT" ;;          # canonical RRset 2048 octets
	8) echo "b4k.$z TXT" ;;          # 4096
	9) echo "b6k.$z TXT" ;;          # 6144
	10) echo "b8k.$z TXT" ;;         # 8192
	11) echo "mail.$z A" ;;
	12) echo "$z SOA" ;;
	esac
}

# set_seed ZONE SEED: the zone's mutantd mutates from now on as SEED says.
set_seed() {
	local got
	got=$(dig +short +time=2 +tries=3 @127.53.10.$((31 + $1)) "s$2.mutant-control." TXT 2>/dev/null)
	[ "$got" = "\"seed $2\"" ]
}

# run_seed ZONE SEED: one check; prints "ok SEED ..." or "FAIL SEED ...".
run_seed() {
	local z=$1 s=$2 q name type addr out err rc t0 t1 st why=""
	q=$(question "$s" "$z")
	name=${q% *} type=${q#* }
	addr=127.53.10.$((31 + z))
	out="$TMP/$s.json" err="$TMP/$s.err"
	if ! set_seed "$z" "$s"; then
		echo "FAIL $s $name $type: mutantd on $addr did not take the seed"
		return
	fi
	t0=$(date +%s%N)
	# (the group keeps bash's "Aborted" job notice off standard error; $err has the check's own)
	{ timeout -k 5 "$LIMIT" "$BIN" "${C[@]}" --json --deadline "$DEADLINE" "$name" "$type" >"$out" 2>"$err"; } 2>/dev/null
	rc=$?
	t1=$(date +%s%N)
	st=$(jq -r .status "$out" 2>/dev/null)
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		why="hang: killed after ${LIMIT} s"
	elif grep -q -E "AddressSanitizer|LeakSanitizer|runtime error|Assertion|assertion" "$err"; then
		why="crash or sanitizer report (exit $rc): $(grep -m1 -E "Sanitizer|runtime error|ssertion" "$err" | head -c 200)"
	elif [ $rc -gt 3 ]; then
		why="crash: exit $rc $(tail -1 "$err" | head -c 200)"
	elif ! jq -e 'type == "object" and .version == 1' "$out" >/dev/null 2>&1; then
		why="not valid JSON (exit $rc): $(head -c 200 "$out")"
	elif [ "$st" != secure ] && [ "$st" != bogus ]; then
		why="status $st with a clean server answering (exit $rc): $(jq -c '[.findings[] | {id, servers}]' "$out" | head -c 300)"
	elif [ "$st" = bogus ] && ! jq -e --arg a "$addr" \
		'[.findings[] | select(.severity == "error") | .servers // [] | index($a)] | any' "$out" >/dev/null; then
		why="bogus without blaming $addr: $(jq -c '[.findings[] | select(.severity == "error") | {id, servers}]' "$out" | head -c 300)"
	elif { [ "$st" = secure ] && [ $rc -gt 1 ]; } || { [ "$st" = bogus ] && [ $rc != 2 ]; }; then
		why="exit $rc does not match status $st"
	fi
	local ms=$(((t1 - t0) / 1000000)) named=0
	jq -e --arg a "$addr" '[.findings[] | .servers // [] | index($a)] | any' "$out" >/dev/null 2>&1 && named=1
	if [ -n "$why" ]; then
		echo "FAIL $s $name $type: $why"
	else
		echo "ok $s $name $type $st $named $ms"
	fi
}

# worker ZONE SEED...: the seeds one after another on one zone.
worker() {
	local z=$1 s
	shift
	for s in "$@"; do run_seed "$z" "$s"; done
}

# run_all SEED...: four workers; one line per seed in $TMP/results.
run_all() {
	local seeds=("$@") z i lists=()
	for ((z = 0; z < ZONES; z++)); do lists[z]=""; done
	# A seed always runs on zone seed mod 4: the zone's name is part of every question,
	# so a seed replays exactly only there.
	for ((i = 0; i < ${#seeds[@]}; i++)); do lists[seeds[i] % ZONES]+=" ${seeds[i]}"; done
	for ((z = 0; z < ZONES; z++)); do
		# shellcheck disable=SC2086
		worker "$z" ${lists[z]} >"$TMP/results.$z" &
	done
	wait
	cat "$TMP"/results.* >"$TMP/results"
}

# report LABEL REPLAY: the summary line, and one FAIL line per failed seed.
report() {
	local label=$1 n ok secure bogus named
	n=$(wc -l <"$TMP/results")
	ok=$(grep -c '^ok ' "$TMP/results")
	secure=$(awk '$1 == "ok" && $5 == "secure"' "$TMP/results" | wc -l)
	bogus=$(awk '$1 == "ok" && $5 == "bogus"' "$TMP/results" | wc -l)
	named=$(awk '$1 == "ok" && $6 == 1' "$TMP/results" | wc -l)
	local slow
	slow=$(awk '$1 == "ok" { if ($7 > m) m = $7 } END { printf "%.1f", m / 1000 }' "$TMP/results")
	if [ "$ok" = "$n" ] && [ "$n" -gt 0 ]; then
		echo "ok   mutate: $label: $n checks against a mutating server: no crash, no hang, valid JSON; $secure secure, $bogus bogus, $named naming the mutating server; slowest ${slow} s"
	else
		echo "FAIL mutate: $label: $((n - ok)) of $n checks failed (the rest: $secure secure, $bogus bogus, $named naming the mutating server; slowest ${slow} s)"
	fi
	grep '^FAIL ' "$TMP/results" | sort -n -k2 | while read -r _ s rest; do
		echo "FAIL mutate: seed $s: $rest (replay: tests/system/mutate.sh BIN WORLD seed $s)"
	done
}

# replay_bytes SEED: mutantd's answers (hex) to a few fixed queries on zone 0, after setting SEED.
replay_bytes() {
	set_seed 0 "$1" || return 1
	python3 - <<'PY'
import socket, struct
def q(name, qtype, qid):
    wire = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".") if l) + b"\0"
    opt = b"\0" + struct.pack(">HHIH", 41, 1232, 0x8000, 0)
    return struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 1) + wire + struct.pack(">HH", qtype, 1) + opt
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.0)
for i, (name, t) in enumerate([("www.mutant0.hostile", 1), ("mutant0.hostile", 48), ("nx.mutant0.hostile", 1),
                               ("www.mutant0.hostile", 28), ("mutant0.hostile", 6), ("www.mutant0.hostile", 1)]):
    s.sendto(q(name, t, 4660 + i), ("127.53.10.31", 53))
    try:
        print(s.recv(65535).hex())
    except socket.timeout:
        print("silence")
PY
}

case $MODE in
fixed)
	# The same seed, the same answers: what makes a failing seed replay.
	a=$(replay_bytes 7) b=$(replay_bytes 7) c=$(replay_bytes 8)
	if [ -n "$a" ] && [ "$a" = "$b" ] && [ "$a" != "$c" ]; then
		echo "ok   mutate: mutantd answers the same queries alike under the same seed, otherwise under another"
	else
		echo "FAIL mutate: mutantd does not replay a seed (seed 7 twice: $(cmp <(echo "$a") <(echo "$b") 2>&1 | head -c 100))"
	fi
	mapfile -t seeds < <(seq 1 "${MUTATE_FIXED:-300}")
	mapfile -t known < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$ROOT/tests/system/mutate-seeds.txt" 2>/dev/null | grep -E '^[0-9]+$')
	run_all "${seeds[@]}"
	report "seeds 1-300"
	if [ ${#known[@]} -gt 0 ]; then
		run_all "${known[@]}"
		report "${#known[@]} seeds that once failed (tests/system/mutate-seeds.txt)"
	fi
	;;
fresh)
	count=${1:-1000}
	mapfile -t seeds < <(od -An -tu4 -N$((count * 4)) /dev/urandom | tr -s ' ' '\n' | grep -E '^[0-9]+$' | head -n "$count")
	run_all "${seeds[@]}"
	report "$count fresh seeds"
	;;
seed)
	for s in "$@"; do
		log="$W/run/mutantd-127.53.10.$((31 + s % ZONES)).log"
		before=$(wc -l <"$log" 2>/dev/null || echo 0)
		r=$(run_seed $((s % ZONES)) "$s")
		echo "$r"
		q=$(question "$s" $((s % ZONES)))
		echo "  check: $BIN ${C[*]} --json --deadline $DEADLINE $q"
		echo "  status: $(jq -c '{status, ede, broken_zone, findings: [.findings[] | {id, severity, servers}]}' "$TMP/$s.json" 2>/dev/null | head -c 2000)"
		echo "  stderr: $(head -c 3000 "$TMP/$s.err")"
		echo "  what the server did (seed $s):"
		tail -n +$((before + 1)) "$log" | sed 's/^/    /'
	done
	;;
*)
	echo "usage: mutate.sh BIN WORLD [fixed | fresh COUNT | seed N...]" >&2
	exit 3
	;;
esac
