"""Effect receipts: proof that a fault bit, so an experiment never passes on a fault that did nothing."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

__all__ = ["Receipt"]


@dataclass(slots=True, kw_only=True)
class Receipt:
    """What a fault did, filled in while it runs and when it is reverted.

    `effects` holds one line per observed effect ("terminated backends [812, 813]", "pid 4100 ->
    4188"); an empty list means the fault was injected but nothing shows it touched the system, and
    the experiment is then inconclusive rather than passed.
    """

    fault: str
    intent: str
    injected_ns: int | None = None     # when the injection began
    effective_ns: int | None = None    # when the fault took effect: the start of its window
    reverted_ns: int | None = None
    effects: list[str] = field(default_factory=list)
    pid_before: int | None = None
    pid_after: int | None = None
    signal: str | None = None
    hits: int = 0                      # connections/backends/requests the fault acted on
    revert_steps: list[str] = field(default_factory=list)
    revert_errors: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how the fault was protected or degraded (leases)

    @property
    def bit(self) -> bool:
        return bool(self.effects)

    @property
    def reverted_cleanly(self) -> bool:
        return self.reverted_ns is not None and not self.revert_errors and not self.leftovers

    def takes_effect_now(self) -> None:
        """Called by a fault whose effect starts with the call that makes it (a stop, a signal), not
        when the call returns (a toxic, a behaviour switch): the default is the return."""
        self.effective_ns = time.monotonic_ns()

    def effect(self, line: str, *, hits: int = 0) -> None:
        self.effects.append(line)
        self.hits += hits

    def note(self, line: str | None) -> None:
        """Evidence that is not proof of an effect (what the fault found, how it was protected)."""
        if line:
            self.notes.append(line)
