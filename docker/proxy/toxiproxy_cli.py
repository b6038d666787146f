#!/usr/bin/env python3
"""`/toxiproxy-cli` in the chaos-suite/toxiproxy image: just enough of the real CLI for health checks.

`toxiproxy-cli [--host URL] list` prints the proxies and exits 0 when the API answers, non-zero
otherwise (the host defaults to $TOXIPROXY_URL, then http://localhost:8474, as the real CLI's does).
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request


def main(argv: list[str]) -> int:
    host = os.environ.get("TOXIPROXY_URL", "http://localhost:8474")
    command = ""
    i = 0
    while i < len(argv):
        name, eq, value = argv[i].lstrip("-").partition("=")
        if name in ("host", "h") and argv[i].startswith("-"):
            if not eq:
                i += 1
                value = argv[i] if i < len(argv) else ""
            host = value
        elif not argv[i].startswith("-"):
            command = argv[i]
        i += 1
    if command not in ("list", "l", "ls"):
        print("toxiproxy-cli (chaos-suite): only `list` is supported", file=sys.stderr)
        return 2
    if "://" not in host:
        host = f"http://{host}"
    try:
        with urllib.request.urlopen(f"{host.rstrip('/')}/proxies", timeout=5) as response:
            proxies = json.load(response)
    except OSError as exc:
        print(f"toxiproxy-cli: {host}: {exc}", file=sys.stderr)
        return 1
    for name, proxy in sorted(proxies.items()):
        print(f"{name}\t{proxy.get('listen')}\t{proxy.get('upstream')}\tenabled={proxy.get('enabled')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
