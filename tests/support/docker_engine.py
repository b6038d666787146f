"""Helpers for the docker backend's tests: one skip marker for "no engine", and the local image builds."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import docker
import pytest

from chaos.env.docker import ENGINE_HINT, engine_problem, local_image_overrides

_PROBLEM = engine_problem()

# Needs an engine (scripts/docker-engine.sh start) and the images docker-compose.chaos.yml names (on
# machines without a registry: scripts/docker-engine.sh images). Skips only when no engine answers.
requires_engine = pytest.mark.skipif(_PROBLEM is not None, reason=f"{_PROBLEM}: {ENGINE_HINT}")


@contextlib.contextmanager
def local_images(client: docker.DockerClient) -> Iterator[None]:
    """Within the block Compose uses the local builds where no CHAOS_*_IMAGE override is set and they
    exist (nothing can be pulled on these machines)."""
    with pytest.MonkeyPatch.context() as mp:
        for var, image in local_image_overrides(client).items():
            mp.setenv(var, image)
        yield
