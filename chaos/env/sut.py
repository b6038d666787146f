"""The service under test, started from the target file's [service] table and watched over HTTP."""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping
from pathlib import Path

from chaos.env.program import LocalProgram, RunsProgram
from chaos.env.readiness import wait_process_ready
from chaos.env.registry import Tracker
from chaos.env.service import ServiceHandle
from chaos.targetfile import Service, render

__all__ = ["LocalSut"]


class LocalSut(RunsProgram, ServiceHandle):
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
        self._program = LocalProgram(label="SUT", command=self.command, cwd=self.cwd, log_path=self.log_path,
                                     tracker=tracker, grace_s=service.shutdown_grace_s,
                                     name="the SUT ([service].command)")
        self._closed = False

    # --- start and readiness -----------------------------------------------------------------------

    def launch(self) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("SUT: environment already closed")
            self._program.launch(self.env)

    def wait_ready(self, timeout_s: float | None = None) -> None:
        """Wait until health (and readiness) answer 200; a timeout or an exit quotes the SUT's log."""
        proc = self._program.require()
        wait_process_ready(proc, self._probe, name=f"the SUT ({self.base_url})",
                           timeout_s=timeout_s or self.service.start_timeout_s, interval_s=0.05)

    # --- SutHandle (the process side: RunsProgram) ---------------------------------------------------

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

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._program.stop()
