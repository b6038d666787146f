"""The command runner: every declared command is bounded, recorded with its exit code and duration,
masked, and never held by a daemon it leaves behind."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from chaos.env.attach.commands import CommandRunner
from chaos.env.command_log import CommandLog
from chaos.errors import CommandFailed
from chaos.report.masking import SecretMask
from chaos.targetfile.attach import Action, Command
from chaos.waiting import wait_until

SECRET = "hunter2-token"


def command(script: str | list[str], *, action: Action = Action.START, timeout_s: float = 10.0) -> Command:
    shell = isinstance(script, str)
    parts = (script,) if isinstance(script, str) else tuple(script)
    return Command(action=action, parts=parts, shell=shell, timeout_s=timeout_s, source=f"[test].{action.value}")


@pytest.fixture
def runner(tmp_path: Path) -> CommandRunner:
    return CommandRunner(log=CommandLog(), mask=SecretMask([SECRET]), cwd=tmp_path, workdir=tmp_path / "work")


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_command_is_recorded_with_its_exit_code_duration_and_masked_output(runner: CommandRunner) -> None:
    result = runner.run(command(f"echo using {SECRET}; pwd"), what="start it", component="service")
    record = result.record
    assert record.exit_code == 0
    assert not record.timed_out
    assert 0 < record.duration_s < 5
    assert record.command == "echo using ***; pwd"
    assert record.output.splitlines() == ["using ***", str(runner.cwd)]   # runs in the target file's directory
    assert SECRET in result.stdout    # the caller parses the real output; only records are masked
    assert runner.log.since((0, {}))[0] == [record]


def test_a_failing_command_raises_one_masked_line(runner: CommandRunner) -> None:
    with pytest.raises(CommandFailed) as info:
        runner.run(command(f"echo no such thing {SECRET} >&2; exit 3"), what="stop postgres", component="postgres")
    assert str(info.value) == "stop postgres: `echo no such thing *** >&2; exit 3` exited with code 3 after " \
                              f"{info.value.duration_s:.1f} s: no such thing ***"
    assert info.value.exit_code == 3
    (record,) = runner.log.since((0, {}))[0]
    assert record.exit_code == 3
    assert SECRET not in record.output


def test_a_command_past_its_timeout_is_killed_with_its_group(runner: CommandRunner, tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    started = time.monotonic()
    with pytest.raises(CommandFailed) as info:
        runner.run(command(f"echo $$ > {pidfile}; exec sleep 30", timeout_s=0.5), what="restart", component="service")
    took = time.monotonic() - started
    assert info.value.timed_out
    assert info.value.exit_code is None
    assert "timed out after 0." in str(info.value)
    assert "(killed)" in str(info.value)
    assert took < 5.0   # 0.5 s and the kill; generous for a loaded 2-core machine
    pid = int(pidfile.read_text())
    wait_until(lambda: not alive(pid), timeout_s=5, what="the timed-out command gone")


def test_a_daemon_the_command_leaves_running_does_not_hold_the_call(runner: CommandRunner, tmp_path: Path) -> None:
    pidfile = tmp_path / "daemon.pid"
    started = time.monotonic()
    result = runner.run(command(f"sleep 30 & echo $! > {pidfile}; echo started"), what="start", component="redis")
    try:
        assert time.monotonic() - started < 5.0   # the daemon keeps the output file open, not the call
        assert result.record.exit_code == 0
        assert result.stdout.strip() == "started"
        assert alive(int(pidfile.read_text()))    # the deployment's process is not ours to kill
    finally:
        os.kill(int(pidfile.read_text()), signal.SIGKILL)   # started by this test, ended by PID


def test_a_command_that_cannot_run_says_why(runner: CommandRunner) -> None:
    with pytest.raises(CommandFailed) as info:
        runner.run(command(["/nonexistent/ctl", "start"]), what="start redis", component="redis")
    assert "start redis: `/nonexistent/ctl start` '/nonexistent/ctl' does not exist" in str(info.value)


def test_queries_are_counted_and_failed_ones_recorded(runner: CommandRunner) -> None:
    mark = runner.log.mark()
    for _ in range(3):
        runner.run(command("echo 42", action=Action.PID), what="pid", component="service")
    runner.run(command("exit 1", action=Action.PID), what="pid", component="service", check=False)
    runner.run(command("true", action=Action.STOP), what="stop", component="service")
    runs, queries = runner.log.since(mark)
    assert [(r.action, r.exit_code) for r in runs] == [("pid", 1), ("stop", 0)]
    (counted,) = queries
    assert (counted.component, counted.action, counted.runs) == ("service", "pid", 3)
    assert runner.log.since(runner.log.mark()) == ([], [])
