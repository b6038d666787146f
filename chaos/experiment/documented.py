"""Every check the suite's own experiments make is in the contract reference (docs/contracts.md).

A check the reference does not list is a bug of the suite: the generated docs would not say what
the verdict judged. It makes the experiment inconclusive, so it cannot last past the next run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from chaos.contracts import Status, Verdict
from chaos.targetfile import CONTRACTS

__all__ = ["GENERIC_CHECKS", "undocumented_checks"]

GENERIC_CHECKS: Final = frozenset({"steady state before", "steady state after", "healthy before the fault",
                                   "healthy before the experiment"})
"""Verdict parts every experiment may add, whatever its contract (docs/isolation.md)."""


def undocumented_checks(contract: str, verdicts: Sequence[Verdict]) -> list[Verdict]:
    """One inconclusive verdict per check of `verdicts` that the reference of `contract` lacks (a
    combined verdict counts as documented when all its parts are; faults' own verdicts always are)."""
    documented = {c.name for c in CONTRACTS[contract].checks} | GENERIC_CHECKS
    missing = [v.contract for v in verdicts
               if v.contract not in documented and not v.contract.startswith("fault ")
               and not (v.parts and all(p.contract in documented for p in v.parts))]
    return [Verdict(contract="contract reference", status=Status.INCONCLUSIVE,
                    summary=f"check {name!r} of {contract} is not in the contract reference "
                            "(chaos/targetfile/catalog.py): a bug of the suite", figures={})
            for name in dict.fromkeys(missing)]
