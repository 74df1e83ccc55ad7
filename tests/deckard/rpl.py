"""Reader for Deckard scenario files (.rpl).

The format is described in Deckard's doc/scenario_guide.rst: a CONFIG part
("key: value" lines up to CONFIG_END), RANGE blocks of canned answers with
the addresses and step ranges they serve, and STEPs (QUERY, CHECK_ANSWER,
TIME_PASSES ELAPSE n, REPLY). Every ENTRY carries MATCH, ADJUST and REPLY
lines and SECTION blocks of records in zone-file syntax. This module only
reads; replay.py serves and judges.
"""

import calendar
import re
import struct
import time

import dns.dnssec
import dns.flags
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype

FLAG_WORDS = ("QR", "AA", "TC", "RD", "RA", "AD", "CD")
SECTIONS = ("QUESTION", "ANSWER", "AUTHORITY", "ADDITIONAL")


class RplError(Exception):
    pass


class RR:
    """One record: owner (dns.name.Name), ttl, rdclass, rdtype, rdata (or None in QUESTION)."""

    __slots__ = ("owner", "ttl", "rdclass", "rdtype", "rdata")

    def __init__(self, owner, ttl, rdclass, rdtype, rdata):
        self.owner, self.ttl, self.rdclass, self.rdtype, self.rdata = owner, ttl, rdclass, rdtype, rdata

    def covers(self):
        return self.rdata.covers() if self.rdtype == dns.rdatatype.RRSIG else dns.rdatatype.NONE


class Entry:
    def __init__(self):
        self.match = []          # MATCH elements, lower-case
        self.adjust = []         # ADJUST elements, lower-case
        self.flags = set()       # REPLY flags (QR AA ... and DO)
        self.rcode = dns.rcode.NOERROR
        self.opcode = 0
        self.sections = {s: [] for s in SECTIONS}
        self.raw = None
        self.line = 0

    def qname(self):
        q = self.sections["QUESTION"]
        return q[0].owner if q else None

    def qtype(self):
        q = self.sections["QUESTION"]
        return q[0].rdtype if q else None


class Range:
    def __init__(self, first, last, line):
        self.first, self.last, self.line = first, last, line
        self.addresses = []
        self.entries = []

    def eligible(self, step, address):
        """Deckard's rule: the step lies in [first, last] and the range lists
        the address, or lists none (then it answers on every address)."""
        if not (self.first <= step <= self.last):
            return False
        return not self.addresses or address in self.addresses


class Step:
    def __init__(self, sid, kind, line):
        self.id, self.kind, self.line = sid, kind, line
        self.elapse = 0
        self.entry = None


class Scenario:
    def __init__(self, path):
        self.path = path
        self.name = re.sub(r"\.rpl$", "", path.rsplit("/", 1)[-1])
        self.config = []         # (key, value) in order
        self.title = ""
        self.ranges = []
        self.steps = []

    def config_values(self, key):
        return [v for k, v in self.config if k == key]

    def start_time(self):
        """Epoch seconds of val-override-date / val-override-timestamp, or None."""
        for v in self.config_values("val-override-timestamp"):
            return int(v.strip('"'))
        for v in self.config_values("val-override-date"):
            v = v.strip('"')
            return calendar.timegm(time.strptime(v, "%Y%m%d%H%M%S"))
        return None

    def trust_anchors(self):
        """Trust anchors as RR objects (DS or DNSKEY)."""
        out = []
        for v in self.config_values("trust-anchor"):
            v = v.strip()
            if v.startswith('"') and v.endswith('"'):
                v = v[1:-1]
            out.append(parse_rr(v, False, 0))
        return out


def strip_comment(line):
    """Drop a ';' comment that is not inside double quotes."""
    out, quoted = [], False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == ";" and not quoted:
            break
        out.append(ch)
    return "".join(out).rstrip()


def _parens_balance(text):
    depth, quoted = 0, False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted:
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
    return depth


def parse_rr(text, question, line):
    """One record in zone-file syntax ("owner [ttl] [class] type rdata"),
    or, in a QUESTION section, "owner [class] type"."""
    flat = re.sub(r"[()]", " ", text) if _parens_balance(text) == 0 else None
    if flat is None:
        raise RplError("line %d: unbalanced parentheses" % line)
    parts = flat.split(None, 1)
    if not parts:
        raise RplError("line %d: empty record" % line)
    owner = dns.name.from_text(parts[0], origin=dns.name.root)
    rest = parts[1] if len(parts) > 1 else ""
    ttl, rdclass = 3600, dns.rdataclass.IN
    while True:
        tok = rest.split(None, 1)
        if not tok:
            raise RplError("line %d: no type in %r" % (line, text))
        word = tok[0]
        if word.isdigit():
            ttl = int(word)
        elif word.upper() in ("IN", "CH", "HS", "CS", "ANY", "NONE") or re.fullmatch(r"CLASS\d+", word.upper()):
            rdclass = dns.rdataclass.from_text(word.upper())
        else:
            break
        rest = tok[1] if len(tok) > 1 else ""
    tok = rest.split(None, 1)
    rdtype = dns.rdatatype.from_text(tok[0].upper())
    if question:
        return RR(owner, 0, rdclass, rdtype, None)
    rdtext = tok[1] if len(tok) > 1 else ""
    try:
        rdata = dns.rdata.from_text(rdclass, rdtype, rdtext, origin=dns.name.root, relativize=False)
    except Exception as e:  # dnspython raises many kinds
        if rdtype in (dns.rdatatype.DS, dns.rdatatype.CDS):
            # A DS whose digest length does not fit its digest type is a test
            # case, not a typo: carry its bytes as they are.
            w = rdtext.split()
            try:
                wire = struct.pack("!HBB", int(w[0]), dns.dnssec.algorithm_from_text(w[1]), int(w[2]))
                wire += bytes.fromhex("".join(w[3:]))
                return RR(owner, ttl, rdclass, rdtype, dns.rdata.GenericRdata(rdclass, rdtype, wire))
            except Exception:
                pass
        raise RplError("line %d: %s record: %s" % (line, dns.rdatatype.to_text(rdtype), e))
    return RR(owner, ttl, rdclass, rdtype, rdata)


def _parse_entry(lines, i, end_line_no):
    """Read ENTRY_BEGIN .. ENTRY_END starting after ENTRY_BEGIN at lines[i]."""
    e = Entry()
    e.line = lines[i - 1][0]
    section = None
    pending = ""
    pending_line = 0
    while i < len(lines):
        no, text = lines[i]
        i += 1
        if pending:
            pending += " " + text
            if _parens_balance(pending) <= 0:
                e.sections[section].append(parse_rr(pending, section == "QUESTION", pending_line))
                pending = ""
            continue
        words = text.split()
        head = words[0].upper()
        if head == "ENTRY_END":
            return e, i
        if head == "MATCH":
            e.match += [w.lower() for w in words[1:]]
        elif head == "ADJUST":
            e.adjust += [w.lower() for w in words[1:]]
        elif head in ("REPLY", "FLAGS"):
            for w in words[1:]:
                u = w.upper()
                if u in FLAG_WORDS or u == "DO":
                    e.flags.add(u)
                elif u in ("QUERY", "NOTIFY", "UPDATE", "IQUERY", "STATUS"):
                    e.opcode = {"QUERY": 0, "IQUERY": 1, "STATUS": 2, "NOTIFY": 4, "UPDATE": 5}[u]
                else:
                    try:
                        e.rcode = dns.rcode.from_text(u)
                    except Exception:
                        raise RplError("line %d: unknown REPLY word %s" % (no, w))
        elif head == "SECTION":
            section = words[1].upper()
            if section == "RAW":
                e.raw = ""
            elif section not in SECTIONS:
                raise RplError("line %d: unknown section %s" % (no, words[1]))
        elif head == "RAW":
            section = "RAW"
            e.raw = ""
        elif head in ("MANDATORY", "TSIG"):
            pass
        elif section == "RAW":
            e.raw += text.strip()
        elif section in SECTIONS:
            if _parens_balance(text) > 0:
                pending, pending_line = text, no
            else:
                e.sections[section].append(parse_rr(text, section == "QUESTION", no))
        else:
            raise RplError("line %d: unexpected %r in ENTRY" % (no, text))
    raise RplError("line %d: ENTRY without ENTRY_END" % e.line)


def parse(path):
    """Read one scenario file; raises RplError on what it cannot read."""
    sc = Scenario(path)
    with open(path, encoding="utf-8", errors="replace") as f:
        raw = f.read().split("\n")
    lines = []
    in_config = True
    for no, line in enumerate(raw, 1):
        if in_config:
            s = line.strip()
            if s.startswith(";") or not s:
                continue
            if s.startswith("CONFIG_END"):
                in_config = False
                continue
            s = re.sub(r"\s#.*$", "", strip_comment(s))
            m = re.match(r"([A-Za-z0-9_-]+)\s*:\s*(.*)$", s)
            if m:
                sc.config.append((m.group(1).lower(), m.group(2).strip()))
            continue
        s = strip_comment(line)
        if s.strip():
            lines.append((no, s))
    if in_config:
        raise RplError("no CONFIG_END")
    i = 0
    cur_range = None
    cur_step = None
    while i < len(lines):
        no, text = lines[i]
        i += 1
        words = text.split()
        head = words[0].upper()
        if head == "SCENARIO_BEGIN":
            sc.title = text.split(None, 1)[1] if len(words) > 1 else ""
        elif head == "SCENARIO_END":
            break
        elif head == "RANGE_BEGIN":
            cur_range = Range(int(words[1]), int(words[2]), no)
            cur_step = None
            sc.ranges.append(cur_range)
        elif head == "RANGE_END":
            cur_range = None
        elif head == "ADDRESS":
            if cur_range is None:
                raise RplError("line %d: ADDRESS outside RANGE" % no)
            cur_range.addresses.append(words[1])
        elif head == "STEP":
            cur_range = None
            cur_step = Step(int(words[1]), words[2].upper(), no)
            if cur_step.kind == "TIME_PASSES":
                cur_step.elapse = int(words[4]) if len(words) > 4 else 0
            sc.steps.append(cur_step)
        elif head == "ENTRY_BEGIN":
            e, i = _parse_entry(lines, i, no)
            if cur_range is not None:
                cur_range.entries.append(e)
            elif cur_step is not None:
                cur_step.entry = e
            else:
                raise RplError("line %d: ENTRY outside RANGE and STEP" % no)
        else:
            raise RplError("line %d: unexpected %r" % (no, text))
    return sc
