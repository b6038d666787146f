"""What a target file describes, as frozen values: the service, its dependencies, load and contracts.

Everything here was validated by `load_target`, so consumers can trust the types: a duration is a
float in seconds, a count an int, a request a `RequestLine`, a contract's dependency exists and has
the kind the contract needs.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from chaos.targetfile.guards import GuardSpec
from chaos.targetfile.processes import ProcessSpec

__all__ = [
    "ContractSpec",
    "Dependency",
    "DependencyKind",
    "LoadDefaults",
    "ParamValue",
    "RequestLine",
    "Service",
    "Target",
]


class DependencyKind(enum.StrEnum):
    """What the suite starts for a dependency (and what the SUT is pointed at through a proxy)."""

    POSTGRES = "postgres"
    REDIS = "redis"
    HTTP = "http"


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestLine:
    """A request a contract sends, written `"METHOD /path?query"` in the target file."""

    method: str
    target: str   # path and query, starting with "/"

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    def __str__(self) -> str:
        return f"{self.method} {self.target}"


ParamValue = str | int | float | bool | RequestLine | Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Service:
    """How to start the SUT and where to find it; string fields may hold templates (see templates.py)."""

    command: tuple[str, ...]
    cwd: Path                         # absolute (resolved against the target file's directory)
    url: str                          # template, e.g. "http://127.0.0.1:{port}"
    health: str                       # liveness path
    ready: str                        # readiness path (the health path when the file has none)
    start_timeout_s: float = 20.0
    shutdown_grace_s: float = 10.0
    allow_remote: bool = False
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    defects_env: str | None = None    # env var listing defect switches to turn on (for `chaos matrix`)
    processes: Mapping[str, ProcessSpec] = field(default_factory=lambda: MappingProxyType({}))  # beside it


@dataclass(frozen=True, slots=True, kw_only=True)
class Dependency:
    """One `[dependencies.<name>]` table. The database fields only matter for kind postgres."""

    name: str
    kind: DependencyKind
    database: str = "app"
    user: str = "app"
    password: str = "app"
    init_sql: Path | None = None      # absolute; run once on the fresh database


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadDefaults:
    """Defaults for the bounded load generator (`[load]`); experiments may override per run."""

    rate_per_s: float = 20.0
    concurrency: int = 4


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractSpec:
    """One `[contracts.<name>]` table: the contract's name and its parameters, typed per catalog.py.

    The typed accessors raise KeyError for a parameter the catalog does not give this contract (a
    bug in the experiment, since the file was validated) and TypeError for a wrong type.
    """

    name: str
    params: Mapping[str, ParamValue]
    defects: tuple[str, ...] = ()     # the service's defect switches that must make this contract fail

    def __contains__(self, key: str) -> bool:
        return key in self.params

    def _get(self, key: str) -> ParamValue:
        try:
            return self.params[key]
        except KeyError:
            raise KeyError(f"contract {self.name} has no parameter {key!r}") from None

    def seconds(self, key: str) -> float:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"[contracts.{self.name}].{key} is not a duration: {value!r}")
        return float(value)

    def count(self, key: str) -> int:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"[contracts.{self.name}].{key} is not an integer: {value!r}")
        return value

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str):
            raise TypeError(f"[contracts.{self.name}].{key} is not a string: {value!r}")
        return value

    def request(self, key: str = "request") -> RequestLine:
        value = self._get(key)
        if not isinstance(value, RequestLine):
            raise TypeError(f"[contracts.{self.name}].{key} is not a request line: {value!r}")
        return value

    def json(self, key: str = "json") -> Mapping[str, Any] | None:
        """The request body table, or None when the file gives none (it is optional)."""
        if key not in self.params:
            return None
        value = self.params[key]
        if not isinstance(value, Mapping):
            raise TypeError(f"[contracts.{self.name}].{key} is not a table: {value!r}")
        return value

    @property
    def dependency(self) -> str | None:
        """The dependency the contract's fault targets, when the contract has one."""
        value = self.params.get("dependency")
        return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """A loaded, validated target file."""

    path: Path                                    # absolute path of the file
    service: Service
    dependencies: Mapping[str, Dependency]        # in file order
    load: LoadDefaults
    contracts: Mapping[str, ContractSpec]
    guards: GuardSpec = field(default_factory=GuardSpec)   # [guards]: stop conditions (none by default)

    @property
    def target_dir(self) -> Path:
        return self.path.parent

    def contract(self, name: str) -> ContractSpec | None:
        """The declared contract, or None: experiments skip contracts the target does not declare."""
        return self.contracts.get(name)
