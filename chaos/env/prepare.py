"""`[service.prepare]` at run time: the template key, whether the template is fresh, and running the commands.

The key is a SHA-256 over what the target declares its database is made of: each Postgres
dependency's name, database, role and init_sql content, the prepare commands as written, and every
file the `inputs` name today (path and content). Ports and other per-run values are not in it (the
commands are hashed before rendering), so the same target gives the same key on every run and in
every pytest-xdist worker; changing a migration named in `inputs` gives a new key and a rebuild.

The commands run as the service would: its cwd, its env (inherited, the target's, then
`--chaos-sut-env`), in a process group of ours that is reaped on every exit path. Their output
goes to a log and, live, to a progress reporter.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TextIO

from chaos.env.pgtemplate import is_template, prepared_template_path
from chaos.env.process import ManagedProcess
from chaos.env.readiness import log_tail
from chaos.env.registry import Tracker
from chaos.errors import PrepareFailed
from chaos.targetfile import DependencyKind, Prepare, Target, render

__all__ = ["CollectedProgress", "ConsoleProgress", "PrepareProgress", "TemplateStatus", "run_prepare", "template_key",
           "template_status"]

KEY_VERSION = 1   # bump when what a prepared template holds changes meaning
_POLL_S = 0.1
_TICK_S = 1.0


def template_key(target: Target) -> str:
    """The hex digest the target's prepared templates are keyed by (see the module docstring)."""
    prepare = target.service.prepare or Prepare(base=target.target_dir)
    digest = hashlib.sha256(f"chaos prepared template v{KEY_VERSION}\0".encode())

    def feed(*parts: str | bytes) -> None:
        for part in parts:
            data = part.encode() if isinstance(part, str) else part
            digest.update(len(data).to_bytes(8, "big"))
            digest.update(data)

    for dep in sorted(target.dependencies.values(), key=lambda d: d.name):
        if dep.kind is DependencyKind.POSTGRES:
            feed("dependency", dep.name, dep.database, dep.user, dep.password)
            feed("init_sql", dep.init_sql.read_bytes() if dep.init_sql is not None else b"")
    feed("commands", json.dumps(prepare.commands))
    for path in prepare.input_files():
        feed("input", _shown(path, prepare.base), path.read_bytes())
    return digest.hexdigest()


def _shown(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplateStatus:
    """Where a target's prepared templates are and whether all of them exist for today's inputs."""

    key: str
    paths: Mapping[str, Path]    # Postgres dependency name -> its template dir

    def is_fresh(self) -> bool:
        """Every template exists now (checked on disk: another run may have just published them)."""
        return bool(self.paths) and all(is_template(p) for p in self.paths.values())

    def describe(self) -> str:
        """One line for `chaos doctor` and `chaos up`."""
        names = ", ".join(p.name for p in self.paths.values())
        if self.is_fresh():
            used = time.strftime("%Y-%m-%d %H:%M", time.localtime(min(p.stat().st_mtime for p in self.paths.values())))
            return f"fresh (key {self.key[:12]}, {names}, last used {used})"
        return (f"not built for today's inputs (key {self.key[:12]}): the next start runs the prepare commands "
                f"and keeps the result in {names}")


def template_status(target: Target, *, cache: Path, major: int) -> TemplateStatus | None:
    """The prepared-template state of `target`, or None when it declares no [service.prepare] or no Postgres."""
    if target.service.prepare is None:
        return None
    key = template_key(target)
    paths = {d.name: prepared_template_path(cache, major, key, d.name)
             for d in target.dependencies.values() if d.kind is DependencyKind.POSTGRES}
    return TemplateStatus(key=key, paths=paths) if paths else None


class PrepareProgress(Protocol):
    """Where prepare's live output goes (a terminal line, a log, nothing)."""

    def command(self, index: int, total: int, argv: Sequence[str]) -> None: ...
    def output(self, line: str) -> None: ...
    def tick(self, elapsed_s: float) -> None: ...
    def note(self, text: str) -> None: ...


class ConsoleProgress:
    """On a terminal, one progress line rewritten in place; elsewhere, every output line, prefixed."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._label = ""
        self._last = ""

    def command(self, index: int, total: int, argv: Sequence[str]) -> None:
        self._label = f"prepare [{index}/{total}] {' '.join(argv)}"
        self._last = ""
        self._write(f"chaos: {self._label}", final=not self.tty)

    def output(self, line: str) -> None:
        self._last = line.strip()
        if not self.tty:
            self._write(f"  prepare| {line.rstrip()}", final=True)

    def tick(self, elapsed_s: float) -> None:
        if self.tty:
            self._write(f"chaos: {self._label} ({elapsed_s:.0f} s) {self._last}"[:160], final=False)

    def note(self, text: str) -> None:
        self._write(f"chaos: {text}", final=True)

    def _write(self, text: str, *, final: bool) -> None:
        if self.tty:
            self.stream.write("\r\x1b[K" + text + ("\n" if final else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


class CollectedProgress:
    """Keeps every line instead of showing it (benchmarks, tests, embedding programs)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def command(self, index: int, total: int, argv: Sequence[str]) -> None:
        self.lines.append(f"prepare [{index}/{total}] {' '.join(argv)}")

    def output(self, line: str) -> None:
        self.lines.append(line)

    def tick(self, elapsed_s: float) -> None:
        pass

    def note(self, text: str) -> None:
        self.lines.append(text)


def run_prepare(prepare: Prepare, *, values: Mapping[str, str], env: Mapping[str, str], cwd: Path,
                log_path: Path, tracker: Tracker, progress: PrepareProgress | None = None) -> float:
    """Run the commands in order, all within `prepare.timeout_s`; the seconds they took.

    A command exiting non-zero, or the time running out (the command is then killed), raises
    PrepareFailed with the tail of the output. Interrupts reap the running command before going on.
    """
    started = time.monotonic()
    deadline = started + prepare.timeout_s
    total = len(prepare.commands)
    for index, template in enumerate(prepare.commands, start=1):
        argv = [render(arg, values) for arg in template]
        if progress is not None:
            progress.command(index, total, argv)
        with log_path.open("a") as log:
            log.write(f"--- chaos: prepare [{index}/{total}] {' '.join(argv)} ---\n")
        try:
            proc = ManagedProcess.start(argv, label=f"prepare [{index}/{total}]", log_path=log_path, env=env,
                                        cwd=cwd, on_start=tracker.process_started)
        except OSError as exc:
            raise PrepareFailed(command=" ".join(argv), problem=f"could not be started: {exc.strerror or exc}",
                                log_path=str(log_path)) from None
        try:
            code = _follow(proc, log_path, deadline=deadline, started=started, progress=progress)
        finally:
            proc.reap(grace_s=2.0)
        if code is None:
            raise PrepareFailed(command=" ".join(argv), log_path=str(log_path), log_tail=log_tail(log_path),
                                problem=f"did not finish within [service.prepare].timeout_s = {prepare.timeout_s:g} s "
                                        "(it was stopped)")
        if code != 0:
            raise PrepareFailed(command=" ".join(argv), problem=f"exited with code {code}", log_path=str(log_path),
                                log_tail=log_tail(log_path))
    return time.monotonic() - started


def _follow(proc: ManagedProcess, log_path: Path, *, deadline: float, started: float,
            progress: PrepareProgress | None) -> int | None:
    """Wait for `proc` until `deadline`, passing new output lines on; its exit code, or None on overrun."""
    offset = log_path.stat().st_size if log_path.exists() else 0
    pending = b""
    next_tick = time.monotonic() + _TICK_S
    while True:
        code = proc.wait(_POLL_S)
        if progress is not None:
            with log_path.open("rb") as log:
                log.seek(offset)
                chunk = log.read()
            offset += len(chunk)
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                progress.output(line.decode("utf-8", errors="replace"))
            if time.monotonic() >= next_tick:
                progress.tick(time.monotonic() - started)
                next_tick += _TICK_S
        if code is not None:
            if progress is not None and pending:
                progress.output(pending.decode("utf-8", errors="replace"))
            return code
        if time.monotonic() >= deadline:
            return None
