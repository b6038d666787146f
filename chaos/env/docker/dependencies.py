"""Dependency handles of the docker backend: Postgres, Redis and the fake API as compose containers.

Same protocol as the local handles (chaos.env.base); lifecycle calls act on the container:

| call | engine action | restart policy |
|---|---|---|
| `restart()` | `docker restart`, then wait until it accepts connections | - |
| `stop()` | `docker stop` (an operator stop) | never restarts it |
| `start()` | `docker start` (or unpause), then wait until ready | - |
| `kill(sig)` | `sig` to the container's main process (as a crash would come) | applies: it may come back |
| `pause()` / `resume()` | `docker pause` / `unpause` (cgroup freezer): clients hang | - |

Readiness is checked from the suite, through the same path as clients (a Postgres login, a Redis
PING, a control call to the fake API), not only through the engine's health status.
"""

from __future__ import annotations

import signal
import socket
import threading
import time

from chaos.env.base import Endpoint
from chaos.env.docker._container import ContainerState, ServiceContainer, SignalRoute
from chaos.env.docker._topology import DependencyPorts
from chaos.env.ports import port_accepts, wait_port_closed
from chaos.env.postgres_admin import PostgresAdmin, admin_conninfo
from chaos.env.psql import SqlConnection, find_psql, run_sql_file
from chaos.env.redis_admin import RedisAdmin
from chaos.env.signals import FATAL_SIGNALS
from chaos.env.urls import dependency_url
from chaos.errors import DependencyStartTimeout
from chaos.targetfile import Dependency
from chaos.upstream.control import UpstreamControl
from chaos.waiting import WaitTimeout, wait_until

__all__ = ["DockerDependency", "DockerPostgres", "DockerRedis", "DockerUpstream"]

_LOG_TAIL_LINES = 30


class DockerDependency:
    """Base of the dependency handles; subclasses set `kind` and implement `_check_ready`."""

    kind: str = ""
    stop_timeout_s: float = 10.0
    start_timeout_s: float = 30.0

    def __init__(self, *, ports: DependencyPorts, container: ServiceContainer) -> None:
        self.dependency: Dependency = ports.dependency
        self.name = ports.dependency.name
        self.service = ports.service
        self.direct: Endpoint = ports.direct
        self.proxied: Endpoint = ports.proxied
        self.proxy_name = self.name     # one Toxiproxy per compose project: no prefix needed
        self.container = container
        self.last_signal_route: SignalRoute | None = None
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name}, service {self.service}, {self.direct.address})"

    # --- for subclasses ----------------------------------------------------------------------------

    def _check_ready(self) -> bool:
        raise NotImplementedError

    # --- DependencyHandle ----------------------------------------------------------------------------

    def url(self, *, proxied: bool = True) -> str:
        return dependency_url(self.dependency, self.proxied if proxied else self.direct)

    def state(self) -> ContainerState:
        return self.container.state()

    def pid(self) -> int | None:
        state = self.container.state()
        return state.pid if state.running and not state.restarting else None

    def is_running(self) -> bool:
        """The container runs (paused counts, as a SIGSTOPped process does locally) and `direct` accepts."""
        state = self.container.state()
        return state.running and not state.restarting and port_accepts(self.direct)

    def is_paused(self) -> bool:
        return self.container.state().paused

    def wait_ready(self, timeout_s: float = 15.0) -> None:
        """Until the probe passes; DependencyStartTimeout with the container's log if it never does."""
        last = ["not checked yet"]

        def probe() -> bool:
            state = self.container.state()
            if state.paused:
                last[0] = "the container is paused"
                return False
            if not state.running or state.restarting:
                last[0] = f"the container is {state.status} (exit code {state.exit_code})"
                return False
            try:
                return self._check_ready()
            except Exception as exc:
                health = f" (engine health check: {state.health})" if state.health else ""
                last[0] = f"{type(exc).__name__}: {exc}{health}"
                return False

        try:
            wait_until(probe, timeout_s=timeout_s, interval_s=0.05, what=f"{self.kind} {self.name} ready")
        except WaitTimeout:
            raise DependencyStartTimeout(
                name=f"{self.kind} {self.name} (container {self.container.project}/{self.service})",
                timeout_s=timeout_s, last_error=last[0],
                log_tail=self.container.logs(tail=_LOG_TAIL_LINES)) from None

    def restart(self) -> None:
        with self._lock:
            self.container.restart(self.stop_timeout_s)
            self.wait_ready(self.start_timeout_s)

    def stop(self) -> None:
        """An operator stop: `docker stop` (its stop signal, then SIGKILL); the engine leaves it down."""
        with self._lock:
            self.container.stop(self.stop_timeout_s)
            wait_port_closed(self.direct, name=self.name)

    def start(self) -> None:
        with self._lock:
            state = self.container.state()
            if state.paused:
                self.container.unpause()
            elif not state.running:
                self.container.start()
            self.wait_ready(self.start_timeout_s)

    def kill(self, sig: signal.Signals = signal.SIGKILL) -> None:
        """`sig` to the container's main process. For a fatal signal, returns once that process has
        exited (its `die` event): the restart policy may already be bringing the container back, so
        use `stop()` for a dependency that must stay down."""
        with self._lock:
            before = self.container.state()
            since = time.time() - 0.5
            if before.paused and sig is not signal.SIGKILL:
                self.container.unpause()   # a frozen process would not act on the signal
            self.last_signal_route = self.container.deliver_signal(sig)
            if sig in FATAL_SIGNALS:
                wait_until(lambda: self._died_since(since, before), timeout_s=self.stop_timeout_s + 5,
                           interval_s=0.05, what=f"{self.kind} {self.name} to exit after {sig.name}")

    def _died_since(self, since: float, before: ContainerState) -> bool:
        state = self.container.state()
        if not state.running or state.restarting or state.restart_count > before.restart_count:
            return True
        return bool(self.container.exits_since(since))

    def pause(self) -> None:
        with self._lock:
            self.container.pause()

    def resume(self) -> None:
        with self._lock:
            if self.container.state().paused:
                self.container.unpause()

    def logs(self, *, tail: int | None = None) -> str:
        return self.container.logs(tail=tail)

    def recover(self) -> list[str]:
        """heal()'s step: unpause, start, or wait for the restart policy to bring it back; what was done."""
        repairs: list[str] = []
        state = self.state()
        if state.paused:
            self.resume()
            repairs.append(f"unpaused {self.kind} {self.name} (container {self.service})")
        if not state.running:
            self.start()
            repairs.append(f"started {self.kind} {self.name} again (container was {state.status})")
        elif state.restarting or not self.is_running():
            self.wait_ready(self.start_timeout_s)
            repairs.append(f"waited for {self.kind} {self.name} to come back (restart policy)")
        return repairs

    def close(self) -> None:
        """Nothing of its own to release (the project's `down` removes the container)."""


class DockerPostgres(PostgresAdmin, DockerDependency):
    """A `PostgresHandle` on a Postgres container (official image or the local build)."""

    kind = "postgres"
    start_timeout_s = 60.0    # the first start initialises a cluster

    def dsn(self, *, proxied: bool = True) -> str:
        return self.url(proxied=proxied)

    def admin_dsn(self) -> str:
        """The target's role (the superuser the image created), straight to the server, tagged so it
        never counts as one of the SUT's connections."""
        dep = self.dependency
        return admin_conninfo(self.direct, user=dep.user, password=dep.password, dbname=dep.database)

    def run_init_sql(self) -> None:
        """The target's init_sql, once, on the fresh database."""
        dep = self.dependency
        if dep.init_sql is not None:
            run_sql_file(dep.init_sql, SqlConnection(endpoint=self.direct, user=dep.user, password=dep.password,
                                                     dbname=dep.database), psql=find_psql())


class DockerRedis(RedisAdmin, DockerDependency):
    """A `RedisHandle` on a Redis container."""

    kind = "redis"
    stop_timeout_s = 5.0


class DockerUpstream(DockerDependency):
    """An `HttpUpstreamHandle` on the fake external API's container."""

    kind = "http"
    stop_timeout_s = 5.0

    def __init__(self, *, ports: DependencyPorts, container: ServiceContainer) -> None:
        super().__init__(ports=ports, container=container)
        self.control = UpstreamControl(self.url(proxied=False))

    def _check_ready(self) -> bool:
        # A control call, not an API call: it is not logged as traffic. A bare connect first keeps
        # the probe cheap while nothing listens yet.
        with socket.create_connection((self.direct.host, self.direct.port), timeout=0.5):
            pass
        self.control.behaviour()
        return True

    def close(self) -> None:
        self.control.close()
