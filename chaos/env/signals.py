"""Signals as the suite treats them: SIGTERM turned into KeyboardInterrupt, and which signals are fatal.

Python's default SIGTERM action kills the interpreter without running `finally` blocks or context
manager exits, which would leave every process of an environment running (until the registry
reaps them); under pytest neither fixture teardown nor `pytest_unconfigure` runs (measured).
Raising KeyboardInterrupt instead unwinds the stack as Ctrl-C does, so `with env:` blocks, `chaos up`
and the pytest plugin clean up on `kill PID` or a CI cancel.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

__all__ = ["FATAL_SIGNALS", "SigtermAsInterrupt"]

# Signals whose default action ends a process: after sending one, a lifecycle call waits until the
# process is gone; after any other (SIGSTOP, SIGHUP to a server that reloads) it returns at once.
FATAL_SIGNALS = frozenset({signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGABRT})

_Handler = Callable[[int, FrameType | None], Any] | int | None


class SigtermAsInterrupt:
    """While installed, SIGTERM raises KeyboardInterrupt in the main thread.

    Use `install()`/`uninstall()` where the two happen in different calls (the pytest plugin's
    configure and unconfigure), or `with SigtermAsInterrupt(...):` around a block (`chaos up`).
    Installing from another thread does nothing: only the main thread receives Python-level signals.

    By default it installs only over the default action, so a handler the user or another plugin set
    stays in charge (a plugin is a guest in pytest's process). `replace=True` takes over whatever
    handler is set, for a program that owns its process; uninstalling puts that handler back, but
    only if ours is still the one installed.
    """

    def __init__(self, *, replace: bool = False) -> None:
        self.replace = replace
        self._previous: _Handler = signal.SIG_DFL
        self._installed = False

    def install(self) -> None:
        if self._installed or threading.current_thread() is not threading.main_thread():
            return
        current = signal.getsignal(signal.SIGTERM)
        if current is not signal.SIG_DFL and not self.replace:
            return
        signal.signal(signal.SIGTERM, self._handle)
        # None: a handler not installed from Python, which cannot be reinstalled from here either
        self._previous = signal.SIG_DFL if current is None else current
        self._installed = True

    def uninstall(self) -> None:
        if self._installed and signal.getsignal(signal.SIGTERM) == self._handle:
            signal.signal(signal.SIGTERM, self._previous)
        self._installed = False

    def __enter__(self) -> SigtermAsInterrupt:
        self.install()
        return self

    def __exit__(self, *exc: object) -> None:
        self.uninstall()

    @staticmethod
    def _handle(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"received {signal.Signals(signum).name}")
