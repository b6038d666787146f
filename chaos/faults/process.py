"""Process faults on the SUT or one of its extra processes: SIGTERM, SIGKILL, SIGSTOP, as an
orchestrator or a crash would."""

from __future__ import annotations

import signal
from dataclasses import dataclass
from typing import Protocol

from chaos.env.base import Environment
from chaos.exits import exited
from chaos.faults.receipt import Receipt
from chaos.faults.undo import UndoLog

__all__ = ["SERVICE_NAMES", "SignalTarget", "SutSignalled"]

SERVICE_NAMES = ("service", "sut")   # what names the SUT itself where a process name is expected


class SignalTarget(Protocol):
    """What a signal fault needs of a process handle (`SutHandle` and `ProcessHandle` both are)."""

    def pid(self) -> int | None: ...
    def is_alive(self) -> bool: ...
    def signal(self, sig: signal.Signals) -> None: ...
    def ensure_running(self) -> None: ...
    def exit_code(self) -> int | None: ...


@dataclass(frozen=True, kw_only=True)
class SutSignalled:
    """Deliver `sig` to the SUT, or to the extra process `process` names (see `of`). Heal: SIGCONT
    after SIGSTOP; start it again after it exits.

    Proof: the signal reached a live process (its PID is recorded), and for terminating signals the
    exit code observed, for SIGSTOP the process was alive and stopped.
    """

    sut: SignalTarget
    sig: signal.Signals
    restart_on_heal: bool = True
    process: str = "sut"   # how the fault and its receipt name the target: "sut" or a process's name

    @classmethod
    def of(cls, env: Environment, process: str, sig: signal.Signals, *, restart_on_heal: bool = True
           ) -> SutSignalled:
        """The fault for `process` of `env`: "service" (or "sut") is the SUT, any other name one of
        its [service.processes]; KeyError names the declared ones."""
        if process in SERVICE_NAMES:
            return cls(sut=env.sut, sig=sig, restart_on_heal=restart_on_heal)
        return cls(sut=env.process(process), sig=sig, restart_on_heal=restart_on_heal, process=process)

    @property
    def _what(self) -> str:
        return "the SUT" if self.process == "sut" else f"process {self.process}"

    @property
    def _who(self) -> str:
        return "SUT" if self.process == "sut" else f"process {self.process}"

    @property
    def name(self) -> str:
        return f"signal({self.process}, {self.sig.name})"

    @property
    def intent(self) -> str:
        healed = "; start it again when healed" if self.restart_on_heal else ""
        return f"send {self.sig.name} to {self._what}{healed}"

    def inject(self, undo: UndoLog, receipt: Receipt) -> None:
        receipt.takes_effect_now()
        receipt.pid_before = self.sut.pid()
        receipt.signal = self.sig.name
        if receipt.pid_before is None or not self.sut.is_alive():
            return  # nothing to signal: the receipt stays empty, the verdict inconclusive
        if self.sig is signal.SIGSTOP:
            undo.push(f"SIGCONT {self._what}", lambda: self.sut.signal(signal.SIGCONT))
        elif self.restart_on_heal:
            undo.push(f"start {self._what} again", self.sut.ensure_running)
        self.sut.signal(self.sig)
        receipt.effect(f"{self.sig.name} delivered to {self._who} pid {receipt.pid_before}", hits=1)

    def observe(self, receipt: Receipt) -> None:
        code = self.sut.exit_code()
        if code is not None:
            receipt.effect(f"{self._who} pid {receipt.pid_before} {exited(code)}")

    def leftovers(self) -> list[str]:
        if self.restart_on_heal or self.sig is signal.SIGSTOP:
            return [] if self.sut.is_alive() else [f"{self._what} is not running"]
        return []
