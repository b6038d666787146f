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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from chaos.answers import Answer, holds
from chaos.observe import RequestDone, RequestSpec, Timeline, fire

__all__ = ["CLEAN_ROUNDS", "WARM_UP_BOUND_S", "WARM_UP_LABEL", "WarmUp", "warm_up"]

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
