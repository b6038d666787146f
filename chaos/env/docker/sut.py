"""The service under test as a compose container (the `SutHandle` of the docker backend).

The service runs under `init: true` (docker-init forwards signals and reaps zombies), with the
`on-failure` restart policy: a crash, or a fatal signal delivered to its main process, brings it
back; the clean exit 0 of a graceful drain leaves it down so `wait_exit` can report it. Exits are
read from the engine's `die` events, so one the restart policy already undid is still seen.
Exit codes follow the local backend: 128+N (killed by signal N) is reported as -N.
"""

from __future__ import annotations

import enum
import signal
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from chaos.env.docker._container import ServiceContainer, SignalRoute, exit_code_from_status
from chaos.env.service import ServiceHandle
from chaos.errors import DependencyStartTimeout, EngineError, ExitedBeforeReady
from chaos.targetfile import Service
from chaos.waiting import WaitTimeout, wait_until

__all__ = ["DockerSut", "write_env_file"]

_LOG_TAIL_LINES = 40


def write_env_file(path: Path, env: Mapping[str, str]) -> None:
    """An env file both Compose versions read the same way: KEY=VALUE, no quotes, no newlines."""
    lines = []
    for key, value in env.items():
        if "\n" in value or "\r" in value:
            raise ValueError(f"environment variable {key} for the SUT contains a newline, which an env file "
                             "cannot carry")
        lines.append(f"{key}={value}")
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n")
    tmp.replace(path)


class DockerSut(ServiceHandle):
    """A `SutHandle` over the SUT's container. `recreate` re-runs Compose for it (new environment).

    Its `env` is what the container is created with (the env file's content)."""

    thawed_note = "unpaused the SUT's container"

    def __init__(self, *, service: Service, base_url: str, container: ServiceContainer,
                 env: Mapping[str, str], env_file: Path, recreate: Callable[[], None]) -> None:
        super().__init__(service=service, base_url=base_url, env=env)
        self.container = container
        self.env_file = env_file
        self.last_signal_route: SignalRoute | None = None
        self._recreate = recreate
        self._epoch = time.time()   # exits before this belong to an earlier run
        self._epoch_restarts = 0    # the restart policy's count at that time
        write_env_file(env_file, env)

    # --- readiness ---------------------------------------------------------------------------------

    def wait_ready(self, timeout_s: float | None = None) -> None:
        """Until health (and readiness) answer 200; a timeout or an exit quotes the container's log.

        Fails fast when the container stopped for good (exited, and no restart is coming)."""
        timeout = timeout_s or self.service.start_timeout_s
        last = ["not checked yet"]

        def check() -> _Outcome | None:
            state = self.container.state()
            if not state.running and state.status in ("exited", "dead"):
                last[0] = f"the container exited with code {state.exit_code}"
                return _Outcome.EXITED
            if (state.restarting or state.restart_count > self._epoch_restarts) and self._exits():
                # it died while starting (not before: that run is the restart policy's to replace);
                # the policy would only repeat that
                last[0] = f"the service exited with code {self.exit_code()} and is being restarted"
                return _Outcome.EXITED
            try:
                return _Outcome.READY if self._probe() else None
            except Exception as exc:
                last[0] = f"{type(exc).__name__}: {exc}"
                return None

        name = f"the SUT ({self.base_url}, container {self.container.project}/{self.container.service})"
        try:
            outcome = wait_until(check, timeout_s=timeout, interval_s=0.05, what=f"{name} ready")
        except WaitTimeout:
            raise DependencyStartTimeout(name=name, timeout_s=timeout, last_error=last[0],
                                         log_tail=self.logs(tail=_LOG_TAIL_LINES)) from None
        if outcome is _Outcome.EXITED:
            raise ExitedBeforeReady(name=name, exit_code=self.exit_code(), after_s=time.time() - self._epoch,
                                    log_tail=self.logs(tail=_LOG_TAIL_LINES))

    # --- SutHandle ---------------------------------------------------------------------------------

    def pid(self) -> int | None:
        state = self.container.state()
        return state.pid if state.running and not state.restarting else None

    def is_alive(self) -> bool:
        """The process that was started last still runs (paused counts) and has not died since."""
        state = self.container.state()
        return state.running and not state.restarting and not self._exits()

    def is_paused(self) -> bool:
        return self.container.state().paused

    def is_frozen(self) -> bool:
        return self.is_paused()

    def signal(self, sig: signal.Signals) -> None:
        """`sig` to the service's main process; SIGSTOP/SIGCONT freeze and thaw the whole container
        (docker pause), the container's equivalent of signalling the local process group."""
        with self._lock:
            if sig is signal.SIGSTOP:
                self.container.pause()
            elif sig is signal.SIGCONT:
                if self.container.state().paused:
                    self.container.unpause()
            else:
                self.last_signal_route = self.container.deliver_signal(sig)

    def _exits(self) -> list[int]:
        return self.container.exits_since(self._epoch)

    def exit_code(self) -> int | None:
        """How the last run ended (-N: signal N), or None while it has not ended."""
        exits = self._exits()
        if exits:
            return exit_code_from_status(exits[-1])
        state = self.container.state()
        if not state.running and state.status in ("exited", "dead"):
            return exit_code_from_status(state.exit_code)
        return None

    def wait_exit(self, timeout_s: float) -> int | None:
        """The exit code once the last run ended, or None if it still runs after `timeout_s`."""
        try:
            code: int = wait_until(lambda: _Code(self.exit_code()), timeout_s=timeout_s, interval_s=0.05,
                                   what="the SUT to exit").value
        except WaitTimeout:
            return None
        return code

    def stop(self) -> int | None:
        """An operator stop (SIGTERM, shutdown_grace_s, then SIGKILL); returns the exit code."""
        with self._lock:
            self.container.stop(self.service.shutdown_grace_s)
            return self.exit_code()

    def restart(self, *, extra_env: Mapping[str, str] | None = None) -> None:
        """Stop gracefully and start again, then wait until ready. With a different `extra_env` the
        container is re-created by Compose (an environment cannot change in place); `extra_env` stays
        in force until the next restart() replaces it."""
        with self._lock:
            extra = dict(extra_env or {})
            if extra != self._extra_env:
                self._extra_env = extra
                write_env_file(self.env_file, self.env)
                self._recreate()
                self._mark_epoch()
            else:
                if self.container.state().paused:
                    self.container.unpause()
                self.container.restart(self.service.shutdown_grace_s)
                self._mark_epoch()
            self.wait_ready()

    def ensure_running(self) -> None:
        """Thaw it if paused; start it if it exited (or wait for the restart policy); wait until ready."""
        with self._lock:
            state = self.container.state()
            if state.paused:
                self.container.unpause()
            elif not state.running:
                try:
                    self.container.start()
                except EngineError:
                    if not self.container.state().running:   # not a race with the restart policy
                        raise
            self._mark_epoch()
            self.wait_ready()

    def logs(self, *, tail: int | None = None) -> str:
        return self.container.logs(tail=tail)

    def _mark_epoch(self) -> None:
        """From now on, exits and restarts count as this run's."""
        self._epoch = time.time()
        self._epoch_restarts = self.container.state().restart_count


class _Outcome(enum.Enum):
    READY = "ready"
    EXITED = "exited"


class _Code:
    """A truthy box for an exit code (0 is a valid result of a wait)."""

    def __init__(self, value: int | None) -> None:
        self.value = value if value is not None else 0
        self._set = value is not None

    def __bool__(self) -> bool:
        return self._set
