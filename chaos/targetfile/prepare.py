"""`[service.prepare]`: the commands that give the database its schema and seed data, and what they read.

    [service.prepare]
    commands = [[".venv/bin/python", "manage.py", "migrate", "--no-input"]]   # argv lists, run in order
    inputs = ["*/migrations/*.py", "requirements.txt"]   # files or globs, relative to the target file
    timeout_s = 600                                       # all commands together (default 600)

The commands run once per environment, after the dependencies are up and before the service
starts, with the service's env, cwd and templates. What they leave in Postgres is kept as a template
keyed by the inputs (see `chaos.env.prepare`), so an unchanged target skips them. Every key is
optional; an empty `[service.prepare]` caches what `init_sql` built.
"""

from __future__ import annotations

import glob
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chaos.targetfile._fields import Problems, describe

__all__ = ["PREPARE_KEYS", "Prepare", "parse_prepare"]

PREPARE_KEYS = ("commands", "inputs", "timeout_s")
DEFAULT_TIMEOUT_S = 600.0
_WHERE = "[service.prepare]"


@dataclass(frozen=True, slots=True, kw_only=True)
class Prepare:
    """The validated `[service.prepare]` table. Commands hold templates, rendered per environment."""

    commands: tuple[tuple[str, ...], ...] = ()
    inputs: tuple[str, ...] = ()        # as written: paths or globs relative to `base`
    base: Path = Path(".")              # the target file's directory (absolute)
    timeout_s: float = DEFAULT_TIMEOUT_S

    def input_files(self) -> list[Path]:
        """Every file the inputs name today, sorted and without duplicates (what the template key reads)."""
        found: set[Path] = set()
        for pattern in self.inputs:
            found.update(_matches(self.base, pattern))
        return sorted(found)


def _matches(base: Path, pattern: str) -> list[Path]:
    paths = glob.glob(pattern, root_dir=base, recursive=True) if glob.has_magic(pattern) else [pattern]
    return [p for p in ((base / m).resolve() for m in paths) if p.is_file()]


TemplateCheck = Callable[[str, str], str | None]
"""`check(key, value)`: the value to keep (`{env.NAME}` resolved), or None when its templates are not
known (the loader records the problem)."""


def parse_prepare(problems: Problems, service: Mapping[str, Any], base: Path,
                  check_template: TemplateCheck) -> Prepare | None:
    """The `[service.prepare]` table of a `[service]` table, or None when there is none."""
    spec = problems.table(service, "prepare", "[service]")
    if spec is None:
        return None
    problems.unknown_keys(spec, _WHERE, PREPARE_KEYS)
    return Prepare(commands=_commands(problems, spec.get("commands", []), check_template),
                   inputs=_inputs(problems, spec.get("inputs", []), base), base=base,
                   timeout_s=problems.positive_number(spec, "timeout_s", _WHERE, default=DEFAULT_TIMEOUT_S))


def _commands(problems: Problems, value: Any, check_template: TemplateCheck) -> tuple[tuple[str, ...], ...]:
    key = f"{_WHERE}.commands"
    if not isinstance(value, list):
        problems.add(key, f'expected a list of argv lists such as [["python", "manage.py", "migrate"]], '
                          f"got {describe(value)}")
        return ()
    commands: list[tuple[str, ...]] = []
    for i, argv in enumerate(value):
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) and a for a in argv):
            problems.add(f"{key}[{i}]", f"expected a non-empty list of non-empty strings, got {describe(argv)}")
            continue
        checked = [check_template(f"{key}[{i}][{j}]", arg) for j, arg in enumerate(argv)]
        if all(c is not None for c in checked):   # every argument checked first: all problems reported
            commands.append(tuple(c for c in checked if c is not None))
    return tuple(commands)


def _inputs(problems: Problems, value: Any, base: Path) -> tuple[str, ...]:
    key = f"{_WHERE}.inputs"
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        problems.add(key, f'expected a list of files or globs such as ["migrations/*.py"], got {describe(value)}')
        return ()
    for i, pattern in enumerate(value):
        if Path(pattern).is_absolute():
            problems.add(f"{key}[{i}]", f"expected a path relative to the target file's directory, got {pattern!r}")
        elif not _matches(base, pattern):
            # a typo here would key the template on nothing: changed migrations would not rebuild it
            problems.add(f"{key}[{i}]", f"{pattern!r} matches no file under {base}")
    return tuple(value)
