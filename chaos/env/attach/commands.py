"""Running the commands a target declares for its deployment: bounded, recorded, masked.

Each command runs in a process group of its own (a timeout kills that group, and only that group:
a daemon the command starts with `setsid` or `nohup ... &` is the deployment's, not ours), with its
output in a file rather than a pipe, so a background child that keeps the output open cannot hold
the call. Every run is recorded with its exit code and duration in the environment's `CommandLog`,
which the journal reads; the command line and output are masked with the target's secrets before
they are recorded, raised or printed.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from chaos.env.attach.watchdog import WatchdogClient
from chaos.env.command_log import CommandLog, CommandRun
from chaos.env.process import ManagedProcess
from chaos.errors import CommandFailed, CommandNotRunnable
from chaos.report.masking import SecretMask
from chaos.targetfile.attach import Command

__all__ = ["OUTPUT_KEPT_CHARS", "CommandResult", "CommandRunner"]

OUTPUT_KEPT_CHARS: Final = 2000
"""What a record keeps of a command's output (its end): enough for the error, not a log."""
_READ_LIMIT: Final = 1 << 20   # what a caller may get of the output (a `logs` command): the last MiB


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandResult:
    record: CommandRun
    stdout: str               # the whole output (bounded), unmasked: for parsing by the caller


class CommandRunner:
    """Runs declared commands in `cwd` (the target file's directory) with `environ`, recording each."""

    def __init__(self, *, log: CommandLog, mask: SecretMask, cwd: Path, workdir: Path,
                 environ: Mapping[str, str] | None = None) -> None:
        self.log = log
        self.mask = mask
        self.cwd = cwd
        self.workdir = workdir
        self.environ = dict(os.environ if environ is None else environ)
        self.watchdog: WatchdogClient | None = None   # runs armed repairs should the runner die

    def run(self, command: Command, *, what: str, component: str, signal: str | None = None,
            extra_env: Mapping[str, str] | None = None, check: bool = True) -> CommandResult:
        """Run `command` to its end or its `timeout_s` (then its group is killed); record it.

        With `check`, anything but exit 0 raises CommandFailed naming `what` and the masked command."""
        shown = self.mask.text(command.display(signal=signal))
        started_ns = time.monotonic_ns()
        self.workdir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="command-", suffix=".out", dir=self.workdir)
        os.close(fd)
        output_path = Path(name)
        problem = ""
        timed_out = False
        exit_code: int | None = None
        try:
            try:
                proc = ManagedProcess.start(command.argv(signal=signal), label=what, log_path=output_path,
                                            env={**self.environ, **(extra_env or {})}, cwd=self.cwd,
                                            name=f"{what} ({command.source})")
            except CommandNotRunnable as exc:
                problem = exc.problem
            else:
                exit_code = proc.wait(command.timeout_s)
                if exit_code is None:
                    timed_out = True
                    proc.reap(grace_s=0.0)   # SIGKILL to the command's own group only
            duration_s = (time.monotonic_ns() - started_ns) / 1e9
            stdout = _tail(output_path)
        finally:
            output_path.unlink(missing_ok=True)
        record = CommandRun(what=what, action=command.action.value, component=component, command=shown,
                            exit_code=exit_code, duration_s=duration_s, started_ns=started_ns,
                            timed_out=timed_out, output=self.mask.text(stdout[-OUTPUT_KEPT_CHARS:]))
        self.log.add(record)
        if check and exit_code != 0:
            raise CommandFailed(what=what, command=shown, exit_code=exit_code, duration_s=duration_s,
                                timed_out=timed_out, output=record.output, problem=problem)
        return CommandResult(record=record, stdout=stdout)


def _tail(path: Path) -> str:
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - _READ_LIMIT))
        return handle.read().decode(errors="replace")
