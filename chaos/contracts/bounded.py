"""`bounded`: latency in a window stays within a budget (max, or a percentile such as p99)."""

from __future__ import annotations

from chaos.contracts._evidence import budget_text, listing, nearest_rank, request_line, selection, verdict
from chaos.contracts.conditions import hang_text, is_indeterminate, is_timeout
from chaos.contracts.verdict import Status, Verdict
from chaos.observe import RequestDone, Span, Timeline

__all__ = ["bounded"]


def bounded(
    timeline: Timeline,
    *,
    window: Span,
    budget_s: float,
    label: str | None = None,
    percentile: float = 100.0,
    declared_s: float | None = None,
) -> Verdict:
    """PASSED when the `percentile` latency of requests (of `label`) started in `window` is <= `budget_s`.

    A request that ended in a timeout error, or was not sent at all, ranks above every answered
    one and is over budget whatever its measured time (the client gave up, the server never
    answered). A cancelled
    request counts only if it had already run longer than the budget. Every request over budget
    is listed, slowest first, even when the percentile passes (the evidence is there to read).
    `declared_s` is the budget the target declared when `budget_s` is the allowance derived from it.
    Figures: requests, over_budget, timeouts, p50_s, p99_s, max_s, budget_s (latencies as measured),
    declared_s (when given).
    """
    if budget_s <= 0:
        raise ValueError(f"bounded: budget_s must be > 0, got {budget_s!r}")
    picked = [
        r for r in timeline.requests(label=label, started_between=window)
        if not is_indeterminate(r) or r.latency_s > budget_s
    ]
    ranked = sorted(picked, key=_rank_key)
    what = selection(label, timeline, window)
    name = "max" if percentile == 100 else f"p{percentile:g}"
    if not ranked:
        return verdict("bounded", Status.INCONCLUSIVE, f"no {what}: no latency to judge",
                       requests=0, budget_s=budget_s)
    over = [r for r in reversed(ranked) if _over(r, budget_s)]
    chosen = ranked[nearest_rank(len(ranked), percentile)]
    figures = {
        "requests": len(ranked),
        "over_budget": len(over),
        "timeouts": sum(1 for r in ranked if is_timeout(r)),
        "p50_s": ranked[nearest_rank(len(ranked), 50)].latency_s,
        "p99_s": ranked[nearest_rank(len(ranked), 99)].latency_s,
        "max_s": ranked[-1].latency_s,
        "budget_s": budget_s,
        **({"declared_s": declared_s} if declared_s is not None else {}),
    }
    budget = budget_text(budget_s, declared_s)
    evidence = listing(over, lambda r: request_line(timeline, r))
    if _over(chosen, budget_s):
        shown = hang_text(chosen) if is_timeout(chosen) else f"{chosen.latency_s:.3f} s"
        return verdict(
            "bounded", Status.FAILED,
            f"{name} latency is {shown}, over {budget}: {len(over)} of {len(ranked)} {what} "
            "over budget",
            evidence, **figures,
        )
    return verdict(
        "bounded", Status.PASSED,
        f"{name} latency {chosen.latency_s:.3f} s is within {budget} "
        f"over {len(ranked)} {what}",
        evidence, **figures,
    )


def _rank_key(request: RequestDone) -> tuple[bool, float]:
    return (is_timeout(request), request.latency_s)


def _over(request: RequestDone, budget_s: float) -> bool:
    return is_timeout(request) or request.latency_s > budget_s
