"""The attached service (the `SutHandle` of attach mode): a URL, and the commands the target declares.

The suite did not start it, so it cannot wait on it as a child. It watches it through two queries
instead: the `pid` command (an integer identity while it runs: a PID, a container's restart count)
and the `exit_code` command (how the run that just ended exited). A watcher thread polls them while
anyone asks for the exit (the process probe does, every probe interval), so `exit_code()` is a read
of the last answer and never blocks the prober's event loop on a command. An exit is a change of
identity: the identity gone, or another one (an orchestrator restarted it).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Mapping
from typing import Final

import httpx

from chaos.env.attach._component import Component, parse_exit_code, wait_ready
from chaos.env.attach.commands import CommandRunner
from chaos.env.service import ServiceHandle
from chaos.errors import ChaosError, CommandNotDeclared
from chaos.targetfile import Service
from chaos.targetfile.attach import Action, AttachedService

__all__ = ["WATCH_INTERVAL_S", "AttachSut"]

WATCH_INTERVAL_S: Final = 0.1
"""How often the watcher asks the pid command: an exit is seen within this (plus the command's own
time); the drain contract measures the drain to the exit seen."""
WATCH_LINGER_S: Final = 3.0
"""The watcher stops this long after the last question: nobody watches, nothing runs."""
_FATAL = frozenset({signal.SIGTERM, signal.SIGKILL, signal.SIGINT, signal.SIGQUIT, signal.SIGHUP})


class AttachSut(ServiceHandle):
    """A `SutHandle` over a running service at `[service].url` and its `[attach.service]` commands."""

    thawed_note = "resumed the service (the suite had paused it)"

    def __init__(self, *, service: Service, spec: AttachedService, runner: CommandRunner) -> None:
        super().__init__(service=service, base_url=service.url, env={})
        self.spec = spec
        self.part = Component(component="service", key="[attach.service]", commands=spec.commands, runner=runner)
        self._paused = False
        self._identity: int | None = None      # the running instance as last seen
        self._exit: int | None = None          # how the last watched instance ended (None: it runs)
        self._last_signal: signal.Signals | None = None
        self._watch_error: ChaosError | None = None
        self._generation = 0                   # one per instance started: a late watcher's answer is dropped
        self._watch_until = 0.0
        self._watcher: threading.Thread | None = None
        self._state = threading.Lock()
        self._closed = False

    # --- readiness ---------------------------------------------------------------------------------

    def wait_ready(self, timeout_s: float | None = None) -> None:
        """Until health (and readiness) answer 2xx, bounded by `[attach.service].ready_timeout_s`."""
        wait_ready(self._probe, timeout_s=timeout_s or self.spec.ready_timeout_s,
                   name=f"the attached service ({self.base_url})")

    def answers(self) -> bool:
        """Something answers HTTP at the service's health path (any status)."""
        try:
            httpx.get(self.base_url + self.service.health, timeout=1.0, trust_env=False,
                      headers=dict(self.service.headers))
        except httpx.HTTPError:
            return False
        return True

    # --- SutHandle ---------------------------------------------------------------------------------

    def pid(self) -> int | None:
        """The identity the pid command prints now (None: not running, or no pid command)."""
        identity = self.part.query_pid()
        with self._state:
            if identity is not None and self._exit is None:
                self._identity = identity
        return identity

    def is_alive(self) -> bool:
        if self.part.declares(Action.PID):
            return self.pid() is not None
        return self.answers()

    def is_frozen(self) -> bool:
        return self._paused

    def signal(self, sig: signal.Signals) -> None:
        """`sig` through the declared commands (kill, pause, resume, else signal with `{signal}`)."""
        with self._lock:
            if sig in _FATAL:
                self._require_watch(f"send {sig.name} to the service and see how it exits")
                with self._state:
                    self._last_signal = sig
                self.part.arm(Action.START, Action.RESTART, what="start the service")
            elif sig is signal.SIGSTOP:
                self.part.arm(Action.RESUME, Action.SIGNAL, what="resume the service", sig=signal.SIGCONT)
            self.part.deliver(sig, whom="the service")
            if sig is signal.SIGSTOP:
                self._paused = True
            elif sig is signal.SIGCONT:
                self._paused = False
                self.part.disarm()

    def exit_code(self) -> int | None:
        """How the watched instance ended, or None while it runs (as last seen: never blocks)."""
        self._keep_watching()
        with self._state:
            return self._exit

    def wait_exit(self, timeout_s: float) -> int | None:
        """The exit code once the watcher saw the instance end, or None after `timeout_s`. A watcher
        whose command failed raises that failure (CommandFailed aborts the experiment)."""
        deadline = time.monotonic() + timeout_s
        while True:
            code = self.exit_code()
            if self._watch_error is not None:
                raise self._watch_error
            if code is not None or time.monotonic() >= deadline:
                return code
            time.sleep(0.02)

    def restart(self, *, extra_env: Mapping[str, str] | None = None) -> None:
        """The restart command (or stop, then start), then wait until ready. With an `extra_env` that
        changes what is switched on, the redeploy command instead, with the switches redeployed so far
        and `extra_env` on top (a plain restart keeps what `--chaos-sut-env` redeployed)."""
        with self._lock:
            wanted = {**self._extra_env, **(extra_env or {})}
            if extra_env and wanted != self._extra_env:
                self.redeploy(wanted)
                return
            if self.part.declares(Action.RESTART):
                self.part.run(Action.RESTART, "restart the service", needed_for="restart the service")
            else:
                self.part.run(Action.STOP, "stop the service", needed_for="restart the service")
                self.part.run(Action.START, "start the service", needed_for="restart the service")
            self._paused = False
            self._started()

    def redeploy(self, extra_env: Mapping[str, str]) -> None:
        """The redeploy command with `extra_env` in its environment (`--chaos-sut-env`: defect switches
        for `chaos matrix`); an empty value means "back to the deployment's own". Then wait until ready."""
        with self._lock:
            shown = ", ".join(f"{k}={self.part.runner.mask.text(v)}" for k, v in extra_env.items()) or "nothing"
            self.part.run(Action.REDEPLOY, f"redeploy the service with {shown}",
                          needed_for=f"switch {shown} on the running service (--chaos-sut-env)", extra_env=extra_env)
            self._extra_env = {k: v for k, v in extra_env.items() if v}
            self._paused = False
            self._started()

    def ensure_running(self) -> None:
        """Resume it if the suite paused it; start it if it is down; wait until ready."""
        with self._lock:
            if self._paused:
                self.part.deliver(signal.SIGCONT, whom="the service")
                self._paused = False
            if not self.is_alive():
                if self.part.declares(Action.START):
                    self.part.run(Action.START, "start the service", needed_for="start the service again")
                else:
                    self.part.run(Action.RESTART, "restart the service", needed_for="start the service again")
            self._started()

    def logs(self, *, tail: int | None = None) -> str:
        """What the logs command prints (empty without one); `tail` keeps its last lines."""
        if not self.part.declares(Action.LOGS):
            return ""
        text = self.part.run(Action.LOGS, "read the service's log", needed_for="read the log", check=False).stdout
        return "\n".join(text.splitlines()[-tail:]) if tail is not None else text

    def close(self) -> None:
        with self._state:
            self._closed = True
            self._watch_until = 0.0
        watcher = self._watcher
        if watcher is not None:
            watcher.join(10.0)

    # --- watching ----------------------------------------------------------------------------------

    def _require_watch(self, needed_for: str) -> None:
        for action in (Action.PID, Action.EXIT_CODE):
            if not self.part.declares(action):
                raise CommandNotDeclared(key=f"[attach.service].{action.value}", needed_for=needed_for)

    def _started(self) -> None:
        """A new instance runs (after a start, restart or redeploy): forget the last exit, wait ready."""
        with self._state:
            self._generation += 1
            self._exit = None
            self._identity = None
            self._last_signal = None
            self._watch_error = None
        self.wait_ready()
        if self.part.declares(Action.PID):
            self.pid()
        self.part.disarm()

    def _keep_watching(self) -> None:
        if not self.part.declares(Action.PID, Action.EXIT_CODE):
            return
        with self._state:
            if self._closed:
                return
            self._watch_until = time.monotonic() + WATCH_LINGER_S
            if self._watcher is not None and self._watcher.is_alive():
                return
            self._watcher = threading.Thread(target=self._watch, name="chaos-attach-watch", daemon=True)
            self._watcher.start()

    def _watch(self) -> None:
        while True:
            with self._state:
                if time.monotonic() >= self._watch_until or self._exit is not None:
                    return
                known, generation = self._identity, self._generation
            try:
                now = self.part.query_pid()
                if known is not None and now != known:
                    code = self._ended_with()
                    if code is not None:
                        with self._state:
                            if generation == self._generation:   # not an instance started meanwhile
                                self._exit = code
                        return
                elif known is None and now is not None:
                    with self._state:
                        if generation == self._generation:
                            self._identity = now
            except ChaosError as exc:
                with self._state:
                    self._watch_error = exc
                return
            time.sleep(WATCH_INTERVAL_S)

    def _ended_with(self) -> int | None:
        """The exit_code command's answer for the instance that just ended (None: not known yet)."""
        result = self.part.run(Action.EXIT_CODE, "exit code of the service", needed_for="see how the service "
                               "exited", check=False)
        code = parse_exit_code(result.stdout) if result.record.exit_code == 0 else None
        if code is None and self._last_signal is signal.SIGKILL:
            return -int(signal.SIGKILL)   # nothing survives SIGKILL to report otherwise
        return code
