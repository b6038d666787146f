"""SIGTERM to pytest must clean up like Ctrl-C does, or a CI cancel leaves databases running."""

from __future__ import annotations

import signal
import threading
from types import FrameType

__all__ = ["SigtermAsInterrupt"]


class SigtermAsInterrupt:
    """While installed, SIGTERM raises KeyboardInterrupt, so pytest tears fixtures down and runs
    `pytest_unconfigure` (measured: with the default SIGTERM action neither runs).

    Installed only from the main thread and only over the default action, so a handler the user
    or another plugin set stays in charge.
    """

    def __init__(self) -> None:
        self._installed = False

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return
        signal.signal(signal.SIGTERM, self._handle)
        self._installed = True

    def uninstall(self) -> None:
        if self._installed and signal.getsignal(signal.SIGTERM) == self._handle:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        self._installed = False

    @staticmethod
    def _handle(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"received {signal.Signals(signum).name}")
