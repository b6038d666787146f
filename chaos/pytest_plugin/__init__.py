"""The pytest plugin (entry point `pytest11: chaos`): options, fixtures and reporting hooks."""

from __future__ import annotations

import pytest

from chaos.pytest_plugin.options import add_options

__all__ = ["pytest_addoption"]


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)
