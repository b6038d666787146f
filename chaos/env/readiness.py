"""Waiting for something we started to become ready, bounded, with its log quoted when it never does."""

from __future__ import annotations

import enum
from collections.abc import Callable
from pathlib import Path

from chaos.env.process import ManagedProcess
from chaos.errors import DependencyStartTimeout
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

    Either failure raises DependencyStartTimeout naming `name`, with the last check's error and the
    tail of the process's log, which is almost always where the reason is.
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
        raise DependencyStartTimeout(
            name=name, timeout_s=timeout_s,
            last_error=f"the process exited with code {proc.poll()} before it was ready "
                       f"(last check: {last[0]})",
            log_tail=log_tail(proc.log_path))
