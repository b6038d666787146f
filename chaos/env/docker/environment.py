"""A running compose environment: the `Environment` of the docker backend.

Compose creates the project's containers (`up --no-start`) and the SDK does the rest, in an order
that never starts the service against proxies that do not exist yet: start the dependencies and
Toxiproxy, wait until each answers from the suite, run the target's init_sql, create one proxy per
dependency through the Toxiproxy API, then start the service and wait until its health and readiness
answer. Starting through the SDK instead of a second `compose up` saves a second or more per
environment with Compose v1 (a Python program that takes that long to start). `close()` always
removes the project's containers, anonymous volumes and networks; if that fails it falls back to
`compose down`.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import docker
import docker.errors
from docker.models.containers import Container

from chaos.env.docker._compose import ComposeCli
from chaos.env.docker._container import PROJECT_LABEL, ServiceContainer
from chaos.env.docker._topology import NetworkMode, Topology
from chaos.env.docker.dependencies import DockerDependency, DockerPostgres, DockerRedis, DockerUpstream
from chaos.env.docker.project import ComposeSpec
from chaos.env.docker.sut import DockerSut
from chaos.env.environment import EnvironmentBase
from chaos.env.healing import ProxySpec, heal_environment
from chaos.errors import DependencyStartTimeout, EngineError, ToxiproxyApiError
from chaos.proxy.client import ToxiproxyClient
from chaos.targetfile import DependencyKind, Target, render
from chaos.waiting import WaitTimeout, wait_until

__all__ = ["DockerEnvironment", "EnvironmentTimeouts", "remove_project"]

log = logging.getLogger("chaos.env.docker")


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvironmentTimeouts:
    """Bounds of the slow steps, in seconds. `up_s` is generous: Compose may build images on a
    laptop's first run."""

    up_s: float = 300.0
    down_s: float = 120.0
    dependency_s: float = 60.0
    proxy_s: float = 30.0


def remove_project(client: docker.DockerClient, project: str) -> list[str]:
    """Force-remove every container (with its anonymous volumes), network and volume of `project`.

    Containers go first and in parallel (SIGKILL: the data is thrown away, and a graceful stop of
    each would cost seconds); networks and named volumes can only go once nothing uses them.
    """
    label = {"label": [f"{PROJECT_LABEL}={project}"]}

    def remove(container: Container) -> str | None:
        try:
            container.remove(force=True, v=True)
        except docker.errors.NotFound:
            return None
        return f"container {container.name}"

    containers = client.containers.list(all=True, filters=label)
    with ThreadPoolExecutor(max_workers=max(1, len(containers)), thread_name_prefix="chaos-rm") as pool:
        removed = [r for r in pool.map(remove, containers) if r is not None]
    for network in client.networks.list(filters=label):
        with contextlib.suppress(docker.errors.NotFound):
            network.remove()
            removed.append(f"network {network.name}")
    for volume in client.volumes.list(filters=label):
        with contextlib.suppress(docker.errors.NotFound):
            volume.remove(force=True)
            removed.append(f"volume {volume.name}")
    return removed


def _start_all(containers: list[ServiceContainer]) -> None:
    """`docker start` each, in parallel (each takes 0.1-0.3 s here)."""
    with ThreadPoolExecutor(max_workers=max(1, len(containers)), thread_name_prefix="chaos-start") as pool:
        for future in [pool.submit(c.start) for c in containers]:
            future.result()


class DockerEnvironment(EnvironmentBase[DockerPostgres, DockerRedis, DockerUpstream, DockerSut]):
    """A compose project running the SUT and its dependencies (implements `chaos.env.base.Environment`)."""

    backend = "docker"
    postgres_type = DockerPostgres
    redis_type = DockerRedis
    upstream_type = DockerUpstream

    def __init__(self, *, target: Target, client: docker.DockerClient, compose: ComposeCli, spec: ComposeSpec,
                 topology: Topology, workdir: Path, timeouts: EnvironmentTimeouts) -> None:
        super().__init__(target=target, env_id=compose.project, workdir=workdir)
        self.client = client
        self.compose = compose
        self.spec = spec
        self.topology = topology
        self.timeouts = timeouts
        self.proxy_url = topology.toxiproxy_url
        self.proxy_specs: dict[str, ProxySpec] = {}   # proxy name -> as created at start-up
        self._deps: dict[str, DockerDependency] = {}
        # registered first, so it runs last: whatever else fails, the project's containers go
        self._on_close("the compose project", self._remove_project)

    # --- Environment -------------------------------------------------------------------------------

    @property
    def docker_sut(self) -> DockerSut:
        """The SUT handle with the docker backend's extras (container, env_file, last_signal_route)."""
        return self._require_sut()

    def container(self, service: str) -> ServiceContainer:
        """Any service of the project by its compose name (e.g. "toxiproxy")."""
        return ServiceContainer(self.client, project=self.env_id, service=service)

    def heal(self) -> list[str]:
        """Back to the healthy baseline (see the Environment protocol); returns what was repaired."""
        return heal_environment(dependencies=self._deps.values(), proxy=self.proxy,
                                proxies=self.proxy_specs.values(), sut=self.docker_sut, stubs=self.stubs())

    # --- close -------------------------------------------------------------------------------------

    def _remove_project(self) -> None:
        """Remove whatever of the project is left; if the SDK fails, `compose down -v` instead."""
        try:
            removed = remove_project(self.client, self.env_id)
            log.debug("environment %s: removed %s", self.env_id, ", ".join(removed))
        except docker.errors.DockerException as exc:
            try:
                self.compose.run("down", "-v", "--remove-orphans", "-t", "2", timeout_s=self.timeouts.down_s)
            except EngineError as down_exc:
                raise EngineError(operation="removing the project's containers",
                                  message=f"{exc}; compose down: {down_exc}") from down_exc

    def _close_failed(self, errors: list[str]) -> Exception:
        return EngineError(operation=f"closing environment {self.env_id}", message="; ".join(errors))

    # --- start-up ----------------------------------------------------------------------------------

    def start_all(self, sut_env: Mapping[str, str]) -> None:
        """Create, start and wire everything (see the module docstring); the caller closes on failure."""
        t0 = time.monotonic()
        self._build_handles(sut_env)
        self._timed("compose up --no-start", lambda: self.compose.run(
            "up", "--no-start", timeout_s=self.timeouts.up_s))
        toxiproxy = self.container(self.spec.toxiproxy_service)
        self._timed("start containers", functools.partial(
            _start_all, [toxiproxy, *(d.container for d in self._deps.values())]))
        self._timed("toxiproxy", self._wait_proxy_api)
        for name, dep in self._deps.items():
            self._timed(name, functools.partial(dep.wait_ready, self.timeouts.dependency_s))
            if isinstance(dep, DockerPostgres):
                dep.run_init_sql()
        self._timed("proxies", self._create_proxies)
        self._apply_stubs()
        self._timed("start sut", self.docker_sut.container.start)
        self._timed("sut", self.docker_sut.wait_ready)
        self.startup_times["total"] = time.monotonic() - t0

    def _build_handles(self, sut_env: Mapping[str, str]) -> None:
        kinds: dict[DependencyKind, type[DockerDependency]] = {
            DependencyKind.POSTGRES: DockerPostgres, DependencyKind.REDIS: DockerRedis,
            DependencyKind.HTTP: DockerUpstream}
        for name, ports in self.topology.dependencies.items():
            container = ServiceContainer(self.client, project=self.env_id, service=ports.service)
            handle = kinds[ports.dependency.kind](ports=ports, container=container)
            handle.start_timeout_s = max(handle.start_timeout_s, self.timeouts.dependency_s)
            self._deps[name] = handle
            self._add_dependency(name, handle)
            self._on_close(f"{handle.kind} {name}", handle.close)
        service = self.target.service
        values = self.topology.template_values(target_dir=self.target.target_dir, workdir=self.workdir)
        env = {name: render(value, values) for name, value in service.env.items()}
        env.update(sut_env)
        base_url = render(service.url, {**values, **self.topology.suite_values()})
        self._set_sut(DockerSut(
            service=service, base_url=base_url, env=env, env_file=self.workdir / "sut.env",
            container=ServiceContainer(self.client, project=self.env_id, service=self.spec.sut_service),
            recreate=self._recreate_sut))

    def _recreate_sut(self) -> None:
        self.compose.run("up", "-d", "--no-deps", "--force-recreate", self.spec.sut_service,
                         timeout_s=self.timeouts.up_s)

    def _wait_proxy_api(self) -> None:
        client = ToxiproxyClient(self.topology.toxiproxy_url, timeout_s=2.0)
        self.proxy = client
        self._on_close("the proxy client", client.close)
        try:
            wait_until(client.version, timeout_s=self.timeouts.proxy_s, interval_s=0.05,
                       what=f"toxiproxy API at {client.url}")
        except WaitTimeout as exc:
            raise DependencyStartTimeout(
                name=f"toxiproxy (container {self.env_id}/{self.spec.toxiproxy_service})",
                timeout_s=self.timeouts.proxy_s, last_error=exc.last_error,
                log_tail=self.container(self.spec.toxiproxy_service).logs(tail=30)) from None

    def _upstream_for_proxy(self, dep: DockerDependency) -> str:
        """The dependency as the Toxiproxy container reaches it."""
        if self.topology.mode is NetworkMode.HOST:
            return dep.direct.address
        port = dep.container.container_port(dep.direct.port)
        if port is None:
            raise EngineError(operation=f"wiring the proxy for {dep.name}",
                              message=f"service {dep.service} publishes nothing on host port "
                                      f"{dep.direct.port}; its ports override must publish "
                                      "${CHAOS_<DEPENDENCY>_PORT} (see docker/README.md)")
        return f"{dep.service}:{port}"

    def _create_proxies(self) -> None:
        client = self.proxy
        for name, dep in self._deps.items():
            listen, upstream = self.topology.proxy_listen(name), self._upstream_for_proxy(dep)
            try:
                client.create_proxy(dep.proxy_name, upstream=upstream, listen=listen)
            except ToxiproxyApiError as exc:
                if exc.status != 409:
                    raise
                # docker/toxiproxy.json created it at start (bridge setup): point it where we want
                client.update_proxy(dep.proxy_name, upstream=upstream, listen=listen)
            self.proxy_specs[dep.proxy_name] = ProxySpec(name=dep.proxy_name, listen=listen, upstream=upstream)


if TYPE_CHECKING:   # mypy proves, on every run, that the docker backend implements the protocols
    from chaos.env.base import Environment, HttpUpstreamHandle, PostgresHandle, RedisHandle, SutHandle

    def _conforms(*, env: DockerEnvironment, pg: DockerPostgres, rd: DockerRedis, up: DockerUpstream,
                  sut: DockerSut) -> tuple[Environment, PostgresHandle, RedisHandle, HttpUpstreamHandle,
                                           SutHandle]:
        return env, pg, rd, up, sut
