"""`recovers_within`: after the heal, service is back within a bound and stays back."""

from __future__ import annotations

from collections.abc import Collection

from chaos.contracts._evidence import at, expected_text, listing, request_line, verdict
from chaos.contracts.conditions import BodyField, is_indeterminate
from chaos.contracts.verdict import Status, Verdict
from chaos.observe import RequestDone, Timeline

__all__ = ["recovers_within"]


def recovers_within(
    timeline: Timeline,
    *,
    heal_ns: int,
    within_s: float,
    label: str | None = None,
    statuses: Collection[int] = frozenset({200}),
    body: BodyField | None = None,
    until_ns: int | None = None,
    sustained: bool = True,
    contract: str = "recovers_within",
) -> Verdict:
    """PASSED when a request started after `heal_ns` succeeded within `within_s` of it, and every
    request started once recovery is due (after that first success, and no earlier than `within_s`
    after the heal) succeeded too. Within the recovery budget a failure after a first success is
    no relapse: a pool meets each connection the fault broke once before it drops it.

    With `sustained=False` only the first part counts: something was seen again in time, and later
    answers without it are no relapse (a cache hit after the heal, where a later request may
    legitimately miss or fall back once more on a stale pooled connection).

    Success is a status in `statuses` (and `body`, e.g. `BodyField(name="source", equals="cache")`
    to see the cache used again). `heal_ns` is the fault's end or a mark such as "db back";
    `until_ns` ends the observation. INCONCLUSIVE when no request started after the heal.
    Figures: requests_after_heal, recovery_s (time from heal to the end of the first success),
    failures_after_recovery, within_s.
    """
    allowed = frozenset(statuses)

    def success(r: RequestDone) -> bool:
        return r.status in allowed and (body is None or body.holds(r))

    picked = [
        r for r in timeline.requests(label=label, started_between=(heal_ns, until_ns))
        if not is_indeterminate(r)
    ]
    what = f"requests {label!r}" if label else "requests"
    heal = at(timeline, heal_ns)
    expected = expected_text(allowed, body)
    if not picked:
        return verdict(contract, Status.INCONCLUSIVE, f"no {what} started after the heal at {heal}",
                       requests_after_heal=0, within_s=within_s)
    successes = sorted((r for r in picked if success(r)), key=lambda r: r.end_ns)
    if not successes:
        return verdict(
            contract, Status.FAILED,
            f"none of the {len(picked)} {what} after the heal at {heal} answered {expected}",
            listing(picked[-3:], lambda r: request_line(timeline, r)),
            requests_after_heal=len(picked), within_s=within_s, failures_after_recovery=0,
        )
    first = successes[0]
    recovery_s = (first.end_ns - heal_ns) / 1e9
    due_ns = max(first.end_ns, heal_ns + round(within_s * 1e9))
    relapses = [r for r in picked if r.start_ns > due_ns and not success(r)] if sustained else []
    figures = {
        "requests_after_heal": len(picked),
        "recovery_s": recovery_s,
        "failures_after_recovery": len(relapses),
        "within_s": within_s,
    }
    failures: list[str] = []
    evidence: list[str] = [f"first success: {request_line(timeline, first)}"]
    if recovery_s > within_s:
        failures.append(f"the first {expected} came {recovery_s:.3f} s after the heal at {heal}, "
                        f"over the {within_s:g} s bound")
        evidence.extend(listing([r for r in picked if r.end_ns < first.end_ns],
                                lambda r: f"before it: {request_line(timeline, r)}"))
    if relapses:
        failures.append(f"{len(relapses)} of the {what} after recovery was due at {at(timeline, due_ns)} "
                        f"did not answer {expected}")
        evidence.extend(listing(relapses, lambda r: f"relapse: {request_line(timeline, r)}"))
    if failures:
        return verdict(contract, Status.FAILED, "; ".join(failures), evidence, **figures)
    return verdict(
        contract, Status.PASSED,
        f"recovered {recovery_s:.3f} s after the heal at {heal} (bound {within_s:g} s)"
        + (f" and stayed up over {len(picked)} {what}" if sustained else ""),
        evidence, **figures,
    )
