"""The faults in place right now, so that one call can heal them all at once (the "halt").

`injected()` registers each fault's heal here while the fault is in place. A stop condition or a
game-day operator's abort calls `heal_all()` from whatever thread noticed: every fault is healed at
once, newest first, exactly as its own revert would do it: its effects are observed while it is
still in place, its undo log runs, and its receipt records the steps, the instant and a note that
it was healed by the abort. When the `with` blocks unwind later their own revert finds nothing left
to do, and the usual leftovers check still runs. So a journal of an aborted experiment keeps each
fault's effects and revert steps.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["ActiveFaults", "Heal"]

Heal = Callable[[str], tuple[list[str], list[str]]]
"""Heal one fault now, noting why on its receipt; returns (steps done, errors), never raises."""


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    heal: Heal
    in_place: Callable[[], bool] | None = None


class ActiveFaults:
    """Faults currently injected (by name, in injection order) and how to heal each."""

    def __init__(self) -> None:
        self._entries: list[_Entry] = []
        self._lock = threading.Lock()

    def add(self, name: str, heal: Heal, *, in_place: Callable[[], bool] | None = None) -> None:
        """Register a fault; `in_place()` says whether its effect still holds (a restart that came
        back, a one-shot kill of connections: no longer), for the operator's view."""
        with self._lock:
            self._entries.append(_Entry(name, heal, in_place))

    def remove(self, heal: Heal) -> None:
        with self._lock:
            self._entries = [e for e in self._entries if e.heal is not heal]

    def names(self) -> list[str]:
        with self._lock:
            return [e.name for e in self._entries]

    def healed_itself(self, name: str) -> bool:
        """Whether the active fault `name` no longer holds although nobody healed it (a restarted
        dependency that came back). Unknown (no check, or the check failed) is False."""
        with self._lock:
            entries = [e for e in self._entries if e.name == name]
        for entry in entries:
            if entry.in_place is None:
                return False
            try:
                return not entry.in_place()
            except Exception:   # a check that cannot tell must not break the operator's view
                return False
        return False

    def heal_all(self, why: str = "healed at once") -> tuple[list[str], list[str]]:
        """Heal every active fault now, newest first; returns (steps done, errors), never raises.

        `why` goes on each healed fault's receipt as a note (what made the run stop)."""
        with self._lock:
            entries = list(reversed(self._entries))
        done: list[str] = []
        errors: list[str] = []
        for entry in entries:
            steps, problems = entry.heal(why)
            done.extend(f"{entry.name}: {step}" for step in steps)
            errors.extend(f"{entry.name}: {problem}" for problem in problems)
        return done, errors
