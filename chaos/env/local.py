"""The local backend: the SUT and its dependencies as processes of ours on loopback.

`LocalBackend().start(target)` returns a running `LocalEnvironment`: Postgres, Redis and the fake
external API started in parallel, one proxy per dependency, and the SUT pointed at the proxies.
Everything is isolated per environment (ports from the OS, a temp work dir, proxy names with the
worker id), recorded in the registry as it starts, and reaped by `close()` in reverse order.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from chaos.env._server import LocalServer
from chaos.env.base import DependencyHandle, SutHandle
from chaos.env.healing import heal_environment
from chaos.env.ports import free_port
from chaos.env.postgres import LocalPostgres
from chaos.env.process import process_start_ticks
from chaos.env.proxies import ProxyServer
from chaos.env.redis import LocalRedis
from chaos.env.registry import EnvRecord, EnvTracker, Registry
from chaos.env.sut import LocalSut
from chaos.env.tools import find_postgres, find_redis_server, postgres_run_as
from chaos.env.upstream import LocalUpstream
from chaos.proxy.client import ToxiproxyClient
from chaos.target import DependencyKind, Target

__all__ = ["LocalBackend", "LocalEnvironment"]

log = logging.getLogger("chaos.env")

_S = TypeVar("_S", bound=LocalServer)


class LocalBackend:
    """Starts environments as local processes.

    `toxiproxy_url`: a real Toxiproxy to create the proxies on; None (the default) means
    $TOXIPROXY_URL if set, else an embedded proxy per environment; "" forces the embedded one.
    The environment variable is read here, once, when the backend is configured.
    """

    name = "local"

    def __init__(self, *, toxiproxy_url: str | None = None, cache_dir: Path | None = None,
                 registry: Registry | None = None, python: str = sys.executable, detached: bool = False,
                 dependency_timeout_s: float = 15.0, proxy_seed: int | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        if toxiproxy_url is None:
            toxiproxy_url = (os.environ if environ is None else environ).get("TOXIPROXY_URL", "")
        self.toxiproxy_url = toxiproxy_url or None
        self.cache_dir = cache_dir
        self.registry = registry or Registry()
        self.python = python
        self.detached = detached
        self.dependency_timeout_s = dependency_timeout_s
        self.proxy_seed = proxy_seed   # the embedded proxy's toxicity/jitter seed (--chaos-seed)

    def start(self, target: Target, *, worker_id: str = "main", sut_env: Mapping[str, str] | None = None,
              workdir: Path | None = None) -> LocalEnvironment:
        """Start everything the target needs and return once the SUT is ready.

        Environments whose owner died are reaped first (listed in `env.reaped`). On any failure,
        whatever was started is closed before the error propagates. `workdir` (created if missing)
        is removed by close(), like the temp dir used when none is given.
        """
        reaped = self.registry.reap_stale()
        if workdir is None:
            workdir = Path(tempfile.mkdtemp(prefix=f"chaos-{worker_id}-"))
        else:
            workdir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            os.chmod(workdir, 0o711)   # Postgres runs as another user and must reach its data dir
        env_id = f"{worker_id}-{secrets.token_hex(3)}"
        self.registry.save(EnvRecord(
            env_id=env_id, owner_pid=os.getpid(), owner_start=process_start_ticks(os.getpid()) or 0,
            workdir=str(workdir), detached=self.detached, created=time.time()))
        env = LocalEnvironment(target=target, env_id=env_id, workdir=workdir, registry=self.registry)
        env.reaped = reaped
        try:
            env._start_all(self, dict(sut_env or {}))
        except BaseException as exc:
            try:
                env.close()
            except Exception as close_exc:
                exc.add_note(f"also, closing the half-started environment failed: {close_exc}")
            raise
        return env


class LocalEnvironment:
    """A running local environment (implements `chaos.env.base.Environment`).

    `proxy`, `proxy_url` and `sut` are set once start-up got that far (LocalBackend.start only
    returns fully started environments).
    """

    backend = "local"
    proxy: ToxiproxyClient
    proxy_url: str
    sut: SutHandle

    def __init__(self, *, target: Target, env_id: str, workdir: Path, registry: Registry) -> None:
        self.target = target
        self.env_id = env_id
        self.workdir = workdir
        self.registry = registry
        self._deps: dict[str, DependencyHandle] = {}
        self.dependencies: Mapping[str, DependencyHandle] = self._deps
        self.reaped: list[str] = []
        self.startup_times: dict[str, float] = {}   # seconds per part, for bench/env_startup.py
        self._servers: dict[str, LocalServer] = {}
        self._proxy_server: ProxyServer | None = None
        self._sut: LocalSut | None = None
        self._closers: list[tuple[str, Callable[[], None]]] = []
        self.tracker = EnvTracker(registry, env_id)
        self._closed = False

    # --- Environment -------------------------------------------------------------------------------

    @property
    def local_sut(self) -> LocalSut:
        """The SUT handle with the local backend's extras (log_path, env, stop, is_stopped)."""
        if self._sut is None:
            raise RuntimeError(f"environment {self.env_id}: the SUT is not started")
        return self._sut

    def dependency(self, name: str) -> DependencyHandle:
        try:
            return self.dependencies[name]
        except KeyError:
            raise KeyError(f"no dependency {name!r} in {self.target.path} "
                           f"(declared: {', '.join(self.dependencies) or 'none'})") from None

    def postgres(self, name: str | None = None) -> LocalPostgres:
        """The Postgres dependency called `name`, or the only one."""
        return self._one(LocalPostgres, DependencyKind.POSTGRES, name)

    def redis(self, name: str | None = None) -> LocalRedis:
        return self._one(LocalRedis, DependencyKind.REDIS, name)

    def upstream(self, name: str | None = None) -> LocalUpstream:
        return self._one(LocalUpstream, DependencyKind.HTTP, name)

    def urls(self) -> dict[str, str]:
        """What `chaos up` prints: the SUT, each dependency direct and proxied, the proxy API."""
        urls = {"sut": self.sut.base_url, "proxy api": self.proxy_url}
        for name, server in self._servers.items():
            urls[f"{name} (proxied)"] = server.url(proxied=True)
            urls[f"{name} (direct)"] = server.url(proxied=False)
        return urls

    def heal(self) -> list[str]:
        """Back to the healthy baseline (see the Environment protocol); returns what was repaired."""
        return heal_environment(servers=self._servers, proxies=self._require_proxy(), sut=self.local_sut)

    def close(self) -> None:
        """Reap everything in reverse start order, remove the work dir and the registry record.

        Idempotent, and safe to call again after an interrupted close (every step is idempotent and
        the environment only counts as closed once all steps ran). Every step runs even if an
        earlier one fails; failures are raised together at the end, and the registry record is then
        kept so a later run reaps what survived.
        """
        if self._closed:
            return
        errors: list[str] = []
        # the next environment's Postgres copy is made now, in parallel with the shutdown (which is
        # mostly waiting), so that the next start-up only renames it into place
        spare_maker = threading.Thread(target=self._replenish_spares, name=f"chaos-spare-{self.env_id}")
        spare_maker.start()
        for label, closer in reversed(self._closers):
            try:
                closer()
            except Exception as exc:
                errors.append(f"{label}: {type(exc).__name__}: {exc}")
        spare_maker.join(60.0)   # a copy takes well under a second; the bound guards a stuck disk
        shutil.rmtree(self.workdir, ignore_errors=True)
        if self.workdir.exists():
            errors.append(f"work dir {self.workdir} could not be removed")
        self._closed = True
        if errors:
            raise RuntimeError(f"closing environment {self.env_id} left problems: " + "; ".join(errors))
        self.registry.remove(self.env_id)

    def _replenish_spares(self) -> None:
        for server in self._servers.values():
            if isinstance(server, LocalPostgres):
                try:
                    server.replenish_spare()
                except Exception as exc:   # a missing spare only costs the next start-up a copy
                    log.warning("could not prepare a spare Postgres cluster: %s", exc)

    def __enter__(self) -> LocalEnvironment:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- start-up ----------------------------------------------------------------------------------

    def _start_all(self, backend: LocalBackend, sut_env: dict[str, str]) -> None:
        t0 = time.monotonic()
        self._build_servers(backend)
        proxy_server = ProxyServer(external_url=backend.toxiproxy_url, dir=self.workdir / "proxy",
                                   python=backend.python, tracker=self.tracker, seed=backend.proxy_seed)
        self._proxy_server = proxy_server
        self._closers.append(("proxies", proxy_server.close))
        for name, server in self._servers.items():
            self._closers.append((f"{server.kind} {name}", server.close))

        def timed(label: str, fn: Callable[[], None]) -> Callable[[], None]:
            def run() -> None:
                start = time.monotonic()
                fn()
                self.startup_times[label] = time.monotonic() - start
            return run

        with ThreadPoolExecutor(max_workers=len(self._servers) + 1, thread_name_prefix="chaos-start") as pool:
            proxy_future = pool.submit(timed("proxy server", proxy_server.start))
            futures: list[Future[None]] = [
                pool.submit(timed(name, server.start)) for name, server in self._servers.items()]
            proxy_future.result()
            self.proxy, self.proxy_url = proxy_server.client, proxy_server.url
            start = time.monotonic()
            names = [f"{self.env_id}-{name}" for name in self._servers]
            # recorded before they exist: a run killed in between leaves nothing unknown on a real Toxiproxy
            self.registry.update(self.env_id, proxy_url=proxy_server.url, proxy_external=proxy_server.external,
                                 proxy_names=tuple(names))
            for proxy_name, server in zip(names, self._servers.values(), strict=True):
                server.attach_proxy(proxy_name, proxy_server.create(proxy_name, server.direct))
            self.startup_times["proxies"] = time.monotonic() - start
            for future in futures:
                future.result()
        for name, server in self._servers.items():
            for step, seconds in server.timings.items():
                self.startup_times[f"{name}.{step}"] = seconds

        start = time.monotonic()
        sut = LocalSut(service=self.target.service, values=self._template_values(backend), sut_env=sut_env,
                       dir=self.workdir / "sut", tracker=self.tracker)
        self._sut = self.sut = sut
        self._closers.append(("the SUT", sut.close))
        sut.launch()
        sut.wait_ready()
        self.startup_times["sut"] = time.monotonic() - start
        self.startup_times["total"] = time.monotonic() - t0
        self.registry.update(self.env_id, urls=self.urls())

    def _build_servers(self, backend: LocalBackend) -> None:
        deps = self.target.dependencies
        kinds = {d.kind for d in deps.values()}
        # look tools up front: a missing binary is a ToolMissing before anything starts
        pg_tools = find_postgres() if DependencyKind.POSTGRES in kinds else None
        pg_user = postgres_run_as() if DependencyKind.POSTGRES in kinds else None
        redis_server = find_redis_server() if DependencyKind.REDIS in kinds else None
        for name, dep in deps.items():
            directory, port = self.workdir / name, free_port()
            server: LocalServer
            if dep.kind is DependencyKind.POSTGRES:
                assert pg_tools is not None
                server = LocalPostgres(dependency=dep, dir=directory, port=port, tracker=self.tracker,
                                       tools=pg_tools, run_as=pg_user, cache_dir=backend.cache_dir,
                                       spares_dir=backend.registry.root / "pg-spares")
            elif dep.kind is DependencyKind.REDIS:
                assert redis_server is not None
                server = LocalRedis(name=name, dir=directory, port=port, tracker=self.tracker,
                                    redis_server=redis_server)
            else:
                server = LocalUpstream(name=name, dir=directory, port=port, tracker=self.tracker,
                                       python=backend.python)
            server.start_timeout_s = backend.dependency_timeout_s
            self._servers[name] = server
            self._deps[name] = server

    def _template_values(self, backend: LocalBackend) -> dict[str, str]:
        values = {"python": backend.python, "port": str(free_port()),
                  "target_dir": str(self.target.target_dir), "workdir": str(self.workdir)}
        for name, server in self._servers.items():
            values[f"{name}.url"] = server.url(proxied=True)
            values[f"{name}.host"] = server.proxied.host
            values[f"{name}.port"] = str(server.proxied.port)
        return values

    # --- helpers -----------------------------------------------------------------------------------

    def _require_proxy(self) -> ProxyServer:
        if self._proxy_server is None:
            raise RuntimeError(f"environment {self.env_id}: the proxy server is not started")
        return self._proxy_server

    def _one(self, cls: type[_S], kind: DependencyKind, name: str | None) -> _S:
        found = [s for n, s in self._servers.items() if isinstance(s, cls) and (name is None or n == name)]
        if len(found) != 1:
            have = [n for n, s in self._servers.items() if isinstance(s, cls)]
            raise KeyError(f"{self.target.path}: expected one {kind.value} dependency"
                           f"{f' named {name!r}' if name else ''}, found {have or 'none'}")
        return found[0]


if TYPE_CHECKING:   # mypy proves, on every run, that the local backend implements the protocols
    from chaos.env.base import Backend, Environment, HttpUpstreamHandle, PostgresHandle, RedisHandle

    def _conforms(*, backend: LocalBackend, env: LocalEnvironment, pg: LocalPostgres, rd: LocalRedis,
                  up: LocalUpstream, sut: LocalSut) -> tuple[Backend, Environment, PostgresHandle,
                                                              RedisHandle, HttpUpstreamHandle, SutHandle]:
        return backend, env, pg, rd, up, sut
