"""One experiment's aftermath never counts against the next: prove the service healthy before a fault.

Healing the dependencies is not enough. After a DB restart a pool can still hold connections that
died with the old server; they surface as errors on the next requests, which the next experiment
would blame on its own fault (seen: db_restart failed in full runs and passed alone). So before
each experiment the service itself must be proven healthy, and the rule (`[service].restart`,
documented in docs/isolation.md) is:

    when-unhealthy (default)  send rounds of concurrent requests (the contract's own request when it is
                              a GET or HEAD, else the health path) until two rounds in a row answer
                              healthy (and not degraded, where the contract judges that), each round as
                              wide as the load's concurrency so every pooled connection is exercised
                              and a stale one is met and dropped; bounded by `WARM_UP_BOUND_S`. If
                              the service does not get there, restart it and prove it again.
    always                    restart the service before every experiment, then prove it.
    never                     prove it; a service that is not healthy makes the experiment
                              inconclusive (for a service whose restart is expensive or not ours).

A service that is still not healthy after that makes the experiment *inconclusive: not healthy
before the experiment*, never failed.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from chaos.answers import Answer, holds
from chaos.contracts import Status, Verdict
from chaos.contracts._evidence import answer_line, listing
from chaos.observe import RequestDone, RequestSpec, Timeline, fire
from chaos.targetfile import RestartRule

if TYPE_CHECKING:
    from chaos.experiment.run import Experiment

__all__ = ["CLEAN_ROUNDS", "SAFE_METHODS", "WARM_UP_BOUND_S", "WARM_UP_LABEL", "WarmUp", "prove_healthy",
           "quiet_before_fault", "warm_up"]

SAFE_METHODS: Final = frozenset({"GET", "HEAD"})
"""Requests a warm-up may repeat: they do not change the service's state."""

WARM_UP_BOUND_S: Final = 15.0
"""How long the service gets to answer healthy again (a breaker an earlier experiment opened must
get to close: the reference service's reset timeout is 2 s, a real one's often 10-30 s)."""
CLEAN_ROUNDS: Final = 2
"""Rounds in a row that must answer healthy: one clean round may just have missed the stale connection."""
WARM_UP_LABEL: Final = "warm-up"
_PAUSE_S: Final = 0.25


@dataclass(frozen=True, slots=True, kw_only=True)
class WarmUp:
    """The outcome: healthy or not, and the last answers that were not (for the note or the verdict)."""

    healthy: bool
    rounds: int
    offenders: tuple[RequestDone, ...]
    elapsed_s: float


def warm_up(base_url: str, requests: Sequence[RequestSpec], *, answer: Answer, width: int, timeline: Timeline,
            max_latency_s: float, bound_s: float = WARM_UP_BOUND_S, timeout_s: float = 5.0) -> WarmUp:
    """Send rounds of `width` concurrent requests until `CLEAN_ROUNDS` in a row answer like `answer`
    within `max_latency_s`, or `bound_s` has passed."""
    start = time.monotonic()
    specs = [dataclasses.replace(requests[i % len(requests)], label=WARM_UP_LABEL) for i in range(max(1, width))]
    clean = rounds = 0
    offenders: tuple[RequestDone, ...] = ()
    while True:
        answers = fire(base_url, specs, timeline, timeout_s=timeout_s)
        rounds += 1
        bad = tuple(r for r in answers if not holds(answer, r) or r.latency_s > max_latency_s)
        if bad:
            clean, offenders = 0, bad
        else:
            clean += 1
        elapsed = time.monotonic() - start
        if clean >= CLEAN_ROUNDS:
            return WarmUp(healthy=True, rounds=rounds, offenders=offenders, elapsed_s=elapsed)
        if elapsed >= bound_s:
            return WarmUp(healthy=False, rounds=rounds, offenders=offenders, elapsed_s=elapsed)
        time.sleep(_PAUSE_S)


def prove_healthy(experiment: Experiment, *, bound_s: float = WARM_UP_BOUND_S) -> Verdict | None:
    """The rule above, for one experiment: None when the service was proven healthy (the notes say
    whether it took a restart), else the inconclusive verdict that says why it was not."""
    service = experiment.env.target.service
    if service.restart is RestartRule.ALWAYS:
        experiment.env.sut.restart()
        experiment.notes.append("restarted the service before the experiment ([service].restart = always)")
    contract = experiment.contract
    candidate = experiment.request() if contract is not None and "request" in contract else None
    # a request that changes state (a login, a booking) would change what the experiment measures
    probe = candidate if candidate is not None and candidate.method in SAFE_METHODS else experiment.health_request()
    width = max(4, experiment.env.target.load.concurrency)
    answer = experiment.steady_answer()

    def attempt() -> WarmUp:
        return warm_up(experiment.base_url, [probe], answer=answer, width=width, timeline=experiment.timeline,
                       max_latency_s=service.healthy_within_s, bound_s=bound_s)

    result = attempt()
    if not result.healthy and service.restart is RestartRule.WHEN_UNHEALTHY:
        experiment.notes.append(
            f"restarted the service: not healthy after {result.elapsed_s:.1f} s of warm-up "
            f"({len(result.offenders)} bad answers in the last round, e.g. "
            f"{answer_line(experiment.timeline, result.offenders[0], answer)})")
        experiment.env.sut.restart()
        result = attempt()
    if result.healthy:
        return None
    return Verdict(
        contract="healthy before the experiment", status=Status.INCONCLUSIVE,
        summary=f"the service did not answer healthy within {result.elapsed_s:.1f} s of warm-up "
                f"({result.rounds} rounds of {width} requests): an earlier experiment's aftermath, "
                "or a service that was never healthy",
        evidence=listing(result.offenders, lambda r: answer_line(experiment.timeline, r, answer)), figures={})


def quiet_before_fault(timeline: Timeline, *, since_ns: int, labels: Collection[str], answer: Answer
                       ) -> Verdict | None:
    """Requests (of `labels`) answered between the steady state (`since_ns`) and now, the first
    fault's injection, must answer healthy too: an error there is an aftermath or a flaky service,
    never the fault's doing, so it makes the experiment inconclusive (None: all healthy)."""
    now_ns = timeline.now_ns()
    bad = [r for r in timeline.requests(started_between=(since_ns, now_ns))
           if r.label in labels and r.end_ns <= now_ns and r.error != "Cancelled" and not holds(answer, r)]
    if not bad:
        return None
    return Verdict(
        contract="healthy before the fault", status=Status.INCONCLUSIVE,
        summary=f"not healthy before the fault: {len(bad)} requests between the steady state and the "
                "fault did not answer healthy (they belong to no fault of this experiment)",
        evidence=listing(bad, lambda r: answer_line(timeline, r, answer)), figures={})
