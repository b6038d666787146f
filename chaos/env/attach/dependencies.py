"""Dependency handles of attach mode: a proxy on the Toxiproxy, admin access, declared commands.

Same protocol as the managed handles (chaos.env.base). `direct` is the proxy's upstream and
`proxied` its listener, as the Toxiproxy reports them (a listener on every interface is reached
at the Toxiproxy's host). Readiness is the target's `ready` command, else the kind's admin access
(a Postgres login, a Redis PING, a control call to the fake API); a dependency with neither has no
lifecycle commands (the loader refuses them) and counts as running.

| call | commands | then |
|---|---|---|
| `restart()` | restart, else stop + start | wait until ready |
| `stop()` | stop | wait (bounded) until it no longer answers |
| `start()` | start (or resume, if the suite paused it) | wait until ready |
| `kill(sig)` | kill for SIGKILL, else signal `{signal}` | for a fatal signal, as stop |
| `pause()` / `resume()` | pause / resume, else signal STOP / CONT | - |
"""

from __future__ import annotations

import contextlib
import signal
from typing import Final

import psycopg
import redis as redis_py

from chaos.env.attach._component import Component, wait_ready
from chaos.env.attach.commands import CommandRunner
from chaos.env.base import Endpoint
from chaos.env.postgres_admin import ADMIN_APPLICATION_NAME, PostgresAdmin
from chaos.env.redis_admin import ADMIN_CLIENT_NAME
from chaos.env.signals import FATAL_SIGNALS
from chaos.env.urls import dependency_url
from chaos.errors import DependencyStartTimeout
from chaos.proxy.client import ProxyInfo
from chaos.targetfile import Dependency
from chaos.targetfile.attach import Action, AttachedDependency
from chaos.upstream.control import UpstreamControl
from chaos.waiting import WaitTimeout, wait_until

__all__ = ["AttachDependency", "AttachPostgres", "AttachRedis", "AttachUpstream", "attach_dependency",
           "endpoint_of"]

DOWN_WAIT_S: Final = 10.0
"""After a stop or a fatal signal, how long to wait for the dependency to stop answering (an
orchestrator may bring it back first: then the fault's receipt shows no effect)."""
_WILDCARDS: Final = frozenset({"0.0.0.0", "::", "[::]", ""})


def endpoint_of(address: str, *, wildcard_host: str) -> Endpoint:
    """ "host:port" (as Toxiproxy reports listen and upstream) as an Endpoint; a wildcard host is
    `wildcard_host` (where the runner reaches the Toxiproxy)."""
    host, _, port = address.rpartition(":")
    host = wildcard_host if host in _WILDCARDS else host.strip("[]")
    try:
        return Endpoint(host=host, port=int(port))
    except ValueError:
        return Endpoint(host=host or wildcard_host, port=0)


class AttachDependency:
    """Base of the attached dependency handles; `_admin_ready` is the kind's readiness (if any)."""

    def __init__(self, *, dependency: Dependency, spec: AttachedDependency, runner: CommandRunner,
                 proxy: ProxyInfo, toxiproxy_host: str) -> None:
        self.dependency = dependency
        self.spec = spec
        self.name = dependency.name
        self.kind = dependency.kind.value
        self.proxy_name = spec.proxy
        self.direct = endpoint_of(proxy.upstream, wildcard_host=toxiproxy_host)
        self.proxied = endpoint_of(proxy.listen, wildcard_host=toxiproxy_host)
        self.part = Component(component=self.name, key=f"[attach.dependencies.{self.name}]",
                              commands=spec.commands, runner=runner)
        self._paused = False

    @property
    def label(self) -> str:
        """ "redis", or "postgres orders" when the name does not say the kind."""
        return self.name if self.name == self.kind else f"{self.kind} {self.name}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name}, proxy {self.proxy_name}, upstream {self.direct.address})"

    # --- readiness ---------------------------------------------------------------------------------

    def _admin_ready(self) -> bool | None:
        """One readiness check through the kind's admin access; None when there is none."""
        return None

    def _check_ready(self) -> bool:
        if self.part.declares(Action.READY):
            result = self.part.run(Action.READY, f"is {self.name} ready", needed_for="check readiness", check=False)
            return result.record.exit_code == 0
        ready = self._admin_ready()
        return True if ready is None else ready

    def is_running(self) -> bool:
        """One readiness check (True when the target gives none: the suite cannot tell)."""
        try:
            return self._check_ready()
        except Exception:   # a refused login or PING is "not running", whatever the driver raised
            return False

    def wait_ready(self, timeout_s: float | None = None) -> None:
        wait_ready(self._check_ready, timeout_s=timeout_s or self.spec.ready_timeout_s,
                   name=f"{self.label} (attached)")

    def _wait_down(self, pid_before: int | None) -> None:
        """Bounded: until it no longer answers, or its identity changed (it was replaced)."""
        def down() -> bool:
            if pid_before is not None and self.part.query_pid() != pid_before:
                return True
            return not self.is_running()

        with contextlib.suppress(WaitTimeout):   # the fault's receipt says whether it went down
            wait_until(down, timeout_s=min(DOWN_WAIT_S, self.spec.ready_timeout_s), interval_s=0.1,
                       what=f"{self.name} down")

    # --- DependencyHandle --------------------------------------------------------------------------

    def url(self, *, proxied: bool = True) -> str:
        return dependency_url(self.dependency, self.proxied if proxied else self.direct)

    def pid(self) -> int | None:
        return self.part.query_pid()

    def restart(self) -> None:
        if self.part.declares(Action.RESTART):
            self._arm_start()
            self.part.run(Action.RESTART, f"restart {self.name}", needed_for=f"restart {self.name}")
            self._paused = False
            self.wait_ready()
            self.part.disarm()
            return
        self.stop()
        self.start()

    def stop(self) -> None:
        before = self.pid()
        self._arm_start()
        self.part.run(Action.STOP, f"stop {self.name}", needed_for=f"stop {self.name}")
        self._paused = False
        self._wait_down(before)

    def start(self) -> None:
        if self._paused:
            self.resume()
            if self.is_running():
                return
        self.part.run(Action.START, f"start {self.name}", needed_for=f"start {self.name}")
        self.wait_ready()
        self.part.disarm()

    def kill(self, sig: signal.Signals = signal.SIGKILL) -> None:
        before = self.pid()
        if self._paused and sig is not signal.SIGKILL:
            self.resume()   # a frozen process would not act on the signal
        if sig in FATAL_SIGNALS:
            self._arm_start()
        self.part.deliver(sig, whom=self.name)
        if sig in FATAL_SIGNALS:
            self._paused = False
            self._wait_down(before)

    def pause(self) -> None:
        self.part.arm(Action.RESUME, Action.SIGNAL, what=f"resume {self.name}", sig=signal.SIGCONT)
        self.part.deliver(signal.SIGSTOP, whom=self.name)
        self._paused = True

    def resume(self) -> None:
        self.part.deliver(signal.SIGCONT, whom=self.name)
        self._paused = False
        self.part.disarm()

    def _arm_start(self) -> None:
        self.part.arm(Action.START, Action.RESTART, what=f"start {self.name}")

    def recover(self) -> list[str]:
        """heal()'s step: resume it if the suite paused it, start it if it does not answer."""
        repairs: list[str] = []
        if self._paused:
            self.resume()
            repairs.append(f"resumed {self.label} (the suite had paused it)")
        if not self.is_running():
            if not self.part.declares(Action.START, Action.RESTART):
                raise DependencyStartTimeout(
                    name=f"{self.kind} {self.name} (attached)", timeout_s=0.0,
                    last_error=f"it does not answer its readiness check and {self.part.key} declares no start "
                               "or restart command to bring it back")
            if self.part.declares(Action.START):
                self.part.run(Action.START, f"start {self.name}", needed_for=f"start {self.name}")
            else:
                self.part.run(Action.RESTART, f"restart {self.name}", needed_for=f"restart {self.name}")
            self.wait_ready()
            repairs.append(f"started {self.label} again (it did not answer its readiness check)")
        self.part.disarm()
        return repairs

    def close(self) -> None:
        """Nothing of ours to release (the deployment keeps running)."""


class AttachPostgres(AttachDependency, PostgresAdmin):
    """A `PostgresHandle`: the DB-side faults go through `admin_dsn` (tagged, never counted as the
    service's connections)."""

    def admin_dsn(self) -> str:
        assert self.spec.admin is not None
        return psycopg.conninfo.make_conninfo(self.spec.admin, application_name=ADMIN_APPLICATION_NAME,
                                              connect_timeout=2)

    def _admin_ready(self) -> bool:
        return PostgresAdmin._check_ready(self)

    def dsn(self, *, proxied: bool = True) -> str:
        return self.url(proxied=proxied)


class AttachRedis(AttachDependency):
    """A `RedisHandle` when `admin_url` is given: PING for readiness, the client count."""

    def _client(self) -> redis_py.Redis:
        assert self.spec.admin is not None
        return redis_py.Redis.from_url(self.spec.admin, socket_timeout=1.0, socket_connect_timeout=1.0,
                                       client_name=ADMIN_CLIENT_NAME)

    def _admin_ready(self) -> bool:
        with self._client() as client:
            return bool(client.ping())

    def client_count(self) -> int:
        with self._client() as client:
            return sum(1 for c in client.client_list() if c.get("name") != ADMIN_CLIENT_NAME)


class AttachUpstream(AttachDependency):
    """An `HttpUpstreamHandle` when `control_url` is given: the fake API's behaviour and request log."""

    def __init__(self, *, dependency: Dependency, spec: AttachedDependency, runner: CommandRunner,
                 proxy: ProxyInfo, toxiproxy_host: str) -> None:
        super().__init__(dependency=dependency, spec=spec, runner=runner, proxy=proxy, toxiproxy_host=toxiproxy_host)
        assert spec.admin is not None
        self.control = UpstreamControl(spec.admin)

    def _admin_ready(self) -> bool:
        self.control.behaviour()
        return True

    def close(self) -> None:
        self.control.close()


def attach_dependency(*, dependency: Dependency, spec: AttachedDependency, runner: CommandRunner,
                      proxy: ProxyInfo, toxiproxy_host: str) -> AttachDependency:
    """The handle for `dependency`: with admin access, the kind's own (so faults that need it find it)."""
    kinds: dict[str, type[AttachDependency]] = {"postgres": AttachPostgres, "redis": AttachRedis,
                                                 "http": AttachUpstream}
    cls = kinds[dependency.kind.value] if spec.admin is not None else AttachDependency
    return cls(dependency=dependency, spec=spec, runner=runner, proxy=proxy, toxiproxy_host=toxiproxy_host)
