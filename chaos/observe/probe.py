"""Steady-rate probes (health, readiness, process alive) recorded on the timeline from a background thread.

    probes = [HttpProbe(name="health", url=f"{base}/health"),
              HttpProbe(name="ready", url=f"{base}/ready"),
              ProcessProbe(name="alive", pid=sut.pid(), exit_code=sut.exit_code)]
    with Prober(timeline, probes, interval_s=0.1, max_duration_s=30):
        ...  # fault, load

Each probe runs on its own schedule (every `interval_s`, one at a time; a slow probe skips the
slots it missed instead of piling up), so a hanging /ready does not delay /health. HTTP probes
open a new connection each time, as a kubelet does, so a closed listener shows as "ConnectError".
A `ProcessProbe` also records one `ProcessExited` when the process is first seen gone (so its
`at_ns` is up to one interval late), and then stops polling. Probes cut short by `stop()` are not
recorded.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Final, Self

import httpx

from chaos.answers import Answer, SeenValue, Status, capture_of, extract, holds
from chaos.observe._background import BackgroundLoop, sleep_until, until_done_or_stopped
from chaos.observe._http import make_client
from chaos.observe.events import ProbeResult, ProcessExited
from chaos.observe.timeline import Timeline

__all__ = ["CallableProbe", "HttpProbe", "Prober", "ProcessProbe"]


ANY_2XX: Final = Status(classes=frozenset({2}))


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpProbe:
    """GET `url` (with `headers`); ok when the answer looks like `answer` (any 2xx by default: the
    target's healthy convention is what experiments pass)."""

    name: str
    url: str
    answer: Answer = ANY_2XX
    headers: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallableProbe:
    """Call `check()`; ok when it returns True. It runs on the prober's loop: it must return quickly."""

    name: str
    check: Callable[[], bool]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessProbe:
    """Is process `pid` alive? `exit_code()` is None while it runs (`Popen.poll`, `SutHandle.exit_code`)."""

    name: str
    pid: int
    exit_code: Callable[[], int | None]
    process: str = "sut"


Probe = HttpProbe | CallableProbe | ProcessProbe


class Prober:
    """Runs `probes` every `interval_s` until stopped or `max_duration_s` has passed."""

    def __init__(
        self,
        timeline: Timeline,
        probes: Sequence[Probe],
        *,
        interval_s: float,
        max_duration_s: float,
        timeout_s: float = 1.0,
        name: str = "prober",
    ) -> None:
        if not probes:
            raise ValueError("Prober: probes is empty")
        for what, value in (("interval_s", interval_s), ("max_duration_s", max_duration_s),
                            ("timeout_s", timeout_s)):
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"Prober: {what} must be > 0, got {value!r}")
        names = [p.name for p in probes]
        if len(set(names)) != len(names):
            raise ValueError(f"Prober: probe names must be unique, got {names}")
        self.timeline = timeline
        self.probes = tuple(probes)
        self.interval_s = interval_s
        self.max_duration_s = max_duration_s
        self.timeout_s = timeout_s
        self._worker = BackgroundLoop(name, self._main)

    def start(self) -> Self:
        self._worker.start()
        return self

    @property
    def running(self) -> bool:
        return self._worker.running

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop probing and wait up to `timeout_s` for the thread (WaitTimeout if it does not end)."""
        self._worker.request_stop()
        self._worker.join(timeout_s, what="stop", busy=lambda: "probes still running")

    def wait(self, timeout_s: float) -> None:
        """Block until `max_duration_s` has run out (or every probe ended); WaitTimeout after `timeout_s`."""
        self._worker.join(timeout_s, what="finish", busy=lambda: "probes still running")

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
            exc.add_note(f"while stopping {self._worker.name}: {stop_error}")

    # -- the event loop side -------------------------------------------------------------------

    async def _main(self, stop: asyncio.Event) -> None:
        client = make_client("", timeout_s=self.timeout_s, max_connections=len(self.probes),
                             fresh_connections=True)
        # the clock starts once the client exists: building it (an SSL context) takes tens of ms
        end = asyncio.get_running_loop().time() + self.max_duration_s
        async with client, asyncio.TaskGroup() as group:
            tasks = [group.create_task(self._every(probe, client, stop, end)) for probe in self.probes]
            await until_done_or_stopped(stop, tasks)  # a probe stuck in a request is cancelled on stop

    async def _every(self, probe: Probe, client: httpx.AsyncClient, stop: asyncio.Event, end: float) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        slot = 0
        while start + slot * self.interval_s < end:
            if not await sleep_until(stop, start + slot * self.interval_s):
                return
            if not await self._once(probe, client):
                return
            # next slot strictly in the future: missed slots are skipped, not replayed
            slot = max(slot + 1, math.ceil((loop.time() - start) / self.interval_s))

    async def _once(self, probe: Probe, client: httpx.AsyncClient) -> bool:
        """Run one probe and record it; False when the probe should not run again."""
        start_ns = self.timeline.now_ns()
        if isinstance(probe, HttpProbe):
            status: int | None = None
            error: str | None = None
            seen: dict[str, SeenValue] | None = None
            capture = capture_of(probe.answer)
            try:
                async with asyncio.timeout(2 * self.timeout_s):
                    response = await client.get(probe.url, headers=dict(probe.headers or {}))
                status = response.status_code
                if capture:
                    seen = extract(capture, headers=response.headers, content=response.content)
            except httpx.HTTPError as exc:
                error = type(exc).__name__
            except TimeoutError:
                error = "Timeout"
            result = ProbeResult(probe=probe.name, ok=False, start_ns=start_ns, end_ns=self.timeline.now_ns(),
                                 status=status, error=error, seen=seen)
            self.timeline.append(dataclasses.replace(result, ok=holds(probe.answer, result)))
            return True
        if isinstance(probe, CallableProbe):
            try:
                ok, error = bool(probe.check()), None
            except Exception as exc:  # a failing check is a failed probe, with its kind on record
                ok, error = False, type(exc).__name__
            self._record(probe.name, ok, start_ns, error=error)
            return True
        try:
            exit_code = probe.exit_code()
        except Exception as exc:  # cannot tell: not alive as far as we know, but no exit either
            self._record(probe.name, False, start_ns, error=type(exc).__name__)
            return True
        self._record(probe.name, exit_code is None, start_ns)
        if exit_code is None:
            return True
        self.timeline.append(ProcessExited(
            pid=probe.pid, exit_code=exit_code, at_ns=self.timeline.now_ns(), process=probe.process
        ))
        return False

    def _record(self, name: str, ok: bool, start_ns: int, *, status: int | None = None,
                error: str | None = None) -> None:
        self.timeline.append(ProbeResult(
            probe=name, ok=ok, start_ns=start_ns, end_ns=self.timeline.now_ns(), status=status, error=error
        ))
