"""`python -m chaos.upstream --host 127.0.0.1 --port 0 --ready-file F`: the fake external API as a process.

Writes `host:port` to F (atomically) once listening; exits 0 on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from chaos.upstream.server import serve


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m chaos.upstream",
                                     description="Fake external HTTP API controlled at run time.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 lets the OS pick (default)")
    parser.add_argument("--ready-file", type=Path, default=None,
                        help="write host:port here once listening")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the fail_fraction draws (also settable at run time; default: none)")
    return parser.parse_args(argv)


async def _main(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await serve(args.host, args.port, stop=stop, ready_file=args.ready_file, seed=args.seed)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        asyncio.run(_main(args))
    except OSError as exc:
        print(f"chaos.upstream: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
