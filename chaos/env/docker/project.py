"""Which compose files make an environment, and which of their services play which part.

The default is the repository's docker-compose.chaos.yml (the reference service). A user's own
compose file works the same way if it follows that file's conventions: a Toxiproxy service the
suite reaches on ${CHAOS_TOXIPROXY_PORT}, each dependency on ${CHAOS_<DEP>_PORT}, the service on
${CHAOS_SUT_PORT} with its environment from ${CHAOS_SUT_ENV_FILE}, and one override per network
setup (see docker/README.md). A target file would name them in a `[docker]` table (proposed:
compose_file, hostnet_file, ports_file, sut_service, toxiproxy_service, and `service = "..."` per
dependency); until chaos.targetfile reads it, pass a `ComposeSpec` to `DockerBackend`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from chaos.env.docker._topology import NetworkMode
from chaos.errors import EngineError

__all__ = ["ComposeSpec", "repository_root"]


def repository_root() -> Path:
    """The checkout this package runs from (docker-compose.chaos.yml lives at its root)."""
    return Path(__file__).resolve().parents[3]


@dataclass(frozen=True, slots=True, kw_only=True)
class ComposeSpec:
    """Compose files and service names of one kind of environment."""

    files: tuple[Path, ...]                       # the project's compose files, in order
    hostnet_files: tuple[Path, ...] = ()          # added on engines without a bridge network
    ports_files: tuple[Path, ...] = ()            # added on engines with one
    sut_service: str = "sut"
    toxiproxy_service: str = "toxiproxy"
    services: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # dependency -> service

    @classmethod
    def reference(cls, root: Path | None = None) -> ComposeSpec:
        """docker-compose.chaos.yml and its two overrides, from `root` (default: this checkout)."""
        base = root or repository_root()
        return cls(files=(base / "docker-compose.chaos.yml",),
                   hostnet_files=(base / "docker" / "compose.hostnet.yml",),
                   ports_files=(base / "docker" / "compose.ports.yml",))

    def service_for(self, dependency: str) -> str:
        return self.services.get(dependency, dependency)

    def files_for(self, mode: NetworkMode) -> tuple[Path, ...]:
        """Every file for `mode`, checked to exist (EngineError names the first missing one)."""
        extra = self.hostnet_files if mode is NetworkMode.HOST else self.ports_files
        files = (*self.files, *extra)
        for path in files:
            if not path.is_file():
                raise EngineError(operation="compose files", message=f"{path} does not exist")
        return files
