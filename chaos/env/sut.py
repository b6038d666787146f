"""The service under test, started from the target file's [service] table and watched over HTTP."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Mapping
from pathlib import Path

from chaos.env.process import ManagedProcess, process_state
from chaos.env.readiness import log_tail, wait_process_ready
from chaos.env.registry import Tracker
from chaos.env.service import ServiceHandle
from chaos.targetfile import Service, render

__all__ = ["LocalSut"]

_GROUP_SIGNALS = {signal.SIGSTOP, signal.SIGCONT}


class LocalSut(ServiceHandle):
    """A `SutHandle` for a local process. Its log accumulates across restarts, each marked by a header.

    Restarts reuse the same port, so proxies and clients keep pointing at the right place. Its `env`
    is the inherited environment, the target's env rendered, then `sut_env`, then the restart env.
    """

    thawed_note = "resumed the SUT (it was SIGSTOPped)"

    def __init__(self, *, service: Service, values: Mapping[str, str], sut_env: Mapping[str, str],
                 dir: Path, tracker: Tracker, base_environ: Mapping[str, str] | None = None) -> None:
        rendered = {name: render(value, values) for name, value in service.env.items()}
        inherited = dict(os.environ if base_environ is None else base_environ)
        # unbuffered so the log tail in a start error shows the last words of a Python SUT
        super().__init__(service=service, base_url=render(service.url, values),
                         env={**inherited, "PYTHONUNBUFFERED": "1", **rendered, **sut_env})
        self.command = [render(arg, values) for arg in service.command]
        self.cwd = service.cwd
        self.dir = dir
        self.log_path = dir / "sut.log"
        self.tracker = tracker
        self._proc: ManagedProcess | None = None
        self._starts = 0
        self._closed = False

    # --- start and readiness -----------------------------------------------------------------------

    def launch(self) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("SUT: environment already closed")
            if self._proc is not None:
                self._proc.reap(grace_s=0.0, sig=signal.SIGKILL)   # leftovers of a killed run
            self._starts += 1
            self.dir.mkdir(parents=True, exist_ok=True)
            with self.log_path.open("a") as log:
                log.write(f"--- chaos: start #{self._starts} at {time.strftime('%H:%M:%S')}: "
                          f"{' '.join(self.command)} ---\n")
            self._proc = ManagedProcess.start(self.command, label="SUT", log_path=self.log_path,
                                              env=self.env, cwd=self.cwd,
                                              on_start=self.tracker.process_started,
                                              name="the SUT ([service].command)")

    def wait_ready(self, timeout_s: float | None = None) -> None:
        """Wait until health (and readiness) answer 200; a timeout or an exit quotes the SUT's log."""
        proc = self._require()
        wait_process_ready(proc, self._probe, name=f"the SUT ({self.base_url})",
                           timeout_s=timeout_s or self.service.start_timeout_s, interval_s=0.05)

    # --- SutHandle ---------------------------------------------------------------------------------

    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.is_alive() else None

    def is_alive(self) -> bool:
        return self._proc is not None and self._proc.is_alive()

    def is_stopped(self) -> bool:
        """True while SIGSTOPped (state T)."""
        pid = self.pid()
        return pid is not None and process_state(pid) == "T"

    def is_frozen(self) -> bool:
        return self.is_stopped()

    def signal(self, sig: signal.Signals) -> None:
        """`sig` to the service's main process; SIGSTOP/SIGCONT to its whole group."""
        proc = self._require()
        if sig in _GROUP_SIGNALS:
            proc.signal_group(sig)
        else:
            proc.signal(sig)

    def wait_exit(self, timeout_s: float) -> int | None:
        return self._require().wait(timeout_s)

    def exit_code(self) -> int | None:
        return self._proc.poll() if self._proc is not None else None

    def stop(self) -> int | None:
        """SIGTERM, up to shutdown_grace_s for a graceful exit, then SIGKILL the group; the exit code."""
        with self._lock:
            if self._proc is None:
                return None
            return self._proc.reap(grace_s=self.service.shutdown_grace_s, sig=signal.SIGTERM, to_group=False)

    def restart(self, *, extra_env: Mapping[str, str] | None = None) -> None:
        """Stop (gracefully, bounded), start again with `extra_env` on top, wait until ready.

        `extra_env` stays in force for later automatic restarts (ensure_running) until the next
        restart() call replaces it.
        """
        with self._lock:
            self.stop()
            self._extra_env = dict(extra_env or {})
            self.launch()
            self.wait_ready()

    def ensure_running(self) -> None:
        """Thaw it if stopped; start it again if it exited; then wait until it is ready."""
        with self._lock:
            if self.is_alive():
                if self.is_stopped():
                    self.signal(signal.SIGCONT)
            else:
                self.launch()
            self.wait_ready()

    def logs(self, *, tail: int | None = None) -> str:
        if tail is not None:
            return log_tail(self.log_path, tail)
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._proc is not None:
                self._proc.reap(grace_s=self.service.shutdown_grace_s, sig=signal.SIGTERM, to_group=False)

    def _require(self) -> ManagedProcess:
        if self._proc is None:
            raise RuntimeError("the SUT was never started")
        return self._proc
