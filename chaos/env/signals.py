"""Turn SIGTERM into KeyboardInterrupt, so `with env:` blocks clean up on `kill PID` as on Ctrl-C.

Python's default SIGTERM action kills the interpreter without running `finally` blocks or context
manager exits, which would leave every process of an environment running (until the registry
reaps them). Raising KeyboardInterrupt instead unwinds the stack normally.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["sigterm_as_interrupt"]


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"received {signal.Signals(signum).name}")


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises KeyboardInterrupt in the main thread (no-op elsewhere)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
