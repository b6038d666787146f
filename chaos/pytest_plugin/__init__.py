"""The pytest plugin (entry point `pytest11: chaos`): options, fixtures, markers and reporting hooks.

Settings are resolved once at configure time into `config.stash[SETTINGS_KEY]`; environments are
owned by the session and closed at unconfigure whatever happened (pass, failure, Ctrl-C, SIGTERM).
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator

import pytest

from chaos.env.signals import SigtermAsInterrupt
from chaos.experiment import Experiment
from chaos.pytest_plugin import checkpoints, envfailure, fixtures, planning, reporting, seeding
from chaos.pytest_plugin.lifecycle import CLOSERS_KEY
from chaos.pytest_plugin.options import add_options
from chaos.pytest_plugin.planning import attach_header
from chaos.pytest_plugin.settings import (
    DEFAULT_TARGET_SOURCE,
    SETTINGS_KEY,
    TARGET_KEY,
    ChaosSettings,
    load_target_or_usage_error,
)
from chaos.pytest_plugin.verdicts import conclude
from chaos.report.masking import SecretMask

__all__ = [
    "pytest_addoption",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "pytest_pyfunc_call",
    "pytest_report_header",
    "pytest_unconfigure",
]

_SIGTERM_KEY = pytest.StashKey[SigtermAsInterrupt]()


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "chaos_contract(name): the [contracts.NAME] table of the target file this experiment checks; "
        "the experiment is skipped when the target does not declare it",
    )
    settings = config.stash[SETTINGS_KEY] = ChaosSettings.from_config(config)
    if settings.target_source != DEFAULT_TARGET_SOURCE:   # given explicitly: a broken one stops the run now
        target = config.stash[TARGET_KEY] = load_target_or_usage_error(settings)
        settings = config.stash[SETTINGS_KEY] = settings.for_target(target, config)
    config.stash[CLOSERS_KEY] = contextlib.ExitStack()
    config.pluginmanager.register(fixtures, "chaos.fixtures")
    config.pluginmanager.register(envfailure, "chaos.envfailure")   # a failed environment: one error
    config.pluginmanager.register(seeding, "chaos.seeding")   # the run seed: header, xdist workers
    config.pluginmanager.register(checkpoints, "chaos.checkpoints")   # stop conditions, --gameday
    config.pluginmanager.register(planning, "chaos.planning")   # --chaos-plan; attach-mode skips
    reporting.install(config)   # journals, HTML report, terminal scorecard, JUnit properties
    sigterm = SigtermAsInterrupt()
    sigterm.install()
    config.stash[_SIGTERM_KEY] = sigterm


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """--chaos-contract NAME keeps only the experiments marked with one of the named contracts
    (names were checked against the catalog at configure time)."""
    wanted = set(config.stash[SETTINGS_KEY].contracts)
    if not wanted:
        return
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        marker = item.get_closest_marker("chaos_contract")
        (keep if marker is not None and marker.args and marker.args[0] in wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_report_header(config: pytest.Config) -> list[str]:
    settings = config.stash[SETTINGS_KEY]
    target = config.stash.get(TARGET_KEY, None)
    digest = f", sha256 {target.sha256[:12]}" if target is not None else ""
    lines = [f"chaos: backend={settings.backend}, target={settings.target_path} ({settings.target_source}{digest})"]
    if target is not None and target.attach is not None:
        lines.extend(attach_header(target))
    if settings.sut_env:
        mask = SecretMask(target.secrets if target is not None else ())
        lines.append("chaos: service env from --chaos-sut-env: "
                     + ", ".join(f"{k}={mask.text(v)}" for k, v in settings.sut_env.items()))
    return lines


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Generator[None, object, object]:
    """After an experiment's body returns, its verdict decides the outcome (inside the call phase,
    so a broken contract is a test failure, not a teardown error). A service that could not be proven
    healthy before the experiment is concluded at once, inconclusive: no fault is injected into it."""
    experiment = pyfuncitem.funcargs.get("experiment")
    if isinstance(experiment, Experiment) and not experiment.healthy_before:
        conclude(pyfuncitem, experiment)
    result = yield
    if experiment is not None:
        conclude(pyfuncitem, experiment)  # type: ignore[arg-type]
    return result


def pytest_unconfigure(config: pytest.Config) -> None:
    closers = config.stash.get(CLOSERS_KEY, None)
    try:
        if closers is not None:
            closers.close()
    finally:
        sigterm = config.stash.get(_SIGTERM_KEY, None)
        if sigterm is not None:
            sigterm.uninstall()
