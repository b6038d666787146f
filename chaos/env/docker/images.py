"""The suite's local image builds, for engines that cannot pull (see scripts/docker-engine.sh images).

docker-compose.chaos.yml names its images through `CHAOS_*_IMAGE` variables with registry defaults.
On machines without a registry, `scripts/docker-engine.sh images` builds `chaos-suite/<name>:local`
instead; tests and benchmarks point Compose at those builds where they exist and nobody chose
another image.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import docker

__all__ = ["LOCAL_IMAGES", "local_image_overrides"]

LOCAL_IMAGES: Mapping[str, str] = {
    "CHAOS_POSTGRES_IMAGE": "chaos-suite/postgres:local",
    "CHAOS_REDIS_IMAGE": "chaos-suite/redis:local",
    "CHAOS_TOXIPROXY_IMAGE": "chaos-suite/toxiproxy:local",
    "CHAOS_UPSTREAM_IMAGE": "chaos-suite/upstream:local",
    "CHAOS_SUT_IMAGE": "chaos-suite/sut:local",
}


def local_image_overrides(client: docker.DockerClient, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The `CHAOS_*_IMAGE` variables to set so Compose uses the local builds: one for each variable
    not already set in `environ` (default: os.environ) whose local build exists on the engine."""
    current = os.environ if environ is None else environ
    return {var: image for var, image in LOCAL_IMAGES.items()
            if var not in current and client.images.list(name=image)}
