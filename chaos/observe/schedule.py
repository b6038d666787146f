"""The load's schedule: which slot is due when, and what becomes of it (sent, not sent, skipped).

Pure: it is driven by the elapsed time and the number of requests in flight that the caller
reports, so it is tested without a server, a clock or an event loop. The load generator sleeps
until `next_due_s()`, then `take()`s the slot and does what its `fate` says.

    schedule = Schedule(spec)
    while (due := schedule.next_due_s()) is not None:
        ...sleep until due...
        slot = schedule.take(elapsed_s=now - start, in_flight=len(in_flight))
        if slot is None:
            break                       # the run's time is up (a loop that lagged past the end)

A loop that wakes late takes every slot that fell due meanwhile, one after the other, each with
its own intended time `due_s`: the open model catches up instead of dropping slots, and the
latency of each counts from its intended start. Nothing is taken at or after `duration_s`, so a
loop that lags past the end sends nothing more (the run stays within its time bound).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from chaos.observe.load_spec import LoadModel, LoadSpec

__all__ = ["Fate", "Schedule", "Slot"]


class Fate(StrEnum):
    """What the load does with a slot that fell due."""

    SEND = "send"
    NOT_SENT = "not sent"   # open model, the in-flight cap reached: counted against the service
    SKIP = "skip"           # closed model, all `concurrency` requests busy: by design, not judged


@dataclass(frozen=True, slots=True, kw_only=True)
class Slot:
    """One slot of the schedule: its index (which request, round-robin), its intended time in seconds
    after the start, its fate, and how many requests were in flight when it was taken."""

    index: int
    due_s: float
    fate: Fate
    in_flight: int


class Schedule:
    """The slots of `spec`, in order; each is taken once."""

    def __init__(self, spec: LoadSpec) -> None:
        self.spec = spec
        self._next = 0
        self._over = False

    def next_due_s(self) -> float | None:
        """When the next slot is due (seconds after the start), or None once the schedule is over."""
        return None if self._over else self.spec.due_s(self._next)

    def take(self, *, elapsed_s: float, in_flight: int) -> Slot | None:
        """Take the next slot, due by `elapsed_s`, deciding its fate from `in_flight`.

        None (and the schedule is over) when the run's time is up: `elapsed_s` reached
        `duration_s`. ValueError when the next slot is not due yet, or the schedule is over.
        """
        due = self.next_due_s()
        if due is None:
            raise ValueError("Schedule.take: the schedule is over (check next_due_s() first)")
        if elapsed_s < due:
            raise ValueError(f"Schedule.take: slot {self._next} is due at {due:.3f} s, not yet at {elapsed_s:.3f} s")
        if elapsed_s >= self.spec.duration_s:
            self._over = True
            return None
        slot = Slot(index=self._next, due_s=due, fate=self._fate(in_flight), in_flight=in_flight)
        self._next += 1
        return slot

    def _fate(self, in_flight: int) -> Fate:
        if in_flight < self.spec.max_in_flight:
            return Fate.SEND
        return Fate.SKIP if self.spec.model is LoadModel.CLOSED else Fate.NOT_SENT
