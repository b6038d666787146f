"""One coroutine in its own thread and event loop, stoppable from any thread and joined with a bound.

The load generator and the prober run this way so that synchronous test code can inject faults
while they work. Stopping sets an `asyncio.Event` the coroutine watches; it is up to the coroutine
to cancel what it owns (its TaskGroup) and return promptly.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Collection, Coroutine
from typing import Any

from chaos.waiting import WaitTimeout

__all__ = ["BackgroundLoop", "sleep_until", "until_done_or_stopped"]

Main = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


class BackgroundLoop:
    """Runs `main(stop_event)` in a daemon thread; `join` re-raises what it raised."""

    def __init__(self, name: str, main: Main) -> None:
        self.name = name
        self._main = main
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._stop_requested = False
        self._error: BaseException | None = None

    @property
    def started(self) -> bool:
        return self._thread is not None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"{self.name} was already started; make a new one for another run")
        self._thread = threading.Thread(target=self._run, name=f"chaos-{self.name}", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the coroutine to wind up; returns at once (use `join` to wait)."""
        with self._lock:
            self._stop_requested = True
            loop, event = self._loop, self._stop_event
        if loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):  # the loop already closed: nothing left to stop
                loop.call_soon_threadsafe(event.set)

    def join(self, timeout_s: float, *, what: str, busy: Callable[[], str]) -> None:
        """Wait up to `timeout_s` for the thread; WaitTimeout if it is still busy, else its error."""
        if self._thread is None:
            return
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            raise WaitTimeout(what=f"{self.name} to {what}", timeout_s=timeout_s, last_error=busy())
        if self._error is not None:
            error = self._error
            raise RuntimeError(f"{self.name} failed: {type(error).__name__}: {error}") from error

    def _run(self) -> None:
        try:
            asyncio.run(self._enter())
        except BaseException as exc:  # reported by join(), in the caller's thread
            self._error = exc

    async def _enter(self) -> None:
        event = asyncio.Event()
        with self._lock:
            self._loop, self._stop_event = asyncio.get_running_loop(), event
            if self._stop_requested:
                event.set()
        await self._main(event)


async def sleep_until(stop: asyncio.Event, when: float) -> bool:
    """Sleep until loop time `when`; False (at once) if `stop` is or becomes set first."""
    if stop.is_set():
        return False
    try:
        async with asyncio.timeout_at(when):
            await stop.wait()
    except TimeoutError:
        return True
    return False


async def until_done_or_stopped(stop: asyncio.Event, tasks: Collection[asyncio.Task[Any]]) -> None:
    """Wait until every task is done or `stop` is set, then cancel what is left.

    The tasks belong to the caller's TaskGroup, which awaits the cancelled ones on exit.
    """
    waiter = asyncio.ensure_future(stop.wait())  # owned here: cancelled below whatever happens
    try:
        pending = {t for t in tasks if not t.done()}
        while pending and not stop.is_set():
            await asyncio.wait({*pending, waiter}, return_when=asyncio.FIRST_COMPLETED)
            pending = {t for t in pending if not t.done()}
    finally:
        waiter.cancel()
        for task in tasks:
            task.cancel()
