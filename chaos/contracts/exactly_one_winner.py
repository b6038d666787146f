"""`exactly_one_winner`: of concurrent attempts at one thing (a booking), exactly one wins."""

from __future__ import annotations

from chaos.answers import Answer, describe, holds
from chaos.contracts._evidence import listing, request_line, verdict
from chaos.contracts.conditions import is_timeout
from chaos.contracts.verdict import Status, Verdict
from chaos.observe import Span, Timeline

__all__ = ["exactly_one_winner"]


def exactly_one_winner(
    timeline: Timeline,
    *,
    label: str,
    won: Answer,
    lost: Answer,
    window: Span | None = None,
) -> Verdict:
    """PASSED when, of the requests of `label` (started in `window` if given), exactly one answered
    like `won` and all the others like `lost` (the target's conventions): no other answer, no
    error, no hang. An answer that looks like both counts as a win.

    INCONCLUSIVE with fewer than two requests (no race to judge). The evidence names the winners
    first, whatever the verdict (which request won is what a reader of a race looks for).
    Figures: requests, winners, losers, others, hung, max_latency_s, and winner_start_s (the single
    winner's start, an offset from the anchor) when exactly one won.
    """
    burst = timeline.requests(label=label, started_between=window)
    winners = [r for r in burst if holds(won, r)]
    losers = [r for r in burst if not holds(won, r) and holds(lost, r)]
    others = [r for r in burst if not holds(won, r) and not holds(lost, r)]
    winner_text, loser_text = describe(won), describe(lost)
    hung = [r for r in others if is_timeout(r) or r.error == "Cancelled"]
    figures = {
        "requests": len(burst), "winners": len(winners), "losers": len(losers),
        "others": len(others), "hung": len(hung),
        "max_latency_s": max((r.latency_s for r in burst), default=0.0),
    }
    if len(winners) == 1:
        figures["winner_start_s"] = timeline.offset_s(winners[0].start_ns)
    winner_lines = listing(winners, lambda r: f"winner: {request_line(timeline, r)}")
    what = f"{len(burst)} concurrent requests {label!r}"
    if len(burst) < 2:
        return verdict("exactly_one_winner", Status.INCONCLUSIVE,
                       f"only {len(burst)} requests {label!r}: no race to judge", **figures)
    problems = []
    if len(winners) != 1:
        problems.append(f"{len(winners)} answered {winner_text} (expected exactly 1)")
    if others:
        problems.append(f"{len(others)} answered neither {winner_text} nor {loser_text}"
                        + (f", {len(hung)} of them hung" if hung else ""))
    if problems:
        evidence = winner_lines + listing(others, lambda r: request_line(timeline, r))
        return verdict("exactly_one_winner", Status.FAILED, f"of {what}: " + "; ".join(problems),
                       evidence, **figures)
    return verdict("exactly_one_winner", Status.PASSED,
                   f"of {what}: one {winner_text}, {len(losers)} x {loser_text}, slowest "
                   f"{figures['max_latency_s']:.3f} s",
                   winner_lines, **figures)
