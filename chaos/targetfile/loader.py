"""`load_target`: read a target file once, check every key, and return a frozen `Target`.

All problems are collected and raised together in one TargetFileError, each line naming its key,
so a user fixes a broken file in one round instead of one error per run. Whatever the input (a
binary file, TOML nested thousands deep, a 5,000-digit integer, a NUL byte in a path, a URL that
is not one), the only exception that leaves is TargetFileError.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from chaos.errors import TargetFileError
from chaos.targetfile._addresses import check_url
from chaos.targetfile._fields import Problems, describe, describe_path
from chaos.targetfile._templating import TemplateScope, looks_secret
from chaos.targetfile.attach import parse_attach
from chaos.targetfile.contract_tables import parse_answers, parse_contracts
from chaos.targetfile.dependency_tables import parse_dependencies
from chaos.targetfile.guards import parse_guards
from chaos.targetfile.model import LoadDefaults, RestartRule, Service, Target
from chaos.targetfile.prepare import parse_prepare
from chaos.targetfile.processes import parse_processes
from chaos.targetfile.request_templates import parse_headers
from chaos.targetfile.templates import render

__all__ = ["MAX_FILE_BYTES", "MAX_NESTING", "load_target", "template_values_names"]

TOP_TABLES: Final = ("service", "dependencies", "answers", "load", "contracts", "guards", "attach")
SERVICE_KEYS: Final = ("command", "cwd", "url", "health", "ready", "start_timeout_s", "shutdown_grace_s",
                       "healthy_within_s", "restart", "allow_remote", "env", "headers", "defects_env",
                       "prepare", "processes")
LOAD_KEYS: Final = ("rate_per_s", "concurrency", "headers")
BASE_TEMPLATE_NAMES: Final = ("python", "port", "target_dir", "workdir")
DEPENDENCY_TEMPLATE_FIELDS: Final = ("url", "host", "port")
MAX_FILE_BYTES: Final = 1 << 20
"""A target file is a page of settings; a megabyte of it is a wrong file."""
MAX_NESTING: Final = 32
"""Tables and arrays nested deeper than this are no target file (and would exhaust recursion)."""


def template_values_names(dependency_names: Iterable[str]) -> list[str]:
    """Every template name a target with these dependencies may use (what env backends must provide)."""
    names = list(BASE_TEMPLATE_NAMES)
    for dep in dependency_names:
        names.extend(f"{dep}.{f}" for f in DEPENDENCY_TEMPLATE_FIELDS)
    return names


def load_target(path: str | os.PathLike[str], *, environ: Mapping[str, str] | None = None) -> Target:
    """Load and validate the target file at `path`; raises TargetFileError listing every problem.

    `{env.NAME}` templates are resolved from `environ` (default: this process's environment)."""
    shown = str(path)
    data = _read(shown, path)
    raw = _parse(shown, data)
    file = Path(path).expanduser().absolute()
    problems = Problems()
    problems.unknown_keys(raw, "", TOP_TABLES, what="table")
    deps, broken = parse_dependencies(problems, raw, file.parent)
    environ = os.environ if environ is None else environ
    scope = TemplateScope(template_values_names(deps), environ, broken=broken)
    service = _service(problems, raw, file.parent, scope, attached="attach" in raw)
    answers = parse_answers(problems, raw)
    load = _load(problems, raw, scope)
    contracts = parse_contracts(problems, raw, deps=deps, answers=answers, scope=scope, service=service,
                                processes=tuple(service.processes) if service is not None else ())
    guards = parse_guards(problems, raw, allow_remote=service.allow_remote if service is not None else False)
    attach = parse_attach(problems, raw, target_dir=file.parent, scope=scope, deps=deps, guards=guards,
                          environ=environ)
    if problems or service is None:
        raise TargetFileError(path=shown, problems=problems.lines or ["[service]: missing (required table)"])
    return Target(path=file, service=service, dependencies=MappingProxyType(deps), load=load,
                  contracts=MappingProxyType(contracts), guards=guards, answers=answers, attach=attach,
                  secrets=tuple(sorted(scope.secrets)), sha256=hashlib.sha256(data).hexdigest())


def _read(shown: str, path: str | os.PathLike[str]) -> bytes:
    try:
        file = Path(path).expanduser()
        with file.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except (OSError, ValueError) as exc:   # ValueError: a NUL byte in the path
        reason = getattr(exc, "strerror", None) or str(exc)
        raise TargetFileError(path=shown, problems=[f"cannot read the file: {reason}"]) from exc
    if len(data) > MAX_FILE_BYTES:
        raise TargetFileError(path=shown, problems=[f"larger than {MAX_FILE_BYTES >> 20} MiB: not a target file"])
    return data


def _parse(shown: str, data: bytes) -> dict[str, Any]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TargetFileError(path=shown, problems=[f"not UTF-8 text: {exc}"]) from exc
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TargetFileError(path=shown, problems=[f"TOML syntax error: {exc}"]) from exc
    except RecursionError as exc:
        raise TargetFileError(path=shown, problems=[f"tables or arrays nested too deeply (at most {MAX_NESTING})"]
                              ) from exc
    except ValueError as exc:   # an integer beyond sys.get_int_max_str_digits()
        raise TargetFileError(path=shown, problems=[_huge_integer(text, exc)]) from exc
    if _depth(raw) > MAX_NESTING:
        raise TargetFileError(path=shown, problems=[f"tables or arrays nested too deeply (at most {MAX_NESTING})"])
    return raw


def _huge_integer(text: str, exc: ValueError) -> str:
    """Where the integer too long to parse is (tomllib's error names neither line nor key)."""
    limit = sys.get_int_max_str_digits()
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.search(rf"[0-9_]{{{limit + 1},}}", line)
        if match is not None:
            digits = sum(c.isdigit() for c in match.group(0))
            return f"line {number}: an integer of {digits} digits is out of range (at most {limit} digits)"
    return f"a value is out of range ({exc})"


def _depth(value: object) -> int:
    """How deep tables and arrays nest (iteratively: the point is to refuse what recursion cannot take)."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, Mapping | list):
            deepest = max(deepest, depth)
            if depth > MAX_NESTING:
                break
            children = node.values() if isinstance(node, Mapping) else node
            stack.extend((child, depth + 1) for child in children)
    return deepest


# --- [service] ----------------------------------------------------------------------------------

def _service(problems: Problems, raw: Mapping[str, Any], base: Path, scope: TemplateScope, *,
             attached: bool = False) -> Service | None:
    spec = problems.table(raw, "service", "", required=True)
    if spec is None:
        return None
    where = "[service]"
    problems.unknown_keys(spec, where, SERVICE_KEYS)
    cwd = problems.path(base, problems.string(spec, "cwd", where, default=".") or ".", f"{where}.cwd",
                        want="directory")
    # attached (chaos.targetfile.attach): the service runs already, there is nothing to start
    command = () if attached else _command(problems, spec, scope, cwd)
    url = problems.string(spec, "url", where, required=True)
    allow_remote = problems.boolean(spec, "allow_remote", where, default=False)
    if url is not None:
        url = scope.check(problems, f"{where}.url", url)
    if url is not None:
        sample = render(url, {n: ("127.0.0.1" if n.endswith(".host") else "1") for n in scope.names})
        if not check_url(problems, f"{where}.url", sample, allow_remote=allow_remote, shown=url):
            url = None
    health = _path(problems, spec, "health", required=True)
    ready = _path(problems, spec, "ready", required=False)
    env = _env(problems, spec, scope)
    headers = parse_headers(problems, f"{where}.headers", spec["headers"], scope) if "headers" in spec \
        else MappingProxyType({})
    restart = _restart(problems, spec.get("restart", RestartRule.WHEN_UNHEALTHY.value))
    numbers = {key: problems.positive_number(spec, key, where, default=default)
               for key, default in (("start_timeout_s", 20.0), ("shutdown_grace_s", 10.0),
                                    ("healthy_within_s", 2.0))}
    defects_env = problems.string(spec, "defects_env", where)
    prepare = parse_prepare(problems, spec, base, lambda key, value: scope.check(problems, key, value))
    processes = parse_processes(problems, spec, base, lambda key, value: scope.check(problems, key, value))
    if command is None or url is None or health is None or cwd is None or restart is None:
        return None
    return Service(command=command, cwd=cwd, url=url, health=health, ready=ready, restart=restart,
                   allow_remote=allow_remote, env=MappingProxyType(env), headers=headers,
                   defects_env=defects_env, prepare=prepare, processes=processes, **numbers)


def _command(problems: Problems, spec: Mapping[str, Any], scope: TemplateScope, cwd: Path | None
             ) -> tuple[str, ...] | None:
    key = "[service].command"
    if "command" not in spec:
        problems.add(key, 'missing (required: a list of strings such as ["{python}", "-m", "myservice"])')
        return None
    value = spec["command"]
    if not isinstance(value, list) or not value or not all(isinstance(a, str) for a in value):
        problems.add(key, f"expected a non-empty list of strings, got {describe(value)}")
        return None
    checked = [scope.check(problems, f"{key}[{i}]", arg) for i, arg in enumerate(value)]
    if any(c is None for c in checked):
        return None   # every argument was checked: all problems reported
    command = tuple(c for c in checked if c is not None)
    if cwd is not None and "{" not in command[0]:
        _check_executable(problems, f"{key}[0]", render(command[0], {}), cwd)
    return command


def _check_executable(problems: Problems, key: str, program: str, cwd: Path) -> None:
    """The program is found now, not as a traceback when the environment starts: on PATH for a bare
    name, relative to `cwd` for a path (as the service's process will look for it)."""
    if "\0" in program:
        problems.add(key, f"a program name cannot contain a NUL byte: {describe(program)}")
        return
    if os.sep not in program:
        if shutil.which(program) is None:
            problems.add(key, f"{describe(program)} is not found on PATH (install it, or give its path)")
        return
    try:
        path = (cwd / program).resolve()
        runnable = path.is_file() and os.access(path, os.X_OK)
        exists = path.exists()
    except (OSError, RuntimeError, ValueError) as exc:
        problems.add(key, f"cannot resolve {describe(program)}: {getattr(exc, 'strerror', None) or exc}")
        return
    if not runnable:
        problem = "is not executable (chmod +x?)" if exists else "does not exist"
        problems.add(key, f"{describe_path(path)} {problem} (the command runs in [service].cwd = {describe_path(cwd)})")


def _path(problems: Problems, spec: Mapping[str, Any], key: str, *, required: bool) -> str | None:
    value = problems.string(spec, key, "[service]", required=required)
    if value is not None and (not value.startswith("/") or any(c.isspace() or c == "\0" for c in value)):
        problems.add(f"[service].{key}", f"expected an URL path starting with '/' (no spaces), got {describe(value)}")
        return None
    return value


def _env(problems: Problems, spec: Mapping[str, Any], scope: TemplateScope) -> dict[str, str]:
    table = problems.table(spec, "env", "[service]")
    env: dict[str, str] = {}
    for name, value in (table or {}).items():
        key = f"[service].env.{name}"
        if not name.isidentifier() or not name.isascii():
            problems.add(f"[service].env.{describe(name)}", "not a valid environment variable name")
        elif not isinstance(value, str):
            problems.add(key, f"expected a string (quote it), got {describe(value)}")
        elif "\0" in value:
            problems.add(key, "an environment value cannot contain a NUL byte")
        else:
            resolved = scope.check(problems, key, value)
            if resolved is not None:
                if looks_secret(name) and "{" not in resolved:
                    scope.remember_secret(resolved)
                env[name] = resolved
    return env


def _restart(problems: Problems, value: Any) -> RestartRule | None:
    try:
        return RestartRule(value)
    except ValueError:
        rules = ", ".join(f"{r.value!r}" for r in RestartRule)
        problems.add("[service].restart", f"expected one of {rules}, got {describe(value)}")
        return None


# --- [load] -------------------------------------------------------------------------------------

def _load(problems: Problems, raw: Mapping[str, Any], scope: TemplateScope) -> LoadDefaults:
    spec = problems.table(raw, "load", "")
    if spec is None:
        return LoadDefaults()
    problems.unknown_keys(spec, "[load]", LOAD_KEYS)
    default = LoadDefaults()
    headers = parse_headers(problems, "[load].headers", spec["headers"], scope) if "headers" in spec \
        else default.headers
    return LoadDefaults(
        rate_per_s=problems.positive_number(spec, "rate_per_s", "[load]", default=default.rate_per_s),
        concurrency=problems.positive_int(spec, "concurrency", "[load]", default=default.concurrency),
        headers=headers)
