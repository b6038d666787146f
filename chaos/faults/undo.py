"""A MonkeyPatch-style undo log: record how to undo each change before making it, replay LIFO."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["UndoLog"]


@dataclass(frozen=True, slots=True)
class _Step:
    description: str
    action: Callable[[], None]


class UndoLog:
    """Undo steps replayed in reverse order; a second `run()` does nothing.

    Each step runs even when an earlier one failed (a failed `enable proxy` must not keep Redis
    stopped), and failures are returned, not raised, so the caller decides how to report them
    without hiding the error that made it unwind.
    """

    def __init__(self) -> None:
        self._steps: list[_Step] = []
        self._lock = threading.Lock()

    def push(self, description: str, action: Callable[[], None]) -> None:
        with self._lock:
            self._steps.append(_Step(description, action))

    def __len__(self) -> int:
        return len(self._steps)

    def run(self) -> tuple[list[str], list[str]]:
        """Replay every step LIFO; returns (done, errors) as human-readable lines."""
        with self._lock:
            steps, self._steps = self._steps, []
        done: list[str] = []
        errors: list[str] = []
        for step in reversed(steps):
            try:
                step.action()
            except Exception as exc:  # every step must get its chance; errors are reported
                errors.append(f"{step.description}: {type(exc).__name__}: {exc}")
            else:
                done.append(step.description)
        return done, errors
