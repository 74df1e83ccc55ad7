#!/usr/bin/env python3
"""web_attack.py HOST PORT MODE [ARGS] -- HTTP attacks on a running `dnssec-doctor serve`,
each asserted; prints "ok   web: ..." or "FAIL web: ..." lines like the other system tests.
Runs inside tests/world/netns.sh (loopback only). Clients bind to other loopback addresses
(127.0.0.2 ...) where a test needs a client the caps do not count against.

Modes:
  smuggle              request-smuggling shapes and malformed heads: 400 (or 405/431) with our
                       security headers, Connection: close, the connection closed without a reset
  pipeline             a valid request, then a bad one on the same connection: 200, then 400
  slowloris N TIMEOUT  N clients dribble a header byte a second: /healthz stays quick for others,
                       each slow client gets 408 and is closed within TIMEOUT + a margin
  client-cap CAP       CAP idle connections from one address: the next one gets 429, others are served
  total-cap CAP        CAP idle connections from several addresses: the next one gets 503
  flood N              N connections at once (the server runs with few descriptors): it survives,
                       /healthz answers afterwards
"""
import socket
import sys
import threading
import time

HOST, PORT, MODE = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ARGS = sys.argv[4:]
FAILS = 0
OUR_HEADERS = ("content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy")


def ok(msg):
    print("ok   web: " + msg, flush=True)


def fail(msg):
    global FAILS
    FAILS += 1
    print("FAIL web: " + msg, flush=True)


def connect(src="127.0.0.1", timeout=10.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect((HOST, PORT))
    return s


def read_all(s, limit=1 << 20):
    """Read until EOF. Returns (data, how): how is 'eof', 'reset' or 'timeout'."""
    data = b""
    try:
        while len(data) < limit:
            chunk = s.recv(65536)
            if not chunk:
                return data, "eof"
            data += chunk
    except ConnectionResetError:
        return data, "reset"
    except socket.timeout:
        return data, "timeout"
    return data, "limit"


def parse(data):
    """The first response in `data`: (status, {header: value}, body, rest)."""
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep:
        return None, {}, b"", b""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    try:
        status = int(parts[1])
    except (IndexError, ValueError):
        return None, {}, b"", b""
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    if "content-length" not in hdrs:
        return status, hdrs, rest, b""  # HTTP/1.0: the body runs to the close
    n = int(hdrs["content-length"])
    return status, hdrs, rest[:n], rest[n:]


def exchange(payload, src="127.0.0.1", timeout=10.0):
    s = connect(src, timeout)
    try:
        s.sendall(payload)
    except (BrokenPipeError, ConnectionResetError):
        pass
    t0 = time.monotonic()
    data, how = read_all(s)
    s.close()
    return data, how, time.monotonic() - t0


def ours(hdrs):
    return all(h in hdrs for h in OUR_HEADERS)


def expect_refusal(what, payload, want, extra=None):
    data, how, _ = exchange(payload)
    status, hdrs, body, _ = parse(data)
    problems = []
    if status != want:
        problems.append("status %s (want %s)" % (status, want))
    if status is not None and status >= 500 and want < 500:
        problems.append("a 5xx answer")
    if not ours(hdrs):
        problems.append("security headers missing")
    if hdrs.get("connection", "").lower() != "close":
        problems.append("no Connection: close")
    if how != "eof":
        problems.append("connection ended by %s" % how)
    if extra:
        problems += extra(hdrs, body)
    if problems:
        fail("%s: %s; got %r" % (what, ", ".join(problems), data[:200]))
    else:
        ok("%s: %d with our headers, then closed" % (what, want))


def smuggle():
    h = b"Host: x\r\n"
    cases = [
        ("two different Content-Length headers",
         b"POST /api/v1/check HTTP/1.1\r\n" + h + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
        ("two equal Content-Length headers on GET",
         b"GET /healthz HTTP/1.1\r\n" + h + b"Content-Length: 0\r\nContent-Length: 0\r\n\r\n", 400),
        ("Content-Length: +63", b"GET / HTTP/1.1\r\n" + h + b"Content-Length: +63\r\n\r\n", 400),
        ("Content-Length: -1", b"GET / HTTP/1.1\r\n" + h + b"Content-Length: -1\r\n\r\n", 400),
        ("Content-Length with non-digits", b"GET / HTTP/1.1\r\n" + h + b"Content-Length: 1x\r\n\r\n", 400),
        ("Content-Length list", b"GET / HTTP/1.1\r\n" + h + b"Content-Length: 0, 0\r\n\r\n", 400),
        ("Transfer-Encoding : chunked (space before the colon)",
         b"POST / HTTP/1.1\r\n" + h + b"Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400),
        ("Transfer-Encoding with Content-Length",
         b"POST / HTTP/1.1\r\n" + h + b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("Transfer-Encoding: chunked on GET",
         b"GET / HTTP/1.1\r\n" + h + b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("obs-fold header line", b"GET / HTTP/1.1\r\n" + h + b"X-A: 1\r\n continued\r\n\r\n", 400),
        ("bare CR in a header", b"GET / HTTP/1.1\r\n" + h + b"X-A: 1\rX-B: 2\r\n\r\n", 400),
        ("NUL in a header", b"GET / HTTP/1.1\r\n" + h + b"X-A: a\x00b\r\n\r\n", 400),
        ("header line without a colon", b"GET / HTTP/1.1\r\n" + h + b"NoColonHere\r\n\r\n", 400),
        ("two Host headers", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("HTTP/1.1 without Host", b"GET / HTTP/1.1\r\n\r\n", 400),
        ("GET with a body", b"GET /healthz HTTP/1.1\r\n" + h + b"Content-Length: 5\r\n\r\nhello", 400),
        ("garbage request line", b"GARBAGE\r\n\r\n", 400),
        ("two spaces in the request line", b"GET  / HTTP/1.1\r\n" + h + b"\r\n", 400),
        ("HTTP/2.0 request line", b"GET / HTTP/2.0\r\n" + h + b"\r\n", 400),
        ("absolute-form target", b"GET http://x/ HTTP/1.1\r\n" + h + b"\r\n", 400),
        ("a TLS handshake on the HTTP port", bytes.fromhex("160301020001") + b"\x00" * 50, 400),
        ("request line without a line end, over 8 KiB", b"GET /" + b"a" * 9000, 431),
        ("headers over 8 KiB", b"GET / HTTP/1.1\r\n" + h + b"X-Big: " + b"b" * 10000 + b"\r\n\r\n", 431),
        ("150 header lines", b"GET / HTTP/1.1\r\n" + h + b"".join(b"X-%d: 1\r\n" % i for i in range(150)) + b"\r\n",
         431),
    ]
    for what, payload, want in cases:
        expect_refusal(what, payload, want)

    def allow(value, json_body):
        def check(hdrs, body):
            p = []
            if hdrs.get("allow") != value:
                p.append("Allow: %r (want %r)" % (hdrs.get("allow"), value))
            if json_body and not body.startswith(b"{"):
                p.append("body is not JSON")
            return p
        return check

    expect_refusal("unknown method FOO (libevent said 501)", b"FOO / HTTP/1.1\r\n" + h + b"\r\n", 405,
                   allow("GET, HEAD", False))
    expect_refusal("PROPFIND on the API", b"PROPFIND /api/v1/check HTTP/1.1\r\n" + h + b"\r\n", 405,
                   allow("GET", True))
    expect_refusal("POST to the API with a body", b"POST /api/v1/check?name=x HTTP/1.1\r\n" + h +
                   b"Content-Length: 3\r\n\r\nx=1", 405, allow("GET", True))
    expect_refusal("POST with a 50 kB body (libevent said 413)", b"POST / HTTP/1.1\r\n" + h +
                   b"Content-Length: 50000\r\n\r\n" + b"a" * 50000, 405, allow("GET, HEAD", False))
    expect_refusal("OPTIONS *", b"OPTIONS * HTTP/1.1\r\n" + h + b"\r\n", 405)
    # Leading empty lines before a request are ignored (RFC 9112 2.2); lone LF line ends are taken.
    data, how, _ = exchange(b"\r\n\r\nGET /healthz HTTP/1.0\n\n")
    status, hdrs, body, _ = parse(data)
    if status == 200 and body == b"ok\n" and ours(hdrs):
        ok("empty lines before the request line are skipped; LF line ends accepted")
    else:
        fail("leading empty lines: %r (%s)" % (data[:200], how))


def pipeline():
    # A good request, then a smuggling shape, on one connection: the first is answered by
    # evhttp, the second by the front once that answer is out; then the connection closes.
    good = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    bad = b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"
    for name, first in (("/healthz", good),
                        ("a check", b"GET /api/v1/check?name=www.good13.test HTTP/1.1\r\nHost: x\r\n\r\n")):
        data, how, _ = exchange(first + bad, timeout=30)
        s1, h1, _, rest = parse(data)
        s2, h2, _, _ = parse(rest)
        if s1 == 200 and ours(h1) and s2 == 400 and ours(h2) and how == "eof":
            ok("pipelined %s then a bad head: 200, then 400 with our headers" % name)
        else:
            fail("pipelined %s then a bad head: %s, %s (%s) %r" % (name, s1, s2, how, data[:300]))
    # Keep-alive: two good requests on one connection are both answered.
    s = connect()
    s.sendall(good)
    d1 = s.recv(65536)
    s.sendall(good)
    d2 = s.recv(65536)
    s.close()
    if parse(d1)[0] == 200 and parse(d2)[0] == 200:
        ok("keep-alive: two requests on one connection")
    else:
        fail("keep-alive: %r %r" % (d1[:100], d2[:100]))


def healthz(src):
    t0 = time.monotonic()
    try:
        data, how, _ = exchange(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", src=src, timeout=10)
    except OSError as e:
        return None, str(e)
    return parse(data)[0], time.monotonic() - t0


def slowloris(n, timeout):
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100
    results = [None] * n

    def slow(i):
        try:
            s = connect(timeout=timeout + 15)
        except OSError as e:
            results[i] = ("connect", str(e), 0, b"")
            return
        t0 = time.monotonic()
        s.settimeout(1.0)
        data = b""
        for b in head:
            try:
                s.send(bytes([b]))
            except OSError:
                break
            try:
                chunk = s.recv(4096)
                if not chunk:
                    results[i] = ("eof", "", time.monotonic() - t0, data)
                    return
                data += chunk
            except socket.timeout:
                continue
            except OSError:
                results[i] = ("reset", "", time.monotonic() - t0, data)
                return
            if time.monotonic() - t0 > timeout + 15:
                break
        results[i] = ("open", "", time.monotonic() - t0, data)

    threads = [threading.Thread(target=slow, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    # While they dribble: /healthz from another address, several times.
    worst = 0.0
    codes = []
    for _ in range(3):
        code, secs = healthz("127.0.0.2")
        codes.append(code)
        worst = max(worst, secs if isinstance(secs, float) else 99)
        time.sleep(0.3)
    if codes == [200, 200, 200] and worst < 3:
        ok("/healthz answers (worst %.2f s) while %d clients dribble their headers" % (worst, n))
    else:
        fail("/healthz during slowloris: %s, worst %.2f s" % (codes, worst))
    for t in threads:
        t.join()
    bad = []
    secs = []
    for r in results:
        how, err, elapsed, data = r
        status, hdrs, _, _ = parse(data)
        secs.append(elapsed)
        if how != "eof" or elapsed > timeout + 5 or status != 408 or not ours(hdrs):
            bad.append("%s after %.1f s, status %s %s" % (how, elapsed, status, err))
    if not bad:
        ok("%d dribbling clients each cut off with 408 after %.1f-%.1f s (head timeout %d s)" %
           (n, min(secs), max(secs), timeout))
    else:
        fail("slowloris: %d of %d not cut off right: %s" % (len(bad), n, "; ".join(bad[:3])))


def hold(n, srcs):
    socks = []
    for i in range(n):
        socks.append(connect(srcs[i % len(srcs)]))
    time.sleep(0.8)  # the front counts a connection when it first looks at it
    return socks


def client_cap(cap):
    socks = hold(cap, ["127.0.0.1"])
    data, how, _ = exchange(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    status, hdrs, _, _ = parse(data)
    if status == 429 and ours(hdrs) and hdrs.get("retry-after") and how == "eof":
        ok("connection %d from one address: 429 with Retry-After and our headers, no reset" % (cap + 1))
    else:
        fail("per-client cap: %s (%s) %r" % (status, how, data[:200]))
    code, _ = healthz("127.0.0.2")
    if code == 200:
        ok("another address is still served while one is at its cap")
    else:
        fail("another address during the per-client cap: %s" % code)
    for s in socks:
        s.close()
    time.sleep(0.8)
    code, _ = healthz("127.0.0.1")
    if code == 200:
        ok("the capped address is served again once its connections close")
    else:
        fail("after the per-client cap: %s" % code)


def total_cap(cap):
    srcs = ["127.0.0.%d" % i for i in range(3, 9)]
    socks = hold(cap, srcs)
    data, how, _ = exchange(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", src="127.0.0.2")
    status, hdrs, _, _ = parse(data)
    if status == 503 and ours(hdrs) and hdrs.get("retry-after") and how == "eof":
        ok("connection %d in all: 503 with Retry-After and our headers, no reset" % (cap + 1))
    else:
        fail("total cap: %s (%s) %r" % (status, how, data[:200]))
    for s in socks:
        s.close()
    time.sleep(0.8)
    code, _ = healthz("127.0.0.2")
    if code == 200:
        ok("served again once connections close")
    else:
        fail("after the total cap: %s" % code)


def flood(n):
    socks = []
    for i in range(n):
        try:
            socks.append(connect("127.0.0.%d" % (10 + i % 200), timeout=5))
        except OSError:
            break
    time.sleep(2)
    for s in socks:
        s.close()
    time.sleep(1.5)
    code, _ = healthz("127.0.0.2")
    if code == 200:
        ok("%d connections at once on a server with few descriptors: it lives, /healthz answers" % len(socks))
    else:
        fail("after a flood of %d connections: /healthz %s" % (len(socks), code))


if MODE == "smuggle":
    smuggle()
elif MODE == "pipeline":
    pipeline()
elif MODE == "slowloris":
    slowloris(int(ARGS[0]), int(ARGS[1]))
elif MODE == "client-cap":
    client_cap(int(ARGS[0]))
elif MODE == "total-cap":
    total_cap(int(ARGS[0]))
elif MODE == "flood":
    flood(int(ARGS[0]))
else:
    print("unknown mode " + MODE, file=sys.stderr)
    sys.exit(3)
sys.exit(1 if FAILS else 0)
