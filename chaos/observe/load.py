"""Bounded, open-loop HTTP load in a background thread, every request recorded on the timeline.

    spec = LoadSpec(requests=[RequestSpec.parse("GET /api/items?page=1", label="list")],
                    rate_per_s=40, concurrency=8, max_requests=400, duration_s=10, timeout_s=2)
    with LoadGenerator(sut.base_url, spec, timeline) as load:
        ...                      # inject a fault meanwhile, from this thread
        stats = load.wait(timeout_s=spec.max_run_s + 1)

Pacing is open-loop (slot i is due at i / rate_per_s after the start, whatever the server does),
as a real client population behaves; a slow server does not slow the offered load. A slot that
falls due while `concurrency` requests are in flight is *skipped* (a `RequestSkipped` event and
the `skipped` count), not queued: a saturated run is visible, never silently stretched.

Both limits are required: no slot is due at or after `max_requests` slots or `duration_s`
seconds, so the run issues nothing after `duration_s` and ends by `max_run_s` (duration plus one
request deadline). `stop()` cancels in-flight requests, which are recorded with error "Cancelled".
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

import httpx

from chaos.observe._background import BackgroundLoop, sleep_until, until_done_or_stopped
from chaos.observe._http import BODY_LIMIT_BYTES, make_client, send_recorded
from chaos.observe.events import RequestDone, RequestSkipped
from chaos.observe.request_spec import RequestSpec
from chaos.observe.timeline import Timeline

__all__ = ["LoadGenerator", "LoadSpec", "LoadStats"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadSpec:
    """What load to offer and its bounds; every limit is required and must be positive.

    `requests` are sent round-robin. `timeout_s` is httpx's per-phase timeout (connect, read,
    write), so a hung server shows as "ReadTimeout"; `deadline_s` (default 2 x timeout_s) caps a
    request's total time, so a server dripping bytes shows as "Timeout".
    `fresh_connections=True` opens a new connection per request (to see "connection refused").
    """

    requests: Sequence[RequestSpec]
    rate_per_s: float
    concurrency: int
    max_requests: int
    duration_s: float
    timeout_s: float
    deadline_s: float | None = None
    fresh_connections: bool = False
    body_limit_bytes: int = BODY_LIMIT_BYTES

    def __post_init__(self) -> None:
        object.__setattr__(self, "requests", tuple(self.requests))
        problems = [
            f"{name} must be > 0, got {value!r}"
            for name, value in (
                ("rate_per_s", self.rate_per_s), ("concurrency", self.concurrency),
                ("max_requests", self.max_requests), ("duration_s", self.duration_s),
                ("timeout_s", self.timeout_s), ("deadline_s", self.total_deadline_s),
            )
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0)
        ]
        if not self.requests:
            problems.append("requests must name at least one RequestSpec")
        if problems:
            raise ValueError("LoadSpec: " + "; ".join(problems))

    @property
    def total_deadline_s(self) -> float:
        return self.deadline_s if self.deadline_s is not None else 2 * self.timeout_s

    @property
    def planned(self) -> int:
        """How many slots the schedule holds (sent + skipped when nothing lags)."""
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


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadStats:
    """Counts of a run so far: `sent` = `answered` + `errors` + `cancelled` + in flight."""

    planned: int
    sent: int
    answered: int
    errors: int
    cancelled: int
    skipped: int
    records: tuple[RequestDone, ...] = field(repr=False)


class LoadGenerator:
    """Offers `spec`'s load to `base_url` from a background thread; start once, then wait or stop.

    Leaving the `with` block stops it (in-flight requests are cancelled and recorded as
    "Cancelled"); call `wait(timeout_s=spec.max_run_s + 1)` inside the block to let it run to
    its limits first.
    """

    def __init__(self, base_url: str, spec: LoadSpec, timeline: Timeline, *, name: str = "load") -> None:
        self.base_url = base_url
        self.spec = spec
        self.timeline = timeline
        self.name = name
        self._worker = BackgroundLoop(f"load generator {name!r}", self._main)
        self._lock = threading.Lock()
        self._records: list[RequestDone] = []
        self._sent = 0
        self._cancelled = 0
        self._skipped = 0

    def start(self) -> Self:
        """Begin offering load; returns at once. RuntimeError if already started."""
        self._worker.start()
        return self

    @property
    def running(self) -> bool:
        return self._worker.running

    def wait(self, timeout_s: float) -> LoadStats:
        """Block until the run has ended by its own limits; WaitTimeout if it has not within `timeout_s`."""
        self._worker.join(timeout_s, what="finish", busy=self._busy)
        return self.stats()

    def stop(self, timeout_s: float = 5.0) -> LoadStats:
        """Stop issuing, cancel in-flight requests (recorded as "Cancelled"), wait up to `timeout_s`."""
        self._worker.request_stop()
        self._worker.join(timeout_s, what="stop", busy=self._busy)
        return self.stats()

    def stats(self) -> LoadStats:
        with self._lock:
            records = tuple(self._records)
            sent, cancelled, skipped = self._sent, self._cancelled, self._skipped
        return LoadStats(
            planned=self.spec.planned, sent=sent,
            answered=sum(1 for r in records if r.status is not None),
            errors=sum(1 for r in records if r.error is not None),
            cancelled=cancelled, skipped=skipped, records=records,
        )

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.stop()
        except Exception as stop_error:
            if exc is None:
                raise
            exc.add_note(f"while stopping {self._worker.name}: {stop_error}")  # keep the root cause

    # -- the event loop side -------------------------------------------------------------------

    def _busy(self) -> str:
        stats = self.stats()
        return f"{stats.sent - len(stats.records) - stats.cancelled} requests still in flight"

    async def _main(self, stop: asyncio.Event) -> None:
        spec = self.spec
        loop = asyncio.get_running_loop()
        client = make_client(
            self.base_url, timeout_s=spec.timeout_s,
            max_connections=spec.concurrency, fresh_connections=spec.fresh_connections,
        )
        in_flight: set[asyncio.Task[None]] = set()
        async with client, asyncio.TaskGroup() as group:
            start = loop.time()
            slot = 0
            while (due := spec.due_s(slot)) is not None:
                if not await sleep_until(stop, start + due) or loop.time() - start >= spec.duration_s:
                    break  # stopped, or we lag so far that the time limit has passed
                request = spec.requests[slot % len(spec.requests)]
                slot += 1
                if len(in_flight) >= spec.concurrency:
                    self._skip(request)
                    continue
                task = group.create_task(self._send(client, request))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
            # the schedule ended or we were stopped: in-flight requests finish unless stopped
            await until_done_or_stopped(stop, set(in_flight))

    def _skip(self, request: RequestSpec) -> None:
        with self._lock:
            self._skipped += 1
        self.timeline.append(RequestSkipped(label=request.name, at_ns=self.timeline.now_ns()))

    async def _send(self, client: httpx.AsyncClient, request: RequestSpec) -> None:
        with self._lock:
            self._sent += 1
        try:
            record = await send_recorded(
                client, request, self.timeline,
                deadline_s=self.spec.total_deadline_s, body_limit_bytes=self.spec.body_limit_bytes,
            )
        except asyncio.CancelledError:
            with self._lock:
                self._cancelled += 1
            raise
        with self._lock:
            self._records.append(record)
