"""Bounded waiting: the one way the suite polls for a condition, so no wait is ever unbounded."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["WaitTimeout", "wait_until"]

T = TypeVar("T")


class WaitTimeout(TimeoutError):
    """The condition never held; `last_error` says what the last check saw."""

    def __init__(self, *, what: str, timeout_s: float, last_error: str) -> None:
        self.what = what
        self.timeout_s = timeout_s
        self.last_error = last_error
        super().__init__(f"{what}: not true after {timeout_s:g} s (last check: {last_error})")


def wait_until(
    check: Callable[[], T | None],
    *,
    timeout_s: float,
    interval_s: float = 0.05,
    what: str = "condition",
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call `check` until it returns a truthy value (returned) or `timeout_s` passes (WaitTimeout).

    An exception from `check` counts as "not yet" and its text becomes `last_error`, because the
    things we wait for (a port, a database) raise while they come up.
    """
    deadline = clock() + timeout_s
    last_error = "never checked"
    while True:
        try:
            result = check()
        except Exception as exc:
            last_error = f"{type(exc).__name__}: {exc}"
        else:
            if result:
                return result
            last_error = f"returned {result!r}"
        if clock() >= deadline:
            raise WaitTimeout(what=what, timeout_s=timeout_s, last_error=last_error)
        sleep(min(interval_s, max(0.0, deadline - clock())))
