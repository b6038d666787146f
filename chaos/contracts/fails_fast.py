"""`fails_fast`: when the service cannot serve a request, it says so quickly instead of hanging."""

from __future__ import annotations

from chaos.answers import Answer, holds
from chaos.contracts._evidence import budget_text, listing, request_line, selection, verdict
from chaos.contracts.conditions import is_indeterminate, is_timeout
from chaos.contracts.verdict import Status, Verdict
from chaos.observe import Span, Timeline

__all__ = ["fails_fast"]


def fails_fast(
    timeline: Timeline,
    *,
    window: Span,
    budget_s: float,
    healthy: Answer,
    label: str | None = None,
    require_failures: bool = False,
    expect_failures: bool = False,
    declared_s: float | None = None,
) -> Verdict:
    """PASSED when every failed request (one that did not answer `healthy`, the target's convention)
    started in `window` ended within `budget_s`.

    A timeout is never a fast failure, whatever its measured time. Requests that succeeded are not
    this contract's business (see `bounded`). With no requests at all, or with no failures when
    `require_failures=True` (the fault should have produced some), the verdict is INCONCLUSIVE.
    With `expect_failures=True` no failure at all is FAILED: for a set-up that makes failures certain
    when the contract holds (more concurrent requests than a bounded pool can ever serve in time),
    none means the service queued what it should have refused.
    Figures: requests, failures, slow_failures, max_failure_s, budget_s.
    """
    if budget_s <= 0:
        raise ValueError(f"fails_fast: budget_s must be > 0, got {budget_s!r}")
    picked = [r for r in timeline.requests(label=label, started_between=window) if not is_indeterminate(r)]
    failures = [r for r in picked if not holds(healthy, r)]
    slow = sorted(
        (r for r in failures if is_timeout(r) or r.latency_s > budget_s),
        key=lambda r: (is_timeout(r), r.latency_s), reverse=True,
    )
    what = selection(label, timeline, window)
    figures = {
        "requests": len(picked),
        "failures": len(failures),
        "slow_failures": len(slow),
        "max_failure_s": max((r.latency_s for r in failures), default=0.0),
        "budget_s": budget_s,
        **({"declared_s": declared_s} if declared_s is not None else {}),
    }
    if not picked:
        return verdict("fails_fast", Status.INCONCLUSIVE, f"no {what}: nothing to judge", **figures)
    if slow:
        return verdict(
            "fails_fast", Status.FAILED,
            f"{len(slow)} of {len(failures)} failures among {what} took longer than "
            f"{budget_text(budget_s, declared_s)} or hung",
            listing(slow, lambda r: request_line(timeline, r)),
            **figures,
        )
    if not failures:
        if expect_failures:
            return verdict("fails_fast", Status.FAILED,
                           f"none of the {len(picked)} {what} was refused: the service queued them all",
                           listing(sorted(picked, key=lambda r: -r.latency_s), lambda r: request_line(timeline, r)),
                           **figures)
        status = Status.INCONCLUSIVE if require_failures else Status.PASSED
        return verdict("fails_fast", status, f"none of the {len(picked)} {what} failed", **figures)
    return verdict(
        "fails_fast", Status.PASSED,
        f"all {len(failures)} failures among {len(picked)} {what} returned within {budget_s:g} s "
        f"(slowest {figures['max_failure_s']:.3f} s)",
        **figures,
    )
