"""The plugin's reporting, end to end: journals, index.html, terminal scorecard and JUnit properties,
on the catalog run and on a run under pytest-xdist where every outcome occurs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from chaos.report import read_journal, schema_problems
from chaos.report.store import nodeid_slug

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "fixtures" / "sut" / "chaos.toml"
RUN_TIMEOUT_S = 240   # ~15 s alone (two environments, eight short experiments); room for a loaded machine
SEED = 4242

OUTCOMES = '''
import pytest

from chaos.contracts import bounded
from chaos.experiment import Trip
from chaos.faults import ProxyDisabled
from chaos.observe import Window


@pytest.fixture
def broken():
    raise RuntimeError("a fixture broke on purpose")


def whole_run(experiment):
    return Window(start_ns=experiment.timeline.anchor_ns, end_ns=None)


@pytest.mark.chaos_contract("readiness")
def test_passes(experiment):
    db = experiment.postgres()
    with experiment.probes(duration_s=3.0, interval_s=0.1):
        experiment.steady_state()
        with experiment.fault(ProxyDisabled(client=experiment.env.proxy, dependency=db)):
            experiment.hold(0.5)
        experiment.hold(0.5)
    experiment.check(bounded(experiment.timeline, window=whole_run(experiment), budget_s=5.0))


@pytest.mark.chaos_contract("readiness")
def test_fails(experiment):
    experiment.steady_state()
    experiment.check(bounded(experiment.timeline, window=whole_run(experiment), budget_s=0.000001))


@pytest.mark.chaos_contract("readiness")
def test_inconclusive(experiment):
    experiment.steady_state()


@pytest.mark.chaos_contract("readiness")
def test_breaks(experiment):
    experiment.steady_state()
    raise RuntimeError("the experiment broke on purpose")


@pytest.mark.chaos_contract("readiness")
def test_aborted(experiment):
    db = experiment.postgres()
    with experiment.fault(ProxyDisabled(client=experiment.env.proxy, dependency=db)):
        experiment.abort(Trip(guard="operator", at_ns=experiment.timeline.now_ns(), summary="aborted on purpose",
                              evidence=("the evidence line",)))
        experiment.hold(30)


@pytest.mark.chaos_contract("no_such_contract")
def test_skipped(experiment):
    pass


@pytest.mark.chaos_contract("readiness")
def test_setup_breaks_first(broken, experiment):
    pass


@pytest.mark.chaos_contract("readiness")
def test_setup_breaks_after(experiment, broken):
    pass
'''

EXPECTED = {
    "test_passes": "passed",
    "test_fails": "failed",
    "test_inconclusive": "inconclusive",
    "test_breaks": "error",
    "test_aborted": "aborted",
    "test_skipped": "skipped",
    "test_setup_breaks_first": "error",
    "test_setup_breaks_after": "error",
}


def _pytest(args: list[str], cwd: Path) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_XDIST", "PYTEST_CURRENT_TEST"))}
    proc = subprocess.Popen([sys.executable, "-m", "pytest", *args], cwd=cwd, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = proc.communicate(timeout=RUN_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)   # the plugin reaps its environments on SIGTERM
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
    return proc.returncode, out


def _junit_properties(path: Path) -> dict[str, dict[str, str]]:
    cases = ET.parse(path).getroot().iter("testcase")
    return {case.attrib["name"]: {p.attrib["name"]: p.attrib["value"] for p in case.iter("property")}
            for case in cases}


def test_every_outcome_is_reported_under_xdist(tmp_path: Path) -> None:
    (tmp_path / "test_outcomes.py").write_text(OUTCOMES)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")     # the rootdir, so node ids read test_outcomes.py::...
    out_dir = tmp_path / "out"
    stale = out_dir / "journals" / "left-by-an-earlier-run.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    code, output = _pytest(
        ["test_outcomes.py", "-n", "2", "--chaos-target", str(TARGET), "--chaos-report", "out",
         "--junitxml", "out/junit.xml", "--chaos-seed", str(SEED), "-p", "no:randomly", "-p", "no:cacheprovider",
         "--durations=0",
         f"--basetemp={tmp_path / 'base'}"], tmp_path)
    assert code == 1, output
    lines = pytest.LineMatcher(output.splitlines())
    lines.fnmatch_lines(["*2 workers*"])
    lines.fnmatch_lines([
        "*= chaos scorecard =*",
        "chaos scorecard: 1 passed, 1 failed, 1 inconclusive, 1 aborted, 3 error, 1 skipped (8 experiments, *)",
        "contract*verdict*time*key figures*experiment",
    ])
    for name, outcome in EXPECTED.items():
        shown = outcome if outcome in {"passed", "skipped"} else outcome.upper()
        lines.fnmatch_lines([f"* {shown} *{name}"])
    lines.fnmatch_lines(["*-> bounded: max latency *over the 1e-06 s budget*"])
    lines.fnmatch_lines(["*-> setup broke: RuntimeError: a fixture broke on purpose*"])
    lines.fnmatch_lines(["*-> aborted: stop condition operator: aborted on purpose*"])
    lines.fnmatch_lines([f"chaos report: {out_dir / 'index.html'} (7 journals)"])

    # journals: every outcome but the setup error that came before the Experiment; the stale file is gone
    journals = {p.stem: p for p in (out_dir / "journals").glob("*.json")}
    expected_files = {nodeid_slug(f"test_outcomes.py::{n}") for n in EXPECTED if n != "test_setup_breaks_first"}
    assert set(journals) == expected_files
    for name, outcome in EXPECTED.items():
        if name == "test_setup_breaks_first":
            continue
        path = journals[nodeid_slug(f"test_outcomes.py::{name}")]
        assert schema_problems(json.loads(path.read_text())) == [], name
        journal = read_journal(path)
        assert (journal.experiment, str(journal.outcome)) == (name, outcome)
        assert journal.contract is not None
        assert journal.seed == SEED, name       # the run seed, with or without an Experiment
    passed = read_journal(journals[nodeid_slug("test_outcomes.py::test_passes")])
    assert passed.faults[0].bit
    assert passed.faults[0].reverted_cleanly
    assert passed.timeline is not None
    assert passed.timeline.probes("ready")
    assert passed.steady_states[0].ok
    broke = read_journal(journals[nodeid_slug("test_outcomes.py::test_breaks")])
    assert broke.error is not None
    assert "the experiment broke on purpose" in broke.error
    assert broke.timeline is not None
    assert broke.steady_states
    skipped = read_journal(journals[nodeid_slug("test_outcomes.py::test_skipped")])
    assert "declares no [contracts.no_such_contract]" in skipped.outcome_detail
    assert skipped.timeline is None
    aborted = read_journal(journals[nodeid_slug("test_outcomes.py::test_aborted")])
    assert aborted.outcome_detail == "aborted: stop condition operator: aborted on purpose"
    assert aborted.error is not None
    assert "the evidence line" in aborted.error
    assert "healed at once: " in aborted.error
    assert aborted.faults[0].reverted_offset_s is not None

    # one page built by the controller from both workers' journals
    page = (out_dir / "index.html").read_text()
    assert 'data-experiments="7"' in page
    assert page.count('class="timeline"') == 6

    # JUnit: every experiment's test case carries its verdict, contract and key figures
    props = _junit_properties(out_dir / "junit.xml")
    assert {name: p.get("chaos.verdict") for name, p in props.items()} == EXPECTED
    assert props["test_fails"]["chaos.contract"] == "readiness"
    assert float(props["test_fails"]["chaos.figure.bounded.budget_s"]) == 1e-06
    assert "chaos.figure.bounded.p99_s" in props["test_fails"]
    assert props["test_passes"]["chaos.journal"].endswith(".json")
    assert "chaos.journal" not in props["test_setup_breaks_first"]


def test_catalog_run_leaves_report_scorecard_and_junit_properties(catalog_run: Any) -> None:
    assert catalog_run.returncode == 0, catalog_run.output
    lines = pytest.LineMatcher(catalog_run.output.splitlines())
    lines.fnmatch_lines([
        "*= chaos scorecard =*",
        "chaos scorecard: 1 passed (1 experiment, *)",
        # the figures that do not fit the column go on the next line, whole (never cut with "...");
        # recovery: 5 s + the margin rule's 1.5 s (chaos.experiment.timing)
        "readiness*passed*ready flip * (budget 3 s),*test_readiness_flips_while_the_db_is_unreachable",
        "* readiness recovered * after the heal (bound 6.5 s)",
        f"chaos report: {catalog_run.report_dir / 'index.html'} (1 journal)",
    ])
    props = _junit_properties(catalog_run.report_dir / "junit.xml")
    readiness = props["test_readiness_flips_while_the_db_is_unreachable"]
    assert readiness["chaos.contract"] == "readiness"
    assert readiness["chaos.verdict"] == "passed"
    assert float(readiness["chaos.figure.ready_flips.flip.flip_within_s"]) == 3.0
    assert 0 < float(readiness["chaos.figure.ready_flips.flip.flip_s"]) <= 3.0
    assert Path(readiness["chaos.journal"]) == catalog_run.journals[0]
