#!/usr/bin/env python3
"""s3fault.py - an HTTP proxy that injects faults between strata and an S3 store.

For tests only (tests/integration/t_s3_faults.sh); the product has no fault
code of its own.  Standard library only.

    s3fault.py --upstream http://127.0.0.1:PORT --rules FILE --log FILE --port-file FILE
    s3fault.py --rules FILE --check      (exit 0 if FILE parses)

listens on 127.0.0.1 (a free port, written to --port-file once it listens)
and forwards every request to the upstream store unchanged: method, path and
query as sent, every header as sent (Host included: SigV4 signs it, and the
store checks the signature against the Host it receives, whatever its own
address), the body as sent.  Hop-by-hop headers (Connection, Keep-Alive,
Transfer-Encoding, Expect) are the proxy's own on each side.

Rules: --rules FILE, read again whenever the file changes (replace it with
mv: a new file also resets the rules' counters).  One rule a line, '#'
comments; the first rule that matches a request and still has uses left acts
on it, others pass it through untouched.  A rule is words:

    METHOD  KEY-REGEX  [query=REGEX] [range=yes|no] [skip=N] [times=N] ACTION...

  METHOD      GET PUT HEAD POST DELETE, or * for any
  KEY-REGEX   Python regex searched in the key: the path after /BUCKET/,
              percent-decoded ("r1/packs/ab/ab12....pack"; "" for the bucket
              itself, as listings ask it: ^$); '.' matches all
  query=RE    regex searched in the raw query string ("list-type=2&prefix=...")
  range=yes   only requests with a Range header (ranged GETs); no: without
  skip=N      let the first N matching requests pass, then act
  times=N     act on N requests (after the skipped ones), then pass; default
              unlimited
ACTION, one of (delay= may come with any, or alone):
  status=CODE answer CODE with an S3 error body without forwarding (the
              request never reaches the store)
  drop        read the request, then close the connection without an answer
              (never forwarded)
  lost        forward (the request takes effect in the store), then close the
              connection without an answer
  cut         forward; send the answer's headers and half its body, then
              close (an answer without a body: half of its header bytes)
  cuthead     forward; send half of the answer's header bytes, then close
              (curl takes a header block cut after the status line as
              complete: the answer looks whole, with headers missing)
  stall[=S]   forward; send the headers (an answer without a body: half of
              them), then nothing for S seconds (default 600) or until the
              client hangs up
  delay=S     wait S seconds before answering (alone: then forward normally)

Log: --log FILE, one line per request, written when it is decided:
    SEQ METHOD KEY QUERY range=yes|no ACTION RULE
with KEY "/" for the bucket itself, ACTION "pass" or the action taken
("status=503", "drop", "delay=1,cut"...) and RULE the rule's line number (0
for pass); then, once the request is finished, "SEQ done STATUS [how]" (the
store's status, or the fault's).  A rules file that does not parse is
logged as "RULES-ERROR why" and acts as no rules until it is replaced.
"""
import argparse
import http.client
import os
import re
import select
import socket
import socketserver
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler

HOP = {"connection", "keep-alive", "transfer-encoding", "expect", "proxy-connection", "te", "trailer", "upgrade"}


class Rule:
    def __init__(self, lineno, words):
        if len(words) < 3:
            raise ValueError("line %d: METHOD KEY-REGEX ACTION... needed" % lineno)
        self.lineno = lineno
        self.method = words[0].upper()
        self.key = re.compile(words[1])
        self.query = None
        self.range = None
        self.skip = 0
        self.times = None
        self.action = None
        self.arg = None
        self.delay = 0.0
        for w in words[2:]:
            k, _, v = w.partition("=")
            if k == "query":
                self.query = re.compile(v)
            elif k == "range":
                if v not in ("yes", "no"):
                    raise ValueError("line %d: range=yes or range=no" % lineno)
                self.range = v == "yes"
            elif k == "skip":
                self.skip = int(v)
            elif k == "times":
                self.times = int(v)
            elif k == "delay":
                self.delay = float(v)
            elif k == "status":
                self.action, self.arg = "status", int(v)
            elif k in ("drop", "lost", "cut", "cuthead") and not v:
                self.action = k
            elif k == "stall":
                self.action, self.arg = "stall", float(v) if v else 600.0
            else:
                raise ValueError("line %d: unknown word %r" % (lineno, w))
        if self.action is None and not self.delay:
            raise ValueError("line %d: no action" % lineno)
        self.seen = 0  # matching requests so far
        self.acted = 0

    def matches(self, method, key, query, has_range):
        if self.method != "*" and self.method != method:
            return False
        if not self.key.search(key):
            return False
        if self.query is not None and not self.query.search(query):
            return False
        if self.range is not None and self.range != has_range:
            return False
        return True

    def describe(self):
        parts = []
        if self.delay:
            parts.append("delay=%g" % self.delay)
        if self.action == "status":
            parts.append("status=%d" % self.arg)
        elif self.action == "stall":
            parts.append("stall=%g" % self.arg)
        elif self.action:
            parts.append(self.action)
        return ",".join(parts)


class Rules:
    def __init__(self, path):
        self.path = path
        self.sig = None
        self.rules = []
        self.mu = threading.Lock()

    def _load(self):
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self.sig, self.rules = None, []
            return
        sig = (st.st_ino, st.st_mtime_ns, st.st_size)
        if sig == self.sig:
            return
        rules = []
        with open(self.path) as f:
            for n, line in enumerate(f, 1):
                line = line.split("#", 1)[0].split()
                if line:
                    rules.append(Rule(n, line))
        self.sig, self.rules = sig, rules

    def decide(self, method, key, query, has_range, log):
        """The rule that acts on this request, or None."""
        with self.mu:
            try:
                self._load()
            except (OSError, ValueError, re.error) as e:
                # never a silent pass: the log says why, and no rule acts
                log.line("RULES-ERROR", str(e).replace("\n", " "))
                self.sig, self.rules = None, []
            for r in self.rules:
                if not r.matches(method, key, query, has_range):
                    continue
                r.seen += 1
                if r.seen <= r.skip:
                    continue
                if r.times is not None and r.acted >= r.times:
                    continue
                r.acted += 1
                return r
        return None


class Log:
    def __init__(self, path):
        self.f = open(path, "a", buffering=1)
        self.mu = threading.Lock()
        self.seq = 0

    def start(self, *fields):
        with self.mu:
            self.seq += 1
            self.f.write(" ".join(str(x) for x in (self.seq,) + fields) + "\n")
            return self.seq

    def line(self, *fields):
        with self.mu:
            self.f.write(" ".join(str(x) for x in fields) + "\n")


def error_body(status):
    code = {503: "SlowDown", 500: "InternalError"}.get(status, "ServiceUnavailable")
    return ('<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code>'
            "<Message>injected by s3fault.py</Message></Error>" % code).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "s3fault"

    def log_message(self, fmt, *args):  # quiet: our own log says what happened
        pass

    def setup(self):
        super().setup()
        self.up = None

    def finish(self):
        try:
            super().finish()
        finally:
            if self.up is not None:
                self.up.close()

    def _body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _forward(self, body):
        """(status, reason, [(name, value)], body) from the store."""
        for attempt in (0, 1):
            if self.up is None:
                self.up = http.client.HTTPConnection(self.server.upstream_host, self.server.upstream_port,
                                                     timeout=300)
            try:
                self.up.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for k, v in self.headers.items():
                    if k.lower() not in HOP and k.lower() != "content-length":
                        self.up.putheader(k, v)
                if body or self.command in ("PUT", "POST") or "Content-Length" in self.headers:
                    self.up.putheader("Content-Length", str(len(body)))
                self.up.endheaders(body if body else None)
                resp = self.up.getresponse()
                data = resp.read()
                hdrs = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP]
                if resp.will_close:
                    self.up.close()
                    self.up = None
                return resp.status, resp.reason, hdrs, data
            except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
                # a kept-alive connection the store closed meanwhile: once more, on a new one
                self.up.close()
                self.up = None
                if attempt:
                    raise

    def _head_bytes(self, status, reason, hdrs, blen):
        out = ["HTTP/1.1 %d %s" % (status, reason)]
        for k, v in hdrs:
            if k.lower() != "content-length":
                out.append("%s: %s" % (k, v))
        if self.command != "HEAD" or any(k.lower() == "content-length" for k, _ in hdrs):
            # a HEAD answer keeps the store's Content-Length (the object's size)
            cl = blen if self.command != "HEAD" else dict((k.lower(), v) for k, v in hdrs)["content-length"]
            out.append("Content-Length: %s" % cl)
        return ("\r\n".join(out) + "\r\n\r\n").encode("latin-1")

    def _stall(self, seconds):
        end = time.monotonic() + seconds
        sock = self.connection
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return "stall-expired"
            r, _, _ = select.select([sock], [], [], min(left, 1.0))
            if r:
                try:
                    if not sock.recv(65536, socket.MSG_PEEK):
                        return "client-gone"
                    sock.recv(65536)  # a client that talks on: discard
                except OSError:
                    return "client-gone"

    def _handle(self):
        u = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(u.path)
        # the key: the path after /BUCKET/ ("" for the bucket itself)
        key = path.lstrip("/").partition("/")[2]
        has_range = "Range" in self.headers
        body = self._body()
        rule = self.server.rules.decide(self.command, key, u.query, has_range, self.server.log)
        act = rule.describe() if rule else "pass"
        seq = self.server.log.start(self.command, key or "/", u.query or "-",
                                    "range=" + ("yes" if has_range else "no"), act,
                                    rule.lineno if rule else 0)
        if rule and rule.delay:
            time.sleep(rule.delay)
        action = rule.action if rule else None
        if action == "status":
            eb = error_body(rule.arg)
            hdrs = [("Content-Type", "application/xml"), ("x-amz-request-id", "s3fault-%d" % seq)]
            self.wfile.write(self._head_bytes(rule.arg, "Injected", hdrs, len(eb)))
            if self.command != "HEAD":
                self.wfile.write(eb)
            self.server.log.line(seq, "done", rule.arg)
            return
        if action == "drop":
            self.close_connection = True
            self.server.log.line(seq, "done", "dropped")
            return
        try:
            status, reason, hdrs, data = self._forward(body)
        except Exception as e:  # the store is unreachable: say so, as a gateway would
            self.server.log.line(seq, "done", "upstream-error", type(e).__name__)
            eb = error_body(502)
            self.wfile.write(self._head_bytes(502, "Bad Gateway", [], len(eb)))
            self.wfile.write(eb)
            self.close_connection = True
            return
        if self.command == "HEAD":
            data = b""
        head = self._head_bytes(status, reason, hdrs, len(data))
        if action == "lost":
            self.close_connection = True
            self.server.log.line(seq, "done", status, "lost")
            return
        if action in ("cut", "cuthead", "stall"):
            self.close_connection = True
            if action == "cuthead" or not data:
                part = head[: len(head) // 2]
            else:
                part = head + data[: len(data) // 2] if action == "cut" else head
            self.wfile.write(part)
            self.wfile.flush()
            how = action if action != "stall" else self._stall(rule.arg)
            self.server.log.line(seq, "done", status, how, "sent=%d/%d" % (len(part), len(head) + len(data)))
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.wfile.write(head + data)
        self.server.log.line(seq, "done", status)

    def handle_one_request(self):
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            self._handle()
            self.wfile.flush()
        except (ConnectionError, socket.timeout, BrokenPipeError):
            self.close_connection = True


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main():
    ap = argparse.ArgumentParser(description="fault-injecting S3 proxy for tests")
    ap.add_argument("--upstream", help="http://HOST:PORT of the store")
    ap.add_argument("--rules", required=True)
    ap.add_argument("--log")
    ap.add_argument("--port-file")
    ap.add_argument("--check", action="store_true", help="only parse the rules file: exit 0 if it is good")
    a = ap.parse_args()
    rules = Rules(a.rules)
    try:
        rules._load()
    except (OSError, ValueError, re.error) as e:
        sys.exit("s3fault: %s: %s" % (a.rules, e))
    if a.check:
        return
    if not (a.upstream and a.log and a.port_file):
        sys.exit("s3fault: --upstream, --log and --port-file are needed")
    up = urllib.parse.urlsplit(a.upstream)
    if up.scheme != "http" or not up.hostname or not up.port:
        sys.exit("s3fault: --upstream must be http://HOST:PORT")
    srv = Server(("127.0.0.1", 0), Handler)
    srv.upstream_host, srv.upstream_port = up.hostname, up.port
    srv.rules = rules
    srv.log = Log(a.log)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
