"""Verdicts: what a contract concluded from a timeline, with the evidence and key figures.

Three values, as Jepsen's `:valid?`: PASSED, FAILED, INCONCLUSIVE. Combining ranks them
FAILED > INCONCLUSIVE > PASSED (Jepsen's valid-priorities), so one broken part breaks the whole,
and a part that could not tell keeps the whole from passing.

A checker that raises is not a pass: `check_safe` turns the crash into an INCONCLUSIVE verdict
whose `error` holds the traceback text (reports show it as an error of the suite, distinct from
"the service broke the contract"). No separate ERROR status: a crash says nothing about the
service, which is exactly what INCONCLUSIVE means, and the three-valued order stays total.
"""

from __future__ import annotations

import math
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import ParamSpec

__all__ = ["Status", "Verdict", "check_safe", "combine", "skipped", "verdict_to_data"]

P = ParamSpec("P")


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    INCONCLUSIVE = "inconclusive"
    SKIPPED = "skipped"   # a part the target gave nothing to check with (no cache marker, no readiness)

    @property
    def rank(self) -> int:
        """FAILED (2) > INCONCLUSIVE (1) > PASSED (0) > SKIPPED (-1): a skipped part never hides a
        result, and a whole made only of skipped parts checked nothing."""
        return _RANK[self]


_RANK: Mapping[Status, int] = MappingProxyType({Status.SKIPPED: -1, Status.PASSED: 0, Status.INCONCLUSIVE: 1,
                                                Status.FAILED: 2})


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """One contract's conclusion.

    `summary` is one line that names the window and the budget; `evidence` lists the offending
    requests / probes / exits (first few, with offsets from the timeline's anchor); `figures` are
    the key numbers for scorecards and JUnit properties (seconds and counts, all finite floats).
    `parts` keeps the sub-verdicts a combined verdict was built from; `error` is the traceback of
    a checker that crashed.
    """

    contract: str
    status: Status
    summary: str
    evidence: tuple[str, ...] = ()
    figures: Mapping[str, float] = field(default_factory=dict, hash=False)
    error: str | None = None
    parts: tuple[Verdict, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Status(self.status))
        object.__setattr__(self, "evidence", tuple(self.evidence))
        figures = {name: float(value) for name, value in self.figures.items()}
        bad = sorted(name for name, value in figures.items() if not math.isfinite(value))
        if bad:
            raise ValueError(f"verdict {self.contract}: figures must be finite (JSON), got {bad}")
        object.__setattr__(self, "figures", MappingProxyType(figures))
        object.__setattr__(self, "parts", tuple(self.parts))

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    def explain(self) -> str:
        """The verdict as a message: "contract: STATUS: summary" then the evidence, indented."""
        lines = [f"{self.contract}: {self.status.upper()}: {self.summary}"]
        lines.extend(f"  {line}" for line in self.evidence)
        if self.error:
            lines.append("  checker crashed:")
            lines.extend(f"    {line}" for line in self.error.rstrip().splitlines())
        return "\n".join(lines)


def combine(verdicts: Iterable[Verdict], *, contract: str | None = None) -> Verdict:
    """One verdict for several checks: the worst status wins.

    The summary and evidence come from the parts that decided the status; figures are merged as
    "<part contract>.<figure>"; `parts` keeps them all. `contract` names the whole (default: the
    parts' names joined by " + "). No parts at all is INCONCLUSIVE: nothing was checked.
    """
    parts = tuple(verdicts)
    if contract is None:
        contract = " + ".join(dict.fromkeys(p.contract for p in parts)) or "no contract"
    if not parts:
        return Verdict(contract=contract, status=Status.INCONCLUSIVE, summary="no checks were run")
    status = max((p.status for p in parts), key=lambda s: s.rank)
    deciding = [p for p in parts if p.status is status]
    if status in (Status.PASSED, Status.SKIPPED):
        summary = "; ".join(f"{p.contract}: {p.summary}" for p in parts)
    else:
        summary = "; ".join(f"{p.contract}: {p.summary}" for p in deciding)
    evidence = tuple(line for p in deciding for line in p.evidence)
    figures = {f"{p.contract}.{name}": value for p in parts for name, value in p.figures.items()}
    errors = [f"{p.contract}:\n{p.error}" for p in parts if p.error]
    return Verdict(
        contract=contract, status=status, summary=summary, evidence=evidence, figures=figures,
        error="\n".join(errors) or None, parts=parts,
    )


def skipped(contract: str, reason: str) -> Verdict:
    """A check the target gave nothing to judge with (no cache marker, no readiness endpoint): it says
    so in the verdict, and never counts as a pass of its own."""
    return Verdict(contract=contract, status=Status.SKIPPED, summary=f"not checked: {reason}")


def check_safe(checker: Callable[P, Verdict], *args: P.args, **kwargs: P.kwargs) -> Verdict:
    """Run a checker; if it raises (or returns something else), an INCONCLUSIVE verdict with the traceback.

    Jepsen's `check-safe`: a bug in a checker must never read as a pass.
    """
    name = getattr(checker, "__name__", repr(checker))
    try:
        verdict: object = checker(*args, **kwargs)  # typed object: a buggy checker may return anything
    except Exception as exc:
        return Verdict(
            contract=name, status=Status.INCONCLUSIVE,
            summary=f"the checker crashed ({type(exc).__name__}: {exc}); nothing can be concluded",
            error=traceback.format_exc(),
        )
    if not isinstance(verdict, Verdict):
        return Verdict(
            contract=name, status=Status.INCONCLUSIVE,
            summary=f"the checker returned {type(verdict).__name__}, not a Verdict",
            error=f"{name} returned {verdict!r}",
        )
    return verdict


def verdict_to_data(verdict: Verdict) -> dict[str, object]:
    """The verdict as JSON-compatible data (for the journal), parts included."""
    return {
        "contract": verdict.contract,
        "status": str(verdict.status),
        "summary": verdict.summary,
        "evidence": list(verdict.evidence),
        "figures": dict(verdict.figures),
        "error": verdict.error,
        "parts": [verdict_to_data(p) for p in verdict.parts],
    }
