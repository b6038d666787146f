"""The run seed across pytest-xdist workers, and in the report header.

Settings resolve the seed once per process (settings.py); a seed *drawn* at random must still be
one seed for the whole run, so the controller hands its own to every worker through xdist's
`workerinput`, and prints it in the header with the option that replays it.
"""

from __future__ import annotations

from typing import Any

import pytest

from chaos.pytest_plugin.settings import SETTINGS_KEY, WORKER_SEED_KEY

__all__ = ["pytest_configure_node", "pytest_report_header"]


@pytest.hookimpl(optionalhook=True)  # an xdist hook: absent when xdist is not installed
def pytest_configure_node(node: Any) -> None:
    node.workerinput[WORKER_SEED_KEY] = node.config.stash[SETTINGS_KEY].seed


def pytest_report_header(config: pytest.Config) -> list[str]:
    settings = config.stash[SETTINGS_KEY]
    return [f"chaos: seed={settings.seed} ({settings.seed_source}); replay with --chaos-seed {settings.seed}"]
