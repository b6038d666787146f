"""The suite's exception tree: every error a user should read as one line, not a traceback.

    ChaosError                      anything the suite reports to a user without a traceback
    ├── TargetFileError             a target file is unreadable or invalid (file, key, problem)
    ├── DependencyStartTimeout      a dependency or the SUT never became ready (name, log tail)
    ├── PrepareFailed               a [service.prepare] command failed or overran (command, log tail)
    ├── SqlFileFailed               an init_sql file failed in psql (file, line, statement, error)
    ├── ToolMissing                 a binary the backend needs is not installed (and how to get it)
    ├── ToxiproxyApiError           a Toxiproxy server answered with an error (status, message)
    ├── UpstreamControlError        the fake external API refused a control call
    ├── EngineError                 the container engine or Compose failed an operation (what, output)
    ├── FaultError                  a fault could not be injected
    ├── RevertFailed                a fault could not be rolled back (leftovers)
    └── JournalError                a stored run journal is unreadable or invalid (file, problem)

A broken contract is a verdict, not an exception: see `chaos.contracts`.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ChaosError",
    "DependencyStartTimeout",
    "EngineError",
    "FaultError",
    "JournalError",
    "PrepareFailed",
    "RevertFailed",
    "SqlFileFailed",
    "TargetFileError",
    "ToolMissing",
    "ToxiproxyApiError",
    "UpstreamControlError",
]


class ChaosError(Exception):
    """Root of everything the suite reports as a one-line message (CLI exit 2, pytest usage error)."""


class TargetFileError(ChaosError):
    """A target file failed to load; carries every problem found, each naming its key."""

    def __init__(self, *, path: str, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = tuple(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{path}: invalid target file:\n{lines}" if len(self.problems) > 1
                         else f"{path}: {self.problems[0] if self.problems else 'invalid target file'}")


class DependencyStartTimeout(ChaosError):
    """Something we started never answered its readiness check within its bound."""

    def __init__(self, *, name: str, timeout_s: float, last_error: str, log_tail: str = "") -> None:
        self.name = name
        self.timeout_s = timeout_s
        self.last_error = last_error
        self.log_tail = log_tail
        msg = f"{name} was not ready after {timeout_s:g} s (last check: {last_error})"
        if log_tail:
            msg += f"\n--- last lines of {name}'s log ---\n{log_tail}"
        super().__init__(msg)


class PrepareFailed(ChaosError):
    """A `[service.prepare]` command exited non-zero or overran `timeout_s`; nothing was cached."""

    def __init__(self, *, command: str, problem: str, log_path: str, log_tail: str = "") -> None:
        self.command = command
        self.problem = problem
        self.log_path = log_path
        self.log_tail = log_tail
        msg = f"[service.prepare] command `{command}` {problem} (full log: {log_path})"
        if log_tail:
            msg += f"\n--- last lines of its output ---\n{log_tail}"
        super().__init__(msg)


class SqlFileFailed(ChaosError):
    """An SQL file (a target's init_sql) stopped at its first error; no template was made of it."""

    def __init__(self, *, file: str, line: int | None, statement: str, error: str) -> None:
        self.file = file
        self.line = line
        self.statement = statement
        self.error = error
        where = f"{file}:{line}" if line is not None else file
        msg = f"{where}: {error}"
        if statement:
            msg += f"\n  in the statement: {statement}"
        super().__init__(msg)


class ToolMissing(ChaosError):
    """A program the chosen backend needs is not installed."""

    def __init__(self, *, tool: str, hint: str) -> None:
        self.tool = tool
        self.hint = hint
        super().__init__(f"{tool} is not installed: {hint}")


class ToxiproxyApiError(ChaosError):
    """A Toxiproxy server (ours or the real one) answered a call with an error status."""

    def __init__(self, *, status: int, message: str, method: str = "", path: str = "") -> None:
        self.status = status
        self.message = message
        self.method = method
        self.path = path
        where = f"{method} {path}: " if method else ""
        super().__init__(f"{where}toxiproxy answered {status}: {message}")


class UpstreamControlError(ChaosError):
    """The fake external API refused a control request (bad behaviour spec, unreachable)."""

    def __init__(self, *, message: str) -> None:
        self.message = message
        super().__init__(f"fake external API: {message}")


class EngineError(ChaosError):
    """The container engine (or the Compose CLI) failed an operation of the docker backend."""

    def __init__(self, *, operation: str, message: str) -> None:
        self.operation = operation
        self.message = message
        super().__init__(f"{operation}: {message}")


class FaultError(ChaosError):
    """A fault could not be injected; nothing of it is left in place."""

    def __init__(self, *, fault: str, message: str) -> None:
        self.fault = fault
        self.message = message
        super().__init__(f"fault {fault}: {message}")


class RevertFailed(ChaosError):
    """A fault's rollback did not leave the system as it found it."""

    def __init__(self, *, fault: str, leftovers: Sequence[str]) -> None:
        self.fault = fault
        self.leftovers = tuple(leftovers)
        super().__init__(f"fault {fault} was not fully reverted: " + "; ".join(self.leftovers))


class JournalError(ChaosError):
    """A stored run journal could not be read back: not JSON, another schema version, a bad field."""

    def __init__(self, *, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")
