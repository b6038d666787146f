"""The docker backend: the SUT and its dependencies as a compose project, driven through the docker SDK.

`DockerBackend().start(target)` brings docker-compose.chaos.yml (or the files a `ComposeSpec` names)
up under a per-worker project name and returns a `DockerEnvironment` whose handles act on containers.
Needs an engine (DOCKER_HOST) and the Compose CLI; see docker/README.md and scripts/docker-engine.sh.
"""

from chaos.env.docker._container import SignalRoute as SignalRoute
from chaos.env.docker._topology import NetworkMode as NetworkMode
from chaos.env.docker.backend import DockerBackend as DockerBackend
from chaos.env.docker.backend import reap_orphaned_projects as reap_orphaned_projects
from chaos.env.docker.dependencies import DockerDependency as DockerDependency
from chaos.env.docker.dependencies import DockerPostgres as DockerPostgres
from chaos.env.docker.dependencies import DockerRedis as DockerRedis
from chaos.env.docker.dependencies import DockerUpstream as DockerUpstream
from chaos.env.docker.engine import ENGINE_HINT as ENGINE_HINT
from chaos.env.docker.engine import engine_problem as engine_problem
from chaos.env.docker.environment import DockerEnvironment as DockerEnvironment
from chaos.env.docker.environment import EnvironmentTimeouts as EnvironmentTimeouts
from chaos.env.docker.images import LOCAL_IMAGES as LOCAL_IMAGES
from chaos.env.docker.images import local_image_overrides as local_image_overrides
from chaos.env.docker.project import ComposeSpec as ComposeSpec
from chaos.env.docker.sut import DockerSut as DockerSut

__all__ = [
    "ENGINE_HINT",
    "LOCAL_IMAGES",
    "ComposeSpec",
    "DockerBackend",
    "DockerDependency",
    "DockerEnvironment",
    "DockerPostgres",
    "DockerRedis",
    "DockerSut",
    "DockerUpstream",
    "EnvironmentTimeouts",
    "NetworkMode",
    "SignalRoute",
    "engine_problem",
    "local_image_overrides",
    "reap_orphaned_projects",
]
