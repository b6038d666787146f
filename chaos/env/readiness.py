"""Waiting for something we started to become ready, bounded, with its log quoted when it never does."""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from pathlib import Path

from chaos.env.process import ManagedProcess
from chaos.errors import DependencyStartTimeout, ExitedBeforeReady
from chaos.waiting import WaitTimeout, wait_until

__all__ = ["log_tail", "wait_process_ready"]


def log_tail(path: Path, lines: int = 30) -> str:
    """The last `lines` lines of a log file ("" if there is none yet)."""
    try:
        text = path.read_bytes()[-64_000:].decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class _Outcome(enum.Enum):
    READY = "ready"
    EXITED = "exited"


def wait_process_ready(proc: ManagedProcess, check: Callable[[], bool], *, name: str, timeout_s: float,
                       interval_s: float = 0.02) -> None:
    """Poll `check` until it returns True; fail fast if the process exits, and after `timeout_s`.

    An exit raises ExitedBeforeReady (its exit code and when), a timeout DependencyStartTimeout (the
    last check's error); both name `name` and quote the tail of the process's log, which is almost
    always where the reason is.
    """
    last = ["not checked yet"]

    def probe() -> _Outcome | None:
        if proc.poll() is not None:
            return _Outcome.EXITED
        try:
            ok = check()
        except Exception as exc:
            last[0] = f"{type(exc).__name__}: {exc}"
            raise
        if not ok:
            last[0] = "not ready yet"
        return _Outcome.READY if ok else None

    try:
        outcome = wait_until(probe, timeout_s=timeout_s, interval_s=interval_s, what=f"{name} ready")
    except WaitTimeout as exc:
        raise DependencyStartTimeout(name=name, timeout_s=timeout_s, last_error=exc.last_error,
                                     log_tail=log_tail(proc.log_path)) from None
    if outcome is _Outcome.EXITED:
        raise ExitedBeforeReady(name=name, exit_code=proc.poll(), after_s=time.monotonic() - proc.started_s,
                                log_tail=log_tail(proc.log_path))
