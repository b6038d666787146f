"""Stop conditions and game days in the plugin: who answers the experiments' checkpoints, an
aborted experiment reported as ABORTED with its evidence (not as a traceback, not as a contract
failure), and a game day's own bound, stated in the header and added to pytest-timeout's limit so
the harness never kills a game day at a prompt."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

import pytest

from chaos.experiment import Experiment
from chaos.experiment.checkpoints import UNATTENDED, Checkpoints, ExperimentAborted
from chaos.gameday.controller import duration_text
from chaos.pytest_plugin.settings import SETTINGS_KEY

__all__ = ["chaos_checkpoints", "pytest_report_header", "pytest_runtest_makereport", "pytest_timeout_set_timer"]

_EXTENDING = pytest.StashKey[bool]()


@pytest.fixture(scope="session")
def chaos_checkpoints(pytestconfig: pytest.Config) -> Iterator[Checkpoints]:
    """Who answers the experiments' checkpoints: nobody (CI), or with --gameday an operator at this
    terminal (/dev/tty), for the whole session."""
    if not pytestconfig.stash[SETTINGS_KEY].gameday:
        yield UNATTENDED
        return
    from chaos.gameday import Console, GameDay  # only a game day needs a terminal

    with Console.open_tty() as console:
        yield GameDay(console, max_experiment_s=pytestconfig.stash[SETTINGS_KEY].gameday_max_s)


def pytest_report_header(config: pytest.Config) -> list[str]:
    settings = config.stash[SETTINGS_KEY]
    if not settings.gameday:
        return []
    bound = duration_text(settings.gameday_max_s)
    return [f"chaos: game day: an experiment still running {bound} after its first checkpoint is aborted and "
            f"healed (--gameday-max-s); pytest-timeout's limit, if any, is extended by {bound} for each"]


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_timeout_set_timer(item: pytest.Item, settings: Any) -> object:
    """pytest-timeout (when installed) under --gameday: each test's limit plus the game day's bound.

    The configured limit (600 s in this project) is sized for unattended runs; a game day waits for
    an operator, for up to its own bound. So the timer is set by pytest-timeout itself, through its
    hook, with that bound added: the harness still catches a hung setup, never a game day at a
    prompt. Returns None (pytest-timeout's own timer) outside a game day."""
    chaos = item.config.stash[SETTINGS_KEY]
    if not chaos.gameday or item.stash.get(_EXTENDING, False):
        return None
    item.stash[_EXTENDING] = True
    try:
        extended = settings._replace(timeout=settings.timeout + chaos.gameday_max_s)
        return item.config.hook.pytest_timeout_set_timer(item=item, settings=extended)
    finally:
        item.stash[_EXTENDING] = False


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """An aborted experiment fails as ABORTED with the stop condition's evidence and what was healed,
    whatever its body did after the abort (the abort is the root cause), without a traceback.

    Done on the report rather than around the call, so that no frame of ours joins the tracebacks
    of ordinary failures."""
    report = yield
    experiment = getattr(item, "funcargs", {}).get("experiment")
    if call.when == "call" and isinstance(experiment, Experiment) and experiment.aborted is not None:
        try:
            experiment.raise_if_aborted()
        except ExperimentAborted as exc:
            report.outcome = "failed"
            report.longrepr = f"ABORTED: {exc}"
    return report
