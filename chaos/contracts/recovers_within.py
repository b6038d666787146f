"""`recovers_within`: after the heal, service is back within a bound and stays back."""

from __future__ import annotations

from chaos.answers import Answer, describe, holds
from chaos.contracts._evidence import answer_line, at, listing, request_line, verdict
from chaos.contracts.conditions import is_indeterminate
from chaos.contracts.verdict import Status, Verdict
from chaos.observe import RequestDone, Timeline

__all__ = ["recovers_within"]


def recovers_within(
    timeline: Timeline,
    *,
    heal_ns: int,
    within_s: float,
    answer: Answer,
    label: str | None = None,
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

    Success is an answer like `answer`: the target's healthy convention, or its cached one to see
    the cache used again. `heal_ns` is the fault's end or a mark such as "db back";
    `until_ns` ends the observation. INCONCLUSIVE when no request started after the heal.
    Figures: requests_after_heal, recovery_s (time from heal to the end of the first success),
    failures_after_recovery, within_s.
    """
    def success(r: RequestDone) -> bool:
        return holds(answer, r)

    picked = [
        r for r in timeline.requests(label=label, started_between=(heal_ns, until_ns))
        if not is_indeterminate(r)
    ]
    what = f"requests {label!r}" if label else "requests"
    heal = at(timeline, heal_ns)
    expected = describe(answer)
    if not picked:
        return verdict(contract, Status.INCONCLUSIVE, f"no {what} started after the heal at {heal}",
                       requests_after_heal=0, within_s=within_s)
    successes = sorted((r for r in picked if success(r)), key=lambda r: r.end_ns)
    if not successes:
        return verdict(
            contract, Status.FAILED,
            f"none of the {len(picked)} {what} after the heal at {heal} answered {expected}",
            listing(picked[-3:], lambda r: answer_line(timeline, r, answer)),
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
        evidence.extend(listing(relapses, lambda r: f"relapse: {answer_line(timeline, r, answer)}"))
    if failures:
        return verdict(contract, Status.FAILED, "; ".join(failures), evidence, **figures)
    return verdict(
        contract, Status.PASSED,
        f"recovered {recovery_s:.3f} s after the heal at {heal} (bound {within_s:g} s)"
        + (f" and stayed up over {len(picked)} {what}" if sustained else ""),
        evidence, **figures,
    )
