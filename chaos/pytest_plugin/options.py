"""Command-line options and their ini twins, declared once with shared help texts."""

from __future__ import annotations

import pytest

__all__ = ["add_options"]

TARGET_HELP = "target file describing the service under test (default: the reference service)"
BACKEND_HELP = ("where the SUT and its dependencies run: local (processes on loopback) or docker; a target "
                "with an [attach] table always runs attached (the deployment it names; `attach`)")
CONTRACT_HELP = "run only the experiments of this contract (repeatable), e.g. --chaos-contract cache_fallback"
SUT_ENV_HELP = "extra environment for the SUT, NAME=VALUE, repeatable (e.g. SUT_DEFECTS=no_pool_timeout)"
SEED_HELP = ("seed of every random choice (toxicity draws, fake-API failure fractions, {unique} tokens, "
             "drawn fault timings); drawn and printed when absent; the same seed replays the same choices")
GAMEDAY_HELP = ("game day: run the experiments one at a time on this terminal, pausing before inject, during "
                "the hold and before heal for an operator's command, with a live view")
GAMEDAY_MAX_HELP = ("the game day's bound: an experiment still running this many seconds after its first "
                    "checkpoint is aborted and healed, however the operator held (default 7200); "
                    "pytest-timeout's limit is extended by as much")
PLAN_HELP = ("dry run: print, per experiment, every fault it would inject (where, how long, which command, the "
             "undo), its load and its checks; start, inject and send nothing")
REPORT_HELP = "write a JSON journal per experiment (DIR/journals/) and a self-contained HTML report (DIR/index.html)"


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("chaos", "Chaos Suite: resilience experiments against a service under test")
    group.addoption("--chaos-target", action="store", default=None, help=TARGET_HELP)
    group.addoption("--chaos-backend", action="store", default=None, choices=("local", "docker", "attach"),
                    help=BACKEND_HELP)
    group.addoption("--chaos-sut-env", action="append", default=[], metavar="NAME=VALUE", help=SUT_ENV_HELP)
    group.addoption("--chaos-contract", action="append", default=[], metavar="NAME", help=CONTRACT_HELP)
    parser.addini("chaos_target", TARGET_HELP)
    parser.addini("chaos_backend", BACKEND_HELP)
    group.addoption("--chaos-seed", action="store", default=None, metavar="N", help=SEED_HELP)
    parser.addini("chaos_seed", SEED_HELP)
    group.addoption("--gameday", action="store_true", default=False, help=GAMEDAY_HELP)
    parser.addini("chaos_gameday", GAMEDAY_HELP, type="bool", default=False)
    group.addoption("--gameday-max-s", action="store", default=None, metavar="SECONDS", help=GAMEDAY_MAX_HELP)
    parser.addini("chaos_gameday_max_s", GAMEDAY_MAX_HELP)
    group.addoption("--chaos-plan", action="store_true", default=False, help=PLAN_HELP)
    parser.addini("chaos_plan", PLAN_HELP, type="bool", default=False)
    group.addoption("--chaos-report", action="store", default=None, metavar="DIR", help=REPORT_HELP)
    parser.addini("chaos_report", REPORT_HELP)
