"""The contract catalog as data: which `[contracts.<name>]` tables exist and the parameters of each.

One table for all 13 experiments, so adding a contract or a parameter is a one-line change and the
loader, the docs and the experiments agree on names, types and which dependency kind a contract's
fault needs (design.md, "The contract catalog").
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from chaos.targetfile.model import DependencyKind

__all__ = ["CONTRACTS", "Param", "ParamKind"]


class ParamKind(enum.StrEnum):
    """How a parameter is typed and checked."""

    SECONDS = "seconds"          # number > 0, stored as float
    COUNT = "count"              # integer >= 1
    MILLISECONDS = "milliseconds"  # integer >= 0
    STATUS = "status"            # HTTP status code, 100..599
    REQUEST = "request"          # "METHOD /path?query" -> RequestLine
    TEXT = "text"                # non-empty string
    JSON = "json"                # inline table (request body); strings may hold {unique}
    DEPENDENCY = "dependency"    # name of a [dependencies.*] table of `dependency_kind`

    @property
    def expected(self) -> str:
        return _EXPECTED[self]


_EXPECTED = {
    ParamKind.SECONDS: "seconds > 0 (a number)",
    ParamKind.COUNT: "an integer >= 1",
    ParamKind.MILLISECONDS: "milliseconds >= 0 (an integer)",
    ParamKind.STATUS: "an HTTP status code (100..599)",
    ParamKind.REQUEST: 'a request line such as "GET /api/items?page=1"',
    ParamKind.TEXT: "a non-empty string",
    ParamKind.JSON: "an inline table (the JSON request body)",
    ParamKind.DEPENDENCY: "the name of a dependency",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Param:
    """One parameter of a contract."""

    name: str
    kind: ParamKind
    required: bool = True
    dependency_kind: DependencyKind | None = None   # for ParamKind.DEPENDENCY


def _p(name: str, kind: ParamKind, *, required: bool = True, dep: DependencyKind | None = None) -> Param:
    return Param(name=name, kind=kind, required=required, dependency_kind=dep)


_S, _C, _MS, _ST = ParamKind.SECONDS, ParamKind.COUNT, ParamKind.MILLISECONDS, ParamKind.STATUS
_REQ, _TXT, _JS, _DEP = ParamKind.REQUEST, ParamKind.TEXT, ParamKind.JSON, ParamKind.DEPENDENCY
_PG, _RD, _HT = DependencyKind.POSTGRES, DependencyKind.REDIS, DependencyKind.HTTP


def _table(*params: Param) -> Mapping[str, Param]:
    return MappingProxyType({p.name: p for p in params})


CONTRACTS: Mapping[str, Mapping[str, Param]] = MappingProxyType({
    "pool_error_survival": _table(_p("request", _REQ), _p("dependency", _DEP, dep=_PG),
                                  _p("recover_within_s", _S)),
    "db_restart": _table(_p("request", _REQ), _p("dependency", _DEP, dep=_PG), _p("pool_timeout_s", _S),
                         _p("recover_within_s", _S)),
    "readiness": _table(_p("dependency", _DEP, dep=_PG), _p("flip_within_s", _S), _p("recover_within_s", _S)),
    "cache_fallback": _table(_p("request", _REQ), _p("dependency", _DEP, dep=_RD), _p("latency_budget_s", _S),
                             _p("recover_within_s", _S)),
    "external_timeout": _table(_p("request", _REQ), _p("dependency", _DEP, dep=_HT), _p("timeout_s", _S),
                               _p("degraded_field", _TXT)),
    "circuit_breaker": _table(_p("request", _REQ), _p("dependency", _DEP, dep=_HT),
                              _p("failure_threshold", _C), _p("reset_timeout_s", _S)),
    "retry_backoff": _table(_p("request", _REQ), _p("dependency", _DEP, dep=_HT), _p("max_attempts", _C),
                            _p("retry_after_s", _S)),
    "graceful_drain": _table(_p("slow_request", _REQ), _p("slow_request_s", _S)),
    "connection_leak": _table(_p("bad_request", _REQ), _p("bad_json", _JS, required=False),
                              _p("bad_count", _C), _p("request", _REQ), _p("dependency", _DEP, dep=_PG),
                              _p("pool_max_size", _C)),
    "request_timeout": _table(_p("request", _REQ), _p("dependency", _DEP, dep=_PG), _p("timeout_s", _S)),
    "pool_exhaustion": _table(_p("request", _REQ), _p("dependency", _DEP, dep=_PG), _p("pool_size", _C),
                              _p("pool_timeout_s", _S), _p("db_latency_ms", _MS)),
    "booking_race": _table(_p("request", _REQ), _p("json", _JS, required=False),
                           _p("dependency", _DEP, dep=_PG), _p("concurrency", _C), _p("db_latency_ms", _MS)),
    "restart_persistence": _table(_p("request", _REQ), _p("json", _JS, required=False),
                                  _p("max_attempts", _C), _p("locked_status", _ST)),
})
