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
    ERROR = "error"                # the run itself broke (setup error, crash)
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    test: str          # "test_cache.py::test_cache_falls_back_when_redis_dies"
    outcome: Outcome
    message: str       # the first line of the failure message ("" when passed)
    duration_s: float


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
                outcome = Outcome.INCONCLUSIVE if first.startswith("INCONCLUSIVE") else Outcome.FAILED
                message = first
            elif child.tag == "error":
                outcome, message = Outcome.ERROR, first
            elif child.tag == "skipped":
                outcome, message = Outcome.SKIPPED, first
        results.append(Result(test=name, outcome=outcome, message=message,
                              duration_s=float(case.get("time") or 0.0)))
    return results
