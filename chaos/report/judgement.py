"""What a verdict judged, in terms a plot can draw: latency budgets, recoveries and race winners.

The checks report their budgets and results as figures (`chaos.contracts`); this module reads them
back from a stored verdict, so the timeline can show the judgement next to the data: the budget as
a line with the requests over it ringed, each recovery as a labelled span from the heal, each race's
winner marked. Figures a check may add, read when present and done without when absent:

    declared_s                  the declared budget `budget_s` was allowed from (the margin rule)
    window_start_s, window_end_s  the window the check judged, offsets from the anchor (without
                                  them a budget line spans the whole plot)
    heal_offset_s               the instant a recovery is measured from (without it: the last heal)
    winner_start_s              the start of a race's single winner (`exactly_one_winner`)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from chaos.contracts import Status, Verdict
from chaos.contracts.conditions import is_failure, is_timeout
from chaos.observe import RequestDone, Timeline
from chaos.report.figures import recovery_phrase

__all__ = ["BudgetLine", "Judgement", "Race", "Recovery", "judgement_of"]

_RECOVERY_BOUNDS = ("within_s", "recover_within_s")


@dataclass(frozen=True, slots=True, kw_only=True)
class BudgetLine:
    """A latency budget one check judged requests against (`bounded`, `fails_fast`)."""

    check: str                         # its place in the verdict: "bounded", "pool.fails_fast"
    status: Status
    allowed_s: float                   # the budget as judged (`budget_s`)
    declared_s: float | None = None    # the declared budget it was allowed from, when the check says
    failures_only: bool = False        # `fails_fast` judges failed requests only
    window_start_s: float | None = None
    window_end_s: float | None = None

    def offends(self, timeline: Timeline, request: RequestDone) -> bool:
        """Whether `request` is one this budget condemns: started in its window (when known), over the
        budget or timed out (a timeout is over whatever its measured time), failed for `fails_fast`."""
        start = timeline.offset_s(request.start_ns)
        if self.window_start_s is not None and start < self.window_start_s:
            return False
        if self.window_end_s is not None and start > self.window_end_s:
            return False
        if self.failures_only and not is_failure(request):
            return False
        return is_timeout(request) or request.latency_s > self.allowed_s


@dataclass(frozen=True, slots=True, kw_only=True)
class Recovery:
    """How long something took to come back after a heal, against its bound."""

    check: str
    status: Status
    what: str                          # what came back: "requests recovered", "cache used again"
    recovery_s: float
    bound_s: float
    declared_s: float | None = None
    heal_offset_s: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Race:
    """One race (`exactly_one_winner`): how many won, and when the single winner started."""

    check: str
    status: Status
    winners: int
    winner_start_s: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Judgement:
    budgets: tuple[BudgetLine, ...] = ()
    recoveries: tuple[Recovery, ...] = ()
    races: tuple[Race, ...] = ()


def judgement_of(verdict: Verdict | None) -> Judgement:
    """Every budget, recovery and race the verdict's checks report (none without a verdict)."""
    if verdict is None:
        return Judgement()
    budgets: list[BudgetLine] = []
    recoveries: list[Recovery] = []
    races: list[Race] = []
    for check, leaf in _leaves(verdict):
        figures = leaf.figures
        if "budget_s" in figures:
            budgets.append(BudgetLine(
                check=check, status=leaf.status, allowed_s=figures["budget_s"], declared_s=figures.get("declared_s"),
                failures_only=leaf.contract == "fails_fast", window_start_s=figures.get("window_start_s"),
                window_end_s=figures.get("window_end_s"),
            ))
        bound = next((b for b in _RECOVERY_BOUNDS if b in figures), None)
        if "recovery_s" in figures and bound is not None:
            recoveries.append(Recovery(
                check=check, status=leaf.status, what=recovery_phrase(check), recovery_s=figures["recovery_s"],
                bound_s=figures[bound], declared_s=figures.get(f"declared_{bound}"),
                heal_offset_s=figures.get("heal_offset_s"),
            ))
        if leaf.contract == "exactly_one_winner" and "winners" in figures:
            races.append(Race(check=check, status=leaf.status, winners=round(figures["winners"]),
                              winner_start_s=figures.get("winner_start_s")))
    return Judgement(budgets=tuple(budgets), recoveries=tuple(recoveries), races=tuple(races))


def _leaves(verdict: Verdict, path: str = "") -> Iterator[tuple[str, Verdict]]:
    """Each single check with its place in the verdict ("ready_flips.recovery"); checks of one name
    are numbered like `verdict_figures` does ("exactly_one_winner#2")."""
    if not verdict.parts:
        yield path or verdict.contract, verdict
        return
    seen: dict[str, int] = {}
    for part in verdict.parts:
        seen[part.contract] = seen.get(part.contract, 0) + 1
        name = part.contract if seen[part.contract] == 1 else f"{part.contract}#{seen[part.contract]}"
        yield from _leaves(part, f"{path}.{name}" if path else name)
