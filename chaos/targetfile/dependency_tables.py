"""Reading `[dependencies.<name>]`: what the suite starts for the service, and how the fake API answers.

    [dependencies.postgres]
    kind = "postgres"                 # postgres | redis | http (the fake external API)
    database = "app"                  # also user, password, init_sql = "schema.sql"

    [dependencies.rates]
    kind = "http"
    [[dependencies.rates.stubs]]      # how the fake API answers while no fault is injected
    method = "GET"
    path = "/v1/rates/*"              # exact, or a glob: * one segment, ** any
    json = { base = "USD", rates = { EUR = 0.92 } }

A dependency whose table is broken is returned in `broken`, so that templates and contracts that
name it do not add guesses of their own to the one problem that matters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from chaos.targetfile._fields import Problems, describe
from chaos.targetfile.model import Dependency, DependencyKind
from chaos.targetfile.request_templates import plain_json
from chaos.targetfile.templates import ENV_PREFIX
from chaos.upstream.stubs import InvalidStub, Stub

__all__ = ["POSTGRES_KEYS", "parse_dependencies"]

POSTGRES_KEYS: Final = ("database", "user", "password", "init_sql")
HTTP_KEYS: Final = ("stubs",)
_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_MAX_NAME: Final = 64


def parse_dependencies(problems: Problems, raw: Mapping[str, Any], base: Path
                       ) -> tuple[dict[str, Dependency], set[str]]:
    """The valid dependencies, in file order, and the names of the declared but broken ones."""
    table = problems.table(raw, "dependencies", "")
    deps: dict[str, Dependency] = {}
    broken: set[str] = set()
    for name, spec in (table or {}).items():
        where = f"[dependencies.{name}]"
        if not _NAME.fullmatch(name) or len(name) > _MAX_NAME:
            problems.add(f"[dependencies.{describe(name)}]",
                         f"a dependency name must be letters, digits, '_' or '-', at most {_MAX_NAME} "
                         "characters (it is used in templates such as {name.url})")
            continue
        if name == ENV_PREFIX.rstrip("."):
            problems.add(where, "the name env is reserved: {env.NAME} reads the runner's environment, so "
                                "{env.url} could not name this dependency; rename it")
            broken.add(name)
            continue
        before = len(problems.lines)
        dep = _dependency(problems, name, where, spec, base)
        if dep is not None and len(problems.lines) == before:
            deps[name] = dep
        else:
            broken.add(name)
    return deps, broken


def _dependency(problems: Problems, name: str, where: str, spec: Any, base: Path) -> Dependency | None:
    if not isinstance(spec, Mapping):
        problems.add(where, f"expected a table such as {{ kind = \"postgres\" }}, got {describe(spec)}")
        return None
    kind_raw = problems.string(spec, "kind", where, required=True)
    if kind_raw is None:
        return None
    try:
        kind = DependencyKind(kind_raw)
    except ValueError:
        kinds = ", ".join(k.value for k in DependencyKind)
        problems.add(f"{where}.kind", f"unknown dependency kind {describe(kind_raw)} (expected one of: {kinds})")
        return None
    own = {DependencyKind.POSTGRES: POSTGRES_KEYS, DependencyKind.HTTP: HTTP_KEYS}.get(kind, ())
    others = (set(POSTGRES_KEYS) | set(HTTP_KEYS)) - set(own)
    for key in spec:
        if key in others:
            owner = "postgres" if key in POSTGRES_KEYS else "http"
            problems.add(f"{where}.{key}", f"only valid for kind {owner!r} (this one is {kind.value!r})")
    problems.unknown_keys({k: v for k, v in spec.items() if k not in others}, where, ("kind", *own))
    fields: dict[str, Any] = {}
    if kind is DependencyKind.POSTGRES:
        fields = _postgres_fields(problems, spec, where, base)
    elif kind is DependencyKind.HTTP and "stubs" in spec:
        fields["stubs"] = _stubs(problems, name, spec["stubs"])
    return Dependency(name=name, kind=kind, **fields)


def _postgres_fields(problems: Problems, spec: Mapping[str, Any], where: str, base: Path) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key in ("database", "user", "password"):
        value = problems.string(spec, key, where)
        if value is not None:
            fields[key] = value
    init_sql = problems.string(spec, "init_sql", where)
    if init_sql is not None:
        path = problems.path(base, init_sql, f"{where}.init_sql", want="file")
        if path is not None:
            fields["init_sql"] = path
    return fields


def _stubs(problems: Problems, name: str, value: Any) -> tuple[Stub, ...]:
    """Each stub's problem is named as the user wrote the stub: `[dependencies.rates.stubs][0].status`
    is the `status` of the first `[[dependencies.rates.stubs]]` table."""
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        problems.add(f"[dependencies.{name}].stubs", "expected an array of tables ([[dependencies.NAME.stubs]] with "
                                                      f"path, status, json...), got {describe(value)}")
        return ()
    stubs: list[Stub] = []
    for index, item in enumerate(value):
        try:
            stubs.append(Stub.from_wire(plain_json(item)))
        except InvalidStub as exc:
            problems.add(f"[dependencies.{name}.stubs][{index}].{exc.field}", exc.problem)
    return tuple(stubs)
