"""`chaos proxy`: run the embedded Toxiproxy-compatible server until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "proxy", help="run the Toxiproxy-compatible proxy server",
        description="Serve the Toxiproxy 2.x HTTP API; any Toxiproxy client can drive it.")
    parser.add_argument("--host", default="127.0.0.1", help="API address (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8474, help="API port, 0 for a free one (default: 8474)")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed for toxicity draws, jitter and slicing, to replay a run")
    parser.add_argument("--metrics", action="store_true",
                        help="serve Prometheus byte counters on /metrics (404 otherwise)")
    parser.add_argument("--plain-toxiproxy", action="store_true",
                        help="turn the chaos extensions off (leases, accept, seed): answer exactly as "
                             "Toxiproxy 2.12 does, to test a client's fallbacks")
    parser.add_argument("--ready-file", type=Path, default=None, metavar="PATH",
                        help="write host:port of the API here, atomically, once listening")
    parser.add_argument("--log-level", default="WARNING", help="logging level (default: WARNING)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from chaos.proxy.server import new_event_loop, serve

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(serve(host=args.host, port=args.port, seed=args.seed, metrics=args.metrics,
                                extensions=not args.plain_toxiproxy, ready_file=args.ready_file))
