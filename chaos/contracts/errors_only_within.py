"""`errors_only_within`: the service fails only while the fault holds (plus a grace period after the heal)."""

from __future__ import annotations

from chaos.answers import Answer, holds
from chaos.contracts._evidence import answer_line, listing, verdict, window_text
from chaos.contracts.conditions import is_indeterminate
from chaos.contracts.verdict import Status, Verdict
from chaos.observe import Span, Timeline, Window

__all__ = ["errors_only_within"]


def errors_only_within(
    timeline: Timeline,
    *,
    fault: Window,
    grace_s: float,
    healthy: Answer,
    label: str | None = None,
    observed: Span | None = None,
) -> Verdict:
    """PASSED when every failed request (one that did not answer `healthy`, the target's convention)
    overlaps [fault start, heal + grace_s].

    A request that was in flight when the fault started may fail; one that ended before the fault
    or started after heal + grace may not. All requests (of `label`, started within `observed` if
    given) are judged. INCONCLUSIVE when the fault never healed, or when no request started after
    heal + grace (nothing shows the errors stopped).
    Figures: requests, failures_inside, failures_outside, requests_after, grace_s.
    """
    if fault.end_ns is None:
        return verdict(
            "errors_only_within", Status.INCONCLUSIVE,
            f"{window_text(timeline, fault)} never healed: no outage window to hold errors to",
        )
    allowed_end = fault.end_ns + round(grace_s * 1e9)
    allowed = Window(start_ns=fault.start_ns, end_ns=allowed_end)
    picked = [r for r in timeline.requests(label=label, started_between=observed) if not is_indeterminate(r)]
    failures = [r for r in picked if not holds(healthy, r)]
    outside = [r for r in failures if not allowed.overlaps(r.start_ns, r.end_ns)]
    after = [r for r in picked if r.start_ns > allowed_end]
    where = f"{window_text(timeline, fault)} + {grace_s:g} s grace"
    figures = {
        "requests": len(picked),
        "failures_inside": len(failures) - len(outside),
        "failures_outside": len(outside),
        "requests_after": len(after),
        "grace_s": grace_s,
    }
    what = f"requests {label!r}" if label else "requests"
    if outside:
        return verdict(
            "errors_only_within", Status.FAILED,
            f"{len(outside)} of {len(failures)} failed {what} fell outside {where}",
            listing(outside, lambda r: answer_line(timeline, r, healthy)),
            **figures,
        )
    if not after:
        return verdict(
            "errors_only_within", Status.INCONCLUSIVE,
            f"no {what} started after {where}: nothing shows the errors stopped",
            **figures,
        )
    return verdict(
        "errors_only_within", Status.PASSED,
        f"all {len(failures)} failed {what} fell inside {where}; {len(after)} requests after it",
        **figures,
    )
