"""The local backend: the SUT and its dependencies as processes of ours on loopback.

`LocalBackend().start(target)` returns a running `LocalEnvironment`: Postgres, Redis and the fake
external API started in parallel, one proxy per dependency, and the SUT pointed at the proxies.
Everything is isolated per environment (ports from the OS, a temp work dir, proxy names with the
worker id), recorded in the registry as it starts, and reaped by `close()` in reverse order.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import secrets
import shutil
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from chaos.env._server import LocalServer
from chaos.env.environment import EnvironmentBase, make_workdir, refuse_attached
from chaos.env.extra import LocalProcess
from chaos.env.healing import ProxySpec, heal_environment
from chaos.env.pgtemplate import default_cache_dir, template_lock
from chaos.env.ports import free_port
from chaos.env.postgres import LocalPostgres
from chaos.env.prepare import ConsoleProgress, PrepareProgress, TemplateStatus, run_prepare, template_status
from chaos.env.process import process_start_ticks
from chaos.env.proxies import ProxyServer
from chaos.env.redis import LocalRedis
from chaos.env.registry import EnvRecord, EnvTracker, Registry
from chaos.env.state import default_state_dir, spares_root
from chaos.env.sut import LocalSut
from chaos.env.tools import find_postgres, find_redis_server, postgres_run_as
from chaos.env.upstream import LocalUpstream
from chaos.errors import PrepareFailed
from chaos.targetfile import DependencyKind, Target

__all__ = ["LocalBackend", "LocalEnvironment"]

log = logging.getLogger("chaos.env")

_LOCK_MARGIN_S = 120.0   # waiting for another run's build: its prepare timeout plus its start and copy


class LocalBackend:
    """Starts environments as local processes.

    `toxiproxy_url`: a real Toxiproxy to create the proxies on; None (the default) means
    $TOXIPROXY_URL if set, else an embedded proxy per environment; "" forces the embedded one.
    `registry`: None means this checkout's (chaos.env.state: $CHAOS_STATE_DIR, $XDG_RUNTIME_DIR, or
    the temp dir). `proxy_api_port`: the embedded proxy's API port, 0 for a free one (pytest runs
    several environments at once; `chaos up` asks for Toxiproxy's 8474).
    Environment variables are read here, once, when the backend is configured.
    """

    name = "local"

    def __init__(self, *, toxiproxy_url: str | None = None, cache_dir: Path | None = None,
                 registry: Registry | None = None, python: str = sys.executable, detached: bool = False,
                 dependency_timeout_s: float = 15.0, proxy_seed: int | None = None,
                 proxy_api_port: int = 0, environ: Mapping[str, str] | None = None,
                 progress: PrepareProgress | None = None) -> None:
        """`progress`: where `[service.prepare]` reports live (default: a line on stderr)."""
        env = os.environ if environ is None else environ
        if toxiproxy_url is None:
            toxiproxy_url = env.get("TOXIPROXY_URL", "")
        self.toxiproxy_url = toxiproxy_url or None
        self.cache_dir = cache_dir
        self.registry = registry or Registry(default_state_dir(env))
        self.python = python
        self.detached = detached
        self.dependency_timeout_s = dependency_timeout_s
        self.proxy_seed = proxy_seed   # the embedded proxy's toxicity/jitter seed (--chaos-seed)
        self.proxy_api_port = proxy_api_port   # the embedded proxy's API port (0: a free one)
        self.progress = progress if progress is not None else ConsoleProgress()

    def start(self, target: Target, *, worker_id: str = "main", sut_env: Mapping[str, str] | None = None,
              workdir: Path | None = None) -> LocalEnvironment:
        """Start everything the target needs and return once the SUT is ready.

        Environments whose owner died are reaped first (listed in `env.reaped`). On any failure,
        whatever was started is closed before the error propagates. `workdir` (created if missing)
        is removed by close(), like the temp dir used when none is given.
        """
        refuse_attached(target, backend="local")
        reaped = self.registry.reap_stale()
        workdir = make_workdir(workdir, prefix=f"chaos-{worker_id}-")
        if os.geteuid() == 0:
            os.chmod(workdir, 0o711)   # Postgres runs as another user and must reach its data dir
        env_id = f"{worker_id}-{secrets.token_hex(3)}"
        self.registry.save(EnvRecord(
            env_id=env_id, owner_pid=os.getpid(), owner_start=process_start_ticks(os.getpid()) or 0,
            workdir=str(workdir), detached=self.detached, created=time.time()))
        env = LocalEnvironment(target=target, env_id=env_id, workdir=workdir, registry=self.registry)
        env.reaped = reaped
        env.start_or_close(functools.partial(env._start_all, self, dict(sut_env or {})))
        return env


class LocalEnvironment(EnvironmentBase[LocalPostgres, LocalRedis, LocalUpstream, LocalSut]):
    """A running local environment (implements `chaos.env.base.Environment`)."""

    backend = "local"
    postgres_type = LocalPostgres
    redis_type = LocalRedis
    upstream_type = LocalUpstream

    def __init__(self, *, target: Target, env_id: str, workdir: Path, registry: Registry) -> None:
        super().__init__(target=target, env_id=env_id, workdir=workdir)
        self.registry = registry
        self._servers: dict[str, LocalServer] = {}
        self._proxy_server: ProxyServer | None = None
        self._local_processes: list[LocalProcess] = []
        self.tracker = EnvTracker(registry, env_id)
        self.template: TemplateStatus | None = None   # the target's prepared template, if it has one
        self.template_note = ""                       # what became of it, for `chaos up`

    # --- Environment -------------------------------------------------------------------------------

    @property
    def local_sut(self) -> LocalSut:
        """The SUT handle with the local backend's extras (log_path, env, stop, is_stopped)."""
        return self._require_sut()

    def heal(self) -> list[str]:
        """Back to the healthy baseline (see the Environment protocol); returns what was repaired."""
        proxies = [ProxySpec(name=s.proxy_name, listen=s.proxied.address, upstream=s.direct.address)
                   for s in self._servers.values()]
        return heal_environment(dependencies=self._servers.values(), proxy=self._require_proxy().client,
                                proxies=proxies, sut=self.local_sut, stubs=self.stubs(),
                                processes=self._local_processes)

    # --- close -------------------------------------------------------------------------------------

    def _release(self) -> list[str]:
        # the next environment's Postgres copy is made now, in parallel with the shutdown (which is
        # mostly waiting), so that the next start-up only renames it into place
        spare_maker = threading.Thread(target=self._replenish_spares, name=f"chaos-spare-{self.env_id}")
        spare_maker.start()
        try:
            return super()._release()
        finally:
            spare_maker.join(60.0)   # a copy takes well under a second; the bound guards a stuck disk

    def _closed_cleanly(self) -> None:
        # with problems left, the record stays, so a later run reaps what survived
        self.registry.remove(self.env_id)

    def _replenish_spares(self) -> None:
        for server in self._servers.values():
            if isinstance(server, LocalPostgres):
                try:
                    server.replenish_spare()
                except Exception as exc:   # a missing spare only costs the next start-up a copy
                    log.warning("could not prepare a spare Postgres cluster: %s", exc)

    # --- start-up ----------------------------------------------------------------------------------

    def _start_all(self, backend: LocalBackend, sut_env: dict[str, str]) -> None:
        with contextlib.ExitStack() as build_lock:
            self._start_locked(backend, sut_env, build_lock)

    def _start_locked(self, backend: LocalBackend, sut_env: dict[str, str], build_lock: contextlib.ExitStack
                      ) -> None:
        """Start everything; a cold prepared template is built under `build_lock`, released once published."""
        t0 = time.monotonic()
        status = self._template_status(backend)
        if status is not None and not status.is_fresh():
            waited = time.monotonic()
            build_lock.enter_context(self._build_lock(backend, status))
            if time.monotonic() - waited > 1.0 and status.is_fresh():
                backend.progress.note(f"another run built the prepared template meanwhile "
                                      f"({time.monotonic() - waited:.0f} s waited)")
        self.template = status
        self._build_servers(backend, status.paths if status is not None and status.is_fresh() else {})
        proxy_server = ProxyServer(external_url=backend.toxiproxy_url, dir=self.workdir / "proxy",
                                   python=backend.python, tracker=self.tracker, seed=backend.proxy_seed,
                                   api_port=backend.proxy_api_port)
        self._proxy_server = proxy_server
        self._on_close("proxies", proxy_server.close)
        for name, server in self._servers.items():
            self._on_close(f"{server.kind} {name}", server.close)

        with ThreadPoolExecutor(max_workers=len(self._servers) + 1, thread_name_prefix="chaos-start") as pool:
            proxy_future = pool.submit(self._timed, "proxy server", proxy_server.start)
            futures: list[Future[None]] = [
                pool.submit(self._timed, name, server.start) for name, server in self._servers.items()]
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

        self._apply_stubs()
        values = self._template_values(backend)
        sut = LocalSut(service=self.target.service, values=values, sut_env=sut_env,
                       dir=self.workdir / "sut", tracker=self.tracker)
        self._run_prepare(backend, sut, values, status)
        build_lock.close()
        start = time.monotonic()
        self._set_sut(sut)
        self._on_close("the SUT", sut.close)
        sut.launch()
        self._start_processes(values, sut)
        sut.wait_ready()
        self.startup_times["sut"] = time.monotonic() - start
        for process in self._local_processes:
            self._timed(f"process {process.name}", process.wait_ready)
        self.startup_times["total"] = time.monotonic() - t0
        self.registry.update(self.env_id, urls=self.urls())

    def _template_status(self, backend: LocalBackend) -> TemplateStatus | None:
        deps = self.target.dependencies.values()
        if self.target.service.prepare is None or not any(d.kind is DependencyKind.POSTGRES for d in deps):
            return None
        cache = backend.cache_dir or default_cache_dir()
        return template_status(self.target, cache=cache, major=find_postgres().major)

    def _build_lock(self, backend: LocalBackend, status: TemplateStatus) -> contextlib.AbstractContextManager[None]:
        prepare = self.target.service.prepare
        assert prepare is not None
        cache = backend.cache_dir or default_cache_dir()
        timeout_s = prepare.timeout_s + _LOCK_MARGIN_S
        lock = template_lock(cache, find_postgres().major, status.key, timeout_s=timeout_s)

        @contextlib.contextmanager
        def held() -> Iterator[None]:
            try:
                lock.__enter__()
            except TimeoutError:
                raise PrepareFailed(command="(waiting for another run's build)", log_path=str(cache),
                                    problem=f"another run held the prepared-template lock for over {timeout_s:g} s"
                                    ) from None
            try:
                yield
            finally:
                lock.__exit__(None, None, None)
        return held()

    def _run_prepare(self, backend: LocalBackend, sut: LocalSut, values: Mapping[str, str],
                     status: TemplateStatus | None) -> None:
        """Run [service.prepare] unless the template holds its result; keep the result as the template."""
        prepare = self.target.service.prepare
        if prepare is None:
            return
        if status is not None and status.is_fresh() and all(
                s.prepared is not None for s in self._servers.values() if isinstance(s, LocalPostgres)):
            self.template_note = f"prepared template: {status.describe()}"
            return
        log_path = self.workdir / "prepare.log"
        try:
            took = run_prepare(prepare, values=values, env=sut.env, cwd=sut.cwd, log_path=log_path,
                               tracker=self.tracker, progress=backend.progress)
        except PrepareFailed as exc:
            kept = self.registry.root / "logs" / f"prepare-{self.env_id}.log"   # the work dir goes at close
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(log_path, kept)
            raise PrepareFailed(command=exc.command, problem=exc.problem, log_path=str(kept),
                                log_tail=exc.log_tail) from None
        self.startup_times["prepare"] = took
        if status is None:   # no Postgres to keep it in: the commands run at every start
            self.template_note = f"prepare ran in {took:.1f} s (no Postgres dependency: nothing to keep)"
            return
        started = time.monotonic()
        for name, server in self._servers.items():
            if isinstance(server, LocalPostgres):
                server.keep_as_template(status.paths[name])
        self.startup_times["keep template"] = time.monotonic() - started
        self.template_note = (f"prepared template: built in {took:.1f} s (+{time.monotonic() - started:.1f} s "
                              f"to keep it), key {status.key[:12]}")
        backend.progress.note(self.template_note)

    def _start_processes(self, values: Mapping[str, str], sut: LocalSut) -> None:
        """Launch the target's extra processes beside the SUT, each with the SUT's environment and
        templates; closed before the SUT (registered after it)."""
        service = self.target.service
        for spec in service.processes.values():
            process = LocalProcess(spec=spec, service=service, values=values, base_env=lambda: sut.env,
                                   dir=self.workdir / "sut", tracker=self.tracker)
            self._add_process(process)
            self._local_processes.append(process)
            self._on_close(f"process {spec.name}", process.close)
            process.launch()

    def _build_servers(self, backend: LocalBackend, prepared: Mapping[str, Path]) -> None:
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
                                       spares_dir=spares_root(), prepared=prepared.get(name))
            elif dep.kind is DependencyKind.REDIS:
                assert redis_server is not None
                server = LocalRedis(name=name, dir=directory, port=port, tracker=self.tracker,
                                    redis_server=redis_server)
            else:
                server = LocalUpstream(name=name, dir=directory, port=port, tracker=self.tracker,
                                       python=backend.python)
            server.start_timeout_s = backend.dependency_timeout_s
            self._servers[name] = server
            self._add_dependency(name, server)

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


if TYPE_CHECKING:   # mypy proves, on every run, that the local backend implements the protocols
    from chaos.env.base import (
        Backend,
        Environment,
        HttpUpstreamHandle,
        PostgresHandle,
        ProcessHandle,
        RedisHandle,
        SutHandle,
    )

    def _conforms(*, backend: LocalBackend, env: LocalEnvironment, pg: LocalPostgres, rd: LocalRedis,
                  up: LocalUpstream, sut: LocalSut, extra: LocalProcess
                  ) -> tuple[Backend, Environment, PostgresHandle, RedisHandle, HttpUpstreamHandle, SutHandle,
                             ProcessHandle]:
        return backend, env, pg, rd, up, sut, extra
