"""`chaos proxy`: run the embedded Toxiproxy-compatible server until SIGTERM or SIGINT.

It prints the API's address once it listens (so `--port 0` shows the port it got) and logs every
API change at INFO. The API and the proxies stay on loopback unless `--allow-remote` is given,
which is then logged as a warning naming the risk: an unauthenticated Toxiproxy API on a network
is an open relay.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chaos.errors import ChaosError

if TYPE_CHECKING:
    from chaos.proxy.server import ProxyServer

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "proxy", help="run the Toxiproxy-compatible proxy server",
        description="Serve the Toxiproxy 2.x HTTP API; any Toxiproxy client can drive it.")
    parser.add_argument("--host", default="127.0.0.1",
                        help="API address (default: 127.0.0.1; anything but loopback needs --allow-remote)")
    parser.add_argument("--port", type=int, default=8474, help="API port, 0 for a free one (default: 8474)")
    parser.add_argument("--allow-remote", action="store_true",
                        help="let the API and the proxies listen beyond loopback: anyone who reaches an "
                             "unauthenticated Toxiproxy API can make this machine connect anywhere")
    parser.add_argument("--allow-privileged-ports", action="store_true",
                        help="let proxies listen on ports below 1024 (refused with a 400 otherwise)")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed for toxicity draws, jitter and slicing, to replay a run")
    parser.add_argument("--metrics", action="store_true",
                        help="serve Prometheus byte counters on /metrics (404 otherwise)")
    parser.add_argument("--plain-toxiproxy", action="store_true",
                        help="turn the chaos extensions off (leases, accept, seed): answer exactly as "
                             "Toxiproxy 2.12 does, to test a client's fallbacks")
    parser.add_argument("--ready-file", type=Path, default=None, metavar="PATH",
                        help="write host:port of the API here, atomically, once listening")
    parser.add_argument("--log-level", default="INFO",
                        help="logging level (default: INFO, one line per API change; WARNING for quiet)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from chaos.proxy.server import ProxyServer, new_event_loop, serve

    level = logging.getLevelName(args.log_level.upper())
    if not isinstance(level, int):
        raise ChaosError(f"--log-level {args.log_level}: expected DEBUG, INFO, WARNING or ERROR")
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("aiohttp").setLevel(logging.WARNING)  # its INFO lines are not API changes
    server = ProxyServer(host=args.host, port=args.port, seed=args.seed, metrics=args.metrics,
                         extensions=not args.plain_toxiproxy, allow_remote=args.allow_remote,
                         allow_privileged_ports=args.allow_privileged_ports)
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(serve(server, ready_file=args.ready_file, on_ready=_print_address))


def _print_address(server: ProxyServer) -> None:
    where = "proxies on any address" if server.allow_remote else "proxies on loopback only"
    print(f"chaos proxy: Toxiproxy API on {server.url} ({where}); stop with Ctrl-C or SIGTERM", flush=True)
