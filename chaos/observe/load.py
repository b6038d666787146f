"""Bounded HTTP load in a background thread, every request (sent or not) recorded on the timeline.

    spec = LoadSpec(requests=[RequestSpec.parse("GET /api/items?page=1", label="list")],
                    rate_per_s=40, max_requests=400, duration_s=10, timeout_s=2)
    with LoadGenerator(sut.base_url, spec, timeline) as load:
        ...                      # inject a fault meanwhile, from this thread
        stats = load.wait(timeout_s=spec.max_run_s + 1)

Pacing follows the schedule (slot i is due at i / rate_per_s after the start, whatever the
server does), as a real client population behaves; a slow server does not slow the offered load.
In the open model (the default, see `chaos.observe.load_spec`) every slot is sent on time up to
the in-flight cap, its latency measured from its intended start, and a slot due while the cap is
reached is recorded as not sent (a `RequestDone` with error "NotSent", counted as hung). In the
closed model a slot due while `concurrency` requests are in flight is skipped (`RequestSkipped`).
Neither queues: a saturated run is visible, never silently stretched.

Both limits are required: no slot is due at or after `max_requests` slots or `duration_s`
seconds, so the run issues nothing after `duration_s` and ends by `max_run_s` (duration plus one
request deadline). `stop()` cancels in-flight requests, which are recorded with error "Cancelled".
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

import httpx

from chaos.observe._background import BackgroundLoop, sleep_until, until_done_or_stopped
from chaos.observe._http import make_client, send_recorded
from chaos.observe.events import NOT_SENT, RequestDone, RequestSkipped
from chaos.observe.load_spec import LoadModel, LoadSpec
from chaos.observe.request_spec import RequestSpec
from chaos.observe.schedule import Fate, Schedule
from chaos.observe.timeline import Timeline

__all__ = ["LoadGenerator", "LoadModel", "LoadSpec", "LoadStats"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadStats:
    """Counts of a run so far: `sent` = `answered` + `errors` + `cancelled` + in flight.

    `not_sent` (open model: the in-flight cap was reached) and `skipped` (closed model: every
    request slot busy) are the slots that fell due but were not sent; `records` holds the sent
    requests that ended (the not-sent ones are on the timeline, as `RequestDone`s with "NotSent").
    """

    planned: int
    sent: int
    answered: int
    errors: int
    cancelled: int
    skipped: int
    not_sent: int = 0
    records: tuple[RequestDone, ...] = field(default=(), repr=False)


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
        self._not_sent = 0

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
            sent, cancelled, skipped, not_sent = self._sent, self._cancelled, self._skipped, self._not_sent
        return LoadStats(
            planned=self.spec.planned, sent=sent,
            answered=sum(1 for r in records if r.status is not None),
            errors=sum(1 for r in records if r.error is not None),
            cancelled=cancelled, skipped=skipped, not_sent=not_sent, records=records,
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
            max_connections=spec.max_in_flight, fresh_connections=spec.fresh_connections,
        )
        schedule = Schedule(spec)
        in_flight: set[asyncio.Task[None]] = set()
        async with client, asyncio.TaskGroup() as group:
            start, start_ns = loop.time(), self.timeline.now_ns()
            while (due := schedule.next_due_s()) is not None:
                if not await sleep_until(stop, start + due):
                    break  # stopped
                slot = schedule.take(elapsed_s=max(due, loop.time() - start), in_flight=len(in_flight))
                if slot is None:
                    break  # we lag so far that the time limit has passed
                request = spec.requests[slot.index % len(spec.requests)]
                intended_ns = start_ns + round(slot.due_s * 1e9)
                if slot.fate is Fate.SEND:
                    open_model = spec.model is LoadModel.OPEN
                    task = group.create_task(self._send(client, request, intended_ns if open_model else None))
                    in_flight.add(task)
                    task.add_done_callback(in_flight.discard)
                elif slot.fate is Fate.NOT_SENT:
                    self._not_sent_at(request, intended_ns, slot.in_flight)
                else:
                    self._skip(request)
            # the schedule ended or we were stopped: in-flight requests finish unless stopped
            await until_done_or_stopped(stop, set(in_flight))

    def _skip(self, request: RequestSpec) -> None:
        with self._lock:
            self._skipped += 1
        self.timeline.append(RequestSkipped(label=request.name, at_ns=self.timeline.now_ns()))

    def _not_sent_at(self, request: RequestSpec, intended_ns: int, in_flight: int) -> None:
        with self._lock:
            self._not_sent += 1
        self.timeline.append(RequestDone(
            label=request.name, method=request.method, path=request.path,
            start_ns=intended_ns, end_ns=intended_ns, error=NOT_SENT, in_flight=in_flight,
        ))

    async def _send(self, client: httpx.AsyncClient, request: RequestSpec, intended_ns: int | None) -> None:
        with self._lock:
            self._sent += 1
        try:
            record = await send_recorded(
                client, request, self.timeline, intended_ns=intended_ns,
                deadline_s=self.spec.total_deadline_s, body_limit_bytes=self.spec.body_limit_bytes,
            )
        except asyncio.CancelledError:
            with self._lock:
                self._cancelled += 1
            raise
        with self._lock:
            self._records.append(record)
