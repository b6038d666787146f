"""The suite's exception tree: every error a user should read as one line, not a traceback.

    ChaosError                      anything the suite reports to a user without a traceback
    ├── TargetFileError             a target file is unreadable or invalid (file, key, problem)
    ├── UnknownContract             a contract asked for by name does not exist (did you mean)
    ├── StartFailed                 a dependency or the SUT did not become ready (name, log tail)
    │   ├── DependencyStartTimeout  it did not answer its readiness check in time (last check)
    │   ├── ExitedBeforeReady       it exited first (exit code, seconds after its start)
    │   └── CommandNotRunnable      its command could not be run at all (not found, not executable)
    ├── PrepareFailed               a [service.prepare] command failed or overran (command, log tail)
    ├── SqlFileFailed               an init_sql file failed in psql (file, line, statement, error)
    ├── ToolMissing                 a binary the backend needs is not installed (and how to get it)
    ├── PortUnavailable             a fixed port asked for cannot be listened on (what, address)
    ├── ToxiproxyApiError           a Toxiproxy server answered with an error (status, message)
    ├── UpstreamControlError        the fake external API refused a control call
    ├── EngineError                 the container engine or Compose failed an operation (what, output)
    ├── FaultError                  a fault could not be injected
    ├── RevertFailed                a fault could not be rolled back (leftovers)
    ├── CommandFailed               a declared command of an attached deployment failed or timed out
    ├── CommandNotDeclared          an attached target declares no command for what was asked
    └── JournalError                a stored run journal is unreadable or invalid (file, problem)

A broken contract is a verdict, not an exception: see `chaos.contracts`.
"""

from __future__ import annotations

import difflib
import signal
from collections.abc import Sequence

__all__ = [
    "ChaosError",
    "CommandFailed",
    "CommandNotDeclared",
    "CommandNotRunnable",
    "DependencyStartTimeout",
    "EngineError",
    "ExitedBeforeReady",
    "FaultError",
    "JournalError",
    "PortUnavailable",
    "PrepareFailed",
    "RevertFailed",
    "SqlFileFailed",
    "StartFailed",
    "TargetFileError",
    "ToolMissing",
    "ToxiproxyApiError",
    "UnknownContract",
    "UpstreamControlError",
]


class ChaosError(Exception):
    """Root of everything the suite reports as a one-line message (CLI exit 2, pytest usage error)."""


class TargetFileError(ChaosError):
    """A target file failed to load; carries every problem found, each naming its key."""

    MAX_SHOWN = 25
    """Problems printed in full; the rest are counted (a generated or corrupted file can have thousands)."""

    def __init__(self, *, path: str, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = tuple(problems)
        shown = [f"  {p}" for p in self.problems[:self.MAX_SHOWN]]
        if len(self.problems) > self.MAX_SHOWN:
            shown.append(f"  ... and {len(self.problems) - self.MAX_SHOWN} more problems")
        lines = "\n".join(shown)
        super().__init__(f"{path}: invalid target file:\n{lines}" if len(self.problems) > 1
                         else f"{path}: {self.problems[0] if self.problems else 'invalid target file'}")


class UnknownContract(ChaosError):
    """A contract named on the command line (--contract, --chaos-contract) is not one we know."""

    def __init__(self, *, name: str, known: Sequence[str], source: str) -> None:
        self.name = name
        self.known = tuple(sorted(known))
        self.source = source
        close = difflib.get_close_matches(name, self.known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        super().__init__(f"{source} {name!r}: no such contract{hint} (known: {', '.join(self.known)})")


class StartFailed(ChaosError):
    """Something we started did not become ready; the subclass says how, `log_tail` usually says why."""

    def __init__(self, message: str, *, name: str, log_tail: str = "") -> None:
        self.name = name
        self.log_tail = log_tail
        if log_tail:
            message += f"\n--- last lines of {name}'s log ---\n{log_tail}"
        super().__init__(message)


class DependencyStartTimeout(StartFailed):
    """Something we started never answered its readiness check within its bound."""

    def __init__(self, *, name: str, timeout_s: float, last_error: str, log_tail: str = "") -> None:
        self.timeout_s = timeout_s
        self.last_error = last_error
        super().__init__(f"{name} was not ready after {timeout_s:g} s (last check: {last_error})",
                         name=name, log_tail=log_tail)


class ExitedBeforeReady(StartFailed):
    """Something we started exited before it was ready: its exit code, not a timeout, is the news.

    `exit_code` follows subprocess: negative means killed by that signal. `after_s` counts from
    the start of the process (a typo'd setting usually ends it within a second).
    """

    def __init__(self, *, name: str, exit_code: int | None, after_s: float, log_tail: str = "") -> None:
        self.exit_code = exit_code
        self.after_s = after_s
        if exit_code is not None and exit_code < 0:
            how = f"was killed by {_signal_name(-exit_code)}"
        else:
            how = f"exited with code {exit_code}"
        super().__init__(f"{name} {how} after {after_s:.1f} s, before it was ready", name=name,
                         log_tail=log_tail)


class CommandNotRunnable(StartFailed):
    """A command could not be started at all: its program is missing or not executable, or its
    working directory is gone. Nothing ran, so there is no log."""

    def __init__(self, *, name: str, program: str, problem: str) -> None:
        self.program = program
        self.problem = problem
        super().__init__(f"cannot start {name}: {problem}", name=name)


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


class PortUnavailable(ChaosError):
    """A fixed port we were asked to listen on is taken (or not ours to use); `hint` says what to do."""

    def __init__(self, *, what: str, host: str, port: int, problem: str, hint: str = "") -> None:
        self.what = what
        self.host = host
        self.port = port
        self.problem = problem
        self.hint = hint
        super().__init__(f"{what} port {host}:{port} {problem}" + (f"; {hint}" if hint else ""))


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


class CommandFailed(ChaosError):
    """A command the target declares for its deployment (attach mode) failed: a non-zero exit, a
    timeout (the command was killed), or it could not be run. `command` is shown masked."""

    def __init__(self, *, what: str, command: str, exit_code: int | None, duration_s: float,
                 timed_out: bool = False, output: str = "", problem: str = "") -> None:
        self.what = what
        self.command = command
        self.exit_code = exit_code
        self.duration_s = duration_s
        self.timed_out = timed_out
        self.output = output
        if problem:
            how = problem
        elif timed_out:
            how = f"timed out after {duration_s:.1f} s (killed)"
        else:
            how = f"exited with code {exit_code} after {duration_s:.1f} s"
        last = next((line.strip() for line in reversed(output.splitlines()) if line.strip()), "")
        self.detail = f"`{command}` {how}" + (f": {last[:300]}" if last else "")
        super().__init__(f"{what}: {self.detail}")


class CommandNotDeclared(ChaosError):
    """An attached target declares no command for an action the suite was asked to do."""

    def __init__(self, *, key: str, needed_for: str) -> None:
        self.key = key
        self.needed_for = needed_for
        super().__init__(f"the target declares no {key}: cannot {needed_for}")


class JournalError(ChaosError):
    """A stored run journal could not be read back: not JSON, another schema version, a bad field."""

    def __init__(self, *, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
