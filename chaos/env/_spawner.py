"""Fork children from one long-lived thread, so PR_SET_PDEATHSIG is tied to a thread that never exits.

Linux delivers the parent-death signal when the *thread* that forked the child exits, not the
process. Environments start their parts from a thread pool (parallel start-up) and faults may
restart a dependency from a worker thread; a child forked there would be SIGKILLed as soon as that
thread ended. So every spawn runs either on the main thread or on this one daemon thread, which
lives until the interpreter exits (when the belt is meant to fire).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

__all__ = ["spawn_in_stable_thread"]

T = TypeVar("T")

_SPAWN_TIMEOUT_S = 60.0   # a fork+exec takes milliseconds; this only guards against a wedged thread


class _Spawner:
    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[Callable[[], object], Future[object]]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _run(self) -> None:
        while True:
            fn, future = self._queue.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn())
            except BaseException as exc:
                future.set_exception(exc)

    def call(self, fn: Callable[[], T]) -> T:
        current = threading.current_thread()
        if current is threading.main_thread() or current is self._thread:
            return fn()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="chaos-spawner", daemon=True)
                self._thread.start()
        future: Future[object] = Future()
        self._queue.put((fn, future))
        return future.result(timeout=_SPAWN_TIMEOUT_S)  # type: ignore[return-value]


_SPAWNER = _Spawner()   # process-wide on purpose: the thread must outlive every caller


def spawn_in_stable_thread(fn: Callable[[], T]) -> T:
    """Run `fn` (which forks a child) on the main thread or the spawner thread; return its result."""
    return _SPAWNER.call(fn)
