"""`chaos contracts [NAME]`: the contract reference, from the catalog the loader validates against."""

from __future__ import annotations

import argparse
import difflib
from typing import Any

from chaos.errors import ChaosError
from chaos.targetfile import CONTRACTS
from chaos.targetfile.reference import contract_reference, document

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "contracts", help="print the contract reference (parameters, answers, checks, faults)",
        description="Print what each contract of the catalog takes in its [contracts.NAME] table (type, unit, "
                    "default, role and meaning of every parameter), the answer conventions it judges by, "
                    "every check its experiments make and the faults they inject. Without NAME: all of them, "
                    "as in docs/contracts.md.")
    parser.add_argument("names", nargs="*", metavar="NAME", help="contracts to show (default: all)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    for name in args.names:
        if name not in CONTRACTS:
            close = difflib.get_close_matches(name, list(CONTRACTS), n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(CONTRACTS)})"
            raise ChaosError(f"unknown contract {name!r}{hint}")
    print(document() if not args.names else "\n".join(contract_reference(n) for n in args.names), end="")
    return 0
