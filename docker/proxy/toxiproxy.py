#!/usr/bin/env python3
"""`/toxiproxy` in the chaos-suite/toxiproxy image: the real image's flags, the suite's embedded server.

Accepts what compose files pass to ghcr.io/shopify/toxiproxy (`-host`, `-port`, `-config`, Go flag
syntax with one or two dashes, `=` or a separate value) and runs `python -m chaos proxy`. Without
`-config` it execs the server, so the server is the process that receives the container's signals;
with `-config` it starts the server, loads the file through the API's /populate (as Toxiproxy does at
start), and forwards SIGTERM/SIGINT to it.

`chaos proxy` listens on loopback only unless told `--allow-remote`. Here a non-loopback `-host`
(the image's default `-host=0.0.0.0`, docker-compose.chaos.yml's bridge setup) is that explicit
opt-in: the proxies must listen on the container's interfaces for the service's container to reach
them, and the container's network (ports published on 127.0.0.1 only) is the boundary. With
`-host=127.0.0.1` (the host-network setup) the server keeps to loopback, proxies included.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

KNOWN = {"host": "localhost", "port": "8474", "config": ""}
IGNORED_BOOL = {"proxy-metrics", "runtime-metrics", "version", "help", "h"}
IGNORED_VALUE = {"seed"}
READY_TIMEOUT_S = 20.0
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}


def parse(argv: list[str]) -> dict[str, str]:
    opts = dict(KNOWN)
    i = 0
    while i < len(argv):
        arg = argv[i]
        name, eq, value = arg.lstrip("-").partition("=")
        if name in KNOWN or name in IGNORED_VALUE:
            if not eq:
                i += 1
                if i >= len(argv):
                    sys.exit(f"toxiproxy: flag needs an argument: {arg}")
                value = argv[i]
            if name in KNOWN:
                opts[name] = value
        elif name not in IGNORED_BOOL:
            print(f"toxiproxy: ignoring unsupported flag {arg}", file=sys.stderr)
        i += 1
    return opts


def server_argv(opts: dict[str, str], ready_file: str) -> list[str]:
    """The `chaos proxy` command line for the parsed flags (`--allow-remote` for a non-loopback host)."""
    argv = [sys.executable, "-m", "chaos", "proxy", "--host", opts["host"], "--port", opts["port"],
            "--ready-file", ready_file]
    if opts["host"] not in LOOPBACK_HOSTS:
        argv.append("--allow-remote")
    return argv


def main() -> int:
    opts = parse(sys.argv[1:])
    fd, ready_file = tempfile.mkstemp(prefix="toxiproxy-ready-")
    os.close(fd)
    os.unlink(ready_file)
    server = server_argv(opts, ready_file)
    if not opts["config"]:
        os.execv(sys.executable, server)
    with open(opts["config"], "rb") as f:
        proxies = json.load(f)
    child = subprocess.Popen(server)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, _frame: child.send_signal(signum))
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not os.path.exists(ready_file):
        if child.poll() is not None:
            return child.returncode
        if time.monotonic() > deadline:
            print(f"toxiproxy: server not ready after {READY_TIMEOUT_S:g} s", file=sys.stderr)
            child.kill()
            return 1
        time.sleep(0.05)
    with open(ready_file) as f:
        _host, _, port = f.read().strip().rpartition(":")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/populate", data=json.dumps(proxies).encode(), method="POST",
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        print(f"toxiproxy: populated {len(proxies)} proxies from {opts['config']} ({response.status})",
              file=sys.stderr)
    return child.wait()


if __name__ == "__main__":
    sys.exit(main())
