"""The `chaos` command: parse, call the library, print. Each subcommand lives in its own module.

A `ChaosError` becomes one line on stderr and exit code 2; anything else keeps its traceback,
because it is a bug of ours, not a mistake of the user's.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from chaos.errors import ChaosError

__all__ = ["main"]

# Subcommand modules, each with `register(subparsers)` that sets `func(args) -> int` on its parser.
# Explicit on purpose: no import-time registry, and `chaos --help` lists them in this order.
COMMAND_MODULES = (
    "chaos.cli.proxy_cmd",
    "chaos.cli.env_cmd",
    "chaos.cli.doctor_cmd",
    "chaos.cli.contracts_cmd",
    "chaos.cli.matrix_cmd",
    "chaos.cli.gameday_cmd",
    "chaos.cli.report_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chaos", description="Chaos Suite: resilience experiments.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except ChaosError as exc:
        print(f"chaos {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code
