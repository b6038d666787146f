"""What a contract parameter is: its kind (how it is typed and checked), its role, default and meaning.

The role tells a user where the number comes from, and the loader's messages say it:

    SETTING  a value the service is configured with (its pool size, its timeout): it must match the
             service's own configuration, so it has no default
    BUDGET   your expectation of the service (how fast a failure must come back, how soon it must
             recover): defaulted where a common expectation exists
    KNOB     how hard the experiment pushes (a DB latency, a number of rounds): defaulted
    SUBJECT  what the experiment sends or points at (a request, a dependency, an answer)
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chaos.targetfile._fields import MAX_COUNT, MAX_MILLISECONDS
from chaos.targetfile.model import DependencyKind

__all__ = ["Derived", "Param", "ParamKind", "Role"]


class ParamKind(enum.StrEnum):
    """How a parameter is typed and checked."""

    SECONDS = "seconds"            # number > 0, finite, stored as float
    COUNT = "count"                # integer 1..MAX_COUNT
    MILLISECONDS = "milliseconds"  # integer 0..MAX_MILLISECONDS
    REQUEST = "request"            # "METHOD /path?query" or a request table -> RequestTemplate
    DEPENDENCY = "dependency"      # name of a [dependencies.*] table of `dependency_kind`
    ANSWER = "answer"              # an answer spec (chaos.answers)
    PROCESS = "process"            # "service" or the name of a [service.processes.*] table

    @property
    def expected(self) -> str:
        return _EXPECTED[self]

    @property
    def unit(self) -> str:
        return _UNIT[self]


_EXPECTED = {
    ParamKind.SECONDS: "seconds > 0 (a finite number)",
    ParamKind.COUNT: f"an integer 1..{MAX_COUNT}",
    ParamKind.MILLISECONDS: f"milliseconds 0..{MAX_MILLISECONDS} (an integer)",
    ParamKind.REQUEST: 'a request line such as "GET /api/items?page=1", or a table '
                       '{ line = "POST /api/x", json = { ... } }',
    ParamKind.DEPENDENCY: "the name of a dependency",
    ParamKind.ANSWER: 'an answer such as { header = "X-Cache", equals = "HIT" } or [503, "refused"]',
    ParamKind.PROCESS: '"service" or the name of one of [service.processes]',
}
_UNIT = {
    ParamKind.SECONDS: "s", ParamKind.COUNT: "", ParamKind.MILLISECONDS: "ms", ParamKind.REQUEST: "",
    ParamKind.DEPENDENCY: "", ParamKind.ANSWER: "", ParamKind.PROCESS: "",
}


class Role(enum.StrEnum):
    SETTING = "setting"
    BUDGET = "budget"
    KNOB = "knob"
    SUBJECT = "subject"

    @property
    def meaning(self) -> str:
        return _ROLE_MEANING[self]


_ROLE_MEANING = {
    Role.SETTING: "the service's own setting: must match its configuration",
    Role.BUDGET: "your expectation of the service",
    Role.KNOB: "how hard the experiment pushes",
    Role.SUBJECT: "what the experiment sends or points at",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Derived:
    """A default computed from the contract's other parameters (`text` says how, for the docs)."""

    text: str
    compute: Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Param:
    """One parameter of a contract.

    `default` None with `required` False means "optional, absent by default" (an optional answer
    such as `cached`: without it, the check that needs it is skipped and the verdict says so).
    Answer parameters take their default from the target's `[answers]`, then from the catalog's
    `ANSWER_DEFAULTS`, so `default` is unused for them.
    """

    name: str
    kind: ParamKind
    role: Role
    doc: str
    required: bool = False
    default: Any = None                       # a value, or Derived
    dependency_kind: DependencyKind | None = None

    def default_text(self) -> str:
        if isinstance(self.default, Derived):
            return self.default.text
        if self.default is None:
            return "required" if self.required else "none"
        return f"{self.default:g}" if isinstance(self.default, float) else str(self.default)
