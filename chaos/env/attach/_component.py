"""What the attached service and dependencies share: running their declared commands, reading a PID.

A lifecycle call maps to the commands the target declares, with fallbacks that mean the same thing
(`kill` is `signal KILL` when no kill command is declared; `pause` is `signal STOP`; `restart` is
`stop` then `start`). A call with nothing declared raises CommandNotDeclared naming the key; the
experiments that need it are skipped before they start (chaos.plan), so that is a bug or a custom
experiment, never a half-done fault.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Mapping

from chaos.env.attach.commands import CommandResult, CommandRunner
from chaos.errors import CommandFailed, CommandNotDeclared, DependencyStartTimeout
from chaos.targetfile.attach import Action, Command
from chaos.waiting import WaitTimeout, wait_until

__all__ = ["Component", "parse_exit_code", "parse_identity", "signal_name", "wait_ready"]


def signal_name(sig: signal.Signals) -> str:
    """The name a `{signal}` template gets: TERM, KILL, STOP (what kill -s, kubectl and docker take)."""
    return sig.name.removeprefix("SIG")


def parse_identity(output: str) -> int | None:
    """The last non-empty line of a pid command's output as an integer; None when it printed none."""
    line = next((line.strip() for line in reversed(output.splitlines()) if line.strip()), "")
    try:
        return int(line)
    except ValueError:
        return None


def parse_exit_code(output: str) -> int | None:
    """An exit_code command's answer, subprocess style: 128+N (a shell's "killed by signal N") and -N
    both mean killed by signal N; None while it prints no number."""
    code = parse_identity(output)
    if code is not None and 128 < code <= 128 + 64:
        return -(code - 128)
    return code


def wait_ready(check: Callable[[], bool], *, timeout_s: float, name: str) -> None:
    """Poll `check` every 0.1 s until it holds; DependencyStartTimeout naming `name` after `timeout_s`."""
    try:
        wait_until(check, timeout_s=timeout_s, interval_s=0.1, what=f"{name} ready")
    except WaitTimeout as exc:
        raise DependencyStartTimeout(name=name, timeout_s=timeout_s, last_error=exc.last_error) from None


class Component:
    """One part of the deployment (`component` is "service" or a dependency's name) and its commands."""

    def __init__(self, *, component: str, key: str, commands: Mapping[Action, Command],
                 runner: CommandRunner) -> None:
        self.component = component
        self.key = key                 # "[attach.service]", "[attach.dependencies.postgres]"
        self.commands = commands
        self.runner = runner

    def declares(self, *actions: Action) -> bool:
        return any(a in self.commands for a in actions)

    def run(self, action: Action, what: str, *, needed_for: str, sig: signal.Signals | None = None,
            extra_env: Mapping[str, str] | None = None, check: bool = True) -> CommandResult:
        command = self.commands.get(action)
        if command is None:
            raise CommandNotDeclared(key=f"{self.key}.{action.value}", needed_for=needed_for)
        return self.runner.run(command, what=what, component=self.component, extra_env=extra_env, check=check,
                               signal=signal_name(sig) if sig is not None else None)

    def deliver(self, sig: signal.Signals, *, whom: str) -> None:
        """`sig` through the matching command: kill for SIGKILL, pause/resume for STOP/CONT, else signal."""
        dedicated = {signal.SIGKILL: Action.KILL, signal.SIGSTOP: Action.PAUSE, signal.SIGCONT: Action.RESUME}
        action = dedicated.get(sig)
        what = f"{sig.name} to {whom}"
        if action is not None and action in self.commands:
            self.run(action, f"{action.value} {whom}", needed_for=f"send {what}")
        else:
            self.run(Action.SIGNAL, f"signal {signal_name(sig)} to {whom}", needed_for=f"send {what}", sig=sig)

    def arm(self, *repairs: Action, what: str, sig: signal.Signals | None = None) -> None:
        """Before a change that only a command can undo: should the runner die, the watchdog runs the
        first declared of `repairs` (with `sig` for a signal command). Nothing declared: nothing armed."""
        watchdog = self.runner.watchdog
        command = next((self.commands[a] for a in repairs if a in self.commands), None)
        if watchdog is None or command is None:
            return
        signal_arg = signal_name(sig) if command.action is Action.SIGNAL and sig is not None else None
        watchdog.arm(self.component, command.argv(signal=signal_arg), what=what, timeout_s=command.timeout_s)

    def disarm(self) -> None:
        """The component is back: nothing for the watchdog to repair."""
        if self.runner.watchdog is not None:
            self.runner.watchdog.disarm(self.component)

    def query_pid(self) -> int | None:
        """The identity the pid command prints (None: nothing declared, or not running). A command that
        exits non-zero means "not running"; one that times out or cannot run raises CommandFailed."""
        command = self.commands.get(Action.PID)
        if command is None:
            return None
        result = self.runner.run(command, what=f"pid of {self.component}", component=self.component, check=False)
        if result.record.exit_code is None:
            raise CommandFailed(what=result.record.what, command=result.record.command, exit_code=None,
                                duration_s=result.record.duration_s, timed_out=result.record.timed_out,
                                output=result.record.output,
                                problem="" if result.record.timed_out else "could not be run")
        return parse_identity(result.stdout) if result.record.exit_code == 0 else None
