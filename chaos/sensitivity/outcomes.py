"""What one pytest run of experiments ended with, read back from its JUnit XML."""

from __future__ import annotations

import enum
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Outcome", "Result", "read_junit"]


class Outcome(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"              # a contract was broken
    INCONCLUSIVE = "inconclusive"  # the experiment could not tell (fault left no trace, not healthy before)
    ABORTED = "aborted"            # a stop condition (or the game-day operator) ended it early
    ERROR = "error"                # the run itself broke (setup error, crash)
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    test: str          # "test_cache.py::test_cache_falls_back_when_redis_dies"
    outcome: Outcome
    message: str       # the first line of the failure message ("" when passed)
    duration_s: float


def _failure_outcome(first_line: str) -> Outcome:
    """Only the plugin's verdict messages ("FAILED: <check>: ...", "INCONCLUSIVE: ...", as pytest.fail
    writes them, behind "Failed: ") are verdicts; any other failure is an exception in the experiment,
    an error, so a crash can never pass for a caught defect."""
    verdict = first_line.removeprefix("Failed: ")
    if verdict.startswith("FAILED: "):
        return Outcome.FAILED
    if verdict.startswith("INCONCLUSIVE: "):
        return Outcome.INCONCLUSIVE
    if verdict.startswith("ABORTED: "):
        return Outcome.ABORTED
    return Outcome.ERROR


def read_junit(path: Path) -> list[Result]:
    """Every test case of a JUnit XML file written by `pytest --junitxml`."""
    results: list[Result] = []
    for case in ET.parse(path).getroot().iter("testcase"):
        name = f"{case.get('file') or case.get('classname', '')}::{case.get('name', '')}"
        outcome, message = Outcome.PASSED, ""
        for child in case:
            text = (child.get("message") or child.text or "").strip()
            first = text.splitlines()[0] if text else ""
            if child.tag == "failure":
                outcome, message = _failure_outcome(first), first.removeprefix("Failed: ")
            elif child.tag == "error":
                outcome, message = Outcome.ERROR, first
            elif child.tag == "skipped":
                outcome, message = Outcome.SKIPPED, first
        results.append(Result(test=name, outcome=outcome, message=message,
                              duration_s=float(case.get("time") or 0.0)))
    return results
