"""Running a fault: record intent, inject, hand out the receipt, always revert LIFO, then verify."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from chaos.errors import RevertFailed
from chaos.faults.active import ActiveFaults
from chaos.faults.base import Fault
from chaos.faults.receipt import Receipt
from chaos.faults.undo import UndoLog
from chaos.observe import FaultEnded, FaultStarted, Timeline

__all__ = ["injected"]


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM while a revert runs, so a second Ctrl-C cannot leave a fault half undone.

    Only the main thread receives Python-level signals; elsewhere this is a no-op. The signals are
    delivered (and raise as usual) as soon as the revert is over.
    """
    if threading.current_thread() is not threading.main_thread() or sys.platform == "win32":
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextlib.contextmanager
def injected(fault: Fault, *, timeline: Timeline | None = None, active: ActiveFaults | None = None,
             receipts: list[Receipt] | None = None) -> Iterator[Receipt]:
    """Inject `fault` for the duration of the block and yield its receipt.

    The revert runs on every exit (pass, failure, exception, Ctrl-C), undoing each step in reverse
    order; then `fault.leftovers()` must come back empty. A revert problem raises `RevertFailed`,
    unless the block is already failing: the original error wins and the revert problem is attached
    as a note, so the root cause is never hidden (Jepsen's `maybe-snarf-logs!`).

    With `active`, the fault is registered there while in place, so a stop condition or an operator
    can heal it (with every other active fault) before the block ends; that heal is the same revert,
    recorded on the same receipt. With `receipts`, the receipt is appended there before the
    injection starts, so it is on record even when the injection raises.
    """
    receipt = Receipt(fault=fault.name, intent=fault.intent)
    if receipts is not None:
        receipts.append(receipt)
    revert = _Revert(fault=fault, undo=UndoLog(), receipt=receipt, timeline=timeline)
    heal = revert.heal          # one bound method: what `active` registers and removes by identity
    failing = False
    try:
        receipt.injected_ns = time.monotonic_ns()
        if active is not None:
            active.add(fault.name, heal, in_place=lambda: bool(fault.leftovers()))
        try:
            fault.inject(revert.undo, receipt)
        finally:
            # The window starts when the fault took effect: a request sent while a toxic was still
            # being added is not "under the fault" (measured: one such request broke a verdict).
            if receipt.effective_ns is None:
                receipt.effective_ns = time.monotonic_ns()
            if timeline is not None:
                timeline.append(FaultStarted(at_ns=receipt.effective_ns, name=fault.name, detail=fault.intent))
        yield receipt
    except BaseException:
        failing = True
        raise
    finally:
        if active is not None:
            active.remove(heal)
        with _interrupts_deferred():
            revert.run()
            revert.verify()
        if receipt.revert_errors or receipt.leftovers:
            problem = RevertFailed(fault=fault.name, leftovers=[*receipt.revert_errors, *receipt.leftovers])
            exc = sys.exc_info()[1]
            if failing and exc is not None:
                exc.add_note(str(problem))
            else:
                raise problem


@dataclass(slots=True, kw_only=True, eq=False)
class _Revert:
    """One fault's revert, run once whoever asks first: an abort's `heal_all` (any thread) or the
    end of the `with` block. Effects are observed while the fault is still in place, then the undo
    log runs and the receipt records the steps, the instant and the heal on the timeline."""

    fault: Fault
    undo: UndoLog
    receipt: Receipt
    timeline: Timeline | None
    _ran: bool = field(default=False, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def heal(self, why: str) -> tuple[list[str], list[str]]:
        """Revert now (the abort's path), noting `why` on the receipt; (steps done, errors)."""
        with self._lock:
            first = not self._ran
            done, errors = self._run_locked()
            if first:
                self.receipt.notes.append(why)
            return done, errors

    def run(self) -> None:
        """Revert at the end of the block; after an abort only steps pushed since then are left."""
        with self._lock:
            self._run_locked()

    def _run_locked(self) -> tuple[list[str], list[str]]:
        receipt = self.receipt
        first = not self._ran
        self._ran = True
        if first:
            try:
                self.fault.observe(receipt)
            except Exception as exc:  # proof-gathering must never block the revert
                receipt.revert_errors.append(f"observing effects: {type(exc).__name__}: {exc}")
        done, errors = self.undo.run()
        receipt.revert_steps.extend(done)
        receipt.revert_errors.extend(errors)
        if first:
            receipt.reverted_ns = time.monotonic_ns()
            if self.timeline is not None:
                self.timeline.append(FaultEnded(at_ns=receipt.reverted_ns, name=self.fault.name,
                                                detail="; ".join(done)))
        return done, errors

    def verify(self) -> None:
        try:
            self.receipt.leftovers.extend(self.fault.leftovers())
        except Exception as exc:
            self.receipt.leftovers.append(f"could not verify the revert: {type(exc).__name__}: {exc}")
