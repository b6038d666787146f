"""DockerBackend: one compose project per environment, on whatever engine DOCKER_HOST names.

Per-worker isolation comes from the project name (`chaos-<worker>-<pid>t<start>-<random>`), which
also records the owning process: a project whose owner is gone (a SIGKILLed pytest) is removed by the
next start on the same engine, as the local backend's registry reaps orphaned processes.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path

import docker

from chaos.env.docker._compose import ComposeCli, find_compose
from chaos.env.docker._container import PROJECT_LABEL
from chaos.env.docker._topology import NetworkMode, Topology
from chaos.env.docker.engine import connect_engine, network_mode
from chaos.env.docker.environment import DockerEnvironment, EnvironmentTimeouts, remove_project
from chaos.env.docker.project import ComposeSpec
from chaos.env.environment import make_workdir, refuse_attached
from chaos.env.process import process_start_ticks
from chaos.errors import ChaosError
from chaos.targetfile import Target

__all__ = ["DockerBackend", "project_name", "reap_orphaned_projects"]

log = logging.getLogger("chaos.env.docker")

_PROJECT = re.compile(r"^chaos-[a-z0-9_]+-(\d+)t(\d+)-[0-9a-f]+$")


def project_name(worker_id: str) -> str:
    """A compose project name unique to this process and call, recording its owner (PID + start)."""
    pid = os.getpid()
    worker = re.sub(r"[^a-z0-9_]", "_", worker_id.lower()) or "main"
    return f"chaos-{worker}-{pid}t{process_start_ticks(pid) or 0}-{secrets.token_hex(3)}"


def reap_orphaned_projects(client: docker.DockerClient) -> list[str]:
    """Remove the containers and networks of chaos projects whose owner process is gone."""
    projects = {str(c.labels.get(PROJECT_LABEL, "")) for c in client.containers.list(all=True)}
    reaped: list[str] = []
    for project in sorted(projects):
        match = _PROJECT.match(project)
        if match is None:
            continue
        pid, start = int(match.group(1)), int(match.group(2))
        if process_start_ticks(pid) == start:
            continue   # its owner still runs (maybe another worker)
        removed = remove_project(client, project)
        if removed:
            log.warning("reaped orphaned compose project %s: %s", project, ", ".join(removed))
            reaped.append(f"compose project {project}: removed {', '.join(removed)}")
    return reaped


class DockerBackend:
    """Starts environments as compose projects through the docker SDK (and the Compose CLI for up/down).

    `compose` names the files and services (default: docker-compose.chaos.yml at the checkout's
    root); `network` forces a setup instead of asking the engine whether it has a bridge network.
    The engine is the one DOCKER_HOST names, read by the SDK and by Compose.
    """

    name = "docker"

    def __init__(self, *, compose: ComposeSpec | None = None, network: NetworkMode | None = None,
                 timeouts: EnvironmentTimeouts | None = None,
                 client: docker.DockerClient | None = None) -> None:
        self.compose = compose or ComposeSpec.reference()
        self.network = network
        self.timeouts = timeouts or EnvironmentTimeouts()
        self._client = client

    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            self._client = connect_engine()
        return self._client

    def start(self, target: Target, *, worker_id: str = "main", sut_env: Mapping[str, str] | None = None,
              workdir: Path | None = None) -> DockerEnvironment:
        """Bring the project up and return once the SUT is ready; on any failure (Ctrl-C included)
        the project is brought down before the error propagates. `workdir` is removed by close()."""
        refuse_attached(target, backend="docker")
        if target.service.prepare is not None:
            raise ChaosError(f"{target.path}: [service.prepare] is not supported by the docker backend yet; "
                             "run this target with the local backend")
        if target.service.processes:
            names = ", ".join(f"[service.processes.{n}]" for n in target.service.processes)
            raise ChaosError(f"{target.path}: {names}: extra processes are not supported by the docker "
                             "backend yet; run this target with the local backend (--chaos-backend local)")
        client = self.client
        reaped = reap_orphaned_projects(client)
        mode = self.network or network_mode(client)
        command = find_compose()
        files = self.compose.files_for(mode)
        workdir = make_workdir(workdir, prefix=f"chaos-docker-{worker_id}-")
        services = {name: self.compose.service_for(name) for name in target.dependencies}
        topology = Topology.allocate(target, mode=mode, services=services,
                                     toxiproxy_service=self.compose.toxiproxy_service)
        cli = ComposeCli(command=command, project=project_name(worker_id), files=files,
                         variables=topology.compose_variables(sut_env_file=workdir / "sut.env"))
        env = DockerEnvironment(target=target, client=client, compose=cli, spec=self.compose,
                                topology=topology, workdir=workdir, timeouts=self.timeouts)
        env.reaped = reaped
        env.start_or_close(functools.partial(env.start_all, dict(sut_env or {})))
        return env
