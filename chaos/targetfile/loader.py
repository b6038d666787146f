"""`load_target`: read a target file once, check every key, and return a frozen `Target`.

All problems are collected and raised together in one TargetFileError, each line naming its key,
so a user fixes a broken file in one round instead of one error per run.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from chaos.errors import TargetFileError
from chaos.targetfile._fields import Problems, describe
from chaos.targetfile.catalog import CONTRACTS, Param, ParamKind
from chaos.targetfile.guards import parse_guards
from chaos.targetfile.model import (
    ContractSpec,
    Dependency,
    DependencyKind,
    LoadDefaults,
    ParamValue,
    RequestLine,
    Service,
    Target,
)
from chaos.targetfile.processes import parse_processes
from chaos.targetfile.templates import TemplateError, render, template_names

__all__ = ["load_target", "template_values_names"]

TOP_TABLES = ("service", "dependencies", "load", "contracts", "guards")
SERVICE_KEYS = ("command", "cwd", "url", "health", "ready", "start_timeout_s", "shutdown_grace_s",
                "allow_remote", "env", "defects_env", "processes")
DEFECTS_KEY = "defects"   # in every [contracts.*]: the service's defect switches that break it
POSTGRES_KEYS = ("database", "user", "password", "init_sql")
LOAD_KEYS = ("rate_per_s", "concurrency")
BASE_TEMPLATE_NAMES = ("python", "port", "target_dir", "workdir")
DEPENDENCY_TEMPLATE_FIELDS = ("url", "host", "port")

_DEP_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REQUEST = re.compile(r"(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) (/\S*)")


def template_values_names(dependency_names: Iterable[str]) -> list[str]:
    """Every template name a target with these dependencies may use (what env backends must provide)."""
    names = list(BASE_TEMPLATE_NAMES)
    for dep in dependency_names:
        names.extend(f"{dep}.{f}" for f in DEPENDENCY_TEMPLATE_FIELDS)
    return names


def load_target(path: str | os.PathLike[str]) -> Target:
    """Load and validate the target file at `path`; raises TargetFileError listing every problem."""
    shown = str(path)
    file = Path(path).expanduser().absolute()
    try:
        text = file.read_bytes().decode("utf-8")
    except OSError as exc:
        raise TargetFileError(path=shown, problems=[f"cannot read the file: {exc.strerror or exc}"]) from exc
    except UnicodeDecodeError as exc:
        raise TargetFileError(path=shown, problems=[f"not UTF-8 text: {exc}"]) from exc
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TargetFileError(path=shown, problems=[f"TOML syntax error: {exc}"]) from exc

    problems = Problems()
    problems.unknown_keys(raw, "", TOP_TABLES, what="table")
    deps = _dependencies(problems, raw, file.parent)
    service = _service(problems, raw, file.parent, template_values_names(deps))
    load = _load(problems, raw)
    contracts = _contracts(problems, raw, deps)
    guards = parse_guards(problems, raw)
    if problems or service is None:
        raise TargetFileError(path=shown, problems=problems.lines or ["[service]: missing (required table)"])
    return Target(path=file, service=service, dependencies=MappingProxyType(deps), load=load,
                  contracts=MappingProxyType(contracts), guards=guards)


# --- [dependencies] -----------------------------------------------------------------------------

def _dependencies(problems: Problems, raw: Mapping[str, Any], base: Path) -> dict[str, Dependency]:
    table = problems.table(raw, "dependencies", "")
    deps: dict[str, Dependency] = {}
    for name, spec in (table or {}).items():
        where = f"[dependencies.{name}]"
        if not _DEP_NAME.fullmatch(name):
            problems.add(where, "a dependency name must be letters, digits, '_' or '-' (it is used in "
                                "templates such as {name.url})")
            continue
        if not isinstance(spec, Mapping):
            problems.add(where, f"expected a table such as {{ kind = \"postgres\" }}, got {describe(spec)}")
            continue
        kind_raw = problems.string(spec, "kind", where, required=True)
        if kind_raw is None:
            continue
        try:
            kind = DependencyKind(kind_raw)
        except ValueError:
            kinds = ", ".join(k.value for k in DependencyKind)
            problems.add(f"{where}.kind", f"unknown dependency kind {kind_raw!r} (expected one of: {kinds})")
            continue
        allowed = ("kind", *POSTGRES_KEYS) if kind is DependencyKind.POSTGRES else ("kind",)
        for key in spec:
            if key in POSTGRES_KEYS and kind is not DependencyKind.POSTGRES:
                problems.add(f"{where}.{key}", f"only valid for kind 'postgres' (this one is {kind.value!r})")
        problems.unknown_keys({k: v for k, v in spec.items() if k not in POSTGRES_KEYS}, where, allowed)
        deps[name] = Dependency(name=name, kind=kind, **_postgres_fields(problems, spec, where, base))
    return deps


def _postgres_fields(problems: Problems, spec: Mapping[str, Any], where: str, base: Path) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key in ("database", "user", "password"):
        value = problems.string(spec, key, where)
        if value is not None:
            fields[key] = value
    init_sql = problems.string(spec, "init_sql", where)
    if init_sql is not None:
        sql_path = (base / init_sql).resolve()
        if not sql_path.is_file():
            problems.add(f"{where}.init_sql", f"file not found: {sql_path}")
        fields["init_sql"] = sql_path
    return fields


# --- [service] ----------------------------------------------------------------------------------

def _service(problems: Problems, raw: Mapping[str, Any], base: Path, names: list[str]) -> Service | None:
    spec = problems.table(raw, "service", "", required=True)
    if spec is None:
        return None
    where = "[service]"
    problems.unknown_keys(spec, where, SERVICE_KEYS)
    command = _command(problems, spec, names)
    url = problems.string(spec, "url", where, required=True)
    allow_remote = problems.boolean(spec, "allow_remote", where, default=False)
    if url is not None and _template_ok(problems, f"{where}.url", url, names):
        _check_url(problems, url, names, allow_remote=allow_remote)
    health = _path(problems, spec, "health", required=True)
    ready = _path(problems, spec, "ready", required=False) or health
    cwd_raw = problems.string(spec, "cwd", where, default=".") or "."
    cwd = (base / cwd_raw).resolve()
    if not cwd.is_dir():
        problems.add(f"{where}.cwd", f"not a directory: {cwd}")
    env = _env(problems, spec, names)
    start_timeout_s = problems.positive_number(spec, "start_timeout_s", where, default=20.0)
    shutdown_grace_s = problems.positive_number(spec, "shutdown_grace_s", where, default=10.0)
    defects_env = problems.string(spec, "defects_env", where)
    processes = parse_processes(problems, spec, base, lambda k, v: v if _template_ok(problems, k, v, names) else None)
    if command is None or url is None or health is None or ready is None:
        return None
    return Service(command=command, cwd=cwd, url=url, health=health, ready=ready,
                   start_timeout_s=start_timeout_s, shutdown_grace_s=shutdown_grace_s,
                   allow_remote=allow_remote, env=MappingProxyType(env), defects_env=defects_env,
                   processes=processes)


def _command(problems: Problems, spec: Mapping[str, Any], names: list[str]) -> tuple[str, ...] | None:
    key = "[service].command"
    if "command" not in spec:
        problems.add(key, 'missing (required: a list of strings such as ["{python}", "-m", "myservice"])')
        return None
    value = spec["command"]
    if not isinstance(value, list) or not value or not all(isinstance(a, str) for a in value):
        problems.add(key, f"expected a non-empty list of strings, got {describe(value)}")
        return None
    checked = [_template_ok(problems, f"{key}[{i}]", arg, names) for i, arg in enumerate(value)]
    return tuple(value) if all(checked) else None   # every argument checked: all problems reported


def _path(problems: Problems, spec: Mapping[str, Any], key: str, *, required: bool) -> str | None:
    value = problems.string(spec, key, "[service]", required=required)
    if value is not None and not value.startswith("/"):
        problems.add(f"[service].{key}", f"expected an URL path starting with '/', got {value!r}")
        return None
    return value


def _env(problems: Problems, spec: Mapping[str, Any], names: list[str]) -> dict[str, str]:
    table = problems.table(spec, "env", "[service]")
    env: dict[str, str] = {}
    for name, value in (table or {}).items():
        key = f"[service].env.{name}"
        if not _ENV_NAME.fullmatch(name):
            problems.add(key, "not a valid environment variable name")
        elif not isinstance(value, str):
            problems.add(key, f"expected a string (quote it), got {describe(value)}")
        elif _template_ok(problems, key, value, names):
            env[name] = value
    return env


def _template_ok(problems: Problems, key: str, value: str, names: list[str]) -> bool:
    try:
        used = template_names(value)
    except TemplateError as exc:
        problems.add(key, f"bad template: {exc}")
        return False
    ok = True
    for name in used:
        if name not in names:
            close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
            hint = f"; did you mean {{{close[0]}}}?" if close else f" (known: {', '.join(names)})"
            problems.add(key, f"unknown template name {{{name}}} in {value!r}{hint}")
            ok = False
    return ok


def _check_url(problems: Problems, url: str, names: list[str], *, allow_remote: bool) -> None:
    key = "[service].url"
    sample = render(url, {n: ("127.0.0.1" if n.endswith(".host") else "1") for n in names})
    parts = urlsplit(sample)
    try:
        host = parts.hostname
        _ = parts.port
    except ValueError as exc:
        problems.add(key, f"not a valid URL ({exc}): {url!r}")
        return
    if parts.scheme not in ("http", "https") or not host:
        problems.add(key, f"expected http(s)://host:port, got {url!r}")
        return
    if not allow_remote and not _is_loopback(host):
        problems.add(key, f"host {host!r} is not a loopback address; the suite only sends traffic to "
                          "127.0.0.0/8 unless you set allow_remote = true in [service]")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- [load] -------------------------------------------------------------------------------------

def _load(problems: Problems, raw: Mapping[str, Any]) -> LoadDefaults:
    spec = problems.table(raw, "load", "")
    if spec is None:
        return LoadDefaults()
    problems.unknown_keys(spec, "[load]", LOAD_KEYS)
    default = LoadDefaults()
    return LoadDefaults(
        rate_per_s=problems.positive_number(spec, "rate_per_s", "[load]", default=default.rate_per_s),
        concurrency=problems.positive_int(spec, "concurrency", "[load]", default=default.concurrency))


# --- [contracts] --------------------------------------------------------------------------------

def _contracts(problems: Problems, raw: Mapping[str, Any], deps: Mapping[str, Dependency]
               ) -> dict[str, ContractSpec]:
    table = problems.table(raw, "contracts", "")
    contracts: dict[str, ContractSpec] = {}
    for name, spec in (table or {}).items():
        where = f"[contracts.{name}]"
        schema = CONTRACTS.get(name)
        if schema is None:
            problems.unknown_keys({name: spec}, "[contracts]", CONTRACTS, what="contract")
            continue
        if not isinstance(spec, Mapping):
            problems.add(where, f"expected a table, got {describe(spec)}")
            continue
        problems.unknown_keys(spec, where, [*schema, DEFECTS_KEY], what="parameter")
        defects = _defects(problems, f"{where}.{DEFECTS_KEY}", spec.get(DEFECTS_KEY, []))
        params: dict[str, ParamValue] = {}
        for param in schema.values():
            if param.name not in spec:
                if param.required:
                    problems.add(f"{where}.{param.name}", f"missing (required: {param.kind.expected})")
                continue
            value = _param(problems, f"{where}.{param.name}", param, spec[param.name], deps)
            if value is not None:
                params[param.name] = value
        contracts[name] = ContractSpec(name=name, params=MappingProxyType(params), defects=defects)
    return contracts


def _defects(problems: Problems, key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, list) and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    problems.add(key, f"expected a list of defect names (strings), got {describe(value)}")
    return ()


def _param(problems: Problems, key: str, param: Param, value: Any, deps: Mapping[str, Dependency]
           ) -> ParamValue | None:
    kind = param.kind
    bad = f"expected {kind.expected}, got {describe(value)}"
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if kind is ParamKind.SECONDS:
        if (is_int or isinstance(value, float)) and value > 0:
            return float(value)
    elif kind is ParamKind.COUNT:
        if is_int and value >= 1:
            return int(value)
    elif kind is ParamKind.MILLISECONDS:
        if is_int and value >= 0:
            return int(value)
    elif kind is ParamKind.STATUS:
        if is_int and 100 <= value <= 599:
            return int(value)
    elif kind is ParamKind.TEXT:
        if isinstance(value, str) and value:
            return value
    elif kind is ParamKind.JSON:
        if isinstance(value, Mapping):
            return MappingProxyType(dict(value))
    elif kind is ParamKind.REQUEST:
        match = _REQUEST.fullmatch(value) if isinstance(value, str) else None
        if match:
            return RequestLine(method=match.group(1), target=match.group(2))
    elif kind is ParamKind.DEPENDENCY and isinstance(value, str):
        return _dependency_param(problems, key, param, value, deps)
    problems.add(key, bad)
    return None


def _dependency_param(problems: Problems, key: str, param: Param, value: str,
                      deps: Mapping[str, Dependency]) -> str | None:
    dep = deps.get(value)
    wanted = param.dependency_kind
    if dep is None:
        known = ", ".join(deps) or "none declared"
        problems.add(key, f"unknown dependency {value!r} (declared under [dependencies]: {known})")
        return None
    if wanted is not None and dep.kind is not wanted:
        problems.add(key, f"dependency {value!r} is of kind {dep.kind.value!r}; this contract needs a "
                          f"{wanted.value!r} dependency")
        return None
    return value
