"""The `chaos` command: parse, call the library, print. Each subcommand lives in its own module.

A `ChaosError` becomes one line on stderr and exit code 2; anything else keeps its traceback,
because it is a bug of ours, not a mistake of the user's.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import sys
from collections.abc import Sequence
from typing import Any

from chaos.errors import ChaosError

__all__ = ["main"]

# Subcommand modules, each with `register(subparsers)` that sets `func(args) -> int` on its parser.
# Explicit on purpose: no import-time registry, and `chaos --help` lists them in this order.
COMMAND_MODULES = (
    "chaos.cli.proxy_cmd",
    "chaos.cli.env_cmd",
    "chaos.cli.ls_cmd",
    "chaos.cli.doctor_cmd",
    "chaos.cli.contracts_cmd",
    "chaos.cli.matrix_cmd",
    "chaos.cli.gameday_cmd",
    "chaos.cli.report_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chaos", description="Chaos Suite: resilience experiments.")
    parser.add_argument("--version", action=_PrintVersion, help="print the version, checkout and Python, and exit")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


class _PrintVersion(argparse.Action):
    """Like argparse's "version" action, without its line wrapping (a long checkout path would break
    the line for whoever parses it)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        print(version_line())
        parser.exit()


def version_line() -> str:
    """`chaos --version`: the suite's version, and which checkout and Python run it (state is kept per
    checkout, so which one answers matters)."""
    from chaos import __version__
    from chaos.env.state import checkout_root

    return f"chaos-suite {__version__} (checkout {checkout_root()}, Python {platform.python_version()})"


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
