"""An environment that failed to start is reported once, by the first experiment that needed it.

pytest caches a session fixture's error and raises the same exception again in the setup of every
test that requests the fixture. With the environment's start error (and the log tail it quotes)
repeated for every experiment, a target whose service command did not exist gave 15 errors and
3,415 lines. Here the first setup that raises it stays an error with the whole message; every later
one that raises that same exception becomes a skip naming the first test and the error's first line.
The run still fails (exit 1): the error is there, once.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

import pytest

__all__ = ["ENV_FAILURE_KEY", "EnvFailure", "pytest_runtest_makereport", "remember_failure"]


@dataclass(slots=True, kw_only=True)
class EnvFailure:
    """The exception the session's environment fixture raised, and which test reported it."""

    error: BaseException
    first_nodeid: str | None = None   # set by the first setup report that carries `error`
    where: tuple[str, int] = ("?", 0)   # where it was raised (file, line): what the skips point at

    def skip_reason(self) -> str:
        first_line = (str(self.error).splitlines() or [type(self.error).__name__])[0]
        return f"not run: {first_line} (reported once, as the error of {self.first_nodeid})"


ENV_FAILURE_KEY = pytest.StashKey[EnvFailure]()


def remember_failure(config: pytest.Config, error: BaseException) -> None:
    """Note that `error` is the environment's start failure (called by the fixture before raising it)."""
    config.stash[ENV_FAILURE_KEY] = EnvFailure(error=error)


@pytest.hookimpl(wrapper=True, trylast=True)   # innermost: the journal and scorecard see the skip
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    failure = item.config.stash.get(ENV_FAILURE_KEY, None)
    if (failure is None or call.when != "setup" or call.excinfo is None
            or call.excinfo.value is not failure.error):
        return report
    if failure.first_nodeid is None or failure.first_nodeid == item.nodeid:
        failure.first_nodeid = item.nodeid
        raised_at = call.excinfo.traceback[-1] if call.excinfo.traceback else None
        if raised_at is not None:
            failure.where = (str(raised_at.path), raised_at.lineno + 1)
        return report
    report.outcome = "skipped"
    report.longrepr = (failure.where[0], failure.where[1], f"Skipped: {failure.skip_reason()}")
    return report
