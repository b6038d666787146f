"""ManagedProcess: own process group, log file, reap of the whole tree, parent-death signal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from chaos.env.process import ManagedProcess, group_members, process_start_ticks, reap_group
from chaos.waiting import wait_until


def test_child_is_a_session_leader_and_logs_to_file(tmp_path: Path) -> None:
    log = tmp_path / "out.log"
    proc = ManagedProcess.start([sys.executable, "-c", "import os; print('hello', os.getpgid(0))"],
                                label="t", log_path=log)
    assert proc.wait(10) == 0
    assert log.read_text().strip() == f"hello {proc.pid}"
    assert proc.group.pgid == proc.pid
    proc.reap()


def test_reap_kills_the_whole_group_and_is_idempotent(tmp_path: Path) -> None:
    # the shell forks two sleeps into the same group; reaping must take all three
    proc = ManagedProcess.start(["sh", "-c", "sleep 60 & sleep 60 & wait"], label="tree",
                                log_path=tmp_path / "log")
    wait_until(lambda: len(group_members(proc.pgid)) == 3, timeout_s=5, what="three members")
    code = proc.reap(grace_s=2.0)
    assert code == -signal.SIGTERM
    assert group_members(proc.pgid) == []
    assert proc.reap() == code


def test_reap_escalates_to_sigkill(tmp_path: Path) -> None:
    script = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
              "print('up', flush=True); time.sleep(60)")
    proc = ManagedProcess.start([sys.executable, "-c", script], label="stubborn", log_path=tmp_path / "log")
    wait_until(lambda: "up" in (tmp_path / "log").read_text(), timeout_s=10, what="child up")
    assert proc.reap(grace_s=0.3) == -signal.SIGKILL
    assert not group_members(proc.pgid)


def blocked_signals(pid: int) -> int:
    """The SigBlk mask of `pid`, from /proc."""
    line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("SigBlk:"))
    return int(line.split()[1], 16)


def test_child_started_while_sigterm_is_blocked_still_gets_it(tmp_path: Path) -> None:
    """A fault's revert blocks SIGINT/SIGTERM while it restarts the SUT; the SUT must not inherit that."""
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        proc = ManagedProcess.start(["sleep", "60"], label="born blocked", log_path=tmp_path / "log")
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    try:
        assert blocked_signals(proc.pid) == 0
        proc.signal(signal.SIGTERM)
        assert proc.wait(5) == -signal.SIGTERM   # a blocked SIGTERM would leave it sleeping
    finally:
        proc.reap(grace_s=0.0, sig=signal.SIGKILL)


def test_sigstopped_group_is_still_reaped(tmp_path: Path) -> None:
    proc = ManagedProcess.start(["sleep", "60"], label="stopped", log_path=tmp_path / "log")
    proc.signal_group(signal.SIGSTOP)
    proc.reap(grace_s=2.0)
    assert not group_members(proc.pgid)


def test_child_started_from_a_short_lived_thread_survives_it(tmp_path: Path) -> None:
    """PDEATHSIG follows the forking thread: spawns go through a stable thread, so this child lives."""
    box: list[ManagedProcess] = []
    thread = threading.Thread(target=lambda: box.append(
        ManagedProcess.start(["sleep", "60"], label="from-thread", log_path=tmp_path / "log")))
    thread.start()
    thread.join(10)
    proc = box[0]
    assert proc.wait(0.5) is None, "the child died with the thread that asked for it"
    proc.reap()


def test_child_dies_when_its_owner_is_sigkilled(tmp_path: Path) -> None:
    """The belt: an owner killed with SIGKILL (no cleanup at all) still takes its children along."""
    pid_file = tmp_path / "child.pid"
    owner_code = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from chaos.env.process import ManagedProcess
        p = ManagedProcess.start(["sleep", "60"], label="orphan", log_path=Path({str(tmp_path / 'log')!r}))
        Path({str(pid_file)!r}).write_text(str(p.pid))
        time.sleep(60)
    """)
    owner = subprocess.Popen([sys.executable, "-c", owner_code], start_new_session=True)
    try:
        wait_until(lambda: pid_file.is_file() and pid_file.read_text(), timeout_s=15, what="child pid")
        child = int(pid_file.read_text())
        assert process_start_ticks(child) is not None
        owner.kill()
        owner.wait(5)
        # the kernel delivers SIGKILL at once; the child is reparented and reaped by init
        wait_until(lambda: process_start_ticks(child) is None or _zombie(child), timeout_s=5,
                   what="orphan gone")
    finally:
        owner.kill()
        owner.wait(5)
        if pid_file.is_file():
            reap_group(int(pid_file.read_text()), grace_s=0.1)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_reap_group_of_unknown_group_is_harmless() -> None:
    assert reap_group(2**22 + 12345, grace_s=0.1) is True
    assert os.getpid() > 0
