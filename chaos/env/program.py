"""One restartable program of the target's (the service, a worker): started, signalled, stopped, logged.

The SUT handle (`sut.py`) and the extra processes' handles (`extra.py`) differ in how they judge
readiness (HTTP probes vs. a log line) and what environment they get; how a start is logged, which
signals go to the group, and how a stop is bounded are the same and live here. Every start appends
to one log under a header line, so a log read after a crash and a restart tells both stories.
Not thread-safe by itself: the handles serialise calls with their own lock.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from chaos.env.process import ManagedProcess, process_state
from chaos.env.readiness import log_tail
from chaos.env.registry import Tracker

__all__ = ["LocalProgram", "RunsProgram"]

_GROUP_SIGNALS = {signal.SIGSTOP, signal.SIGCONT}


class LocalProgram:
    """A command run as a `ManagedProcess` of ours, again after each `launch()`; `label` names it in
    logs and errors ("SUT", "process worker")."""

    def __init__(self, *, label: str, command: Sequence[str], cwd: Path, log_path: Path, tracker: Tracker,
                 grace_s: float, name: str | None = None) -> None:
        self.label = label
        self.name = name or label   # how a start failure names it: "the SUT ([service].command)"
        self.command = list(command)
        self.cwd = cwd
        self.log_path = log_path
        self.tracker = tracker
        self.grace_s = grace_s
        self.starts = 0
        self.log_offset = 0     # where the current start's output begins in the log (bytes)
        self._proc: ManagedProcess | None = None

    def launch(self, env: Mapping[str, str]) -> ManagedProcess:
        """Start it (again): whatever is left of the previous start is SIGKILLed first."""
        if self._proc is not None:
            self._proc.reap(grace_s=0.0, sig=signal.SIGKILL)
        self.starts += 1
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("a") as log:
            log.write(f"--- chaos: start #{self.starts} at {time.strftime('%H:%M:%S')}: "
                      f"{' '.join(self.command)} ---\n")
        self.log_offset = self.log_path.stat().st_size
        self._proc = ManagedProcess.start(self.command, label=self.label, log_path=self.log_path, env=env,
                                          cwd=self.cwd, on_start=self.tracker.process_started, name=self.name)
        return self._proc

    def require(self) -> ManagedProcess:
        if self._proc is None:
            raise RuntimeError(f"{self.label} was never started")
        return self._proc

    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.is_alive() else None

    def is_alive(self) -> bool:
        return self._proc is not None and self._proc.is_alive()

    def is_stopped(self) -> bool:
        """True while SIGSTOPped (state T)."""
        pid = self.pid()
        return pid is not None and process_state(pid) == "T"

    def signal(self, sig: signal.Signals) -> None:
        """`sig` to the main process; SIGSTOP/SIGCONT to its whole group."""
        proc = self.require()
        if sig in _GROUP_SIGNALS:
            proc.signal_group(sig)
        else:
            proc.signal(sig)

    def wait_exit(self, timeout_s: float) -> int | None:
        return self.require().wait(timeout_s)

    def exit_code(self) -> int | None:
        return self._proc.poll() if self._proc is not None else None

    def stop(self) -> int | None:
        """SIGTERM to the main process, up to `grace_s` for it to exit, then SIGKILL the group; the
        exit code (None if it was never started). Idempotent."""
        if self._proc is None:
            return None
        return self._proc.reap(grace_s=self.grace_s, sig=signal.SIGTERM, to_group=False)

    def logs(self, *, tail: int | None = None) -> str:
        if tail is not None:
            return log_tail(self.log_path, tail)
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def output_of_this_start(self, limit: int = 1_000_000) -> str:
        """What the current start wrote so far (at most `limit` bytes from its beginning)."""
        try:
            with self.log_path.open("rb") as log:
                log.seek(self.log_offset)
                return log.read(limit).decode("utf-8", errors="replace")
        except OSError:
            return ""


class RunsProgram:
    """The process side of a handle whose process is a `LocalProgram` (`_program`): what the SUT's
    handle and the extra processes' share, word for word. `_lock` serialises stop() with the
    handle's own lifecycle calls."""

    _program: LocalProgram
    _lock: threading.RLock

    def pid(self) -> int | None:
        return self._program.pid()

    def is_alive(self) -> bool:
        return self._program.is_alive()

    def is_stopped(self) -> bool:
        """True while SIGSTOPped (state T)."""
        return self._program.is_stopped()

    def is_frozen(self) -> bool:
        """Stopped in place: alive, but doing nothing."""
        return self._program.is_stopped()

    def signal(self, sig: signal.Signals) -> None:
        """`sig` to the main process; SIGSTOP/SIGCONT to its whole group."""
        self._program.signal(sig)

    def wait_exit(self, timeout_s: float) -> int | None:
        return self._program.wait_exit(timeout_s)

    def exit_code(self) -> int | None:
        return self._program.exit_code()

    def stop(self) -> int | None:
        """SIGTERM, up to its shutdown grace for an exit, then SIGKILL the group; the exit code."""
        with self._lock:
            return self._program.stop()

    def logs(self, *, tail: int | None = None) -> str:
        return self._program.logs(tail=tail)
