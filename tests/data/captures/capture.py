#!/usr/bin/env python3
"""capture.py: record the PKIOperation a SCEP client sends.

A tiny SCEP responder (Python 3 standard library only) listening on
127.0.0.1 on a free port.  It runs ONE client command, answers its
GetCACaps and GetCACert, records the first PKIOperation (POST body, or
GET query string and the DER its message= value carries) and answers
that with HTTP 500, so the client gives up.  It stops when the client
exits, or after --timeout seconds, whichever comes first.

    capture.py [--caps post|get] [--ca-only] [--timeout S] [--out DIR]
               NAME -- CLIENT ARGS...

"{url}" in the client's arguments is replaced with the server URL
(http://127.0.0.1:PORT/scep).  The client runs in a fresh temporary
directory (scepclient writes client.key, csr.pem, self.pem there);
files named in --keep are copied from it to DIR/NAME-<file> afterwards.
Writes DIR/NAME.der (and DIR/NAME.query for a GET).

GetCACert: [ra.crt, ca.crt] of tests/data/corpus/pki as a degenerate
PKCS#7 (application/x-x509-ca-ra-cert, RA first), or with --ca-only
ca.crt alone (application/x-x509-ca-cert).  GetCACaps: with --caps post
"POSTPKIOperation SHA-256 AES DES3 SCEPStandard", with --caps get the
same without POSTPKIOperation and SCEPStandard, one per line.

TEST TOOL ONLY: it never listens beyond the loopback interface.
"""

import argparse
import base64
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
PKI = os.path.join(HERE, "..", "corpus", "pki")

CAPS = {
    "post": b"POSTPKIOperation\nSHA-256\nAES\nDES3\nSCEPStandard\n",
    "get": b"SHA-256\nAES\nDES3\n",
}


def pem_to_der(path):
    """The DER of the one PEM certificate in path."""
    with open(path, "rb") as f:
        text = f.read().decode("ascii")
    body = text.split("-----BEGIN CERTIFICATE-----")[1]
    body = body.split("-----END CERTIFICATE-----")[0]
    return base64.b64decode("".join(body.split()))


def cacert_bundle():
    """[ra, ca] as a degenerate PKCS#7, built by openssl crl2pkcs7."""
    out = subprocess.run(
        ["openssl", "crl2pkcs7", "-nocrl",
         "-certfile", os.path.join(PKI, "ra.crt"),
         "-certfile", os.path.join(PKI, "ca.crt"), "-outform", "DER"],
        check=True, stdout=subprocess.PIPE, timeout=30)
    return out.stdout


def decode_message(value):
    """The DER of a GET message= value (INTEROP.md 2.5 row 1)."""
    s = urllib.parse.unquote(value)        # never '+' to space
    s = s.replace(" ", "+").replace("-", "+").replace("_", "/")
    s = "".join(s.split())
    s += "=" * (-len(s) % 4)
    return base64.b64decode(s, validate=True)


class State:
    """What the handler shares with main()."""

    def __init__(self, caps, ca_only):
        self.caps = caps
        self.ca_only = ca_only
        self.bundle = None if ca_only else cacert_bundle()
        self.ca_der = pem_to_der(os.path.join(PKI, "ca.crt"))
        self.post = None        # POST body
        self.query = None       # GET query string
        self.log = []


def make_handler(state):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, fmt, *args):
            state.log.append(fmt % args)

        def reply(self, code, ctype, body):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def operation(self):
            query = urllib.parse.urlsplit(self.path).query
            for part in query.split("&"):
                if part.startswith("operation="):
                    return part[len("operation="):], query
            return "", query

        def do_GET(self):
            op, query = self.operation()
            if op == "GetCACaps":
                self.reply(200, "text/plain", CAPS[state.caps])
            elif op == "GetCACert":
                if state.ca_only:
                    self.reply(200, "application/x-x509-ca-cert",
                               state.ca_der)
                else:
                    self.reply(200, "application/x-x509-ca-ra-cert",
                               state.bundle)
            elif op == "PKIOperation":
                if state.query is None and state.post is None:
                    state.query = query
                self.reply(500, "text/plain", b"captured\n")
            else:
                self.reply(404, "text/plain", b"unknown operation\n")

        def do_POST(self):
            op, _ = self.operation()
            n = int(self.headers.get("Content-Length", "0"))
            if n < 0 or n > 1024 * 1024:
                self.reply(413, "text/plain", b"too large\n")
                return
            body = self.rfile.read(n)
            if op == "PKIOperation" and state.post is None and \
                    state.query is None:
                state.post = body
            self.reply(500, "text/plain", b"captured\n")

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--caps", choices=sorted(CAPS), default="post")
    ap.add_argument("--ca-only", action="store_true")
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("--out", default=HERE)
    ap.add_argument("--keep", action="append", default=[],
                    help="file of the client's folder to keep")
    ap.add_argument("--pre", action="append", default=[],
                    help="SRC:DST copy SRC into the client's folder first")
    ap.add_argument("name")
    ap.add_argument("client", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    client = args.client[1:] if args.client[:1] == ["--"] else args.client
    if not client:
        ap.error("no client command")

    state = State(args.caps, args.ca_only)
    server = http.server.HTTPServer(("127.0.0.1", 0), make_handler(state))
    url = "http://127.0.0.1:%d/scep" % server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    work = tempfile.mkdtemp(prefix="scep-capture.")
    rc = 1
    try:
        for spec in args.pre:
            src, dst = spec.split(":", 1)
            shutil.copy(src, os.path.join(work, dst))
        cmd = [a.replace("{url}", url) for a in client]
        print("capture: %s" % " ".join(cmd), file=sys.stderr)
        try:
            proc = subprocess.run(cmd, cwd=work, timeout=args.timeout,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
            print(proc.stdout.decode(errors="replace"), file=sys.stderr)
        except subprocess.TimeoutExpired:
            print("capture: client timed out", file=sys.stderr)
        for line in state.log:
            print("capture: " + line, file=sys.stderr)

        if state.post is not None:
            der = state.post
        elif state.query is not None:
            value = None
            for part in state.query.split("&"):
                if part.startswith("message="):
                    value = part[len("message="):]
            if value is None:
                raise SystemExit("capture: GET without message=")
            der = decode_message(value)
            with open(os.path.join(args.out, args.name + ".query"),
                      "w", encoding="ascii", newline="") as f:
                f.write(state.query)
        else:
            raise SystemExit("capture: no PKIOperation received")
        with open(os.path.join(args.out, args.name + ".der"), "wb") as f:
            f.write(der)
        for keep in args.keep:
            shutil.copy(os.path.join(work, keep),
                        os.path.join(args.out, args.name + "-" + keep))
        print("capture: %s.der, %d bytes" % (args.name, len(der)),
              file=sys.stderr)
        rc = 0
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(work, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
