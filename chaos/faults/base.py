"""The fault interface: a small protocol every fault implements, like Toxiproxy's one-method toxics."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from chaos.faults.receipt import Receipt
from chaos.faults.undo import UndoLog

__all__ = ["Fault"]


@runtime_checkable
class Fault(Protocol):
    """One fault. `chaos.faults.injected()` drives it; faults never revert themselves.

    - `inject` makes the change, pushing the undo of each step on `undo` *before* making it, and
      records what it saw on `receipt` (a PID that changed, backends terminated).
    - `observe` runs while the fault is still in place, just before the revert, to collect proof of
      effects that accumulate (requests that hit a hang, bytes that crossed a toxic).
    - `leftovers` runs after the revert and lists whatever is still not back ("toxic x on proxy y").
    """

    @property
    def name(self) -> str: ...

    @property
    def intent(self) -> str: ...

    def inject(self, undo: UndoLog, receipt: Receipt) -> None: ...

    def observe(self, receipt: Receipt) -> None: ...

    def leftovers(self) -> list[str]: ...
