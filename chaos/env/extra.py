"""The target's extra processes (`[service.processes.NAME]`: a queue worker, a scheduler) on the local
backend: started beside the SUT with its environment, reaped like it, healed like it.

A process is ready once its `ready_log` regex shows in what this start logged (without one: once it
started and is still alive). Each has its own log, `<name>.log` next to the SUT's, whose starts are
marked by header lines as the SUT's are.
"""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from chaos.env.program import LocalProgram, RunsProgram
from chaos.env.readiness import wait_process_ready
from chaos.env.registry import Tracker
from chaos.env.service import recover_process
from chaos.targetfile import ProcessSpec, Service, render

__all__ = ["LocalProcess"]


class LocalProcess(RunsProgram):
    """One extra process (implements `chaos.env.base.ProcessHandle`).

    Its environment is the SUT's at the moment of each start (`base_env()`: inherited, the target's
    [service.env], `--chaos-sut-env`, the SUT's restart env) with the process's own `env` on top, so
    a defect switched on for the service reaches its worker too.
    """

    def __init__(self, *, spec: ProcessSpec, service: Service, values: Mapping[str, str],
                 base_env: Callable[[], Mapping[str, str]], dir: Path, tracker: Tracker) -> None:
        self.name = spec.name
        self.spec = spec
        self.command = [render(arg, values) for arg in spec.command]
        self._own_env = {var: render(value, values) for var, value in spec.env.items()}
        self._base_env = base_env
        self.start_timeout_s = service.start_timeout_s
        self.log_path = dir / f"{spec.name}.log"
        self._ready = re.compile(spec.ready_log) if spec.ready_log else None
        self._program = LocalProgram(label=f"process {spec.name}", command=self.command,
                                     cwd=spec.cwd or service.cwd, log_path=self.log_path, tracker=tracker,
                                     grace_s=spec.shutdown_grace_s or service.shutdown_grace_s,
                                     name=f"process {spec.name} ([service.processes.{spec.name}].command)")
        self._lock = threading.RLock()
        self._closed = False

    @property
    def env(self) -> Mapping[str, str]:
        return {**self._base_env(), **self._own_env}

    @property
    def thawed_note(self) -> str:
        return f"resumed process {self.name} (it was SIGSTOPped)"

    # --- start and readiness -----------------------------------------------------------------------

    def launch(self) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError(f"process {self.name}: environment already closed")
            self._program.launch(self.env)

    def wait_ready(self, timeout_s: float | None = None) -> None:
        """Wait until this start logged `ready_log` (if any); DependencyStartTimeout quotes its log,
        at once if it exits first."""
        wait_process_ready(self._program.require(), self._logged_ready, name=f"process {self.name}",
                           timeout_s=timeout_s or self.start_timeout_s, interval_s=0.05)

    def _logged_ready(self) -> bool:
        if self._ready is not None and not self._ready.search(self._program.output_of_this_start()):
            raise RuntimeError(f"its log does not show {self._ready.pattern!r} yet")
        return True

    # --- the handle (the process side: RunsProgram) ------------------------------------------------

    def restart(self) -> None:
        """Stop (gracefully, bounded), start again, wait until ready."""
        with self._lock:
            self.stop()
            self.launch()
            self.wait_ready()

    def ensure_running(self) -> None:
        """Thaw it if stopped; start it again if it exited; then wait until it is ready."""
        with self._lock:
            if self.is_alive():
                if self.is_frozen():
                    self.signal(signal.SIGCONT)
            else:
                self.launch()
            self.wait_ready()

    def recover(self) -> list[str]:
        """heal()'s step: thaw it if frozen, start it again if it ended; one line per repair."""
        return recover_process(self, what=f"process {self.name}", thawed_note=self.thawed_note)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._program.stop()
