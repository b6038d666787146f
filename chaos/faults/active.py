"""The faults in place right now, so that one call can heal them all at once (the "halt").

`injected()` registers each fault's undo log here while the fault is in place. A stop condition or
a game-day operator's abort calls `heal_all()` from whatever thread noticed: every undo log runs at
once, newest fault first. Undo logs clear themselves as they run, so when the `with` blocks unwind
later their own revert finds nothing left to do, and the usual leftovers check still runs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from chaos.faults.undo import UndoLog

__all__ = ["ActiveFaults"]


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    undo: UndoLog


class ActiveFaults:
    """Faults currently injected (by name, in injection order) and their undo logs."""

    def __init__(self) -> None:
        self._entries: list[_Entry] = []
        self._lock = threading.Lock()

    def add(self, name: str, undo: UndoLog) -> None:
        with self._lock:
            self._entries.append(_Entry(name, undo))

    def remove(self, undo: UndoLog) -> None:
        with self._lock:
            self._entries = [e for e in self._entries if e.undo is not undo]

    def names(self) -> list[str]:
        with self._lock:
            return [e.name for e in self._entries]

    def heal_all(self) -> tuple[list[str], list[str]]:
        """Undo every active fault now, newest first; returns (steps done, errors), never raises."""
        with self._lock:
            entries = list(reversed(self._entries))
        done: list[str] = []
        errors: list[str] = []
        for entry in entries:
            steps, problems = entry.undo.run()
            done.extend(f"{entry.name}: {step}" for step in steps)
            errors.extend(f"{entry.name}: {problem}" for problem in problems)
        return done, errors
