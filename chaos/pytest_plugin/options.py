"""Command-line options and their ini twins, declared once with shared help texts."""

from __future__ import annotations

import pytest

__all__ = ["add_options"]

TARGET_HELP = "target file describing the service under test (default: the reference service)"
BACKEND_HELP = "where the SUT and its dependencies run: local (processes on loopback) or docker"
CONTRACT_HELP = "run only the experiments of this contract (repeatable), e.g. --chaos-contract cache_fallback"
SUT_ENV_HELP = "extra environment for the SUT, NAME=VALUE, repeatable (e.g. SUT_DEFECTS=no_pool_timeout)"


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("chaos", "Chaos Suite: resilience experiments against a service under test")
    group.addoption("--chaos-target", action="store", default=None, help=TARGET_HELP)
    group.addoption("--chaos-backend", action="store", default=None, choices=("local", "docker"),
                    help=BACKEND_HELP)
    group.addoption("--chaos-sut-env", action="append", default=[], metavar="NAME=VALUE", help=SUT_ENV_HELP)
    group.addoption("--chaos-contract", action="append", default=[], metavar="NAME", help=CONTRACT_HELP)
    parser.addini("chaos_target", TARGET_HELP)
    parser.addini("chaos_backend", BACKEND_HELP)
