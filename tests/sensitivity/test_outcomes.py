"""Reading a run's JUnit XML: only the plugin's verdicts count as a broken contract."""

from __future__ import annotations

from pathlib import Path

from chaos.sensitivity import Outcome, read_junit

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest">
  <testcase classname="experiments.test_a" name="test_pass" time="1.0"/>
  <testcase classname="experiments.test_a" name="test_broken" time="2.0">
    <failure message="Failed: FAILED: bounded: 3 requests over budget">...</failure></testcase>
  <testcase classname="experiments.test_a" name="test_unsure" time="2.0">
    <failure message="Failed: INCONCLUSIVE: fault left no trace">...</failure></testcase>
  <testcase classname="experiments.test_a" name="test_stopped" time="1.0">
    <failure message="Failed: ABORTED: stop condition error_rate tripped">...</failure></testcase>
  <testcase classname="experiments.test_a" name="test_crash" time="0.1">
    <failure message="TypeError: steady_state() got an unexpected keyword argument 'body'">...</failure></testcase>
  <testcase classname="experiments.test_a" name="test_setup" time="0.1">
    <error message="failed on setup with UsageError">...</error></testcase>
  <testcase classname="experiments.test_a" name="test_skip" time="0.0">
    <skipped message="target declares no [contracts.x]"/></testcase>
</testsuite></testsuites>
"""


def test_only_verdict_messages_are_verdicts(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT)
    outcomes = {r.test.rpartition("::")[2]: r.outcome for r in read_junit(path)}
    assert outcomes == {
        "test_pass": Outcome.PASSED,
        "test_broken": Outcome.FAILED,
        "test_unsure": Outcome.INCONCLUSIVE,
        "test_stopped": Outcome.ABORTED,
        "test_crash": Outcome.ERROR,        # an exception is not a caught defect
        "test_setup": Outcome.ERROR,
        "test_skip": Outcome.SKIPPED,
    }
