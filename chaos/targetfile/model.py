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
from typing import TYPE_CHECKING, Any

from chaos.answers import Answer
from chaos.targetfile.guards import GuardSpec
from chaos.targetfile.prepare import Prepare
from chaos.targetfile.processes import ProcessSpec
from chaos.upstream.stubs import Stub

if TYPE_CHECKING:
    from chaos.targetfile.attach import AttachSpec

__all__ = [
    "ContractSpec",
    "Dependency",
    "DependencyKind",
    "LoadDefaults",
    "ParamValue",
    "RequestTemplate",
    "RestartRule",
    "Service",
    "Target",
]

_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


class DependencyKind(enum.StrEnum):
    """What the suite starts for a dependency (and what the SUT is pointed at through a proxy)."""

    POSTGRES = "postgres"
    REDIS = "redis"
    HTTP = "http"


class RestartRule(enum.StrEnum):
    """When the suite restarts the service between experiments (`[service].restart`)."""

    WHEN_UNHEALTHY = "when-unhealthy"   # prove it healthy; restart it only if it is not
    ALWAYS = "always"                   # a fresh process for every experiment
    NEVER = "never"                     # prove it healthy; an unhealthy one makes the experiment inconclusive


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestTemplate:
    """A request a contract sends: `"METHOD /path?query"`, or a table with a body and headers.

    At most one body: `json` (any JSON value), `form` (url-encoded fields) or `text` (with
    `content_type`). Strings may hold `{unique}`, replaced per run.
    """

    method: str
    target: str                        # path and query, starting with "/"
    json: Any = None
    form: Mapping[str, str] | None = None
    text: str | None = None
    content_type: str | None = None
    headers: Mapping[str, str] = field(default_factory=lambda: _NO_HEADERS)

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    def __str__(self) -> str:
        return f"{self.method} {self.target}"


ParamValue = str | int | float | bool | RequestTemplate | Answer | tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Service:
    """How to start the SUT and where to find it; string fields may hold templates (see templates.py)."""

    command: tuple[str, ...]          # empty when attached: the service runs already
    cwd: Path                         # absolute (resolved against the target file's directory)
    url: str                          # template, e.g. "http://127.0.0.1:{port}"
    health: str                       # liveness path
    ready: str | None = None          # readiness path; None: the service has no readiness endpoint
    start_timeout_s: float = 20.0
    shutdown_grace_s: float = 10.0
    healthy_within_s: float = 2.0     # a healthy answer's latency budget in the steady state
    restart: RestartRule = RestartRule.WHEN_UNHEALTHY
    allow_remote: bool = False
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # sent with every request the suite makes to the service
    headers: Mapping[str, str] = field(default_factory=lambda: _NO_HEADERS)
    defects_env: str | None = None    # env var listing defect switches to turn on (for `chaos matrix`)
    prepare: Prepare | None = None    # [service.prepare]: migrations and seeds, run before the first start
    processes: Mapping[str, ProcessSpec] = field(default_factory=lambda: MappingProxyType({}))  # beside it

    @property
    def ready_or_health(self) -> str:
        """The path that says the service can serve: readiness if it has one, else liveness."""
        return self.ready or self.health


@dataclass(frozen=True, slots=True, kw_only=True)
class Dependency:
    """One `[dependencies.<name>]` table. The database fields only matter for kind postgres."""

    name: str
    kind: DependencyKind
    database: str = "app"
    user: str = "app"
    password: str = "app"
    init_sql: Path | None = None      # absolute; run once on the fresh database
    stubs: tuple[Stub, ...] = ()      # kind http: how the fake API answers while no fault is injected


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadDefaults:
    """Defaults for the bounded load generator (`[load]`); experiments may override per run."""

    rate_per_s: float = 20.0
    concurrency: int = 4
    # on load requests only (on top of [service].headers)
    headers: Mapping[str, str] = field(default_factory=lambda: _NO_HEADERS)


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractSpec:
    """One `[contracts.<name>]` table: the contract's name and its parameters, typed per the catalog.

    Every parameter with a default is present (the loader filled it in), and every answer parameter
    the contract judges by is resolved (its table, else `[answers]`, else the catalog's default;
    `answer_sources` says which). The typed accessors raise KeyError for a parameter the catalog
    does not give this contract (a bug in the experiment, since the file was validated) and
    TypeError for a wrong type.
    """

    name: str
    params: Mapping[str, ParamValue]
    defects: tuple[str, ...] = ()     # the service's defect switches that must make this contract fail
    answer_sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

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

    def request(self, key: str = "request") -> RequestTemplate:
        value = self._get(key)
        if not isinstance(value, RequestTemplate):
            raise TypeError(f"[contracts.{self.name}].{key} is not a request: {value!r}")
        return value

    def answer(self, key: str) -> Answer | None:
        """The answer convention `key` (None: an optional answer the target does not declare)."""
        value = self.params.get(key)
        if value is None:
            return None
        if isinstance(value, str | int | float | bool | RequestTemplate | tuple):
            raise TypeError(f"[contracts.{self.name}].{key} is not an answer: {value!r}")
        return value

    def required_answer(self, key: str) -> Answer:
        """An answer the contract always has (a default exists)."""
        value = self.answer(key)
        if value is None:
            raise KeyError(f"contract {self.name} has no answer {key!r}")
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
    answers: Mapping[str, Answer] = field(default_factory=lambda: MappingProxyType({}))  # [answers], as declared
    secrets: tuple[str, ...] = ()     # values to mask in every output ({env.NAME} values, credentials)
    sha256: str = ""                  # of the file's bytes: which version of the file a run used
    attach: AttachSpec | None = None  # [attach]: the service already runs; the suite starts nothing

    @property
    def attached(self) -> bool:
        return self.attach is not None

    @property
    def target_dir(self) -> Path:
        return self.path.parent

    def contract(self, name: str) -> ContractSpec | None:
        """The declared contract, or None: experiments skip contracts the target does not declare."""
        return self.contracts.get(name)
