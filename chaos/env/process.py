"""Processes the suite owns: started in their own process group, logged to a file, always reaped.

Every child is a session leader (`start_new_session=True`), so the whole tree it forks (Postgres
backends, uvicorn workers) can be signalled as one group and nothing escapes a reap. As a belt for a
runner that is itself SIGKILLed, children get PR_SET_PDEATHSIG=SIGKILL; the on-disk registry
(registry.py) is the braces: a later run reaps groups whose owner died.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from signal import Signals
from typing import Any

from chaos.env._spawner import spawn_in_stable_thread
from chaos.errors import CommandNotRunnable

__all__ = [
    "GroupRecord",
    "ManagedProcess",
    "RunAs",
    "descendants",
    "group_members",
    "process_start_ticks",
    "process_state",
    "reap_group",
]

_PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True)
# resolved before any fork: the child must not load libraries or allocate
_PRCTL = _LIBC.prctl
_SIGMASK = _LIBC.pthread_sigmask
_EMPTY_SIGSET = ctypes.create_string_buffer(128)   # glibc's sigset_t, all zero: no signal blocked
_SIG_SETMASK = int(signal.SIG_SETMASK)
_SIGKILL = int(signal.SIGKILL)


def _child_setup() -> None:
    """preexec_fn: unblock every signal, and SIGKILL this child when the thread that forked it dies.

    A child inherits its parent thread's signal mask across exec. A fault's revert blocks SIGINT and
    SIGTERM while it runs (faults/lifecycle.py), and the SUT it restarts was born with SIGTERM
    blocked: it then ignored every SIGTERM (graceful-drain experiments included) and each close
    waited out the whole shutdown grace before the SIGKILL (measured: 10.4 s of teardown after the
    catalog's last experiment, instead of 0.9 s).
    """
    _SIGMASK(_SIG_SETMASK, _EMPTY_SIGSET, None)
    _PRCTL(_PR_SET_PDEATHSIG, _SIGKILL, 0, 0, 0)


@dataclass(frozen=True, slots=True, kw_only=True)
class RunAs:
    """An unprivileged account to run a child as (Postgres refuses to run as root)."""

    user: str
    uid: int
    gid: int


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupRecord:
    """A process group as the registry stores it: enough to find it again and to know it is ours."""

    pgid: int
    leader_start: int     # the leader's start time in clock ticks since boot (/proc/PID/stat field 22)
    label: str
    stop_signal: int = int(signal.SIGTERM)   # what a reaper sends first (Postgres: SIGINT, fast shutdown)


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name may contain spaces and parentheses: split after the last ')'
    return raw[raw.rfind(")") + 2:].split()


def process_start_ticks(pid: int) -> int | None:
    """Start time of `pid` in clock ticks since boot, or None if it does not exist (PID-reuse guard)."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def process_state(pid: int) -> str | None:
    """The one-letter state of `pid` (R, S, T stopped, Z zombie, ...) or None if it does not exist."""
    fields = _stat_fields(pid)
    return fields[0] if fields else None


@dataclass(frozen=True, slots=True)
class _Proc:
    pid: int
    ppid: int
    pgrp: int
    start: int


def _live_processes() -> list[_Proc]:
    procs = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields and fields[0] not in ("Z", "X"):
                procs.append(_Proc(int(entry.name), int(fields[1]), int(fields[2]), int(fields[19])))
    return procs


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes in process group `pgid`, found by scanning /proc."""
    return [p.pid for p in _live_processes() if p.pgrp == pgid]


def descendants(pid: int) -> list[tuple[int, int]]:
    """Live descendants of `pid` as (pid, start ticks), wherever their process group is.

    Postgres backends call setsid(), so they leave the postmaster's group: signalling the group
    does not reach them, following the parent links does.
    """
    procs = _live_processes()
    children: dict[int, list[_Proc]] = {}
    for proc in procs:
        children.setdefault(proc.ppid, []).append(proc)
    found: list[tuple[int, int]] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append((child.pid, child.start))
            todo.append(child.pid)
    return found


def _still_there(pids: Iterable[tuple[int, int]]) -> list[int]:
    return [pid for pid, start in pids
            if process_start_ticks(pid) == start and process_state(pid) not in ("Z", "X")]


def _kill_pids(pids: Iterable[tuple[int, int]], sig: signal.Signals) -> None:
    for pid in _still_there(pids):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def _killpg(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _wait_gone(pgid: int, extra: Sequence[tuple[int, int]], timeout_s: float,
               leader: subprocess.Popen[Any] | None) -> bool:
    deadline = time.monotonic() + timeout_s
    while True:
        if leader is not None:
            leader.poll()    # reap our own child so it does not linger as a zombie
        if not group_members(pgid) and not _still_there(extra):
            if leader is not None:
                leader.poll()   # it may have died since the poll above: its exit code is known now
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


def reap_group(pgid: int, *, grace_s: float = 5.0, sig: signal.Signals = signal.SIGTERM,
               leader: subprocess.Popen[Any] | None = None, kill_timeout_s: float = 5.0,
               extra: Sequence[tuple[int, int]] = ()) -> bool:
    """SIGCONT, then `sig` to the whole group, wait up to `grace_s`, then SIGKILL and wait again.

    `extra` are (pid, start ticks) of descendants that left the group (setsid); they get the
    same treatment. `leader`, the Popen of the group's leader if it is our child, is reaped as it
    exits. Returns True when nothing is left. Safe on a group that is already gone.
    """
    if not group_members(pgid) and not _still_there(extra):
        if leader is not None:
            leader.poll()
        return True
    _killpg(pgid, signal.SIGCONT)   # a stopped process cannot act on SIGTERM
    _kill_pids(extra, signal.SIGCONT)
    _killpg(pgid, sig)
    if _wait_gone(pgid, extra, grace_s, leader):
        return True
    _killpg(pgid, signal.SIGKILL)
    _kill_pids(extra, signal.SIGKILL)
    return _wait_gone(pgid, extra, kill_timeout_s, leader)


def _not_runnable(name: str, argv: Sequence[str], cwd: Path | None, exc: OSError) -> CommandNotRunnable:
    """What an exec failure means for the user: which program, and what is wrong with it."""
    program = argv[0] if argv else ""
    if cwd is not None and exc.filename is not None and str(exc.filename) == str(cwd):
        problem = f"its working directory {cwd} does not exist"
    elif isinstance(exc, FileNotFoundError):
        if program.startswith("/"):
            problem = f"{program!r} does not exist"
        else:
            where = "on PATH" if "/" not in program else f"relative to {cwd or Path.cwd()}"
            problem = f"{program!r} was not found {where}"
    elif isinstance(exc, PermissionError):
        problem = f"{program!r} is not executable (permission denied)"
    else:
        problem = f"{program!r} could not be run: {exc.strerror or exc}"
    return CommandNotRunnable(name=name, program=program, problem=problem)


class ManagedProcess:
    """One child process in its own process group, with its output appended to `log_path`.

    Create with `ManagedProcess.start(...)`. `reap()` is idempotent and leaves nothing of the tree
    alive: the group, plus descendants that left it (remembered when seen), or it raises
    RuntimeError naming the survivors after the SIGKILL bound.
    """

    def __init__(self, popen: subprocess.Popen[bytes], *, label: str, log_path: Path,
                 stop_signal: Signals = Signals.SIGTERM) -> None:
        self._popen = popen
        self.label = label
        self.log_path = log_path
        self.pid = popen.pid
        self.pgid = popen.pid            # session leader: its PID is the group's id
        self.group = GroupRecord(pgid=self.pgid, leader_start=process_start_ticks(self.pid) or 0, label=label,
                                 stop_signal=int(stop_signal))
        self.started_s = time.monotonic()   # just after the fork: "exited after T s" counts from here
        self._known_tree: set[tuple[int, int]] = set()
        self._reaped = False

    @classmethod
    def start(cls, argv: Sequence[str], *, label: str, log_path: Path, env: Mapping[str, str] | None = None,
              cwd: Path | None = None, run_as: RunAs | None = None, stop_signal: Signals = Signals.SIGTERM,
              on_start: Callable[[ManagedProcess], None] | None = None,
              name: str | None = None) -> ManagedProcess:
        """Start `argv` in a new session, stdout and stderr appended to `log_path`.

        `on_start` runs right after the fork (before any waiting), so the registry learns the new
        group even if the caller is interrupted a moment later. `stop_signal` is what a reaper of
        this group should send first. A program that is missing or not executable (or a missing
        `cwd`) raises CommandNotRunnable naming `name` (default: `label`).
        """
        log_path.parent.mkdir(parents=True, exist_ok=True)

        def fork() -> subprocess.Popen[bytes]:
            with log_path.open("ab") as log:
                return subprocess.Popen(
                    list(argv), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    env=None if env is None else dict(env), cwd=cwd, start_new_session=True,
                    # only a pre-resolved prctl runs in the child: no locks, imports or allocation
                    preexec_fn=_child_setup, close_fds=True,  # noqa: PLW1509
                    user=run_as.uid if run_as else None, group=run_as.gid if run_as else None,
                    extra_groups=[] if run_as else None)

        try:
            popen = spawn_in_stable_thread(fork)
        except OSError as exc:
            raise _not_runnable(name or label, argv, cwd, exc) from None
        proc = cls(popen, label=label, log_path=log_path, stop_signal=stop_signal)
        if on_start is not None:
            on_start(proc)
        return proc

    def poll(self) -> int | None:
        """The exit code once the main process has exited (negative: killed by that signal)."""
        return self._popen.poll()

    @property
    def returncode(self) -> int | None:
        return self._popen.poll()

    def is_alive(self) -> bool:
        return self._popen.poll() is None

    def wait(self, timeout_s: float) -> int | None:
        """Wait up to `timeout_s` for the main process to exit; its exit code, or None if still alive."""
        try:
            return self._popen.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None

    def signal(self, sig: Signals) -> None:
        """Send `sig` to the main process only (no-op if it has exited)."""
        if self._popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def signal_group(self, sig: Signals) -> None:
        """Send `sig` to every process in the group."""
        _killpg(self.pgid, sig)

    def remember_tree(self) -> None:
        """Note the current descendants, so a reap after the leader died still finds them."""
        if self._popen.poll() is None:
            self._known_tree.update(descendants(self.pid))

    def signal_tree(self, sig: Signals) -> None:
        """`sig` to the group and every descendant, even those in other sessions (Postgres backends).

        SIGSTOP goes to the leader first, so it cannot fork new children while we walk the tree;
        SIGCONT goes to it last, for the same reason.
        """
        if sig is not Signals.SIGCONT:
            self.signal(sig)
        self.remember_tree()
        _killpg(self.pgid, sig)
        _kill_pids(self._known_tree, sig)
        if sig is Signals.SIGCONT:
            self.signal(sig)

    def members(self) -> list[int]:
        return group_members(self.pgid)

    def reap(self, *, grace_s: float = 5.0, sig: Signals = Signals.SIGTERM,
             to_group: bool = True) -> int | None:
        """Stop the process tree: `sig` (to the group, or the leader only), bounded wait, SIGKILL.

        Idempotent; returns the main process's exit code.
        """
        if self._reaped:
            return self._popen.poll()
        self.remember_tree()
        tree = sorted(self._known_tree)
        if to_group:
            gone = reap_group(self.pgid, grace_s=grace_s, sig=sig, leader=self._popen, extra=tree)
        else:
            self.signal_tree(Signals.SIGCONT)
            self.signal(sig)
            self.wait(grace_s)
            gone = reap_group(self.pgid, grace_s=0.0, sig=Signals.SIGKILL, leader=self._popen, extra=tree)
        self._popen.poll()
        if not gone:
            survivors = self.members() + _still_there(tree)
            raise RuntimeError(f"{self.label}: processes survived SIGKILL: {survivors}")
        self._reaped = True
        return self._popen.poll()
