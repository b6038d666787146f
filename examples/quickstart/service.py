"""A small service for the README's tutorial: one slow endpoint and a graceful shutdown.

It keeps one promise, `graceful_drain`: on SIGTERM it stops taking connections, finishes the
requests in flight, and exits 0. `QUICKSTART_DEFECTS=exit_at_once` breaks that promise (it exits
at once with code 1, cutting the requests in flight), so the tutorial can show a failing verdict.
Only the standard library: run it with any Python 3.11.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

DEFECTS = {d.strip() for d in os.environ.get("QUICKSTART_DEFECTS", "").split(",") if d.strip()}
KNOWN_DEFECTS = {"exit_at_once"}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/health":
            self._answer(200, b'{"status": "ok"}')
        elif url.path == "/slow":
            seconds = min(float(parse_qs(url.query).get("seconds", ["1"])[0]), 10.0)
            time.sleep(seconds)
            self._answer(200, b'{"slept": true}')
        else:
            self._answer(404, b'{"error": "not found"}')

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:   # one line per request, on stderr
        sys.stderr.write(f"quickstart: {self.address_string()} {format % args}\n")


def main() -> int:
    unknown = DEFECTS - KNOWN_DEFECTS
    if unknown:
        print(f"QUICKSTART_DEFECTS: unknown defect {sorted(unknown)[0]!r} (known: exit_at_once)", file=sys.stderr)
        return 2
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
    server.daemon_threads = False        # in-flight requests are waited for at close
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"quickstart: listening on 127.0.0.1:{server.server_address[1]}", file=sys.stderr, flush=True)
    stop.wait()
    if "exit_at_once" in DEFECTS:
        os._exit(1)                      # the defect: in-flight requests are cut
    server.shutdown()                    # no new request is accepted ...
    server.server_close()                # ... the listener closes, and the requests in flight finish
    print("quickstart: drained, exiting", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
