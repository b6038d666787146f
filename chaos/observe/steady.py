"""The steady-state hypothesis (Chaos Toolkit's word): a few requests that must all be within tolerance.

Check it before the fault (is the experiment meaningful?) and after healing (did the service come
back?). It sends `count` requests one after another, each bounded, so it ends within
`count x deadline`; the result carries the evidence either way.

    before = steady_state(sut.base_url, [RequestSpec.parse("GET /health")], count=5,
                          tolerance=Tolerance(max_latency_s=0.5, answer=healthy), timeout_s=2, timeline=tl)
    if not before.ok:
        ...  # inconclusive: the service was not healthy to begin with; before.explain() says why
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from chaos.answers import Answer, capture_of, describe, holds, shown
from chaos.observe._http import make_client, send_recorded
from chaos.observe.events import RequestDone
from chaos.observe.request_spec import RequestSpec
from chaos.observe.timeline import Timeline

__all__ = ["SteadyState", "Tolerance", "steady_state"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Tolerance:
    """What counts as healthy: an answer that looks like `answer` (the target's healthy convention,
    and not its degraded one where the contract has one), within `max_latency_s`."""

    max_latency_s: float
    answer: Answer

    def accepts(self, record: RequestDone) -> bool:
        return holds(self.answer, record) and record.latency_s <= self.max_latency_s


@dataclass(frozen=True, slots=True, kw_only=True)
class SteadyState:
    """The outcome of one steady-state check: `ok`, every record, and the ones out of tolerance."""

    ok: bool
    tolerance: Tolerance
    records: tuple[RequestDone, ...]
    offenders: tuple[RequestDone, ...]

    def explain(self) -> str:
        """One line per offender (or a one-line "all within tolerance"), for messages and journals."""
        head = (
            f"steady state: {len(self.records) - len(self.offenders)}/{len(self.records)} requests answered "
            f"{describe(self.tolerance.answer)} within {self.tolerance.max_latency_s:g} s"
        )
        lines = [head] + [
            f"  {r.method} {r.path} -> {shown(self.tolerance.answer, r)} in {r.latency_s:.3f} s"
            for r in self.offenders[:5]
        ]
        if len(self.offenders) > 5:
            lines.append(f"  ... and {len(self.offenders) - 5} more")
        return "\n".join(lines)


def steady_state(
    base_url: str,
    requests: Sequence[RequestSpec],
    *,
    count: int,
    tolerance: Tolerance,
    timeout_s: float,
    timeline: Timeline | None = None,
    fresh_connections: bool = False,
) -> SteadyState:
    """Send `count` requests (round-robin over `requests`, one at a time) and judge them.

    Records go on `timeline` if given (label them, e.g. label="steady", to keep them apart from
    the load). Each request is bounded by `timeout_s` per phase and 2 x timeout_s in total.
    """
    if count <= 0 or not requests:
        raise ValueError(f"steady_state: need count > 0 and at least one request, got count={count}")
    if timeout_s <= 0:
        raise ValueError(f"steady_state: timeout_s must be > 0, got {timeout_s!r}")
    # what the tolerance reads must be captured, whatever the caller's specs say
    needs = capture_of(tolerance.answer)
    specs = tuple(dataclasses.replace(r, capture=r.capture | needs) for r in requests)
    records = asyncio.run(
        _send_each(base_url, specs, Timeline() if timeline is None else timeline,
                   count=count, timeout_s=timeout_s, fresh_connections=fresh_connections)
    )
    offenders = tuple(r for r in records if not tolerance.accepts(r))
    return SteadyState(ok=not offenders, tolerance=tolerance, records=records, offenders=offenders)


async def _send_each(
    base_url: str,
    requests: tuple[RequestSpec, ...],
    timeline: Timeline,
    *,
    count: int,
    timeout_s: float,
    fresh_connections: bool,
) -> tuple[RequestDone, ...]:
    client = make_client(
        base_url, timeout_s=timeout_s, max_connections=1, fresh_connections=fresh_connections
    )
    async with client:
        return tuple([
            await send_recorded(client, requests[i % len(requests)], timeline, deadline_s=2 * timeout_s)
            for i in range(count)
        ])
