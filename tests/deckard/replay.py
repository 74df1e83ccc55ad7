#!/usr/bin/python3
"""Replay Deckard scenarios against dnssec-doctor (see docs/conformance.md).

  replay.py run BIN [--scenarios DIR] [--out DIR] [--only NAME,...] [--check-every N]
                    [--save-evidence DIR] [--jobs N] [--ipv6] [--force-aa] [--no-derive]
      For every checked query of every scenario: serve the scenario's canned
      answers valid at that step, run `BIN probe` then `BIN analyse` (and, on a
      sample, `BIN check`), and compare the doctor's status with the verdict the
      scenario expects from a validating resolver. Writes OUT/results.json and
      prints a summary; the exit code is 0 unless the harness itself failed.
      tests/deckard/run.sh is the usual way in (it sets up the namespace).
  replay.py serve SCENARIO STEP [--qname NAME] [--ipv6]
      Serve one scenario as of one step until interrupted (prints the address
      map, the root hints and the trust anchors): for looking at a case by hand.

Must run in a network namespace of its own (tests/world/netns.sh): it binds
port 53 on 127.77.0.0/16 and up (127.(77 + w) for worker w).

Addresses: a scenario's servers have public addresses (193.0.14.129 ...).
Each address named by an ADDRESS line, by stub-addr, or by glue (an A or AAAA
record whose owner is the target of some NS record in the scenario) is mapped
to 127.77.x.y in order of first appearance (IPv6 ones only with --ipv6); the
replay binds those addresses and rewrites the records that carry them in every
answer it sends (A: the mapped address; AAAA: ::ffff: and the mapped address,
which the doctor's dual-stack sockets send to over IPv4), so the doctor's walk
reaches the replay. A signed A/AAAA RRset at the checked name is left as it is
(rewriting it would break its signature); one elsewhere is rewritten (the
doctor looks name server addresses up without validating them). --ipv6 needs
an IPv6 route in the namespace, or the doctor asks no IPv6 server (run.sh adds
a default route over lo).

Answers: the first entry, in file order, of the first range eligible at the
checked QUERY step (step within the range, address listed or none listed)
whose MATCH elements all match; ADJUST copy_id/copy_query as Deckard does.
The doctor asks more than a resolver (NS at every candidate cut, DS at the
parent, SOA, DNSKEY, NSEC3PARAM...). A query no entry matches gets, in this
order: a referral derived from the same server's scripted referrals (the
deepest delegation at or above the name; for DS at the delegation, its signed
DS RRset), the A/AAAA glue of that name server name found anywhere in the
scenario, or SERVFAIL as Deckard gives (never silence: the doctor stops
asking a server that timed out).
"""

import argparse
import glob
import json
import os
import selectors
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rpl  # noqa: E402

import dns.edns  # noqa: E402
import dns.exception  # noqa: E402
import dns.flags  # noqa: E402
import dns.message  # noqa: E402
import dns.name  # noqa: E402
import dns.opcode  # noqa: E402
import dns.rcode  # noqa: E402
import dns.rdata  # noqa: E402
import dns.rdataclass  # noqa: E402
import dns.rdatatype  # noqa: E402
import dns.rrset  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SCENARIOS = os.path.normpath(os.path.join(HERE, "../../../shared/peer/deckard/scenarios"))
NET = "127.77"  # worker w uses 127.(77 + w)
FLAG_BITS = {"QR": dns.flags.QR, "AA": dns.flags.AA, "TC": dns.flags.TC, "RD": dns.flags.RD,
             "RA": dns.flags.RA, "AD": dns.flags.AD, "CD": dns.flags.CD}
MODERN_ALGS = {8, 10, 13, 14, 15, 16}
LEGACY_ALGS = {1: "RSAMD5", 3: "DSA", 5: "RSASHA1", 6: "DSA-NSEC3-SHA1", 7: "RSASHA1-NSEC3-SHA1", 12: "ECC-GOST"}
PROBE_OPTS = ["--no-resolvers", "--timeout", "300", "--deadline", "8000"]
HANG_S = 90  # a run longer than this is a hang (ASan builds are slow, deadlines are 8 s)


# ---- the scenario as served ----------------------------------------------------

def is_v4(a):
    try:
        socket.inet_pton(socket.AF_INET, a)
        return True
    except OSError:
        return False


def canon(a):
    """An address in its canonical text form (IPv6 compressed), or None."""
    for fam in (socket.AF_INET, socket.AF_INET6):
        try:
            return socket.inet_ntop(fam, socket.inet_pton(fam, a))
        except OSError:
            pass
    return None


def all_entries(sc):
    for r in sc.ranges:
        for e in r.entries:
            yield e


class World:
    """One scenario prepared for serving: the address map, glue, hints."""

    def __init__(self, sc, v6=False):
        self.sc = sc
        for r in sc.ranges:
            r.addresses = [canon(a) or a for a in r.addresses]
        order = []

        def add(a):
            a = canon(a)
            if a and (v6 or is_v4(a)) and a not in order:
                order.append(a)

        for a in sc.config_values("stub-addr"):
            add(a.split("@")[0].strip('"'))
        for r in sc.ranges:
            for a in r.addresses:
                add(a)
        ns_targets = set()
        for e in all_entries(sc):
            for s in ("ANSWER", "AUTHORITY", "ADDITIONAL"):
                for rr in e.sections[s]:
                    if rr.rdtype == dns.rdatatype.NS:
                        ns_targets.add(rr.rdata.target)
        self.glue = {}  # name -> {rdtype: [rdata]}
        for e in all_entries(sc):
            for s in ("ANSWER", "AUTHORITY", "ADDITIONAL"):
                for rr in e.sections[s]:
                    if rr.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA) and rr.owner in ns_targets:
                        lst = self.glue.setdefault(rr.owner, {}).setdefault(rr.rdtype, [])
                        if rr.rdata not in lst:
                            lst.append(rr.rdata)
                        add(rr.rdata.address)
        if len(order) > 250 * 250:
            raise rpl.RplError("too many addresses")
        self.order = order
        self.set_prefix(NET)

    def set_prefix(self, prefix):
        """Map the scenario's addresses into prefix (127.N) in order of first appearance."""
        self.amap = {a: "%s.%d.%d" % (prefix, i // 250, i % 250 + 1) for i, a in enumerate(self.order)}
        self.rmap = {v: k for k, v in self.amap.items()}

    def hints_text(self):
        stubs = [canon(a.split("@")[0].strip('"')) for a in self.sc.config_values("stub-addr")]
        stubs = [a for a in stubs if a in self.amap]
        if not stubs:
            return None
        lines = []
        for i, a in enumerate(stubs):
            name = None
            for owner, by_type in self.glue.items():
                if any(canon(r.address) == a for t in by_type.values() for r in t):
                    name = owner.to_text()
                    break
            name = name or "stub%d.root-hint." % i
            lines.append(". 3600000 IN NS %s" % name)
            if is_v4(a):
                lines.append("%s 3600000 IN A %s" % (name, self.amap[a]))
            else:
                lines.append("%s 3600000 IN AAAA ::ffff:%s" % (name, self.amap[a]))
        return "\n".join(lines) + "\n"

    def anchors_text(self):
        out = []
        for rr in self.sc.trust_anchors():
            if isinstance(rr.rdata, dns.rdata.GenericRdata) and rr.rdtype == dns.rdatatype.DS:
                w = rr.rdata.data
                tag, alg, dt = struct.unpack("!HBB", w[:4])
                rd = "%d %d %d %s" % (tag, alg, dt, w[4:].hex().upper())
            else:
                rd = rr.rdata.to_text()
            out.append("%s %d IN %s %s" % (rr.owner.to_text(), rr.ttl, dns.rdatatype.to_text(rr.rdtype), rd))
        return "\n".join(out) + "\n" if out else None


def algorithms(sc):
    """(class, detail): 'modern', 'legacy' or 'unsigned', from the algorithms
    the scenario signs with: an algorithm counts when both a DNSKEY and an
    RRSIG carry it (a scenario that alters one key's, one signature's or the
    anchor's algorithm field tests that alteration, it is not signed with the
    altered algorithm). Unassigned and private numbers do not count. Legacy:
    RSAMD5, DSA, RSASHA1, GOST, or an RSA key under 1024 bits."""
    key_algs, sig_algs, bits_by_alg = set(), set(), {}
    rrs = list(sc.trust_anchors())
    for e in all_entries(sc):
        for s in ("ANSWER", "AUTHORITY", "ADDITIONAL"):
            rrs += e.sections[s]
    for rr in rrs:
        if isinstance(rr.rdata, dns.rdata.GenericRdata):
            continue
        if rr.rdtype == dns.rdatatype.DNSKEY:
            alg = int(rr.rdata.algorithm)
            key_algs.add(alg)
            if alg in (1, 5, 7, 8, 10) and rr.rdata.key:
                k = rr.rdata.key
                el, off = k[0], 1
                if el == 0 and len(k) >= 3:
                    el, off = (k[1] << 8) | k[2], 3
                mod = k[off + el:].lstrip(b"\x00")
                bits = len(mod) * 8 - (8 - mod[0].bit_length()) if mod else 0
                bits_by_alg[alg] = min(bits, bits_by_alg.get(alg, bits))
        elif rr.rdtype == dns.rdatatype.RRSIG:
            sig_algs.add(int(rr.rdata.algorithm))
    used = {a for a in key_algs & sig_algs if a in MODERN_ALGS or a in LEGACY_ALGS}
    if not used:  # signatures without any key in the scenario: their algorithms
        used = {a for a in sig_algs if a in MODERN_ALGS or a in LEGACY_ALGS}
    if not used:
        return "unsigned", ""
    short = [bits_by_alg[a] for a in used if a in bits_by_alg and bits_by_alg[a] < 1024]
    detail = ",".join(str(a) for a in sorted(used))
    if short:
        detail += " RSA %d bits" % min(short)
    if any(a in LEGACY_ALGS for a in used) or short:
        return "legacy", detail
    return "modern", detail


def entry_matches(e, q):
    """Deckard's MATCH rules, with the query as the received message."""
    qq = q.question[0] if q.question else None
    eq = e.sections["QUESTION"][0] if e.sections["QUESTION"] else None
    elems = []
    for m in e.match:
        elems += ["opcode", "qtype", "qname", "flags", "rcode", "answer", "authority", "additional"] if m == "all" \
            else ["qtype", "qname"] if m == "question" else [m]
    for m in elems:
        if m == "opcode":
            if q.opcode() != e.opcode:
                return False
        elif m in ("qtype", "qname", "qcase", "subdomain"):
            if eq is None:
                continue
            if qq is None:
                return False
            if m == "qtype" and qq.rdtype != eq.rdtype:
                return False
            if m == "qname" and qq.name != eq.owner:
                return False
            if m == "qcase" and qq.name.to_text() != eq.owner.to_text():
                return False
            if m == "subdomain" and not qq.name.is_subdomain(eq.owner):
                return False
        elif m == "flags":
            want = 0
            for f in e.flags:
                want |= FLAG_BITS.get(f, 0)
            mask = sum(FLAG_BITS.values())
            if (q.flags & mask) != want:
                return False
        elif m == "rcode":
            if q.rcode() != e.rcode:
                return False
        elif m in ("answer", "authority", "additional"):
            sec = {"answer": q.answer, "authority": q.authority, "additional": q.additional}[m]
            if sec or e.sections[m.upper()]:
                return False
        # edns, nsid, ttl, tcp ...: not matched
    return True


def flag_value(flags):
    v = 0
    for f in flags:
        v |= FLAG_BITS.get(f, 0)
    return v


class State:
    def __init__(self, world, step, qname):
        self.world, self.step, self.qname = world, step, qname
        self.amap, self.rmap = dict(world.amap), dict(world.rmap)
        self.asked = 0
        self.unanswered = 0
        self.derived = 0
        self.force_aa = False


class Server:
    """UDP and TCP on port 53 of every mapped address; answers from the
    ranges eligible at the current step."""

    def __init__(self, derive=True, force_aa=False):
        self.derive = derive
        self.force_aa = force_aa
        self.lock = threading.Lock()
        self.states = {}  # "127.N" prefix -> State
        self.socks = {}   # addr -> (udp, tcp)
        self.sel = selectors.DefaultSelector()
        self.stop = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def set(self, world, step, qname):
        with self.lock:
            for a in world.amap.values():
                if a not in self.socks:
                    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    u.bind((a, 53))
                    u.setblocking(False)
                    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    t.bind((a, 53))
                    t.listen(16)
                    t.setblocking(False)
                    self.socks[a] = (u, t)
                    self.sel.register(u, selectors.EVENT_READ, ("udp", a))
                    self.sel.register(t, selectors.EVENT_READ, ("tcp", a))
            st = State(world, step, qname)
            st.force_aa = self.force_aa
            for a in world.amap.values():
                self.states[a.rsplit(".", 2)[0]] = st
            return st

    def _loop(self):
        while not self.stop:
            for key, _ in self.sel.select(timeout=0.2):
                kind, addr = key.data
                try:
                    if kind == "udp":
                        data, peer = key.fileobj.recvfrom(65535)
                        out = self.answer(data, addr, False)
                        if out is not None:
                            key.fileobj.sendto(out, peer)
                    else:
                        conn, _ = key.fileobj.accept()
                        threading.Thread(target=self._tcp, args=(conn, addr), daemon=True).start()
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    pass

    def _tcp(self, conn, addr):
        conn.settimeout(5)
        try:
            while True:
                hdr = self._recvn(conn, 2)
                if not hdr:
                    return
                data = self._recvn(conn, struct.unpack("!H", hdr)[0])
                if data is None:
                    return
                out = self.answer(data, addr, True)
                if out is None:
                    return
                conn.sendall(struct.pack("!H", len(out)) + out)
        except OSError:
            pass
        finally:
            conn.close()

    @staticmethod
    def _recvn(conn, n):
        buf = b""
        while len(buf) < n:
            chunk = conn.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    def answer(self, data, local, tcp):
        with self.lock:
            st = self.states.get(local.rsplit(".", 2)[0])
        if st is None:
            return None
        try:
            q = dns.message.from_wire(data)
        except Exception:
            return None
        st.asked += 1
        orig = st.rmap.get(local)
        if orig is None:
            return None
        for r in st.world.sc.ranges:
            if not r.eligible(st.step, orig):
                continue
            for e in r.entries:
                if entry_matches(e, q):
                    return build_reply(e, q, st)
        if self.derive:
            r = derived_referral(st, orig, q)
            if r is not None:
                st.derived += 1
                return r
        # Name server addresses from glue anywhere in the scenario.
        if q.question and q.question[0].rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            qq = q.question[0]
            by_type = st.world.glue.get(qq.name)
            if by_type is not None:
                r = dns.message.make_response(q)
                r.flags |= dns.flags.AA
                rds = by_type.get(qq.rdtype, [])
                if rds:
                    rs = r.find_rrset(r.answer, qq.name, dns.rdataclass.IN, qq.rdtype, create=True)
                    for rd in rds:
                        rs.add(rewrite(rd, st), 3600)
                return r.to_wire()
        # Deckard answers a query that no entry matches with SERVFAIL.
        st.unanswered += 1
        r = dns.message.make_response(q)
        r.set_rcode(dns.rcode.SERVFAIL)
        return r.to_wire()


def derived_referral(st, orig, q):
    """A referral for a query no entry matches, derived from the referrals the
    same server gives in entries valid at this step: the doctor asks for NS at
    every candidate cut and for DS at the parent, which a resolver's scenario
    need not script. The deepest delegation at or above the name is used; a DS
    query for the delegation itself gets the referral's signed DS RRset as an
    authoritative answer. Returns wire bytes or None."""
    if not q.question:
        return None
    qq = q.question[0]
    best = None
    for r in st.world.sc.ranges:
        if not r.eligible(st.step, orig):
            continue
        for e in r.entries:
            if e.raw is not None or e.sections["ANSWER"] or e.rcode != dns.rcode.NOERROR:
                continue
            auth = e.sections["AUTHORITY"]
            if any(rr.rdtype == dns.rdatatype.SOA for rr in auth):
                continue
            for rr in auth:
                if rr.rdtype == dns.rdatatype.NS and qq.name.is_subdomain(rr.owner):
                    if best is None or len(rr.owner) > len(best[0]):
                        best = (rr.owner, e)
    if best is None:
        return None
    owner, e = best
    r = dns.message.make_response(q)
    r.flags &= ~(dns.flags.AA | dns.flags.RA)
    if qq.rdtype == dns.rdatatype.DS and qq.name == owner:
        ds = [rr for rr in e.sections["AUTHORITY"] if rr.owner == owner and
              (rr.rdtype == dns.rdatatype.DS or (rr.rdtype == dns.rdatatype.RRSIG and rr.covers() == dns.rdatatype.DS))]
        if not any(rr.rdtype == dns.rdatatype.DS for rr in ds):
            return None
        r.flags |= dns.flags.AA
        for rr in ds:
            r.find_rrset(r.answer, rr.owner, rr.rdclass, rr.rdtype, rr.covers(), create=True).add(rr.rdata, rr.ttl)
    else:
        for sname, sec in (("AUTHORITY", r.authority), ("ADDITIONAL", r.additional)):
            for rr in e.sections[sname]:
                rs = r.find_rrset(sec, rr.owner, rr.rdclass, rr.rdtype, rr.covers(), create=True)
                rs.add(rewrite(rr.rdata, st), rr.ttl)
    try:
        return r.to_wire(max_size=65535)
    except Exception:
        return None


def rewrite(rd, st):
    if rd.rdtype == dns.rdatatype.A and rd.address in st.amap:
        return dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.A, st.amap[rd.address])
    if rd.rdtype == dns.rdatatype.AAAA and canon(rd.address) in st.amap:
        # An IPv6 server reached over IPv4 on loopback: an IPv4-mapped address.
        return dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.AAAA, "::ffff:" + st.amap[canon(rd.address)])
    return rd


def build_reply(e, q, st):
    if "do_not_answer" in e.adjust:
        return None
    if e.raw is not None:
        raw = bytes.fromhex(e.raw)
        if "raw_id" in e.adjust and len(raw) >= 2:
            raw = data_id(q) + raw[2:]
        return raw
    r = dns.message.Message(id=q.id if ("copy_id" in e.adjust or "copy_query" in e.adjust) else 0)
    r.flags = flag_value(e.flags)
    if st.force_aa and not is_referral(e):
        r.flags |= dns.flags.AA
    r.set_opcode(e.opcode)
    r.set_rcode(e.rcode)
    if "copy_query" in e.adjust:
        r.question = list(q.question)
    else:
        for i, rr in enumerate(e.sections["QUESTION"]):
            name = rr.owner
            if i == 0 and "copy_id" in e.adjust and q.question:
                name = q.question[0].name
            r.find_rrset(r.question, name, rr.rdclass, rr.rdtype, create=True, force_unique=True)
    for sname, sec in (("ANSWER", r.answer), ("AUTHORITY", r.authority), ("ADDITIONAL", r.additional)):
        rrs = e.sections[sname]
        signed = {(rr.owner, rr.covers()) for rr in rrs if rr.rdtype == dns.rdatatype.RRSIG}
        for rr in rrs:
            rd = rr.rdata
            if rr.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA) and \
                    not ((rr.owner, rr.rdtype) in signed and rr.owner == st.qname):
                rd = rewrite(rd, st)
            rs = r.find_rrset(sec, rr.owner, rr.rdclass, rr.rdtype, rr.covers(), create=True)
            rs.add(rd, rr.ttl)
    if q.edns >= 0:
        r.use_edns(0, dns.flags.DO if "DO" in e.flags else 0, 4096)
    try:
        return r.to_wire(max_size=65535)
    except Exception:
        return None


def is_referral(e):
    auth = e.sections["AUTHORITY"]
    return (not e.sections["ANSWER"] and any(rr.rdtype == dns.rdatatype.NS for rr in auth) and
            not any(rr.rdtype == dns.rdatatype.SOA for rr in auth))


def data_id(q):
    return struct.pack("!H", q.id)


# ---- what a scenario checks ----------------------------------------------------

class Check:
    def __init__(self, sc, qstep, cstep, when):
        self.sc, self.qstep, self.cstep, self.when = sc, qstep, cstep, when
        qe = qstep.entry
        q = qe.sections["QUESTION"][0] if qe and qe.sections["QUESTION"] else None
        self.qname = q.owner if q else None
        self.qtype = dns.rdatatype.to_text(q.rdtype) if q else None
        self.expected = None
        self.skip = None
        ce = cstep.entry
        if q is None or qe.raw is not None:
            self.skip = "no question"
        elif q.rdclass != dns.rdataclass.IN:
            self.skip = "class %s" % dns.rdataclass.to_text(q.rdclass)
        elif "CD" in qe.flags:
            self.skip = "query with CD"
        elif ce is None:
            self.skip = "no expected answer"
        else:
            m = set(ce.match)
            flags_checked = "all" in m or "flags" in m
            rcode_checked = "all" in m or "rcode" in m
            if rcode_checked and ce.rcode == dns.rcode.SERVFAIL:
                self.expected = "bogus"  # with or without DO
            elif "DO" not in qe.flags and "AD" not in qe.flags:
                self.skip = "query without DO or AD: the answer's AD bit says nothing"
            elif ce.rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN, dns.rcode.SERVFAIL):
                self.skip = "expected rcode %s" % dns.rcode.to_text(ce.rcode)
            elif not flags_checked:
                self.skip = "the expected answer's flags are not checked"
            elif ce.rcode == dns.rcode.SERVFAIL:
                self.skip = "SERVFAIL not checked"
            else:
                self.expected = "secure" if "AD" in ce.flags else "insecure"

    def key(self):
        return "%s:%d" % (self.sc.name, self.qstep.id)


def checks_of(sc):
    start = sc.start_time()
    now = start if start is not None else int(time.time())
    out = []
    steps = sorted(sc.steps, key=lambda s: s.id)
    last_q = None
    for s in steps:
        if s.kind == "TIME_PASSES":
            now += s.elapse
        elif s.kind == "QUERY":
            last_q = (s, now)
        elif s.kind == "CHECK_ANSWER" and last_q is not None:
            out.append(Check(sc, last_q[0], s, last_q[1]))
            last_q = None
    return out


def load_excluded(path):
    ex = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            name, _, why = line.partition("\t")
            ex[name.strip()] = why.strip()
    return ex


# ---- running the doctor --------------------------------------------------------

def run(cmd, env, timeout):
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, b"", b"", time.monotonic() - t0
    return p.returncode, p.stdout, p.stderr, time.monotonic() - t0


def sanitizer_report(err):
    t = err.decode("utf-8", "replace")
    for mark in ("AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer", "runtime error:"):
        if mark in t:
            return mark
    return None


def judge_run(what, rc, out, err, dt):
    """Problems of one doctor run that fail the suite: crash, hang, bad JSON."""
    if rc is None:
        return None, "%s hung (no exit after %d s)" % (what, HANG_S)
    if rc < 0:
        return None, "%s killed by signal %d" % (what, -rc)
    san = sanitizer_report(err)
    if san:
        return None, "%s: %s report: %s" % (what, san, err.decode("utf-8", "replace").strip().splitlines()[0][:200])
    if rc > 3:
        return None, "%s exit %d: %s" % (what, rc, err.decode("utf-8", "replace").strip()[:200])
    try:
        j = json.loads(out)
    except ValueError:
        return None, "%s: output is not JSON (exit %d; %s)" % (what, rc, err.decode("utf-8", "replace").strip()[:200])
    if not isinstance(j, dict) or j.get("version") != 1:
        return None, "%s: JSON without version 1" % what
    return j, None


def run_scenario(path, w, args, server, excluded, env, lock, results, scen_rows, problems, counter):
    """Every check of one scenario, served on worker w's prefix 127.(77+w)."""
    bin_ = os.path.abspath(args.bin)
    name = os.path.basename(path)[:-4]
    row = {"scenario": name}
    with lock:
        scen_rows.append(row)
    try:
        sc = rpl.parse(path)
    except Exception as e:
        row["skip"] = "unreadable: %s" % e
        return
    row["class"], row["algorithms"] = algorithms(sc)
    if name in excluded:
        row["skip"] = excluded[name]
        return
    try:
        world = World(sc, args.ipv6)
    except Exception as e:
        row["skip"] = "cannot map: %s" % e
        return
    world.set_prefix("127.%d" % (77 + w))
    hints = world.hints_text()
    anchors = world.anchors_text()
    if hints is None:
        row["skip"] = "no IPv4 stub-addr: no root hints"
        return
    tmp = os.path.join(args.out, "tmp%d" % w)
    os.makedirs(tmp, exist_ok=True)
    hf = os.path.join(tmp, "hints")
    with open(hf, "w") as f:
        f.write(hints)
    af = os.path.join(HERE, "no-anchor.ds")
    if anchors:
        af = os.path.join(tmp, "anchor")
        with open(af, "w") as f:
            f.write(anchors)
    ta = ["--trust-anchor", af]
    checks = checks_of(sc)
    row["checks"] = len(checks)
    for c in checks:
        res = {"scenario": name, "step": c.qstep.id, "class": row["class"],
               "qname": c.qname.to_text() if c.qname else None, "qtype": c.qtype,
               "at": c.when, "expected": c.expected}
        with lock:
            results.append(res)
        if c.skip:
            res["skip"] = c.skip
            continue
        if "%s:%d" % (name, c.qstep.id) in excluded:
            res["skip"] = c.skip = excluded["%s:%d" % (name, c.qstep.id)]
            continue
        what = "%s %s (%s step %d)" % (res["qname"], c.qtype, name, c.qstep.id)
        with lock:
            counter[0] += 1
            sample = args.check_every and (counter[0] - 1) % args.check_every == 0
        ev = os.path.join(tmp, "ev.json")
        # The replay answers every query at once, so a timeout in the doctor's
        # evidence, or check and probe+analyse disagreeing, means the machine was
        # too busy: such a check is run again (at most RETRIES more times).
        for attempt in range(RETRIES + 1):
            prob, flaky = one_attempt(bin_, server, world, c, res, what, hf, ta, ev, env, sample)
            if prob or not flaky:
                break
        res["attempts"] = attempt + 1
        if prob:
            with lock:
                problems.append(prob)
            res["problem"] = prob
            continue
        if res.get("check_status") not in (None, res["got"]):
            p = "check %s says %s, probe+analyse %s" % (what, res["check_status"], res["got"])
            with lock:
                problems.append(p)
            res["problem"] = p
        res["agree"] = res["got"] == c.expected
        if args.save_evidence and not res["agree"]:
            os.makedirs(args.save_evidence, exist_ok=True)
            base = os.path.join(args.save_evidence, "%s-step%d" % (name, c.qstep.id))
            with open(ev, "rb") as f, open(base + ".json", "wb") as g:
                g.write(f.read())
            with open(base + ".anchor", "w") as g:
                g.write(anchors or open(af).read())


RETRIES = 2


def one_attempt(bin_, server, world, c, res, what, hf, ta, ev, env, sample):
    """probe, analyse and (if sample) check once. Returns (problem, flaky):
    problem is a crash, hang or bad JSON (fails the suite); flaky says the
    run saw a timeout or check and analyse disagree (worth another try)."""
    st = server.set(world, c.qstep.id, c.qname)
    rc, out, err, dt = run([bin_, "probe", "--root-hints", hf] + ta + PROBE_OPTS + [res["qname"], c.qtype],
                           env, HANG_S)
    res["probe_s"] = round(dt, 2)
    j, prob = judge_run("probe " + what, rc, out, err, dt)
    if prob:
        return prob, False
    with open(ev, "wb") as f:
        f.write(out)
    res["timeouts"] = sum(1 for x in j.get("exchanges", []) if x.get("error") == "timeout")
    rc, out, err, dt = run([bin_, "analyse", "--json"] + ta + ["--at", str(c.when), ev], env, HANG_S)
    j, prob = judge_run("analyse " + what, rc, out, err, dt)
    if prob:
        return prob, False
    res["got"] = j.get("status")
    res["ede"] = j.get("ede")
    res["broken_zone"] = j.get("broken_zone")
    res["findings"] = sorted({f.get("id") for f in j.get("findings", []) if f.get("severity") != "notice"})
    res["unanswered"] = st.unanswered
    res["derived"] = st.derived
    if not sample:
        return None, res["timeouts"] > 0
    server.set(world, c.qstep.id, c.qname)
    rc, out, err, dt = run([bin_, "check", "--json", "--root-hints", hf] + ta + PROBE_OPTS +
                           ["--at", str(c.when), res["qname"], c.qtype], env, HANG_S)
    j2, prob = judge_run("check " + what, rc, out, err, dt)
    if prob:
        return prob, False
    res["check_status"] = j2.get("status")
    return None, res["timeouts"] > 0 or res["check_status"] != res["got"]


def do_run(args):
    scen = sorted(glob.glob(os.path.join(args.scenarios, "*.rpl")))
    if not scen:
        print("problem no scenarios in %s" % args.scenarios)
        return 1
    if args.only:
        only = set(args.only.split(","))
        scen = [p for p in scen if os.path.basename(p)[:-4] in only]
    excluded = load_excluded(os.path.join(HERE, "excluded.tsv"))
    os.makedirs(args.out, exist_ok=True)
    env = dict(os.environ)
    env["DNSSEC_DOCTOR_OFFLINE"] = "1"
    server = Server(derive=not args.no_derive, force_aa=args.force_aa)
    results, scen_rows, problems = [], [], []
    lock = threading.Lock()
    counter = [0]
    todo = list(scen)
    t_start = time.monotonic()

    def worker(w):
        while True:
            with lock:
                if not todo:
                    return
                path = todo.pop(0)
            try:
                run_scenario(path, w, args, server, excluded, env, lock, results, scen_rows, problems, counter)
            except Exception as e:  # the harness's own fault: report, go on
                with lock:
                    problems.append("harness error on %s: %s: %s" % (os.path.basename(path), type(e).__name__, e))

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(args.jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t_start
    results.sort(key=lambda r: (r["scenario"], r["step"]))
    scen_rows.sort(key=lambda r: r["scenario"])
    summary = summarise(results, scen_rows)
    summary["seconds"] = round(elapsed, 1)
    summary["problems"] = problems
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"summary": summary, "scenarios": scen_rows, "checks": results}, f, indent=1, sort_keys=True)
    print_summary(summary, results)
    return 0


def summarise(results, scen_rows):
    s = {}
    for cls in ("modern", "legacy", "unsigned"):
        done = [r for r in results if r["class"] == cls and "agree" in r]
        s[cls] = {"checks": len(done), "agree": sum(1 for r in done if r["agree"]),
                  "scenarios": len({r["scenario"] for r in done})}
    s["skipped_checks"] = sum(1 for r in results if "skip" in r)
    s["skipped_scenarios"] = sum(1 for r in scen_rows if "skip" in r)
    s["check_sampled"] = sum(1 for r in results if "check_status" in r)
    s["checks_with_timeouts"] = sum(1 for r in results if r.get("timeouts"))
    s["checks_retried"] = sum(1 for r in results if r.get("attempts", 1) > 1)
    return s


def print_summary(s, results):
    for cls in ("modern", "legacy", "unsigned"):
        c = s[cls]
        print("%-8s %d/%d checks agree (%d scenarios)" % (cls, c["agree"], c["checks"], c["scenarios"]))
    print("skipped: %d checks, %d scenarios; check sampled on %d; %.1f s" % (
        s["skipped_checks"], s["skipped_scenarios"], s["check_sampled"], s["seconds"]))
    for r in results:
        if "agree" in r and not r["agree"]:
            print("disagree %-7s %s step %d %s %s: expected %s, got %s %s %s" % (
                r["class"], r["scenario"], r["step"], r["qname"], r["qtype"], r["expected"], r["got"],
                r.get("ede"), ",".join(r.get("findings", []))))
    for p in s["problems"]:
        print("problem %s" % p)


def do_serve(args):
    sc = rpl.parse(args.scenario)
    world = World(sc, args.ipv6)
    server = Server()
    qname = dns.name.from_text(args.qname) if args.qname else None
    server.set(world, args.step, qname)
    print("; address map (scenario -> replay)")
    for k, v in world.amap.items():
        print(";   %s -> %s" % (k, v))
    print("; root hints\n" + (world.hints_text() or "; none"))
    print("; trust anchors\n" + (world.anchors_text() or "; none"))
    print("; date %s" % sc.start_time())
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("bin")
    r.add_argument("--scenarios", default=DEFAULT_SCENARIOS)
    r.add_argument("--out", default="deckard-out")
    r.add_argument("--only")
    r.add_argument("--check-every", type=int, default=1)
    r.add_argument("--save-evidence")
    r.add_argument("--jobs", type=int, default=4)
    r.add_argument("--ipv6", action="store_true",
                   help="also map IPv6 server addresses (to IPv4-mapped ::ffff:127.x.y.z); needs an IPv6 route")
    r.add_argument("--no-derive", action="store_true", help="no derived referrals: SERVFAIL for every unscripted query")
    r.add_argument("--force-aa", action="store_true",
                   help="what-if for diagnosis: set AA on every scripted answer that is not a referral")
    s = sub.add_parser("serve")
    s.add_argument("scenario")
    s.add_argument("step", type=int)
    s.add_argument("--qname")
    s.add_argument("--ipv6", action="store_true", help="also map IPv6 server addresses (see run)")
    args = ap.parse_args()
    return do_run(args) if args.cmd == "run" else do_serve(args)


if __name__ == "__main__":
    sys.exit(main())
