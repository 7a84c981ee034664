#!/usr/bin/env python3
"""webhook-server.py: a local webhook for tests/integ/webhook.t.

Usage: webhook-server.py PORT LOGFILE [CERT KEY]

Listens on 127.0.0.1:PORT (python3 stdlib only).  The path of the POST
chooses the behaviour:
  /ok       200 {"result":"OK"}
  /no       200 {"result":"DENIED"}
  /garbage  200 a body that is not JSON
  /huge     200 a 200 KiB JSON body (over the 64 KiB limit)
  /silent   sleeps 30 s, then answers OK (past any timeout)
  /slow     sleeps 3 s, then answers OK
  /okarr    200 ["OK"] (JSON, not an object)
  /redirect 302 to /ok (must not be followed)
Every request is appended to LOGFILE as one JSON line: path, headers
and the body (as text), so the test can check the HMAC header and the
JSON fields.  With CERT and KEY (PEM) it serves https.  A file LOGFILE.pause makes /ok wait until it is removed
(jobs pile up in the queue while the dispatcher is killed).
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, code, body, extra=None):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        rec = {"path": self.path, "headers": dict(self.headers.items()),
               "body": body.decode("utf-8", "replace")}
        with LOCK:
            with open(self.server.logfile, "a") as f:
                f.write(json.dumps(rec) + "\n")
        p = self.path
        if p == "/ok":
            while os.path.exists(self.server.logfile + ".pause"):
                time.sleep(0.1)
            self.answer(200, '{"result":"OK"}')
        elif p == "/no":
            self.answer(200, '{"result":"DENIED"}')
        elif p == "/garbage":
            self.answer(200, "this is <not> JSON {")
        elif p == "/huge":
            self.answer(200, '{"result":"OK","pad":"' + "x" * 200 * 1024 +
                        '"}')
        elif p == "/silent":
            time.sleep(30)
            self.answer(200, '{"result":"OK"}')
        elif p == "/slow":
            time.sleep(3)
            self.answer(200, '{"result":"OK"}')
        elif p == "/okarr":
            self.answer(200, '["OK"]')
        elif p == "/redirect":
            self.answer(302, "", {"Location": "/ok"})
        else:
            self.answer(404, '{"error":"no such path"}')


def main():
    port = int(sys.argv[1])
    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    srv.daemon_threads = True
    srv.logfile = sys.argv[2]
    if len(sys.argv) == 5:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[3], sys.argv[4])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
