"""Shared lifecycle of a local dependency: one server process of ours on a fixed loopback port.

Postgres, Redis and the fake external API differ only in their command line, readiness check and
stop signal; start/stop/kill/pause/resume/restart and reaping are the same and live here. Every call
is serialised by a lock, since faults and heal() may come from different threads.
"""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

from chaos.env.base import Endpoint
from chaos.env.ports import LOOPBACK, port_accepts, wait_port_closed
from chaos.env.process import ManagedProcess, RunAs, process_state
from chaos.env.readiness import wait_process_ready
from chaos.env.registry import Tracker
from chaos.env.signals import FATAL_SIGNALS

__all__ = ["LocalServer"]


class LocalServer:
    """Base for local dependency handles. Subclasses set `kind` and implement `_argv`/`_check_ready`."""

    kind: str = ""
    stop_signal: signal.Signals = signal.SIGTERM   # graceful stop, sent to the main process
    stop_timeout_s: float = 10.0                    # then SIGKILL to the group
    start_timeout_s: float = 15.0
    run_as: RunAs | None = None

    def __init__(self, *, name: str, dir: Path, port: int, tracker: Tracker) -> None:
        self.name = name
        self.direct = Endpoint(host=LOOPBACK, port=port)
        self.proxied = Endpoint(host=LOOPBACK, port=0)   # set by attach_proxy()
        self.proxy_name = ""
        self.dir = dir
        self.log_path = dir / f"{name}.log"
        self.tracker = tracker
        self._proc: ManagedProcess | None = None
        self._paused = False
        self._prepared = False
        self._ready_once = False
        self._launched_at = 0.0
        self.timings: dict[str, float] = {}   # first start: prepare, ready (launch to ready), setup
        self._closed = False
        self._lock = threading.RLock()

    # --- for subclasses ----------------------------------------------------------------------------

    def _argv(self) -> list[str]:
        raise NotImplementedError

    def _check_ready(self) -> bool:
        """One readiness probe against `direct`; may raise (counts as not ready)."""
        raise NotImplementedError

    def _prepare(self) -> None:
        """Once, before the first start (data dirs)."""

    def _after_first_ready(self) -> None:
        """Once, after the first successful start (roles, databases, schema)."""

    def url(self, *, proxied: bool = True) -> str:
        raise NotImplementedError

    # --- wiring ------------------------------------------------------------------------------------

    def attach_proxy(self, name: str, listen: Endpoint) -> None:
        """Record the proxy in front of this dependency (created by the environment)."""
        self.proxy_name = name
        self.proxied = listen

    @property
    def paused(self) -> bool:
        return self._paused

    # --- lifecycle ---------------------------------------------------------------------------------

    def launch(self) -> None:
        """Start the process without waiting for it (parallel start-up); reaps leftovers of a kill."""
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{self.name}: environment already closed")
            if not self._prepared:
                self.dir.mkdir(parents=True, exist_ok=True)
                started = time.monotonic()
                self._prepare()
                self.timings["prepare"] = time.monotonic() - started
                self._prepared = True
            self._launched_at = time.monotonic()
            if self._proc is not None:
                # after kill(): the main process is gone but its children (Postgres backends) may hold
                # the port or shared memory; they are ours, so SIGKILL what is left and wait.
                self._proc.reap(grace_s=0.0, sig=signal.SIGKILL)
            self._paused = False
            self._proc = ManagedProcess.start(self._argv(), label=f"{self.kind} {self.name}",
                                              log_path=self.log_path, run_as=self.run_as, cwd=self.dir,
                                              stop_signal=self.stop_signal,
                                              on_start=self.tracker.process_started)

    def wait_ready(self, timeout_s: float = 15.0) -> None:
        with self._lock:
            proc = self._require_proc()
            first = not self._ready_once
            wait_process_ready(proc, self._check_ready, name=f"{self.kind} {self.name}", timeout_s=timeout_s)
            if first:
                self.timings["ready"] = time.monotonic() - self._launched_at
                started = time.monotonic()
                self._after_first_ready()
                self.timings["setup"] = time.monotonic() - started
                self._ready_once = True

    def start(self) -> None:
        """Start (or resume) the server; returns once it accepts connections."""
        with self._lock:
            if self._proc is not None and self._proc.is_alive():
                if self._paused:
                    self.resume()
                return
            self.launch()
            self.wait_ready(self.start_timeout_s)

    def stop(self) -> None:
        """An operator stop: the graceful stop signal, a bounded wait, then SIGKILL to the group."""
        with self._lock:
            if self._proc is not None:
                self._proc.reap(grace_s=self.stop_timeout_s, sig=self.stop_signal, to_group=False)
            self._paused = False
            wait_port_closed(self.direct, name=self.name)

    def restart(self) -> None:
        with self._lock:
            self.stop()
            self.start()

    def kill(self, sig: signal.Signals = signal.SIGKILL) -> None:
        """Send `sig` to the main process; for fatal signals, wait (bounded) until it is gone."""
        with self._lock:
            proc = self._require_proc()
            if sig is not signal.SIGKILL and self._paused:
                proc.signal_tree(signal.SIGCONT)    # a stopped process would not act on the signal
                self._paused = False
            proc.remember_tree()      # its children must be found again when we start anew
            proc.signal(sig)
            if sig in FATAL_SIGNALS:
                proc.wait(self.stop_timeout_s)
                wait_port_closed(self.direct, name=self.name)
            if sig is signal.SIGKILL:
                self._paused = False

    def pause(self) -> None:
        """SIGSTOP the whole process tree: connections stay open and nothing answers."""
        with self._lock:
            self._require_proc().signal_tree(signal.SIGSTOP)
            self._paused = True

    def resume(self) -> None:
        with self._lock:
            if self._proc is not None:
                self._proc.signal_tree(signal.SIGCONT)
            self._paused = False

    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.is_alive() else None

    def is_running(self) -> bool:
        """The main process is alive and `direct` accepts TCP connections (true while paused, too)."""
        proc = self._proc
        return proc is not None and proc.is_alive() and port_accepts(self.direct)

    def is_stopped_by_signal(self) -> bool:
        """True if the main process is in state T (SIGSTOPped), whoever stopped it."""
        pid = self.pid()
        return pid is not None and process_state(pid) == "T"

    def recover(self) -> list[str]:
        """heal()'s step: resume it if stopped (by us or anyone), start it if down; what was done."""
        repairs: list[str] = []
        if self.paused or self.is_stopped_by_signal():
            self.resume()
            repairs.append(f"resumed paused {self.kind} {self.name}")
        if not self.is_running():
            self.start()
            repairs.append(f"started {self.kind} {self.name} again (it was down)")
        return repairs

    def close(self) -> None:
        """Reap the group (idempotent); the environment removes the data dir afterwards."""
        with self._lock:
            self._closed = True
            if self._proc is not None:
                self._proc.reap(grace_s=self.stop_timeout_s, sig=self.stop_signal, to_group=False)
                self._after_close()

    def _after_close(self) -> None:
        """After the last process is reaped (Postgres releases its shared memory here)."""

    # --- helpers -----------------------------------------------------------------------------------

    def _require_proc(self) -> ManagedProcess:
        if self._proc is None:
            raise RuntimeError(f"{self.kind} {self.name} was never started")
        return self._proc
