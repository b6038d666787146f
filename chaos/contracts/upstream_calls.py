"""`calls_bounded`, `calls_spaced`: what reached the external API, from its own log (`UpstreamCall`).

A circuit breaker shows in the upstream's log, not in the client's answers: while it is open, no
call gets through except a half-open probe every reset timeout.

    # at most threshold + one probe per reset period while the upstream fails:
    calls_bounded(tl, window=fault, max_calls=threshold + math.ceil(fault_s / reset_s) + 1)
    # after at most `threshold` calls, calls come one per reset period (a probe), no faster, no slower:
    calls_spaced(tl, window=fault, max_leading_calls=threshold, min_gap_s=reset_s * 0.9,
                 max_gap_s=reset_s + 1.0)
"""

from __future__ import annotations

import itertools

from chaos.contracts._evidence import at, listing, verdict, window_text
from chaos.contracts.verdict import Status, Verdict
from chaos.observe import Span, Timeline, UpstreamCall, Window

__all__ = ["call_line", "calls_bounded", "calls_spaced", "upstream_calls"]


def upstream_calls(
    timeline: Timeline, *, window: Span | None = None, path_prefix: str | None = None, upstream: str | None = None
) -> list[UpstreamCall]:
    """The upstream calls (to the fake API `upstream`, whose path starts with `path_prefix`) that
    arrived in `window`, by arrival."""
    win = None if window is None else Window.of(window)
    return [
        c for c in timeline.events(UpstreamCall)
        if (path_prefix is None or c.path.startswith(path_prefix))
        and (upstream is None or c.upstream == upstream)
        and (win is None or win.contains(c.arrival_ns))
    ]


def call_line(timeline: Timeline, call: UpstreamCall) -> str:
    outcome = call.status if call.status is not None else "no answer"
    return f"{at(timeline, call.arrival_ns)} upstream call #{call.seq} {call.method} {call.path} -> {outcome}"


def calls_bounded(
    timeline: Timeline, *, window: Span, max_calls: int, path_prefix: str | None = None, upstream: str | None = None
) -> Verdict:
    """PASSED when at most `max_calls` upstream calls arrived in `window`.

    Zero calls in the window passes (that is what an open breaker looks like), but zero calls on
    the whole timeline is INCONCLUSIVE: the upstream log was not recorded.
    Figures: calls, max_calls.
    """
    everywhere = upstream_calls(timeline, path_prefix=path_prefix, upstream=upstream)
    calls = upstream_calls(timeline, window=window, path_prefix=path_prefix, upstream=upstream)
    where = window_text(timeline, window)
    figures = {"calls": len(calls), "max_calls": max_calls}
    if not everywhere:
        return verdict("calls_bounded", Status.INCONCLUSIVE,
                       "no upstream call is on the timeline at all: was the upstream log recorded?",
                       **figures)
    if len(calls) > max_calls:
        return verdict("calls_bounded", Status.FAILED,
                       f"{len(calls)} upstream calls arrived in {where}, more than the {max_calls} allowed",
                       listing(calls[max_calls:], lambda c: f"beyond the limit: {call_line(timeline, c)}"),
                       **figures)
    return verdict("calls_bounded", Status.PASSED,
                   f"{len(calls)} upstream calls arrived in {where} (at most {max_calls} allowed)", **figures)


def calls_spaced(
    timeline: Timeline,
    *,
    window: Span,
    min_gap_s: float,
    max_gap_s: float | None = None,
    max_leading_calls: int = 0,
    path_prefix: str | None = None,
    upstream: str | None = None,
) -> Verdict:
    """PASSED when, after a burst of at most `max_leading_calls` calls, consecutive upstream calls in
    `window` are at least `min_gap_s` apart (an open breaker lets only half-open probes through)
    and, if `max_gap_s` is given, at most `max_gap_s` apart, up to the window's end (the probes
    do happen).

    The burst ends at the first gap >= `min_gap_s`. INCONCLUSIVE with no more than
    `max_leading_calls` calls in the window (nothing to open on).
    Figures: calls, leading_calls, min_gap_s (smallest gap after the burst), max_gap_s.
    """
    win = Window.of(window)
    calls = upstream_calls(timeline, window=win, path_prefix=path_prefix, upstream=upstream)
    where = window_text(timeline, win)
    if len(calls) <= max_leading_calls or len(calls) < 2:
        return verdict("calls_spaced", Status.INCONCLUSIVE,
                       f"only {len(calls)} upstream calls in {where}: nothing to judge spacing on "
                       f"(up to {max_leading_calls} may come in a burst)", calls=len(calls))
    gaps = [(b.arrival_ns - a.arrival_ns) / 1e9 for a, b in itertools.pairwise(calls)]
    opening = next((i for i, gap in enumerate(gaps) if gap >= min_gap_s), None)
    if opening is None:
        return verdict("calls_spaced", Status.FAILED,
                       f"{len(calls)} upstream calls in {where} never paused for {min_gap_s:g} s "
                       f"(largest gap {max(gaps):.3f} s): nothing stopped the calls",
                       listing(calls[max_leading_calls:], lambda c: call_line(timeline, c)),
                       calls=len(calls), leading_calls=len(calls))
    leading = opening + 1
    after = gaps[opening:]
    tail_s = None if win.end_ns is None else (win.end_ns - calls[-1].arrival_ns) / 1e9
    figures = {"calls": len(calls), "leading_calls": leading, "min_gap_s": min(after),
               "max_gap_s": max([*after, tail_s or 0.0])}
    problems: list[str] = []
    evidence: list[str] = []
    if leading > max_leading_calls:
        problems.append(f"{leading} calls came before the first {min_gap_s:g} s pause (at most "
                        f"{max_leading_calls} allowed)")
        extra = calls[max_leading_calls:leading]
        evidence.extend(listing(extra, lambda c: f"extra: {call_line(timeline, c)}"))
    close = [calls[opening + 1 + i] for i, gap in enumerate(after) if gap < min_gap_s]
    if close:
        problems.append(f"{len(close)} later calls came less than {min_gap_s:g} s after the previous one")
        evidence.extend(listing(close, lambda c: f"too soon: {call_line(timeline, c)}"))
    if max_gap_s is not None:
        far = [calls[opening + 1 + i] for i, gap in enumerate(after) if gap > max_gap_s]
        if far:
            problems.append(f"{len(far)} calls came more than {max_gap_s:g} s after the previous one")
            evidence.extend(listing(far, lambda c: f"late: {call_line(timeline, c)}"))
        if tail_s is not None and tail_s > max_gap_s:
            problems.append(
                f"no call in the last {tail_s:.3f} s of {where} (expected one every {max_gap_s:g} s)"
            )
    if problems:
        return verdict("calls_spaced", Status.FAILED, f"upstream calls in {where}: " + "; ".join(problems),
                       evidence, **figures)
    return verdict("calls_spaced", Status.PASSED,
                   f"after {leading} calls, upstream calls in {where} came "
                   f"{figures['min_gap_s']:.3f} s or more apart"
                   + (f" and at most {max_gap_s:g} s" if max_gap_s is not None else ""),
                   **figures)
