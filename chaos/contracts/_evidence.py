"""Evidence formatting shared by the checkers: offsets, windows, request lines, listings, quantiles."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Final, TypeVar

from chaos.answers import Answer, shown
from chaos.contracts.verdict import Status, Verdict
from chaos.observe import ProbeResult, RequestDone, Span, Timeline, Window

__all__ = [
    "LATE_NOTE_S",
    "MAX_EVIDENCE",
    "answer_line",
    "at",
    "budget_text",
    "listing",
    "nearest_rank",
    "probe_line",
    "request_line",
    "selection",
    "verdict",
    "window_text",
]

MAX_EVIDENCE: Final = 5
"""Offenders listed in full; the rest are counted ("... and 12 more")."""

LATE_NOTE_S: Final = 0.01
"""A request sent this much after its intended start says so in its evidence line."""

T = TypeVar("T")


def at(timeline: Timeline, ns: int) -> str:
    """An instant as an offset from the anchor: "+3.250 s"."""
    return f"{timeline.offset_s(ns):+.3f} s"


def window_text(timeline: Timeline, span: Span) -> str:
    """ "fault 'db_down' [+3.250 s, +8.100 s]" or "[+3.250 s, end of run]"."""
    window = Window.of(span)
    end = "end of run" if window.end_ns is None else at(timeline, window.end_ns)
    name = f"fault {window.name!r} " if window.name else ""
    return f"{name}[{at(timeline, window.start_ns)}, {end}]"


def budget_text(budget_s: float, declared_s: float | None) -> str:
    """ "the 1.5 s budget (declared 1 s + margin)": the declared budget and what the margin rule
    allowed, wherever a verdict judged by an allowance (chaos.experiment.timing)."""
    if declared_s is None or declared_s == budget_s:
        return f"the {budget_s:g} s budget"
    return f"the {budget_s:g} s budget (declared {declared_s:g} s + margin)"


def request_line(timeline: Timeline, request: RequestDone) -> str:
    """ "+3.251 s GET /api/items [list] -> 503 in 0.012 s" (or "-> ReadTimeout after 2.003 s", or
    "-> not sent: 12 in flight"), with "(sent 0.250 s late)" when the load sent it late: the
    latency counts from the intended start, and the reader should see how much of it was ours."""
    head = f"{at(timeline, request.start_ns)} {request.method} {request.path} [{request.label}]"
    late = f" (sent {request.late_s:.3f} s late)" if request.late_s >= LATE_NOTE_S else ""
    return f"{head} -> {request.outcome_text()}{late}"


def probe_line(timeline: Timeline, probe: ProbeResult) -> str:
    outcome = probe.status if probe.status is not None else (probe.error or ("ok" if probe.ok else "not ok"))
    return f"{at(timeline, probe.start_ns)} probe {probe.probe} -> {outcome} in {probe.latency_s:.3f} s"


def listing(items: Sequence[T], line: Callable[[T], str], limit: int = MAX_EVIDENCE) -> tuple[str, ...]:
    """The first `limit` items as lines, then "... and N more"."""
    lines = [line(item) for item in items[:limit]]
    if len(items) > limit:
        lines.append(f"... and {len(items) - limit} more")
    return tuple(lines)


def selection(label: str | None, timeline: Timeline, span: Span) -> str:
    """ "requests 'list' started in fault 'db_down' [+3.250 s, +8.100 s]"."""
    what = f"requests {label!r}" if label else "requests"
    return f"{what} started in {window_text(timeline, span)}"


def answer_line(timeline: Timeline, request: RequestDone, answer: Answer) -> str:
    """`request_line`, plus what the answer showed of what `answer` looks at when that is more than
    its status: "... -> 200 in 0.012 s (header x-cache: absent)"."""
    line = request_line(timeline, request)
    detail = shown(answer, request).partition(", ")[2] if request.status is not None else ""
    return f"{line} ({detail})" if detail else line


def nearest_rank(count: int, percentile: float) -> int:
    """0-based index of the nearest-rank percentile in a sorted list of `count` values."""
    if not 0 < percentile <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {percentile!r}")
    return max(0, math.ceil(percentile / 100 * count) - 1)


def verdict(
    contract: str,
    status: Status,
    summary: str,
    evidence: Sequence[str] = (),
    /,
    **figures: float,
) -> Verdict:
    """Shorthand the checkers use to build their verdict: figures as keyword arguments."""
    return Verdict(
        contract=contract, status=status, summary=summary, evidence=tuple(evidence), figures=figures
    )
