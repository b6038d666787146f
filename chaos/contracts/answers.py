"""`all_answer`, `all_succeed`, `falls_back`: every request in a window got an acceptable answer.

    all_succeed(tl, window=fault, label="catalog")                       # 200 while Redis is down
    falls_back(tl, window=fault, label="quote", body=BodyField(name="degraded"))  # 200 + degraded
    all_answer(tl, window=after_restart, label="login", statuses={429})  # lockout survived restart
"""

from __future__ import annotations

from collections.abc import Collection

from chaos.contracts._evidence import expected_text, listing, request_line, selection, verdict
from chaos.contracts.conditions import BodyField, is_indeterminate
from chaos.contracts.verdict import Status, Verdict
from chaos.observe import RequestDone, Span, Timeline

__all__ = ["all_answer", "all_succeed", "falls_back"]


def all_answer(
    timeline: Timeline,
    *,
    window: Span,
    statuses: Collection[int],
    label: str | None = None,
    body: BodyField | None = None,
    contract: str = "all_answer",
) -> Verdict:
    """PASSED when every request (of `label`) started in `window` got a status in `statuses` (and `body`).

    Cancelled requests are left out (their outcome is unknown); an empty selection is
    INCONCLUSIVE. Figures: requests, offenders, cancelled.
    """
    allowed = frozenset(statuses)
    picked = timeline.requests(label=label, started_between=window)
    judged = [r for r in picked if not is_indeterminate(r)]
    what = selection(label, timeline, window)
    expected = expected_text(allowed, body)

    def acceptable(r: RequestDone) -> bool:
        return r.status in allowed and (body is None or body.holds(r))

    offenders = [r for r in judged if not acceptable(r)]
    figures = {"requests": len(judged), "offenders": len(offenders), "cancelled": len(picked) - len(judged)}
    if not judged:
        return verdict(contract, Status.INCONCLUSIVE, f"no {what}: nothing to judge", **figures)
    if offenders:
        return verdict(
            contract, Status.FAILED,
            f"{len(offenders)} of {len(judged)} {what} did not answer {expected}",
            listing(offenders, lambda r: _line(timeline, r, body)),
            **figures,
        )
    return verdict(contract, Status.PASSED, f"all {len(judged)} {what} answered {expected}", **figures)


def all_succeed(
    timeline: Timeline,
    *,
    window: Span,
    label: str | None = None,
    statuses: Collection[int] = frozenset({200}),
    body: BodyField | None = None,
) -> Verdict:
    """Every request in the window succeeded (status 200 unless `statuses` says otherwise)."""
    return all_answer(
        timeline, window=window, statuses=statuses, label=label, body=body, contract="all_succeed"
    )


def falls_back(
    timeline: Timeline,
    *,
    window: Span,
    body: BodyField,
    label: str | None = None,
    statuses: Collection[int] = frozenset({200}),
) -> Verdict:
    """Every request in the window was served by the fallback: a success whose body carries the flag."""
    return all_answer(
        timeline, window=window, statuses=statuses, label=label, body=body, contract="falls_back"
    )


def _line(timeline: Timeline, request: RequestDone, body: BodyField | None) -> str:
    line = request_line(timeline, request)
    if body is not None and request.status is not None:
        seen = "absent" if body.name not in (request.body or {}) else repr(request.body_value(body.name))
        line += f" (body.{body.name}: {seen})"
    return line
