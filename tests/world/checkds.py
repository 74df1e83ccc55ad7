#!/usr/bin/env python3
"""checkds.py OUT ZONESDIR -- hold the built test world to its DS intent list.

OUT/ds-intent has one "ZONE <TAB> match|nomatch <TAB> DS-LINE" line per DS the build
put into a delegation. Checked here, before any server starts:
  1. the signed zones carry exactly these DS records: none missing, none extra
     (a delegation meant to be unsigned has none);
  2. a "match" DS matches a DNSKEY that the child's signed zone publishes (key tag,
     algorithm, digest over owner and RDATA, RFC 4034 section 5.1.4), a "nomatch"
     DS matches none; the root trust anchor (OUT/root-anchor.ds) matches the root's key.
The digests are computed here, independently of the ldns tools that made them.
Prints one line per problem, naming the zone; exits 1 if there is any.
"""
import base64
import glob
import hashlib
import os
import sys

DIGESTS = {1: hashlib.sha1, 2: hashlib.sha256, 4: hashlib.sha384}


def name_wire(name):
    name = name.lower().rstrip(".")
    out = b""
    if name:
        for label in name.split("."):
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def key_tag(rdata):
    acc = 0
    for i, b in enumerate(rdata):
        acc += b if i & 1 else b << 8
    return (acc + (acc >> 16)) & 0xFFFF


def records(path):
    """(owner, type, rdata fields) of each record of a zone file as ldns-signzone writes it."""
    with open(path) as f:
        for line in f:
            line = line.split(";", 1)[0].strip()
            if not line or line.startswith("$"):
                continue
            f_ = line.split()
            if len(f_) >= 5 and f_[2] == "IN":
                yield f_[0].lower(), f_[3], f_[4:]


def ds_key(fields):
    tag, alg, dt, digest = fields[0], fields[1], fields[2], "".join(fields[3:])
    return (int(tag), int(alg), int(dt), digest.lower())


def main():
    out, zdir = sys.argv[1], sys.argv[2]
    problems = []
    want = {}  # (owner, ds) -> kind
    with open(os.path.join(out, "ds-intent")) as f:
        for line in f:
            zone, kind, ds_line = line.rstrip("\n").split("\t", 2)
            fields = ds_line.split()
            want[(zone.lower(), ds_key(fields[4:]))] = kind
    have = {}
    for path in glob.glob(os.path.join(zdir, "*.signed")):
        for owner, rtype, rdata in records(path):
            if rtype == "DS":
                have[(owner, ds_key(rdata))] = path
    for k in sorted(set(want) - set(have)):
        problems.append("%s: intended DS missing from the signed parent: %d %d %d %s" % ((k[0],) + k[1]))
    for k in sorted(set(have) - set(want)):
        problems.append("%s: DS in %s that the build did not intend: %d %d %d %s" % ((k[0], have[k]) + k[1]))

    with open(os.path.join(out, "root-anchor.ds")) as f:
        for line in f:
            if line.strip():
                want[(".", ds_key(line.split()[4:]))] = "match"

    keys_of = {}

    def child_ds(zone):
        """every DS (all digest types) of the DNSKEYs that ZONE's signed file publishes"""
        if zone not in keys_of:
            path = os.path.join(zdir, "root.signed" if zone == "." else zone.rstrip(".") + ".signed")
            got = set()
            if os.path.exists(path):
                for owner, rtype, rdata in records(path):
                    if rtype != "DNSKEY" or owner != zone:
                        continue
                    wire = (int(rdata[0]).to_bytes(2, "big") + bytes([int(rdata[1]), int(rdata[2])])
                            + base64.b64decode("".join(rdata[3:])))
                    for dt, h in DIGESTS.items():
                        got.add((key_tag(wire), int(rdata[2]), dt, h(name_wire(zone) + wire).hexdigest()))
            keys_of[zone] = got
        return keys_of[zone]

    for (zone, ds), kind in sorted(want.items()):
        # the bench's big TLD: its children share one key set; a sample is enough
        if zone.endswith(".big.") and zone[1:6].isdigit() and int(zone[1:6]) > 10:
            continue
        hit = ds in child_ds(zone)
        if kind == "match" and not hit:
            problems.append("%s: the DS %d %d %d %s matches no DNSKEY that %s publishes" % ((zone,) + ds + (zone,)))
        elif kind == "nomatch" and hit:
            problems.append("%s: the DS %d %d %d %s, meant to match no key, matches a DNSKEY that %s publishes"
                            % ((zone,) + ds + (zone,)))
    for p in problems:
        print(p)
    print("checkds: %d DS lines, %s" % (len(want), "%d problems" % len(problems) if problems else "as intended"),
          file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
