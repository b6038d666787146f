"""Turning an experiment's outcome into the test's result, with the evidence as the message."""

from __future__ import annotations

import pytest

from chaos.contracts import Status, Verdict
from chaos.experiment import Experiment

__all__ = ["VERDICT_KEY", "conclude", "format_verdict"]

# The outcome of the experiment an item ran, for the scorecard and the JUnit properties.
VERDICT_KEY = pytest.StashKey[Verdict]()


def format_verdict(outcome: Verdict, experiment: Experiment) -> str:
    lines = [f"{outcome.status.upper()}: {outcome.summary}"]
    for part in _parts(outcome):
        if part.status in (Status.PASSED, Status.SKIPPED):
            continue
        lines.append(f"- [{part.status}] {part.contract}: {part.summary}")
        lines.extend(f"    {line}" for line in part.evidence)
    for receipt in experiment.receipts:
        effects = "; ".join(receipt.effects) or "no effect observed"
        lines.append(f"fault {receipt.fault}: {receipt.intent} -> {effects}")
    return "\n".join(lines)


def _parts(outcome: Verdict) -> tuple[Verdict, ...]:
    return outcome.parts or (outcome,)


def conclude(item: pytest.Item, experiment: Experiment) -> None:
    """Fail the test (no traceback, the evidence instead) unless every check passed.

    INCONCLUSIVE is a failure too, with its own word in the message: an experiment that could not
    tell whether the contract holds must not pass.
    """
    __tracebackhide__ = True
    experiment.finish()
    outcome = experiment.outcome()
    item.stash[VERDICT_KEY] = outcome
    if outcome.status is not Status.PASSED:
        pytest.fail(format_verdict(outcome, experiment), pytrace=False)
