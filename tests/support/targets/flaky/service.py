"""A service that stays unhealthy until it is restarted, as one whose pool an earlier fault broke.

GET /health is always 200; GET /api answers 500 while the file named by FLAKY_MARK exists, else 200.
A start removes the mark: only a restart heals it. Every request is logged on stderr.
"""

from __future__ import annotations

import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MARK = Path(os.environ["FLAKY_MARK"])


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        broken = self.path.startswith("/api") and MARK.exists()
        body = b'{"ok": false}' if broken else b'{"ok": true}'
        self.send_response(500 if broken else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write(f"flaky pid {os.getpid()}: {format % args}\n")
        sys.stderr.flush()


def main() -> None:
    MARK.unlink(missing_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server.serve_forever()


if __name__ == "__main__":
    main()
