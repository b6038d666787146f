"""Dependency lifecycle faults: restart, stop, kill and pause Postgres, Redis or the external API."""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass

from chaos.env.base import DependencyHandle
from chaos.faults.database import connections_note
from chaos.faults.receipt import Receipt
from chaos.faults.undo import UndoLog

__all__ = ["DependencyKilled", "DependencyPaused", "DependencyRestarted", "DependencyStopped"]


def _not_running(dep: DependencyHandle) -> list[str]:
    return [] if dep.is_running() else [f"{dep.name} is not accepting connections on {dep.direct.address}"]


@dataclass(frozen=True, kw_only=True)
class DependencyRestarted:
    """Restart the dependency; proof is a new main PID.

    `down_s` = 0 is the dependency's own fast restart; with `down_s` > 0 it is stopped, kept down that
    long (an outage longer than the SUT's timeouts, as a failover or a slow restart gives), then
    started. The whole restart happens inside the fault's window.
    """

    dependency: DependencyHandle
    down_s: float = 0.0

    @property
    def name(self) -> str:
        return f"restart({self.dependency.name})"

    @property
    def intent(self) -> str:
        down = f", down for {self.down_s:g} s" if self.down_s else ""
        return f"restart {self.dependency.kind} {self.dependency.name} ({self.dependency.direct.address}){down}"

    def inject(self, undo: UndoLog, receipt: Receipt) -> None:
        receipt.note(connections_note(self.dependency))
        receipt.takes_effect_now()
        dep = self.dependency
        receipt.pid_before = dep.pid()
        undo.push(f"make sure {dep.name} runs", lambda: None if dep.is_running() else dep.start())
        if self.down_s > 0:
            dep.stop()
            time.sleep(self.down_s)
            dep.start()
        else:
            dep.restart()
        receipt.pid_after = dep.pid()
        if receipt.pid_after is not None and receipt.pid_after != receipt.pid_before:
            receipt.effect(f"{dep.name} main pid {receipt.pid_before} -> {receipt.pid_after}", hits=1)

    def observe(self, receipt: Receipt) -> None:
        return None

    def leftovers(self) -> list[str]:
        return _not_running(self.dependency)


@dataclass(frozen=True, kw_only=True)
class DependencyStopped:
    """An operator stop: the dependency shuts down and stays down until the revert starts it."""

    dependency: DependencyHandle

    @property
    def name(self) -> str:
        return f"stop({self.dependency.name})"

    @property
    def intent(self) -> str:
        return f"stop {self.dependency.kind} {self.dependency.name} until healed"

    def inject(self, undo: UndoLog, receipt: Receipt) -> None:
        receipt.note(connections_note(self.dependency))
        receipt.takes_effect_now()
        dep = self.dependency
        receipt.pid_before = dep.pid()
        undo.push(f"start {dep.name}", dep.start)
        dep.stop()
        if not dep.is_running():
            receipt.effect(f"{dep.name} (pid {receipt.pid_before}) stopped", hits=1)

    def observe(self, receipt: Receipt) -> None:
        return None

    def leftovers(self) -> list[str]:
        return _not_running(self.dependency)


@dataclass(frozen=True, kw_only=True)
class DependencyKilled:
    """A crash: `sig` (default SIGKILL) to the dependency's main process; it stays down until healed."""

    dependency: DependencyHandle
    sig: signal.Signals = signal.SIGKILL

    @property
    def name(self) -> str:
        return f"kill({self.dependency.name}, {self.sig.name})"

    @property
    def intent(self) -> str:
        return f"send {self.sig.name} to {self.dependency.name}'s main process; start it again when healed"

    def inject(self, undo: UndoLog, receipt: Receipt) -> None:
        receipt.note(connections_note(self.dependency))
        receipt.takes_effect_now()
        dep = self.dependency
        receipt.pid_before = dep.pid()
        receipt.signal = self.sig.name
        undo.push(f"start {dep.name}", lambda: None if dep.is_running() else dep.start())
        dep.kill(self.sig)
        if not dep.is_running():
            receipt.effect(f"{dep.name} pid {receipt.pid_before} killed with {self.sig.name}", hits=1)

    def observe(self, receipt: Receipt) -> None:
        return None

    def leftovers(self) -> list[str]:
        return _not_running(self.dependency)


@dataclass(frozen=True, kw_only=True)
class DependencyPaused:
    """Freeze the dependency (SIGSTOP / docker pause): connections stay open but nothing answers."""

    dependency: DependencyHandle

    @property
    def name(self) -> str:
        return f"pause({self.dependency.name})"

    @property
    def intent(self) -> str:
        return f"pause {self.dependency.name}: open connections hang until resumed"

    def inject(self, undo: UndoLog, receipt: Receipt) -> None:
        receipt.note(connections_note(self.dependency))
        receipt.takes_effect_now()
        dep = self.dependency
        receipt.pid_before = dep.pid()
        undo.push(f"resume {dep.name}", dep.resume)
        dep.pause()
        receipt.effect(f"{dep.name} pid {receipt.pid_before} paused", hits=1)

    def observe(self, receipt: Receipt) -> None:
        return None

    def leftovers(self) -> list[str]:
        return _not_running(self.dependency)
