"""What an environment gives experiments, whatever runs it: the SUT, its dependencies and the proxies.

The backends (`local`: processes on loopback, `docker`: containers, `attach`: a deployment that runs
already) implement these protocols, so faults and experiments never know which one they drive.
"""

from __future__ import annotations

import signal
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from chaos.env.command_log import CommandLog
    from chaos.env.postgres_admin import ClientBackend
    from chaos.proxy.client import ToxiproxyClient
    from chaos.targetfile import Target
    from chaos.upstream.control import UpstreamControl

__all__ = [
    "Backend",
    "DependencyHandle",
    "Endpoint",
    "Environment",
    "HttpUpstreamHandle",
    "PostgresHandle",
    "ProcessHandle",
    "RedisHandle",
    "SutHandle",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    """A TCP address on loopback (or wherever the target file allows)."""

    host: str
    port: int

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@runtime_checkable
class DependencyHandle(Protocol):
    """One dependency (Postgres, Redis, the fake external API) and the proxy in front of it.

    Lifecycle calls block until the change has taken effect: `restart` and `start` return once
    the dependency accepts connections again; `stop` and `kill` once it no longer does.
    """

    name: str            # the key under [dependencies] in the target file
    kind: str            # "postgres" | "redis" | "http"
    direct: Endpoint     # the real server
    proxied: Endpoint    # the proxy listener the SUT is pointed at
    proxy_name: str      # the proxy's name on the Toxiproxy server (carries the worker prefix)

    def url(self, *, proxied: bool = True) -> str: ...
    def pid(self) -> int | None: ...           # main process (postmaster, redis-server, ...); None if down
    def is_running(self) -> bool: ...          # accepts connections on `direct`
    def restart(self) -> None: ...
    def stop(self) -> None: ...                # an operator stop: graceful, stays down
    def start(self) -> None: ...
    def kill(self, sig: signal.Signals = signal.SIGKILL) -> None: ...  # the signal to the main process
    def pause(self) -> None: ...               # SIGSTOP / docker pause: connections hang
    def resume(self) -> None: ...
    def wait_ready(self, timeout_s: float = 15.0) -> None: ...


@runtime_checkable
class PostgresHandle(DependencyHandle, Protocol):
    def dsn(self, *, proxied: bool = True) -> str: ...
    def client_backends(self) -> list[ClientBackend]: ...   # the SUT's connections, with their state
    def client_backend_pids(self) -> list[int]: ...   # the SUT's connections (all but our admin one)
    def terminate_client_backends(self) -> list[int]: ...  # pg_terminate_backend on each; returns PIDs hit


@runtime_checkable
class RedisHandle(DependencyHandle, Protocol):
    def client_count(self) -> int: ...


@runtime_checkable
class HttpUpstreamHandle(DependencyHandle, Protocol):
    control: UpstreamControl   # behaviour switches and the request log of the fake external API


@runtime_checkable
class SutHandle(Protocol):
    """The service under test, started from the target file's [service] table."""

    base_url: str

    def pid(self) -> int | None: ...
    def is_alive(self) -> bool: ...
    def signal(self, sig: signal.Signals) -> None: ...   # to the service's process (group for STOP/CONT)
    def wait_exit(self, timeout_s: float) -> int | None: ...   # exit code (negative: killed by signal)
    def exit_code(self) -> int | None: ...
    def restart(self, *, extra_env: Mapping[str, str] | None = None) -> None: ...  # stop/reap, start, wait ready
    def ensure_running(self) -> None: ...   # start it again if it exited; wait until ready
    def wait_ready(self, timeout_s: float | None = None) -> None: ...
    def logs(self, *, tail: int | None = None) -> str: ...


@runtime_checkable
class ProcessHandle(Protocol):
    """An extra process of the target's (`[service.processes.NAME]`), started beside the SUT."""

    name: str            # the NAME of its table

    def pid(self) -> int | None: ...
    def is_alive(self) -> bool: ...
    def signal(self, sig: signal.Signals) -> None: ...   # to its main process (group for STOP/CONT)
    def wait_exit(self, timeout_s: float) -> int | None: ...   # exit code (negative: killed by signal)
    def exit_code(self) -> int | None: ...
    def ensure_running(self) -> None: ...   # thaw it or start it again; wait until ready
    def wait_ready(self, timeout_s: float | None = None) -> None: ...
    def recover(self) -> list[str]: ...     # heal()'s step: what had to be repaired
    def logs(self, *, tail: int | None = None) -> str: ...


@runtime_checkable
class Environment(Protocol):
    """A running SUT with its dependencies behind proxies; closes everything it started."""

    target: Target
    backend: str                       # "local" | "docker" | "attach"
    proxy: ToxiproxyClient
    proxy_url: str
    sut: SutHandle
    dependencies: Mapping[str, DependencyHandle]
    processes: Mapping[str, ProcessHandle]   # the target's extra processes, by name (often none)
    workdir: Path
    command_log: CommandLog            # the commands run on the deployment (attach mode), for the journal

    def dependency(self, name: str) -> DependencyHandle: ...
    def process(self, name: str) -> ProcessHandle: ...   # KeyError naming the declared ones
    def heal(self) -> list[str]:
        """Bring everything back to the healthy baseline between experiments: remove this environment's
        toxics, enable its proxies, start any stopped or paused dependency, reset the fake external
        API, and restart the SUT and the extra processes if they are not alive. Returns what had to be
        repaired (for the journal)."""

    def close(self) -> None: ...       # idempotent; reaps every process, removes data dirs and proxies
    def __enter__(self) -> Environment: ...
    def __exit__(self, *exc: object) -> None: ...


class Backend(Protocol):
    name: str

    def start(
        self,
        target: Target,
        *,
        worker_id: str = "main",
        sut_env: Mapping[str, str] | None = None,
        workdir: Path | None = None,
    ) -> Environment: ...
