"""`retries_back_off`: a request's upstream attempts are bounded and spaced out (Retry-After honoured)."""

from __future__ import annotations

import itertools

from chaos.contracts._evidence import listing, request_line, verdict
from chaos.contracts.upstream_calls import call_line, upstream_calls
from chaos.contracts.verdict import Status, Verdict
from chaos.observe import Span, Timeline, UpstreamCall

__all__ = ["retries_back_off"]


def retries_back_off(
    timeline: Timeline,
    *,
    label: str,
    max_attempts: int,
    min_gap_s: float = 0.0,
    growing: bool = True,
    slack_s: float = 0.05,
    window: Span | None = None,
    path_prefix: str | None = None,
    upstream: str | None = None,
) -> Verdict:
    """PASSED when each request of `label` caused at most `max_attempts` upstream calls, consecutive
    attempts were at least `min_gap_s` apart (set it to the Retry-After the upstream sent) and, if
    `growing`, no gap was shorter than the one before (both within `slack_s`).

    Upstream calls are attributed to the client request whose [start, end] contains their
    arrival, so the requests must not overlap: send them one at a time (concurrency 1), else the
    verdict is INCONCLUSIVE. Also INCONCLUSIVE when no request retried at all (no gap to judge).
    Figures: requests, max_attempts_seen, retried_requests, min_gap_s_seen.
    """
    requests = timeline.requests(label=label, started_between=window)
    calls = upstream_calls(timeline, path_prefix=path_prefix, upstream=upstream)
    if not requests:
        return verdict("retries_back_off", Status.INCONCLUSIVE, f"no requests {label!r} to judge", requests=0)
    overlapping = [b for a, b in itertools.pairwise(requests) if b.start_ns < a.end_ns]
    if overlapping:
        return verdict("retries_back_off", Status.INCONCLUSIVE,
                       f"{len(overlapping)} requests {label!r} overlap the one before: upstream calls "
                       "cannot be attributed (send them one at a time)",
                       listing(overlapping, lambda r: request_line(timeline, r)), requests=len(requests))
    attempts = [(r, [c for c in calls if r.start_ns <= c.arrival_ns <= r.end_ns]) for r in requests]
    too_many = [(r, cs) for r, cs in attempts if len(cs) > max_attempts]
    retried = [(r, cs) for r, cs in attempts if len(cs) >= 2]
    all_gaps = [g for _, cs in retried for g in _gaps(cs)]
    figures = {
        "requests": len(requests),
        "max_attempts_seen": max(len(cs) for _, cs in attempts),
        "retried_requests": len(retried),
        "min_gap_s_seen": min(all_gaps, default=0.0),
        "max_attempts": max_attempts,
    }
    problems: list[str] = []
    evidence: list[str] = []
    if too_many:
        problems.append(f"{len(too_many)} requests {label!r} made more than {max_attempts} upstream attempts")
        for r, cs in too_many[:3]:
            evidence.append(f"{request_line(timeline, r)}: {len(cs)} attempts")
    bad_spacing = [(r, cs) for r, cs in retried if _spacing_problem(cs, min_gap_s, growing, slack_s)]
    if bad_spacing:
        rule = f"at least {min_gap_s:g} s apart" + (" and growing" if growing else "")
        problems.append(f"{len(bad_spacing)} requests {label!r} retried without backing off "
                        f"(attempts not {rule}, slack {slack_s:g} s)")
        for r, cs in bad_spacing[:3]:
            gaps = ", ".join(f"{g:.3f}" for g in _gaps(cs))
            evidence.append(f"{request_line(timeline, r)}: gaps {gaps} s")
            evidence.extend(listing(cs, lambda c: f"  {call_line(timeline, c)}", limit=4))
    if problems:
        return verdict("retries_back_off", Status.FAILED, "; ".join(problems), evidence, **figures)
    if not retried:
        return verdict("retries_back_off", Status.INCONCLUSIVE,
                       f"none of the {len(requests)} requests {label!r} retried: no backoff to judge",
                       **figures)
    return verdict("retries_back_off", Status.PASSED,
                   f"{len(retried)} of {len(requests)} requests {label!r} retried, at most "
                   f"{figures['max_attempts_seen']:g} attempts, gaps >= {figures['min_gap_s_seen']:.3f} s"
                   + (" and growing" if growing else ""),
                   **figures)


def _gaps(calls: list[UpstreamCall]) -> list[float]:
    return [(b.arrival_ns - a.arrival_ns) / 1e9 for a, b in itertools.pairwise(calls)]


def _spacing_problem(calls: list[UpstreamCall], min_gap_s: float, growing: bool, slack_s: float) -> bool:
    gaps = _gaps(calls)
    if any(g < min_gap_s - slack_s for g in gaps):
        return True
    return growing and any(b < a - slack_s for a, b in itertools.pairwise(gaps))

