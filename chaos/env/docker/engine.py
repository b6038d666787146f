"""Reaching a Docker engine: the SDK client, whether one answers, and what its networks allow."""

from __future__ import annotations

import os

import docker
import docker.errors
import requests

from chaos.env.docker._topology import NetworkMode
from chaos.errors import ToolMissing

__all__ = ["ENGINE_HINT", "connect_engine", "engine_problem", "network_mode"]

ENGINE_HINT = ("run `scripts/docker-engine.sh start` (as root) and export the DOCKER_HOST it prints, then "
               "`scripts/docker-engine.sh images` for the local images; or start Docker Desktop / dockerd")

_API_TIMEOUT_S = 30


def _where() -> str:
    return os.environ.get("DOCKER_HOST") or "the default socket (unix:///var/run/docker.sock)"


def engine_problem() -> str | None:
    """None if an engine answers a ping, else why not (for skip reasons and error messages)."""
    try:
        client = docker.from_env(timeout=5)
    except docker.errors.DockerException as exc:
        return f"no Docker engine at {_where()}: {exc}"
    try:
        client.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        return f"no Docker engine answers at {_where()}: {type(exc).__name__}"
    finally:
        client.close()
    return None


def connect_engine() -> docker.DockerClient:
    """An SDK client to the engine at $DOCKER_HOST (or the default socket); ToolMissing if none answers."""
    problem = engine_problem()
    if problem is not None:
        raise ToolMissing(tool="a Docker engine", hint=f"{problem}; {ENGINE_HINT}")
    return docker.from_env(timeout=_API_TIMEOUT_S)


def network_mode(client: docker.DockerClient) -> NetworkMode:
    """HOST when the engine has no bridge network (dockerd --bridge=none), else BRIDGE."""
    return NetworkMode.BRIDGE if client.networks.list(names=["bridge"]) else NetworkMode.HOST
