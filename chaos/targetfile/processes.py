"""`[service.processes.NAME]`: extra processes started beside the service (a queue worker, a scheduler).

    [service.processes.worker]
    command = ["node", "src/worker.js"]       # required; templates as in [service].command
    cwd = "."                                 # relative to the target file (default: [service].cwd)
    env = { WORKER_CONCURRENCY = "2" }        # added on top of the service's environment
    ready_log = "worker ready"                # a regex its log must show after each start (default:
                                              #   none; then started and still alive counts as ready)
    shutdown_grace_s = 10                     # SIGTERM to exit, before SIGKILL (default: the service's)

Each process gets the service's environment and templates, so `{postgres.url}` means the same proxy
for the worker as for the web process. Parsed here into values; `chaos.env` starts, heals and reaps
them like the service.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from chaos.targetfile._fields import Problems, describe

__all__ = ["PROCESS_KEYS", "RESERVED_NAMES", "ProcessSpec", "parse_processes"]

PROCESS_KEYS = ("command", "cwd", "env", "ready_log", "shutdown_grace_s")
RESERVED_NAMES = ("service", "sut")   # how contracts and timelines name the service itself

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

TemplateCheck = Callable[[str, str], "str | None"]
"""(key, value) -> the value to keep (as the loader renders templates at load time), or None when it
is not a valid template of known names (the problem is recorded then)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessSpec:
    """One `[service.processes.<name>]` table; string fields may hold templates."""

    name: str
    command: tuple[str, ...]
    cwd: Path | None = None                 # absolute; None: the service's cwd
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    ready_log: str | None = None            # a regex (validated), searched in the log of each start
    shutdown_grace_s: float | None = None   # None: the service's


def parse_processes(problems: Problems, service: Mapping[str, Any], base: Path,
                    template_ok: TemplateCheck) -> Mapping[str, ProcessSpec]:
    """The `processes` table of a raw `[service]` table, every problem recorded in `problems`."""
    table = problems.table(service, "processes", "[service]")
    found: dict[str, ProcessSpec] = {}
    for name, spec in (table or {}).items():
        where = f"[service.processes.{name}]"
        if not _NAME.fullmatch(name):
            problems.add(where, "a process name must be letters, digits, '_' or '-'")
            continue
        if name in RESERVED_NAMES:
            problems.add(where, f"{name!r} names the service itself; choose another name")
            continue
        if not isinstance(spec, Mapping):
            problems.add(where, f'expected a table such as {{ command = ["node", "worker.js"] }}, got {describe(spec)}')
            continue
        parsed = _process(problems, name, spec, base=base, template_ok=template_ok)
        if parsed is not None:
            found[name] = parsed
    return MappingProxyType(found)


def _process(problems: Problems, name: str, spec: Mapping[str, Any], *, base: Path,
             template_ok: TemplateCheck) -> ProcessSpec | None:
    where = f"[service.processes.{name}]"
    problems.unknown_keys(spec, where, PROCESS_KEYS)
    command = _command(problems, spec, where, template_ok)
    cwd: Path | None = None
    cwd_raw = problems.string(spec, "cwd", where)
    if cwd_raw is not None:
        cwd = (base / cwd_raw).resolve()
        if not cwd.is_dir():
            problems.add(f"{where}.cwd", f"not a directory: {cwd}")
    env = _env(problems, spec, where, template_ok)
    ready_log = problems.string(spec, "ready_log", where)
    if ready_log is not None:
        try:
            re.compile(ready_log)
        except re.error as exc:
            problems.add(f"{where}.ready_log", f"not a valid regular expression ({exc}): {ready_log!r}")
            ready_log = None
    grace = problems.positive_number(spec, "shutdown_grace_s", where, default=0.0) or None
    if command is None:
        return None
    return ProcessSpec(name=name, command=command, cwd=cwd, env=MappingProxyType(env), ready_log=ready_log,
                       shutdown_grace_s=grace)


def _command(problems: Problems, spec: Mapping[str, Any], where: str,
             template_ok: TemplateCheck) -> tuple[str, ...] | None:
    key = f"{where}.command"
    if "command" not in spec:
        problems.add(key, 'missing (required: a list of strings such as ["node", "src/worker.js"])')
        return None
    value = spec["command"]
    if not isinstance(value, list) or not value or not all(isinstance(a, str) and a for a in value):
        problems.add(key, f"expected a non-empty list of non-empty strings, got {describe(value)}")
        return None
    checked = [template_ok(f"{key}[{i}]", arg) for i, arg in enumerate(value)]
    if any(c is None for c in checked):
        return None   # every argument was checked: all problems reported
    return tuple(c for c in checked if c is not None)


def _env(problems: Problems, spec: Mapping[str, Any], where: str, template_ok: TemplateCheck) -> dict[str, str]:
    table = problems.table(spec, "env", where)
    env: dict[str, str] = {}
    for var, value in (table or {}).items():
        key = f"{where}.env.{var}"
        if not _ENV_NAME.fullmatch(var):
            problems.add(key, "not a valid environment variable name")
        elif not isinstance(value, str):
            problems.add(key, f"expected a string (quote it), got {describe(value)}")
        elif (kept := template_ok(key, value)) is not None:
            env[var] = kept
    return env
