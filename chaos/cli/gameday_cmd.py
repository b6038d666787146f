"""`chaos gameday`: the experiment catalog as a game day, one experiment at a time on this terminal.

Thin: it runs `pytest EXPERIMENTS --gameday` in this process (so the game day talks to this
terminal), with the target and any extra pytest arguments passed through: the same checks
(`-n` refused), the same bound (`--gameday-max-s`), the same exit codes.
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "gameday", help="run the experiments as a game day: one at a time, paused for an operator",
        description="Run the experiments one at a time, pausing before inject, during the hold and before "
                    "heal for a command (c=continue, l=hold longer, h=heal now, a=abort: heal everything "
                    "at once), with a live view of request rate, errors, latency, readiness and faults.")
    parser.add_argument("--target", default=None, help="target file (default: the reference service)")
    parser.add_argument("--experiments", default="experiments", help="experiment directory (default: %(default)s)")
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER,
                        help="more pytest arguments after --, e.g. -- -k cache --chaos-seed 42")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import pytest

    # in this process, so the game day owns this terminal; the plugin (`chaos`) is imported already,
    # which pytest would otherwise warn about on every run. pytest-xdist stays loaded so that `-n N`
    # (here or in PYTEST_ADDOPTS) meets the plugin's own refusal, as `pytest --gameday -n N` does,
    # rather than "unrecognized arguments".
    argv = [args.experiments, "--gameday", "-p", "no:randomly",
            "-W", "ignore::pytest.PytestAssertRewriteWarning"]
    if args.target:
        argv += ["--chaos-target", args.target]
    extra = list(args.pytest_args)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    return int(pytest.main(argv + extra))
