"""Process faults on the SUT itself: SIGTERM, SIGKILL, SIGSTOP, as an orchestrator or a crash would."""

from __future__ import annotations

import signal
from dataclasses import dataclass

from chaos.env.base import SutHandle
from chaos.exits import exited
from chaos.faults.receipt import Receipt
from chaos.faults.undo import UndoLog

__all__ = ["SutSignalled"]


@dataclass(frozen=True, kw_only=True)
class SutSignalled:
    """Deliver `sig` to the SUT. Heal: SIGCONT after SIGSTOP; start it again after it exits.

    Proof: the signal reached a live process (its PID is recorded), and for terminating signals the
    exit code observed, for SIGSTOP the process was alive and stopped.
    """

    sut: SutHandle
    sig: signal.Signals
    restart_on_heal: bool = True

    @property
    def name(self) -> str:
        return f"signal(sut, {self.sig.name})"

    @property
    def intent(self) -> str:
        return f"send {self.sig.name} to the SUT" + ("; start it again when healed" if self.restart_on_heal else "")

    def inject(self, undo: UndoLog, receipt: Receipt) -> None:
        receipt.takes_effect_now()
        receipt.pid_before = self.sut.pid()
        receipt.signal = self.sig.name
        if receipt.pid_before is None or not self.sut.is_alive():
            return  # nothing to signal: the receipt stays empty, the verdict inconclusive
        if self.sig is signal.SIGSTOP:
            undo.push("SIGCONT the SUT", lambda: self.sut.signal(signal.SIGCONT))
        elif self.restart_on_heal:
            undo.push("start the SUT again", self.sut.ensure_running)
        self.sut.signal(self.sig)
        receipt.effect(f"{self.sig.name} delivered to SUT pid {receipt.pid_before}", hits=1)

    def observe(self, receipt: Receipt) -> None:
        code = self.sut.exit_code()
        if code is not None:
            receipt.effect(f"SUT pid {receipt.pid_before} {exited(code)}")

    def leftovers(self) -> list[str]:
        if self.restart_on_heal or self.sig is signal.SIGSTOP:
            return [] if self.sut.is_alive() else ["the SUT is not running"]
        return []
