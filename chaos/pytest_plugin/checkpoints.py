"""Stop conditions and game days in the plugin: who answers the experiments' checkpoints, and an
aborted experiment reported as ABORTED with its evidence (not as a traceback, not as a contract
failure)."""

from __future__ import annotations

from collections.abc import Generator, Iterator

import pytest

from chaos.experiment import Experiment
from chaos.experiment.checkpoints import UNATTENDED, Checkpoints, ExperimentAborted
from chaos.pytest_plugin.settings import SETTINGS_KEY

__all__ = ["chaos_checkpoints", "pytest_runtest_makereport"]


@pytest.fixture(scope="session")
def chaos_checkpoints(pytestconfig: pytest.Config) -> Iterator[Checkpoints]:
    """Who answers the experiments' checkpoints: nobody (CI), or with --gameday an operator at this
    terminal (/dev/tty), for the whole session."""
    if not pytestconfig.stash[SETTINGS_KEY].gameday:
        yield UNATTENDED
        return
    from chaos.gameday import Console, GameDay  # only a game day needs a terminal

    with Console.open_tty() as console:
        yield GameDay(console)


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
