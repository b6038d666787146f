"""`all_answer`, `all_succeed`, `falls_back`: every request in a window got an acceptable answer.

What "acceptable" means is the target's convention, an answer spec (`chaos.answers`):

    all_succeed(tl, window=fault, label="catalog", answer=healthy)            # served while Redis is down
    falls_back(tl, window=fault, label="quote", answer=AllOf((healthy, degraded)))
    all_answer(tl, window=after_restart, label="login", answer=locked, contract="locked out after the restart")
"""

from __future__ import annotations

from chaos.answers import Answer, describe, holds
from chaos.contracts._evidence import answer_line, listing, selection, verdict
from chaos.contracts.conditions import is_indeterminate
from chaos.contracts.verdict import Status, Verdict
from chaos.observe import Span, Timeline, Window

__all__ = ["all_answer", "all_succeed", "falls_back"]


def all_answer(
    timeline: Timeline,
    *,
    window: Span,
    answer: Answer,
    label: str | None = None,
    contract: str = "all_answer",
    answered_within: bool = False,
) -> Verdict:
    """PASSED when every request (of `label`) started in `window` answered like `answer`.

    With `answered_within`, only the requests that also ended by the window's end are judged: an
    answer given after the heal was not given under the fault (a slow service's request that
    started in the last second of the fault calls its upstream after the heal). Cancelled
    requests are left out (their outcome is unknown); an empty selection is INCONCLUSIVE.
    Figures: requests, offenders, cancelled.
    """
    picked = timeline.requests(label=label, started_between=window)
    end_ns = Window.of(window).end_ns
    if answered_within and end_ns is not None:
        picked = [r for r in picked if r.end_ns <= end_ns]
    judged = [r for r in picked if not is_indeterminate(r)]
    what = selection(label, timeline, window)
    expected = describe(answer)
    offenders = [r for r in judged if not holds(answer, r)]
    figures = {"requests": len(judged), "offenders": len(offenders), "cancelled": len(picked) - len(judged)}
    if not judged:
        return verdict(contract, Status.INCONCLUSIVE, f"no {what}: nothing to judge", **figures)
    if offenders:
        return verdict(
            contract, Status.FAILED,
            f"{len(offenders)} of {len(judged)} {what} did not answer {expected}",
            listing(offenders, lambda r: answer_line(timeline, r, answer)),
            **figures,
        )
    return verdict(contract, Status.PASSED, f"all {len(judged)} {what} answered {expected}", **figures)


def all_succeed(timeline: Timeline, *, window: Span, answer: Answer, label: str | None = None) -> Verdict:
    """Every request in the window was served: it answered the target's healthy convention."""
    return all_answer(timeline, window=window, answer=answer, label=label, contract="all_succeed")


def falls_back(timeline: Timeline, *, window: Span, answer: Answer, label: str | None = None) -> Verdict:
    """Every request answered under the fault (started in the window and answered before its end)
    was served by the fallback (healthy and degraded, as the target says those look)."""
    return all_answer(timeline, window=window, answer=answer, label=label, contract="falls_back",
                      answered_within=True)
