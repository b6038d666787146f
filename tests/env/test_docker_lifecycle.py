"""The docker backend's environment lifecycle against a real engine: up, ready, down, nothing left.

Needs an engine (scripts/docker-engine.sh start) and the images docker-compose.chaos.yml names
(on machines without a registry: scripts/docker-engine.sh images). Skips only when no engine answers.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import httpx
import pytest
from support.docker_engine import local_images, requires_engine
from support.envs import REFERENCE_TARGET

from chaos.env.docker import DockerBackend, reap_orphaned_projects
from chaos.env.docker._container import PROJECT_LABEL
from chaos.env.process import process_start_ticks
from chaos.errors import StartFailed
from chaos.targetfile import load_target
from chaos.waiting import wait_until

pytestmark = requires_engine


@pytest.fixture(scope="module")
def client() -> Iterator[docker.DockerClient]:
    c = docker.from_env(timeout=30)
    yield c
    c.close()


@pytest.fixture(scope="module", autouse=True)
def use_local_images(client: docker.DockerClient) -> Iterator[None]:
    with local_images(client):
        yield


def project_containers(client: docker.DockerClient, project: str) -> list[str]:
    label = {"label": [f"{PROJECT_LABEL}={project}"]}
    return [c.name for c in client.containers.list(all=True, filters=label)]


def test_up_ready_and_down_leaves_nothing(client: docker.DockerClient, tmp_path: Path) -> None:
    target = load_target(REFERENCE_TARGET)
    workdir = tmp_path / "work"
    start = time.monotonic()
    env = DockerBackend().start(target, worker_id="gw-life", workdir=workdir)
    elapsed = time.monotonic() - start
    project = env.env_id
    try:
        steps = {k: v for k, v in env.startup_times.items() if k != "total"}
        assert {"compose up --no-start", "toxiproxy", "sut"} <= set(steps)
        # the steps run one after another inside start(); 0.05 s covers the bookkeeping between them
        assert sum(steps.values()) <= env.startup_times["total"] + 0.05 <= elapsed + 0.05
        names = project_containers(client, project)
        assert len(names) == 5, names     # postgres, redis, external, toxiproxy, sut
        for service in ("postgres", "redis", "external", "toxiproxy", "sut"):
            assert env.container(service).state().up, service
        assert httpx.get(env.sut.base_url + "/ready", timeout=5).status_code == 200
        assert set(env.dependencies) == {"postgres", "redis", "external"}
        assert env.proxy.get_proxy("postgres").upstream == env.dependency("postgres").direct.address
        assert (workdir / "sut.env").read_text().count("DATABASE_URL=postgresql://") == 1
    finally:
        env.close()
    assert project_containers(client, project) == []
    assert not workdir.exists()
    env.close()   # idempotent


def test_failed_start_quotes_the_log_and_leaves_nothing(client: docker.DockerClient, tmp_path: Path) -> None:
    """An invalid configuration makes the service exit at once: the error says so, with its log."""
    target = load_target(REFERENCE_TARGET)
    backend = DockerBackend()
    with pytest.raises(StartFailed) as caught:
        backend.start(target, worker_id="gw-fail", sut_env={"DB_POOL_MAX_SIZE": "zero"},
                      workdir=tmp_path / "work")
    message = str(caught.value)
    assert "the SUT" in message
    assert "DB_POOL_MAX_SIZE" in message, message
    leftovers = [c.name for c in client.containers.list(all=True)
                 if str(c.labels.get(PROJECT_LABEL, "")).startswith("chaos-gw_fail-")]
    assert leftovers == []


INTERRUPTED_START = textwrap.dedent("""
    import sys
    from chaos.env.docker import DockerBackend
    from chaos.targetfile import load_target
    try:
        DockerBackend().start(load_target(sys.argv[1]), worker_id="gw-sigint")
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(0)
""")


def test_ctrl_c_during_start_brings_the_project_down(client: docker.DockerClient) -> None:
    proc = subprocess.Popen([sys.executable, "-c", INTERRUPTED_START, str(REFERENCE_TARGET)],
                            start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        def our_project() -> str | None:
            for c in client.containers.list(all=True):
                project = str(c.labels.get(PROJECT_LABEL, ""))
                if project.startswith(f"chaos-gw_sigint-{proc.pid}t"):
                    return project
            return None

        project = wait_until(our_project, timeout_s=30, what="the interrupted start to create containers")
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 130, out.decode(errors="replace")[-2000:]
        assert project_containers(client, project) == []
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def test_orphaned_projects_are_reaped(client: docker.DockerClient) -> None:
    """A project whose owner process is gone (here: a PID that cannot exist) is removed; one whose
    owner runs is kept."""
    dead = f"chaos-gw9-{2**22 + 1}t1-abcdef"
    alive_owner = f"chaos-gw9-{os.getpid()}t{_start_ticks(os.getpid())}-abcdef"
    created = []
    try:
        image = os.environ["CHAOS_REDIS_IMAGE"]   # set by local_images where nothing can be pulled
        for project in (dead, alive_owner):
            created.append(client.containers.create(
                image, labels={PROJECT_LABEL: project, "com.docker.compose.service": "redis"},
                network_mode="none"))
        reap_orphaned_projects(client)
        # (under xdist another worker's start may have reaped it first: either way it must be gone)
        assert project_containers(client, dead) == []
        assert len(project_containers(client, alive_owner)) == 1
    finally:
        for container in created:
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True)


def _start_ticks(pid: int) -> int:
    return process_start_ticks(pid) or 0
