"""`python -m chaos.upstream --host 127.0.0.1 --port 0 --ready-file F [--stubs S]`: the fake external API
as a process.

Serves the stubs in S (`{"stubs": [...]}`, see `chaos.upstream.stubs`) from the start, so the first
call the service makes is answered as the real API would; a bad file is one line and exit 2.
Writes `host:port` to F (atomically) once listening; exits 0 on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from chaos.upstream.server import serve
from chaos.upstream.stubs import InvalidStub, Stub, stubs_from_wire


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m chaos.upstream",
                                     description="Fake external HTTP API controlled at run time.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 lets the OS pick (default)")
    parser.add_argument("--ready-file", type=Path, default=None,
                        help="write host:port here once listening")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the fail_fraction draws (also settable at run time; default: none)")
    parser.add_argument("--stubs", type=Path, default=None,
                        help='JSON file {"stubs": [...]}: how the API answers (also settable at run time)')
    return parser.parse_args(argv)


def _load_stubs(path: Path) -> tuple[Stub, ...]:
    """The stubs in `path`; any problem raises ValueError naming the file and, for a bad stub, the field."""
    try:
        return stubs_from_wire(json.loads(path.read_bytes()))
    except OSError as exc:
        raise ValueError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    except InvalidStub as exc:
        raise ValueError(f"{path}: {exc}") from None


async def _main(args: argparse.Namespace, stubs: Sequence[Stub]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await serve(args.host, args.port, stop=stop, ready_file=args.ready_file, seed=args.seed, stubs=stubs)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    try:
        stubs = _load_stubs(args.stubs) if args.stubs is not None else ()
    except ValueError as exc:
        print(f"chaos.upstream: --stubs {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        asyncio.run(_main(args, stubs))
    except OSError as exc:
        print(f"chaos.upstream: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
