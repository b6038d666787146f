"""Reading `[answers]` and the `[contracts.<name>]` tables against the catalog.

Every parameter is typed and checked per its `Param`; defaults are filled in (so experiments never
carry a fallback of their own); answer parameters resolve as the contract's own table, else the
file's `[answers]`, else the catalog's `ANSWER_DEFAULTS`, and the source is kept so a verdict can
say "cached: not declared, check skipped". A parameter that an earlier version of the file format
had gets a message saying what replaced it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from chaos.answers import Answer
from chaos.targetfile._fields import MAX_COUNT, MAX_MILLISECONDS, Problems, describe, is_number
from chaos.targetfile._templating import TemplateScope
from chaos.targetfile.answers import parse_answer
from chaos.targetfile.catalog import ANSWER_DEFAULTS, CONTRACTS, RENAMED, Contract
from chaos.targetfile.model import ContractSpec, Dependency, ParamValue, Service
from chaos.targetfile.params import Derived, Param, ParamKind
from chaos.targetfile.request_templates import parse_request

__all__ = ["DEFECTS_KEY", "parse_answers", "parse_contracts"]

DEFECTS_KEY = "defects"   # in every [contracts.*]: the service's defect switches that break it
SERVICE_PROCESS = "service"


def parse_answers(problems: Problems, raw: Mapping[str, Any]) -> Mapping[str, Answer]:
    """`[answers]`: the service's conventions, each a name the catalog knows."""
    table = problems.table(raw, "answers", "")
    answers: dict[str, Answer] = {}
    if table is None:
        return MappingProxyType(answers)
    problems.unknown_keys(table, "[answers]", ANSWER_DEFAULTS, what="answer")
    for name, value in table.items():
        if name in ANSWER_DEFAULTS:
            answer = parse_answer(problems, f"[answers].{name}", value)
            if answer is not None:
                answers[name] = answer
    return MappingProxyType(answers)


def parse_contracts(problems: Problems, raw: Mapping[str, Any], *, deps: Mapping[str, Dependency],
                    answers: Mapping[str, Answer], scope: TemplateScope, service: Service | None,
                    processes: tuple[str, ...] = ()) -> dict[str, ContractSpec]:
    table = problems.table(raw, "contracts", "")
    contracts: dict[str, ContractSpec] = {}
    for name, spec in (table or {}).items():
        where = f"[contracts.{name}]"
        contract = CONTRACTS.get(name)
        if contract is None:
            problems.unknown_keys({name: spec}, "[contracts]", CONTRACTS, what="contract")
            continue
        if not isinstance(spec, Mapping):
            problems.add(where, f"expected a table, got {describe(spec)}")
            continue
        _unknown(problems, where, spec, contract)
        if name == "readiness" and service is not None and service.ready is None:
            problems.add(where, "needs a readiness endpoint: set [service].ready to its path, or do not "
                                "declare this contract (a service without one cannot promise it)")
        defects = _defects(problems, f"{where}.{DEFECTS_KEY}", spec.get(DEFECTS_KEY, []))
        params: dict[str, ParamValue] = {}
        sources: dict[str, str] = {}
        derived: list[Param] = []
        for param in contract.params.values():
            key = f"{where}.{param.name}"
            if param.kind is ParamKind.ANSWER:
                value, source = _answer(problems, key, name=param.name, spec=spec, answers=answers, where=where)
                sources[param.name] = source
                if value is not None:
                    params[param.name] = value
            elif param.name in spec:
                parsed = _param(problems, key, param, spec[param.name], deps=deps, scope=scope, processes=processes)
                if parsed is not None:
                    params[param.name] = parsed
            elif param.required:
                problems.add(key, f"missing (required {param.role.value}: {param.doc}; {param.kind.expected})")
            elif isinstance(param.default, Derived):
                derived.append(param)
            elif param.default is not None:
                params[param.name] = param.default
        for param in derived:
            # what it derives from may be missing or bad: that is reported already
            with contextlib.suppress(KeyError, TypeError, ValueError):
                params[param.name] = param.default.compute(params)
        contracts[name] = ContractSpec(name=name, params=MappingProxyType(params), defects=defects,
                                       answer_sources=MappingProxyType(sources))
    return contracts


def _unknown(problems: Problems, where: str, spec: Mapping[str, Any], contract: Contract) -> None:
    allowed = [*contract.params, DEFECTS_KEY]
    renamed = {k: v for k, v in spec.items() if k not in allowed and k in RENAMED}
    for key in renamed:
        problems.add(f"{where}.{key}", f"renamed: use {RENAMED[key]}")
    problems.unknown_keys({k: v for k, v in spec.items() if k not in renamed}, where, allowed,
                          what="parameter")


def _answer(problems: Problems, key: str, *, name: str, spec: Mapping[str, Any], answers: Mapping[str, Answer],
            where: str) -> tuple[Answer | None, str]:
    if name in spec:
        return parse_answer(problems, key, spec[name]), f"{where}.{name}"
    if name in answers:
        return answers[name], f"[answers].{name}"
    default = ANSWER_DEFAULTS[name]
    return default, "default" if default is not None else "not declared"


def _defects(problems: Problems, key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, list) and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    problems.add(key, f"expected a list of defect names (strings), got {describe(value)}")
    return ()


def _param(problems: Problems, key: str, param: Param, value: Any, *, deps: Mapping[str, Dependency],
           scope: TemplateScope, processes: tuple[str, ...]) -> ParamValue | None:
    kind = param.kind
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if kind is ParamKind.REQUEST:
        return parse_request(problems, key, value, scope)
    if kind is ParamKind.SECONDS:
        if is_number(value) and value > 0:
            return float(value)
    elif kind is ParamKind.COUNT:
        if is_int and 1 <= value <= MAX_COUNT:
            return int(value)
    elif kind is ParamKind.MILLISECONDS:
        if is_int and 0 <= value <= MAX_MILLISECONDS:
            return int(value)
    elif kind is ParamKind.DEPENDENCY and isinstance(value, str):
        return _dependency(problems, key, param, value, deps=deps, broken=scope.broken)
    elif kind is ParamKind.PROCESS and isinstance(value, str):
        if value == SERVICE_PROCESS or value in processes:
            return value
        known = ", ".join([SERVICE_PROCESS, *processes])
        problems.add(key, f"unknown process {describe(value)} (known: {known})")
        return None
    role = f"{param.role.value}: {param.doc}"
    problems.add(key, f"expected {kind.expected}, got {describe(value)} ({role})")
    return None


def _dependency(problems: Problems, key: str, param: Param, value: str, *,
                deps: Mapping[str, Dependency], broken: frozenset[str]) -> str | None:
    dep = deps.get(value)
    wanted = param.dependency_kind
    if dep is None and value in broken:
        return None   # its own table's problem is reported; this one would only repeat it
    if dep is None:
        known = ", ".join(deps) or "none declared"
        problems.add(key, f"unknown dependency {describe(value)} (declared under [dependencies]: {known})")
        return None
    if wanted is not None and dep.kind is not wanted:
        problems.add(key, f"dependency {describe(value)} is of kind {dep.kind.value!r}; this contract needs a "
                          f"{wanted.value!r} dependency")
        return None
    return value
