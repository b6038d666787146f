"""What load to offer: the requests, the rate, the bounds, and the model (open or closed).

    LoadSpec(requests=[RequestSpec.parse("GET /api/items")], rate_per_s=40,
             max_requests=400, duration_s=10, timeout_s=2)              # open model, derived cap
    LoadSpec(..., model=LoadModel.CLOSED, concurrency=3)                # exactly 3 at a time

**Open model (the default)**, like k6's constant-arrival-rate executor or wrk2 `-R`: slot i is
due i / rate_per_s after the start and is sent then, whatever earlier requests are doing, and
its latency is measured from that intended start. A hung service therefore shows as the hang it
is: every scheduled request is sent and waits, none is silently left out (coordinated omission).
The requests in flight are capped (`max_in_flight`); a slot due while the cap is reached is
recorded as not sent (`NOT_SENT`, "not sent: N in flight") and every contract counts it as hung.

The default cap is `ceil(rate_per_s x deadline) + 1`: a request is in flight for at most its
total deadline, so at the declared rate no more than ceil(rate x deadline) can be in flight at
once however long the service hangs, plus one for the slot that falls due just as the oldest
gives up. A hang is therefore sent in full and seen as timeouts, never hidden. It is never more
than the slots of the schedule, nor than `MAX_IN_FLIGHT`, the hard bound (each request in flight
holds a socket in the runner and one in the service). An explicit `concurrency` is the cap.

**Closed model** (`model=LoadModel.CLOSED`): at most `concurrency` requests in flight; a slot
due while they all are is *skipped* (a `RequestSkipped` event) and not judged. That is the right
model only where the load is part of the set-up rather than the measurement: graceful_drain
sends exactly N slow requests so that N are in flight at the SIGTERM, and judges how those N
end, not how many more the service would have taken.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from chaos.observe._http import BODY_LIMIT_BYTES
from chaos.observe.request_spec import RequestSpec

__all__ = ["MAX_IN_FLIGHT", "LoadModel", "LoadSpec", "default_in_flight_cap"]

MAX_IN_FLIGHT: Final = 512
"""The hard bound on requests in flight (and connections), whatever the rate and deadline: well
under the common limit of 1024 open files, with room for the runner's own."""


class LoadModel(StrEnum):
    """How the load treats slots that fall due while earlier requests are still in flight."""

    OPEN = "open"       # sent on schedule (up to the cap); latency from the intended start
    CLOSED = "closed"   # at most `concurrency` in flight; later slots skipped, not judged


def default_in_flight_cap(rate_per_s: float, deadline_s: float) -> int:
    """ceil(rate x deadline) + 1, at most MAX_IN_FLIGHT: enough that a hang as long as the request
    deadline, at that rate, is sent in full (see the module docstring)."""
    return min(MAX_IN_FLIGHT, math.ceil(rate_per_s * deadline_s) + 1)


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadSpec:
    """What load to offer and its bounds; every limit is required and must be positive.

    `requests` are sent round-robin. `timeout_s` is httpx's per-phase timeout (connect, read,
    write), so a hung server shows as "ReadTimeout"; `deadline_s` (default 2 x timeout_s) caps a
    request's total time, so a server dripping bytes shows as "Timeout".
    `concurrency` is the closed model's number of requests in flight (required there) and the open
    model's in-flight cap (default: derived, see `max_in_flight`).
    `fresh_connections=True` opens a new connection per request (to see "connection refused").
    """

    requests: Sequence[RequestSpec]
    rate_per_s: float
    max_requests: int
    duration_s: float
    timeout_s: float
    concurrency: int | None = None
    model: LoadModel = LoadModel.OPEN
    deadline_s: float | None = None
    fresh_connections: bool = False
    body_limit_bytes: int = BODY_LIMIT_BYTES

    def __post_init__(self) -> None:
        object.__setattr__(self, "requests", tuple(self.requests))
        problems = [
            f"{name} must be > 0, got {value!r}"
            for name, value in (
                ("rate_per_s", self.rate_per_s), ("max_requests", self.max_requests),
                ("duration_s", self.duration_s), ("timeout_s", self.timeout_s),
                ("deadline_s", self.total_deadline_s),
                *((("concurrency", self.concurrency),) if self.concurrency is not None else ()),
            )
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0)
        ]
        if isinstance(self.concurrency, int) and self.concurrency > MAX_IN_FLIGHT:
            problems.append(f"concurrency must be <= {MAX_IN_FLIGHT} (MAX_IN_FLIGHT), got {self.concurrency}")
        try:
            object.__setattr__(self, "model", LoadModel(self.model))
        except ValueError:
            problems.append(f"model must be one of {', '.join(m.value for m in LoadModel)}, got {self.model!r}")
        else:
            if self.model is LoadModel.CLOSED and self.concurrency is None:
                problems.append("concurrency is required by the closed model (how many requests it keeps in flight)")
        if not self.requests:
            problems.append("requests must name at least one RequestSpec")
        if problems:
            raise ValueError("LoadSpec: " + "; ".join(problems))

    @property
    def total_deadline_s(self) -> float:
        return self.deadline_s if self.deadline_s is not None else 2 * self.timeout_s

    @property
    def max_in_flight(self) -> int:
        """The most requests in flight at once: `concurrency` if given, else (open model) the
        derived cap `default_in_flight_cap`, never more than the schedule's slots."""
        if self.concurrency is not None:
            return self.concurrency
        return max(1, min(self.planned, default_in_flight_cap(self.rate_per_s, self.total_deadline_s)))

    @property
    def planned(self) -> int:
        """How many slots the schedule holds (sent + not sent + skipped, when the loop does not lag)."""
        return min(self.max_requests, math.ceil(self.duration_s * self.rate_per_s))

    @property
    def max_run_s(self) -> float:
        """An upper bound on the run: the last slot, then one request deadline."""
        return self.duration_s + self.total_deadline_s

    def due_s(self, slot: int) -> float | None:
        """Seconds after the start at which `slot` is due, or None once either limit is reached."""
        due = slot / self.rate_per_s
        if slot >= self.max_requests or due >= self.duration_s:
            return None
        return due
