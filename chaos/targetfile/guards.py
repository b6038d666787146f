"""`[guards]`: the stop conditions a target file declares, checked live during every experiment.

    [guards.error_rate]            # stop when more than `above` of the requests failed over `for_s`
    above = 0.5
    for_s = 5
    [guards.readiness]             # stop when the SUT's readiness check fails for longer than this
    down_longer_than_s = 30
    [guards.probes.payments]       # stop when this URL (GET, 200 = ok) fails for longer than this
    url = "http://127.0.0.1:8081/health"
    failing_for_s = 5

Every table is optional; absent, no guard. Parsed here into values; `chaos.experiment.guards`
turns them into checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chaos.targetfile._addresses import check_url
from chaos.targetfile._fields import Problems, describe, is_number

__all__ = ["ErrorRateGuard", "GuardSpec", "ProbeGuard", "ReadinessGuard", "parse_guards"]

GUARD_TABLES = ("error_rate", "readiness", "probes")


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorRateGuard:
    above: float    # fraction of requests (0..1) that failed: 5xx or no answer
    for_s: float    # over the last this-many seconds


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadinessGuard:
    down_longer_than_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeGuard:
    name: str
    url: str
    failing_for_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class GuardSpec:
    """The target's stop conditions (none by default)."""

    error_rate: ErrorRateGuard | None = None
    readiness: ReadinessGuard | None = None
    probes: tuple[ProbeGuard, ...] = ()

    def __bool__(self) -> bool:
        return self.error_rate is not None or self.readiness is not None or bool(self.probes)


def _required_seconds(problems: Problems, spec: Mapping[str, Any], key: str, where: str) -> float:
    if key not in spec:
        problems.add(f"{where}.{key}", "missing (required: seconds > 0)")
        return 1.0
    return problems.positive_number(spec, key, where, default=1.0)


def parse_guards(problems: Problems, raw: Mapping[str, Any], *, allow_remote: bool = False) -> GuardSpec:
    """`[guards]`; probe URLs follow the same loopback rule as the service's URL."""
    table = problems.table(raw, "guards", "")
    if table is None:
        return GuardSpec()
    problems.unknown_keys(table, "[guards]", GUARD_TABLES, what="guard")
    error_rate = None
    spec = problems.table(table, "error_rate", "[guards]")
    if spec is not None:
        where = "[guards.error_rate]"
        problems.unknown_keys(spec, where, ("above", "for_s"))
        above: Any = spec.get("above")
        if not is_number(above) or not 0 <= above < 1:
            problems.add(f"{where}.above", f"expected a fraction 0 <= above < 1 (a number), got {describe(above)}")
            above = 0.5
        error_rate = ErrorRateGuard(above=float(above), for_s=_required_seconds(problems, spec, "for_s", where))
    readiness = None
    spec = problems.table(table, "readiness", "[guards]")
    if spec is not None:
        problems.unknown_keys(spec, "[guards.readiness]", ("down_longer_than_s",))
        readiness = ReadinessGuard(
            down_longer_than_s=_required_seconds(problems, spec, "down_longer_than_s", "[guards.readiness]"))
    probes = []
    named = problems.table(table, "probes", "[guards]")
    for name, spec in (named or {}).items():
        where = f"[guards.probes.{name}]"
        if not isinstance(spec, Mapping):
            problems.add(where, f"expected a table, got {describe(spec)}")
            continue
        problems.unknown_keys(spec, where, ("url", "failing_for_s"))
        url = problems.string(spec, "url", where, required=True) or ""
        if url:
            check_url(problems, f"{where}.url", url, allow_remote=allow_remote)
        probes.append(ProbeGuard(name=name, url=url,
                                 failing_for_s=_required_seconds(problems, spec, "failing_for_s", where)))
    return GuardSpec(error_rate=error_rate, readiness=readiness, probes=tuple(probes))
